//! IBM DS8000 DS CLI (`dscli`) personality, per docs/reference/vendor-cli.md §1.
//!
//! Invocation: `dscli [-hmc1 H] [-hmc2 H] [-user U] [-pwfile F | -passwd P] [-cfg PROFILE]
//! [-script FILE | COMMAND...]`.
//! - Single-shot (command on argv, or one quoted argv word): banner, blank line, output; the
//!   exit code is the command's.
//! - Script (`-script FILE`): each command's output as in single-shot, no prompts; exit 0 if
//!   every command succeeded, else the code of the last failing command.
//! - Stdin (no command): a session banner and a blank line, then for each command read (blank
//!   lines and `#` comments skipped, `quit`/`exit` ends) the prompt `dscli> ` immediately
//!   followed by the command's output (banner + blank line + result lines unless the banner is
//!   off). Exit code as in script mode. With a terminal on stdin the prompt is printed before
//!   reading instead.
//! - `managepwfile` runs without connecting (see [`pwfile`]; the files are not encrypted).
//!
//! Connection: each HMC address given (hmc1, then hmc2) is tried; an address is reachable when
//! an emulated array lists it as its hmc1/hmc2 and no `hmc-unreachable` fault matches it. None
//! reachable: `CMUN00018E`, exit 3. Then the user (`-user` or profile `username`) and password
//! (`-passwd`, or the `-pwfile` entry for the reached/given HMC) must match the array's, or an
//! `auth` fault fires: `CMUC00191E ...`, exit 5. The session may address the images of that HMC
//! whose credentials matched; other `-dev` values fail with a CMUN error (exit 4).
//!
//! Output: `setenv -banner/-header/-format/-delim` and `setoutput -bnr/-hdr/-fmt/-delim` set
//! the session defaults; `lsflash`/`lsremoteflash` take `-bnr/-hdr/-fmt/-delim/-s/-l`.
//! Formats `default`, `delim` and `stanza` are implemented; `xml` is rejected with a syntax
//! error (exit 2). `setenv`/`setoutput` print nothing.
//!
//! Exit codes (§1.6): 0 ok; 2 syntax (unknown command/flag, malformed ID or conduit, missing
//! `-dev` with no profile devid, `-cp` with `-nocp`); 3 connection; 4 server-side failure (any
//! CMUN error: missing volume or relationship, recording disabled, ESE/-tgtse mismatch, unknown
//! image); 5 authentication; 6 emulator state I/O error. A batch with failing pairs reports the
//! failures on stderr, the successes on stdout, and exits with the last failure's code.
//!
//! Known simplifications: `-wait`, `-freeze`, `-tgtpprc`, `-tgtoffline`, `-srcss`, `-fast` are
//! accepted and ignored; remote commands do not model the PPRC pair behind the conduit (the
//! conduit must only be well formed, `-dev` must name an emulated image); `lsremoteflash`
//! uses the `lsflash` columns; an admin-set `State` survives resyncs.

pub mod admin;
pub mod args;
pub mod commands;
pub mod format;
pub mod messages;
pub mod model;
pub mod pwfile;
pub mod session;

use messages::{self as msg, exit};
use session::{Input, Mode, Session, Settings};

use crate::clock::Clock;
use crate::faults::Scope;
use crate::invocation::{errln, Invocation};
use crate::{Personality, Vendor};

pub const PERSONALITY: Personality = Personality {
    prog: "dscli",
    run,
    mask_argv: args::mask,
    default_fault_exit: exit::SERVER,
    default_fault_message: msg::injected,
    internal_error_exit: exit::APPLICATION,
};

pub const VENDOR: Vendor = Vendor {
    name: "ibmds",
    setup: admin::setup,
    admin: admin::admin,
    set_rate: admin::set_rate,
    get_rate: admin::get_rate,
};

fn run(inv: &mut Invocation, argv: &[String]) -> i32 {
    let conn = match args::parse_conn(argv) {
        Ok(c) => c,
        Err(m) => {
            errln(&m);
            return exit::SYNTAX;
        }
    };
    let profile = match &conn.cfg {
        None => args::Profile::default(),
        Some(path) => match std::fs::read_to_string(path) {
            Ok(t) => args::parse_profile(&t),
            Err(e) => {
                errln(&msg::profile_unreadable(path, &e.to_string()));
                return exit::SYNTAX;
            }
        },
    };
    if conn
        .command
        .first()
        .is_some_and(|c| c.eq_ignore_ascii_case("managepwfile"))
    {
        inv.record_command(args::mask(&conn.command).join(" "));
        if let Some(f) = inv.faults(Scope::Command("managepwfile"), Some("managepwfile"), None) {
            errln(&f.message);
            return f.exit;
        }
        return pwfile::manage(&conn.command);
    }
    let mode = if !conn.command.is_empty() {
        Mode::Single(conn.command.clone())
    } else if let Some(path) = &conn.script {
        match std::fs::read_to_string(path) {
            Ok(t) => Mode::Script(t.lines().map(str::to_string).collect()),
            Err(e) => {
                errln(&msg::script_unreadable(path, &e.to_string()));
                return exit::SYNTAX;
            }
        }
    } else {
        Mode::Stdin
    };
    let mut settings = Settings::default();
    if let Some(b) = profile.banner.as_deref().and_then(args::on_off) {
        settings.banner = b;
    }
    if let Some(h) = profile.header.as_deref().and_then(args::on_off) {
        settings.header = h;
    }
    if let Some(format::FmtChoice::Known(f)) = profile.format.as_deref().map(format::parse_fmt) {
        settings.fmt = f;
    }
    if let Some(d) = profile.delim.as_deref().filter(|d| d.chars().count() == 1) {
        settings.delim = d.to_string();
    }

    let hmcs: Vec<String> = [conn.hmc1.clone(), conn.hmc2.clone()]
        .into_iter()
        .zip([profile.hmc1.clone(), profile.hmc2.clone()])
        .filter_map(|(a, b)| a.or(b))
        .filter(|h| !h.is_empty())
        .collect();
    if hmcs.is_empty() {
        errln(&msg::no_hmc());
        return exit::SYNTAX;
    }
    let images = match connect(inv, &conn, &profile, &hmcs) {
        Ok(i) => i,
        Err(code) => return code,
    };
    let clock = match Clock::load(&inv.store) {
        Ok(c) => c,
        Err(e) => {
            errln(&msg::internal(&e.to_string()));
            return exit::APPLICATION;
        }
    };
    let session_dev = profile
        .devid
        .clone()
        .filter(|d| images.contains(d))
        .or_else(|| images.first().cloned())
        .unwrap_or_default();
    let mut session = Session {
        inv,
        clock,
        settings,
        images,
        profile_dev: profile.devid.clone(),
        session_dev,
        stdin_mode: false,
        input: Input::stdin(),
    };
    session.run(mode)
}

/// Reach an HMC and log in; returns the storage images the session may address.
fn connect(
    inv: &mut Invocation,
    conn: &args::ConnOpts,
    profile: &args::Profile,
    hmcs: &[String],
) -> Result<Vec<String>, i32> {
    let arrays = model::all(&inv.store).map_err(|e| {
        errln(&msg::internal(&e.to_string()));
        exit::APPLICATION
    })?;
    let mut reached = None;
    let mut unreachable_rule = None;
    for h in hmcs {
        let fired = inv.fired(Scope::Kind("hmc-unreachable", Some(h)));
        if let Some(r) = fired.into_iter().next() {
            unreachable_rule = Some(r);
            continue;
        }
        let managed: Vec<&model::Array> = arrays.iter().filter(|a| a.managed_by(h)).collect();
        if !managed.is_empty() {
            reached = Some((h.clone(), managed));
            break;
        }
    }
    let Some((hmc, managed)) = reached else {
        let (code, text) = match unreachable_rule {
            Some(r) => (
                r.exit.unwrap_or(exit::CONNECTION),
                r.message.unwrap_or_else(msg::unreachable),
            ),
            None => (exit::CONNECTION, msg::unreachable()),
        };
        errln(&text);
        return Err(code);
    };
    let auth_fail = |detail: &str| {
        errln(&msg::auth_failed(detail));
        exit::AUTH
    };
    if let Some(r) = inv
        .fired(Scope::Kind("auth", Some(&hmc)))
        .into_iter()
        .next()
    {
        errln(
            &r.message
                .unwrap_or_else(|| msg::auth_failed("the user name or password is not valid.")),
        );
        return Err(r.exit.unwrap_or(exit::AUTH));
    }
    let Some(user) = conn.user.clone().or_else(|| profile.username.clone()) else {
        return Err(auth_fail("no user name was specified."));
    };
    let password = match (
        &conn.passwd,
        conn.pwfile.as_ref().or(profile.pwfile.as_ref()),
    ) {
        (Some(p), _) => p.clone(),
        (None, Some(path)) => {
            let entries = pwfile::read(std::path::Path::new(path)).map_err(|e| {
                auth_fail(&format!("unable to read the password file {path}: {e}."))
            })?;
            let mut keys: Vec<&str> = vec![hmc.as_str()];
            keys.extend(hmcs.iter().map(String::as_str));
            match pwfile::lookup(&entries, &keys, &user) {
                Some(p) => p.to_string(),
                None => {
                    return Err(auth_fail(&format!(
                        "the password file {path} has no entry for user {user} on {hmc}."
                    )))
                }
            }
        }
        (None, None) => return Err(auth_fail("no password was specified.")),
    };
    let images: Vec<String> = managed
        .iter()
        .filter(|a| a.user == user && a.password == password)
        .map(|a| a.id.clone())
        .collect();
    if images.is_empty() {
        return Err(auth_fail("the user name or password is not valid."));
    }
    Ok(images)
}
