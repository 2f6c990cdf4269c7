//! `tokenplan check`: validate the input files, print every problem, exit 1
//! if any.

use super::common::{had_errors, import_all, load_scenario, print_reports};
use super::{Fail, InputArgs};

/// Runs `tokenplan check`; returns the exit code.
pub(super) fn run(input: &InputArgs) -> Result<u8, Fail> {
    let scenario = input.scenario.as_deref().map(load_scenario).transpose()?;
    let (usage, reports) = import_all(input, scenario.as_ref())?;
    print_reports(&reports, true);
    eprintln!(
        "{} files: {} users, {} sessions, {} use-days, {} vendor charges, {} denials",
        reports.len(),
        usage.users.len(),
        usage.sessions.len(),
        usage.use_days.len(),
        usage.vendor_charges.len(),
        usage.denials.len()
    );
    Ok(had_errors(&reports))
}
