//! The command-exclusion rules of the manual (spec §6.1) between concurrent invocations,
//! as a reader/writer model on two lock files plus one lock per pair:
//! - `recover.lock`: exclusive for swsrprecoverres, shared for every other command;
//! - `config.lock`: exclusive for swsrpsetvol/swsrpdelvol, shared for the operation
//!   commands (startsync, make, cancel, chsync, revsync); display commands skip it;
//! - `pairs.lock`, one byte per pair (at the pair id): exclusive for an operation on that
//!   pair (the array serializes them too, but the pre/post scripts must not interleave).
//!   Byte ranges of one file rather than a file per pair: a group of 10,000 pairs took
//!   10,000 files and as many inherited descriptors (seconds of file system work, and
//!   EMFILE under the common `ulimit -n` of 1,024).
//!
//! A conflicting lock is waited for up to `ARRAYSYNC_ACM_WAITLOCK` seconds (default 10),
//! then the command fails naming the holders. Locks are flock(2) on descriptors the
//! command's children inherit (the CLI session, the scripts): a killed command releases
//! them once the vendor processes it started have ended, never while they still run.

use crate::error::{EternusError, Result};
use arraysync_core::Paths;
use fs4::fs_std::FileExt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub const LOCK_DIR: &str = "/var/opt/FJSVswsrp/lock";

/// Lock classes of the replication commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// swsrpvolinfo, swsrpstat, swsrprecbuffstat.
    Display,
    /// swsrpsetvol, swsrpdelvol.
    Config,
    /// swsrpstartsync, swsrpmake, swsrpcancel, swsrpchsync, swsrprevsync.
    Operation,
    /// swsrprecoverres.
    Recover,
}

/// Held locks; released on drop.
#[derive(Debug)]
pub struct Guard {
    _files: Vec<File>,
    holder: Option<PathBuf>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(h) = &self.holder {
            let _ = std::fs::remove_file(h);
        }
    }
}

fn wait_limit() -> Duration {
    let secs: f64 = std::env::var("ARRAYSYNC_ACM_WAITLOCK")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10.0);
    Duration::from_secs_f64(secs.max(0.0))
}

fn open(path: &Path) -> Result<File> {
    // Never through a planted symlink; mode 0644 whatever the umask (issue 8).
    arraysync_core::safefs::open_rw_create(path, arraysync_core::safefs::FILE_MODE)
        .map_err(|e| EternusError::io(path, e))
}

fn take(file: &File, exclusive: bool, path: &Path, dir: &Path, command: &str) -> Result<()> {
    let deadline = Instant::now() + wait_limit();
    loop {
        let got = if exclusive {
            FileExt::try_lock_exclusive(file)
        } else {
            FileExt::try_lock_shared(file)
        };
        match got {
            // Inherited by the CLI session and the scripts this command starts: a SIGKILLed
            // command keeps the lock until they end (issue 8 item 2, docs/hardening.md).
            Ok(true) => {
                return arraysync_core::lock::inherit_by_children(file)
                    .map_err(|e| EternusError::io(path, e))
            }
            Ok(false) => {}
            Err(e) => return Err(EternusError::io(path, e)),
        }
        wait_or_busy(deadline, command, dir)?;
    }
}

/// After a lock found taken: refused as busy, naming who holds it, once `deadline` has
/// passed; otherwise a 50 ms pause before the next try.
fn wait_or_busy(deadline: Instant, command: &str, dir: &Path) -> Result<()> {
    if Instant::now() >= deadline {
        return Err(EternusError::Busy(format!(
            "{command} cannot run now: {} {} running",
            holders(dir),
            "is"
        )));
    }
    std::thread::sleep(Duration::from_millis(50));
    Ok(())
}

/// Locks the byte of each pair id in `file` (ids sorted: no two commands wait on each
/// other), waiting for a taken one like [`take`]. The locks are open-file-description
/// locks (`F_OFD_SETLK`): like `flock`, two opens exclude each other even in one process,
/// and the CLI session and scripts inheriting the descriptor keep them.
fn take_pairs(file: &File, ids: &[i64], path: &Path, dir: &Path, command: &str) -> Result<()> {
    let deadline = Instant::now() + wait_limit();
    // A run of consecutive ids is one lock of its bytes: taken whole or not at all, like
    // the bytes one by one, in one call (a 1,024-pair group registered together: one).
    for (start, len) in runs(ids) {
        loop {
            match lock_bytes(file, start, len) {
                Ok(true) => break,
                Ok(false) => {}
                Err(e) => return Err(EternusError::io(path, e)),
            }
            wait_or_busy(deadline, command, dir)?;
        }
    }
    arraysync_core::lock::inherit_by_children(file).map_err(|e| EternusError::io(path, e))
}

/// The runs of consecutive values of sorted, distinct `ids`: `(first, length)`.
fn runs(ids: &[i64]) -> Vec<(i64, i64)> {
    let mut runs: Vec<(i64, i64)> = Vec::new();
    for &id in ids {
        match runs.last_mut() {
            Some((start, len)) if *start + *len == id => *len += 1,
            _ => runs.push((id, 1)),
        }
    }
    runs
}

/// Write-locks bytes `at..at + len` of `file` without waiting; false when another open
/// holds any of them (then none is taken).
fn lock_bytes(file: &File, at: i64, len: i64) -> std::io::Result<bool> {
    use nix::errno::Errno;
    use nix::fcntl::{fcntl, FcntlArg};
    use nix::libc;
    use std::os::fd::AsRawFd;
    let range = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: at,
        l_len: len,
        l_pid: 0,
    };
    match fcntl(file.as_raw_fd(), FcntlArg::F_OFD_SETLK(&range)) {
        Ok(_) => Ok(true),
        Err(Errno::EAGAIN | Errno::EACCES) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Running commands, from the holder files (`<pid> <command>`) of live processes; when
/// none is alive, the killed commands whose vendor processes still hold the locks.
fn holders(dir: &Path) -> String {
    let mut live: Vec<String> = Vec::new();
    let mut dead: Vec<String> = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir.join("holders")) {
        for e in entries.filter_map(|e| e.ok()) {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let Ok(command) = std::fs::read_to_string(e.path()) else {
                continue;
            };
            if pid == std::process::id() as i32 {
                continue;
            }
            let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
            if alive {
                live.push(format!("{} (pid {pid})", command.trim()));
            } else {
                dead.push(format!(
                    "{} (pid {pid}, no longer running (killed?): a vendor command it started still holds the lock)",
                    command.trim()
                ));
            }
        }
    }
    let mut found = if live.is_empty() { dead } else { live };
    found.sort();
    if found.is_empty() {
        "another AdvancedCopy Manager command".to_string()
    } else {
        found.join(", ")
    }
}

/// Removes the holder files of dead commands, but only while nothing holds any lock of
/// `dir`: every command (and every vendor process or script it started, by inheritance)
/// holds `recover.lock` at least shared, so an exclusive try-lock that succeeds proves no
/// killed command's child still runs, and its holder file names nobody. While such a child
/// runs, the file stays, so a waiting command can still say who holds the lock.
fn sweep_dead_holders(recover: &File, dir: &Path) {
    if !matches!(FileExt::try_lock_exclusive(recover), Ok(true)) {
        return;
    }
    if let Ok(entries) = std::fs::read_dir(dir.join("holders")) {
        for e in entries.filter_map(|e| e.ok()) {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
                continue;
            };
            let alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok();
            if !alive {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    // Released here; `take` then locks in the mode the class asks for.
    let _ = FileExt::unlock(recover);
}

/// Records this command as a holder (`holders/<pid>`), for the busy message of others.
/// Best effort (the locks, not this file, exclude), but never through a planted symlink.
fn write_holder(holder: &Path, command: &str) {
    use std::io::Write;
    let _ = std::fs::remove_file(holder);
    if let Ok(mut f) =
        arraysync_core::safefs::open_rw_create(holder, arraysync_core::safefs::FILE_MODE)
    {
        let _ = f.set_len(0);
        let _ = f.write_all(command.as_bytes());
    }
}

/// Takes the locks of `class` for `command` (and of each pair id for operations).
pub fn acquire(paths: &Paths, command: &str, class: Class, pair_ids: &[i64]) -> Result<Guard> {
    acquire_in(paths, LOCK_DIR, command, class, pair_ids)
}

/// [`acquire`] in another lock directory: backup management keeps its own
/// (`/var/opt/FJSVswsts/lock`), with the same classes (spec §7 of eternus-backup.md:
/// global-exclusive commands take [`Class::Recover`], operational ones [`Class::Operation`]).
pub fn acquire_in(
    paths: &Paths,
    lock_dir: &str,
    command: &str,
    class: Class,
    pair_ids: &[i64],
) -> Result<Guard> {
    let dir = paths.under_root(lock_dir);
    arraysync_core::safefs::create_dir_all(&dir.join("holders"))
        .map_err(|e| EternusError::io(&dir, e))?;
    let mut files = Vec::new();
    let recover = dir.join("recover.lock");
    let f = open(&recover)?;
    sweep_dead_holders(&f, &dir);
    take(&f, class == Class::Recover, &recover, &dir, command)?;
    files.push(f);
    if matches!(class, Class::Config | Class::Operation) {
        let config = dir.join("config.lock");
        let f = open(&config)?;
        take(&f, class == Class::Config, &config, &dir, command)?;
        files.push(f);
    }
    let mut ids = pair_ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if !ids.is_empty() {
        let path = dir.join("pairs.lock");
        let f = open(&path)?;
        take_pairs(&f, &ids, &path, &dir, command)?;
        files.push(f);
    }
    let holder = dir.join("holders").join(std::process::id().to_string());
    write_holder(&holder, command);
    Ok(Guard {
        _files: files,
        holder: Some(holder),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_writes_exclude_operations_but_not_displays() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        std::env::set_var("ARRAYSYNC_ACM_WAITLOCK", "0.1");
        let setvol = acquire(&paths, "swsrpsetvol", Class::Config, &[]).expect("first");
        // flock locks are per open file description: a second open in this process conflicts.
        let err = acquire(&paths, "swsrpmake", Class::Operation, &[1]).unwrap_err();
        assert!(
            err.to_string().contains("swsrpmake cannot run now"),
            "{err}"
        );
        acquire(&paths, "swsrpstat", Class::Display, &[]).expect("display runs");
        drop(setvol);
        let a = acquire(&paths, "swsrpmake", Class::Operation, &[1]).expect("op");
        acquire(&paths, "swsrpcancel", Class::Operation, &[2]).expect("other pair");
        assert!(
            acquire(&paths, "swsrpcancel", Class::Operation, &[1]).is_err(),
            "same pair"
        );
        drop(a);
    }

    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().expect("spawn");
        let pid = child.id();
        child.wait().expect("wait");
        pid
    }

    #[test]
    fn dead_holders_are_removed_once_nothing_holds_a_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        std::env::set_var("ARRAYSYNC_ACM_WAITLOCK", "0.1");
        let lock_dir = paths.under_root(LOCK_DIR);
        let holders = lock_dir.join("holders");
        std::fs::create_dir_all(&holders).expect("mkdir");
        let dead = holders.join(dead_pid().to_string());
        std::fs::write(&dead, "swsrpmake").expect("write");

        // A lock still held (as by a killed command's vendor child): the file must stay,
        // it is what names the holder to a waiting command.
        let held = open(&lock_dir.join("recover.lock")).expect("open");
        assert!(FileExt::try_lock_shared(&held).expect("lock"));
        let g = acquire(&paths, "swsrpstat", Class::Display, &[]).expect("display");
        drop(g);
        assert!(
            dead.exists(),
            "a dead holder was removed while its lock was held"
        );

        FileExt::unlock(&held).expect("unlock");
        let g = acquire(&paths, "swsrpstat", Class::Display, &[]).expect("display");
        assert!(!dead.exists(), "a dead holder outlived every lock");
        let mine = holders.join(std::process::id().to_string());
        assert_eq!(
            std::fs::read_to_string(&mine).expect("own holder"),
            "swsrpstat"
        );
        drop(g);
        assert!(!mine.exists());
    }

    #[test]
    fn holder_file_is_never_written_through_a_symlink() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        let holders = paths.under_root(LOCK_DIR).join("holders");
        std::fs::create_dir_all(&holders).expect("mkdir");
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").expect("write");
        std::os::unix::fs::symlink(&victim, holders.join(std::process::id().to_string()))
            .expect("symlink");
        let g = acquire(&paths, "swsrpstat", Class::Display, &[]).expect("display");
        drop(g);
        assert_eq!(std::fs::read_to_string(&victim).expect("read"), "precious");
    }

    #[test]
    fn a_large_group_takes_one_descriptor_and_excludes_each_of_its_pairs() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        std::env::set_var("ARRAYSYNC_ACM_WAITLOCK", "0.1");
        let ids: Vec<i64> = (1..=5000).collect();
        let group = acquire(&paths, "swsrpmake", Class::Operation, &ids).expect("group");
        assert_eq!(group._files.len(), 3, "recover, config and one pairs file");
        assert!(acquire(&paths, "swsrpcancel", Class::Operation, &[4321]).is_err());
        acquire(&paths, "swsrpcancel", Class::Operation, &[5001]).expect("outside the group");
        drop(group);
        acquire(&paths, "swsrpcancel", Class::Operation, &[4321]).expect("released");
    }

    #[test]
    fn consecutive_ids_are_locked_as_runs_and_a_run_with_a_taken_pair_waits() {
        assert_eq!(runs(&[1, 2, 3, 7, 9, 10]), vec![(1, 3), (7, 1), (9, 2)]);
        assert!(runs(&[]).is_empty());
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        std::env::set_var("ARRAYSYNC_ACM_WAITLOCK", "0.1");
        let one = acquire(&paths, "swsrpcancel", Class::Operation, &[12]).expect("one pair");
        let err = acquire(&paths, "swsrpmake", Class::Operation, &[10, 11, 12, 13]).unwrap_err();
        assert!(err.to_string().contains("cannot run now"), "{err}");
        acquire(&paths, "swsrpmake", Class::Operation, &[10, 11, 13]).expect("around it");
        drop(one);
        acquire(&paths, "swsrpmake", Class::Operation, &[10, 11, 12, 13]).expect("free now");
    }
}
