//! Service configuration files: OpenSVC INI (`<svc>.conf`, legacy `<svc>.env`),
//! keyword tables, typed access with errors naming file, line, section and key.

use crate::duration::{parse_duration, Unit};
use crate::error::{ConfigError, Location};
use crate::ini::{Entry, Ini, Section};
use crate::paths::Paths;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What a keyword's value must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One token.
    Text,
    /// `true/false`, `yes/no`, `on/off`, `1/0` (ConfigParser's booleans).
    Bool,
    /// A duration; a bare number is in the given unit.
    Duration(Unit),
    /// A whitespace-separated list.
    List,
    /// A positive integer.
    Count,
    /// A command line, split into argv without a shell.
    Command,
}

/// One keyword a resource type accepts.
#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub name: &'static str,
    pub required: bool,
    pub kind: Kind,
    /// The default, as text, for `print config` and docs.
    pub default: Option<&'static str>,
    pub help: &'static str,
}

impl Keyword {
    pub const fn required(name: &'static str, kind: Kind, help: &'static str) -> Self {
        Keyword {
            name,
            required: true,
            kind,
            default: None,
            help,
        }
    }

    pub const fn optional(
        name: &'static str,
        kind: Kind,
        default: Option<&'static str>,
        help: &'static str,
    ) -> Self {
        Keyword {
            name,
            required: false,
            kind,
            default,
            help,
        }
    }
}

/// Default `sync_max_delay` (OpenSVC 2.1 default).
pub const DEFAULT_SYNC_MAX_DELAY: &str = "1d3h";
/// Default `sync_min_delay` in minutes (the seeds' symclone default).
pub const DEFAULT_SYNC_MIN_DELAY: &str = "30";

/// Keywords every sync resource accepts, whatever its type.
pub const COMMON_SYNC_KEYWORDS: &[Keyword] = &[
    Keyword::required(
        "type",
        Kind::Text,
        "resource type: ibmdssnap, necismsnap, symclone, symsnap, eternus",
    ),
    Keyword::optional(
        "sync_max_delay",
        Kind::Duration(Unit::Minutes),
        Some(DEFAULT_SYNC_MAX_DELAY),
        "status turns warn when the last resync is older (bare number: minutes)",
    ),
    Keyword::optional(
        "sync_min_delay",
        Kind::Duration(Unit::Minutes),
        Some(DEFAULT_SYNC_MIN_DELAY),
        "a resync younger than this is refused unless --force (bare number: minutes)",
    ),
    Keyword::optional(
        "timeout",
        Kind::Duration(Unit::Seconds),
        Some("300"),
        "kill a vendor command (its whole process group) after this long (bare number: seconds)",
    ),
    Keyword::optional(
        "disable",
        Kind::Bool,
        Some("false"),
        "skip this resource in every action",
    ),
    Keyword::optional("comment", Kind::Text, None, "free text"),
    Keyword::optional(
        "tags",
        Kind::List,
        None,
        "OpenSVC tags (accepted, not interpreted)",
    ),
    Keyword::optional(
        "optional",
        Kind::Bool,
        None,
        "OpenSVC keyword (accepted; failures always fail the action here)",
    ),
    Keyword::optional(
        "schedule",
        Kind::Text,
        None,
        "OpenSVC scheduler keyword (accepted; use cron with syncresync)",
    ),
    Keyword::optional(
        "subset",
        Kind::Text,
        None,
        "OpenSVC keyword (accepted, not interpreted)",
    ),
    Keyword::optional(
        "restart",
        Kind::Count,
        None,
        "OpenSVC keyword (accepted, not interpreted)",
    ),
    Keyword::optional(
        "monitor",
        Kind::Bool,
        None,
        "OpenSVC keyword (accepted, not interpreted)",
    ),
];

/// Actions that have triggers (`pre_<action>`, `blocking_post_<action>`, ...).
pub const TRIGGER_ACTIONS: &[&str] = &[
    "sync_resync",
    "sync_update",
    "sync_break",
    "sync_restore",
    "start",
    "stop",
];

/// True for `pre_sync_resync`, `blocking_post_start`, ...
pub fn is_trigger_keyword(key: &str) -> bool {
    let rest = key.strip_prefix("blocking_").unwrap_or(key);
    let action = rest
        .strip_prefix("pre_")
        .or_else(|| rest.strip_prefix("post_"));
    action.is_some_and(|a| TRIGGER_ACTIONS.contains(&a))
}

/// A loaded service configuration file.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    pub name: String,
    pub ini: Ini,
}

impl ServiceConfig {
    /// Finds and parses `<etc>/<name>.conf`, or the legacy `<etc>/<name>.env`.
    pub fn load(paths: &Paths, name: &str) -> Result<ServiceConfig, ConfigError> {
        validate_service_name(name)?;
        let path = find_service_file(paths.etc(), name).ok_or_else(|| {
            ConfigError::new(
                Location::file(paths.etc().join(format!("{name}.conf"))),
                format!(
                    "service '{name}' not found (no {name}.conf or {name}.env in {})",
                    paths.etc().display()
                ),
            )
        })?;
        check_command_file(paths, &path)?;
        Self::load_file(name, &path)
    }

    pub fn load_file(name: &str, path: &Path) -> Result<ServiceConfig, ConfigError> {
        let ini = Ini::load(path)?;
        for section in ini.named_sections() {
            validate_section_name(&ini, section)?;
        }
        Ok(ServiceConfig {
            name: name.to_string(),
            ini,
        })
    }

    pub fn path(&self) -> &Path {
        &self.ini.path
    }

    /// Sections of a kind (`sync`, `fs`, `app`): `[sync#1]`, `[sync#2]`, ...
    pub fn sections_of(&self, kind: &str) -> Vec<&Section> {
        let prefix = format!("{kind}#");
        let mut sections: Vec<&Section> = self
            .ini
            .named_sections()
            .filter(|s| s.name.to_lowercase().starts_with(&prefix))
            .collect();
        sections.sort_by_key(|s| rid_sort_key(&s.name));
        sections
    }

    /// The `[sync#N]` sections as resource configurations, sorted by rid.
    pub fn sync_resources(&self) -> Vec<ResourceConfig<'_>> {
        self.sections_of("sync")
            .into_iter()
            .map(|section| ResourceConfig {
                service: &self.name,
                ini: &self.ini,
                section,
            })
            .collect()
    }

    /// A `[DEFAULT]` (service-level) value.
    pub fn default_value(&self, key: &str) -> Option<&Entry> {
        self.ini.defaults().and_then(|d| d.own(key))
    }
}

/// Resource ids become state file names and log names (issue 8): a section is `[DEFAULT]`,
/// OpenSVC's `[env]`, or `kind#id` with a letter-led kind of letters, digits and `_`, and an
/// id of letters, digits, `_` and `-` (`sync#1`, `app#web`). Anything else (`[sync#1/../x]`)
/// is a configuration error naming the file and line.
fn validate_section_name(ini: &Ini, section: &Section) -> Result<(), ConfigError> {
    let name = section.name.as_str();
    if name.eq_ignore_ascii_case("env") || name == "DEFAULT" {
        return Ok(());
    }
    let ok = name.split_once('#').is_some_and(|(kind, id)| {
        kind.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
            && kind.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !id.is_empty()
            && id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    });
    if ok {
        return Ok(());
    }
    let mut location = ini.location(name, None);
    location.section = None;
    Err(ConfigError::new(
        location,
        format!(
            "invalid section name [{name}]: sections are [DEFAULT], [env] or kind#N \
             (sync#1, fs#2, app#1; letters, digits, '_' and '-' only)"
        ),
    ))
}

/// Service files hold commands run as root (triggers, `[app#N]` checks): refused, like
/// `auth.conf`, when writable by group or others, or owned by anyone but root (the
/// invoking user under a root prefix) (issue 8, docs/hardening.md).
pub fn check_command_file(paths: &Paths, path: &Path) -> Result<(), ConfigError> {
    use std::os::unix::fs::MetadataExt;
    let location = Location::file(path);
    let meta = std::fs::metadata(path)
        .map_err(|e| ConfigError::new(location.clone(), format!("cannot read: {e}")))?;
    let mode = meta.mode() & 0o7777;
    if mode & 0o022 != 0 {
        return Err(ConfigError::new(
            location,
            format!(
                "writable by group or others (mode {mode:04o}), refusing it: it holds commands \
                 run as root (chmod go-w {})",
                path.display()
            ),
        ));
    }
    let expected = match paths.root() {
        Some(_) => nix::unistd::geteuid().as_raw(),
        None => 0,
    };
    if meta.uid() != expected {
        let who = match expected {
            0 => "root".to_string(),
            uid => format!("uid {uid}"),
        };
        return Err(ConfigError::new(
            location,
            format!(
                "owned by uid {}, refusing it: it holds commands run as root and must be owned by {who}",
                meta.uid()
            ),
        ));
    }
    Ok(())
}

/// Service names become file names and log names: keep them to a safe alphabet.
pub fn validate_service_name(name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new(
            Location::default(),
            format!("invalid service name '{name}' (letters, digits, '_', '-', '.')"),
        ))
    }
}

fn find_service_file(etc: &Path, name: &str) -> Option<PathBuf> {
    ["conf", "env"]
        .iter()
        .map(|ext| etc.join(format!("{name}.{ext}")))
        .find(|p| p.is_file())
}

/// Every service configured in `etc` (for `--all`), sorted.
pub fn list_services(etc: &Path) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir(etc) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let path = e.path();
            let ext = path.extension()?.to_str()?;
            let stem = path.file_stem()?.to_str()?.to_string();
            (matches!(ext, "conf" | "env")
                && stem != "auth"
                && validate_service_name(&stem).is_ok())
            .then_some(stem)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Sorts `sync#2` before `sync#10`.
fn rid_sort_key(rid: &str) -> (String, u64, String) {
    match rid.split_once('#') {
        Some((kind, index)) => (
            kind.to_lowercase(),
            index.parse().unwrap_or(u64::MAX),
            index.to_string(),
        ),
        None => (rid.to_lowercase(), u64::MAX, String::new()),
    }
}

/// One `[sync#N]` section, with typed accessors that report errors with their location.
#[derive(Debug, Clone, Copy)]
pub struct ResourceConfig<'a> {
    pub service: &'a str,
    pub ini: &'a Ini,
    pub section: &'a Section,
}

impl<'a> ResourceConfig<'a> {
    /// The resource id, lower-cased as OpenSVC does (`sync#1`).
    pub fn rid(&self) -> String {
        self.section.name.to_lowercase()
    }

    /// The `type` keyword, or an error naming the section.
    pub fn rtype(&self) -> Result<&'a str, ConfigError> {
        self.require("type")
    }

    /// The entry for a key: the section's own, else `[DEFAULT]`'s.
    pub fn entry(&self, key: &str) -> Option<&'a Entry> {
        self.ini.lookup(&self.section.name, key)
    }

    pub fn location(&self, key: &str) -> Location {
        let mut location = self.ini.location(&self.section.name, self.entry(key));
        location.key = Some(key.to_string());
        location
    }

    pub fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError::new(self.location(key), message)
    }

    /// A single-line value; control characters are refused.
    pub fn text(&self, key: &str) -> Result<Option<&'a str>, ConfigError> {
        let Some(entry) = self.entry(key) else {
            return Ok(None);
        };
        if entry.value.chars().any(|c| c.is_control()) {
            return Err(self.error(key, "value must be on one line"));
        }
        Ok(Some(entry.value.as_str()))
    }

    pub fn require(&self, key: &str) -> Result<&'a str, ConfigError> {
        match self.text(key)? {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(self.error(key, "mandatory keyword is empty")),
            None => Err(ConfigError::new(
                Location {
                    key: Some(key.to_string()),
                    ..self.ini.location(&self.section.name, None)
                },
                "missing mandatory keyword",
            )),
        }
    }

    pub fn bool(&self, key: &str, default: bool) -> Result<bool, ConfigError> {
        match self.text(key)? {
            None => Ok(default),
            Some(v) => parse_bool(v).ok_or_else(|| {
                self.error(
                    key,
                    format!("'{v}' is not a boolean (true/false, yes/no, on/off, 1/0)"),
                )
            }),
        }
    }

    pub fn duration(&self, key: &str, default: &str, unit: Unit) -> Result<Duration, ConfigError> {
        let text = self.text(key)?.unwrap_or(default);
        parse_duration(text, unit).map_err(|e| self.error(key, e))
    }

    /// A whitespace-separated list (continuation lines included); empty when unset.
    pub fn list(&self, key: &str) -> Vec<&'a str> {
        self.entry(key)
            .map(|e| e.value.split_whitespace().collect())
            .unwrap_or_default()
    }

    pub fn count(&self, key: &str, default: u64) -> Result<u64, ConfigError> {
        match self.text(key)? {
            None => Ok(default),
            Some(v) => v
                .parse::<u64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| self.error(key, format!("'{v}' is not a positive integer"))),
        }
    }

    /// Checks the section's own keys against the keyword table of its type:
    /// unknown keywords are warnings, missing mandatory ones and malformed values errors.
    pub fn check_keywords(&self, table: &[Keyword]) -> (Vec<String>, Vec<ConfigError>) {
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        let known = |key: &str| {
            COMMON_SYNC_KEYWORDS
                .iter()
                .chain(table)
                .find(|k| k.name == key)
                .copied()
        };
        for entry in &self.section.entries {
            if is_trigger_keyword(&entry.key) || entry.key.ends_with("_requires") {
                continue;
            }
            match known(&entry.key) {
                None => warnings.push(format!(
                    "{} unknown keyword for type {}, ignored",
                    self.location(&entry.key),
                    self.rtype().unwrap_or("?")
                )),
                Some(keyword) => {
                    if let Err(e) = self.check_value(&keyword) {
                        errors.push(e);
                    }
                }
            }
        }
        for keyword in COMMON_SYNC_KEYWORDS.iter().chain(table) {
            if keyword.required && self.entry(keyword.name).is_none() {
                errors.push(ConfigError::new(
                    Location {
                        key: Some(keyword.name.to_string()),
                        ..self.ini.location(&self.section.name, None)
                    },
                    "missing mandatory keyword",
                ));
            }
        }
        (warnings, errors)
    }

    fn check_value(&self, keyword: &Keyword) -> Result<(), ConfigError> {
        match keyword.kind {
            Kind::Text | Kind::Command => self.text(keyword.name).map(|_| ()),
            Kind::Bool => self.bool(keyword.name, false).map(|_| ()),
            Kind::Duration(unit) => self.duration(keyword.name, "0", unit).map(|_| ()),
            Kind::Count => self.count(keyword.name, 1).map(|_| ()),
            Kind::List => Ok(()),
        }
    }
}

/// Whether `text` is safe as a name that becomes a vendor argv word or a file name:
/// 1 to `max_len` characters, the first alphanumeric (so never an option like `-x`),
/// the others alphanumeric or one of `extra`. Drivers name their own rule after it.
pub fn is_safe_name(text: &str, max_len: usize, extra: &[char]) -> bool {
    text.len() <= max_len
        && text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || extra.contains(&c))
}

/// ConfigParser's boolean words.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "1" | "yes" | "true" | "on" => Some(true),
        "0" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &[Keyword] = &[
        Keyword::required("pairs", Kind::List, "pairs"),
        Keyword::optional("bgcopy", Kind::Bool, Some("true"), "bg"),
    ];

    fn service(text: &str) -> ServiceConfig {
        ServiceConfig {
            name: "svc".into(),
            ini: Ini::parse(Path::new("/etc/arraysync/svc.conf"), text).expect("parses"),
        }
    }

    #[test]
    fn section_names_must_be_kind_and_number() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("svc.conf");
        for bad in [
            "sync#1/../../x",
            "sync",
            "sync#",
            "#1",
            "sync#1.json",
            "a b#1",
        ] {
            std::fs::write(&path, format!("[DEFAULT]\n\n[{bad}]\ntype = ibmdssnap\n"))
                .expect("write");
            let err = ServiceConfig::load_file("svc", &path)
                .err()
                .unwrap_or_else(|| panic!("[{bad}] accepted"))
                .to_string();
            assert!(err.contains("svc.conf:3:"), "{err}");
            assert!(err.contains("invalid section name"), "{err}");
        }
        std::fs::write(&path, "[DEFAULT]\n[env]\n[sync#1]\n[app#web]\n[fs#2]\n").expect("write");
        ServiceConfig::load_file("svc", &path).expect("valid names");
    }

    #[test]
    fn resources_are_sorted_numerically() {
        let svc = service("[sync#10]\ntype=a\n[sync#2]\ntype=b\n[fs#1]\nmnt=/x\n");
        let rids: Vec<String> = svc.sync_resources().iter().map(|r| r.rid()).collect();
        assert_eq!(rids, ["sync#2", "sync#10"]);
    }

    #[test]
    fn missing_mandatory_keyword_names_file_section_and_key() {
        let svc = service("[sync#1]\ntype = ibmdssnap\nbgcopy = maybe\nfoo = 1\n");
        let res = svc.sync_resources()[0];
        let (warnings, errors) = res.check_keywords(TABLE);
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("svc.conf:4: [sync#1] foo: unknown keyword"),
            "{}",
            warnings[0]
        );
        let messages: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("svc.conf:3: [sync#1] bgcopy: 'maybe' is not a boolean")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("svc.conf:1: [sync#1] pairs: missing mandatory keyword")),
            "{messages:?}"
        );
    }

    #[test]
    fn default_section_values_are_inherited() {
        let svc = service("[DEFAULT]\nsync_max_delay = 2h\n[sync#1]\ntype = x\n");
        let res = svc.sync_resources()[0];
        assert_eq!(
            res.duration("sync_max_delay", "1d", Unit::Minutes),
            Ok(Duration::from_secs(7200))
        );
        assert_eq!(res.location("sync_max_delay").line, Some(2));
    }

    #[test]
    fn trigger_keywords_are_recognised() {
        assert!(is_trigger_keyword("pre_sync_resync"));
        assert!(is_trigger_keyword("blocking_post_start"));
        assert!(!is_trigger_keyword("pre_sync_split"));
    }

    #[test]
    fn safe_names_start_alphanumeric_and_stay_in_bounds() {
        assert!(is_safe_name("IBM.2107-75FA120", 64, &['.', '-', '_']));
        assert!(!is_safe_name("", 64, &['.']));
        assert!(!is_safe_name("-rf", 64, &['-']));
        assert!(!is_safe_name("a;b", 64, &['.']));
        assert!(!is_safe_name("abcd", 3, &[]));
        assert!(is_safe_name("G#1", 8, &['#']));
    }

    #[test]
    fn service_names_are_checked() {
        assert!(validate_service_name("iiststibmds").is_ok());
        assert!(validate_service_name("../etc/passwd").is_err());
        assert!(validate_service_name("a;b").is_err());
    }
}
