//! The GUI's only door to the engine: every engine call the app makes goes
//! through a function here, and each runs inside a background job.
//!
//! Errors come back as text with their whole cause chain, ready to be shown
//! once in the notification area.

use std::error::Error;
use std::path::Path;
use std::sync::Arc;

use crate::ingest::{ImportOptions, Report};
use crate::meter::Metered;
use crate::plan::{Baselines, CostCurve, PlanInput, RecommendReport, Recommendation};
use crate::privacy::{Key, Pseudonymizer};
use crate::progress::Progress;
use crate::scenario::{Scenario, ScenarioError, TokenPrice};
use crate::usage::Usage;

/// A validation problem of one scenario field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// Path of the field, e.g. `products.ACD.rates[0].tokens` (empty when
    /// the problem is about the whole scenario).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// `error` and each of its causes, joined by `: `.
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let more = c.to_string();
        // Many errors already print their cause; don't say it twice.
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The bundled sample scenario.
///
/// # Errors
/// When the bundled file is broken (a test pins that it is not).
pub fn sample_scenario() -> Result<Scenario, String> {
    crate::sample::scenario().map_err(|e| error_chain(&e))
}

/// The bundled sample usage, imported in `scenario`'s server zone.
pub fn sample_usage(scenario: &Scenario) -> (Usage, Vec<Report>) {
    crate::sample::usage(scenario)
}

/// Imports each of `paths` into `usage` on its own, kinds detected from
/// the content: a file that fails (even part-way) adds nothing, and the
/// data loaded before stays as it was.
pub fn import_files(
    usage: &mut Usage,
    paths: &[std::path::PathBuf],
    options: &ImportOptions,
    progress: &dyn Progress,
) -> crate::ingest::Imported {
    crate::ingest::import_files(
        usage,
        paths,
        options,
        crate::ingest::OnFatal::Discard,
        progress,
    )
}

/// The note naming the users of `usage` with no row in its user
/// directory (none when there are none, or no directory is loaded).
pub fn missing_note(usage: &Usage) -> Option<String> {
    crate::ingest::Imported {
        files: Vec::new(),
        missing_from_directory: crate::ingest::users_missing_from_directory(usage),
    }
    .missing_note()
}

/// The header and first `rows` rows of the table at `path`, with its
/// kind detected (or why none) and whether a column map can make it
/// readable.
///
/// # Errors
/// The file, or its workbook or sheet, can't be read.
pub fn preview(
    path: &Path,
    options: &ImportOptions,
    rows: usize,
) -> Result<crate::ingest::TablePreview, String> {
    crate::ingest::preview_path(path, options, rows).map_err(|e| error_chain(&e))
}

/// Meters `usage` under `scenario`.
///
/// # Errors
/// When a zone of the scenario is not an IANA zone, a pool rate is not
/// whole, or the job was cancelled.
pub fn meter(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<Metered, String> {
    crate::meter::meter(usage, scenario, progress).map_err(|e| error_chain(&e))
}

/// Reads and validates a scenario file.
///
/// # Errors
/// The file cannot be read, or is not a valid scenario (with line and
/// column, or the field).
pub fn load_scenario(path: &Path) -> Result<Scenario, String> {
    Scenario::load(path).map_err(|e| error_chain(&e))
}

/// Writes a scenario file atomically (temporary file, then rename).
///
/// # Errors
/// When the file cannot be written.
pub fn save_scenario(scenario: &Scenario, path: &Path) -> Result<(), String> {
    scenario.save(path).map_err(|e| error_chain(&e))
}

/// Every validation problem of `scenario`, by field path.
pub fn scenario_problems(scenario: &Scenario) -> Vec<FieldProblem> {
    scenario
        .problems()
        .into_iter()
        .map(|e| match e {
            ScenarioError::Invalid { field, message, .. } => FieldProblem { field, message },
            other => FieldProblem {
                field: String::new(),
                message: error_chain(&other),
            },
        })
        .collect()
}

/// What the Size job computes: the sizing report (pools included), the
/// history it sized from, the simulated demand fan and the exact ledger of
/// the recommended plan on the median simulated term.
pub struct Sized {
    /// `tokenplan size` for these inputs.
    pub report: crate::ledger::SizeReport,
    /// Days of history the demand came from (all of it, before the
    /// scenario's window is applied).
    pub history_days: usize,
    /// Tokens of that history.
    pub history_tokens: rust_decimal::Decimal,
    /// The simulated demand per contract year over the report's trials,
    /// and the median trial.
    pub fan: crate::ledger::DemandFan,
    /// The exact ledger of the recommended plan on the median trial's
    /// path, or why it could not run.
    pub ledger: Result<crate::ledger::LedgerRun, String>,
}

/// The plan sizing starts from: the planner's input and its
/// recommendation at the scenario's token price, as the Plan job made them
/// for the same inputs.
pub type PlanOf<'a> = (&'a PlanInput, &'a Recommendation);

/// Sizes the token purchase as `tokenplan size` does: the daily demand is
/// what the recommended mix leaves to tokens ([`crate::plan::token_demand`]),
/// sized with the scenario's own trials and seed. Given `plan` (the Plan
/// job's of the same inputs), the mix is taken from it instead of being
/// planned again ([`crate::plan::token_demand_of`]: the same demand).
///
/// # Errors
/// When the plan or the sizing cannot run (no demand, a bad contract), or
/// the job was cancelled.
pub fn size_tokens(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    plan: Option<PlanOf<'_>>,
    progress: &dyn Progress,
) -> Result<Sized, String> {
    size_tokens_with(
        usage,
        scenario,
        metered,
        plan,
        &crate::ledger::SizingOptions::from_scenario(scenario),
        progress,
    )
}

/// [`size_tokens`] with explicit sizing options (tests use fewer trials).
///
/// # Errors
/// As [`size_tokens`].
pub fn size_tokens_with(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    plan: Option<PlanOf<'_>>,
    options: &crate::ledger::SizingOptions,
    progress: &dyn Progress,
) -> Result<Sized, String> {
    use crate::ledger;

    let history = match plan {
        Some((input, rec)) => crate::plan::token_demand_of(metered, scenario, input, rec),
        None => {
            let (input, rec) = crate::term::recommend::recommendation(metered, usage, scenario)
                .map_err(|e| error_chain(&e))?;
            crate::plan::token_demand_of(metered, scenario, &input, &rec)
        }
    };
    let mut report =
        ledger::size(&history, scenario, options, progress).map_err(|e| error_chain(&e))?;
    report.pools = ledger::size_pools(metered, scenario.sizing.target_denial_rate, &[]);
    // The same trials and seed as the report, so the fan and the ledger
    // path are the report's own simulated terms.
    let fan =
        ledger::demand_fan(&history, scenario, options, progress).map_err(|e| error_chain(&e))?;
    let ledger = ledger::median_ledger(&report, &fan, scenario).map_err(|e| error_chain(&e));
    Ok(Sized {
        report,
        history_days: history.days(),
        history_tokens: history.tokens(),
        fan,
        ledger,
    })
}

/// The audit options the app runs: the defaults (as of the last charged
/// date, the scenario's alert, the three harvest policies) plus a server
/// on UTC as the zone what-if, unless the server already is on UTC.
pub fn audit_options(scenario: &Scenario) -> crate::monitor::AuditOptions {
    let mut options = crate::monitor::AuditOptions::default();
    if scenario.server_time_zone != "UTC" {
        options.server_zones.push("UTC".into());
    }
    options
}

/// Every monitoring view and what-if ([`crate::monitor::audit`]) with
/// [`audit_options`].
///
/// # Errors
/// When a what-if cannot re-meter (a bad zone) or the job was cancelled.
pub fn audit(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    progress: &dyn Progress,
) -> Result<crate::monitor::AuditReport, String> {
    crate::monitor::audit(usage, scenario, metered, &audit_options(scenario), progress)
        .map_err(|e| error_chain(&e))
}

/// A recommendation with everything the Crossover and Mix views show.
pub struct Planned {
    /// The input it was optimised from (kept to re-optimise at another price).
    pub input: Arc<PlanInput>,
    /// The optimiser's answer.
    pub rec: Recommendation,
    /// The baselines at the same token price.
    pub baselines: Baselines,
    /// The report (`recommend --format json`, the reassignment list).
    pub report: RecommendReport,
    /// One cost curve per subscription, in code order.
    pub curves: Vec<CostCurve>,
}

/// Forecasts demand and precomputes the optimiser's input.
///
/// # Errors
/// When the scenario is beyond the optimiser or a constraint is impossible.
pub fn plan_input(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<PlanInput, String> {
    crate::plan::PlanInput::new(metered, usage, scenario).map_err(|e| error_chain(&e))
}

/// Optimises `input` at `price`, with baselines, report and cost curves.
///
/// # Errors
/// When the token price is unusable or seat limits cannot be met.
pub fn plan(input: Arc<PlanInput>, price: &TokenPrice) -> Result<Planned, String> {
    let rec = crate::plan::optimise(&input, price).map_err(|e| error_chain(&e))?;
    planned(input, rec)
}

/// What `tokenplan recommend` recommends for `input` (made from `metered`,
/// `usage` and `scenario`), with baselines, report and cost curves: the
/// single-year plan at the scenario's token price, or the term plan's year
/// 1 when the term couples its years
/// ([`crate::term::recommend::coupled_year_one`]).
///
/// # Errors
/// When the scenario's prices are unusable or seat limits cannot be met.
pub fn recommended(
    input: Arc<PlanInput>,
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<Planned, String> {
    if !crate::term::recommend::may_couple_years(scenario) {
        return plan(input, &scenario.token_price);
    }
    let demand = term_demand(metered, usage, scenario)?;
    match crate::term::recommend::coupled_year_one(&demand, scenario)
        .map_err(|e| error_chain(&e))?
    {
        Some(rec) => planned(input, rec),
        None => plan(input, &scenario.token_price),
    }
}

/// `rec` of `input` with its baselines, report and cost curves.
fn planned(input: Arc<PlanInput>, rec: Recommendation) -> Result<Planned, String> {
    let baselines = crate::plan::baselines(&input, &rec.schedule);
    let report = RecommendReport::new(&input, &rec, &baselines);
    let curves = (0..input.subscriptions.len())
        .filter_map(|s| crate::plan::cost_curve(&input, &rec, s))
        .collect();
    Ok(Planned {
        input,
        rec,
        baselines,
        report,
        curves,
    })
}

/// Forecasts every contract year of `scenario`'s term and the users'
/// candidate plans: what a re-plan after a price edit reuses.
///
/// # Errors
/// When the scenario is beyond the term planner or its term runs past the
/// calendar.
pub fn term_demand(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<crate::term::TermDemand, String> {
    crate::term::TermDemand::new(metered, usage, scenario).map_err(|e| error_chain(&e))
}

/// Plans the term from `demand` at `scenario`'s prices, costs renewing
/// as-is and runs both ledgers (what `tokenplan term` shows).
///
/// # Errors
/// When a year's prices, the constraints or the ledger are unusable.
pub fn term(
    metered: &Metered,
    scenario: &Scenario,
    demand: &crate::term::TermDemand,
) -> Result<crate::term::TermAnalysis, String> {
    crate::term::analyse_demand(
        metered,
        scenario,
        demand,
        crate::term::SearchOptions::default(),
    )
    .map_err(|e| error_chain(&e))
}

/// Meters `usage` under `scenario` and plans it at the scenario's token
/// price: a whole recommendation from scratch (the Compare tab's sides).
///
/// # Errors
/// When metering or planning fails, or the job was cancelled.
pub fn plan_scenario(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<Planned, String> {
    let metered = meter(usage, scenario, progress)?;
    if progress.is_cancelled() {
        return Err("Comparison cancelled".into());
    }
    let input = plan_input(&metered, usage, scenario)?;
    plan(Arc::new(input), &scenario.token_price)
}

/// Writes the reassignment list of `report` (`rows` of it, with each
/// user's department and cost centre from `usage`) to `path` as CSV,
/// atomically.
///
/// # Errors
/// When the file cannot be written.
pub fn write_reassignment(
    report: &RecommendReport,
    usage: &Usage,
    rows: crate::plan::ListRows<'_>,
    path: &Path,
    privacy: Option<&Pseudonymizer>,
) -> Result<(), String> {
    let mut bytes = Vec::new();
    report
        .write_reassignment_list(usage, rows, &mut bytes)
        .map_err(|e| error_chain(&e))?;
    if let Some(p) = privacy {
        // Every user and host name becomes its keyed pseudonym, then the
        // export's last check refuses the file if any name is left.
        bytes = p.scrub(&String::from_utf8_lossy(&bytes)).into_bytes();
        p.guard(&bytes).map_err(|e| error_chain(&e))?;
    }
    crate::atomic::write(path, &bytes)
        .map_err(|e| format!("{}: {}", path.display(), error_chain(&e)))
}

/// The pseudonyms of an export of `usage` and `scenario` (its pinned
/// users are names too) under the key in `keyfile`, created there on first
/// use as the CLI's `--pseudonymize` does.
///
/// # Errors
/// The key cannot be read or created, or two names share a pseudonym.
pub fn pseudonymizer(
    keyfile: &Path,
    usage: &Usage,
    scenario: Option<&Scenario>,
) -> Result<Pseudonymizer, String> {
    let key = Key::load_or_create(keyfile).map_err(|e| error_chain(&e))?;
    Pseudonymizer::new(key, usage, scenario).map_err(|e| error_chain(&e))
}

/// What the negotiation pack is built from, as the app holds it.
pub struct PackJob<'a> {
    /// The usage loaded.
    pub usage: &'a Usage,
    /// It metered under `scenario`.
    pub metered: &'a Metered,
    /// One import report per file read.
    pub reports: &'a [Report],
    /// The scenario being edited.
    pub scenario: &'a Scenario,
    /// Its file, when it is saved there unchanged.
    pub file: Option<&'a crate::pack::ScenarioFile>,
    /// X of the tornado (0.1: ±10%).
    pub swing: rust_decimal::Decimal,
}

/// The negotiation pack (SPEC §9) as `tokenplan pack` builds it.
///
/// # Errors
/// When the term cannot be planned, the swing is out of range, or the job
/// was cancelled.
pub fn negotiation_pack(
    job: &PackJob<'_>,
    progress: &dyn Progress,
) -> Result<crate::pack::Pack, String> {
    let inputs = crate::pack::PackInputs {
        usage: job.usage,
        metered: job.metered,
        reports: job.reports,
        scenario_file: job.file,
        compare: None,
    };
    let options = crate::pack::PackOptions {
        swing: job.swing,
        ..crate::pack::PackOptions::default()
    };
    crate::pack::build(&inputs, job.scenario, &options, progress).map_err(|e| error_chain(&e))
}

/// The negotiation pack with every user and host name replaced by its
/// pseudonym under the key in `keyfile` (created there on first use), as
/// `tokenplan pack --pseudonymize` makes it: the usage, scenario and
/// reports renamed first, metered and packed again, and the workbook's
/// text checked for any original name.
///
/// # Errors
/// The key cannot be read or created, the renamed data cannot be metered
/// or packed, or a name is left in the workbook.
pub fn pseudonymised_pack_bytes(
    job: &PackJob<'_>,
    keyfile: &Path,
    progress: &dyn Progress,
) -> Result<Vec<u8>, String> {
    let mut usage = job.usage.clone();
    let mut scenario = job.scenario.clone();
    let p = crate::privacy::prepare(keyfile, &mut usage, Some(&mut scenario))
        .map_err(|e| error_chain(&e))?;
    let mut reports = job.reports.to_vec();
    for r in &mut reports {
        p.report(r);
    }
    let metered = meter(&usage, &scenario, progress)?;
    let renamed = PackJob {
        usage: &usage,
        metered: &metered,
        reports: &reports,
        scenario: &scenario,
        file: job.file,
        swing: job.swing,
    };
    let pack = negotiation_pack(&renamed, progress)?;
    let bytes = crate::pack::workbook::to_bytes(&pack).map_err(|e| error_chain(&e))?;
    let text = crate::pack::workbook::text_of(&bytes)?;
    p.guard(text.as_bytes()).map_err(|e| error_chain(&e))?;
    Ok(bytes)
}

/// The workbook of `pack`.
///
/// # Errors
/// When the workbook cannot be made.
pub fn pack_bytes(pack: &crate::pack::Pack) -> Result<Vec<u8>, String> {
    crate::pack::workbook::to_bytes(pack).map_err(|e| error_chain(&e))
}

/// Writes `bytes` to `path` atomically (temporary file, then rename).
///
/// # Errors
/// When the file cannot be written.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), String> {
    crate::atomic::write(path, bytes)
        .map_err(|e| format!("{}: {}", path.display(), error_chain(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_names_every_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(error_chain(&io), "no such file");
    }
}
