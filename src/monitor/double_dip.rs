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

use crate::monitor::{ChargeRow, Rows, Source, money, plain, user_name};
use crate::scenario::Scenario;
use crate::time::date_of_day;
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
    double_dips_of(rows, usage, scenario, price)
}

/// [`double_dips`] of any [`Rows`]: a row is looked at only when its user
/// holds a subscription, and named only when one covers it.
pub(crate) fn double_dips_of<R: Rows + ?Sized>(
    rows: &R,
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
    // Per user id: the products their seats cover (empty: none).
    let mut by_user: Vec<Option<&BTreeMap<&str, &str>>> = vec![None; usage.users.len()];
    for (user, map) in &covered {
        if let Some(slot) = by_user.get_mut(*user as usize) {
            *slot = Some(map);
        }
    }
    let mut names: BTreeMap<UserId, String> = BTreeMap::new();
    // (row, user id): the id breaks ties of equal names as the sorted
    // rows of `charge_rows` did.
    let mut found: Vec<(DoubleDip, UserId)> = Vec::new();
    if !covered.is_empty() {
        rows.visit(&mut |r| {
            let map = match by_user.get(r.user as usize) {
                Some(m) => *m,
                None => covered.get(&r.user),
            };
            let Some(sub) = map.and_then(|m| m.get(r.product)) else {
                return;
            };
            let user = names
                .entry(r.user)
                .or_insert_with(|| user_name(usage, r.user))
                .clone();
            found.push((
                DoubleDip {
                    user,
                    product: r.product.to_string(),
                    date: date_of_day(r.day),
                    subscription: (*sub).to_string(),
                    tokens: plain(r.tokens),
                    cost: money(r.tokens * price),
                    source: r.source,
                },
                r.user,
            ));
        });
    }
    found.sort_by(|(a, ua), (b, ub)| {
        (&a.user, &a.product, a.date, a.source, ua, a.tokens)
            .cmp(&(&b.user, &b.product, b.date, b.source, ub, b.tokens))
    });
    let out: Vec<DoubleDip> = found.into_iter().map(|(d, _)| d).collect();
    let tokens: Decimal = out.iter().map(|d| d.tokens).sum();
    DoubleDips {
        tokens: plain(tokens),
        cost: money(tokens * price),
        rows: out,
        unknown_subscriptions: unknown,
    }
}
