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

use crate::ingest::{self, ColumnMap, ImportOptions, Report, SourceKind};
use crate::ledger;
use crate::meter::{self, MeterSummary, Metered, Total};
use crate::monitor::{self, AuditOptions};
use crate::plan;
use crate::privacy::{self, Pseudonymizer};
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
        #[command(flatten)]
        export: ExportArgs,
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
        #[command(flatten)]
        export: ExportArgs,
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
        #[command(flatten)]
        export: ExportArgs,
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
        #[command(flatten)]
        export: ExportArgs,
    },
    /// Put the names back into a pseudonymised export: the inputs it was
    /// made from supply the names (SPEC §1.6).
    Reveal {
        /// The key file the export was pseudonymised with.
        keyfile: PathBuf,
        /// The pseudonymised file (CSV, JSON or text).
        file: PathBuf,
        #[command(flatten)]
        input: InputArgs,
        /// Write the restored file here (atomically) instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// Who may read what a command writes (SPEC §1.6).
#[derive(Debug, Default, clap::Args)]
pub struct ExportArgs {
    /// Replace every user and host name in the output by a keyed pseudonym
    /// (`u-…`, `h-…`); the key is read from KEYFILE, or created there (32
    /// random bytes, readable by you only) on first use. `tokenplan reveal`
    /// maps a returned file back.
    #[arg(long, value_name = "KEYFILE")]
    pseudonymize: Option<PathBuf>,
}

/// Files and how to read them.
#[derive(Debug, clap::Args)]
pub struct InputArgs {
    /// Input files: session CSV, FlexNet debug log, Token Flex export, usage
    /// report, user directory, current assignments, alias table (CSV or
    /// XLSX), `lmstat -a` snapshots, RLM report log (kind detected from
    /// content).
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
    /// Date (YYYY-MM-DD) of the first line of a debug log that never says
    /// its date (no TIMESTAMP, start banner or system date line).
    #[arg(long)]
    start_date: Option<NaiveDate>,
    /// Which column is which, for a table whose header has every column
    /// named, e.g. user=Email,product=Product,date="Day used" (roles: user,
    /// product, start, end, host, tokens, date, days_used, month,
    /// department, cost_center, location, time_zone, subscription, alias).
    #[arg(long, value_name = "MAP")]
    columns: Option<ColumnMap>,
    /// The worksheet of XLSX inputs to read (default: the first).
    #[arg(long, value_name = "NAME")]
    sheet: Option<String>,
}

/// How `meter` groups charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum By {
    /// One row per (user, product).
    UserProduct,
    /// One row per user.
    User,
    /// One row per product (a `DailyPeak` product: its share of the pool's
    /// daily peaks), then a subtotal row per shared `DailyPeak` pool.
    Product,
    /// One row per local date (a `DailyPeak` pool counts its daily peak).
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
        Command::Meter {
            input,
            by,
            format,
            export,
        } => meter_cmd(&input, &export, by, format),
        Command::Recommend {
            input,
            format,
            out,
            export,
        } => recommend_cmd(&input, &export, format, out.as_deref()),
        Command::Size {
            input,
            trials,
            seed,
            pool_sizes,
            format,
            out,
            export,
        } => {
            let sizing = SizeArgs {
                trials,
                seed,
                pool_sizes: &pool_sizes,
            };
            size_cmd(&input, &export, &sizing, format, out.as_deref())
        }
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
            export,
        } => {
            let options = AuditOptions {
                today,
                balance,
                alert_tokens_per_day: alert,
                server_zones,
                office_zones: office_zones.into_iter().collect(),
                ..AuditOptions::default()
            };
            audit_cmd(&input, &export, &options, format, out.as_deref())
        }
        Command::Reveal {
            keyfile,
            file,
            input,
            out,
        } => reveal_cmd(&keyfile, &file, &input, out.as_deref()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(fail) => {
            eprintln!("tokenplan: {}", fail.message);
            ExitCode::from(fail.code)
        }
    }
}

/// Writes `text` to `out` atomically, or to stdout; a pseudonymised
/// export is checked for original names first and not written if any is
/// left.
fn emit(text: &str, out: Option<&Path>, privacy: Option<&Pseudonymizer>) -> Result<(), Fail> {
    if let Some(p) = privacy {
        p.guard(text.as_bytes()).map_err(Fail::input)?;
    }
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
        start_date: input.start_date,
        sheet: input.sheet.clone(),
        columns: input.columns.clone(),
    };
    let mut usage = Usage::default();
    let imported = ingest::import_files(
        &mut usage,
        &input.files,
        &opts,
        ingest::OnFatal::KeepPartial,
        &NoProgress,
    );
    print_identities(&ingest::identities(&usage));
    if let Some(note) = imported.missing_note() {
        eprintln!("{note}");
    }
    let reports = imported.reports();
    Ok((usage, reports))
}

/// Says what the alias tables joined and which names look like one
/// person's but are not joined.
fn print_identities(id: &ingest::Identities) {
    const SHOWN: usize = 10;
    if id.aliases > 0 {
        let records: u64 = id.applied.iter().map(|a| a.3).sum();
        eprintln!(
            "identities: {} aliases; {} input names joined to their user ({records} records renamed)",
            id.aliases,
            id.names_joined()
        );
        if !id.unused.is_empty() {
            eprintln!(
                "  {} aliases match no input name: {}",
                id.unused.len(),
                id.unused.join(", ")
            );
        }
    }
    if !id.likely_duplicates.is_empty() {
        let groups: Vec<String> = id
            .likely_duplicates
            .iter()
            .take(SHOWN)
            .map(|g| g.join(" = "))
            .collect();
        let more = id.likely_duplicates.len().saturating_sub(SHOWN);
        eprintln!(
            "{} groups of user names look like one person (same login or e-mail local part) but are not joined; an alias table (alias,user) joins them: {}{}",
            id.likely_duplicates.len(),
            groups.join("; "),
            if more > 0 {
                format!("; and {more} more")
            } else {
                String::new()
            }
        );
    }
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
        "{} files: {} users, {} sessions, {} use-days, {} vendor charges, {} denials",
        reports.len(),
        usage.users.len(),
        usage.sessions.len(),
        usage.use_days.len(),
        usage.vendor_charges.len(),
        usage.denials.len()
    );
    Ok(had_errors(&reports))
}

/// Loads the scenario and imports the files, printing the import reports;
/// with `--pseudonymize`, users and hosts are renamed to their pseudonyms
/// before anything is computed from them.
fn load(input: &InputArgs, export: &ExportArgs, command: &str) -> Result<Prepared, Fail> {
    let mut scenario = required_scenario(input, command)?;
    let (mut usage, reports) = import_all(input, Some(&scenario))?;
    print_reports(&reports, false);
    let privacy = match export.pseudonymize.as_deref() {
        None => None,
        Some(keyfile) => {
            Some(privacy::prepare(keyfile, &mut usage, Some(&mut scenario)).map_err(Fail::input)?)
        }
    };
    Ok(Prepared {
        scenario,
        usage,
        exit: had_errors(&reports),
        privacy,
    })
}

/// What [`load`] prepared.
struct Prepared {
    scenario: Scenario,
    usage: Usage,
    exit: u8,
    privacy: Option<Pseudonymizer>,
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

/// Says what use-days could not be metered exactly, or at all.
fn print_use_days(use_days: &meter::UseDayMeter) {
    for w in use_days.warnings() {
        eprintln!("warning: {w}");
    }
}

/// Imports and meters.
fn import_and_meter(input: &InputArgs, export: &ExportArgs, command: &str) -> Result<Loaded, Fail> {
    let p = load(input, export, command)?;
    let metered = meter::meter(&p.usage, &p.scenario, &NoProgress).map_err(Fail::input)?;
    print_mapping(&metered.unmapped, &metered.ambiguities);
    print_use_days(&metered.use_days);
    Ok(Loaded {
        exit: p.exit,
        scenario: p.scenario,
        usage: p.usage,
        metered,
        privacy: p.privacy,
    })
}

/// Everything a command works from.
struct Loaded {
    exit: u8,
    scenario: Scenario,
    usage: Usage,
    metered: Metered,
    privacy: Option<Pseudonymizer>,
}

fn meter_cmd(
    input: &InputArgs,
    export: &ExportArgs,
    by: By,
    format: DataFormat,
) -> Result<u8, Fail> {
    let p = load(input, export, "meter")?;
    let summary = meter::meter_summary(&p.usage, &p.scenario, &NoProgress).map_err(Fail::input)?;
    print_mapping(&summary.unmapped, &summary.ambiguities);
    print_use_days(&summary.use_days);
    let text = meter_output(&summary, &p.usage, by, format)?;
    emit(&text, None, p.privacy.as_ref())?;
    Ok(p.exit)
}

/// One output row of `meter`.
#[derive(serde::Serialize)]
struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<&'a str>,
    /// A shared `DailyPeak` pool's subtotal row (`--by product`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pool: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    charges: u64,
    #[serde(serialize_with = "plain_decimal")]
    tokens: Decimal,
    /// Some charges' dates are only their month's (usage reports' month rows).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dated_by_month: bool,
}

fn plain_decimal<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.normalize().to_string())
}

/// The rows of `meter` in output order. `--by product` ends with one
/// subtotal row per `DailyPeak` pool that several products share: its
/// products' rows added up, the tokens being the pool's daily peaks (each
/// product's row holds its share, SPEC §4), so the subtotal is not to be
/// added to them again. CSV writes its product column as `pool:NAME`, JSON
/// a `pool` field instead of `product`.
fn meter_rows<'a>(metered: &'a MeterSummary, usage: &'a Usage, by: By) -> Vec<Row<'a>> {
    let row = |user, product, date, t: Total| Row {
        user,
        product,
        pool: None,
        date,
        charges: t.charges,
        tokens: t.tokens,
        dated_by_month: false,
    };
    let flagged = &metered.use_days.dated_by_month;
    let pair_flagged: std::collections::BTreeSet<(u32, meter::ProductIdx)> =
        flagged.iter().map(|&(u, p, _)| (u, p)).collect();
    let day_flagged = metered.use_days.days_dated_by_month();
    match by {
        By::UserProduct => metered
            .pairs
            .iter()
            .map(|p| Row {
                dated_by_month: pair_flagged.contains(&(p.user, p.product)),
                ..row(
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
        By::Product => {
            let mut rows: Vec<Row<'a>> = metered
                .by_product()
                .into_iter()
                .map(|(p, t)| row(None, Some(metered.product_code(p)), None, t))
                .collect();
            for (pool, t) in metered.shared_pools() {
                rows.push(Row {
                    pool: Some(pool),
                    ..row(None, None, None, t)
                });
            }
            rows
        }
        By::Day => metered
            .by_day
            .iter()
            .map(|(&d, &t)| Row {
                dated_by_month: day_flagged.contains(&d),
                ..row(None, None, Some(crate::time::date_of_day(d).to_string()), t)
            })
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
                let pool = r.pool.map(|p| format!("pool:{p}"));
                let mut rec: Vec<&str> = Vec::with_capacity(4);
                rec.extend(r.user);
                rec.extend(r.product);
                rec.extend(pool.as_deref());
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
                "use_days": {
                    "charged": metered.use_days.charged,
                    "joined": metered.use_days.joined,
                    "dated_by_month": metered.use_days.dated_by_month.len(),
                    "unmapped": metered.use_days.unmapped,
                },
                "warnings": metered.use_days.warnings(),
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

fn recommend_cmd(
    input: &InputArgs,
    export: &ExportArgs,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    let loaded = import_and_meter(input, export, "recommend")?;
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
    emit(&text, out, loaded.privacy.as_ref())?;
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
    let beyond = &r.tokens_beyond_forecast;
    if !beyond.tokens.0.is_zero() {
        let _ = writeln!(
            s,
            "  of which {} tokens beyond the forecast of {} ({cur} {})",
            beyond.tokens, r.tokens_needed, beyond.cost
        );
    }
    for p in &r.daily_peak_pools {
        let _ = writeln!(
            s,
            "  token-days pool {} ({}): {} tokens of the forecast",
            p.pool,
            p.products.join(", "),
            p.forecast_tokens
        );
    }
    for p in &r.pools {
        let price = p
            .price
            .map_or_else(|| "no price".to_string(), |x| format!("{cur} {x}"));
        let _ = writeln!(
            s,
            "  pool {} ({}): {} tokens at {price} = {cur} {}",
            p.pool,
            p.products.join(", "),
            p.size,
            p.cost
        );
    }
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
    let _ = writeln!(
        s,
        "Crossover at the marginal token price {cur} {} (subscription pays off above):",
        r.marginal_token_price
    );
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

/// `size`'s own options.
struct SizeArgs<'a> {
    trials: Option<u32>,
    seed: Option<u64>,
    pool_sizes: &'a [u32],
}

fn size_cmd(
    input: &InputArgs,
    export: &ExportArgs,
    args: &SizeArgs<'_>,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    let SizeArgs {
        trials,
        seed,
        pool_sizes,
    } = *args;
    let loaded = import_and_meter(input, export, "size")?;
    let (scenario, metered) = (&loaded.scenario, &loaded.metered);
    // The token pool to buy serves what the recommended mix leaves to tokens.
    let history = plan::token_demand(metered, &loaded.usage, scenario).map_err(Fail::input)?;
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
    // A short window is said in every output that forecasts (SPEC §4).
    let history_days = u32::try_from(report.history_days).unwrap_or(u32::MAX);
    report.warnings.extend(plan::short_window_warning(
        history_days,
        scenario.forecast.history_days,
    ));
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let text = match format {
        ReportFormat::Json => to_json(&report)?,
        ReportFormat::Csv => size_csv(&report)?,
        ReportFormat::Table => size_table(&report, scenario),
    };
    emit(&text, out, loaded.privacy.as_ref())?;
    Ok(loaded.exit)
}

fn term_cmd(input: &InputArgs, format: ReportFormat, out: Option<&Path>) -> Result<u8, Fail> {
    // The term's output names no user or host: nothing to pseudonymise.
    let loaded = import_and_meter(input, &ExportArgs { pseudonymize: None }, "term")?;
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
    emit(&text, out, None)?;
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
        "expected_unserved",
        "unserved_probability",
        "within_risk",
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
            p.expected_unserved.to_string(),
            p.unserved_probability.to_string(),
            if report.recommended_within_risk == Some(i) {
                "yes"
            } else {
                ""
            }
            .to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    let mut text = String::from_utf8(bytes).map_err(Fail::input)?;
    if !report.pools.is_empty() {
        text.push('\n');
        text.push_str(&size_pools_csv(&report.pools)?);
    }
    Ok(text)
}

/// `size --format csv`'s second table, after a blank line: one row per
/// `Concurrent` pool, served and added-back demand apart (SPEC §5).
fn size_pools_csv(pools: &[ledger::PoolSizing]) -> Result<String, Fail> {
    let fail = |e: csv::Error| Fail::input(format!("cannot write CSV: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "products",
        "peak",
        "demand_peak",
        "checkouts",
        "added_back_checkouts",
        "denials_logged",
        "entitlement_records",
        "chained_denials",
        "served_denials",
        "target_denial_rate",
        "size_for_target",
    ])
    .map_err(fail)?;
    for p in pools {
        let d = &p.denied_demand;
        w.write_record([
            p.pool.clone(),
            p.products.join(" "),
            p.peak.to_string(),
            p.demand_peak.to_string(),
            p.checkouts.to_string(),
            p.added_back_checkouts.to_string(),
            d.logged.to_string(),
            d.entitlement_records.to_string(),
            d.chained.to_string(),
            d.served.to_string(),
            p.target_denial_rate.to_string(),
            p.size_for_target.to_string(),
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
    // Refused demand is shown only when the contract can refuse it.
    let refuses = !matches!(
        scenario.contract.overdraft,
        scenario::Overdraft::Unlimited | scenario::Overdraft::TopUp
    );
    let _ = writeln!(
        s,
        "{:>3} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12} {:>9}{}",
        "",
        "annual/yr",
        "contract",
        "expected",
        "P10",
        "P90",
        "expired",
        "P(over)",
        if refuses {
            format!(" {:>12} {:>10}", "refused", "P(refused)")
        } else {
            String::new()
        }
    );
    let mut line = |label: &str, i: usize| {
        if let Some(p) = report.plans.get(i) {
            let _ = writeln!(
                s,
                "{label:>3} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12} {:>9}{}",
                p.annual_tokens_per_year.round_dp(0),
                p.contract_tokens.round_dp(0),
                format!("{cur} {}", p.expected_cost),
                p.p10_cost,
                p.p90_cost,
                p.expected_expired.round_dp(0),
                p.overage_probability,
                if refuses {
                    format!(
                        " {:>12} {:>10}",
                        p.expected_unserved.round_dp(0),
                        p.unserved_probability
                    )
                } else {
                    String::new()
                }
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
        "A annual-only, C contract-only, M best mix, * recommended (lowest expected cost{}), \
         R cheapest within the risk limit ({})",
        if refuses {
            " refusing within the risk limit"
        } else {
            ""
        },
        scenario.sizing.risk_limit
    );

    for p in &report.pools {
        let _ = writeln!(
            s,
            "Pool {}: peak {} tokens over {} checkouts; size for the target denial rate: {}",
            p.pool, p.peak, p.checkouts, p.size_for_target
        );
        let d = &p.denied_demand;
        if d.logged > 0 {
            let _ = writeln!(
                s,
                "  denied demand: {} denials logged, {} added back as checkouts (peak {} with them); \
                 not added back: entitlement records {}, retries of an earlier denial {}, \
                 served within 15 minutes {}",
                d.logged,
                p.added_back_checkouts,
                p.demand_peak,
                d.entitlement_records,
                d.chained,
                d.served
            );
        }
    }
    s
}

fn audit_cmd(
    input: &InputArgs,
    export: &ExportArgs,
    options: &AuditOptions,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    let loaded = import_and_meter(input, export, "audit")?;
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
    emit(&text, out, loaded.privacy.as_ref())?;
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
            "  {:<12} {:>14} tokens   {cur} {}{}",
            row.rule,
            row.tokens,
            row.cost,
            row.error
                .as_ref()
                .map_or_else(String::new, |e| format!("   ({e})"))
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

/// `reveal KEYFILE FILE INPUTS...`: the names the inputs supply put back in
/// place of their pseudonyms.
fn reveal_cmd(
    keyfile: &Path,
    file: &Path,
    input: &InputArgs,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    // Revealing never creates a key: a missing one is a mistake to report.
    let key = privacy::Key::load(keyfile).map_err(Fail::input)?;
    let scenario = input.scenario.as_deref().map(load_scenario).transpose()?;
    let (usage, reports) = import_all(input, scenario.as_ref())?;
    print_reports(&reports, false);
    let content = std::fs::read_to_string(file)
        .map_err(|e| Fail::input(format!("{}: cannot read: {e}", file.display())))?;
    let names = privacy::names_of(&key, &usage, scenario.as_ref());
    let format = privacy::Format::guess(&file.display().to_string(), &content);
    let revealed = privacy::reveal(&content, format, &names);
    emit(&revealed.text, out, None)?;
    eprintln!(
        "{}: {} pseudonyms replaced",
        file.display(),
        revealed.replaced
    );
    if revealed.unknown.is_empty() {
        return Ok(had_errors(&reports));
    }
    const SHOWN: usize = 10;
    let shown: Vec<&str> = revealed
        .unknown
        .keys()
        .take(SHOWN)
        .map(String::as_str)
        .collect();
    eprintln!(
        "{}: {} pseudonyms are of no user or host in the inputs (left as they are): {}{}",
        file.display(),
        revealed.unknown.len(),
        shown.join(", "),
        if revealed.unknown.len() > SHOWN {
            ", ..."
        } else {
            ""
        }
    );
    Ok(1)
}
