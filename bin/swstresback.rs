//! `swstresback`: see arraysync_acm::swstresback.

arraysync_acm::bin!(swstresback);
