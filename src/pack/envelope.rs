//! Cheap answers for the break-even searches: today's plan and its
//! one-seat neighbours, each held fixed (seats and holders) and re-priced
//! at a moved price, the cheapest of them taken as the answer there.
//!
//! A full re-plan costs a whole term search; re-pricing a held plan costs a
//! few dozen additions, since its uncovered tokens do not depend on
//! prices. Where the cheapest held plan stops being today's is where a
//! re-optimisation is likely to change its answer too: the break-even
//! search ([`super::breakeven`]) looks there first and confirms the pair
//! of neighbouring cents with full re-plans, so this only decides where
//! to look, never what is reported.
//!
//! The neighbours are the moves the term search's polish tries: one
//! subscription's seats one more or one fewer over a run of years, alone
//! or with one seat moved to or from another subscription, holders
//! re-assigned to the seats ([`Problem::cap`], [`Problem::fill`]: by the
//! tokens they cover, which no price changes). They are built once at
//! today's prices and shared by every search.

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::term::TermPlan;
use crate::term::problem::{Problem, Solution};
use crate::term::search::{reassigned, shifted_seats};

/// A plan held fixed: its seats and the tokens it leaves uncovered, per
/// year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// Per year, per subscription: seats held.
    pub seats: Vec<Vec<u32>>,
    /// Per year: forecast tokens left uncovered.
    pub need: Vec<Decimal>,
}

impl Held {
    /// `solution`'s seats and need.
    pub fn of(solution: &Solution) -> Held {
        Held {
            seats: solution.seats.clone(),
            need: solution.need.clone(),
        }
    }

    /// `plan`'s seats and the tokens it leaves uncovered.
    pub fn of_plan(plan: &TermPlan) -> Held {
        Held {
            seats: plan.years.iter().map(|y| y.seats.clone()).collect(),
            need: plan.years.iter().map(|y| y.tokens_needed).collect(),
        }
    }

    /// The weighted cost (as [`Solution::cost`]) of this plan at `p`'s
    /// prices: seats kept at the renewal price, the rest new, and each
    /// year's token purchase.
    pub fn cost(&self, p: &Problem<'_>) -> Decimal {
        (0..p.years.min(self.seats.len()))
            .map(|k| {
                let subs: Decimal = (0..p.subs)
                    .map(|j| {
                        let prev = p.prev_seats(&self.seats, k, j);
                        p.seat_cost(k, j, prev, self.seats[k].get(j).copied().unwrap_or(0))
                    })
                    .sum();
                let need = self.need.get(k).copied().unwrap_or_default();
                p.weight[k] * (subs + p.buy_cost(k, need))
            })
            .sum()
    }
}

/// Years `a..=b` with seats changed by `(subscription, ±1)` each.
type Move = (usize, usize, Vec<(usize, i64)>);

/// Today's plan (first) and its neighbours (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct Envelope {
    /// Today's plan first, then every distinct neighbour.
    pub plans: Vec<Held>,
}

impl Envelope {
    /// Today's plan `today` of `p` and its neighbours.
    pub fn around(p: &Problem<'_>, today: &Solution) -> Envelope {
        let mut moves: Vec<Move> = Vec::new();
        for a in 0..p.years {
            for b in a..p.years {
                for j in 0..p.subs {
                    for delta in [1i64, -1] {
                        moves.push((a, b, vec![(j, delta)]));
                        for x in j + 1..p.subs {
                            moves.push((a, b, vec![(j, delta), (x, -delta)]));
                        }
                    }
                }
            }
        }
        let found: Vec<Held> = moves
            .par_iter()
            .filter_map(|(a, b, deltas)| moved(p, today, *a, *b, deltas))
            .collect();
        let mut plans = vec![Held::of(today)];
        for h in found {
            if !plans.iter().any(|q| q.seats == h.seats) {
                plans.push(h);
            }
        }
        Envelope { plans }
    }

    /// Index and cost of the cheapest of `plans[i]` for `i` in `among` at
    /// `p`'s prices; `None` when `among` is empty. Ties go to the first in
    /// `among`, except that today's plan (index 0) yields to another at the
    /// same cost: the search then looks at the cent where the two tie,
    /// and the cent before it, which holds the change whichever way the
    /// re-optimisation breaks the tie.
    pub fn cheapest(&self, p: &Problem<'_>, among: &[usize]) -> Option<(usize, Decimal)> {
        let mut best: Option<(Decimal, usize)> = None;
        for &i in among {
            let Some(h) = self.plans.get(i) else {
                continue;
            };
            let c = h.cost(p);
            if best.is_none_or(|(b, at)| c < b || (c == b && at == 0)) {
                best = Some((c, i));
            }
        }
        best.map(|(c, i)| (i, c))
    }
}

/// `sol` with subscription seats changed by `deltas` in years `a..=b`,
/// holders re-assigned (as the term search's polish does); `None` when the
/// seats break a limit or the seat-change rule, or holders cannot fit.
fn moved(
    p: &Problem<'_>,
    sol: &Solution,
    a: usize,
    b: usize,
    deltas: &[(usize, i64)],
) -> Option<Held> {
    let seats = shifted_seats(p, sol, a, b, deltas)?;
    let mut need = sol.need.clone();
    for k in a..=b {
        let mut picks = sol.picks.get(k)?.clone();
        if !reassigned(p, k, &mut picks, &seats[k]) {
            return None;
        }
        need[k] = p.need(k, &picks);
    }
    Some(Held { seats, need })
}
