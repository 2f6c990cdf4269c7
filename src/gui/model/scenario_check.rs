//! The scenario's validation messages by field path, as the Scenario
//! view's editor shows them next to each field. Rebuilt in `logic()` only
//! when the scenario revision changes.

use std::collections::BTreeMap;

use crate::gui::engine::{self, FieldProblem};
use crate::scenario::Scenario;

/// Validation messages of the scenario by field path.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScenarioCheck {
    /// Every problem, in the engine's order.
    pub problems: Vec<FieldProblem>,
    /// Messages by field path.
    pub by_field: BTreeMap<String, Vec<String>>,
}

impl ScenarioCheck {
    /// Validates `scenario`.
    pub fn build(scenario: &Scenario) -> ScenarioCheck {
        let problems = engine::scenario_problems(scenario);
        let mut by_field: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for p in &problems {
            by_field
                .entry(p.field.clone())
                .or_default()
                .push(p.message.clone());
        }
        ScenarioCheck { problems, by_field }
    }

    /// Messages about exactly `field`.
    pub fn at(&self, field: &str) -> &[String] {
        self.by_field.get(field).map_or(&[], Vec::as_slice)
    }

    /// True when the scenario can be metered.
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}
