//! The TimeFinder model: one file per emulated Symmetrix (`symm/<SYMID>.json`: devices and
//! clone/snap sessions) and the host's SYMAPI database (`symm/symapi_db.json`: device
//! groups), both in the framework's locked, atomic store.
//!
//! Timestamps are emulated unix seconds. Copy progress is computed, never stored: the
//! tracks left in a phase are `tracks − rate × (now − since)`; `CopyInProg` becomes
//! `Copied` and `RestInProg` becomes `Restored` when none are left. Control operations
//! check the state a client would see (an admin-pinned state included), so a pair pinned
//! in `Failed` refuses them; a pinned state hides every transition until unpinned.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

pub const DIR: &str = "symm";
pub const DB_FILE: &str = "symm/symapi_db.json";
/// 64 MiB/s of 64 KiB tracks: a 1 GiB clone copies in 16 s.
pub const DEFAULT_RATE: u64 = 1024;
/// 1 GiB of 64 KiB tracks.
pub const DEFAULT_TRACKS: u64 = 16_384;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Device {
    pub tracks: u64,
    /// Host path (`Device Physical Name`); `Not Visible` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pd_name: Option<String>,
    /// Tracks written since the last session operation involving the device.
    #[serde(default)]
    pub written: u64,
}

/// Where a session stands; the printed state is derived from it and the clock.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
pub enum Phase {
    Created,
    Precopy,
    Recreated,
    /// Clone: CopyInProg then Copied; snap: CopyOnWrite.
    Activated,
    /// RestInProg then Restored.
    Restoring,
    Split,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Session {
    pub src: String,
    pub tgt: String,
    #[serde(default)]
    pub snap: bool,
    #[serde(default)]
    pub differential: bool,
    pub phase: Phase,
    /// Start of the phase (emulated seconds).
    pub since: i64,
    /// Tracks to copy in the phase.
    pub tracks: u64,
    pub last_action: i64,
    /// Admin override of the printed state (`arraysim symclone set --state`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinned: Option<String>,
}

impl Session {
    pub fn remaining(&self, now: i64, rate: u64) -> u64 {
        let elapsed = u64::try_from(now.saturating_sub(self.since)).unwrap_or(0);
        self.tracks.saturating_sub(rate.saturating_mul(elapsed))
    }

    /// The state as SYMCLI prints it (`CopyInProg`, `Copied`, ...).
    pub fn state(&self, now: i64, rate: u64) -> String {
        if let Some(p) = &self.pinned {
            return p.clone();
        }
        let done = self.remaining(now, rate) == 0;
        match (self.phase, self.snap, done) {
            (Phase::Created, _, _) => "Created",
            (Phase::Precopy, _, _) => "Precopy",
            (Phase::Recreated, _, _) => "Recreated",
            (Phase::Activated, true, _) => "CopyOnWrite",
            (Phase::Activated, false, false) => "CopyInProg",
            (Phase::Activated, false, true) => "Copied",
            (Phase::Restoring, _, false) => "RestInProg",
            (Phase::Restoring, _, true) => "Restored",
            (Phase::Split, _, _) => "Split",
        }
        .to_string()
    }

    /// Percent of the phase's tracks copied.
    pub fn percent(&self, now: i64, rate: u64) -> u64 {
        if self.tracks == 0 || self.snap {
            return 100;
        }
        (self.tracks - self.remaining(now, rate)).saturating_mul(100) / self.tracks
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Symm {
    pub symid: String,
    /// Background copy rate, tracks per second (0: copies never progress).
    #[serde(default = "default_rate")]
    pub rate: u64,
    #[serde(default)]
    pub devices: BTreeMap<String, Device>,
    #[serde(default)]
    pub sessions: Vec<Session>,
}

fn default_rate() -> u64 {
    DEFAULT_RATE
}

/// A control operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Create,
    Activate,
    Recreate,
    Establish,
    Restore,
    Terminate,
    Split,
}

impl Op {
    pub fn parse(verb: &str) -> Option<Op> {
        Some(match verb {
            "create" => Op::Create,
            "activate" => Op::Activate,
            "recreate" => Op::Recreate,
            "establish" => Op::Establish,
            "restore" => Op::Restore,
            "terminate" => Op::Terminate,
            "split" => Op::Split,
            _ => return None,
        })
    }

    /// The name in SYMCLI messages (`'Recreate' operation ...`).
    pub fn title(self) -> &'static str {
        match self {
            Op::Create => "Create",
            Op::Activate => "Activate",
            Op::Recreate => "Recreate",
            Op::Establish => "Establish",
            Op::Restore => "Restore",
            Op::Terminate => "Terminate",
            Op::Split => "Split",
        }
    }

    /// Asynchronous operations are "initiated", the others "executed" (seed 002).
    pub fn initiated(self) -> bool {
        matches!(self, Op::Recreate | Op::Restore)
    }
}

/// Options of a control operation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Opts {
    pub snap: bool,
    pub precopy: bool,
    pub differential: bool,
    pub restored: bool,
    pub symforce: bool,
}

/// A pair named by a command: device ids, and the logical names it was given by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairRef {
    pub src: String,
    pub tgt: String,
    pub names: Option<(String, String)>,
}

impl PairRef {
    /// How messages name the pair: by logical name when it has one.
    pub fn shown(&self) -> (&str, &str) {
        match &self.names {
            Some((s, t)) => (s, t),
            None => (&self.src, &self.tgt),
        }
    }
}

impl Symm {
    pub fn new(symid: &str) -> Symm {
        Symm {
            symid: symid.to_string(),
            rate: DEFAULT_RATE,
            devices: BTreeMap::new(),
            sessions: Vec::new(),
        }
    }

    /// The device id as stored for `dev` (hex values compare: `1234` is `01234`).
    pub fn device_id(&self, dev: &str) -> Option<String> {
        self.devices.keys().find(|k| same_device(k, dev)).cloned()
    }

    pub fn session(&self, src: &str, tgt: &str) -> Option<&Session> {
        self.sessions
            .iter()
            .find(|s| same_device(&s.src, src) && same_device(&s.tgt, tgt))
    }

    fn session_mut(&mut self, src: &str, tgt: &str) -> Option<&mut Session> {
        self.sessions
            .iter_mut()
            .find(|s| same_device(&s.src, src) && same_device(&s.tgt, tgt))
    }

    /// Sessions a device takes part in, as source or target.
    pub fn sessions_of<'a>(&'a self, dev: &'a str) -> impl Iterator<Item = &'a Session> + 'a {
        self.sessions
            .iter()
            .filter(move |s| same_device(&s.src, dev) || same_device(&s.tgt, dev))
    }

    /// Rebase running copies so that a rate change applies from `now` on.
    pub fn set_rate(&mut self, now: i64, rate: u64) {
        let old = self.rate;
        for s in &mut self.sessions {
            s.tracks = s.remaining(now, old);
            s.since = now;
        }
        self.rate = rate;
    }

    /// Record host writes to a device (capped at its size).
    pub fn write(&mut self, dev: &str, tracks: u64) -> bool {
        let Some(id) = self.device_id(dev) else {
            return false;
        };
        match self.devices.get_mut(&id) {
            Some(d) => {
                d.written = d.written.saturating_add(tracks).min(d.tracks);
                true
            }
            None => false,
        }
    }

    /// Tracks changed on either side since the last operation; resets the counters.
    fn take_changes(&mut self, src: &str, tgt: &str) -> u64 {
        let mut total = 0u64;
        let mut size = u64::MAX;
        for dev in [src, tgt] {
            if let Some(d) = self.device_id(dev).and_then(|id| self.devices.get_mut(&id)) {
                total = total.saturating_add(d.written);
                size = size.min(d.tracks);
                d.written = 0;
            }
        }
        total.min(size)
    }

    /// Applies `op` to every pair, all or nothing: the first pair that cannot take it
    /// returns its error (the caller then does not save the array).
    pub fn apply(&mut self, op: Op, opts: Opts, pairs: &[PairRef], now: i64) -> Result<(), String> {
        for p in pairs {
            self.apply_one(op, opts, p, now)?;
        }
        Ok(())
    }

    fn apply_one(&mut self, op: Op, opts: Opts, p: &PairRef, now: i64) -> Result<(), String> {
        let (src_name, tgt_name) = p.shown();
        for (dev, name) in [(&p.src, src_name), (&p.tgt, tgt_name)] {
            if self.device_id(dev).is_none() {
                return Err(format!(
                    "Device '{name}' was not found in Symmetrix '{}'",
                    self.symid
                ));
            }
        }
        if op == Op::Create || (op == Op::Establish && self.session(&p.src, &p.tgt).is_none()) {
            self.create(opts, p, now)?;
            if op == Op::Create {
                return Ok(());
            }
        }
        let rate = self.rate;
        let Some(state) = self.session(&p.src, &p.tgt).map(|s| s.state(now, rate)) else {
            return Err(format!(
                "The Source device '{src_name}' and the Target device '{tgt_name}' do not form a Copy session"
            ));
        };
        let invalid = || {
            format!("Device '{src_name}' (paired with '{tgt_name}') is in state '{state}', not a valid state for the '{}' operation", op.title())
        };
        let snap = opts.snap;
        let changes = matches!(op, Op::Recreate | Op::Restore | Op::Establish)
            .then(|| self.take_changes(&p.src, &p.tgt));
        let Some(s) = self.session_mut(&p.src, &p.tgt) else {
            return Err(invalid());
        };
        if s.snap != snap {
            return Err(format!(
                "The pair '{src_name}' '{tgt_name}' is a {} session",
                if s.snap { "snap" } else { "clone" }
            ));
        }
        match (op, state.as_str()) {
            (Op::Activate, "CopyInProg" | "Copied" | "CopyOnWrite") => {
                return Err("The device is already in the requested state".into())
            }
            (Op::Activate, "Created" | "Precopy" | "Recreated") => activate(s, now, rate),
            (
                Op::Establish,
                "Copied" | "CopyOnWrite" | "Split" | "Created" | "Precopy" | "Recreated",
            ) => {
                if matches!(state.as_str(), "Copied" | "CopyOnWrite" | "Split") {
                    s.tracks = changes.unwrap_or(0);
                    s.since = now;
                }
                activate(s, now, rate);
            }
            (Op::Recreate, "Copied" | "CopyOnWrite" | "Split") => {
                if !s.differential && !s.snap {
                    return Err(format!("The clone session of '{src_name}' was not created with -differential: it cannot be recreated"));
                }
                s.phase = if opts.precopy {
                    Phase::Precopy
                } else {
                    Phase::Recreated
                };
                s.tracks = changes.unwrap_or(0);
                s.since = now;
            }
            (Op::Restore, "Copied" | "CopyOnWrite") => {
                if !s.differential && !s.snap {
                    return Err(format!("The clone session of '{src_name}' was not created with -differential: it cannot be restored"));
                }
                s.phase = Phase::Restoring;
                s.tracks = changes.unwrap_or(0);
                s.since = now;
            }
            (Op::Terminate, "Restored") if opts.restored => {
                s.phase = Phase::Activated;
                s.tracks = 0;
                s.since = now;
            }
            (Op::Terminate, _) if opts.restored => return Err(invalid()),
            (Op::Terminate, "CopyInProg" | "RestInProg") if !opts.symforce => {
                return Err(format!(
                    "{} (use -symforce to terminate a copy in progress)",
                    invalid()
                ))
            }
            (Op::Terminate, _) => {
                self.sessions
                    .retain(|x| !(same_device(&x.src, &p.src) && same_device(&x.tgt, &p.tgt)));
                return Ok(());
            }
            (Op::Split, "Restored") => s.phase = Phase::Split,
            _ => return Err(invalid()),
        }
        s.last_action = now;
        Ok(())
    }

    fn create(&mut self, opts: Opts, p: &PairRef, now: i64) -> Result<(), String> {
        let (src_name, tgt_name) = p.shown();
        if same_device(&p.src, &p.tgt) {
            return Err(format!("Device '{src_name}' cannot be its own target"));
        }
        if let Some(other) = self
            .sessions
            .iter()
            .find(|s| same_device(&s.tgt, &p.tgt) || same_device(&s.src, &p.tgt))
        {
            return Err(format!(
                "Device '{tgt_name}' is already in a Copy session (with source {}): it cannot be a target",
                other.src
            ));
        }
        if self.sessions.iter().any(|s| same_device(&s.tgt, &p.src)) {
            return Err(format!(
                "Device '{src_name}' is the target of a Copy session: it cannot be a source"
            ));
        }
        if opts.snap && opts.precopy {
            return Err("The -precopy option is not valid for a snap session".into());
        }
        let tracks = self
            .device_id(&p.src)
            .and_then(|id| self.devices.get(&id))
            .map_or(0, |d| d.tracks);
        self.take_changes(&p.src, &p.tgt);
        self.sessions.push(Session {
            src: self.device_id(&p.src).unwrap_or_else(|| p.src.clone()),
            tgt: self.device_id(&p.tgt).unwrap_or_else(|| p.tgt.clone()),
            snap: opts.snap,
            differential: opts.differential,
            phase: if opts.precopy {
                Phase::Precopy
            } else {
                Phase::Created
            },
            since: now,
            tracks: if opts.snap { 0 } else { tracks },
            last_action: now,
            pinned: None,
        });
        Ok(())
    }
}

/// Activation: a clone starts (or finishes, after a precopy) its background copy.
fn activate(s: &mut Session, now: i64, rate: u64) {
    s.tracks = if s.snap { 0 } else { s.remaining(now, rate) };
    s.since = now;
    s.phase = Phase::Activated;
}

/// Device ids compare by hex value (`1234` is `01234`).
pub fn same_device(a: &str, b: &str) -> bool {
    match (u32::from_str_radix(a, 16), u32::from_str_radix(b, 16)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.eq_ignore_ascii_case(b),
    }
}

pub fn valid_device_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 8 && id.chars().all(|c| c.is_ascii_hexdigit())
}

/// Symmetrix ids double as file names: digits only.
pub fn valid_symid(id: &str) -> bool {
    (1..=12).contains(&id.len()) && id.chars().all(|c| c.is_ascii_digit())
}

pub fn rel_path(symid: &str) -> String {
    format!("{DIR}/{symid}.json")
}

pub fn list(store: &Store) -> Result<Vec<String>, StoreError> {
    Ok(store
        .list(DIR)?
        .into_iter()
        .filter(|n| valid_symid(n))
        .collect())
}

/// The array a `-sid` value names: the full id or a unique suffix (`-sid 123`).
pub fn resolve(store: &Store, sid: &str) -> Result<Option<String>, StoreError> {
    let ids = list(store)?;
    if ids.iter().any(|i| i == sid) {
        return Ok(Some(sid.to_string()));
    }
    let matches: Vec<&String> = ids
        .iter()
        .filter(|i| !sid.is_empty() && i.ends_with(sid))
        .collect();
    Ok(match matches.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    })
}

pub fn load(store: &Store, symid: &str) -> Result<Option<Symm>, StoreError> {
    if !valid_symid(symid) {
        return Ok(None);
    }
    let _g = store.lock(&rel_path(symid))?;
    store.read_json(&rel_path(symid))
}

/// Locked read-modify-write of an existing array; `Ok(None)` if it does not exist.
pub fn update<R, E: From<StoreError>>(
    store: &Store,
    symid: &str,
    f: impl FnOnce(&mut Symm) -> Result<R, E>,
) -> Result<Option<R>, E> {
    if !valid_symid(symid) {
        return Ok(None);
    }
    store.update_existing(&rel_path(symid), f)
}

/// The SYMAPI database: device groups.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Db {
    #[serde(default)]
    pub groups: BTreeMap<String, Group>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Group {
    pub kind: String,
    /// Set by the first device added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub symid: Option<String>,
    /// Logical name → device id, in the order added.
    #[serde(default)]
    pub members: Vec<(String, String)>,
}

impl Group {
    pub fn member(&self, ld: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(l, _)| l.eq_ignore_ascii_case(ld))
            .map(|(_, d)| d.as_str())
    }

    pub fn ld_of(&self, dev: &str) -> Option<&str> {
        self.members
            .iter()
            .find(|(_, d)| same_device(d, dev))
            .map(|(l, _)| l.as_str())
    }
}

pub fn load_db(store: &Store) -> Result<Db, StoreError> {
    store.load(DB_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn symm() -> Symm {
        let mut s = Symm::new("000197800123");
        s.rate = 100;
        for d in ["1234", "4321"] {
            s.devices.insert(
                d.into(),
                Device {
                    tracks: 1000,
                    pd_name: None,
                    written: 0,
                },
            );
        }
        s
    }

    fn pair() -> PairRef {
        PairRef {
            src: "1234".into(),
            tgt: "04321".into(),
            names: Some(("DEV001".into(), "CLONE001".into())),
        }
    }

    fn clone_opts() -> Opts {
        Opts {
            precopy: true,
            differential: true,
            ..Opts::default()
        }
    }

    fn state(s: &Symm, now: i64) -> String {
        s.session("1234", "4321")
            .expect("session")
            .state(now, s.rate)
    }

    #[test]
    fn clone_lifecycle_with_the_clock() {
        let mut s = symm();
        s.apply(Op::Create, clone_opts(), &[pair()], 0)
            .expect("create");
        assert_eq!(state(&s, 5), "Precopy");
        s.apply(Op::Activate, Opts::default(), &[pair()], 5)
            .expect("activate");
        assert_eq!(
            state(&s, 6),
            "CopyInProg",
            "500 of 1000 tracks precopied, 100 more"
        );
        assert_eq!(state(&s, 10), "Copied");
        assert!(
            s.apply(Op::Activate, Opts::default(), &[pair()], 10)
                .is_err(),
            "already active"
        );
        s.write("4321", 300);
        s.apply(Op::Recreate, clone_opts(), &[pair()], 20)
            .expect("recreate");
        assert_eq!(state(&s, 20), "Precopy");
        s.apply(Op::Activate, Opts::default(), &[pair()], 21)
            .expect("activate");
        assert_eq!(state(&s, 21), "CopyInProg");
        assert_eq!(state(&s, 23), "Copied");
        s.write("4321", 500);
        s.apply(Op::Restore, Opts::default(), &[pair()], 30)
            .expect("restore");
        assert_eq!(state(&s, 31), "RestInProg");
        assert_eq!(state(&s, 35), "Restored");
        assert!(
            s.apply(Op::Recreate, clone_opts(), &[pair()], 35).is_err(),
            "restored: terminate first"
        );
        s.apply(
            Op::Terminate,
            Opts {
                restored: true,
                ..Opts::default()
            },
            &[pair()],
            36,
        )
        .expect("terminate -restored");
        assert_eq!(state(&s, 36), "Copied");
        s.apply(Op::Terminate, Opts::default(), &[pair()], 37)
            .expect("terminate");
        assert!(s.session("1234", "4321").is_none());
    }

    #[test]
    fn recreate_needs_a_finished_copy_and_a_differential_session() {
        let mut s = symm();
        s.apply(Op::Create, Opts::default(), &[pair()], 0)
            .expect("create");
        s.apply(Op::Activate, Opts::default(), &[pair()], 0)
            .expect("activate");
        let err = s
            .apply(Op::Recreate, Opts::default(), &[pair()], 1)
            .expect_err("copying");
        assert!(err.contains("'CopyInProg'"), "{err}");
        let err = s
            .apply(Op::Recreate, Opts::default(), &[pair()], 100)
            .expect_err("not -diff");
        assert!(err.contains("-differential"), "{err}");
    }

    #[test]
    fn snaps_copy_on_write() {
        let mut s = symm();
        let snap = Opts {
            snap: true,
            ..Opts::default()
        };
        assert!(s
            .apply(
                Op::Create,
                Opts {
                    precopy: true,
                    ..snap
                },
                &[pair()],
                0
            )
            .is_err());
        s.apply(Op::Create, snap, &[pair()], 0).expect("create");
        s.apply(Op::Activate, snap, &[pair()], 1).expect("activate");
        assert_eq!(state(&s, 1), "CopyOnWrite");
        s.apply(Op::Recreate, snap, &[pair()], 2).expect("recreate");
        assert_eq!(state(&s, 2), "Recreated");
        assert!(
            s.apply(Op::Activate, Opts::default(), &[pair()], 3)
                .is_err(),
            "symclone on a snap session"
        );
    }

    #[test]
    fn pinned_state_wins_and_blocks() {
        let mut s = symm();
        s.apply(Op::Create, clone_opts(), &[pair()], 0)
            .expect("create");
        s.sessions[0].pinned = Some("Failed".into());
        assert_eq!(state(&s, 100), "Failed");
        assert!(s
            .apply(Op::Activate, Opts::default(), &[pair()], 1)
            .is_err());
    }

    #[test]
    fn symids_and_devices() {
        assert!(valid_symid("000197800123") && !valid_symid("../x") && !valid_symid(""));
        assert!(same_device("1234", "01234") && !same_device("1234", "1235"));
    }
}
