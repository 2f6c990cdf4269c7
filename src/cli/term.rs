//! `tokenplan term`: the contract term year by year (seats kept, added and
//! dropped, tokens, costs and present values) against renewing as-is.

use std::path::Path;

use crate::term;

use super::common::{emit, import_and_meter, to_json};
use super::{ExportArgs, Fail, InputArgs, ReportFormat};

/// Runs `tokenplan term`; returns the exit code.
pub(super) fn run(input: &InputArgs, format: ReportFormat, out: Option<&Path>) -> Result<u8, Fail> {
    // The term's output names no user or host: nothing to pseudonymise.
    let loaded = import_and_meter(input, &ExportArgs { pseudonymize: None }, "term")?;
    let analysis = term::analyse_term(
        &loaded.metered,
        &loaded.usage,
        &loaded.scenario,
        term::SearchOptions::default(),
    )
    .map_err(Fail::input)?;
    for w in &analysis.warnings {
        eprintln!("warning: {w}");
    }
    let text = match format {
        ReportFormat::Json => to_json(&term::TermReport::new(&analysis))?,
        ReportFormat::Csv => {
            let mut bytes = Vec::new();
            analysis
                .write_csv(&mut bytes)
                .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
            String::from_utf8(bytes).map_err(Fail::input)?
        }
        ReportFormat::Table => analysis.table(&loaded.scenario.currency),
    };
    emit(&text, out, None)?;
    Ok(loaded.exit)
}
