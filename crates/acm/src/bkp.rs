//! What the swst* (backup management) front ends share: operand rules, the manual's
//! value formats (sizes, dates, `----`), tables printed as text or, with our `-Xjson`
//! extension, as JSON objects keyed by the same column names.

use crate::args::Args;
use crate::messages::AcmError;
use crate::Cx;
use arraysync_eternus::backup::{BackupEngine, Generation};

pub const NONE: &str = "----";
pub const MOUNT: &str = "---- (----)";

/// The one device operand an operation needs.
pub fn device(args: &Args) -> Result<&str, AcmError> {
    match args.operands.as_slice() {
        [one] => Ok(one),
        [] => Err(AcmError::usage("a device name is required")),
        more => Err(AcmError::usage(format!(
            "one device name expected, {} given",
            more.len()
        ))),
    }
}

/// The optional device operand of a display command.
pub fn optional_device(args: &Args) -> Result<Option<&str>, AcmError> {
    match args.operands.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one)),
        more => Err(AcmError::usage(format!(
            "at most one device name expected, {} given",
            more.len()
        ))),
    }
}

/// A positive number option (`-g`, `-v`, `-i`, `-s`).
pub fn number(args: &Args, name: &str, min: i64, max: i64) -> Result<Option<i64>, AcmError> {
    let Some(text) = args.value(name) else {
        return Ok(None);
    };
    match text.parse::<i64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(AcmError::usage(format!(
            "{name} {text}: expected a number from {min} to {max}"
        ))),
    }
}

/// `-g` / `-v` (exclusive), the latest when neither.
pub fn generation(args: &Args) -> Result<Generation, AcmError> {
    crate::exclusive(args, &[&["-g"], &["-v"]])?;
    if let Some(g) = number(args, "-g", 1, i64::MAX)? {
        return Ok(Generation::Relative(g));
    }
    if let Some(v) = number(args, "-v", 1, i64::MAX)? {
        return Ok(Generation::Absolute(v));
    }
    Ok(Generation::Latest)
}

/// `2000/11/12 22:00` (local time), or `----`.
pub fn date(unix: Option<i64>) -> String {
    use chrono::TimeZone;
    unix.and_then(|t| chrono::Local.timestamp_opt(t, 0).single())
        .map_or(NONE.to_string(), |d| d.format("%Y/%m/%d %H:%M").to_string())
}

/// `1.0 Gbyte`, or `64.0 Mbyte` below one GiB.
pub fn size(bytes: u64) -> String {
    if bytes >= 1 << 30 {
        format!("{:.1} Gbyte", bytes as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} Mbyte", bytes as f64 / (1u64 << 20) as f64)
    }
}

/// A display: header and rows, printed as text or `-Xjson`.
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&'static str]) -> Table {
        Table {
            header: header.to_vec(),
            rows: Vec::new(),
        }
    }

    pub fn push(&mut self, row: Vec<String>) {
        self.rows.push(row);
    }

    /// JSON objects keyed by the header names (`Mount-Point (Method)` included).
    pub fn json_rows(&self) -> Vec<serde_json::Value> {
        self.rows
            .iter()
            .map(|r| {
                serde_json::Value::Object(
                    self.header
                        .iter()
                        .zip(r)
                        .map(|(h, v)| (h.to_string(), serde_json::Value::String(v.clone())))
                        .collect(),
                )
            })
            .collect()
    }

    pub fn print(self, args: &Args, cx: &mut Cx) {
        if args.has("-Xjson") {
            let json = serde_json::Value::Array(self.json_rows());
            cx.println(serde_json::to_string_pretty(&json).unwrap_or_default());
            return;
        }
        cx.println(self.header.join(" "));
        for r in self.rows {
            cx.println(r.join(" "));
        }
    }
}

/// Runs an operation on `tv` with its swstexecstat marker set, then closes the engine.
/// The list must be writable before anything happens (the marker is a write; without
/// one, a write is tried and rolled back): an operation that changed the array and could
/// not record it would leave a copy no history knows of.
pub fn operate<T>(
    mut engine: BackupEngine<'_>,
    tv: &str,
    command: &str,
    f: impl FnOnce(&mut BackupEngine<'_>) -> Result<T, arraysync_eternus::EternusError>,
) -> Result<T, AcmError> {
    let checked = engine.begin(tv, command).and_then(|marked| {
        if !marked {
            engine.check_writable()?;
        }
        Ok(marked)
    });
    let marked = match checked {
        Ok(marked) => marked,
        Err(e) => {
            engine.close();
            return Err(e.into());
        }
    };
    let result = f(&mut engine);
    if marked {
        engine.finish(result.as_ref().ok().map(|_| tv));
    }
    engine.close();
    Ok(result?)
}

/// What every status display reads: the list, the array sessions, the TVs to show.
pub struct StatusData {
    pub server: String,
    pub list: arraysync_eternus::backup::ListView,
    pub sessions: arraysync_eternus::backup::Sessions,
    pub tvs: Vec<arraysync_eternus::backup_repo::BackupVolume>,
    pub running: std::collections::HashMap<String, String>,
}

impl StatusData {
    pub fn volume(&self, device: &str) -> Option<&arraysync_eternus::backup_repo::BackupVolume> {
        self.list.volume(device)
    }
}

/// The per-session rows of swstsyncstat and swsttrkstat: for every transaction volume,
/// the backup volumes it is bound to (`tracking` bindings or the others) and those its
/// history keeps as `kind`, in registration order, each row made by `columns` from the
/// backup volume's name and the session between the two; a volume with none gets one row
/// of `----` (`width` columns after the server and the device).
pub fn session_rows(
    data: &StatusData,
    table: &mut Table,
    tracking: bool,
    kind: arraysync_eternus::backup_repo::Kind,
    width: usize,
    columns: impl Fn(&str, Option<&arraysync_eternus::copy::CopySession>) -> Vec<String>,
) {
    use arraysync_eternus::backup_repo::Bound;
    for tv in &data.tvs {
        let bound = data
            .list
            .bindings
            .iter()
            .filter(|b| b.tv == tv.device && (b.kind == Bound::Tracking) == tracking)
            .map(|b| b.bv.as_str());
        let kept = data.list.history_of(&tv.device);
        let kept = kept
            .iter()
            .filter(|h| h.kind == kind)
            .map(|h| h.bv.as_str());
        let mut rows: Vec<(i64, Vec<String>)> = bound
            .chain(kept)
            .map(|bv| {
                let volume = data.volume(bv);
                let session = volume.and_then(|b| data.sessions.between(tv, b));
                let mut row = vec![data.server.clone(), tv.device.clone()];
                row.extend(columns(bv, session));
                (volume.map_or(i64::MAX, |v| v.seq), row)
            })
            .collect();
        rows.sort_by_key(|r| r.0);
        if rows.is_empty() {
            let mut row = vec![data.server.clone(), tv.device.clone()];
            row.extend(std::iter::repeat_n(NONE.to_string(), width));
            table.push(row);
        }
        for (_, r) in rows {
            table.push(r);
        }
    }
}

/// Reads the list and (when `with_sessions`) each array's sessions once.
pub fn status(args: &Args, cx: &mut Cx, with_sessions: bool) -> Result<StatusData, AcmError> {
    use arraysync_eternus::backup_repo::Mode;
    let only = optional_device(args)?;
    let mut engine = cx.backup()?;
    if let Some(d) = only {
        engine.registered(d, Mode::Transaction)?;
    }
    let server = engine.server().to_string();
    let list = engine.snapshot_of_list()?;
    let sessions = if with_sessions {
        match engine.all_sessions(&list) {
            Ok(s) => s,
            Err(e) => {
                engine.close();
                return Err(e.into());
            }
        }
    } else {
        Default::default()
    };
    let running = engine.running()?;
    engine.close();
    let tvs = list
        .transaction_volumes()
        .filter(|v| only.is_none_or(|d| d == v.device))
        .cloned()
        .collect();
    Ok(StatusData {
        server,
        list,
        sessions,
        tvs,
        running,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(1 << 30), "1.0 Gbyte");
        assert_eq!(size(64 << 20), "64.0 Mbyte");
        assert_eq!(date(None), "----");
    }
}
