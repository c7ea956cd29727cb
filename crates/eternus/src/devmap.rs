//! Device map files (`-Xdevmap`, spec §3.7): one `transactionVolume backupVolume` pair per
//! line, `#` comments anywhere, blank lines allowed; the first line naming a transaction
//! volume wins, later ones are ignored; lines for other volumes are ignored. A non-comment
//! line with anything but exactly two words is a syntax error naming file and line.

use crate::device::valid_device;
use crate::error::{EternusError, Result};
use arraysync_core::{ConfigError, Location};
use std::collections::HashMap;
use std::path::Path;

/// A parsed map: transaction volume → backup volume (first line wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceMap {
    pairs: HashMap<String, String>,
}

impl DeviceMap {
    pub fn backup_volume(&self, tv: &str) -> Option<&str> {
        self.pairs.get(tv).map(String::as_str)
    }
}

fn error(path: &Path, line: Option<usize>, message: String) -> EternusError {
    EternusError::Config(ConfigError::new(
        Location {
            file: Some(path.to_path_buf()),
            line,
            section: None,
            key: None,
        },
        message,
    ))
}

/// Reads a map file. The path must be ASCII (the manual forbids national characters).
pub fn load(path: &Path) -> Result<DeviceMap> {
    let text = path.to_string_lossy();
    if !text.is_ascii() {
        return Err(error(
            path,
            None,
            "the device map file name must not contain non-ASCII characters".into(),
        ));
    }
    let content = std::fs::read(path)
        .map_err(|e| error(path, None, format!("cannot read the device map file: {e}")))?;
    let content = String::from_utf8(content)
        .map_err(|_| error(path, None, "the device map file is not text".into()))?;
    parse(path, &content)
}

pub fn parse(path: &Path, text: &str) -> Result<DeviceMap> {
    let mut map = DeviceMap::default();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("");
        let words: Vec<&str> = content.split_whitespace().collect();
        match words.as_slice() {
            [] => continue,
            [tv, bv] => {
                for device in [tv, bv] {
                    if !valid_device(device) {
                        return Err(error(
                            path,
                            Some(line),
                            format!("'{device}' is not a device name (/dev/...)"),
                        ));
                    }
                }
                map.pairs
                    .entry(tv.to_string())
                    .or_insert_with(|| bv.to_string());
            }
            _ => {
                return Err(error(
                    path,
                    Some(line),
                    format!(
                        "syntax error: expected 'transactionVolume backupVolume', found {} word(s)",
                        words.len()
                    ),
                ))
            }
        }
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn comments_blank_lines_and_first_line_wins() {
        let map = parse(
            Path::new("/acm/devmap.txt"),
            "# A comment line starts with \"#\".\n\n   \t\n# Business volume name  Output destination backup volume name\n\
             /dev/vg01      /dev/vg02 # trailing comment allowed\n\t/dev/hdisk10\t/dev/hdisk20  \n/dev/vg01 /dev/vg03\n",
        )
        .expect("ok");
        assert_eq!(map.backup_volume("/dev/vg01"), Some("/dev/vg02"));
        assert_eq!(map.backup_volume("/dev/hdisk10"), Some("/dev/hdisk20"));
        assert_eq!(map.backup_volume("/dev/vg09"), None);
    }

    #[test]
    fn syntax_errors_name_file_and_line() {
        let err = parse(Path::new("/m"), "/dev/vg01 /dev/vg02\n/dev/vg03\n").unwrap_err();
        assert!(err.to_string().contains("/m:2:"), "{err}");
        let err = parse(Path::new("/m"), "/dev/vg01 /dev/vg02 /dev/vg03\n").unwrap_err();
        assert!(err.to_string().contains("3 word(s)"), "{err}");
        let err = parse(Path::new("/m"), "/dev/vg01 vg02\n").unwrap_err();
        assert!(err.to_string().contains("not a device name"), "{err}");
    }

    #[test]
    fn non_ascii_file_names_are_refused() {
        let err = load(Path::new("/tmp/デバイス.txt")).unwrap_err();
        assert!(err.to_string().contains("non-ASCII"), "{err}");
    }

    proptest! {
        #[test]
        fn never_panics(text in "[ -~\t\n#/]{0,200}") {
            let _ = parse(Path::new("/m"), &text);
        }
    }
}
