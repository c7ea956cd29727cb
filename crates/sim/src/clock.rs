//! The emulated clock.
//!
//! Emulated now = real now + offset; the offset lives in `clock.json` in the state directory
//! and only grows (`arraysim clock advance 25h`), except for an explicit `clock reset`.
//! Arrays store timestamps in emulated time (unix seconds) and print them as stored; the
//! dscli banner shows the emulated now. It is the one clock of the emulated world: the
//! arraysync programs running under the same root read this file for their own now
//! (`arraysync_core::clock`), so after an advance the array's past events are older by the
//! advanced amount for everybody, nothing moves back in time, and background copies
//! (computed from stored timestamps) have progressed by as much.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Local, NaiveDateTime, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::store::{Store, StoreError};

const CLOCK_FILE: &str = "clock.json";

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Clock {
    /// Seconds added to the real clock.
    #[serde(default)]
    pub offset_secs: i64,
    /// While frozen (`arraysim clock freeze`), the real instant (unix ms) the emulated clock
    /// reads in place of the real clock: only `advance` moves it, so a test that samples a
    /// copy's progress is not at the mercy of how long a loaded machine takes between two
    /// commands.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frozen_at_ms: Option<i64>,
}

impl Clock {
    pub fn load(store: &Store) -> Result<Clock, StoreError> {
        store.load(CLOCK_FILE)
    }

    /// Raise the offset by `secs` and return the new clock.
    pub fn advance(store: &Store, secs: i64) -> Result<Clock, StoreError> {
        store.update(CLOCK_FILE, |c: &mut Clock| {
            c.offset_secs = c.offset_secs.saturating_add(secs);
            Ok::<_, StoreError>(*c)
        })
    }

    pub fn reset(store: &Store) -> Result<Clock, StoreError> {
        store.update(CLOCK_FILE, |c: &mut Clock| {
            c.offset_secs = 0;
            Ok::<_, StoreError>(*c)
        })
    }

    /// Stop real time flowing into the emulated clock (idempotent: a second freeze keeps
    /// the first instant).
    pub fn freeze(store: &Store) -> Result<Clock, StoreError> {
        store.update(CLOCK_FILE, |c: &mut Clock| {
            c.frozen_at_ms
                .get_or_insert_with(|| Utc::now().timestamp_millis());
            Ok::<_, StoreError>(*c)
        })
    }

    /// Let real time flow again; the time spent frozen counts as having passed.
    pub fn thaw(store: &Store) -> Result<Clock, StoreError> {
        store.update(CLOCK_FILE, |c: &mut Clock| {
            c.frozen_at_ms = None;
            Ok::<_, StoreError>(*c)
        })
    }

    /// The real instant the emulated clock is based on, unix ms: now, or the frozen instant.
    fn real_ms(&self) -> i64 {
        self.frozen_at_ms
            .unwrap_or_else(|| Utc::now().timestamp_millis())
    }

    /// Emulated now, unix seconds.
    pub fn now(&self) -> i64 {
        self.now_ms().div_euclid(1000)
    }

    /// Emulated now, unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.real_ms()
            .saturating_add(self.offset_secs.saturating_mul(1000))
    }
}

/// Parse `90s`, `15m`, `3h`, `2d`, `1w`, combinations such as `1d3h30m`; a bare number is
/// seconds. Returns seconds.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let s = text.trim();
    if s.is_empty() {
        return Err(format!("invalid duration '{text}'"));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        return s
            .parse::<i64>()
            .map_err(|_| format!("invalid duration '{text}'"));
    }
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 604_800,
            _ => return Err(format!("invalid duration '{text}' (units: s m h d w)")),
        };
        if num.is_empty() {
            return Err(format!("invalid duration '{text}'"));
        }
        let n: i64 = num
            .parse()
            .map_err(|_| format!("invalid duration '{text}'"))?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration '{text}' is too large"))?;
        num.clear();
    }
    if !num.is_empty() {
        return Err(format!("invalid duration '{text}' (number without a unit)"));
    }
    Ok(total)
}

/// Render seconds as `1d3h0m5s`-style text (for `clock show`).
pub fn format_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let mut s = secs.unsigned_abs();
    let d = s / 86_400;
    s %= 86_400;
    let h = s / 3600;
    s %= 3600;
    let m = s / 60;
    s %= 60;
    let mut out = String::from(sign);
    if d > 0 {
        out.push_str(&format!("{d}d"));
    }
    if d > 0 || h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if d > 0 || h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{s}s"));
    out
}

/// A unix instant as local wall time plus the zone's abbreviation (`CEST`). When the
/// abbreviation cannot be determined, the instant is given in UTC with the name `UTC`, so
/// wall time and zone name always agree.
pub fn local_time(secs: i64) -> (NaiveDateTime, String) {
    let utc = DateTime::<Utc>::from_timestamp(secs, 0).unwrap_or_default();
    if let Some(local) = Local.timestamp_opt(secs, 0).single() {
        let offset = local.offset().fix().local_minus_utc();
        if let Some(name) = zone_abbreviation(secs, offset) {
            return (local.naive_local(), name);
        }
    }
    (utc.naive_utc(), "UTC".to_string())
}

/// The zone file's bytes, read once per process: an answer listing 10,000 sessions
/// asks for as many abbreviations.
fn zone_file(path: &Path) -> Option<std::sync::Arc<Vec<u8>>> {
    type Cache = std::sync::Mutex<Vec<(PathBuf, Option<std::sync::Arc<Vec<u8>>>)>>;
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().ok()?;
    if let Some((_, bytes)) = cache.iter().find(|(p, _)| p == path) {
        return bytes.clone();
    }
    let bytes = std::fs::read(path).ok().map(std::sync::Arc::new);
    cache.push((path.to_path_buf(), bytes.clone()));
    bytes
}

fn zone_abbreviation(instant: i64, offset: i32) -> Option<String> {
    let tz = std::env::var("TZ").ok();
    let file: PathBuf = match tz.as_deref() {
        None => PathBuf::from("/etc/localtime"),
        Some("") => return (offset == 0).then(|| "UTC".to_string()),
        Some(v) => {
            let v = v.strip_prefix(':').unwrap_or(v);
            let p = if v.starts_with('/') {
                PathBuf::from(v)
            } else {
                Path::new("/usr/share/zoneinfo").join(v)
            };
            if !p.is_file() {
                return posix_tz_name(v, offset);
            }
            p
        }
    };
    match zone_file(&file) {
        Some(bytes) => tzif_abbreviation(&bytes, instant, offset),
        None => (offset == 0).then(|| "UTC".to_string()),
    }
}

/// Names from a POSIX TZ string such as `CET-1CEST,M3.5.0,M10.5.0/3` or `UTC0`.
fn posix_tz_name(spec: &str, offset: i32) -> Option<String> {
    let (std_name, rest) = posix_name(spec)?;
    let num_len = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | ':')))
        .unwrap_or(rest.len());
    let std_off = posix_offset(&rest[..num_len])?;
    if std_off == offset {
        return Some(std_name);
    }
    let (dst_name, rest) = posix_name(&rest[num_len..])?;
    let dst_len = rest
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | ':')))
        .unwrap_or(rest.len());
    let dst_off = match &rest[..dst_len] {
        "" => std_off + 3600,
        o => posix_offset(o)?,
    };
    (dst_off == offset).then_some(dst_name)
}

fn posix_name(s: &str) -> Option<(String, &str)> {
    if let Some(r) = s.strip_prefix('<') {
        let end = r.find('>')?;
        return Some((r[..end].to_string(), &r[end + 1..]));
    }
    let end = s
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(s.len());
    if end < 3 {
        return None;
    }
    Some((s[..end].to_string(), &s[end..]))
}

/// POSIX offsets are west-positive: `CET-1` means UTC+1.
fn posix_offset(s: &str) -> Option<i32> {
    let (sign, body) = match s.as_bytes().first()? {
        b'-' => (1, &s[1..]),
        b'+' => (-1, &s[1..]),
        _ => (-1, s),
    };
    let mut parts = body.split(':');
    let h: i32 = parts.next()?.parse().ok()?;
    let m: i32 = parts.next().map(|p| p.parse().ok()).unwrap_or(Some(0))?;
    let sec: i32 = parts.next().map(|p| p.parse().ok()).unwrap_or(Some(0))?;
    Some(sign * (h * 3600 + m * 60 + sec))
}

/// The abbreviation a TZif file gives for `instant`, restricted to local time types whose
/// UTC offset matches `offset` (which chrono already computed correctly).
fn tzif_abbreviation(b: &[u8], instant: i64, offset: i32) -> Option<String> {
    struct Block {
        times: Vec<i64>,
        idx: Vec<u8>,
        types: Vec<(i32, usize)>,
        chars: Vec<u8>,
        end: usize,
    }
    fn be32(b: &[u8], at: usize) -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    }
    fn block(b: &[u8], start: usize, tsize: usize) -> Option<Block> {
        if b.get(start..start + 4)? != b"TZif" {
            return None;
        }
        let c = |i: usize| be32(b, start + 20 + 4 * i).map(|v| v as usize);
        let (isut, isstd, leap, timecnt, typecnt, charcnt) =
            (c(0)?, c(1)?, c(2)?, c(3)?, c(4)?, c(5)?);
        let mut p = start + 44;
        // Refuse counts the file cannot hold before allocating anything.
        let need = timecnt
            .checked_mul(tsize + 1)?
            .checked_add(typecnt.checked_mul(6)?)?
            .checked_add(charcnt)?;
        if p.checked_add(need)? > b.len() {
            return None;
        }
        let mut times = Vec::with_capacity(timecnt);
        for i in 0..timecnt {
            let at = p + i * tsize;
            let t = if tsize == 8 {
                i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?)
            } else {
                i64::from(be32(b, at)? as i32)
            };
            times.push(t);
        }
        p += timecnt * tsize;
        let idx = b.get(p..p + timecnt)?.to_vec();
        p += timecnt;
        let mut types = Vec::with_capacity(typecnt);
        for i in 0..typecnt {
            let at = p + 6 * i;
            let off = be32(b, at)? as i32;
            let ai = *b.get(at + 5)? as usize;
            types.push((off, ai));
        }
        p += 6 * typecnt;
        let chars = b.get(p..p + charcnt)?.to_vec();
        p += charcnt + leap * (tsize + 4) + isstd + isut;
        Some(Block {
            times,
            idx,
            types,
            chars,
            end: p,
        })
    }
    let v1 = block(b, 0, 4)?;
    let version = *b.get(4)?;
    let (blk, footer) = if version >= b'2' {
        let v2 = block(b, v1.end, 8)?;
        let footer = b
            .get(v2.end..)
            .and_then(|f| std::str::from_utf8(f).ok())
            .map(|f| f.trim().to_string());
        (v2, footer)
    } else {
        (v1, None)
    };
    let name = |ty: usize| -> Option<String> {
        let (off, ai) = *blk.types.get(ty)?;
        if off != offset {
            return None;
        }
        let rest = blk.chars.get(ai..)?;
        let end = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
        let s = String::from_utf8_lossy(&rest[..end]).into_owned();
        (!s.is_empty()).then_some(s)
    };
    // The transition in force at `instant`.
    let pos = blk.times.partition_point(|&t| t <= instant);
    let beyond_last = pos == blk.times.len();
    if pos > 0 && !beyond_last {
        if let Some(n) = blk.idx.get(pos - 1).and_then(|&i| name(i as usize)) {
            return Some(n);
        }
    }
    if let Some(f) = footer.filter(|f| !f.is_empty()) {
        if let Some(n) = posix_tz_name(&f, offset) {
            return Some(n);
        }
    }
    // Most recent transition into a type with the right offset, else any such type.
    for i in (0..pos).rev() {
        if let Some(n) = blk.idx.get(i).and_then(|&t| name(t as usize)) {
            return Some(n);
        }
    }
    (0..blk.types.len()).find_map(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(90));
        assert_eq!(parse_duration("15m"), Ok(900));
        assert_eq!(parse_duration("3h"), Ok(10_800));
        assert_eq!(parse_duration("2d"), Ok(172_800));
        assert_eq!(parse_duration("1d3h"), Ok(97_200));
        assert_eq!(parse_duration("1h30m15s"), Ok(5415));
        assert_eq!(parse_duration("42"), Ok(42));
        assert!(parse_duration("").is_err());
        assert!(parse_duration("3x").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("1d3").is_err());
        assert!(parse_duration("-3h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
        assert_eq!(format_duration(97_205), "1d3h0m5s");
        assert_eq!(format_duration(0), "0s");
    }

    #[test]
    fn now_is_the_real_clock_plus_the_offset() {
        let c = Clock {
            offset_secs: 3600,
            ..Clock::default()
        };
        assert!(c.now() >= Utc::now().timestamp() + 3599);
    }

    #[test]
    fn posix_names() {
        assert_eq!(posix_tz_name("UTC0", 0).as_deref(), Some("UTC"));
        assert_eq!(
            posix_tz_name("CET-1CEST,M3.5.0,M10.5.0/3", 3600).as_deref(),
            Some("CET")
        );
        assert_eq!(
            posix_tz_name("CET-1CEST,M3.5.0,M10.5.0/3", 7200).as_deref(),
            Some("CEST")
        );
        assert_eq!(posix_tz_name("<+03>-3", 10_800).as_deref(), Some("+03"));
        assert_eq!(posix_tz_name("CET-1CEST", 0), None);
        assert_eq!(posix_tz_name("EST5EDT", -4 * 3600).as_deref(), Some("EDT"));
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        let frozen = Clock::freeze(&store).expect("freeze");
        let before = frozen.now_ms();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(Clock::load(&store).expect("load").now_ms(), before);
        assert_eq!(Clock::freeze(&store).expect("again").now_ms(), before);
        let advanced = Clock::advance(&store, 60).expect("advance");
        assert_eq!(advanced.now_ms(), before + 60_000);
        let thawed = Clock::thaw(&store).expect("thaw");
        assert!(thawed.now_ms() >= before + 60_020);
    }

    #[test]
    fn advance_persists() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::at(dir.path().to_path_buf());
        assert_eq!(Clock::load(&store).expect("load").offset_secs, 0);
        Clock::advance(&store, 60).expect("advance");
        Clock::advance(&store, 30).expect("advance");
        assert_eq!(Clock::load(&store).expect("load").offset_secs, 90);
        Clock::reset(&store).expect("reset");
        assert_eq!(Clock::load(&store).expect("load").offset_secs, 0);
    }

    #[test]
    fn local_time_never_panics() {
        let (_, name) = local_time(1_411_074_244);
        assert!(!name.is_empty());
        let _ = tzif_abbreviation(b"TZif2garbage", 0, 0);
        let _ = tzif_abbreviation(b"", 0, 0);
    }
}
