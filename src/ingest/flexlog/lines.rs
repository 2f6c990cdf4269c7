//! One line of a debug log read into a compact [`Rec`], with its names in a
//! [`Table`] of the block the line belongs to.
//!
//! Reading a line needs nothing but its text: no date, no open checkout, no
//! name seen before. So blocks of lines are read on all cores
//! ([`super::parallel`]), each into its own table, and the importer
//! ([`super::importer`]) resolves a block's names to the usage's ids as it
//! walks the records in file order.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::clock::AnchorKind;
use super::grammar::{
    banner_date, clean, envelope, is_divider, parse_event, parse_long_date, parse_mdy,
    parse_removing, preview, slog_body,
};
use crate::time::day_of_date;

/// No name (an absent product or reason).
pub(super) const NONE: u32 = u32::MAX;

/// What a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// Nothing after trimming.
    Blank,
    /// No `H:MM:SS (daemon)` envelope; [`Rec::a`] is the message.
    NoEnvelope,
    /// `OUT:`; [`Rec::a`] is the subject.
    Out,
    /// `IN:`; [`Rec::a`] is the subject.
    In,
    /// `REMOVING user@host from FEATURE`; [`Rec::a`] is the subject.
    Removing,
    /// `DENIED:`; [`Rec::a`] is the subject.
    Denied,
    /// An event whose feature or `user@host` cannot be read; [`Rec::a`] is
    /// the message.
    BadEvent,
    /// A date anchor; [`Rec::a`] is the day number.
    Anchor(AnchorKind),
    /// An anchor whose date cannot be read; [`Rec::a`] is the message.
    BadDate,
    /// `UNSUPPORTED:`.
    Unsupported,
    /// `QUEUED:` or `DEQUEUED:`.
    Queued,
    /// SLOG statistics.
    Statistics,
    /// Any other message.
    Unknown,
}

impl Kind {
    /// Lines whose [`Rec::a`] is a subject.
    pub(super) fn has_subject(self) -> bool {
        matches!(self, Kind::Out | Kind::In | Kind::Removing | Kind::Denied)
    }

    /// Lines that are (or try to be) checkouts, checkins or denials: the
    /// lines a missing date makes unusable.
    pub(super) fn is_event(self) -> bool {
        matches!(
            self,
            Kind::Out | Kind::In | Kind::Removing | Kind::Denied | Kind::BadEvent
        )
    }
}

/// One line, read.
#[derive(Clone, Copy, Debug)]
pub(super) struct Rec {
    /// `(N licenses)`, or [`NO_COUNT`] (see [`Rec::count`]): 32-byte
    /// records, one per line, go from the readers to the importer.
    count: u64,
    /// Time of day in seconds (timed lines only).
    pub tod: u32,
    /// The subject, message or day, by [`Kind`].
    pub a: u32,
    /// The checkout data's product (a text), or [`NONE`].
    pub product: u32,
    /// The reason in parentheses (a text), or [`NONE`].
    pub reason: u32,
    /// `(INACTIVE)`/`(SHUTDOWN)` as [`crate::usage::flags`] bits.
    pub flag: u16,
    pub kind: Kind,
    /// Written by `lmgrd`.
    pub lmgrd: bool,
    /// lmgrd's `-----` divider (the start of a server's header).
    pub divider: bool,
}

const _: () = assert!(std::mem::size_of::<Rec>() == 32);

/// [`Rec::count`] of a line without `(N licenses)`.
const NO_COUNT: u64 = u64::MAX;

impl Rec {
    /// `(N licenses)`, when the line has it.
    pub(super) fn count(&self) -> Option<u64> {
        (self.count != NO_COUNT).then_some(self.count)
    }

    fn untimed(kind: Kind, a: u32) -> Self {
        Rec {
            count: NO_COUNT,
            tod: 0,
            a,
            product: NONE,
            reason: NONE,
            flag: 0,
            kind,
            lmgrd: false,
            divider: false,
        }
    }
}

/// Who and what an event is about, as written: daemon, feature, user and
/// host, each followed by a NUL (no name holds one) in one key.
#[derive(Clone, Debug)]
pub(super) struct Subject {
    key: Box<str>,
    /// Where the feature, user and host start in `key`.
    starts: [u32; 3],
}

impl Subject {
    /// The subject of `key` (four parts, each ended by a NUL).
    fn from_key(key: &[u8]) -> Self {
        let mut starts = [0u32; 3];
        let nuls = key.iter().enumerate().filter(|&(_, &b)| b == 0);
        for (slot, (i, _)) in starts.iter_mut().zip(nuls) {
            *slot = i as u32 + 1;
        }
        Subject {
            key: String::from_utf8_lossy(key).into(),
            starts,
        }
    }

    /// The key the four parts make together.
    pub(super) fn key(&self) -> &[u8] {
        self.key.as_bytes()
    }

    /// Part `i` (0 daemon, 1 feature, 2 user, 3 host).
    fn part(&self, i: usize) -> &str {
        let start = match i.checked_sub(1) {
            Some(j) => self.starts.get(j).map_or(0, |&s| s as usize),
            None => 0,
        };
        let end = self
            .starts
            .get(i)
            .map_or(self.key.len(), |&s| s as usize)
            .saturating_sub(1);
        self.key.get(start..end).unwrap_or_default()
    }
    pub(super) fn daemon(&self) -> &str {
        self.part(0)
    }
    pub(super) fn feature(&self) -> &str {
        self.part(1)
    }
    pub(super) fn user(&self) -> &str {
        self.part(2)
    }
    pub(super) fn host(&self) -> &str {
        self.part(3)
    }
}

/// A fast hash for short names (the multiply-rotate of rustc's FxHasher,
/// with a final mix): the tables are private to one import, so no flooding
/// defence is needed.
#[derive(Default, Clone, Copy)]
pub(super) struct Fx(u64);

impl Hasher for Fx {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    /// Mixes every bit into the low ones, which pick the bucket (the
    /// multiply alone only carries low bits upwards).
    #[inline]
    fn finish(&self) -> u64 {
        let h = (self.0 ^ (self.0 >> 31)).wrapping_mul(0x94d0_49bb_1331_11eb);
        h ^ (h >> 29)
    }
}

impl Fx {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A hash map with [`Fx`].
pub(super) type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<Fx>>;

/// The [`Fx`] hash of `key`.
#[inline]
pub(super) fn fx_hash(key: &[u8]) -> u64 {
    let mut h = Fx::default();
    h.write(key);
    h.finish()
}

/// Keys up to this long sit inside their entry of [`Known`].
const INLINE_KEY: usize = 48;

/// One entry of [`Known`]: a cache line with the key inside.
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Entry {
    hash: u64,
    id: u32,
    /// Key length; 0 marks an empty entry (no key is empty).
    len: u32,
    key: [u8; INLINE_KEY],
}

const EMPTY: Entry = Entry {
    hash: 0,
    id: 0,
    len: 0,
    key: [0; INLINE_KEY],
};

/// Subjects the importer has met, by key, with their index among all
/// subjects of the file: a read-only snapshot the readers look each line
/// up in, so that a known subject needs no work in the importer. Open
/// addressing with the key inside the entry, so that a lookup reads one
/// cache line: a log's lines come in time order, every one about another
/// subject, and a pointer to follow per line would double the misses.
#[derive(Default)]
pub(super) struct Known {
    entries: Vec<Entry>,
    /// Keys too long for an entry.
    long: FxMap<Box<[u8]>, u32>,
}

impl Known {
    /// A snapshot of `keys` (key, index).
    pub(super) fn new<'a>(keys: impl ExactSizeIterator<Item = (&'a [u8], u32)>) -> Self {
        // Two thirds full: short probes, and 64-byte entries spread over
        // no more memory than needed (it is read at random, once a line).
        let size = (keys.len() * 3 / 2).max(16);
        let mut known = Known {
            entries: vec![EMPTY; size],
            long: FxMap::default(),
        };
        for (key, id) in keys {
            if key.len() > INLINE_KEY || key.is_empty() {
                known.long.insert(key.into(), id);
                continue;
            }
            let hash = fx_hash(key);
            let mut i = home(hash, size);
            while known.entries[i].len != 0 {
                i = if i + 1 == size { 0 } else { i + 1 };
            }
            let e = &mut known.entries[i];
            e.hash = hash;
            e.id = id;
            e.len = key.len() as u32;
            e.key[..key.len()].copy_from_slice(key);
        }
        known
    }

    /// Reads the entry a key of hash `hash` starts at: a load whose value
    /// hardly matters, issued early so that its cache miss overlaps others.
    #[inline]
    fn touch(&self, hash: u64) -> u32 {
        self.entries
            .get(home(hash, self.entries.len()))
            .map_or(0, |e| e.len)
    }

    /// The index of `key`, whose hash is `hash`.
    #[inline]
    pub(super) fn get(&self, key: &[u8], hash: u64) -> Option<u32> {
        if key.len() > INLINE_KEY || key.is_empty() {
            return self.long.get(key).copied();
        }
        let size = self.entries.len();
        let mut i = home(hash, size);
        loop {
            let e = self.entries.get(i)?;
            if e.len == 0 {
                return None;
            }
            if e.hash == hash && e.key.get(..e.len as usize) == Some(key) {
                return Some(e.id);
            }
            i = if i + 1 == size { 0 } else { i + 1 };
        }
    }
}

/// The first entry to try for `hash` among `size` (the high bits of
/// `hash × size`: any size, no division).
#[inline]
fn home(hash: u64, size: usize) -> usize {
    ((u128::from(hash) * size as u128) >> 64) as usize
}

/// Marks a subject id of a [`Rec`] as an index among all subjects met
/// ([`Known`]) rather than in the block's [`Table`].
pub(super) const GLOBAL: u32 = 1 << 31;

/// A line's subject waiting to be looked up: its key in [`Table::keys`],
/// the key's hash, and the record that gets the subject's id.
struct Waiting {
    start: usize,
    len: usize,
    hash: u64,
    rec: u32,
}

/// Subjects looked up together: their cache misses overlap.
const BATCH: usize = 16;

/// The names of one block: subjects (daemon, feature, user, host), texts
/// (products and reasons) and problem messages, each numbered in order of
/// first appearance.
#[derive(Default)]
pub(super) struct Table {
    subject_ids: FxMap<Box<[u8]>, u32>,
    subjects: Vec<Subject>,
    text_ids: FxMap<Box<[u8]>, u32>,
    texts: Vec<Box<str>>,
    messages: Vec<Box<str>>,
    /// Keys of the subjects waiting to be looked up.
    keys: Vec<u8>,
    waiting: Vec<Waiting>,
    /// Lines that were not UTF-8 and were read as Windows-1252.
    pub windows_1252: u64,
}

impl Table {
    /// Subject `id`.
    pub(super) fn subject(&self, id: u32) -> &Subject {
        &self.subjects[id as usize]
    }
    /// Text `id`.
    pub(super) fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }
    /// Message `id`.
    pub(super) fn message(&self, id: u32) -> &str {
        &self.messages[id as usize]
    }
    /// Number of subjects.
    pub(super) fn subjects_len(&self) -> usize {
        self.subjects.len()
    }
    /// Number of texts.
    pub(super) fn texts_len(&self) -> usize {
        self.texts.len()
    }
    /// Forgets the messages (the sequential reader's table lives for the
    /// whole file; its messages are used once).
    pub(super) fn clear_messages(&mut self) {
        self.messages.clear();
    }

    /// Notes the subject of record `rec`, to be looked up by
    /// [`Table::resolve`].
    #[inline]
    fn wait_subject(&mut self, rec: u32, daemon: &str, feature: &str, user: &str, host: &str) {
        let start = self.keys.len();
        for part in [daemon, feature, user, host] {
            self.keys.extend_from_slice(part.as_bytes());
            // No name holds a NUL: the parts cannot run into each other.
            self.keys.push(0);
        }
        let key = self.keys.get(start..).unwrap_or_default();
        self.waiting.push(Waiting {
            start,
            len: key.len(),
            hash: fx_hash(key),
            rec,
        });
    }

    /// Gives the records read since the last call their subjects: an index
    /// in `known` (with [`GLOBAL`]), else one of the table's own. Done in
    /// batches whose snapshot entries are all read first: lines come in
    /// time order, each about another subject, so nearly every lookup
    /// misses the cache, and misses issued together overlap.
    pub(super) fn resolve(&mut self, known: &Known, recs: &mut [Rec]) {
        let waiting = std::mem::take(&mut self.waiting);
        for batch in waiting.chunks(BATCH) {
            let touched = batch.iter().fold(0, |acc, w| acc ^ known.touch(w.hash));
            std::hint::black_box(touched);
            for w in batch {
                let key = self.keys.get(w.start..w.start + w.len).unwrap_or_default();
                let id = match known.get(key, w.hash) {
                    Some(g) => g | GLOBAL,
                    None => match self.subject_ids.get(key) {
                        Some(&id) => id,
                        None => {
                            let id = self.subjects.len() as u32;
                            self.subject_ids.insert(key.into(), id);
                            self.subjects.push(Subject::from_key(key));
                            id
                        }
                    },
                };
                if let Some(r) = recs.get_mut(w.rec as usize) {
                    r.a = id;
                }
            }
        }
        self.keys.clear();
        self.waiting = waiting;
        self.waiting.clear();
    }

    fn text_id(&mut self, text: &str) -> u32 {
        if let Some(&id) = self.text_ids.get(text.as_bytes()) {
            return id;
        }
        let id = self.texts.len() as u32;
        self.text_ids.insert(text.as_bytes().into(), id);
        self.texts.push(text.into());
        id
    }

    fn add_message(&mut self, message: String) -> u32 {
        self.messages.push(message.into());
        (self.messages.len() - 1) as u32
    }
}

/// Reads one line (decoded, line end included or not) that will be record
/// `at` of the block; its subject waits in `t` for [`Table::resolve`].
pub(super) fn parse_line(text: &str, at: u32, t: &mut Table) -> Rec {
    let text = clean(text);
    if text.is_empty() {
        return Rec::untimed(Kind::Blank, 0);
    }
    let Some(env) = envelope(text) else {
        let m = t.add_message(format!(
            "no `H:MM:SS (daemon)` envelope: \"{}\"; line skipped",
            preview(text)
        ));
        return Rec::untimed(Kind::NoEnvelope, m);
    };
    let lmgrd = env.daemon == "lmgrd";
    let mut rec = Rec {
        count: NO_COUNT,
        // At most 23:59:59.
        tod: env.tod as u32,
        a: 0,
        product: NONE,
        reason: NONE,
        flag: 0,
        kind: Kind::Unknown,
        lmgrd,
        divider: lmgrd && is_divider(env.msg),
    };
    let msg = env.msg;
    if let Some(rest) = msg.strip_prefix("OUT: ") {
        event(&mut rec, Kind::Out, "OUT", env.daemon, rest, at, t);
    } else if let Some(rest) = msg.strip_prefix("IN: ") {
        event(&mut rec, Kind::In, "IN", env.daemon, rest, at, t);
    } else if let Some(rest) = msg.strip_prefix("REMOVING ") {
        match parse_removing(rest) {
            Some((feature, user, host)) => {
                rec.kind = Kind::Removing;
                t.wait_subject(at, env.daemon, feature, user, host);
            }
            None => bad_event(&mut rec, "REMOVING", rest, t),
        }
    } else if let Some(rest) = msg.strip_prefix("DENIED: ") {
        event(&mut rec, Kind::Denied, "DENIED", env.daemon, rest, at, t);
    } else if msg.starts_with("UNSUPPORTED: ") {
        rec.kind = Kind::Unsupported;
    } else if msg.starts_with("QUEUED: ") || msg.starts_with("DEQUEUED: ") {
        rec.kind = Kind::Queued;
    } else if let Some(rest) = msg.strip_prefix("TIMESTAMP ") {
        anchor(
            &mut rec,
            parse_mdy(rest.trim()),
            AnchorKind::Running,
            msg,
            t,
        );
    } else if let Some(rest) = msg.strip_prefix("Server's System Date and Time: ") {
        anchor(
            &mut rec,
            parse_long_date(rest),
            AnchorKind::Starting,
            msg,
            t,
        );
    } else if let Some(slog) = slog_body(msg) {
        if let Some(rest) = slog.strip_prefix("Start-Date: ") {
            anchor(
                &mut rec,
                parse_long_date(rest),
                AnchorKind::Starting,
                msg,
                t,
            );
        } else if let Some(rest) = slog.strip_prefix("Time: ") {
            anchor(&mut rec, parse_long_date(rest), AnchorKind::Running, msg, t);
        } else {
            rec.kind = Kind::Statistics;
        }
    } else if msg.starts_with("SLOG: ") {
        rec.kind = Kind::Statistics;
    } else if let Some(d) = banner_date(msg) {
        anchor(&mut rec, d, AnchorKind::Banner, msg, t);
    }
    rec
}

#[inline]
fn event(rec: &mut Rec, kind: Kind, word: &str, daemon: &str, rest: &str, at: u32, t: &mut Table) {
    let Some(ev) = parse_event(rest) else {
        return bad_event(rec, word, rest, t);
    };
    rec.kind = kind;
    t.wait_subject(at, daemon, ev.feature, ev.user, ev.host);
    // A count past what the sentinel leaves is as absurd as the sentinel:
    // both are refused the same way.
    rec.count = ev.count.map_or(NO_COUNT, |n| n.min(NO_COUNT - 1));
    rec.flag = ev.flag.unwrap_or(0);
    if let Some(p) = ev.product {
        rec.product = t.text_id(p);
    }
    if let Some(r) = ev.reason {
        rec.reason = t.text_id(r);
    }
}

fn bad_event(rec: &mut Rec, word: &str, rest: &str, t: &mut Table) {
    rec.kind = Kind::BadEvent;
    rec.a = t.add_message(format!(
        "{word}: cannot read the feature and user@host in \"{}\"; line skipped",
        preview(rest)
    ));
}

fn anchor(
    rec: &mut Rec,
    date: Option<chrono::NaiveDate>,
    kind: AnchorKind,
    msg: &str,
    t: &mut Table,
) {
    match date {
        Some(d) => {
            rec.kind = Kind::Anchor(kind);
            rec.a = day_of_date(d) as u32;
        }
        None => {
            rec.kind = Kind::BadDate;
            rec.a = t.add_message(format!(
                "cannot read the date in \"{}\"; line skipped",
                preview(msg)
            ));
        }
    }
}
