//! Pseudonymised exports and `reveal` (SPEC §1.6), as a user runs them:
//! the exported bytes hold none of the input's user or host names, the same
//! key gives the same bytes, and `reveal` puts the names back.

use std::path::{Path, PathBuf};
use std::process::Command;

const SCENARIO: &str = r#"Scenario(
    version: 1,
    name: "Privacy test",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "ACD": Product(name: "AutoCAD", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "6")]),
        "RVT": Product(name: "Revit", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "10")]),
    },
    subscriptions: {
        "ACD": Subscription(name: "AutoCAD", annual_price: "2030.00", covers: ["ACD"]),
    },
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.00")]),
    contract: Contract(start: "2026-01-01", years: 3, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0.08"),
    forecast: Forecast(history_days: 365, growth_per_year: "0.05"),
    constraints: Constraints(pinned: {"Grace.Hopper": ["ACD"]}),
)
"#;

/// Names of every shape: an e-mail in two spellings, a `DOMAIN\login`, a
/// space, a non-ASCII letter; a night session that crosses the New York
/// date line (a day-boundary charge in the audit).
const SESSIONS: &str = "\
user,product,host,start,end
alice.smith@corp.example,ACD,WS-ALICE-01,2025-02-28T14:00:00Z,2025-02-28T16:00:00Z
Alice.Smith@corp.example,ACD,ws-alice-01,2025-03-03T14:00:00Z,2025-03-03T15:00:00Z
CORP\\bjones,RVT,lab-pc-7,2025-03-04T01:00:00Z,2025-03-04T10:00:00Z
Chen Wei,ACD,lab-pc-7,2025-03-05T15:00:00Z,2025-03-05T16:00:00Z
dmüller,RVT,Müller-Laptop,2025-03-06T03:00:00Z,2025-03-06T06:00:00Z
";

const DIRECTORY: &str = "\
user,department,location
alice.smith@corp.example,Structures,Boston
CORP\\bjones,Civil,Denver
";

/// `dmüller`'s seat is of a subscription the scenario does not define: the
/// recommendation's warning quotes the name.
const ASSIGNMENTS: &str = "\
user,subscription
Chen Wei,ACD
dmüller,NOPE
";

/// Every user and host name the inputs (and the scenario's pins) hold.
const NAMES: &[&str] = &[
    "alice.smith@corp.example",
    "Alice.Smith@corp.example",
    "alice.smith",
    "CORP\\bjones",
    "bjones",
    "Chen Wei",
    "dmüller",
    "Grace.Hopper",
    "WS-ALICE-01",
    "lab-pc-7",
    "Müller-Laptop",
];

struct Files {
    dir: PathBuf,
    scenario: PathBuf,
    inputs: Vec<PathBuf>,
    key: PathBuf,
}

fn files(test: &str) -> Files {
    let dir = std::env::temp_dir().join(format!("tokenplan-privacy-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    Files {
        scenario: write("s.ron", SCENARIO),
        inputs: vec![
            write("sessions.csv", SESSIONS),
            write("directory.csv", DIRECTORY),
            write("assignments.csv", ASSIGNMENTS),
        ],
        key: dir.join("reseller.key"),
        dir,
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs tokenplan; returns (exit code, stdout bytes, stderr).
fn run(args: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_tokenplan"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `command --scenario S inputs... extra...`, optionally pseudonymised.
fn export(f: &Files, command: &[&str], pseudonymize: bool) -> Vec<u8> {
    let mut args: Vec<&str> = command.to_vec();
    args.extend(["--scenario", s(&f.scenario)]);
    args.extend(f.inputs.iter().map(|p| s(p)));
    if pseudonymize {
        args.extend(["--pseudonymize", s(&f.key)]);
    }
    let (code, out, err) = run(&args);
    // The inputs have a deliberate problem (an unknown subscription is a
    // warning, not an import error): exit 0.
    assert_eq!(code, 0, "{command:?}: {err}");
    out
}

/// Fails with the name and where, if any name is in `bytes` (any case).
fn assert_no_names(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes).to_lowercase();
    for name in NAMES {
        let lower = name.to_lowercase();
        assert!(
            !text.contains(&lower),
            "{what} contains `{name}`:\n{}",
            String::from_utf8_lossy(bytes)
        );
    }
}

fn sorted_lines(bytes: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = String::from_utf8_lossy(bytes)
        .lines()
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

fn reveal(f: &Files, name: &str, bytes: &[u8], with_scenario: bool) -> (i32, Vec<u8>, String) {
    let file = f.dir.join(name);
    std::fs::write(&file, bytes).unwrap();
    let mut args = vec!["reveal", s(&f.key), s(&file)];
    args.extend(f.inputs.iter().map(|p| s(p)));
    if with_scenario {
        args.extend(["--scenario", s(&f.scenario)]);
    }
    run(&args)
}

#[test]
fn recommend_csv_meter_and_audit_carry_no_names_and_reveal_restores_them() {
    let f = files("exports");
    let commands: [(&str, &[&str]); 4] = [
        ("recommend.csv", &["recommend", "--format", "csv"]),
        ("recommend.json", &["recommend", "--format", "json"]),
        ("meter.csv", &["meter"]),
        ("audit.json", &["audit", "--format", "json"]),
    ];
    for (name, command) in commands {
        let plain = export(&f, command, false);
        // The plain export does hold names: the scan can fail.
        let plain_text = String::from_utf8_lossy(&plain).to_lowercase();
        assert!(
            NAMES.iter().any(|n| plain_text.contains(&n.to_lowercase())),
            "{name}"
        );
        let first = export(&f, command, true);
        assert_no_names(name, &first);
        let second = export(&f, command, true);
        assert_eq!(first, second, "{name}: the same key gives the same bytes");
        let key = std::fs::read_to_string(&f.key).unwrap();
        assert!(!String::from_utf8_lossy(&first).contains(key.trim()));

        let (code, revealed, err) = reveal(&f, name, &first, true);
        assert_eq!(code, 0, "{name}: {err}");
        if name.ends_with(".json") {
            assert_eq!(canonical(&revealed), canonical(&plain), "{name}");
        } else {
            // Rows sort by pseudonym in the export: same rows, other order.
            assert_eq!(sorted_lines(&revealed), sorted_lines(&plain), "{name}");
        }
    }
    // Departments and locations are kept.
    let audit = export(&f, &["audit", "--format", "json"], true);
    assert!(String::from_utf8_lossy(&audit).contains("Denver"));
    // The pinned user not in the usage is named in the warning by pseudonym;
    // without the scenario, reveal cannot name it and says so (exit 1).
    let rec = export(&f, &["recommend", "--format", "json"], true);
    let (code, _, err) = reveal(&f, "rec.json", &rec, false);
    assert_eq!(code, 1);
    assert!(
        err.contains("1 pseudonyms are of no user or host in the inputs"),
        "{err}"
    );
    std::fs::remove_dir_all(&f.dir).unwrap();
}

/// JSON with every array sorted, so that lists ordered by name compare
/// equal whatever the names sort as.
fn canonical(bytes: &[u8]) -> serde_json::Value {
    fn sort(v: serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Array(items) => {
                let mut items: Vec<serde_json::Value> = items.into_iter().map(sort).collect();
                items.sort_by_key(|i| i.to_string());
                serde_json::Value::Array(items)
            }
            serde_json::Value::Object(map) => {
                serde_json::Value::Object(map.into_iter().map(|(k, v)| (k, sort(v))).collect())
            }
            other => other,
        }
    }
    sort(serde_json::from_slice(bytes).unwrap())
}

#[test]
fn the_key_file_is_private_and_a_bad_one_is_refused() {
    let f = files("key");
    let _ = export(&f, &["meter"], true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&f.key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    std::fs::write(&f.key, "not a key").unwrap();
    let mut args = vec!["meter", "--scenario", s(&f.scenario)];
    args.extend(f.inputs.iter().map(|p| s(p)));
    args.extend(["--pseudonymize", s(&f.key)]);
    let (code, out, err) = run(&args);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("not a tokenplan key"), "{err}");
    // reveal never creates a key.
    let missing = f.dir.join("none.key");
    let (code, _, err) = run(&["reveal", s(&missing), s(&f.inputs[0]), s(&f.inputs[0])]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read the key"), "{err}");
    std::fs::remove_dir_all(&f.dir).unwrap();
}
