//! ETERNUS replication, part 2: a test per defect of the first part (issue 13), each
//! failing before its fix, and the emulator's copy semantics (copy-before-write on the
//! OPC destination, EC destination write refusal, source changes made outside the
//! emulator).

use super::dx::{self, CUSTOMIZED};
use super::env::TestEnv;
use super::eternus::{
    acm, group_world, ok, pair_world, prints, read, swsrpmake_hung_at_the_start, world, write,
};

fn script(env: &TestEnv, name: &str, text: &str) {
    env.write_executable(&format!("/etc/opt/FJSVswsrp/sh/{name}"), text);
}

/// Two EC pairs in group GRP1, equivalent.
fn ec_group(env: &TestEnv) {
    group_world(env);
    ok(env, "swsrpstartsync -Xgroup GRP1");
    env.sim(&["clock", "advance", "10s"]);
    let stat = ok(env, "swsrpstat -Xgroup GRP1");
    assert_eq!(stat.matches("regular equivalent 100%").count(), 2, "{stat}");
}

// ----- defect 1: -Xconcur-opc refuses a group with synchronous pairs --------------------

#[test]
fn concurrent_opc_on_a_group_of_ec_pairs_fails_and_changes_nothing() {
    let env = TestEnv::new();
    ec_group(&env);
    env.clear_calls();
    acm(&env, "swsrpmake -Xgroup GRP1 -Xconcur-opc")
        .code(1)
        .stderr_has("Concurrent OPC");
    let stat = ok(&env, "swsrpstat -Xgroup GRP1");
    assert_eq!(stat.matches("regular equivalent 100%").count(), 2, "{stat}");
    assert!(
        !env.commands(Some("eternus-cli"))
            .iter()
            .any(|c| !c.starts_with("show")),
        "the array was changed: {:?}",
        env.commands(Some("eternus-cli"))
    );
    // -Xconcur is the Concurrent Suspend: the same group is suspended at once.
    ok(&env, "swsrpmake -Xgroup GRP1 -Xconcur");
    let stat = ok(&env, "swsrpstat -Xgroup GRP1");
    assert_eq!(stat.matches("regular replicated ----").count(), 2, "{stat}");
    let suspends: Vec<String> = env
        .commands(Some("eternus-cli"))
        .into_iter()
        .filter(|c| c.starts_with("suspend"))
        .collect();
    assert_eq!(suspends.len(), 1, "{suspends:?}");
}

#[test]
fn concurrent_suspend_of_a_snapshot_group_is_refused() {
    let env = TestEnv::new();
    group_world(&env);
    acm(&env, "swsrpmake -Xgroup GRP1 -Xconcur")
        .code(1)
        .stderr_has("Concurrent Suspend");
    let stat = ok(&env, "swsrpstat -Xgroup GRP1");
    assert_eq!(stat.matches("---- ---- ----").count(), 2, "{stat}");
}

// ----- defect 2: -Xconcur with one pair ----------------------------------------------------

#[test]
fn concurrent_suspend_of_one_pair_is_allowed() {
    let env = TestEnv::new();
    pair_world(&env);
    ok(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    prints(
        &env,
        "swsrpmake -Xconcur /dev/hdisk10 /dev/hdisk20",
        "FROM=/dev/hdisk10@SV1,TO=/dev/hdisk20@SV1 swsrpmake completed\n",
    );
    assert!(ok(&env, "swsrpstat").contains("regular replicated ----"));
    // -Xconcur-opc keeps needing -Xgroup.
    acm(&env, "swsrpmake -Xconcur-opc /dev/hdisk10 /dev/hdisk20")
        .code(2)
        .stderr_has("-Xgroup");
}

// ----- defect 3: a snapshot that ended between the query and its stop -------------------

/// The array answers the next stop as it does once the session is gone.
fn the_next_stop_finds_no_session(env: &TestEnv) {
    let gone = "Error: E0110 Resource does not exist.";
    env.fault(
        "eternus-cli",
        &["--command", "stop", "--message", gone, "--times", "1"],
    );
}

#[test]
fn restarting_a_snapshot_whose_session_just_ended_makes_a_new_copy() {
    let env = TestEnv::new();
    pair_world(&env);
    env.sim(&["rate", "DX1", "0"]);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    assert!(ok(&env, "swsrpstat").contains("regular snap 0%"));
    the_next_stop_finds_no_session(&env);
    env.clear_calls();
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    let commands = env.commands(Some("eternus-cli"));
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("start advanced-copy")),
        "no new copy: {commands:?}"
    );
    assert!(ok(&env, "swsrpstat").contains("regular snap 0%"));
}

#[test]
fn restarting_a_group_whose_sessions_just_ended_makes_new_copies() {
    let env = TestEnv::new();
    group_world(&env);
    env.sim(&["rate", "DX1", "0"]);
    ok(&env, "swsrpmake -Xgroup GRP1 -Xconcur-opc");
    the_next_stop_finds_no_session(&env);
    env.clear_calls();
    ok(&env, "swsrpmake -Xgroup GRP1 -Xconcur-opc");
    let starts = env
        .commands(Some("eternus-cli"))
        .into_iter()
        .filter(|c| c.starts_with("start"))
        .count();
    assert_eq!(starts, 1);
    let stat = ok(&env, "swsrpstat -Xgroup GRP1");
    assert_eq!(stat.matches("regular snap 0%").count(), 2, "{stat}");
}

// ----- defect 4: both post-processing scripts run ---------------------------------------

#[test]
fn failed_source_postprocessing_still_runs_the_destination_one() {
    let env = TestEnv::new();
    pair_world(&env);
    env.sim(&["rate", "DX1", "0"]);
    let marker = env.path("/dst-post-ran");
    script(&env, "RepSrc.post", "#!/bin/sh\nexit 3\n");
    script(
        &env,
        "RepDst.post",
        &format!("#!/bin/sh\necho \"$1\" > '{}'\nexit 0\n", marker.display()),
    );
    let run = acm(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    assert!(run.code > 0, "{}", run.stdout);
    run.stderr_has("Error Code = 3");
    assert!(marker.exists(), "RepDst.post was skipped");
    // The copy was made.
    assert!(ok(&env, "swsrpstat").contains("regular snap"));
}

// ----- defect 9: an empty session listing is an error -----------------------------------

#[test]
fn an_empty_session_listing_is_an_error_not_no_sessions() {
    let env = TestEnv::new();
    pair_world(&env);
    env.fault("eternus-cli", &["--command", "show", "--message", ""]);
    env.clear_calls();
    acm(&env, "swsrpstat").code(1).stderr_has("no table header");
    acm(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("no table header");
    assert!(
        !dx::started_a_copy(&env),
        "a copy was started on an unread state"
    );
}

// ----- emulator: copy semantics (defects 5, 6, 7) --------------------------------------

const MB4: usize = 4 * 1024 * 1024;

/// Volumes 0 and 1 of 4 MiB (/dev/hdisk10, /dev/hdisk20), registered as a pair; volume 0
/// filled with random data.
fn small_pair(env: &TestEnv) -> Vec<u8> {
    world(
        env,
        "SV1",
        &[("/dev/hdisk10", None, 4), ("/dev/hdisk20", None, 4)],
    );
    ok(env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
    write(env, 0, 0, MB4 as u64, 7);
    read(env, 0)
}

fn sim_write(env: &TestEnv, volume: u32, offset: u64, len: u64, seed: u64) -> super::env::Run {
    let (v, o, l, s) = (
        volume.to_string(),
        offset.to_string(),
        len.to_string(),
        seed.to_string(),
    );
    let args = [
        "eternus", "write", "DX1", &v, &o, "--random", &l, "--seed", &s,
    ];
    env.run(super::env::arraysim_bin(), &args)
}

/// The bytes `arraysim eternus write --random LEN --seed S` writes.
fn random(env: &TestEnv, len: u64, seed: u64) -> Vec<u8> {
    // Written on a scratch volume and read back: the test does not copy the generator.
    env.sim(&["eternus", "add-volume", "DX1", "99", "--size-mb", "4"]);
    write(env, 99, 0, len, seed);
    read(env, 99)[..len as usize].to_vec()
}

#[test]
fn a_write_to_an_opc_destination_mid_copy_keeps_the_rest_of_the_image() {
    let env = TestEnv::new();
    let image = small_pair(&env);
    env.sim(&["rate", "DX1", "0"]);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    // Nothing copied yet: the destination reads as the point-in-time image.
    assert!(
        read(&env, 1) == image,
        "uncopied destination is not the image"
    );
    // The source changes after the make; the image does not.
    write(&env, 0, 300_000, 50_000, 11);
    // A 100-byte host write inside track 1 of the destination.
    write(&env, 1, 70_000, 100, 12);
    let mut expected = image.clone();
    expected[70_000..70_100].copy_from_slice(&random(&env, 100, 12));
    assert!(
        read(&env, 1) == expected,
        "destination lost bytes around the write"
    );
    env.sim(&["rate", "DX1", "16384"]);
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat").contains("---- ---- ----"));
    let got = read(&env, 1);
    let first_diff = got.iter().zip(&expected).position(|(a, b)| a != b);
    assert_eq!(first_diff, None, "copied replica differs from the image");
}

#[test]
fn an_ec_destination_refuses_writes_until_suspended() {
    let env = TestEnv::new();
    let image = small_pair(&env);
    ok(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat").contains("regular equivalent"));
    let refused = sim_write(&env, 1, 0, 512, 3);
    assert_ne!(
        refused.code, 0,
        "write to an equivalent EC destination accepted"
    );
    refused.stderr_has("destination of copy session");
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    assert!(read(&env, 1) == image, "replica differs from the source");
    // Replicated (suspended): the replica is the host's.
    assert_eq!(sim_write(&env, 1, 0, 512, 3).code, 0);
    // -Xda blocks reads too.
    ok(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk20");
    ok(&env, "swsrpstartsync -Xda /dev/hdisk10 /dev/hdisk20");
    let run = env.run(
        super::env::arraysim_bin(),
        &["eternus", "read", "DX1", "1", "--out", "/dev/null"],
    );
    assert_ne!(run.code, 0, "read of a -Xda destination accepted");
}

/// Writes bytes straight into a volume's file, as a process outside the emulator would.
fn poke(env: &TestEnv, volume: u32, offset: u64, bytes: &[u8]) {
    use std::io::{Seek, SeekFrom, Write};
    let path = env.path(&format!("/var/lib/arraysim/eternus/DX1/vol{volume}.img"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    f.seek(SeekFrom::Start(offset)).expect("seek");
    f.write_all(bytes).expect("write");
}

#[test]
fn source_changes_made_straight_into_the_file_are_copied() {
    let env = TestEnv::new();
    world(
        &env,
        "SV1",
        &[("/dev/hdisk10", None, 4), ("/dev/hdisk20", None, 4)],
    );
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
    // One emulator write creates the file; the rest of it is written behind its back.
    write(&env, 0, 0, 16, 1);
    poke(&env, 0, 1_000_000, &[0xAB; 300_000]);
    poke(&env, 0, 4 * 1024 * 1024 - 10, &[0xCD; 10]);
    // Full OPC.
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    assert!(read(&env, 1) == read(&env, 0), "full OPC missed bytes");
    // QuickOPC differential restart after more straight writes.
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    poke(&env, 0, 2_500_000, &[0x11; 70_000]);
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    assert!(read(&env, 1) == read(&env, 0), "QuickOPC missed bytes");
    ok(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk20");
    // EC: equivalent, then a straight write, then the split.
    ok(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    poke(&env, 0, 3_000_000, &[0x22; 5_000]);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    assert!(read(&env, 1) == read(&env, 0), "EC split missed bytes");
    // And an EC resume.
    poke(&env, 0, 100_000, &[0x33; 5_000]);
    ok(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk20");
    env.sim(&["clock", "advance", "10s"]);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    assert!(read(&env, 1) == read(&env, 0), "EC resume missed bytes");
}

// ----- defect 8: the eternus resource starts a group's copies together -----------------

/// 20 pairs in group G20 (volumes 2k → 2k+1 of 64 MiB), a service over it.
fn resource_group(env: &TestEnv, mode: &str) {
    dx::setup_box(env, "DX1", 40, "SV1");
    super::eternus::install_scripts(env, CUSTOMIZED);
    for i in 0..20 {
        ok(
            env,
            &format!(
                "swsrpsetvol -Xgroup G20 /dev/hdisk{} /dev/hdisk{}",
                10 + 2 * i,
                11 + 2 * i
            ),
        );
    }
    env.write_service(
        "grp",
        &format!("[sync#1]\ntype = eternus\narray = DX1\ngroup = G20\nmode = {mode}\n"),
    );
}

#[test]
fn the_resource_starts_every_pair_of_a_group_in_one_command() {
    for mode in ["opc", "quickopc"] {
        let env = TestEnv::new();
        resource_group(&env, mode);
        for round in 0..2 {
            env.sim(&["rate", "DX1", "0"]);
            env.clear_calls();
            env.syncresync(&["-s", "grp", "--force"]).ok();
            let commands = env.commands(Some("eternus-cli"));
            let starts: Vec<&String> = commands.iter().filter(|c| c.starts_with("start")).collect();
            assert_eq!(starts.len(), 1, "{mode} round {round}: {commands:?}");
            assert_eq!(
                starts[0].matches(',').count(),
                2 * 19,
                "{mode}: not every pair in the start: {}",
                starts[0]
            );
            let shows = commands.iter().filter(|c| c.starts_with("show")).count();
            assert!(shows <= 2, "{mode}: {shows} queries: {commands:?}");
            let stat = ok(&env, "swsrpstat -Xgroup G20");
            assert_eq!(stat.matches(" snap ").count(), 20, "{stat}");
        }
    }
}

#[test]
fn the_ec_resource_starts_and_suspends_a_group_in_one_command_each() {
    let env = TestEnv::new();
    resource_group(&env, "ec");
    env.clear_calls();
    env.syncresync(&["-s", "grp"]).ok();
    let commands = env.commands(Some("eternus-cli"));
    for verb in ["start", "suspend"] {
        assert_eq!(
            commands.iter().filter(|c| c.starts_with(verb)).count(),
            1,
            "{verb}: {commands:?}"
        );
    }
    let stat = ok(&env, "swsrpstat -Xgroup G20");
    assert_eq!(stat.matches("regular replicated").count(), 20, "{stat}");
    env.clear_calls();
    env.syncresync(&["-s", "grp", "--force"]).ok();
    let commands = env.commands(Some("eternus-cli"));
    for verb in ["resume", "suspend"] {
        assert_eq!(
            commands.iter().filter(|c| c.starts_with(verb)).count(),
            1,
            "{verb}: {commands:?}"
        );
    }
}

#[test]
fn the_resource_takes_the_command_exclusion_locks() {
    let env = TestEnv::new();
    resource_group(&env, "quickopc");
    env.hang("eternus-cli", "start");
    let mut resync = env.spawn_quiet(env!("CARGO_BIN_EXE_syncresync"), &["-s", "grp"]);
    env.wait_for_command(
        "eternus-cli",
        "start",
        20,
        "the resource never reached the array",
    );
    let delvol = acm(&env, "swsrpdelvol /dev/hdisk10 /dev/hdisk11");
    let make = acm(&env, "swsrpmake -T /dev/hdisk12 /dev/hdisk13");
    let _ = resync.kill();
    let _ = resync.wait();
    delvol
        .code(1)
        .stderr_has("swsrp0720")
        .stderr_has("eternus resource");
    make.code(1).stderr_has("swsrp0720");
}

// ----- swsrprevsync -----------------------------------------------------------------------

#[test]
fn swsrprevsync_example_and_reversed_resume() {
    let env = TestEnv::new();
    world(
        &env,
        "SRC-SV",
        &[("/dev/vg03", None, 4), ("/dev/vg03", Some("TARG-SV"), 4)],
    );
    ok(&env, "swsrpsetvol /dev/vg03 /dev/vg03@TARG-SV");
    write(&env, 0, 0, MB4 as u64, 21);
    ok(&env, "swsrpstartsync /dev/vg03 /dev/vg03@TARG-SV");
    env.sim(&["clock", "advance", "10s"]);
    ok(&env, "swsrpmake /dev/vg03 /dev/vg03@TARG-SV");
    // Not suspended the other way: refused.
    acm(&env, "swsrprevsync /dev/vg03@TARG-SV /dev/vg03").code(1);
    prints(
        &env,
        "swsrprevsync /dev/vg03 /dev/vg03@TARG-SV",
        "FROM=/dev/vg03@TARG-SV,TO=/dev/vg03@SRC-SV swsrprevsync completed\n",
    );
    // The manual's transcript (6.5.2.2 / 8.3.2.6).
    assert_eq!(
        ok(&env, "swsrpstat -h SRC-SV /dev/vg03@SRC-SV"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV reverse replicated ----\n"
    );
    prints(
        &env,
        "swsrprevsync /dev/vg03@TARG-SV /dev/vg03@SRC-SV",
        "FROM=/dev/vg03@SRC-SV,TO=/dev/vg03@TARG-SV swsrprevsync completed\n",
    );
    assert_eq!(
        ok(&env, "swsrpstat /dev/vg03@SRC-SV"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SRC-SV /dev/vg03@SRC-SV /dev/vg03@TARG-SV regular replicated ----\n"
    );
    // Reversed, a resume copies the replica's changes back onto the original.
    ok(&env, "swsrprevsync /dev/vg03 /dev/vg03@TARG-SV");
    write(&env, 1, 500_000, 70_000, 22);
    let replica = read(&env, 1);
    ok(&env, "swsrpstartsync /dev/vg03@TARG-SV /dev/vg03");
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat").contains("reverse equivalent"));
    assert!(
        read(&env, 0) == replica,
        "the original did not get the replica's data"
    );
    // A unidirectional pair cannot be reversed.
    ok(&env, "swsrpcancel /dev/vg03@TARG-SV /dev/vg03");
    ok(&env, "swsrpdelvol /dev/vg03 /dev/vg03@TARG-SV");
    ok(&env, "swsrpsetvol -u /dev/vg03 /dev/vg03@TARG-SV");
    ok(&env, "swsrpstartsync /dev/vg03 /dev/vg03@TARG-SV");
    env.sim(&["clock", "advance", "10s"]);
    ok(&env, "swsrpmake /dev/vg03 /dev/vg03@TARG-SV");
    acm(&env, "swsrprevsync /dev/vg03 /dev/vg03@TARG-SV")
        .code(1)
        .stderr_has("unidirectional");
}

// ----- swsrprecoverres --------------------------------------------------------------------

/// Kills a swsrpmake while the array hangs on its start: the source pre-processing ran,
/// the post-processing did not.
fn interrupted_make(env: &TestEnv) -> (std::path::PathBuf, std::path::PathBuf) {
    pair_world(env);
    let (src, dst) = (env.path("/src-post"), env.path("/dst-post"));
    script(
        env,
        "RepSrc.post",
        &format!("#!/bin/sh\necho \"$1\" > '{}'\n", src.display()),
    );
    script(
        env,
        "RepDst.post",
        &format!("#!/bin/sh\necho \"$1\" > '{}'\n", dst.display()),
    );
    let mut make = swsrpmake_hung_at_the_start(env);
    let _ = make.kill();
    let _ = make.wait();
    env.sim(&["fault", "clear"]);
    assert!(!src.exists() && !dst.exists());
    (src, dst)
}

#[test]
fn swsrprecoverres_runs_the_post_processing_an_interrupted_swsrpmake_left() {
    let env = TestEnv::new();
    let (src, dst) = interrupted_make(&env);
    prints(&env, "swsrprecoverres", "swsrprecoverres completed\n");
    assert_eq!(
        std::fs::read_to_string(&src).expect("src post").trim(),
        "/dev/hdisk10"
    );
    assert_eq!(
        std::fs::read_to_string(&dst).expect("dst post").trim(),
        "/dev/hdisk20"
    );
    // Done once: a second run has nothing to do.
    std::fs::remove_file(&src).expect("rm");
    ok(&env, "swsrprecoverres");
    assert!(!src.exists());
    // -r rebuilds the device information from the array too.
    ok(&env, "swsrprecoverres -r");
}

#[test]
fn swsrprecoverres_p_drops_the_pending_post_processing() {
    let env = TestEnv::new();
    let (src, dst) = interrupted_make(&env);
    ok(&env, "swsrprecoverres -p");
    ok(&env, "swsrprecoverres");
    assert!(!src.exists() && !dst.exists());
    // A completed swsrpmake owes nothing.
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    std::fs::remove_file(&src).expect("post ran");
    ok(&env, "swsrprecoverres");
    assert!(!src.exists());
    acm(&env, "swsrprecoverres extra").code(2);
}

// ----- option audit: swsrpdelvol -d ------------------------------------------------------

/// 8.3.1.3: `-d` (no communication with the linked server) "is valid only for
/// server-to-server replication": on a single-server pair it is refused and the pair
/// stays; on an inter-server pair it deletes.
#[test]
fn swsrpdelvol_d_is_for_server_to_server_pairs_only() {
    let env = TestEnv::new();
    world(
        &env,
        "SRC-SV",
        &[
            ("/dev/vg01", None, 4),
            ("/dev/vg02", None, 4),
            ("/dev/vg01", Some("TARG-SV"), 4),
        ],
    );
    ok(&env, "swsrpsetvol /dev/vg01 /dev/vg02");
    ok(&env, "swsrpsetvol -o ORG /dev/vg01 /dev/vg01@TARG-SV");
    acm(&env, "swsrpdelvol -d /dev/vg01 /dev/vg02")
        .code(1)
        .stderr_has("server-to-server");
    assert!(ok(&env, "swsrpvolinfo").contains("/dev/vg02@SRC-SV"));
    assert_eq!(
        ok(&env, "swsrpdelvol -d /dev/vg01 /dev/vg01@TARG-SV"),
        "swsrpdelvol completed\n"
    );
    let left = ok(&env, "swsrpvolinfo");
    assert!(!left.contains("TARG-SV"), "{left}");
    assert!(left.contains("/dev/vg02@SRC-SV"), "{left}");
}

// ----- issue 8 item 14: an action is confirmed on the array, pair by pair ---------------

/// The array answers the `start` with its bare prompt but starts nothing for pair 2:3.
fn start_dropped(env: &TestEnv, pair: &str) {
    env.fault(
        "eternus-cli",
        &["--command", "start", "--pair", pair, "--message", ""],
    );
}

#[test]
fn a_start_the_array_accepts_but_does_not_do_is_an_error_naming_the_pair() {
    let env = TestEnv::new();
    resource_group(&env, "ec");
    start_dropped(&env, "2:3");
    env.clear_calls();
    env.syncresync(&["-s", "grp"])
        .code(1)
        .stderr_has("pair /dev/hdisk12@SV1,/dev/hdisk13@SV1 (regular direction) has no copy session: the array did not start it");
    let commands = env.commands(Some("eternus-cli"));
    // One listing before the start, one after it for all 20 pairs; no suspend.
    let shows = commands.iter().filter(|c| c.starts_with("show")).count();
    assert_eq!(shows, 2, "{commands:?}");
    assert!(
        !commands.iter().any(|c| c.starts_with("suspend")),
        "{commands:?}"
    );
    let stat = ok(&env, "swsrpstat -Xgroup G20");
    assert_eq!(
        stat.matches("regular sync").count() + stat.matches("regular equivalent").count(),
        19,
        "{stat}"
    );
}

#[test]
fn a_snapshot_the_array_accepts_but_does_not_start_is_not_recorded() {
    let env = TestEnv::new();
    pair_world(&env);
    start_dropped(&env, "0:1");
    acm(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("has no copy session: the array did not start it");
    let stat = ok(&env, "swsrpstat /dev/hdisk10");
    assert!(!stat.contains("snap"), "{stat}");
    env.sim(&["fault", "clear"]);
    ok(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20");
}
