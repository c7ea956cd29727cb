//! `stgenvdisp`: see arraysync_acm::stgenvdisp.

arraysync_acm::bin!(stgenvdisp);
