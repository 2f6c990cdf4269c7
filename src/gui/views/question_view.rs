//! The question the app asks before anything is lost, as a modal window:
//! its title, what it is about, and one button per answer (each with what
//! it does on hover). Escape or a click outside is Cancel.

use egui::{RichText, Ui};

use crate::gui::command::{Command, Commands};
use crate::gui::model::question::{Answer, Question};

/// Draws `question` over the window.
pub fn question_ui(ui: &Ui, question: &Question, cmds: &mut Commands) {
    let modal = egui::Modal::new(egui::Id::unique("tokenplan-question")).show(ui.ctx(), |ui| {
        ui.set_max_width(560.0);
        ui.heading(question.title());
        ui.add(egui::Label::new(question.body()).wrap());
        ui.add_space(6.0);
        ui.horizontal(|ui| {
            for (answer, text, hover) in question.answers() {
                let text = if answer == Answer::Cancel {
                    RichText::new(text)
                } else {
                    RichText::new(text).strong()
                };
                if ui.button(text).on_hover_text(hover).clicked() {
                    cmds.push(Command::Answer(answer));
                }
            }
        });
    });
    if modal.should_close() {
        cmds.push(Command::Answer(Answer::Cancel));
    }
}
