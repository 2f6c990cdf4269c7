//! Integration tests: meter — the charging rules of SPEC §2 on hand-built
//! usage, with hand-computed answers.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;
use rust_decimal::Decimal;

use tokenplan::meter::{Catalog, DayCharge, MeterError, Metered, meter};
use tokenplan::progress::{NoProgress, Progress};
use tokenplan::scenario::{
    Contract, Forecast, Overdraft, Product, Rate, Rule, Scenario, TokenPrice,
};
use tokenplan::time::{date_of_day, day_of_date, local_to_utc};
use tokenplan::usage::{Session, Usage};

const NY: &str = "America/New_York";

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn day(s: &str) -> i32 {
    day_of_date(date(s))
}

/// Unix seconds of local wall time `"YYYY-MM-DD HH:MM:SS"` in `zone`.
fn local(zone: &str, s: &str) -> i64 {
    let tz: Tz = zone.parse().unwrap();
    let t = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
    local_to_utc(tz, t)
}

fn product(rule: Rule, rates: &[(&str, &str)], features: &[&str]) -> Product {
    Product {
        name: "p".into(),
        rule,
        rates: rates
            .iter()
            .map(|(from, tokens)| Rate {
                from: date(from),
                tokens: dec(tokens),
            })
            .collect(),
        features: features.iter().map(|s| s.to_string()).collect(),
    }
}

fn calendar_day() -> Rule {
    Rule::CalendarDay {
        time_zone: None,
        grace_minutes: None,
    }
}

fn scenario(server: &str, products: Vec<(&str, Product)>) -> Scenario {
    Scenario {
        pools: Default::default(),
        prices: None,
        version: 1,
        name: "test".into(),
        currency: "USD".into(),
        server_time_zone: server.into(),
        products: products
            .into_iter()
            .map(|(c, p)| (c.to_string(), p))
            .collect(),
        subscriptions: BTreeMap::new(),
        token_price: TokenPrice::Flat(dec("3")),
        contract: Contract {
            start: date("2027-01-01"),
            years: 1,
            overage_price: dec("3.6"),
            overdraft: Overdraft::Unlimited,
            discount_rate: dec("0"),
            pack_size: None,
            seat_changes: Default::default(),
            current_seats: Default::default(),
        },
        forecast: Forecast {
            history_days: 365,
            growth_per_year: dec("0"),
        },
        budgets: BTreeMap::new(),
        constraints: Default::default(),
        sizing: Default::default(),
    }
}

/// One product `ACD` under `rule` at 6 tokens, features `*ACD*`.
fn acd(server: &str, rule: Rule) -> Scenario {
    scenario(
        server,
        vec![("ACD", product(rule, &[("2020-01-01", "6")], &["*ACD*"]))],
    )
}

/// Builds usage from (user, feature, host, start, seconds).
fn usage(rows: &[(&str, &str, &str, i64, i64)]) -> Usage {
    let mut u = Usage::default();
    for &(user, feature, host, start, dur) in rows {
        let s = Session {
            start: start as u32,
            dur: dur as u32,
            user: u.users.intern(user),
            feature: u.features.intern(feature),
            host: u.hosts.intern(host),
            draw: 0,
            flags: 0,
        };
        u.sessions.push(s);
    }
    u
}

fn run(u: &Usage, sc: &Scenario) -> Metered {
    meter(u, sc, &NoProgress).unwrap()
}

/// (user display name, product code, date, charges, tokens) of every row.
fn rows(m: &Metered, u: &Usage) -> Vec<(String, String, String, u32, Decimal)> {
    m.pairs
        .iter()
        .flat_map(|p| {
            p.days.iter().map(move |d: &DayCharge| {
                (
                    u.users.name(p.user).to_string(),
                    m.product_code(p.product).to_string(),
                    date_of_day(d.day).to_string(),
                    d.charges,
                    d.tokens,
                )
            })
        })
        .collect()
}

fn dates(m: &Metered) -> Vec<String> {
    m.pairs
        .iter()
        .flat_map(|p| p.days.iter().map(|d| date_of_day(d.day).to_string()))
        .collect()
}

const H: i64 = 3600;

// ---------------------------------------------------------------- CalendarDay

#[test]
fn singapore_user_on_new_york_server_one_day_costs_two_charges() {
    // Mon 2024-06-03 09:00–18:00 Singapore = Sun 21:00 – Mon 06:00 New York (EDT).
    let start = local("Asia/Singapore", "2024-06-03 09:00:00");
    let u = usage(&[("wei", "ACD", "sg1", start, 9 * H)]);
    let m = run(&u, &acd(NY, calendar_day()));
    assert_eq!(dates(&m), vec!["2024-06-02", "2024-06-03"]);
    assert_eq!(m.total().charges, 2);
    assert_eq!(m.total().tokens, dec("12"));
}

#[test]
fn singapore_user_on_new_york_server_week_costs_six_charges() {
    let days = ["03", "04", "05", "06", "07"];
    let rows: Vec<_> = days
        .iter()
        .map(|d| {
            let s = local("Asia/Singapore", &format!("2024-06-{d} 09:00:00"));
            ("wei", "ACD", "sg1", s, 9 * H)
        })
        .collect();
    let u = usage(&rows);
    let m = run(&u, &acd(NY, calendar_day()));
    assert_eq!(
        dates(&m),
        vec![
            "2024-06-02",
            "2024-06-03",
            "2024-06-04",
            "2024-06-05",
            "2024-06-06",
            "2024-06-07"
        ]
    );
    assert_eq!(m.total().charges, 6);
    assert_eq!(m.total().tokens, dec("36"));
    // The same week on a Singapore server: five.
    let m = run(&u, &acd("Asia/Singapore", calendar_day()));
    assert_eq!(m.total().charges, 5);
}

#[test]
fn session_ending_exactly_at_midnight_touches_one_date() {
    let start = local(NY, "2024-06-03 22:00:00");
    let u = usage(&[("ann", "ACD", "h", start, 2 * H)]);
    let m = run(&u, &acd(NY, calendar_day()));
    assert_eq!(dates(&m), vec!["2024-06-03"]);
    // One second more reaches the next date.
    let u = usage(&[("ann", "ACD", "h", start, 2 * H + 1)]);
    assert_eq!(
        dates(&run(&u, &acd(NY, calendar_day()))),
        vec!["2024-06-03", "2024-06-04"]
    );
}

#[test]
fn zero_length_session_counts_for_its_start_date() {
    let at = local(NY, "2024-06-04 00:00:00");
    let u = usage(&[("ann", "ACD", "h", at, 0)]);
    let m = run(&u, &acd(NY, calendar_day()));
    assert_eq!(dates(&m), vec!["2024-06-04"]);
    assert_eq!(m.free_sessions, 0);
}

#[test]
fn calendar_day_grace_frees_short_sessions() {
    let rule = Rule::CalendarDay {
        time_zone: None,
        grace_minutes: Some(5),
    };
    let t = local(NY, "2024-06-04 10:00:00");
    let u = usage(&[
        ("ann", "ACD", "h", t, 4 * 60 + 59),
        ("bob", "ACD", "h", t, 5 * 60),
    ]);
    let m = run(&u, &acd(NY, rule));
    assert_eq!(m.free_sessions, 1);
    assert_eq!(rows(&m, &u).len(), 1);
    assert_eq!(rows(&m, &u)[0].0, "bob");
}

#[test]
fn user_names_are_case_insensitive_first_spelling_shown() {
    let t = local(NY, "2024-06-04 10:00:00");
    let u = usage(&[
        ("UPM", "ACD", "h1", t, H),
        ("upm", "ACD", "h1", t + 2 * H, H),
        (" Upm ", "ACD", "h1", t + 4 * H, H),
    ]);
    assert_eq!(u.users.len(), 1);
    let m = run(&u, &acd(NY, calendar_day()));
    assert_eq!(
        rows(&m, &u),
        vec![("UPM".into(), "ACD".into(), "2024-06-04".into(), 1, dec("6"))]
    );
}

#[test]
fn two_hosts_and_versions_on_one_day_cost_one_charge() {
    let t = local(NY, "2024-06-04 10:00:00");
    let u = usage(&[
        ("ann", "64300ACD_F", "h1", t, H),
        ("ann", "85730ACD_2012_0F", "h1", t, H),
        ("ann", "ACD", "h2", t + 3 * H, H),
    ]);
    let m = run(&u, &acd(NY, calendar_day()));
    assert_eq!(m.total().charges, 1);
    assert_eq!(m.total().tokens, dec("6"));
}

#[test]
fn different_products_cost_separately_and_sort_by_user_then_code() {
    let sc = scenario(
        NY,
        vec![
            (
                "ACD",
                product(calendar_day(), &[("2020-01-01", "6")], &["*ACD*"]),
            ),
            (
                "RVT",
                product(calendar_day(), &[("2020-01-01", "10")], &["*RVT*"]),
            ),
        ],
    );
    let t = local(NY, "2024-06-04 10:00:00");
    let u = usage(&[
        ("zed", "RVT", "h", t, H),
        ("amy", "RVT", "h", t, H),
        ("amy", "ACD", "h", t, H),
    ]);
    let m = run(&u, &sc);
    let r: Vec<_> = rows(&m, &u)
        .into_iter()
        .map(|(u, p, _, c, t)| (u, p, c, t))
        .collect();
    assert_eq!(
        r,
        vec![
            ("amy".into(), "ACD".into(), 1, dec("6")),
            ("amy".into(), "RVT".into(), 1, dec("10")),
            ("zed".into(), "RVT".into(), 1, dec("10")),
        ]
    );
    let by_product: Vec<_> = m
        .by_product()
        .into_iter()
        .map(|(p, t)| (m.product_code(p).to_string(), t.charges, t.tokens))
        .collect();
    assert_eq!(
        by_product,
        vec![("ACD".into(), 1, dec("6")), ("RVT".into(), 2, dec("20"))]
    );
    let by_user: Vec<_> = m
        .by_user()
        .into_iter()
        .map(|(id, t)| (u.users.name(id).to_string(), t.charges, t.tokens))
        .collect();
    assert_eq!(
        by_user,
        vec![("amy".into(), 2, dec("16")), ("zed".into(), 1, dec("10"))]
    );
    let by_day: Vec<_> = m.by_day().into_iter().map(|(d, t)| (d, t.tokens)).collect();
    assert_eq!(by_day, vec![(day("2024-06-04"), dec("26"))]);
}

#[test]
fn rate_change_applies_from_its_date() {
    let sc = scenario(
        NY,
        vec![(
            "ACD",
            product(
                calendar_day(),
                &[("2020-01-01", "6"), ("2024-06-01", "7.5")],
                &[],
            ),
        )],
    );
    let u = usage(&[
        ("ann", "ACD", "h", local(NY, "2024-05-30 10:00:00"), H),
        ("ann", "ACD", "h", local(NY, "2024-05-31 23:00:00"), 2 * H),
        ("ann", "ACD", "h", local(NY, "2024-06-03 10:00:00"), H),
    ]);
    let m = run(&u, &sc);
    let r: Vec<_> = rows(&m, &u)
        .into_iter()
        .map(|(_, _, d, _, t)| (d, t))
        .collect();
    assert_eq!(
        r,
        vec![
            ("2024-05-30".into(), dec("6")),
            ("2024-05-31".into(), dec("6")),
            ("2024-06-01".into(), dec("7.5")),
            ("2024-06-03".into(), dec("7.5")),
        ]
    );
    assert_eq!(m.total().tokens, dec("27"));
}

#[test]
fn dates_across_both_new_york_dst_changes() {
    // Each user has one session; the dates are New York's.
    let u = usage(&[
        // 2024-03-10: 00:30 EST and 23:30 EDT are both on the 10th.
        ("a", "ACD", "h", local(NY, "2024-03-10 00:30:00"), 20 * 60),
        ("b", "ACD", "h", local(NY, "2024-03-10 23:30:00"), 20 * 60),
        // 01:30 EST to 03:30 EDT is one real hour, on the 10th only.
        ("c", "ACD", "h", local(NY, "2024-03-10 01:30:00"), H),
        // 2024-11-03: 00:30 EDT and 23:30 EST are both on the 3rd.
        ("d", "ACD", "h", local(NY, "2024-11-03 00:30:00"), 20 * 60),
        ("e", "ACD", "h", local(NY, "2024-11-03 23:30:00"), 20 * 60),
        // 23:30 on the 2nd (EDT) for one hour crosses into the 3rd.
        ("f", "ACD", "h", local(NY, "2024-11-02 23:30:00"), H),
        // 23:30 on the 3rd (EST) for 40 minutes crosses into the 4th.
        ("g", "ACD", "h", local(NY, "2024-11-03 23:30:00"), 40 * 60),
    ]);
    let m = run(&u, &acd(NY, calendar_day()));
    let r: Vec<_> = rows(&m, &u)
        .into_iter()
        .map(|(u, _, d, _, _)| (u, d))
        .collect();
    let expect: Vec<(String, String)> = [
        ("a", "2024-03-10"),
        ("b", "2024-03-10"),
        ("c", "2024-03-10"),
        ("d", "2024-11-03"),
        ("e", "2024-11-03"),
        ("f", "2024-11-02"),
        ("f", "2024-11-03"),
        ("g", "2024-11-03"),
        ("g", "2024-11-04"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(r, expect);
}

#[test]
fn calendar_day_in_the_rules_own_zone() {
    let rule = Rule::CalendarDay {
        time_zone: Some("UTC".into()),
        grace_minutes: None,
    };
    // 22:00–23:00 New York (EDT) = 02:00–03:00 UTC next day.
    let u = usage(&[("ann", "ACD", "h", local(NY, "2024-06-03 22:00:00"), H)]);
    let m = run(&u, &acd(NY, rule));
    assert_eq!(dates(&m), vec!["2024-06-04"]);
    assert_eq!(m.rules[0].time_zone, "UTC");
}

#[test]
fn unmapped_features_are_counted_not_charged() {
    let t = local(NY, "2024-06-04 10:00:00");
    let u = usage(&[
        ("ann", "MAYA_F", "h", t, H),
        ("bob", "MAYA_F", "h", t, H),
        ("bob", "ZZZ", "h", t, H),
        ("bob", "ACD", "h", t, H),
    ]);
    let m = run(&u, &acd(NY, calendar_day()));
    assert_eq!(
        m.unmapped,
        BTreeMap::from([("MAYA_F".to_string(), 2), ("ZZZ".to_string(), 1)])
    );
    assert_eq!(m.total().charges, 1);
}

#[test]
fn bad_zone_names_are_errors() {
    let u = usage(&[]);
    let err = meter(&u, &acd("Mars/Olympus", calendar_day()), &NoProgress).unwrap_err();
    assert!(matches!(err, MeterError::BadZone { ref field, .. } if field == "server_time_zone"));
    let rule = Rule::CalendarDay {
        time_zone: Some("EST5".into()),
        grace_minutes: None,
    };
    let err = meter(&u, &acd(NY, rule), &NoProgress).unwrap_err();
    assert_eq!(
        err.to_string(),
        "products.ACD.rule.time_zone: `EST5` is not an IANA time zone name (e.g. America/New_York)"
    );
}

struct Cancel;
impl Progress for Cancel {
    fn report(&self, _: u64, _: u64) {}
    fn is_cancelled(&self) -> bool {
        true
    }
}

#[test]
fn cancelled_metering_stops_with_an_error() {
    let u = usage(&[("ann", "ACD", "h", 1_700_000_000, H)]);
    assert_eq!(
        meter(&u, &acd(NY, calendar_day()), &Cancel).unwrap_err(),
        MeterError::Cancelled
    );
}

// -------------------------------------------------------------------- catalog

fn catalog_of(products: Vec<(&str, &[&str])>, features: &[&str]) -> Vec<Option<String>> {
    let sc = scenario(
        NY,
        products
            .into_iter()
            .map(|(c, pats)| (c, product(calendar_day(), &[("2020-01-01", "1")], pats)))
            .collect(),
    );
    let u = usage(
        &features
            .iter()
            .map(|f| ("u", *f, "h", 0i64, 0i64))
            .collect::<Vec<_>>(),
    );
    let cat = Catalog::build(&u.features, &sc);
    let codes: Vec<&String> = sc.products.keys().collect();
    features
        .iter()
        .map(|f| {
            let id = u.features.get(f).unwrap();
            cat.product_of(id).map(|p| codes[p as usize].clone())
        })
        .collect()
}

#[test]
fn catalog_wildcards_are_case_insensitive() {
    let got = catalog_of(
        vec![("ACD", &["*acd*"]), ("C3D", &["*C3D*", "*CIV3D*"])],
        &["64300ACD_F", "85730acd_2012_0F", "Civ3D_2024", "RVT"],
    );
    assert_eq!(
        got,
        vec![
            Some("ACD".into()),
            Some("ACD".into()),
            Some("C3D".into()),
            None
        ]
    );
}

#[test]
fn catalog_exact_code_wins_over_patterns() {
    // `acdlt` matches ACD's pattern but is ACDLT's own code.
    let got = catalog_of(
        vec![("ACD", &["*ACD*"]), ("ACDLT", &["LT_*"])],
        &["acdlt", "LT_2024", "ACDLT_2024"],
    );
    assert_eq!(
        got,
        vec![
            Some("ACDLT".into()),
            Some("ACDLT".into()),
            Some("ACD".into())
        ]
    );
}

#[test]
fn catalog_most_specific_pattern_wins_and_ambiguity_is_recorded() {
    let sc = scenario(
        NY,
        vec![
            (
                "ACD",
                product(calendar_day(), &[("2020-01-01", "6")], &["*ACD*"]),
            ),
            (
                "ACDMEP",
                product(calendar_day(), &[("2020-01-01", "8")], &["*ACDMEP*"]),
            ),
            (
                "X",
                product(calendar_day(), &[("2020-01-01", "1")], &["*_F"]),
            ),
        ],
    );
    let u = usage(&[
        ("ann", "64300ACDMEP_T", "h", 1_700_000_000, H),
        ("ann", "64300ACD_T", "h", 1_700_000_000, H),
        ("bob", "64300QQ_F", "h", 1_700_000_000, H),
    ]);
    let m = run(&u, &sc);
    let r: Vec<_> = rows(&m, &u)
        .into_iter()
        .map(|(u, p, _, _, t)| (u, p, t))
        .collect();
    assert_eq!(
        r,
        vec![
            ("ann".into(), "ACD".into(), dec("6")),
            ("ann".into(), "ACDMEP".into(), dec("8")),
            ("bob".into(), "X".into(), dec("1")),
        ]
    );
    assert_eq!(m.ambiguities.len(), 1);
    let a = &m.ambiguities[0];
    assert_eq!(a.feature, "64300ACDMEP_T");
    assert_eq!(a.chosen, "ACDMEP");
    assert_eq!(a.candidates, vec!["ACD".to_string(), "ACDMEP".to_string()]);
    assert!(!a.tied);
}

#[test]
fn catalog_tie_goes_to_first_code_and_is_flagged() {
    let sc = scenario(
        NY,
        vec![
            (
                "BBB",
                product(calendar_day(), &[("2020-01-01", "1")], &["*Y*"]),
            ),
            (
                "AAA",
                product(calendar_day(), &[("2020-01-01", "1")], &["*X*"]),
            ),
        ],
    );
    let u = usage(&[("ann", "XY", "h", 0, 0)]);
    let cat = Catalog::build(&u.features, &sc);
    assert_eq!(cat.product_of(0), Some(0)); // AAA, first in code order
    assert_eq!(cat.ambiguities.len(), 1);
    assert!(cat.ambiguities[0].tied);
    assert_eq!(cat.ambiguities[0].chosen, "AAA");
}

// ------------------------------------------------------------------ Rolling24h

fn rolling() -> Rule {
    Rule::Rolling24h {
        grace_minutes: None,
    }
}

#[test]
fn rolling24h_autodesk_two_days_two_charges() {
    // Mon 2024-06-03 08:00–17:00 and Tue 07:00–12:00 → Mon 08:00 and Tue 08:00.
    let u = usage(&[
        ("ann", "ACD", "h", local(NY, "2024-06-03 08:00:00"), 9 * H),
        ("ann", "ACD", "h", local(NY, "2024-06-04 07:00:00"), 5 * H),
    ]);
    let m = run(&u, &acd(NY, rolling()));
    assert_eq!(
        rows(&m, &u),
        vec![
            ("ann".into(), "ACD".into(), "2024-06-03".into(), 1, dec("6")),
            ("ann".into(), "ACD".into(), "2024-06-04".into(), 1, dec("6")),
        ]
    );
}

#[test]
fn rolling24h_autodesk_overnight_one_charge() {
    // Mon 19:00 – Tue 17:00 → one charge, Monday.
    let u = usage(&[("ann", "ACD", "h", local(NY, "2024-06-03 19:00:00"), 22 * H)]);
    let m = run(&u, &acd(NY, rolling()));
    assert_eq!(
        rows(&m, &u),
        vec![("ann".into(), "ACD".into(), "2024-06-03".into(), 1, dec("6"))]
    );
}

#[test]
fn rolling24h_five_minute_grace() {
    let t = local(NY, "2024-06-03 10:00:00");
    let u = usage(&[
        ("ann", "ACD", "h", t, 4 * 60 + 59),
        ("bob", "ACD", "h", t, 5 * 60),
    ]);
    let m = run(&u, &acd(NY, rolling()));
    assert_eq!(m.free_sessions, 1);
    assert_eq!(
        rows(&m, &u),
        vec![("bob".into(), "ACD".into(), "2024-06-03".into(), 1, dec("6"))]
    );
    // grace 0: both charged.
    let m = run(
        &u,
        &acd(
            NY,
            Rule::Rolling24h {
                grace_minutes: Some(0),
            },
        ),
    );
    assert_eq!((m.free_sessions, m.total().charges), (0, 2));
}

// ------------------------------------------------------------------ Concurrent

use tokenplan::meter::{PoolSession, PoolTimeline, RuleKind, replay_pool};

fn ps(start: i64, end: i64, user: u32, host: u32, draw: u32) -> PoolSession {
    PoolSession {
        start,
        end,
        user,
        host,
        product: 0,
        draw,
    }
}

#[test]
fn concurrent_denies_checkouts_beyond_the_pool_size() {
    let s = [
        ps(0, 100, 1, 1, 1),
        ps(10, 100, 2, 2, 1),
        ps(20, 3620, 3, 3, 1), // denied at size 2: holds nothing
        ps(30, 100, 4, 4, 2),  // denied at size 2
        ps(100, 200, 3, 3, 1), // the two leave at 100 first: admitted
    ];
    let r = replay_pool(&s, Some(2));
    assert_eq!(r.peak, 2);
    assert_eq!(r.checkouts, 5);
    assert_eq!(r.denied_checkouts, 2);
    assert_eq!(r.denied_users, 2);
    // 1 × 3600 s + 2 × 70 s = 3740 token-seconds.
    assert_eq!(r.denied_token_hours, dec("1.038889"));
    let unlimited = replay_pool(&s, None);
    assert_eq!(
        (
            unlimited.peak,
            unlimited.peak_at,
            unlimited.denied_checkouts
        ),
        (5, Some(30), 0)
    );
    let t = PoolTimeline::new(&s);
    let curve: Vec<u64> = t
        .denial_curve(&[1, 2, 3, 4, 5])
        .iter()
        .map(|r| r.denied_checkouts)
        .collect();
    assert_eq!(curve, vec![3, 2, 1, 1, 0]);
}

#[test]
fn concurrent_checkins_come_before_checkouts_at_the_same_instant() {
    let s = [ps(0, 10, 1, 1, 2), ps(10, 20, 2, 2, 2)];
    let r = replay_pool(&s, Some(2));
    assert_eq!((r.peak, r.denied_checkouts), (2, 0));
    assert_eq!(replay_pool(&s, None).peak, 2);
}

#[test]
fn concurrent_same_user_at_host_draws_once() {
    let same_host = [ps(0, 10, 1, 1, 3), ps(5, 15, 1, 1, 3)];
    assert_eq!(replay_pool(&same_host, None).peak, 3);
    assert_eq!(replay_pool(&same_host, Some(3)).denied_checkouts, 0);
    // Still held after the first checkin: a third user is refused at 12.
    let mut s = same_host.to_vec();
    s.push(ps(12, 13, 2, 2, 1));
    assert_eq!(replay_pool(&s, Some(3)).denied_checkouts, 1);
    let two_hosts = [ps(0, 10, 1, 1, 3), ps(5, 15, 1, 2, 3)];
    assert_eq!(replay_pool(&two_hosts, None).peak, 6);
}

fn concurrent(pool: Option<&str>, linger: Option<u32>) -> Rule {
    Rule::Concurrent {
        pool: pool.map(String::from),
        linger_minutes: linger,
    }
}

#[test]
fn concurrent_linger_keeps_the_checkout_held() {
    let u = usage(&[
        ("ann", "ACD", "h1", local(NY, "2024-06-03 09:00:00"), H),
        ("bob", "ACD", "h2", local(NY, "2024-06-03 10:15:00"), H),
    ]);
    let m = run(&u, &acd(NY, concurrent(None, None)));
    assert_eq!((m.pools[0].peak, m.pools[0].name.as_str()), (6, "ACD"));
    let m = run(&u, &acd(NY, concurrent(None, Some(30))));
    assert_eq!(m.pools[0].peak, 12);
    assert_eq!(m.pools[0].peak_at, Some(local(NY, "2024-06-03 10:15:00")));
    assert_eq!(m.pools[0].sessions[0].end, local(NY, "2024-06-03 10:30:00"));
    assert_eq!(m.pools[0].daily_peaks, vec![(day("2024-06-03"), 12)]);
}

#[test]
fn concurrent_shared_pool_across_two_products() {
    let sc = scenario(
        NY,
        vec![
            (
                "DOORS",
                product(
                    concurrent(Some("TLSTOK"), None),
                    &[("2020-01-01", "3")],
                    &["DOORS*"],
                ),
            ),
            (
                "EWM",
                product(
                    concurrent(Some("TLSTOK"), None),
                    &[("2020-01-01", "2")],
                    &["EWM*"],
                ),
            ),
            (
                "SOLO",
                product(concurrent(None, None), &[("2020-01-01", "1")], &["SOLO"]),
            ),
        ],
    );
    let t = local(NY, "2024-06-03 09:00:00");
    let mut u = usage(&[
        ("ann", "DOORS", "h1", t, 2 * H),
        ("bob", "EWM", "h2", t + H, 2 * H),
        ("ann", "EWM", "h1", t + H, 30 * 60), // same user and host, other product: draws
        ("cy", "SOLO", "h3", t, H),
    ]);
    // A checkout whose source gave its own count (the log's `(5 licenses)`).
    let s = Session {
        start: (t + 5 * H) as u32,
        dur: 600,
        user: u.users.intern("cy"),
        feature: u.features.intern("DOORS"),
        host: u.hosts.intern("h3"),
        draw: 5,
        flags: 0,
    };
    u.sessions.push(s);
    let m = run(&u, &sc);
    assert_eq!(m.pools.len(), 2);
    let tls = m.pools.iter().find(|p| p.name == "TLSTOK").unwrap();
    assert_eq!(tls.rule, RuleKind::Concurrent);
    assert_eq!(tls.products, vec![0, 1]);
    assert_eq!(tls.peak, 7); // 3 + 2 + 2 at 10:00
    assert_eq!(tls.peak_at, Some(t + H));
    assert_eq!(tls.sessions.len(), 4);
    assert_eq!(m.pools.iter().find(|p| p.name == "SOLO").unwrap().peak, 1);
    // Per-user rows: each user's own peak that day.
    let r: Vec<_> = rows(&m, &u)
        .into_iter()
        .map(|(u, p, _, c, t)| (u, p, c, t))
        .collect();
    assert_eq!(
        r,
        vec![
            ("ann".into(), "DOORS".into(), 1, dec("3")),
            ("ann".into(), "EWM".into(), 1, dec("2")),
            ("bob".into(), "EWM".into(), 1, dec("2")),
            ("cy".into(), "DOORS".into(), 1, dec("5")),
            ("cy".into(), "SOLO".into(), 1, dec("1")),
        ]
    );
}

#[test]
fn pool_rates_must_be_whole() {
    let sc = scenario(
        NY,
        vec![(
            "P",
            product(concurrent(None, None), &[("2020-01-01", "1.5")], &[]),
        )],
    );
    let err = meter(&usage(&[]), &sc, &NoProgress).unwrap_err();
    assert!(matches!(err, MeterError::FractionalPoolRate { ref product, .. } if product == "P"));
}

// ------------------------------------------------------------------- DailyPeak

#[test]
fn daily_peak_per_calendar_day() {
    let sc = acd(
        NY,
        Rule::DailyPeak {
            time_zone: None,
            pool: None,
        },
    );
    let u = usage(&[
        // Mon: 2 at once.
        ("a", "ACD", "h", local(NY, "2024-06-03 09:00:00"), 3 * H),
        ("b", "ACD", "h", local(NY, "2024-06-03 10:00:00"), H),
        // Tue 22:00 – Wed 02:00: 1 on Tue, and Wed with d's 01:00–03:00: 2.
        ("c", "ACD", "h", local(NY, "2024-06-04 22:00:00"), 4 * H),
        ("d", "ACD", "h", local(NY, "2024-06-05 01:00:00"), 2 * H),
        // Thu: a session spanning all of Thu and ending Fri 00:00 exactly.
        ("e", "ACD", "h", local(NY, "2024-06-05 23:00:00"), 25 * H),
    ]);
    let m = run(&u, &sc);
    let pool = &m.pools[0];
    assert_eq!(pool.rule, RuleKind::DailyPeak);
    // Rate 6 per seat: draws are 6 each.
    assert_eq!(
        pool.daily_peaks,
        vec![
            (day("2024-06-03"), 12),
            (day("2024-06-04"), 6),
            (day("2024-06-05"), 12),
            (day("2024-06-06"), 6),
        ]
    );
    assert_eq!(pool.peak_days_total(), 36);
    assert_eq!(pool.peak, 12);
    assert_eq!(pool.peak_at, Some(local(NY, "2024-06-03 10:00:00")));
    // Per user: c holds on Tue and Wed, e on Wed and Thu.
    let r: Vec<_> = rows(&m, &u)
        .into_iter()
        .map(|(u, _, d, _, t)| (u, d, t))
        .collect();
    assert_eq!(r.len(), 7);
    assert_eq!(r[2], ("c".into(), "2024-06-04".into(), dec("6")));
    assert_eq!(r[3], ("c".into(), "2024-06-05".into(), dec("6")));
    assert_eq!(r[6], ("e".into(), "2024-06-06".into(), dec("6")));
}

// ---------------------------------------------------------------------- Hourly

#[test]
fn hourly_pro_rata_split_at_midnight() {
    let sc = scenario(
        NY,
        vec![(
            "ACD",
            product(
                Rule::Hourly { time_zone: None },
                &[("2020-01-01", "10")],
                &[],
            ),
        )],
    );
    let u = usage(&[
        (
            "ann",
            "ACD",
            "h",
            local(NY, "2024-06-03 23:00:00"),
            2 * H + 30 * 60,
        ),
        ("bob", "ACD", "h", local(NY, "2024-06-03 10:00:00"), 7),
    ]);
    let m = run(&u, &sc);
    assert_eq!(
        rows(&m, &u),
        vec![
            (
                "ann".into(),
                "ACD".into(),
                "2024-06-03".into(),
                1,
                dec("10")
            ),
            (
                "ann".into(),
                "ACD".into(),
                "2024-06-04".into(),
                1,
                dec("15")
            ),
            (
                "bob".into(),
                "ACD".into(),
                "2024-06-03".into(),
                1,
                dec("0.019444")
            ),
        ]
    );
}

#[test]
fn hourly_overlapping_sessions_count_once() {
    let sc = scenario(
        NY,
        vec![(
            "ACD",
            product(
                Rule::Hourly { time_zone: None },
                &[("2020-01-01", "2.5")],
                &[],
            ),
        )],
    );
    let t = local(NY, "2024-06-03 09:00:00");
    let u = usage(&[
        ("ann", "ACD", "h1", t, 2 * H),
        ("ann", "ACD", "h2", t + H, 2 * H),
        ("ann", "ACD", "h2", t + 90 * 60, 10 * 60),
        ("ann", "ACD", "h1", t + 5 * H, 15 * 60),
    ]);
    let m = run(&u, &sc);
    // 09:00–12:00 and 14:00–14:15 = 3.25 h × 2.5.
    assert_eq!(m.total().tokens, dec("8.125"));
    assert_eq!(m.total().charges, 1);
}

// ------------------------------------------------------------------ properties

use chrono::TimeZone;
use proptest::prelude::*;

/// Every rule at once, with a rate change and an unmapped feature.
fn all_rules() -> Scenario {
    scenario(
        NY,
        vec![
            (
                "ACD",
                product(
                    calendar_day(),
                    &[("2020-01-01", "6"), ("2024-03-09", "7")],
                    &["*ACD*"],
                ),
            ),
            (
                "UTC",
                product(
                    Rule::CalendarDay {
                        time_zone: Some("UTC".into()),
                        grace_minutes: Some(5),
                    },
                    &[("2020-01-01", "1")],
                    &["UTCF*"],
                ),
            ),
            ("RL", product(rolling(), &[("2020-01-01", "4")], &[])),
            (
                "DOORS",
                product(
                    concurrent(Some("TLSTOK"), Some(10)),
                    &[("2020-01-01", "3")],
                    &[],
                ),
            ),
            (
                "EWM",
                product(
                    concurrent(Some("TLSTOK"), None),
                    &[("2020-01-01", "2")],
                    &[],
                ),
            ),
            (
                "PK",
                product(
                    Rule::DailyPeak {
                        time_zone: None,
                        pool: None,
                    },
                    &[("2020-01-01", "1")],
                    &[],
                ),
            ),
            (
                "HR",
                product(
                    Rule::Hourly { time_zone: None },
                    &[("2020-01-01", "2.5")],
                    &[],
                ),
            ),
        ],
    )
}

const FEATURES: [&str; 9] = [
    "ACD",
    "64300acd_f",
    "UTCF1",
    "RL",
    "DOORS",
    "EWM",
    "PK",
    "HR",
    "MAYA",
];
const USERS: [&str; 5] = ["ann", "Bob", "cy", "dee", "ed"];
/// 2024-03-01 00:00 UTC.
const BASE: i64 = 1_709_251_200;

/// (user, feature, host, start offset, duration, draw)
type Row = (usize, usize, usize, i64, i64, u16);

fn row(days: i64) -> impl Strategy<Value = Row> {
    // Whole hours often, so that sessions start and end exactly at midnights.
    let dur = prop_oneof![
        Just(0i64),
        0i64..600,
        0i64..12 * 3600,
        0i64..3 * 86_400,
        (0i64..72).prop_map(|h| h * 3600),
    ];
    let start = prop_oneof![0..days * 86_400, (0..days * 24).prop_map(|h| h * 3600)];
    (
        0..USERS.len(),
        0..FEATURES.len(),
        0..3usize,
        start,
        dur,
        0u16..3,
    )
}

/// Usage with every name interned first, so ids don't depend on row order;
/// the rows split into segments at `splits`.
fn usage_of(rows: &[Row], splits: &[usize]) -> Usage {
    let mut u = Usage::default();
    for n in USERS {
        u.users.intern(n);
    }
    for f in FEATURES {
        u.features.intern(f);
    }
    for h in ["h0", "h1", "h2"] {
        u.hosts.intern(h);
    }
    let sessions: Vec<Session> = rows
        .iter()
        .map(|&(user, feature, host, start, dur, draw)| Session {
            start: (BASE + start) as u32,
            dur: dur as u32,
            user: user as u32,
            feature: feature as u32,
            host: host as u32,
            draw,
            flags: 0,
        })
        .collect();
    let mut from = 0;
    for &s in splits.iter().chain(std::iter::once(&sessions.len())) {
        let s = s.clamp(from, sessions.len());
        u.sessions.push_segment(sessions[from..s].to_vec());
        from = s;
    }
    u
}

/// CalendarDay by the book: every candidate date of every session against
/// the zone's midnights, straight from chrono-tz.
fn naive_calendar_day(rows: &[Row], tz: Tz, p: &Product) -> BTreeMap<(usize, NaiveDate), Decimal> {
    let midnight = |d: NaiveDate| {
        tz.from_local_datetime(&d.and_hms_opt(0, 0, 0).unwrap())
            .earliest()
            .unwrap()
            .timestamp()
    };
    let mut out = BTreeMap::new();
    for &(user, _, _, off, dur, _) in rows {
        let (start, end) = (BASE + off, BASE + off + dur);
        let first = tz.timestamp_opt(start, 0).unwrap().date_naive();
        let last = tz.timestamp_opt(end, 0).unwrap().date_naive();
        let mut d = first.pred_opt().unwrap();
        while d <= last.succ_opt().unwrap() {
            let next = d.succ_opt().unwrap();
            let overlaps = start < midnight(next) && end > midnight(d);
            if overlaps || (dur == 0 && d == first) {
                out.insert((user, d), p.rate_on(d));
            }
            d = next;
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn meter_ignores_session_order(
        (rows, shuffled) in prop::collection::vec(row(20), 0..80)
            .prop_flat_map(|v| (Just(v.clone()), Just(v).prop_shuffle()))
    ) {
        let sc = all_rules();
        let a = run(&usage_of(&rows, &[]), &sc);
        let b = run(&usage_of(&shuffled, &[]), &sc);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn meter_ignores_segments(
        rows in prop::collection::vec(row(20), 0..80),
        split in 0usize..80,
    ) {
        let sc = all_rules();
        let a = run(&usage_of(&rows, &[]), &sc);
        let b = run(&usage_of(&rows, &[split]), &sc);
        prop_assert_eq!(a, b);
    }

    #[test]
    fn calendar_day_equals_naive_reference_across_dst(
        rows in prop::collection::vec(row(280), 0..60),
    ) {
        // Only ACD (features 0 and 1) under CalendarDay in New York.
        let rows: Vec<Row> = rows.into_iter().map(|mut r| { r.1 %= 2; r }).collect();
        let sc = all_rules();
        let m = run(&usage_of(&rows, &[rows.len() / 2]), &sc);
        let got: BTreeMap<(usize, NaiveDate), Decimal> = m
            .pairs
            .iter()
            .flat_map(|p| p.days.iter().map(move |d| ((p.user as usize, date_of_day(d.day)), d.tokens)))
            .collect();
        let want = naive_calendar_day(&rows, NY.parse().unwrap(), &sc.products["ACD"]);
        prop_assert_eq!(got, want);
        prop_assert_eq!(m.total().charges as usize, m.pairs.iter().map(|p| p.days.len()).sum::<usize>());
    }
}

#[test]
fn rolling24h_two_charges_open_on_the_25_hour_day() {
    // 00:10 EDT on 2024-11-03 plus 24 h is 23:10 EST the same date; the
    // session still runs then, so the second charge opens on the 3rd too.
    let start = local(NY, "2024-11-03 00:10:00");
    let end = local(NY, "2024-11-04 01:00:00");
    let u = usage(&[("ann", "ACD", "h", start, end - start)]);
    let m = run(&u, &acd(NY, rolling()));
    assert_eq!(
        rows(&m, &u),
        vec![(
            "ann".into(),
            "ACD".into(),
            "2024-11-03".into(),
            2,
            dec("12")
        )]
    );
}

#[test]
fn progress_reaches_the_session_count() {
    use std::sync::atomic::{AtomicU64, Ordering};
    struct Last(AtomicU64, AtomicU64);
    impl Progress for Last {
        fn report(&self, done: u64, total: u64) {
            self.0.fetch_max(done, Ordering::Relaxed);
            self.1.store(total, Ordering::Relaxed);
        }
    }
    let rows: Vec<_> = (0..1000)
        .map(|i| ("ann", "ACD", "h", 1_700_000_000 + i * 600, 300))
        .collect();
    let u = usage(&rows);
    let p = Last(AtomicU64::new(0), AtomicU64::new(0));
    let m = meter(&u, &acd(NY, calendar_day()), &p).unwrap();
    assert_eq!(p.0.load(Ordering::Relaxed), 1000);
    assert_eq!(p.1.load(Ordering::Relaxed), 1000);
    // 1000 sessions 10 minutes apart from 2023-11-14 17:13 New York to
    // 2023-11-21 15:43: eight dates.
    assert_eq!(m.total().charges, 8);
}

// ------------------------------------------------- DailyPeak: the pool's peak

/// Token-days in UTC: `NX` (1 token a seat) and `CAE` (2 a seat) share
/// the `DailyPeak` pool `TD`; `SOLO` (1) is its own pool.
const TOKEN_DAYS: &str = r#"Scenario(
    version: 1,
    name: "token-days",
    currency: "EUR",
    server_time_zone: "UTC",
    products: {
        "CAE": Product(name: "Simcenter", rule: DailyPeak(pool: "TD"), rates: [Rate(from: "2020-01-01", tokens: "2")], features: ["CAE*"]),
        "NX": Product(name: "NX", rule: DailyPeak(pool: "TD"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["NX*"]),
        "SOLO": Product(name: "Solo", rule: DailyPeak, rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["SOLO*"]),
    },
    subscriptions: {},
    token_price: Flat("1.00"),
    contract: Contract(start: "2025-01-01", years: 1, overage_price: "1.20", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "0"),
)"#;

fn utc(s: &str) -> i64 {
    local("UTC", s)
}

#[test]
fn daily_peak_pair_at_different_hours_costs_one_token() {
    // SPEC §2's worked example: ann and bob each hold SOLO (1 token) on
    // 2024-06-03, ann 09:00–10:00 and bob 14:00–15:00. The pool never
    // holds more than 1, so the day costs 1 token, not 2, in every total;
    // the per-user rows still show 1 each (attribution, adding up to 2).
    let sc = Scenario::from_ron(TOKEN_DAYS).unwrap();
    assert!(matches!(
        &sc.products["NX"].rule,
        Rule::DailyPeak { pool: Some(p), time_zone: None } if p == "TD"
    ));
    let u = usage(&[
        ("ann", "SOLO", "h1", utc("2024-06-03 09:00:00"), H),
        ("bob", "SOLO", "h2", utc("2024-06-03 14:00:00"), H),
    ]);
    let m = run(&u, &sc);
    let solo = 2; // code order: CAE, NX, SOLO
    let d = day("2024-06-03");
    let pool = |name: &str| m.pools.iter().find(|p| p.name == name).unwrap();
    assert_eq!(pool("SOLO").daily_peaks, vec![(d, 1)]);
    assert!(pool("TD").daily_peaks.is_empty());
    let by_day = m.by_day();
    assert_eq!((by_day[&d].charges, by_day[&d].tokens), (2, dec("1")));
    let by_product = m.by_product();
    assert_eq!(by_product.len(), 1);
    assert_eq!(by_product[0].0, solo);
    assert_eq!(
        (by_product[0].1.charges, by_product[0].1.tokens),
        (2, dec("1"))
    );
    assert_eq!(m.total().tokens, dec("1"));
    // Attribution per user: 1 each.
    let users: Vec<Decimal> = m.by_user().iter().map(|(_, t)| t.tokens).collect();
    assert_eq!(users, vec![dec("1"), dec("1")]);
    // The summary `meter` prints, and burn, count the pool's peak.
    let s = m.summary();
    assert_eq!(s.by_product()[0].1.tokens, dec("1"));
    assert_eq!(s.by_day[&d].tokens, dec("1"));
    assert!(s.shared_pools().is_empty(), "SOLO is its own pool");
    let rows = tokenplan::monitor::charge_rows(&u, &m);
    let series = tokenplan::monitor::burn::pooled_series(&rows, &m);
    assert_eq!(
        series.into_iter().collect::<Vec<_>>(),
        vec![(date("2024-06-03"), dec("1"))]
    );
    let audit = tokenplan::monitor::audit(
        &u,
        &sc,
        &m,
        &tokenplan::monitor::AuditOptions::default(),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(audit.burn.len(), 1);
    assert_eq!(audit.burn[0].tokens, dec("1"));
    assert_eq!(audit.burn_summary.month_to_date, dec("1"));
}

/// The shared pool `TD` over three UTC days:
/// - 06-03: ann NX 09–11 (1), bob CAE 10–12 (2), cy NX 13–14 (1). Pool
///   peak 10–11: 1 + 2 = 3. Own peaks NX 1 (ann and cy never overlap), CAE
///   2: they add up to 3, so the shares are exactly 1 and 2.
/// - 06-04: ann NX 09–10 (1), bob CAE 14–15 (2): pool peak 2, own peaks 1
///   and 2 (sum 3): NX 2 × 1/3 = 0.666667 (six places, half away from
///   zero), CAE, the larger, the rest: 2 − 0.666667 = 1.333333.
/// - 06-05: ann NX 09–10: pool peak 1, all NX.
///
/// Pool 3 + 2 + 1 = 6 tokens; NX 1 + 0.666667 + 1 = 2.666667, CAE 2 +
/// 1.333333 = 3.333333 (adding up to 6). Charges (user-days held): NX 4
/// (ann ×3, cy), CAE 2 (bob ×2); per-user rows: ann 3, bob 4, cy 1 = 8
/// tokens of attribution.
fn shared_pool_usage() -> Usage {
    usage(&[
        ("ann", "NX", "h1", utc("2024-06-03 09:00:00"), 2 * H),
        ("bob", "CAE", "h2", utc("2024-06-03 10:00:00"), 2 * H),
        ("cy", "NX", "h3", utc("2024-06-03 13:00:00"), H),
        ("ann", "NX", "h1", utc("2024-06-04 09:00:00"), H),
        ("bob", "CAE", "h2", utc("2024-06-04 14:00:00"), H),
        ("ann", "NX", "h1", utc("2024-06-05 09:00:00"), H),
    ])
}

#[test]
fn daily_peak_shared_pool_attributes_its_peak_to_products() {
    let sc = Scenario::from_ron(TOKEN_DAYS).unwrap();
    let u = shared_pool_usage();
    let m = run(&u, &sc);
    // Pools sort by name: SOLO (unused), TD.
    let pool = &m.pools[1];
    assert_eq!(
        (pool.name.as_str(), &pool.products[..]),
        ("TD", &[0, 1][..])
    );
    let (d3, d4, d5) = (day("2024-06-03"), day("2024-06-04"), day("2024-06-05"));
    assert_eq!(pool.daily_peaks, vec![(d3, 3), (d4, 2), (d5, 1)]);
    let bill = &m.peak_bills()[1];
    let shares: Vec<Vec<Decimal>> = bill.days.iter().map(|d| d.shares.clone()).collect();
    assert_eq!(
        shares,
        vec![
            vec![dec("2"), dec("1")],
            vec![dec("1.333333"), dec("0.666667")],
            vec![dec("0"), dec("1")],
        ]
    );
    let by_product: Vec<(u16, u64, Decimal)> = m
        .by_product()
        .into_iter()
        .map(|(p, t)| (p, t.charges, t.tokens))
        .collect();
    assert_eq!(
        by_product,
        vec![(0, 2, dec("3.333333")), (1, 4, dec("2.666667"))]
    );
    let by_day: Vec<(i32, u64, Decimal)> = m
        .by_day()
        .into_iter()
        .map(|(d, t)| (d, t.charges, t.tokens))
        .collect();
    assert_eq!(
        by_day,
        vec![(d3, 3, dec("3")), (d4, 2, dec("2")), (d5, 1, dec("1"))]
    );
    assert_eq!(m.total().tokens, dec("6"));
    let attributed: Decimal = m.by_user().iter().map(|(_, t)| t.tokens).sum();
    assert_eq!(attributed, dec("8"));
    let s = m.summary();
    assert_eq!(
        s.shared_pools()
            .into_iter()
            .map(|(p, t)| (p.to_string(), t.charges, t.tokens))
            .collect::<Vec<_>>(),
        vec![("TD".to_string(), 6, dec("6"))]
    );
}

#[test]
fn meter_by_product_prints_shares_and_the_pool_row() {
    // The figures of `shared_pool_usage`, through the command line.
    let dir = std::env::temp_dir().join(format!("tokenplan-meter-td-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let sc = dir.join("s.ron");
    std::fs::write(&sc, TOKEN_DAYS).unwrap();
    let csv = dir.join("sessions.csv");
    std::fs::write(
        &csv,
        "user,product,host,start,end\n\
         ann,NX,h1,2024-06-03T09:00:00Z,2024-06-03T11:00:00Z\n\
         bob,CAE,h2,2024-06-03T10:00:00Z,2024-06-03T12:00:00Z\n\
         cy,NX,h3,2024-06-03T13:00:00Z,2024-06-03T14:00:00Z\n\
         ann,NX,h1,2024-06-04T09:00:00Z,2024-06-04T10:00:00Z\n\
         bob,CAE,h2,2024-06-04T14:00:00Z,2024-06-04T15:00:00Z\n\
         ann,NX,h1,2024-06-05T09:00:00Z,2024-06-05T10:00:00Z\n",
    )
    .unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenplan"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let (sc, csv) = (sc.to_str().unwrap(), csv.to_str().unwrap());
    assert_eq!(
        run(&["meter", "--scenario", sc, csv, "--by", "product"]),
        "product,charges,tokens\nCAE,2,3.333333\nNX,4,2.666667\npool:TD,6,6\n"
    );
    assert_eq!(
        run(&["meter", "--scenario", sc, csv, "--by", "day"]),
        "date,charges,tokens\n2024-06-03,3,3\n2024-06-04,2,2\n2024-06-05,1,1\n"
    );
    // Per-user rows stay attribution: each user's own peak.
    assert_eq!(
        run(&["meter", "--scenario", sc, csv, "--by", "user"]),
        "user,charges,tokens\nann,3,3\nbob,2,4\ncy,1,1\n"
    );
    let json: serde_json::Value = serde_json::from_str(&run(&[
        "meter",
        "--scenario",
        sc,
        csv,
        "--by",
        "product",
        "--format",
        "json",
    ]))
    .unwrap();
    assert_eq!(json["rows"][2]["pool"], "TD");
    assert_eq!(json["rows"][2]["tokens"], "6");
    assert!(json["rows"][2].get("product").is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the sessions, a `DailyPeak` pool's bill holds: each date's
    /// shares add up to the pool's peak, which lies between the largest
    /// holder's own peak and the sum of every holder's; the products'
    /// totals, the days' and the grand total all add up to the pool's daily
    /// peaks; the summary `meter` prints agrees; and replaying the pool at
    /// the rates it was metered at changes nothing.
    #[test]
    fn a_daily_peak_bill_adds_up(
        rows in prop::collection::vec(
            (0u8..4, any::<bool>(), 0i64..3 * 86_400, 0i64..10 * 3600, prop_oneof![Just(0u16), 1u16..5]),
            1..40,
        )
    ) {
        let sc = Scenario::from_ron(TOKEN_DAYS).unwrap();
        let mut u = Usage::default();
        let base = utc("2024-06-03 00:00:00");
        for &(user, nx, off, dur, draw) in &rows {
            let s = Session {
                start: (base + off) as u32,
                dur: dur as u32,
                user: u.users.intern(&format!("u{user}")),
                feature: u.features.intern(if nx { "NX" } else { "CAE" }),
                host: u.hosts.intern(&format!("h{user}")),
                draw,
                flags: 0,
            };
            u.sessions.push(s);
        }
        let m = run(&u, &sc);
        let Some(pool_index) = m.pools.iter().position(|p| p.name == "TD") else {
            return Err(TestCaseError::fail("no TD pool"));
        };
        let pool = &m.pools[pool_index];
        let bill = tokenplan::meter::PeakBill::of(pool);
        let peaks: BTreeMap<i32, u32> = pool.daily_peaks.iter().copied().collect();
        for day in &bill.days {
            prop_assert_eq!(day.shares.iter().copied().sum::<Decimal>(), day.tokens);
            prop_assert_eq!(Some(day.tokens), peaks.get(&day.day).map(|&p| Decimal::from(p)));
            let own: Vec<Decimal> = m
                .pairs
                .iter()
                .filter(|p| pool.products.contains(&p.product))
                .flat_map(|p| p.days.iter().filter(|d| d.day == day.day).map(|d| d.tokens))
                .collect();
            prop_assert!(day.tokens <= own.iter().copied().sum::<Decimal>());
            prop_assert!(day.tokens >= own.iter().copied().max().unwrap_or_default());
        }
        let billed: Decimal = peaks.values().map(|&p| Decimal::from(p)).sum();
        prop_assert_eq!(m.total().tokens, billed);
        prop_assert_eq!(m.by_product().iter().map(|(_, t)| t.tokens).sum::<Decimal>(), billed);
        prop_assert_eq!(m.by_day().values().map(|t| t.tokens).sum::<Decimal>(), billed);
        let s = m.summary();
        prop_assert_eq!(s.by_product(), m.by_product());
        prop_assert_eq!(&s.by_day, &m.by_day());
        let same = m
            .pool_at_rates(pool_index, |p| {
                let code = m.product_code(p);
                Some(sc.products[code].rate_on(date("2024-06-03")))
            })
            .unwrap();
        prop_assert_eq!(&same.daily_peaks, &pool.daily_peaks);
        prop_assert_eq!(same.peak, pool.peak);
    }
}
