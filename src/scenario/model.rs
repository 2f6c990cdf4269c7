//! The scenario's model: the types a scenario file holds (SPEC §3, §4, §8)
//! and the small queries on them (the rate in force on a date, the server's
//! zone). Reading and writing are in `file`, the checks in `check`, the
//! rule's hand-written serde in `rule_serde`.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The scenario file format version this build writes.
pub const VERSION: u32 = 1;

/// A whole scenario (SPEC §3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Scenario", deny_unknown_fields)]
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
    /// Pool name → how a `Concurrent` pool is priced (SPEC §4; optional).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pools: BTreeMap<String, Pool>,
    /// Price of one token.
    pub token_price: TokenPrice,
    /// The contract being planned.
    pub contract: Contract,
    /// Prices year by year over the term (SPEC §8; absent: year 1's prices
    /// every year).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<Prices>,
    /// How history becomes next year's demand.
    pub forecast: Forecast,
    /// Department → tokens per year (virtual pools).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub budgets: BTreeMap<String, Decimal>,
    /// Limits the optimiser must honour (optional).
    #[serde(default, skip_serializing_if = "Constraints::is_empty")]
    pub constraints: Constraints,
    /// Pool-sizing settings (optional).
    #[serde(default)]
    pub sizing: Sizing,
}

/// Limits the best-mix optimiser must honour (SPEC §4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Constraints", default, deny_unknown_fields)]
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
#[serde(rename = "Sizing", default, deny_unknown_fields)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
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
#[serde(rename = "Product", deny_unknown_fields)]
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
/// optional; `None` means the rule's default. Written `CalendarDay`,
/// `CalendarDay(time_zone: "UTC")`, `Concurrent(pool: "TLSTOK")`...: a bare
/// name means every parameter at its default.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Per calendar day, the pool's peak concurrent draw (Siemens Token-Days).
    DailyPeak {
        /// Zone of the dates (default: server time zone).
        time_zone: Option<String>,
        /// Shared pool name (default: the product is its own pool); products
        /// naming the same pool are billed its daily peak together.
        pool: Option<String>,
    },
    /// `rate` × hours used, pro rata.
    Hourly {
        /// Zone of the dates the hours are reported on (default: server).
        time_zone: Option<String>,
    },
}

/// A rate in force from a date on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Rate", deny_unknown_fields)]
pub struct Rate {
    /// First date the rate applies.
    pub from: NaiveDate,
    /// Tokens per charge (per hour for `Hourly`, per concurrent seat for pools).
    pub tokens: Decimal,
}

/// A named-user subscription.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Subscription", deny_unknown_fields)]
pub struct Subscription {
    /// Display name.
    pub name: String,
    /// Price per seat per year (a new seat).
    pub annual_price: Decimal,
    /// Price per seat per year of a seat renewed from the year before
    /// (SPEC §8; default: `annual_price`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_price: Option<Decimal>,
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
#[serde(rename = "Tier", deny_unknown_fields)]
pub struct Tier {
    /// Tokens from which this tier applies.
    pub from: u64,
    /// Price per token.
    pub price: Decimal,
}

/// The contract being planned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Contract", deny_unknown_fields)]
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
    /// Tokens are bought in multiples of this (SPEC §4, §8; absent: whole
    /// tokens).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pack_size: Option<u32>,
    /// When seats may change during the term (SPEC §8).
    #[serde(default, skip_serializing_if = "SeatChanges::is_any_time")]
    pub seat_changes: SeatChanges,
    /// Seats held before year 1, per subscription code (SPEC §8; absent:
    /// the assignments file's rows).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub current_seats: BTreeMap<String, u32>,
}

/// When a subscription's seat count may change during the term (SPEC §8).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum SeatChanges {
    /// Each year's seats are free.
    #[default]
    AnyTime,
    /// Year 1's seats are free; from year 2 on seats never decrease.
    AddsAtAnniversary,
}

impl SeatChanges {
    /// True for the default (the file then leaves the field out).
    pub fn is_any_time(&self) -> bool {
        *self == SeatChanges::AnyTime
    }
}

/// How a `Concurrent` pool is priced (SPEC §4).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Pool", default, deny_unknown_fields)]
pub struct Pool {
    /// Price of one token of pool size for a year; absent: the pool is
    /// sized, costed at 0 and warned about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_per_token_year: Option<Decimal>,
}

/// Prices year by year over the term (SPEC §8).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Prices", default, deny_unknown_fields)]
pub struct Prices {
    /// What the prices are (e.g. "List prices of 2026-10, before discount").
    #[serde(skip_serializing_if = "String::is_empty")]
    pub basis: String,
    /// Yearly escalation from year 2 on, e.g. 0.07.
    pub escalation: Decimal,
    /// Cap on the yearly escalation (the lower of the two applies).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub escalation_cap: Option<Decimal>,
    /// Prices that replace the escalated ones in a given year.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub years: Vec<YearPrices>,
}

/// What replaces the escalated prices in one contract year (SPEC §8); later
/// years escalate from it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "YearPrices", default, deny_unknown_fields)]
pub struct YearPrices {
    /// Contract year, 1-based.
    pub year: u32,
    /// Subscription code → new-seat price that year.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub subscriptions: BTreeMap<String, Decimal>,
    /// Subscription code → renewal price that year.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub renewal_subscriptions: BTreeMap<String, Decimal>,
    /// The token price that year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_price: Option<TokenPrice>,
    /// The overage price that year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overage_price: Option<Decimal>,
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
    /// Bought as `Pack` lots (SPEC §8): on each day the balance cannot
    /// cover, ceil(shortfall / `contract.pack_size`) packs at that contract
    /// year's token price, instead of overage.
    TopUp,
}

/// How history becomes next year's demand.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Forecast", deny_unknown_fields)]
pub struct Forecast {
    /// Days of history used (the last ones).
    pub history_days: u32,
    /// Yearly growth, e.g. 0.05.
    pub growth_per_year: Decimal,
}

impl Constraints {
    /// True when no constraint is set (the file then leaves the section out).
    pub fn is_empty(&self) -> bool {
        *self == Constraints::default()
    }
}
