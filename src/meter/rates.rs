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
//!
//! [`daily_tokens_at`] is the history's daily token demand priced at one
//! date's rates (what sizing resamples when it prices a simulated day at
//! the rate in force on it); [`Rates::change_days`] lists the days any rate
//! changes, so a caller needs one such series per rate period only.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::meter::{DayCharge, Metered, ProductIdx, RateTable, RuleKind};
use crate::scenario::{Rule, Scenario};
use crate::time::day_of_date;
use crate::usage::UserId;

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

    /// The days (since 1970-01-01) on which any product's rate changes,
    /// ascending: between two of them every rate is constant.
    pub fn change_days(&self) -> Vec<i32> {
        let mut days: Vec<i32> = self
            .products
            .iter()
            .flatten()
            .flat_map(|(_, t)| {
                // `values[i]` is in force before `breaks[i]`, `values[i + 1]`
                // from it: a break that keeps the rate changes nothing.
                t.breaks
                    .iter()
                    .enumerate()
                    .filter(|&(i, _)| t.values.get(i) != t.values.get(i + 1))
                    .map(|(_, &b)| b)
            })
            .collect();
        days.sort_unstable();
        days.dedup();
        days
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

/// [`daily_tokens_at`] for the days `first..=last` only, as a dense
/// vector (index 0 is `first`, days without demand hold 0): what a replay
/// of a history window reads, without pricing or mapping the days outside
/// it. The sums are the same.
pub fn daily_tokens_within(
    metered: &Metered,
    rates: &Rates,
    at: i32,
    (first, last): (i32, i32),
    keep: impl Fn(UserId, ProductIdx) -> bool,
) -> Vec<Decimal> {
    let len = usize::try_from(i64::from(last) - i64::from(first) + 1).unwrap_or(0);
    let mut out = vec![Decimal::ZERO; len];
    let peak = metered.peak_products();
    for pair in &metered.pairs {
        let pooled = peak.get(usize::from(pair.product)).copied() == Some(true);
        if pooled
            || rates.kind(pair.product) == Some(RuleKind::Concurrent)
            || !keep(pair.user, pair.product)
        {
            continue;
        }
        // Days are ascending: start at the window's first.
        let from = pair.days.partition_point(|d| d.day < first);
        for d in pair.days[from..].iter().take_while(|d| d.day <= last) {
            if let Some(slot) = out.get_mut((d.day - first) as usize) {
                *slot += rates.tokens_at(pair.product, d, at);
            }
        }
    }
    for (i, pool) in metered.pools.iter().enumerate() {
        if pool.rule != RuleKind::DailyPeak {
            continue;
        }
        let Some(priced) = metered.pool_at_rates(i, |p| rates.rate_at(p, at)) else {
            continue;
        };
        for (day, peak) in priced.daily_peaks {
            if (first..=last).contains(&day)
                && let Some(slot) = out.get_mut((day - first) as usize)
            {
                *slot += Decimal::from(peak);
            }
        }
    }
    out
}

/// The daily token demand of `metered`'s history (local date → tokens),
/// every day priced at the rates in force on day `at`:
/// - the (user, product) pairs of `CalendarDay`, `Rolling24h` and `Hourly`
///   products that `keep` accepts, each day re-priced by [`Rates::tokens_at`];
/// - every `DailyPeak` pool, whole, replayed at those rates (a pool is
///   bought whole: no subscription covers it, so `keep` is not asked);
/// - no `Concurrent` pool: those are sized as pools, not drawn from tokens.
///
/// Dates without demand are absent.
pub fn daily_tokens_at(
    metered: &Metered,
    rates: &Rates,
    at: i32,
    keep: impl Fn(UserId, ProductIdx) -> bool,
) -> BTreeMap<i32, Decimal> {
    let peak = metered.peak_products();
    let mut out: BTreeMap<i32, Decimal> = BTreeMap::new();
    for pair in &metered.pairs {
        let pooled = peak.get(usize::from(pair.product)).copied() == Some(true);
        if pooled
            || rates.kind(pair.product) == Some(RuleKind::Concurrent)
            || !keep(pair.user, pair.product)
        {
            continue;
        }
        for d in &pair.days {
            *out.entry(d.day).or_default() += rates.tokens_at(pair.product, d, at);
        }
    }
    for (i, pool) in metered.pools.iter().enumerate() {
        if pool.rule != RuleKind::DailyPeak {
            continue;
        }
        let Some(priced) = metered.pool_at_rates(i, |p| rates.rate_at(p, at)) else {
            continue;
        };
        for (day, peak) in priced.daily_peaks {
            *out.entry(day).or_default() += Decimal::from(peak);
        }
    }
    out
}
