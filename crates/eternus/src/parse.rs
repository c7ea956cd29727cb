//! Pure parsers of ETERNUS DX CLI answers (the dialect of docs/eternus.md). No I/O; each
//! function takes the lines of one command's answer (echo and prompt removed).

use chrono::NaiveDateTime;
use std::borrow::Cow;

/// A parse failure: what was expected and the offending text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// `Error: E0060 Resource locked` → (`E0060`, `Resource locked`).
pub fn error_line(lines: &[String]) -> Option<(String, String)> {
    lines.iter().find_map(|line| {
        let rest = line.trim().strip_prefix("Error:")?.trim();
        let (code, message) = rest.split_once(' ').unwrap_or((rest, ""));
        Some((
            code.to_string(),
            message.trim().trim_end_matches('.').to_string(),
        ))
    })
}

/// `Box ID [00ETERNUSDXM##ET44S20A####HK000104######]` → the 40-character box id.
pub fn boxid(lines: &[String]) -> Result<String, ParseError> {
    lines
        .iter()
        .find_map(|l| {
            let rest = l.trim().strip_prefix("Box ID")?.trim();
            let id = rest.strip_prefix('[')?.strip_suffix(']')?;
            (!id.is_empty() && id.len() <= 64 && !id.contains(char::is_whitespace))
                .then(|| id.to_string())
        })
        .ok_or_else(|| ParseError(format!("no 'Box ID [...]' line in {:?}", lines.join(" | "))))
}

/// A fixed-width table: header lines, a line of dash runs giving the column spans, rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// Column names: the header words that start inside each span, joined by spaces.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && t.contains("--") && t.chars().all(|c| c == '-' || c == ' ')
}

fn spans(rule: &str) -> Vec<usize> {
    let bytes = rule.as_bytes();
    (0..bytes.len())
        .filter(|&i| bytes[i] == b'-' && (i == 0 || bytes[i - 1].is_ascii_whitespace()))
        .collect()
}

/// [`field`] of an ASCII line.
fn ascii_field<'a>(line: &'a str, starts: &[usize], i: usize) -> &'a str {
    let start = starts[i];
    let end = starts.get(i + 1).copied().unwrap_or(usize::MAX);
    line.get(start..end.min(line.len()))
        .unwrap_or_default()
        .trim()
}

/// The text of column `i` of `starts` (to the next column's start) in `chars`.
fn field(chars: &[char], starts: &[usize], i: usize) -> String {
    let start = starts[i];
    let end = starts.get(i + 1).copied().unwrap_or(usize::MAX);
    if start >= chars.len() {
        return String::new();
    }
    chars[start..end.min(chars.len())]
        .iter()
        .collect::<String>()
        .trim()
        .to_string()
}

/// Parses a fixed-width table; an answer with no rule line is an empty table only when
/// it is empty, otherwise an error.
pub fn table(lines: &[String]) -> Result<Table, ParseError> {
    let table = borrowed_table(lines)?;
    let mut rows = Vec::with_capacity(table.rows.len());
    table.each_row(|fields| {
        rows.push(fields.iter().map(|f| f.to_string()).collect());
        Ok(())
    })?;
    Ok(Table {
        columns: table.columns,
        rows,
    })
}

/// A [`Table`] read lazily: its rows are the answer's lines, cut into fields one at a
/// time, borrowing from the answer where they can (ASCII lines). The 10,000-row session
/// table of swsrpstat then costs no string per field and no vector per row.
struct BorrowedTable<'a> {
    columns: Vec<String>,
    starts: Vec<usize>,
    rows: Vec<&'a str>,
}

impl<'a> BorrowedTable<'a> {
    /// Calls `f` with the fields of each row in turn (one buffer for them all).
    fn each_row(
        &self,
        mut f: impl FnMut(&[Cow<'a, str>]) -> Result<(), ParseError>,
    ) -> Result<(), ParseError> {
        let mut fields: Vec<Cow<'a, str>> = Vec::with_capacity(self.starts.len());
        for line in &self.rows {
            fields.clear();
            // Column starts count characters; in an ASCII line they are byte offsets, so
            // the fields are slices.
            if line.is_ascii() {
                fields.extend(
                    (0..self.starts.len())
                        .map(|i| Cow::Borrowed(ascii_field(line, &self.starts, i))),
                );
            } else {
                let chars: Vec<char> = line.chars().collect();
                fields.extend(
                    (0..self.starts.len()).map(|i| Cow::Owned(field(&chars, &self.starts, i))),
                );
            }
            f(&fields)?;
        }
        Ok(())
    }
}

fn borrowed_table(lines: &[String]) -> Result<BorrowedTable<'_>, ParseError> {
    let Some(rule_at) = lines.iter().position(|l| is_rule(l)) else {
        if lines.iter().all(|l| l.trim().is_empty()) {
            return Ok(BorrowedTable {
                columns: Vec::new(),
                starts: Vec::new(),
                rows: Vec::new(),
            });
        }
        return Err(ParseError(format!("no table in {:?}", lines.join(" | "))));
    };
    let starts = spans(&lines[rule_at]);
    if starts.is_empty() {
        // Found by fuzzing: a rule line no column starts on (e.g. "\t--" after a CR).
        return Err(ParseError(format!(
            "rule line without columns: {:?}",
            lines[rule_at]
        )));
    }
    let mut columns = vec![String::new(); starts.len()];
    for header in lines[..rule_at].iter().filter(|l| !l.trim().is_empty()) {
        let chars: Vec<char> = header.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == ' ' {
                i += 1;
                continue;
            }
            let begin = i;
            while i < chars.len() && chars[i] != ' ' {
                i += 1;
            }
            let word: String = chars[begin..i].iter().collect();
            let column = starts.iter().rposition(|&s| s <= begin).unwrap_or(0);
            let name = &mut columns[column];
            if !name.is_empty() {
                name.push(' ');
            }
            name.push_str(&word);
        }
    }
    let rows = lines[rule_at + 1..]
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(String::as_str)
        .collect();
    Ok(BorrowedTable {
        columns,
        starts,
        rows,
    })
}

fn expect_columns(table: &Table, expected: &[&str], what: &str) -> Result<(), ParseError> {
    expect_names(&table.columns, table.rows.is_empty(), expected, what)
}

fn expect_names(
    columns: &[String],
    no_rows: bool,
    expected: &[&str],
    what: &str,
) -> Result<(), ParseError> {
    if columns.is_empty() && no_rows {
        return Ok(());
    }
    if columns
        .iter()
        .map(String::as_str)
        .ne(expected.iter().copied())
    {
        return Err(ParseError(format!(
            "{what}: unexpected columns {:?} (expected {:?})",
            columns, expected
        )));
    }
    Ok(())
}

pub const VOLUME_COLUMNS: &[&str] = &["Volume No.", "Name", "Status", "Type", "Size(MB)", "UID"];

/// One row of `show volumes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeRow {
    pub number: u32,
    pub name: String,
    pub status: String,
    pub vtype: String,
    pub size_mb: u64,
    /// SCSI identifier (NAA) of the volume, `-` when the array has none.
    pub uid: Option<String>,
}

fn number<T: std::str::FromStr>(text: &str, what: &str) -> Result<T, ParseError> {
    text.parse()
        .map_err(|_| ParseError(format!("{what} '{text}' is not a number")))
}

pub fn volumes(lines: &[String]) -> Result<Vec<VolumeRow>, ParseError> {
    let table = table(lines)?;
    expect_columns(&table, VOLUME_COLUMNS, "show volumes")?;
    table
        .rows
        .iter()
        .map(|r| {
            Ok(VolumeRow {
                number: number(&r[0], "volume number")?,
                name: r[1].clone(),
                status: r[2].clone(),
                vtype: r[3].clone(),
                size_mb: number(&r[4], "volume size")?,
                uid: Some(r[5].clone()).filter(|u| !u.is_empty() && u != "-"),
            })
        })
        .collect()
}

pub const SESSION_COLUMNS: &[&str] = &[
    "SID",
    "Gene- ration",
    "Type",
    "Volume Type",
    "Source No.",
    "Volume Name",
    "Destination No.",
    "Volume Name",
    "Status",
    "Phase",
    "Error Code",
    "Requestor",
    "Copied (%)",
    "Update (%)",
    "Access",
    "Time Stamp",
];

/// One row of `show advanced-copy-sessions -detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub sid: u32,
    /// SnapOPC+ generation (`n/m` → n), `None` for other types.
    pub generation: Option<u32>,
    /// SnapOPC+ generations of the source (`n/m` → m).
    pub generations: Option<u32>,
    pub ctype: String,
    pub source: u32,
    pub destination: u32,
    pub status: String,
    pub phase: String,
    pub error_code: String,
    pub copied_pct: Option<u8>,
    pub update_pct: Option<u8>,
    pub access: String,
    pub timestamp: Option<NaiveDateTime>,
}

fn percent(text: &str) -> Result<Option<u8>, ParseError> {
    if text == "-" || text.is_empty() {
        return Ok(None);
    }
    let v: u8 = number(text, "percentage")?;
    if v > 100 {
        return Err(ParseError(format!("percentage '{text}' above 100")));
    }
    Ok(Some(v))
}

/// The session list. The array prints the header even when it has no session, so an
/// answer without it (empty, or cut before the table) is an error, never "no sessions":
/// read as an empty list it would make swsrpstat report nothing and swsrpmake -T start a
/// full copy over a tracking session.
pub fn sessions(lines: &[String]) -> Result<Vec<SessionRow>, ParseError> {
    let table = borrowed_table(lines)?;
    // An answer without the table header is not "no sessions" (issue 13 defect 9).
    if table.columns.is_empty() {
        return Err(ParseError(format!(
            "show advanced-copy-sessions: no table header in the answer {:?}",
            lines.join(" | ")
        )));
    }
    expect_names(
        &table.columns,
        table.rows.is_empty(),
        SESSION_COLUMNS,
        "show advanced-copy-sessions",
    )?;
    let mut sessions = Vec::with_capacity(table.rows.len());
    table.each_row(|r| {
        sessions.push(session_row(r)?);
        Ok(())
    })?;
    Ok(sessions)
}

fn session_row(r: &[Cow<'_, str>]) -> Result<SessionRow, ParseError> {
    let generation = match r[1].split('/').next().map(str::trim) {
        Some("") | Some("-") | None => None,
        Some(g) => Some(number(g, "generation")?),
    };
    let generations = match r[1].split_once('/').map(|(_, m)| m.trim()) {
        Some("") | Some("-") | None => None,
        Some(m) => Some(number(m, "generation count")?),
    };
    let timestamp =
        match r[15].as_ref() {
            "" | "-" => None,
            t => Some(time_stamp(t).ok_or_else(|| {
                ParseError(format!("time stamp '{t}' is not yyyy/mm/dd hh:mm:ss"))
            })?),
        };
    Ok(SessionRow {
        sid: number(&r[0], "session id")?,
        generation,
        generations,
        ctype: r[2].to_string(),
        source: number(&r[4], "source volume number")?,
        destination: number(&r[6], "destination volume number")?,
        status: r[8].to_string(),
        phase: r[9].to_string(),
        error_code: r[10].to_string(),
        copied_pct: percent(&r[12])?,
        update_pct: percent(&r[13])?,
        access: r[14].to_string(),
        timestamp,
    })
}

/// One row of `show advanced-copy-sessions -type rec` (docs/eternus.md "REC").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecRow {
    pub sid: u32,
    pub source_box: String,
    pub source: u32,
    pub destination_box: String,
    pub destination: u32,
    pub status: String,
    pub phase: String,
    pub transfer: String,
    pub split: String,
    pub recovery: String,
    pub buffer: String,
    pub suspend: String,
    pub copied_pct: Option<u8>,
    pub error_code: String,
    pub timestamp: Option<NaiveDateTime>,
}

/// The columns of a table by header name (any order): each row as the values of `names`.
fn by_names<'t>(
    table: &'t Table,
    names: &[&str],
    what: &str,
) -> Result<Vec<Vec<&'t str>>, ParseError> {
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            table.columns.iter().position(|c| c == n).ok_or_else(|| {
                ParseError(format!("{what}: no column '{n}' in {:?}", table.columns))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(table
        .rows
        .iter()
        .map(|r| at.iter().map(|&i| r[i].as_str()).collect())
        .collect())
}

const REC_COLUMNS: &[&str] = &[
    "SID",
    "Source-Box-ID",
    "Src-Vol",
    "Destination-Box-ID",
    "Dst-Vol",
    "Status",
    "Phase",
    "Transfer",
    "Split",
    "Recovery",
    "Buffer",
    "Suspend",
    "Copied(%)",
    "Error-Code",
    "Time-Stamp",
];

/// The REC session list; like the local list, an answer without its header is an error.
pub fn rec_sessions(lines: &[String]) -> Result<Vec<RecRow>, ParseError> {
    let what = "show advanced-copy-sessions -type rec";
    let table = table(lines)?;
    if table.columns.is_empty() {
        return Err(ParseError(format!(
            "{what}: no table header in the answer {:?}",
            lines.join(" | ")
        )));
    }
    by_names(&table, REC_COLUMNS, what)?
        .into_iter()
        .map(|r| {
            let timestamp = match r[14] {
                "" | "-" => None,
                t => Some(
                    NaiveDateTime::parse_from_str(t, "%Y/%m/%d %H:%M:%S").map_err(|_| {
                        ParseError(format!("time stamp '{t}' is not yyyy/mm/dd hh:mm:ss"))
                    })?,
                ),
            };
            Ok(RecRow {
                sid: number(r[0], "session id")?,
                source_box: r[1].to_string(),
                source: number(r[2], "source volume number")?,
                destination_box: r[3].to_string(),
                destination: number(r[4], "destination volume number")?,
                status: r[5].to_string(),
                phase: r[6].to_string(),
                transfer: r[7].to_string(),
                split: r[8].to_string(),
                recovery: r[9].to_string(),
                buffer: r[10].to_string(),
                suspend: r[11].to_string(),
                copied_pct: percent(r[12])?,
                error_code: r[13].to_string(),
                timestamp,
            })
        })
        .collect()
}

/// One row of `show rec-buffer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecBufferRow {
    pub id: u32,
    pub usage: String,
    pub rate: String,
    pub remote_box: String,
    pub disk_buffer: String,
    pub disk_rate: String,
}

pub fn rec_buffers(lines: &[String]) -> Result<Vec<RecBufferRow>, ParseError> {
    let what = "show rec-buffer";
    let table = table(lines)?;
    if table.columns.is_empty() {
        return Err(ParseError(format!(
            "{what}: no table header in the answer {:?}",
            lines.join(" | ")
        )));
    }
    by_names(
        &table,
        &[
            "ID",
            "Use",
            "Rate",
            "Remote-Box-ID",
            "Disk-Buffer",
            "Disk-Rate",
        ],
        what,
    )?
    .into_iter()
    .map(|r| {
        Ok(RecBufferRow {
            id: number(r[0], "buffer id")?,
            usage: r[1].to_string(),
            rate: r[2].to_string(),
            remote_box: r[3].to_string(),
            disk_buffer: r[4].to_string(),
            disk_rate: r[5].to_string(),
        })
    })
    .collect()
}

/// A session time stamp, `yyyy/mm/dd hh:mm:ss`: read by position (one per session, 10,000
/// in a large answer, where chrono's format interpreter was a tenth of swsrpstat's time),
/// any other shape through chrono.
fn time_stamp(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let shaped = b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'/',
            10 => *c == b' ',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        });
    if !shaped {
        return NaiveDateTime::parse_from_str(text, "%Y/%m/%d %H:%M:%S").ok();
    }
    let field = |from: usize, to: usize| text.get(from..to)?.parse::<u32>().ok();
    chrono::NaiveDate::from_ymd_opt(
        i32::try_from(field(0, 4)?).ok()?,
        field(5, 7)?,
        field(8, 10)?,
    )?
    .and_hms_opt(field(11, 13)?, field(14, 16)?, field(17, 19)?)
}

/// The values of the named columns of every row, by header name (any column order).
fn named(lines: &[String], names: &[&str], what: &str) -> Result<Vec<Vec<u64>>, ParseError> {
    let table = table(lines)?;
    let at: Vec<usize> = names
        .iter()
        .map(|n| {
            table.columns.iter().position(|c| c == n).ok_or_else(|| {
                ParseError(format!("{what}: no column '{n}' in {:?}", table.columns))
            })
        })
        .collect::<Result<_, _>>()?;
    table
        .rows
        .iter()
        .map(|r| at.iter().map(|&i| number(&r[i], what)).collect())
        .collect()
}

/// `show update-measurement`: the blocks updated, `None` when no measurement runs.
pub fn update_blocks(lines: &[String]) -> Result<Option<u64>, ParseError> {
    let rows = named(
        lines,
        &["Volume No.", "Updated Blocks"],
        "show update-measurement",
    )?;
    Ok(rows.first().map(|r| r[1]))
}

/// `show snap-data-volume`, in 512-byte sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdvRow {
    pub logical: u64,
    pub physical: u64,
    pub used: u64,
    pub copy: u64,
    pub host: u64,
    pub pool: u64,
}

pub fn sdv(lines: &[String]) -> Result<SdvRow, ParseError> {
    let rows = named(
        lines,
        &[
            "Logical (sector)",
            "Physical (sector)",
            "Used (sector)",
            "Copy (sector)",
            "Host (sector)",
            "Pool (sector)",
        ],
        "show snap-data-volume",
    )?;
    let r = rows
        .first()
        .ok_or_else(|| ParseError("show snap-data-volume: no row".into()))?;
    Ok(SdvRow {
        logical: r[0],
        physical: r[1],
        used: r[2],
        copy: r[3],
        host: r[4],
        pool: r[5],
    })
}

/// One row of `show snap-data-pool`, in sectors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolRow {
    pub kind: String,
    pub total: u64,
    pub used: u64,
    pub copy: u64,
    pub host: u64,
    pub free: u64,
}

pub fn pools(lines: &[String]) -> Result<Vec<PoolRow>, ParseError> {
    let table = table(lines)?;
    let kind = table
        .columns
        .iter()
        .position(|c| c == "Pool Type")
        .ok_or_else(|| ParseError("show snap-data-pool: no 'Pool Type' column".into()))?;
    let values = named(
        lines,
        &[
            "Total (sector)",
            "Used (sector)",
            "Copy (sector)",
            "Host (sector)",
            "Free (sector)",
        ],
        "show snap-data-pool",
    )?;
    Ok(table
        .rows
        .iter()
        .zip(values)
        .map(|(r, v)| PoolRow {
            kind: r[kind].clone(),
            total: v[0],
            used: v[1],
            copy: v[2],
            host: v[3],
            free: v[4],
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_stamps_read_by_position_agree_with_chrono() {
        for text in [
            "2026/11/28 23:04:05",
            "1999/01/31 00:00:59",
            "2024/02/29 12:30:00",
            "2023/02/29 12:30:00",
            "2024/13/01 00:00:00",
            "2024/12/01 24:00:00",
            "2024/1/1 1:02:03",
            "2024-12-01 10:00:00",
            "abcd/ef/gh ij:kl:mn",
            "+999/01/01 00:00:00",
            " 999/01/01 00:00:00",
            "2024/+1/01 00:00:00",
            "2024/01/01 00:00:+1",
        ] {
            assert_eq!(
                time_stamp(text),
                NaiveDateTime::parse_from_str(text, "%Y/%m/%d %H:%M:%S").ok(),
                "{text}"
            );
        }
    }
    use proptest::prelude::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_string).collect()
    }

    const VOLUMES: &str = "\
Volume                                 Status       Type      Size(MB) UID
No.   Name
----- -------------------------------- ------------ --------- -------- --------------------------------
    0 vol0                             Available    Standard      4096 600000E00D2800000028000000000000
   17 vol17                            Available    Standard      5120 -
";

    const SESSIONS: &str = "\
SID   Gene-   Type     Volume    Source Volume                          Destination Volume                     Status        Phase            Error  Requestor Copied Update Access   Time Stamp
      ration           Type      No.   Name                             No.   Name                                                            Code             (%)    (%)
----- ------- -------- --------- ----- -------------------------------- ----- -------------------------------- ------------- ---------------- ------ --------- ------ ------ -------- -------------------
   50   1/  1 SnapOPC+ Standard      2 testvol0                            10 testvol1                         Active        Copying           0x00  GUI             -      - Write    -
    3       - QuickOPC Standard      0 vol0                                 1 vol1                             Active        Tracking & Copy   0x00  CLI            45      6 Write    2010/10/20 22:00:45
";

    #[test]
    fn parses_volumes() {
        let rows = volumes(&lines(VOLUMES)).expect("parses");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].number, 0);
        assert_eq!(
            rows[0].uid.as_deref(),
            Some("600000E00D2800000028000000000000")
        );
        assert_eq!(
            (rows[1].number, rows[1].size_mb, rows[1].uid.clone()),
            (17, 5120, None)
        );
    }

    #[test]
    fn parses_sessions_with_multi_word_values() {
        let rows = sessions(&lines(SESSIONS)).expect("parses");
        assert_eq!(rows[0].generation, Some(1));
        assert_eq!(rows[0].ctype, "SnapOPC+");
        assert_eq!((rows[1].source, rows[1].destination), (0, 1));
        assert_eq!(rows[1].phase, "Tracking & Copy");
        assert_eq!(rows[1].copied_pct, Some(45));
        assert_eq!(rows[1].update_pct, Some(6));
        assert_eq!(
            rows[1].timestamp.map(|t| t.to_string()).as_deref(),
            Some("2010-10-20 22:00:45")
        );
    }

    #[test]
    fn empty_answer_is_an_error_and_a_header_alone_is_no_session() {
        assert!(sessions(&[]).unwrap_err().0.contains("no table header"));
        assert!(sessions(&lines("\r\n  \n")).is_err());
        let header_only: String = SESSIONS.lines().take(3).collect::<Vec<_>>().join("\n");
        assert!(sessions(&lines(&header_only)).expect("header").is_empty());
        assert!(sessions(&lines("garbage here")).is_err());
        let wrong = "A   B\n--- ---\n1   2\n";
        assert!(sessions(&lines(wrong))
            .unwrap_err()
            .0
            .contains("unexpected columns"));
    }

    #[test]
    fn errors_and_boxid() {
        assert_eq!(
            error_line(&lines("Error: E0060 Resource locked.")),
            Some(("E0060".into(), "Resource locked".into()))
        );
        assert_eq!(error_line(&lines("ok")), None);
        assert_eq!(
            boxid(&lines("Box ID [00ETERNUSDXM##ET44S20A####HK000104######]")).as_deref(),
            Ok("00ETERNUSDXM##ET44S20A####HK000104######")
        );
        assert!(boxid(&lines("nothing")).is_err());
    }

    // The emulator's REC list, columns in another order than printed: by name, not place.
    const REC: &str = "\
Status        SID   Src-Vol Dst-Vol Source-Box-ID Destination-Box-ID Phase      Transfer    Split  Recovery Buffer     Suspend Copied(%) Error-Code Time-Stamp
------------- ----- ------- ------- ------------- ------------------ ---------- ----------- ------ -------- ---------- ------- --------- ---------- -------------------
Halt          3     1       7       BOXA          BOXB               Copying    consistency -      manual   use-buffer -       40        0x00       2026/11/28 22:00:01
Suspend       4     2       8       BOXA          BOXB               Suspend    sync        manual auto     -          forced  -         0x00       -
";

    #[test]
    fn rec_sessions_by_header_names() {
        let rows = rec_sessions(&lines(REC)).expect("parses");
        assert_eq!(rows.len(), 2);
        let (a, b) = (&rows[0], &rows[1]);
        assert_eq!(
            (
                a.sid,
                a.source,
                a.destination,
                a.status.as_str(),
                a.phase.as_str()
            ),
            (3, 1, 7, "Halt", "Copying")
        );
        assert_eq!(
            (
                a.transfer.as_str(),
                a.recovery.as_str(),
                a.buffer.as_str(),
                a.copied_pct
            ),
            ("consistency", "manual", "use-buffer", Some(40))
        );
        assert!(a.timestamp.is_some() && b.timestamp.is_none());
        assert_eq!((b.split.as_str(), b.suspend.as_str()), ("manual", "forced"));
        // No header is an error, not "no sessions"; a missing column is named.
        assert!(rec_sessions(&[]).unwrap_err().0.contains("no table header"));
        let cut: String = REC.replace("Recovery", "Recover ");
        assert!(rec_sessions(&lines(&cut))
            .unwrap_err()
            .0
            .contains("'Recovery'"));
    }

    #[test]
    fn rec_buffers_by_header_names() {
        let text = "ID    Use  Rate Remote-Box-ID Disk-Buffer      Disk-Rate\n\
                    ----- ---- ---- ------------- ---------------- ---------\n\
                    1     SEND 25%  BOXB          active           0%\n";
        let rows = rec_buffers(&lines(text)).expect("parses");
        assert_eq!(
            (
                rows[0].id,
                rows[0].usage.as_str(),
                rows[0].rate.as_str(),
                rows[0].disk_buffer.as_str()
            ),
            (1, "SEND", "25%", "active")
        );
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC{0,400}") {
            let l = lines(&text);
            let _ = sessions(&l);
            let _ = volumes(&l);
            let _ = boxid(&l);
            let _ = error_line(&l);
            let _ = rec_sessions(&l);
            let _ = rec_buffers(&l);
        }

        #[test]
        fn tables_with_rules_never_panic(rows in proptest::collection::vec("[ a-z0-9%/-]{0,60}", 0..6)) {
            let mut l = vec!["SID   Type".to_string(), "----- ----".to_string()];
            l.extend(rows);
            let _ = sessions(&l);
            let _ = table(&l);
        }
    }

    #[test]
    fn a_rule_line_without_column_starts_is_an_error_not_a_panic() {
        // Found by the fuzz pass (tests/fuzz.rs): `columns[0]` of an empty column list.
        assert!(table(&lines("Name\n\u{b}--\nx")).is_err());
    }
}
