//! Integration tests: the scenario file (SPEC §3) — parsing, validation,
//! atomic saving and RON round trips.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr as _;

use chrono::NaiveDate;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tokenplan::scenario::{
    Constraints, Contract, Forecast, Overdraft, Pool, Prices, Product, Rate, Rule, Scenario,
    ScenarioError, SeatChanges, Sizing, Subscription, Tier, TierMode, TokenPrice, YearPrices,
};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn spec_text() -> String {
    std::fs::read_to_string(data("spec_example.ron")).unwrap()
}

/// The SPEC example with `from` replaced by `to` (which must occur exactly once).
fn spec_with(from: &str, to: &str) -> String {
    let text = spec_text();
    assert_eq!(text.matches(from).count(), 1, "{from:?} must occur once");
    text.replacen(from, to, 1)
}

/// ACD's rule in the SPEC example, to swap for another.
const ACD_RULE: &str = r#"name: "AutoCAD", rule: CalendarDay,"#;

fn with_acd_rule(rule: &str) -> String {
    spec_with(ACD_RULE, &format!(r#"name: "AutoCAD", rule: {rule},"#))
}

fn error_text(text: &str) -> String {
    Scenario::from_ron(text).unwrap_err().to_string()
}

/// A fresh directory of this test's own under the system temp dir.
fn scratch_dir(test: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("tokenplan-scenario-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn dir_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn spec_example_loads_as_written() {
    let s = Scenario::load(data("spec_example.ron")).unwrap();
    assert_eq!(s.version, 1);
    assert_eq!(s.name, "FY27 EBA renewal");
    assert_eq!(s.currency, "USD");
    assert_eq!(s.server_tz().unwrap(), chrono_tz::America::New_York);

    assert_eq!(s.products.keys().collect::<Vec<_>>(), ["ACD", "C3D", "RVT"]);
    let acd = &s.products["ACD"];
    assert_eq!(acd.name, "AutoCAD");
    assert_eq!(
        acd.rule,
        Rule::CalendarDay {
            time_zone: None,
            grace_minutes: None
        }
    );
    assert_eq!(
        acd.rates,
        [Rate {
            from: date("2020-01-01"),
            tokens: dec("6")
        }]
    );
    assert_eq!(acd.features, ["*ACD*"]);
    assert_eq!(s.products["RVT"].rate_on(date("2025-06-01")), dec("10"));
    assert_eq!(s.products["C3D"].features, ["*C3D*", "*CIV3D*"]);

    assert_eq!(s.subscriptions["ACD"].annual_price, dec("2030.00"));
    let aec = &s.subscriptions["AEC"];
    assert_eq!(aec.name, "AEC Collection");
    assert_eq!(aec.annual_price, dec("3675.00"));
    assert_eq!(aec.covers, ["ACD", "RVT", "C3D"]);

    assert_eq!(
        s.token_price,
        TokenPrice::Tiers {
            mode: TierMode::AllUnits,
            tiers: vec![
                Tier {
                    from: 0,
                    price: dec("3.00")
                },
                Tier {
                    from: 50000,
                    price: dec("2.75")
                },
            ],
        }
    );
    assert_eq!(
        s.contract,
        Contract {
            start: date("2027-01-01"),
            years: 3,
            overage_price: dec("3.60"),
            overdraft: Overdraft::Unlimited,
            discount_rate: dec("0.08"),
            pack_size: None,
            seat_changes: Default::default(),
            current_seats: Default::default(),
        }
    );
    assert_eq!(
        s.forecast,
        Forecast {
            history_days: 365,
            growth_per_year: dec("0.05")
        }
    );
    assert_eq!(
        s.budgets,
        BTreeMap::from([
            ("Architecture".to_owned(), dec("45000")),
            ("Civil".to_owned(), dec("20000")),
        ])
    );
    // Left out of the example: the defaults.
    assert_eq!(s.constraints, Constraints::default());
    assert_eq!(s.sizing, Sizing::default());
    assert_eq!(s.sizing.trials, 2000);
}

#[test]
fn spec_example_round_trips_through_text_and_file() {
    let s = Scenario::from_ron(&spec_text()).unwrap();
    let text = s.to_ron().unwrap();
    assert_eq!(Scenario::from_ron(&text).unwrap(), s);
    // Stable: writing the reloaded scenario gives the same bytes, and the
    // scales of decimals survive (2030.00 stays 2030.00, not 2030).
    assert_eq!(Scenario::from_ron(&text).unwrap().to_ron().unwrap(), text);
    assert!(text.contains(r#"annual_price: "2030.00""#), "{text}");
    assert!(
        text.starts_with("#![enable(implicit_some)]\nScenario(\n"),
        "{text}"
    );

    let dir = scratch_dir("round-trip");
    let path = dir.join("fy27.ron");
    s.save(&path).unwrap();
    assert_eq!(Scenario::load(&path).unwrap(), s);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn field_order_is_stable_and_empty_sections_are_left_out() {
    let text = Scenario::from_ron(&spec_text()).unwrap().to_ron().unwrap();
    let at = |field: &str| {
        text.find(&format!("\n    {field}: "))
            .unwrap_or_else(|| panic!("{field} in {text}"))
    };
    let order = [
        "version",
        "name",
        "currency",
        "server_time_zone",
        "products",
        "subscriptions",
        "token_price",
        "contract",
        "forecast",
        "budgets",
        "sizing",
    ];
    for pair in order.windows(2) {
        assert!(at(pair[0]) < at(pair[1]), "{} before {}", pair[0], pair[1]);
    }
    // No constraints set: no section; a bare rule stays bare.
    assert!(!text.contains("constraints"), "{text}");
    assert!(text.contains("rule: CalendarDay,"), "{text}");
    assert!(!text.contains("alert_tokens_per_day"), "{text}");
}

#[test]
fn bare_and_parameterised_rules() {
    let cases: [(&str, Rule); 12] = [
        (
            "CalendarDay",
            Rule::CalendarDay {
                time_zone: None,
                grace_minutes: None,
            },
        ),
        (
            r#"CalendarDay(time_zone: "UTC")"#,
            Rule::CalendarDay {
                time_zone: Some("UTC".into()),
                grace_minutes: None,
            },
        ),
        (
            r#"CalendarDay(time_zone: Some("Asia/Singapore"), grace_minutes: 3)"#,
            Rule::CalendarDay {
                time_zone: Some("Asia/Singapore".into()),
                grace_minutes: Some(3),
            },
        ),
        (
            "CalendarDay()",
            Rule::CalendarDay {
                time_zone: None,
                grace_minutes: None,
            },
        ),
        (
            "Rolling24h",
            Rule::Rolling24h {
                grace_minutes: None,
            },
        ),
        (
            "Rolling24h(grace_minutes: 5)",
            Rule::Rolling24h {
                grace_minutes: Some(5),
            },
        ),
        (
            r#"Concurrent(pool: "TLSTOK", linger_minutes: 30)"#,
            Rule::Concurrent {
                pool: Some("TLSTOK".into()),
                linger_minutes: Some(30),
            },
        ),
        (
            "Concurrent(linger_minutes: 15)",
            Rule::Concurrent {
                pool: None,
                linger_minutes: Some(15),
            },
        ),
        (
            "Concurrent",
            Rule::Concurrent {
                pool: None,
                linger_minutes: None,
            },
        ),
        (
            "DailyPeak",
            Rule::DailyPeak {
                time_zone: None,
                pool: None,
            },
        ),
        (
            r#"DailyPeak(time_zone: "Europe/Berlin")"#,
            Rule::DailyPeak {
                time_zone: Some("Europe/Berlin".into()),
                pool: None,
            },
        ),
        ("Hourly", Rule::Hourly { time_zone: None }),
    ];
    for (written, expected) in cases {
        let s = Scenario::from_ron(&with_acd_rule(written))
            .unwrap_or_else(|e| panic!("{written}: {e}"));
        assert_eq!(s.products["ACD"].rule, expected, "{written}");
        // Saved and reloaded, the rule is the same and as tidy as possible.
        let text = s.to_ron().unwrap();
        assert_eq!(
            Scenario::from_ron(&text).unwrap().products["ACD"].rule,
            expected,
            "{text}"
        );
    }
}

#[test]
fn rules_are_written_bare_or_with_only_their_set_parameters() {
    let mut s = Scenario::from_ron(&spec_text()).unwrap();
    let acd = s.products.get_mut("ACD").unwrap();
    acd.rule = Rule::Concurrent {
        pool: Some("TLSTOK".into()),
        linger_minutes: Some(30),
    };
    s.products.get_mut("RVT").unwrap().rule = Rule::Rolling24h {
        grace_minutes: Some(5),
    };
    s.products.get_mut("C3D").unwrap().rule = Rule::Hourly { time_zone: None };
    let text = s.to_ron().unwrap();
    assert!(
        text.contains("\n            rule: Concurrent(pool: \"TLSTOK\", linger_minutes: 30),\n"),
        "{text}"
    );
    assert!(
        text.contains("\n            rule: Rolling24h(grace_minutes: 5),\n"),
        "{text}"
    );
    assert!(text.contains("rule: Hourly,"), "{text}");
    assert!(!text.contains("Some("), "{text}");
    assert_eq!(Scenario::from_ron(&text).unwrap(), s);
}

#[test]
fn unknown_rule_names_it_and_lists_the_valid_ones() {
    let err = Scenario::from_ron(&with_acd_rule("DailyCharge")).unwrap_err();
    let ScenarioError::Syntax { line, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*line, 7, "the ACD product's line");
    let text = err.to_string();
    assert!(text.contains("unknown rule `DailyCharge`"), "{text}");
    assert!(
        text.contains("CalendarDay, Rolling24h, Concurrent, DailyPeak, Hourly"),
        "{text}"
    );

    let with_params = error_text(&with_acd_rule(r#"Calendar(time_zone: "UTC")"#));
    assert!(
        with_params.contains("unknown rule `Calendar`"),
        "{with_params}"
    );
}

#[test]
fn a_parameter_the_rule_does_not_take_is_an_error() {
    let text = error_text(&with_acd_rule(r#"CalendarDay(pool: "TLSTOK")"#));
    assert!(text.starts_with("<scenario>:7:"), "{text}");
    assert!(text.contains("rule CalendarDay"), "{text}");
    assert!(text.contains("`pool`"), "{text}");
    assert!(
        text.contains("`time_zone`") && text.contains("`grace_minutes`"),
        "{text}"
    );

    let number = error_text(&with_acd_rule("7"));
    assert!(number.contains("expected a charging rule"), "{number}");
}

#[test]
fn negative_prices_name_the_field() {
    let tier = error_text(&spec_with(
        r#"Tier(from: 50000, price: "2.75")"#,
        r#"Tier(from: 50000, price: "-2.75")"#,
    ));
    assert_eq!(
        tier,
        "token_price.tiers[1].price: must not be negative, got -2.75"
    );

    let sub = error_text(&spec_with(
        r#"annual_price: "3675.00""#,
        r#"annual_price: "-1""#,
    ));
    assert_eq!(
        sub,
        "subscriptions.AEC.annual_price: must not be negative, got -1"
    );

    let overage = error_text(&spec_with(
        r#"overage_price: "3.60""#,
        r#"overage_price: "-3.60""#,
    ));
    assert_eq!(
        overage,
        "contract.overage_price: must not be negative, got -3.60"
    );
}

#[test]
fn rate_must_be_positive() {
    let text = error_text(&spec_with(r#"tokens: "6""#, r#"tokens: "-6""#));
    assert_eq!(text, "products.ACD.rates[0].tokens: must be > 0, got -6");
}

#[test]
fn bad_time_zones_name_the_field() {
    let server = error_text(&spec_with("America/New_York", "America/NewYork"));
    assert!(
        server.starts_with(r#"server_time_zone: "America/NewYork" is not an IANA time zone name"#),
        "{server}"
    );
    // A fixed offset is not a zone: it knows no daylight saving.
    let offset = error_text(&spec_with("America/New_York", "-05:00"));
    assert!(
        offset.starts_with(r#"server_time_zone: "-05:00" is not"#),
        "{offset}"
    );

    let rule = error_text(&with_acd_rule(r#"CalendarDay(time_zone: "Asia/Singapur")"#));
    assert!(
        rule.starts_with(
            r#"products.ACD.rule.time_zone: "Asia/Singapur" is not an IANA time zone name"#
        ),
        "{rule}"
    );
}

#[test]
fn optional_sections_may_be_left_out() {
    let text = spec_with(
        r#"    budgets: {"Civil": "20000", "Architecture": "45000"},
"#,
        "",
    );
    let s = Scenario::from_ron(&text).unwrap();
    assert!(s.budgets.is_empty());
    assert_eq!(s.constraints, Constraints::default());
    assert_eq!(s.sizing, Sizing::default());

    // Subscriptions too (a tokens-only plan), and product features.
    let text = Scenario::from_ron(&spec_text()).unwrap();
    let mut bare = text.clone();
    bare.subscriptions.clear();
    bare.products.get_mut("ACD").unwrap().features.clear();
    assert_eq!(Scenario::from_ron(&bare.to_ron().unwrap()).unwrap(), bare);

    // Partial sizing and constraints keep the defaults of the rest.
    let partial = spec_with(
        "    budgets:",
        "    sizing: Sizing(trials: 500, alert_tokens_per_day: \"900\"),\n    \
         constraints: Constraints(max_seats: {\"AEC\": 40}),\n    budgets:",
    );
    let s = Scenario::from_ron(&partial).unwrap();
    assert_eq!(s.sizing.trials, 500);
    assert_eq!(s.sizing.seed, Sizing::default().seed);
    assert_eq!(s.sizing.risk_limit, dec("0.05"));
    assert_eq!(s.sizing.alert_tokens_per_day, Some(dec("900")));
    assert_eq!(
        s.constraints.max_seats,
        BTreeMap::from([("AEC".to_owned(), 40)])
    );
    assert_eq!(s.constraints.switching_threshold, Decimal::ZERO);
}

#[test]
fn version_is_required_and_a_newer_one_is_refused() {
    let missing = error_text(&spec_with("    version: 1,\n", ""));
    assert!(missing.starts_with("version: missing"), "{missing}");

    // A newer file may hold fields this build does not know: the version
    // is what the user must hear about.
    let newer = error_text(&spec_with(
        "version: 1,",
        "version: 2,\n    carbon_price: \"0.10\",",
    ));
    assert!(
        newer.starts_with("version: 2 was written by a newer tokenplan"),
        "{newer}"
    );

    let zero = error_text(&spec_with("version: 1,", "version: 0,"));
    assert!(zero.starts_with("version: 0 is not"), "{zero}");
}

#[test]
fn syntax_errors_carry_file_line_and_column() {
    let dir = scratch_dir("syntax");
    let path = dir.join("scenario.ron");
    // Line 13 loses its `:` (the SPEC example's AEC subscription).
    std::fs::write(
        &path,
        spec_with(r#""AEC": Subscription"#, r#""AEC" Subscription"#),
    )
    .unwrap();
    let err = Scenario::load(&path).unwrap_err();
    let ScenarioError::Syntax { line, column, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*line, *column), (13, 14));
    assert!(
        err.to_string()
            .starts_with(&format!("{}:13:14: ", path.display())),
        "{err}"
    );

    // A misspelt field is not silently ignored.
    let typo = error_text(&spec_with("budgets:", "budget:"));
    assert!(typo.starts_with("<scenario>:21:5: "), "{typo}");
    assert!(typo.contains("`budget`"), "{typo}");

    // Validation errors name the file too.
    std::fs::write(&path, spec_with("years: 3", "years: 0")).unwrap();
    let err = Scenario::load(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!("{}: contract.years: must be >= 1, got 0", path.display())
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let path = data("no-such-scenario.ron");
    let err = Scenario::load(&path).unwrap_err();
    assert!(matches!(err, ScenarioError::Io { .. }), "{err:?}");
    assert!(
        err.to_string()
            .starts_with(&format!("could not read {}: ", path.display())),
        "{err}"
    );
}

#[test]
fn validation_names_each_field() {
    let cases = [
        (
            spec_with(
                r#"Tier(from: 0, price: "3.00")"#,
                r#"Tier(from: 10, price: "3.00")"#,
            ),
            "token_price.tiers[0].from: the first tier must start at 0, got 10",
        ),
        (
            spec_with(
                r#"Tier(from: 50000, price: "2.75")"#,
                r#"Tier(from: 0, price: "2.75")"#,
            ),
            "token_price.tiers[1].from: tiers must ascend by `from`: 0 is not above 0 (tiers[0])",
        ),
        (
            spec_with(
                "tiers: [\n        Tier(from: 0, price: \"3.00\"),\n        Tier(from: 50000, price: \"2.75\"),\n    ]",
                "tiers: []",
            ),
            "token_price.tiers: must hold at least one tier, from 0",
        ),
        (
            spec_with(
                r#"rates: [Rate(from: "2020-01-01", tokens: "6")]"#,
                "rates: []",
            ),
            "products.ACD.rates: must hold at least one rate, e.g. [Rate(from: \"2020-01-01\", tokens: \"6\")]",
        ),
        (
            spec_with(
                r#"rates: [Rate(from: "2020-01-01", tokens: "6")]"#,
                r#"rates: [Rate(from: "2024-01-01", tokens: "6"), Rate(from: "2023-01-01", tokens: "7")]"#,
            ),
            "products.ACD.rates[1].from: rates must be in ascending date order: 2023-01-01 is not after 2024-01-01 (rates[0])",
        ),
        (
            spec_with(
                r#"covers: ["ACD", "RVT", "C3D"]"#,
                r#"covers: ["ACD", "RVT", "INV"]"#,
            ),
            "subscriptions.AEC.covers[2]: \"INV\" is not a product of this scenario (known: ACD, C3D, RVT)",
        ),
        (
            spec_with(r#"covers: ["ACD", "RVT", "C3D"]"#, "covers: []"),
            "subscriptions.AEC.covers: must name at least one product",
        ),
        (
            spec_with("years: 3", "years: 0"),
            "contract.years: must be >= 1, got 0",
        ),
        (
            spec_with("overdraft: Unlimited", r#"overdraft: Limit("-100")"#),
            "contract.overdraft: must not be negative, got -100",
        ),
        (
            spec_with(r#"discount_rate: "0.08""#, r#"discount_rate: "1""#),
            "contract.discount_rate: must be at least 0 and below 1 (e.g. 0.08 for 8 %), got 1",
        ),
        (
            spec_with(r#"discount_rate: "0.08""#, r#"discount_rate: "-0.01""#),
            "contract.discount_rate: must be at least 0 and below 1 (e.g. 0.08 for 8 %), got -0.01",
        ),
        (
            spec_with("history_days: 365", "history_days: 0"),
            "forecast.history_days: must be >= 1, got 0",
        ),
        (
            spec_with(r#""Civil": "20000""#, r#""Civil": "-20000""#),
            "budgets.Civil: must not be negative, got -20000",
        ),
        (
            spec_with(
                "    budgets:",
                "    constraints: Constraints(min_seats: {\"ACAD\": 2}),\n    budgets:",
            ),
            "constraints.min_seats.ACAD: \"ACAD\" is not a subscription of this scenario (known: ACD, AEC)",
        ),
        (
            spec_with(
                "    budgets:",
                "    constraints: Constraints(min_seats: {\"AEC\": 20}, max_seats: {\"AEC\": 10}),\n    budgets:",
            ),
            "constraints.min_seats.AEC: minimum 20 is above the maximum 10",
        ),
        (
            spec_with(
                "    budgets:",
                "    constraints: Constraints(pinned: {\"u00007\": [\"AEC\", \"PDM\"]}),\n    budgets:",
            ),
            "constraints.pinned.u00007[1]: \"PDM\" is not a subscription of this scenario (known: ACD, AEC)",
        ),
        (
            spec_with(
                "    budgets:",
                "    sizing: Sizing(risk_limit: \"1.5\"),\n    budgets:",
            ),
            "sizing.risk_limit: must be between 0 and 1, got 1.5",
        ),
        (
            spec_with(r#"currency: "USD""#, r#"currency: "usd""#),
            "currency: \"usd\" is not an ISO 4217 code (three capital letters, e.g. USD)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(error_text(&text), expected);
    }
}

#[test]
fn problems_lists_every_problem_in_file_order() {
    let text = spec_with(r#"tokens: "6""#, r#"tokens: "0""#).replace("years: 3", "years: 0");
    let s: Vec<String> = {
        // Parse without stopping at the first problem.
        let err = Scenario::from_ron(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            "products.ACD.rates[0].tokens: must be > 0, got 0"
        );
        let mut fixed = Scenario::from_ron(&spec_text()).unwrap();
        fixed.products.get_mut("ACD").unwrap().rates[0].tokens = Decimal::ZERO;
        fixed.contract.years = 0;
        fixed.problems().iter().map(ToString::to_string).collect()
    };
    assert_eq!(
        s,
        [
            "products.ACD.rates[0].tokens: must be > 0, got 0",
            "contract.years: must be >= 1, got 0"
        ]
    );
}

#[test]
fn save_replaces_an_existing_file_atomically() {
    let dir = scratch_dir("atomic");
    let path = dir.join("plan.ron");
    std::fs::write(&path, "old contents").unwrap();
    let s = Scenario::from_ron(&spec_text()).unwrap();
    s.save(&path).unwrap();
    assert_eq!(dir_entries(&dir), ["plan.ron"], "no temporary file is left");
    assert_eq!(Scenario::load(&path).unwrap(), s);

    // Saving again over our own file works the same way.
    let mut changed = s.clone();
    changed.name = "FY28".into();
    changed.save(&path).unwrap();
    assert_eq!(dir_entries(&dir), ["plan.ron"]);
    assert_eq!(Scenario::load(&path).unwrap().name, "FY28");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failed_save_names_the_file_and_leaves_nothing_behind() {
    let dir = scratch_dir("failed-save");
    let path = dir.join("missing-subdir").join("plan.ron");
    let err = Scenario::from_ron(&spec_text())
        .unwrap()
        .save(&path)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ScenarioError::Io {
                action: "write",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with(&format!("could not write {}: ", path.display())),
        "{err}"
    );
    assert!(dir_entries(&dir).is_empty());

    // The temporary file is written but cannot replace a directory: it is
    // removed again and the directory is left as it was.
    let blocked = dir.join("plan.ron");
    std::fs::create_dir(&blocked).unwrap();
    let err = Scenario::from_ron(&spec_text())
        .unwrap()
        .save(&blocked)
        .unwrap_err();
    assert!(
        matches!(
            err,
            ScenarioError::Io {
                action: "write",
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(dir_entries(&dir), ["plan.ron"]);
    assert!(blocked.is_dir());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_byte_order_mark_is_accepted() {
    let dir = scratch_dir("bom");
    let path = dir.join("bom.ron");
    std::fs::write(&path, format!("\u{feff}{}", spec_text())).unwrap();
    assert_eq!(Scenario::load(&path).unwrap().name, "FY27 EBA renewal");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn overdraft_forms() {
    for (written, expected) in [
        ("None", Overdraft::None),
        ("Unlimited", Overdraft::Unlimited),
        (r#"Limit("25000")"#, Overdraft::Limit(dec("25000"))),
    ] {
        let s = Scenario::from_ron(&spec_with(
            "overdraft: Unlimited",
            &format!("overdraft: {written}"),
        ))
        .unwrap();
        assert_eq!(s.contract.overdraft, expected);
        let text = s.to_ron().unwrap();
        assert!(text.contains(&format!("overdraft: {written},")), "{text}");
        assert_eq!(Scenario::from_ron(&text).unwrap(), s);
    }
}

#[test]
fn flat_token_price() {
    let text = spec_with(
        "token_price: Tiers(mode: AllUnits, tiers: [\n        Tier(from: 0, price: \"3.00\"),\n        Tier(from: 50000, price: \"2.75\"),\n    ]),",
        "token_price: Flat(\"3.00\"),",
    );
    let s = Scenario::from_ron(&text).unwrap();
    assert_eq!(s.token_price, TokenPrice::Flat(dec("3.00")));
    assert!(s.to_ron().unwrap().contains("token_price: Flat(\"3.00\"),"));
}

#[test]
fn sample_data_scenario_loads_and_validates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/scenario.ron");
    let s = Scenario::load(&path).unwrap();
    assert_eq!(s.server_time_zone, "America/New_York");
    // Every product of the demo data generator (tools/gen_usage.py).
    for code in ["ACD", "RVT", "C3D", "INV", "NAVMAN", "MAX", "ACDMEP"] {
        assert!(s.products.contains_key(code), "{code}");
    }
    // The mid-history rate change that shows effective dating.
    let rvt = &s.products["RVT"];
    assert_eq!(rvt.rate_on(date("2025-01-31")), dec("10"));
    assert_eq!(rvt.rate_on(date("2025-02-01")), dec("11"));
    // The history (2024–2025) ends before the contract starts.
    assert!(s.contract.start >= date("2026-01-01"));
    // Round trip of the bundled file too.
    assert_eq!(Scenario::from_ron(&s.to_ron().unwrap()).unwrap(), s);
}

// --- Property: save → load gives the identical scenario -----------------

const ZONES: [&str; 5] = [
    "UTC",
    "America/New_York",
    "Asia/Singapore",
    "Europe/London",
    "Australia/Sydney",
];

fn zone() -> impl Strategy<Value = String> {
    proptest::sample::select(&ZONES[..]).prop_map(str::to_owned)
}

fn opt_zone() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(zone())
}

fn rule() -> impl Strategy<Value = Rule> {
    let minutes = || proptest::option::of(0u32..600);
    prop_oneof![
        (opt_zone(), minutes()).prop_map(|(time_zone, grace_minutes)| Rule::CalendarDay {
            time_zone,
            grace_minutes
        }),
        minutes().prop_map(|grace_minutes| Rule::Rolling24h { grace_minutes }),
        (
            proptest::option::of("[A-Za-z][A-Za-z0-9 _-]{0,8}"),
            minutes()
        )
            .prop_map(|(pool, linger_minutes)| Rule::Concurrent {
                pool,
                linger_minutes
            }),
        (
            opt_zone(),
            proptest::option::of("[A-Za-z][A-Za-z0-9 _-]{0,8}")
        )
            .prop_map(|(time_zone, pool)| Rule::DailyPeak { time_zone, pool }),
        opt_zone().prop_map(|time_zone| Rule::Hourly { time_zone }),
    ]
}

/// Decimals with up to 4 places, including scales like `3.00`.
fn decimal(min: i64, max: i64) -> impl Strategy<Value = Decimal> {
    (min..=max, 0u32..=4).prop_map(|(m, scale)| Decimal::new(m, scale))
}

fn positive() -> impl Strategy<Value = Decimal> {
    decimal(1, 10_000_000)
}

fn non_negative() -> impl Strategy<Value = Decimal> {
    decimal(0, 10_000_000)
}

fn share_below_one() -> impl Strategy<Value = Decimal> {
    (0i64..10_000).prop_map(|m| Decimal::new(m, 4))
}

fn day(offset: u32) -> NaiveDate {
    date("2015-01-01") + chrono::Days::new(u64::from(offset))
}

/// Any text at all: quotes, backslashes, line breaks, `r#None`, emoji.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        Just("overdraft: r#None,\n        overdraft: r#None,".to_owned()),
        Just("\"quoted\" \\ back\\slash ) ] }".to_owned()),
    ]
    .prop_map(|s| format!("n{s}"))
}

fn product() -> impl Strategy<Value = Product> {
    (
        text(),
        rule(),
        proptest::collection::vec((1u32..400, positive()), 1..4),
        proptest::collection::vec("[*A-Z0-9_]{1,10}", 0..3),
    )
        .prop_map(|(name, rule, steps, features)| {
            let mut offset = 0;
            let rates = steps
                .into_iter()
                .map(|(gap, tokens)| {
                    offset += gap;
                    Rate {
                        from: day(offset),
                        tokens,
                    }
                })
                .collect();
            Product {
                name,
                rule,
                rates,
                features,
            }
        })
}

fn token_price() -> impl Strategy<Value = TokenPrice> {
    prop_oneof![
        non_negative().prop_map(TokenPrice::Flat),
        (
            prop_oneof![Just(TierMode::AllUnits), Just(TierMode::Incremental)],
            proptest::collection::vec((1u64..100_000, non_negative()), 0..3),
            non_negative(),
        )
            .prop_map(|(mode, steps, first)| {
                let mut from = 0;
                let mut tiers = vec![Tier {
                    from: 0,
                    price: first,
                }];
                for (gap, price) in steps {
                    from += gap;
                    tiers.push(Tier { from, price });
                }
                TokenPrice::Tiers { mode, tiers }
            }),
    ]
}

fn contract() -> impl Strategy<Value = Contract> {
    (
        0u32..5000,
        1u32..6,
        non_negative(),
        prop_oneof![
            Just(Overdraft::None),
            Just(Overdraft::Unlimited),
            non_negative().prop_map(Overdraft::Limit)
        ],
        share_below_one(),
        proptest::option::of(1u32..500),
        any::<bool>(),
    )
        .prop_map(
            |(start, years, overage_price, overdraft, discount_rate, pack_size, adds)| Contract {
                start: day(start),
                years,
                overage_price,
                overdraft,
                discount_rate,
                pack_size,
                seat_changes: if adds {
                    SeatChanges::AddsAtAnniversary
                } else {
                    SeatChanges::AnyTime
                },
                current_seats: BTreeMap::new(),
            },
        )
}

fn sizing() -> impl Strategy<Value = Sizing> {
    (
        1u32..10_000,
        any::<u64>(),
        share_below_one(),
        share_below_one(),
        proptest::option::of(non_negative()),
    )
        .prop_map(
            |(trials, seed, risk_limit, target_denial_rate, alert_tokens_per_day)| Sizing {
                trials,
                seed,
                risk_limit,
                target_denial_rate,
                alert_tokens_per_day,
            },
        )
}

prop_compose! {
    fn scenario()(
        name in text(),
        zone in zone(),
        products in proptest::collection::btree_map("[A-Z][A-Z0-9_]{0,6}", product(), 1..5),
        subs in proptest::collection::btree_map(
            "[A-Z][A-Za-z0-9 ]{0,8}",
            (text(), non_negative(), proptest::option::of(non_negative()), proptest::collection::btree_set(0usize..8, 1..4)),
            0..4,
        ),
        token_price in token_price(),
        contract in contract(),
        history_days in 1u32..1000,
        growth in (-9_999i64..100_000).prop_map(|m| Decimal::new(m, 4)),
        budgets in proptest::collection::btree_map(text(), non_negative(), 0..3),
        seats in proptest::collection::vec((0usize..8, 0u32..50, 0u32..50, any::<bool>()), 0..3),
        pins in proptest::collection::btree_map("[a-z][a-z0-9.@ ]{0,8}", proptest::collection::vec(0usize..8, 0..3), 0..3),
        switching_threshold in non_negative(),
        sizing in sizing(),
        held in proptest::collection::vec((0usize..8, 0u32..100), 0..3),
        pool_prices in proptest::collection::vec(proptest::option::of(non_negative()), 0..3),
        prices in proptest::option::of((text(), share_below_one(), proptest::option::of(share_below_one()), proptest::collection::vec((0usize..8, non_negative(), proptest::option::of(non_negative())), 0..3))),
    ) -> Scenario {
        let mut contract = contract;
        let codes: Vec<String> = products.keys().cloned().collect();
        let subscriptions: BTreeMap<String, Subscription> = subs
            .into_iter()
            .map(|(code, (name, annual_price, renewal_price, covers))| {
                let mut covers: Vec<String> = covers.into_iter().map(|i| codes[i % codes.len()].clone()).collect();
                covers.dedup();
                covers.sort();
                covers.dedup();
                (code, Subscription { name, annual_price, renewal_price, covers })
            })
            .collect();
        let sub_codes: Vec<String> = subscriptions.keys().cloned().collect();
        let mut constraints = Constraints { switching_threshold, ..Constraints::default() };
        if !sub_codes.is_empty() {
            for (i, a, b, both) in seats {
                let code = sub_codes[i % sub_codes.len()].clone();
                if both {
                    constraints.min_seats.insert(code.clone(), a.min(b));
                } else {
                    constraints.min_seats.remove(&code);
                }
                constraints.max_seats.insert(code, a.max(b));
            }
            for (user, plan) in pins {
                constraints.pinned.insert(user, plan.into_iter().map(|i| sub_codes[i % sub_codes.len()].clone()).collect());
            }
            for (i, n) in held {
                contract.current_seats.insert(sub_codes[i % sub_codes.len()].clone(), n);
            }
        }
        // Pools priced are pools some Concurrent product draws from.
        let drawn: Vec<String> = products
            .iter()
            .filter_map(|(code, p)| match &p.rule {
                Rule::Concurrent { pool, .. } => Some(pool.clone().unwrap_or_else(|| code.clone())),
                _ => None,
            })
            .collect();
        let pools: BTreeMap<String, Pool> = drawn
            .iter()
            .zip(pool_prices)
            .map(|(name, price_per_token_year)| (name.clone(), Pool { price_per_token_year }))
            .collect();
        let prices = prices.map(|(basis, escalation, escalation_cap, years)| Prices {
            basis,
            escalation,
            escalation_cap,
            years: years
                .into_iter()
                .enumerate()
                .filter(|&(k, _)| (k as u32) < contract.years)
                .map(|(k, (sub, price, overage_price))| YearPrices {
                    year: k as u32 + 1,
                    subscriptions: sub_codes
                        .get(sub % sub_codes.len().max(1))
                        .map(|c| BTreeMap::from([(c.clone(), price)]))
                        .unwrap_or_default(),
                    renewal_subscriptions: BTreeMap::new(),
                    token_price: None,
                    overage_price,
                })
                .collect(),
        });
        Scenario {
            pools,
            prices,
            version: 1,
            name,
            currency: "EUR".into(),
            server_time_zone: zone,
            products,
            subscriptions,
            token_price,
            contract,
            forecast: Forecast { history_days, growth_per_year: growth },
            budgets,
            constraints,
            sizing,
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn save_then_load_is_identical(s in scenario()) {
        prop_assert!(s.problems().is_empty(), "generated scenario invalid: {:?}", s.problems());
        let text = s.to_ron().unwrap();
        let back = Scenario::from_ron(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&back, &s);
        // Equal decimals may differ in scale (3 vs 3.00); the text must not.
        prop_assert_eq!(back.to_ron().unwrap(), text);
    }
}

/// `*` matches any run of characters, case-insensitive, whole name — the
/// catalog's pattern rule (SPEC §3), enough to check the sample's patterns.
fn glob(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match p.split_first() {
            None => n.is_empty(),
            Some((b'*', rest)) => (0..=n.len()).any(|i| go(rest, &n[i..])),
            Some((c, rest)) => n
                .split_first()
                .is_some_and(|(d, tail)| c == d && go(rest, tail)),
        }
    }
    go(
        pattern.to_ascii_uppercase().as_bytes(),
        name.to_ascii_uppercase().as_bytes(),
    )
}

#[test]
fn sample_feature_patterns_map_each_demo_feature_to_one_product() {
    let s = Scenario::load(Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/scenario.ron"))
        .unwrap();
    let owners = |feature: &str| -> Vec<&str> {
        s.products
            .iter()
            .filter(|(_, p)| p.features.iter().any(|pat| glob(pat, feature)))
            .map(|(code, _)| code.as_str())
            .collect()
    };
    // Product codes of sessions.csv, the feature names gen_usage.py writes to
    // adskflex.log, and Autodesk feature names of the real logs.
    for (feature, product) in [
        ("ACD", "ACD"),
        ("ACDMEP", "ACDMEP"),
        ("C3D", "C3D"),
        ("INV", "INV"),
        ("MAX", "MAX"),
        ("NAVMAN", "NAVMAN"),
        ("RVT", "RVT"),
        ("87545ACD_T_F", "ACD"),
        ("87560ACDMEP_T_F", "ACDMEP"),
        ("87547C3D_T_F", "C3D"),
        ("87580INVPROSA_T_F", "INV"),
        ("87556MAX_T_F", "MAX"),
        ("87553NAVMAN_T_F", "NAVMAN"),
        ("87558RVT_T_F", "RVT"),
        ("64300ACD_F", "ACD"),
        ("85730ACD_2012_0F", "ACD"),
        ("87545acd_2022_0f", "ACD"),
        ("64801INVPROSA_F", "INV"),
        ("87537INVPROSA_2022_0F", "INV"),
        ("85950RVT_F", "RVT"),
        ("87561RVT_2022_0F", "RVT"),
        ("64900CIV3D_F", "C3D"),
        ("87556CIV3D_2022_0F", "C3D"),
    ] {
        assert_eq!(owners(feature), [product], "{feature}");
    }
    // Not products of the demo: left unmapped, not swallowed by a neighbour.
    for feature in ["65400MAP_F", "86815AECCOL_T_F", "87570RVTLT_T_F"] {
        assert!(
            owners(feature).is_empty(),
            "{feature}: {:?}",
            owners(feature)
        );
    }
    assert!(glob("*ACD_20*_0F", "85730ACD_2012_0F") && !glob("*ACD_T_F", "87560ACDMEP_T_F"));
}

/// SPEC §8's fields, written as the SPEC writes them, into the §3 example.
fn term_example() -> String {
    spec_text()
        .replacen(
            r#""AEC": Subscription(name: "AEC Collection", annual_price: "3675.00", covers: ["ACD", "RVT", "C3D"]),"#,
            r#""AEC": Subscription(name: "AEC Collection", annual_price: "3675.00", renewal_price: "3300.00", covers: ["ACD", "RVT", "C3D"]),"#,
            1,
        )
        .replacen(
            r#"discount_rate: "0.08"),"#,
            r#"discount_rate: "0.08",
        pack_size: 100, seat_changes: AddsAtAnniversary, current_seats: {"AEC": 10}),
    prices: Prices(basis: "List prices of 2026-10, before discount", escalation: "0.07", escalation_cap: "0.05",
        years: [YearPrices(year: 3, subscriptions: {"AEC": "3900.00"}, token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.10")]))]),"#,
            1,
        )
}

#[test]
fn spec_term_fields_load_as_written_and_round_trip() {
    let s = Scenario::from_ron(&term_example()).unwrap();
    let aec = &s.subscriptions["AEC"];
    assert_eq!(aec.renewal_price, Some(dec("3300.00")));
    assert_eq!(s.subscriptions["ACD"].renewal_price, None);
    assert_eq!(s.contract.pack_size, Some(100));
    assert_eq!(s.contract.seat_changes, SeatChanges::AddsAtAnniversary);
    assert_eq!(
        s.contract.current_seats,
        BTreeMap::from([("AEC".into(), 10)])
    );
    let prices = s.prices.as_ref().unwrap();
    assert_eq!(prices.basis, "List prices of 2026-10, before discount");
    assert_eq!(prices.escalation, dec("0.07"));
    assert_eq!(prices.escalation_cap, Some(dec("0.05")));
    assert_eq!(prices.years.len(), 1);
    assert_eq!(prices.years[0].year, 3);
    assert_eq!(prices.years[0].subscriptions["AEC"], dec("3900.00"));
    assert_eq!(
        prices.years[0].token_price,
        Some(TokenPrice::Tiers {
            mode: TierMode::AllUnits,
            tiers: vec![Tier {
                from: 0,
                price: dec("3.10")
            }]
        })
    );
    assert_eq!(prices.years[0].overage_price, None);
    let again = Scenario::from_ron(&s.to_ron().unwrap()).unwrap();
    assert_eq!(again, s);
    // Without the fields, the defaults: whole tokens, seats free, no prices.
    let plain = Scenario::from_ron(&spec_text()).unwrap();
    assert_eq!(plain.contract.pack_size, None);
    assert_eq!(plain.contract.seat_changes, SeatChanges::AnyTime);
    assert!(plain.contract.current_seats.is_empty() && plain.prices.is_none());
    assert!(!plain.to_ron().unwrap().contains("seat_changes"));
}

#[test]
fn term_and_pool_fields_are_validated_by_path() {
    let bad = |from: &str, to: &str| error_text(&term_example().replacen(from, to, 1));
    assert_eq!(
        bad("pack_size: 100", "pack_size: 0"),
        "contract.pack_size: must be >= 1, got 0"
    );
    assert!(
        bad(
            r#"current_seats: {"AEC": 10}"#,
            r#"current_seats: {"XYZ": 10}"#
        )
        .starts_with("contract.current_seats.XYZ: \"XYZ\" is not a subscription"),
    );
    assert_eq!(
        bad(r#"renewal_price: "3300.00""#, r#"renewal_price: "-1""#),
        "subscriptions.AEC.renewal_price: must not be negative, got -1"
    );
    assert_eq!(
        bad("YearPrices(year: 3,", "YearPrices(year: 4,"),
        "prices.years[0].year: must be a contract year, 1 to 3, got 4"
    );
    assert!(
        bad(
            r#"subscriptions: {"AEC": "3900.00"}"#,
            r#"subscriptions: {"X": "3900.00"}"#
        )
        .starts_with("prices.years[0].subscriptions.X: \"X\" is not a subscription"),
    );
    assert_eq!(
        bad(r#"price: "3.10""#, r#"price: "-3.10""#),
        "prices.years[0].token_price.tiers[0].price: must not be negative, got -3.10"
    );
    assert_eq!(
        bad(r#"escalation: "0.07""#, r#"escalation: "-1""#),
        "prices.escalation: must be > -1 (-100 %), got -1"
    );
    // A priced pool must be one a Concurrent product draws from.
    let pooled = spec_text()
        .replacen(
            ACD_RULE,
            r#"name: "AutoCAD", rule: Concurrent(pool: "TLSTOK"),"#,
            1,
        )
        .replacen(
            "token_price:",
            r#"pools: {"TLSTOK": Pool(price_per_token_year: "120.00")},
    token_price:"#,
            1,
        );
    let s = Scenario::from_ron(&pooled).unwrap();
    assert_eq!(s.pools["TLSTOK"].price_per_token_year, Some(dec("120.00")));
    assert_eq!(Scenario::from_ron(&s.to_ron().unwrap()).unwrap(), s);
    assert_eq!(
        error_text(&pooled.replacen(r#"{"TLSTOK": Pool"#, r#"{"IBM": Pool"#, 1)),
        "pools.IBM: no Concurrent product draws from a pool named \"IBM\" (known: TLSTOK)"
    );
}
