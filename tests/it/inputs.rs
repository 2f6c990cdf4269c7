//! Integration tests: the inputs customers actually have (SPEC §1.4, §1.5) —
//! usage reports by day and by month, XLSX sheets, column mapping and alias
//! tables — with hand-computed charges. Fixtures are in tests/data/inputs/;
//! workbooks are written here with rust_xlsxwriter (real date cells).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};
use tokenplan::ingest::{
    ColumnMap, ImportError, ImportOptions, Report, SourceKind, identities, import_bytes,
    import_path, preview_bytes,
};
use tokenplan::meter::{Metered, meter};
use tokenplan::plan::forecast::forecast;
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::time::day_of_date;
use tokenplan::usage::Usage;

use super::cli_support::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/inputs")
        .join(name)
}

fn scenario() -> Scenario {
    Scenario::load(data("scenario.ron")).unwrap()
}

fn import_files(names: &[&str], opts: &ImportOptions) -> (Usage, Vec<Report>) {
    let mut usage = Usage::default();
    let reports = names
        .iter()
        .map(|n| import_path(&data(n), opts, &mut usage, &NoProgress).unwrap())
        .collect();
    (usage, reports)
}

/// (user, product, charges, tokens) per pair, as `meter` prints them.
fn rows(usage: &Usage, metered: &Metered) -> Vec<(String, String, u64, Decimal)> {
    metered
        .pairs
        .iter()
        .map(|p| {
            (
                usage.users.name(p.user).to_string(),
                metered.product_code(p.product).to_string(),
                p.charges(),
                p.tokens(),
            )
        })
        .collect()
}

fn row(user: &str, product: &str, charges: u64, tokens: i64) -> (String, String, u64, Decimal) {
    (user.into(), product.into(), charges, Decimal::from(tokens))
}

fn messages(r: &Report) -> Vec<String> {
    r.problems.iter().map(ToString::to_string).collect()
}

fn date(s: &str) -> i32 {
    day_of_date(chrono::NaiveDate::from_str(s).unwrap())
}

fn path(name: &str) -> String {
    data(name).display().to_string()
}

// ------------------------------------------------------------ day reports

/// The day-level report, by hand (AutoCAD 6 tokens a day, Revit 10):
/// - ann AutoCAD on Jan 6 and Jan 7 (listed twice: one charge) → 2 × 6 = 12;
/// - ann Revit on Jan 7 → 10;
/// - bob AutoCAD on Jan 6 with 0 tokens used: a launch under Autodesk's
///   threshold, no use-day;
/// - bob Revit on Jan 8 and (as BOB) Jan 9 → 2 × 10 = 20;
/// - Feb 30 is no date and the last row has no user: both reported.
///
/// Total 5 charges, 42 tokens.
fn day_report_rows() -> Vec<(String, String, u64, Decimal)> {
    vec![
        row("ann@corp.com", "ACD", 2, 12),
        row("ann@corp.com", "RVT", 1, 10),
        row("bob@corp.com", "RVT", 2, 20),
    ]
}

#[test]
fn day_report_csv_is_metered_exactly() {
    let (usage, reports) = import_files(&["usage_days.csv"], &ImportOptions::default());
    let r = &reports[0];
    assert_eq!(r.kind, Some(SourceKind::UsageReport));
    let file = data("usage_days.csv").display().to_string();
    assert_eq!(
        messages(r),
        vec![
            format!(
                "{file}:9: date used \"2025-02-30\" is not a date (expected 2025-01-15, 1/15/2025 or 15.01.2025); row skipped"
            ),
            format!("{file}:10: user is empty; row skipped"),
        ]
    );
    assert_eq!((r.lines_read, r.lines_used, r.lines_skipped()), (10, 8, 2));
    assert_eq!(r.counts["use-days"], 6);
    assert_eq!(
        r.counts["use-days listed twice in this file (one charge)"],
        1
    );
    assert_eq!(
        r.counts["rows with 0 tokens used (a use under the vendor's threshold: no use-day)"],
        1
    );
    assert!(usage.sessions.is_empty() && usage.vendor_charges.is_empty());
    let m = meter(&usage, &scenario(), &NoProgress).unwrap();
    assert_eq!(rows(&usage, &m), day_report_rows());
    assert_eq!(m.total().tokens, Decimal::from(42));
    // 6 use-days: 5 charges, the repeated Jan 7 joined.
    assert_eq!((m.use_days.charged, m.use_days.joined), (5, 1));
    assert!(m.use_days.dated_by_month.is_empty());
    assert!(
        m.use_days.warnings().is_empty(),
        "{:?}",
        m.use_days.warnings()
    );
}

/// The day report as a workbook: the same rows, `Day used` as real date
/// cells and tokens as numbers, on sheet `Usage` after a `Notes` sheet.
fn day_report_workbook(usage_first: bool) -> Vec<u8> {
    let text = std::fs::read_to_string(data("usage_days.csv")).unwrap();
    let mut book = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    if !usage_first {
        let notes = book.add_worksheet();
        notes.set_name("Notes").unwrap();
        notes.write(0, 0, "Exported from Autodesk Account").unwrap();
    }
    let sheet = book.add_worksheet();
    sheet.set_name("Usage").unwrap();
    for (r, line) in text.lines().enumerate() {
        for (c, field) in line.split(',').enumerate() {
            let (r, c) = (r as u32, c as u16);
            let parsed = chrono::NaiveDate::from_str(field).ok();
            match (c, parsed, field.parse::<f64>()) {
                (6, Some(d), _) => {
                    use chrono::Datelike;
                    let d =
                        ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)
                            .unwrap();
                    sheet
                        .write_datetime_with_format(r, c, d, &date_format)
                        .unwrap();
                }
                (7, _, Ok(n)) => {
                    sheet.write_number(r, c, n).unwrap();
                }
                _ if field.is_empty() => {}
                _ => {
                    sheet.write_string(r, c, field).unwrap();
                }
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn day_report_xlsx_with_date_cells_meters_as_the_csv() {
    let bytes = day_report_workbook(true);
    let mut usage = Usage::default();
    let opts = ImportOptions::default();
    let r = import_bytes("usage.xlsx", &bytes, &opts, &mut usage, &NoProgress).unwrap();
    assert_eq!(r.file, "usage.xlsx:Usage");
    assert_eq!(r.kind, Some(SourceKind::UsageReport));
    // Problems name file, sheet and row (the text `2025-02-30` is no date cell).
    assert_eq!(
        messages(&r),
        vec![
            "usage.xlsx:Usage:9: date used \"2025-02-30\" is not a date (expected 2025-01-15, 1/15/2025 or 15.01.2025); row skipped",
            "usage.xlsx:Usage:10: user is empty; row skipped",
        ]
    );
    let m = meter(&usage, &scenario(), &NoProgress).unwrap();
    assert_eq!(rows(&usage, &m), day_report_rows());

    // The same sheet after another one: `--sheet Usage` picks it (any case).
    let bytes = day_report_workbook(false);
    let mut usage = Usage::default();
    let opts = ImportOptions {
        sheet: Some("usage".into()),
        ..ImportOptions::default()
    };
    let r = import_bytes("usage.xlsx", &bytes, &opts, &mut usage, &NoProgress).unwrap();
    assert_eq!(r.file, "usage.xlsx:Usage");
    let m = meter(&usage, &scenario(), &NoProgress).unwrap();
    assert_eq!(rows(&usage, &m), day_report_rows());
    // Without it the first sheet, `Notes`, is read: no known kind.
    let mut usage = Usage::default();
    let e = import_bytes(
        "usage.xlsx",
        &bytes,
        &ImportOptions::default(),
        &mut usage,
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("usage.xlsx:Notes: the first line `Exported from Autodesk Account` names the columns of no known kind"),
        "{e}"
    );
    // A sheet that isn't there says which are.
    let opts = ImportOptions {
        sheet: Some("Data".into()),
        ..ImportOptions::default()
    };
    let e = import_bytes("usage.xlsx", &bytes, &opts, &mut usage, &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "usage.xlsx: the workbook has no sheet named `Data`; its sheets: Notes, Usage"
    );
}

#[test]
fn a_use_day_and_a_session_on_one_date_are_one_charge() {
    // Sessions (New York): jdoe ACD on Jan 6 twice (one charge) and Jan 7;
    // the report adds Jan 7 (already charged: one charge) and Jan 8.
    // jdoe: Jan 6, 7, 8 = 3 × 6 = 18 tokens... but the report's user is
    // john.doe@corp.com and the sessions' CORP\jdoe and jdoe: without an
    // alias table they are three users:
    //   CORP\jdoe Jan 6 = 6; jdoe Jan 6, 7 = 12; john.doe Jan 7, 8 = 12.
    let (usage, _) = import_files(
        &["jdoe_sessions.csv", "jdoe_report.csv"],
        &ImportOptions::default(),
    );
    let m = meter(&usage, &scenario(), &NoProgress).unwrap();
    assert_eq!(
        rows(&usage, &m),
        vec![
            row("CORP\\jdoe", "ACD", 1, 6),
            row("jdoe", "ACD", 2, 12),
            row("john.doe@corp.com", "ACD", 2, 12),
        ]
    );
    // The three look like one person; two of them share the login jdoe.
    let id = identities(&usage);
    assert_eq!(id.likely_duplicates, vec![vec!["CORP\\jdoe", "jdoe"]]);
}

#[test]
fn three_spellings_of_one_person_joined_by_an_alias_file() {
    // With aliases CORP\jdoe → john.doe@corp.com and jdoe → john.doe@corp.com
    // all of it is one person's AutoCAD: Jan 6 (two sessions), Jan 7 (a
    // session and a report row), Jan 8 (report) = 3 charges × 6 = 18 tokens.
    for files in [
        ["jdoe_sessions.csv", "jdoe_report.csv", "aliases.csv"],
        ["aliases.csv", "jdoe_report.csv", "jdoe_sessions.csv"],
        ["jdoe_report.csv", "aliases.csv", "jdoe_sessions.csv"],
    ] {
        let (usage, reports) = import_files(&files, &ImportOptions::default());
        assert!(reports.iter().all(|r| !r.has_errors()), "{files:?}");
        let m = meter(&usage, &scenario(), &NoProgress).unwrap();
        assert_eq!(
            rows(&usage, &m),
            vec![row("john.doe@corp.com", "ACD", 3, 18)],
            "{files:?}"
        );
        let id = identities(&usage);
        // Two input names joined; their records: CORP\jdoe 1 session, jdoe 2.
        assert_eq!(id.aliases, 2);
        assert_eq!(id.names_joined(), 2, "{files:?}");
        assert_eq!(id.applied.iter().map(|a| a.3).sum::<u64>(), 3);
        assert!(id.likely_duplicates.is_empty());
        assert!(id.unused.is_empty());
    }
}

#[test]
fn cli_joins_identities_and_lists_likely_duplicates() {
    let sc = path("scenario.ron");
    let (code, out, err) = run(&[
        "meter",
        "--scenario",
        &sc,
        &path("jdoe_sessions.csv"),
        &path("jdoe_report.csv"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "user,product,charges,tokens\nCORP\\jdoe,ACD,1,6\njdoe,ACD,2,12\njohn.doe@corp.com,ACD,2,12\n"
    );
    assert!(
        err.contains("1 groups of user names look like one person (same login or e-mail local part) but are not joined; an alias table (alias,user) joins them: CORP\\jdoe = jdoe"),
        "{err}"
    );
    let (code, out, err) = run(&[
        "meter",
        "--scenario",
        &sc,
        &path("aliases.csv"),
        &path("jdoe_sessions.csv"),
        &path("jdoe_report.csv"),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "user,product,charges,tokens\njohn.doe@corp.com,ACD,3,18\n"
    );
    assert!(
        err.contains(
            "identities: 2 aliases; 2 input names joined to their user (3 records renamed)"
        ),
        "{err}"
    );
}

// ---------------------------------------------------------- month reports

#[test]
fn month_report_forecast_equals_its_counts() {
    let (usage, reports) = import_files(&["usage_months.csv"], &ImportOptions::default());
    let r = &reports[0];
    assert_eq!(r.kind, Some(SourceKind::UsageReport));
    assert!(!r.has_errors(), "{:?}", r.problems);
    // ann: 10+12+15+9+11+20+5+0+8+14+13+6 = 123 days; bob: 22 + 3 = 25.
    assert_eq!(r.counts["use-days"], 148);
    assert_eq!(r.counts["use-days dated by month"], 148);
    assert_eq!(r.counts["month rows"], 14);
    assert_eq!(r.counts["month rows with 0 days used"], 1);
    let sc = scenario();
    let m = meter(&usage, &sc, &NoProgress).unwrap();
    assert_eq!(
        rows(&usage, &m),
        vec![
            row("ann@corp.com", "ACD", 123, 738),
            row("bob@corp.com", "RVT", 25, 250)
        ]
    );
    assert_eq!(m.use_days.dated_by_month.len(), 148);
    // bob's 22 days of March 2025 (it starts on a Saturday): its 21 working
    // days, then Saturday the 1st.
    let bob = usage.users.get("bob@corp.com").unwrap();
    let march: Vec<i32> = m.pairs[1].days.iter().map(|d| d.day).take(22).collect();
    let mut want: Vec<i32> = (1..=31)
        .map(|d| date(&format!("2025-03-{d:02}")))
        .filter(|&d| {
            use chrono::Datelike;
            let wd = tokenplan::time::date_of_day(d).weekday();
            !matches!(wd, chrono::Weekday::Sat | chrono::Weekday::Sun)
        })
        .collect();
    want.insert(0, date("2025-03-01"));
    assert_eq!(march, want);
    assert!(m.use_days.is_dated_by_month(bob, 1, date("2025-03-01")));
    assert!(!m.use_days.is_dated_by_month(bob, 1, date("2025-03-02")));
    // The reports cover all of 2025 (365 days): the window is the year,
    // the scale 365/365 = 1, and the forecast is the counts exactly.
    let f = forecast(&m, &sc.forecast);
    assert_eq!(f.window_start, Some(date("2025-01-01")));
    assert_eq!(f.window_end, Some(date("2025-12-31")));
    assert_eq!(f.window_days, 365);
    let got: Vec<(u64, Decimal, Decimal)> = f
        .pairs
        .iter()
        .map(|p| (p.window_charges, p.days, p.tokens))
        .collect();
    assert_eq!(
        got,
        vec![
            (123, Decimal::from(123), Decimal::from(738)),
            (25, Decimal::from(25), Decimal::from(250)),
        ]
    );
}

#[test]
fn a_short_window_starts_on_a_month_not_inside_one() {
    // 90 days back from Dec 31 is Oct 3; October's 14 days sit on Oct 1-20
    // (working days), so the window starts on Oct 1 instead: 92 days, ann's
    // Oct + Nov + Dec = 14 + 13 + 6 = 33 use-days.
    let (usage, _) = import_files(&["usage_months.csv"], &ImportOptions::default());
    let mut sc = scenario();
    sc.forecast.history_days = 90;
    let m = meter(&usage, &sc, &NoProgress).unwrap();
    let f = forecast(&m, &sc.forecast);
    assert_eq!(f.window_start, Some(date("2025-10-01")));
    assert_eq!(f.window_days, 92);
    assert_eq!(f.pairs[0].window_charges, 33);
    // bob's November 3 days.
    assert_eq!(f.pairs[1].window_charges, 3);
}

#[test]
fn cli_recommends_from_month_counts() {
    // Crossover: AutoCAD's subscription pays off above 2030 / (6 × 3.00) =
    // 112.8 days a year; ann's 123 days cost 123 × 18 = 2214 in tokens, so
    // she takes the subscription. bob's 25 Revit days cost 25 × 30 = 750,
    // under Revit's 3155: tokens.
    let (code, out, err) = run(&[
        "recommend",
        "--scenario",
        &path("scenario.ron"),
        "--format",
        "json",
        &path("usage_months.csv"),
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let users = v["users"].as_array().unwrap();
    assert_eq!(users[0]["user"], "ann@corp.com");
    assert_eq!(users[0]["subscriptions"], serde_json::json!(["ACD"]));
    assert_eq!(users[1]["user"], "bob@corp.com");
    assert_eq!(users[1]["token_products"]["RVT"], "25.00");
    assert!(err.contains("148 charges are dated by month"), "{err}");
    // `meter --by day --format json` flags the dates placed by month.
    let (code, out, _) = run(&[
        "meter",
        "--scenario",
        &path("scenario.ron"),
        "--by",
        "day",
        "--format",
        "json",
        &path("usage_months.csv"),
    ]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let first = &v["rows"][0];
    assert_eq!(first["date"], "2025-01-01");
    assert_eq!(first["dated_by_month"], true);
    assert_eq!(v["use_days"]["dated_by_month"], 148);
}

#[test]
fn use_days_are_no_day_boundary_charges_and_the_shadow_bill_says_what_it_leaves_out() {
    // Use-days are use on their own date: no charge of theirs is caused by
    // a session crossing midnight. The pool rules can't replay them.
    let (code, out, err) = run(&[
        "audit",
        "--scenario",
        &path("scenario.ron"),
        "--format",
        "json",
        &path("usage_days.csv"),
    ]);
    assert_eq!(code, 1, "usage_days.csv has two bad rows: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["day_boundary"], serde_json::json!([]));
    let shadow = v["shadow_bill"].as_array().unwrap();
    assert_eq!(shadow[0]["rule"], "CalendarDay");
    assert_eq!(shadow[0]["tokens"], "42");
    assert_eq!(shadow[2]["rule"], "Concurrent");
    assert_eq!(
        shadow[2]["error"],
        "6 use-days from usage reports are left out: this rule needs checkout times"
    );
}

#[test]
fn a_month_count_beyond_the_month_is_reported_and_capped() {
    let text = "Email,Product,Month,Days used\nann,AutoCAD,2025-02,30\nann,AutoCAD,2025-03,2.5\n";
    let mut usage = Usage::default();
    let r = import_bytes(
        "m.csv",
        text.as_bytes(),
        &ImportOptions::default(),
        &mut usage,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        messages(&r),
        vec![
            "m.csv:2: 30 days used in February 2025, which has 28 days; counted as 28",
            "m.csv:3: days used \"2.5\" is not a whole number of days; row skipped",
        ]
    );
    assert_eq!(usage.use_days.len(), 28);
}

// ----------------------------------------------------------- other rules

#[test]
fn rules_that_need_times_say_so() {
    let sc = Scenario::from_ron(
        r#"Scenario(
    version: 1, name: "rules", currency: "USD", server_time_zone: "America/New_York",
    products: {
        "FLX": Product(name: "Fusion", rule: Rolling24h, rates: [Rate(from: "2020-01-01", tokens: "5")]),
        "POOL": Product(name: "Doors", rule: Concurrent, rates: [Rate(from: "2020-01-01", tokens: "1")]),
        "HR": Product(name: "Sim", rule: Hourly, rates: [Rate(from: "2020-01-01", tokens: "2")]),
    },
    subscriptions: {},
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "1.00")]),
    contract: Contract(start: "2026-01-01", years: 1, overage_price: "1", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "0"),
)"#,
    )
    .unwrap();
    // Rolling24h: ann's session Mon Jan 6 08:00-17:00 New York opens one
    // charge on Jan 6; her use-days on Jan 6 (joined) and Tue Jan 7 (a
    // charge of its own, approximate) → 2 charges × 5 = 10 tokens.
    let sessions = "user,product,start,end\nann,FLX,2025-01-06T13:00:00Z,2025-01-06T22:00:00Z\n";
    let report = "Email,Product,Day used\nann,Fusion,2025-01-06\nann,Fusion,2025-01-07\n\
        ann,Doors,2025-01-07\nbob,Doors,2025-01-08\nann,Sim,2025-01-07\nann,Nothing,2025-01-07\n";
    let mut usage = Usage::default();
    let opts = ImportOptions::default();
    import_bytes("s.csv", sessions.as_bytes(), &opts, &mut usage, &NoProgress).unwrap();
    import_bytes("r.csv", report.as_bytes(), &opts, &mut usage, &NoProgress).unwrap();
    let m = meter(&usage, &sc, &NoProgress).unwrap();
    assert_eq!(rows(&usage, &m), vec![row("ann", "FLX", 2, 10)]);
    assert_eq!(m.use_days.approximate["FLX"], 1);
    assert_eq!(m.use_days.joined, 1);
    assert_eq!(
        m.use_days.warnings(),
        vec![
            "HR: 1 use-days from usage reports are not charged: its Hourly rule needs hours of use, which a usage report does not give (import sessions or a debug log for it)",
            "POOL: 2 use-days from usage reports are not charged: its Concurrent rule needs checkout and checkin times, which a usage report does not give (import sessions or a debug log for it)",
            "usage-report product Nothing: 1 use-days not charged (map it to a product in the scenario)",
            "FLX: 1 use-days from usage reports charged one 24-hour charge each, on their date (approximate: the rule's windows need times)",
        ]
    );
}

// -------------------------------------------------------- column mapping

#[test]
fn german_semicolon_csv_through_columns() {
    // Without a mapping the header names no known kind.
    let mut usage = Usage::default();
    let e = import_path(
        &data("nutzung_de.csv"),
        &ImportOptions::default(),
        &mut usage,
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(e, ImportError::Unrecognised { .. }));
    assert!(e.to_string().contains("--columns"), "{e}");
    // jdoe AutoCAD on Jan 6 and 7 = 2 × 6 = 12; mmuster Revit on Jan 6 =
    // 10; 31.02.2025 is no date (line 5).
    let (code, out, err) = run(&[
        "meter",
        "--scenario",
        &path("scenario.ron"),
        "--columns",
        "user=Benutzer,product=Produkt,date=\"Nutzungstag\"",
        &path("nutzung_de.csv"),
    ]);
    assert_eq!(code, 1, "the bad row is an input error: {err}");
    assert_eq!(
        out,
        "user,product,charges,tokens\njdoe,ACD,2,12\nmmuster,RVT,1,10\n"
    );
    assert!(
        err.contains(&format!(
            "{}:5: date used \"31.02.2025\" is not a date",
            path("nutzung_de.csv")
        )),
        "{err}"
    );
    // A bad map is a usage error.
    let (code, _, err) = run(&[
        "check",
        "--columns",
        "person=Benutzer",
        &path("nutzung_de.csv"),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown column role `person`"), "{err}");
}

#[test]
fn a_form_can_preview_a_table_and_its_mapping() {
    let bytes = std::fs::read(data("nutzung_de.csv")).unwrap();
    let p = preview_bytes("n.csv", &bytes, &ImportOptions::default(), 2).unwrap();
    assert_eq!(
        p.header,
        vec!["Benutzer", "Produkt", "Nutzungstag", "Stunden"]
    );
    assert_eq!(p.signature, "benutzer|produkt|nutzungstag|stunden");
    assert_eq!(
        p.rows,
        vec![
            vec!["jdoe", "AutoCAD", "06.01.2025", "7,5"],
            vec!["jdoe", "AutoCAD", "07.01.2025", "2"],
        ]
    );
    assert!(p.kind.is_err());
    let opts = ImportOptions {
        columns: Some(
            ColumnMap::from_str("user=Benutzer,product=Produkt,date=Nutzungstag").unwrap(),
        ),
        ..ImportOptions::default()
    };
    let p = preview_bytes("n.csv", &bytes, &opts, 2).unwrap();
    assert_eq!(p.kind, Ok(SourceKind::UsageReport));
    // A workbook lists its sheets.
    let p = preview_bytes(
        "u.xlsx",
        &day_report_workbook(false),
        &ImportOptions::default(),
        1,
    )
    .unwrap();
    assert_eq!(p.sheets, vec!["Notes", "Usage"]);
    assert_eq!(p.sheet.as_deref(), Some("Notes"));
}

// ------------------------------------------------------ every table kind

/// A one-sheet workbook of text cells (`""` is no cell).
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, v) in cells.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32, c as u16, *v).unwrap();
            }
        }
    }
    book.save_to_buffer().unwrap()
}

#[test]
fn every_table_kind_reads_from_a_sheet() {
    let opts = ImportOptions::default();
    let mut u = Usage::default();
    let mut kind_of = |name: &str, bytes: Vec<u8>| {
        let r = import_bytes(name, &bytes, &opts, &mut u, &NoProgress).unwrap();
        assert!(!r.has_errors(), "{name}: {:?}", r.problems);
        r.kind
    };
    // Sessions with date-time cells: 09:00-10:00 New York (14:00Z) on Jan 6.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (c, h) in ["user", "product", "start", "end"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "amy").unwrap();
    sheet.write_string(1, 1, "ACD").unwrap();
    let at = |h| {
        ExcelDateTime::from_ymd(2025, 1, 6)
            .unwrap()
            .and_hms(h, 0, 0)
            .unwrap()
    };
    sheet
        .write_datetime_with_format(1, 2, at(9), &when)
        .unwrap();
    sheet
        .write_datetime_with_format(1, 3, at(10), &when)
        .unwrap();
    assert_eq!(
        kind_of("s.xlsx", book.save_to_buffer().unwrap()),
        Some(SourceKind::Sessions)
    );
    assert_eq!(
        kind_of(
            "d.xlsx",
            workbook(&[&["user", "department"], &["amy", "Civil"]])
        ),
        Some(SourceKind::Directory)
    );
    assert_eq!(
        kind_of(
            "a.xlsx",
            workbook(&[&["user", "subscription"], &["amy", "ACD"]])
        ),
        Some(SourceKind::Assignments)
    );
    assert_eq!(
        kind_of("al.xlsx", workbook(&[&["alias", "user"], &["AMY2", "amy"]])),
        Some(SourceKind::Aliases)
    );
    assert_eq!(
        kind_of(
            "f.xlsx",
            workbook(&[
                &["usageDate", "userName", "productLineCode", "tokensConsumed"],
                &["2025-01-06", "amy2", "ACD", "6"],
            ])
        ),
        Some(SourceKind::TokenFlex)
    );
    assert_eq!(u.sessions.len(), 1);
    let s = u.sessions.iter().next().unwrap();
    assert_eq!(s.start_secs(), 1_736_172_000); // 2025-01-06T14:00:00Z
    assert_eq!(s.dur, 3600);
    assert_eq!(u.directory.len(), 1);
    assert_eq!(u.assignments.len(), 1);
    // The Token Flex row's amy2 is amy, by the alias table.
    assert_eq!(u.vendor_charges[0].user, u.users.get("amy").unwrap());
    assert_eq!(u.users.len(), 1);
}

#[test]
fn damaged_workbooks_are_clear_errors() {
    let good = workbook(&[&["user", "subscription"], &["amy", "ACD"]]);
    let mut u = Usage::default();
    let opts = ImportOptions::default();
    // Cut short: the zip's directory is at its end.
    let cut = &good[..good.len() / 2];
    let e = import_bytes("cut.xlsx", cut, &opts, &mut u, &NoProgress).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("cut.xlsx: not a readable XLSX workbook ("),
        "{e}"
    );
    // Not a zip at all, named .xlsx.
    let e = import_bytes(
        "text.xlsx",
        b"user,subscription\n",
        &opts,
        &mut u,
        &NoProgress,
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("not a readable XLSX workbook"),
        "{e}"
    );
    // A sheet of formulas whose results were never saved.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // No saved result at all: `<v></v>`, as a file never opened in Excel.
    sheet.set_formula_result_default("");
    for r in 0..3u32 {
        sheet
            .write_formula(r, 0, Formula::new("=B1&\"x\""))
            .unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let e = import_bytes("f.xlsx", &bytes, &opts, &mut u, &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "f.xlsx: sheet `Sheet1` has no values: its 3 formula cells have no saved results; open the workbook in Excel and save it (or paste the values), then import it again"
    );
    // Formatted but empty rows after the data are no lines (bench_xlsx
    // reads a sheet of a million of them in release).
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let fmt = Format::new().set_bold();
    sheet.write_string(0, 0, "user").unwrap();
    sheet.write_string(0, 1, "subscription").unwrap();
    sheet.write_string(1, 0, "amy").unwrap();
    sheet.write_string(1, 1, "ACD").unwrap();
    for r in 2..100_000u32 {
        sheet.write_blank(r, 0, &fmt).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let r = import_bytes("empty.xlsx", &bytes, &opts, &mut u, &NoProgress).unwrap();
    assert!(!r.has_errors(), "{:?}", r.problems);
    assert_eq!((r.lines_read, r.lines_used), (2, 2));
    // Only empty rows: empty, said so.
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..1000u32 {
        sheet.write_blank(r, 0, &fmt).unwrap();
    }
    let bytes = book.save_to_buffer().unwrap();
    let e = import_bytes("blank.xlsx", &bytes, &opts, &mut u, &NoProgress).unwrap_err();
    assert_eq!(
        e.to_string(),
        "blank.xlsx: sheet `Sheet1` is empty: no cell holds a value"
    );
}

/// A workbook the fuzzer made: its sheet's dimension overflows calamine's
/// arithmetic (a panic inside calamine where overflow is checked, as in
/// this debug build; a wrong size where it is not). Either way the import
/// is a clear error naming the sheet, never a crash.
#[test]
fn a_workbook_whose_dimension_overflows_is_a_clear_error() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/inputs/xlsx_dimension_overflow.xlsx");
    let bytes = std::fs::read(path).unwrap();
    let mut u = Usage::default();
    let e = import_bytes(
        "d.xlsx",
        &bytes,
        &ImportOptions::default(),
        &mut u,
        &NoProgress,
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("d.xlsx: "), "{e}");
    assert!(e.contains("sheet `Sheet1`"), "{e}");
    assert!(e.contains("cannot be read"), "{e}");
}

// ------------------------------------------------------------ invariants

mod union {
    use super::*;
    use proptest::prelude::*;
    use tokenplan::usage::{Session, UseDay};

    /// 2025-01-01T00:00:00Z.
    const JAN1: u32 = 1_735_689_600;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Under `CalendarDay` a use-day is exactly a session inside its
        /// date: metering use-days beside sessions equals metering each
        /// use-day as a one-minute session at noon New York time, whatever
        /// the overlaps (union per user, product and date).
        #[test]
        fn a_use_day_meters_as_a_session_on_its_date(
            sessions in prop::collection::vec((0u32..4, 0u32..2, 0u32..40 * 86_400, 0u32..40 * 3600), 0..40),
            days in prop::collection::vec((0u32..4, 0u32..2, 0u32..40, any::<bool>()), 0..40),
        ) {
            let build = |as_sessions: bool| {
                let mut u = Usage::default();
                for i in 0..4 {
                    u.users.intern(&format!("u{i}"));
                }
                u.features.intern("ACD");
                u.features.intern("RVT");
                for &(user, feature, start, dur) in &sessions {
                    u.sessions.push(Session { start: JAN1 + start, dur, user, feature, host: 0, draw: 0, flags: 0 });
                }
                for &(user, product, day, by_month) in &days {
                    let date = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap()
                        + chrono::Duration::days(i64::from(day));
                    if as_sessions {
                        // Noon in New York in Jan/Feb 2025 is 17:00 UTC.
                        let start = JAN1 + day * 86_400 + 17 * 3600;
                        u.sessions.push(Session { start, dur: 60, user, feature: product, host: 0, draw: 0, flags: 0 });
                    } else {
                        u.use_days.push(UseDay { date, user, product, dated_by_month: by_month });
                    }
                }
                u
            };
            let sc = scenario();
            let with_days = build(false);
            let as_sessions = build(true);
            let a = meter(&with_days, &sc, &NoProgress).unwrap();
            let b = meter(&as_sessions, &sc, &NoProgress).unwrap();
            prop_assert_eq!(&a.pairs, &b.pairs);
            // Every use-day is a charge of its own or joins one.
            prop_assert_eq!(a.use_days.charged + a.use_days.joined, days.len() as u64);
        }
    }
}
