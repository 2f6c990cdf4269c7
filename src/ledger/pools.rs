//! Sizing `Concurrent` pools (SPEC §5, last paragraph): what is bought is a
//! pool size, so the question is how many checkouts, token-hours and users a
//! smaller pool would have refused.
//!
//! [`size_pools`] replays every `Concurrent` pool of a [`Metered`] history
//! ([`PoolUsage::sessions`], linger already included) at many sizes with
//! [`PoolTimeline::denial_curve`] and returns one [`PoolSizing`] per pool:
//! the denial curve ([`PoolDenials`] per size) and
//! [`PoolSizing::size_for_target`], the smallest size whose denial rate
//! (denied checkouts ÷ checkouts) is at most the target. These are the
//! `pools` of `tokenplan size --format json` ([`SizeReport::pools`]).
//!
//! **Which sizes.** A pool whose peak is at most [`DENSE_PEAK`] is replayed
//! at every size from 0 to the peak, so its curve and `size_for_target` are
//! exact. A larger pool is replayed on a grid of about [`GRID_POINTS`]
//! sizes from 0 to the peak, then at every size within one grid step on
//! either side of the first grid size that meets the target. Denials
//! almost always fall as the pool grows but need not (refusing a big
//! checkout can let several small ones in), so for a large pool
//! `size_for_target` is the smallest size *evaluated* that meets the
//! target: every size below it down to the previous grid size was checked.
//! At the peak nothing that holds tokens is refused; a zero-length checkout
//! (checkin in its checkout second, no linger) is still checked against the
//! size, so when such checkouts are refused even at the peak the sizes above
//! it are replayed one by one until the target is met.
//!
//! `extra_sizes` (`--pool-sizes 20,26`) are replayed as well and appear in
//! the curve like any other size.
//!
//! **What is replayed.** [`demand_to_size`] gives the checkouts a pool is
//! sized on: today the logged ones. SPEC §5 adds logged denials back as
//! demand before sizing (a pool that was too small hides demand); that is
//! where they will join, counted in [`PoolSizing::added_back_checkouts`],
//! and both `size` and the recommendation's pool lines
//! ([`crate::plan::pools`]) will follow, as both size through
//! [`size_pools`].
//!
//! [`PoolUsage::sessions`]: crate::meter::PoolUsage::sessions
//! [`SizeReport::pools`]: super::SizeReport::pools

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::SecondsFormat;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::meter::{Metered, PoolReplay, PoolSession, PoolTimeline, PoolUsage, RuleKind};
use crate::time::utc;

/// Pools whose peak is at most this are replayed at every size up to it.
pub const DENSE_PEAK: u32 = 200;
/// Grid sizes replayed for a larger pool (about; the peak is always one).
pub const GRID_POINTS: u32 = 100;
/// Decimal places of [`PoolDenials::denial_rate`].
const RATE_DP: u32 = 6;

/// What a pool of one size would have refused over the history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolDenials {
    /// Pool size, tokens.
    pub size: u32,
    /// Checkouts refused.
    pub denied_checkouts: u64,
    /// Draw × hours (linger included) of the refused checkouts, at most 6
    /// places, trailing zeros dropped.
    pub denied_token_hours: Decimal,
    /// Distinct users with at least one refused checkout.
    pub denied_users: u64,
    /// `denied_checkouts` ÷ all checkouts, at most 6 places, trailing zeros
    /// dropped (0 when the pool has no checkouts).
    pub denial_rate: Decimal,
}

/// The sizing of one `Concurrent` pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolSizing {
    /// Pool name (the product code unless products share a named pool).
    pub pool: String,
    /// Codes of the products drawing from it, in code order.
    pub products: Vec<String>,
    /// Highest concurrent draw over the history (no size limit): the size
    /// that refuses nothing that holds tokens.
    pub peak: u32,
    /// First instant the peak was reached, RFC 3339 in UTC.
    pub peak_at: Option<String>,
    /// Checkouts in the history.
    pub checkouts: u64,
    /// Denied checkouts added back as demand before sizing (SPEC §5; none
    /// yet: see [`demand_to_size`]).
    pub added_back_checkouts: u64,
    /// The target denial rate `size_for_target` meets.
    pub target_denial_rate: Decimal,
    /// Smallest size evaluated whose denial rate is at most the target.
    pub size_for_target: u32,
    /// The denial curve, by ascending size.
    pub denials: Vec<PoolDenials>,
}

/// Sizes every `Concurrent` pool of `metered` (see the module docs for
/// which sizes are replayed); sorted by pool name. `target_denial_rate` is
/// a share (0.01 = 1 % of checkouts refused; a negative target counts as 0);
/// `extra_sizes` are replayed besides the automatic ones.
pub fn size_pools(
    metered: &Metered,
    target_denial_rate: Decimal,
    extra_sizes: &[u32],
) -> Vec<PoolSizing> {
    let target = target_denial_rate.max(Decimal::ZERO);
    let mut out: Vec<PoolSizing> = metered
        .pools
        .iter()
        .filter(|p| p.rule == RuleKind::Concurrent)
        .map(|pool| {
            let demand = demand_to_size(pool);
            let timeline = PoolTimeline::new(&demand.sessions);
            let free = timeline.replay(None);
            let curve = denial_curve(&timeline, free.peak, target, extra_sizes);
            let points: Vec<PoolDenials> = curve
                .values()
                .map(|r| PoolDenials {
                    size: r.size.unwrap_or(u32::MAX),
                    denied_checkouts: r.denied_checkouts,
                    denied_token_hours: r.denied_token_hours.normalize(),
                    denied_users: r.denied_users,
                    denial_rate: rate(r),
                })
                .collect();
            PoolSizing {
                pool: pool.name.clone(),
                products: pool
                    .products
                    .iter()
                    .map(|&p| metered.product_code(p).to_string())
                    .collect(),
                peak: pool.peak,
                peak_at: pool
                    .peak_at
                    .map(|t| utc(t).to_rfc3339_opts(SecondsFormat::Secs, true)),
                checkouts: free.checkouts - demand.added_back,
                added_back_checkouts: demand.added_back,
                target_denial_rate: target,
                size_for_target: first_meeting(&curve, target).unwrap_or(free.peak),
                denials: points,
            }
        })
        .collect();
    out.sort_by(|a, b| a.pool.cmp(&b.pool));
    out
}

/// The checkouts a pool is sized on.
pub struct SizedDemand<'a> {
    /// Every checkout to replay: the logged ones, then any added back.
    pub sessions: Cow<'a, [PoolSession]>,
    /// How many of `sessions` are denials added back.
    pub added_back: u64,
}

/// The demand `pool` is sized on: its logged checkouts. Denials added back
/// as demand (SPEC §5: as sessions of the user's median duration, after
/// the entitlement, chaining and served-later filters) are to be appended
/// here, with `added_back` counting them.
pub fn demand_to_size(pool: &PoolUsage) -> SizedDemand<'_> {
    SizedDemand {
        sessions: Cow::Borrowed(&pool.sessions),
        added_back: 0,
    }
}

/// Replays `timeline` at the automatic sizes and `extra`, keyed by size.
fn denial_curve(
    timeline: &PoolTimeline,
    peak: u32,
    target: Decimal,
    extra: &[u32],
) -> BTreeMap<u32, PoolReplay> {
    let mut curve: BTreeMap<u32, PoolReplay> = BTreeMap::new();
    let run = |sizes: Vec<u32>, curve: &mut BTreeMap<u32, PoolReplay>| {
        let todo: Vec<u32> = sizes
            .into_iter()
            .filter(|s| !curve.contains_key(s))
            .collect();
        for r in timeline.denial_curve(&todo) {
            if let Some(size) = r.size {
                curve.insert(size, r);
            }
        }
    };
    let step = if peak <= DENSE_PEAK {
        1
    } else {
        peak.div_ceil(GRID_POINTS)
    };
    let mut grid: Vec<u32> = (0..peak).step_by(step as usize).collect();
    grid.push(peak);
    run(grid, &mut curve);
    if step > 1
        && let Some(hit) = first_meeting(&curve, target)
    {
        let lo = hit.saturating_sub(step - 1);
        let hi = hit.saturating_add(step - 1).min(peak);
        run((lo..=hi).collect(), &mut curve);
    }
    // Only zero-length checkouts can be refused at the peak, and none is at
    // peak + its draw, so this stops within the largest draw.
    if first_meeting(&curve, target).is_none() {
        let mut size = peak;
        while size < u32::MAX && curve.get(&size).is_some_and(|r| !meets(r, target)) {
            size += 1;
            run(vec![size], &mut curve);
        }
    }
    run(extra.to_vec(), &mut curve);
    curve
}

/// The smallest size in `curve` whose denial rate is at most `target`.
fn first_meeting(curve: &BTreeMap<u32, PoolReplay>, target: Decimal) -> Option<u32> {
    curve
        .iter()
        .find(|(_, r)| meets(r, target))
        .map(|(&size, _)| size)
}

/// `denied / checkouts <= target`, compared exactly (no rounding).
fn meets(r: &PoolReplay, target: Decimal) -> bool {
    if r.denied_checkouts == 0 {
        return true;
    }
    match target.checked_mul(Decimal::from(r.checkouts)) {
        Some(allowed) => Decimal::from(r.denied_checkouts) <= allowed,
        None => rate(r) <= target,
    }
}

/// Denied checkouts ÷ checkouts, at most [`RATE_DP`] places, normalised so
/// the JSON is `"0.4"`, not `"0.40"` (0 without checkouts).
fn rate(r: &PoolReplay) -> Decimal {
    if r.checkouts == 0 {
        return Decimal::ZERO;
    }
    (Decimal::from(r.denied_checkouts) / Decimal::from(r.checkouts))
        .round_dp_with_strategy(RATE_DP, RoundingStrategy::MidpointAwayFromZero)
        .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::{PoolSession, PoolUsage};

    fn pool(name: &str, sessions: Vec<PoolSession>) -> PoolUsage {
        let free = PoolTimeline::new(&sessions).replay(None);
        PoolUsage {
            name: name.into(),
            rule: RuleKind::Concurrent,
            products: vec![0],
            time_zone: "UTC".into(),
            peak: free.peak,
            peak_at: free.peak_at,
            daily_peaks: Vec::new(),
            sessions,
        }
    }

    fn ps(start: i64, end: i64, user: u32, draw: u32) -> PoolSession {
        PoolSession {
            start,
            end,
            user,
            host: 0,
            product: 0,
            draw,
        }
    }

    #[test]
    fn a_large_pool_is_replayed_on_a_grid_and_densely_near_the_target() {
        // 1000 users, user i holding 1 token over [i, i + 500): peak 500,
        // grid step 5. At size n < 500, users 0..n are admitted, n..500
        // refused (nothing checks in before 500), then from 500 on each
        // checkin of an admitted user lets exactly one new user in: users
        // 500..500+n. So 2n admitted, 1000 - 2n refused, and the rate
        // (1000 - 2n) / 1000 <= 0.25 first at n = 375 (374: 0.252).
        let sessions: Vec<PoolSession> = (0..1000).map(|i| ps(i, i + 500, i as u32, 1)).collect();
        let metered = Metered {
            products: vec!["P".into()],
            pools: vec![pool("P", sessions.clone())],
            ..Metered::default()
        };
        let target = Decimal::new(25, 2);
        let sized = size_pools(&metered, target, &[7, 100_000]);
        let [p] = &sized[..] else {
            panic!("one pool expected")
        };
        assert_eq!((p.peak, p.checkouts), (500, 1000));
        let sizes: Vec<u32> = p.denials.iter().map(|d| d.size).collect();
        // Grid 0, 5, ..., 495 and 500 (101), the window 371..=379 around the
        // grid hit 375 (8 more), the two extras.
        assert_eq!(sizes.len(), 111);
        assert!(sizes.windows(2).all(|w| w[0] < w[1]));
        assert!(sizes.contains(&7) && sizes.contains(&100_000) && sizes.contains(&500));
        assert!(sizes.contains(&371) && sizes.contains(&379));
        assert!(!sizes.contains(&1) && !sizes.contains(&369) && !sizes.contains(&499));
        assert_eq!(p.size_for_target, 375);
        // Each size's figures are a true replay.
        let t = PoolTimeline::new(&sessions);
        for d in &p.denials {
            let r = t.replay(Some(d.size));
            assert_eq!(d.denied_checkouts, r.denied_checkouts, "size {}", d.size);
        }
        let at = |size: u32| p.denials.iter().find(|d| d.size == size).unwrap();
        assert_eq!(at(375).denied_checkouts, 250);
        assert_eq!(at(374).denial_rate, Decimal::new(252, 3));
        assert_eq!(at(7).denied_checkouts, 986);
        assert_eq!(at(100_000).denied_checkouts, 0);
    }

    #[test]
    fn zero_length_checkouts_refused_at_the_peak_push_the_size_up() {
        // A holds 2 over [0, 10); B's zero-length checkout of 3 at 5 holds
        // nothing (peak 2) but needs 2 + 3 = 5 free at size 5.
        let metered = Metered {
            products: vec!["P".into()],
            pools: vec![pool("P", vec![ps(0, 10, 1, 2), ps(5, 5, 2, 3)])],
            ..Metered::default()
        };
        let p = &size_pools(&metered, Decimal::ZERO, &[])[0];
        assert_eq!(p.peak, 2);
        assert_eq!(p.size_for_target, 5);
        let rates: Vec<(u32, Decimal)> =
            p.denials.iter().map(|d| (d.size, d.denial_rate)).collect();
        let half = Decimal::new(5, 1);
        assert_eq!(
            rates,
            vec![
                (0, Decimal::ONE),
                (1, Decimal::ONE),
                (2, half),
                (3, half),
                (4, half),
                (5, Decimal::ZERO)
            ]
        );
    }
}
