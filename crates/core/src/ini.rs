//! INI files with Python ConfigParser semantics (OpenSVC service files, auth.conf).
//!
//! Written here rather than taken from a crate because every error and warning must name
//! the file and line of the offending key, and the INI crates on crates.io (configparser,
//! rust-ini) do not keep line numbers. Semantics followed (Python 3 defaults):
//! - `[section]` headers; `key = value` or `key: value`, split at the first `=` or `:`;
//!   keys are lower-cased, keys and values stripped;
//! - full-line comments start with `#` or `;` (after optional indentation); no inline comments;
//! - an indented non-empty line continues the previous value (joined with `\n`);
//! - `[DEFAULT]` values are inherited by every section (see [`Ini::lookup`]);
//! - strict mode: a duplicate section or a duplicate key in a section is an error,
//!   a key before any section header is an error, a line that is neither is an error.

use crate::error::{ConfigError, Location};
use std::path::{Path, PathBuf};

/// Name of the section whose keys every other section inherits.
pub const DEFAULT_SECTION: &str = "DEFAULT";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub key: String,
    pub value: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub name: String,
    pub line: usize,
    pub entries: Vec<Entry>,
}

impl Section {
    /// The entry set in this section itself (not inherited).
    pub fn own(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

/// A parsed INI file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ini {
    pub path: PathBuf,
    pub sections: Vec<Section>,
}

impl Ini {
    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Ini, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(Location::file(path), format!("cannot read: {e}")))?;
        Ini::parse(path, &text)
    }

    /// Parses text; `path` is only used in messages.
    pub fn parse(path: &Path, text: &str) -> Result<Ini, ConfigError> {
        Parser {
            path,
            sections: Vec::new(),
            last_key: None,
            secret: false,
        }
        .run(text)
    }

    /// Reads and parses a file that holds secrets (`auth.conf`): errors name the file and
    /// line, never the line's content, which may be a password (issue 8).
    pub fn load_secret(path: &Path) -> Result<Ini, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError::new(Location::file(path), format!("cannot read: {e}")))?;
        Ini::parse_secret(path, &text)
    }

    /// [`Ini::parse`] for secret files: see [`Ini::load_secret`].
    pub fn parse_secret(path: &Path, text: &str) -> Result<Ini, ConfigError> {
        Parser {
            path,
            sections: Vec::new(),
            last_key: None,
            secret: true,
        }
        .run(text)
    }

    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    pub fn defaults(&self) -> Option<&Section> {
        self.section(DEFAULT_SECTION)
    }

    /// Sections other than `[DEFAULT]`, in file order.
    pub fn named_sections(&self) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(|s| s.name != DEFAULT_SECTION)
    }

    /// A key of a section, falling back to `[DEFAULT]` as ConfigParser does.
    pub fn lookup(&self, section: &str, key: &str) -> Option<&Entry> {
        self.section(section)
            .and_then(|s| s.own(key))
            .or_else(|| self.defaults().and_then(|d| d.own(key)))
    }

    pub fn location(&self, section: &str, entry: Option<&Entry>) -> Location {
        Location {
            file: Some(self.path.clone()),
            line: entry
                .map(|e| e.line)
                .or_else(|| self.section(section).map(|s| s.line)),
            section: Some(section.to_string()),
            key: entry.map(|e| e.key.clone()),
        }
    }
}

struct Parser<'a> {
    path: &'a Path,
    sections: Vec<Section>,
    /// Index of the entry a continuation line would extend.
    last_key: Option<usize>,
    /// Never quote the file's content in errors.
    secret: bool,
}

impl Parser<'_> {
    fn run(mut self, text: &str) -> Result<Ini, ConfigError> {
        for (index, raw) in text.lines().enumerate() {
            self.line(index + 1, raw)?;
        }
        Ok(Ini {
            path: self.path.to_path_buf(),
            sections: self.sections,
        })
    }

    fn error(&self, line: usize, message: impl Into<String>) -> ConfigError {
        ConfigError::new(
            Location {
                file: Some(self.path.to_path_buf()),
                line: Some(line),
                section: None,
                key: None,
            },
            message,
        )
    }

    fn line(&mut self, number: usize, raw: &str) -> Result<(), ConfigError> {
        let stripped = raw.trim();
        if stripped.is_empty() || stripped.starts_with('#') || stripped.starts_with(';') {
            return Ok(());
        }
        let indented = raw.starts_with(' ') || raw.starts_with('\t');
        if indented {
            if let (Some(entry_index), Some(section)) = (self.last_key, self.sections.last_mut()) {
                let entry = &mut section.entries[entry_index];
                if entry.value.is_empty() {
                    entry.value = stripped.to_string();
                } else {
                    entry.value.push('\n');
                    entry.value.push_str(stripped);
                }
                return Ok(());
            }
        }
        if let Some(name) = section_header(stripped) {
            return self.header(number, name);
        }
        self.key_value(number, stripped)
    }

    fn header(&mut self, number: usize, name: &str) -> Result<(), ConfigError> {
        if let Some(previous) = self.sections.iter().find(|s| s.name == name) {
            return Err(self.error(
                number,
                format!("section [{name}] already defined at line {}", previous.line),
            ));
        }
        self.sections.push(Section {
            name: name.to_string(),
            line: number,
            entries: Vec::new(),
        });
        self.last_key = None;
        Ok(())
    }

    fn key_value(&mut self, number: usize, stripped: &str) -> Result<(), ConfigError> {
        let Some(split) = stripped.find(['=', ':']) else {
            if self.secret {
                return Err(self.error(
                    number,
                    "this line is neither a [section] nor a 'key = value' line (not shown: it may hold a secret)",
                ));
            }
            return Err(self.error(
                number,
                format!(
                    "'{}' is neither a [section] nor a 'key = value' line",
                    truncate(stripped)
                ),
            ));
        };
        let key = stripped[..split].trim().to_lowercase();
        let value = stripped[split + 1..].trim().to_string();
        if key.is_empty() {
            return Err(self.error(number, "a value without a key"));
        }
        let Some(section) = self.sections.last_mut() else {
            if self.secret {
                return Err(self.error(number, "a key before any [section] header"));
            }
            return Err(self.error(number, format!("key '{key}' before any [section] header")));
        };
        if let Some(previous) = section.own(&key) {
            let message = format!(
                "[{}] key '{key}' already set at line {}",
                section.name, previous.line
            );
            return Err(self.error(number, message));
        }
        section.entries.push(Entry {
            key,
            value,
            line: number,
        });
        self.last_key = Some(section.entries.len() - 1);
        Ok(())
    }
}

fn section_header(stripped: &str) -> Option<&str> {
    let inner = stripped.strip_prefix('[')?.strip_suffix(']')?;
    let inner = inner.trim();
    (!inner.is_empty() && !inner.contains(']')).then_some(inner)
}

fn truncate(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        format!("{}...", text.chars().take(MAX).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(text: &str) -> Result<Ini, ConfigError> {
        Ini::parse(Path::new("svc.conf"), text)
    }

    #[test]
    fn sections_keys_comments_and_continuations() {
        let ini = parse(
            "# comment\n[DEFAULT]\nnodes = n1 n2\n\n[sync#1]\n; commented\ntype = ibmdssnap\nPairs = 0001:0002\n  0101:0102\n\t0003:0004\narray: IBM.X\n",
        )
        .expect("parses");
        let sync = ini.section("sync#1").expect("section");
        assert_eq!(sync.line, 5);
        assert_eq!(
            sync.own("pairs").map(|e| (e.value.as_str(), e.line)),
            Some(("0001:0002\n0101:0102\n0003:0004", 8))
        );
        assert_eq!(sync.own("array").map(|e| e.value.as_str()), Some("IBM.X"));
        assert_eq!(
            ini.lookup("sync#1", "nodes").map(|e| e.value.as_str()),
            Some("n1 n2")
        );
        assert_eq!(ini.named_sections().count(), 1);
    }

    #[test]
    fn first_delimiter_splits_so_pair_ids_survive() {
        let ini = parse("[s]\npairs = 0001:0002\n").expect("parses");
        assert_eq!(
            ini.lookup("s", "pairs").map(|e| e.value.as_str()),
            Some("0001:0002")
        );
    }

    #[test]
    fn strict_mode_errors_name_the_line() {
        let err = parse("[s]\na = 1\na = 2\n").unwrap_err();
        assert_eq!(err.location.line, Some(3));
        assert!(err.message.contains("already set at line 2"), "{err}");
        let err = parse("[s]\n[s]\n").unwrap_err();
        assert!(err.to_string().starts_with("svc.conf:2:"), "{err}");
        let err = parse("a = 1\n").unwrap_err();
        assert!(err.message.contains("before any [section]"), "{err}");
        let err = parse("[s]\njunk line\n").unwrap_err();
        assert_eq!(err.location.line, Some(2));
    }

    #[test]
    fn indented_comment_is_still_a_comment() {
        let ini = parse("[s]\npairs = a\n  # not a pair\n  b\n").expect("parses");
        assert_eq!(
            ini.lookup("s", "pairs").map(|e| e.value.as_str()),
            Some("a\nb")
        );
    }

    proptest! {
        #[test]
        fn never_panics(text in "\\PC*") {
            let _ = parse(&text);
        }

        #[test]
        fn never_panics_on_ini_like_text(text in "(\\[[a-z#0-9]{0,5}\\]\n|[ \t]?[a-z]{0,4} ?[=:]? ?[a-z0-9:]{0,6}\n|[#;].{0,4}\n){0,12}") {
            let _ = parse(&text);
        }
    }
}
