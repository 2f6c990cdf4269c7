//! Metering: sessions → charges under the vendors' charging rules (SPEC §2).
//!
//! [`meter`] maps every session's feature to a product through the
//! scenario's catalog ([`Catalog`]), then applies each product's
//! [`Rule`](crate::scenario::Rule): one file per rule. The result,
//! [`Metered`], holds charges per (user, product, local date), and per pool
//! ([`PoolUsage`]) for the pool rules.
//!
//! - [`calendar_day`]: one pass over all sessions in parallel; it also routes
//!   the sessions of the other rules' products to them.
//! - [`rolling24h`], [`concurrent`], [`daily_peak`], [`hourly`]: the other
//!   rules, each on its own products' sessions.
//! - [`stream`]: the same pass fed block by block while a session CSV is
//!   read, no session stored ([`StreamMeter`]); the rest as above.
//!
//! What a [`DayCharge`] holds under each rule:
//! - `CalendarDay`: `charges` = 1 (the date was used), `tokens` = the rate on that date.
//! - `Rolling24h`: `charges` = 24-hour charges that opened on that date,
//!   `tokens` = charges × the rate on that date.
//! - `Concurrent` and `DailyPeak`: `charges` = 1 (the user held the product
//!   that date), `tokens` = that user's own peak draw that date. The pool's
//!   own peaks, what is actually bought, are in [`Metered::pools`]; the
//!   per-user rows attribute use and add up to more than the pool peak when
//!   users' peaks don't coincide. Totals ([`Metered::by_product`],
//!   [`Metered::by_day`], [`Metered::total`] and the [`MeterSummary`]) count
//!   a `DailyPeak` pool's daily peaks instead, split among its products by
//!   [`PeakBill`]; per-user totals ([`Metered::by_user`]) stay attribution.
//! - `Hourly`: `charges` = 1 (the date was used), `tokens` = rate × hours of
//!   use that date (the union of the user's sessions, so overlaps count
//!   once), see [`hourly`] for the rounding.

pub mod calendar_day;
pub mod catalog;
pub mod concurrent;
pub mod daily_peak;
pub mod denials;
pub mod hourly;
pub mod rates;
pub mod rolling24h;
pub mod stream;
pub mod use_days;

use std::collections::BTreeMap;

use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::progress::Progress;
use crate::scenario::{Product, Rule, Scenario, parse_tz};
use crate::time::{date_of_day, day_of_date};
use crate::usage::{Session, Usage, UserId};

pub use catalog::{Ambiguity, Catalog};
pub use concurrent::{PoolReplay, PoolSession, PoolTimeline, replay_pool};
pub use daily_peak::{PeakBill, PeakDay, shares};
pub use denials::PoolDenial;
pub use rates::{Rates, daily_tokens_at, daily_tokens_within};
pub use stream::StreamMeter;
pub use use_days::UseDayMeter;

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
    /// How each product was metered, indexed by [`ProductIdx`].
    pub rules: Vec<ProductRule>,
    /// `Concurrent` and `DailyPeak` pools, sorted by rule then name.
    pub pools: Vec<PoolUsage>,
    /// Features several products match, with the product chosen.
    pub ambiguities: Vec<Ambiguity>,
    /// Per pool of [`Metered::pools`] (same order), per session of its
    /// `sessions` (same order): true when the draw is the product's rate on
    /// the checkout date, false when the source gave the count. A forecast
    /// re-prices exactly the rate's draws ([`Metered::pool_at_rates`]).
    /// Empty (a history built by hand): every draw is taken as given.
    pub rate_drawn: Vec<Vec<bool>>,
    /// What became of the usage reports' use-days ([`use_days`]).
    pub use_days: UseDayMeter,
    /// Logged denials of `Concurrent` products, sorted ([`denials`]): the
    /// demand pool sizing adds back (SPEC §5).
    pub denials: Vec<PoolDenial>,
}

/// Why metering stopped.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum MeterError {
    /// A zone name in the scenario is not an IANA zone.
    #[error("{field}: {message}")]
    BadZone {
        /// Where the name was: `server_time_zone` or `products.CODE.rule.time_zone`.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A pool product's rate is not a whole number of tokens.
    #[error(
        "products.{product}: rate {rate} (from {from}) is not a whole number; \
         a {rule} pool draws whole tokens per checkout"
    )]
    FractionalPoolRate {
        /// Product code.
        product: String,
        /// The rate.
        rate: Decimal,
        /// Its effective date.
        from: chrono::NaiveDate,
        /// `Concurrent` or `DailyPeak`.
        rule: RuleKind,
    },
    /// The caller cancelled.
    #[error("metering cancelled")]
    Cancelled,
}

/// The charging rules, without their parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RuleKind {
    /// `rate` per distinct (user, product, local date).
    CalendarDay,
    /// A charge covers 24 h from the first use.
    Rolling24h,
    /// A pool of concurrent tokens.
    Concurrent,
    /// Per calendar day, the pool's peak concurrent draw.
    DailyPeak,
    /// `rate` × hours used.
    Hourly,
}

impl RuleKind {
    /// The rule's name as the scenario writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleKind::CalendarDay => "CalendarDay",
            RuleKind::Rolling24h => "Rolling24h",
            RuleKind::Concurrent => "Concurrent",
            RuleKind::DailyPeak => "DailyPeak",
            RuleKind::Hourly => "Hourly",
        }
    }
}

impl std::fmt::Display for RuleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A product's rule with every default filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductRule {
    /// Which rule.
    pub kind: RuleKind,
    /// IANA zone of its dates.
    pub time_zone: String,
    /// Sessions shorter than this many seconds are free.
    pub grace_secs: u32,
    /// Seconds a checkout keeps holding after checkin (pools).
    pub linger_secs: u32,
    /// Pool name (`Concurrent`, `DailyPeak`): the product code unless shared.
    pub pool: Option<String>,
}

impl ProductRule {
    /// The defaults of SPEC §2 applied to `rule` of product `code`.
    fn resolve(code: &str, rule: &Rule, server_zone: &str) -> ProductRule {
        let zone = |z: &Option<String>| z.clone().unwrap_or_else(|| server_zone.to_string());
        let mins = |m: &Option<u32>, default: u32| m.unwrap_or(default).saturating_mul(60);
        match rule {
            Rule::CalendarDay {
                time_zone,
                grace_minutes,
            } => ProductRule {
                kind: RuleKind::CalendarDay,
                time_zone: zone(time_zone),
                grace_secs: mins(grace_minutes, 0),
                linger_secs: 0,
                pool: None,
            },
            Rule::Rolling24h { grace_minutes } => ProductRule {
                kind: RuleKind::Rolling24h,
                time_zone: server_zone.to_string(),
                grace_secs: mins(grace_minutes, 5),
                linger_secs: 0,
                pool: None,
            },
            Rule::Concurrent {
                pool,
                linger_minutes,
            } => ProductRule {
                kind: RuleKind::Concurrent,
                time_zone: server_zone.to_string(),
                grace_secs: 0,
                linger_secs: mins(linger_minutes, 0),
                pool: Some(pool.clone().unwrap_or_else(|| code.to_string())),
            },
            Rule::DailyPeak { time_zone, pool } => ProductRule {
                kind: RuleKind::DailyPeak,
                time_zone: zone(time_zone),
                grace_secs: 0,
                linger_secs: 0,
                pool: Some(pool.clone().unwrap_or_else(|| code.to_string())),
            },
            Rule::Hourly { time_zone } => ProductRule {
                kind: RuleKind::Hourly,
                time_zone: zone(time_zone),
                grace_secs: 0,
                linger_secs: 0,
                pool: None,
            },
        }
    }
}

/// One `Concurrent` or `DailyPeak` pool: what is bought is its peak.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    /// Pool name (the product code unless products share a named pool).
    pub name: String,
    /// `Concurrent` or `DailyPeak`.
    pub rule: RuleKind,
    /// Products drawing from it, in code order.
    pub products: Vec<ProductIdx>,
    /// IANA zone of `daily_peaks`' dates.
    pub time_zone: String,
    /// Highest concurrent draw over the whole history (no pool limit).
    pub peak: u32,
    /// First instant the peak was reached (seconds since the epoch).
    pub peak_at: Option<i64>,
    /// Peak draw per local date (days since 1970-01-01), dates with a
    /// non-zero draw only, ascending.
    pub daily_peaks: Vec<(i32, u32)>,
    /// The pool's checkouts, ready for [`PoolTimeline::new`] (pool sizing
    /// replays them at other sizes), sorted.
    pub sessions: Vec<PoolSession>,
}

impl PoolUsage {
    /// Tokens of the `DailyPeak` bill: the sum of the daily peaks.
    pub fn peak_days_total(&self) -> u64 {
        self.daily_peaks.iter().map(|&(_, p)| u64::from(p)).sum()
    }
}

/// Charges and tokens added up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Total {
    /// Number of charges.
    pub charges: u64,
    /// Tokens.
    pub tokens: Decimal,
}

impl Total {
    fn add(&mut self, charges: u64, tokens: Decimal) {
        self.charges += charges;
        self.tokens += tokens;
    }
}

impl Metered {
    /// Totals per user, in the order of [`Metered::pairs`] (user display name).
    pub fn by_user(&self) -> Vec<(UserId, Total)> {
        let mut out: Vec<(UserId, Total)> = Vec::new();
        for p in &self.pairs {
            match out.last_mut() {
                Some((u, t)) if *u == p.user => t.add(p.charges(), p.tokens()),
                _ => {
                    let mut t = Total::default();
                    t.add(p.charges(), p.tokens());
                    out.push((p.user, t));
                }
            }
        }
        out
    }

    /// Totals per product with at least one charge, in product order. A
    /// `DailyPeak` product's tokens are its share of its pool's daily peaks
    /// ([`PeakBill`]); its charges are the days its users held it.
    pub fn by_product(&self) -> Vec<(ProductIdx, Total)> {
        self.by_product_with(&self.peak_bills())
    }

    fn by_product_with(&self, bills: &[PeakBill]) -> Vec<(ProductIdx, Total)> {
        let peak = self.peak_products();
        let mut totals: BTreeMap<ProductIdx, Total> = BTreeMap::new();
        for p in &self.pairs {
            let tokens = if is_set(&peak, p.product) {
                Decimal::ZERO
            } else {
                p.tokens()
            };
            totals
                .entry(p.product)
                .or_default()
                .add(p.charges(), tokens);
        }
        for bill in bills {
            for (product, tokens) in bill.product_tokens() {
                if let Some(t) = totals.get_mut(&product) {
                    t.add(0, tokens);
                }
            }
        }
        totals.into_iter().collect()
    }

    /// Totals per local date (days since 1970-01-01, each product's dates in
    /// its rule's zone): every pair's charges, and the tokens of every pair
    /// except those of `DailyPeak` pools, which count their pool's peak.
    pub fn by_day(&self) -> BTreeMap<i32, Total> {
        self.by_day_with(&self.peak_bills())
    }

    fn by_day_with(&self, bills: &[PeakBill]) -> BTreeMap<i32, Total> {
        let peak = self.peak_products();
        let mut totals: BTreeMap<i32, Total> = BTreeMap::new();
        for p in &self.pairs {
            let pooled = is_set(&peak, p.product);
            for d in &p.days {
                let tokens = if pooled { Decimal::ZERO } else { d.tokens };
                totals
                    .entry(d.day)
                    .or_default()
                    .add(u64::from(d.charges), tokens);
            }
        }
        for bill in bills {
            for d in &bill.days {
                totals.entry(d.day).or_default().add(0, d.tokens);
            }
        }
        totals
    }

    /// Everything added up: every pair's charges; tokens as
    /// [`Metered::by_day`] counts them.
    pub fn total(&self) -> Total {
        let peak = self.peak_products();
        let mut t = Total::default();
        for p in &self.pairs {
            let tokens = if is_set(&peak, p.product) {
                Decimal::ZERO
            } else {
                p.tokens()
            };
            t.add(p.charges(), tokens);
        }
        for bill in self.peak_bills() {
            t.add(0, bill.tokens());
        }
        t
    }

    /// Per product index, true when the product is billed through a
    /// `DailyPeak` pool of [`Metered::pools`]: its pairs' tokens are
    /// attribution only.
    pub fn peak_products(&self) -> Vec<bool> {
        let mut out = vec![false; self.products.len()];
        for pool in self.pools.iter().filter(|p| p.rule == RuleKind::DailyPeak) {
            for &p in &pool.products {
                if let Some(slot) = out.get_mut(usize::from(p)) {
                    *slot = true;
                }
            }
        }
        out
    }

    /// The bill of every `DailyPeak` pool, in [`Metered::pools`] order.
    pub fn peak_bills(&self) -> Vec<PeakBill> {
        self.pools
            .iter()
            .filter(|p| p.rule == RuleKind::DailyPeak)
            .map(PeakBill::of)
            .collect()
    }

    /// Pool `index` of [`Metered::pools`] replayed with every draw that came
    /// from its product's rate ([`Metered::rate_drawn`]) at `rate(product)`
    /// instead (`None`, or a rate that is not a whole number: kept): peak,
    /// its instant and the daily peaks recomputed. `None` for an index out
    /// of range. This is how a pool is priced at a forecast date's rate.
    pub fn pool_at_rates(
        &self,
        index: usize,
        rate: impl Fn(ProductIdx) -> Option<Decimal>,
    ) -> Option<PoolUsage> {
        let pool = self.pools.get(index)?;
        let drawn = self
            .rate_drawn
            .get(index)
            .filter(|d| d.len() == pool.sessions.len());
        let mut sessions = pool.sessions.clone();
        if let Some(drawn) = drawn {
            for (s, &by_rate) in sessions.iter_mut().zip(drawn) {
                if by_rate && let Some(draw) = rate(s.product).and_then(concurrent::whole_draw) {
                    s.draw = draw;
                }
            }
        }
        sessions.sort_unstable();
        let timeline = PoolTimeline::new(&sessions);
        let replay = timeline.replay(None);
        let mut mapper =
            crate::time::DayMapper::new(parse_tz(&pool.time_zone).unwrap_or(chrono_tz::UTC));
        Some(PoolUsage {
            name: pool.name.clone(),
            rule: pool.rule,
            products: pool.products.clone(),
            time_zone: pool.time_zone.clone(),
            peak: replay.peak,
            peak_at: replay.peak_at,
            daily_peaks: timeline.daily_peaks(&mut mapper),
            sessions,
        })
    }

    /// The product code of `idx` (empty when out of range).
    pub fn product_code(&self, idx: ProductIdx) -> &str {
        self.products.get(usize::from(idx)).map_or("", |s| s)
    }

    /// The charges added up per (user, product) and per date.
    pub fn summary(&self) -> MeterSummary {
        let bills = self.peak_bills();
        MeterSummary {
            products: self.products.clone(),
            pairs: self
                .pairs
                .iter()
                .map(|p| PairTotal {
                    user: p.user,
                    product: p.product,
                    total: Total {
                        charges: p.charges(),
                        tokens: p.tokens(),
                    },
                })
                .collect(),
            by_day: self.by_day_with(&bills),
            unmapped: self.unmapped.clone(),
            free_sessions: self.free_sessions,
            ambiguities: self.ambiguities.clone(),
            daily_peak: bills
                .iter()
                .map(|b| PeakTotal {
                    pool: b.pool.clone(),
                    products: b.product_tokens(),
                    tokens: b.tokens(),
                })
                .collect(),
            use_days: self.use_days.clone(),
        }
    }
}

/// True when `flags[product]` is set.
fn is_set(flags: &[bool], product: ProductIdx) -> bool {
    flags.get(usize::from(product)).copied().unwrap_or(false)
}

/// A `DailyPeak` pool's bill added up ([`MeterSummary::daily_peak`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PeakTotal {
    /// Pool name.
    pub pool: String,
    /// Each product's share of the pool's daily peaks, in code order; they
    /// add up to `tokens`.
    pub products: Vec<(ProductIdx, Decimal)>,
    /// The pool's daily peaks added up: what it was billed.
    pub tokens: Decimal,
}

/// A product's rate table as a lookup by day number, equal to
/// [`Product::rate_on`] on every date.
#[derive(Clone, Debug)]
pub(crate) struct RateTable {
    /// Days on which the rate may change, ascending.
    breaks: Vec<i32>,
    /// `values[i]`: the rate before `breaks[i]` (and after `breaks[i-1]`);
    /// the last: from the last break on.
    values: Vec<Decimal>,
}

impl RateTable {
    /// True when the same rate is in force on every day from `lo` to `hi`
    /// (inclusive).
    pub(crate) fn constant_over(&self, lo: i32, hi: i32) -> bool {
        self.breaks.partition_point(|&b| b <= lo) == self.breaks.partition_point(|&b| b <= hi)
    }

    pub(crate) fn new(product: &Product) -> RateTable {
        let mut breaks: Vec<i32> = product.rates.iter().map(|r| day_of_date(r.from)).collect();
        breaks.sort_unstable();
        breaks.dedup();
        let mut values = Vec::with_capacity(breaks.len() + 1);
        let before = breaks.first().map_or(0, |&b| b.saturating_sub(1));
        values.push(product.rate_on(date_of_day(before)));
        values.extend(breaks.iter().map(|&b| product.rate_on(date_of_day(b))));
        RateTable { breaks, values }
    }

    /// The rate in force on day `day`.
    #[inline]
    pub(crate) fn at(&self, day: i32) -> Decimal {
        let i = self.breaks.partition_point(|&b| b <= day);
        // `values` has one entry more than `breaks` (see `new`): a miss here
        // would price a day at 0 without a word.
        debug_assert!(i < self.values.len(), "rate table without entry {i}");
        self.values.get(i).copied().unwrap_or_default()
    }
}

/// Everything a rule needs about one product.
pub(crate) struct ProductPlan<'a> {
    pub(crate) code: &'a str,
    pub(crate) rule: ProductRule,
    pub(crate) tz: Tz,
    pub(crate) rates: RateTable,
}

/// Meters `usage` under `scenario`'s rules (SPEC §2).
///
/// Sessions whose feature matches no product are counted in
/// [`Metered::unmapped`] and not charged.
///
/// # Errors
/// [`MeterError::BadZone`] for a zone name that is not IANA,
/// [`MeterError::FractionalPoolRate`] for a pool product whose rate is not
/// whole, [`MeterError::Cancelled`] when `progress` asks to stop.
pub fn meter(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<Metered, MeterError> {
    let (metered, _) = meter_tuned(
        usage,
        scenario,
        progress,
        calendar_day::MATRIX_LIMIT,
        Detail::Days,
    )?;
    Ok(metered)
}

/// The same charges as [`meter`], added up per (user, product) and per
/// local date: what the command line's `meter` prints. `CalendarDay`
/// charges, the bulk of a large history, are summed straight from their
/// day sets without a row per charged date, so ten million sessions meter
/// in a fraction of the memory.
///
/// # Errors
/// As [`meter`].
pub fn meter_summary(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<MeterSummary, MeterError> {
    let (metered, cal) = meter_tuned(
        usage,
        scenario,
        progress,
        calendar_day::MATRIX_LIMIT,
        Detail::Totals,
    )?;
    Ok(summarise(&metered, cal, usage))
}

/// The summary of a metering whose `CalendarDay` charges were only added
/// up ([`Detail::Totals`]).
fn summarise(metered: &Metered, cal: CalendarTotals, usage: &Usage) -> MeterSummary {
    let mut summary = metered.summary();
    summary.pairs.extend(cal.totals);
    for (day, t) in cal.by_day {
        summary
            .by_day
            .entry(day)
            .or_default()
            .add(t.charges, t.tokens);
    }
    sort_by_user(&mut summary.pairs, usage, |p| (p.user, p.product));
    summary
}

/// What the day scan keeps of `CalendarDay` charges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detail {
    /// A [`DayCharge`] per charged date.
    Days,
    /// Totals per pair and per date only.
    Totals,
}

/// `CalendarDay` charges added up ([`Detail::Totals`]).
#[derive(Default)]
struct CalendarTotals {
    totals: Vec<PairTotal>,
    by_day: BTreeMap<i32, Total>,
}

/// Charges of one (user, product) added up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PairTotal {
    /// Who.
    pub user: UserId,
    /// Which product.
    pub product: ProductIdx,
    /// Charges and tokens.
    pub total: Total,
}

/// Metered charges added up per (user, product) and per local date
/// ([`meter_summary`], [`Metered::summary`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeterSummary {
    /// Product codes, as [`Metered::products`].
    pub products: Vec<String>,
    /// Totals per (user, product), sorted as [`Metered::pairs`].
    pub pairs: Vec<PairTotal>,
    /// Totals per local date, as [`Metered::by_day`].
    pub by_day: BTreeMap<i32, Total>,
    /// As [`Metered::unmapped`].
    pub unmapped: BTreeMap<String, u64>,
    /// As [`Metered::free_sessions`].
    pub free_sessions: u64,
    /// As [`Metered::ambiguities`].
    pub ambiguities: Vec<Ambiguity>,
    /// Every `DailyPeak` pool's bill, in [`Metered::pools`] order.
    pub daily_peak: Vec<PeakTotal>,
    /// As [`Metered::use_days`].
    pub use_days: UseDayMeter,
}

impl MeterSummary {
    /// Totals per user, in the order of [`MeterSummary::pairs`].
    pub fn by_user(&self) -> Vec<(UserId, Total)> {
        let mut out: Vec<(UserId, Total)> = Vec::new();
        for p in &self.pairs {
            match out.last_mut() {
                Some((u, t)) if *u == p.user => t.add(p.total.charges, p.total.tokens),
                _ => out.push((p.user, p.total)),
            }
        }
        out
    }

    /// Totals per product with at least one charge, in product order, as
    /// [`Metered::by_product`]: a `DailyPeak` product's tokens are its share
    /// of its pool's daily peaks.
    pub fn by_product(&self) -> Vec<(ProductIdx, Total)> {
        let mut pooled: BTreeMap<ProductIdx, Decimal> = BTreeMap::new();
        for pool in &self.daily_peak {
            for &(p, tokens) in &pool.products {
                *pooled.entry(p).or_default() += tokens;
            }
        }
        let mut totals: BTreeMap<ProductIdx, Total> = BTreeMap::new();
        for p in &self.pairs {
            let tokens = if pooled.contains_key(&p.product) {
                Decimal::ZERO
            } else {
                p.total.tokens
            };
            totals
                .entry(p.product)
                .or_default()
                .add(p.total.charges, tokens);
        }
        for (p, tokens) in pooled {
            if let Some(t) = totals.get_mut(&p) {
                t.add(0, tokens);
            }
        }
        totals.into_iter().collect()
    }

    /// One subtotal per used `DailyPeak` pool that several products
    /// share: (pool name, the charges and tokens of its products' rows of
    /// [`MeterSummary::by_product`] added up — the tokens are the pool's
    /// daily peaks), in [`Metered::pools`] order.
    pub fn shared_pools(&self) -> Vec<(&str, Total)> {
        let by_product: BTreeMap<ProductIdx, Total> = self.by_product().into_iter().collect();
        self.daily_peak
            .iter()
            .filter(|pool| pool.products.len() > 1)
            .filter_map(|pool| {
                let charges: u64 = pool
                    .products
                    .iter()
                    .filter_map(|(p, _)| by_product.get(p))
                    .map(|t| t.charges)
                    .sum();
                (charges > 0 || !pool.tokens.is_zero()).then_some((
                    pool.pool.as_str(),
                    Total {
                        charges,
                        tokens: pool.tokens,
                    },
                ))
            })
            .collect()
    }

    /// The product code of `idx` (empty when out of range).
    pub fn product_code(&self, idx: ProductIdx) -> &str {
        self.products.get(usize::from(idx)).map_or("", |s| s)
    }
}

/// [`meter`] with the `CalendarDay` day matrix limited to `matrix_limit`
/// words per thread (0: the hash-table path only), for tests.
fn meter_tuned(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
    matrix_limit: usize,
    detail: Detail,
) -> Result<(Metered, CalendarTotals), MeterError> {
    meter_from(usage, scenario, progress, |catalog, plans| {
        calendar_day::scan(usage, catalog, plans, progress, matrix_limit, detail)
    })
}

/// Meters `usage` from the pass over its sessions that `scan` makes
/// (stored, [`calendar_day::scan`], or streamed, [`stream`]): every other
/// rule's products from the sessions it kept for them.
fn meter_from(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
    scan: impl FnOnce(&Catalog, &[ProductPlan<'_>]) -> Result<calendar_day::Scan, MeterError>,
) -> Result<(Metered, CalendarTotals), MeterError> {
    parse_tz(&scenario.server_time_zone).map_err(|message| MeterError::BadZone {
        field: "server_time_zone".into(),
        message,
    })?;
    let plans = product_plans(scenario)?;
    let catalog = Catalog::build(&usage.features, scenario);

    let scan = scan(&catalog, &plans)?;
    let mut free_sessions = scan.free_sessions;
    let mut pairs = scan.pairs;
    let mut use_day_meter = scan.use_days;
    let mut pools = Vec::new();
    let mut rate_drawn = Vec::new();

    let mut pool_members: BTreeMap<(RuleKind, String), Vec<ProductIdx>> = BTreeMap::new();
    for (i, plan) in plans.iter().enumerate() {
        let sessions = scan.others.get(i).map_or(&[][..], |v| &v[..]);
        let idx = i as ProductIdx;
        match plan.rule.kind {
            RuleKind::CalendarDay => {}
            RuleKind::Rolling24h => {
                let (p, free) = rolling24h::meter_product(sessions, idx, plan);
                pairs.extend(p);
                free_sessions += free;
            }
            RuleKind::Hourly => pairs.extend(hourly::meter_product(sessions, idx, plan)),
            RuleKind::Concurrent | RuleKind::DailyPeak => {
                let name = plan.rule.pool.clone().unwrap_or_else(|| plan.code.into());
                pool_members
                    .entry((plan.rule.kind, name))
                    .or_default()
                    .push(idx);
            }
        }
        let days = scan.other_use_days.get(i).map_or(&[][..], |v| &v[..]);
        use_days::merge_other(&mut pairs, days, idx, plan, &mut use_day_meter);
        if progress.is_cancelled() {
            return Err(MeterError::Cancelled);
        }
    }
    for ((kind, name), members) in pool_members {
        let member_sessions: Vec<(ProductIdx, &[Session])> = members
            .iter()
            .map(|&m| {
                let s = scan.others.get(usize::from(m)).map_or(&[][..], |v| &v[..]);
                (m, s)
            })
            .collect();
        let metered_pool = match kind {
            RuleKind::DailyPeak => daily_peak::meter_pool(&name, &member_sessions, &plans),
            _ => concurrent::meter_pool(&name, &member_sessions, &plans),
        };
        pools.push(metered_pool.pool);
        rate_drawn.push(metered_pool.rate_drawn);
        pairs.extend(metered_pool.pairs);
        if progress.is_cancelled() {
            return Err(MeterError::Cancelled);
        }
    }

    sort_by_user(&mut pairs, usage, |p| (p.user, p.product));
    let unmapped = scan
        .unmapped
        .iter()
        .enumerate()
        .filter(|&(_, &n)| n > 0)
        .map(|(f, &n)| (usage.features.name(f as u32).to_string(), n))
        .collect();
    let rules: Vec<ProductRule> = plans.into_iter().map(|p| p.rule).collect();
    let metered = Metered {
        products: scenario.products.keys().cloned().collect(),
        pairs,
        unmapped,
        free_sessions,
        denials: denials::pool_denials(usage, &catalog, &rules),
        rules,
        pools,
        ambiguities: catalog.ambiguities,
        rate_drawn,
        use_days: {
            use_day_meter.dated_by_month.sort_unstable();
            use_day_meter
        },
    };
    let cal = CalendarTotals {
        totals: scan.totals,
        by_day: scan.by_day,
    };
    Ok((metered, cal))
}

/// Every product's plan: its rule resolved against the server's zone, its
/// zone parsed and its rate table.
///
/// # Errors
/// [`MeterError::BadZone`] for a zone that is not an IANA name;
/// [`MeterError::FractionalPoolRate`] for a pool rate that is not a whole
/// number of tokens.
fn product_plans(scenario: &Scenario) -> Result<Vec<ProductPlan<'_>>, MeterError> {
    let mut plans = Vec::with_capacity(scenario.products.len());
    for (code, product) in &scenario.products {
        let rule = ProductRule::resolve(code, &product.rule, &scenario.server_time_zone);
        let tz = parse_tz(&rule.time_zone).map_err(|message| MeterError::BadZone {
            field: format!("products.{code}.rule.time_zone"),
            message,
        })?;
        if matches!(rule.kind, RuleKind::Concurrent | RuleKind::DailyPeak) {
            for r in &product.rates {
                if concurrent::whole_draw(r.tokens).is_none() {
                    return Err(MeterError::FractionalPoolRate {
                        product: code.clone(),
                        rate: r.tokens,
                        from: r.from,
                        rule: rule.kind,
                    });
                }
            }
        }
        plans.push(ProductPlan {
            code,
            rule,
            tz,
            rates: RateTable::new(product),
        });
    }
    Ok(plans)
}

/// Sorts by user display name, then product (code order), ids breaking ties;
/// `ids` gives an item's (user, product).
fn sort_by_user<T>(pairs: &mut [T], usage: &Usage, ids: impl Fn(&T) -> (UserId, ProductIdx)) {
    let mut by_name: Vec<UserId> = (0..usage.users.len() as UserId).collect();
    by_name.sort_by(|&a, &b| usage.users.name(a).cmp(usage.users.name(b)).then(a.cmp(&b)));
    let mut rank = vec![0u32; by_name.len()];
    for (r, &u) in by_name.iter().enumerate() {
        rank[u as usize] = r as u32;
    }
    // Ids beyond the table (not produced by importers) sort last, by id.
    let key = |p: &T| {
        let (user, product) = ids(p);
        let r = rank.get(user as usize).copied().unwrap_or(u32::MAX);
        (r, user, product)
    };
    pairs.sort_unstable_by_key(key);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;
    use crate::scenario::{Contract, Forecast, Overdraft, Rate, TokenPrice};
    use chrono::NaiveDate;

    fn scenario() -> Scenario {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let product = |zone: Option<&str>, pat: &str| Product {
            name: pat.into(),
            rule: Rule::CalendarDay {
                time_zone: zone.map(String::from),
                grace_minutes: None,
            },
            rates: vec![
                Rate {
                    from: date(2020, 1, 1),
                    tokens: Decimal::new(6, 0),
                },
                Rate {
                    from: date(2024, 7, 1),
                    tokens: Decimal::new(75, 1),
                },
            ],
            features: vec![pat.into()],
        };
        Scenario {
            pools: Default::default(),
            prices: None,
            version: 1,
            name: "t".into(),
            currency: "USD".into(),
            server_time_zone: "America/New_York".into(),
            products: BTreeMap::from([
                ("A".to_string(), product(None, "A*")),
                ("B".to_string(), product(Some("Asia/Kolkata"), "B*")),
            ]),
            subscriptions: BTreeMap::new(),
            token_price: TokenPrice::Flat(Decimal::ONE),
            contract: Contract {
                start: date(2027, 1, 1),
                years: 1,
                overage_price: Decimal::ONE,
                overdraft: Overdraft::Unlimited,
                discount_rate: Decimal::ZERO,
                pack_size: None,
                seat_changes: Default::default(),
                current_seats: Default::default(),
            },
            forecast: Forecast {
                history_days: 365,
                growth_per_year: Decimal::ZERO,
            },
            budgets: BTreeMap::new(),
            constraints: Default::default(),
            sizing: Default::default(),
        }
    }

    #[test]
    fn matrix_and_hash_table_paths_agree() {
        let mut u = Usage::default();
        let users: Vec<UserId> = (0..40).map(|i| u.users.intern(&format!("u{i}"))).collect();
        let feats = [
            u.features.intern("A1"),
            u.features.intern("B1"),
            u.features.intern("C1"),
        ];
        let mut x: u64 = 88172645463325252;
        let mut segs = vec![Vec::new(), Vec::new(), Vec::new()];
        for i in 0..6000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            segs[i % 3].push(Session {
                // 400 days from 2024-01-01 UTC, several 64-day words.
                start: 1_704_067_200 + (x % (400 * 86_400)) as u32,
                dur: ((x >> 33) % (50 * 3600)) as u32,
                user: users[((x >> 45) % 40) as usize],
                feature: feats[((x >> 55) % 3) as usize],
                host: 0,
                draw: 0,
                flags: 0,
            });
        }
        for s in segs {
            u.sessions.push_segment(s);
        }
        let sc = scenario();
        let (matrix, _) = meter_tuned(
            &u,
            &sc,
            &NoProgress,
            calendar_day::MATRIX_LIMIT,
            Detail::Days,
        )
        .unwrap();
        let (table, _) = meter_tuned(&u, &sc, &NoProgress, 0, Detail::Days).unwrap();
        assert_eq!(matrix, table);
        // The summary path adds up to exactly the rows, both ways.
        let summary = meter_summary(&u, &sc, &NoProgress).unwrap();
        assert_eq!(summary, matrix.summary());
        assert_eq!(summary.pairs.len(), 80);
        assert!(matrix.unmapped.get("C1").copied().unwrap_or(0) > 1500);
        assert_eq!(matrix.pairs.len(), 80);
        // Every date's tokens is the rate in force that date.
        let switch = crate::time::day_of_date(NaiveDate::from_ymd_opt(2024, 7, 1).unwrap());
        for p in &matrix.pairs {
            for d in &p.days {
                let want = if d.day < switch {
                    Decimal::new(6, 0)
                } else {
                    Decimal::new(75, 1)
                };
                assert_eq!((d.charges, d.tokens), (1, want));
            }
        }
    }

    #[test]
    fn rate_table_equals_rate_on() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        // Unsorted and duplicated dates: rate_on takes the last listed.
        let p = Product {
            name: "p".into(),
            rule: Rule::Hourly { time_zone: None },
            rates: vec![
                Rate {
                    from: date(2024, 3, 1),
                    tokens: Decimal::new(3, 0),
                },
                Rate {
                    from: date(2023, 1, 1),
                    tokens: Decimal::new(1, 0),
                },
                Rate {
                    from: date(2024, 3, 1),
                    tokens: Decimal::new(4, 0),
                },
            ],
            features: vec![],
        };
        let t = RateTable::new(&p);
        let mut d = date(2022, 12, 1);
        while d < date(2024, 6, 1) {
            assert_eq!(t.at(crate::time::day_of_date(d)), p.rate_on(d), "{d}");
            d = d.succ_opt().unwrap();
        }
    }
}
