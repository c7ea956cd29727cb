//! The host-wide bound on concurrent vendor commands per array, shared by every service
//! and every `arraysync` process on the host (DESIGN §8, issue 11).
//!
//! A counting semaphore made of lock files: `<var>/lock/arrays/<array>.<slot>` for slot
//! 0..bound. A vendor command runs while its thread holds an exclusive `flock` on one
//! slot file; the kernel releases it when the permit is dropped or the process dies, so a
//! killed run never leaks a slot. `flock` locks belong to the open file description, so
//! two threads of one process (each opening the file itself) exclude each other exactly
//! like two processes do.
//!
//! The bound of an array is `[concurrency.arrays] NAME` of the node settings, else
//! `[concurrency] default` (settings.rs). A bound of 1 runs the array's commands one by
//! one, as OpenSVC did.

use crate::error::Error;
use crate::paths::Paths;
use crate::settings;
use fs4::fs_std::FileExt;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// First and longest sleep between two rounds of tries while every slot is taken: short
/// against a vendor command (200 ms to 35 s), cheap in CPU.
const FIRST_POLL: Duration = Duration::from_millis(2);
const LONGEST_POLL: Duration = Duration::from_millis(20);

/// One array's semaphore.
#[derive(Debug, Clone)]
pub struct ArraySemaphore {
    dir: PathBuf,
    array: String,
    bound: usize,
}

/// A held slot; the slot is free again when this is dropped.
#[derive(Debug)]
pub struct Permit {
    _file: File,
    pub slot: usize,
}

impl ArraySemaphore {
    /// The semaphore of `array` under `<var>/lock/arrays`, bound from the node settings.
    pub fn for_array(paths: &Paths, array: &str) -> ArraySemaphore {
        let bound = settings::current().concurrency_of(array);
        ArraySemaphore::new(&paths.lock_dir().join("arrays"), array, bound)
    }

    pub fn new(dir: &Path, array: &str, bound: usize) -> ArraySemaphore {
        ArraySemaphore {
            dir: dir.to_path_buf(),
            array: array.to_string(),
            bound: bound.max(1),
        }
    }

    pub fn bound(&self) -> usize {
        self.bound
    }

    pub fn array(&self) -> &str {
        &self.array
    }

    fn slot_path(&self, slot: usize) -> PathBuf {
        self.dir.join(format!("{}.{slot}", self.array))
    }

    /// True when the slot files exist (a state-changing action made them): read-only
    /// actions take slots only then, so they create nothing.
    pub fn exists(&self) -> bool {
        (0..self.bound).all(|slot| self.slot_path(slot).is_file())
    }

    /// Takes a free slot, waiting up to `wait` while all are taken; fails naming the
    /// array and its bound.
    pub fn acquire(&self, wait: Duration) -> Result<Permit, Error> {
        self.acquire_with(wait, true)?.ok_or_else(|| {
            Error::io(
                &self.dir,
                std::io::Error::other("slot file vanished while being created"),
            )
        })
    }

    /// [`ArraySemaphore::acquire`] for read-only actions: `None` (no bound taken) when the
    /// slot files do not exist, rather than create them.
    pub fn acquire_existing(&self, wait: Duration) -> Result<Option<Permit>, Error> {
        self.acquire_with(wait, false)
    }

    /// Tries the slots in turn from a start that differs per thread, opening each slot file
    /// only when its turn comes (the first free slot ends the round: one `open` and one
    /// `flock` per command when the array is not saturated).
    fn acquire_with(&self, wait: Duration, create: bool) -> Result<Option<Permit>, Error> {
        if create {
            self.create_slots()?;
        }
        let start = start_slot(self.bound);
        let started = Instant::now();
        let mut poll = FIRST_POLL;
        loop {
            for offset in 0..self.bound {
                let slot = (start + offset) % self.bound;
                let file = match self.open(slot, create) {
                    Ok(file) => file,
                    // Read-only and never created by a state-changing action: no bound.
                    Err(e) if !create && e.kind() == std::io::ErrorKind::NotFound => {
                        return Ok(None)
                    }
                    Err(e) => return Err(Error::io(self.slot_path(slot), e)),
                };
                match FileExt::try_lock_exclusive(&file) {
                    Ok(true) => return Ok(Some(Permit { _file: file, slot })),
                    Ok(false) => {}
                    Err(e) => return Err(Error::io(self.slot_path(slot), e)),
                }
            }
            if started.elapsed() >= wait {
                return Err(Error::Lock(format!(
                    "every one of the {} concurrent vendor command slot(s) of array {} stayed taken for {}s (by other services or arraysync processes on this host; the bound is [concurrency] in arraysync.toml): {}",
                    self.bound,
                    self.array,
                    wait.as_secs(),
                    self.dir.display()
                )));
            }
            std::thread::sleep(poll);
            poll = (poll * 2).min(LONGEST_POLL);
        }
    }

    /// Makes the directory and every slot file (a read-only action takes a slot only when
    /// all exist), once per process and array.
    fn create_slots(&self) -> Result<(), Error> {
        static MADE: std::sync::Mutex<Vec<(PathBuf, usize)>> = std::sync::Mutex::new(Vec::new());
        let key = (self.slot_path(0), self.bound);
        if MADE.lock().map(|made| made.contains(&key)).unwrap_or(false) {
            return Ok(());
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| Error::io(&self.dir, e))?;
        for slot in 0..self.bound {
            self.open(slot, true)
                .map_err(|e| Error::io(self.slot_path(slot), e))?;
        }
        if let Ok(mut made) = MADE.lock() {
            made.push(key);
        }
        Ok(())
    }

    /// Opens a slot file: never through a symlink, mode 0600, never truncated.
    fn open(&self, slot: usize, create: bool) -> std::io::Result<File> {
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(create)
            .truncate(false)
            .mode(0o600)
            .custom_flags(nix::fcntl::OFlag::O_NOFOLLOW.bits())
            .open(self.slot_path(slot))
    }
}

/// A slot to start from, different for concurrent threads of one process and for
/// different processes.
fn start_slot(bound: usize) -> usize {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::process::id().hash(&mut hasher);
    std::thread::current().id().hash(&mut hasher);
    Instant::now().hash(&mut hasher);
    (hasher.finish() as usize) % bound.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn never_more_holders_than_the_bound_across_threads() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sem = ArraySemaphore::new(dir.path(), "A1", 3);
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..4 {
                        let _permit = sem.acquire(Duration::from_secs(10)).expect("permit");
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(3));
                        running.fetch_sub(1, Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn a_full_semaphore_times_out_naming_the_array() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sem = ArraySemaphore::new(dir.path(), "A1", 1);
        let held = sem.acquire(Duration::ZERO).expect("first");
        let err = sem
            .acquire(Duration::from_millis(30))
            .expect_err("second must wait and fail");
        assert!(err.to_string().contains("array A1"), "{err}");
        drop(held);
        sem.acquire(Duration::ZERO).expect("free again");
    }

    #[test]
    fn read_only_acquire_creates_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sem = ArraySemaphore::new(&dir.path().join("arrays"), "A1", 2);
        assert!(sem.acquire_existing(Duration::ZERO).expect("ok").is_none());
        assert!(!dir.path().join("arrays").exists());
        drop(sem.acquire(Duration::ZERO).expect("create"));
        assert!(sem.acquire_existing(Duration::ZERO).expect("ok").is_some());
    }

    #[test]
    fn slot_files_are_not_followed_through_symlinks() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("elsewhere");
        std::fs::write(&target, "").expect("target");
        std::os::unix::fs::symlink(&target, dir.path().join("A1.0")).expect("symlink");
        let sem = ArraySemaphore::new(dir.path(), "A1", 1);
        assert!(sem.acquire(Duration::ZERO).is_err());
    }
}
