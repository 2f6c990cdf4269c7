//! The cost curve of one subscription: total annual cost as a function of
//! its number of seats (SPEC §4). Its totals are seats + tokens, as
//! [`Recommendation::total_cost`](super::Recommendation::total_cost): the
//! `Concurrent` pools cost the same at every point and are left out.

use rust_decimal::Decimal;

use super::input::{PlanInput, UserInput};
use super::optimise::{Pick, Recommendation};

/// One point of a cost curve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurvePoint {
    /// Seats of the subscription.
    pub seats: u32,
    /// Total annual cost of everyone's plans, tokens costed exactly.
    pub total_cost: Decimal,
}

/// Total cost against seat count for one subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostCurve {
    /// Subscription code.
    pub subscription: String,
    /// One point per seat count, from the pinned holders up to every user
    /// the subscription covers a product of.
    pub points: Vec<CurvePoint>,
    /// Index in `points` of the cheapest point (the first when tied).
    pub optimum: usize,
    /// Seats in the recommendation.
    pub recommended_seats: u32,
    /// Users in the order they get a seat (after the pinned holders), by
    /// display name.
    pub order: Vec<String>,
}

/// The cost curve of subscription `s` around a recommendation.
///
/// Every free user starts on their best plan without `s` (at the
/// recommendation's unit price); users then get their best plan with `s`
/// one by one, largest benefit first (ties by name order). Pinned users keep
/// their plan throughout. Each point's tokens are costed exactly with the
/// recommendation's schedule. Returns `None` for an unknown index.
pub fn cost_curve(input: &PlanInput, rec: &Recommendation, s: usize) -> Option<CostCurve> {
    let sub = input.subscriptions.get(s)?;
    let bit = 1u32 << s;
    let p = rec.unit_price;
    let (mut total_s, mut total_t) = (Decimal::ZERO, Decimal::ZERO);
    let mut pinned_seats = 0u32;
    let mut movers: Vec<(Decimal, usize, Pick)> = Vec::new();
    for (i, u) in input.users.iter().enumerate() {
        if let Some(mask) = u.pinned {
            let pick = pick_of(input, u, mask);
            total_s += pick.subscription_cost;
            total_t += pick.tokens;
            pinned_seats += u32::from(mask & bit != 0);
            continue;
        }
        let without = best(input, u, p, |m| m & bit == 0, None);
        total_s += without.subscription_cost;
        total_t += without.tokens;
        let used = super::input::used_products(u);
        if sub.covers & used == 0 {
            continue;
        }
        let with = best(input, u, p, |m| m & bit != 0, Some(without.mask | bit));
        let benefit = without.cost_at(p) - with.cost_at(p);
        movers.push((benefit, i, with_delta(without, with)));
    }
    movers.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut points = Vec::with_capacity(movers.len() + 1);
    let schedule = &rec.schedule;
    points.push(CurvePoint {
        seats: pinned_seats,
        total_cost: total_s + schedule.cost_of_need(total_t).cost,
    });
    for (k, (_, _, delta)) in movers.iter().enumerate() {
        total_s += delta.subscription_cost;
        total_t += delta.tokens;
        points.push(CurvePoint {
            seats: pinned_seats + k as u32 + 1,
            total_cost: total_s + schedule.cost_of_need(total_t).cost,
        });
    }
    let optimum = points
        .iter()
        .enumerate()
        .min_by(|a, b| a.1.total_cost.cmp(&b.1.total_cost).then(a.0.cmp(&b.0)))
        .map_or(0, |(k, _)| k);
    Some(CostCurve {
        subscription: sub.code.clone(),
        points,
        optimum,
        recommended_seats: rec.seats.get(s).copied().unwrap_or(0),
        order: movers
            .iter()
            .map(|(_, i, _)| input.users[*i].name.clone())
            .collect(),
    })
}

fn pick_of(input: &PlanInput, u: &UserInput, mask: u32) -> Pick {
    let (subscription_cost, tokens) = input.plan_parts(u, mask);
    Pick {
        mask,
        subscription_cost,
        tokens,
    }
}

/// The user's cheapest plan at `p` among candidates `keep` accepts and
/// `extra`; candidates come first, in tie-break order.
fn best(
    input: &PlanInput,
    u: &UserInput,
    p: Decimal,
    keep: impl Fn(u32) -> bool,
    extra: Option<u32>,
) -> Pick {
    let mut out: Option<Pick> = None;
    let options = u
        .candidates
        .iter()
        .filter(|c| keep(c.mask))
        .map(|c| Pick {
            mask: c.mask,
            subscription_cost: c.price,
            tokens: c.uncovered,
        })
        .chain(extra.map(|m| pick_of(input, u, m)));
    for pick in options {
        if out.is_none_or(|o| pick.cost_at(p) < o.cost_at(p)) {
            out = Some(pick);
        }
    }
    out.unwrap_or_else(|| pick_of(input, u, 0))
}

/// The change from `a` to `b`, as a pick of differences.
fn with_delta(a: Pick, b: Pick) -> Pick {
    Pick {
        mask: b.mask,
        subscription_cost: b.subscription_cost - a.subscription_cost,
        tokens: b.tokens - a.tokens,
    }
}
