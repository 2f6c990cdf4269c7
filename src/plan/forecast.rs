//! Forecast demand for the contract's first year (SPEC §4).
//!
//! [`forecast`] turns a [`Metered`] history into [`PairForecast`]s: per
//! (user, product), the charges and tokens of the history window scaled to
//! a year and grown by the scenario's growth rate.

use rust_decimal::Decimal;

use crate::meter::{Metered, ProductIdx};
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

/// Forecasts next year's demand from `metered` (SPEC §4).
///
/// The data span runs from the first to the last day with any charge in the
/// whole history; the window is its last `history_days` days (the whole
/// span when shorter). Each pair's charges and tokens in the window are
/// multiplied by 365 / window days × (1 + growth); the division is done last
/// so a whole-year window with no growth forecasts its counts exactly.
pub fn forecast(metered: &Metered, settings: &scenario::Forecast) -> Forecast {
    let span = metered
        .pairs
        .iter()
        .flat_map(|p| p.days.iter())
        .filter(|d| d.charges > 0 || !d.tokens.is_zero())
        .fold(None, |acc: Option<(i32, i32)>, d| match acc {
            None => Some((d.day, d.day)),
            Some((a, b)) => Some((a.min(d.day), b.max(d.day))),
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
    let mut pairs = Vec::new();
    for pair in &metered.pairs {
        let (mut charges, mut tokens) = (0u64, Decimal::ZERO);
        for d in pair.days.iter().filter(|d| d.day >= window_start) {
            charges += u64::from(d.charges);
            tokens += d.tokens;
        }
        if charges == 0 && tokens.is_zero() {
            continue;
        }
        pairs.push(PairForecast {
            user: pair.user,
            product: pair.product,
            window_charges: charges,
            window_tokens: tokens,
            days: Decimal::from(charges) * numerator / denominator,
            tokens: tokens * numerator / denominator,
        });
    }
    Forecast {
        window_start: Some(window_start),
        window_end: Some(last),
        window_days: window_days as u32,
        scale,
        pairs,
    }
}
