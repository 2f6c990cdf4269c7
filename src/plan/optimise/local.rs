//! Local search on the exact total: single-user moves, and — where a seat
//! limit is reached — swaps that hand a seat from one user to another.
//!
//! Every step is checked against the exact score ([`State::score`]: tokens
//! costed by [`Schedule::cost_of_need`]) and kept only when it lowers it
//! (or keeps it and frees a seat), so the search never worsens a plan, and
//! every step keeps every seat count within its limits.

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::plan::input::{PlanInput, bits};
use crate::plan::price::Schedule;

use super::menu::{Menu, Opt, Score, State, fits};

/// Most rounds of moves and swaps.
const LOCAL_PASSES: usize = 8;
/// Swaps tried per limited subscription and round beyond the last one
/// the linear estimate promised.
const SWAP_SLACK: usize = 2;

/// Moves and swaps while a round finds one; true when the plan improved.
pub(super) fn search(input: &PlanInput, menu: &Menu, st: &mut State, schedule: &Schedule) -> bool {
    let mut improved = false;
    for _ in 0..LOCAL_PASSES {
        let moved = moves(input, menu, st, schedule);
        let swapped = input.limits.has_seat_limits() && swaps(input, menu, st, schedule);
        if !(moved || swapped) {
            break;
        }
        improved = true;
    }
    improved
}

/// The totals a step is judged on.
#[derive(Clone, Copy, Debug)]
struct Totals {
    subs: Decimal,
    tokens: Decimal,
    breaks: i64,
    seats: i64,
    score: Score,
}

impl Totals {
    fn of(st: &State, schedule: &Schedule) -> Totals {
        Totals {
            subs: st.subs,
            tokens: st.tokens,
            breaks: st.breaks,
            seats: i64::from(st.seat_total()),
            score: st.score(schedule),
        }
    }

    /// The totals after the moves `(from, to)`, when they are better: a
    /// lower score, or the same with fewer seats.
    fn after(&self, schedule: &Schedule, moves: &[(Opt, Opt)]) -> Option<Totals> {
        let (mut ds, mut dt, mut db, mut dn) = (Decimal::ZERO, Decimal::ZERO, 0i64, 0i64);
        for (a, b) in moves {
            ds += b.price - a.price;
            dt += b.tokens - a.tokens;
            db += i64::from(b.breaks) - i64::from(a.breaks);
            dn += i64::from(b.mask.count_ones()) - i64::from(a.mask.count_ones());
        }
        // The token cost never falls as tokens rise: more of everything
        // never helps.
        if db > 0 || (db == 0 && ds >= Decimal::ZERO && dt >= Decimal::ZERO && dn >= 0) {
            return None;
        }
        let next = Totals {
            subs: self.subs + ds,
            tokens: self.tokens + dt,
            breaks: self.breaks + db,
            seats: self.seats + dn,
            score: Score {
                breaks: self.breaks + db,
                cost: self.subs + ds + schedule.cost_of_need(self.tokens + dt).cost,
            },
        };
        ((next.score, next.seats) < (self.score, self.seats)).then_some(next)
    }
}

/// One round of single-user moves to any menu plan that lowers the exact
/// score within the limits; true when one was made.
///
/// Every user is first scanned in parallel against the totals as they
/// stand for a move that would help; the moves are then made in user
/// order, each re-checked against the totals of the moment, so the result
/// does not depend on thread timing. Most rounds find nothing, which the
/// parallel scan settles quickly.
fn moves(input: &PlanInput, menu: &Menu, st: &mut State, schedule: &Schedule) -> bool {
    let t0 = Totals::of(st, schedule);
    let picks = &st.picks;
    let promising: Vec<usize> = (0..menu.users())
        .into_par_iter()
        .with_min_len(256)
        .filter(|&i| {
            let now = picks[i];
            menu.of(i)
                .iter()
                .any(|o| o.mask != now.mask && t0.after(schedule, &[(now, *o)]).is_some())
        })
        .collect();
    let mut totals = t0;
    let mut improved = false;
    for i in promising {
        for o in menu.of(i) {
            let now = st.picks[i];
            if o.mask == now.mask || !fits(&input.limits, &st.seats, &[(now.mask, o.mask)], 0) {
                continue;
            }
            if let Some(next) = totals.after(schedule, &[(now, *o)]) {
                st.apply(i, *o);
                totals = next;
                improved = true;
            }
        }
    }
    improved
}

/// One round of seat swaps: for each limited subscription, holders who
/// lose least by leaving it are paired with non-holders who gain most by
/// taking it (ranked at the marginal token price), so the seat count stays
/// put while the plan gets cheaper; each swap is checked exactly. With one
/// limited subscription and a linear price, pairing the k-th best leaver
/// with the k-th best taker while the pair gains is the best exchange.
fn swaps(input: &PlanInput, menu: &Menu, st: &mut State, schedule: &Schedule) -> bool {
    let limits = &input.limits;
    let mut improved = false;
    for s in bits(limits.binding()) {
        let bit = 1u32 << s;
        let p = schedule.cost_of_need(st.tokens).price;
        let seats = &st.seats;
        let picks = &st.picks;
        // (holder, estimated change, user, plan to move to)
        let ranked: Vec<(bool, Score, usize, Opt)> = (0..menu.users())
            .into_par_iter()
            .with_min_len(256)
            .filter_map(|i| {
                let now = picks[i];
                let holder = now.mask & bit != 0;
                menu.of(i)
                    .iter()
                    .filter(|o| {
                        (o.mask & bit != 0) != holder
                            && fits(limits, seats, &[(now.mask, o.mask)], bit)
                    })
                    .map(|o| (o.at(p) - now.at(p), *o))
                    .min_by(|a, b| a.0.cmp(&b.0))
                    .map(|(d, o)| (holder, d, i, o))
            })
            .collect();
        let (mut leavers, mut takers): (Vec<_>, Vec<_>) = ranked.into_iter().partition(|r| r.0);
        let (Some(best_leave), Some(best_take)) = (
            leavers.iter().map(|r| r.1).min(),
            takers.iter().map(|r| r.1).min(),
        ) else {
            continue;
        };
        // Only changes that some partner could make worthwhile.
        let zero = Score::default();
        leavers.retain(|r| r.1 + best_take < zero);
        takers.retain(|r| r.1 + best_leave < zero);
        leavers.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)));
        takers.sort_by(|a, b| a.1.cmp(&b.1).then(a.2.cmp(&b.2)));
        let mut misses = 0;
        for (l, t) in leavers.iter().zip(&takers) {
            if misses > SWAP_SLACK {
                break;
            }
            let (gl, gt) = (st.picks[l.2], st.picks[t.2]);
            let pair = [(gl.mask, l.3.mask), (gt.mask, t.3.mask)];
            let totals = Totals::of(st, schedule);
            match totals.after(schedule, &[(gl, l.3), (gt, t.3)]) {
                Some(_) if fits(limits, &st.seats, &pair, 0) => {
                    st.apply(l.2, l.3);
                    st.apply(t.2, t.3);
                    improved = true;
                }
                _ => misses += 1,
            }
        }
    }
    improved
}
