//! arraysync-necism: the `necismsnap` resource type, NEC iStorage snapshots driven through
//! the iSM SnapControl commands (`iSMsc_unlink`, `iSMsc_create`, `iSMsc_link`, ...) found in
//! PATH (seed 001).
//!
//! Files: `config` (keywords, SV:LV pairs), `command` (every iSM command line),
//! `parse` (iSM output), `driver` (the SyncResource implementation), `error`.

pub mod command;
pub mod config;
pub mod driver;
pub mod error;
pub mod parse;

pub use driver::{NecIsm, TYPE};

/// The registry entry of this resource type.
pub const DRIVER: arraysync_core::Driver = arraysync_core::Driver {
    rtype: TYPE,
    keywords: config::KEYWORDS,
    build: driver::build,
};
