//! `swstestupdate`: see arraysync_acm::swstestupdate.

arraysync_acm::bin!(swstestupdate);
