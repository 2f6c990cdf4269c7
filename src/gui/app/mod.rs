//! The [`App`], split by concern the way rerun's viewer splits its app:
//!
//! - this file: the state (what `App` holds, each part in one field) and
//!   the `eframe::App` entry points;
//! - `logic`: the job chain: the dependency list of the analyses
//!   (import → meter → plan, term, audit; size after plan; compare),
//!   starting what is due, polling what finished, rebuilding what an
//!   input revision changed;
//! - `commands`: applying the [`Command`]s the views emitted, after the
//!   frame;
//! - `data`: loading data (at start, added or replacing, a source
//!   removed) in the background;
//! - `files`: the other files: scenarios, the reassignment list, file
//!   dialogs and the path prompt;
//! - `keep`: nothing lost: the questions before unsaved edits or loaded
//!   data go, and the recovery file of unsaved edits;
//! - `ui`: drawing the frame and the view shown from cached data;
//! - [`pipeline`]: the work of each job of the chain as a plain function
//!   (what the jobs run, and what `bench_pipeline` runs headless).
//!
//! `logic()` polls the background jobs, starts the analyses that are due
//! and rebuilds derived data; `ui()` draws the views from cached data and
//! then applies the commands they emitted.

mod commands;
mod data;
mod files;
mod keep;
mod logic;
pub mod pipeline;
mod ui;

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;

use super::analysis::{Analysis, Background, Refresh, slot_status};
use super::command::{Command, Commands, JobKind};
use super::jobs::JobSlot;
use super::model::charges::Charges;
use super::model::compare::{self, CompareSide, Comparison};
use super::model::data::DataSummary;
use super::model::insights::Insights;
use super::model::mapping::Mappings;
use super::model::negotiate::NegotiateData;
use super::model::plan::PlanShown;
use super::model::plan_table::PlanUi;
use super::model::pool::PoolData;
use super::model::prompt::PathPrompt;
use super::model::scenario_check::ScenarioCheck;
use super::model::table::TableSorts;
use super::model::term::TermShown;
use super::notify::{Notification, Notifications};
use super::portal;
use super::prefs::{Prefs, STORAGE_KEY, Theme};
use super::views::frame::JobStatus;
use super::views::negotiate_view::NegotiateUi;
use super::workspace::{Loaded, Source, Workspace};
use crate::meter::Metered;
use crate::scenario::Scenario;
use keep::{Keep, Recovered};

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
    /// The folder of the recovery file of unsaved edits (none: no
    /// recovery file).
    pub state_dir: Option<PathBuf>,
    /// Start with these preferences instead of the stored ones (a test's
    /// "next run").
    pub prefs: Option<Prefs>,
    /// Today's date, for what the app dates (none: the system's local date).
    pub today: Option<NaiveDate>,
}

/// A file whose header is of no known kind, for a mapping form.
pub struct ToMap {
    /// The file.
    pub path: PathBuf,
    /// Its header and first rows.
    pub preview: crate::ingest::TablePreview,
    /// The mapping remembered for its header, when it did not read it.
    pub earlier: Option<super::prefs::RememberedColumns>,
}

/// What an import job produced.
pub struct ImportOutcome {
    /// A scenario loaded with the data (at start), or why it failed.
    pub scenario: Option<Result<(Scenario, Option<PathBuf>), String>>,
    /// The new usage with its sources and reports; `None` when nothing new
    /// was imported (the previous data stays).
    pub usage: Option<Loaded>,
    /// When files were added to what is loaded: the usage loaded (shared
    /// while the import ran), whose sessions come before those of `usage`
    /// (which holds only the new files' sessions, and everything else
    /// whole). Joined when the import is taken, without a copy when no job
    /// reads it any more.
    pub appends_to: Option<Arc<crate::usage::Usage>>,
    /// The first of the reports that are new (those before were loaded).
    pub new_from: usize,
    /// Users with usage but no row in the user directory, in words.
    pub missing_note: Option<String>,
    /// Files that could not be imported at all, with the cause.
    pub failures: Vec<String>,
    /// An earlier run's unsaved edits (at start), or why they could not be
    /// read.
    pub recovered: Option<Result<Recovered, String>>,
    /// Files whose header is of no known kind: the Data view asks which
    /// column is which.
    pub to_map: Vec<ToMap>,
    /// Files read through a mapping remembered for their header, with the
    /// header's signature.
    pub mapped: Vec<(PathBuf, String)>,
    /// True when the files were opened to replace the data loaded and none
    /// was kept: a file mapped later still replaces it.
    pub replace_pending: bool,
}

/// A metering result and the charts and tables derived from it (built on
/// the worker, not in a frame).
pub struct Metering {
    /// The engine's result, shared with the jobs that read it.
    pub metered: Arc<Metered>,
    /// What the Charges view and the status bar show.
    pub charges: Charges,
}

/// What an export of the negotiation pack did: the path written and how
/// (`names pseudonymised`), or why nothing was written.
pub struct PackExport(Result<(PathBuf, bool), String>);

/// Derived data rebuilt in `logic()` when the revision it is built from
/// changes.
#[derive(Default)]
struct Rebuilt<T> {
    /// The revision `value` was built from (`None`: never built).
    rev: Option<u64>,
    value: T,
}

impl<T> Rebuilt<T> {
    fn is_for(&self, rev: u64) -> bool {
        self.rev == Some(rev)
    }
}

/// The background work: the import and one [`Analysis`] per result.
struct Jobs {
    import: JobSlot<ImportOutcome>,
    meter: Analysis<Metering>,
    plan: Analysis<PlanShown>,
    size: Analysis<PoolData>,
    audit: Analysis<Insights>,
    compare: Analysis<Comparison>,
    negotiate: Analysis<NegotiateData>,
    export: JobSlot<PackExport>,
    term: Analysis<TermShown>,
}

impl Default for Jobs {
    fn default() -> Self {
        Jobs {
            import: JobSlot::default(),
            meter: Analysis::new(JobKind::Meter),
            plan: Analysis::new(JobKind::Plan),
            size: Analysis::new(JobKind::Size),
            audit: Analysis::new(JobKind::Audit),
            compare: Analysis::new(JobKind::Compare),
            negotiate: Analysis::new(JobKind::Negotiate),
            export: JobSlot::default(),
            term: Analysis::new(JobKind::Term),
        }
    }
}

impl Jobs {
    /// Every job, in the status bar's order.
    fn all(&self) -> [&dyn Background; 9] {
        [
            &self.import,
            &self.meter,
            &self.plan,
            &self.term,
            &self.compare,
            &self.size,
            &self.audit,
            &self.negotiate,
            &self.export,
        ]
    }

    /// Every analysis, polled in this order.
    fn analyses_mut(&mut self) -> [&mut dyn Refresh; 7] {
        [
            &mut self.negotiate,
            &mut self.term,
            &mut self.size,
            &mut self.audit,
            &mut self.compare,
            &mut self.plan,
            &mut self.meter,
        ]
    }

    /// The analysis of `kind` (`None` for the import, which is not one).
    fn analysis(&self, kind: JobKind) -> Option<&dyn Refresh> {
        Some(match kind {
            JobKind::Import | JobKind::ExportPack => return None,
            JobKind::Meter => &self.meter,
            JobKind::Plan => &self.plan,
            JobKind::Size => &self.size,
            JobKind::Audit => &self.audit,
            JobKind::Compare => &self.compare,
            JobKind::Negotiate => &self.negotiate,
            JobKind::Term => &self.term,
        })
    }

    /// The job of `kind`.
    fn get_mut(&mut self, kind: JobKind) -> &mut dyn Background {
        match kind {
            JobKind::Import => &mut self.import,
            JobKind::Meter => &mut self.meter,
            JobKind::Plan => &mut self.plan,
            JobKind::Size => &mut self.size,
            JobKind::Audit => &mut self.audit,
            JobKind::Compare => &mut self.compare,
            JobKind::Negotiate => &mut self.negotiate,
            JobKind::ExportPack => &mut self.export,
            JobKind::Term => &mut self.term,
        }
    }
}

impl Background for JobSlot<ImportOutcome> {
    fn kind(&self) -> JobKind {
        JobKind::Import
    }

    fn status(&self) -> Option<JobStatus> {
        slot_status(self, JobKind::Import)
    }

    fn is_running(&self) -> bool {
        JobSlot::is_running(self)
    }

    fn cancel(&mut self) {
        JobSlot::cancel(self);
    }
}

impl Background for JobSlot<PackExport> {
    fn kind(&self) -> JobKind {
        JobKind::ExportPack
    }

    fn status(&self) -> Option<JobStatus> {
        slot_status(self, JobKind::ExportPack)
    }

    fn is_running(&self) -> bool {
        JobSlot::is_running(self)
    }

    fn cancel(&mut self) {
        JobSlot::cancel(self);
    }
}

/// The two sides of the comparison the user chose.
#[derive(Default)]
struct Sides {
    /// Side A: the pinned baseline (`None`: the scenario being edited).
    a: Option<CompareSide>,
    /// True when A was pinned by the first edit, not by the user (it goes
    /// when another scenario is loaded).
    a_auto: bool,
    /// Side B: a loaded file (`None`: the scenario being edited).
    b: Option<CompareSide>,
    /// Goes up whenever a side is pinned, loaded or cleared.
    rev: u64,
    /// Reports planned by compare jobs, reused while a side is unchanged.
    reports: compare::Reports,
}

impl Sides {
    /// True when the user chose at least one side.
    fn any(&self) -> bool {
        self.a.is_some() || self.b.is_some()
    }

    /// True when the scenario being edited stands in for a side.
    fn uses_edited(&self) -> bool {
        self.a.is_none() || self.b.is_none()
    }
}

/// The desktop app.
pub struct App {
    /// The persisted preferences.
    prefs: Prefs,
    use_storage: bool,
    /// The domain state: scenario and usage.
    ws: Workspace,
    /// The Data view's summary, of a usage revision.
    data: Rebuilt<DataSummary>,
    /// The scenario's validation, of a scenario revision.
    check: Rebuilt<ScenarioCheck>,
    /// The import and the analyses.
    jobs: Jobs,
    /// The picks of the Crossover and Mix views (and the exports' privacy
    /// switch).
    plan_ui: PlanUi,
    /// The picks of the Negotiate view.
    negotiate_ui: NegotiateUi,
    /// The Data view's column-mapping forms and the files mapped.
    mappings: Mappings,
    /// Today's date when injected (tests); else the system's.
    today: Option<NaiveDate>,
    /// The comparison's sides.
    sides: Sides,
    /// The open path prompt.
    prompt: Option<PathPrompt>,
    /// How the user sorted the Insights and Pool tables.
    sorts: TableSorts,
    /// What nothing-lost keeps: the question open, the recovery file.
    keep: Keep,
    notes: Notifications,
    cmds: Commands,
    theme_applied: Option<Theme>,
}

impl App {
    /// Creates the app and starts loading its data in the background.
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let prefs = match (options.prefs, options.use_storage, cc.storage) {
            (Some(prefs), _, _) => prefs,
            (None, true, Some(storage)) => {
                eframe::get_value(storage, STORAGE_KEY).unwrap_or_default()
            }
            _ => Prefs::default(),
        };
        let mut plan_ui = PlanUi::default();
        // The key file of the last pseudonymised export is offered again.
        if let Some(key) = &prefs.key_file {
            plan_ui.key_file = key.display().to_string();
        }
        let recovery = options
            .state_dir
            .as_ref()
            .map(|d| d.join(keep::RECOVERY_FILE));
        let mut app = App {
            keep: Keep::new(recovery.clone()),
            prefs,
            use_storage: options.use_storage,
            ws: Workspace::default(),
            data: Rebuilt::default(),
            check: Rebuilt::default(),
            jobs: Jobs::default(),
            plan_ui,
            negotiate_ui: NegotiateUi::default(),
            mappings: Mappings::default(),
            today: options.today,
            sides: Sides::default(),
            prompt: None,
            sorts: TableSorts::default(),
            notes: Notifications::default(),
            cmds: Commands::default(),
            theme_applied: None,
        };
        portal::start_check();
        install_fonts(&cc.egui_ctx);
        let (sources, scenario) = app.first_load(options.files, options.scenario);
        app.start_load(&cc.egui_ctx, sources, scenario, recovery);
        app
    }

    /// What the first load reads: the files and scenario given, else (with
    /// stored preferences) the last session's that still exist, else the
    /// bundled sample.
    fn first_load(
        &self,
        files: Vec<PathBuf>,
        scenario: Option<PathBuf>,
    ) -> (Vec<Source>, data::ScenarioSource) {
        let given = !files.is_empty() || scenario.is_some();
        let (sources, scenario) = if given || !self.use_storage {
            (files.into_iter().map(Source::File).collect(), scenario)
        } else {
            let sources: Vec<Source> = self
                .prefs
                .last_sources
                .iter()
                .filter(|s| match s {
                    Source::Sample => true,
                    Source::File(p) => p.is_file(),
                })
                .cloned()
                .collect();
            let scenario = self.prefs.last_scenario.clone().filter(|p| p.is_file());
            (sources, scenario)
        };
        let sources: Vec<Source> = if sources.is_empty() {
            vec![Source::Sample]
        } else {
            sources
        };
        let scenario = scenario.map_or(data::ScenarioSource::Sample, data::ScenarioSource::File);
        (sources, scenario)
    }

    /// The question the app asks (unsaved edits, add or replace, restore).
    pub fn question(&self) -> Option<&super::model::question::Question> {
        self.keep.question()
    }

    /// The domain state.
    pub fn workspace(&self) -> &Workspace {
        &self.ws
    }

    /// The charges shown, when metering has run.
    pub fn charges(&self) -> Option<&Charges> {
        self.jobs.meter.shown().map(|m| &m.charges)
    }

    /// The notifications shown.
    pub fn notifications(&self) -> &[Notification] {
        self.notes.items()
    }

    /// True while a background job runs, or the scenario awaits validation,
    /// or an analysis is due and can start.
    pub fn is_busy(&self) -> bool {
        // An edit applied after the last frame is validated in the next
        // one, and only then can metering be seen to be due.
        !self.check.is_for(self.ws.input_rev())
            || self.jobs.all().iter().any(|j| j.is_running())
            || logic::CHAIN.iter().any(|(kind, _)| self.can_start(*kind))
    }

    /// The comparison shown in the Scenario view's Compare tab, when one
    /// was made (it may be of older inputs: see
    /// [`App::comparison_is_current`]).
    pub fn comparison(&self) -> Option<&Comparison> {
        self.jobs.compare.shown()
    }

    /// True when the comparison shown was made from the current sides and
    /// usage.
    pub fn comparison_is_current(&self) -> bool {
        self.jobs.compare.is_of(self.rev_of(JobKind::Compare))
    }

    /// The Pool view's data, when sizing has run.
    pub fn pool_data(&self) -> Option<&PoolData> {
        self.jobs.size.shown()
    }

    /// The Insights view's data, when the audit has run.
    pub fn insights(&self) -> Option<&Insights> {
        self.jobs.audit.shown()
    }

    /// The Negotiate view's data, when the negotiation pack was built (it
    /// may be of older inputs: see [`App::negotiation_is_current`]).
    pub fn negotiation(&self) -> Option<&NegotiateData> {
        self.jobs.negotiate.shown()
    }

    /// True when the negotiation pack shown was built from the current
    /// inputs and swing.
    pub fn negotiation_is_current(&self) -> bool {
        self.jobs.negotiate.is_of(self.rev_of(JobKind::Negotiate))
    }

    /// The plan shown, when one was made (it may be of older inputs: see
    /// [`App::plan_is_current`]).
    pub fn plan(&self) -> Option<&PlanShown> {
        self.jobs.plan.shown()
    }

    /// The term shown, when one was planned (it may be of older inputs: see
    /// [`App::term_is_current`]).
    pub fn term(&self) -> Option<&TermShown> {
        self.jobs.term.shown()
    }

    /// True when the term shown was planned from the current inputs.
    pub fn term_is_current(&self) -> bool {
        self.jobs.term.is_of(self.ws.input_rev())
    }

    /// True when the plan shown was made from the current inputs.
    pub fn plan_is_current(&self) -> bool {
        self.jobs.plan.is_of(self.ws.input_rev())
    }

    /// How many plans built the planner's input from a metering result; a
    /// plan after a token-price-only edit reuses the last one's.
    pub fn plan_inputs_built(&self) -> u64 {
        self.plan().map_or(0, |p| p.inputs_built)
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

    /// The Data view's column-mapping forms and the files read through a
    /// remembered mapping.
    pub fn mappings(&self) -> &Mappings {
        &self.mappings
    }

    /// Today: the injected date, else the system's local date.
    fn today(&self) -> NaiveDate {
        self.today
            .unwrap_or_else(|| chrono::Local::now().date_naive())
    }
}

/// egui's fonts with its monospace font as the last fallback of the
/// proportional one, so the arrows and marks the screen uses (→ in a
/// difference, ▲ ▼ on a sorted column) draw whatever the system has.
fn install_fonts(ctx: &egui::Context) {
    let mut fonts = egui::FontDefinitions::default();
    let mono = fonts
        .families
        .get(&egui::FontFamily::Monospace)
        .and_then(|list| list.first().cloned());
    if let (Some(mono), Some(list)) = (
        mono,
        fonts.families.get_mut(&egui::FontFamily::Proportional),
    ) && !list.contains(&mono)
    {
        list.push(mono);
    }
    ctx.set_fonts(fonts);
}

impl eframe::App for App {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.apply_theme(ctx);
        self.size_window(ctx);
        self.handle_close(ctx);
        self.handle_input(ctx);
        self.poll_jobs();
        self.refresh_derived(ctx);
        self.keep_recovery(ctx);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
        let ctx = ui.ctx().clone();
        self.apply_commands(&ctx);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.use_storage {
            // The next start reopens what is loaded now.
            self.prefs.last_sources.clone_from(&self.ws.sources);
            self.prefs.last_scenario.clone_from(&self.ws.scenario_path);
            eframe::set_value(storage, STORAGE_KEY, &self.prefs);
        }
    }
}
