//! `swsrpmake`: see arraysync_acm::swsrpmake.

arraysync_acm::bin!(swsrpmake);
