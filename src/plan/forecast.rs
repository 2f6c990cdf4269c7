//! Forecast demand for the contract's first year (SPEC §4).
//!
//! [`forecast`] turns a [`Metered`] history into [`PairForecast`]s: per
//! (user, product), the charges and tokens of the history window scaled to
//! a year and grown by the scenario's growth rate.
//! [`short_window_warning`] is what every forecasting output says when the
//! window is shorter than the scenario asks for.

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::meter::{DayCharge, Metered, ProductIdx};
use crate::scenario;
use crate::usage::UserId;

/// Next year's demand of one (user, product).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairForecast {
    /// Who.
    pub user: UserId,
    /// Which product, index in [`Metered::products`].
    pub product: ProductIdx,
    /// Charges (use-days for day-based rules) in the history window.
    pub window_charges: u64,
    /// Tokens of those charges.
    pub window_tokens: Decimal,
    /// Forecast use-days (charges) for the first contract year.
    pub days: Decimal,
    /// Forecast tokens for the first contract year (same scaling as `days`).
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
    /// Pairs with at least one charge in the window, in [`Metered::pairs`] order.
    pub pairs: Vec<PairForecast>,
}

impl Forecast {
    /// The short-window warning of this forecast ([`short_window_warning`])
    /// when its window is shorter than `history_days`.
    pub fn short_window(&self, history_days: u32) -> Option<String> {
        short_window_warning(self.window_days, history_days)
    }
}

/// The warning every output that forecasts carries when the history window
/// (`window_days`) is shorter than the scenario's `history_days` (SPEC §4):
/// `forecast from 23 days of history, scaled × 15.87`, the factor being
/// 365 / window days to two places (growth comes on top). `None` for a
/// full window, or no history at all (nothing is forecast then).
pub fn short_window_warning(window_days: u32, history_days: u32) -> Option<String> {
    if window_days == 0 || window_days >= history_days {
        return None;
    }
    let factor = Decimal::from(365) / Decimal::from(window_days);
    Some(format!(
        "forecast from {window_days} days of history, scaled × {}",
        super::fixed2(factor)
    ))
}

/// Forecasts next year's demand from `metered` (SPEC §4).
///
/// The data span runs from the first to the last day with any charge in the
/// whole history; the window is its last `history_days` days (the whole
/// span when shorter). Each pair's charges and tokens in the window are
/// multiplied by 365 × (1 + growth) / window days, computed once: exact
/// whenever that factor is a terminating decimal (any whole-year window),
/// otherwise to rust_decimal's 28 significant digits.
pub fn forecast(metered: &Metered, settings: &scenario::Forecast) -> Forecast {
    // Days are ascending per pair: its span is its first and last charged day.
    let charged = |d: &&DayCharge| d.charges > 0 || !d.tokens.is_zero();
    let span = metered
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
        });
    let Some((first, last)) = span else {
        return Forecast::default();
    };
    let history = i64::from(settings.history_days.max(1));
    let span_days = i64::from(last) - i64::from(first) + 1;
    let window_days = span_days.min(history);
    // `window_days` ≤ span of i32 days, so the start stays in range.
    let window_start = (i64::from(last) - window_days + 1) as i32;
    let numerator = Decimal::from(365) * (Decimal::ONE + settings.growth_per_year);
    let denominator = Decimal::from(window_days);
    let scale = numerator / denominator;
    let pairs: Vec<PairForecast> = metered
        .pairs
        .par_iter()
        .with_min_len(256)
        .filter_map(|pair| {
            // Days are ascending: the window is a suffix, found walking back
            // from the end (sequential reads; a binary search over tens of
            // thousands of separate vectors is all cache misses).
            let inside = pair
                .days
                .iter()
                .rev()
                .take_while(|d| d.day >= window_start)
                .count();
            let window = pair
                .days
                .get(pair.days.len() - inside..)
                .unwrap_or_default();
            let charges: u64 = window.iter().map(|d| u64::from(d.charges)).sum();
            let tokens = sum_tokens(window);
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
        })
        .collect();
    Forecast {
        window_start: Some(window_start),
        window_end: Some(last),
        window_days: window_days as u32,
        scale,
        pairs,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_window_is_said_with_its_days_and_factor() {
        // 365 / 23 = 15.8695… → 15.87 (SPEC §4's example).
        assert_eq!(
            short_window_warning(23, 365).as_deref(),
            Some("forecast from 23 days of history, scaled × 15.87")
        );
        // 365 / 200 = 1.825 → 1.83 (half away from zero).
        assert_eq!(
            short_window_warning(200, 365).as_deref(),
            Some("forecast from 200 days of history, scaled × 1.83")
        );
        // A full window, a longer span cut to the window, or no data: nothing.
        assert_eq!(short_window_warning(365, 365), None);
        assert_eq!(short_window_warning(90, 90), None);
        assert_eq!(short_window_warning(0, 365), None);
        let f = Forecast {
            window_days: 23,
            ..Forecast::default()
        };
        assert_eq!(
            f.short_window(30).as_deref(),
            Some("forecast from 23 days of history, scaled × 15.87")
        );
    }
}
