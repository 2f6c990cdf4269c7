//! Rates by date: what a metered charge costs at another date's rate
//! (SPEC §2, §4).
//!
//! Metering prices every charge at the rate in force on the charge's own
//! date; every forecast prices it at the rate in force on the forecast date
//! (the contract year's first day, or a simulated date). [`Rates`] holds
//! every product's rate table and re-prices a metered day
//! ([`Rates::tokens_at`]) by what the rate multiplies under its rule:
//! - `CalendarDay`, `Rolling24h`: charges × the new rate (exact);
//! - `Hourly`: hours × the new rate, the hours being the day's tokens ÷ the
//!   rate of its own date; kept exactly when the rates are equal, else
//!   rounded to [`TOKEN_DP`](super::hourly::TOKEN_DP) places like metering;
//! - `Concurrent`, `DailyPeak`: a per-user row is attribution, scaled by
//!   new rate ÷ old rate; what a pool costs at another rate comes from
//!   replaying it ([`Metered::pool_at_rates`](super::Metered::pool_at_rates)),
//!   which re-prices exactly the draws that came from the rate.

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::meter::{DayCharge, ProductIdx, RateTable, RuleKind};
use crate::scenario::{Rule, Scenario};
use crate::time::day_of_date;

/// Every product's rule and rate table, indexed by [`ProductIdx`].
#[derive(Clone, Debug)]
pub struct Rates {
    /// Per product: its rule and rate table (`None`: a code the scenario
    /// does not define; its charges are kept as metered).
    products: Vec<Option<(RuleKind, RateTable)>>,
}

/// The rule kind of a scenario rule.
pub fn rule_kind(rule: &Rule) -> RuleKind {
    match rule {
        Rule::CalendarDay { .. } => RuleKind::CalendarDay,
        Rule::Rolling24h { .. } => RuleKind::Rolling24h,
        Rule::Concurrent { .. } => RuleKind::Concurrent,
        Rule::DailyPeak { .. } => RuleKind::DailyPeak,
        Rule::Hourly { .. } => RuleKind::Hourly,
    }
}

impl Rates {
    /// The rates of `scenario`'s products, indexed as `products` (the codes
    /// of [`Metered::products`](super::Metered::products)).
    pub fn new(scenario: &Scenario, products: &[String]) -> Rates {
        Rates {
            products: products
                .iter()
                .map(|code| {
                    let p = scenario.products.get(code)?;
                    Some((rule_kind(&p.rule), RateTable::new(p)))
                })
                .collect(),
        }
    }

    /// The rule of `product` (`None`: unknown to the scenario).
    pub fn kind(&self, product: ProductIdx) -> Option<RuleKind> {
        self.products
            .get(usize::from(product))?
            .as_ref()
            .map(|(k, _)| *k)
    }

    /// The rate of `product` in force on `date` (`None`: unknown product).
    pub fn rate_on(&self, product: ProductIdx, date: NaiveDate) -> Option<Decimal> {
        self.rate_at(product, day_of_date(date))
    }

    /// The rate of `product` in force on day `day` (days since 1970-01-01).
    pub fn rate_at(&self, product: ProductIdx, day: i32) -> Option<Decimal> {
        let (_, table) = self.products.get(usize::from(product))?.as_ref()?;
        Some(table.at(day))
    }

    /// True when `product`'s rate in force on day `at` is also the rate of
    /// every day from `lo` to `hi`: its charges there cost at `at` what
    /// they cost when metered (unknown products: always).
    pub fn unchanged(&self, product: ProductIdx, lo: i32, hi: i32, at: i32) -> bool {
        let Some(Some((_, table))) = self.products.get(usize::from(product)) else {
            return true;
        };
        table.constant_over(lo.min(at), hi.max(at))
    }

    /// The tokens of `charge`, a metered day of `product`, at the rate in
    /// force on day `at` instead of its own date's (see the module docs).
    pub fn tokens_at(&self, product: ProductIdx, charge: &DayCharge, at: i32) -> Decimal {
        let Some(Some((kind, table))) = self.products.get(usize::from(product)) else {
            return charge.tokens;
        };
        let new = table.at(at);
        let old = table.at(charge.day);
        if new == old {
            return charge.tokens;
        }
        let charges = Decimal::from(charge.charges);
        match kind {
            // Metering charged `charges × old`; a hand-built day may hold
            // other tokens (a free anchor), which scale like any other.
            RuleKind::CalendarDay | RuleKind::Rolling24h if charge.tokens == charges * old => {
                charges * new
            }
            RuleKind::CalendarDay | RuleKind::Rolling24h => scaled(charge.tokens, new, old),
            RuleKind::Hourly => scaled(charge.tokens, new, old).round_dp_with_strategy(
                super::hourly::TOKEN_DP,
                RoundingStrategy::MidpointAwayFromZero,
            ),
            RuleKind::Concurrent | RuleKind::DailyPeak => scaled(charge.tokens, new, old),
        }
    }
}

/// `tokens × new ÷ old` (`tokens` when the old rate is not positive).
fn scaled(tokens: Decimal, new: Decimal, old: Decimal) -> Decimal {
    if old <= Decimal::ZERO {
        return tokens;
    }
    tokens
        .checked_mul(new)
        .and_then(|x| x.checked_div(old))
        .unwrap_or(tokens)
}
