//! The job chain: which analysis waits for what ([`CHAIN`]), starting the
//! ones that are due and can start, polling the ones that finished, and
//! rebuilding the derived data whose input revision changed. Runs in
//! `logic()`, never while drawing.

use std::sync::Arc;

use super::{App, pipeline};
use crate::gui::command::JobKind;
use crate::gui::engine;
use crate::gui::jobs::JobProgress;
use crate::gui::model::compare::{self, CompareSide};
use crate::gui::model::data::DataSummary;
use crate::gui::model::negotiate::NegotiateData;
use crate::gui::model::plan::{self, PlanKey, PlanSource};
use crate::gui::model::scenario_check::ScenarioCheck;
use crate::gui::model::term::{self, TermKey, TermSource};
use crate::gui::notify::Level;
use crate::gui::prefs::View;
use crate::meter::Metered;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// What an analysis waits for before it can start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Needs {
    /// No import running: its data would replace what the analysis reads.
    NoImport,
    /// The scenario being edited was checked and has no problems.
    ValidScenario,
    /// Metering of the current inputs has finished.
    Metered,
    /// The planner's input is at hand: the last plan's, when only the
    /// token price changed since, or metering of the current inputs.
    PlanInput,
    /// The user chose a side to compare, and when the scenario being
    /// edited stands in for the other, it is valid.
    Sides,
    /// The plan of the current inputs is shown (the pack re-plans many
    /// times; it waits so the plan the other views show comes first).
    Planned,
    /// The Negotiate view was opened (or an export asked for) in this run:
    /// the pack's hundreds of re-plans are not spent for nobody.
    Wanted,
    /// The term's forecast is at hand: the last term's, when only prices
    /// changed since, or metering of the current inputs.
    TermInput,
    /// The plan of the current inputs is made, or failed: neither running
    /// nor due (sizing takes the plan's mix rather than planning again).
    PlanSettled,
}

/// The analyses in the order they start, each with what it waits for:
/// import → meter → plan, term and audit; size after the plan (it sizes
/// what the plan's mix leaves to tokens); the comparison meters and plans
/// its own sides; the negotiation pack follows the plan. Each is due
/// when no job was asked for its revision ([`App::rev_of`]).
pub(super) const CHAIN: [(JobKind, &[Needs]); 7] = [
    (JobKind::Meter, &[Needs::NoImport, Needs::ValidScenario]),
    (
        JobKind::Plan,
        &[Needs::NoImport, Needs::ValidScenario, Needs::PlanInput],
    ),
    (
        JobKind::Term,
        &[Needs::NoImport, Needs::ValidScenario, Needs::TermInput],
    ),
    (JobKind::Size, &[Needs::Metered, Needs::PlanSettled]),
    (JobKind::Audit, &[Needs::Metered]),
    (JobKind::Compare, &[Needs::NoImport, Needs::Sides]),
    (
        JobKind::Negotiate,
        &[
            Needs::NoImport,
            Needs::Metered,
            Needs::Planned,
            Needs::Wanted,
        ],
    ),
];

impl App {
    /// The revision an analysis of `kind` is computed for: the inputs
    /// (scenario and usage), or for the comparison its sides as well, or
    /// for the negotiation pack its swing.
    pub(super) fn rev_of(&self, kind: JobKind) -> u64 {
        match kind {
            JobKind::Import => self.ws.usage_rev,
            // Both counters only go up, so the sum changes with either.
            JobKind::Compare => self.sides.rev + self.ws.input_rev(),
            JobKind::Negotiate => self.negotiate_ui.rev + self.ws.input_rev(),
            JobKind::Meter
            | JobKind::Plan
            | JobKind::Term
            | JobKind::Size
            | JobKind::Audit
            | JobKind::ExportPack => self.ws.input_rev(),
        }
    }

    /// True when `need` holds now.
    fn holds(&self, need: Needs) -> bool {
        match need {
            Needs::NoImport => !self.jobs.import.is_running(),
            Needs::ValidScenario => self.scenario_is_valid(),
            Needs::Metered => self.current_metered().is_some(),
            Needs::PlanInput => self.plan_source().is_some(),
            Needs::TermInput => self.term_source().is_some(),
            Needs::Sides => {
                self.sides.any() && (!self.sides.uses_edited() || self.scenario_is_valid())
            }
            Needs::Planned => self.jobs.plan.is_of(self.ws.input_rev()),
            Needs::PlanSettled => !self.pending(JobKind::Plan),
            Needs::Wanted => self.negotiate_ui.wanted || self.prefs.view == View::Negotiate,
        }
    }

    /// True when the analysis of `kind` is due and all it waits for holds.
    pub(super) fn can_start(&self, kind: JobKind) -> bool {
        let Some((_, needs)) = CHAIN.iter().find(|(k, _)| *k == kind) else {
            return false;
        };
        self.jobs
            .analysis(kind)
            .is_some_and(|a| a.due(self.rev_of(kind)))
            && needs.iter().all(|n| self.holds(*n))
    }

    /// True while the analysis of `kind` runs or is about to start.
    pub(super) fn pending(&self, kind: JobKind) -> bool {
        self.jobs.analysis(kind).is_some_and(|a| a.is_running()) || self.can_start(kind)
    }

    /// True when there is a scenario, checked in its current revision,
    /// without problems.
    fn scenario_is_valid(&self) -> bool {
        self.ws.scenario.is_some()
            && self.check.is_for(self.ws.input_rev())
            && self.check.value.is_ok()
    }

    /// The metering result when it is of the current inputs.
    fn current_metered(&self) -> Option<&Arc<Metered>> {
        self.jobs
            .meter
            .current(self.ws.input_rev())
            .map(|m| &m.metered)
    }

    /// Starts every analysis that is due and can start, in chain order.
    fn start_due(&mut self, ctx: &egui::Context) {
        for (kind, _) in CHAIN {
            if self.can_start(kind) {
                self.start(ctx, kind);
            }
        }
    }

    /// Starts the analysis of `kind` for the current revision.
    fn start(&mut self, ctx: &egui::Context, kind: JobKind) {
        match kind {
            JobKind::Meter => self.start_meter(ctx),
            JobKind::Plan => self.start_plan(ctx),
            JobKind::Term => self.start_term(ctx),
            JobKind::Size => self.start_size(ctx),
            JobKind::Audit => self.start_audit(ctx),
            JobKind::Compare => self.start_compare(ctx),
            JobKind::Negotiate => self.start_negotiate(ctx),
            // Imports and exports start from commands, not from the chain.
            JobKind::Import | JobKind::ExportPack => {}
        }
    }

    fn start_meter(&mut self, ctx: &egui::Context) {
        let Some(scenario) = self.ws.scenario.clone() else {
            return;
        };
        let usage = Arc::clone(&self.ws.usage);
        let work = move |progress: &JobProgress| pipeline::meter(&usage, &scenario, progress);
        let rev = self.rev_of(JobKind::Meter);
        self.jobs.meter.start(ctx, rev, &mut self.notes, work);
    }

    /// What a plan job for the current inputs starts from: the last plan's
    /// input when only the token price changed since (no need to wait for
    /// metering), otherwise the metering result of the current inputs.
    fn plan_source(&self) -> Option<(PlanKey, PlanSource)> {
        let scenario = self.ws.scenario.as_ref()?;
        let key = PlanKey::new(self.ws.usage_rev, scenario);
        if let Some(last) = self.jobs.plan.shown()
            && last.key == key
        {
            return Some((
                key,
                PlanSource::Reuse(Arc::clone(&last.planned.input), Arc::clone(&last.metered)),
            ));
        }
        let metered = self.current_metered()?;
        Some((key, PlanSource::Metered(Arc::clone(metered))))
    }

    fn start_plan(&mut self, ctx: &egui::Context) {
        let (Some(scenario), Some((key, source))) = (self.ws.scenario.clone(), self.plan_source())
        else {
            return;
        };
        let usage = Arc::clone(&self.ws.usage);
        let built = self.plan_inputs_built();
        let work = move |_: &JobProgress| plan::run(key, source, &usage, &scenario, built);
        let rev = self.rev_of(JobKind::Plan);
        self.jobs.plan.start(ctx, rev, &mut self.notes, work);
    }

    /// What a Term job for the current inputs starts from: the last term's
    /// metering and forecast when only prices changed since (no need to
    /// wait for metering), otherwise the metering of the current inputs.
    fn term_source(&self) -> Option<(TermKey, TermSource)> {
        let scenario = self.ws.scenario.as_ref()?;
        let key = TermKey::new(self.ws.usage_rev, scenario);
        if let Some(last) = self.jobs.term.shown()
            && last.key == key
        {
            return Some((
                key,
                TermSource::Reuse(Arc::clone(&last.metered), Arc::clone(&last.demand)),
            ));
        }
        let metered = self.current_metered()?;
        Some((key, TermSource::Metered(Arc::clone(metered))))
    }

    fn start_term(&mut self, ctx: &egui::Context) {
        let (Some(scenario), Some((key, source))) = (self.ws.scenario.clone(), self.term_source())
        else {
            return;
        };
        let usage = Arc::clone(&self.ws.usage);
        let built = self.jobs.term.shown().map_or(0, |t| t.demands_built);
        let work = move |_: &JobProgress| term::run(key, source, &usage, &scenario, built);
        let rev = self.rev_of(JobKind::Term);
        self.jobs.term.start(ctx, rev, &mut self.notes, work);
    }

    /// What sizing and the audit read: the scenario, the metering of the
    /// current inputs and the usage.
    pub(super) fn metered_inputs(&self) -> Option<(Scenario, Arc<Metered>, Arc<Usage>)> {
        let scenario = self.ws.scenario.clone()?;
        let metered = Arc::clone(self.current_metered()?);
        Some((scenario, metered, Arc::clone(&self.ws.usage)))
    }

    /// Sizes the token pool for the current metering, from the plan of the
    /// current inputs (when it failed, sizing plans on its own and says why
    /// it cannot).
    fn start_size(&mut self, ctx: &egui::Context) {
        let Some((scenario, metered, usage)) = self.metered_inputs() else {
            return;
        };
        let plan = self
            .jobs
            .plan
            .current(self.ws.input_rev())
            .map(|p| (Arc::clone(&p.planned.input), p.planned.rec.clone()));
        let work = move |progress: &JobProgress| {
            pipeline::size(&usage, &scenario, &metered, plan.as_ref(), progress)
        };
        let rev = self.rev_of(JobKind::Size);
        self.jobs.size.start(ctx, rev, &mut self.notes, work);
    }

    /// Runs the monitoring views and what-ifs for the current metering.
    fn start_audit(&mut self, ctx: &egui::Context) {
        let Some((scenario, metered, usage)) = self.metered_inputs() else {
            return;
        };
        let work =
            move |progress: &JobProgress| pipeline::audit(&usage, &scenario, &metered, progress);
        let rev = self.rev_of(JobKind::Audit);
        self.jobs.audit.start(ctx, rev, &mut self.notes, work);
    }

    /// Builds the negotiation pack of the current metering and swing. The
    /// Assumptions sheet names the scenario's file (with its SHA-256) when
    /// the scenario is saved there unchanged.
    fn start_negotiate(&mut self, ctx: &egui::Context) {
        let Some((scenario, metered, usage)) = self.metered_inputs() else {
            return;
        };
        let reports = self.ws.reports.clone();
        let file = self
            .ws
            .scenario_path
            .clone()
            .filter(|_| !self.ws.is_modified());
        let swing = self.swing();
        let work = move |progress: &JobProgress| {
            let file = file.as_deref().and_then(scenario_file);
            let job = engine::PackJob {
                usage: &usage,
                metered: &metered,
                reports: &reports,
                scenario: &scenario,
                file: file.as_ref(),
                swing,
            };
            let pack = engine::negotiation_pack(&job, progress)?;
            Ok(NegotiateData::build(pack))
        };
        let rev = self.rev_of(JobKind::Negotiate);
        self.jobs.negotiate.start(ctx, rev, &mut self.notes, work);
    }

    /// X of the tornado as a share (10% → 0.1).
    pub(super) fn swing(&self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::new(i64::from(self.negotiate_ui.swing_pct), 2)
    }

    /// The scenario being edited as a comparison side.
    pub(super) fn edited_side(&self) -> Option<CompareSide> {
        self.ws.scenario.as_ref().map(|s| CompareSide {
            label: format!("{} (being edited)", s.name),
            scenario: s.clone(),
        })
    }

    /// Plans both sides of the comparison over the loaded usage; the
    /// scenario being edited stands in for the side not chosen.
    fn start_compare(&mut self, ctx: &egui::Context) {
        let a = self.sides.a.clone().or_else(|| self.edited_side());
        let b = self.sides.b.clone().or_else(|| self.edited_side());
        let (Some(a), Some(b)) = (a, b) else {
            return;
        };
        let usage = Arc::clone(&self.ws.usage);
        let reports = self.sides.reports.clone();
        let work = move |progress: &JobProgress| compare::run(&usage, &a, &b, &reports, progress);
        let rev = self.rev_of(JobKind::Compare);
        self.jobs.compare.start(ctx, rev, &mut self.notes, work);
    }

    /// Changes a side of the comparison: the one shown is of the old sides.
    pub(super) fn sides_changed(&mut self) {
        self.sides.rev += 1;
        self.jobs.compare.clear_error();
        if !self.sides.any() {
            self.jobs.compare.clear();
        }
    }

    /// Takes what finished: the import first (its data is what the rest
    /// read), then every analysis.
    pub(super) fn poll_jobs(&mut self) {
        if let Some(done) = self.jobs.import.take_finished() {
            match done {
                Ok((_, outcome)) => self.apply_import(outcome),
                Err(message) => self.notes.push(Level::Error, message),
            }
        }
        self.poll_export();
        let revs = JobKind::ALL.map(|kind| (kind, self.rev_of(kind)));
        for analysis in self.jobs.analyses_mut() {
            let kind = analysis.kind();
            let rev = revs.iter().find(|(k, _)| *k == kind).map_or(0, |(_, r)| *r);
            analysis.poll(rev, &mut self.notes);
        }
    }

    /// Rebuilds what depends on a changed input and starts what is due.
    pub(super) fn refresh_derived(&mut self, ctx: &egui::Context) {
        if !self.data.is_for(self.ws.usage_rev) {
            let filter = std::mem::take(&mut self.data.value.filter);
            self.data.value = DataSummary::build(&self.ws.reports, &self.ws.usage, &filter);
            self.data.rev = Some(self.ws.usage_rev);
        }
        // The sanity warnings read the history's end: rebuilt on either change.
        if !self.check.is_for(self.ws.input_rev()) {
            self.check.value = match &self.ws.scenario {
                Some(s) => ScenarioCheck::build(s, self.data.value.history_end),
                None => ScenarioCheck::default(),
            };
            self.check.rev = Some(self.ws.input_rev());
        }
        self.start_due(ctx);
        if let Some(p) = self.jobs.plan.shown() {
            self.plan_ui.refresh(self.jobs.plan.serial(), &p.data);
        }
        self.refresh_sorts();
    }

    /// Re-sorts the tables the user sorted whose data or pick changed.
    fn refresh_sorts(&mut self) {
        let ids = self.sorts.ids();
        if ids.is_empty() {
            return;
        }
        let audit = self.jobs.audit.serial();
        let size = self.jobs.size.serial();
        let insights = self.jobs.audit.shown().map(|d| d.tables());
        let pool = self.jobs.size.shown().map(|d| d.tables());
        for id in ids {
            let found = insights
                .iter()
                .flatten()
                .map(|(i, t)| (*i, *t, audit))
                .chain(pool.iter().flatten().map(|(i, t)| (*i, *t, size)))
                .find(|(i, _, _)| *i == id);
            if let Some((_, table, serial)) = found {
                self.sorts.refresh(&id, serial, table);
            }
        }
    }
}

/// The scenario file at `path` as the Assumptions sheet names it (its
/// name and SHA-256), when it can be read.
pub(super) fn scenario_file(path: &std::path::Path) -> Option<crate::pack::ScenarioFile> {
    let bytes = std::fs::read(path).ok()?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Some(crate::pack::ScenarioFile::new(name, &bytes))
}
