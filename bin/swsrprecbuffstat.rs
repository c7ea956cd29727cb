//! `swsrprecbuffstat`: see arraysync_acm::swsrprecbuffstat.

arraysync_acm::bin!(swsrprecbuffstat);
