//! The conformance suite: the same scenarios, run against every resource type through
//! its emulator. A type plugs in with a [`Fixture`] and one `conformance!` line.
//!
//! Each scenario is a sentence of the SyncResource contract (crates/core/src/resource.rs)
//! or of the service layer (DESIGN §3, §4, §9).

use super::env::{wait_until, TestEnv};
use std::time::{Duration, Instant};

/// The service every scenario works on.
pub const SVC: &str = "conformance";

/// What the suite needs to know about a resource type.
pub trait Fixture {
    /// The `type` keyword value.
    fn rtype(&self) -> &'static str;
    /// Creates the emulated array, credentials and service [`SVC`] whose `[sync#1]` holds
    /// healthy pairs with their initial copies done (the admin's one-time steps), resyncable.
    fn setup(&self, env: &TestEnv);
    /// Command names (first word of a call-log command, or the program name for CLIs
    /// without sub-commands) that change array state during a resync.
    fn mutating_commands(&self) -> &'static [&'static str];
    /// `arraysim fault add` arguments that make the resync's first state-changing vendor
    /// call hang (e.g. `["--prog", "dscli", "--command", "resyncflash"]`).
    fn hang_resync(&self) -> Vec<&'static str>;
    /// Puts one configured pair in an unexpected state on the array; returns text that the
    /// status reasons must contain (the pair or device name).
    fn damage_one_pair(&self, env: &TestEnv) -> String;
    /// The state status reports for a damaged pair (`warn`, or `down` for clones).
    fn damaged_state(&self) -> &'static str;
    /// Actions (arraysync words) the type refuses as unsupported.
    fn unsupported_actions(&self) -> &'static [&'static [&'static str]];
    /// A mandatory keyword of the type.
    fn mandatory_keyword(&self) -> &'static str;
    /// A keyword and a value with shell metacharacters that must be refused.
    fn hostile_value(&self) -> (&'static str, &'static str);
}

fn mutating_calls(env: &TestEnv, fixture: &dyn Fixture) -> Vec<String> {
    let mutating = fixture.mutating_commands();
    env.calls(None)
        .iter()
        .flat_map(|call| {
            let prog = call["prog"].as_str().unwrap_or_default().to_string();
            let commands: Vec<String> = call["commands"]
                .as_array()
                .map(|c| {
                    c.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            if commands.is_empty() {
                vec![prog]
            } else {
                commands
            }
        })
        .filter(|command| {
            let first = command.split_whitespace().next().unwrap_or_default();
            mutating.contains(&first)
        })
        .collect()
}

fn status_json(env: &TestEnv) -> serde_json::Value {
    let run = env.arraysync(&["-s", SVC, "print", "status", "--format", "json"]);
    run.ok();
    run.json()[0].clone()
}

pub fn status_is_up_after_setup_and_check_agrees(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    let status = status_json(&env);
    assert_eq!(status["status"], "up", "{status:#}");
    assert_eq!(status["resources"][0]["type"], fixture.rtype());
    let check = env.arraysync(&["-s", SVC, "check"]);
    check
        .ok()
        .stdout_has("ARRAYSYNC OK - conformance sync#1 up");
}

pub fn resync_runs_and_logs_the_vendor_commands(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.clear_calls();
    env.syncresync(&["-s", SVC]).ok();
    let mutating = mutating_calls(&env, fixture);
    assert!(!mutating.is_empty(), "no state-changing vendor call");
    let log = env.log(SVC);
    let first_word = mutating[0].split_whitespace().next().unwrap_or_default();
    assert!(
        log.lines()
            .any(|l| l.contains(" - CONFORMANCE.SYNC#1 - INFO - ") && l.contains(first_word)),
        "the log does not show the {first_word} command line:\n{log}"
    );
    assert_eq!(status_json(&env)["status"], "up");
}

pub fn second_resync_is_refused_by_min_delay_until_forced(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.syncresync(&["-s", SVC]).ok();
    env.clear_calls();
    env.syncresync(&["-s", SVC])
        .code(1)
        .stderr_has("sync_min_delay");
    assert!(
        mutating_calls(&env, fixture).is_empty(),
        "a refused resync touched the array"
    );
    // --force lifts the protection; whether the array then has work to do is the type's
    // business (a clone set just recreated is already recreated).
    let forced = env.syncresync(&["-s", SVC, "--force"]);
    forced.ok();
    assert!(
        !forced.stderr.contains("sync_min_delay"),
        "{}",
        forced.stderr
    );
}

pub fn resync_is_refused_while_the_service_is_up(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.set_keyword(SVC, "fs#1", "mnt", "/srv/conformance");
    env.mount("/dev/mapper/vg-lv", "/srv/conformance");
    env.clear_calls();
    for args in [
        &["-s", SVC, "sync", "resync"][..],
        &["-s", SVC, "sync", "resync", "--force"][..],
    ] {
        env.arraysync(args)
            .code(1)
            .stderr_has("fs#1: /srv/conformance is mounted");
    }
    assert!(
        mutating_calls(&env, fixture).is_empty(),
        "resync touched the array of a running service"
    );
    env.unmount_all();
    env.arraysync(&["-s", SVC, "sync", "resync"]).ok();
}

pub fn status_warns_once_sync_max_delay_has_passed(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.set_keyword(SVC, "sync#1", "sync_max_delay", "60");
    env.syncresync(&["-s", SVC]).ok();
    assert_eq!(status_json(&env)["status"], "up");
    env.sim(&["clock", "advance", "2h"]);
    let status = status_json(&env);
    assert_eq!(status["status"], "warn", "{status:#}");
    let reasons = status["resources"][0]["reasons"].to_string();
    assert!(reasons.contains("older than 1h"), "{reasons}");
    env.arraysync(&["-s", SVC, "check"])
        .code(1)
        .stdout_has("ARRAYSYNC WARNING");
}

/// One clock for host and arrays (`arraysim clock`, docs/operating.md "One clock"): after
/// an advance, the last sync the array reports stays the instant it was, its age has grown
/// by the advance, and the host's own log lines are as much later.
pub fn dates_stay_put_when_the_world_clock_advances(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.syncresync(&["-s", SVC]).ok();
    let last_sync = |env: &TestEnv| -> chrono::DateTime<chrono::FixedOffset> {
        let status = status_json(env);
        let text = status["resources"][0]["last_sync"]
            .as_str()
            .unwrap_or_else(|| panic!("no last sync: {status:#}"))
            .to_string();
        chrono::DateTime::parse_from_rfc3339(&text).expect("rfc3339 last_sync")
    };
    let before = last_sync(&env);
    env.sim(&["clock", "advance", "2d"]);
    assert_eq!(last_sync(&env), before, "the last sync moved");
    let stdout = env.arraysync(&["-s", SVC, "check"]).stdout;
    let age: i64 = stdout
        .split("age'=")
        .nth(1)
        .and_then(|rest| rest.split('s').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no age perfdata: {stdout}"));
    assert!(
        (172_800..172_800 + 3_600).contains(&age),
        "age {age} s after a 2-day advance: {stdout}"
    );
    env.syncresync(&["-s", SVC]).ok();
    let log = env.log(SVC);
    let stamp = log
        .lines()
        .rev()
        .filter_map(|l| l.get(..19))
        .find(|head| head.as_bytes().get(4) == Some(&b'-') && head.starts_with("20"))
        .unwrap_or_default();
    let logged = chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S")
        .unwrap_or_else(|e| panic!("log line stamp {stamp:?}: {e}"));
    let ahead = logged - before.naive_local();
    assert!(
        ahead >= chrono::Duration::days(2),
        "the host's log line {stamp} is not two days after the last sync {before}"
    );
    // A resync never makes the last sync older (it stays for a type whose point in time is
    // taken at activation, symclone, and moves on for the others).
    assert!(last_sync(&env) >= before);
}

pub fn damaged_pair_is_reported_by_name(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    let name = fixture.damage_one_pair(&env);
    let status = status_json(&env);
    assert_eq!(
        status["resources"][0]["status"],
        fixture.damaged_state(),
        "{status:#}"
    );
    let reasons = status["resources"][0]["reasons"].to_string();
    assert!(
        reasons.contains(&name),
        "reasons do not name {name}: {reasons}"
    );
    let expected = if fixture.damaged_state() == "down" {
        2
    } else {
        1
    };
    env.arraysync(&["-s", SVC, "check"]).code(expected);
}

/// Makes the fixture's resync vendor command hang until killed.
pub fn hang_the_resync(env: &TestEnv, fixture: &dyn Fixture) {
    let mut args = vec!["fault", "add"];
    args.extend(fixture.hang_resync());
    args.push("--hang");
    env.sim(&args);
}

pub fn hung_vendor_cli_is_killed_at_the_timeout_and_the_lock_released(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.set_keyword(SVC, "sync#1", "timeout", "2");
    hang_the_resync(&env, fixture);
    let started = Instant::now();
    env.syncresync(&["-s", SVC])
        .code(1)
        .stderr_has("timed out after 2s");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    env.sim(&["fault", "clear"]);
    env.syncresync(&["-s", SVC, "--force", "--waitlock", "0"])
        .ok();
}

pub fn concurrent_run_waits_then_names_the_holder(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.set_keyword(SVC, "sync#1", "timeout", "20");
    hang_the_resync(&env, fixture);
    let mut first = env.spawn_quiet(env!("CARGO_BIN_EXE_syncresync"), &["-s", SVC]);
    let lock = env.path(&format!("/var/lib/arraysync/lock/{SVC}.lock"));
    wait_until(
        "the first run never took the lock",
        Duration::from_secs(15),
        || std::fs::read_to_string(&lock).is_ok_and(|t| t.contains("pid")),
    );
    let started = Instant::now();
    let second = env.syncresync(&["-s", SVC, "--waitlock", "1"]);
    let waited = started.elapsed();
    let _ = first.kill();
    let _ = first.wait();
    second
        .code(1)
        .stderr_has(&format!("pid {}", first.id()))
        .stderr_has("sync resync");
    assert!(
        waited >= Duration::from_millis(900),
        "did not wait: {waited:?}"
    );
}

pub fn unsupported_actions_say_so(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    for action in fixture.unsupported_actions() {
        let mut args = vec!["-s", SVC];
        args.extend_from_slice(action);
        env.arraysync(&args)
            .code(1)
            .stderr_has(&format!("not supported by {}", fixture.rtype()));
    }
}

pub fn missing_mandatory_keyword_is_a_config_error_and_nothing_runs(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.remove_keyword(SVC, "sync#1", fixture.mandatory_keyword());
    env.clear_calls();
    env.syncresync(&["-s", SVC])
        .code(2)
        .stderr_has(&format!("{SVC}.conf:"))
        .stderr_has(&format!(
            "[sync#1] {}: missing mandatory keyword",
            fixture.mandatory_keyword()
        ));
    assert!(
        env.calls(None).is_empty(),
        "a vendor command ran despite a config error"
    );
}

pub fn hostile_values_are_refused(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    let (key, value) = fixture.hostile_value();
    env.set_keyword(SVC, "sync#1", key, value);
    env.clear_calls();
    env.syncresync(&["-s", SVC])
        .code(2)
        .stderr_has(&format!("[sync#1] {key}:"));
    assert!(
        env.calls(None).is_empty(),
        "a vendor command ran with a hostile value"
    );
}

pub fn dry_run_changes_nothing(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.clear_calls();
    env.syncresync(&["-s", SVC, "--dry-run"])
        .ok()
        .stderr_has("dry run");
    assert!(
        mutating_calls(&env, fixture).is_empty(),
        "dry run changed the array"
    );
    env.syncresync(&["-s", SVC]).ok();
}

pub fn unknown_keyword_is_only_a_warning(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    fixture.setup(&env);
    env.set_keyword(SVC, "sync#1", "colour", "blue");
    env.arraysync(&["-s", SVC, "validate", "config"])
        .ok()
        .stderr_has("[sync#1] colour: unknown keyword")
        .stdout_has("conformance: configuration ok");
}

/// Instantiates every scenario for one fixture, as `#[test]`s in a module.
#[macro_export]
macro_rules! conformance {
    ($module:ident, $fixture:expr) => {
        mod $module {
            #[allow(unused_imports)]
            use super::*;
            $crate::conformance_tests!($fixture;
                status_is_up_after_setup_and_check_agrees,
                resync_runs_and_logs_the_vendor_commands,
                second_resync_is_refused_by_min_delay_until_forced,
                resync_is_refused_while_the_service_is_up,
                status_warns_once_sync_max_delay_has_passed,
                dates_stay_put_when_the_world_clock_advances,
                damaged_pair_is_reported_by_name,
                hung_vendor_cli_is_killed_at_the_timeout_and_the_lock_released,
                concurrent_run_waits_then_names_the_holder,
                unsupported_actions_say_so,
                missing_mandatory_keyword_is_a_config_error_and_nothing_runs,
                hostile_values_are_refused,
                dry_run_changes_nothing,
                unknown_keyword_is_only_a_warning,
            );
        }
    };
}

#[macro_export]
macro_rules! conformance_tests {
    ($fixture:expr; $($scenario:ident),* $(,)?) => {
        $(
            #[test]
            fn $scenario() {
                $crate::suite::conformance::$scenario(&$fixture);
            }
        )*
    };
}
