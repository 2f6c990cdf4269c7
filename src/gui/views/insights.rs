//! The Insights view: monitoring over the history (SPEC §6), one sub-tab
//! per analysis — burn, budgets, day-boundary, idle what-if, shadow bill,
//! double-dip and the vendor audit — each with a chart and/or a table,
//! drawn from [`Insights`] built by the Audit job.

use egui::{RichText, Ui};
use egui_plot::{HLine, HoverPosition, Legend, Line, Plot, PlotPoints};

use crate::gui::charts::bars_ui;
use crate::gui::command::{Command, Commands};
use crate::gui::insights_data::{BarItem, Insights};
use crate::gui::prefs::InsightsTab;
use crate::gui::views::table::table_ui;
use crate::time::date_of_day;

/// Legend name of the burn chart's daily tokens.
pub const BURN_SERIES: &str = "Tokens per day";

fn date_label(x: f64) -> String {
    if !x.is_finite() || x.abs() > f64::from(i32::MAX / 2) {
        return String::new();
    }
    date_of_day(x.round() as i32).to_string()
}

/// Draws the Insights view on sub-tab `tab`.
pub fn insights_ui(
    ui: &mut Ui,
    data: Option<&Insights>,
    error: Option<&str>,
    running: bool,
    stale: bool,
    tab: InsightsTab,
    cmds: &mut Commands,
) {
    ui.heading("Insights");
    if let Some(e) = error {
        ui.label(
            RichText::new(format!("The audit failed: {e}")).color(ui.visuals().error_fg_color),
        );
    }
    if running {
        ui.weak("Auditing the history… (progress and Cancel in the status bar)");
    } else if stale && data.is_some() {
        ui.weak("The inputs changed; these figures are from before.");
    }
    ui.horizontal_wrapped(|ui| {
        for t in InsightsTab::ALL {
            if ui.selectable_label(tab == t, t.label()).clicked() && tab != t {
                cmds.push(Command::ShowInsights(t));
            }
        }
    });
    ui.separator();
    let Some(d) = data else {
        if !running && error.is_none() {
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
    let hover = &b.hover;
    Plot::new("burn_chart")
        .height(300.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| date_label(mark.value))
        .y_axis_label("tokens per day")
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { index, .. } => hover.get(*index).cloned(),
            HoverPosition::Elsewhere { position } => Some(date_label(position.x)),
        })
        .show(ui, |plot_ui| {
            plot_ui.line(Line::new(BURN_SERIES, PlotPoints::Borrowed(&b.tokens)));
            plot_ui.line(Line::new("7-day mean", PlotPoints::Borrowed(&b.avg_7d)));
            plot_ui.line(Line::new("30-day mean", PlotPoints::Borrowed(&b.avg_30d)));
            if let Some(a) = b.alert {
                plot_ui.hline(HLine::new("Alert threshold", a));
            }
        });
}
