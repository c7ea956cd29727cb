//! `symclone` and `symsnap`: control actions (`create`, `activate`, `recreate`, `establish`,
//! `restore`, `terminate`, `split`), `query` and `verify`, on a device group (`-g DG` with
//! `SRC sym ld TGT` operands, or every pair of the group) or a device file (`-sid SID -f FILE`).
//!
//! A control action is all or nothing: injected command and pair faults fire first (a hang
//! holds no lock), then every pair is checked and changed in one locked update of the
//! array, or none is. Progress and success messages go to stderr, as seed 002's log shows
//! them ("command succesful but stderr"); errors too.

use std::io::{BufRead, Write};

use super::args::{self, Cmd};
use super::format::{self, exit, Scope as Said};
use super::model::{self, Group, Op, Opts, PairRef, Session};
use crate::clock::Clock;
use crate::faults::Scope;
use crate::invocation::{errln, out, Invocation};
use crate::store::StoreError;

const VALUES: &[&str] = &["-g", "-sid", "-f", "-i", "-c", "-output"];
const SWITCHES: &[&str] = &[
    "-noprompt",
    "-precopy",
    "-diff",
    "-consistent",
    "-restored",
    "-symforce",
    "-force",
    "-v",
    "-copy",
    "-nocopy",
    "-multi",
    "-tgt",
    "-created",
    "-recreated",
    "-copied",
    "-copyinprog",
    "-copyonwrite",
    "-restinprog",
    "-split",
    "-failed",
    "-cycled",
];

/// `verify` state options and the state each stands for.
const VERIFY_STATES: &[(&str, &str)] = &[
    ("-created", "Created"),
    ("-precopy", "Precopy"),
    ("-recreated", "Recreated"),
    ("-copied", "Copied"),
    ("-copyinprog", "CopyInProg"),
    ("-copyonwrite", "CopyOnWrite"),
    ("-restinprog", "RestInProg"),
    ("-restored", "Restored"),
    ("-split", "Split"),
    ("-failed", "Failed"),
];

/// Why a command failed: a message for the user, or the emulator's own state I/O.
pub enum Fail {
    Msg(String),
    Store(StoreError),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<String> for Fail {
    fn from(m: String) -> Self {
        Fail::Msg(m)
    }
}

/// Prints the failure on stderr; returns the exit code.
pub fn report(f: Fail) -> i32 {
    match f {
        Fail::Msg(m) => errln(&m),
        Fail::Store(e) => errln(&e.to_string()),
    }
    exit::FAIL
}

fn err_text(text: &str) {
    let mut e = std::io::stderr().lock();
    let _ = e.write_all(text.as_bytes());
    let _ = e.flush();
}

/// An injected SYMAPI database lock (`arraysim fault add --prog P --kind locked`): exit 2.
pub fn db_locked(inv: &mut Invocation) -> Option<i32> {
    let rule = inv.fired(Scope::Kind("locked", None)).into_iter().next()?;
    errln(rule.message.as_deref().unwrap_or(format::DB_LOCKED));
    Some(rule.exit.unwrap_or(exit::DB_LOCKED))
}

pub fn run_clone(inv: &mut Invocation, argv: &[String]) -> i32 {
    run(inv, argv, false)
}

pub fn run_snap(inv: &mut Invocation, argv: &[String]) -> i32 {
    run(inv, argv, true)
}

fn run(inv: &mut Invocation, argv: &[String], snap: bool) -> i32 {
    let prog = inv.prog();
    let cmd = match args::parse(argv, VALUES, SWITCHES) {
        Ok(c) => c,
        Err(m) => return report(Fail::Msg(format!("{prog}: {m}"))),
    };
    if let Some(code) = db_locked(inv) {
        return code;
    }
    let Some(action) = cmd.action() else {
        return report(Fail::Msg(format!(
            "{prog}: an action is required: create, activate, recreate, establish, restore, terminate, split, query, verify"
        )));
    };
    let result = match action.as_str() {
        "query" => query(inv, &cmd, snap),
        "verify" => verify(inv, &cmd, snap),
        verb => match Op::parse(verb) {
            Some(op) => control(inv, &cmd, op, snap),
            None => Err(Fail::Msg(format!("{prog}: invalid action '{verb}'"))),
        },
    };
    result.unwrap_or_else(report)
}

/// What a command addresses.
pub struct Selected {
    pub symid: String,
    pub pairs: Vec<PairRef>,
    pub group: Option<(String, Group)>,
    pub file: Option<String>,
    /// No pair operands: every pair of the group.
    pub all: bool,
}

impl Selected {
    fn said(&self) -> Said<'_> {
        match (&self.group, &self.file) {
            (Some((name, _)), _) if self.pairs.len() == 1 && !self.all => Said::GroupPair {
                group: name,
                pair: &self.pairs[0],
            },
            (Some((name, _)), _) => Said::Group {
                group: name,
                all: self.all,
            },
            (None, Some(file)) => Said::File { file },
            (None, None) => Said::File { file: "" },
        }
    }

    /// How the call log shows the command.
    fn record(&self, verb: &str, cmd: &Cmd) -> String {
        match (&self.group, &self.file) {
            (_, Some(file)) => format!("{verb} -f {file} ({} pairs)", self.pairs.len()),
            (Some((name, _)), None) if self.all => format!("{verb} -g {name}"),
            _ => std::iter::once(verb.to_string())
                .chain(cmd.operands().iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// The pairs named by `-g DG [operands]` or `-sid SID -f FILE`.
pub fn select(inv: &Invocation, cmd: &Cmd, allow_all: bool) -> Result<Selected, Fail> {
    if let Some(file) = cmd.value("-f") {
        return select_file(inv, cmd, file);
    }
    let Some(name) = cmd.value("-g") else {
        return Err(Fail::Msg(
            "A device group (-g DgName) or a device file (-sid SymmID -f FileName) is required"
                .into(),
        ));
    };
    let db = model::load_db(&inv.store)?;
    let (name, group) = db
        .groups
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, g)| (n.clone(), g.clone()))
        .ok_or_else(|| format!("The device group '{name}' does not exist"))?;
    let symid = group
        .symid
        .clone()
        .ok_or_else(|| format!("The device group '{name}' has no devices"))?;
    let operands = args::pair_operands(cmd.operands())?;
    let all = operands.is_empty();
    let pairs = if all {
        if !allow_all {
            return Err(Fail::Msg(
                "No Source and Target device pair was specified (SrcLdev sym ld TgtLdev)".into(),
            ));
        }
        let symm = model::load(&inv.store, &symid)?
            .ok_or_else(|| format!("Symmetrix '{symid}' was not found"))?;
        symm.sessions
            .iter()
            .filter_map(|s| {
                Some(PairRef {
                    src: s.src.clone(),
                    tgt: s.tgt.clone(),
                    names: Some((
                        group.ld_of(&s.src)?.to_string(),
                        group.ld_of(&s.tgt)?.to_string(),
                    )),
                })
            })
            .collect()
    } else {
        let mut pairs = Vec::new();
        for (sl, tl) in operands {
            let dev = |ld: &str| {
                group.member(ld).map(str::to_string).ok_or_else(|| {
                    format!("Device '{ld}' is not a member of device group '{name}'")
                })
            };
            pairs.push(PairRef {
                src: dev(&sl)?,
                tgt: dev(&tl)?,
                names: Some((sl, tl)),
            });
        }
        pairs
    };
    Ok(Selected {
        symid,
        pairs,
        group: Some((name, group)),
        file: None,
        all,
    })
}

fn select_file(inv: &Invocation, cmd: &Cmd, file: &str) -> Result<Selected, Fail> {
    let sid = cmd
        .value("-sid")
        .ok_or_else(|| "A Symmetrix id (-sid) is required with a device file (-f)".to_string())?;
    let symid = model::resolve(&inv.store, sid)?
        .ok_or_else(|| format!("Symmetrix '{sid}' was not found"))?;
    if !cmd.operands().is_empty() {
        return Err(Fail::Msg(
            "Device pairs cannot be given both in a device file (-f) and on the command line"
                .into(),
        ));
    }
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("Cannot open the device file '{file}': {e}"))?;
    let pairs = args::device_file(&text)?
        .into_iter()
        .map(|(src, tgt)| {
            if model::valid_device_id(&src) && model::valid_device_id(&tgt) {
                Ok(PairRef {
                    src,
                    tgt,
                    names: None,
                })
            } else {
                Err(Fail::Msg(format!(
                    "Invalid Symmetrix device name in the device file: '{src} {tgt}'"
                )))
            }
        })
        .collect::<Result<Vec<_>, Fail>>()?;
    Ok(Selected {
        symid,
        pairs,
        group: None,
        file: Some(file.to_string()),
        all: false,
    })
}

/// Fires the command and pair faults of a control action; the first failure wins.
fn faults(inv: &mut Invocation, verb: &str, pairs: &[PairRef]) -> Option<(i32, String)> {
    if let Some(f) = inv.faults(Scope::Command(verb), Some(verb), None) {
        return Some((f.exit, f.message));
    }
    for p in pairs {
        let mut ids = vec![format!("{}:{}", p.src, p.tgt)];
        if let Some((s, t)) = &p.names {
            ids.push(format!("{s}:{t}"));
        }
        for id in ids {
            if let Some(f) = inv.faults(Scope::Pair(verb, &id), Some(verb), Some(&id)) {
                return Some((f.exit, f.message));
            }
        }
    }
    None
}

/// SYMCLI's `SYMCLI_NOPROMPT=1` disables the confirmation of control actions.
fn noprompt_env() -> bool {
    std::env::var("SYMCLI_NOPROMPT").is_ok_and(|v| v == "1")
}

fn confirm(prompt: &str) -> bool {
    out(prompt);
    let mut answer = String::new();
    let _ = std::io::stdin().lock().read_line(&mut answer);
    out("\n");
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

fn control(inv: &mut Invocation, cmd: &Cmd, op: Op, snap: bool) -> Result<i32, Fail> {
    let verb = cmd.action().unwrap_or_default();
    let sel = select(inv, cmd, op != Op::Create)?;
    inv.record_command(sel.record(&verb, cmd));
    if let Some((code, message)) = faults(inv, &verb, &sel.pairs) {
        errln(&message);
        return Ok(code);
    }
    let said = sel.said();
    if !cmd.has("-noprompt") && !noprompt_env() && !confirm(&format::prompt(op, &said)) {
        return Err(Fail::Msg("Operation cancelled by the user".into()));
    }
    err_text(&format::in_progress(op, &said));
    let opts = Opts {
        snap,
        precopy: cmd.has("-precopy"),
        differential: cmd.has("-diff"),
        restored: cmd.has("-restored"),
        symforce: cmd.has("-symforce"),
    };
    let clock = Clock::load(&inv.store)?;
    let applied = model::update(&inv.store, &sel.symid, |a| {
        a.apply(op, opts, &sel.pairs, clock.now())
            .map_err(Fail::Msg)
    })?;
    if applied.is_none() {
        return Err(Fail::Msg(format!(
            "Symmetrix '{}' was not found",
            sel.symid
        )));
    }
    err_text(&format!("\n{}", format::done(op, &said)));
    Ok(exit::OK)
}

/// The sessions of the selection, of this program's kind, with their logical names.
fn rows<'a>(
    symm: &'a model::Symm,
    sel: &Selected,
    snap: bool,
) -> Vec<(&'a Session, Option<(String, String)>)> {
    sel.pairs
        .iter()
        .filter_map(|p| {
            symm.session(&p.src, &p.tgt)
                .filter(|s| s.snap == snap)
                .map(|s| (s, p.names.clone()))
        })
        .collect()
}

fn query(inv: &mut Invocation, cmd: &Cmd, snap: bool) -> Result<i32, Fail> {
    let sel = select(inv, cmd, true)?;
    inv.record_command(sel.record("query", cmd));
    let symm = model::load(&inv.store, &sel.symid)?
        .ok_or_else(|| format!("Symmetrix '{}' was not found", sel.symid))?;
    let clock = Clock::load(&inv.store)?;
    let rows = rows(&symm, &sel, snap);
    let kind = if snap { "Snap" } else { "Clone" };
    let title = match &sel.group {
        Some((name, group)) => {
            if rows.is_empty() {
                return Err(Fail::Msg(format!("Device group '{name}' does not have any devices that are {kind} source devices")));
            }
            format::group_header(name, group)
        }
        None => {
            if rows.is_empty() {
                return Err(Fail::Msg(
                    "The Source device and the Target device do not form a Copy session".into(),
                ));
            }
            format!("\nSymmetrix ID: {}\n", symm.symid)
        }
    };
    out(&format::query(
        &title,
        &symm,
        &clock,
        &rows,
        sel.group.is_some(),
    ));
    Ok(exit::OK)
}

fn verify(inv: &mut Invocation, cmd: &Cmd, snap: bool) -> Result<i32, Fail> {
    let wanted: Vec<&str> = VERIFY_STATES
        .iter()
        .filter(|(flag, _)| cmd.has(flag))
        .map(|(_, s)| *s)
        .collect();
    if wanted.is_empty() {
        return Err(Fail::Msg(
            "verify: a state option is required (e.g. -copied, -precopy, -restored)".into(),
        ));
    }
    let sel = select(inv, cmd, true)?;
    inv.record_command(sel.record("verify", cmd));
    let number = |name: &str| {
        cmd.value(name).map(|v| {
            v.parse::<u64>()
                .map_err(|_| format!("Invalid value '{v}' for {name}"))
        })
    };
    let interval = number("-i").transpose()?;
    let attempts = number("-c")
        .transpose()?
        .unwrap_or(if interval.is_some() { u64::MAX } else { 1 })
        .max(1);
    let states = wanted
        .iter()
        .map(|s| format!("'{s}'"))
        .collect::<Vec<_>>()
        .join(" or ");
    let whose = match (&sel.group, &sel.file) {
        (Some((name, _)), _) => format!("in the group '{name}'"),
        (None, file) => format!("in the device file '{}'", file.as_deref().unwrap_or("")),
    };
    let mut attempt = 0;
    loop {
        let symm = model::load(&inv.store, &sel.symid)?
            .ok_or_else(|| format!("Symmetrix '{}' was not found", sel.symid))?;
        let now = Clock::load(&inv.store)?.now();
        let matching = sel
            .pairs
            .iter()
            .filter(|p| {
                symm.session(&p.src, &p.tgt)
                    .filter(|s| s.snap == snap)
                    .is_some_and(|s| {
                        wanted
                            .iter()
                            .any(|w| w.eq_ignore_ascii_case(&s.state(now, symm.rate)))
                    })
            })
            .count();
        attempt += 1;
        if matching == sel.pairs.len() && matching > 0 {
            out(&format!("\nAll devices {whose} are in {states} state.\n\n"));
            return Ok(exit::OK);
        }
        if attempt >= attempts {
            let (word, code) = if matching == 0 {
                ("None of the", exit::NONE)
            } else {
                ("Not All", exit::NOT_ALL)
            };
            out(&format!(
                "\n{word} devices {whose} are in {states} state.\n\n"
            ));
            return Ok(code);
        }
        std::thread::sleep(std::time::Duration::from_secs(interval.unwrap_or(1)));
    }
}
