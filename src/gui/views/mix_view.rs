//! The Mix view: the recommended mix of subscriptions and tokens — KPI
//! cards (each with its change against the baseline under it, and a card
//! that cannot be computed saying why), the users whose plan the edits
//! changed, the baselines' annual cost against it, one subscription's cost
//! curve with the optimum, and seats per subscription, each opening its
//! product's crossover.

use egui::{RichText, Ui};
use rust_decimal::Decimal;

use crate::gui::charts;
use crate::gui::command::{Command, Commands};
use crate::gui::fmt;
use crate::gui::model::compare::MixDelta;
use crate::gui::model::plan::{Kpi, KpiKind, PlanData};
use crate::gui::model::plan_table::PlanUi;
use crate::gui::views::banner_ui;
use crate::gui::views::fields::code_menu_ui;
use crate::gui::views::freshness::{Freshness, REPLANNING, freshness_ui};
use crate::gui::views::table::{Cell, Look, grid_ui};

/// The heading of the list of users whose plan changed.
pub const CHANGED: &str = "Users whose plan changed";

/// The change the edits make against the baseline, when there is one.
pub struct Delta<'a> {
    /// B (the scenario being edited) − A (the baseline).
    pub delta: &'a MixDelta,
    /// True when it is of the current inputs (else it is being remade).
    pub current: bool,
}

/// Draws the Mix view of `plan`; `fresh` says whether the inputs changed
/// since it was made; `delta` is the change against the baseline.
pub fn mix_ui(
    ui: &mut Ui,
    plan: Option<&PlanData>,
    fresh: &Freshness<'_>,
    state: &mut PlanUi,
    delta: Option<&Delta<'_>>,
    cmds: &mut Commands,
) {
    ui.heading("Recommended mix");
    let Some(plan) = plan else {
        ui.label("No plan yet: it is made as soon as the charges are metered.");
        return;
    };
    freshness_ui(ui, fresh, true, &REPLANNING);
    if let Some(w) = &plan.short_window {
        banner_ui(ui, w);
    }
    ui.label(&plan.window);
    ui.horizontal_wrapped(|ui| {
        for kpi in &plan.kpis {
            kpi_ui(ui, kpi, &plan.currency, delta);
        }
    });
    if let Some(d) = delta {
        changed_ui(ui, d);
    }
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
    seats_ui(ui, plan, cmds);
    for w in &plan.warnings {
        ui.label(RichText::new(w).color(ui.visuals().warn_fg_color));
    }
}

/// `v` with a sign, `+` when positive.
fn signed(text: String, v: Decimal) -> String {
    if v > Decimal::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

/// The change of card `kind` against the baseline, in words.
fn delta_text(kind: KpiKind, d: &MixDelta, currency: &str) -> Option<String> {
    let money = |v: Decimal| signed(fmt::money(v, currency), v);
    Some(match kind {
        KpiKind::AnnualCost => money(d.annual_cost),
        KpiKind::SavingVsCurrent => money(d.saving_vs_current?),
        KpiKind::SavingVsAllTokens => money(d.saving_vs_all_tokens),
        KpiKind::Seats => {
            let n = Decimal::from(d.seats);
            signed(fmt::decimal(n), n)
        }
        KpiKind::Tokens => signed(fmt::tokens(d.tokens), d.tokens),
    })
}

/// One card: title, figure (or why there is none), the change against
/// the baseline, and what it is made of on hover.
fn kpi_ui(ui: &mut Ui, kpi: &Kpi, currency: &str, delta: Option<&Delta<'_>>) {
    let card = egui::Frame::group(ui.style()).show(ui, |ui| {
        ui.vertical(|ui| {
            ui.weak(kpi.title);
            match kpi.missing {
                Some(why) => {
                    ui.label(RichText::new(&kpi.value).size(20.0))
                        .on_hover_text(&kpi.hover);
                    ui.label(RichText::new(why).color(ui.visuals().warn_fg_color));
                }
                None => {
                    ui.label(RichText::new(&kpi.value).size(20.0).strong())
                        .on_hover_text(&kpi.hover);
                }
            }
            if let Some(d) = delta {
                let text = match delta_text(kpi.kind, d.delta, currency) {
                    Some(t) if d.current => format!("Δ {t} vs baseline"),
                    Some(_) => "Δ being recomputed…".to_owned(),
                    None => "Δ not available".to_owned(),
                };
                ui.weak(text).on_hover_text(format!(
                    "The change against the baseline: {}",
                    d.delta.baseline
                ));
            }
        });
    });
    card.response
        .interact(egui::Sense::hover())
        .on_hover_text(&kpi.hover);
}

/// The users whose recommended plan the edits changed.
fn changed_ui(ui: &mut Ui, d: &Delta<'_>) {
    let list = &d.delta.changed;
    let title = format!("{CHANGED} ({})", fmt::count(list.len() as u64));
    egui::CollapsingHeader::new(title)
        .id_salt("mix_changed")
        .default_open(!list.is_empty() && list.len() <= 12)
        .show(ui, |ui| {
            if list.is_empty() {
                ui.weak(format!(
                    "Every user keeps the plan the baseline ({}) recommends.",
                    d.delta.baseline
                ));
                return;
            }
            let look = Look {
                max_rows: 10,
                ..Look::new(
                    "mix_changed",
                    &["User", "Baseline plan", "Plan now"],
                    &[
                        "Whose recommended plan changed",
                        "The plan the baseline recommends (tokens: none)",
                        "The plan the edited scenario recommends",
                    ],
                )
            };
            grid_ui(
                ui,
                &look,
                list.len(),
                |i| i,
                |r, c| {
                    let Some(p) = list.get(r) else {
                        return Cell::text("");
                    };
                    Cell::text(match c {
                        0 => p.user.as_str(),
                        1 => p.before.as_str(),
                        _ => p.after.as_str(),
                    })
                },
            );
        });
}

/// Seats per subscription; each row's button opens the crossover of the
/// product that explains it.
fn seats_ui(ui: &mut Ui, plan: &PlanData, cmds: &mut Commands) {
    let look = Look::new(
        "mix_seats",
        &[
            "Subscription",
            "Name",
            "Covers",
            "Price per seat",
            "Seats",
            "Seats cost",
            "Why",
        ],
        &[
            "The subscription's code",
            "Its name",
            "The products it covers",
            "Its annual price per seat",
            "Seats the recommendation buys",
            "Seats × price per seat, a year",
            "Open the crossover of its main product: who uses it how often against the days above which a seat pays off",
        ],
    );
    let buttons: Vec<String> = plan
        .seats
        .iter()
        .map(|s| {
            s.product
                .as_ref()
                .map_or_else(String::new, |p| format!("Crossover of {p}"))
        })
        .collect();
    let clicked = grid_ui(
        ui,
        &look,
        plan.seats.len(),
        |i| i,
        |r, c| {
            let Some(s) = plan.seats.get(r) else {
                return Cell::text("");
            };
            match c {
                0 => Cell::text(s.code.as_str()),
                1 => Cell::text(s.name.as_str()),
                2 => Cell::text(s.covers.as_str()),
                3 => Cell::text(s.price.as_str()),
                4 => Cell::text(s.seats.as_str()),
                5 => Cell::text(s.cost.as_str()),
                _ => match buttons.get(r).filter(|b| !b.is_empty()) {
                    Some(b) => Cell::button(b.as_str()),
                    None => Cell::text("no forecast use"),
                },
            }
        },
    );
    if let Some(product) = clicked
        .button
        .and_then(|r| plan.seats.get(r))
        .and_then(|s| s.product.clone())
    {
        cmds.push(Command::ShowCrossover(product));
    }
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
