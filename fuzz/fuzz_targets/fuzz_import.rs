//! One coverage-guided fuzz target per importer (libFuzzer): the bytes go
//! through `tokenplan::ingest::import_bytes` as the kind `FUZZ_TARGET`
//! names (`detect`: no kind, detection decides, as a dropped file does).
//!
//! Nothing may panic, hang or run away with memory; for the importers that
//! promise it, every line read must be used or skipped exactly once.
//!
//! Adding an importer is one line in [`TARGETS`] (and a seed folder).
#![no_main]

use std::sync::OnceLock;

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
    ("detect", None),
];

/// Importers whose reports account for each line exactly once.
const EXACT_LINES: &[SourceKind] = &[SourceKind::Lmstat, SourceKind::Rlm];

fn target() -> Option<SourceKind> {
    static TARGET: OnceLock<Option<SourceKind>> = OnceLock::new();
    *TARGET.get_or_init(|| {
        let name = std::env::var("FUZZ_TARGET").unwrap_or_default();
        match TARGETS.iter().find(|(n, _)| *n == name) {
            Some(&(_, kind)) => kind,
            None => {
                let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
                eprintln!("set FUZZ_TARGET to one of: {}", names.join(", "));
                std::process::exit(2);
            }
        }
    })
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let kind = target();
    let opts = ImportOptions {
        time_zone: chrono_tz::America::New_York,
        kind,
    };
    let mut usage = Usage::default();
    let Ok(report) = import_bytes("fuzz", data, &opts, &mut usage, &NoProgress) else {
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
