//! Seat limits at one linear token price: a greedy repair to the limits,
//! seat swaps, and — with one token price — Lagrangian seat prices and the
//! lower bound that can prove the plan optimal.
//!
//! At price `p` the problem is: each user picks one plan of their menu, at
//! least `min[s]` and at most `max[s]` users hold subscription `s`, and the
//! sum of plan scores is least. Only a plan's seats of limited
//! subscriptions (its *pattern*) touch the limits, so each user's menu is
//! first folded to their best plan per pattern ([`Table`]): a few entries a
//! user, and no multiplication after that. On the folded menus:
//!
//! 1. From every user's own best plan, a lazy greedy moves the users who
//!    lose least until every count is within its limits ([`repair`]).
//! 2. Single moves and seat swaps (the holder who loses least by leaving a
//!    limited subscription hands the seat to the non-holder who gains most)
//!    while one lowers the score ([`improve`]).
//! 3. With one token price: pricing a seat of each limited subscription at
//!    `λ[s]` (a surcharge when the maximum binds, a rebate when the minimum
//!    does) makes users independent again, and for any such prices
//!
//!    `Σ_users min_entry (score + Σ_{s in pattern} λ[s]) − Σ_s λ[s] × (max[s] if λ[s] > 0, min[s] if λ[s] < 0)`
//!
//!    is a lower bound on every plan that meets the limits (the Lagrangian
//!    dual). [`seat_prices`] raises it one subscription at a time: with the
//!    other prices fixed, the best `λ[s]` is the benefit of the marginal user
//!    (the `max + 1`-th largest benefit of holding `s`, or the `min`-th).
//!    The users' choices at the seat prices are repaired and improved as in
//!    steps 1–2; when that plan scores the bound it is optimal — with one
//!    limited subscription that is the rule, since taking the users who gain
//!    most from a seat is exact. Otherwise, unless it is within one in
//!    100,000 of the bound ([`NEAR_BOUND`]: nothing could save more), steps
//!    1–2 from the users' own best plans run too, and the better plan is
//!    kept.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::plan::PlanError;
use crate::plan::input::{PlanInput, bits};

use super::menu::{Menu, Score, State, fits};

/// Most rounds of the seat-price search over all limited subscriptions.
const PRICE_ROUNDS: usize = 2;
/// Most limited subscriptions the seat prices are searched for (their
/// patterns are tabulated).
const MAX_PRICED: usize = 12;
/// How close to the seat-price bound (relative) a plan must be for the
/// second plan from the users' own best to be skipped: one in 100,000,
/// far below what the optimiser promises on plans it cannot prove.
const NEAR_BOUND: Decimal = Decimal::from_parts(1, 0, 0, false, 5);
/// Most rounds of moves and swaps on the folded menus.
const IMPROVE_PASSES: usize = 12;

/// The plan under seat limits at price `p`: the lower bound the seat prices
/// prove (with one token price, `linear`), and whether the moves and swaps
/// ran until none helped.
///
/// # Errors
/// [`PlanError::Constraint`] when the limits cannot be met.
pub(super) fn solve(
    input: &PlanInput,
    menu: &Menu,
    p: Decimal,
    linear: bool,
) -> Result<(State, Option<Score>, bool), PlanError> {
    let table = Table::new(menu, p, input.limits.binding());
    let mut bound = None;
    let mut best: Option<(Folded, bool)> = None;
    if linear && table.limited.len() <= MAX_PRICED {
        let lambda = seat_prices(input, &table);
        let lb = lower_bound(input, &table, &lambda);
        bound = Some(lb);
        let surcharges = table.surcharges(&lambda, None);
        let priced: Vec<u32> = (0..table.users())
            .map(|i| first_best(table.of(i), |e| e.score + surcharges[e.key]))
            .collect();
        let mut a = Folded::new(input, &table, priced, true);
        repair(input, &table, &mut a)?;
        let settled = improve(input, &table, &mut a);
        best = Some((a, settled));
    }
    if best.as_ref().is_none_or(|(a, _)| !near(a.score, bound)) {
        let mut b = Folded::new(input, &table, table.best.clone(), best.is_some());
        repair(input, &table, &mut b)?;
        let settled = improve(input, &table, &mut b);
        if best.as_ref().is_none_or(|(a, _)| b.score < a.score) {
            best = Some((b, settled));
        }
    }
    let Some((plan, settled)) = best else {
        return Err(PlanError::Constraint(
            "no plan meets the seat limits".into(),
        ));
    };
    let picks = (0..table.users())
        .map(|i| menu.opts[table.of(i)[plan.pick[i] as usize].opt])
        .collect();
    Ok((State::new(input.subscriptions.len(), picks), bound, settled))
}

/// True when `score` is within [`NEAR_BOUND`] of the lower bound `bound`
/// (equal counts of users moved against the threshold): no plan can save
/// more than that, so a second plan from the users' own best is not worth
/// building.
fn near(score: Option<Score>, bound: Option<Score>) -> bool {
    let (Some(score), Some(bound)) = (score, bound) else {
        return false;
    };
    score.breaks == bound.breaks && score.cost - bound.cost <= bound.cost.abs() * NEAR_BOUND
}

/// One user's best plan (first in tie-break order) among those with one
/// pattern of limited seats.
#[derive(Clone, Copy, Debug)]
struct Entry {
    /// Seats of limited subscriptions.
    pat: u32,
    /// The pattern over [`Table::limited`] only: bit j for `limited[j]`.
    key: usize,
    /// Score at the price.
    score: Score,
    /// Index of the plan in [`Menu::opts`].
    opt: usize,
}

/// Every user's menu folded to one entry per pattern, laid out like the
/// [`Menu`]: user `i`'s entries start where their plans do.
struct Table {
    entries: Vec<Entry>,
    start: Vec<usize>,
    /// Entries of each user.
    count: Vec<usize>,
    /// Indices of the limited subscriptions.
    limited: Vec<usize>,
    /// Each user's best entry (ties to the plan first in tie-break order).
    best: Vec<u32>,
    /// Each user's best entry without and with each limited subscription:
    /// `sides[(i * limited.len() + j) * 2 + with]`, `u32::MAX` for none.
    sides: Vec<u32>,
    /// Subscription index → its position in `limited` (`usize::MAX`: not
    /// limited).
    slot: Vec<usize>,
    /// What a user on their best entry loses at least by changing their
    /// seat of each limited subscription: `gap[i * limited.len() + j]`
    /// (the best entry on the other side against the best; a large score
    /// when there is none).
    gap: Vec<Score>,
}

impl Table {
    /// Folds every menu at price `p`, in one parallel pass over users.
    fn new(menu: &Menu, p: Decimal, limited_mask: u32) -> Table {
        let limited: Vec<usize> = bits(limited_mask).collect();
        let mut slot = vec![usize::MAX; 32];
        for (j, &s) in limited.iter().enumerate() {
            slot[s] = j;
        }
        let width = (limited.len() * 2).max(1);
        let users = menu.users();
        let blank = Entry {
            pat: 0,
            key: 0,
            score: Score::default(),
            opt: 0,
        };
        let mut entries = vec![blank; menu.opts.len()];
        let mut count = vec![0usize; users];
        let mut best = vec![0u32; users];
        let mut sides = vec![u32::MAX; users * width];
        let mut rows: Vec<&mut [Entry]> = Vec::with_capacity(users);
        let mut rest: &mut [Entry] = &mut entries;
        for i in 0..users {
            let (row, tail) = rest.split_at_mut(menu.range(i).len());
            rows.push(row);
            rest = tail;
        }
        let key_of = |pat: u32| {
            limited
                .iter()
                .enumerate()
                .filter(|(_, s)| pat & (1 << **s) != 0)
                .fold(0usize, |k, (j, _)| k | (1 << j))
        };
        rows.into_par_iter()
            .zip(count.par_iter_mut())
            .zip(best.par_iter_mut())
            .zip(sides.par_chunks_mut(width))
            .enumerate()
            .with_min_len(1024)
            .for_each(|(i, (((row, n), best), side))| {
                for k in menu.range(i) {
                    let o = &menu.opts[k];
                    let (pat, score) = (o.mask & limited_mask, o.at(p));
                    match row[..*n].iter_mut().find(|e| e.pat == pat) {
                        Some(e) if score < e.score => {
                            e.score = score;
                            e.opt = k;
                        }
                        Some(_) => {}
                        None => {
                            row[*n] = Entry {
                                pat,
                                key: key_of(pat),
                                score,
                                opt: k,
                            };
                            *n += 1;
                        }
                    }
                }
                let row = &row[..*n];
                *best = first_best(row, |e| e.score);
                let better = |k: usize, than: u32| {
                    than == u32::MAX || {
                        let (a, b) = (&row[k], &row[than as usize]);
                        (a.score, a.opt) < (b.score, b.opt)
                    }
                };
                for (k, e) in row.iter().enumerate() {
                    for (j, &s) in limited.iter().enumerate() {
                        let at = j * 2 + usize::from(e.pat & (1 << s) != 0);
                        if better(k, side[at]) {
                            side[at] = k as u32;
                        }
                    }
                }
            });
        let never = Score {
            breaks: i64::MAX / 4,
            cost: Decimal::ZERO,
        };
        let lim = limited.len();
        let mut gap = vec![never; users * lim];
        if lim > 0 {
            gap.par_chunks_mut(lim)
                .enumerate()
                .with_min_len(1024)
                .for_each(|(i, row)| {
                    let r = menu.range(i).start;
                    let es = &entries[r..r + count[i]];
                    let b = &es[best[i] as usize];
                    for (j, &s) in limited.iter().enumerate() {
                        let other = usize::from(b.pat & (1 << s) == 0);
                        let k = sides[i * width + j * 2 + other];
                        if k != u32::MAX {
                            row[j] = es[k as usize].score - b.score;
                        }
                    }
                });
        }
        Table {
            gap,
            entries,
            start: (0..=users)
                .map(|i| {
                    if i == users {
                        menu.opts.len()
                    } else {
                        menu.range(i).start
                    }
                })
                .collect(),
            count,
            limited,
            best,
            sides,
            slot,
        }
    }

    /// User `i`'s best entry without (`with` false) or with subscription
    /// `s`, which must be limited.
    #[inline]
    fn side(&self, i: usize, s: usize, with: bool) -> Option<u32> {
        let j = *self.slot.get(s).filter(|&&j| j != usize::MAX)?;
        let at = i * (self.limited.len() * 2).max(1) + j * 2 + usize::from(with);
        self.sides.get(at).copied().filter(|&k| k != u32::MAX)
    }

    /// Every pattern's seat prices summed, indexed by [`Entry::key`]; the
    /// subscription `skip` is left out.
    fn surcharges(&self, lambda: &[Score], skip: Option<usize>) -> Vec<Score> {
        let n = 1usize << self.limited.len();
        let mut out = vec![Score::default(); n];
        for key in 1..n {
            let j = key.trailing_zeros() as usize;
            let s = self.limited[j];
            out[key] = out[key & (key - 1)]
                + if Some(s) == skip {
                    Score::default()
                } else {
                    lambda[s]
                };
        }
        out
    }

    fn users(&self) -> usize {
        self.start.len() - 1
    }

    #[inline]
    fn of(&self, i: usize) -> &[Entry] {
        &self.entries[self.start[i]..self.start[i] + self.count[i]]
    }
}

/// Index of the entry with the least `score`, ties to the plan first in
/// tie-break order (a table row is never empty).
fn first_best(entries: &[Entry], score: impl Fn(&Entry) -> Score) -> u32 {
    let mut best: Option<(Score, usize, usize)> = None;
    for (k, e) in entries.iter().enumerate() {
        let s = score(e);
        if best.is_none_or(|(b, opt, _)| (s, e.opt) < (b, opt)) {
            best = Some((s, e.opt, k));
        }
    }
    best.map_or(0, |(_, _, k)| k as u32)
}

/// A plan on the folded menus: each user's entry, seats of the limited
/// subscriptions, and the score.
struct Folded {
    pick: Vec<u32>,
    seats: Vec<u32>,
    /// The score, when kept (only plans to be compared need it).
    score: Option<Score>,
}

impl Folded {
    fn new(input: &PlanInput, table: &Table, pick: Vec<u32>, tally: bool) -> Folded {
        let mut seats = vec![0u32; input.subscriptions.len()];
        let mut score = Score::default();
        for (i, &k) in pick.iter().enumerate() {
            let e = &table.of(i)[k as usize];
            for s in bits(e.pat) {
                seats[s] += 1;
            }
            if tally {
                score += e.score;
            }
        }
        Folded {
            pick,
            seats,
            score: tally.then_some(score),
        }
    }

    #[inline]
    fn entry<'t>(&self, table: &'t Table, i: usize) -> &'t Entry {
        &table.of(i)[self.pick[i] as usize]
    }

    fn apply(&mut self, table: &Table, i: usize, k: u32) {
        let old = *self.entry(table, i);
        let new = table.of(i)[k as usize];
        for s in bits(old.pat) {
            self.seats[s] -= 1;
        }
        for s in bits(new.pat) {
            self.seats[s] += 1;
        }
        if let Some(score) = &mut self.score {
            *score += new.score - old.score;
        }
        self.pick[i] = k;
    }
}

/// Brings every seat count within its limits: first every maximum, then
/// every minimum, subscriptions in code order.
///
/// Over a maximum, the holder who loses least by moving to their best
/// entry without the subscription moves; under a minimum, the non-holder
/// who loses least by taking an entry with it. Losses are re-costed when a
/// user leaves the queue (lazy greedy), because earlier moves change which
/// moves stay within the other limits. A menu always has such a plan that
/// changes no other limited seat the wrong way (see `candidate_masks`), so
/// the limits are met whenever pins allow them.
///
/// # Errors
/// [`PlanError::Constraint`] when a limit still cannot be met.
fn repair(input: &PlanInput, table: &Table, st: &mut Folded) -> Result<(), PlanError> {
    let limits = &input.limits;
    for s in bits(limits.binding()) {
        if st.seats[s] > limits.max_seats[s] {
            shift(input, table, st, s, true);
            if st.seats[s] > limits.max_seats[s] {
                return Err(PlanError::Constraint(format!(
                    "subscription {}: cannot bring seats down to the maximum {}",
                    input.subscriptions[s].code, limits.max_seats[s]
                )));
            }
        }
    }
    for s in bits(limits.binding()) {
        if st.seats[s] < limits.min_seats[s] {
            shift(input, table, st, s, false);
            if st.seats[s] < limits.min_seats[s] {
                return Err(PlanError::Constraint(format!(
                    "subscription {}: cannot raise seats to the minimum {}",
                    input.subscriptions[s].code, limits.min_seats[s]
                )));
            }
        }
    }
    Ok(())
}

/// One lazy-greedy pass of [`repair`] for subscription `s`: holders leave
/// it (`leave`) or non-holders take it, least loss first, until its limit
/// is met.
fn shift(input: &PlanInput, table: &Table, st: &mut Folded, s: usize, leave: bool) {
    let limits = &input.limits;
    let bit = 1u32 << s;
    let holds = |pat: u32| pat & bit != 0;
    let done =
        |st: &Folded| st.seats[s] <= limits.max_seats[s] && st.seats[s] >= limits.min_seats[s];
    let best_move = |st: &Folded, i: usize| -> Option<(Score, u32)> {
        let now = st.entry(table, i);
        // The best entry on the other side usually keeps the other limits.
        let k = table.side(i, s, !leave)?;
        let e = &table.of(i)[k as usize];
        if fits(limits, &st.seats, &[(now.pat, e.pat)], 0) {
            return Some((e.score - now.score, k));
        }
        let mut best: Option<(Score, u32)> = None;
        for (k, e) in table.of(i).iter().enumerate() {
            if holds(e.pat) == leave || !fits(limits, &st.seats, &[(now.pat, e.pat)], 0) {
                continue;
            }
            let loss = e.score - now.score;
            if best.is_none_or(|(b, _)| loss < b) {
                best = Some((loss, k as u32));
            }
        }
        best
    };
    // Keys never above the loss when the user leaves the queue (the other
    // limits only remove choices), as the lazy greedy needs.
    let queue: Vec<Reverse<(Score, usize)>> = (0..table.users())
        .into_par_iter()
        .with_min_len(1024)
        .filter(|&i| holds(st.entry(table, i).pat) == leave)
        .filter_map(|i| {
            let k = table.side(i, s, !leave)?;
            let loss = table.of(i)[k as usize].score - st.entry(table, i).score;
            Some(Reverse((loss, i)))
        })
        .collect();
    let mut heap = BinaryHeap::from(queue);
    while !done(st) {
        let Some(Reverse((loss, i))) = heap.pop() else {
            return;
        };
        if holds(st.entry(table, i).pat) != leave {
            continue;
        }
        let Some((now_loss, k)) = best_move(st, i) else {
            continue;
        };
        if now_loss > loss
            && let Some(Reverse((next, _))) = heap.peek()
            && now_loss > *next
        {
            heap.push(Reverse((now_loss, i)));
            continue;
        }
        st.apply(table, i, k);
    }
}

/// Moves and swaps on the folded menus while a round finds one; true when
/// the last round found none (the plan is a local optimum).
///
/// A user on their own best entry (as the users no limit moved are) loses
/// by any change, so every improving step involves a user off it: moves
/// are only tried for those, and a swap pairs one of them with anyone.
fn improve(input: &PlanInput, table: &Table, st: &mut Folded) -> bool {
    for _ in 0..IMPROVE_PASSES {
        let moved: Vec<usize> = (0..table.users())
            .filter(|&i| st.pick[i] != table.best[i])
            .collect();
        let a = moves(input, table, st, &moved);
        let b = swaps(input, table, st, &moved);
        if !(a || b) {
            return true;
        }
    }
    false
}

/// Each of the `moved` users moves to their best entry that keeps the
/// limits, if it is better; true when one did.
fn moves(input: &PlanInput, table: &Table, st: &mut Folded, moved: &[usize]) -> bool {
    let limits = &input.limits;
    let mut any = false;
    for &i in moved {
        let now = *st.entry(table, i);
        let best = table
            .of(i)
            .iter()
            .enumerate()
            .filter(|(_, e)| e.score < now.score && fits(limits, &st.seats, &[(now.pat, e.pat)], 0))
            .min_by(|a, b| a.1.score.cmp(&b.1.score).then(a.0.cmp(&b.0)));
        if let Some((k, _)) = best {
            st.apply(table, i, k as u32);
            any = true;
        }
    }
    any
}

/// A user's best change of one limited subscription: (holds it now, change
/// of score, user, entry), within the other limits.
type Flip = (bool, Score, usize, u32);

fn flip(input: &PlanInput, table: &Table, st: &Folded, i: usize, s: usize) -> Option<Flip> {
    let bit = 1u32 << s;
    let now = st.entry(table, i);
    let holder = now.pat & bit != 0;
    // The best entry on the other side usually keeps the other limits.
    let k = table.side(i, s, !holder)?;
    let e = &table.of(i)[k as usize];
    if fits(&input.limits, &st.seats, &[(now.pat, e.pat)], bit) {
        return Some((holder, e.score - now.score, i, k));
    }
    table
        .of(i)
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            (e.pat & bit != 0) != holder && fits(&input.limits, &st.seats, &[(now.pat, e.pat)], bit)
        })
        .map(|(k, e)| (e.score - now.score, k))
        .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)))
        .map(|(d, k)| (holder, d, i, k as u32))
}

/// Seat swaps for each limited subscription: holders ranked by the least
/// loss of leaving it, non-holders by the most gain of taking it; the k-th
/// of each are paired while the pair gains (with one limited subscription
/// that is the best exchange of seats), each pair re-checked against the
/// limits; true when one was made. Only users off their best entry can
/// gain, so the others are ranked only in the role such a user needs a
/// partner for.
fn swaps(input: &PlanInput, table: &Table, st: &mut Folded, moved: &[usize]) -> bool {
    let limits = &input.limits;
    let zero = Score::default();
    let mut swapped = false;
    for s in bits(limits.binding()) {
        let bit = 1u32 << s;
        let mut flips: Vec<Flip> = moved
            .iter()
            .filter_map(|&i| flip(input, table, st, i, s))
            .collect();
        // The most a partner of each role could gain; users on their best
        // entry are only worth ranking if their loss is below it.
        let most = |holder: bool| {
            flips
                .iter()
                .filter(|f| f.0 == holder && f.1 < zero)
                .map(|f| zero - f.1)
                .max()
        };
        let (room_take, room_leave) = (most(true), most(false));
        if room_take.is_none() && room_leave.is_none() {
            continue;
        }
        let snapshot = &*st;
        let j = table.slot[s];
        let others: Vec<Flip> = (0..table.users())
            .into_par_iter()
            .with_min_len(1024)
            .filter(|&i| {
                let holder = snapshot.entry(table, i).pat & bit != 0;
                let room = if holder { room_leave } else { room_take };
                snapshot.pick[i] == table.best[i]
                    && room.is_some_and(|r| table.gap[i * table.limited.len() + j] < r)
            })
            .filter_map(|i| flip(input, table, snapshot, i, s))
            .collect();
        flips.extend(others);
        let (mut leavers, mut takers): (Vec<Flip>, Vec<Flip>) =
            flips.into_iter().partition(|f| f.0);
        // Only changes some partner could make worth it need ranking.
        let (Some(best_leave), Some(best_take)) = (
            leavers.iter().map(|f| f.1).min(),
            takers.iter().map(|f| f.1).min(),
        ) else {
            continue;
        };
        leavers.retain(|f| f.1 + best_take < zero);
        takers.retain(|f| f.1 + best_leave < zero);
        leavers.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)));
        takers.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)));
        for (l, t) in leavers.iter().zip(&takers) {
            if l.1 + t.1 >= zero {
                break;
            }
            let (el, et) = (st.entry(table, l.2).pat, st.entry(table, t.2).pat);
            let (nl, nt) = (
                table.of(l.2)[l.3 as usize].pat,
                table.of(t.2)[t.3 as usize].pat,
            );
            if fits(limits, &st.seats, &[(el, nl), (et, nt)], 0) {
                st.apply(table, l.2, l.3);
                st.apply(table, t.2, t.3);
                swapped = true;
            }
        }
    }
    swapped
}

/// Coordinate ascent on the Lagrangian dual: each limited subscription's
/// price is set to its best value given the others, for a few rounds or
/// until none changes.
fn seat_prices(input: &PlanInput, table: &Table) -> Vec<Score> {
    let limited = input.limits.binding();
    let mut lambda = vec![Score::default(); input.subscriptions.len()];
    for _ in 0..PRICE_ROUNDS {
        let mut changed = false;
        for s in bits(limited) {
            let price = best_price(input, table, &lambda, s);
            if price != lambda[s] {
                lambda[s] = price;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    lambda
}

/// The dual's best price of subscription `s` with the other prices fixed:
/// each user's benefit of holding `s` is (best entry without it) − (best
/// entry with it); users with no choice about `s` are counted, not ranked;
/// the price is the benefit of the first user a limit leaves out (or takes
/// in).
fn best_price(input: &PlanInput, table: &Table, lambda: &[Score], s: usize) -> Score {
    let bit = 1u32 << s;
    let others = table.surcharges(lambda, Some(s));
    // (holds s whatever they choose, benefit when they choose)
    let rows: Vec<(bool, Option<Score>)> = (0..table.users())
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| {
            let (mut with, mut without): (Option<Score>, Option<Score>) = (None, None);
            for e in table.of(i) {
                let v = e.score + others[e.key];
                let slot = if e.pat & bit != 0 {
                    &mut with
                } else {
                    &mut without
                };
                if slot.is_none_or(|b| v < b) {
                    *slot = Some(v);
                }
            }
            match (with, without) {
                (Some(w), Some(wo)) => (false, Some(wo - w)),
                (Some(_), None) => (true, None),
                _ => (false, None),
            }
        })
        .collect();
    let forced = rows.iter().filter(|r| r.0).count();
    let mut benefits: Vec<Score> = rows.into_iter().filter_map(|r| r.1).collect();
    let limits = &input.limits;
    let upper = (limits.max_seats[s] as usize).saturating_sub(forced);
    let lower = (limits.min_seats[s] as usize).saturating_sub(forced);
    let zero = Score::default();
    let positive = benefits.iter().filter(|b| **b > zero).count();
    if positive > upper {
        // The (upper + 1)-th largest benefit: only users above it hold `s`.
        let (_, nth, _) = benefits.select_nth_unstable_by(upper, |a, b| b.cmp(a));
        *nth
    } else if positive < lower && !benefits.is_empty() {
        let k = (lower - 1).min(benefits.len() - 1);
        let (_, nth, _) = benefits.select_nth_unstable_by(k, |a, b| b.cmp(a));
        *nth
    } else {
        zero
    }
}

/// The Lagrangian lower bound of the module doc for prices `lambda`.
fn lower_bound(input: &PlanInput, table: &Table, lambda: &[Score]) -> Score {
    let surcharges = table.surcharges(lambda, None);
    let users = (0..table.users())
        .into_par_iter()
        .with_min_len(1024)
        .map(|i| {
            table
                .of(i)
                .iter()
                .map(|e| e.score + surcharges[e.key])
                .min()
                .unwrap_or_default()
        })
        .reduce(Score::default, |a, b| a + b);
    let limits = &input.limits;
    let zero = Score::default();
    let mut out = users;
    for s in bits(limits.binding()) {
        if lambda[s] > zero {
            out -= lambda[s].times(limits.max_seats[s]);
        } else if lambda[s] < zero {
            out -= lambda[s].times(limits.min_seats[s]);
        }
    }
    out
}
