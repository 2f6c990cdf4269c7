//! Day sets of the `CalendarDay` pairs of a metering, for the passes over
//! all sessions that mark dates per pair (the day-boundary audit's start
//! dates, a harvest policy's dates still used).
//!
//! Every date marked is a date the pair was charged, so the span of the
//! baseline's charged dates frames them all: the sets are one matrix of
//! `u64` words stored day-major (word `w` of every pair, then word `w + 1`),
//! as metering's day scan stores them. Sessions come roughly in time order,
//! so a thread works in one slice of 64 days (8 bytes a pair) for a long
//! stretch and that slice stays in cache, where a set per pair would touch
//! a new cache line for nearly every session. A date outside the span (not
//! reached) or a matrix too big goes to a [`DayBits`] per pair instead.

use crate::meter::Metered;
use crate::meter::calendar_day::DayBits;
use crate::monitor::boundary::PairIndex;

/// Largest matrix, in words per thread (32 MiB).
const GRID_LIMIT: usize = 1 << 22;

/// Dates per pair slot of a [`PairIndex`].
#[derive(Clone, Debug)]
pub(crate) struct PairDays {
    /// Day of bit 0 of word 0, a multiple of 64.
    base: i32,
    words: usize,
    slots: usize,
    grid: Vec<u64>,
    /// Per slot, dates outside the matrix (empty until one is set).
    spill: Vec<DayBits>,
}

impl PairDays {
    /// Empty sets for every slot of `index`, framed by the dates `metered`
    /// charged its `CalendarDay` pairs.
    pub(crate) fn new(index: &PairIndex, metered: &Metered) -> PairDays {
        PairDays::with_margin(index, metered, 0)
    }

    /// [`PairDays::new`] with the frame widened by `margin` dates each way
    /// (dates of the same sessions in another zone).
    pub(crate) fn with_margin(index: &PairIndex, metered: &Metered, margin: i32) -> PairDays {
        let span = metered
            .pairs
            .iter()
            .enumerate()
            .filter(|(i, _)| index.calendar_slot(*i).is_some())
            .filter_map(|(_, p)| Some((p.days.first()?.day, p.days.last()?.day)))
            .reduce(|(lo, hi), (l, h)| (lo.min(l), hi.max(h)));
        let slots = index.slots;
        let (base, words) = match span {
            Some((lo, hi)) => {
                let (lo, hi) = (lo.saturating_sub(margin), hi.saturating_add(margin));
                let base = lo.div_euclid(64) * 64;
                let words = usize::try_from((hi - base) / 64 + 1).unwrap_or(0);
                if words.saturating_mul(slots) <= GRID_LIMIT {
                    (base, words)
                } else {
                    (base, 0)
                }
            }
            None => (0, 0),
        };
        PairDays {
            base,
            words,
            slots,
            grid: vec![0; words * slots],
            spill: Vec::new(),
        }
    }

    /// The word of `day` for `slot` in the matrix, when it is inside.
    #[inline]
    fn cell(&self, slot: usize, day: i32) -> Option<(usize, u32)> {
        let off = usize::try_from(i64::from(day) - i64::from(self.base)).ok()?;
        let w = off / 64;
        (w < self.words && slot < self.slots).then_some((w * self.slots + slot, (off % 64) as u32))
    }

    /// Adds the dates `d0..=d1` (either order) to `slot`.
    #[inline]
    pub(crate) fn set_range(&mut self, slot: usize, d0: i32, d1: i32) {
        let (d0, d1) = if d1 < d0 { (d1, d0) } else { (d0, d1) };
        for d in d0..=d1 {
            match self.cell(slot, d) {
                Some((i, bit)) => {
                    if let Some(w) = self.grid.get_mut(i) {
                        *w |= 1u64 << bit;
                    }
                }
                None => {
                    if self.spill.is_empty() {
                        self.spill = vec![DayBits::default(); self.slots];
                    }
                    if let Some(b) = self.spill.get_mut(slot) {
                        b.set_range(d, d);
                    }
                }
            }
        }
    }

    /// True when `slot` holds `day`.
    #[inline]
    pub(crate) fn contains(&self, slot: usize, day: i32) -> bool {
        match self.cell(slot, day) {
            Some((i, bit)) => self.grid.get(i).is_some_and(|w| (w >> bit) & 1 == 1),
            None => self.spill.get(slot).is_some_and(|b| b.contains(day)),
        }
    }

    /// Adds every date of `other` (the same shape).
    pub(crate) fn union(&mut self, other: &PairDays) {
        for (a, b) in self.grid.iter_mut().zip(&other.grid) {
            *a |= *b;
        }
        if other.spill.is_empty() {
            return;
        }
        if self.spill.is_empty() {
            self.spill = other.spill.clone();
            return;
        }
        for (a, b) in self.spill.iter_mut().zip(&other.spill) {
            a.union(b);
        }
    }

    /// The number of (slot, date) in `self` and not in `other` (the same
    /// shape).
    pub(crate) fn count_without(&self, other: &PairDays) -> u64 {
        let mut n: u64 = self
            .grid
            .iter()
            .zip(&other.grid)
            .map(|(a, b)| u64::from((a & !b).count_ones()))
            .sum();
        for (slot, bits) in self.spill.iter().enumerate() {
            n += bits.days().filter(|&d| !other.contains(slot, d)).count() as u64;
        }
        n
    }

    /// The dates of `slot`, ascending.
    pub(crate) fn days(&self, slot: usize) -> Vec<i32> {
        let mut out: Vec<i32> = Vec::new();
        for w in 0..self.words {
            let mut word = self.grid.get(w * self.slots + slot).copied().unwrap_or(0);
            while word != 0 {
                out.push(self.base + 64 * w as i32 + word.trailing_zeros() as i32);
                word &= word - 1;
            }
        }
        if let Some(b) = self.spill.get(slot) {
            out.extend(b.days());
            out.sort_unstable();
            out.dedup();
        }
        out
    }
}
