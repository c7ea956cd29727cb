//! `swstbkpolset`: see arraysync_acm::swstbkpolset.

arraysync_acm::bin!(swstbkpolset);
