//! FlexNet debug log importer (SPEC §1.2) — placeholder.
//!
//! The real importer is written on another branch; this stub only lets
//! detection and the import entry point build and be tested meanwhile.

use std::io::BufRead;

use super::{ImportOptions, Report, SourceKind};
use crate::usage::Usage;

/// Reads a debug log into `usage` (not supported by this placeholder: the
/// report is fatal).
pub fn read_debug_log<R: BufRead>(
    file: &str,
    _reader: R,
    _opts: &ImportOptions,
    _usage: &mut Usage,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::DebugLog);
    report.fatal = true;
    report.problem(0, "debug logs not supported yet");
    report
}

/// True when the first lines of `head` look like FlexNet debug log events
/// (`H:MM:SS (daemon) message`).
pub fn looks_like_debug_log(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head));
    let mut events = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(50) {
        let l = line.trim_start();
        let Some((time, rest)) = l.split_once(' ') else {
            continue;
        };
        let parts: Vec<&str> = time.split(':').collect();
        let is_time = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 2 && p.bytes().all(|b| b.is_ascii_digit()));
        if is_time && rest.starts_with('(') && rest.contains(')') {
            events += 1;
        }
    }
    events > 0
}
