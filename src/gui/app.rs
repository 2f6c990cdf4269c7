//! The [`App`]: dispatch only. `logic()` polls the background jobs, starts
//! metering when an input changed and rebuilds derived data; `ui()` draws
//! the views from cached data and then applies the [`Command`]s they
//! emitted (file dialogs, file I/O, job starts).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::command::{Command, Commands, JobKind};
use super::compare::{self, CompareOutcome, Comparison, Side};
use super::derived::{Charges, DataSummary, ScenarioCheck};
use super::engine;
use super::insights_data::Insights;
use super::jobs::JobSlot;
use super::notify::{Level, Notification, Notifications};
use super::plan::{self, PlanKey, PlanOutcome, PlanResult, PlanSource, PlanUi};
use super::pool_data::PoolData;
use super::portal;
use super::prefs::{Prefs, STORAGE_KEY, ScenarioTab, Theme, View};
use super::prompt::{self, PathPrompt, PathPurpose};
use super::views::{self, frame};
use super::workspace::{Origin, Workspace};
use crate::ingest::{ImportOptions, Report};
use crate::meter::Metered;
use crate::progress::Progress;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// How the app starts.
#[derive(Clone, Debug, Default)]
pub struct AppOptions {
    /// Input files to import; the bundled sample data when empty.
    pub files: Vec<PathBuf>,
    /// Scenario file to load; the sample scenario when `None`.
    pub scenario: Option<PathBuf>,
    /// Read and write preferences in eframe's storage (off in tests, so runs
    /// repeat whatever was saved before).
    pub use_storage: bool,
}

/// Which scenario a load job brings.
enum ScenarioSource {
    /// The bundled sample scenario.
    Sample,
    /// This file.
    File(PathBuf),
    /// The one being edited (kept as it is).
    Current(Box<Scenario>),
}

/// What an import job produced.
pub struct ImportOutcome {
    /// A scenario loaded with the data (at start), or why it failed.
    pub scenario: Option<Result<(Scenario, Option<PathBuf>), String>>,
    /// The new usage with its reports and origin; `None` when nothing new
    /// was imported (the previous data stays).
    pub usage: Option<ImportedUsage>,
    /// Files that could not be imported at all, with the cause.
    pub failures: Vec<String>,
}

/// Usage an import job made.
pub struct ImportedUsage {
    /// Everything imported, the data loaded before included.
    pub usage: Usage,
    /// One report per imported source, in import order.
    pub reports: Vec<Report>,
    /// Where it came from.
    pub origin: Origin,
    /// Users with usage but no row in the user directory, in words.
    pub missing_note: Option<String>,
}

/// What a metering job produced: the engine's result and the charts and
/// tables derived from it (built on the worker, not in a frame).
pub type MeterOutcome = Result<(Metered, Charges), String>;

/// What a Size job produced: the Pool view's data, built on the worker.
pub type SizeOutcome = Result<PoolData, String>;

/// What an Audit job produced: the Insights view's data, built on the worker.
pub type AuditOutcome = Result<Insights, String>;

/// The desktop app.
pub struct App {
    prefs: Prefs,
    use_storage: bool,
    ws: Workspace,
    // Derived data, each with the revision it was built from.
    charges: Option<(u64, Charges)>,
    data: DataSummary,
    data_rev: Option<u64>,
    check: ScenarioCheck,
    check_rev: Option<u64>,
    // Runtime.
    import: JobSlot<ImportOutcome>,
    meter: JobSlot<MeterOutcome>,
    /// The input revision the last metering job was started for.
    meter_requested: Option<u64>,
    size: JobSlot<SizeOutcome>,
    /// The input revision the last Size job was started for.
    size_requested: Option<u64>,
    /// The Pool view's data with the input revision it was computed for.
    pool: Option<(u64, PoolData)>,
    size_error: Option<String>,
    audit: JobSlot<AuditOutcome>,
    /// The input revision the last Audit job was started for.
    audit_requested: Option<u64>,
    /// The Insights view's data with the input revision it was computed for.
    insights: Option<(u64, Insights)>,
    audit_error: Option<String>,
    plan: JobSlot<PlanOutcome>,
    /// The input revision the last plan job was started for.
    plan_requested: Option<u64>,
    /// The plan shown, with the input revision it was made for.
    planned: Option<(u64, PlanResult)>,
    /// Goes up with every plan shown, so the table rows are rebuilt.
    plan_serial: u64,
    /// Plans whose input was built from metering (not reused).
    plan_inputs_built: u64,
    /// The picks of the Crossover and Mix views.
    plan_ui: PlanUi,
    /// Side A of the comparison: the pinned baseline (`None`: the scenario
    /// being edited).
    compare_a: Option<Side>,
    /// Side B: a loaded file (`None`: the scenario being edited).
    compare_b: Option<Side>,
    /// Goes up whenever a side is pinned, loaded or cleared.
    compare_rev: u64,
    compare: JobSlot<CompareOutcome>,
    /// Reports planned by compare jobs, reused while a side is unchanged.
    compare_reports: compare::Reports,
    /// The comparison revision the last compare job was started for.
    compare_requested: Option<u64>,
    /// The comparison shown, with the revision it was made for.
    compared: Option<(u64, Comparison)>,
    compare_error: Option<String>,
    /// The open path prompt.
    prompt: Option<PathPrompt>,
    notes: Notifications,
    cmds: Commands,
    theme_applied: Option<Theme>,
}

impl App {
    /// Creates the app and starts loading its data in the background.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let prefs = match (options.use_storage, cc.storage) {
            (true, Some(storage)) => eframe::get_value(storage, STORAGE_KEY).unwrap_or_default(),
            _ => Prefs::default(),
        };
        let mut app = App {
            prefs,
            use_storage: options.use_storage,
            ws: Workspace::default(),
            charges: None,
            data: DataSummary::default(),
            data_rev: None,
            check: ScenarioCheck::default(),
            check_rev: None,
            import: JobSlot::default(),
            meter: JobSlot::default(),
            meter_requested: None,
            size: JobSlot::default(),
            size_requested: None,
            pool: None,
            size_error: None,
            audit: JobSlot::default(),
            audit_requested: None,
            insights: None,
            audit_error: None,
            plan: JobSlot::default(),
            plan_requested: None,
            planned: None,
            plan_serial: 0,
            plan_inputs_built: 0,
            plan_ui: PlanUi::default(),
            compare_a: None,
            compare_b: None,
            compare_rev: 0,
            compare: JobSlot::default(),
            compare_reports: compare::Reports::default(),
            compare_requested: None,
            compared: None,
            compare_error: None,
            prompt: None,
            notes: Notifications::default(),
            cmds: Commands::default(),
            theme_applied: None,
        };
        portal::start_check();
        let scenario = options
            .scenario
            .map_or(ScenarioSource::Sample, ScenarioSource::File);
        app.start_load(&cc.egui_ctx, options.files, scenario);
        app
    }

    /// The domain state.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// The charges shown, when metering has run.
    pub fn charges(&self) -> Option<&Charges> {
        self.charges.as_ref().map(|(_, c)| c)
    }

    /// The notifications shown.
    pub fn notifications(&self) -> &[Notification] {
        self.notes.items()
    }

    /// True while a background job runs, or the scenario awaits validation,
    /// or metering, planning, sizing, the audit or the comparison is due.
    pub fn is_busy(&self) -> bool {
        // An edit applied after the last frame is validated in the next
        // one, and only then can metering be seen to be due.
        self.check_rev != Some(self.ws.scenario_rev)
            || self.import.is_running()
            || self.meter.is_running()
            || self.metering_due()
            || self.size.is_running()
            || self.audit.is_running()
            || self.sizing_due()
            || self.audit_due()
            || self.plan.is_running()
            || self.plan_source().is_some()
            || self.compare.is_running()
            || self.compare_due()
    }

    /// The comparison shown in the Scenario view's Compare tab, when one
    /// was made (it may be of older inputs: see
    /// [`App::comparison_is_current`]).
    pub fn comparison(&self) -> Option<&Comparison> {
        self.compared.as_ref().map(|(_, c)| c)
    }

    /// True when the comparison shown was made from the current sides and
    /// usage.
    pub fn comparison_is_current(&self) -> bool {
        self.compared.as_ref().map(|(rev, _)| *rev) == Some(self.compare_rev_now())
    }

    /// The Pool view's data, when sizing has run.
    pub fn pool_data(&self) -> Option<&PoolData> {
        self.pool.as_ref().map(|(_, p)| p)
    }

    /// The Insights view's data, when the audit has run.
    pub fn insights(&self) -> Option<&Insights> {
        self.insights.as_ref().map(|(_, i)| i)
    }

    /// The plan shown, when one was made (it may be of older inputs: see
    /// [`App::plan_is_current`]).
    pub fn plan(&self) -> Option<&PlanResult> {
        self.planned.as_ref().map(|(_, p)| p)
    }

    /// True when the plan shown was made from the current inputs.
    pub fn plan_is_current(&self) -> bool {
        self.planned.as_ref().map(|(rev, _)| *rev) == Some(self.ws.input_rev())
    }

    /// How many plans built the planner's input from a metering result; a
    /// plan after a token-price-only edit reuses the last one's.
    pub fn plan_inputs_built(&self) -> u64 {
        self.plan_inputs_built
    }

    /// Queues `command` as if a view had emitted it; applied after the next
    /// frame (tests give file paths this way instead of a dialog).
    pub fn push_command(&mut self, command: Command) {
        self.cmds.push(command);
    }

    /// The open path prompt.
    pub fn path_prompt(&self) -> Option<&PathPrompt> {
        self.prompt.as_ref()
    }

    /// The preferences.
    pub fn prefs(&self) -> &Prefs {
        &self.prefs
    }

    /// Loads data and a scenario together, in the background: at start, and
    /// when going back to the sample data.
    fn start_load(&mut self, ctx: &egui::Context, files: Vec<PathBuf>, scenario: ScenarioSource) {
        let work = move |progress: &super::jobs::JobProgress| {
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
        if let Err(e) = self
            .import
            .start(ctx, "Loading data", self.ws.usage_rev, work)
        {
            self.notes.push(
                Level::Error,
                format!("Cannot start loading: {}", engine::error_chain(&e)),
            );
        }
    }

    /// Imports `paths` on top of what is loaded (replacing the sample data).
    fn start_import(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
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
        let work = move |progress: &super::jobs::JobProgress| {
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
        if self.import.is_running() {
            self.notes.push(
                Level::Warning,
                "An import was still running; it was cancelled by the new one.",
            );
        }
        if let Err(e) = self
            .import
            .start(ctx, "Importing files", self.ws.usage_rev, work)
        {
            self.notes.push(
                Level::Error,
                format!("Cannot start the import: {}", engine::error_chain(&e)),
            );
        }
    }

    fn metering_due(&self) -> bool {
        self.ws.scenario.is_some()
            && self.check_rev == Some(self.ws.scenario_rev)
            && self.check.is_ok()
            && !self.import.is_running()
            && self.meter_requested != Some(self.ws.input_rev())
    }

    fn start_meter(&mut self, ctx: &egui::Context) {
        let Some(scenario) = self.ws.scenario.clone() else {
            return;
        };
        let rev = self.ws.input_rev();
        self.meter_requested = Some(rev);
        let usage = Arc::clone(&self.ws.usage);
        let work = move |progress: &super::jobs::JobProgress| {
            let metered = engine::meter(&usage, &scenario, progress)?;
            let charges = Charges::build(&metered, Some(&scenario));
            Ok((metered, charges))
        };
        if let Err(e) = self.meter.start(ctx, "Metering", rev, work) {
            self.notes.push(
                Level::Error,
                format!("Cannot start metering: {}", engine::error_chain(&e)),
            );
        }
    }

    fn sizing_due(&self) -> bool {
        self.ws.current_metered().is_some() && self.size_requested != Some(self.ws.input_rev())
    }

    fn audit_due(&self) -> bool {
        self.ws.current_metered().is_some() && self.audit_requested != Some(self.ws.input_rev())
    }

    /// Sizes the token pool for the current metering, in the background.
    fn start_size(&mut self, ctx: &egui::Context) {
        let (Some(scenario), Some(metered)) =
            (self.ws.scenario.clone(), self.ws.current_metered().cloned())
        else {
            return;
        };
        let rev = self.ws.input_rev();
        self.size_requested = Some(rev);
        let usage = Arc::clone(&self.ws.usage);
        let work = move |progress: &super::jobs::JobProgress| {
            let sized = engine::size_tokens(&usage, &scenario, &metered, progress)?;
            Ok(PoolData::build(sized, &scenario.currency))
        };
        if let Err(e) = self.size.start(ctx, "Sizing", rev, work) {
            self.notes.push(
                Level::Error,
                format!("Cannot start sizing: {}", engine::error_chain(&e)),
            );
        }
    }

    /// What a plan job for the current inputs would start from, when one
    /// is due and can start: the last plan's input when only the token
    /// price changed since (no need to wait for metering), otherwise the
    /// metering result of the current inputs.
    fn plan_source(&self) -> Option<(PlanKey, PlanSource)> {
        let scenario = self.ws.scenario.as_ref()?;
        if self.plan_requested == Some(self.ws.input_rev())
            || self.import.is_running()
            || self.check_rev != Some(self.ws.scenario_rev)
            || !self.check.is_ok()
        {
            return None;
        }
        let key = PlanKey::new(self.ws.usage_rev, scenario);
        if let Some((_, last)) = &self.planned
            && last.key == key
        {
            return Some((key, PlanSource::Reuse(Arc::clone(&last.planned.input))));
        }
        let metered = self.ws.current_metered()?;
        Some((key, PlanSource::Metered(Arc::clone(metered))))
    }

    /// The revision of everything a comparison reads: its sides and the
    /// inputs (both counters only go up, so the sum changes with either).
    fn compare_rev_now(&self) -> u64 {
        self.compare_rev + self.ws.input_rev()
    }

    /// The two sides to compare, when the user chose at least one; the
    /// scenario being edited stands in for the side not chosen.
    fn compare_sides(&self) -> Option<(Side, Side)> {
        if self.compare_a.is_none() && self.compare_b.is_none() {
            return None;
        }
        let edited = || {
            self.ws.scenario.as_ref().map(|s| Side {
                label: format!("{} (being edited)", s.name),
                scenario: s.clone(),
            })
        };
        let a = self.compare_a.clone().or_else(edited)?;
        let b = self.compare_b.clone().or_else(edited)?;
        Some((a, b))
    }

    fn compare_due(&self) -> bool {
        let uses_edited = self.compare_a.is_none() || self.compare_b.is_none();
        (self.compare_a.is_some() || self.compare_b.is_some())
            && self.compare_requested != Some(self.compare_rev_now())
            && !self.import.is_running()
            && (!uses_edited
                || (self.ws.scenario.is_some()
                    && self.check_rev == Some(self.ws.scenario_rev)
                    && self.check.is_ok()))
    }

    /// Plans both sides of the comparison over the loaded usage.
    fn start_compare(&mut self, ctx: &egui::Context) {
        let Some((a, b)) = self.compare_sides() else {
            return;
        };
        let rev = self.compare_rev_now();
        self.compare_requested = Some(rev);
        let usage = Arc::clone(&self.ws.usage);
        let reports = self.compare_reports.clone();
        let work = move |progress: &super::jobs::JobProgress| {
            compare::run(&usage, &a, &b, &reports, progress)
        };
        if let Err(e) = self.compare.start(ctx, "Comparing", rev, work) {
            self.notes.push(
                Level::Error,
                format!("Cannot start the comparison: {}", engine::error_chain(&e)),
            );
        }
    }

    /// Changes a side of the comparison: the one shown is of the old sides.
    fn compare_changed(&mut self) {
        self.compare_rev += 1;
        self.compare_error = None;
        if self.compare_a.is_none() && self.compare_b.is_none() {
            self.compare.cancel();
            self.compared = None;
        }
    }

    fn start_plan(&mut self, ctx: &egui::Context, key: PlanKey, source: PlanSource) {
        let Some(scenario) = self.ws.scenario.clone() else {
            return;
        };
        let rev = self.ws.input_rev();
        self.plan_requested = Some(rev);
        let usage = Arc::clone(&self.ws.usage);
        let work = move |_: &super::jobs::JobProgress| plan::run(key, source, &usage, &scenario);
        if let Err(e) = self.plan.start(ctx, "Planning", rev, work) {
            self.notes.push(
                Level::Error,
                format!("Cannot start planning: {}", engine::error_chain(&e)),
            );
        }
    }

    /// Runs the monitoring views and what-ifs for the current metering.
    fn start_audit(&mut self, ctx: &egui::Context) {
        let (Some(scenario), Some(metered)) =
            (self.ws.scenario.clone(), self.ws.current_metered().cloned())
        else {
            return;
        };
        let rev = self.ws.input_rev();
        self.audit_requested = Some(rev);
        let usage = Arc::clone(&self.ws.usage);
        let work = move |progress: &super::jobs::JobProgress| {
            let report = engine::audit(&usage, &scenario, &metered, progress)?;
            Ok(Insights::build(&report))
        };
        if let Err(e) = self.audit.start(ctx, "Auditing", rev, work) {
            self.notes.push(
                Level::Error,
                format!("Cannot start the audit: {}", engine::error_chain(&e)),
            );
        }
    }

    fn poll_analysis_jobs(&mut self) {
        let rev = self.ws.input_rev();
        if let Some(done) = self.size.take_finished() {
            match done {
                // Inputs changed while it ran: a newer job follows; drop this one.
                Ok((r, _)) if r != rev => {}
                Ok((r, Ok(data))) => {
                    self.pool = Some((r, data));
                    self.size_error = None;
                }
                Ok((_, Err(message))) => self.size_error = Some(message),
                Err(message) => self.notes.push(Level::Error, message),
            }
        }
        if let Some(done) = self.audit.take_finished() {
            match done {
                Ok((r, _)) if r != rev => {}
                Ok((r, Ok(data))) => {
                    self.insights = Some((r, data));
                    self.audit_error = None;
                }
                Ok((_, Err(message))) => self.audit_error = Some(message),
                Err(message) => self.notes.push(Level::Error, message),
            }
        }
    }

    fn poll_jobs(&mut self) {
        self.poll_analysis_jobs();
        if let Some(done) = self.compare.take_finished() {
            match done {
                // The sides or inputs changed while it ran: a newer job follows.
                Ok((rev, _)) if rev != self.compare_rev_now() => {}
                Ok((rev, Ok(comparison))) => {
                    self.compared = Some((rev, comparison));
                    self.compare_error = None;
                }
                Ok((_, Err(message))) => self.compare_error = Some(message),
                Err(message) => self.notes.push(Level::Error, message),
            }
        }
        if let Some(done) = self.plan.take_finished() {
            match done {
                // Inputs changed while it ran: a newer job follows; drop this one.
                Ok((rev, _)) if rev != self.ws.input_rev() => {}
                Ok((rev, Ok(result))) => {
                    self.plan_inputs_built += u64::from(!result.reused_input);
                    self.plan_serial += 1;
                    self.planned = Some((rev, result));
                }
                Ok((_, Err(message))) => self
                    .notes
                    .push(Level::Error, format!("Planning failed: {message}")),
                Err(message) => self.notes.push(Level::Error, message),
            }
        }

        if let Some(done) = self.import.take_finished() {
            match done {
                Ok((_, outcome)) => self.apply_import(outcome),
                Err(message) => self.notes.push(Level::Error, message),
            }
        }
        if let Some(done) = self.meter.take_finished() {
            match done {
                // Inputs changed while it ran: a newer job follows; drop this one.
                Ok((rev, _)) if rev != self.ws.input_rev() => {}
                Ok((rev, Ok((metered, charges)))) => {
                    self.ws.metered = Some((rev, Arc::new(metered)));
                    self.charges = Some((rev, charges));
                }
                Ok((_, Err(message))) => self
                    .notes
                    .push(Level::Error, format!("Metering failed: {message}")),
                Err(message) => self.notes.push(Level::Error, message),
            }
        }
    }

    fn apply_import(&mut self, outcome: ImportOutcome) {
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

    /// Rebuilds what depends on a changed input.
    fn refresh_derived(&mut self, ctx: &egui::Context) {
        if self.data_rev != Some(self.ws.usage_rev) {
            self.data = DataSummary::build(&self.ws.reports, &self.ws.usage, &self.data.filter);
            self.data_rev = Some(self.ws.usage_rev);
        }
        if self.check_rev != Some(self.ws.scenario_rev) {
            self.check = match &self.ws.scenario {
                Some(s) => ScenarioCheck::build(s),
                None => ScenarioCheck::default(),
            };
            self.check_rev = Some(self.ws.scenario_rev);
        }
        if self.metering_due() {
            self.start_meter(ctx);
        }
        if let Some((key, source)) = self.plan_source() {
            self.start_plan(ctx, key, source);
        }
        if let Some((_, p)) = &self.planned {
            self.plan_ui.refresh(self.plan_serial, &p.data);
        }
        if self.sizing_due() {
            self.start_size(ctx);
        }
        if self.audit_due() {
            self.start_audit(ctx);
        }
        if self.compare_due() {
            self.start_compare(ctx);
        }
    }

    fn apply_theme(&mut self, ctx: &egui::Context) {
        if self.theme_applied != Some(self.prefs.theme) {
            ctx.set_theme(match self.prefs.theme {
                Theme::System => egui::ThemePreference::System,
                Theme::Light => egui::ThemePreference::Light,
                Theme::Dark => egui::ThemePreference::Dark,
            });
            self.theme_applied = Some(self.prefs.theme);
        }
    }

    fn handle_input(&mut self, ctx: &egui::Context) {
        let (open, save, dropped) = ctx.input_mut(|i| {
            let open = i.consume_shortcut(&frame::OPEN);
            let save = i.consume_shortcut(&frame::SAVE);
            let dropped: Vec<PathBuf> = i
                .raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .collect();
            (open, save, dropped)
        });
        if open {
            self.cmds.push(Command::OpenFilesDialog);
        }
        if save {
            self.cmds.push(Command::SaveScenario);
        }
        if !dropped.is_empty() {
            self.cmds.push(Command::ImportFiles(dropped));
        }
    }

    /// Applies the commands of the frame.
    fn apply_commands(&mut self, ctx: &egui::Context) {
        for command in self.cmds.take() {
            self.apply(ctx, command);
        }
    }

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::OpenFilesDialog => self.choose_paths(ctx, PathPurpose::OpenUsage),
            Command::ImportFiles(paths) => self.start_import(ctx, paths),
            Command::LoadSample => {
                let scenario = self
                    .ws
                    .scenario
                    .clone()
                    .map_or(ScenarioSource::Sample, |s| {
                        ScenarioSource::Current(Box::new(s))
                    });
                self.start_load(ctx, Vec::new(), scenario);
            }
            Command::OpenScenarioDialog => self.choose_paths(ctx, PathPurpose::OpenScenario),
            Command::LoadScenario(path) => self.load_scenario(&path),
            Command::SaveScenario => match self.ws.scenario_path.clone() {
                Some(path) => self.save_scenario(&path),
                None => self.apply(ctx, Command::SaveScenarioAs),
            },
            Command::SaveScenarioAs => {
                if self.ws.scenario.is_some() {
                    self.choose_paths(ctx, PathPurpose::SaveScenario);
                }
            }
            Command::ScenarioEdited => self.ws.scenario_edited(),
            Command::CancelJob(JobKind::Import) => {
                self.import.cancel();
                self.notes.push(
                    Level::Info,
                    "Import cancelled; the data loaded before is kept.",
                );
            }
            Command::CancelJob(JobKind::Meter) => {
                self.meter.cancel();
                self.notes.push(
                    Level::Info,
                    "Metering cancelled; the charges shown are from before. Edit the scenario or use Recompute to run it again.",
                );
            }
            Command::CancelJob(JobKind::Size) => {
                self.size.cancel();
                self.notes.push(
                    Level::Info,
                    "Sizing cancelled; the Pool view shows the last finished sizing. Use Recompute to run it again.",
                );
            }
            Command::CancelJob(JobKind::Audit) => {
                self.audit.cancel();
                self.notes.push(
                    Level::Info,
                    "Audit cancelled; the Insights view shows the last finished audit. Use Recompute to run it again.",
                );
            }
            Command::ShowInsights(tab) => self.prefs.insights_tab = tab,
            Command::Remeter => {
                self.meter_requested = None;
                self.size_requested = None;
                self.audit_requested = None;
            }
            Command::ShowView(view) => self.prefs.view = view,
            Command::FilterProblems(filter) => self.data.set_filter(&filter),
            Command::Dismiss(id) => self.notes.dismiss(id),
            Command::SetTheme(theme) => self.prefs.theme = theme,
            Command::ClearRecent => {
                self.prefs.recent_files.clear();
                self.prefs.recent_scenarios.clear();
            }
            Command::CancelJob(JobKind::Plan) => {
                self.plan.cancel();
                self.notes.push(
                    Level::Info,
                    "Planning cancelled; the plan shown is from before. Edit the scenario to plan again.",
                );
            }
            Command::ExportReassignment(path) => self.export_reassignment(path),
            Command::MapFeature { feature, product } => self.map_feature(&feature, &product),
            Command::ShowScenarioTab(tab) => self.prefs.scenario_tab = tab,
            Command::PinBaseline => {
                if let Some(s) = self.ws.scenario.clone() {
                    self.notes.push(
                        Level::Info,
                        format!(
                            "{} pinned as side A; the Compare tab of the Scenario view sets it against your next edits (or a file loaded as B).",
                            s.name
                        ),
                    );
                    self.compare_a = Some(Side {
                        label: format!("{} (pinned)", s.name),
                        scenario: s,
                    });
                    self.compare_changed();
                }
            }
            Command::OpenCompareDialog => self.choose_paths(ctx, PathPurpose::OpenCompare),
            Command::LoadCompareScenario(path) => self.load_compare(&path),
            Command::UseEditedAsB => {
                self.compare_b = None;
                self.compare_changed();
            }
            Command::ClearComparison => {
                self.compare_a = None;
                self.compare_b = None;
                self.compare_changed();
            }
            Command::SetTypePaths(on) => self.prefs.type_paths = on,
            Command::AskPath(purpose) => self.ask_path(purpose),
            Command::SubmitPath => self.submit_path(ctx),
            Command::CancelPath => self.prompt = None,
            Command::CancelJob(JobKind::Compare) => {
                self.compare.cancel();
                self.notes.push(
                    Level::Info,
                    "Comparison cancelled; pin or load a side again to compare.",
                );
            }
        }
    }

    /// Adds `feature`, exactly as spelled, to `product`'s feature patterns:
    /// an edit of the scenario like any other, so metering and planning run
    /// again and the scenario shows as modified until saved.
    fn map_feature(&mut self, feature: &str, product: &str) {
        let Some(scenario) = &mut self.ws.scenario else {
            return;
        };
        let Some(p) = scenario.products.get_mut(product) else {
            self.notes.push(
                Level::Warning,
                format!("{feature} not mapped: the scenario has no product {product} any more."),
            );
            return;
        };
        if !p.features.iter().any(|f| f == feature) {
            p.features.push(feature.to_owned());
        }
        let name = p.name.clone();
        self.ws.scenario_edited();
        self.notes.push(
            Level::Info,
            format!(
                "{feature} mapped to {product} ({name}); the scenario is modified: save it to keep the mapping."
            ),
        );
    }

    /// Writes the reassignment list of the plan shown, when it is of the
    /// current inputs, to `path` (asked for when `None`).
    fn export_reassignment(&mut self, path: Option<PathBuf>) {
        let Some((rev, _)) = &self.planned else {
            self.notes.push(
                Level::Warning,
                "No plan to export yet: it is made after metering.",
            );
            return;
        };
        if *rev != self.ws.input_rev() {
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
        let Some((_, plan)) = &self.planned else {
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
    fn choose_paths(&mut self, ctx: &egui::Context, purpose: PathPurpose) {
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
    fn ask_path(&mut self, purpose: PathPurpose) {
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
    fn submit_path(&mut self, ctx: &egui::Context) {
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

    /// Loads `path` as side B of the comparison.
    fn load_compare(&mut self, path: &Path) {
        match engine::load_scenario(path) {
            Ok(scenario) => {
                Prefs::remember(&mut self.prefs.recent_scenarios, path);
                let file = path.file_name().map_or_else(
                    || path.display().to_string(),
                    |f| f.to_string_lossy().into_owned(),
                );
                self.compare_b = Some(Side {
                    label: format!("{} ({file})", scenario.name),
                    scenario,
                });
                self.compare_changed();
            }
            Err(message) => self.notes.push(
                Level::Error,
                format!("Scenario B not loaded (the comparison is kept): {message}"),
            ),
        }
    }

    fn load_scenario(&mut self, path: &Path) {
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

    fn save_scenario(&mut self, path: &Path) {
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

    fn status(&self) -> frame::Status {
        let mut jobs = Vec::new();
        for (kind, job) in [
            (
                JobKind::Import,
                self.import
                    .running()
                    .map(|j| (j.label().to_owned(), j.fraction())),
            ),
            (
                JobKind::Meter,
                self.meter
                    .running()
                    .map(|j| (j.label().to_owned(), j.fraction())),
            ),
            (
                JobKind::Plan,
                self.plan
                    .running()
                    .map(|j| (j.label().to_owned(), j.fraction())),
            ),
            (
                JobKind::Compare,
                self.compare
                    .running()
                    .map(|j| (j.label().to_owned(), j.fraction())),
            ),
            (
                JobKind::Size,
                self.size
                    .running()
                    .map(|j| (j.label().to_owned(), j.fraction())),
            ),
            (
                JobKind::Audit,
                self.audit
                    .running()
                    .map(|j| (j.label().to_owned(), j.fraction())),
            ),
        ] {
            if let Some((label, fraction)) = job {
                jobs.push(frame::JobStatus {
                    kind,
                    label,
                    fraction,
                });
            }
        }
        frame::Status {
            jobs,
            sessions: self.data.sessions,
            users: self.data.users,
            total_tokens: self.charges().map(|c| c.total_tokens),
            stale: self.is_stale(),
        }
    }

    fn is_stale(&self) -> bool {
        self.charges.as_ref().map(|(rev, _)| *rev) != Some(self.ws.input_rev())
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
fn problem_summary(r: &Report) -> String {
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

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.apply_theme(ctx);
        self.handle_input(ctx);
        self.poll_jobs();
        self.refresh_derived(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let status = self.status();
        let rev = self.ws.input_rev();
        let sizing = self.size.is_running() || self.sizing_due();
        let auditing = self.audit.is_running() || self.audit_due();
        let compare_rev_now = self.compare_rev_now();
        let App {
            prefs,
            ws,
            charges,
            data,
            check,
            notes,
            cmds,
            pool,
            size_error,
            insights,
            audit_error,
            planned,
            plan_ui,
            compare_a,
            compare_b,
            compared,
            compare_error,
            prompt,
            ..
        } = self;

        egui::Panel::top("menu").show(ui, |ui| views::menu_bar_ui(ui, prefs, cmds));
        egui::Panel::bottom("status").show(ui, |ui| views::status_bar_ui(ui, &status, cmds));
        if !notes.items().is_empty() {
            egui::Panel::bottom("notifications")
                .show(ui, |ui| views::notifications_ui(ui, notes.items(), cmds));
        }
        let nav = egui::Panel::left("nav")
            .resizable(true)
            .default_size(prefs.nav_width_pt)
            .show(ui, |ui| views::nav_ui(ui, prefs.view, cmds));
        prefs.nav_width_pt = nav.response.rect.width();
        let charges_shown = charges.as_ref().map(|(_, c)| c);
        let stale = status.stale;
        let plan_stale = planned.as_ref().map(|(rev, _)| *rev) != Some(ws.input_rev());
        let plan_shown = planned.as_ref().map(|(_, p)| &p.data);
        egui::CentralPanel::default().show(ui, |ui| match prefs.view {
            View::Data => {
                egui::ScrollArea::vertical()
                    .id_salt("data_view")
                    .show(ui, |ui| {
                        views::data_ui(
                            ui,
                            &ws.reports,
                            &ws.origin,
                            data,
                            charges_shown,
                            ws.scenario.as_ref().map(|s| &s.products),
                            cmds,
                        );
                    });
            }
            View::Charges => {
                egui::ScrollArea::vertical()
                    .id_salt("charges_view")
                    .show(ui, |ui| {
                        views::charges_ui(ui, charges_shown, stale, check.is_ok(), cmds);
                    });
            }
            View::Scenario => {
                views::compare::scenario_tabs_ui(ui, prefs.scenario_tab, cmds);
                match (prefs.scenario_tab, &mut ws.scenario) {
                    (ScenarioTab::Compare, edited) => {
                        let edited_label = edited
                            .as_ref()
                            .map(|s| format!("{} (being edited)", s.name));
                        let side = |pinned: &Option<Side>| {
                            side_label(pinned, edited_label.as_deref()).map(str::to_owned)
                        };
                        let (a, b) = (side(compare_a), side(compare_b));
                        let chosen = compare_a.is_some() || compare_b.is_some();
                        let view = views::compare::CompareView {
                            a: a.as_deref().filter(|_| chosen),
                            b: b.as_deref().filter(|_| chosen),
                            a_pinned: compare_a.is_some(),
                            b_is_file: compare_b.is_some(),
                            comparison: compared.as_ref().map(|(_, c)| c),
                            stale: compared
                                .as_ref()
                                .is_some_and(|(r, _)| *r != compare_rev_now),
                            edited_invalid: (compare_a.is_none() || compare_b.is_none())
                                && !check.is_ok(),
                            error: compare_error.as_deref(),
                        };
                        views::compare::compare_ui(ui, &view, cmds);
                    }
                    (ScenarioTab::Editor, Some(scenario)) => views::scenario_ui(
                        ui,
                        scenario,
                        check,
                        ws.scenario_path.as_deref(),
                        ws.saved_rev != ws.scenario_rev,
                        cmds,
                    ),
                    (ScenarioTab::Editor, None) => {
                        ui.label("No scenario loaded yet.");
                    }
                }
            }
            View::Crossover => views::crossover_ui(ui, plan_shown, plan_stale, plan_ui, cmds),
            View::Mix => {
                egui::ScrollArea::vertical()
                    .id_salt("mix_view")
                    .show(ui, |ui| views::mix_ui(ui, plan_shown, plan_stale, plan_ui));
            }
            View::Pool => {
                egui::ScrollArea::vertical()
                    .id_salt("pool_view")
                    .show(ui, |ui| {
                        views::pool_ui(
                            ui,
                            pool.as_ref().map(|(_, p)| p),
                            size_error.as_deref(),
                            sizing,
                            pool.as_ref().is_some_and(|(r, _)| *r != rev),
                        );
                    });
            }
            View::Insights => {
                egui::ScrollArea::vertical()
                    .id_salt("insights_view")
                    .show(ui, |ui| {
                        views::insights_ui(
                            ui,
                            insights.as_ref().map(|(_, i)| i),
                            audit_error.as_deref(),
                            auditing,
                            insights.as_ref().is_some_and(|(r, _)| *r != rev),
                            prefs.insights_tab,
                            cmds,
                        );
                    });
            }
        });
        if let Some(p) = prompt {
            views::prompt::path_prompt_ui(ui, p, cmds);
        }
        if ui.ctx().input(|i| !i.raw.hovered_files.is_empty()) {
            drop_overlay_ui(ui);
        }
        let ctx = ui.ctx().clone();
        self.apply_commands(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.use_storage {
            eframe::set_value(storage, STORAGE_KEY, &self.prefs);
        }
    }
}

/// The label of a comparison side: the chosen scenario's, else the one
/// being edited stands in.
fn side_label<'a>(chosen: &'a Option<Side>, edited: Option<&'a str>) -> Option<&'a str> {
    chosen.as_ref().map(|s| s.label.as_str()).or(edited)
}

/// Darkens the window while files are dragged over it.
fn drop_overlay_ui(ui: &egui::Ui) {
    let rect = ui.ctx().content_rect();
    let painter = ui.ctx().layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop"),
    ));
    painter.rect_filled(rect, 0.0, egui::Color32::from_black_alpha(160));
    painter.text(
        rect.center(),
        egui::Align2::CENTER_CENTER,
        "Drop files to import them",
        egui::FontId::proportional(24.0),
        egui::Color32::WHITE,
    );
}
