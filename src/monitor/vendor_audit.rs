//! Vendor audit: a Token Flex usage export (`usage.vendor_charges`) against
//! tokenplan's replay of the sessions for the same period (SPEC §1.3).
//!
//! Both sides are summed per (user, product, date); the period is the
//! export's first to last date. Vendor product codes are matched to the
//! scenario's codes case-insensitively; a code the scenario lacks is kept as
//! written (it can only disagree) and listed in
//! [`VendorAudit::unmatched_codes`]. Every (user, product, date) where the
//! two sides differ is a [`VendorDiff`], saying which side has no row.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::meter::Metered;
use crate::monitor::{plain, product_code, user_name, vendor_period, vendor_rows};
use crate::time::{date_of_day, day_of_date};
use crate::usage::{Usage, UserId};

/// Which side of the audit has no row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The vendor charged nothing where the replay charges.
    Vendor,
    /// The replay charges nothing where the vendor charged.
    Replay,
}

/// One (user, product, date) where the vendor and the replay disagree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VendorDiff {
    /// Who (display name).
    pub user: String,
    /// Product code.
    pub product: String,
    /// Charge date.
    pub date: NaiveDate,
    /// Tokens the vendor charged (none: no vendor row).
    pub vendor_tokens: Option<Decimal>,
    /// Tokens of the replay (none: no replay charge).
    pub replay_tokens: Option<Decimal>,
    /// Vendor − replay (a missing side counts as 0).
    pub difference: Decimal,
    /// The side without a row, when one is missing.
    pub missing: Option<Side>,
}

/// The vendor audit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VendorAudit {
    /// First date of the export.
    pub first: NaiveDate,
    /// Last date of the export.
    pub last: NaiveDate,
    /// Tokens the vendor charged in the period.
    pub vendor_tokens: Decimal,
    /// Tokens of the replay in the period.
    pub replay_tokens: Decimal,
    /// (user, product, date) keys on either side.
    pub compared: u64,
    /// Keys where both sides agree to the token.
    pub agreeing: u64,
    /// The disagreements, sorted by user name, product, date.
    pub diffs: Vec<VendorDiff>,
    /// Vendor product codes with no scenario product, with their row count.
    pub unmatched_codes: BTreeMap<String, u64>,
}

/// The audit of `usage.vendor_charges` against `metered` (the replay of the
/// same usage); `None` when there are no vendor charges.
pub fn vendor_audit(usage: &Usage, metered: &Metered) -> Option<VendorAudit> {
    let (first, last) = vendor_period(usage)?;
    let mut unmatched: BTreeMap<String, u64> = BTreeMap::new();
    for c in &usage.vendor_charges {
        let code = crate::monitor::feature_name(usage, c.product).trim();
        if !metered
            .products
            .iter()
            .any(|p| p.eq_ignore_ascii_case(code))
        {
            *unmatched.entry(code.to_string()).or_default() += 1;
        }
    }
    // (user, product, date) → (vendor, replay)
    type Sides = (Option<Decimal>, Option<Decimal>);
    let mut keys: BTreeMap<(UserId, String, NaiveDate), Sides> = BTreeMap::new();
    for r in vendor_rows(usage, metered) {
        keys.entry((r.user, r.product, r.date)).or_default().0 = Some(r.tokens);
    }
    let (lo, hi) = (day_of_date(first), day_of_date(last));
    for pair in &metered.pairs {
        let product = product_code(metered, pair.product);
        // The pair's days are ascending: only the period's are read.
        let from = pair.days.partition_point(|d| d.day < lo);
        let to = pair.days.partition_point(|d| d.day <= hi);
        for d in pair.days.get(from..to).unwrap_or_default() {
            let date = date_of_day(d.day);
            let side = &mut keys
                .entry((pair.user, product.to_string(), date))
                .or_default()
                .1;
            *side = Some(side.unwrap_or_default() + d.tokens);
        }
    }
    let mut vendor_tokens = Decimal::ZERO;
    let mut replay_tokens = Decimal::ZERO;
    let mut agreeing = 0;
    let mut diffs = Vec::new();
    for ((user, product, date), (vendor, replay)) in &keys {
        vendor_tokens += vendor.unwrap_or_default();
        replay_tokens += replay.unwrap_or_default();
        if vendor.is_some() && vendor == replay {
            agreeing += 1;
            continue;
        }
        let missing = match (vendor, replay) {
            (None, _) => Some(Side::Vendor),
            (_, None) => Some(Side::Replay),
            _ => None,
        };
        diffs.push(VendorDiff {
            user: user_name(usage, *user),
            product: product.clone(),
            date: *date,
            vendor_tokens: vendor.map(plain),
            replay_tokens: replay.map(plain),
            difference: plain(vendor.unwrap_or_default() - replay.unwrap_or_default()),
            missing,
        });
    }
    diffs.sort_by(|a, b| (&a.user, &a.product, a.date).cmp(&(&b.user, &b.product, b.date)));
    Some(VendorAudit {
        first,
        last,
        vendor_tokens: plain(vendor_tokens),
        replay_tokens: plain(replay_tokens),
        compared: keys.len() as u64,
        agreeing,
        diffs,
        unmatched_codes: unmatched,
    })
}
