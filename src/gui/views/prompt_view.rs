//! The path prompt as a modal window: a labelled path field, the reason it
//! was refused, and the action and Cancel buttons. Enter submits, Escape or
//! a click outside cancels.

use egui::{RichText, Ui};

use crate::gui::command::{Command, Commands};
use crate::gui::model::prompt::PathPrompt;

/// The label of the path field.
pub const PATH: &str = "Path";

/// Draws `prompt` over the window; the text is edited in place.
pub fn path_prompt_ui(ui: &Ui, prompt: &mut PathPrompt, cmds: &mut Commands) {
    let modal = egui::Modal::new(egui::Id::unique("tokenplan-path-prompt")).show(ui.ctx(), |ui| {
        ui.set_min_width(520.0);
        ui.heading(prompt.purpose.title());
        if prompt.no_dialogs {
            ui.label(
                "No file dialog service was found (no xdg-desktop-portal on the session bus \
                 and no zenity), so type the path here.",
            );
        }
        let mut submit = false;
        ui.horizontal(|ui| {
            let label = ui.label(PATH);
            let edit = ui
                .add(egui::TextEdit::singleline(&mut prompt.text).desired_width(440.0))
                .labelled_by(label.id);
            // Typing starts in the field, without a click.
            if std::mem::take(&mut prompt.focus_pending) {
                edit.request_focus();
            }
            submit = edit.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        });
        if let Some(error) = &prompt.error {
            ui.label(RichText::new(error).color(ui.visuals().error_fg_color));
        }
        ui.horizontal(|ui| {
            submit |= ui.button(prompt.purpose.action()).clicked();
            if ui.button("Cancel").clicked() {
                cmds.push(Command::CancelPath);
            }
        });
        if submit {
            cmds.push(Command::SubmitPath);
        }
    });
    if modal.should_close() {
        cmds.push(Command::CancelPath);
    }
}
