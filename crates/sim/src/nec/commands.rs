//! The emulated iSM commands. Each one: parse the arguments (usage error, exit 1), record
//! the command line in the call log, fire injected faults (command, then every LD name or
//! `SV:LV` pair it names, then `--kind busy`), check the host agent and the volume list,
//! then act on the array under its lock.

use super::args::{self, Args};
use super::format;
use super::messages as msg;
use super::model::{self, Array, Refusal, Role};
use crate::clock::Clock;
use crate::faults::Scope;
use crate::invocation::{errln, out, Invocation};
use crate::store::StoreError;

/// A failed command: exit code and the text for stderr.
#[derive(Debug)]
pub struct Fail {
    pub exit: i32,
    pub text: String,
}

type Outcome = Result<String, Fail>;

fn fail(exit: i32, text: String) -> Fail {
    Fail { exit, text }
}

fn refused(prog: &str, r: Refusal) -> Fail {
    fail(msg::EXIT_FAILED, msg::error(prog, r.id, &r.text))
}

fn internal(prog: &str, e: &StoreError) -> Fail {
    fail(
        msg::EXIT_FAILED,
        msg::error(prog, msg::INTERNAL, &e.to_string()),
    )
}

fn usage(prog: &str, problem: &str, usage: &str) -> Fail {
    fail(
        msg::EXIT_FAILED,
        format!("{}\nUsage: {usage}", msg::error(prog, msg::USAGE, problem)),
    )
}

/// Runs the program `inv.prog()`; returns its exit code.
pub fn run(inv: &mut Invocation, argv: &[String]) -> i32 {
    let prog = inv.prog();
    let line = std::iter::once(prog.to_string())
        .chain(argv.iter().cloned())
        .collect::<Vec<_>>()
        .join(" ");
    inv.record_command(line);
    let result = match args::syntax(prog) {
        None => Err(fail(
            msg::EXIT_FAILED,
            format!("{prog}: not an emulated iSM command"),
        )),
        Some(syntax) => match args::parse(&syntax, argv) {
            Err(problem) => Err(usage(prog, &problem, syntax.usage)),
            Ok(parsed) => dispatch(inv, prog, &parsed).map_err(|f| {
                if f.exit == USAGE_MARK {
                    usage(prog, &f.text, syntax.usage)
                } else {
                    f
                }
            }),
        },
    };
    match result {
        Ok(stdout) => {
            out(&stdout);
            0
        }
        Err(f) => {
            errln(&f.text);
            f.exit
        }
    }
}

/// Marks a missing or malformed option found after parsing (turned into a usage error).
const USAGE_MARK: i32 = -1;

fn bad_usage(problem: String) -> Fail {
    fail(USAGE_MARK, problem)
}

fn dispatch(inv: &mut Invocation, prog: &'static str, a: &Args) -> Outcome {
    match prog {
        "iSMsc_unlink" => unlink(inv, prog, a),
        "iSMsc_create" => create(inv, prog, a),
        "iSMsc_link" => link(inv, prog, a),
        "iSMsc_query" => query(inv, prog, a),
        "iSMsc_linkinfo" => linkinfo(inv, prog, a),
        "iSMvollist" => vollist(inv, prog, a),
        _ => Err(fail(
            msg::EXIT_FAILED,
            format!("{prog}: not an emulated iSM command"),
        )),
    }
}

/// Fires the injected faults for this call: the command, then each name (LD names and
/// `SV:LV`), then `--kind busy`. A hang never returns.
fn injected(inv: &mut Invocation, prog: &str, names: &[String]) -> Result<(), Fail> {
    if let Some(f) = inv.faults(Scope::Command(prog), Some(prog), None) {
        return Err(fail(f.exit, f.message));
    }
    for name in names {
        if let Some(f) = inv.faults(Scope::Pair(prog, name), Some(prog), Some(name)) {
            return Err(fail(f.exit, f.message));
        }
    }
    if let Some(rule) = inv.fired(Scope::Kind("busy", None)).into_iter().next() {
        return Err(fail(
            rule.exit.unwrap_or(msg::EXIT_FAILED),
            rule.message.unwrap_or_else(|| msg::busy(prog)),
        ));
    }
    Ok(())
}

/// The iSM commands need the host agent registered and the volume list built.
fn host_ready(inv: &Invocation, prog: &str) -> Result<(), Fail> {
    let host = model::load_host(&inv.store).map_err(|e| internal(prog, &e))?;
    if !host.registered {
        return Err(fail(msg::EXIT_FAILED, msg::agent_down(prog)));
    }
    if !host.vollist {
        return Err(fail(msg::EXIT_FAILED, msg::no_vollist(prog)));
    }
    Ok(())
}

fn clock(inv: &Invocation, prog: &str) -> Result<Clock, Fail> {
    Clock::load(&inv.store).map_err(|e| internal(prog, &e))
}

/// The array holding `volume`, or the iSM "does not exist" refusal.
fn locate(inv: &Invocation, prog: &str, volume: &str) -> Result<String, Fail> {
    model::locate(&inv.store, volume)
        .map_err(|e| internal(prog, &e))?
        .ok_or_else(|| {
            fail(
                msg::EXIT_FAILED,
                msg::error(
                    prog,
                    msg::NO_VOLUME,
                    &format!("The specified volume does not exist. ({volume})"),
                ),
            )
        })
}

/// Read-modify-write of one array with its transitions settled; `f`'s refusal becomes
/// the command's error and changes nothing.
fn change<R>(
    inv: &Invocation,
    prog: &str,
    array: &str,
    now: i64,
    f: impl FnOnce(&mut Array) -> Result<R, Refusal>,
) -> Result<R, Fail> {
    let result: Result<Option<Result<R, Refusal>>, StoreError> =
        model::update(&inv.store, array, |a: &mut Array| {
            a.settle(now);
            match f(a) {
                Ok(r) => Ok(Ok(r)),
                // The settled transitions are still worth saving; the refused operation changed nothing.
                Err(refusal) => Ok(Err(refusal)),
            }
        });
    match result {
        Err(e) => Err(internal(prog, &e)),
        Ok(None) => Err(fail(
            msg::EXIT_FAILED,
            msg::error(
                prog,
                msg::NO_VOLUME,
                &format!("The disk array {array} does not exist."),
            ),
        )),
        Ok(Some(Ok(r))) => Ok(r),
        Ok(Some(Err(refusal))) => Err(refused(prog, refusal)),
    }
}

/// A read of one array with its transitions settled (and saved).
fn read(inv: &Invocation, prog: &str, array: &str, now: i64) -> Result<Array, Fail> {
    change(inv, prog, array, now, |a| Ok(a.clone()))
}

fn done(prog: &str, extra: &str) -> String {
    let mut text = msg::normally_terminated(prog).unwrap_or_default();
    text.push('\n');
    text.push_str(extra);
    text
}

fn unlink(inv: &mut Invocation, prog: &'static str, a: &Args) -> Outcome {
    let lv = a.volume("-lv").map_err(bad_usage)?.to_string();
    let mut names = vec![lv.clone()];
    let linked_sv = model::locate(&inv.store, &lv)
        .ok()
        .flatten()
        .and_then(|name| model::load(&inv.store, &name).ok().flatten())
        .and_then(|array| array.volumes.get(&lv).and_then(|v| v.linked_to.clone()));
    if let Some(sv) = linked_sv {
        names.push(format!("{sv}:{lv}"));
        names.push(sv);
    }
    injected(inv, prog, &names)?;
    host_ready(inv, prog)?;
    let array = locate(inv, prog, &lv)?;
    let now = clock(inv, prog)?.now();
    change(inv, prog, &array, now, |arr| arr.unlink(&lv))?;
    Ok(done(prog, ""))
}

fn create(inv: &mut Invocation, prog: &'static str, a: &Args) -> Outcome {
    let bv = a.volume("-bv").map_err(bad_usage)?.to_string();
    let sv = a.volume("-sv").map_err(bad_usage)?.to_string();
    injected(inv, prog, &[bv.clone(), sv.clone()])?;
    host_ready(inv, prog)?;
    let array = locate(inv, prog, &bv)?;
    let now = clock(inv, prog)?.now();
    let arr = change(inv, prog, &array, now, |arr| {
        arr.create(&bv, &sv, now)?;
        Ok(arr.clone())
    })?;
    Ok(done(prog, &format::created(&arr, &bv, &sv)))
}

fn link(inv: &mut Invocation, prog: &'static str, a: &Args) -> Outcome {
    let lv = a.volume("-lv").map_err(bad_usage)?.to_string();
    let sv = a.volume("-sv").map_err(bad_usage)?.to_string();
    if let Some(access) = a.get("-lvacc").filter(|v| !matches!(*v, "ro" | "rw")) {
        return Err(bad_usage(format!("-lvacc {access}: ro or rw")));
    }
    injected(inv, prog, &[format!("{sv}:{lv}"), lv.clone(), sv.clone()])?;
    host_ready(inv, prog)?;
    let array = locate(inv, prog, &lv)?;
    let now = clock(inv, prog)?.now();
    change(inv, prog, &array, now, |arr| arr.link(&lv, &sv))?;
    Ok(done(prog, ""))
}

fn query(inv: &mut Invocation, prog: &'static str, a: &Args) -> Outcome {
    let bv = a
        .optional_volume("-bv")
        .map_err(bad_usage)?
        .map(str::to_string);
    let sv = a
        .optional_volume("-sv")
        .map_err(bad_usage)?
        .map(str::to_string);
    let Some(target) = bv.clone().or_else(|| sv.clone()) else {
        return Err(bad_usage("-sv or -bv is required".into()));
    };
    let names: Vec<String> = bv.iter().chain(sv.iter()).cloned().collect();
    injected(inv, prog, &names)?;
    host_ready(inv, prog)?;
    let array = locate(inv, prog, &target)?;
    let now = clock(inv, prog)?.now();
    let arr = read(inv, prog, &array, now)?;
    let check = |name: &str, role: Role| {
        arr.volume(name, role)
            .map(|_| ())
            .map_err(|r| refused(prog, r))
    };
    match (&bv, &sv) {
        (Some(bv), only) => {
            check(bv, Role::Bv)?;
            if let Some(sv) = only {
                check(sv, Role::Sv)?;
            }
            Ok(if a.has("-detail") {
                format::query_bv_detail(&arr, bv, only.as_deref())
            } else {
                format::query_bv(&arr, bv, only.as_deref())
            })
        }
        (None, Some(sv)) => {
            check(sv, Role::Sv)?;
            Ok(format::query_sv(&arr, sv))
        }
        (None, None) => Err(bad_usage("-sv or -bv is required".into())),
    }
}

fn linkinfo(inv: &mut Invocation, prog: &'static str, a: &Args) -> Outcome {
    let vol = a.volume("-vol").map_err(bad_usage)?.to_string();
    injected(inv, prog, std::slice::from_ref(&vol))?;
    host_ready(inv, prog)?;
    let array = locate(inv, prog, &vol)?;
    let now = clock(inv, prog)?.now();
    let arr = read(inv, prog, &array, now)?;
    Ok(format::linkinfo(&arr, &vol))
}

fn vollist(inv: &mut Invocation, prog: &'static str, a: &Args) -> Outcome {
    match (a.has("-d"), a.has("-r")) {
        (true, false) | (false, true) => {}
        _ => return Err(bad_usage("exactly one of -d and -r".into())),
    }
    injected(inv, prog, &[])?;
    let host = model::load_host(&inv.store).map_err(|e| internal(prog, &e))?;
    if !host.registered {
        return Err(fail(msg::EXIT_FAILED, msg::agent_down(prog)));
    }
    if a.has("-r") {
        model::update_host(&inv.store, |h| h.vollist = true).map_err(|e| internal(prog, &e))?;
        return Ok(format!("{}\n", msg::vollist_built()));
    }
    if !host.vollist {
        return Err(fail(msg::EXIT_FAILED, msg::no_vollist(prog)));
    }
    let arrays = model::list(&inv.store)
        .map_err(|e| internal(prog, &e))?
        .into_iter()
        .filter_map(|name| model::load(&inv.store, &name).ok().flatten())
        .collect::<Vec<_>>();
    Ok(format::vollist_arrays(&arrays))
}
