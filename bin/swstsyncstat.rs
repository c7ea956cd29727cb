//! `swstsyncstat`: see arraysync_acm::swstsyncstat.

arraysync_acm::bin!(swstsyncstat);
