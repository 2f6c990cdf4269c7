//! Pool sizing: how many tokens to buy, of which kind (SPEC §5).
//!
//! [`size`] simulates the contract term `trials` times and evaluates a grid
//! of [`PurchasePlan`]s (annual tokens per year × contract tokens) against
//! the same simulated demand (common random numbers: differences between
//! plans are not noise), reporting per plan the expected cost, its
//! P10/P50/P90, expected expired tokens and the probability of any
//! overage or unserved demand ([`SizeReport`], the `size --format json`
//! output).
//!
//! **Plans.** By default a 6 × 5 grid around the simulated mean annual
//! demand `M` (annual 0 to 1.5 `M`, contract 0 to 1.5 `M` × years, three
//! significant figures), then a pattern search: the neighbours of the best
//! plan overall, the best mix, the best annual-only and the best
//! contract-only plan, the step halving each round ([`Grid::Auto`]). Every
//! plan evaluated is reported, sorted by quantities.
//!
//! **Demand paths.** The history is the last `forecast.history_days` days
//! of the daily series (all of it when shorter, or when the setting is 0).
//! Each trial fills the term with whole weeks of history:
//! blocks of 7 consecutive history days, drawn uniformly among the blocks
//! that start on the contract start's weekday, so every simulated Monday is
//! a historical Monday and weekly rhythm and holidays inside a week
//! survive. A history day used in contract year `k` is scaled by
//! `(1 + growth)^(k + 1)`: the history is taken as the year before the
//! contract, so the first contract year already grows once. Scaled daily
//! demand is held as whole milli-tokens (`i64`, rounded half away from
//! zero): growth makes fractions, and a thousandth of a token per day is far
//! below anything a contract prices. Reported figures convert back to
//! `Decimal` exactly.
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
//! unserved, the annual lot expires with `A - min(D, A)`, the contract lot
//! keeps `R - (min(D, A + R) - min(D, A))`. So a (trial, plan) costs
//! O(years), and a trial's year totals come from per-year prefix sums of the
//! scaled history in O(weeks), without building the daily path. The exact
//! daily ledger ([`run_ledger`](super::run_ledger)) stays the reference: a
//! property test checks the fast evaluation against it on the daily path.
//!
//! **Cost.** A trial's cost is the present value of the plan's purchases
//! plus its overage (billed at each contract year's end), plus, for
//! demand refused under `None` or beyond a `Limit`, a shadow cost of
//! `unserved_price` per token (default: the overage price) — without it
//! buying nothing would look free when the contract refuses overage.
//! Percentiles are nearest-rank over the trials.
//!
//! **Determinism.** Trial `i` draws from its own generator seeded by
//! `(seed, i)`; trials and plans are computed with rayon and collected in
//! index order, so a serial run and a parallel one give identical results,
//! and the same seed gives byte-identical JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Datelike, NaiveDate};
use rayon::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::lots::{
    LedgerError, MAX_TOKENS, PurchasePlan, Term, check_contract, check_price, check_token_price,
    discount, discount_factor, present_value, shortfall_billing,
};
use super::rng::TrialRng;
use crate::progress::Progress;
use crate::scenario::{Contract, Overdraft, Scenario, TokenPrice};

/// Days in a resampled block.
const WEEK: usize = 7;
/// Milli-tokens per token.
const MILLI: i64 = 1000;
/// Bound on any milli-token sum the evaluator forms (a year's demand, a
/// plan's tokens over the term): keeps every `i64` sum far from overflow.
const MAX_MILLI_SUM: i64 = 100_000_000_000_000_000; // 1e17
/// Trials sampled, or plans evaluated, between progress reports.
const CHUNK: usize = 256;
/// Plans evaluated between progress reports (each runs every trial).
const PLAN_CHUNK: usize = 8;
/// Most plans one round of refinement adds.
const REFINE_PLANS: usize = 20;
/// Most trials a run accepts (keeps every sum of costs within `Decimal`).
const MAX_TRIALS: u32 = 1_000_000;

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
    /// A grid built around the simulated mean annual demand `M`:
    /// `annual_levels` annual quantities evenly from 0 to
    /// `max_fraction × M`, times `contract_levels` contract quantities
    /// evenly from 0 to `max_fraction × M × years`, each rounded to three
    /// significant figures of `M`.
    Auto {
        /// Number of annual quantities (including 0).
        annual_levels: u32,
        /// Number of contract quantities (including 0).
        contract_levels: u32,
        /// Largest quantity as a multiple of the demand it covers.
        max_fraction: Decimal,
        /// Rounds of refinement after the grid: each round evaluates the
        /// neighbours of the best plan overall, the best mix (both
        /// quantities ± a sub-step), the best annual-only and the best
        /// contract-only plan (their own quantity ± a sub-step), the
        /// sub-step halving from half a grid step each round (a pattern
        /// search; 0: the grid alone).
        refine: u32,
    },
    /// Exactly these plans, in this order.
    Plans(Vec<PurchasePlan>),
}

impl Default for Grid {
    /// 6 annual × 5 contract quantities, up to 1.5 × demand (30 plans),
    /// then 6 rounds of refinement (down to 1/64 of a grid step, about
    /// 0.5% of the demand; at most 20 plans a round).
    fn default() -> Self {
        Grid::Auto {
            annual_levels: 6,
            contract_levels: 5,
            max_fraction: Decimal::new(15, 1),
            refine: 6,
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
    /// Highest acceptable probability of any overage or unserved demand.
    pub risk_limit: Decimal,
    /// The plans to evaluate.
    pub grid: Grid,
    /// Shadow price of a refused token (`None`: the overage price).
    pub unserved_price: Option<Decimal>,
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
            unserved_price: None,
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
    /// Mean over trials of the present value of purchases, overage and
    /// unserved demand at its shadow price.
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
    /// Share of trials with any overage or unserved demand (4 places).
    pub overage_probability: Decimal,
}

/// The best plan of each kind, as indexes into [`SizeReport::plans`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SideBySide {
    /// Cheapest plan with annual tokens only.
    pub annual_only: Option<usize>,
    /// Cheapest plan with contract tokens only.
    pub contract_only: Option<usize>,
    /// Cheapest plan with both.
    pub best_mix: Option<usize>,
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
    /// The plan with the lowest expected cost (ties: fewer tokens, then
    /// the earlier plan).
    pub recommended: usize,
    /// The cheapest plan whose overage probability is at most the risk
    /// limit, if any.
    pub recommended_within_risk: Option<usize>,
    /// Annual-only, contract-only and mixed plans side by side.
    pub side_by_side: SideBySide,
    /// Every `Concurrent` pool sized, by pool name (empty from [`size`]).
    pub pools: Vec<super::PoolSizing>,
}

/// Daily demand history prepared for resampling over one contract term.
#[derive(Clone, Debug)]
pub struct DemandModel {
    /// Contract-year boundaries as term day indexes: year `k` is
    /// `bounds[k]..bounds[k + 1]`.
    bounds: Vec<usize>,
    /// Per contract year, the history scaled by that year's growth, in
    /// milli-tokens.
    scaled: Vec<Vec<i64>>,
    /// Per contract year, prefix sums of `scaled` (`len + 1` entries).
    prefix: Vec<Vec<i64>>,
    /// History indexes where a block may start.
    starts: Vec<usize>,
}

impl DemandModel {
    /// Prepares `history` (daily tokens by date; missing dates count as 0,
    /// repeated dates add up) for `contract`, using the last `window_days`
    /// days (0: all), scaled by `growth` per year.
    ///
    /// # Errors
    /// When the contract term is unusable, the growth is −100% or less,
    /// the history has a negative or absurd value, or it holds no whole
    /// week starting on the contract start's weekday.
    pub fn new(
        history: &[(NaiveDate, Decimal)],
        contract: &Contract,
        growth: Decimal,
        window_days: u32,
    ) -> Result<DemandModel, SizingError> {
        let term = Term::new(contract)?;
        if growth <= -Decimal::ONE || growth > Decimal::from(10) {
            return Err(SizingError::Options(format!(
                "growth per year {growth} is outside -1 (exclusive) to 10"
            )));
        }
        let mut by_date: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
        for &(date, tokens) in history {
            if tokens.is_sign_negative() || tokens > MAX_TOKENS {
                return Err(SizingError::History(format!(
                    "{date}: {tokens} tokens is not a possible daily demand"
                )));
            }
            *by_date.entry(date).or_default() += tokens;
        }
        let (Some((&first, _)), Some((&last, _))) =
            (by_date.first_key_value(), by_date.last_key_value())
        else {
            return Err(SizingError::History("no days of demand".into()));
        };
        let span = (last - first).num_days() + 1;
        let first = if window_days > 0 && span > i64::from(window_days) {
            last - chrono::Duration::days(i64::from(window_days) - 1)
        } else {
            first
        };
        let dates: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).collect();
        let raw: Vec<Decimal> = dates
            .iter()
            .map(|d| by_date.get(d).copied().unwrap_or_default())
            .collect();

        let weekday = contract.start.weekday();
        let starts: Vec<usize> = (0..dates.len())
            .filter(|&i| dates[i].weekday() == weekday && i + WEEK <= dates.len())
            .collect();
        if starts.is_empty() {
            return Err(SizingError::History(format!(
                "{} days from {first} to {last} hold no whole week starting on a {weekday:?} \
                 (the contract start's weekday); at least 13 days are needed",
                dates.len()
            )));
        }

        let years = term.years();
        let mut scaled = Vec::with_capacity(years);
        let mut factor = Decimal::ONE;
        let milli = Decimal::from(MILLI);
        for _ in 0..years {
            factor *= Decimal::ONE + growth;
            let year: Vec<i64> = raw
                .iter()
                .map(|&t| {
                    let m = (t * factor * milli)
                        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
                    i64::try_from(m.mantissa() / 10_i128.pow(m.scale())).unwrap_or(i64::MAX)
                })
                .collect();
            scaled.push(year);
        }
        let longest = dates.len().max(term.days()) as i64;
        let peak = scaled.iter().flatten().copied().max().unwrap_or(0);
        if peak > MAX_MILLI_SUM / longest {
            return Err(SizingError::History(format!(
                "daily demand up to {} tokens after growth is too large to simulate",
                Decimal::new(peak, 3)
            )));
        }
        let prefix = scaled
            .iter()
            .map(|year| {
                let mut p = Vec::with_capacity(year.len() + 1);
                let mut sum = 0;
                p.push(0);
                for &v in year {
                    sum += v;
                    p.push(sum);
                }
                p
            })
            .collect();
        let mut bounds = Vec::with_capacity(years + 1);
        bounds.push(0);
        for k in 0..years {
            bounds.push(bounds[k] + term.year_days(k));
        }
        Ok(DemandModel {
            bounds,
            scaled,
            prefix,
            starts,
        })
    }

    /// Days in the term.
    pub fn term_days(&self) -> usize {
        self.bounds.last().copied().unwrap_or(0)
    }

    /// Contract years.
    pub fn years(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Days of history resampled.
    pub fn history_days(&self) -> usize {
        self.scaled.first().map_or(0, Vec::len)
    }

    /// The history start of each block of trial `trial`, one draw per
    /// block of 7 term days.
    fn blocks(&self, seed: u64, trial: u64) -> impl Iterator<Item = usize> + '_ {
        let mut rng = TrialRng::for_trial(seed, trial);
        let n = self.starts.len() as u64;
        (0..self.term_days().div_ceil(WEEK)).map(move |_| self.starts[rng.below(n) as usize])
    }

    /// The daily demand path of trial `trial`, milli-tokens per term day:
    /// the reference the fast year totals are checked against.
    pub fn sample_path(&self, seed: u64, trial: u64) -> Vec<i64> {
        let days = self.term_days();
        let mut path = Vec::with_capacity(days);
        let mut year = 0;
        for start in self.blocks(seed, trial) {
            for offset in 0..WEEK {
                let t = path.len();
                if t == days {
                    break;
                }
                while t >= self.bounds[year + 1] {
                    year += 1;
                }
                path.push(self.scaled[year][start + offset]);
            }
        }
        path
    }

    /// Demand per contract year of trial `trial`, milli-tokens, written to
    /// `out` (one per year): the sums of [`sample_path`](Self::sample_path)
    /// by year, from prefix sums, one or two slices per block.
    pub fn sample_year_totals(&self, seed: u64, trial: u64, out: &mut [i64]) {
        out.iter_mut().for_each(|v| *v = 0);
        let days = self.term_days();
        let mut year = 0;
        for (b, start) in self.blocks(seed, trial).enumerate() {
            let mut t = b * WEEK;
            let end = (t + WEEK).min(days);
            let mut h = start;
            // A block crosses at most one anniversary (years are > 7 days).
            while t < end {
                while t >= self.bounds[year + 1] {
                    year += 1;
                }
                let stop = end.min(self.bounds[year + 1]);
                let len = stop - t;
                let p = &self.prefix[year];
                if let Some(slot) = out.get_mut(year) {
                    *slot += p[h + len] - p[h];
                }
                h += len;
                t = stop;
            }
        }
    }
}

/// What one plan does in one trial.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrialOutcome {
    /// Milli-tokens expired over the term.
    pub expired: i64,
    /// Milli-tokens of overage over the term.
    pub overage: i64,
    /// Milli-tokens refused over the term.
    pub unserved: i64,
}

/// A plan in milli-tokens, with its purchases' present values per year.
#[derive(Clone, Debug)]
pub struct FastPlan {
    annual: i64,
    contract: i64,
    purchase_pv: Vec<Decimal>,
}

/// The contract's overdraft and prices, ready for the evaluator.
#[derive(Clone, Debug)]
pub struct FastContract {
    billable: bool,
    limit: Option<i64>,
    overage_price: Decimal,
    unserved_price: Decimal,
    /// `(1 + rate)^t` for `t` in `0..=years`.
    factors: Vec<Decimal>,
}

impl FastContract {
    /// Prepares `contract` for a term of `years`; refused demand is priced
    /// at `unserved_price` (`None`: the overage price).
    ///
    /// # Errors
    /// When the overdraft limit is negative or absurd or the discount rate
    /// is −100% or less.
    pub fn new(
        contract: &Contract,
        years: usize,
        unserved_price: Option<Decimal>,
    ) -> Result<FastContract, SizingError> {
        check_contract(contract)?;
        let limit = match contract.overdraft {
            Overdraft::Limit(n) => Some(to_milli(n).ok_or_else(|| {
                SizingError::Options(format!("overdraft limit {n} is not a token quantity"))
            })?),
            _ => None,
        };
        Ok(FastContract {
            billable: !matches!(contract.overdraft, Overdraft::None),
            limit,
            overage_price: contract.overage_price,
            unserved_price: unserved_price.unwrap_or(contract.overage_price),
            factors: (0..=years)
                .map(|t| discount_factor(contract.discount_rate, t))
                .collect(),
        })
    }
}

impl FastPlan {
    /// Prepares `plan` for the evaluator.
    ///
    /// # Errors
    /// When a quantity is negative, finer than a milli-token, or too large.
    pub fn new(
        plan: &PurchasePlan,
        term: &Term,
        price: &TokenPrice,
        rate: Decimal,
    ) -> Result<FastPlan, SizingError> {
        let bad = || {
            SizingError::Options(format!(
                "plan of {} annual tokens per year and {} contract tokens is not possible",
                plan.annual_tokens_per_year, plan.contract_tokens
            ))
        };
        let annual = to_milli(plan.annual_tokens_per_year).ok_or_else(bad)?;
        let contract = to_milli(plan.contract_tokens).ok_or_else(bad)?;
        let years = term.years() as i64;
        if annual > (MAX_MILLI_SUM - contract) / years {
            return Err(bad());
        }
        let purchase_pv = plan
            .purchase_by_year(term, price)
            .into_iter()
            .enumerate()
            .map(|(k, paid)| present_value(paid, rate, k))
            .collect();
        Ok(FastPlan {
            annual,
            contract,
            purchase_pv,
        })
    }

    /// What the plan does against one trial's demand per contract year
    /// (milli-tokens), and that trial's cost.
    pub fn evaluate(&self, fc: &FastContract, year_demand: &[i64]) -> (TrialOutcome, Decimal) {
        let years = year_demand.len();
        let mut out = TrialOutcome::default();
        let mut contract_left = self.contract;
        let mut limit_left = fc.limit.unwrap_or(0);
        let mut cost = Decimal::ZERO;
        let mut shadow = Decimal::ZERO;
        for (k, &demand) in year_demand.iter().enumerate() {
            let available = self.annual + contract_left;
            let consumed = demand.min(available);
            if k + 1 == years {
                // Both lots end today: which goes first changes no total.
                out.expired += available - consumed;
                contract_left = 0;
            } else {
                let from_annual = demand.min(self.annual);
                out.expired += self.annual - from_annual;
                contract_left -= consumed - from_annual;
            }
            let short = demand - consumed;
            let (overage, unserved) = match (fc.billable, fc.limit) {
                (false, _) => (0, short),
                (true, None) => (short, 0),
                (true, Some(_)) => {
                    let billed = short.min(limit_left);
                    limit_left -= billed;
                    (billed, short - billed)
                }
            };
            out.overage += overage;
            out.unserved += unserved;
            let billed = Decimal::new(overage, 3) * fc.overage_price;
            let next = fc.factors.get(k + 1).copied().unwrap_or(Decimal::ONE);
            // The same sum, in the same order, as the ledger's per-year NPV.
            cost += self.purchase_pv.get(k).copied().unwrap_or_default() + discount(billed, next);
            if unserved > 0 {
                shadow += discount(Decimal::new(unserved, 3) * fc.unserved_price, next);
            }
        }
        (out, cost + shadow)
    }
}

/// `tokens` as whole milli-tokens, `None` when negative, finer than a
/// milli-token or beyond [`MAX_MILLI_SUM`].
fn to_milli(tokens: Decimal) -> Option<i64> {
    if tokens.is_sign_negative() {
        return None;
    }
    let m = tokens.checked_mul(Decimal::from(MILLI))?;
    if m.fract() != Decimal::ZERO || m > Decimal::from(MAX_MILLI_SUM) {
        return None;
    }
    let m = m.trunc();
    i64::try_from(m.mantissa() / 10_i128.pow(m.scale())).ok()
}

/// Sizes the token purchase for `scenario`'s contract from the daily
/// demand `history` (see the module docs for the method).
///
/// # Errors
/// [`SizingError`] when the inputs or settings are unusable, or
/// `Cancelled` when `progress` asks to stop.
pub fn size(
    history: &[(NaiveDate, Decimal)],
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
    if let Some(p) = options.unserved_price {
        check_price("unserved price", p)?;
    }
    let contract = &shortfall_billing(&scenario.contract, &scenario.token_price);
    check_contract(contract)?;
    check_token_price(&scenario.token_price)?;
    let term = Term::new(contract)?;
    let model = DemandModel::new(
        history,
        contract,
        scenario.forecast.growth_per_year,
        scenario.forecast.history_days,
    )?;
    let fc = FastContract::new(contract, term.years(), options.unserved_price)?;
    let trials = options.trials as usize;
    let years = term.years();

    // Sampling: every trial's demand per year, in trial order.
    let plan_count_hint = match &options.grid {
        Grid::Auto {
            annual_levels,
            contract_levels,
            refine,
            ..
        } => {
            (*annual_levels as usize) * (*contract_levels as usize)
                + REFINE_PLANS * (*refine as usize)
        }
        Grid::Plans(p) => p.len(),
    };
    let total_units = (trials + plan_count_hint) as u64;
    let done = AtomicU64::new(0);
    let tick = |n: usize| {
        let d = done.fetch_add(n as u64, Ordering::Relaxed) + n as u64;
        progress.report(d.min(total_units), total_units);
    };
    let mut year_totals: Vec<i64> = Vec::with_capacity(trials * years);
    for chunk_start in (0..trials).step_by(CHUNK) {
        if progress.is_cancelled() {
            return Err(SizingError::Cancelled);
        }
        let chunk_end = (chunk_start + CHUNK).min(trials);
        let sample = |i: usize| {
            let mut out = vec![0; years];
            model.sample_year_totals(options.seed, i as u64, &mut out);
            out
        };
        let rows: Vec<Vec<i64>> = if options.parallel {
            (chunk_start..chunk_end)
                .into_par_iter()
                .map(sample)
                .collect()
        } else {
            (chunk_start..chunk_end).map(sample).collect()
        };
        year_totals.extend(rows.into_iter().flatten());
        tick(chunk_end - chunk_start);
    }

    let demand_sum: i128 = year_totals.iter().map(|&v| i128::from(v)).sum();
    let mean_year_milli = demand_sum / (trials * years) as i128;
    let (mut plans, second_pass) = match &options.grid {
        Grid::Plans(p) if p.is_empty() => {
            return Err(SizingError::Options("no plans to evaluate".into()));
        }
        Grid::Plans(p) => (p.clone(), None),
        Grid::Auto {
            annual_levels,
            contract_levels,
            max_fraction,
            refine,
        } => {
            let grid = auto_grid(
                mean_year_milli,
                years,
                *annual_levels,
                *contract_levels,
                *max_fraction,
            )?;
            let plans = grid.plans.clone();
            (plans, (*refine > 0).then_some((grid, *refine)))
        }
    };

    // Evaluation: every plan against every trial, in plan order.
    let evaluate = |plan: &FastPlan| -> Stats {
        let mut costs = Vec::with_capacity(trials);
        let mut stats = Stats::default();
        for demand in year_totals.chunks_exact(years) {
            let (out, cost) = plan.evaluate(&fc, demand);
            stats.expired += i128::from(out.expired);
            stats.overage += i128::from(out.overage);
            stats.unserved += i128::from(out.unserved);
            if out.overage + out.unserved > 0 {
                stats.short_trials += 1;
            }
            costs.push(cost);
        }
        stats.cost_sum = costs.iter().sum();
        costs.sort_unstable();
        stats.percentiles = [10, 50, 90].map(|q| nearest_rank(&costs, q));
        stats
    };
    let evaluate_all = |plans: &[PurchasePlan]| -> Result<Vec<(FastPlan, Stats)>, SizingError> {
        let fast: Vec<FastPlan> = plans
            .iter()
            .map(|p| FastPlan::new(p, &term, &scenario.token_price, contract.discount_rate))
            .collect::<Result<_, _>>()?;
        let mut out = Vec::with_capacity(fast.len());
        for chunk in fast.chunks(PLAN_CHUNK) {
            if progress.is_cancelled() {
                return Err(SizingError::Cancelled);
            }
            let stats: Vec<Stats> = if options.parallel {
                chunk.par_iter().map(evaluate).collect()
            } else {
                chunk.iter().map(evaluate).collect()
            };
            out.extend(chunk.iter().cloned().zip(stats));
            tick(chunk.len());
        }
        Ok(out)
    };
    let mut evaluated = evaluate_all(&plans)?;
    if let Some((grid, rounds)) = second_pass {
        for round in 1..=rounds.min(30) {
            let extra = grid.refine(&plans, &evaluated, years, 1 << round);
            if extra.is_empty() {
                break;
            }
            evaluated.extend(evaluate_all(&extra)?);
            plans.extend(extra);
        }
        let mut both: Vec<(PurchasePlan, (FastPlan, Stats))> =
            plans.into_iter().zip(evaluated).collect();
        both.sort_by_key(|(p, _)| *p);
        (plans, evaluated) = both.into_iter().unzip();
    }

    progress.report(total_units, total_units);
    let n = Decimal::from(options.trials);
    let results: Vec<PlanResult> = plans
        .iter()
        .zip(&evaluated)
        .map(|(plan, (fp, s))| PlanResult {
            annual_tokens_per_year: plan.annual_tokens_per_year,
            contract_tokens: plan.contract_tokens,
            purchase_cost: money(fp.purchase_pv.iter().sum()),
            expected_cost: money(s.cost_sum / n),
            p10_cost: money(s.percentiles[0]),
            p50_cost: money(s.percentiles[1]),
            p90_cost: money(s.percentiles[2]),
            expected_expired: tokens_mean(s.expired, options.trials),
            expected_overage: tokens_mean(s.overage, options.trials),
            expected_unserved: tokens_mean(s.unserved, options.trials),
            overage_probability: fixed(Decimal::from(s.short_trials) / n, 4),
        })
        .collect();

    let best = |filter: &dyn Fn(&PurchasePlan, &Stats) -> bool| {
        best_index(&plans, &evaluated, years, filter)
    };
    let recommended = best(&|_, _| true).unwrap_or(0);
    let limit = options.risk_limit * n;
    let side_by_side = SideBySide {
        annual_only: best(&|p, _| Kind::of(p) == Kind::AnnualOnly),
        contract_only: best(&|p, _| Kind::of(p) == Kind::ContractOnly),
        best_mix: best(&|p, _| Kind::of(p) == Kind::Mix),
    };
    let recommended_within_risk = best(&|_, s| Decimal::from(s.short_trials) <= limit);
    Ok(SizeReport {
        trials: options.trials,
        seed: options.seed,
        term_start: term.start(),
        term_years: years,
        history_days: model.history_days(),
        mean_annual_demand: fixed(
            Decimal::try_from_i128_with_scale(mean_year_milli, 3).unwrap_or_default(),
            2,
        ),
        plans: results,
        recommended,
        recommended_within_risk,
        side_by_side,
        pools: Vec::new(),
    })
}

/// Per-plan accumulators over the trials.
#[derive(Clone, Debug, Default)]
struct Stats {
    cost_sum: Decimal,
    percentiles: [Decimal; 3],
    expired: i128,
    overage: i128,
    unserved: i128,
    short_trials: u64,
}

/// The `q`-th percentile of sorted `values` by nearest rank: the value at
/// rank `ceil(q/100 × n)`.
fn nearest_rank(sorted: &[Decimal], q: usize) -> Decimal {
    let n = sorted.len();
    let rank = (q * n).div_ceil(100).max(1);
    sorted.get(rank - 1).copied().unwrap_or_default()
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

/// What a plan buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Nothing,
    AnnualOnly,
    ContractOnly,
    Mix,
}

impl Kind {
    fn of(p: &PurchasePlan) -> Kind {
        match (
            p.annual_tokens_per_year.is_zero(),
            p.contract_tokens.is_zero(),
        ) {
            (true, true) => Kind::Nothing,
            (false, true) => Kind::AnnualOnly,
            (true, false) => Kind::ContractOnly,
            (false, false) => Kind::Mix,
        }
    }
}

/// The cheapest plan that `filter` accepts. Ranks on the exact cost sums
/// (every plan has the same trials), ties to fewer tokens over the term,
/// then to the earlier plan.
fn best_index(
    plans: &[PurchasePlan],
    evaluated: &[(FastPlan, Stats)],
    years: usize,
    filter: &dyn Fn(&PurchasePlan, &Stats) -> bool,
) -> Option<usize> {
    plans
        .iter()
        .zip(evaluated)
        .enumerate()
        .filter(|(_, (p, (_, s)))| filter(p, s))
        .min_by_key(|(i, (p, (_, s)))| {
            (
                s.cost_sum,
                p.annual_tokens_per_year * Decimal::from(years) + p.contract_tokens,
                *i,
            )
        })
        .map(|(i, _)| i)
}

/// The automatic grid and what its second pass needs.
#[derive(Clone, Debug)]
struct AutoGrid {
    plans: Vec<PurchasePlan>,
    annual_step: Decimal,
    contract_step: Decimal,
    /// Quantities are multiples of this.
    unit: Decimal,
}

impl AutoGrid {
    /// Plans not yet in `plans` one sub-step (`1/divisor` of a grid step,
    /// rounded to the grid's unit) from the best plan overall and the best
    /// mix (both quantities varied), the best annual-only and the best
    /// contract-only plan (their own quantity varied).
    fn refine(
        &self,
        plans: &[PurchasePlan],
        evaluated: &[(FastPlan, Stats)],
        years: usize,
        divisor: u32,
    ) -> Vec<PurchasePlan> {
        // A sub-step below the unit would give quantities the grid does not
        // round to: stop there.
        let sub = |step: Decimal| {
            (step / Decimal::from(divisor) / self.unit)
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                * self.unit
        };
        let (a_sub, c_sub) = (sub(self.annual_step), sub(self.contract_step));
        let reach = 1;
        let have: BTreeSet<PurchasePlan> = plans.iter().copied().collect();
        let mut new = BTreeSet::new();
        let searches: [(Option<Kind>, bool, bool); 4] = [
            (None, true, true),
            (Some(Kind::Mix), true, true),
            (Some(Kind::AnnualOnly), true, false),
            (Some(Kind::ContractOnly), false, true),
        ];
        for (kind, vary_a, vary_c) in searches {
            let filter = |p: &PurchasePlan, _: &Stats| kind.is_none_or(|k| Kind::of(p) == k);
            let Some(p) = best_index(plans, evaluated, years, &filter).and_then(|i| plans.get(i))
            else {
                continue;
            };
            let span = |vary: bool, sub: Decimal| {
                if vary && !sub.is_zero() {
                    -reach..=reach
                } else {
                    0..=0
                }
            };
            for da in span(vary_a, a_sub) {
                for dc in span(vary_c, c_sub) {
                    let a = p.annual_tokens_per_year + a_sub * Decimal::from(da);
                    let c = p.contract_tokens + c_sub * Decimal::from(dc);
                    if a.is_sign_negative() || c.is_sign_negative() {
                        continue;
                    }
                    let plan = PurchasePlan {
                        annual_tokens_per_year: a.normalize(),
                        contract_tokens: c.normalize(),
                    };
                    if !have.contains(&plan) {
                        new.insert(plan);
                    }
                }
            }
        }
        new.into_iter().collect()
    }
}

/// The automatic plan grid (see [`Grid::Auto`]), sorted by annual then
/// contract quantity, without duplicates.
fn auto_grid(
    mean_year_milli: i128,
    years: usize,
    annual_levels: u32,
    contract_levels: u32,
    max_fraction: Decimal,
) -> Result<AutoGrid, SizingError> {
    if annual_levels == 0
        || contract_levels == 0
        || u64::from(annual_levels) * u64::from(contract_levels) > 10_000
    {
        return Err(SizingError::Options(format!(
            "grid of {annual_levels} × {contract_levels} plans: each must be at least 1, \
             and 10,000 plans at most"
        )));
    }
    if max_fraction.is_sign_negative() || max_fraction > Decimal::from(100) {
        return Err(SizingError::Options(format!(
            "largest plan {max_fraction} × demand is outside 0 to 100"
        )));
    }
    let mean = Decimal::try_from_i128_with_scale(mean_year_milli, 3).unwrap_or(Decimal::ZERO);
    // Round quantities to three significant figures of the mean demand, so
    // plans read as 11,000 rather than 10,953.
    let digits = mean.trunc().to_string().trim_start_matches('0').len() as u32;
    let unit = Decimal::from(10_i64.pow(digits.saturating_sub(3).min(15)));
    let level = |i: u32, levels: u32, base: Decimal| {
        let raw = base * max_fraction * Decimal::from(i) / Decimal::from((levels - 1).max(1));
        ((raw / unit).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * unit)
            .normalize()
    };
    let term_demand = mean * Decimal::from(years);
    let mut set = BTreeSet::new();
    for i in 0..annual_levels {
        for j in 0..contract_levels {
            set.insert(PurchasePlan {
                annual_tokens_per_year: level(i, annual_levels, mean),
                contract_tokens: level(j, contract_levels, term_demand),
            });
        }
    }
    Ok(AutoGrid {
        plans: set.into_iter().collect(),
        annual_step: if annual_levels > 1 {
            level(1, annual_levels, mean)
        } else {
            Decimal::ZERO
        },
        contract_step: if contract_levels > 1 {
            level(1, contract_levels, term_demand)
        } else {
            Decimal::ZERO
        },
        unit,
    })
}
