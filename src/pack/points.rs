//! The scenario moved along one input, and a plan held fixed priced there:
//! the two things sensitivity and break-evens evaluate at every point.
//!
//! [`Driver`] names an input of SPEC §9's tornado; [`Driver::apply`]
//! returns the scenario (and, for the usage volume, the demand) with that
//! input's effective value × a factor. [`held_npv`] costs a term plan whose
//! seats and token purchases are fixed at another point's prices and
//! demand: what standing still would cost.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::ledger::lots::present_value;
use crate::scenario::{Overdraft, Scenario, TokenPrice};
use crate::term::TermPlan;
use crate::term::demand::TermDemand;
use crate::term::years::Priced;

/// An input of the tornado (SPEC §9).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Driver {
    /// Every token price of every year (all tiers together).
    TokenPrice,
    /// One subscription's prices, new and renewal together, all years.
    Subscription(String),
    /// The overage price, all years.
    OveragePrice,
    /// Growth per year.
    Growth,
    /// The escalation in force (after its cap).
    Escalation,
    /// Usage volume: every use-day, peak and pool demand.
    UsageVolume,
}

impl Driver {
    /// The input as an analyst names it.
    pub fn label(&self, scenario: &Scenario) -> String {
        match self {
            Driver::TokenPrice => "Token price".into(),
            Driver::Subscription(code) => {
                let name = scenario
                    .subscriptions
                    .get(code)
                    .map_or(code.as_str(), |s| s.name.as_str());
                format!("{name} price")
            }
            Driver::OveragePrice => "Overage price".into(),
            Driver::Growth => "Growth per year".into(),
            Driver::Escalation => "Price escalation (after cap)".into(),
            Driver::UsageVolume => "Usage volume".into(),
        }
    }

    /// Every driver of `scenario`: token price, each subscription, overage,
    /// growth, escalation, usage volume.
    pub fn all(scenario: &Scenario) -> Vec<Driver> {
        let mut out = vec![Driver::TokenPrice];
        out.extend(
            scenario
                .subscriptions
                .keys()
                .cloned()
                .map(Driver::Subscription),
        );
        out.extend([
            Driver::OveragePrice,
            Driver::Growth,
            Driver::Escalation,
            Driver::UsageVolume,
        ]);
        out
    }

    /// The input's effective value today: year 1's first token price, the
    /// subscription's new-seat price, the overage price, the growth, the
    /// escalation after its cap, or 1 (100% of today's usage).
    pub fn value(&self, scenario: &Scenario) -> Decimal {
        match self {
            Driver::TokenPrice => headline_token_price(&scenario.token_price),
            Driver::Subscription(code) => scenario
                .subscriptions
                .get(code)
                .map_or(Decimal::ZERO, |s| s.annual_price),
            Driver::OveragePrice => scenario.contract.overage_price,
            Driver::Growth => scenario.forecast.growth_per_year,
            Driver::Escalation => crate::term::prices::escalation(scenario),
            Driver::UsageVolume => Decimal::ONE,
        }
    }

    /// True when the value is a rate (shown as a percentage), not money.
    pub fn is_rate(&self) -> bool {
        matches!(
            self,
            Driver::Growth | Driver::Escalation | Driver::UsageVolume
        )
    }

    /// `scenario` with this input's effective value × `factor`. The usage
    /// volume leaves the scenario as it is (the demand moves instead).
    pub fn apply(&self, scenario: &Scenario, factor: Decimal) -> Scenario {
        let mut s = scenario.clone();
        match self {
            Driver::TokenPrice => scale_token_prices(&mut s, factor),
            Driver::Subscription(code) => scale_subscription(&mut s, code, factor),
            Driver::OveragePrice => {
                s.contract.overage_price = places(s.contract.overage_price * factor, 4);
                if let Some(p) = s.prices.as_mut() {
                    for y in &mut p.years {
                        if let Some(o) = y.overage_price.as_mut() {
                            *o = places(*o * factor, 4);
                        }
                    }
                }
            }
            Driver::Growth => s.forecast.growth_per_year *= factor,
            Driver::Escalation => {
                if let Some(p) = s.prices.as_mut() {
                    p.escalation = crate::term::prices::escalation(scenario) * factor;
                    p.escalation_cap = None;
                }
            }
            Driver::UsageVolume => {}
        }
        s
    }
}

/// Year 1's first token price: the price a token costs in the first tier.
pub fn headline_token_price(price: &TokenPrice) -> Decimal {
    match price {
        TokenPrice::Flat(p) => *p,
        TokenPrice::Tiers { tiers, .. } => tiers.first().map_or(Decimal::ZERO, |t| t.price),
    }
}

/// `d` rounded half-up to `dp` places.
pub fn places(d: Decimal, dp: u32) -> Decimal {
    d.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

fn scale_price(price: &mut TokenPrice, factor: Decimal) {
    match price {
        TokenPrice::Flat(p) => *p = places(*p * factor, 4),
        TokenPrice::Tiers { tiers, .. } => {
            for t in tiers {
                t.price = places(t.price * factor, 4);
            }
        }
    }
}

/// Every token price of every year × `factor`, to 4 places.
pub fn scale_token_prices(s: &mut Scenario, factor: Decimal) {
    scale_price(&mut s.token_price, factor);
    if let Some(p) = s.prices.as_mut() {
        for y in &mut p.years {
            if let Some(tp) = y.token_price.as_mut() {
                scale_price(tp, factor);
            }
        }
    }
}

/// `s` with year 1's first token price `price`, every other token price
/// (other tiers, later years' overrides) moved in proportion (4 places).
pub fn with_token_price(s: &Scenario, price: Decimal) -> Scenario {
    let mut out = s.clone();
    let today = headline_token_price(&s.token_price);
    if today.is_zero() {
        return out;
    }
    scale_token_prices(&mut out, price / today);
    // The headline price exactly, whatever the division rounded.
    match &mut out.token_price {
        TokenPrice::Flat(p) => *p = price,
        TokenPrice::Tiers { tiers, .. } => {
            if let Some(t) = tiers.first_mut() {
                t.price = price;
            }
        }
    }
    out
}

/// Subscription `code`'s new-seat and renewal prices, and its overrides,
/// × `factor`, to cents.
pub fn scale_subscription(s: &mut Scenario, code: &str, factor: Decimal) {
    if let Some(sub) = s.subscriptions.get_mut(code) {
        sub.annual_price = places(sub.annual_price * factor, 2);
        if let Some(r) = sub.renewal_price.as_mut() {
            *r = places(*r * factor, 2);
        }
    }
    if let Some(p) = s.prices.as_mut() {
        for y in &mut p.years {
            for map in [&mut y.subscriptions, &mut y.renewal_subscriptions] {
                if let Some(v) = map.get_mut(code) {
                    *v = places(*v * factor, 2);
                }
            }
        }
    }
}

/// `s` with subscription `code`'s new-seat price `price`, its renewal price
/// and overrides moved in proportion (cents).
pub fn with_subscription_price(s: &Scenario, code: &str, price: Decimal) -> Scenario {
    let mut out = s.clone();
    let today = s
        .subscriptions
        .get(code)
        .map_or(Decimal::ZERO, |x| x.annual_price);
    if today.is_zero() {
        if let Some(sub) = out.subscriptions.get_mut(code) {
            sub.annual_price = price;
        }
        return out;
    }
    scale_subscription(&mut out, code, price / today);
    if let Some(sub) = out.subscriptions.get_mut(code) {
        sub.annual_price = price;
    }
    out
}

/// Forecast tokens each year that `plan`'s holdings leave to tokens, under
/// `demand`.
pub fn need_of(demand: &TermDemand, plan: &TermPlan) -> Vec<Decimal> {
    (0..demand.years())
        .map(|k| {
            let Some(holding) = plan.holdings.get(k) else {
                return Decimal::ZERO;
            };
            let Some(tokens) = demand.tokens.get(k) else {
                return Decimal::ZERO;
            };
            demand
                .input
                .users
                .iter()
                .zip(tokens)
                .zip(holding)
                .map(|((u, t), &mask)| {
                    let covers = demand.input.plan_covers(mask);
                    u.demand
                        .iter()
                        .zip(t)
                        .filter(|(d, _)| covers & (1u128 << d.product) == 0)
                        .map(|(_, x)| *x)
                        .sum::<Decimal>()
                })
                .sum()
        })
        .collect()
}

/// The NPV of `plan` held fixed — its seats every year and its `Annual`
/// lots — at the prices of `priced`, when the tokens it leaves uncovered
/// are `need` per year: seats at their new-seat or renewal prices, the lots
/// at the year's token price, and demand beyond a lot billed as overage at
/// the year's end (under `Unlimited`, or within a `Limit`; refused under
/// `None`; bought as packs at the year's token price under `TopUp`).
pub fn held_npv(
    priced: &Priced<'_>,
    overdraft: &Overdraft,
    plan: &TermPlan,
    need: &[Decimal],
) -> Decimal {
    let p = &priced.problem;
    let rate = priced.rate;
    let mut limit_left = match overdraft {
        Overdraft::Limit(n) => *n,
        _ => Decimal::ZERO,
    };
    let mut npv = Decimal::ZERO;
    for (k, y) in plan.years.iter().enumerate().take(p.years) {
        let subs: Decimal = (0..p.subs)
            .map(|j| {
                let prev = if k == 0 {
                    p.before.get(j).copied().unwrap_or(0)
                } else {
                    plan.years[k - 1].seats.get(j).copied().unwrap_or(0)
                };
                p.seat_cost(k, j, prev, y.seats.get(j).copied().unwrap_or(0))
            })
            .sum();
        let lot = y.purchase.tokens;
        let tokens = if lot.is_zero() {
            Decimal::ZERO
        } else {
            p.schedules[k].price_of_quantity(lot)
        };
        npv += present_value(subs + tokens, rate, k);
        let short = (need.get(k).copied().unwrap_or_default() - lot).max(Decimal::ZERO);
        if short.is_zero() {
            continue;
        }
        let overage_price = priced
            .prices
            .get(k)
            .map_or(Decimal::ZERO, |x| x.overage_price);
        let extra = match overdraft {
            Overdraft::Unlimited => short * overage_price,
            Overdraft::Limit(_) => {
                let billed = short.min(limit_left);
                limit_left -= billed;
                billed * overage_price
            }
            Overdraft::None => Decimal::ZERO,
            Overdraft::TopUp => {
                let packs = if p.pack.is_zero() {
                    short.ceil()
                } else {
                    (short / p.pack).ceil() * p.pack
                };
                p.schedules[k].price_of_quantity(packs)
            }
        };
        npv += present_value(extra, rate, k + 1);
    }
    npv
}
