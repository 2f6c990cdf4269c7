//! The Scenario view's sub-tabs (Editor, Compare) and the Compare tab: two
//! scenarios planned over the same usage, side by side, each figure with A,
//! B, Δ (B − A) and Δ%, and the scenario fields that differ.

use egui::{RichText, Ui};

use crate::gui::command::{Command, Commands};
use crate::gui::model::compare::Comparison;
use crate::gui::prefs::ScenarioTab;

/// The button that pins the scenario being edited as side A.
pub const PIN: &str = "Pin as baseline for comparison";

/// The sub-tab buttons and the pin button, above either tab.
pub fn scenario_tabs_ui(ui: &mut Ui, tab: ScenarioTab, cmds: &mut Commands) {
    ui.horizontal(|ui| {
        for t in ScenarioTab::ALL {
            if ui.selectable_label(tab == t, t.label()).clicked() && tab != t {
                cmds.push(Command::ShowScenarioTab(t));
            }
        }
        ui.separator();
        if ui
            .button(PIN)
            .on_hover_text(
                "Keep a copy of the scenario as it is now as side A; \
                 the edits you make next are side B (unless you load a file as B)",
            )
            .clicked()
        {
            cmds.push(Command::PinBaseline);
        }
    });
    ui.separator();
}

/// What the Compare tab shows.
pub struct CompareView<'a> {
    /// Side A's label, when a side was chosen.
    pub a: Option<&'a str>,
    /// Side B's label.
    pub b: Option<&'a str>,
    /// True when A is a pinned copy (not the scenario being edited).
    pub a_pinned: bool,
    /// True when B is a loaded file (not the scenario being edited).
    pub b_is_file: bool,
    /// The last comparison made.
    pub comparison: Option<&'a Comparison>,
    /// True while it is being remade for changed inputs.
    pub stale: bool,
    /// True when a side is the edited scenario and that has errors: the
    /// comparison waits for them to be fixed.
    pub edited_invalid: bool,
    /// Why the last comparison failed.
    pub error: Option<&'a str>,
}

/// Draws the Compare tab.
pub fn compare_ui(ui: &mut Ui, view: &CompareView<'_>, cmds: &mut Commands) {
    ui.heading("Compare scenarios");
    ui.label(
        "Side A is the pinned baseline (or the scenario being edited); side B is a loaded \
         file (or the scenario being edited). Both are metered and planned over the same usage.",
    );
    ui.horizontal(|ui| {
        if ui.button("Load scenario B…").clicked() {
            cmds.push(Command::OpenCompareDialog);
        }
        // With A the edited scenario too, there would be nothing left to compare.
        if view.a_pinned && view.b_is_file && ui.button("Use the edited scenario as B").clicked() {
            cmds.push(Command::UseEditedAsB);
        }
        if (view.a.is_some() || view.b.is_some()) && ui.button("Clear comparison").clicked() {
            cmds.push(Command::ClearComparison);
        }
    });
    let (Some(a), Some(b)) = (view.a, view.b) else {
        ui.weak(format!(
            "Nothing to compare yet: use “{PIN}” or “Load scenario B…”."
        ));
        return;
    };
    ui.label(format!("A: {a}"));
    ui.label(format!("B: {b}"));
    if let Some(error) = view.error {
        ui.colored_label(ui.visuals().error_fg_color, error);
    }
    let Some(c) = view.comparison else {
        ui.weak("Planning both scenarios…");
        return;
    };
    if view.stale && view.edited_invalid {
        ui.colored_label(
            ui.visuals().warn_fg_color,
            "The edited scenario has errors (see the Editor tab): these figures are of its last valid version.",
        );
    } else if view.stale {
        ui.weak("(inputs changed; comparing again)");
    }
    if let Some(note) = &c.currency_note {
        ui.colored_label(ui.visuals().warn_fg_color, note);
    }
    egui::ScrollArea::vertical()
        .id_salt("compare")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            egui::Grid::new("compare_table")
                .striped(true)
                .num_columns(5)
                .show(ui, |ui| {
                    for h in ["Figure", "A", "B", "Δ (B − A)", "Δ%"] {
                        ui.label(RichText::new(h).strong());
                    }
                    ui.end_row();
                    for row in &c.rows {
                        ui.label(&row.what);
                        ui.label(&row.texts[0]).on_hover_text(&row.side_hovers[0]);
                        ui.label(&row.texts[1]).on_hover_text(&row.side_hovers[1]);
                        ui.label(&row.texts[2]).on_hover_text(&row.hover);
                        ui.label(&row.texts[3]).on_hover_text(&row.hover);
                        ui.end_row();
                    }
                });
            ui.add_space(8.0);
            ui.heading("Fields that differ, A then B");
            if c.diffs.is_empty() {
                ui.label("The two scenarios are the same.");
            }
            for d in &c.diffs {
                ui.label(RichText::new(d).monospace());
            }
        });
}
