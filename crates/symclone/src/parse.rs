//! Parsing SYMCLI output (vendor-cli.md §2.4, §2.5): `symld -g DG list -v` text records
//! and `symdev list -v -output xml_e` XML, into the same device/session model. Pure
//! functions, fuzzed.

use crate::error::SymError;
use chrono::{DateTime, Local, NaiveDateTime, TimeZone};

/// One clone or snap session seen on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// Source device id.
    pub source: String,
    /// Target device id.
    pub target: String,
    /// The pair state, lower-cased (`copied`, `copyinprog`, `copyonwrite`, ...).
    pub state: String,
    /// `Time of Last Clone Action` / `last_action` as printed.
    pub last_action: Option<String>,
    pub percent: Option<u32>,
}

/// One device of a listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// Device id (`Device Symmetrix Name`, `dev_name`).
    pub dev_name: String,
    /// Logical name in the device group (text listing only).
    pub ld_name: Option<String>,
    /// Host device path; `None` when `Not Visible` or absent.
    pub pd_name: Option<String>,
    pub symid: Option<String>,
    pub sessions: Vec<Session>,
}

/// Parses `symld -g DG list -v`: records start at `Device Physical Name`; labels and values
/// are separated by the first `:`; each `Source (SRC) Device Symmetrix Name` opens a session.
/// True when a control action's output carries SYMCLI's success line, `'Recreate'
/// operation successfully executed for device ...` (or `initiated`, or `for device group`,
/// `for the device list`): the words scripts match (vendor-cli.md §2), any line breaks.
pub fn confirms_control(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(4).any(|w| {
        w[0] == "operation"
            && w[1] == "successfully"
            && matches!(w[2], "executed" | "initiated")
            && w[3] == "for"
    })
}

pub fn symld_list(text: &str) -> Result<Vec<Device>, SymError> {
    let mut devices: Vec<Device> = Vec::new();
    let mut saw_header = false;
    for line in text.lines() {
        let Some((label, value)) = line.split_once(':') else {
            continue;
        };
        let (label, value) = (label.trim(), value.trim());
        if label == "Device Group (DG) Name" {
            saw_header = true;
            continue;
        }
        if label == "Device Physical Name" {
            devices.push(Device {
                pd_name: visible(value),
                ..Device::default()
            });
            continue;
        }
        let Some(device) = devices.last_mut() else {
            continue;
        };
        record_field(device, label, value)?;
    }
    if devices.is_empty() && !saw_header {
        return Err(output(
            "symld",
            format!("not a device group listing ({})", first_words(text)),
        ));
    }
    for device in &devices {
        check_device(device, "symld")?;
    }
    Ok(devices)
}

fn record_field(device: &mut Device, label: &str, value: &str) -> Result<(), SymError> {
    match label {
        "Device Symmetrix Name" => device.dev_name = value.to_string(),
        "Device Logical Name" => device.ld_name = Some(value.to_string()),
        "Symmetrix ID" => device.symid = Some(value.to_string()),
        "Source (SRC) Device Symmetrix Name" => device.sessions.push(Session {
            source: value.to_string(),
            target: String::new(),
            state: String::new(),
            last_action: None,
            percent: None,
        }),
        _ => {
            let Some(session) = device.sessions.last_mut() else {
                return Ok(());
            };
            if label == "Target (TGT) Device Symmetrix Name" {
                session.target = value.to_string();
            } else if label.starts_with("State of Session") {
                session.state = value.to_ascii_lowercase();
            } else if label == "Time of Last Clone Action" || label == "Time of Last Snap Action" {
                session.last_action =
                    Some(value.to_string()).filter(|v| !v.is_empty() && v != "N/A");
            } else if label == "Percent Copied" {
                session.percent = value.trim_end_matches('%').trim().parse().ok();
            }
        }
    }
    Ok(())
}

/// A listing that ends in the middle of a record is refused rather than half read.
fn check_device(device: &Device, program: &str) -> Result<(), SymError> {
    if device.dev_name.is_empty() {
        return Err(output(
            program,
            "a device record has no device name (truncated output?)".into(),
        ));
    }
    for session in &device.sessions {
        if session.source.is_empty() || session.target.is_empty() || session.state.is_empty() {
            return Err(output(
                program,
                format!(
                    "incomplete session information on device {} (truncated output?)",
                    device.dev_name
                ),
            ));
        }
    }
    Ok(())
}

/// Parses `symdev list -v -output xml_e`: `SymCLI_ML/Symmetrix/Device` elements with
/// `Dev_Info/{dev_name,pd_name}` and `CLONE_Device/{SRC/dev_name,TGT/dev_name,state,last_action}`.
pub fn symdev_xml(text: &str) -> Result<Vec<Device>, SymError> {
    let doc =
        roxmltree::Document::parse(text).map_err(|e| output("symdev", format!("not XML: {e}")))?;
    let root = doc.root_element();
    if root.tag_name().name() != "SymCLI_ML" {
        return Err(output(
            "symdev",
            format!(
                "root element is <{}>, expected <SymCLI_ML>",
                root.tag_name().name()
            ),
        ));
    }
    let mut devices = Vec::new();
    for symm in children(root, "Symmetrix") {
        let symid = children(symm, "Symm_Info").find_map(|info| child_text(info, "symid"));
        for node in children(symm, "Device") {
            let info = children(node, "Dev_Info").next();
            let device = Device {
                dev_name: info
                    .and_then(|i| child_text(i, "dev_name"))
                    .unwrap_or_default(),
                ld_name: None,
                pd_name: info
                    .and_then(|i| child_text(i, "pd_name"))
                    .and_then(|p| visible(&p)),
                symid: symid.clone(),
                sessions: children(node, "CLONE_Device").map(xml_session).collect(),
            };
            check_device(&device, "symdev")?;
            devices.push(device);
        }
    }
    Ok(devices)
}

fn xml_session(node: roxmltree::Node) -> Session {
    let side = |name: &'static str| {
        children(node, name)
            .find_map(|n| child_text(n, "dev_name"))
            .unwrap_or_default()
    };
    Session {
        source: side("SRC"),
        target: side("TGT"),
        state: child_text(node, "state")
            .unwrap_or_default()
            .to_ascii_lowercase(),
        last_action: child_text(node, "last_action").filter(|v| v != "N/A"),
        percent: child_text(node, "percent").and_then(|p| p.trim_end_matches('%').parse().ok()),
    }
}

fn children<'a, 'input>(
    node: roxmltree::Node<'a, 'input>,
    name: &'static str,
) -> impl Iterator<Item = roxmltree::Node<'a, 'input>> {
    node.children()
        .filter(move |c| c.is_element() && c.tag_name().name() == name)
}

fn child_text(node: roxmltree::Node, name: &'static str) -> Option<String> {
    children(node, name)
        .next()
        .and_then(|n| n.text())
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// `Not Visible` (and empty, `N/A`) mean the device has no host path.
fn visible(value: &str) -> Option<String> {
    let value = value.trim();
    (!value.is_empty() && !value.eq_ignore_ascii_case("Not Visible") && value != "N/A")
        .then(|| value.to_string())
}

/// Parses `Thu Feb 25 10:20:56 2010` (local time, no zone), as SYMCLI prints clone times.
pub fn clone_date(text: &str) -> Option<DateTime<Local>> {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let naive = NaiveDateTime::parse_from_str(&flat, "%a %b %d %H:%M:%S %Y").ok()?;
    Local.from_local_datetime(&naive).earliest()
}

fn output(program: &str, message: String) -> SymError {
    SymError::Output {
        program: program.to_string(),
        message,
    }
}

fn first_words(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        "empty output".into()
    } else {
        flat.chars().take(120).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike};
    use proptest::prelude::*;

    /// The labels of vendor-cli.md §2.5 in a `symld -g DGCVI list -v` listing.
    pub const SYMLD: &str = "
    Device Group (DG) Name: DGCVI
    DG's Type             : REGULAR
    DG's Symmetrix ID     : 000197800123

    Device Physical Name     : Not Visible

    Device Symmetrix Name    : 1234
    Device Logical Name      : DEV001
    Symmetrix ID             : 000197800123
    Product Revision         : 5977

    Clone Device Information :
        {
        Source (SRC) Device Symmetrix Name   : 1234
        Target (TGT) Device Symmetrix Name   : 4321
        State of Session (SRC ====> TGT)     : CopyInProg
        Percent Copied                       : 42%
        Changed Tracks for SRC Device        : 0
        Changed Tracks for TGT Device        : 0
        Time of Last Clone Action            : Thu Feb 25 10:20:56 2010
        }

    Device Physical Name     : /dev/sdb

    Device Symmetrix Name    : 4321
    Device Logical Name      : CLONE001
    Symmetrix ID             : 000197800123
";

    const XML: &str = r#"<?xml version="1.0" standalone="yes" ?>
<SymCLI_ML>
  <Symmetrix>
    <Symm_Info><symid>000197800123</symid></Symm_Info>
    <Device>
      <Dev_Info><pd_name>Not Visible</pd_name><dev_name>4321</dev_name></Dev_Info>
      <CLONE_Device>
        <SRC><dev_name>1234</dev_name></SRC>
        <TGT><dev_name>4321</dev_name></TGT>
        <state>Copied</state>
        <percent>100</percent>
        <last_action>Fri Feb  5 10:20:56 2010</last_action>
      </CLONE_Device>
    </Device>
    <Device>
      <Dev_Info><pd_name>/dev/sdc</pd_name><dev_name>00B61</dev_name></Dev_Info>
    </Device>
  </Symmetrix>
</SymCLI_ML>
"#;

    #[test]
    fn symld_records_and_sessions() {
        let devices = symld_list(SYMLD).expect("parses");
        assert_eq!(devices.len(), 2);
        assert_eq!(
            (
                devices[0].dev_name.as_str(),
                devices[0].ld_name.as_deref(),
                devices[0].pd_name.as_deref()
            ),
            ("1234", Some("DEV001"), None)
        );
        let session = &devices[0].sessions[0];
        assert_eq!(
            (
                session.source.as_str(),
                session.target.as_str(),
                session.state.as_str()
            ),
            ("1234", "4321", "copyinprog")
        );
        assert_eq!(session.percent, Some(42));
        assert_eq!(devices[1].pd_name.as_deref(), Some("/dev/sdb"));
        assert!(devices[1].sessions.is_empty());
    }

    #[test]
    fn truncated_symld_is_an_error() {
        let cut = SYMLD.split("State of Session").next().expect("prefix");
        assert!(matches!(symld_list(cut), Err(SymError::Output { .. })));
        assert!(symld_list("Symmetrix command failed").is_err());
        assert_eq!(
            symld_list("Device Group (DG) Name: EMPTY\n").expect("empty group"),
            vec![]
        );
    }

    #[test]
    fn symdev_xml_devices() {
        let devices = symdev_xml(XML).expect("parses");
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0].sessions[0].state, "copied");
        assert_eq!(devices[0].symid.as_deref(), Some("000197800123"));
        assert_eq!(devices[1].pd_name.as_deref(), Some("/dev/sdc"));
        assert!(
            devices[1].sessions.is_empty(),
            "a device without CLONE_Device has no session"
        );
        assert!(
            symdev_xml("<SymCLI_ML><Symmetrix><Device>").is_err(),
            "truncated XML"
        );
        assert!(symdev_xml("<html/>").is_err());
    }

    #[test]
    fn clone_dates_are_local_times() {
        let date = clone_date("Fri Feb  5 10:20:56 2010").expect("parses");
        assert_eq!(
            (date.year(), date.month(), date.day(), date.hour()),
            (2010, 2, 5, 10)
        );
        assert!(clone_date("N/A").is_none());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC*") {
            let _ = symld_list(&text);
            let _ = symdev_xml(&text);
            let _ = clone_date(&text);
        }

        #[test]
        fn listing_like_text_never_panics(text in "(Device Physical Name: x\n|Device Symmetrix Name: [0-9]{0,4}\n|Source \\(SRC\\) Device Symmetrix Name: 1\n|State of Session: [A-Za-z]{0,8}\n|Target \\(TGT\\) Device Symmetrix Name: 2\n|[a-z :]{0,10}\n){0,10}") {
            let _ = symld_list(&text);
        }
    }

    #[test]
    fn control_confirmation_is_the_success_line() {
        assert!(confirms_control(
            "'Recreate' operation successfully executed for device 'DEV001'\nin group 'DG'."
        ));
        assert!(confirms_control(
            "'Activate' operation successfully initiated for device group\n'DG'."
        ));
        assert!(!confirms_control(""));
        assert!(!confirms_control(
            "'Activate' operation execution is in progress"
        ));
    }
}
