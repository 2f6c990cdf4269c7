//! Streamed metering: `meter` and `recommend` with `--stream always` (each
//! block of a session CSV folded into day sets and dropped) print exactly
//! what `--stream never` (every session stored, then metered) prints, on
//! the sample data, on a generated history under every rule, and on random
//! small inputs (the engine's results compared whole).

use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use tokenplan::ingest::{ImportOptions, OnFatal, import_files, import_files_into};
use tokenplan::meter::{StreamMeter, meter, meter_summary};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::usage::Usage;

use super::cli_support::*;

/// A fresh directory for one test's files.
fn dir(test: &str) -> PathBuf {
    scratch("stream", test)
}

/// Every rule: CalendarDay in two zones (one with a grace), Rolling24h,
/// Hourly, a shared DailyPeak pool and a Concurrent pool.
const MIXED: &str = r#"Scenario(
    version: 1,
    name: "Every rule",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "ACD": Product(name: "AutoCAD", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "6"), Rate(from: "2025-03-01", tokens: "7")], features: ["ACD", "*ACD_T_F"]),
        "RVT": Product(name: "Revit", rule: CalendarDay(time_zone: "Asia/Singapore", grace_minutes: 10), rates: [Rate(from: "2020-01-01", tokens: "10")]),
        "MAX": Product(name: "3ds Max", rule: Rolling24h, rates: [Rate(from: "2020-01-01", tokens: "8")]),
        "INV": Product(name: "Inventor", rule: Hourly, rates: [Rate(from: "2020-01-01", tokens: "2")]),
        "NAVMAN": Product(name: "Navisworks", rule: DailyPeak(pool: "NW"), rates: [Rate(from: "2020-01-01", tokens: "3")]),
        "ACDMEP": Product(name: "AutoCAD MEP", rule: DailyPeak(pool: "NW"), rates: [Rate(from: "2020-01-01", tokens: "2")]),
        "C3D": Product(name: "Civil 3D", rule: Concurrent, rates: [Rate(from: "2020-01-01", tokens: "1")]),
    },
    subscriptions: {
        "ACD": Subscription(name: "AutoCAD", annual_price: "2030.00", covers: ["ACD", "ACDMEP"]),
        "AEC": Subscription(name: "AEC Collection", annual_price: "3675.00", covers: ["ACD", "RVT", "MAX", "NAVMAN"]),
    },
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.00"), Tier(from: 2000, price: "2.75")]),
    pools: {"C3D": Pool(price_per_token_year: "120.00")},
    contract: Contract(start: "2026-01-01", years: 1, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0.08"),
    forecast: Forecast(history_days: 365, growth_per_year: "0.05"),
)
"#;

/// `args` run stored and streamed: the same exit code and output, byte for
/// byte, and the same diagnostics but for the streamed run's line naming
/// the sessions it keeps (returned, when there is one). Returns the
/// stored run's output.
fn same_both_ways(args: &[&str]) -> (String, Option<String>) {
    let with = |mode: &str| {
        let mut a = args.to_vec();
        a.extend(["--stream", mode]);
        run(&a)
    };
    let (code, out, err) = with("never");
    let (code2, out2, err2) = with("always");
    assert_eq!(code, code2, "{args:?}\n{err}\n{err2}");
    assert!(out == out2, "{args:?}: stdout differs");
    let command = args[0];
    let kept_prefix = format!("{command}: streaming the sessions; those of ");
    let kept: Vec<&str> = err2
        .lines()
        .filter(|l| l.starts_with(&kept_prefix))
        .collect();
    let rest: Vec<&str> = err2
        .lines()
        .filter(|l| !l.starts_with(&kept_prefix))
        .collect();
    assert_eq!(err.lines().collect::<Vec<_>>(), rest, "{args:?}: stderr");
    assert!(kept.len() <= 1, "{kept:?}");
    (out, kept.first().map(|l| (*l).to_string()))
}

fn sample(name: &str) -> String {
    format!("{}/sample-data/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn sample_data_meters_and_recommends_the_same_streamed() {
    let scenario = sample("scenario.ron");
    let files = [
        sample("sessions.csv"),
        sample("adskflex.log"),
        sample("directory.csv"),
        sample("assignments.csv"),
    ];
    let base = |cmd: &'static str| -> Vec<String> {
        let mut a = vec![cmd.to_string(), "--scenario".into(), scenario.clone()];
        a.extend(files.iter().cloned());
        a
    };
    for by in ["user-product", "user", "product", "day"] {
        for format in ["csv", "json"] {
            let mut a = base("meter");
            a.extend(["--by".into(), by.into(), "--format".into(), format.into()]);
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            let (out, kept) = same_both_ways(&a);
            // Every sample product is CalendarDay: nothing is kept.
            assert_eq!(kept, None);
            assert!(out.lines().count() > 3, "{by} {format}");
        }
    }
    for format in ["table", "csv", "json"] {
        let mut a = base("recommend");
        a.extend(["--format".into(), format.into()]);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (out, _) = same_both_ways(&a);
        assert!(!out.is_empty());
    }
    // Pseudonymised: the same pseudonyms and the same guard either way.
    let d = dir("sample-pseudonyms");
    let key = d.join("key");
    let mut a = base("meter");
    a.extend(["--pseudonymize".into(), s(&key).into()]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (out, _) = same_both_ways(&a);
    assert!(!out.contains("u00002,"), "pseudonymised: {}", &out[..200]);
}

/// A history of `rows` sessions from a fixed generator, in two files: the
/// first bigger than a 4 MB block, with names in several
/// spellings, products under every rule, a feature no product maps that
/// first appears late, sessions under the grace, zero-length and
/// midnight-crossing ones, local times without offset, and bad rows.
fn generated(dir: &Path, rows: usize) -> Vec<PathBuf> {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let features = [
        "ACD",
        "RVT",
        "MAX",
        "INV",
        "NAVMAN",
        "ACDMEP",
        "C3D",
        "87545ACD_T_F",
    ];
    let mut files = Vec::new();
    for (f, n) in [("a.csv", rows), ("b.csv", rows / 10)] {
        let mut text = String::from("user,product,host,start,end\n");
        for i in 0..n {
            let r = next();
            let user = match r % 7 {
                0 => format!("User{:03}", (r >> 8) % 300),
                _ => format!("user{:03}", (r >> 8) % 300),
            };
            let feature = if i > n / 2 && (r >> 20) % 97 == 0 {
                "LATE_UNMAPPED"
            } else {
                features[((r >> 24) % features.len() as u64) as usize]
            };
            // 2025-01-01T00:00:00Z plus up to 120 days.
            let start = 1_735_689_600 + (r >> 32) % (120 * 86_400);
            let dur = match (r >> 40) % 6 {
                0 => 0,
                1 => 300,
                2 => 3600 * 30,
                _ => (r >> 44) % (10 * 3600),
            };
            let at = |t: u64| {
                chrono::DateTime::from_timestamp(t as i64, 0)
                    .unwrap()
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            };
            let local = |t: u64| {
                chrono::DateTime::from_timestamp(t as i64 - 5 * 3600, 0)
                    .unwrap()
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            };
            let line = match (r >> 50) % 200 {
                0 => format!("{user},{feature},ws,{},{}", at(start + 60), at(start)),
                1 => format!("{user},{feature},ws,not a time,{}", at(start)),
                2 => format!(",{feature},ws,{},{}", at(start), at(start + dur)),
                3..=20 => format!(
                    "{user},{feature},ws{},{},{}",
                    (r >> 56) % 9,
                    local(start),
                    local(start + dur)
                ),
                _ => format!(
                    "{user},{feature},ws{},{},{}",
                    (r >> 56) % 9,
                    at(start),
                    at(start + dur)
                ),
            };
            text.push_str(&line);
            text.push('\n');
        }
        files.push(write(dir, f, text));
    }
    // A usage report (day rows: one joins a session's date, others are
    // new, one names no product), a directory missing most users, and
    // current seats.
    files.push(write(
        dir,
        "report.csv",
        "Email,Product,Day used\nuser001,AutoCAD,2025-01-06\nuser001,AutoCAD,2025-06-02\n\
         user002,3ds Max,2025-06-03\nuser999,Revit,2025-06-04\nuser003,Nothing,2025-06-04\n",
    ));
    files.push(write(
        dir,
        "directory.csv",
        "user,department\nuser001,Civil\nUSER002,MEP\n",
    ));
    files.push(write(
        dir,
        "seats.csv",
        "user,subscription\nuser001,AEC\nuser004,ACD\n",
    ));
    files
}

#[test]
fn a_generated_history_under_every_rule_meters_the_same_streamed() {
    let d = dir("generated");
    let sc = write(&d, "mixed.ron", MIXED);
    let files = generated(&d, 100_000);
    // More than one 4 MB block of the reader.
    assert!(std::fs::metadata(&files[0]).unwrap().len() > 4 * 1024 * 1024);
    let base = |cmd: &str| {
        let mut a = vec![cmd.to_string(), "--scenario".into(), s(&sc).into()];
        a.extend(files.iter().map(|f| s(f).to_string()));
        a
    };
    let mut kept_lines = Vec::new();
    for by in ["user-product", "product", "day"] {
        let mut a = base("meter");
        a.extend(["--by".into(), by.into()]);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (out, kept) = same_both_ways(&a);
        assert!(out.lines().count() > 5, "{by}: {out}");
        kept_lines.extend(kept);
    }
    // The streamed run says which products' sessions it keeps.
    assert_eq!(
        kept_lines[0],
        "meter: streaming the sessions; those of ACDMEP (DailyPeak), C3D (Concurrent), INV (Hourly), MAX (Rolling24h), NAVMAN (DailyPeak) are kept in memory (their rules need each user's or pool's sessions in time order)"
    );
    let mut a = base("meter");
    a.extend(["--format".into(), "json".into()]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (out, _) = same_both_ways(&a);
    assert!(
        out.contains("\"LATE_UNMAPPED\""),
        "the late feature is unmapped"
    );
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Four report rows of mapped products (AutoCAD twice and Revit under
    // CalendarDay, 3ds Max under Rolling24h), each charged or joined to a
    // session's date; "Nothing" maps to no product.
    let u = &doc["use_days"];
    let charged = u["charged"].as_u64().unwrap();
    let joined = u["joined"].as_u64().unwrap();
    assert_eq!(charged + joined, 4, "{u}");
    assert_eq!(u["unmapped"]["Nothing"], 1, "{u}");
    let mut a = base("recommend");
    a.extend(["--format".into(), "json".into()]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let (out, _) = same_both_ways(&a);
    assert!(out.contains("\"pools\""));
}

#[test]
fn an_alias_table_keeps_the_sessions_and_says_so() {
    let d = dir("aliases");
    let aliases = write(&d, "aliases.csv", "alias,user\nu00002,Jane Doe\n");
    let (scenario, sessions) = (sample("scenario.ron"), sample("sessions.csv"));
    let with = |mode: &str| {
        run(&[
            "meter",
            "--scenario",
            &scenario,
            &sessions,
            s(&aliases),
            "--stream",
            mode,
        ])
    };
    let (stored, asked) = (with("never"), with("always"));
    assert_eq!(stored.1, asked.1);
    assert!(asked.1.contains("Jane Doe,"), "{}", &asked.1[..200]);
    let line = format!(
        "meter: not streaming: {} is an alias table, which renames users after their sessions are read, so the sessions are kept in memory",
        s(&aliases)
    );
    assert!(asked.2.lines().any(|l| l == line), "{}", asked.2);
    assert!(!stored.2.contains("not streaming"));
}

/// The SPEC §2 worked example, streamed: a Singapore user's 09:00-18:00
/// touches two New York dates. ann works Tue 2025-03-04 09:00-18:00 +08:00
/// = 2025-03-03 20:00 to 2025-03-04 05:00 in New York (EST): dates Mar 3
/// and Mar 4, 2 charges x 6 = 12 tokens. bob works Mon Mar 3 to Fri Mar 7
/// the same hours: New York Sun Mar 2 to Fri Mar 7, 6 charges x 6 = 36
/// tokens, not 5. The file names its columns otherwise (`--columns`) and
/// uses semicolons.
#[test]
fn streamed_singapore_days_cost_two_new_york_dates_with_columns_mapped() {
    let d = dir("singapore");
    let sc = write(
        &d,
        "s.ron",
        MIXED.replace(
            r#"rates: [Rate(from: "2020-01-01", tokens: "6"), Rate(from: "2025-03-01", tokens: "7")]"#,
            r#"rates: [Rate(from: "2020-01-01", tokens: "6")]"#,
        ),
    );
    let mut text = String::from("Login;App;Begin;Finish\n");
    text.push_str("ann;ACD;2025-03-04T09:00:00+08:00;2025-03-04T18:00:00+08:00\n");
    for day in 3..=7 {
        text.push_str(&format!(
            "bob;ACD;2025-03-0{day}T09:00:00+08:00;2025-03-0{day}T18:00:00+08:00\n"
        ));
    }
    let csv = write(&d, "sg.csv", text);
    let (out, _) = same_both_ways(&[
        "meter",
        "--scenario",
        s(&sc),
        s(&csv),
        "--columns",
        "user=Login,product=App,start=Begin,end=Finish",
    ]);
    assert_eq!(
        out,
        "user,product,charges,tokens\nann,ACD,2,12\nbob,ACD,6,36\n"
    );
}

/// Stored and streamed imports of `files`, metered: equal results and
/// reports.
fn check_engine(scenario: &Scenario, files: &[PathBuf]) -> Result<(), TestCaseError> {
    let opts = ImportOptions {
        time_zone: chrono_tz::America::New_York,
        ..ImportOptions::default()
    };
    let mut stored = Usage::default();
    let imported = import_files(&mut stored, files, &opts, OnFatal::KeepPartial, &NoProgress);
    let missing = imported.missing_from_directory.clone();
    let reports = imported.reports();
    let want = meter(&stored, scenario, &NoProgress);
    let want_summary = meter_summary(&stored, scenario, &NoProgress);

    let stream = |usage: &mut Usage| {
        let mut m = StreamMeter::new(scenario).unwrap();
        let imported = import_files_into(usage, files, &opts, &NoProgress, &mut m);
        (m, imported)
    };
    let mut streamed = Usage::default();
    let (m, imported) = stream(&mut streamed);
    prop_assert!(streamed.sessions.is_empty());
    prop_assert_eq!(&imported.missing_from_directory, &missing);
    prop_assert_eq!(&imported.reports(), &reports);
    prop_assert_eq!(&m.metered(&streamed, scenario, &NoProgress), &want);
    let mut again = Usage::default();
    let (m, _) = stream(&mut again);
    prop_assert_eq!(&m.summary(&again, scenario, &NoProgress), &want_summary);
    Ok(())
}

fn row() -> impl Strategy<Value = String> {
    let user = prop::sample::select(vec!["amy", "Amy", "bob", " bob", "cy", ""]);
    let feature = prop::sample::select(vec![
        "ACD", "acd", "RVT", "MAX", "INV", "NAVMAN", "ACDMEP", "C3D", "NOPE",
    ]);
    // Up to 4 days from Sat 2025-03-08 00:00 New York (EST), across the
    // spring-forward night; durations from zero to past a day.
    let start = 0u32..(4 * 86_400);
    let dur = prop::sample::select(vec![0u32, 59, 600, 3600, 5 * 3600, 26 * 3600]);
    let shape = 0u8..12;
    (user, feature, start, dur, shape).prop_map(|(u, f, start, dur, shape)| {
        let t0 = 1_741_410_000i64 + i64::from(start);
        let at = |t: i64| {
            chrono::DateTime::from_timestamp(t, 0)
                .unwrap()
                .format("%Y-%m-%dT%H:%M:%SZ")
                .to_string()
        };
        let local = |t: i64| {
            chrono::DateTime::from_timestamp(t - 5 * 3600, 0)
                .unwrap()
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        let t1 = t0 + i64::from(dur);
        match shape {
            0 => format!("{u},{f},h,{},{}", at(t1), at(t0 - 60)),
            1 => format!("{u},{f}"),
            2 | 3 => format!("{u},{f},h{},{},{}", dur % 3, local(t0), local(t1)),
            _ => format!("{u},{f},h{},{},{}", dur % 3, at(t0), at(t1)),
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Random small histories in one or two files, under every rule:
    /// streamed metering equals the stored one, rows, totals and reports.
    #[test]
    fn streamed_metering_equals_stored_on_random_inputs(
        a in prop::collection::vec(row(), 0..40),
        b in prop::collection::vec(row(), 0..10),
        case in 0u64..u64::MAX,
    ) {
        let scenario = Scenario::from_ron(MIXED).unwrap();
        let d = dir(&format!("prop-{case}"));
        let mut files = vec![write(&d, "a.csv", format!("user,product,host,start,end\n{}\n", a.join("\n")))];
        if !b.is_empty() {
            files.push(write(&d, "b.csv", format!("user,product,host,start,end\n{}\n", b.join("\n"))));
        }
        check_engine(&scenario, &files)?;
        let _ = std::fs::remove_dir_all(&d);
    }
}

/// A session CSV through a pipe streams (its head is not read ahead); an
/// alias table through a pipe is only known once read, when the sessions
/// before it were already folded under their old names: the run stops
/// with a clear message instead of printing wrong charges.
#[cfg(unix)]
#[test]
fn pipes_stream_and_an_alias_table_in_one_is_refused() {
    let d = dir("pipes");
    let fifo = d.join("in");
    let feed = |content: Vec<u8>| {
        let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(made.success());
        let path = fifo.clone();
        std::thread::spawn(move || {
            std::fs::write(&path, content).unwrap();
            std::fs::remove_file(&path).unwrap();
        })
    };
    let scenario = sample("scenario.ron");
    let sessions = sample("sessions.csv");
    let writer = feed(std::fs::read(&sessions).unwrap());
    let piped = run(&[
        "meter",
        "--scenario",
        &scenario,
        s(&fifo),
        "--stream",
        "always",
    ]);
    writer.join().unwrap();
    let stored = run(&["meter", "--scenario", &scenario, &sessions]);
    assert_eq!((piped.0, &piped.1), (0, &stored.1));

    let writer = feed(b"alias,user\nu00002,Jane Doe\n".to_vec());
    let (code, out, err) = run(&[
        "meter",
        "--scenario",
        &scenario,
        &sessions,
        s(&fifo),
        "--stream",
        "always",
    ]);
    writer.join().unwrap();
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.contains("meter: an alias table came through a pipe after sessions were streamed; give it as a file, or use --stream never"),
        "{err}"
    );
}
