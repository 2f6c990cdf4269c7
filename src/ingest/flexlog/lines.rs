//! One line of a debug log read into a compact [`Rec`], with its names in a
//! [`Table`] of the block the line belongs to.
//!
//! Reading a line needs nothing but its text: no date, no open checkout, no
//! name seen before. So blocks of lines are read on all cores
//! ([`super::parallel`]), each into its own table. A line's subject
//! (daemon, feature, user, host) is not copied: the record says where its
//! parts are in the block's text and carries their hash, by which the
//! readers name the subject the importer most likely knows it as
//! ([`super::subjects`]); the importer ([`super::importer`]) checks that by
//! key, and finds or adds the others, as it walks the records in file
//! order.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::clock::AnchorKind;
use super::grammar::{
    banner_date, clean, envelope, is_divider, parse_event, parse_long_date, parse_mdy,
    parse_removing, preview, slog_body,
};
use crate::ingest::sessions_csv::load;
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
    /// `(N licenses)`, or [`NO_COUNT`] (see [`Rec::count`]).
    count: u64,
    /// Time of day in seconds (timed lines only).
    pub tod: u32,
    /// The message or day, by [`Kind`]; for a line with a subject, where
    /// its key is ([`Table::parts`]).
    pub a: u32,
    /// The checkout data's product (a text), or [`NONE`].
    pub product: u32,
    /// The reason in parentheses (a text), or [`NONE`].
    pub reason: u32,
    /// The [`subject_hash`] of a line with a subject.
    pub hash: u32,
    /// The reader's guess of the subject among all subjects of the file:
    /// the one its snapshot ([`super::subjects::Known`]) has first for the
    /// hash, which the importer checks by key; [`NONE`] when it has none.
    pub g: u32,
    /// Offset from [`Rec::a`] and length of each part of the subject, when
    /// the line is in the block's text; else the key is in [`Table::keys`]
    /// from [`Rec::a`] on (`long`).
    parts: [u8; 8],
    long: bool,
    /// `(INACTIVE)`/`(SHUTDOWN)` as [`crate::usage::flags`] bits.
    pub flag: u16,
    pub kind: Kind,
    /// Written by `lmgrd`.
    pub lmgrd: bool,
    /// lmgrd's `-----` divider (the start of a server's header).
    pub divider: bool,
}

// 48-byte records, one per line, go from the readers to the importer.
const _: () = assert!(std::mem::size_of::<Rec>() == 48);

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
            hash: 0,
            g: NONE,
            parts: [0; 8],
            long: false,
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
    pub(super) fn from_key(key: &[u8]) -> Self {
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

/// The hash of a subject, from its four parts (daemon, feature, user,
/// host) wherever they are: the readers hash the parts in the line, the
/// importer's table keeps the hash of each subject it holds. The daemon is
/// left out (a log has one or a few; keys are compared anyway).
#[inline]
pub(super) fn subject_hash(parts: [&[u8]; 4]) -> u32 {
    let mut h = Fx::default();
    for p in parts.iter().skip(1) {
        for c in p.chunks(8) {
            h.add(load(c));
        }
        // The lengths keep the parts apart ("ab","c" from "a","bc").
        h.add(p.len() as u64);
    }
    (h.finish() >> 32) as u32
}

/// True when `a` and `b` hold the same bytes: a word at a time (names are
/// short; a call to the library's comparison costs more than the
/// comparing).
#[inline]
pub(super) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len()
        && a.chunks(8)
            .zip(b.chunks(8))
            .all(|(x, y)| load(x) == load(y))
}

/// True when `key` (four parts, each ended by a NUL) has these parts.
#[inline]
pub(super) fn key_is(key: &[u8], parts: [&[u8]; 4]) -> bool {
    let mut at = 0;
    parts.iter().all(|p| {
        let end = at + p.len();
        let same = key.get(at..end).is_some_and(|k| same_bytes(k, p)) && key.get(end) == Some(&0);
        at = end + 1;
        same
    }) && at == key.len()
}

/// The names of one block: the block's text (the subjects of its lines are
/// read there), subjects of lines that are not in it (decoded, or too long
/// to point into), texts (products and reasons) and problem messages, each
/// numbered in order of first appearance.
#[derive(Default)]
pub(super) struct Table {
    /// The block's bytes.
    pub text: Vec<u8>,
    /// Subject keys of the lines whose parts are not pointed at in `text`:
    /// four parts, each ended by a NUL.
    keys: Vec<u8>,
    text_ids: FxMap<Box<[u8]>, u32>,
    texts: Vec<Box<str>>,
    messages: Vec<Box<str>>,
    /// Lines that were not UTF-8 and were read as Windows-1252.
    pub windows_1252: u64,
}

impl Table {
    /// Text `id`.
    pub(super) fn text(&self, id: u32) -> &str {
        &self.texts[id as usize]
    }
    /// Message `id`.
    pub(super) fn message(&self, id: u32) -> &str {
        &self.messages[id as usize]
    }
    /// Number of texts.
    pub(super) fn texts_len(&self) -> usize {
        self.texts.len()
    }
    /// Forgets what a line left (the sequential reader's table lives for
    /// the whole file; its messages and keys are used once).
    pub(super) fn clear_line(&mut self) {
        self.messages.clear();
        self.keys.clear();
    }
    /// Empties the table for another block, keeping its memory; returns the
    /// text it held.
    pub(super) fn reset(&mut self) -> Vec<u8> {
        self.keys.clear();
        self.text_ids.clear();
        self.texts.clear();
        self.messages.clear();
        self.windows_1252 = 0;
        std::mem::take(&mut self.text)
    }

    /// The daemon, feature, user and host of `rec`, a line with a subject.
    #[inline]
    pub(super) fn parts(&self, rec: &Rec) -> [&[u8]; 4] {
        if rec.long {
            let mut rest = self.keys.get(rec.a as usize..).unwrap_or_default();
            return std::array::from_fn(|_| {
                let end = memchr::memchr(0, rest).unwrap_or(rest.len());
                let (part, tail) = rest.split_at(end);
                rest = tail.get(1..).unwrap_or_default();
                part
            });
        }
        let line = self.text.get(rec.a as usize..).unwrap_or_default();
        std::array::from_fn(|i| {
            let at = usize::from(rec.parts[2 * i]);
            let len = usize::from(rec.parts[2 * i + 1]);
            line.get(at..at + len).unwrap_or_default()
        })
    }

    /// Notes where the subject of `rec` is: in the block's text when the
    /// line is there (`at`, the offset of the line that starts at `base`)
    /// and the parts are near its start, else copied into `keys`.
    #[inline]
    fn locate(&mut self, rec: &mut Rec, parts: [&str; 4], base: usize, at: Option<u32>) {
        let parts = parts.map(str::as_bytes);
        rec.hash = subject_hash(parts);
        if let Some(at) = at {
            let mut packed = [0u8; 8];
            let fits = parts.iter().enumerate().all(|(i, p)| {
                // Every part is a piece of the line: its address less the
                // line's is where it starts in the line.
                let off = (p.as_ptr() as usize).wrapping_sub(base);
                match (u8::try_from(off), u8::try_from(p.len())) {
                    (Ok(o), Ok(n)) => {
                        packed[2 * i] = o;
                        packed[2 * i + 1] = n;
                        true
                    }
                    _ => false,
                }
            });
            if fits {
                rec.a = at;
                rec.parts = packed;
                return;
            }
        }
        rec.long = true;
        rec.a = self.keys.len() as u32;
        for p in parts {
            self.keys.extend_from_slice(p);
            // No name holds a NUL: the parts cannot run into each other.
            self.keys.push(0);
        }
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

/// Reads one line (decoded, line end included or not); `at` is where it
/// starts in the block's text ([`Table::text`]) when it is there as it is.
pub(super) fn parse_line(text: &str, at: Option<u32>, t: &mut Table) -> Rec {
    let base = text.as_ptr() as usize;
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
        // At most 23:59:59.
        tod: env.tod as u32,
        lmgrd,
        divider: lmgrd && is_divider(env.msg),
        ..Rec::untimed(Kind::Unknown, 0)
    };
    let msg = env.msg;
    if let Some(rest) = msg.strip_prefix("OUT: ") {
        event(&mut rec, Kind::Out, "OUT", env.daemon, rest, (base, at), t);
    } else if let Some(rest) = msg.strip_prefix("IN: ") {
        event(&mut rec, Kind::In, "IN", env.daemon, rest, (base, at), t);
    } else if let Some(rest) = msg.strip_prefix("REMOVING ") {
        match parse_removing(rest) {
            Some((feature, user, host)) => {
                rec.kind = Kind::Removing;
                t.locate(&mut rec, [env.daemon, feature, user, host], base, at);
            }
            None => bad_event(&mut rec, "REMOVING", rest, t),
        }
    } else if let Some(rest) = msg.strip_prefix("DENIED: ") {
        event(
            &mut rec,
            Kind::Denied,
            "DENIED",
            env.daemon,
            rest,
            (base, at),
            t,
        );
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

/// An `OUT:`/`IN:`/`DENIED:` line; `(base, at)` is the start of the line and
/// where it is in the block (see [`parse_line`]).
#[inline]
fn event(
    rec: &mut Rec,
    kind: Kind,
    word: &str,
    daemon: &str,
    rest: &str,
    (base, at): (usize, Option<u32>),
    t: &mut Table,
) {
    let Some(ev) = parse_event(rest) else {
        return bad_event(rec, word, rest, t);
    };
    rec.kind = kind;
    t.locate(rec, [daemon, ev.feature, ev.user, ev.host], base, at);
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
