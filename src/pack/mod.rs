//! The negotiation pack (SPEC §9): the options side by side over the term,
//! what moves them (the tornado), where they flip (break-even prices), and
//! the workbook that carries it all into the room.
//!
//! - [`options`]: renew as-is, the term plan, all tokens, all
//!   subscriptions and a compared scenario ([`PackOption`]).
//! - [`spend`]: the P90 of each option's token spend, simulated.
//! - [`points`]: an input moved ([`Driver`]) and a plan held fixed priced
//!   there ([`points::held_npv`]).
//! - [`sensitivity`]: the tornado ([`Sensitivity`]).
//! - [`breakeven`]: token and subscription break-evens and the walk-away
//!   token price ([`BreakEvens`]); [`envelope`]: where to look first
//!   (today's plan and its one-seat neighbours re-priced).
//! - [`workbook`]: the XLSX ([`workbook::write`]).
//!
//! [`build`] does it all from imported, metered usage and a scenario — one
//! call the GUI can run as a background job (it reports to a
//! [`Progress`] and stops when cancelled) and the CLI runs before writing
//! the workbook.

pub mod breakeven;
pub mod envelope;
pub mod options;
pub mod points;
pub mod sensitivity;
pub mod spend;
pub mod workbook;

use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

use crate::ingest::Report;
use crate::meter::Metered;
use crate::plan::{Crossover, crossover};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::term::demand::TermDemand;
use crate::term::years::problem;
use crate::term::{SearchOptions, TermAnalysis, TermPlan, analyse_demand, plan_term};
use crate::usage::Usage;

pub use breakeven::{BreakEvens, Crossing, SubscriptionBreakEven, WalkAway, break_evens};
pub use options::{OptionKind, PackOption};
pub use points::Driver;
pub use sensitivity::{Sensitivity, SensitivityRow, sensitivity};
pub use spend::Spend;

/// Why the pack could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// The forecast, prices or constraints are unusable.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// The term could not be planned or its ledger run.
    #[error(transparent)]
    Term(#[from] crate::term::TermError),
    /// The compared scenario could not be metered.
    #[error("compared scenario: {0}")]
    Compare(String),
    /// A setting is out of range.
    #[error("pack settings: {0}")]
    Options(String),
    /// The caller cancelled.
    #[error("negotiation pack cancelled")]
    Cancelled,
}

/// A scenario file as the Assumptions sheet names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioFile {
    /// The file's name as given.
    pub name: String,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

impl ScenarioFile {
    /// `name` with the SHA-256 of `bytes`.
    pub fn new(name: impl Into<String>, bytes: &[u8]) -> ScenarioFile {
        let digest = Sha256::digest(bytes);
        ScenarioFile {
            name: name.into(),
            sha256: digest.iter().map(|b| format!("{b:02x}")).collect(),
        }
    }
}

/// A scenario added for comparison.
#[derive(Clone, Debug)]
pub struct CompareInput {
    /// The scenario.
    pub scenario: Scenario,
    /// Its file, when it came from one.
    pub file: Option<ScenarioFile>,
}

/// What the pack is built from.
#[derive(Clone, Copy)]
pub struct PackInputs<'a> {
    /// The imported usage (pseudonymised already, when asked).
    pub usage: &'a Usage,
    /// It metered under the scenario.
    pub metered: &'a Metered,
    /// One import report per file (the Sources sheet).
    pub reports: &'a [Report],
    /// The scenario's file, when it came from one.
    pub scenario_file: Option<&'a ScenarioFile>,
    /// A scenario to compare, if any.
    pub compare: Option<&'a CompareInput>,
}

/// How to build the pack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackOptions {
    /// X of the tornado: each input moves by ± this share (default 10%).
    pub swing: Decimal,
    /// The term search's settings.
    pub search: SearchOptions,
    /// The search's settings for the break-evens' many probes (default: no
    /// polish, which on mid-sized instances costs most of a search and
    /// rarely moves a seat).
    pub probe: SearchOptions,
    /// Trials of the spend simulation (`None`: the scenario's sizing
    /// trials).
    pub trials: Option<u32>,
    /// The date made, as written on the Assumptions sheet (`None`: today,
    /// UTC).
    pub made: Option<String>,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            swing: Decimal::new(1, 1),
            search: SearchOptions::default(),
            probe: SearchOptions {
                exhaustive: true,
                polish: false,
            },
            trials: None,
            made: None,
        }
    }
}

/// One user's line of the reassignment list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReassignRow {
    /// User name (a pseudonym when pseudonymised).
    pub user: String,
    /// Subscription codes held today.
    pub current: Vec<String>,
    /// Per contract year, the codes the term plan gives the user.
    pub years: Vec<Vec<String>>,
    /// Year 1's forecast tokens of all the user's products.
    pub forecast_tokens: Decimal,
    /// Year 1's forecast tokens the plan leaves to tokens.
    pub left_to_tokens: Decimal,
}

/// One input file's line of the Sources sheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRow {
    /// File name as given.
    pub file: String,
    /// Kind detected.
    pub kind: String,
    /// Lines read.
    pub lines_read: u64,
    /// Lines used.
    pub lines_used: u64,
    /// Lines skipped, by reason.
    pub skipped: Vec<(String, u64)>,
}

/// Everything the figures rest on (the Assumptions sheet).
#[derive(Clone, Debug, PartialEq)]
pub struct Assumptions {
    /// The scenario as used.
    pub scenario: Scenario,
    /// Its file.
    pub file: Option<ScenarioFile>,
    /// The compared scenario's name and file, when there is one.
    pub compare: Option<(String, Option<ScenarioFile>)>,
    /// First and last day of the forecast window, and its length.
    pub history: Option<(chrono::NaiveDate, chrono::NaiveDate, u32)>,
    /// tokenplan's version.
    pub version: String,
    /// The date made.
    pub made: String,
    /// X of the tornado.
    pub swing: Decimal,
    /// Trials of the spend simulation.
    pub trials: u32,
}

/// The negotiation pack.
#[derive(Clone, Debug)]
pub struct Pack {
    /// The scenario's currency.
    pub currency: String,
    /// Subscription codes and names, in the plans' order.
    pub subscriptions: Vec<(String, String)>,
    /// The options, renew as-is first when known.
    pub options: Vec<PackOption>,
    /// The term plan and renewing as-is year by year, with their ledgers.
    pub term: TermAnalysis,
    /// The tornado.
    pub sensitivity: Sensitivity,
    /// The break-evens.
    pub break_evens: BreakEvens,
    /// Who holds what, year by year.
    pub reassignment: Vec<ReassignRow>,
    /// Use-days above which each subscription pays off, at the term plan's
    /// year-1 marginal token price.
    pub crossover: Vec<Crossover>,
    /// What the figures rest on.
    pub assumptions: Assumptions,
    /// The input files.
    pub sources: Vec<SourceRow>,
    /// What the figures rest on that the reader should know.
    pub warnings: Vec<String>,
}

impl Pack {
    /// The option of `kind`, if present.
    pub fn option(&self, kind: OptionKind) -> Option<&PackOption> {
        self.options.iter().find(|o| o.kind == kind)
    }
}

/// What sensitivity and break-evens work from: today's forecast, plan and
/// renewing as-is, and the progress to report to.
pub struct Base<'a> {
    /// The scenario as today.
    pub scenario: &'a Scenario,
    /// The metered history.
    pub metered: &'a Metered,
    /// The usage (for re-forecasting growth).
    pub usage: &'a Usage,
    /// Today's forecast over the term.
    pub demand: TermDemand,
    /// Today's term plan.
    pub plan: TermPlan,
    /// Renewing as-is today, when known.
    pub renew: Option<TermPlan>,
    /// The search's settings.
    pub search: SearchOptions,
    /// The search's settings for break-even probes.
    pub probe: SearchOptions,
    progress: &'a dyn Progress,
    done: AtomicU64,
    total: AtomicU64,
    replans: AtomicU64,
}

impl<'a> Base<'a> {
    /// Forecasts and plans today's term.
    ///
    /// # Errors
    /// [`PackError`] when the term cannot be planned.
    pub fn new(
        scenario: &'a Scenario,
        metered: &'a Metered,
        usage: &'a Usage,
        search: SearchOptions,
        progress: &'a dyn Progress,
    ) -> Result<Base<'a>, PackError> {
        let demand = TermDemand::new(metered, usage, scenario)?;
        let plan = plan_term(&demand, scenario, search)?;
        let renew = crate::term::renew_as_is(&demand, scenario)?;
        Ok(Base::from_parts(
            scenario, metered, usage, demand, plan, renew, search, progress,
        ))
    }

    /// A base from an already made forecast and plans.
    #[allow(clippy::too_many_arguments)]
    pub fn from_parts(
        scenario: &'a Scenario,
        metered: &'a Metered,
        usage: &'a Usage,
        demand: TermDemand,
        plan: TermPlan,
        renew: Option<TermPlan>,
        search: SearchOptions,
        progress: &'a dyn Progress,
    ) -> Base<'a> {
        Base {
            scenario,
            metered,
            usage,
            demand,
            plan,
            renew,
            search,
            probe: search,
            progress,
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            replans: AtomicU64::new(0),
        }
    }

    /// Counts one unit of work done and reports it.
    pub(crate) fn tick(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        self.progress
            .report(done, self.total.load(Ordering::Relaxed).max(done));
    }

    /// Full re-plans the break-evens have made so far (their dominant
    /// cost; the bench reports it).
    pub fn replans(&self) -> u64 {
        self.replans.load(Ordering::Relaxed)
    }

    /// Counts one full re-plan of a break-even search.
    pub(crate) fn count_replan(&self) {
        self.replans.fetch_add(1, Ordering::Relaxed);
    }

    fn plan_work(&self, units: u64) {
        self.total.fetch_add(units, Ordering::Relaxed);
    }

    fn check(&self) -> Result<(), PackError> {
        if self.progress.is_cancelled() {
            Err(PackError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Builds the pack (see the module doc).
///
/// # Errors
/// [`PackError`] when the term cannot be planned, the compared scenario
/// cannot be metered, the swing is outside 0 to 1, or `progress` asks to
/// stop.
pub fn build(
    inputs: &PackInputs<'_>,
    scenario: &Scenario,
    options: &PackOptions,
    progress: &dyn Progress,
) -> Result<Pack, PackError> {
    if options.swing <= Decimal::ZERO || options.swing >= Decimal::ONE {
        return Err(PackError::Options(format!(
            "swing {} is outside 0 to 1 (exclusive)",
            options.swing
        )));
    }
    let trials = options.trials.unwrap_or(scenario.sizing.trials).max(1);
    // Today's plan and renewing as-is are the term analysis's own (planned
    // once).
    let demand = TermDemand::new(inputs.metered, inputs.usage, scenario)?;
    let term = analyse_demand(inputs.metered, scenario, &demand, options.search)?;
    let plan = term.plan.plan.clone();
    let renew = term.renew_as_is.as_ref().map(|r| r.plan.clone());
    let mut base = Base::from_parts(
        scenario,
        inputs.metered,
        inputs.usage,
        demand,
        plan,
        renew,
        options.search,
        progress,
    );
    base.probe = options.probe;
    let subs = base.demand.input.subscriptions.len() as u64;
    // Units: 4 stages, 2 points per input, 2 + 2 per subscription searches.
    base.plan_work(4 + 2 * (4 + subs + 1) + 2 + 2 * subs);
    base.check()?;
    base.tick();
    let option_lines = all_options(&base, inputs, &term, trials)?;
    base.tick();
    base.check()?;
    // Both stages end on a few long re-plans: side by side, one's tail
    // fills the other's idle core.
    let (sensitivity, break_evens) =
        rayon::join(|| sensitivity(&base, options.swing), || break_evens(&base));
    let sensitivity = sensitivity?;
    let break_evens = break_evens?;
    base.check()?;
    base.tick();
    let reassignment = reassignment(&base);
    let marginal = base
        .plan
        .years
        .first()
        .map_or(Decimal::ZERO, |y| y.purchase.price);
    let crossover = crossover(&base.demand.input, marginal);
    let forecast = &base.demand.input.forecast;
    let history = match (forecast.window_start, forecast.window_end) {
        (Some(a), Some(b)) => Some((
            crate::time::date_of_day(a),
            crate::time::date_of_day(b),
            forecast.window_days,
        )),
        _ => None,
    };
    let assumptions = Assumptions {
        scenario: scenario.clone(),
        file: inputs.scenario_file.cloned(),
        compare: inputs
            .compare
            .map(|c| (c.scenario.name.clone(), c.file.clone())),
        history,
        version: env!("CARGO_PKG_VERSION").to_string(),
        made: options.made.clone().unwrap_or_else(|| {
            chrono::Utc::now()
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
        }),
        swing: options.swing,
        trials,
    };
    let sources = inputs
        .reports
        .iter()
        .map(|r| SourceRow {
            file: r.file.clone(),
            kind: r
                .kind
                .map_or("unreadable", crate::ingest::SourceKind::as_str)
                .to_string(),
            lines_read: r.lines_read,
            lines_used: r.lines_used,
            skipped: r.skipped.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        })
        .collect();
    let mut warnings = term.warnings.clone();
    for o in &option_lines {
        if let Some(note) = &o.spend_note {
            warnings.push(format!("{}: token spend not simulated: {note}", o.name));
        }
    }
    base.tick();
    Ok(Pack {
        currency: scenario.currency.clone(),
        subscriptions: base
            .demand
            .input
            .subscriptions
            .iter()
            .map(|s| (s.code.clone(), s.name.clone()))
            .collect(),
        options: option_lines,
        term,
        sensitivity,
        break_evens,
        reassignment,
        crossover,
        assumptions,
        sources,
        warnings,
    })
}

/// Renew as-is (when known), the term plan, all tokens, all subscriptions
/// and the compared scenario, each with its simulated spend and Δ.
fn all_options(
    base: &Base<'_>,
    inputs: &PackInputs<'_>,
    term: &TermAnalysis,
    trials: u32,
) -> Result<Vec<PackOption>, PackError> {
    let scenario = base.scenario;
    let priced = problem(&base.demand, scenario)?;
    let codes = term.codes.clone();
    let mut plans: Vec<(OptionKind, String, TermPlan)> = Vec::new();
    if let Some(r) = &term.renew_as_is {
        plans.push((
            OptionKind::RenewAsIs,
            OptionKind::RenewAsIs.label().into(),
            r.plan.clone(),
        ));
    }
    plans.push((
        OptionKind::TermPlan,
        OptionKind::TermPlan.label().into(),
        term.plan.plan.clone(),
    ));
    plans.push((
        OptionKind::AllTokens,
        OptionKind::AllTokens.label().into(),
        options::all_tokens(&priced),
    ));
    plans.push((
        OptionKind::AllSubscriptions,
        OptionKind::AllSubscriptions.label().into(),
        options::all_subscriptions(&priced),
    ));
    let mut lines: Vec<PackOption> = plans
        .into_par_iter()
        .map(|(kind, name, plan)| {
            let spend = spend::simulate(
                base.metered,
                scenario,
                &base.demand,
                &priced.prices,
                &plan,
                trials,
            );
            let mut line = PackOption::new(kind, name, codes.clone(), plan);
            match spend {
                Ok(s) => line.spend = Some(s),
                Err(e) => line.spend_note = Some(e),
            }
            line
        })
        .collect();
    if let Some(compare) = inputs.compare {
        lines.push(compared(base, compare, trials)?);
    }
    options::set_deltas(&mut lines);
    Ok(lines)
}

/// The compared scenario's term plan, metered and forecast under its own
/// rules and prices.
fn compared(base: &Base<'_>, compare: &CompareInput, trials: u32) -> Result<PackOption, PackError> {
    let s = &compare.scenario;
    let metered = crate::meter::meter(base.usage, s, &crate::progress::NoProgress)
        .map_err(|e| PackError::Compare(e.to_string()))?;
    let demand = TermDemand::new(&metered, base.usage, s)?;
    let priced = problem(&demand, s)?;
    let plan = plan_term(&demand, s, base.search)?;
    let codes = demand
        .input
        .subscriptions
        .iter()
        .map(|x| x.code.clone())
        .collect();
    let spend = spend::simulate(&metered, s, &demand, &priced.prices, &plan, trials);
    let mut line = PackOption::new(
        OptionKind::Compare,
        format!("Compared: {}", s.name),
        codes,
        plan,
    );
    match spend {
        Ok(x) => line.spend = Some(x),
        Err(e) => line.spend_note = Some(e),
    }
    Ok(line)
}

/// The reassignment list: every user's current plan and the term plan's,
/// year by year.
fn reassignment(base: &Base<'_>) -> Vec<ReassignRow> {
    let input = &base.demand.input;
    let names = |mask: u32| -> Vec<String> {
        crate::plan::input::bits(mask)
            .filter_map(|j| input.subscriptions.get(j).map(|s| s.code.clone()))
            .collect()
    };
    input
        .users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let first = base
                .plan
                .holdings
                .first()
                .and_then(|h| h.get(i))
                .copied()
                .unwrap_or(0);
            let covers = input.plan_covers(first);
            let left: Decimal = u
                .demand
                .iter()
                .filter(|d| covers & (1u128 << d.product) == 0)
                .map(|d| d.tokens)
                .sum();
            ReassignRow {
                user: u.name.clone(),
                current: names(u.current),
                years: base
                    .plan
                    .holdings
                    .iter()
                    .map(|h| names(h.get(i).copied().unwrap_or(0)))
                    .collect(),
                forecast_tokens: u.total_tokens(),
                left_to_tokens: left,
            }
        })
        .collect()
}
