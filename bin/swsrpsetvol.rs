//! `swsrpsetvol`: see arraysync_acm::swsrpsetvol.

arraysync_acm::bin!(swsrpsetvol);
