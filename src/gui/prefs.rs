//! Preferences persisted with eframe's storage between runs: recent files,
//! the sources and scenario file loaded last (reopened at the next start),
//! theme, the last view and panel sizes, the column mappings chosen per
//! header signature ([`RememberedColumns`]) and the path of the
//! pseudonyms' key file (never the key). Domain data is never stored here.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::workspace::Source;
use crate::ingest::{ColumnMap, MapTarget};

/// Key of [`Prefs`] in eframe's storage.
pub const STORAGE_KEY: &str = "tokenplan.prefs";

/// Most entries kept in each recent-files list.
pub const MAX_RECENT: usize = 10;

/// The views of the side navigation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum View {
    /// Loaded sources and their problems.
    Data,
    /// Metered charges.
    Charges,
    /// The scenario editor.
    Scenario,
    /// Subscription vs tokens crossover.
    Crossover,
    /// The recommended mix: where the app opens.
    #[default]
    Mix,
    /// The contract term year by year against renewing as-is.
    Term,
    /// Token pool sizing.
    Pool,
    /// Monitoring over the history: burn, budgets, audits, what-ifs.
    Insights,
    /// The negotiation pack: options, tornado, break-evens.
    Negotiate,
}

impl View {
    /// Every view, in navigation order.
    pub const ALL: [View; 9] = [
        View::Data,
        View::Charges,
        View::Scenario,
        View::Crossover,
        View::Mix,
        View::Term,
        View::Pool,
        View::Insights,
        View::Negotiate,
    ];

    /// The navigation label.
    pub fn label(self) -> &'static str {
        match self {
            View::Data => "Data",
            View::Charges => "Charges",
            View::Scenario => "Scenario",
            View::Crossover => "Crossover",
            View::Mix => "Mix",
            View::Term => "Term",
            View::Pool => "Pool",
            View::Insights => "Insights",
            View::Negotiate => "Negotiate",
        }
    }
}

/// The sub-tabs of the Insights view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum InsightsTab {
    /// Tokens per day, averages, month-to-date, run-out.
    #[default]
    Burn,
    /// Virtual pools per department.
    Budgets,
    /// Charges caused only by crossing midnight.
    DayBoundary,
    /// Harvest policies replayed.
    Idle,
    /// The history under every rule.
    Shadow,
    /// Tokens paid on top of a covering subscription.
    DoubleDip,
    /// A Token Flex export against the replay.
    Vendor,
}

impl InsightsTab {
    /// Every sub-tab, in order.
    pub const ALL: [InsightsTab; 7] = [
        InsightsTab::Burn,
        InsightsTab::Budgets,
        InsightsTab::DayBoundary,
        InsightsTab::Idle,
        InsightsTab::Shadow,
        InsightsTab::DoubleDip,
        InsightsTab::Vendor,
    ];

    /// The sub-tab's label.
    pub fn label(self) -> &'static str {
        match self {
            InsightsTab::Burn => "Burn",
            InsightsTab::Budgets => "Budgets",
            InsightsTab::DayBoundary => "Day boundary",
            InsightsTab::Idle => "Idle what-if",
            InsightsTab::Shadow => "Shadow bill",
            InsightsTab::DoubleDip => "Double dip",
            InsightsTab::Vendor => "Vendor audit",
        }
    }
}

/// The sub-tabs of the Scenario view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScenarioTab {
    /// The editor.
    #[default]
    Editor,
    /// Two scenarios side by side.
    Compare,
}

impl ScenarioTab {
    /// Every sub-tab, in order.
    pub const ALL: [ScenarioTab; 2] = [ScenarioTab::Editor, ScenarioTab::Compare];

    /// The sub-tab's label.
    pub fn label(self) -> &'static str {
        match self {
            ScenarioTab::Editor => "Editor",
            ScenarioTab::Compare => "Compare",
        }
    }
}

/// The colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Theme {
    /// Follow the system.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// Which column is which in a table of no known kind, as the user chose
/// it in the Data view: applied to every later file with the same header
/// signature (`ingest::header_signature`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RememberedColumns {
    /// What the table holds (the kind it is read as).
    pub target: MapTarget,
    /// Which column is which.
    pub columns: ColumnMap,
    /// The day it was chosen (the Data view says so).
    pub chosen_on: NaiveDate,
}

/// Everything remembered between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Prefs {
    /// Input files opened lately, newest first.
    pub recent_files: Vec<PathBuf>,
    /// Scenario files opened or saved lately, newest first.
    pub recent_scenarios: Vec<PathBuf>,
    /// Colour theme.
    pub theme: Theme,
    /// The view shown last.
    pub view: View,
    /// Width of the navigation panel, points.
    pub nav_width_pt: f32,
    /// The Insights sub-tab shown last.
    pub insights_tab: InsightsTab,
    /// The Scenario sub-tab shown last.
    pub scenario_tab: ScenarioTab,
    /// Type file paths in a prompt instead of the system's file dialogs.
    pub type_paths: bool,
    /// The data sources loaded when the app last saved its state.
    pub last_sources: Vec<Source>,
    /// The scenario file open then (none: the sample, or never saved).
    pub last_scenario: Option<PathBuf>,
    /// The window was sized from the screen once (later starts keep the
    /// size the user left it at).
    pub window_sized: bool,
    /// Column mappings chosen in the Data view, by header signature.
    pub column_maps: BTreeMap<String, RememberedColumns>,
    /// The key file of the last pseudonymised export (its path only).
    pub key_file: Option<PathBuf>,
}

impl Default for Prefs {
    fn default() -> Self {
        Prefs {
            recent_files: Vec::new(),
            recent_scenarios: Vec::new(),
            theme: Theme::System,
            view: View::Mix,
            nav_width_pt: 140.0,
            insights_tab: InsightsTab::Burn,
            scenario_tab: ScenarioTab::Editor,
            type_paths: false,
            last_sources: Vec::new(),
            last_scenario: None,
            window_sized: false,
            column_maps: BTreeMap::new(),
            key_file: None,
        }
    }
}

impl Prefs {
    /// Puts `path` first in `list`, without duplicates, at most [`MAX_RECENT`].
    pub fn remember(list: &mut Vec<PathBuf>, path: &Path) {
        list.retain(|p| p != path);
        list.insert(0, path.to_path_buf());
        list.truncate(MAX_RECENT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_list_is_newest_first_unique_and_bounded() {
        let mut list = Vec::new();
        for i in 0..12 {
            Prefs::remember(&mut list, Path::new(&format!("f{i}.csv")));
        }
        Prefs::remember(&mut list, Path::new("f5.csv"));
        assert_eq!(list.len(), MAX_RECENT);
        assert_eq!(list[0], PathBuf::from("f5.csv"));
        assert_eq!(list[1], PathBuf::from("f11.csv"));
        assert_eq!(
            list.iter()
                .filter(|p| p.as_path() == Path::new("f5.csv"))
                .count(),
            1
        );
    }

    #[test]
    fn prefs_round_trip_through_ron() {
        let mut prefs = Prefs {
            theme: Theme::Dark,
            view: View::Charges,
            ..Prefs::default()
        };
        Prefs::remember(&mut prefs.recent_files, Path::new("/data/usage.csv"));
        prefs.last_sources = vec![Source::Sample, Source::File("/data/adskflex.log".into())];
        prefs.last_scenario = Some("/data/fy27.ron".into());
        prefs.column_maps.insert(
            "benutzer|produkt|nutzungstag|stunden".into(),
            RememberedColumns {
                target: MapTarget::DayReport,
                columns: "user=Benutzer,product=Produkt,date=Nutzungstag"
                    .parse()
                    .unwrap(),
                chosen_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            },
        );
        prefs.key_file = Some("/data/pseudonyms.key".into());
        let text = ron::ser::to_string(&prefs).unwrap();
        let back: Prefs = ron::from_str(&text).unwrap();
        assert_eq!(back, prefs);
        // Older stored prefs lacking fields still load.
        let old: Prefs = ron::from_str("(theme: Light)").unwrap();
        assert_eq!(old.theme, Theme::Light);
        assert_eq!(old.view, View::Mix);
    }
}
