//! The Pool view: how many tokens to buy, of which kind — the plan
//! comparison, the simulated demand fan, the exact ledger of the
//! recommended plan with its expiries, and the denial curve of every
//! `Concurrent` pool. Everything is drawn from [`PoolData`], built by the
//! Size job.

use egui::{RichText, Ui};

use crate::gui::charts::{self, bars_ui};
use crate::gui::fmt;
use crate::gui::model::Table;
use crate::gui::model::pool::PoolData;
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
/// the inputs changed since `data` was computed.
pub fn pool_ui(ui: &mut Ui, data: Option<&PoolData>, fresh: &Freshness<'_>) {
    ui.heading("Token pool sizing");
    freshness_ui(ui, fresh, data.is_some(), &WORDS);
    let Some(d) = data else {
        if !fresh.running && fresh.error.is_none() {
            ui.label("Sizing runs once the data is metered under a valid scenario.");
        }
        return;
    };
    ui.label(RichText::new(&d.headline).strong());
    ui.weak(&d.basis);

    ui.add_space(8.0);
    ui.heading(PLANS);
    plans_table_ui(ui, d);
    bars_ui(
        ui,
        "plan_costs",
        &[("Expected cost", &d.cost_bars), ("P90 cost", &d.p90_bars)],
        &format!("present value, {}", d.currency),
    );

    ui.add_space(8.0);
    ui.heading("Simulated demand per contract year");
    ui.weak(format!(
        "{} simulated terms: the band spans the 10th to the 90th percentile of each year's token demand, the line is the median; the dashed line is the recommended annual purchase.",
        fmt::count(u64::from(d.report.trials))
    ));
    charts::pool::fan_ui(ui, d);
    let fan_table = Table {
        header: vec!["Contract year", "P10 tokens", "P50 tokens", "P90 tokens"],
        rows: d.fan.rows.iter().map(|r| r.to_vec()).collect(),
    };
    table_ui(ui, "fan_table", &fan_table, "No simulated years.");

    ui.add_space(8.0);
    ui.heading("Token ledger of the recommended plan");
    ui.weak(&d.ledger_note);
    match &d.ledger {
        Ok(chart) => {
            charts::pool::ledger_ui(ui, chart);
            ui.label(&chart.totals);
            let years = Table {
                header: vec![
                    "Contract year",
                    "Demand",
                    "Consumed",
                    "Expired",
                    "Overage",
                    "Paid",
                ],
                rows: chart.years.iter().map(|r| r.to_vec()).collect(),
            };
            table_ui(ui, "ledger_years", &years, "No contract years.");
        }
        Err(e) => {
            ui.label(format!("The ledger could not run: {e}"));
        }
    }

    ui.add_space(8.0);
    ui.heading("Concurrent pools");
    if d.pools.is_empty() {
        ui.weak("No product of the scenario is charged under Concurrent: no pool to size.");
    }
    for pool in &d.pools {
        charts::pool::pool_curve_ui(ui, pool);
    }
}

fn plans_table_ui(ui: &mut Ui, d: &PoolData) {
    egui::Grid::new("plan_comparison")
        .striped(true)
        .num_columns(8)
        .show(ui, |ui| {
            for h in [
                "Plan",
                "Annual tokens per year",
                "Contract tokens",
                "Expected cost",
                "P10 cost",
                "P90 cost",
                "Expected expired",
                "P(overage)",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for p in &d.plans {
                let label = if p.recommended {
                    RichText::new(format!("{} (recommended)", p.label)).strong()
                } else {
                    RichText::new(&p.label)
                };
                ui.label(label);
                ui.label(&p.annual);
                ui.label(&p.contract);
                ui.label(&p.expected_cost).on_hover_text(format!(
                    "Mean over {} trials of the present value of purchases, overage and refused demand",
                    fmt::count(u64::from(d.report.trials))
                ));
                ui.label(&p.p10_cost);
                ui.label(&p.p90_cost);
                ui.label(&p.expected_expired);
                ui.label(&p.overage_probability);
                ui.end_row();
            }
        });
}
