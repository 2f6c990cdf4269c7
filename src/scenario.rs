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
    /// Limits the optimiser must honour (optional).
    #[serde(default)]
    pub constraints: Constraints,
    /// Pool-sizing settings (optional).
    #[serde(default)]
    pub sizing: Sizing,
}

/// Limits the best-mix optimiser must honour (SPEC §4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Constraints", default)]
pub struct Constraints {
    /// Subscription code → minimum seats.
    pub min_seats: BTreeMap<String, u32>,
    /// Subscription code → maximum seats.
    pub max_seats: BTreeMap<String, u32>,
    /// User → the subscription codes that user must hold (empty: tokens only).
    pub pinned: BTreeMap<String, Vec<String>>,
    /// Keep a user's current plan unless the move saves at least this much a year.
    pub switching_threshold: Decimal,
}

/// Pool-sizing settings (SPEC §5).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Sizing", default)]
pub struct Sizing {
    /// Monte Carlo trials.
    pub trials: u32,
    /// Seed of the simulation.
    pub seed: u64,
    /// Highest acceptable probability of any overage or unserved demand.
    pub risk_limit: Decimal,
    /// Target share of denied checkouts for `Concurrent` pools.
    pub target_denial_rate: Decimal,
    /// Daily consumption that raises an alert in the burn view.
    pub alert_tokens_per_day: Option<Decimal>,
}

impl Default for Sizing {
    fn default() -> Self {
        Sizing {
            trials: 2000,
            seed: 1,
            risk_limit: Decimal::new(5, 2),
            target_denial_rate: Decimal::new(1, 2),
            alert_tokens_per_day: None,
        }
    }
}

impl Scenario {
    /// The server's zone.
    ///
    /// # Errors
    /// When `server_time_zone` is not an IANA zone name.
    pub fn server_tz(&self) -> Result<chrono_tz::Tz, String> {
        parse_tz(&self.server_time_zone)
    }
}

/// Parses an IANA zone name.
///
/// # Errors
/// A message naming the bad zone.
pub fn parse_tz(name: &str) -> Result<chrono_tz::Tz, String> {
    name.parse::<chrono_tz::Tz>()
        .map_err(|_| format!("`{name}` is not an IANA time zone name (e.g. America/New_York)"))
}

impl Product {
    /// The rate in force on `date`: the last rate whose `from` is on or
    /// before it (the first rate when `date` is before all of them, so a
    /// history older than the rate table is still priced).
    pub fn rate_on(&self, date: NaiveDate) -> Decimal {
        let mut rate = self.rates.first().map(|r| r.tokens).unwrap_or_default();
        for r in &self.rates {
            if r.from <= date {
                rate = r.tokens;
            }
        }
        rate
    }
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
