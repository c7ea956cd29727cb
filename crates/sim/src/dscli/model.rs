//! The FlashCopy model of one emulated storage image (`ibmds/<ID>.json`).
//!
//! Timestamps are emulated unix seconds (see `crate::clock`). Copy progress is computed, never
//! stored: OutOfSyncTracks(t) = max(0, initial − rate × (t − copy_start)) while background copy
//! is on; without background copy it stays at its initial value.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub const DIR: &str = "ibmds";
/// 1 GiB/s of 64 KiB tracks.
pub const DEFAULT_RATE: u64 = 16_384;
/// 1 GiB of 64 KiB tracks.
pub const DEFAULT_TRACKS: u64 = 16_384;
pub const DEFAULT_TIMEOUT: u32 = 120;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Volume {
    pub tracks: u64,
    #[serde(default)]
    pub ese: bool,
    /// Tracks written since the last flash that involved this volume.
    #[serde(default)]
    pub changed_tracks: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Relation {
    pub src: String,
    pub tgt: String,
    #[serde(default = "default_seq")]
    pub seqnum: String,
    #[serde(default = "default_timeout")]
    pub timeout: u32,
    pub recording: bool,
    pub persistent: bool,
    #[serde(default)]
    pub revertible: bool,
    #[serde(default = "yes")]
    pub source_write: bool,
    #[serde(default = "yes")]
    pub target_write: bool,
    pub background_copy: bool,
    #[serde(default)]
    pub tgt_se: bool,
    pub initial_oos: u64,
    pub copy_start: i64,
    pub created: i64,
    pub synced: i64,
    /// Admin override of the State column (`arraysim ibmds set --state`); `Valid` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
}

fn default_seq() -> String {
    "0".to_string()
}
fn default_timeout() -> u32 {
    DEFAULT_TIMEOUT
}
fn yes() -> bool {
    true
}

impl Relation {
    pub fn id(&self) -> String {
        format!("{}:{}", self.src, self.tgt)
    }

    pub fn oos(&self, now: i64, rate: u64) -> u64 {
        if !self.background_copy {
            return self.initial_oos;
        }
        let elapsed = u64::try_from(now.saturating_sub(self.copy_start)).unwrap_or(0);
        self.initial_oos
            .saturating_sub(rate.saturating_mul(elapsed))
    }

    pub fn active_copy(&self, now: i64, rate: u64) -> bool {
        self.background_copy && self.oos(now, rate) > 0
    }

    /// A non-persistent relationship with background copy disappears once its copy completes.
    pub fn gone(&self, now: i64, rate: u64) -> bool {
        !self.persistent && self.background_copy && self.oos(now, rate) == 0
    }

    pub fn state_text(&self) -> &str {
        self.state.as_deref().unwrap_or("Valid")
    }

    pub fn src_lss(&self) -> &str {
        self.src.get(..2).unwrap_or("00")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Array {
    pub id: String,
    pub hmc1: String,
    #[serde(default)]
    pub hmc2: String,
    pub user: String,
    pub password: String,
    /// Background copy rate, tracks per second (0: copies never progress).
    #[serde(default = "default_rate")]
    pub rate: u64,
    #[serde(default)]
    pub volumes: BTreeMap<String, Volume>,
    /// Local FlashCopy relationships by `SSSS:TTTT`.
    #[serde(default)]
    pub flash: BTreeMap<String, Relation>,
    /// Remote FlashCopy relationships (on this image, driven through a conduit) by pair id.
    #[serde(default)]
    pub remote_flash: BTreeMap<String, Relation>,
    /// Column list of `lsflash -l` when set (`arraysim ibmds columns`); the default otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub long_columns: Option<Vec<String>>,
}

fn default_rate() -> u64 {
    DEFAULT_RATE
}

impl Array {
    pub fn new(id: &str, hmc1: &str, hmc2: &str, user: &str, password: &str) -> Array {
        Array {
            id: id.to_string(),
            hmc1: hmc1.to_string(),
            hmc2: hmc2.to_string(),
            user: user.to_string(),
            password: password.to_string(),
            rate: DEFAULT_RATE,
            volumes: BTreeMap::new(),
            flash: BTreeMap::new(),
            remote_flash: BTreeMap::new(),
            long_columns: None,
        }
    }

    pub fn managed_by(&self, hmc: &str) -> bool {
        !hmc.is_empty()
            && (self.hmc1.eq_ignore_ascii_case(hmc) || self.hmc2.eq_ignore_ascii_case(hmc))
    }

    /// Drop relationships whose copy completed without persistence.
    pub fn prune(&mut self, now: i64) {
        let rate = self.rate;
        self.flash.retain(|_, r| !r.gone(now, rate));
        self.remote_flash.retain(|_, r| !r.gone(now, rate));
    }

    /// Rebase running copies so that a rate change applies from `now` on.
    pub fn set_rate(&mut self, now: i64, rate: u64) {
        let old = self.rate;
        for r in self
            .flash
            .values_mut()
            .chain(self.remote_flash.values_mut())
        {
            if r.background_copy {
                r.initial_oos = r.oos(now, old);
                r.copy_start = now;
            }
        }
        self.rate = rate;
    }

    pub fn relations(&self, remote: bool) -> &BTreeMap<String, Relation> {
        if remote {
            &self.remote_flash
        } else {
            &self.flash
        }
    }

    pub fn relations_mut(&mut self, remote: bool) -> &mut BTreeMap<String, Relation> {
        if remote {
            &mut self.remote_flash
        } else {
            &mut self.flash
        }
    }

    /// Record host writes to a volume (capped at its size).
    pub fn write(&mut self, vol: &str, tracks: u64) -> bool {
        match self.volumes.get_mut(vol) {
            Some(v) => {
                v.changed_tracks = v.changed_tracks.saturating_add(tracks).min(v.tracks);
                true
            }
            None => false,
        }
    }
}

/// Array ids double as file names: refuse anything that could escape the state directory.
pub fn valid_array_id(id: &str) -> bool {
    let mut parts = id.splitn(2, '.');
    let (Some(mfr), Some(rest)) = (parts.next(), parts.next()) else {
        return false;
    };
    let Some((ty, serial)) = rest.split_once('-') else {
        return false;
    };
    let alnum = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric());
    alnum(mfr) && alnum(ty) && alnum(serial) && ty.len() == 4 && serial.len() == 7
}

pub fn rel_path(id: &str) -> String {
    format!("{DIR}/{id}.json")
}

pub fn list(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(store
        .list(DIR)?
        .into_iter()
        .filter(|n| valid_array_id(n))
        .collect())
}

pub fn load(store: &Store, id: &str) -> Result<Option<Array>, StoreError> {
    if !valid_array_id(id) {
        return Ok(None);
    }
    let _g = store.lock(&rel_path(id))?;
    store.read_json(&rel_path(id))
}

pub fn all(store: &Store) -> Result<Vec<Array>, StoreError> {
    let mut out = Vec::new();
    for id in list(store)? {
        if let Some(a) = load(store, &id)? {
            out.push(a);
        }
    }
    Ok(out)
}

/// Locked read-modify-write of an existing array; `Ok(None)` if it does not exist.
pub fn update<R, E: From<StoreError>>(
    store: &Store,
    id: &str,
    f: impl FnOnce(&mut Array) -> Result<R, E>,
) -> Result<Option<R>, E> {
    if !valid_array_id(id) {
        return Ok(None);
    }
    store.update_existing(&rel_path(id), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rel(bg: bool, persistent: bool) -> Relation {
        Relation {
            src: "0001".into(),
            tgt: "0002".into(),
            seqnum: "0".into(),
            timeout: 120,
            recording: persistent,
            persistent,
            revertible: false,
            source_write: true,
            target_write: true,
            background_copy: bg,
            tgt_se: false,
            initial_oos: 1000,
            copy_start: 100,
            created: 100,
            synced: 100,
            state: None,
        }
    }

    #[test]
    fn copy_progress_is_deterministic() {
        let r = rel(true, true);
        assert_eq!(r.oos(100, 10), 1000);
        assert_eq!(r.oos(150, 10), 500);
        assert_eq!(r.oos(250, 10), 0);
        assert_eq!(r.oos(50, 10), 1000);
        assert_eq!(r.oos(10_000, 0), 1000);
        assert!(r.active_copy(150, 10));
        assert!(!r.active_copy(250, 10));
        assert!(!r.gone(250, 10));
        assert_eq!(rel(false, true).oos(10_000, 10), 1000);
        assert!(rel(true, false).gone(250, 10));
        assert!(!rel(false, false).gone(250, 10));
    }

    #[test]
    fn rate_change_rebases() {
        let mut a = Array::new("IBM.2107-75FA120", "h", "", "u", "p");
        a.rate = 10;
        a.flash.insert("0001:0002".into(), rel(true, true));
        a.set_rate(150, 0);
        let r = &a.flash["0001:0002"];
        assert_eq!(r.oos(10_000, a.rate), 500);
    }

    #[test]
    fn array_ids() {
        assert!(valid_array_id("IBM.XXXX-XXXXXXX"));
        assert!(valid_array_id("IBM.2107-75FA120"));
        assert!(!valid_array_id("IBM.2107-75FA12"));
        assert!(!valid_array_id("../etc/passwd"));
        assert!(!valid_array_id("IBM.2107-75FA120/00"));
        assert!(!valid_array_id(""));
    }
}
