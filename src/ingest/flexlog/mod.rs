//! FlexNet debug log importer (SPEC §1.2): `lmgrd.log`, `debug.log`,
//! `<vendor>.log` and the like.
//!
//! [`read_debug_log`] turns the `OUT:`/`IN:` lines of one log into
//! [`Session`]s and its `DENIED:` lines into [`Denial`]s, and accounts for
//! every line in the [`Report`]: used, or skipped under one of the
//! [`reasons`]. [`looks_like_debug_log`] is the content test of kind
//! detection.
//!
//! Event lines carry only a time of day (`H:MM:SS (daemon) message`). The
//! date comes from anchor lines (`TIMESTAMP M/D/YYYY`, the lmgrd start
//! banner, `Server's System Date and Time:`, SLOG `Start-Date:`/`Time:`);
//! between anchors, a clock more than 90 minutes behind the previous line
//! means midnight has passed. Wall-clock times are local times of
//! [`ImportOptions::time_zone`], so daylight-saving changes come from the
//! zone's rules, not from guessing.
//!
//! Lines before the first anchor are dated back from it by the same rule;
//! a log without any anchor is one error for the whole file, unless
//! [`ImportOptions::start_date`] gives the date of its first line.
//!
//! Reading is in two parts: each line on its own ([`lines`], pure, so
//! blocks of the file are read on all cores by [`parallel`]), then the
//! [`importer`] walks the lines in file order with the clock and the open
//! checkouts. [`read_debug_log_sequential`] does the same line by line on
//! one thread; both give the same usage and report.
//!
//! [`Session`]: crate::usage::Session
//! [`Denial`]: crate::usage::Denial

mod clock;
mod grammar;
mod importer;
mod lines;
mod parallel;
mod subjects;
#[cfg(test)]
mod tests;

use std::io::{BufRead, Read};
use std::sync::{Arc, PoisonError, RwLock};

use super::{ImportOptions, Report, SourceKind};
use crate::usage::Usage;
use grammar::{clean, decode_windows_1252, decode_windows_1252_or_utf8, envelope};
use importer::Importer;
use lines::{Table, parse_line};
use subjects::Known;

/// The reasons a line is skipped, as they appear in [`Report::skipped`].
pub mod reasons {
    /// An empty line (after trimming).
    pub const BLANK: &str = "blank line";
    /// No `H:MM:SS (daemon)` envelope: garbage or a continuation line.
    pub const NO_ENVELOPE: &str = "no envelope";
    /// SLOG statistics (`(@daemon-SLOG@) ...`, `SLOG: ...`) other than the
    /// date anchors among them.
    pub const STATISTICS: &str = "statistics";
    /// Any other message that is not usage (startup chatter, feature lists,
    /// options, rereads, ...).
    pub const UNKNOWN: &str = "unknown message";
    /// `UNSUPPORTED:` probes for a feature the server does not have.
    pub const UNSUPPORTED: &str = "unsupported";
    /// `QUEUED:` and `DEQUEUED:` lines.
    pub const QUEUED: &str = "queued";
    /// An `IN:` (or `REMOVING`) with no open checkout to close.
    pub const IN_WITHOUT_OUT: &str = "IN without OUT";
    /// An `OUT:`/`IN:`/`DENIED:`/`REMOVING` line whose feature or
    /// `user@host` cannot be read.
    pub const BAD_EVENT: &str = "bad event";
    /// A `(N licenses)` count of 0, or above what a session can hold
    /// (65535) or a denial can hold (u32).
    pub const BAD_COUNT: &str = "bad count";
    /// An anchor line whose date cannot be read.
    pub const BAD_DATE: &str = "bad date";
    /// An event line of a log that has no date anchor at all (and no start
    /// date was given).
    pub const NO_DATE: &str = "no date";
    /// An instant outside 1970..2106 (sessions store `u32` seconds).
    pub const OUT_OF_RANGE: &str = "time out of range";
}

/// The names of the counts in [`Report::counts`].
pub mod counts {
    /// Sessions added to the usage.
    pub const SESSIONS: &str = "sessions";
    /// Denials added to the usage.
    pub const DENIALS: &str = "denials";
    /// Sessions closed at the end of the log or at a server restart.
    pub const TRUNCATED: &str = "truncated sessions";
    /// Sessions closed by an idle reclaim, `IN: ... (INACTIVE)`.
    pub const IDLE_RECLAIMS: &str = "idle reclaims";
    /// Sessions closed by a graceful stop, `IN: ... (SHUTDOWN)`.
    pub const SHUTDOWN_CHECKINS: &str = "shutdown checkins";
    /// Sessions closed by an administrator, `REMOVING user@host from F`.
    pub const REMOVALS: &str = "removals";
    /// Server start banners (each one closes what is still open).
    pub const SERVER_STARTS: &str = "server starts";
    /// Anchors whose date differs from the date the clock had reached.
    pub const DATE_RESYNCS: &str = "date resyncs";
    /// Lines that were not UTF-8 and were read as Windows-1252.
    pub const WINDOWS_1252: &str = "windows-1252 lines";
    /// IBM entitlement records: zero-length `OUT:`/`IN:` pairs of a
    /// product's own feature beside a token checkout of that product in the
    /// same second by the same user@host; not use, so not sessions (their
    /// two lines are counted as used).
    pub const ENTITLEMENT_RECORDS: &str = "entitlement records";
    /// Prefix of the count of sessions closed by an `IN:` with a reason
    /// other than `INACTIVE` or `SHUTDOWN`; see [`checkin_reason`].
    pub const CHECKIN_REASON: &str = "checkins with reason";
    /// Sessions closed with a reason beyond the first 20 distinct ones.
    pub const OTHER_CHECKIN_REASONS: &str = "checkins with other reasons";
    /// 1 when the log had no date anchor and was dated from
    /// [`crate::ingest::ImportOptions::start_date`].
    pub const START_DATE: &str = "dated from the start date given";

    /// The count of sessions closed by `IN: ... (reason)`:
    /// `checkins with reason (UNKNOWN)`.
    pub fn checkin_reason(reason: &str) -> String {
        format!("{CHECKIN_REASON} ({reason})")
    }
}

/// Reads one debug log into `usage`, in blocks on all cores; never fails on
/// content (only the reader's I/O errors are problems too).
///
/// Sessions get the feature as written, or for IBM token pools (`TLSTOK`,
/// `TLSTOK-token`) the product named by the checkout data; `draw` is the
/// `(N licenses)` count (1 for a token pool line without one, 0 = "the
/// product's rate" otherwise). An I/O error stops the reading, is recorded
/// as a problem (fatal when nothing could be read) and closes what is open
/// as at the end of the log. A log with event lines but no date anchor is
/// fatal unless `opts.start_date` is given.
pub fn read_debug_log<R: Read + Send>(
    file: &str,
    src: R,
    opts: &ImportOptions,
    usage: &mut Usage,
) -> Report {
    read_debug_log_in_blocks(file, src, opts, usage, parallel::BLOCK)
}

/// [`read_debug_log`] with blocks of about `block_bytes` (cut after a
/// newline): the same result for any size, which tests check by cutting
/// logs in many places.
pub fn read_debug_log_in_blocks<R: Read + Send>(
    file: &str,
    src: R,
    opts: &ImportOptions,
    usage: &mut Usage,
    block_bytes: usize,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::DebugLog);
    let mut st = Importer::new(opts);
    let mut line = 0u64;
    let known = RwLock::new(Arc::new(Known::default()));
    let failure = parallel::run(src, block_bytes, &known, |block| {
        st.begin_block(&block.table);
        for batch in block.recs.chunks(16) {
            st.touch(batch);
            for rec in batch {
                line += 1;
                report.lines_read += 1;
                st.line(line, rec, &block.table, usage, &mut report);
            }
        }
        if block.table.windows_1252 > 0 {
            report.count(counts::WINDOWS_1252, block.table.windows_1252);
        }
        if let Some(k) = st.known_if_grown() {
            *known.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(k);
        }
    });
    if let Some(e) = failure {
        read_error(&mut report, &e);
    }
    st.finish(usage, &mut report);
    report
}

/// [`read_debug_log`] line by line on the calling thread: the reference the
/// parallel reader is tested against.
pub fn read_debug_log_sequential<R: BufRead>(
    file: &str,
    mut reader: R,
    opts: &ImportOptions,
    usage: &mut Usage,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::DebugLog);
    let mut st = Importer::new(opts);
    let mut table = Table::default();
    st.begin_block(&table);
    let mut raw = Vec::with_capacity(256);
    let mut decoded = String::new();
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                read_error(&mut report, &e);
                break;
            }
        }
        report.lines_read += 1;
        let text = match std::str::from_utf8(&raw) {
            Ok(s) => s,
            Err(_) => {
                decode_windows_1252(&raw, &mut decoded);
                report.count(counts::WINDOWS_1252, 1);
                decoded.as_str()
            }
        };
        let rec = parse_line(text, None, &mut table);
        st.sync(&table);
        st.line(report.lines_read, &rec, &table, usage, &mut report);
        table.clear_line();
    }
    st.finish(usage, &mut report);
    report
}

fn read_error(report: &mut Report, e: &std::io::Error) {
    report.fatal = report.lines_read == 0;
    report.problem(
        report.lines_read + 1,
        format!("cannot read further: {e}; the log is taken as ending here"),
    );
}

/// True when `head` (the first few KB of a file) looks like a FlexNet debug
/// log: at least half of its non-blank lines, and at least one, carry the
/// `H:MM:SS (daemon)` envelope.
pub fn looks_like_debug_log(head: &[u8]) -> bool {
    let mut lines = head.split(|&b| b == b'\n').peekable();
    let mut enveloped = 0u32;
    let mut other = 0u32;
    let mut decoded = String::new();
    while let Some(raw) = lines.next() {
        // The last piece may be cut mid-line: judge only complete lines
        // unless it is all there is.
        if lines.peek().is_none() && enveloped + other > 0 {
            break;
        }
        decode_windows_1252_or_utf8(raw, &mut decoded);
        let t = clean(&decoded);
        if t.is_empty() {
            continue;
        }
        if envelope(t).is_some() {
            enveloped += 1;
        } else {
            other += 1;
        }
    }
    enveloped > 0 && enveloped >= other
}
