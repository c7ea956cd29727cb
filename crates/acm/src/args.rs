//! The vendor option syntax of the ACM commands (spec §1.4): long options with a single
//! dash (`-Xgroup`), matched as whole tokens; options may follow operands; no clustering
//! (`-ft` is an unknown option, not `-f -t`); each option at most once.

/// One option of a command's table.
#[derive(Debug, Clone, Copy)]
pub struct Flag {
    pub name: &'static str,
    /// Takes the next token as its value.
    pub value: bool,
}

pub const fn flag(name: &'static str) -> Flag {
    Flag { name, value: false }
}

pub const fn valued(name: &'static str) -> Flag {
    Flag { name, value: true }
}

/// A parsed command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    pub flags: Vec<(&'static str, Option<String>)>,
    pub operands: Vec<String>,
}

impl Args {
    pub fn has(&self, name: &str) -> bool {
        self.flags.iter().any(|(n, _)| *n == name)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.flags
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.as_deref())
    }

    /// The first of `names` given, to name it in a conflict message.
    pub fn any(&self, names: &[&str]) -> Option<&'static str> {
        self.flags
            .iter()
            .map(|(n, _)| *n)
            .find(|n| names.contains(n))
    }
}

/// Parses `argv` (without the program name) against `table`.
pub fn parse(table: &[Flag], argv: &[String]) -> Result<Args, String> {
    let mut args = Args::default();
    let mut i = 0;
    while i < argv.len() {
        let token = &argv[i];
        if let Some(flag) = table.iter().find(|f| f.name == token) {
            if args.has(flag.name) {
                return Err(format!("option {} is given more than once", flag.name));
            }
            let value = if flag.value {
                i += 1;
                match argv.get(i) {
                    Some(v) if !v.starts_with('-') || v.len() == 1 => Some(v.clone()),
                    _ => return Err(format!("option {} requires a value", flag.name)),
                }
            } else {
                None
            };
            args.flags.push((flag.name, value));
        } else if token.starts_with('-') && token.len() > 1 {
            return Err(format!("{token} is not a valid option"));
        } else {
            args.operands.push(token.clone());
        }
        i += 1;
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TABLE: &[Flag] = &[
        flag("-f"),
        flag("-t"),
        valued("-Xgroup"),
        valued("-h"),
        flag("-Xconcur"),
        flag("-Xconcur-opc"),
    ];

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn options_anywhere_whole_tokens_no_clustering() {
        let a = parse(TABLE, &v(&["/dev/a", "-f", "/dev/b", "-t"])).expect("ok");
        assert_eq!(a.operands, v(&["/dev/a", "/dev/b"]));
        assert!(a.has("-f") && a.has("-t"));
        assert!(parse(TABLE, &v(&["-ft", "/dev/a"]))
            .unwrap_err()
            .contains("-ft is not a valid option"));
        assert!(parse(TABLE, &v(&["-Xconcur-opc", "-Xgroup", "G"]))
            .expect("ok")
            .has("-Xconcur-opc"));
        assert!(parse(TABLE, &v(&["-Xgroup"]))
            .unwrap_err()
            .contains("requires a value"));
        assert!(parse(TABLE, &v(&["-Xgroup", "-f"]))
            .unwrap_err()
            .contains("requires a value"));
        assert!(parse(TABLE, &v(&["-f", "-f"]))
            .unwrap_err()
            .contains("more than once"));
        assert_eq!(
            parse(TABLE, &v(&["-h", "SV", "x"]))
                .expect("ok")
                .value("-h"),
            Some("SV")
        );
    }

    proptest! {
        #[test]
        fn never_panics(tokens in proptest::collection::vec("[-a-zX/]{0,8}", 0..8)) {
            let _ = parse(TABLE, &tokens);
        }
    }
}
