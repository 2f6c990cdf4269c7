//! The domain state the app owns: the scenario being edited and the
//! imported usage with one [`Report`] per source. What is computed from
//! them (metering, plans, sizing...) is in the app's analyses.
//!
//! Every input carries a revision that goes up on each change, so derived
//! data and background jobs know what they were computed from.

use std::path::PathBuf;
use std::sync::Arc;

use crate::ingest::Report;
use crate::scenario::Scenario;
use crate::usage::Usage;

/// Where the imported data came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The bundled sample data.
    Sample,
    /// Files the user opened.
    Files(Vec<PathBuf>),
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
    /// Everything imported so far.
    pub usage: Arc<Usage>,
    /// One report per imported source, in import order.
    pub reports: Vec<Report>,
    /// Where the usage came from.
    pub origin: Origin,
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
            usage: Arc::new(Usage::default()),
            reports: Vec::new(),
            origin: Origin::Files(Vec::new()),
            usage_rev: 0,
        }
    }
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
        self.scenario = Some(scenario);
        self.scenario_path = path;
        self.scenario_rev += 1;
        self.saved_rev = self.scenario_rev;
    }

    /// Records that the scenario as it is now was written to `path`.
    pub fn scenario_saved(&mut self, path: PathBuf) {
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

    /// Replaces the usage after a successful import.
    pub fn set_usage(&mut self, usage: Arc<Usage>, reports: Vec<Report>, origin: Origin) {
        self.usage = usage;
        self.reports = reports;
        self.origin = origin;
        self.usage_rev += 1;
    }
}
