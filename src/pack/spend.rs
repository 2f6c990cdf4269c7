//! What a term plan's token purchases may cost once demand varies: §5's
//! simulation of the chosen purchases (SPEC §8), for the options' "P90 of
//! token spend" (SPEC §9).
//!
//! The demand left to tokens is the history of the (user, product) pairs
//! the plan's first year leaves uncovered ([`token_demand`]) over the
//! forecast window (days without their use count as none), resampled in
//! whole weeks and grown as sizing does ([`DemandModel`], the same seed and
//! trials as the scenario's sizing). Each trial's year totals meet the
//! plan's `Annual` lot of that year: what a lot does not cover is billed at
//! the year's end as overage at the year's overage price (within a
//! `Limit`; refused, costing nothing, under `None`; bought as packs at the
//! year's token price under `TopUp`, counted at the year's end too: a
//! simplification of buying them on the day). A trial's token spend is the
//! present value of the lots and of that overage; the P10, P50 and P90 are
//! nearest-rank over the trials.

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::ledger::fan::nearest_rank;
use crate::ledger::lots::present_value;
use crate::ledger::sizing::{DemandHistory, DemandModel};
use crate::ledger::token_demand;
use crate::meter::Metered;
use crate::plan::Schedule;
use crate::scenario::{Overdraft, Scenario};
use crate::term::demand::TermDemand;
use crate::term::{PricesInYear, TermPlan};

/// The simulated token spend of one plan's purchases.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Spend {
    /// Trials simulated.
    pub trials: u32,
    /// Present value of the lots alone (what is certain).
    pub purchases: Decimal,
    /// Mean over trials of lots + overage, present value.
    pub expected: Decimal,
    /// 10th percentile.
    pub p10: Decimal,
    /// Median.
    pub p50: Decimal,
    /// 90th percentile.
    pub p90: Decimal,
    /// Mean tokens beyond the lots over the term (overage, top-ups or
    /// refused).
    pub expected_shortfall: Decimal,
    /// Mean tokens expired unused over the term.
    pub expected_expired: Decimal,
}

/// Simulates `plan`'s purchases (see the module doc).
///
/// # Errors
/// A sentence when the history cannot be resampled (too short, no whole
/// week) or a price is unusable.
pub fn simulate(
    metered: &Metered,
    scenario: &Scenario,
    demand: &TermDemand,
    prices: &[PricesInYear],
    plan: &TermPlan,
    trials: u32,
) -> Result<Spend, String> {
    let rate = scenario.contract.discount_rate;
    let lots: Vec<Decimal> = plan.years.iter().map(|y| y.purchase.tokens).collect();
    let purchases: Decimal = plan
        .years
        .iter()
        .enumerate()
        .map(|(k, y)| present_value(y.purchase.cost, rate, k))
        .sum();
    let history = left_to_tokens(metered, scenario, demand, plan);
    if !history.has_demand() {
        return Ok(Spend {
            trials,
            purchases,
            expected: purchases,
            p10: purchases,
            p50: purchases,
            p90: purchases,
            expected_shortfall: Decimal::ZERO,
            expected_expired: lots.iter().copied().sum(),
        });
    }
    let model = DemandModel::new(
        &history,
        &scenario.contract,
        scenario.forecast.growth_per_year,
        scenario.forecast.history_days,
    )
    .map_err(|e| e.to_string())?;
    let schedules = prices
        .iter()
        .map(|p| Schedule::new(&p.token_price).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let run = Trials {
        model: &model,
        scenario,
        prices,
        schedules: &schedules,
        lots: &lots,
        purchases,
    };
    let trials = trials.max(1);
    let outcomes: Vec<Outcome> = (0..u64::from(trials))
        .into_par_iter()
        .map(|t| run.one(t))
        .collect();
    Ok(summarise(trials, purchases, &outcomes))
}

/// The history of the (user, product) pairs `plan`'s first year leaves to
/// tokens, over the forecast window.
fn left_to_tokens(
    metered: &Metered,
    scenario: &Scenario,
    demand: &TermDemand,
    plan: &TermPlan,
) -> DemandHistory {
    let index: std::collections::HashMap<u32, usize> = demand
        .input
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.user, i))
        .collect();
    let first = plan.holdings.first();
    let keep = |user: u32, product: u16| {
        let mask = index
            .get(&user)
            .and_then(|&i| first.and_then(|h| h.get(i)))
            .copied()
            .unwrap_or(0);
        demand.input.plan_covers(mask) & (1u128 << product) == 0
    };
    let forecast = &demand.input.forecast;
    over_window(
        token_demand(metered, scenario, keep),
        forecast.window_start,
        forecast.window_end,
    )
}

/// One trial's token spend (present value), tokens beyond the lots and
/// tokens expired.
type Outcome = (Decimal, Decimal, Decimal);

/// What every trial shares.
struct Trials<'a> {
    model: &'a DemandModel,
    scenario: &'a Scenario,
    prices: &'a [PricesInYear],
    schedules: &'a [Schedule],
    lots: &'a [Decimal],
    /// Present value of the lots.
    purchases: Decimal,
}

impl Trials<'_> {
    /// Trial `t`: its year totals against the lots, the shortfall billed
    /// as the overdraft says at the year's end.
    fn one(&self, t: u64) -> Outcome {
        let contract = &self.scenario.contract;
        let pack = Decimal::from(contract.pack_size.unwrap_or(1).max(1));
        let mut totals = vec![0i64; self.model.years()];
        self.model
            .sample_year_totals(self.scenario.sizing.seed, t, &mut totals);
        let mut cost = self.purchases;
        let mut short_all = Decimal::ZERO;
        let mut expired = Decimal::ZERO;
        let mut limit_left = match contract.overdraft {
            Overdraft::Limit(n) => n,
            _ => Decimal::ZERO,
        };
        for (k, &milli) in totals.iter().enumerate() {
            let d = Decimal::new(milli, 3);
            let lot = self.lots.get(k).copied().unwrap_or_default();
            expired += (lot - d).max(Decimal::ZERO);
            let short = (d - lot).max(Decimal::ZERO);
            if short.is_zero() {
                continue;
            }
            short_all += short;
            let over = self
                .prices
                .get(k)
                .map_or(Decimal::ZERO, |p| p.overage_price);
            let extra = match &contract.overdraft {
                Overdraft::Unlimited => short * over,
                Overdraft::Limit(_) => {
                    let billed = short.min(limit_left);
                    limit_left -= billed;
                    billed * over
                }
                Overdraft::None => Decimal::ZERO,
                Overdraft::TopUp => self.schedules.get(k).map_or(Decimal::ZERO, |s| {
                    s.price_of_quantity((short / pack).ceil() * pack)
                }),
            };
            cost += present_value(extra, contract.discount_rate, k + 1);
        }
        (cost, short_all, expired)
    }
}

/// Means and nearest-rank percentiles over the trials' outcomes.
fn summarise(trials: u32, purchases: Decimal, outcomes: &[Outcome]) -> Spend {
    let n = Decimal::from(outcomes.len().max(1));
    let mut costs: Vec<Decimal> = outcomes.iter().map(|o| o.0).collect();
    costs.sort_unstable();
    Spend {
        trials,
        purchases,
        expected: outcomes.iter().map(|o| o.0).sum::<Decimal>() / n,
        p10: nearest_rank(&costs, 10),
        p50: nearest_rank(&costs, 50),
        p90: nearest_rank(&costs, 90),
        expected_shortfall: outcomes.iter().map(|o| o.1).sum::<Decimal>() / n,
        expected_expired: outcomes.iter().map(|o| o.2).sum::<Decimal>() / n,
    }
}

/// `history` spread over the forecast window (days since 1970-01-01): the
/// days before its first charge and after its last, inside the window, are
/// days without demand. The history of a few users begins and ends with
/// their own use; resampled alone, its weeks would stand for the whole
/// year.
fn over_window(history: DemandHistory, start: Option<i32>, end: Option<i32>) -> DemandHistory {
    let (Some(first), Some(start), Some(end)) = (history.first(), start, end) else {
        return history;
    };
    let start = crate::time::date_of_day(start);
    let end = crate::time::date_of_day(end);
    let last = first + chrono::Duration::days(history.days() as i64 - 1);
    let new_first = start.min(first);
    let lead = (first - new_first).num_days().max(0) as usize;
    let days = ((end.max(last) - new_first).num_days() + 1).max(0) as usize;
    let streams = history
        .streams()
        .iter()
        .map(|s| {
            let mut units = vec![Decimal::ZERO; lead];
            units.extend_from_slice(&s.units);
            units.resize(days.max(units.len()), Decimal::ZERO);
            crate::ledger::sizing::DemandStream {
                rates: s.rates.clone(),
                units,
            }
        })
        .collect();
    DemandHistory::from_streams(new_first, streams)
}
