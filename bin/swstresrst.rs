//! `swstresrst`: see arraysync_acm::swstresrst.

arraysync_acm::bin!(swstresrst);
