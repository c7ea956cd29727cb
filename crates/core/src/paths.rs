//! Where things live: every absolute default path resolved under `ARRAYSYNC_ROOT`
//! (DESIGN §3, "one variable moves the whole world").

use std::env;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Default configuration directory (before the root prefix).
pub const DEFAULT_ETC: &str = "/etc/arraysync";
/// Default state directory (before the root prefix).
pub const DEFAULT_VAR: &str = "/var/lib/arraysync";

/// Resolved locations of one run.
#[derive(Debug, Clone)]
pub struct Paths {
    root: Option<PathBuf>,
    etc: PathBuf,
    var: PathBuf,
    search_path: Option<OsString>,
}

/// Explicit overrides, from the command line (`--etc`, `--var`).
#[derive(Debug, Clone, Default)]
pub struct PathOverrides {
    pub etc: Option<PathBuf>,
    pub var: Option<PathBuf>,
}

impl Paths {
    /// Paths from the process environment (`ARRAYSYNC_ROOT`, `ARRAYSYNC_ETC`,
    /// `ARRAYSYNC_VAR`, `PATH`) and the command-line overrides, which win.
    pub fn from_env(overrides: &PathOverrides) -> Self {
        let root = env::var_os("ARRAYSYNC_ROOT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let env_etc = env::var_os("ARRAYSYNC_ETC")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let env_var = env::var_os("ARRAYSYNC_VAR")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Self::new(
            root,
            overrides.etc.clone().or(env_etc),
            overrides.var.clone().or(env_var),
            env::var_os("PATH"),
        )
    }

    /// Paths from explicit values, for tests and embedding.
    pub fn new(
        root: Option<PathBuf>,
        etc: Option<PathBuf>,
        var: Option<PathBuf>,
        search_path: Option<OsString>,
    ) -> Self {
        let etc = etc.unwrap_or_else(|| rooted(root.as_deref(), DEFAULT_ETC));
        let var = var.unwrap_or_else(|| rooted(root.as_deref(), DEFAULT_VAR));
        Paths {
            root,
            etc,
            var,
            search_path,
        }
    }

    /// The root prefix, when one is set.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    /// An absolute default path moved under the root prefix.
    pub fn under_root(&self, absolute: impl AsRef<Path>) -> PathBuf {
        rooted(self.root.as_deref(), absolute)
    }

    pub fn etc(&self) -> &Path {
        &self.etc
    }

    pub fn var(&self) -> &Path {
        &self.var
    }

    pub fn auth_conf(&self) -> PathBuf {
        self.etc.join("auth.conf")
    }

    pub fn log_dir(&self) -> PathBuf {
        self.var.join("log")
    }

    pub fn lock_dir(&self) -> PathBuf {
        self.var.join("lock")
    }

    /// Per-service state directory (last resync times, pending multi-step actions).
    pub fn service_state_dir(&self, service: &str) -> PathBuf {
        self.var.join("state").join(service)
    }

    /// `/proc/self/mounts`, under the root prefix so tests can describe mounts.
    pub fn mounts_file(&self) -> PathBuf {
        self.under_root("/proc/self/mounts")
    }

    /// Finds a program the way DESIGN §3 says: an absolute path is moved under the root
    /// prefix; a bare name is looked up in `$ARRAYSYNC_ROOT/usr/bin` first, then `PATH`.
    pub fn find_program(&self, program: &str) -> Option<PathBuf> {
        if program.contains('/') {
            let path = self.under_root(program);
            return is_executable(&path).then_some(path);
        }
        if let Some(root) = &self.root {
            let candidate = root.join("usr/bin").join(program);
            if is_executable(&candidate) {
                return Some(candidate);
            }
        }
        let search = self.search_path.as_ref()?;
        env::split_paths(search)
            .map(|dir| dir.join(program))
            .find(|candidate| is_executable(candidate))
    }
}

fn rooted(root: Option<&Path>, absolute: impl AsRef<Path>) -> PathBuf {
    let absolute = absolute.as_ref();
    match root {
        Some(root) => {
            let relative = absolute.strip_prefix("/").unwrap_or(absolute);
            root.join(relative)
        }
        None => absolute.to_path_buf(),
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_without_root_are_absolute() {
        let paths = Paths::new(None, None, None, None);
        assert_eq!(paths.etc(), Path::new("/etc/arraysync"));
        assert_eq!(paths.var(), Path::new("/var/lib/arraysync"));
        assert_eq!(
            paths.under_root("/opt/ibm/dscli/dscli"),
            PathBuf::from("/opt/ibm/dscli/dscli")
        );
    }

    #[test]
    fn root_prefix_moves_every_default() {
        let paths = Paths::new(Some("/tmp/r".into()), None, None, None);
        assert_eq!(paths.etc(), Path::new("/tmp/r/etc/arraysync"));
        assert_eq!(paths.var(), Path::new("/tmp/r/var/lib/arraysync"));
        assert_eq!(
            paths.auth_conf(),
            PathBuf::from("/tmp/r/etc/arraysync/auth.conf")
        );
        assert_eq!(
            paths.under_root("/opt/ibm/dscli/dscli"),
            PathBuf::from("/tmp/r/opt/ibm/dscli/dscli")
        );
    }

    #[test]
    fn explicit_etc_and_var_win_over_root() {
        let paths = Paths::new(
            Some("/tmp/r".into()),
            Some("/e".into()),
            Some("/v".into()),
            None,
        );
        assert_eq!(paths.etc(), Path::new("/e"));
        assert_eq!(paths.var(), Path::new("/v"));
    }

    #[test]
    fn programs_are_found_under_root_usr_bin_before_path() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().expect("tempdir");
        let other = tempfile::tempdir().expect("tempdir");
        let bin = root.path().join("usr/bin");
        std::fs::create_dir_all(&bin).expect("mkdir");
        for dir in [&bin, &other.path().to_path_buf()] {
            let file = dir.join("iSMsc_query");
            std::fs::write(&file, "#!/bin/sh\n").expect("write");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        }
        let paths = Paths::new(
            Some(root.path().into()),
            None,
            None,
            Some(other.path().as_os_str().to_owned()),
        );
        assert_eq!(
            paths.find_program("iSMsc_query"),
            Some(bin.join("iSMsc_query"))
        );
        let no_root = Paths::new(None, None, None, Some(other.path().as_os_str().to_owned()));
        assert_eq!(
            no_root.find_program("iSMsc_query"),
            Some(other.path().join("iSMsc_query"))
        );
        assert_eq!(no_root.find_program("absent_program"), None);
    }
}
