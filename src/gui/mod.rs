//! The desktop app: an egui/eframe face on the engine.
//!
//! - [`App`] (in [`app`]) is split by concern: its state, the job chain
//!   (`logic`), the commands, the files and the drawing (`ui`). Its
//!   background results are each an [`analysis::Analysis`] (job slot,
//!   requested revision, shown result, error) on a named thread
//!   ([`jobs`]); a dependency list says what each waits for: import →
//!   meter → plan, term and audit, size after the plan; the comparison
//!   of two scenarios.
//! - [`workspace::Workspace`] is the domain state: the scenario being edited
//!   and the imported usage, each with a revision.
//! - [`model`] builds what each view draws, one module per view, on a job's
//!   worker or when an input revision changes; [`views`] draws it (one
//!   `<name>_view` per view), [`charts`] draws its plots. Views emit
//!   [`command::Command`]s, applied after the frame.
//! - [`prefs::Prefs`] is the small persisted preferences struct; nothing else
//!   is saved by eframe (scenarios are the user's own RON files).
//! - [`portal`] checks once whether the system's file dialogs can work;
//!   when they cannot (or the user prefers), the path prompt
//!   ([`model::prompt`], [`views::prompt_view`]) asks for a typed path.
//! - [`words`] is the analyst's language: the human names of rules,
//!   methods and scenario fields; [`fmt`] writes money, tokens and counts
//!   the same way everywhere.
//! - [`engine`] holds the GUI's thin wrappers around engine calls, each run
//!   inside a background job and never inside `ui()`; the logic itself is
//!   the engine's.

pub mod analysis;
pub mod app;
pub mod charts;
pub mod command;
pub mod engine;
pub mod fmt;
pub mod jobs;
pub mod model;
pub mod notify;
pub mod portal;
pub mod prefs;
pub mod views;
pub mod words;
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
        state_dir: eframe::storage_dir("tokenplan"),
        prefs: None,
        today: None,
    };
    eframe::run_native(
        "tokenplan",
        options,
        Box::new(move |cc| Ok(Box::new(App::new(cc, app_options)))),
    )
}
