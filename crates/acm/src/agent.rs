//! What the agent configuration commands (seed 004 chapter 8.2, 8.6: `stg*`, `acmcapture`)
//! share: where their settings live (under the manual's data directory of FJSVswstf, moved
//! under `ARRAYSYNC_ROOT`), small INI files written atomically, and the lock that makes a
//! command run alone.

use crate::messages::AcmError;
use crate::Cx;
use arraysync_core::ini::Ini;
use arraysync_core::Paths;
use arraysync_eternus::exclusion::{self, Class, Guard};
use std::path::{Path, PathBuf};

/// The Management Server this agent answers to (stgcmmodnode): `[manager] ip, port, name`.
pub const MANAGER_FILE: &str = "/etc/opt/FJSVswstf/data/manager.ini";
/// The package backup execution server registration (stgmgrinfoset):
/// `[mgrinfo] directory, code`.
pub const MGRINFO_FILE: &str = "/etc/opt/FJSVswstf/data/stgmgrinfo.ini";
/// The status file stgmgrinfobkup keeps per server in the backup data directory.
pub const STATUS_FILE: &str = "stgmgrinfo.status";

/// A value of a one-section settings file (key case ignored); `None` when the file or key
/// is absent.
pub fn setting(path: &Path, section: &str, key: &str) -> Result<Option<String>, AcmError> {
    if !path.exists() {
        return Ok(None);
    }
    let ini = Ini::load(path).map_err(|e| config_error(&e.to_string()))?;
    // The INI reader keeps keys in lower case.
    Ok(ini
        .lookup(section, &key.to_lowercase())
        .map(|e| e.value.clone())
        .filter(|v| !v.is_empty()))
}

/// Writes a one-section settings file atomically (temporary file, then rename).
pub fn write_settings(
    path: &Path,
    section: &str,
    entries: &[(&str, String)],
) -> Result<(), AcmError> {
    let mut text = format!("[{section}]\n");
    for (key, value) in entries {
        text.push_str(&format!("{key} = {value}\n"));
    }
    write_atomic(path, text.as_bytes())
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), AcmError> {
    let dir = path.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    std::fs::write(&temp, bytes).map_err(|e| io_error(&temp, &e))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io_error(path, &e)
    })
}

/// Takes backup management's global lock too: with the replication one `main` took
/// (class `Recover`), no other ACM command runs while this one does.
pub fn alone(cx: &Cx) -> Result<Guard, AcmError> {
    Ok(exclusion::acquire_in(
        &cx.paths,
        arraysync_eternus::backup::LOCK_DIR,
        cx.name,
        Class::Recover,
        &[],
    )?)
}

/// An operator's absolute path moved under `ARRAYSYNC_ROOT` (like every default path).
pub fn rooted(paths: &Paths, absolute: &str) -> PathBuf {
    paths.under_root(absolute)
}

pub fn io_error(path: &Path, e: &std::io::Error) -> AcmError {
    AcmError::new("swstf0711", format!("{}: {e}", path.display()))
}

pub fn config_error(text: &str) -> AcmError {
    AcmError {
        id: "swstf0650",
        text: format!("Configuration error: {text}"),
        code: 2,
        usage: false,
    }
}

/// Copies the regular files directly in `from` into `to` (scripts, settings); symlinks and
/// subdirectories are left out. A missing `from` copies nothing.
pub fn copy_files(from: &Path, to: &Path) -> Result<usize, AcmError> {
    let Ok(entries) = std::fs::read_dir(from) else {
        return Ok(0);
    };
    std::fs::create_dir_all(to).map_err(|e| io_error(to, &e))?;
    let mut copied = 0;
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_file() {
            let target = to.join(entry.file_name());
            std::fs::copy(entry.path(), &target).map_err(|e| io_error(&target, &e))?;
            copied += 1;
        }
    }
    Ok(copied)
}

/// A consistent copy of an SQLite repository (`VACUUM INTO`); `Ok(false)` when it does
/// not exist.
pub fn copy_repository(source: &Path, target: &Path) -> Result<bool, AcmError> {
    if !source.is_file() {
        return Ok(false);
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, &e))?;
    }
    let _ = std::fs::remove_file(target);
    let repo_error = |e: rusqlite::Error| {
        AcmError::new(
            "swstf0710",
            format!("The repository cannot be read: {}: {e}", source.display()),
        )
    };
    let conn = rusqlite::Connection::open_with_flags(
        source,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(repo_error)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(repo_error)?;
    conn.execute("VACUUM INTO ?1", [target.display().to_string()])
        .map_err(repo_error)?;
    Ok(true)
}
