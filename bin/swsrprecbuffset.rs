//! `swsrprecbuffset`: see arraysync_acm::swsrprecbuffset.

arraysync_acm::bin!(swsrprecbuffset);
