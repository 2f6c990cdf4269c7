//! Everything that reads or writes a file: loading the data and the
//! scenario at start, importing files on top, loading and saving scenarios,
//! exporting the reassignment list, and asking for paths (the system's file
//! dialog, or the app's path prompt where dialogs cannot run).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{App, ImportOutcome, ImportedUsage};
use crate::gui::analysis::start_or_say;
use crate::gui::command::JobKind;
use crate::gui::engine;
use crate::gui::jobs::JobProgress;
use crate::gui::model::compare::CompareSide;
use crate::gui::model::prompt::{self, PathPrompt, PathPurpose};
use crate::gui::notify::Level;
use crate::gui::portal;
use crate::gui::prefs::Prefs;
use crate::gui::workspace::Origin;
use crate::ingest::{ImportOptions, Report};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// Which scenario a load job brings.
pub(super) enum ScenarioSource {
    /// The bundled sample scenario.
    Sample,
    /// This file.
    File(PathBuf),
    /// The one being edited (kept as it is).
    Current(Box<Scenario>),
}

impl App {
    /// Loads data and a scenario together, in the background: at start, and
    /// when going back to the sample data.
    pub(super) fn start_load(
        &mut self,
        ctx: &egui::Context,
        files: Vec<PathBuf>,
        scenario: ScenarioSource,
    ) {
        let work = move |progress: &JobProgress| {
            let (loaded, keep) = match scenario {
                ScenarioSource::File(path) => (
                    Some(engine::load_scenario(&path).map(|s| (s, Some(path)))),
                    None,
                ),
                ScenarioSource::Sample => {
                    (Some(engine::sample_scenario().map(|s| (s, None))), None)
                }
                ScenarioSource::Current(s) => (None, Some(*s)),
            };
            let in_force = keep.as_ref().or(loaded
                .as_ref()
                .and_then(|l| l.as_ref().ok())
                .map(|(s, _)| s));
            let mut failures = Vec::new();
            let usage = match in_force {
                None => None,
                Some(s) if files.is_empty() => {
                    let (usage, reports) = engine::sample_usage(s);
                    Some(ImportedUsage {
                        usage,
                        reports,
                        origin: Origin::Sample,
                        missing_note: None,
                    })
                }
                Some(s) => import_into(
                    Usage::default(),
                    Vec::new(),
                    Vec::new(),
                    &files,
                    &import_options(Some(s)),
                    progress,
                    &mut failures,
                ),
            };
            ImportOutcome {
                scenario: loaded,
                usage,
                failures,
            }
        };
        let rev = self.ws.usage_rev;
        let slot = &mut self.jobs.import;
        start_or_say(
            slot,
            "Loading data",
            "Cannot start loading",
            ctx,
            rev,
            &mut self.notes,
            work,
        );
    }

    /// Imports `paths` on top of what is loaded (replacing the sample data).
    pub(super) fn start_import(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        for p in &paths {
            Prefs::remember(&mut self.prefs.recent_files, p);
        }
        let (base, reports, files) = match &self.ws.origin {
            Origin::Sample => (Usage::default(), Vec::new(), Vec::new()),
            Origin::Files(files) => (
                (*self.ws.usage).clone(),
                self.ws.reports.clone(),
                files.clone(),
            ),
        };
        let options = import_options(self.ws.scenario.as_ref());
        let work = move |progress: &JobProgress| {
            let mut failures = Vec::new();
            let usage = import_into(
                base,
                reports,
                files,
                &paths,
                &options,
                progress,
                &mut failures,
            );
            ImportOutcome {
                scenario: None,
                usage,
                failures,
            }
        };
        // A running import is cancelled by the new one; its files are lost,
        // so say so rather than drop them silently.
        if self.jobs.import.is_running() {
            self.notes.push(
                Level::Warning,
                "An import was still running; it was cancelled by the new one.",
            );
        }
        let rev = self.ws.usage_rev;
        let (label, cannot) = (JobKind::Import.label(), JobKind::Import.cannot_start());
        start_or_say(
            &mut self.jobs.import,
            label,
            cannot,
            ctx,
            rev,
            &mut self.notes,
            work,
        );
    }

    /// Takes what an import job produced: the scenario loaded with it, the
    /// files that failed, the new usage and what its reports found.
    pub(super) fn apply_import(&mut self, outcome: ImportOutcome) {
        match outcome.scenario {
            Some(Ok((scenario, path))) => {
                if let Some(p) = &path {
                    Prefs::remember(&mut self.prefs.recent_scenarios, p);
                }
                self.ws.set_scenario(scenario, path);
            }
            Some(Err(message)) => self
                .notes
                .push(Level::Error, format!("Scenario not loaded: {message}")),
            None => {}
        }
        for failure in outcome.failures {
            self.notes.push(
                Level::Error,
                format!("Not imported (the data loaded before is kept): {failure}"),
            );
        }
        if let Some(ImportedUsage {
            usage,
            reports,
            origin,
            missing_note,
        }) = outcome.usage
        {
            let known = self.ws.reports.len();
            let new_reports = match origin {
                Origin::Files(_) if matches!(self.ws.origin, Origin::Files(_)) => {
                    reports.get(known..).unwrap_or_default()
                }
                _ => &reports[..],
            };
            for r in new_reports.iter().filter(|r| r.has_errors()) {
                self.notes.push(Level::Warning, problem_summary(r));
            }
            if let Some(note) = missing_note {
                self.notes.push(Level::Warning, note);
            }
            self.ws.set_usage(Arc::new(usage), reports, origin);
        }
    }

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

    /// Writes the reassignment list of the plan shown, when it is of the
    /// current inputs, to `path` (asked for when `None`).
    pub(super) fn export_reassignment(&mut self, path: Option<PathBuf>) {
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
        let Some(path) = path.or_else(|| self.pick_paths(PathPurpose::ExportReassignment).pop())
        else {
            return;
        };
        let Some(plan) = self.jobs.plan.shown() else {
            return;
        };
        match engine::write_reassignment(&plan.planned.report, &path) {
            Ok(()) => self.notes.push(
                Level::Info,
                format!(
                    "Reassignment list of {} users written to {}",
                    plan.planned.report.users.len(),
                    path.display()
                ),
            ),
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
            PathPurpose::OpenUsage => rfd::FileDialog::new()
                .set_title("Open usage files")
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
            PathPurpose::ExportReassignment => rfd::FileDialog::new()
                .set_title("Export reassignment list")
                .add_filter("CSV", &["csv"])
                .set_file_name("reassignment.csv")
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
            PathPurpose::OpenUsage => self.start_import(ctx, paths),
            PathPurpose::OpenScenario => self.load_scenario(&path),
            PathPurpose::SaveScenario => self.save_scenario(&path),
            PathPurpose::ExportReassignment => self.export_reassignment(Some(path)),
            PathPurpose::OpenCompare => self.load_compare(&path),
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
            PathPurpose::OpenUsage => self
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
            PathPurpose::ExportReassignment => folder.join("reassignment.csv"),
        };
        let no_dialogs = portal::checked() == Some(portal::DialogService::Missing);
        self.prompt = Some(PathPrompt::new(purpose, &start, no_dialogs));
    }

    /// Uses the path typed in the prompt when it is valid for its purpose;
    /// otherwise the prompt stays open and says why.
    pub(super) fn submit_path(&mut self, ctx: &egui::Context) {
        let Some(p) = &mut self.prompt else {
            return;
        };
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let path = match prompt::validate(p.purpose, &p.text, home.as_deref()) {
            Ok(path) => path,
            Err(message) => {
                p.error = Some(message);
                return;
            }
        };
        let purpose = p.purpose;
        self.prompt = None;
        self.use_paths(ctx, purpose, vec![path]);
    }
}

/// Import options for files read under `scenario`: timestamps without an
/// offset are in its server zone.
fn import_options(scenario: Option<&Scenario>) -> ImportOptions {
    let mut options = ImportOptions::default();
    if let Some(tz) = scenario.and_then(|s| s.server_tz().ok()) {
        options.time_zone = tz;
    }
    options
}

/// Imports each of `paths` into `usage` on its own
/// ([`engine::import_files`], a file that fails adds nothing): the
/// files that fail are listed in `failures`. `None` when no file was
/// imported; otherwise the usage, its reports and origin, and the note on
/// users missing from the directory.
fn import_into(
    mut usage: Usage,
    mut reports: Vec<Report>,
    mut files: Vec<PathBuf>,
    paths: &[PathBuf],
    options: &ImportOptions,
    progress: &dyn Progress,
    failures: &mut Vec<String>,
) -> Option<ImportedUsage> {
    let imported = engine::import_files(&mut usage, paths, options, progress);
    let missing_note = imported.missing_note();
    let any = imported.any_kept();
    for file in imported.files {
        match file.outcome {
            Ok(report) if file.kept => {
                reports.push(report);
                files.push(file.path);
            }
            Ok(report) => failures.push(problem_summary(&report)),
            Err(e) => failures.push(engine::error_chain(&e)),
        }
    }
    any.then_some(ImportedUsage {
        usage,
        reports,
        origin: Origin::Files(files),
        missing_note,
    })
}

/// One line about a report's problems: the file, how many, the first one.
pub(super) fn problem_summary(r: &Report) -> String {
    let n = r.problems.len() as u64 + r.problems_not_kept;
    let first = r
        .problems
        .first()
        .map_or_else(String::new, |p| format!("; first: {p}"));
    if r.fatal {
        format!("{}: could not be read{first}", r.file)
    } else {
        format!(
            "{}: {n} problem(s), {} line(s) skipped (see the Data view){first}",
            r.file,
            r.lines_skipped()
        )
    }
}
