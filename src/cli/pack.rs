//! `tokenplan pack`: the negotiation pack (SPEC §9) as an XLSX workbook —
//! the options side by side over the term, the tornado, the break-evens,
//! and every assumption and source behind them.

use std::path::Path;

use rust_decimal::Decimal;

use crate::pack::{self, CompareInput, PackInputs, PackOptions, ScenarioFile};
use crate::progress::NoProgress;

use super::common::{
    had_errors, import_all, load_scenario, print_mapping, print_reports, print_use_days,
};
use super::{ExportArgs, Fail, InputArgs};

/// What `tokenplan pack` takes besides the inputs.
pub(super) struct PackArgs<'a> {
    /// Where the workbook goes.
    pub(super) out: &'a Path,
    /// A scenario to compare.
    pub(super) compare: Option<&'a Path>,
    /// X of the tornado.
    pub(super) swing: Decimal,
}

/// The file's name (not its directories) and the SHA-256 of its bytes.
fn scenario_file(path: &Path) -> Result<ScenarioFile, Fail> {
    let bytes = std::fs::read(path)
        .map_err(|e| Fail::input(format!("{}: cannot read: {e}", path.display())))?;
    let name = path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    Ok(ScenarioFile::new(name, &bytes))
}

/// Runs `tokenplan pack`; returns the exit code.
pub(super) fn run(input: &InputArgs, export: &ExportArgs, args: &PackArgs<'_>) -> Result<u8, Fail> {
    let Some(scenario_path) = input.scenario.as_deref() else {
        return Err(Fail::usage("pack needs --scenario S.ron"));
    };
    if args.swing <= Decimal::ZERO || args.swing >= Decimal::ONE {
        return Err(Fail::usage(format!(
            "--swing {}: a share between 0 and 1, e.g. 0.1 for ±10%",
            args.swing
        )));
    }
    let mut scenario = load_scenario(scenario_path)?;
    let file = scenario_file(scenario_path)?;
    let mut compare = match args.compare {
        Some(path) => Some(CompareInput {
            scenario: load_scenario(path)?,
            file: Some(scenario_file(path)?),
        }),
        None => None,
    };
    let (mut usage, mut reports) = import_all(input, Some(&scenario))?;
    print_reports(&reports, false);
    let exit = had_errors(&reports);
    let privacy = match export.pseudonymize.as_deref() {
        None => None,
        Some(keyfile) => Some(
            crate::privacy::prepare(keyfile, &mut usage, Some(&mut scenario))
                .map_err(Fail::input)?,
        ),
    };
    if let Some(p) = &privacy {
        for r in &mut reports {
            p.report(r);
        }
        if let Some(c) = compare.as_mut() {
            let pinned = std::mem::take(&mut c.scenario.constraints.pinned);
            c.scenario.constraints.pinned = pinned
                .into_iter()
                .map(|(u, codes)| (p.user(&u), codes))
                .collect();
        }
    }
    let metered = crate::meter::meter(&usage, &scenario, &NoProgress).map_err(Fail::input)?;
    print_mapping(&metered.unmapped, &metered.ambiguities);
    print_use_days(&metered.use_days);
    let inputs = PackInputs {
        usage: &usage,
        metered: &metered,
        reports: &reports,
        scenario_file: Some(&file),
        compare: compare.as_ref(),
    };
    let options = PackOptions {
        swing: args.swing,
        ..PackOptions::default()
    };
    let built = pack::build(&inputs, &scenario, &options, &NoProgress).map_err(Fail::input)?;
    for w in &built.warnings {
        eprintln!("warning: {w}");
    }
    let bytes = pack::workbook::to_bytes(&built).map_err(Fail::input)?;
    if let Some(p) = &privacy {
        let text = pack::workbook::text_of(&bytes).map_err(Fail::input)?;
        p.guard(text.as_bytes()).map_err(Fail::input)?;
    }
    crate::atomic::write(args.out, &bytes)
        .map_err(|e| Fail::input(format!("{}: cannot write: {e}", args.out.display())))?;
    eprintln!(
        "negotiation pack written to {} ({} options, {} inputs in the tornado)",
        args.out.display(),
        built.options.len(),
        built.sensitivity.rows.len()
    );
    Ok(exit)
}
