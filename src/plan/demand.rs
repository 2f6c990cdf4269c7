//! The daily token demand a purchase of tokens must serve: what the
//! recommended mix leaves to tokens (SPEC §5). `tokenplan size` and the
//! GUI's Pool view size the token pool from it.

use super::{PlanError, PlanInput, Recommendation, covered_products, optimise_default};
use crate::ledger::DemandHistory;
use crate::meter::Metered;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// The demand history of the charges the recommended mix (at the
/// scenario's own token price) leaves to tokens: every (user, product)
/// pair whose product no recommended subscription of that user covers.
/// [`crate::ledger::token_demand`] leaves out `Concurrent` pools (sized as
/// pools), counts `DailyPeak` pools by their daily peaks and keeps rated
/// units so that each simulated day is re-priced at its own rates.
///
/// # Errors
/// As [`PlanInput::new`] and [`optimise_default`]: the recommendation
/// cannot be made.
pub fn token_demand(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<DemandHistory, PlanError> {
    let input = PlanInput::new(metered, usage, scenario)?;
    let rec = optimise_default(&input)?;
    Ok(token_demand_of(metered, scenario, &input, &rec))
}

/// [`token_demand`] of a recommendation already made from `input` at the
/// scenario's token price (the GUI's plan), without planning again.
pub fn token_demand_of(
    metered: &Metered,
    scenario: &Scenario,
    input: &PlanInput,
    rec: &Recommendation,
) -> DemandHistory {
    let covered = covered_products(input, rec);
    crate::ledger::token_demand(metered, scenario, |user, product| {
        covered
            .get(&user)
            .is_none_or(|m| m & (1u128 << usize::from(product)) == 0)
    })
}
