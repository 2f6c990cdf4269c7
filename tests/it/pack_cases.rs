//! Tests of the negotiation pack (SPEC §9) on small hand-computed inputs:
//! the options side by side over the term, the tornado, break-even prices,
//! the workbook read back (the fixture is the term tests').

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use tokenplan::meter::Metered;
use tokenplan::pack::{self, OptionKind, PackInputs, PackOptions};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::usage::Usage;

use super::term_fixture::*;

/// Products A (10 tokens a day, covered by S) and B (1 token a day,
/// covered by nothing); S costs 1,000 new and 900 renewed; tokens 2.00
/// flat; a 2-year term from 2027-01-01 discounted at 25% (year 2 × 0.8);
/// no growth; 2 seats of S held today. Users: u00 uses A 80 days, u01 A
/// 20 days, u02 B every day of the 365-day window.
fn tiny() -> (Scenario, Metered, Usage) {
    two_years(Some("900"), 20)
}

/// The two-year term of [`tiny`] with S renewing at `renewal` and u01
/// using A `u01_days` days.
fn two_years(renewal: Option<&str>, u01_days: u32) -> (Scenario, Metered, Usage) {
    let mut s = scenario(
        &[("A", "10"), ("B", "1")],
        &[("S", "1000", renewal, &["A"])],
        flat("2.00"),
        2,
    );
    s.contract.discount_rate = d("0.25");
    s.contract.current_seats = BTreeMap::from([("S".to_string(), 2)]);
    let pairs = [(0, 0, 80), (1, 0, u01_days), (2, 1, 365)];
    let (mut metered, usage) = history(&["A", "B"], 3, &pairs);
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

/// The tornado on the tiny input at ± 10%, by hand (NPV = a year's cost
/// × 1.8, both years alike):
/// - token price 1.80 / 2.20: the same plan, 900 + 565 × p: 1,917 →
///   3,450.6 and 2,143 → 3,857.4; swing 406.8;
/// - usage volume 0.9 / 1.1: u00 720 / 880 tokens still on the seat, left
///   508.5 → 509 whole tokens (1,018) and 621.5 → 622 (1,244): 1,918 →
///   3,452.4 and 2,144 → 3,859.2; swing 406.8 (a tie: the inputs' order
///   keeps the token price first). Held at 1.1: 565-token lots, 56.5
///   short each year billed at 3.60 at the year's end: 3,654 + 203.4 /
///   1.25 + 203.4 / 1.5625 = 3,946.896; held at 0.9: 3,654 (the unused
///   tokens expire);
/// - S at 900 new / 810 renewed and 1,100 / 990: 810 + 1,130 = 1,940 →
///   3,492 and 990 + 1,130 = 2,120 → 3,816; swing 324;
/// - overage (not in the plan's NPV), growth 0 and escalation 0 (no
///   prices section): no swing, in the inputs' order.
#[test]
fn tornado_hand_computed() {
    let (s, metered, usage) = tiny();
    let pack = build(&s, &metered, &usage, &quick());
    let t = &pack.sensitivity;
    assert_eq!(t.base_npv, d("3654"));
    let order: Vec<pack::Driver> = t.rows.iter().map(|r| r.driver.clone()).collect();
    assert_eq!(
        order,
        [
            pack::Driver::TokenPrice,
            pack::Driver::UsageVolume,
            pack::Driver::Subscription("S".into()),
            pack::Driver::OveragePrice,
            pack::Driver::Growth,
            pack::Driver::Escalation,
        ]
    );
    let row = |i: usize| &t.rows[i];
    assert_eq!(
        (row(0).low_value, row(0).high_value),
        (d("1.80"), d("2.20"))
    );
    assert_eq!(
        (row(0).low_npv, row(0).high_npv),
        (d("3450.6"), d("3857.4"))
    );
    assert_eq!(row(0).swing, d("406.8"));
    assert_eq!(
        (row(0).held_low_npv, row(0).held_high_npv),
        (d("3450.6"), d("3857.4"))
    );
    assert_eq!(
        (row(1).low_npv, row(1).high_npv),
        (d("3452.4"), d("3859.2"))
    );
    assert_eq!(
        (row(1).held_low_npv, row(1).held_high_npv),
        (d("3654"), d("3946.896"))
    );
    assert_eq!((row(2).low_npv, row(2).high_npv), (d("3492"), d("3816")));
    assert_eq!(row(2).swing, d("324"));
    for r in &t.rows[3..] {
        assert_eq!(r.swing, Decimal::ZERO, "{:?}", r.driver);
        assert_eq!((r.low_npv, r.high_npv), (d("3654"), d("3654")));
    }
    assert!(t.rows.iter().all(|r| !r.approximate));
}

/// The break-even input: as [`tiny`] but S renews at its new price (1,000)
/// and u01 uses A 21 days (210 tokens). Today (tokens at 2.00) u00 holds
/// one seat (1,000 < 1,600) and u01 is on tokens (420 < 1,000).
fn even() -> (Scenario, Metered, Usage) {
    two_years(None, 21)
}

/// Break-evens by hand on [`even`]:
/// - token price below: u00's seat goes when 800 p < 1,000, p < 1.25; at
///   1.25 exactly the two cost the same and the tie goes to fewer seats:
///   the break-even is 1.25 (1.26 keeps the seat);
/// - token price above: u01 takes the second seat when 210 p > 1,000, p >
///   4.7619…: 4.77 (4.76 does not);
/// - S below: u01 takes a seat when its price is under 420: 419.99 (at
///   420.00 the tie keeps one seat);
/// - S above: u00 leaves the seat above 1,600, and at 1,600.00 (tie):
///   1,600.00 (1,599.99 keeps it);
/// - walk-away: the plan held (1 seat, 575 tokens a year) against renewing
///   as-is (2 seats, 365 tokens): 1,000 + 575 p ≤ 2,000 + 365 p while 210
///   p ≤ 1,000: 4.76.
#[test]
fn break_evens_hand_computed() {
    let (s, metered, usage) = even();
    let pack = build(&s, &metered, &usage, &quick());
    let b = &pack.break_evens;
    assert_eq!(b.token_today, d("2.00"));
    assert_eq!(b.seats_today, [1, 1]);
    assert_eq!(b.token_below.price(), Some(d("1.25")));
    assert_eq!(b.token_above.price(), Some(d("4.77")));
    let sub = &b.subscriptions[0];
    assert_eq!(sub.code, "S");
    assert_eq!(sub.more_seats.price(), Some(d("419.99")));
    assert_eq!(sub.fewer_seats.price(), Some(d("1600.00")));
    assert_eq!(b.walk_away, pack::WalkAway::At(d("4.76")));
    assert!(!b.token_below.approximate());

    // The plan differs between each break-even − 0.01 and + 0.01.
    let seats_at = |sc: &Scenario| {
        let demand = tokenplan::term::TermDemand::new(&metered, &usage, sc).unwrap();
        let plan =
            tokenplan::term::plan_term(&demand, sc, tokenplan::term::SearchOptions::default())
                .unwrap();
        plan.years
            .iter()
            .map(|y| y.seats.clone())
            .collect::<Vec<_>>()
    };
    let cent = d("0.01");
    for be in [&b.token_below, &b.token_above] {
        let p = be.price().unwrap();
        assert_ne!(
            seats_at(&pack::points::with_token_price(&s, p - cent)),
            seats_at(&pack::points::with_token_price(&s, p + cent)),
            "token break-even {p}"
        );
    }
    for be in [&sub.more_seats, &sub.fewer_seats] {
        let p = be.price().unwrap();
        assert_ne!(
            seats_at(&pack::points::with_subscription_price(&s, "S", p - cent)),
            seats_at(&pack::points::with_subscription_price(&s, "S", p + cent)),
            "S break-even {p}"
        );
    }
}

// ---------------------------------------------------------------------------
// The workbook read back

mod book {
    use calamine::{Data, Range, Reader, Xlsx};
    use rust_decimal::Decimal;
    use rust_decimal::prelude::ToPrimitive;

    use tokenplan::pack::workbook::{SHEETS, to_bytes};
    use tokenplan::pack::{self, Crossing, Pack, PackInputs, PackOptions, ScenarioFile};
    use tokenplan::progress::NoProgress;

    pub fn sheets(bytes: &[u8]) -> Vec<(String, Range<Data>)> {
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        book.sheet_names()
            .into_iter()
            .map(|n| {
                let r = book.worksheet_range(&n).unwrap();
                (n, r)
            })
            .collect()
    }

    fn sheet<'a>(all: &'a [(String, Range<Data>)], name: &str) -> &'a Range<Data> {
        &all.iter().find(|(n, _)| n == name).unwrap().1
    }

    fn cell(r: &Range<Data>, row: u32, col: u32) -> &Data {
        r.get_value((row, col)).unwrap_or(&Data::Empty)
    }

    /// The cell is a number equal to `d` (to f64's precision).
    fn same(r: &Range<Data>, row: u32, col: u32, d: Decimal) {
        match cell(r, row, col) {
            Data::Float(v) => {
                let want = d.to_f64().unwrap();
                assert!(
                    (v - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "({row}, {col}): {v} != {d}"
                );
            }
            other => panic!("({row}, {col}) is not a number: {other:?}"),
        }
    }

    fn text(r: &Range<Data>, row: u32, col: u32) -> String {
        match cell(r, row, col) {
            Data::String(s) => s.clone(),
            other => panic!("({row}, {col}) is not text: {other:?}"),
        }
    }

    pub fn with_file(
        s: &tokenplan::scenario::Scenario,
        metered: &tokenplan::meter::Metered,
        usage: &tokenplan::usage::Usage,
        reports: &[tokenplan::ingest::Report],
        ron: &[u8],
    ) -> Pack {
        let file = ScenarioFile::new("scenario.ron", ron);
        let inputs = PackInputs {
            usage,
            metered,
            reports,
            scenario_file: Some(&file),
            compare: None,
        };
        let options = PackOptions {
            trials: Some(200),
            made: Some("2026-12-01".into()),
            ..PackOptions::default()
        };
        pack::build(&inputs, s, &options, &NoProgress).unwrap()
    }

    /// Every headline figure of the workbook equals the engine's; numbers
    /// are number cells; Assumptions holds the scenario's SHA-256.
    #[test]
    fn workbook_reads_back_as_the_engine() {
        let (s, metered, usage) = super::even();
        let mut report = tokenplan::ingest::Report::new("sessions.csv");
        report.lines_read = 467;
        report.lines_used = 466;
        report.skipped.insert("no end time".into(), 1);
        let ron = s.to_ron().unwrap();
        let pack = with_file(&s, &metered, &usage, &[report], ron.as_bytes());
        let bytes = to_bytes(&pack).unwrap();
        let all = sheets(&bytes);
        let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, SHEETS);

        check_options(&all, &pack);
        check_summary(&all, &pack);
        check_sensitivity_and_break_evens(&all, &pack);
        check_term(&all, &pack);
        check_assumptions_and_sources(&all, &ron);
        check_number_columns(&all, &pack);
    }

    /// Options: every figure, as numbers.
    fn check_options(all: &[(String, Range<Data>)], pack: &pack::Pack) {
        let o = sheet(all, "Options");
        assert_eq!(text(o, 0, 3), "NPV");
        for (i, opt) in pack.options.iter().enumerate() {
            let row = i as u32 + 1;
            assert_eq!(text(o, row, 0), opt.name);
            same(o, row, 1, opt.year1_cost);
            same(o, row, 2, opt.total);
            same(o, row, 3, opt.npv);
            if let Some(dn) = opt.delta_npv {
                same(o, row, 5, dn);
            }
            same(o, row, 8, opt.p90().unwrap());
            same(o, row, 9, Decimal::from(opt.seats_year1));
            same(o, row, 11, opt.tokens_term);
        }
        assert!(pack.option(pack::OptionKind::RenewAsIs).is_some());
    }

    /// Summary: the options and the three break-evens.
    fn check_summary(all: &[(String, Range<Data>)], pack: &pack::Pack) {
        let sm = sheet(all, "Summary");
        for (i, opt) in pack.options.iter().enumerate() {
            let row = 4 + i as u32;
            assert_eq!(text(sm, row, 0), opt.name);
            same(sm, row, 3, opt.npv);
        }
        let b = &pack.break_evens;
        let be_row = 4 + pack.options.len() as u32 + 2;
        for (k, c) in [&b.token_below, &b.token_above].into_iter().enumerate() {
            let row = be_row + k as u32;
            same(sm, row, 1, b.token_today);
            match c.price() {
                Some(p) => same(sm, row, 2, p),
                None => assert_eq!(cell(sm, row, 2), &Data::Empty),
            }
        }
        match b.walk_away {
            pack::WalkAway::At(p) => same(sm, be_row + 2, 2, p),
            _ => panic!("the walk-away price is {:?}", b.walk_away),
        }
        for (j, sub) in b.subscriptions.iter().enumerate() {
            let row = be_row + 5 + j as u32;
            assert_eq!(text(sm, row, 0), sub.name);
            same(sm, row, 2, sub.more_seats.price().unwrap());
            same(sm, row, 3, sub.fewer_seats.price().unwrap());
        }
    }

    /// Sensitivity: the tornado's order and values; Break-even: every price.
    fn check_sensitivity_and_break_evens(all: &[(String, Range<Data>)], pack: &pack::Pack) {
        // Sensitivity: the tornado's order and values.
        let t = sheet(all, "Sensitivity");
        for (i, r) in pack.sensitivity.rows.iter().enumerate() {
            let row = i as u32 + 1;
            assert_eq!(text(t, row, 0), r.label);
            same(t, row, 4, r.low_npv);
            same(t, row, 5, r.high_npv);
            same(t, row, 6, r.swing);
        }
        // Break-even: every price.
        let b = &pack.break_evens;
        let be = sheet(all, "Break-even");
        let mut crossings: Vec<&Crossing> = vec![&b.token_below, &b.token_above];
        for sub in &b.subscriptions {
            crossings.extend([&sub.more_seats, &sub.fewer_seats]);
        }
        for (i, c) in crossings.iter().enumerate() {
            let row = i as u32 + 1;
            if let Some(p) = c.price() {
                same(be, row, 2, p);
            }
        }
    }

    /// Term: the plan's years, then its NPV.
    fn check_term(all: &[(String, Range<Data>)], pack: &pack::Pack) {
        let tm = sheet(all, "Term");
        let years = &pack.term.plan.plan.years;
        let total_col = 3 + pack.term.codes.len() as u32 + 8;
        for (k, y) in years.iter().enumerate() {
            same(tm, k as u32 + 1, total_col, y.total);
        }
        same(
            tm,
            years.len() as u32 + 1,
            total_col + 2,
            pack.term.plan.plan.npv,
        );
    }

    /// Assumptions: the scenario's SHA-256; Sources: lines as numbers, skipped by reason.
    fn check_assumptions_and_sources(all: &[(String, Range<Data>)], ron: &str) {
        // Assumptions: the scenario's SHA-256.
        let a = sheet(all, "Assumptions");
        let sha = ScenarioFile::new("x", ron.as_bytes()).sha256;
        assert_eq!(sha.len(), 64);
        let found = (0..a.height() as u32).any(|r| {
            matches!(cell(a, r, 0), Data::String(l) if l == "Scenario file SHA-256")
                && matches!(cell(a, r, 1), Data::String(v) if *v == sha)
        });
        assert!(found, "Assumptions has the SHA-256");

        // Sources: lines as numbers, skipped by reason.
        let src = sheet(all, "Sources");
        assert_eq!(text(src, 1, 0), "sessions.csv");
        same(src, 1, 2, Decimal::from(467));
        same(src, 1, 3, Decimal::from(466));
        same(src, 1, 4, Decimal::from(1));
        assert_eq!(text(src, 0, 5), "Skipped: no end time");
        same(src, 1, 5, Decimal::from(1));
    }

    /// Numeric columns hold numbers only, below their headers.
    fn check_number_columns(all: &[(String, Range<Data>)], pack: &pack::Pack) {
        for (name, cols) in [("Options", 1..12), ("Sensitivity", 1..11), ("Term", 1..2)] {
            let r = sheet(all, name);
            for row in 1..=pack.options.len() as u32 {
                for col in cols.clone() {
                    let c = cell(r, row, col);
                    assert!(
                        matches!(c, Data::Float(_) | Data::Empty),
                        "{name} ({row}, {col}) is {c:?}"
                    );
                }
            }
        }
    }

    /// A pseudonymised pack names no input user: no text cell of any sheet
    /// holds one.
    #[test]
    fn pseudonymised_pack_names_nobody() {
        let (mut s, metered, mut usage) = super::even();
        // A pinned user is named by the scenario too.
        s.constraints.pinned.insert("u00".into(), vec!["S".into()]);
        let names: Vec<String> = (0..usage.users.len() as u32)
            .map(|i| usage.users.name(i).to_string())
            .collect();
        let dir = std::env::temp_dir().join(format!("tokenplan-pack-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let key = dir.join("key");
        tokenplan::privacy::prepare(&key, &mut usage, Some(&mut s)).unwrap();
        let pack = with_file(&s, &metered, &usage, &[], b"x");
        let bytes = to_bytes(&pack).unwrap();
        let text = tokenplan::pack::workbook::text_of(&bytes).unwrap();
        assert!(text.contains("u-"), "pseudonyms are shown");
        for name in &names {
            assert!(
                !text.lines().any(|l| l.contains(name.as_str())),
                "{name} appears in the workbook"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// Nothing changes in range: u00 uses A every day (3,650 tokens, 7,300 at
/// 2.00) and S costs 500, so even at 10× (5,000) the seat stays, and no
/// one else could use one: "none up to 10×" above, "none down to 0" below.
/// Today's plan (one seat, 365 tokens of B) against renewing the one seat
/// held: the same plan, so it never costs more: no walk-away price up to
/// 10×.
#[test]
fn break_evens_none_in_range() {
    let mut s = scenario(
        &[("A", "10"), ("B", "1")],
        &[("S", "500", None, &["A"])],
        flat("2.00"),
        2,
    );
    s.contract.current_seats = BTreeMap::from([("S".to_string(), 1)]);
    let (mut metered, usage) = history(&["A", "B"], 2, &[(0, 0, 365), (1, 1, 365)]);
    price_charges(&mut metered, &s);
    let pack = build(&s, &metered, &usage, &quick());
    let sub = &pack.break_evens.subscriptions[0];
    assert_eq!(sub.seats_today, [1, 1]);
    assert_eq!(
        sub.fewer_seats,
        pack::Crossing::NoneInRange { approximate: false }
    );
    assert_eq!(
        sub.more_seats,
        pack::Crossing::NoneInRange { approximate: false }
    );
    assert_eq!(
        pack::workbook::crossing_note(&sub.fewer_seats, false),
        "none up to 10×"
    );
    assert_eq!(pack.break_evens.walk_away, pack::WalkAway::NoneUpTo10x);
    // The token price: the seat goes below 500 / 3,650 = 0.137 → 0.13.
    assert_eq!(pack.break_evens.token_below.price(), Some(d("0.13")));
    assert_eq!(
        pack.break_evens.token_above,
        pack::Crossing::NoneInRange { approximate: false }
    );
}

/// The break-even contract on the bundled sample (197 users, 8
/// subscriptions, 3 years, all-units tiers): every break-even is a pair of
/// neighbouring cents whose full re-plans (the probe settings') differ —
/// today's answer at the last cent with it, another at the break-even —
/// and the seats reported are the break-even's. The values are those of
/// the search with full re-plans only (steps of 1, 2, 4, … cents out, then
/// bisection), measured before the cheap first look: today's token price
/// 3.00 changes the seats at 2.99 and 3.08, ACD's 2,030.00 at 1,979.99 and
/// 2,097.01, INV's 2,950.00 at 2,854.00 below and never above, and so on
/// for every subscription.
#[test]
fn break_evens_on_the_sample_are_confirmed_by_full_re_plans() {
    use tokenplan::pack::Crossing;
    use tokenplan::pack::points::{with_subscription_price, with_token_price};
    use tokenplan::term::{TermDemand, TermPlan, plan_term};

    let s = tokenplan::sample::scenario().unwrap();
    let (usage, _) = tokenplan::sample::usage(&s);
    let metered = tokenplan::meter::meter(&usage, &s, &NoProgress).unwrap();
    let options = PackOptions::default();
    let mut base = pack::Base::new(&s, &metered, &usage, options.search, &NoProgress).unwrap();
    base.probe = options.probe;
    let b = pack::break_evens(&base).unwrap();
    let demand = TermDemand::new(&metered, &usage, &s).unwrap();
    let plan_at = |sc: &Scenario| plan_term(&demand, sc, options.probe).unwrap();
    let today = plan_at(&s);
    let all = |p: &TermPlan| -> Vec<u32> { p.years.iter().flat_map(|y| y.seats.clone()).collect() };
    let summed =
        |p: &TermPlan| -> Vec<u32> { p.years.iter().map(|y| y.seats.iter().sum()).collect() };

    // A crossing's price, the neighbouring cent with today's answer (one
    // cent towards today, checked) and the seats there.
    let neighbours = |c: &Crossing, below: bool| -> Option<(Decimal, Decimal, Vec<u32>)> {
        let Crossing::At {
            price,
            last_same,
            seats,
            ..
        } = c
        else {
            return None;
        };
        let cent = d("0.01");
        assert_eq!(
            *last_same,
            if below { *price + cent } else { *price - cent }
        );
        Some((*price, *last_same, seats.clone()))
    };
    let mut checked = 0;
    for (c, below) in [(&b.token_below, true), (&b.token_above, false)] {
        let Some((price, last_same, seats)) = neighbours(c, below) else {
            panic!("the sample's token price changes the seats in range: {c:?}");
        };
        let at = plan_at(&with_token_price(&s, price));
        assert_eq!(all(&plan_at(&with_token_price(&s, last_same))), all(&today));
        assert_ne!(all(&at), all(&today), "token {price}");
        assert_eq!(seats, summed(&at));
        checked += 1;
    }
    assert_eq!(b.token_below.price(), Some(d("2.99")));
    assert_eq!(b.token_above.price(), Some(d("3.08")));
    for (j, sub) in b.subscriptions.iter().enumerate() {
        let of = |p: &TermPlan| -> Vec<u32> { p.years.iter().map(|y| y.seats[j]).collect() };
        assert_eq!(sub.seats_today, of(&today));
        for (c, below) in [(&sub.more_seats, true), (&sub.fewer_seats, false)] {
            let Some((price, last_same, seats)) = neighbours(c, below) else {
                continue;
            };
            let moved = |p: &TermPlan| {
                of(p)
                    .iter()
                    .zip(&sub.seats_today)
                    .any(|(n, t)| if below { n > t } else { n < t })
            };
            let at = plan_at(&with_subscription_price(&s, &sub.code, price));
            let inside = plan_at(&with_subscription_price(&s, &sub.code, last_same));
            assert!(!moved(&inside), "{} {last_same}", sub.code);
            assert!(moved(&at), "{} {price}", sub.code);
            assert_eq!(seats, of(&at));
            checked += 1;
        }
    }
    assert!(checked >= 14, "{checked} break-evens checked");
    let found: Vec<(String, Option<Decimal>, Option<Decimal>)> = b
        .subscriptions
        .iter()
        .map(|x| (x.code.clone(), x.more_seats.price(), x.fewer_seats.price()))
        .collect();
    let want = [
        ("ACD", Some("1979.99"), Some("2097.01")),
        ("AEC", Some("3637.99"), Some("3677.01")),
        ("C3D", Some("2822.99"), Some("2862.01")),
        ("INV", Some("2854.00"), None),
        ("MAX", Some("1943.99"), Some("2148.00")),
        ("NAVMAN", Some("558.00"), None),
        ("PDMC", Some("3146.99"), Some("3303.00")),
        ("RVT", Some("3128.99"), None),
    ]
    .map(|(c, m, f)| (c.to_string(), m.map(d), f.map(d)));
    assert_eq!(found, want);
}
