//! What the search works on: the [`Score`] it minimises, every user's
//! [`Menu`] of plans at a token price, and a plan for everyone ([`State`])
//! with its running totals.

use std::cmp::Ordering;
use std::ops::{Add, AddAssign, Sub, SubAssign};
use std::sync::OnceLock;

use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::plan::input::{Limits, PlanInput, bits, tie_order};
use crate::plan::price::Schedule;

/// What the optimiser minimises, compared field by field: first the users
/// moved against the switching threshold (only seat limits can force
/// that), then money.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Score {
    /// Users on a plan that breaks the switching threshold.
    pub breaks: i64,
    /// Annual cost.
    pub cost: Decimal,
}

impl Score {
    /// `n` times this score.
    pub fn times(self, n: u32) -> Score {
        Score {
            breaks: self.breaks * i64::from(n),
            cost: self.cost * Decimal::from(n),
        }
    }
}

/// `a` against `b`, exactly. Scores of one run mostly share a scale, and
/// then the integer mantissas compare as the values do, far faster than
/// the general comparison (the search compares millions of scores).
#[inline]
fn cmp_money(a: &Decimal, b: &Decimal) -> Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(b)
    }
}

impl Ord for Score {
    #[inline]
    fn cmp(&self, o: &Score) -> Ordering {
        self.breaks
            .cmp(&o.breaks)
            .then_with(|| cmp_money(&self.cost, &o.cost))
    }
}

impl PartialOrd for Score {
    #[inline]
    fn partial_cmp(&self, o: &Score) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}

impl PartialEq for Score {
    #[inline]
    fn eq(&self, o: &Score) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}

impl Eq for Score {}

impl Add for Score {
    type Output = Score;
    #[inline]
    fn add(self, o: Score) -> Score {
        Score {
            breaks: self.breaks + o.breaks,
            cost: self.cost + o.cost,
        }
    }
}

impl Sub for Score {
    type Output = Score;
    #[inline]
    fn sub(self, o: Score) -> Score {
        Score {
            breaks: self.breaks - o.breaks,
            cost: self.cost - o.cost,
        }
    }
}

impl AddAssign for Score {
    #[inline]
    fn add_assign(&mut self, o: Score) {
        *self = *self + o;
    }
}

impl SubAssign for Score {
    #[inline]
    fn sub_assign(&mut self, o: Score) {
        *self = *self - o;
    }
}

/// One plan on a user's menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Opt {
    /// Subscriptions held, bit i = [`PlanInput::subscriptions`]`[i]`.
    pub mask: u32,
    /// Their prices summed.
    pub price: Decimal,
    /// Forecast tokens of the user's products left to tokens.
    pub tokens: Decimal,
    /// The user would leave the current plan for a saving below the
    /// switching threshold.
    pub breaks: bool,
}

impl Opt {
    /// The plan's score with tokens at the linear price `p`.
    #[inline]
    pub fn at(&self, p: Decimal) -> Score {
        Score {
            breaks: i64::from(self.breaks),
            cost: self.price + p * self.tokens,
        }
    }
}

/// The menus that do not depend on the token price (no switching threshold
/// in force), built on the first optimisation of a [`PlanInput`] and kept
/// with it, so re-optimising at another price starts from them.
///
/// A clone starts empty: a changed copy of the input builds its own.
#[derive(Default)]
pub struct MenuCache(OnceLock<Menu>);

impl MenuCache {
    /// The price-independent menus of `input`, built on first use.
    pub(super) fn get(&self, input: &PlanInput) -> &Menu {
        self.0
            .get_or_init(|| Menu::new(input, None, input.limits.has_seat_limits()))
    }
}

impl Clone for MenuCache {
    fn clone(&self) -> MenuCache {
        MenuCache::default()
    }
}

impl std::fmt::Debug for MenuCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "MenuCache(built)"
        } else {
            "MenuCache(empty)"
        })
    }
}

/// Every user's menu of plans, flattened: user `i`'s plans are
/// `opts[start[i]..start[i + 1]]`, in tie-break order (fewer subscriptions
/// first, then codes), so the first cheapest plan of a scan wins ties.
pub(super) struct Menu {
    /// All users' plans.
    pub opts: Vec<Opt>,
    start: Vec<usize>,
}

impl Menu {
    /// The menus: a pinned user's pin; anyone else's candidate plans
    /// ([`PlanInput`] keeps every plan a seat limit can force).
    ///
    /// With a switching threshold in force (`judged_at` is the token price
    /// it is judged at) a plan other than the current one breaks it when it
    /// saves less than the threshold at that price; the current plan joins
    /// the menu. Plans that break it are kept, flagged, when
    /// `keep_breaking` (seat limits may force a move) and dropped otherwise.
    pub fn new(input: &PlanInput, judged_at: Option<Decimal>, keep_breaking: bool) -> Menu {
        let threshold = input.limits.switching_threshold;
        let total: usize = input.users.iter().map(|u| u.candidates.len() + 1).sum();
        let mut opts = Vec::with_capacity(total);
        let mut start = Vec::with_capacity(input.users.len() + 1);
        let mut scratch: Vec<Opt> = Vec::new();
        for u in &input.users {
            start.push(opts.len());
            if let Some(mask) = u.pinned {
                let (price, tokens) = input.plan_parts(u, mask);
                opts.push(Opt {
                    mask,
                    price,
                    tokens,
                    breaks: false,
                });
                continue;
            }
            let candidates = u.candidates.iter().map(|c| Opt {
                mask: c.mask,
                price: c.price,
                tokens: c.uncovered,
                breaks: false,
            });
            let Some(p) = judged_at else {
                opts.extend(candidates);
                continue;
            };
            let (price, tokens) = input.plan_parts(u, u.current);
            let current = Opt {
                mask: u.current,
                price,
                tokens,
                breaks: false,
            };
            let keep_at = current.at(p).cost - threshold;
            scratch.clear();
            for mut o in candidates {
                if o.mask != u.current && o.at(p).cost > keep_at {
                    if !keep_breaking {
                        continue;
                    }
                    o.breaks = true;
                }
                scratch.push(o);
            }
            if !scratch.iter().any(|o| o.mask == u.current) {
                let at = scratch
                    .iter()
                    .position(|o| tie_order(current.mask, o.mask).is_lt())
                    .unwrap_or(scratch.len());
                scratch.insert(at, current);
            }
            opts.extend_from_slice(&scratch);
        }
        start.push(opts.len());
        Menu { opts, start }
    }

    /// Number of users.
    pub fn users(&self) -> usize {
        self.start.len() - 1
    }

    /// Index range of user `i`'s plans in [`Menu::opts`].
    pub fn range(&self, i: usize) -> std::ops::Range<usize> {
        self.start[i]..self.start[i + 1]
    }

    /// User `i`'s plans.
    pub fn of(&self, i: usize) -> &[Opt] {
        &self.opts[self.range(i)]
    }
}

/// Every user's first cheapest plan at the linear price `p`.
pub(super) fn choose(menu: &Menu, p: Decimal) -> Vec<Opt> {
    (0..menu.users())
        .into_par_iter()
        .with_min_len(512)
        .map(|i| cheapest(menu.of(i), |o| o.at(p)))
        .collect()
}

/// The first plan of `opts` with the least `score` (a menu is never empty).
pub(super) fn cheapest(opts: &[Opt], score: impl Fn(&Opt) -> Score) -> Opt {
    let mut best: Option<(Score, Opt)> = None;
    for o in opts {
        let s = score(o);
        if best.as_ref().is_none_or(|(b, _)| s < *b) {
            best = Some((s, *o));
        }
    }
    best.map_or(
        Opt {
            mask: 0,
            price: Decimal::ZERO,
            tokens: Decimal::ZERO,
            breaks: false,
        },
        |(_, o)| o,
    )
}

/// A plan for everyone with its running totals.
#[derive(Clone, Debug)]
pub(super) struct State {
    /// Each user's plan, parallel to [`PlanInput::users`].
    pub picks: Vec<Opt>,
    /// Seats per subscription index.
    pub seats: Vec<u32>,
    /// Subscription prices of all seats.
    pub subs: Decimal,
    /// Forecast tokens left to tokens.
    pub tokens: Decimal,
    /// Users on a plan that breaks the switching threshold.
    pub breaks: i64,
}

impl State {
    /// Totals `picks` up.
    pub fn new(subscriptions: usize, picks: Vec<Opt>) -> State {
        let mut seats = vec![0u32; subscriptions];
        let (mut subs, mut tokens, mut breaks) = (Decimal::ZERO, Decimal::ZERO, 0);
        for p in &picks {
            for i in bits(p.mask) {
                seats[i] += 1;
            }
            subs += p.price;
            tokens += p.tokens;
            breaks += i64::from(p.breaks);
        }
        State {
            picks,
            seats,
            subs,
            tokens,
            breaks,
        }
    }

    /// Moves user `i` to plan `o`.
    pub fn apply(&mut self, i: usize, o: Opt) {
        let old = self.picks[i];
        for s in bits(old.mask) {
            self.seats[s] -= 1;
        }
        for s in bits(o.mask) {
            self.seats[s] += 1;
        }
        self.subs += o.price - old.price;
        self.tokens += o.tokens - old.tokens;
        self.breaks += i64::from(o.breaks) - i64::from(old.breaks);
        self.picks[i] = o;
    }

    /// The exact score: tokens bought as [`Schedule::cost_of_need`] says.
    pub fn score(&self, schedule: &Schedule) -> Score {
        Score {
            breaks: self.breaks,
            cost: self.subs + schedule.cost_of_need(self.tokens).cost,
        }
    }

    /// The score with tokens at the linear price `p`.
    pub fn at(&self, p: Decimal) -> Score {
        Score {
            breaks: self.breaks,
            cost: self.subs + p * self.tokens,
        }
    }

    /// Seats of all subscriptions: the tie-break (fewer is better).
    pub fn seat_total(&self) -> u32 {
        self.seats.iter().sum()
    }
}

/// True when the moves `(from, to)` of distinct users, made together, keep
/// every subscription whose seat count they change within its limits (a
/// count only rises to at most its maximum and only falls to at least its
/// minimum). Subscriptions in `ignore` are not checked.
#[inline]
pub(super) fn fits(limits: &Limits, seats: &[u32], moves: &[(u32, u32)], ignore: u32) -> bool {
    let touched = moves.iter().fold(0u32, |m, (a, b)| m | (a ^ b)) & !ignore;
    bits(touched).all(|s| {
        let bit = 1u32 << s;
        let delta: i64 = moves
            .iter()
            .map(|(a, b)| i64::from(b & bit != 0) - i64::from(a & bit != 0))
            .sum();
        let now = i64::from(seats[s]);
        match delta.cmp(&0) {
            std::cmp::Ordering::Greater => now + delta <= i64::from(limits.max_seats[s]),
            std::cmp::Ordering::Less => now + delta >= i64::from(limits.min_seats[s]),
            std::cmp::Ordering::Equal => true,
        }
    })
}
