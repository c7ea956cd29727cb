//! `arraysim` as a tool of its own: help and version on stdout, exit 0, no state directory.

use std::process::Command;

fn arraysim(args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_arraysim"))
        .args(args)
        .current_dir(dir.path())
        .env_remove("ARRAYSIM_STATE")
        .env_remove("ARRAYSYNC_ROOT")
        .output()
        .expect("spawn arraysim");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn help_lists_every_vendor_with_a_description_on_stdout() {
    let (code, stdout, stderr) = arraysim(&["--help"]);
    assert_eq!((code, stderr.as_str()), (0, ""), "{stdout}");
    for line in [
        "  ibmds      IBM DS8000 FlashCopy",
        "  necism     NEC iStorage",
        "  symclone   EMC Symmetrix",
        "  eternus    Fujitsu ETERNUS",
        "  clock ",
        "  setup ",
    ] {
        assert!(stdout.contains(line), "--help lacks {line:?}\n{stdout}");
    }
}

#[test]
fn version_and_per_vendor_help_need_no_state_directory() {
    let (code, stdout, _) = arraysim(&["--version"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("arraysim "), "{stdout}");
    let (code, stdout, stderr) = arraysim(&["setup", "--help"]);
    assert_eq!(code, 0, "{stderr}");
    for option in ["--hmc1", "--pairs N", "--symid", "--size-mb"] {
        assert!(
            stdout.contains(option),
            "setup --help lacks {option}\n{stdout}"
        );
    }
    let (code, stdout, stderr) = arraysim(&["symclone", "--help"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("arraysim symclone set SYMID DEV"),
        "{stdout}"
    );
    let (code, stdout, _) = arraysim(&["setup", "ibmds", "--help"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("--no-service"), "{stdout}");
    // A real command still needs the state directory, and says so.
    let (code, _, stderr) = arraysim(&["clock", "show"]);
    assert_ne!(code, 0);
    assert!(!stderr.is_empty());
}
