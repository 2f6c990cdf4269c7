//! `tokenplan audit`: monitoring and audits over history (burn, budgets,
//! day-boundary and double-dip charges, idle what-ifs, the shadow bill).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::monitor::{self, AuditOptions};
use crate::progress::NoProgress;
use crate::scenario::Scenario;

use super::common::{Loaded, emit, import_and_meter, to_json};
use super::{ExportArgs, Fail, InputArgs, ReportFormat};

/// Runs `tokenplan audit`; returns the exit code.
pub(super) fn run(
    input: &InputArgs,
    export: &ExportArgs,
    options: &AuditOptions,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    let loaded = import_and_meter(input, export, "audit")?;
    let report = monitor::audit(
        &loaded.usage,
        &loaded.scenario,
        &loaded.metered,
        options,
        &NoProgress,
    )
    .map_err(Fail::input)?;
    // The report holds everything it shows: the history and its metering
    // go before the text is made.
    let Loaded {
        exit,
        scenario,
        usage,
        metered,
        privacy,
    } = loaded;
    drop((usage, metered));
    if format == ReportFormat::Json && out.is_none() && privacy.is_none() {
        // Straight to the output: the same bytes as `to_json` without
        // holding them all.
        let mut w = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
        serde_json::to_writer_pretty(&mut w, &report)
            .map_err(Fail::input)
            .and_then(|()| {
                w.write_all(b"\n")
                    .and_then(|()| w.flush())
                    .map_err(|e| Fail::input(format!("cannot write output: {e}")))
            })?;
        return Ok(exit);
    }
    let text = match format {
        ReportFormat::Json => to_json(&report)?,
        ReportFormat::Csv => audit_csv(&report)?,
        ReportFormat::Table => audit_table(&report, &scenario),
    };
    emit(&text, out, privacy.as_ref())?;
    Ok(exit)
}

/// `audit --format csv`: the day-boundary charges, the list to act on.
fn audit_csv(report: &monitor::AuditReport) -> Result<String, Fail> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in &report.day_boundary {
        w.serialize(row)
            .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(Fail::input)
}

fn audit_table(report: &monitor::AuditReport, scenario: &Scenario) -> String {
    let cur = &scenario.currency;
    let mut s = String::new();
    let _ = writeln!(s, "Shadow bill (the whole history under each rule):");
    for row in &report.shadow_bill {
        let _ = writeln!(
            s,
            "  {:<12} {:>14} tokens   {cur} {}{}",
            row.rule,
            row.tokens,
            row.cost,
            row.error
                .as_ref()
                .map_or_else(String::new, |e| format!("   ({e})"))
        );
    }
    let _ = writeln!(
        s,
        "Day-boundary charges: {} ({} tokens, {cur} {})",
        report.day_boundary.len(),
        report.day_boundary_summary.tokens,
        report.day_boundary_summary.cost
    );
    let _ = writeln!(
        s,
        "Double-dip charges: {} ({} tokens, {cur} {})",
        report.double_dip.len(),
        report.double_dip_summary.tokens,
        report.double_dip_summary.cost
    );
    for w in &report.idle {
        let _ = writeln!(
            s,
            "Harvest ({}): saves {} tokens ({cur} {})",
            w.description, w.tokens_saved, w.saving
        );
    }
    let b = &report.burn_summary;
    let _ = writeln!(
        s,
        "Burn as of {}: month to date {} tokens, projected month {} at {}/day; {} days over the alert",
        report
            .today
            .map_or_else(|| "-".to_string(), |d| d.to_string()),
        b.month_to_date,
        b.projected_month,
        b.daily_rate.round_dp(2),
        b.days_over_alert.len()
    );
    s
}
