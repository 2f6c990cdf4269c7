//! Break-even prices (SPEC §9), searched between 0 and 10× today's price,
//! to the cent.
//!
//! - **Token price** (year 1's first token price, every other token price
//!   moved in proportion): the prices just below and just above today's at
//!   which the re-optimised term plan's seats (every subscription, every
//!   year) differ from today's.
//! - **Per subscription** (its new-seat price, the renewal price and
//!   overrides in proportion): the price below today's at which the plan
//!   holds more of its seats (in some year) and the price above at which
//!   it holds fewer.
//! - **Walk-away token price**: the highest token price at which the term
//!   plan recommended today, held fixed (seats and purchases), costs no
//!   more (NPV) than renewing as-is at that price.
//!
//! **Search.** A full re-plan (a whole term search) per probed cent is
//! what a break-even costs, so the search first looks where a cheap
//! answer changes: today's plan and its one-seat neighbours held fixed and
//! re-priced ([`super::envelope`]), the cheapest taken, ties to the
//! neighbour. From today's price in cents, steps of 1, 2, 4, … cents
//! outwards bracket the cheap answer's first change and bisection narrows
//! it to a cent, where a full re-plan decides. A full re-plan with another
//! answer joins the cheap answers (its plan held and re-priced likewise),
//! so the next round looks between the last cent known to keep today's
//! answer and the nearest known not to — at the cent before that one when
//! the cheap answer changes nowhere in between. When the cheap answer was
//! right the search ends after two full re-plans, the pair of neighbouring
//! cents (instead of some twenty); when it never changes, a full re-plan
//! at the end of the range confirms "none". After a few rounds without a
//! pair the search goes on with full re-plans only, from what they showed:
//! steps back towards today from the nearest cent known to differ (or out
//! from the last cent known not to), then bisection — so the cheap
//! answers only decide where to look, never what is reported. Prices are
//! `Decimal` cents throughout. A change that happens and reverts between
//! two probes can be stepped over; what is reported is always a pair of
//! neighbouring cents whose full re-plans differ. A search is
//! "approximate" when any re-optimisation it made was not proven optimal.
//! Probes re-plan with [`Base::probe`]'s search settings, and "today's
//! answer" is that same search's at today's price, so a difference between
//! the two settings is never taken for a break-even.

use std::cell::RefCell;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::scenario::Scenario;
use crate::term::demand::TermDemand;
use crate::term::years::{problem, solution_of};
use crate::term::{TermPlan, plan_term};

use super::envelope::{Envelope, Held};

use super::points::{
    headline_token_price, held_npv, need_of, with_subscription_price, with_token_price,
};
use super::{Base, PackError};

/// Search range: up to this many times today's price.
pub const RANGE: i64 = 10;

/// Where the answer changes, if it does within range.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Crossing {
    /// It changes between these neighbouring prices.
    At {
        /// The first price (from today's, outwards) with another answer:
        /// the break-even.
        price: Decimal,
        /// The neighbouring cent with today's answer.
        last_same: Decimal,
        /// Year-by-year seats (subscription seats summed, or the one
        /// subscription's) at `price`.
        seats: Vec<u32>,
        /// True when a re-optimisation was not proven optimal.
        approximate: bool,
    },
    /// Nothing changes between today's price and the end of the range (0
    /// below, 10× above).
    NoneInRange {
        /// True when a re-optimisation was not proven optimal.
        approximate: bool,
    },
}

impl Crossing {
    /// The break-even price, when there is one.
    pub fn price(&self) -> Option<Decimal> {
        match self {
            Crossing::At { price, .. } => Some(*price),
            Crossing::NoneInRange { .. } => None,
        }
    }

    /// True when labelled "approximate".
    pub fn approximate(&self) -> bool {
        match self {
            Crossing::At { approximate, .. } | Crossing::NoneInRange { approximate } => {
                *approximate
            }
        }
    }
}

/// One subscription's break-evens.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SubscriptionBreakEven {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Its new-seat price today.
    pub today: Decimal,
    /// Its seats each year in today's plan.
    pub seats_today: Vec<u32>,
    /// The price below today's at which one more seat is bought.
    pub more_seats: Crossing,
    /// The price above today's at which one fewer seat is bought.
    pub fewer_seats: Crossing,
}

/// The walk-away token price.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum WalkAway {
    /// The highest token price at which the held plan costs no more than
    /// renewing as-is.
    At(Decimal),
    /// It costs no more up to 10× today's price.
    NoneUpTo10x,
    /// It costs more than renewing as-is at every price from 0 to 10×.
    Never,
    /// Renewing as-is is unknown (no seats known before year 1).
    NoRenewal,
}

/// Every break-even of the pack.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BreakEvens {
    /// Year 1's first token price today.
    pub token_today: Decimal,
    /// Seats summed over subscriptions, each year, in today's plan.
    pub seats_today: Vec<u32>,
    /// Below today's token price.
    pub token_below: Crossing,
    /// Above today's token price.
    pub token_above: Crossing,
    /// Per subscription, in code order.
    pub subscriptions: Vec<SubscriptionBreakEven>,
    /// The walk-away token price.
    pub walk_away: WalkAway,
}

/// Cents to a price.
fn price(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

/// A price to whole cents (rounded half-up).
fn cents(p: Decimal) -> i64 {
    let c = super::points::places(p * Decimal::ONE_HUNDRED, 0);
    i64::try_from(c.mantissa() / 10_i128.pow(c.scale())).unwrap_or(i64::MAX / 4)
}

/// From `inside` towards `limit` (inclusive), steps of 1, 2, 4, … cents
/// out until `differs` answers: the last cent stepped to that did not (or
/// `inside`), the one that did and its answer; `Err(())` when none does up
/// to `limit`.
fn bracket<T>(
    inside: i64,
    limit: i64,
    mut differs: impl FnMut(i64) -> Option<T>,
) -> Result<(i64, i64, T), ()> {
    let dir = if limit >= inside { 1 } else { -1 };
    let mut last = inside;
    let mut step = 1i64;
    while last != limit {
        let c = if dir > 0 {
            inside.saturating_add(step).min(limit)
        } else {
            inside.saturating_sub(step).max(limit)
        };
        if let Some(t) = differs(c) {
            return Ok((last, c, t));
        }
        last = c;
        step = step.saturating_mul(2);
    }
    Err(())
}

/// Bisection on cents between `inside` (where `differs` did not answer)
/// and `outside` (where it answered `found`), down to neighbouring cents.
fn bisect<T>(
    mut inside: i64,
    mut outside: i64,
    mut found: T,
    mut differs: impl FnMut(i64) -> Option<T>,
) -> (i64, i64, T) {
    while (outside - inside).abs() > 1 {
        let mid = inside + (outside - inside) / 2;
        match differs(mid) {
            Some(t) => {
                outside = mid;
                found = t;
            }
            None => inside = mid,
        }
    }
    (inside, outside, found)
}

/// Rounds of the cheap answer's guidance a search takes at most.
const GUIDED_ROUNDS: usize = 6;

/// Searches, from `today` cents towards `limit` (inclusive), neighbouring
/// cents where `full` (a full re-plan: `Some(seats to report)` when its
/// answer is not today's, and whether it was approximate) changes its
/// answer (see the module doc). `cheap` says where to look: each round
/// re-plans the first cent where it changes between the last cent known
/// to keep today's answer and the nearest known not to — or, when it
/// changes nowhere there, the cent before the nearest known change. A full
/// re-plan that differs is expected to teach `cheap` (its plan joins the
/// cheap answers), so the next round looks closer; when the cheap answer
/// was right, the second round confirms the cent before it and the search
/// ends. When the rounds end without a pair, the search goes on with full
/// re-plans only: back towards today (steps of 1, 2, 4, … cents) from the
/// nearest cent known to differ, or outwards from the last cent with
/// today's answer when none is known; then bisection.
fn search(
    today: i64,
    limit: i64,
    mut cheap: impl FnMut(i64) -> Option<()>,
    mut full: impl FnMut(i64) -> (Option<Vec<u32>>, bool),
) -> (Option<(i64, i64, Vec<u32>)>, bool) {
    if today == limit {
        return (None, false);
    }
    let dir = if limit > today { 1 } else { -1 };
    let mut approx = false;
    let mut probe = |c: i64| {
        let (answer, a) = full(c);
        approx |= a;
        answer
    };
    let mut inside = today;
    let mut outside: Option<(i64, Vec<u32>)> = None;
    let mut guided = false;
    for _ in 0..GUIDED_ROUNDS {
        let end = outside.as_ref().map_or(limit, |(o, _)| o - dir);
        if (end - inside) * dir <= 0 {
            break;
        }
        let guess = match bracket(inside, end, &mut cheap) {
            // Where the cheap answer changes exactly.
            Ok((lo, hi, ())) => bisect(lo, hi, (), &mut cheap).1,
            // No change before the nearest known: the cent before it.
            Err(()) if outside.is_some() => end,
            Err(()) => break,
        };
        guided = true;
        match probe(guess) {
            Some(seats) => outside = Some((guess, seats)),
            None => {
                inside = guess;
                if outside.is_none() {
                    break;
                }
            }
        }
    }
    if !guided {
        // The cheap answer never changes: a full re-plan at the limit
        // confirms it.
        match probe(limit) {
            None => return (None, approx),
            Some(seats) => outside = Some((limit, seats)),
        }
    }
    let (out, seats) = match outside {
        // Back towards the last cent with today's answer.
        Some((out, seats)) => {
            let mut nearest = (out, seats);
            let mut step = 1i64;
            loop {
                let c = out - dir * step;
                if (c - inside) * dir <= 0 {
                    break;
                }
                match probe(c) {
                    None => {
                        inside = c;
                        break;
                    }
                    Some(seats) => nearest = (c, seats),
                }
                step = step.saturating_mul(2);
            }
            nearest
        }
        None => match bracket(inside, limit, &mut probe) {
            Err(()) => return (None, approx),
            Ok((last, c, seats)) => {
                inside = last;
                (c, seats)
            }
        },
    };
    let (inside, outside, seats) = bisect(inside, out, seats, &mut probe);
    (Some((inside, outside, seats)), approx)
}

fn crossing(found: (Option<(i64, i64, Vec<u32>)>, bool)) -> Crossing {
    match found {
        (Some((inside, outside, seats)), approximate) => Crossing::At {
            price: price(outside),
            last_same: price(inside),
            seats,
            approximate,
        },
        (None, approximate) => Crossing::NoneInRange { approximate },
    }
}

/// Seats summed over subscriptions, per year.
fn total_seats(plan: &TermPlan) -> Vec<u32> {
    plan.years.iter().map(|y| y.seats.iter().sum()).collect()
}

/// Every subscription's seats, every year, as one list.
fn all_seats(plan: &TermPlan) -> Vec<u32> {
    plan.years.iter().flat_map(|y| y.seats.clone()).collect()
}

/// Subscription `j`'s seats per year.
fn seats_of(plan: &TermPlan, j: usize) -> Vec<u32> {
    plan.years
        .iter()
        .map(|y| y.seats.get(j).copied().unwrap_or(0))
        .collect()
}

/// Which way a search goes.
#[derive(Clone, Copy)]
enum Job {
    TokenBelow,
    TokenAbove,
    SubBelow(usize),
    SubAbove(usize),
}

/// Every break-even (see the module doc), the searches in parallel.
///
/// # Errors
/// [`PackError`] when a moved scenario cannot be planned.
pub fn break_evens(base: &Base<'_>) -> Result<BreakEvens, PackError> {
    let token_today = headline_token_price(&base.scenario.token_price);
    let codes: Vec<String> = base
        .demand
        .input
        .subscriptions
        .iter()
        .map(|s| s.code.clone())
        .collect();
    let mut jobs = vec![Job::TokenBelow, Job::TokenAbove];
    for j in 0..codes.len() {
        jobs.extend([Job::SubBelow(j), Job::SubAbove(j)]);
    }
    base.count_replan();
    let plan = plan_term(&base.demand, base.scenario, base.probe)?;
    let priced = problem(&base.demand, base.scenario)?;
    let envelope = solution_of(&priced.problem, &plan)
        .map(|start| Envelope::around(&priced.problem, &start))
        .unwrap_or_default();
    let today = Today { plan, envelope };
    let results: Vec<Crossing> = jobs
        .par_iter()
        .map(|job| {
            let r = run_job(base, &today, &codes, *job);
            base.tick();
            r
        })
        .collect::<Result<_, _>>()?;
    let mut it = results.into_iter();
    let token_below = it
        .next()
        .unwrap_or(Crossing::NoneInRange { approximate: true });
    let token_above = it
        .next()
        .unwrap_or(Crossing::NoneInRange { approximate: true });
    let subscriptions = codes
        .iter()
        .enumerate()
        .map(|(j, code)| SubscriptionBreakEven {
            code: code.clone(),
            name: base
                .scenario
                .subscriptions
                .get(code)
                .map_or_else(|| code.clone(), |s| s.name.clone()),
            today: base
                .scenario
                .subscriptions
                .get(code)
                .map_or(Decimal::ZERO, |s| s.annual_price),
            seats_today: seats_of(&today.plan, j),
            more_seats: it
                .next()
                .unwrap_or(Crossing::NoneInRange { approximate: true }),
            fewer_seats: it
                .next()
                .unwrap_or(Crossing::NoneInRange { approximate: true }),
        })
        .collect();
    Ok(BreakEvens {
        token_today,
        seats_today: total_seats(&today.plan),
        token_below,
        token_above,
        subscriptions,
        walk_away: walk_away(base, token_today)?,
    })
}

/// Today's answer: the probe settings' plan at today's prices, and
/// around it the plans the cheap answers choose from.
struct Today {
    plan: TermPlan,
    envelope: Envelope,
}

impl Today {
    /// Index of the cheapest of `among` (today's plan first) and then
    /// `learnt` (indices after the envelope's) at the prices of
    /// `scenario`, ties to the later; `None` when it cannot be priced.
    fn cheapest(
        &self,
        demand: &TermDemand,
        scenario: &Scenario,
        among: &[usize],
        learnt: &[Held],
    ) -> Option<usize> {
        let priced = problem(demand, scenario).ok()?;
        let p = &priced.problem;
        let (mut best, mut cost) = self.envelope.cheapest(p, among)?;
        for (x, h) in learnt.iter().enumerate() {
            let c = h.cost(p);
            if c <= cost {
                (best, cost) = (self.envelope.plans.len() + x, c);
            }
        }
        Some(best)
    }
}

/// One break-even search (see the module doc).
fn run_job(
    base: &Base<'_>,
    today: &Today,
    codes: &[String],
    job: Job,
) -> Result<Crossing, PackError> {
    let token_today = headline_token_price(&base.scenario.token_price);
    let demand: &TermDemand = &base.demand;
    let replan = |s: &Scenario| {
        base.count_replan();
        plan_term(demand, s, base.probe)
    };
    let failed = std::sync::Mutex::new(None);
    let remember = |e: PackError| {
        if let Ok(mut slot) = failed.lock() {
            slot.get_or_insert(e);
        }
    };
    let plans = &today.envelope.plans;
    // The plans full re-plans found with another answer than today's: the
    // cheap answers choose among them too.
    let learnt: RefCell<Vec<Held>> = RefCell::new(Vec::new());
    let out = match job {
        Job::TokenBelow | Job::TokenAbove => {
            let at = cents(token_today);
            let limit = if matches!(job, Job::TokenBelow) {
                0
            } else {
                at * RANGE
            };
            let same = all_seats(&today.plan);
            let among: Vec<usize> = (0..plans.len()).collect();
            let cheap = |c: i64| {
                let s = with_token_price(base.scenario, price(c));
                today
                    .cheapest(demand, &s, &among, &learnt.borrow())
                    .filter(|&i| i >= plans.len() || plans[i].seats.concat() != same)
                    .map(|_| ())
            };
            let full = |c: i64| match replan(&with_token_price(base.scenario, price(c))) {
                // Reported: the seats summed per year at the change.
                Ok(p) => (
                    (all_seats(&p) != same).then(|| {
                        learnt.borrow_mut().push(Held::of_plan(&p));
                        total_seats(&p)
                    }),
                    !p.proven_optimal,
                ),
                Err(e) => {
                    remember(e.into());
                    (None, true)
                }
            };
            crossing(search(at, limit, cheap, full))
        }
        Job::SubBelow(j) | Job::SubAbove(j) => {
            let code = &codes[j];
            let today_price = base
                .scenario
                .subscriptions
                .get(code)
                .map_or(Decimal::ZERO, |s| s.annual_price);
            let at = cents(today_price);
            let below = matches!(job, Job::SubBelow(_));
            let limit = if below { 0 } else { at * RANGE };
            let same = seats_of(&today.plan, j);
            // Below: the answer changes once any year holds more;
            // above: once any year holds fewer.
            let moved = |seats: &[u32]| {
                seats
                    .iter()
                    .zip(&same)
                    .any(|(n, t)| if below { n > t } else { n < t })
            };
            // Only plans with other seats of j than today's can take
            // today's place as j's price moves (the others' costs keep
            // their distance from today's).
            let held_j = |i: usize| -> Vec<u32> {
                plans[i]
                    .seats
                    .iter()
                    .map(|y| y.get(j).copied().unwrap_or(0))
                    .collect()
            };
            let among: Vec<usize> = (0..plans.len())
                .filter(|&i| i == 0 || held_j(i) != same)
                .collect();
            let cheap = |c: i64| {
                let s = with_subscription_price(base.scenario, code, price(c));
                today
                    .cheapest(demand, &s, &among, &learnt.borrow())
                    .filter(|&i| i >= plans.len() || moved(&held_j(i)))
                    .map(|_| ())
            };
            let full =
                |c: i64| match replan(&with_subscription_price(base.scenario, code, price(c))) {
                    Ok(p) => {
                        let seats = seats_of(&p, j);
                        let moved = moved(&seats);
                        if moved {
                            learnt.borrow_mut().push(Held::of_plan(&p));
                        }
                        (moved.then_some(seats), !p.proven_optimal)
                    }
                    Err(e) => {
                        remember(e.into());
                        (None, true)
                    }
                };
            crossing(search(at, limit, cheap, full))
        }
    };
    match failed.into_inner().ok().flatten() {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// The walk-away token price (see the module doc). Both plans are held,
/// so no re-optimisation: each probe only re-prices.
///
/// # Errors
/// [`PackError`] when a moved scenario cannot be priced.
pub fn walk_away(base: &Base<'_>, token_today: Decimal) -> Result<WalkAway, PackError> {
    let Some(renew) = base.renew.as_ref() else {
        return Ok(WalkAway::NoRenewal);
    };
    let need_plan = need_of(&base.demand, &base.plan);
    let need_renew = need_of(&base.demand, renew);
    let overdraft = &base.scenario.contract.overdraft;
    let ok = |c: i64| -> Result<bool, PackError> {
        let s = with_token_price(base.scenario, price(c));
        let priced = problem(&base.demand, &s)?;
        Ok(held_npv(&priced, overdraft, &base.plan, &need_plan)
            <= held_npv(&priced, overdraft, renew, &need_renew))
    };
    let today = cents(token_today);
    let top = today * RANGE;
    if ok(top)? {
        return Ok(WalkAway::NoneUpTo10x);
    }
    // A price where it holds: today's, else the nearest below.
    let mut good = None;
    if ok(today)? {
        good = Some(today);
    } else {
        let mut step = 1i64;
        let mut last_bad = today;
        loop {
            let c = (today - step).max(0);
            if ok(c)? {
                good = Some(c);
                break;
            }
            last_bad = c;
            if c == 0 {
                break;
            }
            step = step.saturating_mul(2);
        }
        if good.is_none() {
            return Ok(WalkAway::Never);
        }
        // Bisect between the good price and the bad one above it.
        let (mut lo, mut hi) = (good.unwrap_or(0), last_bad);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if ok(mid)? {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Ok(WalkAway::At(price(lo)));
    }
    // Holds today, fails at 10×: bracket upwards, then bisect.
    let mut lo = good.unwrap_or(today);
    let mut step = 1i64;
    let mut hi = loop {
        let c = (today + step).min(top);
        if !ok(c)? {
            break c;
        }
        lo = c;
        step = step.saturating_mul(2);
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if ok(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(WalkAway::At(price(lo)))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use proptest::prelude::*;

    use super::search;

    /// Runs [`search`] from `today` to `limit` with a full re-plan that
    /// differs from today's where `differs(c)`, and a cheap answer that
    /// changes from cent `guess` on (never when `None`): the result and
    /// the full re-plans made.
    fn run(
        today: i64,
        limit: i64,
        differs: impl Fn(i64) -> bool,
        guess: Option<i64>,
    ) -> (Option<(i64, i64, Vec<u32>)>, usize) {
        let dir = if limit >= today { 1 } else { -1 };
        let probes = Cell::new(0);
        let cheap = |c: i64| guess.filter(|g| (c - g) * dir >= 0).map(|_| ());
        let full = |c: i64| {
            probes.set(probes.get() + 1);
            assert!(
                (c - today) * dir > 0 && (c - limit) * dir <= 0,
                "probed {c} outside {today}..{limit}"
            );
            (differs(c).then(|| vec![c as u32]), false)
        };
        let (found, _) = search(today, limit, cheap, full);
        (found, probes.get())
    }

    proptest! {
        /// One change at `at` (none when beyond the limit): whatever the
        /// cheap answer says, the search finds exactly it; with the cheap
        /// answer right, in at most two full re-plans.
        #[test]
        fn one_change_is_found_whatever_the_cheap_answer(
            today in 1i64..5_000,
            up in any::<bool>(),
            at_off in 1i64..60_000,
            guess_off in prop::option::of(1i64..60_000),
        ) {
            let limit = if up { today * 10 } else { 0 };
            let dir = if up { 1 } else { -1 };
            let at = today + dir * at_off;
            let in_range = (at - limit) * dir <= 0;
            let differs = |c: i64| (c - at) * dir >= 0;
            let guess = guess_off.map(|g| today + dir * g);
            let (found, probes) = run(today, limit, differs, guess);
            if in_range {
                let (inside, outside, seats) = found.unwrap();
                prop_assert_eq!(outside, at);
                prop_assert_eq!(inside, at - dir);
                prop_assert_eq!(seats, vec![at as u32]);
            } else {
                prop_assert!(found.is_none());
            }
            let (_, exact) = run(today, limit, differs, in_range.then_some(at));
            prop_assert!(exact <= 2, "{exact} full re-plans with the cheap answer right");
            prop_assert!(probes <= 60, "{probes} full re-plans");
        }

        /// Any pattern of answers (changes that revert too): what is
        /// reported is a pair of neighbouring cents, today's answer (or
        /// today) inside and another outside; "none" only when the limit
        /// keeps today's answer.
        #[test]
        fn any_answers_give_a_neighbouring_pair(
            today in 1i64..300,
            up in any::<bool>(),
            flips in prop::collection::vec(any::<bool>(), 3_000),
            guess_off in prop::option::of(1i64..3_000),
        ) {
            let limit = if up { today * 10 } else { 0 };
            let dir = if up { 1 } else { -1 };
            let differs = |c: i64| flips[(c - today).unsigned_abs() as usize % flips.len()];
            let (found, _) = run(today, limit, differs, guess_off.map(|g| today + dir * g));
            match found {
                Some((inside, outside, _)) => {
                    prop_assert_eq!(outside - inside, dir);
                    prop_assert!(inside == today || !differs(inside));
                    prop_assert!(differs(outside));
                }
                None => prop_assert!(!differs(limit)),
            }
        }
    }
}
