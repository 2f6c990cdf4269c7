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

use crate::meter::{MeterError, Metered, meter};
use crate::monitor::{money, plain, user_name, with_sessions};
use crate::progress::Progress;
use crate::scenario::{Scenario, parse_tz};
use crate::time::{DayMapper, date_of_day, local_to_utc};
use crate::usage::{Sessions, Usage, UserId, flags};

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
    let mut zones: BTreeMap<UserId, Tz> = BTreeMap::new();
    if policy.close_at_2359 {
        for (user, entry) in &usage.directory {
            if let Ok(tz) = parse_tz(entry.time_zone.trim()) {
                zones.insert(*user, tz);
            }
        }
    }
    let mut mappers: BTreeMap<String, DayMapper> = BTreeMap::new();
    let mut out = Harvested::default();
    for s in usage.sessions.iter() {
        let start = s.start_secs();
        let end = s.end_secs();
        let mut new_end = end;
        if let Some(n) = policy.idle_minutes
            && s.flags & flags::INACTIVE != 0
        {
            new_end = new_end.min(end - i64::from(n) * 60);
        }
        if let Some(h) = policy.cap_hours {
            new_end = new_end.min(start + i64::from(h) * 3600);
        }
        if policy.close_at_2359 {
            let tz = zones.get(&s.user).copied().unwrap_or(server);
            let mapper = mappers
                .entry(tz.name().to_string())
                .or_insert_with(|| DayMapper::new(tz));
            new_end = new_end.min(next_2359(mapper, start));
        }
        let new_end = new_end.max(start);
        let mut h = *s;
        if new_end < end {
            out.shortened += 1;
            out.seconds_cut += (end - new_end) as u64;
            h.dur = (new_end - start) as u32;
        }
        out.sessions.push(h);
    }
    out
}

/// The first local 23:59:00 at or after instant `start`.
fn next_2359(mapper: &mut DayMapper, start: i64) -> i64 {
    let day = mapper.day(start);
    let tz = mapper.tz();
    let at = |day: i32| {
        let Some(t) = NaiveTime::from_hms_opt(23, 59, 0) else {
            return i64::MAX;
        };
        local_to_utc(tz, date_of_day(day).and_time(t))
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
        sessions_shortened: harvested.shortened,
        hours_cut: money(Decimal::from(harvested.seconds_cut) / Decimal::from(3600)),
        tokens_before: plain(before),
        tokens_after: plain(after_total),
        tokens_saved: plain(before - after_total),
        saving: money((before - after_total) * price),
        per_user: rows,
    })
}
