//! The optimiser's precomputed input: [`PlanInput`].
//!
//! Built once per (history, scenario) by [`PlanInput::new`]: the forecast
//! at the contract start's rates, subscriptions as bitmasks, constraints
//! resolved to indices, per user the compact demand list and the candidate
//! plans worth considering, and the `Concurrent` pools' lines. A
//! token-price change then only re-runs [`optimise()`](super::optimise()), which
//! touches nothing but these lists.
//!
//! Pools are bought whole (SPEC §4): a `Concurrent` product is no user's
//! demand (its pool is a line of its own, [`PlanInput::pools`]), and a
//! `DailyPeak` product's demand is each user's share of the pool's
//! forecast daily peaks, which no subscription removes — a seat does not
//! shrink a pool other users keep drawing — so no user chooses about it
//! and it has no crossover. A subscription listing a pool product covers
//! it for nobody, with a warning.

use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::meter::rates::rule_kind;
use crate::meter::{Metered, ProductIdx, RuleKind};
use crate::scenario::{Scenario, TokenPrice};
use crate::usage::{Usage, UserId};

use super::PlanError;
use super::forecast::{Forecast, forecast_at};
use super::pools::{PoolLine, pool_lines};
use super::price::Schedule;

/// Most subscriptions a scenario may have (plans are `u32` bitmasks).
pub const MAX_SUBSCRIPTIONS: usize = 32;
/// Most subscriptions relevant to one user's products: candidate plans are
/// found by enumerating their subsets.
pub const MAX_RELEVANT: usize = 20;
/// Most metered products (coverage is a `u128` bitmask).
pub const MAX_PRODUCTS: usize = 128;

/// A subscription as the optimiser sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionInfo {
    /// Code (scenario key).
    pub code: String,
    /// Display name.
    pub name: String,
    /// Price per seat per year.
    pub price: Decimal,
    /// Covered products as a bitmask over [`PlanInput::products`].
    pub covers: u128,
    /// Covered product codes as the scenario lists them.
    pub cover_codes: Vec<String>,
}

/// One product's forecast for one user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Demand {
    /// Index in [`PlanInput::products`].
    pub product: ProductIdx,
    /// Forecast use-days (charges) a year.
    pub days: Decimal,
    /// Forecast tokens a year.
    pub tokens: Decimal,
}

/// A plan worth considering for one user, with what it leaves to tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Candidate {
    /// Subscriptions held, bit i = [`PlanInput::subscriptions`]`[i]`.
    pub mask: u32,
    /// Their prices summed.
    pub price: Decimal,
    /// Forecast tokens of the user's products they leave uncovered.
    pub uncovered: Decimal,
}

/// One user as the optimiser sees them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserInput {
    /// Canonical id in [`Usage::users`].
    pub user: UserId,
    /// Display name.
    pub name: String,
    /// Forecast demand by product index, ascending.
    pub demand: Vec<Demand>,
    /// Subscriptions held today (from the assignments), as a bitmask.
    pub current: u32,
    /// Subscriptions this user is pinned to, when pinned.
    pub pinned: Option<u32>,
    /// Candidate plans: for each coverage of the user's products the
    /// cheapest set achieving it, dominated sets removed, in tie-break order
    /// (fewer subscriptions first, then lexicographic codes).
    pub(crate) candidates: Vec<Candidate>,
}

impl UserInput {
    /// Number of candidate plans kept for this user.
    pub fn candidates_len(&self) -> usize {
        self.candidates.len()
    }
    /// Forecast tokens of all the user's products.
    pub fn total_tokens(&self) -> Decimal {
        self.demand.iter().map(|d| d.tokens).sum()
    }
}

/// Constraints resolved to subscription and user indices.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Minimum seats per subscription index.
    pub min_seats: Vec<u32>,
    /// Maximum seats per subscription index (`u32::MAX`: none).
    pub max_seats: Vec<u32>,
    /// Keep a user's current plan unless a move saves at least this a year
    /// (only when assignments were given).
    pub switching_threshold: Decimal,
    /// Subscriptions whose maximum can bind, as a bitmask: the maximum is
    /// below the number of users who could hold a seat (users with a
    /// product it covers, pinned to it or holding it today; every user when
    /// it also has a minimum).
    pub max_binds: u32,
    /// Subscriptions with a minimum above zero, as a bitmask.
    pub min_binds: u32,
    /// Subscriptions with a minimum that users who need none of their
    /// products may have to fill, as a bitmask: they are on every user's
    /// candidate plans.
    pub fillers: u32,
}

impl Limits {
    /// True when some seat limit can bind.
    pub fn has_seat_limits(&self) -> bool {
        self.binding() != 0
    }

    /// Subscriptions with a limit that can bind, as a bitmask.
    pub fn binding(&self) -> u32 {
        self.max_binds | self.min_binds
    }

    /// True when plan `b` is no worse than plan `a` for every seat limit
    /// that can bind: it holds no seat with a binding maximum that `a`
    /// does not, gives up no seat with a binding minimum that `a` holds,
    /// and holds exactly `a`'s seats of subscriptions bound both ways.
    /// Without binding limits every plan is.
    pub fn no_worse(&self, b: u32, a: u32) -> bool {
        let both = self.max_binds & self.min_binds;
        let max_only = self.max_binds & !both;
        let min_only = self.min_binds & !both;
        b & max_only & !a == 0 && a & min_only & !b == 0 && (a ^ b) & both == 0
    }
}

/// Everything the optimiser needs, precomputed once.
#[derive(Clone, Debug)]
pub struct PlanInput {
    /// Product codes, indexed by [`ProductIdx`] (as in [`Metered::products`]).
    pub products: Vec<String>,
    /// Subscriptions in code order; bit i of a plan mask is entry i.
    pub subscriptions: Vec<SubscriptionInfo>,
    /// The forecast the demand comes from.
    pub forecast: Forecast,
    /// Users with forecast demand, a current subscription or a pin, sorted
    /// by display name (then id).
    pub users: Vec<UserInput>,
    /// Resolved constraints.
    pub limits: Limits,
    /// True when current assignments were given (the "current" baseline).
    pub has_assignments: bool,
    /// The scenario's token price (the default for [`optimise()`](super::optimise())).
    pub token_price: TokenPrice,
    /// Per subscription × covered product: (subscription index, product
    /// code, rate in force at the contract start) — the crossover table.
    pub cover_rates: Vec<(usize, String, Decimal)>,
    /// Things in the inputs that were ignored, as messages.
    pub warnings: Vec<String>,
    /// The largest forecast tokens of any one user: the most one user's
    /// move can change the total by.
    pub max_user_tokens: Decimal,
    /// The `Concurrent` pools, one priced line each, by name.
    pub pools: Vec<PoolLine>,
    /// Tokens are bought in multiples of this (`contract.pack_size`;
    /// `None`: whole tokens).
    pub pack_size: Option<u32>,
    /// The optimiser's price-independent menus, built on first use (the
    /// fields above are not to change after an optimisation; a clone
    /// starts afresh).
    pub(super) menus: super::optimise::MenuCache,
}

impl PlanInput {
    /// Forecasts demand and precomputes every user's candidate plans.
    ///
    /// # Errors
    /// [`PlanError::TooLarge`] beyond [`MAX_SUBSCRIPTIONS`] subscriptions,
    /// [`MAX_PRODUCTS`] products or [`MAX_RELEVANT`] subscriptions relevant to
    /// one user; [`PlanError::Constraint`] when a pin names an unknown
    /// subscription, a minimum exceeds its maximum, or pinned users alone
    /// break a seat limit.
    pub fn new(
        metered: &Metered,
        usage: &Usage,
        scenario: &Scenario,
    ) -> Result<PlanInput, PlanError> {
        let mut warnings = Vec::new();
        let products = metered.products.clone();
        check_size(products.len(), scenario.subscriptions.len())?;
        let (subscriptions, cover_rates) = subscriptions_of(scenario, &products, &mut warnings);
        let sub_idx: HashMap<&str, usize> = subscriptions
            .iter()
            .enumerate()
            .map(|(i, s)| (s.code.as_str(), i))
            .collect();

        let fc = forecast_at(metered, scenario, scenario.contract.start);
        let (pools, pool_warnings) = pool_lines(metered, scenario);
        warnings.extend(pool_warnings);
        // A short window is said in every output that forecasts (SPEC §4).
        warnings.extend(fc.short_window(scenario.forecast.history_days));
        let mut by_user: BTreeMap<UserId, UserInput> = BTreeMap::new();
        let blank = |user: UserId| UserInput {
            user,
            name: display_name(usage, user),
            demand: Vec::new(),
            current: 0,
            pinned: None,
            candidates: Vec::new(),
        };
        for p in &fc.pairs {
            if usize::from(p.product) >= products.len() {
                warnings.push(format!(
                    "charges of user #{} for product index {}, which the metering did not list; ignored",
                    p.user, p.product
                ));
                continue;
            }
            by_user
                .entry(p.user)
                .or_insert_with(|| blank(p.user))
                .demand
                .push(Demand {
                    product: p.product,
                    days: p.days,
                    tokens: p.tokens,
                });
        }
        for (user, code) in &usage.assignments {
            let Some(&si) = sub_idx.get(code.as_str()) else {
                warnings.push(format!(
                    "assignment of {} to subscription {code}, which the scenario does not define; ignored",
                    display_name(usage, *user)
                ));
                continue;
            };
            let u = by_user.entry(*user).or_insert_with(|| blank(*user));
            if u.current & (1 << si) != 0 {
                warnings.push(format!(
                    "{} is assigned {code} more than once; counted once",
                    u.name
                ));
            }
            u.current |= 1 << si;
        }
        for (name, codes) in &scenario.constraints.pinned {
            let Some(user) = usage.users.get(name) else {
                warnings.push(format!(
                    "pinned user {name} does not appear in the usage; ignored"
                ));
                continue;
            };
            let mut mask = 0u32;
            for code in codes {
                let Some(&si) = sub_idx.get(code.as_str()) else {
                    return Err(PlanError::Constraint(format!(
                        "{name} is pinned to subscription {code}, which the scenario does not define"
                    )));
                };
                mask |= 1 << si;
            }
            by_user.entry(user).or_insert_with(|| blank(user)).pinned = Some(mask);
        }

        let has_assignments = !usage.assignments.is_empty();
        let limits = resolve_limits(scenario, &subscriptions, &by_user, has_assignments)?;

        let mut users: Vec<UserInput> = by_user.into_values().collect();
        candidates_of(&mut users, &subscriptions, &limits)?;
        users.sort_by(|a, b| a.name.cmp(&b.name).then(a.user.cmp(&b.user)));
        let max_user_tokens = users
            .iter()
            .map(UserInput::total_tokens)
            .max()
            .unwrap_or_default();

        Ok(PlanInput {
            products,
            subscriptions,
            forecast: fc,
            users,
            limits,
            has_assignments,
            token_price: scenario.token_price.clone(),
            cover_rates,
            warnings,
            max_user_tokens,
            pools,
            pack_size: scenario.contract.pack_size,
            menus: super::optimise::MenuCache::default(),
        })
    }

    /// The validated token price `price` as this plan buys tokens: in
    /// multiples of [`PlanInput::pack_size`], else whole tokens.
    ///
    /// # Errors
    /// As [`Schedule::new`].
    pub fn schedule(&self, price: &TokenPrice) -> Result<Schedule, PlanError> {
        Ok(Schedule::new(price)?.in_packs_of(self.pack_size))
    }

    /// The `Concurrent` pools' costs added up.
    pub fn pool_cost(&self) -> Decimal {
        self.pools.iter().map(|p| p.cost).sum()
    }

    /// Subscription prices of a plan, summed.
    pub fn plan_price(&self, mask: u32) -> Decimal {
        bits(mask).map(|i| self.subscriptions[i].price).sum()
    }

    /// Products a plan covers, as a bitmask over [`PlanInput::products`].
    pub fn plan_covers(&self, mask: u32) -> u128 {
        bits(mask).fold(0, |m, i| m | self.subscriptions[i].covers)
    }

    /// (subscription prices, forecast tokens left uncovered) of `user`
    /// holding plan `mask`.
    pub fn plan_parts(&self, user: &UserInput, mask: u32) -> (Decimal, Decimal) {
        let covers = self.plan_covers(mask);
        let tokens = user
            .demand
            .iter()
            .filter(|d| covers & (1u128 << d.product) == 0)
            .map(|d| d.tokens)
            .sum();
        (self.plan_price(mask), tokens)
    }

    /// Subscription codes of a plan, in code order.
    pub fn plan_codes(&self, mask: u32) -> Vec<String> {
        bits(mask)
            .map(|i| self.subscriptions[i].code.clone())
            .collect()
    }
}

/// The subscriptions as the optimiser sees them, in code order, and the
/// crossover table's (subscription index, product code, rate at the
/// contract start) rows. A pool product (`Concurrent`, `DailyPeak`) is
/// covered by no seat, and a covered code the scenario lacks is skipped:
/// both with a warning.
#[allow(clippy::type_complexity)]
fn subscriptions_of(
    scenario: &Scenario,
    products: &[String],
    warnings: &mut Vec<String>,
) -> (Vec<SubscriptionInfo>, Vec<(usize, String, Decimal)>) {
    let product_idx: HashMap<&str, usize> = products
        .iter()
        .enumerate()
        .map(|(i, c)| (c.as_str(), i))
        .collect();
    let mut subscriptions = Vec::new();
    let mut cover_rates = Vec::new();
    for (si, (code, sub)) in scenario.subscriptions.iter().enumerate() {
        let mut covers = 0u128;
        let mut cover_codes: Vec<String> = sub.covers.clone();
        cover_codes.sort();
        cover_codes.dedup();
        for p in &cover_codes {
            let Some(prod) = scenario.products.get(p) else {
                warnings.push(format!(
                    "subscription {code} covers {p}, which is not a product of the scenario"
                ));
                continue;
            };
            let rule = rule_kind(&prod.rule);
            if matches!(rule, RuleKind::Concurrent | RuleKind::DailyPeak) {
                warnings.push(format!(
                    "subscription {code} covers {p}, a {rule} pool product: a pool is bought whole, \
                     so a seat does not reduce it; the cover is ignored"
                ));
                continue;
            }
            if let Some(&i) = product_idx.get(p.as_str()) {
                covers |= 1u128 << i;
            }
            cover_rates.push((si, p.clone(), prod.rate_on(scenario.contract.start)));
        }
        subscriptions.push(SubscriptionInfo {
            code: code.clone(),
            name: sub.name.clone(),
            price: sub.annual_price,
            covers,
            cover_codes,
        });
    }
    (subscriptions, cover_rates)
}

/// Indices of the set bits of `mask`, ascending.
pub fn bits(mask: u32) -> impl Iterator<Item = usize> {
    let mut rest = mask;
    std::iter::from_fn(move || {
        if rest == 0 {
            return None;
        }
        let i = rest.trailing_zeros() as usize;
        rest &= rest - 1;
        Some(i)
    })
}

/// Tie-break order between plans of equal cost: fewer subscriptions first,
/// then the lexicographically smaller list of codes (subscriptions are
/// indexed in code order, so compare index lists).
pub fn tie_order(a: u32, b: u32) -> std::cmp::Ordering {
    a.count_ones()
        .cmp(&b.count_ones())
        .then_with(|| bits(a).cmp(bits(b)))
}

/// The products a user has demand for, as a bitmask.
pub fn used_products(u: &UserInput) -> u128 {
    u.demand.iter().fold(0, |m, d| m | (1u128 << d.product))
}

fn display_name(usage: &Usage, user: UserId) -> String {
    if (user as usize) < usage.users.len() {
        usage.users.name(user).to_string()
    } else {
        format!("#{user}")
    }
}

/// A candidate plan for one set of used products, before user tokens.
#[derive(Clone, Copy, Debug)]
struct MaskCandidate {
    mask: u32,
    price: Decimal,
    covered: u128,
}

/// Refuses more products or subscriptions than the optimiser's bitsets
/// hold.
///
/// # Errors
/// [`PlanError::TooLarge`] naming which.
fn check_size(products: usize, subscriptions: usize) -> Result<(), PlanError> {
    if products > MAX_PRODUCTS {
        return Err(PlanError::TooLarge(format!(
            "{products} products; the optimiser handles at most {MAX_PRODUCTS}"
        )));
    }
    if subscriptions > MAX_SUBSCRIPTIONS {
        return Err(PlanError::TooLarge(format!(
            "{subscriptions} subscriptions; the optimiser handles at most {MAX_SUBSCRIPTIONS}"
        )));
    }
    Ok(())
}

/// Every user's candidate plans with their uncovered tokens. Users share
/// few distinct product sets: candidate plans are found once per set, then
/// costed per user in parallel.
///
/// # Errors
/// As [`candidate_masks`].
fn candidates_of(
    users: &mut [UserInput],
    subscriptions: &[SubscriptionInfo],
    limits: &Limits,
) -> Result<(), PlanError> {
    let mut memo: HashMap<u128, Vec<MaskCandidate>> = HashMap::new();
    for u in users.iter_mut() {
        u.demand.sort_by_key(|d| d.product);
        let used = used_products(u);
        if let std::collections::hash_map::Entry::Vacant(slot) = memo.entry(used) {
            slot.insert(candidate_masks(subscriptions, used, limits)?);
        }
    }
    users.par_iter_mut().with_min_len(256).for_each(|u| {
        let Some(cands) = memo.get(&used_products(u)) else {
            return;
        };
        u.candidates = cands
            .iter()
            .map(|c| Candidate {
                mask: c.mask,
                price: c.price,
                uncovered: u
                    .demand
                    .iter()
                    .filter(|d| c.covered & (1u128 << d.product) == 0)
                    .map(|d| d.tokens)
                    .sum(),
            })
            .collect();
    });
    Ok(())
}

/// The plans worth considering for a user who uses products `used`: for
/// each reachable coverage the cheapest subset of relevant subscriptions
/// (ties by [`tie_order`]), minus plans dominated for every token price
/// (another covers at least as much for less, or for the same with a better
/// tie-break). Sorted by [`tie_order`] so the first cheapest wins a scan.
///
/// Seat limits that can bind (SPEC §4: they must not cut the search) keep
/// more: a plan is only dominated by one that is also
/// [no worse](Limits::no_worse) for those limits, so the cheapest plan of
/// each (coverage, seats of limited subscriptions) pair survives — two
/// single seats stay beside the collection whose seats are capped — and
/// subscriptions with a minimum that may need fillers ([`Limits::fillers`])
/// are relevant to everyone. Every plan of the user
/// is then dominated, for every token price and every limit, by a kept
/// one: the search over kept plans loses nothing. Without binding limits
/// the list is the unconstrained one.
fn candidate_masks(
    subs: &[SubscriptionInfo],
    used: u128,
    limits: &Limits,
) -> Result<Vec<MaskCandidate>, PlanError> {
    let relevant: Vec<usize> = (0..subs.len())
        .filter(|&i| subs[i].covers & used != 0 || limits.fillers & (1 << i) != 0)
        .collect();
    if relevant.len() > MAX_RELEVANT {
        return Err(PlanError::TooLarge(format!(
            "{} subscriptions cover products of one user; the optimiser handles at most {MAX_RELEVANT}",
            relevant.len()
        )));
    }
    let n = 1usize << relevant.len();
    let mut mask = vec![0u32; n];
    let mut price = vec![Decimal::ZERO; n];
    let mut covered = vec![0u128; n];
    // Keyed by (coverage, seats of subscriptions whose limits bind).
    let key_mask = limits.binding();
    let mut best: HashMap<(u128, u32), usize> = HashMap::new();
    best.insert((0, 0), 0);
    for s in 1..n {
        let low = s.trailing_zeros() as usize;
        let rest = s & (s - 1);
        let si = relevant[low];
        mask[s] = mask[rest] | (1 << si);
        price[s] = price[rest] + subs[si].price;
        covered[s] = covered[rest] | (subs[si].covers & used);
        let slot = best.entry((covered[s], mask[s] & key_mask)).or_insert(s);
        let cur = *slot;
        if (price[s], mask[s]) != (price[cur], mask[cur])
            && (price[s] < price[cur]
                || (price[s] == price[cur] && tie_order(mask[s], mask[cur]).is_lt()))
        {
            *slot = s;
        }
    }
    let winners: Vec<MaskCandidate> = best
        .values()
        .map(|&s| MaskCandidate {
            mask: mask[s],
            price: price[s],
            covered: covered[s],
        })
        .collect();
    let mut out: Vec<MaskCandidate> = winners
        .iter()
        .filter(|a| {
            !winners.iter().any(|b| {
                b.mask != a.mask
                    && b.covered & a.covered == a.covered
                    && limits.no_worse(b.mask, a.mask)
                    && (b.price < a.price
                        || (b.price == a.price && tie_order(b.mask, a.mask).is_lt()))
            })
        })
        .copied()
        .collect();
    out.sort_by(|a, b| tie_order(a.mask, b.mask));
    Ok(out)
}

fn resolve_limits(
    scenario: &Scenario,
    subs: &[SubscriptionInfo],
    users: &BTreeMap<UserId, UserInput>,
    has_assignments: bool,
) -> Result<Limits, PlanError> {
    let c = &scenario.constraints;
    let find = |code: &str, what: &str| {
        subs.iter().position(|s| s.code == code).ok_or_else(|| {
            PlanError::Constraint(format!(
                "{what} seats set for subscription {code}, which the scenario does not define"
            ))
        })
    };
    let mut min_seats = vec![0u32; subs.len()];
    let mut max_seats = vec![u32::MAX; subs.len()];
    for (code, &m) in &c.min_seats {
        min_seats[find(code, "minimum")?] = m;
    }
    for (code, &m) in &c.max_seats {
        max_seats[find(code, "maximum")?] = m;
    }
    for (i, s) in subs.iter().enumerate() {
        if min_seats[i] > max_seats[i] {
            return Err(PlanError::Constraint(format!(
                "subscription {}: minimum {} seats is above maximum {}",
                s.code, min_seats[i], max_seats[i]
            )));
        }
        let pinned = users
            .values()
            .filter(|u| u.pinned.is_some_and(|m| m & (1 << i) != 0))
            .count();
        if pinned as u64 > u64::from(max_seats[i]) {
            return Err(PlanError::Constraint(format!(
                "subscription {}: {pinned} users are pinned to it but at most {} seats are allowed",
                s.code, max_seats[i]
            )));
        }
        let free = users
            .values()
            .filter(|u| u.pinned.is_none_or(|m| m & (1 << i) != 0))
            .count();
        if (free as u64) < u64::from(min_seats[i]) {
            return Err(PlanError::Constraint(format!(
                "subscription {}: at least {} seats asked for but only {free} users can hold one",
                s.code, min_seats[i]
            )));
        }
    }
    // A limit that cannot bind is left out of the search, so that a
    // generous maximum costs nothing: a maximum binds only below the number
    // of users who could hold a seat in some plan the optimiser considers.
    //
    // A minimum is met by users who use what the subscription covers when
    // there are enough of them: a user who needs none of it holds a seat
    // only to fill the minimum, at its full price, and any user who could
    // use it takes one for no more (their plan plus the seat), so an optimum
    // needs no such filler. Only when the minimum outnumbers those users —
    // or a switching threshold makes one user's move differ from another's —
    // may everyone fill it.
    let threshold = has_assignments && c.switching_threshold > Decimal::ZERO;
    let used: Vec<(Option<u32>, u32, u128)> = users
        .values()
        .map(|u| (u.pinned, u.current, used_products(u)))
        .collect();
    let mut max_binds = 0u32;
    let mut min_binds = 0u32;
    let mut fillers = 0u32;
    for (i, s) in subs.iter().enumerate() {
        let bit = 1u32 << i;
        if min_seats[i] > 0 {
            min_binds |= bit;
            let users_of = used
                .iter()
                .filter(|(pinned, _, used)| match pinned {
                    Some(m) => m & bit != 0,
                    None => s.covers & used != 0,
                })
                .count();
            if threshold || (users_of as u64) < u64::from(min_seats[i]) {
                fillers |= bit;
            }
        }
        let could_hold = used
            .iter()
            .filter(|(pinned, current, used)| match pinned {
                Some(m) => m & bit != 0,
                None => {
                    fillers & bit != 0 || (threshold && current & bit != 0) || s.covers & used != 0
                }
            })
            .count();
        if (max_seats[i] as usize) < could_hold {
            max_binds |= bit;
        }
    }
    Ok(Limits {
        min_seats,
        max_seats,
        switching_threshold: c.switching_threshold,
        max_binds,
        min_binds,
        fillers,
    })
}
