//! `CalendarDay`: `rate` tokens per distinct (user, product, local date)
//! that any session overlaps (SPEC §2), and the one parallel pass over all
//! sessions that every rule starts from.
//!
//! [`scan`] splits the sessions into pieces, one group of pieces per rayon
//! thread. Each thread keeps its own [`DayMapper`]s (one per zone) and, per
//! (user, product), a bitset of the local dates used ([`DayBits`]: `u64`
//! words from a base day), so ten million sessions cost two day lookups
//! and one `or` each. The threads' bitsets are merged and turned into
//! [`DayCharge`] rows at the rate in force on each date. Sessions of products
//! under other rules are only collected here, per product, for their rule.
//!
//! A session `[start, end)` overlaps the local dates from the date of
//! `start` to the date of `end - 1` (the last second it covers), so a session
//! ending exactly at midnight does not touch the next date, and a
//! zero-length session counts for the date of its start.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rayon::prelude::*;

use crate::meter::use_days::{self, UseDayMeter};
use crate::meter::{
    Catalog, DayCharge, Detail, MeterError, PairCharges, PairTotal, ProductIdx, ProductPlan,
    RuleKind, Total,
};
use crate::progress::Progress;
use crate::time::{DayMapper, day_of_date};
use crate::usage::{Session, Usage, UseDay, UserId};

/// Sessions per piece of work: small enough for even progress and balance.
const PIECE: usize = 1 << 18;
/// Largest users × `CalendarDay` products indexed densely (4 bytes each).
const DENSE_LIMIT: usize = 1 << 22;
/// One session in this many sets the day matrix's span.
const SAMPLE: usize = 256;
/// An empty dense slot.
const NONE: u32 = u32::MAX;

/// What the pass over all sessions found.
pub(crate) struct Scan {
    /// `CalendarDay` charges, unsorted ([`Detail::Days`]).
    pub(crate) pairs: Vec<PairCharges>,
    /// `CalendarDay` charges added up per pair and per date, unsorted
    /// ([`Detail::Totals`]).
    pub(crate) totals: Vec<PairTotal>,
    /// `CalendarDay` charges per local date ([`Detail::Totals`]).
    pub(crate) by_day: BTreeMap<i32, Total>,
    /// Sessions of every other product, by product index (import order).
    pub(crate) others: Vec<Vec<Session>>,
    /// Sessions per feature id that no product matches.
    pub(crate) unmapped: Vec<u64>,
    /// `CalendarDay` sessions shorter than their grace.
    pub(crate) free_sessions: u64,
    /// What became of the use-days so far (`CalendarDay` ones and
    /// unmapped ones).
    pub(crate) use_days: UseDayMeter,
    /// Use-days of every other product, by product index (empty without
    /// use-days).
    pub(crate) other_use_days: Vec<Vec<UseDay>>,
}

/// Where a feature's sessions go.
#[derive(Clone, Copy)]
enum Route {
    Unmapped,
    /// Index into the `CalendarDay` products.
    Cal(u32),
    Other(ProductIdx),
}

/// A `CalendarDay` product as the hot loop sees it.
struct CalProduct {
    product: ProductIdx,
    zone: usize,
    grace_secs: u32,
}

/// Set of local dates (days since 1970-01-01) as bits from a base day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayBits {
    /// Day of bit 0 of `words[0]`, a multiple of 64.
    base: i32,
    words: Vec<u64>,
}

impl DayBits {
    /// Adds every day from `d0` to `d1` inclusive.
    #[inline]
    pub fn set_range(&mut self, d0: i32, d1: i32) {
        // A zone whose clocks fall back across midnight can map the last
        // second of a session to an earlier date than its start.
        let (d0, d1) = if d1 < d0 { (d1, d0) } else { (d0, d1) };
        let floor = d0.div_euclid(64) * 64;
        if self.words.is_empty() {
            self.base = floor;
        } else if floor < self.base {
            let extra = ((self.base - floor) / 64) as usize;
            self.words.splice(0..0, std::iter::repeat_n(0, extra));
            self.base = floor;
        }
        let last = ((d1 - self.base) / 64) as usize;
        if last >= self.words.len() {
            self.words.resize(last + 1, 0);
        }
        for d in d0..=d1 {
            let off = (d - self.base) as usize;
            if let Some(w) = self.words.get_mut(off / 64) {
                *w |= 1u64 << (off % 64);
            }
        }
    }

    /// True when `day` is in the set.
    pub fn contains(&self, day: i32) -> bool {
        let off = i64::from(day) - i64::from(self.base);
        off >= 0
            && self
                .words
                .get((off / 64) as usize)
                .is_some_and(|w| (w >> (off % 64)) & 1 == 1)
    }

    /// Adds every day of `other`.
    pub fn union(&mut self, other: &DayBits) {
        if other.words.is_empty() {
            return;
        }
        if self.words.is_empty() {
            *self = other.clone();
            return;
        }
        let lo = self.base.min(other.base);
        let hi = (self.base + 64 * self.words.len() as i32)
            .max(other.base + 64 * other.words.len() as i32);
        let mut words = vec![0u64; ((hi - lo) / 64) as usize];
        for src in [&*self, other] {
            let at = ((src.base - lo) / 64) as usize;
            for (dst, w) in words.iter_mut().skip(at).zip(&src.words) {
                *dst |= *w;
            }
        }
        self.base = lo;
        self.words = words;
    }

    /// The days, ascending.
    pub fn days(&self) -> impl Iterator<Item = i32> + '_ {
        self.words.iter().enumerate().flat_map(move |(i, &w)| {
            let base = self.base + 64 * i as i32;
            BitIter(w).map(move |b| base + b as i32)
        })
    }

    /// Number of days.
    pub fn len(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// True when no day is set.
    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
}

/// Positions of the set bits of a word, ascending.
struct BitIter(u64);

impl Iterator for BitIter {
    type Item = u32;
    #[inline]
    fn next(&mut self) -> Option<u32> {
        if self.0 == 0 {
            return None;
        }
        let b = self.0.trailing_zeros();
        self.0 &= self.0 - 1;
        Some(b)
    }
}

/// Multiplicative hash for the (user, product) keys of [`PairTable`].
#[derive(Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ (n >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Day sets per (user, `CalendarDay` product): a dense index when users ×
/// products is small, a hash map otherwise.
struct PairTable {
    ncal: usize,
    users: usize,
    dense: Vec<u32>,
    hash: HashMap<u64, u32, BuildHasherDefault<IdHasher>>,
    keys: Vec<(UserId, u32)>,
    bits: Vec<DayBits>,
}

impl PairTable {
    fn new(users: usize, ncal: usize) -> PairTable {
        let cells = users.saturating_mul(ncal);
        let dense = if ncal > 0 && cells <= DENSE_LIMIT {
            vec![NONE; cells]
        } else {
            Vec::new()
        };
        PairTable {
            ncal,
            users,
            dense,
            hash: HashMap::default(),
            keys: Vec::new(),
            bits: Vec::new(),
        }
    }

    #[inline]
    fn slot(&mut self, user: UserId, cal: u32) -> &mut DayBits {
        let u = user as usize;
        let idx = if !self.dense.is_empty() && u < self.users {
            let cell = u * self.ncal + cal as usize;
            match self.dense.get(cell) {
                Some(&NONE) | None => {
                    let i = self.keys.len() as u32;
                    if let Some(c) = self.dense.get_mut(cell) {
                        *c = i;
                    }
                    self.keys.push((user, cal));
                    self.bits.push(DayBits::default());
                    i
                }
                Some(&i) => i,
            }
        } else {
            let next = self.keys.len() as u32;
            let i = *self
                .hash
                .entry((u64::from(user) << 32) | u64::from(cal))
                .or_insert(next);
            if i == next {
                self.keys.push((user, cal));
                self.bits.push(DayBits::default());
            }
            i
        };
        &mut self.bits[idx as usize]
    }

    /// Indexes users below `users` densely from now on (when users ×
    /// products stays within [`DENSE_LIMIT`]): a streamed fold learns its
    /// users as it goes. Grows by doubling, so rebuilding costs little.
    fn reserve_users(&mut self, users: usize) {
        if users <= self.users || self.ncal == 0 {
            return;
        }
        let users = users.max(2 * self.users).max(1024);
        let Some(cells) = users.checked_mul(self.ncal).filter(|&c| c <= DENSE_LIMIT) else {
            return;
        };
        self.dense = vec![NONE; cells];
        for (i, &(user, cal)) in self.keys.iter().enumerate() {
            if let Some(c) = self.dense.get_mut(user as usize * self.ncal + cal as usize) {
                *c = i as u32;
            }
        }
        self.hash.clear();
        self.users = users;
    }

    fn merge(&mut self, other: PairTable) {
        for ((user, cal), bits) in other.keys.into_iter().zip(other.bits) {
            self.slot(user, cal).union(&bits);
        }
    }
}

/// Largest day matrix per thread, in words (64 MiB); beyond it pairs go to a
/// [`PairTable`].
pub(crate) const MATRIX_LIMIT: usize = 1 << 23;

/// The day sets of all (user, `CalendarDay` product) pairs as one matrix of
/// `u64` words, `words` per pair, days from `base`: one memory access per
/// session.
/// The days of every (user, product) pair as bits, stored day-major: word
/// `w` of all pairs, then word `w + 1`... Sessions come roughly in time
/// order, so a thread works within one slice of 64 days for a long stretch
/// and that slice (8 bytes a pair) stays in cache, where a row per pair
/// would touch a new cache line for nearly every session.
struct DayMatrix {
    base: i32,
    words: usize,
    ncal: usize,
    users: usize,
    /// Pairs per word slice: `users * ncal`.
    stride: usize,
    data: Vec<u64>,
}

impl DayMatrix {
    /// A matrix for days `first..=last`, unless it would be too big.
    fn new(users: usize, ncal: usize, first: i32, last: i32, limit: usize) -> Option<DayMatrix> {
        let base = first.div_euclid(64) * 64;
        let words = usize::try_from((last - base) / 64 + 1).ok()?;
        let stride = users.checked_mul(ncal)?;
        let cells = stride.checked_mul(words)?;
        (cells > 0 && cells <= limit).then(|| DayMatrix {
            base,
            words,
            ncal,
            users,
            stride,
            data: vec![0; cells],
        })
    }

    /// Adds days `d0..=d1` to the pair; false when the matrix can't hold them.
    #[inline]
    fn set_range(&mut self, user: UserId, cal: u32, d0: i32, d1: i32) -> bool {
        let u = user as usize;
        if u >= self.users || d0 < self.base || d1 < d0 {
            return false;
        }
        let (o0, o1) = ((d0 - self.base) as usize, (d1 - self.base) as usize);
        if o1 / 64 >= self.words {
            return false;
        }
        let pair = u * self.ncal + cal as usize;
        for o in o0..=o1 {
            if let Some(w) = self.data.get_mut((o / 64) * self.stride + pair) {
                *w |= 1u64 << (o % 64);
            }
        }
        true
    }

    fn merge(&mut self, other: &DayMatrix) {
        for (a, b) in self.data.iter_mut().zip(&other.data) {
            *a |= *b;
        }
    }

    /// Moves every non-empty pair into `table`.
    fn drain_into(self, table: &mut PairTable) {
        if self.words == 0 {
            return;
        }
        let mut words = vec![0u64; self.words];
        for pair in 0..self.stride {
            for (w, slot) in words.iter_mut().enumerate() {
                *slot = self.data.get(w * self.stride + pair).copied().unwrap_or(0);
            }
            if words.iter().all(|&w| w == 0) {
                continue;
            }
            let user = (pair / self.ncal) as UserId;
            let cal = (pair % self.ncal) as u32;
            let bits = DayBits {
                base: self.base,
                words: words.clone(),
            };
            table.slot(user, cal).union(&bits);
        }
    }
}

/// One thread's findings.
struct Local {
    /// The days of most pairs; `None` when users × products × history is too big.
    matrix: Option<DayMatrix>,
    /// Pairs the matrix can't hold.
    table: PairTable,
    others: Vec<Vec<Session>>,
    unmapped: Vec<u64>,
    free: u64,
}

/// Runs the pass over all sessions: `CalendarDay` charges, the other
/// products' sessions, unmapped counts.
pub(crate) fn scan(
    usage: &Usage,
    catalog: &Catalog,
    plans: &[ProductPlan<'_>],
    progress: &dyn Progress,
    matrix_limit: usize,
    detail: Detail,
) -> Result<Scan, MeterError> {
    let (zones, cal, route) = routes(catalog, plans);
    let groups = session_groups(usage);
    let span = day_span(usage);

    let total = usage.sessions.len() as u64;
    let done = AtomicU64::new(0);
    let cancelled = AtomicBool::new(false);
    let mappers: Vec<DayMapper> = zones.iter().map(|&z| DayMapper::new(z)).collect();
    let nfeatures = usage.features.len();
    let locals: Vec<Local> = groups
        .into_par_iter()
        .map(|group| {
            let mut mappers = mappers.clone();
            let mut local = Local {
                matrix: span.and_then(|(first, last)| {
                    DayMatrix::new(usage.users.len(), cal.len(), first, last, matrix_limit)
                }),
                table: PairTable::new(usage.users.len(), cal.len()),
                others: vec![Vec::new(); plans.len()],
                unmapped: vec![0; nfeatures],
                free: 0,
            };
            for piece in group {
                if cancelled.load(Ordering::Relaxed) || progress.is_cancelled() {
                    cancelled.store(true, Ordering::Relaxed);
                    break;
                }
                scan_piece(piece, &route, &cal, &mut mappers, &mut local);
                let d = done.fetch_add(piece.len() as u64, Ordering::Relaxed) + piece.len() as u64;
                progress.report(d, total);
            }
            local
        })
        .collect();
    if cancelled.load(Ordering::Relaxed) {
        return Err(MeterError::Cancelled);
    }

    let mut locals = locals.into_iter();
    let Some(mut acc) = locals.next() else {
        return Ok(Scan {
            pairs: Vec::new(),
            totals: Vec::new(),
            by_day: BTreeMap::new(),
            others: vec![Vec::new(); plans.len()],
            unmapped: vec![0; nfeatures],
            free_sessions: 0,
            use_days: UseDayMeter::default(),
            other_use_days: Vec::new(),
        });
    };
    for l in locals {
        if let (Some(a), Some(b)) = (acc.matrix.as_mut(), l.matrix.as_ref()) {
            a.merge(b);
        }
        acc.table.merge(l.table);
        for (dst, src) in acc.others.iter_mut().zip(l.others) {
            dst.extend(src);
        }
        for (dst, src) in acc.unmapped.iter_mut().zip(l.unmapped) {
            *dst += src;
        }
        acc.free += l.free;
    }

    Ok(conclude(acc, usage, &route, &cal, plans, detail))
}

/// The scan's findings merged into one [`Local`] turned into the [`Scan`]:
/// the use-days added, the day sets priced per `detail`.
fn conclude(
    acc: Local,
    usage: &Usage,
    route: &[Route],
    cal: &[CalProduct],
    plans: &[ProductPlan<'_>],
    detail: Detail,
) -> Scan {
    let mut table = acc.table;
    if let Some(m) = acc.matrix {
        m.drain_into(&mut table);
    }
    let (use_days, other_use_days) = add_use_days(&mut table, usage, route, cal, plans.len());
    let (pairs, totals, by_day) = match detail {
        Detail::Days => (rows(&table, cal, plans), Vec::new(), BTreeMap::new()),
        Detail::Totals => {
            let (totals, by_day) = totals(&table, cal, plans);
            (Vec::new(), totals, by_day)
        }
    };
    let mut unmapped = acc.unmapped;
    // A streamed fold sized this as far as sessions named features.
    unmapped.resize(unmapped.len().max(usage.features.len()), 0);
    Scan {
        pairs,
        totals,
        by_day,
        others: acc.others,
        unmapped,
        free_sessions: acc.free,
        use_days,
        other_use_days,
    }
}

/// The pass of [`scan`] fed sessions batch by batch as a streamed import
/// reads them (`meter::stream`): the same per-session work, on the
/// calling thread, into day sets per (user, product) without the day
/// matrix (the span of days is not known in advance), then the same
/// [`conclude`]. Sessions of products under other rules are kept, per
/// product in import order, as [`scan`] keeps them.
pub(crate) struct Fold {
    cal: Vec<CalProduct>,
    /// `CalendarDay` index of each product.
    cal_of: Vec<Option<u32>>,
    route: Vec<Route>,
    mappers: Vec<DayMapper>,
    local: Local,
}

impl Fold {
    pub(crate) fn new(plans: &[ProductPlan<'_>]) -> Fold {
        let (zones, cal, cal_of) = cal_products(plans);
        let mappers = zones.iter().map(|&z| DayMapper::new(z)).collect();
        let ncal = cal.len();
        Fold {
            cal,
            cal_of,
            route: Vec::new(),
            mappers,
            local: Local {
                matrix: None,
                table: PairTable::new(0, ncal),
                others: vec![Vec::new(); plans.len()],
                unmapped: Vec::new(),
                free: 0,
            },
        }
    }

    /// Features routed so far: sessions may name features below this.
    pub(crate) fn routed(&self) -> usize {
        self.route.len()
    }

    /// Routes every feature of `catalog` (built on the usage's features as
    /// they are now: a feature's product never changes as others arrive).
    pub(crate) fn reroute(&mut self, catalog: &Catalog) {
        self.route = route_of(catalog, &self.cal_of);
        if self.local.unmapped.len() < self.route.len() {
            self.local.unmapped.resize(self.route.len(), 0);
        }
    }

    /// Folds sessions whose features are all routed ([`Fold::routed`])
    /// and whose users are below `users`.
    pub(crate) fn add(&mut self, sessions: &[Session], users: usize) {
        self.local.table.reserve_users(users);
        scan_piece(
            sessions,
            &self.route,
            &self.cal,
            &mut self.mappers,
            &mut self.local,
        );
    }

    /// The [`Scan`] of everything folded, as [`scan`] gives it for the
    /// same sessions stored.
    pub(crate) fn conclude(
        self,
        usage: &Usage,
        catalog: &Catalog,
        plans: &[ProductPlan<'_>],
        detail: Detail,
    ) -> Scan {
        let route = route_of(catalog, &self.cal_of);
        conclude(self.local, usage, &route, &self.cal, plans, detail)
    }
}

/// The `CalendarDay` products with their time zones (each zone once), and
/// where each feature's sessions go: a `CalendarDay` product, another
/// product, or unmapped.
fn routes(
    catalog: &Catalog,
    plans: &[ProductPlan<'_>],
) -> (Vec<chrono_tz::Tz>, Vec<CalProduct>, Vec<Route>) {
    let (zones, cal, cal_of) = cal_products(plans);
    let route = route_of(catalog, &cal_of);
    (zones, cal, route)
}

/// The `CalendarDay` products with their zones (each zone once), and each
/// product's index among them.
#[allow(clippy::type_complexity)]
fn cal_products(
    plans: &[ProductPlan<'_>],
) -> (Vec<chrono_tz::Tz>, Vec<CalProduct>, Vec<Option<u32>>) {
    let mut zones: Vec<chrono_tz::Tz> = Vec::new();
    let mut cal: Vec<CalProduct> = Vec::new();
    let mut cal_of: Vec<Option<u32>> = Vec::with_capacity(plans.len());
    for (i, plan) in plans.iter().enumerate() {
        if plan.rule.kind != RuleKind::CalendarDay {
            cal_of.push(None);
            continue;
        }
        let zone = zones.iter().position(|&z| z == plan.tz).unwrap_or_else(|| {
            zones.push(plan.tz);
            zones.len() - 1
        });
        cal_of.push(Some(cal.len() as u32));
        cal.push(CalProduct {
            product: i as ProductIdx,
            zone,
            grace_secs: plan.rule.grace_secs,
        });
    }
    (zones, cal, cal_of)
}

/// Where each feature of `catalog` goes.
fn route_of(catalog: &Catalog, cal_of: &[Option<u32>]) -> Vec<Route> {
    catalog
        .products()
        .iter()
        .map(|p| match p {
            None => Route::Unmapped,
            Some(p) => match cal_of.get(usize::from(*p)).copied().flatten() {
                Some(c) => Route::Cal(c),
                None => Route::Other(*p),
            },
        })
        .collect()
}

/// The sessions in pieces of at most `PIECE`, then in contiguous groups of
/// pieces, one per thread.
fn session_groups(usage: &Usage) -> Vec<Vec<&[Session]>> {
    let mut pieces: Vec<&[Session]> = Vec::new();
    for seg in usage.sessions.segments() {
        pieces.extend(seg.chunks(PIECE));
    }
    let threads = rayon::current_num_threads().max(1);
    let mut groups: Vec<Vec<&[Session]>> = vec![Vec::new(); threads.min(pieces.len()).max(1)];
    let ngroups = groups.len();
    let npieces = pieces.len().max(1);
    for (j, p) in pieces.into_iter().enumerate() {
        if let Some(g) = groups.get_mut(j * ngroups / npieces) {
            g.push(p);
        }
    }
    groups
}

/// The matrix's span of days (first, last) from a sample of the sessions,
/// a week wider on each side (two days already cover any zone's offset):
/// reading all of them would cost more than the few outliers, which go to
/// the table. `None` without sessions.
fn day_span(usage: &Usage) -> Option<(i32, i32)> {
    let (lo, hi) = usage
        .sessions
        .segments()
        .iter()
        .flat_map(|seg| seg.iter().step_by(SAMPLE).chain(seg.last()))
        .fold((i64::MAX, i64::MIN), |(lo, hi), s| {
            (lo.min(s.start_secs()), hi.max(s.end_secs()))
        });
    (lo <= hi).then(|| {
        let first = (lo.div_euclid(86_400) - 9) as i32;
        let last = (hi.div_euclid(86_400) + 9) as i32;
        (first, last)
    })
}

/// Adds the use-days of `CalendarDay` products to their pairs' day sets
/// (a date already there is one charge), and sorts out the others: by
/// product for their rules, or unmapped. Without use-days this is nothing.
fn add_use_days(
    table: &mut PairTable,
    usage: &Usage,
    route: &[Route],
    cal: &[CalProduct],
    nplans: usize,
) -> (UseDayMeter, Vec<Vec<UseDay>>) {
    let mut out = UseDayMeter::default();
    if usage.use_days.is_empty() {
        return (out, Vec::new());
    }
    out.cover = usage
        .use_day_cover
        .map(|(a, b)| (day_of_date(a), day_of_date(b)));
    let mut others: Vec<Vec<UseDay>> = vec![Vec::new(); nplans];
    for d in use_days::in_order(&usage.use_days) {
        match route.get(d.product as usize) {
            Some(&Route::Cal(c)) => {
                let day = day_of_date(d.date);
                let bits = table.slot(d.user, c);
                if bits.contains(day) {
                    out.joined += 1;
                    continue;
                }
                bits.set_range(day, day);
                out.charged += 1;
                if let Some(cp) = cal.get(c as usize)
                    && d.dated_by_month
                {
                    out.dated_by_month.push((d.user, cp.product, day));
                }
            }
            Some(&Route::Other(p)) => {
                if let Some(v) = others.get_mut(usize::from(p)) {
                    v.push(*d);
                }
            }
            Some(&Route::Unmapped) | None => {
                let name = if (d.product as usize) < usage.features.len() {
                    usage.features.name(d.product)
                } else {
                    ""
                };
                *out.unmapped.entry(name.to_string()).or_default() += 1;
            }
        }
    }
    (out, others)
}

#[inline]
/// One [`DayCharge`] per date of each pair, at the rate in force that date.
fn rows(table: &PairTable, cal: &[CalProduct], plans: &[ProductPlan<'_>]) -> Vec<PairCharges> {
    table
        .keys
        .par_iter()
        .zip(table.bits.par_iter())
        .filter_map(|(&(user, c), bits)| {
            let cp = cal.get(c as usize)?;
            let rates = &plans.get(usize::from(cp.product))?.rates;
            let mut days = Vec::with_capacity(bits.len());
            days.extend(bits.days().map(|day| DayCharge {
                day,
                charges: 1,
                tokens: rates.at(day),
            }));
            (!days.is_empty()).then_some(PairCharges {
                user,
                product: cp.product,
                days,
            })
        })
        .collect()
}

/// The same charges as [`rows`], added up per pair and per date without a
/// row per charged date. Days are counted per rate period and per (date,
/// product) first and priced once, so the tokens are exactly those of the
/// rows.
fn totals(
    table: &PairTable,
    cal: &[CalProduct],
    plans: &[ProductPlan<'_>],
) -> (Vec<PairTotal>, BTreeMap<i32, Total>) {
    let span = table
        .bits
        .iter()
        .filter(|b| !b.words.is_empty())
        .map(|b| (b.base, b.base + 64 * b.words.len() as i32))
        .reduce(|(lo, hi), (l, h)| (lo.min(l), hi.max(h)));
    let Some((first, end)) = span else {
        return (Vec::new(), BTreeMap::new());
    };
    let nproducts = plans.len();
    let width = (end - first) as usize;
    // Per thread: charges per (date, product), dense, added up at the end.
    let (pairs, counts): (Vec<PairTotal>, Vec<u64>) = table
        .keys
        .par_iter()
        .zip(table.bits.par_iter())
        .fold(
            || (Vec::new(), vec![0u64; width * nproducts]),
            |(mut pairs, mut counts), (&(user, c), bits)| {
                let Some(cp) = cal.get(c as usize) else {
                    return (pairs, counts);
                };
                let Some(plan) = plans.get(usize::from(cp.product)) else {
                    return (pairs, counts);
                };
                let rates = &plan.rates;
                let mut per_rate = vec![0u64; rates.values.len()];
                let product = usize::from(cp.product);
                for day in bits.days() {
                    let i = rates.breaks.partition_point(|&b| b <= day);
                    if let Some(n) = per_rate.get_mut(i) {
                        *n += 1;
                    }
                    if let Some(n) = counts.get_mut((day - first) as usize * nproducts + product) {
                        *n += 1;
                    }
                }
                let mut total = Total::default();
                for (n, rate) in per_rate.iter().zip(&rates.values) {
                    total.add(*n, *rate * rust_decimal::Decimal::from(*n));
                }
                if total.charges > 0 {
                    pairs.push(PairTotal {
                        user,
                        product: cp.product,
                        total,
                    });
                }
                (pairs, counts)
            },
        )
        .reduce(
            || (Vec::new(), vec![0u64; width * nproducts]),
            |(mut pa, mut ca), (pb, cb)| {
                pa.extend(pb);
                for (a, b) in ca.iter_mut().zip(cb) {
                    *a += b;
                }
                (pa, ca)
            },
        );
    let mut by_day: BTreeMap<i32, Total> = BTreeMap::new();
    for (i, &n) in counts.iter().enumerate() {
        if n == 0 {
            continue;
        }
        let day = first + (i / nproducts) as i32;
        let rate = plans
            .get(i % nproducts)
            .map_or(rust_decimal::Decimal::ZERO, |p| p.rates.at(day));
        by_day
            .entry(day)
            .or_default()
            .add(n, rate * rust_decimal::Decimal::from(n));
    }
    (pairs, by_day)
}

fn scan_piece(
    piece: &[Session],
    route: &[Route],
    cal: &[CalProduct],
    mappers: &mut [DayMapper],
    local: &mut Local,
) {
    for s in piece {
        match route.get(s.feature as usize) {
            Some(&Route::Cal(c)) => {
                // Routes are built from `cal` (see `routes`): a miss would
                // drop sessions without a word.
                debug_assert!((c as usize) < cal.len(), "route to product {c}");
                let Some(cp) = cal.get(c as usize) else {
                    continue;
                };
                if s.dur < cp.grace_secs {
                    local.free += 1;
                    continue;
                }
                debug_assert!(cp.zone < mappers.len(), "zone {}", cp.zone);
                let Some(m) = mappers.get_mut(cp.zone) else {
                    continue;
                };
                let start = s.start_secs();
                let d0 = m.day(start);
                let d1 = if s.dur == 0 {
                    d0
                } else {
                    m.day(s.end_secs() - 1)
                };
                let in_matrix = local
                    .matrix
                    .as_mut()
                    .is_some_and(|m| m.set_range(s.user, c, d0, d1));
                if !in_matrix {
                    local.table.slot(s.user, c).set_range(d0, d1);
                }
            }
            Some(&Route::Other(p)) => {
                if let Some(v) = local.others.get_mut(usize::from(p)) {
                    v.push(*s);
                }
            }
            Some(&Route::Unmapped) | None => {
                if let Some(n) = local.unmapped.get_mut(s.feature as usize) {
                    *n += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_bits_grow_both_ways_and_union() {
        let mut b = DayBits::default();
        b.set_range(100, 101);
        b.set_range(-3, -3);
        b.set_range(300, 300);
        assert_eq!(b.days().collect::<Vec<_>>(), vec![-3, 100, 101, 300]);
        let mut c = DayBits::default();
        c.set_range(101, 102);
        c.set_range(1000, 1000);
        b.union(&c);
        assert_eq!(
            b.days().collect::<Vec<_>>(),
            vec![-3, 100, 101, 102, 300, 1000]
        );
        assert_eq!(b.len(), 6);
        c.union(&DayBits::default());
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn pair_table_hash_and_dense_agree() {
        let mut dense = PairTable::new(10, 2);
        let mut hashed = PairTable::new(10, 2);
        hashed.dense.clear();
        for (u, c, d) in [(3, 1, 5), (3, 1, 6), (9, 0, 5), (3, 0, 7), (12, 1, 8)] {
            dense.slot(u, c).set_range(d, d);
            hashed.slot(u, c).set_range(d, d);
        }
        assert_eq!(dense.keys, hashed.keys);
        assert_eq!(dense.bits, hashed.bits);
        assert_eq!(dense.keys, vec![(3, 1), (9, 0), (3, 0), (12, 1)]);
        // Grown to index users densely: the same slots, and new ones after.
        let mut grown = PairTable::new(0, 2);
        for (u, c, d) in [(3, 1, 5), (3, 1, 6), (9, 0, 5)] {
            grown.slot(u, c).set_range(d, d);
        }
        assert!(grown.dense.is_empty());
        grown.reserve_users(13);
        assert_eq!((grown.users, grown.hash.len()), (1024, 0));
        for (u, c, d) in [(3, 0, 7), (12, 1, 8)] {
            grown.slot(u, c).set_range(d, d);
        }
        grown.slot(9, 0).set_range(4, 4);
        assert_eq!(grown.keys, dense.keys);
        assert_eq!(grown.bits[1].days().collect::<Vec<_>>(), [4, 5]);
    }
}
