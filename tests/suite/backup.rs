//! ETERNUS backup management (swst*): the execution examples of seed 004 chapter 8.1 as
//! transcripts, data tests (backup, overwrite, restore, byte for byte; QuickOPC counter; EC;
//! `-r`; the oldest generation after rotation), pre-processing failure, device map files,
//! the management list's save/restore and resource match, bad input and the root rule.

use super::acm::{acm, acm_with, bin, ok, redact_dates, run_as_non_root};
use super::dx::{self, BACKUP_SCRIPTS, CUSTOMIZED, DEVICES};
use super::env::TestEnv;

const ALL: &[&str] = &[
    "swstsvrset",
    "swstsvrdisp",
    "swstdevinfoset",
    "swstdevdisp",
    "swstbkpolset",
    "swstbkpoldisp",
    "swstbkpoldel",
    "swstbackup",
    "swstbackstat",
    "swstrestore",
    "swstcancelrest",
    "swstreststat",
    "swsthistdisp",
    "swsthistdel",
    "swststartsync",
    "swstcancelsync",
    "swstsyncstat",
    "swstexecstat",
    "swstcanceltrk",
    "swsttrkstat",
    "swstsrsemtch",
    "swstsrsemth",
    "swstresback",
    "swstresrst",
];

/// The command's stdout must be `expected` (dates replaced by `[DATE]`).
#[track_caller]
fn transcript(env: &TestEnv, line: &str, expected: &str) {
    let out = redact_dates(&ok(env, line));
    assert_eq!(out, expected, "{line}");
}

/// The four backup scripts (OpcBackup/OpcRestore .pre/.post) written with `text`.
fn install_scripts(env: &TestEnv, text: &str) {
    dx::install_scripts(env, BACKUP_SCRIPTS, text);
}

/// DX1 with the given devices (name, MB) on volumes 0, 1, ..., this server named `server`,
/// customized (always succeeding) scripts, swstsvrset done.
fn world(env: &TestEnv, server: &str, devices: &[(&str, u64)]) {
    dx::setup_box(env, "DX1", 0, server);
    let mut map = String::from("# test devices\n");
    for (n, (device, mb)) in devices.iter().enumerate() {
        dx::add_volume(env, "DX1", n, *mb, &[]);
        map.push_str(&format!("{device} DX1 {n}\n"));
    }
    env.write(DEVICES, &map);
    install_scripts(env, CUSTOMIZED);
    ok(env, "swstsvrset");
}

fn vgs(range: std::ops::RangeInclusive<u32>, mb: u64) -> Vec<(String, u64)> {
    range.map(|n| (format!("/dev/vg{n:02}"), mb)).collect()
}

fn world_vgs(env: &TestEnv, server: &str, devices: &[(String, u64)]) {
    let d: Vec<(&str, u64)> = devices.iter().map(|(n, s)| (n.as_str(), *s)).collect();
    world(env, server, &d);
}

fn advance(env: &TestEnv) {
    env.sim(&["clock", "advance", "1h"]);
}

// ----- transcripts: seed 004 chapter 8.1 ------------------------------------------------

#[test]
fn swstsvrset_and_swstsvrdisp_examples() {
    let env = TestEnv::new();
    world(&env, "Work1", &[]);
    transcript(&env, "swstsvrset", "swstsvrset completed\n");
    transcript(&env, "swstsvrdisp", "Storage-Server = Work1\n");
    // -h naming this server is accepted; another server is refused.
    transcript(&env, "swstsvrset -h Work1", "swstsvrset completed\n");
    let run = acm(&env, "swstsvrset -h job1");
    assert!(run.code > 0);
    run.stderr_has("swst0602");
}

#[test]
fn swstdevinfoset_and_swstdevdisp_examples() {
    let env = TestEnv::new();
    world(
        &env,
        "job2",
        &[
            ("/dev/vg00", 1024),
            ("/dev/vg01", 2048),
            ("/dev/vg02", 1024),
            ("/dev/vg03", 1024),
            ("/dev/vg04", 2048),
            ("/dev/vg05", 1024),
        ],
    );
    // A mounted device cannot become a backup volume.
    env.mount("/dev/vg03", "/mnt/data");
    acm(&env, "swstdevinfoset -b /dev/vg03")
        .code(1)
        .stderr_has("/dev/vg03 is mounted on /mnt/data");
    env.unmount_all();
    transcript(
        &env,
        "swstdevinfoset -t /dev/vg01",
        "swstdevinfoset completed\n",
    );
    transcript(
        &env,
        "swstdevinfoset -b /dev/vg02",
        "swstdevinfoset completed\n",
    );
    ok(&env, "swstdevinfoset -b /dev/vg04");
    transcript(
        &env,
        "swstdevinfoset -o /dev/vg04",
        "swstdevinfoset completed\n",
    );
    ok(&env, "swstdevinfoset -t /dev/vg00");
    for d in ["/dev/vg03", "/dev/vg04", "/dev/vg05"] {
        ok(&env, &format!("swstdevinfoset -b {d}"));
    }
    ok(&env, "swstbkpolset -s 1 /dev/vg00");
    env.sim(&["rate", "DX1", "1"]);
    ok(&env, "swstbackup /dev/vg00");
    // Registration order: vg01 and vg00 were registered in that order, like the manual's
    // own listing is in device order here because vg01 came first.
    transcript(
        &env,
        "swstdevdisp -t -b",
        "Server Device Size Device-Mode Mount-Point (Method) Backup-Engine\n\
         job2 /dev/vg01 2.0 Gbyte Transaction ---- (----) AdvancedCopy\n\
         job2 /dev/vg02 1.0 Gbyte Backup (used) ---- (----) AdvancedCopy\n\
         job2 /dev/vg00 1.0 Gbyte Transaction ---- (----) AdvancedCopy\n\
         job2 /dev/vg03 1.0 Gbyte Backup (free) ---- (----) AdvancedCopy\n\
         job2 /dev/vg04 2.0 Gbyte Backup (free) ---- (----) AdvancedCopy\n\
         job2 /dev/vg05 1.0 Gbyte Backup (free) ---- (----) AdvancedCopy\n",
    );
    // A backup volume with history cannot be unregistered; a TV with a policy neither.
    acm(&env, "swstdevinfoset -o /dev/vg02")
        .code(1)
        .stderr_has("holds backup history");
    acm(&env, "swstdevinfoset -o /dev/vg00")
        .code(1)
        .stderr_has("backup policy");
}

#[test]
fn policy_examples() {
    let env = TestEnv::new();
    world_vgs(&env, "job2", &vgs(1..=4, 4));
    ok(&env, "swstdevinfoset -t /dev/vg01");
    for d in 2..=4 {
        ok(&env, &format!("swstdevinfoset -b /dev/vg{d:02}"));
    }
    transcript(
        &env,
        "swstbkpolset -s 3 /dev/vg01",
        "/dev/vg01 swstbkpolset completed\n",
    );
    transcript(
        &env,
        "swstbkpoldisp /dev/vg01",
        "Server Device Interval-Days Save-Number Mount-Point (Method)\n\
         job2 /dev/vg01 30 3 ---- (----)\n",
    );
    // An omitted value is kept on update.
    ok(&env, "swstbkpolset -i 7 /dev/vg01");
    assert!(ok(&env, "swstbkpoldisp").contains("job2 /dev/vg01 7 3 ---- (----)"));
    // Four generations need four backup volumes: refused, nothing changed.
    acm(&env, "swstbkpolset -s 4 /dev/vg01")
        .code(1)
        .stderr_has("swst0607");
    acm(&env, "swstbkpolset -s 32 /dev/vg01").code(2);
    acm(&env, "swstbkpolset -i 0 /dev/vg01").code(2);
    assert!(ok(&env, "swstbkpoldisp").contains("job2 /dev/vg01 7 3"));
    transcript(
        &env,
        "swstbkpoldel /dev/vg01",
        "/dev/vg01 swstbkpoldel completed\n",
    );
    transcript(
        &env,
        "swstbkpoldisp",
        "Server Device Interval-Days Save-Number Mount-Point (Method)\n",
    );
}

/// vg01 (TV) with backup volumes vg02.., policy `-s save`.
fn backup_world(env: &TestEnv, bvs: u32, save: u32) {
    world_vgs(env, "job2", &vgs(1..=(bvs + 1), 4));
    ok(env, "swstdevinfoset -t /dev/vg01");
    for d in 2..=(bvs + 1) {
        ok(env, &format!("swstdevinfoset -b /dev/vg{d:02}"));
    }
    ok(env, &format!("swstbkpolset -s {save} /dev/vg01"));
}

#[test]
fn backup_history_and_restore_examples() {
    let env = TestEnv::new();
    backup_world(&env, 3, 3);
    transcript(
        &env,
        "swstbackstat",
        "Server Transaction-Disk Backup-Disk Status Execute\njob2 /dev/vg01 ---- ---- ----\n",
    );
    transcript(
        &env,
        "swsthistdisp",
        "Server=job2 Device=/dev/vg01 Mount-Point=---- (----)\n",
    );
    // Ten backups: absolute generations 1..10, three kept (8, 9, 10).
    for _ in 0..10 {
        transcript(
            &env,
            "swstbackup /dev/vg01",
            "/dev/vg01 swstbackup completed\n",
        );
        advance(&env);
    }
    transcript(
        &env,
        "swsthistdisp",
        "Server=job2 Device=/dev/vg01 Mount-Point=---- (----)\n\
         Generation Version Backup-Date Backup-Disk Status Execute\n\
         1 10 [DATE] /dev/vg02 succeeded ----\n\
         2 9 [DATE] /dev/vg04 succeeded ----\n\
         3 8 [DATE] /dev/vg03 succeeded ----\n",
    );
    transcript(
        &env,
        "swstbackstat /dev/vg01",
        "Server Transaction-Disk Backup-Disk Status Execute\n\
         job2 /dev/vg01 /dev/vg02 succeeded ----\n\
         job2 /dev/vg01 /dev/vg04 succeeded ----\n\
         job2 /dev/vg01 /dev/vg03 succeeded ----\n",
    );
    env.sim(&["rate", "DX1", "1"]);
    transcript(
        &env,
        "swstrestore -g 2 /dev/vg01",
        "/dev/vg01 swstrestore completed\n",
    );
    let stat = ok(&env, "swstreststat");
    assert!(
        stat.starts_with("Server Transaction-Disk Generation Version Backup-Disk Restore-Device Status Execute\njob2 /dev/vg01 2 9 /dev/vg04 ---- executing "),
        "{stat}"
    );
    // The restored generation cannot be deleted while its restore runs.
    acm(&env, "swsthistdel -g 2 /dev/vg01")
        .code(1)
        .stderr_has("swst0639");
    transcript(
        &env,
        "swstcancelrest -g 2 /dev/vg01",
        "/dev/vg01 swstcancelrest completed.\n",
    );
    // No restore from generation 1: informational swst0303, exit 0.
    let run = acm(&env, "swstcancelrest -g 1 /dev/vg01");
    run.code(0)
        .stderr_has("swst0303 Restoration for specified restoration device is not performed");
    transcript(
        &env,
        "swstreststat /dev/vg01",
        "Server Transaction-Disk Generation Version Backup-Disk Restore-Device Status Execute\n\
         job2 /dev/vg01 ---- ---- ---- ---- ---- ----\n",
    );
    env.sim(&["rate", "DX1", "16384"]);
    transcript(
        &env,
        "swsthistdel -v 10 /dev/vg01",
        "/dev/vg01 swsthistdel completed\n",
    );
    transcript(
        &env,
        "swsthistdel -g 1 -emergency /dev/vg01",
        "/dev/vg01 swsthistdel completed\n",
    );
    assert_eq!(
        redact_dates(&ok(&env, "swsthistdisp /dev/vg01")),
        "Server=job2 Device=/dev/vg01 Mount-Point=---- (----)\n\
         Generation Version Backup-Date Backup-Disk Status Execute\n\
         1 8 [DATE] /dev/vg03 succeeded ----\n"
    );
    acm(&env, "swsthistdel -v 10 /dev/vg01")
        .code(1)
        .stderr_has("swst0609");
    // The absolute generation keeps growing after deletions.
    ok(&env, "swstbackup /dev/vg01");
    assert!(ok(&env, "swsthistdisp").contains("\n1 11 "));
}

#[test]
fn synchronous_backup_suspend_resume_and_cancel_examples() {
    let env = TestEnv::new();
    backup_world(&env, 3, 2);
    env.sim(&["rate", "DX1", "1"]);
    transcript(
        &env,
        "swststartsync /dev/vg01",
        "/dev/vg01 swststartsync completed.\n",
    );
    let run = acm(&env, "swststartsync /dev/vg01");
    run.code(0)
        .stderr_has("swst0301 Backup synchronous processing is already in progress.");
    assert!(run.stdout.is_empty());
    assert!(ok(&env, "swstsyncstat /dev/vg01").contains("job2 /dev/vg01 /dev/vg02 executing "));
    // Not yet equivalent: swstbackup refuses.
    acm(&env, "swstbackup /dev/vg01")
        .code(1)
        .stderr_has("swst0608");
    env.sim(&["rate", "DX1", "16384"]);
    advance(&env);
    transcript(
        &env,
        "swstsyncstat",
        "Server Transaction-Disk Backup-Disk Status Execute\njob2 /dev/vg01 /dev/vg02 equivalent 100%\n",
    );
    transcript(
        &env,
        "swstbackup -suspend /dev/vg01",
        "/dev/vg01 swstbackup completed\n",
    );
    // A second sync goes to a free volume; the suspended one (with history) stays.
    env.sim(&["rate", "DX1", "1"]);
    ok(&env, "swststartsync /dev/vg01");
    let stat = ok(&env, "swstsyncstat /dev/vg01");
    assert!(
        stat.starts_with("Server Transaction-Disk Backup-Disk Status Execute\njob2 /dev/vg01 /dev/vg02 suspend ----\njob2 /dev/vg01 /dev/vg03 executing "),
        "{stat}"
    );
    // Restore is impossible while any EC session exists.
    acm(&env, "swstrestore /dev/vg01")
        .code(1)
        .stderr_has("swst0639");
    transcript(
        &env,
        "swstcancelsync /dev/vg01 -bd /dev/vg03",
        "/dev/vg01 swstcancelsync completed.\n",
    );
    transcript(
        &env,
        "swstsyncstat /dev/vg01",
        "Server Transaction-Disk Backup-Disk Status Execute\njob2 /dev/vg01 /dev/vg02 suspend ----\n",
    );
    transcript(
        &env,
        "swstcancelsync -all /dev/vg01",
        "/dev/vg01 swstcancelsync completed.\n",
    );
    transcript(
        &env,
        "swstsyncstat /dev/vg01",
        "Server Transaction-Disk Backup-Disk Status Execute\njob2 /dev/vg01 ---- ---- ----\n",
    );
    // The suspended history is kept, its BV stays used.
    assert!(ok(&env, "swsthistdisp").contains("1 1 "));
    assert!(ok(&env, "swstdevdisp -b /dev/vg02").contains("Backup (used)"));
    env.sim(&["rate", "DX1", "16384"]);
    transcript(
        &env,
        "swstrestore /dev/vg01",
        "/dev/vg01 swstrestore completed\n",
    );
}

#[test]
fn suspended_volume_without_history_is_resumed_first() {
    let env = TestEnv::new();
    backup_world(&env, 3, 1);
    ok(&env, "swststartsync /dev/vg01");
    advance(&env);
    ok(&env, "swstbackup -suspend /dev/vg01");
    ok(&env, "swststartsync /dev/vg01");
    advance(&env);
    // Save-Number 1: the suspended generation is rotated out after the copy, its BV
    // becomes used-S and the next swststartsync resumes it.
    ok(&env, "swstbackup -suspend /dev/vg01");
    let dev = ok(&env, "swstdevdisp -b -u");
    assert!(dev.contains("/dev/vg02 4.0 Mbyte Backup (used-S)"), "{dev}");
    assert!(ok(&env, "swstdevdisp -b").contains("/dev/vg02 4.0 Mbyte Backup (used)"));
    env.clear_calls();
    ok(&env, "swststartsync /dev/vg01");
    assert!(
        env.commands(None)
            .iter()
            .any(|c| c.contains("resume advanced-copy")),
        "{:?}",
        env.commands(None)
    );
    assert!(ok(&env, "swstsyncstat /dev/vg01").contains("/dev/vg02 "));
}

#[test]
fn tracking_examples_and_execstat() {
    let env = TestEnv::new();
    backup_world(&env, 3, 2);
    transcript(
        &env,
        "swstbackup -T /dev/vg01",
        "/dev/vg01 swstbackup completed\n",
    );
    advance(&env);
    transcript(
        &env,
        "swsttrkstat /dev/vg01",
        "Server Transaction-Disk Backup-Disk Status Execute Update\njob2 /dev/vg01 /dev/vg02 tracking ---- 0%\n",
    );
    // -T is refused during synchronous processing; -T and -suspend exclude each other.
    acm(&env, "swstbackup -T -suspend /dev/vg01").code(2);
    transcript(
        &env,
        "swstexecstat",
        "Server Device Last-Backup-Date Interval Status Mount-Point (Method) Execute\n\
         job2 /dev/vg01 [DATE] OK IDLE ---- (----) ----\n",
    );
    transcript(
        &env,
        "swstexecstat -j",
        "Server Device Execute-Date Status Mount-Point (Method) Execute\n\
         job2 /dev/vg01 [DATE] IDLE ---- (----) ----\n",
    );
    env.sim(&["rate", "DX1", "1"]);
    ok(&env, "swstbackup /dev/vg01");
    assert!(ok(&env, "swstexecstat").contains("IDLE ---- (----) snapshot("));
    acm(&env, "swstcanceltrk -copy /dev/vg01 -bd /dev/vg02")
        .code(1)
        .stderr_has("holds backup history");
    transcript(
        &env,
        "swstcanceltrk /dev/vg01 -bd /dev/vg02",
        "/dev/vg01 swstcanceltrk completed.\n",
    );
    transcript(
        &env,
        "swsttrkstat /dev/vg01",
        "Server Transaction-Disk Backup-Disk Status Execute Update\njob2 /dev/vg01 ---- ---- ---- ----\n",
    );
    acm(&env, "swstcanceltrk /dev/vg01 -all")
        .code(1)
        .stderr_has("no tracking");
    acm(&env, "swstcanceltrk /dev/vg01").code(2);
}

#[test]
fn resource_match_and_management_list_round_trip() {
    let env = TestEnv::new();
    backup_world(&env, 3, 2);
    ok(&env, "swstbackup -T /dev/vg01");
    ok(&env, "swstbackup /dev/vg01");
    transcript(&env, "swstsrsemtch", "swstsrsemtch completed\n");
    transcript(&env, "swstsrsemth", "swstsrsemth completed\n");
    transcript(&env, "swstsrsemtch -x", "swstsrsemtch completed\n");
    let before: Vec<String> = ["swstdevdisp -t -b -u", "swstbkpoldisp", "swsthistdisp"]
        .iter()
        .map(|c| ok(&env, c))
        .collect();
    let dir = env.path("/home/backup");
    std::fs::create_dir_all(&dir).expect("mkdir");
    transcript(
        &env,
        &format!("swstresback {}", dir.display()),
        "swstresback completed\n",
    );
    ok(&env, "swsthistdel -z /dev/vg01");
    ok(&env, "swstcanceltrk /dev/vg01 -all");
    ok(&env, "swstbkpoldel /dev/vg01");
    ok(&env, "swstdevinfoset -o /dev/vg01");
    transcript(
        &env,
        &format!("swstresrst {}", dir.display()),
        "swstresrst completed\n",
    );
    let after: Vec<String> = ["swstdevdisp -t -b -u", "swstbkpoldisp", "swsthistdisp"]
        .iter()
        .map(|c| ok(&env, c))
        .collect();
    assert_eq!(before, after);
    acm(&env, "swstresback /no/such/dir")
        .code(1)
        .stderr_has("swst0620");
    let empty = env.path("/empty");
    std::fs::create_dir_all(&empty).expect("mkdir");
    acm(&env, &format!("swstresrst {}", empty.display()))
        .code(1)
        .stderr_has("swst0621");
    acm(&env, "swstresback -h job2 /home/backup").code(2);
}

#[test]
fn resource_match_repairs_what_a_killed_command_or_the_array_left() {
    let env = TestEnv::new();
    backup_world(&env, 3, 1);
    // A session the list does not know (a swstbackup killed after starting its copy).
    env.sim(&["rate", "DX1", "1"]);
    array_cli(
        &env,
        "start advanced-copy -mode opc -source-volume-number 0 -destination-volume-number 1",
    );
    // Backup-volume selection skips the volume the array still writes to.
    ok(&env, "swstbackup -T /dev/vg01");
    assert!(ok(&env, "swstbackstat").contains("/dev/vg01 /dev/vg03 "));
    env.clear_calls();
    ok(&env, "swstsrsemtch");
    assert!(
        env.commands(None)
            .iter()
            .any(|c| c.starts_with("stop advanced-copy")),
        "{:?}",
        env.commands(None)
    );
    // A failed session: the status shows it, the next backup refuses until it is handled.
    env.sim(&["eternus", "fail", "DX1", "0"]);
    assert!(ok(&env, "swsttrkstat").contains("/dev/vg03 failed"));
    acm(&env, "swstbackup -T /dev/vg01")
        .code(1)
        .stderr_has("one generation earlier was unsuccessful");
    ok(&env, "swsthistdel -z /dev/vg01");
    ok(&env, "swstcanceltrk -copy /dev/vg01 -all");
    ok(&env, "swstsrsemtch");
    ok(&env, "swstbackup /dev/vg01");
}

// ----- data ----------------------------------------------------------------------------

fn read(env: &TestEnv, volume: u32) -> Vec<u8> {
    dx::read(env, "DX1", volume)
}

fn write(env: &TestEnv, volume: u32, offset: u64, len: u64, seed: u64) {
    dx::write(env, "DX1", volume, offset, len, seed);
}

#[test]
fn snapshot_backup_then_restore_brings_the_bytes_back() {
    let env = TestEnv::new();
    backup_world(&env, 3, 2);
    write(&env, 0, 0, 4 * 1024 * 1024, 7);
    let original = read(&env, 0);
    ok(&env, "swstbackup /dev/vg01");
    write(&env, 0, 1000, 300_000, 8);
    advance(&env);
    assert_eq!(
        read(&env, 1),
        original,
        "the backup is the source at swstbackup"
    );
    assert_ne!(read(&env, 0), original);
    ok(&env, "swstrestore /dev/vg01");
    advance(&env);
    assert!(
        read(&env, 0) == original,
        "restore did not bring the source back"
    );
    // History is not modified by a restore.
    assert!(ok(&env, "swsthistdisp").contains("1 1 "));
}

#[test]
fn quickopc_differential_backup_copies_only_changed_tracks_and_restores() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    write(&env, 0, 0, 4 * 1024 * 1024, 1);
    ok(&env, "swstbackup -T /dev/vg01");
    advance(&env);
    let full = dx::copied_bytes(&env, "DX1");
    assert_eq!(
        full,
        4 * 1024 * 1024,
        "the first QuickOPC copies the whole volume"
    );
    // Two tracks changed; Save-Number 1 rotates the generation out, its volume (used-T)
    // is picked first, so the copy is differential.
    write(&env, 0, 0, 10, 2);
    write(&env, 0, 3 * 65536 + 5, 20, 3);
    let at_second = read(&env, 0);
    ok(&env, "swstbackup -T /dev/vg01");
    advance(&env);
    assert_eq!(
        dx::copied_bytes(&env, "DX1") - full,
        2 * 65536,
        "the differential backup moved more than the changed tracks"
    );
    assert!(ok(&env, "swsthistdisp").contains("/dev/vg02 succeeded"));
    write(&env, 0, 0, 100_000, 4);
    ok(&env, "swstrestore /dev/vg01");
    advance(&env);
    assert!(
        read(&env, 0) == at_second,
        "restore from the QuickOPC backup"
    );
    // Tracking is kept through the restore.
    assert!(ok(&env, "swsttrkstat").contains("/dev/vg02 tracking"));
}

#[test]
fn ec_backup_after_equivalency_and_restore_to_another_volume() {
    let env = TestEnv::new();
    world_vgs(&env, "job2", &vgs(1..=4, 4));
    ok(&env, "swstdevinfoset -t /dev/vg01");
    ok(&env, "swstdevinfoset -b /dev/vg02");
    ok(&env, "swstdevinfoset -b /dev/vg03");
    ok(&env, "swstbkpolset -s 1 /dev/vg01");
    write(&env, 0, 0, 4 * 1024 * 1024, 11);
    ok(&env, "swststartsync /dev/vg01");
    advance(&env);
    write(&env, 0, 4096, 50_000, 12);
    let at_backup = read(&env, 0);
    ok(&env, "swstbackup /dev/vg01");
    write(&env, 0, 0, 200_000, 13);
    assert!(
        read(&env, 1) == at_backup,
        "EC backup is the source at the detach"
    );
    // -r: to an unregistered device of the same size; the TV is untouched, no scripts.
    install_scripts(&env, "#!/bin/sh\nexit 3\n");
    let now_tv = read(&env, 0);
    ok(&env, "swstrestore -r /dev/vg04 /dev/vg01");
    advance(&env);
    assert!(read(&env, 3) == at_backup, "-r restore");
    assert!(read(&env, 0) == now_tv);
    let stat = ok(&env, "swstreststat");
    assert!(
        stat.contains("job2 /dev/vg01 1 1 /dev/vg02 /dev/vg04 succeeded ----"),
        "{stat}"
    );
    // -r to a transaction volume or a BV holding history is refused.
    acm(&env, "swstrestore -r /dev/vg02 /dev/vg01").code(1);
    // -r naming the transaction volume itself is a restore to it: the scripts run.
    acm(&env, "swstrestore -r /dev/vg01 /dev/vg01")
        .code(1)
        .stderr_has("Script=OpcRestore.pre");
    // The unregistered device shows as Other.
    assert!(ok(&env, "swstdevdisp -o")
        .contains("job2 /dev/vg04 4.0 Mbyte Other ---- (----) AdvancedCopy"));
}

#[test]
fn oldest_generation_after_rotation_is_still_restorable() {
    let env = TestEnv::new();
    backup_world(&env, 3, 3);
    let mut states = Vec::new();
    for seed in 1..=5u64 {
        write(&env, 0, 0, 1024 * 1024, seed);
        states.push(read(&env, 0));
        ok(&env, "swstbackup /dev/vg01");
        advance(&env);
    }
    // Generations 3, 4, 5 are kept; the oldest (generation 3 relative, version 3).
    let hist = ok(&env, "swsthistdisp");
    assert!(hist.contains("\n3 3 "), "{hist}");
    ok(&env, "swstrestore -v 3 /dev/vg01");
    advance(&env);
    assert!(
        read(&env, 0) == states[2],
        "oldest kept generation restored"
    );
    acm(&env, "swstrestore -v 2 /dev/vg01")
        .code(1)
        .stderr_has("swst0609");
}

// ----- scripts, device maps ------------------------------------------------------------

#[test]
fn failing_backup_preprocessing_aborts_and_starts_nothing() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    let args = env.path("/args");
    env.write(
        "/etc/opt/FJSVswsts/sh/OpcBackup.pre",
        &format!(
            "#!/bin/sh\necho \"$#:$1:$2:$3\" > {}\nexit 99\n",
            args.display()
        ),
    );
    env.clear_calls();
    let run = acm(&env, "swstbackup /dev/vg01");
    assert!(run.code > 0);
    run.stderr_has("swst0611").stderr_has("Error Code = 99");
    assert_eq!(
        std::fs::read_to_string(&args).expect("args"),
        "3:/dev/vg01:0:/dev/vg02\n"
    );
    assert!(!env
        .commands(None)
        .iter()
        .any(|c| c.contains("start advanced-copy")));
    assert!(!ok(&env, "swsthistdisp").contains("Generation"));
}

#[test]
fn default_scripts_refuse_volume_groups_until_customized() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    let root = env.root.display().to_string();
    for script in BACKUP_SCRIPTS {
        std::fs::remove_file(env.path(script)).expect("rm");
    }
    env.sim(&["setup", "eternus", "--root", &root, "--volumes", "0"]);
    acm(&env, "swstbackup /dev/vg01")
        .code(1)
        .stderr_has("Error Code = 99");
}

#[test]
fn device_map_files_pin_the_destination() {
    let env = TestEnv::new();
    world(
        &env,
        "job2",
        &[
            ("/dev/hdisk10", 4),
            ("/dev/hdisk11", 4),
            ("/dev/hdisk20", 4),
            ("/dev/hdisk21", 4),
            ("/dev/hdisk22", 4),
        ],
    );
    for d in ["10", "11"] {
        ok(&env, &format!("swstdevinfoset -t /dev/hdisk{d}"));
    }
    for d in ["20", "21", "22"] {
        ok(&env, &format!("swstdevinfoset -b /dev/hdisk{d}"));
    }
    ok(&env, "swstbkpolset -s 1 /dev/hdisk10");
    ok(&env, "swstbkpolset -s 1 /dev/hdisk11");
    env.write(
        "/acm/devmap.txt",
        "# A comment line starts with \"#\".\n\
         # Business volume name  Output destination backup volume name\n\
         /dev/hdisk10   /dev/hdisk22 # first line wins\n\n\
         /dev/hdisk11\t/dev/hdisk21\n/dev/hdisk10 /dev/hdisk20\n",
    );
    let map = env.path("/acm/devmap.txt").display().to_string();
    transcript(
        &env,
        &format!("swstbackup /dev/hdisk10 -Xdevmap {map}"),
        "/dev/hdisk10 swstbackup completed\n",
    );
    transcript(
        &env,
        &format!("swstbackup /dev/hdisk11 -Xdevmap {map}"),
        "/dev/hdisk11 swstbackup completed\n",
    );
    let stat = ok(&env, "swstbackstat");
    assert!(stat.contains("/dev/hdisk10 /dev/hdisk22 "), "{stat}");
    assert!(stat.contains("/dev/hdisk11 /dev/hdisk21 "), "{stat}");
    advance(&env);
    // The same map again: each destination is the generation being rotated out.
    ok(&env, &format!("swstbackup /dev/hdisk10 -Xdevmap {map}"));
    // A map naming a BV used by another TV is refused, nothing changed.
    env.write("/acm/other.txt", "/dev/hdisk10 /dev/hdisk21\n");
    let other = env.path("/acm/other.txt").display().to_string();
    acm(&env, &format!("swstbackup /dev/hdisk10 -Xdevmap {other}"))
        .code(1)
        .stderr_has("in use");
    env.write("/acm/bad.txt", "/dev/hdisk10\n");
    let bad = env.path("/acm/bad.txt").display().to_string();
    acm(&env, &format!("swstbackup /dev/hdisk10 -Xdevmap {bad}"))
        .code(2)
        .stderr_has("bad.txt:1:");
    acm(&env, &format!("swststartsync /dev/hdisk10 -Xdevmap {bad}")).code(2);
    assert!(ok(&env, "swsthistdisp /dev/hdisk10").contains("\n1 2 "));
}

// ----- bad input, privileges -----------------------------------------------------------

#[test]
fn bad_input_is_refused_and_changes_nothing() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    ok(&env, "swstbackup /dev/vg01");
    let views = |env: &TestEnv| -> Vec<String> {
        [
            "swstdevdisp -t -b -u",
            "swstbkpoldisp",
            "swsthistdisp",
            "swstexecstat -j",
            "swstsyncstat",
            "swsttrkstat",
            "swstreststat",
        ]
        .iter()
        .map(|c| ok(env, c))
        .collect()
    };
    let before = views(&env);
    for (line, code, text) in [
        ("swstbackup /dev/vg09", 1, "swst0605"),
        ("swstbackup /dev/vg02", 1, "swst0605"),
        (
            "swstbackup vg01",
            2,
            "not an AdvancedCopy Manager device name",
        ),
        ("swstbackup", 2, "device name is required"),
        ("swstbackup -x /dev/vg01", 2, "-x is not a valid option"),
        ("swstbackup -suspend /dev/vg01", 1, "-suspend"),
        ("swstrestore -g 5 /dev/vg01", 1, "swst0609"),
        (
            "swstrestore -g 1 -v 1 /dev/vg01",
            2,
            "cannot be given together",
        ),
        ("swstrestore -g x /dev/vg01", 2, "expected a number"),
        ("swsthistdel /dev/vg01", 2, "one of -g, -v or -z"),
        ("swstdevinfoset /dev/vg03", 2, "one of -t, -b or -o"),
        ("swstdevinfoset -t /dev/nosuch", 1, "swst0630"),
        ("swstbkpoldel /dev/vg01", 1, "history"),
        (
            "swstcancelsync /dev/vg01 -bd /dev/vg02 -all",
            2,
            "cannot be given together",
        ),
        ("swstdevdisp -u", 2, "-u can only be given with -b"),
    ] {
        let run = acm(&env, line);
        assert_eq!(run.code, code, "{line}: {}", run.stderr);
        run.stderr_has(text);
        assert!(run.stdout.is_empty(), "{line}");
    }
    assert_eq!(views(&env), before, "the list changed");
}

#[test]
fn backup_and_replication_refuse_each_others_volumes() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    // A replication pair on vg03/vg04 (not registered for backup).
    env.write(
        "/etc/opt/FJSVswstf/devices.conf",
        "/dev/vg01 DX1 0\n/dev/vg02 DX1 1\n/dev/vg03 DX1 2\n/dev/vg04 DX1 3\n/dev/vg05 DX1 4\n",
    );
    dx::add_volume(&env, "DX1", 3, 4, &["--count", "2"]);
    let run = acm(&env, "swsrpsetvol /dev/vg01 /dev/vg05");
    assert!(
        run.code > 0,
        "replication took a backup volume: {}",
        run.stdout
    );
    run.stderr_has("backup");
    acm(&env, "swsrpsetvol /dev/vg04 /dev/vg05").code(0);
    acm(&env, "swstdevinfoset -b /dev/vg04")
        .code(1)
        .stderr_has("swst0610");
}

#[test]
fn backup_commands_before_swstsvrset_are_refused_and_create_nothing() {
    let env = TestEnv::new();
    let root = env.root.display().to_string();
    env.sim(&["setup", "eternus", "--root", &root, "--volumes", "2"]);
    for line in [
        "swstsvrdisp",
        "swstdevdisp",
        "swsthistdisp",
        "swstbackup /dev/hdisk10",
    ] {
        acm(&env, line).code(1).stderr_has("swst0604");
    }
    assert!(!env.path("/etc/opt/FJSVswsts/data").exists());
}

#[test]
fn every_command_refuses_non_root_users_without_a_root_prefix() {
    let env = TestEnv::new();
    for name in ALL {
        let run = run_as_non_root(name, "/dev/vg01");
        let stderr = run.stderr;
        assert!(run.code > 0, "{name}");
        assert!(
            stderr.starts_with(
                "swst0601 This Command cannot be run. This is because the user is not a root user."
            ),
            "{name}: {stderr}"
        );
    }
    let _ = env;
}

#[test]
fn json_output_has_the_text_columns() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    ok(&env, "swstbackup /dev/vg01");
    advance(&env);
    let hist: serde_json::Value =
        serde_json::from_str(&ok(&env, "swsthistdisp -Xjson")).expect("json");
    assert_eq!(hist[0]["Device"], "/dev/vg01");
    assert_eq!(hist[0]["History"][0]["Backup-Disk"], "/dev/vg02");
    assert_eq!(hist[0]["History"][0]["Status"], "succeeded");
    let dev: serde_json::Value =
        serde_json::from_str(&ok(&env, "swstdevdisp -t -b -Xjson")).expect("json");
    assert_eq!(dev[1]["Device-Mode"], "Backup (used)");
    assert_eq!(dev[1]["Mount-Point (Method)"], "---- (----)");
}

#[test]
fn remaining_cancel_examples_and_exec_status() {
    let env = TestEnv::new();
    world_vgs(&env, "job2", &vgs(1..=8, 4));
    for tv in ["/dev/vg01", "/dev/vg02"] {
        ok(&env, &format!("swstdevinfoset -t {tv}"));
    }
    for d in 3..=8 {
        ok(&env, &format!("swstdevinfoset -b /dev/vg{d:02}"));
    }
    transcript(
        &env,
        "swstbkpolset -s 2",
        "/dev/vg01 swstbkpolset completed\n/dev/vg02 swstbkpolset completed\n",
    );
    // Every volume or none: 4 + 4 generations need 8 backup volumes, 6 are registered.
    acm(&env, "swstbkpolset -s 4")
        .code(1)
        .stderr_has("swst0607");
    transcript(
        &env,
        "swstbkpoldisp",
        "Server Device Interval-Days Save-Number Mount-Point (Method)\n\
         job2 /dev/vg01 30 2 ---- (----)\n\
         job2 /dev/vg02 30 2 ---- (----)\n",
    );
    // swstcancelsync with no option cancels the executing/equivalent session.
    ok(&env, "swststartsync /dev/vg01");
    transcript(
        &env,
        "swstcancelsync /dev/vg01",
        "/dev/vg01 swstcancelsync completed.\n",
    );
    // -emergency: the list only; the session stays on the array until the Web GUI (or
    // swstsrsemtch) removes it, and selection does not reuse its volume meanwhile.
    ok(&env, "swststartsync /dev/vg02");
    transcript(
        &env,
        "swstcancelsync -emergency /dev/vg02",
        "/dev/vg02 swstcancelsync completed.\n",
    );
    transcript(
        &env,
        "swstsyncstat",
        "Server Transaction-Disk Backup-Disk Status Execute\n\
         job2 /dev/vg01 ---- ---- ----\n\
         job2 /dev/vg02 ---- ---- ----\n",
    );
    ok(&env, "swststartsync /dev/vg02");
    let stat = ok(&env, "swstsyncstat /dev/vg02");
    // vg03 carried vg01's cancelled session, then vg02's abandoned one: vg04 is next.
    assert!(
        stat.contains("/dev/vg02 /dev/vg04 ") && !stat.contains("/dev/vg03 "),
        "reused the abandoned volume: {stat}"
    );
    ok(&env, "swstcancelsync -all /dev/vg02");
    ok(&env, "swstsrsemtch");
    // swstcancelrest -emergency on the latest restore.
    ok(&env, "swstbackup /dev/vg01");
    advance(&env);
    env.sim(&["rate", "DX1", "1"]);
    ok(&env, "swstrestore /dev/vg01");
    transcript(
        &env,
        "swstcancelrest -emergency /dev/vg01",
        "/dev/vg01 swstcancelrest completed.\n",
    );
    env.sim(&["rate", "DX1", "16384"]);
    ok(&env, "swstsrsemtch");
    // swstcanceltrk -copy on a used-T volume (its history deleted first).
    ok(&env, "swstbackup -T /dev/vg02");
    let bv = ok(&env, "swsttrkstat /dev/vg02");
    let bv = bv
        .lines()
        .nth(1)
        .and_then(|l| l.split(' ').nth(2))
        .expect("bv")
        .to_string();
    ok(&env, "swsthistdel -z /dev/vg02");
    assert!(ok(&env, "swstdevdisp -b -u").contains(&format!("{bv} 4.0 Mbyte Backup (used-T)")));
    transcript(
        &env,
        &format!("swstcanceltrk -copy /dev/vg02 -bd {bv}"),
        "/dev/vg02 swstcanceltrk completed.\n",
    );
    assert!(ok(&env, "swstdevdisp -b -u").contains(&format!("{bv} 4.0 Mbyte Backup (free)")));
    // EXEC while a command runs on the volume (its pre-processing script waits).
    env.write(
        "/etc/opt/FJSVswsts/sh/OpcBackup.pre",
        "#!/bin/sh\nsleep 2\nexit 0\n",
    );
    let mut running = env
        .command(bin("swstbackup"))
        .arg("/dev/vg01")
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(800));
    let exec = ok(&env, "swstexecstat /dev/vg01");
    assert!(
        exec.contains("EXEC ---- (----) swstbackup"),
        "swstexecstat during swstbackup: {exec}"
    );
    assert!(running.wait().expect("wait").success());
    assert!(ok(&env, "swstexecstat /dev/vg01").contains("IDLE"));
}

#[test]
fn a_backup_killed_in_its_preprocessing_leaves_a_state_the_rerun_completes() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    ok(&env, "swstbackup /dev/vg01");
    advance(&env);
    env.write(
        "/etc/opt/FJSVswsts/sh/OpcBackup.pre",
        "#!/bin/sh\nsleep 3\nexit 0\n",
    );
    let mut running = env
        .command(bin("swstbackup"))
        .arg("/dev/vg01")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn");
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(ok(&env, "swstexecstat").contains("EXEC"));
    running.kill().expect("kill");
    running.wait().expect("wait");
    // The killed run rotated nothing and copied nothing; its marker is ignored.
    let hist = ok(&env, "swsthistdisp");
    assert!(
        hist.contains("\n1 1 ") && !hist.contains("\n1 2 "),
        "{hist}"
    );
    assert!(ok(&env, "swstexecstat").contains("IDLE"));
    // Its pre-processing script still runs and holds the inherited locks (issue 8 item 2):
    // a global command waits for it rather than overlap it.
    let mut waited = 0;
    loop {
        let run = acm(&env, "swstsrsemtch");
        if run.code == 0 {
            break;
        }
        assert!(
            run.stderr.contains("no longer running (killed?)"),
            "{}",
            run.stderr
        );
        waited += 1;
        assert!(waited < 20, "the killed run's script never ended");
        std::thread::sleep(std::time::Duration::from_millis(250));
    }
    install_scripts(&env, CUSTOMIZED);
    ok(&env, "swstsrsemtch");
    ok(&env, "swstbackup /dev/vg01");
    assert!(ok(&env, "swsthistdisp").contains("\n1 2 "));
}

#[test]
fn synchronous_backup_with_a_device_map_chapter_3_example() {
    let env = TestEnv::new();
    world(
        &env,
        "job2",
        &[
            ("/dev/hdisk10", 4),
            ("/dev/hdisk11", 4),
            ("/dev/hdisk20", 4),
            ("/dev/hdisk21", 4),
            ("/dev/hdisk22", 4),
            ("/dev/hdisk23", 4),
        ],
    );
    for d in ["10", "11"] {
        ok(&env, &format!("swstdevinfoset -t /dev/hdisk{d}"));
    }
    for d in ["20", "21", "22", "23"] {
        ok(&env, &format!("swstdevinfoset -b /dev/hdisk{d}"));
    }
    ok(&env, "swstbkpolset -s 1");
    env.write(
        "/acm/devmap.txt",
        "/dev/hdisk10 /dev/hdisk23\n/dev/hdisk11 /dev/hdisk22\n",
    );
    let map = env.path("/acm/devmap.txt").display().to_string();
    transcript(
        &env,
        &format!("swststartsync /dev/hdisk10 -Xdevmap {map}"),
        "/dev/hdisk10 swststartsync completed.\n",
    );
    transcript(
        &env,
        &format!("swststartsync /dev/hdisk11 -Xdevmap {map}"),
        "/dev/hdisk11 swststartsync completed.\n",
    );
    advance(&env);
    transcript(
        &env,
        "swstsyncstat",
        "Server Transaction-Disk Backup-Disk Status Execute\n\
         job2 /dev/hdisk10 /dev/hdisk23 equivalent 100%\n\
         job2 /dev/hdisk11 /dev/hdisk22 equivalent 100%\n",
    );
    // The destination is fixed by swststartsync: -Xdevmap on the backup is refused.
    acm(&env, &format!("swstbackup /dev/hdisk10 -Xdevmap {map}"))
        .code(1)
        .stderr_has("-Xdevmap");
    transcript(
        &env,
        "swstbackup /dev/hdisk10",
        "/dev/hdisk10 swstbackup completed\n",
    );
    transcript(
        &env,
        "swstbackup /dev/hdisk11",
        "/dev/hdisk11 swstbackup completed\n",
    );
    transcript(
        &env,
        "swstbackstat",
        "Server Transaction-Disk Backup-Disk Status Execute\n\
         job2 /dev/hdisk10 /dev/hdisk23 succeeded ----\n\
         job2 /dev/hdisk11 /dev/hdisk22 succeeded ----\n",
    );
    transcript(
        &env,
        "swstrestore /dev/hdisk10",
        "/dev/hdisk10 swstrestore completed\n",
    );
    transcript(
        &env,
        "swstrestore /dev/hdisk11",
        "/dev/hdisk11 swstrestore completed\n",
    );
}

fn files(dir: &std::path::Path, into: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files(&path, into);
        } else {
            into.push(path.display().to_string());
        }
    }
}

#[test]
fn display_commands_create_nothing() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    ok(&env, "swstbackup -T /dev/vg01");
    // No replication list (if anything created one, remove it: displays must not).
    let replication_list = env.path("/etc/opt/FJSVswsrp/data/DEFAULT/replication.db");
    if replication_list.exists() {
        std::fs::remove_file(&replication_list).expect("replication list");
    }
    let snapshot = |env: &TestEnv| {
        let mut found = Vec::new();
        files(&env.path("/etc"), &mut found);
        files(&env.path("/var/opt"), &mut found);
        found.sort();
        found
    };
    let before = snapshot(&env);
    for line in [
        "swstsvrdisp",
        "swstdevdisp",
        "swstbkpoldisp",
        "swstbackstat",
        "swstreststat",
        "swsthistdisp",
        "swstsyncstat",
        "swstexecstat -j",
        "swsttrkstat",
    ] {
        ok(&env, line);
    }
    assert_eq!(snapshot(&env), before);
}

/// Sends CLI lines to the emulated array directly (what the Web GUI would do).
fn array_cli(env: &TestEnv, lines: &str) {
    let mut child = dx::cli_session(env, "DX1", std::process::Stdio::null());
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin
            .write_all(format!("{lines}\nexit\n").as_bytes())
            .expect("write");
    }
    child.wait().expect("wait");
}

#[test]
fn nosession_is_shown_then_repaired_by_swstsrsemtch() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    ok(&env, "swstbackup -T /dev/vg01");
    ok(&env, "swststartsync /dev/vg01");
    advance(&env);
    ok(&env, "swsthistdel -z /dev/vg01");
    assert!(ok(&env, "swstdevdisp -b -u").contains("/dev/vg02 4.0 Mbyte Backup (used-T)"));
    // Both sessions are stopped outside the tool.
    let show: serde_json::Value =
        serde_json::from_str(&env.sim(&["eternus", "show", "DX1"]).stdout).expect("json");
    let sids: Vec<String> = show["sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| s["sid"].to_string())
        .collect();
    assert_eq!(sids.len(), 2, "{show}");
    array_cli(
        &env,
        &format!("stop advanced-copy -session-id {}", sids.join(",")),
    );
    transcript(
        &env,
        "swsttrkstat",
        "Server Transaction-Disk Backup-Disk Status Execute Update\njob2 /dev/vg01 /dev/vg02 nosession ---- ----\n",
    );
    transcript(
        &env,
        "swstsyncstat",
        "Server Transaction-Disk Backup-Disk Status Execute\njob2 /dev/vg01 /dev/vg03 nosession ----\n",
    );
    ok(&env, "swstsrsemtch");
    transcript(
        &env,
        "swsttrkstat",
        "Server Transaction-Disk Backup-Disk Status Execute Update\njob2 /dev/vg01 ---- ---- ---- ----\n",
    );
    transcript(
        &env,
        "swstsyncstat",
        "Server Transaction-Disk Backup-Disk Status Execute\njob2 /dev/vg01 ---- ---- ----\n",
    );
    let dev = ok(&env, "swstdevdisp -b -u");
    assert!(dev.contains("/dev/vg02 4.0 Mbyte Backup (free)"), "{dev}");
    assert!(dev.contains("/dev/vg03 4.0 Mbyte Backup (free)"), "{dev}");
}

#[test]
fn swstexecstat_interval_delay_counts_days_past_the_policy() {
    let env = TestEnv::new();
    backup_world(&env, 2, 1);
    ok(&env, "swstbkpolset -i 1 /dev/vg01");
    ok(&env, "swstbackup /dev/vg01");
    assert!(ok(&env, "swstexecstat").contains(" OK IDLE "));
    // The last backup three days ago (interval 1 day): two days late.
    let db = rusqlite::Connection::open(env.path("/etc/opt/FJSVswsts/data/DEFAULT/backup.db"))
        .expect("list");
    db.execute(
        "UPDATE tvs SET last_backup = last_backup - 3 * 86400 - 60",
        [],
    )
    .expect("update");
    drop(db);
    let stat = ok(&env, "swstexecstat");
    assert!(stat.contains(" DELAY=2 IDLE ---- (----) "), "{stat}");
}

/// swstcancelsync and swstcanceltrk confirm on the session list that each stopped session
/// is gone (issue 8): an array that answers OK but stops nothing is an error naming the
/// pair, and the management list keeps the binding.
#[test]
fn cancels_are_confirmed_on_the_session_list() {
    let env = TestEnv::new();
    backup_world(&env, 3, 2);
    ok(&env, "swststartsync /dev/vg01");
    let stop_does_nothing = || env.fault("eternus-cli", &["--command", "stop", "--message", ""]);
    stop_does_nothing();
    acm(&env, "swstcancelsync /dev/vg01")
        .code(1)
        .stderr_has("pair /dev/vg01 to /dev/vg02")
        .stderr_has("did not stop it");
    assert!(ok(&env, "swstsyncstat /dev/vg01").contains("/dev/vg01 /dev/vg02 "));
    env.sim(&["fault", "clear"]);
    ok(&env, "swstcancelsync /dev/vg01");
    ok(&env, "swstbackup -T /dev/vg01");
    advance(&env);
    stop_does_nothing();
    acm(&env, "swstcanceltrk /dev/vg01 -bd /dev/vg02")
        .code(1)
        .stderr_has("did not stop it");
    env.sim(&["fault", "clear"]);
    ok(&env, "swstcanceltrk /dev/vg01 -bd /dev/vg02");
    assert!(ok(&env, "swsttrkstat /dev/vg01").contains("/dev/vg01 ---- ----"));
}

/// Check first, then act: a backup list another process holds locked fails swstbackup
/// and swststartsync before any copy starts (no action reaches the array), and nothing is
/// recorded; once the lock is gone the same backup works.
#[test]
fn a_locked_backup_list_fails_the_operation_before_the_array_changes() {
    let env = TestEnv::new();
    backup_world(&env, 2, 2);
    env.clear_calls();
    let db = env.path("/etc/opt/FJSVswsts/data/DEFAULT/backup.db");
    let holder = rusqlite::Connection::open(&db).expect("open");
    holder.execute_batch("BEGIN IMMEDIATE").expect("lock");
    for line in ["swstbackup /dev/vg01", "swststartsync /dev/vg01"] {
        let run = acm_with(&env, line, &[("ARRAYSYNC_ACM_BUSY_MS", "200")]);
        assert_ne!(run.code, 0, "{line}: {}", run.stderr);
        assert!(run.stderr.contains("backup.db"), "{line}: {}", run.stderr);
        assert!(run.stderr.contains("locked"), "{line}: {}", run.stderr);
    }
    drop(holder);
    let actions = dx::array_actions(&env);
    assert!(
        actions.is_empty(),
        "the array changed before the list was checked: {actions:?}"
    );
    assert!(ok(&env, "swsthistdisp").ends_with("(----)\n"));
    ok(&env, "swstbackup /dev/vg01");
    assert!(ok(&env, "swsthistdisp").contains("/dev/vg02"));
}

/// The backup list is never opened through a symbolic link: a list replaced by a link is
/// refused by name, and the file the link points to is left as it was.
#[test]
fn a_backup_list_behind_a_symlink_is_refused() {
    let env = TestEnv::new();
    backup_world(&env, 2, 2);
    let db = env.path("/etc/opt/FJSVswsts/data/DEFAULT/backup.db");
    let elsewhere = env.path("/tmp/backup.db");
    std::fs::create_dir_all(elsewhere.parent().expect("dir")).expect("mkdir");
    std::fs::rename(&db, &elsewhere).expect("move");
    std::os::unix::fs::symlink(&elsewhere, &db).expect("link");
    let before = std::fs::read(&elsewhere).expect("read");
    for line in ["swstbackup /dev/vg01", "swstbackstat", "swstdevdisp"] {
        let run = acm(&env, line);
        assert_ne!(run.code, 0, "{line}: {}", run.stdout);
        assert!(
            run.stderr.contains("not a regular file"),
            "{line}: {}",
            run.stderr
        );
    }
    assert_eq!(std::fs::read(&elsewhere).expect("read"), before);
}

/// A backup list truncated to 0 bytes is an error naming the file and the way back, for a
/// display as for an operation; it is never silently given a new, empty schema.
#[test]
fn an_empty_backup_list_is_refused_not_recreated() {
    let env = TestEnv::new();
    backup_world(&env, 2, 2);
    let db = env.path("/etc/opt/FJSVswsts/data/DEFAULT/backup.db");
    std::fs::write(&db, b"").expect("truncate");
    for line in ["swstbackstat", "swstdevdisp", "swstbackup /dev/vg01"] {
        let run = acm(&env, line);
        assert_ne!(run.code, 0, "{line}: {}", run.stdout);
        assert!(run.stderr.contains("backup.db"), "{line}: {}", run.stderr);
        assert!(run.stderr.contains("empty file"), "{line}: {}", run.stderr);
    }
    assert_eq!(std::fs::metadata(&db).expect("stat").len(), 0);
}
