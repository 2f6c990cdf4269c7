//! Tells the kind of an input file from its first bytes.
//!
//! A FlexNet debug log is recognised by its event lines; the CSV kinds by
//! the names in their header (any case, `_`, `-` and spaces ignored):
//! assignments have `subscription`; sessions have user, product, start and
//! end; a Token Flex export has a usage date and tokens; a directory has
//! `department`, `cost_center`, `location` or `time_zone` and no start or
//! end. `lmstat -a` output is recognised by its `Flexible License Manager
//! status on` header, an RLM report log by its `RLM Report Log Format` line
//! or its records. Anything else is refused with a reason that says what is
//! accepted.

use super::table::{self, Column};
use super::{SourceKind, assignments, directory, flexlog, lmstat, rlm, sessions_csv, tokenflex};

/// What the importers accept, for error messages.
pub(crate) const ACCEPTED: &str = "tokenplan reads a session CSV (columns user, product, start, end), \
a FlexNet debug log, an Autodesk Token Flex usage export (usageDate, userName, productLineCode, tokensConsumed), \
a user directory CSV (user and department, cost_center, location or time_zone), \
an assignments CSV (user, subscription), `lmutil lmstat -a` snapshots \
or an RLM report log; --kind forces one";

/// The kind of a file from its first bytes `head` (64 KiB is plenty);
/// `None` when it is none of the known kinds. `name` only sharpens the
/// reason the import error gives.
pub fn detect(name: &str, head: &[u8]) -> Option<SourceKind> {
    classify(name, head).ok()
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
    let lower = name.to_ascii_lowercase();
    if head.starts_with(b"PK\x03\x04") || lower.ends_with(".xlsx") || lower.ends_with(".xls") {
        return Err(format!(
            "this looks like a spreadsheet workbook or a zip archive, not text; export the sheet as CSV UTF-8. {ACCEPTED}"
        ));
    }
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
    if !timed && has(&tokenflex::DATE) && has(&tokenflex::TOKENS) && has(&tokenflex::USER) {
        return Ok(SourceKind::TokenFlex);
    }
    let meta = [
        &directory::DEPARTMENT,
        &directory::COST_CENTER,
        &directory::LOCATION,
        &directory::TIME_ZONE,
    ];
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
        assert_eq!(
            k("Email,Product,Day used,Tokens used\n"),
            Ok(SourceKind::TokenFlex)
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
