//! `swsrpcancel`: see arraysync_acm::swsrpcancel.

arraysync_acm::bin!(swsrpcancel);
