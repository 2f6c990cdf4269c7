//! The exact day-by-day token ledger: lots, consumption order, overdraft,
//! expiry and payments, in `Decimal` to the token.
//!
//! [`run_ledger`] replays a daily demand over the contract term against a
//! list of [`Lot`]s and returns a [`LedgerRun`]: one [`DayRow`] per day
//! (balance of every lot, consumption, overage, unserved, expiry) for the
//! GUI's chart, the [`ExpiryEvent`]s, one [`YearSummary`] per contract year
//! and the term's [`LedgerTotals`]. It is the reference the fast sizing
//! evaluator is tested against.
//!
//! Each day, in this order: lots bought that day become available; the
//! day's demand is drawn from the lot that expires first, ties going to the
//! lot with the smaller balance (then the earlier lot in the list) —
//! Autodesk's documented order; demand beyond the balance is overage
//! (`Unlimited`, or within what is left of a `Limit` over the term) or
//! unserved (`None`, or beyond the limit); at the end of the day, lots whose
//! last day it is expire with whatever they still hold.
//!
//! Invariant, at the end of every day: tokens bought so far = consumed +
//! expired + remaining, exactly; overage and unserved are demand not drawn
//! from lots and are counted apart.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::lots::{LedgerError, Lot, MAX_TOKENS, Term, check_contract, present_value};
use crate::scenario::{Contract, Overdraft};

/// One day of the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayRow {
    /// The date.
    pub date: NaiveDate,
    /// Tokens demanded.
    pub demand: Decimal,
    /// Tokens drawn from lots.
    pub consumed: Decimal,
    /// Demand beyond the balance, billed at the overage price.
    pub overage: Decimal,
    /// Demand beyond the balance that was refused.
    pub unserved: Decimal,
    /// Tokens that expired at the end of the day.
    pub expired: Decimal,
    /// Balance of each lot at the end of the day (after expiry), in the
    /// order of the lots given; 0 before a lot is bought.
    pub balances: Vec<Decimal>,
}

impl DayRow {
    /// Tokens left in all lots at the end of the day.
    pub fn remaining(&self) -> Decimal {
        self.balances.iter().sum()
    }
}

/// Tokens of a lot lost at the end of its life.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExpiryEvent {
    /// Last day of the lot.
    pub date: NaiveDate,
    /// Index of the lot in the list given.
    pub lot: usize,
    /// Tokens it still held (possibly 0).
    pub tokens: Decimal,
}

/// One contract year of the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearSummary {
    /// Contract year, 0-based.
    pub year: usize,
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Tokens bought during the year.
    pub bought: Decimal,
    /// Tokens demanded.
    pub demand: Decimal,
    /// Tokens drawn from lots.
    pub consumed: Decimal,
    /// Tokens that expired.
    pub expired: Decimal,
    /// Tokens of overage.
    pub overage: Decimal,
    /// Token-days refused.
    pub unserved: Decimal,
    /// Paid for lots bought during the year.
    pub purchase_cost: Decimal,
    /// Overage billed at the end of the year.
    pub overage_cost: Decimal,
    /// Present value of this year's payments at the contract start: lots
    /// discounted `year` years, overage `year + 1` years.
    pub npv: Decimal,
}

/// Totals over the term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerTotals {
    /// Tokens bought.
    pub bought: Decimal,
    /// Tokens demanded.
    pub demand: Decimal,
    /// Tokens drawn from lots.
    pub consumed: Decimal,
    /// Tokens expired.
    pub expired: Decimal,
    /// Tokens left at the end (0 once every lot has expired).
    pub remaining: Decimal,
    /// Tokens of overage.
    pub overage: Decimal,
    /// Token-days refused.
    pub unserved: Decimal,
    /// Money paid, undiscounted: lots + overage.
    pub cost: Decimal,
    /// Present value of all payments at the contract start.
    pub npv: Decimal,
}

/// The result of [`run_ledger`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LedgerRun {
    /// The lots, as given.
    pub lots: Vec<Lot>,
    /// Last day of each lot, in the order of `lots`.
    pub expiries: Vec<NaiveDate>,
    /// Every day of the term.
    pub days: Vec<DayRow>,
    /// Every lot's expiry, by date then lot.
    pub expiry_events: Vec<ExpiryEvent>,
    /// One per contract year.
    pub years: Vec<YearSummary>,
    /// The term.
    pub totals: LedgerTotals,
}

/// Replays `demand` (tokens on each day of the term, index 0 = the contract
/// start; missing days at the end demand nothing) against `lots` under
/// `contract`'s overdraft, overage price and discount rate.
///
/// # Errors
/// When the contract term is unusable, a lot is bought outside the term or
/// has a negative or absurd quantity or cost, a demand is negative or
/// absurd, or there are more demand days than the term has.
pub fn run_ledger(
    contract: &Contract,
    lots: &[Lot],
    demand: &[Decimal],
) -> Result<LedgerRun, LedgerError> {
    check_contract(contract)?;
    let term = Term::new(contract)?;
    let days = term.days();
    if demand.len() > days {
        return Err(LedgerError::DemandBeyondTerm {
            given: demand.len(),
            term: days,
        });
    }
    let expiries = check_lots(&term, lots)?;
    for (i, &d) in demand.iter().enumerate() {
        if d.is_sign_negative() || d > MAX_TOKENS {
            return Err(LedgerError::Demand {
                date: term.start() + chrono::Duration::days(i as i64),
                message: format!("{d} tokens is not a possible daily demand"),
            });
        }
    }
    let limit = match contract.overdraft {
        Overdraft::Limit(n) => Some(n),
        _ => None,
    };
    let billable = !matches!(contract.overdraft, Overdraft::None);

    let mut balances = vec![Decimal::ZERO; lots.len()];
    let mut limit_left = limit.unwrap_or(Decimal::ZERO);
    let mut rows = Vec::with_capacity(days);
    let mut events = Vec::new();
    let mut years: Vec<YearSummary> = (0..term.years())
        .map(|k| YearSummary {
            year: k,
            start: term.year_start(k),
            end: term.year_end(k),
            bought: Decimal::ZERO,
            demand: Decimal::ZERO,
            consumed: Decimal::ZERO,
            expired: Decimal::ZERO,
            overage: Decimal::ZERO,
            unserved: Decimal::ZERO,
            purchase_cost: Decimal::ZERO,
            overage_cost: Decimal::ZERO,
            npv: Decimal::ZERO,
        })
        .collect();
    let mut order: Vec<usize> = Vec::with_capacity(lots.len());
    let mut year = 0;
    for t in 0..days {
        let date = term.start() + chrono::Duration::days(t as i64);
        if date > term.year_end(year) {
            year += 1;
        }
        let summary = &mut years[year];
        for (i, lot) in lots.iter().enumerate() {
            if lot.purchased == date {
                balances[i] += lot.quantity;
                summary.bought += lot.quantity;
                summary.purchase_cost += lot.cost;
            }
        }

        let want = demand.get(t).copied().unwrap_or(Decimal::ZERO);
        // Live lots: bought, not yet expired, holding tokens.
        order.clear();
        order.extend((0..lots.len()).filter(|&i| {
            lots[i].purchased <= date && expiries[i] >= date && !balances[i].is_zero()
        }));
        order.sort_by(|&a, &b| (expiries[a], balances[a], a).cmp(&(expiries[b], balances[b], b)));
        let mut need = want;
        for &i in &order {
            if need.is_zero() {
                break;
            }
            let take = need.min(balances[i]);
            balances[i] -= take;
            need -= take;
        }
        let consumed = want - need;
        let (overage, unserved) = match (billable, limit) {
            (false, _) => (Decimal::ZERO, need),
            (true, None) => (need, Decimal::ZERO),
            (true, Some(_)) => {
                let billed = need.min(limit_left);
                limit_left -= billed;
                (billed, need - billed)
            }
        };

        let mut expired = Decimal::ZERO;
        for (i, lot) in lots.iter().enumerate() {
            if expiries[i] == date && lot.purchased <= date {
                events.push(ExpiryEvent {
                    date,
                    lot: i,
                    tokens: balances[i],
                });
                expired += balances[i];
                balances[i] = Decimal::ZERO;
            }
        }

        summary.demand += want;
        summary.consumed += consumed;
        summary.overage += overage;
        summary.unserved += unserved;
        summary.expired += expired;
        rows.push(DayRow {
            date,
            demand: want,
            consumed,
            overage,
            unserved,
            expired,
            balances: balances.clone(),
        });
    }

    let mut totals = LedgerTotals::default();
    for y in &mut years {
        y.overage_cost = y.overage * contract.overage_price;
        y.npv = present_value(y.purchase_cost, contract.discount_rate, y.year)
            + present_value(y.overage_cost, contract.discount_rate, y.year + 1);
        totals.bought += y.bought;
        totals.demand += y.demand;
        totals.consumed += y.consumed;
        totals.expired += y.expired;
        totals.overage += y.overage;
        totals.unserved += y.unserved;
        totals.cost += y.purchase_cost + y.overage_cost;
        totals.npv += y.npv;
    }
    totals.remaining = balances.iter().sum();
    Ok(LedgerRun {
        lots: lots.to_vec(),
        expiries,
        days: rows,
        expiry_events: events,
        years,
        totals,
    })
}

/// Checks every lot and returns its last day.
fn check_lots(term: &Term, lots: &[Lot]) -> Result<Vec<NaiveDate>, LedgerError> {
    lots.iter()
        .enumerate()
        .map(|(index, lot)| {
            let bad = |message: String| LedgerError::Lot { index, message };
            if lot.quantity.is_sign_negative() || lot.quantity > MAX_TOKENS {
                return Err(bad(format!(
                    "{} tokens is not a possible quantity",
                    lot.quantity
                )));
            }
            if lot.cost.is_sign_negative() || lot.cost > MAX_TOKENS * Decimal::from(1_000_000) {
                return Err(bad(format!("{} is not a possible cost", lot.cost)));
            }
            term.expiry(lot.kind, lot.purchased).ok_or_else(|| {
                bad(format!(
                    "bought on {}, outside the term {} to {}",
                    lot.purchased,
                    term.start(),
                    term.end()
                ))
            })
        })
        .collect()
}
