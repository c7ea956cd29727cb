//! `stgmgrinfobkup`: see arraysync_acm::stgmgrinfobkup.

arraysync_acm::bin!(stgmgrinfobkup);
