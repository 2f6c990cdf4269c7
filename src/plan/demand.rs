//! The daily token demand a purchase of tokens must serve: what the
//! recommended mix leaves to tokens (SPEC §5). `tokenplan size` and the
//! GUI's Pool view size the token pool from it.

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{PlanError, PlanInput, covered_products, optimise_default};
use crate::meter::{Metered, RuleKind};
use crate::scenario::Scenario;
use crate::usage::Usage;

/// Daily tokens of the charges the recommended mix (at the scenario's own
/// token price) leaves to tokens: every (user, product) pair whose product
/// no recommended subscription of that user covers, leaving out products
/// charged under `Concurrent` (their pools are sized as pools). One entry
/// per date from the first such charge to the last, days without charges
/// as 0 (see [`crate::ledger::daily_demand_where`]).
///
/// # Errors
/// As [`PlanInput::new`] and [`optimise_default`]: the recommendation
/// cannot be made.
pub fn token_demand(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
) -> Result<Vec<(NaiveDate, Decimal)>, PlanError> {
    let input = PlanInput::new(metered, usage, scenario)?;
    let rec = optimise_default(&input)?;
    let covered = covered_products(&input, &rec);
    let pooled: Vec<bool> = metered
        .rules
        .iter()
        .map(|r| matches!(r.kind, RuleKind::Concurrent))
        .collect();
    Ok(crate::ledger::daily_demand_where(
        metered,
        |user, product| {
            let idx = usize::from(product);
            !pooled.get(idx).copied().unwrap_or(false)
                && covered.get(&user).is_none_or(|m| m & (1u128 << idx) == 0)
        },
    ))
}
