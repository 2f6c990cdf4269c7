//! Generic session CSV (SPEC §1.1): one row per checkout, columns found by
//! name (with aliases), delimiter sniffed, timestamps RFC 3339 or local.
//!
//! This is the hot path of large imports, so it has two readers that MUST
//! give the same [`Usage`] and [`Report`]:
//! - the block reader (`pipeline`): the file in blocks of a few MB cut
//!   at a newline, parsed on one worker thread per rayon thread (the pool's
//!   size, so `RAYON_NUM_THREADS` applies), merged in file order by the
//!   calling thread. A block resolves names it has not seen merged yet with
//!   its own local table (`Chunk`), so ids, first spellings and line
//!   numbers are exactly those of a sequential read;
//! - the `csv`-crate reader, sequential, for anything quoted: from the first
//!   block that holds a `"` byte to the end of the file (a quoted field may
//!   hold newlines, so block cuts after that point are not trusted).
//!
//! Timestamps `YYYY-MM-DDTHH:MM:SSZ` are converted with integer arithmetic;
//! other forms go through `Clock::instant`.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};
use std::io::{self, Read};
use std::ops::ControlFlow;

use chrono::{DateTime, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use super::blocks::BlockReader;
use super::table::{self, Column};
use super::{Report, SourceKind};
use crate::progress::Progress;
use crate::usage::{Session, Usage, UserTable};

/// Who.
pub(crate) const USER: Column = Column {
    name: "user",
    aliases: &["user", "username", "login"],
};
/// Product code or feature.
pub(crate) const PRODUCT: Column = Column {
    name: "product",
    aliases: &["product", "feature", "productcode"],
};
/// Checkout instant.
pub(crate) const START: Column = Column {
    name: "start",
    aliases: &["start", "starttime", "checkout", "out"],
};
/// Checkin instant.
pub(crate) const END: Column = Column {
    name: "end",
    aliases: &["end", "endtime", "checkin", "in"],
};
/// Workstation (optional).
pub(crate) const HOST: Column = Column {
    name: "host",
    aliases: &["host", "hostname", "machine", "computer"],
};
/// Tokens or licenses held (optional).
pub(crate) const TOKENS: Column = Column {
    name: "tokens",
    aliases: &["tokens", "licenses", "count", "draw"],
};

/// Bytes per block of the parallel reader (4 MB: small enough that the
/// blocks in flight cost little memory, large enough that per-block work
/// does not show).
pub(crate) const BLOCK: usize = 4 << 20;
/// Sessions the sequential reader collects before handing them over.
const FLUSH_ROWS: usize = 1 << 20;

/// Where the columns are.
#[derive(Clone, Copy, Debug)]
struct Columns {
    user: usize,
    product: usize,
    start: usize,
    end: usize,
    host: Option<usize>,
    tokens: Option<usize>,
    /// Fields in the header: a row with fewer is skipped.
    width: usize,
}

impl Columns {
    /// The columns of `header`, or one problem per missing required column.
    fn resolve(header: &[String]) -> Result<Columns, Vec<String>> {
        let n = table::normalised(header);
        let mut missing = Vec::new();
        let mut need = |c: &Column| {
            let found = c.find(&n);
            if found.is_none() {
                missing.push(c.missing(header));
            }
            found.unwrap_or(0)
        };
        let cols = Columns {
            user: need(&USER),
            product: need(&PRODUCT),
            start: need(&START),
            end: need(&END),
            host: HOST.find(&n),
            tokens: TOKENS.find(&n),
            width: header.len(),
        };
        if missing.is_empty() {
            Ok(cols)
        } else {
            Err(missing)
        }
    }
}

/// Why a line was skipped; index into [`REASONS`].
#[derive(Clone, Copy, Debug)]
enum Reason {
    ShortRow,
    NotUtf8,
    EmptyUser,
    EmptyProduct,
    BadTime,
    OutOfRange,
    EndBeforeStart,
    BadTokens,
    Blank,
}

/// The report's name of each [`Reason`].
const REASONS: [&str; 9] = [
    "too few fields",
    "not UTF-8",
    "empty user",
    "empty product",
    "unparsable timestamp",
    "timestamp out of range",
    "end before start",
    "bad tokens",
    "blank line",
];

/// Count names of local times resolved by rule.
const AMBIGUOUS: &str = "local times in a repeated hour (earlier instant taken)";
const GAP: &str = "local times in a skipped hour (moved to the end of the gap)";

/// What one block (or one stretch of the sequential reader) produced, with
/// ids local to it.
#[derive(Debug, Default)]
struct Chunk {
    sessions: Vec<Session>,
    users: Vec<Box<str>>,
    features: Vec<Box<str>>,
    hosts: Vec<Box<str>>,
    /// (line relative to the chunk's base, message).
    problems: Vec<(u64, String)>,
    problems_dropped: u64,
    skipped: [u64; REASONS.len()],
    used: u64,
    /// Physical lines the block holds (0 for the sequential reader, which
    /// counts lines itself).
    lines: u64,
    ambiguous: u64,
    gap: u64,
    /// The block holds a `"`: not parsed; the sequential reader takes over.
    quoted: bool,
}

mod clock;
mod names;
mod pipeline;
mod rows;
mod sequential;

// The reader's parts share their items as one file would.
use clock::*;
use names::*;
use pipeline::*;
use rows::*;
use sequential::*;
#[cfg(test)]
mod tests;

/// Up to 8 bytes as an integer: the FlexNet log reader hashes names the
/// same way.
pub(crate) use names::load;

/// Reads a session CSV into `usage` (see the module doc).
pub fn read_sessions<R: Read + Send>(
    file: &str,
    src: R,
    total: u64,
    tz: Tz,
    usage: &mut Usage,
    progress: &dyn Progress,
) -> Report {
    let mut sink = Sink::store();
    read_sessions_with(file, src, total, tz, usage, progress, BLOCK, &mut sink)
}

/// Takes the sessions of a streamed import ([`read_sessions_into`]) instead
/// of the usage's session store.
pub trait SessionSink {
    /// Sessions in file order, their ids global in `usage` (whose names
    /// tables already hold every name they use); the sink keeps what it
    /// needs of them and drops the rest.
    fn take(&mut self, sessions: Vec<Session>, usage: &Usage);

    /// Per user id, true when some session of the user was handed over
    /// (what the usage's store would have told; ids beyond it: none).
    fn users_with_sessions(&self) -> &[bool];
}

/// [`read_sessions`] that hands every block's sessions to `sink` as soon as
/// the block is merged (in file order) instead of storing them: names are
/// still interned into `usage`, and the report is the same, so a file
/// bigger than memory streams through in the memory of a few blocks.
pub fn read_sessions_into<R: Read + Send>(
    file: &str,
    src: R,
    total: u64,
    tz: Tz,
    usage: &mut Usage,
    progress: &dyn Progress,
    sink: &mut dyn SessionSink,
) -> Report {
    let mut sink = Sink::to(sink);
    read_sessions_with(file, src, total, tz, usage, progress, BLOCK, &mut sink)
}

/// Where merged sessions go: the usage's store, or a [`SessionSink`];
/// counted either way (the report's `sessions`).
pub(super) struct Sink<'a> {
    to: Option<&'a mut dyn SessionSink>,
    sessions: u64,
}

impl<'a> Sink<'a> {
    pub(super) fn store() -> Sink<'a> {
        Sink {
            to: None,
            sessions: 0,
        }
    }
    pub(super) fn to(sink: &'a mut dyn SessionSink) -> Sink<'a> {
        Sink {
            to: Some(sink),
            sessions: 0,
        }
    }
    /// Hands over one merged segment (ids global).
    pub(super) fn put(&mut self, mut segment: Vec<Session>, usage: &mut Usage) {
        self.sessions += segment.len() as u64;
        match self.to.as_deref_mut() {
            Some(sink) => sink.take(segment, usage),
            None => {
                // Room for skipped lines is only worth a copy when there
                // were many.
                if segment.capacity() - segment.len() > segment.len() / 16 {
                    segment.shrink_to_fit();
                }
                usage.sessions.push_segment(segment);
            }
        }
    }
}

/// [`read_sessions`] with a given block size (tests make it tiny) and
/// destination of the sessions.
#[allow(clippy::too_many_arguments)]
fn read_sessions_with<R: Read + Send>(
    file: &str,
    src: R,
    total: u64,
    tz: Tz,
    usage: &mut Usage,
    progress: &dyn Progress,
    block: usize,
    sink: &mut Sink<'_>,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::Sessions);
    let mut known = Known::default();
    let mut blocks = BlockReader::new(src, block);
    let Some(mut first) = first_block(&mut blocks, &mut report) else {
        return report;
    };
    let bom = if first.starts_with(table::BOM) {
        table::BOM.len()
    } else {
        0
    };
    let (delim, simple) = match table::first_line(first.get(bom..).unwrap_or_default()) {
        None if blocks.eof && blocks.carry.is_empty() => {
            report.fatal = true;
            report.problem(
                0,
                "the file has only blank lines; a session CSV needs a header line naming the columns user, product, start and end",
            );
            return report;
        }
        // Blank lines for a whole block: rare enough for the simple reader.
        None => (b',', true),
        // A quote may hold a newline: the simple reader takes the file.
        Some(header) => (
            table::sniff_delimiter(header),
            memchr::memchr(b'"', first.get(bom..).unwrap_or_default()).is_some(),
        ),
    };
    if simple {
        first.drain(..bom);
        let rest = blocks.into_rest(VecDeque::from([first]));
        sequential(
            rest,
            delim,
            1,
            None,
            tz,
            usage,
            sink,
            &mut known,
            &mut report,
            progress,
            total,
            bom as u64,
        );
        finish(&mut report, sink);
        return report;
    }
    let body = first.get(bom..).unwrap_or_default();
    // Found above: this block holds a header line.
    let header = table::first_line(body).unwrap_or_default();
    let (header_end, blank) = header_span(body, bom);
    report.lines_read = blank + 1;
    report.lines_used = 1;
    if blank > 0 {
        *report
            .skipped
            .entry(REASONS[Reason::Blank as usize].to_string())
            .or_default() += blank;
    }
    let names = table::header_names(header, delim);
    let cols = match Columns::resolve(&names) {
        Ok(c) => c,
        Err(missing) => {
            report.fatal = true;
            for m in missing {
                report.problem(blank + 1, m);
            }
            return report;
        }
    };
    first.drain(..header_end.min(first.len()));
    let start = Start {
        cols,
        delim,
        tz,
        line: report.lines_read,
        done: header_end as u64,
        total,
    };
    let outcome = pipeline(
        first,
        blocks,
        &start,
        usage,
        sink,
        &mut known,
        &mut report,
        progress,
    );
    read_rest(
        outcome,
        &start,
        usage,
        sink,
        &mut known,
        &mut report,
        progress,
    );
    finish(&mut report, sink);
    report
}

/// The first block of the file; `None` (with the problem reported) when
/// the file is empty or cannot be read.
fn first_block<R: Read>(blocks: &mut BlockReader<R>, report: &mut Report) -> Option<Vec<u8>> {
    match blocks.next_block() {
        Ok(Some(b)) => Some(b),
        Ok(None) => {
            report.fatal = true;
            report.problem(
                0,
                "the file is empty; a session CSV needs a header line naming the columns user, product, start and end",
            );
            None
        }
        Err(e) => {
            report.fatal = true;
            report.problem(0, format!("cannot read: {e}"));
            None
        }
    }
}

/// Where the header line ends in `body` (as an offset from the file's
/// start, `bom` bytes before `body`) and how many blank lines precede it:
/// the header is the first non-blank line.
fn header_span(body: &[u8], bom: usize) -> (usize, u64) {
    let mut header_end = bom;
    let mut blank = 0u64;
    for l in body.split_inclusive(|&b| b == b'\n') {
        header_end += l.len();
        let content = l.strip_suffix(b"\n").unwrap_or(l);
        if !table::is_blank(content) {
            break;
        }
        blank += 1;
    }
    (header_end, blank)
}

/// After the block reader: a read error or a cancellation reported, or the
/// rest of the file, from the first block holding a quote, read by the
/// sequential reader.
fn read_rest<R: Read>(
    outcome: Outcome<R>,
    start: &Start,
    usage: &mut Usage,
    sink: &mut Sink<'_>,
    known: &mut Known,
    report: &mut Report,
    progress: &dyn Progress,
) {
    match outcome {
        Outcome::Done(failure) => {
            if let Some((line, e)) = failure {
                read_error(report, line, &e);
            }
        }
        Outcome::Cancelled(done) => cancelled(report, done, start.total),
        Outcome::Quoted {
            rest,
            line,
            done,
            failure,
        } => {
            // From here on, quotes may hold newlines: the simple reader
            // takes the rest, starting at the quoted block's first line.
            sequential(
                rest,
                start.delim,
                line + 1,
                Some(start.cols),
                start.tz,
                usage,
                sink,
                known,
                report,
                progress,
                start.total,
                done,
            );
            if let Some(e) = failure {
                read_error(report, line, &e);
            }
        }
    }
}
