//! ETERNUS REC (issue 14, the inter-box half): one server, two emulated boxes DX1 and DX2
//! joined by a copy path. The REC examples of seed 004 (8.3.1.4, 8.3.1.5, 8.3.2.5, and
//! 6.5.2.2–6.5.2.3 with the replica on this server's second box), data tests in each
//! transfer mode while the source keeps changing, halt and recovery, consistency-mode group
//! suspend, and the manual's refusals.

use super::dx::{self, CUSTOMIZED, DEVICES};
use super::env::{arraysim_bin, Run, TestEnv};
use super::eternus::{acm, install_scripts, ok, prints};

const DX1_BOX: &str = "00ETERNUSDXM##ET44S20A##DX1#############";
const DX2_BOX: &str = "00ETERNUSDXM##ET44S20A##DX2#############";

/// Volumes of 4 MB (64 tracks): `dx1` on box DX1 and `dx2` on box DX2 (volume numbers
/// from 0), every device on this server SRC-SV; a copy path DX1–DX2 up.
fn rec_world(env: &TestEnv, dx1: &[&str], dx2: &[&str]) {
    let mut devices = String::from("# test devices\n");
    for (array, list) in [("DX1", dx1), ("DX2", dx2)] {
        dx::setup_box(env, array, 0, "SRC-SV");
        for (n, device) in list.iter().enumerate() {
            dx::add_volume(env, array, n, 4, &[]);
            devices.push_str(&format!("{device} {array} {n} -\n"));
        }
    }
    env.write(DEVICES, &devices);
    install_scripts(env, CUSTOMIZED);
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
}

/// One REC pair /dev/vg01 (DX1 volume 0) → /dev/vg11 (DX2 volume 0).
fn rec_pair(env: &TestEnv) {
    rec_world(env, &["/dev/vg01"], &["/dev/vg11"]);
    ok(env, "swsrpsetvol /dev/vg01 /dev/vg11");
}

/// Two REC pairs in group GRP1: vg01→vg11, vg02→vg12.
fn rec_group(env: &TestEnv) {
    rec_world(
        env,
        &["/dev/vg01", "/dev/vg02"],
        &["/dev/vg11", "/dev/vg12"],
    );
    ok(env, "swsrpsetvol -Xgroup GRP1 /dev/vg01 /dev/vg11");
    ok(env, "swsrpsetvol -Xgroup GRP1 /dev/vg02 /dev/vg12");
}

/// REC buffers for Consistency mode: DX1 sends to DX2 (buffer 1), DX2 receives (buffer 1).
fn rec_buffers(env: &TestEnv) {
    for (array, usage, remote) in [("DX1", "SEND", "DX2"), ("DX2", "RECV", "DX1")] {
        env.sim_line(&format!(
            "eternus rec-buffer {array} 1 --use {usage} --remote {remote}"
        ));
    }
}

fn sim_try(env: &TestEnv, args: &[&str]) -> Run {
    env.run(arraysim_bin(), args)
}

fn read_on(env: &TestEnv, array: &str, volume: u32) -> Vec<u8> {
    dx::read(env, array, volume)
}

/// `arraysim eternus write` that may fail (a write the box refuses).
fn write_on(env: &TestEnv, array: &str, volume: u32, offset: u64, len: u64, seed: u64) -> Run {
    let (v, o, l, s) = (
        volume.to_string(),
        offset.to_string(),
        len.to_string(),
        seed.to_string(),
    );
    sim_try(
        env,
        &[
            "eternus", "write", array, &v, &o, "--random", &l, "--seed", &s,
        ],
    )
}

fn write_ok(env: &TestEnv, array: &str, volume: u32, offset: u64, len: u64, seed: u64) {
    dx::write(env, array, volume, offset, len, seed);
}

/// The swsrpstat line of the pair (`-L` columns), without the server column.
fn stat_line(env: &TestEnv, options: &str) -> String {
    let out = ok(env, &format!("swsrpstat {options} /dev/vg01"));
    let line = out.lines().nth(1).unwrap_or_default();
    line.split_whitespace()
        .skip(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn advance(env: &TestEnv, secs: u32) {
    env.sim(&["clock", "advance", &format!("{secs}s")]);
}

// ----- transcripts ------------------------------------------------------------------------

/// 8.3.2.5: Consistency → Through with swsrpchsync (and the swsrpchsnc spelling).
#[test]
fn swsrpchsync_example() {
    let env = TestEnv::new();
    rec_pair(&env);
    rec_buffers(&env);
    env.sim(&["rate", "DX1", "0"]);
    ok(
        &env,
        "swsrpstartsync -h SRC-SV -i /dev/vg01@SRC-SV /dev/vg11@SRC-SV",
    );
    let out = ok(&env, "swsrpstat -h SRC-SV -L /dev/vg01@SRC-SV");
    assert_eq!(
        out,
        "Server Original-Volume Replica-Volume Direction Status Execute Trk Update Rcv Split Xfer Snap-Gen\n\
         SRC-SV /dev/vg01@SRC-SV /dev/vg11@SRC-SV regular sync 0% ---- ---- auto ---- consist ----\n"
    );
    prints(
        &env,
        "swsrpchsync -h SRC-SV -F Async /dev/vg01@SRC-SV /dev/vg11@SRC-SV",
        "FROM=/dev/vg01@SRC-SV,TO=/dev/vg11@SRC-SV swsrpchsync completed\n",
    );
    env.sim(&["rate", "DX1", "16384"]);
    advance(&env, 1);
    assert_eq!(
        stat_line(&env, "-h SRC-SV -L"),
        "regular equivalent 100% ---- ---- auto ---- async ----"
    );
    // The manual's reference-page spelling, and the recovery and split modes.
    let run = acm(
        &env,
        "swsrpchsnc -F Sync -S Manual -R Manual /dev/vg01 /dev/vg11",
    );
    assert_eq!(
        run.stdout, "FROM=/dev/vg01@SRC-SV,TO=/dev/vg11@SRC-SV swsrpchsnc completed\n",
        "{}",
        run.stderr
    );
    assert_eq!(
        stat_line(&env, "-L"),
        "regular equivalent 100% ---- ---- manual manual sync ----"
    );
}

#[test]
fn swsrpchsync_group_example() {
    let env = TestEnv::new();
    rec_group(&env);
    rec_buffers(&env);
    ok(&env, "swsrpstartsync -i -Xgroup GRP1");
    advance(&env, 1);
    prints(
        &env,
        "swsrpchsync -F Async -Xgroup GRP1",
        "GROUP=GRP1 swsrpchsync completed\n",
    );
    let stat = ok(&env, "swsrpstat -L -Xgroup GRP1");
    assert_eq!(stat.matches("auto ---- async ----").count(), 2, "{stat}");
}

/// 8.3.1.4 and 8.3.1.5: the REC buffers of the source box and of the destination box,
/// and a change of use.
#[test]
fn swsrprecbuffstat_and_swsrprecbuffset_examples() {
    let env = TestEnv::new();
    rec_pair(&env);
    env.sim_line("eternus rec-buffer DX1 1 --use SEND --remote DX2 --disk-buffer");
    env.sim_line("eternus rec-buffer DX1 2 --use RECV --remote DX2");
    env.sim_line("eternus rec-buffer DX2 1 --use RECV --remote DX1");
    assert_eq!(
        ok(&env, "swsrprecbuffstat /dev/vg01@SRC-SV -L"),
        format!(
            "BoxID = {DX1_BOX}\nID Use Rate RemoteBoxID DiskBuff DiskRate\n\
             1 SEND 1% {DX2_BOX} active 0%\n2 RECV 0% {DX2_BOX} --- ---\n"
        )
    );
    assert_eq!(
        ok(&env, "swsrprecbuffstat /dev/vg11@SRC-SV"),
        format!("BoxID = {DX2_BOX}\nID Use Rate RemoteBoxID\n1 RECV 0% {DX1_BOX}\n")
    );
    prints(
        &env,
        "swsrprecbuffset -Xbuffid 1 -Xbuffuse SEND /dev/vg11@SRC-SV",
        "swsrprecbuffset completed\n",
    );
    // 8.3.1.4 Note: the changed buffer is unusable for about a minute (`----`).
    assert_eq!(
        ok(&env, "swsrprecbuffstat /dev/vg11@SRC-SV"),
        format!("BoxID = {DX2_BOX}\nID Use Rate RemoteBoxID\n1 SEND ---- {DX1_BOX}\n")
    );
    advance(&env, 59);
    assert!(ok(&env, "swsrprecbuffstat /dev/vg11").contains("1 SEND ----"));
    advance(&env, 1);
    assert_eq!(
        ok(&env, "swsrprecbuffstat /dev/vg11@SRC-SV"),
        format!("BoxID = {DX2_BOX}\nID Use Rate RemoteBoxID\n1 SEND 1% {DX1_BOX}\n")
    );
    // A Consistency mode session is active between the boxes: the use cannot change.
    // Within the unusable minute, no Consistency mode copy starts on the buffer.
    ok(&env, "swsrprecbuffset -Xbuffid 1 -Xbuffuse RECV /dev/vg11");
    acm(&env, "swsrpstartsync -i /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("not usable yet");
    advance(&env, 60);
    ok(&env, "swsrpstartsync -i /dev/vg01 /dev/vg11");
    acm(&env, "swsrprecbuffset -Xbuffid 1 -Xbuffuse SEND /dev/vg11")
        .code(1)
        .stderr_has("Consistency mode session");
    // Missing options and unknown buffers are refused, naming them.
    acm(&env, "swsrprecbuffset -Xbuffid 1 /dev/vg11")
        .code(2)
        .stderr_has("-Xbuffuse");
    acm(&env, "swsrprecbuffset -Xbuffid 9 -Xbuffuse SEND /dev/vg01")
        .code(1)
        .stderr_has("no REC buffer 9");
}

/// 6.5.2.2 "Copy direction reverser": REC A→B, replica made, reversed, site B works on
/// the replica, then the copy resumes B→A with the differences only.
#[test]
fn site_switchover_with_swsrprevsync() {
    let env = TestEnv::new();
    rec_pair(&env);
    write_ok(&env, "DX1", 0, 0, 1_000_000, 1);
    ok(&env, "swsrpstartsync -y /dev/vg01 /dev/vg11");
    advance(&env, 1);
    ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
    let run = acm(&env, "swsrprevsync /dev/vg01 /dev/vg11");
    assert_eq!(
        run.stdout, "FROM=/dev/vg11@SRC-SV,TO=/dev/vg01@SRC-SV swsrprevsync completed\n",
        "{}",
        run.stderr
    );
    assert_eq!(stat_line(&env, ""), "reverse replicated ----");
    // Site B works on the replica; site A's volume is the destination now.
    write_ok(&env, "DX2", 0, 200_000, 70_000, 2);
    ok(&env, "swsrpstartsync /dev/vg11 /dev/vg01");
    advance(&env, 1);
    assert_eq!(stat_line(&env, ""), "reverse equivalent 100%");
    ok(&env, "swsrpmake /dev/vg11 /dev/vg01");
    assert!(read_on(&env, "DX1", 0) == read_on(&env, "DX2", 0));
}

/// 6.5.2.2.1 initial copy skip: the session starts replicated, the replica is loaded from
/// "tape", and -Xremain copies only what changed on the source since.
#[test]
fn initial_copy_skip_then_remain() {
    let env = TestEnv::new();
    rec_pair(&env);
    write_ok(&env, "DX1", 0, 0, 4 * 1024 * 1024, 1);
    ok(&env, "swsrpstartsync -Xskip /dev/vg01 /dev/vg11");
    assert_eq!(stat_line(&env, ""), "regular replicated ----");
    // Operations restart at site A (tracks 0 and 1 change) ...
    write_ok(&env, "DX1", 0, 0, 100_000, 2);
    // ... while the tape with the old source is restored at site B, except track 40,
    // which the restore leaves wrong: -Xremain must not copy it (only source updates).
    write_ok(&env, "DX2", 0, 0, 4 * 1024 * 1024, 1);
    write_ok(&env, "DX2", 0, 40 * 65536, 100, 7);
    ok(&env, "swsrpstartsync -Xremain /dev/vg01 /dev/vg11");
    advance(&env, 1);
    ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
    let (src, dst) = (read_on(&env, "DX1", 0), read_on(&env, "DX2", 0));
    let track = |data: &[u8], t: usize| data[t * 65536..(t + 1) * 65536].to_vec();
    assert!(track(&src, 0) == track(&dst, 0) && track(&src, 1) == track(&dst, 1));
    assert!(
        track(&src, 40) != track(&dst, 40),
        "-Xremain copied a track the source did not change"
    );
    // Without -Xremain every difference is copied.
    ok(&env, "swsrpstartsync /dev/vg01 /dev/vg11");
    advance(&env, 1);
    ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
    assert!(read_on(&env, "DX1", 0) == read_on(&env, "DX2", 0));
    // -Xskip and -Xremain are exclusive; -Xremain does not start a copy.
    acm(&env, "swsrpstartsync -Xskip -Xremain /dev/vg01 /dev/vg11").code(2);
    ok(&env, "swsrpcancel /dev/vg01 /dev/vg11");
    acm(&env, "swsrpstartsync -Xremain /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("-Xremain");
}

/// 6.5.2.3: Concurrent Suspend of a REC group: one suspend command for every pair.
#[test]
fn concurrent_suspend_of_a_rec_group() {
    let env = TestEnv::new();
    rec_group(&env);
    ok(&env, "swsrpstartsync -Xgroup GRP1");
    advance(&env, 1);
    env.clear_calls();
    let run = acm(&env, "swsrpmake -Xconcur -Xgroup GRP1");
    assert_eq!(
        run.stdout, "GROUP=GRP1 swsrpmake completed\n",
        "{}",
        run.stderr
    );
    let suspends: Vec<String> = env
        .commands(Some("eternus-cli"))
        .into_iter()
        .filter(|c| c.starts_with("suspend"))
        .collect();
    assert_eq!(
        suspends,
        vec!["suspend advanced-copy -type rec -session-id 1,2".to_string()]
    );
    let stat = ok(&env, "swsrpstat -Xgroup GRP1");
    assert_eq!(stat.matches("regular replicated ----").count(), 2, "{stat}");
}

// ----- data -------------------------------------------------------------------------------

/// In each transfer mode, while the source keeps changing: after swsrpmake the replica is
/// the source at that point, byte for byte, and stays so while the source changes on.
#[test]
fn each_transfer_mode_makes_an_exact_replica_while_the_source_changes() {
    for (flags, xfer) in [
        ("-y", "sync"),
        ("", "async"),
        ("-k", "stack"),
        ("-i", "consist"),
    ] {
        let env = TestEnv::new();
        rec_pair(&env);
        rec_buffers(&env);
        write_ok(&env, "DX1", 0, 0, 4 * 1024 * 1024, 1);
        // 16 tracks a second: the initial copy takes 4 s, transfers lag behind writes.
        env.sim(&["rate", "DX1", "16"]);
        ok(&env, &format!("swsrpstartsync {flags} /dev/vg01 /dev/vg11"));
        assert!(stat_line(&env, "-L").starts_with("regular sync "));
        for seed in 2..6u64 {
            write_ok(&env, "DX1", 0, seed * 300_000, 200_000, seed);
            advance(&env, 1);
        }
        advance(&env, 20);
        if xfer == "stack" {
            // Stack mode never reports equivalent: Through flushes it (spec §2.4).
            assert!(stat_line(&env, "-L").starts_with("regular sync 100%"));
            ok(&env, "swsrpchsync -F Async /dev/vg01 /dev/vg11");
            advance(&env, 1);
        }
        let line = stat_line(&env, "-L");
        let expected_xfer = if xfer == "stack" { "async" } else { xfer };
        assert!(
            line.starts_with("regular equivalent 100%") && line.contains(expected_xfer),
            "{flags}: {line}"
        );
        // A write just before the suspend, not transferred yet in the asynchronous modes.
        write_ok(&env, "DX1", 0, 3_000_000, 150_000, 9);
        ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
        let point = read_on(&env, "DX1", 0);
        assert!(point == read_on(&env, "DX2", 0), "{flags}: replica differs");
        write_ok(&env, "DX1", 0, 0, 500_000, 10);
        assert!(
            point == read_on(&env, "DX2", 0),
            "{flags}: replica changed after the split"
        );
        assert!(point != read_on(&env, "DX1", 0));
    }
}

/// Paths down: halt (the Date is stamped); writes go on with Automatic Split; paths up:
/// Automatic Recovery resumes and the copy catches up.
#[test]
fn halt_then_automatic_recovery_catches_up() {
    let env = TestEnv::new();
    rec_pair(&env);
    ok(&env, "swsrpstartsync -y /dev/vg01 /dev/vg11");
    advance(&env, 1);
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
    assert_eq!(
        stat_line(&env, "-L"),
        "regular halt ---- ---- ---- auto auto sync ----"
    );
    assert_eq!(stat_line(&env, "-H"), "regular halt(equivalent) ----");
    assert_ne!(
        stat_line(&env, "-Xdate"),
        "regular halt ---- ----/--/-- --:--:--"
    );
    write_ok(&env, "DX1", 0, 0, 2_000_000, 3);
    assert!(read_on(&env, "DX1", 0) != read_on(&env, "DX2", 0));
    // No snapshot, no plain suspend, no plain cancel while halted.
    acm(&env, "swsrpmake /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("swsrp2648");
    acm(&env, "swsrpcancel /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("-b");
    acm(&env, "swsrpchsync -F Async /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("halt");
    env.sim(&["rate", "DX1", "0"]);
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
    assert!(stat_line(&env, "-L").starts_with("regular sync 0%"));
    assert_eq!(
        stat_line(&env, "-Xdate"),
        "regular sync 0% ----/--/-- --:--:--"
    );
    env.sim(&["rate", "DX1", "16"]);
    advance(&env, 3);
    assert!(stat_line(&env, "").starts_with("regular equivalent 100%"));
    ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
    assert!(read_on(&env, "DX1", 0) == read_on(&env, "DX2", 0));
}

/// Manual Recovery stays in halt when the paths come back: a forced suspend (-j) then a
/// resume with -t restarts it; Manual Split refuses host writes to the source in halt.
#[test]
fn manual_recovery_needs_a_forced_suspend_and_a_resume() {
    let env = TestEnv::new();
    rec_pair(&env);
    write_ok(&env, "DX1", 0, 0, 1_000_000, 1);
    ok(&env, "swsrpstartsync -y -v -g /dev/vg01 /dev/vg11");
    advance(&env, 1);
    assert_eq!(
        stat_line(&env, "-L"),
        "regular equivalent 100% ---- ---- manual manual sync ----"
    );
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
    write_on(&env, "DX1", 0, 0, 100, 5)
        .code(1)
        .stderr_has("Manual Split");
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
    assert!(stat_line(&env, "").starts_with("regular halt"));
    acm(&env, "swsrpstartsync /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("swsrpmake -j");
    ok(&env, "swsrpmake -j /dev/vg01 /dev/vg11");
    // A forced suspend of a halted copy resets the Date (spec §4.8).
    assert_eq!(
        stat_line(&env, "-Xdate"),
        "regular replicated ---- ----/--/-- --:--:--"
    );
    write_ok(&env, "DX1", 0, 500_000, 300_000, 6);
    acm(&env, "swsrpstartsync /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("-t");
    ok(&env, "swsrpstartsync -t /dev/vg01 /dev/vg11");
    advance(&env, 1);
    ok(&env, "swsrpmake -t /dev/vg01 /dev/vg11");
    assert!(read_on(&env, "DX1", 0) == read_on(&env, "DX2", 0));
    // A resume keeps the modes: another transfer mode is refused.
    acm(&env, "swsrpstartsync -k /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("swsrpchsync");
}

/// swsrpcancel -b stops a halted copy (with -Xgroup, only the halted ones); -b on a copy
/// that is not halted is refused.
#[test]
fn cancel_b_stops_halted_copies_only() {
    let env = TestEnv::new();
    rec_group(&env);
    ok(&env, "swsrpstartsync -Xgroup GRP1");
    advance(&env, 1);
    acm(&env, "swsrpcancel -b /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("halt");
    acm(&env, "swsrpcancel -b -Xgroup GRP1")
        .code(1)
        .stderr_has("halt");
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
    let run = acm(&env, "swsrpcancel -b /dev/vg01 /dev/vg11");
    assert_eq!(
        run.stdout, "FROM=/dev/vg01@SRC-SV,TO=/dev/vg11@SRC-SV swsrpcancel completed\n",
        "{}",
        run.stderr
    );
    ok(&env, "swsrpcancel -b -Xgroup GRP1");
    let stat = ok(&env, "swsrpstat -Xgroup GRP1");
    assert_eq!(stat.matches("---- ---- ----").count(), 2, "{stat}");
}

/// Consistency mode: a group suspend is one point in time across every pair, though the
/// transfers lag behind the writes.
#[test]
fn consistency_mode_group_suspend_is_one_point_in_time() {
    let env = TestEnv::new();
    rec_group(&env);
    rec_buffers(&env);
    ok(&env, "swsrpstartsync -i -Xgroup GRP1");
    advance(&env, 1);
    // Slow link: the writes below are not transferred when the group is suspended.
    env.sim(&["rate", "DX1", "1"]);
    for generation in 1..4u64 {
        // A "database" writes the same generation to both volumes, log then data.
        write_ok(&env, "DX1", 0, generation * 65_536, 65_536, generation);
        write_ok(&env, "DX1", 1, generation * 65_536, 65_536, generation);
    }
    let run = acm(&env, "swsrpstat -H -Xgroup GRP1");
    assert!(run.stdout.contains("equivalent"), "{}", run.stdout);
    env.clear_calls();
    ok(&env, "swsrpmake -Xgroup GRP1");
    let suspends: Vec<String> = env
        .commands(Some("eternus-cli"))
        .into_iter()
        .filter(|c| c.starts_with("suspend"))
        .collect();
    assert_eq!(suspends.len(), 1, "{suspends:?}");
    for volume in [0, 1] {
        assert!(
            read_on(&env, "DX1", volume) == read_on(&env, "DX2", volume),
            "volume {volume}: the replica is not the group's point in time"
        );
    }
}

/// A Consistency copy halted while equivalent saves its writes in the REC buffer:
/// halt(use-buffer) with -H; halted during its total copy it is halt(sync) (manual 8.3.2.2
/// Status: "entered during a REC total copy or differential copy").
#[test]
fn halt_detail_of_consistency_mode() {
    let env = TestEnv::new();
    rec_pair(&env);
    rec_buffers(&env);
    env.sim(&["rate", "DX1", "0"]);
    ok(&env, "swsrpstartsync -i /dev/vg01 /dev/vg11");
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
    assert_eq!(stat_line(&env, "-H"), "regular halt(sync) ----");
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
    env.sim(&["rate", "DX1", "16384"]);
    advance(&env, 1);
    assert!(stat_line(&env, "").starts_with("regular equivalent"));
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
    assert_eq!(stat_line(&env, "-H"), "regular halt(use-buffer) ----");
    assert_eq!(stat_line(&env, ""), "regular halt ----");
}

// ----- refusals ---------------------------------------------------------------------------

#[test]
fn refusals_of_the_manual() {
    let env = TestEnv::new();
    rec_world(
        &env,
        &["/dev/vg01", "/dev/vg02", "/dev/vg03"],
        &["/dev/vg11", "/dev/vg12"],
    );
    ok(&env, "swsrpsetvol -Xgroup GRP1 /dev/vg01 /dev/vg11");
    // A group holds REC pairs between the same two boxes, or intra-box pairs, not both.
    acm(&env, "swsrpsetvol -Xgroup GRP1 /dev/vg02 /dev/vg03")
        .code(1)
        .stderr_has("cannot be mixed");
    ok(&env, "swsrpsetvol /dev/vg02 /dev/vg03");
    ok(&env, "swsrpsetvol /dev/vg03 /dev/vg12");
    // REC options on an intra-box pair.
    acm(&env, "swsrpstartsync -y /dev/vg02 /dev/vg03")
        .code(1)
        .stderr_has("inter-box");
    acm(&env, "swsrpstartsync -a /dev/vg01 /dev/vg11")
        .code(2)
        .stderr_has("-y");
    acm(&env, "swsrpstartsync -y -k /dev/vg01 /dev/vg11").code(2);
    // Snapshots are intra-box.
    acm(&env, "swsrpmake /dev/vg03 /dev/vg12")
        .code(1)
        .stderr_has("intra-box");
    // Consistency mode needs the REC buffers.
    acm(&env, "swsrpstartsync -i /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("REC buffer");
    // swsrpchsync: no option, an EC pair, -S without synchronous mode, no copy.
    acm(&env, "swsrpchsync /dev/vg01 /dev/vg11")
        .code(2)
        .stderr_has("-F");
    ok(&env, "swsrpstartsync /dev/vg02 /dev/vg03");
    acm(&env, "swsrpchsync -F Sync /dev/vg02 /dev/vg03")
        .code(1)
        .stderr_has("inter-box");
    acm(&env, "swsrpchsync -F Sync /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("no synchronous processing");
    ok(&env, "swsrpstartsync -k /dev/vg01 /dev/vg11");
    acm(&env, "swsrpchsync -S Manual /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("-S needs -F Sync");
    acm(&env, "swsrpchsync -F Bogus /dev/vg01 /dev/vg11")
        .code(2)
        .stderr_has("-F");
    // A REC destination refuses host writes until suspended; no path, no start.
    write_on(&env, "DX2", 0, 0, 10, 1)
        .code(1)
        .stderr_has("destination of REC session");
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
    acm(&env, "swsrpstartsync /dev/vg03 /dev/vg12")
        .code(1)
        .stderr_has("REC path");
}

// ----- the eternus resource type ------------------------------------------------------------

/// An OpenSVC-style service resyncs a DR copy on the second box: REC started, waited for,
/// suspended at one point in time; a second resync resumes it with the differences.
#[test]
fn resource_resyncs_a_rec_dr_copy() {
    let env = TestEnv::new();
    rec_group(&env);
    write_ok(&env, "DX1", 0, 0, 1_000_000, 1);
    env.write_service(
        "drsvc",
        "[sync#1]\ntype = eternus\narray = DX1\ngroup = GRP1\nmode = ec\n",
    );
    env.syncresync(&["-s", "drsvc"]).ok();
    let stat = ok(&env, "swsrpstat -L -Xgroup GRP1");
    assert_eq!(
        stat.matches("regular replicated ---- ---- ---- auto ---- async ----")
            .count(),
        2,
        "{stat}"
    );
    assert!(read_on(&env, "DX1", 0) == read_on(&env, "DX2", 0));
    write_ok(&env, "DX1", 1, 65_536, 300_000, 4);
    env.syncresync(&["-s", "drsvc", "--force"]).ok();
    assert!(read_on(&env, "DX1", 1) == read_on(&env, "DX2", 1));
    let log = env.log("drsvc");
    assert!(log.contains("resume advanced-copy -type rec"), "{log}");
    assert!(
        log.contains("suspend advanced-copy -type rec -session-id 1,2"),
        "{log}"
    );
    let status = env.arraysync(&["-s", "drsvc", "print", "status", "--format", "json"]);
    assert_eq!(status.json()[0]["status"], "up", "{}", status.stdout);
}

/// A hardware error on a REC copy: `failed`, `failed(badsector)` with -O; the mode cannot
/// change; cancel ends it.
#[test]
fn failed_rec_copy() {
    let env = TestEnv::new();
    rec_pair(&env);
    ok(&env, "swsrpstartsync -k /dev/vg01 /dev/vg11");
    env.sim(&["eternus", "fail", "DX1", "0"]);
    assert_eq!(stat_line(&env, ""), "regular failed ----");
    assert_eq!(stat_line(&env, "-O"), "regular failed(badsector) ----");
    acm(&env, "swsrpchsync -F Async /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("failed");
    ok(&env, "swsrpcancel /dev/vg01 /dev/vg11");
    assert_eq!(stat_line(&env, ""), "---- ---- ----");
}

/// Consistency mode with a writer running during the suspend: each generation is written to
/// volume 0, then to volume 1 (dependent writes). The replicas, suspended together, must
/// show a state the sources had at one instant: generation(vol0) is generation(vol1) or
/// one more.
#[test]
fn consistency_group_suspend_under_concurrent_dependent_writes() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let env = TestEnv::new();
    rec_group(&env);
    rec_buffers(&env);
    ok(&env, "swsrpstartsync -i -Xgroup GRP1");
    advance(&env, 1);
    env.sim(&["rate", "DX1", "2"]);
    let stop = AtomicBool::new(false);
    let generation = |data: &[u8]| -> u64 {
        let text = String::from_utf8_lossy(&data[..32]);
        text.trim_matches(char::from(0))
            .trim()
            .strip_prefix("gen ")
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0)
    };
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let mut g = 1u64;
            while !stop.load(Ordering::SeqCst) {
                let file = env.path(&format!("/gen-{}.bin", g % 2));
                let mut block = format!("gen {g}").into_bytes();
                block.resize(512, 0);
                std::fs::write(&file, block).expect("write block");
                for volume in ["0", "1"] {
                    let run = env.run(
                        arraysim_bin(),
                        &[
                            "eternus",
                            "write",
                            "DX1",
                            volume,
                            "0",
                            &file.display().to_string(),
                        ],
                    );
                    assert_eq!(run.code, 0, "{}", run.stderr);
                }
                g += 1;
            }
            g
        });
        std::thread::sleep(std::time::Duration::from_millis(300));
        ok(&env, "swsrpmake -Xgroup GRP1");
        stop.store(true, Ordering::SeqCst);
        let written = writer.join().expect("writer");
        assert!(written > 2, "the writer wrote {written} generations");
    });
    let (g0, g1) = (
        generation(&read_on(&env, "DX2", 0)),
        generation(&read_on(&env, "DX2", 1)),
    );
    assert!(g0 >= 1, "the replica holds no generation");
    assert!(
        g0 == g1 || g0 == g1 + 1,
        "replicas of generations {g0} and {g1}: not one point in time"
    );
}

/// The array's word is checked per pair: a REC start the array answers without starting is
/// an error naming the pair; an empty answer to the REC list is an error, not "no copy".
#[test]
fn unconfirmed_start_and_empty_list_are_errors() {
    let env = TestEnv::new();
    rec_pair(&env);
    env.fault(
        "eternus-cli",
        &["--pair", "0:0", "--command", "start", "--message", ""],
    );
    acm(&env, "swsrpstartsync /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("did not start it");
    env.sim(&["fault", "clear"]);
    assert_eq!(stat_line(&env, ""), "---- ---- ----");
    env.fault("eternus-cli", &["--command", "show", "--message", ""]);
    acm(&env, "swsrpstat /dev/vg01")
        .code(1)
        .stderr_has("no table header");
}

// ----- REC buffer capacity and REC Disk buffer states ----------------------------------

/// REC buffers of `mb` MiB (16 tracks a MiB): DX1 sends to DX2, DX2 receives; `disk`
/// gives the SEND buffer a REC Disk buffer of `disk_mb` MiB.
fn sized_rec_buffers(env: &TestEnv, mb: u32, disk: Option<u32>) {
    let size = mb.to_string();
    let mut send = vec![
        "eternus",
        "rec-buffer",
        "DX1",
        "1",
        "--use",
        "SEND",
        "--remote",
        "DX2",
        "--size-mb",
        &size,
    ];
    let disk_size = disk.map(|d| d.to_string()).unwrap_or_default();
    if disk.is_some() {
        send.extend(["--disk-buffer", "--disk-size-mb", &disk_size]);
    }
    env.sim(&send);
    env.sim_line("eternus rec-buffer DX2 1 --use RECV --remote DX1");
}

/// The SEND buffer's row of `swsrprecbuffstat -L` without its box id:
/// `Rate DiskBuff DiskRate`.
fn send_buffer(env: &TestEnv) -> String {
    let out = ok(env, "swsrprecbuffstat -L /dev/vg01");
    let line = out
        .lines()
        .find(|l| l.starts_with("1 SEND"))
        .unwrap_or_default();
    let cells: Vec<&str> = line.split_whitespace().collect();
    [cells.get(2), cells.get(4), cells.get(5)]
        .into_iter()
        .map(|c| c.copied().unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// An equivalent Consistency copy vg01→vg11 (64 tracks) whose paths are then cut.
fn halted_consistency_copy(env: &TestEnv) {
    ok(env, "swsrpstartsync -i /dev/vg01 /dev/vg11");
    advance(env, 1);
    assert!(stat_line(env, "").starts_with("regular equivalent"));
    env.sim(&["eternus", "path", "DX1", "DX2", "down"]);
}

/// 7.4.2.4: in halt the writes go into the REC buffer while they fit (halt(use-buffer),
/// its Rate rising); once they overflow the copy becomes halt(sync); restored paths resume
/// it (automatic recovery) and the replica catches up.
#[test]
fn rec_buffer_fills_then_overflows_to_halt_sync() {
    let env = TestEnv::new();
    rec_pair(&env);
    sized_rec_buffers(&env, 1, None);
    halted_consistency_copy(&env);
    assert_eq!(send_buffer(&env), "1% invalid ---");
    // 8 tracks of 16: half the buffer.
    write_ok(&env, "DX1", 0, 0, 8 * 65_536, 1);
    assert_eq!(stat_line(&env, "-H"), "regular halt(use-buffer) ----");
    assert_eq!(send_buffer(&env), "50% invalid ---");
    // 8 more tracks: full, still held.
    write_ok(&env, "DX1", 0, 8 * 65_536, 8 * 65_536, 2);
    assert_eq!(stat_line(&env, "-H"), "regular halt(use-buffer) ----");
    assert_eq!(send_buffer(&env), "100% invalid ---");
    // One more: overflow.
    write_ok(&env, "DX1", 0, 16 * 65_536, 1, 3);
    assert_eq!(stat_line(&env, "-H"), "regular halt(sync) ----");
    assert_eq!(send_buffer(&env), "1% invalid ---");
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
    advance(&env, 1);
    assert!(stat_line(&env, "").starts_with("regular equivalent"));
    ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
    assert!(read_on(&env, "DX1", 0) == read_on(&env, "DX2", 0));
}

/// A halt that fits in the buffer resumes equivalent when the paths come back.
#[test]
fn rec_buffer_within_capacity_resumes_equivalent() {
    let env = TestEnv::new();
    rec_pair(&env);
    sized_rec_buffers(&env, 1, None);
    halted_consistency_copy(&env);
    write_ok(&env, "DX1", 0, 0, 4 * 65_536, 4);
    env.sim(&["rate", "DX1", "0"]);
    env.sim(&["eternus", "path", "DX1", "DX2", "up"]);
    assert!(stat_line(&env, "").starts_with("regular equivalent"));
    assert_eq!(send_buffer(&env), "25% invalid ---");
    env.sim(&["rate", "DX1", "16384"]);
    advance(&env, 1);
    assert_eq!(send_buffer(&env), "1% invalid ---");
    ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
    assert!(read_on(&env, "DX1", 0) == read_on(&env, "DX2", 0));
}

/// With a REC Disk buffer the halted copy shows halt(use-disk-buffer) and holds what
/// overflows the cache memory on disk (DiskRate); a disk fault `warning` keeps it usable,
/// `inactive` leaves the memory buffer only, which overflows: halt(sync).
#[test]
fn rec_disk_buffer_states_and_their_consequences() {
    let env = TestEnv::new();
    rec_pair(&env);
    sized_rec_buffers(&env, 1, Some(1));
    halted_consistency_copy(&env);
    assert_eq!(send_buffer(&env), "1% active 0%");
    write_ok(&env, "DX1", 0, 0, 24 * 65_536, 5);
    assert_eq!(stat_line(&env, "-H"), "regular halt(use-disk-buffer) ----");
    assert_eq!(send_buffer(&env), "100% active 50%");
    env.sim_line("eternus rec-buffer DX1 1 --disk-state warning");
    assert_eq!(send_buffer(&env), "100% warning(code=08) 50%");
    assert_eq!(stat_line(&env, "-H"), "regular halt(use-disk-buffer) ----");
    env.sim_line("eternus rec-buffer DX1 1 --disk-state inactive --disk-code 5");
    assert_eq!(send_buffer(&env), "1% inactive(code=05) ---");
    assert_eq!(stat_line(&env, "-H"), "regular halt(sync) ----");
    // Repaired: the disk buffer is active again.
    env.sim_line("eternus rec-buffer DX1 1 --disk-state active");
    assert_eq!(send_buffer(&env), "1% active 0%");
    // A state on a buffer without a disk buffer, or on none, is refused.
    let run = sim_try(
        &env,
        &[
            "eternus",
            "rec-buffer",
            "DX2",
            "1",
            "--disk-state",
            "warning",
        ],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("no REC Disk buffer"), "{}", run.stderr);
    let run = sim_try(
        &env,
        &[
            "eternus",
            "rec-buffer",
            "DX1",
            "7",
            "--disk-state",
            "warning",
        ],
    );
    assert_ne!(run.code, 0);
    assert!(run.stderr.contains("no REC buffer 7"), "{}", run.stderr);
}

// ----- local copies against REC volumes ----------------------------------------------

/// A local copy whose destination is a REC destination is refused (a volume is the
/// destination of one session); a REC destination is a local copy's source only once
/// suspended (its data consistent).
#[test]
fn local_copies_refused_on_rec_destinations() {
    let env = TestEnv::new();
    rec_world(
        &env,
        &["/dev/vg01"],
        &["/dev/vg11", "/dev/vg12", "/dev/vg13"],
    );
    ok(&env, "swsrpsetvol /dev/vg01 /dev/vg11");
    ok(&env, "swsrpsetvol /dev/vg11 /dev/vg12");
    ok(&env, "swsrpsetvol /dev/vg13 /dev/vg11");
    ok(&env, "swsrpstartsync /dev/vg01 /dev/vg11");
    // The REC destination is copying: no local EC or OPC from it, none onto it.
    acm(&env, "swsrpstartsync /dev/vg11 /dev/vg12")
        .code(1)
        .stderr_has("REC session");
    acm(&env, "swsrpmake /dev/vg11 /dev/vg12")
        .code(1)
        .stderr_has("REC session");
    acm(&env, "swsrpmake /dev/vg13 /dev/vg11")
        .code(1)
        .stderr_has("REC session");
    acm(&env, "swsrpstartsync /dev/vg13 /dev/vg11")
        .code(1)
        .stderr_has("REC session");
    // Suspended, the replica is a consistent source: a local OPC backs it up.
    advance(&env, 1);
    ok(&env, "swsrpmake /dev/vg01 /dev/vg11");
    ok(&env, "swsrpmake /dev/vg11 /dev/vg12");
    advance(&env, 1);
    assert!(read_on(&env, "DX2", 0) == read_on(&env, "DX2", 1));
    // Still the destination of the REC session: nothing local onto it.
    acm(&env, "swsrpmake /dev/vg13 /dev/vg11")
        .code(1)
        .stderr_has("REC session");
}

// ----- stops confirmed per pair (issue 8 leftover) ------------------------------------

fn stop_does_nothing(env: &TestEnv) {
    env.fault("eternus-cli", &["--command", "stop", "--message", ""]);
}

/// swsrpcancel confirms on the session list that each stopped session is gone: an array
/// that answers OK but stops nothing is an error naming the pair (local EC, REC, REC
/// group); once the array acts, the cancel succeeds.
#[test]
fn cancel_is_confirmed_per_pair() {
    let env = TestEnv::new();
    rec_world(
        &env,
        &["/dev/vg01", "/dev/vg02", "/dev/vg03"],
        &["/dev/vg11", "/dev/vg12"],
    );
    ok(&env, "swsrpsetvol /dev/vg03 /dev/vg02");
    ok(&env, "swsrpsetvol -Xgroup GRP1 /dev/vg01 /dev/vg11");
    ok(&env, "swsrpsetvol -Xgroup GRP1 /dev/vg02 /dev/vg12");
    ok(&env, "swsrpstartsync /dev/vg03 /dev/vg02");
    ok(&env, "swsrpstartsync -Xgroup GRP1");
    stop_does_nothing(&env);
    acm(&env, "swsrpcancel /dev/vg03 /dev/vg02")
        .code(1)
        .stderr_has("/dev/vg03@SRC-SV")
        .stderr_has("did not stop it");
    acm(&env, "swsrpcancel /dev/vg01 /dev/vg11")
        .code(1)
        .stderr_has("/dev/vg01@SRC-SV")
        .stderr_has("did not stop it");
    acm(&env, "swsrpcancel -Xgroup GRP1")
        .code(1)
        .stderr_has("did not stop it");
    env.sim(&["fault", "clear"]);
    ok(&env, "swsrpcancel /dev/vg03 /dev/vg02");
    ok(&env, "swsrpcancel -Xgroup GRP1");
    // -T: the session must track no more.
    ok(&env, "swsrpmake -T /dev/vg03 /dev/vg02");
    advance(&env, 1);
    stop_does_nothing(&env);
    acm(&env, "swsrpcancel -T /dev/vg03 /dev/vg02")
        .code(1)
        .stderr_has("still tracking");
    env.sim(&["fault", "clear"]);
    ok(&env, "swsrpcancel -T /dev/vg03 /dev/vg02");
    let out = ok(&env, "swsrpstat");
    assert!(out.lines().skip(1).all(|l| l.contains(" ---- ")), "{out}");
}
