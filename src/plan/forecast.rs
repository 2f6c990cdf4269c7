//! Forecast demand for a contract year (SPEC §4).
//!
//! The history window is the last `history_days` days of the data span
//! (first to last day with any charge; the whole span when shorter). A
//! pair's charges in the window are scaled to a year and grown:
//! × 365 ÷ window days × (1 + growth), the factor computed once (exact
//! whenever it is a terminating decimal, e.g. any whole-year window; else to
//! rust_decimal's 28 significant digits).
//!
//! [`forecast_at`] (and [`forecast_year`], the recommendation's) prices
//! the forecast at the rates in force on one date — the contract's start
//! for year 1, each later year's first day for that year — whatever rates
//! the history was charged at: a rate change that takes effect at renewal is
//! priced in ([`Rates::tokens_at`] re-prices a day: charges × the new rate,
//! or hours × the new rate under `Hourly`). Per rule:
//! - `CalendarDay`, `Rolling24h`, `Hourly`: one [`PairForecast`] per
//!   (user, product), the window's charges re-priced and scaled.
//! - `Concurrent`: none. A pool is bought as a pool, not per user
//!   ([`super::pools`]).
//! - `DailyPeak`: the pool's daily peaks, re-priced by replaying the pool
//!   with every draw that came from the rate at the forecast date's rate
//!   ([`Metered::pool_at_rates`]), then scaled: [`PeakPoolForecast`]. Each
//!   date's peak is split among the (user, product) pairs that held the
//!   pool that date by their own peaks ([`shares`]), so a pair's
//!   [`PairForecast::tokens`] is its share of the pool and the pairs of a
//!   pool add up to the pool's forecast: the pool is bought whole, and
//!   the shares only say who drives it.
//!
//! [`forecast`] is the scaling alone, every pair at the history's own
//! tokens; no recommendation uses it.

use std::collections::{BTreeMap, HashMap};

use chrono::{Months, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::meter::concurrent::pair_rows;
use crate::meter::{DayCharge, Metered, PairCharges, ProductIdx, Rates, RuleKind, shares};
use crate::scenario::{self, Contract, Scenario, parse_tz};
use crate::time::{DayMapper, day_of_date};
use crate::usage::UserId;

/// Next year's demand of one (user, product).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairForecast {
    /// Who.
    pub user: UserId,
    /// Which product, index in [`Metered::products`].
    pub product: ProductIdx,
    /// Charges (use-days for day-based rules, days held for `DailyPeak`)
    /// in the history window.
    pub window_charges: u64,
    /// Tokens of those charges at the forecast's rates (`DailyPeak`: the
    /// pair's share of its pool's daily peaks).
    pub window_tokens: Decimal,
    /// Forecast use-days (charges) for the contract year.
    pub days: Decimal,
    /// Forecast tokens for the contract year (same scaling as `days`).
    pub tokens: Decimal,
}

/// The forecast of one `DailyPeak` pool: what is bought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeakPoolForecast {
    /// Pool name.
    pub pool: String,
    /// Its products, in code order.
    pub products: Vec<ProductIdx>,
    /// The pool's daily peaks in the window, at the forecast's rates.
    pub window_tokens: Decimal,
    /// Those scaled to the contract year: the pool's forecast tokens, which
    /// its pairs' [`PairForecast::tokens`] add up to.
    pub tokens: Decimal,
}

/// The whole forecast: the window it was taken from and every pair's demand.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forecast {
    /// First day of the history window (days since 1970-01-01), when there is data.
    pub window_start: Option<i32>,
    /// Last day of the history window (inclusive): the last day with a charge.
    pub window_end: Option<i32>,
    /// Length of the window in days (0 without data).
    pub window_days: u32,
    /// Factor applied to window counts: 365 / window days × (1 + growth).
    pub scale: Decimal,
    /// The date whose rates price the tokens (`None`: the history's own).
    pub priced_on: Option<NaiveDate>,
    /// Pairs with at least one charge in the window, in [`Metered::pairs`]
    /// order.
    pub pairs: Vec<PairForecast>,
    /// `DailyPeak` pools with a charge in the window, in [`Metered::pools`]
    /// order.
    pub peak_pools: Vec<PeakPoolForecast>,
}

/// The first day of contract year `year` (1 = the contract's start; later
/// years start on its anniversaries, a 29 February start clamping to 28
/// February as [`Term`](crate::ledger::Term) does). `None` for year 0 or
/// past the calendar.
pub fn contract_year_start(contract: &Contract, year: u32) -> Option<NaiveDate> {
    let k = year.checked_sub(1)?;
    contract
        .start
        .checked_add_months(Months::new(k.checked_mul(12)?))
}

/// The history window of `metered` under `settings` (SPEC §4).
///
/// The data span runs from the first to the last day with any charge in the
/// whole history, widened to the days usage reports cover; the window is
/// its last `history_days` days (the whole span when shorter), started on
/// the 1st of its first month when that month holds charges dated by month.
struct Window {
    start: i32,
    end: i32,
    days: i64,
    scale: Decimal,
}

fn window(metered: &Metered, settings: &scenario::Forecast) -> Option<Window> {
    // Days are ascending per pair: its span is its first and last charged day.
    let charged = |d: &&DayCharge| d.charges > 0 || !d.tokens.is_zero();
    let (first, last) = metered
        .pairs
        .iter()
        .filter_map(|p| {
            let first = p.days.iter().find(charged)?;
            let last = p.days.iter().rfind(charged)?;
            Some((first.day, last.day))
        })
        .fold(None, |acc: Option<(i32, i32)>, (a, b)| match acc {
            None => Some((a, b)),
            Some((x, y)) => Some((x.min(a), y.max(b))),
        })?;
    // Usage reports cover whole months (a month row's count is placed at
    // its start): the data ends on the last day they cover.
    let (first, last) = match metered.use_days.cover {
        Some((a, b)) => (first.min(a), last.max(b)),
        None => (first, last),
    };
    let history = i64::from(settings.history_days.max(1));
    let span_days = i64::from(last) - i64::from(first) + 1;
    // `days` ≤ span of i32 days, so the start stays in range; a month whose
    // count is dated by month is not cut.
    let start = metered
        .use_days
        .window_start((i64::from(last) - span_days.min(history) + 1) as i32);
    let days = i64::from(last) - i64::from(start) + 1;
    let numerator = Decimal::from(365) * (Decimal::ONE + settings.growth_per_year);
    Some(Window {
        start,
        end: last,
        days,
        scale: numerator / Decimal::from(days),
    })
}

/// The days of `pair` inside the window starting on `start`: a suffix,
/// found walking back from the end (sequential reads; a binary search over
/// tens of thousands of separate vectors is all cache misses).
fn in_window(pair: &PairCharges, start: i32) -> &[DayCharge] {
    let inside = pair
        .days
        .iter()
        .rev()
        .take_while(|d| d.day >= start)
        .count();
    pair.days
        .get(pair.days.len() - inside..)
        .unwrap_or_default()
}

/// Scales the history's own tokens: every pair of `metered`, at the rates
/// it was charged at (see the module docs; the recommendation prices at the
/// forecast date instead, [`forecast_at`]).
pub fn forecast(metered: &Metered, settings: &scenario::Forecast) -> Forecast {
    let Some(w) = window(metered, settings) else {
        return Forecast::default();
    };
    let pairs = metered
        .pairs
        .par_iter()
        .with_min_len(256)
        .filter_map(|pair| {
            let days = in_window(pair, w.start);
            scaled(pair, days, sum_tokens(days), w.scale)
        })
        .collect();
    finish(&w, None, pairs, Vec::new())
}

/// The forecast for contract year `year` of `scenario` (1 = the first),
/// priced at the rates in force on that year's first day
/// ([`contract_year_start`]); see [`forecast_at`]. A year past the calendar
/// is priced at the contract's start.
pub fn forecast_year(metered: &Metered, scenario: &Scenario, year: u32) -> Forecast {
    let date = contract_year_start(&scenario.contract, year).unwrap_or(scenario.contract.start);
    forecast_at(metered, scenario, date)
}

/// The forecast of `metered` under `scenario`'s forecast settings, every
/// token priced at the rates in force on `date` (see the module docs for
/// each rule). The scaling is the same for every year; growth beyond the
/// first year is the caller's (SPEC §8: × (1 + growth)^(y−1)).
pub fn forecast_at(metered: &Metered, scenario: &Scenario, date: NaiveDate) -> Forecast {
    let Some(w) = window(metered, &scenario.forecast) else {
        return Forecast::default();
    };
    let rates = Rates::new(scenario, &metered.products);
    let at = day_of_date(date);
    let peak = metered.peak_products();
    let (peak_pairs, peak_pools) = peak_forecasts(metered, &rates, at, &w);
    let pairs = metered
        .pairs
        .par_iter()
        .with_min_len(256)
        .filter_map(|pair| {
            let pooled = peak.get(usize::from(pair.product)).copied();
            if pooled == Some(true) {
                return peak_pairs.get(&(pair.user, pair.product)).cloned();
            }
            if rates.kind(pair.product) == Some(RuleKind::Concurrent) {
                return None;
            }
            let days = in_window(pair, w.start);
            let (Some(first), Some(last)) = (days.first(), days.last()) else {
                return None;
            };
            let tokens = if rates.unchanged(pair.product, first.day, last.day, at) {
                sum_tokens(days)
            } else {
                days.iter()
                    .map(|d| rates.tokens_at(pair.product, d, at))
                    .sum()
            };
            scaled(pair, days, tokens, w.scale)
        })
        .collect();
    finish(&w, Some(date), pairs, peak_pools)
}

fn finish(
    w: &Window,
    priced_on: Option<NaiveDate>,
    pairs: Vec<PairForecast>,
    peak_pools: Vec<PeakPoolForecast>,
) -> Forecast {
    Forecast {
        window_start: Some(w.start),
        window_end: Some(w.end),
        window_days: w.days as u32,
        scale: w.scale,
        priced_on,
        pairs,
        peak_pools,
    }
}

/// The forecast of `pair` from its window `days` costing `tokens`; `None`
/// when the window holds nothing.
fn scaled(
    pair: &PairCharges,
    days: &[DayCharge],
    tokens: Decimal,
    scale: Decimal,
) -> Option<PairForecast> {
    let charges: u64 = days.iter().map(|d| u64::from(d.charges)).sum();
    if charges == 0 && tokens.is_zero() {
        return None;
    }
    Some(PairForecast {
        user: pair.user,
        product: pair.product,
        window_charges: charges,
        window_tokens: tokens,
        days: Decimal::from(charges) * scale,
        tokens: tokens * scale,
    })
}

/// Every `DailyPeak` pool of `metered` priced at the rates of day `at`:
/// its pairs' forecasts (shares of the pool's daily peaks) by (user,
/// product), and the pools' own forecasts.
#[allow(clippy::type_complexity)]
fn peak_forecasts(
    metered: &Metered,
    rates: &Rates,
    at: i32,
    w: &Window,
) -> (
    HashMap<(UserId, ProductIdx), PairForecast>,
    Vec<PeakPoolForecast>,
) {
    let mut pairs = HashMap::new();
    let mut pools = Vec::new();
    for (i, pool) in metered.pools.iter().enumerate() {
        if pool.rule != RuleKind::DailyPeak {
            continue;
        }
        let Some(priced) = metered.pool_at_rates(i, |p| rates.rate_at(p, at)) else {
            continue;
        };
        let inside = |day: i32| (w.start..=w.end).contains(&day);
        let peaks: HashMap<i32, u32> = priced
            .daily_peaks
            .iter()
            .copied()
            .filter(|&(d, _)| inside(d))
            .collect();
        if peaks.is_empty() {
            continue;
        }
        let mut mapper = DayMapper::new(parse_tz(&pool.time_zone).unwrap_or(chrono_tz::UTC));
        let rows = pair_rows(&priced.sessions, &mut mapper);
        // Per date, the pairs holding the pool and their own peaks.
        let mut holders: BTreeMap<i32, Vec<(usize, Decimal)>> = BTreeMap::new();
        for (k, row) in rows.iter().enumerate() {
            for d in row.days.iter().filter(|d| inside(d.day)) {
                holders.entry(d.day).or_default().push((k, d.tokens));
            }
        }
        let mut sums = vec![Decimal::ZERO; rows.len()];
        let mut charges = vec![0u64; rows.len()];
        let mut window_tokens = Decimal::ZERO;
        for (day, list) in &holders {
            let peak = Decimal::from(peaks.get(day).copied().unwrap_or(0));
            window_tokens += peak;
            let weights: Vec<Decimal> = list.iter().map(|&(_, t)| t).collect();
            for (&(k, _), share) in list.iter().zip(shares(peak, &weights)) {
                sums[k] += share;
                charges[k] += 1;
            }
        }
        for (k, row) in rows.iter().enumerate() {
            if charges[k] == 0 {
                continue;
            }
            pairs.insert(
                (row.user, row.product),
                PairForecast {
                    user: row.user,
                    product: row.product,
                    window_charges: charges[k],
                    window_tokens: sums[k],
                    days: Decimal::from(charges[k]) * w.scale,
                    tokens: sums[k] * w.scale,
                },
            );
        }
        pools.push(PeakPoolForecast {
            pool: pool.name.clone(),
            products: pool.products.clone(),
            window_tokens,
            tokens: window_tokens * w.scale,
        });
    }
    (pairs, pools)
}

/// Sum of the days' tokens, exact. Day tokens of one pair almost always
/// share one scale (the rate's), so their mantissas are added as integers;
/// anything else falls back to decimal addition.
fn sum_tokens(days: &[DayCharge]) -> Decimal {
    let Some(first) = days.first() else {
        return Decimal::ZERO;
    };
    let scale = first.tokens.scale();
    let mut sum: i128 = 0;
    for d in days {
        if d.tokens.scale() != scale {
            return days.iter().map(|d| d.tokens).sum();
        }
        sum += d.tokens.mantissa();
    }
    Decimal::try_from_i128_with_scale(sum, scale)
        .unwrap_or_else(|_| days.iter().map(|d| d.tokens).sum())
}
