//! The Data view: each loaded source with what its import did (lines read,
//! used, skipped by reason, counts), every problem `file:line: message` in a
//! filterable table, and the features no product maps, each with a product
//! picker and a Map button that adds it to that product's patterns.

use std::collections::BTreeMap;

use egui::{RichText, Ui};

use crate::gui::command::{Command, Commands};
use crate::gui::fmt;
use crate::gui::model::charges::Charges;
use crate::gui::model::data::DataSummary;
use crate::gui::workspace::Origin;
use crate::ingest::Report;
use crate::scenario::Product;

/// Row height of the problem table, points.
const ROW_HEIGHT_PT: f32 = 18.0;

/// Draws the Data view.
pub fn data_ui(
    ui: &mut Ui,
    reports: &[Report],
    origin: &Origin,
    summary: &DataSummary,
    charges: Option<&Charges>,
    products: Option<&BTreeMap<String, Product>>,
    cmds: &mut Commands,
) {
    ui.heading("Loaded sources");
    let from = match origin {
        Origin::Sample => "the bundled sample data".to_owned(),
        Origin::Files(files) => format!("{} file(s)", files.len()),
    };
    ui.label(format!(
        "{} sessions, {} users, {} features from {from}.",
        fmt::count(summary.sessions),
        fmt::count(summary.users),
        fmt::count(summary.features)
    ));
    sources_ui(ui, reports);

    ui.add_space(8.0);
    unmapped_ui(ui, charges, products, cmds);

    ui.add_space(8.0);
    problems_ui(ui, summary, cmds);
}

fn sources_ui(ui: &mut Ui, reports: &[Report]) {
    egui::Grid::new("sources")
        .striped(true)
        .num_columns(6)
        .show(ui, |ui| {
            for h in ["File", "Kind", "Lines read", "Used", "Skipped", "Counts"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for r in reports {
                let file = ui.label(&r.file);
                if r.fatal {
                    file.on_hover_text("could not be read at all");
                }
                ui.label(r.kind.map_or("?", |k| k.as_str()));
                ui.label(fmt::count(r.lines_read));
                ui.label(fmt::count(r.lines_used));
                let skipped = ui.label(fmt::count(r.lines_skipped()));
                if !r.skipped.is_empty() {
                    let why: Vec<String> = r
                        .skipped
                        .iter()
                        .map(|(reason, n)| format!("{}: {reason}", fmt::count(*n)))
                        .collect();
                    skipped.on_hover_text(format!("Skipped lines by reason:\n{}", why.join("\n")));
                }
                let counts: Vec<String> = r
                    .counts
                    .iter()
                    .map(|(what, n)| format!("{what} {}", fmt::count(*n)))
                    .collect();
                ui.label(counts.join(", "));
                ui.end_row();
            }
        });
    for r in reports.iter().filter(|r| !r.skipped.is_empty()) {
        ui.collapsing(format!("Skipped lines of {}", r.file), |ui| {
            for (reason, n) in &r.skipped {
                ui.label(format!("{}  {reason}", fmt::count(*n)));
            }
        });
    }
}

fn unmapped_ui(
    ui: &mut Ui,
    charges: Option<&Charges>,
    products: Option<&BTreeMap<String, Product>>,
    cmds: &mut Commands,
) {
    ui.heading("Unmapped features");
    let Some(charges) = charges else {
        ui.weak("Known once metering has run.");
        return;
    };
    ambiguities_ui(ui, charges);
    if charges.unmapped.is_empty() {
        ui.label("Every feature maps to a product of the scenario.");
        return;
    }
    ui.label(
        "These features match no product pattern and are not charged; map each to a product \
         (its exact name becomes one of the product's patterns) or edit the patterns in the Scenario view.",
    );
    let products = products.filter(|p| !p.is_empty());
    egui::Grid::new("unmapped").striped(true).show(ui, |ui| {
        ui.label(RichText::new("Feature").strong());
        ui.label(RichText::new("Sessions").strong());
        if products.is_some() {
            ui.label(RichText::new("Map to product").strong());
        }
        ui.end_row();
        for (feature, sessions) in &charges.unmapped {
            ui.label(feature);
            ui.label(fmt::count(*sessions));
            if let Some(products) = products {
                map_feature_ui(ui, feature, products, cmds);
            }
            ui.end_row();
        }
    });
}

/// The product picker and Map button of one unmapped feature. The pick is
/// view state only, kept in egui's memory until the feature is mapped.
fn map_feature_ui(
    ui: &mut Ui,
    feature: &str,
    products: &BTreeMap<String, Product>,
    cmds: &mut Commands,
) {
    let id = egui::Id::unique(("tokenplan-map-feature", feature));
    let stored: Option<String> = ui.data(|d| d.get_temp(id));
    let mut pick = stored
        .filter(|code| products.contains_key(code))
        .or_else(|| products.keys().next().cloned())
        .unwrap_or_default();
    let shown = |code: &str| {
        products
            .get(code)
            .map_or_else(|| code.to_owned(), |p| format!("{code} — {}", p.name))
    };
    ui.horizontal(|ui| {
        let label = ui.label(format!("Map {feature} to"));
        let picker = egui::ComboBox::from_id_salt(id)
            .selected_text(shown(&pick))
            .show_ui(ui, |ui| {
                for code in products.keys() {
                    ui.selectable_value(&mut pick, code.clone(), shown(code));
                }
            });
        picker.response.labelled_by(label.id);
        if ui
            .button("Map")
            .on_hover_text(format!(
                "Add the pattern \"{feature}\" to {pick}'s features; charges and the plan are recomputed"
            ))
            .clicked()
        {
            cmds.push(Command::MapFeature {
                feature: feature.to_owned(),
                product: pick.clone(),
            });
        }
    });
    ui.data_mut(|d| d.insert_temp(id, pick));
}

fn ambiguities_ui(ui: &mut Ui, charges: &Charges) {
    if charges.ambiguities.is_empty() {
        return;
    }
    ui.label("These features match several products; each is charged as one of them only:");
    egui::Grid::new("ambiguities").striped(true).show(ui, |ui| {
        for h in ["Feature", "Charged as", "Matches", "How chosen"] {
            ui.label(RichText::new(h).strong());
        }
        ui.end_row();
        for (feature, chosen, candidates, tied) in &charges.ambiguities {
            ui.label(feature);
            ui.label(chosen);
            ui.label(candidates);
            ui.label(if *tied {
                "tie: first code (make a pattern more specific)"
            } else {
                "most specific pattern"
            });
            ui.end_row();
        }
    });
}

fn problems_ui(ui: &mut Ui, summary: &DataSummary, cmds: &mut Commands) {
    ui.heading(format!(
        "Problems ({})",
        fmt::count(summary.problems.len() as u64)
    ));
    if summary.problems_not_kept > 0 {
        ui.label(format!(
            "{} more problems were counted but not kept in full.",
            fmt::count(summary.problems_not_kept)
        ));
    }
    let mut filter = summary.filter.clone();
    ui.horizontal(|ui| {
        let label = ui.label("Filter problems");
        let edit =
            ui.add(egui::TextEdit::singleline(&mut filter).hint_text("file, line or message"));
        if edit.labelled_by(label.id).changed() {
            cmds.push(Command::FilterProblems(filter));
        }
        ui.label(format!(
            "{} shown",
            fmt::count(summary.filtered.len() as u64)
        ));
    });
    egui::ScrollArea::vertical()
        .id_salt("problems")
        .max_height(ui.available_height().max(120.0))
        .auto_shrink([false, true])
        .show_rows(ui, ROW_HEIGHT_PT, summary.filtered.len(), |ui, rows| {
            for &i in summary.filtered.get(rows).unwrap_or_default() {
                if let Some(p) = summary.problems.get(i) {
                    ui.label(RichText::new(p).monospace());
                }
            }
        });
}
