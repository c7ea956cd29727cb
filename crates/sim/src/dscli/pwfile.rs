//! Password files (`managepwfile`, `-pwfile`).
//!
//! Real dscli password files are encrypted. The emulator's are plain text, mode 0600:
//! comment lines, then one `HMC USER PASSWORD-HEX` line per management console address
//! (`-mc1` and `-mc2` each get a line). The hex encoding only keeps arbitrary passwords on one
//! line; it is not protection.

use std::path::Path;

use super::args::{parse_cmd, Arity};
use super::messages::{self as msg, exit};
use crate::invocation::{errln, outln};
use crate::store::write_atomic_mode;

const HEADER: &str = "# arraysim dscli password file: HMC USER PASSWORD-HEX (not encrypted, \
                      unlike the real dscli's)\n";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub hmc: String,
    pub user: String,
    pub password: String,
}

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<String> {
    if s.len() & 1 == 1 {
        return None;
    }
    let bytes: Option<Vec<u8>> = (0..s.len())
        .step_by(2)
        .map(|i| s.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
        .collect();
    String::from_utf8(bytes?).ok()
}

pub fn parse(text: &str) -> Vec<Entry> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let (hmc, user, pw) = (f.next()?, f.next()?, f.next().unwrap_or(""));
            Some(Entry {
                hmc: hmc.to_string(),
                user: user.to_string(),
                password: unhex(pw)?,
            })
        })
        .collect()
}

pub fn render(entries: &[Entry]) -> String {
    let mut s = String::from(HEADER);
    for e in entries {
        s.push_str(&format!("{} {} {}\n", e.hmc, e.user, hex(&e.password)));
    }
    s
}

pub fn read(path: &Path) -> std::io::Result<Vec<Entry>> {
    Ok(parse(&std::fs::read_to_string(path)?))
}

pub fn write(path: &Path, entries: &[Entry]) -> Result<(), crate::store::StoreError> {
    write_atomic_mode(path, render(entries).as_bytes(), 0o600)
}

/// Password for `user` at the first of `hmcs` that has an entry.
pub fn lookup<'a>(entries: &'a [Entry], hmcs: &[&str], user: &str) -> Option<&'a str> {
    hmcs.iter().find_map(|h| {
        entries
            .iter()
            .find(|e| e.user == user && e.hmc.eq_ignore_ascii_case(h))
            .map(|e| e.password.as_str())
    })
}

/// Add or replace the entries of `user` for the given addresses.
pub fn upsert(entries: &mut Vec<Entry>, hmcs: &[&str], user: &str, password: &str) {
    entries.retain(|e| !(e.user == user && hmcs.iter().any(|h| e.hmc.eq_ignore_ascii_case(h))));
    for h in hmcs.iter().filter(|h| !h.is_empty()) {
        entries.push(Entry {
            hmc: h.to_string(),
            user: user.to_string(),
            password: password.to_string(),
        });
    }
}

/// `managepwfile -action add|change|remove -mc1 IP [-mc2 IP] -pwfile PATH -name USER -pw PW`.
/// `add` replaces an existing entry of the same user and address.
pub fn manage(tokens: &[String]) -> i32 {
    use Arity::*;
    let spec = [
        ("-action", Value),
        ("-mc1", Value),
        ("-mc2", Value),
        ("-pwfile", Value),
        ("-name", Value),
        ("-pw", Value),
    ];
    let c = match parse_cmd(tokens, &spec) {
        Ok(c) => c,
        Err(m) => {
            errln(&m);
            return exit::SYNTAX;
        }
    };
    if let Some(p) = c.positional.first() {
        errln(&msg::invalid_flag("managepwfile", p));
        return exit::SYNTAX;
    }
    let usage = |m: &str| {
        errln(&msg::pwfile_usage(m));
        exit::SYNTAX
    };
    let Some(action) = c.value("-action").map(str::to_ascii_lowercase) else {
        return usage("The -action parameter is required.");
    };
    let Some(path) = c.value("-pwfile") else {
        return usage("The -pwfile parameter is required.");
    };
    let Some(name) = c.value("-name") else {
        return usage("The -name parameter is required.");
    };
    let hmcs: Vec<&str> = [c.value("-mc1"), c.value("-mc2")]
        .into_iter()
        .flatten()
        .filter(|h| !h.is_empty())
        .collect();
    let p = Path::new(path);
    let mut entries = match read(p) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            errln(&msg::pwfile_io(path, &e.to_string()));
            return exit::APPLICATION;
        }
    };
    let done = match action.as_str() {
        "add" | "change" => {
            if hmcs.is_empty() {
                return usage("The -mc1 parameter is required.");
            }
            let Some(pw) = c.value("-pw") else {
                return usage("The -pw parameter is required.");
            };
            upsert(&mut entries, &hmcs, name, pw);
            if action == "add" {
                msg::pwfile_created(path)
            } else {
                msg::pwfile_changed(path)
            }
        }
        "remove" => {
            entries.retain(|e| {
                !(e.user == name
                    && (hmcs.is_empty() || hmcs.iter().any(|h| e.hmc.eq_ignore_ascii_case(h))))
            });
            msg::pwfile_removed(path)
        }
        other => return usage(&format!("Invalid action: {other}")),
    };
    if let Err(e) = write(p, &entries) {
        errln(&msg::pwfile_io(path, &e.to_string()));
        return exit::APPLICATION;
    }
    outln(&done);
    exit::OK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_lookup() {
        let mut e = Vec::new();
        upsert(&mut e, &["10.0.0.1", "10.0.0.2"], "opensvc", "p w#1");
        upsert(&mut e, &["10.0.0.1"], "opensvc", "new");
        let parsed = parse(&render(&e));
        assert_eq!(parsed, e);
        assert_eq!(lookup(&parsed, &["10.0.0.1"], "opensvc"), Some("new"));
        assert_eq!(
            lookup(&parsed, &["10.0.0.9", "10.0.0.2"], "opensvc"),
            Some("p w#1")
        );
        assert_eq!(lookup(&parsed, &["10.0.0.1"], "other"), None);
        assert!(parse("junk\n10.0.0.1 u zz\n").is_empty());
    }
}
