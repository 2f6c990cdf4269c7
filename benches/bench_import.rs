//! Import benchmark: a FlexNet debug log against the session CSV that holds
//! the same sessions.
//!
//! `cargo run --release --bin bench_import [DIR] [ROUNDS] [--verify]`
//! imports `DIR/sessions.csv` and `DIR/adskflex.log` (as written by
//! `gen_usage.py --flexlm`, server in America/New_York; default DIR
//! `/work/bench-data/big`) alternately, ROUNDS times (default 5), and prints
//! each time, each round's log/CSV ratio and the medians, and beside each
//! time the CPU time the process spent on it (all threads; on Linux), which
//! tells more than the time when other work shares the cores. With `--verify`
//! it then reads the log once more line by line on one thread and checks
//! that the parallel reader gave the same report and, session for session,
//! the same usage.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokenplan::ingest::flexlog::read_debug_log_sequential;
use tokenplan::ingest::{ImportOptions, Report, import_path};
use tokenplan::progress::NoProgress;
use tokenplan::usage::Usage;

fn main() {
    let mut dir = PathBuf::from("/work/bench-data/big");
    let mut rounds = 5usize;
    let mut verify = false;
    for arg in std::env::args().skip(1) {
        if arg == "--verify" {
            verify = true;
        } else if let Ok(n) = arg.parse() {
            rounds = n;
        } else {
            dir = PathBuf::from(arg);
        }
    }
    let csv = dir.join("sessions.csv");
    let log = dir.join("adskflex.log");
    let opts = ImportOptions {
        time_zone: chrono_tz::America::New_York,
        ..ImportOptions::default()
    };
    println!(
        "log {} ({} MB), csv {} ({} MB), {} rayon threads",
        log.display(),
        megabytes(&log),
        csv.display(),
        megabytes(&csv),
        rayon::current_num_threads()
    );
    let mut csv_times = Vec::new();
    let mut log_times = Vec::new();
    let mut csv_cpu = Vec::new();
    let mut log_cpu = Vec::new();
    let mut parallel = None;
    for round in 1..=rounds {
        let cpu0 = cpu_time();
        let (t_csv, csv_usage, _) = timed_import(&csv, &opts);
        let cpu1 = cpu_time();
        let csv_sessions = csv_usage.sessions.len();
        drop(csv_usage);
        let cpu2 = cpu_time();
        let (t_log, log_usage, log_report) = timed_import(&log, &opts);
        let cpu3 = cpu_time();
        let (c_csv, c_log) = (cpu1.saturating_sub(cpu0), cpu3.saturating_sub(cpu2));
        println!(
            "round {round}: csv {:.3} s (cpu {:.2} s, {csv_sessions} sessions), log {:.3} s (cpu {:.2} s, {} sessions), log/csv {:.2} (cpu {:.2})",
            t_csv.as_secs_f64(),
            c_csv.as_secs_f64(),
            t_log.as_secs_f64(),
            c_log.as_secs_f64(),
            log_usage.sessions.len(),
            t_log.as_secs_f64() / t_csv.as_secs_f64(),
            c_log.as_secs_f64() / c_csv.as_secs_f64()
        );
        csv_times.push(t_csv);
        log_times.push(t_log);
        csv_cpu.push(c_csv);
        log_cpu.push(c_log);
        parallel = Some((log_usage, log_report));
    }
    let (c, l) = (median(&mut csv_times), median(&mut log_times));
    let (cc, lc) = (median(&mut csv_cpu), median(&mut log_cpu));
    println!(
        "median: csv {:.3} s, log {:.3} s, log/csv {:.2}; cpu: csv {:.2} s, log {:.2} s, log/csv {:.2}",
        c.as_secs_f64(),
        l.as_secs_f64(),
        l.as_secs_f64() / c.as_secs_f64(),
        cc.as_secs_f64(),
        lc.as_secs_f64(),
        lc.as_secs_f64() / cc.as_secs_f64()
    );
    if let (true, Some((usage, report))) = (verify, parallel) {
        check_against_sequential(&log, &opts, &usage, &report);
    }
}

fn timed_import(path: &Path, opts: &ImportOptions) -> (Duration, Usage, Report) {
    let mut usage = Usage::default();
    let t = Instant::now();
    let report = match import_path(path, opts, &mut usage, &NoProgress) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    (t.elapsed(), usage, report)
}

/// Reads the log line by line and compares with the parallel result.
fn check_against_sequential(log: &Path, opts: &ImportOptions, usage: &Usage, report: &Report) {
    let Ok(file) = std::fs::File::open(log) else {
        eprintln!("cannot open {}", log.display());
        std::process::exit(2);
    };
    let mut seq = Usage::default();
    let t = Instant::now();
    let name = log.display().to_string();
    let seq_report = read_debug_log_sequential(
        &name,
        std::io::BufReader::with_capacity(1 << 16, file),
        opts,
        &mut seq,
    );
    println!(
        "line by line on one thread: {:.3} s",
        t.elapsed().as_secs_f64()
    );
    let same_sessions = seq.sessions.len() == usage.sessions.len()
        && seq
            .sessions
            .iter()
            .zip(usage.sessions.iter())
            .all(|(a, b)| a == b);
    let same_names = seq.users.len() == usage.users.len()
        && (0..seq.users.len() as u32).all(|i| seq.users.name(i) == usage.users.name(i))
        && seq.features.names().eq(usage.features.names())
        && seq.hosts.names().eq(usage.hosts.names())
        && seq.denials == usage.denials;
    let same_report = seq_report == *report;
    println!(
        "parallel = line by line: sessions {same_sessions} ({} compared), names and denials {same_names}, report {same_report}",
        seq.sessions.len()
    );
    if !(same_sessions && same_names && same_report) {
        std::process::exit(1);
    }
}

/// User and system CPU time of the whole process so far, all threads
/// (`/proc/self/stat`, in clock ticks of 1/100 s); zero where it cannot be
/// read.
fn cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The command name (field 2) may hold blanks: count after its `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // Fields 14 and 15 (utime, stime) are the 12th and 13th after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn megabytes(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len() >> 20).unwrap_or(0)
}
