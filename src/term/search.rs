//! The term plan's search: seats per subscription per year, and who holds
//! them, at the least present value (SPEC §8), on a [`Problem`].
//!
//! [`search`] runs, in order:
//!
//! 0. **Exhaustive search** ([`exhaustive`](super::exact::exhaustive)) when
//!    the instance is small enough: exact.
//! 1. **Starts.** Each year's price-directed plan — every user's cheapest
//!    plan at the year's new-seat prices (then at its renewal prices) and
//!    at each tier price, the way the single-year planner starts, seat
//!    maxima enforced — with the cheapest seats for those holders; nobody
//!    holding a seat; and, when the seats held before year 1 are known,
//!    those seats kept all term with the users they serve best. The
//!    cheapest is kept.
//! 2. **One subscription at a time.** For subscription j, each year's users
//!    are ranked by what a seat of j is worth to them: their best plan
//!    without j against their best plan with it, tokens at the year's
//!    marginal price, the other subscriptions' seats at their marginal
//!    price (one the user holds at what dropping it saves, another at what
//!    adding it costs). A dynamic programme over j's seat count in every
//!    year — exact seat costs, renewals, the seat-change rule and limits,
//!    the exact token purchase when the top n of each year hold it —
//!    chooses j's seats for the whole term; the others' seats then follow
//!    their holders. Rounds go over every subscription, each step from the
//!    last one's result (a step that costs more can open the way for the
//!    next), keeping the cheapest plan seen, while a round improves it. On
//!    small instances, where it is cheap, users are also ranked at each
//!    tier's price, and rounds go on while anything moves; on large ones
//!    (users × subscriptions beyond [`ONE_ROUND`]) one round is made. A
//!    step about to start from the plan it started from a round before
//!    ends the search (the rest would repeat that round). With one
//!    subscription the programme covers every seat path with its best
//!    holders (ranked by the tokens a seat saves, compared exactly), so the
//!    result is exact.
//! 3. **Polish** (small instances): one-seat changes of a subscription, or
//!    a seat moved from one subscription to another, over any run of
//!    years, each re-assigned and kept when cheaper.
//!
//! The ranking compares money in 10⁻¹² and tokens in 10⁻⁶ units, as
//! integers: it only orders choices. Every cost the search decides by is
//! exact.

use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::plan::input::bits;

pub use super::problem::{Problem, Solution, buy};
use super::seat_path::{SeatPrices, cheapest_path};

/// Rounds of subscription-by-subscription search at most.
const MAX_ROUNDS: usize = 4;
/// Largest (users × subscriptions² × years²) for which the polish runs.
const POLISH_MAX_WORK: usize = 200_000;
/// Most improving moves the polish applies.
const POLISH_MAX_MOVES: usize = 400;
/// Largest users × subscriptions searched in more than one round of step 2.
/// Beyond it one round: on large instances a second round has not lowered
/// the cost on any instance measured (`BENCH_TERM_VARIANTS` of bench_term:
/// 22,000 users × 8 subscriptions × 3 years under 18 price variants, and
/// the 10M-session set under 7 scenarios), and it costs as much as the
/// first.
const ONE_ROUND: usize = 50_000;
/// Largest users × subscriptions for which every round of step 2 ranks at
/// each tier's price too, and rounds go on while anything moves (not only
/// while the best plan improves).
const SMALL: usize = 2_000;

/// How the search went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum SearchMethod {
    /// Every yearly seat count with its exact assignment (small instances).
    Exhaustive,
    /// One subscription: every seat path with its best holders.
    SeatPaths,
    /// Subscription by subscription (see the module doc).
    Coordinate,
    /// Not searched: the seats held before year 1, kept.
    AsIs,
}

/// What the search may do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SearchOptions {
    /// Try the exhaustive search on small instances.
    pub exhaustive: bool,
    /// Polish small instances.
    pub polish: bool,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            exhaustive: true,
            polish: true,
        }
    }
}

/// Searches the cheapest term plan (see the module doc).
pub fn search(problem: &Problem<'_>, options: SearchOptions) -> (Solution, SearchMethod) {
    search_with(problem, options, None)
}

/// [`search`] warm-started: `start` (a plan of the same users and term,
/// e.g. the one chosen before a price edit, re-costed at this problem's
/// prices) instead of step 1's starts; steps 2 and 3 as in [`search`]
/// (small instances are still searched exhaustively). It costs one round
/// of step 2 when `start` is already as good as a round can make it —
/// a fraction of a cold search — and never returns a plan dearer than
/// `start`. It may return another plan than [`search`] would.
pub fn search_from(
    problem: &Problem<'_>,
    options: SearchOptions,
    start: &Solution,
) -> (Solution, SearchMethod) {
    search_with(problem, options, Some(start))
}

/// [`search`] or [`search_from`].
fn search_with(
    problem: &Problem<'_>,
    options: SearchOptions,
    start: Option<&Solution>,
) -> (Solution, SearchMethod) {
    if options.exhaustive
        && let Some(exact) = super::exact::exhaustive(problem)
    {
        return (exact, SearchMethod::Exhaustive);
    }
    let mut best = match start {
        Some(s) => problem.solution(s.picks.clone(), s.seats.clone()),
        None => starts(problem),
    };
    let mut current = best.clone();
    let small = problem.users() * problem.subs <= SMALL;
    // Per subscription: the plan its step started from in the last round.
    // A step is a function of the plan it starts from, so when a step is
    // about to start from that same plan again, the rest of the search
    // would repeat the last round move for move (a cycle): it stops there,
    // with the cheapest plan seen already kept.
    let mut last_round: Vec<Option<Solution>> = vec![None; problem.subs];
    let rounds = if problem.users() * problem.subs > ONE_ROUND {
        1
    } else {
        MAX_ROUNDS
    };
    'rounds: for _ in 0..rounds {
        let mut moved = false;
        let mut improved = false;
        for (j, last) in last_round.iter_mut().enumerate() {
            if last.as_ref() == Some(&current) {
                break 'rounds;
            }
            let next = one_subscription(problem, j, &current);
            if next.cost < best.cost {
                best = next.clone();
                improved = true;
            }
            moved |= next != current;
            *last = Some(std::mem::replace(&mut current, next));
        }
        if !moved || !(improved || small) {
            break;
        }
    }
    let work = problem.users() * problem.subs * problem.subs * problem.years * problem.years;
    if options.polish && problem.subs > 1 && work <= POLISH_MAX_WORK {
        best = polish(problem, best);
    }
    let method = if problem.subs <= 1 {
        SearchMethod::SeatPaths
    } else {
        SearchMethod::Coordinate
    };
    (best, method)
}

/// `d` × 10^`places` as an integer (saturating far beyond any price).
fn scaled(d: Decimal, places: u32) -> i128 {
    (d * Decimal::from(10_i64.pow(places)))
        .round()
        .to_i128()
        .unwrap_or(i128::MAX / 4)
}

/// A money amount in 10⁻¹² units.
fn pico(d: Decimal) -> i128 {
    scaled(d, 12)
}

/// A price per token in 10⁻⁶ units (× tokens in 10⁻⁶ gives 10⁻¹²).
fn micro(d: Decimal) -> i128 {
    scaled(d, 6)
}

// ---------------------------------------------------------------------------
// Starts

/// Step 1 of the module doc: the cheapest start.
fn starts(p: &Problem<'_>) -> Solution {
    let mut best = independent(p, |k| p.new_seat[k].clone());
    let mut consider = |s: Solution| {
        if s.cost < best.cost {
            best = s;
        }
    };
    consider(independent(p, |k| p.renewal[k].clone()));
    consider(p.hold(&p.lo));
    if p.before.iter().any(|&s| s > 0) {
        let held: Vec<u32> = (0..p.subs)
            .map(|j| p.before[j].clamp(p.lo[j], p.hi[j].max(p.lo[j])))
            .collect();
        consider(p.hold(&held));
    }
    best
}

/// Sums of per-subscription amounts over every subscription mask: a
/// candidate's seats priced by one lookup instead of a loop over its bits
/// (the ranking's inner loop). Beyond [`MASK_TABLE_SUBS`] subscriptions
/// the table would be too large and masks are summed bit by bit.
#[derive(Clone, Debug)]
struct MaskSums<T> {
    per_sub: Vec<T>,
    table: Option<Vec<T>>,
}

/// Most subscriptions for which [`MaskSums`] tabulates every mask.
const MASK_TABLE_SUBS: usize = 12;

impl<T: Copy + Default + std::ops::Add<Output = T>> MaskSums<T> {
    fn new(per_sub: Vec<T>) -> MaskSums<T> {
        let table = (per_sub.len() <= MASK_TABLE_SUBS).then(|| {
            let mut table = vec![T::default(); 1 << per_sub.len()];
            for m in 1..table.len() {
                // The lowest bit's amount + the rest's sum, tabulated before.
                let low = m.trailing_zeros() as usize;
                table[m] = per_sub[low] + table[m & (m - 1)];
            }
            table
        });
        MaskSums { per_sub, table }
    }

    /// The amounts of the subscriptions in `mask`, summed.
    fn of(&self, mask: u32) -> T {
        match &self.table {
            Some(t) => t[mask as usize],
            None => bits(mask).fold(T::default(), |sum, s| sum + self.per_sub[s]),
        }
    }
}

/// User `i`'s cheapest candidate in year `k` with its seats priced
/// `seats(mask)` (10⁻¹²) and tokens at `token` (10⁻⁶ a token), among
/// those `keep` accepts (ties: the earlier candidate, i.e. fewer
/// subscriptions).
fn cheapest(
    p: &Problem<'_>,
    i: usize,
    k: usize,
    seats: impl Fn(u32) -> i128,
    token: i128,
    keep: impl Fn(u32) -> bool,
) -> Option<(i128, u32)> {
    let cands = p.candidates();
    let mut best: Option<(i128, u32)> = None;
    for (c, &mask) in cands.masks(i).iter().enumerate() {
        if !keep(mask) {
            continue;
        }
        let c = c as u32;
        let cost = seats(mask) + token * i128::from(cands.micro(i, c, k));
        if best.is_none_or(|(b, _)| cost < b) {
            best = Some((cost, c));
        }
    }
    best
}

/// User `i`'s cheapest candidate in year `k` with subscription `bit` and
/// without it, in one pass (as [`cheapest`] twice); `None` when either is
/// missing.
fn cheapest_both(
    p: &Problem<'_>,
    i: usize,
    k: usize,
    bit: u32,
    seats: impl Fn(u32) -> i128,
    token: i128,
) -> Option<((i128, u32), (i128, u32))> {
    let cands = p.candidates();
    let mut with: Option<(i128, u32)> = None;
    let mut without: Option<(i128, u32)> = None;
    for (c, &mask) in cands.masks(i).iter().enumerate() {
        let c = c as u32;
        let cost = seats(mask) + token * i128::from(cands.micro(i, c, k));
        let slot = if mask & bit != 0 {
            &mut with
        } else {
            &mut without
        };
        if slot.is_none_or(|(b, _)| cost < b) {
            *slot = Some((cost, c));
        }
    }
    Some((with?, without?))
}

/// Every user's cheapest plan in year `k` at seat prices `seat` and token
/// price `token` (fixed users keep theirs), seat maxima enforced.
fn directed(p: &Problem<'_>, k: usize, seat: &[i128], token: i128) -> Vec<u32> {
    let seats = MaskSums::new(seat.to_vec());
    let mut picks: Vec<u32> = (0..p.users())
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| {
            p.fixed(i).unwrap_or_else(|| {
                cheapest(p, i, k, |m| seats.of(m), token, |_| true).map_or(0, |(_, c)| c)
            })
        })
        .collect();
    p.cap(k, &mut picks, &p.hi);
    picks
}

/// Each year on its own: the cheapest of its price-directed plans at seat
/// prices `prices(k)` and each tier price, costed as a single year (every
/// seat at those prices); then the cheapest seats over the term.
fn independent(p: &Problem<'_>, prices: impl Fn(usize) -> Vec<Decimal>) -> Solution {
    let picks: Vec<Vec<u32>> = (0..p.years)
        .map(|k| {
            let prices = prices(k);
            let seat: Vec<i128> = prices.iter().map(|&d| pico(d)).collect();
            let mut best: Option<(Decimal, Vec<u32>)> = None;
            for (_, price) in p.schedules[k].tier_prices() {
                let picks = directed(p, k, &seat, micro(price));
                let seats: Decimal = p
                    .holders(&picks)
                    .iter()
                    .enumerate()
                    .map(|(j, &h)| prices[j] * Decimal::from(h.max(p.lo[j])))
                    .sum();
                let cost = seats + p.buy_cost(k, p.need(k, &picks));
                if best.as_ref().is_none_or(|(b, _)| cost < *b) {
                    best = Some((cost, picks));
                }
            }
            best.map_or_else(|| p.nobody(), |(_, picks)| picks)
        })
        .collect();
    p.settle(picks)
}

// ---------------------------------------------------------------------------
// One subscription at a time

/// Marginal seat prices per year and subscription: one more costs the
/// renewal price where the seats fell below the year before's (it is
/// kept), else the new-seat price; one fewer saves the new-seat price where
/// seats were added, else the renewal price.
struct Marginal {
    add: Vec<Vec<Decimal>>,
    remove: Vec<Vec<Decimal>>,
}

impl Marginal {
    fn of(p: &Problem<'_>, sol: &Solution) -> Marginal {
        let price = |more: bool| -> Vec<Vec<Decimal>> {
            (0..p.years)
                .map(|k| {
                    (0..p.subs)
                        .map(|j| {
                            let (now, prev) = (sol.seats[k][j], p.prev_seats(&sol.seats, k, j));
                            let kept = if more { now < prev } else { now <= prev };
                            if kept {
                                p.renewal[k][j]
                            } else {
                                p.new_seat[k][j]
                            }
                        })
                        .collect()
                })
                .collect()
        };
        Marginal {
            add: price(true),
            remove: price(false),
        }
    }
}

/// One user's two choices for a subscription in a year.
#[derive(Clone, Copy, Debug)]
struct Choice {
    user: usize,
    /// Worth of a seat (10⁻¹²): best cost without it − best cost with it.
    value: i128,
    /// Tokens saved by taking `with` over `without`, exactly.
    saved: Decimal,
    /// The same in millionths of a token, rounded (to rank many
    /// subscriptions' choices, where the ranking is a heuristic anyway).
    saved_micro: i64,
    /// Marginal cost of the other subscriptions: `with` − `without`.
    shadow: Decimal,
    /// Tokens `without` leaves uncovered beyond the user's plan in the base.
    moved: Decimal,
    without: u32,
    with: u32,
}

/// Every free user's choice for subscription `j` in year `k` of `base`,
/// tokens at `token` a token, ranked by the worth of a seat (then tokens
/// saved, then user); with one subscription, by the tokens saved alone.
fn choices(
    p: &Problem<'_>,
    j: usize,
    k: usize,
    base: &Solution,
    marginal: &Marginal,
    token: Decimal,
) -> Vec<Choice> {
    let bit = 1u32 << j;
    let now = &base.picks[k];
    // Seats of the other subscriptions at their marginal prices: one the
    // user holds at what dropping it saves, another at what adding it
    // costs; j itself is free (its worth is what is ranked).
    let others = |prices: &[Decimal]| -> Vec<Decimal> {
        let mut v = prices.to_vec();
        v[j] = Decimal::ZERO;
        v
    };
    let (add, remove) = (others(&marginal.add[k]), others(&marginal.remove[k]));
    let pico_add = MaskSums::new(add.iter().map(|&d| pico(d)).collect());
    let pico_remove = MaskSums::new(remove.iter().map(|&d| pico(d)).collect());
    let dec_add = MaskSums::new(add);
    let dec_remove = MaskSums::new(remove);
    let token_micro = micro(token);
    let exact = p.candidates().exact_micro(k);
    let mut out: Vec<Choice> = p
        .candidates()
        .relevant(j)
        .par_iter()
        .with_min_len(1024)
        .filter_map(|&i| {
            let i = i as usize;
            if p.fixed(i).is_some() {
                return None;
            }
            let held = p.mask(i, now[i]);
            let seats = |m: u32| pico_remove.of(m & held) + pico_add.of(m & !held);
            let ((with_cost, with), (without_cost, without)) =
                cheapest_both(p, i, k, bit, seats, token_micro)?;
            let shadow = |m: u32| dec_remove.of(m & held) + dec_add.of(m & !held);
            let cands = p.candidates();
            let left_micro = cands.micro(i, without, k);
            let saved_micro = left_micro - cands.micro(i, with, k);
            // Exact amounts from the millionths just read where they are
            // exact: the decimal array is a cache miss per user.
            let (saved, moved) = if exact {
                let moved = left_micro - cands.micro(i, now[i], k);
                (Decimal::new(saved_micro, 6), Decimal::new(moved, 6))
            } else {
                let left = p.uncovered(i, without, k);
                (
                    left - p.uncovered(i, with, k),
                    left - p.uncovered(i, now[i], k),
                )
            };
            Some(Choice {
                user: i,
                value: without_cost - with_cost,
                saved_micro,
                saved,
                moved,
                shadow: shadow(p.mask(i, with)) - shadow(p.mask(i, without)),
                without,
                with,
            })
        })
        .collect();
    if p.subs == 1 {
        out.sort_unstable_by(|a, b| b.saved.cmp(&a.saved).then(a.user.cmp(&b.user)));
    } else {
        // Integer keys: with many users alike, exact decimal comparisons
        // of the tie-break dominated the sort. The keys are sorted apart
        // from the (large) choices, which then move once.
        if let Some(order) = packed_order(&out) {
            return order.into_iter().map(|x| out[x]).collect();
        }
        let mut keys: Vec<(i128, i64, usize, u32)> = out
            .iter()
            .enumerate()
            .map(|(x, c)| (c.value, c.saved_micro, c.user, x as u32))
            .collect();
        keys.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        return keys.iter().map(|key| out[key.3 as usize]).collect();
    }
    out
}

/// Bits of a packed ranking key for the tokens saved, and for the index.
const SAVED_BITS: u32 = 40;
const INDEX_BITS: u32 = 24;

/// The ranking order of `choices` (worth of a seat descending, then tokens
/// saved descending, then user ascending — `choices` are in user order, so
/// their index stands for the user) from one `u128` key each, when every
/// worth fits 64 bits, every saving 40 and every index 24: a sort of
/// 16-byte integers instead of 48-byte tuples. `None` otherwise.
fn packed_order(choices: &[Choice]) -> Option<Vec<usize>> {
    if choices.len() >= 1 << INDEX_BITS {
        return None;
    }
    let half = 1i64 << (SAVED_BITS - 1);
    let mut keys: Vec<u128> = choices
        .iter()
        .enumerate()
        .map(|(x, c)| {
            let value = i64::try_from(c.value).ok()?;
            if !(-half..half).contains(&c.saved_micro) {
                return None;
            }
            // Order-preserving maps to unsigned, reversed for descending.
            let value = !((value as u64) ^ (1 << 63));
            let saved = ((1u64 << SAVED_BITS) - 1) - (c.saved_micro + half) as u64;
            Some((u128::from(value) << 64) | (u128::from(saved) << INDEX_BITS) | x as u128)
        })
        .collect::<Option<_>>()?;
    keys.sort_unstable();
    Some(
        keys.iter()
            .map(|k| (k & ((1 << INDEX_BITS) - 1)) as usize)
            .collect(),
    )
}

/// Step 2 of the module doc for subscription `j` from `base`: the best of
/// the dynamic programme with tokens ranked at each year's marginal price,
/// and at each tier's price.
fn one_subscription(p: &Problem<'_>, j: usize, base: &Solution) -> Solution {
    let marginal = Marginal::of(p, base);
    let mut prices: Vec<Vec<Decimal>> =
        vec![(0..p.years).map(|k| p.buy(k, base.need[k]).price).collect()];
    let tiers = p
        .schedules
        .iter()
        .map(|s| s.brackets().len())
        .min()
        .unwrap_or(1);
    if p.subs > 1 && p.users() * p.subs <= SMALL {
        for b in 0..tiers {
            let at_tier: Vec<Decimal> = (0..p.years)
                .map(|k| p.schedules[k].price_of_bracket(b))
                .collect();
            if !prices.contains(&at_tier) {
                prices.push(at_tier);
            }
        }
    }
    let mut best: Option<Solution> = None;
    for token in prices {
        let next = ranked_step(p, j, base, &marginal, &token);
        if best.as_ref().is_none_or(|b| next.cost < b.cost) {
            best = Some(next);
        }
    }
    best.unwrap_or_else(|| base.clone())
}

/// One year's ranking for a step (the years are ranked in parallel).
struct YearRanking {
    list: Vec<Choice>,
    /// The year's need with every ranked user on `without`.
    need0: Decimal,
    /// Prefix sums of tokens saved down the ranking (from 0 users).
    saved: Vec<Decimal>,
    /// Prefix sums of shadow cost down the ranking.
    shadow: Vec<Decimal>,
}

impl YearRanking {
    fn new(list: Vec<Choice>, need: Decimal) -> YearRanking {
        let need0 = need + list.iter().map(|c| c.moved).sum::<Decimal>();
        let mut saved = Vec::with_capacity(list.len() + 1);
        let mut shadow = Vec::with_capacity(list.len() + 1);
        let (mut s, mut h) = (Decimal::ZERO, Decimal::ZERO);
        saved.push(s);
        shadow.push(h);
        for c in &list {
            s += c.saved;
            h += c.shadow;
            saved.push(s);
            shadow.push(h);
        }
        YearRanking {
            list,
            need0,
            saved,
            shadow,
        }
    }
}

/// One dynamic programme for subscription `j` from `base`, users ranked
/// with tokens at `token[k]` in year `k`.
fn ranked_step(
    p: &Problem<'_>,
    j: usize,
    base: &Solution,
    marginal: &Marginal,
    token: &[Decimal],
) -> Solution {
    let bit = 1u32 << j;
    // Fixed users' seats of j (the same every year).
    let fixed_holders = (0..p.users())
        .filter(|&i| p.fixed(i).is_some_and(|c| p.mask(i, c) & bit != 0))
        .count() as u32;
    let per_year: Vec<YearRanking> = (0..p.years)
        .into_par_iter()
        .map(|k| YearRanking::new(choices(p, j, k, base, marginal, token[k]), base.need[k]))
        .collect();
    let mut ranked = Vec::with_capacity(p.years);
    let mut need0 = Vec::with_capacity(p.years);
    let mut saved = Vec::with_capacity(p.years);
    let mut shadow = Vec::with_capacity(p.years);
    for y in per_year {
        ranked.push(y.list);
        need0.push(y.need0);
        saved.push(y.saved);
        shadow.push(y.shadow);
    }
    let m = ranked.iter().map(Vec::len).min().unwrap_or(0) as u32;
    let lo = p.lo[j].max(fixed_holders);
    let hi = p.hi[j].min(fixed_holders + m);
    if lo > hi {
        return base.clone();
    }
    let takers = |s: u32| (s.saturating_sub(fixed_holders).min(m)) as usize;
    let new_seat: Vec<Decimal> = p.new_seat.iter().map(|y| y[j]).collect();
    let renewal: Vec<Decimal> = p.renewal.iter().map(|y| y[j]).collect();
    let prices = SeatPrices {
        weight: &p.weight,
        new_seat: &new_seat,
        renewal: &renewal,
        before: p.before[j],
        adds_only: p.adds_only,
    };
    let path = cheapest_path(prices, lo, hi, |k, s| {
        let n = takers(s);
        p.buy_cost(k, need0[k] - saved[k][n]) + shadow[k][n]
    });

    apply(p, j, base, &ranked, &path, takers)
}

/// `base` with the top `takers(path[k])` of `ranked[k]` holding `j` in year
/// `k` and the rest of them on their plan without it; j's seats on `path`,
/// the others' following their holders, free seats filled. Holders and
/// need are updated from the users who moved, unless capping or filling
/// moved others too.
fn apply(
    p: &Problem<'_>,
    j: usize,
    base: &Solution,
    ranked: &[Vec<Choice>],
    path: &[u32],
    takers: impl Fn(u32) -> usize,
) -> Solution {
    let mut picks = base.picks.clone();
    let mut holders = base.holders.clone();
    let mut need = base.need.clone();
    let mut caps = p.hi.clone();
    for k in 0..p.years {
        let n = takers(path[k]);
        for (rank, c) in ranked[k].iter().enumerate() {
            let now = if rank < n { c.with } else { c.without };
            let was = picks[k][c.user];
            if now == was {
                continue;
            }
            for s in bits(p.mask(c.user, was)) {
                holders[k][s] -= 1;
            }
            for s in bits(p.mask(c.user, now)) {
                holders[k][s] += 1;
            }
            need[k] += p.uncovered(c.user, now, k) - p.uncovered(c.user, was, k);
            picks[k][c.user] = now;
        }
        caps[j] = path[k];
        if holders[k].iter().zip(&caps).any(|(h, c)| h > c) {
            p.cap(k, &mut picks[k], &caps);
            holders[k] = p.holders(&picks[k]);
            need[k] = p.need(k, &picks[k]);
        }
    }
    // The others' seats follow their holders; j keeps the path chosen (its
    // holders are within it: the top n, fixed users, and moves the caps
    // allowed).
    let mut seats = p.seats_for_holders(&holders);
    for (k, s) in seats.iter_mut().enumerate() {
        s[j] = path[k];
    }
    for k in 0..p.years {
        if seats[k].iter().zip(&holders[k]).any(|(s, h)| s > h)
            && p.fill(k, &mut picks[k], &seats[k])
        {
            holders[k] = p.holders(&picks[k]);
            need[k] = p.need(k, &picks[k]);
        }
    }
    p.costed(picks, seats, holders, need)
}

// ---------------------------------------------------------------------------
// Polish

/// Step 3 of the module doc: one-seat moves over runs of years, kept when
/// they lower the cost.
fn polish(p: &Problem<'_>, mut best: Solution) -> Solution {
    for _ in 0..POLISH_MAX_MOVES {
        let Some(better) = first_better_move(p, &best) else {
            break;
        };
        best = better;
    }
    best
}

/// The first one-seat move from `sol` that lowers its cost.
fn first_better_move(p: &Problem<'_>, sol: &Solution) -> Option<Solution> {
    for a in 0..p.years {
        for b in a..p.years {
            for j in 0..p.subs {
                for delta in [1i64, -1] {
                    let mut tries = vec![vec![(j, delta)]];
                    tries.extend(
                        (0..p.subs)
                            .filter(|&x| x != j)
                            .map(|x| vec![(j, delta), (x, -delta)]),
                    );
                    for deltas in tries {
                        if let Some(s) = moved(p, sol, a, b, &deltas)
                            && s.cost < sol.cost
                        {
                            return Some(s);
                        }
                    }
                }
            }
        }
    }
    let refilled = refilled(p, sol);
    (refilled.cost < sol.cost).then_some(refilled)
}

/// `sol`'s seats changed by `deltas` (subscription, seats) in years
/// `a..=b`; `None` when they break a seat limit or the seat-change rule.
pub fn shifted_seats(
    p: &Problem<'_>,
    sol: &Solution,
    a: usize,
    b: usize,
    deltas: &[(usize, i64)],
) -> Option<Vec<Vec<u32>>> {
    let mut seats = sol.seats.clone();
    for &(j, delta) in deltas {
        for year in seats.get_mut(a..=b)? {
            let s = i64::from(*year.get(j)?) + delta;
            if s < i64::from(p.lo[j]) || s > i64::from(p.hi[j]) {
                return None;
            }
            year[j] = u32::try_from(s).ok()?;
        }
        if p.adds_only && (1..p.years).any(|k| seats[k][j] < seats[k - 1][j]) {
            return None;
        }
    }
    Some(seats)
}

/// Year `k`'s `picks` re-assigned to `seats`: holders beyond a
/// subscription's seats moved off, free seats filled; false when the
/// holders cannot fit.
pub fn reassigned(p: &Problem<'_>, k: usize, picks: &mut [u32], seats: &[u32]) -> bool {
    p.cap(k, picks, seats);
    if p.holders(picks).iter().zip(seats).any(|(h, s)| h > s) {
        return false;
    }
    p.fill(k, picks, seats);
    true
}

/// `sol` with subscription seats changed by `deltas` in years `a..=b`,
/// holders re-assigned; `None` when the seats break a limit or rule.
fn moved(
    p: &Problem<'_>,
    sol: &Solution,
    a: usize,
    b: usize,
    deltas: &[(usize, i64)],
) -> Option<Solution> {
    let seats = shifted_seats(p, sol, a, b, deltas)?;
    let mut picks = sol.picks.clone();
    for k in a..=b {
        if !reassigned(p, k, &mut picks[k], &seats[k]) {
            return None;
        }
    }
    Some(p.solution(picks, seats))
}

/// `sol`'s seats with every year's holders chosen afresh.
fn refilled(p: &Problem<'_>, sol: &Solution) -> Solution {
    let picks = (0..p.years)
        .map(|k| {
            let mut picks = p.nobody();
            p.fill(k, &mut picks, &sol.seats[k]);
            picks
        })
        .collect();
    p.solution(picks, sol.seats.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The packed keys order choices as the tuple keys do: worth
        /// descending, tokens saved descending, user ascending (ties are
        /// frequent: few distinct worths and savings).
        #[test]
        fn packed_order_is_the_ranking(
            rows in proptest::collection::vec((-3i128..3, -2i64..3), 0..60),
            scale in prop_oneof![Just(1i128), Just(1_000_000_000_000i128)],
        ) {
            let choices: Vec<Choice> = rows
                .iter()
                .enumerate()
                .map(|(user, &(v, s))| Choice {
                    user,
                    value: v * scale,
                    saved: Decimal::new(s, 6),
                    saved_micro: s * 1_000_000,
                    shadow: Decimal::ZERO,
                    moved: Decimal::ZERO,
                    without: 0,
                    with: 1,
                })
                .collect();
            let packed = packed_order(&choices).expect("fits");
            let mut tuples: Vec<usize> = (0..choices.len()).collect();
            tuples.sort_by(|&a, &b| {
                let (a, b) = (&choices[a], &choices[b]);
                b.value.cmp(&a.value).then(b.saved_micro.cmp(&a.saved_micro)).then(a.user.cmp(&b.user))
            });
            prop_assert_eq!(packed, tuples);
        }
    }

    #[test]
    fn worths_beyond_64_bits_are_not_packed() {
        let big = Choice {
            user: 0,
            value: i128::from(i64::MAX) + 1,
            saved: Decimal::ZERO,
            saved_micro: 0,
            shadow: Decimal::ZERO,
            moved: Decimal::ZERO,
            without: 0,
            with: 1,
        };
        assert_eq!(packed_order(&[big]), None);
    }
}
