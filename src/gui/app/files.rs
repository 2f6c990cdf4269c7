//! Files other than data: loading and saving scenarios, the comparison's
//! side B, exporting the reassignment list (and its pseudonyms' key
//! file) and the negotiation pack (a background job), and asking for
//! paths (the
//! system's file dialog, or the app's path prompt where dialogs cannot
//! run). Loading data is in `data`.

use std::path::{Path, PathBuf};

use std::sync::Arc;

use super::data::ImportMode;
use super::{App, PackExport};
use crate::gui::analysis::start_or_say;
use crate::gui::command::{ExportRows, JobKind};
use crate::gui::engine;
use crate::gui::jobs::JobProgress;
use crate::gui::model::compare::CompareSide;
use crate::gui::model::prompt::{self, PathPrompt, PathPurpose};
use crate::gui::notify::Level;
use crate::gui::portal;
use crate::gui::prefs::Prefs;
use crate::plan::ListRows;

/// The file name the export of the negotiation pack proposes.
const PACK_FILE: &str = "negotiation-pack.xlsx";
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

    /// Writes the negotiation pack to `path` (asked for when `None`) as a
    /// background job: the pack shown when it is of the current inputs,
    /// or, with "Pseudonymise names" on, the pack built again from the
    /// renamed data as `tokenplan pack --pseudonymize` does.
    pub(super) fn export_pack(&mut self, ctx: &egui::Context, path: Option<PathBuf>) {
        if self.jobs.export.is_running() {
            self.notes.push(
                Level::Warning,
                "The negotiation pack is being written; wait for it to finish.",
            );
            return;
        }
        if !self.negotiation_is_current() {
            // Asked for: build it from now on.
            self.negotiate_ui.wanted = true;
            let text = if self.jobs.negotiate.shown().is_none() {
                "The negotiation pack is being built (after metering and planning); export it when the Negotiate view shows it."
            } else {
                "The negotiation pack is being rebuilt for the changed inputs; export it when it is done."
            };
            self.notes.push(Level::Warning, text);
            return;
        }
        let keyfile = if self.plan_ui.pseudonymise {
            let keyfile = self.plan_ui.key_file.trim();
            if keyfile.is_empty() {
                self.notes.push(
                    Level::Warning,
                    "Negotiation pack not written: type the key file of the pseudonyms (it is created if it does not exist).",
                );
                return;
            }
            Some(PathBuf::from(keyfile))
        } else {
            None
        };
        let Some(path) = path.or_else(|| self.pick_paths(PathPurpose::ExportPack).pop()) else {
            return;
        };
        let Some(pack) = self.jobs.negotiate.shown().map(|d| Arc::clone(&d.pack)) else {
            return;
        };
        let work: Box<dyn FnOnce(&JobProgress) -> PackExport + Send> = match keyfile {
            None => Box::new(move |_: &JobProgress| {
                PackExport(
                    engine::pack_bytes(&pack)
                        .and_then(|bytes| engine::write_atomic(&path, &bytes))
                        .map(|()| (path, false)),
                )
            }),
            Some(keyfile) => {
                let Some((scenario, metered, usage)) = self.metered_inputs() else {
                    return;
                };
                let reports = self.ws.reports.clone();
                let swing = self.swing();
                let file = pack.assumptions.file.clone();
                Box::new(move |progress: &JobProgress| {
                    let job = engine::PackJob {
                        usage: &usage,
                        metered: &metered,
                        reports: &reports,
                        scenario: &scenario,
                        file: file.as_ref(),
                        swing,
                    };
                    PackExport(
                        engine::pseudonymised_pack_bytes(&job, &keyfile, progress)
                            .and_then(|bytes| engine::write_atomic(&path, &bytes))
                            .map(|()| (path, true)),
                    )
                })
            }
        };
        let rev = self.rev_of(JobKind::ExportPack);
        let kind = JobKind::ExportPack;
        start_or_say(
            &mut self.jobs.export,
            kind.label(),
            kind.cannot_start(),
            ctx,
            rev,
            &mut self.notes,
            work,
        );
    }

    /// Says what a finished export of the negotiation pack did.
    pub(super) fn poll_export(&mut self) {
        let Some(done) = self.jobs.export.take_finished() else {
            return;
        };
        let what = JobKind::ExportPack.failure_notice().unwrap_or_default();
        match done {
            Ok((_, PackExport(Ok((path, pseudonymised))))) => self.notes.push(
                Level::Info,
                format!(
                    "Negotiation pack{} written to {}",
                    if pseudonymised {
                        ", names pseudonymised,"
                    } else {
                        ""
                    },
                    path.display()
                ),
            ),
            Ok((_, PackExport(Err(message)))) => {
                self.notes.push(Level::Error, format!("{what}: {message}"));
            }
            Err(message) => self.notes.push(Level::Error, message),
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
            PathPurpose::ExportPack => rfd::FileDialog::new()
                .set_title("Export negotiation pack")
                .add_filter("Excel workbook", &["xlsx"])
                .set_file_name(PACK_FILE)
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
            PathPurpose::ExportPack => self.export_pack(ctx, Some(path)),
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
            PathPurpose::ExportPack => folder.join(PACK_FILE),
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
