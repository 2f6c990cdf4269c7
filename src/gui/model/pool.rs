//! What the Pool view draws, built once per Size job on its worker (never
//! in a frame): the headline in plain words (what to buy, the overage to
//! expect and when, the within-risk alternative and what it costs more,
//! every cost a present value over the term), the plan comparison with a
//! hover on every column, the ledger of the recommended plan as one balance
//! line per lot with its expiry events, the fan of simulated annual
//! demand, and the denial curve of every concurrent pool.

use chrono::{Datelike, NaiveDate};
use egui_plot::PlotPoint;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{BarItem, Table};
use crate::gui::engine::Sized;
use crate::gui::fmt;
use crate::ledger::{
    DeniedDemand, LedgerRun, LotKind, PlanResult, PoolDay, PoolSizing, SizeReport,
};
use crate::scenario::{Overdraft, Scenario};
use crate::time::day_of_date;

/// One plan of the side-by-side comparison, figures as shown.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanRow {
    /// "Annual only", "Contract only", "Best mix", "Within risk limit".
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

/// One date of a `Concurrent` pool's demand: a bar of the served peak with
/// the added-back part stacked on it.
#[derive(Clone, Debug, PartialEq)]
pub struct PoolDayBar {
    /// The date's day number (the charts' x).
    pub x: f64,
    /// Peak draw of the logged checkouts that date, tokens.
    pub served: u32,
    /// Peak draw with the denied demand added back, minus `served`.
    pub added: u32,
    /// The hover: the date and both figures in words.
    pub hover: String,
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
    /// Denied checkouts added back as demand before sizing (SPEC §5).
    pub added_back_checkouts: u64,
    /// What became of the logged denials, in words.
    pub denied_words: String,
    /// Per date with demand: the served and the added-back peaks.
    pub daily: Vec<PoolDayBar>,
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
    /// What to buy and what it costs, in words.
    pub headline: String,
    /// The overage to expect: tokens, cost, which year.
    pub overage: String,
    /// The within-risk alternative and what it costs more.
    pub within_risk: String,
    /// The forecast stands on a short history (none: it does not).
    pub short_window: Option<String>,
    /// The plans compared, as the table shows them.
    pub plans_table: Table,
    /// Simulated demand per contract year, as the table shows it.
    pub fan_table: Table,
    /// The ledger's years, as the table shows them (empty without ledger).
    pub ledger_table: Table,
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
    fmt::percent(share)
}

impl PlanRow {
    fn new(label: &str, plan: &PlanResult, recommended: bool, currency: &str) -> PlanRow {
        PlanRow {
            label: label.to_owned(),
            recommended,
            annual: fmt::tokens(plan.annual_tokens_per_year),
            contract: fmt::tokens(plan.contract_tokens),
            expected_cost: fmt::money(plan.expected_cost, currency),
            p10_cost: fmt::money(plan.p10_cost, currency),
            p90_cost: fmt::money(plan.p90_cost, currency),
            expected_expired: fmt::tokens(plan.expected_expired),
            overage_probability: percent(plan.overage_probability),
            expected_cost_f64: f(plan.expected_cost),
            p90_cost_f64: f(plan.p90_cost),
        }
    }
}

impl PoolData {
    /// Builds the view's data from a Size job's result under `scenario`.
    pub fn build(sized: Sized, scenario: &Scenario) -> PoolData {
        let Sized {
            report,
            history_days,
            history_tokens,
            fan: demand,
            ledger,
        } = sized;
        let currency = scenario.currency.as_str();
        let plans = plan_rows(&report, currency);
        let ledger = ledger.map(|run| ledger_chart(&run, currency));
        let words = Headline::new(&report, scenario, ledger.as_ref().ok());
        let resampled = u32::try_from(report.history_days).unwrap_or(u32::MAX);
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
            ledger_table: ledger.as_ref().map_or_else(|_| Table::default(), ledger_table),
            ledger,
            currency: currency.to_owned(),
            basis: basis(&report, history_days, history_tokens),
            headline: words.buy,
            overage: words.overage,
            within_risk: words.within_risk,
            short_window: crate::plan::short_window_warning(
                resampled,
                scenario.forecast.history_days,
            )
            .map(|w| crate::gui::words::short_window_banner(&w, scenario.forecast.history_days)),
            plans_table: plans_table(&plans, &report),
            plans,
            ledger_note: format!(
                "The exact ledger of the recommended plan on the median simulated term: trial {} of {}, whose total demand over the term is the P50 of all trials (resampled weeks of history, grown).",
                demand.median_trial + 1,
                report.trials
            ),
            fan: fan(&report, &demand.annual),
            fan_table: Table::default(),
            pools: pool_curves(&report),
            report,
        }
        .with_fan_table()
    }

    fn with_fan_table(mut self) -> PoolData {
        self.fan_table = Table::new(
            &[
                (
                    "Contract year",
                    "The year of the term and its calendar year",
                ),
                (
                    "P10 tokens",
                    "In 10% of simulated terms that year's demand is at most this",
                ),
                ("P50 tokens", "The median simulated demand of that year"),
                (
                    "P90 tokens",
                    "In 90% of simulated terms that year's demand is at most this",
                ),
            ],
            self.fan.rows.iter().map(|r| r.to_vec()).collect(),
        );
        self
    }

    /// Every table, with the id its view draws it under.
    pub fn tables(&self) -> [(&'static str, &Table); 3] {
        [
            ("plan_comparison", &self.plans_table),
            ("fan_table", &self.fan_table),
            ("ledger_years", &self.ledger_table),
        ]
    }
}

/// The headline's three sentences.
struct Headline {
    buy: String,
    overage: String,
    within_risk: String,
}

impl Headline {
    fn new(report: &SizeReport, scenario: &Scenario, ledger: Option<&LedgerChart>) -> Headline {
        let cur = scenario.currency.as_str();
        let term = format!("present value over the {}-year term", report.term_years);
        let Some(best) = report.plans.get(report.recommended) else {
            return Headline {
                buy: "No plan was evaluated.".to_owned(),
                overage: String::new(),
                within_risk: String::new(),
            };
        };
        let buy = format!(
            "Buy {} annual tokens a year and {} contract tokens: expected cost {} ({term}; P10 {}, P90 {}).",
            fmt::tokens(best.annual_tokens_per_year),
            fmt::tokens(best.contract_tokens),
            fmt::money(best.expected_cost, cur),
            fmt::money(best.p10_cost, cur),
            fmt::money(best.p90_cost, cur),
        );
        Headline {
            buy,
            overage: overage_words(best, scenario, ledger),
            within_risk: within_risk_words(report, scenario, &term),
        }
    }
}

/// The overage (or refused demand) the recommended plan leaves: tokens,
/// cost at the overage price, the years it falls in on the median term.
fn overage_words(best: &PlanResult, scenario: &Scenario, ledger: Option<&LedgerChart>) -> String {
    let cur = scenario.currency.as_str();
    let chance = percent(best.overage_probability);
    if scenario.contract.overdraft == Overdraft::None {
        return if best.expected_unserved.is_zero() {
            format!(
                "No demand is expected to be refused (overage is not allowed); {chance} of simulated terms refuse some."
            )
        } else {
            format!(
                "Expect {} token-days of demand to be refused over the term (overage is not allowed); {chance} of simulated terms refuse some.",
                fmt::tokens(best.expected_unserved)
            )
        };
    }
    if best.expected_overage.is_zero() {
        return format!(
            "No pay-as-you-go overage is expected; {chance} of simulated terms have some."
        );
    }
    let years: Vec<String> = ledger
        .map(|l| {
            l.run
                .years
                .iter()
                .filter(|y| y.overage > Decimal::ZERO)
                .map(|y| format!("year {} ({})", y.year + 1, y.start.year()))
                .collect()
        })
        .unwrap_or_default();
    let when = if years.is_empty() {
        String::new()
    } else {
        format!(", on the median simulated term in {}", years.join(" and "))
    };
    format!(
        "Expected pay-as-you-go overage: {} tokens over the term, {} at the overage price of {}{when}; {chance} of simulated terms have some.",
        fmt::tokens(best.expected_overage),
        fmt::money(best.expected_overage * scenario.contract.overage_price, cur),
        fmt::price(scenario.contract.overage_price, cur),
    )
}

/// What "within risk" is, and what it costs more than the recommendation.
fn within_risk_words(report: &SizeReport, scenario: &Scenario, term: &str) -> String {
    let cur = scenario.currency.as_str();
    let limit = percent(scenario.sizing.risk_limit);
    match report.recommended_within_risk {
        Some(i) if i == report.recommended => {
            format!(
                "This plan is within your risk limit: at most {limit} of simulated terms have any overage."
            )
        }
        Some(i) => match (report.plans.get(i), report.plans.get(report.recommended)) {
            (Some(safe), Some(best)) => format!(
                "Within your risk limit (at most {limit} of terms with any overage): {} annual tokens a year and {} contract tokens, {} ({term}), {} more.",
                fmt::tokens(safe.annual_tokens_per_year),
                fmt::tokens(safe.contract_tokens),
                fmt::money(safe.expected_cost, cur),
                fmt::money(safe.expected_cost - best.expected_cost, cur)
            ),
            _ => String::new(),
        },
        None => format!(
            "No plan evaluated keeps the chance of overage within your risk limit ({limit})."
        ),
    }
}

/// The plans compared, with a hover on every column.
fn plans_table(plans: &[PlanRow], report: &SizeReport) -> Table {
    let rows = plans
        .iter()
        .zip(plan_results(report))
        .map(|(p, r)| {
            vec![
                if p.recommended {
                    format!("{} (recommended)", p.label)
                } else {
                    p.label.clone()
                },
                p.annual.clone(),
                p.contract.clone(),
                p.expected_cost.clone(),
                p.p10_cost.clone(),
                p.p90_cost.clone(),
                p.expected_expired.clone(),
                fmt::tokens(r.expected_overage),
                p.overage_probability.clone(),
            ]
        })
        .collect();
    Table::new(
        &[
            (
                "Plan",
                "Annual only: tokens bought each year. Contract only: tokens bought once for the term. Best mix: the cheapest of both. Within risk limit: the cheapest plan whose chance of overage is at most your risk limit.",
            ),
            (
                "Annual tokens a year",
                "Bought at the start of each contract year; what is left expires at the year's end",
            ),
            (
                "Contract tokens",
                "Bought once at the term's start; they last the whole term",
            ),
            (
                "Expected cost",
                "Mean over the simulated terms of everything paid (purchases and overage), as a present value over the term at the scenario's discount rate",
            ),
            (
                "P10 cost",
                "Present value over the term: in 10% of simulated terms the cost is at most this",
            ),
            (
                "P90 cost",
                "Present value over the term: in 90% of simulated terms the cost is at most this (a bad term's cost)",
            ),
            (
                "Expected expired",
                "Tokens bought but never used, mean over the simulated terms",
            ),
            (
                "Expected overage",
                "Tokens paid at the overage price, mean over the simulated terms",
            ),
            (
                "Chance of overage",
                "Share of simulated terms with any overage (or refused demand)",
            ),
        ],
        rows,
    )
}

/// The engine's plans behind [`plan_rows`], in the same order.
fn plan_results(report: &SizeReport) -> Vec<&PlanResult> {
    let side = &report.side_by_side;
    [
        side.annual_only,
        side.contract_only,
        side.best_mix,
        report.recommended_within_risk,
    ]
    .into_iter()
    .filter_map(|i| i.and_then(|i| report.plans.get(i)))
    .collect()
}

/// The ledger's years as the table shows them.
fn ledger_table(chart: &LedgerChart) -> Table {
    Table::new(
        &[
            ("Contract year", "The year's first and last day"),
            (
                "Demand",
                "Tokens the median simulated term demands that year",
            ),
            ("Consumed", "Tokens drawn from the lots held"),
            ("Expired", "Tokens of lots that expired unused"),
            (
                "Overage",
                "Demand beyond the balance, paid at the overage price",
            ),
            (
                "Paid",
                "Lots bought and overage billed that year, as paid (not discounted)",
            ),
        ],
        chart.years.iter().map(|r| r.to_vec()).collect(),
    )
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
        ("Within risk limit", report.recommended_within_risk),
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

/// Where the demand comes from: the history sized and the simulation.
fn basis(report: &SizeReport, history_days: usize, history_tokens: Decimal) -> String {
    format!(
        "Demand: what the recommended mix leaves to tokens, {} tokens over {} days of history ({} used, resampled in whole weeks and grown as the scenario's forecast says); {} trials, seed {}; present values at the contract start.",
        fmt::tokens(history_tokens),
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
                    fmt::tokens(q[0]),
                    fmt::tokens(q[1]),
                    fmt::tokens(q[2]),
                ]
            })
            .collect(),
    }
}

/// The denial curve and daily demand of every `Concurrent` pool.
fn pool_curves(report: &SizeReport) -> Vec<PoolCurve> {
    report.pools.iter().map(pool_curve).collect()
}

/// One pool's curve, summary and daily bars, figures as the engine gives
/// them.
fn pool_curve(p: &PoolSizing) -> PoolCurve {
    // The denial rate is over every checkout replayed: the logged
    // ones and the denials added back as demand.
    let replayed = p.checkouts + p.added_back_checkouts;
    PoolCurve {
                pool: p.pool.clone(),
                products: p.products.join(", "),
                peak: p.peak,
                checkouts: p.checkouts,
                added_back_checkouts: p.added_back_checkouts,
                denied_words: denied_words(&p.denied_demand, p.added_back_checkouts),
                daily: p.daily.iter().map(pool_day_bar).collect(),
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
                            fmt::count(replayed),
                            fmt::decimal(d.denied_token_hours),
                            fmt::count(d.denied_users)
                        )
                    })
                    .collect(),
            }
}

/// "12 denials logged: 3 entitlement records, 4 retries of a denial,
/// 1 served within 15 minutes; 4 added back as demand."
fn denied_words(d: &DeniedDemand, added_back: u64) -> String {
    if d.logged == 0 {
        return "No denial logged: nothing added back as demand.".to_owned();
    }
    format!(
        "{} denials logged: {} entitlement records (not denials), {} retries of an earlier denial, {} served within 15 minutes; {} added back as demand.",
        fmt::count(d.logged),
        fmt::count(d.entitlement_records),
        fmt::count(d.chained),
        fmt::count(d.served),
        fmt::count(added_back)
    )
}

/// One date's stacked bar: served peak, added-back part on top.
fn pool_day_bar(d: &PoolDay) -> PoolDayBar {
    let added = d.demand_peak.saturating_sub(d.served_peak);
    PoolDayBar {
        x: f64::from(day_of_date(d.date)),
        served: d.served_peak,
        added,
        hover: format!(
            "{}\nserved peak {} tokens\nadded-back denied demand {} tokens\nwhole demand peak {} tokens",
            d.date, d.served_peak, added, d.demand_peak
        ),
    }
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
                    fmt::tokens(e.tokens)
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
                fmt::tokens(y.demand),
                fmt::tokens(y.consumed),
                fmt::tokens(y.expired),
                fmt::tokens(y.overage),
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
            "Bought {} = consumed {} + expired {} + left {} tokens; overage {} tokens; paid {} as paid, {} as a present value over the term.",
            fmt::tokens(t.bought),
            fmt::tokens(t.consumed),
            fmt::tokens(t.expired),
            fmt::tokens(t.remaining),
            fmt::tokens(t.overage),
            fmt::money(t.cost, currency),
            fmt::money(t.npv, currency)
        ),
        run: run.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ledger::PoolDenials;

    /// A pool with 10 logged checkouts and 2 denials added back: the hover
    /// divides by 10 + 2 = 12 checkouts, the daily bars split each date's
    /// demand peak into served (3) and added back (5 − 3 = 2).
    #[test]
    fn pool_curve_shows_served_and_added_back_demand() {
        let date = |d| NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default();
        let p = PoolSizing {
            pool: "TLSTOK".to_owned(),
            products: vec!["A".to_owned(), "B".to_owned()],
            peak: 3,
            peak_at: None,
            demand_peak: 5,
            checkouts: 10,
            added_back_checkouts: 2,
            denied_demand: DeniedDemand {
                logged: 7,
                entitlement_records: 1,
                chained: 3,
                served: 1,
            },
            target_denial_rate: Decimal::new(5, 2),
            size_for_target: 5,
            denials: vec![PoolDenials {
                size: 3,
                denied_checkouts: 3,
                denied_token_hours: Decimal::new(15, 1),
                denied_users: 2,
                // 3 ÷ 12 = 0.25
                denial_rate: Decimal::new(25, 2),
            }],
            daily: vec![
                PoolDay {
                    date: date(2),
                    served_peak: 3,
                    demand_peak: 5,
                },
                PoolDay {
                    date: date(3),
                    served_peak: 2,
                    demand_peak: 2,
                },
            ],
        };
        let c = pool_curve(&p);
        assert_eq!(c.added_back_checkouts, 2);
        assert_eq!(c.checkouts, 10);
        assert_eq!(
            c.hover,
            vec![
                "Pool of 3 tokens\n3 checkouts denied (25% of 12)\n1.5 token-hours, 2 users refused"
                    .to_owned()
            ]
        );
        assert_eq!(
            c.denied_words,
            "7 denials logged: 1 entitlement records (not denials), 3 retries of an earlier denial, 1 served within 15 minutes; 2 added back as demand."
        );
        let bars: Vec<(u32, u32)> = c.daily.iter().map(|d| (d.served, d.added)).collect();
        assert_eq!(bars, vec![(3, 2), (2, 0)]);
        assert_eq!(c.daily[0].x, f64::from(day_of_date(date(2))));
        assert!(
            c.daily[0]
                .hover
                .contains("added-back denied demand 2 tokens")
        );
        assert!(c.daily[0].hover.starts_with("2026-03-02"));
    }
}
