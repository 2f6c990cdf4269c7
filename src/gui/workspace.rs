//! The domain state the app owns: the scenario being edited and the
//! imported usage with the [`Source`]s it came from and one [`Report`] per
//! file read. What is computed from them (metering, plans, sizing...) is in
//! the app's analyses.
//!
//! Every input carries a revision that goes up on each change, so derived
//! data and background jobs know what they were computed from.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::ingest::Report;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// Where loaded data came from: what a reload reads again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Source {
    /// The bundled sample data (three files, embedded in the app).
    Sample,
    /// A file the user opened.
    File(PathBuf),
}

impl Source {
    /// How the Data view names it.
    pub fn name(&self) -> String {
        match self {
            Source::Sample => "the bundled sample data".to_owned(),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// The app's domain state.
pub struct Workspace {
    /// The scenario being edited (`None` until the first one loads).
    pub scenario: Option<Scenario>,
    /// The file the scenario was loaded from or last saved to.
    pub scenario_path: Option<PathBuf>,
    /// Goes up on every scenario edit or load.
    pub scenario_rev: u64,
    /// The scenario revision last loaded from or saved to a file (or the
    /// bundled sample): anything newer is an unsaved edit.
    pub saved_rev: u64,
    /// The scenario as last loaded or saved (what an unsaved edit would
    /// lose; the first edit pins it as the comparison's baseline).
    pub saved: Option<Scenario>,
    /// Everything imported so far.
    pub usage: Arc<Usage>,
    /// One report per file read, in import order.
    pub reports: Vec<Report>,
    /// Where the usage came from, in import order.
    pub sources: Vec<Source>,
    /// For each report, the index of its source in `sources`.
    pub report_sources: Vec<usize>,
    /// Goes up on every successful import.
    pub usage_rev: u64,
}

impl Default for Workspace {
    fn default() -> Self {
        Workspace {
            scenario: None,
            scenario_path: None,
            scenario_rev: 0,
            saved_rev: 0,
            saved: None,
            usage: Arc::new(Usage::default()),
            reports: Vec::new(),
            sources: Vec::new(),
            report_sources: Vec::new(),
            usage_rev: 0,
        }
    }
}

/// Usage with where it came from, as an import job hands it over.
#[derive(Default)]
pub struct Loaded {
    /// Everything imported.
    pub usage: Usage,
    /// One report per file read, in import order.
    pub reports: Vec<Report>,
    /// Where it came from, in import order.
    pub sources: Vec<Source>,
    /// For each report, the index of its source.
    pub report_sources: Vec<usize>,
}

impl Workspace {
    /// The revision of everything metering reads: changes whenever the
    /// scenario or the usage does.
    pub fn input_rev(&self) -> u64 {
        // Both counters only go up, so the sum changes on every change of either.
        self.scenario_rev + self.usage_rev
    }

    /// Replaces the scenario (a load or an edit) and bumps its revision.
    pub fn set_scenario(&mut self, scenario: Scenario, path: Option<PathBuf>) {
        self.saved = Some(scenario.clone());
        self.scenario = Some(scenario);
        self.scenario_path = path;
        self.scenario_rev += 1;
        self.saved_rev = self.scenario_rev;
    }

    /// Records that the scenario as it is now was written to `path`.
    pub fn scenario_saved(&mut self, path: PathBuf) {
        self.saved.clone_from(&self.scenario);
        self.scenario_path = Some(path);
        self.saved_rev = self.scenario_rev;
    }

    /// True when the scenario has edits not saved to a file.
    pub fn is_modified(&self) -> bool {
        self.scenario.is_some() && self.saved_rev != self.scenario_rev
    }

    /// Records an edit made in place on [`Workspace::scenario`].
    pub fn scenario_edited(&mut self) {
        self.scenario_rev += 1;
    }

    /// Takes `scenario` as an edited version not saved anywhere (a
    /// recovered edit): modified from the start, its file `path` (where
    /// Save writes it) when known.
    pub fn set_unsaved(&mut self, scenario: Scenario, path: Option<PathBuf>) {
        self.scenario = Some(scenario);
        self.scenario_path = path;
        self.saved = None;
        self.scenario_rev += 1;
        // Saved "one revision ago": the scenario shows as modified.
        self.saved_rev = self.scenario_rev - 1;
    }

    /// Replaces the usage after a successful import.
    pub fn set_usage(&mut self, loaded: Loaded) {
        self.usage = Arc::new(loaded.usage);
        self.reports = loaded.reports;
        self.sources = loaded.sources;
        self.report_sources = loaded.report_sources;
        self.usage_rev += 1;
    }

    /// True when any data is loaded.
    pub fn has_data(&self) -> bool {
        !self.sources.is_empty()
    }

    /// The sources without the one at `index`.
    pub fn sources_without(&self, index: usize) -> Vec<Source> {
        self.sources
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != index)
            .map(|(_, s)| s.clone())
            .collect()
    }
}
