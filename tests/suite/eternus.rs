//! ETERNUS: the swsrp* transcripts of seed 004 chapter 8.3, the data tests (point-in-time
//! replicas while writes continue, restore), the QuickOPC byte counter, pre-processing
//! failure, bad input, and the conformance suite for the `eternus` resource type.

use super::acm::redact_dates;
pub(super) use super::acm::{acm, ok, prints};
use super::conformance::{Fixture, SVC};
use super::dx::{self, Lcg, CUSTOMIZED, DEVICES, REPLICATION_SCRIPTS};
use super::env::TestEnv;

/// The four replication scripts (RepSrc/RepDst .pre/.post) written with `text`.
pub(super) fn install_scripts(env: &TestEnv, text: &str) {
    dx::install_scripts(env, REPLICATION_SCRIPTS, text);
}

/// A volume of [`world`]: its device, the server it is on (`None`: this one), its MB.
pub(super) type Volume<'a> = (&'a str, Option<&'a str>, u64);

/// An array DX1 with the given volumes (number, MB) mapped to devices (device, server),
/// this server named `server`, customized (always succeeding) scripts.
pub(super) fn world(env: &TestEnv, server: &str, volumes: &[Volume]) {
    dx::setup_box(env, "DX1", 0, server);
    let mut devices = String::from("# test devices\n");
    for (n, (device, srv, mb)) in volumes.iter().enumerate() {
        dx::add_volume(env, "DX1", n, *mb, &[]);
        devices.push_str(&format!("{device} DX1 {n} {}\n", srv.unwrap_or("-")));
    }
    env.write(DEVICES, &devices);
    install_scripts(env, CUSTOMIZED);
}

/// Each device (name, original MB, replica MB) twice: the original on this server, the
/// replica on TARG-SV.
fn on_both_servers<'a>(devices: &[(&'a str, u64, u64)]) -> Vec<Volume<'a>> {
    devices
        .iter()
        .flat_map(|&(device, original, replica)| {
            [(device, None, original), (device, TARG, replica)]
        })
        .collect()
}

/// `swsrpsetvol DEVICE DEVICE@TARG-SV` for each device.
fn pair_with_targ(env: &TestEnv, devices: &[&str]) {
    for device in devices {
        ok(env, &format!("swsrpsetvol {device} {device}@TARG-SV"));
    }
}

// ----- transcripts: seed 004 chapter 8.3 ------------------------------------------------

const TARG: Option<&str> = Some("TARG-SV");

#[test]
fn swsrpsetvol_examples() {
    let env = TestEnv::new();
    world(
        &env,
        "SRC-SV",
        &[("/dev/vg01", None, 4096), ("/dev/vg02", TARG, 4096)],
    );
    prints(
        &env,
        "swsrpsetvol -u -o ORG /dev/vg01 /dev/vg02@TARG-SV",
        "swsrpsetvol completed\n",
    );
    // The same settings made from TARG-SV.
    let env = TestEnv::new();
    world(
        &env,
        "TARG-SV",
        &[
            ("/dev/vg01", Some("SRC-SV"), 4096),
            ("/dev/vg02", None, 4096),
        ],
    );
    prints(
        &env,
        "swsrpsetvol -u -o ORG /dev/vg01@SRC-SV /dev/vg02",
        "swsrpsetvol completed\n",
    );
}

fn volinfo_world(env: &TestEnv) {
    let volumes = on_both_servers(&[
        ("/dev/vg01", 4096, 4096),
        ("/dev/vg02", 4096, 5120),
        ("/dev/vg03", 9318, 9318),
        ("/dev/vg04", 7680, 7680),
    ]);
    world(env, "SRC-SV", &volumes);
    ok(env, "swsrpsetvol -u -o ORG /dev/vg01 /dev/vg01@TARG-SV");
    ok(env, "swsrpsetvol -n -o ORG /dev/vg02 /dev/vg02@TARG-SV");
    ok(env, "swsrpsetvol -o REP /dev/vg03 /dev/vg03@TARG-SV");
    ok(env, "swsrpsetvol -o BOTH /dev/vg04 /dev/vg04@TARG-SV");
}

#[test]
fn swsrpvolinfo_example() {
    let env = TestEnv::new();
    volinfo_world(&env);
    // The manual aligns these columns with extra spaces; we print one space (compat.md).
    let run = acm(&env, "swsrpvolinfo -h SRC-SV");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "Server Original-Volume Size Replica-Volume Size Copy Op-Server\n\
         SRC-SV /dev/vg01@SRC-SV 4.0 Gbyte /dev/vg01@TARG-SV 4.0 Gbyte uni-direction original\n\
         SRC-SV /dev/vg02@SRC-SV 4.0 Gbyte /dev/vg02@TARG-SV 5.0 Gbyte bi-direction original\n\
         SRC-SV /dev/vg03@SRC-SV 9.1 Gbyte /dev/vg03@TARG-SV 9.1 Gbyte bi-direction replica\n\
         SRC-SV /dev/vg04@SRC-SV 7.5 Gbyte /dev/vg04@TARG-SV 7.5 Gbyte bi-direction both\n"
    );
}

#[test]
fn swsrpvolinfo_long_group_example() {
    let env = TestEnv::new();
    world(
        &env,
        "SRC",
        &[
            ("/dev/hdisk10", None, 4096),
            ("/dev/hdisk20", Some("TARG-1"), 4096),
            ("/dev/hdisk11", None, 4096),
            ("/dev/hdisk21", Some("TARG-1"), 4096),
        ],
    );
    ok(
        &env,
        "swsrpsetvol -Xgroup GRP1 /dev/hdisk10@SRC /dev/hdisk20@TARG-1",
    );
    ok(
        &env,
        "swsrpsetvol -Xgroup GRP1 /dev/hdisk11@SRC /dev/hdisk21@TARG-1",
    );
    assert_eq!(
        ok(&env, "swsrpvolinfo -L"),
        "Server Original-Volume Size Replica-Volume Size Copy Op-Server Group\n\
         SRC /dev/hdisk10@SRC 4.0 Gbyte /dev/hdisk20@TARG-1 4.0 Gbyte bi-direction both GRP1\n\
         SRC /dev/hdisk11@SRC 4.0 Gbyte /dev/hdisk21@TARG-1 4.0 Gbyte bi-direction both GRP1\n"
    );
}

#[test]
fn swsrpdelvol_example() {
    let env = TestEnv::new();
    volinfo_world(&env);
    prints(
        &env,
        "swsrpdelvol /dev/vg01 /dev/vg01@TARG-SV",
        "swsrpdelvol completed\n",
    );
    assert!(!ok(&env, "swsrpvolinfo").contains("/dev/vg01@"));
}

pub(super) fn group_world(env: &TestEnv) {
    let mut volumes = on_both_servers(&[("/dev/vg01", 64, 64)]);
    for device in [
        "/dev/hdisk10",
        "/dev/hdisk20",
        "/dev/hdisk11",
        "/dev/hdisk21",
    ] {
        volumes.push((device, None, 64));
    }
    world(env, "SRC-SV", &volumes);
    pair_with_targ(env, &["/dev/vg01"]);
    ok(env, "swsrpsetvol -Xgroup GRP1 /dev/hdisk10 /dev/hdisk20");
    ok(env, "swsrpsetvol -Xgroup GRP1 /dev/hdisk11 /dev/hdisk21");
}

#[test]
fn swsrpstartsync_examples() {
    let env = TestEnv::new();
    group_world(&env);
    // The manual prints the command name as "swwsrpstartsync" (typo, compat.md).
    let completed = "FROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpstartsync completed\n";
    prints(
        &env,
        "swsrpstartsync -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV",
        completed,
    );
    ok(&env, "swsrpcancel /dev/vg01 /dev/vg01@TARG-SV");
    prints(
        &env,
        "swsrpstartsync -h SRC-SV -Xda /dev/vg01 /dev/vg01@TARG-SV",
        completed,
    );
    assert!(ok(&env, "swsrpstat -Xda /dev/vg01").contains(" on\n"));
    prints(
        &env,
        "swsrpstartsync -Xgroup GRP1",
        "GROUP=GRP1 swsrpstartsync completed\n",
    );
    // Already copying: informational swsrp2401, exit 0.
    let again = acm(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV");
    again.ok().stderr_has("swsrp2401");
}

#[test]
fn swsrpmake_examples() {
    let env = TestEnv::new();
    group_world(&env);
    prints(
        &env,
        "swsrpmake -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV",
        "FROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpmake completed\n",
    );
    let completed = "GROUP=GRP1 swsrpmake completed\n";
    prints(&env, "swsrpmake -Xgroup GRP1", completed);
    prints(&env, "swsrpmake -Xgroup GRP1 -Xconcur-opc", completed);
}

/// The states of the swsrpstat examples that OPC, QuickOPC and EC produce: an EC pair
/// `replicated`, a pair with no session (tracking after a QuickOPC), a restore at 45%.
fn stat_world(env: &TestEnv) {
    let volumes = on_both_servers(&[
        ("/dev/vg01", 64, 64),
        ("/dev/vg02", 64, 64),
        ("/dev/vg03", 64, 64),
    ]);
    world(env, "SRC-SV", &volumes);
    pair_with_targ(env, &["/dev/vg01", "/dev/vg02", "/dev/vg03"]);
    ok(env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV");
    env.sim(&["clock", "advance", "1m"]);
    ok(env, "swsrpmake /dev/vg01 /dev/vg01@TARG-SV");
    ok(env, "swsrpmake -T /dev/vg02 /dev/vg02@TARG-SV");
    ok(env, "swsrpmake /dev/vg03 /dev/vg03@TARG-SV");
    env.sim(&["clock", "advance", "1m"]);
    // 6% of vg02 (1024 tracks of 64 KiB) changed since its last copy.
    write(env, 2, 0, 61 * 65536, 6);
    // A restore of vg03 at 45%: 1 track/s for 461 s of 1024 tracks.
    env.sim(&["rate", "DX1", "1"]);
    ok(env, "swsrpmake /dev/vg03@TARG-SV /dev/vg03");
    env.sim(&["clock", "advance", "461s"]);
}

#[test]
fn swsrpstat_examples() {
    let env = TestEnv::new();
    stat_world(&env);
    // The manual's second row lacks its Execute column (compat.md).
    assert_eq!(
        ok(&env, "swsrpstat -h SRC-SV"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ----\n\
         SRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV regular ---- ----\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse snap 45%\n"
    );
    assert_eq!(
        ok(&env, "swsrpstat -h SRC-SV -L"),
        "Server Original-Volume Replica-Volume Direction Status Execute Trk Update Rcv Split Xfer Snap-Gen\n\
         SRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ---- ---- ---- ---- ---- ---- ----\n\
         SRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV regular ---- ---- on 6% ---- ---- ---- ----\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse snap 45% off ---- ---- ---- ---- ----\n"
    );
    assert_eq!(
        redact_dates(&ok(&env, "swsrpstat -h SRC-SV -Xall")),
        "Server Original-Volume Replica-Volume Direction Status Execute Trk Update Rcv Split Xfer Snap-Gen Copy-DA Date\n\
         SRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ---- ---- ---- ---- ---- ---- ---- off [DATE]\n\
         SRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV regular ---- ---- on 6% ---- ---- ---- ---- off [DATE]\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse snap 45% off ---- ---- ---- ---- ---- off [DATE]\n"
    );
    assert_eq!(
        redact_dates(&ok(&env, "swsrpstat -h SRC-SV -Xdate")),
        "Server Original-Volume Replica-Volume Direction Status Execute Date\n\
         SRC-SV /dev/vg01@SRC-SV /dev/vg01@TARG-SV regular replicated ---- [DATE]\n\
         SRC-SV /dev/vg02@SRC-SV /dev/vg02@TARG-SV regular ---- ---- [DATE]\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse snap 45% [DATE]\n"
    );
    // -E: only reverse sessions.
    assert!(ok(&env, "swsrpstat -E /dev/vg02").contains("/dev/vg02@TARG-SV ---- ---- ----\n"));
}

#[test]
fn swsrpcancel_examples() {
    let env = TestEnv::new();
    group_world(&env);
    ok(&env, "swsrpstartsync /dev/vg01 /dev/vg01@TARG-SV");
    // The manual's prompt line reads "#!/opt/FJSSVswsrp/bin/swsrpcancel" (typo, compat.md).
    prints(
        &env,
        "swsrpcancel -h SRC-SV /dev/vg01 /dev/vg01@TARG-SV",
        "FROM=/dev/vg01@SRC-SV,TO=/dev/vg01@TARG-SV swsrpcancel completed\n",
    );
    ok(&env, "swsrpmake -T -Xgroup GRP1");
    prints(
        &env,
        "swsrpcancel -Xgroup GRP1",
        "GROUP=GRP1 swsrpcancel completed\n",
    );
    // No copy left: the group cancel is an error.
    acm(&env, "swsrpcancel -Xgroup GRP1")
        .code(1)
        .stderr_has("swsrp0700");
}

// ----- state machine -------------------------------------------------------------------

pub(super) fn pair_world(env: &TestEnv) {
    world(
        env,
        "SV1",
        &[("/dev/hdisk10", None, 64), ("/dev/hdisk20", None, 64)],
    );
    ok(env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
}

#[test]
fn ec_transitions_follow_the_manual() {
    let env = TestEnv::new();
    pair_world(&env);
    env.sim(&["rate", "DX1", "0"]);
    ok(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk20");
    assert!(ok(&env, "swsrpstat").contains("regular sync 0%"));
    // Not equivalent yet: swsrpmake is refused and nothing changes.
    acm(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("not in equivalency maintenance status");
    acm(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("-T cannot be used");
    env.sim(&["rate", "DX1", "16384"]);
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat").contains("regular equivalent 100%"));
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    assert!(ok(&env, "swsrpstat").contains("regular replicated ----"));
    acm(&env, "swsrpstartsync -Xda /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("-Xda");
    ok(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk20");
    acm(&env, "swsrpdelvol /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("copy processing is in progress");
    ok(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk20");
    acm(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("no copy processing");
    ok(&env, "swsrpdelvol /dev/hdisk10 /dev/hdisk20");
}

#[test]
fn quickopc_tracking_and_cancel_t() {
    let env = TestEnv::new();
    pair_world(&env);
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat -L").contains("regular ---- ---- on 0%"));
    acm(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("snapshot session");
    ok(&env, "swsrpcancel -T /dev/hdisk10 /dev/hdisk20");
    assert!(ok(&env, "swsrpstat -L").contains("---- ---- ---- ---- ----"));
    acm(&env, "swsrpcancel -T /dev/hdisk10 /dev/hdisk20").code(1);
}

// ----- data ----------------------------------------------------------------------------

/// The bytes of DX1 volume `volume`.
pub(super) fn read(env: &TestEnv, volume: u32) -> Vec<u8> {
    dx::read(env, "DX1", volume)
}

/// `len` random bytes (from `seed`) written at `offset` of DX1 volume `volume`.
pub(super) fn write(env: &TestEnv, volume: u32, offset: u64, len: u64, seed: u64) {
    dx::write(env, "DX1", volume, offset, len, seed);
}

const VOL: u64 = 4 * 1024 * 1024;

fn scribble(env: &TestEnv, volume: u32, rng: &mut Lcg, writes: usize) {
    for _ in 0..writes {
        let len = 1 + rng.next(200_000);
        let offset = rng.next(VOL - len);
        let seed = rng.next(1 << 30);
        write(env, volume, offset, len, seed);
    }
}

#[test]
fn replicas_are_point_in_time_copies_and_restore_brings_the_source_back() {
    let env = TestEnv::new();
    world(
        &env,
        "SV1",
        &[
            ("/dev/hdisk10", None, 4),
            ("/dev/hdisk20", None, 4),
            ("/dev/hdisk21", None, 4),
            ("/dev/hdisk22", None, 4),
        ],
    );
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk21");
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk22");
    let mut rng = Lcg(42);
    scribble(&env, 0, &mut rng, 8);
    // Slow copies, so writes land while the background copies run.
    env.sim(&["rate", "DX1", "2"]);

    // OPC: the replica is the source at the swsrpmake, whatever is written after.
    let at_opc = read(&env, 0);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    scribble(&env, 0, &mut rng, 6);
    env.sim(&["clock", "advance", "10s"]);
    scribble(&env, 0, &mut rng, 6);

    // QuickOPC, then a differential copy, while writes go on.
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk21");
    scribble(&env, 0, &mut rng, 4);
    env.sim(&["rate", "DX1", "16384"]);
    env.sim(&["clock", "advance", "10s"]);
    scribble(&env, 0, &mut rng, 4);
    env.sim(&["rate", "DX1", "2"]);
    let at_qopc = read(&env, 0);
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk21");
    scribble(&env, 0, &mut rng, 6);

    // EC: writes during the copy and while equivalent are mirrored; the suspend freezes it.
    ok(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk22");
    scribble(&env, 0, &mut rng, 4);
    env.sim(&["rate", "DX1", "16384"]);
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat /dev/hdisk10").contains("/dev/hdisk22@SV1 regular equivalent 100%"));
    scribble(&env, 0, &mut rng, 4);
    let at_ec = read(&env, 0);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk22");
    scribble(&env, 0, &mut rng, 6);
    env.sim(&["clock", "advance", "1h"]);

    assert!(
        read(&env, 1) == at_opc,
        "OPC replica differs from the source at its point in time"
    );
    assert!(
        read(&env, 2) == at_qopc,
        "QuickOPC replica differs from the source at its point in time"
    );
    assert!(
        read(&env, 3) == at_ec,
        "EC replica differs from the source at its suspend"
    );
    assert!(read(&env, 0) != at_qopc);

    // Restore from the QuickOPC replica (reverse OPC while tracking stays).
    ok(&env, "swsrpmake /dev/hdisk21 /dev/hdisk10");
    env.sim(&["clock", "advance", "1h"]);
    assert!(
        read(&env, 0) == at_qopc,
        "restore did not bring the source back"
    );
}

#[test]
fn quickopc_differential_copies_only_changed_tracks() {
    let env = TestEnv::new();
    pair_world(&env);
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    let stats = |env: &TestEnv| dx::copied_bytes(env, "DX1");
    let full = stats(&env);
    assert_eq!(
        full,
        64 * 1024 * 1024,
        "the first QuickOPC copies the whole volume"
    );
    // Three tracks changed: 10 bytes in track 0, 70 KiB across tracks 5 and 6.
    write(&env, 0, 0, 10, 1);
    write(&env, 0, 5 * 65536 + 100, 70_000, 2);
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    assert_eq!(
        stats(&env) - full,
        3 * 65536,
        "the differential copy moved more than the changed tracks"
    );
}

// ----- scripts -------------------------------------------------------------------------

#[test]
fn failing_source_preprocessing_aborts_with_swsrp2613_and_starts_nothing() {
    let env = TestEnv::new();
    pair_world(&env);
    env.write("/etc/opt/FJSVswsrp/sh/RepSrc.pre", "#!/bin/sh\nexit 2\n");
    env.clear_calls();
    let run = acm(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    run.stderr_has("swsrp2613 An error occurred in the pre-processing script for creating a replica. Error Code = 2");
    assert!(run.code > 0);
    assert!(run.stdout.is_empty());
    assert!(!dx::started_a_copy(&env), "a session was started");
    assert!(ok(&env, "swsrpstat").contains("---- ---- ----"));
}

#[test]
fn default_scripts_refuse_volume_groups_until_customized() {
    let env = TestEnv::new();
    dx::setup_box(&env, "DX1", 2, "SV1");
    env.write(DEVICES, "/dev/vg01 DX1 0\n/dev/hdisk20 DX1 1\n");
    ok(&env, "swsrpsetvol /dev/vg01 /dev/hdisk20");
    acm(&env, "swsrpmake /dev/vg01 /dev/hdisk20")
        .code(1)
        .stderr_has("Error Code = 99");
    // -f skips the source scripts; the physical-disk destination scripts succeed.
    ok(&env, "swsrpmake -f /dev/vg01 /dev/hdisk20");
    assert!(
        !env.path("/etc/opt/FJSVswsrp/data/DEFAULT/hdisk20.dpre")
            .exists(),
        "RepDst.post did not clean up"
    );
}

// ----- bad input -----------------------------------------------------------------------

#[test]
fn bad_input_is_refused_with_a_message_and_changes_nothing() {
    let env = TestEnv::new();
    pair_world(&env);
    acm(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk99")
        .code(1)
        .stderr_has("swsrp0630")
        .stderr_has("/dev/hdisk99@SV1");
    acm(&env, "swsrpmake /dev/hdisk10 /dev/hdisk99")
        .code(1)
        .stderr_has("swsrp0631");
    acm(&env, "swsrpmake -ft /dev/hdisk10 /dev/hdisk20")
        .code(2)
        .stderr_has("-ft is not a valid option")
        .stderr_has("Usage: swsrpmake");
    acm(&env, "swsrpmake -T -j /dev/hdisk10 /dev/hdisk20")
        .code(2)
        .stderr_has("cannot be given together");
    acm(&env, "swsrpmake /dev/hdisk10")
        .code(2)
        .stderr_has("2 volume operand(s) expected");
    acm(&env, "swsrpmake -Xreverse /dev/hdisk10 /dev/hdisk20")
        .code(2)
        .stderr_has("-Xreverse can only be given with -Xgroup");
    acm(&env, "swsrpmake -Xconcur-opc /dev/hdisk10 /dev/hdisk20").code(2);
    acm(&env, "swsrpsetvol -o SOMETIMES /dev/hdisk10 /dev/hdisk20").code(2);
    acm(&env, "swsrpsetvol /dev/hdisk10 'x;rm'").code(2);
    acm(&env, "swsrpstat -h OTHER-SV")
        .code(1)
        .stderr_has("OTHER-SV is not this Managed Server (SV1) and is not declared in");
    acm(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("swsrp0632");
    acm(&env, "swsrpsetvol /dev/hdisk20 /dev/hdisk10")
        .code(1)
        .stderr_has("swsrp0632");
    // Options after operands are fine.
    ok(&env, "swsrpstat /dev/hdisk10 -L");
    assert_eq!(
        ok(&env, "swsrpvolinfo").lines().count(),
        2,
        "a refused command changed the list"
    );
}

#[test]
fn corrupt_or_locked_repository_is_a_clear_error() {
    let env = TestEnv::new();
    pair_world(&env);
    let db = env.path("/etc/opt/FJSVswsrp/data/DEFAULT/replication.db");
    let conn = rusqlite::Connection::open(&db).expect("open");
    conn.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let mut cmd = env.command(env!("CARGO_BIN_EXE_swsrpvolinfo"));
    let out = cmd
        .env("ARRAYSYNC_ACM_BUSY_MS", "200")
        .output()
        .expect("spawn");
    assert!(out.status.code().unwrap_or(0) > 0);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("swsrp0710"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    conn.execute_batch("ROLLBACK").expect("unlock");
    drop(conn);
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    std::fs::write(&db, vec![b'x'; 8192]).expect("corrupt");
    acm(&env, "swsrpvolinfo").code(1).stderr_has("corrupt");
    acm(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("swsrp0710");
    assert_eq!(
        std::fs::read(&db).expect("read"),
        vec![b'x'; 8192],
        "the corrupt file was changed"
    );
}

#[test]
fn concurrent_config_change_is_excluded_while_an_operation_runs() {
    let env = TestEnv::new();
    pair_world(&env);
    let mut make = swsrpmake_hung_at_the_start(&env);
    let run = acm(&env, "swsrpdelvol /dev/hdisk10 /dev/hdisk20");
    let _ = make.kill();
    let _ = make.wait();
    run.code(1).stderr_has("swsrp0720").stderr_has("swsrpmake");
    // Displays are not excluded.
    env.sim(&["fault", "clear"]);
    ok(&env, "swsrpvolinfo");
}

#[test]
fn resource_locked_is_retried_and_session_limit_reported() {
    let env = TestEnv::new();
    pair_world(&env);
    env.fault("eternus-cli", &["--command", "start", "--times", "2"]);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    env.sim(&["eternus", "limit", "DX1", "0"]);
    acm(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("E0135");
}

#[test]
fn bad_sector_fails_the_session() {
    let env = TestEnv::new();
    pair_world(&env);
    write(&env, 0, 0, 1000, 1);
    env.sim(&["eternus", "bad-sector", "DX1", "0", "0"]);
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat").contains("regular failed ----"));
    assert!(ok(&env, "swsrpstat -O").contains("regular failed(badsector)"));
}

/// `swsrpmake /dev/hdisk10 /dev/hdisk20` running in the background, its session start
/// hanging on the array (returns once the start reached the array).
pub(super) fn swsrpmake_hung_at_the_start(env: &TestEnv) -> std::process::Child {
    env.hang("eternus-cli", "start");
    let make = env.spawn_quiet(
        env!("CARGO_BIN_EXE_swsrpmake"),
        &["/dev/hdisk10", "/dev/hdisk20"],
    );
    env.wait_for_command(
        "eternus-cli",
        "start",
        15,
        "swsrpmake never reached the array",
    );
    make
}

// ----- the eternus resource type -------------------------------------------------------

pub struct EternusFixture;

const MUTATING: &[&str] = &["start", "stop", "suspend", "resume"];

impl Fixture for EternusFixture {
    fn rtype(&self) -> &'static str {
        "eternus"
    }

    fn setup(&self, env: &TestEnv) {
        pair_world(env);
        ok(env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
        env.sim(&["clock", "advance", "5s"]);
        env.write_service(SVC, "[DEFAULT]\n\n[sync#1]\ntype = eternus\narray = DX1\npairs = /dev/hdisk10:/dev/hdisk20\nmode = quickopc\n");
    }

    fn mutating_commands(&self) -> &'static [&'static str] {
        MUTATING
    }

    fn hang_resync(&self) -> Vec<&'static str> {
        vec!["--prog", "eternus-cli", "--command", "start"]
    }

    fn damage_one_pair(&self, env: &TestEnv) -> String {
        env.sim(&["eternus", "fail", "DX1", "0"]);
        "/dev/hdisk10".into()
    }

    fn damaged_state(&self) -> &'static str {
        "warn"
    }

    fn unsupported_actions(&self) -> &'static [&'static [&'static str]] {
        &[&["sync", "break"]]
    }

    fn mandatory_keyword(&self) -> &'static str {
        "array"
    }

    fn hostile_value(&self) -> (&'static str, &'static str) {
        ("pairs", "/dev/hdisk10:/dev/hdisk20;touch /tmp/x")
    }
}

crate::conformance!(eternus_conformance, super::EternusFixture);

#[test]
fn ec_resource_resync_suspends_a_consistent_copy() {
    let env = TestEnv::new();
    pair_world(&env);
    env.write_service(
        "ecsvc",
        "[sync#1]\ntype = eternus\narray = DX1\npairs = /dev/hdisk10:/dev/hdisk20\nmode = ec\n",
    );
    env.syncresync(&["-s", "ecsvc"]).ok();
    assert!(ok(&env, "swsrpstat").contains("regular replicated ----"));
    let status = env.arraysync(&["-s", "ecsvc", "print", "status", "--format", "json"]);
    status.ok();
    assert_eq!(status.json()[0]["status"], "up", "{}", status.stdout);
    env.syncresync(&["-s", "ecsvc", "--force"]).ok();
    let log = env.log("ecsvc");
    assert!(log.contains("resume advanced-copy"), "{log}");
    assert!(log.contains("suspend advanced-copy"), "{log}");
}

/// Issue 8 item 4: swsrpmake checks the repository is writable before it touches the
/// array: a locked repository fails the command with no session started.
#[test]
fn swsrpmake_checks_the_repository_before_starting_a_copy() {
    let env = TestEnv::new();
    pair_world(&env);
    env.clear_calls();
    let db = env.path("/etc/opt/FJSVswsrp/data/DEFAULT/replication.db");
    let holder = rusqlite::Connection::open(&db).expect("open");
    holder.execute_batch("BEGIN IMMEDIATE").expect("lock");
    let mut cmd = env.command(env!("CARGO_BIN_EXE_swsrpmake"));
    cmd.args(["/dev/hdisk10", "/dev/hdisk20"])
        .env("ARRAYSYNC_ACM_BUSY_MS", "200")
        .env("ARRAYSYNC_ACM_WAITLOCK", "2");
    let output = cmd.output().expect("run");
    drop(holder);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("replication.db"), "{stderr}");
    assert!(
        !dx::started_a_copy(&env),
        "a session was started before the repository was checked"
    );
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
}

/// One CLI session keeps the array it parsed between its commands; a change made by another
/// process between two commands (here the session limit, then a second session stopping
/// the copy) must be what the next command of the first session sees.
#[test]
fn a_cli_session_sees_what_other_processes_change_between_its_commands() {
    use std::io::{Read, Write};
    let env = TestEnv::new();
    pair_world(&env);
    let mut child = dx::cli_session(&env, "DX1", std::process::Stdio::piped());
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stdout = child.stdout.take().expect("stdout");
    // Everything up to the next prompt.
    let mut answer = move || -> String {
        let mut answer = Vec::new();
        let mut chunk = [0u8; 4096];
        while !answer.ends_with(b"CLI> ") {
            let n = stdout.read(&mut chunk).expect("read");
            assert!(n > 0, "session ended: {}", String::from_utf8_lossy(&answer));
            answer.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8_lossy(&answer).into_owned()
    };
    answer();
    let mut ask = |line: &str| -> String {
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .expect("write");
        answer()
    };
    assert!(ask("show advanced-copy-sessions").contains("SID"));
    env.sim(&["eternus", "limit", "DX1", "0"]);
    let start = "start advanced-copy -mode ec -source-volume-number 0 -destination-volume-number 1";
    let refused = ask(start);
    assert!(refused.contains("E0135"), "{refused}");
    env.sim(&["eternus", "limit", "DX1", "8"]);
    let started = ask(start);
    assert!(!started.contains("Error"), "{started}");
    assert!(ask("show advanced-copy-sessions").contains("EC"));
    // Another session stops the copy between two commands of this one.
    let mut other = dx::cli_session(&env, "DX1", std::process::Stdio::null());
    other
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"stop advanced-copy -session-id 1\nexit\n")
        .expect("write");
    assert!(other.wait().expect("wait").success());
    let listing = ask("show advanced-copy-sessions");
    assert!(!listing.contains("EC "), "{listing}");
    stdin.write_all(b"exit\n").expect("write");
    assert!(child.wait().expect("wait").success());
}
