//! The state directory: where every emulated array and framework knob lives.
//!
//! Resolution: `$ARRAYSIM_STATE`, else `$ARRAYSYNC_ROOT/var/lib/arraysim`, else an error.
//! Every JSON file is read-modify-written under an exclusive `fs4` lock taken on a sibling
//! `<file>.lock`, and written atomically (temp file in the same directory, then rename; see
//! [`write_atomic`]), so concurrent invocations of the emulated CLIs are safe and a killed
//! process never leaves a half-written file. A long-lived process (one CLI session) may keep
//! a parsed file between its commands, reused only while the file is byte for byte what it
//! last read or wrote ([`Store::update_existing_cached`]).

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use fs4::fs_std::FileExt;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// Errors of the state store. Their text is what the emulator prints (prefixed by the
/// personality's own wording where it has one).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("arraysim: no state directory (set ARRAYSIM_STATE or ARRAYSYNC_ROOT)")]
    NoStateDir,
    #[error("arraysim: {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("arraysim: {path}: corrupt state file: {source}")]
    Corrupt {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// A resolved state directory.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A state file's parsed value and the exact text it was parsed from or written as (see
/// [`Store::update_existing_cached`]).
#[derive(Debug)]
pub struct Parsed<T> {
    text: String,
    value: T,
}

/// Holds an exclusive lock until dropped (closing the descriptor releases the flock).
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

impl Store {
    /// Resolve the state directory from the environment (see the module docs).
    pub fn from_env() -> Result<Store, StoreError> {
        Self::resolve(
            std::env::var_os("ARRAYSIM_STATE"),
            std::env::var_os("ARRAYSYNC_ROOT"),
        )
    }

    /// Pure resolution rule, separated for tests.
    pub fn resolve(
        state: Option<std::ffi::OsString>,
        root: Option<std::ffi::OsString>,
    ) -> Result<Store, StoreError> {
        if let Some(s) = state.filter(|s| !s.is_empty()) {
            return Ok(Store::at(PathBuf::from(s)));
        }
        if let Some(r) = root.filter(|r| !r.is_empty()) {
            return Ok(Store::at(PathBuf::from(r).join("var/lib/arraysim")));
        }
        Err(StoreError::NoStateDir)
    }

    pub fn at(root: PathBuf) -> Store {
        Store { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Absolute path of a state-relative file.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Take the exclusive lock that guards `rel` (creating directories as needed).
    pub fn lock(&self, rel: &str) -> Result<LockGuard, StoreError> {
        let path = self.path(&format!("{rel}.lock"));
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir).map_err(io_err(dir))?;
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .map_err(io_err(&path))?;
        FileExt::lock_exclusive(&file).map_err(io_err(&path))?;
        Ok(LockGuard { _file: file })
    }

    /// Read a JSON file; `None` when it does not exist. Caller holds the lock if it matters.
    pub fn read_json<T: DeserializeOwned>(&self, rel: &str) -> Result<Option<T>, StoreError> {
        let path = self.path(rel);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e)),
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|source| StoreError::Corrupt { path, source })
    }

    /// Write a JSON file atomically. Caller holds the lock. Compact JSON: an array of
    /// 20,000 volumes and 10,000 sessions is 40% smaller than indented, and every answer
    /// reads it whole.
    pub fn write_json<T: Serialize>(&self, rel: &str, value: &T) -> Result<(), StoreError> {
        let path = self.path(rel);
        let mut text = serde_json::to_string(value).map_err(|source| StoreError::Corrupt {
            path: path.clone(),
            source,
        })?;
        text.push('\n');
        write_atomic(&path, text.as_bytes())
    }

    /// Locked read of one JSON file (default value when absent).
    pub fn load<T: DeserializeOwned + Default>(&self, rel: &str) -> Result<T, StoreError> {
        let _guard = self.lock(rel)?;
        Ok(self.read_json(rel)?.unwrap_or_default())
    }

    /// Locked read-modify-write of one JSON file. The closure's result is returned; the file is
    /// written only when the closure returns `Ok`, so a failed operation changes nothing.
    pub fn update<T, R, E>(&self, rel: &str, f: impl FnOnce(&mut T) -> Result<R, E>) -> Result<R, E>
    where
        T: DeserializeOwned + Serialize + Default,
        E: From<StoreError>,
    {
        let _guard = self.lock(rel)?;
        let mut value: T = self.read_json(rel)?.unwrap_or_default();
        let r = f(&mut value)?;
        self.write_json(rel, &value)?;
        Ok(r)
    }

    /// Like [`Store::update_existing`], but the file is rewritten only when `f` changed
    /// the value (compared as the JSON written): the answer to a read costs a read, not a
    /// rewrite of the whole state (swsrpstat over 10,000 pairs, iSM queries).
    pub fn update_existing_if_changed<T, R, E>(
        &self,
        rel: &str,
        f: impl FnOnce(&mut T) -> Result<R, E>,
    ) -> Result<Option<R>, E>
    where
        T: DeserializeOwned + Serialize,
        E: From<StoreError>,
    {
        self.update_existing_unless_unchanged(rel, |value: &mut T| Ok((f(value)?, true)))
    }

    /// [`Store::update_existing_if_changed`] for a caller that knows when nothing changed:
    /// `f` returns its result and whether the value may have changed; when not, nothing is
    /// serialised or compared (a `show` of a settled array of 10,000 sessions).
    pub fn update_existing_unless_unchanged<T, R, E>(
        &self,
        rel: &str,
        f: impl FnOnce(&mut T) -> Result<(R, bool), E>,
    ) -> Result<Option<R>, E>
    where
        T: DeserializeOwned + Serialize,
        E: From<StoreError>,
    {
        self.update_existing_cached(rel, &mut None, f)
    }

    /// [`Store::update_existing_unless_unchanged`] keeping the parsed value in `cache` for
    /// the next call of the same process (the commands of one CLI session): under the
    /// lock, the file is still read whole, and the cached value is used only when the
    /// file holds exactly the text it was parsed from or written as; any other text (a
    /// change by another process, an admin command, a fault) is parsed again. Reading and
    /// comparing the text costs a small part of parsing it (1,024 commands of one session
    /// on an array of 2,048 volumes parsed it 1,024 times). A failed `f` or write drops
    /// the cache, since the value may be half changed.
    pub fn update_existing_cached<T, R, E>(
        &self,
        rel: &str,
        cache: &mut Option<Parsed<T>>,
        f: impl FnOnce(&mut T) -> Result<(R, bool), E>,
    ) -> Result<Option<R>, E>
    where
        T: DeserializeOwned + Serialize,
        E: From<StoreError>,
    {
        let _guard = self.lock(rel)?;
        let path = self.path(rel);
        let kept = cache.take();
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_err(&path)(e).into()),
        };
        let mut parsed = match kept {
            Some(kept) if kept.text == text => kept,
            _ => {
                let value = serde_json::from_str(&text).map_err(|source| StoreError::Corrupt {
                    path: path.clone(),
                    source,
                })?;
                Parsed { text, value }
            }
        };
        let (r, maybe_changed) = f(&mut parsed.value)?;
        if maybe_changed {
            let mut after =
                serde_json::to_string(&parsed.value).map_err(|source| StoreError::Corrupt {
                    path: path.clone(),
                    source,
                })?;
            after.push('\n');
            if after != parsed.text {
                write_atomic(&path, after.as_bytes())?;
                parsed.text = after;
            }
        }
        *cache = Some(parsed);
        Ok(Some(r))
    }

    /// Like [`Store::update`] but only for an existing file; `None` when it is absent.
    pub fn update_existing<T, R, E>(
        &self,
        rel: &str,
        f: impl FnOnce(&mut T) -> Result<R, E>,
    ) -> Result<Option<R>, E>
    where
        T: DeserializeOwned + Serialize,
        E: From<StoreError>,
    {
        let _guard = self.lock(rel)?;
        let Some(mut value) = self.read_json::<T>(rel)? else {
            return Ok(None);
        };
        let r = f(&mut value)?;
        self.write_json(rel, &value)?;
        Ok(Some(r))
    }

    /// Names (file stems) of the `*.json` files in a state subdirectory, sorted.
    pub fn list(&self, dir: &str) -> Result<Vec<String>, StoreError> {
        let path = self.path(dir);
        let entries = match fs::read_dir(&path) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_err(&path)(e)),
        };
        let mut names = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err(&path))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(stem) = name.strip_suffix(".json") {
                if !stem.starts_with('.') {
                    names.push(stem.to_string());
                }
            }
        }
        names.sort();
        Ok(names)
    }

    /// Append one line to a file under the lock of that file (used by the call log).
    pub fn append_line(&self, rel: &str, line: &str) -> Result<(), StoreError> {
        let _guard = self.lock(rel)?;
        let path = self.path(rel);
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io_err(&path))?;
        let mut buf = line.as_bytes().to_vec();
        buf.push(b'\n');
        f.write_all(&buf).map_err(io_err(&path))
    }
}

/// Write `bytes` to `path` atomically: temp file next to it, then rename. Atomic against
/// a killed process (the fault suites SIGKILL commands mid-session), which is what an
/// emulator needs; not synced to disk, since surviving a power loss is not its job and an
/// fsync per array change was most of the emulator's time in a long CLI session (about
/// 19 ms a command: 4.8 s for a 255-pair group start).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), StoreError> {
    write_atomic_mode(path, bytes, 0o644)
}

/// [`write_atomic`] with the file created with `mode` (e.g. 0600 for secrets), so the content
/// is never visible with wider permissions.
pub fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&dir).map_err(io_err(&dir))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_string());
    let tmp = dir.join(format!(".{name}.tmp.{}", std::process::id()));
    let result = (|| {
        let _ = fs::remove_file(&tmp);
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .map_err(io_err(&tmp))?;
        // The umask may have narrowed the mode; apply it exactly.
        f.set_permissions(fs::Permissions::from_mode(mode))
            .map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        drop(f);
        fs::rename(&tmp, path).map_err(io_err(path))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn resolution_order() {
        let s = Store::resolve(Some("/a".into()), Some("/r".into())).expect("state");
        assert_eq!(s.root(), Path::new("/a"));
        let s = Store::resolve(None, Some("/r".into())).expect("root");
        assert_eq!(s.root(), Path::new("/r/var/lib/arraysim"));
        let s = Store::resolve(Some("".into()), Some("/r".into())).expect("empty state");
        assert_eq!(s.root(), Path::new("/r/var/lib/arraysim"));
        let e = Store::resolve(None, None).expect_err("none");
        assert_eq!(
            e.to_string(),
            "arraysim: no state directory (set ARRAYSIM_STATE or ARRAYSYNC_ROOT)"
        );
    }

    #[test]
    fn update_and_atomic_write() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        let r: Result<u32, StoreError> =
            store.update("x/a.json", |m: &mut BTreeMap<String, u32>| {
                m.insert("k".into(), 7);
                Ok(1)
            });
        assert_eq!(r.expect("update"), 1);
        let m: BTreeMap<String, u32> = store.load("x/a.json").expect("load");
        assert_eq!(m.get("k"), Some(&7));
        // No temp files are left behind.
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("x"))
            .expect("readdir")
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
            .collect();
        assert!(leftovers.is_empty());
        assert_eq!(store.list("x").expect("list"), vec!["a".to_string()]);
    }

    #[derive(Debug)]
    struct Fail;
    impl From<StoreError> for Fail {
        fn from(_: StoreError) -> Self {
            Fail
        }
    }

    #[test]
    fn failed_update_changes_nothing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        let _: Result<(), Fail> = store.update("a.json", |v: &mut Vec<u32>| {
            v.push(1);
            Ok(())
        });
        let r: Result<(), Fail> = store.update("a.json", |v: &mut Vec<u32>| {
            v.push(2);
            Err(Fail)
        });
        assert!(r.is_err());
        let v: Vec<u32> = store.load("a.json").expect("load");
        assert_eq!(v, vec![1]);
    }

    #[test]
    fn concurrent_updates_are_serialised() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    for _ in 0..25 {
                        let r: Result<(), StoreError> = store.update("n.json", |n: &mut u64| {
                            *n += 1;
                            Ok(())
                        });
                        r.expect("update");
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("join");
        }
        let n: u64 = store.load("n.json").expect("load");
        assert_eq!(n, 200);
    }

    #[test]
    fn cached_value_is_used_only_while_the_file_is_unchanged() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        let add = |n: u32| {
            move |v: &mut Vec<u32>| -> Result<(Vec<u32>, bool), StoreError> {
                v.push(n);
                Ok((v.clone(), true))
            }
        };
        let mut cache = None;
        assert!(store
            .update_existing_cached("v.json", &mut cache, add(1))
            .expect("absent")
            .is_none());
        let _: Result<(), StoreError> = store.update("v.json", |v: &mut Vec<u32>| {
            v.push(1);
            Ok(())
        });
        let r = store.update_existing_cached("v.json", &mut cache, add(2));
        assert_eq!(r.expect("update"), Some(vec![1, 2]));
        assert_eq!(store.load::<Vec<u32>>("v.json").expect("load"), vec![1, 2]);
        // The cache is what this process last read or wrote: a change kept in memory
        // only (reported unchanged, so not written) is seen again while the file is
        // untouched, which shows the file was not parsed again.
        let r = store.update_existing_cached("v.json", &mut cache, |v: &mut Vec<u32>| {
            v.push(99);
            Ok::<_, StoreError>(((), false))
        });
        assert!(r.is_ok());
        let r = store.update_existing_cached("v.json", &mut cache, |v: &mut Vec<u32>| {
            Ok::<_, StoreError>((v.clone(), false))
        });
        assert_eq!(r.expect("read"), Some(vec![1, 2, 99]));
        // Another process rewrites the file (same length, other content): parsed again.
        let _: Result<(), StoreError> = store.update("v.json", |v: &mut Vec<u32>| {
            v[1] = 3;
            Ok(())
        });
        let r = store.update_existing_cached("v.json", &mut cache, add(4));
        assert_eq!(r.expect("update"), Some(vec![1, 3, 4]));
        // A failed call drops the cache: what it changed in memory is gone.
        let r = store.update_existing_cached("v.json", &mut cache, |v: &mut Vec<u32>| {
            v.push(5);
            Err::<((), bool), _>(StoreError::NoStateDir)
        });
        assert!(r.is_err());
        assert!(cache.is_none());
        let r = store.update_existing_cached("v.json", &mut cache, add(6));
        assert_eq!(r.expect("update"), Some(vec![1, 3, 4, 6]));
        assert_eq!(
            store.load::<Vec<u32>>("v.json").expect("load"),
            vec![1, 3, 4, 6]
        );
    }

    #[test]
    fn corrupt_file_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        fs::write(dir.path().join("c.json"), "{not json").expect("write");
        let e = store.load::<Vec<u32>>("c.json").expect_err("corrupt");
        assert!(e.to_string().contains("corrupt state file"));
    }
}
