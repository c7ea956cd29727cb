//! The Managed Servers this agent reaches (spec §1.3: `Volume@SERVER`, `-h serverName`):
//! our configuration, since the manual keeps that list on the Management Server
//! (`stgxfwcmdispsrv`) and has no agent-side command for it.
//!
//! `/etc/opt/FJSVswsrp/data/DEFAULT/servers.conf`, one section per server, checked like
//! auth.conf (mode 0600, owned by root; by the invoking user under a root prefix):
//!
//! ```ini
//! [TARG-SV]
//! address = 10.1.1.20                       ; reached with ssh -o BatchMode=yes
//! user = root
//! identity = /etc/opt/FJSVswsrp/data/DEFAULT/targ-sv.id_rsa   ; mode 0600, like array keys
//! agent = /opt/FJSVswsrp/bin/swsrp-remote   ; optional: the remote agent on that server
//! timeout = 60                              ; optional: seconds per answer (default 300)
//! ; or, in place of address/user/identity, an argv prefix that replaces ssh (emulation):
//! ; command = /opt/arraysim/arraysim server exec TARG-SV --
//! ```
//!
//! A server that is not declared keeps the single-server behaviour: its volumes may be
//! registered (the devices file maps them), but nothing runs on it.

use crate::array::{plain, split_words};
use crate::device::valid_server_name;
use arraysync_core::auth::check_secret_file;
use arraysync_core::ini::{Ini, Section};
use arraysync_core::{ConfigError, Location, Paths};
use std::path::PathBuf;
use std::time::Duration;

/// The server table (under the root prefix).
pub const SERVERS_FILE: &str = "/etc/opt/FJSVswsrp/data/DEFAULT/servers.conf";
/// Where the remote agent is installed on every Managed Server.
pub const DEFAULT_AGENT: &str = "/opt/FJSVswsrp/bin/swsrp-remote";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
const KEYS: &[&str] = &["address", "user", "identity", "agent", "timeout", "command"];

/// How a session to one server is opened: ssh, or an argv prefix run in place of
/// `ssh ... user@address` (the emulator); the same choice as an array's CLI session.
pub type Reach = crate::array::Access;

/// One declared Managed Server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub name: String,
    pub reach: Reach,
    /// The remote agent's path on that server.
    pub agent: String,
    /// Limit for opening the session and for each answer.
    pub timeout: Duration,
    /// Where it is declared, for messages.
    pub line: usize,
}

impl Server {
    /// The argv of one session: `ssh -T -o BatchMode=yes ... -i ID -l USER ADDRESS AGENT`,
    /// or the prefix followed by the agent.
    pub fn argv(&self) -> (PathBuf, Vec<String>) {
        self.reach.argv(Some(&self.agent))
    }

    /// Where the server is reached, for listings: `root@10.1.1.20` or the prefix.
    pub fn address_text(&self) -> String {
        match &self.reach {
            Reach::Ssh { address, user, .. } => format!("{user}@{address}"),
            Reach::Prefix { program, args } => std::iter::once(program.display().to_string())
                .chain(args.iter().cloned())
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

/// The parsed server table; empty when the file does not exist.
#[derive(Debug, Clone, Default)]
pub struct ServerTable {
    pub servers: Vec<Server>,
}

pub fn servers_file(paths: &Paths) -> PathBuf {
    paths.under_root(SERVERS_FILE)
}

impl ServerTable {
    /// Reads the table; a missing file is an empty table. Errors name file, line and key.
    pub fn load(paths: &Paths) -> Result<ServerTable, ConfigError> {
        let path = servers_file(paths);
        if std::fs::symlink_metadata(&path).is_err() {
            return Ok(ServerTable::default());
        }
        check_secret_file(paths, &path, "server table")?;
        let ini = Ini::load_secret(&path)?;
        let mut servers = Vec::new();
        for section in ini.named_sections() {
            servers.push(parse_server(paths, &ini, section)?);
        }
        Ok(ServerTable { servers })
    }

    /// The declared server named `name` (exact case, as the manual's `-h` wants).
    pub fn get(&self, name: &str) -> Option<&Server> {
        self.servers.iter().find(|s| s.name == name)
    }
}

fn parse_server(paths: &Paths, ini: &Ini, section: &Section) -> Result<Server, ConfigError> {
    let error = |key: Option<&str>, message: String| {
        let entry = key.and_then(|k| section.own(k));
        let mut location = ini.location(&section.name, entry);
        location.key = key.map(str::to_string);
        ConfigError::new(location, message)
    };
    if !valid_server_name(&section.name) {
        return Err(error(
            None,
            format!("'{}' is not a server name", section.name),
        ));
    }
    if let Some(unknown) = section
        .entries
        .iter()
        .find(|e| !KEYS.contains(&e.key.as_str()))
    {
        return Err(error(
            Some(&unknown.key),
            format!("unknown key '{}' (known: {})", unknown.key, KEYS.join(", ")),
        ));
    }
    let get = |key: &str| {
        section
            .own(key)
            .map(|e| e.value.as_str())
            .filter(|v| !v.is_empty())
    };
    let agent = get("agent").unwrap_or(DEFAULT_AGENT).to_string();
    if !agent.starts_with('/') || !plain(&agent) {
        return Err(error(
            Some("agent"),
            format!("'{agent}' is not an absolute path of plain characters"),
        ));
    }
    let timeout = match get("timeout") {
        None => DEFAULT_TIMEOUT,
        Some(text) => match text.parse::<u64>() {
            Ok(n) if n > 0 => Duration::from_secs(n),
            _ => {
                return Err(error(
                    Some("timeout"),
                    format!("'{text}' is not a number of seconds (1 or more)"),
                ))
            }
        },
    };
    let reach = if let Some(command) = get("command") {
        let words = split_words(command)
            .ok_or_else(|| error(Some("command"), "unbalanced quotes".into()))?;
        if let Some(bad) = words.iter().find(|w| !plain(w)) {
            return Err(error(
                Some("command"),
                format!("'{bad}' contains characters not allowed in a command prefix (no shell is used)"),
            ));
        }
        let Some((program, args)) = words.split_first() else {
            return Err(error(Some("command"), "empty command prefix".into()));
        };
        let program = paths.find_program(program).ok_or_else(|| {
            error(
                Some("command"),
                format!("{program}: not found (under the root prefix or in PATH)"),
            )
        })?;
        Reach::Prefix {
            program,
            args: args.to_vec(),
        }
    } else {
        let require = |key: &str| {
            get(key).ok_or_else(|| {
                error(
                    None,
                    format!(
                        "server '{}': '{key}' is missing (or give 'command')",
                        section.name
                    ),
                )
            })
        };
        let address = require("address")?;
        let user = require("user")?;
        for (key, value) in [("address", address), ("user", user)] {
            if !plain(value) || value.starts_with('-') {
                return Err(error(
                    Some(key),
                    format!("'{value}' is not a host or user name"),
                ));
            }
        }
        let identity = paths.under_root(require("identity")?);
        check_secret_file(paths, &identity, "ssh identity file").map_err(|e| {
            error(
                Some("identity"),
                format!("server '{}': {}", section.name, e),
            )
        })?;
        let ssh = paths.find_program("ssh").ok_or_else(|| {
            ConfigError::new(
                Location::file(&ini.path),
                "ssh: not found in $ARRAYSYNC_ROOT/usr/bin or PATH",
            )
        })?;
        Reach::Ssh {
            ssh,
            address: address.to_string(),
            user: user.to_string(),
            identity,
        }
    };
    Ok(Server {
        name: section.name.clone(),
        reach,
        agent,
        timeout,
        line: section.line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn sandbox(text: &str, mode: u32) -> (tempfile::TempDir, Paths) {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        let file = servers_file(&paths);
        std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        std::fs::write(&file, text).expect("write");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).expect("chmod");
        (dir, paths)
    }

    #[test]
    fn a_missing_table_is_empty() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        assert!(ServerTable::load(&paths).expect("ok").servers.is_empty());
    }

    #[test]
    fn ssh_servers_take_their_key_under_the_credentials_rule() {
        let (dir, paths) = sandbox(
            "[TARG-SV]\naddress = 10.1.1.20\nuser = root\nidentity = /id\ntimeout = 7\n",
            0o600,
        );
        std::fs::write(dir.path().join("id"), "key").expect("write");
        std::fs::set_permissions(
            dir.path().join("id"),
            std::fs::Permissions::from_mode(0o644),
        )
        .expect("chmod");
        let err = ServerTable::load(&paths).unwrap_err().to_string();
        assert!(err.contains("servers.conf:4:"), "{err}");
        assert!(err.contains("mode 0644"), "{err}");
        std::fs::set_permissions(
            dir.path().join("id"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
        std::fs::create_dir_all(dir.path().join("usr/bin")).expect("mkdir");
        std::fs::write(dir.path().join("usr/bin/ssh"), "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(
            dir.path().join("usr/bin/ssh"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        let table = ServerTable::load(&paths).expect("loads");
        let server = table.get("TARG-SV").expect("declared");
        assert!(table.get("targ-sv").is_none(), "names keep their case");
        assert_eq!(server.timeout, Duration::from_secs(7));
        let (_, args) = server.argv();
        assert_eq!(
            args[args.len() - 4..],
            ["-l", "root", "10.1.1.20", DEFAULT_AGENT]
        );
        assert!(args.contains(&"BatchMode=yes".to_string()));
    }

    #[test]
    fn bad_tables_are_refused_naming_file_line_and_key() {
        let (_dir, paths) = sandbox("[TARG-SV]\ncommand = /bin/true\n", 0o644);
        let err = ServerTable::load(&paths).unwrap_err().to_string();
        assert!(err.contains("mode 0644"), "{err}");
        for (text, needle) in [
            (
                "[TARG-SV]\ncommand = /bin/true\nport = 22\n",
                ":3: [TARG-SV] port:",
            ),
            ("[TARG-SV]\ncommand = /bin/sh -c 'a;b'\n", "command:"),
            ("[TARG SV]\ncommand = /bin/true\n", "not a server name"),
            ("[TARG-SV]\naddress = h\n", "'user' is missing"),
            ("[TARG-SV]\ncommand = /bin/true\ntimeout = 0\n", "timeout:"),
        ] {
            let (_dir, paths) = sandbox(text, 0o600);
            let err = ServerTable::load(&paths).unwrap_err().to_string();
            assert!(err.contains(needle), "{text:?}: {err}");
            assert!(err.contains("servers.conf"), "{err}");
        }
    }
}
