//! The per-user best-mix optimiser (SPEC §4).
//!
//! [`optimise()`] chooses every user's plan (a set of subscriptions, possibly
//! none) so that subscription prices plus the cost of the tokens left to buy
//! is least:
//!
//! 1. For each distinct tier price p (one with a flat price), every user
//!    takes the candidate plan with the least `price + p × uncovered tokens`
//!    (ties: fewer subscriptions, then lexicographic codes). Pinned users
//!    take their pin; with current assignments and a switching threshold, a
//!    user keeps the current plan unless the best plan saves at least the
//!    threshold at p.
//! 2. Seat limits are enforced greedily at p (least loss first; see
//!    `enforce_seats`).
//! 3. The plan is costed exactly: prices + [`Schedule::cost_of_need`] of the
//!    total tokens (buying up to a tier's floor when that is cheaper). The
//!    cheapest tier's plan wins: the per-tier evaluation of SPEC §4.
//! 4. With tiers, from each tier's plan single-user moves are tried while
//!    they lower the exact total (local search; skipped where provably
//!    useless). On small unconstrained instances an exact
//!    search over the Pareto frontier of (subscription cost, tokens) replaces
//!    the result when it is cheaper. Neither can make the result worse.
//!
//! With one token price step 1 alone is the exact optimum: users are
//! independent.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::scenario::TokenPrice;

use super::PlanError;
use super::input::{Limits, PlanInput, UserInput, bits};
use super::price::{Purchase, Schedule};

/// Most users with a choice for which the exact frontier search is tried.
const EXACT_MAX_USERS: usize = 64;
/// Largest (subscription cost, tokens) frontier the exact search keeps.
const EXACT_MAX_FRONTIER: usize = 20_000;
/// Most passes of the local search.
const LOCAL_PASSES: usize = 8;

/// One user's plan and what it leaves to tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pick {
    /// Subscriptions held, bit i = [`PlanInput::subscriptions`]`[i]`.
    pub mask: u32,
    /// Their prices summed.
    pub subscription_cost: Decimal,
    /// Forecast tokens of the user's products left to tokens.
    pub tokens: Decimal,
}

impl Pick {
    fn of(input: &PlanInput, user: &UserInput, mask: u32) -> Pick {
        let (subscription_cost, tokens) = input.plan_parts(user, mask);
        Pick {
            mask,
            subscription_cost,
            tokens,
        }
    }
    /// Annual cost at a linear token price.
    pub fn cost_at(&self, price: Decimal) -> Decimal {
        self.subscription_cost + price * self.tokens
    }
}

/// How the recommendation was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Method {
    /// One token price: independent per-user optimum, exact.
    PerUser,
    /// Tiers: the best per-tier evaluation, no move improved it.
    PerTier,
    /// Tiers: the best per-tier evaluation improved by single-user moves.
    LocalSearch,
    /// Tiers: exact search over the (subscription cost, tokens) frontier.
    ExactSearch,
}

/// The optimiser's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recommendation {
    /// Each user's plan, parallel to [`PlanInput::users`].
    pub picks: Vec<Pick>,
    /// Seats per subscription index.
    pub seats: Vec<u32>,
    /// Subscription prices of all seats.
    pub subscription_cost: Decimal,
    /// Forecast tokens left to tokens, all users.
    pub tokens_needed: Decimal,
    /// The token purchase that serves them (may be raised to a tier's floor).
    pub purchase: Purchase,
    /// Subscriptions + tokens: the annual cost of the plan.
    pub total_cost: Decimal,
    /// Token cost per token bought: the price users' token use is costed at
    /// (the bracket price with all-units tiers, the average with incremental).
    pub unit_price: Decimal,
    /// The validated token price the plan was costed with.
    pub schedule: Schedule,
    /// How it was found.
    pub method: Method,
}

impl Recommendation {
    /// Annual cost of one user's pick, tokens at [`Recommendation::unit_price`].
    pub fn user_cost(&self, index: usize) -> Decimal {
        self.picks
            .get(index)
            .map_or(Decimal::ZERO, |p| p.cost_at(self.unit_price))
    }
}

/// Optimises at the scenario's own token price.
///
/// # Errors
/// As [`optimise()`].
pub fn optimise_default(input: &PlanInput) -> Result<Recommendation, PlanError> {
    optimise(input, &input.token_price)
}

/// Chooses every user's plan at token price `price` (see the module doc).
///
/// # Errors
/// [`PlanError::Price`] for an invalid token price, [`PlanError::Constraint`]
/// when seat limits cannot be met.
pub fn optimise(input: &PlanInput, price: &TokenPrice) -> Result<Recommendation, PlanError> {
    let schedule = input.schedule(price)?;
    let locked = locked_users(input);
    let linear = schedule.is_linear();
    // (plan, exact cost, found by local search)
    let mut best: Option<(State, Decimal, bool)> = None;
    for (_, p) in schedule.tier_prices() {
        let mut st = State::choose(input, p);
        enforce_seats(input, &mut st, p)?;
        let mut cost = st.subscription_cost + schedule.cost_of_need(st.tokens).cost;
        let mut searched = false;
        // A plan whose need reaches a cheaper bracket is left to that
        // bracket's own run; one that already sits inside a linear piece at
        // its own price cannot be improved by a single move.
        let reached = schedule.price_of_bracket(schedule.bracket_of(st.tokens));
        if !linear && reached >= p && !settled(input, &st, &schedule, p) {
            let c = local_search(input, &mut st, &schedule, &locked);
            if c < cost {
                cost = c;
                searched = true;
            }
        }
        let better = match &best {
            None => true,
            Some((b, bc, _)) => {
                cost < *bc || (cost == *bc && st.seats.iter().sum::<u32>() < b.seats.iter().sum())
            }
        };
        if better {
            best = Some((st, cost, searched));
        }
    }
    let Some((mut st, cost, searched)) = best else {
        return Err(PlanError::Price("token price has no tiers".into()));
    };
    let mut method = match (linear, searched) {
        (true, _) => Method::PerUser,
        (false, false) => Method::PerTier,
        (false, true) => Method::LocalSearch,
    };
    if !linear
        && !input.limits.has_seat_limits()
        && let Some((masks, exact)) = exact_search(input, &st, &schedule, &locked)
        && exact < cost
    {
        st = State::from_masks(input, &masks);
        method = Method::ExactSearch;
    }
    Ok(st.finish(schedule, method))
}

/// Users the optimiser may not move freely: pinned users, and — when
/// assignments were given and a switching threshold is set — users whose
/// plan the threshold rule decided.
fn locked_users(input: &PlanInput) -> Vec<bool> {
    let threshold = input.has_assignments && input.limits.switching_threshold > Decimal::ZERO;
    input
        .users
        .iter()
        .map(|u| u.pinned.is_some() || threshold)
        .collect()
}

/// A plan for everyone with its running totals.
#[derive(Clone, Debug)]
struct State {
    picks: Vec<Pick>,
    seats: Vec<u32>,
    subscription_cost: Decimal,
    tokens: Decimal,
}

impl State {
    fn from_picks(input: &PlanInput, picks: Vec<Pick>) -> State {
        let mut seats = vec![0u32; input.subscriptions.len()];
        let (mut s, mut t) = (Decimal::ZERO, Decimal::ZERO);
        for p in &picks {
            for i in bits(p.mask) {
                seats[i] += 1;
            }
            s += p.subscription_cost;
            t += p.tokens;
        }
        State {
            picks,
            seats,
            subscription_cost: s,
            tokens: t,
        }
    }

    fn from_masks(input: &PlanInput, masks: &[u32]) -> State {
        let picks = input
            .users
            .iter()
            .zip(masks)
            .map(|(u, &m)| Pick::of(input, u, m))
            .collect();
        State::from_picks(input, picks)
    }

    /// Step 1 of the module doc at price `p`.
    fn choose(input: &PlanInput, p: Decimal) -> State {
        let threshold = input.limits.switching_threshold;
        let use_threshold = input.has_assignments && threshold > Decimal::ZERO;
        let picks: Vec<Pick> = input
            .users
            .par_iter()
            .with_min_len(512)
            .map(|u| {
                if let Some(mask) = u.pinned {
                    return Pick::of(input, u, mask);
                }
                let best = best_candidate(u, p, |_| true);
                if use_threshold && best.mask != u.current {
                    let current = Pick::of(input, u, u.current);
                    if current.cost_at(p) - best.cost_at(p) < threshold {
                        return current;
                    }
                }
                best
            })
            .collect();
        State::from_picks(input, picks)
    }

    fn apply(&mut self, index: usize, pick: Pick) {
        let old = self.picks[index];
        for i in bits(old.mask) {
            self.seats[i] -= 1;
        }
        for i in bits(pick.mask) {
            self.seats[i] += 1;
        }
        self.subscription_cost += pick.subscription_cost - old.subscription_cost;
        self.tokens += pick.tokens - old.tokens;
        self.picks[index] = pick;
    }

    fn finish(self, schedule: Schedule, method: Method) -> Recommendation {
        let purchase = schedule.cost_of_need(self.tokens);
        let unit_price = if purchase.tokens.is_zero() {
            purchase.price
        } else {
            purchase.cost / purchase.tokens
        };
        Recommendation {
            total_cost: self.subscription_cost + purchase.cost,
            picks: self.picks,
            seats: self.seats,
            subscription_cost: self.subscription_cost,
            tokens_needed: self.tokens,
            purchase,
            unit_price,
            schedule,
            method,
        }
    }
}

/// The user's cheapest candidate at price `p` among those `keep` accepts;
/// candidates are in tie-break order, so the first cheapest wins. The empty
/// plan is always a candidate, so a `keep` that accepts it always finds one.
fn best_candidate(u: &UserInput, p: Decimal, keep: impl Fn(u32) -> bool) -> Pick {
    let mut best: Option<(Decimal, Pick)> = None;
    for c in u.candidates.iter().filter(|c| keep(c.mask)) {
        let cost = c.price + p * c.uncovered;
        if best.as_ref().is_none_or(|(b, _)| cost < *b) {
            best = Some((
                cost,
                Pick {
                    mask: c.mask,
                    subscription_cost: c.price,
                    tokens: c.uncovered,
                },
            ));
        }
    }
    best.map_or(
        Pick {
            mask: 0,
            subscription_cost: Decimal::ZERO,
            tokens: u.total_tokens(),
        },
        |(_, pick)| pick,
    )
}

/// True when moving one user from plan `from` to `to` keeps every seat
/// count within its limits (or no further outside them).
fn move_allowed(limits: &Limits, seats: &[u32], from: u32, to: u32) -> bool {
    bits(to & !from).all(|i| seats[i] < limits.max_seats[i])
        && bits(from & !to).all(|i| seats[i] > limits.min_seats[i])
}

/// Enforces seat limits on the plan chosen at price `p`.
///
/// Subscriptions are taken in code order; first every maximum, then every
/// minimum. Over a maximum, the holder who loses least by giving the seat
/// up moves (to their best candidate without it, or their plan minus it);
/// under a minimum, the non-holder who loses least by taking one moves (to
/// their best candidate with it, or their plan plus it). Losses are costed
/// at `p` and re-costed when a user is taken from the queue (lazy greedy),
/// because earlier moves change which moves stay within the other limits.
/// Pinned users never move; users kept by the switching threshold may
/// (limits are hard, the threshold is a preference). The limits are met
/// exactly or this fails.
fn enforce_seats(input: &PlanInput, st: &mut State, p: Decimal) -> Result<(), PlanError> {
    let limits = &input.limits;
    if !limits.has_seat_limits() {
        return Ok(());
    }
    for s in 0..input.subscriptions.len() {
        let bit = 1u32 << s;
        if st.seats[s] > limits.max_seats[s] {
            greedy(
                input,
                st,
                p,
                s,
                |m| m & bit != 0,
                |m| m & !bit,
                |c| c & bit == 0,
            );
            if st.seats[s] > limits.max_seats[s] {
                return Err(PlanError::Constraint(format!(
                    "subscription {}: cannot bring seats down to the maximum {}",
                    input.subscriptions[s].code, limits.max_seats[s]
                )));
            }
        }
    }
    for s in 0..input.subscriptions.len() {
        let bit = 1u32 << s;
        if st.seats[s] < limits.min_seats[s] {
            greedy(
                input,
                st,
                p,
                s,
                |m| m & bit == 0,
                |m| m | bit,
                |c| c & bit != 0,
            );
            if st.seats[s] < limits.min_seats[s] {
                return Err(PlanError::Constraint(format!(
                    "subscription {}: cannot raise seats to the minimum {}",
                    input.subscriptions[s].code, limits.min_seats[s]
                )));
            }
        }
    }
    Ok(())
}

/// One lazy-greedy pass of [`enforce_seats`] for subscription `s`: users
/// whose plan `eligible` accepts move to the cheapest allowed plan among
/// `fallback(plan)` and their candidates that `target` accepts, least loss
/// first, until the limit of `s` is met.
fn greedy(
    input: &PlanInput,
    st: &mut State,
    p: Decimal,
    s: usize,
    eligible: impl Fn(u32) -> bool,
    fallback: impl Fn(u32) -> u32,
    target: impl Fn(u32) -> bool,
) {
    let limits = &input.limits;
    let done =
        |st: &State| st.seats[s] <= limits.max_seats[s] && st.seats[s] >= limits.min_seats[s];
    let best_move = |st: &State, i: usize| -> Option<(Decimal, Pick)> {
        let u = &input.users[i];
        let now = st.picks[i];
        let mut best: Option<(Decimal, Pick)> = None;
        let fb = Pick::of(input, u, fallback(now.mask));
        let options =
            std::iter::once(fb).chain(u.candidates.iter().filter(|c| target(c.mask)).map(|c| {
                Pick {
                    mask: c.mask,
                    subscription_cost: c.price,
                    tokens: c.uncovered,
                }
            }));
        for alt in options {
            if !move_allowed(limits, &st.seats, now.mask, alt.mask) {
                continue;
            }
            let loss = alt.cost_at(p) - now.cost_at(p);
            if best.as_ref().is_none_or(|(b, _)| loss < *b) {
                best = Some((loss, alt));
            }
        }
        best
    };
    let mut heap = BinaryHeap::new();
    for i in 0..input.users.len() {
        if input.users[i].pinned.is_some() || !eligible(st.picks[i].mask) {
            continue;
        }
        if let Some((loss, _)) = best_move(st, i) {
            heap.push(Reverse((loss, i)));
        }
    }
    while !done(st) {
        let Some(Reverse((loss, i))) = heap.pop() else {
            return;
        };
        if !eligible(st.picks[i].mask) {
            continue;
        }
        let Some((now_loss, alt)) = best_move(st, i) else {
            continue;
        };
        if now_loss > loss
            && let Some(Reverse((next, _))) = heap.peek()
            && now_loss > *next
        {
            heap.push(Reverse((now_loss, i)));
            continue;
        }
        st.apply(i, alt);
    }
}

/// True when no single-user move can lower the exact total, so the local
/// search can be skipped: every free user took their cheapest plan at
/// price `p` (no seat limit moved anyone), and around the total need the
/// token cost is linear with slope `p` for further than any one user's
/// tokens reach. A move then changes the total by its own cost change at
/// `p`, which is never negative.
fn settled(input: &PlanInput, st: &State, schedule: &Schedule, p: Decimal) -> bool {
    if input.limits.has_seat_limits() {
        return false;
    }
    let Some((lo, hi, slope)) = schedule.linear_piece(st.tokens) else {
        return false;
    };
    let reach = input.max_user_tokens;
    slope == p && st.tokens - reach >= lo && hi.is_none_or(|h| st.tokens + reach < h)
}

/// Single-user moves to any candidate while one lowers the exact total;
/// returns the total reached.
///
/// Each round first scans every user in parallel against the current
/// totals for a move that would lower the total, then applies moves
/// sequentially in user order, each re-checked against the totals as they
/// stand (so the result does not depend on thread timing). Most rounds find
/// nothing, which the parallel scan settles quickly.
fn local_search(
    input: &PlanInput,
    st: &mut State,
    schedule: &Schedule,
    locked: &[bool],
) -> Decimal {
    let mut cost = st.subscription_cost + schedule.cost_of_need(st.tokens).cost;
    for _ in 0..LOCAL_PASSES {
        let (s0, t0, c0) = (st.subscription_cost, st.tokens, cost);
        let picks = &st.picks;
        let promising: Vec<usize> = (0..input.users.len())
            .into_par_iter()
            .with_min_len(256)
            .filter(|&i| {
                !locked[i]
                    && input.users[i]
                        .candidates
                        .iter()
                        .any(|c| improves(schedule, s0, t0, c0, picks[i], c.price, c.uncovered))
            })
            .collect();
        let mut improved = false;
        for i in promising {
            for c in &input.users[i].candidates {
                let now = st.picks[i];
                if c.mask == now.mask
                    || !improves(
                        schedule,
                        st.subscription_cost,
                        st.tokens,
                        cost,
                        now,
                        c.price,
                        c.uncovered,
                    )
                    || !move_allowed(&input.limits, &st.seats, now.mask, c.mask)
                {
                    continue;
                }
                st.apply(
                    i,
                    Pick {
                        mask: c.mask,
                        subscription_cost: c.price,
                        tokens: c.uncovered,
                    },
                );
                cost = st.subscription_cost + schedule.cost_of_need(st.tokens).cost;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    cost
}

/// True when replacing pick `now` by a plan of price `price` leaving
/// `tokens` lowers the exact total `cost` of totals (`s`, `t`).
fn improves(
    schedule: &Schedule,
    s: Decimal,
    t: Decimal,
    cost: Decimal,
    now: Pick,
    price: Decimal,
    tokens: Decimal,
) -> bool {
    let ds = price - now.subscription_cost;
    let dt = tokens - now.tokens;
    // The token cost is monotone: more of both never helps.
    if ds >= Decimal::ZERO && dt >= Decimal::ZERO {
        return false;
    }
    s + ds + schedule.cost_of_need(t + dt).cost < cost
}

/// Exact search for small instances: users with a choice are combined one
/// by one keeping only Pareto-minimal (subscription cost, tokens) pairs —
/// exact because the total is increasing in both. Gives up (None) beyond
/// [`EXACT_MAX_USERS`] users with a choice or a frontier of
/// [`EXACT_MAX_FRONTIER`] points. Locked users keep their plan.
fn exact_search(
    input: &PlanInput,
    st: &State,
    schedule: &Schedule,
    locked: &[bool],
) -> Option<(Vec<u32>, Decimal)> {
    let free: Vec<usize> = (0..input.users.len())
        .filter(|&i| !locked[i] && input.users[i].candidates.len() > 1)
        .collect();
    if free.len() > EXACT_MAX_USERS {
        return None;
    }
    let mut base_s = st.subscription_cost;
    let mut base_t = st.tokens;
    for &i in &free {
        base_s -= st.picks[i].subscription_cost;
        base_t -= st.picks[i].tokens;
    }
    // Each layer: (subscription cost, tokens, parent index, candidate index).
    let mut layers: Vec<Vec<(Decimal, Decimal, usize, usize)>> = Vec::new();
    let mut frontier = vec![(Decimal::ZERO, Decimal::ZERO, 0usize, 0usize)];
    for &i in &free {
        let mut next = Vec::with_capacity(frontier.len() * input.users[i].candidates.len());
        for (pi, &(s, t, _, _)) in frontier.iter().enumerate() {
            for (ci, c) in input.users[i].candidates.iter().enumerate() {
                next.push((s + c.price, t + c.uncovered, pi, ci));
            }
        }
        next.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let mut kept: Vec<(Decimal, Decimal, usize, usize)> = Vec::with_capacity(next.len());
        for x in next {
            if kept.last().is_none_or(|k| x.0 < k.0) {
                kept.push(x);
            }
        }
        if kept.len() > EXACT_MAX_FRONTIER {
            return None;
        }
        layers.push(std::mem::replace(&mut frontier, kept));
    }
    let (mut at, cost) = frontier
        .iter()
        .enumerate()
        .map(|(k, &(s, t, _, _))| (k, base_s + s + schedule.cost_of_need(base_t + t).cost))
        .min_by(|a, b| a.1.cmp(&b.1))?;
    let mut masks: Vec<u32> = st.picks.iter().map(|p| p.mask).collect();
    for (layer_no, &i) in free.iter().enumerate().rev() {
        let (_, _, parent, ci) = frontier[at];
        masks[i] = input.users[i].candidates[ci].mask;
        at = parent;
        frontier = std::mem::take(&mut layers[layer_no]);
    }
    Some((masks, cost))
}
