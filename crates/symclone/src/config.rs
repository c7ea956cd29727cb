//! `symclone` / `symsnap` keywords, the two configuration forms, and where SYMCLI lives.
//!
//! - Device group form (seed 002): `symdg = DGCVI`, `pairs = DEV001:CLONE001`, logical
//!   device names of the group; each pair becomes `DEV001 sym ld CLONE001`.
//! - Pairs file form (OpenSVC ≥ 1.9): `symid = 000197800123`, `pairs = 1234:4321`, device
//!   ids, written to a pairs file passed with `-sid SYMID -f FILE`.
//!
//! SYMCLI is `/usr/symcli/bin` under the root prefix unless the array's auth.conf section
//! (`[<symid>]`, `type = symmetrix`) sets `symcli_path` (and optionally `symcli_connect`,
//! exported as `SYMCLI_CONNECT`), as OpenSVC's symmetrix array sections do.

use arraysync_core::auth::check_secret_file;
use arraysync_core::config::{is_safe_name, Keyword, Kind, ResourceConfig};
use arraysync_core::duration::Unit;
use arraysync_core::ini::Ini;
use arraysync_core::{ConfigError, Paths};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

pub const TYPE_CLONE: &str = "symclone";
pub const TYPE_SNAP: &str = "symsnap";

/// Default SYMCLI directory (before the root prefix).
pub const DEFAULT_SYMCLI_DIR: &str = "/usr/symcli/bin";
/// Default of `recreate_timeout` and `restore_timeout`, in seconds (OpenSVC's).
pub const DEFAULT_WAIT: &str = "300";

const SYMDG: Keyword = Keyword::optional("symdg", Kind::Text, None,
    "device group holding the pairs (seed 002 form); pairs are then logical device names. One of symdg or symid is mandatory");
const SYMID: Keyword = Keyword::optional("symid", Kind::Text, None,
    "Symmetrix id. Without symdg: pairs are device ids, batched in a pairs file (-sid SYMID -f FILE). Also names the auth.conf [<symid>] section (symcli_path, symcli_connect)");
const PAIRS: Keyword = Keyword::required("pairs", Kind::List,
    "whitespace-separated SRC:TGT pairs: logical device names with symdg (DEV001:CLONE001), device ids with symid (1234:4321)");
const CONSISTENT: Keyword = Keyword::optional(
    "consistent",
    Kind::Bool,
    Some("true with symid, false with symdg"),
    "activate with -consistent (writes held during the activation)",
);
const RECREATE_TIMEOUT: Keyword = Keyword::optional("recreate_timeout", Kind::Duration(Unit::Seconds), Some(DEFAULT_WAIT),
    "bounds the waits around activate: for the activable state before it, for the copied state after it (bare number: seconds)");
const RESTORE_TIMEOUT: Keyword = Keyword::optional(
    "restore_timeout",
    Kind::Duration(Unit::Seconds),
    Some(DEFAULT_WAIT),
    "bounds the wait for the restored state during sync restore (bare number: seconds)",
);

/// Keywords of `symclone`.
pub const CLONE_KEYWORDS: &[Keyword] = &[
    SYMDG,
    SYMID,
    PAIRS,
    Keyword::optional(
        "precopy",
        Kind::Bool,
        Some("true"),
        "recreate with -precopy: copy in the background before the next activate",
    ),
    CONSISTENT,
    RECREATE_TIMEOUT,
    RESTORE_TIMEOUT,
];

/// Keywords of `symsnap` (a snap has no background copy, so no precopy).
pub const SNAP_KEYWORDS: &[Keyword] = &[
    SYMDG,
    SYMID,
    PAIRS,
    CONSISTENT,
    RECREATE_TIMEOUT,
    RESTORE_TIMEOUT,
];

/// Clone (full copy in the background) or snap (copy on write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CopyKind {
    Clone,
    Snap,
}

impl CopyKind {
    pub fn type_name(self) -> &'static str {
        match self {
            CopyKind::Clone => TYPE_CLONE,
            CopyKind::Snap => TYPE_SNAP,
        }
    }

    /// The SYMCLI program of the control actions.
    pub fn program(self) -> &'static str {
        self.type_name()
    }
}

/// How the pairs are named to SYMCLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// `-g DG ... SRC sym ld TGT`: pairs are logical device names of the group.
    Group { symdg: String },
    /// `-sid SYMID -f FILE`: pairs are device ids.
    File { symid: String },
}

/// A pair as configured: logical names (group form) or device ids (file form).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    pub source: String,
    pub target: String,
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.source, self.target)
    }
}

/// True for a logical device name: letters, digits, `_`, `-`, `.`, starting with a letter
/// or digit, at most 32 characters.
fn is_logical_name(text: &str) -> bool {
    is_name(text, 32)
}

fn is_name(text: &str, max: usize) -> bool {
    is_safe_name(text, max, &['_', '-', '.'])
}

/// True for a Symmetrix device id: 1 to 8 hex digits (`1234`, `00B60`).
pub fn is_device_id(text: &str) -> bool {
    !text.is_empty() && text.len() <= 8 && text.chars().all(|c| c.is_ascii_hexdigit())
}

/// The comparison key of a device name: a device id's value, a logical name's lower case.
/// A number, not a formatted string, for ids: thousands of pairs are keyed per action.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DeviceKey {
    Id(u32),
    Name(String),
}

/// The comparison key of a device id: its hex value, so `1234` and `01234` are one device
/// (what is not hex compares as its upper case).
pub fn device_key(id: &str) -> DeviceKey {
    match u32::from_str_radix(id, 16) {
        Ok(value) => DeviceKey::Id(value),
        Err(_) => DeviceKey::Name(id.to_ascii_uppercase()),
    }
}

impl Form {
    /// The comparison key of a device name of this form: logical names ignore case,
    /// device ids compare by value.
    pub fn key(&self, name: &str) -> DeviceKey {
        match self {
            Form::Group { .. } => DeviceKey::Name(name.to_ascii_lowercase()),
            Form::File { .. } => device_key(name),
        }
    }
}

impl Pair {
    /// Parses `SRC:TGT` of the given form.
    pub fn parse(text: &str, form: &Form) -> Result<Pair, String> {
        let (source, target) = text
            .split_once(':')
            .ok_or_else(|| format!("'{text}' is not a pair SRC:TGT"))?;
        let check = |side: &str| -> Result<String, String> {
            match form {
                Form::Group { .. } if is_logical_name(side) => Ok(side.to_string()),
                Form::Group { .. } => Err(format!(
                    "'{text}': '{side}' is not a logical device name (letters, digits, '_', '-', '.'; e.g. DEV001)"
                )),
                Form::File { .. } if is_device_id(side) => Ok(side.to_ascii_uppercase()),
                Form::File { .. } => Err(format!("'{text}': '{side}' is not a Symmetrix device id (hex digits, e.g. 00B60)")),
            }
        };
        let pair = Pair {
            source: check(source)?,
            target: check(target)?,
        };
        if form.key(&pair.source) == form.key(&pair.target) {
            return Err(format!("'{text}': source and target are the same device"));
        }
        Ok(pair)
    }

    /// `DEV001 sym ld CLONE001`, the group form's pair arguments.
    pub fn group_args(&self) -> [String; 4] {
        [
            self.source.clone(),
            "sym".into(),
            "ld".into(),
            self.target.clone(),
        ]
    }
}

/// The resource's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SymConfig {
    pub kind: CopyKind,
    pub form: Form,
    /// The array id when known (always in the file form; optional with symdg).
    pub symid: Option<String>,
    pub pairs: Vec<Pair>,
    pub precopy: bool,
    pub consistent: bool,
    pub recreate_timeout: Duration,
    pub restore_timeout: Duration,
}

impl SymConfig {
    pub fn from_section(
        section: &ResourceConfig,
        kind: CopyKind,
    ) -> Result<SymConfig, ConfigError> {
        let symid = match section.text("symid")? {
            None | Some("") => None,
            Some(id) if is_symid(id) => Some(id.to_string()),
            Some(id) => {
                return Err(section.error(
                    "symid",
                    format!("'{id}' is not a Symmetrix id (3 to 12 digits, e.g. 000197800123)"),
                ))
            }
        };
        let form = match (section.text("symdg")?, &symid) {
            (Some(dg), _) if !dg.is_empty() => {
                if !is_name(dg, 64) {
                    return Err(section.error("symdg", format!(
                        "'{dg}' is not a device group name (letters, digits, '_', '-', '.')"
                    )));
                }
                Form::Group { symdg: dg.to_string() }
            }
            (_, Some(id)) => Form::File { symid: id.clone() },
            _ => {
                return Err(section.error(
                    "symdg",
                    "missing: set symdg (device group form, pairs of logical device names) or symid (pairs of device ids)",
                ))
            }
        };
        let pairs = parse_pairs(section, &form)?;
        let precopy = match kind {
            CopyKind::Clone => section.bool("precopy", true)?,
            CopyKind::Snap => false,
        };
        // The legacy device group driver (seed 002) never passed -consistent; OpenSVC's
        // symid driver defaults to it. Each form keeps its reference's command lines.
        let consistent_default = matches!(form, Form::File { .. });
        let recreate_timeout = positive(section, "recreate_timeout")?;
        let restore_timeout = positive(section, "restore_timeout")?;
        Ok(SymConfig {
            kind,
            form,
            symid,
            pairs,
            precopy,
            consistent: section.bool("consistent", consistent_default)?,
            recreate_timeout,
            restore_timeout,
        })
    }
}

fn positive(section: &ResourceConfig, key: &str) -> Result<Duration, ConfigError> {
    let value = section.duration(key, DEFAULT_WAIT, Unit::Seconds)?;
    if value.is_zero() {
        return Err(section.error(key, "must be more than 0"));
    }
    Ok(value)
}

fn is_symid(text: &str) -> bool {
    (3..=12).contains(&text.len()) && text.chars().all(|c| c.is_ascii_digit())
}

fn parse_pairs(section: &ResourceConfig, form: &Form) -> Result<Vec<Pair>, ConfigError> {
    let items = section.list("pairs");
    if items.is_empty() {
        return Err(section.error("pairs", "mandatory keyword is empty"));
    }
    let mut pairs: Vec<Pair> = Vec::with_capacity(items.len());
    // Device key → index of the pair using it, as source or as target (hashed: thousands
    // of pairs are checked in linear time).
    let mut sources: HashMap<DeviceKey, usize> = HashMap::with_capacity(items.len());
    let mut targets: HashMap<DeviceKey, usize> = HashMap::with_capacity(items.len());
    for item in items {
        let pair = Pair::parse(item, form).map_err(|e| section.error("pairs", e))?;
        let (source, target) = (form.key(&pair.source), form.key(&pair.target));
        // A target receives one copy only, and a device is not both source and target;
        // one source may feed several targets (multi-target clones).
        let clash = targets
            .get(&target)
            .or_else(|| sources.get(&target))
            .or_else(|| targets.get(&source));
        if let Some(other) = clash.and_then(|i| pairs.get(*i)) {
            return Err(section.error("pairs", format!(
                "'{pair}' conflicts with '{other}': a device may be the target of one pair only and not both source and target"
            )));
        }
        sources.entry(source).or_insert(pairs.len());
        targets.insert(target, pairs.len());
        pairs.push(pair);
    }
    Ok(pairs)
}

/// Where SYMCLI is and how it reaches the array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symcli {
    pub dir: PathBuf,
    /// `SYMCLI_CONNECT`: a remote SYMAPI server, for client/server mode.
    pub connect: Option<String>,
}

impl Symcli {
    /// `/usr/symcli/bin` under the root prefix, unless auth.conf has a `[<symid>]` section of
    /// type `symmetrix` that says otherwise. auth.conf is optional for this type (SYMCLI
    /// needs no credentials); when present it is permission-checked like for every type.
    pub fn load(paths: &Paths, symid: Option<&str>) -> Result<Symcli, ConfigError> {
        let default = Symcli {
            dir: paths.under_root(DEFAULT_SYMCLI_DIR),
            connect: None,
        };
        let path = paths.auth_conf();
        let Some(symid) = symid.filter(|_| path.exists()) else {
            return Ok(default);
        };
        check_secret_file(paths, &path, "credentials file")?;
        let ini = Ini::load(&path)?;
        let Some(section) = ini.section(symid) else {
            return Ok(default);
        };
        let error = |key: &str, message: String| {
            let mut location = ini.location(&section.name, section.own(key));
            location.key = Some(key.to_string());
            ConfigError::new(location, message)
        };
        let value = |key: &str| {
            section
                .own(key)
                .map(|e| e.value.trim())
                .filter(|v| !v.is_empty())
        };
        let rtype = value("type").unwrap_or("");
        if rtype != "symmetrix" {
            return Err(error(
                "type",
                format!("array '{symid}' has type '{rtype}', expected 'symmetrix'"),
            ));
        }
        let dir = match value("symcli_path") {
            None => default.dir,
            Some(p) if p.starts_with('/') && !p.chars().any(char::is_control) => {
                paths.under_root(p)
            }
            Some(p) => {
                return Err(error(
                    "symcli_path",
                    format!("'{p}' is not an absolute directory (e.g. /opt/emc/SYMCLI/bin)"),
                ))
            }
        };
        let connect = match value("symcli_connect") {
            None => None,
            Some(c) if is_name(c, 64) => Some(c.to_string()),
            Some(c) => {
                return Err(error(
                    "symcli_connect",
                    format!("'{c}' is not a SYMAPI service name (letters, digits, '_', '-', '.')"),
                ))
            }
        };
        Ok(Symcli { dir, connect })
    }

    pub fn program(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn group() -> Form {
        Form::Group {
            symdg: "DGCVI".into(),
        }
    }

    fn file() -> Form {
        Form::File {
            symid: "000197800123".into(),
        }
    }

    #[test]
    fn group_pairs_are_logical_names() {
        let pair = Pair::parse("DEV001:CLONE001", &group()).expect("pair");
        assert_eq!(pair.group_args(), ["DEV001", "sym", "ld", "CLONE001"]);
        assert!(Pair::parse("DEV001", &group()).is_err());
        assert!(Pair::parse("DEV001:CLONE;rm", &group()).is_err());
        assert!(Pair::parse("DEV001:dev001", &group()).is_err());
    }

    #[test]
    fn file_pairs_are_device_ids() {
        assert_eq!(
            Pair::parse("00b60:00B61", &file()).map(|p| p.to_string()),
            Ok("00B60:00B61".into())
        );
        assert!(Pair::parse("DEV001:CLONE001", &file()).is_err());
        assert!(Pair::parse("1234:01234", &file())
            .unwrap_err()
            .contains("same device"));
    }

    #[test]
    fn device_ids_compare_by_value() {
        assert_eq!(device_key("1234"), device_key("01234"));
        assert_ne!(device_key("1234"), device_key("4321"));
        assert_eq!(device_key("00b60"), device_key("B60"));
        assert_ne!(device_key("100000000"), device_key("0"));
    }

    proptest! {
        #[test]
        fn pair_parsing_never_panics(text in "\\PC{0,24}") {
            let _ = Pair::parse(&text, &group());
            let _ = Pair::parse(&text, &file());
        }
    }
}
