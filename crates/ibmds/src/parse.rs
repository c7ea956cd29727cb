//! Parsing dscli output (vendor-cli.md §1.2, §1.4, §1.5): delim tables, CMUC/CMUN
//! messages, lsflash dates. Pure functions, fuzzed.

use crate::error::IbmDsError;
use chrono::{DateTime, Local, NaiveDateTime, TimeZone};
use std::collections::HashSet;
use std::ops::Range;
use std::sync::Arc;

/// One row of a listing, its fields looked up by column name. The header is parsed once
/// and shared by every row, and a row keeps its line with the bounds of its fields: two
/// allocations per row rather than a map with a copy of every column name (lsflash of
/// thousands of pairs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    header: Arc<[String]>,
    line: String,
    fields: Vec<Range<usize>>,
}

impl Row {
    /// The value of `column`, if the listing has that column.
    pub fn get(&self, column: &str) -> Option<&str> {
        let index = self.header.iter().position(|name| name == column)?;
        self.line.get(self.fields.get(index)?.clone())
    }

    /// A row made of `(column, value)` pairs (tests, fixtures).
    pub fn from_fields(fields: &[(&str, &str)]) -> Row {
        let header: Arc<[String]> = fields.iter().map(|(name, _)| name.to_string()).collect();
        let mut line = String::new();
        let mut bounds = Vec::with_capacity(fields.len());
        for (_, value) in fields {
            bounds.push(line.len()..line.len() + value.len());
            line.push_str(value);
        }
        Row {
            header,
            line,
            fields: bounds,
        }
    }
}

/// The "nothing matched" answer of ls commands (exit 0).
pub const NOT_FOUND_ID: &str = "CMUC00234I";

/// A `CMUC00168I resyncflash: ...`-style message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub id: String,
    /// `I`, `W` or `E`.
    pub severity: char,
    pub text: String,
}

impl Message {
    pub fn line(&self) -> String {
        format!("{} {}", self.id, self.text)
    }
}

/// Every CMU message in `text` (ids `CMUC`/`CMUN` + 5 digits + I/W/E).
pub fn messages(text: &str) -> Vec<Message> {
    text.lines().filter_map(message).collect()
}

/// The CMU message a line holds, if it is one.
fn message(line: &str) -> Option<Message> {
    let line = line.trim();
    let (id, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    is_message_id(id).then(|| Message {
        id: id.to_string(),
        severity: id.as_bytes()[9] as char,
        text: rest.trim().to_string(),
    })
}

/// Whether `id` is a CMU message id (`CMUC`/`CMUN` + 5 digits + I/W/E).
fn is_message_id(id: &str) -> bool {
    let bytes = id.as_bytes();
    bytes.len() == 10
        && (id.starts_with("CMUC") || id.starts_with("CMUN"))
        && bytes[4..9].iter().all(u8::is_ascii_digit)
        && matches!(bytes[9], b'I' | b'W' | b'E')
}

/// Whether a (trimmed) line is a CMU message, without building it.
fn is_message(line: &str) -> bool {
    is_message_id(line.split(char::is_whitespace).next().unwrap_or(line))
}

/// The pair ids that success lines ("... pair 0001:0002 successfully ...") confirm, in
/// one pass over the output (a per-pair scan is quadratic at thousands of pairs).
pub fn confirmed_pairs(text: &str) -> HashSet<String> {
    text.lines()
        .filter(|line| line.contains("successfully"))
        .flat_map(str::split_whitespace)
        .map(|word| word.trim_end_matches(['.', ',', ':']))
        .filter(|word| is_pair_id(word))
        .map(str::to_ascii_uppercase)
        .collect()
}

fn is_pair_id(word: &str) -> bool {
    let bytes = word.as_bytes();
    bytes.len() == 9
        && bytes[4] == b':'
        && bytes
            .iter()
            .enumerate()
            .all(|(i, b)| i == 4 || b.is_ascii_hexdigit())
}

/// Parses a delim listing (`setenv -format delim -header on`): the line before the first
/// line starting with `===` is the header, rows follow until a blank line, a message or
/// the next banner. `CMUC00234I` (nothing found) is an empty listing. Units in column
/// names (`cap (2^30B)`) are dropped from the name.
pub fn delim_table(text: &str, delimiter: char) -> Result<Vec<Row>, IbmDsError> {
    let lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    let Some(separator) = lines.iter().position(|l| l.trim_start().starts_with("===")) else {
        if messages(text).iter().any(|m| m.id == NOT_FOUND_ID) {
            return Ok(Vec::new());
        }
        return Err(IbmDsError::Output(format!(
            "no table header in the listing ({})",
            first_words(text)
        )));
    };
    let header_line = lines[..separator]
        .iter()
        .rev()
        .find(|l| !l.trim().is_empty())
        .ok_or_else(|| IbmDsError::Output("table separator without a header line".into()))?;
    let header: Arc<[String]> = header_line
        .split(delimiter)
        .map(|h| h.split(" (").next().unwrap_or(h).trim().to_string())
        .collect();
    let mut rows = Vec::new();
    for line in &lines[separator + 1..] {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with("Date/Time:") || is_message(trimmed) {
            break;
        }
        let fields = field_bounds(line, delimiter);
        if fields.len() < header.len() {
            return Err(IbmDsError::Output(format!(
                "row has {} fields, header has {} (truncated output?): '{}'",
                fields.len(),
                header.len(),
                trimmed
            )));
        }
        rows.push(Row {
            header: Arc::clone(&header),
            line: line.to_string(),
            fields,
        });
    }
    Ok(rows)
}

/// The byte ranges of a line's fields between delimiters, each trimmed of white space.
fn field_bounds(line: &str, delimiter: char) -> Vec<Range<usize>> {
    let mut bounds = Vec::new();
    let mut start = 0;
    for field in line.split(delimiter) {
        let leading = field.len() - field.trim_start().len();
        let value = field.trim();
        bounds.push(start + leading..start + leading + value.len());
        start += field.len() + delimiter.len_utf8();
    }
    bounds
}

fn first_words(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.is_empty() {
        "empty output".into()
    } else {
        flat.chars().take(120).collect()
    }
}

/// Parses an lsflash date, `Thu Sep 18 23:04:04 CEST 2014`. The zone abbreviation is
/// ambiguous (CST, IST...) and chrono cannot map it, so it is ignored and the time read
/// as local time, as the host and the HMC normally share a zone.
pub fn flash_date(text: &str) -> Option<DateTime<Local>> {
    let fields: Vec<&str> = text.split_whitespace().collect();
    let without_zone = match fields.len() {
        6 => format!(
            "{} {} {} {} {}",
            fields[0], fields[1], fields[2], fields[3], fields[5]
        ),
        5 => fields.join(" "),
        _ => return None,
    };
    let naive = NaiveDateTime::parse_from_str(&without_zone, "%a %b %d %H:%M:%S %Y").ok()?;
    Local.from_local_datetime(&naive).earliest()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, Timelike};
    use proptest::prelude::*;

    const LSFLASH: &str = "\
ID,SrcLSS,SequenceNum,Timeout,ActiveCopy,Recording,Persistent,Revertible,SourceWriteEnabled,TargetWriteEnabled,BackgroundCopy,OutOfSyncTracks,DateCreated,DateSynced,State,isTgtSE
=================================================================================================
0001:0002,00,0,60,Disabled,Enabled,Enabled,Disabled,Enabled,Disabled,Enabled,0,Thu Sep 18 22:00:01 CEST 2014,Thu Sep 18 23:04:04 CEST 2014,Valid,Std
0101:0102,01,0,60,Enabled,Enabled,Enabled,Disabled,Enabled,Disabled,Enabled,1200,Thu Sep 18 22:00:01 CEST 2014,Thu Sep 18 23:04:04 CEST 2014,Valid,ESE";

    #[test]
    fn lsflash_rows_by_column_name() {
        let rows = delim_table(LSFLASH, ',').expect("parses");
        assert_eq!(
            rows.len(),
            2,
            "the last row is kept without a trailing newline"
        );
        assert_eq!(rows[1].get("ID"), Some("0101:0102"));
        assert_eq!(rows[1].get("isTgtSE"), Some("ESE"));
        assert_eq!(rows[1].get("OutOfSyncTracks"), Some("1200"));
        assert_eq!(
            rows[0].get("DateSynced"),
            Some("Thu Sep 18 23:04:04 CEST 2014")
        );
        assert_eq!(rows[0].get("NoSuchColumn"), None);
    }

    #[test]
    fn fields_are_trimmed_and_units_dropped_from_column_names() {
        let text = "ID , cap (2^30B)\n=====\n  0001:0002 ,  12.5  \n";
        let rows = delim_table(text, ',').expect("parses");
        assert_eq!(rows[0].get("ID"), Some("0001:0002"));
        assert_eq!(rows[0].get("cap"), Some("12.5"));
    }

    #[test]
    fn truncated_row_is_an_error_not_a_panic() {
        let cut = &LSFLASH[..LSFLASH.len() - 60];
        assert!(matches!(delim_table(cut, ','), Err(IbmDsError::Output(_))));
    }

    #[test]
    fn nothing_found_is_an_empty_listing() {
        let rows =
            delim_table("CMUC00234I lsflash: No Flash Copy found.\n", ',').expect("empty listing");
        assert!(rows.is_empty());
    }

    #[test]
    fn garbage_is_reported_with_its_first_words() {
        let err = delim_table(
            "Exception in thread main java.lang.NullPointerException",
            ',',
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("java.lang.NullPointerException"),
            "{err}"
        );
    }

    #[test]
    fn messages_are_recognised() {
        let found = messages("\nCMUC00168I resyncflash: FlashCopy volume pair 0001:0002 successfully resynchronized.\nCMUN03027E resyncflash: 0003:0004: bad\nCMUCX nope\n");
        assert_eq!(found.len(), 2);
        assert_eq!(
            (found[1].id.as_str(), found[1].severity),
            ("CMUN03027E", 'E')
        );
    }

    #[test]
    fn success_lines_confirm_their_pairs() {
        let text = "CMUC00168I resyncflash: FlashCopy volume pair 0001:0002 successfully resynchronized.\n\
            Remote FlashCopy volume pair 0100:0200 successfully resynchronized. Use the lsremoteflash command\n\
            CMUN03027E resyncflash: 0003:0004: failed\n";
        let confirmed = confirmed_pairs(text);
        assert!(confirmed.contains("0001:0002") && confirmed.contains("0100:0200"));
        assert!(!confirmed.contains("0003:0004"));
    }

    #[test]
    fn dates_ignore_the_zone_name() {
        let date = flash_date("Thu Sep 18 23:04:04 CEST 2014").expect("parses");
        assert_eq!(
            (date.year(), date.month(), date.day(), date.hour()),
            (2014, 9, 18, 23)
        );
        assert!(flash_date("yesterday").is_none());
    }

    proptest! {
        #[test]
        fn parsers_never_panic(text in "\\PC*") {
            let _ = delim_table(&text, ',');
            let _ = messages(&text);
            let _ = flash_date(&text);
        }

        #[test]
        fn table_like_text_never_panics(text in "([A-Za-z,]{0,30}\n|=====\n|CMUC00234I x\n|[0-9:,]{0,20}\n){0,8}") {
            let _ = delim_table(&text, ',');
        }
    }
}
