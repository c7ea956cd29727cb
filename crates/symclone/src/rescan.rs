//! Linux: after an activate, the targets' host devices are rescanned so the host sees the
//! new content and size, and the driver waits until each answers a read before the
//! service's volume groups come up (opensvc-drivers.md §5.6).
//!
//! A target whose device is `Not Visible` to SYMCLI, or whose path is not a block device on
//! this host (a clone driven for another server, or a sandbox root), is skipped with one
//! INFO line. A multipath device (`/sys/block/dm-N/slaves/*`) has each path rescanned.

use crate::driver::{name_some, PairView};
use crate::error::SymError;
use arraysync_core::poll::{self, Backoff, Probe};
use arraysync_core::{Ctx, Error};
use std::fs;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

/// How long a rescanned device may take to answer.
pub const READY_TIMEOUT: Duration = Duration::from_secs(30);
const READY_BACKOFF: Backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(2));

/// Rescans the targets of `views` that are block devices on this host (Linux only).
pub fn rescan_targets(cx: &Ctx, views: &[PairView]) -> Result<(), Error> {
    if !cfg!(target_os = "linux") {
        return Ok(());
    }
    let mut skipped = Vec::new();
    for view in views {
        let target = &view.pair.target;
        let Some(pd_name) = &view.pd_name else {
            skipped.push(format!("{target} (not visible)"));
            continue;
        };
        let host = cx.paths.under_root(pd_name);
        if !is_block_device(&host) {
            skipped.push(format!("{target} ({pd_name} is not a block device here)"));
            continue;
        }
        rescan_one(cx, pd_name, &host)?;
    }
    if !skipped.is_empty() {
        cx.log
            .info(&format!("target rescan skipped: {}", name_some(&skipped)));
    }
    Ok(())
}

fn is_block_device(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    fs::metadata(path).is_ok_and(|m| m.file_type().is_block_device())
}

/// The sysfs names to rescan for kernel device `name`: its slaves (multipath), or itself.
pub fn sysfs_devices(sys_block: &Path, name: &str) -> Vec<String> {
    let mut slaves: Vec<String> = fs::read_dir(sys_block.join(name).join("slaves"))
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    slaves.sort();
    if slaves.is_empty() {
        vec![name.to_string()]
    } else {
        slaves
    }
}

fn rescan_one(cx: &Ctx, pd_name: &str, host: &Path) -> Result<(), Error> {
    let real = host.canonicalize().map_err(|e| Error::io(host, e))?;
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| SymError::Host(format!("{pd_name}: no device name")))?;
    let sys_block = cx.paths.under_root("/sys/block");
    for device in sysfs_devices(&sys_block, &name) {
        cx.log
            .info(&format!("echo 1 > /sys/block/{device}/device/rescan"));
        if cx.dry_run() {
            continue;
        }
        let file = sys_block.join(&device).join("device/rescan");
        fs::write(&file, "1").map_err(|e| {
            SymError::Host(format!("cannot rescan {pd_name} ({}): {e}", file.display()))
        })?;
    }
    if cx.dry_run() || answers(host) {
        return Ok(());
    }
    let secs = READY_TIMEOUT.as_secs();
    cx.log.info(&format!(
        "waiting for device {pd_name} to become ready (max {secs} secs)"
    ));
    poll::wait_until(READY_TIMEOUT, READY_BACKOFF, |_| {
        Ok::<_, ()>(if answers(host) {
            Probe::Ready(())
        } else {
            Probe::Waiting(String::new())
        })
    })
    .map_err(|_| {
        SymError::Host(format!(
            "device {pd_name} did not become ready within {secs} secs after its rescan"
        ))
        .into()
    })
}

/// A device answers when its first sector can be read.
fn answers(path: &Path) -> bool {
    let mut buffer = [0u8; 512];
    fs::File::open(path)
        .and_then(|mut f| f.read(&mut buffer))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipath_devices_rescan_their_paths() {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(dir.path().join("dm-3/slaves/sdc")).expect("mkdir");
        fs::create_dir_all(dir.path().join("dm-3/slaves/sdb")).expect("mkdir");
        fs::create_dir_all(dir.path().join("sdd/device")).expect("mkdir");
        assert_eq!(sysfs_devices(dir.path(), "dm-3"), ["sdb", "sdc"]);
        assert_eq!(sysfs_devices(dir.path(), "sdd"), ["sdd"]);
    }

    #[test]
    fn regular_files_are_not_block_devices() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("sdb");
        fs::write(&file, "x").expect("write");
        assert!(!is_block_device(&file));
        assert!(!is_block_device(&dir.path().join("absent")));
        assert!(answers(&file));
    }
}
