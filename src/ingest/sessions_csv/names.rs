//! Interned names for the session CSV reader: a small fast hash, the
//! name maps of users, products and hosts, and each block's local table of
//! names not merged yet (`Known`, `Names`).

use super::*;

/// A small fast hash for the name tables (names are short and come from
/// the user's own file).
#[derive(Clone, Copy, Default)]
pub(super) struct FastHasher(u64);

pub(super) const K1: u64 = 0xf135_7aea_2e62_a9c5;
pub(super) const K2: u64 = 0xff51_afd7_ed55_8ccd;

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

pub(super) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// Up to 8 bytes as a little-endian integer (zero above them), read as at
/// most two overlapping words rather than byte by byte: this runs for
/// every name of every row.
#[inline]
pub(crate) fn load(b: &[u8]) -> u64 {
    pub(super) fn word<const N: usize>(b: &[u8], at: usize) -> [u8; N] {
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
pub(super) fn pack(b: &[u8]) -> Option<u128> {
    let n = b.len();
    if n > 15 {
        return None;
    }
    let (lo, hi) = b.split_at(n.min(8));
    Some(u128::from(load(lo)) | (u128::from(load(hi)) << 64) | ((n as u128 + 1) << 120))
}

/// Name → id, short names inline; and id → packed short name.
#[derive(Clone, Default)]
pub(super) struct NameMap {
    pub(super) short: FastMap<u128, u32>,
    pub(super) long: FastMap<Box<[u8]>, u32>,
    /// Packed key by id (without [`LOCAL`]); 0 for a long name.
    pub(super) by_id: Vec<u128>,
}

impl NameMap {
    #[inline]
    pub(super) fn get(&self, key: &[u8], packed: Option<u128>) -> Option<u32> {
        match packed {
            Some(p) => self.short.get(&p).copied(),
            None => self.long.get(key).copied(),
        }
    }
    /// Adds `key` unless present; true when it was new.
    pub(super) fn insert(&mut self, key: &[u8], id: u32) -> bool {
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
    pub(super) fn len(&self) -> usize {
        self.short.len() + self.long.len()
    }
    pub(super) fn clear(&mut self) {
        self.short.clear();
        self.long.clear();
        self.by_id.clear();
    }
}

/// A short name packed so that integer order is the byte order of names
/// (big-endian, length last).
#[inline]
pub(super) fn pack_ordered(b: &[u8]) -> Option<u128> {
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
pub(super) struct Sorted {
    /// Ordered keys, and the id of each (two arrays: half the cache lines
    /// of an array of pairs).
    pub(super) keys: Vec<u128>,
    pub(super) ids: Vec<u32>,
    /// Position in `keys` by id (`u32::MAX`: not there).
    pub(super) rank: Vec<u32>,
    /// Added since the last [`Sorted::settle`].
    pub(super) pending: Vec<(u128, u32)>,
}

impl Sorted {
    pub(super) fn add(&mut self, key: &[u8], id: u32) {
        if let Some(k) = pack_ordered(key) {
            self.pending.push((k, id));
        }
    }

    /// Merges the pending names in.
    pub(super) fn settle(&mut self) {
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
    pub(super) fn find(&self, prev: Option<u32>, key: u128) -> Option<u32> {
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
pub(super) const LOCAL: u32 = 1 << 31;

/// Global ids of the names merged so far, by identity key. Workers read it
/// (it only changes between batches), so that once the names of a file
/// have been seen, rows resolve straight to global ids.
#[derive(Clone, Default)]
pub(super) struct Known {
    pub(super) users: NameMap,
    pub(super) features: NameMap,
    pub(super) hosts: NameMap,
    pub(super) users_sorted: Sorted,
    pub(super) hosts_sorted: Sorted,
}

impl Known {
    /// Makes the names added lately searchable in order too.
    pub(super) fn settle(&mut self) {
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
pub(super) struct Names {
    pub(super) map: NameMap,
    pub(super) names: Vec<Box<str>>,
    pub(super) last: Option<(u128, u32)>,
}

impl Names {
    /// The id of `display`, whose identity is `key(display)`: global when
    /// `known` has it, else local. `guess(p)` returns the global id of the
    /// packed key `p` when a shortcut finds it: exact matches only (checking
    /// again here would cost one more cache miss per row).
    #[inline]
    pub(super) fn id(
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
    pub(super) fn take(&mut self) -> Vec<Box<str>> {
        self.map.clear();
        self.last = None;
        std::mem::take(&mut self.names)
    }
}

/// Sets `v[i] = x`, growing `v` with `u32::MAX`.
pub(super) fn set(v: &mut Vec<u32>, i: u32, x: u32) {
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
pub(super) fn user_key(name: &[u8]) -> Cow<'_, [u8]> {
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
pub(super) fn text(field: &[u8], ascii: bool) -> Option<&[u8]> {
    let t = field.trim_ascii();
    if ascii || t.is_ascii() {
        Some(t)
    } else {
        std::str::from_utf8(t).ok().map(|s| s.trim().as_bytes())
    }
}
