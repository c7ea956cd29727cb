//! Process-level tests: the built `arraysim` run through a `dscli` symlink against a temporary
//! state directory.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const DEV: &str = "IBM.XXXX-XXXXXXX";
const HMC1: &str = "10.10.10.10";
const HMC2: &str = "10.10.10.11";
const USER: &str = "opensvc";
const PASSWORD: &str = "s3cret";

struct Sim {
    dir: tempfile::TempDir,
}

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_arraysim")
}

impl Sim {
    /// A sandbox with the seed-000 array, copies frozen (rate 0).
    fn new() -> Sim {
        let sim = Sim {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::os::unix::fs::symlink(exe(), sim.dir.path().join("dscli")).expect("symlink");
        let out = sim.admin(&[
            "setup",
            "ibmds",
            "--root",
            sim.root().to_str().expect("utf8"),
            "--hmc2",
            HMC2,
            "--password",
            PASSWORD,
        ]);
        assert!(out.status.success(), "setup: {}", text(&out.stderr));
        sim.ok(&["rate", DEV, "0"]);
        sim
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn state(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn pwfile(&self) -> String {
        self.root()
            .join(format!("var/lib/arraysync/{DEV}.pwfile"))
            .to_string_lossy()
            .into_owned()
    }

    fn cmd(&self, program: &Path, args: &[&str]) -> Command {
        let mut c = Command::new(program);
        c.args(args)
            .env("ARRAYSIM_STATE", self.state())
            .env_remove("ARRAYSYNC_ROOT")
            .env("TZ", "UTC")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    fn run(&self, program: &Path, args: &[&str], stdin: &str) -> Output {
        let mut child = self.cmd(program, args).spawn().expect("spawn");
        let mut input = child.stdin.take().expect("stdin");
        input.write_all(stdin.as_bytes()).expect("write stdin");
        drop(input);
        child.wait_with_output().expect("wait")
    }

    fn admin(&self, args: &[&str]) -> Output {
        self.run(Path::new(exe()), args, "")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.admin(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Injects a fault into the emulated dscli (`fault add --prog dscli OPTIONS`).
    fn fault(&self, options: &[&str]) {
        let mut args = vec!["fault", "add", "--prog", "dscli"];
        args.extend_from_slice(options);
        self.ok(&args);
    }

    /// [`Sim::dscli`] with the command in one line, split on whitespace.
    fn dscli_line(&self, line: &str, stdin: &str) -> Output {
        let args: Vec<&str> = line.split_whitespace().collect();
        self.dscli(&args, stdin)
    }

    fn dscli_raw(&self, args: &[&str], stdin: &str) -> Output {
        self.run(&self.dir.path().join("dscli"), args, stdin)
    }

    /// dscli with the pwfile login options, then `args`.
    fn dscli(&self, args: &[&str], stdin: &str) -> Output {
        let pw = self.pwfile();
        let mut all = vec!["-hmc1", HMC1, "-user", USER, "-pwfile", pw.as_str()];
        all.extend_from_slice(args);
        self.dscli_raw(&all, stdin)
    }

    fn mkflash_seed_pairs(&self) {
        let out = self.dscli_line(
            &format!("mkflash -dev {DEV} -record -persist -cp 0001:0002 0101:0102 0003:0004"),
            "",
        );
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    }

    /// `lsflash -l` rows in delim format, as (header, rows).
    fn lsflash_delim(&self, ids: &[&str]) -> (Vec<String>, Vec<Vec<String>>) {
        let mut args = vec!["lsflash", "-l", "-dev", DEV, "-fmt", "delim", "-bnr", "off"];
        args.extend_from_slice(ids);
        let out = self.dscli(&args, "");
        assert_eq!(code(&out), 0, "{}", text(&out.stderr));
        let t = text(&out.stdout);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines.len() >= 2 && lines[1].starts_with("==="), "{t}");
        let header = lines[0].split(',').map(str::to_string).collect();
        let rows = lines[2..]
            .iter()
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        (header, rows)
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn code(o: &Output) -> i32 {
    o.status.code().unwrap_or(-1)
}

fn field<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header.iter().position(|h| h == name).expect("column");
    &row[i]
}

const LONG_HEADER: &str = "ID,SrcLSS,SequenceNum,Timeout,ActiveCopy,Recording,Persistent,\
Revertible,SourceWriteEnabled,TargetWriteEnabled,BackgroundCopy,OutOfSyncTracks,DateCreated,\
DateSynced,State,isTgtSE";

fn is_banner(line: &str) -> bool {
    line.starts_with("Date/Time: ")
        && line.ends_with(&format!(" IBM DSCLI Version: 7.7.10.317 DS: {DEV}"))
}

#[test]
fn managepwfile_then_login() {
    let sim = Sim::new();
    let pw = sim.dir.path().join("my.pwfile");
    let pws = pw.to_str().expect("utf8");
    let out = sim.dscli_raw(
        &[
            "managepwfile",
            "-action",
            "add",
            "-mc1",
            HMC1,
            "-mc2",
            HMC2,
            "-pwfile",
            pws,
            "-name",
            USER,
            "-pw",
            PASSWORD,
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!("CMUC00205I managepwfile: Password file {pws} successfully created.\n")
    );
    let mode = std::fs::metadata(&pw).expect("pwfile").permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );

    let out = sim.dscli_raw(
        &[
            "-hmc1", HMC1, "-user", USER, "-pwfile", pws, "lsflash", "-dev", DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let lines: Vec<&str> = t.lines().collect();
    assert!(is_banner(lines[0]), "{t}");
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], "CMUC00234I lsflash: No Flash Copy found.");

    // The password is masked in the call log.
    let log = sim.ok(&["calls", "--json"]);
    assert!(!log.contains(PASSWORD), "{log}");
    assert!(log.contains("********"));
}

#[test]
fn mkflash_then_lsflash_long_delim() {
    let sim = Sim::new();
    let out = sim.dscli_line(
        &format!("mkflash -dev {DEV} -record -persist 0001:0002"),
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(is_banner(t.lines().next().expect("banner")), "{t}");
    assert!(t.ends_with("\n\nCMUC00137I mkflash: FlashCopy pair 0001:0002 successfully created.\n"));

    let input =
        format!("setenv -banner off -header on -format delim\nlsflash -l -dev {DEV} 0001:0002\n");
    let out = sim.dscli(&[], &input);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let t = text(&out.stdout);
    let lines: Vec<&str> = t.lines().collect();
    assert!(is_banner(lines[0]), "{t}");
    assert_eq!(lines[1], "");
    assert_eq!(lines[2], format!("dscli> dscli> {LONG_HEADER}"));
    assert!(lines[3].starts_with("===") && lines[3].chars().all(|c| c == '='));
    assert!(
        lines[4].starts_with(
            "0001:0002,00,0,120,Enabled,Enabled,Enabled,Disabled,Enabled,Enabled,Enabled,16384,"
        ),
        "{t}"
    );
    assert!(lines[4].ends_with(",Valid,Std"), "{t}");
    assert_eq!(lines.len(), 5);

    // A second mkflash of the same pair fails and changes nothing.
    let out = sim.dscli_line(&format!("mkflash -dev {DEV} 0001:0002"), "");
    assert_eq!(code(&out), 4);
    assert!(text(&out.stderr).starts_with("CMUN03012E mkflash: 0001:0002: "));
    let (h, rows) = sim.lsflash_delim(&["0001:0002"]);
    assert_eq!(field(&h, &rows[0], "Recording"), "Enabled");
}

#[test]
fn resyncflash_three_pairs_on_stdin_matches_seed_000() {
    let sim = Sim::new();
    sim.mkflash_seed_pairs();
    let input =
        format!("resyncflash -dev {DEV} -persist -record -cp 0001:0002 0101:0102 0003:0004\n");
    let out = sim.dscli(&[], &input);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), "");
    let t = text(&out.stdout);
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines.len(), 7, "{t}");
    assert!(is_banner(lines[0]), "{t}");
    assert_eq!(lines[1], "");
    assert!(
        lines[2].starts_with("dscli> ") && is_banner(&lines[2][7..]),
        "{t}"
    );
    assert_eq!(lines[3], "");
    for (l, p) in lines[4..]
        .iter()
        .zip(["0001:0002", "0101:0102", "0003:0004"])
    {
        assert_eq!(
            *l,
            format!(
                "CMUC00168I resyncflash: FlashCopy volume pair {p} successfully resynchronized."
            )
        );
    }
    // What OpenSVC logs after stripping every `dscli>`.
    let stripped = t.replace("dscli>", "");
    assert!(stripped
        .lines()
        .nth(2)
        .expect("line")
        .starts_with(" Date/Time: "));
}

#[test]
fn resync_replaces_options_and_needs_recording() {
    let sim = Sim::new();
    sim.mkflash_seed_pairs();
    // Without -record, recording becomes Disabled...
    let out = sim.dscli_line(&format!("resyncflash -dev {DEV} -persist 0001:0002"), "");
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let (h, rows) = sim.lsflash_delim(&["0001:0002"]);
    assert_eq!(field(&h, &rows[0], "Recording"), "Disabled");
    assert_eq!(field(&h, &rows[0], "Persistent"), "Enabled");
    // ...and the next resync is refused, leaving the pair as it was.
    let out = sim.dscli_line(&format!("resyncflash -dev {DEV} -record 0001:0002"), "");
    assert_eq!(code(&out), 4);
    assert!(text(&out.stderr).starts_with("CMUN03041E resyncflash: 0001:0002: "));
    let (h, rows2) = sim.lsflash_delim(&["0001:0002"]);
    assert_eq!(rows2, rows);
    assert_eq!(field(&h, &rows2[0], "Recording"), "Disabled");
    // A pair that does not exist.
    let out = sim.dscli_line(&format!("resyncflash -dev {DEV} -record 0002:0001"), "");
    assert_eq!(code(&out), 4);
    assert!(text(&out.stderr).starts_with("CMUN03027E resyncflash: 0002:0001: "));
}

#[test]
fn incremental_resync_copies_changed_tracks() {
    let sim = Sim::new();
    sim.mkflash_seed_pairs();
    sim.ok(&["ibmds", "write", DEV, "0001", "100"]);
    // Copies are frozen (rate 0): the full initial copy is still pending, capped at the size.
    let out = sim.dscli_line(
        &format!("resyncflash -dev {DEV} -record -persist 0001:0002"),
        "",
    );
    assert_eq!(code(&out), 0);
    let (h, rows) = sim.lsflash_delim(&["0001:0002"]);
    assert_eq!(field(&h, &rows[0], "OutOfSyncTracks"), "16384");
    // Let it finish, then write and resync: only the changed tracks are out of sync.
    sim.ok(&["rate", DEV, "16384"]);
    sim.ok(&["clock", "advance", "10s"]);
    sim.ok(&["rate", DEV, "0"]);
    let (h, rows) = sim.lsflash_delim(&["0001:0002"]);
    assert_eq!(field(&h, &rows[0], "OutOfSyncTracks"), "0");
    assert_eq!(field(&h, &rows[0], "ActiveCopy"), "Disabled");
    sim.ok(&["ibmds", "write", DEV, "0001", "100"]);
    let out = sim.dscli_line(
        &format!("resyncflash -dev {DEV} -record -persist 0001:0002"),
        "",
    );
    assert_eq!(code(&out), 0);
    let (h, rows) = sim.lsflash_delim(&["0001:0002"]);
    assert_eq!(field(&h, &rows[0], "OutOfSyncTracks"), "100");
    assert_eq!(field(&h, &rows[0], "ActiveCopy"), "Enabled");
}

#[test]
fn rmflash_quiet_and_no_flash_found() {
    let sim = Sim::new();
    sim.mkflash_seed_pairs();
    let out = sim.dscli_line(
        &format!("rmflash -dev {DEV} -quiet 0001:0002 0101:0102"),
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let t = text(&out.stdout);
    assert!(t.ends_with(
        "\n\nCMUC00140I rmflash: FlashCopy pair 0001:0002 successfully removed.\n\
         CMUC00140I rmflash: FlashCopy pair 0101:0102 successfully removed.\n"
    ));
    let out = sim.dscli_line(&format!("lsflash -l -dev {DEV} 0001:0002 0101:0102"), "");
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).ends_with("\n\nCMUC00234I lsflash: No Flash Copy found.\n"));
    let (_, rows) = sim.lsflash_delim(&["0000-FFFF"]);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0][0], "0003:0004");

    // Without -quiet the answer is read from stdin.
    let out = sim.dscli_line(&format!("rmflash -dev {DEV} 0003:0004"), "n\n");
    assert_eq!(code(&out), 0);
    assert!(text(&out.stdout).contains(
        "CMUC00144W rmflash: Are you sure you want to remove the FlashCopy pair 0003:0004:? [y/n]:"
    ));
    assert_eq!(sim.lsflash_delim(&["0003:0004"]).1.len(), 1);
    let out = sim.dscli_line(&format!("rmflash -dev {DEV} 0003:0004"), "y\n");
    assert!(text(&out.stdout).contains("CMUC00140I rmflash: FlashCopy pair 0003:0004"));
}

#[test]
fn injected_pair_fault_in_a_batch() {
    let sim = Sim::new();
    sim.mkflash_seed_pairs();
    sim.fault(&[
        "--command",
        "resyncflash",
        "--pair",
        "0101:0102",
        "--exit",
        "4",
        "--message",
        "CMUN03044E resyncflash: 0101:0102: Injected failure.",
        "--times",
        "1",
    ]);
    let input =
        format!("resyncflash -dev {DEV} -persist -record -cp 0001:0002 0101:0102 0003:0004\n");
    let out = sim.dscli(&[], &input);
    assert_eq!(code(&out), 4);
    assert_eq!(
        text(&out.stderr),
        "CMUN03044E resyncflash: 0101:0102: Injected failure.\n"
    );
    let t = text(&out.stdout);
    assert!(t.contains("pair 0001:0002 successfully resynchronized."));
    assert!(t.contains("pair 0003:0004 successfully resynchronized."));
    assert!(!t.contains("0101:0102"));
    // --times 1: the next run succeeds.
    let out = sim.dscli(&[], &input);
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(sim.ok(&["fault", "list"]).contains("fired=1/1"));
}

#[test]
fn command_faults_noise_and_hang() {
    let sim = Sim::new();
    sim.fault(&["--command", "lsflash", "--stderr-noise", "WARN: noise"]);
    let out = sim.dscli_line(&format!("lsflash -dev {DEV}"), "");
    assert_eq!(code(&out), 0);
    assert_eq!(text(&out.stderr), "WARN: noise\n");
    sim.ok(&["fault", "clear"]);

    sim.fault(&["--command", "lsflash", "--exit", "6"]);
    let out = sim.dscli_line(&format!("lsflash -dev {DEV}"), "");
    assert_eq!(code(&out), 6);
    assert!(text(&out.stderr).starts_with("CMUN80000E lsflash: "));
    sim.ok(&["fault", "clear"]);

    sim.fault(&["--hang"]);
    let pw = sim.pwfile();
    let mut child = sim
        .cmd(
            &sim.dir.path().join("dscli"),
            &[
                "-hmc1", HMC1, "-user", USER, "-pwfile", &pw, "lsflash", "-dev", DEV,
            ],
        )
        .spawn()
        .expect("spawn");
    std::thread::sleep(Duration::from_millis(700));
    assert!(child.try_wait().expect("try_wait").is_none(), "should hang");
    child.kill().expect("kill");
    let _ = child.wait();
    let log = sim.ok(&["calls", "--json"]);
    assert!(log.contains("\"exit\":null"), "{log}");
}

#[test]
fn authentication_failures_exit_5() {
    let sim = Sim::new();
    let out = sim.dscli_raw(
        &[
            "-hmc1", HMC1, "-user", USER, "-passwd", "wrong", "lsflash", "-dev", DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 5);
    assert!(text(&out.stderr).starts_with("CMUC00191E "));
    assert_eq!(text(&out.stdout), "");

    let out = sim.dscli_raw(
        &[
            "-hmc1",
            HMC1,
            "-user",
            USER,
            "-pwfile",
            "/nonexistent/pw",
            "lsflash",
            "-dev",
            DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 5);
    assert!(text(&out.stderr).starts_with("CMUC00191E "));

    let out = sim.dscli_raw(
        &[
            "-hmc1", HMC1, "-user", "other", "-passwd", PASSWORD, "lsflash", "-dev", DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 5);

    // The right password on argv works.
    let out = sim.dscli_raw(
        &[
            "-hmc1", HMC1, "-user", USER, "-passwd", PASSWORD, "lsflash", "-dev", DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));

    // Injected: every login fails.
    sim.fault(&["--kind", "auth"]);
    let out = sim.dscli_line(&format!("lsflash -dev {DEV}"), "");
    assert_eq!(code(&out), 5);
    assert!(text(&out.stderr).starts_with("CMUC00191E "));
}

#[test]
fn hmc1_unreachable_fails_over_to_hmc2() {
    let sim = Sim::new();
    let out = sim.dscli_raw(
        &[
            "-hmc1",
            "192.0.2.1",
            "-user",
            USER,
            "-passwd",
            PASSWORD,
            "lsflash",
            "-dev",
            DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 3);
    assert_eq!(
        text(&out.stderr),
        "CMUN00018E Unable to connect to the management console server\n"
    );

    sim.fault(&["--kind", "hmc-unreachable", "--hmc", HMC1]);
    let pw = sim.pwfile();
    let out = sim.dscli_raw(
        &[
            "-hmc1", HMC1, "-user", USER, "-pwfile", &pw, "lsflash", "-dev", DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 3);
    let out = sim.dscli_raw(
        &[
            "-hmc1", HMC1, "-hmc2", HMC2, "-user", USER, "-pwfile", &pw, "lsflash", "-dev", DEV,
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("No Flash Copy found."));
}

#[test]
fn clock_advance_ages_dates_and_progresses_copies() {
    let sim = Sim::new();
    sim.ok(&["ibmds", "add-volume", DEV, "0201", "--tracks", "100000"]);
    sim.ok(&["ibmds", "add-volume", DEV, "0202", "--tracks", "100000"]);
    sim.ok(&["rate", DEV, "1"]);
    let out = sim.dscli_line(
        &format!("mkflash -dev {DEV} -record -persist 0201:0202"),
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let (h, rows) = sim.lsflash_delim(&["0201:0202"]);
    let synced0 = field(&h, &rows[0], "DateSynced").to_string();
    let show = sim.ok(&["clock", "advance", "25h"]);
    assert!(show.starts_with("offset 1d1h0m0s (90000s)"), "{show}");

    let (h, rows) = sim.lsflash_delim(&["0201:0202"]);
    let oos: u64 = field(&h, &rows[0], "OutOfSyncTracks")
        .parse()
        .expect("number");
    assert!((9_900..=10_000).contains(&oos), "oos {oos}");
    let fmt = "%a %b %d %H:%M:%S UTC %Y";
    let parse = |s: &str| chrono::NaiveDateTime::parse_from_str(s, fmt).expect(s);
    // One clock: a stored date does not move; the array's now (the banner) has.
    let synced = parse(field(&h, &rows[0], "DateSynced"));
    assert_eq!(synced, parse(&synced0));
    let out = sim.dscli_line(&format!("lsflash -dev {DEV} 0201:0202"), "");
    let t = text(&out.stdout);
    let banner = t.lines().next().unwrap_or_default();
    let date = banner
        .strip_prefix("Date/Time: ")
        .and_then(|rest| rest.split(" IBM DSCLI").next())
        .unwrap_or_else(|| panic!("no banner: {t}"));
    let now = chrono::NaiveDateTime::parse_from_str(date, "%B %d, %Y %I:%M:%S %p UTC")
        .unwrap_or_else(|e| panic!("{date}: {e}"));
    let age = now - synced;
    assert!((age.num_seconds() - 90_000).abs() < 120, "age {age}");
    assert_eq!(field(&h, &rows[0], "ActiveCopy"), "Enabled");
}

#[test]
fn non_persistent_copy_disappears_when_complete() {
    let sim = Sim::new();
    sim.ok(&["rate", DEV, "16384"]);
    let out = sim.dscli_line(&format!("mkflash -dev {DEV} 0003:0004"), "");
    assert_eq!(code(&out), 0);
    sim.ok(&["clock", "advance", "5s"]);
    let out = sim.dscli_line(&format!("lsflash -dev {DEV} 0003:0004"), "");
    assert!(text(&out.stdout).contains("No Flash Copy found."));
}

#[test]
fn ese_targets_need_tgtse() {
    let sim = Sim::new();
    sim.ok(&["ibmds", "add-volume", DEV, "0302", "--ese"]);
    let out = sim.dscli_line(&format!("mkflash -dev {DEV} -record 0001:0302"), "");
    assert_eq!(code(&out), 4);
    assert!(text(&out.stderr).starts_with("CMUN03157E mkflash: 0001:0302: "));
    let out = sim.dscli_line(&format!("mkflash -dev {DEV} -tgtse 0003:0004"), "");
    assert_eq!(code(&out), 4);
    let out = sim.dscli_line(&format!("mkflash -dev {DEV} -record -tgtse 0001:0302"), "");
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let (h, rows) = sim.lsflash_delim(&["0001:0302"]);
    assert_eq!(field(&h, &rows[0], "isTgtSE"), "ESE");
}

#[test]
fn syntax_errors_exit_2_and_change_nothing() {
    let sim = Sim::new();
    for args in [
        vec!["bogus"],
        vec!["mkflash", "-dev", DEV, "0001:00X2"],
        vec!["mkflash", "-dev", DEV, "-frobnicate", "0001:0002"],
        vec!["mkflash", "-dev", DEV, "-cp", "-nocp", "0001:0002"],
        vec!["mkflash", "0001:0002"],
        vec!["mkflash", "-dev", DEV],
        vec!["lsflash", "-dev", DEV, "-fmt", "xml"],
        vec!["mkremoteflash", "-dev", DEV, "0001:0002"],
        vec!["mkremoteflash", "-dev", DEV, "-conduit", "00", "0001:0002"],
        vec!["lsremoteflash", "-dev", DEV],
    ] {
        let out = sim.dscli(&args, "");
        assert_eq!(code(&out), 2, "{args:?}: {}", text(&out.stderr));
        assert!(text(&out.stderr).starts_with("CMUC"), "{args:?}");
    }
    // A valid pair next to a malformed one: the whole command is rejected.
    let out = sim.dscli_line(&format!("mkflash -dev {DEV} 0001:0002 zz"), "");
    assert_eq!(code(&out), 2);
    let out = sim.dscli_line(&format!("lsflash -dev {DEV} 0001:0002"), "");
    assert!(text(&out.stdout).contains("No Flash Copy found."));
    // Stdin mode: last failure's code, other commands still run.
    let out = sim.dscli(
        &[],
        &format!("bogus\nmkflash -dev {DEV} -record 0001:0002\n"),
    );
    assert_eq!(code(&out), 2);
    assert!(text(&out.stdout).contains("CMUC00137I"));
}

#[test]
fn remote_flash_uses_seed_003_text() {
    let sim = Sim::new();
    let conduit = format!("{DEV}/01");
    let out = sim.dscli_line(
        &format!("mkremoteflash -dev {DEV} -conduit {conduit} -record -persist 0101:0102"),
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = sim.dscli_line(
        &format!("resyncremoteflash -dev {DEV} -conduit {conduit} -record -persist 0101:0102"),
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(
        "resyncremoteflash: Remote FlashCopy volume pair 0101:0102 successfully resynchronized. \
         Use the lsremoteflash command to determine copy completion."
    ));
    let out = sim.dscli_line(
        &format!("lsremoteflash -dev {DEV} -conduit {conduit} -s"),
        "",
    );
    assert!(text(&out.stdout).contains("0101:0102"));
    // Local and remote relationships are separate.
    let out = sim.dscli_line(&format!("lsflash -dev {DEV}"), "");
    assert!(text(&out.stdout).contains("No Flash Copy found."));
    let out = sim.dscli_line(
        &format!("rmremoteflash -quiet -dev {DEV} -conduit {conduit} 0101:0102"),
        "",
    );
    assert_eq!(code(&out), 0);
    let out = sim.dscli_line(&format!("lsremoteflash -dev {DEV} -conduit {conduit}"), "");
    assert!(text(&out.stdout).contains("CMUC00234I lsremoteflash: No Remote Flash Copy found."));
}

#[test]
fn latency_and_call_log() {
    let sim = Sim::new();
    sim.ok(&["calls", "--clear"]);
    sim.ok(&["latency", "--prog", "dscli", "300"]);
    let t = Instant::now();
    let out = sim.dscli_line(&format!("lsflash -dev {DEV}"), "");
    assert_eq!(code(&out), 0);
    assert!(t.elapsed() >= Duration::from_millis(300));
    sim.ok(&["latency", "--prog", "dscli", "0"]);
    sim.mkflash_seed_pairs();
    let out = sim.dscli(
        &[],
        &format!("setenv -banner off\n\n# comment\nresyncflash -dev {DEV} -record 0001:0002\n"),
    );
    assert_eq!(code(&out), 0);
    assert_eq!(sim.ok(&["calls", "--count"]).trim(), "3");
    assert_eq!(sim.ok(&["calls", "--count", "--prog", "dscli"]).trim(), "3");
    assert_eq!(
        sim.ok(&["calls", "--count", "--command", "resyncflash"])
            .trim(),
        "1"
    );
    assert_eq!(
        sim.ok(&["calls", "--count", "--prog", "symclone"]).trim(),
        "0"
    );
    let lines = sim.ok(&["calls"]);
    assert!(lines.lines().any(
        |l| l == format!("dscli: setenv -banner off; resyncflash -dev {DEV} -record 0001:0002")
    ));
    let json = sim.ok(&["calls", "--json"]);
    let first: serde_json::Value =
        serde_json::from_str(json.lines().next().expect("line")).expect("json");
    assert_eq!(first["prog"], "dscli");
    assert_eq!(first["exit"], 0);
    assert!(first["duration_ms"].as_u64().expect("ms") >= 300);
    assert_eq!(first["commands"][0], format!("lsflash -dev {DEV}"));
    sim.ok(&["calls", "--clear"]);
    assert_eq!(sim.ok(&["calls", "--count"]).trim(), "0");
}

#[test]
fn setup_is_idempotent() {
    let sim = Sim::new();
    sim.mkflash_seed_pairs();
    let root = sim.root();
    let again = sim.ok(&["setup", "ibmds", "--root", root.to_str().expect("utf8")]);
    assert!(again.contains("kept"), "{again}");
    assert_eq!(sim.lsflash_delim(&[]).1.len(), 3);
    let auth = std::fs::read_to_string(root.join("etc/arraysync/auth.conf")).expect("auth");
    assert_eq!(auth.matches(&format!("[{DEV}]")).count(), 1);
    assert!(auth.contains(&format!(
        "hmc1 = {HMC1}\nhmc2 = {HMC2}\nusername = {USER}\n"
    )));
    let mode = std::fs::metadata(root.join("etc/arraysync/auth.conf"))
        .expect("meta")
        .permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    let link = std::fs::read_link(root.join("opt/ibm/dscli/dscli")).expect("symlink");
    assert_eq!(link, Path::new(exe()));
    let svc = std::fs::read_to_string(root.join("etc/arraysync/iiststibmds.conf")).expect("svc");
    assert!(svc.contains(&format!("array = {DEV}")));

    // A second array is appended to auth.conf and gets its own service config name rewritten.
    let out = sim.ok(&[
        "setup",
        "ibmds",
        "--root",
        root.to_str().expect("utf8"),
        "--array",
        "IBM.2107-75FA120",
        "--hmc1",
        "10.0.0.5",
        "--no-service",
    ]);
    assert!(out.contains("created"), "{out}");
    let auth = std::fs::read_to_string(root.join("etc/arraysync/auth.conf")).expect("auth");
    assert!(
        auth.contains("\n\n[IBM.2107-75FA120]\ntype = ibmds\nhmc1 = 10.0.0.5\n"),
        "{auth}"
    );
    let out = sim.dscli_raw(
        &[
            "-hmc1",
            "10.0.0.5",
            "-user",
            USER,
            "-pwfile",
            root.join("var/lib/arraysync/IBM.2107-75FA120.pwfile")
                .to_str()
                .expect("utf8"),
            "lsflash",
            "-dev",
            "IBM.2107-75FA120",
        ],
        "",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    // The first HMC's session cannot address the second image.
    let out = sim.dscli_line("lsflash -dev IBM.2107-75FA120", "");
    assert_eq!(code(&out), 4);
}

#[test]
fn admin_set_puts_a_pair_in_an_unexpected_state() {
    let sim = Sim::new();
    sim.mkflash_seed_pairs();
    sim.ok(&[
        "ibmds",
        "set",
        DEV,
        "0101:0102",
        "--recording",
        "disabled",
        "--state",
        "Tgt Failed",
    ]);
    let (h, rows) = sim.lsflash_delim(&["0101:0102"]);
    assert_eq!(field(&h, &rows[0], "Recording"), "Disabled");
    assert_eq!(field(&h, &rows[0], "State"), "Tgt Failed");
    let show = sim.ok(&["ibmds", "show", DEV]);
    let v: serde_json::Value = serde_json::from_str(&show).expect("json");
    assert_eq!(v["flash"]["0101:0102"]["state"], "Tgt Failed");
}

#[test]
fn no_state_dir_is_a_clear_error() {
    let out = Command::new(exe())
        .args(["clock", "show"])
        .env_remove("ARRAYSIM_STATE")
        .env_remove("ARRAYSYNC_ROOT")
        .output()
        .expect("run");
    assert_eq!(code(&out), 1);
    assert!(text(&out.stderr)
        .contains("arraysim: no state directory (set ARRAYSIM_STATE or ARRAYSYNC_ROOT)"));
}
