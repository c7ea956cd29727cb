//! The FlashCopy commands: mkflash, resyncflash, rmflash, lsflash and their remote variants.
//!
//! Mutating commands check syntax first (a bad flag or ID rejects the whole command, exit 2,
//! nothing changes), then the storage image, then each pair: injected pair faults fire before
//! the array is locked; the surviving pairs are applied in one locked read-modify-write where
//! each failing pair leaves its relationship untouched. Success lines go to stdout after the
//! state is written, failures to stderr, in pair order.

use super::args::{parse_cmd, parse_conduit, parse_selector, valid_seqnum, Arity, PairId};
use super::messages::{self as msg, exit};
use super::model::{self, Array, Relation, DEFAULT_TIMEOUT};
use super::session::{output_overrides, Session};
use crate::faults::Scope;
use crate::invocation::{errln, outln};
use crate::store::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Mk,
    Resync,
    Rm,
}

fn name(op: Op, remote: bool) -> &'static str {
    match (op, remote) {
        (Op::Mk, false) => "mkflash",
        (Op::Resync, false) => "resyncflash",
        (Op::Rm, false) => "rmflash",
        (Op::Mk, true) => "mkremoteflash",
        (Op::Resync, true) => "resyncremoteflash",
        (Op::Rm, true) => "rmremoteflash",
    }
}

fn spec(op: Op, remote: bool) -> Vec<(&'static str, Arity)> {
    use Arity::*;
    let mut s = vec![("-dev", Value), ("-seqnum", Value)];
    if remote {
        s.extend([("-conduit", Value), ("-srcss", Value)]);
    }
    match op {
        Op::Mk | Op::Resync => s.extend([
            ("-record", Switch),
            ("-persist", Switch),
            ("-cp", Switch),
            ("-nocp", Switch),
            ("-tgtse", Switch),
            ("-freeze", Switch),
            ("-tgtinhibit", Switch),
            ("-tgtpprc", Switch),
            ("-tgtoffline", Switch),
            ("-wait", Switch),
            ("-fast", Switch),
            ("-multinc", Switch),
            ("-resetreserve", Switch),
        ]),
        Op::Rm => s.extend([
            ("-quiet", Switch),
            ("-tgtonly", Switch),
            ("-cp", Switch),
            ("-resettgtinhibit", Switch),
            ("-wait", Switch),
        ]),
    }
    s
}

/// The relationship options a mkflash/resyncflash gives.
struct Options {
    record: bool,
    persist: bool,
    nocp: bool,
    tgtse: bool,
    tgtinhibit: bool,
    seqnum: Option<String>,
}

/// Validate the conduit of a remote command (syntax errors).
fn check_conduit(cmd: &str, c: &super::args::CmdLine) -> Result<(), String> {
    match c.value("-conduit") {
        None => Err(msg::required_flag(cmd, "-conduit")),
        Some(v) => parse_conduit(v)
            .map(|_| ())
            .ok_or_else(|| msg::invalid_conduit(cmd, v)),
    }
}

/// Is `dev` an image this session may address? Remote commands address the image behind the
/// conduit, which only has to exist.
fn check_image(s: &Session<'_>, cmd: &str, dev: &str, remote: bool) -> Result<(), String> {
    let ok = if remote {
        matches!(model::load(&s.inv.store, dev), Ok(Some(_)))
    } else {
        s.images.iter().any(|i| i == dev)
    };
    if ok {
        Ok(())
    } else {
        Err(msg::image_not_accessible(cmd, dev))
    }
}

pub fn mutate(s: &mut Session<'_>, op: Op, remote: bool, tokens: &[String]) -> i32 {
    let cmd = name(op, remote);
    let c = match parse_cmd(tokens, &spec(op, remote)) {
        Ok(c) => c,
        Err(m) => return syntax(&m),
    };
    if c.has("-cp") && c.has("-nocp") {
        return syntax(&msg::exclusive_flags(cmd, "-cp", "-nocp"));
    }
    if remote {
        if let Err(m) = check_conduit(cmd, &c) {
            return syntax(&m);
        }
    }
    if let Some(v) = c.value("-seqnum") {
        if !valid_seqnum(v) {
            return syntax(&msg::invalid_value(cmd, "-seqnum", v));
        }
    }
    let ids = match s.ids(cmd, &c.positional) {
        Ok(i) => i,
        Err(m) => return syntax(&m),
    };
    let pairs = match s.parse_pairs(cmd, &ids) {
        Ok(p) => p,
        Err(m) => return syntax(&m),
    };
    let devs: Vec<Option<&str>> = pairs.iter().map(|p| p.dev.as_deref()).collect();
    let dev = match s.resolve_dev(cmd, c.value("-dev"), &devs) {
        Ok(d) => d,
        Err(m) => return syntax(&m),
    };
    if let Err(m) = check_image(s, cmd, &dev, remote) {
        errln(&m);
        return exit::SERVER;
    }
    let opts = Options {
        record: c.has("-record"),
        // -record implies -persist (DS CLI manual).
        persist: c.has("-persist") || c.has("-record"),
        nocp: c.has("-nocp"),
        tgtse: c.has("-tgtse"),
        tgtinhibit: c.has("-tgtinhibit"),
        seqnum: c.value("-seqnum").map(|v| v.to_ascii_uppercase()),
    };
    s.banner(&dev, s.settings.banner);

    // Pair faults fire before the array is locked (a hang must not hold the lock).
    let mut results: Vec<Option<Result<String, (i32, String)>>> = Vec::with_capacity(pairs.len());
    for p in &pairs {
        let id = p.id();
        let f = s.inv.faults(Scope::Pair(cmd, &id), Some(cmd), Some(&id));
        results.push(f.map(|f| Err((f.exit, f.message))));
    }

    let store = s.inv.store.clone();
    let clock = s.clock;
    let prompt = op == Op::Rm && !c.has("-quiet");
    if prompt {
        // Interactive removal: ask, then remove, pair by pair.
        for (p, slot) in pairs.iter().zip(results.iter_mut()) {
            if slot.is_some() {
                continue;
            }
            let q = if remote {
                msg::rmremoteflash_prompt(&p.id())
            } else {
                msg::rmflash_prompt(&p.id())
            };
            if !s.confirm(&q) {
                continue;
            }
            let r = model::update(&store, &dev, |a: &mut Array| {
                let now = clock.now();
                a.prune(now);
                Ok::<_, StoreError>(apply(a, op, remote, &opts, p, now))
            });
            *slot = Some(flatten(r, &dev));
            report(slot);
        }
    } else {
        let r = model::update(&store, &dev, |a: &mut Array| {
            let now = clock.now();
            a.prune(now);
            let mut out = Vec::with_capacity(pairs.len());
            for (p, slot) in pairs.iter().zip(results.iter()) {
                out.push(match slot {
                    Some(_) => None,
                    None => Some(apply(a, op, remote, &opts, p, now)),
                });
            }
            Ok::<_, StoreError>(out)
        });
        match r {
            Ok(Some(applied)) => {
                for (slot, a) in results.iter_mut().zip(applied) {
                    if slot.is_none() {
                        *slot = a.map(|r| r.map_err(|m| (exit::SERVER, m)));
                    }
                }
            }
            other => {
                let e = flatten(other.map(|o| o.map(|_| Ok(String::new()))), &dev);
                for slot in results.iter_mut().filter(|s| s.is_none()) {
                    *slot = Some(e.clone());
                }
            }
        }
        for slot in &results {
            report(slot);
        }
    }
    results
        .iter()
        .rev()
        .find_map(|r| match r {
            Some(Err((code, _))) => Some(*code),
            _ => None,
        })
        .unwrap_or(exit::OK)
}

fn syntax(m: &str) -> i32 {
    errln(m);
    exit::SYNTAX
}

fn report(slot: &Option<Result<String, (i32, String)>>) {
    match slot {
        Some(Ok(line)) if !line.is_empty() => outln(line),
        Some(Err((_, m))) => errln(m),
        _ => {}
    }
}

type Applied = Result<String, String>;

fn flatten(r: Result<Option<Applied>, StoreError>, dev: &str) -> Result<String, (i32, String)> {
    match r {
        Ok(Some(Ok(line))) => Ok(line),
        Ok(Some(Err(m))) => Err((exit::SERVER, m)),
        Ok(None) => Err((
            exit::SERVER,
            msg::internal(&format!("storage image {dev} vanished")),
        )),
        Err(e) => Err((exit::APPLICATION, msg::internal(&e.to_string()))),
    }
}

/// One pair of a mutating command against the array; `Err` leaves the pair unchanged.
fn apply(a: &mut Array, op: Op, remote: bool, o: &Options, p: &PairId, now: i64) -> Applied {
    let cmd = name(op, remote);
    let id = p.id();
    let rate = a.rate;
    let vol = |a: &Array, v: &str| {
        a.volumes
            .get(v)
            .cloned()
            .ok_or_else(|| msg::volume_missing(cmd, &id, v))
    };
    match op {
        Op::Mk => {
            let src = vol(a, &p.src)?;
            let tgt = vol(a, &p.tgt)?;
            if p.src == p.tgt {
                return Err(msg::same_volume(cmd, &id));
            }
            let rels = a.relations(remote);
            if rels.contains_key(&id) {
                return Err(msg::relation_exists(cmd, &id));
            }
            if rels.values().any(|r| r.tgt == p.tgt) {
                return Err(msg::target_busy(cmd, &id, &p.tgt));
            }
            if tgt.tracks < src.tracks {
                return Err(msg::target_too_small(cmd, &id));
            }
            check_tgtse(cmd, &id, tgt.ese, o.tgtse)?;
            let rel = Relation {
                src: p.src.clone(),
                tgt: p.tgt.clone(),
                seqnum: o.seqnum.clone().unwrap_or_else(|| "0".to_string()),
                timeout: DEFAULT_TIMEOUT,
                recording: o.record,
                persistent: o.persist,
                revertible: false,
                source_write: true,
                target_write: !o.tgtinhibit,
                background_copy: !o.nocp,
                tgt_se: tgt.ese,
                initial_oos: src.tracks,
                copy_start: now,
                created: now,
                synced: now,
                state: None,
            };
            a.relations_mut(remote).insert(id.clone(), rel);
            reset_changes(a, p);
            Ok(if remote {
                msg::mkremoteflash_ok(&id)
            } else {
                msg::mkflash_ok(&id)
            })
        }
        Op::Resync => {
            let Some(rel) = a.relations(remote).get(&id).cloned() else {
                return Err(msg::relation_missing(cmd, &id));
            };
            if !rel.recording {
                return Err(msg::not_recording(cmd, &id));
            }
            let src = vol(a, &p.src)?;
            let tgt = vol(a, &p.tgt)?;
            check_tgtse(cmd, &id, tgt.ese, o.tgtse)?;
            let changed = src.changed_tracks.saturating_add(tgt.changed_tracks);
            let oos = rel.oos(now, rate).saturating_add(changed).min(src.tracks);
            let new = Relation {
                seqnum: o.seqnum.clone().unwrap_or(rel.seqnum.clone()),
                // The options given replace the relationship's (DS CLI manual).
                recording: o.record,
                persistent: o.persist,
                target_write: !o.tgtinhibit,
                background_copy: !o.nocp,
                tgt_se: tgt.ese,
                initial_oos: oos,
                copy_start: now,
                synced: now,
                ..rel
            };
            a.relations_mut(remote).insert(id.clone(), new);
            reset_changes(a, p);
            Ok(if remote {
                msg::resyncremoteflash_ok(&id)
            } else {
                msg::resyncflash_ok(&id)
            })
        }
        Op::Rm => {
            if a.relations_mut(remote).remove(&id).is_none() {
                return Err(msg::relation_missing(cmd, &id));
            }
            Ok(if remote {
                msg::rmremoteflash_ok(&id)
            } else {
                msg::rmflash_ok(&id)
            })
        }
    }
}

/// `-tgtse` is required exactly when the target is extent-space-efficient.
fn check_tgtse(cmd: &str, id: &str, ese: bool, tgtse: bool) -> Result<(), String> {
    match (ese, tgtse) {
        (true, false) => Err(msg::ese_needs_tgtse(cmd, id)),
        (false, true) => Err(msg::tgtse_not_ese(cmd, id)),
        _ => Ok(()),
    }
}

fn reset_changes(a: &mut Array, p: &PairId) {
    for v in [&p.src, &p.tgt] {
        if let Some(vol) = a.volumes.get_mut(v) {
            vol.changed_tracks = 0;
        }
    }
}

/// `lsflash -l` columns in the documented order (vendor-cli.md §1.4), isTgtSE last.
pub const LONG_COLUMNS: &[&str] = &[
    "ID",
    "SrcLSS",
    "SequenceNum",
    "Timeout",
    "ActiveCopy",
    "Recording",
    "Persistent",
    "Revertible",
    "SourceWriteEnabled",
    "TargetWriteEnabled",
    "BackgroundCopy",
    "OutOfSyncTracks",
    "DateCreated",
    "DateSynced",
    "State",
    "isTgtSE",
];

/// Default (neither `-s` nor `-l`): the first eleven.
pub const DEFAULT_COLUMNS: usize = 11;

fn enabled(b: bool) -> String {
    if b { "Enabled" } else { "Disabled" }.to_string()
}

fn column(r: &Relation, col: &str, now: i64, rate: u64, fullid: Option<&str>) -> String {
    match col {
        "ID" => match fullid {
            Some(d) => format!("{d}/{}:{d}/{}", r.src, r.tgt),
            None => r.id(),
        },
        "SrcLSS" => r.src_lss().to_string(),
        "SequenceNum" => r.seqnum.clone(),
        "Timeout" => r.timeout.to_string(),
        "ActiveCopy" => enabled(r.active_copy(now, rate)),
        "Recording" => enabled(r.recording),
        "Persistent" => enabled(r.persistent),
        "Revertible" => enabled(r.revertible),
        "SourceWriteEnabled" => enabled(r.source_write),
        "TargetWriteEnabled" => enabled(r.target_write),
        "BackgroundCopy" => enabled(r.background_copy),
        "OutOfSyncTracks" => r.oos(now, rate).to_string(),
        "DateCreated" => super::format::long_date(r.created),
        "DateSynced" => super::format::long_date(r.synced),
        "State" => r.state_text().to_string(),
        "isTgtSE" => if r.tgt_se { "ESE" } else { "Std" }.to_string(),
        _ => "-".to_string(),
    }
}

pub fn list(s: &mut Session<'_>, remote: bool, tokens: &[String]) -> i32 {
    use Arity::*;
    let cmd = if remote { "lsremoteflash" } else { "lsflash" };
    let mut spec = vec![
        ("-dev", Value),
        ("-s", Switch),
        ("-l", Switch),
        ("-fmt", Value),
        ("-delim", Value),
        ("-hdr", Value),
        ("-bnr", Value),
        ("-p", Value),
        ("-v", Value),
        ("-r", Value),
        ("-fullid", Switch),
        ("-activecp", Switch),
        ("-record", Switch),
        ("-persist", Switch),
        ("-revertible", Switch),
        ("-cp", Switch),
        ("-seqnum", Value),
        ("-state", Value),
    ];
    if remote {
        spec.extend([("-conduit", Value), ("-srcss", Value)]);
    }
    let c = match parse_cmd(tokens, &spec) {
        Ok(c) => c,
        Err(m) => return syntax(&m),
    };
    if c.has("-s") && c.has("-l") {
        return syntax(&msg::exclusive_flags(cmd, "-s", "-l"));
    }
    if remote {
        if let Err(m) = check_conduit(cmd, &c) {
            return syntax(&m);
        }
    }
    let settings = match output_overrides(cmd, &c, ["-bnr", "-hdr", "-fmt", "-delim"], &s.settings)
    {
        Ok(st) => st,
        Err(m) => return syntax(&m),
    };
    let ids = match s.ids(cmd, &c.positional) {
        Ok(i) => i,
        Err(m) => return syntax(&m),
    };
    let mut selectors = Vec::with_capacity(ids.len());
    for i in &ids {
        match parse_selector(i) {
            Some(sel) => selectors.push(sel),
            None => return syntax(&msg::invalid_id(cmd, i)),
        }
    }
    let devs: Vec<Option<&str>> = selectors.iter().map(|x| x.dev()).collect();
    let dev = match s.resolve_dev(cmd, c.value("-dev"), &devs) {
        Ok(d) => d,
        Err(m) => return syntax(&m),
    };
    if let Err(m) = check_image(s, cmd, &dev, remote) {
        errln(&m);
        return exit::SERVER;
    }
    let array = match model::load(&s.inv.store, &dev) {
        Ok(Some(a)) => a,
        Ok(None) => {
            errln(&msg::image_not_accessible(cmd, &dev));
            return exit::SERVER;
        }
        Err(e) => {
            errln(&msg::internal(&e.to_string()));
            return exit::APPLICATION;
        }
    };
    let now = s.clock.now();
    let rate = array.rate;
    let long_cols: Vec<String> = array
        .long_columns
        .clone()
        .unwrap_or_else(|| LONG_COLUMNS.iter().map(|c| c.to_string()).collect());
    let cols: Vec<&str> = if c.has("-s") {
        vec!["ID"]
    } else if c.has("-l") {
        long_cols.iter().map(String::as_str).collect()
    } else {
        LONG_COLUMNS[..DEFAULT_COLUMNS].to_vec()
    };
    let seq = c.value("-seqnum").map(str::to_ascii_uppercase);
    let state = c.value("-state").map(str::to_ascii_lowercase);
    let fullid = c.has("-fullid").then_some(dev.as_str());
    let rows: Vec<Vec<String>> = array
        .relations(remote)
        .values()
        .filter(|r| !r.gone(now, rate))
        .filter(|r| selectors.is_empty() || selectors.iter().any(|x| x.matches(&r.src, &r.tgt)))
        .filter(|r| !c.has("-activecp") || r.active_copy(now, rate))
        .filter(|r| !c.has("-record") || r.recording)
        .filter(|r| !c.has("-persist") || r.persistent)
        .filter(|r| !c.has("-revertible") || r.revertible)
        .filter(|r| !c.has("-cp") || r.background_copy)
        .filter(|r| seq.as_ref().is_none_or_eq(&r.seqnum))
        .filter(|r| {
            state
                .as_ref()
                .is_none_or_eq(&r.state_text().to_ascii_lowercase())
        })
        .map(|r| {
            cols.iter()
                .map(|col| column(r, col, now, rate, fullid))
                .collect()
        })
        .collect();
    s.banner(&dev, settings.banner);
    if rows.is_empty() {
        outln(&msg::no_flash_found(cmd));
        return exit::OK;
    }
    for line in super::format::render(settings.fmt, &settings.delim, settings.header, &cols, &rows)
    {
        outln(&line);
    }
    exit::OK
}

trait NoneOrEq {
    fn is_none_or_eq(&self, v: &str) -> bool;
}

impl NoneOrEq for Option<&String> {
    fn is_none_or_eq(&self, v: &str) -> bool {
        match self {
            None => true,
            Some(x) => x.as_str() == v,
        }
    }
}
