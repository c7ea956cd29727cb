//! arraysync-symclone: the `symclone` and `symsnap` resource types, EMC Symmetrix
//! TimeFinder clones and snaps driven through SYMCLI (seed 002).
//!
//! Two configuration forms: seed 002's device group (`symdg` + logical device pairs,
//! `DEV001 sym ld CLONE001` on the command line) and OpenSVC's `symid` + device id pairs,
//! batched through a pairs file passed with `-f`.
//!
//! Files: `config` (keywords, forms, the SYMCLI directory), `command` (every SYMCLI
//! command line), `parse` (`symld list -v` text and `symdev list -v -output xml_e`),
//! `driver` (the SyncResource implementation), `rescan` (Linux target rescans), `error`.

pub mod command;
pub mod config;
pub mod driver;
pub mod error;
pub mod parse;
pub mod rescan;

pub use config::CopyKind;
pub use driver::SymClone;

/// The registry entry of the `symclone` type (TimeFinder/Clone).
pub const DRIVER_CLONE: arraysync_core::Driver = arraysync_core::Driver {
    rtype: config::TYPE_CLONE,
    keywords: config::CLONE_KEYWORDS,
    build: driver::build_clone,
};

/// The registry entry of the `symsnap` type (TimeFinder/Snap, copy on write).
pub const DRIVER_SNAP: arraysync_core::Driver = arraysync_core::Driver {
    rtype: config::TYPE_SNAP,
    keywords: config::SNAP_KEYWORDS,
    build: driver::build_snap,
};

/// Both resource types of this crate.
pub const DRIVERS: &[arraysync_core::Driver] = &[DRIVER_CLONE, DRIVER_SNAP];
