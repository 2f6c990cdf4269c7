//! Integration tests: `tokenplan pack` (SPEC §9) — the workbook it writes,
//! read back with calamine, a compared scenario, the swing, and a
//! pseudonymised pack that names nobody. (The engine's hand-computed cases
//! are unit tests of `tokenplan::pack`.)

use std::path::{Path, PathBuf};
use std::process::Command;

use calamine::{Data, Reader, Xlsx};
use sha2::{Digest, Sha256};
use tokenplan::pack::workbook::SHEETS;

/// Amy uses Revit 200 days of 2025 and Bob 50; Revit is 10 tokens a day
/// at 1.00; the AEC seat costs 1,000 new and 900 renewed, one is held
/// today; 2 years from 2026 at 8%, prices escalating 10%. As
/// `tokenplan term` shows it: Amy keeps the seat (900, then 990), Bob's
/// 500 tokens (500, then 550): NPV 1,400 + 1,540 / 1.08 = 2,825.93.
const SCENARIO: &str = r#"Scenario(
    version: 1,
    name: "pack CLI",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "RVT": Product(name: "Revit", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "10")], features: ["RVT"]),
    },
    subscriptions: {
        "AEC": Subscription(name: "AEC Collection", annual_price: "1000.00", renewal_price: "900.00", covers: ["RVT"]),
    },
    token_price: Flat("1.00"),
    contract: Contract(start: "2026-01-01", years: 2, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0.08",
        current_seats: {"AEC": 1}),
    prices: Prices(basis: "List prices of 2025-10", escalation: "0.10"),
    forecast: Forecast(history_days: 365, growth_per_year: "0"),
)
"#;

fn setup(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("tokenplan-pack-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = dir.join("s.ron");
    std::fs::write(&scenario, SCENARIO).unwrap();
    let mut csv = String::from("user,product,host,start,end\n");
    let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let last = chrono::NaiveDate::from_ymd_opt(2025, 12, 31).unwrap();
    let amy = (0..199)
        .map(|k| first + chrono::Duration::days(k))
        .chain([last]);
    let march = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
    let bob = (0..50).map(|k| march + chrono::Duration::days(k));
    for (user, days) in [("amy", amy.collect::<Vec<_>>()), ("bob", bob.collect())] {
        for day in days {
            csv.push_str(&format!("{user},RVT,WS1,{day}T15:00:00Z,{day}T16:00:00Z\n"));
        }
    }
    let sessions = dir.join("sessions.csv");
    std::fs::write(&sessions, csv).unwrap();
    (dir, scenario, sessions)
}

fn pack(args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tokenplan"))
        .arg("pack")
        .args(args)
        .output()
        .unwrap()
}

fn sheets(path: &Path) -> Vec<(String, calamine::Range<Data>)> {
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    book.sheet_names()
        .into_iter()
        .map(|n| {
            let r = book.worksheet_range(&n).unwrap();
            (n, r)
        })
        .collect()
}

fn find<'a>(all: &'a [(String, calamine::Range<Data>)], name: &str) -> &'a calamine::Range<Data> {
    &all.iter().find(|(n, _)| n == name).unwrap().1
}

/// The row whose first cell is `label`.
fn row_of(r: &calamine::Range<Data>, label: &str) -> u32 {
    (0..r.height() as u32)
        .find(|&i| matches!(r.get_value((i, 0)), Some(Data::String(s)) if s == label))
        .unwrap_or_else(|| panic!("no row {label}"))
}

fn number(r: &calamine::Range<Data>, row: u32, col: u32) -> f64 {
    match r.get_value((row, col)) {
        Some(Data::Float(v)) => *v,
        other => panic!("({row}, {col}) is not a number: {other:?}"),
    }
}

#[test]
fn cli_pack_writes_the_workbook() {
    let (dir, scenario, sessions) = setup("book");
    // The compared scenario: the seat at 400 (Bob's 500 tokens cost more).
    let compare = dir.join("b.ron");
    std::fs::write(
        &compare,
        SCENARIO
            .replace("\"pack CLI\"", "\"cheaper seat\"")
            .replace("\"1000.00\"", "\"400.00\"")
            .replace("\"900.00\"", "\"400.00\""),
    )
    .unwrap();
    let out_path = dir.join("pack.xlsx");
    let out = pack(&[
        "--scenario".as_ref(),
        scenario.as_os_str(),
        sessions.as_os_str(),
        "--out".as_ref(),
        out_path.as_os_str(),
        "--compare".as_ref(),
        compare.as_os_str(),
        "--swing".as_ref(),
        "0.2".as_ref(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all = sheets(&out_path);
    let names: Vec<&str> = all.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, SHEETS);

    let options = find(&all, "Options");
    let plan = row_of(options, "Term plan (recommended)");
    assert!((number(options, plan, 3) - 2825.93).abs() < 0.005);
    assert!((number(options, plan, 2) - 2940.0).abs() < 0.005);
    let renew = row_of(options, "Renew as-is");
    assert!((number(options, renew, 3) - 2825.93).abs() < 0.005);
    // Compared: both on seats at 400 then 440: 800 + 880 / 1.08 = 1,614.81.
    let cmp = row_of(options, "Compared: cheaper seat");
    assert!(
        (number(options, cmp, 3) - 1614.81).abs() < 0.005,
        "{}",
        number(options, cmp, 3)
    );

    // The swing: the token price at 0.80 and 1.20.
    let t = find(&all, "Sensitivity");
    let token = row_of(t, "Token price");
    assert!((number(t, token, 2) - 0.8).abs() < 1e-9);
    assert!((number(t, token, 3) - 1.2).abs() < 1e-9);

    // Assumptions: the scenario file's SHA-256 and the prices' basis.
    let a = find(&all, "Assumptions");
    let sha: String = Sha256::digest(SCENARIO.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let at = row_of(a, "Scenario file SHA-256");
    assert_eq!(a.get_value((at, 1)), Some(&Data::String(sha)));
    let basis = row_of(a, "Prices basis");
    assert_eq!(
        a.get_value((basis, 1)),
        Some(&Data::String("List prices of 2025-10".into()))
    );
    // Sources: the sessions file, lines as numbers.
    let src = find(&all, "Sources");
    assert!((number(src, 1, 2) - 251.0).abs() < 1e-9);

    // A swing outside 0..1 is bad usage.
    let bad = pack(&[
        "--scenario".as_ref(),
        scenario.as_os_str(),
        sessions.as_os_str(),
        "--out".as_ref(),
        out_path.as_os_str(),
        "--swing".as_ref(),
        "1.5".as_ref(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn cli_pseudonymised_pack_names_nobody() {
    let (dir, scenario, sessions) = setup("private");
    let out_path = dir.join("pack.xlsx");
    let key = dir.join("key");
    let out = pack(&[
        "--scenario".as_ref(),
        scenario.as_os_str(),
        sessions.as_os_str(),
        "--out".as_ref(),
        out_path.as_os_str(),
        "--pseudonymize".as_ref(),
        key.as_os_str(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bytes = std::fs::read(&out_path).unwrap();
    let text = tokenplan::pack::workbook::text_of(&bytes).unwrap();
    assert!(text.contains("u-"), "the reassignment shows pseudonyms");
    for name in ["amy", "bob", "WS1"] {
        assert!(
            !text.to_lowercase().contains(&name.to_lowercase()),
            "{name} is in the pack"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
