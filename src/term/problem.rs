//! The term priced for search: what a plan costs, the best seats for given
//! holders and the best holders for given seats (SPEC §8).
//!
//! [`Problem`] holds per year the new-seat and renewal prices, the token
//! price as a [`Schedule`], the weight that discounts the year, the seats
//! held before year 1, the seat limits and the seat-change rule. A
//! [`Solution`] is every user's plan and every subscription's seats in
//! every year; its cost is the exact present value (times a constant, see
//! [`Problem::weight`]) of the seats — kept ones at the renewal price —
//! and of each year's token purchase: the uncovered forecast rounded up to
//! whole tokens or packs, tier by that quantity ([`buy`]).
//!
//! Given the seats, the best holders are those covering the most tokens,
//! since the token cost only grows with the tokens bought
//! ([`Problem::fill`], [`Problem::cap`]); given the holders, the best
//! seats are a small shortest path per subscription
//! ([`Problem::seats_for`]). Costs are exact `Decimal`s; the greedy moves
//! compare tokens in millionths ([`Candidates::micro`]), which only orders
//! them.

use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::plan::input::bits;
use crate::plan::{Purchase, Schedule};
use crate::scenario::TierMode;

use super::demand::{Candidates, TermDemand};
use super::quick_buy::QuickBuy;
use super::seats::{SeatChange, seat_cost};

/// The cheapest purchase of at least `need` tokens under `schedule`, in
/// multiples of `pack` tokens (1: whole tokens): the need rounded up (and
/// to the first tier's floor), the tier chosen by that quantity — or, with
/// all-units tiers, a higher tier's floor (rounded up to whole packs) when
/// buying up to it costs less. Ties keep the smaller quantity.
pub fn buy(schedule: &Schedule, need: Decimal, pack: Decimal) -> Purchase {
    let up = |q: Decimal| {
        if pack == Decimal::ONE {
            return q.ceil();
        }
        // For a whole pack p, ceil(q / p) = ceil(ceil(q) / p): integers
        // spare the decimal division on the search's hot path.
        let (Some(whole), Some(p)) = (q.ceil().to_i64(), pack.to_i64()) else {
            return (q / pack).ceil() * pack;
        };
        if p <= 0 || !pack.fract().is_zero() {
            return (q / pack).ceil() * pack;
        }
        Decimal::from(whole.div_euclid(p) + i64::from(whole.rem_euclid(p) != 0)) * pack
    };
    let purchase = |tokens: Decimal| {
        let bracket = schedule.bracket_of(tokens);
        Purchase {
            tokens,
            cost: schedule.price_of_quantity(tokens),
            bracket,
            price: schedule.price_of_bracket(bracket),
        }
    };
    let first = schedule
        .brackets()
        .first()
        .map_or(Decimal::ZERO, |b| b.floor);
    let mut best = purchase(up(need.max(first)));
    if schedule.mode() == TierMode::AllUnits {
        for b in schedule.brackets() {
            let tokens = up(b.floor);
            if tokens > best.tokens {
                let other = purchase(tokens);
                if other.cost < best.cost {
                    best = other;
                }
            }
        }
    }
    best
}

/// The term priced, ready to search.
#[derive(Clone, Debug)]
pub struct Problem<'a> {
    /// Users, candidates and demand by year.
    pub demand: &'a TermDemand,
    /// Contract years.
    pub years: usize,
    /// Subscriptions.
    pub subs: usize,
    /// Per year, per subscription: price of a new seat.
    pub new_seat: Vec<Vec<Decimal>>,
    /// Per year, per subscription: price of a renewed seat.
    pub renewal: Vec<Vec<Decimal>>,
    /// Per year: (1 + discount rate)^(years − 1 − k). Costs weighted by it
    /// compare exactly as present values do (each is the present value ×
    /// (1 + rate)^(years − 1)) without dividing.
    pub weight: Vec<Decimal>,
    /// Per year: the token price.
    pub schedules: Vec<Schedule>,
    /// Tokens are bought in multiples of this.
    pub pack: Decimal,
    /// Per subscription: seats held before year 1 (0 when unknown).
    pub before: Vec<u32>,
    /// Per subscription: fewest seats in any year.
    pub lo: Vec<u32>,
    /// Per subscription: most seats in any year (never more than users
    /// who could hold one).
    pub hi: Vec<u32>,
    /// `AddsAtAnniversary`: from year 2 on seats never decrease.
    pub adds_only: bool,
    /// Per user: kept on the current plan by the switching threshold.
    pub kept: Vec<bool>,
    /// Per year: [`Problem::schedules`] ready to cost purchases quickly.
    pub quick: Vec<QuickBuy>,
}

/// Every user's plan and every subscription's seats, every year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solution {
    /// Per year, per user: index of the candidate held.
    pub picks: Vec<Vec<u32>>,
    /// Per year, per subscription: seats held (≥ holders).
    pub seats: Vec<Vec<u32>>,
    /// Per year, per subscription: users holding it.
    pub holders: Vec<Vec<u32>>,
    /// Per year: forecast tokens left uncovered.
    pub need: Vec<Decimal>,
    /// The weighted cost (see [`Problem::weight`]).
    pub cost: Decimal,
}

impl<'a> Problem<'a> {
    /// The users' candidates.
    pub fn candidates(&self) -> &'a Candidates {
        &self.demand.candidates
    }

    /// Users.
    pub fn users(&self) -> usize {
        self.demand.candidates.users()
    }

    /// Candidate `c`'s subscription mask for user `i`.
    pub fn mask(&self, i: usize, c: u32) -> u32 {
        self.candidates()
            .masks(i)
            .get(c as usize)
            .copied()
            .unwrap_or(0)
    }

    /// Tokens user `i`'s candidate `c` leaves uncovered in year `k`.
    pub fn uncovered(&self, i: usize, c: u32, k: usize) -> Decimal {
        self.candidates().uncovered(i, c, k)
    }

    /// The candidate user `i` must hold, if any: a pin, or the current plan
    /// kept by the switching threshold.
    pub fn fixed(&self, i: usize) -> Option<u32> {
        let cands = self.candidates();
        if cands.pinned(i) {
            Some(0)
        } else if self.kept.get(i).copied().unwrap_or(false) {
            Some(cands.current(i))
        } else {
            None
        }
    }

    /// Holders of each subscription under `picks` (one year).
    pub fn holders(&self, picks: &[u32]) -> Vec<u32> {
        let mut h = vec![0u32; self.subs];
        for (i, &c) in picks.iter().enumerate() {
            for j in bits(self.mask(i, c)) {
                h[j] += 1;
            }
        }
        h
    }

    /// Forecast tokens left to buy in year `k` under `picks`.
    pub fn need(&self, k: usize, picks: &[u32]) -> Decimal {
        picks
            .par_iter()
            .with_min_len(4096)
            .enumerate()
            .map(|(i, &c)| self.uncovered(i, c, k))
            .sum()
    }

    /// Year `k`'s purchase of `need` tokens.
    pub fn buy(&self, k: usize, need: Decimal) -> Purchase {
        buy(&self.schedules[k], need, self.pack)
    }

    /// `self.buy(k, need).cost`, quickly ([`QuickBuy`]).
    pub fn buy_cost(&self, k: usize, need: Decimal) -> Decimal {
        self.quick[k].cost(need)
    }

    /// Subscription `j`'s seat cost in year `k`, from `prev` seats to `now`.
    pub fn seat_cost(&self, k: usize, j: usize, prev: u32, now: u32) -> Decimal {
        seat_cost(
            SeatChange::between(prev, now),
            self.new_seat[k][j],
            self.renewal[k][j],
        )
    }

    /// Seats of subscription `j` the year before year `k`.
    pub fn prev_seats(&self, seats: &[Vec<u32>], k: usize, j: usize) -> u32 {
        if k == 0 {
            self.before[j]
        } else {
            seats[k - 1][j]
        }
    }

    /// A solution of `picks` and `seats`, costed.
    pub fn solution(&self, picks: Vec<Vec<u32>>, seats: Vec<Vec<u32>>) -> Solution {
        let need: Vec<Decimal> = (0..self.years).map(|k| self.need(k, &picks[k])).collect();
        let holders: Vec<Vec<u32>> = picks.iter().map(|p| self.holders(p)).collect();
        self.costed(picks, seats, holders, need)
    }

    /// A solution whose holders and need are known, costed.
    pub fn costed(
        &self,
        picks: Vec<Vec<u32>>,
        seats: Vec<Vec<u32>>,
        holders: Vec<Vec<u32>>,
        need: Vec<Decimal>,
    ) -> Solution {
        let cost = (0..self.years)
            .map(|k| {
                let subs: Decimal = (0..self.subs)
                    .map(|j| self.seat_cost(k, j, self.prev_seats(&seats, k, j), seats[k][j]))
                    .sum();
                self.weight[k] * (subs + self.buy_cost(k, need[k]))
            })
            .sum();
        Solution {
            picks,
            seats,
            holders,
            need,
            cost,
        }
    }

    /// Users on their fixed plan, everyone else on the empty plan.
    pub fn nobody(&self) -> Vec<u32> {
        (0..self.users())
            .map(|i| self.fixed(i).unwrap_or(0))
            .collect()
    }

    /// The given seats every year, held by the users they serve best.
    pub fn hold(&self, seats: &[u32]) -> Solution {
        let seats: Vec<Vec<u32>> = vec![seats.to_vec(); self.years];
        let picks: Vec<Vec<u32>> = (0..self.years)
            .map(|k| {
                let mut p = self.nobody();
                self.fill(k, &mut p, &seats[k]);
                p
            })
            .collect();
        self.solution(picks, seats)
    }

    // -----------------------------------------------------------------
    // Seats for given holders

    /// The cheapest seats of subscription `j` over the term when `holders`
    /// hold it each year: at least the holders and the minimum, under the
    /// seat-change rule. The cost is piecewise linear with breaks at those
    /// bounds and the seats held before, so a shortest path over them is
    /// exact.
    pub fn seats_for(&self, j: usize, holders: &[u32]) -> Vec<u32> {
        let floor: Vec<u32> = holders.iter().map(|&h| h.max(self.lo[j])).collect();
        let mut values: Vec<u32> = floor.clone();
        values.push(self.before[j].max(self.lo[j]));
        values.sort_unstable();
        values.dedup();
        let n = values.len();
        // best[v]: cheapest weighted cost of years 0..=k ending at values[v].
        let mut best: Vec<Option<Decimal>> = vec![None; n];
        let mut from: Vec<Vec<usize>> = Vec::with_capacity(self.years);
        for (k, &least) in floor.iter().enumerate().take(self.years) {
            let mut next = vec![None; n];
            let mut back = vec![0usize; n];
            for (v, &now) in values.iter().enumerate() {
                if now < least {
                    continue;
                }
                let step = |prev: u32| self.weight[k] * self.seat_cost(k, j, prev, now);
                if k == 0 {
                    next[v] = Some(step(self.before[j]));
                    continue;
                }
                for (u, &prev) in values.iter().enumerate() {
                    let Some(c) = best[u] else {
                        continue;
                    };
                    if self.adds_only && prev > now {
                        continue;
                    }
                    let total = c + step(prev);
                    if next[v].is_none_or(|b| total < b) {
                        next[v] = Some(total);
                        back[v] = u;
                    }
                }
            }
            best = next;
            from.push(back);
        }
        let Some(mut at) = (0..n)
            .filter_map(|v| best[v].map(|c| (v, c)))
            .min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))
            .map(|(v, _)| v)
        else {
            return floor;
        };
        let mut path = vec![0u32; self.years];
        for k in (0..self.years).rev() {
            path[k] = values[at];
            at = from[k][at];
        }
        path
    }

    /// The cheapest seats of every subscription for the holders of `picks`.
    pub fn seats_for_all(&self, picks: &[Vec<u32>]) -> Vec<Vec<u32>> {
        let holders: Vec<Vec<u32>> = picks.iter().map(|p| self.holders(p)).collect();
        self.seats_for_holders(&holders)
    }

    /// The cheapest seats of every subscription for `holders` (per year,
    /// per subscription).
    pub fn seats_for_holders(&self, holders: &[Vec<u32>]) -> Vec<Vec<u32>> {
        let mut seats = vec![vec![0u32; self.subs]; self.years];
        for j in 0..self.subs {
            let per_year: Vec<u32> = holders.iter().map(|h| h[j]).collect();
            for (k, s) in self.seats_for(j, &per_year).into_iter().enumerate() {
                seats[k][j] = s;
            }
        }
        seats
    }

    /// The cheapest seats for `picks`, free seats filled, costed.
    pub fn settle(&self, mut picks: Vec<Vec<u32>>) -> Solution {
        let seats = self.seats_for_all(&picks);
        for (k, p) in picks.iter_mut().enumerate() {
            self.fill(k, p, &seats[k]);
        }
        self.solution(picks, seats)
    }

    // -----------------------------------------------------------------
    // Holders for given seats

    /// Gives free seats (held, not used) of year `k` to the users they
    /// cover most: rounds of single-user moves that only take free seats,
    /// largest token saving first, until none is left. True when anyone
    /// moved.
    pub fn fill(&self, k: usize, picks: &mut [u32], seats: &[u32]) -> bool {
        let cands = self.candidates();
        let holders = self.holders(picks);
        let mut free: Vec<i64> = seats
            .iter()
            .zip(&holders)
            .map(|(&s, &h)| i64::from(s) - i64::from(h))
            .collect();
        let mut any = false;
        for _ in 0..8 {
            let open = free
                .iter()
                .enumerate()
                .filter(|(_, f)| **f > 0)
                .fold(0u32, |m, (j, _)| m | (1 << j));
            if open == 0 {
                break;
            }
            let users = self.relevant_to(open);
            let current: &[u32] = picks;
            let mut moves: Vec<(i64, usize, u32)> = users
                .par_iter()
                .with_min_len(1024)
                .filter_map(|&i| {
                    if self.fixed(i).is_some() {
                        return None;
                    }
                    let now = current[i];
                    let now_mask = self.mask(i, now);
                    let left = cands.micro(i, now, k);
                    let mut best: Option<(i64, u32)> = None;
                    for (c, &mask) in cands.masks(i).iter().enumerate() {
                        let c = c as u32;
                        if c == now || (mask & !now_mask) & !open != 0 {
                            continue;
                        }
                        let gain = left - cands.micro(i, c, k);
                        if gain > 0 && best.is_none_or(|(g, _)| gain > g) {
                            best = Some((gain, c));
                        }
                    }
                    best.map(|(g, c)| (g, i, c))
                })
                .collect();
            moves.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut moved = false;
            for (_, i, c) in moves {
                let now_mask = self.mask(i, picks[i]);
                let mask = self.mask(i, c);
                if bits(mask & !now_mask).any(|j| free[j] <= 0) {
                    continue;
                }
                for j in bits(mask & !now_mask) {
                    free[j] -= 1;
                }
                for j in bits(now_mask & !mask) {
                    free[j] += 1;
                }
                picks[i] = c;
                moved = true;
            }
            if !moved {
                break;
            }
            any = true;
        }
        any
    }

    /// The users with a candidate holding any subscription of `mask`,
    /// ascending.
    pub fn relevant_to(&self, mask: u32) -> Vec<usize> {
        let cands = self.candidates();
        let lists: Vec<&[u32]> = bits(mask).map(|j| cands.relevant(j)).collect();
        if let [one] = lists.as_slice() {
            return one.iter().map(|&i| i as usize).collect();
        }
        let mut seen = vec![false; self.users()];
        for list in lists {
            for &i in list {
                seen[i as usize] = true;
            }
        }
        (0..self.users()).filter(|&i| seen[i]).collect()
    }

    /// Brings year `k`'s holders within `caps`: holders of a subscription
    /// over its cap move, least token loss first, to their best plan
    /// without it that fits the caps. Pinned users never move.
    pub fn cap(&self, k: usize, picks: &mut [u32], caps: &[u32]) {
        let cands = self.candidates();
        for _ in 0..(2 * self.subs + 2) {
            let holders = self.holders(picks);
            let Some(j) = (0..self.subs).find(|&j| holders[j] > caps[j]) else {
                return;
            };
            let over = holders[j] - caps[j];
            let mut room: Vec<i64> = caps
                .iter()
                .zip(&holders)
                .map(|(&c, &h)| i64::from(c) - i64::from(h))
                .collect();
            let current: &[u32] = picks;
            let mut moves: Vec<(i64, usize, u32)> = (0..self.users())
                .into_par_iter()
                .with_min_len(1024)
                .filter(|&i| !cands.pinned(i) && self.mask(i, current[i]) & (1 << j) != 0)
                .filter_map(|i| {
                    let now = current[i];
                    let now_mask = self.mask(i, now);
                    let left = cands.micro(i, now, k);
                    cands
                        .masks(i)
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| {
                            **m & (1 << j) == 0 && bits(**m & !now_mask).all(|s| room[s] > 0)
                        })
                        .map(|(c, _)| (cands.micro(i, c as u32, k) - left, i, c as u32))
                        .min_by(|a, b| a.0.cmp(&b.0))
                })
                .collect();
            moves.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
            let mut moved = 0;
            for (_, i, c) in moves {
                if moved == over {
                    break;
                }
                let now_mask = self.mask(i, picks[i]);
                let mask = self.mask(i, c);
                if bits(mask & !now_mask).any(|s| room[s] <= 0) {
                    continue;
                }
                for s in bits(mask & !now_mask) {
                    room[s] -= 1;
                }
                for s in bits(now_mask & !mask) {
                    room[s] += 1;
                }
                picks[i] = c;
                moved += 1;
            }
            if moved == 0 {
                return;
            }
        }
    }
}
