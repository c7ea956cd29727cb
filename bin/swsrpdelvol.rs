//! `swsrpdelvol`: see arraysync_acm::swsrpdelvol.

arraysync_acm::bin!(swsrpdelvol);
