//! Hardening scenarios (issue 8, docs/hardening.md), run against every resource type:
//! signals and SIGKILL while a vendor command hangs.

use super::conformance::{hang_the_resync, Fixture, SVC};
use super::env::{wait_until, TestEnv};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Processes (other than `except`) started for this sandbox: the vendor commands inherit
/// `ARRAYSYNC_ROOT` from the tool's environment.
pub fn sandbox_processes(env: &TestEnv, except: &[u32]) -> Vec<u32> {
    let needle = format!("ARRAYSYNC_ROOT={}", env.root.display());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| !except.contains(pid) && *pid != std::process::id())
        .filter(|pid| {
            // Zombies (already dead, not yet reaped) do not count.
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let state = stat.rsplit(')').next().unwrap_or("").trim_start();
            if state.starts_with('Z') {
                return false;
            }
            std::fs::read(format!("/proc/{pid}/environ"))
                .map(|bytes| bytes.split(|b| *b == 0).any(|var| var == needle.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status();
}

/// Starts a resync whose vendor command hangs; returns once that command runs.
fn start_hung_resync_with(env: &TestEnv, fixture: &dyn Fixture, vars: &[(&str, &str)]) -> Child {
    fixture.setup(env);
    env.set_keyword(SVC, "sync#1", "timeout", "60");
    hang_the_resync(env, fixture);
    let child = env
        .command(env!("CARGO_BIN_EXE_syncresync"))
        .args(["-s", SVC])
        .envs(vars.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_until(
        "the hung vendor command never started",
        Duration::from_secs(30),
        || env.fault_fired(),
    );
    child
}

fn wait_exit(child: &mut Child, limit: Duration) -> Option<i32> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            use std::os::unix::process::ExitStatusExt;
            return status.code().or(status.signal().map(|s| 128 + s));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Issue 8 item 1: SIGTERM ends the vendor command's process group, logs the
/// interruption, exits non-zero, and only then frees the lock.
pub fn sigterm_ends_the_vendor_command_before_releasing_the_lock(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    let mut tool = start_hung_resync_with(&env, fixture, &[("ARRAYSIM_HANG_OUTLIVES_PARENT", "1")]);
    signal(tool.id(), "TERM");
    let code = wait_exit(&mut tool, Duration::from_secs(20));
    let leftovers = sandbox_processes(&env, &[]);
    for pid in &leftovers {
        signal(*pid, "KILL");
    }
    assert_eq!(code, Some(143), "exit status after SIGTERM");
    assert!(
        leftovers.is_empty(),
        "vendor processes outlived the tool: {leftovers:?}"
    );
    let log = env.log(SVC);
    assert!(log.contains("interrupted by signal SIGTERM"), "{log}");
    env.sim(&["fault", "clear"]);
    env.syncresync(&["-s", SVC, "--force", "--waitlock", "0"])
        .ok();
}

/// Issue 8 item 2: after a SIGKILL of the tool, a rerun does not overlap the vendor
/// command still running: the lock stays held until it ends, and the rerun says why.
pub fn sigkill_keeps_the_lock_until_the_vendor_command_ends(fixture: &dyn Fixture) {
    let env = TestEnv::new();
    // Like a real CLI, the hung command does not notice the tool's death.
    let mut tool = start_hung_resync_with(&env, fixture, &[("ARRAYSIM_HANG_OUTLIVES_PARENT", "1")]);
    let pid = tool.id();
    signal(pid, "KILL");
    let _ = tool.wait();
    let orphans = sandbox_processes(&env, &[]);
    let rerun = env.syncresync(&["-s", SVC, "--force", "--waitlock", "1"]);
    for orphan in &orphans {
        signal(*orphan, "KILL");
    }
    env.sim(&["fault", "clear"]);
    assert!(!orphans.is_empty(), "the hung vendor command is gone");
    rerun
        .code(1)
        .stderr_has(&format!("pid {pid}"))
        .stderr_has("no longer running");
    // Once the orphan is gone, the next run proceeds and reports the stale record.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sandbox_processes(&env, &[]).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    env.syncresync(&["-s", SVC, "--force", "--waitlock", "5"])
        .ok();
    assert!(
        env.log(SVC).contains("ended without releasing the lock"),
        "{}",
        env.log(SVC)
    );
}

macro_rules! hardening {
    ($module:ident, $fixture:expr) => {
        mod $module {
            #[test]
            fn sigterm_ends_the_vendor_command_before_releasing_the_lock() {
                super::sigterm_ends_the_vendor_command_before_releasing_the_lock(&$fixture);
            }
            #[test]
            fn sigkill_keeps_the_lock_until_the_vendor_command_ends() {
                super::sigkill_keeps_the_lock_until_the_vendor_command_ends(&$fixture);
            }
        }
    };
}

hardening!(ibmdssnap, crate::suite::ibmds::IbmDsFixture);
hardening!(necismsnap, crate::suite::necism::NecIsmFixture);
hardening!(symclone, crate::suite::symclone::SYMCLONE_GROUP);
hardening!(eternus, crate::suite::eternus::EternusFixture);

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            found.push(entry.path().display().to_string());
            found.extend(files_under(&entry.path()));
        }
    }
    found
}

/// Issue 8 item 8: read-only ACM commands create nothing where nothing is configured.
#[test]
fn read_only_acm_commands_create_nothing() {
    let env = TestEnv::new();
    // The test kit's own node settings file is all there is before the commands run.
    let before = files_under(&env.root);
    for bin in [
        env!("CARGO_BIN_EXE_swsrpstat"),
        env!("CARGO_BIN_EXE_swsrpvolinfo"),
    ] {
        env.run(bin, &[]).ok();
    }
    assert_eq!(files_under(&env.root), before);
    // Commands whose class depends on their arguments, in their reading forms (the
    // first two fail here, nothing being registered, and must still create nothing).
    for (bin, args) in [
        (
            env!("CARGO_BIN_EXE_swstestupdate"),
            &["status", "/dev/hdisk10"][..],
        ),
        (env!("CARGO_BIN_EXE_swstsdv"), &["stat", "/dev/hdisk10"][..]),
        (env!("CARGO_BIN_EXE_stgcmmodnode"), &[][..]),
        (env!("CARGO_BIN_EXE_stgmgrinfoset"), &[][..]),
    ] {
        env.run(bin, args);
        assert_eq!(files_under(&env.root), before, "{bin} {args:?}");
    }
}

/// Issue 8 item 8: a 0-byte repository is an error naming the file, left untouched.
#[test]
fn empty_repository_is_an_error_not_a_fresh_start() {
    let env = TestEnv::new();
    let repo = "/etc/opt/FJSVswsrp/data/DEFAULT/replication.db";
    env.write(repo, "");
    for bin in [
        env!("CARGO_BIN_EXE_swsrpstat"),
        env!("CARGO_BIN_EXE_swsrpvolinfo"),
        env!("CARGO_BIN_EXE_swsrpsetvol"),
    ] {
        let args: &[&str] = if bin.ends_with("swsrpsetvol") {
            &["/dev/sdb", "/dev/sdc"]
        } else {
            &[]
        };
        let run = env.run(bin, args);
        assert_ne!(run.code, 0, "{bin}: {}", run.stdout);
        run.stderr_has("replication.db").stderr_has("0 bytes");
        assert_eq!(env.read(repo), "", "{bin} rewrote the repository");
    }
}

/// Issue 8 item 13: a closed stdout (`| head`) ends the command quietly with its usual
/// exit status; a full one is an error message, never a panic.
#[test]
fn closed_or_full_stdout_is_not_a_panic() {
    let env = TestEnv::new();
    let root = env.root.display().to_string();
    env.sim(&["setup", "ibmds", "--root", root.as_str()]);
    let mut child = env
        .command(env!("CARGO_BIN_EXE_arraysync"))
        .args(["-s", "iiststibmds", "print", "config"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    drop(child.stdout.take());
    let output = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let output = env
        .command(env!("CARGO_BIN_EXE_arraysync"))
        .args(["-s", "iiststibmds", "print", "config"])
        .stdout(full)
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot write to standard output"),
        "{stderr}"
    );
}

/// Issue 8 item 12: a last resync time in the future (clock stepped back) does not block
/// resyncs until the clock catches up: it is unknown, with a warning.
#[test]
fn future_last_resync_is_unknown_not_a_block() {
    let env = TestEnv::new();
    crate::suite::ibmds::IbmDsFixture.setup(&env);
    env.syncresync(&["-s", SVC]).ok();
    let state = format!("/var/lib/arraysync/state/{SVC}/sync_1.json");
    let tomorrow = (chrono::Local::now() + chrono::Duration::days(1)).to_rfc3339();
    env.write(&state, &format!("{{\"last_resync\": \"{tomorrow}\"}}"));
    env.syncresync(&["-s", SVC])
        .ok()
        .stderr_has("in the future (clock stepped back?)");
}

/// Issue 8 item 7: a service file writable by group or others is refused like auth.conf,
/// and `[app#N]` checks do not run under --dry-run.
#[test]
fn writable_service_file_is_refused_and_dry_run_runs_no_app_check() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    crate::suite::ibmds::IbmDsFixture.setup(&env);
    env.write("/tmp/.keep", "");
    let marker = env.path("/tmp/app-check-ran");
    let mut text = env.service_conf(SVC);
    text.push_str(&format!(
        "\n[app#1]\ncheck = /usr/bin/touch {}\n",
        marker.display()
    ));
    env.write_service(SVC, &text);
    let conf = env.path(&format!("/etc/arraysync/{SVC}.conf"));
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o664)).expect("chmod");
    env.arraysync(&["-s", SVC, "validate", "config"])
        .code(2)
        .stderr_has(&format!("{SVC}.conf"))
        .stderr_has("writable by group or others");
    std::fs::set_permissions(&conf, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    env.syncresync(&["-s", SVC, "--dry-run"])
        .ok()
        .stderr_has("dry run: app#1 check not run");
    assert!(!marker.exists(), "the app check ran under --dry-run");
}

/// Issue 8 item 14: exit 0 without the vendor's own confirmation is a failure.
#[test]
fn exit_zero_without_confirmation_fails_necism() {
    let env = TestEnv::new();
    crate::suite::necism::NecIsmFixture.setup(&env);
    env.fault("iSMsc_unlink", &["--exit", "0", "--message", "garbled"]);
    env.syncresync(&["-s", SVC])
        .code(1)
        .stderr_has("without its confirmation");
}

/// Issue 8 item 14, symclone: the success line is required.
#[test]
fn exit_zero_without_confirmation_fails_symclone() {
    let env = TestEnv::new();
    crate::suite::symclone::SYMCLONE_GROUP.setup(&env);
    env.fault(
        "symclone",
        &[
            "--command",
            "recreate",
            "--exit",
            "0",
            "--message",
            "garbled",
        ],
    );
    env.syncresync(&["-s", SVC])
        .code(1)
        .stderr_has("without its success line");
}

/// Issue 8 item 4 (ibmds): an unwritable state place fails the resync before the array is
/// touched, not after `resyncflash`.
#[test]
fn unwritable_state_fails_before_the_array_changes() {
    let env = TestEnv::new();
    crate::suite::ibmds::IbmDsFixture.setup(&env);
    // Readable but no file can be created in it (as a full disk would): immutable.
    let dir = env.path(&format!("/var/lib/arraysync/state/{SVC}"));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let immutable = |flag: &str| {
        Command::new("chattr")
            .args([flag, dir.to_str().expect("utf-8")])
            .status()
            .is_ok_and(|s| s.success())
    };
    if !immutable("+i") {
        eprintln!("chattr +i not available here: scenario not run");
        return;
    }
    env.clear_calls();
    let run = env.syncresync(&["-s", SVC]);
    immutable("-i");
    run.code(1);
    let commands = env.commands(Some("dscli"));
    assert!(
        !commands.iter().any(|c| c.starts_with("resyncflash")),
        "the array was changed first: {commands:?}"
    );
}

/// Issue 8 item 6: a symlink planted in the var tree (log, lock) is refused, and the file
/// it points to is untouched.
#[test]
fn planted_symlinks_in_the_var_tree_are_not_followed() {
    for planted in ["log", "lock"] {
        let env = TestEnv::new();
        crate::suite::ibmds::IbmDsFixture.setup(&env);
        env.write("/etc/precious", "precious\n");
        let link = env.path(&format!("/var/lib/arraysync/{planted}/{SVC}.{planted}"));
        std::fs::create_dir_all(link.parent().expect("dir")).expect("mkdir");
        std::os::unix::fs::symlink(env.path("/etc/precious"), &link).expect("symlink");
        let run = env.syncresync(&["-s", SVC]);
        assert_ne!(run.code, 0, "{planted}: {}", run.stderr);
        run.stderr_has("symbolic link");
        assert_eq!(env.read("/etc/precious"), "precious\n", "{planted}");
    }
}

/// Issue 8 item 2 for the ACM command-exclusion locks: a SIGKILLed `swsrpmake` whose CLI
/// session still runs keeps the pair's lock (the session inherited it), so another
/// `swsrpmake` of that pair does not overlap it, and says why.
#[test]
fn sigkill_of_an_acm_command_keeps_its_exclusion_locks_until_its_cli_ends() {
    let env = TestEnv::new();
    super::eternus::EternusFixture.setup(&env);
    env.hang("eternus-cli", "start");
    let mut tool = env
        .command(env!("CARGO_BIN_EXE_swsrpmake"))
        .args(["-T", "/dev/hdisk10", "/dev/hdisk20"])
        .env("ARRAYSIM_HANG_OUTLIVES_PARENT", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    wait_until("the hung start never ran", Duration::from_secs(30), || {
        !env.sim(&["fault", "list"]).stdout.contains("fired=0")
    });
    let pid = tool.id();
    signal(pid, "KILL");
    let _ = tool.wait();
    let orphans = sandbox_processes(&env, &[]);
    env.sim(&["fault", "clear"]);
    let rerun = env
        .command(env!("CARGO_BIN_EXE_swsrpmake"))
        .args(["-T", "/dev/hdisk10", "/dev/hdisk20"])
        .env("ARRAYSYNC_ACM_WAITLOCK", "1")
        .output()
        .expect("rerun");
    for orphan in &orphans {
        signal(*orphan, "KILL");
    }
    assert!(!orphans.is_empty(), "the hung CLI session is gone");
    let stderr = String::from_utf8_lossy(&rerun.stderr);
    assert!(
        !rerun.status.success(),
        "the rerun overlapped the running CLI: {stderr}"
    );
    assert!(
        stderr.contains(&format!("pid {pid}, no longer running")),
        "{stderr}"
    );
    let holder = env
        .path("/var/opt/FJSVswsrp/lock/holders")
        .join(pid.to_string());
    assert!(
        holder.exists(),
        "the killed command's holder file is gone too early"
    );
    // Once the orphan is gone, the next run proceeds.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sandbox_processes(&env, &[]).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    env.run(
        env!("CARGO_BIN_EXE_swsrpmake"),
        &["-T", "/dev/hdisk10", "/dev/hdisk20"],
    )
    .ok();
    // That run held every lock alone, so it removed the killed command's holder file.
    assert!(!holder.exists(), "{} outlived its locks", holder.display());
}
