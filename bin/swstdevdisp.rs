//! `swstdevdisp`: see arraysync_acm::swstdevdisp.

arraysync_acm::bin!(swstdevdisp);
