//! The per-service lock: one action at a time per service. A second invocation waits
//! up to `--waitlock`, then fails naming the holder's pid and action.
//!
//! The lock is an `flock` on `<var>/lock/<svc>.lock`, opened without following symlinks.
//! Its descriptor is deliberately inherited by the vendor commands the run starts: a tool
//! killed with SIGKILL (which it cannot catch) leaves the lock held until the last of its
//! vendor commands ends, so a rerun never overlaps them (DESIGN §9, docs/hardening.md).
//! The holder record is cleared on a normal release; a record found when taking the lock
//! is a previous run that was killed, reported by [`ServiceLock::stale_holder`].

use crate::error::Error;
use crate::safefs;
use fs4::fs_std::FileExt;
use nix::fcntl::{fcntl, FcntlArg, FdFlag};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Default `--waitlock`.
pub const DEFAULT_WAITLOCK: Duration = Duration::from_secs(60);
const RETRY: Duration = Duration::from_millis(100);

/// Lets the commands this process starts inherit `file` (clears close-on-exec), so an
/// `flock` on it stays held until the last of them ends, even when this process is
/// killed with SIGKILL (DESIGN §9). Used for the service lock and the ETERNUS ACM
/// command-exclusion locks.
pub fn inherit_by_children(file: &File) -> std::io::Result<()> {
    fcntl(file.as_raw_fd(), FcntlArg::F_SETFD(FdFlag::empty()))
        .map(|_| ())
        .map_err(std::io::Error::from)
}

/// Who holds a lock; written into the lock file by the holder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub action: String,
    pub since: String,
}

/// A held lock; released when dropped (and by the kernel once the process and every
/// vendor command it started are gone).
#[derive(Debug)]
pub struct ServiceLock {
    file: File,
    path: PathBuf,
    stale: Option<Holder>,
}

/// A progress line every few seconds while waiting for a lock (to the enclosing span's log).
fn report_lock_wait(service: &str, elapsed: Duration, wait: Duration, reported: &mut Duration) {
    if elapsed >= crate::poll::PROGRESS_AFTER && elapsed >= *reported + crate::poll::PROGRESS_AFTER
    {
        *reported = elapsed;
        let probe: crate::poll::Probe<()> =
            crate::poll::Probe::Waiting(format!("the lock of service {service}"));
        let line = crate::poll::progress_line(&probe, elapsed, wait);
        tracing::info!(progress = true, "{line}");
    }
}

impl ServiceLock {
    /// Takes `<lock_dir>/<service>.lock`, waiting up to `wait`.
    pub fn acquire(
        lock_dir: &Path,
        service: &str,
        action: &str,
        wait: Duration,
    ) -> Result<ServiceLock, Error> {
        let path = lock_dir.join(format!("{service}.lock"));
        // Never truncate before holding the lock: the holder's identity lives in the file.
        let mut file =
            safefs::open_rw_create(&path, safefs::FILE_MODE).map_err(|e| Error::io(&path, e))?;
        let started = Instant::now();
        let mut reported = Duration::ZERO;
        let _line = crate::log::ProgressScope;
        loop {
            match FileExt::try_lock_exclusive(&file) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return Err(Error::io(&path, e)),
            }
            if started.elapsed() >= wait {
                return Err(Error::Lock(blocked_message(service, &path, wait)));
            }
            report_lock_wait(service, started.elapsed(), wait, &mut reported);
            if !crate::signals::sleep(RETRY) {
                return Err(Error::Lock(format!(
                    "service {service}: interrupted by a signal while waiting for the lock"
                )));
            }
        }
        // Held, so nobody else writes it: a record left there is a run that was killed.
        let stale = read_record(&mut file).filter(|h| h.pid != std::process::id());
        // Vendor commands inherit the lock (see the module docs).
        inherit_by_children(&file).map_err(|e| Error::io(&path, e))?;
        let holder = Holder {
            pid: std::process::id(),
            action: action.to_string(),
            since: crate::clock::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(text.as_bytes()))
            .and_then(|_| file.flush())
            .map_err(|e| Error::io(&path, e))?;
        Ok(ServiceLock { file, path, stale })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The record of a previous holder that never released the lock (killed), now cleared.
    pub fn stale_holder(&self) -> Option<&Holder> {
        self.stale.as_ref()
    }
}

impl Drop for ServiceLock {
    fn drop(&mut self) {
        let _ = self.file.set_len(0);
        let _ = FileExt::unlock(&self.file);
    }
}

/// Reads the holder recorded in a lock file, if any.
pub fn read_holder(path: &Path) -> Option<Holder> {
    read_record(&mut safefs::open_read(path).ok()?)
}

fn read_record(file: &mut File) -> Option<Holder> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.take(64 * 1024).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Whether process `pid` still exists.
fn is_running(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    !matches!(
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(raw), None),
        Err(nix::errno::Errno::ESRCH)
    )
}

fn blocked_message(service: &str, path: &Path, wait: Duration) -> String {
    let holder = read_holder(path)
        .map(|h| {
            let mut text = format!("held by pid {} ({}, since {})", h.pid, h.action, h.since);
            if !is_running(h.pid) {
                text.push_str(
                    ", which is no longer running (killed?): a vendor command it started still \
                     holds the lock, which is released when that command ends",
                );
            }
            text
        })
        .unwrap_or_else(|| "held by another process".into());
    format!(
        "service {service} is locked, {holder}: gave up after waiting {}s (--waitlock)",
        wait.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_acquire_waits_then_names_the_holder() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first =
            ServiceLock::acquire(dir.path(), "svc", "sync resync", Duration::ZERO).expect("first");
        let err =
            ServiceLock::acquire(dir.path(), "svc", "sync update", Duration::from_millis(250))
                .unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        assert!(message.contains("sync resync"), "{message}");
        drop(first);
        ServiceLock::acquire(dir.path(), "svc", "sync update", Duration::ZERO).expect("released");
    }
}
