//! The state of one emulated ETERNUS DX (`eternus/<NAME>.json`) and its volumes, which are
//! sparse files `eternus/<NAME>/vol<N>.img` created on first write.
//!
//! Copies move real bytes with point-in-time semantics: a session's `pending` tracks are
//! copied in the background at `rate` tracks per (emulated) second; a host write to a
//! source track still pending is preceded by the copy of that track (copy-on-first-write),
//! so the destination always ends up with the source as of the session start. QuickOPC and
//! suspended EC sessions record the tracks written since (`tracked`), so a differential
//! restart or a resume copies only those. `written` marks the tracks of a volume that may
//! hold non-zero data, so copying a large, mostly empty volume costs nothing.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ranges::Ranges;
use crate::store::{Store, StoreError};

pub const DIR: &str = "eternus";
/// 64 KiB tracks.
pub const TRACK: u64 = 64 * 1024;
/// 1 GiB/s.
pub const DEFAULT_RATE: u64 = 16_384;
pub const DEFAULT_SESSION_LIMIT: usize = 65_535;

pub fn rel_path(name: &str) -> String {
    format!("{DIR}/{name}.json")
}

pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub name: String,
    pub size_mb: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(default, skip_serializing_if = "Ranges::is_empty")]
    pub written: Ranges,
    #[serde(default, skip_serializing_if = "Ranges::is_empty")]
    pub bad: Ranges,
    /// A Snap Data Volume: its physical capacity (MB); `size_mb` is its logical size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sdv_physical_mb: Option<u64>,
}

impl Volume {
    pub fn tracks(&self) -> u64 {
        self.size_mb * 1024 * 1024 / TRACK
    }

    pub fn is_sdv(&self) -> bool {
        self.sdv_physical_mb.is_some()
    }

    /// Physical capacity of an SDV, in tracks.
    pub fn physical_tracks(&self) -> u64 {
        self.sdv_physical_mb.unwrap_or(0) * 1024 * 1024 / TRACK
    }
}

/// A Snap Data Pool (`arraysim eternus add-pool`): capacity an SDV draws on when its own
/// physical capacity is used up.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Pool {
    /// `normal` or `encrypted`.
    pub kind: String,
    pub size_mb: u64,
}

impl Pool {
    pub fn tracks(&self) -> u64 {
        self.size_mb * 1024 * 1024 / TRACK
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CType {
    #[serde(rename = "OPC")]
    Opc,
    #[serde(rename = "QuickOPC")]
    QuickOpc,
    #[serde(rename = "SnapOPC")]
    SnapOpc,
    #[serde(rename = "SnapOPC+")]
    SnapOpcPlus,
    #[serde(rename = "EC")]
    Ec,
    #[serde(rename = "REC")]
    Rec,
}

impl CType {
    pub fn text(self) -> &'static str {
        match self {
            CType::Opc => "OPC",
            CType::QuickOpc => "QuickOPC",
            CType::SnapOpc => "SnapOPC",
            CType::SnapOpcPlus => "SnapOPC+",
            CType::Ec => "EC",
            CType::Rec => "REC",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Active,
    Reserved,
    #[serde(rename = "Error Suspend")]
    ErrorSuspend,
    Suspend,
    Halt,
}

impl Status {
    pub fn text(self) -> &'static str {
        match self {
            Status::Active => "Active",
            Status::Reserved => "Reserved",
            Status::ErrorSuspend => "Error Suspend",
            Status::Suspend => "Suspend",
            Status::Halt => "Halt",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Copying,
    #[serde(rename = "Tracking & Copy")]
    TrackingCopy,
    Tracking,
    Equivalent,
    Suspend,
    Readying,
}

impl Phase {
    pub fn text(self) -> &'static str {
        match self {
            Phase::Copying => "Copying",
            Phase::TrackingCopy => "Tracking & Copy",
            Phase::Tracking => "Tracking",
            Phase::Equivalent => "Equivalent",
            Phase::Suspend => "Suspend",
            Phase::Readying => "Readying",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Session {
    pub sid: u32,
    pub ctype: CType,
    pub src: u32,
    pub dst: u32,
    pub status: Status,
    pub phase: Phase,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub error_code: u8,
    /// Tracks still to copy in this phase.
    #[serde(default, skip_serializing_if = "Ranges::is_empty")]
    pub pending: Ranges,
    /// Tracks to copy when the phase began (for the progress percentage).
    #[serde(default)]
    pub total: u64,
    /// Tracks copied in the background so far in this phase.
    #[serde(default)]
    pub copied: u64,
    /// Emulated milliseconds when the phase began.
    #[serde(default)]
    pub phase_start_ms: i64,
    /// Tracks changed on either volume since the logical copy (QuickOPC) or the suspend (EC).
    #[serde(default, skip_serializing_if = "Ranges::is_empty")]
    pub tracked: Ranges,
    /// `-destination-access no-access` (EC -Xda).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_access: bool,
    /// Emulated unix seconds of the last logical copy, suspend or error.
    #[serde(default)]
    pub timestamp: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u32>,
    /// SnapOPC/SnapOPC+: the tracks held in the destination (saved by copy-on-write
    /// before a source write, or written by the host on the destination).
    #[serde(default, skip_serializing_if = "Ranges::is_empty")]
    pub saved: Ranges,
}

/// Fields at their default are left out of the state file (they read back as the
/// default): a settled session is about a third shorter, and every answer parses 10,000 of
/// them.
fn is_zero(code: &u8) -> bool {
    *code == 0
}

impl Session {
    /// A background (physical) copy runs: OPC, QuickOPC, EC. Copy-on-write sessions have
    /// none.
    pub fn copying(&self) -> bool {
        self.status == Status::Active
            && matches!(self.phase, Phase::Copying | Phase::TrackingCopy)
            && !self.is_snap()
    }

    pub fn is_snap(&self) -> bool {
        matches!(self.ctype, CType::SnapOpc | CType::SnapOpcPlus)
    }

    pub fn percent(&self) -> u64 {
        if self.total == 0 {
            return 100;
        }
        (self.total - self.pending.len().min(self.total)) * 100 / self.total
    }

    pub fn update_percent(&self, tracks: u64) -> u64 {
        if tracks == 0 {
            return 0;
        }
        let changed = self.tracked.len() * 100;
        changed.div_ceil(tracks).min(100)
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    /// Tracks copied by sessions (background, copy-on-write and mirroring).
    pub copied_tracks: u64,
    pub copied_bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Array {
    pub name: String,
    pub box_id: String,
    pub rate: u64,
    #[serde(default = "default_limit")]
    pub session_limit: usize,
    pub next_sid: u32,
    pub volumes: BTreeMap<u32, Volume>,
    pub sessions: Vec<Session>,
    #[serde(default)]
    pub stats: Stats,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pools: Vec<Pool>,
    /// 512-byte blocks written per volume since `swstestupdate start` (each block once).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub update_counters: BTreeMap<u32, Ranges>,
}

fn default_limit() -> usize {
    DEFAULT_SESSION_LIMIT
}

/// A CLI error: code and text, printed `Error: <code> <text>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError(pub &'static str, pub String);

impl CliError {
    pub fn no_resource() -> CliError {
        CliError("E0110", "Resource does not exist.".into())
    }
}

/// Where an array's volume files live.
pub fn data_dir(store: &Store, name: &str) -> PathBuf {
    store.path(&format!("{DIR}/{name}"))
}

fn vol_path(dir: &Path, number: u32) -> PathBuf {
    dir.join(format!("vol{number}.img"))
}

fn io(path: &Path, e: std::io::Error) -> CliError {
    CliError(
        "E0001",
        format!("internal error on {}: {e}", path.display()),
    )
}

pub(crate) fn read_at(
    dir: &Path,
    number: u32,
    offset: u64,
    len: usize,
) -> Result<Vec<u8>, CliError> {
    let path = vol_path(dir, number);
    let mut buf = vec![0u8; len];
    let mut f = match std::fs::File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(buf),
        Err(e) => return Err(io(&path, e)),
    };
    f.seek(SeekFrom::Start(offset)).map_err(|e| io(&path, e))?;
    let mut got = 0;
    while got < len {
        match f.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) => return Err(io(&path, e)),
        }
    }
    Ok(buf)
}

pub(crate) fn write_at(
    dir: &Path,
    number: u32,
    size: u64,
    offset: u64,
    data: &[u8],
) -> Result<(), CliError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let path = vol_path(dir, number);
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io(&path, e))?;
    if f.metadata().map(|m| m.len()).unwrap_or(0) != size {
        f.set_len(size).map_err(|e| io(&path, e))?;
    }
    f.seek(SeekFrom::Start(offset)).map_err(|e| io(&path, e))?;
    f.write_all(data).map_err(|e| io(&path, e))
}

/// The tracks of a volume file that hold data, from its extents (SEEK_DATA/SEEK_HOLE):
/// whatever wrote them, the emulator or anything writing the file straight. Volume files
/// are sparse, so an untouched volume has none.
pub(crate) fn file_tracks(dir: &Path, number: u32, tracks: u64) -> Ranges {
    use nix::unistd::{lseek, Whence};
    use std::os::fd::AsRawFd;
    let mut found = Ranges::default();
    let Ok(f) = std::fs::File::open(vol_path(dir, number)) else {
        return found;
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let len = i64::try_from(len).unwrap_or(i64::MAX);
    let fd = f.as_raw_fd();
    let mut pos: i64 = 0;
    while pos < len {
        let Ok(data) = lseek(fd, pos, Whence::SeekData) else {
            break;
        };
        let hole = lseek(fd, data, Whence::SeekHole).unwrap_or(len);
        let (a, b) = (data.max(0) as u64, hole.max(data).max(0) as u64);
        found.insert(a / TRACK, b.div_ceil(TRACK));
        if hole <= pos {
            break;
        }
        pos = hole;
    }
    found.within(0, tracks)
}

/// The volumes whose file exists in `dir` (`vol<N>.img`); empty when the directory does
/// not exist, None when it cannot be read.
fn volume_files(dir: &Path) -> Option<std::collections::BTreeSet<u32>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Some(Default::default()),
        Err(_) => return None,
    };
    let mut files = std::collections::BTreeSet::new();
    for entry in entries {
        let entry = entry.ok()?;
        let name = entry.file_name();
        let number = name
            .to_str()
            .and_then(|n| n.strip_prefix("vol"))
            .and_then(|n| n.strip_suffix(".img"))
            .and_then(|n| n.parse().ok());
        if let Some(number) = number {
            files.insert(number);
        }
    }
    Some(files)
}

/// Makes track `t` of a volume read as zeros (a hole where the filesystem allows).
pub(crate) fn zero_track(dir: &Path, number: u32, size: u64, t: u64) -> Result<(), CliError> {
    use nix::fcntl::{fallocate, FallocateFlags};
    use std::os::fd::AsRawFd;
    let path = vol_path(dir, number);
    if let Ok(f) = OpenOptions::new().write(true).open(&path) {
        let punched = fallocate(
            f.as_raw_fd(),
            FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE,
            i64::try_from(t * TRACK).unwrap_or(i64::MAX),
            i64::try_from(TRACK).unwrap_or(i64::MAX),
        );
        if punched.is_ok() {
            return Ok(());
        }
    }
    write_at(dir, number, size, t * TRACK, &vec![0u8; TRACK as usize])
}

/// A host access refused by the array (EC destination, `-Xda`).
fn refused(number: u32, sid: u32, what: &str) -> CliError {
    CliError(
        "E5322",
        format!(
            "Access denied: volume {number} is the destination of copy session {sid} ({what})."
        ),
    )
}

impl Array {
    pub fn new(name: &str, box_id: &str) -> Array {
        Array {
            name: name.to_string(),
            box_id: box_id.to_string(),
            rate: DEFAULT_RATE,
            session_limit: DEFAULT_SESSION_LIMIT,
            next_sid: 1,
            volumes: BTreeMap::new(),
            sessions: Vec::new(),
            stats: Stats::default(),
            pools: Vec::new(),
            update_counters: BTreeMap::new(),
        }
    }

    pub fn volume(&self, number: u32) -> Result<&Volume, CliError> {
        self.volumes.get(&number).ok_or_else(CliError::no_resource)
    }

    /// Copies tracks `ranges` of `src` onto `dst` (only tracks that may hold data are read;
    /// tracks empty on both sides cost nothing). A bad source track stops the copy.
    fn copy_tracks(&mut self, dir: &Path, src: u32, dst: u32, ranges: &Ranges) -> Result<(), u64> {
        self.copy_tracks_among(dir, src, dst, ranges, None)
    }

    /// [`Array::copy_tracks`], where `files`, when known, holds every volume whose file
    /// may exist (a volume not in it has no file, so no extents to look up: 20,000 `open`
    /// calls of absent files were a quarter of settling 10,000 copies of empty volumes).
    fn copy_tracks_among(
        &mut self,
        dir: &Path,
        src: u32,
        dst: u32,
        ranges: &Ranges,
        files: Option<&std::collections::BTreeSet<u32>>,
    ) -> Result<(), u64> {
        let (Some(s), Some(d)) = (
            self.volumes.get(&src).cloned(),
            self.volumes.get(&dst).cloned(),
        ) else {
            return Ok(());
        };
        let dst_size = d.size_mb * 1024 * 1024;
        let on_disk = |number: u32, tracks: u64| match files {
            Some(files) if !files.contains(&number) => Ranges::default(),
            _ => file_tracks(dir, number, tracks),
        };
        // What the files hold now, not only what the emulator wrote: bytes written straight
        // into a volume file are copied too.
        let mut src_data = s.written.clone();
        src_data.union(&on_disk(src, s.tracks()));
        let mut dst_data = d.written.clone();
        dst_data.union(&on_disk(dst, d.tracks()));
        for (a, b) in ranges.iter() {
            if let Some((bad, _)) = s.bad.within(a, b).iter().next() {
                return Err(bad);
            }
            let mut data_tracks = src_data.within(a, b);
            let mut zero_tracks = dst_data.within(a, b);
            zero_tracks.subtract(&data_tracks);
            data_tracks = data_tracks.within(0, d.tracks());
            for (x, y) in data_tracks.iter() {
                for t in x..y {
                    let bytes = read_at(dir, src, t * TRACK, TRACK as usize).map_err(|_| t)?;
                    write_at(dir, dst, dst_size, t * TRACK, &bytes).map_err(|_| t)?;
                }
            }
            for (x, y) in zero_tracks.iter() {
                for t in x..y {
                    zero_track(dir, dst, dst_size, t).map_err(|_| t)?;
                }
            }
            if let Some(v) = self.volumes.get_mut(&dst) {
                v.written.remove(a, b);
                v.written.union(&data_tracks);
            }
            self.stats.copied_tracks += b - a;
            self.stats.copied_bytes += (b - a) * TRACK;
        }
        Ok(())
    }

    fn fail(session: &mut Session, now_ms: i64) {
        session.status = Status::ErrorSuspend;
        session.error_code = 0xBA;
        session.timestamp = Some(now_ms / 1000);
    }

    /// Moves every background copy forward to `now_ms` and ends finished phases.
    /// Moves the background copies to `now_ms`. False when no session was copying (the
    /// array is unchanged: an answer to a `show` need not be written back).
    pub fn advance(&mut self, dir: &Path, now_ms: i64) -> bool {
        let mut moved = false;
        // The volumes showing a snapshot image, found once: asking for each copying session
        // (`snap_of`, a scan of every session) was quadratic, most of the first listing
        // after 10,000 copies started. Nothing below makes a snapshot session active, so a
        // volume not in this set stays a plain source for the whole pass.
        let snapshot_images: std::collections::BTreeSet<u32> = self
            .sessions
            .iter()
            .filter(|s| s.is_snap() && s.status == Status::Active)
            .map(|s| s.dst)
            .collect();
        // The volume files that exist, listed once when something copies (not one `open`
        // per volume per copying session); None when the directory cannot be listed, and
        // every file is then looked at.
        // Snapshot destinations may get a file from a copy-on-write during the pass: they
        // count as present.
        let mut files = if self.sessions.iter().any(Session::copying) {
            volume_files(dir).map(|mut files| {
                files.extend(&snapshot_images);
                files
            })
        } else {
            None
        };
        let mut i = 0;
        while i < self.sessions.len() {
            // Settled sessions (most of a large array) are left alone, not cloned.
            if !self.sessions[i].copying() {
                i += 1;
                continue;
            }
            moved = true;
            let mut s = self.sessions[i].clone();
            let elapsed = u64::try_from(now_ms.saturating_sub(s.phase_start_ms)).unwrap_or(0);
            let due = (u128::from(self.rate) * u128::from(elapsed) / 1000).min(u128::from(u64::MAX))
                as u64;
            let budget = due.saturating_sub(s.copied);
            if budget > 0 && !s.pending.is_empty() {
                let chunk = s.pending.take_first(budget);
                s.copied += chunk.len();
                let copied = if snapshot_images.contains(&s.src) {
                    self.copy_session_tracks(dir, s.src, s.dst, &chunk, now_ms)
                } else {
                    self.copy_tracks_among(dir, s.src, s.dst, &chunk, files.as_ref())
                };
                // The copy may have made the destination's file.
                if let Some(files) = files.as_mut() {
                    files.insert(s.dst);
                }
                if copied.is_err() {
                    Self::fail(&mut s, now_ms);
                }
            }
            if s.status == Status::Active && s.pending.is_empty() {
                match s.ctype {
                    CType::Opc => {
                        self.sessions.remove(i);
                        continue;
                    }
                    CType::QuickOpc => s.phase = Phase::Tracking,
                    _ => s.phase = Phase::Equivalent,
                }
            }
            self.sessions[i] = s;
            i += 1;
        }
        moved
    }

    /// A host write of `data` at byte `offset` of volume `number`, with the copy-on-write,
    /// tracking and mirroring the sessions on that volume require.
    pub fn host_write(
        &mut self,
        dir: &Path,
        number: u32,
        offset: u64,
        data: &[u8],
        now_ms: i64,
    ) -> Result<(), CliError> {
        let vol = self.volume(number)?.clone();
        let size = vol.size_mb * 1024 * 1024;
        if data.is_empty() {
            return Ok(());
        }
        if offset
            .checked_add(data.len() as u64)
            .is_none_or(|end| end > size)
        {
            return Err(CliError(
                "E0019",
                format!("write beyond the end of volume {number} ({size} bytes)"),
            ));
        }
        let first = offset / TRACK;
        let last = (offset + data.len() as u64 - 1) / TRACK;
        let touched = Ranges::span(first, last + 1);
        // An EC destination is written by the copy only, until the session is suspended.
        if let Some(s) = self.sessions.iter().find(|s| {
            s.dst == number
                && matches!(s.ctype, CType::Ec | CType::Rec)
                && s.status == Status::Active
        }) {
            return Err(refused(number, s.sid, "EC, not suspended"));
        }
        self.snap_before_write(dir, number, &touched, now_ms)?;
        if let Some(blocks) = self.update_counters.get_mut(&number) {
            blocks.insert(offset / 512, (offset + data.len() as u64).div_ceil(512));
        }
        for i in 0..self.sessions.len() {
            let s = self.sessions[i].clone();
            // Copy-before-write (manual 6.1.1): a track not copied yet is copied first,
            // whether the access is to the source (its old data must reach the copy) or to
            // the destination (the rest of the track must be the point-in-time image).
            if (s.src == number || s.dst == number) && s.copying() && s.ctype != CType::Ec {
                let cow = s.pending.within(first, last + 1);
                if !cow.is_empty() {
                    let mut updated = s.clone();
                    updated.pending.subtract(&cow);
                    updated.copied += cow.len();
                    if self
                        .copy_session_tracks(dir, s.src, s.dst, &cow, now_ms)
                        .is_err()
                    {
                        Self::fail(&mut updated, now_ms);
                    }
                    self.sessions[i] = updated;
                }
            }
            let s = &mut self.sessions[i];
            let tracks =
                s.ctype == CType::QuickOpc || (s.ctype == CType::Ec && s.status != Status::Active);
            if (s.src == number || s.dst == number) && tracks {
                s.tracked.union(&touched);
            }
        }
        write_at(dir, number, size, offset, data)?;
        if let Some(v) = self.volumes.get_mut(&number) {
            v.written.union(&touched);
        }
        let mirrors: Vec<(u32, u32, Ranges)> = self
            .sessions
            .iter()
            .filter(|s| {
                s.src == number
                    && s.ctype == CType::Ec
                    && s.status == Status::Active
                    && s.phase != Phase::Suspend
            })
            .map(|s| {
                let mut m = touched.clone();
                m.subtract(&s.pending);
                (s.src, s.dst, m)
            })
            .collect();
        for (src, dst, ranges) in mirrors {
            let _ = self.copy_tracks(dir, src, dst, &ranges);
        }
        Ok(())
    }

    // ----- SnapOPC / SnapOPC+ ---------------------------------------------------------

    /// The SnapOPC+ generations of a source, oldest first (session indexes).
    pub fn generations(&self, src: u32) -> Vec<usize> {
        let mut g: Vec<usize> = (0..self.sessions.len())
            .filter(|&i| {
                self.sessions[i].src == src && self.sessions[i].ctype == CType::SnapOpcPlus
            })
            .collect();
        g.sort_by_key(|&i| self.sessions[i].sid);
        g
    }

    /// Whether session `i` saves old data on source writes: every SnapOPC session, and the
    /// newest SnapOPC+ generation of its source (the older ones are inactive).
    pub fn cow_active(&self, i: usize) -> bool {
        let s = &self.sessions[i];
        s.status == Status::Active
            && match s.ctype {
                CType::SnapOpc => true,
                CType::SnapOpcPlus => self.generations(s.src).last() == Some(&i),
                _ => false,
            }
    }

    /// Tracks an SDV holds (its sessions' saved tracks).
    pub fn sdv_used(&self, sdv: u32) -> u64 {
        self.sessions
            .iter()
            .filter(|s| s.dst == sdv && s.is_snap())
            .map(|s| s.saved.len())
            .sum()
    }

    /// Tracks the SDVs draw from the pool (what exceeds their own physical capacity).
    pub fn pool_used(&self) -> u64 {
        self.volumes
            .iter()
            .filter(|(_, v)| v.is_sdv())
            .map(|(n, v)| self.sdv_used(*n).saturating_sub(v.physical_tracks()))
            .sum()
    }

    pub fn pool_tracks(&self) -> u64 {
        self.pools.iter().map(Pool::tracks).sum()
    }

    /// Room for `more` tracks in SDV `sdv` (its own capacity, then the pool's). A volume
    /// that is not an SDV has its whole logical size.
    fn sdv_room(&self, sdv: u32, more: u64) -> bool {
        let Some(v) = self.volumes.get(&sdv) else {
            return false;
        };
        if !v.is_sdv() {
            return true;
        }
        let used = self.sdv_used(sdv);
        let over_now = used.saturating_sub(v.physical_tracks());
        let over_after = (used + more).saturating_sub(v.physical_tracks());
        self.pool_used() - over_now + over_after <= self.pool_tracks()
    }

    /// Capacity ran out: the session fails (overflow); for SnapOPC+ so does every earlier
    /// generation of the source (manual 3.2).
    fn overflow(&mut self, i: usize, now_ms: i64) {
        let (src, ctype, sid) = {
            let s = &self.sessions[i];
            (s.src, s.ctype, s.sid)
        };
        for s in &mut self.sessions {
            let earlier =
                ctype == CType::SnapOpcPlus && s.ctype == ctype && s.src == src && s.sid < sid;
            if s.sid == sid || earlier {
                s.status = Status::ErrorSuspend;
                s.error_code = 0xBB;
                s.timestamp = Some(now_ms / 1000);
            }
        }
    }

    /// The sessions holding session `i`'s image: itself, and for SnapOPC+ every newer
    /// generation; oldest first.
    fn holders(&self, i: usize) -> Vec<usize> {
        let s = &self.sessions[i];
        if s.ctype != CType::SnapOpcPlus {
            return vec![i];
        }
        self.generations(s.src)
            .into_iter()
            .filter(|&j| self.sessions[j].sid >= s.sid)
            .collect()
    }

    /// Track `t` of session `i`'s point-in-time image: the copy saved by the oldest
    /// generation at or after this one that saved it, else the source's current data.
    fn snap_track(&self, dir: &Path, i: usize, t: u64) -> Result<Vec<u8>, CliError> {
        for j in self.holders(i) {
            if self.sessions[j].saved.contains(t) {
                return read_at(dir, self.sessions[j].dst, t * TRACK, TRACK as usize);
            }
        }
        read_at(dir, self.sessions[i].src, t * TRACK, TRACK as usize)
    }

    /// Copy-on-write before a host write of `touched` on `number`: the active sessions
    /// whose source it is save the old tracks; a write to a snapshot destination first
    /// takes the image's track (the destination holds it from then on).
    fn snap_before_write(
        &mut self,
        dir: &Path,
        number: u32,
        touched: &Ranges,
        now_ms: i64,
    ) -> Result<(), CliError> {
        for i in 0..self.sessions.len() {
            let s = &self.sessions[i];
            if !s.is_snap() || s.status != Status::Active {
                continue;
            }
            let as_source = s.src == number && self.cow_active(i);
            if !as_source && s.dst != number {
                continue;
            }
            let tracks = self.volumes.get(&s.src).map_or(0, Volume::tracks);
            let mut todo = touched.within(0, tracks);
            todo.subtract(&s.saved);
            if todo.is_empty() {
                continue;
            }
            let dst = s.dst;
            if !self.sdv_room(dst, todo.len()) {
                self.overflow(i, now_ms);
                continue;
            }
            let dst_size = self
                .volumes
                .get(&dst)
                .map_or(0, |v| v.size_mb * 1024 * 1024);
            for (a, b) in todo.iter() {
                for t in a..b {
                    let bytes = self.snap_track(dir, i, t)?;
                    write_at(dir, dst, dst_size, t * TRACK, &bytes)?;
                }
            }
            let s = &mut self.sessions[i];
            s.saved.union(&todo);
            s.tracked.union(&todo);
            self.stats.copied_tracks += todo.len();
            self.stats.copied_bytes += todo.len() * TRACK;
        }
        Ok(())
    }

    /// The session whose image volume `number` shows, if it is a snapshot destination.
    pub fn snap_of(&self, number: u32) -> Option<usize> {
        self.sessions
            .iter()
            .position(|s| s.dst == number && s.is_snap() && s.status == Status::Active)
    }

    /// The whole point-in-time image a snapshot destination shows.
    fn snap_image(&self, dir: &Path, i: usize, size: usize) -> Result<Vec<u8>, CliError> {
        let mut data = read_at(dir, self.sessions[i].src, 0, size)?;
        // Newest first, so the oldest holder of a track is applied last and wins.
        for j in self.holders(i).into_iter().rev() {
            for (a, b) in self.sessions[j].saved.iter() {
                let from = (a * TRACK) as usize;
                if from >= size {
                    continue;
                }
                let len = (((b - a) * TRACK) as usize).min(size - from);
                let bytes = read_at(dir, self.sessions[j].dst, a * TRACK, len)?;
                data[from..from + len].copy_from_slice(&bytes);
            }
        }
        Ok(data)
    }

    /// The tracks a restore from snapshot destination `from` onto `to` (an OPC from it)
    /// must copy: those where the point-in-time image differs from the target now. None
    /// when `from` is not a snapshot destination.
    pub fn restore_tracks(
        &self,
        dir: &Path,
        from: u32,
        to: u32,
    ) -> Result<Option<Ranges>, CliError> {
        let Some(i) = self.snap_of(from) else {
            return Ok(None);
        };
        let size = self.volume(to)?.size_mb.min(self.volume(from)?.size_mb) * 1024 * 1024;
        let image = self.snap_image(dir, i, size as usize)?;
        let current = read_at(dir, to, 0, size as usize)?;
        let mut differ = Ranges::default();
        for t in 0..size / TRACK {
            let r = (t * TRACK) as usize..((t + 1) * TRACK) as usize;
            if image[r.clone()] != current[r] {
                differ.insert(t, t + 1);
            }
        }
        Ok(Some(differ))
    }

    /// Copies `ranges` of a session from `src` onto `dst`: from a snapshot destination
    /// (a restore) the tracks are its point-in-time image, written onto the target through
    /// the copy-on-write of the active generation (which absorbs the restore's writes, as
    /// the manual warns); from any other volume, its data.
    fn copy_session_tracks(
        &mut self,
        dir: &Path,
        src: u32,
        dst: u32,
        ranges: &Ranges,
        now_ms: i64,
    ) -> Result<(), u64> {
        let Some(i) = self.snap_of(src) else {
            return self.copy_tracks(dir, src, dst, ranges);
        };
        let dst_size = self
            .volumes
            .get(&dst)
            .map_or(0, |v| v.size_mb * 1024 * 1024);
        for (a, b) in ranges.iter() {
            for t in a..b {
                let bytes = self.snap_track(dir, i, t).map_err(|_| t)?;
                self.snap_before_write(dir, dst, &Ranges::span(t, t + 1), now_ms)
                    .map_err(|_| t)?;
                write_at(dir, dst, dst_size, t * TRACK, &bytes).map_err(|_| t)?;
            }
            if let Some(v) = self.volumes.get_mut(&dst) {
                v.written.insert(a, b);
            }
            self.stats.copied_tracks += b - a;
            self.stats.copied_bytes += (b - a) * TRACK;
        }
        Ok(())
    }

    /// Track `t` of the data a session copies from `src`: a snapshot destination's
    /// point-in-time image, else the volume's data.
    fn source_track(&self, dir: &Path, src: u32, t: u64) -> Result<Vec<u8>, CliError> {
        match self.snap_of(src) {
            Some(i) => self.snap_track(dir, i, t),
            None => read_at(dir, src, t * TRACK, TRACK as usize),
        }
    }

    /// The whole content of a volume, as a host reads it: the tracks of an OPC/QuickOPC
    /// destination not copied yet read as the source's (its point-in-time image); an EC
    /// destination started with `-Xda` cannot be read.
    pub fn read_volume(&self, dir: &Path, number: u32) -> Result<Vec<u8>, CliError> {
        let vol = self.volume(number)?;
        let size = usize::try_from(vol.size_mb * 1024 * 1024)
            .map_err(|_| CliError("E0019", "volume too large".into()))?;
        if let Some(s) = self
            .sessions
            .iter()
            .find(|s| s.dst == number && s.no_access && s.status == Status::Active)
        {
            return Err(refused(number, s.sid, "EC started with -Xda"));
        }
        if let Some(i) = self.snap_of(number) {
            return self.snap_image(dir, i, size);
        }
        let mut data = read_at(dir, number, 0, size)?;
        for s in self.sessions.iter().filter(|s| {
            s.dst == number && s.copying() && !matches!(s.ctype, CType::Ec | CType::Rec)
        }) {
            for (a, b) in s.pending.within(0, vol.tracks()).iter() {
                for t in a..b {
                    let from = (t * TRACK) as usize;
                    let bytes = self.source_track(dir, s.src, t)?;
                    data[from..from + bytes.len()].copy_from_slice(&bytes);
                }
            }
        }
        Ok(data)
    }

    /// Copies `ranges` of `src` onto `dst` now (EC mirroring of changes the emulator did
    /// not see written).
    pub fn mirror(&mut self, dir: &Path, src: u32, dst: u32, ranges: &Ranges) {
        let _ = self.copy_tracks(dir, src, dst, ranges);
    }

    /// Tracks whose content differs between two volumes (among those holding data on
    /// either side): what a differential restart or a resume must copy besides the tracks
    /// the emulator saw written, since a volume file may be written straight.
    pub fn differing_tracks(&self, dir: &Path, src: u32, dst: u32) -> Ranges {
        let (Some(s), Some(d)) = (self.volumes.get(&src), self.volumes.get(&dst)) else {
            return Ranges::default();
        };
        let tracks = s.tracks().min(d.tracks());
        let mut candidates = s.written.clone();
        candidates.union(&d.written);
        candidates.union(&file_tracks(dir, src, tracks));
        candidates.union(&file_tracks(dir, dst, tracks));
        let mut differ = Ranges::default();
        for (a, b) in candidates.within(0, tracks).iter() {
            for t in a..b {
                let x = read_at(dir, src, t * TRACK, TRACK as usize);
                let y = read_at(dir, dst, t * TRACK, TRACK as usize);
                if x.is_err() || y.is_err() || x != y {
                    differ.insert(t, t + 1);
                }
            }
        }
        differ
    }
}

pub fn load(store: &Store, name: &str) -> Result<Option<Array>, StoreError> {
    store.load::<Option<Array>>(&rel_path(name))
}

pub fn list(store: &Store) -> Result<Vec<String>, StoreError> {
    store.list(DIR)
}

/// Emulated now, in milliseconds.
pub fn now_ms(store: &Store) -> Result<i64, StoreError> {
    Ok(crate::clock::Clock::load(store)?.now_ms())
}
