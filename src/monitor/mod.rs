//! Monitoring views and what-ifs over history (SPEC §6), and the `audit`
//! report of SPEC §7.
//!
//! Everything here starts from a metered history ([`Metered`]), which the
//! caller passes in (the command line and the app have metered already), and
//! reads it in place: no row per charge is made for the consumption views
//! (`DailyCharges` visits the metering's pairs), the day-boundary audit
//! marks start dates in one parallel pass over the sessions (`pair_days`:
//! one day-major matrix of the pairs' dates per thread), and the what-ifs
//! do not make metering rows: the shadow bill reads the rule every product
//! is under from the baseline, meters `CalendarDay` as totals and adds up
//! the other rules from one sorted compact copy of one product group at a
//! time (`figures`; a zone whose dates go back is metered group by group,
//! `split`); a harvest policy marks each `CalendarDay` pair's dates still
//! used in its pass over the sessions and re-meters only the other rules'
//! pairs it shortens; another server zone is summed from day sets. The
//! parts run one after another, each dropping what it made, and the
//! day-boundary list, which the report keeps, is made after the what-ifs.
//!
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

pub mod boundary;
pub mod budgets;
pub mod burn;
pub mod double_dip;
mod figures;
pub mod idle;
mod pair_days;
pub mod shadow;
mod split;
pub mod vendor_audit;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::meter::{MeterError, Metered};
use crate::progress::Progress;
use crate::scenario::{Scenario, TokenPrice};
use crate::time::date_of_day;
use crate::usage::{Sessions, Usage, UserId};

use boundary::{BoundaryCharge, GroupTotal, RegionalWhatIf, ZoneWhatIf};
use budgets::BudgetPool;
use burn::{Burn, BurnDay};
use double_dip::DoubleDip;
use idle::{HarvestPolicy, IdleWhatIf};
use shadow::ShadowRow;
use vendor_audit::VendorAudit;

/// What [`audit`] is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditOptions {
    /// The date the figures are as of; `None`: the last charged date of the
    /// history (never the clock, so runs repeat).
    pub today: Option<NaiveDate>,
    /// Tokens left at the end of today, for the burn's run-out date.
    pub balance: Option<Decimal>,
    /// Daily tokens above which a date is flagged; `None`: the scenario's
    /// `sizing.alert_tokens_per_day`.
    pub alert_tokens_per_day: Option<Decimal>,
    /// Other server zones to try.
    pub server_zones: Vec<String>,
    /// Office → zone of its own server, for the per-region what-if (empty:
    /// not run).
    pub office_zones: BTreeMap<String, String>,
    /// Harvest policies to replay, each on its own.
    pub harvest: Vec<HarvestPolicy>,
}

impl Default for AuditOptions {
    /// As of the last charged date; no balance; the scenario's alert; no
    /// other zone; three harvest policies, each alone: idle reclaims 60
    /// minutes earlier (FlexNet's usual `TIMEOUT` of 3600 s), sessions
    /// capped at 12 hours, sessions closed at local 23:59.
    fn default() -> Self {
        AuditOptions {
            today: None,
            balance: None,
            alert_tokens_per_day: None,
            server_zones: Vec::new(),
            office_zones: BTreeMap::new(),
            harvest: vec![
                HarvestPolicy {
                    idle_minutes: Some(60),
                    ..HarvestPolicy::default()
                },
                HarvestPolicy {
                    cap_hours: Some(12),
                    ..HarvestPolicy::default()
                },
                HarvestPolicy {
                    close_at_2359: true,
                    ..HarvestPolicy::default()
                },
            ],
        }
    }
}

/// Day-boundary totals and what-ifs (the charges themselves are
/// [`AuditReport::day_boundary`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DayBoundarySummary {
    /// Boundary charges.
    pub charges: u64,
    /// Their tokens.
    pub tokens: Decimal,
    /// Their cost, two decimal places.
    pub cost: Decimal,
    /// Per user, by name.
    pub per_user: Vec<GroupTotal>,
    /// Per office, by name.
    pub per_office: Vec<GroupTotal>,
    /// The server in each zone of [`AuditOptions::server_zones`].
    pub server_zones: Vec<ZoneWhatIf>,
    /// One server per region, when offices were mapped to zones.
    pub regional: Option<RegionalWhatIf>,
}

/// Double-dip totals (the charges themselves are [`AuditReport::double_dip`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoubleDipSummary {
    /// Tokens in all.
    pub tokens: Decimal,
    /// Their cost, two decimal places.
    pub cost: Decimal,
    /// Assigned subscription codes the scenario lacks, with their seats.
    pub unknown_subscriptions: BTreeMap<String, u64>,
}

/// Everything `tokenplan audit` shows (SPEC §6, §7): JSON with money as
/// decimal strings with two places and tokens as plain decimal strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// The date the figures are as of.
    pub today: Option<NaiveDate>,
    /// The scenario's currency.
    pub currency: String,
    /// Base token price every cost here is at, two decimal places.
    pub token_price: Decimal,
    /// Tokens per day, with trailing means.
    pub burn: Vec<BurnDay>,
    /// Month-to-date, projection, run-out, days over the alert.
    pub burn_summary: Burn,
    /// Virtual pools per department.
    pub budgets: Vec<BudgetPool>,
    /// Charges caused only by a session crossing the charge boundary.
    pub day_boundary: Vec<BoundaryCharge>,
    /// Their totals per user and office, and the zone what-ifs.
    pub day_boundary_summary: DayBoundarySummary,
    /// Token charges on days the user held a covering subscription.
    pub double_dip: Vec<DoubleDip>,
    /// Their totals.
    pub double_dip_summary: DoubleDipSummary,
    /// The history under every rule.
    pub shadow_bill: Vec<ShadowRow>,
    /// The harvest policies replayed.
    pub idle: Vec<IdleWhatIf>,
    /// The vendor's export against the replay, when there is one.
    pub vendor_audit: Option<VendorAudit>,
}

/// Every monitoring view and what-if of `usage` under `scenario`;
/// `baseline` is `meter(usage, scenario)`, passed in because the caller
/// has usually metered already.
///
/// # Errors
/// What [`meter`](crate::meter::meter) returns when a what-if re-meters
/// (a zone that is not IANA, cancellation).
pub fn audit(
    usage: &Usage,
    scenario: &Scenario,
    baseline: &Metered,
    options: &AuditOptions,
    progress: &dyn Progress,
) -> Result<AuditReport, MeterError> {
    let price = base_token_price(scenario);
    let rows = DailyCharges::new(usage, baseline);
    let series = burn::pooled_series_of(&rows, baseline);
    let today = options.today.or_else(|| series.keys().next_back().copied());
    let alert = options
        .alert_tokens_per_day
        .or(scenario.sizing.alert_tokens_per_day);
    let mut burn_summary = match today {
        Some(t) => burn::burn(&series, t, alert, options.balance),
        None => burn::Burn::empty(alert, options.balance),
    };
    let burn_days = std::mem::take(&mut burn_summary.days);
    let pools = today.map_or_else(Vec::new, |t| budgets::budgets_of(&rows, usage, scenario, t));

    // The what-ifs first, one after another, each dropping what it made
    // before the next: the day-boundary list, which the report keeps, is
    // made after their peaks.
    let shadow_bill = shadow::shadow_bill_with(usage, scenario, Some(baseline), price, progress)?;
    let mut idle = Vec::with_capacity(options.harvest.len());
    for policy in &options.harvest {
        idle.push(idle::idle_what_if(
            usage, scenario, baseline, policy, price, progress,
        )?);
    }
    let mut server_zones = Vec::with_capacity(options.server_zones.len());
    for zone in &options.server_zones {
        server_zones.push(boundary::server_zone_what_if(
            usage, scenario, baseline, zone, price, progress,
        )?);
    }
    let regional = if options.office_zones.is_empty() {
        None
    } else {
        Some(boundary::regional_what_if(
            usage,
            scenario,
            baseline,
            &options.office_zones,
            price,
            progress,
        )?)
    };
    let boundary = boundary::boundary_audit(usage, scenario, baseline, price);
    let dips = double_dip::double_dips_of(&rows, usage, scenario, price);
    Ok(AuditReport {
        today,
        currency: scenario.currency.clone(),
        token_price: money(price),
        burn: burn_days,
        burn_summary,
        budgets: pools,
        day_boundary_summary: DayBoundarySummary {
            charges: boundary.charges.len() as u64,
            tokens: boundary.tokens,
            cost: boundary.cost,
            per_user: boundary.per_user,
            per_office: boundary.per_office,
            server_zones,
            regional,
        },
        day_boundary: boundary.charges,
        double_dip_summary: DoubleDipSummary {
            tokens: dips.tokens,
            cost: dips.cost,
            unknown_subscriptions: dips.unknown_subscriptions,
        },
        double_dip: dips.rows,
        shadow_bill,
        idle,
        vendor_audit: vendor_audit::vendor_audit(usage, baseline),
    })
}

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

/// One daily charge as the views read it: a [`ChargeRow`] by reference.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowRef<'a> {
    pub(crate) user: UserId,
    /// As [`ChargeRow::product`].
    pub(crate) product: &'a str,
    /// The product's index in the metering, for a replayed row (`None`:
    /// look `product` up).
    pub(crate) idx: Option<crate::meter::ProductIdx>,
    /// Local date, days since 1970-01-01.
    pub(crate) day: i32,
    pub(crate) tokens: Decimal,
    pub(crate) source: Source,
}

/// Daily charges that can be visited row by row: a list of
/// [`ChargeRow`]s, or [`DailyCharges`] that makes no list.
pub(crate) trait Rows: Sync {
    /// Calls `f` on every row, in no particular order.
    fn visit(&self, f: &mut dyn FnMut(RowRef<'_>));
}

impl Rows for [ChargeRow] {
    fn visit(&self, f: &mut dyn FnMut(RowRef<'_>)) {
        for r in self {
            f(RowRef {
                user: r.user,
                product: &r.product,
                idx: None,
                day: crate::time::day_of_date(r.date),
                tokens: r.tokens,
                source: r.source,
            });
        }
    }
}

/// The rows of [`charge_rows`] without making them: the metering's pairs
/// read in place (a replayed product the vendor reported skips the
/// vendor's period), and the vendor's rows, which are few.
pub(crate) struct DailyCharges<'a> {
    pub(crate) metered: &'a Metered,
    /// The vendor's rows, as [`vendor_rows`].
    pub(crate) vendor: Vec<ChargeRow>,
    /// Per product index: true when the vendor reported the product.
    replaced: Vec<bool>,
    /// The vendor's period, as local days.
    period: Option<(i32, i32)>,
}

impl<'a> DailyCharges<'a> {
    /// The charges of `metered`, the metering of `usage`, with the vendor's
    /// in place of the replay where [`charge_rows`] puts them.
    pub(crate) fn new(usage: &Usage, metered: &'a Metered) -> DailyCharges<'a> {
        let vendor = vendor_rows(usage, metered);
        let vendor_products: BTreeSet<&str> = vendor.iter().map(|r| r.product.as_str()).collect();
        let replaced = metered
            .products
            .iter()
            .map(|p| vendor_products.contains(p.as_str()))
            .collect();
        let period = vendor_period(usage).map(|(first, last)| {
            (
                crate::time::day_of_date(first),
                crate::time::day_of_date(last),
            )
        });
        DailyCharges {
            metered,
            vendor,
            replaced,
            period,
        }
    }

    /// The charged days of `pair` that are rows: all of them, except the
    /// vendor's period for a product the vendor reported.
    pub(crate) fn replay_days<'p>(
        &self,
        pair: &'p crate::meter::PairCharges,
    ) -> impl Iterator<Item = &'p crate::meter::DayCharge> {
        let skip = match self.period {
            Some(p) if self.replaced.get(usize::from(pair.product)) == Some(&true) => Some(p),
            _ => None,
        };
        pair.days
            .iter()
            .filter(move |d| skip.is_none_or(|(first, last)| d.day < first || d.day > last))
    }

    /// The replay's row of `pair` on `d`.
    pub(crate) fn replay_row(
        &self,
        pair: &crate::meter::PairCharges,
        d: &crate::meter::DayCharge,
    ) -> RowRef<'a> {
        RowRef {
            user: pair.user,
            product: product_code(self.metered, pair.product),
            idx: Some(pair.product),
            day: d.day,
            tokens: d.tokens,
            source: Source::Replay,
        }
    }
}

impl Rows for DailyCharges<'_> {
    fn visit(&self, f: &mut dyn FnMut(RowRef<'_>)) {
        for pair in &self.metered.pairs {
            for d in self.replay_days(pair) {
                f(self.replay_row(pair, d));
            }
        }
        self.vendor.as_slice().visit(f);
    }
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

/// Tokens of `metered` as billed ([`Metered::total`]: a `DailyPeak`
/// pool counts its daily peaks).
pub(crate) fn total_tokens(metered: &Metered) -> Decimal {
    metered.total().tokens
}

/// A usage with the same users, features, hosts and directory as `usage`
/// but other sessions: what a what-if re-meters.
pub(crate) fn with_sessions(usage: &Usage, sessions: Sessions) -> Usage {
    Usage {
        users: usage.users.clone(),
        features: usage.features.clone(),
        hosts: usage.hosts.clone(),
        sessions,
        directory: usage.directory.clone(),
        assignments: usage.assignments.clone(),
        // Use-days have no times: no what-if moves them, so the replay
        // keeps them and only the sessions' part of the bill changes.
        use_days: usage.use_days.clone(),
        use_day_cover: usage.use_day_cover,
        ..Usage::default()
    }
}
