//! The command line: the same engine as the GUI, one subcommand per question
//! (SPEC §7). Output goes to stdout (or `--out FILE`, written atomically),
//! diagnostics to stderr; exit codes are 0 ok, 1 the input had errors
//! (reported), 2 bad usage.
//!
//! This module holds the clap definitions and the dispatch ([`run`]); the
//! shared steps (import, meter, write the output) are in `common`, and
//! each command has a module of its own (`check`, `meter`, `recommend`,
//! `size`, `term`, `pack`, `audit`, `reveal`).

mod audit;
mod check;
mod common;
mod meter;
mod pack;
mod recommend;
mod reveal;
mod size;
mod streamed;
mod term;

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};
use rust_decimal::Decimal;

use crate::ingest::{ColumnMap, SourceKind};
use crate::monitor::AuditOptions;
use crate::scenario;

pub use streamed::Streaming;

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
        /// Stream session CSVs (metered block by block, no session
        /// store): auto = when the inputs are large for this machine's memory.
        #[arg(long, value_enum, default_value_t = Streaming::Auto)]
        stream: Streaming,
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
        /// Stream session CSVs (metered block by block, no session
        /// store): auto = when the inputs are large for this machine's memory.
        #[arg(long, value_enum, default_value_t = Streaming::Auto)]
        stream: Streaming,
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
    /// The negotiation pack (SPEC §9): options over the term, the tornado,
    /// break-even prices, assumptions and sources, as an XLSX workbook.
    Pack {
        #[command(flatten)]
        input: InputArgs,
        /// The workbook to write (atomically).
        #[arg(long)]
        out: PathBuf,
        /// Another scenario to set beside the options.
        #[arg(long, value_name = "B.ron")]
        compare: Option<PathBuf>,
        /// Each input of the tornado moves by ± this share.
        #[arg(long, default_value = "0.1")]
        swing: Decimal,
        #[command(flatten)]
        export: ExportArgs,
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
        Command::Check { input } => check::run(&input),
        Command::Meter {
            input,
            by,
            stream,
            format,
            export,
        } => meter::run(&input, &export, by, format, stream),
        Command::Recommend {
            input,
            format,
            out,
            stream,
            export,
        } => recommend::run(&input, &export, format, out.as_deref(), stream),
        Command::Size {
            input,
            trials,
            seed,
            pool_sizes,
            format,
            out,
            export,
        } => {
            let sizing = size::SizeArgs {
                trials,
                seed,
                pool_sizes: &pool_sizes,
            };
            size::run(&input, &export, &sizing, format, out.as_deref())
        }
        Command::Term { input, format, out } => term::run(&input, format, out.as_deref()),
        Command::Pack {
            input,
            out,
            compare,
            swing,
            export,
        } => {
            let args = pack::PackArgs {
                out: &out,
                compare: compare.as_deref(),
                swing,
            };
            pack::run(&input, &export, &args)
        }
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
            audit::run(&input, &export, &options, format, out.as_deref())
        }
        Command::Reveal {
            keyfile,
            file,
            input,
            out,
        } => reveal::run(&keyfile, &file, &input, out.as_deref()),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(fail) => {
            eprintln!("tokenplan: {}", fail.message);
            ExitCode::from(fail.code)
        }
    }
}
