//! Integration tests: plan (SPEC §4, `recommend` of §7).

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tokenplan::meter::{DayCharge, Metered, PairCharges};
use tokenplan::monitor::charge_rows;
use tokenplan::monitor::double_dip::double_dips;
use tokenplan::plan::{
    Fixed2, Method, PlanError, PlanInput, RecommendReport, Schedule, baselines, cost_curve,
    crossover, forecast, optimise, optimise_default,
};
use tokenplan::scenario::{
    Constraints, Contract, Forecast, Overdraft, Product, Rate, Rule, Scenario, Sizing,
    Subscription, Tier, TierMode, TokenPrice,
};
use tokenplan::usage::Usage;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A scenario with CalendarDay products `(code, rate)`, subscriptions
/// `(code, price, covers)`, a one-year window and no growth.
fn scenario(
    products: &[(&str, &str)],
    subs: &[(&str, &str, &[&str])],
    price: TokenPrice,
) -> Scenario {
    Scenario {
        pools: Default::default(),
        prices: None,
        version: 1,
        name: "test".into(),
        currency: "USD".into(),
        server_time_zone: "America/New_York".into(),
        products: products
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
            .map(|(code, p, covers)| {
                (
                    code.to_string(),
                    Subscription {
                        name: code.to_string(),
                        annual_price: d(p),
                        renewal_price: None,
                        covers: covers.iter().map(|c| c.to_string()).collect(),
                    },
                )
            })
            .collect(),
        token_price: price,
        contract: Contract {
            start: date("2027-01-01"),
            years: 3,
            overage_price: d("3.60"),
            overdraft: Overdraft::Unlimited,
            discount_rate: d("0.08"),
            pack_size: None,
            seat_changes: Default::default(),
            current_seats: Default::default(),
        },
        forecast: Forecast {
            history_days: 365,
            growth_per_year: Decimal::ZERO,
        },
        budgets: BTreeMap::new(),
        constraints: Constraints::default(),
        sizing: Sizing::default(),
    }
}

fn flat(p: &str) -> TokenPrice {
    TokenPrice::Flat(d(p))
}

/// Usage with users `u0..` named as given.
fn usage(names: &[&str]) -> Usage {
    let mut u = Usage::default();
    for n in names {
        u.users.intern(n);
    }
    u
}

/// A metered history over exactly 365 days (days 0..=364): each entry is
/// (user, product, use-days, rate); the use-days are spread from day 364
/// backwards, and a charge of user 0's first product pins day 0 when
/// `anchor` is set so the window is a whole year.
fn metered(products: &[&str], pairs: &[(u32, u16, u32, &str)]) -> Metered {
    let mut out = Metered {
        products: products.iter().map(|p| p.to_string()).collect(),
        ..Metered::default()
    };
    for &(user, product, days, rate) in pairs {
        let rate = d(rate);
        let mut list: Vec<DayCharge> = (0..days)
            .map(|k| DayCharge {
                day: 364 - k as i32,
                charges: 1,
                tokens: rate,
            })
            .collect();
        list.reverse();
        out.pairs.push(PairCharges {
            user,
            product,
            days: list,
        });
    }
    out
}

/// Adds a one-day anchor charge on day 0 for `user`'s `product`.
fn anchor(m: &mut Metered, user: u32, product: u16, rate: &str) {
    if let Some(p) = m
        .pairs
        .iter_mut()
        .find(|p| p.user == user && p.product == product)
    {
        p.days.insert(
            0,
            DayCharge {
                day: 0,
                charges: 1,
                tokens: d(rate),
            },
        );
    }
}

#[test]
fn forecast_scales_the_last_history_days_to_a_grown_year() {
    // Two years of data: only the last 365 days count; 100 use-days there.
    let mut m = Metered {
        products: vec!["ACD".into()],
        ..Metered::default()
    };
    let mut days: Vec<DayCharge> = (0..50)
        .map(|k| DayCharge {
            day: 10_000 + k,
            charges: 1,
            tokens: d("6"),
        })
        .collect();
    days.extend((0..100).map(|k| DayCharge {
        day: 10_000 + 729 - 2 * k,
        charges: 1,
        tokens: d("6"),
    }));
    days.sort_by_key(|x| x.day);
    m.pairs.push(PairCharges {
        user: 0,
        product: 0,
        days,
    });
    let f = forecast(
        &m,
        &Forecast {
            history_days: 365,
            growth_per_year: d("0.05"),
        },
    );
    assert_eq!(f.window_days, 365);
    assert_eq!(f.window_start, Some(10_365));
    assert_eq!(f.pairs.len(), 1);
    assert_eq!(f.pairs[0].window_charges, 100);
    assert_eq!(f.pairs[0].days, d("105"));
    assert_eq!(f.pairs[0].tokens, d("630"));

    // A span shorter than the history: 10 charges in 100 days → 36.5 a year.
    let short = Metered {
        products: vec!["ACD".into()],
        pairs: vec![PairCharges {
            user: 0,
            product: 0,
            days: (0..10)
                .map(|k| DayCharge {
                    day: 11 * k,
                    charges: 1,
                    tokens: d("10"),
                })
                .collect(),
        }],
        ..Metered::default()
    };
    let f = forecast(
        &short,
        &Forecast {
            history_days: 365,
            growth_per_year: Decimal::ZERO,
        },
    );
    assert_eq!(f.window_days, 100);
    assert_eq!(f.pairs[0].days, d("36.5"));
    assert_eq!(f.pairs[0].tokens, d("365"));
}

#[test]
fn crossover_is_exact_and_displays_two_places() {
    let sc = scenario(
        &[("ACD", "6"), ("RVT", "10")],
        &[
            ("ACD", "2030.00", &["ACD"]),
            ("AEC", "3675.00", &["ACD", "RVT"]),
        ],
        flat("3.00"),
    );
    let m = metered(&["ACD", "RVT"], &[(0, 0, 10, "6")]);
    let input = PlanInput::new(&m, &usage(&["ann"]), &sc).unwrap();
    let table = crossover(&input, d("3.00"));
    assert_eq!(table.len(), 3);
    assert_eq!(
        (table[0].subscription.as_str(), table[0].product.as_str()),
        ("ACD", "ACD")
    );
    let per_year = table[0].days_per_year.unwrap();
    assert_eq!(per_year * d("18"), d("2030"));
    let json = serde_json::to_value(RecommendReport::new(
        &input,
        &optimise_default(&input).unwrap(),
        &baselines(&input, &Schedule::flat(d("3.00"))),
    ))
    .unwrap();
    let c = &json["crossover"][0];
    assert_eq!(c["subscription"], "ACD");
    assert_eq!(c["product"], "ACD");
    assert_eq!(c["days_per_year"], "112.78");
    assert_eq!(c["days_per_month"], "9.40");
    // The collection, per product as if used alone: 3675 / 30 = 122.50.
    assert_eq!(json["crossover"][2]["subscription"], "AEC");
    assert_eq!(json["crossover"][2]["product"], "RVT");
    assert_eq!(json["crossover"][2]["days_per_year"], "122.50");
    assert_eq!(json["crossover"][2]["days_per_month"], "10.21");
}

#[test]
fn rule_of_thumb_twelve_token_days_a_month() {
    // 6 tokens a day at $3 = $18 a day; 12 days a month = 144 a year = $2592.
    let sc = scenario(&[("ACD", "6")], &[("ACD", "2592", &["ACD"])], flat("3"));
    // Use-days a year: 13/month = 156, 12/month = 144 (a tie), 4/month = 48.
    let mut m = metered(
        &["ACD"],
        &[(0, 0, 156, "6"), (1, 0, 144, "6"), (2, 0, 48, "6")],
    );
    anchor(&mut m, 2, 0, "6");
    let u = usage(&["heavy", "even", "light"]);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    // The anchor charge adds one day to "light": 49 days.
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.method, Method::PerUser);
    let plan = |name: &str| {
        let i = input.users.iter().position(|x| x.name == name).unwrap();
        input
            .subscriptions
            .iter()
            .enumerate()
            .filter(|(s, _)| rec.picks[i].mask & (1 << s) != 0)
            .map(|(_, s)| s.code.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(plan("heavy"), vec!["ACD".to_string()]);
    assert!(plan("even").is_empty(), "a tie goes to fewer subscriptions");
    assert!(plan("light").is_empty());
    // 2592 + (144 + 49) days × 18.
    assert_eq!(rec.total_cost, d("2592") + d("193") * d("18"));
    assert_eq!(rec.seats, vec![1]);
}

#[test]
fn ties_go_to_fewer_subscriptions_then_codes() {
    // Two singles summing to the collection's price, and two equal singles.
    let sc = scenario(
        &[("ACD", "1"), ("RVT", "1")],
        &[
            ("A1", "100", &["ACD"]),
            ("AEC", "300", &["ACD", "RVT"]),
            ("B1", "100", &["ACD"]),
            ("R1", "200", &["RVT"]),
        ],
        flat("10"),
    );
    let mut m = metered(
        &["ACD", "RVT"],
        &[(0, 0, 200, "1"), (0, 1, 200, "1"), (1, 0, 200, "1")],
    );
    anchor(&mut m, 0, 0, "1");
    let input = PlanInput::new(&m, &usage(&["both", "acd"]), &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    let codes = |i: usize| input.plan_codes(rec.picks[i].mask);
    assert_eq!(input.users[0].name, "acd");
    assert_eq!(codes(0), vec!["A1"], "A1 and B1 tie: lexicographic");
    assert_eq!(codes(1), vec!["AEC"], "AEC ties A1+R1: fewer subscriptions");
    assert_eq!(rec.total_cost, d("400"));
}

#[test]
fn pins_and_seat_limits_are_honoured() {
    let mut sc = scenario(&[("ACD", "6")], &[("ACD", "2030", &["ACD"])], flat("3"));
    // Use-days: 200, 180, 160 (all above the 112.78 crossover), 20, 10.
    let mut m = metered(
        &["ACD"],
        &[
            (0, 0, 200, "6"),
            (1, 0, 180, "6"),
            (2, 0, 160, "6"),
            (3, 0, 20, "6"),
            (4, 0, 10, "6"),
        ],
    );
    anchor(&mut m, 4, 0, "6"); // e has 11 days
    let u = usage(&["a", "b", "c", "d", "e"]);
    let free = optimise_default(&PlanInput::new(&m, &u, &sc).unwrap()).unwrap();
    assert_eq!(free.seats, vec![3]);

    sc.constraints.max_seats.insert("ACD".into(), 2);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.seats, vec![2]);
    // c (160 days) loses least by giving the seat up.
    assert_eq!(rec.picks[2].mask, 0);
    assert_eq!(rec.total_cost, d("2030") * d("2") + d("191") * d("18"));

    sc.constraints.max_seats.clear();
    sc.constraints.min_seats.insert("ACD".into(), 4);
    let rec = optimise_default(&PlanInput::new(&m, &u, &sc).unwrap()).unwrap();
    assert_eq!(rec.seats, vec![4]);
    assert_eq!(
        rec.picks[3].mask, 1,
        "d (20 days) loses least by taking one"
    );
    assert_eq!(rec.total_cost, d("2030") * d("4") + d("11") * d("18"));

    sc.constraints.min_seats.clear();
    sc.constraints.pinned.insert("A".into(), vec![]);
    sc.constraints.pinned.insert("e".into(), vec!["ACD".into()]);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(
        rec.picks[0].mask, 0,
        "a is pinned to tokens (case-insensitive)"
    );
    assert_eq!(rec.picks[4].mask, 1, "e is pinned to ACD");
    assert_eq!(rec.seats, vec![3]);

    // Pins that break a limit are refused, not silently violated.
    sc.constraints.max_seats.insert("ACD".into(), 0);
    assert!(matches!(
        PlanInput::new(&m, &u, &sc),
        Err(PlanError::Constraint(_))
    ));
}

#[test]
fn switching_threshold_keeps_the_current_plan_below_it() {
    let mut sc = scenario(&[("ACD", "6")], &[("ACD", "2030", &["ACD"])], flat("3"));
    // 107 days × $18 = $1926: tokens save $104 a year over the seat.
    let mut m = metered(&["ACD"], &[(0, 0, 106, "6")]);
    anchor(&mut m, 0, 0, "6");
    let mut u = usage(&["holder"]);
    u.assignments.push((0, "ACD".into()));
    sc.constraints.switching_threshold = d("200");
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.picks[0].mask, 1, "saving 104 < 200: keep ACD");
    assert_eq!(rec.total_cost, d("2030"));

    sc.constraints.switching_threshold = d("104");
    let rec = optimise_default(&PlanInput::new(&m, &u, &sc).unwrap()).unwrap();
    assert_eq!(rec.picks[0].mask, 0, "saving 104 ≥ 104: move to tokens");
    assert_eq!(rec.total_cost, d("1926"));
}

#[test]
fn current_baseline_and_double_dips_from_assignments() {
    let sc = scenario(
        &[("ACD", "6"), ("RVT", "10")],
        &[("ACD", "2030", &["ACD"]), ("AEC", "3675", &["ACD", "RVT"])],
        flat("3"),
    );
    // ann: ACD 3 days, RVT 2 days, holds ACD. bob: RVT 4 days, holds AEC.
    // cid: ACD 1 day, no seat. dan holds ACD but used nothing.
    let mut m = Metered {
        products: vec!["ACD".into(), "RVT".into()],
        ..Metered::default()
    };
    let pair = |user, product, days: &[i32], rate: &str| PairCharges {
        user,
        product,
        days: days
            .iter()
            .map(|&day| DayCharge {
                day,
                charges: 1,
                tokens: d(rate),
            })
            .collect(),
    };
    // Day 20454 = 2026-01-01; window = 2026-01-01..2026-12-31 (365 days).
    m.pairs.push(pair(0, 0, &[20454, 20500, 20818], "6"));
    m.pairs.push(pair(0, 1, &[20500, 20501], "10"));
    m.pairs
        .push(pair(1, 1, &[20454, 20600, 20601, 20602], "10"));
    m.pairs.push(pair(2, 0, &[20700], "6"));
    let mut u = usage(&["ann", "bob", "cid", "dan"]);
    u.assignments = vec![(0, "ACD".into()), (1, "AEC".into()), (3, "ACD".into())];

    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let base = baselines(&input, &Schedule::flat(d("3")));
    let current = base.current.clone().unwrap();
    // Seats 2030 + 3675 + 2030; tokens: ann's RVT 20 + cid's ACD 6 = 26 × 3.
    assert_eq!(current.subscription_cost, d("7735"));
    assert_eq!(current.tokens_needed, d("26"));
    assert_eq!(current.total_cost, d("7813"));
    assert_eq!(current.seats, vec![2, 1]);
    // All tokens: 18 + 20 + 40 + 6 = 84 tokens × 3.
    assert_eq!(base.all_tokens.total_cost, d("252"));
    // All subscriptions: ann AEC, bob AEC, cid ACD; dan used nothing.
    assert_eq!(base.all_subscriptions.total_cost, d("9380"));

    // The audit's double-dip list (one implementation of the concept).
    let dips = double_dips(&charge_rows(&u, &m), &u, &sc, d("3")).rows;
    let rows: Vec<(String, String, String, String)> = dips
        .iter()
        .map(|x| {
            (
                x.user.clone(),
                x.product.clone(),
                x.date.to_string(),
                x.subscription.clone(),
            )
        })
        .collect();
    let want = [
        ("ann", "ACD", "2026-01-01", "ACD"),
        ("ann", "ACD", "2026-02-16", "ACD"),
        ("ann", "ACD", "2026-12-31", "ACD"),
        ("bob", "RVT", "2026-01-01", "AEC"),
        ("bob", "RVT", "2026-05-27", "AEC"),
        ("bob", "RVT", "2026-05-28", "AEC"),
        ("bob", "RVT", "2026-05-29", "AEC"),
    ];
    assert_eq!(
        rows,
        want.iter()
            .map(|(a, b, c, e)| (a.to_string(), b.to_string(), c.to_string(), e.to_string()))
            .collect::<Vec<_>>()
    );

    // The report carries the current baseline and each user's current plan.
    let rec = optimise_default(&input).unwrap();
    let report = RecommendReport::new(&input, &rec, &base);
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["baselines"]["current"], "7813.00");
    assert_eq!(json["baselines"]["all_tokens"], "252.00");
    assert_eq!(json["baselines"]["all_subscriptions"], "9380.00");
    assert_eq!(json["total_annual_cost"], "252.00");
    assert_eq!(json["seats"]["ACD"], 0);
    assert_eq!(json["seats"]["AEC"], 0);
    assert_eq!(json["users"][0]["user"], "ann");
    assert_eq!(json["users"][0]["current_plan"][0], "ACD");
    assert_eq!(json["users"][0]["annual_cost"], "114.00");
    assert_eq!(json["users"][0]["current_annual_cost"], "2090.00");
    assert_eq!(json["users"][0]["token_products"]["ACD"], "3.00");
    assert_eq!(json["users"][0]["token_products"]["RVT"], "2.00");
    assert_eq!(json["users"][3]["user"], "dan");
    assert_eq!(json["users"][3]["saving"], "2030.00");

    let mut csv = Vec::new();
    report.write_reassignment_csv(&mut csv).unwrap();
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "user,current_plan,recommended_plan,forecast_days,current_annual_cost,recommended_annual_cost,saving\n\
         bob,AEC,tokens,RVT=4.00,3675.00,120.00,3555.00\n\
         dan,ACD,tokens,,2030.00,0.00,2030.00\n\
         ann,ACD,tokens,ACD=3.00;RVT=2.00,2090.00,114.00,1976.00\n\
         cid,tokens,tokens,ACD=1.00,18.00,18.00,0.00\n"
    );
}

#[test]
fn report_json_has_the_spec_shape() {
    let sc = scenario(
        &[("ACD", "6"), ("RVT", "10")],
        &[
            ("ACD", "2030.00", &["ACD"]),
            ("AEC", "3675.00", &["ACD", "RVT"]),
        ],
        flat("3.00"),
    );
    let mut m = metered(&["ACD", "RVT"], &[(0, 0, 200, "6"), (1, 1, 5, "10")]);
    anchor(&mut m, 0, 0, "6");
    let input = PlanInput::new(&m, &usage(&["ann", "bob"]), &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    let base = baselines(&input, &rec.schedule);
    let json = serde_json::to_value(RecommendReport::new(&input, &rec, &base)).unwrap();
    for key in [
        "users",
        "seats",
        "annual_tokens",
        "token_price",
        "total_annual_cost",
        "crossover",
        "baselines",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert!(json["baselines"].get("current").is_none());
    assert_eq!(json["users"][0]["user"], "ann");
    assert_eq!(json["users"][0]["subscriptions"][0], "ACD");
    assert_eq!(json["users"][0]["annual_cost"], "2030.00");
    assert!(
        json["users"][0]["token_products"]
            .as_object()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        json["users"][1]["subscriptions"].as_array().unwrap().len(),
        0
    );
    assert_eq!(json["users"][1]["token_products"]["RVT"], "5.00");
    assert_eq!(json["users"][1]["annual_cost"], "150.00");
    assert_eq!(json["seats"]["ACD"], 1);
    assert_eq!(json["annual_tokens"], "50.00");
    assert_eq!(json["token_price"], "3.00");
    assert_eq!(json["total_annual_cost"], "2180.00");
    assert_eq!(json["baselines"]["all_tokens"], "3768.00");
}

#[test]
fn all_units_tiers_buy_up_to_a_cheaper_floor() {
    let tiers = TokenPrice::Tiers {
        mode: TierMode::AllUnits,
        tiers: vec![
            Tier {
                from: 0,
                price: d("3"),
            },
            Tier {
                from: 1000,
                price: d("2"),
            },
        ],
    };
    // 150 days × 6 = 900 tokens: $2700 at tier 1, or 1000 tokens for $2000.
    let sc = scenario(&[("ACD", "6")], &[("ACD", "2500", &["ACD"])], tiers);
    let mut m = metered(&["ACD"], &[(0, 0, 149, "6")]);
    anchor(&mut m, 0, 0, "6");
    let input = PlanInput::new(&m, &usage(&["ann"]), &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.picks[0].mask, 0);
    assert_eq!(rec.tokens_needed, d("900"));
    assert_eq!(rec.purchase.tokens, d("1000"));
    assert_eq!(rec.purchase.cost, d("2000"));
    assert_eq!(rec.total_cost, d("2000"));
    assert_eq!(rec.unit_price, d("2"));

    // Incremental: 900 tokens are all in the first bracket.
    let s = Schedule::new(&TokenPrice::Tiers {
        mode: TierMode::Incremental,
        tiers: vec![
            Tier {
                from: 0,
                price: d("3"),
            },
            Tier {
                from: 1000,
                price: d("2"),
            },
        ],
    })
    .unwrap();
    assert_eq!(s.cost_of_need(d("900")).cost, d("2700"));
    assert_eq!(s.cost_of_need(d("1500")).cost, d("4000"));
    assert!(
        Schedule::new(&TokenPrice::Tiers {
            mode: TierMode::AllUnits,
            tiers: vec![]
        })
        .is_err()
    );
}

#[test]
fn local_search_starts_from_every_tier_plan() {
    // 60 light users (2 days × 6 = 12 tokens, seat $30) and 10 heavy ones
    // (100 tokens, seat $150); tokens $3, or $2 each from 1000 tokens.
    // Tier 1's plan (everyone subscribed) costs 3300 and no single move
    // helps it; from tier 2's plan (light users on tokens, 720 tokens bought
    // up to 1000) moving three heavy users reaches 1020 tokens: 7 × 150 +
    // 1020 × 2 = 3090, the optimum. 70 users: beyond the exact search.
    let tiers = TokenPrice::Tiers {
        mode: TierMode::AllUnits,
        tiers: vec![
            Tier {
                from: 0,
                price: d("3"),
            },
            Tier {
                from: 1000,
                price: d("2"),
            },
        ],
    };
    let sc = scenario(
        &[("L", "6"), ("H", "50")],
        &[("LS", "30", &["L"]), ("HS", "150", &["H"])],
        tiers,
    );
    let names: Vec<String> = (0..70).map(|i| format!("u{i:02}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let rows: Vec<(u32, u16, u32, &str)> = (0..70u32)
        .map(|i| {
            if i < 60 {
                (i, 0, 2, "6")
            } else {
                (i, 1, 2, "50")
            }
        })
        .collect();
    let mut m = metered(&["L", "H"], &rows);
    // Anchor the window with a free charge on day 0.
    m.pairs[0].days.insert(
        0,
        DayCharge {
            day: 0,
            charges: 1,
            tokens: Decimal::ZERO,
        },
    );
    let input = PlanInput::new(&m, &usage(&refs), &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.method, Method::LocalSearch);
    assert_eq!(rec.total_cost, d("3090"));
    assert_eq!(rec.seats, vec![7, 0], "HS, LS in code order");
    assert_eq!(rec.purchase.tokens, d("1020"));

    // At most 5 heavy seats: tier 2's plan moves the 5 heavy users who lose
    // least to tokens (all equal: first by name), 720 + 500 = 1220 tokens at
    // $2 + 5 × 150 = 3190, which no allowed single move improves.
    let mut sc = sc;
    sc.constraints.max_seats.insert("HS".into(), 5);
    let input = PlanInput::new(&m, &usage(&refs), &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.seats, vec![5, 0]);
    assert_eq!(rec.total_cost, d("3190"));
    assert_eq!(rec.purchase.tokens, d("1220"));
}

#[test]
fn cost_curve_marks_the_optimum_at_the_recommended_seats() {
    let sc = scenario(&[("ACD", "6")], &[("ACD", "2030", &["ACD"])], flat("3"));
    let mut m = metered(
        &["ACD"],
        &[(0, 0, 200, "6"), (1, 0, 150, "6"), (2, 0, 50, "6")],
    );
    anchor(&mut m, 0, 0, "6");
    let input = PlanInput::new(&m, &usage(&["a", "b", "c"]), &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    let curve = cost_curve(&input, &rec, 0).unwrap();
    let costs: Vec<Decimal> = curve.points.iter().map(|p| p.total_cost).collect();
    // 0 seats: 401 days × 18; a (201 days) first, then b, then c.
    assert_eq!(
        costs,
        vec![
            d("7218"),
            d("2030") + d("200") * d("18"),
            d("4060") + d("50") * d("18"),
            d("6090"),
        ]
    );
    assert_eq!(curve.optimum, 2);
    assert_eq!(curve.recommended_seats, 2);
    assert_eq!(curve.order, vec!["a", "b", "c"]);
    assert_eq!(curve.points[curve.optimum].total_cost, rec.total_cost);
}

// ---- exhaustive comparison on random small instances ----

#[derive(Clone, Debug)]
struct Case {
    /// Per user, per product: use-days (0 = unused).
    days: Vec<Vec<u32>>,
    rates: Vec<u32>,
    /// Per subscription: price, covered products bitmask.
    subs: Vec<(u32, u32)>,
    price: TokenPrice,
}

fn case(tiered: Option<TierMode>) -> impl Strategy<Value = Case> {
    (1usize..=3, 1usize..=3).prop_flat_map(move |(np, ns)| {
        let full = (1u32 << np) - 1;
        (
            prop::collection::vec(
                prop::collection::vec(prop_oneof![Just(0u32), 1u32..250], np),
                1..=8,
            ),
            prop::collection::vec(prop_oneof![Just(6u32), Just(10u32), 1u32..20], np),
            prop::collection::vec((100u32..6000, 1u32..=full), ns),
            (100u32..500, 0u32..4000, 0u32..100, 0u32..100),
        )
            .prop_map(move |(days, rates, mut subs, (p0, f1, cut1, cut2))| {
                // The first subscription is a collection covering everything.
                subs[0].1 = full;
                let price = match tiered {
                    None => TokenPrice::Flat(Decimal::new(i64::from(p0), 2)),
                    Some(mode) => {
                        let p1 = p0 - p0 * cut1 / 200;
                        let p2 = p1 - p1 * cut2 / 200;
                        TokenPrice::Tiers {
                            mode,
                            tiers: vec![
                                Tier {
                                    from: 0,
                                    price: Decimal::new(i64::from(p0), 2),
                                },
                                Tier {
                                    from: u64::from(f1) + 1,
                                    price: Decimal::new(i64::from(p1), 2),
                                },
                                Tier {
                                    from: u64::from(f1) * 3 + 2,
                                    price: Decimal::new(i64::from(p2), 2),
                                },
                            ],
                        }
                    }
                };
                Case {
                    days,
                    rates,
                    subs,
                    price,
                }
            })
    })
}

fn build(c: &Case) -> (Metered, Usage, Scenario) {
    let codes: Vec<String> = (0..c.rates.len()).map(|i| format!("P{i}")).collect();
    let names: Vec<String> = (0..c.days.len()).map(|i| format!("u{i}")).collect();
    let mut u = Usage::default();
    for n in &names {
        u.users.intern(n);
    }
    let mut m = Metered {
        products: codes.clone(),
        ..Metered::default()
    };
    for (ui, row) in c.days.iter().enumerate() {
        for (pi, &n) in row.iter().enumerate() {
            if n == 0 {
                continue;
            }
            m.pairs.push(PairCharges {
                user: ui as u32,
                product: pi as u16,
                days: (0..n)
                    .rev()
                    .map(|k| DayCharge {
                        day: 364 - k as i32,
                        charges: 1,
                        tokens: Decimal::from(c.rates[pi]),
                    })
                    .collect(),
            });
        }
    }
    // A whole-year window: a free charge on day 0 for a sentinel user.
    let sentinel = u.users.intern("zz-sentinel");
    m.pairs.push(PairCharges {
        user: sentinel,
        product: 0,
        days: vec![DayCharge {
            day: 0,
            charges: 1,
            tokens: Decimal::ZERO,
        }],
    });
    let prods: Vec<(String, String)> = codes
        .iter()
        .zip(&c.rates)
        .map(|(p, r)| (p.clone(), r.to_string()))
        .collect();
    let prod_refs: Vec<(&str, &str)> = prods
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let sub_rows: Vec<(String, String, Vec<&str>)> = c
        .subs
        .iter()
        .enumerate()
        .map(|(i, (p, cov))| {
            (
                format!("S{i}"),
                p.to_string(),
                (0..codes.len())
                    .filter(|k| cov & (1 << k) != 0)
                    .map(|k| codes[k].as_str())
                    .collect(),
            )
        })
        .collect();
    let sub_refs: Vec<(&str, &str, &[&str])> = sub_rows
        .iter()
        .map(|(a, b, c)| (a.as_str(), b.as_str(), c.as_slice()))
        .collect();
    let sc = scenario(&prod_refs, &sub_refs, c.price.clone());
    (m, u, sc)
}

/// Per user, every subset of every subscription: (mask, price, uncovered tokens).
fn options(c: &Case) -> Vec<Vec<(u32, Decimal, Decimal)>> {
    c.days
        .iter()
        .map(|row| {
            (0..1u32 << c.subs.len())
                .map(|mask| {
                    let mut price = Decimal::ZERO;
                    let mut covers = 0u32;
                    for (i, (p, cov)) in c.subs.iter().enumerate() {
                        if mask & (1 << i) != 0 {
                            price += Decimal::from(*p);
                            covers |= cov;
                        }
                    }
                    let tokens: Decimal = row
                        .iter()
                        .enumerate()
                        .filter(|(pi, _)| covers & (1 << pi) == 0)
                        .map(|(pi, &n)| Decimal::from(n) * Decimal::from(c.rates[pi]))
                        .sum();
                    (mask, price, tokens)
                })
                .collect()
        })
        .collect()
}

/// The cheapest option at price `p`; ties to fewer subscriptions, then
/// the lexicographically smaller list of subscription indices.
fn tie_min(opts: &[(u32, Decimal, Decimal)], p: Decimal) -> (u32, Decimal, Decimal) {
    let bits = |m: u32| (0..32).filter(move |i| m & (1 << i) != 0);
    *opts
        .iter()
        .min_by(|a, b| {
            (a.1 + p * a.2)
                .cmp(&(b.1 + p * b.2))
                .then(a.0.count_ones().cmp(&b.0.count_ones()))
                .then_with(|| bits(a.0).cmp(bits(b.0)))
        })
        .unwrap()
}

/// Raw tier definitions: what buying exactly `q` tokens costs.
fn raw_price(price: &TokenPrice, q: Decimal) -> Decimal {
    match price {
        TokenPrice::Flat(p) => *p * q,
        TokenPrice::Tiers { mode, tiers } => match mode {
            TierMode::AllUnits => {
                let t = tiers
                    .iter()
                    .rev()
                    .find(|t| Decimal::from(t.from) <= q)
                    .unwrap();
                t.price * q
            }
            TierMode::Incremental => {
                let mut cost = Decimal::ZERO;
                for (i, t) in tiers.iter().enumerate() {
                    let lo = if i == 0 {
                        Decimal::ZERO
                    } else {
                        Decimal::from(t.from)
                    };
                    let hi = tiers.get(i + 1).map_or(q, |n| Decimal::from(n.from).min(q));
                    if hi > lo {
                        cost += t.price * (hi - lo);
                    }
                }
                cost
            }
        },
    }
}

/// Cheapest purchase of at least `need` tokens: the need or a higher floor.
fn raw_need(price: &TokenPrice, need: Decimal) -> Decimal {
    let mut best = raw_price(price, need);
    if let TokenPrice::Tiers { tiers, .. } = price {
        for t in tiers {
            let f = Decimal::from(t.from);
            if f > need {
                best = best.min(raw_price(price, f));
            }
        }
    }
    best
}

/// Exhaustive search over all assignments of subsets to users, combined
/// through Pareto-minimal (subscription cost, tokens) pairs — exact because
/// the total only grows with either.
fn exhaustive(c: &Case) -> Decimal {
    let mut frontier = vec![(Decimal::ZERO, Decimal::ZERO)];
    for opts in options(c) {
        let mut next: Vec<(Decimal, Decimal)> = frontier
            .iter()
            .flat_map(|&(s, t)| opts.iter().map(move |&(_, p, u)| (s + p, t + u)))
            .collect();
        next.sort();
        next.dedup();
        frontier = next
            .iter()
            .filter(|a| !next.iter().any(|b| b != *a && b.0 <= a.0 && b.1 <= a.1))
            .copied()
            .collect();
    }
    frontier
        .iter()
        .map(|&(s, t)| s + raw_need(&c.price, t))
        .min()
        .unwrap()
}

/// SPEC §4's per-tier evaluation: each user's cheapest subset at each tier
/// price; the tier costs its floor's worth of tokens when short of it.
fn per_tier(c: &Case) -> Decimal {
    let TokenPrice::Tiers { mode, tiers } = &c.price else {
        unreachable!()
    };
    let opts = options(c);
    tiers
        .iter()
        .map(|tier| {
            let (mut s, mut t) = (Decimal::ZERO, Decimal::ZERO);
            for o in &opts {
                let best = tie_min(o, tier.price);
                s += best.1;
                t += best.2;
            }
            let q = t.max(Decimal::from(tier.from));
            s + match mode {
                TierMode::AllUnits => tier.price * q,
                TierMode::Incremental => raw_price(&c.price, q),
            }
        })
        .min()
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn flat_price_is_the_exact_optimum(c in case(None)) {
        let (m, u, sc) = build(&c);
        let input = PlanInput::new(&m, &u, &sc).unwrap();
        let rec = optimise_default(&input).unwrap();
        prop_assert_eq!(rec.total_cost, exhaustive(&c));
        // Per user, the choice is the cheapest subset, ties to fewer then codes.
        let TokenPrice::Flat(p) = c.price else { unreachable!() };
        for (ui, opts) in options(&c).iter().enumerate() {
            let best = tie_min(opts, p);
            let i = input.users.iter().position(|x| x.name == format!("u{ui}"));
            match i {
                Some(i) => prop_assert_eq!(rec.picks[i].mask, best.0),
                None => prop_assert_eq!(best.0, 0),
            }
        }
    }

    #[test]
    fn tiers_never_worse_than_per_tier_and_near_exhaustive(
        c in prop_oneof![case(Some(TierMode::AllUnits)), case(Some(TierMode::Incremental))]
    ) {
        let (m, u, sc) = build(&c);
        let input = PlanInput::new(&m, &u, &sc).unwrap();
        let rec = optimise(&input, &c.price).unwrap();
        let best = exhaustive(&c);
        prop_assert!(rec.total_cost <= per_tier(&c));
        prop_assert!(rec.total_cost >= best);
        prop_assert!(rec.total_cost * d("1000") <= best * d("1005"));
        // The plan's own figures add up.
        let s: Decimal = rec.picks.iter().map(|p| p.subscription_cost).sum();
        prop_assert_eq!(rec.total_cost, s + rec.purchase.cost);
    }
}

/// The bundled sample, two users checked by hand from the raw CSV (New York
/// dates, window 2025-01-02..2026-01-01 = 365 days, growth 5%):
/// - u00012 used MAX on 45 dates (8 tokens) and RVT on 5 (11 tokens after
///   2025-02-01): 47.25 and 5.25 forecast days, 378.00 + 57.75 tokens ×
///   3.00 = 1307.25 on tokens, against 1975.00 + 173.25 = 2148.25 with the
///   MAX seat held today: saves 841.00.
/// - u00018 used ACDMEP and NAVMAN on 92 dates (7 tokens) and RVT on 262:
///   forecast at the contract start's rates (RVT 11 since 2025-02-01, so
///   the days at 10 before it are priced at 11 too): 676.20 + 676.20 +
///   275.10 × 11 = 3026.10 tokens = 13135.50 on tokens today; the AEC
///   collection (3675.00) covers all three: saves 9460.50.
///
/// The total is the engine's (not checked by hand): 41607.30 tokens
/// needed, 41608 bought whole at 3.00, + 322410.00 of seats.
#[test]
fn sample_users_checked_by_hand() {
    let scenario = tokenplan::sample::scenario().unwrap();
    let (usage, _) = tokenplan::sample::usage(&scenario);
    let metered =
        tokenplan::meter::meter(&usage, &scenario, &tokenplan::progress::NoProgress).unwrap();
    let report = tokenplan::plan::recommend(&metered, &usage, &scenario).unwrap();
    let v = serde_json::to_value(&report).unwrap();
    let user = |name: &str| {
        v["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["user"] == name)
            .unwrap()
            .clone()
    };
    let u12 = user("u00012");
    assert_eq!(u12["subscriptions"], serde_json::json!([]));
    assert_eq!(u12["current_plan"], serde_json::json!(["MAX"]));
    assert_eq!(u12["forecast_days"]["MAX"], "47.25");
    assert_eq!(u12["forecast_days"]["RVT"], "5.25");
    assert_eq!(u12["annual_cost"], "1307.25");
    assert_eq!(u12["current_annual_cost"], "2148.25");
    assert_eq!(u12["saving"], "841.00");
    let u18 = user("u00018");
    assert_eq!(u18["subscriptions"], serde_json::json!(["AEC"]));
    assert_eq!(u18["forecast_tokens"]["RVT"], "3026.10");
    assert_eq!(u18["current_annual_cost"], "13135.50");
    assert_eq!(u18["annual_cost"], "3675.00");
    assert_eq!(u18["saving"], "9460.50");
    assert_eq!(v["tokens_needed"], "41607.30");
    assert_eq!(v["annual_tokens"], "41608.00");
    assert_eq!(v["total_annual_cost"], "447234.00");
}

// ---- money on the metering paths: forecast rates, pools, whole tokens ----

use tokenplan::usage::Session;

/// Usage from `(user, feature, UTC start "YYYY-MM-DD HH:MM", minutes,
/// draw)`; users are interned in the order `names` gives.
fn sessions(names: &[&str], rows: &[(&str, &str, &str, u32, u16)]) -> Usage {
    let mut u = usage(names);
    for &(user, feature, start, minutes, draw) in rows {
        let t = chrono::NaiveDateTime::parse_from_str(start, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp();
        let s = Session {
            start: t as u32,
            dur: minutes * 60,
            user: u.users.intern(user),
            feature: u.features.intern(feature),
            host: u.hosts.intern(user),
            draw,
            flags: 0,
        };
        u.sessions.push(s);
    }
    u
}

fn meter_all(u: &Usage, sc: &Scenario) -> Metered {
    tokenplan::meter::meter(u, sc, &tokenplan::progress::NoProgress).unwrap()
}

fn report_json(m: &Metered, u: &Usage, sc: &Scenario) -> serde_json::Value {
    serde_json::to_value(tokenplan::plan::recommend(m, u, sc).unwrap()).unwrap()
}

/// The reassignment CSV's `recommended_annual_cost` column added up.
fn csv_column_total(m: &Metered, u: &Usage, sc: &Scenario) -> (String, Decimal) {
    let report = tokenplan::plan::recommend(m, u, sc).unwrap();
    let mut bytes = Vec::new();
    report.write_reassignment_csv(&mut bytes).unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let sum = r.records().map(|row| d(&row.unwrap()[5])).sum::<Decimal>();
    (text, sum)
}

const RENEWAL: &str = r#"Scenario(
    version: 1,
    name: "renewal rate",
    currency: "USD",
    server_time_zone: "UTC",
    products: {
        "SIM": Product(name: "Simulation", rule: CalendarDay, rates: [
            Rate(from: "2020-01-01", tokens: "10"), Rate(from: "2025-07-01", tokens: "20"), Rate(from: "2027-01-01", tokens: "25")],
            features: ["SIM"]),
        "HR": Product(name: "Hourly", rule: Hourly, rates: [Rate(from: "2020-01-01", tokens: "3"), Rate(from: "2026-01-01", tokens: "4")], features: ["HR"]),
    },
    subscriptions: {
        "SIMSUB": Subscription(name: "Simulation seat", annual_price: "6000.00", covers: ["SIM"]),
    },
    token_price: Flat("1.00"),
    contract: Contract(start: "2026-01-01", years: 3, overage_price: "1.20", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "0"),
)"#;

#[test]
fn forecast_is_priced_at_the_renewal_rate_and_moves_the_user_to_a_seat() {
    // SPEC §4's worked example. ann uses SIM every day of 2025: 181 days
    // (January to June) at 10 tokens, 184 (July to December) at 20. The
    // history cost 1810 + 3680 = 5490 tokens; the contract starts on
    // 2026-01-01, when the rate is 20: the forecast is 365 × 20 = 7300
    // tokens, and at 1.00 a token the 6000 seat is cheaper than 7300.
    // (Priced at the history's rates, 5490 < 6000 would have kept tokens.)
    // bob used HR 90 minutes a day on 2025-12-22..31 at 3 an hour (4.5 a
    // day, 45 tokens): 15 hours, at the contract start's 4 an hour 60
    // tokens in the window; the window is the whole year (365 days).
    let sc = Scenario::from_ron(RENEWAL).unwrap();
    let mut rows: Vec<(String, &str, String, u32, u16)> = Vec::new();
    let mut day = date("2025-01-01");
    while day <= date("2025-12-31") {
        rows.push(("ann".into(), "SIM", format!("{day} 09:00"), 60, 0));
        if day >= date("2025-12-22") {
            rows.push(("bob".into(), "HR", format!("{day} 09:00"), 90, 0));
        }
        day = day.succ_opt().unwrap();
    }
    let refs: Vec<(&str, &str, &str, u32, u16)> = rows
        .iter()
        .map(|(u, f, s, m, dr)| (u.as_str(), *f, s.as_str(), *m, *dr))
        .collect();
    let u = sessions(&["ann", "bob"], &refs);
    let m = meter_all(&u, &sc);
    let history: Decimal = m.pairs.iter().map(|p| p.tokens()).sum();
    assert_eq!(
        history,
        d("5535"),
        "5490 SIM + 45 HR at the history's rates"
    );

    let f = tokenplan::plan::forecast_at(&m, &sc, sc.contract.start);
    assert_eq!(f.window_days, 365);
    assert_eq!(f.priced_on, Some(date("2026-01-01")));
    let sim = f.pairs.iter().find(|p| p.product == 1).unwrap();
    assert_eq!((sim.window_charges, sim.tokens), (365, d("7300")));
    let hr = f.pairs.iter().find(|p| p.product == 0).unwrap();
    assert_eq!((hr.window_charges, hr.tokens), (10, d("60")));
    // Year 2 starts on 2027-01-01, when SIM costs 25: 365 × 25 = 9125.
    assert_eq!(
        tokenplan::plan::contract_year_start(&sc.contract, 2),
        Some(date("2027-01-01"))
    );
    let y2 = tokenplan::plan::forecast_year(&m, &sc, 2);
    assert_eq!(
        y2.pairs.iter().find(|p| p.product == 1).unwrap().tokens,
        d("9125")
    );
    assert_eq!(tokenplan::plan::forecast_year(&m, &sc, 1), f);

    let v = report_json(&m, &u, &sc);
    let ann = &v["users"][0];
    assert_eq!(ann["user"], "ann");
    assert_eq!(ann["forecast_tokens"]["SIM"], "7300.00");
    assert_eq!(ann["subscriptions"], serde_json::json!(["SIMSUB"]));
    assert_eq!(ann["annual_cost"], "6000.00");
    // The crossover at the same rate: 6000 / (20 × 1.00) = 300 days a year.
    assert_eq!(v["crossover"][0]["rate"], "20.00");
    assert_eq!(v["crossover"][0]["days_per_year"], "300.00");
    assert_eq!(v["crossover"][0]["days_per_month"], "25.00");
    // 6000 + bob's 60 tokens.
    assert_eq!(v["total_annual_cost"], "6060.00");
}

/// Token-days: `NX` (1 token a seat, 2 from the contract start) and `CAE`
/// (2) share the `DailyPeak` pool `TD`; `ACD` anchors the window. The seat
/// `NXS` lists NX, which a pool product cannot be covered by.
const TOKEN_DAYS: &str = r#"Scenario(
    version: 1,
    name: "token-days",
    currency: "EUR",
    server_time_zone: "UTC",
    products: {
        "ACD": Product(name: "AutoCAD", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "6")], features: ["ACD"]),
        "CAE": Product(name: "Simcenter", rule: DailyPeak(pool: "TD"), rates: [Rate(from: "2020-01-01", tokens: "2")], features: ["CAE"]),
        "NX": Product(name: "NX", rule: DailyPeak(pool: "TD"),
            rates: [Rate(from: "2020-01-01", tokens: "1"), Rate(from: "2025-01-01", tokens: "2")], features: ["NX"]),
    },
    subscriptions: {
        "NXS": Subscription(name: "NX seat", annual_price: "100.00", covers: ["NX"]),
    },
    token_price: Flat("50.00"),
    contract: Contract(start: "2025-01-01", years: 1, overage_price: "60", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "0"),
)"#;

#[test]
fn a_daily_peak_pool_is_bought_whole_at_the_forecast_rate() {
    // zed's ACD day on 2023-06-07 makes the window 2023-06-07..2024-06-05,
    // 365 days: scale 1. The pool TD, replayed with NX at the contract
    // start's 2 tokens (dan's checkout gave its own count, 3: kept):
    // - 06-03: ann NX 09–11 (2), bob CAE 10–12 (2), cy NX 13–14 (2): peak
    //   4 at 10–11; own peaks 2, 2, 2 (sum 6): bob and cy 4 × 2/6 =
    //   1.333333 each, ann (first of the equal largest) 4 − 2.666666 =
    //   1.333334.
    // - 06-04: ann NX 09–10 (2), bob CAE 14–15 (2): peak 2; bob 2 × 2/4 =
    //   1, ann 1.
    // - 06-05: ann NX 09–10 (2), dan NX 12–13 (3): peak 3; ann 3 × 2/5 =
    //   1.2, dan (largest) 1.8.
    // Pool 4 + 2 + 3 = 9 tokens (8 at the history's NX rate of 1: 3 + 2 +
    // 3); ann 3.533334, bob 2.333333, cy 1.333333, dan 1.8. With zed's 6
    // ACD tokens, 15 tokens at 50 = 750. The NX seat (100) would beat
    // ann's 3.533334 × 50 = 176.67 on tokens, but a seat does not shrink
    // a pool: the cover is ignored, with a warning, and there is no
    // crossover.
    let sc = Scenario::from_ron(TOKEN_DAYS).unwrap();
    let u = sessions(
        &["ann", "bob", "cy", "dan", "zed"],
        &[
            ("zed", "ACD", "2023-06-07 09:00", 60, 0),
            ("ann", "NX", "2024-06-03 09:00", 120, 0),
            ("bob", "CAE", "2024-06-03 10:00", 120, 0),
            ("cy", "NX", "2024-06-03 13:00", 60, 0),
            ("ann", "NX", "2024-06-04 09:00", 60, 0),
            ("bob", "CAE", "2024-06-04 14:00", 60, 0),
            ("ann", "NX", "2024-06-05 09:00", 60, 0),
            ("dan", "NX", "2024-06-05 12:00", 60, 3),
        ],
    );
    let m = meter_all(&u, &sc);
    assert_eq!(m.total().tokens, d("14"), "history: 6 ACD + 8 pool");
    let f = tokenplan::plan::forecast_at(&m, &sc, sc.contract.start);
    assert_eq!(f.window_days, 365);
    assert_eq!(f.peak_pools.len(), 1);
    assert_eq!(
        (f.peak_pools[0].window_tokens, f.peak_pools[0].tokens),
        (d("9"), d("9"))
    );
    // The same demand per day, as sizing resamples it: zed's 6, then the
    // pool's peaks at NX's contract-start rate.
    let rates = tokenplan::meter::Rates::new(&sc, &m.products);
    assert_eq!(
        rates.change_days(),
        vec![tokenplan::time::day_of_date(date("2025-01-01"))]
    );
    let start = tokenplan::time::day_of_date(sc.contract.start);
    let daily: Vec<(String, Decimal)> =
        tokenplan::meter::daily_tokens_at(&m, &rates, start, |_, _| true)
            .into_iter()
            .map(|(day, t)| (tokenplan::time::date_of_day(day).to_string(), t))
            .collect();
    assert_eq!(
        daily,
        vec![
            ("2023-06-07".to_string(), d("6")),
            ("2024-06-03".to_string(), d("4")),
            ("2024-06-04".to_string(), d("2")),
            ("2024-06-05".to_string(), d("3")),
        ]
    );
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let demand = |name: &str| {
        let user = input.users.iter().find(|x| x.name == name).unwrap();
        user.demand.iter().map(|x| x.tokens).sum::<Decimal>()
    };
    assert_eq!(demand("ann"), d("3.533334"));
    assert_eq!(demand("bob"), d("2.333333"));
    assert_eq!(demand("cy"), d("1.333333"));
    assert_eq!(demand("dan"), d("1.8"));
    assert!(
        input
            .warnings
            .iter()
            .any(|w| w.contains("NXS covers NX, a DailyPeak pool product")),
        "{:?}",
        input.warnings
    );
    let v = report_json(&m, &u, &sc);
    assert_eq!(v["seats"]["NXS"], 0);
    assert_eq!(v["crossover"], serde_json::json!([]));
    assert_eq!(v["tokens_needed"], "15.00");
    assert_eq!(v["annual_tokens"], "15.00");
    assert_eq!(v["total_annual_cost"], "750.00");
    assert_eq!(v["daily_peak_pools"][0]["pool"], "TD");
    assert_eq!(v["daily_peak_pools"][0]["forecast_tokens"], "9.00");
    // The users' lines add up to the total: ann 176.6667, bob 116.66665,
    // cy 66.66665, dan 90, zed 300 (exact). Rounded one by one they would
    // show 176.67 + 116.67 + 66.67 + 90.00 + 300.00 = 750.01; as rounded
    // running totals (176.67, 293.33, 360.00, 450.00, 750.00) they show
    // 176.67, 116.66, 66.67, 90.00, 300.00 = 750.00.
    let costs: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["annual_cost"].as_str().unwrap())
        .collect();
    assert_eq!(costs, vec!["176.67", "116.66", "66.67", "90.00", "300.00"]);
    let (_, sum) = csv_column_total(&m, &u, &sc);
    assert_eq!(sum, d("750.00"));
}

const POOLS: &str = r#"Scenario(
    version: 1,
    name: "pools",
    currency: "USD",
    server_time_zone: "UTC",
    products: {
        "ACD": Product(name: "AutoCAD", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "6")], features: ["ACD"]),
        "DOORS": Product(name: "DOORS", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["DOORS"]),
        "EWM": Product(name: "EWM", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["EWM"]),
        "SOLO": Product(name: "Solo", rule: Concurrent, rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["SOLO"]),
    },
    subscriptions: {
        "DOORSUB": Subscription(name: "DOORS seat", annual_price: "10.00", covers: ["DOORS"]),
    },
    token_price: Flat("3.00"),
    contract: Contract(start: "2025-01-01", years: 1, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "0.05"),
    pools: {"TLSTOK": Pool(price_per_token_year: "120.00")},
    sizing: Sizing(target_denial_rate: "0.10"),
)"#;

#[test]
fn a_concurrent_pool_is_one_priced_line() {
    // TLSTOK: ten users check out DOORS or EWM (1 token each) at once on
    // 2024-06-03 09:00–10:00: peak 10. At size 9 one checkout of ten is
    // denied (10% ≤ the 10% target), at 8 two (20%): size for the target
    // 9, × 1.05 = 9.45, rounded up: 10 tokens at 120 = 1200. SOLO: one
    // checkout, size 1 (none denied), × 1.05 = 1.05 → 2 tokens, no price:
    // costed at 0 and warned about. Nobody's token demand holds a pool
    // product (before, the pool showed as 365 × 10 tokens a year).
    // zed's ACD day on 2023-06-04 makes a 365-day window: 6 × 1.05 = 6.3
    // tokens, bought whole: 7 × 3.00 = 21.00, of which 0.7 tokens (2.10)
    // beyond the forecast. Total 21.00 + 1200.00 = 1221.00, and so is
    // every baseline (they buy the same pools).
    let sc = Scenario::from_ron(POOLS).unwrap();
    let mut rows: Vec<(String, &str, &str, u32, u16)> = (0..10)
        .map(|i| {
            let f = if i % 2 == 0 { "DOORS" } else { "EWM" };
            (format!("u{i}"), f, "2024-06-03 09:00", 60, 0)
        })
        .collect();
    rows.push(("zed".into(), "ACD", "2023-06-05 09:00", 60, 0));
    rows.push(("solo".into(), "SOLO", "2024-06-02 09:00", 60, 0));
    let refs: Vec<(&str, &str, &str, u32, u16)> = rows
        .iter()
        .map(|(a, b, c, e, f)| (a.as_str(), *b, *c, *e, *f))
        .collect();
    let u = sessions(&[], &refs);
    let m = meter_all(&u, &sc);
    let v = report_json(&m, &u, &sc);
    let users: Vec<&str> = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["user"].as_str().unwrap())
        .collect();
    assert_eq!(users, vec!["zed"]);
    assert_eq!(
        v["pools"],
        serde_json::json!([
            {"pool": "SOLO", "products": ["SOLO"], "peak": 1, "size_for_target": 1,
             "size": 2, "price": null, "cost": "0.00"},
            {"pool": "TLSTOK", "products": ["DOORS", "EWM"], "peak": 10, "size_for_target": 9,
             "size": 10, "price": "120.00", "cost": "1200.00"},
        ])
    );
    assert_eq!(v["pool_cost"], "1200.00");
    assert_eq!(v["tokens_needed"], "6.30");
    assert_eq!(v["annual_tokens"], "7.00");
    assert_eq!(v["token_cost"], "21.00");
    assert_eq!(v["tokens_beyond_forecast"]["tokens"], "0.70");
    assert_eq!(v["tokens_beyond_forecast"]["cost"], "2.10");
    assert_eq!(v["total_annual_cost"], "1221.00");
    assert_eq!(v["baselines"]["all_tokens"], "1221.00");
    assert_eq!(v["baselines"]["all_subscriptions"], "1221.00");
    assert_eq!(
        v["crossover"],
        serde_json::json!([]),
        "pool products have none"
    );
    let warnings = v["warnings"].as_array().unwrap();
    assert!(warnings.iter().any(|w| {
        w.as_str()
            .unwrap()
            .starts_with("pool SOLO has no price: sized at 2 tokens and costed at 0")
    }));
    assert!(warnings.iter().any(|w| {
        w.as_str()
            .unwrap()
            .contains("DOORSUB covers DOORS, a Concurrent pool product")
    }));
    let (text, sum) = csv_column_total(&m, &u, &sc);
    assert_eq!(
        text,
        "user,current_plan,recommended_plan,forecast_days,current_annual_cost,recommended_annual_cost,saving\n\
         zed,tokens,tokens,ACD=1.05,18.90,18.90,0.00\n\
         pool SOLO,,2 tokens,,0.00,0.00,0.00\n\
         pool TLSTOK,,10 tokens,,1200.00,1200.00,0.00\n\
         tokens bought beyond the forecast,,0.70 tokens,,,2.10,\n"
    );
    assert_eq!(sum, d("1221.00"));
}

#[test]
fn purchases_are_whole_tokens_or_packs_and_the_tier_follows_them() {
    let all_units = |tiers: &[(u64, &str)]| TokenPrice::Tiers {
        mode: TierMode::AllUnits,
        tiers: tiers
            .iter()
            .map(|&(from, price)| Tier {
                from,
                price: d(price),
            })
            .collect(),
    };
    // 900.4 tokens at 3: 901 whole tokens, 2703; in packs of 100: 1000, 3000.
    let flat = Schedule::flat(d("3"));
    let p = flat.cost_of_need(d("900.4"));
    assert_eq!((p.tokens, p.cost), (d("901"), d("2703")));
    let p = flat.clone().in_packs_of(Some(100)).cost_of_need(d("900.4"));
    assert_eq!((p.tokens, p.cost), (d("1000"), d("3000")));
    // 999.5 tokens, 3 each or 2.9 from 1000: the 1000 bought reach the
    // second tier, so every token costs 2.9: 2900.
    let s = Schedule::new(&all_units(&[(0, "3"), (1000, "2.9")])).unwrap();
    let p = s.cost_of_need(d("999.5"));
    assert_eq!(
        (p.tokens, p.bracket, p.price, p.cost),
        (d("1000"), 1, d("2.9"), d("2900"))
    );
    // Incremental: the same 1000 tokens are all below the second floor.
    let inc = Schedule::new(&TokenPrice::Tiers {
        mode: TierMode::Incremental,
        tiers: vec![
            Tier {
                from: 0,
                price: d("3"),
            },
            Tier {
                from: 1000,
                price: d("2"),
            },
        ],
    })
    .unwrap();
    assert_eq!(inc.cost_of_need(d("999.5")).cost, d("3000"));
    // A floor that is not a whole number of packs is bought up to the next
    // pack: floor 1050 in packs of 100 is 1100 at 2 = 2200. 500 tokens
    // (1500 at 3) stay; 900 (2700 at 3) buy 1100 for 2200.
    let s = Schedule::new(&all_units(&[(0, "3"), (1050, "2")]))
        .unwrap()
        .in_packs_of(Some(100));
    let p = s.cost_of_need(d("500"));
    assert_eq!((p.tokens, p.cost), (d("500"), d("1500")));
    let p = s.cost_of_need(d("900"));
    assert_eq!((p.tokens, p.cost), (d("1100"), d("2200")));
    assert_eq!(s.cost_of_need(Decimal::ZERO).tokens, Decimal::ZERO);
}

#[test]
fn the_scenario_pack_size_reaches_the_optimiser_and_the_lines_add_up() {
    // One user, 200 ACD days at 6 with 5% growth: 1260 tokens; packs of
    // 500: 1500 bought at 3.00 = 4500. ann's line 1260 × 3 = 3780.00, the
    // 240 tokens beyond the forecast 720.00: 4500.00.
    let mut sc = scenario(&[("ACD", "6")], &[], flat("3.00"));
    sc.contract.pack_size = Some(500);
    sc.forecast.growth_per_year = d("0.05");
    let mut m = metered(&["ACD"], &[(0, 0, 199, "6")]);
    anchor(&mut m, 0, 0, "6");
    let u = usage(&["ann"]);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.tokens_needed, d("1260"));
    assert_eq!(
        (rec.purchase.tokens, rec.purchase.cost),
        (d("1500"), d("4500"))
    );
    let v = report_json(&m, &u, &sc);
    assert_eq!(v["users"][0]["annual_cost"], "3780.00");
    assert_eq!(v["tokens_beyond_forecast"]["tokens"], "240.00");
    assert_eq!(v["tokens_beyond_forecast"]["cost"], "720.00");
    assert_eq!(v["total_annual_cost"], "4500.00");
    let (_, sum) = csv_column_total(&m, &u, &sc);
    assert_eq!(sum, d("4500.00"));
}

#[test]
fn the_crossover_is_at_the_marginal_price_of_the_plan() {
    // 250 ACD days × 6 = 1500 tokens, incremental tiers 3 then 2 from
    // 1000: 1000 × 3 + 500 × 2 = 4000 (the 5000 seat costs more). The
    // average is 4000 / 1500 = 2.67 a token, the marginal 2: the crossover
    // is 5000 / (6 × 2) = 416.67 days a year, 34.72 a month (at the
    // average it would be 312.50).
    let tiers = TokenPrice::Tiers {
        mode: TierMode::Incremental,
        tiers: vec![
            Tier {
                from: 0,
                price: d("3"),
            },
            Tier {
                from: 1000,
                price: d("2"),
            },
        ],
    };
    let sc = scenario(&[("ACD", "6")], &[("ACD", "5000", &["ACD"])], tiers);
    let mut m = metered(&["ACD"], &[(0, 0, 249, "6")]);
    anchor(&mut m, 0, 0, "6");
    let v = report_json(&m, &usage(&["ann"]), &sc);
    assert_eq!(v["total_annual_cost"], "4000.00");
    assert_eq!(v["token_price"], "2.67");
    assert_eq!(v["marginal_token_price"], "2.00");
    assert_eq!(v["crossover"][0]["token_price"], "2.00");
    assert_eq!(v["crossover"][0]["days_per_year"], "416.67");
    assert_eq!(v["crossover"][0]["days_per_month"], "34.72");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Whatever the prices, growth and pack size, the reassignment list's
    /// lines add up to the plan's total to the cent, the purchase is a
    /// whole number of packs covering the need, and the line beyond the
    /// forecast is what the purchase buys beyond the need.
    #[test]
    fn the_reassignment_lines_add_up_to_the_total(
        c in prop_oneof![case(None), case(Some(TierMode::AllUnits)), case(Some(TierMode::Incremental))],
        growth in 0u32..300,
        pack in prop_oneof![Just(None), (1u32..40).prop_map(Some)],
    ) {
        let (m, u, mut sc) = build(&c);
        sc.forecast.growth_per_year = Decimal::new(i64::from(growth), 3);
        sc.contract.pack_size = pack;
        let input = PlanInput::new(&m, &u, &sc).unwrap();
        let rec = optimise_default(&input).unwrap();
        let q = Decimal::from(pack.unwrap_or(1));
        prop_assert!(rec.purchase.tokens >= rec.tokens_needed);
        prop_assert!((rec.purchase.tokens / q).fract().is_zero());
        let report = RecommendReport::new(&input, &rec, &baselines(&input, &rec.schedule));
        let (text, sum) = csv_column_total(&m, &u, &sc);
        prop_assert_eq!(Fixed2(sum), report.total_annual_cost, "{}", text);
        let users: Decimal = report.users.iter().map(|x| x.annual_cost.0).sum();
        prop_assert_eq!(
            users + report.tokens_beyond_forecast.cost.0,
            report.total_annual_cost.0
        );
        prop_assert_eq!(
            report.tokens_beyond_forecast.tokens,
            Fixed2(rec.purchase.tokens - rec.tokens_needed)
        );
    }
}
