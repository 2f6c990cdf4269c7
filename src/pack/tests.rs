//! Tests of the negotiation pack (SPEC §9) on small hand-computed inputs:
//! the options side by side over the term, the tornado, break-even prices,
//! the workbook read back.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::meter::{DayCharge, Metered, PairCharges};
use crate::pack::{self, OptionKind, PackInputs, PackOptions};
use crate::progress::NoProgress;
use crate::scenario::{
    Contract, Forecast, Overdraft, Product, Rate, Rule, Scenario, SeatChanges, Sizing,
    Subscription, TokenPrice,
};
use crate::usage::Usage;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The product no subscription covers, charged by a user of its own on the
/// window's first and last day (rate 0, so it costs nothing): the history
/// window is then exactly days 0..=364, and year 1's forecast is the
/// history × (1 + growth).
const ANCHOR: &str = "ZZANCHOR";

/// A subscription: code, new-seat price, renewal price, covered products.
type Sub<'a> = (&'a str, &'a str, Option<&'a str>, &'a [&'a str]);

/// A scenario with CalendarDay products `(code, rate)` (plus the anchor),
/// subscriptions, a term of `years` from 2027-01-01 at 8%, no escalation.
fn scenario(
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
fn history(products: &[&str], users: usize, pairs: &[(u32, u16, u32)]) -> (Metered, Usage) {
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
fn price_charges(metered: &mut Metered, scenario: &Scenario) {
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

fn flat(p: &str) -> TokenPrice {
    TokenPrice::Flat(d(p))
}

/// Products A (10 tokens a day, covered by S) and B (1 token a day,
/// covered by nothing); S costs 1,000 new and 900 renewed; tokens 2.00
/// flat; a 2-year term from 2027-01-01 discounted at 25% (year 2 × 0.8);
/// no growth; 2 seats of S held today. Users: u00 uses A 80 days, u01 A
/// 20 days, u02 B every day of the 365-day window.
fn tiny() -> (Scenario, Metered, Usage) {
    let mut s = scenario(
        &[("A", "10"), ("B", "1")],
        &[("S", "1000", Some("900"), &["A"])],
        flat("2.00"),
        2,
    );
    s.contract.discount_rate = d("0.25");
    s.contract.current_seats = BTreeMap::from([("S".to_string(), 2)]);
    let (mut metered, usage) = history(&["A", "B"], 3, &[(0, 0, 80), (1, 0, 20), (2, 1, 365)]);
    price_charges(&mut metered, &s);
    (s, metered, usage)
}

fn build(s: &Scenario, metered: &Metered, usage: &Usage, options: &PackOptions) -> pack::Pack {
    let inputs = PackInputs {
        usage,
        metered,
        reports: &[],
        scenario_file: None,
        compare: None,
    };
    pack::build(&inputs, s, options, &NoProgress).unwrap()
}

fn quick() -> PackOptions {
    PackOptions {
        trials: Some(200),
        made: Some("2026-12-01".into()),
        ..PackOptions::default()
    }
}

/// SPEC §9's options on the tiny input, worked out by hand.
///
/// Year-1 forecast: u00 80 × 10 = 800 tokens of A, u01 200, u02 365 of B
/// (the window is exactly 365 days, growth 0: every year the same).
/// - Term plan: u00 on S (1,000 > 800 × 2 = 1,600? no: 1,600 of tokens
///   against a 900 renewed seat), u01 on tokens (400 < 900): 1 seat kept
///   of the 2 held (900), tokens 200 + 365 = 565 × 2 = 1,130; each year
///   2,030; total 4,060; NPV 2,030 + 2,030 × 0.8 = 3,654.
/// - Renew as-is: 2 seats renewed (1,800) for u00 and u01, tokens 365 ×
///   2 = 730; each year 2,530; total 5,060; NPV 2,530 + 2,024 = 4,554.
/// - All tokens: 1,365 tokens × 2 = 2,730 a year; total 5,460; NPV 2,730
///   + 2,184 = 4,914.
/// - All subscriptions: u00 and u01 on S (2 seats kept: 1,800), u02's B
///   has no subscription: 730 of tokens: as renew as-is, 5,060 / 4,554.
/// - Δ against renew as-is (total / NPV): plan −1,000 / −900, all tokens
///   +400 / +360, all subscriptions 0 / 0.
/// - Spend of all subscriptions: only u02's B is left, 1 token every day,
///   so every trial is the same: year 1 (2027, 365 days) uses its 365-token
///   lot exactly, year 2 (2028, 366 days) is 1 token short, billed at 3.60
///   at the year's end, discounted 1.25²: 730 + 730 × 0.8 + 3.60 / 1.5625
///   = 1,314 + 2.304 = 1,316.304 = P10 = P50 = P90.
#[test]
fn options_side_by_side_hand_computed() {
    let (s, metered, usage) = tiny();
    let pack = build(&s, &metered, &usage, &quick());
    let kinds: Vec<OptionKind> = pack.options.iter().map(|o| o.kind).collect();
    assert_eq!(
        kinds,
        [
            OptionKind::RenewAsIs,
            OptionKind::TermPlan,
            OptionKind::AllTokens,
            OptionKind::AllSubscriptions
        ]
    );
    let row = |k: OptionKind| pack.option(k).unwrap();
    let check = |k: OptionKind, y1: &str, total: &str, npv: &str, seats: u32, tokens: &str| {
        let o = row(k);
        assert_eq!(o.year1_cost, d(y1), "{k:?} year 1");
        assert_eq!(o.total, d(total), "{k:?} total");
        assert_eq!(o.npv, d(npv), "{k:?} NPV");
        assert_eq!(o.seats_year1, seats, "{k:?} seats");
        assert_eq!(o.tokens_year1, d(tokens), "{k:?} tokens");
    };
    check(OptionKind::TermPlan, "2030", "4060", "3654", 1, "565");
    check(OptionKind::RenewAsIs, "2530", "5060", "4554", 2, "365");
    check(OptionKind::AllTokens, "2730", "5460", "4914", 0, "1365");
    check(
        OptionKind::AllSubscriptions,
        "2530",
        "5060",
        "4554",
        2,
        "365",
    );
    let delta = |k: OptionKind| (row(k).delta_total.unwrap(), row(k).delta_npv.unwrap());
    assert_eq!(delta(OptionKind::TermPlan), (d("-1000"), d("-900")));
    assert_eq!(delta(OptionKind::AllTokens), (d("400"), d("360")));
    assert_eq!(delta(OptionKind::AllSubscriptions), (d("0"), d("0")));
    assert_eq!(delta(OptionKind::RenewAsIs), (d("0"), d("0")));
    let spend = row(OptionKind::AllSubscriptions).spend.clone().unwrap();
    assert_eq!(spend.purchases, d("1314"));
    assert_eq!(spend.p10, d("1316.304"));
    assert_eq!(spend.p90, d("1316.304"));
    assert_eq!(spend.expected, d("1316.304"));
    assert_eq!(spend.expected_shortfall, d("1"));
    // The plan's spend varies with u01's weeks, never below its lots.
    let plan_spend = row(OptionKind::TermPlan).spend.clone().unwrap();
    assert_eq!(plan_spend.purchases, d("1130") + d("1130") * d("0.8"));
    assert!(plan_spend.p90 >= plan_spend.p50 && plan_spend.p50 >= plan_spend.p10);
}
