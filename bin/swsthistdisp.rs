//! `swsthistdisp`: see arraysync_acm::swsthistdisp.

arraysync_acm::bin!(swsthistdisp);
