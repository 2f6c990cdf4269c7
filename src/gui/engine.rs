//! The GUI's only door to the engine: every engine call the app makes goes
//! through a function here, and each runs inside a background job.
//!
//! Errors come back as text with their whole cause chain, ready to be shown
//! once in the notification area.

use std::error::Error;
use std::path::Path;

use crate::ingest::{ImportOptions, Report};
use crate::meter::Metered;
use crate::progress::Progress;
use crate::scenario::{Scenario, ScenarioError};
use crate::usage::Usage;

/// A validation problem of one scenario field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// Path of the field, e.g. `products.ACD.rates[0].tokens` (empty when
    /// the problem is about the whole scenario).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// `error` and each of its causes, joined by `: `.
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let more = c.to_string();
        // Many errors already print their cause; don't say it twice.
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The bundled sample scenario.
///
/// # Errors
/// When the bundled file is broken (a test pins that it is not).
pub fn sample_scenario() -> Result<Scenario, String> {
    crate::sample::scenario().map_err(|e| error_chain(&e))
}

/// The bundled sample usage, imported in `scenario`'s server zone.
pub fn sample_usage(scenario: &Scenario) -> (Usage, Vec<Report>) {
    crate::sample::usage(scenario)
}

/// Imports one file into `usage`, its kind detected from the content.
///
/// # Errors
/// When the file cannot be read or is of no known kind.
pub fn import_file(
    path: &Path,
    usage: &mut Usage,
    options: &ImportOptions,
    progress: &dyn Progress,
) -> Result<Report, String> {
    crate::ingest::import_path(path, options, usage, progress).map_err(|e| error_chain(&e))
}

/// Meters `usage` under `scenario`.
///
/// # Errors
/// When a zone of the scenario is not an IANA zone, a pool rate is not
/// whole, or the job was cancelled.
pub fn meter(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<Metered, String> {
    crate::meter::meter(usage, scenario, progress).map_err(|e| error_chain(&e))
}

/// Reads and validates a scenario file.
///
/// # Errors
/// The file cannot be read, or is not a valid scenario (with line and
/// column, or the field).
pub fn load_scenario(path: &Path) -> Result<Scenario, String> {
    Scenario::load(path).map_err(|e| error_chain(&e))
}

/// Writes a scenario file atomically (temporary file, then rename).
///
/// # Errors
/// When the file cannot be written.
pub fn save_scenario(scenario: &Scenario, path: &Path) -> Result<(), String> {
    scenario.save(path).map_err(|e| error_chain(&e))
}

/// Every validation problem of `scenario`, by field path.
pub fn scenario_problems(scenario: &Scenario) -> Vec<FieldProblem> {
    scenario
        .problems()
        .into_iter()
        .map(|e| match e {
            ScenarioError::Invalid { field, message, .. } => FieldProblem { field, message },
            other => FieldProblem {
                field: String::new(),
                message: error_chain(&other),
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_names_every_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(error_chain(&io), "no such file");
    }
}
