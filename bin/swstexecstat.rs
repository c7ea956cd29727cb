//! `swstexecstat`: see arraysync_acm::swstexecstat.

arraysync_acm::bin!(swstexecstat);
