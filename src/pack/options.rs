//! The options side by side over the term (SPEC §9): renew as-is, the term
//! plan (SPEC §8), all tokens, all subscriptions, and any scenario added
//! for comparison, each with its year-1 cost, term total, NPV, P90 of
//! token spend, seats and tokens, and Δ against renewing as-is.
//!
//! All four of the scenario's options are priced by the term's own
//! machinery ([`Priced`], [`term_plan`]), so every figure is the one
//! `tokenplan term` would show for that plan:
//! - **all tokens**: nobody holds a seat (pinned users keep theirs), every
//!   year's uncovered forecast bought as one `Annual` lot;
//! - **all subscriptions**: every user, every year, on the cheapest set of
//!   subscriptions (year-1 new-seat prices) covering every product they
//!   used that any subscription covers (ties: fewer subscriptions); tokens
//!   for what nothing covers.

use rust_decimal::Decimal;

use crate::term::search::{Problem, Solution};
use crate::term::years::{Priced, term_plan};
use crate::term::{SearchMethod, TermPlan};

use super::spend::Spend;

/// Which option a line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum OptionKind {
    /// The seats held before year 1 kept all term.
    RenewAsIs,
    /// The recommended term plan.
    TermPlan,
    /// No seats: everything on tokens.
    AllTokens,
    /// Every user covered by subscriptions.
    AllSubscriptions,
    /// The term plan of a scenario added for comparison.
    Compare,
}

impl OptionKind {
    /// The option's name as shown.
    pub fn label(self) -> &'static str {
        match self {
            OptionKind::RenewAsIs => "Renew as-is",
            OptionKind::TermPlan => "Term plan (recommended)",
            OptionKind::AllTokens => "All tokens",
            OptionKind::AllSubscriptions => "All subscriptions",
            OptionKind::Compare => "Compared scenario",
        }
    }
}

/// One option over the term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PackOption {
    /// Which option.
    pub kind: OptionKind,
    /// Its name as shown (the compared scenario's own name for `Compare`).
    pub name: String,
    /// Subscription codes, indexed as the plan's seats.
    pub codes: Vec<String>,
    /// The plan year by year.
    pub plan: TermPlan,
    /// Year 1's subscriptions + tokens.
    pub year1_cost: Decimal,
    /// Every year's total.
    pub total: Decimal,
    /// Net present value of the term.
    pub npv: Decimal,
    /// Seats held in year 1, all subscriptions.
    pub seats_year1: u32,
    /// Tokens bought in year 1.
    pub tokens_year1: Decimal,
    /// Tokens bought over the term.
    pub tokens_term: Decimal,
    /// The purchases simulated against varying demand (`None` when the
    /// history cannot be resampled: see `spend_note`).
    pub spend: Option<Spend>,
    /// Why there is no simulation, when there is none.
    pub spend_note: Option<String>,
    /// Term total − renew as-is's (`None` without renew as-is).
    pub delta_total: Option<Decimal>,
    /// NPV − renew as-is's NPV.
    pub delta_npv: Option<Decimal>,
}

impl PackOption {
    /// The line for `plan`.
    pub fn new(kind: OptionKind, name: String, codes: Vec<String>, plan: TermPlan) -> PackOption {
        let first = plan.years.first();
        PackOption {
            kind,
            name,
            codes,
            year1_cost: first.map_or(Decimal::ZERO, |y| y.total),
            total: plan.total,
            npv: plan.npv,
            seats_year1: first.map_or(0, |y| y.seats.iter().sum()),
            tokens_year1: first.map_or(Decimal::ZERO, |y| y.purchase.tokens),
            tokens_term: plan.years.iter().map(|y| y.purchase.tokens).sum(),
            plan,
            spend: None,
            spend_note: None,
            delta_total: None,
            delta_npv: None,
        }
    }

    /// P90 of token spend, when simulated.
    pub fn p90(&self) -> Option<Decimal> {
        self.spend.as_ref().map(|s| s.p90)
    }
}

/// Fills every option's Δ against the renew-as-is line, if there is one.
pub fn set_deltas(options: &mut [PackOption]) {
    let Some(renew) = options
        .iter()
        .find(|o| o.kind == OptionKind::RenewAsIs)
        .map(|o| (o.total, o.npv))
    else {
        return;
    };
    for o in options {
        o.delta_total = Some(o.total - renew.0);
        o.delta_npv = Some(o.npv - renew.1);
    }
}

/// Everything on tokens (see the module doc).
pub fn all_tokens(priced: &Priced<'_>) -> TermPlan {
    let p = &priced.problem;
    let picks: Vec<Vec<u32>> = (0..p.years).map(|_| p.nobody()).collect();
    let solution = with_holders_as_seats(p, picks);
    term_plan(priced, &solution, SearchMethod::AsIs)
}

/// Everyone on subscriptions (see the module doc).
pub fn all_subscriptions(priced: &Priced<'_>) -> TermPlan {
    let p = &priced.problem;
    let year1 = |j: usize| {
        p.new_seat
            .first()
            .and_then(|y| y.get(j))
            .copied()
            .unwrap_or_default()
    };
    let pick: Vec<u32> = (0..p.users())
        .map(|i| {
            p.fixed(i).unwrap_or_else(|| {
                let masks = p.candidates().masks(i);
                (0..masks.len() as u32)
                    .map(|c| {
                        let price: Decimal =
                            crate::plan::input::bits(p.mask(i, c)).map(year1).sum();
                        (p.uncovered(i, c, 0), price, c)
                    })
                    // `min` keeps the first of equals: the earlier
                    // candidate, i.e. fewer subscriptions.
                    .min_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)))
                    .map_or(0, |x| x.2)
            })
        })
        .collect();
    let picks = vec![pick; p.years];
    let solution = with_holders_as_seats(p, picks);
    term_plan(priced, &solution, SearchMethod::AsIs)
}

/// `picks` every year with exactly as many seats as holders.
fn with_holders_as_seats(p: &Problem<'_>, picks: Vec<Vec<u32>>) -> Solution {
    let seats: Vec<Vec<u32>> = picks.iter().map(|pk| p.holders(pk)).collect();
    p.solution(picks, seats)
}
