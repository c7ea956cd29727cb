//! `swsthistdel`: see arraysync_acm::swsthistdel.

arraysync_acm::bin!(swsthistdel);
