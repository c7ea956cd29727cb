//! `swstrestore`: see arraysync_acm::swstrestore.

arraysync_acm::bin!(swstrestore);
