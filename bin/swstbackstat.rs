//! `swstbackstat`: see arraysync_acm::swstbackstat.

arraysync_acm::bin!(swstbackstat);
