//! Golden reports: `tokenplan audit --format json` on the bundled sample and
//! on every real FlexNet log, compared byte for byte with the reports in
//! `tests/data/golden/`. They were written by the audit before its parts were
//! rewritten for speed; a rewrite that changes any figure, order or spelling
//! fails here.
//!
//! To write a golden file anew (only for a change of the report that is
//! meant), run the tests with `TOKENPLAN_BLESS=1` and review the diff.
//!
//! Scenarios: `sample-data/scenario.ron` (every product `CalendarDay`) and
//! `golden/mixed_rules.ron` (the same products under every rule, a product
//! zone, graces, a pool), so that the baseline of each part holds each rule;
//! the real logs under `golden/ansys.ron` (Detroit) and `golden/madrid.ron`
//! (Madrid), which map every feature the logs check out.

use std::path::{Path, PathBuf};
use std::process::Command;

fn manifest() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn golden_dir() -> PathBuf {
    manifest().join("tests/data/golden")
}

/// The real-logs folder, or `None` (after saying so) when it is absent and
/// not asked for.
fn real_logs() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TOKENPLAN_REAL_LOGS") {
        let p = PathBuf::from(p);
        assert!(
            p.is_dir(),
            "TOKENPLAN_REAL_LOGS={} is not a folder",
            p.display()
        );
        return Some(p);
    }
    let p = manifest().join("../shared/real-logs");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: real logs not found at {}", p.display());
        None
    }
}

/// Runs `audit --format json` with `args` and compares stdout with
/// `golden/<name>.json` (or writes it under `TOKENPLAN_BLESS`).
fn check(name: &str, args: &[String]) {
    let out = Command::new(env!("CARGO_BIN_EXE_tokenplan"))
        .arg("audit")
        .args(args)
        .args(["--format", "json"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 1: some input lines were skipped (real logs have lines the importer
    // names and skips); the report is still written.
    assert!(
        matches!(out.status.code(), Some(0 | 1)) && !out.stdout.is_empty(),
        "{name}: {stderr}"
    );
    let path = golden_dir().join(format!("{name}.json"));
    let got = digest_long_sections(&String::from_utf8_lossy(&out.stdout));
    if std::env::var_os("TOKENPLAN_BLESS").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    if want != got {
        let line = got
            .lines()
            .zip(want.lines())
            .position(|(g, w)| g != w)
            .unwrap_or_else(|| got.lines().count().min(want.lines().count()));
        panic!(
            "{name}: the audit differs from {} from line {}:\n got: {:?}\nwant: {:?}",
            path.display(),
            line + 1,
            got.lines().nth(line),
            want.lines().nth(line)
        );
    }
}

/// Longest a top-level section of a golden file is kept as text, lines.
const LONGEST_SECTION: usize = 20_000;

/// `report` with each top-level array longer than [`LONGEST_SECTION`] lines
/// replaced by its line count and the SHA-256 of its exact text, so that a
/// golden file stays small (the sample's double-dip list alone is 2.6 MB)
/// and is still compared byte for byte.
fn digest_long_sections(report: &str) -> String {
    use sha2::{Digest, Sha256};
    let lines: Vec<&str> = report.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        out.push_str(line);
        i += 1;
        if !(line.starts_with("  \"") && line.ends_with(": [\n")) {
            continue;
        }
        let Some(len) = lines[i..].iter().position(|l| l.starts_with("  ]")) else {
            continue;
        };
        if len > LONGEST_SECTION {
            let hash = Sha256::digest(lines[i..i + len].concat().as_bytes());
            let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
            out.push_str(&format!("    \"{len} lines, SHA-256 {hex}\"\n"));
            i += len;
        }
    }
    out
}

fn sample(file: &str) -> String {
    manifest()
        .join("sample-data")
        .join(file)
        .to_string_lossy()
        .into_owned()
}

fn golden(file: &str) -> String {
    golden_dir().join(file).to_string_lossy().into_owned()
}

/// The sample's sessions, directory and assignments, a small Token Flex
/// export over 2025-03-02 ..= 05 (a matching charge, a doubled one, an
/// unknown product and an unknown user), two other server zones and two
/// regional servers, and a balance for the run-out date.
fn sample_args(scenario: String) -> Vec<String> {
    vec![
        "--scenario".into(),
        scenario,
        sample("sessions.csv"),
        sample("directory.csv"),
        sample("assignments.csv"),
        golden("tokenflex_sample.csv"),
        "--server-zone".into(),
        "UTC".into(),
        "--server-zone".into(),
        "Asia/Tokyo".into(),
        "--office-zone".into(),
        "Sydney=Australia/Sydney".into(),
        "--office-zone".into(),
        "london=Europe/London".into(),
        "--balance".into(),
        "150000".into(),
    ]
}

#[test]
fn golden_audit_of_the_sample() {
    check("sample", &sample_args(sample("scenario.ron")));
}

#[test]
fn golden_audit_of_the_sample_under_every_rule() {
    check(
        "sample_mixed_rules",
        &sample_args(golden("mixed_rules.ron")),
    );
}

/// The sample's sessions alone with the defaults, as the app runs it.
#[test]
fn golden_audit_of_the_sample_sessions_with_defaults() {
    check(
        "sample_sessions_only",
        &[
            "--scenario".into(),
            sample("scenario.ron"),
            sample("sessions.csv"),
        ],
    );
}

#[test]
fn golden_audits_of_the_real_logs() {
    let Some(dir) = real_logs() else { return };
    let logs = [
        (
            "ansys_2017_01_08",
            "flexlm_reporter/ansys.2017-01-08_17-17-45.log",
        ),
        (
            "ansys_2017_02_18_dst",
            "flexlm_reporter/ansys.2017-02-18_EXCERPT_lines5250-5900_DST.log",
        ),
        (
            "ansys_2017_06_08",
            "flexlm_reporter/ansys.2017-06-08_09-49-41.log",
        ),
        ("adskflex_sample", "flexlm-license-elk/adskflex_sample.log"),
        (
            "stats_autodesk",
            "Stats_Logs_FlexLM/autodesk_EXCERPT_lines1-700.log",
        ),
        ("stats_maple", "Stats_Logs_FlexLM/maple_full_BOM.log"),
        (
            "stats_matlab",
            "Stats_Logs_FlexLM/matlab_EXCERPT_lines1-600.log",
        ),
        (
            "stats_matlab_shutdown",
            "Stats_Logs_FlexLM/matlab_EXCERPT_lines26900-27048_shutdown.log",
        ),
    ];
    for (name, file) in logs {
        let scenario = if name.starts_with("ansys") {
            golden("ansys.ron")
        } else {
            golden("madrid.ron")
        };
        check(
            &format!("log_{name}"),
            &[
                "--scenario".into(),
                scenario,
                dir.join(file).to_string_lossy().into_owned(),
                "--server-zone".into(),
                "UTC".into(),
            ],
        );
    }
}
