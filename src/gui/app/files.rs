//! Files other than data: loading and saving scenarios, the comparison's
//! side B, exporting the reassignment list (and its pseudonyms' key
//! file), and asking for paths (the
//! system's file dialog, or the app's path prompt where dialogs cannot
//! run). Loading data is in `data`.

use std::path::{Path, PathBuf};

use super::App;
use super::data::ImportMode;
use crate::gui::command::ExportRows;
use crate::gui::engine;
use crate::gui::model::compare::CompareSide;
use crate::gui::model::prompt::{self, PathPrompt, PathPurpose};
use crate::gui::notify::Level;
use crate::gui::portal;
use crate::gui::prefs::Prefs;
use crate::plan::ListRows;

/// The name a new key file is offered under.
const KEY_FILE_NAME: &str = "tokenplan-pseudonyms.key";

impl App {
    /// Loads `path` as side B of the comparison.
    pub(super) fn load_compare(&mut self, path: &Path) {
        match engine::load_scenario(path) {
            Ok(scenario) => {
                Prefs::remember(&mut self.prefs.recent_scenarios, path);
                let file = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |f| f.to_string_lossy().into_owned(),
                );
                self.sides.b = Some(CompareSide {
                    label: format!("{} ({file})", scenario.name),
                    scenario,
                });
                self.sides_changed();
            }
            Err(message) => self.notes.push(
                Level::Error,
                format!("Scenario B not loaded (the comparison is kept): {message}"),
            ),
        }
    }

    pub(super) fn load_scenario(&mut self, path: &Path) {
        match engine::load_scenario(path) {
            Ok(scenario) => {
                Prefs::remember(&mut self.prefs.recent_scenarios, path);
                self.ws.set_scenario(scenario, Some(path.to_path_buf()));
                self.forget_auto_baseline();
            }
            Err(message) => self.notes.push(
                Level::Error,
                format!("Scenario not loaded (the current one is kept): {message}"),
            ),
        }
    }

    pub(super) fn save_scenario(&mut self, path: &Path) {
        let Some(scenario) = &self.ws.scenario else {
            return;
        };
        match engine::save_scenario(scenario, path) {
            Ok(()) => {
                Prefs::remember(&mut self.prefs.recent_scenarios, path);
                self.ws.scenario_saved(path.to_path_buf());
                self.notes
                    .push(Level::Info, format!("Scenario saved to {}", path.display()));
            }
            Err(message) => self
                .notes
                .push(Level::Error, format!("Scenario not saved: {message}")),
        }
    }

    /// Writes `rows` of the reassignment list of the plan shown, when it is
    /// of the current inputs, to `path` (asked for when `None`).
    pub(super) fn export_reassignment(&mut self, path: Option<PathBuf>, rows: ExportRows) {
        if self.jobs.plan.shown().is_none() {
            self.notes.push(
                Level::Warning,
                "No plan to export yet: it is made after metering.",
            );
            return;
        }
        if !self.plan_is_current() {
            self.notes.push(
                Level::Warning,
                "The plan is being remade for the changed inputs; export it when it is done.",
            );
            return;
        }
        let Some(path) =
            path.or_else(|| self.pick_paths(PathPurpose::ExportReassignment(rows)).pop())
        else {
            return;
        };
        let Some(plan) = self.jobs.plan.shown() else {
            return;
        };
        let shown: Vec<String> = self
            .plan_ui
            .visible()
            .iter()
            .filter_map(|&i| plan.data.users.get(i).map(|u| u.user.clone()))
            .collect();
        let (list, which) = match rows {
            ExportRows::Shown => (
                ListRows::Only(&shown),
                format!("the {} rows shown", shown.len()),
            ),
            ExportRows::All => (
                ListRows::All,
                format!("all {} users", plan.planned.report.users.len()),
            ),
        };
        let privacy = if self.plan_ui.pseudonymise {
            let keyfile = self.plan_ui.key_file.trim();
            if keyfile.is_empty() {
                self.notes.push(
                    Level::Warning,
                    "Reassignment list not written: type the key file of the pseudonyms (it is created if it does not exist).",
                );
                return;
            }
            match engine::pseudonymizer(
                Path::new(keyfile),
                &self.ws.usage,
                self.ws.scenario.as_ref(),
            ) {
                Ok(p) => Some(p),
                Err(message) => {
                    self.notes.push(
                        Level::Error,
                        format!("Reassignment list not written: {message}"),
                    );
                    return;
                }
            }
        } else {
            None
        };
        let which = if privacy.is_some() {
            format!("{which}, names pseudonymised,")
        } else {
            which
        };
        match engine::write_reassignment(
            &plan.planned.report,
            &self.ws.usage,
            list,
            &path,
            privacy.as_ref(),
        ) {
            Ok(()) => {
                if privacy.is_some() {
                    // The next run offers the same key: the same pseudonyms.
                    self.prefs.key_file = Some(PathBuf::from(self.plan_ui.key_file.trim()));
                }
                self.notes.push(
                    Level::Info,
                    format!("Reassignment list of {which} written to {}", path.display()),
                );
            }
            Err(message) => self.notes.push(
                Level::Error,
                format!("Reassignment list not written: {message}"),
            ),
        }
    }

    /// Asks for the path(s) of `purpose` and uses them.
    pub(super) fn choose_paths(&mut self, ctx: &egui::Context, purpose: PathPurpose) {
        let paths = self.pick_paths(purpose);
        self.use_paths(ctx, purpose, paths);
        self.continue_after_save(ctx);
    }

    /// The path(s) picked in the system's file dialog for `purpose`, none
    /// when it was cancelled. Where dialogs can't run, this opens the path
    /// prompt instead (and returns none): [`Self::submit_path`] answers.
    fn pick_paths(&mut self, purpose: PathPurpose) -> Vec<PathBuf> {
        if self.prompt_instead() {
            self.ask_path(purpose);
            return Vec::new();
        }
        let scenario_dialog = || {
            rfd::FileDialog::new()
                .set_title("Scenario")
                .add_filter("Scenario (RON)", &["ron"])
        };
        let picked = match purpose {
            PathPurpose::OpenUsage | PathPurpose::AddUsage => rfd::FileDialog::new()
                .set_title(purpose.title())
                .add_filter("Usage files", &["csv", "tsv", "txt", "log"])
                .add_filter("All files", &["*"])
                .pick_files(),
            PathPurpose::OpenScenario => scenario_dialog().pick_file().map(|p| vec![p]),
            PathPurpose::OpenCompare => scenario_dialog()
                .set_title("Scenario B")
                .pick_file()
                .map(|p| vec![p]),
            PathPurpose::SaveScenario => scenario_dialog()
                .set_file_name("scenario.ron")
                .save_file()
                .map(|p| vec![p]),
            PathPurpose::ExportReassignment(_) => rfd::FileDialog::new()
                .set_title("Export reassignment list")
                .add_filter("CSV", &["csv"])
                .set_file_name("reassignment.csv")
                .save_file()
                .map(|p| vec![p]),
            // A save dialog, so that a new key can be named; an existing
            // key file chosen is read, never replaced.
            PathPurpose::KeyFile => rfd::FileDialog::new()
                .set_title("Key file of the pseudonyms (an existing key is used, never replaced)")
                .set_file_name(KEY_FILE_NAME)
                .save_file()
                .map(|p| vec![p]),
        };
        picked.unwrap_or_default()
    }

    /// Does what `purpose` asked the paths for (nothing when there are none).
    fn use_paths(&mut self, ctx: &egui::Context, purpose: PathPurpose, paths: Vec<PathBuf>) {
        let Some(path) = paths.last().cloned() else {
            return;
        };
        match purpose {
            PathPurpose::OpenUsage => self.open_data(ctx, paths),
            PathPurpose::AddUsage => self.start_import(ctx, paths, ImportMode::Add),
            PathPurpose::OpenScenario => self.load_scenario(&path),
            PathPurpose::SaveScenario => self.save_scenario(&path),
            PathPurpose::ExportReassignment(rows) => self.export_reassignment(Some(path), rows),
            PathPurpose::OpenCompare => self.load_compare(&path),
            PathPurpose::KeyFile => {
                self.plan_ui.key_file = path.display().to_string();
                self.plan_ui.pseudonymise = true;
            }
        }
    }

    /// True when paths are typed in the prompt rather than picked in a
    /// file dialog (asked for, or no dialog service was found).
    fn prompt_instead(&self) -> bool {
        portal::prompt_instead(self.prefs.type_paths, portal::checked())
    }

    /// Opens the path prompt for `purpose`, pre-filled with a likely path.
    pub(super) fn ask_path(&mut self, purpose: PathPurpose) {
        // Next to the scenario, else next to the data, else the working folder.
        let folder = self
            .ws
            .scenario_path
            .as_deref()
            .or(self.prefs.recent_files.first().map(PathBuf::as_path))
            .and_then(Path::parent)
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .or_else(|| std::env::current_dir().ok())
            .unwrap_or_default();
        let recent_scenario = self.prefs.recent_scenarios.first().cloned();
        let start = match purpose {
            PathPurpose::OpenUsage | PathPurpose::AddUsage => self
                .prefs
                .recent_files
                .first()
                .cloned()
                .unwrap_or_else(|| folder.join("")),
            PathPurpose::OpenScenario | PathPurpose::OpenCompare => self
                .ws
                .scenario_path
                .clone()
                .or(recent_scenario)
                .unwrap_or_else(|| folder.join("scenario.ron")),
            PathPurpose::SaveScenario => self
                .ws
                .scenario_path
                .clone()
                .unwrap_or_else(|| folder.join("scenario.ron")),
            PathPurpose::ExportReassignment(_) => folder.join("reassignment.csv"),
            // A new key goes in the home folder, away from the data and
            // the exports it must never travel with.
            PathPurpose::KeyFile => match self.plan_ui.key_file.trim() {
                "" => std::env::var_os("HOME")
                    .map_or(folder, PathBuf::from)
                    .join(KEY_FILE_NAME),
                typed => PathBuf::from(typed),
            },
        };
        let no_dialogs = portal::checked() == Some(portal::DialogService::Missing);
        self.prompt = Some(PathPrompt::new(purpose, &start, no_dialogs));
    }

    /// Uses the path(s) typed in the prompt when they are valid for its
    /// purpose; otherwise the prompt stays open and says why.
    pub(super) fn submit_path(&mut self, ctx: &egui::Context) {
        let Some(p) = &mut self.prompt else {
            return;
        };
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let paths = if p.purpose.is_data() {
            prompt::validate_data(&p.text, home.as_deref())
        } else {
            prompt::validate(p.purpose, &p.text, home.as_deref()).map(|p| vec![p])
        };
        let paths = match paths {
            Ok(paths) => paths,
            Err(message) => {
                p.error = Some(message);
                return;
            }
        };
        let purpose = p.purpose;
        self.prompt = None;
        self.use_paths(ctx, purpose, paths);
        self.continue_after_save(ctx);
    }
}
