//! The best-mix optimiser (SPEC §4).
//!
//! [`optimise()`] chooses every user's plan (a set of subscriptions, possibly
//! none) so that subscription prices plus the cost of the tokens left to buy
//! is least, under the scenario's constraints: minimum and maximum seats per
//! subscription, pinned users, and a switching threshold.
//!
//! # The problem
//! Each user `i` picks a plan `m` costing `price(m)` and leaving `tokens_i(m)`
//! to tokens; the plan for everyone costs `Σ price + cost_of_need(Σ tokens)`
//! ([`Schedule::cost_of_need`]: tiers, buying up to a floor). Users interact
//! through the token price (tiers) and through seat limits; otherwise each
//! would simply take their cheapest plan.
//!
//! The switching threshold (with current assignments) keeps a user on the
//! current plan unless a move saves at least the threshold, judged at the
//! token price the plan is optimised at (the tier price of SPEC §4's
//! per-tier evaluation; [`Recommendation::threshold_price`]). Seat limits are
//! hard and the threshold is not: when limits leave no other way, users move
//! for less, as few as possible ([`Recommendation::forced_moves`]), and only
//! then is money compared. Pinned users keep their pin.
//!
//! # The method
//! 1. **Menus** ([`menu`]). Each user's plans worth considering come from
//!    [`PlanInput`]: the cheapest set for each coverage, minus sets another
//!    beats at every token price. When a seat limit can bind, a set is only
//!    beaten by one that is no worse for the limits, so sets a limit can
//!    force stay (two single seats beside a capped collection; a seat of a
//!    subscription with a minimum for a user who does not need it); without
//!    binding limits the menus are as small as before. The threshold drops
//!    (or, under binding limits, flags) plans that would break it.
//! 2. **Per tier price `p`**, every user takes their first cheapest plan at
//!    `p`. With one token price and no binding limit this is the exact
//!    optimum up to the rounding of the purchase to whole tokens (or
//!    packs): users are independent, and rounding adds less than one
//!    quantum's price. It is proven when the rounding adds nothing.
//! 3. **Seat limits** ([`seats`]): Lagrangian seat prices. Each limited
//!    subscription gets a price per seat (a surcharge when its maximum
//!    binds, a rebate when its minimum does) found by coordinate ascent on
//!    the dual; users choose again at those prices, and a lazy greedy moves
//!    the users who lose least until every count is exactly within its
//!    limits (also from the plan of step 2; the better is kept). The dual
//!    value is a lower bound: when the plan's exact cost reaches it (one
//!    token price), the plan is proven optimal — always so with a single
//!    limited subscription, where taking the users who gain most from a
//!    seat is exact.
//! 4. **Local search** ([`local`]) on the exact total: single-user moves,
//!    and seat swaps (the holder who loses least hands the seat to the
//!    non-holder who gains most) where a limit is reached, every step
//!    checked exactly and within the limits. Skipped where provably
//!    useless. The cheapest per-tier plan wins (ties: fewer seats).
//! 5. **Exact search** ([`exact`]) on small instances (up to
//!    64 users with a choice): a dynamic programme over users
//!    keeping, for each count of limited seats, the Pareto-minimal
//!    (subscription cost, tokens) partial plans — exact, because the total
//!    grows with both. When it completes the answer is proven optimal.
//!
//! # Why this method
//! Seat limits make the per-price problem an integer programme; for the
//! 22,000-user case it must be solved in a few milliseconds at each token
//! price. Lagrangian prices keep the users independent (one parallel pass
//! per price update), are exact for the common single-limit case and say
//! how far from optimal the answer can be; the greedy repair makes the
//! counts exact; swaps fix what the prices leave (ties at the marginal
//! user, interactions between limits, tiers). A min-cost-flow model would
//! be exact for one limited subscription only and would not survive tiers
//! or several overlapping limits; exhaustive or branch-and-bound search is
//! kept for the small instances where it is cheap and proves the answer.
//!
//! # What the answer says
//! [`Recommendation::method`] names the step that produced the plan and
//! [`Recommendation::proven_optimal`] is true only when something proves
//! it: one token price with no binding limit and a purchase the rounding
//! to whole tokens (or packs) adds nothing to, a seat-price bound met
//! exactly, or an exact search that completed.

mod exact;
mod local;
mod menu;
mod seats;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::scenario::TokenPrice;

use super::PlanError;
use super::input::PlanInput;
use super::price::{Purchase, Schedule};

pub use menu::MenuCache;
use menu::{Menu, Score, State, choose};

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
    /// Annual cost at a linear token price.
    pub fn cost_at(&self, price: Decimal) -> Decimal {
        self.subscription_cost + price * self.tokens
    }
}

/// Which step of the optimiser produced the plan (see the module doc);
/// serialized in plain words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Method {
    /// One token price, no binding seat limit: every user's own best plan.
    #[serde(rename = "per-user exact")]
    PerUser,
    /// Seat limits: users' best plans at Lagrangian seat prices, repaired
    /// to the limits.
    #[serde(rename = "per-user with seat prices")]
    SeatPrices,
    /// Tiers: the best per-tier evaluation, no move improved it.
    #[serde(rename = "per-tier evaluation")]
    PerTier,
    /// Single-user moves and seat swaps improved the plan.
    #[serde(rename = "local search")]
    LocalSearch,
    /// Exact search over every plan of every user.
    #[serde(rename = "exact search")]
    ExactSearch,
    /// Year 1 of the contract term's plan (SPEC §8), when the term ties
    /// year 1 to the years after it.
    #[serde(rename = "term plan, year 1")]
    TermPlan,
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Method::PerUser => "per-user exact",
            Method::SeatPrices => "per-user with seat prices",
            Method::PerTier => "per-tier evaluation",
            Method::LocalSearch => "local search",
            Method::ExactSearch => "exact search",
            Method::TermPlan => "term plan, year 1",
        })
    }
}

/// How hard [`optimise_with`] searches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Search {
    /// Try the exact search on small instances (on by default). Off, the
    /// heuristics' own answer comes back (tests compare it with exhaustive
    /// search).
    pub exact: bool,
}

impl Default for Search {
    fn default() -> Search {
        Search { exact: true }
    }
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
    /// True only when the plan is proven the cheapest that meets every
    /// constraint: one token price, no binding seat limit and nothing added
    /// by rounding the purchase up, a seat-price lower bound met exactly, or
    /// an exact search that completed.
    pub proven_optimal: bool,
    /// The token price the switching threshold was judged at (the tier
    /// price the plan was optimised at); `None` without a threshold.
    pub threshold_price: Option<Decimal>,
    /// Users moved off their current plan for less than the switching
    /// threshold because seat limits left no other way.
    pub forced_moves: usize,
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
    optimise_with(input, price, Search::default())
}

/// [`optimise()`] with a choice of how hard to search.
///
/// # Errors
/// As [`optimise()`].
pub fn optimise_with(
    input: &PlanInput,
    price: &TokenPrice,
    search: Search,
) -> Result<Recommendation, PlanError> {
    let schedule = input.schedule(price)?;
    let ctx = Context {
        input,
        limited: input.limits.has_seat_limits(),
        threshold: input.has_assignments && input.limits.switching_threshold > Decimal::ZERO,
        linear: schedule.is_linear(),
        schedule: &schedule,
    };
    // Without a threshold the menus do not depend on the token price and
    // are kept with the input.
    let shared = (!ctx.threshold).then(|| input.menus.get(input));
    // Each tier price is a search of its own (their sequential parts run
    // side by side); the first best in tier order wins, as in a loop.
    let tiers: Vec<Decimal> = schedule.tier_prices().into_iter().map(|(_, p)| p).collect();
    let found: Vec<Result<Found, PlanError>> = tiers
        .par_iter()
        .map(|&p| match shared {
            Some(menu) => ctx.at_price(menu, p),
            None => ctx.at_price(&Menu::new(input, Some(p), ctx.limited), p),
        })
        .collect();
    let mut best: Option<Found> = None;
    for found in found {
        let found = found?;
        if best.as_ref().is_none_or(|b| found.key() < b.key()) {
            best = Some(found);
        }
    }
    let Some(mut best) = best else {
        return Err(PlanError::Price("token price has no tiers".into()));
    };
    if search.exact && !best.proven && ctx.small() {
        ctx.exact(shared, &mut best);
    }
    let r = best.finish(schedule);
    Ok(r)
}

/// What one optimisation run works with.
struct Context<'a> {
    input: &'a PlanInput,
    schedule: &'a Schedule,
    /// Some seat limit can bind.
    limited: bool,
    /// A switching threshold is in force.
    threshold: bool,
    /// One token price for every token.
    linear: bool,
}

/// A plan found, with how.
struct Found {
    st: State,
    score: Score,
    method: Method,
    proven: bool,
    threshold_price: Option<Decimal>,
}

impl Found {
    /// Lower is better: score, then fewer seats.
    fn key(&self) -> (Score, u32) {
        (self.score, self.st.seat_total())
    }

    fn finish(self, schedule: Schedule) -> Recommendation {
        let st = self.st;
        let purchase = schedule.cost_of_need(st.tokens);
        let unit_price = if purchase.tokens.is_zero() {
            purchase.price
        } else {
            purchase.cost / purchase.tokens
        };
        Recommendation {
            total_cost: st.subs + purchase.cost,
            picks: st
                .picks
                .iter()
                .map(|o| Pick {
                    mask: o.mask,
                    subscription_cost: o.price,
                    tokens: o.tokens,
                })
                .collect(),
            seats: st.seats,
            subscription_cost: st.subs,
            tokens_needed: st.tokens,
            purchase,
            unit_price,
            schedule,
            method: self.method,
            proven_optimal: self.proven,
            threshold_price: self.threshold_price,
            forced_moves: usize::try_from(st.breaks).unwrap_or(0),
        }
    }
}

impl Context<'_> {
    /// Steps 2–4 of the module doc at tier price `p`.
    fn at_price(&self, menu: &Menu, p: Decimal) -> Result<Found, PlanError> {
        let (mut st, mut method, bound, settled) = if self.limited {
            let (st, bound, settled) = seats::solve(self.input, menu, p, self.linear)?;
            (st, Method::SeatPrices, bound, settled)
        } else {
            let st = State::new(self.input.subscriptions.len(), choose(menu, p));
            // Everyone took their cheapest plan at `p`: no plan scores less
            // at that linear price.
            let bound = Some(st.at(p));
            let method = if self.linear {
                Method::PerUser
            } else {
                Method::PerTier
            };
            (st, method, bound, true)
        };
        let mut score = st.score(self.schedule);
        // With one price for every token no plan's exact cost (rounded up
        // to whole tokens or packs) is below its cost at that price, so
        // meeting the bound proves the plan.
        let proven = |score: Score| self.linear && Some(score) == bound;
        if !proven(score) && self.worth_searching(&st, p, settled) {
            if local::search(self.input, menu, &mut st, self.schedule) {
                method = Method::LocalSearch;
            }
            score = st.score(self.schedule);
        }
        Ok(Found {
            proven: proven(score),
            score,
            st,
            method,
            threshold_price: self.threshold.then_some(p),
        })
    }

    /// Whether the local search on the exact total may improve the plan
    /// found at `p`, which is a local optimum at that linear price when
    /// `settled`.
    ///
    /// With one token price the exact total is the linear one but for the
    /// rounding of the purchase (less than one quantum's price, left to the
    /// exact search on small instances). With tiers, a plan whose need
    /// reaches a cheaper bracket is left to that bracket's own run, and a
    /// settled plan inside a linear piece at its own price cannot be
    /// improved by a move or a swap beyond that rounding ([`settled`]).
    fn worth_searching(&self, st: &State, p: Decimal, settled_at_p: bool) -> bool {
        if self.linear {
            return false;
        }
        let reached = self
            .schedule
            .price_of_bracket(self.schedule.bracket_of(st.tokens));
        // A swap moves two users' tokens.
        let users_moved = if self.limited { 2 } else { 1 };
        reached >= p && !(settled_at_p && settled(self.input, st, self.schedule, p, users_moved))
    }

    /// True when the exact search can be tried: few users with a choice.
    fn small(&self) -> bool {
        let choosing = self
            .input
            .users
            .iter()
            .filter(|u| u.pinned.is_none() && u.candidates_len() + usize::from(self.threshold) > 1)
            .count();
        choosing <= exact::EXACT_MAX_USERS
    }

    /// Step 5: the exact search over the menus (one per tier price with a
    /// threshold); replaces `best` when it finds a better plan, and proves
    /// the answer when every search completed.
    fn exact(&self, shared: Option<&Menu>, best: &mut Found) {
        let mut complete = true;
        let mut try_menu = |menu: &Menu, threshold_price: Option<Decimal>| {
            let Some((picks, score)) = exact::exact_search(self.input, menu, self.schedule) else {
                complete = false;
                return;
            };
            let st = State::new(self.input.subscriptions.len(), picks);
            if (score, st.seat_total()) < best.key() {
                *best = Found {
                    st,
                    score,
                    method: Method::ExactSearch,
                    proven: false,
                    threshold_price,
                };
            }
        };
        match shared {
            Some(menu) => try_menu(menu, None),
            None => {
                for (_, p) in self.schedule.tier_prices() {
                    try_menu(&Menu::new(self.input, Some(p), self.limited), Some(p));
                }
            }
        }
        best.proven = complete;
    }
}

/// True when no step of `users` users' moves can lower the exact total of
/// a plan that no such step improves at price `p` (but for the rounding of
/// the purchase to the quantum): around the total need the token cost is
/// linear with slope `p` for further than `users` users' tokens reach, so
/// a step changes the total as it does at `p`.
fn settled(input: &PlanInput, st: &State, schedule: &Schedule, p: Decimal, users: u32) -> bool {
    let Some((lo, hi, slope)) = schedule.linear_piece(st.tokens) else {
        return false;
    };
    let reach = input.max_user_tokens * Decimal::from(users);
    slope == p && st.tokens - reach >= lo && hi.is_none_or(|h| st.tokens + reach < h)
}
