//! SYMCLI command-line syntax (vendor-cli.md §2.1): options before or after the action,
//! `-nop`/`-file`/`-differential` long forms, pair arguments `SRC sym ld TGT` (or `symld`).

use std::collections::{BTreeMap, BTreeSet};

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cmd {
    /// Options with a value, by canonical name (`-g`, `-sid`, `-f`, ...).
    pub values: BTreeMap<&'static str, String>,
    /// Switches given, by canonical name (`-noprompt`, `-precopy`, ...).
    pub switches: BTreeSet<&'static str>,
    /// The action and its operands, in order.
    pub words: Vec<String>,
}

impl Cmd {
    pub fn value(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn has(&self, name: &str) -> bool {
        self.switches.contains(name)
    }

    /// The action word, lower-cased.
    pub fn action(&self) -> Option<String> {
        self.words.first().map(|w| w.to_ascii_lowercase())
    }

    /// Operands after the action.
    pub fn operands(&self) -> &[String] {
        self.words.get(1..).unwrap_or(&[])
    }
}

/// Canonical names of spelling variants.
fn canonical(option: &str) -> String {
    match option {
        "-nop" => "-noprompt".into(),
        "-file" => "-f".into(),
        "-differential" => "-diff".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// Parses `args` given the program's value options and switches.
pub fn parse(
    args: &[String],
    value_opts: &[&'static str],
    switches: &[&'static str],
) -> Result<Cmd, String> {
    let mut cmd = Cmd::default();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        if !arg.starts_with('-') || arg.len() == 1 {
            cmd.words.push(arg.clone());
            continue;
        }
        let name = canonical(arg);
        if let Some(opt) = value_opts.iter().find(|o| **o == name) {
            let value = it
                .next()
                .ok_or_else(|| format!("The option '{arg}' requires a value"))?;
            cmd.values.insert(opt, value.clone());
        } else if let Some(sw) = switches.iter().find(|s| **s == name) {
            cmd.switches.insert(sw);
        } else {
            return Err(format!("Unrecognized option '{arg}'"));
        }
    }
    Ok(cmd)
}

/// Parses pair operands: `SRC sym ld TGT [SRC sym ld TGT ...]` (also `SRC symld TGT`).
pub fn pair_operands(words: &[String]) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let src = &words[i];
        let (skip, tgt) = match (
            words.get(i + 1).map(|w| w.to_ascii_lowercase()),
            words.get(i + 2),
        ) {
            (Some(w), Some(t)) if w == "symld" => (2, Some(t)),
            (Some(w), _)
                if w == "sym"
                    && words
                        .get(i + 2)
                        .is_some_and(|x| x.eq_ignore_ascii_case("ld")) =>
            {
                (3, words.get(i + 3))
            }
            _ => (0, None),
        };
        let Some(tgt) = tgt else {
            return Err(format!(
                "Invalid device pairing at '{src}': expected '{src} sym ld <TgtLdev>'"
            ));
        };
        pairs.push((src.clone(), tgt.clone()));
        i += skip + 1;
    }
    Ok(pairs)
}

/// Reads a device file (`-f`): one `SRC TGT` pair of device ids per line; blank lines and
/// `#` comments are skipped.
pub fn device_file(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut pairs = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [src, tgt] => pairs.push((src.to_ascii_uppercase(), tgt.to_ascii_uppercase())),
            _ => {
                return Err(format!(
                    "Invalid line {} in the device file: '{line}' (expected: SrcDev TgtDev)",
                    n + 1
                ))
            }
        }
    }
    if pairs.is_empty() {
        return Err("The device file contains no device pair".into());
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_anywhere_and_aliases() {
        let cmd = parse(
            &words("-g DGCVI -nop recreate -precopy -i 20 -c 30 DEV001 sym ld CLONE001"),
            &["-g", "-i", "-c"],
            &["-noprompt", "-precopy"],
        )
        .expect("parses");
        assert_eq!(cmd.value("-g"), Some("DGCVI"));
        assert!(cmd.has("-noprompt") && cmd.has("-precopy"));
        assert_eq!(cmd.action().as_deref(), Some("recreate"));
        assert_eq!(
            pair_operands(cmd.operands()).expect("pairs"),
            [("DEV001".into(), "CLONE001".into())]
        );
        assert!(parse(&words("-bogus x"), &[], &[]).is_err());
        assert!(parse(&words("-g"), &["-g"], &[]).is_err());
    }

    #[test]
    fn pairs_and_files() {
        assert_eq!(
            pair_operands(&words("A symld B C sym ld D"))
                .expect("pairs")
                .len(),
            2
        );
        assert!(pair_operands(&words("A sym ld")).is_err());
        assert!(pair_operands(&words("A B")).is_err());
        assert_eq!(
            device_file("# c\n00b60 00B61\n\n").expect("file"),
            [("00B60".into(), "00B61".into())]
        );
        assert!(device_file("00B60\n").is_err());
        assert!(device_file("\n").is_err());
    }
}
