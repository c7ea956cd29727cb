//! `swstbkpoldisp`: see arraysync_acm::swstbkpoldisp.

arraysync_acm::bin!(swstbkpoldisp);
