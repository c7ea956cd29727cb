//! `acmcapture`: see arraysync_acm::acmcapture.

arraysync_acm::bin!(acmcapture);
