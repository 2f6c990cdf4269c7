//! The term plan year by year, and renewing as-is beside it (SPEC §8).
//!
//! [`plan_term`] prices the term ([`problem`]), searches it
//! ([`search`](super::search::search)) and writes the answer as a
//! [`TermPlan`]: per contract year the seats of every subscription with
//! what was kept, added and dropped, the subscription cost, the tokens
//! bought as one `Annual` lot at the year's start and their cost, the
//! year's total, its discount factor and present value; the term's total
//! and NPV. [`renew_as_is`] is the same for the seats held before year 1
//! kept all term at renewal prices, tokens bought the same way.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::plan::input::bits;
use crate::plan::{PlanError, Purchase, Schedule};
use crate::scenario::{Scenario, SeatChanges};

use super::demand::TermDemand;
use super::prices::{PricesInYear, discount_factor, present_value, prices_by_year};
use super::problem::{Problem, Solution, buy};
use super::quick_buy::QuickBuy;
use super::search::{SearchMethod, SearchOptions, search, search_from};
use super::seats::{SeatChange, SeatsBefore, seats_before};

/// One contract year of a term plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermYear {
    /// Contract year, 1-based.
    pub year: u32,
    /// Its first day.
    pub start: NaiveDate,
    /// Seats held per subscription (index of
    /// [`PlanInput::subscriptions`](crate::plan::PlanInput::subscriptions)).
    pub seats: Vec<u32>,
    /// Per subscription: seats kept from the year before, added, dropped.
    pub changes: Vec<SeatChange>,
    /// Kept seats at the renewal price, added ones at the new-seat price.
    pub subscription_cost: Decimal,
    /// Forecast tokens the seats leave uncovered.
    pub tokens_needed: Decimal,
    /// The `Annual` lot bought at the year's start: whole tokens (or
    /// packs), tier by that quantity.
    pub purchase: Purchase,
    /// Subscriptions + tokens.
    pub total: Decimal,
    /// 1 / (1 + discount rate)^(year − 1): everything is paid at the
    /// year's start.
    pub discount_factor: Decimal,
    /// `total` discounted to the term's start.
    pub present_value: Decimal,
}

/// A plan for the whole term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermPlan {
    /// One per contract year.
    pub years: Vec<TermYear>,
    /// Every year's total, undiscounted.
    pub total: Decimal,
    /// Every year's present value: the term's net present value.
    pub npv: Decimal,
    /// Per year, per user (parallel to the demand's users): the
    /// subscriptions held, as a mask.
    pub holdings: Vec<Vec<u32>>,
    /// How the plan was found.
    pub method: SearchMethod,
    /// True when the method is exact.
    pub proven_optimal: bool,
}

/// Everything the term needs priced: the search problem and each year's
/// prices.
#[derive(Clone, Debug)]
pub struct Priced<'a> {
    /// The search problem.
    pub problem: Problem<'a>,
    /// Each contract year's prices.
    pub prices: Vec<PricesInYear>,
    /// The seats held before year 1.
    pub before: SeatsBefore,
    /// The contract's yearly discount rate.
    pub rate: Decimal,
}

/// Prices the term of `scenario` for `demand`.
///
/// # Errors
/// [`PlanError::Price`] when a year's token price is unusable;
/// [`PlanError::Constraint`] when the scenario's term is not the one the
/// demand was forecast for.
pub fn problem<'a>(demand: &'a TermDemand, scenario: &Scenario) -> Result<Priced<'a>, PlanError> {
    let years = demand.years();
    if scenario.contract.years as usize != years
        || demand.year_starts.first() != Some(&scenario.contract.start)
    {
        return Err(PlanError::Constraint(format!(
            "the demand was forecast for {years} years from {:?}, the scenario's term is {} years from {}",
            demand.year_starts.first(),
            scenario.contract.years,
            scenario.contract.start
        )));
    }
    let prices = prices_by_year(scenario);
    let subs = &demand.input.subscriptions;
    let by_year = |f: &dyn Fn(&PricesInYear, &str) -> Decimal| -> Vec<Vec<Decimal>> {
        prices
            .iter()
            .map(|p| subs.iter().map(|s| f(p, &s.code)).collect())
            .collect()
    };
    let new_seat = by_year(&|p, c| p.new_seat_of(c));
    let renewal = by_year(&|p, c| p.renewal_of(c));
    let schedules = prices
        .iter()
        .map(|p| Schedule::new(&p.token_price))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| PlanError::Price(format!("{e}")))?;
    let rate = scenario.contract.discount_rate;
    let weight = (0..years)
        .map(|k| discount_factor(rate, years - 1 - k))
        .collect();
    let before = seats_before(scenario, &demand.input);
    let limits = &demand.input.limits;
    let eligible: Vec<u32> = (0..subs.len())
        .map(|j| demand.candidates.relevant(j).len() as u32)
        .collect();
    let lo: Vec<u32> = (0..subs.len())
        .map(|j| limits.min_seats.get(j).copied().unwrap_or(0))
        .collect();
    let hi: Vec<u32> = (0..subs.len())
        .map(|j| {
            let max = limits.max_seats.get(j).copied().unwrap_or(u32::MAX);
            max.min(eligible[j]).max(lo[j])
        })
        .collect();
    let mut problem = Problem {
        demand,
        years,
        subs: subs.len(),
        new_seat,
        renewal,
        weight,
        schedules,
        pack: Decimal::from(scenario.contract.pack_size.unwrap_or(1).max(1)),
        before: before.seats.clone(),
        lo,
        hi,
        adds_only: scenario.contract.seat_changes == SeatChanges::AddsAtAnniversary,
        kept: vec![false; demand.candidates.users()],
        quick: Vec::new(),
    };
    problem.quick = problem
        .schedules
        .iter()
        .map(|s| QuickBuy::new(s, problem.pack))
        .collect();
    problem.kept = kept_by_threshold(&problem);
    Ok(Priced {
        problem,
        prices,
        before,
        rate,
    })
}

/// Users the switching threshold keeps on their current plan: with
/// assignments and a threshold, those whose best plan in year 1 (new-seat
/// prices, tokens at the marginal price of buying every forecast token)
/// saves less than the threshold over their current plan.
fn kept_by_threshold(p: &Problem<'_>) -> Vec<bool> {
    let input = &p.demand.input;
    let threshold = input.limits.switching_threshold;
    let cands = p.candidates();
    if !input.has_assignments || threshold <= Decimal::ZERO || p.years == 0 {
        return vec![false; cands.users()];
    }
    let price = p.buy(0, p.demand.total_tokens[0]).price;
    let cost = |i: usize, c: u32| {
        let mask = p.mask(i, c);
        bits(mask).map(|j| p.new_seat[0][j]).sum::<Decimal>() + price * p.uncovered(i, c, 0)
    };
    (0..cands.users())
        .map(|i| {
            if cands.pinned(i) {
                return false;
            }
            let best = (0..cands.masks(i).len() as u32)
                .map(|c| cost(i, c))
                .min()
                .unwrap_or_default();
            cost(i, cands.current(i)) - best < threshold
        })
        .collect()
}

/// The term plan (see the module doc).
///
/// # Errors
/// As [`problem`].
pub fn plan_term(
    demand: &TermDemand,
    scenario: &Scenario,
    options: SearchOptions,
) -> Result<TermPlan, PlanError> {
    let priced = problem(demand, scenario)?;
    let (solution, method) = search(&priced.problem, options);
    Ok(term_plan(&priced, &solution, method))
}

/// [`plan_term`] warm-started from `previous`, a plan of the same demand
/// (e.g. the one before a price edit): see
/// [`search_from`](super::search::search_from). Falls back to
/// [`plan_term`] when `previous` does not fit the demand's users, term or
/// seat limits.
///
/// # Errors
/// As [`problem`].
pub fn plan_term_from(
    demand: &TermDemand,
    scenario: &Scenario,
    options: SearchOptions,
    previous: &TermPlan,
) -> Result<TermPlan, PlanError> {
    let priced = problem(demand, scenario)?;
    let (solution, method) = match solution_of(&priced.problem, previous) {
        Some(start) => search_from(&priced.problem, options, &start),
        None => search(&priced.problem, options),
    };
    Ok(term_plan(&priced, &solution, method))
}

/// `plan` as a [`Solution`] of `p` (costed at `p`'s prices); `None` when a
/// holding is not one of the user's candidates, the shapes differ, or the
/// seats break a limit or fall short of their holders.
pub fn solution_of(p: &Problem<'_>, plan: &TermPlan) -> Option<Solution> {
    let cands = p.candidates();
    if plan.years.len() != p.years || plan.holdings.len() != p.years {
        return None;
    }
    let mut picks = Vec::with_capacity(p.years);
    for held in &plan.holdings {
        if held.len() != cands.users() {
            return None;
        }
        let year: Option<Vec<u32>> = held
            .iter()
            .enumerate()
            .map(|(i, &mask)| {
                cands
                    .masks(i)
                    .iter()
                    .position(|&m| m == mask)
                    .map(|c| c as u32)
            })
            .collect();
        picks.push(year?);
    }
    let seats: Vec<Vec<u32>> = plan.years.iter().map(|y| y.seats.clone()).collect();
    let solution = p.solution(picks, seats);
    let fits = solution.seats.iter().zip(&solution.holders).all(|(s, h)| {
        s.len() == p.subs
            && (0..p.subs).all(|j| s[j] >= h[j] && s[j] >= p.lo[j] && s[j] <= p.hi[j].max(p.lo[j]))
    });
    let rule = !p.adds_only
        || (1..p.years)
            .all(|k| (0..p.subs).all(|j| solution.seats[k][j] >= solution.seats[k - 1][j]));
    (fits && rule).then_some(solution)
}

/// Renewing as-is: the seats held before year 1 kept all term (at renewal
/// prices, seats pinned users need beyond them added), held by the users
/// they serve best; `None` when those seats are unknown.
///
/// # Errors
/// As [`problem`].
pub fn renew_as_is(
    demand: &TermDemand,
    scenario: &Scenario,
) -> Result<Option<TermPlan>, PlanError> {
    let priced = problem(demand, scenario)?;
    if !priced.before.known() {
        return Ok(None);
    }
    let p = &priced.problem;
    let needed = p.holders(&p.nobody());
    let seats: Vec<u32> = p
        .before
        .iter()
        .zip(&needed)
        .map(|(&b, &n)| b.max(n))
        .collect();
    let solution = p.hold(&seats);
    Ok(Some(term_plan(&priced, &solution, SearchMethod::AsIs)))
}

/// Writes `solution` as a [`TermPlan`].
pub fn term_plan(priced: &Priced<'_>, solution: &Solution, method: SearchMethod) -> TermPlan {
    let p = &priced.problem;
    let mut years = Vec::with_capacity(p.years);
    for k in 0..p.years {
        let seats = solution.seats[k].clone();
        let changes: Vec<SeatChange> = (0..p.subs)
            .map(|j| {
                let prev = if k == 0 {
                    p.before[j]
                } else {
                    solution.seats[k - 1][j]
                };
                SeatChange::between(prev, seats[j])
            })
            .collect();
        let subscription_cost: Decimal = (0..p.subs)
            .map(|j| {
                let prev = if k == 0 {
                    p.before[j]
                } else {
                    solution.seats[k - 1][j]
                };
                p.seat_cost(k, j, prev, seats[j])
            })
            .sum();
        let tokens_needed = solution.need[k];
        let purchase = buy(&p.schedules[k], tokens_needed, p.pack);
        let total = subscription_cost + purchase.cost;
        years.push(TermYear {
            year: k as u32 + 1,
            start: p.demand.year_starts[k],
            seats,
            changes,
            subscription_cost,
            tokens_needed,
            purchase,
            total,
            discount_factor: Decimal::ONE / discount_factor(priced.rate, k),
            present_value: present_value(total, priced.rate, k),
        });
    }
    TermPlan {
        total: years.iter().map(|y| y.total).sum(),
        npv: years.iter().map(|y| y.present_value).sum(),
        holdings: solution
            .picks
            .iter()
            .map(|year| {
                year.iter()
                    .enumerate()
                    .map(|(i, &c)| p.mask(i, c))
                    .collect()
            })
            .collect(),
        years,
        method,
        proven_optimal: matches!(method, SearchMethod::Exhaustive | SearchMethod::SeatPaths),
    }
}
