//! `swstcancelsync`: see arraysync_acm::swstcancelsync.

arraysync_acm::bin!(swstcancelsync);
