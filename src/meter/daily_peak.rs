//! `DailyPeak`: per calendar day, the pool's peak concurrent draw (Siemens
//! Token-Days, SPEC §2).
//!
//! Products whose rule names the same `pool` share it, as under
//! `Concurrent`; without `pool` a product is its own pool. A session holds
//! its draw (the source's count, else the product's rate on the checkout's
//! date) from checkout to checkin; the same user@host holding a product
//! twice draws once. The tokens billed for local date D are the pool's
//! highest concurrent draw during D ([`PoolUsage::daily_peaks`]), dates in
//! the zone of the pool's first product (the scenario makes every member
//! use one zone). Two users who each hold 1 token at different hours of D
//! cost 1 token for D, not 2.
//!
//! Per-user rows (the pairs of [`Metered`](crate::meter::Metered)) are
//! attribution: each user's own peak of the product on each date; they add
//! up to more than the pool's peak when the users' peaks do not coincide.
//! Every total uses the pool's peaks instead, through a [`PeakBill`]: per
//! date, the pool's peak and its split among the pool's products by each
//! product's own peak that date ([`shares`] says exactly how it rounds, so
//! the products' shares add up to the pool's peak to the token).

use std::collections::HashMap;

use rust_decimal::{Decimal, RoundingStrategy};

use crate::meter::concurrent::{PoolMetered, meter_pool_as};
use crate::meter::{PoolTimeline, PoolUsage, ProductIdx, ProductPlan, RuleKind};
use crate::scenario::parse_tz;
use crate::time::DayMapper;
use crate::usage::Session;

/// Decimal places of an attributed share that is not a whole proportion.
pub const SHARE_DP: u32 = 6;

/// Meters one `DailyPeak` pool.
pub(crate) fn meter_pool(
    name: &str,
    members: &[(ProductIdx, &[Session])],
    plans: &[ProductPlan<'_>],
) -> PoolMetered {
    meter_pool_as(name, members, plans, RuleKind::DailyPeak)
}

/// Splits `total` among parts in proportion to `weights`, so that the
/// shares add up to `total` exactly:
/// - when the weights add up to `total` (one part, or parts whose peaks
///   coincide in time), each share is its own weight, exactly;
/// - otherwise each part gets `total × weight ÷ Σ weights` rounded to
///   [`SHARE_DP`] places, half away from zero, except the part with the
///   largest weight (the first of equal ones), which gets what is left:
///   `total` minus the other shares. Every share is then within a
///   millionth of a token per part of its exact proportion;
/// - when no weight is positive, the first part gets everything.
///
/// Returns one share per weight, in order (none for no weights).
pub fn shares(total: Decimal, weights: &[Decimal]) -> Vec<Decimal> {
    let sum: Decimal = weights.iter().copied().sum();
    if sum == total {
        return weights.to_vec();
    }
    let mut out = vec![Decimal::ZERO; weights.len()];
    if sum <= Decimal::ZERO {
        if let Some(first) = out.first_mut() {
            *first = total;
        }
        return out;
    }
    // The largest weight, the first of equal ones, takes the remainder.
    let mut largest = 0;
    for (i, w) in weights.iter().enumerate() {
        if *w > weights[largest] {
            largest = i;
        }
    }
    let mut given = Decimal::ZERO;
    for (i, w) in weights.iter().enumerate() {
        if i == largest {
            continue;
        }
        let share = (total * *w / sum)
            .round_dp_with_strategy(SHARE_DP, RoundingStrategy::MidpointAwayFromZero);
        out[i] = share;
        given += share;
    }
    out[largest] = total - given;
    out
}

/// One date of a [`PeakBill`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeakDay {
    /// Local date, days since 1970-01-01 in the pool's zone.
    pub day: i32,
    /// The pool's peak draw that date: the tokens billed.
    pub tokens: Decimal,
    /// `tokens` split among [`PeakBill::products`] (same order) by each
    /// product's own peak that date ([`shares`]); they add up to `tokens`.
    pub shares: Vec<Decimal>,
}

/// A `DailyPeak` pool's bill: per local date its peak, attributed to its
/// products.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeakBill {
    /// Pool name.
    pub pool: String,
    /// Products drawing from it, in code order.
    pub products: Vec<ProductIdx>,
    /// Dates with a non-zero peak, ascending.
    pub days: Vec<PeakDay>,
}

impl PeakBill {
    /// The bill of `pool` as metered (draws as its sessions hold them).
    pub fn of(pool: &PoolUsage) -> PeakBill {
        let mut mapper = DayMapper::new(parse_tz(&pool.time_zone).unwrap_or(chrono_tz::UTC));
        // Each product's own peak per date.
        let own: Vec<HashMap<i32, u32>> = pool
            .products
            .iter()
            .map(|&p| {
                let mine: Vec<_> = pool
                    .sessions
                    .iter()
                    .filter(|s| s.product == p)
                    .copied()
                    .collect();
                PoolTimeline::new(&mine)
                    .daily_peaks(&mut mapper)
                    .into_iter()
                    .collect()
            })
            .collect();
        let days = pool
            .daily_peaks
            .iter()
            .map(|&(day, peak)| {
                let weights: Vec<Decimal> = own
                    .iter()
                    .map(|m| Decimal::from(m.get(&day).copied().unwrap_or(0)))
                    .collect();
                let tokens = Decimal::from(peak);
                PeakDay {
                    day,
                    tokens,
                    shares: shares(tokens, &weights),
                }
            })
            .collect();
        PeakBill {
            pool: pool.name.clone(),
            products: pool.products.clone(),
            days,
        }
    }

    /// Tokens billed over all dates.
    pub fn tokens(&self) -> Decimal {
        self.days.iter().map(|d| d.tokens).sum()
    }

    /// Each product's attributed tokens over all dates, in
    /// [`PeakBill::products`] order; they add up to [`PeakBill::tokens`].
    pub fn product_tokens(&self) -> Vec<(ProductIdx, Decimal)> {
        let mut sums = vec![Decimal::ZERO; self.products.len()];
        for d in &self.days {
            for (sum, share) in sums.iter_mut().zip(&d.shares) {
                *sum += *share;
            }
        }
        self.products.iter().copied().zip(sums).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn shares_add_up_exactly() {
        // Peaks that coincide: each its own.
        assert_eq!(shares(d("3"), &[d("1"), d("2")]), vec![d("1"), d("2")]);
        // 1 token, two products of peak 1 each at different hours: 0.5 each.
        assert_eq!(shares(d("1"), &[d("1"), d("1")]), vec![d("0.5"), d("0.5")]);
        // 1 token among three equal peaks: 0.333333 twice, the first (the
        // largest, first of equals) takes 1 − 0.666666 = 0.333334.
        assert_eq!(
            shares(d("1"), &[d("1"), d("1"), d("1")]),
            vec![d("0.333334"), d("0.333333"), d("0.333333")]
        );
        // 5 tokens by 2 : 4: 5 × 2/6 = 1.666667 (half away), the 4 takes
        // 5 − 1.666667 = 3.333333.
        assert_eq!(
            shares(d("5"), &[d("2"), d("4")]),
            vec![d("1.666667"), d("3.333333")]
        );
        assert_eq!(shares(d("2"), &[d("0"), d("0")]), vec![d("2"), d("0")]);
        assert!(shares(d("2"), &[]).is_empty());
    }
}
