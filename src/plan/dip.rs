//! Double dips: token charges for a product on a day the user held a
//! subscription covering it (SPEC §4, audit in §7).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::meter::Metered;
use crate::scenario::Scenario;
use crate::usage::{Usage, UserId};

/// Days from 0001-01-01 (day 1 in chrono's count) to 1970-01-01.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// One charge paid twice: tokens for a product the user's subscription covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoubleDip {
    /// User display name.
    pub user: String,
    /// Product code.
    pub product: String,
    /// Local date of the charge.
    pub date: NaiveDate,
    /// Subscription held that covers the product.
    pub subscription: String,
    /// Tokens charged that day.
    pub tokens: Decimal,
}

/// The local date of a metered day number (days since 1970-01-01).
pub fn date_of_day(day: i32) -> Option<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(day.checked_add(EPOCH_DAYS_FROM_CE)?)
}

/// Every (user, product, date, subscription) where the user was charged for
/// the product while holding (per the assignments, which carry no dates, so
/// for the whole history) a subscription covering it; one row per covering
/// subscription held. Sorted by user, product, date, subscription.
/// Assignments to subscriptions the scenario does not define are skipped
/// ([`PlanInput::warnings`](super::PlanInput::warnings) names them).
pub fn double_dips(metered: &Metered, usage: &Usage, scenario: &Scenario) -> Vec<DoubleDip> {
    let mut held: BTreeMap<UserId, BTreeSet<&str>> = BTreeMap::new();
    for (user, code) in &usage.assignments {
        if scenario.subscriptions.contains_key(code) {
            held.entry(*user).or_default().insert(code.as_str());
        }
    }
    let mut out = Vec::new();
    for pair in &metered.pairs {
        let Some(subs) = held.get(&pair.user) else {
            continue;
        };
        let Some(product) = metered.products.get(usize::from(pair.product)) else {
            continue;
        };
        let covering: Vec<&str> = subs
            .iter()
            .copied()
            .filter(|code| {
                scenario
                    .subscriptions
                    .get(*code)
                    .is_some_and(|s| s.covers.iter().any(|c| c == product))
            })
            .collect();
        if covering.is_empty() {
            continue;
        }
        let user = if (pair.user as usize) < usage.users.len() {
            usage.users.name(pair.user).to_string()
        } else {
            format!("#{}", pair.user)
        };
        for d in &pair.days {
            let Some(date) = date_of_day(d.day) else {
                continue;
            };
            for code in &covering {
                out.push(DoubleDip {
                    user: user.clone(),
                    product: product.clone(),
                    date,
                    subscription: (*code).to_string(),
                    tokens: d.tokens,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.user, &a.product, a.date, &a.subscription).cmp(&(
            &b.user,
            &b.product,
            b.date,
            &b.subscription,
        ))
    });
    out
}
