//! `stgmgrinfoset`: see arraysync_acm::stgmgrinfoset.

arraysync_acm::bin!(stgmgrinfoset);
