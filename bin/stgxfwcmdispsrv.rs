//! `stgxfwcmdispsrv`: see arraysync_acm::stgxfwcmdispsrv.

arraysync_acm::bin!(stgxfwcmdispsrv);
