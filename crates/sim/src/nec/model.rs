//! The snapshot model of one emulated NEC iStorage array (`necism/<NAME>.json`) and the
//! host agent state (`necism-host.json`).
//!
//! Volumes are logical disks (LDs) by name, each a base volume (BV), a snapshot volume
//! (SV, of one BV) or a link volume (LV, linked to at most one SV, an SV to at most one LV).
//! Timestamps are emulated unix seconds (see `crate::clock`). A snapshot state may be
//! transitional until a given time (`until`), after which it becomes `then`: states move
//! with the emulated clock, and are settled whenever an array is read or written.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub const DIR: &str = "necism";
pub const HOST_FILE: &str = "necism-host.json";
pub const ACTIVE: &str = "snap/active";

#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Bv,
    Sv,
    Lv,
}

impl Role {
    pub fn word(self) -> &'static str {
        match self {
            Role::Bv => "BV",
            Role::Sv => "SV",
            Role::Lv => "LV",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Snap {
    pub state: String,
    /// When the current state was entered (shown in brackets by the queries).
    pub since: i64,
    /// Creation order among the snapshots of the array (generation numbers).
    pub seq: u64,
    /// A transitional state ends at this time...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
    /// ...with this state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Volume {
    pub role: Role,
    #[serde(default = "linux")]
    pub os_type: String,
    /// SV: its base volume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bv: Option<String>,
    /// SV: its snapshot, once taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snap: Option<Snap>,
    /// LV: the SV it is linked to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_to: Option<String>,
}

fn linux() -> String {
    "LX".to_string()
}

impl Volume {
    pub fn new(role: Role) -> Volume {
        Volume {
            role,
            os_type: linux(),
            bv: None,
            snap: None,
            linked_to: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Array {
    pub name: String,
    #[serde(default = "default_product")]
    pub product_id: String,
    /// Last snapshot sequence number handed out.
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub volumes: BTreeMap<String, Volume>,
}

fn default_product() -> String {
    "D1-10".to_string()
}

/// A refused operation: the message id and text (the personality prefixes the program).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub id: &'static str,
    pub text: String,
}

fn refuse<T>(id: &'static str, text: String) -> Result<T, Refusal> {
    Err(Refusal { id, text })
}

impl Array {
    pub fn new(name: &str) -> Array {
        Array {
            name: name.to_string(),
            product_id: default_product(),
            seq: 0,
            volumes: BTreeMap::new(),
        }
    }

    /// Applies every transition whose time has come.
    pub fn settle(&mut self, now: i64) {
        for volume in self.volumes.values_mut() {
            if let Some(snap) = volume.snap.as_mut() {
                if let (Some(until), Some(then)) = (snap.until, snap.then.clone()) {
                    if until <= now {
                        snap.state = then;
                        snap.since = until;
                        snap.until = None;
                        snap.then = None;
                    }
                }
            }
        }
    }

    /// The volume `name` with role `role`, or the refusal naming what is wrong.
    pub fn volume(&self, name: &str, role: Role) -> Result<&Volume, Refusal> {
        match self.volumes.get(name) {
            None => refuse(
                super::messages::NO_VOLUME,
                format!("The specified volume does not exist. ({name})"),
            ),
            Some(v) if v.role != role => refuse(
                super::messages::WRONG_ROLE,
                format!(
                    "The specified volume is not a {}. ({name} is a {})",
                    role.word(),
                    v.role.word()
                ),
            ),
            Some(v) => Ok(v),
        }
    }

    /// The LV linked to `sv`, if any.
    pub fn lv_of(&self, sv: &str) -> Option<&str> {
        self.volumes
            .iter()
            .find(|(_, v)| v.role == Role::Lv && v.linked_to.as_deref() == Some(sv))
            .map(|(name, _)| name.as_str())
    }

    /// The SVs of `bv`, by name.
    pub fn svs_of<'a>(
        &'a self,
        bv: &'a str,
    ) -> impl Iterator<Item = (&'a String, &'a Volume)> + 'a {
        self.volumes
            .iter()
            .filter(move |(_, v)| v.role == Role::Sv && v.bv.as_deref() == Some(bv))
    }

    /// Generation of an SV's snapshot among its BV's: -1 the newest, -2 the one before...
    pub fn generation(&self, sv: &str) -> Option<i64> {
        let volume = self.volumes.get(sv)?;
        let seq = volume.snap.as_ref()?.seq;
        let bv = volume.bv.as_deref()?;
        let newer = self
            .svs_of(bv)
            .filter_map(|(_, v)| v.snap.as_ref())
            .filter(|s| s.seq > seq)
            .count();
        i64::try_from(newer).ok().map(|n| -(n + 1))
    }

    /// `iSMsc_unlink`: the LV must be linked.
    pub fn unlink(&mut self, lv: &str) -> Result<(), Refusal> {
        let volume = self.volume(lv, Role::Lv)?;
        if volume.linked_to.is_none() {
            return refuse(
                super::messages::NOT_LINKED,
                format!("The specified LV is not linked. ({lv})"),
            );
        }
        if let Some(v) = self.volumes.get_mut(lv) {
            v.linked_to = None;
        }
        Ok(())
    }

    /// `iSMsc_create`: (re)takes the SV's snapshot of its BV. Refused while the SV is linked
    /// or while any snapshot of the BV is changing state.
    pub fn create(&mut self, bv: &str, sv: &str, now: i64) -> Result<(), Refusal> {
        self.volume(bv, Role::Bv)?;
        let volume = self.volume(sv, Role::Sv)?;
        if volume.bv.as_deref() != Some(bv) {
            return refuse(
                super::messages::NOT_OF_BV,
                format!("The specified SV is not a snapshot volume of the BV. (SV:{sv} BV:{bv})"),
            );
        }
        if let Some(lv) = self.lv_of(sv) {
            return refuse(
                super::messages::SV_LINKED,
                format!("The SV is linked to an LV; unlink it first. (SV:{sv} LV:{lv})"),
            );
        }
        let moving = self.svs_of(bv).find_map(|(name, v)| {
            let snap = v.snap.as_ref()?;
            is_transitional(&snap.state).then(|| format!("SV:{name} {}", snap.state))
        });
        if let Some(moving) = moving {
            return refuse(
                super::messages::IN_TRANSITION,
                format!("An SV of the BV is changing state. ({moving})"),
            );
        }
        self.seq += 1;
        let seq = self.seq;
        if let Some(v) = self.volumes.get_mut(sv) {
            v.snap = Some(Snap {
                state: ACTIVE.to_string(),
                since: now,
                seq,
                until: None,
                then: None,
            });
        }
        Ok(())
    }

    /// `iSMsc_link`: the SV must hold an active snapshot; the LV and the SV must be free.
    pub fn link(&mut self, lv: &str, sv: &str) -> Result<(), Refusal> {
        let lv_volume = self.volume(lv, Role::Lv)?;
        if let Some(other) = &lv_volume.linked_to {
            return refuse(
                super::messages::LV_LINKED,
                format!("The LV is already linked. (LV:{lv} SV:{other})"),
            );
        }
        let sv_volume = self.volume(sv, Role::Sv)?;
        let state = sv_volume
            .snap
            .as_ref()
            .map_or("no snapshot", |s| s.state.as_str());
        if state != ACTIVE {
            return refuse(
                super::messages::NO_ACTIVE_SNAP,
                format!("The SV has no active snapshot. (SV:{sv} {state})"),
            );
        }
        if let Some(other) = self.lv_of(sv) {
            return refuse(
                super::messages::SV_TAKEN,
                format!("The SV is already linked to another LV. (SV:{sv} LV:{other})"),
            );
        }
        if let Some(v) = self.volumes.get_mut(lv) {
            v.linked_to = Some(sv.to_string());
        }
        Ok(())
    }
}

/// Transitional snapshot states (vendor-cli.md §3.4): an operation ending in `ing`, or
/// `rst/exec`.
pub fn is_transitional(state: &str) -> bool {
    let operation = state.rsplit('/').next().unwrap_or(state);
    operation.ends_with("ing") || operation == "exec"
}

/// The host side: the iSM host agent and the volume list (`iSMvollist -r`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Host {
    #[serde(default = "yes")]
    pub registered: bool,
    #[serde(default = "yes")]
    pub vollist: bool,
}

fn yes() -> bool {
    true
}

impl Default for Host {
    fn default() -> Self {
        Host {
            registered: true,
            vollist: true,
        }
    }
}

pub fn load_host(store: &Store) -> Result<Host, StoreError> {
    store.load(HOST_FILE)
}

pub fn update_host<R>(store: &Store, f: impl FnOnce(&mut Host) -> R) -> Result<R, StoreError> {
    store.update(HOST_FILE, |h: &mut Host| Ok::<_, StoreError>(f(h)))
}

/// Array names are file names: letters, digits, `_`, `.`, `-`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

pub fn rel_path(name: &str) -> String {
    format!("{DIR}/{name}.json")
}

pub fn list(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(store
        .list(DIR)?
        .into_iter()
        .filter(|n| valid_name(n))
        .collect())
}

pub fn load(store: &Store, name: &str) -> Result<Option<Array>, StoreError> {
    if !valid_name(name) {
        return Ok(None);
    }
    let _g = store.lock(&rel_path(name))?;
    store.read_json(&rel_path(name))
}

/// The array holding the LD `volume` (iSM commands name no array; LD names are looked up
/// in every emulated array).
pub fn locate(store: &Store, volume: &str) -> Result<Option<String>, StoreError> {
    for name in list(store)? {
        if load(store, &name)?.is_some_and(|a| a.volumes.contains_key(volume)) {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// Locked read-modify-write of an existing array (written back only when changed: a
/// query is a read); `Ok(None)` if it does not exist.
pub fn update<R, E: From<StoreError>>(
    store: &Store,
    name: &str,
    f: impl FnOnce(&mut Array) -> Result<R, E>,
) -> Result<Option<R>, E> {
    if !valid_name(name) {
        return Ok(None);
    }
    store.update_existing_if_changed(&rel_path(name), f)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array() -> Array {
        let mut a = Array::new("D1_10");
        a.volumes.insert("BV".into(), Volume::new(Role::Bv));
        for sv in ["SV1", "SV2"] {
            let mut v = Volume::new(Role::Sv);
            v.bv = Some("BV".into());
            a.volumes.insert(sv.into(), v);
        }
        a.volumes.insert("LV1".into(), Volume::new(Role::Lv));
        a
    }

    #[test]
    fn create_link_unlink_cycle() {
        let mut a = array();
        assert_eq!(
            a.link("LV1", "SV1").map_err(|r| r.id),
            Err(super::super::messages::NO_ACTIVE_SNAP)
        );
        a.create("BV", "SV1", 100).expect("create");
        a.link("LV1", "SV1").expect("link");
        assert_eq!(a.lv_of("SV1"), Some("LV1"));
        assert_eq!(
            a.create("BV", "SV1", 200).map_err(|r| r.id),
            Err(super::super::messages::SV_LINKED)
        );
        a.unlink("LV1").expect("unlink");
        assert_eq!(
            a.unlink("LV1").map_err(|r| r.id),
            Err(super::super::messages::NOT_LINKED)
        );
        a.create("BV", "SV2", 300).expect("create");
        assert_eq!(
            (a.generation("SV2"), a.generation("SV1")),
            (Some(-1), Some(-2))
        );
        a.create("BV", "SV1", 400).expect("re-create");
        assert_eq!(a.generation("SV1"), Some(-1));
        assert_eq!(a.volumes["SV1"].snap.as_ref().map(|s| s.since), Some(400));
    }

    #[test]
    fn transitions_move_with_the_clock_and_block_creates() {
        let mut a = array();
        a.create("BV", "SV2", 100).expect("create");
        if let Some(s) = a.volumes.get_mut("SV2").and_then(|v| v.snap.as_mut()) {
            s.state = "snap/deleting".into();
            s.until = Some(500);
            s.then = Some(ACTIVE.into());
        }
        assert_eq!(
            a.create("BV", "SV1", 200).map_err(|r| r.id),
            Err(super::super::messages::IN_TRANSITION)
        );
        a.settle(499);
        assert!(a.create("BV", "SV1", 499).is_err());
        a.settle(500);
        assert_eq!(
            a.volumes["SV2"].snap.as_ref().map(|s| s.state.as_str()),
            Some(ACTIVE)
        );
        a.create("BV", "SV1", 501)
            .expect("create after the transition");
    }

    #[test]
    fn wrong_roles_and_missing_volumes_are_refused() {
        let mut a = array();
        assert_eq!(
            a.unlink("SV1").map_err(|r| r.id),
            Err(super::super::messages::WRONG_ROLE)
        );
        assert_eq!(
            a.create("BV", "NOPE", 1).map_err(|r| r.id),
            Err(super::super::messages::NO_VOLUME)
        );
        assert!(is_transitional("rst/exec") && !is_transitional(ACTIVE));
        assert!(valid_name("D1_10") && !valid_name("../x"));
    }
}
