//! `swstcanceltrk`: see arraysync_acm::swstcanceltrk.

arraysync_acm::bin!(swstcanceltrk);
