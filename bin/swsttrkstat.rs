//! `swsttrkstat`: see arraysync_acm::swsttrkstat.

arraysync_acm::bin!(swsttrkstat);
