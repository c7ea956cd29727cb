//! REC (Remote Equivalent Copy) between two emulated boxes of one root, per docs/eternus.md
//! "REC". The state every box shares lives in `eternus/rec.json`: the copy paths
//! (`arraysim eternus path DX1 DX2 up|down`), the REC buffers (`arraysim eternus
//! rec-buffer`) and the REC sessions. A session copies real bytes from a volume file of the
//! source box into one of the destination box, at the source box's copy rate on the
//! emulator clock, like the local sessions of [`super::model`].
//!
//! Locking: `rec.json`'s lock is always taken before an array's, never while one is held,
//! so a host write (array lock inside the REC lock) and a REC command cannot deadlock.
//!
//! Transfer modes: `sync` copies each source write before the write returns; `through`,
//! `stack` and `consistency` record the written tracks and transfer them in the background.
//! A `stack` session never reports `Equivalent` (its progress reaches 100%); a suspend of
//! several sessions in one command is one point in time (the REC buffer of consistency
//! mode). A path down halts every session between the two boxes; a path up resumes those
//! with automatic recovery. A write to a Manual-Split synchronous source in halt fails.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::commands::{bad_state, check_known, get, numbers, options};
use super::model::{self, CliError, Phase, Status, TRACK};
use super::ranges::Ranges;
use crate::store::{Store, StoreError};

pub const FILE: &str = "eternus/rec.json";

/// Default size of a REC buffer (cache memory) and of a REC Disk buffer, in MiB.
pub const DEFAULT_BUFFER_MB: u64 = 64;
pub const DEFAULT_DISK_BUFFER_MB: u64 = 1024;

/// How long a REC buffer is unusable after `set rec-buffer` (swsrprecbuffset): the
/// manual's "wait about one minute", on the emulator clock.
const UNUSABLE_MS: i64 = 60_000;

fn default_buffer_mb() -> u64 {
    DEFAULT_BUFFER_MB
}

fn default_disk_buffer_mb() -> u64 {
    DEFAULT_DISK_BUFFER_MB
}

/// Tracks in `mb` MiB.
fn mb_tracks(mb: u64) -> u64 {
    mb.saturating_mul(1024 * 1024) / TRACK
}

/// State of a REC Disk buffer (manual 8.3.1.4 `DiskBuff`): `warning` is usable with a disk
/// fault, `inactive` cannot be used; `code` is the manual's code (04..08).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskState {
    #[default]
    Active,
    Warning,
    Inactive,
}

impl DiskState {
    pub fn parse(text: &str) -> Option<DiskState> {
        Some(match text {
            "active" => DiskState::Active,
            "warning" => DiskState::Warning,
            "inactive" => DiskState::Inactive,
            _ => return None,
        })
    }

    /// The code shown when none is given: 08 (no redundancy) for a warning, 05 (RAID
    /// fault) for an inactive disk buffer, as the manual's examples.
    pub fn default_code(self) -> u8 {
        match self {
            DiskState::Active => 0,
            DiskState::Warning => 8,
            DiskState::Inactive => 5,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transfer {
    Sync,
    Through,
    Stack,
    Consistency,
}

impl Transfer {
    pub fn text(self) -> &'static str {
        match self {
            Transfer::Sync => "sync",
            Transfer::Through => "through",
            Transfer::Stack => "stack",
            Transfer::Consistency => "consistency",
        }
    }

    fn parse(text: &str) -> Option<Transfer> {
        Some(match text {
            "sync" => Transfer::Sync,
            "through" => Transfer::Through,
            "stack" => Transfer::Stack,
            "consistency" => Transfer::Consistency,
            _ => return None,
        })
    }
}

/// Split and recovery modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Auto {
    Auto,
    Manual,
}

impl Auto {
    fn text(self) -> &'static str {
        match self {
            Auto::Auto => "auto",
            Auto::Manual => "manual",
        }
    }

    fn parse(text: &str) -> Option<Auto> {
        match text {
            "auto" => Some(Auto::Auto),
            "manual" => Some(Auto::Manual),
            _ => None,
        }
    }
}

/// A copy path between two boxes (unordered).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Link {
    pub a: String,
    pub b: String,
    pub up: bool,
}

/// A REC buffer of `array`, used to send to or receive from `remote`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Buffer {
    pub array: String,
    pub id: u32,
    pub send: bool,
    pub remote: String,
    #[serde(default)]
    pub disk: bool,
    /// Emulated time of the last `set rec-buffer` (0: defined by the emulator, usable).
    #[serde(default)]
    pub changed_ms: i64,
    /// Size of the buffer in cache memory.
    #[serde(default = "default_buffer_mb")]
    pub size_mb: u64,
    /// Size of the REC Disk buffer (when `disk`).
    #[serde(default = "default_disk_buffer_mb")]
    pub disk_size_mb: u64,
    #[serde(default)]
    pub disk_state: DiskState,
    #[serde(default)]
    pub disk_code: u8,
}

impl Buffer {
    /// Whether the REC Disk buffer takes data (set, and not `inactive`).
    fn disk_usable(&self) -> bool {
        self.disk && self.disk_state != DiskState::Inactive
    }

    /// Tracks the buffer can hold: its cache memory, plus its disk buffer when usable.
    fn capacity(&self) -> u64 {
        let disk = if self.disk_usable() {
            mb_tracks(self.disk_size_mb)
        } else {
            0
        };
        mb_tracks(self.size_mb).saturating_add(disk)
    }

    /// Within the unusable minute after a `set rec-buffer`.
    fn settling(&self, now_ms: i64) -> bool {
        self.changed_ms > 0 && now_ms.saturating_sub(self.changed_ms) < UNUSABLE_MS
    }

    /// `DiskBuff` of `show rec-buffer` (manual 8.3.1.4).
    fn disk_text(&self) -> String {
        match (self.send, self.disk, self.disk_state) {
            (false, _, _) => "---".to_string(),
            (true, false, _) => "invalid".to_string(),
            (true, true, DiskState::Active) => "active".to_string(),
            (true, true, DiskState::Warning) => format!("warning(code={:02})", self.disk_code),
            (true, true, DiskState::Inactive) => format!("inactive(code={:02})", self.disk_code),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecSession {
    pub sid: u32,
    pub src_array: String,
    pub src_box: String,
    pub src: u32,
    pub dst_array: String,
    pub dst_box: String,
    pub dst: u32,
    /// Tracks the session copies (the source's size).
    pub tracks: u64,
    pub transfer: Transfer,
    pub split: Auto,
    pub recovery: Auto,
    pub status: Status,
    pub phase: Phase,
    #[serde(default)]
    pub error_code: u8,
    /// Tracks still to transfer.
    #[serde(default)]
    pub pending: Ranges,
    /// Tracks to transfer when the transfer began (progress).
    #[serde(default)]
    pub total: u64,
    /// Tracks transferred since `phase_start_ms`.
    #[serde(default)]
    pub copied: u64,
    #[serde(default)]
    pub phase_start_ms: i64,
    /// Tracks written on the source / on the destination while suspended.
    #[serde(default)]
    pub src_changed: Ranges,
    #[serde(default)]
    pub dst_changed: Ranges,
    /// Suspended by a forced suspend (`-force`): the replica is not guaranteed.
    #[serde(default)]
    pub forced: bool,
    /// Emulated unix seconds of the last suspend, halt or error.
    #[serde(default)]
    pub timestamp: Option<i64>,
}

impl RecSession {
    fn between(&self, a: &str, b: &str) -> bool {
        (self.src_array == a && self.dst_array == b) || (self.src_array == b && self.dst_array == a)
    }

    fn on(&self, array: &str) -> bool {
        self.src_array == array || self.dst_array == array
    }

    fn percent(&self) -> u64 {
        if self.total == 0 {
            return 100;
        }
        (self.total - self.pending.len().min(self.total)) * 100 / self.total
    }

    /// The transfer clock restarts when there was nothing left to send.
    fn add_pending(&mut self, tracks: &Ranges, now_ms: i64) {
        if self.pending.is_empty() {
            self.phase_start_ms = now_ms;
            self.copied = 0;
            self.total = 0;
        }
        let before = self.pending.len();
        self.pending.union(tracks);
        self.total += self.pending.len() - before;
        if self.transfer == Transfer::Stack && self.status == Status::Active {
            self.phase = Phase::Copying;
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RecState {
    #[serde(default)]
    pub links: Vec<Link>,
    #[serde(default)]
    pub buffers: Vec<Buffer>,
    #[serde(default)]
    pub next_sid: u32,
    #[serde(default)]
    pub sessions: Vec<RecSession>,
}

impl RecState {
    pub fn path_up(&self, a: &str, b: &str) -> bool {
        self.links
            .iter()
            .any(|l| l.up && ((l.a == a && l.b == b) || (l.a == b && l.b == a)))
    }

    fn buffer(&self, array: &str, remote: &str, send: bool) -> Option<&Buffer> {
        self.buffers
            .iter()
            .find(|b| b.array == array && b.remote == remote && b.send == send)
    }

    /// The halt sub-state a session shows: a consistency copy halted while equivalent
    /// saves its writes into the REC buffer (into the disk buffer when one is usable).
    /// One halted during its total or differential copy, or whose buffer overflowed
    /// (phase back to copying, see [`spill`]), shows none: `halt(sync)`.
    fn buffer_use(&self, s: &RecSession) -> &'static str {
        if s.status != Status::Halt
            || s.transfer != Transfer::Consistency
            || s.phase != Phase::Equivalent
        {
            return "-";
        }
        match self.buffer(&s.src_array, &s.dst_array, true) {
            Some(b) if b.disk_usable() => "use-disk-buffer",
            Some(_) => "use-buffer",
            None => "-",
        }
    }

    /// Tracks a SEND buffer holds: the writes its consistency copies owe while equivalent
    /// (a total or differential copy is tracked by the copy bitmap, not buffered).
    fn held(&self, b: &Buffer) -> u64 {
        self.sessions
            .iter()
            .filter(|s| {
                s.src_array == b.array
                    && s.dst_array == b.remote
                    && s.transfer == Transfer::Consistency
                    && s.phase == Phase::Equivalent
                    && matches!(s.status, Status::Active | Status::Halt)
            })
            .map(|s| s.pending.len())
            .sum()
    }

    /// A SEND buffer within its unusable minute between the two ends of a consistency
    /// copy (E5206: the manual says not to run REC then).
    fn settling_buffer(&self, src: &str, dst: &str, now_ms: i64) -> Option<&Buffer> {
        [self.buffer(src, dst, true), self.buffer(dst, src, false)]
            .into_iter()
            .flatten()
            .find(|b| b.settling(now_ms))
    }
}

/// A halted consistency copy whose REC buffer cannot hold what it owes any more
/// overflows: it leaves the buffer and its owed tracks become a differential copy
/// (`halt(sync)`, manual 7.4.2.4), for every halted copy of that buffer.
fn spill(st: &mut RecState) {
    let full: Vec<(String, String)> = st
        .buffers
        .iter()
        .filter(|b| b.send && st.held(b) > b.capacity())
        .map(|b| (b.array.clone(), b.remote.clone()))
        .collect();
    for s in st.sessions.iter_mut() {
        if s.status == Status::Halt
            && s.transfer == Transfer::Consistency
            && s.phase == Phase::Equivalent
            && full
                .iter()
                .any(|(a, r)| *a == s.src_array && *r == s.dst_array)
        {
            s.phase = Phase::Copying;
            s.total = s.pending.len();
        }
    }
}

/// What a REC operation can fail with.
pub enum RecError {
    Store(StoreError),
    Cli(CliError),
}

impl From<StoreError> for RecError {
    fn from(e: StoreError) -> RecError {
        RecError::Store(e)
    }
}

impl From<CliError> for RecError {
    fn from(e: CliError) -> RecError {
        RecError::Cli(e)
    }
}

impl From<RecError> for CliError {
    fn from(e: RecError) -> CliError {
        match e {
            RecError::Store(e) => CliError("E0001", e.to_string()),
            RecError::Cli(e) => e,
        }
    }
}

impl From<RecError> for anyhow::Error {
    fn from(e: RecError) -> anyhow::Error {
        match e {
            RecError::Store(e) => anyhow::anyhow!("{e}"),
            RecError::Cli(CliError(code, text)) => anyhow::anyhow!("{code} {text}"),
        }
    }
}

/// Whether any REC state exists (no path was ever made: no REC, nothing to settle).
pub fn exists(store: &Store) -> bool {
    store.path(FILE).is_file()
}

/// The REC state under its lock, settled to `now_ms` before `f` runs.
pub fn update<R>(
    store: &Store,
    now_ms: i64,
    f: impl FnOnce(&mut RecState) -> Result<R, RecError>,
) -> Result<R, RecError> {
    store.update(FILE, |st: &mut RecState| {
        advance(st, store, now_ms);
        let out = f(st)?;
        spill(st);
        Ok(out)
    })
}

/// Settles every REC transfer to `now_ms` (before anything reads or writes a volume).
pub fn settle(store: &Store, now_ms: i64) -> Result<(), RecError> {
    if !exists(store) {
        return Ok(());
    }
    update(store, now_ms, |_| Ok(()))
}

fn load_array(store: &Store, name: &str) -> Result<model::Array, RecError> {
    model::load(store, name)?.ok_or_else(|| RecError::Cli(CliError::no_resource()))
}

/// Copies `ranges` of a volume of one box onto a volume of another (only tracks holding
/// data on either side cost anything).
fn copy_between(store: &Store, s: &RecSession, ranges: &Ranges) -> Result<(), CliError> {
    let (sdir, ddir) = (
        model::data_dir(store, &s.src_array),
        model::data_dir(store, &s.dst_array),
    );
    let dst_size = s.tracks * TRACK;
    let src_data = model::file_tracks(&sdir, s.src, s.tracks);
    let dst_data = model::file_tracks(&ddir, s.dst, s.tracks);
    for (a, b) in ranges.within(0, s.tracks).iter() {
        for t in a..b {
            if src_data.contains(t) {
                let bytes = model::read_at(&sdir, s.src, t * TRACK, TRACK as usize)?;
                model::write_at(&ddir, s.dst, dst_size, t * TRACK, &bytes)?;
            } else if dst_data.contains(t) {
                model::zero_track(&ddir, s.dst, dst_size, t)?;
            }
        }
    }
    Ok(())
}

/// Tracks whose content differs between the two ends (bytes written straight into a
/// volume file reach the replica too).
fn differing(store: &Store, s: &RecSession) -> Ranges {
    let (sdir, ddir) = (
        model::data_dir(store, &s.src_array),
        model::data_dir(store, &s.dst_array),
    );
    let mut candidates = model::file_tracks(&sdir, s.src, s.tracks);
    candidates.union(&model::file_tracks(&ddir, s.dst, s.tracks));
    let mut differ = Ranges::default();
    for (a, b) in candidates.iter() {
        for t in a..b {
            let x = model::read_at(&sdir, s.src, t * TRACK, TRACK as usize);
            let y = model::read_at(&ddir, s.dst, t * TRACK, TRACK as usize);
            if x.is_err() || y.is_err() || x != y {
                differ.insert(t, t + 1);
            }
        }
    }
    differ
}

/// Moves every running transfer forward to `now_ms` at its source box's rate.
fn advance(st: &mut RecState, store: &Store, now_ms: i64) {
    let mut rates: BTreeMap<String, u64> = BTreeMap::new();
    for i in 0..st.sessions.len() {
        let mut s = st.sessions[i].clone();
        if s.status != Status::Active || !st.path_up(&s.src_array, &s.dst_array) {
            continue;
        }
        if !s.pending.is_empty() {
            let rate = *rates.entry(s.src_array.clone()).or_insert_with(|| {
                model::load(store, &s.src_array)
                    .ok()
                    .flatten()
                    .map_or(model::DEFAULT_RATE, |a| a.rate)
            });
            let elapsed = u64::try_from(now_ms.saturating_sub(s.phase_start_ms)).unwrap_or(0);
            let due =
                (u128::from(rate) * u128::from(elapsed) / 1000).min(u128::from(u64::MAX)) as u64;
            let budget = due.saturating_sub(s.copied);
            if budget > 0 {
                let chunk = s.pending.take_first(budget);
                s.copied += chunk.len();
                if copy_between(store, &s, &chunk).is_err() {
                    s.status = Status::ErrorSuspend;
                    s.error_code = 0xBA;
                    s.timestamp = Some(now_ms / 1000);
                }
            }
        }
        // Stack mode never reports equivalence; the other modes reach it when nothing is
        // left to copy and keep it while later writes are in transfer.
        if s.status == Status::Active {
            if s.transfer == Transfer::Stack {
                s.phase = Phase::Copying;
            } else if s.pending.is_empty() {
                s.phase = Phase::Equivalent;
            }
        }
        st.sessions[i] = s;
    }
}

// ----- host writes ------------------------------------------------------------------------

/// Refuses a host write the REC sessions forbid: to a destination not suspended, or to a
/// Manual-Split synchronous source in halt.
pub fn before_write(st: &RecState, array: &str, volume: u32) -> Result<(), CliError> {
    for s in &st.sessions {
        if s.dst_array == array
            && s.dst == volume
            && matches!(s.status, Status::Active | Status::Halt)
        {
            return Err(CliError(
                "E5322",
                format!(
                    "Access denied: volume {volume} is the destination of REC session {} (not suspended).",
                    s.sid
                ),
            ));
        }
        if s.src_array == array
            && s.src == volume
            && s.status == Status::Halt
            && s.transfer == Transfer::Sync
            && s.split == Auto::Manual
        {
            return Err(CliError(
                "E5323",
                format!(
                    "Write refused: volume {volume} is the source of REC session {} in halt with Manual Split.",
                    s.sid
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses a local session start (`start advanced-copy -mode ec|opc|...` on box `array`)
/// that conflicts with a REC session, as the REC start refuses the converse: a volume is
/// the destination of one session only (a REC destination cannot be a local copy's
/// destination), and a REC destination not suspended (its data not consistent) cannot be
/// a local copy's source. Both E5342, "already been set". A line the local command parser
/// refuses anyway passes here.
pub fn before_local_start(st: &RecState, array: &str, line: &str) -> Result<(), CliError> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let Ok(opts) = options(tokens.get(2..).unwrap_or_default()) else {
        return Ok(());
    };
    let (Ok(sources), Ok(destinations)) = (
        numbers(&opts, "source-volume-number"),
        numbers(&opts, "destination-volume-number"),
    ) else {
        return Ok(());
    };
    for (&src, &dst) in sources.iter().zip(&destinations) {
        let conflict = st.sessions.iter().find(|s| {
            s.dst_array == array
                && (s.dst == dst
                    || (s.dst == src && matches!(s.status, Status::Active | Status::Halt)))
        });
        if let Some(s) = conflict {
            return Err(CliError(
                "E5342",
                format!(
                    "The copy session has already been set. (volume {} is the destination of REC session {})",
                    s.dst, s.sid
                ),
            ));
        }
    }
    Ok(())
}

/// What a host write of `touched` on `array`/`volume` means for the REC sessions: a
/// synchronous transfer copies it now, an asynchronous one queues it, a halted or
/// suspended session records it.
pub fn after_write(
    st: &mut RecState,
    store: &Store,
    array: &str,
    volume: u32,
    touched: &Ranges,
    now_ms: i64,
) {
    for i in 0..st.sessions.len() {
        let mut s = st.sessions[i].clone();
        let tracks = touched.within(0, s.tracks);
        if tracks.is_empty() {
            continue;
        }
        if s.src_array == array && s.src == volume {
            match s.status {
                Status::Active if s.transfer == Transfer::Sync => {
                    if copy_between(store, &s, &tracks).is_err() {
                        s.status = Status::ErrorSuspend;
                        s.error_code = 0xBA;
                        s.timestamp = Some(now_ms / 1000);
                    }
                    s.pending.subtract(&tracks);
                }
                Status::Active | Status::Halt => s.add_pending(&tracks, now_ms),
                _ => s.src_changed.union(&tracks),
            }
        } else if s.dst_array == array && s.dst == volume {
            s.dst_changed.union(&tracks);
        }
        st.sessions[i] = s;
    }
}

/// `arraysim eternus fail`: error-suspends the REC sessions of a volume (code 0xBA);
/// returns how many.
pub fn fail_volume(st: &mut RecState, array: &str, volume: u32, now_ms: i64) -> usize {
    let mut n = 0;
    for s in st.sessions.iter_mut().filter(|s| {
        (s.src_array == array && s.src == volume) || (s.dst_array == array && s.dst == volume)
    }) {
        s.status = Status::ErrorSuspend;
        s.error_code = 0xBA;
        s.timestamp = Some(now_ms / 1000);
        n += 1;
    }
    n
}

// ----- paths and buffers (admin) ----------------------------------------------------------

/// `arraysim eternus path A B up|down`.
pub fn set_path(st: &mut RecState, a: &str, b: &str, up: bool, now_ms: i64) {
    match st
        .links
        .iter_mut()
        .find(|l| (l.a == a && l.b == b) || (l.a == b && l.b == a))
    {
        Some(l) => l.up = up,
        None => st.links.push(Link {
            a: a.to_string(),
            b: b.to_string(),
            up,
        }),
    }
    for s in st.sessions.iter_mut().filter(|s| s.between(a, b)) {
        match (up, s.status) {
            (false, Status::Active) => {
                s.status = Status::Halt;
                s.timestamp = Some(now_ms / 1000);
            }
            (true, Status::Halt) if s.recovery == Auto::Auto => {
                s.status = Status::Active;
                s.phase_start_ms = now_ms;
                s.copied = 0;
                s.total = s.pending.len();
                // A consistency copy that kept its writes in the REC buffer resumes
                // equivalent, sending them (manual 7.4.2.4).
                let buffered = s.transfer == Transfer::Consistency && s.phase == Phase::Equivalent;
                s.phase = if buffered || (s.pending.is_empty() && s.transfer != Transfer::Stack) {
                    Phase::Equivalent
                } else {
                    Phase::Copying
                };
                // The manual: the Date shows the placeholder after an automatic recovery.
                s.timestamp = None;
            }
            _ => {}
        }
    }
}

/// `arraysim eternus rec-buffer ARRAY ID --use SEND|RECV --remote ARRAY2 [--disk-buffer]`.
pub fn set_buffer(st: &mut RecState, buffer: Buffer) {
    st.buffers
        .retain(|b| !(b.array == buffer.array && b.id == buffer.id));
    st.buffers.push(buffer);
    st.buffers
        .sort_by(|x, y| (&x.array, x.id).cmp(&(&y.array, y.id)));
}

/// `arraysim eternus rec-buffer ARRAY ID --disk-state S [--disk-code NN]`: a fault (or its
/// repair) of the REC Disk buffer of an existing SEND buffer.
pub fn set_disk_state(
    st: &mut RecState,
    array: &str,
    id: u32,
    state: DiskState,
    code: u8,
) -> Result<(), RecError> {
    let Some(b) = st
        .buffers
        .iter_mut()
        .find(|b| b.array == array && b.id == id)
    else {
        return Err(CliError("E0110", format!("no REC buffer {id} on {array}")).into());
    };
    if !b.send || !b.disk {
        return Err(CliError(
            "E0019",
            format!("REC buffer {id} of {array} has no REC Disk buffer (a SEND buffer defined with --disk-buffer)"),
        )
        .into());
    }
    b.disk_state = state;
    b.disk_code = if state == DiskState::Active { 0 } else { code };
    Ok(())
}

// ----- CLI --------------------------------------------------------------------------------

/// Whether a CLI line is a REC command (answered here, not by one array alone).
pub fn handles(line: &str) -> bool {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    tokens.get(1) == Some(&"rec-buffer")
        || tokens
            .windows(2)
            .any(|w| (w[0] == "-type" || w[0] == "-mode") && w[1] == "rec")
}

/// Answers a REC command line on box `name`.
pub fn answer(store: &Store, name: &str, now_ms: i64, line: &str) -> Result<Vec<String>, CliError> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let opts = options(tokens.get(2..).unwrap_or_default())?;
    let run = |st: &mut RecState| -> Result<Vec<String>, RecError> {
        let out = match tokens.get(..2).unwrap_or_default() {
            ["show", "advanced-copy-sessions"] => {
                check_known(&opts, &["type", "detail"])?;
                show(st, name)
            }
            ["start", "advanced-copy"] => start(st, store, name, now_ms, &opts)?,
            ["suspend", "advanced-copy"] => suspend(st, store, name, now_ms, &opts)?,
            ["resume", "advanced-copy"] => resume(st, store, name, now_ms, &opts)?,
            ["stop", "advanced-copy"] => {
                check_known(&opts, &["type", "session-id"])?;
                let at = sids(st, name, &opts)?;
                let gone: Vec<u32> = at.iter().map(|&i| st.sessions[i].sid).collect();
                st.sessions.retain(|s| !gone.contains(&s.sid));
                Vec::new()
            }
            ["reverse", "advanced-copy"] => reverse(st, name, &opts)?,
            ["set", "advanced-copy"] => change(st, name, now_ms, &opts)?,
            ["show", "rec-buffer"] => {
                check_known(&opts, &[])?;
                show_buffers(st, store, name, now_ms)?
            }
            ["set", "rec-buffer"] => set_buffer_use(st, name, now_ms, &opts)?,
            _ => return Err(CliError("E0002", format!("Unknown command. ({line})")).into()),
        };
        // The transfers started or resumed here begin at once.
        advance(st, store, now_ms);
        Ok(out)
    };
    // No path was ever made: nothing to list, nothing to start (no path), and a query
    // creates no state file.
    if !exists(store) {
        return run(&mut RecState::default()).map_err(CliError::from);
    }
    update(store, now_ms, run).map_err(CliError::from)
}

fn inconsistent() -> CliError {
    CliError("E0019", "Inconsistent parameter.".into())
}

fn settling(b: &Buffer) -> CliError {
    CliError(
        "E5206",
        format!(
            "The REC buffer {} of {} is not usable yet: its use was changed less than a minute ago.",
            b.id, b.array
        ),
    )
}

fn no_path(remote: &str) -> CliError {
    CliError(
        "E5204",
        format!("The REC path to the remote storage system is not available. ({remote})"),
    )
}

/// The sessions named by `-session-id` that box `name` is an end of.
fn sids(st: &RecState, name: &str, opts: &[(String, String)]) -> Result<Vec<usize>, CliError> {
    numbers(opts, "session-id")?
        .into_iter()
        .map(|sid| {
            st.sessions
                .iter()
                .position(|s| s.sid == sid && s.on(name))
                .ok_or_else(CliError::no_resource)
        })
        .collect()
}

const HEADS: [(&str, usize); 15] = [
    ("SID", 5),
    ("Source-Box-ID", 40),
    ("Src-Vol", 7),
    ("Destination-Box-ID", 40),
    ("Dst-Vol", 7),
    ("Status", 13),
    ("Phase", 10),
    ("Transfer", 11),
    ("Split", 6),
    ("Recovery", 8),
    ("Buffer", 15),
    ("Suspend", 7),
    ("Copied(%)", 9),
    ("Error-Code", 10),
    ("Time-Stamp", 19),
];

/// `show advanced-copy-sessions -type rec`: the REC sessions this box is an end of.
fn show(st: &RecState, name: &str) -> Vec<String> {
    let row = |cells: Vec<String>| {
        cells
            .iter()
            .zip(HEADS.iter())
            .map(|(c, (_, w))| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join(" ")
            .trim_end()
            .to_string()
    };
    let mut lines = vec![
        row(HEADS.iter().map(|(h, _)| h.to_string()).collect()),
        HEADS
            .iter()
            .map(|(_, w)| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join(" "),
    ];
    for s in st.sessions.iter().filter(|s| s.on(name)) {
        let stamp = s.timestamp.map_or("-".to_string(), |t| {
            let (local, _) = crate::clock::local_time(t);
            local.format("%Y/%m/%d %H:%M:%S").to_string()
        });
        let copied = match (s.status, s.phase) {
            (Status::Active | Status::Halt, Phase::Copying) => s.percent().to_string(),
            _ => "-".to_string(),
        };
        lines.push(row(vec![
            s.sid.to_string(),
            s.src_box.clone(),
            s.src.to_string(),
            s.dst_box.clone(),
            s.dst.to_string(),
            s.status.text().to_string(),
            s.phase.text().to_string(),
            s.transfer.text().to_string(),
            if s.transfer == Transfer::Sync {
                s.split.text().to_string()
            } else {
                "-".to_string()
            },
            s.recovery.text().to_string(),
            st.buffer_use(s).to_string(),
            match s.status {
                Status::Suspend if s.forced => "forced".to_string(),
                Status::Suspend => "normal".to_string(),
                _ => "-".to_string(),
            },
            copied,
            format!("0x{:02X}", s.error_code),
            stamp,
        ]));
    }
    lines
}

fn start(
    st: &mut RecState,
    store: &Store,
    name: &str,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, RecError> {
    check_known(
        opts,
        &[
            "mode",
            "source-volume-number",
            "destination-box-id",
            "destination-volume-number",
            "transfer-mode",
            "split",
            "recovery",
            "initial-copy",
        ],
    )?;
    let transfer = match get(opts, "transfer-mode") {
        None => Transfer::Through,
        Some(t) => Transfer::parse(t)
            .ok_or_else(|| CliError("E0001", format!("Bad value. (-transfer-mode {t})")))?,
    };
    let split = match get(opts, "split") {
        None => Auto::Auto,
        Some(v) if transfer == Transfer::Sync => {
            Auto::parse(v).ok_or_else(|| CliError("E0001", format!("Bad value. (-split {v})")))?
        }
        Some(_) => return Err(inconsistent().into()),
    };
    let recovery = match get(opts, "recovery") {
        None => Auto::Auto,
        Some(v) => Auto::parse(v)
            .ok_or_else(|| CliError("E0001", format!("Bad value. (-recovery {v})")))?,
    };
    let skip = match get(opts, "initial-copy") {
        None => false,
        Some("skip") => true,
        Some(v) => return Err(CliError("E0001", format!("Bad value. (-initial-copy {v})")).into()),
    };
    let remote_box = get(opts, "destination-box-id")
        .ok_or_else(|| CliError("E0004", "Missing parameter. (-destination-box-id)".into()))?;
    let local = load_array(store, name)?;
    let mut remote = None;
    for other in model::list(store)? {
        if other == name {
            continue;
        }
        if let Some(a) = model::load(store, &other)? {
            if a.box_id == remote_box {
                remote = Some(a);
                break;
            }
        }
    }
    let remote = remote.ok_or_else(|| {
        CliError(
            "E0110",
            format!("Resource does not exist. (remote box {remote_box})"),
        )
    })?;
    if !st.path_up(name, &remote.name) {
        return Err(no_path(&remote.name).into());
    }
    if transfer == Transfer::Consistency
        && (st.buffer(name, &remote.name, true).is_none()
            || st.buffer(&remote.name, name, false).is_none())
    {
        return Err(CliError(
            "E5205",
            format!(
                "No REC buffer for Consistency mode between {name} (SEND) and {} (RECV).",
                remote.name
            ),
        )
        .into());
    }
    if transfer == Transfer::Consistency {
        if let Some(b) = st.settling_buffer(name, &remote.name, now_ms) {
            return Err(settling(b).into());
        }
    }
    let sources = numbers(opts, "source-volume-number")?;
    let destinations = numbers(opts, "destination-volume-number")?;
    if sources.len() != destinations.len() || sources.is_empty() {
        return Err(inconsistent().into());
    }
    let mut plan = Vec::new();
    for (&src, &dst) in sources.iter().zip(&destinations) {
        let (s, d) = (local.volume(src)?, remote.volume(dst)?);
        if d.size_mb < s.size_mb || s.is_sdv() || d.is_sdv() {
            return Err(inconsistent().into());
        }
        let busy = st.sessions.iter().any(|x| {
            (x.dst_array == remote.name && x.dst == dst)
                || (x.src_array == name && x.src == src && x.dst_array == remote.name)
                || (x.dst_array == name && x.dst == src)
        }) || remote.sessions.iter().any(|x| x.dst == dst);
        if busy {
            return Err(CliError("E5342", "The copy session has already been set.".into()).into());
        }
        plan.push((src, dst, s.tracks()));
    }
    for (src, dst, tracks) in plan {
        st.next_sid = st.next_sid.max(1);
        let sid = st.next_sid;
        st.next_sid += 1;
        st.sessions.push(RecSession {
            sid,
            src_array: name.to_string(),
            src_box: local.box_id.clone(),
            src,
            dst_array: remote.name.clone(),
            dst_box: remote.box_id.clone(),
            dst,
            tracks,
            transfer,
            split,
            recovery,
            status: if skip {
                Status::Suspend
            } else {
                Status::Active
            },
            phase: if skip { Phase::Suspend } else { Phase::Copying },
            error_code: 0,
            pending: if skip {
                Ranges::default()
            } else {
                Ranges::span(0, tracks)
            },
            total: if skip { 0 } else { tracks },
            copied: 0,
            phase_start_ms: now_ms,
            src_changed: Ranges::default(),
            dst_changed: Ranges::default(),
            forced: false,
            timestamp: skip.then_some(now_ms / 1000),
        });
    }
    Ok(Vec::new())
}

fn suspend(
    st: &mut RecState,
    store: &Store,
    name: &str,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, RecError> {
    check_known(opts, &["type", "session-id", "force"])?;
    let force = get(opts, "force").is_some();
    let at = sids(st, name, opts)?;
    for &i in &at {
        let s = &st.sessions[i];
        let ok = if force {
            matches!(s.status, Status::Active | Status::Halt)
        } else {
            s.status == Status::Active && s.phase == Phase::Equivalent
        };
        if !ok {
            return Err(CliError("E5201", "Invalid copy phase.".into()).into());
        }
    }
    // Every session named is suspended at this one point in time: what was still to
    // transfer (asynchronous modes) reaches the replica first.
    for &i in &at {
        let mut s = st.sessions[i].clone();
        if force {
            let was_halt = s.status == Status::Halt;
            let left = std::mem::take(&mut s.pending);
            s.src_changed.union(&left);
            s.forced = true;
            if was_halt {
                s.timestamp = None;
            }
        } else {
            // Only what the session owes: after a -remain restart the replica may hold
            // data the source never had (a tape restore), which stays.
            let todo = std::mem::take(&mut s.pending);
            copy_between(store, &s, &todo)?;
            s.forced = false;
            s.src_changed = Ranges::default();
            s.timestamp = Some(now_ms / 1000);
        }
        s.dst_changed = Ranges::default();
        s.status = Status::Suspend;
        s.phase = Phase::Suspend;
        st.sessions[i] = s;
    }
    Ok(Vec::new())
}

fn resume(
    st: &mut RecState,
    store: &Store,
    name: &str,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, RecError> {
    check_known(opts, &["type", "session-id", "remain"])?;
    let remain = get(opts, "remain").is_some();
    let at = sids(st, name, opts)?;
    for &i in &at {
        let s = &st.sessions[i];
        if s.status != Status::Suspend {
            return Err(bad_state().into());
        }
        if !st.path_up(&s.src_array, &s.dst_array) {
            return Err(no_path(&s.dst_array).into());
        }
    }
    for &i in &at {
        let mut s = st.sessions[i].clone();
        let mut todo = std::mem::take(&mut s.src_changed);
        let replica = std::mem::take(&mut s.dst_changed);
        if !remain {
            // Updates made on the replica since the split are discarded.
            todo.union(&replica);
            todo.union(&differing(store, &s));
        }
        s.pending = todo;
        s.total = s.pending.len();
        s.copied = 0;
        s.phase_start_ms = now_ms;
        s.status = Status::Active;
        s.forced = false;
        s.phase = if s.pending.is_empty() && s.transfer != Transfer::Stack {
            Phase::Equivalent
        } else {
            Phase::Copying
        };
        st.sessions[i] = s;
    }
    Ok(Vec::new())
}

fn reverse(
    st: &mut RecState,
    name: &str,
    opts: &[(String, String)],
) -> Result<Vec<String>, RecError> {
    check_known(opts, &["type", "session-id"])?;
    let at = sids(st, name, opts)?;
    if at.iter().any(|&i| st.sessions[i].status != Status::Suspend) {
        return Err(bad_state().into());
    }
    for i in at {
        let s = &mut st.sessions[i];
        std::mem::swap(&mut s.src_array, &mut s.dst_array);
        std::mem::swap(&mut s.src_box, &mut s.dst_box);
        std::mem::swap(&mut s.src, &mut s.dst);
        std::mem::swap(&mut s.src_changed, &mut s.dst_changed);
    }
    Ok(Vec::new())
}

/// `set advanced-copy -type rec`: transfer, split and recovery modes (swsrpchsync).
fn change(
    st: &mut RecState,
    name: &str,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, RecError> {
    check_known(
        opts,
        &["type", "session-id", "transfer-mode", "split", "recovery"],
    )?;
    let transfer = match get(opts, "transfer-mode") {
        None => None,
        Some(t) => Some(
            Transfer::parse(t)
                .ok_or_else(|| CliError("E0001", format!("Bad value. (-transfer-mode {t})")))?,
        ),
    };
    let parse_auto = |key: &str| -> Result<Option<Auto>, CliError> {
        match get(opts, key) {
            None => Ok(None),
            Some(v) => Auto::parse(v)
                .map(Some)
                .ok_or_else(|| CliError("E0001", format!("Bad value. (-{key} {v})"))),
        }
    };
    let split = parse_auto("split")?;
    let recovery = parse_auto("recovery")?;
    if transfer.is_none() && split.is_none() && recovery.is_none() {
        return Err(CliError("E0004", "Missing parameter. (-transfer-mode)".into()).into());
    }
    let at = sids(st, name, opts)?;
    for &i in &at {
        let s = &st.sessions[i];
        if matches!(s.status, Status::Halt | Status::ErrorSuspend) {
            return Err(bad_state().into());
        }
        let sync_after = transfer.unwrap_or(s.transfer) == Transfer::Sync;
        if split.is_some() && !sync_after {
            return Err(inconsistent().into());
        }
        if transfer == Some(Transfer::Consistency)
            && s.transfer != Transfer::Consistency
            && (st.buffer(&s.src_array, &s.dst_array, true).is_none()
                || st.buffer(&s.dst_array, &s.src_array, false).is_none())
        {
            return Err(CliError(
                "E5205",
                format!(
                    "No REC buffer for Consistency mode between {} (SEND) and {} (RECV).",
                    s.src_array, s.dst_array
                ),
            )
            .into());
        }
        if transfer == Some(Transfer::Consistency) && s.transfer != Transfer::Consistency {
            if let Some(b) = st.settling_buffer(&s.src_array, &s.dst_array, now_ms) {
                return Err(settling(b).into());
            }
        }
    }
    for i in at {
        let s = &mut st.sessions[i];
        if let Some(t) = transfer {
            if t == Transfer::Sync && s.transfer != Transfer::Sync {
                s.split = split.unwrap_or(Auto::Auto);
            }
            s.transfer = t;
            if s.status == Status::Active && t == Transfer::Stack {
                s.phase = Phase::Copying;
            }
            if s.status == Status::Active {
                s.phase_start_ms = now_ms;
                s.copied = 0;
                s.total = s.pending.len();
            }
        }
        if let Some(v) = split {
            s.split = v;
        }
        if let Some(v) = recovery {
            s.recovery = v;
        }
    }
    Ok(Vec::new())
}

/// `show rec-buffer`: this box's REC buffers, their use and usage rates (manual 8.3.1.4):
/// a SEND buffer's `Rate` is what its consistency copies hold over its cache memory (never
/// 0%), what does not fit there goes to the disk buffer (`Disk-Rate`); `----` for the
/// minute after a `set rec-buffer`.
fn show_buffers(
    st: &RecState,
    store: &Store,
    name: &str,
    now_ms: i64,
) -> Result<Vec<String>, RecError> {
    let mut lines = vec![
        format!(
            "{:<5} {:<4} {:<4} {:<40} {:<16} {}",
            "ID", "Use", "Rate", "Remote-Box-ID", "Disk-Buffer", "Disk-Rate"
        ),
        format!(
            "{} {} {} {} {} {}",
            "-".repeat(5),
            "-".repeat(4),
            "-".repeat(4),
            "-".repeat(40),
            "-".repeat(16),
            "-".repeat(9)
        ),
    ];
    for b in st.buffers.iter().filter(|b| b.array == name) {
        let remote_box = load_array(store, &b.remote).map_or("-".to_string(), |a| a.box_id);
        let held = if b.send { st.held(b) } else { 0 };
        let memory = mb_tracks(b.size_mb).max(1);
        let rate = match (b.send, b.settling(now_ms)) {
            (_, true) => "----".to_string(),
            (true, false) => format!("{}%", (held.min(memory) * 100 / memory).max(1)),
            (false, false) => "0%".to_string(),
        };
        let disk_rate = if b.send && b.disk_usable() {
            let disk = mb_tracks(b.disk_size_mb).max(1);
            format!("{}%", (held.saturating_sub(memory).min(disk) * 100 / disk))
        } else {
            "---".to_string()
        };
        lines.push(format!(
            "{:<5} {:<4} {:<4} {:<40} {:<16} {}",
            b.id,
            if b.send { "SEND" } else { "RECV" },
            rate,
            remote_box,
            b.disk_text(),
            disk_rate
        ));
    }
    Ok(lines)
}

/// `set rec-buffer -buffer-id N -use send|recv` (swsrprecbuffset).
fn set_buffer_use(
    st: &mut RecState,
    name: &str,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, RecError> {
    check_known(opts, &["buffer-id", "use"])?;
    let id = match numbers(opts, "buffer-id")?.as_slice() {
        [id] => *id,
        _ => return Err(inconsistent().into()),
    };
    let send = match get(opts, "use") {
        Some("send") => true,
        Some("recv") => false,
        Some(v) => return Err(CliError("E0001", format!("Bad value. (-use {v})")).into()),
        None => return Err(CliError("E0004", "Missing parameter. (-use)".into()).into()),
    };
    let Some(at) = st
        .buffers
        .iter()
        .position(|b| b.array == name && b.id == id)
    else {
        return Err(CliError::no_resource().into());
    };
    let remote = st.buffers[at].remote.clone();
    if st.sessions.iter().any(|s| {
        s.between(name, &remote)
            && s.transfer == Transfer::Consistency
            && matches!(s.status, Status::Active | Status::ErrorSuspend)
    }) {
        return Err(CliError(
            "E5321",
            "A Consistency mode session is active or error suspended: the REC buffer cannot be changed."
                .into(),
        )
        .into());
    }
    let b = &mut st.buffers[at];
    b.send = send;
    b.changed_ms = now_ms;
    Ok(Vec::new())
}
