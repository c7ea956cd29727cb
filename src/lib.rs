//! The `arraysync` package: the command-line front ends (`arraysync`, `syncresync`)
//! over the core service layer and the registered resource types. Binaries in `bin/`
//! only call [`cli::main`].

pub mod cli;
pub mod fuzz;
pub mod output;

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
