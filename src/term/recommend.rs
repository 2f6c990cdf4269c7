//! `recommend` is the term plan's year 1 (SPEC §8).
//!
//! When nothing ties one contract year to the next in year 1's favour —
//! no seats held before year 1 with a renewal price other than the
//! new-seat price, seats free to fall at every anniversary, year 1 at the
//! scenario's own prices — the term's objective is a sum of independent
//! years, and its year 1 is the single-year problem of §4 on the same
//! forecast at the same prices. The single-year optimiser answers that
//! one ([`crate::plan::optimise`]: exact per-user plans, seat prices with
//! a proven bound, exact search on small instances), so it is taken as it
//! is. Otherwise ([`couples_years`]) the term is planned and its year 1 —
//! seats, holders, the purchase, subscription costs with kept seats at the
//! renewal price — becomes the [`Recommendation`] ([`year_one`]): each
//! user's seats are costed at the subscription's average price in year 1
//! (its cost over its seats), so the users' lines still add up to the
//! total.

use rust_decimal::Decimal;

use crate::meter::Metered;
use crate::plan::input::bits;
use crate::plan::{
    Method, Pick, PlanError, PlanInput, RecommendReport, Recommendation, baselines,
    optimise_default,
};
use crate::scenario::{Scenario, SeatChanges};
use crate::usage::Usage;

use super::demand::TermDemand;
use super::search::{SearchOptions, search};
use super::years::{Priced, TermPlan, problem, term_plan};

/// True when the term's year 1 may differ from the single-year plan (see
/// the module doc).
pub fn couples_years(priced: &Priced<'_>, scenario: &Scenario) -> bool {
    let p = &priced.problem;
    let input = &p.demand.input;
    let Some(first) = priced.prices.first() else {
        return false;
    };
    let renewal_differs =
        priced.before.known() && (0..p.subs).any(|j| p.renewal[0][j] != p.new_seat[0][j]);
    let adds_only = scenario.contract.seat_changes == SeatChanges::AddsAtAnniversary && p.years > 1;
    let own_prices = input
        .subscriptions
        .iter()
        .enumerate()
        .all(|(j, s)| p.new_seat[0][j] == s.price)
        && first.token_price == input.token_price;
    renewal_differs || adds_only || !own_prices
}

/// The term plan's year 1 as a single-year [`Recommendation`] (see the
/// module doc).
pub fn year_one(priced: &Priced<'_>, plan: &TermPlan) -> Recommendation {
    let p = &priced.problem;
    let cands = p.candidates();
    let schedule = p.schedules[0].clone();
    let Some(year) = plan.years.first() else {
        return Recommendation {
            picks: Vec::new(),
            seats: Vec::new(),
            subscription_cost: Decimal::ZERO,
            tokens_needed: Decimal::ZERO,
            purchase: schedule.cost_of_need(Decimal::ZERO),
            total_cost: Decimal::ZERO,
            unit_price: Decimal::ZERO,
            schedule,
            method: Method::TermPlan,
            proven_optimal: plan.proven_optimal,
            threshold_price: None,
            forced_moves: 0,
        };
    };
    // Per subscription: year 1's cost over its seats (kept seats at the
    // renewal price, added ones at the new-seat price).
    let average: Vec<Decimal> = (0..p.subs)
        .map(|j| {
            let seats = year.seats.get(j).copied().unwrap_or(0);
            if seats == 0 {
                return p.new_seat[0][j];
            }
            p.seat_cost(0, j, p.before[j], seats) / Decimal::from(seats)
        })
        .collect();
    let holdings = plan.holdings.first().cloned().unwrap_or_default();
    let picks: Vec<Pick> = (0..cands.users())
        .map(|i| {
            let mask = holdings.get(i).copied().unwrap_or(0);
            let c = cands.masks(i).iter().position(|&m| m == mask).unwrap_or(0) as u32;
            Pick {
                mask,
                subscription_cost: bits(mask).map(|j| average[j]).sum(),
                tokens: cands.uncovered(i, c, 0),
            }
        })
        .collect();
    // With all-units tiers every token bought costs the bracket price;
    // with incremental ones, the average of the purchase.
    let unit_price = if year.purchase.tokens.is_zero() {
        year.purchase.price
    } else {
        year.purchase.cost / year.purchase.tokens
    };
    Recommendation {
        picks,
        seats: year.seats.clone(),
        subscription_cost: year.subscription_cost,
        tokens_needed: year.tokens_needed,
        purchase: year.purchase,
        total_cost: year.total,
        unit_price,
        schedule,
        method: Method::TermPlan,
        proven_optimal: plan.proven_optimal,
        threshold_price: None,
        forced_moves: 0,
    }
}

/// True when the scenario says anything that could tie year 1 to the
/// years after it (a renewal price of its own, seats that only grow, year
/// 1's prices overridden): only then is the term planned for `recommend`.
pub fn may_couple_years(scenario: &Scenario) -> bool {
    let renewal = scenario
        .subscriptions
        .values()
        .any(|s| s.renewal_price.is_some_and(|r| r != s.annual_price));
    let adds_only = scenario.contract.seat_changes == SeatChanges::AddsAtAnniversary
        && scenario.contract.years > 1;
    let year_one_prices = scenario
        .prices
        .as_ref()
        .is_some_and(|p| p.years.iter().any(|y| y.year == 1));
    renewal || adds_only || year_one_prices
}

/// The term plan's year 1 from a forecast already made, when the term
/// couples its years; `None` when it does not (year 1 is then the
/// single-year problem: see the module doc).
///
/// # Errors
/// As [`problem`].
pub fn coupled_year_one(
    demand: &TermDemand,
    scenario: &Scenario,
) -> Result<Option<Recommendation>, PlanError> {
    if !may_couple_years(scenario) {
        return Ok(None);
    }
    let priced = problem(demand, scenario)?;
    if !couples_years(&priced, scenario) {
        return Ok(None);
    }
    let (solution, method) = search(&priced.problem, SearchOptions::default());
    Ok(Some(year_one(
        &priced,
        &term_plan(&priced, &solution, method),
    )))
}

/// The recommendation `tokenplan recommend` makes — the single-year plan,
/// or the term plan's year 1 when the term couples its years — with the
/// planner's input it was made from (what `size` sizes the tokens of).
///
/// # Errors
/// As [`PlanInput::new`], [`optimise_default`] and [`TermDemand::new`].
pub fn recommendation(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<(PlanInput, Recommendation), PlanError> {
    if !may_couple_years(scenario) {
        let input = PlanInput::new(metered, usage, scenario)?;
        let rec = optimise_default(&input)?;
        return Ok((input, rec));
    }
    let demand = TermDemand::new(metered, usage, scenario)?;
    let rec = match coupled_year_one(&demand, scenario)? {
        Some(rec) => rec,
        None => optimise_default(&demand.input)?,
    };
    Ok((demand.input, rec))
}

/// What `tokenplan recommend` prints: [`recommendation`]'s report.
///
/// # Errors
/// As [`recommendation`].
pub fn recommend(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<RecommendReport, PlanError> {
    let (input, rec) = recommendation(metered, usage, scenario)?;
    let base = baselines(&input, &rec.schedule);
    Ok(RecommendReport::new(&input, &rec, &base))
}
