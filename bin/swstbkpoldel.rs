//! `swstbkpoldel`: see arraysync_acm::swstbkpoldel.

arraysync_acm::bin!(swstbkpoldel);
