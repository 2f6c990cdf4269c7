//! Double-dip: token charges for a product on a day the user held a
//! named-user subscription covering it (SPEC §4, §7 `audit`).
//!
//! The assignments (`usage.assignments`) say who holds which subscription
//! *today*; they carry no dates, so a seat is taken as held over the whole
//! history. Subscription codes are matched to the scenario's
//! case-insensitively; codes the scenario does not know are counted in
//! [`DoubleDips::unknown_subscriptions`], never silently ignored. When
//! several of a user's subscriptions cover a product, the row names the
//! first in code order.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::monitor::{ChargeRow, Source, money, plain, user_name};
use crate::scenario::Scenario;
use crate::usage::{Usage, UserId};

/// One token charge a subscription already paid for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoubleDip {
    /// Who (display name).
    pub user: String,
    /// Product code.
    pub product: String,
    /// Charge date.
    pub date: NaiveDate,
    /// The subscription the user holds that covers the product.
    pub subscription: String,
    /// Tokens charged.
    pub tokens: Decimal,
    /// Their cost at the base token price, two decimal places.
    pub cost: Decimal,
    /// Replay or vendor charge.
    pub source: Source,
}

/// The double-dip list and what could not be checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DoubleDips {
    /// Charges, sorted by user name, product, date.
    pub rows: Vec<DoubleDip>,
    /// Tokens in all.
    pub tokens: Decimal,
    /// Their cost, two decimal places.
    pub cost: Decimal,
    /// Assigned subscription codes the scenario does not define, with the
    /// number of seats naming them.
    pub unknown_subscriptions: BTreeMap<String, u64>,
}

/// The charges of `rows` on products covered by a subscription their user
/// holds, priced at `price` per token.
pub fn double_dips(
    rows: &[ChargeRow],
    usage: &Usage,
    scenario: &Scenario,
    price: Decimal,
) -> DoubleDips {
    let mut unknown: BTreeMap<String, u64> = BTreeMap::new();
    // user → product → first covering subscription code.
    let mut covered: BTreeMap<UserId, BTreeMap<&str, &str>> = BTreeMap::new();
    let mut held: BTreeMap<UserId, BTreeSet<&str>> = BTreeMap::new();
    for (user, code) in &usage.assignments {
        let code = code.trim();
        match scenario
            .subscriptions
            .keys()
            .find(|k| k.eq_ignore_ascii_case(code))
        {
            Some(k) => {
                held.entry(*user).or_default().insert(k.as_str());
            }
            None => *unknown.entry(code.to_string()).or_default() += 1,
        }
    }
    for (user, subs) in &held {
        let map = covered.entry(*user).or_default();
        for sub in subs {
            if let Some(s) = scenario.subscriptions.get(*sub) {
                for product in &s.covers {
                    map.entry(product.as_str()).or_insert(sub);
                }
            }
        }
    }
    let mut out: Vec<DoubleDip> = rows
        .iter()
        .filter_map(|r| {
            let sub = covered.get(&r.user)?.get(r.product.as_str())?;
            Some(DoubleDip {
                user: user_name(usage, r.user),
                product: r.product.clone(),
                date: r.date,
                subscription: (*sub).to_string(),
                tokens: plain(r.tokens),
                cost: money(r.tokens * price),
                source: r.source,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.user, &a.product, a.date, a.source).cmp(&(&b.user, &b.product, b.date, b.source))
    });
    let tokens: Decimal = out.iter().map(|d| d.tokens).sum();
    DoubleDips {
        tokens: plain(tokens),
        cost: money(tokens * price),
        rows: out,
        unknown_subscriptions: unknown,
    }
}
