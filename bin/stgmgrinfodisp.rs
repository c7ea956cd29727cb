//! `stgmgrinfodisp`: see arraysync_acm::stgmgrinfodisp.

arraysync_acm::bin!(stgmgrinfodisp);
