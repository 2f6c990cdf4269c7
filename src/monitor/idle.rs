//! Idle what-if (SPEC §6): replay the history with a harvest policy that
//! would have closed sessions earlier, and show the tokens saved.
//!
//! A [`HarvestPolicy`] sets any of three closers; a session ends at the
//! earliest of its own end and every closer set, never before its start:
//! - `idle_minutes` N: sessions the server reclaimed for inactivity
//!   ([`flags::INACTIVE`]) end N minutes earlier. The server only reclaims
//!   after its inactivity timeout, so with N = the timeout the session ends
//!   when the user stopped working; other sessions are left alone (the log
//!   shows no idle time for them).
//! - `cap_hours` H: no session lasts longer than H hours.
//! - `close_at_2359`: a job closes every open session at 23:59:00 local
//!   time of the user (their directory `time_zone`, else the server's): a
//!   session ends at the first local 23:59 at or after its start.
//!
//! [`idle_what_if`] re-meters the harvested sessions under the same
//! scenario and compares each user's tokens with the baseline.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use chrono_tz::Tz;
use rust_decimal::Decimal;
use serde::Serialize;

use rayon::prelude::*;

use crate::meter::{MeterError, Metered, ProductIdx, RateTable, RuleKind, meter};
use crate::monitor::boundary::{PairIndex, calendar_routes};
use crate::monitor::burn::DenseDays;
use crate::monitor::pair_days::PairDays;
use crate::monitor::split::{PairSet, ProductGroups, collect_sessions};
use crate::monitor::{money, plain, user_name, with_sessions};
use crate::progress::Progress;
use crate::scenario::{Scenario, parse_tz};
use crate::time::{DayMapper, date_of_day, local_to_utc};
use crate::usage::{Session, Sessions, Usage, UserId, flags};

/// When sessions would have been closed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HarvestPolicy {
    /// Reclaimed-for-inactivity sessions end this many minutes earlier.
    pub idle_minutes: Option<u32>,
    /// Longest session, hours.
    pub cap_hours: Option<u32>,
    /// Close every session at the user's local 23:59.
    pub close_at_2359: bool,
}

impl HarvestPolicy {
    /// The policy in words, e.g. `idle 60 min + cap 8 h + close at 23:59`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(n) = self.idle_minutes {
            parts.push(format!("idle reclaim {n} min earlier"));
        }
        if let Some(h) = self.cap_hours {
            parts.push(format!("cap {h} h"));
        }
        if self.close_at_2359 {
            parts.push("close at local 23:59".to_string());
        }
        if parts.is_empty() {
            "no change".to_string()
        } else {
            parts.join(" + ")
        }
    }
}

/// Sessions rewritten by a policy.
#[derive(Clone, Debug, Default)]
pub struct Harvested {
    /// Every session, shortened where the policy says.
    pub sessions: Sessions,
    /// Sessions that were shortened.
    pub shortened: u64,
    /// Session seconds cut in all.
    pub seconds_cut: u64,
}

/// The sessions of `usage` with `policy` applied (`server` is the zone of
/// users without a valid directory zone).
pub fn harvest(usage: &Usage, server: Tz, policy: &HarvestPolicy) -> Harvested {
    let h = Harvester::new(usage, server, policy);
    let mut local = h.local();
    let mut out = Harvested::default();
    for s in usage.sessions.iter() {
        let mut s = *s;
        if let Some(cut) = h.apply(&mut s, &mut local) {
            out.shortened += 1;
            out.seconds_cut += cut;
        }
        out.sessions.push(s);
    }
    out
}

/// A policy ready to shorten sessions: each user's zone looked up once.
struct Harvester<'a> {
    policy: &'a HarvestPolicy,
    /// Zones of `close_at_2359`: index 0 the server's.
    zones: Vec<Tz>,
    /// Per user id: index into `zones`.
    zone_of_user: Vec<u16>,
}

/// One thread's caches: a day mapper and the local 23:59 of each day per zone.
struct HarvestLocal {
    mappers: Vec<DayMapper>,
    closes: Vec<DenseDays<i64>>,
}

impl<'a> Harvester<'a> {
    fn new(usage: &Usage, server: Tz, policy: &'a HarvestPolicy) -> Harvester<'a> {
        let mut zones = vec![server];
        let mut zone_of_user = Vec::new();
        if policy.close_at_2359 {
            zone_of_user = vec![0u16; usage.users.len()];
            for (user, entry) in &usage.directory {
                let Ok(tz) = parse_tz(entry.time_zone.trim()) else {
                    continue;
                };
                let z = zones.iter().position(|&t| t == tz).unwrap_or_else(|| {
                    zones.push(tz);
                    zones.len() - 1
                });
                if let Some(slot) = zone_of_user.get_mut(*user as usize) {
                    *slot = u16::try_from(z).unwrap_or(0);
                }
            }
        }
        Harvester {
            policy,
            zones,
            zone_of_user,
        }
    }

    fn local(&self) -> HarvestLocal {
        HarvestLocal {
            mappers: self.zones.iter().map(|&z| DayMapper::new(z)).collect(),
            closes: vec![DenseDays::default(); self.zones.len()],
        }
    }

    /// Shortens `s` as the policy says; the seconds cut when it did.
    #[inline]
    fn apply(&self, s: &mut Session, local: &mut HarvestLocal) -> Option<u64> {
        let start = s.start_secs();
        let end = s.end_secs();
        let mut new_end = end;
        if let Some(n) = self.policy.idle_minutes
            && s.flags & flags::INACTIVE != 0
        {
            new_end = new_end.min(end - i64::from(n) * 60);
        }
        if let Some(h) = self.policy.cap_hours {
            new_end = new_end.min(start + i64::from(h) * 3600);
        }
        if self.policy.close_at_2359 {
            let z = self
                .zone_of_user
                .get(s.user as usize)
                .map_or(0, |&z| usize::from(z));
            if let (Some(mapper), Some(closes)) =
                (local.mappers.get_mut(z), local.closes.get_mut(z))
            {
                new_end = new_end.min(next_2359(mapper, closes, start));
            }
        }
        let new_end = new_end.max(start);
        if new_end < end {
            s.dur = (new_end - start) as u32;
            Some((end - new_end) as u64)
        } else {
            None
        }
    }
}

/// The first local 23:59:00 at or after instant `start`; `closes` caches
/// the instant of each local day's 23:59.
fn next_2359(mapper: &mut DayMapper, closes: &mut DenseDays<i64>, start: i64) -> i64 {
    let day = mapper.day(start);
    let tz = mapper.tz();
    let mut at = |day: i32| {
        *closes.slot(day).get_or_insert_with(|| {
            let Some(t) = NaiveTime::from_hms_opt(23, 59, 0) else {
                return i64::MAX;
            };
            local_to_utc(tz, date_of_day(day).and_time(t))
        })
    };
    let today = at(day);
    if today >= start { today } else { at(day + 1) }
}

/// One user's tokens before and after a policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserSaving {
    /// Display name.
    pub user: String,
    /// Tokens of the baseline.
    pub tokens_before: Decimal,
    /// Tokens with the policy.
    pub tokens_after: Decimal,
    /// Before − after.
    pub tokens_saved: Decimal,
}

/// A harvest policy replayed over the whole history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct IdleWhatIf {
    /// The policy.
    pub policy: HarvestPolicy,
    /// It in words.
    pub description: String,
    /// Sessions it shortened.
    pub sessions_shortened: u64,
    /// Session hours it cut, two decimal places.
    pub hours_cut: Decimal,
    /// Tokens of the baseline.
    pub tokens_before: Decimal,
    /// Tokens with the policy.
    pub tokens_after: Decimal,
    /// Before − after.
    pub tokens_saved: Decimal,
    /// The saving at the base token price, two decimal places.
    pub saving: Decimal,
    /// Users whose tokens change, by name.
    pub per_user: Vec<UserSaving>,
}

/// Replays `usage` under `scenario` with `policy` applied and compares it
/// with `baseline` (the metering of `usage` under `scenario` as it is).
///
/// # Errors
/// What [`meter`] returns.
pub fn idle_what_if(
    usage: &Usage,
    scenario: &Scenario,
    baseline: &Metered,
    policy: &HarvestPolicy,
    price: Decimal,
    progress: &dyn Progress,
) -> Result<IdleWhatIf, MeterError> {
    let server = scenario
        .server_tz()
        .map_err(|message| MeterError::BadZone {
            field: "server_time_zone".into(),
            message,
        })?;
    let (shortened, seconds_cut, per_user) = if usage.use_days.is_empty() {
        replay_changed_pairs(usage, scenario, baseline, server, policy, progress)?
    } else {
        // Use-days join their pairs inside metering: the whole history is
        // replayed.
        let harvested = harvest(usage, server, policy);
        let replay = with_sessions(usage, harvested.sessions);
        let after = meter(&replay, scenario, progress)?;
        let mut per_user: BTreeMap<UserId, (Decimal, Decimal)> = BTreeMap::new();
        for p in &baseline.pairs {
            per_user.entry(p.user).or_default().0 += p.tokens();
        }
        for p in &after.pairs {
            per_user.entry(p.user).or_default().1 += p.tokens();
        }
        (harvested.shortened, harvested.seconds_cut, per_user)
    };
    let mut rows: Vec<UserSaving> = per_user
        .iter()
        .filter(|(_, (b, a))| b != a)
        .map(|(u, (b, a))| UserSaving {
            user: user_name(usage, *u),
            tokens_before: plain(*b),
            tokens_after: plain(*a),
            tokens_saved: plain(b - a),
        })
        .collect();
    rows.sort_by(|a, b| a.user.cmp(&b.user));
    let before: Decimal = per_user.values().map(|(b, _)| *b).sum();
    let after_total: Decimal = per_user.values().map(|(_, a)| *a).sum();
    Ok(IdleWhatIf {
        description: policy.describe(),
        policy: policy.clone(),
        sessions_shortened: shortened,
        hours_cut: money(Decimal::from(seconds_cut) / Decimal::from(3600)),
        tokens_before: plain(before),
        tokens_after: plain(after_total),
        tokens_saved: plain(before - after_total),
        saving: money((before - after_total) * price),
        per_user: rows,
    })
}

/// Each user's tokens of `baseline`, before and after alike.
fn unchanged(baseline: &Metered) -> PerUser {
    let mut per_user: PerUser = BTreeMap::new();
    for p in &baseline.pairs {
        let e = per_user.entry(p.user).or_default();
        let t = p.tokens();
        e.0 += t;
        e.1 += t;
    }
    per_user
}

/// True when a session of `usage` was reclaimed for inactivity.
fn any_inactive(usage: &Usage) -> bool {
    usage
        .sessions
        .segments()
        .par_iter()
        .any(|seg| seg.iter().any(|s| s.flags & flags::INACTIVE != 0))
}

/// True when `product` is under `CalendarDay` in `metered`.
fn is_calendar(metered: &Metered, product: ProductIdx) -> bool {
    metered
        .rules
        .get(usize::from(product))
        .is_some_and(|r| r.kind == RuleKind::CalendarDay)
}

/// Marks the local dates `s` is charged for, when its product is under
/// `CalendarDay`, in its pair's day set (as metering's day scan does:
/// from the date of its start to the date of its last second).
#[inline]
fn mark_calendar_days(
    s: &Session,
    route: &[Option<(ProductIdx, usize, u32)>],
    index: &PairIndex,
    mappers: &mut [DayMapper],
    days: &mut PairDays,
) {
    let Some(&Some((product, zone, grace))) = route.get(s.feature as usize) else {
        return;
    };
    if s.dur < grace {
        return;
    }
    let Some(slot) = index.slot(s.user, product) else {
        return;
    };
    let Some(m) = mappers.get_mut(zone) else {
        return;
    };
    let d0 = m.day(s.start_secs());
    let d1 = if s.dur == 0 {
        d0
    } else {
        m.day(s.end_secs() - 1)
    };
    days.set_range(slot, d0, d1);
}

/// Per user: (tokens before, tokens after).
type PerUser = BTreeMap<UserId, (Decimal, Decimal)>;

/// The policy replayed on the pairs it changes only: one parallel pass
/// finds the sessions it shortens and marks their (user, product) pairs
/// (a whole pool when one of its products is touched: a pool's charges
/// depend on all its sessions); each group of products with a marked pair
/// is metered again with the marked pairs' sessions alone, harvested; every
/// other pair keeps its baseline tokens. Returns the sessions shortened,
/// the seconds cut and each user's tokens before and after.
fn replay_changed_pairs(
    usage: &Usage,
    scenario: &Scenario,
    baseline: &Metered,
    server: Tz,
    policy: &HarvestPolicy,
    progress: &dyn Progress,
) -> Result<(u64, u64, PerUser), MeterError> {
    if policy.cap_hours.is_none() && !policy.close_at_2359 && !any_inactive(usage) {
        // Only idle reclaims could end earlier, and the history has none
        // (a session CSV never does): nothing changes.
        return Ok((0, 0, unchanged(baseline)));
    }
    let h = Harvester::new(usage, server, policy);
    let groups = ProductGroups::new(usage, scenario);
    let users = usage.users.len();
    let products = groups.of_product.len();
    // `CalendarDay` pairs are not metered again: each pair's dates with
    // its harvested sessions are marked in the same pass.
    let index = PairIndex::new(usage, baseline);
    let (route, mappers) = calendar_routes(usage, scenario, baseline);
    let pieces: Vec<&[Session]> = usage
        .sessions
        .segments()
        .iter()
        .flat_map(|seg| seg.chunks(1 << 16))
        .collect();
    let shape = PairDays::new(&index, baseline);
    let empty = || (0u64, 0u64, PairSet::new(users, products), None);
    let run = pieces.len() / (4 * rayon::current_num_threads().max(1));
    let (shortened, seconds_cut, mut changed, harvested_days) = pieces
        .par_iter()
        .with_min_len(run.max(1))
        .fold(
            || {
                let (n, cut, set, _) = empty();
                (n, cut, set, shape.clone(), h.local(), mappers.clone())
            },
            |(mut n, mut cut, mut set, mut days, mut local, mut mappers), piece| {
                for s in *piece {
                    let mut s = *s;
                    if let Some(c) = h.apply(&mut s, &mut local) {
                        n += 1;
                        cut += c;
                        if let Some(p) = groups.product(&s) {
                            set.insert(s.user, p);
                        }
                    }
                    mark_calendar_days(&s, &route, &index, &mut mappers, &mut days);
                }
                (n, cut, set, days, local, mappers)
            },
        )
        .map(|(n, cut, set, days, _, _)| (n, cut, set, Some(days)))
        .reduce(empty, |a, b| {
            let days = match (a.3, b.3) {
                (Some(mut x), Some(y)) => {
                    x.union(&y);
                    Some(x)
                }
                (x, y) => x.or(y),
            };
            (a.0 + b.0, a.1 + b.1, a.2.union(b.2), days)
        });
    let harvested_days = harvested_days.unwrap_or(shape);
    changed.seal();
    let (touched, whole) = touched_groups(&groups, baseline, &changed, users);
    let replays = |user: UserId, product: ProductIdx| {
        let g = groups.of_product.get(usize::from(product)).copied();
        !is_calendar(baseline, product)
            && (g.is_some_and(|g| whole[g]) || changed.contains(user, product))
    };
    let parts: Vec<Result<Metered, MeterError>> = (0..groups.len())
        .into_par_iter()
        .filter(|&g| touched[g])
        .map(|g| {
            let sessions = collect_sessions(
                usage,
                || h.local(),
                |local, s| {
                    let p = groups.product(s)?;
                    if groups.of_session(s) != Some(g) || !replays(s.user, p) {
                        return None;
                    }
                    let mut s = *s;
                    h.apply(&mut s, local);
                    Some(s)
                },
            );
            meter(&with_sessions(usage, sessions), scenario, progress)
        })
        .collect();
    let changed_pairs = ChangedPairs {
        index: &index,
        changed: &changed,
        harvested_days: &harvested_days,
    };
    let per_user = per_user_totals(scenario, baseline, &changed_pairs, replays, parts)?;
    Ok((shortened, seconds_cut, per_user))
}

/// Per group of products: touched by the policy (outside `CalendarDay`),
/// and replayed whole (a touched pool: its charges depend on all its
/// sessions).
fn touched_groups(
    groups: &ProductGroups,
    baseline: &Metered,
    changed: &PairSet,
    users: usize,
) -> (Vec<bool>, Vec<bool>) {
    let mut touched = vec![false; groups.len()];
    let mut whole = vec![false; groups.len()];
    for (p, &g) in groups.of_product.iter().enumerate() {
        if is_calendar(baseline, p as ProductIdx) {
            continue;
        }
        let any = (0..users).any(|u| changed.contains(u as UserId, p as ProductIdx));
        if any {
            touched[g] = true;
            whole[g] = groups.pooled[g];
        }
    }
    (touched, whole)
}

/// What the harvest pass found: the pairs it changed and, for
/// `CalendarDay` pairs, the dates still used.
struct ChangedPairs<'a> {
    index: &'a PairIndex,
    changed: &'a PairSet,
    harvested_days: &'a PairDays,
}

/// Each user's tokens before and after: a changed `CalendarDay` pair at
/// the rate of each date still used, a replayed pair from the groups
/// metered again (`parts`), every other pair as in the baseline.
fn per_user_totals(
    scenario: &Scenario,
    baseline: &Metered,
    pairs: &ChangedPairs<'_>,
    replays: impl Fn(UserId, ProductIdx) -> bool,
    parts: Vec<Result<Metered, MeterError>>,
) -> Result<PerUser, MeterError> {
    let rates: Vec<RateTable> = scenario.products.values().map(RateTable::new).collect();
    let mut per_user: PerUser = BTreeMap::new();
    for (i, p) in baseline.pairs.iter().enumerate() {
        let e = per_user.entry(p.user).or_default();
        let t = p.tokens();
        e.0 += t;
        match pairs.index.calendar_slot(i) {
            Some(slot) if pairs.changed.contains(p.user, p.product) => {
                if let Some(r) = rates.get(usize::from(p.product)) {
                    e.1 += pairs
                        .harvested_days
                        .days(slot)
                        .into_iter()
                        .map(|d| r.at(d))
                        .sum::<Decimal>();
                }
            }
            _ if !replays(p.user, p.product) => e.1 += t,
            _ => {}
        }
    }
    for part in parts {
        for p in &part?.pairs {
            per_user.entry(p.user).or_default().1 += p.tokens();
        }
    }
    Ok(per_user)
}
