//! The exhaustive term search for small instances: every yearly seat count
//! of every subscription, each with its exact assignment (SPEC §8).
//!
//! Per year, a dynamic programme over the users (state: how many of them
//! hold each subscription) finds, for every holder count, the least
//! tokens left uncovered; the least for a seat count is the least over
//! holder counts within it. A second programme over the years, state the
//! seat count of every subscription, adds seat costs (renewals, the
//! seat-change rule) and each year's exact token purchase. Both are exact;
//! the sizes they allow ([`MAX_STATES`], [`MAX_WORK`]) keep them fast.

use rust_decimal::Decimal;

use crate::plan::input::bits;

use super::problem::{Problem, Solution};

/// Most seat-count vectors (and holder-count vectors) enumerated.
pub const MAX_STATES: usize = 400;
/// Most (free user × holder vector × candidate) steps per year.
pub const MAX_WORK: usize = 2_000_000;

/// Mixed-radix indexing of count vectors: entry j runs over `0..radix[j]`.
#[derive(Clone, Debug)]
struct Radix {
    radix: Vec<usize>,
    stride: Vec<usize>,
    size: usize,
}

impl Radix {
    fn new(radix: Vec<usize>) -> Option<Radix> {
        let mut stride = Vec::with_capacity(radix.len());
        let mut size = 1usize;
        for &r in &radix {
            stride.push(size);
            size = size.checked_mul(r)?;
        }
        Some(Radix {
            radix,
            stride,
            size,
        })
    }

    fn digit(&self, index: usize, j: usize) -> usize {
        index / self.stride[j] % self.radix[j]
    }
}

/// One year's least uncovered tokens per holder vector, with the choices
/// that reach it.
struct Cover {
    /// Per holder vector (free users only): least uncovered tokens.
    least: Vec<Option<Decimal>>,
    /// Per free user (in order), per holder vector after that user:
    /// (candidate, holder vector before).
    back: Vec<Vec<(u32, usize)>>,
}

/// The exhaustive search, or `None` when the instance is too large for it
/// or a limit cannot be met.
pub fn exhaustive(p: &Problem<'_>) -> Option<Solution> {
    let users = p.users();
    let free: Vec<usize> = (0..users).filter(|&i| p.fixed(i).is_none()).collect();
    let mut fixed_holders = vec![0u32; p.subs];
    for (i, c) in (0..users).filter_map(|i| p.fixed(i).map(|c| (i, c))) {
        for j in bits(p.mask(i, c)) {
            fixed_holders[j] += 1;
        }
    }
    // Holder vectors of free users, and seat vectors.
    let mut holder_radix = Vec::with_capacity(p.subs);
    let mut seat_lo = Vec::with_capacity(p.subs);
    let mut seat_radix = Vec::with_capacity(p.subs);
    for (j, &fixed) in fixed_holders.iter().enumerate() {
        let lo = p.lo[j].max(fixed);
        if lo > p.hi[j] {
            return None;
        }
        holder_radix.push((p.hi[j] - fixed) as usize + 1);
        seat_lo.push(lo);
        seat_radix.push((p.hi[j] - lo) as usize + 1);
    }
    let holders = Radix::new(holder_radix)?;
    let seats = Radix::new(seat_radix)?;
    let widest = free
        .iter()
        .map(|&i| p.candidates().masks(i).len())
        .max()
        .unwrap_or(1);
    if holders.size > MAX_STATES
        || seats.size > MAX_STATES
        || free
            .len()
            .saturating_mul(holders.size)
            .saturating_mul(widest)
            > MAX_WORK
    {
        return None;
    }
    let seat_vec = |s: usize| -> Vec<u32> {
        (0..p.subs)
            .map(|j| seat_lo[j] + seats.digit(s, j) as u32)
            .collect()
    };

    // Per year: cover tables and the weighted token cost of each seat vector.
    let mut covers = Vec::with_capacity(p.years);
    let mut token_cost: Vec<Vec<Option<(Decimal, usize)>>> = Vec::with_capacity(p.years);
    for k in 0..p.years {
        let fixed_need: Decimal = (0..users)
            .filter_map(|i| p.fixed(i).map(|c| p.uncovered(i, c, k)))
            .sum();
        let cover = cover_year(p, k, &free, &holders);
        let within = least_within(&cover.least, &holders);
        let costs = (0..seats.size)
            .map(|s| {
                let sv = seat_vec(s);
                let h: usize = (0..p.subs)
                    .map(|j| (sv[j] - fixed_holders[j]) as usize * holders.stride[j])
                    .sum();
                within[h].map(|(need, at)| (p.weight[k] * p.buy_cost(k, fixed_need + need), at))
            })
            .collect();
        covers.push(cover);
        token_cost.push(costs);
    }

    // Seat vectors over the years.
    let path = seat_path(p, &seats, &seat_vec, &token_cost)?;
    let mut picks: Vec<Vec<u32>> = Vec::with_capacity(p.years);
    let mut seat_rows = Vec::with_capacity(p.years);
    for (k, &s) in path.iter().enumerate() {
        let (_, mut at) = token_cost[k][s]?;
        let mut year: Vec<u32> = (0..users).map(|i| p.fixed(i).unwrap_or(0)).collect();
        for (t, &i) in free.iter().enumerate().rev() {
            let (c, before) = covers[k].back[t][at];
            year[i] = c;
            at = before;
        }
        picks.push(year);
        seat_rows.push(seat_vec(s));
    }
    Some(p.solution(picks, seat_rows))
}

/// Year `k`'s least uncovered tokens of the free users per holder vector.
fn cover_year(p: &Problem<'_>, k: usize, free: &[usize], holders: &Radix) -> Cover {
    let mut least: Vec<Option<Decimal>> = vec![None; holders.size];
    least[0] = Some(Decimal::ZERO);
    let mut back = Vec::with_capacity(free.len());
    for &i in free {
        let mut next: Vec<Option<Decimal>> = vec![None; holders.size];
        let mut from = vec![(0u32, 0usize); holders.size];
        for (h, value) in least.iter().enumerate() {
            let Some(value) = *value else {
                continue;
            };
            for (c, &mask) in p.candidates().masks(i).iter().enumerate() {
                let mut to = h;
                let mut fits = true;
                for j in bits(mask) {
                    if holders.digit(h, j) + 1 >= holders.radix[j] {
                        fits = false;
                        break;
                    }
                    to += holders.stride[j];
                }
                if !fits {
                    continue;
                }
                let total = value + p.uncovered(i, c as u32, k);
                if next[to].is_none_or(|b| total < b) {
                    next[to] = Some(total);
                    from[to] = (c as u32, h);
                }
            }
        }
        least = next;
        back.push(from);
    }
    Cover { least, back }
}

/// For every holder vector, the least over the vectors within it
/// (componentwise ≤), with the vector reaching it.
fn least_within(least: &[Option<Decimal>], holders: &Radix) -> Vec<Option<(Decimal, usize)>> {
    let mut out: Vec<Option<(Decimal, usize)>> = least
        .iter()
        .enumerate()
        .map(|(h, v)| v.map(|v| (v, h)))
        .collect();
    for j in 0..holders.radix.len() {
        for h in 0..holders.size {
            if holders.digit(h, j) == 0 {
                continue;
            }
            let below = out[h - holders.stride[j]];
            if let Some((v, at)) = below
                && out[h].is_none_or(|(b, _)| v < b)
            {
                out[h] = Some((v, at));
            }
        }
    }
    out
}

/// The cheapest seat vector of every year (indices into `seats`).
fn seat_path(
    p: &Problem<'_>,
    seats: &Radix,
    seat_vec: &dyn Fn(usize) -> Vec<u32>,
    token_cost: &[Vec<Option<(Decimal, usize)>>],
) -> Option<Vec<usize>> {
    let vectors: Vec<Vec<u32>> = (0..seats.size).map(seat_vec).collect();
    let mut value: Vec<Option<Decimal>> = Vec::new();
    let mut back: Vec<Vec<usize>> = Vec::with_capacity(p.years);
    for (k, year_cost) in token_cost.iter().enumerate().take(p.years) {
        let mut next = vec![None; seats.size];
        let mut from = vec![0usize; seats.size];
        for s in 0..seats.size {
            let Some((tokens, _)) = year_cost[s] else {
                continue;
            };
            let now = &vectors[s];
            let step = |prev: &[u32]| -> Decimal {
                (0..p.subs)
                    .map(|j| p.seat_cost(k, j, prev[j], now[j]))
                    .sum::<Decimal>()
                    * p.weight[k]
            };
            if k == 0 {
                next[s] = Some(tokens + step(&p.before));
                continue;
            }
            for (m, before) in value.iter().enumerate() {
                let Some(before) = *before else {
                    continue;
                };
                if p.adds_only && (0..p.subs).any(|j| vectors[m][j] > now[j]) {
                    continue;
                }
                let total = before + step(&vectors[m]) + tokens;
                if next[s].is_none_or(|b| total < b) {
                    next[s] = Some(total);
                    from[s] = m;
                }
            }
        }
        value = next;
        back.push(from);
    }
    let mut s = (0..seats.size)
        .filter_map(|s| value[s].map(|v| (s, v)))
        .min_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)))?
        .0;
    let mut path = vec![0usize; p.years];
    for k in (1..p.years).rev() {
        path[k] = s;
        s = back[k][s];
    }
    path[0] = s;
    Some(path)
}
