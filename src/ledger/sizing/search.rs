//! The one search behind every recommendation of [`size`](super::size)
//! (SPEC §5: "both recommendations come from the same search").
//!
//! **The grid.** Plans are points of a lattice: annual quantities `0, u,
//! 2u, …` up to `max_fraction × M`, contract quantities up to `max_fraction
//! × M × years`, where `M` is the simulated mean annual demand and the unit
//! `u` is three significant figures of `M` (so plans read as 11,000 rather
//! than 10,953), never below one whole token, and a multiple of
//! `contract.pack_size` when it is set ([`Lattice`]).
//!
//! **Goals.** Every evaluated plan is a candidate for each [`Goal`]; a goal
//! picks the plan with the least sum of costs over the trials (all plans
//! share the same trials, so sums rank exactly), ties to fewer tokens over
//! the term, then to the earlier plan ([`pick`]):
//! - `Recommended`: among plans whose share of trials with refused demand
//!   is at most the risk limit (every plan, when the contract never
//!   refuses);
//! - `WithinRisk`: among plans whose share of trials with any overage or
//!   refused demand is at most the risk limit;
//! - `AnnualOnly`, `ContractOnly`, `Mix`: among the plans of that shape
//!   that `Recommended` accepts (the side-by-side view);
//! - `LeastUnserved`: the least refused demand, then cost (the fallback
//!   when no plan keeps refusals within the risk limit).
//!
//! **The search.** A lattice of at most `enumerate_up_to` plans is
//! evaluated whole, so every goal's pick is exactly the best plan of the
//! grid. A larger one is evaluated on a coarse grid first, then at
//! the risk limit's boundary at each coarse annual level, then a
//! pattern search that serves every goal at once: each round evaluates,
//! around every goal's current pick, the neighbours one step away (both
//! quantities varied, or only its own for the one-kind goals), the plans
//! whose orders just reach a token-price tier floor (where buying more can
//! cost less), and for a goal limited by the risk limit, the plans on the
//! limit's boundary one annual step away (the least contract quantity
//! meeting the limit, computed from the trials without evaluating a plan,
//! [`Boundary`]); a round that changes no pick halves the step, and the
//! search ends when a round at a step of one unit changes nothing, or
//! after `refine` rounds.

use std::collections::BTreeSet;

use rayon::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::SizingError;
use super::eval::{FastContract, FastPlan};
use crate::ledger::lots::{PurchasePlan, Term, round_up_tokens};
use crate::progress::Progress;
use crate::scenario::TokenPrice;

/// Plans evaluated between progress reports (each runs every trial).
const PLAN_CHUNK: usize = 8;

/// Per-plan accumulators over the trials.
#[derive(Clone, Debug, Default)]
pub(super) struct Stats {
    /// Sum over trials of the trial's cost.
    pub cost_sum: Decimal,
    /// P10, P50, P90 of the trial costs.
    pub percentiles: [Decimal; 3],
    /// Milli-tokens expired, summed over trials.
    pub expired: i128,
    /// Milli-tokens of overage, summed over trials.
    pub overage: i128,
    /// Milli-tokens refused, summed over trials.
    pub unserved: i128,
    /// Trials with any overage or refused demand.
    pub short_trials: u64,
    /// Trials with any refused demand.
    pub unserved_trials: u64,
}

/// What the evaluator needs of the simulation, shared by every plan.
pub(super) struct Simulation<'a> {
    /// The contract term.
    pub term: &'a Term,
    /// The token price in each contract year (the term's prices by year,
    /// SPEC §8).
    pub prices: &'a [TokenPrice],
    /// The contract's discount rate.
    pub rate: Decimal,
    /// Overdraft and discounting.
    pub contract: &'a FastContract,
    /// Every trial's demand per contract year, trial after trial.
    pub year_totals: &'a [i64],
    /// Contract years.
    pub years: usize,
    /// Run plans on rayon's thread pool.
    pub parallel: bool,
}

/// Every plan evaluated so far, in evaluation order.
pub(super) struct Evaluated {
    /// The plans.
    pub plans: Vec<PurchasePlan>,
    /// Present value of each plan's purchases.
    pub purchase: Vec<Decimal>,
    /// Each plan's figures over the trials.
    pub stats: Vec<Stats>,
    seen: BTreeSet<PurchasePlan>,
}

impl Evaluated {
    /// Nothing evaluated yet.
    pub fn new() -> Evaluated {
        Evaluated {
            plans: Vec::new(),
            purchase: Vec::new(),
            stats: Vec::new(),
            seen: BTreeSet::new(),
        }
    }

    /// Whether `plan` has been evaluated.
    pub fn contains(&self, plan: &PurchasePlan) -> bool {
        self.seen.contains(plan)
    }

    /// Evaluates `plans` in order against every trial (already evaluated
    /// ones again only when `repeat`), calling `tick` with the number done
    /// after each chunk.
    ///
    /// # Errors
    /// An impossible plan, or `Cancelled`.
    pub fn add(
        &mut self,
        plans: &[PurchasePlan],
        repeat: bool,
        sim: &Simulation<'_>,
        progress: &dyn Progress,
        tick: &(dyn Fn(usize) + Sync),
    ) -> Result<(), SizingError> {
        let mut fresh: Vec<PurchasePlan> = Vec::with_capacity(plans.len());
        for p in plans {
            if repeat || (!self.seen.contains(p) && !fresh.contains(p)) {
                fresh.push(*p);
            }
        }
        let fast: Vec<FastPlan> = fresh
            .iter()
            .map(|p| FastPlan::new_by_year(p, sim.term, sim.prices, sim.rate))
            .collect::<Result<_, _>>()?;
        for (plans, fast) in fresh.chunks(PLAN_CHUNK).zip(fast.chunks(PLAN_CHUNK)) {
            if progress.is_cancelled() {
                return Err(SizingError::Cancelled);
            }
            let stats: Vec<Stats> = if sim.parallel {
                fast.par_iter().map(|f| run(f, sim)).collect()
            } else {
                fast.iter().map(|f| run(f, sim)).collect()
            };
            for ((plan, f), s) in plans.iter().zip(fast).zip(stats) {
                self.seen.insert(*plan);
                self.plans.push(*plan);
                self.purchase.push(f.purchase_cost());
                self.stats.push(s);
            }
            tick(plans.len());
        }
        Ok(())
    }
}

/// One plan against every trial. A trial's cost is the purchases' present
/// value, the same in every trial, plus its overage's: the sum adds the
/// purchases once per trial count and the percentiles shift by them, so the
/// per-trial work is the overage alone (mostly nothing, for a good plan).
fn run(plan: &FastPlan, sim: &Simulation<'_>) -> Stats {
    let trials = sim.year_totals.len() / sim.years.max(1);
    let mut costs = Vec::with_capacity(trials);
    let mut stats = Stats::default();
    for demand in sim.year_totals.chunks_exact(sim.years.max(1)) {
        let (out, cost) = plan.overage_cost(sim.contract, demand);
        stats.expired += i128::from(out.expired);
        stats.overage += i128::from(out.overage);
        stats.unserved += i128::from(out.unserved);
        if out.overage + out.unserved > 0 {
            stats.short_trials += 1;
        }
        if out.unserved > 0 {
            stats.unserved_trials += 1;
        }
        costs.push(cost);
    }
    let purchase = plan.purchase_cost();
    let overage: Decimal = costs.iter().filter(|c| !c.is_zero()).sum();
    stats.cost_sum = purchase * Decimal::from(trials as u64) + overage;
    stats.percentiles = [10, 50, 90].map(|q| {
        let i = crate::ledger::fan::nearest_rank_index(costs.len(), q);
        // Selecting the rank's value reorders `costs` around it only.
        purchase + costs.select_nth_unstable(i).1.to_owned()
    });
    stats
}

/// What a plan buys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Nothing,
    AnnualOnly,
    ContractOnly,
    Mix,
}

impl Kind {
    pub fn of(p: &PurchasePlan) -> Kind {
        match (
            p.annual_tokens_per_year.is_zero(),
            p.contract_tokens.is_zero(),
        ) {
            (true, true) => Kind::Nothing,
            (false, true) => Kind::AnnualOnly,
            (true, false) => Kind::ContractOnly,
            (false, false) => Kind::Mix,
        }
    }
}

/// What a pick looks for (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Goal {
    Recommended,
    WithinRisk,
    AnnualOnly,
    ContractOnly,
    Mix,
    LeastUnserved,
}

/// The goals the pattern search serves, with the quantities each varies.
const SEARCHED: [(Goal, bool, bool); 6] = [
    (Goal::Recommended, true, true),
    (Goal::WithinRisk, true, true),
    (Goal::Mix, true, true),
    (Goal::AnnualOnly, true, false),
    (Goal::ContractOnly, false, true),
    (Goal::LeastUnserved, true, true),
];

/// The risk limit as a number of trials: a plan is within it when its
/// count of trials is at most this.
#[derive(Clone, Copy, Debug)]
pub(super) struct Risk {
    /// `risk_limit × trials`.
    pub max_trials: Decimal,
    /// Contract years (tokens over the term break ties).
    pub years: usize,
}

/// Where the risk limit's boundary runs, computed from the trials' year
/// totals alone (no plan evaluated): with annual `a` a year and contract
/// `c`, a trial whose years demand `D_k` needs `Σ (D_k − a)⁺` from the
/// contract lot (every year's excess over the annual lot, drawn in turn),
/// so it falls short by `(Σ (D_k − a)⁺ − c)⁺` in all, and refuses what is
/// short beyond the overdraft's slack (`Limit(n)`: `n`; `None`: 0). The
/// least contract quantity meeting a risk limit for a given annual one is
/// therefore a quantile of the trials' needs.
pub(super) struct Boundary<'a> {
    /// Every trial's demand per contract year, milli-tokens.
    pub year_totals: &'a [i64],
    /// Contract years.
    pub years: usize,
    /// Trials allowed to fall short (the risk limit × trials, rounded down).
    pub allowed: usize,
    /// Token-price tier floors above 0, tokens: where buying more can cost
    /// less (all-units tiers), so plans whose orders reach one are tried.
    pub floors: Vec<Decimal>,
    /// Shortfall over the term that is billed rather than refused,
    /// milli-tokens; `None` when nothing is ever refused (`Unlimited`).
    pub refusal_slack: Option<i64>,
}

impl Boundary<'_> {
    /// The least contract milli-tokens with which, buying `annual`
    /// milli-tokens a year, at most `allowed` trials fall short by more
    /// than `slack` over the term.
    fn contract_needed(&self, annual: i64, slack: i64) -> i64 {
        let mut needs: Vec<i64> = self
            .year_totals
            .chunks_exact(self.years.max(1))
            .map(|years| {
                let need: i64 = years.iter().map(|&d| (d - annual).max(0)).sum();
                (need - slack).max(0)
            })
            .collect();
        if self.allowed >= needs.len() {
            return 0;
        }
        // At most `allowed` trials may need more than the answer: it is the
        // (allowed + 1)-th largest need.
        let (_, nth, _) = needs.select_nth_unstable_by(self.allowed, |a, b| b.cmp(a));
        *nth
    }

    /// The shortfall slack a goal's limit allows, `None` when the goal is
    /// not limited by shortfalls.
    fn slack(&self, goal: Goal) -> Option<i64> {
        match goal {
            Goal::Recommended | Goal::Mix => self.refusal_slack,
            Goal::WithinRisk => Some(0),
            Goal::AnnualOnly | Goal::ContractOnly | Goal::LeastUnserved => None,
        }
    }
}

/// The evaluated plan that `goal` picks (see the module docs), `None` when
/// no plan qualifies.
pub(super) fn pick(
    goal: Goal,
    plans: &[PurchasePlan],
    stats: &[Stats],
    risk: Risk,
) -> Option<usize> {
    let within = |n: u64| Decimal::from(n) <= risk.max_trials;
    let tokens =
        |p: &PurchasePlan| p.annual_tokens_per_year * Decimal::from(risk.years) + p.contract_tokens;
    let candidates = plans
        .iter()
        .zip(stats)
        .enumerate()
        .filter(|(_, (p, s))| match goal {
            Goal::Recommended => within(s.unserved_trials),
            Goal::WithinRisk => within(s.short_trials),
            Goal::AnnualOnly => Kind::of(p) == Kind::AnnualOnly && within(s.unserved_trials),
            Goal::ContractOnly => Kind::of(p) == Kind::ContractOnly && within(s.unserved_trials),
            Goal::Mix => Kind::of(p) == Kind::Mix && within(s.unserved_trials),
            Goal::LeastUnserved => true,
        });
    if goal == Goal::LeastUnserved {
        candidates
            .min_by_key(|(i, (p, s))| (s.unserved, s.cost_sum, tokens(p), *i))
            .map(|(i, _)| i)
    } else {
        candidates
            .min_by_key(|(i, (p, s))| (s.cost_sum, tokens(p), *i))
            .map(|(i, _)| i)
    }
}

/// The grid of plans: multiples of `unit` up to the largest quantities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Lattice {
    /// Tokens per grid step.
    pub unit: Decimal,
    /// Largest annual quantity, in units.
    pub annual_max: u64,
    /// Largest contract quantity, in units.
    pub contract_max: u64,
    /// The coarse grid's annual step, in units (0: one level).
    annual_step: u64,
    /// The coarse grid's contract step, in units (0: one level).
    contract_step: u64,
    /// The coarse grid's annual levels, in units.
    annual_levels: Vec<u64>,
    /// The coarse grid, sorted, without duplicates.
    pub coarse: Vec<PurchasePlan>,
}

/// Where one goal's moves start: its pick (in units), which quantities it
/// varies, and the current step (in units).
struct Around {
    goal: Goal,
    vary: (bool, bool),
    at: (u64, u64),
    step: (u64, u64),
}

/// Most plans a coarse grid may have.
const MAX_COARSE: u64 = 10_000;

impl Lattice {
    /// The lattice around mean annual demand `mean` (tokens) for a term of
    /// `years`: `annual_levels` × `contract_levels` coarse levels from 0 to
    /// `max_fraction` × the demand each kind covers.
    ///
    /// # Errors
    /// When a level count is 0 or the grid too large, or `max_fraction` is
    /// outside 0 to 100.
    pub fn new(
        mean: Decimal,
        years: usize,
        annual_levels: u32,
        contract_levels: u32,
        max_fraction: Decimal,
        pack_size: Option<u32>,
    ) -> Result<Lattice, SizingError> {
        if annual_levels == 0
            || contract_levels == 0
            || u64::from(annual_levels) * u64::from(contract_levels) > MAX_COARSE
        {
            return Err(SizingError::Options(format!(
                "grid of {annual_levels} × {contract_levels} plans: each must be at least 1, \
                 and {MAX_COARSE} plans at most"
            )));
        }
        if max_fraction.is_sign_negative() || max_fraction > Decimal::from(100) {
            return Err(SizingError::Options(format!(
                "largest plan {max_fraction} × demand is outside 0 to 100"
            )));
        }
        let digits = mean.trunc().to_string().trim_start_matches('0').len() as u32;
        let sig3 = Decimal::from(10_i64.pow(digits.saturating_sub(3).min(15)));
        let unit = round_up_tokens(sig3, pack_size).max(Decimal::ONE);
        let level = |i: u32, levels: u32, base: Decimal| -> u64 {
            let raw = base * max_fraction * Decimal::from(i) / Decimal::from((levels - 1).max(1));
            (raw / unit)
                .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
                .to_u64()
                .unwrap_or(0)
        };
        let term_demand = mean * Decimal::from(years);
        let annual: Vec<u64> = (0..annual_levels)
            .map(|i| level(i, annual_levels, mean))
            .collect();
        let contract: Vec<u64> = (0..contract_levels)
            .map(|j| level(j, contract_levels, term_demand))
            .collect();
        let mut lattice = Lattice {
            unit,
            annual_max: annual.iter().copied().max().unwrap_or(0),
            contract_max: contract.iter().copied().max().unwrap_or(0),
            annual_step: annual.get(1).copied().unwrap_or(0),
            contract_step: contract.get(1).copied().unwrap_or(0),
            annual_levels: annual.clone(),
            coarse: Vec::new(),
        };
        let mut set = BTreeSet::new();
        for &a in &annual {
            for &c in &contract {
                set.insert(lattice.plan(a, c));
            }
        }
        lattice.coarse = set.into_iter().collect();
        Ok(lattice)
    }

    /// The plan of `a` annual and `c` contract units.
    pub fn plan(&self, a: u64, c: u64) -> PurchasePlan {
        PurchasePlan {
            annual_tokens_per_year: (self.unit * Decimal::from(a)).normalize(),
            contract_tokens: (self.unit * Decimal::from(c)).normalize(),
        }
    }

    /// `plan` as (annual, contract) units, when it is a point of the
    /// lattice.
    fn point(&self, plan: &PurchasePlan) -> Option<(u64, u64)> {
        let units = |q: Decimal| {
            let n = q.checked_div(self.unit)?;
            n.fract().is_zero().then(|| n.to_u64()).flatten()
        };
        let a = units(plan.annual_tokens_per_year)?;
        let c = units(plan.contract_tokens)?;
        (a <= self.annual_max && c <= self.contract_max).then_some((a, c))
    }

    /// Plans in the lattice (saturating).
    pub fn size(&self) -> u64 {
        (self.annual_max.saturating_add(1)).saturating_mul(self.contract_max.saturating_add(1))
    }

    /// Every plan of the lattice, by annual then contract quantity.
    pub fn all(&self) -> Vec<PurchasePlan> {
        (0..=self.annual_max)
            .flat_map(|a| (0..=self.contract_max).map(move |c| (a, c)))
            .map(|(a, c)| self.plan(a, c))
            .collect()
    }

    /// The pattern search after the coarse grid (see the module docs):
    /// at most `rounds` rounds, plans evaluated through `evaluate`.
    ///
    /// # Errors
    /// What `evaluate` returns.
    pub fn refine<F>(
        &self,
        rounds: u32,
        risk: Risk,
        boundary: &Boundary<'_>,
        evaluated: &mut Evaluated,
        mut evaluate: F,
    ) -> Result<(), SizingError>
    where
        F: FnMut(&mut Evaluated, &[PurchasePlan]) -> Result<(), SizingError>,
    {
        if rounds == 0 {
            return Ok(());
        }
        let half = |s: u64| if s > 1 { s.div_ceil(2) } else { s };
        let finest = (
            u64::from(self.annual_max > 0),
            u64::from(self.contract_max > 0),
        );
        let mut step = (
            half(self.annual_step).max(finest.0),
            half(self.contract_step).max(finest.1),
        );
        let seeds = self.boundary_seeds(boundary, evaluated);
        evaluate(evaluated, &seeds)?;
        for _ in 0..rounds {
            let picks = self.picks(evaluated, risk);
            let mut fresh = BTreeSet::new();
            for (&(goal, vary_a, vary_c), seed) in SEARCHED.iter().zip(&picks) {
                if let Some(at) = seed.and_then(|i| self.point(&evaluated.plans[i])) {
                    let around = Around {
                        goal,
                        vary: (vary_a, vary_c),
                        at,
                        step,
                    };
                    self.moves(&around, boundary, &mut fresh);
                }
            }
            let fresh: Vec<PurchasePlan> = fresh
                .into_iter()
                .filter(|p| !evaluated.contains(p))
                .collect();
            evaluate(evaluated, &fresh)?;
            if self.picks(evaluated, risk) == picks {
                if step.0 <= finest.0 && step.1 <= finest.1 {
                    break;
                }
                step = (half(step.0).max(finest.0), half(step.1).max(finest.1));
            }
        }
        Ok(())
    }

    /// The risk limit's boundary at every coarse annual level (for the
    /// refusal limit and for the overage-or-refusal limit), so the limited
    /// goals start from the boundary's whole length.
    fn boundary_seeds(&self, boundary: &Boundary<'_>, evaluated: &Evaluated) -> Vec<PurchasePlan> {
        let mut slacks: Vec<i64> = [boundary.refusal_slack, Some(0)]
            .into_iter()
            .flatten()
            .collect();
        slacks.dedup();
        let seeds: BTreeSet<PurchasePlan> = slacks
            .iter()
            .flat_map(|&slack| {
                self.annual_levels.iter().filter_map(move |&a| {
                    self.contract_units(boundary, a, slack)
                        .map(|c| self.plan(a, c))
                })
            })
            .filter(|p| !evaluated.contains(p))
            .collect();
        seeds.into_iter().collect()
    }

    /// The plans one round tries around one goal's pick, added to `fresh`:
    /// the neighbours one step away, the orders reaching a tier floor and,
    /// for a limited goal, the boundary one annual step away.
    fn moves(&self, around: &Around, boundary: &Boundary<'_>, fresh: &mut BTreeSet<PurchasePlan>) {
        let Around {
            goal,
            vary: (vary_a, vary_c),
            at: (a, c),
            step,
        } = *around;
        let slack = boundary.slack(goal);
        let mut add = |na: u64, nc: u64| {
            if na <= self.annual_max && nc <= self.contract_max {
                fresh.insert(self.plan(na, nc));
            }
        };
        let offset = |x: u64, d: i64, s: u64| x.checked_add_signed(d * s as i64);
        let span = |vary: bool, s: u64| if vary && s > 0 { -1..=1 } else { 0..=0 };
        for da in span(vary_a, step.0) {
            for dc in span(vary_c, step.1) {
                if let (Some(na), Some(nc)) = (offset(a, da, step.0), offset(c, dc, step.1)) {
                    add(na, nc);
                }
            }
        }
        // Orders reaching a tier floor: the first year's (annual and
        // contract together) or every later year's (annual alone, with the
        // same contract quantity or, for a limited goal, just enough).
        for f in boundary.floors.iter().filter_map(|&t| self.units_up(t)) {
            if vary_a {
                add(f, c);
                if let Some(nc) = slack.and_then(|sl| self.contract_units(boundary, f, sl)) {
                    add(f, nc);
                }
            }
            if vary_c && f > a {
                add(a, f - a);
            }
        }
        // Along the risk limit's boundary: a limited goal's best plan
        // usually holds just enough contract tokens for its annual quantity,
        // and the boundary may run at any slope.
        if let Some(slack) = slack {
            for da in span(true, step.0) {
                if let Some(na) = offset(a, da, step.0)
                    && let Some(nc) = self.contract_units(boundary, na, slack)
                {
                    add(na, nc);
                }
            }
        }
    }

    /// `tokens` in whole units, rounded up.
    fn units_up(&self, tokens: Decimal) -> Option<u64> {
        tokens.checked_div(self.unit)?.ceil().to_u64()
    }

    /// The least contract units meeting `boundary` with `annual` units a
    /// year and shortfall `slack`, `None` beyond the grid.
    fn contract_units(&self, boundary: &Boundary<'_>, annual: u64, slack: i64) -> Option<u64> {
        let unit = super::eval::to_milli(self.unit)?;
        let annual = i64::try_from(annual).ok()?.checked_mul(unit)?;
        let needed = u64::try_from(boundary.contract_needed(annual, slack)).ok()?;
        let units = needed.div_ceil(u64::try_from(unit).ok()?.max(1));
        (units <= self.contract_max).then_some(units)
    }

    /// Every searched goal's current pick (`LeastUnserved` only while no
    /// plan keeps refusals within the risk limit).
    fn picks(&self, evaluated: &Evaluated, risk: Risk) -> Vec<Option<usize>> {
        let recommended = pick(Goal::Recommended, &evaluated.plans, &evaluated.stats, risk);
        SEARCHED
            .iter()
            .map(|&(goal, _, _)| match goal {
                Goal::Recommended => recommended,
                Goal::LeastUnserved if recommended.is_some() => None,
                _ => pick(goal, &evaluated.plans, &evaluated.stats, risk),
            })
            .collect()
    }
}
