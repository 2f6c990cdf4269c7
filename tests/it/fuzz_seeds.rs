//! Replays the fuzz seeds (`fuzz/seeds/<target>`) and every input the
//! fuzzer found that once crashed an importer (`fuzz/regressions/<target>`)
//! through the importers, as `fuzz/fuzz_targets/fuzz_import.rs` does:
//! nothing panics, and lmstat and RLM reports account for each line once.

use std::path::Path;

use tokenplan::ingest::{ImportOptions, SourceKind, import_bytes};
use tokenplan::progress::NoProgress;
use tokenplan::usage::Usage;

fn replay(dir: &Path) -> usize {
    let Ok(targets) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for target in targets {
        let target = target.unwrap().path();
        let name = target.file_name().unwrap().to_string_lossy().into_owned();
        let kind = match name.as_str() {
            "detect" | "xlsx" => None,
            other => Some(other.parse::<SourceKind>().unwrap()),
        };
        for file in std::fs::read_dir(&target).unwrap() {
            let path = file.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let opts = ImportOptions {
                time_zone: chrono_tz::America::New_York,
                kind,
                ..ImportOptions::default()
            };
            let mut usage = Usage::default();
            if let Ok(report) = import_bytes("seed", &bytes, &opts, &mut usage, &NoProgress)
                && matches!(report.kind, Some(SourceKind::Lmstat | SourceKind::Rlm))
            {
                assert_eq!(
                    report.lines_read,
                    report.lines_used + report.lines_skipped(),
                    "{}: {report:?}",
                    path.display()
                );
            }
            n += 1;
        }
    }
    n
}

#[test]
fn fuzz_seeds_and_regressions_import_without_panicking() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    assert!(replay(&root.join("seeds")) >= 25);
    replay(&root.join("regressions"));
}
