//! Small persistent state, written atomically (temp file, fsync, rename): the last
//! successful resync of each resource (for `sync_min_delay`) and the pending step of a
//! multi-step action (so a rerun after a kill finishes the job).

use crate::error::Error;
use crate::safefs;
use chrono::{DateTime, Local};
use serde::{Deserialize, Serialize};
use std::fs;
use std::path::{Path, PathBuf};

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
#[derive(Debug, Clone)]
pub struct StateFile {
    path: PathBuf,
}

impl StateFile {
    pub fn new(service_state_dir: &Path, rid: &str) -> Self {
        StateFile {
            path: service_state_dir.join(format!("{}.json", rid.replace('#', "_"))),
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

    /// The saved state; a missing file is the empty state, a corrupt one an error.
    pub fn load(&self) -> Result<ResourceState, Error> {
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
        write_file(&self.path, &bytes, durability)
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
