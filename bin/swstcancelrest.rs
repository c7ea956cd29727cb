//! `swstcancelrest`: see arraysync_acm::swstcancelrest.

arraysync_acm::bin!(swstcancelrest);
