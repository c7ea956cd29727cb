//! Running the AdvancedCopy Manager commands in tests: one table of their binaries and one
//! runner, shared by the backup, replication, agent-configuration and observation suites.

use super::env::{Run, TestEnv};

/// The built binary of an ACM command.
pub fn bin(name: &str) -> &'static str {
    match name {
        "swsrpsetvol" => env!("CARGO_BIN_EXE_swsrpsetvol"),
        "swsrpvolinfo" => env!("CARGO_BIN_EXE_swsrpvolinfo"),
        "swsrpdelvol" => env!("CARGO_BIN_EXE_swsrpdelvol"),
        "swsrpstartsync" => env!("CARGO_BIN_EXE_swsrpstartsync"),
        "swsrpmake" => env!("CARGO_BIN_EXE_swsrpmake"),
        "swsrpstat" => env!("CARGO_BIN_EXE_swsrpstat"),
        "swsrpcancel" => env!("CARGO_BIN_EXE_swsrpcancel"),
        "swsrpchsync" => env!("CARGO_BIN_EXE_swsrpchsync"),
        "swsrpchsnc" => env!("CARGO_BIN_EXE_swsrpchsnc"),
        "swsrprecbuffstat" => env!("CARGO_BIN_EXE_swsrprecbuffstat"),
        "swsrprecbuffset" => env!("CARGO_BIN_EXE_swsrprecbuffset"),
        "swsrprevsync" => env!("CARGO_BIN_EXE_swsrprevsync"),
        "swsrprecoverres" => env!("CARGO_BIN_EXE_swsrprecoverres"),
        "swstestupdate" => env!("CARGO_BIN_EXE_swstestupdate"),
        "swstsdv" => env!("CARGO_BIN_EXE_swstsdv"),
        "swstsvrset" => env!("CARGO_BIN_EXE_swstsvrset"),
        "swstsvrdisp" => env!("CARGO_BIN_EXE_swstsvrdisp"),
        "swstdevinfoset" => env!("CARGO_BIN_EXE_swstdevinfoset"),
        "swstdevdisp" => env!("CARGO_BIN_EXE_swstdevdisp"),
        "swstbkpolset" => env!("CARGO_BIN_EXE_swstbkpolset"),
        "swstbkpoldisp" => env!("CARGO_BIN_EXE_swstbkpoldisp"),
        "swstbkpoldel" => env!("CARGO_BIN_EXE_swstbkpoldel"),
        "swstbackup" => env!("CARGO_BIN_EXE_swstbackup"),
        "swstbackstat" => env!("CARGO_BIN_EXE_swstbackstat"),
        "swstrestore" => env!("CARGO_BIN_EXE_swstrestore"),
        "swstcancelrest" => env!("CARGO_BIN_EXE_swstcancelrest"),
        "swstreststat" => env!("CARGO_BIN_EXE_swstreststat"),
        "swsthistdisp" => env!("CARGO_BIN_EXE_swsthistdisp"),
        "swsthistdel" => env!("CARGO_BIN_EXE_swsthistdel"),
        "swststartsync" => env!("CARGO_BIN_EXE_swststartsync"),
        "swstcancelsync" => env!("CARGO_BIN_EXE_swstcancelsync"),
        "swstsyncstat" => env!("CARGO_BIN_EXE_swstsyncstat"),
        "swstexecstat" => env!("CARGO_BIN_EXE_swstexecstat"),
        "swstcanceltrk" => env!("CARGO_BIN_EXE_swstcanceltrk"),
        "swsttrkstat" => env!("CARGO_BIN_EXE_swsttrkstat"),
        "swstsrsemtch" => env!("CARGO_BIN_EXE_swstsrsemtch"),
        "swstsrsemth" => env!("CARGO_BIN_EXE_swstsrsemth"),
        "swstresback" => env!("CARGO_BIN_EXE_swstresback"),
        "swstresrst" => env!("CARGO_BIN_EXE_swstresrst"),
        "stgcmmodnode" => env!("CARGO_BIN_EXE_stgcmmodnode"),
        "stgenvdisp" => env!("CARGO_BIN_EXE_stgenvdisp"),
        "stgmgrinfoset" => env!("CARGO_BIN_EXE_stgmgrinfoset"),
        "stgmgrinfobkup" => env!("CARGO_BIN_EXE_stgmgrinfobkup"),
        "stgmgrinfodisp" => env!("CARGO_BIN_EXE_stgmgrinfodisp"),
        "stgxfwcmdispsrv" => env!("CARGO_BIN_EXE_stgxfwcmdispsrv"),
        "acmcapture" => env!("CARGO_BIN_EXE_acmcapture"),
        other => panic!("not an ACM command: {other}"),
    }
}

/// Runs an ACM command line (`swsrpmake -T /dev/a /dev/b`), split on whitespace, with a
/// 2 s command-exclusion wait and quick array retries.
pub fn acm(env: &TestEnv, line: &str) -> Run {
    acm_with(env, line, &[("ARRAYSYNC_ACM_WAITLOCK", "2")])
}

/// [`acm`] with other variables (each replaces the default of the same name).
pub fn acm_with(env: &TestEnv, line: &str, vars: &[(&str, &str)]) -> Run {
    let words: Vec<&str> = line.split_whitespace().collect();
    let mut command = env.command(bin(words[0]));
    command
        .args(&words[1..])
        .env("ARRAYSYNC_ACM_WAITLOCK", "2")
        .env("ARRAYSYNC_ETERNUS_RETRY_MS", "50")
        .envs(vars.iter().copied());
    let output = command.output().expect("spawn");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// Runs an ACM command line that must exit 0; its stdout.
#[track_caller]
pub fn ok(env: &TestEnv, line: &str) -> String {
    succeeded(line, acm(env, line))
}

/// Runs an ACM command line that must exit 0 and print exactly `stdout`.
#[track_caller]
pub fn prints(env: &TestEnv, line: &str, stdout: &str) {
    let run = acm(env, line);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, stdout),
        "{line}\n--- stderr\n{}",
        run.stderr
    );
}

/// The stdout of `run` (of `line`), which must have exited 0.
#[track_caller]
pub fn succeeded(line: &str, run: Run) -> String {
    assert_eq!(
        run.code, 0,
        "{line}\n--- stdout\n{}\n--- stderr\n{}",
        run.stdout, run.stderr
    );
    run.stdout
}

/// Runs the ACM command `name` with `operand` as a non-root user with no root prefix (as
/// the nobody user when the tests run as root).
pub fn run_as_non_root(name: &str, operand: &str) -> Run {
    use std::os::unix::fs::MetadataExt;
    let mut command = std::process::Command::new(bin(name));
    command.env_remove("ARRAYSYNC_ROOT").arg(operand);
    let euid = std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .unwrap_or(0);
    if euid == 0 {
        use std::os::unix::process::CommandExt;
        command.uid(65534).gid(65534);
    }
    let output = command.output().expect("spawn");
    Run {
        code: output.status.code().unwrap_or(0),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `yyyy/mm/dd hh:mm:ss` dates replaced by `[DATE]` (they depend on the clock).
pub fn redact_dates(text: &str) -> String {
    text.lines()
        .map(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            let mut kept = Vec::new();
            let mut i = 0;
            while i < words.len() {
                let w = words[i].as_bytes();
                if w.len() == 10 && w[4] == b'/' && w[7] == b'/' && w[0].is_ascii_digit() {
                    kept.push("[DATE]");
                    i += 2;
                    continue;
                }
                kept.push(words[i]);
                i += 1;
            }
            kept.join(" ") + "\n"
        })
        .collect()
}
