//! Parsing iSM output (vendor-cli.md §3.3–§3.5, opensvc-drivers.md §4.5): `iSMsc_query`
//! by SV and by BV (`-detail`), `iSMsc_linkinfo`, message ids. Pure functions, fuzzed.

use crate::error::NecIsmError;
use chrono::NaiveDateTime;

/// OS type prefixes of SV lines (`LX:name ...`); `CX` (Solaris) is documented though
/// OpenSVC's list missed it.
const OS_TYPES: &[&str] = &["-", "A2", "A4", "AX", "CX", "LX", "NX", "SX", "WN", "WG"];

/// Message ids that mean "busy, try again" (vendor-cli.md §3.5, retried by Cinder).
pub const RETRYABLE_IDS: &[&str] = &["iSM31005", "iSM31015", "iSM42408", "iSM42412", "iSM19411"];

/// The snapshot state every healthy SV is in.
pub const ACTIVE: &str = "snap/active";

/// Timestamp format of iSM output: `2014/09/18 05:15:04`.
const TIME_FORMAT: &str = "%Y/%m/%d %H:%M:%S";

/// One SV line of `iSMsc_query`:
/// `LX:test_src_0000_SV0014    ( -1) snap/active   [2014/03/24 11:16:16] link`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SvLine {
    pub os_type: String,
    pub name: String,
    pub generation: Option<i32>,
    pub state: String,
    pub timestamp: Option<NaiveDateTime>,
    /// `link` or `unlink`.
    pub link: Option<String>,
}

/// What `iSMsc_query -sv SV -svflg ld` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SvQuery {
    /// `LD Name` of the BV Information block: the SV's base volume.
    pub bv: Option<String>,
    pub svs: Vec<SvLine>,
}

impl SvQuery {
    pub fn sv(&self, name: &str) -> Option<&SvLine> {
        self.svs.iter().find(|s| s.name == name)
    }
}

/// One SV of `iSMsc_query -bv BV -bvflg ld -detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapRecord {
    pub sv: String,
    pub state: String,
    pub timestamp: Option<NaiveDateTime>,
    /// `LV Link Status`: `link` or `unlink`.
    pub link: Option<String>,
    /// `LV:LD Name`: the LV linked to the SV.
    pub lv: Option<String>,
}

impl SnapRecord {
    /// True when the record says the SV is linked, and to `lv`.
    pub fn is_linked_to(&self, lv: &str) -> bool {
        self.link.as_deref() == Some("link") && self.lv.as_deref() == Some(lv)
    }
}

/// What `iSMsc_query -bv BV -bvflg ld -detail` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BvDetail {
    pub bv: Option<String>,
    pub svs: Vec<SnapRecord>,
}

impl BvDetail {
    /// The SVs whose snapshot is changing state (`sv:state`), which a create must wait for.
    pub fn transitional(&self) -> Vec<&SnapRecord> {
        self.svs
            .iter()
            .filter(|s| is_transitional(&s.state))
            .collect()
    }

    /// The record of `sv`, when it is a snapshot volume of this BV.
    pub fn sv(&self, sv: &str) -> Option<&SnapRecord> {
        self.svs.iter().find(|s| s.sv == sv)
    }
}

/// One destination row of `iSMsc_linkinfo`: `LV:name  LX link (SV name)  rw`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub volume: String,
    pub words: Vec<String>,
}

/// What `iSMsc_linkinfo -vol SV -volflg ld -lcl` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkInfo {
    /// `State` of the specified volume: `link (LV)` or `unlink`.
    pub state: Option<String>,
    pub destinations: Vec<Destination>,
}

impl LinkInfo {
    /// True when `lv` is among the destinations with the word `link` (OpenSVC's test; the
    /// SV in parentheses is the specified volume itself).
    pub fn is_linked(&self, lv: &str) -> bool {
        self.destinations
            .iter()
            .any(|d| d.volume == lv && d.words.iter().any(|w| w == "link"))
    }
}

/// `2014/09/18 05:15:04` as a naive (array-local) time.
pub fn timestamp(text: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(text.trim(), TIME_FORMAT).ok()
}

/// `snap/active [2014/09/18 05:15:04]` → (`snap/active`, the time). The state is the first
/// word: OpenSVC tested the whole text, timestamp included, for an `ing` ending, so its
/// transitional wait never triggered (opensvc-drivers.md §8.3).
pub fn snap_state(text: &str) -> (String, Option<NaiveDateTime>) {
    let state = text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    (state, bracketed(text).and_then(timestamp))
}

/// A snapshot state that will change by itself (vendor-cli.md §3.4): `snap/deleting`,
/// `snap/preparing`, ... (an operation ending in `ing`), and `rst/exec` (restore running).
pub fn is_transitional(state: &str) -> bool {
    let operation = state.rsplit('/').next().unwrap_or(state);
    operation.ends_with("ing") || operation == "exec"
}

fn bracketed(text: &str) -> Option<&str> {
    let start = text.find('[')?;
    let end = text[start..].find(']')? + start;
    Some(&text[start + 1..end])
}

/// `key : value` with OpenSVC's split on the first `": "` (LD names and times contain
/// colons, but never followed by a space).
fn key_value(line: &str) -> Option<(&str, &str)> {
    line.split_once(": ").map(|(k, v)| (k.trim(), v.trim()))
}

/// Parses `iSMsc_query -sv` (and the SV lines of a non-detail `-bv` query).
pub fn query_sv(text: &str) -> Result<SvQuery, NecIsmError> {
    let mut query = SvQuery::default();
    let mut seen_block = false;
    for line in text.lines().map(str::trim) {
        if line == "BV Information" || line == "SV Information" {
            seen_block = true;
            continue;
        }
        if let Some(sv) = sv_line(line) {
            query.svs.push(sv);
            continue;
        }
        if let Some(("LD Name", value)) = key_value(line) {
            if query.bv.is_none() && !value.is_empty() {
                query.bv = Some(value.to_string());
            }
        }
    }
    if !seen_block {
        return Err(output_error(
            "iSMsc_query",
            "no 'BV Information' or 'SV Information' block",
            text,
        ));
    }
    Ok(query)
}

/// `LX:name    ( -1) snap/active   [2014/03/24 11:16:16] link`, or `None` when the line
/// does not start with an OS type and a colon.
pub fn sv_line(line: &str) -> Option<SvLine> {
    let (os_type, rest) = line.split_once(':')?;
    if !OS_TYPES.contains(&os_type) {
        return None;
    }
    let name = rest.split_whitespace().next()?.to_string();
    let after_name = rest.trim_start().get(name.len()..)?;
    let (generation, after_generation) = match (after_name.find('('), after_name.find(')')) {
        (Some(open), Some(close)) if open < close => (
            after_name[open + 1..close].trim().parse().ok(),
            &after_name[close + 1..],
        ),
        _ => (None, after_name),
    };
    let state = after_generation
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let tail = match after_generation.find(']') {
        Some(end) => &after_generation[end + 1..],
        None => after_generation
            .trim_start()
            .get(state.len()..)
            .unwrap_or_default(),
    };
    Some(SvLine {
        os_type: os_type.to_string(),
        name,
        generation,
        state,
        timestamp: bracketed(after_generation).and_then(timestamp),
        link: tail.split_whitespace().last().map(str::to_string),
    })
}

/// Parses `iSMsc_query -bv BV -bvflg ld -detail`: `SV:LD Name` opens an SV record whose
/// `Snap State` is kept.
pub fn query_bv_detail(text: &str) -> Result<BvDetail, NecIsmError> {
    let mut detail = BvDetail::default();
    let mut seen_block = false;
    let mut in_pairs = false;
    for line in text.lines().map(str::trim) {
        match line {
            "BV Information" => {
                seen_block = true;
                continue;
            }
            "Pair Information" => {
                seen_block = true;
                in_pairs = true;
                continue;
            }
            _ => {}
        }
        let Some((key, value)) = key_value(line) else {
            continue;
        };
        match key {
            "LD Name" if !in_pairs && detail.bv.is_none() => detail.bv = Some(value.to_string()),
            "SV:LD Name" => detail.svs.push(SnapRecord {
                sv: value.to_string(),
                state: String::new(),
                timestamp: None,
                link: None,
                lv: None,
            }),
            "LV Link Status" => {
                if let Some(record) = detail.svs.last_mut() {
                    record.link = Some(value.to_string());
                }
            }
            "LV:LD Name" => {
                if let Some(record) = detail.svs.last_mut() {
                    record.lv = Some(value.to_string());
                }
            }
            "Snap State" => {
                if let Some(record) = detail.svs.last_mut() {
                    let (state, time) = snap_state(value);
                    record.state = state;
                    record.timestamp = time;
                }
            }
            _ => {}
        }
    }
    if !seen_block {
        return Err(output_error(
            "iSMsc_query",
            "no 'BV Information' or 'Pair Information' block",
            text,
        ));
    }
    Ok(detail)
}

/// Parses `iSMsc_linkinfo -vol VOL -volflg ld -lcl`.
pub fn linkinfo(text: &str) -> Result<LinkInfo, NecIsmError> {
    let mut info = LinkInfo::default();
    let mut seen_block = false;
    let mut in_destinations = false;
    for line in text.lines().map(str::trim) {
        match line {
            "Specified Volume Information" => {
                seen_block = true;
                continue;
            }
            "Destination Volume Information" => {
                seen_block = true;
                in_destinations = true;
                continue;
            }
            _ => {}
        }
        if in_destinations {
            if let Some(destination) = destination(line) {
                info.destinations.push(destination);
            }
        } else if let Some(("State", value)) = key_value(line) {
            info.state = Some(value.to_string());
        }
    }
    if !seen_block {
        return Err(output_error(
            "iSMsc_linkinfo",
            "no 'Specified Volume Information' block",
            text,
        ));
    }
    Ok(info)
}

fn destination(line: &str) -> Option<Destination> {
    let rest = line
        .strip_prefix("LV:")
        .or_else(|| line.strip_prefix("SV:"))?;
    let mut words = rest.split_whitespace();
    let volume = words.next()?.to_string();
    Some(Destination {
        volume,
        words: words.map(str::to_string).collect(),
    })
}

/// Every `iSM<5 digits>` message id in `text`, in order.
pub fn message_ids(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut ids = Vec::new();
    let mut start = 0;
    while let Some(found) = text.get(start..).and_then(|t| t.find("iSM")) {
        let at = start + found;
        let digits = bytes.get(at + 3..at + 8);
        let boundary = bytes.get(at + 8).is_none_or(|b| !b.is_ascii_digit());
        if digits.is_some_and(|d| d.iter().all(u8::is_ascii_digit)) && boundary {
            if let Some(id) = text.get(at..at + 8) {
                ids.push(id);
            }
            start = at + 8;
        } else {
            start = at + 3;
        }
    }
    ids
}

/// True when a state-changing command's output carries its own confirmation,
/// `<prog>:Info: iSMnnnnn: <prog> has normally terminated.` (seed 001). Matched by the
/// program and the words, not by the message id, whose meaning is not documented.
pub fn confirms(program: &str, text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        line.starts_with(program)
            && line
                .split_whitespace()
                .collect::<Vec<_>>()
                .windows(3)
                .any(|w| {
                    w == ["has", "normally", "terminated."]
                        || w == ["has", "normally", "terminated"]
                })
    })
}

/// True when the output carries a "busy, try again" message id.
pub fn is_retryable(text: &str) -> bool {
    message_ids(text)
        .iter()
        .any(|id| RETRYABLE_IDS.contains(id))
}

fn output_error(program: &str, what: &str, text: &str) -> NecIsmError {
    let first: String = text
        .split_whitespace()
        .take(12)
        .collect::<Vec<_>>()
        .join(" ");
    NecIsmError::Output {
        program: program.to_string(),
        message: format!("{what} (output began: '{first}')"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// vendor-cli.md §3.3, from OpenSVC's docstring of a real run.
    const QUERY_SV: &str = "BV Information
    LD Name      : test_src_0000
    Type         : LX
    Special File : /dev/sdc
    State        : normal
    Reserve Area : -

SV Information
  LX:test_src_0000_SV0014    ( -1) snap/active   [2014/03/24 11:16:16] link
";

    /// vendor-cli.md §3.3 field list, laid out as the OpenSVC docstring shows it.
    const QUERY_BV_DETAIL: &str = "BV Information
    LD Name      : SOURCE_0001
    Type         : LX
    Special File : -
    State        : normal
    Reserve Area : -

Pair Information
    SV:LD Name                  : SOURCE_0001_SV006D
       Type                     : LX
       Generation(Attribute)    : -1(normal)
       Snap State               : snap/active [2014/09/09 17:27:45]
       Create   Start Time      : 2014/09/09 17:27:45
       Processing Data Size     : -
       Snapshot Data Size       : 47.4GB
       SV Guard                 : off
       LV Link Status           : link
    LV:LD Name                  : SOURCE_0001_LV00A6
       Type                     : LX
       Special File             : -
       LV Access                : rw
    SV:LD Name                  : SOURCE_0001_SV006E
       Type                     : LX
       Generation(Attribute)    : -2(normal)
       Snap State               : snap/deleting [2014/09/09 17:30:00]
";

    const LINKINFO: &str = "Specified Volume Information
SV:LD Name     : test_src_0000_SV0016
   Type        : LX
   Special File : -
   State       : link (test_src_0000_LV0050)
   Mode        : nr

Destination Volume Information
LV:test_src_0000_LV0050  LX link (test_src_0000_SV0016)  rw
";

    #[test]
    fn query_sv_gives_the_base_volume_and_the_sv_line() {
        let q = query_sv(QUERY_SV).expect("parses");
        assert_eq!(q.bv.as_deref(), Some("test_src_0000"));
        let sv = q.sv("test_src_0000_SV0014").expect("sv line");
        assert_eq!(sv.os_type, "LX");
        assert_eq!(sv.generation, Some(-1));
        assert_eq!(sv.state, "snap/active");
        assert_eq!(sv.timestamp, timestamp("2014/03/24 11:16:16"));
        assert_eq!(sv.link.as_deref(), Some("link"));
        assert!(q.sv("other").is_none());
    }

    #[test]
    fn sv_line_without_timestamp_or_generation() {
        let sv = sv_line("LX:SV1  (  -) snap/nosnap   - unlink").expect("line");
        assert_eq!(
            (sv.generation, sv.timestamp, sv.link.as_deref()),
            (None, None, Some("unlink"))
        );
        assert!(sv_line("Type         : LX").is_none());
        assert!(sv_line("LD Name      : x").is_none());
    }

    #[test]
    fn bv_detail_lists_snap_states_without_timestamps() {
        let d = query_bv_detail(QUERY_BV_DETAIL).expect("parses");
        assert_eq!(d.bv.as_deref(), Some("SOURCE_0001"));
        assert_eq!(d.svs.len(), 2);
        assert_eq!(d.svs[0].state, "snap/active");
        let first = d.sv("SOURCE_0001_SV006D").expect("first SV");
        assert!(first.is_linked_to("SOURCE_0001_LV00A6"));
        assert!(!first.is_linked_to("SOURCE_0001_LV00A7"));
        let second = d.sv("SOURCE_0001_SV006E").expect("second SV");
        assert_eq!((second.link.as_deref(), second.lv.as_deref()), (None, None));
        assert!(!second.is_linked_to("SOURCE_0001_LV00A6"));
        assert!(d.sv("SOURCE_0002_SV0001").is_none());
        let moving: Vec<&str> = d.transitional().iter().map(|s| s.sv.as_str()).collect();
        assert_eq!(moving, ["SOURCE_0001_SV006E"]);
    }

    #[test]
    fn transitional_states() {
        for state in ["snap/deleting", "snap/preparing", "rst/exec", "restoring"] {
            assert!(is_transitional(state), "{state}");
        }
        for state in ["snap/active", "snap/fault", "snap/stop", ""] {
            assert!(!is_transitional(state), "{state}");
        }
        assert_eq!(
            snap_state("snap/deleting [2014/09/09 17:30:00]").0,
            "snap/deleting"
        );
    }

    #[test]
    fn linkinfo_finds_the_linked_lv() {
        let info = linkinfo(LINKINFO).expect("parses");
        assert_eq!(info.state.as_deref(), Some("link (test_src_0000_LV0050)"));
        assert!(info.is_linked("test_src_0000_LV0050"));
        assert!(!info.is_linked("test_src_0000_LV0051"));
        let unlinked = linkinfo("Specified Volume Information\nSV:LD Name : SV1\n   State : unlink\n\nDestination Volume Information\n").expect("parses");
        assert!(!unlinked.is_linked("LV1"));
        assert!(linkinfo("garbage").is_err());
    }

    #[test]
    fn message_ids_and_retryable_ones() {
        let text = "iSMsc_link:Error: iSM31005: busy\niSM19010 iSM123 iSM1234567";
        assert_eq!(message_ids(text), ["iSM31005", "iSM19010"]);
        assert!(is_retryable(text));
        assert!(!is_retryable(
            "iSMsc_create:Info: iSM19010: iSMsc_create has normally terminated."
        ));
    }

    #[test]
    fn truncated_output_is_an_error_not_a_guess() {
        assert!(query_sv("").is_err());
        assert!(query_bv_detail("iSMsc_query: something else").is_err());
        let truncated = query_sv("BV Information\n    LD Name      : BV1\n").expect("parses");
        assert!(truncated.svs.is_empty());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,200}") {
            let _ = query_sv(&text);
            let _ = query_bv_detail(&text);
            let _ = linkinfo(&text);
            let _ = message_ids(&text);
            let _ = snap_state(&text);
        }

        #[test]
        fn sv_like_lines_never_panic(text in "(LX|-|WN):[A-Z_0-9]{0,8} {0,4}\\(?[ -0-9]{0,3}\\)? ?[a-z/]{0,12} ?\\[?[0-9/: ]{0,19}\\]? ?(link|unlink)?") {
            let _ = sv_line(&text);
        }
    }

    #[test]
    fn confirmation_is_the_programs_normal_termination_line() {
        let ok = "iSMsc_create:Info: iSM19010: iSMsc_create has normally terminated.\n";
        assert!(confirms("iSMsc_create", ok));
        assert!(!confirms("iSMsc_link", ok));
        assert!(!confirms("iSMsc_create", ""));
        assert!(!confirms(
            "iSMsc_create",
            "iSMsc_create:Info: something else\n"
        ));
    }
}
