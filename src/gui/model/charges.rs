//! What the Charges view and the status bar draw of a metering result:
//! tokens per day as plot points, per-product totals, pools, unmapped and
//! ambiguous features. Built by the metering job on its worker, never in a
//! frame.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use egui_plot::PlotPoint;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::meter::Metered;
use crate::scenario::{Rule, Scenario};
use crate::time::date_of_day;

/// One date of the tokens-per-day chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChargeDay {
    /// Local date of the charges.
    pub date: NaiveDate,
    /// Tokens charged that date.
    pub tokens: Decimal,
    /// Charges that date.
    pub charges: u64,
    /// Users charged that date.
    pub users: u64,
}

/// One row of the per-product totals table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductRow {
    /// Product code.
    pub code: String,
    /// Display name from the scenario.
    pub name: String,
    /// Charging rule name.
    pub rule: String,
    /// Users with at least one charge.
    pub users: u64,
    /// Charges.
    pub charges: u64,
    /// Tokens.
    pub tokens: Decimal,
}

/// One `Concurrent` or `DailyPeak` pool: what is bought is its peak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolRow {
    /// Pool name.
    pub name: String,
    /// `Concurrent` or `DailyPeak`.
    pub rule: String,
    /// Product codes drawing from it.
    pub products: String,
    /// Highest concurrent draw over the history.
    pub peak: u32,
    /// When the peak was first reached, UTC.
    pub peak_at: String,
    /// Sum of the daily peaks (the `DailyPeak` bill).
    pub peak_days_total: u64,
}

/// What the Charges view and the status bar show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Charges {
    /// Tokens per day, x = day number since 1970-01-01, y = tokens.
    pub day_points: Vec<PlotPoint>,
    /// The same days with exact figures, same order as `day_points`.
    pub days: Vec<ChargeDay>,
    /// Per-product totals in scenario code order.
    pub products: Vec<ProductRow>,
    /// Tokens in all.
    pub total_tokens: Decimal,
    /// Charges in all.
    pub total_charges: u64,
    /// Users with at least one charge.
    pub users: u64,
    /// Features matching no product, with their session counts, most first.
    pub unmapped: Vec<(String, u64)>,
    /// Sessions under their rule's grace.
    pub free_sessions: u64,
    /// Pools of the pool rules, as metering sorted them.
    pub pools: Vec<PoolRow>,
    /// Features several products match: `(feature, chosen, candidates, tied)`.
    pub ambiguities: Vec<(String, String, String, bool)>,
}

impl Charges {
    /// Aggregates a metering result.
    pub fn build(metered: &Metered, scenario: Option<&Scenario>) -> Charges {
        let mut by_day: BTreeMap<i32, (Decimal, u64, u64)> = BTreeMap::new();
        let mut by_product: Vec<(BTreeSet<u32>, u64, Decimal)> =
            vec![(BTreeSet::new(), 0, Decimal::ZERO); metered.products.len()];
        let mut users = BTreeSet::new();
        for pair in &metered.pairs {
            users.insert(pair.user);
            if let Some(p) = by_product.get_mut(usize::from(pair.product)) {
                p.0.insert(pair.user);
                p.1 += pair.charges();
                p.2 += pair.tokens();
            }
            for d in &pair.days {
                let e = by_day.entry(d.day).or_default();
                e.0 += d.tokens;
                e.1 += u64::from(d.charges);
                // A pair has each date once, so this counts distinct users
                // only per product; the hover says "user-products".
                e.2 += 1;
            }
        }
        let days: Vec<ChargeDay> = by_day
            .iter()
            .map(|(&day, &(tokens, charges, users))| ChargeDay {
                date: date_of_day(day),
                tokens,
                charges,
                users,
            })
            .collect();
        let day_points = by_day
            .iter()
            .map(|(&day, (tokens, _, _))| {
                PlotPoint::new(f64::from(day), tokens.to_f64().unwrap_or(0.0))
            })
            .collect();
        let products: Vec<ProductRow> = metered
            .products
            .iter()
            .zip(by_product)
            .map(|(code, (users, charges, tokens))| {
                let product = scenario.and_then(|s| s.products.get(code));
                ProductRow {
                    code: code.clone(),
                    name: product.map(|p| p.name.clone()).unwrap_or_default(),
                    rule: product
                        .map(|p| rule_name(&p.rule).to_owned())
                        .unwrap_or_default(),
                    users: users.len() as u64,
                    charges,
                    tokens,
                }
            })
            .collect();
        let mut unmapped: Vec<(String, u64)> = metered
            .unmapped
            .iter()
            .map(|(f, n)| (f.clone(), *n))
            .collect();
        unmapped.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let pools = metered
            .pools
            .iter()
            .map(|p| PoolRow {
                name: p.name.clone(),
                rule: p.rule.as_str().to_owned(),
                products: p
                    .products
                    .iter()
                    .map(|&i| {
                        metered
                            .products
                            .get(usize::from(i))
                            .map_or("?", String::as_str)
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                peak: p.peak,
                peak_at: p
                    .peak_at
                    .map(|t| crate::time::utc(t).format("%Y-%m-%d %H:%M UTC").to_string())
                    .unwrap_or_default(),
                peak_days_total: p.peak_days_total(),
            })
            .collect();
        let ambiguities = metered
            .ambiguities
            .iter()
            .map(|a| {
                (
                    a.feature.clone(),
                    a.chosen.clone(),
                    a.candidates.join(", "),
                    a.tied,
                )
            })
            .collect();
        Charges {
            day_points,
            pools,
            ambiguities,
            total_tokens: days.iter().map(|d| d.tokens).sum(),
            total_charges: days.iter().map(|d| d.charges).sum(),
            days,
            products,
            users: users.len() as u64,
            unmapped,
            free_sessions: metered.free_sessions,
        }
    }
}

/// The name of `rule` as a scenario file writes it.
pub fn rule_name(rule: &Rule) -> &'static str {
    match rule {
        Rule::CalendarDay { .. } => "CalendarDay",
        Rule::Rolling24h { .. } => "Rolling24h",
        Rule::Concurrent { .. } => "Concurrent",
        Rule::DailyPeak { .. } => "DailyPeak",
        Rule::Hourly { .. } => "Hourly",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{DayCharge, PairCharges};

    #[test]
    fn charges_add_up_by_day_and_product() {
        let day = |day, tokens| DayCharge {
            day,
            charges: 1,
            tokens: Decimal::from(tokens),
        };
        let metered = Metered {
            products: vec!["ACD".into(), "RVT".into()],
            pairs: vec![
                PairCharges {
                    user: 0,
                    product: 0,
                    days: vec![day(20_000, 6), day(20_001, 6)],
                },
                PairCharges {
                    user: 1,
                    product: 1,
                    days: vec![day(20_001, 10)],
                },
            ],
            unmapped: BTreeMap::from([("X".into(), 2), ("Y".into(), 5)]),
            free_sessions: 3,
            pools: vec![crate::meter::PoolUsage {
                name: "TLSTOK".into(),
                rule: crate::meter::RuleKind::Concurrent,
                products: vec![1, 0],
                time_zone: "UTC".into(),
                peak: 12,
                peak_at: Some(1_735_689_600),
                daily_peaks: vec![(20_000, 3), (20_001, 12)],
                sessions: Vec::new(),
            }],
            ..Metered::default()
        };
        let c = Charges::build(&metered, None);
        assert_eq!(c.total_tokens, Decimal::from(22));
        assert_eq!(c.total_charges, 3);
        assert_eq!(c.users, 2);
        assert_eq!(
            c.day_points,
            vec![
                PlotPoint::new(20_000.0, 6.0),
                PlotPoint::new(20_001.0, 16.0)
            ]
        );
        assert_eq!(
            c.days[1].date,
            NaiveDate::from_ymd_opt(2024, 10, 5).unwrap()
        );
        assert_eq!(c.days[1].tokens, Decimal::from(16));
        assert_eq!(c.products[0].tokens, Decimal::from(12));
        assert_eq!(c.products[0].charges, 2);
        assert_eq!(c.products[1].users, 1);
        assert_eq!(c.unmapped, vec![("Y".into(), 5), ("X".into(), 2)]);
        assert_eq!(
            c.pools,
            vec![PoolRow {
                name: "TLSTOK".into(),
                rule: "Concurrent".into(),
                products: "RVT, ACD".into(),
                peak: 12,
                peak_at: "2025-01-01 00:00 UTC".into(),
                peak_days_total: 15,
            }]
        );
    }
}
