//! `eternus` resource keywords: the array, the registered pairs (or a group) and the copy
//! mode.
//!
//! ```ini
//! [sync#1]
//! type = eternus
//! array = DX1
//! pairs = /dev/hdisk10:/dev/hdisk20 /dev/hdisk11:/dev/hdisk21   ; or: group = GRP1
//! mode = quickopc                                                ; opc | quickopc | ec
//! ```

use crate::array::{valid_array_name, ArrayConf};
use crate::device::valid_device;
use crate::replication::valid_group_name;
use arraysync_core::config::{Keyword, Kind, ResourceConfig};
use arraysync_core::{ConfigError, Paths};

pub const KEYWORDS: &[Keyword] = &[
    Keyword::required("array", Kind::Text, "the ETERNUS array holding the pairs (an auth.conf section with type = eternus)"),
    Keyword::optional("pairs", Kind::List, None, "ORIGINAL:REPLICA device pairs registered with swsrpsetvol (e.g. /dev/hdisk10:/dev/hdisk20)"),
    Keyword::optional("group", Kind::Text, None, "a replication group registered with swsrpsetvol -Xgroup, in place of pairs"),
    Keyword::optional("mode", Kind::Text, Some("quickopc"), "opc (full snapshot), quickopc (differential snapshot) or ec (synchronous copy, suspended at each sync)"),
];

/// Copy mode of the resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceMode {
    Opc,
    QuickOpc,
    Ec,
}

impl ResourceMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceMode::Opc => "opc",
            ResourceMode::QuickOpc => "quickopc",
            ResourceMode::Ec => "ec",
        }
    }
}

/// Which pairs the resource drives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    Pairs(Vec<(String, String)>),
    Group(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EternusConfig {
    pub array: String,
    pub selection: Selection,
    pub mode: ResourceMode,
}

impl EternusConfig {
    pub fn from_section(
        section: &ResourceConfig,
        paths: &Paths,
    ) -> Result<EternusConfig, ConfigError> {
        let array = section.require("array")?;
        if !valid_array_name(array) {
            return Err(section.error(
                "array",
                format!("'{array}' is not an array name (letters, digits, '.', '-', '_')"),
            ));
        }
        let mode = match section.text("mode")?.unwrap_or("quickopc") {
            "opc" => ResourceMode::Opc,
            "quickopc" => ResourceMode::QuickOpc,
            "ec" => ResourceMode::Ec,
            other => {
                return Err(
                    section.error("mode", format!("'{other}' is not one of opc, quickopc, ec"))
                )
            }
        };
        let group = section.text("group")?.filter(|g| !g.is_empty());
        let items = section.list("pairs");
        let selection = match (group, items.is_empty()) {
            (Some(_), false) => {
                return Err(section.error("group", "set either pairs or group, not both"))
            }
            (None, true) => {
                return Err(section.error("pairs", "missing mandatory keyword (pairs, or group)"))
            }
            (Some(g), true) => {
                if !valid_group_name(g) {
                    return Err(section.error("group", format!("'{g}' is not a group name")));
                }
                Selection::Group(g.to_string())
            }
            (None, false) => {
                let mut pairs = Vec::new();
                for item in items {
                    let (orig, rep) = item
                        .split_once(':')
                        .filter(|(o, r)| valid_volume(o) && valid_volume(r) && o != r)
                        .ok_or_else(|| section.error("pairs", format!("'{item}' is not ORIGINAL:REPLICA (two different /dev/... device names)")))?;
                    pairs.push((orig.to_string(), rep.to_string()));
                }
                Selection::Pairs(pairs)
            }
        };
        // The array must be declared; its access problems are configuration errors.
        ArrayConf::load(paths, array)?;
        Ok(EternusConfig {
            array: array.to_string(),
            selection,
            mode,
        })
    }
}

fn valid_volume(text: &str) -> bool {
    crate::device::VolumeName::parse(text).is_ok()
        && valid_device(text.split('@').next().unwrap_or(""))
}
