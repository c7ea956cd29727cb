//! Node settings: `/etc/arraysync/arraysync.toml` under the root prefix (DESIGN §3).
//!
//! The file is optional and every key has a default; `arraysync print settings` shows the
//! effective values. An unknown key or a bad value is an error naming the file and line.
//! The binaries load the file once and [`install`] it; library code reads [`current`],
//! which gives the defaults when nothing was installed (tests, embedding).

use crate::duration::{format_duration, parse_duration, Unit};
use crate::error::{ConfigError, Error, Location};
use crate::log::Level;
use crate::paths::Paths;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// Where the settings file lives, before the root prefix.
pub const SETTINGS_FILE: &str = "/etc/arraysync/arraysync.toml";

/// The effective node settings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    pub concurrency: Concurrency,
    pub timeouts: Timeouts,
    pub vendor: Vendor,
    pub log: LogSettings,
    pub metrics: Metrics,
}

/// Bounds on concurrent vendor commands per array (the array's session limit).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Concurrency {
    /// Bound of an array not listed in `arrays`.
    pub default: usize,
    /// Bound per array name (the name used in the service configs).
    pub arrays: BTreeMap<String, usize>,
}

/// Default timeouts, each a duration (`300`, `5m`, `1h30m`; a bare number is seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Timeouts {
    /// Default `timeout` of a sync resource (one vendor command).
    pub resource: String,
    /// Default `--waitlock`.
    pub waitlock: String,
}

/// The environment of vendor commands beyond the built-in list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Vendor {
    /// Variables passed from our environment when set: names, or prefixes ending in `*`
    /// (`SSH_AUTH_SOCK`, `SYMCLI_*`).
    pub pass_env: Vec<String>,
    /// Variables set to fixed values.
    pub set_env: BTreeMap<String, String>,
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// Lowest level written to the action log files: debug, info, warning, error.
    pub level: String,
    /// Lowest level on stderr: `auto` (INFO at a terminal, WARNING otherwise, so cron
    /// runs are silent when all goes well) or a level (`info` under systemd sends the
    /// action lines to the journal). `--debug` and `--quiet` win.
    pub stderr: String,
    /// Where action log lines go besides stderr: `file`, `syslog` (journald reads the
    /// syslog socket too), or both.
    pub destination: Vec<String>,
}

/// Metrics output.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Metrics {
    /// node_exporter's textfile collector directory, used by `print metrics --textfile`
    /// given without a directory (empty: none).
    pub textfile_dir: String,
}

/// Default per-array bound on concurrent vendor commands.
pub const DEFAULT_CONCURRENCY: usize = 4;
/// Upper limit of a concurrency bound.
pub const MAX_CONCURRENCY: usize = 64;

impl Default for Concurrency {
    fn default() -> Self {
        Concurrency {
            default: DEFAULT_CONCURRENCY,
            arrays: BTreeMap::new(),
        }
    }
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            resource: "5m".into(),
            waitlock: "1m".into(),
        }
    }
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: "info".into(),
            stderr: "auto".into(),
            destination: vec!["file".into()],
        }
    }
}

impl Settings {
    /// The settings file of `paths` (under the root prefix).
    pub fn path(paths: &Paths) -> PathBuf {
        paths.under_root(SETTINGS_FILE)
    }

    /// Loads the settings file; a missing file gives the defaults.
    pub fn load(paths: &Paths) -> Result<Settings, Error> {
        let path = Self::path(paths);
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Settings::default()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }

    /// Parses and validates the text of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Settings, Error> {
        let settings: Settings = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| line_of(text, span.start));
            Error::Config(ConfigError::new(
                Location {
                    file: Some(path.to_path_buf()),
                    line,
                    ..Default::default()
                },
                e.message().trim().to_string(),
            ))
        })?;
        settings.validate(path, text)?;
        Ok(settings)
    }

    fn validate(&self, path: &Path, text: &str) -> Result<(), Error> {
        let error = |key: &str, message: String| {
            Error::Config(ConfigError::new(
                Location {
                    file: Some(path.to_path_buf()),
                    line: line_of_key(text, key),
                    key: Some(key.to_string()),
                    ..Default::default()
                },
                message,
            ))
        };
        let bounds = std::iter::once(("default", self.concurrency.default)).chain(
            self.concurrency
                .arrays
                .iter()
                .map(|(name, bound)| (name.as_str(), *bound)),
        );
        for (key, bound) in bounds {
            if bound == 0 || bound > MAX_CONCURRENCY {
                return Err(error(
                    key,
                    format!("concurrency bound {bound} is not between 1 and {MAX_CONCURRENCY}"),
                ));
            }
        }
        for (key, value) in [
            ("resource", &self.timeouts.resource),
            ("waitlock", &self.timeouts.waitlock),
        ] {
            parse_duration(value, Unit::Seconds).map_err(|e| error(key, e))?;
        }
        if self.resource_timeout().is_zero() {
            return Err(error("resource", "must be more than 0".into()));
        }
        for name in self
            .vendor
            .pass_env
            .iter()
            .chain(self.vendor.set_env.keys())
        {
            let bare = name.strip_suffix('*').unwrap_or(name);
            let valid = !bare.is_empty()
                && bare.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                && !bare.starts_with(|c: char| c.is_ascii_digit());
            if !valid {
                return Err(error(
                    name,
                    format!("'{name}' is not an environment variable name"),
                ));
            }
        }
        if Level::parse(&self.log.level).is_none() {
            return Err(error(
                "level",
                format!(
                    "unknown level '{}' (debug, info, warning, error)",
                    self.log.level
                ),
            ));
        }
        if self.log.stderr != "auto" && Level::parse(&self.log.stderr).is_none() {
            return Err(error(
                "stderr",
                format!(
                    "unknown level '{}' (auto, debug, info, warning, error)",
                    self.log.stderr
                ),
            ));
        }
        for destination in &self.log.destination {
            if !["file", "syslog"].contains(&destination.as_str()) {
                return Err(error(
                    "destination",
                    format!("unknown log destination '{destination}' (file, syslog)"),
                ));
            }
        }
        Ok(())
    }

    /// The concurrency bound of `array`.
    pub fn concurrency_of(&self, array: &str) -> usize {
        self.concurrency
            .arrays
            .get(array)
            .copied()
            .unwrap_or(self.concurrency.default)
    }

    pub fn resource_timeout(&self) -> Duration {
        parse_duration(&self.timeouts.resource, Unit::Seconds).unwrap_or(Duration::from_secs(300))
    }

    pub fn waitlock(&self) -> Duration {
        parse_duration(&self.timeouts.waitlock, Unit::Seconds).unwrap_or(Duration::from_secs(60))
    }

    /// The log file level (validated at load).
    pub fn file_level(&self) -> Level {
        Level::parse(&self.log.level).unwrap_or(Level::Info)
    }

    /// The stderr level the settings ask for (`None`: auto).
    pub fn stderr_level(&self) -> Option<Level> {
        Level::parse(&self.log.stderr)
    }

    pub fn logs_to_file(&self) -> bool {
        self.log.destination.iter().any(|d| d == "file")
    }

    pub fn logs_to_syslog(&self) -> bool {
        self.log.destination.iter().any(|d| d == "syslog")
    }

    /// The variables added to the vendor environment: `pass_env` names found in `env`,
    /// then `set_env`.
    pub fn vendor_env(&self, env: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = env
            .filter(|(key, _)| {
                self.vendor
                    .pass_env
                    .iter()
                    .any(|pattern| match pattern.strip_suffix('*') {
                        Some(prefix) => key.starts_with(prefix),
                        None => key == pattern,
                    })
            })
            .collect();
        out.extend(
            self.vendor
                .set_env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        out
    }

    /// The effective settings as TOML, every key shown (`print settings`).
    pub fn to_toml(&self) -> String {
        let mut out = String::new();
        out.push_str("[concurrency]\n");
        out.push_str(&format!("default = {}\n", self.concurrency.default));
        out.push_str("\n[concurrency.arrays]\n");
        for (name, bound) in &self.concurrency.arrays {
            out.push_str(&format!("{} = {bound}\n", toml_key(name)));
        }
        out.push_str("\n[timeouts]\n");
        out.push_str(&format!(
            "resource = \"{}\"\n",
            format_duration(self.resource_timeout())
        ));
        out.push_str(&format!(
            "waitlock = \"{}\"\n",
            format_duration(self.waitlock())
        ));
        out.push_str("\n[vendor]\n");
        out.push_str(&format!(
            "pass_env = [{}]\n",
            self.vendor
                .pass_env
                .iter()
                .map(|v| toml_string(v))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        out.push_str("\n[vendor.set_env]\n");
        for (key, value) in &self.vendor.set_env {
            out.push_str(&format!("{} = {}\n", toml_key(key), toml_string(value)));
        }
        out.push_str("\n[log]\n");
        out.push_str(&format!("level = {}\n", toml_string(&self.log.level)));
        out.push_str(&format!("stderr = {}\n", toml_string(&self.log.stderr)));
        out.push_str(&format!(
            "destination = [{}]\n",
            self.log
                .destination
                .iter()
                .map(|v| toml_string(v))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        out.push_str("\n[metrics]\n");
        out.push_str(&format!(
            "textfile_dir = {}\n",
            toml_string(&self.metrics.textfile_dir)
        ));
        out
    }
}

fn toml_string(value: &str) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into())
}

fn toml_key(key: &str) -> String {
    if !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        key.to_string()
    } else {
        toml_string(key)
    }
}

/// The 1-based line of byte offset `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The line where `key` is assigned, for validation errors (first match).
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            let bare = line.trim_start_matches('"');
            (bare.starts_with(key)
                && bare[key.len()..]
                    .trim_start_matches('"')
                    .trim_start()
                    .starts_with('='))
                || line.contains(&format!("\"{key}\""))
        })
        .map(|n| n + 1)
}

static CURRENT: OnceLock<Settings> = OnceLock::new();

/// Whether [`install`] has run (the settings of the run are final).
pub fn installed() -> bool {
    CURRENT.get().is_some()
}

/// Makes `settings` the process's settings (first call wins).
pub fn install(settings: Settings) {
    let _ = CURRENT.set(settings);
}

/// The process's settings: the installed ones, or the defaults.
pub fn current() -> &'static Settings {
    static DEFAULT: OnceLock<Settings> = OnceLock::new();
    CURRENT
        .get()
        .unwrap_or_else(|| DEFAULT.get_or_init(Settings::default))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, Error> {
        Settings::parse(Path::new("/etc/arraysync/arraysync.toml"), text)
    }

    #[test]
    fn empty_file_gives_the_defaults() {
        assert_eq!(parse("").expect("parses"), Settings::default());
        let shown = Settings::default().to_toml();
        assert_eq!(parse(&shown).expect("round trip"), Settings::default());
    }

    #[test]
    fn the_shipped_template_gives_the_defaults() {
        let template = include_str!("../../../etc-templates/arraysync.toml");
        assert_eq!(
            parse(template).expect("template parses"),
            Settings::default()
        );
    }

    #[test]
    fn every_section_is_read() {
        let s = parse(
            "[concurrency]\ndefault = 2\n[concurrency.arrays]\nNEC1 = 8\n\
             [timeouts]\nresource = \"10m\"\nwaitlock = \"2m\"\n\
             [vendor]\npass_env = [\"SSH_AUTH_SOCK\", \"SYMCLI_*\"]\n\
             [vendor.set_env]\nSYMCLI_OUTPUT_MODE = \"standard\"\n\
             [log]\nlevel = \"debug\"\nstderr = \"info\"\ndestination = [\"file\", \"syslog\"]\n\
             [metrics]\ntextfile_dir = \"/var/lib/node_exporter\"\n",
        )
        .expect("parses");
        assert_eq!(
            (s.concurrency_of("NEC1"), s.concurrency_of("other")),
            (8, 2)
        );
        assert_eq!(s.resource_timeout(), Duration::from_secs(600));
        assert_eq!(s.waitlock(), Duration::from_secs(120));
        assert_eq!(s.file_level(), Level::Debug);
        assert_eq!(s.stderr_level(), Some(Level::Info));
        assert_eq!(Settings::default().stderr_level(), None);
        assert!(s.logs_to_syslog() && s.logs_to_file());
        let env = s.vendor_env(
            [
                ("SSH_AUTH_SOCK".to_string(), "/tmp/agent".to_string()),
                ("SYMCLI_CONNECT".to_string(), "x".to_string()),
                ("SECRET".to_string(), "y".to_string()),
            ]
            .into_iter(),
        );
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["SSH_AUTH_SOCK", "SYMCLI_CONNECT", "SYMCLI_OUTPUT_MODE"]
        );
        assert_eq!(parse(&s.to_toml()).expect("round trip"), s);
    }

    #[test]
    fn unknown_keys_name_file_and_line() {
        let err = parse("[timeouts]\nresource = \"5m\"\nwait_lock = \"1m\"\n").unwrap_err();
        let text = err.to_string();
        assert_eq!(err.exit_code(), 2);
        assert!(
            text.starts_with("/etc/arraysync/arraysync.toml:3:"),
            "{text}"
        );
        assert!(text.contains("wait_lock"), "{text}");
        let err = parse("[colour]\nred = 1\n").unwrap_err().to_string();
        assert!(err.starts_with("/etc/arraysync/arraysync.toml:1:"), "{err}");
    }

    #[test]
    fn bad_values_name_the_key_and_line() {
        let err = parse("[log]\nlevel = \"loud\"\n").unwrap_err().to_string();
        assert!(err.contains(":2: level: unknown level 'loud'"), "{err}");
        let err = parse("[concurrency]\ndefault = 0\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: default:"), "{err}");
        let err = parse("[timeouts]\nresource = \"5x\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2: resource: invalid duration"), "{err}");
        let err = parse("[vendor]\npass_env = [\"A B\"]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("not an environment variable name"), "{err}");
        let err = parse("[concurrency]\ndefault = \"four\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains(":2:"), "{err}");
    }
}
