//! The Pool view: how many tokens to buy, of which kind — the headline in
//! plain words, the plan comparison (a hover on every column, every cost a
//! present value over the term), the simulated demand fan, the exact ledger
//! of the recommended plan with its expiries, and the denial curve of every
//! concurrent pool. Everything is drawn from [`PoolData`], built by the
//! Size job.

use egui::{RichText, Ui};

use crate::gui::charts::{self, bars_ui};
use crate::gui::command::{Command, Commands};
use crate::gui::fmt;
use crate::gui::model::pool::PoolData;
use crate::gui::model::table::TableSorts;
use crate::gui::views::banner_ui;
use crate::gui::views::freshness::{FROM_BEFORE, Freshness, Words, freshness_ui};
use crate::gui::views::table::table_ui;

/// Heading of the plan comparison.
pub const PLANS: &str = "Plan comparison";

const WORDS: Words = Words {
    failed: "Sizing failed",
    running: "Simulating the contract term… (progress and Cancel in the status bar)",
    stale: FROM_BEFORE,
};

/// Draws the Pool view; `fresh` says whether a Size job failed, runs, or
/// the inputs changed since `data` was computed; `sorts` is how the user
/// sorted its tables.
pub fn pool_ui(
    ui: &mut Ui,
    data: Option<&PoolData>,
    fresh: &Freshness<'_>,
    sorts: &TableSorts,
    cmds: &mut Commands,
) {
    ui.heading("Token pool sizing");
    freshness_ui(ui, fresh, data.is_some(), &WORDS);
    let Some(d) = data else {
        if !fresh.running && fresh.error.is_none() {
            ui.label("Sizing runs once the data is metered under a valid scenario.");
        }
        return;
    };
    if let Some(w) = &d.short_window {
        banner_ui(ui, w);
    }
    ui.add(egui::Label::new(RichText::new(&d.headline).strong().size(15.0)).wrap());
    ui.label(&d.overage);
    ui.label(&d.within_risk);
    ui.weak(&d.basis);

    let mut table = |ui: &mut Ui, id: &'static str, t, empty: &str| {
        if let Some(column) = table_ui(ui, id, t, Some(sorts), empty) {
            cmds.push(Command::SortTable {
                table: id.to_owned(),
                column,
            });
        }
    };
    ui.add_space(8.0);
    ui.heading(PLANS);
    table(ui, "plan_comparison", &d.plans_table, "No plan evaluated.");
    bars_ui(
        ui,
        "plan_costs",
        &[("Expected cost", &d.cost_bars), ("P90 cost", &d.p90_bars)],
        &format!("present value over the term, {}", d.currency),
    );

    ui.add_space(8.0);
    ui.heading("Simulated demand per contract year");
    ui.weak(format!(
        "{} simulated terms: the band spans the 10th to the 90th percentile of each year's token demand, the line is the median; the dashed line is the recommended annual purchase.",
        fmt::count(u64::from(d.report.trials))
    ));
    charts::pool::fan_ui(ui, d);
    table(ui, "fan_table", &d.fan_table, "No simulated years.");

    ui.add_space(8.0);
    ui.heading("Token ledger of the recommended plan");
    ui.weak(&d.ledger_note);
    match &d.ledger {
        Ok(chart) => {
            charts::pool::ledger_ui(ui, chart);
            ui.label(&chart.totals);
            table(ui, "ledger_years", &d.ledger_table, "No contract years.");
        }
        Err(e) => {
            ui.label(format!("The ledger could not run: {e}"));
        }
    }

    ui.add_space(8.0);
    ui.heading("Concurrent pools");
    if d.pools.is_empty() {
        ui.weak("No product is charged as a concurrent pool: no pool to size.");
    }
    for pool in &d.pools {
        charts::pool::pool_curve_ui(ui, pool);
    }
}
