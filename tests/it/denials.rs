//! Denied demand added back before a `Concurrent` pool is sized (SPEC §5,
//! second paragraph; §7 `size` JSON `pools`): the three filters, in order,
//! on a TLSTOK debug log written in the IBM grammar, the size meeting the
//! target before and after, the recommendation's pool line, RLM `DENY`
//! with `last_attempt` 0, and the `size` command's outputs.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use tokenplan::ingest::{ImportOptions, import_bytes};
use tokenplan::ledger::pools::{RETRY_WINDOW_SECS, demand_to_size};
use tokenplan::ledger::{DeniedDemand, PoolDay, PoolSizing, size_pools};
use tokenplan::meter::{
    Metered, PoolDenial, PoolSession, PoolTimeline, PoolUsage, RuleKind, meter,
};
use tokenplan::plan::pool_lines;
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::usage::Usage;

use super::cli_support::*;

/// The IBM fixture: a day of a TLSTOK pool that was full, with denials.
const LOG: &str = include_str!("../data/ibm_tlstok_denials.log");

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// DOORS, EWM and ETM share `TLSTOK` at rate 1 (every line carries its own
/// `(N licenses)`), server in New York; target denial rate and growth as
/// given, the pool priced at 120.00 a token-year.
fn scenario(target: &str, growth: &str) -> Scenario {
    Scenario::from_ron(&scenario_ron(target, growth)).unwrap()
}

/// The text of [`scenario`].
fn scenario_ron(target: &str, growth: &str) -> String {
    format!(
        r#"Scenario(
    version: 1,
    name: "IBM denials",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {{
        "DOORS": Product(name: "DOORS", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["DOORS"]),
        "EWM": Product(name: "EWM", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["EWM"]),
        "ETM": Product(name: "ETM", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["ETM"]),
    }},
    subscriptions: {{}},
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.00")]),
    contract: Contract(start: "2026-01-01", years: 1, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "{growth}"),
    pools: {{"TLSTOK": Pool(price_per_token_year: "120.00")}},
    sizing: Sizing(target_denial_rate: "{target}"),
)"#
    )
}

/// `log` imported as a New York debug log.
fn import(name: &str, log: &str) -> Usage {
    let mut usage = Usage::default();
    let opts = ImportOptions {
        time_zone: chrono_tz::America::New_York,
        ..Default::default()
    };
    let report = import_bytes(name, log.as_bytes(), &opts, &mut usage, &NoProgress).unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    usage
}

/// The fixture without its `DENIED:` lines: the same history as if the
/// server had logged no denial.
fn without_denials() -> String {
    LOG.lines()
        .filter(|l| !l.contains("DENIED:"))
        .map(|l| format!("{l}\n"))
        .collect()
}

fn sized(log: &str, target: &str) -> PoolSizing {
    let usage = import("denials.log", log);
    let metered = meter(&usage, &scenario(target, "0"), &NoProgress).unwrap();
    let mut pools = size_pools(&metered, d(target), &[]);
    assert_eq!(pools.len(), 1, "{pools:?}");
    pools.remove(0)
}

/// (denied checkouts, denied token-hours, denied users, denial rate).
fn figures(p: &PoolSizing, size: u32) -> (u64, Decimal, u64, Decimal) {
    let x = p.denials.iter().find(|x| x.size == size).unwrap();
    (
        x.denied_checkouts,
        x.denied_token_hours,
        x.denied_users,
        x.denial_rate,
    )
}

/// New York wall clock on Tue 2025-03-18 (EDT, UTC−4) in epoch seconds.
fn ny(hh: i64, mm: i64) -> i64 {
    // 2025-03-18T00:00:00Z = 1,742,256,000.
    1_742_256_000 + (hh + 4) * 3600 + mm * 60
}

// The fixture (New York wall clock, Tue 2025-03-18; draws in tokens):
//
// Logged TLSTOK checkouts (9):
//   bob  EWM   3  07:30-08:30, 10:45-11:30, 13:00-15:00  (60, 45, 120 min)
//   ann  DOORS 5  08:00-10:00
//   gus  ETM   2  08:00-08:40                             (40 min)
//   hal  DOORS 5  08:45-10:30
//   carl ETM   2  10:10-11:10                             (60 min)
//   ivy  DOORS 5  10:40-12:00
//   dora DOORS 5  11:30-12:30                             (60 min)
//
// Logged denials (10), features mapped to products first:
//   ann  DOORS 08:00:00 own feature ("DOORS", no count)
//   bob  EWM   09:00, 09:10, 09:24, 09:40   TLSTOK (3 licenses)
//   carl ETM   09:50, 09:55                 TLSTOK (2 licenses)
//   dora DOORS 10:50                        TLSTOK (5 licenses)
//   eve  ETM   11:45:00 own feature ("ETM", no count) and TLSTOK (2 licenses)
//
// (1) Entitlement records: ann's 08:00:00 denial is in the second of her
//     TLSTOK checkout of DOORS → 1. No other denial shares a second with a
//     checkout of its product by its user@host (eve has none at all).
// (2) Chains (each within 15 min of the previous, inclusive):
//     bob 09:00 → 09:10 (10 min) → 09:24 (14 min): one denial, 2 joined;
//     09:40 is 16 min after 09:24: a new chain. carl 09:50 → 09:55: one,
//     1 joined. eve's two denials in one second: one, 1 joined, asking
//     max(1, 2) = 2. Chained: 2 + 1 + 1 = 4.
// (3) Served: carl's last retry 09:55, his checkout 10:10 = 15 min later
//     (inclusive) → served, 1. bob's chains end 09:24 and 09:40: his next
//     EWM checkout is 10:45 (> 15 min) → lost. dora's next checkout 11:30 is
//     40 min after 10:50 → lost. eve has no checkout → lost.
// Added back: 10 − 1 − 4 − 1 = 4 checkouts, each from the chain's first
// denial, for the user's median hold of the product, else the product's:
//   A bob  EWM   3  09:00-10:00  (bob's EWM holds 45, 60, 120: median 60)
//   B bob  EWM   3  09:40-10:40
//   C dora DOORS 5  10:50-11:50  (dora's only DOORS hold: 60)
//   D eve  ETM   2  11:45-12:35  (eve has none; ETM holds 40, 60: 50)
//
// Logged draw (checkins first at an instant): 07:30 3 | 08:00 10 (peak,
// first reached; 12:00Z) | 08:30 7 | 08:40 5 | 08:45 10 | 10:00 5 | 10:10 7
// | 10:30 2 | 10:40 7 | 10:45 10 | 11:10 8 | 11:30 bob in, dora out: 10 |
// 12:00 5 | 12:30 0 | 13:00 3 | 15:00 0. Peak 10.
//
// With A-D added back: ... 08:45 10 | 09:00 A 13 | 09:40 B: bob@ws-bob
// already holds EWM, +0 → 13 | 10:00 ann in, A in (bob falls back to B's
// 3) → 8 | 10:10 10 | 10:30 5 | 10:40 B in, ivy out → 7 | 10:45 10 |
// 10:50 C → 15 (demand peak; 14:50Z) | 11:10 13 | 11:30 bob in, dora's
// logged checkout +0 (C holds DOORS for her) → 10 | 11:45 D 12 | 11:50 C
// in (dora falls back to 5) 12 | 12:00 7 | 12:30 2 | 12:35 0 | 13:00 3.
//
// Replays with the 13 checkouts:
//   size 15: nothing refused.
//   size 14 and 13: C refused (10 + 5 > 13); at 11:30 dora's logged
//     checkout then draws 5 (10), D fits (12). 1 refused: 1 h × 5 = 5
//     token-hours, 1 user, 1/13 = 0.076923.
//   size 12: A refused (10 + 3); B refused (bob holds nothing: 13); C
//     refused; D fits (10 + 2 = 12). 3 refused: 3 + 3 + 5 = 11
//     token-hours, users bob and dora, 3/13 = 0.230769.
//   size 11: as 12, and D refused (12 > 11): 4 refused, 11 + 2 × 50/60 =
//     12.666667 token-hours, 3 users, 4/13 = 0.307692.
// Target 0.1: 13 (1/13 ≤ 0.1 < 3/13); target 0.01: 15.
#[test]
fn ibm_denials_add_back_exactly_the_demand_spec_5_defines() {
    let usage = import("ibm_tlstok_denials.log", LOG);
    assert_eq!(usage.sessions.len(), 9);
    assert_eq!(usage.denials.len(), 10);
    let metered = meter(&usage, &scenario("0.1", "0"), &NoProgress).unwrap();
    // Every denial maps to a pool product (DOORS, ETM, EWM).
    assert_eq!(metered.denials.len(), 10);
    let [pool] = &metered.pools[..] else {
        panic!("one pool expected")
    };

    let demand = demand_to_size(pool, &metered.denials);
    assert_eq!(demand.added_back, 4);
    assert_eq!(
        demand.filters,
        DeniedDemand {
            logged: 10,
            entitlement_records: 1,
            chained: 4,
            served: 1,
        }
    );
    let (logged, added) = demand.sessions.split_at(pool.sessions.len());
    assert_eq!(logged, &pool.sessions[..]);
    let user = |name: &str| usage.users.get(name).unwrap();
    let product = |code: &str| metered.products.iter().position(|p| p == code).unwrap() as u16;
    let mut got: Vec<(u32, u16, i64, i64, u32)> = added
        .iter()
        .map(|s| (s.user, s.product, s.start, s.end, s.draw))
        .collect();
    got.sort_unstable_by_key(|x| x.2);
    assert_eq!(
        got,
        vec![
            (user("bob"), product("EWM"), ny(9, 0), ny(10, 0), 3),
            (user("bob"), product("EWM"), ny(9, 40), ny(10, 40), 3),
            (user("dora"), product("DOORS"), ny(10, 50), ny(11, 50), 5),
            (user("eve"), product("ETM"), ny(11, 45), ny(12, 35), 2),
        ]
    );

    let p = &size_pools(&metered, d("0.1"), &[])[0];
    assert_eq!(p.pool, "TLSTOK");
    assert_eq!(
        (p.peak, p.peak_at.as_deref()),
        (10, Some("2025-03-18T12:00:00Z"))
    );
    assert_eq!(p.demand_peak, 15);
    assert_eq!((p.checkouts, p.added_back_checkouts), (9, 4));
    assert_eq!(p.denied_demand, demand.filters);
    // The curve runs to the demand's peak.
    let sizes: Vec<u32> = p.denials.iter().map(|x| x.size).collect();
    assert_eq!(sizes, (0..=15).collect::<Vec<u32>>());
    assert_eq!(figures(p, 15), (0, d("0"), 0, d("0")));
    assert_eq!(figures(p, 14), (1, d("5"), 1, d("0.076923")));
    assert_eq!(figures(p, 13), (1, d("5"), 1, d("0.076923")));
    assert_eq!(figures(p, 12), (3, d("11"), 2, d("0.230769")));
    assert_eq!(figures(p, 11), (4, d("12.666667"), 3, d("0.307692")));
    assert_eq!(p.size_for_target, 13);
    assert_eq!(
        p.daily,
        vec![PoolDay {
            date: chrono::NaiveDate::from_ymd_opt(2025, 3, 18).unwrap(),
            served_peak: 10,
            demand_peak: 15,
        }]
    );
    // Each point is a true replay of the 13 checkouts.
    let t = PoolTimeline::new(&demand.sessions);
    for x in &p.denials {
        assert_eq!(x.denied_checkouts, t.replay(Some(x.size)).denied_checkouts);
    }
}

// Before: the same log without its DENIED: lines is the 9 logged
// checkouts alone, peak 10. Size 10 refuses nothing. Size 9: 08:00 gus
// (sorted first by his earlier checkin) 3 + 2 = 5, ann 5 + 5 = 10 > 9
// refused; 08:45 hal 5; 10:10 carl 7; 10:40 ivy 7 (hal in); 10:45 bob
// 7 + 3 = 10 > 9 refused; 11:30 dora 5 + 5 = 10 > 9 refused: 3 of 9.
// So 10 for both targets 0.1 and 0.01. After (the test above): 13 at 0.1,
// 15 at 0.01.
//
// The recommendation's pool line at growth 0.05: before 10 × 1.05 = 10.5
// → 11 tokens × 120.00 = 1,320.00; after 13 × 1.05 = 13.65 → 14 tokens ×
// 120.00 = 1,680.00.
#[test]
fn the_size_meeting_the_target_before_and_after_adding_back() {
    let before = without_denials();
    let b = sized(&before, "0.1");
    assert_eq!((b.checkouts, b.added_back_checkouts), (9, 0));
    assert_eq!(b.denied_demand, DeniedDemand::default());
    assert_eq!((b.peak, b.demand_peak), (10, 10));
    assert_eq!(figures(&b, 9).0, 3);
    assert_eq!(b.size_for_target, 10);
    assert_eq!(sized(&before, "0.01").size_for_target, 10);
    // Without denials the two peaks of each day are the same.
    assert!(b.daily.iter().all(|x| x.served_peak == x.demand_peak));

    assert_eq!(sized(LOG, "0.1").size_for_target, 13);
    assert_eq!(sized(LOG, "0.01").size_for_target, 15);

    let line = |log: &str| {
        let sc = scenario("0.1", "0.05");
        let metered = meter(&import("l.log", log), &sc, &NoProgress).unwrap();
        let (mut lines, warnings) = pool_lines(&metered, &sc);
        assert!(warnings.is_empty(), "{warnings:?}");
        lines.remove(0)
    };
    let (b, a) = (line(&before), line(LOG));
    assert_eq!((b.size_for_target, b.size, b.cost), (10, 11, d("1320.00")));
    assert_eq!((b.checkouts, b.added_back_checkouts), (9, 0));
    assert_eq!((a.size_for_target, a.size, a.cost), (13, 14, d("1680.00")));
    assert_eq!((a.checkouts, a.added_back_checkouts), (9, 4));
}

/// An RLM report log (std format) of one `solver` pool, UTC server:
///   ann 08:00-10:00 (2 h), bob 08:30-11:00 (2.5 h), 1 token each;
///   cy  DENY 09:00, last_attempt 0: refused here, retried at another
///       server — never added back;
///   dee DENY 09:30, last_attempt 1: a denial of the user; dee has no
///       checkout, so the product's median hold: (2 h + 2.5 h) / 2 = 2.25 h
///       → 09:30-11:45, 1 token.
/// Draw: 08:00 1 | 08:30 2 | 09:30 dee 3 (peak) | 10:00 2 | 11:00 1 |
/// 11:45 0. Target 0: size 3 (at 2 dee is refused: 1/3). Had cy been added
/// back (09:00-11:15) the draw would reach 4 at 09:30.
const RLM: &str = "\
RLM Report Log Format 0, version 15.2, authenticated
ISV: cfdsolve, RLM version 15.2 BL2
START lic02 03/02/2026 07:58
PRODUCT solver 2026.1 1 2 0 0 \"\" \"\" \"\" \"\" \"\" \"\" 0 0 0 0 0 0 0 0 0
OUT solver 2026.1 1 ann ws-ann \"\" 1 1 0 2b 0 1f04 \"\" \"solver\" \"2026.1\" 03/02 08:00:00
OUT solver 2026.1 1 bob ws-bob \"\" 1 2 0 2c 0 1f05 \"\" \"solver\" \"2026.1\" 03/02 08:30:00
DENY solver 2026.1 cy ws-cy \"\" 1 -22 0 3f10 03/02 09:00
DENY solver 2026.1 dee ws-dee \"\" 1 -22 1 3f11 03/02 09:30
IN 1 solver 2026.1 ann ws-ann \"\" 1 1 0 2b 03/02 10:00:00
IN 1 solver 2026.1 bob ws-bob \"\" 1 0 0 2c 03/02 11:00:00
END 03/02/2026 12:00
";

#[test]
fn an_rlm_deny_with_last_attempt_zero_is_not_added_back() {
    let mut usage = Usage::default();
    let report = import_bytes(
        "solver.rlm",
        RLM.as_bytes(),
        &ImportOptions::default(),
        &mut usage,
        &NoProgress,
    )
    .unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(usage.sessions.len(), 2);
    // Only dee's DENY is a denial of the user.
    assert_eq!(usage.denials.len(), 1);
    let sc = Scenario::from_ron(
        r#"Scenario(
    version: 1,
    name: "RLM",
    currency: "USD",
    server_time_zone: "UTC",
    products: {
        "SOLVER": Product(name: "Solver", rule: Concurrent, rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["solver"]),
    },
    subscriptions: {},
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.00")]),
    contract: Contract(start: "2027-01-01", years: 1, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "0"),
)"#,
    )
    .unwrap();
    let metered = meter(&usage, &sc, &NoProgress).unwrap();
    let p = &size_pools(&metered, d("0"), &[])[0];
    assert_eq!((p.checkouts, p.added_back_checkouts), (2, 1));
    assert_eq!(p.denied_demand.logged, 1);
    assert_eq!((p.peak, p.demand_peak), (2, 3));
    assert_eq!(figures(p, 2), (1, d("2.25"), 1, d("0.333333")));
    assert_eq!(p.size_for_target, 3);
}

// ---------------------------------------------------------------------------
// The filters one at a time on a constructed pool (product 0, rate given).

const T0: i64 = 1_700_000_000;

fn out(user: u32, host: u32, start: i64, mins: i64, draw: u32) -> PoolSession {
    PoolSession {
        start: T0 + start,
        end: T0 + start + mins * 60,
        user,
        host,
        product: 0,
        draw,
    }
}

fn deny(user: u32, host: u32, at: i64, count: u32) -> PoolDenial {
    PoolDenial {
        product: 0,
        user,
        host,
        at: T0 + at,
        count,
    }
}

fn pool(sessions: Vec<PoolSession>) -> PoolUsage {
    let free = PoolTimeline::new(&sessions).replay(None);
    PoolUsage {
        name: "P".into(),
        rule: RuleKind::Concurrent,
        products: vec![0],
        time_zone: "UTC".into(),
        peak: free.peak,
        peak_at: free.peak_at,
        daily_peaks: Vec::new(),
        sessions,
    }
}

/// An added checkout as (user, host, start − T0, end − T0, draw).
type Added = (u32, u32, i64, i64, u32);

/// The added checkouts, sorted, and what the filters counted.
fn added(p: &PoolUsage, denials: &[PoolDenial]) -> (Vec<Added>, DeniedDemand) {
    let demand = demand_to_size(p, denials);
    let mut v: Vec<_> = demand.sessions[p.sessions.len()..]
        .iter()
        .map(|s| (s.user, s.host, s.start - T0, s.end - T0, s.draw))
        .collect();
    v.sort_unstable();
    assert_eq!(v.len() as u64, demand.added_back);
    (v, demand.filters)
}

// Entitlement records go before chaining. User 1 checks out at 600 s (10
// min, 60 min hold). Denials at 0, 600 (its checkout's second) and 1320
// (22 min). First (1): 600 is an entitlement record. Then (2): 0 and 1320
// are 22 min apart, two chains. (3): 0 → the checkout at 600 is 10 min
// later: served; 1320 → no checkout after: added back, 1320 s + 60 min.
// (Chaining first would have made 0-600-1320 one chain, last 1320, lost,
// added back from 0.)
#[test]
fn entitlement_records_are_removed_before_chaining() {
    let p = pool(vec![out(1, 1, 600, 60, 2)]);
    let (v, f) = added(
        &p,
        &[deny(1, 1, 0, 2), deny(1, 1, 600, 1), deny(1, 1, 1320, 2)],
    );
    assert_eq!(v, vec![(1, 1, 1320, 1320 + 3600, 2)]);
    assert_eq!(
        f,
        DeniedDemand {
            logged: 3,
            entitlement_records: 1,
            chained: 0,
            served: 1,
        }
    );
}

// 15 minutes is inclusive, both for chaining and for serving. Denials at 0
// and 900 (15 min): one chain; 1801 (901 s after 900): a second. A
// checkout at 900 + 900 = 1800 serves the first chain (inclusive), but the
// second chain's last retry is 1801, after it: lost, held for the median of
// user 1's holds (the 1800 one, 30 min). A checkout 901 s after the last
// retry does not serve: user 2's denial at 0, checkout at 901.
#[test]
fn fifteen_minutes_is_inclusive() {
    let p = pool(vec![out(1, 1, 1800, 30, 1), out(2, 1, 901, 10, 1)]);
    let denials = [
        deny(1, 1, 0, 1),
        deny(1, 1, 900, 1),
        deny(1, 1, 1801, 1),
        deny(2, 1, 0, 1),
    ];
    let (v, f) = added(&p, &denials);
    assert_eq!(v, vec![(1, 1, 1801, 1801 + 1800, 1), (2, 1, 0, 600, 1)]);
    assert_eq!((f.chained, f.served, f.entitlement_records), (1, 1, 0));
    assert_eq!(RETRY_WINDOW_SECS, 900);
}

// User@host: a checkout by the same user on another host neither is an
// entitlement record for, nor serves, a denial on this host, and chains are
// per host. User 1 denied on host 1 at 0 and on host 2 at 60; checkouts on
// host 2 at 0 (60 min) and at 300 (120 min). Host 1's denial: no checkout
// on host 1 → added back, user 1's median hold (60, 120 → 90 min), draw 3.
// Host 2's denial at 60: the checkout at 300 serves it.
#[test]
fn filters_are_per_user_at_host() {
    let p = pool(vec![out(1, 2, 0, 60, 3), out(1, 2, 300, 120, 3)]);
    let (v, f) = added(&p, &[deny(1, 1, 0, 3), deny(1, 2, 60, 3)]);
    assert_eq!(v, vec![(1, 1, 0, 5400, 3)]);
    assert_eq!((f.served, f.entitlement_records, f.chained), (1, 0, 0));
}

// Median fallbacks: a user with no hold of the product takes the
// product's median (30, 50, 70 → 50 min); a product with no hold at all
// (product 1, in the same pool) the pool's (all holds: 50 min, as
// product 0's are all there is); a chain asks for its largest count.
#[test]
fn median_holds_fall_back_to_the_product_then_the_pool() {
    let mut p = pool(vec![
        out(1, 1, 0, 30, 1),
        out(2, 1, 0, 50, 1),
        out(3, 1, 0, 70, 1),
    ]);
    p.products = vec![0, 1];
    let mut other = deny(9, 9, 10_000, 4);
    other.product = 1;
    let (v, _) = added(&p, &[deny(8, 1, 10_000, 1), deny(8, 1, 10_060, 5), other]);
    assert_eq!(
        v,
        vec![(8, 1, 10_000, 13_000, 5), (9, 9, 10_000, 13_000, 4)]
    );
    // Denials of products outside the pool are not its demand.
    let mut elsewhere = deny(9, 9, 10_000, 4);
    elsewhere.product = 2;
    let demand = demand_to_size(&p, &[elsewhere]);
    assert_eq!((demand.added_back, demand.filters.logged), (0, 0));
}

fn arb_case() -> impl Strategy<Value = (Vec<PoolSession>, Vec<PoolDenial>)> {
    let session = (0u32..3, 0u32..2, 0i64..20_000, 0i64..120, 1u32..4)
        .prop_map(|(u, h, s, m, d)| out(u, h, s, m, d));
    let denial =
        (0u32..3, 0u32..2, 0i64..20_000, 1u32..4).prop_map(|(u, h, a, c)| deny(u, h, a, c));
    (
        prop::collection::vec(session, 0..12),
        prop::collection::vec(denial, 0..12),
    )
}

proptest! {
    /// Every logged denial is accounted for by one filter or added back;
    /// the logged checkouts are all replayed; the sizing's counts agree.
    #[test]
    fn every_denial_is_accounted_for((sessions, denials) in arb_case()) {
        let mut sessions = sessions;
        sessions.sort_unstable();
        let p = pool(sessions);
        let demand = demand_to_size(&p, &denials);
        let f = &demand.filters;
        prop_assert_eq!(f.logged, denials.len() as u64);
        prop_assert_eq!(
            f.entitlement_records + f.chained + f.served + demand.added_back,
            f.logged
        );
        prop_assert_eq!(&demand.sessions[..p.sessions.len()], &p.sessions[..]);
        let metered = Metered {
            products: vec!["P".into()],
            pools: vec![p.clone()],
            denials: denials.clone(),
            ..Metered::default()
        };
        let sized = size_pools(&metered, Decimal::ZERO, &[]);
        prop_assert_eq!(sized[0].checkouts, p.sessions.len() as u64);
        prop_assert_eq!(sized[0].added_back_checkouts, demand.added_back);
        prop_assert!(sized[0].demand_peak >= sized[0].peak);
    }
}

// ---------------------------------------------------------------------------
// The `size` command (SPEC §7): JSON, CSV and table.

/// With the scenario's default target (0.01): 15 tokens (see the first
/// test); 9 logged checkouts, 4 added back.
#[test]
fn size_shows_served_and_added_back_demand() {
    let dir = std::env::temp_dir().join(format!("tokenplan-denials-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sc = dir.join("ibm.ron");
    std::fs::write(&sc, scenario_ron("0.01", "0.05")).unwrap();
    let log = format!(
        "{}/tests/data/ibm_tlstok_denials.log",
        env!("CARGO_MANIFEST_DIR")
    );
    let sc = sc.to_str().unwrap();
    let base = ["size", "--scenario", sc, &log, "--trials", "20"];
    let with = |format: &str| {
        let mut a = base.to_vec();
        a.extend(["--format", format]);
        let (code, out, err) = run(&a);
        assert_eq!(code, 0, "{err}");
        out
    };
    let v: serde_json::Value = serde_json::from_str(&with("json")).unwrap();
    let p = &v["pools"][0];
    assert_eq!(p["pool"], "TLSTOK");
    assert_eq!(p["peak"], 10);
    assert_eq!(p["demand_peak"], 15);
    assert_eq!(p["checkouts"], 9);
    assert_eq!(p["added_back_checkouts"], 4);
    assert_eq!(p["size_for_target"], 15);
    assert_eq!(
        p["denied_demand"],
        serde_json::json!({"logged": 10, "entitlement_records": 1, "chained": 4, "served": 1})
    );
    assert_eq!(
        p["denials"][13],
        serde_json::json!({
            "size": 13,
            "denied_checkouts": 1,
            "denied_token_hours": "5",
            "denied_users": 1,
            "denial_rate": "0.076923",
        })
    );
    assert_eq!(
        p["daily"],
        serde_json::json!([{"date": "2025-03-18", "served_peak": 10, "demand_peak": 15}])
    );

    let csv = with("csv");
    let pools = csv.split("\n\n").nth(1).unwrap_or_default();
    assert_eq!(
        pools,
        "pool,products,peak,demand_peak,checkouts,added_back_checkouts,denials_logged,\
         entitlement_records,chained_denials,served_denials,target_denial_rate,size_for_target\n\
         TLSTOK,DOORS ETM EWM,10,15,9,4,10,1,4,1,0.01,15\n"
    );

    let table = with("table");
    assert!(
        table.contains(
            "Pool TLSTOK: peak 10 tokens over 9 checkouts; size for the target denial rate: 15"
        ),
        "{table}"
    );
    assert!(
        table.contains(
            "denied demand: 10 denials logged, 4 added back as checkouts (peak 15 with them); \
             not added back: entitlement records 1, retries of an earlier denial 4, \
             served within 15 minutes 1"
        ),
        "{table}"
    );
}
