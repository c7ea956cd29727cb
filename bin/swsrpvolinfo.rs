//! `swsrpvolinfo`: see arraysync_acm::swsrpvolinfo.

arraysync_acm::bin!(swsrpvolinfo);
