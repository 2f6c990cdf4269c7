//! What buying tokens costs: a flat price or volume tiers (SPEC §3, §4).
//!
//! [`Schedule`] is a validated [`TokenPrice`] and the quantum tokens are
//! bought in; [`Schedule::cost_of_need`] answers "what is the cheapest way
//! to have at least T tokens". Demand stays fractional; what is bought is
//! whole: the need rounds up to a whole token, or to a multiple of the pack
//! size ([`Schedule::in_packs_of`]), the tier is the one that quantity
//! reaches, and the cost is that quantity's. Buying more, up to a higher
//! tier's floor (itself rounded up to the quantum), is taken when it costs
//! less (AllUnits).

use rust_decimal::Decimal;

use crate::scenario::{TierMode, TokenPrice};

use super::PlanError;

/// One bracket: from `floor` tokens on, `price` per token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bracket {
    /// Tokens from which the bracket applies.
    pub floor: Decimal,
    /// Price per token.
    pub price: Decimal,
}

/// A validated token price: brackets by ascending floor.
///
/// A flat price is one bracket from 0. The first bracket's floor is the
/// minimum purchase (usually 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    mode: TierMode,
    brackets: Vec<Bracket>,
    /// Tokens are bought in multiples of this (1: whole tokens).
    quantum: Decimal,
}

/// A purchase of tokens under a [`Schedule`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Purchase {
    /// Tokens bought: the need rounded up to the quantum, or a tier's
    /// floor rounded up to it when that is cheaper; whole.
    pub tokens: Decimal,
    /// What they cost.
    pub cost: Decimal,
    /// Index of the bracket the quantity reaches.
    pub bracket: usize,
    /// That bracket's price per token (the marginal price).
    pub price: Decimal,
}

impl Schedule {
    /// Validates a scenario token price.
    ///
    /// # Errors
    /// [`PlanError::Price`] when there are no tiers, floors are not strictly
    /// ascending, or a price is negative.
    pub fn new(price: &TokenPrice) -> Result<Schedule, PlanError> {
        let (mode, brackets) = match price {
            TokenPrice::Flat(p) => (
                TierMode::AllUnits,
                vec![Bracket {
                    floor: Decimal::ZERO,
                    price: *p,
                }],
            ),
            TokenPrice::Tiers { mode, tiers } => (
                *mode,
                tiers
                    .iter()
                    .map(|t| Bracket {
                        floor: Decimal::from(t.from),
                        price: t.price,
                    })
                    .collect(),
            ),
        };
        if brackets.is_empty() {
            return Err(PlanError::Price("token price has no tiers".into()));
        }
        if let Some(w) = brackets.windows(2).find(|w| w[1].floor <= w[0].floor) {
            return Err(PlanError::Price(format!(
                "token price tiers must start at ascending token counts: {} follows {}",
                w[1].floor, w[0].floor
            )));
        }
        if let Some(b) = brackets.iter().find(|b| b.price.is_sign_negative()) {
            return Err(PlanError::Price(format!(
                "token price {} is negative",
                b.price
            )));
        }
        Ok(Schedule {
            mode,
            brackets,
            quantum: Decimal::ONE,
        })
    }

    /// The same prices, tokens bought in multiples of `pack_size` (`None`
    /// or 0: whole tokens).
    #[must_use]
    pub fn in_packs_of(mut self, pack_size: Option<u32>) -> Schedule {
        self.quantum = Decimal::from(pack_size.filter(|&n| n > 0).unwrap_or(1));
        self
    }

    /// Tokens are bought in multiples of this (1: whole tokens).
    pub fn quantum(&self) -> Decimal {
        self.quantum
    }

    /// `tokens` rounded up to a multiple of the quantum (0 and below: 0).
    pub fn round_up(&self, tokens: Decimal) -> Decimal {
        if tokens <= Decimal::ZERO {
            return Decimal::ZERO;
        }
        // Whole tokens, the usual case, need no division (the optimiser
        // prices thousands of totals).
        if self.quantum == Decimal::ONE {
            return tokens.ceil();
        }
        (tokens / self.quantum).ceil() * self.quantum
    }

    /// How brackets price tokens (a flat price is `AllUnits` with one bracket).
    pub fn mode(&self) -> TierMode {
        self.mode
    }

    /// Brackets by strictly ascending floor; never empty.
    pub fn brackets(&self) -> &[Bracket] {
        &self.brackets
    }

    /// The price of bracket `i` (the last bracket's beyond the end).
    pub fn price_of_bracket(&self, i: usize) -> Decimal {
        self.brackets
            .get(i)
            .or(self.brackets.last())
            .map_or(Decimal::ZERO, |b| b.price)
    }

    /// A single price for every token, bought whole.
    pub fn flat(price: Decimal) -> Schedule {
        Schedule {
            mode: TierMode::AllUnits,
            brackets: vec![Bracket {
                floor: Decimal::ZERO,
                price,
            }],
            quantum: Decimal::ONE,
        }
    }

    /// True when every token costs the same whatever the quantity: the
    /// per-user choice is then independent, and exact up to the rounding
    /// of the purchase to the quantum (less than one quantum's price).
    pub fn is_linear(&self) -> bool {
        self.brackets.len() == 1 && self.brackets[0].floor.is_zero()
    }

    /// (bracket index, price) of each bracket whose price no earlier
    /// bracket has: the prices worth optimising at.
    pub fn tier_prices(&self) -> Vec<(usize, Decimal)> {
        let mut out: Vec<(usize, Decimal)> = Vec::with_capacity(self.brackets.len());
        for (i, b) in self.brackets.iter().enumerate() {
            if !out.iter().any(|(_, p)| *p == b.price) {
                out.push((i, b.price));
            }
        }
        out
    }

    /// Index of the bracket that `tokens` reaches (0 below the first floor).
    pub fn bracket_of(&self, tokens: Decimal) -> usize {
        self.brackets
            .iter()
            .rposition(|b| b.floor <= tokens)
            .unwrap_or(0)
    }

    /// What buying exactly `q` tokens costs (`q` ≥ the minimum purchase).
    pub fn price_of_quantity(&self, q: Decimal) -> Decimal {
        match self.mode {
            TierMode::AllUnits => self.brackets[self.bracket_of(q)].price * q,
            TierMode::Incremental => {
                // Tokens below the second floor are priced by the first bracket.
                let mut cost = Decimal::ZERO;
                for (i, b) in self.brackets.iter().enumerate() {
                    let lo = if i == 0 { Decimal::ZERO } else { b.floor };
                    if q <= lo {
                        break;
                    }
                    let hi = self.brackets.get(i + 1).map_or(q, |n| n.floor.min(q));
                    cost += b.price * (hi - lo);
                }
                cost
            }
        }
    }

    /// The cheapest purchase that gives at least `need` tokens: the need
    /// (raised to the minimum purchase) rounded up to the quantum, or —
    /// with all-units tiers — a higher tier's floor rounded up to the
    /// quantum when buying that costs less. The tier is the one the
    /// quantity bought reaches. Ties keep the smaller quantity.
    pub fn cost_of_need(&self, need: Decimal) -> Purchase {
        let first = self.brackets[0].floor;
        let buy = |q: Decimal| {
            let bracket = self.bracket_of(q);
            Purchase {
                tokens: q,
                cost: self.price_of_quantity(q),
                bracket,
                price: self.brackets[bracket].price,
            }
        };
        let mut best = buy(self.round_up(need.max(first)));
        if self.mode == TierMode::AllUnits {
            for b in self.brackets.iter().skip(best.bracket + 1) {
                let up = buy(self.round_up(b.floor));
                if up.cost < best.cost {
                    best = up;
                }
            }
        }
        best
    }

    /// The interval `[lo, hi]` around `need` on which
    /// [`Schedule::cost_of_need`] is `slope × tokens`-linear before the
    /// purchase is rounded up to the quantum (the rounding adds less than
    /// one quantum's price), with that slope; `None` when `need` is raised
    /// to a floor (buying up). `hi` is `None` when the piece runs on
    /// without end.
    pub fn linear_piece(&self, need: Decimal) -> Option<(Decimal, Option<Decimal>, Decimal)> {
        let first = self.brackets[0].floor;
        if need < first {
            return None;
        }
        let b = self.bracket_of(need);
        let slope = self.brackets[b].price;
        let lo = self.brackets[b].floor;
        let mut hi = self.brackets.get(b + 1).map(|n| n.floor);
        if self.mode == TierMode::AllUnits {
            // Beyond where a higher floor's price undercuts the need's own
            // cost, buying up takes over.
            let cheapest_up = self.brackets[b + 1..]
                .iter()
                .map(|t| t.price * t.floor)
                .min();
            if let Some(k) = cheapest_up {
                if slope * need > k {
                    return None;
                }
                if !slope.is_zero() {
                    let limit = k / slope;
                    hi = Some(hi.map_or(limit, |h| h.min(limit)));
                }
            }
        }
        // The next bracket starts at `hi`: keep the piece strictly below it.
        Some((lo, hi, slope))
    }
}
