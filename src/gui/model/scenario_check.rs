//! The scenario's validation messages by field path, as the Scenario
//! view's editor shows them next to each field, and its sanity warnings
//! (legal but usually a slip; they block nothing). Rebuilt in `logic()`
//! only when the scenario or the usage changes (a warning reads the
//! history's last day).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::gui::engine::{self, FieldProblem};
use crate::scenario::{SanityWarning, Scenario};

/// Validation messages of the scenario by field path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioCheck {
    /// Every problem, in the engine's order.
    pub problems: Vec<FieldProblem>,
    /// Messages by field path.
    pub by_field: BTreeMap<String, Vec<String>>,
    /// What looks like a slip, in the engine's order.
    pub warnings: Vec<SanityWarning>,
}

impl ScenarioCheck {
    /// Validates `scenario`; `history_end` is the loaded history's last
    /// day, when any is loaded.
    pub fn build(scenario: &Scenario, history_end: Option<NaiveDate>) -> ScenarioCheck {
        let problems = engine::scenario_problems(scenario);
        let mut by_field: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &problems {
            by_field
                .entry(p.field.clone())
                .or_default()
                .push(p.message.clone());
        }
        ScenarioCheck {
            problems,
            by_field,
            warnings: scenario.sanity_warnings(history_end),
        }
    }

    /// Messages about exactly `field`.
    pub fn at(&self, field: &str) -> &[String] {
        self.by_field.get(field).map_or(&[], Vec::as_slice)
    }

    /// The sanity warnings about exactly `field`.
    pub fn warnings_at<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.warnings
            .iter()
            .filter(move |w| w.field == field)
            .map(|w| w.message.as_str())
    }

    /// True when the scenario can be metered.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}
