//! `swsrpchsync`: see arraysync_acm::swsrpchsync.

arraysync_acm::bin!(swsrpchsync);
