//! Usage reports (SPEC §1.5): the vendor's account of who used which
//! product on which days, without sessions, into [`Usage::use_days`].
//!
//! Two shapes, told apart by their columns (any case; `_`, `-` and spaces
//! ignored):
//! - **day rows**: one row per user, product and date used — a user column
//!   (`Email`, `userName`, `User`, `Autodesk ID`, ... the first of these the
//!   header has, in that order), a product (`Product`, `product_name`), a
//!   date (`Day used`, `usageDate`, `Date`) and optionally `Tokens used`.
//!   Each row is one use-day. A row whose `Tokens used` is 0 is a use the
//!   vendor did not charge (a launch under its few minutes' threshold): it
//!   is counted, and is no use-day. Other token figures are the vendor's
//!   and are not used: the scenario's rules and rates charge use-days.
//! - **month rows**: one row per user, product and month with a count of
//!   days used (`Days used`); the month comes from a `Month` column
//!   (`2025-03`, `Mar 2025`, a date in the month) or from the date column.
//!   The count is placed on the month's first working days (Monday to
//!   Friday, then weekend days from the 1st when the count is larger),
//!   each flagged [`UseDay::dated_by_month`], so counts stay exact while
//!   the dates are only the month's. A count larger than the month's days is
//!   reported and capped at them.
//!
//! Dates: `2025-01-15` (a time after it is ignored), `2025/01/15`, the US
//! `1/15/2025`, the German `15.01.2025`, `Jan 15, 2025` and `15-Jan-2025`;
//! an XLSX date cell arrives as `2025-01-15 00:00:00`. The dates a report
//! covers (whole months for month rows) widen [`Usage::use_day_cover`].

use std::collections::HashSet;
use std::io::Read;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive as _;

use super::table::{self, Column};
use super::{Report, SourceKind, tokenflex};
use crate::usage::{Usage, UseDay};

/// Who: the first of these names the header has, in this order (an e-mail
/// identifies a person best; an Autodesk ID last).
pub(crate) const USER: Column = Column {
    name: "Email",
    aliases: &[
        "email",
        "emailaddress",
        "username",
        "user",
        "login",
        "autodeskid",
        "userid",
        "hashedautodeskid",
        "hasheduserid",
    ],
};
/// Which product.
pub(crate) const PRODUCT: Column = Column {
    name: "Product",
    aliases: &["product", "productname", "offeringname"],
};
/// The date used (day rows), or a date in the month (month rows).
pub(crate) const DATE: Column = Column {
    name: "Day used",
    aliases: &["dayused", "usagedate", "date", "day", "dateused"],
};
/// Days used in the month (month rows).
pub(crate) const DAYS: Column = Column {
    name: "Days used",
    aliases: &["daysused", "usagedays", "days"],
};
/// The month of a month row.
pub(crate) const MONTH: Column = Column {
    name: "Month",
    aliases: &["month", "usagemonth", "period"],
};
/// Tokens the vendor charged (optional).
pub(crate) const TOKENS: Column = Column {
    name: "Tokens used",
    aliases: &["tokensused", "tokens"],
};

/// What a row says.
#[derive(Clone, Copy, Debug)]
enum Shape {
    /// One row per date used.
    Day { date: usize },
    /// A count of days in a month, the month from this column.
    Month { days: usize, month: usize },
}

struct Cols {
    user: usize,
    product: usize,
    shape: Shape,
    tokens: Option<usize>,
}

/// The first alias of `col` (in its order) that the header has.
fn preferred(col: &Column, normalised: &[String]) -> Option<usize> {
    col.aliases
        .iter()
        .find_map(|a| normalised.iter().position(|h| h == a))
}

/// True when `header` (normalised) reads as a usage report: a user, a
/// product and a date or a days-used count.
pub(crate) fn looks_like(normalised: &[String]) -> bool {
    USER.present(normalised)
        && PRODUCT.present(normalised)
        && (DATE.present(normalised) || DAYS.present(normalised))
}

fn resolve(header: &[String]) -> Result<Cols, Vec<String>> {
    let n = table::normalised(header);
    let mut missing = Vec::new();
    let user = preferred(&USER, &n);
    if user.is_none() {
        missing.push(USER.missing(header));
    }
    let product = preferred(&PRODUCT, &n);
    if product.is_none() {
        missing.push(PRODUCT.missing(header));
    }
    let date = preferred(&DATE, &n);
    let shape = match (preferred(&DAYS, &n), preferred(&MONTH, &n).or(date)) {
        (Some(days), Some(month)) => Some(Shape::Month { days, month }),
        (Some(_), None) => {
            missing.push(format!(
                "a `Days used` column needs the month it counts: missing column `Month` (accepted names, any case: {}) or a date column ({}); the header has: {}; file not imported",
                MONTH.aliases.join(", "),
                DATE.aliases.join(", "),
                header.join(", ")
            ));
            None
        }
        (None, _) => match date {
            Some(date) => Some(Shape::Day { date }),
            None => {
                missing.push(format!(
                    "missing column `Day used` (or `Days used` with a month; accepted names, any case: {}; {}); the header has: {}; file not imported",
                    DATE.aliases.join(", "),
                    DAYS.aliases.join(", "),
                    header.join(", ")
                ));
                None
            }
        },
    };
    match (user, product, shape) {
        (Some(user), Some(product), Some(shape)) if missing.is_empty() => Ok(Cols {
            user,
            product,
            shape,
            tokens: preferred(&TOKENS, &n),
        }),
        _ => Err(missing),
    }
}

/// A date used: the forms of the module doc.
pub(crate) fn parse_day(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some(d) = tokenflex::parse_date(s) {
        return Some(d);
    }
    // A time after the date (`15.01.2025 00:00`) is ignored.
    let first = s.split(' ').next().unwrap_or(s);
    if let Ok(d) = NaiveDate::parse_from_str(first, "%d.%m.%Y") {
        return Some(d);
    }
    ["%b %d, %Y", "%B %d, %Y", "%d %b %Y", "%d %B %Y", "%d-%b-%Y"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(s, f).ok())
        .filter(|d| d.year() >= 1900)
}

/// The first day of the month `s` names: `2025-03`, `2025/03`, `03/2025`,
/// `3.2025`, `Mar 2025`, `March 2025`, `Mar-2025`, or any date in it.
pub(crate) fn parse_month(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Some(d) = parse_day(s) {
        return d.with_day(1);
    }
    let first_of = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1);
    let nums: Vec<&str> = s.split(['-', '/', '.']).map(str::trim).collect();
    if let [a, b] = nums[..]
        && let (Ok(x), Ok(y)) = (a.parse::<u32>(), b.parse::<u32>())
    {
        let (year, month) = if a.len() == 4 { (x, y) } else { (y, x) };
        return first_of(i32::try_from(year).ok()?, month);
    }
    for f in [
        "%b %Y", "%B %Y", "%b-%Y", "%B-%Y", "%Y-%b", "%b %y", "%b-%y",
    ] {
        // chrono needs a day to make a date.
        // A space in a format also takes no space, so `%Y` could read the
        // `-2025` of `Mar-2025`: a year must be a plausible one.
        if let Ok(d) = NaiveDate::parse_from_str(&format!("1 {s}"), &format!("%d {f}"))
            && d.year() >= 1900
        {
            return Some(d);
        }
    }
    None
}

/// The last day of the month that starts on `first`.
fn month_end(first: NaiveDate) -> NaiveDate {
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    next.and_then(|n| n.pred_opt()).unwrap_or(first)
}

/// The dates `n` use-days of the month starting on `first` are placed on:
/// its first working days, then its weekend days from the 1st. `n` is at
/// most the month's length.
pub(crate) fn month_placement(first: NaiveDate, n: u32) -> Vec<NaiveDate> {
    let days: Vec<NaiveDate> = first
        .iter_days()
        .take_while(|d| d.month() == first.month())
        .collect();
    let weekend = |d: &NaiveDate| matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
    days.iter()
        .filter(|d| !weekend(d))
        .chain(days.iter().filter(|d| weekend(d)))
        .take(n as usize)
        .copied()
        .collect()
}

/// Counts of one import, for the report.
#[derive(Default)]
struct Tally {
    use_days: u64,
    by_month: u64,
    month_rows: u64,
    zero_months: u64,
    zero_tokens: u64,
    duplicates: u64,
}

/// Reads a usage report into `usage.use_days` (see the module doc).
pub fn read_usage_report<R: Read>(file: &str, src: R, usage: &mut Usage) -> Report {
    let mut tally = Tally::default();
    let mut seen: HashSet<UseDay> = HashSet::new();
    let mut report = table::read_table(
        file,
        SourceKind::UsageReport,
        src,
        resolve,
        |c, line, rec, report| {
            let Some((user, product)) = who_and_what(c, line, rec, report) else {
                return false;
            };
            let dates = match c.shape {
                Shape::Day { date } => day_row(c, date, line, rec, report, &mut tally),
                Shape::Month { days, month } => {
                    month_row(days, month, line, rec, report, &mut tally)
                }
            };
            let Some((dates, by_month, cover)) = dates else {
                return false;
            };
            let user = usage.users.intern(user);
            let product = usage.features.intern(product);
            for date in dates {
                let d = UseDay {
                    date,
                    user,
                    product,
                    dated_by_month: by_month,
                };
                if !seen.insert(d) {
                    tally.duplicates += 1;
                }
                usage.use_days.push(d);
                tally.use_days += 1;
                tally.by_month += u64::from(by_month);
            }
            usage.cover_use_days(cover.0, cover.1);
            true
        },
    );
    report.count("use-days", tally.use_days);
    let mut extra = |what: &str, n: u64| {
        if n > 0 {
            report.count(what, n);
        }
    };
    extra("use-days dated by month", tally.by_month);
    extra("month rows", tally.month_rows);
    extra("month rows with 0 days used", tally.zero_months);
    extra(
        "rows with 0 tokens used (a use under the vendor's threshold: no use-day)",
        tally.zero_tokens,
    );
    extra(
        "use-days listed twice in this file (one charge)",
        tally.duplicates,
    );
    report
}

/// The user and product of a row, or a skip.
fn who_and_what<'r>(
    c: &Cols,
    line: u64,
    rec: &'r csv::ByteRecord,
    report: &mut Report,
) -> Option<(&'r str, &'r str)> {
    let (Ok(user), Ok(product)) = (
        table::field(rec, Some(c.user)),
        table::field(rec, Some(c.product)),
    ) else {
        report.skip(line, "not UTF-8", "row is not valid UTF-8; row skipped");
        return None;
    };
    if user.is_empty() {
        report.skip(line, "empty user", "user is empty; row skipped");
        return None;
    }
    if product.is_empty() {
        report.skip(line, "empty product", "product is empty; row skipped");
        return None;
    }
    Some((user, product))
}

/// Dates of a row, whether they are dated by month, and the dates it covers.
type Dated = (Vec<NaiveDate>, bool, (NaiveDate, NaiveDate));

fn day_row(
    c: &Cols,
    col: usize,
    line: u64,
    rec: &csv::ByteRecord,
    report: &mut Report,
    tally: &mut Tally,
) -> Option<Dated> {
    let raw = table::field(rec, Some(col)).unwrap_or("");
    let Some(date) = parse_day(raw) else {
        report.skip(
            line,
            "bad date",
            format!(
                "date used {raw:?} is not a date (expected 2025-01-15, 1/15/2025 or 15.01.2025); row skipped"
            ),
        );
        return None;
    };
    let tokens = match table::field(rec, c.tokens) {
        Ok("") | Err(()) => None,
        Ok(t) => match Decimal::from_str(t) {
            Ok(v) => Some(v),
            Err(_) => {
                report.problem(
                    line,
                    format!("tokens used {t:?} is not a number; ignored, row kept"),
                );
                None
            }
        },
    };
    if tokens.is_some_and(|t| t.is_zero()) {
        tally.zero_tokens += 1;
        return Some((Vec::new(), false, (date, date)));
    }
    Some((vec![date], false, (date, date)))
}

fn month_row(
    days_col: usize,
    month_col: usize,
    line: u64,
    rec: &csv::ByteRecord,
    report: &mut Report,
    tally: &mut Tally,
) -> Option<Dated> {
    let raw_month = table::field(rec, Some(month_col)).unwrap_or("");
    let Some(first) = parse_month(raw_month) else {
        report.skip(
            line,
            "bad month",
            format!(
                "month {raw_month:?} is not a month (expected 2025-03, Mar 2025 or a date in the month); row skipped"
            ),
        );
        return None;
    };
    let raw_days = table::field(rec, Some(days_col)).unwrap_or("");
    let days = Decimal::from_str(raw_days)
        .ok()
        .filter(|d| d.fract().is_zero() && !d.is_sign_negative())
        .and_then(|d| d.to_u32());
    let Some(days) = days else {
        report.skip(
            line,
            "bad days used",
            format!("days used {raw_days:?} is not a whole number of days; row skipped"),
        );
        return None;
    };
    let last = month_end(first);
    let length = last.day();
    let n = if days > length {
        report.problem(
            line,
            format!(
                "{days} days used in {}, which has {length} days; counted as {length}",
                first.format("%B %Y")
            ),
        );
        length
    } else {
        days
    };
    tally.month_rows += 1;
    if n == 0 {
        tally.zero_months += 1;
    }
    Some((month_placement(first, n), true, (first, last)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::from_str(s).unwrap()
    }

    #[test]
    fn dates_and_months_in_every_form() {
        for s in [
            "2025-01-15",
            "2025-01-15 00:00:00",
            "2025/01/15",
            "1/15/2025",
            "15.01.2025",
            "Jan 15, 2025",
            "15-Jan-2025",
        ] {
            assert_eq!(parse_day(s), Some(d("2025-01-15")), "{s}");
        }
        assert_eq!(parse_day("2025-13-01"), None);
        for s in [
            "2025-03",
            "2025/3",
            "03/2025",
            "3.2025",
            "Mar 2025",
            "March 2025",
            "Mar-2025",
            "2025-03-17",
        ] {
            assert_eq!(parse_month(s), Some(d("2025-03-01")), "{s}");
        }
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(month_end(d("2024-02-01")), d("2024-02-29"));
        assert_eq!(month_end(d("2025-12-01")), d("2025-12-31"));
    }

    #[test]
    fn month_counts_go_on_the_first_working_days() {
        // March 2025 starts on a Saturday: working days are 3-7, 10-14, ...
        let p = month_placement(d("2025-03-01"), 6);
        assert_eq!(
            p,
            [
                "2025-03-03",
                "2025-03-04",
                "2025-03-05",
                "2025-03-06",
                "2025-03-07",
                "2025-03-10"
            ]
            .map(d)
        );
        // 21 working days in March 2025; 23 days take the 1st and 2nd (a weekend).
        let p = month_placement(d("2025-03-01"), 23);
        assert_eq!(p.len(), 23);
        assert_eq!(&p[21..], &[d("2025-03-01"), d("2025-03-02")]);
        assert_eq!(month_placement(d("2025-03-01"), 31).len(), 31);
    }
}
