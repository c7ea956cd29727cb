//! The `arraysync` package: the command-line front ends (`arraysync`, `syncresync`)
//! over the core service layer and the registered resource types. Binaries in `bin/`
//! only call [`cli::main`].

pub mod cli;
pub mod complete;
pub mod docgen;
pub mod fuzz;
pub mod output;

/// `--version`: the package version and the commit it was built from (build.rs).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("ARRAYSYNC_COMMIT"),
    ")"
);

use arraysync_core::Registry;

/// Every resource type this build supports.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    registry.register(arraysync_ibmds::DRIVER);
    registry.register(arraysync_eternus::DRIVER);
    registry.register(arraysync_necism::DRIVER);
    registry.register(arraysync_symclone::DRIVER_CLONE);
    registry.register(arraysync_symclone::DRIVER_SNAP);
    registry
}
