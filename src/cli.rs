//! The command line: the same engine as the GUI, one subcommand per question
//! (SPEC §7). Output goes to stdout (or `--out FILE`, written atomically),
//! diagnostics to stderr; exit codes are 0 ok, 1 the input had errors
//! (reported), 2 bad usage.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use crate::ingest::{self, ImportOptions, Report, SourceKind};
use crate::ledger;
use crate::meter::{self, MeterSummary, Metered, Total};
use crate::monitor::{self, AuditOptions};
use crate::plan::{self, PlanInput};
use crate::progress::NoProgress;
use crate::scenario::{self, Scenario};
use crate::term;
use crate::usage::Usage;

/// Plans token-based engineering software licensing: replays real license
/// usage under the vendors' charging rules and finds the cheapest mix of
/// named-user subscriptions and tokens.
#[derive(Debug, Parser)]
#[command(name = "tokenplan", version, about)]
pub struct Cli {
    /// What to do; without a command, the desktop app opens on the bundled
    /// sample data.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the desktop app on these files (the bundled sample without any).
    Gui {
        /// Input files, as for the other commands.
        files: Vec<PathBuf>,
        /// The scenario (RON).
        #[arg(long)]
        scenario: Option<PathBuf>,
    },
    /// Validate input files: print every problem, exit 1 if any.
    Check {
        #[command(flatten)]
        input: InputArgs,
    },
    /// Replay usage under the scenario's charging rules and print the charges.
    Meter {
        #[command(flatten)]
        input: InputArgs,
        /// How to group the charges.
        #[arg(long, value_enum, default_value_t = By::UserProduct)]
        by: By,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DataFormat::Csv)]
        format: DataFormat,
    },
    /// The cheapest mix of subscriptions and tokens, per user.
    Recommend {
        #[command(flatten)]
        input: InputArgs,
        /// Output format: a readable summary, the reassignment list (csv) or
        /// the whole result (json).
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Write the output to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// How many tokens to buy, annual or contract, and what each plan risks.
    Size {
        #[command(flatten)]
        input: InputArgs,
        /// Monte Carlo trials (default: the scenario's).
        #[arg(long)]
        trials: Option<u32>,
        /// Seed of the simulation (default: the scenario's).
        #[arg(long)]
        seed: Option<u64>,
        /// Extra pool sizes to evaluate for concurrent pools, e.g. 20,26.
        #[arg(long, value_delimiter = ',')]
        pool_sizes: Vec<u32>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Write the output to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The contract term year by year: seats kept, added and dropped, tokens,
    /// costs and present values, against renewing as-is.
    Term {
        #[command(flatten)]
        input: InputArgs,
        /// Output format: a readable table, one row per plan and year (csv),
        /// or the whole result (json).
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Write the output to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Monitoring and audits over history: burn, budgets, day-boundary and
    /// double-dip charges, idle what-ifs, the shadow bill.
    Audit {
        #[command(flatten)]
        input: InputArgs,
        /// The date the figures are as of (default: the last charged date).
        #[arg(long)]
        today: Option<NaiveDate>,
        /// Tokens left today, for the run-out date.
        #[arg(long)]
        balance: Option<Decimal>,
        /// Daily tokens above which a date is flagged (default: the scenario's).
        #[arg(long)]
        alert: Option<Decimal>,
        /// Another server zone to try (repeatable).
        #[arg(long = "server-zone")]
        server_zones: Vec<String>,
        /// Office=Zone of a regional server, for the per-region what-if (repeatable).
        #[arg(long = "office-zone", value_parser = office_zone)]
        office_zones: Vec<(String, String)>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
        format: ReportFormat,
        /// Write the output to this file (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Files and how to read them.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Input files: session CSV, FlexNet debug log, Token Flex export, user
    /// directory, current assignments (kind detected from content).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// The scenario (RON). Without it, `check` reads clocks in America/New_York.
    #[arg(long)]
    scenario: Option<PathBuf>,
    /// Force the kind of every file instead of detecting it.
    #[arg(long)]
    kind: Option<SourceKind>,
    /// IANA zone of timestamps without offset and of debug-log clocks
    /// (default: the scenario's server_time_zone).
    #[arg(long)]
    time_zone: Option<String>,
}

/// How `meter` groups charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// One row per (user, product).
    UserProduct,
    /// One row per user.
    User,
    /// One row per product.
    Product,
    /// One row per local date.
    Day,
}

/// Output of `meter`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DataFormat {
    /// Comma-separated, with a header.
    Csv,
    /// One JSON object.
    Json,
}

/// Output of `recommend`, `size` and `audit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A readable summary.
    Table,
    /// The main list as CSV.
    Csv,
    /// Everything, as one JSON object (SPEC §7).
    Json,
}

fn office_zone(s: &str) -> Result<(String, String), String> {
    match s.rsplit_once('=') {
        Some((office, zone)) if !office.trim().is_empty() => {
            scenario::parse_tz(zone.trim())?;
            Ok((office.trim().to_string(), zone.trim().to_string()))
        }
        _ => Err(format!(
            "`{s}`: expected OFFICE=ZONE, e.g. Singapore=Asia/Singapore"
        )),
    }
}

/// A failure that ends the command: its message and exit code.
#[derive(Debug)]
struct Fail {
    code: u8,
    message: String,
}

impl Fail {
    fn input(message: impl ToString) -> Self {
        Fail {
            code: 1,
            message: message.to_string(),
        }
    }
    fn usage(message: impl ToString) -> Self {
        Fail {
            code: 2,
            message: message.to_string(),
        }
    }
}

/// Runs one command-line command (not the GUI) and returns the exit code.
pub fn run(command: Command) -> ExitCode {
    let result = match command {
        Command::Gui { .. } => Err(Fail::usage("the desktop app is opened by main")),
        Command::Check { input } => check(&input),
        Command::Meter { input, by, format } => meter_cmd(&input, by, format),
        Command::Recommend { input, format, out } => recommend_cmd(&input, format, out.as_deref()),
        Command::Size {
            input,
            trials,
            seed,
            pool_sizes,
            format,
            out,
        } => size_cmd(&input, trials, seed, &pool_sizes, format, out.as_deref()),
        Command::Term { input, format, out } => term_cmd(&input, format, out.as_deref()),
        Command::Audit {
            input,
            today,
            balance,
            alert,
            server_zones,
            office_zones,
            format,
            out,
        } => {
            let options = AuditOptions {
                today,
                balance,
                alert_tokens_per_day: alert,
                server_zones,
                office_zones: office_zones.into_iter().collect(),
                ..AuditOptions::default()
            };
            audit_cmd(&input, &options, format, out.as_deref())
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(fail) => {
            eprintln!("tokenplan: {}", fail.message);
            ExitCode::from(fail.code)
        }
    }
}

/// Writes `text` to `out` atomically, or to stdout.
fn emit(text: &str, out: Option<&Path>) -> Result<(), Fail> {
    match out {
        Some(path) => crate::atomic::write(path, text.as_bytes())
            .map_err(|e| Fail::input(format!("{}: cannot write: {e}", path.display()))),
        None => {
            use std::io::Write as _;
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
                .map_err(|e| Fail::input(format!("cannot write output: {e}")))
        }
    }
}

fn load_scenario(path: &Path) -> Result<Scenario, Fail> {
    Scenario::load(path).map_err(Fail::input)
}

fn required_scenario(input: &InputArgs, command: &str) -> Result<Scenario, Fail> {
    match input.scenario.as_deref() {
        Some(path) => load_scenario(path),
        None => Err(Fail::usage(format!("{command} needs --scenario S.ron"))),
    }
}

/// Imports every file; returns the usage and one report per file.
fn import_all(
    input: &InputArgs,
    scenario: Option<&Scenario>,
) -> Result<(Usage, Vec<Report>), Fail> {
    let zone = match (&input.time_zone, scenario) {
        (Some(z), _) => z.clone(),
        (None, Some(s)) => s.server_time_zone.clone(),
        (None, None) => "America/New_York".to_string(),
    };
    let time_zone = scenario::parse_tz(&zone).map_err(Fail::usage)?;
    let opts = ImportOptions {
        time_zone,
        kind: input.kind,
    };
    let mut usage = Usage::default();
    let mut reports = Vec::new();
    for path in &input.files {
        match ingest::import_path(path, &opts, &mut usage, &NoProgress) {
            Ok(report) => reports.push(report),
            Err(e) => {
                let mut report = Report::new(path.display().to_string());
                report.fatal = true;
                report.problem(0, e.to_string());
                reports.push(report);
            }
        }
    }
    let missing = ingest::users_missing_from_directory(&usage);
    if !missing.is_empty() {
        const SHOWN: usize = 20;
        let more = missing.len().saturating_sub(SHOWN);
        eprintln!(
            "{} users have usage but no row in the user directory (no department, office or zone): {}{}",
            missing.len(),
            missing[..missing.len().min(SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
    }
    Ok((usage, reports))
}

/// Prints what each import did to stderr; all problems when `all`, else the
/// first few per file.
fn print_reports(reports: &[Report], all: bool) {
    const FEW: usize = 10;
    for r in reports {
        let kind = r.kind.map_or("unreadable", SourceKind::as_str);
        let skipped: Vec<String> = r.skipped.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let skipped = if skipped.is_empty() {
            String::new()
        } else {
            format!(" ({})", skipped.join(", "))
        };
        eprintln!(
            "{}: {kind}, {} lines read, {} used, {} skipped{skipped}",
            r.file,
            r.lines_read,
            r.lines_used,
            r.lines_skipped(),
        );
        if !r.counts.is_empty() {
            let counts: Vec<String> = r.counts.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            eprintln!("  {}", counts.join(", "));
        }
        let shown = if all {
            r.problems.len()
        } else {
            FEW.min(r.problems.len())
        };
        for p in &r.problems[..shown] {
            eprintln!("{p}");
        }
        let hidden = (r.problems.len() - shown) as u64 + r.problems_not_kept;
        if hidden > 0 {
            let hint = if all {
                "not kept"
            } else {
                "`tokenplan check` lists them"
            };
            eprintln!("{}: ... and {hidden} more problems ({hint})", r.file);
        }
    }
}

fn had_errors(reports: &[Report]) -> u8 {
    u8::from(reports.iter().any(Report::has_errors))
}

fn check(input: &InputArgs) -> Result<u8, Fail> {
    let scenario = input.scenario.as_deref().map(load_scenario).transpose()?;
    let (usage, reports) = import_all(input, scenario.as_ref())?;
    print_reports(&reports, true);
    eprintln!(
        "{} files: {} users, {} sessions, {} vendor charges, {} denials",
        reports.len(),
        usage.users.len(),
        usage.sessions.len(),
        usage.vendor_charges.len(),
        usage.denials.len()
    );
    Ok(had_errors(&reports))
}

/// Loads the scenario and imports the files, printing the import reports.
fn load(input: &InputArgs, command: &str) -> Result<(Scenario, Usage, u8), Fail> {
    let scenario = required_scenario(input, command)?;
    let (usage, reports) = import_all(input, Some(&scenario))?;
    print_reports(&reports, false);
    Ok((scenario, usage, had_errors(&reports)))
}

/// Says which features were not charged and which matched several products.
fn print_mapping(unmapped: &BTreeMap<String, u64>, ambiguities: &[meter::Ambiguity]) {
    for (feature, sessions) in unmapped {
        eprintln!(
            "unmapped feature {feature}: {sessions} sessions not charged (map it to a product in the scenario)"
        );
    }
    for a in ambiguities {
        eprintln!(
            "feature {} matches products {}; charged as {}{}",
            a.feature,
            a.candidates.join(", "),
            a.chosen,
            if a.tied {
                " (equally specific patterns: first code wins; make the patterns distinct)"
            } else {
                " (the most specific pattern)"
            }
        );
    }
}

/// Imports and meters.
fn import_and_meter(input: &InputArgs, command: &str) -> Result<Loaded, Fail> {
    let (scenario, usage, exit) = load(input, command)?;
    let metered = meter::meter(&usage, &scenario, &NoProgress).map_err(Fail::input)?;
    print_mapping(&metered.unmapped, &metered.ambiguities);
    Ok(Loaded {
        exit,
        scenario,
        usage,
        metered,
    })
}

/// Everything a command works from.
struct Loaded {
    exit: u8,
    scenario: Scenario,
    usage: Usage,
    metered: Metered,
}

fn meter_cmd(input: &InputArgs, by: By, format: DataFormat) -> Result<u8, Fail> {
    let (scenario, usage, exit) = load(input, "meter")?;
    let summary = meter::meter_summary(&usage, &scenario, &NoProgress).map_err(Fail::input)?;
    print_mapping(&summary.unmapped, &summary.ambiguities);
    emit(&meter_output(&summary, &usage, by, format)?, None)?;
    Ok(exit)
}

/// One output row of `meter`.
#[derive(serde::Serialize)]
struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    charges: u64,
    #[serde(serialize_with = "plain_decimal")]
    tokens: Decimal,
}

fn plain_decimal<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.normalize().to_string())
}

/// The rows of `meter` in output order.
fn meter_rows<'a>(metered: &'a MeterSummary, usage: &'a Usage, by: By) -> Vec<Row<'a>> {
    let row = |user, product, date, t: Total| Row {
        user,
        product,
        date,
        charges: t.charges,
        tokens: t.tokens,
    };
    match by {
        By::UserProduct => metered
            .pairs
            .iter()
            .map(|p| {
                row(
                    Some(usage.users.name(p.user)),
                    Some(metered.product_code(p.product)),
                    None,
                    p.total,
                )
            })
            .collect(),
        By::User => metered
            .by_user()
            .into_iter()
            .map(|(u, t)| row(Some(usage.users.name(u)), None, None, t))
            .collect(),
        By::Product => metered
            .by_product()
            .into_iter()
            .map(|(p, t)| row(None, Some(metered.product_code(p)), None, t))
            .collect(),
        By::Day => metered
            .by_day
            .iter()
            .map(|(&d, &t)| row(None, None, Some(crate::time::date_of_day(d).to_string()), t))
            .collect(),
    }
}

fn meter_output(
    metered: &MeterSummary,
    usage: &Usage,
    by: By,
    format: DataFormat,
) -> Result<String, Fail> {
    let rows = meter_rows(metered, usage, by);
    match format {
        DataFormat::Csv => {
            let header: &[&str] = match by {
                By::UserProduct => &["user", "product", "charges", "tokens"],
                By::User => &["user", "charges", "tokens"],
                By::Product => &["product", "charges", "tokens"],
                By::Day => &["date", "charges", "tokens"],
            };
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(rows.len() * 32));
            let csv_fail = |e: csv::Error| Fail::input(format!("cannot write CSV: {e}"));
            w.write_record(header).map_err(csv_fail)?;
            for r in &rows {
                let charges = r.charges.to_string();
                let tokens = r.tokens.normalize().to_string();
                let mut rec: Vec<&str> = Vec::with_capacity(4);
                rec.extend(r.user);
                rec.extend(r.product);
                rec.extend(r.date.as_deref());
                rec.push(&charges);
                rec.push(&tokens);
                w.write_record(&rec).map_err(csv_fail)?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
            String::from_utf8(bytes).map_err(Fail::input)
        }
        DataFormat::Json => {
            let by = match by {
                By::UserProduct => "user-product",
                By::User => "user",
                By::Product => "product",
                By::Day => "day",
            };
            let doc = serde_json::json!({
                "by": by,
                "rows": rows,
                "unmapped": metered.unmapped,
                "free_sessions": metered.free_sessions,
            });
            to_json(&doc)
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, Fail> {
    let mut s = serde_json::to_string_pretty(value).map_err(Fail::input)?;
    s.push('\n');
    Ok(s)
}

fn recommend_cmd(input: &InputArgs, format: ReportFormat, out: Option<&Path>) -> Result<u8, Fail> {
    let loaded = import_and_meter(input, "recommend")?;
    let report =
        plan::recommend(&loaded.metered, &loaded.usage, &loaded.scenario).map_err(Fail::input)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let text = match format {
        ReportFormat::Json => to_json(&report)?,
        ReportFormat::Csv => {
            let mut bytes = Vec::new();
            report
                .write_reassignment_csv(&mut bytes)
                .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
            String::from_utf8(bytes).map_err(Fail::input)?
        }
        ReportFormat::Table => recommend_table(&report, &loaded.scenario),
    };
    emit(&text, out)?;
    Ok(loaded.exit)
}

/// The readable summary of a recommendation.
fn recommend_table(r: &plan::RecommendReport, scenario: &Scenario) -> String {
    let cur = &scenario.currency;
    let mut s = String::new();
    let _ = writeln!(s, "Recommended mix: {cur} {} a year", r.total_annual_cost);
    let _ = writeln!(
        s,
        "  subscriptions {cur} {}   tokens {} at {cur} {} = {cur} {}",
        r.subscription_cost, r.annual_tokens, r.token_price, r.token_cost
    );
    let _ = writeln!(s, "Baselines:");
    let _ = writeln!(s, "  all tokens         {cur} {}", r.baselines.all_tokens);
    let _ = writeln!(
        s,
        "  all subscriptions  {cur} {}",
        r.baselines.all_subscriptions
    );
    if let Some(current) = &r.baselines.current {
        let _ = writeln!(s, "  current            {cur} {current}");
    }
    let _ = writeln!(s, "Seats:");
    for (code, n) in &r.seats {
        let _ = writeln!(s, "  {code:<10} {n}");
    }
    let _ = writeln!(s, "Crossover (subscription pays off above):");
    for c in &r.crossover {
        if let (Some(y), Some(m)) = (&c.days_per_year, &c.days_per_month) {
            let _ = writeln!(
                s,
                "  {:<8} {:<8} {y:>8} days/year {m:>7} days/month",
                c.subscription, c.product
            );
        }
    }
    let mut movers: Vec<_> = r
        .users
        .iter()
        .filter(|u| u.subscriptions != u.current_plan)
        .collect();
    movers.sort_by(|a, b| b.saving.cmp(&a.saving).then_with(|| a.user.cmp(&b.user)));
    let _ = writeln!(
        s,
        "Users whose plan changes: {} of {} (full list: --format csv)",
        movers.len(),
        r.users.len()
    );
    for u in movers.iter().take(15) {
        let plan_of = |p: &[String]| {
            if p.is_empty() {
                "tokens".to_string()
            } else {
                p.join("+")
            }
        };
        let _ = writeln!(
            s,
            "  {:<14} {:>12} -> {:<12} saves {cur} {}",
            u.user,
            plan_of(&u.current_plan),
            plan_of(&u.subscriptions),
            u.saving
        );
    }
    s
}

fn size_cmd(
    input: &InputArgs,
    trials: Option<u32>,
    seed: Option<u64>,
    pool_sizes: &[u32],
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    let loaded = import_and_meter(input, "size")?;
    let (scenario, metered) = (&loaded.scenario, &loaded.metered);
    // The token pool to buy serves what the recommended mix leaves to tokens.
    let input_plan = PlanInput::new(metered, &loaded.usage, scenario).map_err(Fail::input)?;
    let rec = plan::optimise_default(&input_plan).map_err(Fail::input)?;
    let covered = plan::covered_products(&input_plan, &rec);
    let pooled: Vec<bool> = metered
        .rules
        .iter()
        .map(|r| matches!(r.kind, meter::RuleKind::Concurrent))
        .collect();
    let history = ledger::daily_demand_where(metered, |user, product| {
        let idx = usize::from(product);
        !pooled.get(idx).copied().unwrap_or(false)
            && covered.get(&user).is_none_or(|m| m & (1u128 << idx) == 0)
    });
    let mut options = ledger::SizingOptions::from_scenario(scenario);
    if let Some(t) = trials {
        options.trials = t;
    }
    if let Some(s) = seed {
        options.seed = s;
    }
    let mut report =
        ledger::size(&history, scenario, &options, &NoProgress).map_err(Fail::input)?;
    report.pools =
        ledger::pools::size_pools(metered, scenario.sizing.target_denial_rate, pool_sizes);
    let text = match format {
        ReportFormat::Json => to_json(&report)?,
        ReportFormat::Csv => size_csv(&report)?,
        ReportFormat::Table => size_table(&report, scenario),
    };
    emit(&text, out)?;
    Ok(loaded.exit)
}

fn term_cmd(input: &InputArgs, format: ReportFormat, out: Option<&Path>) -> Result<u8, Fail> {
    let loaded = import_and_meter(input, "term")?;
    let analysis = term::analyse_term(
        &loaded.metered,
        &loaded.usage,
        &loaded.scenario,
        term::SearchOptions::default(),
    )
    .map_err(Fail::input)?;
    for w in &analysis.warnings {
        eprintln!("warning: {w}");
    }
    let text = match format {
        ReportFormat::Json => to_json(&term::TermReport::new(&analysis))?,
        ReportFormat::Csv => {
            let mut bytes = Vec::new();
            analysis
                .write_csv(&mut bytes)
                .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
            String::from_utf8(bytes).map_err(Fail::input)?
        }
        ReportFormat::Table => analysis.table(&loaded.scenario.currency),
    };
    emit(&text, out)?;
    Ok(loaded.exit)
}

fn size_csv(report: &ledger::SizeReport) -> Result<String, Fail> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Fail::input(format!("cannot write CSV: {e}"));
    w.write_record([
        "annual_tokens_per_year",
        "contract_tokens",
        "expected_cost",
        "p10_cost",
        "p50_cost",
        "p90_cost",
        "expected_expired",
        "overage_probability",
        "recommended",
    ])
    .map_err(fail)?;
    for (i, p) in report.plans.iter().enumerate() {
        w.write_record([
            p.annual_tokens_per_year.to_string(),
            p.contract_tokens.to_string(),
            p.expected_cost.to_string(),
            p.p10_cost.to_string(),
            p.p50_cost.to_string(),
            p.p90_cost.to_string(),
            p.expected_expired.to_string(),
            p.overage_probability.to_string(),
            if i == report.recommended { "yes" } else { "" }.to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(Fail::input)
}

fn size_table(report: &ledger::SizeReport, scenario: &Scenario) -> String {
    let cur = &scenario.currency;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Token pool over {} years from {} ({} trials, seed {}); mean annual demand {} tokens",
        report.term_years,
        report.term_start,
        report.trials,
        report.seed,
        report.mean_annual_demand.round_dp(0)
    );
    let _ = writeln!(
        s,
        "{:>3} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12} {:>9}",
        "", "annual/yr", "contract", "expected", "P10", "P90", "expired", "P(over)"
    );
    let mut line = |label: &str, i: usize| {
        if let Some(p) = report.plans.get(i) {
            let _ = writeln!(
                s,
                "{label:>3} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12} {:>9}",
                p.annual_tokens_per_year.round_dp(0),
                p.contract_tokens.round_dp(0),
                format!("{cur} {}", p.expected_cost),
                p.p10_cost,
                p.p90_cost,
                p.expected_expired.round_dp(0),
                p.overage_probability
            );
        }
    };
    let _ = &report.side_by_side;
    if let Some(i) = report.side_by_side.annual_only {
        line("A", i);
    }
    if let Some(i) = report.side_by_side.contract_only {
        line("C", i);
    }
    if let Some(i) = report.side_by_side.best_mix {
        line("M", i);
    }
    line("*", report.recommended);
    if let Some(i) = report.recommended_within_risk {
        line("R", i);
    }
    let _ = writeln!(
        s,
        "A annual-only, C contract-only, M best mix, * lowest expected cost, R cheapest within the risk limit ({})",
        scenario.sizing.risk_limit
    );
    for p in &report.pools {
        let _ = writeln!(
            s,
            "Pool {}: peak {} tokens; size for the target denial rate: {}",
            p.pool, p.peak, p.size_for_target
        );
    }
    s
}

fn audit_cmd(
    input: &InputArgs,
    options: &AuditOptions,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    let loaded = import_and_meter(input, "audit")?;
    let report = monitor::audit(
        &loaded.usage,
        &loaded.scenario,
        &loaded.metered,
        options,
        &NoProgress,
    )
    .map_err(Fail::input)?;
    let text = match format {
        ReportFormat::Json => to_json(&report)?,
        ReportFormat::Csv => audit_csv(&report)?,
        ReportFormat::Table => audit_table(&report, &loaded.scenario),
    };
    emit(&text, out)?;
    Ok(loaded.exit)
}

/// `audit --format csv`: the day-boundary charges, the list to act on.
fn audit_csv(report: &monitor::AuditReport) -> Result<String, Fail> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &report.day_boundary {
        w.serialize(row)
            .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(Fail::input)
}

fn audit_table(report: &monitor::AuditReport, scenario: &Scenario) -> String {
    let cur = &scenario.currency;
    let mut s = String::new();
    let _ = writeln!(s, "Shadow bill (the whole history under each rule):");
    for row in &report.shadow_bill {
        let _ = writeln!(
            s,
            "  {:<12} {:>14} tokens   {cur} {}",
            row.rule, row.tokens, row.cost
        );
    }
    let _ = writeln!(
        s,
        "Day-boundary charges: {} ({} tokens, {cur} {})",
        report.day_boundary.len(),
        report.day_boundary_summary.tokens,
        report.day_boundary_summary.cost
    );
    let _ = writeln!(
        s,
        "Double-dip charges: {} ({} tokens, {cur} {})",
        report.double_dip.len(),
        report.double_dip_summary.tokens,
        report.double_dip_summary.cost
    );
    for w in &report.idle {
        let _ = writeln!(
            s,
            "Harvest ({}): saves {} tokens ({cur} {})",
            w.description, w.tokens_saved, w.saving
        );
    }
    let b = &report.burn_summary;
    let _ = writeln!(
        s,
        "Burn as of {}: month to date {} tokens, projected month {} at {}/day; {} days over the alert",
        report
            .today
            .map_or_else(|| "-".to_string(), |d| d.to_string()),
        b.month_to_date,
        b.projected_month,
        b.daily_rate.round_dp(2),
        b.days_over_alert.len()
    );
    s
}
