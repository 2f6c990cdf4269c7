//! The Insights view: monitoring over the history (SPEC §6), one sub-tab
//! per analysis — burn, budgets, day-boundary, idle what-if, shadow bill,
//! double-dip and the vendor audit. Each tab opens with the sentence of
//! what it found (its period, whose clock, and why a result is zero), then
//! its chart and its sortable tables, drawn from [`Insights`] built by the
//! Audit job.

use egui::{RichText, Ui};

use crate::gui::charts::{self, bars_ui};
use crate::gui::command::{Command, Commands};
use crate::gui::model::insights::Insights;
use crate::gui::model::table::TableSorts;
use crate::gui::model::{BarItem, Table};
use crate::gui::prefs::InsightsTab;
use crate::gui::views::freshness::{FROM_BEFORE, Freshness, Words, freshness_ui};
use crate::gui::views::table::table_ui;

const WORDS: Words = Words {
    failed: "The audit failed",
    running: "Auditing the history… (progress and Cancel in the status bar)",
    stale: FROM_BEFORE,
};

/// Draws the Insights view on sub-tab `tab`; `fresh` says whether an
/// Audit job failed, runs, or the inputs changed since `data` was
/// computed; `sorts` is how the user sorted its tables.
pub fn insights_ui(
    ui: &mut Ui,
    data: Option<&Insights>,
    fresh: &Freshness<'_>,
    tab: InsightsTab,
    sorts: &TableSorts,
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
    let f = &d.findings;
    let finding = match tab {
        InsightsTab::Burn => &f.burn,
        InsightsTab::Budgets => &f.budgets,
        InsightsTab::DayBoundary => &f.boundary,
        InsightsTab::Idle => &f.idle,
        InsightsTab::Shadow => &f.shadow,
        InsightsTab::DoubleDip => &f.double_dip,
        InsightsTab::Vendor => &f.vendor,
    };
    ui.add(egui::Label::new(RichText::new(finding).strong().size(15.0)).wrap());
    ui.weak(&f.period);
    ui.weak(&d.basis);
    ui.add_space(4.0);
    let mut tables = Tables { sorts, cmds };
    match tab {
        InsightsTab::Burn => burn_ui(ui, d),
        InsightsTab::Budgets => budgets_ui(ui, d, &mut tables),
        InsightsTab::DayBoundary => boundary_ui(ui, d, &mut tables),
        InsightsTab::Idle => {
            ui.heading("Idle what-if: tokens saved by harvest policies");
            bars_ui(
                ui,
                "idle_bars",
                &[("Tokens saved", &d.idle_bars)],
                "tokens saved",
            );
            tables.ui(ui, "idle", &d.idle, "No policy replayed.");
            ui.strong("Per user");
            tables.ui(ui, "idle_users", &d.idle_users, "No user's tokens change.");
        }
        InsightsTab::Shadow => {
            ui.heading("Shadow bill: the same history under every rule");
            bars_ui(ui, "shadow_bars", &[("Tokens", &d.shadow_bars)], "tokens");
            tables.ui(ui, "shadow", &d.shadow, "No rule could be applied.");
        }
        InsightsTab::DoubleDip => {
            ui.heading("Double-dip: tokens paid on top of a covering subscription");
            ui.label(&d.dip_summary);
            tables.ui(ui, "dips", &d.dips, "No double-dip charge.");
        }
        InsightsTab::Vendor => {
            ui.heading("Vendor audit: Token Flex export against the replay");
            if d.vendor_summary.is_some() {
                tables.ui(ui, "vendor", &d.vendor, "Every charge agrees.");
            }
        }
    }
}

/// The sortable tables of the view: each click becomes a command.
struct Tables<'a> {
    sorts: &'a TableSorts,
    cmds: &'a mut Commands,
}

impl Tables<'_> {
    fn ui(&mut self, ui: &mut Ui, id: &'static str, table: &Table, empty: &str) {
        if let Some(column) = table_ui(ui, id, table, Some(self.sorts), empty) {
            self.cmds.push(Command::SortTable {
                table: id.to_owned(),
                column,
            });
        }
    }
}

fn budgets_ui(ui: &mut Ui, d: &Insights, tables: &mut Tables<'_>) {
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
    tables.ui(
        ui,
        "budgets",
        &d.budgets,
        "No budgets: the scenario allocates none and no department was charged.",
    );
}

fn boundary_ui(ui: &mut Ui, d: &Insights, tables: &mut Tables<'_>) {
    ui.heading("Charges caused only by crossing midnight");
    ui.label(&d.boundary_summary);
    tables.ui(ui, "boundary", &d.boundary, "No such charge.");
    ui.columns(2, |cols| {
        let [left, right] = cols else {
            return;
        };
        left.strong("Per user");
        tables.ui(left, "boundary_users", &d.boundary_users, "None.");
        right.strong("Per office");
        tables.ui(right, "boundary_offices", &d.boundary_offices, "None.");
    });
    ui.strong("What if the server kept another time zone");
    tables.ui(
        ui,
        "boundary_zones",
        &d.boundary_zones,
        "No other zone tried (the server is on UTC).",
    );
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
