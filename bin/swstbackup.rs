//! `swstbackup`: see arraysync_acm::swstbackup.

arraysync_acm::bin!(swstbackup);
