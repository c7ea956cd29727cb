//! `swsrprecoverres`: see arraysync_acm::swsrprecoverres.

arraysync_acm::bin!(swsrprecoverres);
