//! Autodesk Token Flex usage export (SPEC §1.3): daily charges as the
//! vendor reports them, into [`Usage::vendor_charges`].
//!
//! Columns are found by name, any case, `_`, `-` and spaces ignored:
//! `usageDate` (or `Day used`), `userName` (or `Email`), `productLineCode`,
//! `productName` (or `Product`), `tokensConsumed` (or `Tokens used`), and
//! the optional `usageHours` and `machineName`. The product of a charge is
//! the product line code, or the product name when the export has no code.
//! `usageCategory`, `contractYear` and `tokenPool` are accepted and not
//! used. Tokens and hours are decimals, never floats.

use std::io::Read;
use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::table::{self, Column};
use super::{Report, SourceKind};
use crate::usage::{Usage, VendorCharge};

/// Charge date.
pub(crate) const DATE: Column = Column {
    name: "usageDate",
    aliases: &["usagedate", "dayused", "date"],
};
/// Who.
pub(crate) const USER: Column = Column {
    name: "userName",
    aliases: &["username", "email", "emailaddress", "user"],
};
/// Product line code (`ACD`).
pub(crate) const PRODUCT_CODE: Column = Column {
    name: "productLineCode",
    aliases: &["productlinecode"],
};
/// Product name (`AutoCAD`).
pub(crate) const PRODUCT_NAME: Column = Column {
    name: "productName",
    aliases: &["productname", "product"],
};
/// Tokens charged.
pub(crate) const TOKENS: Column = Column {
    name: "tokensConsumed",
    aliases: &["tokensconsumed", "tokensused", "tokens"],
};
/// Hours of use (optional).
pub(crate) const HOURS: Column = Column {
    name: "usageHours",
    aliases: &["usagehours", "hours"],
};
/// Machine (optional).
pub(crate) const MACHINE: Column = Column {
    name: "machineName",
    // `host` too: the name a column mapped as the host role gets.
    aliases: &["machinename", "machine", "host"],
};

struct Cols {
    date: usize,
    user: usize,
    code: Option<usize>,
    name: Option<usize>,
    tokens: usize,
    hours: Option<usize>,
    machine: Option<usize>,
}

fn resolve(header: &[String]) -> Result<Cols, Vec<String>> {
    let n = table::normalised(header);
    let mut missing = Vec::new();
    let mut need = |c: &Column| {
        let f = c.find(&n);
        if f.is_none() {
            missing.push(c.missing(header));
        }
        f.unwrap_or(0)
    };
    let date = need(&DATE);
    let user = need(&USER);
    let tokens = need(&TOKENS);
    let code = PRODUCT_CODE.find(&n);
    let name = PRODUCT_NAME.find(&n);
    if code.is_none() && name.is_none() {
        missing.push(format!(
            "missing column `productLineCode` (or `productName`; accepted names, any case: {}, {}); the header has: {}; file not imported",
            PRODUCT_CODE.aliases.join(", "),
            PRODUCT_NAME.aliases.join(", "),
            header.join(", ")
        ));
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(Cols {
        date,
        user,
        code,
        name,
        tokens,
        hours: HOURS.find(&n),
        machine: MACHINE.find(&n),
    })
}

/// A charge date: `2025-01-15` (a time after it is ignored), `2025/01/15`
/// or the US form `1/15/2025`.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    let ymd = s.get(..10).unwrap_or(s);
    let rest = s.get(10..).unwrap_or("");
    if rest.is_empty() || rest.starts_with(['T', 't', ' ']) {
        for fmt in ["%Y-%m-%d", "%Y/%m/%d"] {
            if let Ok(d) = NaiveDate::parse_from_str(ymd, fmt) {
                return Some(d);
            }
        }
    }
    let date = s.split([' ', 'T']).next().unwrap_or(s);
    NaiveDate::parse_from_str(date, "%m/%d/%Y").ok()
}

/// Reads a Token Flex usage export into `usage.vendor_charges`.
pub fn read_token_flex<R: Read>(file: &str, src: R, usage: &mut Usage) -> Report {
    let before = usage.vendor_charges.len();
    let mut report = table::read_table(
        file,
        SourceKind::TokenFlex,
        src,
        resolve,
        |c, line, rec, report| read_row(c, line, rec, report, usage),
    );
    report.count(
        "vendor charges",
        (usage.vendor_charges.len() - before) as u64,
    );
    report
}

/// One row of the export: a vendor charge, or a skip with its reason.
fn read_row(
    c: &Cols,
    line: u64,
    rec: &csv::ByteRecord,
    report: &mut Report,
    usage: &mut Usage,
) -> bool {
    let Ok(date_raw) = table::field(rec, Some(c.date)) else {
        report.skip(
            line,
            "not UTF-8",
            "usageDate is not valid UTF-8; row skipped",
        );
        return false;
    };
    let Some(date) = parse_date(date_raw) else {
        report.skip(
        line,
        "bad date",
        format!("usageDate {date_raw:?} is not a date (expected 2025-01-15 or 1/15/2025); row skipped"),
    );
        return false;
    };
    let user = match table::field(rec, Some(c.user)) {
        Ok("") => {
            report.skip(line, "empty user", "userName is empty; row skipped");
            return false;
        }
        Ok(u) => u,
        Err(()) => {
            report.skip(
                line,
                "not UTF-8",
                "userName is not valid UTF-8; row skipped",
            );
            return false;
        }
    };
    let (Ok(code), Ok(name)) = (table::field(rec, c.code), table::field(rec, c.name)) else {
        report.skip(line, "not UTF-8", "product is not valid UTF-8; row skipped");
        return false;
    };
    let product = if code.is_empty() { name } else { code };
    if product.is_empty() {
        report.skip(
            line,
            "empty product",
            "productLineCode and productName are empty; row skipped",
        );
        return false;
    }
    let Ok(tokens_raw) = table::field(rec, Some(c.tokens)) else {
        report.skip(
            line,
            "not UTF-8",
            "tokensConsumed is not valid UTF-8; row skipped",
        );
        return false;
    };
    let Some(tokens) = consumed(tokens_raw, line, report) else {
        return false;
    };
    let hours = usage_hours(rec, c, line, report);
    let host = match table::field(rec, c.machine) {
        Ok("") => None,
        Ok(m) => Some(usage.hosts.intern(m)),
        Err(()) => {
            report.problem(
                line,
                "machineName is not valid UTF-8; machine left out, row kept",
            );
            None
        }
    };
    let user = usage.users.intern(user);
    let product = usage.features.intern(product);
    usage.vendor_charges.push(VendorCharge {
        date,
        user,
        product,
        tokens,
        hours,
        host,
    });
    true
}

/// `tokensConsumed`: a number, not negative; `None` (skipped with the
/// reason) otherwise.
fn consumed(tokens_raw: &str, line: u64, report: &mut Report) -> Option<Decimal> {
    match Decimal::from_str(tokens_raw) {
        Ok(t) if t.is_sign_negative() && !t.is_zero() => {
            report.skip(
                line,
                "bad tokens",
                format!("tokensConsumed {tokens_raw} is negative; row skipped"),
            );
            None
        }
        Ok(t) => Some(t),
        Err(_) => {
            report.skip(
                line,
                "bad tokens",
                format!("tokensConsumed {tokens_raw:?} is not a number; row skipped"),
            );
            None
        }
    }
}

/// `usageHours`, when given and a number of hours; a bad value is reported
/// and left out (the row is kept).
fn usage_hours(rec: &csv::ByteRecord, c: &Cols, line: u64, report: &mut Report) -> Option<Decimal> {
    match table::field(rec, c.hours) {
        Ok("") => None,
        Ok(h) => match Decimal::from_str(h) {
            Ok(h) if !h.is_sign_negative() || h.is_zero() => Some(h),
            _ => {
                report.problem(
                    line,
                    format!("usageHours {h:?} is not a number of hours; hours left out, row kept"),
                );
                None
            }
        },
        Err(()) => {
            report.problem(
                line,
                "usageHours is not valid UTF-8; hours left out, row kept",
            );
            None
        }
    }
}
