//! ETERNUS SnapOPC and SnapOPC+ (issue 13): copy-on-write into Snap Data Volumes,
//! generations, restore from a generation, cancel of the oldest generation (and
//! -Xforce), capacity running out (SDV, then the Snap Data Pool).

use super::dx::{self, Lcg, CUSTOMIZED, DEVICES};
use super::env::TestEnv;
use super::eternus::{acm, install_scripts, ok, prints, read, write};

const MB4: u64 = 4 * 1024 * 1024;

/// Volume 0 (/dev/hdisk10, 4 MiB) and `sdvs` Snap Data Volumes 1.. (/dev/hdisk11..,
/// 4 MiB logical, `physical_mb` physical), each registered as a pair hdisk10 → hdisk1N.
fn snap_world(env: &TestEnv, sdvs: u32, physical_mb: u64) {
    dx::setup_box(env, "DX1", 0, "SV1");
    dx::add_volume(env, "DX1", 0, 4, &[]);
    let mut devices = String::from("/dev/hdisk10 DX1 0\n");
    for n in 1..=sdvs {
        dx::add_sdv(env, "DX1", n as usize, 4, physical_mb);
        devices.push_str(&format!("/dev/hdisk1{n} DX1 {n}\n"));
    }
    env.write(DEVICES, &devices);
    install_scripts(env, CUSTOMIZED);
    for n in 1..=sdvs {
        ok(env, &format!("swsrpsetvol /dev/hdisk10 /dev/hdisk1{n}"));
    }
}

fn scribble(env: &TestEnv, rng: &mut Lcg, writes: usize) {
    for _ in 0..writes {
        let len = 1 + rng.next(150_000);
        let offset = rng.next(MB4 - len);
        write(env, 0, offset, len, rng.next(1 << 30));
    }
}

#[track_caller]
fn same(got: &[u8], want: &[u8], what: &str) {
    let diff = got.iter().zip(want).position(|(a, b)| a != b);
    assert!(
        diff.is_none() && got.len() == want.len(),
        "{what}: first difference at byte {diff:?}"
    );
}

#[test]
fn snapopc_plus_generations_are_point_in_time_and_restore_from_generation_2() {
    let env = TestEnv::new();
    snap_world(&env, 4, 4);
    let mut rng = Lcg(4);
    write(&env, 0, 0, MB4, 1);
    let mut images = Vec::new();
    for n in 1..=4 {
        scribble(&env, &mut rng, 6);
        images.push(read(&env, 0));
        ok(&env, &format!("swsrpmake -P /dev/hdisk10 /dev/hdisk1{n}"));
    }
    scribble(&env, &mut rng, 10);
    for (n, image) in images.iter().enumerate() {
        same(
            &read(&env, n as u32 + 1),
            image,
            &format!("generation {}", n + 1),
        );
    }
    let stat = ok(&env, "swsrpstat -L /dev/hdisk10");
    for (n, status) in [
        (1, "copy-on-write(inactive)"),
        (2, "copy-on-write(inactive)"),
        (3, "copy-on-write(inactive)"),
        (4, "copy-on-write(active)"),
    ] {
        let line = stat
            .lines()
            .find(|l| l.contains(&format!("/dev/hdisk1{n}@SV1")))
            .unwrap_or_else(|| panic!("no row for hdisk1{n}: {stat}"));
        assert!(
            line.contains(&format!("regular {status} ---- off")),
            "{line}"
        );
        assert!(line.ends_with(&format!(" {n}")), "Snap-Gen of {line}");
    }
    // Restore from generation 2: an ordinary snapshot from its SDV to the source.
    ok(&env, "swsrpmake /dev/hdisk12 /dev/hdisk10");
    same(&read(&env, 0), &images[1], "source after the restore");
    // The generations keep their images through the restore.
    for (n, image) in images.iter().enumerate() {
        same(
            &read(&env, n as u32 + 1),
            image,
            &format!("generation {} after restore", n + 1),
        );
    }
    // Only the oldest generation can be cancelled (or -Xforce, with every older one).
    acm(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk13")
        .code(1)
        .stderr_has("oldest");
    ok(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk11");
    ok(&env, "swsrpcancel -Xforce /dev/hdisk10 /dev/hdisk13");
    let stat = ok(&env, "swsrpstat -L /dev/hdisk10");
    assert_eq!(stat.matches("copy-on-write").count(), 1, "{stat}");
    same(&read(&env, 4), &images[3], "generation 4 after the cancels");
    // A new generation on a fresh SDV, then the oldest's destination again: it becomes
    // the newest.
    ok(&env, "swsrpmake -P /dev/hdisk10 /dev/hdisk11");
    acm(&env, "swsrpmake -P /dev/hdisk10 /dev/hdisk11")
        .code(1)
        .stderr_has("already exists");
    let now = read(&env, 0);
    ok(&env, "swsrpmake -P /dev/hdisk10 /dev/hdisk14");
    same(&read(&env, 4), &now, "recreated oldest generation");
}

#[test]
fn snapopc_copy_on_write_and_restart() {
    let env = TestEnv::new();
    snap_world(&env, 1, 4);
    write(&env, 0, 0, MB4, 2);
    let before = read(&env, 0);
    prints(
        &env,
        "swsrpmake -C /dev/hdisk10 /dev/hdisk11",
        "FROM=/dev/hdisk10@SV1,TO=/dev/hdisk11@SV1 swsrpmake completed\n",
    );
    write(&env, 0, 100_000, 300_000, 3);
    same(&read(&env, 1), &before, "SnapOPC image");
    assert!(ok(&env, "swsrpstat -L").contains("regular copy-on-write ---- off"));
    // -C again: the session is replaced; the image is now.
    let now = read(&env, 0);
    ok(&env, "swsrpmake -C /dev/hdisk10 /dev/hdisk11");
    write(&env, 0, 0, 1000, 4);
    same(&read(&env, 1), &now, "restarted SnapOPC image");
    // An SDV takes -C or -P only.
    acm(&env, "swsrpmake /dev/hdisk10 /dev/hdisk11").code(1);
    acm(&env, "swsrpstartsync /dev/hdisk10 /dev/hdisk11").code(1);
    ok(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk11");
    assert!(ok(&env, "swsrpstat").contains("---- ---- ----"));
}

#[test]
fn running_out_of_sdv_and_pool_capacity_fails_the_generations() {
    let env = TestEnv::new();
    // 1 MiB physical: 16 tracks of 64 KiB.
    snap_world(&env, 2, 1);
    ok(&env, "swsrpmake -P /dev/hdisk10 /dev/hdisk11");
    ok(&env, "swsrpmake -P /dev/hdisk10 /dev/hdisk12");
    env.sim_line("eternus add-pool DX1 --type normal --size-mb 1");
    // 20 tracks: 16 in the SDV, 4 from the pool.
    write(&env, 0, 0, 20 * 65536, 5);
    assert_eq!(
        ok(&env, "swsrpstat").matches("copy-on-write").count(),
        2,
        "failed before the pool was used up"
    );
    // 20 more: the pool (16 tracks) runs out.
    write(&env, 0, 20 * 65536, 20 * 65536, 6);
    let stat = ok(&env, "swsrpstat -O");
    assert_eq!(stat.matches("failed(overflow)").count(), 2, "{stat}");
}

// ----- 8.5: swstestupdate and swstsdv ------------------------------------------------------

#[test]
fn swstestupdate_counts_each_updated_block_once() {
    let env = TestEnv::new();
    snap_world(&env, 1, 1);
    prints(
        &env,
        "swstestupdate start /dev/hdisk10",
        "/dev/hdisk10 swstestupdate completed\n",
    );
    acm(&env, "swstestupdate start /dev/hdisk10").code(1);
    // 1,000 bytes from byte 100: blocks 0..=2; then blocks 1..=4 again in part.
    write(&env, 0, 100, 1000, 1);
    write(&env, 0, 600, 1900, 2);
    assert_eq!(
        ok(&env, "swstestupdate status /dev/hdisk10"),
        "Volume-Name Update\n/dev/hdisk10 5\n"
    );
    let run = acm(&env, "swstestupdate stop /dev/hdisk10");
    assert_eq!(
        run.stdout, "/dev/hdisk10 swstestupdate completed\n",
        "{}",
        run.stderr
    );
    assert_eq!(
        ok(&env, "swstestupdate status /dev/hdisk10"),
        "Volume-Name Update\n/dev/hdisk10 ----\n"
    );
    acm(&env, "swstestupdate stop /dev/hdisk10").code(1);
}

#[test]
fn swstsdv_stat_poolstat_and_init() {
    let env = TestEnv::new();
    // SDV: 4 MiB logical (8192 sectors), 1 MiB physical (2048 sectors).
    snap_world(&env, 1, 1);
    let box_id = "00ETERNUSDXM##ET44S20A##DX1#############";
    assert_eq!(
        ok(&env, "swstsdv stat /dev/hdisk11"),
        format!(
            "BoxID = {box_id}\nLUN = 1 (0x1)\n\
             Rate Logical(sector) Physical(sector) Used(sector) Copy(sector) Host(sector) Pool(sector)\n\
             0% 8192 2048 0 0 0 0\n"
        )
    );
    env.sim_line("eternus add-pool DX1 --type normal --size-mb 2");
    env.sim_line("eternus add-pool DX1 --type encrypted --size-mb 1");
    ok(&env, "swsrpmake -C /dev/hdisk10 /dev/hdisk11");
    // 20 tracks of 128 sectors: 16 in the SDV, 4 (512 sectors) from the pool.
    write(&env, 0, 0, 20 * 65536, 3);
    assert_eq!(
        ok(&env, "swstsdv stat -G /dev/hdisk10 1"),
        format!(
            "BoxID = {box_id}\nLUN = 1 (0x1)\n\
             Rate Logical(sector) Physical(sector) Used(sector) Copy(sector) Host(sector) Pool(sector)\n\
             100% 8192 2048 2048 2048 0 512\n"
        )
    );
    assert_eq!(
        ok(&env, "swstsdv poolstat -G /dev/hdisk10"),
        format!(
            "BoxID = {box_id}\n\
             Pool-Type Rate Total(sector) Used(sector) Copy(sector) Host(sector) Free(sector)\n\
             Normal 12% 4096 512 512 0 3584\n\
             Encrypted 0% 2048 0 0 0 2048\n"
        )
    );
    // init is refused while SnapOPC runs, then empties the SDV.
    acm(&env, "swstsdv init /dev/hdisk11").code(1);
    ok(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk11");
    assert_eq!(
        ok(&env, "swstsdv init /dev/hdisk11"),
        "swstsdv init completed\n"
    );
    assert!(read(&env, 1).iter().all(|b| *b == 0));
    acm(&env, "swstsdv stat /dev/hdisk10").code(1);
}

// ----- transcripts: seed 004 chapter 6 (SnapOPC, SnapOPC+) ------------------------------

/// `volumes`: (device, sdv) on SV1, 64 MiB each (SDVs: 16 MiB physical).
fn ch6_world(env: &TestEnv, volumes: &[(&str, bool)]) {
    dx::setup_box(env, "DX1", 0, "SV1");
    let mut devices = String::new();
    for (n, (device, sdv)) in volumes.iter().enumerate() {
        if *sdv {
            dx::add_sdv(env, "DX1", n, 64, 16);
        } else {
            dx::add_volume(env, "DX1", n, 64, &[]);
        }
        devices.push_str(&format!("{device} DX1 {n}\n"));
    }
    env.write(DEVICES, &devices);
    install_scripts(env, CUSTOMIZED);
}

#[test]
fn snapopc_swsrpstat_example() {
    let env = TestEnv::new();
    ch6_world(&env, &[("/dev/hdisk10", false), ("/dev/hdisk20", true)]);
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
    ok(&env, "swsrpmake -C /dev/hdisk10 /dev/hdisk20");
    // The manual prints the command as "swwsrpstat" and wraps the line (compat.md).
    assert_eq!(
        ok(&env, "swsrpstat -L /dev/hdisk10"),
        "Server Original-Volume Replica-Volume Direction Status Execute Trk Update Rcv Split Xfer Snap-Gen\n\
         SV1 /dev/hdisk10@SV1 /dev/hdisk20@SV1 regular copy-on-write ---- off 0% ---- ---- ---- ----\n"
    );
}

#[test]
fn snapopc_plus_swsrpmake_and_swsrpstat_examples() {
    let env = TestEnv::new();
    ch6_world(
        &env,
        &[
            ("/dev/vg01", false),
            ("/dev/vg02", true),
            ("/dev/vg03", true),
        ],
    );
    ok(&env, "swsrpsetvol /dev/vg01 /dev/vg02");
    ok(&env, "swsrpsetvol /dev/vg01 /dev/vg03");
    for to in ["vg02", "vg03"] {
        prints(
            &env,
            &format!("swsrpmake -P /dev/vg01@SV1 /dev/{to}@SV1"),
            &format!("FROM=/dev/vg01@SV1,TO=/dev/{to}@SV1 swsrpmake completed\n"),
        );
    }
    // 51 of the 1,024 tracks updated since generation 2: 5%.
    write(&env, 0, 0, 51 * 65536, 9);
    assert_eq!(
        ok(&env, "swsrpstat -L /dev/vg01"),
        "Server Original-Volume Replica-Volume Direction Status Execute Trk Update Rcv Split Xfer Snap-Gen\n\
         SV1 /dev/vg01@SV1 /dev/vg02@SV1 regular copy-on-write(inactive) ---- off 0% ---- ---- ---- 1\n\
         SV1 /dev/vg01@SV1 /dev/vg03@SV1 regular copy-on-write(active) ---- off 5% ---- ---- ---- 2\n"
    );
}

#[test]
fn swsrpcancel_xforce_on_a_group_stops_every_snapopc_plus_chain() {
    let env = TestEnv::new();
    snap_world(&env, 0, 1);
    // Two sources (0, 3) with two generations each on SDVs 1, 2 and 4, 5, all in GRP.
    dx::add_volume(&env, "DX1", 3, 4, &[]);
    for n in [1, 2, 4, 5] {
        dx::add_sdv(&env, "DX1", n, 4, 1);
    }
    env.write(
        DEVICES,
        "/dev/hdisk10 DX1 0\n/dev/hdisk11 DX1 1\n/dev/hdisk12 DX1 2\n/dev/hdisk13 DX1 3\n/dev/hdisk14 DX1 4\n/dev/hdisk15 DX1 5\n",
    );
    // The group holds the newest generation of each chain (a volume is in a group once).
    for (from, to, group) in [
        (10, 11, ""),
        (10, 12, "-Xgroup GRP "),
        (13, 14, ""),
        (13, 15, "-Xgroup GRP "),
    ] {
        ok(
            &env,
            &format!("swsrpsetvol {group}/dev/hdisk{from} /dev/hdisk{to}"),
        );
        ok(
            &env,
            &format!("swsrpmake -P /dev/hdisk{from} /dev/hdisk{to}"),
        );
    }
    assert_eq!(ok(&env, "swsrpstat").matches("copy-on-write").count(), 4);
    // Without -Xforce a newest generation (not the oldest) cannot be cancelled.
    acm(&env, "swsrpcancel -Xgroup GRP")
        .code(1)
        .stderr_has("oldest");
    ok(&env, "swsrpcancel -Xforce -Xgroup GRP");
    let stat = ok(&env, "swsrpstat");
    assert_eq!(stat.matches("copy-on-write").count(), 0, "{stat}");
}

/// Chapter 6, SnapOPC: "Perform restorations from the copy destination volume by running an
/// OPC using the swsrpmake command", then `swsrpstat -E` while the restore copies. The
/// manual prints the restore with the operands in the regular order (compat.md): the
/// restore runs from the destination to the source. The restore copies at the array's
/// rate, as any OPC: its 1,000 changed tracks at 1 a second are 80% copied after 802 s
/// (the few real seconds the commands take do not change the figure).
#[test]
fn snapopc_restore_and_swsrpstat_e_examples() {
    let env = TestEnv::new();
    ch6_world(&env, &[("/dev/hdisk10", false), ("/dev/hdisk20", true)]);
    env.sim_line("eternus add-pool DX1 --type normal --size-mb 256");
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
    write(&env, 0, 0, 64 * 65536, 3);
    let image = read(&env, 0);
    ok(&env, "swsrpmake -C /dev/hdisk10 /dev/hdisk20");
    write(&env, 0, 0, 1000 * 65536, 4);
    // The percentages below are exact: real time must not add tracks between commands.
    env.sim(&["clock", "freeze"]);
    env.sim(&["rate", "DX1", "1"]);
    assert_eq!(
        ok(&env, "swsrpmake /dev/hdisk20 /dev/hdisk10"),
        "FROM=/dev/hdisk20@SV1,TO=/dev/hdisk10@SV1 swsrpmake completed\n"
    );
    // Point in time: the source reads as the SnapOPC's image at once, mid-copy included.
    same(&read(&env, 0), &image, "source during the restore");
    env.sim(&["clock", "advance", "802s"]);
    assert_eq!(
        ok(&env, "swsrpstat -E /dev/hdisk10"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SV1 /dev/hdisk10@SV1 /dev/hdisk20@SV1 reverse snap 80%\n"
    );
    env.sim(&["clock", "advance", "300s"]);
    assert_eq!(
        ok(&env, "swsrpstat -E /dev/hdisk10"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SV1 /dev/hdisk10@SV1 /dev/hdisk20@SV1 ---- ---- ----\n"
    );
    same(&read(&env, 0), &image, "source after the restore");
    // The SnapOPC session is kept as it is (chapter 6).
    assert!(ok(&env, "swsrpstat /dev/hdisk10").contains("regular copy-on-write"));
}

/// Chapter 6, SnapOPC+: restore from generation 2 (`swsrpmake /dev/vg03@SV1 /dev/vg01@SV1`)
/// and `swsrpstat -E /dev/vg01` during it; generation 1 shows no reverse copy.
#[test]
fn snapopc_plus_restore_and_swsrpstat_e_examples() {
    let env = TestEnv::new();
    ch6_world(
        &env,
        &[
            ("/dev/vg01", false),
            ("/dev/vg02", true),
            ("/dev/vg03", true),
        ],
    );
    env.sim_line("eternus add-pool DX1 --type normal --size-mb 256");
    ok(&env, "swsrpsetvol /dev/vg01 /dev/vg02");
    ok(&env, "swsrpsetvol /dev/vg01 /dev/vg03");
    write(&env, 0, 0, 64 * 65536, 5);
    let image = read(&env, 0);
    ok(&env, "swsrpmake -P /dev/vg01@SV1 /dev/vg02@SV1");
    ok(&env, "swsrpmake -P /dev/vg01@SV1 /dev/vg03@SV1");
    write(&env, 0, 0, 1000 * 65536, 6);
    env.sim(&["clock", "freeze"]);
    env.sim(&["rate", "DX1", "1"]);
    assert_eq!(
        ok(&env, "swsrpmake /dev/vg03@SV1 /dev/vg01@SV1"),
        "FROM=/dev/vg03@SV1,TO=/dev/vg01@SV1 swsrpmake completed\n"
    );
    env.sim(&["clock", "advance", "802s"]);
    // The manual's first row shows two of its three dashes (compat.md).
    assert_eq!(
        ok(&env, "swsrpstat -E /dev/vg01"),
        "Server Original-Volume Replica-Volume Direction Status Execute\n\
         SV1 /dev/vg01@SV1 /dev/vg02@SV1 ---- ---- ----\n\
         SV1 /dev/vg01@SV1 /dev/vg03@SV1 reverse snap 80%\n"
    );
    env.sim(&["clock", "advance", "300s"]);
    same(&read(&env, 0), &image, "source after the restore");
    same(&read(&env, 2), &image, "generation 2 after the restore");
    same(&read(&env, 1), &image, "generation 1 after the restore");
    let stat = ok(&env, "swsrpstat -L /dev/vg01");
    assert!(stat.contains("copy-on-write(active)"), "{stat}");
}

/// 8.3.2.2 NOTES: to restore from a Snap Data Volume there must be a SnapOPC session
/// between the copy source volume and the copy destination volume. Without one (never
/// made, or cancelled) the restore is refused before anything reaches the array.
#[test]
fn restore_from_a_snap_data_volume_without_its_session_is_refused() {
    let env = TestEnv::new();
    ch6_world(&env, &[("/dev/hdisk10", false), ("/dev/hdisk20", true)]);
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
    write(&env, 0, 0, 4 * 65536, 7);
    let before = read(&env, 0);
    for setup in [
        "",
        "swsrpmake -C /dev/hdisk10 /dev/hdisk20|swsrpcancel /dev/hdisk10 /dev/hdisk20",
    ] {
        for command in setup.split('|').filter(|c| !c.is_empty()) {
            ok(&env, command);
        }
        env.clear_calls();
        acm(&env, "swsrpmake /dev/hdisk20 /dev/hdisk10")
            .code(1)
            .stderr_has("there must be a SnapOPC session");
        let commands = env.commands(Some("eternus-cli"));
        assert!(
            commands.iter().all(|c| c.starts_with("show ")),
            "sent to the array: {commands:?}"
        );
        same(&read(&env, 0), &before, "source after the refusal");
    }
}

/// Chapter 6: "if SnapOPCs are being performed to multiple copy destination volumes,
/// restoration cannot be performed"; with the other SnapOPC cancelled it can.
#[test]
fn restore_of_a_snapopc_with_several_destinations_is_refused() {
    let env = TestEnv::new();
    ch6_world(
        &env,
        &[
            ("/dev/hdisk10", false),
            ("/dev/hdisk20", true),
            ("/dev/hdisk21", true),
        ],
    );
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk20");
    ok(&env, "swsrpsetvol /dev/hdisk10 /dev/hdisk21");
    write(&env, 0, 0, 4 * 65536, 8);
    let image = read(&env, 0);
    ok(&env, "swsrpmake -C /dev/hdisk10 /dev/hdisk20");
    ok(&env, "swsrpmake -C /dev/hdisk10 /dev/hdisk21");
    write(&env, 0, 0, 2 * 65536, 9);
    env.clear_calls();
    acm(&env, "swsrpmake /dev/hdisk20 /dev/hdisk10")
        .code(1)
        .stderr_has("restoration cannot be performed");
    let commands = env.commands(Some("eternus-cli"));
    assert!(
        commands.iter().all(|c| c.starts_with("show ")),
        "sent to the array: {commands:?}"
    );
    ok(&env, "swsrpcancel /dev/hdisk10 /dev/hdisk21");
    ok(&env, "swsrpmake /dev/hdisk20 /dev/hdisk10");
    env.sim(&["clock", "advance", "10s"]);
    same(&read(&env, 0), &image, "source after the restore");
}

/// A host write to the source while a restore from its SDV is still copying: the track is
/// restored first, then the write lands (manual 6.1.1), so every other byte is the
/// generation's image and the write survives the rest of the restore.
#[test]
fn a_write_during_a_restore_from_an_sdv_keeps_the_rest_of_the_image() {
    let env = TestEnv::new();
    snap_world(&env, 1, 4);
    write(&env, 0, 0, MB4, 1);
    let image = read(&env, 0);
    ok(&env, "swsrpmake -C /dev/hdisk10 /dev/hdisk11");
    write(&env, 0, 0, MB4, 2);
    env.sim(&["rate", "DX1", "0"]);
    ok(&env, "swsrpmake /dev/hdisk11 /dev/hdisk10");
    assert!(ok(&env, "swsrpstat -E /dev/hdisk10").contains("reverse snap 0%"));
    write(&env, 0, 100_000, 1_000, 3);
    let after_write = read(&env, 0);
    same(
        &after_write[..100_000],
        &image[..100_000],
        "before the write",
    );
    same(
        &after_write[101_000..],
        &image[101_000..],
        "after the write",
    );
    env.sim(&["rate", "DX1", "16384"]);
    env.sim(&["clock", "advance", "10s"]);
    assert!(ok(&env, "swsrpstat -E /dev/hdisk10").contains("---- ---- ----"));
    same(&read(&env, 0), &after_write, "source after the restore");
}
