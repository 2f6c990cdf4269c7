//! Token lots, the contract term's calendar, token pricing and discounting.
//!
//! A [`Lot`] is one purchase line: a quantity of tokens of a [`LotKind`],
//! bought on a date for a price. [`Term`] turns the scenario's
//! [`Contract`] into contract years (anniversary to anniversary), which fix
//! when annual lots expire and when payments fall due. [`PurchasePlan`] is
//! the shape sizing searches over — the same annual quantity every contract
//! year plus contract tokens — and [`PurchasePlan::lots`] prices it into
//! lots. [`tokens_cost`] applies the scenario's tiers; [`present_value`]
//! discounts a payment by whole contract years.

use chrono::{Months, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::scenario::{Contract, Overdraft, TierMode, TokenPrice};

/// Largest token quantity (of a lot, a day's demand, an overdraft limit) the
/// ledger accepts: far beyond any real contract, and small enough that no
/// sum or product of the ledger's figures can overflow a `Decimal`.
pub const MAX_TOKENS: Decimal = Decimal::from_parts(0x_A4C6_8000, 0x_38D7E, 0, false, 0); // 1e15

/// Highest price per token accepted (overage, tiers, shadow price).
pub const MAX_PRICE: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

/// Lowest and highest yearly discount rates accepted.
pub const DISCOUNT_RATE_RANGE: (Decimal, Decimal) = (
    Decimal::from_parts(5, 0, 0, true, 1),
    Decimal::from_parts(1, 0, 0, false, 0),
);

/// Longest contract term accepted, in years.
pub const MAX_YEARS: u32 = 50;

/// Days from a `Pack` lot's purchase to its last day (SPEC §8).
pub const PACK_LIFE_DAYS: u64 = 365;

/// Why a ledger cannot be run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    /// The contract is not usable.
    #[error("contract: {0}")]
    Contract(String),
    /// A lot is not usable.
    #[error("lot {index}: {message}")]
    Lot {
        /// Index of the lot in the list given.
        index: usize,
        /// What is wrong with it.
        message: String,
    },
    /// A demand value is not usable.
    #[error("demand on {date}: {message}")]
    Demand {
        /// Date of the bad value.
        date: NaiveDate,
        /// What is wrong with it.
        message: String,
    },
    /// More days of demand than the term has.
    #[error("demand has {given} days but the contract term has only {term} days")]
    DemandBeyondTerm {
        /// Days of demand given.
        given: usize,
        /// Days in the term.
        term: usize,
    },
}

/// How long a lot's tokens live.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum LotKind {
    /// Expires at the end of the contract year it was bought in.
    Annual,
    /// Expires at the end of the contract term.
    Contract,
    /// Expires 365 days after its purchase date (Autodesk Flex packs, SPEC
    /// §8): drawn from through that day, whatever contract year it is in.
    Pack,
}

/// One purchase of tokens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Lot {
    /// Tokens bought.
    pub quantity: Decimal,
    /// How long they live.
    pub kind: LotKind,
    /// Date bought; the tokens can be drawn from this date on.
    pub purchased: NaiveDate,
    /// What the lot costs in all (its share of its order, see
    /// [`PurchasePlan::lots`]).
    pub cost: Decimal,
}

impl Lot {
    /// Price per token (`cost / quantity`), `None` for an empty lot.
    pub fn unit_price(&self) -> Option<Decimal> {
        if self.quantity.is_zero() {
            None
        } else {
            self.cost.checked_div(self.quantity)
        }
    }
}

/// The contract term as contract years: year `k` runs from the `k`-th
/// anniversary of the start to the day before the next one, so a year has
/// 365 or 366 days (a 29 February start clamps to 28 February).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// `years + 1` dates: the first day of each contract year, then the day
    /// after the term.
    bounds: Vec<NaiveDate>,
}

impl Term {
    /// The term of `contract`.
    ///
    /// # Errors
    /// When the term has no years, more than [`MAX_YEARS`], or runs past
    /// the calendar's end.
    pub fn new(contract: &Contract) -> Result<Term, LedgerError> {
        if contract.years == 0 || contract.years > MAX_YEARS {
            return Err(LedgerError::Contract(format!(
                "the term must be 1 to {MAX_YEARS} years, not {}",
                contract.years
            )));
        }
        let bounds = (0..=contract.years)
            .map(|k| {
                contract
                    .start
                    .checked_add_months(Months::new(12 * k))
                    .ok_or_else(|| {
                        LedgerError::Contract(format!(
                            "a {}-year term from {} runs past the calendar",
                            contract.years, contract.start
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Term { bounds })
    }

    /// Number of contract years.
    pub fn years(&self) -> usize {
        self.bounds.len() - 1
    }

    /// First day of the term.
    pub fn start(&self) -> NaiveDate {
        self.bounds[0]
    }

    /// Last day of the term.
    pub fn end(&self) -> NaiveDate {
        self.year_end(self.years() - 1)
    }

    /// Days in the term.
    pub fn days(&self) -> usize {
        self.day_index(self.bounds[self.years()])
    }

    /// First day of contract year `k` (`k < years`).
    pub fn year_start(&self, k: usize) -> NaiveDate {
        self.bounds[k]
    }

    /// Last day of contract year `k` (`k < years`).
    pub fn year_end(&self, k: usize) -> NaiveDate {
        self.bounds[k + 1].pred_opt().unwrap_or(self.bounds[k + 1])
    }

    /// Days in contract year `k` (`k < years`).
    pub fn year_days(&self, k: usize) -> usize {
        (self.bounds[k + 1] - self.bounds[k]).num_days() as usize
    }

    /// Index of `date`'s day in the term (0 = the start); dates before the
    /// start give 0.
    pub fn day_index(&self, date: NaiveDate) -> usize {
        (date - self.bounds[0]).num_days().max(0) as usize
    }

    /// The contract year `date` falls in, `None` outside the term.
    pub fn year_of(&self, date: NaiveDate) -> Option<usize> {
        if date < self.bounds[0] {
            return None;
        }
        (0..self.years()).find(|&k| date < self.bounds[k + 1])
    }

    /// Last day a lot of `kind` bought on `purchased` can be drawn from,
    /// `None` when `purchased` is outside the term. A `Pack` may outlive the
    /// term: its last day is 365 days after its purchase.
    pub fn expiry(&self, kind: LotKind, purchased: NaiveDate) -> Option<NaiveDate> {
        let year = self.year_of(purchased)?;
        match kind {
            LotKind::Annual => Some(self.year_end(year)),
            LotKind::Contract => Some(self.end()),
            LotKind::Pack => purchased.checked_add_days(chrono::Days::new(PACK_LIFE_DAYS)),
        }
    }
}

/// Checks that `price` is a possible price per token (0 to [`MAX_PRICE`]).
///
/// # Errors
/// A message naming `what`.
pub fn check_price(what: &str, price: Decimal) -> Result<(), LedgerError> {
    if price.is_sign_negative() || price > MAX_PRICE {
        return Err(LedgerError::Contract(format!(
            "{what} {price} is outside 0 to {MAX_PRICE} per token"
        )));
    }
    Ok(())
}

/// Checks the contract's term, overage price, overdraft limit and discount
/// rate.
///
/// # Errors
/// A message naming the bad field.
pub fn check_contract(contract: &Contract) -> Result<(), LedgerError> {
    Term::new(contract)?;
    check_price("overage price", contract.overage_price)?;
    let (lo, hi) = DISCOUNT_RATE_RANGE;
    if contract.discount_rate < lo || contract.discount_rate > hi {
        return Err(LedgerError::Contract(format!(
            "discount rate {} is outside {lo} to {hi}",
            contract.discount_rate
        )));
    }
    if let Overdraft::Limit(n) = contract.overdraft
        && (n.is_sign_negative() || n > MAX_TOKENS)
    {
        return Err(LedgerError::Contract(format!(
            "overdraft limit {n} is outside 0 to {MAX_TOKENS} tokens"
        )));
    }
    Ok(())
}

/// Tokens in one `Pack` lot: `contract.pack_size`, or 1 (whole tokens)
/// when it is not set.
pub fn pack_tokens(contract: &Contract) -> Decimal {
    Decimal::from(contract.pack_size.unwrap_or(1).max(1))
}

/// The contract as an evaluator that bills each contract year's shortfall
/// in one sum sees it (pool sizing): under `Overdraft::TopUp` the shortfall
/// is bought as packs rather than billed as overage, so it becomes
/// `Unlimited` overage at the price per token of one pack bought alone
/// under `token_price`. What that leaves out — the rounding of each day's
/// top-up to whole packs, and a pack's leftover serving later days — only
/// the day-by-day ledger ([`run_ledger_priced`](super::book::run_ledger_priced))
/// models. Any other overdraft is returned unchanged.
pub fn shortfall_billing(contract: &Contract, token_price: &TokenPrice) -> Contract {
    if contract.overdraft != Overdraft::TopUp {
        return contract.clone();
    }
    let pack = pack_tokens(contract);
    Contract {
        overdraft: Overdraft::Unlimited,
        overage_price: tokens_cost(token_price, pack) / pack,
        ..contract.clone()
    }
}

/// Checks every price of a token price list.
///
/// # Errors
/// A message naming the bad price.
pub fn check_token_price(price: &TokenPrice) -> Result<(), LedgerError> {
    match price {
        TokenPrice::Flat(p) => check_price("token price", *p),
        TokenPrice::Tiers { tiers, .. } => tiers
            .iter()
            .try_for_each(|t| check_price(&format!("tier from {} price", t.from), t.price)),
    }
}

/// What a purchase of `quantity` tokens in one order costs under `price`.
///
/// `AllUnits`: the highest tier whose `from` the quantity reaches prices
/// every token. `Incremental`: each tier prices the tokens between its
/// `from` and the next tier's. A quantity below the first tier's `from` is
/// priced at the first tier (tiers are expected to start at 0). Exact.
pub fn tokens_cost(price: &TokenPrice, quantity: Decimal) -> Decimal {
    match price {
        TokenPrice::Flat(p) => quantity * p,
        TokenPrice::Tiers { mode, tiers } => {
            let mut sorted: Vec<(Decimal, Decimal)> = tiers
                .iter()
                .map(|t| (Decimal::from(t.from), t.price))
                .collect();
            sorted.sort();
            let Some(&(_, first_price)) = sorted.first() else {
                return Decimal::ZERO;
            };
            match mode {
                TierMode::AllUnits => {
                    let unit = sorted
                        .iter()
                        .filter(|(from, _)| *from <= quantity)
                        .map(|&(_, p)| p)
                        .next_back()
                        .unwrap_or(first_price);
                    quantity * unit
                }
                TierMode::Incremental => {
                    let mut cost = Decimal::ZERO;
                    for (i, &(from, p)) in sorted.iter().enumerate() {
                        // The first bracket also takes anything below its floor.
                        let lo = if i == 0 { Decimal::ZERO } else { from };
                        let hi = sorted.get(i + 1).map(|&(f, _)| f);
                        let top = hi.map_or(quantity, |h| h.min(quantity));
                        if top > lo {
                            cost += (top - lo) * p;
                        }
                    }
                    cost
                }
            }
        }
    }
}

/// `amount` paid `years` whole years after the contract start, discounted
/// to the start at `rate`: `amount / (1 + rate)^years`.
///
/// Payments are discounted by whole contract years: contract tokens and the
/// first year's annual tokens at 0, year `k`'s annual tokens at `k`, year
/// `k`'s overage (billed at the year's end) at `k + 1`. A lot bought later
/// in a year is discounted as if paid at the year's start.
pub fn present_value(amount: Decimal, rate: Decimal, years: usize) -> Decimal {
    discount(amount, discount_factor(rate, years))
}

/// `(1 + rate)^years`, by repeated multiplication (so that the exact ledger
/// and the fast sizing evaluator, which tabulates it, agree to the last
/// digit).
pub fn discount_factor(rate: Decimal, years: usize) -> Decimal {
    let base = Decimal::ONE + rate;
    let mut factor = Decimal::ONE;
    for _ in 0..years {
        factor = factor.checked_mul(base).unwrap_or(Decimal::MAX);
    }
    factor
}

/// `amount / factor`; `amount` itself when nothing is to be discounted.
pub fn discount(amount: Decimal, factor: Decimal) -> Decimal {
    if amount.is_zero() || factor == Decimal::ONE {
        return amount;
    }
    amount.checked_div(factor).unwrap_or(Decimal::ZERO)
}

/// The least quantity that can be bought holding at least `tokens`: whole
/// tokens, or a multiple of `pack_size` when it is set (SPEC §4, §5: demand
/// stays fractional, what is bought rounds up). Negative quantities give 0.
pub fn round_up_tokens(tokens: Decimal, pack_size: Option<u32>) -> Decimal {
    if tokens <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let pack = Decimal::from(pack_size.unwrap_or(1).max(1));
    match tokens.checked_div(pack) {
        Some(packs) => packs
            .ceil()
            .checked_mul(pack)
            .map_or_else(|| tokens.ceil(), |q| q.normalize()),
        None => tokens.ceil(),
    }
}

/// The purchase shape pool sizing searches: the same annual quantity bought
/// at the start of every contract year, plus contract tokens bought at the
/// start of the term.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PurchasePlan {
    /// Annual tokens bought at the start of each contract year.
    pub annual_tokens_per_year: Decimal,
    /// Contract tokens bought at the start of the term.
    pub contract_tokens: Decimal,
}

impl PurchasePlan {
    /// The plan with each quantity rounded up to what can be bought (see
    /// [`round_up_tokens`]).
    pub fn rounded(&self, pack_size: Option<u32>) -> PurchasePlan {
        PurchasePlan {
            annual_tokens_per_year: round_up_tokens(self.annual_tokens_per_year, pack_size),
            contract_tokens: round_up_tokens(self.contract_tokens, pack_size),
        }
    }

    /// The plan's lots: per contract year an `Annual` lot on the year's
    /// first day, and (when non-zero) one `Contract` lot on the term's first
    /// day. Empty lots are left out.
    ///
    /// Tiers apply per order, an order being everything bought on one date
    /// (the term's first day buys the first year's annual tokens and the
    /// contract tokens together). Within an order the cost is shared in
    /// proportion to quantity, rounded to the cent, the order's last lot
    /// taking the remainder so that the lots add up to the order exactly.
    pub fn lots(&self, term: &Term, price: &TokenPrice) -> Vec<Lot> {
        self.lots_by_year(term, std::slice::from_ref(price))
    }

    /// As [`PurchasePlan::lots`], contract year `k`'s order priced at
    /// `prices[k]` (the last entry for years beyond the list): the term's
    /// prices by year (SPEC §8).
    pub fn lots_by_year(&self, term: &Term, prices: &[TokenPrice]) -> Vec<Lot> {
        let mut lots = Vec::new();
        for k in 0..term.years() {
            let Some(price) = prices.get(k).or(prices.last()) else {
                break;
            };
            let date = term.year_start(k);
            let mut order = Vec::new();
            if !self.annual_tokens_per_year.is_zero() {
                order.push((self.annual_tokens_per_year, LotKind::Annual));
            }
            if k == 0 && !self.contract_tokens.is_zero() {
                order.push((self.contract_tokens, LotKind::Contract));
            }
            let total: Decimal = order.iter().map(|(q, _)| *q).sum();
            let order_cost = tokens_cost(price, total);
            let mut left = order_cost;
            let n = order.len();
            for (i, (quantity, kind)) in order.into_iter().enumerate() {
                let cost = if i + 1 == n {
                    left
                } else {
                    (order_cost * quantity / total)
                        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
                };
                left -= cost;
                lots.push(Lot {
                    quantity,
                    kind,
                    purchased: date,
                    cost,
                });
            }
        }
        lots
    }

    /// What the plan pays in each contract year, undiscounted.
    pub fn purchase_by_year(&self, term: &Term, price: &TokenPrice) -> Vec<Decimal> {
        self.purchase_by_year_at(term, std::slice::from_ref(price))
    }

    /// As [`PurchasePlan::purchase_by_year`] at each year's own token price
    /// ([`PurchasePlan::lots_by_year`]).
    pub fn purchase_by_year_at(&self, term: &Term, prices: &[TokenPrice]) -> Vec<Decimal> {
        let mut by_year = vec![Decimal::ZERO; term.years()];
        for lot in self.lots_by_year(term, prices) {
            if let Some(paid) = term.year_of(lot.purchased).and_then(|k| by_year.get_mut(k)) {
                *paid += lot.cost;
            }
        }
        by_year
    }

    /// Present value of the plan's purchases (see [`present_value`]).
    pub fn purchase_npv(&self, term: &Term, price: &TokenPrice, rate: Decimal) -> Decimal {
        self.purchase_by_year(term, price)
            .into_iter()
            .enumerate()
            .map(|(k, paid)| present_value(paid, rate, k))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Tier;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn contract(start: &str, years: u32) -> Contract {
        Contract {
            start: start.parse().unwrap(),
            years,
            overage_price: d("3.60"),
            overdraft: Overdraft::Unlimited,
            discount_rate: d("0.08"),
            pack_size: None,
            seat_changes: Default::default(),
            current_seats: Default::default(),
        }
    }

    fn tiers(mode: TierMode) -> TokenPrice {
        TokenPrice::Tiers {
            mode,
            tiers: vec![
                Tier {
                    from: 0,
                    price: d("3.00"),
                },
                Tier {
                    from: 50_000,
                    price: d("2.75"),
                },
            ],
        }
    }

    #[test]
    fn max_tokens_is_1e15() {
        assert_eq!(MAX_TOKENS, Decimal::from(1_000_000_000_000_000_i64));
    }

    #[test]
    fn term_years_follow_anniversaries() {
        let t = Term::new(&contract("2027-01-01", 3)).unwrap();
        assert_eq!(t.days(), 365 + 366 + 365);
        assert_eq!(t.year_days(1), 366);
        assert_eq!(t.year_end(0), "2027-12-31".parse().unwrap());
        assert_eq!(t.end(), "2029-12-31".parse().unwrap());
        assert_eq!(t.year_of("2028-02-29".parse().unwrap()), Some(1));
        assert_eq!(t.year_of("2030-01-01".parse().unwrap()), None);
        assert_eq!(t.year_of("2026-12-31".parse().unwrap()), None);
        assert_eq!(
            t.expiry(LotKind::Annual, "2028-06-01".parse().unwrap()),
            Some("2028-12-31".parse().unwrap())
        );
        assert_eq!(
            t.expiry(LotKind::Contract, "2028-06-01".parse().unwrap()),
            Some("2029-12-31".parse().unwrap())
        );
        assert!(Term::new(&contract("2027-01-01", 0)).is_err());
        let leap = Term::new(&contract("2028-02-29", 1)).unwrap();
        assert_eq!(leap.end(), "2029-02-27".parse().unwrap());
        assert_eq!(leap.days(), 365);
    }

    #[test]
    fn tiers_price_all_units_and_incremental() {
        assert_eq!(
            tokens_cost(&tiers(TierMode::AllUnits), d("49999")),
            d("149997")
        );
        assert_eq!(
            tokens_cost(&tiers(TierMode::AllUnits), d("60000")),
            d("165000")
        );
        // 50,000 × 3.00 + 10,000 × 2.75
        assert_eq!(
            tokens_cost(&tiers(TierMode::Incremental), d("60000")),
            d("177500")
        );
        assert_eq!(
            tokens_cost(&tiers(TierMode::Incremental), d("100")),
            d("300")
        );
        assert_eq!(tokens_cost(&TokenPrice::Flat(d("2.5")), d("10")), d("25.0"));
    }

    #[test]
    fn present_value_discounts_whole_years() {
        assert_eq!(present_value(d("108"), d("0.08"), 1), d("100"));
        assert_eq!(present_value(d("116.64"), d("0.08"), 2), d("100"));
        assert_eq!(present_value(d("5"), d("0.08"), 0), d("5"));
    }

    #[test]
    fn bought_quantities_round_up_to_whole_tokens_or_packs() {
        assert_eq!(round_up_tokens(d("3649.2"), None), d("3650"));
        assert_eq!(round_up_tokens(d("3650"), None), d("3650"));
        assert_eq!(round_up_tokens(d("0.001"), None), d("1"));
        assert_eq!(round_up_tokens(d("0"), None), d("0"));
        assert_eq!(round_up_tokens(d("-5"), None), d("0"));
        // Packs of 100: 3,601 tokens need 37 packs.
        assert_eq!(round_up_tokens(d("3601"), Some(100)), d("3700"));
        assert_eq!(round_up_tokens(d("3600"), Some(100)), d("3600"));
        assert_eq!(round_up_tokens(d("1"), Some(0)), d("1"));
        let plan = PurchasePlan {
            annual_tokens_per_year: d("10.5"),
            contract_tokens: d("0.25"),
        };
        assert_eq!(
            plan.rounded(Some(4)),
            PurchasePlan {
                annual_tokens_per_year: d("12"),
                contract_tokens: d("4"),
            }
        );
    }

    #[test]
    fn plan_orders_share_tiers_and_add_up() {
        let term = Term::new(&contract("2027-01-01", 2)).unwrap();
        let plan = PurchasePlan {
            annual_tokens_per_year: d("30000"),
            contract_tokens: d("25000"),
        };
        let lots = plan.lots(&term, &tiers(TierMode::AllUnits));
        assert_eq!(lots.len(), 3);
        // First order: 55,000 tokens reach the 2.75 tier for all of them.
        assert_eq!(lots[0].cost, d("82500.00"));
        assert_eq!(lots[1].cost, d("68750.00"));
        assert_eq!(lots[1].kind, LotKind::Contract);
        // Second year's order alone stays at 3.00.
        assert_eq!(lots[2].cost, d("90000"));
        assert_eq!(lots[2].purchased, "2028-01-01".parse().unwrap());
        // 151,250 at the start + 90,000 / 1.08
        assert_eq!(
            plan.purchase_npv(&term, &tiers(TierMode::AllUnits), d("0.08"))
                .round_dp(6),
            d("234583.333333")
        );
        // Incremental: 50,000 × 3 + 5,000 × 2.75 = 163,750 shared 30:25.
        let inc = plan.lots(&term, &tiers(TierMode::Incremental));
        assert_eq!(inc[0].cost, d("89318.18"));
        assert_eq!(inc[0].cost + inc[1].cost, d("163750"));
    }
}
