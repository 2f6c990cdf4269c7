//! The term's demand, year by year: the one place the term plan reads the
//! single-year planner (SPEC §8 "Demand by year").
//!
//! [`TermDemand::new`] builds year 1's [`PlanInput`] with the ordinary
//! [`PlanInput::new`] — users, their forecast, subscriptions as coverage
//! masks, seat limits, pins, current plans — and derives from it every
//! contract year's forecast tokens: year y's forecast is year 1's ×
//! (1 + growth)^(y−1), priced at the rates in force on year y's first day.
//! Nothing here depends on prices, so a price edit re-plans from the same
//! [`TermDemand`].
//!
//! **Rates.** Year y's tokens come from [`forecast_at`] on year y's first
//! day — the single-year planner's own forecast, every rule's tokens
//! re-priced at the rates then in force — grown by (1 + growth)^(y−1).
//! When no product's rate table changes, every year's forecast is year 1's
//! and only the growth differs, so it is not computed again.
//!
//! **Candidates.** Per user, the plans worth considering in any year at
//! any price: for each coverage of the user's products, every
//! inclusion-minimal set of subscriptions reaching it (a larger set with
//! the same coverage costs more and takes more seats, whatever the
//! prices), the empty plan first, in the planner's tie order; plus the
//! user's current plan. A pinned user has the pinned plan only. They are
//! kept in flat arrays ([`Candidates`]), with each year's uncovered tokens
//! exact and, for ranking, in millionths of a token.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::meter::Metered;
use crate::plan::input::tie_order;
use crate::plan::{PlanError, PlanInput, forecast_at};
use crate::scenario::{Product, Scenario};
use crate::usage::{Usage, UserId};

/// Every user's candidate plans and what each leaves to tokens, year by
/// year, in flat arrays (the search reads them millions of times).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Candidates {
    /// Per user, where its candidates start in the flat arrays; one more
    /// entry closes the last user's.
    start: Vec<u32>,
    /// Subscription masks (bit i = [`PlanInput::subscriptions`]`[i]`), each
    /// user's empty plan first, in tie order.
    masks: Vec<u32>,
    /// Per year: forecast tokens each candidate leaves uncovered.
    uncovered: Vec<Vec<Decimal>>,
    /// Per year: the same in millionths of a token, rounded (for ranking).
    micro: Vec<Vec<i64>>,
    /// Per year: every `micro` is exact (the forecast has at most six
    /// decimal places, as with a whole year of history), so exact token
    /// amounts can be read from `micro` instead of `uncovered`.
    exact_micro: Vec<bool>,
    /// Per user: index of the current plan among its candidates.
    current: Vec<u32>,
    /// Per user: pinned (the pinned plan is its only candidate).
    pinned: Vec<bool>,
    /// Per subscription: the users with a candidate holding it, ascending.
    relevant: Vec<Vec<u32>>,
}

impl Candidates {
    /// Users.
    pub fn users(&self) -> usize {
        self.current.len()
    }

    /// User `i`'s candidate masks.
    pub fn masks(&self, i: usize) -> &[u32] {
        let (a, b) = self.span(i);
        self.masks.get(a..b).unwrap_or_default()
    }

    /// Tokens user `i`'s candidate `c` leaves uncovered in year `k`.
    pub fn uncovered(&self, i: usize, c: u32, k: usize) -> Decimal {
        let at = self.span(i).0 + c as usize;
        self.uncovered
            .get(k)
            .and_then(|year| year.get(at))
            .copied()
            .unwrap_or_default()
    }

    /// [`Candidates::uncovered`] in millionths of a token, rounded.
    pub fn micro(&self, i: usize, c: u32, k: usize) -> i64 {
        let at = self.span(i).0 + c as usize;
        self.micro
            .get(k)
            .and_then(|year| year.get(at))
            .copied()
            .unwrap_or_default()
    }

    /// True when [`Candidates::micro`] is exact in year `k`: then
    /// [`Candidates::uncovered`] equals it in millionths (the search reads
    /// the smaller array on its hot path).
    pub fn exact_micro(&self, k: usize) -> bool {
        self.exact_micro.get(k).copied().unwrap_or(false)
    }

    /// Index of user `i`'s current plan among its candidates.
    pub fn current(&self, i: usize) -> u32 {
        self.current.get(i).copied().unwrap_or(0)
    }

    /// True when user `i` is pinned to its only candidate.
    pub fn pinned(&self, i: usize) -> bool {
        self.pinned.get(i).copied().unwrap_or(false)
    }

    /// The users with a candidate holding subscription `j`, ascending.
    pub fn relevant(&self, j: usize) -> &[u32] {
        self.relevant.get(j).map_or(&[], Vec::as_slice)
    }

    fn span(&self, i: usize) -> (usize, usize) {
        let a = self.start.get(i).copied().unwrap_or(0) as usize;
        let b = self.start.get(i + 1).copied().unwrap_or(0) as usize;
        (a, b.max(a))
    }
}

/// Every contract year's demand, and the users' candidate plans.
#[derive(Clone, Debug)]
pub struct TermDemand {
    /// Year 1's planner input: users (sorted by name), subscriptions in
    /// code order, seat limits, pins, current plans, the forecast window.
    pub input: PlanInput,
    /// First day of each contract year.
    pub year_starts: Vec<NaiveDate>,
    /// Per year: per user (parallel to `input.users`), per demand entry
    /// (parallel to that user's `demand`), forecast tokens.
    pub tokens: Vec<Vec<Vec<Decimal>>>,
    /// Per year: every user's forecast tokens, summed.
    pub total_tokens: Vec<Decimal>,
    /// Every user's candidate plans (users as in `input.users`).
    pub candidates: Candidates,
    /// Per year: (1 + growth)^(k+1), what a day of history is grown by to
    /// become a day of contract year k (0-based): the history is the year
    /// before the term.
    pub history_growth: Vec<Decimal>,
}

impl TermDemand {
    /// Forecasts every contract year of `scenario`'s term from `metered`.
    ///
    /// # Errors
    /// As [`PlanInput::new`]; [`PlanError::TooLarge`] when the term runs
    /// past the calendar.
    pub fn new(
        metered: &Metered,
        usage: &Usage,
        scenario: &Scenario,
    ) -> Result<TermDemand, PlanError> {
        let input = PlanInput::new(metered, usage, scenario)?;
        let years = scenario.contract.years.max(1) as usize;
        let year_starts = (0..years)
            .map(|k| {
                scenario
                    .contract
                    .start
                    .checked_add_months(Months::new(12 * k as u32))
                    .ok_or_else(|| {
                        PlanError::TooLarge(format!(
                            "a {years}-year term from {} runs past the calendar",
                            scenario.contract.start
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let one_plus = Decimal::ONE + scenario.forecast.growth_per_year;
        let mut growth = Vec::with_capacity(years);
        let mut g = Decimal::ONE;
        for _ in 0..years {
            growth.push(g);
            g *= one_plus;
        }
        let repriced = reprice_changing_rates(metered, scenario, &year_starts);
        let tokens: Vec<Vec<Vec<Decimal>>> = (0..years)
            .map(|k| {
                input
                    .users
                    .par_iter()
                    .map(|u| {
                        u.demand
                            .iter()
                            .map(|d| {
                                // A pair the year's forecast leaves out
                                // costs nothing that year.
                                let base = match repriced.get(k) {
                                    Some(year) if k > 0 => year
                                        .get(&(u.user, d.product))
                                        .copied()
                                        .unwrap_or(Decimal::ZERO),
                                    _ => d.tokens,
                                };
                                base * growth[k]
                            })
                            .collect()
                    })
                    .collect()
            })
            .collect();
        let total_tokens = tokens
            .iter()
            .map(|year| year.iter().flatten().copied().sum())
            .collect();
        let candidates = candidates(&input, &tokens)?;
        let history_growth = growth.iter().map(|g| *g * one_plus).collect();
        Ok(TermDemand {
            input,
            year_starts,
            tokens,
            total_tokens,
            candidates,
            history_growth,
        })
    }

    /// Contract years.
    pub fn years(&self) -> usize {
        self.year_starts.len()
    }

    /// The same demand with every forecast use-day and token × `factor`
    /// (the negotiation pack's "usage volume", SPEC §9): every year's
    /// tokens, year 1's planner demand and the candidates' uncovered tokens.
    ///
    /// # Errors
    /// As [`TermDemand::new`] (the candidates are rebuilt).
    pub fn scaled(&self, factor: Decimal) -> Result<TermDemand, PlanError> {
        let mut input = self.input.clone();
        for u in &mut input.users {
            for d in &mut u.demand {
                d.days *= factor;
                d.tokens *= factor;
            }
        }
        let tokens: Vec<Vec<Vec<Decimal>>> = self
            .tokens
            .iter()
            .map(|year| {
                year.iter()
                    .map(|user| user.iter().map(|t| *t * factor).collect())
                    .collect()
            })
            .collect();
        let total_tokens = tokens
            .iter()
            .map(|year| year.iter().flatten().copied().sum())
            .collect();
        let candidates = candidates(&input, &tokens)?;
        Ok(TermDemand {
            input,
            year_starts: self.year_starts.clone(),
            tokens,
            total_tokens,
            candidates,
            history_growth: self.history_growth.clone(),
        })
    }
}

/// True when `product` charges more than one rate over time.
pub fn rate_changes(product: Option<&Product>) -> bool {
    product.is_some_and(|p| p.rates.iter().any(|r| r.tokens != p.rates[0].tokens))
}

/// Year 1's forecast tokens (before growth beyond year 1) of every (user,
/// product) at the rates of each later year's first day, from
/// [`forecast_at`]; empty (year 1's tokens serve every year) when no
/// product's rate changes. Index k is year k + 1; year 1's map is empty
/// (the planner input holds its tokens).
fn reprice_changing_rates(
    metered: &Metered,
    scenario: &Scenario,
    year_starts: &[NaiveDate],
) -> Vec<HashMap<(UserId, u16), Decimal>> {
    let changing = metered
        .products
        .iter()
        .any(|code| rate_changes(scenario.products.get(code)));
    if !changing {
        return Vec::new();
    }
    let mut out = vec![HashMap::new()];
    for &start in year_starts.iter().skip(1) {
        let fc = forecast_at(metered, scenario, start);
        out.push(
            fc.pairs
                .iter()
                .map(|p| ((p.user, p.product), p.tokens))
                .collect(),
        );
    }
    out
}

/// Every user's candidates (see the module doc) with their uncovered
/// tokens per year.
fn candidates(input: &PlanInput, tokens: &[Vec<Vec<Decimal>>]) -> Result<Candidates, PlanError> {
    let mut memo: HashMap<u128, Vec<u32>> = HashMap::new();
    let used_of =
        |u: &crate::plan::UserInput| u.demand.iter().fold(0u128, |m, d| m | (1u128 << d.product));
    for u in &input.users {
        if let std::collections::hash_map::Entry::Vacant(slot) = memo.entry(used_of(u)) {
            slot.insert(minimal_masks(input, used_of(u))?);
        }
    }
    let per_user: Vec<(Vec<u32>, u32)> = input
        .users
        .iter()
        .map(|u| {
            let mut masks: Vec<u32> = match u.pinned {
                Some(pin) => vec![pin],
                None => memo.get(&used_of(u)).cloned().unwrap_or_else(|| vec![0]),
            };
            if u.pinned.is_none() && !masks.contains(&u.current) {
                masks.push(u.current);
            }
            let current = masks.iter().position(|&m| m == u.current).unwrap_or(0) as u32;
            (masks, current)
        })
        .collect();
    let mut start = Vec::with_capacity(per_user.len() + 1);
    let mut masks = Vec::new();
    for (m, _) in &per_user {
        start.push(masks.len() as u32);
        masks.extend_from_slice(m);
    }
    start.push(masks.len() as u32);
    let uncovered: Vec<Vec<Decimal>> = tokens
        .iter()
        .map(|year| {
            input
                .users
                .par_iter()
                .zip(&per_user)
                .zip(year)
                .flat_map_iter(|((u, (user_masks, _)), user_tokens)| {
                    user_masks.iter().map(move |&mask| {
                        let covers = input.plan_covers(mask);
                        u.demand
                            .iter()
                            .zip(user_tokens)
                            .filter(|(d, _)| covers & (1u128 << d.product) == 0)
                            .map(|(_, t)| *t)
                            .sum::<Decimal>()
                    })
                })
                .collect()
        })
        .collect();
    let million = Decimal::from(1_000_000);
    let micro: Vec<Vec<i64>> = uncovered
        .iter()
        .map(|year| {
            year.iter()
                .map(|t| (t * million).round().to_i64().unwrap_or(i64::MAX))
                .collect()
        })
        .collect();
    let exact_micro = uncovered
        .iter()
        .zip(&micro)
        .map(|(year, m)| {
            year.par_iter()
                .zip(m)
                .all(|(&t, &m)| m != i64::MAX && Decimal::new(m, 6) == t)
        })
        .collect();
    let mut relevant = vec![Vec::new(); input.subscriptions.len()];
    for (i, (user_masks, _)) in per_user.iter().enumerate() {
        let any = user_masks.iter().fold(0u32, |m, c| m | c);
        for j in crate::plan::input::bits(any) {
            if let Some(list) = relevant.get_mut(j) {
                list.push(i as u32);
            }
        }
    }
    Ok(Candidates {
        start,
        masks,
        uncovered,
        micro,
        exact_micro,
        current: per_user.iter().map(|(_, c)| *c).collect(),
        pinned: input.users.iter().map(|u| u.pinned.is_some()).collect(),
        relevant,
    })
}

/// For a user of products `used`: per coverage, every inclusion-minimal set
/// of the subscriptions relevant to them, sorted by tie order (the empty
/// plan first).
fn minimal_masks(input: &PlanInput, used: u128) -> Result<Vec<u32>, PlanError> {
    let subs = &input.subscriptions;
    let relevant: Vec<usize> = (0..subs.len())
        .filter(|&i| subs[i].covers & used != 0)
        .collect();
    if relevant.len() > crate::plan::input::MAX_RELEVANT {
        return Err(PlanError::TooLarge(format!(
            "{} subscriptions cover products of one user; the term plan handles at most {}",
            relevant.len(),
            crate::plan::input::MAX_RELEVANT
        )));
    }
    let n = 1usize << relevant.len();
    let mut covered = vec![0u128; n];
    let mut mask = vec![0u32; n];
    for s in 1..n {
        let low = s.trailing_zeros() as usize;
        let rest = s & (s - 1);
        let si = relevant[low];
        mask[s] = mask[rest] | (1 << si);
        covered[s] = covered[rest] | (subs[si].covers & used);
    }
    // Minimal: dropping any one member loses coverage.
    let mut out: Vec<u32> = (0..n)
        .filter(|&s| {
            (0..relevant.len())
                .filter(|b| s & (1 << b) != 0)
                .all(|b| covered[s & !(1 << b)] != covered[s])
        })
        .map(|s| mask[s])
        .collect();
    out.sort_by(|&a, &b| tie_order(a, b));
    Ok(out)
}
