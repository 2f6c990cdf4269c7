//! `Concurrent` pools in the recommendation (SPEC §4): a pool is bought as
//! a pool, not per user, so it is one priced line of the plan.
//!
//! A pool's size is the smallest size whose share of denied checkouts,
//! replaying the history, is at most `sizing.target_denial_rate`
//! ([`size_pools`], the same search `size` reports, where denied demand
//! will be added back), × (1 + `growth_per_year`), rounded up to a whole
//! token. It is priced outside the token tiers at the scenario's
//! `pools: {"NAME": Pool(price_per_token_year: "120.00")}`: cost = size ×
//! price. A pool without a price is sized, costed at 0, and a warning says
//! so. Pools without a checkout in the history get no line.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::ledger::pools::size_pools;
use crate::meter::Metered;
use crate::scenario::Scenario;

/// One `Concurrent` pool of the recommendation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolLine {
    /// Pool name.
    pub pool: String,
    /// Codes of the products drawing from it, in code order.
    pub products: Vec<String>,
    /// Highest concurrent draw over the history.
    pub peak: u32,
    /// The smallest size meeting the target denial rate over the history.
    pub size_for_target: u32,
    /// What to buy: `size_for_target` × (1 + growth), rounded up.
    pub size: u32,
    /// Price of one token of pool size for a year (`None`: not given).
    pub price: Option<Decimal>,
    /// `size` × `price` (0 without a price).
    pub cost: Decimal,
}

/// The lines of every `Concurrent` pool of `metered` with at least one
/// checkout, by pool name, and a warning per pool without a price.
pub fn pool_lines(metered: &Metered, scenario: &Scenario) -> (Vec<PoolLine>, Vec<String>) {
    let growth = Decimal::ONE + scenario.forecast.growth_per_year;
    let mut warnings = Vec::new();
    let lines = size_pools(metered, scenario.sizing.target_denial_rate, &[])
        .into_iter()
        .filter(|p| p.checkouts > 0)
        .map(|p| {
            let size = (Decimal::from(p.size_for_target) * growth)
                .max(Decimal::ZERO)
                .ceil()
                .to_u32()
                .unwrap_or(u32::MAX);
            let price = scenario
                .pools
                .get(&p.pool)
                .and_then(|x| x.price_per_token_year);
            if price.is_none() {
                warnings.push(format!(
                    "pool {name} has no price: sized at {size} tokens and costed at 0; \
                     price it with pools: {{\"{name}\": Pool(price_per_token_year: \"120.00\")}}",
                    name = p.pool
                ));
            }
            PoolLine {
                cost: price.map_or(Decimal::ZERO, |x| x * Decimal::from(size)),
                pool: p.pool,
                products: p.products,
                peak: p.peak,
                size_for_target: p.size_for_target,
                size,
                price,
            }
        })
        .collect();
    (lines, warnings)
}
