//! `necismsnap` keywords (seed 001): `devs` (SV:LV pairs) and `array`, plus this port's
//! `max_parallel` (bound on concurrent iSM commands) and `state_wait_timeout` (how long a
//! create waits for the base volume's snapshots to leave a transitional state).

use arraysync_core::config::{is_safe_name, Keyword, Kind, ResourceConfig};
use arraysync_core::duration::Unit;
use arraysync_core::ConfigError;
use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

/// Default bound on concurrent iSM commands of one resource (the node settings' default).
pub const DEFAULT_MAX_PARALLEL: u64 = 4;
/// Upper limit of `max_parallel`: arrays limit concurrent sessions, and each command is a
/// process on this host.
pub const MAX_PARALLEL_LIMIT: u64 = 64;
/// Default `state_wait_timeout`, in minutes (OpenSVC waited 40 × 30 s).
pub const DEFAULT_STATE_WAIT_TIMEOUT: &str = "20";
/// Longest LD name accepted (iSM LD names are short; the limit keeps garbage out of argv).
const MAX_NAME_LEN: usize = 64;

pub const KEYWORDS: &[Keyword] = &[
    Keyword::required("devs", Kind::List,
        "whitespace- (or comma-) separated SV:LV pairs: snapshot volume LD name, link volume LD name"),
    Keyword::optional("array", Kind::Text, None,
        "name of the NEC iStorage array, for logs and status (iSM commands take no array argument)"),
    Keyword::optional("max_parallel", Kind::Count, Some("4"),
        "at most this many iSM commands of this resource run at once (the array's session bound); 1 runs them one by one; default: the node settings' [concurrency] bound of the array (4)"),
    Keyword::optional("state_wait_timeout", Kind::Duration(Unit::Minutes), Some(DEFAULT_STATE_WAIT_TIMEOUT),
        "before re-creating a snapshot, wait at most this long while an SV of its base volume is in a transitional state, then fail (bare number: minutes)"),
];

/// One snapshot volume and the link volume presented to the hosts.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pair {
    pub sv: String,
    pub lv: String,
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.sv, self.lv)
    }
}

impl Pair {
    /// Parses `SV:LV`; each side is an LD name.
    pub fn parse(text: &str) -> Result<Pair, String> {
        let mut parts = text.split(':');
        let (Some(sv), Some(lv), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!(
                "'{text}' is not a pair SV:LV (snapshot volume:link volume)"
            ));
        };
        check_ld_name(text, "SV", sv)?;
        check_ld_name(text, "LV", lv)?;
        if sv == lv {
            return Err(format!("'{text}': the SV and the LV are the same volume"));
        }
        Ok(Pair {
            sv: sv.to_string(),
            lv: lv.to_string(),
        })
    }
}

/// LD names become argv words of the iSM commands: letters, digits and `_ # / . -`, not
/// starting with `-` (it would read as an option).
fn check_ld_name(item: &str, side: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("'{item}': empty {side} name"));
    }
    if name.len() > MAX_NAME_LEN {
        return Err(format!(
            "'{item}': {side} name longer than {MAX_NAME_LEN} characters"
        ));
    }
    if name.starts_with('-') {
        return Err(format!("'{item}': {side} name '{name}' starts with '-'"));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '#' | '/' | '.' | '-')))
    {
        return Err(format!(
            "'{item}': {side} name '{name}' contains '{}' (LD names: letters, digits, '_', '#', '/', '.', '-')",
            bad.escape_default()
        ));
    }
    Ok(())
}

/// Parses the `devs` value: pairs separated by whitespace or commas. An empty item (two
/// commas in a row, a leading or trailing comma) is an error, as are duplicate SVs or LVs
/// and a volume used both as an SV and as an LV.
pub fn parse_devs(text: &str) -> Result<Vec<Pair>, String> {
    if text.trim().is_empty() {
        return Err("mandatory keyword is empty".into());
    }
    let mut pairs: Vec<Pair> = Vec::new();
    let mut seen = Seen::default();
    for chunk in text.split(',') {
        let items: Vec<&str> = chunk.split_whitespace().collect();
        if items.is_empty() {
            return Err(format!("malformed devs '{}': empty item (two commas in a row, or a leading or trailing comma)", text.trim()));
        }
        for item in items {
            let pair = Pair::parse(item)?;
            if let Some(other) = seen.conflict(&pair).and_then(|at| pairs.get(at)) {
                return Err(conflict_message(other, &pair));
            }
            seen.add(&pair, pairs.len());
            pairs.push(pair);
        }
    }
    Ok(pairs)
}

/// The SVs and LVs of the pairs read so far, by volume: one lookup per new pair instead
/// of a pass over all the earlier ones (quadratic at thousands of pairs).
#[derive(Default)]
struct Seen {
    svs: HashMap<String, usize>,
    lvs: HashMap<String, usize>,
}

impl Seen {
    fn add(&mut self, pair: &Pair, index: usize) {
        self.svs.entry(pair.sv.clone()).or_insert(index);
        self.lvs.entry(pair.lv.clone()).or_insert(index);
    }

    /// The first earlier pair sharing a volume with `pair`, if any.
    fn conflict(&self, pair: &Pair) -> Option<usize> {
        [
            self.svs.get(&pair.sv),
            self.lvs.get(&pair.lv),
            self.lvs.get(&pair.sv),
            self.svs.get(&pair.lv),
        ]
        .into_iter()
        .flatten()
        .min()
        .copied()
    }
}

/// Why `pair` cannot follow `other` (the checks in the order of the messages).
fn conflict_message(other: &Pair, pair: &Pair) -> String {
    if other.sv == pair.sv {
        format!("duplicate sv {} in devs ('{other}' and '{pair}')", pair.sv)
    } else if other.lv == pair.lv {
        format!("duplicate lv {} in devs ('{other}' and '{pair}')", pair.lv)
    } else {
        format!("'{other}' and '{pair}': a volume cannot be both an SV and an LV")
    }
}

/// The resource's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NecIsmConfig {
    pub array: Option<String>,
    pub pairs: Vec<Pair>,
    pub max_parallel: usize,
    pub state_wait_timeout: Duration,
}

impl NecIsmConfig {
    pub fn from_section(section: &ResourceConfig) -> Result<NecIsmConfig, ConfigError> {
        // The raw value: continuation lines are part of the list, and the pair syntax is
        // checked here rather than by the generic one-line text accessor.
        let devs = section
            .entry("devs")
            .map(|e| e.value.as_str())
            .unwrap_or_default();
        let pairs = parse_devs(devs).map_err(|e| section.error("devs", e))?;
        let array = match section.text("array")? {
            None | Some("") => None,
            Some(name) if is_array_name(name) => Some(name.to_string()),
            Some(name) => {
                return Err(section.error(
                    "array",
                    format!("'{name}' is not an array name (letters, digits, '_', '.', '-')"),
                ))
            }
        };
        // Without the keyword, the node settings' bound for this array ([concurrency]).
        let node_bound = arraysync_core::settings::current()
            .concurrency_of(array.as_deref().unwrap_or_default());
        let max_parallel = section.count(
            "max_parallel",
            u64::try_from(node_bound).unwrap_or(DEFAULT_MAX_PARALLEL),
        )?;
        if max_parallel > MAX_PARALLEL_LIMIT {
            return Err(section.error(
                "max_parallel",
                format!("{max_parallel} is more than {MAX_PARALLEL_LIMIT} concurrent iSM commands"),
            ));
        }
        Ok(NecIsmConfig {
            array,
            pairs,
            max_parallel: usize::try_from(max_parallel).unwrap_or(1),
            state_wait_timeout: section.duration(
                "state_wait_timeout",
                DEFAULT_STATE_WAIT_TIMEOUT,
                Unit::Minutes,
            )?,
        })
    }
}

fn is_array_name(text: &str) -> bool {
    is_safe_name(text, MAX_NAME_LEN, &['_', '.', '-'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ids(pairs: &[Pair]) -> Vec<String> {
        pairs.iter().map(Pair::to_string).collect()
    }

    #[test]
    fn seed_001_devs_parse() {
        let pairs = parse_devs(
            "SOURCE_0001_SV006D:SOURCE_0001_LV00A6 SOURCE_0002_SV0055:SOURCE_0002_LV009E",
        )
        .expect("seed devs");
        assert_eq!(
            ids(&pairs),
            [
                "SOURCE_0001_SV006D:SOURCE_0001_LV00A6",
                "SOURCE_0002_SV0055:SOURCE_0002_LV009E"
            ]
        );
        assert_eq!(pairs[0].sv, "SOURCE_0001_SV006D");
        assert_eq!(pairs[0].lv, "SOURCE_0001_LV00A6");
    }

    #[test]
    fn commas_and_repeated_whitespace_separate_pairs() {
        let pairs = parse_devs("a:b,  c:d\n\te:f , g:h").expect("devs");
        assert_eq!(ids(&pairs), ["a:b", "c:d", "e:f", "g:h"]);
    }

    #[test]
    fn empty_items_are_malformed() {
        for text in ["a:b,,c:d", "a:b,", ",a:b", "a:b , , c:d"] {
            let err = parse_devs(text).unwrap_err();
            assert!(err.contains("empty item"), "{text}: {err}");
        }
        assert_eq!(parse_devs("  ").unwrap_err(), "mandatory keyword is empty");
    }

    #[test]
    fn malformed_pairs_are_refused() {
        for (text, expected) in [
            ("a", "not a pair SV:LV"),
            ("a:b:c", "not a pair SV:LV"),
            (":b", "empty SV name"),
            ("a:", "empty LV name"),
            ("a:a", "same volume"),
            ("a:-b", "starts with '-'"),
            ("a:b;reboot", "contains ';'"),
            ("a:$(reboot)", "contains '$'"),
        ] {
            let err = parse_devs(text).unwrap_err();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn duplicates_are_refused_by_name() {
        assert!(parse_devs("a:b a:c")
            .unwrap_err()
            .contains("duplicate sv a"));
        assert!(parse_devs("a:b c:b")
            .unwrap_err()
            .contains("duplicate lv b"));
        assert!(parse_devs("a:b b:c")
            .unwrap_err()
            .contains("both an SV and an LV"));
    }

    proptest! {
        #[test]
        fn devs_parsing_never_panics(text in "\\PC{0,40}") {
            let _ = parse_devs(&text);
        }
    }
}
