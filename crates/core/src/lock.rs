//! The per-service lock: one action at a time per service. A second invocation waits
//! up to `--waitlock`, then fails naming the holder's pid and action.

use crate::error::Error;
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

/// Default `--waitlock`.
pub const DEFAULT_WAITLOCK: Duration = Duration::from_secs(60);
const RETRY: Duration = Duration::from_millis(100);

/// Who holds a lock; written into the lock file by the holder.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Holder {
    pub pid: u32,
    pub action: String,
    pub since: String,
}

/// A held lock; released when dropped (and by the kernel if the process dies).
#[derive(Debug)]
pub struct ServiceLock {
    file: File,
    path: PathBuf,
}

/// A progress line every few seconds while waiting for a lock (to the enclosing span's log).
fn report_lock_wait(service: &str, elapsed: Duration, wait: Duration, reported: &mut Duration) {
    if elapsed >= crate::poll::PROGRESS_AFTER && elapsed >= *reported + crate::poll::PROGRESS_AFTER
    {
        *reported = elapsed;
        let probe: crate::poll::Probe<()> =
            crate::poll::Probe::Waiting(format!("the lock of service {service}"));
        tracing::info!("{}", crate::poll::progress_line(&probe, elapsed, wait));
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
        std::fs::create_dir_all(lock_dir).map_err(|e| Error::io(lock_dir, e))?;
        let path = lock_dir.join(format!("{service}.lock"));
        // Never truncate before holding the lock: the holder's identity lives in the file.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let started = Instant::now();
        let mut reported = Duration::ZERO;
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
            thread::sleep(RETRY);
        }
        let holder = Holder {
            pid: std::process::id(),
            action: action.to_string(),
            since: chrono::Local::now().format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let text = serde_json::to_string(&holder).unwrap_or_default();
        file.set_len(0)
            .and_then(|_| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(text.as_bytes()))
            .and_then(|_| file.flush())
            .map_err(|e| Error::io(&path, e))?;
        Ok(ServiceLock { file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
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
    let mut text = String::new();
    File::open(path).ok()?.read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

fn blocked_message(service: &str, path: &Path, wait: Duration) -> String {
    let holder = read_holder(path)
        .map(|h| format!("held by pid {} ({}, since {})", h.pid, h.action, h.since))
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
