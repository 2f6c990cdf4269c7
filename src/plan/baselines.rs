//! The baselines a recommendation is compared with (SPEC §4): all tokens,
//! all subscriptions, and the current assignments. Their totals are seats +
//! tokens (bought whole, as the plan's); every baseline buys the same
//! `Concurrent` pools, which the report adds to each.

use rayon::prelude::*;
use rust_decimal::Decimal;

use super::input::{PlanInput, UserInput, bits, tie_order};
use super::optimise::Pick;
use super::price::{Purchase, Schedule};

/// One baseline plan for everyone, costed exactly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baseline {
    /// Each user's plan, parallel to [`PlanInput::users`].
    pub picks: Vec<Pick>,
    /// Seats per subscription index.
    pub seats: Vec<u32>,
    /// Subscription prices of all seats.
    pub subscription_cost: Decimal,
    /// Forecast tokens left to tokens.
    pub tokens_needed: Decimal,
    /// The purchase serving them.
    pub purchase: Purchase,
    /// Subscriptions + tokens.
    pub total_cost: Decimal,
}

/// The three baselines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Baselines {
    /// Nobody holds a subscription.
    pub all_tokens: Baseline,
    /// Every user holds the cheapest set of subscriptions covering all the
    /// products they used that any subscription covers (ties: fewer, then
    /// lexicographic codes); products no subscription covers stay tokens.
    pub all_subscriptions: Baseline,
    /// Users hold their current subscriptions, the rest of their use is
    /// tokens — only when assignments were given.
    pub current: Option<Baseline>,
}

/// Costs the three baselines under `schedule`.
pub fn baselines(input: &PlanInput, schedule: &Schedule) -> Baselines {
    let all_covers = input.subscriptions.iter().fold(0u128, |m, s| m | s.covers);
    let all_tokens = baseline(input, schedule, |_| 0);
    let all_subscriptions = baseline(input, schedule, |u| full_cover(input, u, all_covers));
    let current = input
        .has_assignments
        .then(|| baseline(input, schedule, |u| u.current));
    Baselines {
        all_tokens,
        all_subscriptions,
        current,
    }
}

/// The cheapest candidate covering every coverable product of `u`. Some
/// candidate always does: a cheapest cover is never dominated.
fn full_cover(input: &PlanInput, u: &UserInput, all_covers: u128) -> u32 {
    let used = super::input::used_products(u);
    let want = used & all_covers;
    u.candidates
        .iter()
        .filter(|c| input.plan_covers(c.mask) & want == want)
        .min_by(|a, b| a.price.cmp(&b.price).then(tie_order(a.mask, b.mask)))
        .map_or(0, |c| c.mask)
}

fn baseline(
    input: &PlanInput,
    schedule: &Schedule,
    plan: impl Fn(&UserInput) -> u32 + Sync,
) -> Baseline {
    let picks: Vec<Pick> = input
        .users
        .par_iter()
        .with_min_len(256)
        .map(|u| {
            let mask = plan(u);
            let (subscription_cost, tokens) = input.plan_parts(u, mask);
            Pick {
                mask,
                subscription_cost,
                tokens,
            }
        })
        .collect();
    let mut seats = vec![0u32; input.subscriptions.len()];
    let (mut s, mut t) = (Decimal::ZERO, Decimal::ZERO);
    for p in &picks {
        for i in bits(p.mask) {
            seats[i] += 1;
        }
        s += p.subscription_cost;
        t += p.tokens;
    }
    let purchase = schedule.cost_of_need(t);
    Baseline {
        picks,
        seats,
        subscription_cost: s,
        tokens_needed: t,
        total_cost: s + purchase.cost,
        purchase,
    }
}
