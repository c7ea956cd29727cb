//! IBM DS FlashCopy end to end: seed 000's service against the dscli emulator.

use super::conformance::{Fixture, SVC};
use super::env::TestEnv;

const ARRAY: &str = "IBM.XXXX-XXXXXXX";
const SEED_SVC: &str = "iiststibmds";
const SEED_PAIRS: &str = "0001:0002 0101:0102 0003:0004";

fn dscli_login(env: &TestEnv) -> Vec<String> {
    vec![
        "-hmc1".into(),
        "10.10.10.10".into(),
        "-user".into(),
        "opensvc".into(),
        "-pwfile".into(),
        env.path(&format!("/var/lib/arraysync/{ARRAY}.pwfile"))
            .display()
            .to_string(),
    ]
}

/// Runs the emulated dscli as the administrator would (single-shot mode).
fn dscli(env: &TestEnv, command: &str) -> super::env::Run {
    let mut args = dscli_login(env);
    args.extend(command.split_whitespace().map(str::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    env.run(env.path("/opt/ibm/dscli/dscli"), &args)
}

/// The seed 000 sandbox with the relationships created (`mkflash -record -persist`).
fn seed(env: &TestEnv, setup_args: &[&str]) {
    let root = env.root.display().to_string();
    let mut args = vec!["setup", "ibmds", "--root", root.as_str()];
    args.extend_from_slice(setup_args);
    env.sim(&args);
}

fn create_relationships(env: &TestEnv, extra: &str, pairs: &str) {
    dscli(
        env,
        &format!("mkflash -dev {ARRAY} -record -persist {extra} {pairs}"),
    )
    .ok();
}

/// Seed 000's sandbox with its three relationships created (full copy).
fn seed_with_relationships(env: &TestEnv) {
    seed(env, &[]);
    create_relationships(env, "-cp", SEED_PAIRS);
}

/// The conformance fixture: the seed 000 service renamed.
pub struct IbmDsFixture;

impl Fixture for IbmDsFixture {
    fn rtype(&self) -> &'static str {
        "ibmdssnap"
    }

    fn setup(&self, env: &TestEnv) {
        seed(env, &["--no-service"]);
        env.write_service(
            SVC,
            &format!(
                "[DEFAULT]\n\n[sync#1]\ntype = ibmdssnap\narray = {ARRAY}\npairs = {SEED_PAIRS}\n"
            ),
        );
        create_relationships(env, "-cp", SEED_PAIRS);
    }

    fn mutating_commands(&self) -> &'static [&'static str] {
        &[
            "resyncflash",
            "rmflash",
            "mkflash",
            "resyncremoteflash",
            "rmremoteflash",
            "mkremoteflash",
        ]
    }

    fn hang_resync(&self) -> Vec<&'static str> {
        vec!["--prog", "dscli", "--command", "resyncflash"]
    }

    fn damage_one_pair(&self, env: &TestEnv) -> String {
        env.sim(&["ibmds", "set", ARRAY, "0101:0102", "--state", "Tgt Failed"]);
        "0101:0102".into()
    }

    fn damaged_state(&self) -> &'static str {
        "warn"
    }

    fn unsupported_actions(&self) -> &'static [&'static [&'static str]] {
        &[&["sync", "break"], &["sync", "restore"]]
    }

    fn mandatory_keyword(&self) -> &'static str {
        "pairs"
    }

    fn hostile_value(&self) -> (&'static str, &'static str) {
        ("array", "IBM.X;rmflash -dev IBM.X 0001:0002")
    }
}

crate::conformance!(ibmdssnap_conformance, super::IbmDsFixture);

#[test]
fn seed_000_resync_makes_one_lsflash_and_one_resyncflash_and_logs_the_seed_line() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.clear_calls();
    let run = env.syncresync(&["-s", SEED_SVC]);
    run.ok();
    let commands = env.commands(Some("dscli"));
    let calls = env.calls(Some("dscli"));
    assert_eq!(calls.len(), 2, "{commands:#?}");
    assert!(
        commands.iter().any(
            |c| c.starts_with("lsflash -l -dev IBM.XXXX-XXXXXXX 0001:0002 0101:0102 0003:0004")
        ),
        "{commands:#?}"
    );
    assert!(commands.iter().any(|c| c == "resyncflash -dev IBM.XXXX-XXXXXXX -persist -record -cp 0001:0002 0101:0102 0003:0004"), "{commands:#?}");
    let root = env.root.display().to_string();
    let expected = format!(
        " - IISTSTIBMDS.SYNC#1 - INFO - resyncflash -dev IBM.XXXX-XXXXXXX -persist -record -cp 0001:0002 0101:0102 0003:0004 | {root}/opt/ibm/dscli/dscli -hmc1 10.10.10.10 -user opensvc -pwfile {root}/var/lib/arraysync/IBM.XXXX-XXXXXXX.pwfile"
    );
    let log = env.log(SEED_SVC);
    assert!(
        log.contains(&expected),
        "log lacks the seed line\n{expected}\n---\n{log}"
    );
    for pair in SEED_PAIRS.split_whitespace() {
        let line = format!(
            "CMUC00168I resyncflash: FlashCopy volume pair {pair} successfully resynchronized."
        );
        assert!(log.contains(&line), "log lacks {line}\n{log}");
        assert!(run.stderr.contains(&line), "stderr lacks {line}");
    }
    assert!(
        log.contains("Date/Time: "),
        "the dscli banner is logged as in seed 000\n{log}"
    );
}

#[test]
fn recording_false_removes_then_recreates_and_bgcopy_false_uses_nocp() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.set_keyword(SEED_SVC, "sync#1", "recording", "false");
    env.set_keyword(SEED_SVC, "sync#1", "bgcopy", "false");
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC]).ok();
    let commands = env.commands(Some("dscli"));
    let mutating: Vec<&String> = commands
        .iter()
        .filter(|c| !c.starts_with("lsflash") && !c.starts_with("setenv"))
        .collect();
    assert_eq!(
        mutating,
        [
            &format!("rmflash -dev {ARRAY} -quiet {SEED_PAIRS}"),
            &format!("mkflash -dev {ARRAY} -persist -nocp {SEED_PAIRS}"),
        ],
    );
    env.assert_up(SEED_SVC);
}

#[test]
fn ese_targets_get_their_own_batch_with_tgtse() {
    let env = TestEnv::new();
    seed(&env, &["--ese-volumes", "0102"]);
    create_relationships(&env, "-cp", "0001:0002 0003:0004");
    create_relationships(&env, "-cp -tgtse", "0101:0102");
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC]).ok();
    let commands = env.commands(Some("dscli"));
    let resyncs: Vec<&String> = commands
        .iter()
        .filter(|c| c.starts_with("resyncflash"))
        .collect();
    assert_eq!(
        resyncs,
        [
            &format!("resyncflash -dev {ARRAY} -persist -record -cp -tgtse 0101:0102"),
            &format!("resyncflash -dev {ARRAY} -persist -record -cp 0001:0002 0003:0004"),
        ]
    );
}

#[test]
fn conduit_drives_the_remote_commands() {
    let env = TestEnv::new();
    seed(&env, &[]);
    dscli(
        &env,
        &format!(
            "mkremoteflash -dev {ARRAY} -conduit IBM.XXXX-YYYYYYY/10 -record -persist {SEED_PAIRS}"
        ),
    )
    .ok();
    env.set_keyword(SEED_SVC, "sync#1", "conduit", "IBM.XXXX-YYYYYYY/10");
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC]).ok();
    let commands = env.commands(Some("dscli"));
    assert!(
        commands.iter().any(|c| c.starts_with(&format!(
            "lsremoteflash -l -dev {ARRAY} -conduit IBM.XXXX-YYYYYYY/10 "
        ))),
        "{commands:#?}"
    );
    assert!(
        commands.contains(&format!("resyncremoteflash -dev {ARRAY} -conduit IBM.XXXX-YYYYYYY/10 -persist -record -cp {SEED_PAIRS}")),
        "{commands:#?}"
    );
}

#[test]
fn status_warns_on_missing_pair_and_disabled_recording_and_check_agrees() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.assert_up(SEED_SVC);
    dscli(&env, &format!("rmflash -dev {ARRAY} -quiet 0003:0004")).ok();
    env.sim(&[
        "ibmds",
        "set",
        ARRAY,
        "0001:0002",
        "--recording",
        "disabled",
    ]);
    let status = env.status_json(SEED_SVC);
    let reasons = status[0]["resources"][0]["reasons"].to_string();
    assert_eq!(status[0]["status"], "warn");
    assert!(
        reasons.contains("Missing flashcopy on 0003:0004"),
        "{reasons}"
    );
    assert!(
        reasons.contains("Recording disabled on 0001:0002"),
        "{reasons}"
    );
    env.arraysync(&["-s", SEED_SVC, "check"])
        .code(1)
        .stdout_has("ARRAYSYNC WARNING")
        .stdout_has("Missing flashcopy on 0003:0004");
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("refuse to resync as 0003:0004 pairs are not currently configured");
}

#[test]
fn bad_credentials_files_are_refused_before_any_dscli_call() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    seed(&env, &[]);
    let auth = env.path("/etc/arraysync/auth.conf");
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC])
        .code(2)
        .stderr_has("auth.conf")
        .stderr_has("mode 0644");
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let pwfile = env.path(&format!("/var/lib/arraysync/{ARRAY}.pwfile"));
    std::fs::rename(&pwfile, pwfile.with_extension("saved")).expect("rename");
    env.syncresync(&["-s", SEED_SVC])
        .code(2)
        .stderr_has("does not exist")
        .stderr_has("managepwfile");
    std::fs::rename(pwfile.with_extension("saved"), &pwfile).expect("rename");
    env.set_keyword(SEED_SVC, "sync#1", "array", "IBM.NOPE-0000000");
    env.syncresync(&["-s", SEED_SVC])
        .code(2)
        .stderr_has("array 'IBM.NOPE-0000000' is not defined");
    env.set_keyword(SEED_SVC, "sync#1", "array", ARRAY);
    env.set_keyword(SEED_SVC, "sync#1", "pairs", "0001:0002 01O1:0102");
    env.syncresync(&["-s", SEED_SVC])
        .code(2)
        .stderr_has("[sync#1] pairs: '01O1:0102': volume id '01O1' is not 4 hex digits");
    env.set_keyword(SEED_SVC, "sync#1", "pairs", SEED_PAIRS);
    env.set_keyword(SEED_SVC, "sync#1", "sync_max_delay", "1d3");
    env.syncresync(&["-s", SEED_SVC])
        .code(2)
        .stderr_has("[sync#1] sync_max_delay: invalid duration '1d3'");
    assert!(env.calls(None).is_empty(), "dscli ran despite bad input");
}

#[test]
fn unreachable_hmc_and_authentication_failure_are_clear_errors() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.fault(
        "dscli",
        &["--kind", "hmc-unreachable", "--hmc", "10.10.10.10"],
    );
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("connection error")
        .stderr_has("CMUN00018E");
    env.arraysync(&["-s", SEED_SVC, "check"])
        .code(3)
        .stdout_has("ARRAYSYNC UNKNOWN");
    env.sim(&["fault", "clear"]);
    env.fault("dscli", &["--kind", "auth"]);
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("authentication error")
        .stderr_has("CMUC00191E");
}

#[test]
fn one_failing_pair_fails_the_resync_and_names_it() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.fault(
        "dscli",
        &[
            "--command",
            "resyncflash",
            "--pair",
            "0101:0102",
            "--exit",
            "4",
        ],
    );
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("0101:0102");
    let log = env.log(SEED_SVC);
    assert!(
        log.contains(
            "CMUC00168I resyncflash: FlashCopy volume pair 0001:0002 successfully resynchronized."
        ),
        "{log}"
    );
}

#[test]
fn full_copy_killed_between_rmflash_and_mkflash_is_finished_by_the_rerun() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.set_keyword(SEED_SVC, "sync#1", "recording", "false");
    env.set_keyword(SEED_SVC, "sync#1", "timeout", "2");
    env.hang("dscli", "mkflash");
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("timed out");
    env.sim(&["fault", "clear"]);
    let gone = dscli(&env, &format!("lsflash -dev {ARRAY} {SEED_PAIRS}"));
    assert!(
        gone.stdout.contains("No Flash Copy found"),
        "rmflash did not run before the hang:\n{}",
        gone.stdout
    );
    env.syncresync(&["-s", SEED_SVC, "--force"])
        .ok()
        .stderr_has("resuming an interrupted full copy: 3 removed relationship(s)");
    env.assert_up(SEED_SVC);
}

#[test]
fn stderr_noise_with_success_is_a_warning_not_a_failure() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.fault(
        "dscli",
        &[
            "--command",
            "resyncflash",
            "--stderr-noise",
            "JVM warning: low memory",
        ],
    );
    env.syncresync(&["-s", SEED_SVC]).ok();
    let log = env.log(SEED_SVC);
    assert!(
        log.contains("WARNING - command successful but stderr:\nJVM warning: low memory"),
        "{log}"
    );
}

#[test]
fn start_checks_the_relationships_and_stop_touches_nothing() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.arraysync(&["-s", SEED_SVC, "start"])
        .ok()
        .stderr_has("hold the point-in-time copy of");
    env.clear_calls();
    env.arraysync(&["-s", SEED_SVC, "stop"])
        .ok()
        .stderr_has("nothing to do on the array for stop");
    assert!(env.calls(None).is_empty());
    dscli(&env, &format!("rmflash -dev {ARRAY} -quiet 0001:0002")).ok();
    env.arraysync(&["-s", SEED_SVC, "start"])
        .code(1)
        .stderr_has("0001:0002 (no relationship)");
}

#[test]
fn triggers_run_around_the_action_and_a_blocking_failure_aborts_it() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    let marker = env.path("/tmp/pre-ran");
    std::fs::create_dir_all(marker.parent().expect("parent")).expect("mkdir");
    env.set_keyword(
        SEED_SVC,
        "DEFAULT",
        "pre_sync_resync",
        &format!("/usr/bin/touch {}", marker.display()),
    );
    env.syncresync(&["-s", SEED_SVC])
        .ok()
        .stderr_has("pre_sync_resync: /usr/bin/touch");
    assert!(marker.exists());
    env.set_keyword(SEED_SVC, "sync#1", "blocking_pre_sync_resync", "/bin/false");
    env.clear_calls();
    env.syncresync(&["-s", SEED_SVC, "--force"])
        .code(1)
        .stderr_has("blocking_pre_sync_resync: /bin/false blocking error [1]");
    assert!(!env
        .commands(Some("dscli"))
        .iter()
        .any(|c| c.starts_with("resyncflash")));
}

#[test]
fn all_and_comma_lists_select_services_and_rid_selects_resources() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.write_service(
        "second",
        &format!("[sync#1]\ntype = ibmdssnap\narray = {ARRAY}\npairs = 0001:0002\n"),
    );
    let all = env
        .arraysync(&["--all", "print", "status", "--format", "json"])
        .json();
    assert_eq!(all.as_array().map(Vec::len), Some(2));
    env.arraysync(&["-s", "second,iiststibmds", "check"]).ok();
    env.arraysync(&["-s", SEED_SVC, "--rid", "sync#9", "print", "status"])
        .code(2)
        .stderr_has("--rid sync#9: no such sync resource");
    env.arraysync(&["-s", "nosuch", "print", "status"])
        .code(2)
        .stderr_has("service 'nosuch' not found");
    env.arraysync(&["-s", SEED_SVC, "sync", "frobnicate"])
        .code(2)
        .stderr_has("unknown action 'sync frobnicate'");
}

#[test]
fn a_running_app_blocks_the_resync_and_a_stopped_one_does_not() {
    let env = TestEnv::new();
    seed_with_relationships(&env);
    env.set_keyword(SEED_SVC, "app#1", "check", "/bin/true");
    env.syncresync(&["-s", SEED_SVC])
        .code(1)
        .stderr_has("app#1: check reports running");
    env.set_keyword(SEED_SVC, "app#1", "check", "/bin/false");
    env.syncresync(&["-s", SEED_SVC]).ok();
}
