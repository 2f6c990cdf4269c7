//! What the Pool view draws, built once per Size job on its worker (never
//! in a frame): the plan comparison rows, the ledger of the recommended plan
//! as one balance line per lot with its expiry events, the fan of simulated
//! annual demand, and the denial curve of every `Concurrent` pool.

use chrono::{Datelike, NaiveDate};
use egui_plot::PlotPoint;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::BarItem;
use crate::gui::engine::Sized;
use crate::gui::fmt;
use crate::ledger::{LedgerRun, LotKind, PlanResult, SizeReport};
use crate::time::day_of_date;

/// One plan of the side-by-side comparison, figures as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRow {
    /// "Annual only", "Contract only", "Best mix", "Within risk".
    pub label: String,
    /// True for the plan with the lowest expected cost.
    pub recommended: bool,
    /// Annual tokens per year.
    pub annual: String,
    /// Contract tokens.
    pub contract: String,
    /// Expected cost with currency.
    pub expected_cost: String,
    /// P10 cost with currency.
    pub p10_cost: String,
    /// P90 cost with currency.
    pub p90_cost: String,
    /// Expected expired tokens.
    pub expected_expired: String,
    /// Probability of any overage or unserved demand, percent.
    pub overage_probability: String,
    /// Expected cost, for the bar chart.
    pub expected_cost_f64: f64,
    /// P90 cost, for the bar chart.
    pub p90_cost_f64: f64,
}

/// One lot's balance over the term.
#[derive(Clone, Debug, PartialEq)]
pub struct LotSeries {
    /// "Annual lot 2026", "Contract lot".
    pub name: String,
    /// x = day number since 1970-01-01, y = tokens left at the end of the day.
    pub points: Vec<PlotPoint>,
}

/// A lot's expiry on the ledger chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Expiry {
    /// Day number of its last day.
    pub x: f64,
    /// Tokens it still held.
    pub tokens_f64: f64,
    /// "Annual lot 2026 expires 2026-12-31: 1,234 tokens expired".
    pub text: String,
}

/// The exact ledger of the recommended plan.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerChart {
    /// One series per lot, in the ledger's lot order.
    pub lots: Vec<LotSeries>,
    /// Daily demand of the path replayed, same x as the lots.
    pub demand: Vec<PlotPoint>,
    /// Every expiry event, by date.
    pub expiries: Vec<Expiry>,
    /// Expiry points (x, tokens expired), same order as `expiries`.
    pub expiry_points: Vec<PlotPoint>,
    /// The dates of the term, index-aligned with the points.
    pub dates: Vec<NaiveDate>,
    /// Per-year table rows: year, demand, consumed, expired, overage, cost.
    pub years: Vec<[String; 6]>,
    /// The totals line.
    pub totals: String,
    /// The ledger itself, for exact figures on hover.
    pub run: LedgerRun,
}

/// Simulated demand per contract year.
#[derive(Clone, Debug, PartialEq)]
pub struct Fan {
    /// Contract year numbers (1-based), as plot x.
    pub xs: Vec<f64>,
    /// P10 per year.
    pub p10: Vec<f64>,
    /// P90 per year.
    pub p90: Vec<f64>,
    /// P50 line.
    pub p50: Vec<PlotPoint>,
    /// Per year: label, P10, P50, P90 as shown.
    pub rows: Vec<[String; 4]>,
}

/// One `Concurrent` pool's denial curve.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolCurve {
    /// Pool name.
    pub pool: String,
    /// Products drawing from it.
    pub products: String,
    /// Peak draw.
    pub peak: u32,
    /// Checkouts in the history.
    pub checkouts: u64,
    /// Target denial rate, percent as shown.
    pub target: String,
    /// Smallest size meeting the target.
    pub size_for_target: u32,
    /// x = pool size, y = denied checkouts.
    pub points: Vec<PlotPoint>,
    /// Per point: what it is made of.
    pub hover: Vec<String>,
}

/// Everything the Pool view shows.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolData {
    /// The report as the engine gave it.
    pub report: SizeReport,
    /// The scenario's currency.
    pub currency: String,
    /// One line on where the demand comes from.
    pub basis: String,
    /// The recommended plan in words.
    pub headline: String,
    /// Annual only, contract only, best mix, within risk (those that exist).
    pub plans: Vec<PlanRow>,
    /// The ledger, or why it could not run.
    pub ledger: Result<LedgerChart, String>,
    /// What path the ledger replays.
    pub ledger_note: String,
    /// The demand fan.
    pub fan: Fan,
    /// The `Concurrent` pools.
    pub pools: Vec<PoolCurve>,
    /// Expected cost per compared plan, for the bar chart.
    pub cost_bars: Vec<BarItem>,
    /// P90 cost per compared plan.
    pub p90_bars: Vec<BarItem>,
    /// The recommended plan's annual tokens per year (the fan's reference).
    pub recommended_annual: Option<f64>,
}

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

fn percent(share: Decimal) -> String {
    format!(
        "{}%",
        fmt::decimal((share * Decimal::ONE_HUNDRED).round_dp(2))
    )
}

impl PlanRow {
    fn new(label: &str, plan: &PlanResult, recommended: bool, currency: &str) -> PlanRow {
        PlanRow {
            label: label.to_owned(),
            recommended,
            annual: fmt::decimal(plan.annual_tokens_per_year),
            contract: fmt::decimal(plan.contract_tokens),
            expected_cost: fmt::money(plan.expected_cost, currency),
            p10_cost: fmt::money(plan.p10_cost, currency),
            p90_cost: fmt::money(plan.p90_cost, currency),
            expected_expired: fmt::decimal(plan.expected_expired),
            overage_probability: percent(plan.overage_probability),
            expected_cost_f64: f(plan.expected_cost),
            p90_cost_f64: f(plan.p90_cost),
        }
    }
}

impl PoolData {
    /// Builds the view's data from a Size job's result.
    pub fn build(sized: Sized, currency: &str) -> PoolData {
        let Sized {
            report,
            history_days,
            history_tokens,
            fan: demand,
            ledger,
        } = sized;
        let plans = plan_rows(&report, currency);
        PoolData {
            cost_bars: plans
                .iter()
                .map(|p| plan_bar(p, p.expected_cost_f64, "expected cost", &p.expected_cost))
                .collect(),
            p90_bars: plans
                .iter()
                .map(|p| plan_bar(p, p.p90_cost_f64, "P90 cost", &p.p90_cost))
                .collect(),
            recommended_annual: report
                .plans
                .get(report.recommended)
                .map(|p| f(p.annual_tokens_per_year)),
            ledger: ledger.map(|run| ledger_chart(&run, currency)),
            currency: currency.to_owned(),
            basis: basis(&report, history_days, history_tokens),
            headline: headline(&report, currency),
            plans,
            ledger_note: format!(
                "The exact ledger of the recommended plan on the median simulated term: trial {} of {}, whose total demand over the term is the P50 of all trials (resampled weeks of history, grown).",
                demand.median_trial + 1,
                report.trials
            ),
            fan: fan(&report, &demand.annual),
            pools: pool_curves(&report),
            report,
        }
    }
}

/// Annual only, contract only, best mix and within risk, those that
/// exist, the recommended one marked.
fn plan_rows(report: &SizeReport, currency: &str) -> Vec<PlanRow> {
    let side = &report.side_by_side;
    let mut plans = Vec::new();
    for (label, index) in [
        ("Annual only", side.annual_only),
        ("Contract only", side.contract_only),
        ("Best mix", side.best_mix),
        ("Within risk", report.recommended_within_risk),
    ] {
        if let Some(p) = index.and_then(|i| report.plans.get(i)) {
            plans.push(PlanRow::new(
                label,
                p,
                index == Some(report.recommended),
                currency,
            ));
        }
    }
    plans
}

/// The recommended plan in words.
fn headline(report: &SizeReport, currency: &str) -> String {
    report.plans.get(report.recommended).map_or_else(
        || "No plan was evaluated.".to_owned(),
        |p| {
            format!(
                "Recommended: {} annual tokens per year + {} contract tokens, expected cost {} (P10 {}, P90 {}), {} chance of overage.",
                fmt::decimal(p.annual_tokens_per_year),
                fmt::decimal(p.contract_tokens),
                fmt::money(p.expected_cost, currency),
                fmt::money(p.p10_cost, currency),
                fmt::money(p.p90_cost, currency),
                percent(p.overage_probability),
            )
        },
    )
}

/// Where the demand comes from: the history sized and the simulation.
fn basis(report: &SizeReport, history_days: usize, history_tokens: Decimal) -> String {
    format!(
        "Demand: what the recommended mix leaves to tokens, {} tokens over {} days of history ({} used, resampled in whole weeks and grown as the scenario's forecast says); {} trials, seed {}; present values at the contract start.",
        fmt::decimal(history_tokens),
        fmt::count(history_days as u64),
        fmt::count(report.history_days as u64),
        fmt::count(u64::from(report.trials)),
        report.seed,
    )
}

/// The fan of simulated demand per contract year: band, median, table.
fn fan(report: &SizeReport, annual_demand: &[[Decimal; 3]]) -> Fan {
    Fan {
        xs: (1..=annual_demand.len()).map(|y| y as f64).collect(),
        p10: annual_demand.iter().map(|q| f(q[0])).collect(),
        p90: annual_demand.iter().map(|q| f(q[2])).collect(),
        p50: annual_demand
            .iter()
            .enumerate()
            .map(|(i, q)| PlotPoint::new((i + 1) as f64, f(q[1])))
            .collect(),
        rows: annual_demand
            .iter()
            .enumerate()
            .map(|(i, q)| {
                let year = report.term_start.year() + i as i32;
                [
                    format!("Year {} ({year})", i + 1),
                    fmt::decimal(q[0]),
                    fmt::decimal(q[1]),
                    fmt::decimal(q[2]),
                ]
            })
            .collect(),
    }
}

/// The denial curve of every `Concurrent` pool.
fn pool_curves(report: &SizeReport) -> Vec<PoolCurve> {
    report
        .pools
        .iter()
        .map(|p| PoolCurve {
            pool: p.pool.clone(),
            products: p.products.join(", "),
            peak: p.peak,
            checkouts: p.checkouts,
            target: percent(p.target_denial_rate),
            size_for_target: p.size_for_target,
            points: p
                .denials
                .iter()
                .map(|d| PlotPoint::new(f64::from(d.size), d.denied_checkouts as f64))
                .collect(),
            hover: p
                .denials
                .iter()
                .map(|d| {
                    format!(
                        "Pool of {} tokens\n{} checkouts denied ({} of {})\n{} token-hours, {} users refused",
                        d.size,
                        fmt::count(d.denied_checkouts),
                        percent(d.denial_rate),
                        fmt::count(p.checkouts),
                        fmt::decimal(d.denied_token_hours),
                        fmt::count(d.denied_users)
                    )
                })
                .collect(),
        })
        .collect()
}

/// One bar per compared plan of `value` (`what`, shown as `shown`), its
/// hover saying what the plan buys.
fn plan_bar(p: &PlanRow, value: f64, what: &str, shown: &str) -> BarItem {
    BarItem {
        label: p.label.clone(),
        value,
        hover: format!(
            "{}: {what} {shown}\n{} annual tokens per year + {} contract tokens\nexpected expired {} tokens, P(overage) {}",
            p.label, p.annual, p.contract, p.expected_expired, p.overage_probability
        ),
    }
}

/// "Annual lot 2026" / "Contract lot".
fn lot_name(kind: LotKind, purchased: NaiveDate) -> String {
    match kind {
        LotKind::Annual => format!("Annual lot {}", purchased.year()),
        LotKind::Contract => "Contract lot".to_owned(),
        LotKind::Pack => format!("Pack bought {purchased}"),
    }
}

fn ledger_chart(run: &LedgerRun, currency: &str) -> LedgerChart {
    let xs: Vec<f64> = run
        .days
        .iter()
        .map(|d| f64::from(day_of_date(d.date)))
        .collect();
    let lots = run
        .lots
        .iter()
        .enumerate()
        .map(|(i, lot)| LotSeries {
            name: lot_name(lot.kind, lot.purchased),
            points: run
                .days
                .iter()
                .zip(&xs)
                .map(|(d, &x)| PlotPoint::new(x, f(d.balances.get(i).copied().unwrap_or_default())))
                .collect(),
        })
        .collect();
    let demand = run
        .days
        .iter()
        .zip(&xs)
        .map(|(d, &x)| PlotPoint::new(x, f(d.demand)))
        .collect();
    let expiries: Vec<Expiry> = run
        .expiry_events
        .iter()
        .map(|e| {
            let name = run.lots.get(e.lot).map_or_else(
                || format!("Lot {}", e.lot + 1),
                |l| lot_name(l.kind, l.purchased),
            );
            Expiry {
                x: f64::from(day_of_date(e.date)),
                tokens_f64: f(e.tokens),
                text: format!(
                    "{name} expires {}: {} tokens expired",
                    e.date,
                    fmt::decimal(e.tokens)
                ),
            }
        })
        .collect();
    let expiry_points = expiries
        .iter()
        .map(|e| PlotPoint::new(e.x, e.tokens_f64))
        .collect();
    let years = run
        .years
        .iter()
        .map(|y| {
            [
                format!("{} to {}", y.start, y.end),
                fmt::decimal(y.demand),
                fmt::decimal(y.consumed),
                fmt::decimal(y.expired),
                fmt::decimal(y.overage),
                fmt::money(y.purchase_cost + y.overage_cost, currency),
            ]
        })
        .collect();
    let t = &run.totals;
    LedgerChart {
        lots,
        demand,
        expiries,
        expiry_points,
        dates: run.days.iter().map(|d| d.date).collect(),
        years,
        totals: format!(
            "Bought {} = consumed {} + expired {} + left {} tokens; overage {} tokens; paid {} (present value {}).",
            fmt::decimal(t.bought),
            fmt::decimal(t.consumed),
            fmt::decimal(t.expired),
            fmt::decimal(t.remaining),
            fmt::decimal(t.overage),
            fmt::money(t.cost, currency),
            fmt::money(t.npv, currency)
        ),
        run: run.clone(),
    }
}
