//! arraysync-eternus: the ETERNUS AdvancedCopy engine, shared by the ACM commands
//! (crates/acm) and the `eternus` resource type.
//!
//! Files: `array` (arrays declared in auth.conf), `cli` (every ETERNUS DX CLI command line),
//! `parse` (CLI answers), `transport` (one ssh or command-prefix session per command run),
//! `device` (device names → array volumes: devices file, SCSI ids, collection), `repo`
//! (the replication management list in SQLite; `backup_repo` the backup one, `sqlite` the
//! plumbing both share), `copy` (sessions and the manual's pair
//! states), `replication` (the engine: registration and OPC/QuickOPC/EC operations),
//! `scripts` (RepSrc/RepDst pre/post-processing), `servers` (the Managed Server table) and
//! `remote` (one session per far server, the remote agent's protocol), `exclusion` (ACM command-exclusion
//! locks), `config` and `driver` (the resource type), `error`.

pub mod array;
pub mod backup;
pub mod backup_repo;
pub mod cli;
pub mod config;
pub mod copy;
pub mod device;
pub mod devmap;
pub mod driver;
pub mod error;
pub mod exclusion;
pub mod parse;
pub mod remote;
pub mod replication;
pub mod repo;
pub mod scripts;
pub mod servers;
mod sqlite;
pub mod transport;

pub use driver::{Eternus, TYPE};
pub use error::EternusError;

/// The registry entry of this resource type.
pub const DRIVER: arraysync_core::Driver = arraysync_core::Driver {
    rtype: TYPE,
    keywords: config::KEYWORDS,
    build: driver::build,
};
