//! The recommendation as the Crossover and Mix views draw it.
//!
//! - [`run`] is the plan job's work: it builds the planner's input (or
//!   reuses the one of the last plan when only the token price changed,
//!   see [`PlanKey`]), optimises, and turns the result into [`PlanData`]:
//!   KPI cards, table rows, bars and curve points with their hover texts,
//!   all formatted on the worker so that drawing only reads.
//! - [`PlanUi`](super::plan_table::PlanUi) is what the user picked in
//!   those views; see [`super::plan_table`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use egui_plot::{Bar, PlotPoint};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::gui::engine::{self, Planned};
use crate::gui::{fmt, words};
use crate::meter::Metered;
use crate::plan::{
    Baseline, Baselines, CostCurve, PairForecast, PlanInput, Purchase, RecommendReport,
    Recommendation, fixed2,
};
use crate::scenario::{Scenario, TokenPrice};
use crate::usage::{Usage, UserId};

/// What a plan's input is built from: the usage revision and the scenario
/// with its token price left out. Two plans with equal keys share their
/// [`PlanInput`]; only the optimisation at the new price is redone.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanKey {
    usage_rev: u64,
    scenario: Scenario,
}

impl PlanKey {
    /// The key of `scenario` over the usage of revision `usage_rev`.
    pub fn new(usage_rev: u64, scenario: &Scenario) -> PlanKey {
        let mut scenario = scenario.clone();
        // The planner's input keeps the price only as a default that the
        // plan job never uses: it always passes the scenario's own price.
        scenario.token_price = TokenPrice::Flat(Decimal::ZERO);
        PlanKey {
            usage_rev,
            scenario,
        }
    }
}

/// A finished plan: the engine's answer and what the views draw of it.
pub struct PlanShown {
    /// What its input was built from.
    pub key: PlanKey,
    /// The engine's answer.
    pub planned: Planned,
    /// The metering it was made from.
    pub metered: Arc<Metered>,
    /// Cards, rows, bars and curves.
    pub data: PlanData,
    /// True when the input of an earlier plan was reused (price-only edit).
    pub reused_input: bool,
    /// Plans shown so far whose input was built from metering, this one
    /// included.
    pub inputs_built: u64,
}

/// What a plan job produced.
pub type PlanOutcome = Result<PlanShown, String>;

/// Where the plan job gets its input from.
pub enum PlanSource {
    /// Build it from this metering result.
    Metered(Arc<Metered>),
    /// Reuse this one (only the token price changed), made from this
    /// metering (a scenario whose term couples its years plans the term
    /// from it).
    Reuse(Arc<PlanInput>, Arc<Metered>),
}

/// The plan job: input, `recommend`'s recommendation (the single-year plan
/// at the scenario's price, or the term plan's year 1 when the term couples
/// its years: [`engine::recommended`]), view data;
/// `inputs_built` is the count of the plan shown before it.
///
/// # Errors
/// The engine's message when the plan cannot be made.
pub fn run(
    key: PlanKey,
    source: PlanSource,
    usage: &Usage,
    scenario: &Scenario,
    inputs_built: u64,
) -> PlanOutcome {
    let (input, metered, reused_input) = match source {
        PlanSource::Reuse(input, metered) => (input, metered, true),
        PlanSource::Metered(metered) => (
            Arc::new(engine::plan_input(&metered, usage, scenario)?),
            metered,
            false,
        ),
    };
    let planned = engine::recommended(input, &metered, usage, scenario)?;
    let data = PlanData::build(&planned, usage, scenario);
    Ok(PlanShown {
        key,
        planned,
        metered,
        data,
        reused_input,
        inputs_built: inputs_built + u64::from(!reused_input),
    })
}

/// Which figure a KPI card shows (the Mix view puts the change against
/// the baseline under each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KpiKind {
    /// Total annual cost.
    AnnualCost,
    /// Saving against today's assignments.
    SavingVsCurrent,
    /// Saving against buying only tokens.
    SavingVsAllTokens,
    /// Seats bought.
    Seats,
    /// Tokens bought a year.
    Tokens,
}

/// One KPI card.
#[derive(Clone, Debug, PartialEq)]
pub struct Kpi {
    /// Which figure.
    pub kind: KpiKind,
    /// What it is.
    pub title: &'static str,
    /// The figure, formatted (`not available` when it cannot be computed).
    pub value: String,
    /// What it is made of.
    pub hover: String,
    /// Why the figure cannot be computed, when it cannot.
    pub missing: Option<&'static str>,
}

/// One user's line of the reassignment table, texts ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct UserRow {
    /// Display name.
    pub user: String,
    /// Department from the directory (empty when unknown).
    pub department: String,
    /// Cost centre from the directory (empty when unknown).
    pub cost_centre: String,
    /// True when the recommended plan differs from the current one.
    pub moves: bool,
    /// Subscriptions held today, `+`-joined, or `tokens`.
    pub current_plan: String,
    /// Recommended subscriptions, `+`-joined, or `tokens`.
    pub recommended_plan: String,
    /// Forecast use-days a year per product code.
    pub days: BTreeMap<String, Decimal>,
    /// All products' forecast days.
    pub days_total: Decimal,
    /// `ACD 112.50, RVT 3.10`.
    pub days_text: String,
    /// How each product's days were forecast.
    pub days_hover: String,
    /// Current plan's annual cost.
    pub current_cost: Decimal,
    /// Recommended plan's annual cost.
    pub recommended_cost: Decimal,
    /// Current minus recommended.
    pub saving: Decimal,
    /// The three costs formatted (two places, grouped).
    pub cost_texts: [String; 3],
    /// What the current and the recommended cost are made of.
    pub cost_hovers: [String; 2],
}

/// One product's histogram of forecast use-days per user.
#[derive(Clone, Debug)]
pub struct ProductChart {
    /// Product code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Users with a forecast for it.
    pub users: usize,
    /// Width of a bin, days a year.
    pub bin_days: f64,
    /// One bar per non-empty bin (names empty: hovers are in `hovers`).
    pub bars: Vec<Bar>,
    /// Hover text per bar, same order.
    pub hovers: Arc<Vec<String>>,
    /// Crossover per covering subscription: (days a year, legend text).
    pub lines: Vec<(f64, String)>,
}

/// One row of the crossover table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrossoverRow {
    /// Subscription code and name.
    pub subscription: String,
    /// Product code.
    pub product: String,
    /// Tokens per use-day.
    pub rate: String,
    /// Days a year above which the subscription pays off (`never`).
    pub per_year: String,
    /// The same per month.
    pub per_month: String,
}

/// The stacked cost bars of the baselines and the recommendation.
#[derive(Clone, Debug, Default)]
pub struct CostBars {
    /// Category names, by x position.
    pub labels: Vec<&'static str>,
    /// Subscription cost per category.
    pub subscriptions: Vec<Bar>,
    /// Token cost per category (stacked on the subscriptions when drawn).
    pub tokens: Vec<Bar>,
    /// Hover text per category.
    pub hovers: Arc<Vec<String>>,
}

/// One subscription's cost curve as plot points.
#[derive(Clone, Debug)]
pub struct CurveChart {
    /// Subscription code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// (seats, total cost).
    pub points: Vec<PlotPoint>,
    /// The cheapest point alone.
    pub optimum: Vec<PlotPoint>,
    /// Seats in the recommendation.
    pub recommended_seats: f64,
    /// Hover per point: seats and total, exact.
    pub hovers: Vec<String>,
    /// One line saying where the optimum is.
    pub summary: String,
}

/// One subscription's seats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatRow {
    /// Code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// Price per seat, formatted.
    pub price: String,
    /// Seats recommended.
    pub seats: String,
    /// Seats × price, formatted.
    pub cost: String,
    /// Products covered.
    pub covers: String,
    /// The covered product whose crossover explains the seats (the one
    /// most users are forecast to use), when any is forecast.
    pub product: Option<String>,
}

/// Everything the Crossover and Mix views draw.
#[derive(Clone, Debug, Default)]
pub struct PlanData {
    /// The scenario's currency.
    pub currency: String,
    /// Total annual cost of the recommendation, exact.
    pub total: Decimal,
    /// KPI cards, in display order.
    pub kpis: Vec<Kpi>,
    /// One line on the forecast window.
    pub window: String,
    /// Users, by display name.
    pub users: Vec<UserRow>,
    /// Departments of those users, sorted.
    pub departments: Vec<String>,
    /// Products with a forecast, code order.
    pub products: Vec<ProductChart>,
    /// Their codes (the table's product filter).
    pub product_codes: Vec<String>,
    /// Recommended plans that occur, sorted.
    pub plans: Vec<String>,
    /// Current plans that occur, sorted.
    pub current_plans: Vec<String>,
    /// The forecast stands on a short history: the banner (none: it does
    /// not).
    pub short_window: Option<String>,
    /// The crossover table.
    pub crossover: Vec<CrossoverRow>,
    /// Baselines against the recommendation.
    pub costs: CostBars,
    /// Cost curve per subscription, code order.
    pub curves: Vec<CurveChart>,
    /// Seats per subscription, code order.
    pub seats: Vec<SeatRow>,
    /// Inputs the planner ignored.
    pub warnings: Vec<String>,
}

/// Money with two places and grouping, no currency.
fn amount(v: Decimal) -> String {
    fmt::money(v, "").trim_end().to_owned()
}

fn plan_text(codes: &[String]) -> String {
    if codes.is_empty() {
        "tokens".to_owned()
    } else {
        codes.join("+")
    }
}

fn to_f64(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

impl PlanData {
    /// Formats a plan for the views.
    pub fn build(planned: &Planned, usage: &Usage, scenario: &Scenario) -> PlanData {
        let c = Ctx::new(planned, usage, scenario);
        let (users, per_product) = user_rows(&c);
        let products = product_charts(&c, per_product);
        PlanData {
            product_codes: products.iter().map(|p| p.code.clone()).collect(),
            currency: c.cur.to_owned(),
            total: c.report.total_annual_cost.0,
            kpis: kpi_cards(&c),
            window: window_line(&c),
            departments: distinct(&users, |u| &u.department),
            plans: distinct(&users, |u| &u.recommended_plan),
            current_plans: distinct(&users, |u| &u.current_plan),
            short_window: c
                .input
                .forecast
                .short_window(scenario.forecast.history_days)
                .map(|w| words::short_window_banner(&w, scenario.forecast.history_days)),
            seats: seat_rows(&c, &products),
            users,
            products,
            crossover: crossover_rows(&c),
            costs: cost_bars(&c),
            curves: curve_charts(&c),
            warnings: c.report.warnings.clone(),
        }
    }
}

/// Per product index, the (forecast days a year, user name) pairs of its
/// histogram.
type ByProduct<'a> = BTreeMap<u16, Vec<(Decimal, &'a str)>>;

/// What every section of [`PlanData::build`] reads.
struct Ctx<'a> {
    input: &'a PlanInput,
    rec: &'a Recommendation,
    baselines: &'a Baselines,
    report: &'a RecommendReport,
    curves: &'a [CostCurve],
    usage: &'a Usage,
    scenario: &'a Scenario,
    /// The scenario's currency.
    cur: &'a str,
    /// The price per token the recommendation bought at.
    price: Decimal,
    /// 1 + the forecast's growth per year.
    growth: Decimal,
    /// Days of the forecast window.
    window_days: u32,
    /// Subscription names by code.
    sub_name: HashMap<&'a str, &'a str>,
}

impl<'a> Ctx<'a> {
    fn new(planned: &'a Planned, usage: &'a Usage, scenario: &'a Scenario) -> Ctx<'a> {
        let input = &*planned.input;
        Ctx {
            input,
            rec: &planned.rec,
            baselines: &planned.baselines,
            report: &planned.report,
            curves: &planned.curves,
            usage,
            scenario,
            cur: scenario.currency.as_str(),
            price: planned.rec.unit_price,
            growth: (Decimal::ONE + scenario.forecast.growth_per_year).normalize(),
            window_days: input.forecast.window_days,
            sub_name: input
                .subscriptions
                .iter()
                .map(|s| (s.code.as_str(), s.name.as_str()))
                .collect(),
        }
    }

    /// The code of product index `p`.
    fn code_of(&self, p: u16) -> String {
        self.input
            .products
            .get(usize::from(p))
            .cloned()
            .unwrap_or_default()
    }
}

/// One row per user, and per product the (forecast days, user) pairs of
/// its histogram.
fn user_rows<'a>(c: &Ctx<'a>) -> (Vec<UserRow>, ByProduct<'a>) {
    let Ctx {
        input,
        rec,
        report,
        usage,
        cur,
        price,
        growth,
        window_days,
        ..
    } = *c;
    let code_of = |p: u16| c.code_of(p);
    let forecast: HashMap<(UserId, u16), &PairForecast> = input
        .forecast
        .pairs
        .iter()
        .map(|p| ((p.user, p.product), p))
        .collect();
    let mut users = Vec::with_capacity(input.users.len());
    let mut per_product: BTreeMap<u16, Vec<(Decimal, &str)>> = BTreeMap::new();
    for ((u, pick), line) in input.users.iter().zip(&rec.picks).zip(&report.users) {
        let mut days = BTreeMap::new();
        let mut hover = Vec::new();
        for d in &u.demand {
            let code = code_of(d.product);
            per_product
                .entry(d.product)
                .or_default()
                .push((d.days, u.name.as_str()));
            let made_of = forecast.get(&(u.user, d.product)).map_or_else(
                || format!("{}: {code} {} days", u.name, fixed2(d.days)),
                |p| {
                    format!(
                        "{}: {code} {} days in the window × 365/{window_days} × {growth} = {} days; {} tokens",
                        u.name,
                        p.window_charges,
                        fixed2(d.days),
                        fmt::tokens(d.tokens)
                    )
                },
            );
            hover.push(made_of);
            days.insert(code, d.days);
        }
        let days_text = days
            .iter()
            .map(|(c, d)| format!("{c} {}", fixed2(*d)))
            .collect::<Vec<_>>()
            .join(", ");
        let (cs, ct) = input.plan_parts(u, u.current);
        let cost_hover = |plan: &str, subs: Decimal, tokens: Decimal| {
            format!(
                "{plan}: subscriptions {} + {} tokens × {} = {} → {} {cur} a year",
                amount(subs),
                fmt::tokens(tokens),
                fmt::price(price, cur),
                amount(tokens * price),
                amount(subs + tokens * price)
            )
        };
        let current_cost = line.current_annual_cost.0;
        let recommended_cost = line.annual_cost.0;
        let saving = line.saving.0;
        users.push(UserRow {
            user: u.name.clone(),
            department: usage
                .directory
                .get(&u.user)
                .map(|e| e.department.clone())
                .unwrap_or_default(),
            cost_centre: usage
                .directory
                .get(&u.user)
                .map(|e| e.cost_center.clone())
                .unwrap_or_default(),
            moves: line.current_plan != line.subscriptions,
            current_plan: plan_text(&line.current_plan),
            recommended_plan: plan_text(&line.subscriptions),
            days_total: days.values().copied().sum(),
            days,
            days_text,
            days_hover: hover.join("\n"),
            current_cost,
            recommended_cost,
            saving,
            cost_texts: [
                amount(current_cost),
                amount(recommended_cost),
                amount(saving),
            ],
            cost_hovers: [
                cost_hover(
                    &format!("Current plan ({})", plan_text(&line.current_plan)),
                    cs,
                    ct,
                ),
                cost_hover(
                    &format!("Recommended plan ({})", plan_text(&line.subscriptions)),
                    pick.subscription_cost,
                    pick.tokens,
                ),
            ],
        });
    }
    (users, per_product)
}

/// The sorted distinct non-empty values of `f` over `users`.
fn distinct(users: &[UserRow], f: impl Fn(&UserRow) -> &String) -> Vec<String> {
    users
        .iter()
        .map(|u| f(u).clone())
        .filter(|v| !v.is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

/// One histogram per product with a forecast, with its crossover lines.
fn product_charts(
    c: &Ctx<'_>,
    per_product: BTreeMap<u16, Vec<(Decimal, &str)>>,
) -> Vec<ProductChart> {
    let Ctx {
        report, scenario, ..
    } = *c;
    let sub_name = &c.sub_name;
    let code_of = |p: u16| c.code_of(p);
    per_product
        .into_iter()
        .map(|(p, mut list)| {
            let code = code_of(p);
            list.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(b.1)));
            let lines = report
                .crossover
                .iter()
                .filter(|c| c.product == code)
                .filter_map(|c| {
                    let days = c.days_per_year?;
                    let name = sub_name.get(c.subscription.as_str()).copied().unwrap_or("");
                    Some((
                        to_f64(days.0),
                        format!("{name} pays off above {days} days/yr"),
                    ))
                })
                .collect();
            histogram(
                code.clone(),
                scenario
                    .products
                    .get(&code)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                &list,
                lines,
            )
        })
        .collect()
}

/// The crossover table.
fn crossover_rows(c: &Ctx<'_>) -> Vec<CrossoverRow> {
    let (report, sub_name) = (c.report, &c.sub_name);
    report
        .crossover
        .iter()
        .map(|c| CrossoverRow {
            subscription: format!(
                "{} ({})",
                c.subscription,
                sub_name.get(c.subscription.as_str()).copied().unwrap_or("")
            ),
            product: c.product.clone(),
            rate: fmt::tokens(c.rate.0),
            per_year: c
                .days_per_year
                .map_or("never".to_owned(), |d| d.to_string()),
            per_month: c
                .days_per_month
                .map_or("never".to_owned(), |d| d.to_string()),
        })
        .collect()
}

/// The baselines' stacked annual cost against the recommendation's.
fn cost_bars(c: &Ctx<'_>) -> CostBars {
    let Ctx {
        rec,
        baselines,
        cur,
        ..
    } = *c;
    let mut costs = CostBars::default();
    let mut hovers = Vec::new();
    let mut categories = vec![
        Spend::of("All tokens", &baselines.all_tokens),
        Spend::of("All subscriptions", &baselines.all_subscriptions),
    ];
    if let Some(c) = &baselines.current {
        categories.push(Spend::of("Current", c));
    }
    categories.push(Spend {
        label: "Recommended",
        subscriptions: rec.subscription_cost,
        purchase: rec.purchase,
        seats: rec.seats.iter().sum(),
    });
    for (x, c) in categories.into_iter().enumerate() {
        let x = x as f64;
        costs.labels.push(c.label);
        costs
            .subscriptions
            .push(Bar::new(x, to_f64(c.subscriptions)).width(0.6));
        costs
            .tokens
            .push(Bar::new(x, to_f64(c.purchase.cost)).width(0.6));
        hovers.push(format!(
            "{}: {} {cur} a year\nSubscriptions: {} seats, {} {cur}\nTokens: {} bought at {} (the price of the tier reached), {} {cur}",
            c.label,
            amount(c.subscriptions + c.purchase.cost),
            c.seats,
            amount(c.subscriptions),
            fmt::tokens(c.purchase.tokens),
            fmt::price(c.purchase.price, cur),
            amount(c.purchase.cost)
        ));
    }
    costs.hovers = Arc::new(hovers);

    costs
}

/// One cost curve per subscription as plot points with hovers.
fn curve_charts(c: &Ctx<'_>) -> Vec<CurveChart> {
    let Ctx { curves, cur, .. } = *c;
    let sub_name = &c.sub_name;
    curves
        .iter()
        .map(|c| {
            let points: Vec<PlotPoint> = c
                .points
                .iter()
                .map(|p| PlotPoint::new(f64::from(p.seats), to_f64(p.total_cost)))
                .collect();
            let hovers = c
                .points
                .iter()
                .enumerate()
                .map(|(k, p)| {
                    let who = match k.checked_sub(1).and_then(|i| c.order.get(i)) {
                        Some(name) => format!(" (seat {} goes to {name})", p.seats),
                        None => " (pinned holders only)".to_owned(),
                    };
                    format!(
                        "{} {} seats: total {} {cur} a year{who}",
                        c.subscription,
                        p.seats,
                        amount(p.total_cost)
                    )
                })
                .collect();
            let best = c.points.get(c.optimum);
            CurveChart {
                code: c.subscription.clone(),
                name: sub_name
                    .get(c.subscription.as_str())
                    .copied()
                    .unwrap_or("")
                    .to_owned(),
                optimum: points.get(c.optimum).copied().into_iter().collect(),
                points,
                recommended_seats: f64::from(c.recommended_seats),
                hovers,
                summary: best.map_or_else(String::new, |b| {
                    format!(
                        "Cheapest with {} seats ({} {cur}); the recommendation has {}.",
                        b.seats,
                        amount(b.total_cost),
                        c.recommended_seats
                    )
                }),
            }
        })
        .collect()
}

/// Seats per subscription, each with the product whose crossover explains
/// it: of the products it covers, the one most users are forecast to use.
fn seat_rows(c: &Ctx<'_>, charts: &[ProductChart]) -> Vec<SeatRow> {
    let Ctx { input, rec, .. } = *c;
    input
        .subscriptions
        .iter()
        .zip(&rec.seats)
        .map(|(s, &n)| SeatRow {
            code: s.code.clone(),
            name: s.name.clone(),
            price: amount(s.price),
            seats: fmt::count(u64::from(n)),
            cost: amount(s.price * Decimal::from(n)),
            covers: s.cover_codes.join(", "),
            product: charts
                .iter()
                .filter(|p| s.cover_codes.contains(&p.code))
                .max_by(|a, b| a.users.cmp(&b.users).then(b.code.cmp(&a.code)))
                .map(|p| p.code.clone()),
        })
        .collect()
}

/// The KPI cards, each with what it is made of.
fn kpi_cards(c: &Ctx<'_>) -> Vec<Kpi> {
    let Ctx {
        input,
        rec,
        baselines,
        cur,
        price,
        report,
        ..
    } = *c;
    let seats_total: u32 = rec.seats.iter().sum();
    let seat_lines: Vec<String> = input
        .subscriptions
        .iter()
        .zip(&rec.seats)
        .filter(|(_, n)| **n > 0)
        .map(|(s, &n)| {
            format!(
                "{}: {n} × {} = {} {cur}",
                s.code,
                amount(s.price),
                amount(s.price * Decimal::from(n))
            )
        })
        .collect();
    let tokens_line = format!(
        "Tokens: {} bought × {} = {} {cur}",
        fmt::tokens(rec.purchase.tokens),
        fmt::price(price, cur),
        amount(rec.purchase.cost)
    );
    // Seats, tokens and the concurrent pools, as the report totals it.
    let total = report.total_annual_cost.0;
    let mut kpis = vec![Kpi {
        kind: KpiKind::AnnualCost,
        missing: None,
        title: "Annual cost",
        value: fmt::money(total, cur),
        hover: format!(
            "Subscriptions: {seats_total} seats, {} {cur}\n{tokens_line}\nPools: {} {cur}\nTotal: {} {cur} a year\nFound by: {}",
            amount(rec.subscription_cost),
            amount(report.pool_cost.0),
            amount(total),
            words::method(rec.method)
        ),
    }];
    kpis.push(match &baselines.current {
        Some(c) => Kpi {
            kind: KpiKind::SavingVsCurrent,
            missing: None,
            title: "Saving vs current",
            value: fmt::money(c.total_cost - rec.total_cost, cur),
            hover: format!(
                "Current assignments: {} {cur}\nRecommendation: {} {cur}",
                amount(c.total_cost),
                amount(rec.total_cost)
            ),
        },
        None => Kpi {
            kind: KpiKind::SavingVsCurrent,
            missing: Some("no assignments loaded"),
            title: "Saving vs current",
            value: "not available".to_owned(),
            hover: "Who holds which subscription today comes from a current-assignments file (user, subscription): open one with File › Open files… to see the saving against today.".to_owned(),
        },
    });
    kpis.push(Kpi {
        kind: KpiKind::SavingVsAllTokens,
        missing: None,
        title: "Saving vs all tokens",
        value: fmt::money(baselines.all_tokens.total_cost - rec.total_cost, cur),
        hover: format!(
            "All tokens: {} {cur}\nRecommendation: {} {cur}",
            amount(baselines.all_tokens.total_cost),
            amount(rec.total_cost)
        ),
    });
    kpis.push(Kpi {
        kind: KpiKind::Seats,
        missing: None,
        title: "Seats to buy",
        value: fmt::count(u64::from(seats_total)),
        hover: if seat_lines.is_empty() {
            "No subscription: everything is tokens.".to_owned()
        } else {
            seat_lines.join("\n")
        },
    });
    kpis.push(Kpi {
        kind: KpiKind::Tokens,
        missing: None,
        title: "Tokens a year",
        value: fmt::tokens(rec.purchase.tokens),
        hover: format!(
            "Forecast use left to tokens: {}\nBought: {} (raised to a tier's floor when that is cheaper)\nPrice per token: {} (the tier reached: {})",
            fmt::tokens(rec.tokens_needed),
            fmt::tokens(rec.purchase.tokens),
            fmt::price(price, cur),
            fmt::price(rec.purchase.price, cur)
        ),
    });

    kpis
}

/// One line on the forecast window.
fn window_line(c: &Ctx<'_>) -> String {
    let Ctx {
        report,
        growth,
        window_days,
        ..
    } = *c;
    match (&report.forecast_window.start, &report.forecast_window.end) {
        (Some(s), Some(e)) => format!(
            "Forecast from {s} to {e} ({window_days} days) × 365/{window_days} × {growth} growth."
        ),
        _ => "No charges to forecast from.".to_owned(),
    }
}

/// One bar of the cost chart: a baseline or the recommendation.
struct Spend {
    label: &'static str,
    subscriptions: Decimal,
    purchase: Purchase,
    seats: u32,
}

impl Spend {
    fn of(label: &'static str, b: &Baseline) -> Spend {
        Spend {
            label,
            subscriptions: b.subscription_cost,
            purchase: b.purchase,
            seats: b.seats.iter().sum(),
        }
    }
}

/// Bin width for `max` days a year: a round number giving at most ~40 bins.
fn bin_width(max: f64) -> f64 {
    [1.0, 2.0, 5.0, 10.0, 20.0, 25.0, 50.0, 100.0]
        .into_iter()
        .find(|w| max / w <= 40.0)
        .unwrap_or(250.0)
}

/// Names listed in one bar's hover before "and N more".
const HOVER_NAMES: usize = 8;

/// The histogram of `list` (days, user), sorted by days.
fn histogram(
    code: String,
    name: String,
    list: &[(Decimal, &str)],
    lines: Vec<(f64, String)>,
) -> ProductChart {
    let max = list.last().map_or(0.0, |(d, _)| to_f64(*d));
    let w = bin_width(max);
    let mut bins: BTreeMap<u64, Vec<(Decimal, &str)>> = BTreeMap::new();
    for &(d, user) in list {
        let bin = (to_f64(d) / w).floor().max(0.0) as u64;
        bins.entry(bin).or_default().push((d, user));
    }
    let mut bars = Vec::with_capacity(bins.len());
    let mut hovers = Vec::with_capacity(bins.len());
    for (bin, users) in bins {
        let lo = bin as f64 * w;
        bars.push(Bar::new(lo + w / 2.0, users.len() as f64).width(w * 0.9));
        let mut names: Vec<String> = users
            .iter()
            .take(HOVER_NAMES)
            .map(|(d, u)| format!("{u} ({})", fixed2(*d)))
            .collect();
        if users.len() > HOVER_NAMES {
            names.push(format!("and {} more", users.len() - HOVER_NAMES));
        }
        hovers.push(format!(
            "{} user(s) with {lo}–{} {code} days a year:\n{}",
            users.len(),
            lo + w,
            names.join("\n")
        ));
    }
    ProductChart {
        code,
        name,
        users: list.len(),
        bin_days: w,
        bars,
        hovers: Arc::new(hovers),
        lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_count_every_user_once() {
        let list = [
            (Decimal::new(10_450, 2), "a"),
            (Decimal::from(105), "b"),
            (Decimal::from(110), "c"),
            (Decimal::from(395), "d"),
        ];
        let h = histogram("ACD".into(), "AutoCAD".into(), &list, Vec::new());
        // max 395 → 10-day bins: [100,110) holds a and b, [110,120) c, [390,400) d.
        assert_eq!(h.bin_days, 10.0);
        let got: Vec<(f64, f64)> = h.bars.iter().map(|b| (b.argument, b.value)).collect();
        assert_eq!(got, [(105.0, 2.0), (115.0, 1.0), (395.0, 1.0)]);
        assert_eq!(h.users, 4);
        assert!(
            h.hovers[0]
                .starts_with("2 user(s) with 100–110 ACD days a year:\na (104.50)\nb (105.00)")
        );
    }
}
