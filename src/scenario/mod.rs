//! The scenario: everything a user assumes (catalog, charging rules and
//! rates, prices, contract, forecast), saved and loaded as versioned RON.
//!
//! [`Scenario`] is the file's model. [`Scenario::from_ron`] (and
//! [`Scenario::load`] for a file) parses it with RON's `implicit_some`
//! extension and validates it, so every later stage can trust the values;
//! [`Scenario::to_ron`] writes it back so that a saved file loads identical,
//! and [`Scenario::save`] writes it atomically. [`ScenarioError`] says where
//! each problem is: file, line and column for syntax, a field path such as
//! `products.ACD.rates[0].tokens` for values.
//!
//! [`Rule`] has hand-written serde impls: a bare `CalendarDay` means every
//! parameter at its default, which a derived impl refuses.
//!
//! [`sanity`] lists what is legal but usually a slip (a dearer higher tier,
//! a collection dearer than its singles...): warnings that never block.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub mod sanity;

pub use sanity::SanityWarning;

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

// ---------------------------------------------------------------------------
// Errors

/// Why a scenario could not be loaded, parsed or saved. Every variant says
/// where: the file, the line and column, or the field path.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read or written.
    #[error("could not {action} {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// `read` or `write`.
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The text is not a well-formed scenario (RON syntax, unknown or
    /// missing field, wrong type).
    #[error("{}:{line}:{column}: {message}", source_name(file.as_deref()))]
    Syntax {
        /// The file, when the text came from one.
        file: Option<PathBuf>,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The scenario parses but a value is not allowed.
    #[error("{}{field}: {message}", file_prefix(file.as_deref()))]
    Invalid {
        /// The file, when the text came from one.
        file: Option<PathBuf>,
        /// Path of the field, e.g. `products.ACD.rates[0].tokens`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ScenarioError {
    /// The same error, naming `path` as the file it came from.
    fn in_file(self, path: &Path) -> Self {
        match self {
            ScenarioError::Syntax {
                line,
                column,
                message,
                ..
            } => ScenarioError::Syntax {
                file: Some(path.to_path_buf()),
                line,
                column,
                message,
            },
            ScenarioError::Invalid { field, message, .. } => ScenarioError::Invalid {
                file: Some(path.to_path_buf()),
                field,
                message,
            },
            io @ ScenarioError::Io { .. } => io,
        }
    }

    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ScenarioError::Invalid {
            file: None,
            field: field.into(),
            message: message.into(),
        }
    }

    fn syntax(error: &ron::error::SpannedError) -> Self {
        ScenarioError::Syntax {
            file: None,
            line: error.span.start.line,
            column: error.span.start.col,
            message: error.code.to_string(),
        }
    }
}

fn source_name(file: Option<&Path>) -> String {
    file.map_or_else(|| "<scenario>".to_owned(), |f| f.display().to_string())
}

fn file_prefix(file: Option<&Path>) -> String {
    file.map_or_else(String::new, |f| format!("{}: ", f.display()))
}

// ---------------------------------------------------------------------------
// Reading and writing

/// The RON options of every scenario read: optional fields are written
/// without `Some(..)`.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
}

/// Just the version, read before the whole file so that a file from a newer
/// tokenplan (whose new fields this build does not know) gets a message
/// about the version, not about the first unknown field.
#[derive(Deserialize)]
#[serde(rename = "Scenario")]
struct VersionProbe {
    version: Option<u32>,
}

impl Scenario {
    /// Parses and validates a scenario from RON text.
    ///
    /// # Errors
    /// [`ScenarioError::Syntax`] with line and column when the text is not
    /// a scenario, [`ScenarioError::Invalid`] naming the field when a value is
    /// not allowed (including a version this build does not read).
    pub fn from_ron(text: &str) -> Result<Scenario, ScenarioError> {
        let options = ron_options();
        if let Ok(probe) = options.from_str::<VersionProbe>(text) {
            check_version(probe.version)?;
        }
        let scenario: Scenario = options
            .from_str(text)
            .map_err(|e| ScenarioError::syntax(&e))?;
        scenario.validate()?;
        Ok(scenario)
    }

    /// Reads, parses and validates a scenario file.
    ///
    /// # Errors
    /// As [`Scenario::from_ron`], every error naming the file; and
    /// [`ScenarioError::Io`] when the file cannot be read.
    pub fn load(path: impl AsRef<Path>) -> Result<Scenario, ScenarioError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ScenarioError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        // A BOM left by a Windows editor is not RON.
        let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
        Scenario::from_ron(text).map_err(|e| e.in_file(path))
    }

    /// The scenario as pretty RON, fields in declaration order and maps
    /// sorted, so a saved file diffs cleanly and loads back identical.
    ///
    /// # Errors
    /// The serialiser's error (none is known for these types: names are
    /// fixed identifiers and strings are escaped).
    pub fn to_ron(&self) -> Result<String, ron::Error> {
        let config = ron::ser::PrettyConfig::new()
            .struct_names(true)
            .indentor("    ")
            // Deeper levels (a rate, a tier, a rule's parameters, a list of
            // codes) stay on one line, as in SPEC §3's example.
            .depth_limit(3)
            .extensions(ron::extensions::Extensions::IMPLICIT_SOME);
        let raw = ron::ser::to_string_pretty(self, config)?;
        // ron escapes the variant `None` as `r#None` (it reads both); the
        // pretty printer puts the field on a line of its own, and a string
        // cannot hold a raw line break, so this line is always the field.
        let mut text = String::with_capacity(raw.len() + 1);
        for line in raw.lines() {
            match line.strip_suffix("overdraft: r#None,") {
                Some(indent) if indent.trim().is_empty() => {
                    text.push_str(indent);
                    text.push_str("overdraft: None,");
                }
                _ => text.push_str(line),
            }
            text.push('\n');
        }
        Ok(text)
    }

    /// Writes the scenario to `path` atomically: to a temporary file in the
    /// same directory, flushed and synced, then renamed over `path`, so a
    /// crash leaves either the old file or the new one, never half of one.
    ///
    /// # Errors
    /// [`ScenarioError::Io`] when the file cannot be written; the temporary
    /// file is removed and `path` is left as it was.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ScenarioError> {
        let path = path.as_ref();
        let io_error = |source| ScenarioError::Io {
            path: path.to_path_buf(),
            action: "write",
            source,
        };
        let text = self
            .to_ron()
            .map_err(|e| io_error(std::io::Error::other(e.to_string())))?;
        crate::atomic::write(path, text.as_bytes()).map_err(io_error)
    }
}

fn check_version(version: Option<u32>) -> Result<(), ScenarioError> {
    match version {
        None => Err(ScenarioError::invalid(
            "version",
            format!("missing; a scenario file starts with `version: {VERSION}`"),
        )),
        Some(v) if v > VERSION => Err(ScenarioError::invalid(
            "version",
            format!(
                "{v} was written by a newer tokenplan (this one reads version {VERSION}); \
                 update tokenplan to open it"
            ),
        )),
        Some(0) => Err(ScenarioError::invalid(
            "version",
            format!("0 is not a scenario format version (this one is {VERSION})"),
        )),
        Some(_) => Ok(()),
    }
}

// ---------------------------------------------------------------------------
// Validation

impl Scenario {
    /// Checks every value against the rules of SPEC §3 (the raw file →
    /// checked model step: nothing downstream re-checks these).
    ///
    /// # Errors
    /// The first problem found, as [`ScenarioError::Invalid`] naming the
    /// field path, e.g. `products.ACD.rates[0].tokens: must be > 0, got -6`.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// Every problem of the scenario, in file order (empty when valid), so a
    /// user fixing a file by hand sees them all at once.
    pub fn problems(&self) -> Vec<ScenarioError> {
        let mut c = Checker::default();
        if self.version != VERSION
            && let Err(e) = check_version(Some(self.version))
        {
            c.problems.push(e);
        }
        if self.name.trim().is_empty() {
            c.err("name", "must not be empty");
        }
        if !(self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase())) {
            c.err(
                "currency",
                format!(
                    "{:?} is not an ISO 4217 code (three capital letters, e.g. USD)",
                    self.currency
                ),
            );
        }
        c.time_zone("server_time_zone", &self.server_time_zone);
        for (code, product) in &self.products {
            c.product(&format!("products.{code}"), code, product);
        }
        for (code, sub) in &self.subscriptions {
            let at = format!("subscriptions.{code}");
            c.key(&at, code);
            c.non_negative(&format!("{at}.annual_price"), sub.annual_price);
            if let Some(renewal) = sub.renewal_price {
                c.non_negative(&format!("{at}.renewal_price"), renewal);
            }
            if sub.covers.is_empty() {
                c.err(format!("{at}.covers"), "must name at least one product");
            }
            for (i, product) in sub.covers.iter().enumerate() {
                if !self.products.contains_key(product) {
                    c.err(
                        format!("{at}.covers[{i}]"),
                        format!(
                            "{product:?} is not a product of this scenario ({})",
                            names(self.products.keys())
                        ),
                    );
                } else if sub.covers[..i].contains(product) {
                    c.err(
                        format!("{at}.covers[{i}]"),
                        format!("{product:?} is listed twice"),
                    );
                }
            }
        }
        c.pools(self);
        c.daily_peak_pools(self);
        c.token_price("token_price", &self.token_price);
        c.contract(&self.contract, &self.subscriptions);
        if let Some(prices) = &self.prices {
            c.prices(prices, &self.contract, &self.subscriptions);
        }
        if self.forecast.history_days < 1 {
            c.err("forecast.history_days", "must be >= 1, got 0");
        }
        if self.forecast.growth_per_year <= -Decimal::ONE {
            c.err(
                "forecast.growth_per_year",
                format!(
                    "must be > -1 (-100 %), got {}",
                    self.forecast.growth_per_year
                ),
            );
        }
        for (dept, tokens) in &self.budgets {
            c.key(&format!("budgets.{dept}"), dept);
            c.non_negative(&format!("budgets.{dept}"), *tokens);
        }
        c.constraints(&self.constraints, &self.subscriptions);
        c.sizing(&self.sizing);
        c.problems
    }
}

/// Collects problems with their field paths.
#[derive(Default)]
struct Checker {
    problems: Vec<ScenarioError>,
}

fn names<'a>(known: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<&str> = known.map(String::as_str).collect();
    if list.is_empty() {
        "there are none".to_owned()
    } else {
        format!("known: {}", list.join(", "))
    }
}

impl Checker {
    fn err(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(ScenarioError::invalid(field, message));
    }

    fn key(&mut self, at: &str, key: &str) {
        if key.trim().is_empty() {
            self.err(at, "the name must not be empty");
        }
    }

    fn time_zone(&mut self, at: &str, zone: &str) {
        if zone.parse::<chrono_tz::Tz>().is_err() {
            self.err(
                at,
                format!("{zone:?} is not an IANA time zone name (e.g. America/New_York, Europe/London, UTC)"),
            );
        }
    }

    fn non_negative(&mut self, at: &str, value: Decimal) {
        if value.is_sign_negative() && !value.is_zero() {
            self.err(at, format!("must not be negative, got {value}"));
        }
    }

    fn positive(&mut self, at: &str, value: Decimal) {
        if value <= Decimal::ZERO {
            self.err(at, format!("must be > 0, got {value}"));
        }
    }

    fn share(&mut self, at: &str, value: Decimal) {
        if value < Decimal::ZERO || value > Decimal::ONE {
            self.err(at, format!("must be between 0 and 1, got {value}"));
        }
    }

    fn product(&mut self, at: &str, code: &str, product: &Product) {
        self.key(at, code);
        match &product.rule {
            Rule::CalendarDay { time_zone, .. }
            | Rule::DailyPeak {
                time_zone,
                pool: None,
            }
            | Rule::Hourly { time_zone } => {
                if let Some(zone) = time_zone {
                    self.time_zone(&format!("{at}.rule.time_zone"), zone);
                }
            }
            Rule::DailyPeak {
                time_zone,
                pool: Some(pool),
            } => {
                if let Some(zone) = time_zone {
                    self.time_zone(&format!("{at}.rule.time_zone"), zone);
                }
                if pool.trim().is_empty() {
                    self.err(
                        format!("{at}.rule.pool"),
                        "must not be empty (leave it out for a pool of its own)",
                    );
                }
            }
            Rule::Concurrent {
                pool: Some(pool), ..
            } if pool.trim().is_empty() => {
                self.err(
                    format!("{at}.rule.pool"),
                    "must not be empty (leave it out for a pool of its own)",
                );
            }
            Rule::Concurrent { .. } | Rule::Rolling24h { .. } => {}
        }
        if product.rates.is_empty() {
            self.err(
                format!("{at}.rates"),
                "must hold at least one rate, e.g. [Rate(from: \"2020-01-01\", tokens: \"6\")]",
            );
        }
        for (i, rate) in product.rates.iter().enumerate() {
            self.positive(&format!("{at}.rates[{i}].tokens"), rate.tokens);
            if let Some(prev) = i.checked_sub(1).and_then(|p| product.rates.get(p))
                && rate.from <= prev.from
            {
                self.err(
                    format!("{at}.rates[{i}].from"),
                    format!(
                        "rates must be in ascending date order: {} is not after {} (rates[{}])",
                        rate.from,
                        prev.from,
                        i - 1
                    ),
                );
            }
        }
        for (i, pattern) in product.features.iter().enumerate() {
            if pattern.trim().is_empty() {
                self.err(
                    format!("{at}.features[{i}]"),
                    "an empty pattern matches nothing",
                );
            }
        }
    }

    fn token_price(&mut self, at: &str, price: &TokenPrice) {
        match price {
            TokenPrice::Flat(p) => self.non_negative(at, *p),
            TokenPrice::Tiers { tiers, .. } => {
                if tiers.is_empty() {
                    self.err(format!("{at}.tiers"), "must hold at least one tier, from 0");
                }
                if let Some(first) = tiers.first()
                    && first.from != 0
                {
                    self.err(
                        format!("{at}.tiers[0].from"),
                        format!("the first tier must start at 0, got {}", first.from),
                    );
                }
                for (i, tier) in tiers.iter().enumerate() {
                    self.non_negative(&format!("{at}.tiers[{i}].price"), tier.price);
                    if let Some(prev) = i.checked_sub(1).and_then(|p| tiers.get(p))
                        && tier.from <= prev.from
                    {
                        self.err(
                            format!("{at}.tiers[{i}].from"),
                            format!(
                                "tiers must ascend by `from`: {} is not above {} (tiers[{}])",
                                tier.from,
                                prev.from,
                                i - 1
                            ),
                        );
                    }
                }
            }
        }
    }

    fn contract(&mut self, contract: &Contract, subs: &BTreeMap<String, Subscription>) {
        if contract.years < 1 {
            self.err("contract.years", "must be >= 1, got 0");
        }
        if contract.pack_size == Some(0) {
            self.err("contract.pack_size", "must be >= 1, got 0");
        }
        for code in contract.current_seats.keys() {
            if !subs.contains_key(code) {
                self.err(
                    format!("contract.current_seats.{code}"),
                    format!(
                        "{code:?} is not a subscription of this scenario ({})",
                        names(subs.keys())
                    ),
                );
            }
        }
        self.non_negative("contract.overage_price", contract.overage_price);
        if let Overdraft::Limit(tokens) = contract.overdraft {
            self.non_negative("contract.overdraft", tokens);
        }
        let rate = contract.discount_rate;
        if rate < Decimal::ZERO || rate >= Decimal::ONE {
            self.err(
                "contract.discount_rate",
                format!("must be at least 0 and below 1 (e.g. 0.08 for 8 %), got {rate}"),
            );
        }
    }

    /// Every priced pool must be a pool some `Concurrent` product draws from.
    fn pools(&mut self, scenario: &Scenario) {
        let drawn: Vec<&str> = scenario
            .products
            .iter()
            .filter_map(|(code, p)| match &p.rule {
                Rule::Concurrent { pool, .. } => Some(pool.as_deref().unwrap_or(code)),
                _ => None,
            })
            .collect();
        for (name, pool) in &scenario.pools {
            let at = format!("pools.{name}");
            self.key(&at, name);
            if !drawn.contains(&name.as_str()) {
                let known = if drawn.is_empty() {
                    "there are none".to_owned()
                } else {
                    format!("known: {}", drawn.join(", "))
                };
                self.err(
                    at.clone(),
                    format!("no Concurrent product draws from a pool named {name:?} ({known})"),
                );
            }
            if let Some(price) = pool.price_per_token_year {
                self.non_negative(&format!("{at}.price_per_token_year"), price);
            }
        }
    }

    /// Products sharing a `DailyPeak` pool share its dates: one zone.
    fn daily_peak_pools(&mut self, scenario: &Scenario) {
        let mut zones: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        for (code, p) in &scenario.products {
            let Rule::DailyPeak { time_zone, pool } = &p.rule else {
                continue;
            };
            let name = pool.as_deref().unwrap_or(code);
            let zone = time_zone.as_deref().unwrap_or(&scenario.server_time_zone);
            match zones.get(name) {
                None => {
                    zones.insert(name, (code, zone));
                }
                Some(&(first, first_zone)) if first_zone != zone => self.err(
                    format!("products.{code}.rule.time_zone"),
                    format!(
                        "{zone:?} differs from {first_zone:?} of {first}, which shares the DailyPeak pool {name:?}; \
                         a pool's days are counted in one zone"
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    fn prices(
        &mut self,
        prices: &Prices,
        contract: &Contract,
        subs: &BTreeMap<String, Subscription>,
    ) {
        if prices.escalation <= -Decimal::ONE {
            self.err(
                "prices.escalation",
                format!("must be > -1 (-100 %), got {}", prices.escalation),
            );
        }
        if let Some(cap) = prices.escalation_cap {
            self.non_negative("prices.escalation_cap", cap);
        }
        for (i, y) in prices.years.iter().enumerate() {
            let at = format!("prices.years[{i}]");
            if y.year < 1 || y.year > contract.years {
                self.err(
                    format!("{at}.year"),
                    format!(
                        "must be a contract year, 1 to {}, got {}",
                        contract.years, y.year
                    ),
                );
            } else if prices.years[..i].iter().any(|p| p.year == y.year) {
                self.err(
                    format!("{at}.year"),
                    format!("year {} is listed twice", y.year),
                );
            }
            for (field, map) in [
                ("subscriptions", &y.subscriptions),
                ("renewal_subscriptions", &y.renewal_subscriptions),
            ] {
                for (code, price) in map {
                    let path = format!("{at}.{field}.{code}");
                    if subs.contains_key(code) {
                        self.non_negative(&path, *price);
                    } else {
                        self.err(
                            path,
                            format!(
                                "{code:?} is not a subscription of this scenario ({})",
                                names(subs.keys())
                            ),
                        );
                    }
                }
            }
            if let Some(tp) = &y.token_price {
                self.token_price(&format!("{at}.token_price"), tp);
            }
            if let Some(overage) = y.overage_price {
                self.non_negative(&format!("{at}.overage_price"), overage);
            }
        }
    }

    fn constraints(&mut self, constraints: &Constraints, subs: &BTreeMap<String, Subscription>) {
        let known = |c: &mut Self, at: String, code: &str| {
            if !subs.contains_key(code) {
                c.err(
                    at,
                    format!(
                        "{code:?} is not a subscription of this scenario ({})",
                        names(subs.keys())
                    ),
                );
            }
        };
        for code in constraints.min_seats.keys() {
            known(self, format!("constraints.min_seats.{code}"), code);
        }
        for (code, max) in &constraints.max_seats {
            known(self, format!("constraints.max_seats.{code}"), code);
            if let Some(min) = constraints.min_seats.get(code)
                && min > max
            {
                self.err(
                    format!("constraints.min_seats.{code}"),
                    format!("minimum {min} is above the maximum {max}"),
                );
            }
        }
        for (user, plan) in &constraints.pinned {
            self.key(&format!("constraints.pinned.{user}"), user);
            for (i, code) in plan.iter().enumerate() {
                known(self, format!("constraints.pinned.{user}[{i}]"), code);
            }
        }
        self.non_negative(
            "constraints.switching_threshold",
            constraints.switching_threshold,
        );
    }

    fn sizing(&mut self, sizing: &Sizing) {
        if sizing.trials < 1 {
            self.err("sizing.trials", "must be >= 1, got 0");
        }
        self.share("sizing.risk_limit", sizing.risk_limit);
        self.share("sizing.target_denial_rate", sizing.target_denial_rate);
        if let Some(alert) = sizing.alert_tokens_per_day {
            self.non_negative("sizing.alert_tokens_per_day", alert);
        }
    }
}

// ---------------------------------------------------------------------------
// Rule syntax
//
// A derived `Deserialize` reads `CalendarDay` (no parentheses) as a unit
// variant and rejects it for a variant with fields. So the rule goes through
// serde's buffered content, which ron hands over as the bare name (a string)
// or as a one-entry map, name → parameters; each rule's parameters are then
// read by a derived struct that refuses parameters the rule does not take.

/// The rule names, in declaration order (the serde variant indices).
pub const RULE_NAMES: [&str; 5] = [
    "CalendarDay",
    "Rolling24h",
    "Concurrent",
    "DailyPeak",
    "Hourly",
];

impl Rule {
    /// The rule's name as written in a scenario file.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::CalendarDay { .. } => "CalendarDay",
            Rule::Rolling24h { .. } => "Rolling24h",
            Rule::Concurrent { .. } => "Concurrent",
            Rule::DailyPeak { .. } => "DailyPeak",
            Rule::Hourly { .. } => "Hourly",
        }
    }

    /// The rule `name` with every parameter at its default.
    ///
    /// # Errors
    /// A message naming the unknown rule and listing the valid ones.
    pub fn bare(name: &str) -> Result<Rule, String> {
        Ok(match name {
            "CalendarDay" => Rule::CalendarDay {
                time_zone: None,
                grace_minutes: None,
            },
            "Rolling24h" => Rule::Rolling24h {
                grace_minutes: None,
            },
            "Concurrent" => Rule::Concurrent {
                pool: None,
                linger_minutes: None,
            },
            "DailyPeak" => Rule::DailyPeak {
                time_zone: None,
                pool: None,
            },
            "Hourly" => Rule::Hourly { time_zone: None },
            _ => return Err(unknown_rule(name)),
        })
    }
}

fn unknown_rule(name: &str) -> String {
    format!(
        "unknown rule `{name}`; the rules are {}",
        RULE_NAMES.join(", ")
    )
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStructVariant as _;
        // (key, text parameter, number parameter): only the set ones are
        // written, and none at all gives the bare name.
        let params: [(&'static str, Option<&str>, Option<u32>); 2] = match self {
            Rule::CalendarDay {
                time_zone,
                grace_minutes,
            } => [
                ("time_zone", time_zone.as_deref(), None),
                ("grace_minutes", None, *grace_minutes),
            ],
            Rule::Rolling24h { grace_minutes } => {
                [("grace_minutes", None, *grace_minutes), ("", None, None)]
            }
            Rule::Concurrent {
                pool,
                linger_minutes,
            } => [
                ("pool", pool.as_deref(), None),
                ("linger_minutes", None, *linger_minutes),
            ],
            Rule::DailyPeak { time_zone, pool } => [
                ("time_zone", time_zone.as_deref(), None),
                ("pool", pool.as_deref(), None),
            ],
            Rule::Hourly { time_zone } => {
                [("time_zone", time_zone.as_deref(), None), ("", None, None)]
            }
        };
        let name = self.name();
        let index = RULE_NAMES
            .iter()
            .position(|n| *n == name)
            .unwrap_or_default() as u32;
        let set = params
            .iter()
            .filter(|(_, t, n)| t.is_some() || n.is_some())
            .count();
        if set == 0 {
            return serializer.serialize_unit_variant("Rule", index, name);
        }
        let mut variant = serializer.serialize_struct_variant("Rule", index, name, set)?;
        for (key, text, number) in params {
            if let Some(text) = text {
                variant.serialize_field(key, &Some(text))?;
            } else if let Some(number) = number {
                variant.serialize_field(key, &Some(number))?;
            }
        }
        variant.end()
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `untagged` is what makes serde buffer the value as content.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Buffered {
            Rule(RuleSyntax),
        }
        let Buffered::Rule(RuleSyntax(parsed)) = Buffered::deserialize(deserializer)?;
        parsed.map_err(serde::de::Error::custom)
    }
}

/// A rule as read, or why not. The error is carried as a value because an
/// error inside an untagged enum would be replaced by serde's generic
/// "data did not match any variant".
struct RuleSyntax(Result<Rule, String>);

impl<'de> Deserialize<'de> for RuleSyntax {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RuleVisitor).map(RuleSyntax)
    }
}

struct RuleVisitor;

impl RuleVisitor {
    fn expected(found: &str) -> Result<Rule, String> {
        Err(format!(
            "expected a charging rule ({}, optionally with parameters in parentheses), found {found}",
            RULE_NAMES.join(", ")
        ))
    }
}

impl<'de> serde::de::Visitor<'de> for RuleVisitor {
    type Value = Result<Rule, String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a charging rule ({})", RULE_NAMES.join(", "))
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Rule::bare(name))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(name) = map.next_key::<String>()? else {
            return Ok(Self::expected("an empty map"));
        };
        let params = match name.as_str() {
            "CalendarDay" => {
                map.next_value()
                    .map(|Params::<CalendarDayParams>(p)| Rule::CalendarDay {
                        time_zone: p.time_zone,
                        grace_minutes: p.grace_minutes,
                    })
            }
            "Rolling24h" => {
                map.next_value()
                    .map(|Params::<Rolling24hParams>(p)| Rule::Rolling24h {
                        grace_minutes: p.grace_minutes,
                    })
            }
            "Concurrent" => {
                map.next_value()
                    .map(|Params::<ConcurrentParams>(p)| Rule::Concurrent {
                        pool: p.pool,
                        linger_minutes: p.linger_minutes,
                    })
            }
            "DailyPeak" => map
                .next_value()
                .map(|Params::<DailyPeakParams>(p)| Rule::DailyPeak {
                    time_zone: p.time_zone,
                    pool: p.pool,
                }),
            "Hourly" => map
                .next_value()
                .map(|Params::<ZoneParams>(p)| Rule::Hourly {
                    time_zone: p.time_zone,
                }),
            _ => return Ok(Err(unknown_rule(&name))),
        };
        Ok(params.map_err(|e| format!("rule {name}: {e}")))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::expected("()"))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::expected("None"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _seq: A) -> Result<Self::Value, A::Error> {
        Ok(Self::expected("a list or unnamed tuple"))
    }
}

/// A rule's parameters: `(name: value, ...)`, or `()` for all defaults.
struct Params<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Params<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamsVisitor(std::marker::PhantomData))
    }
}

struct ParamsVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de> + Default> serde::de::Visitor<'de> for ParamsVisitor<T> {
    type Value = Params<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("parameters in parentheses, e.g. CalendarDay(time_zone: \"UTC\")")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Params(T::default()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Params)
    }
}

#[derive(Default, Deserialize)]
#[serde(rename = "CalendarDay", deny_unknown_fields)]
struct CalendarDayParams {
    time_zone: Option<String>,
    grace_minutes: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(rename = "Rolling24h", deny_unknown_fields)]
struct Rolling24hParams {
    grace_minutes: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(rename = "Concurrent", deny_unknown_fields)]
struct ConcurrentParams {
    pool: Option<String>,
    linger_minutes: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(rename = "DailyPeak", deny_unknown_fields)]
struct DailyPeakParams {
    time_zone: Option<String>,
    pool: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneParams {
    time_zone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(check_version(Some(VERSION)).is_ok());
        let newer = check_version(Some(VERSION + 1)).unwrap_err().to_string();
        assert!(newer.contains("written by a newer tokenplan"), "{newer}");
        assert!(check_version(None).is_err());
        assert!(check_version(Some(0)).is_err());
    }

    #[test]
    fn rule_names_round_trip() {
        for name in RULE_NAMES {
            assert_eq!(Rule::bare(name).unwrap().name(), name);
        }
        assert_eq!(
            Rule::bare("Daily").unwrap_err(),
            "unknown rule `Daily`; the rules are CalendarDay, Rolling24h, Concurrent, DailyPeak, Hourly"
        );
    }
}
