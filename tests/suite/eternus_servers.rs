//! ETERNUS replication across Managed Servers (issue 14, servers half): one box, two
//! servers. This root is Managed Server SRC-SV; TARG-SV is an emulated server with its own
//! root (devices file, scripts, repository), reached through its command prefix
//! (`arraysim server exec TARG-SV --`) in place of ssh, running the remote agent
//! `swsrp-remote`. Each server's scripts append `SERVER SCRIPT ARGS` to that server's own
//! log, which proves where a script ran; the emulator's call log counts the sessions.

use super::dx::{self, array_actions, server_root, sessions, DEVICES};
use super::env::TestEnv;
use super::eternus::{acm, ok, prints, world};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

const SERVERS_CONF: &str = "/etc/opt/FJSVswsrp/data/DEFAULT/servers.conf";

/// The root of the emulated TARG-SV.
fn targ_root(env: &TestEnv) -> PathBuf {
    server_root(env, "TARG-SV")
}

/// Scripts that log `SERVER SCRIPT ARGS` into `<root>/scripts.log` and exit `code`.
fn logging_scripts(root: &Path, server: &str, code: i32) {
    let dir = root.join("etc/opt/FJSVswsrp/sh");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for name in ["RepSrc.pre", "RepSrc.post", "RepDst.pre", "RepDst.post"] {
        let file = dir.join(name);
        std::fs::write(
            &file,
            format!(
                "#!/bin/sh\necho \"{server} {name} $*\" >> '{}'\nexit {code}\n",
                root.join("scripts.log").display()
            ),
        )
        .expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

fn script_log(root: &Path) -> String {
    std::fs::read_to_string(root.join("scripts.log")).unwrap_or_default()
}

fn clear_script_logs(env: &TestEnv) {
    let _ = std::fs::remove_file(env.root.join("scripts.log"));
    let _ = std::fs::remove_file(targ_root(env).join("scripts.log"));
}

/// Since the logs were forgotten: SRC-SV's scripts logged `here`, TARG-SV's `there`, and
/// one session was opened to TARG-SV.
#[track_caller]
fn scripts_ran(env: &TestEnv, here: &str, there: &str) {
    assert_eq!(script_log(&env.root), here);
    assert_eq!(script_log(&targ_root(env)), there);
    assert_eq!(sessions(env), ["TARG-SV"]);
}

/// Forgets both servers' script logs and the emulator's call log.
fn forget_logs(env: &TestEnv) {
    clear_script_logs(env);
    env.clear_calls();
}

/// SRC-SV's `local` volumes (DX1 0..) and TARG-SV's `remote` volumes (the next numbers,
/// in TARG-SV's own devices file only), each `(device, MB)`; logging scripts on both.
fn two_servers(env: &TestEnv, local: &[(&str, u64)], remote: &[(&str, u64)]) {
    named_servers(env, "SRC-SV", "TARG-SV", local, remote);
}

/// [`two_servers`] with other names: this server `here`, the emulated one `there`.
fn named_servers(
    env: &TestEnv,
    here: &str,
    there: &str,
    local: &[(&str, u64)],
    remote: &[(&str, u64)],
) {
    let mine: Vec<(&str, Option<&str>, u64)> =
        local.iter().map(|(d, mb)| (*d, None, *mb)).collect();
    world(env, here, &mine);
    dx::add_server(env, there);
    let targ = server_root(env, there);
    let mut devices = format!("# {there}'s own devices\n");
    for (i, (device, mb)) in remote.iter().enumerate() {
        let number = local.len() + i;
        dx::add_volume(env, "DX1", number, *mb, &[]);
        devices.push_str(&format!("{device} DX1 {number}\n"));
    }
    std::fs::write(targ.join(DEVICES.trim_start_matches('/')), devices).expect("write");
    logging_scripts(&env.root, here, 0);
    logging_scripts(&targ, there, 0);
}

/// One pair /dev/vg01@SRC-SV → /dev/vg01@TARG-SV, registered.
fn one_pair(env: &TestEnv) {
    two_servers(env, &[("/dev/vg01", 64)], &[("/dev/vg01", 64)]);
    ok(env, "swsrpsetvol /dev/vg01 /dev/vg01@TARG-SV");
    forget_logs(env);
}

// ----- transcripts: seed 004 chapter 8.3 with two servers -------------------------------

/// 8.3.1.1: the pair registered from SRC-SV goes into both servers' lists (TARG-SV's own
/// through its session); deleted, it leaves both; the same settings made on TARG-SV (sent
/// there with -h: the command runs on TARG-SV, in its own repository).
#[test]
fn swsrpsetvol_examples_on_both_servers() {
    let env = TestEnv::new();
    two_servers(&env, &[("/dev/vg01", 4096)], &[("/dev/vg02", 4096)]);
    env.clear_calls();
    prints(
        &env,
        "swsrpsetvol -u -o ORG /dev/vg01 /dev/vg02@TARG-SV",
        "swsrpsetvol completed\n",
    );
    // The replica was found in TARG-SV's devices file (this server's does not map it),
    // over one session.
    assert_eq!(sessions(&env), ["TARG-SV"]);
    assert!(!env.read("/etc/opt/FJSVswstf/devices.conf").contains("vg02"));
    let row = "/dev/vg01@SRC-SV 4.0 Gbyte /dev/vg02@TARG-SV 4.0 Gbyte uni-direction original\n";
    let header = "Server Original-Volume Size Replica-Volume Size Copy Op-Server\n";
    assert_eq!(ok(&env, "swsrpvolinfo"), format!("{header}SRC-SV {row}"));
    assert_eq!(
        ok(&env, "swsrpvolinfo -h TARG-SV"),
        format!("{header}TARG-SV {row}")
    );
    // Registered again from here, or on TARG-SV: refused, nothing changes.
    acm(&env, "swsrpsetvol -u -o ORG /dev/vg01 /dev/vg02@TARG-SV")
        .code(1)
        .stderr_has("swsrp0632");
    // -o ORG: TARG-SV is not the operation server.
    acm(&env, "swsrpmake -h TARG-SV /dev/vg01@SRC-SV /dev/vg02")
        .code(1)
        .stderr_has("not the operation server");
    env.clear_calls();
    ok(&env, "swsrpdelvol /dev/vg01 /dev/vg02@TARG-SV");
    assert_eq!(sessions(&env), ["TARG-SV"]);
    assert_eq!(ok(&env, "swsrpvolinfo -h TARG-SV"), header);
    assert_eq!(ok(&env, "swsrpvolinfo"), header);
    // TARG-SV knows SRC-SV's volume from its devices file's server column (SRC-SV is not
    // in its server table: the single-server behaviour).
    let targ = targ_root(&env);
    let mut devices =
        std::fs::read_to_string(targ.join("etc/opt/FJSVswstf/devices.conf")).expect("read");
    devices.push_str("/dev/vg01 DX1 0 SRC-SV\n");
    std::fs::write(targ.join("etc/opt/FJSVswstf/devices.conf"), devices).expect("write");
    env.clear_calls();
    prints(
        &env,
        "swsrpsetvol -h TARG-SV -u -o ORG /dev/vg01@SRC-SV /dev/vg02",
        "swsrpsetvol completed\n",
    );
    assert_eq!(sessions(&env), ["TARG-SV"]);
    assert_eq!(
        ok(&env, "swsrpvolinfo -h TARG-SV"),
        format!("{header}TARG-SV {row}")
    );
    assert_eq!(ok(&env, "swsrpvolinfo"), header);
}

/// swsrpdelvol -d leaves the partner's list alone; a partner that then refuses the
/// registration (it still has the pair) leaves this server's list unchanged.
#[test]
fn registration_is_all_or_nothing_across_servers() {
    let env = TestEnv::new();
    two_servers(&env, &[("/dev/vg01", 64)], &[("/dev/vg01", 64)]);
    let header = "Server Original-Volume Size Replica-Volume Size Copy Op-Server\n";
    ok(&env, "swsrpsetvol /dev/vg01 /dev/vg01@TARG-SV");
    env.clear_calls();
    ok(&env, "swsrpdelvol -d /dev/vg01 /dev/vg01@TARG-SV");
    assert!(
        sessions(&env).is_empty(),
        "-d: no communication with the partner"
    );
    assert_eq!(ok(&env, "swsrpvolinfo"), header);
    assert!(ok(&env, "swsrpvolinfo -h TARG-SV").contains("/dev/vg01@TARG-SV"));
    acm(&env, "swsrpsetvol /dev/vg01 /dev/vg01@TARG-SV")
        .code(1)
        .stderr_has("Managed Server TARG-SV")
        .stderr_has("already registered");
    assert_eq!(ok(&env, "swsrpvolinfo"), header);
}

/// 8.3.1.2 and 8.3.1.3: the volinfo example with every Op-Server, then the delvol example.
#[test]
fn swsrpvolinfo_and_swsrpdelvol_examples() {
    let env = TestEnv::new();
    two_servers(
        &env,
        &[
            ("/dev/vg01", 4096),
            ("/dev/vg02", 4096),
            ("/dev/vg03", 9318),
            ("/dev/vg04", 7680),
        ],
        &[
            ("/dev/vg01", 4096),
            ("/dev/vg02", 5120),
            ("/dev/vg03", 9318),
            ("/dev/vg04", 7680),
        ],
    );
    ok(&env, "swsrpsetvol -u -o ORG /dev/vg01 /dev/vg01@TARG-SV");
    ok(&env, "swsrpsetvol -n -o ORG /dev/vg02 /dev/vg02@TARG-SV");
    ok(&env, "swsrpsetvol -o REP /dev/vg03 /dev/vg03@TARG-SV");
    ok(&env, "swsrpsetvol -o BOTH /dev/vg04 /dev/vg04@TARG-SV");
    assert_eq!(
        ok(&env, "swsrpvolinfo -h SRC-SV"),
        "Server Original-Volume Size Replica-Volume Size Copy Op-Server\n\
         SRC-SV /dev/vg01@SRC-SV 4.0 Gbyte /dev/vg01@TARG-SV 4.0 Gbyte uni-direction original\n\
         SRC-SV /dev/vg02@SRC-SV 4.0 Gbyte /dev/vg02@TARG-SV 5.0 Gbyte bi-direction original\n\
         SRC-SV /dev/vg03@SRC-SV 9.1 Gbyte /dev/vg03@TARG-SV 9.1 Gbyte bi-direction replica\n\
         SRC-SV /dev/vg04@SRC-SV 7.5 Gbyte /dev/vg04@TARG-SV 7.5 Gbyte bi-direction both\n"
    );
    env.clear_calls();
    prints(
        &env,
        "swsrpdelvol /dev/vg01 /dev/vg01@TARG-SV",
        "swsrpdelvol completed\n",
    );
    assert_eq!(sessions(&env), ["TARG-SV"], "the partner is checked");
    assert!(!ok(&env, "swsrpvolinfo").contains("/dev/vg01@"));
    // -o REP: this server is not the operation server of vg03.
    acm(&env, "swsrpdelvol /dev/vg03 /dev/vg03@TARG-SV")
        .code(1)
        .stderr_has("not the operation server");
}

/// 8.3.2.1, 8.3.2.2, 8.3.2.4 with the scripts of Appendix C on the server that owns each
/// volume: startsync runs RepDst.pre on TARG-SV; the suspend runs RepSrc.pre/post here and
/// RepDst.post on TARG-SV; one session to TARG-SV per command.
#[test]
fn startsync_make_cancel_examples_run_each_script_on_its_server() {
    let env = TestEnv::new();
    one_pair(&env);
    prints(
        &env,
        "swsrpstartsync -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV",
        "FROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpstartsync completed\n",
    );
    scripts_ran(&env, "", "TARG-SV RepDst.pre /dev/vg01 0\n");
    env.sim(&["clock", "advance", "1m"]);
    forget_logs(&env);
    prints(
        &env,
        "swsrpmake -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV",
        "FROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpmake completed\n",
    );
    scripts_ran(
        &env,
        "SRC-SV RepSrc.pre /dev/vg01 0\nSRC-SV RepSrc.post /dev/vg01\n",
        "TARG-SV RepDst.post /dev/vg01\n",
    );
    assert!(ok(&env, "swsrpstat").contains("regular replicated ----"));
    // Resume, equivalent again, then the cancel example: from equivalent the source
    // scripts run here and the destination post-processing there.
    ok(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV");
    env.sim(&["clock", "advance", "1m"]);
    forget_logs(&env);
    prints(
        &env,
        "swsrpcancel -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV",
        "FROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpcancel completed\n",
    );
    scripts_ran(
        &env,
        "SRC-SV RepSrc.pre /dev/vg01 0\nSRC-SV RepSrc.post /dev/vg01\n",
        "TARG-SV RepDst.post /dev/vg01\n",
    );
    // -Xda (8.3.2.1's second example).
    ok(
        &env,
        "swsrpstartsync -h SRC-SV -Xda /dev/vg01 /dev/vg01@TARG-SV",
    );
    assert!(ok(&env, "swsrpstat -Xda /dev/vg01").contains(" on\n"));
}

/// A snapshot (OPC) runs all four scripts, each on its own server (Table C.1).
#[test]
fn a_snapshot_runs_the_destination_scripts_on_the_destination_server() {
    let env = TestEnv::new();
    one_pair(&env);
    ok(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV");
    scripts_ran(
        &env,
        "SRC-SV RepSrc.pre /dev/vg01 0\nSRC-SV RepSrc.post /dev/vg01\n",
        "TARG-SV RepDst.pre /dev/vg01 0\nTARG-SV RepDst.post /dev/vg01\n",
    );
    // -t: no destination scripts; -f: no source scripts; -m: nothing on TARG-SV, not even
    // a session.
    for (flags, here, there, opened) in [
        ("-t", true, false, 1),
        ("-f", false, true, 1),
        ("-m", true, false, 0),
    ] {
        forget_logs(&env);
        ok(
            &env,
            &format!("swsrpmake {flags} /dev/vg01 /dev/vg01@TARG-SV"),
        );
        assert_eq!(!script_log(&env.root).is_empty(), here, "{flags}");
        assert_eq!(!script_log(&targ_root(&env)).is_empty(), there, "{flags}");
        assert_eq!(sessions(&env).len(), opened, "{flags}");
    }
}

/// 8.3.2.3: the swsrpstat example, rows of pairs whose replicas are on TARG-SV.
#[test]
fn swsrpstat_example_with_a_remote_replica_server() {
    let env = TestEnv::new();
    two_servers(
        &env,
        &[("/dev/vg01", 64), ("/dev/vg02", 64), ("/dev/vg03", 64)],
        &[("/dev/vg01", 64), ("/dev/vg02", 64), ("/dev/vg03", 64)],
    );
    for n in 1..=3 {
        ok(
            &env,
            &format!("swsrpsetvol /dev/vg0{n} /dev/vg0{n}@TARG-SV"),
        );
    }
    ok(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV");
    env.sim(&["clock", "advance", "1m"]);
    ok(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV");
    ok(&env, "swsrpmake -T /dev/vg02 /dev/vg02@TARG-SV");
    ok(&env, "swsrpmake /dev/vg03 /dev/vg03@TARG-SV");
    env.sim(&["clock", "advance", "1m"]);
    env.sim(&["rate", "DX1", "1"]);
    // A restore: replica (TARG-SV) to original, the scripts swapped accordingly.
    clear_script_logs(&env);
    ok(&env, "swsrpmake /dev/vg03@TARG-SV /dev/vg03");
    assert_eq!(
        script_log(&targ_root(&env)),
        "TARG-SV RepSrc.pre /dev/vg03 0\nTARG-SV RepSrc.post /dev/vg03\n"
    );
    env.sim(&["clock", "advance", "461s"]);
    env.clear_calls();
    assert_eq!(
        ok(&env, "swsrpstat -h SRC-SV"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ----\n\
         SRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV regular ---- ----\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse snap 45%\n"
    );
    // A display asks nothing of the other server.
    assert!(sessions(&env).is_empty());
}

/// 8.3.2.6 (swsrprevsync) with the replica on TARG-SV.
#[test]
fn swsrprevsync_example_across_servers() {
    let env = TestEnv::new();
    two_servers(&env, &[("/dev/vg03", 4)], &[("/dev/vg03", 4)]);
    ok(&env, "swsrpsetvol /dev/vg03 /dev/vg03@TARG-SV");
    ok(&env, "swsrpstartsync /dev/vg03 /dev/vg03@TARG-SV");
    env.sim(&["clock", "advance", "10s"]);
    ok(&env, "swsrpmake /dev/vg03 /dev/vg03@TARG-SV");
    ok(&env, "swsrprevsync /dev/vg03 /dev/vg03@TARG-SV");
    assert_eq!(
        ok(&env, "swsrpstat -h SRC-SV /dev/vg03@SRC-SV"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse replicated ----\n"
    );
    env.clear_calls();
    prints(
        &env,
        "swsrprevsync /dev/vg03@TARG-SV /dev/vg03@SRC-SV",
        "FROM=/dev/vg03@SRC-SV,TO=/dev/vg03@TARG-SV swsrprevsync completed\n",
    );
    assert_eq!(sessions(&env), ["TARG-SV"]);
    assert_eq!(
        ok(&env, "swsrpstat /dev/vg03@SRC-SV"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV regular replicated ----\n"
    );
}

// ----- groups: one session per server whatever the number of pairs ----------------------

/// 6.4.7.2: a group registered across servers SRC and TARG-1, shown with swsrpvolinfo -L
/// on both servers, and operated as a group (no script anywhere, one session per command).
#[test]
fn group_example_of_chapter_6_across_servers() {
    let env = TestEnv::new();
    named_servers(
        &env,
        "SRC",
        "TARG-1",
        &[("/dev/hdisk10", 4096), ("/dev/hdisk11", 4096)],
        &[("/dev/hdisk20", 4096), ("/dev/hdisk21", 4096)],
    );
    for line in [
        "swsrpsetvol -Xgroup GRP1 /dev/hdisk10@SRC /dev/hdisk20@TARG-1",
        "swsrpsetvol -Xgroup GRP1 /dev/hdisk11@SRC /dev/hdisk21@TARG-1",
    ] {
        assert_eq!(ok(&env, line), "swsrpsetvol completed\n");
    }
    let rows = "/dev/hdisk10@SRC 4.0 Gbyte /dev/hdisk20@TARG-1 4.0 Gbyte bi-direction both GRP1\n";
    let rows2 = "/dev/hdisk11@SRC 4.0 Gbyte /dev/hdisk21@TARG-1 4.0 Gbyte bi-direction both GRP1\n";
    let header = "Server Original-Volume Size Replica-Volume Size Copy Op-Server Group\n";
    assert_eq!(
        ok(&env, "swsrpvolinfo -L"),
        format!("{header}SRC {rows}SRC {rows2}")
    );
    assert_eq!(
        ok(&env, "swsrpvolinfo -h TARG-1 -L"),
        format!("{header}TARG-1 {rows}TARG-1 {rows2}")
    );
    env.clear_calls();
    ok(&env, "swsrpmake -Xgroup GRP1");
    assert_eq!(sessions(&env), ["TARG-1"]);
    assert_eq!(script_log(&server_root(&env, "TARG-1")), "");
    assert_eq!(script_log(&env.root), "");
}

#[test]
fn a_group_across_servers_opens_one_session_per_command() {
    let env = TestEnv::new();
    let local: Vec<(String, u64)> = (0..8).map(|n| (format!("/dev/hdisk1{n}"), 4)).collect();
    let remote: Vec<(String, u64)> = (0..8).map(|n| (format!("/dev/hdisk2{n}"), 4)).collect();
    let l: Vec<(&str, u64)> = local.iter().map(|(d, s)| (d.as_str(), *s)).collect();
    let r: Vec<(&str, u64)> = remote.iter().map(|(d, s)| (d.as_str(), *s)).collect();
    two_servers(&env, &l, &r);
    for n in 0..8 {
        ok(
            &env,
            &format!("swsrpsetvol -Xgroup GRP1 /dev/hdisk1{n} /dev/hdisk2{n}@TARG-SV"),
        );
    }
    for line in [
        "swsrpstartsync -Xgroup GRP1",
        "swsrpmake -Xgroup GRP1",
        "swsrpcancel -Xgroup GRP1",
    ] {
        env.clear_calls();
        let run = acm(&env, line);
        assert_eq!(run.code, 0, "{line}: {}", run.stderr);
        assert_eq!(sessions(&env), ["TARG-SV"], "{line}");
        env.sim(&["clock", "advance", "1m"]);
    }
    // -Xgroup runs no script anywhere.
    assert_eq!(script_log(&targ_root(&env)), "");
}

// ----- the far server down, slow, or answering garbage -----------------------------------

fn far_fault(env: &TestEnv, fault: &str) {
    env.sim(&["server", "fault", "TARG-SV", fault]);
    if fault == "slow" {
        let conf = env.read(SERVERS_CONF);
        env.write(SERVERS_CONF, &format!("{conf}timeout = 2\n"));
        std::fs::set_permissions(
            env.path(SERVERS_CONF),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
    }
}

#[test]
fn a_far_server_down_slow_or_garbled_stops_the_command_before_the_array_changes() {
    for (fault, says) in [
        ("down", "Connection refused"),
        ("garbage", "not the remote agent's protocol"),
        ("slow", "no answer within 2s"),
    ] {
        let env = TestEnv::new();
        one_pair(&env);
        ok(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV");
        env.sim(&["clock", "advance", "1m"]);
        clear_script_logs(&env);
        far_fault(&env, fault);
        env.clear_calls();
        let started = std::time::Instant::now();
        let run = acm(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV");
        run.code(1)
            .stderr_has("swsrp0603 Cannot communicate with Managed Server TARG-SV")
            .stderr_has(says);
        assert!(started.elapsed().as_secs() < 30, "{fault}: killed in time");
        assert!(
            array_actions(&env).is_empty(),
            "{fault}: {:?}",
            array_actions(&env)
        );
        assert_eq!(script_log(&env.root), "", "{fault}: nothing ran here");
        assert!(
            ok(&env, "swsrpstat").contains("regular equivalent 100%"),
            "{fault}"
        );
        // Nothing is owed either: swsrprecoverres has nothing to do.
        assert!(!env
            .path("/etc/opt/FJSVswsrp/data/DEFAULT/pending")
            .read_dir()
            .is_ok_and(|mut d| d.next().is_some()));
        // startsync and cancel refuse the same way; -m goes ahead without TARG-SV.
        acm(&env, "swsrpcancel /dev/vg01 /dev/vg01@TARG-SV")
            .code(1)
            .stderr_has("TARG-SV");
        assert!(array_actions(&env).is_empty(), "{fault}");
        ok(&env, "swsrpmake -m /dev/vg01 /dev/vg01@TARG-SV");
        assert!(ok(&env, "swsrpstat").contains("regular replicated ----"));
        acm(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV")
            .code(1)
            .stderr_has("TARG-SV");
        // -h to the faulty server: the same message.
        acm(&env, "swsrpstat -h TARG-SV")
            .code(1)
            .stderr_has("Managed Server TARG-SV");
        // Back up: the command works again.
        env.sim(&["server", "fault", "TARG-SV", "ok"]);
        ok(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV");
    }
}

/// A destination pre-processing failure on TARG-SV is the manual's swsrp2613 with the
/// script's code, and the copy is not made.
#[test]
fn a_failing_script_on_the_far_server_carries_its_code() {
    let env = TestEnv::new();
    one_pair(&env);
    logging_scripts(&targ_root(&env), "TARG-SV", 99);
    acm(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV")
        .code(1)
        .stderr_has("swsrp2613")
        .stderr_has("Error Code = 99");
    assert!(array_actions(&env).is_empty(), "{:?}", array_actions(&env));
}

/// The box information of TARG-SV's device changed since registration: refused before
/// the array changes (the device lookup runs on the server that owns the volume).
#[test]
fn a_changed_far_device_is_refused() {
    let env = TestEnv::new();
    one_pair(&env);
    std::fs::write(
        targ_root(&env).join("etc/opt/FJSVswstf/devices.conf"),
        "/dev/vg01 DX1 0\n",
    )
    .expect("write");
    acm(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV")
        .code(1)
        .stderr_has("now maps it to volume 0");
    std::fs::write(targ_root(&env).join("etc/opt/FJSVswstf/devices.conf"), "").expect("write");
    acm(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV")
        .code(1)
        .stderr_has("not found on Managed Server TARG-SV");
    assert!(array_actions(&env).is_empty(), "{:?}", array_actions(&env));
}

/// -h naming a server that is not declared, and a table that breaks the key rule.
#[test]
fn undeclared_servers_and_loose_tables_are_refused() {
    let env = TestEnv::new();
    one_pair(&env);
    acm(&env, "swsrpstat -h OTHER-SV")
        .code(1)
        .stderr_has("swsrp0602")
        .stderr_has("servers.conf");
    std::fs::set_permissions(
        env.path(SERVERS_CONF),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    acm(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV")
        .code(2)
        .stderr_has("servers.conf")
        .stderr_has("mode 0644");
    assert!(array_actions(&env).is_empty());
}

// ----- the eternus resource type with Volume@SERVER names ---------------------------------

/// An OpenSVC-style service resyncs a copy whose replica is on TARG-SV: the partner is
/// checked over one session per action, and a far server that is down fails the resync
/// before the array changes.
#[test]
fn the_resource_resyncs_a_pair_whose_replica_is_on_another_server() {
    let env = TestEnv::new();
    one_pair(&env);
    env.write_service(
        "drsvc",
        "[sync#1]\ntype = eternus\narray = DX1\npairs = /dev/vg01:/dev/vg01@TARG-SV\nmode = ec\n",
    );
    env.syncresync(&["-s", "drsvc"]).ok();
    assert!(ok(&env, "swsrpstat").contains("regular replicated ----"));
    assert_eq!(sessions(&env), ["TARG-SV"]);
    // The service owns its mounts: no script ran on either server.
    assert_eq!(script_log(&env.root), "");
    assert_eq!(script_log(&targ_root(&env)), "");
    let status = env.arraysync(&["-s", "drsvc", "print", "status", "--format", "json"]);
    status.ok();
    assert_eq!(status.json()[0]["status"], "up", "{}", status.stdout);
    env.sim(&["server", "fault", "TARG-SV", "down"]);
    env.clear_calls();
    let run = env.syncresync(&["-s", "drsvc", "--force"]);
    run.code(1).stderr_has("Managed Server TARG-SV");
    assert!(array_actions(&env).is_empty(), "{:?}", array_actions(&env));
}

// ----- the server table on display ------------------------------------------------------

#[test]
fn stgxfwcmdispsrv_shows_the_servers_and_checks_them() {
    let env = TestEnv::new();
    one_pair(&env);
    let bin = env!("CARGO_BIN_EXE_stgxfwcmdispsrv");
    let prefix = format!(
        "{}/opt/arraysim/arraysim server exec TARG-SV --",
        env.root.display()
    );
    let run = env.run(bin, &[]);
    run.ok();
    assert_eq!(
        run.stdout,
        format!(
            "Server Access Address Agent\n\
             SRC-SV local ---- ----\n\
             TARG-SV command {prefix} /opt/FJSVswsrp/bin/swsrp-remote\n"
        )
    );
    assert!(sessions(&env).is_empty(), "a plain display opens nothing");
    let run = env.run(bin, &["-Xcheck"]);
    run.ok();
    assert!(run.stdout.ends_with("swsrp-remote ok\n"), "{}", run.stdout);
    assert_eq!(sessions(&env), ["TARG-SV"]);
    env.sim(&["server", "fault", "TARG-SV", "down"]);
    let run = env.run(bin, &["-Xcheck"]);
    run.code(1)
        .stdout_has("swsrp-remote unreachable\n")
        .stderr_has("swstf0603 1 of 1 Managed Servers cannot be reached: Managed Server TARG-SV");
}

// ----- swsrprecoverres: the post-processing owed on the other server ----------------------

/// A swsrpmake killed while the array hangs on its start leaves the post-processing of
/// both servers owed; swsrprecoverres runs each on the server that owns the volume.
#[test]
fn swsrprecoverres_runs_the_owed_post_processing_on_each_server() {
    let env = TestEnv::new();
    one_pair(&env);
    env.hang("eternus-cli", "start");
    let mut make = env.spawn_quiet(
        env!("CARGO_BIN_EXE_swsrpmake"),
        &["/dev/vg01", "/dev/vg01@TARG-SV"],
    );
    env.wait_for_command(
        "eternus-cli",
        "start",
        15,
        "swsrpmake never reached the array",
    );
    let _ = make.kill();
    let _ = make.wait();
    env.sim(&["fault", "clear"]);
    assert_eq!(script_log(&env.root), "SRC-SV RepSrc.pre /dev/vg01 0\n");
    assert_eq!(
        script_log(&targ_root(&env)),
        "TARG-SV RepDst.pre /dev/vg01 0\n"
    );
    forget_logs(&env);
    assert_eq!(ok(&env, "swsrprecoverres"), "swsrprecoverres completed\n");
    scripts_ran(
        &env,
        "SRC-SV RepSrc.post /dev/vg01\n",
        "TARG-SV RepDst.post /dev/vg01\n",
    );
    // Done once.
    clear_script_logs(&env);
    ok(&env, "swsrprecoverres");
    assert_eq!(script_log(&targ_root(&env)), "");
}

// ----- the ssh path ------------------------------------------------------------------------

/// A server declared with address/user/identity is reached with `ssh -T -o BatchMode=yes
/// ... -i KEY -l USER ADDRESS AGENT` (here an `ssh` under the root that records its argv,
/// then hands the agent to the emulated server); a key readable by others is refused.
#[test]
fn a_server_declared_for_ssh_is_reached_in_batch_mode_with_its_key() {
    let env = TestEnv::new();
    one_pair(&env);
    let argv_file = env.path("/ssh-argv");
    env.write(
        "/usr/bin/ssh",
        &format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nfor last; do :; done\nexec '{}/opt/arraysim/arraysim' server exec TARG-SV -- \"$last\"\n",
            argv_file.display(),
            env.root.display()
        ),
    );
    std::fs::set_permissions(
        env.path("/usr/bin/ssh"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    let key = "/etc/opt/FJSVswsrp/data/DEFAULT/targ-sv.key";
    env.write(key, "not really a key\n");
    std::fs::set_permissions(env.path(key), std::fs::Permissions::from_mode(0o600)).expect("chmod");
    env.write(
        SERVERS_CONF,
        &format!("[TARG-SV]\naddress = 10.1.1.20\nuser = root\nidentity = {key}\n"),
    );
    std::fs::set_permissions(
        env.path(SERVERS_CONF),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    ok(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV");
    assert_eq!(
        script_log(&targ_root(&env)),
        "TARG-SV RepDst.pre /dev/vg01 0\nTARG-SV RepDst.post /dev/vg01\n"
    );
    let argv = std::fs::read_to_string(&argv_file).expect("ssh ran");
    assert_eq!(
        argv,
        format!(
            "-T -o BatchMode=yes -o ConnectTimeout=10 -i {} -l root 10.1.1.20 /opt/FJSVswsrp/bin/swsrp-remote\n",
            env.path(key).display()
        ),
        "one ssh session"
    );
    std::fs::set_permissions(env.path(key), std::fs::Permissions::from_mode(0o640)).expect("chmod");
    acm(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV")
        .code(2)
        .stderr_has("servers.conf:4:")
        .stderr_has("mode 0640");
}

/// The far end must be the server asked for: an agent that names itself otherwise (a
/// wrong address in the table) is refused before the array changes.
#[test]
fn a_far_agent_that_names_another_server_is_refused() {
    let env = TestEnv::new();
    one_pair(&env);
    std::fs::write(
        targ_root(&env).join("etc/opt/swstorage/swnode.ini"),
        "[node]\nname = OTHER-SV\n",
    )
    .expect("write");
    acm(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV")
        .code(1)
        .stderr_has("Managed Server TARG-SV: the agent there calls itself 'OTHER-SV'");
    assert!(array_actions(&env).is_empty(), "{:?}", array_actions(&env));
}

/// TARG-SV drops the session during the destination post-processing (its agent is killed):
/// the replica is made, the command fails naming TARG-SV, and the post-processing stays
/// owed until swsrprecoverres runs it there.
#[test]
fn a_post_processing_the_far_server_could_not_run_is_left_for_swsrprecoverres() {
    let env = TestEnv::new();
    one_pair(&env);
    let post = targ_root(&env).join("etc/opt/FJSVswsrp/sh/RepDst.post");
    let good = std::fs::read_to_string(&post).expect("read");
    // The script's parent is the agent: killing it ends the session mid-request.
    std::fs::write(&post, "#!/bin/sh\nkill -9 $PPID\nsleep 5\n").expect("write");
    acm(&env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV")
        .code(1)
        .stderr_has("swsrp0603 Cannot communicate with Managed Server TARG-SV")
        .stderr_has("left for swsrprecoverres");
    assert!(
        array_actions(&env).iter().any(|c| c.starts_with("start")),
        "the copy was made: {:?}",
        array_actions(&env)
    );
    assert_eq!(
        script_log(&env.root),
        "SRC-SV RepSrc.pre /dev/vg01 0\nSRC-SV RepSrc.post /dev/vg01\n"
    );
    std::fs::write(&post, good).expect("write");
    clear_script_logs(&env);
    assert_eq!(ok(&env, "swsrprecoverres"), "swsrprecoverres completed\n");
    assert_eq!(
        script_log(&env.root),
        "",
        "the source post-processing ran already"
    );
    assert_eq!(
        script_log(&targ_root(&env)),
        "TARG-SV RepDst.post /dev/vg01\n"
    );
}
