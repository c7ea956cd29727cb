//! `swstsvrset`: see arraysync_acm::swstsvrset.

arraysync_acm::bin!(swstsvrset);
