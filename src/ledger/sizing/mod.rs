//! Pool sizing: how many tokens to buy, of which kind (SPEC §5).
//!
//! [`size`] simulates the contract term `trials` times and evaluates
//! [`PurchasePlan`]s (annual tokens per year × contract tokens) against the
//! same simulated demand (common random numbers: differences between plans
//! are not noise), reporting per plan the expected cost, its P10/P50/P90,
//! expected expired, overage and refused tokens and the probability of any
//! overage or refused demand ([`SizeReport`], the `size --format json`
//! output).
//!
//! - [`demand`]: the history as rated units per rate table
//!   ([`DemandHistory`], built by [`token_demand`]) and its resampling
//!   ([`DemandModel`]).
//! - [`eval`]: one plan against one trial in O(years) ([`FastPlan`]).
//! - `search`: the grid of whole-token plans and the one search that
//!   serves every recommendation.
//!
//! **Demand paths.** The history is the last `forecast.history_days` days
//! (all of it when shorter, or when the setting is 0). Each trial fills the
//! term with whole weeks of history: blocks of 7 consecutive history days,
//! drawn uniformly among the blocks that start on the contract start's
//! weekday, so every simulated Monday is a historical Monday and weekly
//! rhythm and holidays inside a week survive. When the history covers a
//! year, a simulated week draws only among the blocks starting within 4
//! weeks of its own day of the year (wrapping round the year), so seasons
//! survive too (SPEC §5). A history day used on a
//! simulated date is priced at the rates in force on the simulated date and
//! scaled, in contract year `k`, by `(1 + growth)^(k + 1)`: the history is
//! taken as the year before the contract, so the first contract year
//! already grows once. Scaled daily demand is held as whole milli-tokens
//! (`i64`, rounded half away from zero): demand stays fractional, and a
//! thousandth of a token per day is far below anything a contract prices.
//! Reported figures convert back to `Decimal` exactly.
//!
//! **Whole tokens.** What is bought is whole: plan quantities are whole
//! tokens, or multiples of `contract.pack_size` when it is set (a plan
//! given with a fraction is rounded up, [`PurchasePlan::rounded`]); the
//! tier is chosen by everything bought on one date (the term's first day
//! buys the first year's annual tokens and the contract tokens together),
//! and costs are those of the quantities bought.
//!
//! **Why year totals are enough.** A plan buys one annual lot at the start
//! of each contract year and contract tokens at the start of the term;
//! nothing arrives mid-year. In year `k` before the last, the annual lot
//! expires first, so it is drawn first, then the contract lot; in the last
//! year both expire on the same day and which one is drawn first changes
//! balances, not totals. The balance only falls during a year, so what a
//! year consumes is `min(D, A + R)` for year demand `D`, annual lot `A`
//! and contract balance `R`, whatever the daily order: the shortfall
//! `D - min(D, A + R)` is overage (within what is left of a `Limit`, whose
//! cap is cumulative and so also only needs the year's shortfall) or
//! refused, the annual lot expires with `A - min(D, A)`, the contract lot
//! keeps `R - (min(D, A + R) - min(D, A))`. So a (trial, plan) costs
//! O(years), and a trial's year totals come from prefix sums of the priced
//! history in O(weeks), without building the daily path. The exact daily
//! ledger ([`run_ledger`](super::run_ledger)) stays the reference: a
//! property test checks the fast evaluation against it on the daily path.
//!
//! **Cost.** A trial's cost is the present value of the plan's purchases
//! plus its overage (billed at each contract year's end). Each contract
//! year's purchase and overage are priced at that year's prices, as the
//! term plan has them (escalation, its cap, overrides: SPEC §8). Demand refused
//! (under `None`, or beyond a `Limit`) is not money: it adds nothing to the
//! cost or its percentiles, and is reported as refused token-days
//! (`expected_unserved`) and the share of trials with any
//! (`unserved_probability`). Percentiles are nearest-rank over the trials.
//!
//! **Recommendations.** `recommended` is the cheapest plan (lowest
//! expected cost) whose probability of refused demand is at most the risk
//! limit: under `Unlimited` nothing is refused, so it is simply the
//! cheapest; under `None` it is the cheapest plan that refuses rarely
//! enough, and when none does, the plan that refuses least, with a
//! warning. `recommended_within_risk` is the cheapest plan whose
//! probability of any overage or refused demand is at most the risk limit
//! (under `None` the same plan as `recommended`). Both come from the same
//! search; on a grid small enough to enumerate, each is exactly the best
//! plan of the grid (see `search`).
//!
//! **No token demand.** When nothing is left to tokens (everything
//! covered by subscriptions, or only pools), the only plan is the zero
//! plan, costing nothing: a result with a warning, not an error.
//!
//! **Determinism.** Trial `i` draws from its own generator seeded by
//! `(seed, i)`; trials and plans are computed with rayon and collected in
//! index order, so a serial run and a parallel one give identical results,
//! and the same seed gives byte-identical JSON.

pub mod demand;
pub mod eval;
mod search;

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::NaiveDate;
use rayon::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::lots::{
    LedgerError, PurchasePlan, Term, check_contract, check_token_price, round_up_tokens,
    shortfall_billing,
};
use crate::progress::Progress;
use crate::scenario::{Overdraft, Scenario, TokenPrice};
pub use demand::{DemandHistory, DemandModel, DemandStream, RateSteps, token_demand};
pub use eval::{FastContract, FastPlan, TrialOutcome};
use search::{Boundary, Evaluated, Goal, Lattice, Risk, Simulation};

/// Trials sampled between progress reports.
const CHUNK: usize = 256;
/// Most trials a run accepts (keeps every sum of costs within `Decimal`).
const MAX_TRIALS: u32 = 1_000_000;
/// Plans the pattern search is expected to add, for the progress bar.
const REFINE_ESTIMATE: u64 = 200;

/// Why sizing could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizingError {
    /// The contract or a plan is not usable.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The demand history cannot be resampled.
    #[error("demand history: {0}")]
    History(String),
    /// A setting is out of range.
    #[error("sizing settings: {0}")]
    Options(String),
    /// The caller cancelled.
    #[error("sizing cancelled")]
    Cancelled,
}

/// Which plans to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grid {
    /// The grid of whole-token plans around the simulated mean annual
    /// demand `M` (see the `search` module): annual quantities from 0 to
    /// `max_fraction × M`, contract quantities from 0 to `max_fraction × M
    /// × years`, in steps of three significant figures of `M` (a multiple
    /// of the pack size when set). Evaluated whole when it has at most
    /// `enumerate_up_to` plans; else a coarse grid of `annual_levels` ×
    /// `contract_levels` plans, then a pattern search around every
    /// recommendation.
    Auto {
        /// Coarse annual quantities (including 0).
        annual_levels: u32,
        /// Coarse contract quantities (including 0).
        contract_levels: u32,
        /// Largest quantity as a multiple of the demand it covers.
        max_fraction: Decimal,
        /// Most rounds of the pattern search (0: the coarse grid alone).
        refine: u32,
        /// Grids of at most this many plans are evaluated whole.
        enumerate_up_to: u32,
    },
    /// Exactly these plans, in this order (quantities rounded up to what
    /// can be bought).
    Plans(Vec<PurchasePlan>),
}

impl Default for Grid {
    /// A 6 × 5 coarse grid up to 1.5 × demand, refined for at most 64
    /// rounds; grids of up to 1,024 plans are evaluated whole.
    fn default() -> Self {
        Grid::Auto {
            annual_levels: 6,
            contract_levels: 5,
            max_fraction: Decimal::new(15, 1),
            refine: 64,
            enumerate_up_to: 1024,
        }
    }
}

/// How to run [`size`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SizingOptions {
    /// Simulated contract terms.
    pub trials: u32,
    /// Seed of the simulation.
    pub seed: u64,
    /// Highest acceptable probability of any overage or refused demand.
    pub risk_limit: Decimal,
    /// The plans to evaluate.
    pub grid: Grid,
    /// Run on rayon's thread pool (the result is the same either way).
    pub parallel: bool,
}

impl SizingOptions {
    /// The scenario's sizing settings with the default grid, in parallel.
    pub fn from_scenario(scenario: &Scenario) -> Self {
        SizingOptions {
            trials: scenario.sizing.trials,
            seed: scenario.sizing.seed,
            risk_limit: scenario.sizing.risk_limit,
            grid: Grid::default(),
            parallel: true,
        }
    }
}

/// One evaluated plan. Money in the scenario's currency, rounded to the
/// cent; tokens to the hundredth.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanResult {
    /// Annual tokens bought at the start of each contract year.
    pub annual_tokens_per_year: Decimal,
    /// Contract tokens bought at the start of the term.
    pub contract_tokens: Decimal,
    /// Present value of the purchases alone.
    pub purchase_cost: Decimal,
    /// Mean over trials of the present value of purchases and overage
    /// (refused demand costs nothing).
    pub expected_cost: Decimal,
    /// 10th percentile of that cost.
    pub p10_cost: Decimal,
    /// Median of that cost.
    pub p50_cost: Decimal,
    /// 90th percentile of that cost.
    pub p90_cost: Decimal,
    /// Mean tokens expired over the term.
    pub expected_expired: Decimal,
    /// Mean tokens of overage over the term.
    pub expected_overage: Decimal,
    /// Mean token-days refused over the term.
    pub expected_unserved: Decimal,
    /// Share of trials with any overage or refused demand (4 places).
    pub overage_probability: Decimal,
    /// Share of trials with any refused demand (4 places).
    pub unserved_probability: Decimal,
}

/// The best plan of each kind, as indexes into [`SizeReport::plans`]:
/// among the plans `recommended` may choose from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SideBySide {
    /// Cheapest plan with annual tokens only.
    pub annual_only: Option<usize>,
    /// Cheapest plan with contract tokens only.
    pub contract_only: Option<usize>,
    /// Cheapest plan with both.
    pub best_mix: Option<usize>,
}

/// How the plans of a [`SizeReport`] were chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SearchMethod {
    /// Every plan of the grid: each recommendation is the grid's best.
    Exhaustive,
    /// A coarse grid, then a pattern search around every recommendation.
    PatternSearch,
    /// The plans asked for.
    Given,
}

/// The grid searched.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SearchSummary {
    /// How the plans were chosen.
    pub method: SearchMethod,
    /// Grid quantities are multiples of this many tokens.
    pub unit: Decimal,
    /// Largest annual quantity of the grid.
    pub annual_max: Decimal,
    /// Largest contract quantity of the grid.
    pub contract_max: Decimal,
    /// Plans in the grid (saturating).
    pub grid_plans: u64,
}

/// The result of [`size`]: `tokenplan size --format json`. [`size`] leaves
/// `pools` empty: the `Concurrent` pools come from metering, and the caller
/// fills them with [`size_pools`](super::size_pools).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SizeReport {
    /// Trials simulated.
    pub trials: u32,
    /// Seed used.
    pub seed: u64,
    /// First day of the term.
    pub term_start: NaiveDate,
    /// Contract years.
    pub term_years: usize,
    /// Days of history resampled.
    pub history_days: usize,
    /// Mean simulated demand per contract year, tokens.
    pub mean_annual_demand: Decimal,
    /// Every plan evaluated.
    pub plans: Vec<PlanResult>,
    /// The cheapest plan whose probability of refused demand is at most
    /// the risk limit (any plan when the contract never refuses; when none
    /// qualifies, the plan refusing least). Ties: fewer tokens, then the
    /// earlier plan.
    pub recommended: usize,
    /// The cheapest plan whose probability of any overage or refused
    /// demand is at most the risk limit, if any (under `Overdraft: None`,
    /// always `recommended`).
    pub recommended_within_risk: Option<usize>,
    /// Annual-only, contract-only and mixed plans side by side.
    pub side_by_side: SideBySide,
    /// How the plans were found.
    pub search: SearchSummary,
    /// What the figures leave out or could not meet, in words.
    pub warnings: Vec<String>,
    /// Every `Concurrent` pool sized, by pool name (empty from [`size`]).
    pub pools: Vec<super::PoolSizing>,
}

/// Sizes the token purchase for `scenario`'s contract from the demand
/// `history` (see the module docs for the method).
///
/// # Errors
/// [`SizingError`] when the inputs or settings are unusable, or
/// `Cancelled` when `progress` asks to stop.
pub fn size(
    history: &DemandHistory,
    scenario: &Scenario,
    options: &SizingOptions,
    progress: &dyn Progress,
) -> Result<SizeReport, SizingError> {
    if options.trials == 0 || options.trials > MAX_TRIALS {
        return Err(SizingError::Options(format!(
            "{} trials: 1 to {MAX_TRIALS} are possible",
            options.trials
        )));
    }
    if options.risk_limit.is_sign_negative() || options.risk_limit > Decimal::ONE {
        return Err(SizingError::Options(format!(
            "risk limit {} is outside 0 to 1",
            options.risk_limit
        )));
    }
    if matches!(&options.grid, Grid::Plans(p) if p.is_empty()) {
        return Err(SizingError::Options("no plans to evaluate".into()));
    }
    // A TopUp contract's shortfall is billed as packs bought (see
    // `shortfall_billing`); every other overdraft is the scenario's own.
    let contract = &shortfall_billing(&scenario.contract, &scenario.token_price);
    check_contract(contract)?;
    check_token_price(&scenario.token_price)?;
    history.check()?;
    let term = Term::new(contract)?;
    let (prices, overage) = prices_by_year(scenario)?;
    let fc = FastContract::new(contract, term.years())?.with_overage_by_year(overage);
    let trials = options.trials as usize;
    let years = term.years();
    let mut warnings: Vec<String> = history.warnings().to_vec();
    let ticker = Ticker {
        total: AtomicU64::new(trials as u64 + plans_hint(&options.grid)),
        done: AtomicU64::new(0),
        progress,
    };
    let tick = |n: usize| ticker.tick(n);

    // Sampling: every trial's demand per year, in trial order.
    let (year_totals, history_days) = if history.has_demand() {
        let model = DemandModel::new(
            history,
            contract,
            scenario.forecast.growth_per_year,
            scenario.forecast.history_days,
        )?;
        (
            sample(&model, options, progress, &tick)?,
            model.history_days(),
        )
    } else {
        warnings.push(
            "no token demand is left to size (everything is covered by subscriptions or \
             drawn from pools): the token plan is zero"
                .into(),
        );
        tick(trials);
        let window = match scenario.forecast.history_days as usize {
            0 => history.days(),
            w => history.days().min(w),
        };
        (vec![0; trials * years], window)
    };
    let demand_sum: i128 = year_totals.iter().map(|&v| i128::from(v)).sum();
    let mean_year_milli = demand_sum / (trials * years) as i128;
    let mean = Decimal::try_from_i128_with_scale(mean_year_milli, 3).unwrap_or_default();

    // The search: every plan against every trial.
    let risk = Risk {
        max_trials: options.risk_limit * Decimal::from(options.trials),
        years,
    };
    let sim = Simulation {
        term: &term,
        prices: &prices,
        rate: contract.discount_rate,
        contract: &fc,
        year_totals: &year_totals,
        years,
        parallel: options.parallel,
    };
    let (evaluated, search) =
        search_plans(&options.grid, mean, contract.pack_size, &sim, risk, &ticker)?;
    let t = ticker.done.load(Ordering::Relaxed);
    progress.report(t, t);

    let mut report = SizeReport {
        trials: options.trials,
        seed: options.seed,
        term_start: term.start(),
        term_years: years,
        history_days,
        mean_annual_demand: fixed(mean, 2),
        plans: Vec::new(),
        recommended: 0,
        recommended_within_risk: None,
        side_by_side: SideBySide {
            annual_only: None,
            contract_only: None,
            best_mix: None,
        },
        search,
        warnings,
        pools: Vec::new(),
    };
    recommend(
        &mut report,
        &evaluated,
        risk,
        options.risk_limit,
        contract.overdraft == Overdraft::None,
    );
    Ok(report)
}

/// Progress over trials sampled and plans evaluated.
struct Ticker<'a> {
    /// Units of work expected (grows when the search goes on longer).
    total: AtomicU64,
    /// Units done.
    done: AtomicU64,
    progress: &'a dyn Progress,
}

impl Ticker<'_> {
    /// `n` more units done.
    fn tick(&self, n: usize) {
        let d = self.done.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        let t = self.total.fetch_max(d, Ordering::Relaxed).max(d);
        self.progress.report(d, t);
    }
}

/// Evaluates the plans of `grid` (see the `search` module).
fn search_plans(
    grid: &Grid,
    mean: Decimal,
    pack_size: Option<u32>,
    sim: &Simulation<'_>,
    risk: Risk,
    ticker: &Ticker<'_>,
) -> Result<(Evaluated, SearchSummary), SizingError> {
    let progress = ticker.progress;
    let tick = |n: usize| ticker.tick(n);
    let mut evaluated = Evaluated::new();
    let summary = match grid {
        Grid::Plans(given) => {
            let plans: Vec<PurchasePlan> = given.iter().map(|p| p.rounded(pack_size)).collect();
            evaluated.add(&plans, true, sim, progress, &tick)?;
            let max = |f: fn(&PurchasePlan) -> Decimal| plans.iter().map(f).max();
            SearchSummary {
                method: SearchMethod::Given,
                unit: round_up_tokens(Decimal::ONE, pack_size),
                annual_max: max(|p| p.annual_tokens_per_year).unwrap_or_default(),
                contract_max: max(|p| p.contract_tokens).unwrap_or_default(),
                grid_plans: plans.len() as u64,
            }
        }
        Grid::Auto {
            annual_levels,
            contract_levels,
            max_fraction,
            refine,
            enumerate_up_to,
        } => {
            let lattice = Lattice::new(
                mean,
                sim.years,
                *annual_levels,
                *contract_levels,
                *max_fraction,
                pack_size,
            )?;
            let exhaustive = lattice.size() <= u64::from(*enumerate_up_to);
            let first = if exhaustive {
                lattice.all()
            } else {
                lattice.coarse.clone()
            };
            let more = if exhaustive || *refine == 0 {
                0
            } else {
                REFINE_ESTIMATE
            };
            let done = ticker.done.load(Ordering::Relaxed);
            ticker
                .total
                .store(done + first.len() as u64 + more, Ordering::Relaxed);
            evaluated.add(&first, false, sim, progress, &tick)?;
            if !exhaustive {
                let boundary = Boundary {
                    year_totals: sim.year_totals,
                    years: sim.years,
                    allowed: risk.max_trials.floor().to_usize().unwrap_or(usize::MAX),
                    refusal_slack: sim.contract.refusal_slack(),
                    floors: tier_floors(sim.prices),
                };
                lattice.refine(*refine, risk, &boundary, &mut evaluated, |e, plans| {
                    e.add(plans, false, sim, progress, &tick)
                })?;
            }
            let tokens = |units: u64| (lattice.unit * Decimal::from(units)).normalize();
            SearchSummary {
                method: if exhaustive {
                    SearchMethod::Exhaustive
                } else {
                    SearchMethod::PatternSearch
                },
                unit: lattice.unit,
                annual_max: tokens(lattice.annual_max),
                contract_max: tokens(lattice.contract_max),
                grid_plans: lattice.size(),
            }
        }
    };
    Ok((evaluated, summary))
}

/// Fills `report`'s plans (sorted by quantities, except plans given in
/// order), both recommendations, the side-by-side view and their warnings.
fn recommend(
    report: &mut SizeReport,
    evaluated: &Evaluated,
    risk: Risk,
    risk_limit: Decimal,
    refuses: bool,
) {
    let mut order: Vec<usize> = (0..evaluated.plans.len()).collect();
    if report.search.method != SearchMethod::Given {
        order.sort_by_key(|&i| evaluated.plans[i]);
    }
    let plans: Vec<PurchasePlan> = order.iter().map(|&i| evaluated.plans[i]).collect();
    let stats: Vec<search::Stats> = order.iter().map(|&i| evaluated.stats[i].clone()).collect();
    let trials = report.trials;
    let n = Decimal::from(trials);
    report.plans = order
        .iter()
        .zip(&stats)
        .map(|(&i, s)| PlanResult {
            annual_tokens_per_year: evaluated.plans[i].annual_tokens_per_year,
            contract_tokens: evaluated.plans[i].contract_tokens,
            purchase_cost: money(evaluated.purchase[i]),
            expected_cost: money(s.cost_sum / n),
            p10_cost: money(s.percentiles[0]),
            p50_cost: money(s.percentiles[1]),
            p90_cost: money(s.percentiles[2]),
            expected_expired: tokens_mean(s.expired, trials),
            expected_overage: tokens_mean(s.overage, trials),
            expected_unserved: tokens_mean(s.unserved, trials),
            overage_probability: fixed(Decimal::from(s.short_trials) / n, 4),
            unserved_probability: fixed(Decimal::from(s.unserved_trials) / n, 4),
        })
        .collect();

    let best = |goal: Goal| search::pick(goal, &plans, &stats, risk);
    report.recommended = match best(Goal::Recommended) {
        Some(i) => i,
        None => {
            report.warnings.push(format!(
                "no plan keeps the probability of refused demand within the risk limit \
                 ({risk_limit}): the plan recommended is the one refusing least"
            ));
            best(Goal::LeastUnserved).unwrap_or(0)
        }
    };
    report.recommended_within_risk = match best(Goal::WithinRisk) {
        Some(i) => Some(i),
        None if refuses => Some(report.recommended),
        None => {
            report.warnings.push(format!(
                "no plan keeps the probability of overage within the risk limit ({risk_limit})"
            ));
            None
        }
    };
    report.side_by_side = SideBySide {
        annual_only: best(Goal::AnnualOnly),
        contract_only: best(Goal::ContractOnly),
        best_mix: best(Goal::Mix),
    };
}

/// Plans `grid` is expected to evaluate, for the progress bar.
fn plans_hint(grid: &Grid) -> u64 {
    match grid {
        Grid::Auto {
            annual_levels,
            contract_levels,
            refine,
            ..
        } => {
            u64::from(*annual_levels) * u64::from(*contract_levels)
                + if *refine > 0 { REFINE_ESTIMATE } else { 0 }
        }
        Grid::Plans(p) => p.len() as u64,
    }
}

/// Every trial's demand per contract year, trial after trial.
fn sample(
    model: &DemandModel,
    options: &SizingOptions,
    progress: &dyn Progress,
    tick: &(dyn Fn(usize) + Sync),
) -> Result<Vec<i64>, SizingError> {
    let trials = options.trials as usize;
    let years = model.years();
    let mut year_totals: Vec<i64> = Vec::with_capacity(trials * years);
    for chunk_start in (0..trials).step_by(CHUNK) {
        if progress.is_cancelled() {
            return Err(SizingError::Cancelled);
        }
        let chunk_end = (chunk_start + CHUNK).min(trials);
        let one = |i: usize| {
            let mut out = vec![0; years];
            model.sample_year_totals(options.seed, i as u64, &mut out);
            out
        };
        let rows: Vec<Vec<i64>> = if options.parallel {
            (chunk_start..chunk_end).into_par_iter().map(one).collect()
        } else {
            (chunk_start..chunk_end).map(one).collect()
        };
        year_totals.extend(rows.into_iter().flatten());
        tick(chunk_end - chunk_start);
    }
    Ok(year_totals)
}

/// Money for output: rounded half away from zero to the cent, always two
/// places (`"12.30"`).
fn money(value: Decimal) -> Decimal {
    fixed(value, 2)
}

/// `value` rounded half away from zero to `places`, shown with exactly
/// `places` decimals.
fn fixed(value: Decimal, places: u32) -> Decimal {
    let mut v = value.round_dp_with_strategy(places, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(places);
    v
}

/// Mean of a milli-token sum over `trials`, in tokens to the hundredth.
fn tokens_mean(milli_sum: i128, trials: u32) -> Decimal {
    let sum = Decimal::try_from_i128_with_scale(milli_sum, 3).unwrap_or(Decimal::MAX);
    fixed(sum / Decimal::from(trials), 2)
}

/// Every year's tier floors above 0, ascending, once each: where the
/// search looks closer.
fn tier_floors(prices: &[TokenPrice]) -> Vec<Decimal> {
    let mut floors: Vec<Decimal> = prices
        .iter()
        .flat_map(|p| match p {
            TokenPrice::Flat(_) => Vec::new(),
            TokenPrice::Tiers { tiers, .. } => tiers
                .iter()
                .filter(|t| t.from > 0)
                .map(|t| Decimal::from(t.from))
                .collect(),
        })
        .collect();
    floors.sort_unstable();
    floors.dedup();
    floors
}

/// Each contract year's token price, and its overage price (a TopUp
/// shortfall billed as packs at that year's token price), as the term plan
/// has them: escalation, its cap, overrides (SPEC §8).
///
/// # Errors
/// A year's token price is unusable.
fn prices_by_year(scenario: &Scenario) -> Result<(Vec<TokenPrice>, Vec<Decimal>), SizingError> {
    let by_year = crate::term::prices_by_year(scenario);
    let mut prices: Vec<TokenPrice> = by_year.iter().map(|p| p.token_price.clone()).collect();
    if prices.is_empty() {
        prices.push(scenario.token_price.clone());
    }
    for p in &prices {
        check_token_price(p)?;
    }
    let overage = by_year
        .iter()
        .map(|p| {
            let contract = crate::scenario::Contract {
                overage_price: p.overage_price,
                ..scenario.contract.clone()
            };
            shortfall_billing(&contract, &p.token_price).overage_price
        })
        .collect();
    Ok((prices, overage))
}
