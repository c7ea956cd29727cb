//! `swstsrsemth`: the manual's 8.1.3.1 spelling of swstsrsemtch (same command).

arraysync_acm::bin!(swstsrsemtch);
