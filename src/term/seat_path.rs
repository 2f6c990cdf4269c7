//! The search's dynamic programme over one subscription's seats in every
//! year (step 2 of [`search`](super::search)): the cheapest seat path with
//! its year costs, weighted seat costs, renewals and the seat-change rule.
//!
//! It runs on integers when every amount is a whole number of a common
//! unit and the weighted sums stay far from overflow — a year's costs and
//! seat prices in 10^−S (S the largest scale among them), the years'
//! weights in 10^−W (weights are powers of 1 + the discount rate, so
//! short decimals) — and on `Decimal` otherwise. Both are exact, so they
//! choose the same path; the integers only make it several times cheaper.

use std::ops::{Add, Mul, Sub};

use rayon::prelude::*;
use rust_decimal::Decimal;

/// The programme's amounts: `Decimal`, or `i128` in a fixed unit.
trait Money:
    Copy + Ord + Add<Output = Self> + Sub<Output = Self> + Mul<Output = Self> + From<u32>
{
}

impl Money for Decimal {}
impl Money for i128 {}

/// What the programme needs to know of the term, for one subscription.
#[derive(Clone, Copy, Debug)]
pub struct SeatPrices<'a> {
    /// Per year: the weight of its costs.
    pub weight: &'a [Decimal],
    /// Per year: the new-seat price.
    pub new_seat: &'a [Decimal],
    /// Per year: the renewal price.
    pub renewal: &'a [Decimal],
    /// Seats held before year 1.
    pub before: u32,
    /// From year 2 on seats never decrease.
    pub adds_only: bool,
}

/// Largest integer amount (a cost or price in its unit, a weight in its
/// unit) taken onto the integer path: products stay below 10³⁶ and a
/// path's sums of a few dozen of them below `i128::MAX` (1.7 × 10³⁸).
const INT_LIMIT: i128 = 10_i128.pow(17);
/// Most decimal places of the integer path's units.
const MAX_SCALE: u32 = 18;

/// The cheapest seat path with seats in `lo..=hi` every year:
/// `year_cost(k, s)` (not weighted) for year `k` at `s` seats, plus the
/// seat costs (kept seats at the renewal price, added ones at the new-seat
/// price), every year weighted. Ties go to fewer seats.
pub fn cheapest_path(
    prices: SeatPrices<'_>,
    lo: u32,
    hi: u32,
    year_cost: impl Fn(usize, u32) -> Decimal + Sync,
) -> Vec<u32> {
    let years = prices.weight.len();
    let width = (hi - lo + 1) as usize;
    let costs: Vec<Vec<Decimal>> = (0..years)
        .map(|k| {
            (0..width)
                .into_par_iter()
                .with_min_len(512)
                .map(|s| year_cost(k, lo + s as u32))
                .collect()
        })
        .collect();
    if let Some(path) = on_integers(prices, lo, hi, &costs) {
        return path;
    }
    let weighted: Vec<Vec<Decimal>> = costs
        .iter()
        .zip(prices.weight)
        .map(|(c, &w)| c.iter().map(|&x| w * x).collect())
        .collect();
    let new: Vec<Decimal> = (0..years)
        .map(|k| prices.weight[k] * prices.new_seat[k])
        .collect();
    let renew: Vec<Decimal> = (0..years)
        .map(|k| prices.weight[k] * prices.renewal[k])
        .collect();
    programme(&weighted, &new, &renew, prices.before, prices.adds_only, lo)
}

/// The programme on integers, when every amount fits (see the module doc).
fn on_integers(
    prices: SeatPrices<'_>,
    lo: u32,
    hi: u32,
    costs: &[Vec<Decimal>],
) -> Option<Vec<u32>> {
    let years = prices.weight.len();
    let unit = costs
        .iter()
        .flatten()
        .chain(prices.new_seat)
        .chain(prices.renewal)
        .map(Decimal::scale)
        .max()
        .unwrap_or(0);
    let weight_unit = prices.weight.iter().map(Decimal::scale).max().unwrap_or(0);
    if unit > MAX_SCALE || weight_unit > MAX_SCALE {
        return None;
    }
    let weights: Vec<i128> = prices
        .weight
        .iter()
        .map(|&w| whole(w, weight_unit))
        .collect::<Option<_>>()?;
    // Seat prices × seats are summed up to `hi` seats: bound them there.
    let seat_bound = INT_LIMIT / i128::from(hi.max(1));
    let seat = |list: &[Decimal]| -> Option<Vec<i128>> {
        (0..years)
            .map(|k| {
                let p = whole(list[k], unit).filter(|p| p.abs() < seat_bound)?;
                Some(weights[k] * p)
            })
            .collect()
    };
    let (new, renew) = (seat(prices.new_seat)?, seat(prices.renewal)?);
    let weighted: Vec<Vec<i128>> = costs
        .par_iter()
        .zip(&weights)
        .map(|(c, &w)| {
            c.iter()
                .map(|&x| whole(x, unit).map(|x| w * x))
                .collect::<Option<Vec<i128>>>()
        })
        .collect::<Option<_>>()?;
    Some(programme(
        &weighted,
        &new,
        &renew,
        prices.before,
        prices.adds_only,
        lo,
    ))
}

/// `d` as a whole number of 10^−`unit` (`unit` ≥ its scale), when within
/// [`INT_LIMIT`].
fn whole(d: Decimal, unit: u32) -> Option<i128> {
    let x = d
        .mantissa()
        .checked_mul(10_i128.checked_pow(unit.checked_sub(d.scale())?)?)?;
    (x.abs() < INT_LIMIT).then_some(x)
}

/// The programme itself over weighted year costs `costs[k][s − lo]` and
/// weighted seat prices.
fn programme<T: Money>(
    costs: &[Vec<T>],
    new: &[T],
    renew: &[T],
    before: u32,
    adds_only: bool,
    lo: u32,
) -> Vec<u32> {
    let years = costs.len();
    let width = costs.first().map_or(0, Vec::len);
    let at = |s: usize| lo + s as u32;
    let zero = T::from(0);
    let mut value: Vec<T> = Vec::new();
    let mut back: Vec<Vec<u32>> = Vec::with_capacity(years);
    for k in 0..years {
        let (new, renew) = (new[k], renew[k]);
        let mut next = vec![zero; width];
        let mut from = vec![0u32; width];
        if k == 0 {
            for s in 0..width {
                let kept = before.min(at(s));
                next[s] = costs[0][s] + renew * T::from(kept) + new * T::from(at(s) - kept);
            }
        } else {
            // From m ≥ s seats: s kept at the renewal price.
            let mut suffix: Vec<(T, usize)> = vec![(zero, 0); width];
            for s in (0..width).rev() {
                suffix[s] = match suffix.get(s + 1) {
                    Some(&later) if later.0 < value[s] => later,
                    _ => (value[s], s),
                };
            }
            // From m ≤ s seats: m kept, s − m new. Seat prices × s are
            // stepped up by addition.
            let mut low: Option<(T, usize)> = None;
            let (mut kept_gain, mut as_new, mut as_kept) = (
                (renew - new) * T::from(lo),
                new * T::from(lo),
                renew * T::from(lo),
            );
            for s in 0..width {
                let key = value[s] + kept_gain;
                if low.is_none_or(|(b, _)| key < b) {
                    low = Some((key, s));
                }
                let (low_cost, low_at) = low.unwrap_or((value[s], s));
                let mut best = (low_cost + as_new, low_at);
                if !adds_only {
                    let high = suffix[s].0 + as_kept;
                    if high < best.0 {
                        best = (high, suffix[s].1);
                    }
                }
                next[s] = costs[k][s] + best.0;
                from[s] = at(best.1);
                kept_gain = kept_gain + (renew - new);
                as_new = as_new + new;
                as_kept = as_kept + renew;
            }
        }
        value = next;
        back.push(from);
    }
    let mut s = (0..width)
        .min_by(|&a, &b| value[a].cmp(&value[b]).then(a.cmp(&b)))
        .unwrap_or(0);
    let mut path = vec![0u32; years];
    for k in (1..years).rev() {
        path[k] = at(s);
        s = (back[k][s] - lo) as usize;
    }
    if let Some(first) = path.first_mut() {
        *first = at(s);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every path's cost, by enumeration: the reference for the programme.
    fn brute(
        prices: SeatPrices<'_>,
        lo: u32,
        hi: u32,
        year_cost: &dyn Fn(usize, u32) -> Decimal,
    ) -> Vec<u32> {
        let years = prices.weight.len();
        let width = hi - lo + 1;
        let mut best: Option<(Decimal, Vec<u32>)> = None;
        for code in 0..width.pow(years as u32) {
            let path: Vec<u32> = (0..years)
                .map(|k| lo + code / width.pow(k as u32) % width)
                .collect();
            if prices.adds_only && path.windows(2).any(|w| w[1] < w[0]) {
                continue;
            }
            let mut prev = prices.before;
            let mut cost = Decimal::ZERO;
            for (k, &s) in path.iter().enumerate() {
                let kept = prev.min(s);
                let seats = prices.renewal[k] * Decimal::from(kept)
                    + prices.new_seat[k] * Decimal::from(s - kept);
                cost += prices.weight[k] * (year_cost(k, s) + seats);
                prev = s;
            }
            // Ties: fewer seats in the last year, then the earlier years.
            let key = |p: &Vec<u32>| p.iter().rev().copied().collect::<Vec<u32>>();
            if best
                .as_ref()
                .is_none_or(|(b, bp)| cost < *b || (cost == *b && key(&path) < key(bp)))
            {
                best = Some((cost, path));
            }
        }
        best.map(|(_, p)| p).unwrap_or_default()
    }

    fn cents(c: i64) -> Decimal {
        Decimal::new(c, 2)
    }

    proptest! {
        /// The programme on integers, on `Decimal`, and every path
        /// enumerated agree on the cheapest cost; integers and `Decimal`
        /// choose the same path.
        #[test]
        fn integers_decimal_and_enumeration_agree(
            years in 1usize..4,
            lo in 0u32..3,
            extra in 0u32..4,
            before in 0u32..6,
            adds_only in any::<bool>(),
            new_cents in proptest::collection::vec(0i64..5_000, 3),
            renew_cents in proptest::collection::vec(0i64..5_000, 3),
            cost_cents in proptest::collection::vec(0i64..20_000, 3 * 7),
            fine in any::<bool>(),
        ) {
            let hi = lo + extra;
            let rate = Decimal::new(108, 2);
            let weight: Vec<Decimal> = (0..years)
                .map(|k| (0..years - 1 - k).fold(Decimal::ONE, |w, _| w * rate))
                .collect();
            let new_seat: Vec<Decimal> = new_cents[..years].iter().map(|&c| cents(c)).collect();
            let renewal: Vec<Decimal> = renew_cents[..years].iter().map(|&c| cents(c)).collect();
            // `fine`: costs with 20 decimal places, beyond the integer path.
            let cost = |k: usize, s: u32| {
                let c = cents(cost_cents[k * 7 + (s - lo) as usize]);
                if fine { c + Decimal::new(1, 20) } else { c }
            };
            let prices = SeatPrices { weight: &weight, new_seat: &new_seat, renewal: &renewal, before, adds_only };
            let fast = cheapest_path(prices, lo, hi, cost);
            let costs: Vec<Vec<Decimal>> = (0..years)
                .map(|k| (lo..=hi).map(|s| cost(k, s)).collect())
                .collect();
            prop_assert_eq!(on_integers(prices, lo, hi, &costs).is_some(), !fine);
            let weighted: Vec<Vec<Decimal>> = costs
                .iter()
                .zip(&weight)
                .map(|(c, &w)| c.iter().map(|&x| w * x).collect())
                .collect();
            let new: Vec<Decimal> = (0..years).map(|k| weight[k] * new_seat[k]).collect();
            let renew: Vec<Decimal> = (0..years).map(|k| weight[k] * renewal[k]).collect();
            let slow = programme(&weighted, &new, &renew, before, adds_only, lo);
            prop_assert_eq!(&fast, &slow);
            let total = |path: &[u32]| {
                let mut prev = before;
                path.iter().enumerate().map(|(k, &s)| {
                    let kept = prev.min(s);
                    prev = s;
                    weight[k] * (cost(k, s) + renewal[k] * Decimal::from(kept) + new_seat[k] * Decimal::from(s - kept))
                }).sum::<Decimal>()
            };
            let reference = brute(prices, lo, hi, &cost);
            prop_assert_eq!(total(&fast), total(&reference));
        }
    }

    /// A hand-worked term: 2 years, weights 1.08 and 1, a seat renews at
    /// 80.00 or is new at 100.00, none held before. Year costs (tokens
    /// left) at 0/1/2 seats: year 1 300/150/60, year 2 300/120/100.
    /// Paths: (1,1) = 1.08 × (150 + 100) + (120 + 80) = 470.00;
    /// (2,2) = 1.08 × (60 + 200) + (100 + 160) = 540.80; (1,2) = 270 +
    /// (100 + 80 + 100) = 550.00; (2,1) = 280.80 + (120 + 80) = 480.80;
    /// (0,0) = 624.00. The cheapest is one seat both years.
    #[test]
    fn a_worked_term_keeps_one_seat() {
        let weight = [Decimal::new(108, 2), Decimal::ONE];
        let new_seat = [cents(10_000), cents(10_000)];
        let renewal = [cents(8_000), cents(8_000)];
        let table = [[300, 150, 60], [300, 120, 100]];
        let cost = |k: usize, s: u32| Decimal::from(table[k][s as usize]);
        let prices = SeatPrices {
            weight: &weight,
            new_seat: &new_seat,
            renewal: &renewal,
            before: 0,
            adds_only: false,
        };
        assert_eq!(cheapest_path(prices, 0, 2, cost), vec![1, 1]);
    }
}
