//! `Hourly`: `rate` × hours used, pro rata to the second (Revenera Elastic
//! Access, SPEC §2).
//!
//! Hours used are the union of one user's sessions of the product, so
//! overlapping sessions (two hosts, two versions) count once. The union is
//! split at local midnights (the rule's zone) and each date costs
//! `rate × seconds / 3600` at the rate in force that date. A zero-length
//! session uses no time and costs nothing. There is no grace.
//!
//! Rounding: `rate × seconds / 3600` is computed in `Decimal` and kept
//! exactly when it has at most 6 decimal places (10 tokens an hour for 90
//! minutes is 15); otherwise it is rounded once per (user, product, date)
//! row to 6 decimal places, half away from zero (7 s at 10 an hour is
//! 0.019444), so every row shown is exactly what is added up and a total is
//! off the unrounded sum by less than 0.0000005 per row.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::{Decimal, RoundingStrategy};

use crate::meter::{DayCharge, PairCharges, ProductIdx, ProductPlan};
use crate::time::DayMapper;
use crate::usage::{Session, UserId};

/// Decimal places an hourly charge is rounded to.
pub const TOKEN_DP: u32 = 6;

/// Tokens for `secs` seconds at `rate` per hour, rounded to [`TOKEN_DP`].
pub fn tokens_for(rate: Decimal, secs: i64) -> Decimal {
    Decimal::from(secs)
        .checked_mul(rate)
        .and_then(|x| x.checked_div(Decimal::from(3600)))
        .unwrap_or(Decimal::MAX)
        .round_dp_with_strategy(TOKEN_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// Merges `(start, end)` intervals sorted by start into disjoint ones.
pub fn union(sorted: &[(i64, i64)]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &(s, e) in sorted {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Seconds of the disjoint `intervals` per local date; `midnights` caches
/// the zone's midnights (local day → UTC instant) across calls.
pub fn seconds_per_day(
    intervals: &[(i64, i64)],
    mapper: &mut DayMapper,
    midnights: &mut HashMap<i32, i64>,
) -> BTreeMap<i32, i64> {
    let mut per_day: BTreeMap<i32, i64> = BTreeMap::new();
    for &(mut a, b) in intervals {
        while a < b {
            let d = mapper.day(a);
            let next = *midnights
                .entry(d + 1)
                .or_insert_with(|| mapper.midnight(d + 1));
            // Guard against a zone whose next midnight is not later.
            let cut = if next > a { b.min(next) } else { b };
            *per_day.entry(d).or_default() += cut - a;
            a = cut;
        }
    }
    per_day
}

/// Charges of one product's sessions.
pub(crate) fn meter_product(
    sessions: &[Session],
    product: ProductIdx,
    plan: &ProductPlan<'_>,
) -> Vec<PairCharges> {
    let mut all: Vec<(UserId, i64, i64)> = sessions
        .iter()
        .map(|s| (s.user, s.start_secs(), s.end_secs()))
        .collect();
    all.sort_unstable();
    let mut mapper = DayMapper::new(plan.tz);
    let mut midnights = HashMap::new();
    let mut pairs = Vec::new();
    for group in all.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(user, _, _)) = group.first() else {
            continue;
        };
        let intervals: Vec<(i64, i64)> = group.iter().map(|&(_, s, e)| (s, e)).collect();
        let days: Vec<DayCharge> = seconds_per_day(&union(&intervals), &mut mapper, &mut midnights)
            .into_iter()
            .filter(|&(_, secs)| secs > 0)
            .map(|(day, secs)| DayCharge {
                day,
                charges: 1,
                tokens: tokens_for(plan.rates.at(day), secs),
            })
            .collect();
        if !days.is_empty() {
            pairs.push(PairCharges {
                user,
                product,
                days,
            });
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn union_merges_overlaps_and_touching() {
        assert_eq!(
            union(&[(0, 10), (5, 20), (20, 25), (30, 40), (32, 35)]),
            vec![(0, 25), (30, 40)]
        );
    }

    #[test]
    fn dst_days_have_their_real_length() {
        let tz = chrono_tz::America::New_York;
        let mut m = DayMapper::new(tz);
        let mut cache = HashMap::new();
        let day =
            |y, mo, d| crate::time::day_of_date(chrono::NaiveDate::from_ymd_opt(y, mo, d).unwrap());
        let (d2, d3, d4) = (day(2024, 11, 2), day(2024, 11, 3), day(2024, 11, 4));
        // From 2 Nov 12:00 to 4 Nov 06:00, local: 12 h, 25 h, 6 h.
        let a = crate::time::local_midnight(tz, d2) + 12 * 3600;
        let b = crate::time::local_midnight(tz, d4) + 6 * 3600;
        let got = seconds_per_day(&[(a, b)], &mut m, &mut cache);
        let want = BTreeMap::from([(d2, 12 * 3600), (d3, 25 * 3600), (d4, 6 * 3600)]);
        assert_eq!(got, want);
        // The spring-forward day has 23 hours.
        let d10 = day(2024, 3, 10);
        let m10 = crate::time::local_midnight(tz, d10);
        let m11 = crate::time::local_midnight(tz, d10 + 1);
        let got = seconds_per_day(&[(m10, m11)], &mut m, &mut cache);
        assert_eq!(got, BTreeMap::from([(d10, 23 * 3600)]));
    }

    #[test]
    fn tokens_are_exact_or_rounded_to_six_places() {
        let r = Decimal::from_str("10").unwrap();
        assert_eq!(tokens_for(r, 5400), Decimal::from_str("15").unwrap());
        assert_eq!(tokens_for(r, 1), Decimal::from_str("0.002778").unwrap());
        assert_eq!(tokens_for(r, 7), Decimal::from_str("0.019444").unwrap());
        let r = Decimal::from_str("3.6").unwrap();
        assert_eq!(tokens_for(r, 1), Decimal::from_str("0.001").unwrap());
    }
}
