//! `swsrpstat`: see arraysync_acm::swsrpstat.

arraysync_acm::bin!(swsrpstat);
