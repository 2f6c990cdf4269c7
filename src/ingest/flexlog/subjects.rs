//! Every subject (daemon, feature as written, user, host) the importer has
//! met in a log, numbered in order of first appearance, and the snapshots
//! of them the readers look lines up in.
//!
//! The readers hash a line's parts where they are in the line
//! ([`Rec::hash`]) and find the subject in the last snapshot they were
//! given ([`Known`]: a full copy made now and then, and a small table of
//! the subjects met since), so that the importer, which must walk the lines
//! one after another, does no lookup for them; it finds the rest (new
//! subjects, mostly) in its own table by the same hash and key.
//!
//! A subject's record holds what the importer keeps about it (its ids, its
//! oldest open checkout) and its key, in two cache lines. Lines come in
//! time order, each about another subject, so nearly every lookup and
//! every record misses the cache: both are read a batch of lines ahead, so
//! that the misses of a batch overlap instead of following one another.

use std::ops::Range;
use std::sync::Arc;

use super::grammar::is_token_pool;
use super::importer::{NO_OPEN, Open};
use super::lines::{NONE, Rec, Subject, Table, key_is};
use crate::usage::{FeatureId, HostId, UserId};

/// A subject's ids: user, host and feature as written in the usage, and
/// the subject whose record holds its queue (itself, unless another
/// spelling of the user came first); [`NONE`] while not known.
#[derive(Clone, Copy)]
pub(super) struct Ids {
    pub user: UserId,
    pub host: HostId,
    pub slot: u32,
    pub raw_feature: FeatureId,
}

pub(super) const UNKNOWN_IDS: Ids = Ids {
    user: NONE,
    host: NONE,
    slot: NONE,
    raw_feature: NONE,
};

/// Keys up to this long are kept in their record.
const INLINE: usize = 64;

/// What the importer keeps per subject: its ids and, when it holds a
/// queue, the oldest open checkout and how many are open (the others wait
/// in the importer); in the second cache line, the subject's key (four
/// parts, each ended by a NUL) when it is short enough.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
pub(super) struct Record {
    pub ids: Ids,
    pub head: Open,
    pub open: u32,
    /// Length of the key.
    len: u32,
    hash: u32,
    _pad: u32,
    key: [u8; INLINE],
}

const _: () = assert!(std::mem::size_of::<Record>() == 128);

/// One entry of the index: a subject's hash and record; [`NONE`] when
/// empty.
#[derive(Clone, Copy)]
struct Slot {
    hash: u32,
    g: u32,
}

const EMPTY: Slot = Slot { hash: 0, g: NONE };

/// Every subject met so far, numbered in order of first appearance.
#[derive(Default)]
pub(super) struct Subjects {
    /// The last snapshot's larger part, and how many subjects it holds.
    base: Option<Arc<KnownTable>>,
    /// Subjects in the last snapshot.
    published: usize,
    /// Open addressing, at most half full, a power of two long.
    index: Vec<Slot>,
    /// The names of each subject.
    pub parts: Vec<Subject>,
    /// The feature as written is a token pool (`TLSTOK`).
    pub token_pool: Vec<bool>,
    pub records: Vec<Record>,
}

impl Subjects {
    /// The subject of `rec` (a line with one, its names in `t`), added when
    /// new.
    #[inline]
    pub(super) fn find_or_add(&mut self, rec: &Rec, t: &Table) -> usize {
        if rec.g != NONE {
            return rec.g as usize;
        }
        let parts = t.parts(rec);
        if self.index.is_empty() {
            self.index = vec![EMPTY; 1024];
        }
        let mask = self.index.len() - 1;
        let mut i = rec.hash as usize & mask;
        loop {
            let s = self.index[i];
            if s.g == NONE {
                return self.add(parts, rec.hash, i);
            }
            if s.hash == rec.hash && self.is(s.g as usize, parts) {
                return s.g as usize;
            }
            i = (i + 1) & mask;
        }
    }

    /// True when subject `g` has these parts.
    #[inline]
    fn is(&self, g: usize, parts: [&[u8]; 4]) -> bool {
        let r = &self.records[g];
        let len: usize = parts.iter().map(|p| p.len() + 1).sum();
        if r.len as usize != len {
            return false;
        }
        let key = match r.key.get(..len) {
            Some(k) => k,
            None => self.parts[g].key(),
        };
        key_is(key, parts)
    }

    /// Adds the subject of `parts`, whose hash is `hash`, at empty index
    /// entry `at`.
    #[cold]
    fn add(&mut self, parts: [&[u8]; 4], hash: u32, at: usize) -> usize {
        let g = self.records.len();
        let mut key = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
        for p in parts {
            key.extend_from_slice(p);
            key.push(0);
        }
        let subject = Subject::from_key(&key);
        let mut record = Record {
            ids: UNKNOWN_IDS,
            head: NO_OPEN,
            open: 0,
            len: key.len() as u32,
            hash,
            _pad: 0,
            key: [0; INLINE],
        };
        if let Some(inline) = record.key.get_mut(..key.len()) {
            inline.copy_from_slice(&key);
        }
        self.token_pool.push(is_token_pool(subject.feature()));
        self.parts.push(subject);
        self.records.push(record);
        self.index[at] = Slot { hash, g: g as u32 };
        if self.records.len() * 2 > self.index.len() {
            self.grow();
        }
        g
    }

    /// Doubles the index.
    fn grow(&mut self) {
        let size = self.index.len() * 2;
        let mask = size - 1;
        let mut index = vec![EMPTY; size];
        for (g, r) in self.records.iter().enumerate() {
            let mut i = r.hash as usize & mask;
            while index[i].g != NONE {
                i = (i + 1) & mask;
            }
            index[i] = Slot {
                hash: r.hash,
                g: g as u32,
            };
        }
        self.index = index;
    }

    /// Reads the records of the subjects of `recs` before the lines are
    /// taken one by one: the cache misses of a batch overlap instead of
    /// following one another. (Subjects the reader did not find are
    /// rare: new ones, mostly.)
    pub(super) fn touch(&self, recs: &[Rec]) {
        let touched = recs
            .iter()
            .filter(|r| r.kind.has_subject())
            .fold(0, |acc, r| {
                self.records
                    .get(r.g as usize)
                    .map_or(acc, |x| acc ^ x.open ^ x.len)
            });
        std::hint::black_box(touched);
    }

    /// A snapshot of the subjects met for the readers, when there are new
    /// ones: the subjects of the last full copy, and a small table of those
    /// added since, until they are an eighth of the copy (so that copies
    /// cost a few times the final table in all, and a reader seldom misses
    /// a subject the importer knows).
    pub(super) fn snapshot_if_grown(&mut self) -> Option<Known> {
        let n = self.records.len();
        if n == self.published {
            return None;
        }
        self.published = n;
        let covered = self.base.as_ref().map_or(0, |b| b.covers);
        if n - covered > covered / 8 + 256 {
            let base = Arc::new(KnownTable::new(&self.records, 0..n));
            self.base = Some(Arc::clone(&base));
            return Some(Known {
                base: Some(base),
                recent: None,
            });
        }
        Some(Known {
            base: self.base.clone(),
            recent: Some(KnownTable::new(&self.records, covered..n)),
        })
    }
}

/// Keys up to this long are in the readers' snapshot (longer ones are
/// looked up by the importer).
const SNAPSHOT_KEY: usize = 52;

/// One entry of a [`KnownTable`]: a cache line with the key inside.
#[derive(Clone, Copy)]
#[repr(C, align(64))]
struct Entry {
    hash: u32,
    g: u32,
    /// Key length; 0 marks an empty entry (no key is empty).
    len: u32,
    key: [u8; SNAPSHOT_KEY],
}

const EMPTY_ENTRY: Entry = Entry {
    hash: 0,
    g: NONE,
    len: 0,
    key: [0; SNAPSHOT_KEY],
};

/// Subjects by hash and key, read-only: open addressing with the key inside
/// the entry, so that a lookup reads one cache line.
pub(super) struct KnownTable {
    entries: Vec<Entry>,
    /// The subjects it was made from end before this one.
    covers: usize,
}

impl KnownTable {
    /// The table of `records[range]` (those whose key fits an entry).
    fn new(records: &[Record], range: Range<usize>) -> Self {
        let covers = range.end;
        let records = records.get(range.clone()).unwrap_or_default();
        // A power of two at most half full: short probes.
        let size = (records.len() * 2).next_power_of_two().max(16);
        let mask = size - 1;
        let mut entries = vec![EMPTY_ENTRY; size];
        for (g, r) in range.zip(records) {
            let len = r.len as usize;
            let (Some(key), Some(_)) = (r.key.get(..len), Entry::fits(len)) else {
                continue;
            };
            let mut i = r.hash as usize & mask;
            while entries[i].len != 0 {
                i = (i + 1) & mask;
            }
            let e = &mut entries[i];
            e.hash = r.hash;
            e.g = g as u32;
            e.len = len as u32;
            e.key[..len].copy_from_slice(key);
        }
        KnownTable { entries, covers }
    }

    /// The entry where a lookup of `hash` starts.
    #[inline]
    fn home(&self, hash: u32) -> usize {
        hash as usize & (self.entries.len() - 1)
    }

    /// The subject of `parts`, whose hash is `hash`.
    #[inline]
    fn get(&self, parts: [&[u8]; 4], hash: u32) -> Option<u32> {
        let mask = self.entries.len() - 1;
        let mut i = self.home(hash);
        loop {
            let e = self.entries.get(i)?;
            if e.len == 0 {
                return None;
            }
            if e.hash == hash
                && e.key
                    .get(..e.len as usize)
                    .is_some_and(|k| key_is(k, parts))
            {
                return Some(e.g);
            }
            i = (i + 1) & mask;
        }
    }
}

impl Entry {
    /// `Some` when a key of `len` bytes fits an entry.
    fn fits(len: usize) -> Option<()> {
        (len > 0 && len <= SNAPSHOT_KEY).then_some(())
    }
}

/// The subjects the importer had met when a reader started its block: a
/// full copy made now and then, and the few met since.
#[derive(Default)]
pub(super) struct Known {
    base: Option<Arc<KnownTable>>,
    recent: Option<KnownTable>,
}

/// Subjects looked up together: their cache misses overlap.
const BATCH: usize = 16;

impl Known {
    /// The subject of `parts`, whose hash is `hash`, when known.
    #[inline]
    fn get(&self, parts: [&[u8]; 4], hash: u32) -> Option<u32> {
        let in_table = |t: &Option<KnownTable>| t.as_ref().and_then(|t| t.get(parts, hash));
        self.base
            .as_ref()
            .and_then(|b| b.get(parts, hash))
            .or_else(|| in_table(&self.recent))
    }

    /// Gives the records of a block read with `t` the subjects this
    /// snapshot knows ([`Rec::g`]), in batches whose entries are all read
    /// first: lines come in time order, each about another subject, so
    /// nearly every lookup misses the cache, and misses issued together
    /// overlap.
    pub(super) fn resolve(&self, t: &Table, recs: &mut [Rec]) {
        let Some(base) = self.base.as_deref().or(self.recent.as_ref()) else {
            return;
        };
        for batch in recs.chunks_mut(BATCH) {
            let touched = batch
                .iter()
                .filter(|r| r.kind.has_subject())
                .fold(0, |acc, r| {
                    acc ^ base.entries.get(base.home(r.hash)).map_or(0, |e| e.len)
                });
            std::hint::black_box(touched);
            for r in batch.iter_mut().filter(|r| r.kind.has_subject()) {
                if let Some(g) = self.get(t.parts(r), r.hash) {
                    r.g = g;
                }
            }
        }
    }
}
