//! Array credentials: `auth.conf` (seed 000 format, one section per array) and secret
//! files (dscli pwfiles, SSH identities), refused unless mode 0600 and owned by root,
//! or by the invoking user under a root prefix.

use crate::error::{ConfigError, Location};
use crate::ini::{Ini, Section};
use crate::paths::Paths;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

/// The parsed `auth.conf`.
#[derive(Debug, Clone)]
pub struct AuthConf {
    ini: Ini,
}

/// One array's section.
#[derive(Debug, Clone, Copy)]
pub struct ArrayAuth<'a> {
    ini: &'a Ini,
    section: &'a Section,
}

impl AuthConf {
    /// Loads `<etc>/auth.conf` after checking its mode and owner.
    pub fn load(paths: &Paths) -> Result<AuthConf, ConfigError> {
        let path = paths.auth_conf();
        check_secret_file(paths, &path, "credentials file")?;
        Ok(AuthConf {
            ini: Ini::load_secret(&path)?,
        })
    }

    pub fn path(&self) -> &Path {
        &self.ini.path
    }

    /// The section of `array`, which must have `type = <expected_type>`.
    pub fn array(&self, array: &str, expected_type: &str) -> Result<ArrayAuth<'_>, ConfigError> {
        let section = self.ini.section(array).ok_or_else(|| {
            ConfigError::new(
                Location::file(self.path()),
                format!("array '{array}' is not defined (no [{array}] section)"),
            )
        })?;
        let auth = ArrayAuth {
            ini: &self.ini,
            section,
        };
        let found = auth.get("type").unwrap_or("");
        if found != expected_type {
            return Err(auth.error(
                "type",
                format!("array '{array}' has type '{found}', expected '{expected_type}'"),
            ));
        }
        Ok(auth)
    }
}

impl<'a> ArrayAuth<'a> {
    pub fn name(&self) -> &'a str {
        &self.section.name
    }

    /// A value, `None` when unset or empty (an empty `hmc2 =` means "no second HMC").
    pub fn get(&self, key: &str) -> Option<&'a str> {
        self.section
            .own(key)
            .map(|e| e.value.as_str())
            .filter(|v| !v.is_empty())
    }

    pub fn require(&self, key: &str) -> Result<&'a str, ConfigError> {
        self.get(key)
            .ok_or_else(|| self.error(key, format!("missing for array '{}'", self.section.name)))
    }

    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let mut location = self.ini.location(&self.section.name, self.section.own(key));
        location.key = Some(key.to_string());
        ConfigError::new(location, message)
    }
}

/// Refuses a secret file unless it exists, is a regular file, has no group or other
/// permission bits, and is owned by root (by the invoking user under a root prefix).
pub fn check_secret_file(paths: &Paths, path: &Path, what: &str) -> Result<(), ConfigError> {
    let location = Location::file(path);
    let meta = std::fs::metadata(path).map_err(|e| {
        let hint = if e.kind() == std::io::ErrorKind::NotFound {
            " (does not exist)"
        } else {
            ""
        };
        ConfigError::new(location.clone(), format!("cannot read {what}{hint}: {e}"))
    })?;
    if !meta.is_file() {
        return Err(ConfigError::new(
            location,
            format!("{what} is not a regular file"),
        ));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(ConfigError::new(
            location,
            format!(
                "{what} has mode {mode:04o}, refusing it: must be 0600 (chmod 600 {})",
                path.display()
            ),
        ));
    }
    let expected_owner = match paths.root() {
        Some(_) => nix::unistd::geteuid().as_raw(),
        None => 0,
    };
    if meta.uid() != expected_owner {
        let who = if expected_owner == 0 {
            "root".to_string()
        } else {
            format!("uid {expected_owner}")
        };
        return Err(ConfigError::new(
            location,
            format!(
                "{what} is owned by uid {}, refusing it: must be owned by {who}",
                meta.uid()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn rooted(dir: &Path) -> Paths {
        Paths::new(Some(dir.to_path_buf()), None, None, None)
    }

    fn write_auth(dir: &Path, mode: u32) -> Paths {
        let paths = rooted(dir);
        std::fs::create_dir_all(paths.etc()).expect("mkdir");
        std::fs::write(
            paths.auth_conf(),
            "[IBM.XXXX-XXXXXXX]\ntype = ibmds\nhmc1 = 10.10.10.10\nhmc2 =\nusername = opensvc\n",
        )
        .expect("write");
        std::fs::set_permissions(paths.auth_conf(), std::fs::Permissions::from_mode(mode))
            .expect("chmod");
        paths
    }

    #[test]
    fn reads_sections_and_drops_empty_values() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = write_auth(dir.path(), 0o600);
        let auth = AuthConf::load(&paths).expect("loads");
        let array = auth.array("IBM.XXXX-XXXXXXX", "ibmds").expect("array");
        assert_eq!(array.get("hmc1"), Some("10.10.10.10"));
        assert_eq!(array.get("hmc2"), None);
        assert!(auth
            .array("IBM.YYYY", "ibmds")
            .unwrap_err()
            .message
            .contains("not defined"));
        assert!(auth
            .array("IBM.XXXX-XXXXXXX", "symmetrix")
            .unwrap_err()
            .message
            .contains("expected 'symmetrix'"));
    }

    #[test]
    fn group_or_world_readable_file_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = write_auth(dir.path(), 0o644);
        let err = AuthConf::load(&paths).unwrap_err();
        assert!(err.message.contains("mode 0644"), "{err}");
        assert!(err.to_string().contains("auth.conf"), "{err}");
    }

    #[test]
    fn malformed_line_is_named_not_echoed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = write_auth(dir.path(), 0o600);
        let mut text = std::fs::read_to_string(paths.auth_conf()).expect("read");
        text.push_str("Secr3tPassw0rd\n");
        std::fs::write(paths.auth_conf(), text).expect("write");
        let err = AuthConf::load(&paths).unwrap_err().to_string();
        assert!(err.contains("auth.conf:6:"), "{err}");
        assert!(!err.contains("Secr3t"), "{err}");
    }

    #[test]
    fn missing_file_says_so() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = check_secret_file(
            &rooted(dir.path()),
            &dir.path().join("x.pwfile"),
            "dscli password file",
        )
        .unwrap_err();
        assert!(err.message.contains("does not exist"), "{err}");
    }
}
