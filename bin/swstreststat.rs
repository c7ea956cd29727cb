//! `swstreststat`: see arraysync_acm::swstreststat.

arraysync_acm::bin!(swstreststat);
