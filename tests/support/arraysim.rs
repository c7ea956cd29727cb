//! The `arraysim` emulator for the test binaries (e2e, install, readme): another package's
//! binary, next to this package's, built on demand when a test target runs alone.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

/// The `arraysim` executable, built when the workspace build did not make it.
pub fn arraysim_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let arraysync = PathBuf::from(env!("CARGO_BIN_EXE_arraysync"));
        let bin = arraysync.with_file_name("arraysim");
        if !bin.exists() {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let status = Command::new(cargo)
                .args(["build", "-p", "arraysync-sim", "--bin", "arraysim"])
                .current_dir(env!("CARGO_MANIFEST_DIR"))
                .status()
                .expect("run cargo build for arraysim");
            assert!(status.success(), "building arraysim failed");
        }
        bin
    })
    .clone()
}
