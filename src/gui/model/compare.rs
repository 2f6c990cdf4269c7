//! Two scenarios side by side over the same usage.
//!
//! - [`run`] is the compare job's work: it meters and plans side A and side
//!   B through [`engine`] and builds a [`Comparison`] on the worker: one
//!   [`CompareRow`] per figure (recommended cost and its parts, seats per
//!   subscription, tokens a year, the three baselines) with A, B, Δ = B − A
//!   and Δ% = Δ / A, exact and formatted, each with the hover that explains
//!   it, and [`scenario_diff`]: the fields that differ, `path: a → b`.
//! - [`CompareSide`] is what the user put on a side: the scenario pinned as the
//!   baseline, a file loaded as B, or the one being edited.
//! - [`Reports`] keeps the last reports by (usage, scenario), so that an
//!   edit re-meters and re-plans only the edited side, not the pinned one
//!   as well: half the work of every edit while a comparison is open.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, PoisonError, Weak};

use rust_decimal::Decimal;
use serde_json::Value;

use crate::gui::engine;
use crate::gui::fmt;
use crate::plan::RecommendReport;
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// One side of a comparison: a scenario and what to call it.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareSide {
    /// How the view names it (`FY27 (pinned)`, a file name...).
    pub label: String,
    /// The scenario.
    pub scenario: Scenario,
}

/// How a figure is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// Money in the scenario's currency.
    Money,
    /// Seats, tokens: a plain exact number.
    Count,
}

/// One figure of both sides.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareRow {
    /// What the figure is.
    pub what: String,
    /// Side A's value (`None`: the figure does not exist there, e.g. the
    /// current baseline without assignments).
    pub a: Option<Decimal>,
    /// Side B's value.
    pub b: Option<Decimal>,
    /// B − A, exact, when both exist.
    pub delta: Option<Decimal>,
    /// Δ as a percentage of A, two places, when A is not zero.
    pub delta_pct: Option<Decimal>,
    /// A, B, Δ and Δ% as drawn.
    pub texts: [String; 4],
    /// What Δ is, with the subtraction written out.
    pub hover: String,
    /// What A's and B's figures are.
    pub side_hovers: [String; 2],
}

/// What the Compare tab draws.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// Side A's label.
    pub a_label: String,
    /// Side B's label.
    pub b_label: String,
    /// A note when the sides price in different currencies.
    pub currency_note: Option<String>,
    /// The figures, in display order.
    pub rows: Vec<CompareRow>,
    /// The scenario fields that differ, `path: a → b`.
    pub diffs: Vec<String>,
}

/// What a compare job produced.
pub type CompareOutcome = Result<Comparison, String>;

/// Meters and plans both sides over `usage` and compares them.
///
/// # Errors
/// Which side could not be planned, with the engine's message.
pub fn run(
    usage: &Arc<Usage>,
    a: &CompareSide,
    b: &CompareSide,
    reports: &Reports,
    progress: &dyn Progress,
) -> CompareOutcome {
    let plan = |side: &CompareSide, name: &str| {
        if let Some(report) = reports.get(usage, &side.scenario) {
            return Ok(report);
        }
        let report = engine::plan_scenario(usage, &side.scenario, progress)
            .map(|p| Arc::new(p.report))
            .map_err(|e| format!("{name} ({}) cannot be planned: {e}", side.label))?;
        reports.put(usage, &side.scenario, Arc::clone(&report));
        Ok::<_, String>(report)
    };
    let report_a = plan(a, "A")?;
    let report_b = plan(b, "B")?;
    Ok(Comparison::build(a, &report_a, b, &report_b))
}

/// The last few reports planned for a comparison, by usage and scenario.
///
/// Only compare jobs lock it (one runs at a time); the UI thread only
/// clones the handle. The usage is held weakly: a report never keeps old
/// usage alive, and a weak handle also keeps its address from being reused,
/// so "same usage" cannot be mistaken.
#[derive(Clone, Default)]
pub struct Reports {
    entries: Arc<Mutex<Vec<ReportEntry>>>,
}

struct ReportEntry {
    usage: Weak<Usage>,
    scenario: Scenario,
    report: Arc<RecommendReport>,
}

impl Reports {
    /// Reports kept: both sides, and the edited side's previous version.
    const KEPT: usize = 3;

    /// The report of `scenario` over `usage`, when planned lately.
    pub fn get(&self, usage: &Arc<Usage>, scenario: &Scenario) -> Option<Arc<RecommendReport>> {
        let entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        entries
            .iter()
            .find(|e| Weak::ptr_eq(&e.usage, &Arc::downgrade(usage)) && e.scenario == *scenario)
            .map(|e| Arc::clone(&e.report))
    }

    /// Keeps `report` as the one of `scenario` over `usage` (in place of an
    /// older one), dropping the oldest entry and any of usage no longer
    /// loaded.
    pub fn put(&self, usage: &Arc<Usage>, scenario: &Scenario, report: Arc<RecommendReport>) {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let same = |e: &ReportEntry| {
            Weak::ptr_eq(&e.usage, &Arc::downgrade(usage)) && e.scenario == *scenario
        };
        entries.retain(|e| e.usage.strong_count() > 0 && !same(e));
        if entries.len() >= Self::KEPT {
            entries.remove(0);
        }
        entries.push(ReportEntry {
            usage: Arc::downgrade(usage),
            scenario: scenario.clone(),
            report,
        });
    }

    /// How many reports are kept (tests).
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// True when none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A figure's name, what it means, its unit and its value on a report.
type Figure = (
    String,
    &'static str,
    Unit,
    Box<dyn Fn(&RecommendReport) -> Option<Decimal>>,
);

impl Comparison {
    /// Compares the recommendations `ra` of side `a` and `rb` of side `b`.
    pub fn build(
        a: &CompareSide,
        ra: &RecommendReport,
        b: &CompareSide,
        rb: &RecommendReport,
    ) -> Comparison {
        let cur = a.scenario.currency.as_str();
        let mut figures: Vec<Figure> = vec![
            (
                "Recommended annual cost".into(),
                "what the recommended mix costs a year: seats plus the token purchase",
                Unit::Money,
                Box::new(|r| Some(r.total_annual_cost.0)),
            ),
            (
                "Subscription cost".into(),
                "the recommended seats times their annual prices",
                Unit::Money,
                Box::new(|r| Some(r.subscription_cost.0)),
            ),
            (
                "Token cost".into(),
                "the cost of the tokens bought a year, at the scenario's token price",
                Unit::Money,
                Box::new(|r| Some(r.token_cost.0)),
            ),
        ];
        let codes: BTreeSet<&String> = ra.seats.keys().chain(rb.seats.keys()).collect();
        for code in codes {
            let code = code.clone();
            figures.push((
                format!("Seats {code}"),
                "named-user seats of this subscription in the recommended mix",
                Unit::Count,
                Box::new(move |r| r.seats.get(&code).map(|&n| Decimal::from(n))),
            ));
        }
        figures.extend::<[Figure; 4]>([
            (
                "Tokens a year".into(),
                "tokens bought a year (the forecast need, raised to a tier floor when that is cheaper)",
                Unit::Count,
                Box::new(|r| Some(r.annual_tokens.0)),
            ),
            (
                "Baseline: all tokens".into(),
                "the annual cost with nobody on a subscription",
                Unit::Money,
                Box::new(|r| Some(r.baselines.all_tokens.0)),
            ),
            (
                "Baseline: all subscriptions".into(),
                "the annual cost with every user on the cheapest subscriptions covering what they use",
                Unit::Money,
                Box::new(|r| Some(r.baselines.all_subscriptions.0)),
            ),
            (
                "Baseline: current".into(),
                "the annual cost of today's assignments (needs a user, subscription file)",
                Unit::Money,
                Box::new(|r| r.baselines.current.as_ref().map(|c| c.0)),
            ),
        ]);
        let rows = figures
            .into_iter()
            .map(|(what, meaning, unit, value)| row(what, meaning, unit, value(ra), value(rb), cur))
            .collect();
        let currency_note = (a.scenario.currency != b.scenario.currency).then(|| {
            format!(
                "A prices in {} and B in {}: money is shown in A's currency, not converted.",
                a.scenario.currency, b.scenario.currency
            )
        });
        Comparison {
            a_label: a.label.clone(),
            b_label: b.label.clone(),
            currency_note,
            rows,
            diffs: scenario_diff(&a.scenario, &b.scenario),
        }
    }
}

fn row(
    what: String,
    meaning: &str,
    unit: Unit,
    a: Option<Decimal>,
    b: Option<Decimal>,
    cur: &str,
) -> CompareRow {
    let show = |v: Decimal| match unit {
        Unit::Money => fmt::money(v, cur),
        Unit::Count => fmt::decimal(v),
    };
    let delta = a.zip(b).map(|(a, b)| b - a);
    let delta_pct = a
        .zip(delta)
        .filter(|(a, _)| !a.is_zero())
        .and_then(|(a, d)| d.checked_mul(Decimal::ONE_HUNDRED)?.checked_div(a))
        .map(|p| p.round_dp(2));
    let signed = |text: String, v: Decimal| {
        if v > Decimal::ZERO {
            format!("+{text}")
        } else {
            text
        }
    };
    let none = "—".to_owned();
    let texts = [
        a.map_or_else(|| none.clone(), show),
        b.map_or_else(|| none.clone(), show),
        delta.map_or_else(|| none.clone(), |d| signed(show(d), d)),
        delta_pct.map_or_else(
            || none.clone(),
            |p| signed(format!("{}%", fmt::decimal(p)), p),
        ),
    ];
    let hover = match (a, b, delta) {
        (Some(va), Some(vb), Some(d)) => {
            let direction = if d > Decimal::ZERO {
                "B is higher"
            } else if d < Decimal::ZERO {
                "B is lower"
            } else {
                "no difference"
            };
            let pct = delta_pct.map_or_else(
                || "Δ% is undefined: A is zero".to_owned(),
                |p| format!("Δ% = Δ / A = {}%", fmt::decimal(p)),
            );
            format!(
                "{what}: {meaning}.\nΔ = B − A = {} − {} = {} ({direction}); {pct}.",
                show(vb),
                show(va),
                show(d)
            )
        }
        _ => format!("{what}: {meaning}.\nOnly one side has this figure, so there is no Δ."),
    };
    let side_hovers = [("A", a), ("B", b)].map(|(side, v)| match v {
        Some(v) => format!(
            "{what} of side {side}: {meaning}; {}, from the engine's recommendation.",
            show(v)
        ),
        None => format!("{what} of side {side}: {meaning}; not available there."),
    });
    CompareRow {
        side_hovers,
        what,
        a,
        b,
        delta,
        delta_pct,
        texts,
        hover,
    }
}

/// Map fields of a scenario: their keys are written `[key]`, not `.key`.
const KEYED: [&str; 6] = [
    "products",
    "subscriptions",
    "budgets",
    "min_seats",
    "max_seats",
    "pinned",
];

/// The fields of `a` and `b` that differ, one line each, `path: a → b`
/// (`products[ACD].rates[0].tokens: 6 → 7`), in path order; a field on one
/// side only shows `(none)` on the other.
pub fn scenario_diff(a: &Scenario, b: &Scenario) -> Vec<String> {
    match (serde_json::to_value(a), serde_json::to_value(b)) {
        (Ok(va), Ok(vb)) => {
            let mut out = Vec::new();
            diff_value("", &va, &vb, &mut out);
            out
        }
        (Err(e), _) | (_, Err(e)) => vec![format!(
            "the scenarios cannot be compared field by field: {e}"
        )],
    }
}

fn diff_value(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let keyed = KEYED
                .iter()
                .any(|m| path == *m || path.ends_with(&format!(".{m}")));
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                let p = if keyed {
                    format!("{path}[{k}]")
                } else if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                diff_opt(&p, x.get(k), y.get(k), out);
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            for i in 0..x.len().max(y.len()) {
                diff_opt(&format!("{path}[{i}]"), x.get(i), y.get(i), out);
            }
        }
        _ if a == b => {}
        _ => out.push(format!("{path}: {} → {}", leaf(a), leaf(b))),
    }
}

fn diff_opt(path: &str, a: Option<&Value>, b: Option<&Value>, out: &mut Vec<String>) {
    match (a, b) {
        (Some(a), Some(b)) => diff_value(path, a, b, out),
        (Some(a), None) => out.push(format!("{path}: {} → (none)", leaf(a))),
        (None, Some(b)) => out.push(format!("{path}: (none) → {}", leaf(b))),
        (None, None) => {}
    }
}

/// A value as one line: strings bare, the rest compact JSON.
fn leaf(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_owned(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Scenario {
        crate::sample::scenario().unwrap()
    }

    #[test]
    fn an_unchanged_side_is_not_planned_again() {
        let scenario = sample();
        let usage = Arc::new(crate::sample::usage(&scenario).0);
        let a = CompareSide {
            label: "A".into(),
            scenario: scenario.clone(),
        };
        let mut edited = scenario.clone();
        edited.products.get_mut("ACD").unwrap().rates[0].tokens = Decimal::from(7);
        let b = CompareSide {
            label: "B".into(),
            scenario: edited,
        };
        let reports = Reports::default();
        let first = run(&usage, &a, &b, &reports, &crate::progress::NoProgress).unwrap();
        assert_eq!(reports.len(), 2);
        let engine_a = engine::plan_scenario(&usage, &a.scenario, &crate::progress::NoProgress)
            .unwrap()
            .report;
        assert_eq!(first.rows[0].a, Some(engine_a.total_annual_cost.0));

        // A stand-in report for A: a second run must take it, not plan A.
        let mut stand_in = engine_a.clone();
        stand_in.total_annual_cost.0 = Decimal::from(1);
        reports.put(&usage, &a.scenario, Arc::new(stand_in));
        let second = run(&usage, &a, &b, &reports, &crate::progress::NoProgress).unwrap();
        assert_eq!(second.rows[0].a, Some(Decimal::from(1)));
        assert_eq!(second.rows[0].b, first.rows[0].b);

        // Other usage, even with the same content, is planned afresh; the
        // entries of usage no longer loaded are dropped.
        let other = Arc::new((*usage).clone());
        drop(usage);
        let third = run(&other, &a, &b, &reports, &crate::progress::NoProgress).unwrap();
        assert_eq!(third.rows[0].a, Some(engine_a.total_annual_cost.0));
        assert_eq!(reports.len(), 2);
    }

    #[test]
    fn the_diff_names_each_changed_field_by_path() {
        let a = sample();
        let mut b = a.clone();
        assert!(scenario_diff(&a, &b).is_empty());
        let acd = b.products.get_mut("ACD").unwrap();
        let before = acd.rates[0].tokens;
        acd.rates[0].tokens = Decimal::from(7);
        acd.features.push("NAVMAN".into());
        b.name = "B".into();
        b.budgets.insert("Zeta".into(), Decimal::from(5));
        let n = a.products["ACD"].features.len();
        assert_eq!(
            scenario_diff(&a, &b),
            vec![
                format!("budgets[Zeta]: (none) → 5"),
                format!("name: {} → B", a.name),
                format!("products[ACD].features[{n}]: (none) → NAVMAN"),
                format!("products[ACD].rates[0].tokens: {before} → 7"),
            ]
        );
    }

    #[test]
    fn a_row_has_exact_delta_and_percentage() {
        let r = row(
            "Token cost".into(),
            "tokens",
            Unit::Money,
            Some(Decimal::new(20_000, 2)),
            Some(Decimal::new(25_050, 2)),
            "USD",
        );
        assert_eq!(r.delta, Some(Decimal::new(5_050, 2)));
        assert_eq!(r.delta_pct, Some(Decimal::new(2_525, 2)));
        assert_eq!(
            r.texts,
            [
                "200.00 USD".to_owned(),
                "250.50 USD".to_owned(),
                "+50.50 USD".to_owned(),
                "+25.25%".to_owned()
            ]
        );
        assert!(
            r.hover
                .contains("Δ = B − A = 250.50 USD − 200.00 USD = 50.50 USD (B is higher)"),
            "{}",
            r.hover
        );
        assert_eq!(
            r.side_hovers[1],
            "Token cost of side B: tokens; 250.50 USD, from the engine's recommendation."
        );
        let lower = row(
            "Seats ACD".into(),
            "seats",
            Unit::Count,
            Some(Decimal::from(4)),
            Some(Decimal::from(3)),
            "USD",
        );
        assert_eq!(lower.texts[2..], ["-1".to_owned(), "-25%".to_owned()]);
        let zero = row(
            "x".into(),
            "x",
            Unit::Count,
            Some(Decimal::ZERO),
            Some(Decimal::ONE),
            "USD",
        );
        assert_eq!(zero.delta_pct, None);
        assert_eq!(zero.texts[3], "—");
        let missing = row(
            "x".into(),
            "x",
            Unit::Money,
            None,
            Some(Decimal::ONE),
            "USD",
        );
        assert_eq!(missing.delta, None);
        assert_eq!(missing.texts[0], "—");
    }
}
