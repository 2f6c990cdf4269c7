//! The parallel reader: the log in blocks of whole lines, each read into
//! [`Rec`]s on a worker thread (one per rayon thread, so
//! `RAYON_NUM_THREADS` applies), handed back in file order to the calling
//! thread, which runs the importer over them while the workers read on.
//! Workers stay a few blocks ahead at most, which bounds memory; the
//! buffers of a block the importer is done with go back to the workers.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, mpsc};

use super::grammar::decode_windows_1252;
use super::lines::{Rec, Table, parse_line};
use super::subjects::Known;
use crate::ingest::blocks::BlockReader;

/// Bytes per block (4 MB: large enough that per-block work does not show,
/// small enough that the blocks in flight cost little memory).
pub(super) const BLOCK: usize = 4 << 20;

/// One block, read.
#[derive(Default)]
pub(super) struct Parsed {
    /// One record per line, in order.
    pub recs: Vec<Rec>,
    /// The names the records refer to, and the block's text.
    pub table: Table,
}

/// Reads the lines of `buf` (whole lines; the last one may lack its `\n`)
/// into `into`, whose memory is reused (it is emptied first); `buf` becomes
/// the table's text, which the records point into. Subjects in `known` are
/// given by their index there.
pub(super) fn parse_block(buf: Vec<u8>, known: &Known, into: &mut Parsed) {
    let Parsed { recs, table } = into;
    recs.clear();
    // The text a reused table held went back to the reader's pool already.
    let _ = table.reset();
    // Lines of a generated log are 40 to 60 bytes; a short guess only
    // costs a regrowth.
    recs.reserve(buf.len() / 40);
    // Every line of a UTF-8 block is UTF-8 (`\n` is never inside a
    // character): one check for the block instead of one per line.
    let utf8 = std::str::from_utf8(&buf).ok();
    let mut decoded = String::new();
    let mut start = 0;
    let ends = memchr::memchr_iter(b'\n', &buf)
        .chain((buf.last().is_some_and(|&b| b != b'\n')).then_some(buf.len()));
    for end in ends {
        let at = u32::try_from(start).ok();
        let (line, at) = match utf8.and_then(|text| text.get(start..end)) {
            Some(line) => (line, at),
            None => {
                let raw = buf.get(start..end).unwrap_or_default();
                match std::str::from_utf8(raw) {
                    Ok(line) => (line, at),
                    Err(_) => {
                        decode_windows_1252(raw, &mut decoded);
                        table.windows_1252 += 1;
                        (decoded.as_str(), None)
                    }
                }
            }
        };
        start = end + 1;
        recs.push(parse_line(line, at, table));
    }
    table.text = buf;
    known.resolve(recs);
}

/// Reads `src` in blocks of about `block` bytes cut after a newline, and
/// calls `consume` with each, read, in file order on this thread. Each
/// block is read with the snapshot in `known` when its reading starts
/// (`consume` may publish a newer one). Returns the read error that ended
/// the source early, if any (every block before it has been consumed).
pub(super) fn run<R: Read + Send>(
    src: R,
    block: usize,
    known: &RwLock<Arc<Known>>,
    mut consume: impl FnMut(&Parsed),
) -> Option<io::Error> {
    let mut blocks = BlockReader::new(src, block);
    let first = match blocks.next_block() {
        Ok(Some(b)) => b,
        Ok(None) => return None,
        Err(e) => return Some(e),
    };
    if blocks.eof && blocks.carry.is_empty() {
        // One block: no thread is worth starting.
        let mut parsed = Parsed::default();
        parse_block(first, &snapshot(known), &mut parsed);
        consume(&parsed);
        return None;
    }
    let workers = rayon::current_num_threads().max(1);
    let feed = Mutex::new(Feed {
        blocks,
        first: Some(first),
        spare: Vec::new(),
        next: 0,
        merged: 0,
        ahead: 2 * workers as u64 + 2,
        stop: false,
        failure: None,
    });
    let wake = Condvar::new();
    let (tx, rx) = mpsc::channel::<(u64, Parsed)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (feed, wake) = (&feed, &wake);
            scope.spawn(move || work(feed, wake, known, &tx));
        }
        drop(tx);
        let mut waiting: BTreeMap<u64, Parsed> = BTreeMap::new();
        let mut next = 0u64;
        for (idx, parsed) in rx.iter() {
            waiting.insert(idx, parsed);
            while let Some(mut parsed) = waiting.remove(&next) {
                consume(&parsed);
                next += 1;
                let text = parsed.table.reset();
                let mut f = feed.lock().unwrap_or_else(PoisonError::into_inner);
                f.blocks.pool.push(text);
                f.spare.push(parsed);
                f.merged = next;
                wake.notify_all();
            }
        }
    });
    feed.into_inner()
        .unwrap_or_else(PoisonError::into_inner)
        .failure
}

/// The snapshot published last.
fn snapshot(known: &RwLock<Arc<Known>>) -> Arc<Known> {
    Arc::clone(&known.read().unwrap_or_else(PoisonError::into_inner))
}

/// What the workers share: the source, the memory of blocks done with, and
/// how far they may read ahead.
struct Feed<R> {
    blocks: BlockReader<R>,
    first: Option<Vec<u8>>,
    /// Blocks the importer is done with, for their memory.
    spare: Vec<Parsed>,
    /// Index of the next block to hand out.
    next: u64,
    /// Blocks consumed.
    merged: u64,
    /// Blocks handed out but not consumed, at most.
    ahead: u64,
    stop: bool,
    failure: Option<io::Error>,
}

/// One worker: takes the next block, reads it, sends it, until the source
/// ends or fails.
fn work<R: Read>(
    feed: &Mutex<Feed<R>>,
    wake: &Condvar,
    known: &RwLock<Arc<Known>>,
    tx: &mpsc::Sender<(u64, Parsed)>,
) {
    loop {
        let (idx, buf, mut parsed) = {
            let mut f = feed.lock().unwrap_or_else(PoisonError::into_inner);
            while !f.stop && f.next >= f.merged + f.ahead {
                f = wake.wait(f).unwrap_or_else(PoisonError::into_inner);
            }
            if f.stop {
                return;
            }
            let block = match f.first.take() {
                Some(b) => Ok(Some(b)),
                None => f.blocks.next_block(),
            };
            match block {
                Ok(Some(b)) => {
                    f.next += 1;
                    (f.next - 1, b, f.spare.pop().unwrap_or_default())
                }
                Ok(None) => return,
                Err(e) => {
                    f.failure = Some(e);
                    f.stop = true;
                    wake.notify_all();
                    return;
                }
            }
        };
        parse_block(buf, &snapshot(known), &mut parsed);
        if tx.send((idx, parsed)).is_err() {
            return;
        }
    }
}
