//! Applying the [`Command`]s the views emitted, after the frame: file
//! actions, job starts and cancels, comparison sides, preferences. Also the
//! frame's own input (shortcuts, dropped files) and the colour theme.

use std::path::PathBuf;

use super::App;
use super::files::ScenarioSource;
use crate::gui::command::Command;
use crate::gui::model::compare::CompareSide;
use crate::gui::model::prompt::PathPurpose;
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
            Command::ShowView(view) => self.prefs.view = view,
            Command::FilterProblems(filter) => self.data.value.set_filter(&filter),
            Command::Dismiss(id) => self.notes.dismiss(id),
            Command::SetTheme(theme) => self.prefs.theme = theme,
            Command::ClearRecent => {
                self.prefs.recent_files.clear();
                self.prefs.recent_scenarios.clear();
            }
            Command::ExportReassignment(path) => self.export_reassignment(path),
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
                self.sides.b = None;
                self.sides_changed();
            }
            Command::SetTypePaths(on) => self.prefs.type_paths = on,
            Command::AskPath(purpose) => self.ask_path(purpose),
            Command::SubmitPath => self.submit_path(ctx),
            Command::CancelPath => self.prompt = None,
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
        self.ws.scenario_edited();
        self.notes.push(
            Level::Info,
            format!(
                "{feature} mapped to {product} ({name}); the scenario is modified: save it to keep the mapping."
            ),
        );
    }
}
