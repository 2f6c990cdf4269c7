//! Burn: tokens per day, trailing averages, month-to-date, projection to
//! month end, run-out date of a balance, days over an alert threshold.
//!
//! [`burn`] reads a daily series ([`pooled_series`]) and an injected
//! "today" (never the clock): the series is known up to and including today.
//! The series counts a `DailyPeak` pool's daily peak, not the sum of its
//! users' own peaks (SPEC §2).
//!
//! The methods, stated once so every figure can be checked by hand:
//! - **Trailing mean of n days** on date D ([`trailing_mean`]): the tokens of
//!   D−n+1 ..= D, days without charges counting as 0, divided by the number
//!   of those days on or after the series' first date (so the first week is
//!   not diluted by days before any data).
//! - **Daily rate**: the 30-day trailing mean on today.
//! - **Month-to-date**: tokens from the 1st of today's month to today.
//! - **Projection to month end**: month-to-date + daily rate × the days
//!   after today to the month's last day.
//! - **Run-out date** of a balance left at the end of today
//!   ([`run_out_date`]): consumption goes on at the daily rate from
//!   tomorrow; the balance runs out on the first day on which what has been
//!   drawn since today reaches it: today + ⌈balance ÷ rate⌉ days. A balance
//!   of 0 or less ran out today; a rate of 0 never runs out.
//! - **Days over the alert**: dates whose tokens are strictly above it.

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::meter::{Metered, RuleKind};
use crate::monitor::{ChargeRow, Source, plain, round2};
use crate::time::date_of_day;

/// One day of the burn chart.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BurnDay {
    /// The date.
    pub date: NaiveDate,
    /// Tokens charged that date.
    pub tokens: Decimal,
    /// 7-day trailing mean, two decimal places.
    pub avg_7d: Decimal,
    /// 30-day trailing mean, two decimal places.
    pub avg_30d: Decimal,
    /// True when `tokens` is above the alert threshold.
    pub over_alert: bool,
}

/// The burn view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Burn {
    /// Every date from the series' first to its last (or today, if later),
    /// days without charges included as 0. Not serialised: the audit
    /// report carries them as its `burn` list.
    #[serde(skip)]
    pub days: Vec<BurnDay>,
    /// The date the figures are as of (none: no charge at all).
    pub today: Option<NaiveDate>,
    /// Tokens from the 1st of today's month to today.
    pub month_to_date: Decimal,
    /// 30-day trailing mean on today (exact, not rounded).
    pub daily_rate: Decimal,
    /// Days after today to the end of the month.
    pub days_left_in_month: u32,
    /// Month-to-date + daily rate × days left, two decimal places.
    pub projected_month: Decimal,
    /// The alert threshold, tokens per day.
    pub alert_tokens_per_day: Option<Decimal>,
    /// Dates above the alert threshold, ascending.
    pub days_over_alert: Vec<NaiveDate>,
    /// The balance left at the end of today, when given.
    pub balance: Option<Decimal>,
    /// When `balance` runs out at the daily rate (none: never, or no balance).
    pub run_out: Option<NaiveDate>,
}

impl Burn {
    /// The burn of an empty history.
    pub fn empty(alert: Option<Decimal>, balance: Option<Decimal>) -> Burn {
        Burn {
            days: Vec::new(),
            today: None,
            month_to_date: Decimal::ZERO,
            daily_rate: Decimal::ZERO,
            days_left_in_month: 0,
            projected_month: Decimal::ZERO,
            alert_tokens_per_day: alert,
            days_over_alert: Vec::new(),
            balance,
            run_out: None,
        }
    }
}

/// Tokens per date, summed over users and products.
pub fn daily_series(rows: &[ChargeRow]) -> BTreeMap<NaiveDate, Decimal> {
    let mut series: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    for r in rows {
        *series.entry(r.date).or_default() += r.tokens;
    }
    series
}

/// Tokens per date as billed: [`daily_series`] of `rows`, except that the
/// replayed rows of a `DailyPeak` pool's products (each user's own peak,
/// attribution) count as the pool's peak that date instead, once per pool
/// and date that has such a row. A vendor's rows, which replace the replay
/// where the vendor reported ([`charge_rows`](super::charge_rows)), are
/// kept as they are.
pub fn pooled_series(rows: &[ChargeRow], metered: &Metered) -> BTreeMap<NaiveDate, Decimal> {
    // Product code → index of its DailyPeak pool in `metered.pools`.
    let mut pool_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, pool) in metered.pools.iter().enumerate() {
        if pool.rule != RuleKind::DailyPeak {
            continue;
        }
        for &p in &pool.products {
            pool_of.insert(metered.product_code(p), i);
        }
    }
    let mut series: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
    let mut billed: std::collections::BTreeSet<(usize, NaiveDate)> = Default::default();
    for r in rows {
        match pool_of.get(r.product.as_str()) {
            Some(&pool) if r.source == Source::Replay => {
                billed.insert((pool, r.date));
            }
            _ => *series.entry(r.date).or_default() += r.tokens,
        }
    }
    for (i, pool) in metered.pools.iter().enumerate() {
        if pool.rule != RuleKind::DailyPeak {
            continue;
        }
        for &(day, peak) in &pool.daily_peaks {
            let date = date_of_day(day);
            if billed.contains(&(i, date)) {
                *series.entry(date).or_default() += Decimal::from(peak);
            }
        }
    }
    series
}

/// The mean tokens per day over the `n` days ending on `end` (see the module
/// docs): 0 when `end` is before the series' first date or `n` is 0.
pub fn trailing_mean(series: &BTreeMap<NaiveDate, Decimal>, end: NaiveDate, n: u32) -> Decimal {
    let Some(&first) = series.keys().next() else {
        return Decimal::ZERO;
    };
    if n == 0 || end < first {
        return Decimal::ZERO;
    }
    let Some(window_start) = end.checked_sub_days(Days::new(u64::from(n - 1))) else {
        return Decimal::ZERO;
    };
    let start = window_start.max(first);
    let days = (end - start).num_days() + 1;
    let sum: Decimal = series.range(start..=end).map(|(_, t)| *t).sum();
    sum / Decimal::from(days)
}

/// The date a balance left at the end of `today` runs out when `rate`
/// tokens are drawn every day from tomorrow on: today + ⌈balance ÷ rate⌉.
/// `today` itself when the balance is 0 or less; `None` when the rate is 0
/// or less (it never runs out) or the date is beyond the calendar.
pub fn run_out_date(balance: Decimal, rate: Decimal, today: NaiveDate) -> Option<NaiveDate> {
    if balance <= Decimal::ZERO {
        return Some(today);
    }
    if rate <= Decimal::ZERO {
        return None;
    }
    let days: u64 = (balance / rate).ceil().try_into().ok()?;
    today.checked_add_days(Days::new(days))
}

/// The last day of `date`'s month.
pub fn month_end(date: NaiveDate) -> NaiveDate {
    let (y, m) = if date.month() == 12 {
        (date.year() + 1, 1)
    } else {
        (date.year(), date.month() + 1)
    };
    NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(date)
}

/// The burn view of `series` as of `today` (see the module docs for every
/// method). `alert`: tokens per day above which a date is flagged;
/// `balance`: tokens left at the end of today, for the run-out date.
pub fn burn(
    series: &BTreeMap<NaiveDate, Decimal>,
    today: NaiveDate,
    alert: Option<Decimal>,
    balance: Option<Decimal>,
) -> Burn {
    let mut days = Vec::new();
    if let (Some(&first), Some(&last)) = (series.keys().next(), series.keys().next_back()) {
        let mut date = first;
        let end = last.max(today);
        while date <= end {
            let tokens = series.get(&date).copied().unwrap_or_default();
            days.push(BurnDay {
                date,
                tokens: plain(tokens),
                avg_7d: round2(trailing_mean(series, date, 7)),
                avg_30d: round2(trailing_mean(series, date, 30)),
                over_alert: alert.is_some_and(|a| tokens > a),
            });
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
    }
    let month_start = today.with_day(1).unwrap_or(today);
    let month_to_date: Decimal = series.range(month_start..=today).map(|(_, t)| *t).sum();
    let daily_rate = trailing_mean(series, today, 30);
    let days_left_in_month = (month_end(today) - today).num_days().max(0) as u32;
    let projected_month = round2(month_to_date + daily_rate * Decimal::from(days_left_in_month));
    let days_over_alert = days
        .iter()
        .filter(|d| d.over_alert)
        .map(|d| d.date)
        .collect();
    Burn {
        days,
        today: Some(today),
        month_to_date: plain(month_to_date),
        daily_rate,
        days_left_in_month,
        projected_month,
        alert_tokens_per_day: alert,
        days_over_alert,
        balance,
        run_out: balance.and_then(|b| run_out_date(b, daily_rate, today)),
    }
}
