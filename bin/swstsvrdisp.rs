//! `swstsvrdisp`: see arraysync_acm::swstsvrdisp.

arraysync_acm::bin!(swstsvrdisp);
