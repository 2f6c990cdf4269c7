//! Drawing: the menu bar, status bar, notifications and navigation around
//! the view shown, each view drawn from the data its analysis cached and
//! told how fresh that data is. Nothing here starts work: views emit
//! commands, applied after the frame.

use super::App;
use crate::gui::command::JobKind;
use crate::gui::prefs::{ScenarioTab, View};
use crate::gui::views::freshness::Freshness;
use crate::gui::views::{self, frame};

impl App {
    /// Draws the whole window.
    pub(super) fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let status = self.status();
        egui::Panel::top("menu").show(ui, |ui| views::menu_bar_ui(ui, &self.prefs, &mut self.cmds));
        egui::Panel::bottom("status")
            .show(ui, |ui| views::status_bar_ui(ui, &status, &mut self.cmds));
        if !self.notes.items().is_empty() {
            egui::Panel::bottom("notifications").show(ui, |ui| {
                views::notifications_ui(ui, self.notes.items(), &mut self.cmds)
            });
        }
        let nav = egui::Panel::left("nav")
            .resizable(true)
            .default_size(self.prefs.nav_width_pt)
            .show(ui, |ui| views::nav_ui(ui, self.prefs.view, &mut self.cmds));
        self.prefs.nav_width_pt = nav.response.rect.width();
        egui::CentralPanel::default().show(ui, |ui| self.view_ui(ui, status.stale));
        if let Some(p) = &mut self.prompt {
            views::prompt_view::path_prompt_ui(ui, p, &mut self.cmds);
        } else if let Some(q) = self.keep.question() {
            views::question_view::question_ui(ui, q, &mut self.cmds);
        }
        if ui.ctx().input(|i| !i.raw.hovered_files.is_empty()) {
            drop_overlay_ui(ui);
        }
    }

    /// The view shown; `charges_stale` says the charges are of older
    /// inputs.
    fn view_ui(&mut self, ui: &mut egui::Ui, charges_stale: bool) {
        let rev = self.ws.input_rev();
        let plan_fresh = Freshness {
            stale: !self.jobs.plan.is_of(rev),
            ..Freshness::default()
        };
        let pool_fresh = self.jobs.size.freshness(rev, self.pending(JobKind::Size));
        let insights_fresh = self.jobs.audit.freshness(rev, self.pending(JobKind::Audit));
        let negotiate_fresh = self.jobs.negotiate.freshness(
            self.rev_of(JobKind::Negotiate),
            self.pending(JobKind::Negotiate),
        );
        let term_fresh = self.jobs.term.freshness(rev, self.pending(JobKind::Term));
        let plan_shown = self.jobs.plan.shown().map(|p| &p.data);
        let compare_current = self.jobs.compare.is_of(self.rev_of(JobKind::Compare));
        let cmds = &mut self.cmds;
        match self.prefs.view {
            View::Data => scroll_ui(ui, "data_view", |ui| {
                let mut mapping = views::data_mapping::MappingView {
                    mappings: &mut self.mappings,
                    remembered: &self.prefs.column_maps,
                };
                views::data_ui(
                    ui,
                    &self.ws,
                    &self.data.value,
                    self.jobs.meter.shown().map(|m| &m.charges),
                    self.ws.scenario.as_ref().map(|s| &s.products),
                    &mut mapping,
                    cmds,
                );
            }),
            View::Charges => scroll_ui(ui, "charges_view", |ui| {
                let charges = self.jobs.meter.shown().map(|m| &m.charges);
                views::charges_ui(ui, charges, charges_stale, self.check.value.is_ok(), cmds);
            }),
            View::Scenario => self.scenario_view_ui(ui),
            View::Crossover => {
                views::crossover_ui(ui, plan_shown, &plan_fresh, &mut self.plan_ui, cmds);
            }
            View::Mix => {
                // The change against the baseline, when B is the scenario
                // being edited and A a pinned (or first-edit) copy.
                let delta = self
                    .jobs
                    .compare
                    .shown()
                    .filter(|_| self.sides.a.is_some() && self.sides.b.is_none())
                    .map(|c| views::mix_view::Delta {
                        delta: &c.mix,
                        current: compare_current,
                    });
                scroll_ui(ui, "mix_view", |ui| {
                    views::mix_ui(
                        ui,
                        plan_shown,
                        &plan_fresh,
                        &mut self.plan_ui,
                        delta.as_ref(),
                        cmds,
                    );
                });
            }
            View::Term => scroll_ui(ui, "term_view", |ui| {
                views::term_ui(ui, self.jobs.term.shown().map(|t| &t.data), &term_fresh);
            }),
            View::Pool => scroll_ui(ui, "pool_view", |ui| {
                views::pool_ui(ui, self.jobs.size.shown(), &pool_fresh, &self.sorts, cmds);
            }),
            View::Insights => scroll_ui(ui, "insights_view", |ui| {
                let (data, tab) = (self.jobs.audit.shown(), self.prefs.insights_tab);
                views::insights_ui(ui, data, &insights_fresh, tab, &self.sorts, cmds);
            }),
            View::Negotiate => scroll_ui(ui, "negotiate_view", |ui| {
                views::negotiate_ui(
                    ui,
                    self.jobs.negotiate.shown(),
                    &negotiate_fresh,
                    &mut self.negotiate_ui,
                    &mut self.plan_ui,
                    cmds,
                );
            }),
        }
    }

    /// The Scenario view: its sub-tabs, then the editor or the comparison.
    fn scenario_view_ui(&mut self, ui: &mut egui::Ui) {
        views::compare_view::scenario_tabs_ui(ui, self.prefs.scenario_tab, &mut self.cmds);
        match (self.prefs.scenario_tab, &mut self.ws.scenario) {
            (ScenarioTab::Compare, _) => self.compare_tab_ui(ui),
            (ScenarioTab::Editor, Some(scenario)) => views::scenario_ui(
                ui,
                scenario,
                &self.check.value,
                self.ws.scenario_path.as_deref(),
                self.ws.saved_rev != self.ws.scenario_rev,
                &mut self.cmds,
            ),
            (ScenarioTab::Editor, None) => {
                ui.label("No scenario loaded yet.");
            }
        }
    }

    /// The Compare tab: the sides' labels (the scenario being edited
    /// stands in for a side not chosen) and the comparison shown.
    fn compare_tab_ui(&mut self, ui: &mut egui::Ui) {
        let edited = self.edited_side().map(|s| s.label);
        let label = |chosen: &Option<_>| {
            chosen
                .as_ref()
                .map(|s: &crate::gui::model::compare::CompareSide| s.label.clone())
                .or_else(|| edited.clone())
        };
        let (a, b) = (label(&self.sides.a), label(&self.sides.b));
        let chosen = self.sides.any();
        let compare = &self.jobs.compare;
        let view = views::compare_view::CompareView {
            a: a.as_deref().filter(|_| chosen),
            b: b.as_deref().filter(|_| chosen),
            a_pinned: self.sides.a.is_some(),
            b_is_file: self.sides.b.is_some(),
            comparison: compare.shown(),
            stale: compare.shown().is_some() && !compare.is_of(self.rev_of(JobKind::Compare)),
            edited_invalid: self.sides.uses_edited() && !self.check.value.is_ok(),
            error: compare.error(),
        };
        views::compare_view::compare_ui(ui, &view, &mut self.cmds);
    }

    /// What the status bar shows: every running job, the data's counts and
    /// the total of the charges shown.
    fn status(&self) -> frame::Status {
        frame::Status {
            jobs: self.jobs.all().iter().filter_map(|j| j.status()).collect(),
            sessions: self.data.value.sessions,
            users: self.data.value.users,
            total_tokens: self.charges().map(|c| c.total_tokens),
            stale: !self.jobs.meter.is_of(self.ws.input_rev()),
        }
    }
}

/// `add` in a vertical scroll area named `id`.
fn scroll_ui(ui: &mut egui::Ui, id: &str, add: impl FnOnce(&mut egui::Ui)) {
    egui::ScrollArea::vertical().id_salt(id).show(ui, add);
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
