//! The GUI's whole pipeline, headless: the jobs the app runs when it is
//! opened on files, in the order its job chain starts them, timed.
//!
//! `cargo run --release --bin bench_pipeline -- --scenario S.ron [--rounds N]
//! [--sequential] [--without-audit] [--meter-bin PATH] FILE...`
//!
//! Each round runs, as the app does when started with `tokenplan gui
//! --scenario S.ron FILE...`:
//! 1. the load job ([`pipeline::load`]: the scenario and each file in turn
//!    into one usage), then what the app rebuilds on its own thread when
//!    the load arrives (the Data view's summary, the scenario check);
//! 2. the Meter job ([`pipeline::meter`], with the Charges view's data);
//! 3. the jobs that wait for metering, each given the metering result (the
//!    same `Arc`), none a copy of the usage, started as the app's chain
//!    starts them: Plan ([`plan::run`]), Term ([`term::run`]) and Audit
//!    ([`pipeline::audit`]) together on their own threads, and Size
//!    ([`pipeline::size`]) once the plan is made, from its mix. With
//!    `--sequential` they run one after another instead, so that each
//!    one's own time shows.
//!
//! Every result is kept until the round ends, as the app keeps what its
//! views show. For each stage it prints its wall time, the time from the
//! round's start at which its view has its result, and the process's peak
//! RSS so far (`VmHWM` of /proc/self/status); each round runs in a process
//! of its own. `--without-audit` leaves the audit out, to show what the
//! rest of the chain reaches on its own.
//! Before each round it times `tokenplan meter --scenario S.ron FILE...`
//! (the binary next to this one, or `--meter-bin`, or `$TOKENPLAN_BIN`)
//! with `/usr/bin/time`, so that the runs interleave and the last view's
//! time is given as a multiple of the meter's.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokenplan::gui::app::pipeline::{self, LoadRequest, ScenarioSource};
use tokenplan::gui::model::data::DataSummary;
use tokenplan::gui::model::plan::{self, PlanKey, PlanSource};
use tokenplan::gui::model::scenario_check::ScenarioCheck;
use tokenplan::gui::model::term::{self, TermKey, TermSource};
use tokenplan::gui::workspace::Source;
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::usage::Usage;

/// The command line.
struct Args {
    scenario: PathBuf,
    files: Vec<PathBuf>,
    rounds: usize,
    sequential: bool,
    /// Leave the audit out (what the rest of the chain reaches on its own).
    without_audit: bool,
    meter_bin: Option<PathBuf>,
    /// Run one round here (a round's own process).
    child: bool,
}

/// One stage's figures.
struct Stage {
    name: &'static str,
    /// What the app shows from it.
    view: &'static str,
    /// From the round's start.
    started: Duration,
    finished: Duration,
    /// Peak RSS of the process when it finished, MiB.
    peak_mib: f64,
    /// What it gave, in a few words, or why it failed.
    outcome: String,
}

fn main() {
    let Some(args) = parse_args() else {
        eprintln!(
            "usage: bench_pipeline --scenario S.ron [--rounds N] [--sequential] [--without-audit] [--meter-bin PATH] FILE..."
        );
        std::process::exit(2);
    };
    if args.child {
        // The parent said what runs.
    } else {
        println!(
            "files: {}; scenario {}; {} rayon threads; jobs after metering {}{}",
            args.files
                .iter()
                .map(|f| format!("{} ({} MB)", f.display(), megabytes(f)))
                .collect::<Vec<_>>()
                .join(", "),
            args.scenario.display(),
            rayon::current_num_threads(),
            if args.sequential {
                "one after another"
            } else {
                "together, as the app runs them"
            },
            if args.without_audit {
                ", audit left out"
            } else {
                ""
            }
        );
    }
    if args.child {
        let stages = run_round(&args);
        print_stages(&stages);
        let last = stages.iter().map(|s| s.finished).max().unwrap_or_default();
        let peak = stages.iter().map(|s| s.peak_mib).fold(0.0, f64::max);
        println!("{LAST} {} {peak}", last.as_secs_f64());
        return;
    }
    let meter_bin = args.meter_bin.clone().or_else(default_meter_bin);
    let mut ratios = Vec::new();
    let mut peaks = Vec::new();
    for round in 1..=args.rounds {
        let meter = meter_bin.as_deref().and_then(|bin| time_meter(bin, &args));
        if let Some((secs, mib)) = meter {
            println!("round {round}: tokenplan meter {secs:.2} s, peak RSS {mib:.0} MiB");
        }
        // Each round in a process of its own: memory freed by a round
        // stays with the allocator and would count in the next one's peak.
        let Some((last, peak)) = run_child() else {
            fail("the round failed");
        };
        peaks.push(peak);
        match meter {
            Some((secs, _)) => {
                let ratio = last.as_secs_f64() / secs;
                ratios.push(ratio);
                println!(
                    "round {round}: every view has its result at {:.2} s = {ratio:.1}x meter's time; peak RSS {peak:.0} MiB (targets 8x, 1024 MiB)",
                    last.as_secs_f64()
                );
            }
            None => println!(
                "round {round}: every view has its result at {:.2} s; peak RSS {peak:.0} MiB",
                last.as_secs_f64()
            ),
        }
    }
    if !ratios.is_empty() {
        println!(
            "median of {}: last view at {:.1}x meter's time, peak RSS {:.0} MiB",
            ratios.len(),
            median(&mut ratios),
            median(&mut peaks)
        );
    }
}

/// How a round's process gives its last view's time and its peak RSS.
const LAST: &str = "last-view-seconds-and-peak-mib";

/// Runs one round in a new process of this binary, its table passed on;
/// the last view's time and the peak RSS (MiB).
fn run_child() -> Option<(Duration, f64)> {
    let exe = std::env::current_exe().ok()?;
    let out = Command::new(exe)
        .args(std::env::args().skip(1))
        .arg("--child")
        .stderr(std::process::Stdio::inherit())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut result = None;
    for line in text.lines() {
        match line.strip_prefix(LAST) {
            Some(rest) => {
                let mut it = rest.split_whitespace();
                let secs: f64 = it.next()?.parse().ok()?;
                let peak: f64 = it.next()?.parse().ok()?;
                result = Some((Duration::from_secs_f64(secs), peak));
            }
            None => println!("{line}"),
        }
    }
    result.filter(|_| out.status.success())
}

fn parse_args() -> Option<Args> {
    let mut scenario = None;
    let mut files = Vec::new();
    let mut rounds = 1;
    let mut sequential = false;
    let mut without_audit = false;
    let mut child = false;
    let mut meter_bin = std::env::var_os("TOKENPLAN_BIN").map(PathBuf::from);
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--scenario" => scenario = Some(PathBuf::from(it.next()?)),
            "--rounds" => rounds = it.next()?.parse().ok()?,
            "--sequential" => sequential = true,
            "--without-audit" => without_audit = true,
            "--child" => child = true,
            "--meter-bin" => meter_bin = Some(PathBuf::from(it.next()?)),
            _ if a.starts_with("--") => return None,
            _ => files.push(PathBuf::from(a)),
        }
    }
    (!files.is_empty()).then_some(Args {
        scenario: scenario?,
        files,
        rounds,
        sequential,
        without_audit,
        meter_bin,
        child,
    })
}

/// `tokenplan` next to this binary.
fn default_meter_bin() -> Option<PathBuf> {
    let bin = std::env::current_exe().ok()?.with_file_name("tokenplan");
    bin.is_file().then_some(bin)
}

/// Wall seconds and peak RSS (MiB) of `tokenplan meter` on the files.
fn time_meter(bin: &Path, args: &Args) -> Option<(f64, f64)> {
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%e %M"])
        .arg(bin)
        .arg("meter")
        .arg("--scenario")
        .arg(&args.scenario)
        .args(&args.files)
        .stdout(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!(
            "tokenplan meter failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut last = stderr.lines().last()?.split_whitespace();
    let secs: f64 = last.next()?.parse().ok()?;
    let kib: f64 = last.next()?.parse().ok()?;
    Some((secs, kib / 1024.0))
}

/// One run of the pipeline; every stage's figures in the order they
/// finished.
fn run_round(args: &Args) -> Vec<Stage> {
    reset_peak();
    let t0 = Instant::now();
    let mut stages = Vec::new();
    let mut stage = |name, view, started: Duration, outcome: String| {
        stages.push(Stage {
            name,
            view,
            started,
            finished: t0.elapsed(),
            peak_mib: peak_mib(),
            outcome,
        });
    };

    // The load job, then what the app's thread rebuilds when it arrives.
    let request = LoadRequest {
        sources: args.files.iter().cloned().map(Source::File).collect(),
        scenario: ScenarioSource::File(args.scenario.clone()),
        recovery: None,
        remembered: Default::default(),
    };
    let outcome = pipeline::load(request, &NoProgress);
    let scenario: Scenario = match outcome.scenario {
        Some(Ok((s, _))) => s,
        Some(Err(e)) => fail(&format!("scenario: {e}")),
        None => fail("no scenario"),
    };
    for f in &outcome.failures {
        eprintln!("not imported: {f}");
    }
    let Some(loaded) = outcome.usage else {
        fail("nothing imported");
    };
    let sessions = loaded.usage.sessions.len();
    stage(
        "load",
        "(import)",
        Duration::ZERO,
        format!("{sessions} sessions, {} users", loaded.usage.users.len()),
    );
    let started = t0.elapsed();
    let reports = loaded.reports;
    let usage: Arc<Usage> = Arc::new(loaded.usage);
    let summary = DataSummary::build(&reports, &usage, "");
    let check = ScenarioCheck::build(&scenario, summary.history_end);
    stage(
        "data summary",
        "Data",
        started,
        format!("history to {:?}", summary.history_end),
    );

    let started = t0.elapsed();
    let metering = match pipeline::meter(&usage, &scenario, &NoProgress) {
        Ok(m) => m,
        Err(e) => fail(&format!("meter: {e}")),
    };
    let total = metering.metered.total();
    stage(
        "meter",
        "Charges",
        started,
        format!("{} charges, {} tokens", total.charges, total.tokens),
    );

    let after = after_metering(args, &usage, &scenario, &metering.metered, t0);
    stages.extend(after);
    // Kept to the end, as the app keeps what its views show.
    drop((summary, check, metering, reports));
    stages
}

/// A result kept until the round ends.
type Kept = Box<dyn std::any::Any + Send>;

/// Collects the stages that finish, from any thread.
struct Recorder {
    t0: Instant,
    done: Mutex<Vec<Stage>>,
    kept: Mutex<Vec<Kept>>,
}

impl Recorder {
    /// Runs `job` as stage `name`, recording when it started and finished.
    fn run<T: Send + Sync + 'static>(
        &self,
        name: &'static str,
        view: &'static str,
        job: impl FnOnce() -> Result<T, String>,
        say: impl FnOnce(&T) -> String,
    ) -> Option<Arc<T>> {
        let started = self.t0.elapsed();
        let result = job();
        let finished = self.t0.elapsed();
        let (outcome, kept) = match result {
            Ok(v) => (say(&v), Some(Arc::new(v))),
            Err(e) => (format!("failed: {e}"), None),
        };
        if let Ok(mut d) = self.done.lock() {
            d.push(Stage {
                name,
                view,
                started,
                finished,
                peak_mib: peak_mib(),
                outcome,
            });
        }
        if let (Some(k), Ok(mut all)) = (&kept, self.kept.lock()) {
            all.push(Box::new(Arc::clone(k)));
        }
        kept
    }
}

/// The jobs that wait for metering, as the app's chain starts them: Plan,
/// Term and Audit together (each on its own thread, as the app's jobs
/// run), Size once the plan is made (it sizes what the plan's mix leaves
/// to tokens); or all one after another.
fn after_metering(
    args: &Args,
    usage: &Arc<Usage>,
    scenario: &Scenario,
    metered: &Arc<tokenplan::meter::Metered>,
    t0: Instant,
) -> Vec<Stage> {
    let rec = Recorder {
        t0,
        done: Mutex::new(Vec::new()),
        kept: Mutex::new(Vec::new()),
    };
    let plan_then_size = || {
        let planned = rec.run(
            "plan",
            "Crossover, Mix",
            || {
                let key = PlanKey::new(1, scenario);
                let source = PlanSource::Metered(Arc::clone(metered));
                plan::run(key, source, usage, scenario, 0)
            },
            |p| format!("{} users planned", p.planned.report.users.len()),
        );
        let mix = planned.map(|p| (Arc::clone(&p.planned.input), p.planned.rec.clone()));
        rec.run(
            "size",
            "Pool",
            || pipeline::size(usage, scenario, metered, mix.as_ref(), &NoProgress),
            |p| format!("{} token plans compared", p.report.plans.len()),
        );
    };
    let term = || {
        rec.run(
            "term",
            "Term",
            || {
                let key = TermKey::new(1, scenario);
                let source = TermSource::Metered(Arc::clone(metered));
                term::run(key, source, usage, scenario, 0)
            },
            |_| "planned".to_owned(),
        );
    };
    let audit = || {
        if args.without_audit {
            return;
        }
        rec.run(
            "audit",
            "Insights",
            || pipeline::audit(usage, scenario, metered, &NoProgress),
            |_| "audited".to_owned(),
        );
    };
    if args.sequential {
        plan_then_size();
        term();
        audit();
    } else {
        std::thread::scope(|s| {
            s.spawn(plan_then_size);
            s.spawn(term);
            s.spawn(audit);
        });
    }
    let mut stages = rec.done.into_inner().unwrap_or_default();
    stages.sort_by_key(|s| s.finished);
    stages
}

fn print_stages(stages: &[Stage]) {
    println!(
        "  {:<13} {:<15} {:>8} {:>8} {:>11}  outcome",
        "stage", "view", "wall s", "ready s", "peak MiB"
    );
    for s in stages {
        println!(
            "  {:<13} {:<15} {:>8.2} {:>8.2} {:>11.0}  {}",
            s.name,
            s.view,
            (s.finished - s.started).as_secs_f64(),
            s.finished.as_secs_f64(),
            s.peak_mib,
            s.outcome
        );
    }
}

/// The process's peak RSS so far, MiB (`VmHWM`).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Resets the peak RSS to the current RSS (Linux: `5` to clear_refs).
fn reset_peak() {
    if std::fs::write("/proc/self/clear_refs", "5").is_err() {
        eprintln!("cannot reset the peak RSS; it covers the earlier rounds too");
    }
}

fn fail(message: &str) -> ! {
    eprintln!("{message}");
    std::process::exit(1);
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn megabytes(p: &Path) -> u64 {
    std::fs::metadata(p).map(|m| m.len() >> 20).unwrap_or(0)
}
