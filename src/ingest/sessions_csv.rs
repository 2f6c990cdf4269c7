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

// ---------------------------------------------------------------- hashing

/// A small fast hash for the name tables (names are short and come from
/// the user's own file).
#[derive(Clone, Copy, Default)]
struct FastHasher(u64);

const K1: u64 = 0xf135_7aea_2e62_a9c5;
const K2: u64 = 0xff51_afd7_ed55_8ccd;

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K1);
        }
        let rem = chunks.remainder();
        if !rem.is_empty() {
            let mut w = [0u8; 8];
            if let Some(dst) = w.get_mut(..rem.len()) {
                dst.copy_from_slice(rem);
            }
            h = (h.rotate_left(5) ^ u64::from_le_bytes(w) ^ rem.len() as u64).wrapping_mul(K1);
        }
        self.0 = h;
    }
    #[inline]
    fn write_u128(&mut self, v: u128) {
        let (lo, hi) = (v as u64, (v >> 64) as u64);
        self.0 = ((self.0 ^ lo).wrapping_mul(K1).rotate_left(29) ^ hi).wrapping_mul(K2);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; the table indexes with them.
        let h = self.0;
        h ^ (h >> 32)
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Up to 8 bytes as a little-endian integer (zero above them), read as at
/// most two overlapping words rather than byte by byte: this runs for
/// every name of every row.
#[inline]
fn load(b: &[u8]) -> u64 {
    fn word<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
        b.get(at..at + N)
            .and_then(|w| w.try_into().ok())
            .unwrap_or([0; N])
    }
    let n = b.len();
    match n {
        0 => 0,
        1..=3 => {
            // First, middle and last byte (some the same when n < 3).
            let (a, m, z) = (
                u64::from(b.first().copied().unwrap_or(0)),
                u64::from(b.get(n / 2).copied().unwrap_or(0)),
                u64::from(b.last().copied().unwrap_or(0)),
            );
            a | (m << (8 * (n / 2))) | (z << (8 * (n - 1)))
        }
        4..=7 => {
            let lo = u64::from(u32::from_le_bytes(word(b, 0)));
            let hi = u64::from(u32::from_le_bytes(word(b, n - 4)));
            lo | (hi << (8 * (n - 4)))
        }
        _ => u64::from_le_bytes(word(b, 0)),
    }
}

/// A name of at most 15 bytes packed into one integer (its length plus one
/// in the top byte, so never 0), so that tables compare keys without
/// following a pointer.
#[inline]
fn pack(b: &[u8]) -> Option<u128> {
    let n = b.len();
    if n > 15 {
        return None;
    }
    let (lo, hi) = b.split_at(n.min(8));
    Some(u128::from(load(lo)) | (u128::from(load(hi)) << 64) | ((n as u128 + 1) << 120))
}

/// Name → id, short names inline; and id → packed short name.
#[derive(Clone, Default)]
struct NameMap {
    short: FastMap<u128, u32>,
    long: FastMap<Box<[u8]>, u32>,
    /// Packed key by id (without [`LOCAL`]); 0 for a long name.
    by_id: Vec<u128>,
}

impl NameMap {
    #[inline]
    fn get(&self, key: &[u8], packed: Option<u128>) -> Option<u32> {
        match packed {
            Some(p) => self.short.get(&p).copied(),
            None => self.long.get(key).copied(),
        }
    }
    /// Adds `key` unless present; true when it was new.
    fn insert(&mut self, key: &[u8], id: u32) -> bool {
        match pack(key) {
            Some(p) => {
                if self.short.contains_key(&p) {
                    return false;
                }
                self.short.insert(p, id);
                let i = (id & !LOCAL) as usize;
                if self.by_id.len() <= i {
                    self.by_id.resize(i + 1, 0);
                }
                if let Some(slot) = self.by_id.get_mut(i) {
                    *slot = p;
                }
            }
            None => {
                if self.long.contains_key(key) {
                    return false;
                }
                self.long.insert(key.into(), id);
            }
        }
        true
    }
    fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
    fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
        self.by_id.clear();
    }
}

/// A short name packed so that integer order is the byte order of names
/// (big-endian, length last).
#[inline]
fn pack_ordered(b: &[u8]) -> Option<u128> {
    let n = b.len();
    if n > 15 {
        return None;
    }
    let (lo, hi) = b.split_at(n.min(8));
    // Byte-swapped, the first byte of the name is the most significant; the
    // lowest byte of `hi` is free (at most 7 bytes there) and takes the length.
    Some((u128::from(load(lo).swap_bytes()) << 64) | u128::from(load(hi).swap_bytes()) | n as u128)
}

/// Short names in name order, to find the next name near the previous one:
/// files sorted by user (within a day, an hour...) ask for names that are
/// neighbours in this order.
#[derive(Clone, Default)]
struct Sorted {
    /// Ordered keys, and the id of each (two arrays: half the cache lines
    /// of an array of pairs).
    keys: Vec<u128>,
    ids: Vec<u32>,
    /// Position in `keys` by id (`u32::MAX`: not there).
    rank: Vec<u32>,
    /// Added since the last [`Sorted::settle`].
    pending: Vec<(u128, u32)>,
}

impl Sorted {
    fn add(&mut self, key: &[u8], id: u32) {
        if let Some(k) = pack_ordered(key) {
            self.pending.push((k, id));
        }
    }

    /// Merges the pending names in.
    fn settle(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut all: Vec<(u128, u32)> = self
            .keys
            .iter()
            .copied()
            .zip(self.ids.iter().copied())
            .chain(self.pending.drain(..))
            .collect();
        // Mostly sorted already: the standard sort finds the runs.
        all.sort();
        self.keys = all.iter().map(|e| e.0).collect();
        self.ids = all.iter().map(|e| e.1).collect();
        for (i, &id) in self.ids.iter().enumerate() {
            set(&mut self.rank, id, i as u32);
        }
    }

    /// The id of `key`, searched from where `prev` is (a few steps forward
    /// first, then by halving).
    #[inline]
    fn find(&self, prev: Option<u32>, key: u128) -> Option<u32> {
        let at = self.rank.get(prev? as usize).copied()? as usize;
        let here = *self.keys.get(at)?;
        let (from, to) = if key > here {
            let near = at + 1..(at + 9).min(self.keys.len());
            for (i, &k) in self.keys.get(near.clone())?.iter().enumerate() {
                if k >= key {
                    return if k == key {
                        self.ids.get(near.start + i).copied()
                    } else {
                        None
                    };
                }
            }
            (near.end, self.keys.len())
        } else {
            (0, at)
        };
        let part = self.keys.get(from..to)?;
        let i = part.binary_search(&key).ok()?;
        self.ids.get(from + i).copied()
    }
}

/// Marks an id local to a chunk (not yet global).
const LOCAL: u32 = 1 << 31;

/// Global ids of the names merged so far, by identity key. Workers read it
/// (it only changes between batches), so that once the names of a file
/// have been seen, rows resolve straight to global ids.
#[derive(Clone, Default)]
struct Known {
    users: NameMap,
    features: NameMap,
    hosts: NameMap,
    users_sorted: Sorted,
    hosts_sorted: Sorted,
}

impl Known {
    /// Makes the names added lately searchable in order too.
    fn settle(&mut self) {
        self.users_sorted.settle();
        self.hosts_sorted.settle();
    }
}

/// A chunk's name table: global ids from [`Known`], else local ids (with
/// [`LOCAL`] set) in order of first appearance, first spelling kept.
///
/// Files come sorted (by time, by user): the same name runs over several
/// rows, users come in much the same order day after day, and a user's
/// host is usually the one they had before. Such guesses are checked before
/// the hash table, whose random accesses miss the cache once it holds tens
/// of thousands of names.
#[derive(Default)]
struct Names {
    map: NameMap,
    names: Vec<Box<str>>,
    last: Option<(u128, u32)>,
}

impl Names {
    /// The id of `display`, whose identity is `key(display)`: global when
    /// `known` has it, else local. `guess(p)` returns the global id of the
    /// packed key `p` when a shortcut finds it: exact matches only (checking
    /// again here would cost one more cache miss per row).
    #[inline]
    fn id(
        &mut self,
        display: &[u8],
        key: impl FnOnce(&[u8]) -> Cow<'_, [u8]>,
        known: &NameMap,
        guess: impl FnOnce(&[u8], u128, Option<u32>) -> Option<u32>,
    ) -> u32 {
        let packed = pack(display);
        if let (Some(p), Some((last, id))) = (packed, self.last)
            && p == last
        {
            return id;
        }
        let k = key(display);
        // The key differs from the display name only when case folding
        // changed it.
        let unchanged = match &k {
            // Borrowed from `display` itself: no need to compare bytes.
            Cow::Borrowed(b) => b.as_ptr() == display.as_ptr() && b.len() == display.len(),
            Cow::Owned(_) => false,
        } || *k == *display;
        let kp = if unchanged { packed } else { pack(&k) };
        let prev = self.last.map(|(_, id)| id).filter(|id| id & LOCAL == 0);
        let guessed = kp.and_then(|p| guess(&k, p, prev));
        debug_assert!(
            guessed.is_none_or(|g| kp.is_some() && known.by_id.get(g as usize) == kp.as_ref()),
            "a guess must be an exact match"
        );
        let id = if let Some(g) = guessed {
            g
        } else if let Some(g) = known.get(&k, kp) {
            g
        } else if let Some(id) = self.map.get(&k, kp) {
            id
        } else {
            let id = self.names.len() as u32 | LOCAL;
            self.names.push(String::from_utf8_lossy(display).into());
            self.map.insert(&k, id);
            id
        };
        self.last = packed.map(|p| (p, id));
        id
    }

    /// The names in id order; the table starts over.
    fn take(&mut self) -> Vec<Box<str>> {
        self.map.clear();
        self.last = None;
        std::mem::take(&mut self.names)
    }
}

/// Sets `v[i] = x`, growing `v` with `u32::MAX`.
fn set(v: &mut Vec<u32>, i: u32, x: u32) {
    let i = i as usize;
    if v.len() <= i {
        v.resize(i + 1, u32::MAX);
    }
    if let Some(slot) = v.get_mut(i) {
        *slot = x;
    }
}

/// The identity key of a user name ([`UserTable::key_of`]), without its
/// Unicode scan for the common lower-case ASCII name.
#[inline]
fn user_key(name: &[u8]) -> Cow<'_, [u8]> {
    if name.iter().all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        && name.trim_ascii().len() == name.len()
    {
        return Cow::Borrowed(name);
    }
    match std::str::from_utf8(name).map(UserTable::key_of) {
        Ok(Cow::Borrowed(k)) => Cow::Borrowed(k.as_bytes()),
        Ok(Cow::Owned(k)) => Cow::Owned(k.into_bytes()),
        Err(_) => Cow::Borrowed(name),
    }
}

/// A field trimmed, or `None` when it is not UTF-8. `ascii`: the whole
/// input is known to be ASCII, so the field needs no check.
#[inline]
fn text(field: &[u8], ascii: bool) -> Option<&[u8]> {
    let t = field.trim_ascii();
    if ascii || t.is_ascii() {
        Some(t)
    } else {
        std::str::from_utf8(t).ok().map(|s| s.trim().as_bytes())
    }
}

// ---------------------------------------------------------------- time

/// How fractional seconds round: a session never shrinks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Round {
    Floor,
    Ceil,
}

/// A timestamp read by [`parse_general`].
struct Parsed {
    /// Wall-clock seconds since 1970-01-01 00:00 (as if UTC).
    wall: i64,
    /// A non-zero fraction of a second was given.
    frac: bool,
    /// UTC offset in seconds, when given.
    offset: Option<i64>,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds of a valid date and time, or `None`.
fn civil_secs(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let ok = (1..=12).contains(&mo)
        && d >= 1
        && d <= days_in_month(y, mo)
        && h < 24
        && mi < 60
        && s < 60;
    ok.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// `YYYY-MM-DD` then `T`, `t` or a space, `HH:MM[:SS[.fff]]`, then
/// optionally `Z` or an offset `±HH:MM` / `±HHMM` / `±HH`.
fn parse_general(s: &[u8]) -> Option<Parsed> {
    let s = s.trim_ascii();
    let mut i = 0usize;
    let num = |i: &mut usize, n: usize| -> Option<i64> {
        let digits = s.get(*i..*i + n)?;
        let mut v = 0i64;
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        *i += n;
        Some(v)
    };
    let lit = |i: &mut usize, c: &[u8]| -> bool {
        match s.get(*i) {
            Some(b) if c.contains(b) => {
                *i += 1;
                true
            }
            _ => false,
        }
    };
    let y = num(&mut i, 4)?;
    lit(&mut i, b"-").then_some(())?;
    let mo = num(&mut i, 2)?;
    lit(&mut i, b"-").then_some(())?;
    let d = num(&mut i, 2)?;
    lit(&mut i, b"Tt ").then_some(())?;
    let h = num(&mut i, 2)?;
    lit(&mut i, b":").then_some(())?;
    let mi = num(&mut i, 2)?;
    let mut sec = 0;
    let mut frac = false;
    if lit(&mut i, b":") {
        sec = num(&mut i, 2)?;
        if lit(&mut i, b".,") {
            let start = i;
            while let Some(c) = s.get(i).filter(|c| c.is_ascii_digit()) {
                frac |= *c != b'0';
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    let wall = civil_secs(y, mo, d, h, mi, sec)?;
    let rest = s.get(i..)?.trim_ascii_start();
    let offset = match rest {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let mut j = 0usize;
            let t = tail;
            let two = |j: &mut usize| -> Option<i64> {
                let a = t.get(*j).filter(|c| c.is_ascii_digit())?;
                let b = t.get(*j + 1).filter(|c| c.is_ascii_digit())?;
                *j += 2;
                Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let oh = two(&mut j)?;
            if t.get(j) == Some(&b':') {
                j += 1;
            }
            let om = if j < t.len() { two(&mut j)? } else { 0 };
            if j != t.len() || oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            Some(if *sign == b'-' { -o } else { o })
        }
        _ => return None,
    };
    Some(Parsed { wall, frac, offset })
}

/// Turns timestamps into UTC seconds; wall-clock times without offset are
/// local time of `tz` (cached per local hour when the hour has one offset).
struct Clock {
    tz: Tz,
    hour: i64,
    offset: i64,
    ambiguous: u64,
    gap: u64,
    /// The last two date parts of the fast path (packed) and the first
    /// second of each, latest first.
    dates: [Option<(u128, i64)>; 2],
}

impl Clock {
    fn new(tz: Tz) -> Self {
        Clock {
            tz,
            hour: i64::MIN,
            offset: 0,
            ambiguous: 0,
            gap: 0,
            dates: [None; 2],
        }
    }

    /// The common form `YYYY-MM-DDTHH:MM:SSZ`, without chrono (and the
    /// date part cached: files come sorted by time more often than not).
    #[inline]
    fn fast_utc(&mut self, b: &[u8]) -> Option<i64> {
        let b: &[u8; 20] = b.try_into().ok()?;
        if b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return None;
        }
        let d = |i: usize| -> Option<i64> {
            let x = b[i].wrapping_sub(b'0');
            (x < 10).then_some(i64::from(x))
        };
        // The date's 10 bytes as one integer: compared without a call.
        let mut w = [0u8; 16];
        w[..10].copy_from_slice(&b[..10]);
        let date = u128::from_le_bytes(w);
        let day = match self.dates {
            [Some((k, secs)), _] if k == date => secs,
            [first, Some((k, secs))] if k == date => {
                // Start and end dates alternate around midnight: keep both.
                self.dates = [Some((k, secs)), first];
                secs
            }
            [first, _] => {
                let secs = civil_secs(
                    d(0)? * 1000 + d(1)? * 100 + d(2)? * 10 + d(3)?,
                    d(5)? * 10 + d(6)?,
                    d(8)? * 10 + d(9)?,
                    0,
                    0,
                    0,
                )?;
                self.dates = [Some((date, secs)), first];
                secs
            }
        };
        let (h, mi, sec) = (
            d(11)? * 10 + d(12)?,
            d(14)? * 10 + d(15)?,
            d(17)? * 10 + d(18)?,
        );
        (h < 24 && mi < 60 && sec < 60).then_some(day + h * 3600 + mi * 60 + sec)
    }

    /// UTC seconds of `raw`, or `None` when it is not a timestamp.
    #[inline]
    fn instant(&mut self, raw: &[u8], round: Round) -> Option<i64> {
        if let Some(t) = self.fast_utc(raw) {
            return Some(t);
        }
        let p = parse_general(raw)?;
        let t = match p.offset {
            Some(o) => p.wall - o,
            None => self.local(p.wall)?,
        };
        Some(if p.frac && round == Round::Ceil {
            t + 1
        } else {
            t
        })
    }

    fn local(&mut self, wall: i64) -> Option<i64> {
        let hour = wall.div_euclid(3600);
        if hour == self.hour {
            return Some(wall - self.offset);
        }
        let naive = |w: i64| -> Option<NaiveDateTime> {
            DateTime::from_timestamp(w, 0).map(|d| d.naive_utc())
        };
        let offset_of = |w: i64| match self.tz.from_local_datetime(&naive(w)?) {
            LocalResult::Single(t) => Some(i64::from(t.offset().fix().local_minus_utc())),
            _ => None,
        };
        if let (Some(a), Some(b)) = (offset_of(hour * 3600), offset_of(hour * 3600 + 3599))
            && a == b
        {
            self.hour = hour;
            self.offset = a;
            return Some(wall - a);
        }
        let n = naive(wall)?;
        Some(match self.tz.from_local_datetime(&n) {
            LocalResult::Single(t) => t.timestamp(),
            LocalResult::Ambiguous(a, _) => {
                self.ambiguous += 1;
                a.timestamp()
            }
            LocalResult::None => {
                self.gap += 1;
                crate::time::local_to_utc(self.tz, n)
            }
        })
    }
}

// ---------------------------------------------------------------- rows

/// Parses rows into a [`Chunk`].
struct RowParser {
    cols: Columns,
    clock: Clock,
    users: Names,
    features: Names,
    hosts: Names,
    guesses: Guesses,
    /// Every byte of the input is ASCII (checked once per block), so no
    /// field needs its own UTF-8 check.
    ascii: bool,
    out: Chunk,
}

/// What a worker learnt of the file's order, kept from block to block
/// (global ids only; a wrong guess costs a hash lookup, never a wrong id).
#[derive(Default)]
struct Guesses {
    /// The last host of each user.
    host_of_user: Vec<u32>,
}

/// A field as it appears in messages.
fn show(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw.trim_ascii()).into_owned()
}

impl RowParser {
    fn new(cols: Columns, tz: Tz, capacity: usize) -> Self {
        RowParser {
            cols,
            clock: Clock::new(tz),
            users: Names::default(),
            features: Names::default(),
            hosts: Names::default(),
            guesses: Guesses::default(),
            ascii: false,
            out: Chunk {
                sessions: Vec::with_capacity(capacity),
                ..Chunk::default()
            },
        }
    }

    fn skip(&mut self, line: u64, why: Reason, message: impl FnOnce() -> String) {
        if let Some(n) = self.out.skipped.get_mut(why as usize) {
            *n += 1;
        }
        if matches!(why, Reason::Blank) {
            return;
        }
        if self.out.problems.len() < Report::MAX_PROBLEMS {
            self.out.problems.push((line, message()));
        } else {
            self.out.problems_dropped += 1;
        }
    }

    /// One line of the block reader (`fields` capped at the header width).
    #[inline]
    fn line(&mut self, line: u64, fields: &[&[u8]], known: &Known) {
        if let [only] = fields
            && table::is_blank(only)
        {
            self.skip(line, Reason::Blank, String::new);
            return;
        }
        self.row(line, fields, known);
    }

    /// One data row: a session, or a skip with its reason.
    #[inline]
    fn row(&mut self, line: u64, f: &[&[u8]], known: &Known) {
        let c = self.cols;
        if f.len() < c.width {
            return self.skip(line, Reason::ShortRow, || {
                format!(
                    "row has {} field{}, the header has {}; row skipped",
                    f.len(),
                    if f.len() == 1 { "" } else { "s" },
                    c.width
                )
            });
        }
        let get = |i: usize| f.get(i).copied().unwrap_or_default();
        let ascii = self.ascii;
        let Some(user) = text(get(c.user), ascii) else {
            return self.skip(line, Reason::NotUtf8, || {
                "user is not valid UTF-8; row skipped".into()
            });
        };
        if user.is_empty() {
            return self.skip(line, Reason::EmptyUser, || {
                "user is empty; row skipped".into()
            });
        }
        let Some(product) = text(get(c.product), ascii) else {
            return self.skip(line, Reason::NotUtf8, || {
                "product is not valid UTF-8; row skipped".into()
            });
        };
        if product.is_empty() {
            return self.skip(line, Reason::EmptyProduct, || {
                "product is empty; row skipped".into()
            });
        }
        let host: &[u8] = match c.host.map(|i| text(get(i), ascii)) {
            None => b"",
            Some(Some(h)) => h,
            Some(None) => {
                return self.skip(line, Reason::NotUtf8, || {
                    "host is not valid UTF-8; row skipped".into()
                });
            }
        };
        let (start_raw, end_raw) = (get(c.start), get(c.end));
        let Some(start) = self.clock.instant(start_raw, Round::Floor) else {
            return self.skip(line, Reason::BadTime, || bad_time("start", start_raw));
        };
        let Some(end) = self.clock.instant(end_raw, Round::Ceil) else {
            return self.skip(line, Reason::BadTime, || bad_time("end", end_raw));
        };
        for (what, t, raw) in [("start", start, start_raw), ("end", end, end_raw)] {
            if !(0..=i64::from(u32::MAX)).contains(&t) {
                return self.skip(line, Reason::OutOfRange, || {
                    format!(
                        "{what} {} is outside the supported range 1970-01-01T00:00:00Z to 2106-02-07T06:28:15Z; row skipped",
                        show(raw)
                    )
                });
            }
        }
        if end < start {
            return self.skip(line, Reason::EndBeforeStart, || {
                format!(
                    "end {} is before start {}; row skipped",
                    show(end_raw),
                    show(start_raw)
                )
            });
        }
        let draw = match c.tokens.map(|i| get(i).trim_ascii()) {
            None | Some([]) => 0,
            Some(raw) => match std::str::from_utf8(raw)
                .ok()
                .and_then(|t| t.parse::<u16>().ok())
            {
                Some(n) => n,
                None => {
                    return self.skip(line, Reason::BadTokens, || {
                        format!(
                            "tokens {} is not a whole number from 0 to 65535; row skipped",
                            show(raw)
                        )
                    });
                }
            },
        };
        let user = self.users.id(user, user_key, &known.users, |k, _, prev| {
            known.users_sorted.find(prev, pack_ordered(k)?)
        });
        let feature = self.features.id(
            product,
            |s| Cow::Borrowed(s),
            &known.features,
            |_, p, _| {
                // Few products: a look at each beats hashing.
                let all = known
                    .features
                    .by_id
                    .get(..16)
                    .unwrap_or(&known.features.by_id);
                all.iter().position(|&q| q == p).map(|i| i as u32)
            },
        );
        let global_user = (user & LOCAL == 0).then_some(user);
        let host_of_user = &self.guesses.host_of_user;
        let host = self.hosts.id(
            host,
            |s| Cow::Borrowed(s),
            &known.hosts,
            |k, p, prev| {
                let usual = global_user.and_then(|u| host_of_user.get(u as usize).copied());
                match usual {
                    Some(h) if known.hosts.by_id.get(h as usize) == Some(&p) => Some(h),
                    _ => known.hosts_sorted.find(prev, pack_ordered(k)?),
                }
            },
        );
        if let Some(u) = global_user
            && host & LOCAL == 0
        {
            set(&mut self.guesses.host_of_user, u, host);
        }
        // Both instants are within u32 and end >= start (checked above).
        self.out.sessions.push(Session {
            start: start as u32,
            dur: (end - start) as u32,
            user,
            feature,
            host,
            draw,
            flags: 0,
        });
        self.out.used += 1;
    }

    /// The chunk so far; the parser starts a new one.
    fn take(&mut self) -> Chunk {
        let mut out = std::mem::take(&mut self.out);
        out.users = self.users.take();
        out.features = self.features.take();
        out.hosts = self.hosts.take();
        out.ambiguous = std::mem::take(&mut self.clock.ambiguous);
        out.gap = std::mem::take(&mut self.clock.gap);

        out
    }
}

fn bad_time(what: &str, raw: &[u8]) -> String {
    if raw.trim_ascii().is_empty() {
        format!("{what} is empty; row skipped")
    } else {
        format!(
            "{what} {} is not a timestamp (expected RFC 3339 such as 2025-02-06T09:00:00Z, or 2025-02-06 09:00:00 in local time); row skipped",
            show(raw)
        )
    }
}

/// Calls `f(pos, is_newline)` for each `delim` and `\n` in `buf`, in order.
///
/// Fields are short (a dozen bytes), so a vector search restarted at each
/// one spends more on starting than on searching. This reads 64 bytes a
/// word at a time into one bit per byte, then visits the set bits: one
/// hard-to-predict branch per separator, not per word.
#[inline]
fn separators(buf: &[u8], delim: u8, mut f: impl FnMut(usize, bool)) {
    let d = u64::from_ne_bytes([delim; 8]);
    let nl = u64::from_ne_bytes([b'\n'; 8]);
    let word = |w: &[u8]| {
        let v = u64::from_le_bytes(w.try_into().unwrap_or_default());
        high_bits(zero_bytes(v ^ d) | zero_bytes(v ^ nl))
    };
    let mut blocks = buf.chunks_exact(64);
    let mut base = 0usize;
    for block in &mut blocks {
        let mut hits = 0u64;
        for (j, w) in block.chunks_exact(8).enumerate() {
            hits |= word(w) << (8 * j);
        }
        while hits != 0 {
            let pos = base + hits.trailing_zeros() as usize;
            f(pos, buf.get(pos) == Some(&b'\n'));
            hits &= hits - 1;
        }
        base += 64;
    }
    for (i, &b) in blocks.remainder().iter().enumerate() {
        if b == delim || b == b'\n' {
            f(base + i, b == b'\n');
        }
    }
}

/// The high bit of each byte of `x` that is zero. Exact: the masked add
/// never carries from one byte into the next.
#[inline]
fn zero_bytes(x: u64) -> u64 {
    const LO: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    !(((x & LO) + LO) | x) & HI
}

/// The high bits of the 8 bytes of `x` (nothing else may be set) as the
/// low 8 bits, byte `i` to bit `i`: the multiply moves each into the top
/// byte without two ever adding up in it.
#[inline]
fn high_bits(x: u64) -> u64 {
    ((x >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Parses one block of whole lines (no `"` in it), lines numbered from 1.
fn parse_block(
    buf: &[u8],
    cols: Columns,
    delim: u8,
    tz: Tz,
    known: &Known,
    guesses: &mut Guesses,
) -> Chunk {
    if memchr::memchr(b'"', buf).is_some() {
        return Chunk {
            quoted: true,
            ..Chunk::default()
        };
    }
    // One session per line at most: room for exactly that many, so the
    // chunk never grows nor needs shrinking (each is a copy of megabytes).
    let lines = memchr::memchr_iter(b'\n', buf).count() + 1;
    let mut p = RowParser::new(cols, tz, lines);
    p.ascii = buf.is_ascii();
    p.guesses = std::mem::take(guesses);
    let mut fields: Vec<&[u8]> = Vec::with_capacity(cols.width);
    let mut line = 0u64;
    let mut start = 0usize;
    separators(buf, delim, |pos, eol| {
        let field = buf.get(start..pos).unwrap_or_default();
        if fields.len() < cols.width {
            // CRLF: the sequential reader never sees the CR either.
            fields.push(if eol {
                field.strip_suffix(b"\r").unwrap_or(field)
            } else {
                field
            });
        }
        start = pos + 1;
        if eol {
            line += 1;
            p.line(line, &fields, known);
            fields.clear();
        }
    });
    if start < buf.len() {
        if fields.len() < cols.width {
            let field = buf.get(start..).unwrap_or_default();
            fields.push(field.strip_suffix(b"\r").unwrap_or(field));
        }
        line += 1;
        p.line(line, &fields, known);
    } else if !fields.is_empty() {
        // A delimiter was the very last byte: the line ends with an empty field.
        if fields.len() < cols.width {
            fields.push(b"");
        }
        line += 1;
        p.line(line, &fields, known);
    }
    *guesses = std::mem::take(&mut p.guesses);
    let mut out = p.take();
    out.lines = line;
    out
}

/// Adds a chunk to `usage` and `report`: local ids become global ids in
/// the chunk's order, which is file order.
fn merge(mut chunk: Chunk, base: u64, usage: &mut Usage, known: &mut Known, report: &mut Report) {
    fn global(
        names: &[Box<str>],
        known: &mut NameMap,
        mut sorted: Option<&mut Sorted>,
        mut intern: impl FnMut(&str) -> u32,
        key: impl Fn(&[u8]) -> Cow<'_, [u8]>,
    ) -> Vec<u32> {
        names
            .iter()
            .map(|n| {
                let g = intern(n);
                let k = key(n.as_bytes());
                if known.insert(&k, g)
                    && let Some(s) = sorted.as_deref_mut()
                {
                    s.add(&k, g);
                }
                g
            })
            .collect()
    }
    let users = global(
        &chunk.users,
        &mut known.users,
        Some(&mut known.users_sorted),
        |n| usage.users.intern(n),
        user_key,
    );
    let features = global(
        &chunk.features,
        &mut known.features,
        None,
        |n| usage.features.intern(n),
        |n| Cow::Borrowed(n),
    );
    let hosts = global(
        &chunk.hosts,
        &mut known.hosts,
        Some(&mut known.hosts_sorted),
        |n| usage.hosts.intern(n),
        |n| Cow::Borrowed(n),
    );
    if !(users.is_empty() && features.is_empty() && hosts.is_empty()) {
        let global_id = |id: u32, map: &[u32]| {
            if id & LOCAL == 0 {
                id
            } else {
                // Local ids were handed out by this chunk's own tables.
                map[(id & !LOCAL) as usize]
            }
        };
        for s in &mut chunk.sessions {
            s.user = global_id(s.user, &users);
            s.feature = global_id(s.feature, &features);
            s.host = global_id(s.host, &hosts);
        }
    }
    // Room for skipped lines is only worth a copy when there were many.
    if chunk.sessions.capacity() - chunk.sessions.len() > chunk.sessions.len() / 16 {
        chunk.sessions.shrink_to_fit();
    }
    usage.sessions.push_segment(chunk.sessions);
    report.lines_read += chunk.lines;
    report.lines_used += chunk.used;
    for (reason, &n) in REASONS.iter().zip(&chunk.skipped) {
        if n > 0 {
            *report.skipped.entry((*reason).to_string()).or_default() += n;
        }
    }
    for (line, message) in chunk.problems {
        report.problem(base + line, message);
    }
    report.problems_not_kept += chunk.problems_dropped;
    if chunk.ambiguous > 0 {
        report.count(AMBIGUOUS, chunk.ambiguous);
    }
    if chunk.gap > 0 {
        report.count(GAP, chunk.gap);
    }
}

// ---------------------------------------------------------------- reading

/// Reads a source in blocks of whole lines.
struct BlockReader<R> {
    src: R,
    carry: Vec<u8>,
    eof: bool,
    size: usize,
    /// Buffers handed back for reuse.
    pool: Vec<Vec<u8>>,
}

impl<R: Read> BlockReader<R> {
    fn new(src: R, size: usize) -> Self {
        BlockReader {
            src,
            carry: Vec::new(),
            eof: false,
            size: size.max(1),
            pool: Vec::new(),
        }
    }

    /// The next block: at least `size` bytes cut after a newline, or the
    /// rest of the source; `None` at the end.
    fn next_block(&mut self) -> io::Result<Option<Vec<u8>>> {
        if self.eof && self.carry.is_empty() {
            return Ok(None);
        }
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.clear();
        buf.append(&mut self.carry);
        let mut want = self.size;
        loop {
            while !self.eof && buf.len() < want {
                let need = want - buf.len();
                buf.reserve(need);
                let n = (&mut self.src).take(need as u64).read_to_end(&mut buf)?;
                if n < need {
                    self.eof = true;
                }
            }
            if self.eof {
                return Ok((!buf.is_empty()).then_some(buf));
            }
            if let Some(nl) = memchr::memrchr(b'\n', &buf) {
                if let Some(tail) = buf.get(nl + 1..) {
                    self.carry.extend_from_slice(tail);
                }
                buf.truncate(nl + 1);
                return Ok(Some(buf));
            }
            // A line longer than a block: read on.
            want += self.size;
        }
    }

    /// Whatever was not handed out yet, as one reader.
    fn into_rest(self, mut before: VecDeque<Vec<u8>>) -> Chained<R> {
        before.push_back(self.carry);
        Chained {
            parts: before,
            pos: 0,
            rest: self.src,
        }
    }
}

/// Buffers already read, then the rest of the source.
struct Chained<R> {
    parts: VecDeque<Vec<u8>>,
    pos: usize,
    rest: R,
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

/// Reads a session CSV into `usage` (see the module doc).
pub fn read_sessions<R: Read + Send>(
    file: &str,
    src: R,
    total: u64,
    tz: Tz,
    usage: &mut Usage,
    progress: &dyn Progress,
) -> Report {
    read_sessions_with(file, src, total, tz, usage, progress, BLOCK)
}

/// [`read_sessions`] with a given block size (tests make it tiny).
fn read_sessions_with<R: Read + Send>(
    file: &str,
    src: R,
    total: u64,
    tz: Tz,
    usage: &mut Usage,
    progress: &dyn Progress,
    block: usize,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::Sessions);
    let sessions_before = usage.sessions.len();
    let mut known = Known::default();
    let mut blocks = BlockReader::new(src, block);
    let mut first = match blocks.next_block() {
        Ok(Some(b)) => b,
        Ok(None) => {
            report.fatal = true;
            report.problem(
                0,
                "the file is empty; a session CSV needs a header line naming the columns user, product, start and end",
            );
            return report;
        }
        Err(e) => {
            report.fatal = true;
            report.problem(0, format!("cannot read: {e}"));
            return report;
        }
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
            &mut known,
            &mut report,
            progress,
            total,
            bom as u64,
        );
        finish(&mut report, usage, sessions_before);
        return report;
    }
    let body = first.get(bom..).unwrap_or_default();
    // Found above: this block holds a header line.
    let header = table::first_line(body).unwrap_or_default();
    // The header is the first non-blank line; blank ones before it are counted.
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
    match pipeline(
        first,
        blocks,
        &start,
        usage,
        &mut known,
        &mut report,
        progress,
    ) {
        Outcome::Done(failure) => {
            if let Some((line, e)) = failure {
                read_error(&mut report, line, &e);
            }
        }
        Outcome::Cancelled(done) => cancelled(&mut report, done, total),
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
                delim,
                line + 1,
                Some(cols),
                tz,
                usage,
                &mut known,
                &mut report,
                progress,
                total,
                done,
            );
            if let Some(e) = failure {
                read_error(&mut report, line, &e);
            }
        }
    }
    finish(&mut report, usage, sessions_before);
    report
}

/// Where the blocks start and how to parse them.
struct Start {
    cols: Columns,
    delim: u8,
    tz: Tz,
    /// Lines before the first block.
    line: u64,
    /// Bytes before the first block.
    done: u64,
    total: u64,
}

/// How the parallel reader ended.
enum Outcome<R> {
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
struct Feed<R> {
    reader: BlockReader<R>,
    /// The block read first (after the header), handed out as block 0.
    first: Option<Vec<u8>>,
    next: u64,
    merged: u64,
    stop: bool,
    failure: Option<io::Error>,
}

/// Parses blocks on worker threads while this thread merges them in file
/// order. Workers pull blocks from one reader (at most a few blocks ahead
/// of the merge, which bounds memory) and resolve names through a snapshot
/// of [`Known`] that this thread republishes when new names arrive.
fn pipeline<R: Read + Send>(
    first: Vec<u8>,
    reader: BlockReader<R>,
    start: &Start,
    usage: &mut Usage,
    known: &mut Known,
    report: &mut Report,
    progress: &dyn Progress,
) -> Outcome<R> {
    use std::collections::BTreeMap;
    use std::sync::{Arc, Condvar, Mutex, PoisonError, RwLock, mpsc};

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
            scope.spawn(move || {
                let mut guesses = Guesses::default();
                loop {
                    let (idx, buf) = {
                        let mut f = feed.lock().unwrap_or_else(PoisonError::into_inner);
                        while !f.stop && f.next >= f.merged + ahead {
                            f = wake.wait(f).unwrap_or_else(PoisonError::into_inner);
                        }
                        if f.stop {
                            return;
                        }
                        let block = match f.first.take() {
                            Some(b) => Ok(Some(b)),
                            None => f.reader.next_block(),
                        };
                        match block {
                            Ok(Some(b)) => {
                                f.next += 1;
                                (f.next - 1, b)
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
                    let known =
                        Arc::clone(&snapshot.read().unwrap_or_else(PoisonError::into_inner));
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
            });
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
                merge(chunk, line, usage, known, report);
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

fn read_error(report: &mut Report, line: u64, e: &io::Error) {
    report.problem(
        0,
        format!("read error after line {line}: {e}; the rest of the file was not imported"),
    );
}

fn cancelled(report: &mut Report, done: u64, total: u64) {
    report.count("cancelled", 1);
    report.problem(
        0,
        format!(
            "import cancelled after {done} of {total} bytes; only the sessions before that point were imported"
        ),
    );
}

fn finish(report: &mut Report, usage: &Usage, before: usize) {
    report.count("sessions", (usage.sessions.len() - before) as u64);
}

/// The sequential reader (the `csv` crate), from line `first_line` of the
/// file; `cols` is `None` when `src` starts with the header.
#[allow(clippy::too_many_arguments)]
fn sequential<R: Read>(
    src: R,
    delim: u8,
    first_line: u64,
    cols: Option<Columns>,
    tz: Tz,
    usage: &mut Usage,
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
            merge(p.take(), 0, usage, known, report);
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
        merge(p.take(), 0, usage, known, report);
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
fn read_sessions_sequential(file: &str, bytes: &[u8], tz: Tz, usage: &mut Usage) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::Sessions);
    let before = usage.sessions.len();
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
        &mut Known::default(),
        &mut report,
        &crate::progress::NoProgress,
        total,
        0,
    );
    finish(&mut report, usage, before);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use proptest::prelude::*;

    fn secs(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn high_bits_gathers_every_pattern() {
        for pattern in 0u64..256 {
            let spread = (0..8)
                .filter(|i| pattern & (1 << i) != 0)
                .fold(0u64, |acc, i| acc | (0x80 << (8 * i)));
            assert_eq!(high_bits(spread), pattern, "{pattern:08b}");
        }
    }

    proptest! {
        /// The word-at-a-time search finds exactly the separators a plain
        /// scan finds.
        #[test]
        fn separators_match_a_plain_scan(
            buf in proptest::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b';'), any::<u8>()], 0..300),
            delim in prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
        ) {
            let mut got = Vec::new();
            separators(&buf, delim, |pos, eol| got.push((pos, eol)));
            let want: Vec<(usize, bool)> = buf
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == delim || b == b'\n')
                .map(|(i, &b)| (i, b == b'\n'))
                .collect();
            prop_assert_eq!(got, want);
        }
    }

    proptest! {
        /// The word-read packing equals the byte-by-byte definition, and
        /// the ordered packing sorts as the names do.
        #[test]
        fn packing_matches_its_definition(
            a in proptest::collection::vec(1u8..=255, 0..=17),
            b in proptest::collection::vec(1u8..=255, 0..=17),
        ) {
            let slow_load = |x: &[u8]| x.iter().rev().fold(0u64, |acc, &v| (acc << 8) | u64::from(v));
            let slow_pack = |x: &[u8]| {
                (x.len() <= 15).then(|| {
                    let (lo, hi) = x.split_at(x.len().min(8));
                    u128::from(slow_load(lo)) | (u128::from(slow_load(hi)) << 64) | ((x.len() as u128 + 1) << 120)
                })
            };
            prop_assert_eq!(pack(&a), slow_pack(&a));
            prop_assert_eq!(pack(&b), slow_pack(&b));
            if let (Some(x), Some(y)) = (pack_ordered(&a), pack_ordered(&b)) {
                prop_assert_eq!(x.cmp(&y), a.cmp(&b));
            }
        }
    }

    #[test]
    fn fast_and_general_parsers_agree_with_chrono() {
        let mut clock = Clock::new(chrono_tz::UTC);
        let mut fast_utc = |b: &[u8]| clock.fast_utc(b);
        for s in [
            "1970-01-01T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2000-03-01T12:34:56Z",
            "2106-02-07T06:28:15Z",
            "1999-12-31T00:00:01Z",
        ] {
            assert_eq!(fast_utc(s.as_bytes()), Some(secs(s)), "{s}");
            let p = parse_general(s.as_bytes()).unwrap();
            assert_eq!(p.wall - p.offset.unwrap(), secs(s), "{s}");
        }
        assert_eq!(fast_utc(b"2023-02-29T00:00:00Z"), None);
        assert_eq!(fast_utc(b"2023-13-01T00:00:00Z"), None);
        assert_eq!(fast_utc(b"2023-01-01T24:00:00Z"), None);
        assert_eq!(fast_utc(b"2023-01-01T00:60:00Z"), None);
        assert_eq!(fast_utc(b"2023-01-01T00:00:00+"), None);
        // The cached date part is not reused for a different date.
        assert_eq!(
            fast_utc(b"2023-01-01T00:00:00Z"),
            Some(secs("2023-01-01T00:00:00Z"))
        );
        assert_eq!(
            fast_utc(b"2023-01-02T00:00:00Z"),
            Some(secs("2023-01-02T00:00:00Z"))
        );
        assert_eq!(fast_utc(b"2023-01-0xT00:00:00Z"), None);
        assert!(parse_general(b"2023-02-29T00:00:00Z").is_none());
        let p = parse_general(b"2025-02-06T09:00:00.250+05:30").unwrap();
        assert_eq!(p.wall - p.offset.unwrap(), secs("2025-02-06T03:30:00Z"));
        assert!(p.frac);
        let p = parse_general(b"2025-02-06 09:00").unwrap();
        assert_eq!(p.offset, None);
        assert_eq!(p.wall, secs("2025-02-06T09:00:00Z"));
        let p = parse_general(b"2025-02-06t09:00:00.000-0800").unwrap();
        assert!(!p.frac);
        assert_eq!(p.offset, Some(-8 * 3600));
        for bad in [
            &b"2025-02-06"[..],
            b"2025-02-06T09:00:00+25:00",
            b"2025-02-06T09:00:00.Z",
            b"2025-02-06T09:00:00 EST",
            b"06/02/2025 09:00",
            b"",
        ] {
            assert!(
                parse_general(bad).is_none(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn local_hour_cache_matches_chrono_around_dst() {
        let tz = chrono_tz::America::New_York;
        let mut clock = Clock::new(tz);
        // Walk every 7 minutes across both 2024 changes.
        let (mut ambiguous, mut gap) = (0, 0);
        let mut t = secs("2024-03-09T00:00:00Z");
        while t < secs("2024-11-04T00:00:00Z") {
            let n = DateTime::from_timestamp(t, 0).unwrap().naive_utc();
            assert_eq!(
                clock.local(t),
                Some(crate::time::local_to_utc(tz, n)),
                "{n}"
            );
            match tz.from_local_datetime(&n) {
                LocalResult::Ambiguous(..) => ambiguous += 1,
                LocalResult::None => gap += 1,
                LocalResult::Single(_) => {}
            }
            t += if t > secs("2024-03-12T00:00:00Z") && t < secs("2024-11-01T00:00:00Z") {
                86_400 - 7
            } else {
                7 * 60
            };
        }
        // One wall time every 7 minutes over each one-hour change.
        assert!((8..=9).contains(&ambiguous) && (8..=9).contains(&gap));
        assert_eq!((clock.ambiguous, clock.gap), (ambiguous, gap));
    }

    /// Usage and report as plain values, for comparing two imports.
    type Snapshot = (
        Vec<String>,
        Vec<String>,
        Vec<String>,
        Vec<String>,
        Vec<Session>,
    );

    fn snapshot(u: &Usage) -> Snapshot {
        let users = (0..u.users.len() as u32)
            .map(|i| u.users.name(i).to_string())
            .collect();
        let keys = (0..u.users.len() as u32)
            .map(|i| u.users.key(i).to_string())
            .collect();
        let features = u.features.names().map(str::to_string).collect();
        let hosts = u.hosts.names().map(str::to_string).collect();
        (
            users,
            keys,
            features,
            hosts,
            u.sessions.iter().copied().collect(),
        )
    }

    fn by_blocks(bytes: &[u8], block: usize) -> (Usage, Report) {
        let mut u = Usage::default();
        let r = read_sessions_with(
            "t.csv",
            bytes,
            bytes.len() as u64,
            chrono_tz::America::New_York,
            &mut u,
            &NoProgress,
            block,
        );
        (u, r)
    }

    fn by_csv(bytes: &[u8]) -> (Usage, Report) {
        let mut u = Usage::default();
        let r = read_sessions_sequential("t.csv", bytes, chrono_tz::America::New_York, &mut u);
        (u, r)
    }

    /// Cancels after `n` progress reports.
    struct CancelAfter(std::sync::atomic::AtomicU64, u64);

    impl Progress for CancelAfter {
        fn report(&self, _done: u64, _total: u64) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        fn is_cancelled(&self) -> bool {
            self.0.load(std::sync::atomic::Ordering::Relaxed) >= self.1
        }
    }

    #[test]
    fn cancelling_stops_between_batches_and_says_so() {
        let mut text = String::from("user,product,start,end\n");
        for i in 0..200 {
            text.push_str(&format!(
                "u{i},ACD,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z\n"
            ));
        }
        let progress = CancelAfter(0.into(), 3);
        let mut u = Usage::default();
        let r = read_sessions_with(
            "c.csv",
            text.as_bytes(),
            text.len() as u64,
            chrono_tz::UTC,
            &mut u,
            &progress,
            64,
        );
        assert_eq!(r.counts.get("cancelled"), Some(&1));
        let n = u.sessions.len();
        assert!(n > 0 && n < 200, "{n}");
        assert_eq!(r.counts.get("sessions"), Some(&(n as u64)));
        let done = r.problems[0].message.clone();
        assert!(done.starts_with("import cancelled after "), "{done}");
        assert!(
            done.ends_with(&format!(
                " of {} bytes; only the sessions before that point were imported",
                text.len()
            )),
            "{done}"
        );
        // Not cancelled when everything was read anyway.
        let mut u = Usage::default();
        let r = read_sessions_with(
            "c.csv",
            text.as_bytes(),
            text.len() as u64,
            chrono_tz::UTC,
            &mut u,
            &progress,
            BLOCK,
        );
        assert_eq!((r.counts.get("cancelled"), u.sessions.len()), (None, 200));
    }

    #[test]
    fn quote_late_in_file_hands_over_to_the_csv_reader() {
        let mut text = String::from("user,product,start,end\n");
        for i in 0..50 {
            text.push_str(&format!(
                "u{i},ACD,2024-01-01T00:00:{:02}Z,2024-01-01T01:00:00Z\n",
                i % 60
            ));
        }
        text.push_str("\"late, user\",\"R\nVT\",2024-01-02T00:00:00Z,2024-01-02T01:00:00Z\n");
        text.push_str("x,ACD,2024-01-03T00:00:00Z,2024-01-02T00:00:00Z\n");
        let (u1, r1) = by_blocks(text.as_bytes(), 64);
        let (u2, r2) = by_csv(text.as_bytes());
        assert_eq!(snapshot(&u1), snapshot(&u2));
        assert_eq!(r1, r2);
        assert_eq!(u1.sessions.len(), 51);
        assert_eq!(u1.users.name(50), "late, user");
        assert_eq!(u1.features.name(1), "R\nVT");
        assert_eq!(r1.problems[0].line, 54);
        assert_eq!(r1.lines_read, 54);
    }

    fn row_strategy() -> impl Strategy<Value = String> {
        let user = prop::sample::select(vec![
            "u1",
            "U1",
            " u1",
            "alice",
            "Ünïcode",
            "",
            "bob ",
            "Firstname.Lastname@example.com",
            "firstname.lastname@EXAMPLE.com",
        ]);
        let product = prop::sample::select(vec!["ACD", "acd", "RVT", "", "C3D"]);
        let host = prop::sample::select(vec![
            "ws1",
            "",
            "WS1",
            "lt 2",
            "workstation-0042.corp.example.com",
        ]);
        let instant = prop::sample::select(vec![
            "2024-11-03T05:30:00Z",
            "2024-11-03 01:30:00",
            "2024-03-10 02:30:00",
            "2024-11-03T01:30:00.5-04:00",
            "2024-11-03T06:00:00Z",
            "1969-12-31T23:59:59Z",
            "nonsense",
            "",
        ]);
        let tokens = prop::sample::select(vec!["", "1", "6", "65536", "1.5"]);
        let shape = 0..6u8;
        (user, product, host, instant.clone(), instant, tokens, shape).prop_map(
            |(u, p, h, s, e, t, shape)| match shape {
                0 => String::new(),
                1 => format!("{u},{p}"),
                _ => format!("{u},{p},{h},{s},{e},{t}"),
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn blocks_in_parallel_equal_the_sequential_reader(
            rows in prop::collection::vec(row_strategy(), 0..40),
            crlf in any::<bool>(),
            final_newline in any::<bool>(),
            block in 1usize..200,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut text = format!("user,product,host,start,end,tokens{eol}");
            text.push_str(&rows.join(eol));
            if final_newline {
                text.push_str(eol);
            }
            let (u1, r1) = by_blocks(text.as_bytes(), block);
            let (u2, r2) = by_csv(text.as_bytes());
            prop_assert_eq!(snapshot(&u1), snapshot(&u2));
            prop_assert_eq!(r1, r2);
        }
    }
}
