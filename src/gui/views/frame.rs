//! The frame around the views: menu bar, navigation, status bar with job
//! progress, and the notification area.

use std::path::PathBuf;

use egui::{RichText, Ui};
use rust_decimal::Decimal;

use crate::gui::command::{Command, Commands, JobKind};
use crate::gui::fmt;
use crate::gui::notify::{Level, Notification};
use crate::gui::prefs::{Prefs, Theme, View};

/// The File and View menus.
pub fn menu_bar_ui(ui: &mut Ui, prefs: &Prefs, cmds: &mut Commands) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| {
            if ui
                .add(egui::Button::new("Open files…").shortcut_text(ui.format_shortcut(&OPEN)))
                .on_hover_text("Open data files: you then choose to add them to the data loaded or replace it")
                .clicked()
            {
                cmds.push(Command::OpenFilesDialog);
            }
            if ui
                .button("Add files…")
                .on_hover_text("Add data files to the data loaded")
                .clicked()
            {
                cmds.push(Command::AddFilesDialog);
            }
            ui.menu_button("Open recent", |ui| {
                recent_ui(ui, &prefs.recent_files, cmds, |p| {
                    Command::ImportFiles(vec![p])
                });
            });
            if ui
                .button(LOAD_SAMPLE)
                .on_hover_text("The bundled demo: its data and its scenario")
                .clicked()
            {
                cmds.push(Command::LoadSample);
            }
            ui.separator();
            if ui.button("Open scenario…").clicked() {
                cmds.push(Command::OpenScenarioDialog);
            }
            ui.menu_button("Recent scenarios", |ui| {
                recent_ui(ui, &prefs.recent_scenarios, cmds, Command::LoadScenario);
            });
            if ui
                .add(egui::Button::new("Save scenario").shortcut_text(ui.format_shortcut(&SAVE)))
                .clicked()
            {
                cmds.push(Command::SaveScenario);
            }
            if ui.button("Save scenario as…").clicked() {
                cmds.push(Command::SaveScenarioAs);
            }
            ui.separator();
            let mut type_paths = prefs.type_paths;
            if ui
                .checkbox(&mut type_paths, TYPE_PATHS)
                .on_hover_text("Open, save and export ask for a path in the app instead of the system's file dialog")
                .changed()
            {
                cmds.push(Command::SetTypePaths(type_paths));
            }
            if ui
                .button(super::negotiate_view::EXPORT)
                .on_hover_text("The negotiation pack as an Excel workbook (the Negotiate view shows it)")
                .clicked()
            {
                cmds.push(Command::ExportPack(None));
            }
            ui.separator();
            if ui.button("Clear recent lists").clicked() {
                cmds.push(Command::ClearRecent);
            }
            if ui.button("Quit").clicked() {
                cmds.push(Command::Quit);
            }
        });
        ui.menu_button("View", |ui| {
            for view in View::ALL {
                if ui
                    .selectable_label(prefs.view == view, view.label())
                    .clicked()
                {
                    cmds.push(Command::ShowView(view));
                }
            }
            ui.separator();
            for (theme, label) in [
                (Theme::System, "System theme"),
                (Theme::Light, "Light theme"),
                (Theme::Dark, "Dark theme"),
            ] {
                if ui.selectable_label(prefs.theme == theme, label).clicked() {
                    cmds.push(Command::SetTheme(theme));
                }
            }
        });
    });
}

/// The File menu's item that loads the bundled sample.
pub const LOAD_SAMPLE: &str = "Load the sample (data and scenario)";

/// The File menu's switch from file dialogs to the path prompt.
pub const TYPE_PATHS: &str = "Type paths instead of file dialogs";

/// Ctrl+O (Cmd+O on a Mac): open input files.
pub const OPEN: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::O);
/// Ctrl+S (Cmd+S on a Mac): save the scenario.
pub const SAVE: egui::KeyboardShortcut =
    egui::KeyboardShortcut::new(egui::Modifiers::COMMAND, egui::Key::S);

fn recent_ui(
    ui: &mut Ui,
    list: &[PathBuf],
    cmds: &mut Commands,
    command: impl Fn(PathBuf) -> Command,
) {
    if list.is_empty() {
        ui.weak("(none yet)");
    }
    for path in list {
        if ui.button(path.display().to_string()).clicked() {
            cmds.push(command(path.clone()));
        }
    }
}

/// The side navigation: one button per view.
pub fn nav_ui(ui: &mut Ui, current: View, cmds: &mut Commands) {
    ui.add_space(4.0);
    for view in View::ALL {
        let button = egui::Button::selectable(current == view, view.label())
            .min_size(egui::vec2(ui.available_width(), 24.0));
        if ui.add(button).clicked() && current != view {
            cmds.push(Command::ShowView(view));
        }
    }
}

/// A running job as the status bar shows it.
pub struct JobStatus {
    /// Which kind.
    pub kind: JobKind,
    /// What it does.
    pub label: String,
    /// Fraction done, when known.
    pub fraction: Option<f32>,
}

/// What the status bar shows.
pub struct Status {
    /// Jobs running.
    pub jobs: Vec<JobStatus>,
    /// Sessions loaded.
    pub sessions: u64,
    /// Users loaded.
    pub users: u64,
    /// Tokens of the last metering, when any.
    pub total_tokens: Option<Decimal>,
    /// True when the inputs changed since the charges shown were computed.
    pub stale: bool,
}

/// The status bar: totals, and each running job with a progress bar and Cancel.
pub fn status_bar_ui(ui: &mut Ui, status: &Status, cmds: &mut Commands) {
    ui.horizontal(|ui| {
        ui.label(format!(
            "{} sessions · {} users",
            fmt::count(status.sessions),
            fmt::count(status.users)
        ));
        if let Some(total) = status.total_tokens {
            ui.separator();
            ui.label(format!("Total: {} tokens", fmt::decimal(total)));
            if status.stale {
                ui.weak("(inputs changed; recomputing)");
            }
        }
        for job in &status.jobs {
            ui.separator();
            ui.label(&job.label);
            let bar = match job.fraction {
                Some(f) => egui::ProgressBar::new(f).show_percentage(),
                None => egui::ProgressBar::new(0.0).animate(true),
            };
            ui.add(bar.desired_width(160.0));
            let cancel = job.kind.cancel_button();
            if ui.button(cancel).clicked() {
                cmds.push(Command::CancelJob(job.kind));
            }
        }
    });
}

/// The notification area: newest last, each with Dismiss.
pub fn notifications_ui(ui: &mut Ui, items: &[Notification], cmds: &mut Commands) {
    for n in items {
        let (icon, color) = match n.level {
            Level::Info => ("Note:", ui.visuals().text_color()),
            Level::Warning => ("Warning:", ui.visuals().warn_fg_color),
            Level::Error => ("Error:", ui.visuals().error_fg_color),
        };
        ui.horizontal(|ui| {
            if ui.small_button("Dismiss").clicked() {
                cmds.push(Command::Dismiss(n.id));
            }
            ui.label(RichText::new(icon).strong().color(color));
            ui.add(egui::Label::new(RichText::new(&n.text).color(color)).wrap());
        });
    }
}
