//! The sequential reader (the `csv` crate) for a file or its rest from the
//! first quoted block: a quoted field may hold newlines.

use super::*;

/// The sequential reader (the `csv` crate), from line `first_line` of the
/// file; `cols` is `None` when `src` starts with the header.
#[allow(clippy::too_many_arguments)]
pub(super) fn sequential<R: Read>(
    src: R,
    delim: u8,
    first_line: u64,
    cols: Option<Columns>,
    tz: Tz,
    usage: &mut Usage,
    sink: &mut Sink<'_>,
    known: &mut Known,
    report: &mut Report,
    progress: &dyn Progress,
    total: u64,
    done_before: u64,
) {
    let mut parser = cols.map(|c| RowParser::new(c, tz, 1024));
    let mut rows = 0u64;
    let mut stop = false;
    let result = table::for_each_record(src, delim, first_line, |line, rec, bytes| {
        let Some(p) = parser.as_mut() else {
            let header: Vec<String> = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect();
            report.lines_used += 1;
            match Columns::resolve(&header) {
                Ok(c) => {
                    parser = Some(RowParser::new(c, tz, 1024));
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
        let width = p.cols.width;
        let fields: Vec<&[u8]> = rec.iter().take(width).collect();
        p.row(line, &fields, known);
        if p.out.sessions.len() >= FLUSH_ROWS {
            merge(p.take(), 0, usage, sink, known, report);
        }
        rows += 1;
        if rows.is_multiple_of(65_536) {
            progress.report(done_before + bytes, total);
            if progress.is_cancelled() {
                stop = true;
                return ControlFlow::Break(());
            }
        }
        ControlFlow::Continue(())
    });
    if let Some(p) = parser.as_mut() {
        merge(p.take(), 0, usage, sink, known, report);
    }
    let stats = match result {
        Ok(stats) => stats,
        Err(failure) => {
            read_error(report, failure.line, &io::Error::other(failure.message));
            failure.stats
        }
    };
    report.lines_read += stats.lines;
    if stats.blank > 0 {
        *report
            .skipped
            .entry(REASONS[Reason::Blank as usize].to_string())
            .or_default() += stats.blank;
    }
    if stop {
        cancelled(report, done_before, total);
    }
}

/// The whole file with the sequential reader (the reference the block
/// reader is tested against).
#[cfg(test)]
pub(super) fn read_sessions_sequential(
    file: &str,
    bytes: &[u8],
    tz: Tz,
    usage: &mut Usage,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::Sessions);
    let mut sink = Sink::store();
    let body = table::strip_bom(bytes);
    let delim = table::first_line(body).map_or(b',', table::sniff_delimiter);
    let total = bytes.len() as u64;
    sequential(
        body,
        delim,
        1,
        None,
        tz,
        usage,
        &mut sink,
        &mut Known::default(),
        &mut report,
        &crate::progress::NoProgress,
        total,
        0,
    );
    finish(&mut report, &sink);
    report
}
