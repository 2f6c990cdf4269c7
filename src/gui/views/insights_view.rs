//! The Insights view: monitoring over the history (SPEC §6), one sub-tab
//! per analysis — burn, budgets, day-boundary, idle what-if, shadow bill,
//! double-dip and the vendor audit — each with a chart and/or a table,
//! drawn from [`Insights`] built by the Audit job.

use egui::{RichText, Ui};

use crate::gui::charts::{self, bars_ui};
use crate::gui::command::{Command, Commands};
use crate::gui::model::BarItem;
use crate::gui::model::insights::Insights;
use crate::gui::prefs::InsightsTab;
use crate::gui::views::freshness::{FROM_BEFORE, Freshness, Words, freshness_ui};
use crate::gui::views::table::table_ui;

const WORDS: Words = Words {
    failed: "The audit failed",
    running: "Auditing the history… (progress and Cancel in the status bar)",
    stale: FROM_BEFORE,
};

/// Draws the Insights view on sub-tab `tab`; `fresh` says whether an
/// Audit job failed, runs, or the inputs changed since `data` was computed.
pub fn insights_ui(
    ui: &mut Ui,
    data: Option<&Insights>,
    fresh: &Freshness<'_>,
    tab: InsightsTab,
    cmds: &mut Commands,
) {
    ui.heading("Insights");
    freshness_ui(ui, fresh, data.is_some(), &WORDS);
    ui.horizontal_wrapped(|ui| {
        for t in InsightsTab::ALL {
            if ui.selectable_label(tab == t, t.label()).clicked() && tab != t {
                cmds.push(Command::ShowInsights(t));
            }
        }
    });
    ui.separator();
    let Some(d) = data else {
        if !fresh.running && fresh.error.is_none() {
            ui.label("The audit runs once the data is metered under a valid scenario.");
        }
        return;
    };
    ui.weak(&d.basis);
    match tab {
        InsightsTab::Burn => burn_ui(ui, d),
        InsightsTab::Budgets => {
            ui.heading("Budgets per department");
            let consumed: Vec<BarItem> = d.budget_bars.iter().map(|(c, _)| c.clone()).collect();
            let alloc: Vec<BarItem> = d
                .budget_bars
                .iter()
                .map(|(c, a)| {
                    a.clone().unwrap_or_else(|| BarItem {
                        label: c.label.clone(),
                        value: 0.0,
                        hover: format!("{}: no allocation", c.label),
                    })
                })
                .collect();
            bars_ui(
                ui,
                "budget_bars",
                &[("Consumed", &consumed), ("Allocation", &alloc)],
                "tokens this budget year",
            );
            table_ui(
                ui,
                "budgets",
                &d.budgets,
                "No budgets: the scenario allocates none and no department was charged.",
            );
        }
        InsightsTab::DayBoundary => {
            ui.heading("Charges caused only by crossing midnight");
            ui.label(&d.boundary_summary);
            table_ui(ui, "boundary", &d.boundary, "No such charge.");
            ui.columns(2, |cols| {
                cols[0].strong("Per user");
                table_ui(&mut cols[0], "boundary_users", &d.boundary_users, "None.");
                cols[1].strong("Per office");
                table_ui(
                    &mut cols[1],
                    "boundary_offices",
                    &d.boundary_offices,
                    "None.",
                );
            });
            ui.strong("What if the server kept another time zone");
            table_ui(
                ui,
                "boundary_zones",
                &d.boundary_zones,
                "No other zone tried (the server is on UTC).",
            );
        }
        InsightsTab::Idle => {
            ui.heading("Idle what-if: tokens saved by harvest policies");
            bars_ui(
                ui,
                "idle_bars",
                &[("Tokens saved", &d.idle_bars)],
                "tokens saved",
            );
            table_ui(ui, "idle", &d.idle, "No policy replayed.");
            ui.strong("Per user");
            table_ui(ui, "idle_users", &d.idle_users, "No user's tokens change.");
        }
        InsightsTab::Shadow => {
            ui.heading("Shadow bill: the same history under every rule");
            bars_ui(ui, "shadow_bars", &[("Tokens", &d.shadow_bars)], "tokens");
            table_ui(ui, "shadow", &d.shadow, "No rule could be applied.");
        }
        InsightsTab::DoubleDip => {
            ui.heading("Double-dip: tokens paid on top of a covering subscription");
            ui.label(&d.dip_summary);
            table_ui(ui, "dips", &d.dips, "No double-dip charge.");
        }
        InsightsTab::Vendor => {
            ui.heading("Vendor audit: Token Flex export against the replay");
            match &d.vendor_summary {
                None => {
                    ui.label("No Token Flex export is loaded: open one (File, Open files…) to compare the vendor's charges with the replay.");
                }
                Some(s) => {
                    ui.label(s);
                    table_ui(ui, "vendor", &d.vendor, "Every charge agrees.");
                }
            }
        }
    }
}

fn burn_ui(ui: &mut Ui, d: &Insights) {
    ui.heading("Burn");
    let b = &d.burn;
    egui::Grid::new("burn_kpis").num_columns(2).show(ui, |ui| {
        for (k, v) in &b.kpis {
            ui.label(*k);
            ui.label(RichText::new(v).strong());
            ui.end_row();
        }
    });
    charts::burn::burn_chart_ui(ui, b);
}
