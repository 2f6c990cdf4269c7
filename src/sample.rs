//! The bundled demo data that `tokenplan` opens with: a year of sessions of
//! 200 users, their directory, who holds which subscription today, and an
//! Autodesk-style scenario. Embedded in the binary so it works from anywhere.

use crate::ingest::{self, ImportOptions, Report};
use crate::progress::NoProgress;
use crate::scenario::{Scenario, ScenarioError};
use crate::usage::Usage;

/// The sample scenario, RON.
pub const SCENARIO_RON: &str = include_str!("../sample-data/scenario.ron");

/// The sample input files: name as shown in reports, and content.
pub const FILES: [(&str, &[u8]); 3] = [
    (
        "sample-data/directory.csv",
        include_bytes!("../sample-data/directory.csv"),
    ),
    (
        "sample-data/sessions.csv",
        include_bytes!("../sample-data/sessions.csv"),
    ),
    (
        "sample-data/assignments.csv",
        include_bytes!("../sample-data/assignments.csv"),
    ),
];

/// The sample scenario.
///
/// # Errors
/// Never with the bundled file (a test pins it); the type says it can.
pub fn scenario() -> Result<Scenario, ScenarioError> {
    Scenario::from_ron(SCENARIO_RON)
}

/// Imports the sample files in the scenario's server zone.
pub fn usage(scenario: &Scenario) -> (Usage, Vec<Report>) {
    let opts = ImportOptions {
        time_zone: scenario.server_tz().unwrap_or(chrono_tz::America::New_York),
        ..ImportOptions::default()
    };
    let mut usage = Usage::default();
    let mut reports = Vec::new();
    for (name, bytes) in FILES {
        match ingest::import_bytes(name, bytes, &opts, &mut usage, &NoProgress) {
            Ok(report) => reports.push(report),
            Err(e) => {
                let mut report = Report::new(name);
                report.fatal = true;
                report.problem(0, e.to_string());
                reports.push(report);
            }
        }
    }
    (usage, reports)
}
