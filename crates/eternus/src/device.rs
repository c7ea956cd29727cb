//! The device model: an ACM device name (`/dev/hdiskN`, `/dev/vgNN`, `/dev/vx/dmp/hdiskN`,
//! or a Linux block device such as `/dev/sdb`), optionally qualified `@server`, maps to an
//! array volume (array, box id, volume number, size).
//!
//! Two sources feed the mapping, both read by [`collect`], which asks each array for its
//! volumes (`show boxid`, `show volumes`, one session per array):
//! - the static devices file `/etc/opt/FJSVswstf/devices.conf` (`device array volume
//!   [server]` per line) for hosts without SCSI identifiers (and for emulated volumes,
//!   which are files);
//! - the host's SCSI identifiers: `/sys/block/<dev>/device/wwid` (`naa.<UID>`) matched
//!   against the volumes' UID column; the device is then `/dev/<dev>`.

use crate::array::{valid_array_name, ArrayConf};
use crate::cli;
use crate::error::{EternusError, Result};
use crate::parse;
use crate::transport::{Kind, Session};
use arraysync_core::{ConfigError, Location, Paths};
use std::collections::BTreeMap;
use std::path::PathBuf;

/// The static devices file (under the root prefix). ACM's common framework package
/// (FJSVswstf) owns it, so backup and replication management read the same map.
pub const DEVICES_FILE: &str = "/etc/opt/FJSVswstf/devices.conf";

/// A volume operand: `/dev/vg01` or `/dev/vg01@SRC-SV`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct VolumeName {
    pub device: String,
    pub server: Option<String>,
}

/// Server names: what ACM allows (letters, digits, `-`, `_`, `.`), 1 to 64 characters.
pub fn valid_server_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Device names: an absolute `/dev/...` path of safe characters.
pub fn valid_device(device: &str) -> bool {
    device.len() > 5
        && device.len() <= 255
        && device.starts_with("/dev/")
        && !device.contains("//")
        && !device.ends_with('/')
        && !device.split('/').any(|p| p == "..")
        && device
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '+' | ':'))
}

impl VolumeName {
    pub fn parse(text: &str) -> Result<VolumeName> {
        let (device, server) = match text.rsplit_once('@') {
            Some((d, s)) => (d, Some(s)),
            None => (text, None),
        };
        if !valid_device(device) || server.is_some_and(|s| !valid_server_name(s)) {
            return Err(EternusError::BadDeviceName(text.to_string()));
        }
        Ok(VolumeName {
            device: device.to_string(),
            server: server.map(str::to_string),
        })
    }
}

/// A device resolved to its array volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub server: String,
    pub device: String,
    pub array: String,
    pub box_id: String,
    pub number: u32,
    /// Bytes.
    pub size: u64,
}

impl Volume {
    /// `device@server`, as every ACM output shows volumes.
    pub fn qualified(&self) -> String {
        // Joined by hand: one allocation, no formatting machinery (10,000 rows a status).
        let mut name = String::with_capacity(self.device.len() + 1 + self.server.len());
        name.push_str(&self.device);
        name.push('@');
        name.push_str(&self.server);
        name
    }
}

/// One line of the devices file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub line: usize,
    pub device: String,
    pub array: String,
    pub number: u32,
    /// `None`: this server.
    pub server: Option<String>,
}

pub fn devices_file(paths: &Paths) -> PathBuf {
    paths.under_root(DEVICES_FILE)
}

/// Reads the devices file; a missing file is an empty map. Errors name file and line.
pub fn load_entries(paths: &Paths) -> Result<Vec<Entry>, ConfigError> {
    let path = devices_file(paths);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(ConfigError::new(
                Location::file(&path),
                format!("cannot read: {e}"),
            ))
        }
    };
    parse_entries(&path, &text)
}

pub fn parse_entries(path: &std::path::Path, text: &str) -> Result<Vec<Entry>, ConfigError> {
    let mut entries: Vec<Entry> = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let error = |message: String| {
            ConfigError::new(
                Location {
                    file: Some(path.to_path_buf()),
                    line: Some(line),
                    section: None,
                    key: None,
                },
                message,
            )
        };
        let words: Vec<&str> = content.split_whitespace().collect();
        if !(3..=4).contains(&words.len()) {
            return Err(error(format!(
                "expected 'device array volume [server]', got '{content}'"
            )));
        }
        if !valid_device(words[0]) {
            return Err(error(format!(
                "'{}' is not a /dev/... device name",
                words[0]
            )));
        }
        if !valid_array_name(words[1]) {
            return Err(error(format!(
                "'{}' is not an array name (an auth.conf section)",
                words[1]
            )));
        }
        let number = parse_volume_number(words[2]).ok_or_else(|| {
            error(format!(
                "'{}' is not a volume number (decimal or 0x hex)",
                words[2]
            ))
        })?;
        let server = match words.get(3) {
            None | Some(&"-") => None,
            Some(s) if valid_server_name(s) => Some(s.to_string()),
            Some(s) => return Err(error(format!("'{s}' is not a server name"))),
        };
        if let Some(other) = entries
            .iter()
            .find(|e| e.device == words[0] && e.server == server)
        {
            return Err(error(format!(
                "{} is already mapped on line {}",
                words[0], other.line
            )));
        }
        entries.push(Entry {
            line,
            device: words[0].to_string(),
            array: words[1].to_string(),
            number,
            server,
        });
    }
    Ok(entries)
}

fn parse_volume_number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Host block devices with a SCSI identifier: (`/dev/<name>`, uppercase NAA id).
pub fn host_scsi_ids(paths: &Paths) -> Vec<(String, String)> {
    let dir = paths.under_root("/sys/block");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut found: Vec<(String, String)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let wwid = std::fs::read_to_string(e.path().join("device/wwid")).ok()?;
            let id = wwid.trim().strip_prefix("naa.")?.to_ascii_uppercase();
            let device = format!("/dev/{name}");
            (valid_device(&device) && !id.is_empty()).then_some((device, id))
        })
        .collect();
    found.sort();
    found
}

/// What one array says about itself.
#[derive(Debug, Clone)]
pub struct ArrayVolumes {
    pub box_id: String,
    pub volumes: BTreeMap<u32, parse::VolumeRow>,
}

/// Asks one array, on an open session, for its box id and volumes.
pub fn query_array(session: &mut Session) -> Result<ArrayVolumes> {
    let boxid = session.call(&cli::show_boxid(), Kind::Query)?;
    let volumes = session.call(&cli::show_volumes(), Kind::Query)?;
    let array = session.array().to_string();
    let garbled = |e: parse::ParseError| EternusError::Transport {
        array: array.clone(),
        message: format!("unexpected output: {e}"),
    };
    Ok(ArrayVolumes {
        box_id: parse::boxid(&boxid.lines).map_err(garbled)?,
        volumes: parse::volumes(&volumes.lines)
            .map_err(garbled)?
            .into_iter()
            .map(|v| (v.number, v))
            .collect(),
    })
}

/// Device collection: every mapped device, from the devices file and SCSI identifiers.
/// `local` names this server; `query` asks one array (by name) for its volumes.
pub fn collect(
    paths: &Paths,
    local: &str,
    query: &mut dyn FnMut(&str) -> Result<ArrayVolumes>,
) -> Result<Vec<Volume>> {
    let entries = load_entries(paths)?;
    let scsi = host_scsi_ids(paths);
    let mut arrays: Vec<String> = entries.iter().map(|e| e.array.clone()).collect();
    if !scsi.is_empty() {
        arrays.extend(ArrayConf::names(paths)?);
    }
    arrays.sort();
    arrays.dedup();
    let mut known = BTreeMap::new();
    for name in &arrays {
        known.insert(name.clone(), query(name)?);
    }
    let mut volumes = Vec::new();
    for entry in &entries {
        let Some(array) = known.get(&entry.array) else {
            continue;
        };
        let row = array.volumes.get(&entry.number).ok_or_else(|| {
            EternusError::Config(ConfigError::new(
                Location {
                    file: Some(devices_file(paths)),
                    line: Some(entry.line),
                    section: None,
                    key: None,
                },
                format!(
                    "{}: array {} has no volume {}",
                    entry.device, entry.array, entry.number
                ),
            ))
        })?;
        volumes.push(Volume {
            server: entry.server.clone().unwrap_or_else(|| local.to_string()),
            device: entry.device.clone(),
            array: entry.array.clone(),
            box_id: array.box_id.clone(),
            number: row.number,
            size: row.size_mb.saturating_mul(1024 * 1024),
        });
    }
    for (device, id) in &scsi {
        if volumes
            .iter()
            .any(|v| v.server == local && &v.device == device)
        {
            continue;
        }
        for (name, array) in &known {
            if let Some(row) = array
                .volumes
                .values()
                .find(|v| v.uid.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(id)))
            {
                volumes.push(Volume {
                    server: local.to_string(),
                    device: device.clone(),
                    array: name.clone(),
                    box_id: array.box_id.clone(),
                    number: row.number,
                    size: row.size_mb.saturating_mul(1024 * 1024),
                });
            }
        }
    }
    Ok(volumes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_names() {
        assert_eq!(
            VolumeName::parse("/dev/vg01@SRC-SV").expect("ok"),
            VolumeName {
                device: "/dev/vg01".into(),
                server: Some("SRC-SV".into())
            }
        );
        assert_eq!(
            VolumeName::parse("/dev/vx/dmp/hdisk3").expect("ok").server,
            None
        );
        for bad in [
            "vg01",
            "/dev/",
            "/dev/a b",
            "/dev/x;rm",
            "/dev/x@",
            "/dev/../etc",
            "/dev/x@a b",
        ] {
            assert!(VolumeName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn devices_file_lines_and_errors() {
        let path = std::path::Path::new("/d.conf");
        let entries = parse_entries(
            path,
            "# c\n/dev/hdisk10 DX1 0x10\n/dev/vg01 DX1 3 TARG-SV # remote\n",
        )
        .expect("ok");
        assert_eq!(entries[0].number, 16);
        assert_eq!(entries[1].server.as_deref(), Some("TARG-SV"));
        let err = parse_entries(path, "/dev/hdisk10 DX1\n").unwrap_err();
        assert!(err.to_string().contains("/d.conf:1:"), "{err}");
        let err = parse_entries(path, "/dev/a DX1 1\n/dev/a DX1 2\n").unwrap_err();
        assert!(
            err.to_string().contains("already mapped on line 1"),
            "{err}"
        );
    }

    #[test]
    fn scsi_ids_are_read_under_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        let paths = Paths::new(Some(dir.path().to_path_buf()), None, None, None);
        let sdb = dir.path().join("sys/block/sdb/device");
        std::fs::create_dir_all(&sdb).expect("mkdir");
        std::fs::write(sdb.join("wwid"), "naa.600000e00d28000000280000000a0000\n").expect("write");
        assert_eq!(
            host_scsi_ids(&paths),
            vec![(
                "/dev/sdb".to_string(),
                "600000E00D28000000280000000A0000".to_string()
            )]
        );
    }
}
