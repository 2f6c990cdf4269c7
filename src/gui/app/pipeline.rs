//! The work of the job chain's jobs as plain functions, each what one
//! background job runs on its worker: the load of the data ([`load`]),
//! metering ([`meter`]), the plan ([`crate::gui::model::plan::run`]), the
//! term ([`crate::gui::model::term::run`]), sizing ([`size`]) and the
//! audit ([`audit`]). The app's jobs call these; `bench_pipeline` runs
//! them headless, in the chain's order, on the same inputs.

use super::Metering;
use crate::gui::engine;
use crate::gui::model::charges::Charges;
use crate::gui::model::findings::AuditClock;
use crate::gui::model::insights::Insights;
use crate::gui::model::pool::PoolData;
use crate::meter::Metered;
use crate::plan::{PlanInput, Recommendation};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::usage::Usage;
use std::sync::Arc;

pub use super::data::{LoadRequest, Remembered, ScenarioSource, load};

/// The Meter job: the usage metered under `scenario`, with what the
/// Charges view draws.
///
/// # Errors
/// As [`engine::meter`].
pub fn meter(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<Metering, String> {
    let metered = engine::meter(usage, scenario, progress)?;
    let charges = Charges::build(&metered, Some(scenario));
    Ok(Metering {
        metered: Arc::new(metered),
        charges,
    })
}

/// The Size job: the token purchase sized from the metering and the plan
/// of the same inputs (planned again when there is none: the plan
/// failed), with what the Pool view draws.
///
/// # Errors
/// As [`engine::size_tokens`].
pub fn size(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    plan: Option<&(Arc<PlanInput>, Recommendation)>,
    progress: &dyn Progress,
) -> Result<PoolData, String> {
    let plan = plan.map(|(input, rec)| (&**input, rec));
    let sized = engine::size_tokens(usage, scenario, metered, plan, progress)?;
    Ok(PoolData::build(sized, scenario))
}

/// The Audit job: every monitoring view and what-if from the metering
/// (the audit reuses its charges), with what the Insights view draws.
///
/// # Errors
/// As [`engine::audit`].
pub fn audit(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    progress: &dyn Progress,
) -> Result<Insights, String> {
    let report = engine::audit(usage, scenario, metered, progress)?;
    Ok(Insights::build(&report, &AuditClock::new(usage, scenario)))
}
