//! Line plumbing shared by the text-report importers ([`super::lmstat`],
//! [`super::rlm`]): a line loop that accounts for every physical line and
//! decodes what is not UTF-8, and the small date and time pieces both
//! formats write (`M/D`, `M/D/YYYY`, `H:MM[:SS[.frac]]`).

use std::io::BufRead;

use chrono::{NaiveDate, NaiveTime};

use super::Report;

/// The count of lines that were not UTF-8 (read with replacement
/// characters), as it appears in [`Report::counts`].
pub const NOT_UTF8: &str = "lines not UTF-8 (read with replacement characters)";

/// Calls `f(line_no, text)` for every line of `reader`, `text` without its
/// line terminator, trailing blanks or a leading byte-order mark, and
/// counts [`Report::lines_read`]. A read error ends the loop and is a
/// problem (fatal when nothing was read).
pub fn for_each_line<R: BufRead>(
    mut reader: R,
    report: &mut Report,
    mut f: impl FnMut(u64, &str, &mut Report),
) {
    let mut raw = Vec::with_capacity(256);
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                report.fatal = report.lines_read == 0;
                report.problem(
                    report.lines_read + 1,
                    format!("cannot read further: {e}; the file is taken as ending here"),
                );
                break;
            }
        }
        report.lines_read += 1;
        let line_no = report.lines_read;
        let bytes = if line_no == 1 {
            raw.strip_prefix(super::table::BOM).unwrap_or(&raw)
        } else {
            &raw[..]
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(s) => std::borrow::Cow::Borrowed(s),
            Err(_) => {
                report.count(NOT_UTF8, 1);
                String::from_utf8_lossy(bytes)
            }
        };
        f(line_no, text.trim_end(), report);
    }
}

/// `M/D` (one or two digits each) as (month, day); not checked against a
/// calendar.
pub fn parse_md(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.split_once('/')?;
    let m: u32 = small_number(m)?;
    let d: u32 = small_number(d)?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((m, d))
}

/// `M/D/YYYY` as a date.
pub fn parse_mdy(s: &str) -> Option<NaiveDate> {
    let (md, y) = s.rsplit_once('/')?;
    let (m, d) = parse_md(md)?;
    if y.len() != 4 || !y.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m, d)
}

/// `H:MM`, `H:MM:SS` or `H:MM:SS.fraction` (the fraction is dropped: sessions
/// hold whole seconds).
pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let mut parts = s.splitn(3, ':');
    let h = small_number(parts.next()?)?;
    let m = parts.next()?;
    if m.len() != 2 {
        return None;
    }
    let m = small_number(m)?;
    let sec = match parts.next() {
        None => 0,
        Some(rest) => {
            let whole = rest.split_once('.').map_or(rest, |(w, frac)| {
                if frac.bytes().all(|b| b.is_ascii_digit()) {
                    w
                } else {
                    // Not a fraction: make the seconds unreadable.
                    ""
                }
            });
            if whole.len() != 2 {
                return None;
            }
            small_number(whole)?
        }
    };
    NaiveTime::from_hms_opt(h, m, sec)
}

/// A number of one or two ASCII digits.
fn small_number(s: &str) -> Option<u32> {
    if s.is_empty() || s.len() > 2 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// The first 120 characters of `s`, for messages that quote a line.
pub fn preview(s: &str) -> String {
    let t = s.trim();
    let mut out: String = t.chars().take(120).collect();
    if t.chars().nth(120).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(parse_md("2/10"), Some((2, 10)));
        assert_eq!(parse_md("12/31"), Some((12, 31)));
        assert_eq!(parse_md("13/1"), None);
        assert_eq!(parse_md("1/123"), None);
        assert_eq!(parse_mdy("2/10/2025"), NaiveDate::from_ymd_opt(2025, 2, 10));
        assert_eq!(parse_mdy("02/30/2025"), None);
        assert_eq!(parse_mdy("2/10/25"), None);
        assert_eq!(parse_time("0:10"), NaiveTime::from_hms_opt(0, 10, 0));
        assert_eq!(parse_time("14:05:09"), NaiveTime::from_hms_opt(14, 5, 9));
        assert_eq!(
            parse_time("14:05:09.1234"),
            NaiveTime::from_hms_opt(14, 5, 9)
        );
        assert_eq!(parse_time("14:5"), None);
        assert_eq!(parse_time("24:00"), None);
        assert_eq!(parse_time("14:05:09.x"), None);
        assert_eq!(preview("  abc  "), "abc");
    }
}
