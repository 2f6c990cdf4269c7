//! What each Insights tab found, in one sentence a manager can repeat
//! (issue: "Insights a manager can repeat"): the figure, the period it is
//! over and whose clock dates it, and for a result of zero, why.
//!
//! [`AuditClock`] is what the sentences need beyond the audit report: the
//! server's zone, each office's zone, whether the data can show idle time
//! and whether assignments are loaded. [`Findings::build`] writes the
//! sentences on the audit job's worker.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, TimeZone};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::gui::{fmt, words};
use crate::monitor::AuditReport;
use crate::scenario::{Scenario, parse_tz};
use crate::usage::{Usage, flags};

/// What the sentences need besides the audit report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditClock {
    /// The server's IANA zone (charges are dated on its clock).
    pub server_zone: String,
    /// Office → the zone most of its users' directory rows give.
    pub office_zones: BTreeMap<String, String>,
    /// Sessions the server reclaimed for inactivity.
    pub inactive_sessions: u64,
    /// True when current assignments were loaded.
    pub has_assignments: bool,
}

impl AuditClock {
    /// Reads the clock facts of `usage` under `scenario`.
    pub fn new(usage: &Usage, scenario: &Scenario) -> AuditClock {
        let mut counts: BTreeMap<&str, BTreeMap<&str, u32>> = BTreeMap::new();
        for entry in usage.directory.values() {
            if !entry.location.is_empty() && !entry.time_zone.is_empty() {
                *counts
                    .entry(entry.location.as_str())
                    .or_default()
                    .entry(entry.time_zone.as_str())
                    .or_default() += 1;
            }
        }
        let office_zones = counts
            .into_iter()
            .filter_map(|(office, zones)| {
                let (zone, _) = zones
                    .into_iter()
                    .max_by_key(|(z, n)| (*n, std::cmp::Reverse(*z)))?;
                Some((office.to_owned(), zone.to_owned()))
            })
            .collect();
        AuditClock {
            server_zone: scenario.server_time_zone.clone(),
            office_zones,
            inactive_sessions: usage
                .sessions
                .iter()
                .filter(|s| s.flags & flags::INACTIVE != 0)
                .count() as u64,
            has_assignments: !usage.assignments.is_empty(),
        }
    }
}

/// One sentence per Insights tab.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// The history's period and clock, said once above the tabs.
    pub period: String,
    /// Burn.
    pub burn: String,
    /// Budgets.
    pub budgets: String,
    /// Day boundary.
    pub boundary: String,
    /// Idle what-if, with why a policy saves nothing.
    pub idle: String,
    /// Shadow bill.
    pub shadow: String,
    /// Double dip.
    pub double_dip: String,
    /// Vendor audit.
    pub vendor: String,
}

/// The city of an IANA zone: `America/New_York` → `New York`.
pub fn city(zone: &str) -> String {
    zone.rsplit('/').next().unwrap_or(zone).replace('_', " ")
}

/// The history's first and last dates and its length in days.
struct Period {
    first: NaiveDate,
    last: NaiveDate,
    days: i64,
}

impl Period {
    fn of(r: &AuditReport) -> Option<Period> {
        let first = r.burn.first()?.date;
        let last = r.burn.last()?.date;
        Some(Period {
            first,
            last,
            days: (last - first).num_days() + 1,
        })
    }

    fn words(&self) -> String {
        format!(
            "{} to {} ({} days)",
            self.first,
            self.last,
            fmt::count(self.days.unsigned_abs())
        )
    }
}

impl Findings {
    /// The sentences of `r`.
    pub fn build(r: &AuditReport, clock: &AuditClock) -> Findings {
        let Some(p) = Period::of(r) else {
            let none = "No charges in the loaded data: nothing to find.".to_owned();
            return Findings {
                period: none.clone(),
                burn: none.clone(),
                budgets: none.clone(),
                boundary: none.clone(),
                idle: none.clone(),
                shadow: none.clone(),
                double_dip: none.clone(),
                vendor: vendor(r),
            };
        };
        let server = city(&clock.server_zone);
        Findings {
            period: format!(
                "History {}, dated on the license server's clock ({server}, {}).",
                p.words(),
                clock.server_zone
            ),
            burn: burn(r, &p, &server),
            budgets: budgets(r),
            boundary: boundary(r, clock, &p),
            idle: idle(r, clock, &p),
            shadow: shadow(r, &p),
            double_dip: double_dip(r, clock, &p),
            vendor: vendor(r),
        }
    }
}

fn burn(r: &AuditReport, p: &Period, server: &str) -> String {
    let total: Decimal = r.burn.iter().map(|d| d.tokens).sum();
    let b = &r.burn_summary;
    let average = if p.days > 0 {
        total / Decimal::from(p.days)
    } else {
        Decimal::ZERO
    };
    format!(
        "{} tokens were charged from {} to {} on {server}'s clock, {} a day on average; this month {} so far, {} projected by its end.",
        fmt::tokens(total),
        p.first,
        p.last,
        fmt::tokens(average),
        fmt::tokens(b.month_to_date),
        fmt::tokens(b.projected_month)
    )
}

fn budgets(r: &AuditReport) -> String {
    let with: Vec<_> = r
        .budgets
        .iter()
        .filter(|b| b.allocation.is_some())
        .collect();
    if with.is_empty() {
        return "No budgets: the scenario allocates no tokens to departments (Scenario › Budgets)."
            .to_owned();
    }
    let (start, end) = (with[0].period_start, with[0].period_end);
    let short: Vec<String> = with
        .iter()
        .filter(|b| b.runs_out_in_period)
        .map(|b| match b.run_out {
            Some(d) => format!("{} (on {d})", b.department),
            None => b.department.clone(),
        })
        .collect();
    if short.is_empty() {
        format!(
            "At today's pace no department's budget runs out in the budget year {start} to {end} ({} budgets).",
            with.len()
        )
    } else {
        format!(
            "At today's pace {} of {} budgets run out before the budget year ends on {end}: {}.",
            short.len(),
            with.len(),
            short.join(", ")
        )
    }
}

/// `HH:MM` (or `HH:MM–HH:MM` across daylight saving) of the server's
/// midnight in `office_zone` over the period.
fn midnight_in(server: Tz, office: Tz, p: &Period) -> Option<String> {
    let mut times = BTreeSet::new();
    let mut day = p.first;
    while day <= p.last {
        if let Some(midnight) = day
            .and_hms_opt(0, 0, 0)
            .and_then(|t| server.from_local_datetime(&t).earliest())
        {
            times.insert(midnight.with_timezone(&office).format("%H:%M").to_string());
        }
        // Weekly steps see every daylight-saving offset of the year.
        day = day.checked_add_days(chrono::Days::new(7))?;
    }
    let first = times.first()?;
    let last = times.last()?;
    Some(if first == last {
        first.clone()
    } else {
        format!("{first}–{last}")
    })
}

fn boundary(r: &AuditReport, clock: &AuditClock, p: &Period) -> String {
    let s = &r.day_boundary_summary;
    let server = city(&clock.server_zone);
    if s.charges == 0 {
        return format!(
            "No charge came only from a session crossing {server} midnight, {}: every charged session started on the date it was charged.",
            p.words()
        );
    }
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let all = format!(
        "{} charges, {} in all offices, {}",
        fmt::count(s.charges),
        money(s.cost),
        p.words()
    );
    let Some(top) = s.per_office.iter().max_by(|a, b| a.cost.cmp(&b.cost)) else {
        return format!("Sessions crossing {server} midnight caused {all}.");
    };
    let when = clock
        .office_zones
        .get(&top.name)
        .and_then(|z| parse_tz(z).ok())
        .zip(parse_tz(&clock.server_zone).ok())
        .and_then(|(office, server_tz)| midnight_in(server_tz, office, p));
    match when {
        Some(time) => format!(
            "{server} midnight is {time} in {}: {} charges, {} in {} days ({all}).",
            top.name,
            fmt::count(top.charges),
            money(top.cost),
            fmt::count(p.days.unsigned_abs())
        ),
        None => format!(
            "Most charges caused by crossing {server} midnight are in {}: {} charges, {} ({all}).",
            top.name,
            fmt::count(top.charges),
            money(top.cost)
        ),
    }
}

fn idle(r: &AuditReport, clock: &AuditClock, p: &Period) -> String {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let best = r
        .idle
        .iter()
        .filter(|w| w.tokens_saved > Decimal::ZERO)
        .max_by(|a, b| a.tokens_saved.cmp(&b.tokens_saved));
    let mut text = match best {
        Some(w) => format!(
            "“{}” would have saved the most: {} tokens ({}), {}.",
            w.description,
            fmt::tokens(w.tokens_saved),
            money(w.saving),
            p.words()
        ),
        None => format!("No harvest policy would have saved tokens, {}.", p.words()),
    };
    for w in r.idle.iter().filter(|w| w.tokens_saved.is_zero()) {
        let why = if w.policy.idle_minutes.is_some() && clock.inactive_sessions == 0 {
            "no session in the loaded data was reclaimed by the server for inactivity (only a FlexNet debug log marks those, IN … INACTIVE)"
        } else if w.sessions_shortened == 0 {
            "no session runs past what it would cut"
        } else {
            "the sessions it shortens still touch the same charged days"
        };
        text.push_str(&format!(" “{}” saves nothing: {why}.", w.description));
    }
    text
}

fn shadow(r: &AuditReport, p: &Period) -> String {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let usable: Vec<_> = r.shadow_bill.iter().filter(|s| s.error.is_none()).collect();
    let current = usable.iter().find(|s| s.current);
    let cheapest = usable.iter().min_by(|a, b| a.cost.cmp(&b.cost));
    match (current, cheapest) {
        (Some(c), Some(best)) if best.cost < c.cost => format!(
            "Under today's rule ({}) the history costs {} ({} tokens); under {} it would cost {}, {} less, {}.",
            words::rule_kind(&c.rule).to_lowercase(),
            money(c.cost),
            fmt::tokens(c.tokens),
            words::rule_kind(&best.rule).to_lowercase(),
            money(best.cost),
            money(c.cost - best.cost),
            p.words()
        ),
        (Some(c), _) => format!(
            "Today's rule ({}) is already the cheapest for this history: {} ({} tokens), {}.",
            words::rule_kind(&c.rule).to_lowercase(),
            money(c.cost),
            fmt::tokens(c.tokens),
            p.words()
        ),
        (None, _) => format!(
            "The products are under different rules today, so no one row is today's bill; each row prices the whole history under one rule, {}.",
            p.words()
        ),
    }
}

fn double_dip(r: &AuditReport, clock: &AuditClock, p: &Period) -> String {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    if !clock.has_assignments {
        return "Nothing to check: no current assignments are loaded, so no one is known to hold a subscription.".to_owned();
    }
    if r.double_dip.is_empty() {
        return format!(
            "No double dip: no user was charged tokens for a product a subscription they hold covers, {}.",
            p.words()
        );
    }
    let users: BTreeSet<&str> = r.double_dip.iter().map(|d| d.user.as_str()).collect();
    format!(
        "{} token charges of {} users ({}) fell on days they already held a subscription covering the product, {}.",
        fmt::count(r.double_dip.len() as u64),
        fmt::count(users.len() as u64),
        money(r.double_dip_summary.cost),
        p.words()
    )
}

fn vendor(r: &AuditReport) -> String {
    match &r.vendor_audit {
        None => "No Token Flex export is loaded: open one (File › Open files…) to compare the vendor's charges with the replay.".to_owned(),
        Some(v) => {
            let differ = v.compared - v.agreeing;
            format!(
                "The vendor charged {} tokens from {} to {}, the replay {}: {} of {} user-product-days agree{}.",
                fmt::tokens(v.vendor_tokens),
                v.first,
                v.last,
                fmt::tokens(v.replay_tokens),
                fmt::count(v.agreeing),
                fmt::count(v.compared),
                if differ == 0 {
                    String::new()
                } else {
                    format!(", {} differ (listed below)", fmt::count(differ))
                }
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_york_midnight_in_singapore_moves_with_daylight_saving() {
        // EST (UTC−5) midnight is 05:00 UTC = 13:00 in Singapore (UTC+8);
        // EDT (UTC−4) midnight is 04:00 UTC = 12:00.
        let p = Period {
            first: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(),
            last: NaiveDate::from_ymd_opt(2025, 12, 31).unwrap(),
            days: 365,
        };
        let ny = parse_tz("America/New_York").unwrap();
        let sg = parse_tz("Asia/Singapore").unwrap();
        assert_eq!(midnight_in(ny, sg, &p).as_deref(), Some("12:00–13:00"));
        // In January alone it is 13:00 throughout.
        let jan = Period {
            last: NaiveDate::from_ymd_opt(2025, 1, 31).unwrap(),
            days: 31,
            ..p
        };
        assert_eq!(midnight_in(ny, sg, &jan).as_deref(), Some("13:00"));
        assert_eq!(city("America/New_York"), "New York");
        assert_eq!(city("UTC"), "UTC");
    }
}
