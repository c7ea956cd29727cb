//! EMC Symmetrix clones and snaps end to end: seed 002's service and the pairs file form
//! against the SYMCLI emulator.

use super::conformance::{Fixture, SVC};
use super::env::{Run, TestEnv};
use std::time::{Duration, Instant};

const SYMID: &str = "000197800123";
const SEED_SVC: &str = "aastmphpux";

/// Runs an emulated SYMCLI program as the administrator would, with SYMCLI's
/// `SYMCLI_NOPROMPT=1` answering its confirmations.
fn symcli(env: &TestEnv, prog: &str, args: &str) -> Run {
    let output = env
        .command(env.path(&format!("/usr/symcli/bin/{prog}")))
        .args(args.split_whitespace())
        .env("SYMCLI_NOPROMPT", "1")
        .output()
        .expect("spawn");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `arraysim setup symclone` with extra arguments.
fn seed(env: &TestEnv, extra: &[&str]) {
    let root = env.root.display().to_string();
    let mut args = vec!["setup", "symclone", "--root", root.as_str()];
    args.extend_from_slice(extra);
    env.sim(&args);
}

/// Seed 002's configuration section, step by step, for `prog` (symclone or symsnap).
fn configure_group(env: &TestEnv, prog: &str) {
    symcli(env, "symdg", "create -type REGULAR DGCVI").ok();
    symcli(env, "symld", "-g DGCVI add dev 1234 DEV001").ok();
    symcli(env, "symld", "-g DGCVI add dev 4321 CLONE001").ok();
    let precopy = if prog == "symclone" { " -precopy" } else { "" };
    symcli(
        env,
        prog,
        &format!("-g DGCVI create -diff{precopy} DEV001 sym ld CLONE001"),
    )
    .ok();
}

/// Activates the sessions and lets the background copy finish, as after a service start.
fn activate_and_copy(env: &TestEnv, prog: &str, selection: &str) {
    symcli(env, prog, &format!("{selection} -noprompt activate")).ok();
    env.sim(&["clock", "advance", "1m"]);
}

fn status(env: &TestEnv, svc: &str) -> serde_json::Value {
    let run = env.arraysync(&["-s", svc, "print", "status", "--format", "json"]);
    run.ok();
    run.json()[0]["resources"][0].clone()
}

fn count(commands: &[String], verb: &str) -> usize {
    commands
        .iter()
        .filter(|c| c.split_whitespace().next() == Some(verb))
        .count()
}

/// The clone device 4321 (CLONE001) fails on the array.
fn fail_the_clone(env: &TestEnv) {
    env.sim(&["symclone", "set", SYMID, "4321", "--state", "Failed"]);
}

/// The device group form (seed 002) of a type.
pub struct GroupFixture {
    prog: &'static str,
}

pub const SYMCLONE_GROUP: GroupFixture = GroupFixture { prog: "symclone" };
pub const SYMSNAP_GROUP: GroupFixture = GroupFixture { prog: "symsnap" };

impl Fixture for GroupFixture {
    fn rtype(&self) -> &'static str {
        self.prog
    }

    fn setup(&self, env: &TestEnv) {
        seed(env, &["--no-service"]);
        configure_group(env, self.prog);
        activate_and_copy(env, self.prog, "-g DGCVI");
        env.write_service(
            SVC,
            &format!(
                "[DEFAULT]\n\n[sync#1]\ntype = {}\nsymdg = DGCVI\npairs = DEV001:CLONE001\n",
                self.prog
            ),
        );
    }

    fn mutating_commands(&self) -> &'static [&'static str] {
        &[
            "create",
            "activate",
            "recreate",
            "establish",
            "restore",
            "terminate",
            "split",
        ]
    }

    fn hang_resync(&self) -> Vec<&'static str> {
        vec!["--prog", self.prog, "--command", "recreate"]
    }

    fn damage_one_pair(&self, env: &TestEnv) -> String {
        fail_the_clone(env);
        "DEV001:CLONE001".into()
    }

    fn damaged_state(&self) -> &'static str {
        "down"
    }

    fn unsupported_actions(&self) -> &'static [&'static [&'static str]] {
        &[]
    }

    fn mandatory_keyword(&self) -> &'static str {
        "pairs"
    }

    fn hostile_value(&self) -> (&'static str, &'static str) {
        ("symdg", "DGCVI;symclone -g DGCVI terminate")
    }
}

/// The `symid` + pairs file form of `symclone`.
pub struct FileFixture;

fn write_pairs_file(env: &TestEnv, pairs: &str) -> String {
    let path = env.path("/tmp/pairs");
    let text: String = pairs
        .split_whitespace()
        .map(|p| p.replace(':', " ") + "\n")
        .collect();
    env.write("/tmp/pairs", &text);
    path.display().to_string()
}

impl Fixture for FileFixture {
    fn rtype(&self) -> &'static str {
        "symclone"
    }

    fn setup(&self, env: &TestEnv) {
        seed(env, &["--no-service"]);
        let file = write_pairs_file(env, "1234:4321");
        symcli(
            env,
            "symclone",
            &format!("-sid 123 -f {file} -noprompt create -diff -precopy"),
        )
        .ok();
        activate_and_copy(env, "symclone", &format!("-sid 123 -f {file}"));
        env.write_service(
            SVC,
            &format!(
                "[DEFAULT]\n\n[sync#1]\ntype = symclone\nsymid = {SYMID}\npairs = 1234:4321\n"
            ),
        );
    }

    fn mutating_commands(&self) -> &'static [&'static str] {
        SYMCLONE_GROUP.mutating_commands()
    }

    fn hang_resync(&self) -> Vec<&'static str> {
        SYMCLONE_GROUP.hang_resync()
    }

    fn damage_one_pair(&self, env: &TestEnv) -> String {
        fail_the_clone(env);
        "1234:4321".into()
    }

    fn damaged_state(&self) -> &'static str {
        SYMCLONE_GROUP.damaged_state()
    }

    fn unsupported_actions(&self) -> &'static [&'static [&'static str]] {
        SYMCLONE_GROUP.unsupported_actions()
    }

    fn mandatory_keyword(&self) -> &'static str {
        SYMCLONE_GROUP.mandatory_keyword()
    }

    fn hostile_value(&self) -> (&'static str, &'static str) {
        ("pairs", "1234:4321 $(reboot):4322")
    }
}

crate::conformance!(symclone_conformance, super::SYMCLONE_GROUP);
crate::conformance!(symsnap_conformance, super::SYMSNAP_GROUP);
crate::conformance!(symclone_pairs_file_conformance, super::FileFixture);

#[test]
fn min_delay_protects_the_next_resync_after_a_start() {
    for fixture in [
        &SYMCLONE_GROUP as &dyn Fixture,
        &SYMSNAP_GROUP,
        &FileFixture,
    ] {
        let env = TestEnv::new();
        fixture.setup(&env);
        env.syncresync(&["-s", SVC]).ok();
        env.arraysync(&["-s", SVC, "start"]).ok();
        env.sim(&["clock", "advance", "1m"]);
        env.clear_calls();
        env.syncresync(&["-s", SVC])
            .code(1)
            .stderr_has("sync_min_delay");
        assert_eq!(
            count(&env.commands(None), "recreate"),
            0,
            "a refused resync touched the array"
        );
        env.syncresync(&["-s", SVC, "--force"]).ok();
        assert_eq!(count(&env.commands(None), "recreate"), 1);
        env.clear_calls();
        env.syncresync(&["-s", SVC, "--force"])
            .ok()
            .stderr_has("are already recreated");
        assert_eq!(
            count(&env.commands(None), "recreate"),
            0,
            "nothing to recreate twice"
        );
    }
}

/// Seed 002's sandbox: the emulated array, its configuration section run through SYMCLI,
/// and the service started once (clones activated and copied).
fn seed_002(env: &TestEnv) {
    seed(env, &[]);
    configure_group(env, "symclone");
    env.arraysync(&["-s", SEED_SVC, "start"]).ok();
    env.sim(&["clock", "advance", "1m"]);
}

#[test]
fn seed_002_resync_and_start_log_the_seed_command_lines_and_messages() {
    let env = TestEnv::new();
    seed_002(&env);
    let root = env.root.display().to_string();
    // Production writes since the last activation: the recreate copies them again.
    env.sim(&["symclone", "write", SYMID, "1234", "8192"]);
    env.clear_calls();
    let resync = env.arraysync(&["-s", SEED_SVC, "sync", "resync"]);
    resync.ok();
    let start = env.arraysync(&["-s", SEED_SVC, "start"]);
    start.ok();
    let log = env.log(SEED_SVC);
    for line in [
        format!(" - AASTMPHPUX.SYNC#2 - INFO - {root}/usr/symcli/bin/symclone -g DGCVI -noprompt recreate -precopy -i 20 -c 30 DEV001 sym ld CLONE001\n"),
        " - AASTMPHPUX.SYNC#2 - WARNING - command successful but stderr:\n\n'Recreate' operation execution is in progress for device 'DEV001'\npaired with target device 'CLONE001' in\ndevice group 'DGCVI'. Please wait...\n\n'Recreate' operation successfully initiated for device 'DEV001'\nin group 'DGCVI' paired with target device 'CLONE001'.\n".to_string(),
        format!(" - AASTMPHPUX.SYNC#2 - INFO - {root}/usr/symcli/bin/symclone -g DGCVI -noprompt activate -i 20 -c 30 DEV001 sym ld CLONE001\n"),
        "'Activate' operation successfully executed for device 'DEV001'\nin group 'DGCVI' paired with target device 'CLONE001'.\n".to_string(),
        " - AASTMPHPUX.SYNC#2 - INFO - waiting for copied state (max 300 secs)\n".to_string(),
    ] {
        assert!(log.contains(&line), "the log lacks\n{line}\n--- log\n{log}");
    }
    assert!(
        resync
            .stderr
            .contains("WARNING - command successful but stderr"),
        "{}",
        resync.stderr
    );
    assert!(
        !log.contains("ERROR"),
        "a stderr on exit 0 is not an error\n{log}"
    );
    let commands = env.commands(None);
    assert_eq!(
        commands,
        [
            "list",
            "recreate DEV001 sym ld CLONE001",
            "list",
            "activate DEV001 sym ld CLONE001",
            "list",
        ],
        "one query, one control call, one poll"
    );
    let status = status(&env, SEED_SVC);
    assert_eq!(status["status"], "up", "{status:#}");
    assert!(
        status["info"]
            .to_string()
            .contains("DEV001:CLONE001 copyinprog"),
        "{status:#}"
    );
}

#[test]
fn restore_copies_back_waits_for_restored_and_terminates_the_restore() {
    let env = TestEnv::new();
    seed_002(&env);
    env.sim(&["symclone", "write", SYMID, "4321", "2048"]);
    env.clear_calls();
    let run = env.arraysync(&["-s", SEED_SVC, "sync", "restore"]);
    run.ok()
        .stderr_has("waiting for restored state (max 300 secs)");
    let commands = env.commands(Some("symclone"));
    assert_eq!(
        commands,
        [
            "restore DEV001 sym ld CLONE001",
            "terminate DEV001 sym ld CLONE001"
        ]
    );
    let polls = count(&env.commands(Some("symld")), "list");
    assert!(
        polls >= 3,
        "the restore of 2048 tracks at 1024/s takes polls: {polls}"
    );
    let log = env.log(SEED_SVC);
    assert!(
        log.contains("symclone -g DGCVI -noprompt terminate -restored DEV001 sym ld CLONE001"),
        "{log}"
    );
    let query = symcli(&env, "symclone", "-g DGCVI query");
    query.ok().stdout_has("Copied");
    assert_eq!(status(&env, SEED_SVC)["status"], "up");
}

#[test]
fn restore_refuses_clones_still_copying_and_resumes_a_restore_in_progress() {
    let env = TestEnv::new();
    seed(&env, &[]);
    configure_group(&env, "symclone");
    env.arraysync(&["-s", SEED_SVC, "start"]).ok();
    env.arraysync(&["-s", SEED_SVC, "sync", "restore"])
        .code(1)
        .stderr_has("DEV001:CLONE001 is copyinprog");
    env.sim(&["clock", "advance", "1m"]);
    // A restore started by hand (or by a killed run) is finished, not restarted.
    symcli(&env, "symclone", "-g DGCVI -noprompt restore").ok();
    env.clear_calls();
    env.arraysync(&["-s", SEED_SVC, "sync", "restore"])
        .ok()
        .stderr_has("resuming a restore");
    assert_eq!(
        env.commands(Some("symclone")),
        ["terminate DEV001 sym ld CLONE001"]
    );
}

#[test]
fn a_clone_stuck_before_copied_times_out_with_a_clear_error() {
    let env = TestEnv::new();
    seed_002(&env);
    env.arraysync(&["-s", SEED_SVC, "sync", "resync"]).ok();
    env.sim(&["symclone", "set", SYMID, "4321", "--state", "Precopy"]);
    env.set_keyword(SEED_SVC, "sync#2", "recreate_timeout", "5");
    env.clear_calls();
    let started = Instant::now();
    let run = env.arraysync(&["-s", SEED_SVC, "sync", "break"]);
    run.code(1)
        .stderr_has("waiting for copied state (max 5 secs)")
        .stderr_has("timed out waiting for copied state (5 secs): DEV001:CLONE001 still precopy");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_secs(5) && elapsed < Duration::from_secs(20),
        "{elapsed:?}"
    );
    let polls = count(&env.commands(Some("symld")), "list") - 1;
    assert!(
        (2..=4).contains(&polls),
        "polls with backoff over 5 s: {polls}"
    );
    assert_eq!(
        status(&env, SEED_SVC)["status"],
        "up",
        "precopy is an expected state"
    );
}

#[test]
fn missing_devices_are_down_and_refused_before_any_change() {
    let env = TestEnv::new();
    seed_002(&env);
    env.set_keyword(
        SEED_SVC,
        "sync#2",
        "pairs",
        "DEV001:CLONE001 DEV002:CLONE002",
    );
    let status = status(&env, SEED_SVC);
    assert_eq!(status["status"], "down", "{status:#}");
    assert!(
        status["reasons"]
            .to_string()
            .contains("DEV002 and CLONE002 not in device group DGCVI"),
        "{status:#}"
    );
    env.clear_calls();
    env.arraysync(&["-s", SEED_SVC, "sync", "resync"])
        .code(1)
        .stderr_has("refuse to recreate: DEV002 and CLONE002 not in device group DGCVI");
    assert_eq!(count(&env.commands(None), "recreate"), 0);
    env.arraysync(&["-s", SEED_SVC, "check"])
        .code(2)
        .stdout_has("ARRAYSYNC CRITICAL");
}

#[test]
fn partly_active_sets_warn_and_start_activates_only_the_rest() {
    let env = TestEnv::new();
    seed(&env, &["--devices", "1234,4321,1235,4322"]);
    configure_group(&env, "symclone");
    symcli(&env, "symld", "-g DGCVI add dev 1235 DEV002").ok();
    symcli(&env, "symld", "-g DGCVI add dev 4322 CLONE002").ok();
    symcli(
        &env,
        "symclone",
        "-g DGCVI create -diff -precopy DEV002 sym ld CLONE002",
    )
    .ok();
    env.set_keyword(
        SEED_SVC,
        "sync#2",
        "pairs",
        "DEV001:CLONE001 DEV002:CLONE002",
    );
    symcli(
        &env,
        "symclone",
        "-g DGCVI -noprompt activate DEV001 sym ld CLONE001",
    )
    .ok();
    let status = status(&env, SEED_SVC);
    assert_eq!(status["status"], "warn", "{status:#}");
    assert!(
        status["reasons"]
            .to_string()
            .contains("only 1/2 pairs active (not active: DEV002:CLONE002 precopy)"),
        "{status:#}"
    );
    env.clear_calls();
    env.arraysync(&["-s", SEED_SVC, "start"]).ok();
    assert_eq!(
        env.commands(Some("symclone")),
        ["activate DEV002 sym ld CLONE002"]
    );
    env.clear_calls();
    env.arraysync(&["-s", SEED_SVC, "start"])
        .ok()
        .stderr_has("symclone target devices are already active");
    assert!(env.commands(Some("symclone")).is_empty());
}

/// Issue 8 item 3: a rerun after a run killed once its activate was done (or whose wait
/// timed out) still waits for the state, rescans and refreshes the target list.
#[test]
fn start_after_an_interrupted_activate_finishes_the_remaining_steps() {
    let env = TestEnv::new();
    SYMCLONE_GROUP.setup(&env);
    let targets = env.path(&format!("/var/lib/arraysync/state/{SVC}/sync_1.targets"));
    // The pairs are active (the interrupted run's activate went through); its later
    // steps never ran: no target list.
    assert!(!targets.exists());
    env.arraysync(&["-s", SVC, "start"])
        .ok()
        .stderr_has("already active: finishing the wait and the rescan")
        .stderr_has("waiting for copied state");
    assert!(targets.exists(), "the target list was not refreshed");
}

#[test]
fn a_locked_symapi_database_is_retried() {
    let env = TestEnv::new();
    seed_002(&env);
    env.fault("symclone", &["--kind", "locked", "--times", "2"]);
    env.clear_calls();
    let run = env.arraysync(&["-s", SEED_SVC, "sync", "resync"]);
    run.ok()
        .stderr_has("SYMAPI database locked, retrying (attempt 2/5)");
    let calls = env.calls(Some("symclone"));
    let exits: Vec<i64> = calls
        .iter()
        .map(|c| c["exit"].as_i64().unwrap_or(-1))
        .collect();
    assert_eq!(exits, [2, 2, 0]);
}

#[test]
fn a_database_that_stays_locked_fails_the_action() {
    let env = TestEnv::new();
    seed_002(&env);
    env.fault("symld", &["--kind", "locked"]);
    env.arraysync(&["-s", SEED_SVC, "sync", "resync"])
        .code(1)
        .stderr_has("symld list: the SYMAPI database stayed locked after 5 attempts");
}

#[test]
fn a_failing_pair_fails_the_whole_command_with_its_message() {
    let env = TestEnv::new();
    seed_002(&env);
    env.fault(
        "symclone",
        &[
            "--command",
            "recreate",
            "--pair",
            "DEV001:CLONE001",
            "--message",
            "Symmetrix access control denied the request",
        ],
    );
    env.arraysync(&["-s", SEED_SVC, "sync", "resync"])
        .code(1)
        .stderr_has(
            "symclone recreate failed (exit 1): Symmetrix access control denied the request",
        );
    let log = env.log(SEED_SVC);
    assert!(
        log.contains(" - AASTMPHPUX.SYNC#2 - ERROR - Symmetrix access control denied the request"),
        "{log}"
    );
}

#[test]
fn garbled_listing_makes_status_unknown_not_a_crash() {
    let env = TestEnv::new();
    seed_002(&env);
    let symld = env.path("/usr/symcli/bin/symld");
    std::fs::remove_file(&symld).expect("rm symld");
    env.write("/usr/symcli/bin/symld", "#!/bin/sh\necho 'Device Physical Name : /dev/sdb'\necho '  Source (SRC) Device Symmetrix Name : 12'\n");
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&symld, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let status = status(&env, SEED_SVC);
    assert_eq!(status["status"], "warn", "{status:#}");
    assert!(
        status["reasons"]
            .to_string()
            .contains("unexpected symld output"),
        "{status:#}"
    );
    env.arraysync(&["-s", SEED_SVC, "check"])
        .code(3)
        .stdout_has("UNKNOWN");
}

#[test]
fn pairs_file_form_batches_every_pair_in_one_call() {
    let env = TestEnv::new();
    let sources: Vec<String> = (0..64).map(|i| format!("{:04X}", 0x1000 + i)).collect();
    let targets: Vec<String> = (0..64).map(|i| format!("{:04X}", 0x2000 + i)).collect();
    let devices = sources
        .iter()
        .chain(&targets)
        .cloned()
        .collect::<Vec<_>>()
        .join(",");
    seed(&env, &["--no-service", "--devices", &devices]);
    let pairs: Vec<String> = sources
        .iter()
        .zip(&targets)
        .map(|(s, t)| format!("{s}:{t}"))
        .collect();
    let file = write_pairs_file(&env, &pairs.join(" "));
    symcli(
        &env,
        "symclone",
        &format!("-sid {SYMID} -f {file} -noprompt create -diff -precopy"),
    )
    .ok();
    activate_and_copy(&env, "symclone", &format!("-sid {SYMID} -f {file}"));
    env.write_service(
        SVC,
        &format!(
            "[sync#1]\ntype = symclone\nsymid = {SYMID}\npairs = {}\n",
            pairs.join("\n    ")
        ),
    );
    env.clear_calls();
    env.syncresync(&["-s", SVC]).ok();
    env.arraysync(&["-s", SVC, "start"]).ok();
    let calls: Vec<String> = env
        .calls(None)
        .iter()
        .map(|c| c["prog"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        calls,
        ["symdev", "symclone", "symdev", "symclone", "symdev"],
        "one query and one control call per action"
    );
    let pairs_file = env.read("/var/lib/arraysync/state/conformance/sync_1.pairs");
    assert_eq!(pairs_file.lines().count(), 64);
    assert!(pairs_file.starts_with("1000 2000\n"), "{pairs_file}");
    let log = env.log(SVC);
    let root = env.root.display().to_string();
    assert!(
        log.contains(&format!("/usr/symcli/bin/symclone -sid {SYMID} -f {root}/var/lib/arraysync/state/conformance/sync_1.pairs -noprompt activate -consistent -i 20 -c 30")),
        "{log}"
    );
}

#[test]
fn symsnap_is_a_real_snap() {
    let env = TestEnv::new();
    SYMSNAP_GROUP.setup(&env);
    env.syncresync(&["-s", SVC]).ok();
    let log = env.log(SVC);
    assert!(log.contains("/usr/symcli/bin/symsnap -g DGCVI -noprompt recreate -i 20 -c 30 DEV001 sym ld CLONE001"), "no -precopy for a snap\n{log}");
    env.arraysync(&["-s", SVC, "start"])
        .ok()
        .stderr_has("waiting for copyonwrite state (max 300 secs)");
    symcli(&env, "symsnap", "-g DGCVI query")
        .ok()
        .stdout_has("CopyOnWrite");
    assert_eq!(status(&env, SVC)["status"], "up");
    env.set_keyword(SVC, "sync#1", "precopy", "true");
    env.arraysync(&["-s", SVC, "validate", "config"])
        .ok()
        .stderr_has("[sync#1] precopy: unknown keyword for type symsnap");
}

#[test]
fn stop_has_nothing_to_do_on_the_array_and_says_so() {
    let env = TestEnv::new();
    seed_002(&env);
    env.clear_calls();
    env.arraysync(&["-s", SEED_SVC, "stop"])
        .ok()
        .stderr_has("nothing to do on the array for stop");
    assert!(env.calls(None).is_empty());
}

#[test]
fn symcli_path_comes_from_the_arrays_auth_conf_section() {
    let env = TestEnv::new();
    FileFixture.setup(&env);
    let dir = env.path("/opt/emc/SYMCLI/bin");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for prog in ["symclone", "symdev"] {
        std::os::unix::fs::symlink(super::env::arraysim_bin(), dir.join(prog)).expect("symlink");
    }
    env.write(
        "/etc/arraysync/auth.conf",
        &format!("[{SYMID}]\ntype = symmetrix\nsymcli_path = /opt/emc/SYMCLI/bin\n"),
    );
    use std::os::unix::fs::PermissionsExt;
    let auth = env.path("/etc/arraysync/auth.conf");
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    env.syncresync(&["-s", SVC]).ok();
    assert!(
        env.log(SVC).contains("/opt/emc/SYMCLI/bin/symclone -sid"),
        "{}",
        env.log(SVC)
    );
    std::fs::set_permissions(&auth, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    env.syncresync(&["-s", SVC, "--force"])
        .code(2)
        .stderr_has("mode 0644");
}

#[test]
fn bad_configurations_name_file_line_section_and_key() {
    let env = TestEnv::new();
    seed(&env, &[]);
    let conf = format!("{SEED_SVC}.conf");
    env.remove_keyword(SEED_SVC, "sync#2", "symdg");
    env.arraysync(&["-s", SEED_SVC, "sync", "resync"])
        .code(2)
        .stderr_has(&conf)
        .stderr_has("[sync#2] symdg: missing: set symdg (device group form");
    env.set_keyword(SEED_SVC, "sync#2", "symid", "000197800123");
    env.arraysync(&["-s", SEED_SVC, "validate", "config"])
        .code(2)
        .stderr_has("[sync#2] pairs: 'DEV001:CLONE001': 'DEV001' is not a Symmetrix device id");
    env.set_keyword(SEED_SVC, "sync#2", "pairs", "1234:4321 5678:4321");
    env.arraysync(&["-s", SEED_SVC, "validate", "config"])
        .code(2)
        .stderr_has("conflicts with '1234:4321'");
    env.set_keyword(SEED_SVC, "sync#2", "pairs", "1234:4321");
    env.set_keyword(SEED_SVC, "sync#2", "recreate_timeout", "0");
    env.arraysync(&["-s", SEED_SVC, "validate", "config"])
        .code(2)
        .stderr_has("[sync#2] recreate_timeout: must be more than 0");
    env.set_keyword(SEED_SVC, "sync#2", "recreate_timeout", "soon");
    env.arraysync(&["-s", SEED_SVC, "validate", "config"])
        .code(2)
        .stderr_has("[sync#2] recreate_timeout:");
    assert!(env.calls(None).is_empty(), "nothing ran");
}

#[test]
fn a_start_waiting_60_s_for_copied_logs_progress_with_pair_counts() {
    let env = TestEnv::new();
    seed_002(&env);
    env.arraysync(&["-s", SEED_SVC, "sync", "resync"]).ok();
    // The clone's activation does not show until the test unpins it, 45 s into the wait.
    env.sim(&["symclone", "set", SYMID, "4321", "--state", "Precopy"]);
    env.set_keyword(SEED_SVC, "sync#2", "recreate_timeout", "60");
    let started = Instant::now();
    let start = env
        .command(env!("CARGO_BIN_EXE_arraysync"))
        .args(["-s", SEED_SVC, "start"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn start");
    std::thread::sleep(Duration::from_secs(45));
    env.sim(&["symclone", "set", SYMID, "4321", "--state", "auto"]);
    let output = start.wait_with_output().expect("start finishes");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(started.elapsed() >= Duration::from_secs(45));
    let log = env.log(SEED_SVC);
    let progress: Vec<&str> = log
        .lines()
        .filter(|l| l.contains(" - AASTMPHPUX.SYNC#2 - INFO - 0/1 pairs copied, "))
        .collect();
    assert!(
        progress.len() >= 4,
        "progress lines:\n{progress:#?}\n--- log\n{log}"
    );
    assert!(
        progress.iter().all(|l| l.ends_with("% of 60 s")),
        "{progress:#?}"
    );
    // The same lines reach stderr (INFO in this suite's settings).
    assert!(stderr.contains("0/1 pairs copied, "), "{stderr}");
}
