//! ETERNUS replication, part 2: a test per defect of the first part (issue 13), each
//! failing before its fix, and the emulator's copy semantics (copy-before-write on the
//! OPC destination, EC destination write refusal, source changes made outside the
//! emulator).

use super::env::TestEnv;
use super::eternus::{acm, group_world, ok, pair_world, read, world, write};
use std::os::unix::fs::PermissionsExt;

/// The binaries of the commands this part adds (the first part's are mapped in eternus.rs).
pub(super) fn bin(name: &str) -> Option<&'static str> {
    let _ = name;
    None
}

fn script(env: &TestEnv, name: &str, text: &str) {
    let path = format!("/etc/opt/FJSVswsrp/sh/{name}");
    env.write(&path, text);
    std::fs::set_permissions(env.path(&path), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
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
    let run = acm(&env, "swsrpmake -Xconcur /dev/hdisk10 /dev/hdisk20");
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (
            0,
            "FROM=/dev/hdisk10@SV1,TO=/dev/hdisk20@SV1 swsrpmake completed\n"
        ),
        "{}",
        run.stderr
    );
    assert!(ok(&env, "swsrpstat").contains("regular replicated ----"));
    // -Xconcur-opc keeps needing -Xgroup.
    acm(&env, "swsrpmake -Xconcur-opc /dev/hdisk10 /dev/hdisk20")
        .code(2)
        .stderr_has("-Xgroup");
}

// ----- defect 3: a snapshot that ended between the query and its stop -------------------

#[test]
fn restarting_a_snapshot_whose_session_just_ended_makes_a_new_copy() {
    let env = TestEnv::new();
    pair_world(&env);
    env.sim(&["rate", "DX1", "0"]);
    ok(&env, "swsrpmake /dev/hdisk10 /dev/hdisk20");
    assert!(ok(&env, "swsrpstat").contains("regular snap 0%"));
    // The array answers the stop as it does once the session is gone.
    env.sim(&[
        "fault",
        "add",
        "--prog",
        "eternus-cli",
        "--command",
        "stop",
        "--message",
        "Error: E0110 Resource does not exist.",
        "--times",
        "1",
    ]);
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
    env.sim(&[
        "fault",
        "add",
        "--prog",
        "eternus-cli",
        "--command",
        "stop",
        "--message",
        "Error: E0110 Resource does not exist.",
        "--times",
        "1",
    ]);
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
    env.sim(&[
        "fault",
        "add",
        "--prog",
        "eternus-cli",
        "--command",
        "show",
        "--message",
        "",
    ]);
    env.clear_calls();
    acm(&env, "swsrpstat").code(1).stderr_has("no table header");
    acm(&env, "swsrpmake -T /dev/hdisk10 /dev/hdisk20")
        .code(1)
        .stderr_has("no table header");
    assert!(
        !env.commands(Some("eternus-cli"))
            .iter()
            .any(|c| c.starts_with("start")),
        "a copy was started on an unread state"
    );
}

// silence unused-import warnings until the data tests below use them
#[allow(dead_code)]
fn _uses(env: &TestEnv) {
    let _ = read(env, 0);
    write(env, 0, 0, 1, 1);
    world(env, "SV1", &[]);
}
