//! The Mix view: the recommended mix of subscriptions and tokens — KPI
//! cards, the baselines' annual cost against it, one subscription's cost
//! curve with the optimum, and seats per subscription.

use egui::{RichText, Ui};

use crate::gui::charts;
use crate::gui::model::plan::{Kpi, PlanData};
use crate::gui::model::plan_table::PlanUi;
use crate::gui::views::fields::code_menu_ui;
use crate::gui::views::freshness::{Freshness, REPLANNING, freshness_ui};

/// Draws the Mix view of `plan`; `fresh` says whether the inputs changed
/// since it was made.
pub fn mix_ui(ui: &mut Ui, plan: Option<&PlanData>, fresh: &Freshness<'_>, state: &mut PlanUi) {
    ui.heading("Recommended mix");
    let Some(plan) = plan else {
        ui.label("No plan yet: it is made as soon as the charges are metered.");
        return;
    };
    freshness_ui(ui, fresh, true, &REPLANNING);
    ui.label(&plan.window);
    ui.horizontal_wrapped(|ui| {
        for kpi in &plan.kpis {
            kpi_ui(ui, kpi);
        }
    });
    ui.add_space(6.0);
    ui.columns(2, |cols| {
        let [left, right] = cols else {
            return;
        };
        left.strong("Annual cost: baselines and the recommendation");
        charts::plan::costs_ui(left, &plan.costs, &plan.currency, 260.0);
        curve_ui(right, plan, state);
    });
    ui.add_space(6.0);
    ui.heading("Seats per subscription");
    egui::Grid::new("mix_seats")
        .striped(true)
        .num_columns(6)
        .show(ui, |ui| {
            for h in [
                "Subscription",
                "Name",
                "Covers",
                "Price per seat",
                "Seats",
                "Seats cost",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for s in &plan.seats {
                ui.label(&s.code);
                ui.label(&s.name);
                ui.label(&s.covers);
                ui.label(&s.price);
                ui.label(&s.seats);
                ui.label(&s.cost);
                ui.end_row();
            }
        });
    for w in &plan.warnings {
        ui.label(RichText::new(w).color(ui.visuals().warn_fg_color));
    }
}

/// One card: title, figure, and what it is made of on hover.
fn kpi_ui(ui: &mut Ui, kpi: &Kpi) {
    let card = egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.vertical(|ui| {
            ui.weak(kpi.title);
            ui.label(RichText::new(&kpi.value).size(20.0).strong())
                .on_hover_text(&kpi.hover);
        });
    });
    card.response
        .interact(egui::Sense::hover())
        .on_hover_text(&kpi.hover);
}

fn curve_ui(ui: &mut Ui, plan: &PlanData, state: &mut PlanUi) {
    let Some(curve) = plan
        .curves
        .iter()
        .find(|c| c.code == state.subscription)
        .or_else(|| plan.curves.first())
    else {
        ui.label("No subscription in the scenario: no cost curve.");
        return;
    };
    let items: Vec<(&str, &str)> = plan
        .curves
        .iter()
        .map(|c| (c.code.as_str(), c.name.as_str()))
        .collect();
    code_menu_ui(
        ui,
        RichText::new("Cost curve of").strong(),
        "mix.curve",
        (&curve.code, &curve.name),
        &items,
        &mut state.subscription,
    );
    ui.label(&curve.summary);
    charts::plan::cost_curve_ui(ui, curve, 220.0);
}
