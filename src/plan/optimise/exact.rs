//! Exact search for small instances.
//!
//! Users with a choice are combined one by one. Two partial plans with the
//! same seat counts of the limited subscriptions face the same future, and
//! the total only grows with their (score of the subscriptions, tokens), so
//! of those only the Pareto-minimal ones are kept; with the menus holding
//! every plan that can be optimal (see `candidate_masks`), the best of the
//! last layer is the optimum over every assignment that meets the limits.
//! Seat counts are pruned as soon as a maximum is passed or a minimum can
//! no longer be reached, and a count that has reached a minimum (with no
//! maximum to watch) is not told apart from a higher one.

use rust_decimal::Decimal;

use crate::plan::input::{Limits, PlanInput, bits};
use crate::plan::price::Schedule;

use super::menu::{Menu, Opt, Score};

/// Most users with a choice for which the exact search is tried.
pub(super) const EXACT_MAX_USERS: usize = 64;
/// Most partial plans the exact search keeps in one layer.
const EXACT_MAX_FRONTIER: usize = 20_000;

/// One partial plan: users up to a layer.
#[derive(Clone, Debug)]
struct Node {
    /// Seats of each limited subscription (capped, see the module doc).
    key: Vec<u32>,
    /// Subscription prices and threshold breaks.
    score: Score,
    tokens: Decimal,
    seats: u32,
    /// Index in the previous layer.
    parent: usize,
    /// Index of the plan in the user's menu.
    opt: usize,
}

/// Per layer `j` and limited subscription `k`: how many users from layer
/// `j` on could still take a seat of `limited[k]`.
fn reach(menu: &Menu, free: &[usize], limited: &[usize]) -> Vec<Vec<u32>> {
    let mut reach = vec![vec![0u32; limited.len()]; free.len() + 1];
    for j in (0..free.len()).rev() {
        for (k, &s) in limited.iter().enumerate() {
            let can = menu.of(free[j]).iter().any(|o| o.mask & (1 << s) != 0);
            reach[j][k] = reach[j + 1][k] + u32::from(can);
        }
    }
    reach
}

/// Per limited subscription, the count a key keeps: a count only needs
/// telling apart up to the minimum unless a maximum binds too.
fn caps(limits: &Limits, limited: &[usize]) -> Vec<u32> {
    limited
        .iter()
        .map(|&s| {
            if limits.max_binds & (1 << s) != 0 {
                u32::MAX
            } else {
                limits.min_seats[s]
            }
        })
        .collect()
}

/// The nodes of a layer no other node dominates: sorted by seat-count key,
/// tokens, score and seats, a node is kept only when the last node kept
/// with its key (no more tokens than it) has a worse score.
fn undominated(mut next: Vec<Node>) -> Vec<Node> {
    next.sort_by(|a, b| {
        a.key
            .cmp(&b.key)
            .then(a.tokens.cmp(&b.tokens))
            .then(a.score.cmp(&b.score))
            .then(a.seats.cmp(&b.seats))
    });
    let mut kept: Vec<Node> = Vec::with_capacity(next.len());
    for x in next {
        let dominated = kept
            .last()
            .is_some_and(|k| k.key == x.key && k.score <= x.score);
        if !dominated {
            kept.push(x);
        }
    }
    kept
}

/// Every user's plan in the optimum over the menus and its exact score, or
/// `None` when the instance is beyond [`EXACT_MAX_USERS`] users with a
/// choice or a layer outgrows [`EXACT_MAX_FRONTIER`] (or no plan meets the
/// limits).
pub(super) fn exact_search(
    input: &PlanInput,
    menu: &Menu,
    schedule: &Schedule,
) -> Option<(Vec<Opt>, Score)> {
    let limits = &input.limits;
    let limited: Vec<usize> = bits(limits.binding()).collect();
    let free: Vec<usize> = (0..menu.users())
        .filter(|&i| menu.of(i).len() > 1)
        .collect();
    if free.len() > EXACT_MAX_USERS {
        return None;
    }
    let cap = caps(limits, &limited);
    let mut base = Score::default();
    let mut base_tokens = Decimal::ZERO;
    let mut key0 = vec![0u32; limited.len()];
    let mut picks: Vec<Opt> = (0..menu.users()).map(|i| menu.of(i)[0]).collect();
    for (i, o) in picks.iter().enumerate() {
        if menu.of(i).len() > 1 {
            continue;
        }
        base += Score {
            breaks: i64::from(o.breaks),
            cost: o.price,
        };
        base_tokens += o.tokens;
        for (k, &s) in limited.iter().enumerate() {
            key0[k] += u32::from(o.mask & (1 << s) != 0);
        }
    }
    let reach = reach(menu, &free, &limited);
    let admissible = |key: &[u32], j: usize| {
        limited.iter().enumerate().all(|(k, &s)| {
            key[k] <= limits.max_seats[s]
                && u64::from(key[k]) + u64::from(reach[j][k]) >= u64::from(limits.min_seats[s])
        })
    };
    if !admissible(&key0, 0) {
        return None;
    }
    for (k, c) in key0.iter_mut().enumerate() {
        *c = (*c).min(cap[k]);
    }
    let mut layers: Vec<Vec<Node>> = Vec::with_capacity(free.len());
    let mut frontier = vec![Node {
        key: key0,
        score: Score::default(),
        tokens: Decimal::ZERO,
        seats: 0,
        parent: 0,
        opt: 0,
    }];
    for (j, &i) in free.iter().enumerate() {
        let opts = menu.of(i);
        let mut next: Vec<Node> = Vec::with_capacity(frontier.len() * opts.len());
        for (pi, n) in frontier.iter().enumerate() {
            for (oi, o) in opts.iter().enumerate() {
                let mut key = n.key.clone();
                for (k, &s) in limited.iter().enumerate() {
                    if o.mask & (1 << s) != 0 {
                        key[k] += 1;
                    }
                }
                if !admissible(&key, j + 1) {
                    continue;
                }
                for (k, c) in key.iter_mut().enumerate() {
                    *c = (*c).min(cap[k]);
                }
                next.push(Node {
                    key,
                    score: n.score
                        + Score {
                            breaks: i64::from(o.breaks),
                            cost: o.price,
                        },
                    tokens: n.tokens + o.tokens,
                    seats: n.seats + o.mask.count_ones(),
                    parent: pi,
                    opt: oi,
                });
            }
        }
        let kept = undominated(next);
        if kept.len() > EXACT_MAX_FRONTIER {
            return None;
        }
        layers.push(std::mem::replace(&mut frontier, kept));
    }
    let (mut at, score) = frontier
        .iter()
        .enumerate()
        .filter(|(_, n)| {
            limited
                .iter()
                .enumerate()
                .all(|(k, &s)| n.key[k] >= limits.min_seats[s])
        })
        .map(|(k, n)| {
            let cost =
                base.cost + n.score.cost + schedule.cost_of_need(base_tokens + n.tokens).cost;
            let score = Score {
                breaks: base.breaks + n.score.breaks,
                cost,
            };
            (k, score, n.seats)
        })
        .min_by(|a, b| (a.1, a.2).cmp(&(b.1, b.2)))
        .map(|(k, s, _)| (k, s))?;
    for (layer_no, &i) in free.iter().enumerate().rev() {
        let node = &frontier[at];
        picks[i] = menu.of(i)[node.opt];
        at = node.parent;
        frontier = std::mem::take(&mut layers[layer_no]);
    }
    Some((picks, score))
}
