//! The Negotiate view (SPEC §9): the negotiation pack on screen — the
//! options over the term, the tornado of what moves the term plan's NPV,
//! the break-even prices with the walk-away token price — and its export
//! as a workbook.

use egui::{RichText, Ui};

use super::crossover_view::pseudonymise_ui;
use super::freshness::{Freshness, Words, freshness_ui};
use crate::gui::charts::negotiate as charts;
use crate::gui::command::{Command, Commands};
use crate::gui::fmt;
use crate::gui::model::negotiate::NegotiateData;
use crate::gui::model::plan_table::PlanUi;

/// The swing input's label.
pub const SWING: &str = "Swing X (± %)";
/// The export button (and File menu item).
pub const EXPORT: &str = "Export negotiation pack…";
/// The options chart's switch to NPV.
pub const SHOW_NPV: &str = "NPV";
/// The options chart's switch to the term total.
pub const SHOW_TOTAL: &str = "Term total";
/// The break-even table's heading.
pub const BREAK_EVENS: &str = "Break-even prices";

/// The Negotiate view's words while the pack is (re)built.
const WORDS: Words = Words {
    failed: "The negotiation pack failed",
    running: "Building the negotiation pack (options, tornado, break-evens)…",
    stale: super::freshness::FROM_BEFORE,
};

/// The user's picks in the Negotiate view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NegotiateUi {
    /// X of the tornado, in whole percent.
    pub swing_pct: u32,
    /// The options chart shows NPVs (otherwise term totals).
    pub npv: bool,
    /// Goes up with every change of the swing (part of the pack's
    /// revision).
    pub rev: u64,
    /// The view was opened once: from then on the pack follows every
    /// change of the inputs.
    pub wanted: bool,
}

impl Default for NegotiateUi {
    fn default() -> Self {
        NegotiateUi {
            swing_pct: 10,
            npv: true,
            rev: 0,
            wanted: false,
        }
    }
}

/// Draws the view from `data` (the last pack built, maybe of older
/// inputs: `fresh` says).
pub fn negotiate_ui(
    ui: &mut Ui,
    data: Option<&NegotiateData>,
    fresh: &Freshness<'_>,
    state: &mut NegotiateUi,
    privacy: &mut PlanUi,
    cmds: &mut Commands,
) {
    ui.heading("Negotiate");
    freshness_ui(ui, fresh, data.is_some(), &WORDS);
    settings_ui(ui, state, privacy, data.is_some(), cmds);
    let Some(d) = data else {
        if !fresh.running && fresh.error.is_none() {
            ui.label("The negotiation pack is built once the data is metered and planned under a valid scenario.");
        }
        return;
    };
    ui.add_space(6.0);
    ui.add(egui::Label::new(RichText::new(&d.headline).strong().size(15.0)).wrap());
    ui.label(RichText::new(&d.walk_away).strong().size(15.0))
        .on_hover_text(&d.walk_away_hover);
    for w in &d.warnings {
        ui.add(egui::Label::new(RichText::new(w).color(ui.visuals().warn_fg_color)).wrap());
    }

    ui.add_space(8.0);
    ui.heading("Options over the term");
    ui.horizontal(|ui| {
        ui.radio_value(&mut state.npv, true, SHOW_NPV)
            .on_hover_text("Net present value of the term, at the scenario's discount rate");
        ui.radio_value(&mut state.npv, false, SHOW_TOTAL)
            .on_hover_text("Every year's cost added up, undiscounted");
    });
    ui.weak("Each option's figure, and beside it its difference from renewing as-is (negative: cheaper). Hover a bar for its years.");
    charts::options_ui(ui, &d.options, state.npv, &d.currency);

    ui.add_space(8.0);
    ui.heading(format!(
        "What moves the term plan's NPV (each input ± {})",
        fmt::percent(d.swing)
    ));
    ui.weak("Each input moved down and up with the plan re-optimised, largest swing on top; the thin bars are today's plan held fixed (seats and purchases) at the same points. Hover a row for its figures.");
    charts::tornado_ui(ui, &d.tornado, d.base_npv, &d.currency);

    ui.add_space(8.0);
    ui.heading(BREAK_EVENS);
    ui.weak("Searched from 0 to 10× today's price, to the cent. Hover a line for what it means.");
    break_even_ui(ui, d);
}

/// The swing, the export and its privacy switch.
fn settings_ui(
    ui: &mut Ui,
    state: &mut NegotiateUi,
    privacy: &mut PlanUi,
    has_pack: bool,
    cmds: &mut Commands,
) {
    ui.horizontal(|ui| {
        let label = ui.label(SWING);
        let r = ui
            .add(
                egui::DragValue::new(&mut state.swing_pct)
                    .range(1..=50)
                    .suffix(" %"),
            )
            .labelled_by(label.id)
            .on_hover_text("The tornado moves each input down and up by this share of its value today");
        if r.changed() {
            cmds.push(Command::SwingChanged);
        }
        ui.separator();
        if ui
            .add_enabled(has_pack, egui::Button::new(EXPORT))
            .on_hover_text("Write the whole pack as an Excel workbook: Summary, Options, Term, Sensitivity, Break-even, Reassignment, Crossover, Sizing, Assumptions, Sources")
            .clicked()
        {
            cmds.push(Command::ExportPack(None));
        }
    });
    ui.horizontal(|ui| pseudonymise_ui(ui, privacy, cmds));
}

/// Which columns of the break-even table are prices: right-aligned, so
/// that their digits line up.
const FIGURES: [bool; 4] = [false, true, true, false];

/// One grid cell, right-aligned in its column when it holds a figure.
fn cell(ui: &mut Ui, figure: bool, add: impl FnOnce(&mut Ui)) {
    if figure {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), add);
    } else {
        add(ui);
    }
}

/// The break-even table, each line's hover saying what it is. A grid, not
/// a scrolling table: its 2 + 2 per subscription + 1 lines are all shown,
/// the walk-away price last.
fn break_even_ui(ui: &mut Ui, d: &NegotiateData) {
    const HEADER: [(&str, &str); 4] = [
        ("Break-even", "Which price moves, and what changes there"),
        ("Today", "The price today"),
        (
            "Price",
            "The first price (from today's, outwards) at which the answer changes",
        ),
        (
            "Note",
            "approximate: the optimiser was not proven optimal there; none: nothing changes within the range",
        ),
    ];
    egui::Grid::new("negotiate_break_evens")
        .striped(true)
        .num_columns(HEADER.len())
        .spacing([16.0, 4.0])
        .show(ui, |ui| {
            for (c, (title, hover)) in HEADER.into_iter().enumerate() {
                cell(ui, FIGURES[c], |ui| {
                    ui.label(RichText::new(title).strong()).on_hover_text(hover);
                });
            }
            ui.end_row();
            for row in &d.break_evens {
                for (c, text) in [&row.what, &row.today, &row.price, &row.note]
                    .into_iter()
                    .enumerate()
                {
                    cell(ui, FIGURES[c], |ui| {
                        ui.label(text.as_str()).on_hover_text(&row.hover);
                    });
                }
                ui.end_row();
            }
        });
}
