//! `Concurrent`: a pool of concurrent tokens; what is bought is the pool
//! size, the peak (IBM ELM TLSTOK, Siemens VBL, Altair Units; SPEC §2).
//!
//! A checkout holds its draw (the source's count, else the product's rate
//! on the checkout's date) from checkout to checkin + linger. Products whose
//! rule names the same `pool` share it. [`PoolTimeline`] sorts a pool's
//! events once — checkins before checkouts at the same instant — and
//! [`PoolTimeline::replay`] replays them in O(n) at any pool size:
//! - the same user@host holding the same product twice draws once: the
//!   largest draw among its open checkouts, so when the larger one checks
//!   in the holder falls back to the draw of the one still open;
//! - with a pool of size N, a checkout that would take the draw above N is
//!   denied and holds nothing (its checkin is ignored);
//! - a zero-length hold (checkin at the checkout instant, no linger) is
//!   checked against the size but holds nothing and never makes a peak.
//!
//! Per-user rows (see [`crate::meter`]): one [`DayCharge`] per (user,
//! product, local date held), `charges` = 1, `tokens` = that user's own peak
//! draw of the product that date. The pool's peaks are in [`PoolUsage`].

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::meter::{DayCharge, PairCharges, PoolUsage, ProductIdx, ProductPlan, RuleKind};
use crate::time::DayMapper;
use crate::usage::{HostId, Session, UserId};

/// One checkout as a pool sees it. Field order is the sort order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolSession {
    /// Checkout instant, seconds since the epoch.
    pub start: i64,
    /// End of holding: checkin + linger, seconds since the epoch.
    pub end: i64,
    /// Who.
    pub user: UserId,
    /// Where.
    pub host: HostId,
    /// Which product (several share a named pool).
    pub product: ProductIdx,
    /// Tokens (licenses) held.
    pub draw: u32,
}

/// What replaying a pool at one size found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolReplay {
    /// The size replayed (`None`: unlimited).
    pub size: Option<u32>,
    /// Highest draw held at once.
    pub peak: u32,
    /// First instant the peak was reached.
    pub peak_at: Option<i64>,
    /// Checkouts attempted.
    pub checkouts: u64,
    /// Checkouts refused because the pool was full.
    pub denied_checkouts: u64,
    /// Draw × hours of the refused checkouts (hold time including linger),
    /// rounded to 6 decimal places.
    pub denied_token_hours: Decimal,
    /// Distinct users with at least one refused checkout.
    pub denied_users: u64,
}

/// A pool's events sorted once, ready to be replayed at many sizes.
#[derive(Clone, Debug, Default)]
pub struct PoolTimeline {
    sessions: Vec<PoolSession>,
    /// Holder (user, host, product) index per session.
    holder: Vec<u32>,
    holders: usize,
    /// (instant, kind << 31 | session index), kind 0 = checkin, 1 = checkout;
    /// sorted, so checkins come first at an instant.
    events: Vec<(i64, u32)>,
}

const CHECKOUT: u32 = 1 << 31;

impl PoolTimeline {
    /// Sorts the events of `sessions` (in any order); O(n log n).
    ///
    /// At most 2³¹ sessions per pool.
    pub fn new(sessions: &[PoolSession]) -> PoolTimeline {
        let mut sessions = sessions.to_vec();
        sessions.sort_unstable();
        sessions.truncate(CHECKOUT as usize);
        let mut ids: HashMap<(UserId, HostId, ProductIdx), u32> = HashMap::new();
        let holder: Vec<u32> = sessions
            .iter()
            .map(|s| {
                let next = ids.len() as u32;
                *ids.entry((s.user, s.host, s.product)).or_insert(next)
            })
            .collect();
        let mut events = Vec::with_capacity(sessions.len() * 2);
        for (i, s) in sessions.iter().enumerate() {
            events.push((s.start, CHECKOUT | i as u32));
            if s.end > s.start {
                events.push((s.end, i as u32));
            }
        }
        events.sort_unstable();
        PoolTimeline {
            sessions,
            holder,
            holders: ids.len(),
            events,
        }
    }

    /// The sessions, sorted.
    pub fn sessions(&self) -> &[PoolSession] {
        &self.sessions
    }

    /// Replays the pool with at most `size` tokens held at once (`None`:
    /// unlimited); O(n) plus the distinct denied users.
    pub fn replay(&self, size: Option<u32>) -> PoolReplay {
        self.run(size, |_, _| {})
    }

    /// [`PoolTimeline::replay`] at each of `sizes`, in parallel, in order.
    pub fn denial_curve(&self, sizes: &[u32]) -> Vec<PoolReplay> {
        sizes.par_iter().map(|&n| self.replay(Some(n))).collect()
    }

    /// The peak draw per local date of `mapper`'s zone (no size limit),
    /// dates with a non-zero draw only, ascending.
    pub fn daily_peaks(&self, mapper: &mut DayMapper) -> Vec<(i32, u32)> {
        let mut peaks: BTreeMap<i32, u32> = BTreeMap::new();
        let mut bump = |d: i32, v: u32| {
            if v > 0 {
                let p = peaks.entry(d).or_default();
                *p = (*p).max(v);
            }
        };
        let mut prev: Option<(i64, u32)> = None;
        self.run(None, |t, draw| {
            let day = mapper.day(t);
            if let Some((pt, pd)) = prev
                && pd > 0
            {
                // The draw held since the previous instant covers the dates
                // in between, and this date's start unless `t` is its midnight.
                let pday = mapper.day(pt);
                for d in pday.saturating_add(1)..day {
                    bump(d, pd);
                }
                if day > pday && mapper.day(t - 1) == day {
                    bump(day, pd);
                }
            }
            bump(day, draw);
            prev = Some((t, draw));
        });
        peaks.into_iter().collect()
    }

    /// The replay; `observe(t, draw)` after all events of each instant.
    fn run(&self, size: Option<u32>, mut observe: impl FnMut(i64, u32)) -> PoolReplay {
        // Per holder, the draws of its admitted open checkouts, ascending:
        // it holds the last (largest). Usually one or two entries.
        let mut open: Vec<Vec<u32>> = vec![Vec::new(); self.holders];
        let mut admitted = vec![false; self.sessions.len()];
        let limit = size.map(u64::from);
        let mut cur: u64 = 0;
        let mut out = PoolReplay {
            size,
            ..PoolReplay::default()
        };
        let mut peak: u64 = 0;
        let mut denied_token_secs: u128 = 0;
        let mut denied_users: Vec<UserId> = Vec::new();
        let mut i = 0;
        while let Some(&(t, _)) = self.events.get(i) {
            while let Some(&(et, code)) = self.events.get(i) {
                if et != t {
                    break;
                }
                i += 1;
                let idx = (code & !CHECKOUT) as usize;
                let (Some(s), Some(&k)) = (self.sessions.get(idx), self.holder.get(idx)) else {
                    continue;
                };
                let Some(draws) = open.get_mut(k as usize) else {
                    continue;
                };
                let held = u64::from(draws.last().copied().unwrap_or(0));
                if code & CHECKOUT == 0 {
                    if admitted.get(idx) == Some(&true)
                        && let Ok(pos) = draws.binary_search(&s.draw)
                    {
                        draws.remove(pos);
                        let now = u64::from(draws.last().copied().unwrap_or(0));
                        cur -= held - now;
                    }
                    continue;
                }
                out.checkouts += 1;
                let draw = u64::from(s.draw);
                let extra = draw.saturating_sub(held);
                if limit.is_some_and(|n| cur + extra > n) {
                    out.denied_checkouts += 1;
                    denied_token_secs += u128::from(draw) * (s.end - s.start).max(0) as u128;
                    denied_users.push(s.user);
                    continue;
                }
                if s.end <= s.start {
                    continue;
                }
                admitted[idx] = true;
                let pos = draws.partition_point(|&d| d <= s.draw);
                draws.insert(pos, s.draw);
                cur += extra;
                if cur > peak {
                    peak = cur;
                    out.peak_at = Some(t);
                }
            }
            observe(t, u32::try_from(cur).unwrap_or(u32::MAX));
        }
        out.peak = u32::try_from(peak).unwrap_or(u32::MAX);
        denied_users.sort_unstable();
        denied_users.dedup();
        out.denied_users = denied_users.len() as u64;
        out.denied_token_hours = i128::try_from(denied_token_secs)
            .ok()
            .and_then(|s| Decimal::try_from_i128_with_scale(s, 0).ok())
            .and_then(|s| s.checked_div(Decimal::from(3600)))
            .unwrap_or(Decimal::MAX)
            .round_dp_with_strategy(6, RoundingStrategy::MidpointAwayFromZero);
        out
    }
}

/// Replays `sessions` (any order) with a pool of `size` tokens (`None`:
/// unlimited). To replay one pool at many sizes, build a [`PoolTimeline`]
/// once and call [`PoolTimeline::replay`] or [`PoolTimeline::denial_curve`].
pub fn replay_pool(sessions: &[PoolSession], size: Option<u32>) -> PoolReplay {
    PoolTimeline::new(sessions).replay(size)
}

/// `d` as a whole non-negative `u32` draw, when it is one.
pub(crate) fn whole_draw(d: Decimal) -> Option<u32> {
    if !d.fract().is_zero() || d.is_sign_negative() {
        return None;
    }
    rust_decimal::prelude::ToPrimitive::to_u32(&d)
}

/// Meters one `Concurrent` pool: its peaks, per-user rows, and which
/// sessions draw their product's rate (see [`PoolMetered`]).
pub(crate) fn meter_pool(
    name: &str,
    members: &[(ProductIdx, &[Session])],
    plans: &[ProductPlan<'_>],
) -> PoolMetered {
    meter_pool_as(name, members, plans, RuleKind::Concurrent)
}

/// One pool as metering leaves it.
pub(crate) struct PoolMetered {
    /// The pool, its sessions sorted.
    pub(crate) pool: PoolUsage,
    /// Per-user rows: each user's own peak per product and date.
    pub(crate) pairs: Vec<PairCharges>,
    /// Parallel to `pool.sessions`: true when the draw is the product's
    /// rate on the checkout date (the source gave no count).
    pub(crate) rate_drawn: Vec<bool>,
}

/// [`meter_pool`] for a pool of `rule`; dates in the first member's zone.
pub(crate) fn meter_pool_as(
    name: &str,
    members: &[(ProductIdx, &[Session])],
    plans: &[ProductPlan<'_>],
    rule: RuleKind,
) -> PoolMetered {
    let first = members
        .first()
        .and_then(|&(p, _)| plans.get(usize::from(p)));
    let tz = first.map_or(chrono_tz::UTC, |p| p.tz);
    let time_zone = first.map_or_else(|| "UTC".to_string(), |p| p.rule.time_zone.clone());
    let mut mapper = DayMapper::new(tz);
    let mut drawn: Vec<(PoolSession, bool)> = Vec::new();
    for &(product, list) in members {
        let Some(plan) = plans.get(usize::from(product)) else {
            continue;
        };
        let linger = i64::from(plan.rule.linger_secs);
        for s in list {
            let (draw, by_rate) = if s.draw != 0 {
                (u32::from(s.draw), false)
            } else {
                let rate = plan.rates.at(mapper.day(s.start_secs()));
                (whole_draw(rate).unwrap_or(0), true)
            };
            let session = PoolSession {
                start: s.start_secs(),
                end: s.end_secs() + linger,
                user: s.user,
                host: s.host,
                product,
                draw,
            };
            drawn.push((session, by_rate));
        }
    }
    drawn.sort_unstable();
    let (sessions, rate_drawn): (Vec<PoolSession>, Vec<bool>) = drawn.into_iter().unzip();
    let timeline = PoolTimeline::new(&sessions);
    let replay = timeline.replay(None);
    let daily_peaks = timeline.daily_peaks(&mut mapper);
    let pairs = pair_rows(&sessions, &mut mapper);
    let pool = PoolUsage {
        name: name.to_string(),
        rule,
        products: members.iter().map(|&(p, _)| p).collect(),
        time_zone,
        peak: replay.peak,
        peak_at: replay.peak_at,
        daily_peaks,
        sessions,
    };
    PoolMetered {
        pool,
        pairs,
        rate_drawn,
    }
}

/// Per (user, product) of a pool's `sessions`, that holder's own peak draw
/// per local date of `mapper`'s zone: one [`DayCharge`] per date held,
/// `charges` = 1, `tokens` = the peak. Sorted by user then product.
pub fn pair_rows(sessions: &[PoolSession], mapper: &mut DayMapper) -> Vec<PairCharges> {
    let mut by_pair = sessions.to_vec();
    by_pair.sort_unstable_by_key(|s| (s.user, s.product, s.start, s.end, s.host, s.draw));
    by_pair
        .chunk_by(|a, b| (a.user, a.product) == (b.user, b.product))
        .filter_map(|group| {
            let first = group.first()?;
            let days: Vec<DayCharge> = PoolTimeline::new(group)
                .daily_peaks(mapper)
                .into_iter()
                .map(|(day, peak)| DayCharge {
                    day,
                    charges: 1,
                    tokens: Decimal::from(peak),
                })
                .collect();
            (!days.is_empty()).then_some(PairCharges {
                user: first.user,
                product: first.product,
                days,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ps(start: i64, end: i64, user: u32, host: u32, draw: u32) -> PoolSession {
        PoolSession {
            start,
            end,
            user,
            host,
            product: 0,
            draw,
        }
    }

    #[test]
    fn whole_draws() {
        use std::str::FromStr;
        assert_eq!(whole_draw(Decimal::from_str("3").unwrap()), Some(3));
        assert_eq!(whole_draw(Decimal::from_str("3.00").unwrap()), Some(3));
        assert_eq!(whole_draw(Decimal::from_str("3.5").unwrap()), None);
        assert_eq!(whole_draw(Decimal::from_str("-1").unwrap()), None);
        assert_eq!(whole_draw(Decimal::from_str("5000000000").unwrap()), None);
    }

    #[test]
    fn a_holder_falls_back_to_its_open_draw() {
        // User 1 on host 1 holds the product twice: 3 tokens over [0, 10),
        // 2 over [5, 20); user 2 draws 2 over [12, 15).
        // 0..10: the holder draws max(3, 2) = 3; 10..20: only the 2 is
        // open, so at 12 the pool holds 2 + 2 = 4, not 3 + 2 = 5.
        let s = vec![ps(0, 10, 1, 1, 3), ps(5, 20, 1, 1, 2), ps(12, 15, 2, 1, 2)];
        let t = PoolTimeline::new(&s);
        let free = t.replay(None);
        assert_eq!((free.peak, free.peak_at), (4, Some(12)));
        // Size 4 refuses nothing; size 3 refuses user 2 (2 + 2 > 3).
        assert_eq!(t.replay(Some(4)).denied_checkouts, 0);
        let three = t.replay(Some(3));
        assert_eq!((three.denied_checkouts, three.denied_users), (1, 1));
        assert_eq!(three.peak, 3);
        // Same draws twice: one entry leaves, the other still holds.
        let same = vec![ps(0, 10, 1, 1, 2), ps(5, 20, 1, 1, 2), ps(12, 15, 2, 1, 1)];
        let r = replay_pool(&same, None);
        assert_eq!((r.peak, r.peak_at), (3, Some(12)));
        // Size 3: the holder's second checkout (4 > 3) is refused and
        // holds nothing; its first (1) goes on, so user 2 fits at 8: 1 + 2.
        let refused = vec![ps(0, 10, 1, 1, 1), ps(5, 20, 1, 1, 4), ps(8, 15, 2, 1, 2)];
        let r = replay_pool(&refused, Some(3));
        assert_eq!((r.denied_checkouts, r.peak, r.peak_at), (1, 3, Some(8)));
        assert_eq!(r.denied_token_hours, Decimal::new(16667, 6)); // 4 × 15 s
    }

    #[test]
    fn denial_curve_matches_single_replays() {
        let s = vec![
            ps(0, 10, 1, 1, 2),
            ps(2, 8, 2, 1, 3),
            ps(5, 20, 3, 1, 1),
            ps(9, 12, 4, 1, 4),
        ];
        let t = PoolTimeline::new(&s);
        let curve = t.denial_curve(&[1, 3, 5, 6]);
        for r in &curve {
            assert_eq!(*r, replay_pool(&s, r.size));
        }
        // Unlimited: at 5 the draw is 2+3+1 = 6 (peak), at 9 it is 2+1+4 = 7.
        assert_eq!(t.replay(None).peak, 7);
        assert_eq!(t.replay(None).peak_at, Some(9));
        // Size 6: at 9 the draw is 2+1 = 3 (the 3 left at 8), +4 = 7 > 6.
        assert_eq!(curve[3].denied_checkouts, 1);
        assert_eq!(curve[3].peak, 6);
        assert_eq!(curve[3].denied_token_hours, Decimal::new(3333, 6)); // 4 × 3 s
    }
}
