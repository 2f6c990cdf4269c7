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

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono_tz::Tz;
use rayon::prelude::*;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;

use crate::meter::{Catalog, MeterError, Metered, ProductIdx, RuleKind, meter, meter_summary};
use crate::monitor::pair_days::PairDays;
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
///
/// One parallel pass over the sessions marks, per charged (user,
/// `CalendarDay` product) pair, the local dates a charged session starts on
/// ([`charged_starts`]: a day bitset per pair, no entry per session); the
/// pairs' charged dates without a mark are the boundary charges.
pub fn boundary_audit(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    price: Decimal,
) -> BoundaryAudit {
    let index = PairIndex::new(usage, metered);
    let starts = charged_starts(usage, scenario, metered, &index);
    // Names and offices once per user, not once per charge.
    let mut names: HashMap<UserId, (String, String)> = HashMap::new();
    let mut charges = Vec::new();
    for (i, pair) in metered.pairs.iter().enumerate() {
        let Some(slot) = index.calendar_slot(i) else {
            continue;
        };
        for d in &pair.days {
            if starts.contains(slot, d.day) {
                continue;
            }
            let (user, office) = names
                .entry(pair.user)
                .or_insert_with(|| (user_name(usage, pair.user), office_of(usage, pair.user)));
            charges.push(BoundaryCharge {
                user: user.clone(),
                product: product_code(metered, pair.product).to_string(),
                date: date_of_day(d.day),
                tokens: plain(d.tokens),
                cost: money(d.tokens * price),
                office: office.clone(),
            });
        }
    }
    charges.sort_by(|a, b| (&a.user, &a.product, a.date).cmp(&(&b.user, &b.product, b.date)));
    let group = |key: &dyn Fn(&BoundaryCharge) -> &str| {
        let mut totals: BTreeMap<&str, (u64, Decimal)> = BTreeMap::new();
        for c in &charges {
            let t = totals.entry(key(c)).or_default();
            t.0 += 1;
            t.1 += c.tokens;
        }
        totals
            .into_iter()
            .map(|(name, (n, tokens))| GroupTotal {
                name: name.to_string(),
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

/// Largest users × products indexed densely (4 bytes each).
const DENSE_LIMIT: usize = 1 << 22;

/// Where a (user, `CalendarDay` product) pair of [`Metered::pairs`] keeps its
/// start dates: a dense users × products table of slots when that is small,
/// a map per pair (never per session) otherwise.
pub(crate) struct PairIndex {
    products: usize,
    users: usize,
    dense: Vec<u32>,
    sparse: HashMap<(UserId, ProductIdx), u32>,
    /// Per pair of `metered.pairs`: its slot, when its product is `CalendarDay`.
    slot_of_pair: Vec<Option<u32>>,
    pub(crate) slots: usize,
}

impl PairIndex {
    pub(crate) fn new(usage: &Usage, metered: &Metered) -> PairIndex {
        let products = metered.products.len();
        let users = usage.users.len();
        let cells = users.saturating_mul(products);
        let mut index = PairIndex {
            products,
            users,
            dense: if cells <= DENSE_LIMIT {
                vec![u32::MAX; cells]
            } else {
                Vec::new()
            },
            sparse: HashMap::new(),
            slot_of_pair: Vec::with_capacity(metered.pairs.len()),
            slots: 0,
        };
        for pair in &metered.pairs {
            let calendar = metered
                .rules
                .get(usize::from(pair.product))
                .is_some_and(|r| r.kind == RuleKind::CalendarDay);
            if !calendar {
                index.slot_of_pair.push(None);
                continue;
            }
            let slot = index.slots as u32;
            index.slots += 1;
            index.slot_of_pair.push(Some(slot));
            let u = pair.user as usize;
            let p = usize::from(pair.product);
            match index.dense.get_mut(u * products + p) {
                Some(cell) if u < users && p < products => *cell = slot,
                _ => {
                    index.sparse.insert((pair.user, pair.product), slot);
                }
            }
        }
        index
    }

    /// The slot of pair `i` of `metered.pairs`, when it is `CalendarDay`.
    pub(crate) fn calendar_slot(&self, i: usize) -> Option<usize> {
        self.slot_of_pair
            .get(i)
            .copied()
            .flatten()
            .map(|s| s as usize)
    }

    /// The slot of (user, product), when the pair has `CalendarDay` charges.
    #[inline]
    pub(crate) fn slot(&self, user: UserId, product: ProductIdx) -> Option<usize> {
        let (u, p) = (user as usize, usize::from(product));
        if u < self.users && p < self.products && !self.dense.is_empty() {
            let s = *self.dense.get(u * self.products + p)?;
            (s != u32::MAX).then_some(s as usize)
        } else {
            self.sparse.get(&(user, product)).map(|&s| s as usize)
        }
    }
}

/// Sessions per piece of the parallel pass.
const PIECE: usize = 1 << 16;

/// Where each feature's sessions go for a `CalendarDay` day set: per
/// feature id, its `CalendarDay` product, the index of the product's zone
/// in the mappers, and its grace; with one day mapper per zone.
pub(crate) type CalendarRoutes = (Vec<Option<(ProductIdx, usize, u32)>>, Vec<DayMapper>);

/// The [`CalendarRoutes`] of `metered`'s `CalendarDay` products.
pub(crate) fn calendar_routes(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
) -> CalendarRoutes {
    let catalog = Catalog::build(&usage.features, scenario);
    // Per product: its zone's index in `zones` and its grace, when it is
    // `CalendarDay`. Metering already refused a bad zone, so skipping one
    // is not reached; it is the safe answer if it were.
    let mut zones: Vec<Tz> = Vec::new();
    let calendar: Vec<Option<(usize, u32)>> = metered
        .rules
        .iter()
        .map(|rule| {
            if rule.kind != RuleKind::CalendarDay {
                return None;
            }
            let tz = parse_tz(&rule.time_zone).ok()?;
            let z = zones.iter().position(|&t| t == tz).unwrap_or_else(|| {
                zones.push(tz);
                zones.len() - 1
            });
            Some((z, rule.grace_secs))
        })
        .collect();
    let route: Vec<Option<(ProductIdx, usize, u32)>> = catalog
        .products()
        .iter()
        .map(|p| {
            let p = (*p)?;
            let (zone, grace) = calendar.get(usize::from(p)).copied().flatten()?;
            Some((p, zone, grace))
        })
        .collect();
    let mappers: Vec<DayMapper> = zones.iter().map(|&z| DayMapper::new(z)).collect();
    (route, mappers)
}

/// The usage's use-days of routed pairs: (slot of `index`, day).
fn use_day_slots<'a>(
    usage: &'a Usage,
    route: &'a [Option<(ProductIdx, usize, u32)>],
    index: &'a PairIndex,
) -> impl Iterator<Item = (usize, i32)> + 'a {
    usage.use_days.iter().filter_map(|d| {
        let &Some((product, _, _)) = route.get(d.product as usize)? else {
            return None;
        };
        let slot = index.slot(d.user, product)?;
        Some((slot, crate::time::day_of_date(d.date)))
    })
}

/// Per slot of `index`, the local dates (the product's zone) on which a
/// charged session (not free under the grace) of the pair starts; and the
/// dates of its use-days, which are use on their own date.
fn charged_starts(
    usage: &Usage,
    scenario: &Scenario,
    metered: &Metered,
    index: &PairIndex,
) -> PairDays {
    let (route, mappers) = calendar_routes(usage, scenario, metered);
    let pieces: Vec<&[crate::usage::Session]> = usage
        .sessions
        .segments()
        .iter()
        .flat_map(|seg| seg.chunks(PIECE))
        .collect();
    let shape = PairDays::new(index, metered);
    let empty = || shape.clone();
    // A few long runs per thread: each run's day sets cost a matrix each.
    let run = pieces.len() / (4 * rayon::current_num_threads().max(1));
    let mut starts = pieces
        .par_iter()
        .with_min_len(run.max(1))
        .fold(
            || (mappers.clone(), empty()),
            |(mut mappers, mut bits), piece| {
                for s in *piece {
                    let Some(&Some((product, zone, grace))) = route.get(s.feature as usize) else {
                        continue;
                    };
                    if s.dur < grace {
                        continue;
                    }
                    let Some(slot) = index.slot(s.user, product) else {
                        continue;
                    };
                    let Some(m) = mappers.get_mut(zone) else {
                        continue;
                    };
                    let day = m.day(s.start_secs());
                    bits.set_range(slot, day, day);
                }
                (mappers, bits)
            },
        )
        .map(|(_, bits)| bits)
        .reduce(empty, |mut a, b| {
            a.union(&b);
            a
        });
    // A use-day from a usage report is use on its own date, never a
    // session running on from the day before.
    for (slot, day) in use_day_slots(usage, &route, index) {
        starts.set_range(slot, day, day);
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
    // Totals only: `CalendarDay` summed from its day sets, no row per
    // charge (the other rules are metered whole).
    let summary = meter_summary(usage, &moved, progress)?;
    let tokens: Decimal = summary.by_day.values().map(|t| t.tokens).sum();
    let boundary_charges = boundary_count(usage, &moved, baseline, progress)?;
    let saving_tokens = total_tokens(baseline) - tokens;
    Ok(ZoneWhatIf {
        server_time_zone: moved.server_time_zone,
        tokens: plain(tokens),
        cost: money(tokens * price),
        boundary_charges,
        saving_tokens: plain(saving_tokens),
        saving: money(saving_tokens * price),
    })
}

/// The number of boundary charges of `usage` metered under `moved` (the
/// scenario of `baseline` with its server in another zone), without
/// metering: one parallel pass marks each `CalendarDay` pair's charged
/// dates and start dates in the moved zones. A zone moves dates, never
/// which pairs are charged, so `baseline`'s pairs frame the sets.
fn boundary_count(
    usage: &Usage,
    moved: &Scenario,
    baseline: &Metered,
    progress: &dyn Progress,
) -> Result<u64, MeterError> {
    // The moved rules (zones, graces), from a metering of no sessions.
    let rules = meter(&with_sessions(usage, Default::default()), moved, progress)?;
    let index = PairIndex::new(usage, baseline);
    let (route, mappers) = calendar_routes(usage, moved, &rules);
    // Moved dates fall at most a day or two off the baseline's.
    let shape = PairDays::with_margin(&index, baseline, 2);
    let pieces: Vec<&[crate::usage::Session]> = usage
        .sessions
        .segments()
        .iter()
        .flat_map(|seg| seg.chunks(PIECE))
        .collect();
    let run = pieces.len() / (4 * rayon::current_num_threads().max(1));
    let empty = || (shape.clone(), shape.clone());
    let (mut used, mut starts) = pieces
        .par_iter()
        .with_min_len(run.max(1))
        .fold(
            || (mappers.clone(), empty()),
            |(mut mappers, (mut used, mut starts)), piece| {
                for s in *piece {
                    let Some(&Some((product, zone, grace))) = route.get(s.feature as usize) else {
                        continue;
                    };
                    if s.dur < grace {
                        continue;
                    }
                    let (Some(slot), Some(m)) =
                        (index.slot(s.user, product), mappers.get_mut(zone))
                    else {
                        continue;
                    };
                    let d0 = m.day(s.start_secs());
                    let d1 = if s.dur == 0 {
                        d0
                    } else {
                        m.day(s.end_secs() - 1)
                    };
                    used.set_range(slot, d0, d1);
                    starts.set_range(slot, d0, d0);
                }
                (mappers, (used, starts))
            },
        )
        .map(|(_, sets)| sets)
        .reduce(empty, |mut a, b| {
            a.0.union(&b.0);
            a.1.union(&b.1);
            a
        });
    // A use-day is use on its own date, and starts there.
    for (slot, day) in use_day_slots(usage, &route, &index) {
        used.set_range(slot, day, day);
        starts.set_range(slot, day, day);
    }
    Ok(used.count_without(&starts))
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
