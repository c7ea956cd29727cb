//! Small persistent state, written atomically (temp file, fsync, rename): the last
//! successful resync of each resource (for `sync_min_delay`) and the pending step of a
//! multi-step action (so a rerun after a kill finishes the job).

use crate::error::Error;
use crate::safefs;
use chrono::{DateTime, Local};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// How hard a write insists on reaching the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync the file and its directory: the step survives a power loss (pending steps).
    Synced,
    /// Atomic rename only: a crash may lose the write, never tear it (advisory
    /// timestamps, where two fsyncs would cost more than the protection is worth).
    Atomic,
}

/// Writes `bytes` to `path` so a reader sees either the old or the new content.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    write_file(path, bytes, Durability::Synced)
}

/// [`atomic_write`] with a chosen durability: an exclusively created temp file with an
/// unpredictable name, mode 0644 whatever the umask, renamed over `path` (never through
/// a symlink: see [`crate::safefs`]).
pub fn write_file(path: &Path, bytes: &[u8], durability: Durability) -> Result<(), Error> {
    let sync = match durability {
        Durability::Synced => safefs::Sync::Durable,
        Durability::Atomic => safefs::Sync::RenameOnly,
    };
    safefs::write_atomic(path, bytes, safefs::FILE_MODE, sync).map_err(|e| Error::io(path, e))
}

/// The persistent state of one resource, `<var>/state/<svc>/<rid>.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResourceState {
    /// End of the last successful resync or update run by this tool.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_resync: Option<DateTime<Local>>,
    /// A multi-step action interrupted between steps: driver-defined step name and items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    /// Facts about the array a driver learned and reuses to save vendor calls (necismsnap:
    /// each SV's base volume); the driver re-checks each one against the array's answers.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub learned: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Pending {
    pub action: String,
    pub step: String,
    pub items: Vec<String>,
    pub since: DateTime<Local>,
}

/// Loads and saves one resource's state file.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// What this handle last read from the file or wrote to it. An action holds the
    /// service lock, so nobody else writes the file meanwhile; a multi-step action loads
    /// and saves it at every step, and reading and parsing the whole record each time (at
    /// 1,024 pairs, 1,024 remembered base volumes) was most of the cost of those steps.
    known: Mutex<Option<ResourceState>>,
}

impl Clone for StateFile {
    /// A new handle on the same file: it reads the file again.
    fn clone(&self) -> Self {
        StateFile {
            path: self.path.clone(),
            known: Mutex::new(None),
        }
    }
}

impl StateFile {
    pub fn new(service_state_dir: &Path, rid: &str) -> Self {
        StateFile {
            path: service_state_dir.join(format!("{}.json", rid.replace('#', "_"))),
            known: Mutex::new(None),
        }
    }

    /// Remembers (or, with `None`, forgets) the file's content.
    fn know(&self, state: Option<&ResourceState>) {
        if let Ok(mut known) = self.known.lock() {
            *known = state.cloned();
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Check first, then act (issue 8): the state directory exists (created, mode 0755)
    /// and a file can be created in it now, before the array is touched.
    pub fn check_writable(&self) -> Result<(), Error> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        safefs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        tempfile::Builder::new()
            .prefix(".write-check.")
            .tempfile_in(dir)
            .map(drop)
            .map_err(|e| Error::io(dir, e))
    }

    /// The saved state; a missing file is the empty state, a corrupt one an error. Read
    /// from the file once per handle, then as this handle last saved it.
    pub fn load(&self) -> Result<ResourceState, Error> {
        if let Some(known) = self.known.lock().ok().and_then(|k| k.clone()) {
            return Ok(known);
        }
        let state = self.read()?;
        self.know(Some(&state));
        Ok(state)
    }

    fn read(&self) -> Result<ResourceState, Error> {
        match fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::Failed(format!(
                    "{}: corrupt state file ({e}); remove it to reset",
                    self.path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ResourceState::default()),
            Err(e) => Err(Error::io(&self.path, e)),
        }
    }

    pub fn save(&self, state: &ResourceState, durability: Durability) -> Result<(), Error> {
        let bytes = serde_json::to_vec_pretty(state)
            .map_err(|e| Error::Failed(format!("cannot encode state: {e}")))?;
        match write_file(&self.path, &bytes, durability) {
            Ok(()) => {
                self.know(Some(state));
                Ok(())
            }
            Err(e) => {
                // Whether the file changed is not known: read it again next time.
                self.know(None);
                Err(e)
            }
        }
    }

    /// Load, change, save durably (pending steps of multi-step actions).
    pub fn update(&self, change: impl FnOnce(&mut ResourceState)) -> Result<(), Error> {
        self.update_with(Durability::Synced, change)
    }

    /// Load, change, save with the given durability.
    pub fn update_with(
        &self,
        durability: Durability,
        change: impl FnOnce(&mut ResourceState),
    ) -> Result<(), Error> {
        let mut state = self.load()?;
        change(&mut state);
        self.save(&state, durability)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_missing_file_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(dir.path(), "sync#1");
        assert_eq!(file.load().expect("empty"), ResourceState::default());
        let now = Local::now();
        file.update(|s| s.last_resync = Some(now)).expect("save");
        assert_eq!(file.load().expect("load").last_resync, Some(now));
        assert!(file.path().ends_with("sync_1.json"));
    }

    #[test]
    fn a_handle_reads_the_file_once_then_keeps_what_it_saved() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(dir.path(), "sync#1");
        file.update_with(Durability::Atomic, |s| {
            s.learned.insert("SV1".into(), "BV1".into());
        })
        .expect("save");
        let on_disk: ResourceState =
            serde_json::from_slice(&fs::read(file.path()).expect("read")).expect("json");
        assert_eq!(on_disk, file.load().expect("load"), "saved as known");
        // Under the service lock nobody else writes the file: this handle does not look
        // again, a new handle does.
        fs::write(file.path(), b"{}").expect("write");
        assert_eq!(file.load().expect("known").learned.len(), 1);
        assert_eq!(
            file.clone().load().expect("reread"),
            ResourceState::default()
        );
    }

    #[test]
    fn corrupt_file_is_reported_not_ignored() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = StateFile::new(dir.path(), "sync#1");
        fs::write(file.path(), b"{not json").expect("write");
        assert!(file
            .load()
            .unwrap_err()
            .to_string()
            .contains("corrupt state file"));
    }
}
