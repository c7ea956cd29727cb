//! The fault suite (issue 8): through the emulators, the tool is killed at every step
//! boundary of every driver's resync (and symclone's start, and swsrpmake) while the vendor
//! command of that step hangs, with SIGTERM (handled) and SIGKILL (not). Then: no vendor
//! process outlives the run, a rerun completes the job, and the array ends up right.

use super::conformance::{Fixture, SVC};
use super::env::{wait_until, TestEnv};
use super::hardening::sandbox_processes;
use std::process::{Command, Stdio};
use std::time::Duration;

/// One place to kill the tool: the action, the hung vendor command, what finishes the job.
struct Point {
    action: &'static [&'static str],
    hang: &'static [&'static str],
    /// Actions run after the rerun before the status must be up (symclone: start).
    then: &'static [&'static [&'static str]],
    /// Actions run before the killed one (to get the pairs into the right state).
    before: &'static [&'static [&'static str]],
}

const RESYNC: &[&str] = &["sync", "resync", "--force"];
const START: &[&str] = &["start"];

/// Runs `argv` (arraysync or an ACM binary) until its vendor command hangs, kills it with
/// `signal`, checks nothing it started survives, then reruns it to completion.
fn kill_and_rerun(env: &TestEnv, program: &str, argv: &[&str], hang: &[&str], signal: &str) {
    let mut args = vec!["fault", "add"];
    args.extend_from_slice(hang);
    args.extend(["--hang", "--times", "1"]);
    env.sim(&args);
    let mut tool = env
        .command(program)
        .args(argv)
        .env("ARRAYSYNC_ACM_WAITLOCK", "10")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_until(
        &format!("{argv:?}: the hung command {hang:?} never started"),
        Duration::from_secs(30),
        || env.fault_fired(),
    );
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &tool.id().to_string()])
        .status();
    let _ = tool.wait();
    // SIGTERM: the tool ends the group before exiting. SIGKILL: the hung emulator notices
    // its caller is gone within its 200 ms poll (a real CLI would keep the lock instead:
    // see hardening::sigkill_keeps_the_lock_until_the_vendor_command_ends).
    let grace = if signal == "TERM" { 0 } else { 3 };
    std::thread::sleep(Duration::from_secs(grace));
    let left = sandbox_processes(env, &[]);
    for pid in &left {
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
    assert!(
        left.is_empty(),
        "{argv:?} killed with SIG{signal} at {hang:?}: vendor processes outlived it: {left:?}"
    );
    env.sim(&["fault", "clear"]);
    let rerun = env.run(program, argv);
    assert_eq!(
        rerun.code, 0,
        "rerun of {argv:?} after SIG{signal} at {hang:?}\n{}\n{}",
        rerun.stdout, rerun.stderr
    );
}

fn run_point(fixture: &dyn Fixture, point: &Point, signal: &str) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.set_keyword(SVC, "sync#1", "timeout", "60");
    for action in point.before {
        let mut args = vec!["-s", SVC];
        args.extend_from_slice(action);
        env.arraysync(&args).ok();
    }
    let mut argv = vec!["-s", SVC];
    argv.extend_from_slice(point.action);
    kill_and_rerun(
        &env,
        env!("CARGO_BIN_EXE_arraysync"),
        &argv,
        point.hang,
        signal,
    );
    for action in point.then {
        let mut args = vec!["-s", SVC];
        args.extend_from_slice(action);
        env.arraysync(&args).ok();
    }
    let status = env.arraysync(&["-s", SVC, "print", "status", "--format", "json"]);
    status.ok();
    assert_eq!(
        status.json()[0]["status"],
        "up",
        "after SIG{signal} at {:?} and a rerun: {}",
        point.hang,
        status.stdout
    );
}

fn run_points(fixture: &dyn Fixture, points: &[Point]) {
    for point in points {
        for signal in ["TERM", "KILL"] {
            run_point(fixture, point, signal);
        }
    }
}

#[test]
fn ibmds_resync_killed_at_every_step() {
    run_points(
        &crate::suite::ibmds::IbmDsFixture,
        &[Point {
            action: RESYNC,
            hang: &["--prog", "dscli", "--command", "resyncflash"],
            then: &[],
            before: &[],
        }],
    );
}

#[test]
fn necism_resync_killed_at_every_step() {
    let points: Vec<Point> = ["iSMsc_unlink", "iSMsc_create", "iSMsc_link"]
        .into_iter()
        .map(|prog| Point {
            action: RESYNC,
            hang: match prog {
                "iSMsc_unlink" => &["--prog", "iSMsc_unlink"],
                "iSMsc_create" => &["--prog", "iSMsc_create"],
                _ => &["--prog", "iSMsc_link"],
            },
            then: &[],
            before: &[],
        })
        .collect();
    run_points(&crate::suite::necism::NecIsmFixture, &points);
}

#[test]
fn symclone_resync_and_start_killed_at_every_step() {
    run_points(
        &crate::suite::symclone::SYMCLONE_GROUP,
        &[
            Point {
                action: RESYNC,
                hang: &["--prog", "symclone", "--command", "recreate"],
                then: &[START],
                before: &[],
            },
            Point {
                action: START,
                hang: &["--prog", "symclone", "--command", "activate"],
                then: &[],
                before: &[RESYNC],
            },
        ],
    );
}

#[test]
fn eternus_resync_killed_at_every_step() {
    run_points(
        &crate::suite::eternus::EternusFixture,
        &[Point {
            action: RESYNC,
            hang: &["--prog", "eternus-cli", "--command", "start"],
            then: &[],
            before: &[],
        }],
    );
}

#[test]
fn swsrpmake_killed_at_every_step() {
    for signal in ["TERM", "KILL"] {
        let env = TestEnv::new();
        crate::suite::eternus::EternusFixture.setup(&env);
        for hang in [
            &["--prog", "eternus-cli", "--command", "show"][..],
            &["--prog", "eternus-cli", "--command", "start"][..],
        ] {
            kill_and_rerun(
                &env,
                env!("CARGO_BIN_EXE_swsrpmake"),
                &["-T", "/dev/hdisk10", "/dev/hdisk20"],
                hang,
                signal,
            );
        }
        let stat = env.run(env!("CARGO_BIN_EXE_swsrpstat"), &[]);
        stat.ok();
        assert!(
            stat.stdout.contains("/dev/hdisk10") && !stat.stdout.contains("---- ---- ----"),
            "after SIG{signal}: {}",
            stat.stdout
        );
    }
}
