//! CSV plumbing shared by the importers: byte-order mark, delimiter
//! sniffing, header names and column lookup by alias, and a record loop
//! (on the `csv` crate) that accounts for every physical line.
//!
//! Column names are compared after [`norm`]: lower case, without spaces,
//! `_` and `-`, so `Day used`, `day_used` and `dayUsed` are one name.

use std::io::{self, BufRead, BufReader, Read};
use std::ops::ControlFlow;

use super::{Report, SourceKind};

/// The UTF-8 byte-order mark.
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// `bytes` without a leading UTF-8 byte-order mark.
pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(BOM).unwrap_or(bytes)
}

/// True when `line` holds nothing but an optional carriage return.
pub(crate) fn is_blank(line: &[u8]) -> bool {
    line.is_empty() || line == b"\r"
}

/// The first line of `head` that is not blank, without its terminator.
pub(crate) fn first_line(head: &[u8]) -> Option<&[u8]> {
    strip_bom(head)
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .find(|l| !l.is_empty())
}

/// The delimiter of a header line: the most frequent of `,` `;` and tab
/// outside quotes (`,` on a tie or when there is none).
pub(crate) fn sniff_delimiter(line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let mut best = (b',', counts[0]);
    for (d, n) in [(b';', counts[1]), (b'\t', counts[2])] {
        if n > best.1 {
            best = (d, n);
        }
    }
    best.0
}

/// The normalised form of a column name: trimmed, surrounding quotes
/// removed, lower case, without spaces, `_` and `-`.
pub(crate) fn norm(name: &str) -> String {
    let t = name.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t);
    t.chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The names of a header line split at `delim` (quotes around a name are
/// removed; names are trimmed; bytes that are not UTF-8 are replaced).
pub(crate) fn header_names(line: &[u8], delim: u8) -> Vec<String> {
    line.split(|&b| b == delim)
        .map(|f| {
            let s = String::from_utf8_lossy(f);
            let t = s.trim();
            t.strip_prefix('"')
                .and_then(|x| x.strip_suffix('"'))
                .unwrap_or(t)
                .to_string()
        })
        .collect()
}

/// One column an importer looks for: its name in messages and the
/// (normalised) names it accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Column {
    /// The name shown in messages.
    pub name: &'static str,
    /// Accepted names, normalised ([`norm`]); the first is `name`'s form.
    pub aliases: &'static [&'static str],
}

impl Column {
    /// The position of the first header name that matches, if any.
    pub(crate) fn find(&self, normalised: &[String]) -> Option<usize> {
        normalised
            .iter()
            .position(|h| self.aliases.iter().any(|a| a == h))
    }

    /// True when some header name matches.
    pub(crate) fn present(&self, normalised: &[String]) -> bool {
        self.find(normalised).is_some()
    }

    /// The problem text for a header that lacks this column.
    pub(crate) fn missing(&self, header: &[String]) -> String {
        format!(
            "missing column `{}` (accepted names, any case: {}); the header has: {}; file not imported",
            self.name,
            self.aliases.join(", "),
            header.join(", ")
        )
    }
}

/// Normalised header names.
pub(crate) fn normalised(header: &[String]) -> Vec<String> {
    header.iter().map(|h| norm(h)).collect()
}

/// A field as trimmed text; `Err(())` when it is not UTF-8.
pub(crate) fn text(field: &[u8]) -> Result<&str, ()> {
    std::str::from_utf8(field).map(str::trim).map_err(|_| ())
}

/// Field `i` of `rec` as trimmed text (empty when the row is short).
pub(crate) fn field(rec: &csv::ByteRecord, i: Option<usize>) -> Result<&str, ()> {
    match i.and_then(|i| rec.get(i)) {
        Some(f) => text(f),
        None => Ok(""),
    }
}

/// Counts the bytes and newlines that go through a reader.
pub(crate) struct Counting<R> {
    inner: R,
    /// Bytes read.
    pub bytes: u64,
    /// Newline bytes read.
    pub newlines: u64,
    /// The last byte read.
    pub last: Option<u8>,
}

impl<R: Read> Counting<R> {
    pub(crate) fn new(inner: R) -> Self {
        Counting {
            inner,
            bytes: 0,
            newlines: 0,
            last: None,
        }
    }

    /// Physical lines read: newlines, plus a last line without one.
    pub(crate) fn lines(&self) -> u64 {
        self.newlines + u64::from(matches!(self.last, Some(b) if b != b'\n'))
    }
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(got) = buf.get(..n) {
            self.bytes += n as u64;
            self.newlines += memchr::memchr_iter(b'\n', got).count() as u64;
            if let Some(&b) = got.last() {
                self.last = Some(b);
            }
        }
        Ok(n)
    }
}

/// What [`for_each_record`] saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct LineStats {
    /// Physical lines read (up to the record that stopped the loop, if any).
    pub lines: u64,
    /// Blank lines among them (the CSV reader skips them).
    pub blank: u64,
}

/// A read error in the middle of a table.
#[derive(Debug)]
pub(crate) struct ReadFailure {
    /// Line where it happened.
    pub line: u64,
    /// What happened.
    pub message: String,
    /// What had been read until then.
    pub stats: LineStats,
}

/// Reads `src` as CSV with delimiter `delim` and calls `f(line, record,
/// bytes_read)` for every record (the header too), `line` being the
/// physical line where the record starts, counted from `first_line` (the
/// line number of the first byte of `src`). Blank lines are counted, not
/// passed on. `f` may stop the loop early.
///
/// Only `\n` ends a record (a `\r` before it stays at the end of the last
/// field, and callers trim fields), so lines are exactly the newline-cut
/// lines the block reader sees.
///
/// # Errors
/// A read error, with the line where it happened.
pub(crate) fn for_each_record<R: Read>(
    src: R,
    delim: u8,
    first_line: u64,
    mut f: impl FnMut(u64, &csv::ByteRecord, u64) -> ControlFlow<()>,
) -> Result<LineStats, ReadFailure> {
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .terminator(csv::Terminator::Any(b'\n'))
        .has_headers(false)
        .flexible(true)
        .from_reader(Counting::new(src));
    let mut rec = csv::ByteRecord::new();
    let mut stats = LineStats::default();
    // Lines covered by records (a quoted field may span several).
    let mut covered = 0u64;
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = first_line + rdr.position().line().saturating_sub(1);
                stats.lines = line.saturating_sub(first_line);
                stats.blank = stats.lines.saturating_sub(covered);
                return Err(ReadFailure {
                    line,
                    message: e.to_string(),
                    stats,
                });
            }
        }
        // The reader's position is now just past the record: back up over
        // its newlines to the line it started on.
        let inner: u64 = rec
            .iter()
            .map(|fld| memchr::memchr_iter(b'\n', fld).count() as u64)
            .sum();
        let pos = rdr.position();
        let counting = rdr.get_ref();
        let ended_by_newline = pos.byte() < counting.bytes || counting.last == Some(b'\n');
        let after = pos.line();
        let start = after
            .saturating_sub(inner)
            .saturating_sub(u64::from(ended_by_newline));
        let line = first_line + start.saturating_sub(1);
        if rec.len() == 1 && rec.get(0).is_some_and(is_blank) {
            continue;
        }
        covered += 1 + inner;
        if f(line, &rec, counting.bytes).is_break() {
            stats.lines = line + inner + 1 - first_line;
            stats.blank = stats.lines.saturating_sub(covered);
            return Ok(stats);
        }
    }
    stats.lines = rdr.get_ref().lines();
    stats.blank = stats.lines.saturating_sub(covered);
    Ok(stats)
}

/// Reads a small table (directory, assignments, Token Flex export): BOM
/// and delimiter handled, `header` resolves the columns (or gives one
/// problem per missing column, which makes the file fatal), `row` takes each
/// data record and says whether it was used (a skipped row is reported by
/// `row` itself). Every physical line ends up read, used or skipped.
pub(crate) fn read_table<R: Read, H>(
    file: &str,
    kind: SourceKind,
    src: R,
    mut header: impl FnMut(&[String]) -> Result<H, Vec<String>>,
    mut row: impl FnMut(&H, u64, &csv::ByteRecord, &mut Report) -> bool,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(kind);
    let mut src = BufReader::with_capacity(1 << 16, src);
    let delim = match src.fill_buf() {
        Ok(head) => {
            let bom = if head.starts_with(BOM) { BOM.len() } else { 0 };
            let delim = first_line(head).map_or(b',', sniff_delimiter);
            src.consume(bom);
            delim
        }
        Err(e) => {
            report.fatal = true;
            report.problem(0, format!("cannot read: {e}"));
            return report;
        }
    };
    let mut cols: Option<H> = None;
    let result = for_each_record(src, delim, 1, |line, rec, _| {
        let Some(c) = cols.as_ref() else {
            let names: Vec<String> = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect();
            report.lines_used += 1;
            match header(&names) {
                Ok(h) => {
                    cols = Some(h);
                    return ControlFlow::Continue(());
                }
                Err(missing) => {
                    report.fatal = true;
                    for m in missing {
                        report.problem(line, m);
                    }
                    return ControlFlow::Break(());
                }
            }
        };
        if row(c, line, rec, &mut report) {
            report.lines_used += 1;
        }
        ControlFlow::Continue(())
    });
    let stats = match result {
        Ok(s) => s,
        Err(f) => {
            report.problem(
                0,
                format!(
                    "read error at line {}: {}; the rest of the file was not imported",
                    f.line, f.message
                ),
            );
            f.stats
        }
    };
    report.lines_read = stats.lines;
    if stats.blank > 0 {
        *report.skipped.entry("blank line".to_string()).or_default() += stats.blank;
    }
    if cols.is_none() && !report.fatal {
        report.fatal = true;
        report.problem(0, "the file is empty: no header line");
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_and_names() {
        assert_eq!(sniff_delimiter(b"user;product;start;end"), b';');
        assert_eq!(sniff_delimiter(b"user\tproduct\tstart"), b'\t');
        assert_eq!(sniff_delimiter(b"\"a;b\",c,d"), b',');
        assert_eq!(sniff_delimiter(b"user"), b',');
        assert_eq!(norm(" Day used "), "dayused");
        assert_eq!(norm("\"USER_NAME\""), "username");
        assert_eq!(
            first_line(b"\xEF\xBB\xBF\r\n\nuser,x\r\nrow"),
            Some(&b"user,x"[..])
        );
        assert_eq!(header_names(b" a ;\"b\"", b';'), vec!["a", "b"]);
    }

    #[test]
    fn record_loop_counts_every_line() {
        let src = b"h1,h2\n\na,b\n\"x\ny\",z\n\r\nc,d\n\n";
        let mut seen = Vec::new();
        let stats = for_each_record(&src[..], b',', 1, |line, rec, _| {
            seen.push((line, rec.len()));
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(seen, vec![(1, 2), (3, 2), (4, 2), (7, 2)]);
        assert_eq!(stats, LineStats { lines: 8, blank: 3 });
        // Without a final newline, from line 10 on.
        let stats = for_each_record(&b"a,b\nc,d"[..], b',', 10, |_, _, _| {
            ControlFlow::Continue(())
        })
        .unwrap();
        assert_eq!(stats, LineStats { lines: 2, blank: 0 });
    }
}
