//! `ibmdssnap` keywords (seed 000, plus `conduit` for remote FlashCopy, seed 003) and
//! the array credentials from auth.conf.

use arraysync_core::auth::{check_secret_file, AuthConf};
use arraysync_core::config::{is_safe_name, Keyword, Kind, ResourceConfig};
use arraysync_core::{ConfigError, Location, Paths};
use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// Default location of the DS CLI (under the root prefix).
pub const DEFAULT_DSCLI: &str = "/opt/ibm/dscli/dscli";

pub const KEYWORDS: &[Keyword] = &[
    Keyword::required("array", Kind::Text, "storage image id as seen by the HMC (e.g. IBM.2107-75FA120); names the auth.conf section"),
    Keyword::required("pairs", Kind::List, "whitespace-separated FlashCopy pairs SRC:TGT of 4-hex volume ids"),
    Keyword::optional("bgcopy", Kind::Bool, Some("true"), "background copy (-cp) or not (-nocp)"),
    Keyword::optional("recording", Kind::Bool, Some("true"), "incremental resyncflash -record; false: rmflash then mkflash (full copy)"),
    Keyword::optional("conduit", Kind::Text, None, "remote FlashCopy through this PPRC conduit LSS (IBM.2107-75FA150/10): the *remoteflash commands"),
];

/// A FlashCopy pair, `SSSS:TTTT`, ids upper-cased as dscli prints them.
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

impl Pair {
    /// Parses `0001:0002`; each side is a 4-hex-digit volume id.
    pub fn parse(text: &str) -> Result<Pair, String> {
        let (source, target) = text
            .split_once(':')
            .ok_or_else(|| format!("'{text}' is not a pair SRC:TGT"))?;
        let volume = |v: &str| -> Result<String, String> {
            if v.len() == 4 && v.chars().all(|c| c.is_ascii_hexdigit()) {
                Ok(v.to_ascii_uppercase())
            } else {
                Err(format!("'{text}': volume id '{v}' is not 4 hex digits"))
            }
        };
        let pair = Pair {
            source: volume(source)?,
            target: volume(target)?,
        };
        if pair.source == pair.target {
            return Err(format!("'{text}': source and target are the same volume"));
        }
        Ok(pair)
    }
}

/// The resource's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IbmDsConfig {
    pub array: String,
    pub pairs: Vec<Pair>,
    pub bgcopy: bool,
    pub recording: bool,
    pub conduit: Option<String>,
}

impl IbmDsConfig {
    pub fn from_section(section: &ResourceConfig) -> Result<IbmDsConfig, ConfigError> {
        let array = section.require("array")?;
        if !is_storage_image_id(array) {
            return Err(section.error("array", format!(
                "'{array}' is not a storage image id (letters, digits, '.', '-', '_'; e.g. IBM.2107-75FA120)"
            )));
        }
        let pairs = parse_pairs(section)?;
        let conduit = match section.text("conduit")? {
            None | Some("") => None,
            Some(c) => Some(parse_conduit(c).map_err(|e| section.error("conduit", e))?),
        };
        Ok(IbmDsConfig {
            array: array.to_string(),
            pairs,
            bgcopy: section.bool("bgcopy", true)?,
            recording: section.bool("recording", true)?,
            conduit,
        })
    }
}

fn parse_pairs(section: &ResourceConfig) -> Result<Vec<Pair>, ConfigError> {
    let items = section.list("pairs");
    if items.is_empty() {
        return Err(section.error("pairs", "mandatory keyword is empty"));
    }
    let mut pairs: Vec<Pair> = Vec::with_capacity(items.len());
    // Volume id -> the pair that uses it: one pass, not a scan per pair (thousands of pairs).
    let mut sources: HashMap<String, usize> = HashMap::with_capacity(items.len());
    let mut targets: HashMap<String, usize> = HashMap::with_capacity(items.len());
    for item in items {
        let pair = Pair::parse(item).map_err(|e| section.error("pairs", e))?;
        let clash = targets
            .get(&pair.target)
            .or_else(|| sources.get(&pair.target))
            .or_else(|| targets.get(&pair.source));
        if let Some(&other) = clash {
            return Err(section.error("pairs", format!(
                "'{pair}' conflicts with '{}': a volume may be the target of one pair only and not both source and target",
                pairs[other]
            )));
        }
        sources.insert(pair.source.clone(), pairs.len());
        targets.insert(pair.target.clone(), pairs.len());
        pairs.push(pair);
    }
    Ok(pairs)
}

fn is_storage_image_id(text: &str) -> bool {
    is_safe_name(text, 64, &['.', '-', '_'])
}

/// `IBM.2107-75FA150/10`: a storage image id and a 2-hex-digit LSS.
pub fn parse_conduit(text: &str) -> Result<String, String> {
    let (image, lss) = text.split_once('/').ok_or_else(|| {
        format!("'{text}' is not a fully qualified LSS id (IMAGE/LL, e.g. IBM.2107-75FA150/10)")
    })?;
    if !is_storage_image_id(image) || lss.len() != 2 || !lss.chars().all(|c| c.is_ascii_hexdigit())
    {
        return Err(format!(
            "'{text}' is not a fully qualified LSS id (IMAGE/LL, e.g. IBM.2107-75FA150/10)"
        ));
    }
    Ok(format!("{image}/{}", lss.to_ascii_uppercase()))
}

/// How to reach the array: the auth.conf section and the dscli password file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub dscli: PathBuf,
    pub hmc1: String,
    pub hmc2: Option<String>,
    pub username: String,
    pub pwfile: PathBuf,
}

impl Credentials {
    /// Reads `[array]` of auth.conf (type ibmds: hmc1, hmc2, username, optional dscli path)
    /// and checks `<var>/<array>.pwfile` (exists, mode 0600, right owner).
    pub fn load(paths: &Paths, array: &str) -> Result<Credentials, ConfigError> {
        let auth = AuthConf::load(paths)?;
        let section = auth.array(array, "ibmds")?;
        let hmc1 = section.require("hmc1")?;
        for (key, value) in [
            ("hmc1", Some(hmc1)),
            ("hmc2", section.get("hmc2")),
            ("username", section.get("username")),
        ] {
            if let Some(value) = value {
                // Every value that becomes a dscli argv word: the ETERNUS rule, so a value
                // such as `-cfg /tmp/x` or `-script` cannot reach dscli as an option.
                if value.starts_with('-') {
                    return Err(section.error(
                        key,
                        format!("'{value}' starts with '-': it would reach dscli as an option"),
                    ));
                }
                if !value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '@'))
                {
                    return Err(section.error(
                        key,
                        format!("'{value}' contains characters not allowed in a host or user name"),
                    ));
                }
            }
        }
        let dscli = section
            .get("dscli")
            .map(|p| paths.under_root(p))
            .unwrap_or_else(|| paths.under_root(DEFAULT_DSCLI));
        let pwfile = paths.var().join(format!("{array}.pwfile"));
        check_secret_file(paths, &pwfile, "dscli password file").map_err(|e| {
            ConfigError::new(
                Location::file(&pwfile),
                format!("{}; create it with 'dscli managepwfile -action add -mc1 {hmc1} -pwfile {} -name <user> -pw <password>'", e.message, pwfile.display()),
            )
        })?;
        Ok(Credentials {
            dscli,
            hmc1: hmc1.to_string(),
            hmc2: section.get("hmc2").map(str::to_string),
            username: section.require("username")?.to_string(),
            pwfile,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn pairs_parse_and_upper_case() {
        assert_eq!(
            Pair::parse("00ab:00CD").map(|p| p.to_string()),
            Ok("00AB:00CD".to_string())
        );
        assert!(Pair::parse("0001").is_err());
        assert!(Pair::parse("001:0002").is_err());
        assert!(Pair::parse("0001:0002;rm").is_err());
        assert!(Pair::parse("0001:0001").is_err());
    }

    #[test]
    fn a_volume_is_the_target_of_one_pair_only() {
        use arraysync_core::config::ServiceConfig;
        use arraysync_core::ini::Ini;
        let check = |pairs: &str| {
            let ini = Ini::parse(
                std::path::Path::new("s.conf"),
                &format!("[sync#1]\ntype = ibmdssnap\npairs = {pairs}\n"),
            )
            .expect("parses");
            let svc = ServiceConfig {
                name: "s".into(),
                ini,
            };
            let section = svc.sync_resources()[0];
            parse_pairs(&section)
                .map(|p| p.len())
                .map_err(|e| e.to_string())
        };
        assert_eq!(check("0001:0002 0003:0004"), Ok(2));
        assert!(check("0001:0002 0003:0002")
            .unwrap_err()
            .contains("'0003:0002' conflicts with '0001:0002'"));
        assert!(
            check("0001:0002 0002:0003").is_err(),
            "a target reused as a source"
        );
        assert!(
            check("0001:0002 0003:0001").is_err(),
            "a source reused as a target"
        );
    }

    #[test]
    fn auth_values_starting_with_a_dash_never_reach_dscli() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        std::fs::create_dir_all(paths.etc()).expect("mkdir");
        std::fs::create_dir_all(paths.var()).expect("mkdir");
        let pwfile = paths.var().join("IBM.X.pwfile");
        std::fs::write(&pwfile, "pw").expect("write");
        std::fs::set_permissions(&pwfile, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        for (key, value) in [("hmc1", "-cfg"), ("hmc2", "-script"), ("username", "-help")] {
            let mut values = vec![("hmc1", "10.0.0.1"), ("username", "admin")];
            values.retain(|(k, _)| *k != key);
            values.push((key, value));
            let body: String = values.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
            std::fs::write(paths.auth_conf(), format!("[IBM.X]\ntype = ibmds\n{body}"))
                .expect("write");
            std::fs::set_permissions(paths.auth_conf(), std::fs::Permissions::from_mode(0o600))
                .expect("chmod");
            let err = Credentials::load(&paths, "IBM.X").unwrap_err().to_string();
            assert!(
                err.contains(key) && err.contains("starts with '-'"),
                "{err}"
            );
        }
    }

    #[test]
    fn conduits_must_be_fully_qualified() {
        assert_eq!(
            parse_conduit("IBM.1750-68FA150/1a"),
            Ok("IBM.1750-68FA150/1A".to_string())
        );
        assert!(parse_conduit("10").is_err());
        assert!(parse_conduit("IBM.X/100").is_err());
    }

    proptest! {
        #[test]
        fn pair_parsing_never_panics(text in "\\PC{0,20}") {
            let _ = Pair::parse(&text);
        }
    }
}
