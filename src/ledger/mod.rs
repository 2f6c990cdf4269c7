//! Token ledger and pool sizing (SPEC §5).
//!
//! - [`lots`]: [`Lot`]s of `Annual`, `Contract` or `Pack` tokens, the contract
//!   [`Term`] in contract years, tier pricing ([`tokens_cost`]), discounting
//!   ([`present_value`]) and the [`PurchasePlan`] shape sizing searches.
//! - [`book`]: the exact day-by-day ledger, [`run_ledger`] and
//!   [`run_ledger_priced`] (prices by contract year, `TopUp` packs) →
//!   [`LedgerRun`] (per-day balances for the chart, expiry and top-up
//!   events, per-year summaries).
//! - [`sizing`]: the Monte Carlo that answers "how many tokens, of which
//!   kind": [`size`] → [`SizeReport`] (`tokenplan size --format json`).
//! - [`pools`]: sizing `Concurrent` pools, [`size_pools`] →
//!   [`PoolSizing`] (denials per pool size, the size meeting a target
//!   denial rate), the `pools` of [`SizeReport`].
//! - [`rng`]: the seeded per-trial generator that keeps sizing reproducible.
//!
//! [`daily_demand`] turns metered charges into the daily token demand
//! history sizing resamples from.

pub mod book;
pub mod lots;
pub mod pools;
pub mod rng;
pub mod sizing;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

pub use book::{
    DayRow, ExpiryEvent, LedgerPrices, LedgerRun, LedgerTotals, TopUpEvent, YearSummary,
    run_ledger, run_ledger_priced,
};
pub use lots::{LedgerError, Lot, LotKind, PurchasePlan, Term, present_value, tokens_cost};
pub use pools::{PoolDenials, PoolSizing, size_pools};
pub use sizing::{Grid, PlanResult, SideBySide, SizeReport, SizingError, SizingOptions, size};

use crate::meter::{Metered, ProductIdx};
use crate::time::date_of_day;
use crate::usage::UserId;

/// Daily token demand of every charge in `metered`: tokens summed per local
/// date over all (user, product) pairs, one entry per date from the first
/// charged date to the last, days without charges as 0.
///
/// The caller keeps only the token-charged products (see
/// [`daily_demand_of`]); this sums whatever `metered` holds.
pub fn daily_demand(metered: &Metered) -> Vec<(NaiveDate, Decimal)> {
    daily_demand_of(metered, |_| true)
}

/// Like [`daily_demand`], summing only the products whose code `keep`
/// accepts (e.g. leave out `Concurrent` pools, which are sized as pools).
pub fn daily_demand_of(
    metered: &Metered,
    keep: impl Fn(&str) -> bool,
) -> Vec<(NaiveDate, Decimal)> {
    let kept: Vec<bool> = metered.products.iter().map(|p| keep(p)).collect();
    daily_demand_where(metered, |_, product| {
        kept.get(usize::from(product)).copied().unwrap_or(false)
    })
}

/// Like [`daily_demand`], summing only the (user, product) pairs `keep`
/// accepts: e.g. the charges the recommended mix leaves to tokens.
pub fn daily_demand_where(
    metered: &Metered,
    keep: impl Fn(UserId, ProductIdx) -> bool,
) -> Vec<(NaiveDate, Decimal)> {
    let mut by_day: BTreeMap<i32, Decimal> = BTreeMap::new();
    for pair in &metered.pairs {
        if !keep(pair.user, pair.product) {
            continue;
        }
        for day in &pair.days {
            *by_day.entry(day.day).or_default() += day.tokens;
        }
    }
    let (Some((&first, _)), Some((&last, _))) = (by_day.first_key_value(), by_day.last_key_value())
    else {
        return Vec::new();
    };
    (first..=last)
        .map(|day| {
            (
                date_of_day(day),
                by_day.get(&day).copied().unwrap_or_default(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{DayCharge, PairCharges};
    use crate::time::day_of_date;

    #[test]
    fn daily_demand_sums_pairs_and_fills_gaps() {
        let day = |s: &str| day_of_date(s.parse().unwrap());
        let charge = |s: &str, tokens: i64| DayCharge {
            day: day(s),
            charges: 1,
            tokens: Decimal::from(tokens),
        };
        let metered = Metered {
            products: vec!["ACD".into(), "POOL".into()],
            pairs: vec![
                PairCharges {
                    user: 0,
                    product: 0,
                    days: vec![charge("2025-03-01", 6), charge("2025-03-04", 6)],
                },
                PairCharges {
                    user: 1,
                    product: 0,
                    days: vec![charge("2025-03-04", 6)],
                },
                PairCharges {
                    user: 1,
                    product: 1,
                    days: vec![charge("2025-03-06", 40)],
                },
            ],
            ..Metered::default()
        };
        let all = daily_demand(&metered);
        assert_eq!(all.len(), 6);
        assert_eq!(all[0], ("2025-03-01".parse().unwrap(), Decimal::from(6)));
        assert_eq!(all[1].1, Decimal::ZERO);
        assert_eq!(all[3], ("2025-03-04".parse().unwrap(), Decimal::from(12)));
        assert_eq!(all[5].1, Decimal::from(40));
        let acd = daily_demand_of(&metered, |p| p == "ACD");
        assert_eq!(acd.len(), 4);
        assert_eq!(
            acd.iter().map(|(_, t)| *t).sum::<Decimal>(),
            Decimal::from(18)
        );
        assert!(daily_demand(&Metered::default()).is_empty());
    }
}
