//! Property tests: the audit's parts that work in place or part by part
//! (day-boundary start marks, the shadow bill from the baseline and by
//! product group, harvest policies re-metering only the pairs they change,
//! the consumption views without charge rows) give what a simple reference
//! kept here gives: the whole history copied, harvested and metered again,
//! every rule metered whole, a set of (user, product, start date) per
//! session, the list of charge rows.

use std::collections::{BTreeMap, HashSet};

use proptest::prelude::*;
use rust_decimal::Decimal;
use tokenplan::meter::{Catalog, Metered, RuleKind, meter};
use tokenplan::monitor::boundary::{boundary_audit, server_zone_what_if};
use tokenplan::monitor::burn::pooled_series;
use tokenplan::monitor::idle::{HarvestPolicy, harvest, idle_what_if};
use tokenplan::monitor::shadow::{RULES, shadow_bill, shadow_bill_with, with_rule};
use tokenplan::monitor::{AuditOptions, audit, charge_rows};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::time::DayMapper;
use tokenplan::usage::{DirectoryEntry, Session, Usage, flags};

/// Every rule in one scenario: two `Concurrent` products share a pool, a
/// `CalendarDay` product has its own zone and a grace.
const SCENARIO: &str = r#"Scenario(
    version: 1,
    name: "every rule",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "ACD": Product(name: "A", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "6"), Rate(from: "2025-06-11", tokens: "7")]),
        "C3D": Product(name: "C", rule: CalendarDay(time_zone: "Asia/Tokyo", grace_minutes: 30), rates: [Rate(from: "2020-01-01", tokens: "10")]),
        "RVT": Product(name: "R", rule: Rolling24h, rates: [Rate(from: "2020-01-01", tokens: "10")]),
        "MAX": Product(name: "M", rule: Concurrent(pool: "viz", linger_minutes: 10), rates: [Rate(from: "2020-01-01", tokens: "8")]),
        "NAV": Product(name: "N", rule: Concurrent(pool: "viz"), rates: [Rate(from: "2020-01-01", tokens: "3")]),
        "INV": Product(name: "I", rule: DailyPeak(time_zone: "Europe/London"), rates: [Rate(from: "2020-01-01", tokens: "9")]),
        "HRS": Product(name: "H", rule: Hourly, rates: [Rate(from: "2020-01-01", tokens: "2")]),
    },
    subscriptions: {
        "AEC": Subscription(name: "AEC", annual_price: "3675.00", covers: ["ACD", "RVT", "MAX"]),
    },
    token_price: Flat("3.00"),
    contract: Contract(start: "2025-01-01", years: 1, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0.08"),
    forecast: Forecast(history_days: 365, growth_per_year: "0.05"),
    budgets: {"Civil": "2000"},
)"#;

const FEATURES: [&str; 8] = ["ACD", "C3D", "RVT", "MAX", "NAV", "INV", "HRS", "XYZ"];
const ZONES: [&str; 4] = ["", "Asia/Singapore", "Europe/London", "Not/AZone"];

/// 2025-06-08T00:00:00Z.
const T0: u32 = 1_749_340_800;

/// (user, feature, start offset s, duration s, inactive)
type Raw = (u8, u8, u32, u32, bool);

fn usage_of(raw: &[Raw], zones: &[u8]) -> Usage {
    let mut usage = Usage::default();
    for &(user, feature, start, dur, inactive) in raw {
        let user = usage.users.intern(&format!("u{user}"));
        let feature = usage
            .features
            .intern(FEATURES[usize::from(feature) % FEATURES.len()]);
        usage.sessions.push(Session {
            start: T0 + start,
            dur,
            user,
            feature,
            host: usage.hosts.intern("ws"),
            draw: 0,
            flags: if inactive { flags::INACTIVE } else { 0 },
        });
    }
    for (i, &z) in zones.iter().enumerate() {
        let Some(id) = usage.users.get(&format!("u{i}")) else {
            continue;
        };
        usage.directory.insert(
            id,
            DirectoryEntry {
                department: if i % 2 == 0 { "Civil" } else { "MEP" }.into(),
                location: format!("Office {}", z % 3),
                time_zone: ZONES[usize::from(z) % ZONES.len()].into(),
                ..DirectoryEntry::default()
            },
        );
    }
    if let Some(id) = usage.users.get("u0") {
        usage.assignments.push((id, "AEC".into()));
    }
    usage
}

fn sessions() -> impl Strategy<Value = Vec<Raw>> {
    prop::collection::vec(
        (
            0u8..4,
            0u8..8,
            0u32..(10 * 86_400),
            prop_oneof![0u32..7200, 0u32..(50 * 3600)],
            any::<bool>(),
        ),
        0..40,
    )
}

fn scenario() -> Scenario {
    Scenario::from_ron(SCENARIO).unwrap()
}

/// The reference idle what-if: the whole history harvested, copied and
/// metered again; per user (before, after).
fn reference_idle(
    usage: &Usage,
    scenario: &Scenario,
    baseline: &Metered,
    policy: &HarvestPolicy,
) -> (u64, u64, BTreeMap<String, (Decimal, Decimal)>) {
    let h = harvest(usage, scenario.server_tz().unwrap(), policy);
    let mut replay = usage.clone();
    replay.sessions = h.sessions;
    let after = meter(&replay, scenario, &NoProgress).unwrap();
    let mut per_user: BTreeMap<String, (Decimal, Decimal)> = BTreeMap::new();
    for p in &baseline.pairs {
        per_user
            .entry(usage.users.name(p.user).to_string())
            .or_default()
            .0 += p.tokens();
    }
    for p in &after.pairs {
        per_user
            .entry(usage.users.name(p.user).to_string())
            .or_default()
            .1 += p.tokens();
    }
    (h.shortened, h.seconds_cut, per_user)
}

/// The reference day-boundary audit: a set of (user, product, start date)
/// of every charged `CalendarDay` session.
fn reference_boundary(usage: &Usage, scenario: &Scenario, m: &Metered) -> Vec<(u32, u16, i32)> {
    let catalog = Catalog::build(&usage.features, scenario);
    let mut starts = HashSet::new();
    for s in usage.sessions.iter() {
        let Some(p) = catalog.product_of(s.feature) else {
            continue;
        };
        let rule = &m.rules[usize::from(p)];
        if rule.kind != RuleKind::CalendarDay || s.dur < rule.grace_secs {
            continue;
        }
        let mut mapper = DayMapper::new(tokenplan::scenario::parse_tz(&rule.time_zone).unwrap());
        starts.insert((s.user, p, mapper.day(s.start_secs())));
    }
    let mut out = Vec::new();
    for pair in &m.pairs {
        if m.rules[usize::from(pair.product)].kind != RuleKind::CalendarDay {
            continue;
        }
        for d in &pair.days {
            if !starts.contains(&(pair.user, pair.product, d.day)) {
                out.push((pair.user, pair.product, d.day));
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn in_place_audit_parts_match_their_references(raw in sessions(), zones in prop::collection::vec(0u8..4, 4)) {
        let sc = scenario();
        let usage = usage_of(&raw, &zones);
        let base = meter(&usage, &sc, &NoProgress).unwrap();

        // Day boundary: the same charges, in the same order.
        let b = boundary_audit(&usage, &sc, &base, Decimal::from(3));
        let got: Vec<(String, String, i32)> = b
            .charges
            .iter()
            .map(|c| (c.user.clone(), c.product.clone(), tokenplan::time::day_of_date(c.date)))
            .collect();
        let mut want: Vec<(String, String, i32)> = reference_boundary(&usage, &sc, &base)
            .into_iter()
            .map(|(u, p, d)| (usage.users.name(u).to_string(), base.products[usize::from(p)].clone(), d))
            .collect();
        want.sort();
        prop_assert_eq!(got, want);

        // Shadow bill: from the baseline and by product group as metered whole.
        let whole = shadow_bill(&usage, &sc, Decimal::from(3), &NoProgress).unwrap();
        let parts = shadow_bill_with(&usage, &sc, Some(&base), Decimal::from(3), &NoProgress).unwrap();
        prop_assert_eq!(&whole, &parts);
        for (kind, row) in RULES.iter().zip(&whole) {
            let m = meter(&usage, &with_rule(&sc, *kind), &NoProgress).unwrap();
            let charges: u64 = m.pairs.iter().map(|p| p.charges()).sum();
            let tokens: Decimal = match kind {
                RuleKind::Concurrent => m.pools.iter().map(|p| Decimal::from(p.peak)).sum(),
                RuleKind::DailyPeak => m.pools.iter().map(|p| Decimal::from(p.peak_days_total())).sum(),
                _ => m.pairs.iter().map(|p| p.tokens()).sum(),
            };
            prop_assert_eq!(row.charges, charges);
            prop_assert_eq!(row.tokens, tokens.normalize());
        }
        // Under one rule everywhere the baseline is that rule's row.
        for kind in RULES {
            let one = with_rule(&sc, kind);
            let m = meter(&usage, &one, &NoProgress).unwrap();
            let a = shadow_bill(&usage, &one, Decimal::from(3), &NoProgress).unwrap();
            let b = shadow_bill_with(&usage, &one, Some(&m), Decimal::from(3), &NoProgress).unwrap();
            prop_assert_eq!(a, b);
        }

        // Harvest policies: only the changed pairs metered again.
        for policy in AuditOptions::default().harvest.iter().chain([&HarvestPolicy {
            idle_minutes: Some(30),
            cap_hours: Some(3),
            close_at_2359: true,
        }]) {
            let w = idle_what_if(&usage, &sc, &base, policy, Decimal::from(3), &NoProgress).unwrap();
            let (shortened, cut, per_user) = reference_idle(&usage, &sc, &base, policy);
            prop_assert_eq!(w.sessions_shortened, shortened);
            prop_assert_eq!(w.hours_cut, tokenplan::monitor::money(Decimal::from(cut) / Decimal::from(3600)));
            let changed: Vec<(String, Decimal, Decimal)> = per_user
                .iter()
                .filter(|(_, (b, a))| b != a)
                .map(|(u, (b, a))| (u.clone(), b.normalize(), a.normalize()))
                .collect();
            let got: Vec<(String, Decimal, Decimal)> = w
                .per_user
                .iter()
                .map(|u| (u.user.clone(), u.tokens_before, u.tokens_after))
                .collect();
            prop_assert_eq!(got, changed);
            let after: Decimal = per_user.values().map(|(_, a)| *a).sum();
            prop_assert_eq!(w.tokens_after, after.normalize());
        }

        // Another server zone: totals and boundary charges without metering
        // rows equal the moved history metered and audited whole.
        for zone in ["UTC", "Asia/Tokyo", "America/Los_Angeles"] {
            let w = server_zone_what_if(&usage, &sc, &base, zone, Decimal::from(3), &NoProgress).unwrap();
            let mut moved = sc.clone();
            moved.server_time_zone = zone.into();
            let m = meter(&usage, &moved, &NoProgress).unwrap();
            let b = boundary_audit(&usage, &moved, &m, Decimal::from(3));
            prop_assert_eq!(w.boundary_charges, b.charges.len() as u64, "{}", zone);
            prop_assert_eq!(w.tokens, m.total().tokens.normalize(), "{}", zone);
        }

        // Burn from the pairs in place equals burn from the charge rows.
        let rows = charge_rows(&usage, &base);
        let series = pooled_series(&rows, &base);
        let report = audit(&usage, &sc, &base, &AuditOptions::default(), &NoProgress).unwrap();
        let burn_total: Decimal = report.burn.iter().map(|d| d.tokens).sum();
        let series_total: Decimal = series.values().copied().sum();
        prop_assert_eq!(burn_total, series_total);
        prop_assert_eq!(report.burn.first().map(|d| d.date), series.keys().next().copied());
    }
}

/// (user, host, feature, start offset s, duration s, draw: 0 = the rate)
type Held = (u8, u8, u8, u32, u32, u8);

/// Sessions on two hosts per user, with counts of their own, overlapping
/// on one holder, of zero length, from `t0`.
fn held_usage(raw: &[Held], t0: u32) -> Usage {
    let mut usage = Usage::default();
    for &(user, host, feature, start, dur, draw) in raw {
        let user = usage.users.intern(&format!("u{user}"));
        let feature = usage
            .features
            .intern(FEATURES[usize::from(feature) % FEATURES.len()]);
        let host = usage.hosts.intern(&format!("ws{host}"));
        usage.sessions.push(Session {
            start: t0 + start,
            dur,
            user,
            feature,
            host,
            draw: u16::from(draw),
            flags: 0,
        });
    }
    usage
}

fn held_sessions() -> impl Strategy<Value = Vec<Held>> {
    prop::collection::vec(
        (
            0u8..4,
            0u8..2,
            0u8..8,
            // Whole hours too, so that holds end at local midnights.
            prop_oneof![(0u32..192).prop_map(|h| h * 3600), 0u32..(8 * 86_400)],
            prop_oneof![
                Just(0u32),
                (1u32..60).prop_map(|h| h * 3600),
                0u32..7200,
                0u32..(60 * 3600)
            ],
            prop_oneof![Just(0u8), 1u8..4],
        ),
        0..60,
    )
}

/// 2018-02-14T00:00:00Z: São Paulo's clocks fell back from 00:00 to 23:00
/// of the day before on 2018-02-18, so its dates went back for an hour.
const T_SAO_PAULO: u32 = 1_518_566_400;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The shadow bill added up without metering (sorted copies of each
    /// product group, holders' steps, pool sweeps) gives what metering the
    /// whole history under each rule gives, with own counts, two hosts,
    /// overlapping checkouts of one holder, shared pools with a linger,
    /// rate changes, zero-length sessions and a zone whose dates go back.
    #[test]
    fn shadow_bill_equals_metering_every_rule(raw in held_sessions(), sao_paulo in any::<bool>()) {
        let mut sc = scenario();
        let t0 = if sao_paulo {
            sc.server_time_zone = "America/Sao_Paulo".into();
            T_SAO_PAULO
        } else {
            T0
        };
        let usage = held_usage(&raw, t0);
        let rows = shadow_bill(&usage, &sc, Decimal::from(3), &NoProgress).unwrap();
        for (kind, row) in RULES.iter().zip(&rows) {
            let m = meter(&usage, &with_rule(&sc, *kind), &NoProgress).unwrap();
            let charges: u64 = m.pairs.iter().map(|p| p.charges()).sum();
            let tokens: Decimal = match kind {
                RuleKind::Concurrent => m.pools.iter().map(|p| Decimal::from(p.peak)).sum(),
                RuleKind::DailyPeak => m.pools.iter().map(|p| Decimal::from(p.peak_days_total())).sum(),
                _ => m.pairs.iter().map(|p| p.tokens()).sum(),
            };
            prop_assert_eq!((row.charges, row.tokens), (charges, tokens.normalize()), "{}", kind);
        }
    }
}
