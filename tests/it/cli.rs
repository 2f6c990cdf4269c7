//! Integration tests: the command line as a user runs it — exact outputs,
//! exit codes, and clear messages on bad input.

use std::path::PathBuf;

use proptest::prelude::*;
use tokenplan::ingest::{ImportOptions, import_bytes};
use tokenplan::meter::{meter, meter_summary};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::usage::Usage;

use super::cli_support::*;

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    scratch("cli", test)
}

/// A scenario with two CalendarDay products in New York.
const SCENARIO: &str = r#"Scenario(
    version: 1,
    name: "CLI test",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "ACD": Product(name: "AutoCAD", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "6"), Rate(from: "2025-03-01", tokens: "7")], features: ["*ACD_T_F*"]),
        "RVT": Product(name: "Revit", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "10")]),
    },
    subscriptions: {
        "ACD": Subscription(name: "AutoCAD", annual_price: "2030.00", covers: ["ACD"]),
    },
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.00")]),
    contract: Contract(start: "2026-01-01", years: 3, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0.08"),
    forecast: Forecast(history_days: 365, growth_per_year: "0.05"),
)
"#;

/// Sessions: `Bob` and `bob` are one user; a Singapore-style night session
/// touches two New York dates; the ACD rate changes on 2025-03-01.
const SESSIONS: &str = "\
user,product,host,start,end
bob,ACD,WS1,2025-02-28T14:00:00Z,2025-02-28T16:00:00Z
Bob,ACD,WS2,2025-02-28T18:00:00Z,2025-02-28T19:00:00Z
bob,ACD,WS1,2025-03-03T14:00:00Z,2025-03-03T15:00:00Z
amy,RVT,WS3,2025-03-04T01:00:00Z,2025-03-04T10:00:00Z
amy,ACD,WS3,2025-03-05T15:00:00Z,2025-03-05T15:00:00Z
";

#[test]
fn meter_csv_by_user_product_is_exact() {
    let d = dir("meter-csv");
    let sc = write(&d, "s.ron", SCENARIO);
    let csv = write(&d, "sessions.csv", SESSIONS);
    let (code, out, err) = run(&["meter", "--scenario", s(&sc), s(&csv)]);
    assert_eq!(code, 0, "{err}");
    // Users sorted by first spelling seen ("bob" before "Bob"), then product.
    // amy: RVT 01:00Z–10:00Z on 2025-03-04 is 20:00–05:00 New York → 2
    // dates; ACD zero-length session → 1 date at 7 tokens (after the change).
    // bob: 2025-02-28 (two hosts, one charge, 6 tokens) and 2025-03-03 (7).
    assert_eq!(
        out,
        "user,product,charges,tokens\namy,ACD,1,7\namy,RVT,2,20\nbob,ACD,2,13\n"
    );
}

#[test]
fn meter_groupings_and_json() {
    let d = dir("meter-by");
    let sc = write(&d, "s.ron", SCENARIO);
    let csv = write(&d, "sessions.csv", SESSIONS);
    let (_, out, _) = run(&["meter", "--scenario", s(&sc), s(&csv), "--by", "product"]);
    assert_eq!(out, "product,charges,tokens\nACD,3,20\nRVT,2,20\n");
    let (_, out, _) = run(&["meter", "--scenario", s(&sc), s(&csv), "--by", "user"]);
    assert_eq!(out, "user,charges,tokens\namy,3,27\nbob,2,13\n");
    let (_, out, _) = run(&["meter", "--scenario", s(&sc), s(&csv), "--by", "day"]);
    assert_eq!(
        out,
        "date,charges,tokens\n2025-02-28,1,6\n2025-03-03,2,17\n2025-03-04,1,10\n2025-03-05,1,7\n"
    );
    let (code, out, _) = run(&["meter", "--scenario", s(&sc), s(&csv), "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["by"], "user-product");
    assert_eq!(v["rows"][2]["user"], "bob");
    assert_eq!(v["rows"][2]["tokens"], "13");
    assert_eq!(v["rows"][2]["charges"], 2);
}

#[test]
fn bad_rows_are_reported_with_file_and_line_and_exit_1() {
    let d = dir("bad-rows");
    let sc = write(&d, "s.ron", SCENARIO);
    let csv = write(
        &d,
        "usage.csv",
        "user,product,start,end\n\
         ann,ACD,2025-02-06T10:00:00Z,2025-02-06T09:00:00Z\n\
         ann,ACD,yesterday,2025-02-06T09:00:00Z\n\
         ann,ACD,2025-02-06T08:00:00Z,2025-02-06T09:00:00Z\n",
    );
    let (code, out, err) = run(&["meter", "--scenario", s(&sc), s(&csv)]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("usage.csv:2: "), "{err}");
    assert!(err.contains("before start"), "{err}");
    assert!(err.contains("usage.csv:3: "), "{err}");
    assert!(err.contains("yesterday"), "{err}");
    // The good row is still metered.
    assert_eq!(out, "user,product,charges,tokens\nann,ACD,1,6\n");
}

#[test]
fn unreadable_inputs_give_clear_errors_not_panics() {
    let d = dir("unreadable");
    // Random bytes from a fixed generator.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let bytes: Vec<u8> = (0..4096)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let random = write(&d, "random.bin", bytes);
    let empty = write(&d, "empty.csv", "");
    let missing = write(
        &d,
        "nocol.csv",
        "user,product,start\nann,ACD,2025-01-01T00:00:00Z\n",
    );
    for (file, needle) in [
        (&random, "random.bin"),
        (&empty, "empty.csv"),
        (&missing, "end"),
    ] {
        let (code, _, err) = run(&["check", s(file)]);
        assert_eq!(code, 1, "{}: {err}", file.display());
        assert!(err.contains(needle), "{}: {err}", file.display());
        assert!(!err.contains("panicked"), "{err}");
    }
    let (code, _, err) = run(&["check", s(&d.join("absent.csv"))]);
    assert_eq!(code, 1);
    assert!(err.contains("absent.csv"), "{err}");
}

#[test]
fn bad_scenarios_name_the_field() {
    let d = dir("bad-scenario");
    let csv = write(&d, "sessions.csv", SESSIONS);
    let unknown_rule = write(
        &d,
        "rule.ron",
        SCENARIO.replacen("rule: CalendarDay", "rule: DailyCalendar", 1),
    );
    let (code, _, err) = run(&["meter", "--scenario", s(&unknown_rule), s(&csv)]);
    assert_eq!(code, 1);
    assert!(err.contains("rule.ron:"), "{err}");
    assert!(err.contains("DailyCalendar"), "{err}");
    let negative = write(
        &d,
        "neg.ron",
        SCENARIO.replace("annual_price: \"2030.00\"", "annual_price: \"-2030.00\""),
    );
    let (code, _, err) = run(&["meter", "--scenario", s(&negative), s(&csv)]);
    assert_eq!(code, 1);
    assert!(err.contains("subscriptions.ACD.annual_price"), "{err}");
}

#[test]
fn bad_usage_exits_2() {
    let d = dir("usage");
    let csv = write(&d, "sessions.csv", SESSIONS);
    let (code, _, err) = run(&["meter", s(&csv)]);
    assert_eq!(code, 2);
    assert!(err.contains("--scenario"), "{err}");
    let (code, _, _) = run(&["meter", "--by", "week", s(&csv)]);
    assert_eq!(code, 2);
    let (code, _, err) = run(&["check", "--time-zone", "EST5", s(&csv)]);
    assert_eq!(code, 2);
    assert!(err.contains("EST5"), "{err}");
}

#[test]
fn recommend_json_and_reassignment_csv() {
    let d = dir("recommend");
    let sc = write(&d, "s.ron", SCENARIO);
    let csv = write(&d, "sessions.csv", SESSIONS);
    let (code, out, err) = run(&[
        "recommend",
        "--scenario",
        s(&sc),
        s(&csv),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for key in [
        "users",
        "seats",
        "annual_tokens",
        "token_price",
        "total_annual_cost",
        "crossover",
        "baselines",
    ] {
        assert!(v.get(key).is_some(), "missing {key}: {out}");
    }
    // The 6-day history (2025-02-28..03-05) annualises × 365/6 × 1.05,
    // priced at the contract start's rates (ACD 7): bob's 2 ACD days →
    // 127.75 days/yr, above the 96.67 crossover (2030 / 21), so he holds
    // ACD (2030.00); amy stays on tokens: (7 + 20) × 365/6 × 1.05 =
    // 1724.625 tokens, bought whole: 1725 × 3.00 = 5175.00. All tokens:
    // bob's 2 × 7 tokens → 894.25, so 2618.875 → 2619 × 3.00 = 7857.00.
    assert_eq!(v["total_annual_cost"], "7205.00");
    assert_eq!(v["baselines"]["all_tokens"], "7857.00");
    let bob = v["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["user"] == "bob")
        .unwrap();
    assert_eq!(bob["subscriptions"], serde_json::json!(["ACD"]));
    let target = d.join("moves.csv");
    let (code, _, err) = run(&[
        "recommend",
        "--scenario",
        s(&sc),
        s(&csv),
        "--format",
        "csv",
        "--out",
        s(&target),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(
        text.starts_with("user,current_plan,recommended_plan,forecast_days,current_annual_cost,recommended_annual_cost,saving\n"),
        "{text}"
    );
}

#[test]
fn size_is_byte_identical_for_a_seed() {
    let d = dir("size");
    let sc = write(&d, "s.ron", SCENARIO);
    // Four weeks of weekday use by two users (sizing resamples whole weeks).
    let mut rows = String::from("user,product,start,end\n");
    for day in 1..=28 {
        for (user, product) in [("ann", "ACD"), ("ben", "RVT")] {
            if (day + 5) % 7 < 5 {
                rows += &format!(
                    "{user},{product},2025-03-{day:02}T14:00:00Z,2025-03-{day:02}T20:00:00Z\n"
                );
            }
        }
    }
    let csv = write(&d, "sessions.csv", rows);
    let args = [
        "size",
        "--scenario",
        s(&sc),
        s(&csv),
        "--trials",
        "200",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    let (code, a, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let (_, b, _) = run(&args);
    assert_eq!(a, b);
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert!(v["plans"].as_array().is_some_and(|p| !p.is_empty()));
    assert!(v.get("recommended").is_some());
    assert!(v.get("pools").is_some());
}

#[test]
fn audit_json_has_the_spec_sections() {
    let d = dir("audit");
    let sc = write(&d, "s.ron", SCENARIO);
    let csv = write(&d, "sessions.csv", SESSIONS);
    let (code, out, err) = run(&["audit", "--scenario", s(&sc), s(&csv), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    // amy's night session charges 2025-03-05 in New York without starting on it.
    let boundary = v["day_boundary"].as_array().unwrap();
    assert_eq!(boundary.len(), 1, "{out}");
    assert_eq!(boundary[0]["user"], "amy");
    assert_eq!(boundary[0]["date"], "2025-03-04");
    for key in ["double_dip", "shadow_bill", "burn"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn the_bundled_sample_recommends() {
    let at = |f: &str| format!("{}/sample-data/{f}", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = run(&[
        "recommend",
        "--scenario",
        &at("scenario.ron"),
        &at("sessions.csv"),
        &at("directory.csv"),
        &at("assignments.csv"),
    ]);
    assert_eq!(code, 0, "{err}");
    // Checked by hand from the CSV: see the plan tests for u00012 and u00018.
    assert!(
        out.contains("Recommended mix: USD 447234.00 a year"),
        "{out}"
    );
    assert!(out.contains("current            USD 559980.00"), "{out}");
}

/// Meter output as text, from CSV files imported in order.
fn meter_text(files: &[String]) -> String {
    let scenario = Scenario::from_ron(SCENARIO).unwrap();
    let opts = ImportOptions::default();
    let mut usage = Usage::default();
    for (i, f) in files.iter().enumerate() {
        import_bytes(
            &format!("f{i}.csv"),
            f.as_bytes(),
            &opts,
            &mut usage,
            &NoProgress,
        )
        .unwrap();
    }
    let m = meter(&usage, &scenario, &NoProgress).unwrap();
    // The command line's summary path adds up to exactly the rows.
    assert_eq!(
        meter_summary(&usage, &scenario, &NoProgress).unwrap(),
        m.summary()
    );
    m.pairs
        .iter()
        .map(|p| {
            format!(
                "{},{},{},{}\n",
                usage.users.name(p.user),
                m.product_code(p.product),
                p.charges(),
                p.tokens()
            )
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Shuffling session rows, or splitting one file in two, does not change
    /// what `meter` charges.
    #[test]
    fn shuffle_and_split_do_not_change_meter(
        rows in prop::collection::vec((0u8..5, 0u8..3, 0u32..(60 * 24 * 30), 0u32..(60 * 30)), 1..40),
        seed in any::<u64>(),
        cut in any::<prop::sample::Index>(),
    ) {
        let products = ["ACD", "RVT", "87545ACD_T_F"];
        let lines: Vec<String> = rows
            .iter()
            .map(|&(u, p, start_min, dur_min)| {
                let start = 1_740_787_200i64 + i64::from(start_min) * 60; // 2025-03-01T00:00Z
                let end = start + i64::from(dur_min) * 60;
                let t = |s: i64| chrono::DateTime::from_timestamp(s, 0).unwrap().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                format!("user{u},{},{},{}\n", products[usize::from(p)], t(start), t(end))
            })
            .collect();
        let header = "user,product,start,end\n";
        let whole = meter_text(&[format!("{header}{}", lines.concat())]);

        let mut shuffled = lines.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        // Users are named by first spelling; sort to compare independent of order.
        let sorted = |t: String| { let mut v: Vec<String> = t.lines().map(String::from).collect(); v.sort(); v };
        prop_assert_eq!(sorted(meter_text(&[format!("{header}{}", shuffled.concat())])), sorted(whole.clone()));

        let k = cut.index(lines.len() + 1);
        let split = meter_text(&[
            format!("{header}{}", lines[..k].concat()),
            format!("{header}{}", lines[k..].concat()),
        ]);
        prop_assert_eq!(sorted(split), sorted(whole));
    }
}

/// IBM's TLSTOK pool shared by DOORS, EWM and ETM, nothing else: no token
/// demand at all.
const IBM_ONLY: &str = r#"Scenario(
    version: 1,
    name: "IBM only",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "DOORS": Product(name: "DOORS", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["DOORS"]),
        "EWM": Product(name: "EWM", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["EWM"]),
        "ETM": Product(name: "ETM", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["ETM"]),
    },
    subscriptions: {},
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.00")]),
    contract: Contract(start: "2027-01-01", years: 3, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0.08"),
    forecast: Forecast(history_days: 365, growth_per_year: "0.05"),
)
"#;

/// SPEC §5: with only pools, `size` is a zero-token plan and still sizes
/// the pool (the TLSTOK log peaks at 13 tokens, see the ledger tests), exit 0.
#[test]
fn size_with_only_pools_is_a_zero_token_plan() {
    let d = dir("size-pools-only");
    let sc = write(&d, "ibm.ron", IBM_ONLY);
    let log = format!("{}/tests/data/ibm_tlstok.log", env!("CARGO_MANIFEST_DIR"));
    let (code, out, err) = run(&[
        "size",
        "--scenario",
        s(&sc),
        &log,
        "--trials",
        "50",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: no token demand"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let plans = v["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 1, "{out}");
    assert_eq!(plans[0]["annual_tokens_per_year"], "0");
    assert_eq!(plans[0]["contract_tokens"], "0");
    assert_eq!(plans[0]["expected_cost"], "0.00");
    assert_eq!(v["recommended"], 0);
    assert_eq!(v["recommended_within_risk"], 0);
    assert_eq!(v["pools"][0]["pool"], "TLSTOK");
    assert_eq!(v["pools"][0]["peak"], 13);
    assert_eq!(v["pools"][0]["size_for_target"], 13);
    assert_eq!(v["warnings"].as_array().map(Vec::len), Some(1));
}

/// SPEC §5: when the recommended mix covers every use by subscriptions,
/// `size` is a zero-token plan, exit 0. ann uses AutoCAD every day of four
/// weeks: 28 × 365 / 28 × 1.05 = 383.25 days a year × 7 tokens × 3.00 =
/// 8,048.25 against a 2,030.00 subscription, so she gets the subscription
/// and nothing is left to tokens.
#[test]
fn size_with_everything_on_subscriptions_is_a_zero_token_plan() {
    let d = dir("size-all-subscribed");
    let sc = write(&d, "s.ron", SCENARIO);
    let mut rows = String::from("user,product,start,end\n");
    for day in 1..=28 {
        rows += &format!("ann,ACD,2025-03-{day:02}T14:00:00Z,2025-03-{day:02}T20:00:00Z\n");
    }
    let csv = write(&d, "sessions.csv", rows);
    let (code, out, err) = run(&["size", "--scenario", s(&sc), s(&csv), "--trials", "50"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("warning: no token demand"), "{err}");
    assert!(out.contains("mean annual demand 0 tokens"), "{out}");
    let (code, out, _) = run(&[
        "size",
        "--scenario",
        s(&sc),
        s(&csv),
        "--trials",
        "50",
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0);
    assert_eq!(
        out,
        "annual_tokens_per_year,contract_tokens,expected_cost,p10_cost,p50_cost,p90_cost,\
         expected_expired,overage_probability,recommended,expected_unserved,\
         unserved_probability,within_risk\n\
         0,0,0.00,0.00,0.00,0.00,0.00,0.0000,yes,0.00,0.0000,yes\n"
    );
}
