//! What the sizing's simulated terms look like, for a person to check them:
//! the fan of simulated demand per contract year ([`demand_fan`]: P10, P50
//! and P90 over the same trials and seed as [`size`](super::size)) and the
//! exact ledger of the recommended plan on the median trial's daily path
//! ([`median_ledger`]).
//!
//! `nearest_rank` is the percentile definition sizing uses everywhere:
//! rank `ceil(q/100 × n)` of the sorted values.

use rust_decimal::Decimal;

use super::sizing::{DemandHistory, DemandModel};
use super::{LedgerError, LedgerRun, PurchasePlan, SizeReport, SizingError, SizingOptions, Term};
use crate::progress::Progress;
use crate::scenario::Scenario;

/// The simulated demand of the sizing's trials, per contract year, and the
/// median trial.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandFan {
    /// Per contract year: P10, P50 and P90 of the simulated demand, tokens.
    pub annual: Vec<[Decimal; 3]>,
    /// The trial whose whole-term demand is the median (nearest rank; the
    /// lower trial number among equal totals).
    pub median_trial: u64,
    /// That trial's daily demand, tokens per term day from the contract
    /// start: the path [`median_ledger`] replays.
    pub median_path: Vec<Decimal>,
}

/// Simulates `options.trials` contract terms of `history` (daily token
/// demand) under `scenario`'s contract and forecast growth, exactly as
/// [`size`](super::size) does with the same options, and summarises them.
///
/// # Errors
/// When the demand model cannot be built (a bad contract term or growth,
/// no usable week of history; a history without demand is a fan of
/// zeros), or [`SizingError::Cancelled`] when
/// `progress` asks to stop.
pub fn demand_fan(
    history: &DemandHistory,
    scenario: &Scenario,
    options: &SizingOptions,
    progress: &dyn Progress,
) -> Result<DemandFan, SizingError> {
    // With no token demand there is nothing to resample: every simulated
    // day of every trial demands nothing.
    if !history.has_demand() {
        let term = Term::new(&scenario.contract)?;
        return Ok(DemandFan {
            annual: vec![[Decimal::ZERO; 3]; term.years()],
            median_trial: 0,
            median_path: vec![Decimal::ZERO; term.days()],
        });
    }
    let model = DemandModel::new(
        history,
        &scenario.contract,
        scenario.forecast.growth_per_year,
        scenario.forecast.history_days,
    )?;
    let trials = options.trials as usize;
    let mut by_year: Vec<Vec<i64>> = vec![Vec::with_capacity(trials); model.years()];
    let mut totals: Vec<(i64, u64)> = Vec::with_capacity(trials);
    let mut out = vec![0; model.years()];
    for trial in 0..u64::from(options.trials) {
        if progress.is_cancelled() {
            return Err(SizingError::Cancelled);
        }
        model.sample_year_totals(options.seed, trial, &mut out);
        for (year, v) in by_year.iter_mut().zip(&out) {
            year.push(*v);
        }
        totals.push((out.iter().sum(), trial));
    }
    let annual = by_year
        .into_iter()
        .map(|mut v| {
            v.sort_unstable();
            [10, 50, 90].map(|q| milli(nearest_rank(&v, q)))
        })
        .collect();
    totals.sort_unstable();
    let median_trial = nearest_rank(&totals, 50).1;
    let median_path = model
        .sample_path(options.seed, median_trial)
        .into_iter()
        .map(milli)
        .collect();
    Ok(DemandFan {
        annual,
        median_trial,
        median_path,
    })
}

/// Why the median trial's ledger could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MedianLedgerError {
    /// The sizing report has no recommended plan.
    #[error("no plan was evaluated")]
    NoPlan,
    /// The contract or the plan's lots are unusable.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// The exact day-by-day ledger of `report`'s recommended plan, bought at
/// `scenario`'s token price, on the median trial's demand path of `fan`.
///
/// # Errors
/// [`MedianLedgerError::NoPlan`] when no plan was evaluated; the ledger's
/// error when the contract term or the lots are unusable.
pub fn median_ledger(
    report: &SizeReport,
    fan: &DemandFan,
    scenario: &Scenario,
) -> Result<LedgerRun, MedianLedgerError> {
    let best = report
        .plans
        .get(report.recommended)
        .ok_or(MedianLedgerError::NoPlan)?;
    let term = Term::new(&scenario.contract)?;
    let plan = PurchasePlan {
        annual_tokens_per_year: best.annual_tokens_per_year,
        contract_tokens: best.contract_tokens,
    };
    let lots = plan.lots(&term, &scenario.token_price);
    // The scenario's token price buys a TopUp contract's packs.
    let prices = super::LedgerPrices::constant(&scenario.contract, Some(&scenario.token_price));
    Ok(super::run_ledger_priced(
        &scenario.contract,
        &prices,
        &lots,
        &fan.median_path,
    )?)
}

/// Milli-tokens (the demand model's unit) as tokens.
fn milli(v: i64) -> Decimal {
    Decimal::new(v, 3).normalize()
}

/// The `q`-th percentile of `sorted` by nearest rank: the value at rank
/// `ceil(q/100 × n)` (at least 1); the default of `T` when `sorted` is
/// empty.
pub(crate) fn nearest_rank<T: Copy + Default>(sorted: &[T], q: usize) -> T {
    sorted
        .get(nearest_rank_index(sorted.len(), q))
        .copied()
        .unwrap_or_default()
}

/// The 0-based index of the `q`-th percentile by nearest rank among `n`
/// sorted values: `ceil(q/100 × n) − 1`, at least 0 (callers that only
/// partially sort select this index).
pub(crate) fn nearest_rank_index(n: usize, q: usize) -> usize {
    (q * n).div_ceil(100).max(1) - 1
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use chrono::NaiveDate;

    #[test]
    fn nearest_rank_takes_the_ceiling_rank() {
        let v: Vec<u32> = (1..=10).collect();
        // n = 10: P10 → rank 1, P50 → rank 5, P90 → rank 9, P95 → ⌈9.5⌉ = 10.
        assert_eq!(nearest_rank(&v, 10), 1);
        assert_eq!(nearest_rank(&v, 50), 5);
        assert_eq!(nearest_rank(&v, 90), 9);
        assert_eq!(nearest_rank(&v, 95), 10);
        // P0 is the first value; an empty list gives the default.
        assert_eq!(nearest_rank(&v, 0), 1);
        assert_eq!(nearest_rank::<u32>(&[], 50), 0);
    }

    #[test]
    fn a_constant_history_fans_to_one_value_per_year() {
        let mut scenario = crate::sample::scenario().unwrap();
        scenario.forecast.growth_per_year = Decimal::ZERO;
        scenario.forecast.history_days = 0;
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        let daily: Vec<(NaiveDate, Decimal)> = (0..28)
            .map(|i| (start + chrono::Duration::days(i), Decimal::from(2)))
            .collect();
        let history = DemandHistory::from_tokens(&daily);
        let mut options = SizingOptions::from_scenario(&scenario);
        options.trials = 50;
        let fan = demand_fan(&history, &scenario, &options, &NoProgress).unwrap();
        // Every resampled day demands 2 tokens with no growth: the contract
        // years 2026, 2027 (365 days) and 2028 (366) demand 730, 730, 732
        // in every trial, so P10 = P50 = P90.
        let two = |n: i64| [Decimal::from(n); 3];
        assert_eq!(fan.annual, vec![two(730), two(730), two(732)]);
        // All totals tie at 2,192: the median by nearest rank is the 25th
        // of 50 in (total, trial) order, trial 24.
        assert_eq!(fan.median_trial, 24);
        assert_eq!(fan.median_path.len(), 365 + 365 + 366);
        assert!(fan.median_path.iter().all(|t| *t == Decimal::from(2)));
    }
}
