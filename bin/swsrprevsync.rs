//! `swsrprevsync`: see arraysync_acm::swsrprevsync.

arraysync_acm::bin!(swsrprevsync);
