//! DS CLI output formats and date renderings.
//!
//! - `default`: header of column names, a line of `=` as wide as the table, rows; columns are
//!   left-aligned, padded with spaces and separated by one space (trailing spaces trimmed).
//! - `delim`: header joined by the delimiter, a line of `=` as long as the header, rows joined
//!   by the delimiter.
//! - `stanza`: per row, one `Column value` line per column (names padded to the longest),
//!   rows separated by a blank line; the header switch does not apply.
//! - `xml` is not implemented: it is rejected with a syntax error (exit 2).
//!
//! With the header off, neither the header nor the `=` line is printed.

use chrono::NaiveDateTime;

use crate::clock::local_time;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fmt {
    Default,
    Delim,
    Stanza,
}

/// What a `-fmt`/`-format` value names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmtChoice {
    Known(Fmt),
    /// A real DS CLI format the emulator does not implement (`xml`).
    Unsupported,
    Invalid,
}

pub fn parse_fmt(s: &str) -> FmtChoice {
    match s.to_ascii_lowercase().as_str() {
        "default" => FmtChoice::Known(Fmt::Default),
        "delim" => FmtChoice::Known(Fmt::Delim),
        "stanza" => FmtChoice::Known(Fmt::Stanza),
        "xml" => FmtChoice::Unsupported,
        _ => FmtChoice::Invalid,
    }
}

pub fn render(
    fmt: Fmt,
    delim: &str,
    header: bool,
    cols: &[&str],
    rows: &[Vec<String>],
) -> Vec<String> {
    let mut out = Vec::new();
    match fmt {
        Fmt::Delim => {
            if header {
                let h = cols.join(delim);
                out.push("=".repeat(h.chars().count().max(3)));
                out.insert(0, h);
            }
            out.extend(rows.iter().map(|r| r.join(delim)));
        }
        Fmt::Default => {
            let mut widths: Vec<usize> = cols.iter().map(|c| c.chars().count()).collect();
            for r in rows {
                for (w, v) in widths.iter_mut().zip(r) {
                    *w = (*w).max(v.chars().count());
                }
            }
            let line = |cells: &mut dyn Iterator<Item = &str>| {
                cells
                    .zip(&widths)
                    .map(|(c, w)| format!("{c:<w$}"))
                    .collect::<Vec<_>>()
                    .join(" ")
                    .trim_end()
                    .to_string()
            };
            if header {
                out.push(line(&mut cols.iter().copied()));
                let total = widths.iter().sum::<usize>() + widths.len().saturating_sub(1);
                out.push("=".repeat(total.max(3)));
            }
            for r in rows {
                out.push(line(&mut r.iter().map(String::as_str)));
            }
        }
        Fmt::Stanza => {
            let w = cols.iter().map(|c| c.chars().count()).max().unwrap_or(0);
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    out.push(String::new());
                }
                for (c, v) in cols.iter().zip(r) {
                    out.push(format!("{c:<w$} {v}"));
                }
            }
        }
    }
    out
}

fn fmt_local(secs: i64, pattern: &str) -> String {
    let (t, zone): (NaiveDateTime, String) = local_time(secs);
    t.format(pattern).to_string().replace("{TZ}", &zone)
}

/// `Thu Sep 18 23:04:04 CEST 2014` (lsflash DateCreated/DateSynced).
pub fn long_date(secs: i64) -> String {
    fmt_local(secs, "%a %b %d %H:%M:%S {TZ} %Y")
}

/// `September 18, 2014 11:04:04 PM CEST` (banner).
pub fn banner_date(secs: i64) -> String {
    fmt_local(secs, "%B %-d, %Y %-I:%M:%S %p {TZ}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<Vec<String>> {
        vec![
            vec!["0001:0002".into(), "00".into(), "16384".into()],
            vec!["0101:0102".into(), "01".into(), "0".into()],
        ]
    }

    #[test]
    fn delim_format() {
        let cols = ["ID", "SrcLSS", "OutOfSyncTracks"];
        let out = render(Fmt::Delim, ",", true, &cols, &rows());
        assert_eq!(out[0], "ID,SrcLSS,OutOfSyncTracks");
        assert_eq!(out[1], "=".repeat(out[0].len()));
        assert_eq!(out[2], "0001:0002,00,16384");
        assert_eq!(out[3], "0101:0102,01,0");
        let out = render(Fmt::Delim, "|", false, &cols, &rows());
        assert_eq!(out, vec!["0001:0002|00|16384", "0101:0102|01|0"]);
    }

    #[test]
    fn default_format() {
        let cols = ["ID", "SrcLSS", "OutOfSyncTracks"];
        let out = render(Fmt::Default, ",", true, &cols, &rows());
        assert_eq!(out[0], "ID        SrcLSS OutOfSyncTracks");
        assert_eq!(out[1], "=".repeat(32));
        assert_eq!(out[2], "0001:0002 00     16384");
        assert_eq!(out[3], "0101:0102 01     0");
    }

    #[test]
    fn stanza_format() {
        let cols = ["ID", "SrcLSS"];
        let out = render(Fmt::Stanza, ",", true, &cols, &rows()[..1]);
        assert_eq!(out, vec!["ID     0001:0002", "SrcLSS 00"]);
    }

    #[test]
    fn formats_parse() {
        assert_eq!(parse_fmt("DELIM"), FmtChoice::Known(Fmt::Delim));
        assert_eq!(parse_fmt("xml"), FmtChoice::Unsupported);
        assert_eq!(parse_fmt("csv"), FmtChoice::Invalid);
    }

    #[test]
    fn dates_have_the_documented_shape() {
        // 2014-09-18 21:04:04 UTC
        let d = long_date(1_411_074_244);
        let f: Vec<&str> = d.split(' ').collect();
        assert_eq!(f.len(), 6, "{d}");
        assert!(f[0].len() == 3 && f[1].len() == 3 && f[2].len() == 2, "{d}");
        assert_eq!(f[5], "2014");
        let b = banner_date(1_411_074_244);
        assert!(b.starts_with("September 18, 2014 ") || b.starts_with("September 19, 2014 "));
        assert!(b.contains(" AM ") || b.contains(" PM "), "{b}");
    }
}
