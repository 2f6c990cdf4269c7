//! The scenario: everything a user assumes (catalog, charging rules and
//! rates, prices, contract, forecast), saved and loaded as versioned RON.
//!
//! [`Scenario`] is the file's model; [`Scenario::from_ron`] parses and
//! validates it, [`Scenario::to_ron`] writes it back so that a saved file
//! loads identical.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The scenario file format version this build writes.
pub const VERSION: u32 = 1;

/// A whole scenario (SPEC §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Scenario")]
pub struct Scenario {
    /// File format version.
    pub version: u32,
    /// Display name.
    pub name: String,
    /// ISO currency code of every price.
    pub currency: String,
    /// IANA zone of the license server's clock.
    pub server_time_zone: String,
    /// Product code → product.
    pub products: BTreeMap<String, Product>,
    /// Subscription code → named-user subscription.
    #[serde(default)]
    pub subscriptions: BTreeMap<String, Subscription>,
    /// Price of one token.
    pub token_price: TokenPrice,
    /// The contract being planned.
    pub contract: Contract,
    /// How history becomes next year's demand.
    pub forecast: Forecast,
    /// Department → tokens per year (virtual pools).
    #[serde(default)]
    pub budgets: BTreeMap<String, Decimal>,
}

/// One product of the catalog.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Product")]
pub struct Product {
    /// Display name.
    pub name: String,
    /// How its sessions become charges.
    pub rule: Rule,
    /// Effective-dated token rates, the one in force on a charge's date applies.
    pub rates: Vec<Rate>,
    /// Feature name patterns (`*` wildcards, case-insensitive) mapped to it.
    #[serde(default)]
    pub features: Vec<String>,
}

/// A charging rule and its parameters (SPEC §2). Every parameter is
/// optional; `None` means the rule's default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Rule {
    /// `rate` tokens per distinct (user, product, local date) used.
    CalendarDay {
        /// Zone of the dates (default: server time zone).
        time_zone: Option<String>,
        /// Sessions shorter than this are free (default 0).
        grace_minutes: Option<u32>,
    },
    /// A charge covers 24 h from the first use (Autodesk Flex).
    Rolling24h {
        /// Sessions shorter than this are free (default 5).
        grace_minutes: Option<u32>,
    },
    /// A pool of concurrent tokens; what is bought is the peak.
    Concurrent {
        /// Shared pool name (default: the product is its own pool).
        pool: Option<String>,
        /// Minutes a checkout keeps holding after checkin (default 0).
        linger_minutes: Option<u32>,
    },
    /// Per calendar day, the peak concurrent draw.
    DailyPeak {
        /// Zone of the dates (default: server time zone).
        time_zone: Option<String>,
    },
    /// `rate` × hours used, pro rata.
    Hourly {
        /// Zone of the dates the hours are reported on (default: server).
        time_zone: Option<String>,
    },
}

/// A rate in force from a date on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Rate")]
pub struct Rate {
    /// First date the rate applies.
    pub from: NaiveDate,
    /// Tokens per charge (per hour for `Hourly`, per concurrent seat for pools).
    pub tokens: Decimal,
}

/// A named-user subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Subscription")]
pub struct Subscription {
    /// Display name.
    pub name: String,
    /// Price per seat per year.
    pub annual_price: Decimal,
    /// Product codes it covers.
    pub covers: Vec<String>,
}

/// How a token is priced.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TokenPrice {
    /// One price whatever the quantity.
    Flat(Decimal),
    /// Volume tiers.
    Tiers {
        /// How a tier prices tokens.
        mode: TierMode,
        /// Tiers by ascending `from`.
        tiers: Vec<Tier>,
    },
}

/// How volume tiers price tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TierMode {
    /// The bracket reached prices every token.
    AllUnits,
    /// Each bracket prices its own tokens.
    Incremental,
}

/// A volume tier.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Tier")]
pub struct Tier {
    /// Tokens from which this tier applies.
    pub from: u64,
    /// Price per token.
    pub price: Decimal,
}

/// The contract being planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Contract")]
pub struct Contract {
    /// First day.
    pub start: NaiveDate,
    /// Term in years.
    pub years: u32,
    /// Price of a token beyond the balance.
    pub overage_price: Decimal,
    /// What happens beyond the balance.
    pub overdraft: Overdraft,
    /// Yearly discount rate for net present value.
    pub discount_rate: Decimal,
}

/// What happens when demand exceeds the token balance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Overdraft {
    /// Refused: unserved token-days are counted.
    None,
    /// Billed at the overage price, without limit.
    Unlimited,
    /// Billed at the overage price up to this many tokens over the term.
    Limit(Decimal),
}

/// How history becomes next year's demand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Forecast")]
pub struct Forecast {
    /// Days of history used (the last ones).
    pub history_days: u32,
    /// Yearly growth, e.g. 0.05.
    pub growth_per_year: Decimal,
}
