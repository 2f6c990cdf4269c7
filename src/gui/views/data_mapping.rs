//! The Data view's column mapping (SPEC §1.5): for each file whose header
//! is of no known kind, a form — what the file holds, a column picker per
//! role (labelled with the role's name), a preview of its first rows, the
//! command-line equivalent, and Apply; and for each loaded file read
//! through a remembered mapping, a note saying so with a way to forget it.

use std::collections::BTreeMap;

use egui::{RichText, Ui};

use crate::gui::command::{Command, Commands};
use crate::gui::model::mapping::{self, MappingForm, Mappings};
use crate::gui::prefs::RememberedColumns;
use crate::gui::workspace::{Source, Workspace};
use crate::ingest::{ColumnMap, MapTarget, Role};

/// The picker of what a file holds.
pub const HOLDS: &str = "The file holds";
/// The button that reads the file with the columns picked.
pub const APPLY: &str = "Apply";
/// The choice of a role the file has no column for.
pub const NOT_IN_FILE: &str = "(not in the file)";
/// The button that closes a form without reading the file.
pub const SKIP: &str = "Leave the file out";

/// What the Data view shows of the column mappings.
pub struct MappingView<'a> {
    /// The forms open and the files mapped.
    pub mappings: &'a mut Mappings,
    /// The mappings remembered, by header signature.
    pub remembered: &'a BTreeMap<String, RememberedColumns>,
}

/// The forms of the files to map, when there are any.
pub fn mapping_forms_ui(ui: &mut Ui, mappings: &mut Mappings, cmds: &mut Commands) {
    for form in &mut mappings.forms {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            form_ui(ui, form, cmds);
        });
        ui.add_space(8.0);
    }
}

fn form_ui(ui: &mut Ui, form: &mut MappingForm, cmds: &mut Commands) {
    let name = form.file_name();
    ui.heading(format!("Which column is which in {name}?"));
    ui.label(
        "Its header names the columns of no known kind, so it was not read. Say what it holds and \
         pick the column of each role: the file is then read with them, and files with the same \
         header are read the same way from now on.",
    );
    let id = egui::Id::unique(("tokenplan-mapping", &form.path));
    egui::Grid::new(id.with("roles"))
        .num_columns(3)
        .show(ui, |ui| {
            target_ui(ui, id, form);
            ui.end_row();
            let optional = form.target.optional();
            for role in form.target.roles().collect::<Vec<_>>() {
                role_ui(ui, id, form, role);
                if optional.contains(&role) {
                    ui.weak("optional");
                }
                ui.end_row();
            }
        });
    ui.add_space(4.0);
    preview_ui(ui, id, form);
    ui.add_space(4.0);
    let lacks = form.lacks();
    ui.horizontal(|ui| {
        let apply = ui
            .add_enabled(lacks.is_none(), egui::Button::new(APPLY))
            .on_hover_text(
                "Read the file with these columns and remember them for files with this header",
            )
            .on_disabled_hover_text(lacks.as_deref().unwrap_or_default());
        if apply.clicked() {
            cmds.push(Command::ApplyColumns(form.path.clone()));
        }
        if ui
            .button(SKIP)
            .on_hover_text("Close this form; the file is not read")
            .clicked()
        {
            cmds.push(Command::SkipMapping(form.path.clone()));
        }
    });
    match &lacks {
        Some(why) => {
            ui.weak(why);
        }
        None => {
            ui.weak(format!(
                "On the command line: --kind {} --columns {}",
                form.target.kind(),
                form.chosen().to_arg()
            ));
        }
    }
}

/// The picker of what the file holds.
fn target_ui(ui: &mut Ui, id: egui::Id, form: &mut MappingForm) {
    let label = ui.label(HOLDS);
    egui::ComboBox::from_id_salt(id.with("target"))
        .selected_text(form.target.label())
        .width(280.0)
        .show_ui(ui, |ui| {
            for t in MapTarget::ALL {
                ui.selectable_value(&mut form.target, t, t.label());
            }
        })
        .response
        .labelled_by(label.id);
    ui.label("");
}

/// The column picker of `role`: one of the header's columns, or none.
fn role_ui(ui: &mut Ui, id: egui::Id, form: &mut MappingForm, role: Role) {
    let label = ui.label(role.label());
    let mut pick = form.pick(role).map(str::to_owned);
    let shown = pick.clone().unwrap_or_else(|| NOT_IN_FILE.to_owned());
    let before = pick.clone();
    egui::ComboBox::from_id_salt(id.with(role))
        .selected_text(shown)
        .width(280.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut pick, None, NOT_IN_FILE);
            for column in &form.preview.header {
                ui.selectable_value(&mut pick, Some(column.clone()), column);
            }
        })
        .response
        .labelled_by(label.id);
    if pick != before {
        form.set_pick(role, pick);
    }
}

/// The header and first rows of the file, each column headed by the role
/// picked for it.
fn preview_ui(ui: &mut Ui, id: egui::Id, form: &MappingForm) {
    let p = &form.preview;
    let where_ = p
        .sheet
        .as_ref()
        .map_or_else(String::new, |s| format!(" (sheet {s})"));
    ui.label(format!(
        "The first {} rows{where_}, as the file has them:",
        p.rows.len()
    ));
    let chosen = form.chosen();
    let role_of = |column: &str| {
        chosen
            .iter()
            .find(|(_, c)| *c == column)
            .map(|(r, _)| r.label())
    };
    egui::ScrollArea::horizontal()
        .id_salt(id.with("preview"))
        .show(ui, |ui| {
            egui::Grid::new(id.with("rows"))
                .striped(true)
                .show(ui, |ui| {
                    for column in &p.header {
                        ui.label(RichText::new(column).strong()).on_hover_text(
                            role_of(column)
                                .map_or_else(|| "Not used".to_owned(), |r| format!("Read as {r}")),
                        );
                    }
                    ui.end_row();
                    for column in &p.header {
                        ui.weak(role_of(column).map_or("—", |r| r));
                    }
                    ui.end_row();
                    for row in &p.rows {
                        for cell in row {
                            ui.monospace(cell);
                        }
                        ui.end_row();
                    }
                });
        });
}

/// For each loaded file read through a remembered mapping: when it was
/// chosen, the columns, and a button that forgets it.
pub fn mapped_ui(ui: &mut Ui, ws: &Workspace, view: &MappingView<'_>, cmds: &mut Commands) {
    let (mappings, remembered) = (&*view.mappings, view.remembered);
    for source in &ws.sources {
        let Source::File(path) = source else {
            continue;
        };
        let Some(signature) = mappings.mapped.get(path) else {
            continue;
        };
        let Some(r) = remembered.get(signature) else {
            continue;
        };
        let name = mapping::file_name(path);
        ui.horizontal_wrapped(|ui| {
            ui.label(mapped_note(&name, r));
            if ui
                .button(format!("Forget the mapping of {name}"))
                .on_hover_text(
                    "Files with this header are asked about again the next time they are read; the data loaded stays",
                )
                .clicked()
            {
                cmds.push(Command::ForgetColumns(signature.clone()));
            }
        });
    }
}

/// "file: columns mapped as you chose on DATE (what: Role = Column, ...)".
pub fn mapped_note(name: &str, r: &RememberedColumns) -> String {
    format!(
        "{name}: columns mapped as you chose on {} ({}: {})",
        r.chosen_on.format("%Y-%m-%d"),
        r.target.label(),
        pairs(&r.columns)
    )
}

fn pairs(map: &ColumnMap) -> String {
    map.iter()
        .map(|(role, column)| format!("{} = {column}", role.label()))
        .collect::<Vec<_>>()
        .join(", ")
}
