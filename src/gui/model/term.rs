//! What the Term view draws (SPEC §8), built once per Term job on its
//! worker: the headline in plain words (the term plan against renewing
//! as-is, totals and NPV), the warnings the figures rest on, a stacked
//! column per contract year for each plan, the year-by-year table and the
//! seats of every subscription year by year. Every cell and bar carries
//! what it is made of ("12 kept × 3,300.00 + 2 added × 3,675.00 =
//! 46,950.00"); money stays `Decimal` up to the bars' heights.
//!
//! [`run`] is the Term job's work. Its expensive part, every contract
//! year's forecast and the users' candidate plans ([`TermDemand`]), does not
//! depend on prices: [`TermKey`] is the scenario with its prices left out,
//! and a job whose key equals the last one's re-plans from the same
//! [`TermDemand`] (a price edit re-plans without forecasting again).

use std::sync::Arc;

use egui::Color32;
use egui_plot::Bar;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::gui::fmt;
use crate::ledger::YearSummary;
use crate::meter::Metered;
use crate::plan::Purchase;
use crate::scenario::{Scenario, TierMode, TokenPrice};
use crate::term::report::Costed;
use crate::term::{
    PricesInYear, SearchMethod, SeatsSource, TermAnalysis, TermDemand, TermYear, prices_by_year,
};
use crate::usage::Usage;

/// What a term's forecast is built from: the usage revision and the
/// scenario with every price left out. Two jobs with equal keys share
/// their [`TermDemand`]; only the prices, the search and the ledgers are
/// redone.
#[derive(Clone, Debug, PartialEq)]
pub struct TermKey {
    usage_rev: u64,
    scenario: Scenario,
}

impl TermKey {
    /// The key of `scenario` over the usage of revision `usage_rev`.
    pub fn new(usage_rev: u64, scenario: &Scenario) -> TermKey {
        let mut s = scenario.clone();
        // The forecast and the candidates read coverage, users, rates,
        // growth and the term's dates; prices, seats held before, the
        // seat-change rule, packs and the overdraft only price the plan.
        s.token_price = TokenPrice::Flat(Decimal::ZERO);
        s.prices = None;
        for sub in s.subscriptions.values_mut() {
            sub.annual_price = Decimal::ZERO;
            sub.renewal_price = None;
        }
        s.contract.overage_price = Decimal::ZERO;
        s.contract.discount_rate = Decimal::ZERO;
        s.contract.pack_size = None;
        s.contract.seat_changes = Default::default();
        s.contract.current_seats.clear();
        s.contract.overdraft = crate::scenario::Overdraft::Unlimited;
        s.budgets.clear();
        s.sizing = Default::default();
        s.name.clear();
        TermKey {
            usage_rev,
            scenario: s,
        }
    }
}

/// Where the Term job starts from.
pub enum TermSource {
    /// Forecast the term from this metering result.
    Metered(Arc<Metered>),
    /// Re-plan from the last job's metering and forecast (only prices
    /// changed since).
    Reuse(Arc<Metered>, Arc<TermDemand>),
}

/// A finished Term job: the engine's answer and what the view draws.
pub struct TermShown {
    /// What its forecast was built from.
    pub key: TermKey,
    /// The metering it was planned from (kept for the next re-plan).
    pub metered: Arc<Metered>,
    /// The forecast by year and the candidates (kept for the next re-plan).
    pub demand: Arc<TermDemand>,
    /// The engine's answer.
    pub analysis: TermAnalysis,
    /// What the view draws.
    pub data: TermData,
    /// True when the forecast of an earlier job was reused.
    pub reused_demand: bool,
    /// Jobs shown so far that forecast the term, this one included.
    pub demands_built: u64,
}

/// The Term job: forecast (or reuse it), plan, renew as-is, ledgers, view
/// data; `demands_built` is the count of the job shown before it.
///
/// # Errors
/// The engine's message when the term cannot be planned.
pub fn run(
    key: TermKey,
    source: TermSource,
    usage: &Usage,
    scenario: &Scenario,
    demands_built: u64,
) -> Result<TermShown, String> {
    let (metered, demand, reused) = match source {
        TermSource::Reuse(m, d) => (m, d, true),
        TermSource::Metered(m) => {
            let d = crate::gui::engine::term_demand(&m, usage, scenario)?;
            (m, Arc::new(d), false)
        }
    };
    let analysis = crate::gui::engine::term(&metered, scenario, &demand)?;
    let data = TermData::build(&analysis, scenario);
    Ok(TermShown {
        key,
        metered,
        demand,
        analysis,
        data,
        reused_demand: reused,
        demands_built: demands_built + u64::from(!reused),
    })
}

/// One table cell: its text and what it is made of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TermCell {
    /// As shown.
    pub text: String,
    /// On hover (empty: none).
    pub hover: String,
}

impl TermCell {
    fn new(text: impl Into<String>, hover: impl Into<String>) -> TermCell {
        TermCell {
            text: text.into(),
            hover: hover.into(),
        }
    }

    fn plain(text: impl Into<String>) -> TermCell {
        TermCell::new(text, "")
    }
}

/// A table whose cells carry hovers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TermTable {
    /// Column titles.
    pub header: Vec<&'static str>,
    /// What each column is.
    pub hovers: Vec<&'static str>,
    /// Rows of cells.
    pub rows: Vec<Vec<TermCell>>,
}

/// The parts a column of the chart is stacked from, bottom up.
pub const PARTS: [&str; 4] = [
    "Subscriptions",
    "Tokens used",
    "Tokens expired",
    "Overage and top-ups",
];

/// The colours of [`PARTS`].
pub const PART_COLOURS: [Color32; 4] = [
    Color32::from_rgb(70, 120, 200),
    Color32::from_rgb(80, 170, 100),
    Color32::from_rgb(150, 150, 150),
    Color32::from_rgb(220, 130, 50),
];

/// The stacked columns: per part of [`PARTS`], one bar per plan and year
/// (base offsets set), each named by its hover text.
#[derive(Clone, Debug, Default)]
pub struct TermChart {
    /// Per part, its bars.
    pub parts: Vec<Vec<Bar>>,
    /// The x axis' label at each integer x (empty between groups).
    pub labels: Vec<String>,
    /// The tallest column's height (the plot leaves room above it for the
    /// legend).
    pub top: f64,
}

/// Everything the Term view draws.
#[derive(Clone, Debug, Default)]
pub struct TermData {
    /// The scenario's currency.
    pub currency: String,
    /// The answer in a sentence.
    pub headline: String,
    /// Where the prices come from and how they move.
    pub basis: String,
    /// How the seats held before year 1 are known, and how the plan was
    /// found.
    pub method: String,
    /// What the figures rest on.
    pub warnings: Vec<String>,
    /// The term plan's NPV.
    pub npv: Decimal,
    /// The term plan's total over the term.
    pub total: Decimal,
    /// Renewing as-is: (total, NPV), when shown.
    pub renew: Option<(Decimal, Decimal)>,
    /// KPI cards: title, value, hover.
    pub kpis: Vec<(&'static str, String, String)>,
    /// The stacked columns.
    pub chart: TermChart,
    /// Year by year, both plans, with totals.
    pub years: TermTable,
    /// Seats of every subscription year by year, both plans.
    pub seats: TermTable,
}

impl TermData {
    /// Builds the view's data from the engine's `analysis` of `scenario`.
    pub fn build(analysis: &TermAnalysis, scenario: &Scenario) -> TermData {
        let prices = prices_by_year(scenario);
        let ctx = Ctx {
            analysis,
            scenario,
            prices: &prices,
            currency: &scenario.currency,
        };
        let plan = &analysis.plan.plan;
        let renew = analysis
            .renew_as_is
            .as_ref()
            .map(|r| (r.plan.total, r.plan.npv));
        TermData {
            currency: scenario.currency.clone(),
            headline: ctx.headline(),
            basis: ctx.basis(),
            method: ctx.method(),
            warnings: analysis.warnings.clone(),
            npv: plan.npv,
            total: plan.total,
            renew,
            kpis: ctx.kpis(),
            chart: ctx.chart(),
            years: ctx.years_table(),
            seats: ctx.seats_table(),
        }
    }
}

/// What every section reads.
struct Ctx<'a> {
    analysis: &'a TermAnalysis,
    scenario: &'a Scenario,
    prices: &'a [PricesInYear],
    currency: &'a str,
}

/// "Term plan" or "Renew as-is".
const PLAN: &str = "Term plan";
const RENEW: &str = "Renew as-is";

impl Ctx<'_> {
    fn money(&self, d: Decimal) -> String {
        fmt::money(d, self.currency)
    }

    /// Both plans that are shown, with their names.
    fn plans(&self) -> Vec<(&'static str, &Costed)> {
        let mut out = vec![(PLAN, &self.analysis.plan)];
        if let Some(r) = &self.analysis.renew_as_is {
            out.push((RENEW, r));
        }
        out
    }

    fn years_count(&self) -> usize {
        self.analysis.plan.plan.years.len()
    }

    // -----------------------------------------------------------------
    // Words

    fn headline(&self) -> String {
        let plan = &self.analysis.plan.plan;
        let n = self.years_count();
        let first = format!(
            "The term plan costs {} over {n} year(s), {} in today's money (NPV).",
            self.money(plan.total),
            self.money(plan.npv)
        );
        match &self.analysis.renew_as_is {
            Some(r) => {
                let saves = r.plan.npv - plan.npv;
                format!(
                    "{first} Renewing today's seats as they are costs {} (NPV {}): the plan saves {} in today's money.",
                    self.money(r.plan.total),
                    self.money(r.plan.npv),
                    self.money(saves)
                )
            }
            None => {
                format!("{first} Renewing as-is is not shown: no seats are known before year 1.")
            }
        }
    }

    fn basis(&self) -> String {
        let s = self.scenario;
        let rate = fmt::percent(s.contract.discount_rate);
        let money = format!("Money is discounted at {rate} a year to the term's start.");
        let Some(p) = &s.prices else {
            return format!("Today's prices every year (no price changes set). {money}");
        };
        let mut text = String::new();
        if !p.basis.is_empty() {
            text.push_str(&format!("Prices: {}. ", p.basis));
        }
        text.push_str(&format!(
            "From year 2 prices rise {} a year",
            fmt::percent(p.escalation)
        ));
        if let Some(cap) = p.escalation_cap {
            text.push_str(&format!(
                " (capped at {}: {} applies)",
                fmt::percent(cap),
                fmt::percent(crate::term::prices::escalation(s))
            ));
        }
        text.push('.');
        if !p.years.is_empty() {
            let years: Vec<String> = p.years.iter().map(|y| y.year.to_string()).collect();
            text.push_str(&format!(
                " Set prices replace the escalated ones in year(s) {}.",
                years.join(", ")
            ));
        }
        format!("{text} {money}")
    }

    fn method(&self) -> String {
        let before = match self.analysis.seats_source {
            SeatsSource::CurrentSeats => "Seats held today come from the contract's current seats.",
            SeatsSource::Assignments => {
                "Seats held today come from the assignments file (one seat per user and subscription)."
            }
            SeatsSource::Unknown => "No seats are known before year 1: year 1's seats are all new.",
        };
        let plan = &self.analysis.plan.plan;
        let how = match plan.method {
            SearchMethod::Exhaustive => "every yearly seat count searched (exact)",
            SearchMethod::SeatPaths => "every seat path searched (exact)",
            SearchMethod::Coordinate => "one subscription at a time (the best found)",
            SearchMethod::AsIs => "today's seats kept",
        };
        let rule = match self.scenario.contract.seat_changes {
            crate::scenario::SeatChanges::AnyTime => "seats may change every year",
            crate::scenario::SeatChanges::AddsAtAnniversary => {
                "after year 1 seats are only added, at anniversaries"
            }
        };
        format!("{before} The plan was found {how}; {rule}.")
    }

    fn kpis(&self) -> Vec<(&'static str, String, String)> {
        let plan = &self.analysis.plan.plan;
        let npv_parts = |c: &Costed| -> String {
            let parts: Vec<String> = c
                .plan
                .years
                .iter()
                .map(|y| fmt::money(y.present_value, self.currency))
                .collect();
            format!(
                "The sum of every year's present value: {} = {}",
                parts.join(" + "),
                self.money(c.plan.npv)
            )
        };
        let mut out = vec![
            (
                "NPV of the term plan",
                self.money(plan.npv),
                npv_parts(&self.analysis.plan),
            ),
            (
                "Term plan, undiscounted",
                self.money(plan.total),
                "Every year's subscriptions and tokens, summed".to_owned(),
            ),
        ];
        match &self.analysis.renew_as_is {
            Some(r) => {
                out.push(("NPV of renewing as-is", self.money(r.plan.npv), npv_parts(r)));
                out.push((
                    "Saving (NPV)",
                    self.money(r.plan.npv - plan.npv),
                    format!(
                        "NPV of renewing as-is − NPV of the term plan: {} − {}",
                        self.money(r.plan.npv),
                        self.money(plan.npv)
                    ),
                ));
            }
            None => out.push((
                "NPV of renewing as-is",
                "not shown".to_owned(),
                "No seats are known before year 1: set the contract's current seats or load the assignments file".to_owned(),
            )),
        }
        out
    }

    // -----------------------------------------------------------------
    // What a year's figures are made of

    fn year_label(&self, y: &TermYear) -> String {
        format!("Year {} ({})", y.year, y.start)
    }

    /// "AEC: 10 kept × 3,300.00 + 2 added × 3,675.00 = 40,350.00" per
    /// subscription with seats (or dropped ones) that year.
    fn seat_lines(&self, y: &TermYear) -> Vec<String> {
        let k = (y.year as usize).saturating_sub(1);
        let Some(p) = self.prices.get(k) else {
            return Vec::new();
        };
        self.analysis
            .codes
            .iter()
            .zip(y.seats.iter().zip(&y.changes))
            .filter(|(_, (n, c))| **n > 0 || c.dropped > 0)
            .map(|(code, (_, c))| {
                let (renewal, new) = (p.renewal_of(code), p.new_seat_of(code));
                let cost = renewal * Decimal::from(c.kept) + new * Decimal::from(c.added);
                let mut terms = Vec::new();
                if c.kept > 0 {
                    terms.push(format!(
                        "{} kept × {}",
                        c.kept,
                        fmt::price(renewal, self.currency)
                    ));
                }
                if c.added > 0 {
                    terms.push(format!(
                        "{} added × {}",
                        c.added,
                        fmt::price(new, self.currency)
                    ));
                }
                let dropped = if c.dropped > 0 {
                    format!(" ({} dropped)", c.dropped)
                } else {
                    String::new()
                };
                if terms.is_empty() {
                    format!("{code}: no seats{dropped}")
                } else {
                    format!(
                        "{code}: {} = {}{dropped}",
                        terms.join(" + "),
                        self.money(cost)
                    )
                }
            })
            .collect()
    }

    fn subscriptions_hover(&self, name: &str, y: &TermYear) -> String {
        let lines = self.seat_lines(y);
        let body = if lines.is_empty() {
            "no seats".to_owned()
        } else {
            lines.join("\n")
        };
        format!(
            "{name}, {}: subscriptions {}\n{body}\nKept seats at the renewal price, added ones at the new-seat price.",
            self.year_label(y),
            self.money(y.subscription_cost)
        )
    }

    fn tokens_hover(&self, name: &str, y: &TermYear) -> String {
        let k = (y.year as usize).saturating_sub(1);
        let Purchase {
            tokens,
            cost,
            price,
            ..
        } = y.purchase;
        let pack = self.scenario.contract.pack_size.unwrap_or(1).max(1);
        let unit = if pack > 1 {
            format!("in packs of {pack}")
        } else {
            "in whole tokens".to_owned()
        };
        let mode = self
            .prices
            .get(k)
            .map(|p| match &p.token_price {
                TokenPrice::Flat(_) => TierMode::AllUnits,
                TokenPrice::Tiers { mode, .. } => *mode,
            })
            .unwrap_or(TierMode::AllUnits);
        let priced = match mode {
            TierMode::AllUnits => format!(
                "{} tokens × {} = {}",
                fmt::tokens(tokens),
                fmt::price(price, self.currency),
                self.money(cost)
            ),
            TierMode::Incremental => format!(
                "{} tokens, each tier at its own price = {} (the last tier's price {})",
                fmt::tokens(tokens),
                self.money(cost),
                fmt::price(price, self.currency)
            ),
        };
        let bought = if tokens > y.tokens_needed.ceil() + Decimal::from(pack) {
            "bought up to the tier's floor, which costs less"
        } else {
            "rounded up"
        };
        format!(
            "{name}, {}: tokens {}\nThe seats leave {} forecast tokens uncovered, {bought} {unit}: an Annual lot bought at the year's start.\n{priced}",
            self.year_label(y),
            self.money(cost),
            fmt::tokens(y.tokens_needed),
        )
    }

    /// What the expired tokens are worth: at the year's average price of
    /// the tokens bought (none bought: the plan's price), never more than
    /// the year's token cost.
    fn expired_value(y: &TermYear, l: &YearSummary) -> Decimal {
        let per_token = if l.bought > Decimal::ZERO {
            l.purchase_cost / l.bought
        } else {
            y.purchase.price
        };
        (l.expired * per_token)
            .round_dp(2)
            .min(y.purchase.cost)
            .max(Decimal::ZERO)
    }

    // -----------------------------------------------------------------
    // The chart

    fn chart(&self) -> TermChart {
        let n = self.years_count();
        let mut parts: Vec<Vec<Bar>> = vec![Vec::new(); PARTS.len()];
        let mut labels = vec![String::new(); 3 * n + 1];
        let mut top = 0.0;
        for (p, (name, costed)) in self.plans().into_iter().enumerate() {
            let renew = p == 1;
            for (k, (y, l)) in costed
                .plan
                .years
                .iter()
                .zip(&costed.ledger.years)
                .enumerate()
            {
                let x = 3 * k + 1 + p;
                if let Some(label) = labels.get_mut(x) {
                    *label = format!("Y{} {}", y.year, if renew { "as-is" } else { "plan" });
                }
                let expired = Self::expired_value(y, l);
                let used = y.purchase.cost - expired;
                let extra = l.overage_cost + l.top_up_cost;
                let column = y.total + extra;
                let ending = format!(
                    "\nColumn: {} = the year's total {} + overage and top-ups {} from replaying the history day by day.",
                    self.money(column),
                    self.money(y.total),
                    self.money(extra)
                );
                let hovers = [
                    self.subscriptions_hover(name, y),
                    format!(
                        "{}\nOf which used: {} (expired: {}).",
                        self.tokens_hover(name, y),
                        self.money(used),
                        self.money(expired)
                    ),
                    format!(
                        "{name}, {}: tokens expired {}\n{} tokens expired unused, valued at the year's price per token bought.",
                        self.year_label(y),
                        self.money(expired),
                        fmt::tokens(l.expired)
                    ),
                    format!(
                        "{name}, {}: overage and top-ups {}\n{} tokens of overage billed at the year's end: {}; {} tokens topped up in packs: {}.",
                        self.year_label(y),
                        self.money(extra),
                        fmt::tokens(l.overage),
                        self.money(l.overage_cost),
                        fmt::tokens(l.topped_up),
                        self.money(l.top_up_cost)
                    ),
                ];
                let values = [y.subscription_cost, used, expired, extra];
                let mut base = 0.0;
                for (part, (value, hover)) in values.iter().zip(hovers).enumerate() {
                    let v = value.to_f64().unwrap_or(0.0);
                    let fill = if renew {
                        PART_COLOURS[part].gamma_multiply(0.5)
                    } else {
                        PART_COLOURS[part]
                    };
                    parts[part].push(
                        Bar::new(x as f64, v)
                            .base_offset(base)
                            .width(0.9)
                            .fill(fill)
                            .name(format!("{hover}{ending}")),
                    );
                    base += v;
                }
                top = f64::max(top, base);
            }
        }
        TermChart { parts, labels, top }
    }

    // -----------------------------------------------------------------
    // The tables

    fn years_table(&self) -> TermTable {
        let columns: [(&'static str, &'static str); 11] = [
            (
                "Plan",
                "The term plan, or today's seats renewed as they are",
            ),
            ("Year", "Contract year and its first day"),
            (
                "Seats",
                "Seats held that year, all subscriptions: kept, added, dropped",
            ),
            (
                "Subscriptions",
                "Kept seats at the renewal price, added seats at the new-seat price",
            ),
            (
                "Tokens bought",
                "The year's Annual lot: the forecast the seats leave uncovered, rounded up",
            ),
            (
                "Token cost",
                "What the year's tokens cost at that year's token price",
            ),
            (
                "Overage",
                "Tokens beyond the balance when the history is replayed day by day",
            ),
            (
                "Expired",
                "Tokens that expired unused when the history is replayed day by day",
            ),
            ("Total", "Subscriptions + token cost"),
            (
                "Discount factor",
                "1 / (1 + discount rate) ^ (year − 1): everything is paid at the year's start",
            ),
            ("Present value", "Total × discount factor"),
        ];
        let mut rows = Vec::new();
        for (name, costed) in self.plans() {
            for (y, l) in costed.plan.years.iter().zip(&costed.ledger.years) {
                rows.push(self.year_row(name, y, l));
            }
            rows.push(self.total_row(name, costed));
        }
        TermTable {
            header: columns.iter().map(|c| c.0).collect(),
            hovers: columns.iter().map(|c| c.1).collect(),
            rows,
        }
    }

    fn year_row(&self, name: &str, y: &TermYear, l: &YearSummary) -> Vec<TermCell> {
        let seats: u32 = y.seats.iter().sum();
        let kept: u32 = y.changes.iter().map(|c| c.kept).sum();
        let added: u32 = y.changes.iter().map(|c| c.added).sum();
        let dropped: u32 = y.changes.iter().map(|c| c.dropped).sum();
        let seat_lines = self.seat_lines(y).join("\n");
        let rate = self.scenario.contract.discount_rate;
        let factor = y.discount_factor.round_dp(4);
        let overage_hover = format!(
            "{} tokens beyond the balance, billed at the year's end at the overage price: {}",
            fmt::tokens(l.overage),
            self.money(l.overage_cost)
        );
        vec![
            TermCell::plain(name),
            TermCell::plain(self.year_label(y)),
            TermCell::new(
                format!("{seats} ({kept} kept, {added} added, {dropped} dropped)"),
                if seat_lines.is_empty() {
                    "No seats".to_owned()
                } else {
                    seat_lines
                },
            ),
            TermCell::new(
                self.money(y.subscription_cost),
                self.subscriptions_hover(name, y),
            ),
            TermCell::new(
                fmt::tokens(y.purchase.tokens),
                format!(
                    "{} forecast tokens left uncovered by the seats, rounded up",
                    fmt::tokens(y.tokens_needed)
                ),
            ),
            TermCell::new(self.money(y.purchase.cost), self.tokens_hover(name, y)),
            TermCell::new(fmt::tokens(l.overage), overage_hover),
            TermCell::new(
                fmt::tokens(l.expired),
                format!(
                    "{} tokens expired unused, worth {} at the year's price per token bought",
                    fmt::tokens(l.expired),
                    self.money(Self::expired_value(y, l))
                ),
            ),
            TermCell::new(
                self.money(y.total),
                format!(
                    "Subscriptions {} + tokens {} = {}",
                    self.money(y.subscription_cost),
                    self.money(y.purchase.cost),
                    self.money(y.total)
                ),
            ),
            TermCell::new(
                factor.to_string(),
                format!(
                    "1 / (1 + {})^{} = {}",
                    rate.normalize(),
                    y.year - 1,
                    y.discount_factor.round_dp(6)
                ),
            ),
            TermCell::new(
                self.money(y.present_value),
                format!(
                    "{} × {} = {}",
                    self.money(y.total),
                    y.discount_factor.round_dp(6),
                    self.money(y.present_value)
                ),
            ),
        ]
    }

    fn total_row(&self, name: &str, c: &Costed) -> Vec<TermCell> {
        let years = &c.plan.years;
        let sum = |f: &dyn Fn(&TermYear) -> Decimal| years.iter().map(f).sum::<Decimal>();
        let terms = |f: &dyn Fn(&TermYear) -> Decimal| {
            years
                .iter()
                .map(|y| self.money(f(y)))
                .collect::<Vec<_>>()
                .join(" + ")
        };
        let subs = sum(&|y| y.subscription_cost);
        let tokens = sum(&|y| y.purchase.tokens);
        let token_cost = sum(&|y| y.purchase.cost);
        let totals = &c.ledger.totals;
        vec![
            TermCell::plain(name),
            TermCell::plain("Term"),
            TermCell::plain(""),
            TermCell::new(self.money(subs), terms(&|y| y.subscription_cost)),
            TermCell::new(fmt::tokens(tokens), "Every year's tokens bought, summed"),
            TermCell::new(self.money(token_cost), terms(&|y| y.purchase.cost)),
            TermCell::new(fmt::tokens(totals.overage), "Every year's overage, summed"),
            TermCell::new(
                fmt::tokens(totals.expired),
                "Every year's expired tokens, summed",
            ),
            TermCell::new(
                self.money(c.plan.total),
                format!("{} = {}", terms(&|y| y.total), self.money(c.plan.total)),
            ),
            TermCell::plain(""),
            TermCell::new(
                self.money(c.plan.npv),
                format!(
                    "NPV: {} = {}",
                    terms(&|y| y.present_value),
                    self.money(c.plan.npv)
                ),
            ),
        ]
    }

    fn seats_table(&self) -> TermTable {
        let columns: [(&'static str, &'static str); 7] = [
            ("Subscription", "Subscription code and name"),
            ("Year", "Contract year"),
            ("Plan: seats", "Seats the term plan holds that year"),
            (
                "Plan: kept / added / dropped",
                "Against the year before (year 1: the seats held today)",
            ),
            (
                "Plan: cost",
                "Kept seats at the renewal price + added ones at the new-seat price",
            ),
            (
                "As-is: seats",
                "Today's seats, renewed (and any a pinned user needs)",
            ),
            ("As-is: cost", "Renewing today's seats as they are"),
        ];
        let plan = &self.analysis.plan.plan;
        let renew = self.analysis.renew_as_is.as_ref().map(|r| &r.plan);
        let mut rows = Vec::new();
        for (j, code) in self.analysis.codes.iter().enumerate() {
            let name = self
                .scenario
                .subscriptions
                .get(code)
                .map_or(String::new(), |s| s.name.clone());
            for (k, y) in plan.years.iter().enumerate() {
                let cell = |y: &TermYear| -> (TermCell, TermCell, TermCell) {
                    let n = y.seats.get(j).copied().unwrap_or(0);
                    let c = y.changes.get(j).copied().unwrap_or_default();
                    let p = self.prices.get(k);
                    let (renewal, new) = p.map_or((Decimal::ZERO, Decimal::ZERO), |p| {
                        (p.renewal_of(code), p.new_seat_of(code))
                    });
                    let cost = renewal * Decimal::from(c.kept) + new * Decimal::from(c.added);
                    (
                        TermCell::plain(n.to_string()),
                        TermCell::plain(format!("{} / {} / {}", c.kept, c.added, c.dropped)),
                        TermCell::new(
                            self.money(cost),
                            format!(
                                "{} kept × {} + {} added × {} = {}",
                                c.kept,
                                fmt::price(renewal, self.currency),
                                c.added,
                                fmt::price(new, self.currency),
                                self.money(cost)
                            ),
                        ),
                    )
                };
                let (seats, changes, cost) = cell(y);
                let (r_seats, r_cost) = match renew.and_then(|r| r.years.get(k)) {
                    Some(ry) => {
                        let (s, _, c) = cell(ry);
                        (s, c)
                    }
                    None => (TermCell::plain("not shown"), TermCell::plain("not shown")),
                };
                if seats.text == "0" && r_seats.text.starts_with('0') && changes.text == "0 / 0 / 0"
                {
                    continue;
                }
                rows.push(vec![
                    TermCell::plain(format!("{code} — {name}")),
                    TermCell::plain(y.year.to_string()),
                    seats,
                    changes,
                    cost,
                    r_seats,
                    r_cost,
                ]);
            }
        }
        TermTable {
            header: columns.iter().map(|c| c.0).collect(),
            hovers: columns.iter().map(|c| c.1).collect(),
            rows,
        }
    }
}
