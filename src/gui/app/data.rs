//! Loading data, in the background: the sources at start (with the
//! scenario, and the recovery file of an earlier run's unsaved edits),
//! files added to what is loaded or replacing it, a source removed (the
//! rest read again), and taking what an import job produced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::keep;
use super::{App, ImportOutcome, ToMap};
use crate::gui::analysis::start_or_say;
use crate::gui::command::JobKind;
use crate::gui::engine;
use crate::gui::jobs::JobProgress;
use crate::gui::model::mapping::{self, MappingForm, PREVIEW_ROWS};
use crate::gui::notify::Level;
use crate::gui::prefs::{Prefs, RememberedColumns, View};
use crate::gui::workspace::{Loaded, Source};
use crate::ingest::{ImportError, ImportOptions, Report};
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// The column mappings remembered, by header signature.
pub type Remembered = BTreeMap<String, RememberedColumns>;

/// Which scenario a load job brings.
pub enum ScenarioSource {
    /// The bundled sample scenario.
    Sample,
    /// This file.
    File(PathBuf),
    /// The one being edited (kept as it is).
    Current(Box<Scenario>),
}

/// Whether opened files join what is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportMode {
    /// Add them to the data loaded.
    Add,
    /// Drop the data loaded; these files are all there is.
    Replace,
}

impl App {
    /// Loads `sources` and a scenario together, in the background: at
    /// start (reading `recovery` too, the file of an earlier run's unsaved
    /// edits, when given), when going back to the sample, and when a
    /// source is removed (the others are read again).
    pub(super) fn start_load(
        &mut self,
        ctx: &egui::Context,
        sources: Vec<Source>,
        scenario: ScenarioSource,
        recovery: Option<PathBuf>,
    ) {
        let request = LoadRequest {
            sources,
            scenario,
            recovery,
            remembered: self.prefs.column_maps.clone(),
        };
        let work = move |progress: &JobProgress| load(request, progress);
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

    /// Opens data `paths`: when data is loaded, asks whether to add them
    /// to it or replace it; otherwise imports them.
    pub(super) fn open_data(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
        if paths.is_empty() {
            return;
        }
        if self.ws.has_data() {
            self.keep.ask_add_or_replace(paths);
        } else {
            self.start_import(ctx, paths, ImportMode::Add);
        }
    }

    /// Imports `paths`, added to what is loaded or replacing it.
    pub(super) fn start_import(
        &mut self,
        ctx: &egui::Context,
        paths: Vec<PathBuf>,
        mode: ImportMode,
    ) {
        if paths.is_empty() {
            return;
        }
        for p in &paths {
            Prefs::remember(&mut self.prefs.recent_files, p);
        }
        // What is loaded is shared with the worker, not copied.
        let base = (mode == ImportMode::Add).then(|| Base {
            usage: Arc::clone(&self.ws.usage),
            reports: self.ws.reports.clone(),
            sources: self.ws.sources.clone(),
            report_sources: self.ws.report_sources.clone(),
        });
        let new_from = base.as_ref().map_or(0, |b| b.reports.len());
        let options = import_options(self.ws.scenario.as_ref());
        let remembered = self.prefs.column_maps.clone();
        let work = move |progress: &JobProgress| {
            let files = Files {
                paths: &paths,
                options: &options,
                remembered: &remembered,
            };
            let (loaded, appends_to, missing_note, failures, mapping) = match base {
                Some(base) => import_onto(base, &files, progress),
                None => {
                    let (mut failures, mut mapping) = (Vec::new(), MappingOutcome::default());
                    let (loaded, note) = import_into(
                        Loaded::default(),
                        &files,
                        progress,
                        &mut failures,
                        &mut mapping,
                    );
                    (loaded, None, note, failures, mapping)
                }
            };
            let any = loaded.reports.len() > new_from;
            ImportOutcome {
                scenario: None,
                // Nothing new imported: the data loaded before stays.
                usage: any.then_some(loaded),
                appends_to,
                new_from,
                missing_note,
                failures,
                recovered: None,
                to_map: mapping.to_map,
                mapped: mapping.mapped,
                // A file to map that was opened to replace the data loaded
                // still replaces it once mapped.
                replace_pending: mode == ImportMode::Replace && !any,
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

    /// Drops the source at `index` from what is loaded: the others are
    /// read again.
    pub(super) fn remove_source(&mut self, ctx: &egui::Context, index: usize) {
        let Some(source) = self.ws.sources.get(index) else {
            return;
        };
        let Some(scenario) = self.ws.scenario.clone() else {
            return;
        };
        self.notes.push(
            Level::Info,
            format!(
                "{} removed; the data is read again without it.",
                source.name()
            ),
        );
        let sources = self.ws.sources_without(index);
        self.start_load(
            ctx,
            sources,
            ScenarioSource::Current(Box::new(scenario)),
            None,
        );
    }

    /// Takes what an import job produced: the scenario loaded with it, the
    /// files that failed, the new usage and what its reports found, and an
    /// earlier run's unsaved edits to offer back.
    pub(super) fn apply_import(&mut self, outcome: ImportOutcome) {
        match outcome.scenario {
            Some(Ok((scenario, path))) => {
                if let Some(p) = &path {
                    Prefs::remember(&mut self.prefs.recent_scenarios, p);
                }
                self.ws.set_scenario(scenario, path);
                self.forget_auto_baseline();
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
        self.take_mappings(outcome.to_map, outcome.mapped, outcome.replace_pending);
        if let Some(mut loaded) = outcome.usage {
            let new = loaded.reports.get(outcome.new_from..).unwrap_or_default();
            for r in new.iter().filter(|r| r.has_errors()) {
                self.notes.push(Level::Warning, problem_summary(r));
            }
            let missing_note = match outcome.appends_to {
                Some(base) => {
                    // The workspace's own handle goes first, so that the
                    // sessions move rather than copy when no job reads them.
                    self.ws.usage = Arc::default();
                    join(base, &mut loaded.usage);
                    // A check across all files, the sessions loaded before
                    // included.
                    engine::missing_note(&loaded.usage)
                }
                None => outcome.missing_note,
            };
            if let Some(note) = missing_note {
                self.notes.push(Level::Warning, note);
            }
            self.ws.set_usage(loaded);
        }
        match outcome.recovered {
            Some(Ok(recovered)) => self.keep.offer_recovery(recovered),
            Some(Err(message)) => self.notes.push(
                Level::Warning,
                format!("The unsaved edits of the last session could not be read back: {message}"),
            ),
            None => {}
        }
    }
}

impl App {
    /// Opens a mapping form for each file of no known kind (and shows the
    /// Data view, where the forms are), and records the files read through
    /// a remembered mapping.
    fn take_mappings(&mut self, to_map: Vec<ToMap>, mapped: Vec<(PathBuf, String)>, replace: bool) {
        for m in to_map {
            self.notes.push(Level::Info, to_map_note(&m.path));
            let earlier = m.earlier.map(|r| (r.target, r.columns));
            self.mappings
                .open(MappingForm::new(m.path, m.preview, replace, earlier));
            self.prefs.view = View::Data;
        }
        for (path, signature) in mapped {
            self.mappings.forms.retain(|f| f.path != path);
            self.mappings.mapped.insert(path, signature);
        }
    }

    /// Remembers the mapping of the form of `path` for its header
    /// signature, and imports the file again through it.
    pub(super) fn apply_mapping(&mut self, ctx: &egui::Context, path: &Path) {
        let Some(form) = self.mappings.form_mut(path) else {
            return;
        };
        if let Some(why) = form.lacks() {
            self.notes.push(Level::Warning, why);
            return;
        }
        let Some(form) = self.mappings.take(path) else {
            return;
        };
        self.forget_to_map_note(path);
        let remembered = RememberedColumns {
            target: form.target,
            columns: form.chosen(),
            chosen_on: self.today(),
        };
        self.prefs
            .column_maps
            .insert(form.preview.signature.clone(), remembered);
        let mode = if form.replace {
            ImportMode::Replace
        } else {
            ImportMode::Add
        };
        self.start_import(ctx, vec![form.path], mode);
    }

    /// Dismisses the note that asked for the columns of `path` (its form
    /// is closed).
    pub(super) fn forget_to_map_note(&mut self, path: &Path) {
        let text = to_map_note(path);
        let ids: Vec<u64> = self
            .notes
            .items()
            .iter()
            .filter(|n| n.text == text)
            .map(|n| n.id)
            .collect();
        for id in ids {
            self.notes.dismiss(id);
        }
    }

    /// Forgets the mapping remembered for `signature`: files with that
    /// header are asked about again the next time they are read.
    pub(super) fn forget_mapping(&mut self, signature: &str) {
        if self.prefs.column_maps.remove(signature).is_none() {
            return;
        }
        let files: Vec<String> = self
            .mappings
            .mapped
            .iter()
            .filter(|(_, s)| s.as_str() == signature)
            .map(|(p, _)| mapping::file_name(p))
            .collect();
        self.notes.push(
            Level::Info,
            format!(
                "The column mapping of {} is forgotten; the data read with it stays loaded until the file is read again, which asks for the columns again.",
                if files.is_empty() {
                    "those files".to_owned()
                } else {
                    files.join(", ")
                }
            ),
        );
    }
}

/// The note that sends the user to the mapping form of `path`.
fn to_map_note(path: &Path) -> String {
    format!(
        "{}: its columns are of no known kind; say which column is which in the Data view.",
        mapping::file_name(path)
    )
}

/// What a load job reads: the sources, the scenario that comes with them,
/// the recovery file of an earlier run's unsaved edits, and the column
/// mappings remembered.
pub struct LoadRequest {
    /// The data, in import order.
    pub sources: Vec<Source>,
    /// The scenario loaded with it.
    pub scenario: ScenarioSource,
    /// The recovery file to read back, when there is one.
    pub recovery: Option<PathBuf>,
    /// Column mappings chosen before, by header signature.
    pub remembered: Remembered,
}

/// The work of a load job (`App::start_load`): the scenario, then each
/// source imported in turn into one usage (a file that fails adds
/// nothing), and the recovery file read back.
pub fn load(request: LoadRequest, progress: &dyn Progress) -> ImportOutcome {
    let LoadRequest {
        sources,
        scenario,
        recovery,
        remembered,
    } = request;
    let (loaded, keep) = match scenario {
        ScenarioSource::File(path) => (
            Some(engine::load_scenario(&path).map(|s| (s, Some(path)))),
            None,
        ),
        ScenarioSource::Sample => (Some(engine::sample_scenario().map(|s| (s, None))), None),
        ScenarioSource::Current(s) => (None, Some(*s)),
    };
    let in_force = keep.as_ref().or(loaded
        .as_ref()
        .and_then(|l| l.as_ref().ok())
        .map(|(s, _)| s));
    let mut failures = Vec::new();
    let mut missing_note = None;
    let mut mapping = MappingOutcome::default();
    let usage = in_force.map(|s| {
        let base = match sources.contains(&Source::Sample) {
            true => sample(s),
            false => Loaded::default(),
        };
        let files: Vec<PathBuf> = sources
            .iter()
            .filter_map(|s| match s {
                Source::File(p) => Some(p.clone()),
                Source::Sample => None,
            })
            .collect();
        let options = import_options(Some(s));
        let files = Files {
            paths: &files,
            options: &options,
            remembered: &remembered,
        };
        let (loaded, note) = import_into(base, &files, progress, &mut failures, &mut mapping);
        missing_note = note;
        loaded
    });
    ImportOutcome {
        scenario: loaded,
        usage,
        appends_to: None,
        new_from: 0,
        missing_note,
        failures,
        recovered: recovery.as_deref().and_then(keep::read_recovery),
        to_map: mapping.to_map,
        mapped: mapping.mapped,
        replace_pending: false,
    }
}

/// The bundled sample data under `scenario`, as a source.
fn sample(scenario: &Scenario) -> Loaded {
    let (usage, reports) = engine::sample_usage(scenario);
    Loaded {
        report_sources: vec![0; reports.len()],
        usage,
        reports,
        sources: vec![Source::Sample],
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

/// The files of an import and how to read them.
struct Files<'a> {
    paths: &'a [PathBuf],
    options: &'a ImportOptions,
    /// Column mappings chosen before, by header signature.
    remembered: &'a Remembered,
}

/// What an import did about tables of no known kind.
#[derive(Default)]
struct MappingOutcome {
    /// Files whose columns the user is to name.
    to_map: Vec<ToMap>,
    /// Files read through a remembered mapping, with their signature.
    mapped: Vec<(PathBuf, String)>,
}

/// What is loaded when files are added to it.
struct Base {
    usage: Arc<Usage>,
    reports: Vec<Report>,
    sources: Vec<Source>,
    report_sources: Vec<usize>,
}

/// What an import job read: the usage (with its sources and reports), the
/// usage whose sessions come before its own (see
/// [`ImportOutcome::appends_to`]), the note on users missing from the
/// directory, the files that failed and the files to map.
type Imported = (
    Loaded,
    Option<Arc<Usage>>,
    Option<String>,
    Vec<String>,
    MappingOutcome,
);

/// Imports `files` on top of `base` without copying its sessions: into a
/// copy of everything else ([`Usage::clone_without_sessions`]: the new
/// files' names get the ids they would get in the whole), their sessions
/// appended to `base`'s when the import is taken. While an alias table is
/// loaded, or when the new files bring one, an import renames the users
/// of the sessions loaded before too: then the files are read into a copy
/// of the whole usage, as they always were.
fn import_onto(base: Base, files: &Files<'_>, progress: &dyn Progress) -> Imported {
    let whole = |base: Base| {
        let (mut failures, mut mapping) = (Vec::new(), MappingOutcome::default());
        let loaded = Loaded {
            usage: (*base.usage).clone(),
            reports: base.reports,
            sources: base.sources,
            report_sources: base.report_sources,
        };
        let (loaded, note) = import_into(loaded, files, progress, &mut failures, &mut mapping);
        (loaded, None, note, failures, mapping)
    };
    if !base.usage.aliases.is_empty() {
        return whole(base);
    }
    let (mut failures, mut mapping) = (Vec::new(), MappingOutcome::default());
    let rest = Loaded {
        usage: base.usage.clone_without_sessions(),
        reports: base.reports.clone(),
        sources: base.sources.clone(),
        report_sources: base.report_sources.clone(),
    };
    let (loaded, _) = import_into(rest, files, progress, &mut failures, &mut mapping);
    if !loaded.usage.aliases.is_empty() {
        drop(loaded);
        return whole(base);
    }
    // The note is made once the sessions are joined.
    (loaded, Some(base.usage), None, failures, mapping)
}

/// Puts the sessions of `base` before those of `usage` (imported by
/// [`import_onto`]): moved when nothing else holds `base`, else copied.
fn join(base: Arc<Usage>, usage: &mut Usage) {
    let before = match Arc::try_unwrap(base) {
        Ok(base) => base.sessions,
        Err(shared) => shared.sessions.clone(),
    };
    let added = std::mem::replace(&mut usage.sessions, before);
    usage.sessions.append(added);
}

/// Imports each of `files` into `loaded` on its own, in order
/// ([`engine::import_files`], a file that fails adds nothing): each file
/// kept becomes a source with its report; the files that fail are listed
/// in `failures`. A table of no known kind is read through the mapping
/// remembered for its header, or else listed in `mapping` for a form.
/// Also returns the note on users missing from the directory.
fn import_into(
    mut loaded: Loaded,
    files: &Files<'_>,
    progress: &dyn Progress,
    failures: &mut Vec<String>,
    mapping: &mut MappingOutcome,
) -> (Loaded, Option<String>) {
    if files.paths.is_empty() {
        return (loaded, None);
    }
    for path in files.paths {
        let one = std::slice::from_ref(path);
        let mut imported = engine::import_files(&mut loaded.usage, one, files.options, progress);
        let unknown = imported
            .files
            .first()
            .is_some_and(|f| matches!(f.outcome, Err(ImportError::Unrecognised { .. })));
        let preview = unknown
            .then(|| engine::preview(path, files.options, PREVIEW_ROWS).ok())
            .flatten()
            .filter(|p| p.mappable);
        if let Some(preview) = preview {
            let Some(chosen) = files.remembered.get(&preview.signature) else {
                mapping.to_map.push(ToMap {
                    path: path.clone(),
                    preview,
                    earlier: None,
                });
                continue;
            };
            let options = chosen.target.options(&chosen.columns, files.options);
            imported = engine::import_files(&mut loaded.usage, one, &options, progress);
            if imported.any_kept() {
                mapping.mapped.push((path.clone(), preview.signature));
            } else {
                // The remembered mapping does not read this file: say why
                // and ask again, its picks kept.
                mapping.to_map.push(ToMap {
                    path: path.clone(),
                    preview,
                    earlier: Some(chosen.clone()),
                });
            }
        }
        for file in imported.files {
            match file.outcome {
                Ok(report) if file.kept => {
                    loaded.report_sources.push(loaded.sources.len());
                    loaded.sources.push(Source::File(file.path));
                    loaded.reports.push(report);
                }
                Ok(report) => failures.push(problem_summary(&report)),
                Err(e) => failures.push(engine::error_chain(&e)),
            }
        }
    }
    // Once, over everything read: a check across files.
    let note = engine::missing_note(&loaded.usage);
    (loaded, note)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    fn data(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name)
    }

    /// `files` imported one by one into one usage, as a load does.
    fn all_at_once(files: &[PathBuf]) -> (Loaded, Option<String>) {
        let remembered = Remembered::new();
        let options = ImportOptions::default();
        let files = Files {
            paths: files,
            options: &options,
            remembered: &remembered,
        };
        let (mut failures, mut mapping) = (Vec::new(), MappingOutcome::default());
        let out = import_into(
            Loaded::default(),
            &files,
            &NoProgress,
            &mut failures,
            &mut mapping,
        );
        assert!(failures.is_empty(), "{failures:?}");
        out
    }

    /// `first` loaded, then `added` added to it as the app adds files
    /// (the sessions loaded shared, not copied, then joined).
    fn added(first: &[PathBuf], added: &[PathBuf]) -> (Usage, bool, Option<String>) {
        let (loaded, _) = all_at_once(first);
        let base = Base {
            usage: Arc::new(loaded.usage),
            reports: loaded.reports,
            sources: loaded.sources,
            report_sources: loaded.report_sources,
        };
        let remembered = Remembered::new();
        let options = ImportOptions::default();
        let files = Files {
            paths: added,
            options: &options,
            remembered: &remembered,
        };
        let (mut loaded, appends_to, note, failures, _) = import_onto(base, &files, &NoProgress);
        assert!(failures.is_empty(), "{failures:?}");
        let shared = appends_to.is_some();
        let note = match appends_to {
            Some(base) => {
                join(base, &mut loaded.usage);
                engine::missing_note(&loaded.usage)
            }
            None => note,
        };
        (loaded.usage, shared, note)
    }

    /// Names, sessions, directory and aliases: what must not differ.
    fn same(a: &Usage, b: &Usage) {
        let names = |u: &Usage| -> Vec<String> {
            (0..u.users.len() as u32)
                .map(|i| u.users.name(i).to_string())
                .collect()
        };
        assert_eq!(names(a), names(b));
        assert!(a.features.names().eq(b.features.names()));
        assert!(a.hosts.names().eq(b.hosts.names()));
        assert!(a.sessions.iter().eq(b.sessions.iter()));
        assert_eq!(a.directory, b.directory);
        assert_eq!(a.aliases, b.aliases);
    }

    #[test]
    fn files_added_give_the_usage_of_all_files_read_together() {
        let sessions = data("gui/good_sessions.csv");
        let log = data("ibm_tlstok.log");
        let directory = data("gui/directory.csv");
        let (whole, whole_note) = all_at_once(&[sessions.clone(), log.clone(), directory.clone()]);
        let (usage, shared, note) = added(std::slice::from_ref(&sessions), &[log, directory]);
        // No alias table: the sessions loaded were shared, then joined.
        assert!(shared);
        assert!(usage.sessions.len() > whole.usage.sessions.len() / 2);
        same(&usage, &whole.usage);
        assert_eq!(note, whole_note);
    }

    #[test]
    fn an_alias_table_added_renames_the_sessions_loaded_before_too() {
        let dir = std::env::temp_dir().join(format!("tokenplan-add-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sessions = dir.join("sessions.csv");
        std::fs::write(
            &sessions,
            "user,feature,start,end\n\
             jdoe,ACD,2025-01-06 09:00,2025-01-06 10:00\n\
             ann,ACD,2025-01-06 09:00,2025-01-06 10:00\n\
             john.doe@corp.com,RVT,2025-01-07 09:00,2025-01-07 10:00\n",
        )
        .unwrap();
        let aliases = data("inputs/aliases.csv");
        let (whole, _) = all_at_once(&[sessions.clone(), aliases.clone()]);
        let (usage, shared, _) = added(std::slice::from_ref(&sessions), &[aliases]);
        // The table renames a user of the sessions loaded: read onto a copy.
        assert!(!shared);
        same(&usage, &whole.usage);
        // jdoe is john.doe@corp.com now: two users, not three.
        let users: std::collections::BTreeSet<u32> =
            usage.sessions.iter().map(|s| s.user).collect();
        assert_eq!(users.len(), 2);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
