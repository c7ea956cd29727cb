//! Durations as the seeds write them: a bare number in a keyword's default unit
//! (minutes for `sync_max_delay`, seconds for timeouts), or `1d3h`-style strings.

use std::time::Duration;

/// The unit of a bare number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Minutes,
}

/// Parses `90`, `1d3h`, `2h30m`, `45s`, `1w`. Errors name what is wrong.
pub fn parse_duration(text: &str, bare_unit: Unit) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".into());
    }
    if let Ok(n) = text.parse::<u64>() {
        let secs = match bare_unit {
            Unit::Seconds => Some(n),
            Unit::Minutes => n.checked_mul(60),
        };
        return secs
            .map(Duration::from_secs)
            .ok_or_else(|| format!("duration '{text}' is too large"));
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let factor = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 7 * 86400,
            _ => {
                return Err(format!(
                    "invalid duration '{text}': unexpected '{c}' (use e.g. 90, 30m, 1d3h)"
                ))
            }
        };
        if number.is_empty() {
            return Err(format!(
                "invalid duration '{text}': unit '{c}' without a number"
            ));
        }
        let n: u64 = number
            .parse()
            .map_err(|_| format!("duration '{text}' is too large"))?;
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| format!("duration '{text}' is too large"))?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!(
            "invalid duration '{text}': number '{number}' without a unit after a unit"
        ));
    }
    Ok(Duration::from_secs(total))
}

/// Formats a duration as `1d3h`, `30m`, `45s`, `0s`.
pub fn format_duration(duration: Duration) -> String {
    let mut secs = duration.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [
        ("w", 7 * 86400),
        ("d", 86400),
        ("h", 3600),
        ("m", 60),
        ("s", 1),
    ] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bare_numbers_take_the_keyword_unit() {
        assert_eq!(
            parse_duration("10512000", Unit::Minutes),
            Ok(Duration::from_secs(10512000 * 60))
        );
        assert_eq!(
            parse_duration("300", Unit::Seconds),
            Ok(Duration::from_secs(300))
        );
    }

    #[test]
    fn compound_strings() {
        assert_eq!(
            parse_duration("1d3h", Unit::Minutes),
            Ok(Duration::from_secs(27 * 3600))
        );
        assert_eq!(
            parse_duration("2h30m", Unit::Minutes),
            Ok(Duration::from_secs(9000))
        );
        assert_eq!(
            parse_duration("1w", Unit::Seconds),
            Ok(Duration::from_secs(604800))
        );
    }

    #[test]
    fn garbage_is_rejected_with_a_reason() {
        assert!(parse_duration("", Unit::Minutes).is_err());
        assert!(parse_duration("ten", Unit::Minutes)
            .unwrap_err()
            .contains("unexpected 't'"));
        assert!(parse_duration("1d3", Unit::Minutes).is_err());
        assert!(parse_duration("h", Unit::Minutes).is_err());
        assert!(parse_duration("99999999999999999999", Unit::Minutes).is_err());
    }

    proptest! {
        #[test]
        fn format_then_parse_round_trips(secs in 0u64..10_000_000_000) {
            let d = Duration::from_secs(secs);
            prop_assert_eq!(parse_duration(&format_duration(d), Unit::Minutes), Ok(d));
        }

        #[test]
        fn never_panics(text in "\\PC*") {
            let _ = parse_duration(&text, Unit::Minutes);
        }
    }
}
