//! Times one importer on every file of some folders, one file at a time:
//! the slowest file and its time, the median, and the bytes per second.
//! Used on the fuzzers' grown corpora (`fuzz/corpus/<target>`) to find the
//! slowest input without the noise of a fuzzing run, and on real logs.
//!
//! `cargo run --release --bin bench_corpus -- KIND DIR...` where KIND is a
//! `--kind` name or `detect`. Each file is imported `REPEAT` times (default
//! 3) and its fastest time kept.

use std::time::{Duration, Instant};

use tokenplan::ingest::{ImportOptions, SourceKind, import_bytes};
use tokenplan::progress::NoProgress;
use tokenplan::usage::Usage;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(kind) = args.next() else {
        eprintln!("usage: bench_corpus KIND DIR...");
        std::process::exit(2);
    };
    let kind = match kind.as_str() {
        "detect" => None,
        k => match k.parse::<SourceKind>() {
            Ok(k) => Some(k),
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(2);
            }
        },
    };
    let repeat: u32 = std::env::var("REPEAT")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
        .max(1);
    let opts = ImportOptions {
        time_zone: chrono_tz::America::New_York,
        kind,
        ..ImportOptions::default()
    };
    let mut times: Vec<(Duration, usize, String)> = Vec::new();
    for dir in args {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            eprintln!("{dir}: cannot read; skipped");
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let mut best = Duration::MAX;
            for _ in 0..repeat {
                let mut usage = Usage::default();
                let started = Instant::now();
                let result = import_bytes("bench", &bytes, &opts, &mut usage, &NoProgress);
                let took = started.elapsed();
                std::hint::black_box((result.is_ok(), usage.sessions.len()));
                best = best.min(took);
            }
            times.push((best, bytes.len(), path.display().to_string()));
        }
    }
    if times.is_empty() {
        eprintln!("no files");
        std::process::exit(2);
    }
    times.sort();
    let total: Duration = times.iter().map(|t| t.0).sum();
    let bytes: usize = times.iter().map(|t| t.1).sum();
    let median = times[times.len() / 2].0;
    let Some((slowest, size, path)) = times.last() else {
        return;
    };
    println!(
        "{} files, {} bytes: total {:.1} ms ({:.1} MB/s), median {:.1} us, slowest {:.1} us ({} bytes, {})",
        times.len(),
        bytes,
        total.as_secs_f64() * 1e3,
        bytes as f64 / total.as_secs_f64().max(1e-9) / 1e6,
        median.as_secs_f64() * 1e6,
        slowest.as_secs_f64() * 1e6,
        size,
        path
    );
}
