//! Integration tests: monitoring views and what-ifs (SPEC §6, §7 `audit`),
//! every expected figure computed by hand in the comments.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokenplan::meter::{DayCharge, Metered, PairCharges};
use tokenplan::monitor::budgets::{UNASSIGNED, budget_period, budgets};
use tokenplan::monitor::burn::{burn, daily_series, run_out_date, trailing_mean};
use tokenplan::monitor::double_dip::double_dips;
use tokenplan::monitor::vendor_audit::{Side, vendor_audit};
use tokenplan::monitor::{ChargeRow, Source, charge_rows};
use tokenplan::scenario::Scenario;
use tokenplan::time::day_of_date;
use tokenplan::usage::{DirectoryEntry, Usage, VendorCharge};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn spec_scenario() -> Scenario {
    Scenario::from_ron(include_str!("../data/spec_example.ron")).unwrap()
}

fn row(usage: &mut Usage, user: &str, product: &str, on: &str, tokens: &str) -> ChargeRow {
    ChargeRow {
        user: usage.users.intern(user),
        product: product.into(),
        date: date(on),
        tokens: d(tokens),
        source: Source::Replay,
    }
}

/// 2025-05-01 ..= 2025-06-10: 20 tokens a day, except 640 on June 5 and
/// nothing on June 8.
fn constructed_series() -> BTreeMap<NaiveDate, Decimal> {
    let mut s = BTreeMap::new();
    let mut day = date("2025-05-01");
    while day <= date("2025-06-10") {
        match day.to_string().as_str() {
            "2025-06-05" => s.insert(day, d("640")),
            "2025-06-08" => None,
            _ => s.insert(day, d("20")),
        };
        day = day.succ_opt().unwrap();
    }
    s
}

#[test]
fn burn_averages_month_to_date_projection_and_alerts() {
    let s = constructed_series();
    let today = date("2025-06-10");
    let b = burn(&s, today, Some(d("500")), Some(d("1000")));
    // May 1 ..= June 10, June 8 included at 0.
    assert_eq!(b.days.len(), 41);
    let june8 = b
        .days
        .iter()
        .find(|x| x.date == date("2025-06-08"))
        .unwrap();
    assert_eq!(june8.tokens, Decimal::ZERO);
    // 30 days May 12 ..= June 10: 28 × 20 + 640 + 0 = 1200 → 40 a day.
    assert_eq!(b.daily_rate, d("40"));
    // 7 days June 4 ..= 10: 20+640+20+20+0+20+20 = 740 → 105.714… → 105.71.
    let last = b.days.last().unwrap();
    assert_eq!(last.avg_7d, d("105.71"));
    assert_eq!(last.avg_30d, d("40"));
    // June 1 ..= 10: 8 × 20 + 640 = 800.
    assert_eq!(b.month_to_date, d("800"));
    // 20 days left in June: 800 + 40 × 20 = 1600.
    assert_eq!(b.days_left_in_month, 20);
    assert_eq!(b.projected_month, d("1600"));
    // 1000 ÷ 40 = 25 days after June 10.
    assert_eq!(b.run_out, Some(date("2025-07-05")));
    assert_eq!(b.days_over_alert, vec![date("2025-06-05")]);
    // Strictly above: the 20-token days are not over an alert of 20.
    let b20 = burn(&s, today, Some(d("20")), None);
    assert_eq!(b20.days_over_alert, vec![date("2025-06-05")]);
    assert_eq!(b20.run_out, None);
    // The first days are not diluted by days before the data: May 3 is the
    // mean of 3 days.
    assert_eq!(trailing_mean(&s, date("2025-05-03"), 7), d("20"));
    let may3 = b
        .days
        .iter()
        .find(|x| x.date == date("2025-05-03"))
        .unwrap();
    assert_eq!((may3.avg_7d, may3.avg_30d), (d("20"), d("20")));
}

#[test]
fn run_out_rounds_up_to_whole_days() {
    let today = date("2025-06-10");
    // ⌈1001 ÷ 40⌉ = 26.
    assert_eq!(
        run_out_date(d("1001"), d("40"), today),
        Some(date("2025-07-06"))
    );
    assert_eq!(run_out_date(d("0"), d("40"), today), Some(today));
    assert_eq!(run_out_date(d("-5"), d("40"), today), Some(today));
    assert_eq!(run_out_date(d("100"), d("0"), today), None);
}

#[test]
fn projection_at_month_end_and_series_start() {
    // Three days of data ending on the month's last day: nothing left to project.
    let s: BTreeMap<NaiveDate, Decimal> = [
        (date("2025-01-29"), d("3")),
        (date("2025-01-30"), d("6")),
        (date("2025-01-31"), d("9")),
    ]
    .into_iter()
    .collect();
    let b = burn(&s, date("2025-01-31"), None, None);
    assert_eq!(b.days_left_in_month, 0);
    assert_eq!(b.month_to_date, d("18"));
    assert_eq!(b.projected_month, d("18"));
    // As of January 30: MTD 9, mean of 2 days 4.5, one day left → 13.5.
    let b = burn(&s, date("2025-01-30"), None, None);
    assert_eq!(b.projected_month, d("13.5"));
    assert_eq!(b.days.len(), 3);
}

#[test]
fn budget_year_follows_contract_anniversary() {
    let start = date("2027-01-01");
    assert_eq!(
        budget_period(start, date("2025-06-10")),
        (date("2025-01-01"), date("2025-12-31"))
    );
    let april = date("2026-04-01");
    assert_eq!(
        budget_period(april, date("2025-03-31")),
        (date("2024-04-01"), date("2025-03-31"))
    );
    assert_eq!(
        budget_period(april, date("2025-04-01")),
        (date("2025-04-01"), date("2026-03-31"))
    );
}

#[test]
fn budget_pools_burn_and_run_out() {
    let mut scenario = spec_scenario();
    scenario.budgets = [
        ("Civil".to_string(), d("1000")),
        ("Architecture".into(), d("5000")),
    ]
    .into_iter()
    .collect();
    let mut usage = Usage::default();
    let mut rows = Vec::new();
    // alice (civil): 10 a day May 12 ..= June 10, and 50 on 2024-12-31
    // (before the budget year).
    let mut day = date("2025-05-12");
    while day <= date("2025-06-10") {
        rows.push(row(&mut usage, "alice", "ACD", &day.to_string(), "10"));
        day = day.succ_opt().unwrap();
    }
    rows.push(row(&mut usage, "alice", "ACD", "2024-12-31", "50"));
    rows.push(row(&mut usage, "bob", "RVT", "2025-06-10", "60"));
    rows.push(row(&mut usage, "carol", "ACD", "2025-06-09", "7"));
    rows.push(row(&mut usage, "dave", "C3D", "2025-06-09", "5"));
    let dept = |name: &str| DirectoryEntry {
        department: name.into(),
        ..DirectoryEntry::default()
    };
    for (user, department) in [
        ("alice", " civil "),
        ("bob", "Architecture"),
        ("dave", "Mech"),
    ] {
        let id = usage.users.intern(user);
        usage.directory.insert(id, dept(department));
    }
    let pools = budgets(&rows, &usage, &scenario, date("2025-06-10"));
    let names: Vec<&str> = pools.iter().map(|p| p.department.as_str()).collect();
    assert_eq!(names, ["Architecture", "Civil", "Mech", UNASSIGNED]);

    // bob alone since June 10: rate 60 a day (one day of data); 5000 − 60 =
    // 4940 left, ⌈4940 ÷ 60⌉ = 83 days → September 1. June 10 → Dec 31 is
    // 204 days: 60 + 60 × 204 = 12300.
    let arch = &pools[0];
    assert_eq!(arch.allocation, Some(d("5000")));
    assert_eq!(arch.consumed, d("60"));
    assert_eq!(arch.remaining, Some(d("4940")));
    assert_eq!(arch.daily_rate, d("60"));
    assert_eq!(arch.run_out, Some(date("2025-09-01")));
    assert_eq!(arch.projected_period_total, d("12300"));
    assert!(arch.runs_out_in_period);

    // alice: 30 × 10 = 300 consumed in 2025 (the 50 of 2024 is not), rate
    // 10, 700 left → 70 days → August 19; 300 + 10 × 204 = 2340.
    let civil = &pools[1];
    assert_eq!((civil.users, civil.consumed), (1, d("300")));
    assert_eq!(civil.remaining, Some(d("700")));
    assert_eq!(civil.daily_rate, d("10"));
    assert_eq!(civil.run_out, Some(date("2025-08-19")));
    assert_eq!(civil.projected_period_total, d("2340"));

    let mech = &pools[2];
    assert_eq!(
        (mech.allocation, mech.consumed, mech.run_out),
        (None, d("5"), None)
    );
    let unassigned = &pools[3];
    assert_eq!((unassigned.users, unassigned.consumed), (1, d("7")));
    assert_eq!(unassigned.allocation, None);
}

#[test]
fn double_dip_with_assignments() {
    let scenario = spec_scenario();
    let mut usage = Usage::default();
    let rows = vec![
        row(&mut usage, "alice", "ACD", "2025-06-01", "6"),
        row(&mut usage, "alice", "RVT", "2025-06-02", "10"),
        row(&mut usage, "bob", "ACD", "2025-06-01", "6"),
        row(&mut usage, "bob", "RVT", "2025-06-01", "10"),
        row(&mut usage, "carol", "ACD", "2025-06-01", "6"),
    ];
    let alice = usage.users.intern("Alice");
    let bob = usage.users.intern("bob");
    usage.assignments = vec![
        (alice, "aec".into()),
        (alice, "ACD".into()),
        (bob, "ACD".into()),
        (bob, "XYZ".into()),
    ];
    let dd = double_dips(&rows, &usage, &scenario, d("3.00"));
    let got: Vec<(&str, &str, String, &str)> = dd
        .rows
        .iter()
        .map(|r| {
            (
                r.user.as_str(),
                r.product.as_str(),
                r.date.to_string(),
                r.subscription.as_str(),
            )
        })
        .collect();
    // alice's AutoCAD is covered by both: the first code, ACD, is named.
    // bob's Revit is not covered by his AutoCAD seat; carol holds nothing.
    assert_eq!(
        got,
        [
            ("alice", "ACD", "2025-06-01".to_string(), "ACD"),
            ("alice", "RVT", "2025-06-02".to_string(), "AEC"),
            ("bob", "ACD", "2025-06-01".to_string(), "ACD"),
        ]
    );
    // 6 + 10 + 6 = 22 tokens at 3.00.
    assert_eq!(dd.tokens, d("22"));
    assert_eq!(dd.cost.to_string(), "66.00");
    assert_eq!(dd.rows[1].cost.to_string(), "30.00");
    assert_eq!(dd.unknown_subscriptions.get("XYZ"), Some(&1));
}

/// Replay: alice ACD June 1, 2, 5 (6 each), bob ACD June 2 (12), carol RVT
/// June 2 (10). Vendor: alice ACD June 1 (6), June 2 (3 + 3), June 3 (6);
/// bob ACD June 2 (6); bob XYZ June 1 (2).
fn audit_fixture() -> (Usage, Metered) {
    let mut usage = Usage::default();
    let alice = usage.users.intern("alice");
    let bob = usage.users.intern("bob");
    let carol = usage.users.intern("carol");
    let acd = usage.features.intern("acd");
    let xyz = usage.features.intern("XYZ");
    let vc = |user, product, on: &str, tokens: &str| VendorCharge {
        date: date(on),
        user,
        product,
        tokens: d(tokens),
        hours: None,
        host: None,
    };
    usage.vendor_charges = vec![
        vc(alice, acd, "2025-06-01", "6"),
        vc(alice, acd, "2025-06-02", "3"),
        vc(alice, acd, "2025-06-02", "3"),
        vc(alice, acd, "2025-06-03", "6"),
        vc(bob, acd, "2025-06-02", "6"),
        vc(bob, xyz, "2025-06-01", "2"),
    ];
    let day = |on: &str, tokens: &str| DayCharge {
        day: day_of_date(date(on)),
        charges: 1,
        tokens: d(tokens),
    };
    let metered = Metered {
        products: vec!["ACD".into(), "C3D".into(), "RVT".into()],
        pairs: vec![
            PairCharges {
                user: alice,
                product: 0,
                days: vec![
                    day("2025-06-01", "6"),
                    day("2025-06-02", "6"),
                    day("2025-06-05", "6"),
                ],
            },
            PairCharges {
                user: bob,
                product: 0,
                days: vec![day("2025-06-02", "12")],
            },
            PairCharges {
                user: carol,
                product: 2,
                days: vec![day("2025-06-02", "10")],
            },
        ],
        ..Metered::default()
    };
    (usage, metered)
}

#[test]
fn vendor_audit_lists_every_disagreement() {
    let (usage, metered) = audit_fixture();
    let a = vendor_audit(&usage, &metered).unwrap();
    assert_eq!((a.first, a.last), (date("2025-06-01"), date("2025-06-03")));
    // Keys: alice ACD 1, 2 (agree), 3; bob ACD 2; bob XYZ 1; carol RVT 2.
    // alice's June 5 is outside the export's period.
    assert_eq!((a.compared, a.agreeing), (6, 2));
    assert_eq!(a.vendor_tokens, d("26"));
    assert_eq!(a.replay_tokens, d("34"));
    let got: Vec<_> = a
        .diffs
        .iter()
        .map(|x| {
            (
                x.user.as_str(),
                x.product.as_str(),
                x.date.to_string(),
                x.vendor_tokens,
                x.replay_tokens,
                x.difference,
                x.missing,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "alice",
                "ACD",
                "2025-06-03".into(),
                Some(d("6")),
                None,
                d("6"),
                Some(Side::Replay)
            ),
            (
                "bob",
                "ACD",
                "2025-06-02".into(),
                Some(d("6")),
                Some(d("12")),
                d("-6"),
                None
            ),
            (
                "bob",
                "XYZ",
                "2025-06-01".into(),
                Some(d("2")),
                None,
                d("2"),
                Some(Side::Replay)
            ),
            (
                "carol",
                "RVT",
                "2025-06-02".into(),
                None,
                Some(d("10")),
                d("-10"),
                Some(Side::Vendor)
            ),
        ]
    );
    assert_eq!(a.unmatched_codes.get("XYZ"), Some(&1));
    assert_eq!(a.unmatched_codes.len(), 1);
    assert!(vendor_audit(&Usage::default(), &metered).is_none());
}

#[test]
fn vendor_charges_replace_the_replay_of_their_products_in_their_period() {
    let (usage, metered) = audit_fixture();
    let rows = charge_rows(&usage, &metered);
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                usage.users.name(r.user),
                r.product.as_str(),
                r.date.to_string(),
                r.tokens,
                r.source,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("alice", "ACD", "2025-06-01".into(), d("6"), Source::Vendor),
            ("alice", "ACD", "2025-06-02".into(), d("6"), Source::Vendor),
            ("alice", "ACD", "2025-06-03".into(), d("6"), Source::Vendor),
            // Outside the export's period: the replay stays.
            ("alice", "ACD", "2025-06-05".into(), d("6"), Source::Replay),
            ("bob", "ACD", "2025-06-02".into(), d("6"), Source::Vendor),
            ("bob", "XYZ", "2025-06-01".into(), d("2"), Source::Vendor),
            // Revit is not in the export: the replay stays.
            ("carol", "RVT", "2025-06-02".into(), d("10"), Source::Replay),
        ]
    );
    let series = daily_series(&rows);
    assert_eq!(series.get(&date("2025-06-02")), Some(&d("22")));
}

// ---------------------------------------------------------------------------
// What-ifs that re-meter

use tokenplan::meter::meter;
use tokenplan::monitor::boundary::{boundary_audit, regional_what_if, server_zone_what_if};
use tokenplan::monitor::idle::{HarvestPolicy, idle_what_if};
use tokenplan::monitor::shadow::shadow_bill;
use tokenplan::monitor::{AuditOptions, audit};
use tokenplan::progress::NoProgress;
use tokenplan::usage::{Session, flags};

fn instant(s: &str) -> u32 {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .timestamp()
        .try_into()
        .unwrap()
}

fn session(usage: &mut Usage, user: &str, feature: &str, start: &str, end: &str) {
    let (start, end) = (instant(start), instant(end));
    usage.sessions.push(Session {
        start,
        dur: end - start,
        user: usage.users.intern(user),
        feature: usage.features.intern(feature),
        host: usage.hosts.intern("ws1"),
        draw: 0,
        flags: 0,
    });
}

fn place(usage: &mut Usage, user: &str, location: &str, time_zone: &str) {
    let id = usage.users.intern(user);
    usage.directory.insert(
        id,
        DirectoryEntry {
            location: location.into(),
            time_zone: time_zone.into(),
            ..DirectoryEntry::default()
        },
    );
}

/// SPEC §2's worked example: a Singapore user works 09:00–18:00 Singapore
/// time Monday to Friday (2025-06-09 ..= 13) against a New York server.
fn singapore_week() -> Usage {
    let mut usage = Usage::default();
    for day in 9..=13 {
        session(
            &mut usage,
            "Wei",
            "ACD",
            &format!("2025-06-{day:02}T09:00:00+08:00"),
            &format!("2025-06-{day:02}T18:00:00+08:00"),
        );
    }
    place(&mut usage, "wei", "Singapore", "Asia/Singapore");
    usage
}

#[test]
fn singapore_week_has_one_boundary_charge_that_a_singapore_server_removes() {
    let scenario = spec_scenario();
    let usage = singapore_week();
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    // 09:00–18:00 SGT = 21:00–06:00 New York (EDT): Sunday to Friday.
    assert_eq!(base.pairs.len(), 1);
    assert_eq!(base.pairs[0].charges(), 6);
    let b = boundary_audit(&usage, &scenario, &base, d("3.00"));
    // Sessions start on Sun, Mon, Tue, Wed, Thu New York time: Friday's
    // charge is caused only by Thursday evening's session crossing midnight.
    assert_eq!(b.charges.len(), 1);
    let c = &b.charges[0];
    assert_eq!(
        (
            c.user.as_str(),
            c.product.as_str(),
            c.date,
            c.tokens,
            c.office.as_str()
        ),
        ("Wei", "ACD", date("2025-06-13"), d("6"), "Singapore")
    );
    assert_eq!(c.cost.to_string(), "18.00");
    assert_eq!(b.per_office.len(), 1);
    assert_eq!(
        (b.per_office[0].charges, b.per_office[0].tokens),
        (1, d("6"))
    );

    let moved = server_zone_what_if(
        &usage,
        &scenario,
        &base,
        "Asia/Singapore",
        d("3.00"),
        &NoProgress,
    )
    .unwrap();
    assert_eq!(moved.tokens, d("30"));
    assert_eq!(moved.boundary_charges, 0);
    assert_eq!(moved.saving_tokens, d("6"));
    assert_eq!(moved.saving.to_string(), "18.00");
    assert!(
        server_zone_what_if(
            &usage,
            &scenario,
            &base,
            "Mars/Olympus",
            d("3"),
            &NoProgress
        )
        .is_err()
    );
}

#[test]
fn per_region_servers_meter_each_office_in_its_zone() {
    let scenario = spec_scenario();
    let mut usage = singapore_week();
    // A New York user's day stays one charge on the New York server.
    session(
        &mut usage,
        "ann",
        "ACD",
        "2025-06-09T09:00:00-04:00",
        "2025-06-09T17:00:00-04:00",
    );
    place(&mut usage, "ann", "New York", "America/New_York");
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    let offices: BTreeMap<String, String> =
        [("singapore".to_string(), "Asia/Singapore".to_string())]
            .into_iter()
            .collect();
    let r = regional_what_if(&usage, &scenario, &base, &offices, d("3.00"), &NoProgress).unwrap();
    // Baseline 6 + 1 charges = 42 tokens; regional 5 + 1 = 36.
    assert_eq!(r.tokens, d("36"));
    assert_eq!(r.saving_tokens, d("6"));
    assert_eq!(r.saving.to_string(), "18.00");
    assert_eq!(r.boundary_charges, 0);
    let servers: Vec<_> = r
        .servers
        .iter()
        .map(|s| (s.time_zone.as_str(), s.offices.clone(), s.users, s.tokens))
        .collect();
    assert_eq!(
        servers,
        [
            ("America/New_York", vec!["New York".to_string()], 1, d("6")),
            ("Asia/Singapore", vec!["Singapore".to_string()], 1, d("30")),
        ]
    );
}

/// A session left open from Friday 17:00 to Monday 09:00, New York.
fn weekend_session() -> Usage {
    let mut usage = Usage::default();
    session(
        &mut usage,
        "bob",
        "ACD",
        "2025-06-13T17:00:00-04:00",
        "2025-06-16T09:00:00-04:00",
    );
    usage
}

#[test]
fn weekend_session_costs_three_extra_days_that_closing_at_2359_saves() {
    let scenario = spec_scenario();
    let usage = weekend_session();
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    // It touches Fri, Sat, Sun, Mon: 4 charges = 24 tokens, against 1
    // charge (6 tokens) for the same work closed on Friday: 3 extra days.
    assert_eq!(base.pairs[0].charges(), 4);
    let friday_only = {
        let mut u = Usage::default();
        session(
            &mut u,
            "bob",
            "ACD",
            "2025-06-13T09:00:00-04:00",
            "2025-06-13T17:00:00-04:00",
        );
        meter(&u, &scenario, &NoProgress).unwrap()
    };
    assert_eq!(friday_only.pairs[0].charges(), 1);
    // The boundary audit names exactly those three days.
    let b = boundary_audit(&usage, &scenario, &base, d("3.00"));
    let dates: Vec<NaiveDate> = b.charges.iter().map(|c| c.date).collect();
    assert_eq!(
        dates,
        [date("2025-06-14"), date("2025-06-15"), date("2025-06-16")]
    );

    let policy = HarvestPolicy {
        close_at_2359: true,
        ..HarvestPolicy::default()
    };
    let w = idle_what_if(&usage, &scenario, &base, &policy, d("3.00"), &NoProgress).unwrap();
    assert_eq!(
        (w.tokens_before, w.tokens_after, w.tokens_saved),
        (d("24"), d("6"), d("18"))
    );
    assert_eq!(w.saving.to_string(), "54.00");
    assert_eq!(w.sessions_shortened, 1);
    // Fri 23:59 to Mon 09:00 = 57 h 01 min cut.
    assert_eq!(w.hours_cut.to_string(), "57.02");
    assert_eq!(w.per_user.len(), 1);
    assert_eq!(
        (w.per_user[0].user.as_str(), w.per_user[0].tokens_saved),
        ("bob", d("18"))
    );

    // A 12-hour cap ends it Saturday 05:00: Fri + Sat, 12 tokens saved.
    let cap = HarvestPolicy {
        cap_hours: Some(12),
        ..HarvestPolicy::default()
    };
    let w = idle_what_if(&usage, &scenario, &base, &cap, d("3.00"), &NoProgress).unwrap();
    assert_eq!(w.tokens_saved, d("12"));
    // Not an idle reclaim: the idle policy leaves it alone.
    let idle = HarvestPolicy {
        idle_minutes: Some(60),
        ..HarvestPolicy::default()
    };
    let w = idle_what_if(&usage, &scenario, &base, &idle, d("3.00"), &NoProgress).unwrap();
    assert_eq!((w.sessions_shortened, w.tokens_saved), (0, d("0")));
    assert!(w.per_user.is_empty());
}

#[test]
fn closing_at_2359_follows_the_users_own_zone() {
    let scenario = spec_scenario();
    let mut usage = weekend_session();
    // Bob is in Singapore: Fri 17:00 New York is Sat 05:00 there; his
    // 23:59 is Sat 11:59 New York, so Fri and Sat are still charged.
    place(&mut usage, "bob", "Singapore", "Asia/Singapore");
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    let policy = HarvestPolicy {
        close_at_2359: true,
        ..HarvestPolicy::default()
    };
    let w = idle_what_if(&usage, &scenario, &base, &policy, d("3.00"), &NoProgress).unwrap();
    assert_eq!((w.tokens_after, w.tokens_saved), (d("12"), d("12")));
}

#[test]
fn idle_reclaims_end_earlier_but_never_before_their_start() {
    let scenario = spec_scenario();
    let mut usage = Usage::default();
    // Reclaimed at 00:30 after an hour idle: the work ended 23:30, Monday.
    session(
        &mut usage,
        "eve",
        "ACD",
        "2025-06-09T20:00:00-04:00",
        "2025-06-10T00:30:00-04:00",
    );
    // Reclaimed 40 minutes after checkout: shortened to zero length, still
    // charged on its start date.
    session(
        &mut usage,
        "eve",
        "RVT",
        "2025-06-11T23:50:00-04:00",
        "2025-06-12T00:30:00-04:00",
    );
    for s in usage.sessions.segments_mut().iter_mut().flatten() {
        s.flags = flags::INACTIVE;
    }
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    // ACD Mon + Tue = 12, RVT Wed + Thu = 20.
    assert_eq!(
        base.pairs.iter().map(|p| p.tokens()).sum::<Decimal>(),
        d("32")
    );
    let policy = HarvestPolicy {
        idle_minutes: Some(60),
        ..HarvestPolicy::default()
    };
    let w = idle_what_if(&usage, &scenario, &base, &policy, d("3.00"), &NoProgress).unwrap();
    // ACD Mon only (6), RVT Wed only (10).
    assert_eq!((w.tokens_after, w.tokens_saved), (d("16"), d("16")));
    assert_eq!(w.sessions_shortened, 2);
    // 60 + 40 minutes cut.
    assert_eq!(w.hours_cut.to_string(), "1.67");
}

#[test]
fn shadow_bill_of_a_small_history_under_every_rule() {
    let mut scenario = spec_scenario();
    scenario.server_time_zone = "UTC".into();
    let mut usage = Usage::default();
    // Autodesk's Rolling24h example for alice; bob overlaps her Monday
    // morning and works across Monday midnight.
    session(
        &mut usage,
        "alice",
        "ACD",
        "2025-06-02T08:00:00Z",
        "2025-06-02T17:00:00Z",
    );
    session(
        &mut usage,
        "alice",
        "ACD",
        "2025-06-03T07:00:00Z",
        "2025-06-03T12:00:00Z",
    );
    session(
        &mut usage,
        "bob",
        "ACD",
        "2025-06-02T10:00:00Z",
        "2025-06-02T11:30:00Z",
    );
    session(
        &mut usage,
        "bob",
        "ACD",
        "2025-06-02T23:00:00Z",
        "2025-06-03T01:00:00Z",
    );
    let rows = shadow_bill(&usage, &scenario, d("3.00"), &NoProgress).unwrap();
    let got: Vec<_> = rows
        .iter()
        .map(|r| (r.rule.as_str(), r.tokens, r.cost.to_string(), r.current))
        .collect();
    assert_eq!(
        got,
        [
            // alice Mon, Tue + bob Mon, Tue = 4 × 6.
            ("CalendarDay", d("24"), "72.00".to_string(), true),
            // alice Mon 08:00 and Tue 08:00 (still working when the window
            // ends); bob Mon 10:00 covers his late session: 3 × 6.
            ("Rolling24h", d("18"), "54.00".to_string(), false),
            // Both hold 6 tokens from 10:00 to 11:30 Monday: a pool of 12.
            ("Concurrent", d("12"), "36.00".to_string(), false),
            // Monday's peak 12, Tuesday's 6 (never both at once).
            ("DailyPeak", d("18"), "54.00".to_string(), false),
            // alice 9 + 5 h, bob 1.5 + 2 h = 17.5 h × 6.
            ("Hourly", d("105"), "315.00".to_string(), false),
        ]
    );
    assert_eq!(rows[0].charges, 4);
    assert_eq!(rows[1].charges, 3);
}

#[test]
fn shadow_bill_reports_a_rule_that_cannot_apply() {
    let mut scenario = spec_scenario();
    for p in scenario.products.values_mut() {
        p.rates[0].tokens = d("2.5");
    }
    let mut usage = Usage::default();
    session(
        &mut usage,
        "alice",
        "ACD",
        "2025-06-02T08:00:00Z",
        "2025-06-02T10:00:00Z",
    );
    let rows = shadow_bill(&usage, &scenario, d("3.00"), &NoProgress).unwrap();
    assert_eq!(rows[0].tokens, d("2.5"));
    assert!(rows[2].error.as_deref().unwrap().contains("whole number"));
    assert!(rows[3].error.is_some());
    // Hourly: 2 h × 2.5.
    assert_eq!(rows[4].tokens, d("5"));
}

#[test]
fn audit_json_has_the_fields_of_spec_7() {
    let scenario = spec_scenario();
    let mut usage = singapore_week();
    let wei = usage.users.intern("wei");
    usage.assignments.push((wei, "AEC".into()));
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    let options = AuditOptions {
        server_zones: vec!["Asia/Singapore".into()],
        ..AuditOptions::default()
    };
    let report = audit(&usage, &scenario, &base, &options, &NoProgress).unwrap();
    let json: serde_json::Value = serde_json::to_value(&report).unwrap();
    assert_eq!(json["token_price"], "3.00");
    assert_eq!(json["today"], "2025-06-13");
    let boundary = &json["day_boundary"];
    assert_eq!(boundary.as_array().unwrap().len(), 1);
    assert_eq!(boundary[0]["user"], "Wei");
    assert_eq!(boundary[0]["product"], "ACD");
    assert_eq!(boundary[0]["date"], "2025-06-13");
    assert_eq!(boundary[0]["tokens"], "6");
    assert_eq!(boundary[0]["cost"], "18.00");
    assert_eq!(
        json["day_boundary_summary"]["server_zones"][0]["saving"],
        "18.00"
    );
    // Every one of the 6 charges is covered by the AEC seat.
    let dips = json["double_dip"].as_array().unwrap();
    assert_eq!(dips.len(), 6);
    assert_eq!(dips[0]["subscription"], "AEC");
    assert_eq!(dips[0]["date"], "2025-06-08");
    assert_eq!(json["double_dip_summary"]["cost"], "108.00");
    let shadow = json["shadow_bill"].as_array().unwrap();
    assert_eq!(shadow.len(), 5);
    assert_eq!(shadow[0]["rule"], "CalendarDay");
    assert_eq!(shadow[0]["tokens"], "36");
    assert_eq!(shadow[0]["cost"], "108.00");
    // Burn: June 8 ..= 13, 6 tokens a day.
    let burn = json["burn"].as_array().unwrap();
    assert_eq!(burn.len(), 6);
    assert_eq!(burn[0]["date"], "2025-06-08");
    assert_eq!(burn[0]["tokens"], "6");
    assert_eq!(json["burn_summary"]["month_to_date"], "36");
    assert_eq!(json["idle"].as_array().unwrap().len(), 3);
    assert!(json["vendor_audit"].is_null());
}

// ---------------------------------------------------------------------------
// A real log

/// The real-logs folder: `TOKENPLAN_REAL_LOGS` (must exist when set), else
/// `<manifest>/../shared/real-logs` when present, else `None` after saying
/// the test is skipped.
fn real_logs() -> Option<std::path::PathBuf> {
    if let Some(p) = std::env::var_os("TOKENPLAN_REAL_LOGS") {
        let p = std::path::PathBuf::from(p);
        assert!(
            p.is_dir(),
            "TOKENPLAN_REAL_LOGS={} is not a folder",
            p.display()
        );
        return Some(p);
    }
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-logs");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: real logs not found at {}", p.display());
        None
    }
}

/// `adskflex_sample.log` (Autodesk, `INACTIVITY TIMEOUT set to 3600
/// seconds`, line 68; server in Europe/Madrid). Of its 124 idle reclaims
/// only two fall between 00:00 and 01:00, so only they can lose a
/// CalendarDay charge when the session ends 60 minutes earlier:
/// - user054: OUT 2016-04-14 22:51:13 (line 6202), reclaimed 2016-04-15
///   00:57:53 (line 6204): the work ended 23:57:53 on the 14th. user054 has
///   no other session until the 25th (line 9802): the 15th's AutoCAD charge
///   (6 tokens) goes.
/// - USER053: OUT 2016-04-26 23:20:16 (line 10428), reclaimed 2016-04-27
///   00:36:12 (line 10430): ended 23:36:12 on the 26th, no other session
///   until the 29th (line 11207): the 27th's charge goes.
#[test]
fn idle_reclaims_of_the_autodesk_sample_log_save_two_charges() {
    let Some(dir) = real_logs() else { return };
    let path = dir.join("flexlm-license-elk/adskflex_sample.log");
    let file = std::fs::File::open(&path).unwrap();
    let options = tokenplan::ingest::ImportOptions {
        time_zone: chrono_tz::Europe::Madrid,
        ..tokenplan::ingest::ImportOptions::default()
    };
    let mut usage = Usage::default();
    tokenplan::ingest::flexlog::read_debug_log(
        "adskflex_sample.log",
        std::io::BufReader::new(file),
        &options,
        &mut usage,
    );
    let inactive = usage
        .sessions
        .iter()
        .filter(|s| s.flags & flags::INACTIVE != 0)
        .count();
    assert_eq!(inactive, 248, "one flagged session per (INACTIVE) line");
    let mut scenario = spec_scenario();
    scenario.server_time_zone = "Europe/Madrid".into();
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    let charged = |user: &str, on: &str| {
        let id = usage.users.get(user).unwrap();
        base.pairs
            .iter()
            .filter(|p| p.user == id)
            .flat_map(|p| &p.days)
            .any(|x| x.day == day_of_date(date(on)))
    };
    assert!(charged("user054", "2016-04-15"));
    assert!(charged("USER053", "2016-04-27"));

    let policy = HarvestPolicy {
        idle_minutes: Some(60),
        ..HarvestPolicy::default()
    };
    let w = idle_what_if(&usage, &scenario, &base, &policy, d("3.00"), &NoProgress).unwrap();
    assert_eq!(w.sessions_shortened, 248);
    // 60 minutes each, except that a reclaimed session shorter than that
    // (as the importer paired it) ends at its start: never before it.
    let cut: u64 = usage
        .sessions
        .iter()
        .filter(|s| s.flags & flags::INACTIVE != 0)
        .map(|s| u64::from(s.dur.min(3600)))
        .sum();
    assert!(cut < 248 * 3600);
    assert_eq!(
        w.hours_cut,
        tokenplan::monitor::money(Decimal::from(cut) / Decimal::from(3600))
    );
    let per_user: Vec<_> = w
        .per_user
        .iter()
        .map(|u| (u.user.as_str(), u.tokens_saved))
        .collect();
    assert_eq!(per_user, [("USER053", d("6")), ("user054", d("6"))]);
    assert_eq!(w.tokens_saved, d("12"));
    assert_eq!(w.saving.to_string(), "36.00");
}

#[test]
fn a_bad_office_zone_is_named() {
    let scenario = spec_scenario();
    let usage = singapore_week();
    let base = meter(&usage, &scenario, &NoProgress).unwrap();
    let offices: BTreeMap<String, String> =
        [("Singapore".to_string(), "Asia/Singapur".to_string())]
            .into_iter()
            .collect();
    let e = regional_what_if(&usage, &scenario, &base, &offices, d("3"), &NoProgress).unwrap_err();
    assert!(e.to_string().starts_with("office_zones.Singapore: "), "{e}");
}

mod harvest_properties {
    use super::*;
    use proptest::prelude::*;
    use tokenplan::monitor::idle::harvest;

    proptest! {
        /// Whatever the policy, a harvested session never grows, never ends
        /// before it starts, and the CalendarDay bill never rises.
        #[test]
        fn harvest_only_shortens(
            raw in proptest::collection::vec((0u32..20 * 86_400, 0u32..4 * 86_400, 0u8..3, any::<bool>()), 1..30),
            idle in proptest::option::of(0u32..600),
            cap in proptest::option::of(0u32..48),
            close in any::<bool>(),
        ) {
            let scenario = spec_scenario();
            let mut usage = Usage::default();
            let base_t = instant("2025-03-01T00:00:00Z");
            for (start, dur, user, inactive) in raw {
                usage.sessions.push(Session {
                    start: base_t + start,
                    dur,
                    user: usage.users.intern(&format!("u{user}")),
                    feature: usage.features.intern("ACD"),
                    host: 0,
                    draw: 0,
                    flags: if inactive { flags::INACTIVE } else { 0 },
                });
            }
            let policy = HarvestPolicy { idle_minutes: idle, cap_hours: cap, close_at_2359: close };
            let h = harvest(&usage, chrono_tz::America::New_York, &policy);
            prop_assert_eq!(h.sessions.len(), usage.sessions.len());
            for (a, b) in usage.sessions.iter().zip(h.sessions.iter()) {
                prop_assert_eq!(a.start, b.start);
                prop_assert!(b.dur <= a.dur);
            }
            let base = meter(&usage, &scenario, &NoProgress).unwrap();
            let w = idle_what_if(&usage, &scenario, &base, &policy, d("3"), &NoProgress).unwrap();
            prop_assert!(w.tokens_saved >= Decimal::ZERO);
            prop_assert!(w.per_user.iter().all(|u| u.tokens_saved > Decimal::ZERO));
        }
    }
}
