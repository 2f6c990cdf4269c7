//! Day-boundary audit (SPEC §6): charges caused only by a session crossing
//! the charge boundary, and what another server time zone or per-region
//! servers would have saved.
//!
//! A `CalendarDay` charge of (user, product) on local date D is a boundary
//! charge when no session of that user and product that is charged (not
//! free under the rule's grace) starts on D: the date is only billed because
//! a session started the day before (or earlier) ran past midnight. The
//! other rules have no calendar boundary of this kind (`Rolling24h` windows
//! follow the user, `Hourly` is pro rata, pools bill peaks) and are not
//! audited here.
//!
//! The what-ifs re-meter the whole history ([`server_zone_what_if`]: the
//! server moved to another zone; [`regional_what_if`]: each office's users
//! served by a server in the office's zone) and compare total tokens with
//! the baseline. Products whose rule names its own zone
//! (`CalendarDay(time_zone: "UTC")`) do not move with the server.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::meter::{Catalog, MeterError, Metered, ProductIdx, RuleKind, meter};
use crate::monitor::{money, plain, product_code, total_tokens, user_name, with_sessions};
use crate::progress::Progress;
use crate::scenario::{Scenario, parse_tz};
use crate::time::{DayMapper, date_of_day};
use crate::usage::{Usage, UserId};

/// Office shown for users without a directory location.
pub const NO_OFFICE: &str = "(no office)";

/// One charge caused only by a session crossing midnight.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoundaryCharge {
    /// Who (display name).
    pub user: String,
    /// Product code.
    pub product: String,
    /// The charged date no session started on.
    pub date: NaiveDate,
    /// Tokens of that charge.
    pub tokens: Decimal,
    /// Their cost at the base token price, two decimal places.
    pub cost: Decimal,
    /// The user's office (directory location), or [`NO_OFFICE`].
    pub office: String,
}

/// Boundary charges added up for one user or one office.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GroupTotal {
    /// User display name or office.
    pub name: String,
    /// Boundary charges.
    pub charges: u64,
    /// Their tokens.
    pub tokens: Decimal,
    /// Their cost, two decimal places.
    pub cost: Decimal,
}

/// The day-boundary audit of one metered history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BoundaryAudit {
    /// Every boundary charge, sorted by user, product, date.
    pub charges: Vec<BoundaryCharge>,
    /// Their tokens.
    pub tokens: Decimal,
    /// Their cost, two decimal places.
    pub cost: Decimal,
    /// Per user, by name.
    pub per_user: Vec<GroupTotal>,
    /// Per office, by name.
    pub per_office: Vec<GroupTotal>,
}

/// The boundary charges of `metered`, the metering of `usage` under
/// `scenario`, priced at `price` per token.
pub fn boundary_audit(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    price: Decimal,
) -> BoundaryAudit {
    let starts = charged_starts(usage, scenario, metered);
    let mut charges = Vec::new();
    for pair in &metered.pairs {
        let is_calendar = metered
            .rules
            .get(usize::from(pair.product))
            .is_some_and(|r| r.kind == RuleKind::CalendarDay);
        if !is_calendar {
            continue;
        }
        for d in &pair.days {
            if starts.contains(&(pair.user, pair.product, d.day)) {
                continue;
            }
            charges.push(BoundaryCharge {
                user: user_name(usage, pair.user),
                product: product_code(metered, pair.product).to_string(),
                date: date_of_day(d.day),
                tokens: plain(d.tokens),
                cost: money(d.tokens * price),
                office: office_of(usage, pair.user),
            });
        }
    }
    charges.sort_by(|a, b| (&a.user, &a.product, a.date).cmp(&(&b.user, &b.product, b.date)));
    let group = |key: &dyn Fn(&BoundaryCharge) -> &str| {
        let mut totals: BTreeMap<String, (u64, Decimal)> = BTreeMap::new();
        for c in &charges {
            let t = totals.entry(key(c).to_string()).or_default();
            t.0 += 1;
            t.1 += c.tokens;
        }
        totals
            .into_iter()
            .map(|(name, (n, tokens))| GroupTotal {
                name,
                charges: n,
                tokens: plain(tokens),
                cost: money(tokens * price),
            })
            .collect::<Vec<_>>()
    };
    let per_user = group(&|c| c.user.as_str());
    let per_office = group(&|c| c.office.as_str());
    let tokens: Decimal = charges.iter().map(|c| c.tokens).sum();
    BoundaryAudit {
        tokens: plain(tokens),
        cost: money(tokens * price),
        charges,
        per_user,
        per_office,
    }
}

/// (user, product, local date) on which a charged session of a
/// `CalendarDay` product starts, in the product's zone.
fn charged_starts(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
) -> HashSet<(UserId, ProductIdx, i32)> {
    let catalog = Catalog::build(&usage.features, scenario);
    let mut mappers: HashMap<&str, DayMapper> = HashMap::new();
    let mut starts = HashSet::new();
    for s in usage.sessions.iter() {
        let Some(product) = catalog.product_of(s.feature) else {
            continue;
        };
        let Some(rule) = metered.rules.get(usize::from(product)) else {
            continue;
        };
        if rule.kind != RuleKind::CalendarDay || s.dur < rule.grace_secs {
            continue;
        }
        let mapper = match mappers.get_mut(rule.time_zone.as_str()) {
            Some(m) => m,
            None => {
                // Metering already refused a bad zone, so this is not reached
                // with one; skipping is the safe answer if it were.
                let Ok(tz) = parse_tz(&rule.time_zone) else {
                    continue;
                };
                mappers
                    .entry(rule.time_zone.as_str())
                    .or_insert_with(|| DayMapper::new(tz))
            }
        };
        starts.insert((s.user, product, mapper.day(s.start_secs())));
    }
    // A use-day from a usage report is use on its own date, never a
    // session running on from the day before.
    for d in &usage.use_days {
        let Some(product) = catalog.product_of(d.product) else {
            continue;
        };
        if metered
            .rules
            .get(usize::from(product))
            .is_some_and(|r| r.kind == RuleKind::CalendarDay)
        {
            starts.insert((d.user, product, crate::time::day_of_date(d.date)));
        }
    }
    starts
}

/// The directory location of `user`, or [`NO_OFFICE`].
pub(crate) fn office_of(usage: &Usage, user: UserId) -> String {
    usage
        .directory
        .get(&user)
        .map(|e| e.location.trim())
        .filter(|l| !l.is_empty())
        .map_or_else(|| NO_OFFICE.to_string(), str::to_string)
}

/// The history re-metered with the server in another zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ZoneWhatIf {
    /// The zone tried.
    pub server_time_zone: String,
    /// Tokens of the whole history under it.
    pub tokens: Decimal,
    /// Their cost at the base token price, two decimal places.
    pub cost: Decimal,
    /// Boundary charges left under it.
    pub boundary_charges: u64,
    /// Baseline tokens − these tokens (negative: it would cost more).
    pub saving_tokens: Decimal,
    /// The saving in money, two decimal places.
    pub saving: Decimal,
}

/// The history of `usage` re-metered with `scenario`'s server in `zone`,
/// compared with `baseline` (the metering under `scenario` as it is).
///
/// # Errors
/// What [`meter`] returns; [`MeterError::BadZone`] when `zone` is not IANA.
pub fn server_zone_what_if(
    usage: &Usage,
    scenario: &Scenario,
    baseline: &Metered,
    zone: &str,
    price: Decimal,
    progress: &dyn Progress,
) -> Result<ZoneWhatIf, MeterError> {
    let mut moved = scenario.clone();
    moved.server_time_zone = zone.trim().to_string();
    let metered = meter(usage, &moved, progress)?;
    let audit = boundary_audit(usage, &moved, &metered, price);
    let tokens = total_tokens(&metered);
    let saving_tokens = total_tokens(baseline) - tokens;
    Ok(ZoneWhatIf {
        server_time_zone: moved.server_time_zone,
        tokens: plain(tokens),
        cost: money(tokens * price),
        boundary_charges: audit.charges.len() as u64,
        saving_tokens: plain(saving_tokens),
        saving: money(saving_tokens * price),
    })
}

/// One regional server of a [`RegionalWhatIf`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegionalServer {
    /// Its zone.
    pub time_zone: String,
    /// Offices it serves (as the directory spells them), sorted.
    pub offices: Vec<String>,
    /// Users with sessions it serves.
    pub users: u64,
    /// Tokens of their history metered in its zone.
    pub tokens: Decimal,
}

/// The history re-metered with one server per region.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RegionalWhatIf {
    /// The servers, by zone.
    pub servers: Vec<RegionalServer>,
    /// Tokens in all.
    pub tokens: Decimal,
    /// Their cost at the base token price, two decimal places.
    pub cost: Decimal,
    /// Boundary charges left.
    pub boundary_charges: u64,
    /// Baseline tokens − these tokens.
    pub saving_tokens: Decimal,
    /// The saving in money, two decimal places.
    pub saving: Decimal,
}

/// The history of `usage` with each user's sessions metered in the zone of
/// their office's server: `office_zones` maps an office (directory location,
/// case-insensitive) to an IANA zone; users of other offices, or without
/// one, stay on `scenario`'s server. Compared with `baseline`.
///
/// # Errors
/// What [`meter`] returns; [`MeterError::BadZone`] for a zone that is not
/// IANA.
pub fn regional_what_if(
    usage: &Usage,
    scenario: &Scenario,
    baseline: &Metered,
    office_zones: &BTreeMap<String, String>,
    price: Decimal,
    progress: &dyn Progress,
) -> Result<RegionalWhatIf, MeterError> {
    let mut by_office: BTreeMap<String, String> = BTreeMap::new();
    for (office, zone) in office_zones {
        let zone = zone.trim();
        parse_tz(zone).map_err(|message| MeterError::BadZone {
            field: format!("office_zones.{office}"),
            message,
        })?;
        by_office.insert(office.trim().to_lowercase(), zone.to_string());
    }
    let zone_of = |user: UserId| -> String {
        usage
            .directory
            .get(&user)
            .and_then(|e| by_office.get(&e.location.trim().to_lowercase()))
            .cloned()
            .unwrap_or_else(|| scenario.server_time_zone.clone())
    };
    let mut user_zone: HashMap<UserId, String> = HashMap::new();
    let mut sessions_by_zone: BTreeMap<String, Vec<crate::usage::Session>> = BTreeMap::new();
    for s in usage.sessions.iter() {
        let zone = user_zone.entry(s.user).or_insert_with(|| zone_of(s.user));
        sessions_by_zone.entry(zone.clone()).or_default().push(*s);
    }
    let mut servers = Vec::new();
    let mut tokens = Decimal::ZERO;
    let mut boundary_charges = 0;
    for (zone, sessions) in sessions_by_zone {
        let users: BTreeSet<UserId> = sessions.iter().map(|s| s.user).collect();
        let part = with_sessions(usage, sessions.into_iter().collect());
        let mut regional = scenario.clone();
        regional.server_time_zone = zone.clone();
        let metered = meter(&part, &regional, progress)?;
        boundary_charges += boundary_audit(&part, &regional, &metered, price)
            .charges
            .len() as u64;
        let t = total_tokens(&metered);
        tokens += t;
        let offices: BTreeSet<String> = users
            .iter()
            .filter_map(|u| usage.directory.get(u))
            .map(|e| e.location.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        servers.push(RegionalServer {
            time_zone: zone,
            offices: offices.into_iter().collect(),
            users: users.len() as u64,
            tokens: plain(t),
        });
    }
    let saving_tokens = total_tokens(baseline) - tokens;
    Ok(RegionalWhatIf {
        servers,
        tokens: plain(tokens),
        cost: money(tokens * price),
        boundary_charges,
        saving_tokens: plain(saving_tokens),
        saving: money(saving_tokens * price),
    })
}
