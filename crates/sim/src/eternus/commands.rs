//! The CLI commands of the dialect (docs/eternus.md): `show boxid`, `show volumes`,
//! `show advanced-copy-sessions [-detail]`, `start|stop|suspend|resume|reverse advanced-copy`.

use std::path::Path;

use super::model::{Array, CType, CliError, Phase, Session, Status};
use super::ranges::Ranges;

/// Splits `-key value` options; a lone `-flag` gets an empty value.
pub(super) fn options(tokens: &[&str]) -> Result<Vec<(String, String)>, CliError> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let Some(key) = tokens[i].strip_prefix('-') else {
            return Err(CliError("E0001", format!("Bad value. ({})", tokens[i])));
        };
        match tokens.get(i + 1).filter(|v| !v.starts_with('-')) {
            Some(v) => {
                out.push((key.to_string(), v.to_string()));
                i += 2;
            }
            None => {
                out.push((key.to_string(), String::new()));
                i += 1;
            }
        }
    }
    Ok(out)
}

pub(super) fn get<'a>(opts: &'a [(String, String)], key: &str) -> Option<&'a str> {
    opts.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The comma-separated numbers of `-key` (E0004 when it is missing, E0001 when one is not
/// a number).
pub(super) fn numbers(opts: &[(String, String)], key: &str) -> Result<Vec<u32>, CliError> {
    let text =
        get(opts, key).ok_or_else(|| CliError("E0004", format!("Missing parameter. (-{key})")))?;
    text.split(',')
        .map(|n| {
            n.trim()
                .parse()
                .map_err(|_| CliError("E0001", format!("Bad value. (-{key} {text})")))
        })
        .collect()
}

/// Refuses the first option not in `known` (E0001).
pub(super) fn check_known(opts: &[(String, String)], known: &[&str]) -> Result<(), CliError> {
    match opts.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(CliError("E0001", format!("Bad value. (-{k})"))),
        None => Ok(()),
    }
}

/// E5321: a session named is not in a state the command accepts.
pub(super) fn bad_state() -> CliError {
    CliError(
        "E5321",
        "The state of the specified session is not correct.".into(),
    )
}

/// Runs one command line on `array`; returns the answer lines.
/// Whether `line` is one of the listings [`execute`] answers from the array without
/// changing it (their functions take the array read-only).
pub fn is_listing(line: &str) -> bool {
    let tokens: Vec<&str> = line.split_whitespace().take(2).collect();
    matches!(
        tokens.as_slice(),
        ["show", "boxid" | "volumes" | "advanced-copy-sessions"]
    )
}

pub fn execute(
    array: &mut Array,
    dir: &Path,
    now_ms: i64,
    line: &str,
) -> Result<Vec<String>, CliError> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    match tokens.as_slice() {
        ["show", "boxid"] => Ok(vec![format!("Box ID [{}]", array.box_id)]),
        ["show", "volumes", rest @ ..] => {
            check_known(&options(rest)?, &[])?;
            Ok(show_volumes(array))
        }
        ["show", "advanced-copy-sessions", rest @ ..] => {
            let opts = options(rest)?;
            check_known(&opts, &["detail"])?;
            Ok(show_sessions(array, get(&opts, "detail").is_some()))
        }
        ["start", "advanced-copy", rest @ ..] => start(array, dir, now_ms, &options(rest)?),
        ["stop", "advanced-copy", rest @ ..] => stop(array, &options(rest)?),
        ["suspend", "advanced-copy", rest @ ..] => suspend(array, dir, now_ms, &options(rest)?),
        ["reverse", "advanced-copy", rest @ ..] => reverse(array, &options(rest)?),
        [verb @ ("start" | "stop" | "show"), "update-measurement", rest @ ..] => {
            update_measurement(array, verb, &options(rest)?)
        }
        ["show", "snap-data-volume", rest @ ..] => show_sdv(array, &options(rest)?),
        ["show", "snap-data-pool", rest @ ..] => {
            check_known(&options(rest)?, &[])?;
            Ok(show_pool(array))
        }
        ["initialize", "snap-data-volume", rest @ ..] => init_sdv(array, dir, &options(rest)?),
        ["resume", "advanced-copy", rest @ ..] => resume(array, dir, now_ms, &options(rest)?),
        _ => Err(CliError("E0002", format!("Unknown command. ({line})"))),
    }
}

/// The (source, destination) pairs a `start advanced-copy` names, for pair-scoped faults.
pub fn start_pairs(line: &str) -> Vec<String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let Ok(opts) = options(tokens.get(2..).unwrap_or_default()) else {
        return Vec::new();
    };
    match (
        numbers(&opts, "source-volume-number"),
        numbers(&opts, "destination-volume-number"),
    ) {
        (Ok(s), Ok(d)) => s.iter().zip(&d).map(|(a, b)| format!("{a}:{b}")).collect(),
        _ => Vec::new(),
    }
}

/// `line` (a `start advanced-copy`) without the pairs in `dropped` (`SRC:DST`), for the
/// fault that answers OK but starts nothing for a pair; `None` when no pair is left.
pub fn start_without(line: &str, dropped: &[String]) -> Option<String> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    let opts = options(tokens.get(2..).unwrap_or_default()).ok()?;
    let sources = numbers(&opts, "source-volume-number").ok()?;
    let destinations = numbers(&opts, "destination-volume-number").ok()?;
    let kept: Vec<(u32, u32)> = sources
        .into_iter()
        .zip(destinations)
        .filter(|(a, b)| !dropped.contains(&format!("{a}:{b}")))
        .collect();
    if kept.is_empty() {
        return None;
    }
    let join = |list: Vec<u32>| {
        list.iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",")
    };
    let mut out = tokens[..2].join(" ");
    for (key, value) in &opts {
        let value = match key.as_str() {
            "source-volume-number" => join(kept.iter().map(|p| p.0).collect()),
            "destination-volume-number" => join(kept.iter().map(|p| p.1).collect()),
            _ => value.clone(),
        };
        out.push_str(&format!(" -{key}"));
        if !value.is_empty() {
            out.push_str(&format!(" {value}"));
        }
    }
    Some(out)
}

fn show_volumes(array: &Array) -> Vec<String> {
    let mut lines = vec![
        format!(
            "{:<38} {:<12} {:<9} {:>8} {}",
            "Volume", "Status", "Type", "Size(MB)", "UID"
        ),
        "No.   Name".to_string(),
        format!(
            "{} {} {} {} {} {}",
            "-".repeat(5),
            "-".repeat(32),
            "-".repeat(12),
            "-".repeat(9),
            "-".repeat(8),
            "-".repeat(32)
        ),
    ];
    for (number, v) in &array.volumes {
        lines.push(format!(
            "{:>5} {:<32} {:<12} {:<9} {:>8} {}",
            number,
            v.name,
            "Available",
            if v.is_sdv() { "SDV" } else { "Standard" },
            v.size_mb,
            v.uid.as_deref().unwrap_or("-")
        ));
    }
    lines
}

fn place(line: &mut String, at: usize, text: &str) {
    while line.len() < at {
        line.push(' ');
    }
    line.truncate(at);
    line.push_str(text);
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Right,
}

/// Appends `text` padded to `width` (never cut, like `format!`'s widths), after a space
/// unless it is the row's first cell.
fn cell(row: &mut String, text: &str, width: usize, align: Align) {
    if !row.is_empty() {
        row.push(' ');
    }
    let pad = width.saturating_sub(text.chars().count());
    if align == Align::Right {
        spaces(row, pad);
    }
    row.push_str(text);
    if align == Align::Left {
        spaces(row, pad);
    }
}

fn spaces(row: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > 0 {
        let run = n.min(SPACES.len());
        row.push_str(&SPACES[..run]);
        n -= run;
    }
}

const WIDTHS: [usize; 16] = [5, 7, 8, 9, 5, 32, 5, 32, 13, 16, 6, 9, 6, 6, 9, 19];

fn starts() -> Vec<usize> {
    let mut at = 0;
    WIDTHS
        .iter()
        .map(|w| {
            let s = at;
            at += w + 1;
            s
        })
        .collect()
}

fn show_sessions(array: &Array, detail: bool) -> Vec<String> {
    let columns = if detail { 16 } else { 12 };
    let s = starts();
    let (mut h1, mut h2) = (String::new(), String::new());
    let heads1 = [
        "SID",
        "Gene-",
        "Type",
        "Volume",
        "Source Volume",
        "",
        "Destination Volume",
        "",
        "Status",
        "Phase",
        "Error",
        "Requestor",
        "Copied",
        "Update",
        "Access",
        "Time Stamp",
    ];
    let heads2 = [
        "", "ration", "", "Type", "No.", "Name", "No.", "Name", "", "", "Code", "", "(%)", "(%)",
        "", "",
    ];
    for i in 0..columns {
        if !heads1[i].is_empty() {
            place(&mut h1, s[i], heads1[i]);
        }
        if !heads2[i].is_empty() {
            place(&mut h2, s[i], heads2[i]);
        }
    }
    let rule = WIDTHS[..columns]
        .iter()
        .map(|w| "-".repeat(*w))
        .collect::<Vec<_>>()
        .join(" ");
    let mut lines = vec![h1, h2, rule];
    let name = |n: u32| array.volumes.get(&n).map_or("-", |v| v.name.as_str());
    // The SnapOPC+ generations of each source, found once: a pass over every session per
    // row was quadratic (10,000 sessions).
    let mut generations: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
    for session in array
        .sessions
        .iter()
        .filter(|s| s.ctype == CType::SnapOpcPlus)
    {
        generations
            .entry(session.src)
            .or_default()
            .push(session.sid);
    }
    for sids in generations.values_mut() {
        sids.sort_unstable();
    }
    let mut last_stamp: Option<(i64, String)> = None;
    for session in &array.sessions {
        let tracks = array.volumes.get(&session.src).map_or(0, |v| v.tracks());
        let of_source = generations
            .get(&session.src)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let generation = match of_source.iter().position(|&sid| sid == session.sid) {
            Some(n) if session.ctype == CType::SnapOpcPlus => {
                format!("{:>3}/{:>3}", n + 1, of_source.len())
            }
            _ => "-".to_string(),
        };
        // Cells padded by hand: `format!` with widths was most of a 10,000-row answer.
        let mut row = String::with_capacity(220);
        let number = |row: &mut String, n: u32, width: usize| {
            cell(row, &n.to_string(), width, Align::Right);
        };
        number(&mut row, session.sid, 5);
        cell(&mut row, &generation, 7, Align::Right);
        cell(&mut row, session.ctype.text(), 8, Align::Left);
        cell(&mut row, "Standard", 9, Align::Left);
        number(&mut row, session.src, 5);
        cell(&mut row, name(session.src), 32, Align::Left);
        number(&mut row, session.dst, 5);
        cell(&mut row, name(session.dst), 32, Align::Left);
        cell(&mut row, session.status.text(), 13, Align::Left);
        cell(&mut row, session.phase.text(), 16, Align::Left);
        cell(
            &mut row,
            &format!("0x{:02X}", session.error_code),
            6,
            Align::Right,
        );
        cell(&mut row, "CLI", 9, Align::Left);
        if detail {
            let copied = if session.copying() || session.phase == Phase::Copying {
                session.percent().to_string()
            } else {
                "-".to_string()
            };
            let update = if matches!(
                session.ctype,
                CType::QuickOpc | CType::SnapOpc | CType::SnapOpcPlus
            ) {
                session.update_percent(tracks).to_string()
            } else {
                "-".to_string()
            };
            let access = match (session.ctype, session.no_access) {
                (_, true) => "No Access",
                (CType::Ec | CType::Rec, false) => "Read Only",
                _ => "Full",
            };
            // Sessions started together share their time stamp: format each once.
            let stamp = match (session.timestamp, &last_stamp) {
                (None, _) => "-".to_string(),
                (Some(t), Some((at, text))) if *at == t => text.clone(),
                (Some(t), _) => {
                    let (local, _) = crate::clock::local_time(t);
                    let text = local.format("%Y/%m/%d %H:%M:%S").to_string();
                    last_stamp = Some((t, text.clone()));
                    text
                }
            };
            cell(&mut row, &copied, 6, Align::Right);
            cell(&mut row, &update, 6, Align::Right);
            cell(&mut row, access, 9, Align::Left);
            cell(&mut row, &stamp, 0, Align::Left);
        }
        row.truncate(row.trim_end().len());
        lines.push(row);
    }
    lines
}

fn find(array: &Array, sid: u32) -> Result<usize, CliError> {
    array
        .sessions
        .iter()
        .position(|s| s.sid == sid)
        .ok_or_else(CliError::no_resource)
}

fn start(
    array: &mut Array,
    dir: &Path,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, CliError> {
    check_known(
        opts,
        &[
            "mode",
            "source-volume-number",
            "destination-volume-number",
            "destination-access",
        ],
    )?;
    let ctype = match get(opts, "mode") {
        Some("opc") => CType::Opc,
        Some("qopc") => CType::QuickOpc,
        Some("ec") => CType::Ec,
        Some("snapopc") => CType::SnapOpc,
        Some("snapopc+") => CType::SnapOpcPlus,
        Some(m) => return Err(CliError("E0001", format!("Bad value. (-mode {m})"))),
        None => return Err(CliError("E0004", "Missing parameter. (-mode)".into())),
    };
    let no_access = match get(opts, "destination-access") {
        None => false,
        Some("no-access") if ctype == CType::Ec => true,
        Some(v) => {
            return Err(CliError(
                "E0001",
                format!("Bad value. (-destination-access {v})"),
            ))
        }
    };
    let sources = numbers(opts, "source-volume-number")?;
    let destinations = numbers(opts, "destination-volume-number")?;
    if sources.len() != destinations.len() || sources.is_empty() {
        return Err(CliError("E0019", "Inconsistent parameter.".into()));
    }
    // Check everything first: the command starts every session or none.
    let mut plan = Vec::new();
    for (&src, &dst) in sources.iter().zip(&destinations) {
        let (s, d) = (array.volume(src)?, array.volume(dst)?);
        if src == dst || d.size_mb < s.size_mb {
            return Err(CliError("E0019", "Inconsistent parameter.".into()));
        }
        // A Snap Data Volume is the target of SnapOPC/SnapOPC+ only.
        let snap = matches!(ctype, CType::SnapOpc | CType::SnapOpcPlus);
        if (d.is_sdv() && !snap)
            || (s.is_sdv() && !(ctype == CType::Opc && array.snap_of(src).is_some()))
        {
            return Err(CliError(
                "E5344",
                "A Snap Data Volume can only be the destination of SnapOPC or SnapOPC+.".into(),
            ));
        }
        let existing = array
            .sessions
            .iter()
            .position(|x| x.src == src && x.dst == dst);
        let differential = existing.filter(|&i| {
            ctype == CType::QuickOpc
                && array.sessions[i].ctype == CType::QuickOpc
                && array.sessions[i].status == Status::Active
        });
        if differential.is_none()
            && (existing.is_some()
                || array
                    .sessions
                    .iter()
                    .any(|x| x.dst == dst || x.dst == src && x.copying()))
        {
            return Err(CliError(
                "E5342",
                "The copy session has already been set.".into(),
            ));
        }
        plan.push((src, dst, differential, s.tracks().min(d.tracks())));
    }
    let new = plan.iter().filter(|p| p.2.is_none()).count();
    if array.sessions.len() + new > array.session_limit {
        return Err(CliError(
            "E0135",
            format!(
                "The number of copy sessions exceeds the limit ({}).",
                array.session_limit
            ),
        ));
    }
    for (src, dst, differential, tracks) in plan {
        match differential {
            Some(i) => {
                let outside = array.differing_tracks(dir, src, dst);
                let s = &mut array.sessions[i];
                let mut changed = std::mem::take(&mut s.tracked);
                changed.union(&outside);
                s.pending.union(&changed);
                s.total = s.pending.len();
                s.copied = 0;
                s.phase_start_ms = now_ms;
                s.phase = if s.pending.is_empty() {
                    Phase::Tracking
                } else {
                    Phase::TrackingCopy
                };
                s.timestamp = Some(now_ms / 1000);
            }
            None => {
                // A restore from a snapshot copies the tracks where its image differs
                // from the target, at the array's rate like any OPC.
                let restore = match ctype {
                    CType::Opc => array.restore_tracks(dir, src, dst)?,
                    _ => None,
                };
                let snap = matches!(ctype, CType::SnapOpc | CType::SnapOpcPlus);
                let pending = match restore {
                    Some(differ) => differ,
                    None if snap => Ranges::default(),
                    None => Ranges::span(0, tracks),
                };
                let tracks = pending.len();
                let sid = array.next_sid;
                array.next_sid += 1;
                array.sessions.push(Session {
                    sid,
                    ctype,
                    src,
                    dst,
                    status: Status::Active,
                    phase: match ctype {
                        CType::QuickOpc => Phase::TrackingCopy,
                        _ => Phase::Copying,
                    },
                    error_code: 0,
                    pending,
                    total: tracks,
                    copied: 0,
                    phase_start_ms: now_ms,
                    tracked: Ranges::default(),
                    no_access,
                    timestamp: (ctype != CType::Ec).then_some(now_ms / 1000),
                    generation: None,
                    saved: Ranges::default(),
                });
            }
        }
    }
    array.advance(dir, now_ms);
    Ok(Vec::new())
}

fn sids(opts: &[(String, String)], array: &Array) -> Result<Vec<usize>, CliError> {
    numbers(opts, "session-id")?
        .into_iter()
        .map(|sid| find(array, sid))
        .collect()
}

fn stop(array: &mut Array, opts: &[(String, String)]) -> Result<Vec<String>, CliError> {
    check_known(opts, &["session-id", "tracking-only"])?;
    let tracking_only = get(opts, "tracking-only").is_some();
    let mut at = sids(opts, array)?;
    if tracking_only
        && at
            .iter()
            .any(|&i| array.sessions[i].ctype != CType::QuickOpc)
    {
        return Err(bad_state());
    }
    at.sort_unstable();
    for &i in at.iter().rev() {
        let s = &mut array.sessions[i];
        if tracking_only && s.copying() {
            s.ctype = CType::Opc;
            s.phase = Phase::Copying;
            s.tracked = Ranges::default();
        } else {
            array.sessions.remove(i);
        }
    }
    Ok(Vec::new())
}

fn suspend(
    array: &mut Array,
    dir: &Path,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, CliError> {
    check_known(opts, &["session-id"])?;
    let at = sids(opts, array)?;
    if at.iter().any(|&i| {
        let s = &array.sessions[i];
        s.ctype != CType::Ec || s.status != Status::Active || s.phase != Phase::Equivalent
    }) {
        return Err(CliError("E5201", "Invalid copy phase.".into()));
    }
    for i in at {
        // An equivalent EC mirrors every source write; a change made straight into the
        // source file reaches the replica here, before the split.
        let (src, dst) = (array.sessions[i].src, array.sessions[i].dst);
        let outside = array.differing_tracks(dir, src, dst);
        if !outside.is_empty() {
            array.mirror(dir, src, dst, &outside);
        }
        let s = &mut array.sessions[i];
        s.status = Status::Suspend;
        s.phase = Phase::Suspend;
        s.tracked = Ranges::default();
        s.timestamp = Some(now_ms / 1000);
    }
    Ok(Vec::new())
}

fn resume(
    array: &mut Array,
    dir: &Path,
    now_ms: i64,
    opts: &[(String, String)],
) -> Result<Vec<String>, CliError> {
    check_known(opts, &["session-id"])?;
    let at = sids(opts, array)?;
    if at.iter().any(|&i| {
        array.sessions[i].ctype != CType::Ec || array.sessions[i].status != Status::Suspend
    }) {
        return Err(bad_state());
    }
    for i in at {
        let outside = array.differing_tracks(dir, array.sessions[i].src, array.sessions[i].dst);
        let s = &mut array.sessions[i];
        let mut changed = std::mem::take(&mut s.tracked);
        changed.union(&outside);
        s.pending.union(&changed);
        s.total = s.pending.len();
        s.copied = 0;
        s.phase_start_ms = now_ms;
        s.status = Status::Active;
        s.phase = if s.pending.is_empty() {
            Phase::Equivalent
        } else {
            Phase::Copying
        };
    }
    Ok(Vec::new())
}

/// Reverses suspended EC sessions (swsrprevsync): source and destination swap; the tracks
/// changed on either side since the suspend stay recorded for the next resume.
fn reverse(array: &mut Array, opts: &[(String, String)]) -> Result<Vec<String>, CliError> {
    check_known(opts, &["session-id"])?;
    let at = sids(opts, array)?;
    if at.iter().any(|&i| {
        let s = &array.sessions[i];
        s.ctype != CType::Ec || s.status != Status::Suspend
    }) {
        return Err(bad_state());
    }
    for i in at {
        let s = &mut array.sessions[i];
        std::mem::swap(&mut s.src, &mut s.dst);
        s.no_access = false;
    }
    Ok(Vec::new())
}

fn one_volume(array: &Array, opts: &[(String, String)]) -> Result<u32, CliError> {
    check_known(opts, &["volume-number"])?;
    let n = numbers(opts, "volume-number")?;
    match n.as_slice() {
        [v] => array.volume(*v).map(|_| *v),
        _ => Err(CliError("E0019", "Inconsistent parameter.".into())),
    }
}

/// The update measurement of swstestupdate: 512-byte blocks written since its start,
/// each block counted once.
fn update_measurement(
    array: &mut Array,
    verb: &str,
    opts: &[(String, String)],
) -> Result<Vec<String>, CliError> {
    let v = one_volume(array, opts)?;
    let running = array.update_counters.contains_key(&v);
    match verb {
        "start" if running => Err(CliError(
            "E5342",
            "The copy session has already been set.".into(),
        )),
        "start" => {
            array.update_counters.insert(v, Ranges::default());
            Ok(Vec::new())
        }
        "stop" if !running => Err(CliError::no_resource()),
        "stop" => {
            array.update_counters.remove(&v);
            Ok(Vec::new())
        }
        _ => {
            let mut lines = vec![
                "Volume  Updated".to_string(),
                "No.     Blocks".to_string(),
                format!("{} {}", "-".repeat(7), "-".repeat(12)),
            ];
            if let Some(blocks) = array.update_counters.get(&v) {
                lines.push(format!("{v:>7} {:>12}", blocks.len()));
            }
            Ok(lines)
        }
    }
}

const SECTORS_PER_MB: u64 = 2048;
const SECTORS_PER_TRACK: u64 = super::model::TRACK / 512;

/// `show snap-data-volume`: capacities of an SDV in 512-byte sectors. Copy is what the
/// sessions saved, Pool what exceeded the SDV's own capacity.
fn show_sdv(array: &Array, opts: &[(String, String)]) -> Result<Vec<String>, CliError> {
    let v = one_volume(array, opts)?;
    let vol = array.volume(v)?;
    if !vol.is_sdv() {
        return Err(CliError(
            "E5344",
            "The specified volume is not a Snap Data Volume.".into(),
        ));
    }
    let total = array.sdv_used(v) * SECTORS_PER_TRACK;
    let physical = vol.sdv_physical_mb.unwrap_or(0) * SECTORS_PER_MB;
    let used = total.min(physical);
    Ok(vec![
        "Volume  Logical      Physical     Used         Copy         Host         Pool".to_string(),
        "No.     (sector)     (sector)     (sector)     (sector)     (sector)     (sector)"
            .to_string(),
        format!("{} {}", "-".repeat(7), vec!["-".repeat(12); 6].join(" ")),
        format!(
            "{v:>7} {:>12} {physical:>12} {used:>12} {used:>12} {:>12} {:>12}",
            vol.size_mb * SECTORS_PER_MB,
            0,
            total - used
        ),
    ])
}

/// `show snap-data-pool`: one row per pool type (the SDVs draw on the normal pools).
fn show_pool(array: &Array) -> Vec<String> {
    let mut lines = vec![
        "Pool       Total        Used         Copy         Host         Free".to_string(),
        "Type       (sector)     (sector)     (sector)     (sector)     (sector)".to_string(),
        format!("{} {}", "-".repeat(10), vec!["-".repeat(12); 5].join(" ")),
    ];
    let mut used_left = array.pool_used() * SECTORS_PER_TRACK;
    for (kind, label) in [("normal", "Normal"), ("encrypted", "Encrypted")] {
        let total: u64 = array
            .pools
            .iter()
            .filter(|p| p.kind == kind)
            .map(|p| p.size_mb * SECTORS_PER_MB)
            .sum();
        let used = if kind == "normal" {
            used_left.min(total)
        } else {
            0
        };
        used_left -= used;
        lines.push(format!(
            "{label:<10} {total:>12} {used:>12} {used:>12} {:>12} {:>12}",
            0,
            total - used
        ));
    }
    lines
}

/// `initialize snap-data-volume`: empties an SDV no session uses.
fn init_sdv(
    array: &mut Array,
    dir: &Path,
    opts: &[(String, String)],
) -> Result<Vec<String>, CliError> {
    let v = one_volume(array, opts)?;
    if !array.volume(v)?.is_sdv() {
        return Err(CliError(
            "E5344",
            "The specified volume is not a Snap Data Volume.".into(),
        ));
    }
    if array.sessions.iter().any(|s| s.src == v || s.dst == v) {
        return Err(bad_state());
    }
    let path = dir.join(format!("vol{v}.img"));
    if let Err(e) = std::fs::remove_file(&path) {
        if e.kind() != std::io::ErrorKind::NotFound {
            return Err(CliError(
                "E0001",
                format!("internal error on {}: {e}", path.display()),
            ));
        }
    }
    if let Some(vol) = array.volumes.get_mut(&v) {
        vol.written = Ranges::default();
    }
    Ok(Vec::new())
}
