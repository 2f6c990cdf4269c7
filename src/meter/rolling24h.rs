//! `Rolling24h`: a charge opens at the first use and covers 24 hours; use
//! after that window opens a new charge — at the window's end if a session
//! is still running then, else at the next session's start (Autodesk Flex,
//! SPEC §2).
//!
//! Sessions shorter than the grace (default 5 minutes) are free. A charge's
//! date is the local date (server zone) of the instant it opens, and it
//! costs the rate in force on that date.

use std::collections::BTreeMap;

use crate::meter::{DayCharge, PairCharges, ProductIdx, ProductPlan};
use crate::time::DayMapper;
use crate::usage::{Session, UserId};

/// Seconds a charge covers.
pub const WINDOW_SECS: i64 = 24 * 3600;

/// The instants at which charges open, for one user's sessions of one
/// product given as `(start, end)` pairs sorted by start.
pub fn charge_openings(sessions: &[(i64, i64)]) -> Vec<i64> {
    let mut openings = Vec::new();
    // End of the current charge's window, and the latest end of any session
    // seen so far (all of which started inside a charged window).
    let mut window_end: Option<i64> = None;
    let mut busy_until = i64::MIN;
    for &(start, end) in sessions {
        // Sessions still running when windows close before this one starts.
        while let Some(we) = window_end {
            if we >= start || busy_until <= we {
                break;
            }
            openings.push(we);
            window_end = Some(we + WINDOW_SECS);
        }
        if window_end.is_none_or(|we| start >= we) {
            openings.push(start);
            window_end = Some(start + WINDOW_SECS);
        }
        busy_until = busy_until.max(end);
    }
    while let Some(we) = window_end {
        if busy_until <= we {
            break;
        }
        openings.push(we);
        window_end = Some(we + WINDOW_SECS);
    }
    openings
}

/// Charges of one product's sessions, and the number of free sessions.
pub(crate) fn meter_product(
    sessions: &[Session],
    product: ProductIdx,
    plan: &ProductPlan<'_>,
) -> (Vec<PairCharges>, u64) {
    let grace = plan.rule.grace_secs;
    let mut free = 0u64;
    let mut charged: Vec<(UserId, i64, i64)> = Vec::with_capacity(sessions.len());
    for s in sessions {
        if s.dur < grace {
            free += 1;
        } else {
            charged.push((s.user, s.start_secs(), s.end_secs()));
        }
    }
    charged.sort_unstable();
    let mut mapper = DayMapper::new(plan.tz);
    let mut pairs = Vec::new();
    for group in charged.chunk_by(|a, b| a.0 == b.0) {
        let Some(&(user, _, _)) = group.first() else {
            continue;
        };
        let intervals: Vec<(i64, i64)> = group.iter().map(|&(_, s, e)| (s, e)).collect();
        let mut per_day: BTreeMap<i32, u32> = BTreeMap::new();
        for at in charge_openings(&intervals) {
            *per_day.entry(mapper.day(at)).or_default() += 1;
        }
        let days = per_day
            .into_iter()
            .map(|(day, charges)| DayCharge {
                day,
                charges,
                tokens: plan.rates.at(day) * rust_decimal::Decimal::from(charges),
            })
            .collect();
        pairs.push(PairCharges {
            user,
            product,
            days,
        });
    }
    (pairs, free)
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3600;

    #[test]
    fn autodesk_examples() {
        // Mon 08:00–17:00, Tue 07:00–12:00 (hours from Mon 00:00).
        assert_eq!(
            charge_openings(&[(8 * H, 17 * H), (31 * H, 36 * H)]),
            vec![8 * H, 32 * H]
        );
        // Mon 19:00 – Tue 17:00.
        assert_eq!(charge_openings(&[(19 * H, 41 * H)]), vec![19 * H]);
    }

    #[test]
    fn next_session_after_window_opens_at_its_start() {
        // Mon 08:00–17:00, Tue 09:00–10:00: window closed idle, new at 09:00.
        assert_eq!(
            charge_openings(&[(8 * H, 17 * H), (33 * H, 34 * H)]),
            vec![8 * H, 33 * H]
        );
        // A session ending exactly at the window's end needs no new charge.
        assert_eq!(charge_openings(&[(0, 24 * H)]), vec![0]);
        // Three days straight: a charge every 24 hours.
        assert_eq!(charge_openings(&[(0, 72 * H)]), vec![0, 24 * H, 48 * H]);
    }

    #[test]
    fn long_session_then_later_session() {
        // 0–30 h keeps running past 24 h (charge at 24 h, window to 48 h);
        // a session at 50 h opens at its start.
        assert_eq!(
            charge_openings(&[(0, 30 * H), (10 * H, 11 * H), (50 * H, 51 * H)]),
            vec![0, 24 * H, 50 * H]
        );
    }
}
