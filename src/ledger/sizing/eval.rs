//! The fast evaluation of one purchase plan against one trial's demand per
//! contract year (see the parent module's "Why year totals are enough").
//!
//! [`FastPlan`] is a [`PurchasePlan`] in milli-tokens with the present
//! value of its purchases per contract year; [`FastContract`] the overdraft
//! and discounting; [`FastPlan::evaluate`] returns a trial's expired,
//! overage and unserved tokens and its cost. The exact daily ledger
//! ([`run_ledger`](crate::ledger::run_ledger)) is the reference it is
//! tested against.

use rust_decimal::Decimal;

use super::SizingError;
use super::demand::{MAX_MILLI_SUM, MILLI};
use crate::ledger::lots::{
    PurchasePlan, Term, check_contract, discount, discount_factor, present_value,
};
use crate::scenario::{Contract, Overdraft, TokenPrice};

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
    /// Price of a token of overage per contract year (the last entry for
    /// years beyond the list).
    overage_price: Vec<Decimal>,
    /// `(1 + rate)^t` for `t` in `0..=years`.
    factors: Vec<Decimal>,
}

impl FastContract {
    /// Prepares `contract` for a term of `years`.
    ///
    /// # Errors
    /// When the contract is unusable (see
    /// [`check_contract`](crate::ledger::lots::check_contract)) or its
    /// overdraft limit is finer than a milli-token.
    pub fn new(contract: &Contract, years: usize) -> Result<FastContract, SizingError> {
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
            overage_price: vec![contract.overage_price],
            factors: (0..=years)
                .map(|t| discount_factor(contract.discount_rate, t))
                .collect(),
        })
    }
}

impl FastContract {
    /// The same contract with an overage price per contract year (the
    /// term's prices by year, SPEC §8); an empty list changes nothing.
    pub fn with_overage_by_year(mut self, prices: Vec<Decimal>) -> FastContract {
        if !prices.is_empty() {
            self.overage_price = prices;
        }
        self
    }

    /// The overage price in contract year `k`.
    fn overage_in(&self, k: usize) -> Decimal {
        self.overage_price
            .get(k)
            .or(self.overage_price.last())
            .copied()
            .unwrap_or_default()
    }

    /// Shortfall over the term that is billed rather than refused,
    /// milli-tokens: 0 under `None`, the limit under `Limit`, `None` when
    /// nothing is ever refused (`Unlimited`).
    pub fn refusal_slack(&self) -> Option<i64> {
        match (self.billable, self.limit) {
            (false, _) => Some(0),
            (true, Some(n)) => Some(n),
            (true, None) => None,
        }
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
        FastPlan::new_by_year(plan, term, std::slice::from_ref(price), rate)
    }

    /// As [`FastPlan::new`], each contract year's purchase at that year's
    /// token price (`prices[k]`, the last entry beyond the list).
    ///
    /// # Errors
    /// As [`FastPlan::new`].
    pub fn new_by_year(
        plan: &PurchasePlan,
        term: &Term,
        prices: &[TokenPrice],
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
            .purchase_by_year_at(term, prices)
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
    /// (milli-tokens), and that trial's cost: the present value of the
    /// purchases and of the overage billed, summed as the exact ledger sums
    /// them. Refused demand costs nothing: it is counted in
    /// [`TrialOutcome::unserved`] (SPEC §5).
    pub fn evaluate(&self, fc: &FastContract, year_demand: &[i64]) -> (TrialOutcome, Decimal) {
        self.walk(fc, year_demand, true)
    }

    /// Like [`evaluate`](Self::evaluate), the cost being the present value
    /// of the overage alone: the purchases cost the same in every trial,
    /// so sizing adds them once per plan rather than once per trial.
    pub fn overage_cost(&self, fc: &FastContract, year_demand: &[i64]) -> (TrialOutcome, Decimal) {
        self.walk(fc, year_demand, false)
    }

    /// Present value of the plan's purchases.
    pub fn purchase_cost(&self) -> Decimal {
        self.purchase_pv.iter().sum()
    }

    /// The year-by-year walk behind [`evaluate`](Self::evaluate) and
    /// [`overage_cost`](Self::overage_cost).
    fn walk(
        &self,
        fc: &FastContract,
        year_demand: &[i64],
        with_purchases: bool,
    ) -> (TrialOutcome, Decimal) {
        let years = year_demand.len();
        let mut out = TrialOutcome::default();
        let mut contract_left = self.contract;
        let mut limit_left = fc.limit.unwrap_or(0);
        let mut cost = Decimal::ZERO;
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
            let next = fc.factors.get(k + 1).copied().unwrap_or(Decimal::ONE);
            if with_purchases {
                let billed = Decimal::new(overage, 3) * fc.overage_in(k);
                // The same sum, in the same order, as the ledger's per-year NPV.
                cost +=
                    self.purchase_pv.get(k).copied().unwrap_or_default() + discount(billed, next);
            } else if overage > 0 {
                cost += discount(Decimal::new(overage, 3) * fc.overage_in(k), next);
            }
        }
        (out, cost)
    }
}

/// `tokens` as whole milli-tokens, `None` when negative, finer than a
/// milli-token or beyond [`MAX_MILLI_SUM`].
pub(super) fn to_milli(tokens: Decimal) -> Option<i64> {
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
