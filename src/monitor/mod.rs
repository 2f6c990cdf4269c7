//! Monitoring views and what-ifs over history (SPEC §6), and the `audit`
//! report of SPEC §7.
//!
//! Everything here starts from a metered history ([`Metered`]) and, for the
//! what-ifs, re-meters a modified copy of the usage or the scenario with
//! [`meter`](crate::meter::meter):
//! - [`burn`]: tokens per day, trailing averages, month-to-date, projection
//!   to month end, run-out date of a balance, days over an alert threshold.
//! - [`budgets`]: the pool split into virtual pools per department.
//! - [`boundary`]: charges caused only by a session crossing the charge
//!   boundary, and the what-ifs of another server zone or per-region servers.
//! - [`idle`]: replay with harvest policies (idle reclaim, length cap, 23:59).
//! - [`shadow`]: the same history under every charging rule.
//! - [`vendor_audit`]: a Token Flex export against the replay of sessions.
//! - [`double_dip`]: token charges on days the user held a covering
//!   subscription.
//!
//! [`ChargeRow`]s ([`charge_rows`]) are the common daily input of burn,
//! budgets and double-dip: the replay, with a vendor's own charges in place
//! of the replay where the vendor reported them. [`audit`] runs every view
//! and returns one serialisable [`AuditReport`].

pub mod budgets;
pub mod burn;
pub mod double_dip;
pub mod vendor_audit;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::meter::Metered;
use crate::scenario::{Scenario, TokenPrice};
use crate::time::date_of_day;
use crate::usage::{Usage, UserId};

/// Where a [`ChargeRow`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// tokenplan's replay of sessions.
    Replay,
    /// A vendor's usage export (Token Flex).
    Vendor,
}

/// Tokens of one user and one product on one date.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ChargeRow {
    /// Who.
    pub user: UserId,
    /// Scenario product code (a vendor's code as written when the scenario
    /// has no such product).
    pub product: String,
    /// Charge date (the rule's zone for the replay, the vendor's date for
    /// vendor rows).
    pub date: NaiveDate,
    /// Tokens charged that date.
    pub tokens: Decimal,
    /// Replay or vendor.
    pub source: Source,
}

/// The daily charges every consumption view reads: the replay of sessions,
/// except that for each product a vendor export reports, the vendor's rows
/// replace the replay inside the export's period (its first to last date,
/// over all products): the vendor's bill is what the pool was drawn by.
/// Products the export does not mention keep their replay throughout.
///
/// Vendor product codes are matched to scenario codes case-insensitively.
/// Rows are sorted by user id, product, date.
pub fn charge_rows(usage: &Usage, metered: &Metered) -> Vec<ChargeRow> {
    let vendor = vendor_rows(usage, metered);
    let period = vendor_period(usage);
    let vendor_products: BTreeSet<&str> = vendor.iter().map(|r| r.product.as_str()).collect();
    let mut rows = Vec::new();
    for pair in &metered.pairs {
        let product = product_code(metered, pair.product);
        let replaced = vendor_products.contains(product);
        for d in &pair.days {
            let date = date_of_day(d.day);
            if replaced && period.is_some_and(|(first, last)| first <= date && date <= last) {
                continue;
            }
            rows.push(ChargeRow {
                user: pair.user,
                product: product.to_string(),
                date,
                tokens: d.tokens,
                source: Source::Replay,
            });
        }
    }
    rows.extend(vendor);
    rows.sort();
    rows
}

/// The vendor's charges as rows, summed per (user, product, date), codes
/// mapped to the scenario's spelling where they match one.
pub(crate) fn vendor_rows(usage: &Usage, metered: &Metered) -> Vec<ChargeRow> {
    let mut sums: BTreeMap<(UserId, String, NaiveDate), Decimal> = BTreeMap::new();
    for c in &usage.vendor_charges {
        let product = scenario_code(metered, feature_name(usage, c.product));
        *sums.entry((c.user, product, c.date)).or_default() += c.tokens;
    }
    sums.into_iter()
        .map(|((user, product, date), tokens)| ChargeRow {
            user,
            product,
            date,
            tokens,
            source: Source::Vendor,
        })
        .collect()
}

/// First and last date of the vendor's charges.
pub(crate) fn vendor_period(usage: &Usage) -> Option<(NaiveDate, NaiveDate)> {
    let first = usage.vendor_charges.iter().map(|c| c.date).min()?;
    let last = usage.vendor_charges.iter().map(|c| c.date).max()?;
    Some((first, last))
}

/// The scenario's spelling of product `code` (case-insensitive), else `code`.
pub(crate) fn scenario_code(metered: &Metered, code: &str) -> String {
    let code = code.trim();
    metered
        .products
        .iter()
        .find(|p| p.eq_ignore_ascii_case(code))
        .cloned()
        .unwrap_or_else(|| code.to_string())
}

/// A user's display name; a placeholder for an id the table does not hold
/// (never produced by the importers, but not worth a panic).
pub(crate) fn user_name(usage: &Usage, id: UserId) -> String {
    if (id as usize) < usage.users.len() {
        usage.users.name(id).to_string()
    } else {
        format!("#{id}")
    }
}

/// A feature's name, or a placeholder for an unknown id.
pub(crate) fn feature_name(usage: &Usage, id: u32) -> &str {
    if (id as usize) < usage.features.len() {
        usage.features.name(id)
    } else {
        ""
    }
}

/// The scenario's base token price: the flat price, or the first tier's
/// (lowest `from`). What-ifs value tokens at it so that a saving does not
/// depend on which tier the whole purchase would land in.
pub fn base_token_price(scenario: &Scenario) -> Decimal {
    match &scenario.token_price {
        TokenPrice::Flat(p) => *p,
        TokenPrice::Tiers { tiers, .. } => tiers
            .iter()
            .min_by_key(|t| t.from)
            .map(|t| t.price)
            .unwrap_or_default(),
    }
}

/// Money as shown: two decimal places, half away from zero.
pub fn money(amount: Decimal) -> Decimal {
    let mut m = amount.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    m.rescale(2);
    m
}

/// Tokens as shown: a plain decimal without trailing zeros.
pub fn plain(amount: Decimal) -> Decimal {
    amount.normalize()
}

/// Two decimal places, half away from zero, trailing zeros dropped (means
/// and projections, which are tokens, not money).
pub(crate) fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

/// The code of product `idx` (empty when out of range).
pub(crate) fn product_code(metered: &Metered, idx: crate::meter::ProductIdx) -> &str {
    metered.products.get(usize::from(idx)).map_or("", |s| s)
}
