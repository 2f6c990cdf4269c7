//! The cost of [`buy`] on the search's hot path: the dynamic programme
//! prices a year's purchase for every seat count of a subscription, tens
//! of thousands of times a step.
//!
//! With all-units tiers, whole-token packs and floors that fit in `i64`
//! tokens — every real price list — the purchase is the need rounded up
//! to whole packs, at its bracket's price, or a higher bracket's floor
//! (rounded up) when that costs less. Those buy-up costs do not depend on
//! the need: [`QuickBuy`] prices them once, with the suffix minima over
//! brackets, so a purchase costs one rounding, one binary search on
//! integers, one multiplication and one comparison. Anything else
//! (incremental tiers, fractional packs) goes through [`buy`] itself.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::plan::Schedule;
use crate::scenario::TierMode;

use super::problem::buy;

/// A year's token price, ready to cost purchases quickly.
#[derive(Clone, Debug)]
pub struct QuickBuy {
    schedule: Schedule,
    pack: Decimal,
    fast: Option<Fast>,
}

/// The all-units, whole-pack case.
#[derive(Clone, Debug)]
struct Fast {
    /// Tokens per pack (≥ 1).
    pack: i64,
    /// The first bracket's floor, rounded up to whole packs.
    first: i64,
    /// Per bracket: its floor rounded up to whole tokens (a whole quantity
    /// reaches the bracket exactly when it is at least this), and its price.
    floors: Vec<i64>,
    prices: Vec<Decimal>,
    /// Per bracket b: the floor rounded up to whole packs, and the least
    /// cost of buying up to the floor of b or of any later bracket.
    up: Vec<i64>,
    suffix_min: Vec<Decimal>,
}

impl QuickBuy {
    /// Prepares `schedule` bought in multiples of `pack` tokens.
    pub fn new(schedule: &Schedule, pack: Decimal) -> QuickBuy {
        QuickBuy {
            schedule: schedule.clone(),
            pack,
            fast: Fast::new(schedule, pack),
        }
    }

    /// `buy(schedule, need, pack).cost`, exactly.
    pub fn cost(&self, need: Decimal) -> Decimal {
        match &self.fast {
            Some(fast) => fast
                .cost(need)
                .unwrap_or_else(|| buy(&self.schedule, need, self.pack).cost),
            None => buy(&self.schedule, need, self.pack).cost,
        }
    }
}

impl Fast {
    fn new(schedule: &Schedule, pack: Decimal) -> Option<Fast> {
        if schedule.mode() != TierMode::AllUnits || !pack.fract().is_zero() {
            return None;
        }
        let pack = pack.to_i64().filter(|&p| p >= 1)?;
        let brackets = schedule.brackets();
        let floors: Vec<i64> = brackets
            .iter()
            .map(|b| b.floor.ceil().to_i64())
            .collect::<Option<_>>()?;
        let prices: Vec<Decimal> = brackets.iter().map(|b| b.price).collect();
        let round = |q: i64| q.checked_add(pack - 1).map(|q| q / pack * pack);
        let up: Vec<i64> = floors
            .iter()
            .map(|&f| round(f.max(0)))
            .collect::<Option<_>>()?;
        let first = *up.first()?;
        let mut fast = Fast {
            pack,
            first,
            floors,
            prices,
            up,
            suffix_min: Vec::new(),
        };
        let mut suffix_min = vec![Decimal::MAX; fast.up.len()];
        let mut least = Decimal::MAX;
        for b in (0..fast.up.len()).rev() {
            least = least.min(fast.at(fast.up[b]));
            suffix_min[b] = least;
        }
        fast.suffix_min = suffix_min;
        Some(fast)
    }

    /// Buying exactly `q` whole tokens.
    fn at(&self, q: i64) -> Decimal {
        let bracket = self.floors.partition_point(|&f| f <= q).saturating_sub(1);
        self.prices[bracket] * Decimal::from(q)
    }

    /// `None` when the need does not fit in `i64` tokens.
    fn cost(&self, need: Decimal) -> Option<Decimal> {
        let whole = need.ceil().to_i64()?.max(0);
        let q = whole
            .checked_add(self.pack - 1)
            .map(|q| q / self.pack * self.pack)?
            .max(self.first);
        let here = self.at(q);
        // Buying up: the brackets whose rounded floor is above q.
        let later = self.up.partition_point(|&u| u <= q);
        Some(match self.suffix_min.get(later) {
            Some(&up) if up < here => up,
            _ => here,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Tier, TokenPrice};
    use proptest::prelude::*;

    fn schedule(mode: TierMode, tiers: &[(u64, i64)]) -> Schedule {
        let price = TokenPrice::Tiers {
            mode,
            tiers: tiers
                .iter()
                .map(|&(from, cents)| Tier {
                    from,
                    price: Decimal::new(cents, 2),
                })
                .collect(),
        };
        Schedule::new(&price).expect("valid tiers")
    }

    /// Tiers 0 → 3.00, 1,000 → 2.70, 5,000 → 2.50, packs of 100: a need
    /// of 950.2 rounds to 1,000 tokens, the second bracket: 2,700.00; a
    /// need of 4,700 costs 4,700 × 2.70 = 12,690.00 but 5,000 × 2.50 =
    /// 12,500.00 buying up; a need of 0 buys nothing.
    #[test]
    fn quick_costs_match_the_worked_purchases() {
        let s = schedule(TierMode::AllUnits, &[(0, 300), (1000, 270), (5000, 250)]);
        let q = QuickBuy::new(&s, Decimal::from(100));
        assert_eq!(q.cost(Decimal::new(9502, 1)), Decimal::new(270_000, 2));
        assert_eq!(q.cost(Decimal::from(4700)), Decimal::new(1_250_000, 2));
        assert_eq!(q.cost(Decimal::ZERO), Decimal::ZERO);
    }

    proptest! {
        #[test]
        fn quick_costs_equal_buy(
            floors in proptest::collection::vec(1u64..20_000, 0..4),
            cents in proptest::collection::vec(50i64..400, 4),
            pack in prop_oneof![Just(1i64), 1i64..500],
            incremental in any::<bool>(),
            needs in proptest::collection::vec(-50i64..60_000_000, 1..40),
        ) {
            let mut tiers = vec![(0u64, cents[0])];
            let mut floors = floors;
            floors.sort_unstable();
            floors.dedup();
            for (i, f) in floors.iter().enumerate() {
                tiers.push((*f, cents[i + 1]));
            }
            let mode = if incremental { TierMode::Incremental } else { TierMode::AllUnits };
            let s = schedule(mode, &tiers);
            let pack = Decimal::from(pack);
            let q = QuickBuy::new(&s, pack);
            for n in needs {
                // Thousandths of a token, as forecasts have.
                let need = Decimal::new(n, 3);
                prop_assert_eq!(q.cost(need), buy(&s, need, pack).cost, "need {}", need);
            }
        }
    }
}
