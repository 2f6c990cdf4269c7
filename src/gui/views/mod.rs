//! What the app draws: one `<name>_view` file per view, drawing the data
//! that `gui::model` built for it (the Crossover and Mix views share
//! `model::plan`), plus the widgets views share ([`fields`], [`table`],
//! [`freshness`]) and the [`frame`] around them. Every function here ends
//! in `_ui`, only reads cached data, keeps the user's picks (sort, filters,
//! the scenario being edited) and emits
//! [`Command`](super::command::Command)s for everything else; plots are in
//! `gui::charts`.

pub mod charges_view;
pub mod compare_view;
pub mod crossover_view;
pub mod data_mapping;
pub mod data_view;
pub mod fields;
pub mod frame;
pub mod freshness;
pub mod insights_view;
pub mod mix_view;
pub mod pool_view;
pub mod prompt_view;
pub mod question_view;
pub mod scenario_view;
pub mod table;

pub use charges_view::charges_ui;
pub use crossover_view::crossover_ui;
pub use data_view::data_ui;
pub use frame::{menu_bar_ui, nav_ui, notifications_ui, status_bar_ui};
pub use insights_view::insights_ui;
pub use mix_view::mix_ui;
pub use pool_view::pool_ui;
pub use scenario_view::scenario_ui;

/// A warning across the top of a view, in the warning colour: something
/// every figure below depends on (the forecast stands on a short history).
pub fn banner_ui(ui: &mut egui::Ui, text: &str) {
    let warn = ui.visuals().warn_fg_color;
    egui::Frame::new()
        .fill(warn.gamma_multiply(0.12))
        .stroke(egui::Stroke::new(1.0, warn))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.add(egui::Label::new(egui::RichText::new(text).color(warn).strong()).wrap());
        });
}
