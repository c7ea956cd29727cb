//! ETERNUS arrays declared in auth.conf (`type = eternus` sections):
//!
//! ```ini
//! [DX1]
//! type = eternus
//! address = 10.1.1.10          ; management address reached with ssh
//! user = acm                   ; CLI account (Software role)
//! identity = /etc/arraysync/dx1.id_rsa   ; ssh key, mode 0600, owned by root
//! ; or, in place of address/user/identity, a command prefix that answers as the CLI
//! ; on its stdin (the emulator): command = /opt/arraysim/eternus-cli DX1
//! ```

use arraysync_core::auth::{check_secret_file, AuthConf};
use arraysync_core::config::is_safe_name;
use arraysync_core::ini::Ini;
use arraysync_core::{ConfigError, Location, Paths};
use std::path::PathBuf;

pub const TYPE: &str = "eternus";

/// How one CLI session is opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    Ssh {
        ssh: PathBuf,
        address: String,
        user: String,
        identity: PathBuf,
    },
    /// A program (and its arguments) run in place of ssh.
    Prefix { program: PathBuf, args: Vec<String> },
}

/// One declared array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArrayConf {
    pub name: String,
    pub access: Access,
}

pub(crate) fn plain(value: &str) -> bool {
    !value.is_empty()
        && value.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '@' | '/' | '#')
        })
}

/// Whether `name` can be an array name (auth.conf section, devices file column).
pub fn valid_array_name(name: &str) -> bool {
    is_safe_name(name, 64, &['.', '-', '_'])
}

impl ArrayConf {
    /// The `[name]` section of auth.conf, which must have `type = eternus`.
    pub fn load(paths: &Paths, name: &str) -> Result<ArrayConf, ConfigError> {
        let auth = AuthConf::load(paths)?;
        let section = auth.array(name, TYPE)?;
        if let Some(command) = section.get("command") {
            let words = split_words(command)
                .ok_or_else(|| section.error("command", "unbalanced quotes"))?;
            if let Some(bad) = words.iter().find(|w| !plain(w)) {
                return Err(section.error("command", format!("'{bad}' contains characters not allowed in a command prefix (no shell is used)")));
            }
            let Some((program, args)) = words.split_first() else {
                return Err(section.error("command", "empty command prefix"));
            };
            let program = if program.starts_with('/') {
                paths.under_root(program)
            } else {
                paths.find_program(program).ok_or_else(|| {
                    section.error("command", format!("{program}: not found in PATH"))
                })?
            };
            return Ok(ArrayConf {
                name: name.to_string(),
                access: Access::Prefix {
                    program,
                    args: args.to_vec(),
                },
            });
        }
        let address = section.require("address")?;
        let user = section.require("user")?;
        for (key, value) in [("address", address), ("user", user)] {
            if !plain(value) || value.starts_with('-') {
                return Err(section.error(key, format!("'{value}' is not a host or user name")));
            }
        }
        let identity = paths.under_root(section.require("identity")?);
        check_secret_file(paths, &identity, "ssh identity file")?;
        let ssh = paths.find_program("ssh").ok_or_else(|| {
            ConfigError::new(
                Location::file(auth.path()),
                "ssh: not found in $ARRAYSYNC_ROOT/usr/bin or PATH",
            )
        })?;
        Ok(ArrayConf {
            name: name.to_string(),
            access: Access::Ssh {
                ssh,
                address: address.to_string(),
                user: user.to_string(),
                identity,
            },
        })
    }

    /// Names of every `type = eternus` section.
    pub fn names(paths: &Paths) -> Result<Vec<String>, ConfigError> {
        let path = paths.auth_conf();
        check_secret_file(paths, &path, "credentials file")?;
        let ini = Ini::load(&path)?;
        Ok(ini
            .named_sections()
            .filter(|s| s.own("type").is_some_and(|e| e.value == TYPE))
            .map(|s| s.name.clone())
            .collect())
    }

    /// The argv of one session: `ssh -T -o BatchMode=yes ... -i ID -l USER ADDRESS`, or the prefix.
    pub fn argv(&self) -> (PathBuf, Vec<String>) {
        self.access.argv(None)
    }
}

impl Access {
    /// The argv that opens a session: `ssh -T -o BatchMode=yes -o ConnectTimeout=10 -i ID
    /// -l USER ADDRESS [REMOTE]` (no terminal, never a password prompt), or the prefix
    /// followed by `remote` (the program to run at the far end, if any).
    pub fn argv(&self, remote: Option<&str>) -> (PathBuf, Vec<String>) {
        let (program, mut args) = match self {
            Access::Ssh {
                ssh,
                address,
                user,
                identity,
            } => (
                ssh.clone(),
                vec![
                    "-T".into(),
                    "-o".into(),
                    "BatchMode=yes".into(),
                    "-o".into(),
                    "ConnectTimeout=10".into(),
                    "-i".into(),
                    identity.display().to_string(),
                    "-l".into(),
                    user.clone(),
                    address.clone(),
                ],
            ),
            Access::Prefix { program, args } => (program.clone(), args.clone()),
        };
        args.extend(remote.map(str::to_string));
        (program, args)
    }
}

/// Splits a command prefix on whitespace, honouring simple single or double quotes.
pub(crate) fn split_words(text: &str) -> Option<Vec<String>> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in text.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => current.push(c),
            None if c == '"' || c == '\'' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            None => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return None;
    }
    if in_word {
        words.push(current);
    }
    Some(words)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn sandbox(auth: &str) -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        std::fs::create_dir_all(paths.etc()).expect("mkdir");
        std::fs::write(paths.auth_conf(), auth).expect("write");
        std::fs::set_permissions(paths.auth_conf(), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        (dir, paths)
    }

    #[test]
    fn command_prefix_is_moved_under_the_root() {
        let (dir, paths) =
            sandbox("[DX1]\ntype = eternus\ncommand = /opt/arraysim/eternus-cli DX1\n");
        let array = ArrayConf::load(&paths, "DX1").expect("loads");
        let (program, args) = array.argv();
        assert_eq!(program, dir.path().join("opt/arraysim/eternus-cli"));
        assert_eq!(args, vec!["DX1".to_string()]);
        assert_eq!(
            ArrayConf::names(&paths).expect("names"),
            vec!["DX1".to_string()]
        );
    }

    #[test]
    fn hostile_prefix_and_loose_identity_are_refused() {
        let (_dir, paths) = sandbox("[DX1]\ntype = eternus\ncommand = /bin/sh -c 'rm -rf /'\n");
        let err = ArrayConf::load(&paths, "DX1").unwrap_err();
        assert!(err.to_string().contains("command"), "{err}");
        let (dir, paths) =
            sandbox("[DX1]\ntype = eternus\naddress = 10.0.0.1\nuser = acm\nidentity = /id\n");
        std::fs::write(dir.path().join("id"), "key").expect("write");
        std::fs::set_permissions(
            dir.path().join("id"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        let err = ArrayConf::load(&paths, "DX1").unwrap_err();
        assert!(err.to_string().contains("mode 0644"), "{err}");
    }

    #[test]
    fn words_split_with_quotes() {
        assert_eq!(split_words("a 'b c' d").expect("ok"), vec!["a", "b c", "d"]);
        assert!(split_words("a 'b").is_none());
    }
}
