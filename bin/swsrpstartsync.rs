//! `swsrpstartsync`: see arraysync_acm::swsrpstartsync.

arraysync_acm::bin!(swsrpstartsync);
