//! The best mix: forecast, crossover and the optimiser (SPEC §4).
//!
//! Data flows as:
//! - [`PlanInput::new`] forecasts next year's demand from a
//!   [`Metered`] history ([`forecast()`]) and
//!   precomputes, per user, the compact (product, forecast tokens) list and
//!   the candidate plans worth considering — once per history and scenario.
//! - [`optimise()`] picks every user's plan at a token price (flat or tiers)
//!   under the scenario's constraints: a [`Recommendation`]. It is cheap, so
//!   the GUI re-runs it whenever the price moves.
//! - [`baselines()`] costs all-tokens, all-subscriptions and the current
//!   assignments; [`crossover()`] the break-even use-days; [`cost_curve`]
//!   the total cost against one subscription's seats; [`token_demand`]
//!   the daily demand the recommendation leaves to tokens (what pool
//!   sizing serves). The double-dip audit is
//!   [`crate::monitor::double_dip`].
//! - [`RecommendReport`] is `recommend --format json` and writes the
//!   reassignment list as CSV ([`reassignment`] adds each user's
//!   department and cost centre, for all users or the ones a table shows).

pub mod baselines;
pub mod crossover;
pub mod curve;
pub mod demand;
pub mod forecast;
pub mod input;
pub mod optimise;
pub mod pools;
pub mod price;
pub mod reassignment;
pub mod report;

pub use baselines::{Baseline, Baselines, baselines};
pub use crossover::{Crossover, crossover};
pub use curve::{CostCurve, CurvePoint, cost_curve};
pub use demand::{token_demand, token_demand_of};
pub use forecast::{
    Forecast, PairForecast, PeakPoolForecast, contract_year_start, forecast, forecast_at,
    forecast_year, short_window_warning,
};
pub use input::{Demand, PlanInput, SubscriptionInfo, UserInput};
pub use optimise::{
    Method, Pick, Recommendation, Search, optimise, optimise_default, optimise_with,
};
pub use pools::{PoolLine, pool_lines};
pub use price::{Purchase, Schedule};
pub use reassignment::ListRows;
pub use report::{Fixed2, RecommendReport, fixed2};

use crate::meter::Metered;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// Why a plan could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The token price is unusable.
    #[error("token price: {0}")]
    Price(String),
    /// A constraint names something unknown or cannot be met.
    #[error("constraint: {0}")]
    Constraint(String),
    /// The scenario is beyond what the optimiser enumerates.
    #[error("too large to optimise: {0}")]
    TooLarge(String),
}

/// Forecasts, optimises at the scenario's token price and builds the
/// report, baselines included: what `recommend` prints.
///
/// # Errors
/// As [`PlanInput::new`] and [`optimise()`].
pub fn recommend(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<RecommendReport, PlanError> {
    let input = PlanInput::new(metered, usage, scenario)?;
    let rec = optimise_default(&input)?;
    let base = baselines(&input, &rec.schedule);
    Ok(RecommendReport::new(&input, &rec, &base))
}

/// Per user, the products the recommendation covers by a subscription, as a
/// bitmask over [`PlanInput::products`] (users absent hold no subscription).
/// Pool sizing keeps only the charges left to tokens.
pub fn covered_products(
    input: &PlanInput,
    rec: &Recommendation,
) -> std::collections::HashMap<crate::usage::UserId, u128> {
    let mut covered = std::collections::HashMap::new();
    for (user, pick) in input.users.iter().zip(&rec.picks) {
        let mask = input
            .subscriptions
            .iter()
            .enumerate()
            .filter(|(i, _)| pick.mask & (1 << i) != 0)
            .fold(0u128, |m, (_, s)| m | s.covers);
        if mask != 0 {
            covered.insert(user.user, mask);
        }
    }
    covered
}
