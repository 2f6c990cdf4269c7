//! The contract term's small fixture, shared by the term and pack tests: a
//! scenario of products, subscriptions and a term, a metered history of
//! whole use-days per (user, product), charges priced at the scenario's
//! rates.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokenplan::meter::{DayCharge, Metered, PairCharges};
use tokenplan::scenario::{
    Contract, Forecast, Overdraft, Product, Rate, Rule, Scenario, SeatChanges, Sizing,
    Subscription, TokenPrice,
};
use tokenplan::usage::Usage;

pub fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The product no subscription covers, charged by a user of its own on the
/// window's first and last day (rate 0, so it costs nothing): the history
/// window is then exactly days 0..=364, and year 1's forecast is the
/// history × (1 + growth).
pub const ANCHOR: &str = "ZZANCHOR";

/// A subscription: code, new-seat price, renewal price, covered products.
pub type Sub<'a> = (&'a str, &'a str, Option<&'a str>, &'a [&'a str]);

/// A scenario with CalendarDay products `(code, rate)` (plus the anchor),
/// subscriptions, a term of `years` from 2027-01-01 at 8%, no escalation.
pub fn scenario(
    products: &[(&str, &str)],
    subs: &[Sub<'_>],
    price: TokenPrice,
    years: u32,
) -> Scenario {
    let mut all: Vec<(&str, &str)> = products.to_vec();
    all.push((ANCHOR, "0"));
    Scenario {
        version: 1,
        name: "term test".into(),
        currency: "USD".into(),
        server_time_zone: "America/New_York".into(),
        products: all
            .iter()
            .map(|(code, rate)| {
                (
                    code.to_string(),
                    Product {
                        name: code.to_string(),
                        rule: Rule::CalendarDay {
                            time_zone: None,
                            grace_minutes: None,
                        },
                        rates: vec![Rate {
                            from: date("2020-01-01"),
                            tokens: d(rate),
                        }],
                        features: vec![],
                    },
                )
            })
            .collect(),
        subscriptions: subs
            .iter()
            .map(|(code, price, renewal, covers)| {
                (
                    code.to_string(),
                    Subscription {
                        name: code.to_string(),
                        annual_price: d(price),
                        renewal_price: renewal.map(d),
                        covers: covers.iter().map(|c| c.to_string()).collect(),
                    },
                )
            })
            .collect(),
        pools: BTreeMap::new(),
        token_price: price,
        contract: Contract {
            start: date("2027-01-01"),
            years,
            overage_price: d("3.60"),
            overdraft: Overdraft::Unlimited,
            discount_rate: d("0.08"),
            pack_size: None,
            seat_changes: SeatChanges::AnyTime,
            current_seats: BTreeMap::new(),
        },
        prices: None,
        forecast: Forecast {
            history_days: 365,
            growth_per_year: Decimal::ZERO,
        },
        budgets: BTreeMap::new(),
        constraints: Default::default(),
        sizing: Sizing::default(),
    }
}

/// Users `u00..` and the anchor user, and a 365-day history: `pairs` are
/// (user, product index in `products`, use-days), each pair's days counted
/// back from day 364.
pub fn history(products: &[&str], users: usize, pairs: &[(u32, u16, u32)]) -> (Metered, Usage) {
    let mut usage = Usage::default();
    for i in 0..users {
        usage.users.intern(&format!("u{i:02}"));
    }
    let anchor_user = usage.users.intern("zz-anchor");
    let mut codes: Vec<String> = products.iter().map(|p| p.to_string()).collect();
    codes.push(ANCHOR.to_string());
    let mut metered = Metered {
        products: codes,
        ..Metered::default()
    };
    for &(user, product, days) in pairs {
        if days == 0 {
            continue;
        }
        metered.pairs.push(PairCharges {
            user,
            product,
            days: (0..days as i32)
                .rev()
                .map(|k| DayCharge {
                    day: 364 - k,
                    charges: 1,
                    tokens: Decimal::ZERO,
                })
                .collect(),
        });
    }
    metered.pairs.push(PairCharges {
        user: anchor_user,
        product: products.len() as u16,
        days: [0, 364]
            .iter()
            .map(|&day| DayCharge {
                day,
                charges: 1,
                tokens: Decimal::ZERO,
            })
            .collect(),
    });
    (metered, usage)
}

/// Sets every charge's tokens to its product's rate in `scenario`.
pub fn price_charges(metered: &mut Metered, scenario: &Scenario) {
    let rates: Vec<Decimal> = metered
        .products
        .iter()
        .map(|code| scenario.products[code].rates[0].tokens)
        .collect();
    for pair in &mut metered.pairs {
        for day in &mut pair.days {
            day.tokens = rates[usize::from(pair.product)] * Decimal::from(day.charges);
        }
    }
}

pub fn flat(p: &str) -> TokenPrice {
    TokenPrice::Flat(d(p))
}
