//! The wall clock: every date the tools record, print or compare comes from here.
//!
//! On a host this is the system clock and nothing else: no file is read, no variable looked
//! at beyond `ARRAYSYNC_ROOT`.
//!
//! Under a root prefix (`ARRAYSYNC_ROOT`: the emulated world of the tests and the demo, see
//! DESIGN §3) the world has one clock, and the emulator keeps it: the system clock shifted by
//! what `arraysim clock advance` added, and held still while `arraysim clock freeze` is in
//! force. It is read from the emulator's `clock.json` in its state directory
//! (`$ARRAYSIM_STATE`, else `$ARRAYSYNC_ROOT/var/lib/arraysim`, the emulator's own rule).
//! So after `arraysim clock advance 2d` the host is two days later too: a copy made before
//! is two days old by the array's dates and by the host's, and no date moves back in time.
//! A missing or unreadable clock file means the system clock.
//!
//! Durations (timeouts, poll intervals, how long an action took) are measured with
//! `std::time::Instant`, never with this clock: a frozen or advanced world clock must not
//! stretch or cut a wait.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Local, TimeZone, Utc};
use serde::Deserialize;

/// How long a read of the world clock's file is reused: a command logs a line per vendor
/// call, and the offset only moves when somebody runs `arraysim clock` in between.
const REREAD_AFTER: Duration = Duration::from_secs(1);

/// The part of the emulator's `clock.json` that sets the world's time.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
struct WorldClock {
    #[serde(default)]
    offset_secs: i64,
    #[serde(default)]
    frozen_at_ms: Option<i64>,
}

impl WorldClock {
    /// Unix milliseconds of the world's now, given the system clock's.
    fn now_ms(&self, system_ms: i64) -> i64 {
        self.frozen_at_ms
            .unwrap_or(system_ms)
            .saturating_add(self.offset_secs.saturating_mul(1000))
    }
}

/// Now, in the local time zone.
pub fn now() -> DateTime<Local> {
    let system = Utc::now();
    let Some(world) = world_clock() else {
        return system.with_timezone(&Local);
    };
    let ms = world.now_ms(system.timestamp_millis());
    Local
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(|| system.with_timezone(&Local))
}

/// Now, unix seconds.
pub fn timestamp() -> i64 {
    now().timestamp()
}

/// The world clock when running under a root prefix, read at most once per
/// [`REREAD_AFTER`]; `None` on a host.
fn world_clock() -> Option<WorldClock> {
    static CACHE: Mutex<Option<(Instant, WorldClock)>> = Mutex::new(None);
    let path = clock_file()?;
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((read_at, clock)) = *cache {
        if read_at.elapsed() < REREAD_AFTER {
            return Some(clock);
        }
    }
    let clock = read_clock(&path);
    *cache = Some((Instant::now(), clock));
    Some(clock)
}

/// Where the emulated world keeps its clock, or `None` outside a root prefix.
fn clock_file() -> Option<PathBuf> {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    let root = non_empty("ARRAYSYNC_ROOT")?;
    let state = non_empty("ARRAYSIM_STATE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(root).join("var/lib/arraysim"));
    Some(state.join("clock.json"))
}

/// The clock file's settings; the system clock (a zero offset) when it is missing, a
/// symlink, or not a clock.
fn read_clock(path: &std::path::Path) -> WorldClock {
    use std::io::Read;
    let mut text = String::new();
    let read = crate::safefs::open_read(path)
        .and_then(|f| f.take(4096).read_to_string(&mut text))
        .is_ok();
    if !read {
        return WorldClock::default();
    }
    serde_json::from_str(&text).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_offset_moves_now_and_a_frozen_instant_holds_it() {
        let running = WorldClock {
            offset_secs: 172_800,
            frozen_at_ms: None,
        };
        assert_eq!(running.now_ms(1_000), 172_801_000);
        let frozen = WorldClock {
            offset_secs: 60,
            frozen_at_ms: Some(5_000),
        };
        assert_eq!(frozen.now_ms(1_000), 65_000);
        assert_eq!(frozen.now_ms(9_999_000), 65_000);
    }

    #[test]
    fn a_clock_file_is_read_and_anything_else_is_the_system_clock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("clock.json");
        assert_eq!(read_clock(&path), WorldClock::default());
        std::fs::write(&path, r#"{"offset_secs":3600,"frozen_at_ms":42}"#).expect("write");
        assert_eq!(
            read_clock(&path),
            WorldClock {
                offset_secs: 3600,
                frozen_at_ms: Some(42)
            }
        );
        std::fs::write(&path, "not json").expect("write");
        assert_eq!(read_clock(&path), WorldClock::default());
        let link = dir.path().join("link.json");
        std::fs::write(&path, r#"{"offset_secs":3600}"#).expect("write");
        std::os::unix::fs::symlink(&path, &link).expect("symlink");
        assert_eq!(read_clock(&link), WorldClock::default());
    }
}
