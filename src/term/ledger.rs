//! The §5 ledger over the whole term for a term plan's purchases.
//!
//! [`term_ledger`] runs the exact day-by-day ledger
//! ([`run_ledger_priced`]) with each year's `Annual` lot, each year's
//! overage and token prices (top-ups under `TopUp`), against a daily
//! demand that replays the forecast window ([`replay_demand`]): contract
//! day t draws the window day at the same place of the window's cycle
//! (days since the window's start, modulo its length), so a year of
//! history gives every weekday, holiday and season its own day, re-priced
//! to the year's rates and grown by (1 + growth)^y — the same history and
//! growth the forecast comes from, day by day instead of summed
//! ([`daily_tokens_within`]: `DailyPeak` pools whole, `Concurrent` pools left
//! out). Only the (user, product) pairs the plan leaves to tokens that year
//! count.
//!
//! A year's replayed demand differs from its forecast where the year and
//! the window have different lengths (a leap year has one more day), so
//! the ledger shows the overage or expiry that follows.

use rust_decimal::Decimal;

use crate::ledger::{LedgerError, LedgerPrices, LedgerRun, Lot, LotKind, run_ledger_priced};
use crate::meter::{Metered, ProductIdx, Rates, daily_tokens_within};
use crate::scenario::Scenario;
use crate::time::day_of_date;
use crate::usage::UserId;

use super::demand::TermDemand;
use super::prices::PricesInYear;
use super::years::TermPlan;

/// Tokens demanded on each day of the term by the pairs `plan` leaves to
/// tokens (see the module doc).
pub fn replay_demand(
    metered: &Metered,
    scenario: &Scenario,
    demand: &TermDemand,
    plan: &TermPlan,
) -> Vec<Decimal> {
    let forecast = &demand.input.forecast;
    let (Some(first), Some(last)) = (forecast.window_start, forecast.window_end) else {
        return Vec::new();
    };
    let window = (last - first + 1).max(1) as usize;
    let index: std::collections::HashMap<u32, usize> = demand
        .input
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.user, i))
        .collect();
    let rates = Rates::new(scenario, &metered.products);
    let mut out = Vec::new();
    for (k, start) in demand.year_starts.iter().enumerate() {
        let mut series = vec![Decimal::ZERO; window];
        let Some(holding) = plan.holdings.get(k) else {
            break;
        };
        let left_to_tokens = |user: UserId, product: ProductIdx| {
            let covered = index
                .get(&user)
                .and_then(|&i| holding.get(i))
                .map_or(0, |&mask| demand.input.plan_covers(mask));
            covered & (1u128 << product) == 0
        };
        let daily = daily_tokens_within(
            metered,
            &rates,
            day_of_date(*start),
            (first, last),
            left_to_tokens,
        );
        for (slot, tokens) in series.iter_mut().zip(daily) {
            *slot += tokens;
        }
        let grow = demand.history_growth[k];
        let end = demand
            .year_starts
            .get(k + 1)
            .copied()
            .unwrap_or_else(|| year_after(*start));
        let mut day = day_of_date(*start);
        while day < day_of_date(end) {
            let at = (day - first).rem_euclid(window as i32) as usize;
            out.push(series[at] * grow);
            day += 1;
        }
    }
    out
}

/// The day a year after `start` (the day after the term's last year).
fn year_after(start: chrono::NaiveDate) -> chrono::NaiveDate {
    start
        .checked_add_months(chrono::Months::new(12))
        .unwrap_or(start)
}

/// The purchases of `plan`: one `Annual` lot at each year's start.
pub fn annual_lots(plan: &TermPlan) -> Vec<Lot> {
    plan.years
        .iter()
        .filter(|y| !y.purchase.tokens.is_zero())
        .map(|y| Lot {
            quantity: y.purchase.tokens,
            kind: LotKind::Annual,
            purchased: y.start,
            cost: y.purchase.cost,
        })
        .collect()
}

/// The ledger of `plan`'s purchases over the term (see the module doc).
///
/// # Errors
/// As [`run_ledger_priced`].
pub fn term_ledger(
    metered: &Metered,
    scenario: &Scenario,
    demand: &TermDemand,
    prices: &[PricesInYear],
    plan: &TermPlan,
) -> Result<LedgerRun, LedgerError> {
    let daily = replay_demand(metered, scenario, demand, plan);
    let ledger_prices = LedgerPrices {
        overage: prices.iter().map(|p| p.overage_price).collect(),
        token: prices.iter().map(|p| p.token_price.clone()).collect(),
    };
    run_ledger_priced(
        &scenario.contract,
        &ledger_prices,
        &annual_lots(plan),
        &daily,
    )
}
