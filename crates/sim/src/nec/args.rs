//! Argument syntax of the emulated iSM commands (vendor-cli.md §3.2). Options come in any
//! order; the volume flags must be `ld` (LD names): the special-file forms are not emulated.

use std::collections::BTreeMap;

/// One program's syntax: options taking a value, switches, and the usage line.
pub struct Syntax {
    pub values: &'static [&'static str],
    pub switches: &'static [&'static str],
    pub usage: &'static str,
}

pub fn syntax(prog: &str) -> Option<Syntax> {
    let s = match prog {
        "iSMsc_create" => Syntax {
            values: &["-bv", "-sv", "-bvflg", "-svflg", "-cyclic"],
            switches: &[],
            usage: "iSMsc_create -bv volume -bvflg ld -sv volume -svflg ld",
        },
        "iSMsc_link" => Syntax {
            values: &["-lv", "-sv", "-lvflg", "-svflg", "-lvacc"],
            switches: &[],
            usage: "iSMsc_link -lv volume -lvflg ld -sv volume -svflg ld [-lvacc ro|rw]",
        },
        "iSMsc_unlink" => Syntax {
            values: &["-lv", "-lvflg"],
            switches: &[],
            usage: "iSMsc_unlink -lv volume -lvflg ld",
        },
        "iSMsc_query" => Syntax {
            values: &["-bv", "-sv", "-bvflg", "-svflg"],
            switches: &["-detail", "-summary"],
            usage: "iSMsc_query {-sv volume -svflg ld | -bv volume -bvflg ld [-sv volume -svflg ld]} [-detail | -summary]",
        },
        "iSMsc_linkinfo" => Syntax {
            values: &["-vol", "-volflg"],
            switches: &["-lcl"],
            usage: "iSMsc_linkinfo -vol volume -volflg ld [-lcl]",
        },
        "iSMvollist" => Syntax {
            values: &[],
            switches: &["-d", "-r"],
            usage: "iSMvollist {-d | -r}",
        },
        _ => return None,
    };
    Some(s)
}

/// Parsed options: `-bv` → value, switches → empty string.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Args {
    opts: BTreeMap<String, String>,
}

impl Args {
    pub fn get(&self, option: &str) -> Option<&str> {
        self.opts.get(option).map(String::as_str)
    }

    pub fn has(&self, option: &str) -> bool {
        self.opts.contains_key(option)
    }

    /// A mandatory volume option with its `ld` flag (`-lv X -lvflg ld`).
    pub fn volume(&self, option: &str) -> Result<&str, String> {
        let name = self
            .get(option)
            .ok_or_else(|| format!("{option} is required"))?;
        self.flag(option)?;
        Ok(name)
    }

    /// An optional volume option with its `ld` flag.
    pub fn optional_volume(&self, option: &str) -> Result<Option<&str>, String> {
        match self.get(option) {
            None => Ok(None),
            Some(_) => self.volume(option).map(Some),
        }
    }

    fn flag(&self, option: &str) -> Result<(), String> {
        let flag = format!("{option}flg");
        match self.get(&flag) {
            Some("ld") => Ok(()),
            Some(other) => Err(format!(
                "{flag} {other}: only ld (logical disk name) is emulated"
            )),
            None => Err(format!(
                "{flag} ld is required with {option} (special file names are not emulated)"
            )),
        }
    }
}

/// Parses `argv` against a syntax; the error says which argument is wrong.
pub fn parse(syntax: &Syntax, argv: &[String]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut words = argv.iter();
    while let Some(word) = words.next() {
        let option = word.as_str();
        if syntax.switches.contains(&option) {
            args.opts.insert(option.to_string(), String::new());
        } else if syntax.values.contains(&option) {
            let value = words
                .next()
                .ok_or_else(|| format!("Invalid argument: {option} needs a value"))?;
            if args
                .opts
                .insert(option.to_string(), value.clone())
                .is_some()
            {
                return Err(format!("Invalid argument: {option} given twice"));
            }
        } else {
            return Err(format!("Invalid argument: {option}"));
        }
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn seed_001_create_line() {
        let s = syntax("iSMsc_create").expect("known");
        let a = parse(
            &s,
            &argv(&[
                "-bv",
                "SOURCE_0001",
                "-sv",
                "SOURCE_0001_SV006D",
                "-bvflg",
                "ld",
                "-svflg",
                "ld",
            ]),
        )
        .expect("parses");
        assert_eq!(a.volume("-bv"), Ok("SOURCE_0001"));
        assert_eq!(a.volume("-sv"), Ok("SOURCE_0001_SV006D"));
    }

    #[test]
    fn bad_arguments_are_named() {
        let s = syntax("iSMsc_unlink").expect("known");
        assert_eq!(
            parse(&s, &argv(&["-lv"])),
            Err("Invalid argument: -lv needs a value".into())
        );
        assert_eq!(
            parse(&s, &argv(&["-x"])),
            Err("Invalid argument: -x".into())
        );
        let a = parse(&s, &argv(&["-lv", "LV1", "-lvflg", "sfn"])).expect("parses");
        assert!(a.volume("-lv").unwrap_err().contains("only ld"));
        let a = parse(&s, &argv(&["-lv", "LV1"])).expect("parses");
        assert!(a
            .volume("-lv")
            .unwrap_err()
            .contains("-lvflg ld is required"));
        assert!(syntax("iSMsc_delete").is_none());
    }
}
