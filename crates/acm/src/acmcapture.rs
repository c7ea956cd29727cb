//! acmcapture — collect this agent's troubleshooting data into
//! `<dirname>/acmcapture_<HOST>_<YYYYMMDD>_<hhmmss>.tar.gz` (manual 8.6.1; gzip instead of
//! compress(1), docs/compat.md): our configuration, consistent copies of the replication
//! and backup management lists, and the logs. Secrets stay out: auth.conf, `*.pwfile`,
//! private keys (by name or content). Runs alone: refused while another ACM command runs.

use crate::agent;
use crate::args::{Args, Flag};
use crate::messages::{AcmError, AGENT_LOG_FILE};
use crate::{Cx, Spec};
use arraysync_core::Paths;
use arraysync_eternus::exclusion::Class;
use arraysync_eternus::{backup_repo, repo};
use flate2::write::GzEncoder;
use std::fs::File;
use std::path::{Path, PathBuf};

const FLAGS: &[Flag] = &[];

/// Configuration directories collected (under `ARRAYSYNC_ROOT`).
const CONFIG_DIRS: &[&str] = &[
    "/etc/opt/FJSVswstf",
    "/etc/opt/FJSVswsrp",
    "/etc/opt/FJSVswsts",
    "/etc/opt/swstorage",
];
/// Log directories collected.
const LOG_DIRS: &[&str] = &[
    "/var/opt/FJSVswstf/log",
    "/var/opt/FJSVswsrp/log",
    "/var/opt/FJSVswsts/log",
];
/// Free space kept beyond the data's own size.
const SPARE_BYTES: u64 = 1 << 20;

pub fn spec() -> Spec {
    Spec {
        name: "acmcapture",
        usage: "acmcapture dirname",
        flags: FLAGS,
        class: Class::Recover,
        read_only_when: None,
    }
}

pub fn run(args: &Args, cx: &mut Cx) -> Result<(), AcmError> {
    let [dirname] = args.operands.as_slice() else {
        return Err(AcmError::usage("one directory name is required"));
    };
    let out_dir = PathBuf::from(dirname);
    if !out_dir.is_dir() {
        return Err(AcmError::new(
            "swstf5001",
            format!("The directory does not exist. Directory={dirname}"),
        ));
    }
    let _alone = agent::alone(cx)?;
    cx.println("Executing.....");
    let work = tempfile_dir(&out_dir)?;
    let result = capture(cx, &out_dir, &work);
    let _ = std::fs::remove_dir_all(&work);
    let output = result?;
    cx.println("Completed.");
    cx.println(format!("OUTPUT={}", output.display()));
    Ok(())
}

/// A private work directory for the repository copies, beside the output.
fn tempfile_dir(out_dir: &Path) -> Result<PathBuf, AcmError> {
    let dir = out_dir.join(format!(".acmcapture-work-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).map_err(|e| agent::io_error(&dir, &e))?;
    Ok(dir)
}

fn capture(cx: &Cx, out_dir: &Path, work: &Path) -> Result<PathBuf, AcmError> {
    let entries = collect(&cx.paths, work)?;
    let size: u64 = entries
        .iter()
        .filter_map(|(_, p)| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    check_space(out_dir, size)?;
    let name = format!(
        "acmcapture_{}_{}.tar.gz",
        host_name(),
        arraysync_core::clock::now().format("%Y%m%d_%H%M%S")
    );
    let output = out_dir.join(&name);
    if output.exists() {
        return Err(AcmError::new(
            "swstf5003",
            format!("The output file already exists. File={}", output.display()),
        ));
    }
    let temp = work.join(&name);
    write_archive(&temp, &entries)?;
    std::fs::rename(&temp, &output).map_err(|e| agent::io_error(&output, &e))?;
    Ok(output)
}

/// (name in the archive, file) pairs: configuration and logs as they are, repositories as
/// consistent copies, secrets left out.
fn collect(paths: &Paths, work: &Path) -> Result<Vec<(String, PathBuf)>, AcmError> {
    let mut entries = Vec::new();
    let mut dirs: Vec<PathBuf> = CONFIG_DIRS
        .iter()
        .chain(LOG_DIRS)
        .map(|d| paths.under_root(d))
        .collect();
    dirs.push(paths.etc().to_path_buf());
    dirs.push(paths.log_dir());
    let agent_log_dir = paths.under_root(AGENT_LOG_FILE);
    if let Some(d) = agent_log_dir.parent() {
        dirs.push(d.to_path_buf());
    }
    dirs.sort();
    dirs.dedup();
    for dir in dirs {
        walk(paths, &dir, &mut entries);
    }
    let repos = [
        ("replication.db", repo::Repository::path(paths)),
        ("backup.db", backup_repo::BackupRepository::path(paths)),
    ];
    for (name, source) in repos {
        let copy = work.join(name);
        if agent::copy_repository(&source, &copy)? {
            entries.push((format!("repositories/{name}"), copy));
        }
    }
    entries.sort();
    entries.dedup_by(|a, b| a.0 == b.0);
    Ok(entries)
}

/// Regular files under `dir` (symlinks never followed), secrets and live databases out.
fn walk(paths: &Paths, dir: &Path, entries: &mut Vec<(String, PathBuf)>) {
    let Ok(items) = std::fs::read_dir(dir) else {
        return;
    };
    for item in items.flatten() {
        let path = item.path();
        let Ok(kind) = item.file_type() else {
            continue;
        };
        if kind.is_dir() {
            walk(paths, &path, entries);
        } else if kind.is_file() && !is_secret(&path) && !is_live_database(&path) {
            entries.push((archive_name(paths, &path), path));
        }
    }
}

/// Files that hold passwords or keys.
pub fn is_secret(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if name == "auth.conf"
        || name.ends_with(".pwfile")
        || name.ends_with(".key")
        || name.ends_with(".pem")
        || name.ends_with(".p12")
        || name.starts_with("id_rsa")
        || name.starts_with("id_ecdsa")
        || name.starts_with("id_ed25519")
        || name.starts_with("id_dsa")
    {
        return true;
    }
    // A private key under any name.
    std::fs::read(path)
        .map(|bytes| {
            bytes
                .windows(b"PRIVATE KEY".len())
                .any(|w| w == b"PRIVATE KEY")
        })
        .unwrap_or(true)
}

/// The repositories themselves (and their journals) are collected as consistent copies.
fn is_live_database(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    [".db", ".db-wal", ".db-shm", ".db-journal"]
        .iter()
        .any(|end| name.ends_with(end))
}

fn archive_name(paths: &Paths, path: &Path) -> String {
    let relative = paths
        .root()
        .and_then(|root| path.strip_prefix(root).ok())
        .unwrap_or(path);
    relative
        .to_string_lossy()
        .trim_start_matches('/')
        .to_string()
}

fn check_space(dir: &Path, needed: u64) -> Result<(), AcmError> {
    let stat = nix::sys::statvfs::statvfs(dir)
        .map_err(|e| AcmError::new("swstf5002", format!("{}: {e}", dir.display())))?;
    // fsblkcnt_t is not u64 on every target.
    #[allow(clippy::useless_conversion)]
    let free = u64::from(stat.blocks_available()).saturating_mul(stat.fragment_size());
    if free < needed.saturating_add(SPARE_BYTES) {
        return Err(AcmError::new(
            "swstf5002",
            format!(
                "There is not enough free space in the directory. Directory={}, Needed={} bytes, Free={free} bytes",
                dir.display(),
                needed.saturating_add(SPARE_BYTES)
            ),
        ));
    }
    Ok(())
}

fn write_archive(target: &Path, entries: &[(String, PathBuf)]) -> Result<(), AcmError> {
    let file = File::create(target).map_err(|e| agent::io_error(target, &e))?;
    let mut tar = tar::Builder::new(GzEncoder::new(file, flate2::Compression::default()));
    tar.follow_symlinks(false);
    for (name, path) in entries {
        let name = format!("acmcapture/{name}");
        tar.append_path_with_name(path, &name)
            .map_err(|e| agent::io_error(path, &e))?;
    }
    let gz = tar.into_inner().map_err(|e| agent::io_error(target, &e))?;
    let file = gz.finish().map_err(|e| agent::io_error(target, &e))?;
    file.sync_all().map_err(|e| agent::io_error(target, &e))
}

/// The host name as the manual names the file: alphanumerics and `-` only (otherwise
/// `NOHOSTNAME`), at most 15 characters.
pub fn host_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    file_host(host.trim())
}

pub fn file_host(host: &str) -> String {
    if host.is_empty() || !host.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return "NOHOSTNAME".to_string();
    }
    host.chars().take(15).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_follow_the_manual() {
        assert_eq!(file_host("srv01"), "srv01");
        assert_eq!(file_host("a-very-long-host-name"), "a-very-long-hos");
        assert_eq!(file_host("srv01.example.com"), "NOHOSTNAME");
        assert_eq!(file_host("srv_01"), "NOHOSTNAME");
        assert_eq!(file_host(""), "NOHOSTNAME");
    }
}
