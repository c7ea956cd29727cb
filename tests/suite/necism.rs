//! NEC iStorage snapshots end to end: seed 001's service against the iSM emulator.

use super::conformance::{Fixture, SVC};
use super::env::{wait_until, TestEnv};
use serde_json::Value;
use std::time::{Duration, Instant};

const SEED_SVC: &str = "iiststnec02";
const SEED_DEVS: &str =
    "SOURCE_0001_SV006D:SOURCE_0001_LV00A6 SOURCE_0002_SV0055:SOURCE_0002_LV009E";
const SEED_PAIRS: &[(&str, &str)] = &[
    ("SOURCE_0001_SV006D", "SOURCE_0001_LV00A6"),
    ("SOURCE_0002_SV0055", "SOURCE_0002_LV009E"),
];
const MUTATING: &[&str] = &["iSMsc_unlink", "iSMsc_create", "iSMsc_link"];

/// Seed 001's log of `svcmgr -s iiststnec02 syncresync`, as printed in the seed.
const SEED_LOG: &str = "\
	2014-09-18 05:14:25,547 - iiststnec02.SYNC#1 - INFO - iSMsc_unlink -lv SOURCE_0001_LV00A6 -lvflg ld
	2014-09-18 05:14:26,020 - iiststnec02.SYNC#1 - INFO - iSMsc_unlink:Info: iSM20030: iSMsc_unlink has normally terminated.

	2014-09-18 05:14:26,052 - iiststnec02.SYNC#1 - INFO - iSMsc_unlink -lv SOURCE_0002_LV009E -lvflg ld
	2014-09-18 05:14:26,375 - iiststnec02.SYNC#1 - INFO - iSMsc_unlink:Info: iSM20030: iSMsc_unlink has normally terminated.

	2014-09-18 05:14:28,177 - iiststnec02.SYNC#1 - INFO - iSMsc_create -bv SOURCE_0001 -sv SOURCE_0001_SV006D -bvflg ld -svflg ld
	2014-09-18 05:15:03,549 - iiststnec02.SYNC#1 - INFO - iSMsc_create:Info: iSM19010: iSMsc_create has normally terminated.
	   BV:SOURCE_0001         LX
	      Special File : -
	   SV:SOURCE_0001_SV006D  LX
	      Generation : -1
	      Status     : snap/active [2014/09/18 05:15:04]

	2014-09-18 05:15:03,590 - iiststnec02.SYNC#1 - INFO - iSMsc_create -bv SOURCE_0002 -sv SOURCE_0002_SV0055 -bvflg ld -svflg ld
	2014-09-18 05:15:42,002 - iiststnec02.SYNC#1 - INFO - iSMsc_create:Info: iSM19010: iSMsc_create has normally terminated.
	   BV:SOURCE_0002         LX
	      Special File : -
	   SV:SOURCE_0002_SV0055  LX
	      Generation : -1
	      Status     : snap/active [2014/09/18 05:15:42]

	2014-09-18 05:18:43,426 - iiststnec02.SYNC#1 - INFO - iSMsc_link -lv SOURCE_0001_LV00A6 -sv SOURCE_0001_SV006D -lvflg ld -svflg ld
	2014-09-18 05:18:43,453 - iiststnec02.SYNC#1 - INFO - iSMsc_link:Info: iSM20020: iSMsc_link has normally terminated.

	2014-09-18 05:18:43,483 - iiststnec02.SYNC#1 - INFO - iSMsc_link -lv SOURCE_0002_LV009E -sv SOURCE_0002_SV0055 -lvflg ld -svflg ld
	2014-09-18 05:18:43,510 - iiststnec02.SYNC#1 - INFO - iSMsc_link:Info: iSM20020: iSMsc_link has normally terminated.
";

/// The sandbox: the emulated array with seed 001's volumes, initial snapshots and links.
fn seed(env: &TestEnv, setup_args: &[&str]) {
    let root = env.root.display().to_string();
    let mut args = vec!["setup", "necism", "--root", root.as_str()];
    args.extend_from_slice(setup_args);
    env.sim(&args);
}

/// The INFO messages of a log, continuation lines included, timestamps in brackets masked.
fn info_messages(log: &str) -> Vec<String> {
    let mut records: Vec<(String, String)> = Vec::new();
    for line in log.lines().map(|l| l.trim_start_matches('\t')) {
        let starts_record =
            line.len() > 23 && line.as_bytes()[4] == b'-' && line.as_bytes()[19] == b',';
        let parsed = starts_record
            .then(|| line.splitn(4, " - ").collect::<Vec<_>>())
            .filter(|parts| parts.len() == 4);
        match parsed {
            Some(parts) => records.push((parts[2].to_string(), parts[3].to_string())),
            None if line.trim().is_empty() => {}
            None => {
                if let Some((_, message)) = records.last_mut() {
                    message.push('\n');
                    message.push_str(line);
                }
            }
        }
    }
    records
        .into_iter()
        .filter(|(level, _)| level == "INFO")
        .map(|(_, message)| mask_brackets(&message))
        .collect()
}

fn mask_brackets(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('[') {
        out.push_str(&rest[..=start]);
        match rest[start..].find(']') {
            Some(end) => {
                out.push_str("TIME]");
                rest = &rest[start + end + 1..];
            }
            None => {
                rest = &rest[start + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The array's state as `arraysim necism show` prints it.
fn array(env: &TestEnv) -> Value {
    serde_json::from_str(&env.sim(&["necism", "show"]).stdout).expect("array JSON")
}

fn mutating_commands(env: &TestEnv) -> Vec<String> {
    env.commands(None)
        .into_iter()
        .filter(|c| MUTATING.iter().any(|m| c.starts_with(&format!("{m} "))))
        .collect()
}

/// Kills the emulator processes of this sandbox still hanging after their caller was
/// killed (they run in their own process group, so killing the caller leaves them).
fn kill_strays(env: &TestEnv) {
    let needle = format!("ARRAYSYNC_ROOT={}", env.root.display());
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return;
    };
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let environ = std::fs::read(entry.path().join("environ")).unwrap_or_default();
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        let ours = environ.split(|b| *b == 0).any(|v| v == needle.as_bytes());
        let emulator = cmdline.split(|b| *b == 0).next().is_some_and(|argv0| {
            let argv0 = String::from_utf8_lossy(argv0);
            argv0.contains("iSMsc_") || argv0.ends_with("iSMvollist")
        });
        if ours && emulator {
            let _ = std::process::Command::new("kill")
                .arg("-9")
                .arg(pid.to_string())
                .status();
        }
    }
}

/// Starts `syncresync -s svc` in the background and waits until a call of `prog` hangs.
fn start_and_wait_for_hang(env: &TestEnv, svc: &str, prog: &str) -> std::process::Child {
    let child = env
        .command(env!("CARGO_BIN_EXE_syncresync"))
        .args(["-s", svc])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn syncresync");
    wait_until(
        &format!("no hung {prog} call"),
        Duration::from_secs(20),
        || env.calls(Some(prog)).iter().any(|c| c["exit"].is_null()),
    );
    child
}

/// The conformance fixture: seed 001's pairs in service `conformance`.
pub struct NecIsmFixture;

impl Fixture for NecIsmFixture {
    fn rtype(&self) -> &'static str {
        "necismsnap"
    }

    fn setup(&self, env: &TestEnv) {
        seed(env, &["--no-service"]);
        env.write_service(
            SVC,
            &format!("[DEFAULT]\n\n[sync#1]\ntype = necismsnap\ndevs = {SEED_DEVS}\n"),
        );
    }

    fn mutating_commands(&self) -> &'static [&'static str] {
        MUTATING
    }

    fn hang_resync(&self) -> Vec<&'static str> {
        vec!["--prog", "iSMsc_unlink"]
    }

    fn damage_one_pair(&self, env: &TestEnv) -> String {
        env.sim(&["necism", "unlink", "SOURCE_0002_LV009E"]);
        "SOURCE_0002_LV009E".into()
    }

    fn damaged_state(&self) -> &'static str {
        "warn"
    }

    fn unsupported_actions(&self) -> &'static [&'static [&'static str]] {
        &[&["sync", "break"], &["sync", "restore"]]
    }

    fn mandatory_keyword(&self) -> &'static str {
        "devs"
    }

    fn hostile_value(&self) -> (&'static str, &'static str) {
        (
            "devs",
            "SOURCE_0001_SV006D:SOURCE_0001_LV00A6;iSMsc_unlink -lv SOURCE_0002_LV009E -lvflg ld",
        )
    }
}

crate::conformance!(necismsnap_conformance, super::NecIsmFixture);

#[test]
fn seed_001_resync_logs_the_seed_command_lines_and_outputs_in_order() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.clear_calls();
    let run = env.syncresync(&["-s", SEED_SVC]);
    run.ok();
    let expected = info_messages(SEED_LOG);
    assert_eq!(expected.len(), 12, "{expected:#?}");
    assert_eq!(info_messages(&env.log(SEED_SVC)), expected);
    assert_eq!(
        info_messages(&run.stderr),
        expected,
        "the operator sees the same lines"
    );
    // The call log is in completion order: within a phase, pairs run concurrently.
    let commands = mutating_commands(&env);
    let programs: Vec<&str> = commands
        .iter()
        .filter_map(|c| c.split_whitespace().next())
        .collect();
    assert_eq!(
        programs,
        [
            "iSMsc_unlink",
            "iSMsc_unlink",
            "iSMsc_create",
            "iSMsc_create",
            "iSMsc_link",
            "iSMsc_link"
        ]
    );
    let mut sorted = commands.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "iSMsc_create -bv SOURCE_0001 -sv SOURCE_0001_SV006D -bvflg ld -svflg ld",
            "iSMsc_create -bv SOURCE_0002 -sv SOURCE_0002_SV0055 -bvflg ld -svflg ld",
            "iSMsc_link -lv SOURCE_0001_LV00A6 -sv SOURCE_0001_SV006D -lvflg ld -svflg ld",
            "iSMsc_link -lv SOURCE_0002_LV009E -sv SOURCE_0002_SV0055 -lvflg ld -svflg ld",
            "iSMsc_unlink -lv SOURCE_0001_LV00A6 -lvflg ld",
            "iSMsc_unlink -lv SOURCE_0002_LV009E -lvflg ld",
        ]
    );
    env.assert_up(SEED_SVC);
}

#[test]
fn phases_stay_in_order_and_run_concurrently_under_the_bound() {
    let env = TestEnv::new();
    seed(&env, &["--pairs", "6"]);
    env.set_keyword(SEED_SVC, "sync#1", "max_parallel", "2");
    env.sim(&["latency", "200"]);
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC]).ok();
    let intervals: Vec<(String, i64, i64)> = env
        .calls(None)
        .iter()
        .filter(|c| MUTATING.contains(&c["prog"].as_str().unwrap_or_default()))
        .map(|c| {
            let start = chrono::DateTime::parse_from_rfc3339(c["ts"].as_str().expect("ts"))
                .expect("rfc3339")
                .timestamp_millis();
            let end = start + c["duration_ms"].as_i64().expect("duration");
            (
                c["prog"].as_str().unwrap_or_default().to_string(),
                start,
                end,
            )
        })
        .collect();
    assert_eq!(intervals.len(), 18);
    let phase = |prog: &str| {
        intervals
            .iter()
            .filter(|(p, _, _)| p == prog)
            .map(|(_, s, e)| (*s, *e))
            .collect::<Vec<_>>()
    };
    for (before, after) in [
        ("iSMsc_unlink", "iSMsc_create"),
        ("iSMsc_create", "iSMsc_link"),
    ] {
        let last_end = phase(before)
            .iter()
            .map(|(_, e)| *e)
            .max()
            .unwrap_or_default();
        let first_start = phase(after)
            .iter()
            .map(|(s, _)| *s)
            .min()
            .unwrap_or_default();
        assert!(
            last_end <= first_start,
            "{after} started before every {before} ended"
        );
    }
    let overlap = |at: i64| {
        intervals
            .iter()
            .filter(|(_, s, e)| *s <= at && at < *e)
            .count()
    };
    let peak = intervals
        .iter()
        .map(|(_, s, _)| overlap(*s))
        .max()
        .unwrap_or_default();
    assert_eq!(
        peak, 2,
        "max_parallel = 2 bounds the concurrent iSM commands"
    );
    let log = info_messages(&env.log(SEED_SVC));
    let unlinks: Vec<&String> = log
        .iter()
        .filter(|m| m.starts_with("iSMsc_unlink -lv"))
        .collect();
    assert_eq!(unlinks.len(), 6);
    assert!(
        unlinks.windows(2).all(|w| w[0] < w[1]),
        "pairs logged in the configured order: {unlinks:#?}"
    );
}

#[test]
fn killed_between_the_unlink_and_link_phases_the_rerun_finishes_and_logs_the_skipped_steps() {
    let env = TestEnv::new();
    seed(&env, &[]);
    let before = array(&env);
    env.fault(
        "iSMsc_link",
        &["--pair", "SOURCE_0001_LV00A6", "--hang", "--times", "1"],
    );
    let mut first = start_and_wait_for_hang(&env, SEED_SVC, "iSMsc_link");
    first.kill().expect("SIGKILL syncresync");
    let _ = first.wait();
    kill_strays(&env);
    env.clear_calls();
    let rerun = env.syncresync(&["-s", SEED_SVC]);
    rerun
        .ok()
        .stderr_has("resuming the sync resync interrupted at its link phase")
        .stderr_has("SV:SOURCE_0001_SV006D is already unlinked from LD:SOURCE_0001_LV00A6")
        .stderr_has("SV:SOURCE_0001_SV006D was already re-created by the sync resync started")
        .stderr_has("create skipped")
        .stderr_has("iSMsc_link -lv SOURCE_0001_LV00A6 -sv SOURCE_0001_SV006D -lvflg ld -svflg ld");
    assert!(
        !mutating_commands(&env)
            .iter()
            .any(|c| c.starts_with("iSMsc_create") || c.starts_with("iSMsc_unlink")),
        "the rerun re-created or unlinked again: {:#?}",
        mutating_commands(&env)
    );
    let after = array(&env);
    for (sv, lv) in SEED_PAIRS {
        assert_eq!(after["volumes"][lv]["linked_to"], *sv, "{after:#}");
        let taken = |a: &Value| a["volumes"][sv]["snap"]["seq"].as_u64().unwrap_or_default();
        assert!(taken(&after) > taken(&before), "SV:{sv} was not re-created");
    }
    env.assert_up(SEED_SVC);
}

#[test]
fn killed_during_the_create_phase_the_rerun_creates_only_what_is_missing() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.set_keyword(SEED_SVC, "sync#1", "max_parallel", "1");
    env.fault(
        "iSMsc_create",
        &["--pair", "SOURCE_0002_SV0055", "--hang", "--times", "1"],
    );
    let mut first = start_and_wait_for_hang(&env, SEED_SVC, "iSMsc_create");
    first.kill().expect("SIGKILL syncresync");
    let _ = first.wait();
    kill_strays(&env);
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC])
        .ok()
        .stderr_has("interrupted at its create phase")
        .stderr_has("SV:SOURCE_0002_SV0055 is already unlinked from LD:SOURCE_0002_LV009E")
        .stderr_has("SV:SOURCE_0001_SV006D was already re-created");
    let creates: Vec<String> = mutating_commands(&env)
        .into_iter()
        .filter(|c| c.starts_with("iSMsc_create"))
        .collect();
    assert_eq!(
        creates,
        ["iSMsc_create -bv SOURCE_0002 -sv SOURCE_0002_SV0055 -bvflg ld -svflg ld"]
    );
    let after = array(&env);
    for (sv, lv) in SEED_PAIRS {
        assert_eq!(after["volumes"][lv]["linked_to"], *sv, "{after:#}");
    }
}

#[test]
fn an_interrupted_run_from_long_ago_does_not_spare_its_snapshots() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.fault("iSMsc_link", &["--hang", "--times", "2"]);
    let mut first = start_and_wait_for_hang(&env, SEED_SVC, "iSMsc_link");
    first.kill().expect("SIGKILL syncresync");
    let _ = first.wait();
    kill_strays(&env);
    env.sim(&["clock", "advance", "1h"]);
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC])
        .ok()
        .stderr_has(
            "SV:SOURCE_0001_SV006D was re-created by the interrupted run, but its snapshot of",
        )
        .stderr_has("is older than sync_min_delay (30m): re-creating it");
    assert_eq!(
        env.calls(Some("iSMsc_create")).len(),
        2,
        "the day-old snapshots were kept"
    );
}

#[test]
fn stuck_transitional_state_fails_after_the_wait_and_changes_nothing() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.set_keyword(SEED_SVC, "sync#1", "state_wait_timeout", "3s");
    env.sim(&["necism", "state", "SOURCE_0001_SV006D", "snap/deleting"]);
    env.clear_calls();
    let started = Instant::now();
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("not re-creating SV:SOURCE_0001_SV006D: SV:SOURCE_0001_SV006D snap/deleting of BV:SOURCE_0001 still changing state after 3s (state_wait_timeout)");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(30),
        "took {took:?}"
    );
    assert!(
        mutating_commands(&env).is_empty(),
        "LVs were unlinked before the wait: {:#?}",
        mutating_commands(&env)
    );
    let status = env.status_json(SEED_SVC);
    assert!(
        status[0]["resources"][0]["reasons"]
            .to_string()
            .contains("SV:SOURCE_0001_SV006D in state snap/deleting"),
        "{status:#}"
    );
}

#[test]
fn a_state_that_settles_within_the_wait_lets_the_resync_proceed() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.sim_line("necism state SOURCE_0002_SV0055 snap/deleting --for 3s");
    env.syncresync(&["-s", SEED_SVC]).ok().stderr_has(
        "SV are changing states: SV:SOURCE_0002_SV0055 snap/deleting; waiting up to 20m",
    );
    env.assert_up(SEED_SVC);
}

#[test]
fn busy_answers_are_retried_with_backoff() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.fault("iSMsc_link", &["--kind", "busy", "--times", "2"]);
    env.syncresync(&["-s", SEED_SVC])
        .ok()
        .stderr_has("iSMsc_link:Error: iSM31005")
        // The delay is jittered (issue 8 item 15): between half the backoff and all of it.
        .stderr_has("iSMsc_link: array busy (iSM31005), retry 1 of 7 in ");
    assert_eq!(env.calls(Some("iSMsc_link")).len(), 4);
}

#[test]
fn hard_failures_stop_the_phase_and_every_failed_pair_is_named() {
    let env = TestEnv::new();
    seed(&env, &[]);
    for lv in ["SOURCE_0001_LV00A6", "SOURCE_0002_LV009E"] {
        env.fault(
            "iSMsc_unlink",
            &[
                "--pair",
                lv,
                "--message",
                "iSMsc_unlink:Error: iSM99999: controller failure",
            ],
        );
    }
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("iSMsc_unlink failed on 2 of 2 pair(s): SOURCE_0001_SV006D:SOURCE_0001_LV00A6: iSMsc_unlink: exited with code 1: iSMsc_unlink:Error: iSM99999: controller failure; SOURCE_0002_SV0055:SOURCE_0002_LV009E:");
    assert!(
        env.calls(Some("iSMsc_create")).is_empty(),
        "the create phase ran after a failed unlink phase"
    );
    env.sim(&["fault", "clear"]);
    env.syncresync(&["-s", SEED_SVC]).ok();
}

#[test]
fn garbled_query_output_and_stderr_noise() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.fault(
        "iSMsc_query",
        &[
            "--exit",
            "0",
            "--message",
            "Segmentation fault (core dumped)",
            "--times",
            "1",
        ],
    );
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("unexpected iSMsc_query output");
    assert!(mutating_commands(&env).is_empty());
    env.sim(&["fault", "clear"]);
    env.fault(
        "iSMsc_link",
        &["--stderr-noise", "iSMsc_link: warning: path degraded"],
    );
    env.syncresync(&["-s", SEED_SVC])
        .ok()
        .stderr_has("WARNING - command successful but stderr:\niSMsc_link: warning: path degraded");
}

#[test]
fn prerequisites_are_checked_with_clear_messages() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.sim(&["necism", "host", "--registered", "no"]);
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("iSMHostRegisterService");
    let status = env.status_json(SEED_SVC);
    assert_eq!(status[0]["status"], "warn");
    env.sim(&["necism", "host", "--registered", "yes", "--vollist", "no"]);
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("iSMvollist -r");
    env.sim(&["necism", "host", "--vollist", "yes"]);
    std::fs::remove_file(env.path("/usr/bin/iSMsc_create")).expect("remove iSMsc_create");
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("Can not find iSMsc_create program in PATH");
    assert!(
        env.calls(None).is_empty(),
        "a command ran without every iSM program installed"
    );
}

#[test]
fn bad_devs_and_keywords_are_config_errors_naming_file_section_and_key() {
    let env = TestEnv::new();
    seed(&env, &[]);
    let file = format!("{SEED_SVC}.conf:");
    for (key, value, message) in [
        (
            "devs",
            "SOURCE_0001_SV006D:SOURCE_0001_LV00A6,,SOURCE_0002_SV0055:SOURCE_0002_LV009E",
            "empty item",
        ),
        (
            "devs",
            "SOURCE_0001_SV006D:SOURCE_0001_LV00A6 SOURCE_0001_SV006D:SOURCE_0002_LV009E",
            "duplicate sv SOURCE_0001_SV006D",
        ),
        (
            "devs",
            "SOURCE_0001_SV006D:SOURCE_0001_LV00A6 SOURCE_0002_SV0055:SOURCE_0001_LV00A6",
            "duplicate lv SOURCE_0001_LV00A6",
        ),
        ("devs", "SOURCE_0001_SV006D", "not a pair SV:LV"),
        ("devs", "SOURCE_0001_SV006D:-lv", "starts with '-'"),
        ("max_parallel", "0", "not a positive integer"),
        ("max_parallel", "1000", "more than 64"),
        ("state_wait_timeout", "soon", "invalid duration"),
        ("array", "D1 10", "not an array name"),
    ] {
        env.set_keyword(SEED_SVC, "sync#1", key, value);
        env.clear_calls();
        env.syncresync(&["-s", SEED_SVC])
            .code(2)
            .stderr_has(&file)
            .stderr_has(&format!("[sync#1] {key}:"))
            .stderr_has(message);
        assert!(
            env.calls(None).is_empty(),
            "{key} = {value}: an iSM command ran"
        );
        env.remove_keyword(SEED_SVC, "sync#1", key);
        if key == "devs" {
            env.set_keyword(SEED_SVC, "sync#1", "devs", SEED_DEVS);
        }
    }
    env.syncresync(&["-s", SEED_SVC]).ok();
}

#[test]
fn update_is_the_same_refresh_and_start_checks_the_links() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.arraysync(&["-s", SEED_SVC, "sync", "update"])
        .ok()
        .stderr_has("iSMsc_create -bv SOURCE_0002");
    env.arraysync(&["-s", SEED_SVC, "start"])
        .ok()
        .stderr_has("nothing to do on the array");
    env.arraysync(&["-s", SEED_SVC, "stop"]).ok();
    env.sim(&["necism", "unlink", "SOURCE_0001_LV00A6"]);
    env.arraysync(&["-s", SEED_SVC, "start"])
        .code(1)
        .stderr_has("LD:SOURCE_0001_LV00A6 is not linked to SV:SOURCE_0001_SV006D");
}

#[test]
fn status_ages_with_the_array_clock_in_minutes() {
    let env = TestEnv::new();
    seed(&env, &[]);
    // The seed's sync_max_delay = 10512000 minutes (20 years): up long after a day.
    env.sim(&["clock", "advance", "2d"]);
    env.arraysync(&["-s", SEED_SVC, "check"]).ok();
    // 90 minutes: a bare number is minutes, compared as minutes (not 60x too long).
    env.set_keyword(SEED_SVC, "sync#1", "sync_max_delay", "90");
    env.arraysync(&["-s", SEED_SVC, "check"])
        .code(1)
        .stdout_has("older than 1h30m");
}

/// The calls of each program in the call log, by program name.
fn calls_by_program(env: &TestEnv) -> std::collections::BTreeMap<String, usize> {
    let mut count = std::collections::BTreeMap::new();
    for call in env.calls(None) {
        *count
            .entry(call["prog"].as_str().unwrap_or_default().to_string())
            .or_insert(0) += 1;
    }
    count
}

#[test]
fn resync_makes_at_most_four_calls_per_pair_and_status_one() {
    let env = TestEnv::new();
    seed(&env, &["--pairs", "8"]);
    // First run: the base volumes are not known yet, one iSMsc_query -sv per pair.
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC, "--force"]).ok();
    let first = calls_by_program(&env);
    assert_eq!(first.get("iSMsc_query"), Some(&16), "{first:?}");
    // Then one iSMsc_query -bv -detail per base volume, and the three changes.
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC, "--force"]).ok();
    let calls = calls_by_program(&env);
    let expected: std::collections::BTreeMap<String, usize> = [
        ("iSMsc_query", 8),
        ("iSMsc_unlink", 8),
        ("iSMsc_create", 8),
        ("iSMsc_link", 8),
    ]
    .into_iter()
    .map(|(p, n)| (p.to_string(), n))
    .collect();
    assert_eq!(calls, expected);
    assert!(env
        .commands(Some("iSMsc_query"))
        .iter()
        .all(|c| c.ends_with("-bvflg ld -detail")));
    env.clear_calls();
    env.assert_up(SEED_SVC);
    assert_eq!(env.calls(None).len(), 8, "status: one call per pair");
    // What status proves with that one call: a link moved away is seen.
    env.sim(&["necism", "unlink", "SOURCE_0003_LV0203"]);
    env.arraysync(&["-s", SEED_SVC, "print", "status"])
        .stdout_has("LD:SOURCE_0003_LV0203 is not linked to SV:SOURCE_0003_SV0103");
}

#[test]
fn a_wrongly_remembered_base_volume_is_asked_again() {
    let env = TestEnv::new();
    seed(&env, &[]);
    env.syncresync(&["-s", SEED_SVC]).ok();
    let state_file = env.path(&format!("/var/lib/arraysync/state/{SEED_SVC}/sync_1.json"));
    let text = std::fs::read_to_string(&state_file).expect("state");
    let mut state: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        state["learned"]["SOURCE_0001_SV006D"], "SOURCE_0001",
        "{state:#}"
    );
    // Swap the two base volumes: each SV is then missing from the BV read for it.
    state["learned"]["SOURCE_0001_SV006D"] = "SOURCE_0002".into();
    state["learned"]["SOURCE_0002_SV0055"] = "SOURCE_0001".into();
    std::fs::write(&state_file, state.to_string()).expect("write state");
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC, "--force"]).ok();
    let mut creates = env.commands(Some("iSMsc_create"));
    creates.sort();
    assert_eq!(
        creates,
        [
            "iSMsc_create -bv SOURCE_0001 -sv SOURCE_0001_SV006D -bvflg ld -svflg ld",
            "iSMsc_create -bv SOURCE_0002 -sv SOURCE_0002_SV0055 -bvflg ld -svflg ld",
        ]
    );
    let text = std::fs::read_to_string(&state_file).expect("state");
    let state: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(state["learned"]["SOURCE_0001_SV006D"], "SOURCE_0001");
}

#[test]
fn two_services_on_one_array_never_exceed_its_host_wide_bound_together() {
    let env = TestEnv::new();
    seed(&env, &["--pairs", "8", "--no-service"]);
    env.write(
        super::env::SETTINGS,
        "[log]\nstderr = \"info\"\n[concurrency.arrays]\nD1_10 = 2\n",
    );
    let names = |i: usize| -> String {
        match i {
            1 => "SOURCE_0001_SV006D:SOURCE_0001_LV00A6".into(),
            2 => "SOURCE_0002_SV0055:SOURCE_0002_LV009E".into(),
            _ => format!(
                "SOURCE_{i:04}_SV{:04X}:SOURCE_{i:04}_LV{:04X}",
                0x100 + i,
                0x200 + i
            ),
        }
    };
    for (svc, range) in [("nec_a", 1..=4), ("nec_b", 5..=8)] {
        let devs: Vec<String> = range.map(names).collect();
        env.write_service(
            svc,
            &format!(
                "[sync#1]\ntype = necismsnap\narray = D1_10\nmax_parallel = 4\ndevs = {}\n",
                devs.join(" ")
            ),
        );
    }
    env.sim(&["latency", "150"]);
    env.clear_calls();
    let children: Vec<std::process::Child> = ["nec_a", "nec_b"]
        .iter()
        .map(|svc| {
            env.command(env!("CARGO_BIN_EXE_syncresync"))
                .args(["-s", svc])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("spawn syncresync")
        })
        .collect();
    for mut child in children {
        assert!(child.wait().expect("wait").success());
    }
    let intervals: Vec<(i64, i64)> = env
        .calls(None)
        .iter()
        .map(|c| {
            let start = chrono::DateTime::parse_from_rfc3339(c["ts"].as_str().expect("ts"))
                .expect("rfc3339")
                .timestamp_millis();
            (start, start + c["duration_ms"].as_i64().expect("duration"))
        })
        .collect();
    // 8 pairs: 8 reads (the first run asks each SV's base volume: 8 more), 24 changes.
    assert_eq!(intervals.len(), 40);
    let peak = intervals
        .iter()
        .map(|(at, _)| intervals.iter().filter(|(s, e)| s <= at && at < e).count())
        .max()
        .unwrap_or_default();
    assert_eq!(
        peak, 2,
        "two services with max_parallel = 4 each share the array's bound of 2"
    );
}
