//! One coverage-guided fuzz target per importer (libFuzzer): the bytes go
//! through `tokenplan::ingest::import_bytes` as the kind `FUZZ_TARGET`
//! names (`detect` and `xlsx`: no kind, detection decides, as a dropped file
//! does).
//!
//! Nothing may panic, hang or run away with memory; for the importers that
//! promise it, every line read must be used or skipped exactly once. Each
//! new slowest input (above a millisecond) is written to
//! `artifacts/<target>-slowest` and announced on stderr, so that it can be
//! timed again on its own.
//!
//! Adding an importer is one line in [`TARGETS`] (and a seed folder).
#![no_main]

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use tokenplan::ingest::{ImportOptions, SourceKind, import_bytes};
use tokenplan::progress::NoProgress;
use tokenplan::usage::Usage;

/// `FUZZ_TARGET` name → the kind forced (`None`: detected from content).
const TARGETS: &[(&str, Option<SourceKind>)] = &[
    ("sessions", Some(SourceKind::Sessions)),
    ("debug-log", Some(SourceKind::DebugLog)),
    ("token-flex", Some(SourceKind::TokenFlex)),
    ("directory", Some(SourceKind::Directory)),
    ("assignments", Some(SourceKind::Assignments)),
    ("lmstat", Some(SourceKind::Lmstat)),
    ("rlm", Some(SourceKind::Rlm)),
    ("usage-report", Some(SourceKind::UsageReport)),
    ("aliases", Some(SourceKind::Aliases)),
    // Workbooks: the kind of their first sheet is detected, as for a
    // dropped file.
    ("xlsx", None),
    ("detect", None),
];

/// Importers whose reports account for each line exactly once.
const EXACT_LINES: &[SourceKind] = &[SourceKind::Lmstat, SourceKind::Rlm];

/// The target's name and kind.
fn target() -> (&'static str, Option<SourceKind>) {
    static TARGET: OnceLock<(&'static str, Option<SourceKind>)> = OnceLock::new();
    *TARGET.get_or_init(|| {
        let name = std::env::var("FUZZ_TARGET").unwrap_or_default();
        match TARGETS.iter().find(|(n, _)| *n == name) {
            Some(&(n, kind)) => (n, kind),
            None => {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                eprintln!("set FUZZ_TARGET to one of: {}", names.join(", "));
                std::process::exit(2);
            }
        }
    })
}

/// Keeps the slowest input seen (above 1 ms), for timing it again alone.
fn note_time(name: &str, data: &[u8], micros: u64) {
    static SLOWEST: AtomicU64 = AtomicU64::new(1000);
    if SLOWEST.fetch_max(micros, Ordering::Relaxed) >= micros {
        return;
    }
    let path = format!("artifacts/{name}-slowest");
    // Only a record for the report: failing to write it is not a finding.
    let _ = std::fs::write(&path, data);
    eprintln!("slowest so far: {micros} us, {} bytes, {path}", data.len());
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (name, kind) = target();
    let opts = ImportOptions {
        time_zone: chrono_tz::America::New_York,
        kind,
        ..ImportOptions::default()
    };
    let mut usage = Usage::default();
    let started = Instant::now();
    let imported = import_bytes("fuzz", data, &opts, &mut usage, &NoProgress);
    note_time(name, data, started.elapsed().as_micros() as u64);
    let Ok(report) = imported else {
        return;
    };
    if report.kind.is_some_and(|k| EXACT_LINES.contains(&k)) {
        assert_eq!(
            report.lines_read,
            report.lines_used + report.lines_skipped(),
            "{report:?}"
        );
    }
});
