//! The agent configuration commands of seed 004 chapter 8.2 (stgcmmodnode, stgenvdisp,
//! stgmgrinfoset, stgmgrinfobkup, stgmgrinfodisp) and acmcapture (8.6): every execution
//! example as a transcript, bad input (exit > 0, nothing changed), the archive's content
//! (repositories and configuration in, secrets out), the exclusion with other ACM
//! commands and the root rule.

use super::acm::{acm_with, run_as_non_root, succeeded};
use super::dx::{self, BACKUP_SCRIPTS, CUSTOMIZED, DEVICES};
use super::env::{Run, TestEnv};
use std::io::Read;

const ALL: &[&str] = &[
    "stgcmmodnode",
    "stgenvdisp",
    "stgmgrinfoset",
    "stgmgrinfobkup",
    "stgmgrinfodisp",
    "acmcapture",
];

const MANAGER: &str = "/etc/opt/FJSVswstf/data/manager.ini";
const MGRINFO: &str = "/etc/opt/FJSVswstf/data/stgmgrinfo.ini";

/// Runs a command line split on whitespace; the root prefix written `$ROOT` is expanded.
fn acm(env: &TestEnv, line: &str) -> Run {
    let line = line.replace("$ROOT", &env.root.display().to_string());
    acm_with(env, &line, &[("ARRAYSYNC_ACM_WAITLOCK", "0")])
}

#[track_caller]
fn ok(env: &TestEnv, line: &str) -> String {
    succeeded(line, acm(env, line))
}

/// The command's stdout must be `expected` (`yy/mm/dd hh:mm:ss` times replaced by `[T]`).
#[track_caller]
fn transcript(env: &TestEnv, line: &str, expected: &str) {
    assert_eq!(redact_times(&ok(env, line)), expected, "{line}");
}

fn redact_times(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::new();
    let mut i = 0;
    while i < text.len() {
        let candidate = &bytes[i..(i + 17).min(bytes.len())];
        let is_time = candidate.len() == 17
            && candidate.iter().enumerate().all(|(k, c)| match k {
                2 | 5 => *c == b'/',
                8 => *c == b' ',
                11 | 14 => *c == b':',
                _ => c.is_ascii_digit(),
            });
        if is_time {
            out.push_str("[T]");
            i += 17;
        } else {
            let c = text[i..].chars().next().expect("char");
            out.push(c);
            i += c.len_utf8();
        }
    }
    out
}

/// Fails unless the command exits > 0 with `id` on stderr.
#[track_caller]
fn refused(env: &TestEnv, line: &str, id: &str) {
    let run = acm(env, line);
    assert!(run.code > 0, "{line}: exit {}", run.code);
    assert!(
        run.stderr.starts_with(id),
        "{line}: expected {id}, got {}",
        run.stderr
    );
}

/// This server named `server`, DX1 with three devices, swstsvrset done (backup list), one
/// replication pair (replication list), customized scripts for both.
fn world(env: &TestEnv, server: &str) {
    dx::setup_box(env, "DX1", 0, server);
    let mut map = String::new();
    for (n, device) in ["/dev/sdb", "/dev/sdc", "/dev/sdd"].iter().enumerate() {
        dx::add_volume(env, "DX1", n, 4, &[]);
        map.push_str(&format!("{device} DX1 {n}\n"));
    }
    env.write(DEVICES, &map);
    dx::install_scripts(env, BACKUP_SCRIPTS, CUSTOMIZED);
    ok(env, "swstsvrset");
    ok(env, "swsrpsetvol /dev/sdb /dev/sdc");
    assert!(env
        .path("/etc/opt/FJSVswsrp/data/DEFAULT/replication.db")
        .is_file());
    assert!(env
        .path("/etc/opt/FJSVswsts/data/DEFAULT/backup.db")
        .is_file());
}

fn file_or_none(env: &TestEnv, absolute: &str) -> Option<String> {
    std::fs::read_to_string(env.path(absolute)).ok()
}

// ----- stgcmmodnode (8.2.1) ---------------------------------------------------------------

#[test]
fn stgcmmodnode_examples() {
    let env = TestEnv::new();
    // Nothing set yet: every value is unknown.
    transcript(
        &env,
        "stgcmmodnode",
        "swstf2413 IP Address = ???\nswstf2413 PORT Number = ???\nswstf2413 Storage Management Server's Name = ???\n",
    );
    transcript(
        &env,
        "stgcmmodnode -i 192.0.2.10 -p 1226 -n fujitsu-storage-management-server",
        "swstf2401 Storage Management Server registry updated.\n",
    );
    // Display server information (manual example 1).
    transcript(
        &env,
        "stgcmmodnode",
        "swstf2413 IP Address = 192.0.2.10\nswstf2413 PORT Number = 1226\nswstf2413 Storage Management Server's Name = fujitsu-storage-management-server\n",
    );
    // Change the IP address to 192.0.2.11 (manual example 2): the rest is kept.
    transcript(
        &env,
        "stgcmmodnode -i 192.0.2.11",
        "swstf2401 Storage Management Server registry updated.\n",
    );
    transcript(
        &env,
        "stgcmmodnode",
        "swstf2413 IP Address = 192.0.2.11\nswstf2413 PORT Number = 1226\nswstf2413 Storage Management Server's Name = fujitsu-storage-management-server\n",
    );
    // IPv6 and the port range's bounds are accepted.
    ok(&env, "stgcmmodnode -i 2001:db8::1 -p 65535");
    ok(&env, "stgcmmodnode -p 1024");
}

#[test]
fn stgcmmodnode_bad_input_changes_nothing() {
    let env = TestEnv::new();
    // Before anything is set, a refused change creates nothing.
    refused(&env, "stgcmmodnode -p 80", "swstf2403");
    assert!(file_or_none(&env, MANAGER).is_none());
    ok(&env, "stgcmmodnode -i 192.0.2.10 -p 1226 -n mgr1");
    let before = file_or_none(&env, MANAGER).expect("manager.ini");
    for (line, id) in [
        ("stgcmmodnode -p 1023", "swstf2403"),
        ("stgcmmodnode -p 65536", "swstf2403"),
        ("stgcmmodnode -p 12ab", "swstf2403"),
        ("stgcmmodnode -i 300.1.1.1", "swstf2402"),
        ("stgcmmodnode -i mgr.example", "swstf2402"),
        // A valid address with a bad port: nothing of it is written.
        ("stgcmmodnode -i 192.0.2.99 -p 0", "swstf2403"),
        ("stgcmmodnode -n bad/name", "swstf2404"),
        ("stgcmmodnode -x", "swstf0102"),
        ("stgcmmodnode operand", "swstf0102"),
        ("stgcmmodnode -i", "swstf0102"),
        ("stgcmmodnode -i 192.0.2.1 -i 192.0.2.2", "swstf0102"),
    ] {
        refused(&env, line, id);
        assert_eq!(
            file_or_none(&env, MANAGER).as_deref(),
            Some(before.as_str()),
            "{line}"
        );
    }
    // A hand-broken file is named in the message, exit > 0.
    env.write(MANAGER, "ip = 1.2.3.4\n");
    refused(&env, "stgcmmodnode", "swstf0650");
}

// ----- stgenvdisp (8.2.10) ----------------------------------------------------------------

#[test]
fn stgenvdisp_example() {
    let env = TestEnv::new();
    env.write(
        "/etc/services",
        "ssh 22/tcp\nstgxfws 1226/tcp # AdvancedCopy Manager\n",
    );
    ok(&env, "stgcmmodnode -i 192.0.2.10 -p 1226");
    let root = env.root.display().to_string();
    transcript(
        &env,
        "stgenvdisp",
        &format!(
            "Server type          : Server\n\
             Manager IP address   : 192.0.2.10\n\
             Communication        : 1226\n\
             -----\n\
             Version              : arraysync {}\n\
             Language             : ENGLISH\n\
             Program install directory : {root}/opt\n\
             Fixed configuration directory : {root}/etc/opt\n\
             Modifying configuration directory : {root}/var/opt\n",
            env!("CARGO_PKG_VERSION")
        ),
    );
}

#[test]
fn stgenvdisp_shows_unknown_values_as_question_marks() {
    let env = TestEnv::new();
    let out = ok(&env, "stgenvdisp");
    assert!(out.contains("Manager IP address   : ???\n"), "{out}");
    assert!(out.contains("Communication        : ???\n"), "{out}");
    // A broken settings file is an unknown value, not a failure.
    env.write(MANAGER, "garbage\n");
    let out = ok(&env, "stgenvdisp");
    assert!(out.contains("Manager IP address   : ???\n"), "{out}");
    refused(&env, "stgenvdisp extra", "swstf0102");
    // Read only: nothing of ours was created.
    assert!(!env.path("/etc/opt/FJSVswstf/data/stgmgrinfo.ini").exists());
}

// ----- stgmgrinfoset (8.2.11) -------------------------------------------------------------

#[test]
fn stgmgrinfoset_examples() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("/stgbkupdata")).expect("mkdir");
    transcript(
        &env,
        "stgmgrinfoset -d /stgbkupdata -c ASCII",
        "swstf3000 The server which performs package backup of the management information on AdvancedCopy Manager was registered.\n",
    );
    transcript(
        &env,
        "stgmgrinfoset",
        "Directory      : /stgbkupdata\nManager code   : ASCII\n",
    );
    transcript(
        &env,
        "stgmgrinfoset -del",
        "swstf3001 The server which performs package backup of the management information on AdvancedCopy Manager was deleted. Delete a directory. Directory=/stgbkupdata\n",
    );
    refused(&env, "stgmgrinfoset", "swstf3003");
    // The data directory itself is the operator's: -del leaves it.
    assert!(env.path("/stgbkupdata").is_dir());
}

#[test]
fn stgmgrinfoset_bad_input_changes_nothing() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("/stgbkupdata")).expect("mkdir");
    std::fs::create_dir_all(env.path("/stg-data")).expect("mkdir");
    for (line, id) in [
        ("stgmgrinfoset -d /nothere -c ASCII", "swstf3002"),
        ("stgmgrinfoset -d stgbkupdata -c ASCII", "swstf3002"),
        ("stgmgrinfoset -d /stg-data -c ASCII", "swstf3002"),
        ("stgmgrinfoset -d /stgbkupdata/../etc -c ASCII", "swstf3002"),
        ("stgmgrinfoset -d /stgbkupdata -c UTF8", "swstf3005"),
        ("stgmgrinfoset -d /stgbkupdata", "swstf0102"),
        ("stgmgrinfoset -c ASCII", "swstf0102"),
        ("stgmgrinfoset -del -d /stgbkupdata -c ASCII", "swstf0102"),
        ("stgmgrinfoset -del", "swstf3003"),
    ] {
        refused(&env, line, id);
        assert!(file_or_none(&env, MGRINFO).is_none(), "{line}");
    }
    ok(&env, "stgmgrinfoset -d /stgbkupdata -c ASCII");
    let before = file_or_none(&env, MGRINFO);
    // To change the directory, -del first (manual note).
    std::fs::create_dir_all(env.path("/other_dir")).expect("mkdir");
    refused(&env, "stgmgrinfoset -d /other_dir -c ASCII", "swstf3004");
    assert_eq!(file_or_none(&env, MGRINFO), before);
}

// ----- stgmgrinfobkup (8.2.12) and stgmgrinfodisp (8.2.13) -------------------------------

const STARTED: &str =
    "swstf3014 Backup of management information is started. Start time=[T], Server name=acm01\n";
const ENDED: &str = "swstf3020 Backup of management information was ended normally. End time=[T], Server name=acm01\n";
const ALL_ENDED: &str =
    "swstf3021 The normal end of the backup of management information was carried out by all servers.\n";

#[test]
fn stgmgrinfobkup_and_stgmgrinfodisp_examples() {
    let env = TestEnv::new();
    world(&env, "acm01");
    std::fs::create_dir_all(env.path("/ACMBkupData")).expect("mkdir");
    ok(&env, "stgmgrinfoset -d /ACMBkupData -c ASCII");
    let done = format!("{STARTED}{ENDED}{ALL_ENDED}");
    // Nothing saved yet: no data is output.
    transcript(&env, "stgmgrinfodisp", "");
    // Back up the management information as the policy (ours: the repositories) says.
    transcript(&env, "stgmgrinfobkup", &done);
    let server = env.path("/ACMBkupData/acm01");
    assert!(server.join("BkupData/FJSVswsts/backup.db").is_file());
    assert!(server.join("BkupData/Scripts/OpcBackup.pre").is_file());
    assert!(server.join("ReplData/FJSVswsrp/replication.db").is_file());
    assert!(!server.join("RegiData").exists());
    transcript(&env, "stgmgrinfobkup -n acm01", &done);
    // The registries.
    transcript(&env, "stgmgrinfobkup -t RegiData", &done);
    assert!(server.join("RegiData/devices.conf").is_file());
    // The backup management of acm01.
    transcript(&env, "stgmgrinfobkup -n acm01 -t BkupData", &done);
    // The policy file, with -n.
    env.write(
        "/etc/opt/FJSVswstf/stgmgrinfo_policy.ini",
        "[acm01]\nBkupData=YES\n",
    );
    transcript(&env, "stgmgrinfobkup -n acm01 -t MgrInfoData", &done);
    assert!(server.join("MgrInfoData/stgmgrinfo_policy.ini").is_file());
    let status = "Server:      acm01\n  RegiData:  [T]\n  BkupData:  [T]\n  ReplData:  [T]\n  MgrInfoData: [T]\n";
    transcript(&env, "stgmgrinfodisp", status);
    transcript(&env, "stgmgrinfodisp -n acm01", status);
    transcript(&env, "stgmgrinfodisp -n acm02", "");
    // The saved list is a working SQLite copy of the live one.
    let copy = rusqlite::Connection::open(server.join("ReplData/FJSVswsrp/replication.db"))
        .expect("open copy");
    let check: String = copy
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("check");
    assert_eq!(check, "ok");
}

#[test]
fn stgmgrinfobkup_bad_input_changes_nothing() {
    let env = TestEnv::new();
    world(&env, "acm01");
    // Not registered: refused, nothing written.
    refused(&env, "stgmgrinfobkup", "swstf3003");
    refused(&env, "stgmgrinfodisp", "swstf3003");
    std::fs::create_dir_all(env.path("/ACMBkupData")).expect("mkdir");
    ok(&env, "stgmgrinfoset -d /ACMBkupData -c ASCII");
    for (line, id) in [
        ("stgmgrinfobkup -t AuthData", "swstf0102"),
        ("stgmgrinfobkup -t RegiData -t BkupData", "swstf0102"),
        ("stgmgrinfobkup -t MgrInfoData", "swstf0102"),
        ("stgmgrinfobkup -n acm02", "swstf3016"),
        ("stgmgrinfobkup extra", "swstf0102"),
        // No policy file to save.
        ("stgmgrinfobkup -n acm01 -t MgrInfoData", "swstf3015"),
        ("stgmgrinfodisp -n ../acm01", "swstf0102"),
    ] {
        refused(&env, line, id);
        let left: Vec<_> = std::fs::read_dir(env.path("/ACMBkupData/acm01"))
            .map(|d| d.flatten().map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(left.is_empty(), "{line}: {left:?}");
    }
}

#[test]
fn stgmgrinfobkup_follows_the_policy_file() {
    let env = TestEnv::new();
    world(&env, "acm01");
    std::fs::create_dir_all(env.path("/ACMBkupData")).expect("mkdir");
    ok(&env, "stgmgrinfoset -d /ACMBkupData -c ASCII");
    // Manual Table 7.4: only "Yes" (exactly) means yes; other servers' sections are theirs.
    env.write(
        "/etc/opt/FJSVswstf/stgmgrinfo_policy.ini",
        "[ acm01 ]\nBkupData=Yes\nReplData=YES\n[ acm02 ]\nReplData=Yes\n",
    );
    transcript(
        &env,
        "stgmgrinfobkup",
        &format!("{STARTED}{ENDED}{ALL_ENDED}"),
    );
    let server = env.path("/ACMBkupData/acm01");
    assert!(server.join("BkupData/FJSVswsts/backup.db").is_file());
    assert!(!server.join("ReplData").exists());
    transcript(
        &env,
        "stgmgrinfodisp",
        "Server:      acm01\n  BkupData:  [T]\n",
    );
    // A broken policy file is named, nothing saved.
    env.write("/etc/opt/FJSVswstf/stgmgrinfo_policy.ini", "BkupData=Yes\n");
    let run = acm(&env, "stgmgrinfobkup");
    assert!(run.code > 0);
    run.stderr_has("swstf0650")
        .stderr_has("stgmgrinfo_policy.ini");
    // A list this server does not have cannot be saved; the saved one stays.
    std::fs::remove_file(env.path("/etc/opt/FJSVswsrp/data/DEFAULT/replication.db")).expect("rm");
    refused(&env, "stgmgrinfobkup -t ReplData", "swstf3015");
    assert!(!server.join("ReplData").exists());
    assert!(server.join("BkupData/FJSVswsts/backup.db").is_file());
    transcript(
        &env,
        "stgmgrinfodisp -n acm01",
        "Server:      acm01\n  BkupData:  [T]\n",
    );
}

// ----- acmcapture (8.6.1) -----------------------------------------------------------------

/// The archive's entries: name → content.
fn archive(path: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let file = std::fs::File::open(path).expect("open archive");
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    tar.entries()
        .expect("entries")
        .map(|e| {
            let mut e = e.expect("entry");
            let name = e.path().expect("path").display().to_string();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).expect("read");
            (name, bytes)
        })
        .collect()
}

fn outputs(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn acmcapture_example_collects_lists_and_config_but_no_secrets() {
    let env = TestEnv::new();
    world(&env, "srv01");
    ok(&env, "stgcmmodnode -i 192.0.2.10 -p 1226");
    // Secrets in every place a collected directory could hold them.
    env.write(
        "/etc/arraysync/auth.conf",
        "[DX1]\npassword = s3cr3t-auth\n",
    );
    env.write("/etc/opt/FJSVswstf/DX1.pwfile", "s3cr3t-pwfile\n");
    env.write("/etc/opt/FJSVswstf/ssh/id_rsa", "s3cr3t-idrsa\n");
    env.write(
        "/etc/opt/FJSVswsrp/array.cert",
        "-----BEGIN OPENSSH PRIVATE KEY-----\ns3cr3t-key\n-----END OPENSSH PRIVATE KEY-----\n",
    );
    env.write(
        "/var/opt/FJSVswsrp/log/arraysync.log",
        "swsrpsetvol completed\n",
    );
    let out_dir = env.path("/tmp");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    let out = ok(&env, "acmcapture $ROOT/tmp");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["Executing.....", "Completed."], "{out}");
    let files = outputs(&out_dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = &files[0];
    assert_eq!(lines[2], format!("OUTPUT={}/{name}", out_dir.display()));
    assert_eq!(lines.len(), 3);
    // acmcapture_<HOST>_<YYYYMMDD>_<hhmmss>.tar.gz
    let stem = name
        .strip_prefix("acmcapture_")
        .and_then(|n| n.strip_suffix(".tar.gz"))
        .expect("file name");
    let parts: Vec<&str> = stem.rsplitn(3, '_').collect();
    assert_eq!(parts.len(), 3, "{name}");
    assert!(parts[0].len() == 6 && parts[0].bytes().all(|b| b.is_ascii_digit()));
    assert!(parts[1].len() == 8 && parts[1].bytes().all(|b| b.is_ascii_digit()));
    assert!(parts[2].len() <= 15 && !parts[2].is_empty());
    assert!(parts[2]
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-'));

    let entries = archive(&out_dir.join(name));
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    for wanted in [
        "acmcapture/repositories/replication.db",
        "acmcapture/repositories/backup.db",
        "acmcapture/etc/opt/FJSVswstf/devices.conf",
        "acmcapture/etc/opt/FJSVswstf/data/manager.ini",
        "acmcapture/etc/opt/FJSVswsts/sh/OpcBackup.pre",
        "acmcapture/var/opt/FJSVswsrp/log/arraysync.log",
    ] {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    for (entry, bytes) in &entries {
        assert!(!entry.ends_with("auth.conf"), "{entry}");
        assert!(!entry.ends_with(".pwfile"), "{entry}");
        assert!(!entry.contains("id_rsa"), "{entry}");
        // The live databases only as the consistent copies.
        assert!(
            !entry.ends_with(".db") || entry.starts_with("acmcapture/repositories/"),
            "{entry}"
        );
        let text = String::from_utf8_lossy(bytes);
        assert!(!text.contains("s3cr3t"), "{entry} holds a secret");
    }
    // The repository copies are complete databases.
    let (_, db) = entries
        .iter()
        .find(|(n, _)| n == "acmcapture/repositories/replication.db")
        .expect("replication.db");
    assert!(db.starts_with(b"SQLite format 3\0"));
    // No work files are left beside the archive.
    assert_eq!(outputs(&out_dir).len(), 1);
}

/// Another process holding a shared lock as a running ACM command does (`flock -s`, in its
/// own process group, killed whole on drop).
struct LockHolder(std::process::Child, std::path::PathBuf);

impl LockHolder {
    fn shared(lock: &std::path::Path) -> LockHolder {
        use std::os::unix::process::CommandExt;
        let child = std::process::Command::new("flock")
            .args(["-s", &lock.display().to_string(), "sleep", "30"])
            .process_group(0)
            .spawn()
            .expect("flock");
        LockHolder(child, lock.to_path_buf())
    }
}

impl Drop for LockHolder {
    /// Kills the holder and returns once the lock is free: `sleep` shares the lock and
    /// may end after `flock` was reaped, and the commands under test do not wait for it.
    fn drop(&mut self) {
        let group = format!("-{}", self.0.id());
        let _ = std::process::Command::new("kill")
            .args(["-KILL", "--", &group])
            .status();
        let _ = self.0.wait();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::time::Instant::now() < deadline {
            let free = std::process::Command::new("flock")
                .args(["-n", "-x", &self.1.display().to_string(), "true"])
                .status()
                .is_ok_and(|s| s.success());
            if free {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
    }
}

#[test]
fn acmcapture_bad_input_and_busy_write_nothing() {
    let env = TestEnv::new();
    world(&env, "srv01");
    let out_dir = env.path("/out");
    std::fs::create_dir_all(&out_dir).expect("mkdir");
    refused(&env, "acmcapture $ROOT/nothere", "swstf5001");
    refused(&env, "acmcapture", "swstf0102");
    refused(&env, "acmcapture $ROOT/out $ROOT/out", "swstf0102");
    env.write("/afile", "x");
    refused(&env, "acmcapture $ROOT/afile", "swstf5001");
    // Another ACM command running (it holds the shared replication lock): refused.
    let lock = env.path("/var/opt/FJSVswsrp/lock/recover.lock");
    let holder = LockHolder::shared(&lock);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let run = loop {
        let run = acm(&env, "acmcapture $ROOT/out");
        if run.code != 0 || std::time::Instant::now() > deadline {
            break run;
        }
        // flock had not taken the lock yet: remove the archive and retry.
        for f in outputs(&out_dir) {
            std::fs::remove_file(out_dir.join(f)).expect("rm");
        }
    };
    drop(holder);
    assert!(run.code > 0, "{}", run.stdout);
    assert!(run.stderr.starts_with("swstf0720"), "{}", run.stderr);
    assert!(outputs(&out_dir).is_empty(), "{:?}", outputs(&out_dir));
    // The same for stgmgrinfobkup, which must run alone too.
    std::fs::create_dir_all(env.path("/ACMBkupData")).expect("mkdir");
    ok(&env, "stgmgrinfoset -d /ACMBkupData -c ASCII");
    let lock = env.path("/var/opt/FJSVswsts/lock/recover.lock");
    let holder = LockHolder::shared(&lock);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let run = acm(&env, "stgmgrinfobkup");
    drop(holder);
    assert!(
        run.code > 0 && run.stderr.starts_with("swstf0720"),
        "{}",
        run.stderr
    );
    assert!(!env.path("/ACMBkupData/acm01").exists());
    // Once free, it runs.
    ok(&env, "acmcapture $ROOT/out");
    assert_eq!(outputs(&out_dir).len(), 1);
}

// ----- the root rule ----------------------------------------------------------------------

#[test]
fn every_agent_command_refuses_non_root_users_without_a_root_prefix() {
    for name in ALL {
        let run = run_as_non_root(name, "/tmp");
        let stderr = run.stderr;
        assert!(run.code > 0, "{name}");
        assert!(
            stderr.starts_with(
                "swstf0601 This Command cannot be run. This is because the user is not a root user."
            ),
            "{name}: {stderr}"
        );
    }
}
