//! The exact day-by-day token ledger: lots, consumption order, overdraft,
//! top-ups, expiry and payments, in `Decimal` to the token.
//!
//! [`run_ledger_priced`] replays a daily demand over the contract term
//! against a list of [`Lot`]s, with the prices of each contract year
//! ([`LedgerPrices`]), and returns a [`LedgerRun`]: one [`DayRow`] per day
//! (balance of every lot, consumption, overage, unserved, top-up, expiry)
//! for the GUI's chart, the [`ExpiryEvent`]s and [`TopUpEvent`]s, one
//! [`YearSummary`] per contract year and the term's [`LedgerTotals`].
//! [`run_ledger`] is the same with the contract's own overage price every
//! year. It is the reference the fast sizing evaluator is tested against.
//!
//! Each day, in this order: lots bought that day become available; the
//! day's demand is drawn from the lot that expires first, ties going to the
//! lot with the smaller balance (then the earlier lot in the list) —
//! Autodesk's documented order; demand beyond the balance is overage
//! (`Unlimited`, or within what is left of a `Limit` over the term),
//! unserved (`None`, or beyond the limit), or — under `TopUp` — bought that
//! day as ceil(shortfall / pack size) packs: one `Pack` lot at that contract
//! year's token price (tier by the top-up's quantity, an order of its own),
//! drawn from at once, its leftover living 365 days; at the end of the day,
//! lots whose last day it is expire with whatever they still hold.
//!
//! Invariant, at the end of every day: tokens bought so far (top-ups
//! included) = consumed + expired + remaining, exactly; overage and
//! unserved are demand not drawn from lots and are counted apart.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use super::lots::{
    LedgerError, Lot, LotKind, MAX_TOKENS, Term, check_contract, check_token_price, pack_tokens,
    present_value, tokens_cost,
};
use crate::scenario::{Contract, Overdraft, TokenPrice};

/// The prices the ledger bills with, by contract year (0-based index; a
/// year beyond the list takes the list's last entry).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerPrices {
    /// Price of a token of overage, per contract year.
    pub overage: Vec<Decimal>,
    /// The token price top-ups are bought at, per contract year (`TopUp`
    /// only; may be empty otherwise).
    pub token: Vec<TokenPrice>,
}

impl LedgerPrices {
    /// The same prices every year: `contract`'s overage price and, for
    /// top-ups, `token_price`.
    pub fn constant(contract: &Contract, token_price: Option<&TokenPrice>) -> LedgerPrices {
        LedgerPrices {
            overage: vec![contract.overage_price],
            token: token_price.into_iter().cloned().collect(),
        }
    }

    fn overage_in(&self, year: usize) -> Decimal {
        pick(&self.overage, year).copied().unwrap_or_default()
    }

    fn token_in(&self, year: usize) -> Option<&TokenPrice> {
        pick(&self.token, year)
    }
}

/// Entry `year` of `list`, or its last one beyond the end.
fn pick<T>(list: &[T], year: usize) -> Option<&T> {
    list.get(year).or(list.last())
}

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
    /// Tokens bought by a top-up that day (`TopUp`).
    pub topped_up: Decimal,
    /// Tokens that expired at the end of the day.
    pub expired: Decimal,
    /// Balance of each lot of [`LedgerRun::lots`] at the end of the day
    /// (after expiry), top-up lots included; 0 before a lot is bought.
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
    /// Index of the lot in [`LedgerRun::lots`].
    pub lot: usize,
    /// Tokens it still held (possibly 0).
    pub tokens: Decimal,
}

/// Packs bought on a day the balance could not cover the demand
/// (`Overdraft::TopUp`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TopUpEvent {
    /// The day.
    pub date: NaiveDate,
    /// Index of the `Pack` lot bought, in [`LedgerRun::lots`].
    pub lot: usize,
    /// Demand the balance could not cover.
    pub shortfall: Decimal,
    /// Packs bought: ceil(shortfall / pack size).
    pub packs: Decimal,
    /// Tokens bought: packs × pack size.
    pub tokens: Decimal,
    /// What they cost.
    pub cost: Decimal,
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
    /// Tokens bought during the year, top-ups included.
    pub bought: Decimal,
    /// Of those, tokens bought by top-ups.
    pub topped_up: Decimal,
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
    /// Paid for lots bought during the year, top-ups included.
    pub purchase_cost: Decimal,
    /// Of that, paid for top-ups.
    pub top_up_cost: Decimal,
    /// Overage billed at the end of the year, at the year's overage price.
    pub overage_cost: Decimal,
    /// Present value of this year's payments at the contract start: lots
    /// discounted `year` years, overage `year + 1` years.
    pub npv: Decimal,
}

/// Totals over the term.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct LedgerTotals {
    /// Tokens bought, top-ups included.
    pub bought: Decimal,
    /// Of those, tokens bought by top-ups.
    pub topped_up: Decimal,
    /// Tokens demanded.
    pub demand: Decimal,
    /// Tokens drawn from lots.
    pub consumed: Decimal,
    /// Tokens expired.
    pub expired: Decimal,
    /// Tokens left at the end (0 once every lot has expired; a pack bought
    /// in the last year outlives the term).
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
    /// The lots given, then one `Pack` lot per top-up in date order.
    pub lots: Vec<Lot>,
    /// Last day of each lot, in the order of `lots`.
    pub expiries: Vec<NaiveDate>,
    /// Every day of the term.
    pub days: Vec<DayRow>,
    /// Every lot's expiry within the term, by date then lot.
    pub expiry_events: Vec<ExpiryEvent>,
    /// Every top-up, by date.
    pub top_ups: Vec<TopUpEvent>,
    /// One per contract year.
    pub years: Vec<YearSummary>,
    /// The term.
    pub totals: LedgerTotals,
}

/// Replays `demand` (tokens on each day of the term, index 0 = the contract
/// start; missing days at the end demand nothing) against `lots` under
/// `contract`'s overdraft, overage price and discount rate, the same prices
/// every year.
///
/// # Errors
/// As [`run_ledger_priced`]; under `TopUp` always, since there is no token
/// price to buy packs at.
pub fn run_ledger(
    contract: &Contract,
    lots: &[Lot],
    demand: &[Decimal],
) -> Result<LedgerRun, LedgerError> {
    run_ledger_priced(
        contract,
        &LedgerPrices::constant(contract, None),
        lots,
        demand,
    )
}

/// Replays `demand` (tokens on each day of the term, index 0 = the contract
/// start; missing days at the end demand nothing) against `lots` under
/// `contract`'s overdraft and discount rate, billing overage and buying
/// top-ups at each contract year's `prices`.
///
/// # Errors
/// When the contract term is unusable, a lot is bought outside the term or
/// has a negative or absurd quantity or cost, a demand is negative or
/// absurd, there are more demand days than the term has, a price is
/// negative or absurd, or the overdraft is `TopUp` and `prices` has no
/// token price.
pub fn run_ledger_priced(
    contract: &Contract,
    prices: &LedgerPrices,
    lots: &[Lot],
    demand: &[Decimal],
) -> Result<LedgerRun, LedgerError> {
    check_contract(contract)?;
    let term = Term::new(contract)?;
    check_demand(&term, demand)?;
    let expiries = check_lots(&term, lots)?;
    check_prices(contract, prices)?;
    let mut book = Book::new(contract, prices, &term, lots, expiries);
    for t in 0..term.days() {
        book.day(t, demand.get(t).copied().unwrap_or(Decimal::ZERO));
    }
    Ok(book.finish())
}

/// The ledger while it runs.
struct Book<'a> {
    contract: &'a Contract,
    prices: &'a LedgerPrices,
    term: &'a Term,
    /// Lots given; top-ups are appended after them.
    given: usize,
    lots: Vec<Lot>,
    expiries: Vec<NaiveDate>,
    balances: Vec<Decimal>,
    /// What is left of a `Limit` overdraft.
    limit_left: Decimal,
    year: usize,
    rows: Vec<DayRow>,
    expiry_events: Vec<ExpiryEvent>,
    top_ups: Vec<TopUpEvent>,
    years: Vec<YearSummary>,
    /// Scratch: live lots in drawing order.
    order: Vec<usize>,
}

impl<'a> Book<'a> {
    fn new(
        contract: &'a Contract,
        prices: &'a LedgerPrices,
        term: &'a Term,
        lots: &[Lot],
        expiries: Vec<NaiveDate>,
    ) -> Book<'a> {
        let years = (0..term.years())
            .map(|k| YearSummary {
                year: k,
                start: term.year_start(k),
                end: term.year_end(k),
                bought: Decimal::ZERO,
                topped_up: Decimal::ZERO,
                demand: Decimal::ZERO,
                consumed: Decimal::ZERO,
                expired: Decimal::ZERO,
                overage: Decimal::ZERO,
                unserved: Decimal::ZERO,
                purchase_cost: Decimal::ZERO,
                top_up_cost: Decimal::ZERO,
                overage_cost: Decimal::ZERO,
                npv: Decimal::ZERO,
            })
            .collect();
        Book {
            contract,
            prices,
            term,
            given: lots.len(),
            lots: lots.to_vec(),
            expiries,
            balances: vec![Decimal::ZERO; lots.len()],
            limit_left: match contract.overdraft {
                Overdraft::Limit(n) => n,
                _ => Decimal::ZERO,
            },
            year: 0,
            rows: Vec::with_capacity(term.days()),
            expiry_events: Vec::new(),
            top_ups: Vec::new(),
            years,
            order: Vec::with_capacity(lots.len()),
        }
    }

    /// Day `t` of the term with demand `want`: buy, draw, cover the
    /// shortfall, expire, record.
    fn day(&mut self, t: usize, want: Decimal) {
        let date = self.term.start() + chrono::Duration::days(t as i64);
        if date > self.term.year_end(self.year) {
            self.year += 1;
        }
        let k = self.year;
        for i in 0..self.given {
            if self.lots[i].purchased == date {
                self.balances[i] += self.lots[i].quantity;
                self.years[k].bought += self.lots[i].quantity;
                self.years[k].purchase_cost += self.lots[i].cost;
            }
        }

        let short = self.draw(date, want);
        let (mut overage, mut unserved, mut topped_up) =
            (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
        if !short.is_zero() {
            match self.contract.overdraft {
                Overdraft::None => unserved = short,
                Overdraft::Unlimited => overage = short,
                Overdraft::Limit(_) => {
                    overage = short.min(self.limit_left);
                    self.limit_left -= overage;
                    unserved = short - overage;
                }
                Overdraft::TopUp => topped_up = self.top_up(date, short),
            }
        }
        let consumed = want - overage - unserved;
        let expired = self.expire(date);

        let summary = &mut self.years[k];
        summary.demand += want;
        summary.consumed += consumed;
        summary.overage += overage;
        summary.unserved += unserved;
        summary.expired += expired;
        self.rows.push(DayRow {
            date,
            demand: want,
            consumed,
            overage,
            unserved,
            topped_up,
            expired,
            balances: self.balances.clone(),
        });
    }

    /// Draws `want` from the live lots, the one expiring first first (ties:
    /// the smaller balance, then the earlier lot); returns what they could
    /// not cover.
    fn draw(&mut self, date: NaiveDate, want: Decimal) -> Decimal {
        let (lots, expiries, balances) = (&self.lots, &self.expiries, &self.balances);
        self.order.clear();
        self.order.extend((0..lots.len()).filter(|&i| {
            lots[i].purchased <= date && expiries[i] >= date && !balances[i].is_zero()
        }));
        self.order
            .sort_by(|&a, &b| (expiries[a], balances[a], a).cmp(&(expiries[b], balances[b], b)));
        let mut need = want;
        for &i in &self.order {
            if need.is_zero() {
                break;
            }
            let take = need.min(self.balances[i]);
            self.balances[i] -= take;
            need -= take;
        }
        need
    }

    /// Buys ceil(`short` / pack size) packs on `date` as one `Pack` lot,
    /// draws `short` from it and returns the tokens bought.
    fn top_up(&mut self, date: NaiveDate, short: Decimal) -> Decimal {
        let pack = pack_tokens(self.contract);
        let packs = (short / pack).ceil();
        let tokens = packs * pack;
        let cost = self
            .prices
            .token_in(self.year)
            .map_or(Decimal::ZERO, |price| tokens_cost(price, tokens));
        let lot = self.lots.len();
        let purchased = date;
        self.lots.push(Lot {
            quantity: tokens,
            kind: LotKind::Pack,
            purchased,
            cost,
        });
        self.expiries.push(
            self.term
                .expiry(LotKind::Pack, purchased)
                .unwrap_or(NaiveDate::MAX),
        );
        self.balances.push(tokens - short);
        self.top_ups.push(TopUpEvent {
            date,
            lot,
            shortfall: short,
            packs,
            tokens,
            cost,
        });
        let summary = &mut self.years[self.year];
        summary.bought += tokens;
        summary.topped_up += tokens;
        summary.purchase_cost += cost;
        summary.top_up_cost += cost;
        tokens
    }

    /// Ends the life of every lot whose last day `date` is; returns the
    /// tokens they still held.
    fn expire(&mut self, date: NaiveDate) -> Decimal {
        let mut expired = Decimal::ZERO;
        for i in 0..self.lots.len() {
            if self.expiries[i] == date && self.lots[i].purchased <= date {
                self.expiry_events.push(ExpiryEvent {
                    date,
                    lot: i,
                    tokens: self.balances[i],
                });
                expired += self.balances[i];
                self.balances[i] = Decimal::ZERO;
            }
        }
        expired
    }

    /// Bills each year's overage, discounts, totals, and gives every day a
    /// balance for every lot (top-ups bought later included, as 0).
    fn finish(mut self) -> LedgerRun {
        let rate = self.contract.discount_rate;
        let mut totals = LedgerTotals::default();
        for y in &mut self.years {
            y.overage_cost = y.overage * self.prices.overage_in(y.year);
            y.npv = present_value(y.purchase_cost, rate, y.year)
                + present_value(y.overage_cost, rate, y.year + 1);
            totals.bought += y.bought;
            totals.topped_up += y.topped_up;
            totals.demand += y.demand;
            totals.consumed += y.consumed;
            totals.expired += y.expired;
            totals.overage += y.overage;
            totals.unserved += y.unserved;
            totals.cost += y.purchase_cost + y.overage_cost;
            totals.npv += y.npv;
        }
        totals.remaining = self.balances.iter().sum();
        let lots = self.lots.len();
        for row in &mut self.rows {
            row.balances.resize(lots, Decimal::ZERO);
        }
        LedgerRun {
            lots: self.lots,
            expiries: self.expiries,
            days: self.rows,
            expiry_events: self.expiry_events,
            top_ups: self.top_ups,
            years: self.years,
            totals,
        }
    }
}

/// Checks that `demand` fits the term and every value is possible.
fn check_demand(term: &Term, demand: &[Decimal]) -> Result<(), LedgerError> {
    if demand.len() > term.days() {
        return Err(LedgerError::DemandBeyondTerm {
            given: demand.len(),
            term: term.days(),
        });
    }
    for (i, &d) in demand.iter().enumerate() {
        if d.is_sign_negative() || d > MAX_TOKENS {
            return Err(LedgerError::Demand {
                date: term.start() + chrono::Duration::days(i as i64),
                message: format!("{d} tokens is not a possible daily demand"),
            });
        }
    }
    Ok(())
}

/// Checks every year's prices, and that `TopUp` has a token price.
fn check_prices(contract: &Contract, prices: &LedgerPrices) -> Result<(), LedgerError> {
    for &p in &prices.overage {
        super::lots::check_price("overage price", p)?;
    }
    for p in &prices.token {
        check_token_price(p)?;
    }
    if contract.overdraft == Overdraft::TopUp && prices.token.is_empty() {
        return Err(LedgerError::Contract(
            "overdraft TopUp buys packs at the token price, and none was given".into(),
        ));
    }
    Ok(())
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
