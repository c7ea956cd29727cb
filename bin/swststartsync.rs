//! `swststartsync`: see arraysync_acm::swststartsync.

arraysync_acm::bin!(swststartsync);
