//! Prices by contract year (SPEC §8).
//!
//! [`prices_by_year`] turns a scenario's prices and its optional
//! [`Prices`](crate::scenario::Prices) section into one [`PricesInYear`]
//! per contract year: the new-seat and renewal price of every subscription,
//! the token price (flat or tiers) and the overage price.
//!
//! Year 1 uses the scenario's own prices. Each later year starts from the
//! year before, × (1 + e) with e = `escalation`, or `escalation_cap` when
//! that is lower; subscription prices are rounded half-up to cents and
//! token and overage prices to 4 decimal places, so the next year
//! escalates from the rounded figure. A `YearPrices` entry then replaces,
//! for its year, what it names, and later years escalate from it.
//!
//! A subscription without a `renewal_price` renews at its new-seat price
//! every year (an override of the new-seat price moves both) until a
//! `renewal_subscriptions` entry gives it one; from then on the renewal
//! price escalates on its own.
//!
//! [`discount_factor`] and [`present_value`] are the ledger's: money paid
//! at the start of contract year `k` (0-based) is discounted by
//! (1 + rate)^k.

use std::collections::BTreeMap;

use rust_decimal::{Decimal, RoundingStrategy};

pub use crate::ledger::lots::{discount_factor, present_value};
use crate::scenario::{Scenario, Tier, TokenPrice};

/// Every price of one contract year.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricesInYear {
    /// Contract year, 1-based.
    pub year: u32,
    /// Subscription code → price of a new seat that year.
    pub new_seat: BTreeMap<String, Decimal>,
    /// Subscription code → price of a seat renewed from the year before.
    pub renewal: BTreeMap<String, Decimal>,
    /// The token price that year.
    pub token_price: TokenPrice,
    /// The overage price that year.
    pub overage_price: Decimal,
}

impl PricesInYear {
    /// New-seat price of `code` (0 for an unknown code).
    pub fn new_seat_of(&self, code: &str) -> Decimal {
        self.new_seat.get(code).copied().unwrap_or_default()
    }

    /// Renewal price of `code` (0 for an unknown code).
    pub fn renewal_of(&self, code: &str) -> Decimal {
        self.renewal.get(code).copied().unwrap_or_default()
    }
}

/// The yearly escalation that applies: `escalation`, or the cap when that
/// is lower; 0 without a `prices` section.
pub fn escalation(scenario: &Scenario) -> Decimal {
    scenario.prices.as_ref().map_or(Decimal::ZERO, |p| {
        p.escalation_cap
            .map_or(p.escalation, |cap| p.escalation.min(cap))
    })
}

/// Every contract year's prices (see the module doc), one per year of
/// `scenario.contract.years`.
pub fn prices_by_year(scenario: &Scenario) -> Vec<PricesInYear> {
    let e = escalation(scenario);
    let factor = Decimal::ONE + e;
    let overrides = scenario.prices.as_ref().map_or(&[][..], |p| &p.years[..]);
    let mut new_seat: BTreeMap<String, Decimal> = scenario
        .subscriptions
        .iter()
        .map(|(code, s)| (code.clone(), s.annual_price))
        .collect();
    // `None`: renews at the new-seat price of the year.
    let mut renewal: BTreeMap<String, Option<Decimal>> = scenario
        .subscriptions
        .iter()
        .map(|(code, s)| (code.clone(), s.renewal_price))
        .collect();
    let mut token_price = scenario.token_price.clone();
    let mut overage_price = scenario.contract.overage_price;
    let mut out = Vec::with_capacity(scenario.contract.years as usize);
    for year in 1..=scenario.contract.years {
        if year > 1 {
            for p in new_seat.values_mut() {
                *p = cents(*p * factor);
            }
            for p in renewal.values_mut().flatten() {
                *p = cents(*p * factor);
            }
            token_price = escalate_tokens(&token_price, factor);
            overage_price = token_places(overage_price * factor);
        }
        for o in overrides.iter().filter(|o| o.year == year) {
            for (code, &p) in &o.subscriptions {
                new_seat.insert(code.clone(), p);
            }
            for (code, &p) in &o.renewal_subscriptions {
                renewal.insert(code.clone(), Some(p));
            }
            if let Some(tp) = &o.token_price {
                token_price = tp.clone();
            }
            if let Some(op) = o.overage_price {
                overage_price = op;
            }
        }
        out.push(PricesInYear {
            year,
            renewal: new_seat
                .iter()
                .map(|(code, &p)| {
                    let r = renewal.get(code).copied().flatten().unwrap_or(p);
                    (code.clone(), r)
                })
                .collect(),
            new_seat: new_seat.clone(),
            token_price: token_price.clone(),
            overage_price,
        });
    }
    out
}

/// `p` rounded half-up to cents.
fn cents(p: Decimal) -> Decimal {
    p.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// `p` rounded half-up to 4 decimal places (a token price).
fn token_places(p: Decimal) -> Decimal {
    p.round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
}

/// Every price of `price` × `factor`, rounded to 4 places; tiers keep
/// their floors.
fn escalate_tokens(price: &TokenPrice, factor: Decimal) -> TokenPrice {
    match price {
        TokenPrice::Flat(p) => TokenPrice::Flat(token_places(*p * factor)),
        TokenPrice::Tiers { mode, tiers } => TokenPrice::Tiers {
            mode: *mode,
            tiers: tiers
                .iter()
                .map(|t| Tier {
                    from: t.from,
                    price: token_places(t.price * factor),
                })
                .collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{
        Contract, Forecast, Overdraft, Prices, Sizing, Subscription, TierMode, YearPrices,
    };

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn scenario(escalation: &str, cap: Option<&str>, years: Vec<YearPrices>) -> Scenario {
        Scenario {
            version: 1,
            name: "prices".into(),
            currency: "USD".into(),
            server_time_zone: "UTC".into(),
            products: BTreeMap::new(),
            subscriptions: [(
                "AEC".to_string(),
                Subscription {
                    name: "AEC".into(),
                    annual_price: d("1000"),
                    renewal_price: None,
                    covers: vec![],
                },
            )]
            .into(),
            pools: BTreeMap::new(),
            token_price: TokenPrice::Tiers {
                mode: TierMode::AllUnits,
                tiers: vec![
                    Tier {
                        from: 0,
                        price: d("3.00"),
                    },
                    Tier {
                        from: 50_000,
                        price: d("2.75"),
                    },
                ],
            },
            contract: Contract {
                start: "2027-01-01".parse().unwrap(),
                years: 3,
                overage_price: d("3.60"),
                overdraft: Overdraft::Unlimited,
                discount_rate: d("0.08"),
                pack_size: None,
                seat_changes: Default::default(),
                current_seats: BTreeMap::new(),
            },
            prices: Some(Prices {
                basis: String::new(),
                escalation: d(escalation),
                escalation_cap: cap.map(d),
                years,
            }),
            forecast: Forecast {
                history_days: 365,
                growth_per_year: Decimal::ZERO,
            },
            budgets: BTreeMap::new(),
            constraints: Default::default(),
            sizing: Sizing::default(),
        }
    }

    fn seat_prices(s: &Scenario) -> Vec<Decimal> {
        prices_by_year(s)
            .iter()
            .map(|y| y.new_seat_of("AEC"))
            .collect()
    }

    fn npv(prices: &[Decimal]) -> Decimal {
        prices
            .iter()
            .enumerate()
            .map(|(k, &p)| present_value(p, d("0.08"), k))
            .sum::<Decimal>()
            .round_dp(2)
    }

    /// SPEC §8: 1000 at 7% → 1000, 1070, 1144.90 (3,214.90); paid at each
    /// year's start at 8%: 1000 + 1070/1.08 + 1144.90/1.08² = 1000 +
    /// 990.7407 + 981.5672 = 2,972.31.
    #[test]
    fn spec_escalation_example() {
        let p = seat_prices(&scenario("0.07", None, vec![]));
        assert_eq!(p, vec![d("1000"), d("1070.00"), d("1144.90")]);
        assert_eq!(p.iter().sum::<Decimal>(), d("3214.90"));
        assert_eq!(npv(&p), d("2972.31"));
    }

    /// SPEC §8: with a 5% cap → 1000, 1050, 1102.50 (3,152.50); 1000 +
    /// 1050/1.08 + 1102.50/1.08² = 1000 + 972.2222 + 945.2160 = 2,917.44.
    #[test]
    fn spec_capped_example() {
        let p = seat_prices(&scenario("0.07", Some("0.05"), vec![]));
        assert_eq!(p, vec![d("1000"), d("1050.00"), d("1102.50")]);
        assert_eq!(p.iter().sum::<Decimal>(), d("3152.50"));
        assert_eq!(npv(&p), d("2917.44"));
        // A cap above the escalation changes nothing.
        let p = seat_prices(&scenario("0.07", Some("0.10"), vec![]));
        assert_eq!(p[2], d("1144.90"));
    }

    /// Each year is rounded (half-up) before the next escalates, at 3.5%:
    /// 3675.00 → 3803.625 → 3803.63 → 3936.75705 → 3936.76, where
    /// compounding unrounded would give 3675 × 1.071225 = 3936.751875 →
    /// 3936.75. Tokens to 4 places: 1.07 → 1.10745 → 1.1075 → 1.1462625 →
    /// 1.1463 (unrounded 1.14621075 → 1.1462). Overage 3.60 → 3.726 →
    /// 3.85641 → 3.8564.
    #[test]
    fn rounding_each_year() {
        let mut s = scenario("0.035", None, vec![]);
        s.subscriptions.get_mut("AEC").unwrap().annual_price = d("3675.00");
        s.token_price = TokenPrice::Flat(d("1.07"));
        let years = prices_by_year(&s);
        assert_eq!(years[1].new_seat_of("AEC"), d("3803.63"));
        assert_eq!(years[2].new_seat_of("AEC"), d("3936.76"));
        assert_eq!(years[1].token_price, TokenPrice::Flat(d("1.1075")));
        assert_eq!(years[2].token_price, TokenPrice::Flat(d("1.1463")));
        assert_eq!(years[2].overage_price, d("3.8564"));
    }

    /// SPEC §8's example override: year 3's AEC price is 3900 and its
    /// token price 3.10 flat-by-tier; year 2 escalates (capped at 5%) from
    /// year 1, and a 4th year would escalate from the override.
    #[test]
    fn year_overrides_replace_and_later_years_escalate_from_them() {
        let override3 = YearPrices {
            year: 3,
            subscriptions: [("AEC".to_string(), d("3900.00"))].into(),
            token_price: Some(TokenPrice::Tiers {
                mode: TierMode::AllUnits,
                tiers: vec![Tier {
                    from: 0,
                    price: d("3.10"),
                }],
            }),
            ..Default::default()
        };
        let mut s = scenario("0.07", Some("0.05"), vec![override3]);
        s.contract.years = 4;
        s.subscriptions.get_mut("AEC").unwrap().annual_price = d("3675.00");
        s.subscriptions.get_mut("AEC").unwrap().renewal_price = Some(d("3300.00"));
        let y = prices_by_year(&s);
        // 3675 × 1.05 = 3858.75; 3300 × 1.05 = 3465.00
        assert_eq!(y[1].new_seat_of("AEC"), d("3858.75"));
        assert_eq!(y[1].renewal_of("AEC"), d("3465.00"));
        assert_eq!(
            y[1].token_price,
            TokenPrice::Tiers {
                mode: TierMode::AllUnits,
                tiers: vec![
                    Tier {
                        from: 0,
                        price: d("3.15")
                    },
                    Tier {
                        from: 50_000,
                        price: d("2.8875")
                    },
                ],
            }
        );
        assert_eq!(y[2].new_seat_of("AEC"), d("3900.00"));
        // The renewal price was not overridden: 3465 × 1.05 = 3638.25.
        assert_eq!(y[2].renewal_of("AEC"), d("3638.25"));
        // Year 4 escalates from the override: 3900 × 1.05 = 4095.00, 3.10
        // × 1.05 = 3.255.
        assert_eq!(y[3].new_seat_of("AEC"), d("4095.00"));
        assert_eq!(
            y[3].token_price,
            TokenPrice::Tiers {
                mode: TierMode::AllUnits,
                tiers: vec![Tier {
                    from: 0,
                    price: d("3.255")
                }],
            }
        );
    }

    /// Without a renewal price, renewal follows the new-seat price, overrides
    /// included, until a renewal override gives it its own.
    #[test]
    fn renewal_defaults_to_the_new_seat_price() {
        let o2 = YearPrices {
            year: 2,
            subscriptions: [("AEC".to_string(), d("1200"))].into(),
            ..Default::default()
        };
        let o3 = YearPrices {
            year: 3,
            renewal_subscriptions: [("AEC".to_string(), d("900"))].into(),
            overage_price: Some(d("4")),
            ..Default::default()
        };
        let mut s = scenario("0.10", None, vec![o2, o3]);
        s.contract.years = 4;
        let y = prices_by_year(&s);
        assert_eq!(y[0].renewal_of("AEC"), d("1000"));
        assert_eq!(y[1].renewal_of("AEC"), d("1200"));
        assert_eq!(y[2].new_seat_of("AEC"), d("1320.00"));
        assert_eq!(y[2].renewal_of("AEC"), d("900"));
        assert_eq!(y[2].overage_price, d("4"));
        assert_eq!(y[3].renewal_of("AEC"), d("990.00"));
        assert_eq!(y[3].new_seat_of("AEC"), d("1452.00"));
        assert_eq!(y[3].overage_price, d("4.4"));
    }

    #[test]
    fn no_prices_section_keeps_year_one_prices() {
        let mut s = scenario("0", None, vec![]);
        s.prices = None;
        let y = prices_by_year(&s);
        assert_eq!(y.len(), 3);
        assert!(y.iter().all(|p| p.new_seat_of("AEC") == d("1000")));
        assert!(y.iter().all(|p| p.token_price == s.token_price));
        assert_eq!(escalation(&s), Decimal::ZERO);
    }
}
