//! `swstsrsemtch`: see arraysync_acm::swstsrsemtch.

arraysync_acm::bin!(swstsrsemtch);
