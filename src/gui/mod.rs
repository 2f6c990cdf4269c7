//! The desktop app: an egui/eframe face on the engine.
//!
//! - [`App`] (in [`app`]) dispatches only: it polls background [`jobs`],
//!   rebuilds derived data ([`derived`]) when an input revision changes, draws
//!   the [`views`] and applies the [`command::Command`]s they emit after the
//!   frame.
//! - [`workspace::Workspace`] is the domain state: the scenario being edited,
//!   the imported usage and the last metering result, each with a revision.
//! - [`prefs::Prefs`] is the small persisted preferences struct; nothing else
//!   is saved by eframe (scenarios are the user's own RON files).
//! - [`plan`] turns the best-mix planner's answer into what the Crossover
//!   and Mix views draw; the plan job re-optimises only when just the token
//!   price changed.
//! - [`compare`] plans two scenarios over the same usage for the Compare
//!   tab of the Scenario view: figures with exact deltas, fields that differ.
//! - [`portal`] checks once whether the system's file dialogs can work;
//!   when they cannot (or the user prefers), [`prompt`] asks for a typed path.
//! - [`engine`] is the one place the GUI calls the engine from, so each call
//!   runs inside a background job and never inside `ui()`.

pub mod app;
pub mod charts;
pub mod command;
pub mod compare;
pub mod derived;
pub mod engine;
pub mod fmt;
pub mod insights_data;
pub mod jobs;
pub mod notify;
pub mod plan;
pub mod pool_data;
pub mod portal;
pub mod prefs;
pub mod prompt;
pub mod views;
pub mod workspace;

use std::path::PathBuf;

pub use app::{App, AppOptions};

/// Opens the window: `files` are imported (the bundled sample when empty),
/// `scenario` is loaded (the sample scenario when `None`). Returns when the
/// window closes.
///
/// # Errors
/// When the window or its graphics context cannot be created.
pub fn run_gui(files: Vec<PathBuf>, scenario: Option<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("tokenplan")
            .with_inner_size([1200.0, 800.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    let app_options = AppOptions {
        files,
        scenario,
        use_storage: true,
    };
    eframe::run_native(
        "tokenplan",
        options,
        Box::new(move |cc| Ok(Box::new(App::new(cc, app_options)))),
    )
}
