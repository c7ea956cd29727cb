//! Files under the var tree, opened the way a root-run tool must (DESIGN §9, docs/hardening.md):
//!
//! - never through a symlink: the last component is opened with `O_NOFOLLOW`, and every
//!   directory this module creates or enters is checked not to be a symlink, so a link
//!   planted in the var tree cannot make the tool truncate or append to another file;
//! - temp files with unpredictable names and exclusive creation (`O_EXCL`), renamed into
//!   place;
//! - explicit modes on everything created, whatever the umask (under `umask 000` nothing
//!   comes out world-writable).

use std::fs::{self, File, OpenOptions, Permissions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Mode of directories created under the var tree.
pub const DIR_MODE: u32 = 0o755;
/// Mode of state, lock and repository files (readable by monitoring, writable by root).
pub const FILE_MODE: u32 = 0o644;
/// Mode of log files (they name arrays and devices: not for everyone).
pub const LOG_MODE: u32 = 0o640;

/// Creates `dir` and its missing parents with [`DIR_MODE`]; refuses a symlink anywhere
/// along the part that had to be created or that already existed below the first real
/// directory named in the path.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    match fs::symlink_metadata(dir) {
        Ok(meta) if meta.file_type().is_symlink() => return Err(symlink_refused(dir)),
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("{} exists and is not a directory", dir.display()),
            ))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_all(parent)?;
    }
    match fs::DirBuilder::new().mode(DIR_MODE).create(dir) {
        Ok(()) => fs::set_permissions(dir, Permissions::from_mode(DIR_MODE)),
        // Another run created it meanwhile: check it like an existing one.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => match fs::symlink_metadata(dir) {
            Ok(meta) if meta.is_dir() => Ok(()),
            _ => Err(symlink_refused(dir)),
        },
        Err(e) => Err(e),
    }
}

fn symlink_refused(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "{} is a symbolic link, refusing to follow it",
            path.display()
        ),
    )
}

fn nofollow(mut options: OpenOptions) -> OpenOptions {
    options.custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_CLOEXEC);
    options
}

/// Maps the `ELOOP` of `O_NOFOLLOW` on a symlink to a message that says what happened.
fn explain(path: &Path, e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(nix::libc::ELOOP) {
        symlink_refused(path)
    } else {
        e
    }
}

/// Opens `path` read-write, creating it with `mode` (exactly) when missing, never through a
/// symlink and never truncating (lock files keep their holder record until locked).
pub fn open_rw_create(path: &Path, mode: u32) -> io::Result<File> {
    open_create(path, mode, false)
}

/// Opens `path` for appending, creating it with `mode` (exactly) when missing, never
/// through a symlink (log files).
pub fn open_append_create(path: &Path, mode: u32) -> io::Result<File> {
    open_create(path, mode, true)
}

fn open_create(path: &Path, mode: u32, append: bool) -> io::Result<File> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        create_dir_all(dir)?;
    }
    let options = |create_new: bool| {
        let mut o = OpenOptions::new();
        o.read(!append).write(true).append(append).mode(mode);
        if create_new {
            o.create_new(true);
        }
        nofollow(o)
    };
    match options(true).open(path) {
        Ok(file) => {
            // The umask may have taken bits away (or, at 000, left too many): set it exactly.
            file.set_permissions(Permissions::from_mode(mode))?;
            Ok(file)
        }
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let file = options(false).open(path).map_err(|e| explain(path, e))?;
            if !file.metadata()?.is_file() {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a regular file", path.display()),
                ));
            }
            Ok(file)
        }
        Err(e) => Err(explain(path, e)),
    }
}

/// Opens an existing file for reading without following a symlink.
pub fn open_read(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true);
    nofollow(o).open(path).map_err(|e| explain(path, e))
}

/// How hard [`write_atomic`] insists on reaching the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sync {
    /// fsync the file and its directory.
    Durable,
    /// Rename only: never torn, may be lost in a crash.
    RenameOnly,
}

/// Replaces `path` with `bytes`: a temp file with an unpredictable name created exclusively
/// in the same directory, mode `mode` exactly, written, optionally synced, renamed over
/// `path` (a symlink at `path` is replaced, never followed).
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32, sync: Sync) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".into());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(Permissions::from_mode(mode))
        .tempfile_in(dir)?;
    tmp.as_file()
        .set_permissions(Permissions::from_mode(mode))?;
    tmp.write_all(bytes)?;
    if sync == Sync::Durable {
        tmp.as_file().sync_all()?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    if sync == Sync::Durable {
        // The rename is durable only once the directory is synced.
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{symlink, MetadataExt};

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).expect("stat").mode() & 0o7777
    }

    #[test]
    fn planted_symlinks_are_refused_and_the_target_is_untouched() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").expect("write");
        let link = dir.path().join("svc.log");
        symlink(&victim, &link).expect("symlink");
        let err = open_append_create(&link, LOG_MODE).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let err = open_rw_create(&link, FILE_MODE).unwrap_err();
        assert!(err.to_string().contains("symbolic link"), "{err}");
        let linked_dir = dir.path().join("lock");
        symlink(dir.path().join("elsewhere"), &linked_dir).expect("symlink");
        assert!(create_dir_all(&linked_dir.join("sub")).is_err());
        assert_eq!(fs::read_to_string(&victim).expect("read"), "precious");
    }

    #[test]
    fn atomic_write_replaces_a_symlink_instead_of_following_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let victim = dir.path().join("victim");
        fs::write(&victim, "precious").expect("write");
        let state = dir.path().join("sync_1.json");
        symlink(&victim, &state).expect("symlink");
        write_atomic(&state, b"{}", FILE_MODE, Sync::Durable).expect("write");
        assert_eq!(fs::read_to_string(&victim).expect("read"), "precious");
        assert!(!fs::symlink_metadata(&state)
            .expect("stat")
            .file_type()
            .is_symlink());
        // No temp file left behind, and none with a predictable name was used.
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("ls")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn modes_are_explicit_whatever_the_umask() {
        let old = nix::sys::stat::umask(nix::sys::stat::Mode::empty());
        let dir = tempfile::tempdir().expect("tempdir");
        let sub = dir.path().join("a/b");
        create_dir_all(&sub).expect("mkdir");
        open_append_create(&sub.join("x.log"), LOG_MODE).expect("log");
        open_rw_create(&sub.join("x.lock"), FILE_MODE).expect("lock");
        write_atomic(&sub.join("x.json"), b"{}", FILE_MODE, Sync::RenameOnly).expect("state");
        nix::sys::stat::umask(old);
        assert_eq!(mode(&dir.path().join("a")), DIR_MODE);
        assert_eq!(mode(&sub), DIR_MODE);
        assert_eq!(mode(&sub.join("x.log")), LOG_MODE);
        assert_eq!(mode(&sub.join("x.lock")), FILE_MODE);
        assert_eq!(mode(&sub.join("x.json")), FILE_MODE);
    }
}
