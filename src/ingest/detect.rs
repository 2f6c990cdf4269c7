//! Tells the kind of an input file from its first bytes.
//!
//! A FlexNet debug log is recognised by its event lines; the CSV kinds by
//! the names in their header (any case, `_`, `-` and spaces ignored):
//! an alias table has `alias` and user; assignments have `subscription`;
//! sessions have user, product, start and end; a Token Flex export has a
//! usage date, a user and tokens and one of its own names
//! (`productLineCode`, `tokensConsumed`); a usage report has a user, a
//! product and a date used or a days-used count; a directory has
//! `department`, `cost_center`, `location` or `time_zone` and no start or
//! end. `lmstat -a` output is recognised by its `Flexible License Manager
//! status on` header, an RLM report log by its `RLM Report Log Format` line
//! or its records. Anything else is refused with a reason that says what is
//! accepted. (An XLSX workbook is read from its sheet first; its text comes
//! here.)

use super::table::{self, Column};
use super::{
    SourceKind, aliases, assignments, directory, flexlog, lmstat, rlm, sessions_csv, tokenflex,
    usage_report,
};

/// What the importers accept, for error messages.
pub(crate) const ACCEPTED: &str = "tokenplan reads a session CSV (columns user, product, start, end), \
a FlexNet debug log, an Autodesk Token Flex usage export (usageDate, userName, productLineCode, tokensConsumed), \
a usage report (Email, Product, Day used; or Days used with a Month), \
a user directory CSV (user and department, cost_center, location or time_zone), \
an assignments CSV (user, subscription) or an alias table (alias, user), as CSV or XLSX; \
`lmutil lmstat -a` snapshots or an RLM report log; \
--kind forces one, --columns user=...,product=...,date=... names the columns of another table";

/// The kind of a file from its first bytes `head` (64 KiB is plenty);
/// `None` when it is none of the known kinds. `name` only sharpens the
/// reason the import error gives.
pub fn detect(name: &str, head: &[u8]) -> Option<SourceKind> {
    classify(name, head).ok()
}

/// True when `head` is text whose first line is a header of no known kind:
/// the table a column map can make readable (not an empty, binary, UTF-16
/// or spreadsheet file, and not a log).
pub(crate) fn is_unknown_table(head: &[u8]) -> bool {
    let body = table::strip_bom(head);
    let probe = body.get(..body.len().min(4096)).unwrap_or(body);
    let Some(line) = table::first_line(body) else {
        return false;
    };
    let header = table::header_names(line, table::sniff_delimiter(line));
    classify("", head).is_err()
        && !probe.contains(&0)
        && std::str::from_utf8(line).is_ok()
        && !head.starts_with(b"\xFF\xFE")
        && !head.starts_with(b"\xFE\xFF")
        && !head.starts_with(b"PK\x03\x04")
        && header.iter().filter(|h| !h.is_empty()).count() >= 2
}

/// Why `head` is of no known kind (or the kind, when it is one).
pub(crate) fn classify(name: &str, head: &[u8]) -> Result<SourceKind, String> {
    if head.is_empty() {
        return Err(format!("the file is empty; {ACCEPTED}"));
    }
    if head.starts_with(b"\xFF\xFE") || head.starts_with(b"\xFE\xFF") {
        return Err(
            "the file is UTF-16 text; save it as UTF-8 (\"CSV UTF-8\") and import it again".into(),
        );
    }
    if head.starts_with(b"PK\x03\x04") {
        return Err(format!(
            "this is an XLSX workbook or another zip archive: its kind is told from its sheet when it is imported. {ACCEPTED}"
        ));
    }
    if head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        return Err(format!(
            "this is an Excel 97-2003 workbook (.xls) or another OLE file; save it from Excel as .xlsx or CSV UTF-8. {ACCEPTED}"
        ));
    }
    let _ = name;
    if flexlog::looks_like_debug_log(head) {
        return Ok(SourceKind::DebugLog);
    }
    if lmstat::looks_like_lmstat(head) {
        return Ok(SourceKind::Lmstat);
    }
    if rlm::looks_like_rlm(head) {
        return Ok(SourceKind::Rlm);
    }
    let body = table::strip_bom(head);
    let Some(line) = table::first_line(body) else {
        return Err(format!("the file has only blank lines; {ACCEPTED}"));
    };
    let probe = body.get(..body.len().min(4096)).unwrap_or(body);
    if probe.contains(&0) || std::str::from_utf8(line).is_err() {
        return Err(format!("the content is binary, not text; {ACCEPTED}"));
    }
    let delim = table::sniff_delimiter(line);
    let header = table::header_names(line, delim);
    let n = table::normalised(&header);
    let has = |c: &Column| c.present(&n);
    let meta = [
        &directory::DEPARTMENT,
        &directory::COST_CENTER,
        &directory::LOCATION,
        &directory::TIME_ZONE,
    ];
    // An `alias` column beside a directory's, an assignment's or a
    // product's columns is that table's; an alias table has no others.
    let other = has(&assignments::SUBSCRIPTION)
        || has(&usage_report::PRODUCT)
        || meta.iter().any(|c| has(c));
    if has(&aliases::ALIAS) && has(&aliases::USER) && !other {
        return Ok(SourceKind::Aliases);
    }
    if has(&assignments::SUBSCRIPTION) && has(&assignments::USER) {
        return Ok(SourceKind::Assignments);
    }
    let session_cols = [
        &sessions_csv::USER,
        &sessions_csv::PRODUCT,
        &sessions_csv::START,
        &sessions_csv::END,
    ];
    if session_cols.iter().all(|c| has(c)) {
        return Ok(SourceKind::Sessions);
    }
    let timed = has(&sessions_csv::START) || has(&sessions_csv::END);
    let flex = !timed && has(&tokenflex::DATE) && has(&tokenflex::TOKENS) && has(&tokenflex::USER);
    // Autodesk's own Token Flex names tell an export of charges from a
    // usage report of days used, which also has a date and may have tokens.
    let flex_names = has(&tokenflex::PRODUCT_CODE) || n.iter().any(|h| h == "tokensconsumed");
    if flex && flex_names {
        return Ok(SourceKind::TokenFlex);
    }
    if !timed && usage_report::looks_like(&n) {
        return Ok(SourceKind::UsageReport);
    }
    if flex {
        return Ok(SourceKind::TokenFlex);
    }
    if !timed && has(&directory::USER) && meta.iter().any(|c| has(c)) {
        return Ok(SourceKind::Directory);
    }
    let shown: String = String::from_utf8_lossy(line).chars().take(200).collect();
    let found = session_cols.iter().filter(|c| has(c)).count();
    let hint = if found >= 2 {
        let missing: Vec<String> = session_cols
            .iter()
            .filter(|c| !has(c))
            .map(|c| format!("`{}` (or {})", c.name, c.aliases.join(", ")))
            .collect();
        format!(
            " It looks like a session CSV without {}.",
            missing.join(" and ")
        )
    } else {
        String::new()
    };
    Err(format!(
        "the first line `{shown}` names the columns of no known kind.{hint} {ACCEPTED}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_kinds_by_header() {
        let k = |h: &str| classify("x.csv", h.as_bytes());
        assert_eq!(k("user,product,host,start,end\n"), Ok(SourceKind::Sessions));
        assert_eq!(
            k("Login;Feature;Checkout;Checkin\n"),
            Ok(SourceKind::Sessions)
        );
        assert_eq!(k("user,subscription\n"), Ok(SourceKind::Assignments));
        assert_eq!(
            k("user,department,location,time_zone,persona\n"),
            Ok(SourceKind::Directory)
        );
        assert_eq!(k("user\tcost_center\n"), Ok(SourceKind::Directory));
        assert_eq!(
            k("usageDate,userName,productLineCode,productName,tokensConsumed\n"),
            Ok(SourceKind::TokenFlex)
        );
        // Autodesk's usage report (SPEC §1.5): days used, not charges.
        assert_eq!(
            k("Email,Product,Day used,Tokens used\n"),
            Ok(SourceKind::UsageReport)
        );
        assert_eq!(
            k("Team,Email,First name,Last name,Product,Days used,Month\n"),
            Ok(SourceKind::UsageReport)
        );
        assert_eq!(
            k("usageDate,userName,productName,tokensConsumed\n"),
            Ok(SourceKind::TokenFlex)
        );
        assert_eq!(k("alias,user\n"), Ok(SourceKind::Aliases));
        assert_eq!(k("user,alias,department\n"), Ok(SourceKind::Directory));
        assert!(
            k("PK\u{3}\u{4}rest")
                .unwrap_err()
                .starts_with("this is an XLSX workbook")
        );
        let e = k("user,product,start\n").unwrap_err();
        assert!(
            e.contains("session CSV without `end` (or end, endtime, checkin, in)"),
            "{e}"
        );
        assert!(k("").unwrap_err().starts_with("the file is empty"));
        assert!(
            k("\u{0}\u{1}\u{2}")
                .unwrap_err()
                .starts_with("the content is binary")
        );
    }
}
