//! The parallel block reader: blocks cut at a newline
//! (`ingest::blocks::BlockReader`) parsed on worker
//! threads, and what was read before the header put back in front
//! (`Chained`).

use super::*;

use crate::ingest::blocks::BlockReader;

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, mpsc};

impl<R: Read> BlockReader<R> {
    /// Whatever was not handed out yet, as one reader.
    pub(super) fn into_rest(self, mut before: VecDeque<Vec<u8>>) -> Chained<R> {
        before.push_back(self.carry);
        Chained {
            parts: before,
            pos: 0,
            rest: self.src,
        }
    }
}

/// Buffers already read, then the rest of the source.
pub(super) struct Chained<R> {
    pub(super) parts: VecDeque<Vec<u8>>,
    pub(super) pos: usize,
    pub(super) rest: R,
}

impl<R: Read> Read for Chained<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(front) = self.parts.front() {
            if let Some(avail) = front.get(self.pos..)
                && !avail.is_empty()
            {
                let n = avail.len().min(buf.len());
                if let (Some(dst), Some(src)) = (buf.get_mut(..n), avail.get(..n)) {
                    dst.copy_from_slice(src);
                }
                self.pos += n;
                return Ok(n);
            }
            self.parts.pop_front();
            self.pos = 0;
        }
        self.rest.read(buf)
    }
}

/// Where the blocks start and how to parse them.
pub(super) struct Start {
    pub(super) cols: Columns,
    pub(super) delim: u8,
    pub(super) tz: Tz,
    /// Lines before the first block.
    pub(super) line: u64,
    /// Bytes before the first block.
    pub(super) done: u64,
    pub(super) total: u64,
}

/// How the parallel reader ended.
pub(super) enum Outcome<R> {
    /// All read (a read error, after that line, may have cut it short).
    Done(Option<(u64, io::Error)>),
    /// Stopped on request after this many bytes.
    Cancelled(u64),
    /// A block holds a `"`: the rest of the source, from that block's first
    /// byte, which is after line `line` and byte `done`.
    Quoted {
        rest: Chained<R>,
        line: u64,
        done: u64,
        failure: Option<io::Error>,
    },
}

/// What the workers share: the source, and how far they may read ahead.
pub(super) struct Feed<R> {
    pub(super) reader: BlockReader<R>,
    /// The block read first (after the header), handed out as block 0.
    pub(super) first: Option<Vec<u8>>,
    pub(super) next: u64,
    pub(super) merged: u64,
    pub(super) stop: bool,
    pub(super) failure: Option<io::Error>,
}

/// Parses blocks on worker threads while this thread merges them in file
/// order. Workers pull blocks from one reader (at most a few blocks ahead
/// of the merge, which bounds memory) and resolve names through a snapshot
/// of [`Known`] that this thread republishes when new names arrive.
#[allow(clippy::too_many_arguments)]
pub(super) fn pipeline<R: Read + Send>(
    first: Vec<u8>,
    reader: BlockReader<R>,
    start: &Start,
    usage: &mut Usage,
    sink: &mut Sink<'_>,
    known: &mut Known,
    report: &mut Report,
    progress: &dyn Progress,
) -> Outcome<R> {
    let workers = rayon::current_num_threads().max(1);
    let ahead = 2 * workers as u64 + 2;
    let feed = Mutex::new(Feed {
        reader,
        first: Some(first),
        next: 0,
        merged: 0,
        stop: false,
        failure: None,
    });
    let wake = Condvar::new();
    let snapshot = RwLock::new(Arc::new(known.clone()));
    let (tx, rx) = mpsc::channel::<(u64, Vec<u8>, Chunk)>();
    let (mut line, mut done) = (start.line, start.done);
    // The first block that holds a quote, with every block read after it.
    let mut quoted: Option<Vec<Vec<u8>>> = None;
    let mut was_cancelled = false;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (feed, wake, snapshot) = (&feed, &wake, &snapshot);
            scope.spawn(move || work(feed, wake, snapshot, ahead, start, tx));
        }
        drop(tx);
        let stop = || {
            let mut f = feed.lock().unwrap_or_else(PoisonError::into_inner);
            f.stop = true;
            wake.notify_all();
        };
        let mut pending: BTreeMap<u64, (Vec<u8>, Chunk)> = BTreeMap::new();
        // Names in the published snapshot, and the block count then.
        let mut published = (
            known.users.len() + known.features.len() + known.hosts.len(),
            0u64,
        );
        let mut next = 0u64;
        for (idx, buf, chunk) in rx.iter() {
            if was_cancelled {
                continue;
            }
            pending.insert(idx, (buf, chunk));
            if quoted.is_some() {
                // Stopping: the blocks after the quoted one are kept.
                continue;
            }
            while let Some((buf, chunk)) = pending.remove(&next) {
                if chunk.quoted {
                    quoted = Some(vec![buf]);
                    stop();
                    break;
                }
                let lines = chunk.lines;
                merge(chunk, line, usage, sink, known, report);
                line += lines;
                done += buf.len() as u64;
                next += 1;
                let names = known.users.len() + known.features.len() + known.hosts.len();
                // Names merged but not yet published are read as new by the
                // workers, which is right, only slower: publish (a copy) when
                // there are many, or now and then.
                let unpublished = names - published.0;
                if unpublished > 0
                    && (unpublished >= 1024 || next - published.1 >= 8 || published.0 == 0)
                {
                    published = (names, next);
                    known.settle();
                    *snapshot.write().unwrap_or_else(PoisonError::into_inner) =
                        Arc::new(known.clone());
                }
                {
                    let mut f = feed.lock().unwrap_or_else(PoisonError::into_inner);
                    f.merged = next;
                    f.reader.pool.push(buf);
                    wake.notify_all();
                }
                progress.report(done, start.total);
                if done < start.total && progress.is_cancelled() {
                    was_cancelled = true;
                    stop();
                    break;
                }
            }
        }
        if let Some(q) = quoted.as_mut() {
            // Every block handed out after the quoted one came back: in order.
            q.extend(pending.into_values().map(|(b, _)| b));
        }
    });
    let f = feed.into_inner().unwrap_or_else(PoisonError::into_inner);
    if let Some(parts) = quoted {
        return Outcome::Quoted {
            rest: f.reader.into_rest(parts.into()),
            line,
            done,
            failure: f.failure,
        };
    }
    if was_cancelled {
        return Outcome::Cancelled(done);
    }
    Outcome::Done(f.failure.map(|e| (line, e)))
}

/// One worker: takes the next block (waiting while it is too far ahead of
/// the merge), parses it against the names last published, and sends it
/// to the merging thread.
fn work<R: Read>(
    feed: &Mutex<Feed<R>>,
    wake: &Condvar,
    snapshot: &RwLock<Arc<Known>>,
    ahead: u64,
    start: &Start,
    tx: mpsc::Sender<(u64, Vec<u8>, Chunk)>,
) {
    let mut guesses = Guesses::default();
    while let Some((idx, buf)) = next_block(feed, wake, ahead) {
        let known = Arc::clone(&snapshot.read().unwrap_or_else(PoisonError::into_inner));
        let chunk = parse_block(
            &buf,
            start.cols,
            start.delim,
            start.tz,
            &known,
            &mut guesses,
        );
        if tx.send((idx, buf, chunk)).is_err() {
            return;
        }
    }
}

/// The next block to parse with its index; `None` when reading is over
/// (the end, a stop, or a read error, which is kept in the feed).
fn next_block<R: Read>(
    feed: &Mutex<Feed<R>>,
    wake: &Condvar,
    ahead: u64,
) -> Option<(u64, Vec<u8>)> {
    let mut f = feed.lock().unwrap_or_else(PoisonError::into_inner);
    while !f.stop && f.next >= f.merged + ahead {
        f = wake.wait(f).unwrap_or_else(PoisonError::into_inner);
    }
    if f.stop {
        return None;
    }
    let block = match f.first.take() {
        Some(b) => Ok(Some(b)),
        None => f.reader.next_block(),
    };
    match block {
        Ok(Some(b)) => {
            f.next += 1;
            Some((f.next - 1, b))
        }
        Ok(None) => None,
        Err(e) => {
            f.failure = Some(e);
            f.stop = true;
            wake.notify_all();
            None
        }
    }
}

pub(super) fn read_error(report: &mut Report, line: u64, e: &io::Error) {
    report.problem(
        0,
        format!("read error after line {line}: {e}; the rest of the file was not imported"),
    );
}

pub(super) fn cancelled(report: &mut Report, done: u64, total: u64) {
    report.count("cancelled", 1);
    report.problem(
        0,
        format!(
            "import cancelled after {done} of {total} bytes; only the sessions before that point were imported"
        ),
    );
}

pub(super) fn finish(report: &mut Report, sink: &Sink<'_>) {
    report.count("sessions", sink.sessions);
}
