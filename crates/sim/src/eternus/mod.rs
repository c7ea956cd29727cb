//! Fujitsu ETERNUS DX CLI personality (`eternus-cli ARRAY`), per docs/eternus.md: what an
//! ssh session to the array's management address answers. The engine reaches it through
//! the auth.conf `command =` prefix, in place of ssh.
//!
//! Session: prints `\r\nCLI> `, then for each line read on stdin echoes it, prints the
//! answer (lines ending `\r\n`; a failure is one `Error: Exxxx <text>` line) and the next
//! prompt. `exit` or end of input ends the session with exit 0. An unknown array ends it at
//! once, as ssh would (exit 255).
//!
//! Faults: `--command VERB` (`start`, `stop`, `suspend`, `resume`, `show`) fails that command
//! with `Error: E0060 Resource locked` unless a message is given (`--times 1` to have it
//! retried), answers nothing at all with `--message ''`, or hangs with `--hang`; `--pair SRC:DST` (volume numbers) fails a `start`
//! naming that pair, or with `--message ''` answers OK but does not start that pair. A bad sector (`arraysim eternus bad-sector`) error-suspends the session
//! that copies it (code 0xBA); `arraysim eternus limit` caps the sessions (E0135).

pub mod admin;
pub mod commands;
pub mod model;
pub mod ranges;
pub mod rec;

use std::io::BufRead;

use crate::faults::Scope;
use crate::invocation::{errln, out, Invocation};
use crate::store::{Parsed, StoreError};
use crate::{Personality, Vendor};
use model::{Array, CliError};

pub const PERSONALITY: Personality = Personality {
    prog: "eternus-cli",
    run,
    mask_argv: |a| a.to_vec(),
    default_fault_exit: 255,
    default_fault_message: |_, _| "Error: E0060 Resource locked".to_string(),
    internal_error_exit: 255,
};

pub const VENDOR: Vendor = Vendor {
    name: "eternus",
    setup: admin::setup,
    admin: admin::admin,
    set_rate: admin::set_rate,
    get_rate: admin::get_rate,
};

fn run(inv: &mut Invocation, args: &[String]) -> i32 {
    let Some(name) = args.first().filter(|n| model::valid_name(n)) else {
        errln("usage: eternus-cli ARRAY (the array answers on stdin as an ssh session would)");
        return 255;
    };
    // Whether the array exists, without parsing its state: each answer reads it anyway
    // (an array of 20,000 volumes and 10,000 sessions costs a parse per read).
    if !inv.store.path(&model::rel_path(name)).is_file() {
        errln(&format!(
            "ssh: connect to host {name} port 22: No route to host"
        ));
        return 255;
    }
    out("\r\nCLI> ");
    // The array as this session last read or wrote it, reused while its file is unchanged
    // (`Store::update_existing_cached`): every command still takes the lock and reads the
    // file, but a session of 1,024 commands no longer parses it 1,024 times.
    let mut cache: Option<Parsed<Array>> = None;
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    loop {
        let mut raw = String::new();
        match input.read_line(&mut raw) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        let line = raw.trim().to_string();
        if line.is_empty() {
            out("CLI> ");
            continue;
        }
        if line == "exit" {
            return 0;
        }
        inv.record_command(line.clone());
        out(&format!("{line}\r\n"));
        let answer = answer(inv, name, &line, &mut cache);
        let mut text = String::new();
        match answer {
            Ok(lines) => {
                for l in lines {
                    text.push_str(&l);
                    text.push_str("\r\n");
                }
            }
            Err(CliError(code, message)) => text.push_str(&format!("Error: {code} {message}\r\n")),
        }
        text.push_str("CLI> ");
        out(&text);
    }
}

fn fault_text(message: &str) -> CliError {
    let m = message
        .trim()
        .strip_prefix("Error:")
        .map(str::trim)
        .unwrap_or(message.trim());
    let (code, text) = m.split_once(' ').unwrap_or((m, ""));
    let code: &'static str = match code {
        "E0060" => "E0060",
        "E0110" => "E0110",
        "E0135" => "E0135",
        "E5201" => "E5201",
        _ => "E0001",
    };
    CliError(
        code,
        if code == "E0001" && !m.starts_with("E0001") {
            m.to_string()
        } else {
            text.to_string()
        },
    )
}

fn answer(
    inv: &mut Invocation,
    name: &str,
    line: &str,
    cache: &mut Option<Parsed<Array>>,
) -> Result<Vec<String>, CliError> {
    let verb = line
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    if let Some(f) = inv.faults(Scope::Command(&verb), Some(&verb), None) {
        // `--message ''`: the command answers nothing at all (a cut or garbled answer).
        if f.message.trim().is_empty() {
            return Ok(Vec::new());
        }
        return Err(fault_text(&f.message));
    }
    let mut line = line.to_string();
    if verb == "start" {
        // `--pair SRC:DST --message ''`: the array answers OK but starts nothing for that
        // pair (the other pairs of the command start).
        let mut dropped = Vec::new();
        for pair in commands::start_pairs(&line) {
            if let Some(f) = inv.faults(Scope::Pair(&verb, &pair), Some(&verb), Some(&pair)) {
                if f.message.trim().is_empty() {
                    dropped.push(pair);
                    continue;
                }
                return Err(fault_text(&f.message));
            }
        }
        if !dropped.is_empty() {
            match commands::start_without(&line, &dropped) {
                Some(rest) => line = rest,
                None => return Ok(Vec::new()),
            }
        }
    }
    let line = line.as_str();
    let internal = |e: StoreError| CliError("E0001", e.to_string());
    let now = model::now_ms(&inv.store).map_err(internal)?;
    // REC commands span two boxes (docs/eternus.md "REC"); any other command first
    // settles the REC transfers, which may read or write this box's volumes.
    if rec::handles(line) {
        return rec::answer(&inv.store, name, now, line);
    }
    let dir = model::data_dir(&inv.store, name);
    let mut local = || -> Result<Vec<String>, CliError> {
        // Written back only when the command or the clock changed the array: a listing of
        // a settled array is a read, not even compared with what it was.
        let listing = commands::is_listing(line);
        let result: Result<Option<Result<Vec<String>, CliError>>, StoreError> = inv
            .store
            .update_existing_cached(&model::rel_path(name), cache, |array: &mut Array| {
                let moved = array.advance(&dir, now);
                let answer = commands::execute(array, &dir, now, line);
                Ok((answer, moved || !listing))
            });
        result
            .map_err(internal)?
            .unwrap_or_else(|| Err(CliError::no_resource()))
    };
    // A local session start is checked against the REC sessions of its volumes under the
    // REC lock (taken before the array's), so no REC start slips in between.
    if rec::exists(&inv.store) && line.starts_with("start advanced-copy") {
        return rec::update(&inv.store, now, |st| {
            rec::before_local_start(st, name, line)?;
            Ok(local()?)
        })
        .map_err(CliError::from);
    }
    rec::settle(&inv.store, now).map_err(CliError::from)?;
    local()
}
