//! `swstsdv`: see arraysync_acm::swstsdv.

arraysync_acm::bin!(swstsdv);
