//! The two halves of issue 14 together: a disaster-recovery copy by REC from box DX1,
//! seen by Managed Server SRC-SV (this root), to box DX2, seen by the emulated Managed
//! Server TARG-SV (its own root, devices file, scripts and repository, reached through
//! `arraysim server exec` in place of ssh). Seed 004's chapter 6.5.2 set-up: the original
//! and the replica are on different servers and different boxes.

use super::dx::{self, array_actions, sessions, DEVICES};
use super::env::TestEnv;
use super::eternus::{acm, ok};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn targ_root(env: &TestEnv) -> PathBuf {
    dx::server_root(env, "TARG-SV")
}

/// Scripts that append `SERVER SCRIPT` to `<root>/scripts.log`: where a line lands proves
/// on which server the script ran.
fn logging_scripts(root: &Path, server: &str) {
    let dir = root.join("etc/opt/FJSVswsrp/sh");
    std::fs::create_dir_all(&dir).expect("mkdir");
    for name in ["RepSrc.pre", "RepSrc.post", "RepDst.pre", "RepDst.post"] {
        let file = dir.join(name);
        let log = root.join("scripts.log");
        let text = format!(
            "#!/bin/sh\necho \"{server} {name}\" >> '{}'\n",
            log.display()
        );
        std::fs::write(&file, text).expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    }
}

/// The scripts run since the last call, on each server, then forgotten.
fn take_script_log(root: &Path) -> Vec<String> {
    let path = root.join("scripts.log");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let _ = std::fs::remove_file(&path);
    text.lines().map(str::to_string).collect()
}

/// `pairs` volumes of 4 MB on each box: `/dev/vgNN` on DX1 (volume NN) in SRC-SV's devices
/// file, `/dev/drNN` on DX2 (volume NN) in TARG-SV's only; copy path DX1–DX2 up.
fn dr_world(env: &TestEnv, pairs: usize) {
    for array in ["DX1", "DX2"] {
        dx::setup_box(env, array, 0, "SRC-SV");
        for n in 0..pairs {
            dx::add_volume(env, array, n, 4, &[]);
        }
    }
    dx::add_server(env, "TARG-SV");
    let mut near = String::from("# SRC-SV: DX1\n");
    let mut far = String::from("# TARG-SV: DX2\n");
    for n in 0..pairs {
        near.push_str(&format!("/dev/vg{n:02} DX1 {n}\n"));
        far.push_str(&format!("/dev/dr{n:02} DX2 {n}\n"));
    }
    env.write(DEVICES, &near);
    std::fs::write(targ_root(env).join(DEVICES.trim_start_matches('/')), far).expect("write");
    logging_scripts(&env.root, "SRC-SV");
    logging_scripts(&targ_root(env), "TARG-SV");
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
}

fn write(env: &TestEnv, volume: u32, offset: u64, len: u64, seed: u64) {
    dx::write(env, "DX1", volume, offset, len, seed);
}

fn read(env: &TestEnv, array: &str, volume: u32) -> Vec<u8> {
    dx::read(env, array, volume)
}

/// Chapter 6.5.2 with the replica on TARG-SV: register, start REC, wait for equivalent,
/// suspend; the replica on the other box is the source at the suspend, byte for byte; each
/// server ran the scripts of its own volume; each command opened one session to TARG-SV.
#[test]
fn rec_to_another_box_seen_by_another_server() {
    let env = TestEnv::new();
    dr_world(&env, 1);
    write(&env, 0, 0, 4 * 1024 * 1024, 1);
    env.clear_calls();
    ok(&env, "swsrpsetvol /dev/vg00 /dev/dr00@TARG-SV");
    assert_eq!(sessions(&env), ["TARG-SV"]);
    // Both servers list the pair (TARG-SV's list through -h).
    let row = "/dev/vg00@SRC-SV 0.0 Gbyte /dev/dr00@TARG-SV 0.0 Gbyte bi-direction both";
    let here = ok(&env, "swsrpvolinfo");
    assert!(here.contains(row), "{here}");
    let there = ok(&env, "swsrpvolinfo -h TARG-SV");
    assert!(there.contains(row), "{there}");

    env.clear_calls();
    ok(&env, "swsrpstartsync /dev/vg00 /dev/dr00@TARG-SV");
    assert_eq!(sessions(&env), ["TARG-SV"], "one session for the start");
    assert!(
        array_actions(&env)
            .iter()
            .any(|c| c.contains("-mode rec") || c.contains("-type rec")),
        "a REC session was started: {:?}",
        array_actions(&env)
    );
    // The replica's pre-processing (unmount before the copy) ran on TARG-SV, not here.
    assert_eq!(take_script_log(&targ_root(&env)), ["TARG-SV RepDst.pre"]);
    assert!(take_script_log(&env.root).is_empty());

    env.sim(&["clock", "advance", "30s"]);
    let stat = ok(&env, "swsrpstat -L /dev/vg00");
    assert!(stat.contains("regular equivalent 100%"), "{stat}");

    write(&env, 0, 1_000_000, 200_000, 2);
    env.clear_calls();
    ok(&env, "swsrpmake /dev/vg00 /dev/dr00@TARG-SV");
    assert_eq!(sessions(&env), ["TARG-SV"], "one session for the suspend");
    let point = read(&env, "DX1", 0);
    assert!(point == read(&env, "DX2", 0), "the DR copy differs");
    assert_eq!(
        take_script_log(&env.root),
        ["SRC-SV RepSrc.pre", "SRC-SV RepSrc.post"]
    );
    // The replica was unmounted by the start's pre-processing (Table C.1): the suspend
    // only remounts it, on TARG-SV.
    assert_eq!(take_script_log(&targ_root(&env)), ["TARG-SV RepDst.post"]);
    write(&env, 0, 0, 300_000, 3);
    assert!(point == read(&env, "DX2", 0), "the split replica changed");
    assert!(ok(&env, "swsrpstat /dev/vg00").contains("regular replicated"));

    // Resume, then the far server goes down: the next suspend stops before the array
    // changes, naming the server; back up, it goes through.
    ok(&env, "swsrpstartsync /dev/vg00 /dev/dr00@TARG-SV");
    env.sim(&["clock", "advance", "30s"]);
    env.sim(&["server", "fault", "TARG-SV", "down"]);
    env.clear_calls();
    acm(&env, "swsrpmake /dev/vg00 /dev/dr00@TARG-SV")
        .code(1)
        .stderr_has("swsrp0603 Cannot communicate with Managed Server TARG-SV");
    assert!(array_actions(&env).is_empty(), "{:?}", array_actions(&env));
    assert!(ok(&env, "swsrpstat /dev/vg00").contains("regular equivalent"));
    env.sim(&["server", "fault", "TARG-SV", "ok"]);
    ok(&env, "swsrpmake /dev/vg00 /dev/dr00@TARG-SV");
    assert!(read(&env, "DX1", 0) == read(&env, "DX2", 0));
}

/// A group of REC pairs whose replicas are all on TARG-SV: each group command opens one
/// session to TARG-SV whatever the number of pairs, and the group suspend is one point in
/// time; the copy paths cut put the group in `halt`, restored they recover and catch up.
#[test]
fn rec_group_across_servers_one_session_per_command() {
    const PAIRS: usize = 6;
    let env = TestEnv::new();
    dr_world(&env, PAIRS);
    for n in 0..PAIRS {
        write(&env, n as u32, 0, 1_000_000, n as u64 + 1);
        ok(
            &env,
            &format!("swsrpsetvol -Xgroup DR /dev/vg{n:02} /dev/dr{n:02}@TARG-SV"),
        );
    }
    env.clear_calls();
    ok(&env, "swsrpstartsync -Xgroup DR");
    assert_eq!(sessions(&env), ["TARG-SV"]);
    env.sim(&["clock", "advance", "30s"]);
    let stat = ok(&env, "swsrpstat -Xgroup DR");
    assert_eq!(
        stat.matches("regular equivalent 100%").count(),
        PAIRS,
        "{stat}"
    );

    // Paths down: halt; written meanwhile; paths up: automatic recovery catches up.
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
    let stat = ok(&env, "swsrpstat -Xgroup DR");
    assert_eq!(stat.matches(" halt").count(), PAIRS, "{stat}");
    for n in 0..PAIRS {
        write(&env, n as u32, 2_000_000, 100_000, 100 + n as u64);
    }
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
    env.sim(&["clock", "advance", "30s"]);
    let stat = ok(&env, "swsrpstat -Xgroup DR");
    assert_eq!(
        stat.matches("regular equivalent 100%").count(),
        PAIRS,
        "{stat}"
    );

    env.clear_calls();
    ok(&env, "swsrpmake -Xgroup DR");
    assert_eq!(sessions(&env), ["TARG-SV"]);
    for n in 0..PAIRS as u32 {
        assert!(
            read(&env, "DX1", n) == read(&env, "DX2", n),
            "pair {n} differs after the group suspend"
        );
    }
    env.clear_calls();
    ok(&env, "swsrpcancel -Xgroup DR");
    assert_eq!(sessions(&env), ["TARG-SV"]);
    assert!(!ok(&env, "swsrpstat -Xgroup DR").contains("replicated"));
}
