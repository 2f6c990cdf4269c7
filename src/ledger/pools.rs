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
//! **What is replayed: served and denied demand.** A pool that was too
//! small hides demand, so [`demand_to_size`] adds the logged denials back
//! (SPEC §5) before anything is replayed; both `size` and the
//! recommendation's pool lines ([`crate::plan::pools`]) size through
//! [`size_pools`], so both see the same demand. The denials
//! ([`Metered::denials`], features already mapped to products) pass three
//! filters, in this order, per user@host and product:
//! 1. **Entitlement records.** A denial in the same second as a checkout of
//!    its product by the same user@host is IBM's entitlement record (the
//!    client asks for the product's own feature before drawing tokens), not
//!    a denial. A token denial served in its own second would be dropped by
//!    filter 3 anyway; after mapping the two are not told apart.
//! 2. **Chained retries.** Denials each within [`RETRY_WINDOW_SECS`] (15
//!    minutes, inclusive) of the previous one are one denial: it starts at
//!    the first and asks for the largest count of the chain. This also joins
//!    Autodesk's package and product denial pair, and IBM's own-feature
//!    denial (no count) with the token denial (`(N licenses)`) beside it.
//! 3. **Served later.** A chain followed by a checkout of its product by
//!    the same user@host from its last retry to [`RETRY_WINDOW_SECS`] after
//!    it (inclusive) was served, not lost.
//!
//! Each surviving chain is added back as one checkout by its user@host,
//! from the chain's first denial, drawing what it asked for, held for the
//! median hold of that user's checkouts of the product (linger included, as
//! every hold of the pool), else the median of the product's, else of the
//! pool's, else 0 (a zero-length checkout: checked against the size, holds
//! nothing). A median of an even number of holds is the mean of the middle
//! two, in whole seconds rounded down. [`PoolSizing::checkouts`] counts the
//! logged checkouts, [`PoolSizing::added_back_checkouts`] the added ones,
//! [`PoolSizing::denied_demand`] what each filter removed; the denial curve
//! and [`PoolSizing::size_for_target`] replay both, so a denial rate is
//! denied ÷ (logged + added back). [`PoolSizing::daily`] gives the served
//! and the whole demand's peak per date, for a chart in two colours.
//!
//! [`PoolUsage::sessions`]: crate::meter::PoolUsage::sessions
//! [`SizeReport::pools`]: super::SizeReport::pools
//! [`Metered::denials`]: crate::meter::Metered::denials

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use chrono::{NaiveDate, SecondsFormat};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use crate::meter::{
    Metered, PoolDenial, PoolReplay, PoolSession, PoolTimeline, PoolUsage, ProductIdx, RuleKind,
};
use crate::scenario::parse_tz;
use crate::time::{DayMapper, date_of_day, utc};
use crate::usage::{HostId, UserId};

/// Pools whose peak is at most this are replayed at every size up to it.
pub const DENSE_PEAK: u32 = 200;
/// Grid sizes replayed for a larger pool (about; the peak is always one).
pub const GRID_POINTS: u32 = 100;
/// Decimal places of [`PoolDenials::denial_rate`].
const RATE_DP: u32 = 6;
/// SPEC §5's 15 minutes: a denial within this many seconds of the previous
/// one of its user@host and product is a retry of it; a checkout within
/// this many seconds after a chain's last retry served it. Inclusive.
pub const RETRY_WINDOW_SECS: i64 = 15 * 60;

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
    /// `denied_checkouts` ÷ all checkouts replayed (logged and added back),
    /// at most 6 places, trailing zeros dropped (0 when the pool has no
    /// checkouts).
    pub denial_rate: Decimal,
}

/// The sizing of one `Concurrent` pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolSizing {
    /// Pool name (the product code unless products share a named pool).
    pub pool: String,
    /// Codes of the products drawing from it, in code order.
    pub products: Vec<String>,
    /// Highest concurrent draw of the logged checkouts (no size limit).
    pub peak: u32,
    /// First instant the peak was reached, RFC 3339 in UTC.
    pub peak_at: Option<String>,
    /// Highest concurrent draw with the denied demand added back (no size
    /// limit): the size that refuses nothing that holds tokens. Equal to
    /// `peak` when nothing was added back.
    pub demand_peak: u32,
    /// Checkouts in the history (logged, served or not by a smaller pool).
    pub checkouts: u64,
    /// Denied checkouts added back as demand before sizing (SPEC §5, see
    /// the module docs).
    pub added_back_checkouts: u64,
    /// What became of the pool's logged denials.
    pub denied_demand: DeniedDemand,
    /// The target denial rate `size_for_target` meets.
    pub target_denial_rate: Decimal,
    /// Smallest size evaluated whose denial rate is at most the target.
    pub size_for_target: u32,
    /// The denial curve, by ascending size.
    pub denials: Vec<PoolDenials>,
    /// Per local date of the pool's zone with any demand: the served and
    /// the whole demand's peaks, ascending.
    pub daily: Vec<PoolDay>,
}

/// What SPEC §5's filters made of one pool's logged denials (see the
/// module docs): `logged` = `entitlement_records` + `chained` + `served` +
/// [`PoolSizing::added_back_checkouts`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DeniedDemand {
    /// Denials logged of the pool's products.
    pub logged: u64,
    /// (1) In the same second as a checkout of the product by the same
    /// user@host: entitlement records, not denials.
    pub entitlement_records: u64,
    /// (2) Retries joined to an earlier denial of their chain.
    pub chained: u64,
    /// (3) Chains a checkout by the same user@host served within 15
    /// minutes of their last retry.
    pub served: u64,
}

/// One local date of a pool: served and whole demand, for a chart that
/// shows the added-back part in its own colour.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolDay {
    /// The date, in the pool's zone.
    pub date: NaiveDate,
    /// Peak draw of the logged checkouts that date.
    pub served_peak: u32,
    /// Peak draw with the denied demand added back (at least
    /// `served_peak`; the added-back part is the difference).
    pub demand_peak: u32,
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
            let demand = demand_to_size(pool, &metered.denials);
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
                demand_peak: free.peak,
                checkouts: free.checkouts - demand.added_back,
                added_back_checkouts: demand.added_back,
                denied_demand: demand.filters,
                target_denial_rate: target,
                size_for_target: first_meeting(&curve, target).unwrap_or(free.peak),
                denials: points,
                daily: daily(pool, &timeline, demand.added_back > 0),
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
    /// What the filters made of the pool's logged denials.
    pub filters: DeniedDemand,
}

/// The demand `pool` is sized on: its logged checkouts, and the denials of
/// its products among `denials` (any order; others are ignored) that pass
/// SPEC §5's three filters, added back as checkouts (see the module docs).
pub fn demand_to_size<'a>(pool: &'a PoolUsage, denials: &[PoolDenial]) -> SizedDemand<'a> {
    let mut mine: Vec<PoolDenial> = denials
        .iter()
        .filter(|d| pool.products.contains(&d.product))
        .copied()
        .collect();
    let mut filters = DeniedDemand {
        logged: mine.len() as u64,
        ..DeniedDemand::default()
    };
    if mine.is_empty() {
        return SizedDemand {
            sessions: Cow::Borrowed(&pool.sessions),
            added_back: 0,
            filters,
        };
    }
    mine.sort_unstable();
    // Checkout instants per holder, ascending (the sessions are sorted).
    let mut starts: HashMap<(ProductIdx, UserId, HostId), Vec<i64>> = HashMap::new();
    for s in &pool.sessions {
        starts
            .entry((s.product, s.user, s.host))
            .or_default()
            .push(s.start);
    }
    let mut chains: Vec<Chain> = Vec::new();
    for group in mine.chunk_by(|a, b| (a.product, a.user, a.host) == (b.product, b.user, b.host)) {
        let Some(first) = group.first() else {
            continue;
        };
        let outs = starts
            .get(&(first.product, first.user, first.host))
            .map_or(&[][..], |v| &v[..]);
        chain_group(group, outs, &mut filters, &mut chains);
    }
    if chains.is_empty() {
        return SizedDemand {
            sessions: Cow::Borrowed(&pool.sessions),
            added_back: 0,
            filters,
        };
    }
    let holds = Holds::of(&pool.sessions);
    let mut sessions = pool.sessions.clone();
    for c in &chains {
        let hold = holds.median(c.user, c.product);
        sessions.push(PoolSession {
            start: c.first,
            end: c.first.saturating_add(hold),
            user: c.user,
            host: c.host,
            product: c.product,
            draw: c.count,
        });
    }
    SizedDemand {
        sessions: Cow::Owned(sessions),
        added_back: chains.len() as u64,
        filters,
    }
}

/// A denial that passed the three filters: one chain of retries.
struct Chain {
    product: ProductIdx,
    user: UserId,
    host: HostId,
    /// The first denial of the chain.
    first: i64,
    /// The largest count asked for.
    count: u32,
}

/// Runs the three filters over the denials of one (product, user, host),
/// sorted by time, whose checkouts start at `outs` (ascending): counts
/// what each removes in `filters` and pushes the chains that survive.
fn chain_group(
    group: &[PoolDenial],
    outs: &[i64],
    filters: &mut DeniedDemand,
    chains: &mut Vec<Chain>,
) {
    // (1) Entitlement records: a checkout in the denial's own second.
    let kept: Vec<&PoolDenial> = group
        .iter()
        .filter(|d| outs.binary_search(&d.at).is_err())
        .collect();
    filters.entitlement_records += (group.len() - kept.len()) as u64;
    // (2) Chains of retries, each within the window of the previous one.
    let mut open: Option<(i64, i64, u32)> = None; // (first, last, count)
    let mut close = |first: i64, last: i64, count: u32, filters: &mut DeniedDemand| {
        // (3) Served: a checkout from the last retry to the window after it.
        let next = outs.partition_point(|&t| t < last);
        if outs
            .get(next)
            .is_some_and(|&t| t <= last.saturating_add(RETRY_WINDOW_SECS))
        {
            filters.served += 1;
        } else if let Some(d) = group.first() {
            chains.push(Chain {
                product: d.product,
                user: d.user,
                host: d.host,
                first,
                count,
            });
        }
    };
    for d in kept {
        open = match open {
            Some((first, last, count)) if d.at - last <= RETRY_WINDOW_SECS => {
                filters.chained += 1;
                Some((first, d.at, count.max(d.count)))
            }
            Some((first, last, count)) => {
                close(first, last, count, filters);
                Some((d.at, d.at, d.count))
            }
            None => Some((d.at, d.at, d.count)),
        };
    }
    if let Some((first, last, count)) = open {
        close(first, last, count, filters);
    }
}

/// Hold times (checkin + linger − checkout, seconds) of a pool's checkouts,
/// by (user, product), by product and all together, each sorted.
struct Holds {
    by_user: HashMap<(UserId, ProductIdx), Vec<i64>>,
    by_product: HashMap<ProductIdx, Vec<i64>>,
    all: Vec<i64>,
}

impl Holds {
    fn of(sessions: &[PoolSession]) -> Holds {
        let mut h = Holds {
            by_user: HashMap::new(),
            by_product: HashMap::new(),
            all: Vec::with_capacity(sessions.len()),
        };
        for s in sessions {
            let hold = (s.end - s.start).max(0);
            h.by_user.entry((s.user, s.product)).or_default().push(hold);
            h.by_product.entry(s.product).or_default().push(hold);
            h.all.push(hold);
        }
        h.by_user.values_mut().for_each(|v| v.sort_unstable());
        h.by_product.values_mut().for_each(|v| v.sort_unstable());
        h.all.sort_unstable();
        h
    }

    /// The median hold of `user`'s checkouts of `product`, else of the
    /// product's, else of the pool's, else 0.
    fn median(&self, user: UserId, product: ProductIdx) -> i64 {
        self.by_user
            .get(&(user, product))
            .and_then(|v| median(v))
            .or_else(|| self.by_product.get(&product).and_then(|v| median(v)))
            .or_else(|| median(&self.all))
            .unwrap_or(0)
    }
}

/// The median of sorted non-negative `v`: the middle value, or the mean of
/// the middle two rounded down; `None` when empty.
fn median(v: &[i64]) -> Option<i64> {
    let n = v.len();
    let hi = *v.get(n / 2)?;
    if n % 2 == 1 {
        return Some(hi);
    }
    let lo = *v.get(n / 2 - 1)?;
    Some(lo + (hi - lo) / 2)
}

/// Per date, the served peaks (metering's [`PoolUsage::daily_peaks`]) and
/// the peaks of `timeline` (the whole demand) when `added` (else the same).
fn daily(pool: &PoolUsage, timeline: &PoolTimeline, added: bool) -> Vec<PoolDay> {
    let mut days: BTreeMap<i32, (u32, u32)> = pool
        .daily_peaks
        .iter()
        .map(|&(d, p)| (d, (p, if added { 0 } else { p })))
        .collect();
    if added {
        let mut mapper = DayMapper::new(parse_tz(&pool.time_zone).unwrap_or(chrono_tz::UTC));
        for (d, p) in timeline.daily_peaks(&mut mapper) {
            days.entry(d).or_default().1 = p;
        }
    }
    days.into_iter()
        .map(|(d, (served, all))| PoolDay {
            date: date_of_day(d),
            served_peak: served,
            demand_peak: all.max(served),
        })
        .collect()
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
