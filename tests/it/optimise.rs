//! Integration tests: the best-mix optimiser under constraints (SPEC §4) —
//! seat limits, pins and the switching threshold — against hand-computed
//! cases and against exhaustive search on small random instances.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tokenplan::meter::{DayCharge, Metered, PairCharges};
use tokenplan::plan::{
    Method, PlanError, PlanInput, RecommendReport, Schedule, Search, baselines, optimise_default,
    optimise_with,
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

/// A scenario with CalendarDay products `(code, rate)` and subscriptions
/// `(code, price, covers)`, a one-year window and no growth.
fn scenario(
    products: &[(&str, u32)],
    subs: &[(&str, u32, &[&str])],
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
                            tokens: Decimal::from(*rate),
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
                        annual_price: Decimal::from(*p),
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

/// A metered history over exactly the 365 days 0..=364: `(user, product,
/// use-days)` with each product's `rates`; use-days run back from day 364,
/// and user 0 has free charges of product 0 on days 0 and 364, so the
/// window is a whole year and forecast tokens are use-days × rate.
fn history(products: usize, rates: &[u32], rows: &[(u32, u16, u32)]) -> Metered {
    let mut m = Metered {
        products: (0..products).map(|i| format!("P{i}")).collect(),
        ..Metered::default()
    };
    for &(user, product, days) in rows {
        let rate = Decimal::from(rates[usize::from(product)]);
        m.pairs.push(PairCharges {
            user,
            product,
            days: (0..days)
                .rev()
                .map(|k| DayCharge {
                    day: 364 - k as i32,
                    charges: 1,
                    tokens: rate,
                })
                .collect(),
        });
    }
    let free = |day| DayCharge {
        day,
        charges: 1,
        tokens: Decimal::ZERO,
    };
    match m.pairs.iter_mut().find(|p| p.user == 0 && p.product == 0) {
        Some(p) => {
            p.days.insert(0, free(0));
            if p.days.last().is_none_or(|x| x.day != 364) {
                p.days.push(free(364));
            }
        }
        None => m.pairs.push(PairCharges {
            user: 0,
            product: 0,
            days: vec![free(0), free(364)],
        }),
    }
    m
}

fn users(names: &[&str]) -> Usage {
    let mut u = Usage::default();
    for n in names {
        u.users.intern(n);
    }
    u
}

/// The subscription codes of user `name`'s recommended plan.
fn plan_of(input: &PlanInput, rec: &tokenplan::plan::Recommendation, name: &str) -> Vec<String> {
    let i = input.users.iter().position(|u| u.name == name).unwrap();
    input.plan_codes(rec.picks[i].mask)
}

/// Products X and Y (1 token a use-day, $1 a token); XS covers X for $100,
/// YS covers Y for $100, the collection COL covers both for $150.
fn two_singles_and_a_collection() -> Scenario {
    scenario(
        &[("P0", 1), ("P1", 1)],
        &[
            ("COL", 150, &["P0", "P1"]),
            ("XS", 100, &["P0"]),
            ("YS", 100, &["P1"]),
        ],
        TokenPrice::Flat(d("1")),
    )
}

/// The 2-user case of issue 10: both users use X and Y 200 days a year.
/// Unconstrained each takes COL: 2 × 150 = 300. With at most one COL seat,
/// the other user's choices are: tokens 200 + 200 = 400; XS + Y's tokens
/// 100 + 200 = 300; YS + X's tokens 300; XS + YS 100 + 100 = 200. So the
/// optimum is 150 + 200 = 350 — not 150 + 300 = 450, which is all a search
/// that dropped XS + YS (beaten by COL when seats are free) can reach.
/// One limited subscription at one token price: the seat-price bound proves
/// it.
#[test]
fn a_capped_collection_leaves_two_single_seats() {
    let mut sc = two_singles_and_a_collection();
    let m = history(
        2,
        &[1, 1],
        &[(0, 0, 200), (0, 1, 200), (1, 0, 200), (1, 1, 200)],
    );
    let u = users(&["a", "b"]);
    let free = optimise_default(&PlanInput::new(&m, &u, &sc).unwrap()).unwrap();
    assert_eq!(free.total_cost, d("300"));
    assert_eq!(free.method, Method::PerUser);
    assert!(free.proven_optimal);

    sc.constraints.max_seats.insert("COL".into(), 1);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.total_cost, d("350"));
    assert_eq!(rec.seats, vec![1, 1, 1], "COL, XS, YS");
    let mut plans = vec![plan_of(&input, &rec, "a"), plan_of(&input, &rec, "b")];
    plans.sort();
    assert_eq!(plans, vec![vec!["COL"], vec!["XS", "YS"]]);
    assert_eq!(rec.method, Method::SeatPrices);
    assert!(rec.proven_optimal);
    // The heuristics alone reach it too, and say so.
    let alone = optimise_with(&input, &sc.token_price, Search { exact: false }).unwrap();
    assert_eq!(alone.total_cost, d("350"));
    assert!(alone.proven_optimal);
}

/// A minimum that a user who does not need the subscription meets best.
/// ACD ($2030) covers A (6 tokens a day, $3 a token: $18 a use-day); AEC
/// ($3675) covers A and R (10 tokens: $30 a use-day).
/// - a: A 200 days = 3600 on tokens → ACD (2030).
/// - b: R 150 days = 4500 on tokens → AEC (3675).
/// - c: A 20 days = 360 → tokens.
///
/// Free: 2030 + 3675 + 360 = 6065. With at least 2 AEC seats someone
/// takes a second: a from ACD to AEC loses 3675 − 2030 = 1645, c from
/// tokens loses 3675 − 360 = 3315, so a moves: 3675 × 2 + 360 = 7710.
/// (AEC is no plan a would take with free seats — ACD covers all a uses for
/// less — so a search that dropped it could only add AEC to a's ACD, losing
/// 3675, or move c: 9380.)
#[test]
fn a_minimum_moves_the_user_who_loses_least() {
    let mut sc = scenario(
        &[("P0", 6), ("P1", 10)],
        &[("ACD", 2030, &["P0"]), ("AEC", 3675, &["P0", "P1"])],
        TokenPrice::Flat(d("3")),
    );
    let m = history(2, &[6, 10], &[(0, 0, 200), (1, 1, 150), (2, 0, 20)]);
    let u = users(&["a", "b", "c"]);
    let free = optimise_default(&PlanInput::new(&m, &u, &sc).unwrap()).unwrap();
    assert_eq!(free.total_cost, d("6065"));

    sc.constraints.min_seats.insert("AEC".into(), 2);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.total_cost, d("7710"));
    assert_eq!(plan_of(&input, &rec, "a"), vec!["AEC"]);
    assert_eq!(plan_of(&input, &rec, "b"), vec!["AEC"]);
    assert!(plan_of(&input, &rec, "c").is_empty());
    assert!(rec.proven_optimal);

    // Three AEC seats: c takes the third (loses 3315), 3 × 3675 = 11025.
    sc.constraints.min_seats.insert("AEC".into(), 3);
    let rec = optimise_default(&PlanInput::new(&m, &u, &sc).unwrap()).unwrap();
    assert_eq!(rec.total_cost, d("11025"));
    assert_eq!(rec.seats, vec![0, 3]);
}

/// Pins with a cap. Users a, b, c all use X and Y 200 days (as in
/// [`a_capped_collection_leaves_two_single_seats`]); b is pinned to COL and
/// c to XS; at most one COL seat. b's pin takes it, so a's best without COL
/// is XS + YS (200; XS alone leaves Y's 200 tokens: 300). c pays XS and Y's
/// tokens: 100 + 200 = 300. Total 200 + 150 + 300 = 650.
#[test]
fn pinned_users_keep_their_pin_and_take_a_capped_seat() {
    let mut sc = two_singles_and_a_collection();
    let m = history(
        2,
        &[1, 1],
        &[
            (0, 0, 200),
            (0, 1, 200),
            (1, 0, 200),
            (1, 1, 200),
            (2, 0, 200),
            (2, 1, 200),
        ],
    );
    let u = users(&["a", "b", "c"]);
    sc.constraints.max_seats.insert("COL".into(), 1);
    sc.constraints.pinned.insert("b".into(), vec!["COL".into()]);
    sc.constraints.pinned.insert("c".into(), vec!["XS".into()]);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.total_cost, d("650"));
    assert_eq!(plan_of(&input, &rec, "a"), vec!["XS", "YS"]);
    assert_eq!(plan_of(&input, &rec, "b"), vec!["COL"]);
    assert_eq!(plan_of(&input, &rec, "c"), vec!["XS"]);
    assert_eq!(rec.seats, vec![1, 2, 1]);
    assert!(rec.proven_optimal);
}

/// A cap below today's holders overrides the switching threshold for as
/// few users as it must. a, b and c hold ACD ($2030) today and use A 150
/// days (6 tokens, $3: 2700 on tokens); the threshold is 1000 and at most
/// 2 ACD seats are allowed. Leaving ACD costs each of them 2700 − 2030 =
/// 670 more (a saving of −670, below the threshold), so only the cap can
/// move one, and exactly one moves: 2 × 2030 + 2700 = 6760, one forced
/// move, and the report says so.
#[test]
fn a_cap_overrides_the_threshold_for_as_few_users_as_it_must() {
    let mut sc = scenario(
        &[("P0", 6)],
        &[("ACD", 2030, &["P0"])],
        TokenPrice::Flat(d("3")),
    );
    let m = history(1, &[6], &[(0, 0, 150), (1, 0, 150), (2, 0, 150)]);
    let mut u = users(&["a", "b", "c"]);
    u.assignments = vec![(0, "ACD".into()), (1, "ACD".into()), (2, "ACD".into())];
    sc.constraints.switching_threshold = d("1000");
    sc.constraints.max_seats.insert("ACD".into(), 2);
    let input = PlanInput::new(&m, &u, &sc).unwrap();
    let rec = optimise_default(&input).unwrap();
    assert_eq!(rec.total_cost, d("6760"));
    assert_eq!(rec.seats, vec![2]);
    assert_eq!(rec.forced_moves, 1);
    assert_eq!(rec.threshold_price, Some(d("3")));
    assert!(rec.proven_optimal);
    let report = RecommendReport::new(&input, &rec, &baselines(&input, &rec.schedule));
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.starts_with("1 users move for less than the switching threshold")),
        "{:?}",
        report.warnings
    );
}

/// `recommend --format json` says how the plan was found and whether it is
/// proven: the capped-collection case (350, proven by the seat prices).
#[test]
fn recommend_json_names_the_method_and_the_proof() {
    let dir = std::env::temp_dir().join(format!("tokenplan-optimise-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut sc = two_singles_and_a_collection();
    sc.constraints.max_seats.insert("COL".into(), 1);
    let sc_path = dir.join("s.ron");
    std::fs::write(&sc_path, sc.to_ron().unwrap()).unwrap();
    // a and b use P0 and P1 on 200 dates each from 2025-06-15 back, in New
    // York: 200 use-days of each in a 200-day window, annualised × 365/200
    // = 365 days, so each pays 365 + 365 on tokens, 265 with XS, 200 with
    // XS + YS and 150 with COL: COL + XS + YS = 350.
    let mut csv = String::from("user,product,host,start,end\n");
    let last = date("2025-06-15");
    for k in 0..200 {
        let day = last - chrono::Days::new(k);
        for (user, product) in [("a", "P0"), ("a", "P1"), ("b", "P0"), ("b", "P1")] {
            csv.push_str(&format!(
                "{user},{product},WS,{day}T15:00:00Z,{day}T16:00:00Z\n"
            ));
        }
    }
    let csv_path = dir.join("sessions.csv");
    std::fs::write(&csv_path, csv).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenplan"))
        .args([
            "recommend",
            "--scenario",
            sc_path.to_str().unwrap(),
            csv_path.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total_annual_cost"], "350.00");
    assert_eq!(v["method"], "per-user with seat prices");
    assert_eq!(v["proven_optimal"], true);
}

// ---- exhaustive comparison on random small instances ----

/// A random small instance.
#[derive(Clone, Debug)]
struct Case {
    /// Per user, per product: use-days (0 = unused).
    days: Vec<Vec<u32>>,
    /// Tokens per use-day, per product.
    rates: Vec<u32>,
    /// Per subscription: price, covered products bitmask.
    subs: Vec<(u32, u32)>,
    price: TokenPrice,
    /// Per subscription: minimum and maximum seats.
    min: Vec<Option<u32>>,
    max: Vec<Option<u32>>,
    /// Per user: the pinned plan.
    pins: Vec<Option<u32>>,
    /// Per user: the plan held today (no assignments at all when `None`).
    current: Option<Vec<u32>>,
    threshold: u32,
}

impl Case {
    fn users(&self) -> usize {
        self.days.len()
    }
}

fn token_price() -> impl Strategy<Value = TokenPrice> {
    prop_oneof![
        (100u32..500).prop_map(|p| TokenPrice::Flat(Decimal::new(i64::from(p), 2))),
        (
            prop_oneof![Just(TierMode::AllUnits), Just(TierMode::Incremental)],
            100u32..500,
            0u32..4000,
            0u32..100,
            0u32..100
        )
            .prop_map(|(mode, p0, f1, cut1, cut2)| {
                let p1 = p0 - p0 * cut1 / 200;
                let p2 = p1 - p1 * cut2 / 200;
                let tier = |from: u64, p: u32| Tier {
                    from,
                    price: Decimal::new(i64::from(p), 2),
                };
                TokenPrice::Tiers {
                    mode,
                    tiers: vec![
                        tier(0, p0),
                        tier(u64::from(f1) + 1, p1),
                        tier(u64::from(f1) * 3 + 2, p2),
                    ],
                }
            }),
    ]
}

/// ≤ 8 users, ≤ 3 products, ≤ 4 subscriptions; random use, prices (flat
/// and tiers), seat limits, pins, current plans and a switching threshold.
fn case() -> impl Strategy<Value = Case> {
    (1usize..=8, 1usize..=3, 1usize..=4).prop_flat_map(|(nu, np, ns)| {
        let full = (1u32 << np) - 1;
        let plans = (1u32 << ns) - 1;
        let limit = prop_oneof![2 => Just(None), 1 => (0u32..=nu as u32).prop_map(Some)];
        (
            prop::collection::vec(
                prop::collection::vec(prop_oneof![Just(0u32), 1u32..250], np),
                nu,
            ),
            prop::collection::vec(prop_oneof![Just(6u32), Just(10u32), 1u32..20], np),
            prop::collection::vec((100u32..6000, 1u32..=full), ns),
            token_price(),
            prop::collection::vec((limit.clone(), limit), ns),
            prop::collection::vec(
                prop_oneof![5 => Just(None), 1 => (0u32..=plans).prop_map(Some)],
                nu,
            ),
            prop::option::of(prop::collection::vec(0u32..=plans, nu)),
            prop_oneof![Just(0u32), 1u32..1500],
            any::<bool>(),
        )
            .prop_map(
                move |(
                    days,
                    rates,
                    mut subs,
                    price,
                    limits,
                    pins,
                    current,
                    threshold,
                    collection,
                )| {
                    if collection {
                        subs[0].1 = full;
                    }
                    let (min, max) = limits
                        .into_iter()
                        .map(|(a, b)| match (a, b) {
                            (Some(a), Some(b)) => (Some(a.min(b)), Some(a.max(b))),
                            other => other,
                        })
                        .unzip();
                    Case {
                        days,
                        rates,
                        subs,
                        price,
                        min,
                        max,
                        pins,
                        current,
                        threshold,
                    }
                },
            )
    })
}

fn code(i: usize) -> String {
    format!("S{i}")
}

fn codes(mask: u32) -> Vec<String> {
    (0..32).filter(|i| mask & (1 << i) != 0).map(code).collect()
}

fn build(c: &Case) -> (Metered, Usage, Scenario) {
    let names: Vec<String> = (0..c.users()).map(|i| format!("u{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut u = users(&refs);
    let rows: Vec<(u32, u16, u32)> = c
        .days
        .iter()
        .enumerate()
        .flat_map(|(ui, row)| {
            row.iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(move |(pi, &n)| (ui as u32, pi as u16, n))
        })
        .collect();
    let m = history(c.rates.len(), &c.rates, &rows);
    let products: Vec<(String, u32)> = c
        .rates
        .iter()
        .enumerate()
        .map(|(i, r)| (format!("P{i}"), *r))
        .collect();
    let product_refs: Vec<(&str, u32)> = products.iter().map(|(p, r)| (p.as_str(), *r)).collect();
    let sub_rows: Vec<(String, u32, Vec<String>)> = c
        .subs
        .iter()
        .enumerate()
        .map(|(i, (p, cov))| {
            let covers = (0..c.rates.len())
                .filter(|k| cov & (1 << k) != 0)
                .map(|k| format!("P{k}"))
                .collect();
            (code(i), *p, covers)
        })
        .collect();
    let cover_refs: Vec<Vec<&str>> = sub_rows
        .iter()
        .map(|(_, _, c)| c.iter().map(String::as_str).collect())
        .collect();
    let sub_refs: Vec<(&str, u32, &[&str])> = sub_rows
        .iter()
        .zip(&cover_refs)
        .map(|((code, p, _), covers)| (code.as_str(), *p, covers.as_slice()))
        .collect();
    let mut sc = scenario(&product_refs, &sub_refs, c.price.clone());
    for (i, (lo, hi)) in c.min.iter().zip(&c.max).enumerate() {
        if let Some(lo) = lo {
            sc.constraints.min_seats.insert(code(i), *lo);
        }
        if let Some(hi) = hi {
            sc.constraints.max_seats.insert(code(i), *hi);
        }
    }
    for (ui, pin) in c.pins.iter().enumerate() {
        if let Some(mask) = pin {
            sc.constraints
                .pinned
                .insert(names[ui].clone(), codes(*mask));
        }
    }
    if let Some(current) = &c.current {
        for (ui, mask) in current.iter().enumerate() {
            for s in codes(*mask) {
                u.assignments.push((ui as u32, s));
            }
        }
        sc.constraints.switching_threshold = Decimal::from(c.threshold);
    }
    (m, u, sc)
}

/// The users the plan is for: those with use, a current plan or a pin
/// (the optimiser knows no others).
fn present(c: &Case, ui: usize) -> bool {
    ui == 0
        || c.days[ui].iter().any(|&n| n > 0)
        || c.pins[ui].is_some()
        || c.current.as_ref().is_some_and(|cur| cur[ui] != 0)
}

/// (subscription prices, tokens left) of user `ui` holding plan `mask`.
fn parts(c: &Case, ui: usize, mask: u32) -> (Decimal, Decimal) {
    let mut price = Decimal::ZERO;
    let mut covers = 0u32;
    for (i, (p, cov)) in c.subs.iter().enumerate() {
        if mask & (1 << i) != 0 {
            price += Decimal::from(*p);
            covers |= cov;
        }
    }
    let tokens = c.days[ui]
        .iter()
        .enumerate()
        .filter(|(pi, _)| covers & (1 << pi) == 0)
        .map(|(pi, &n)| Decimal::from(n) * Decimal::from(c.rates[pi]))
        .sum();
    (price, tokens)
}

/// The exhaustive optimum: (users moved against the threshold, total).
///
/// Every present user may hold every subset of the subscriptions (a pinned
/// user only the pin). With a threshold, a move off the current plan that
/// saves less than the threshold at the judged token price counts as a
/// break; each tier price is judged in turn and the fewest breaks win, then
/// the least total. Users are combined one by one keeping, per vector of
/// seat counts, every (breaks, prices, tokens) triple no other beats in all
/// three — exact, because the objective only grows with each — and the
/// totals of the vectors that meet every limit are costed by
/// `Schedule::cost_of_need`. `None` when no assignment meets the limits.
fn exhaustive(c: &Case) -> Option<(i64, Decimal)> {
    let schedule = Schedule::new(&c.price).unwrap();
    let threshold = c.threshold > 0
        && c.current
            .as_ref()
            .is_some_and(|cur| cur.iter().any(|&m| m != 0));
    let judged: Vec<Option<Decimal>> = if threshold {
        schedule
            .tier_prices()
            .into_iter()
            .map(|(_, p)| Some(p))
            .collect()
    } else {
        vec![None]
    };
    let limited: Vec<usize> = (0..c.subs.len())
        .filter(|&s| c.min[s].is_some() || c.max[s].is_some())
        .collect();
    let mut best: Option<(i64, Decimal)> = None;
    for p in judged {
        type Point = (i64, Decimal, Decimal);
        let mut states: BTreeMap<Vec<u32>, Vec<Point>> = BTreeMap::new();
        states.insert(
            vec![0; limited.len()],
            vec![(0, Decimal::ZERO, Decimal::ZERO)],
        );
        for ui in (0..c.users()).filter(|&ui| present(c, ui)) {
            let plans: Vec<u32> = match c.pins[ui] {
                Some(m) => vec![m],
                None => (0..1u32 << c.subs.len()).collect(),
            };
            let mut next: BTreeMap<Vec<u32>, Vec<Point>> = BTreeMap::new();
            for (key, points) in &states {
                for &m in &plans {
                    let (price, tokens) = parts(c, ui, m);
                    let breaks = match (p, &c.current) {
                        (Some(p), Some(cur)) if c.pins[ui].is_none() && m != cur[ui] => {
                            let (cp, ct) = parts(c, ui, cur[ui]);
                            let saving = cp + p * ct - (price + p * tokens);
                            i64::from(saving < Decimal::from(c.threshold))
                        }
                        _ => 0,
                    };
                    let mut k = key.clone();
                    for (j, &s) in limited.iter().enumerate() {
                        k[j] += u32::from(m & (1 << s) != 0);
                    }
                    if limited
                        .iter()
                        .enumerate()
                        .any(|(j, &s)| c.max[s].is_some_and(|x| k[j] > x))
                    {
                        continue;
                    }
                    let slot = next.entry(k).or_default();
                    for &(b, s, t) in points {
                        slot.push((b + breaks, s + price, t + tokens));
                    }
                }
            }
            for points in next.values_mut() {
                points.sort();
                points.dedup();
                let all = points.clone();
                points.retain(|a| {
                    !all.iter()
                        .any(|b| b != a && b.0 <= a.0 && b.1 <= a.1 && b.2 <= a.2)
                });
            }
            states = next;
        }
        for (key, points) in &states {
            if limited
                .iter()
                .enumerate()
                .any(|(j, &s)| c.min[s].is_some_and(|x| key[j] < x))
            {
                continue;
            }
            for &(b, s, t) in points {
                let total = (b, s + schedule.cost_of_need(t).cost);
                if best.is_none_or(|x| total < x) {
                    best = Some(total);
                }
            }
        }
    }
    best
}

/// Checks the optimiser's answer for `c` against the exhaustive optimum:
/// the same feasibility, the fewest threshold breaks, a total within 0.5%
/// (equal whenever it claims a proof), and figures that add up. Returns
/// (total, optimum, as few threshold breaks as the optimum) when both
/// exist.
fn check(c: &Case, search: Search) -> Result<Option<(Decimal, Decimal, bool)>, TestCaseError> {
    let (m, u, sc) = build(c);
    let best = exhaustive(c);
    let input = match PlanInput::new(&m, &u, &sc) {
        Ok(input) => input,
        Err(e) => {
            prop_assert!(matches!(e, PlanError::Constraint(_)), "{e}");
            prop_assert!(best.is_none(), "refused {e} but {best:?} is possible");
            return Ok(None);
        }
    };
    let rec = match optimise_with(&input, &c.price, search) {
        Ok(rec) => rec,
        Err(e) => {
            prop_assert!(best.is_none(), "refused {e} but {best:?} is possible");
            return Ok(None);
        }
    };
    let Some((breaks, optimum)) = best else {
        return Err(TestCaseError::fail(format!(
            "no plan meets the limits but got {rec:?}"
        )));
    };
    // Every constraint holds.
    for (s, &n) in rec.seats.iter().enumerate() {
        prop_assert!(c.min[s].is_none_or(|x| n >= x) && c.max[s].is_none_or(|x| n <= x));
    }
    for (i, user) in input.users.iter().enumerate() {
        let ui: usize = user.name[1..].parse().unwrap();
        if let Some(pin) = c.pins[ui] {
            prop_assert_eq!(rec.picks[i].mask, pin);
        }
    }
    let s: Decimal = rec.picks.iter().map(|p| p.subscription_cost).sum();
    prop_assert_eq!(rec.total_cost, s + rec.purchase.cost);
    // Users moved against the threshold come first: never fewer than the
    // optimum's, exactly as few with the exact search.
    let forced = rec.forced_moves as i64;
    prop_assert!(
        forced >= breaks,
        "{} forced moves, fewer than {}",
        forced,
        breaks
    );
    if search.exact {
        prop_assert_eq!(forced, breaks, "fewest threshold breaks");
    }
    if forced > breaks {
        prop_assert!(!rec.proven_optimal, "{:?} claims a proof", rec.method);
        return Ok(Some((rec.total_cost, optimum, false)));
    }
    prop_assert!(
        rec.total_cost >= optimum,
        "{} below the optimum {}",
        rec.total_cost,
        optimum
    );
    if rec.proven_optimal {
        prop_assert_eq!(rec.total_cost, optimum, "{:?} claims a proof", rec.method);
    }
    Ok(Some((rec.total_cost, optimum, true)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// SPEC §4: within 0.5% of exhaustive search under every constraint
    /// (on instances this small the exact search proves the optimum).
    #[test]
    fn constrained_plans_match_exhaustive_search(c in case()) {
        if let Some((total, optimum, fewest)) = check(&c, Search::default())? {
            prop_assert!(fewest);
            prop_assert!(total * d("1000") <= optimum * d("1005"), "{} vs {}", total, optimum);
        }
    }
}

/// The heuristics alone (no exact search), on 2,000 fixed random
/// instances: every answer meets every constraint, is never below the
/// optimum, equals it whenever it claims a proof, and almost always is
/// within 0.5% of it with no more threshold breaks (measured: 1,760 of
/// 1,769 feasible instances exact, 8 beyond 0.5%, the worst 4.3% dearer;
/// 2 break the threshold once more than they must). The exact search
/// covers instances this small in the product; this measures what the
/// heuristics give where it cannot run.
#[test]
fn heuristics_alone_are_close_to_exhaustive_search() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = case();
    let (mut feasible, mut close) = (0u32, 0u32);
    for _ in 0..2000 {
        let c = strategy.new_tree(&mut runner).unwrap().current();
        match check(&c, Search { exact: false }) {
            Ok(None) => {}
            Ok(Some((total, optimum, fewest))) => {
                feasible += 1;
                if fewest && total * d("1000") <= optimum * d("1005") {
                    close += 1;
                }
            }
            Err(e) => panic!("{e}\n{c:?}"),
        }
    }
    assert!(feasible >= 1500, "only {feasible} feasible instances");
    assert!(
        close * 100 >= feasible * 99,
        "{close} of {feasible} within 0.5%"
    );
}
