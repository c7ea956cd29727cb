//! `swstdevinfoset`: see arraysync_acm::swstdevinfoset.

arraysync_acm::bin!(swstdevinfoset);
