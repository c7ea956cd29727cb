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
///
/// A pull parse (quick-xml) that keeps only those elements: the answer for 1,024 devices is
/// half a megabyte, and building a tree of all of it was most of a status's own time. Each
/// element counts only at its place under the root (a `dev_name` is a device's only in
/// `Device/Dev_Info`); of repeated elements the first non-empty one counts. Malformed or
/// truncated XML, another root element, or a device record without its name is an error.
pub fn symdev_xml(text: &str) -> Result<Vec<Device>, SymError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut walk = XmlWalk::default();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| output("symdev", format!("not XML: {e}")))?;
        match event {
            quick_xml::events::Event::Start(e) => walk.open(e.name().as_ref())?,
            quick_xml::events::Event::Empty(e) => {
                walk.open(e.name().as_ref())?;
                walk.close()?;
            }
            quick_xml::events::Event::End(_) => walk.close()?,
            // Most text is the indentation between elements: looked at only where it counts.
            quick_xml::events::Event::Text(t) if walk.reads_text() => {
                walk.text(&t.xml10_content())?
            }
            quick_xml::events::Event::CData(t) => walk.text(&t.into_inner())?,
            quick_xml::events::Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    Ok(None) => quick_xml::escape::resolve_predefined_entity(&r)
                        .ok_or_else(|| {
                            output("symdev", format!("not XML: unknown entity &{};", &*r))
                        })?
                        .to_string(),
                    Err(e) => return Err(output("symdev", format!("not XML: {e}"))),
                };
                walk.text(&resolved)?
            }
            quick_xml::events::Event::Eof => return walk.finish(),
            _ => {}
        }
    }
}

/// Where an element of the `symdev` answer sits, as far as the parse cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    Root,
    Symmetrix,
    SymmInfo,
    Symid,
    Device,
    DevInfo,
    DevName,
    PdName,
    Clone,
    Src,
    SrcName,
    Tgt,
    TgtName,
    State,
    Percent,
    LastAction,
    /// Any element the driver does not read (and everything under it).
    Other,
}

impl Place {
    /// The place of an element named `name` opened under `parent`.
    fn of(parent: Place, name: &str) -> Place {
        match (parent, name) {
            (Place::Root, "Symmetrix") => Place::Symmetrix,
            (Place::Symmetrix, "Symm_Info") => Place::SymmInfo,
            (Place::SymmInfo, "symid") => Place::Symid,
            (Place::Symmetrix, "Device") => Place::Device,
            (Place::Device, "Dev_Info") => Place::DevInfo,
            (Place::DevInfo, "dev_name") => Place::DevName,
            (Place::DevInfo, "pd_name") => Place::PdName,
            (Place::Device, "CLONE_Device") => Place::Clone,
            (Place::Clone, "SRC") => Place::Src,
            (Place::Src, "dev_name") => Place::SrcName,
            (Place::Clone, "TGT") => Place::Tgt,
            (Place::Tgt, "dev_name") => Place::TgtName,
            (Place::Clone, "state") => Place::State,
            (Place::Clone, "percent") => Place::Percent,
            (Place::Clone, "last_action") => Place::LastAction,
            _ => Place::Other,
        }
    }

    /// An element whose text the driver reads.
    fn is_value(self) -> bool {
        matches!(
            self,
            Place::Symid
                | Place::DevName
                | Place::PdName
                | Place::SrcName
                | Place::TgtName
                | Place::State
                | Place::Percent
                | Place::LastAction
        )
    }
}

/// The state of the pull parse of a `symdev` answer.
#[derive(Default)]
struct XmlWalk {
    /// Places of the open elements, the root first.
    open: Vec<Place>,
    /// The root element was seen (and maybe closed).
    rooted: bool,
    /// Text of the open value element.
    text: String,
    devices: Vec<Device>,
    /// The first device of the open `Symmetrix` element (its `symid` is given to them all).
    symm_first: usize,
    symid: Option<String>,
    device: Option<Device>,
    session: Option<Session>,
    /// Raw `state`, `percent`, `last_action` texts of the open session.
    state: Option<String>,
    percent: Option<String>,
    last_action: Option<String>,
}

impl XmlWalk {
    fn open(&mut self, name: &str) -> Result<(), SymError> {
        let place = match self.open.last() {
            Some(parent) => Place::of(*parent, name),
            None if self.rooted => {
                return Err(output(
                    "symdev",
                    "not XML: more than one root element".into(),
                ))
            }
            None if name == "SymCLI_ML" => Place::Root,
            None => {
                return Err(output(
                    "symdev",
                    format!("root element is <{name}>, expected <SymCLI_ML>"),
                ))
            }
        };
        self.rooted = true;
        match place {
            Place::Symmetrix => {
                self.symm_first = self.devices.len();
                self.symid = None;
            }
            Place::Device => self.device = Some(Device::default()),
            Place::Clone => {
                self.session = Some(Session {
                    source: String::new(),
                    target: String::new(),
                    state: String::new(),
                    last_action: None,
                    percent: None,
                });
                (self.state, self.percent, self.last_action) = (None, None, None);
            }
            _ => {}
        }
        if place.is_value() {
            self.text.clear();
        }
        self.open.push(place);
        Ok(())
    }

    /// Inside a value element, or outside the root (where only white space may be).
    fn reads_text(&self) -> bool {
        self.open.last().is_none_or(|place| place.is_value())
    }

    fn text(&mut self, text: &str) -> Result<(), SymError> {
        match self.open.last() {
            Some(place) if place.is_value() => self.text.push_str(text),
            Some(_) => {}
            None if text.trim().is_empty() => {}
            None => {
                return Err(output(
                    "symdev",
                    "not XML: text outside the root element".into(),
                ))
            }
        }
        Ok(())
    }

    fn close(&mut self) -> Result<(), SymError> {
        let Some(place) = self.open.pop() else {
            return Err(output("symdev", "not XML: unexpected end tag".into()));
        };
        let value = || {
            let value = self.text.trim();
            (!value.is_empty()).then(|| value.to_string())
        };
        match place {
            Place::Symid => fill(&mut self.symid, value()),
            Place::DevName | Place::PdName => {
                let value = value();
                if let Some(device) = self.device.as_mut() {
                    if place == Place::DevName {
                        if device.dev_name.is_empty() {
                            device.dev_name = value.unwrap_or_default();
                        }
                    } else if device.pd_name.is_none() {
                        device.pd_name = value.and_then(|p| visible(&p));
                    }
                }
            }
            Place::SrcName | Place::TgtName => {
                let value = value().unwrap_or_default();
                if let Some(session) = self.session.as_mut() {
                    let side = if place == Place::SrcName {
                        &mut session.source
                    } else {
                        &mut session.target
                    };
                    if side.is_empty() {
                        *side = value;
                    }
                }
            }
            Place::State => fill(&mut self.state, value()),
            Place::Percent => fill(&mut self.percent, value()),
            Place::LastAction => fill(&mut self.last_action, value()),
            Place::Clone => {
                if let (Some(mut session), Some(device)) =
                    (self.session.take(), self.device.as_mut())
                {
                    session.state = self.state.take().unwrap_or_default().to_ascii_lowercase();
                    session.last_action = self.last_action.take().filter(|v| v != "N/A");
                    session.percent = self
                        .percent
                        .take()
                        .and_then(|p| p.trim_end_matches('%').parse().ok());
                    device.sessions.push(session);
                }
            }
            Place::Device => {
                if let Some(device) = self.device.take() {
                    check_device(&device, "symdev")?;
                    self.devices.push(device);
                }
            }
            Place::Symmetrix => {
                let first = self.symm_first.min(self.devices.len());
                for device in &mut self.devices[first..] {
                    device.symid.clone_from(&self.symid);
                }
            }
            _ => {}
        }
        if place.is_value() {
            self.text.clear();
        }
        Ok(())
    }

    fn finish(self) -> Result<Vec<Device>, SymError> {
        if let Some(place) = self.open.last() {
            return Err(output(
                "symdev",
                format!(
                    "not XML: the answer ends inside an element ({place:?}): truncated output?"
                ),
            ));
        }
        if !self.rooted {
            return Err(output(
                "symdev",
                "not XML: no root element (empty output?)".into(),
            ));
        }
        Ok(self.devices)
    }
}

/// Keeps the first value of a repeated element.
fn fill(slot: &mut Option<String>, value: Option<String>) {
    if slot.is_none() {
        *slot = value;
    }
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
    fn symdev_xml_reads_elements_only_at_their_place() {
        // The symid may follow the devices; entities and CDATA are text; a dev_name outside
        // Dev_Info, unknown elements and a Device outside Symmetrix are not read.
        let xml = r#"<?xml version="1.0"?>
<!-- SYMCLI -->
<SymCLI_ML>
  <Device><Dev_Info><dev_name>9999</dev_name></Dev_Info></Device>
  <Symmetrix>
    <Device>
      <dev_name>7777</dev_name>
      <Dev_Info><pd_name><![CDATA[/dev/sd&x]]></pd_name><dev_name> 4321 </dev_name></Dev_Info>
      <Extra><dev_name>8888</dev_name></Extra>
      <CLONE_Device>
        <SRC><dev_name>1234</dev_name></SRC>
        <TGT><dev_name>4321</dev_name></TGT>
        <state>Copy&#x49;nProg</state>
        <percent>42%</percent>
        <last_action>N/A</last_action>
      </CLONE_Device>
    </Device>
    <Device><Dev_Info><dev_name>0ABC</dev_name><pd_name/></Dev_Info></Device>
    <Symm_Info><symid>000197800123</symid></Symm_Info>
  </Symmetrix>
</SymCLI_ML>"#;
        let devices = symdev_xml(xml).expect("parses");
        assert_eq!(devices.len(), 2);
        assert_eq!(devices[0].dev_name, "4321");
        assert_eq!(devices[0].pd_name.as_deref(), Some("/dev/sd&x"));
        assert_eq!(devices[0].symid.as_deref(), Some("000197800123"));
        assert_eq!(
            devices[0].sessions,
            vec![Session {
                source: "1234".into(),
                target: "4321".into(),
                state: "copyinprog".into(),
                last_action: None,
                percent: Some(42),
            }]
        );
        assert_eq!(devices[1].dev_name, "0ABC");
        assert_eq!(devices[1].pd_name, None);
        assert_eq!(devices[1].symid.as_deref(), Some("000197800123"));
        assert!(devices[1].sessions.is_empty());
    }

    #[test]
    fn symdev_xml_refuses_what_is_not_a_whole_answer() {
        for bad in [
            "",
            "   \n",
            "Symmetrix command failed",
            "<SymCLI_ML></SymCLI_ML><SymCLI_ML/>",
            "<SymCLI_ML><Symmetrix></Device></Symmetrix></SymCLI_ML>",
            "<SymCLI_ML><Symmetrix><Device><Dev_Info></Dev_Info></Device></Symmetrix></SymCLI_ML>",
            "<SymCLI_ML><Symmetrix><Device><Dev_Info><dev_name>1&bogus;</dev_name></Dev_Info></Device></Symmetrix></SymCLI_ML>",
            "<SymCLI_ML><Symmetrix><Device><Dev_Info><dev_name>1</dev_name></Dev_Info><CLONE_Device><SRC><dev_name>1</dev_name></SRC></CLONE_Device></Device></Symmetrix></SymCLI_ML>",
        ] {
            assert!(
                matches!(symdev_xml(bad), Err(SymError::Output { .. })),
                "accepted {bad:?}"
            );
        }
        // Every cut of a real answer is refused, except the ones after its root closes.
        let end = XML.find("</SymCLI_ML>").expect("root end") + "</SymCLI_ML>".len();
        for cut in (0..end).filter(|&i| XML.is_char_boundary(i)) {
            assert!(symdev_xml(&XML[..cut]).is_err(), "accepted a cut at {cut}");
        }
        assert_eq!(
            symdev_xml(&XML[..end]).expect("whole"),
            symdev_xml(XML).expect("whole")
        );
        assert_eq!(
            symdev_xml("<SymCLI_ML/>").expect("no device"),
            vec![],
            "an answer with no device is a valid empty listing"
        );
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
