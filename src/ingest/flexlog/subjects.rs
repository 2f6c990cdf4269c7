//! Every subject (daemon, feature as written, user, host) the importer has
//! met in a log, numbered in order of first appearance, and the snapshots
//! of them the readers look lines up in.
//!
//! The readers hash a line's parts where they are in the line
//! ([`Rec::hash`]) and look the hash up in the last snapshot of the
//! importer's index they were given ([`Known`]: 8 bytes a subject, so that
//! it mostly stays in the core's own cache), which names the subject the
//! line is about unless two subjects share a hash; the importer, which
//! reads that subject's record anyway, checks its key against the line's
//! parts, and looks up the rest (new subjects, mostly) in its own index.
//!
//! A subject's record holds what the importer keeps about it (its ids, its
//! oldest open checkout) and its key, in two cache lines. Lines come in
//! time order, each about another subject, so nearly every record misses
//! the cache: records are read a batch of lines ahead, so that the misses
//! of a batch overlap instead of following one another.

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
        let parts = t.parts(rec);
        // The reader's guess, by hash only.
        if rec.g != NONE && (rec.g as usize) < self.records.len() && self.is(rec.g as usize, parts)
        {
            return rec.g as usize;
        }
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
        let key = match r.key.get(..r.len as usize) {
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

    /// Reads the records of the subjects of `recs` (both cache lines)
    /// before the lines are taken one by one: the cache misses of a batch
    /// overlap instead of following one another. (Subjects the reader did
    /// not find are rare: new ones, mostly.)
    pub(super) fn touch(&self, recs: &[Rec]) {
        let touched = recs
            .iter()
            .filter(|r| r.kind.has_subject())
            .fold(0, |acc, r| {
                self.records
                    .get(r.g as usize)
                    .map_or(acc, |x| acc ^ x.open ^ u32::from(x.key[0]))
            });
        std::hint::black_box(touched);
    }

    /// A snapshot of the index for the readers, when subjects were added
    /// since the last one (a copy of 8 bytes a subject, or 16 when the
    /// index has just doubled).
    pub(super) fn snapshot_if_grown(&mut self) -> Option<Known> {
        let n = self.records.len();
        if n == self.published {
            return None;
        }
        self.published = n;
        Some(Known {
            index: self.index.clone(),
        })
    }
}

/// A snapshot of the importer's index: the subject of a hash, as far as the
/// hash tells (the importer checks the key).
#[derive(Default)]
pub(super) struct Known {
    index: Vec<Slot>,
}

/// Subjects looked up together: their cache misses overlap.
const BATCH: usize = 32;

impl Known {
    /// Gives the records of a block the subject this snapshot has first
    /// for their hash ([`Rec::g`]), in batches whose entries are all read
    /// first: lines come in time order, each about another subject, and
    /// misses issued together overlap.
    pub(super) fn resolve(&self, recs: &mut [Rec]) {
        if self.index.is_empty() {
            return;
        }
        let mask = self.index.len() - 1;
        for batch in recs.chunks_mut(BATCH) {
            let touched = batch
                .iter()
                .filter(|r| r.kind.has_subject())
                .fold(0, |acc, r| {
                    acc ^ self.index.get(r.hash as usize & mask).map_or(0, |s| s.g)
                });
            std::hint::black_box(touched);
            for r in batch.iter_mut().filter(|r| r.kind.has_subject()) {
                let mut i = r.hash as usize & mask;
                while let Some(s) = self.index.get(i) {
                    if s.g == NONE || s.hash == r.hash {
                        r.g = s.g;
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
        }
    }
}
