//! The demand history pool sizing resamples, and the model that resamples it
//! (SPEC §5).
//!
//! [`DemandHistory`] holds the history as *rated units* per rate table
//! ([`DemandStream`]): charges for `CalendarDay` and `Rolling24h`, hours
//! for `Hourly`, concurrent seats of a `DailyPeak` pool's daily peak. A
//! simulated day is priced at the rate in force on the *simulated* date, so
//! a rate that rises at renewal is priced in: one charge a day of history
//! costs 20 tokens a simulated day when the rate is 20 on the simulated
//! date, whatever it was on the history date (SPEC §4, "every forecast uses
//! the rate in force on the forecast date"). [`token_demand`] builds it from
//! metered charges; [`DemandHistory::from_tokens`] wraps a plain series of
//! daily tokens (one stream at 1 token a unit) for tests and benchmarks.
//!
//! **What a unit is.** Products whose rate tables are the same function of
//! the date share a stream. `CalendarDay` and `Rolling24h` units are the
//! charges themselves (exact). `Hourly` units are the day's tokens ÷ the
//! rate on the history date (the hours used, to the metered rounding). A
//! `DailyPeak` pool contributes its own daily peak, not the sum of its
//! users' peaks (SPEC §2: two users each holding 1 token at different hours
//! cost 1 token that day); its units are the peak ÷ its products' rate on
//! the history date (a pool's rate is tokens per concurrent seat, SPEC §3),
//! so an unchanged rate leaves the peak exactly as metered. When a shared
//! pool's products have different rate tables its peaks cannot be split
//! between them: they are taken as tokens as drawn, not re-priced, and a
//! warning says so. `Concurrent` pools are left out: they are bought as a
//! pool size ([`size_pools`](crate::ledger::size_pools)).
//!
//! [`DemandModel`] prepares a history for one contract term: the term is cut
//! into *segments* (contract years, split again on every date a rate of the
//! history changes inside the term), and each distinct (contract year,
//! rates) pair gets the history priced at those rates, scaled by that
//! year's growth, as whole milli-tokens with prefix sums. A trial is a
//! sequence of whole weeks of history ([`DemandModel::sample_path`]); its
//! demand per contract year is a few prefix-sum differences per week
//! ([`DemandModel::sample_year_totals`]).

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

use super::super::lots::{MAX_TOKENS, Term};
use super::SizingError;
use crate::ledger::rng::TrialRng;
use crate::meter::{Metered, PoolSession, PoolTimeline, PoolUsage, ProductIdx, RuleKind};
use crate::scenario::{Contract, Product, Scenario, parse_tz};
use crate::time::{DayMapper, date_of_day};
use crate::usage::UserId;

/// Days in a resampled block.
pub(super) const WEEK: usize = 7;
/// Milli-tokens per token.
pub(super) const MILLI: i64 = 1000;
/// Bound on any milli-token sum the evaluator forms (a year's demand, a
/// plan's tokens over the term): keeps every `i64` sum far from overflow.
pub(super) const MAX_MILLI_SUM: i64 = 100_000_000_000_000_000; // 1e17

/// A rate table as a step function of the date: tokens per unit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct RateSteps {
    /// The rate before the first step.
    first: Decimal,
    /// `(from, rate)`: the rate from that date on, ascending by date, no
    /// two consecutive rates equal.
    steps: Vec<(NaiveDate, Decimal)>,
}

impl RateSteps {
    /// One token per unit on every date: units that are already tokens.
    pub fn fixed() -> RateSteps {
        RateSteps {
            first: Decimal::ONE,
            steps: Vec::new(),
        }
    }

    /// `product`'s rate table: equal to [`Product::rate_on`] on every date.
    pub fn of_product(product: &Product) -> RateSteps {
        let mut dates: Vec<NaiveDate> = product.rates.iter().map(|r| r.from).collect();
        dates.sort_unstable();
        dates.dedup();
        let first = dates
            .first()
            .and_then(|d| d.pred_opt())
            .map_or_else(|| product.rate_on(NaiveDate::MIN), |d| product.rate_on(d));
        let mut steps: Vec<(NaiveDate, Decimal)> = Vec::with_capacity(dates.len());
        let mut last = first;
        for date in dates {
            let rate = product.rate_on(date);
            if rate != last {
                steps.push((date, rate));
                last = rate;
            }
        }
        RateSteps {
            first: first.normalize(),
            steps: steps.into_iter().map(|(d, r)| (d, r.normalize())).collect(),
        }
    }

    /// The rate in force on `date`.
    pub fn at(&self, date: NaiveDate) -> Decimal {
        let i = self.steps.partition_point(|&(from, _)| from <= date);
        match i.checked_sub(1).and_then(|i| self.steps.get(i)) {
            Some(&(_, rate)) => rate,
            None => self.first,
        }
    }

    /// Dates on which the rate changes, ascending.
    pub fn changes(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.steps.iter().map(|&(d, _)| d)
    }
}

/// The history of one rate table: units per day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DemandStream {
    /// Tokens per unit by date.
    pub rates: RateSteps,
    /// Units per day, index 0 = [`DemandHistory::first`]; one per day of
    /// the history.
    pub units: Vec<Decimal>,
}

/// Daily demand history for sizing, as rated units per rate table (see the
/// module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DemandHistory {
    /// First day of the history, `None` when there is no demand at all.
    first: Option<NaiveDate>,
    /// Days of history.
    days: usize,
    /// One per rate table.
    streams: Vec<DemandStream>,
    /// What the history could not represent exactly, for the report.
    warnings: Vec<String>,
}

impl DemandHistory {
    /// A history of daily tokens that are not re-priced (one stream at 1
    /// token a unit): repeated dates add up, missing dates between the
    /// first and the last count as 0.
    pub fn from_tokens(daily: &[(NaiveDate, Decimal)]) -> DemandHistory {
        let mut by_date: BTreeMap<NaiveDate, Decimal> = BTreeMap::new();
        for &(date, tokens) in daily {
            let slot = by_date.entry(date).or_default();
            *slot = slot.checked_add(tokens).unwrap_or(Decimal::MAX);
        }
        let (Some((&first, _)), Some((&last, _))) =
            (by_date.first_key_value(), by_date.last_key_value())
        else {
            return DemandHistory::default();
        };
        let units: Vec<Decimal> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .map(|d| by_date.get(&d).copied().unwrap_or_default())
            .collect();
        DemandHistory {
            first: Some(first),
            days: units.len(),
            streams: vec![DemandStream {
                rates: RateSteps::fixed(),
                units,
            }],
            warnings: Vec::new(),
        }
    }

    /// A history of the given streams from `first` (each stream holds one
    /// value per day; the longest sets the length, shorter ones are padded
    /// with 0).
    pub fn from_streams(first: NaiveDate, mut streams: Vec<DemandStream>) -> DemandHistory {
        let days = streams.iter().map(|s| s.units.len()).max().unwrap_or(0);
        for s in &mut streams {
            s.units.resize(days, Decimal::ZERO);
        }
        DemandHistory {
            first: (days > 0).then_some(first),
            days,
            streams,
            warnings: Vec::new(),
        }
    }

    /// First day, `None` for an empty history.
    pub fn first(&self) -> Option<NaiveDate> {
        self.first
    }

    /// Days of history (0 when empty).
    pub fn days(&self) -> usize {
        self.days
    }

    /// The streams, one per rate table.
    pub fn streams(&self) -> &[DemandStream] {
        &self.streams
    }

    /// What the history could not represent exactly.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// Checks that every value is a possible daily demand (0 to
    /// [`MAX_TOKENS`]).
    ///
    /// # Errors
    /// [`SizingError::History`] naming the first bad date.
    pub fn check(&self) -> Result<(), SizingError> {
        let Some(first) = self.first else {
            return Ok(());
        };
        for s in &self.streams {
            if let Some((i, u)) = s
                .units
                .iter()
                .enumerate()
                .find(|(_, u)| u.is_sign_negative() || **u > MAX_TOKENS)
            {
                return Err(SizingError::History(format!(
                    "{}: {u} is not a possible daily demand",
                    first + chrono::Duration::days(i as i64)
                )));
            }
        }
        Ok(())
    }

    /// Whether any day demands anything (a positive unit at a positive
    /// rate).
    pub fn has_demand(&self) -> bool {
        let Some(first) = self.first else {
            return false;
        };
        self.streams.iter().any(|s| {
            s.units.iter().enumerate().any(|(i, u)| {
                *u > Decimal::ZERO
                    && s.rates.at(first + chrono::Duration::days(i as i64)) > Decimal::ZERO
            })
        })
    }

    /// Tokens of the history at the rates of its own dates (what was
    /// metered), by date.
    pub fn daily_tokens(&self) -> Vec<(NaiveDate, Decimal)> {
        let Some(first) = self.first else {
            return Vec::new();
        };
        (0..self.days)
            .map(|i| {
                let date = first + chrono::Duration::days(i as i64);
                let tokens = self
                    .streams
                    .iter()
                    .map(|s| {
                        let u = s.units.get(i).copied().unwrap_or_default();
                        u.checked_mul(s.rates.at(date)).unwrap_or(Decimal::MAX)
                    })
                    .fold(Decimal::ZERO, |a, b| {
                        a.checked_add(b).unwrap_or(Decimal::MAX)
                    });
                (date, tokens)
            })
            .collect()
    }

    /// Tokens of the whole history at the rates of its own dates.
    pub fn tokens(&self) -> Decimal {
        self.daily_tokens()
            .into_iter()
            .fold(Decimal::ZERO, |a, (_, t)| {
                a.checked_add(t).unwrap_or(Decimal::MAX)
            })
    }
}

/// How one product's daily charges become units of a stream.
#[derive(Clone, Copy, Debug)]
enum Source {
    /// Not token demand here (a pool, or a `DailyPeak` product counted
    /// through its pool).
    Skip,
    /// Units are the charges (`CalendarDay`, `Rolling24h`).
    Charges(usize),
    /// Units are tokens ÷ the rate on the history date (`Hourly`).
    Rated(usize),
    /// Units are the tokens as metered (a product the scenario does not
    /// rate).
    Tokens(usize),
}

/// A `DailyPeak` pool's daily peaks and the stream they go to.
struct PoolDemand {
    /// Stream index.
    stream: usize,
    /// Whether the peaks are divided by the stream's rate (else tokens).
    rated: bool,
    /// Peak per local date, ascending.
    peaks: Vec<(i32, u32)>,
}

/// The rate tables met so far: one stream each.
#[derive(Default)]
struct Tables(Vec<RateSteps>);

impl Tables {
    /// The stream of `steps`, added when new.
    fn stream(&mut self, steps: RateSteps) -> usize {
        match self.0.iter().position(|t| *t == steps) {
            Some(i) => i,
            None => {
                self.0.push(steps);
                self.0.len() - 1
            }
        }
    }
}

/// The token demand left to size: the daily charges of the (user, product)
/// pairs `keep` accepts, as rated units per rate table (see the module
/// docs). `Concurrent` products are left out whatever `keep` says (they are
/// sized as pools); a `DailyPeak` pool counts its daily peak over the
/// sessions of the pairs `keep` accepts.
pub fn token_demand(
    metered: &Metered,
    scenario: &Scenario,
    keep: impl Fn(UserId, ProductIdx) -> bool,
) -> DemandHistory {
    let mut tables = Tables::default();
    let sources = product_sources(metered, scenario, &mut tables);
    let mut warnings = Vec::new();
    let pools = daily_peak_pools(metered, scenario, &keep, &mut tables, &mut warnings);

    // The days covered: first and last charged day of anything kept.
    let kept = |user: UserId, product: ProductIdx| {
        !matches!(sources.get(usize::from(product)), None | Some(Source::Skip))
            && keep(user, product)
    };
    let mut span: Option<(i32, i32)> = None;
    let mut widen = |lo: i32, hi: i32| {
        span = Some(span.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    };
    for pair in metered.pairs.iter().filter(|p| kept(p.user, p.product)) {
        if let (Some(a), Some(b)) = (pair.days.first(), pair.days.last()) {
            widen(a.day, b.day);
        }
    }
    for pool in &pools {
        if let (Some(a), Some(b)) = (pool.peaks.first(), pool.peaks.last()) {
            widen(a.0, b.0);
        }
    }
    let Some((lo, hi)) = span else {
        return DemandHistory {
            warnings,
            ..DemandHistory::default()
        };
    };

    // Units per stream and day.
    let tables = tables.0;
    let days = (hi - lo) as usize + 1;
    let mut units = vec![vec![Decimal::ZERO; days]; tables.len()];
    let mut add = |stream: usize, day: i32, v: Decimal| {
        if let Some(slot) = units
            .get_mut(stream)
            .and_then(|u| u.get_mut((day - lo) as usize))
        {
            *slot = slot.checked_add(v).unwrap_or(Decimal::MAX);
        }
    };
    for pair in metered.pairs.iter().filter(|p| kept(p.user, p.product)) {
        let source = sources
            .get(usize::from(pair.product))
            .copied()
            .unwrap_or(Source::Skip);
        for charge in &pair.days {
            match source {
                Source::Skip => {}
                Source::Charges(s) => add(s, charge.day, Decimal::from(charge.charges)),
                Source::Tokens(s) => add(s, charge.day, charge.tokens),
                Source::Rated(s) => {
                    let rate = tables[s].at(date_of_day(charge.day));
                    add(s, charge.day, per_unit(charge.tokens, rate));
                }
            }
        }
    }
    for pool in &pools {
        for &(day, peak) in &pool.peaks {
            let peak = Decimal::from(peak);
            let value = if pool.rated {
                per_unit(peak, tables[pool.stream].at(date_of_day(day)))
            } else {
                peak
            };
            add(pool.stream, day, value);
        }
    }
    DemandHistory {
        first: Some(date_of_day(lo)),
        days,
        streams: tables
            .into_iter()
            .zip(units)
            .map(|(rates, units)| DemandStream { rates, units })
            .collect(),
        warnings,
    }
}

/// How each product of `metered` counts, its stream added to `tables`.
fn product_sources(metered: &Metered, scenario: &Scenario, tables: &mut Tables) -> Vec<Source> {
    (0..metered.products.len())
        .map(|i| {
            let code = &metered.products[i];
            let kind = metered.rules.get(i).map(|r| r.kind);
            match (kind, scenario.products.get(code)) {
                (Some(RuleKind::Concurrent | RuleKind::DailyPeak), _) => Source::Skip,
                (Some(RuleKind::CalendarDay | RuleKind::Rolling24h), Some(p)) => {
                    Source::Charges(tables.stream(RateSteps::of_product(p)))
                }
                (Some(RuleKind::Hourly), Some(p)) => {
                    Source::Rated(tables.stream(RateSteps::of_product(p)))
                }
                _ => Source::Tokens(tables.stream(RateSteps::fixed())),
            }
        })
        .collect()
}

/// Every `DailyPeak` pool's peaks over the sessions kept, with its stream:
/// its products' rate table when they share one, else tokens as metered
/// (and a warning).
fn daily_peak_pools(
    metered: &Metered,
    scenario: &Scenario,
    keep: &impl Fn(UserId, ProductIdx) -> bool,
    tables: &mut Tables,
    warnings: &mut Vec<String>,
) -> Vec<PoolDemand> {
    let mut pools = Vec::new();
    for pool in metered
        .pools
        .iter()
        .filter(|p| p.rule == RuleKind::DailyPeak)
    {
        let peaks = kept_daily_peaks(pool, keep, warnings);
        if peaks.is_empty() {
            continue;
        }
        let member_rates: Vec<RateSteps> = pool
            .products
            .iter()
            .filter_map(|&p| metered.products.get(usize::from(p)))
            .filter_map(|code| scenario.products.get(code))
            .map(RateSteps::of_product)
            .collect();
        let shared = member_rates
            .first()
            .filter(|first| member_rates.iter().all(|r| r == *first))
            .cloned();
        let (stream, rated) = match shared {
            Some(steps) => (tables.stream(steps), true),
            None => {
                warnings.push(format!(
                    "pool {}: its products' rates differ, so its daily peaks are sized as \
                     metered, at the rates of the history's dates",
                    pool.name
                ));
                (tables.stream(RateSteps::fixed()), false)
            }
        };
        pools.push(PoolDemand {
            stream,
            rated,
            peaks,
        });
    }
    pools
}

/// `tokens` in units of `rate` tokens each; the tokens themselves when the
/// rate is not positive (a validated scenario has only positive rates).
fn per_unit(tokens: Decimal, rate: Decimal) -> Decimal {
    if rate > Decimal::ZERO {
        tokens.checked_div(rate).unwrap_or(tokens)
    } else {
        tokens
    }
}

/// A `DailyPeak` pool's peak per local date over the sessions of the
/// (user, product) pairs `keep` accepts: the metered peaks when it accepts
/// them all, else the pool replayed without the others.
fn kept_daily_peaks(
    pool: &PoolUsage,
    keep: &impl Fn(UserId, ProductIdx) -> bool,
    warnings: &mut Vec<String>,
) -> Vec<(i32, u32)> {
    if pool.sessions.iter().all(|s| keep(s.user, s.product)) {
        return pool.daily_peaks.clone();
    }
    let kept: Vec<PoolSession> = pool
        .sessions
        .iter()
        .filter(|s| keep(s.user, s.product))
        .copied()
        .collect();
    if kept.is_empty() {
        return Vec::new();
    }
    match parse_tz(&pool.time_zone) {
        Ok(tz) => PoolTimeline::new(&kept).daily_peaks(&mut DayMapper::new(tz)),
        Err(e) => {
            warnings.push(format!(
                "pool {}: {e}; its whole daily peaks are sized",
                pool.name
            ));
            pool.daily_peaks.clone()
        }
    }
}

/// The term cut where the history's rates change (see [`DemandModel`]).
struct Segments {
    /// Segment starts as term day indexes, then the term's length.
    cuts: Vec<usize>,
    /// Contract year of each segment.
    year: Vec<usize>,
    /// Index into `keys` of each segment.
    table: Vec<usize>,
    /// The distinct (contract year, rate of each stream) of the segments.
    keys: Vec<(usize, Vec<Decimal>)>,
}

impl Segments {
    /// Contract years (`bounds`, as term day indexes) cut again on every
    /// date inside the term where a stream's rate changes.
    fn new(history: &DemandHistory, term: &Term, bounds: &[usize]) -> Segments {
        let mut cuts: Vec<usize> = bounds.to_vec();
        for s in history.streams() {
            cuts.extend(
                s.rates
                    .changes()
                    .filter(|&d| d > term.start() && d <= term.end())
                    .map(|d| term.day_index(d)),
            );
        }
        cuts.sort_unstable();
        cuts.dedup();
        let mut segments = Segments {
            cuts: Vec::new(),
            year: Vec::new(),
            table: Vec::new(),
            keys: Vec::new(),
        };
        let mut year = 0;
        for &cut in &cuts[..cuts.len() - 1] {
            while cut >= bounds[year + 1] {
                year += 1;
            }
            let on = term.start() + chrono::Duration::days(cut as i64);
            let key = (
                year,
                history.streams().iter().map(|s| s.rates.at(on)).collect(),
            );
            let table = match segments.keys.iter().position(|k| *k == key) {
                Some(i) => i,
                None => {
                    segments.keys.push(key);
                    segments.keys.len() - 1
                }
            };
            segments.year.push(year);
            segments.table.push(table);
        }
        segments.cuts = cuts;
        segments
    }
}

/// The history from day `skip` on, each day's units priced at `rates` (one
/// per stream) and scaled by `factor`, as whole milli-tokens (half away
/// from zero).
fn price_history(
    history: &DemandHistory,
    skip: usize,
    rates: &[Decimal],
    factor: Decimal,
) -> Result<Vec<i64>, SizingError> {
    let too_large =
        || SizingError::History("daily demand after growth is too large to simulate".into());
    let milli = Decimal::from(MILLI);
    (skip..history.days())
        .map(|h| {
            let mut tokens = Decimal::ZERO;
            for (s, rate) in history.streams().iter().zip(rates) {
                let u = s.units.get(h).copied().unwrap_or_default();
                if !u.is_zero() {
                    tokens = u
                        .checked_mul(*rate)
                        .and_then(|t| tokens.checked_add(t))
                        .ok_or_else(too_large)?;
                }
            }
            let m = tokens
                .checked_mul(factor)
                .and_then(|t| t.checked_mul(milli))
                .ok_or_else(too_large)?
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero);
            i64::try_from(m.mantissa() / 10_i128.pow(m.scale())).map_err(|_| too_large())
        })
        .collect()
}

/// Daily demand history prepared for resampling over one contract term.
#[derive(Clone, Debug)]
pub struct DemandModel {
    /// Contract-year boundaries as term day indexes: year `k` is
    /// `bounds[k]..bounds[k + 1]`.
    bounds: Vec<usize>,
    /// Segment starts as term day indexes, then the term's length: segment
    /// `g` is `segments[g]..segments[g + 1]`, inside one contract year and
    /// at constant rates.
    segments: Vec<usize>,
    /// Contract year of each segment.
    segment_year: Vec<usize>,
    /// Index into `scaled`/`prefix` of each segment.
    segment_table: Vec<usize>,
    /// Per distinct (year, rates): the history priced at those rates and
    /// scaled by that year's growth, in milli-tokens.
    scaled: Vec<Vec<i64>>,
    /// Prefix sums of each `scaled` (`len + 1` entries).
    prefix: Vec<Vec<i64>>,
    /// History indexes where a block may start.
    starts: Vec<usize>,
    /// Per block of the term (7 term days each): the starts of `starts`
    /// within [`SEASON_DAYS`] of the block's day of the year, when the
    /// history covers a year (seasons survive, SPEC §5); empty: any start.
    seasonal: Vec<Vec<usize>>,
}

/// How far from a simulated week's day of the year its history week may
/// start: 4 weeks either way, wrapping round the year (SPEC §5).
pub const SEASON_DAYS: u32 = 28;

/// Days between two days of the year (0-based), the shorter way round a
/// 365-day year.
fn days_apart(a: u32, b: u32) -> u32 {
    let d = a.abs_diff(b) % 365;
    d.min(365 - d)
}

/// Per block of a term of `blocks` weeks from `start`: the history starts
/// (dated by `date`) within [`SEASON_DAYS`] of the block's first day of the
/// year; none (any start) when the history spans less than a year.
fn seasonal_starts(
    starts: &[usize],
    history_days: usize,
    date: impl Fn(usize) -> NaiveDate,
    start: NaiveDate,
    blocks: usize,
) -> Vec<Vec<usize>> {
    if history_days < 365 {
        return Vec::new();
    }
    (0..blocks)
        .map(|b| {
            let day = start + chrono::Duration::days((b * WEEK) as i64);
            starts
                .iter()
                .copied()
                .filter(|&i| days_apart(date(i).ordinal0(), day.ordinal0()) <= SEASON_DAYS)
                .collect()
        })
        .collect()
}

impl DemandModel {
    /// Prepares `history` for `contract`, using its last `window_days` days
    /// (0: all), scaled by `growth` per year, each simulated day priced at
    /// the rates in force on it.
    ///
    /// # Errors
    /// When the contract term is unusable, the growth is −100% or less or
    /// above 1,000%, the history is empty, has a negative or absurd value,
    /// or holds no whole week starting on the contract start's weekday.
    pub fn new(
        history: &DemandHistory,
        contract: &Contract,
        growth: Decimal,
        window_days: u32,
    ) -> Result<DemandModel, SizingError> {
        let term = Term::new(contract)?;
        if growth <= -Decimal::ONE || growth > Decimal::from(10) {
            return Err(SizingError::Options(format!(
                "growth per year {growth} is outside -1 (exclusive) to 10"
            )));
        }
        let Some(history_first) = history.first() else {
            return Err(SizingError::History("no days of demand".into()));
        };
        let skip = match window_days as usize {
            0 => 0,
            w => history.days().saturating_sub(w),
        };
        let first = history_first + chrono::Duration::days(skip as i64);
        let days = history.days() - skip;
        let date = |i: usize| first + chrono::Duration::days(i as i64);
        for s in history.streams() {
            for (i, &u) in s.units.iter().enumerate().skip(skip) {
                if u.is_sign_negative() || u > MAX_TOKENS {
                    return Err(SizingError::History(format!(
                        "{}: {u} is not a possible daily demand",
                        date(i - skip)
                    )));
                }
            }
        }

        let weekday = contract.start.weekday();
        let starts: Vec<usize> = (0..days)
            .filter(|&i| date(i).weekday() == weekday && i + WEEK <= days)
            .collect();
        if starts.is_empty() {
            return Err(SizingError::History(format!(
                "{days} days from {first} to {} hold no whole week starting on a {weekday:?} \
                 (the contract start's weekday); at least 13 days are needed",
                date(days.saturating_sub(1))
            )));
        }

        let years = term.years();
        let mut bounds = Vec::with_capacity(years + 1);
        bounds.push(0);
        for k in 0..years {
            bounds.push(bounds[k] + term.year_days(k));
        }
        let mut factors = Vec::with_capacity(years);
        let mut factor = Decimal::ONE;
        for _ in 0..years {
            factor = factor
                .checked_mul(Decimal::ONE + growth)
                .ok_or_else(|| SizingError::Options(format!("growth {growth} overflows")))?;
            factors.push(factor);
        }
        let segments = Segments::new(history, &term, &bounds);
        let scaled = segments
            .keys
            .iter()
            .map(|(year, rates)| price_history(history, skip, rates, factors[*year]))
            .collect::<Result<Vec<_>, _>>()?;
        let longest = days.max(term.days()) as i64;
        let peak = scaled.iter().flatten().copied().max().unwrap_or(0);
        if peak > MAX_MILLI_SUM / longest {
            return Err(SizingError::History(format!(
                "daily demand up to {} tokens after growth is too large to simulate",
                Decimal::new(peak, 3)
            )));
        }
        let prefix = scaled
            .iter()
            .map(|row| {
                let mut p = Vec::with_capacity(row.len() + 1);
                let mut sum = 0;
                p.push(0);
                for &v in row {
                    sum += v;
                    p.push(sum);
                }
                p
            })
            .collect();
        let blocks = bounds.last().copied().unwrap_or(0).div_ceil(WEEK);
        let seasonal = seasonal_starts(&starts, days, date, contract.start, blocks);
        Ok(DemandModel {
            seasonal,
            bounds,
            segments: segments.cuts,
            segment_year: segments.year,
            segment_table: segments.table,
            scaled,
            prefix,
            starts,
        })
    }

    /// Days in the term.
    pub fn term_days(&self) -> usize {
        self.bounds.last().copied().unwrap_or(0)
    }

    /// Contract years.
    pub fn years(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Days of history resampled.
    pub fn history_days(&self) -> usize {
        self.scaled.first().map_or(0, Vec::len)
    }

    /// The history start of each block of trial `trial`, one draw per
    /// block of 7 term days.
    fn blocks(&self, seed: u64, trial: u64) -> impl Iterator<Item = usize> + '_ {
        let mut rng = TrialRng::for_trial(seed, trial);
        (0..self.term_days().div_ceil(WEEK)).map(move |b| {
            // One draw per block either way, so trials stay reproducible.
            let pool = match self.seasonal.get(b) {
                Some(near) if !near.is_empty() => near,
                _ => &self.starts,
            };
            pool[rng.below(pool.len() as u64) as usize]
        })
    }

    /// The daily demand path of trial `trial`, milli-tokens per term day:
    /// the reference the fast year totals are checked against.
    pub fn sample_path(&self, seed: u64, trial: u64) -> Vec<i64> {
        let days = self.term_days();
        let mut path = Vec::with_capacity(days);
        let mut seg = 0;
        for start in self.blocks(seed, trial) {
            for offset in 0..WEEK {
                let t = path.len();
                if t == days {
                    break;
                }
                while t >= self.segments[seg + 1] {
                    seg += 1;
                }
                path.push(self.scaled[self.segment_table[seg]][start + offset]);
            }
        }
        path
    }

    /// Demand per contract year of trial `trial`, milli-tokens, written to
    /// `out` (one per year): the sums of [`sample_path`](Self::sample_path)
    /// by year, from prefix sums, one slice per (block, segment) overlap.
    pub fn sample_year_totals(&self, seed: u64, trial: u64, out: &mut [i64]) {
        out.iter_mut().for_each(|v| *v = 0);
        let days = self.term_days();
        let mut seg = 0;
        for (b, start) in self.blocks(seed, trial).enumerate() {
            let mut t = b * WEEK;
            let end = (t + WEEK).min(days);
            let mut h = start;
            while t < end {
                while t >= self.segments[seg + 1] {
                    seg += 1;
                }
                let stop = end.min(self.segments[seg + 1]);
                let len = stop - t;
                let p = &self.prefix[self.segment_table[seg]];
                if let Some(slot) = out.get_mut(self.segment_year[seg]) {
                    *slot += p[h + len] - p[h];
                }
                h += len;
                t = stop;
            }
        }
    }
}
