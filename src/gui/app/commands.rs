//! Applying the [`Command`]s the views emitted, after the frame: file
//! actions, job starts and cancels, comparison sides, preferences. Also the
//! frame's own input (shortcuts, dropped files) and the colour theme.

use std::path::PathBuf;

use super::App;
use crate::gui::command::Command;
use crate::gui::model::compare::CompareSide;
use crate::gui::model::prompt::PathPurpose;
use crate::gui::model::question::Guarded;
use crate::gui::notify::Level;
use crate::gui::prefs::Theme;
use crate::gui::views::frame;

impl App {
    pub(super) fn apply_theme(&mut self, ctx: &egui::Context) {
        if self.theme_applied != Some(self.prefs.theme) {
            ctx.set_theme(match self.prefs.theme {
                Theme::System => egui::ThemePreference::System,
                Theme::Light => egui::ThemePreference::Light,
                Theme::Dark => egui::ThemePreference::Dark,
            });
            self.theme_applied = Some(self.prefs.theme);
        }
    }

    /// Sizes the window from the screen the first time the app runs (later
    /// starts keep the size the user left): most of the screen, centred.
    pub(super) fn size_window(&mut self, ctx: &egui::Context) {
        if self.prefs.window_sized {
            return;
        }
        let Some(screen) = ctx.input(|i| i.viewport().monitor_size) else {
            return;
        };
        self.prefs.window_sized = true;
        let size = egui::vec2(
            (screen.x * 0.9).max(800.0).min(screen.x),
            (screen.y * 0.9).max(560.0).min(screen.y),
        );
        ctx.send_viewport_cmd(egui::ViewportCommand::InnerSize(size));
        ctx.send_viewport_cmd(egui::ViewportCommand::OuterPosition(
            ((screen - size) / 2.0).to_pos2(),
        ));
    }

    pub(super) fn handle_input(&mut self, ctx: &egui::Context) {
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
    pub(super) fn apply_commands(&mut self, ctx: &egui::Context) {
        for command in self.cmds.take() {
            self.apply(ctx, command);
        }
    }

    fn apply(&mut self, ctx: &egui::Context, command: Command) {
        match command {
            Command::OpenFilesDialog => self.choose_paths(ctx, PathPurpose::OpenUsage),
            Command::AddFilesDialog => self.choose_paths(ctx, PathPurpose::AddUsage),
            Command::ImportFiles(paths) => self.open_data(ctx, paths),
            Command::RemoveSource(index) => self.remove_source(ctx, index),
            Command::LoadSample => self.guard(ctx, Guarded::LoadSample),
            Command::OpenScenarioDialog => self.guard(ctx, Guarded::OpenScenarioDialog),
            Command::LoadScenario(path) => self.guard(ctx, Guarded::LoadScenario(path)),
            Command::Quit => self.guard(ctx, Guarded::Quit),
            Command::Answer(answer) => self.answer(ctx, answer),
            Command::SaveScenario => match self.ws.scenario_path.clone() {
                Some(path) => self.save_scenario(&path),
                None => self.apply(ctx, Command::SaveScenarioAs),
            },
            Command::SaveScenarioAs => {
                if self.ws.scenario.is_some() {
                    self.choose_paths(ctx, PathPurpose::SaveScenario);
                }
            }
            Command::ScenarioEdited => self.scenario_edited(),
            Command::CancelJob(kind) => {
                self.jobs.get_mut(kind).cancel();
                self.notes.push(Level::Info, kind.cancelled());
            }
            Command::ShowInsights(tab) => self.prefs.insights_tab = tab,
            Command::Remeter => {
                // Recompute: metering and what is built from it alone.
                self.jobs.meter.forget_request();
                self.jobs.size.forget_request();
                self.jobs.audit.forget_request();
            }
            Command::ShowView(view) => {
                self.negotiate_ui.wanted |= view == crate::gui::prefs::View::Negotiate;
                self.prefs.view = view;
            }
            Command::FilterProblems(filter) => self.data.value.set_filter(&filter),
            Command::Dismiss(id) => self.notes.dismiss(id),
            Command::SetTheme(theme) => self.prefs.theme = theme,
            Command::ClearRecent => {
                self.prefs.recent_files.clear();
                self.prefs.recent_scenarios.clear();
            }
            Command::ExportReassignment { path, rows } => self.export_reassignment(path, rows),
            Command::ShowCrossover(product) => {
                self.plan_ui.product = product;
                self.prefs.view = crate::gui::prefs::View::Crossover;
            }
            Command::MapFeature { feature, product } => self.map_feature(&feature, &product),
            Command::ShowScenarioTab(tab) => self.prefs.scenario_tab = tab,
            Command::PinBaseline => self.pin_baseline(),
            Command::OpenCompareDialog => self.choose_paths(ctx, PathPurpose::OpenCompare),
            Command::LoadCompareScenario(path) => self.load_compare(&path),
            Command::UseEditedAsB => {
                self.sides.b = None;
                self.sides_changed();
            }
            Command::ClearComparison => {
                self.sides.a = None;
                self.sides.a_auto = false;
                self.sides.b = None;
                self.sides_changed();
            }
            Command::SetTypePaths(on) => self.prefs.type_paths = on,
            Command::AskPath(purpose) => self.ask_path(purpose),
            Command::SubmitPath => self.submit_path(ctx),
            Command::CancelPath => {
                self.prompt = None;
                self.continue_after_save(ctx);
            }
            Command::SortTable { table, column } => self.sorts.click(&table, column),
            Command::SwingChanged => self.negotiate_ui.rev += 1,
            Command::ExportPack(path) => self.export_pack(ctx, path),
            Command::ApplyColumns(path) => self.apply_mapping(ctx, &path),
            Command::SkipMapping(path) => {
                if let Some(form) = self.mappings.take(&path) {
                    self.forget_to_map_note(&path);
                    self.notes
                        .push(Level::Info, format!("{} not imported.", form.file_name()));
                }
            }
            Command::ForgetColumns(signature) => self.forget_mapping(&signature),
            Command::ChooseKeyFile => self.choose_paths(ctx, PathPurpose::KeyFile),
        }
    }

    /// Records an edit of the scenario. The first edit after a load or a
    /// save pins the version as loaded as the comparison's baseline (when
    /// none is pinned), so the Mix view shows what the edits change.
    pub(super) fn scenario_edited(&mut self) {
        let first = !self.ws.is_modified();
        if first
            && self.sides.a.is_none()
            && let Some(saved) = self.ws.saved.clone()
        {
            self.sides.a = Some(CompareSide {
                label: format!("{} (as loaded)", saved.name),
                scenario: saved,
            });
            self.sides.a_auto = true;
            self.sides_changed();
        }
        self.ws.scenario_edited();
    }

    /// Forgets a baseline the first edit pinned: it was of the scenario
    /// that was just replaced.
    pub(super) fn forget_auto_baseline(&mut self) {
        if std::mem::take(&mut self.sides.a_auto) {
            self.sides.a = None;
            self.sides_changed();
        }
    }

    /// Keeps a copy of the scenario as it is now as side A.
    fn pin_baseline(&mut self) {
        let Some(s) = self.ws.scenario.clone() else {
            return;
        };
        self.notes.push(
            Level::Info,
            format!(
                "{} pinned as side A; the Compare tab of the Scenario view sets it against your next edits (or a file loaded as B).",
                s.name
            ),
        );
        self.sides.a = Some(CompareSide {
            label: format!("{} (pinned)", s.name),
            scenario: s,
        });
        self.sides.a_auto = false;
        self.sides_changed();
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
        self.scenario_edited();
        self.notes.push(
            Level::Info,
            format!(
                "{feature} mapped to {product} ({name}); the scenario is modified: save it to keep the mapping."
            ),
        );
    }
}
