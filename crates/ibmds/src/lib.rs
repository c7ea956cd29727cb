//! arraysync-ibmds: the `ibmdssnap` resource type, IBM DS8000 FlashCopy driven through
//! `dscli` (seed 000; remote FlashCopy through a PPRC conduit, seed 003).
//!
//! Files: `config` (keywords, credentials), `command` (every dscli command line),
//! `parse` (dscli output), `driver` (the SyncResource implementation), `error`.

pub mod command;
pub mod config;
pub mod driver;
pub mod error;
pub mod parse;

pub use driver::{IbmDs, TYPE};

/// The registry entry of this resource type.
pub const DRIVER: arraysync_core::Driver = arraysync_core::Driver {
    rtype: TYPE,
    keywords: config::KEYWORDS,
    build: driver::build,
};
