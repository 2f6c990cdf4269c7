//! `tokenplan term` (SPEC §7, §8): the term plan beside renewing as-is, as
//! a readable table, CSV or JSON.
//!
//! [`analyse_term`] forecasts, plans, costs renewing as-is and runs both
//! ledgers: a [`TermAnalysis`]. [`TermReport`] is its JSON — exactly the
//! fields SPEC §8 lists, money and tokens as decimal strings with two
//! places ([`Fixed2`]), plus `warnings` when there are any (SPEC §4: every
//! output that forecasts says when its history is short).
//! [`TermAnalysis::table`] and [`TermAnalysis::write_csv`] are the other
//! two formats.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write;

use serde::Serialize;

use crate::ledger::{LedgerRun, YearSummary};
use crate::meter::Metered;
use crate::plan::{Fixed2, fixed2};
use crate::scenario::Scenario;
use crate::usage::Usage;

use super::TermError;
use super::demand::TermDemand;
use super::ledger::term_ledger;
use super::search::SearchOptions;
use super::seats::{SeatChange, SeatsSource};
use super::years::{TermPlan, TermYear, plan_term, problem, renew_as_is};

/// A term plan with its ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Costed {
    /// The plan.
    pub plan: TermPlan,
    /// Its purchases run day by day over the term.
    pub ledger: LedgerRun,
}

/// Everything `tokenplan term` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TermAnalysis {
    /// Subscription codes, indexed as the plans' seats.
    pub codes: Vec<String>,
    /// The term plan.
    pub plan: Costed,
    /// Renewing as-is (`None` when no seats are known before year 1).
    pub renew_as_is: Option<Costed>,
    /// Where the seats held before year 1 come from.
    pub seats_source: SeatsSource,
    /// What the figures rest on that the user should know.
    pub warnings: Vec<String>,
}

/// Forecasts `metered` over `scenario`'s term, plans it, costs renewing
/// as-is, and runs both ledgers.
///
/// # Errors
/// [`TermError`] when the forecast, prices, constraints or the contract
/// are unusable.
pub fn analyse_term(
    metered: &Metered,
    usage: &Usage,
    scenario: &Scenario,
    options: SearchOptions,
) -> Result<TermAnalysis, TermError> {
    let demand = TermDemand::new(metered, usage, scenario)?;
    analyse_demand(metered, scenario, &demand, options)
}

/// [`analyse_term`] from an already forecast `demand` (re-planning after a
/// price edit).
///
/// # Errors
/// As [`analyse_term`].
pub fn analyse_demand(
    metered: &Metered,
    scenario: &Scenario,
    demand: &TermDemand,
    options: SearchOptions,
) -> Result<TermAnalysis, TermError> {
    let priced = problem(demand, scenario)?;
    let plan = plan_term(demand, scenario, options)?;
    let ledger = term_ledger(metered, scenario, demand, &priced.prices, &plan)?;
    let renew = match renew_as_is(demand, scenario)? {
        Some(p) => {
            let ledger = term_ledger(metered, scenario, demand, &priced.prices, &p)?;
            Some(Costed { plan: p, ledger })
        }
        None => None,
    };
    let mut warnings = demand.input.warnings.clone();
    // The plan input's warnings already say when the window is short.
    if !priced.before.known() {
        warnings.push(
            "no seats are known before year 1 (set contract.current_seats or give the \
             assignments file): year 1's seats are all new and renewing as-is is not shown"
                .into(),
        );
    }
    Ok(TermAnalysis {
        codes: demand
            .input
            .subscriptions
            .iter()
            .map(|s| s.code.clone())
            .collect(),
        plan: Costed { plan, ledger },
        renew_as_is: renew,
        seats_source: priced.before.source,
        warnings,
    })
}

/// One contract year in `term --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct YearLine {
    /// Contract year, 1-based.
    pub year: u32,
    /// Subscription code → seats held that year.
    pub seats: BTreeMap<String, u32>,
    /// Subscription code → seats kept, added and dropped.
    pub seat_changes: BTreeMap<String, SeatChange>,
    /// Kept seats at renewal prices, added ones at new-seat prices.
    pub subscription_cost: Fixed2,
    /// Tokens bought (the year's `Annual` lot).
    pub tokens_bought: Fixed2,
    /// What they cost.
    pub token_cost: Fixed2,
    /// Subscriptions + tokens.
    pub total: Fixed2,
    /// The total discounted to the term's start.
    pub present_value: Fixed2,
}

/// Renewing as-is in `term --format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RenewLine {
    /// One per contract year.
    pub years: Vec<YearLine>,
    /// Every year's total.
    pub total: Fixed2,
    /// The term's net present value.
    pub npv: Fixed2,
}

/// `term --format json` (SPEC §8).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TermReport {
    /// One per contract year.
    pub years: Vec<YearLine>,
    /// Every year's total.
    pub total: Fixed2,
    /// The term's net present value.
    pub npv: Fixed2,
    /// Renewing as-is; absent when no seats are known before year 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_as_is: Option<RenewLine>,
    /// What the figures rest on (absent when nothing).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl TermReport {
    /// The JSON view of `analysis`.
    pub fn new(analysis: &TermAnalysis) -> TermReport {
        let lines = |plan: &TermPlan| -> Vec<YearLine> {
            plan.years
                .iter()
                .map(|y| year_line(&analysis.codes, y))
                .collect()
        };
        TermReport {
            years: lines(&analysis.plan.plan),
            total: Fixed2(analysis.plan.plan.total),
            npv: Fixed2(analysis.plan.plan.npv),
            renew_as_is: analysis.renew_as_is.as_ref().map(|r| RenewLine {
                years: lines(&r.plan),
                total: Fixed2(r.plan.total),
                npv: Fixed2(r.plan.npv),
            }),
            warnings: analysis.warnings.clone(),
        }
    }
}

fn year_line(codes: &[String], y: &TermYear) -> YearLine {
    YearLine {
        year: y.year,
        seats: codes.iter().cloned().zip(y.seats.iter().copied()).collect(),
        seat_changes: codes
            .iter()
            .cloned()
            .zip(y.changes.iter().copied())
            .collect(),
        subscription_cost: Fixed2(y.subscription_cost),
        tokens_bought: Fixed2(y.purchase.tokens),
        token_cost: Fixed2(y.purchase.cost),
        total: Fixed2(y.total),
        present_value: Fixed2(y.present_value),
    }
}

impl TermAnalysis {
    /// `term --format table`: both plans year by year, then their totals.
    pub fn table(&self, currency: &str) -> String {
        let mut s = String::new();
        let method = if self.plan.plan.proven_optimal {
            "exact"
        } else {
            "best found"
        };
        let _ = writeln!(
            s,
            "Term plan ({method}): {currency} {} over {} years, NPV {currency} {}",
            Fixed2(self.plan.plan.total),
            self.plan.plan.years.len(),
            Fixed2(self.plan.plan.npv)
        );
        self.years_table(&mut s, &self.plan, currency);
        match &self.renew_as_is {
            Some(r) => {
                let _ = writeln!(
                    s,
                    "\nRenew as-is: {currency} {} over {} years, NPV {currency} {}",
                    Fixed2(r.plan.total),
                    r.plan.years.len(),
                    Fixed2(r.plan.npv)
                );
                self.years_table(&mut s, r, currency);
                let _ = writeln!(
                    s,
                    "\nThe plan saves {currency} {} (NPV {currency} {}) against renewing as-is.",
                    Fixed2(r.plan.total - self.plan.plan.total),
                    Fixed2(r.plan.npv - self.plan.plan.npv)
                );
            }
            None => {
                let _ = writeln!(
                    s,
                    "\nRenew as-is: not shown (no seats known before year 1)."
                );
            }
        }
        s
    }

    fn years_table(&self, s: &mut String, costed: &Costed, currency: &str) {
        let _ = writeln!(
            s,
            "{:>4}  {:>16} {:>12} {:>14} {:>10} {:>10} {:>16} {:>8} {:>16}",
            "year",
            "subscriptions",
            "tokens",
            "token cost",
            "overage",
            "expired",
            "total",
            "discount",
            "present value"
        );
        for (y, ledger) in costed.plan.years.iter().zip(&costed.ledger.years) {
            let _ = writeln!(
                s,
                "{:>4}  {:>16} {:>12} {:>14} {:>10} {:>10} {:>16} {:>8} {:>16}",
                y.year,
                format!("{currency} {}", Fixed2(y.subscription_cost)),
                Fixed2(y.purchase.tokens).to_string(),
                Fixed2(y.purchase.cost).to_string(),
                Fixed2(ledger.overage).to_string(),
                Fixed2(ledger.expired).to_string(),
                Fixed2(y.total).to_string(),
                y.discount_factor.round_dp(4).to_string(),
                Fixed2(y.present_value).to_string()
            );
            let seats: Vec<String> = self
                .codes
                .iter()
                .zip(y.seats.iter().zip(&y.changes))
                .filter(|(_, (n, c))| **n > 0 || c.dropped > 0)
                .map(|(code, (n, c))| {
                    let mut parts = Vec::new();
                    for (what, count) in
                        [("kept", c.kept), ("added", c.added), ("dropped", c.dropped)]
                    {
                        if count > 0 {
                            parts.push(format!("{what} {count}"));
                        }
                    }
                    format!("{code} {n} ({})", parts.join(", "))
                })
                .collect();
            let seats = if seats.is_empty() {
                "none".to_string()
            } else {
                seats.join("; ")
            };
            let _ = writeln!(s, "      seats: {seats}");
            self.ledger_note(s, ledger, currency);
        }
    }

    fn ledger_note(&self, s: &mut String, year: &YearSummary, currency: &str) {
        if !year.topped_up.is_zero() {
            let _ = writeln!(
                s,
                "      topped up {} tokens in packs for {currency} {}",
                Fixed2(year.topped_up),
                Fixed2(year.top_up_cost)
            );
        }
        if !year.overage_cost.is_zero() {
            let _ = writeln!(
                s,
                "      overage billed at the year's end: {currency} {}",
                Fixed2(year.overage_cost)
            );
        }
        if !year.unserved.is_zero() {
            let _ = writeln!(s, "      {} token-days refused", Fixed2(year.unserved));
        }
    }

    /// `term --format csv`: one row per plan and year, with the header
    /// `plan,year,subscription_cost,tokens_bought,token_cost,overage_tokens,expired_tokens,total,discount_factor,present_value`
    /// then per subscription code `CODE_seats,CODE_kept,CODE_added,CODE_dropped`.
    ///
    /// # Errors
    /// When writing to `out` fails.
    pub fn write_csv<W: Write>(&self, out: W) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        let mut header: Vec<String> = [
            "plan",
            "year",
            "subscription_cost",
            "tokens_bought",
            "token_cost",
            "overage_tokens",
            "expired_tokens",
            "total",
            "discount_factor",
            "present_value",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        for code in &self.codes {
            for what in ["seats", "kept", "added", "dropped"] {
                header.push(format!("{code}_{what}"));
            }
        }
        w.write_record(&header)?;
        let mut rows = vec![("term_plan", &self.plan)];
        if let Some(r) = &self.renew_as_is {
            rows.push(("renew_as_is", r));
        }
        for (name, costed) in rows {
            for (y, ledger) in costed.plan.years.iter().zip(&costed.ledger.years) {
                let mut record = vec![
                    name.to_string(),
                    y.year.to_string(),
                    fixed2(y.subscription_cost),
                    fixed2(y.purchase.tokens),
                    fixed2(y.purchase.cost),
                    fixed2(ledger.overage),
                    fixed2(ledger.expired),
                    fixed2(y.total),
                    y.discount_factor.round_dp(6).to_string(),
                    fixed2(y.present_value),
                ];
                for (n, c) in y.seats.iter().zip(&y.changes) {
                    record.extend([n, &c.kept, &c.added, &c.dropped].map(|v| v.to_string()));
                }
                w.write_record(&record)?;
            }
        }
        w.flush()?;
        Ok(())
    }
}
