//! `stgcmmodnode`: see arraysync_acm::stgcmmodnode.

arraysync_acm::bin!(stgcmmodnode);
