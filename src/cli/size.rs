//! `tokenplan size`: how many tokens to buy, annual or contract, what each
//! plan risks, and the size of each `Concurrent` pool.

use std::fmt::Write as _;
use std::path::Path;

use crate::ledger;
use crate::plan;
use crate::progress::NoProgress;
use crate::scenario::{self, Scenario};

use super::common::{emit, import_and_meter, to_json};
use super::{ExportArgs, Fail, InputArgs, ReportFormat};

/// `size`'s own options.
pub(super) struct SizeArgs<'a> {
    pub(super) trials: Option<u32>,
    pub(super) seed: Option<u64>,
    pub(super) pool_sizes: &'a [u32],
}

/// Runs `tokenplan size`; returns the exit code.
pub(super) fn run(
    input: &InputArgs,
    export: &ExportArgs,
    args: &SizeArgs<'_>,
    format: ReportFormat,
    out: Option<&Path>,
) -> Result<u8, Fail> {
    let SizeArgs {
        trials,
        seed,
        pool_sizes,
    } = *args;
    let loaded = import_and_meter(input, export, "size")?;
    let (scenario, metered) = (&loaded.scenario, &loaded.metered);
    // The token pool to buy serves what the recommended mix (`recommend`'s:
    // the term plan's year 1 when the term couples its years) leaves to
    // tokens.
    let (planned, rec) = crate::term::recommend::recommendation(metered, &loaded.usage, scenario)
        .map_err(Fail::input)?;
    let history = plan::token_demand_of(metered, scenario, &planned, &rec);
    let mut options = ledger::SizingOptions::from_scenario(scenario);
    if let Some(t) = trials {
        options.trials = t;
    }
    if let Some(s) = seed {
        options.seed = s;
    }
    let mut report =
        ledger::size(&history, scenario, &options, &NoProgress).map_err(Fail::input)?;
    report.pools =
        ledger::pools::size_pools(metered, scenario.sizing.target_denial_rate, pool_sizes);
    // A short window is said in every output that forecasts (SPEC §4).
    let history_days = u32::try_from(report.history_days).unwrap_or(u32::MAX);
    report.warnings.extend(plan::short_window_warning(
        history_days,
        scenario.forecast.history_days,
    ));
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let text = match format {
        ReportFormat::Json => to_json(&report)?,
        ReportFormat::Csv => size_csv(&report)?,
        ReportFormat::Table => size_table(&report, scenario),
    };
    emit(&text, out, loaded.privacy.as_ref())?;
    Ok(loaded.exit)
}

fn size_csv(report: &ledger::SizeReport) -> Result<String, Fail> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| Fail::input(format!("cannot write CSV: {e}"));
    w.write_record([
        "annual_tokens_per_year",
        "contract_tokens",
        "expected_cost",
        "p10_cost",
        "p50_cost",
        "p90_cost",
        "expected_expired",
        "overage_probability",
        "recommended",
        "expected_unserved",
        "unserved_probability",
        "within_risk",
    ])
    .map_err(fail)?;
    for (i, p) in report.plans.iter().enumerate() {
        w.write_record([
            p.annual_tokens_per_year.to_string(),
            p.contract_tokens.to_string(),
            p.expected_cost.to_string(),
            p.p10_cost.to_string(),
            p.p50_cost.to_string(),
            p.p90_cost.to_string(),
            p.expected_expired.to_string(),
            p.overage_probability.to_string(),
            if i == report.recommended { "yes" } else { "" }.to_string(),
            p.expected_unserved.to_string(),
            p.unserved_probability.to_string(),
            if report.recommended_within_risk == Some(i) {
                "yes"
            } else {
                ""
            }
            .to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    let mut text = String::from_utf8(bytes).map_err(Fail::input)?;
    if !report.pools.is_empty() {
        text.push('\n');
        text.push_str(&size_pools_csv(&report.pools)?);
    }
    Ok(text)
}

/// `size --format csv`'s second table, after a blank line: one row per
/// `Concurrent` pool, served and added-back demand apart (SPEC §5).
fn size_pools_csv(pools: &[ledger::PoolSizing]) -> Result<String, Fail> {
    let fail = |e: csv::Error| Fail::input(format!("cannot write CSV: {e}"));
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "pool",
        "products",
        "peak",
        "demand_peak",
        "checkouts",
        "added_back_checkouts",
        "denials_logged",
        "entitlement_records",
        "chained_denials",
        "served_denials",
        "target_denial_rate",
        "size_for_target",
    ])
    .map_err(fail)?;
    for p in pools {
        let d = &p.denied_demand;
        w.write_record([
            p.pool.clone(),
            p.products.join(" "),
            p.peak.to_string(),
            p.demand_peak.to_string(),
            p.checkouts.to_string(),
            p.added_back_checkouts.to_string(),
            d.logged.to_string(),
            d.entitlement_records.to_string(),
            d.chained.to_string(),
            d.served.to_string(),
            p.target_denial_rate.to_string(),
            p.size_for_target.to_string(),
        ])
        .map_err(fail)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
    String::from_utf8(bytes).map_err(Fail::input)
}

fn size_table(report: &ledger::SizeReport, scenario: &Scenario) -> String {
    let cur = &scenario.currency;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Token pool over {} years from {} ({} trials, seed {}); mean annual demand {} tokens",
        report.term_years,
        report.term_start,
        report.trials,
        report.seed,
        report.mean_annual_demand.round_dp(0)
    );
    // Refused demand is shown only when the contract can refuse it.
    let refuses = !matches!(
        scenario.contract.overdraft,
        scenario::Overdraft::Unlimited | scenario::Overdraft::TopUp
    );
    let _ = writeln!(
        s,
        "{:>3} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12} {:>9}{}",
        "",
        "annual/yr",
        "contract",
        "expected",
        "P10",
        "P90",
        "expired",
        "P(over)",
        if refuses {
            format!(" {:>12} {:>10}", "refused", "P(refused)")
        } else {
            String::new()
        }
    );
    let mut line = |label: &str, i: usize| {
        if let Some(p) = report.plans.get(i) {
            let _ = writeln!(
                s,
                "{label:>3} {:>12} {:>12} {:>14} {:>14} {:>14} {:>12} {:>9}{}",
                p.annual_tokens_per_year.round_dp(0),
                p.contract_tokens.round_dp(0),
                format!("{cur} {}", p.expected_cost),
                p.p10_cost,
                p.p90_cost,
                p.expected_expired.round_dp(0),
                p.overage_probability,
                if refuses {
                    format!(
                        " {:>12} {:>10}",
                        p.expected_unserved.round_dp(0),
                        p.unserved_probability
                    )
                } else {
                    String::new()
                }
            );
        }
    };
    let _ = &report.side_by_side;
    if let Some(i) = report.side_by_side.annual_only {
        line("A", i);
    }
    if let Some(i) = report.side_by_side.contract_only {
        line("C", i);
    }
    if let Some(i) = report.side_by_side.best_mix {
        line("M", i);
    }
    line("*", report.recommended);
    if let Some(i) = report.recommended_within_risk {
        line("R", i);
    }
    let _ = writeln!(
        s,
        "A annual-only, C contract-only, M best mix, * recommended (lowest expected cost{}), \
         R cheapest within the risk limit ({})",
        if refuses {
            " refusing within the risk limit"
        } else {
            ""
        },
        scenario.sizing.risk_limit
    );

    for p in &report.pools {
        let _ = writeln!(
            s,
            "Pool {}: peak {} tokens over {} checkouts; size for the target denial rate: {}",
            p.pool, p.peak, p.checkouts, p.size_for_target
        );
        let d = &p.denied_demand;
        if d.logged > 0 {
            let _ = writeln!(
                s,
                "  denied demand: {} denials logged, {} added back as checkouts (peak {} with them); \
                 not added back: entitlement records {}, retries of an earlier denial {}, \
                 served within 15 minutes {}",
                d.logged,
                p.added_back_checkouts,
                p.demand_peak,
                d.entitlement_records,
                d.chained,
                d.served
            );
        }
    }
    s
}
