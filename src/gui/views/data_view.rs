//! The Data view: the column-mapping form of each file of no known kind
//! ([`data_mapping`](super::data_mapping)), each loaded source with what
//! its import did (lines read, used, skipped by reason, counts) and a
//! Remove button, the files read through a remembered mapping, "Add
//! files…" to import more on top, every problem `file:line: message` in a
//! filterable table, and the features no product maps, each with a product
//! picker and a Map button that adds it to that product's patterns.

use std::collections::BTreeMap;

use egui::{RichText, Ui};

use crate::gui::command::{Command, Commands};
use crate::gui::fmt;
use crate::gui::model::charges::Charges;
use crate::gui::model::data::DataSummary;
use crate::gui::views::data_mapping::{self, MappingView};
use crate::gui::views::table::{Cell, Look, grid_ui};
use crate::gui::words;
use crate::gui::workspace::Workspace;
use crate::scenario::Product;

/// The button that adds data files to what is loaded.
pub const ADD_FILES: &str = "Add files…";

/// Row height of the problem table, points.
const ROW_HEIGHT_PT: f32 = 18.0;

/// Draws the Data view of the workspace `ws`.
pub fn data_ui(
    ui: &mut Ui,
    ws: &Workspace,
    summary: &DataSummary,
    charges: Option<&Charges>,
    products: Option<&BTreeMap<String, Product>>,
    mapping: &mut MappingView<'_>,
    cmds: &mut Commands,
) {
    data_mapping::mapping_forms_ui(ui, mapping.mappings, cmds);
    ui.heading("Loaded sources");
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "{} sessions, {} use-days, {} users, {} features from {} source(s).",
            fmt::count(summary.sessions),
            fmt::count(summary.use_days),
            fmt::count(summary.users),
            fmt::count(summary.features),
            ws.sources.len()
        ));
        if ui
            .button(ADD_FILES)
            .on_hover_text(
                "Import more files on top of what is loaded (a log of another server or period, a directory, assignments)",
            )
            .clicked()
        {
            cmds.push(Command::AddFilesDialog);
        }
    });
    sources_ui(ui, ws, cmds);
    data_mapping::mapped_ui(ui, ws, mapping, cmds);

    ui.add_space(8.0);
    unmapped_ui(ui, charges, products, cmds);

    ui.add_space(8.0);
    problems_ui(ui, summary, cmds);
}

/// One row per file read, a Remove button on the first row of each
/// source (the sample's three files go together).
fn sources_ui(ui: &mut Ui, ws: &Workspace, cmds: &mut Commands) {
    if ws.reports.is_empty() {
        ui.weak("No data loaded: open files (File › Open files…) or load the sample.");
        return;
    }
    let look = Look::new(
        "sources",
        &[
            "File",
            "Kind",
            "Lines read",
            "Used",
            "Skipped",
            "Counts",
            "",
        ],
        &[
            "The file read (the sample's files are built in)",
            "What the file holds, detected from its content",
            "Lines read from the file",
            "Lines that became data",
            "Lines left out, each with its reason (hover the figure)",
            "What the file brought",
            "Remove a source: the others are read again without it",
        ],
    );
    let first_of_source: Vec<bool> = ws
        .report_sources
        .iter()
        .enumerate()
        .map(|(i, s)| i == 0 || ws.report_sources.get(i - 1) != Some(s))
        .collect();
    let remove_texts: Vec<String> = ws
        .report_sources
        .iter()
        .map(|&s| match ws.sources.get(s) {
            Some(crate::gui::workspace::Source::Sample) => "Remove the sample".to_owned(),
            _ => "Remove".to_owned(),
        })
        .collect();
    let clicked = grid_ui(
        ui,
        &look,
        ws.reports.len(),
        |i| i,
        |r, c| {
            let Some(rep) = ws.reports.get(r) else {
                return Cell::text("");
            };
            match c {
                0 => {
                    let cell = Cell::text(rep.file.as_str());
                    if rep.fatal {
                        cell.hover("could not be read at all")
                    } else {
                        cell
                    }
                }
                1 => Cell::text(words::report_kind(rep)),
                2 => Cell::text(fmt::count(rep.lines_read)),
                3 => Cell::text(fmt::count(rep.lines_used)),
                4 => {
                    let cell = Cell::text(fmt::count(rep.lines_skipped()));
                    if rep.skipped.is_empty() {
                        cell
                    } else {
                        let why: Vec<String> = rep
                            .skipped
                            .iter()
                            .map(|(reason, n)| format!("{}: {reason}", fmt::count(*n)))
                            .collect();
                        cell.hover(format!("Skipped lines by reason:\n{}", why.join("\n")))
                    }
                }
                5 => {
                    let counts: Vec<String> = rep
                        .counts
                        .iter()
                        .map(|(what, n)| format!("{what} {}", fmt::count(*n)))
                        .collect();
                    let mut cell = Cell::text(counts.join(", "));
                    cell.right = false;
                    cell
                }
                _ if first_of_source.get(r).copied().unwrap_or(false) => {
                    Cell::button(remove_texts.get(r).map_or("Remove", String::as_str))
                }
                _ => Cell::text(""),
            }
        },
    );
    if let Some(source) = clicked.button.and_then(|r| ws.report_sources.get(r)) {
        cmds.push(Command::RemoveSource(*source));
    }
    for r in ws.reports.iter().filter(|r| !r.skipped.is_empty()) {
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
