//! The tornado (SPEC §9): for each input, the term plan's NPV when that
//! input's effective value is × (1 − X) and × (1 + X), the plan
//! re-optimised, sorted by swing; beside it the plan recommended today held
//! fixed (its seats and token purchases) at the same points.
//!
//! Every point re-plans from the term's forecast where only prices move
//! (the same [`TermDemand`]: the fast path); growth re-forecasts, and the
//! usage volume scales the forecast ([`TermDemand::scaled`]). Each point's
//! search starts from today's plan ([`plan_term_from`]), so the
//! re-optimised plan never costs more there than today's held. A point
//! whose move the plan's search does not see — the overage price, which
//! it never prices, or a move that leaves the scenario as it was (a growth
//! or escalation of 0) — keeps today's plan without a search. All points
//! run in parallel.

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::scenario::Scenario;
use crate::term::demand::TermDemand;
use crate::term::years::problem;
use crate::term::{TermPlan, plan_term_from};

use super::points::{Driver, held_npv, need_of};
use super::{Base, PackError};

/// One input's bar of the tornado.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SensitivityRow {
    /// The input.
    pub driver: Driver,
    /// As an analyst names it.
    pub label: String,
    /// Its effective value today.
    pub base_value: Decimal,
    /// × (1 − X).
    pub low_value: Decimal,
    /// × (1 + X).
    pub high_value: Decimal,
    /// Re-optimised term NPV at the low value.
    pub low_npv: Decimal,
    /// Re-optimised term NPV at the high value.
    pub high_npv: Decimal,
    /// |high − low|.
    pub swing: Decimal,
    /// Today's plan held fixed, NPV at the low value.
    pub held_low_npv: Decimal,
    /// Today's plan held fixed, NPV at the high value.
    pub held_high_npv: Decimal,
    /// True when a re-optimisation was not proven optimal.
    pub approximate: bool,
}

/// The tornado.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Sensitivity {
    /// X: each input moves by ± this share.
    pub swing: Decimal,
    /// The term plan's NPV today.
    pub base_npv: Decimal,
    /// One per input, largest swing first (ties: the inputs' order).
    pub rows: Vec<SensitivityRow>,
}

/// A point's re-optimised plan and the held plan's NPV there.
struct Point {
    npv: Decimal,
    held: Decimal,
    proven: bool,
}

/// Evaluates the scenario moved along `driver` by `factor`.
fn point(base: &Base<'_>, driver: &Driver, factor: Decimal) -> Result<Point, PackError> {
    let scenario: Scenario = driver.apply(base.scenario, factor);
    // The plan's search prices neither the overage (its tokens are bought
    // as lots of the whole uncovered forecast) nor anything of a scenario
    // the move left as it was (growth or escalation of 0, no prices to
    // escalate): there today's plan is the answer, re-planned or not.
    let unmoved = *driver == Driver::OveragePrice
        || (*driver != Driver::UsageVolume && scenario == *base.scenario);
    let owned: Option<TermDemand> = match driver {
        _ if unmoved => None,
        Driver::Growth => Some(TermDemand::new(base.metered, base.usage, &scenario)?),
        Driver::UsageVolume => Some(base.demand.scaled(factor)?),
        _ => None,
    };
    let demand = owned.as_ref().unwrap_or(&base.demand);
    let priced = problem(demand, &scenario)?;
    let need = need_of(demand, &base.plan);
    let held = held_npv(&priced, &scenario.contract.overdraft, &base.plan, &need);
    if unmoved {
        return Ok(Point {
            npv: base.plan.npv,
            held,
            proven: base.plan.proven_optimal,
        });
    }
    let plan: TermPlan = plan_term_from(demand, &scenario, base.search, &base.plan)?;
    Ok(Point {
        npv: plan.npv,
        held,
        proven: plan.proven_optimal,
    })
}

/// The tornado at ± `swing` (see the module doc).
///
/// # Errors
/// [`PackError`] when a moved scenario cannot be planned.
pub fn sensitivity(base: &Base<'_>, swing: Decimal) -> Result<Sensitivity, PackError> {
    let drivers = Driver::all(base.scenario);
    let low = Decimal::ONE - swing;
    let high = Decimal::ONE + swing;
    let jobs: Vec<(usize, Decimal)> = (0..drivers.len())
        .flat_map(|i| [(i, low), (i, high)])
        .collect();
    let points: Vec<Point> = jobs
        .par_iter()
        .map(|(i, f)| {
            let r = point(base, &drivers[*i], *f);
            base.tick();
            r
        })
        .collect::<Result<_, _>>()?;
    let mut rows: Vec<SensitivityRow> = drivers
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let (lo, hi) = (&points[2 * i], &points[2 * i + 1]);
            let value = d.value(base.scenario);
            SensitivityRow {
                driver: d.clone(),
                label: d.label(base.scenario),
                base_value: value,
                low_value: value * low,
                high_value: value * high,
                low_npv: lo.npv,
                high_npv: hi.npv,
                swing: (hi.npv - lo.npv).abs(),
                held_low_npv: lo.held,
                held_high_npv: hi.held,
                approximate: !(lo.proven && hi.proven),
            }
        })
        .collect();
    // Stable: equal swings keep the inputs' order.
    rows.sort_by_key(|r| std::cmp::Reverse(r.swing));
    Ok(Sensitivity {
        swing,
        base_npv: base.plan.npv,
        rows,
    })
}
