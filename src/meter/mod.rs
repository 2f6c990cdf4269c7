//! Metering: sessions → charges under the vendors' charging rules (SPEC §2).
//!
//! [`meter`] maps every session's feature to a product through the
//! scenario's catalog ([`Catalog`]), then applies each product's
//! [`Rule`](crate::scenario::Rule): one file per rule. The result,
//! [`Metered`], holds charges per (user, product, local date).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::usage::UserId;

/// Index of a product in [`Metered::products`] (scenario code order).
pub type ProductIdx = u16;

/// Charges of one (user, product) on one local date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DayCharge {
    /// Local date, days since 1970-01-01 in the rule's zone.
    pub day: i32,
    /// Charges that started on this date (use-days for `CalendarDay`).
    pub charges: u32,
    /// Tokens those charges cost.
    pub tokens: Decimal,
}

/// All charges of one user for one product, by ascending date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairCharges {
    /// Who.
    pub user: UserId,
    /// Which product.
    pub product: ProductIdx,
    /// Dates with at least one charge, ascending.
    pub days: Vec<DayCharge>,
}

impl PairCharges {
    /// Number of charges in all.
    pub fn charges(&self) -> u64 {
        self.days.iter().map(|d| u64::from(d.charges)).sum()
    }
    /// Tokens in all.
    pub fn tokens(&self) -> Decimal {
        self.days.iter().map(|d| d.tokens).sum()
    }
}

/// The result of metering a whole usage history.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Metered {
    /// Product codes, in scenario order; [`ProductIdx`] indexes this.
    pub products: Vec<String>,
    /// Charges per (user, product), sorted by user display name then product code.
    pub pairs: Vec<PairCharges>,
    /// Features that match no product, with their number of sessions: not charged.
    pub unmapped: BTreeMap<String, u64>,
    /// Sessions shorter than their rule's grace: free.
    pub free_sessions: u64,
}
