//! `tokenplan recommend`: the cheapest mix of subscriptions and tokens, per
//! user, as a readable summary, the reassignment list (CSV) or JSON.

use std::fmt::Write as _;
use std::path::Path;

use crate::plan;
use crate::scenario::Scenario;

use super::common::{emit, import_and_meter, loaded, to_json};
use super::streamed::{Streaming, load_streamed};
use super::{ExportArgs, Fail, InputArgs, ReportFormat};
use crate::progress::NoProgress;

/// Runs `tokenplan recommend`; returns the exit code.
pub(super) fn run(
    input: &InputArgs,
    export: &ExportArgs,
    format: ReportFormat,
    out: Option<&Path>,
    stream: Streaming,
) -> Result<u8, Fail> {
    let loaded = match load_streamed(input, export, "recommend", stream)? {
        Some((p, streamed)) => {
            let metered = streamed
                .metered(&p.usage, &p.scenario, &NoProgress)
                .map_err(Fail::input)?;
            loaded(p, metered)
        }
        None => import_and_meter(input, export, "recommend")?,
    };
    let report =
        crate::term::recommend::recommend(&loaded.metered, &loaded.usage, &loaded.scenario)
            .map_err(Fail::input)?;
    for w in &report.warnings {
        eprintln!("warning: {w}");
    }
    let text = match format {
        ReportFormat::Json => to_json(&report)?,
        ReportFormat::Csv => {
            let mut bytes = Vec::new();
            report
                .write_reassignment_csv(&mut bytes)
                .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
            String::from_utf8(bytes).map_err(Fail::input)?
        }
        ReportFormat::Table => recommend_table(&report, &loaded.scenario),
    };
    emit(&text, out, loaded.privacy.as_ref())?;
    Ok(loaded.exit)
}

/// The readable summary of a recommendation.
fn recommend_table(r: &plan::RecommendReport, scenario: &Scenario) -> String {
    let cur = &scenario.currency;
    let mut s = String::new();
    let _ = writeln!(s, "Recommended mix: {cur} {} a year", r.total_annual_cost);
    let _ = writeln!(
        s,
        "  subscriptions {cur} {}   tokens {} at {cur} {} = {cur} {}",
        r.subscription_cost, r.annual_tokens, r.token_price, r.token_cost
    );
    let beyond = &r.tokens_beyond_forecast;
    if !beyond.tokens.0.is_zero() {
        let _ = writeln!(
            s,
            "  of which {} tokens beyond the forecast of {} ({cur} {})",
            beyond.tokens, r.tokens_needed, beyond.cost
        );
    }
    for p in &r.daily_peak_pools {
        let _ = writeln!(
            s,
            "  token-days pool {} ({}): {} tokens of the forecast",
            p.pool,
            p.products.join(", "),
            p.forecast_tokens
        );
    }
    for p in &r.pools {
        let price = p
            .price
            .map_or_else(|| "no price".to_string(), |x| format!("{cur} {x}"));
        let _ = writeln!(
            s,
            "  pool {} ({}): {} tokens at {price} = {cur} {}",
            p.pool,
            p.products.join(", "),
            p.size,
            p.cost
        );
    }
    let _ = writeln!(s, "Baselines:");
    let _ = writeln!(s, "  all tokens         {cur} {}", r.baselines.all_tokens);
    let _ = writeln!(
        s,
        "  all subscriptions  {cur} {}",
        r.baselines.all_subscriptions
    );
    if let Some(current) = &r.baselines.current {
        let _ = writeln!(s, "  current            {cur} {current}");
    }
    let _ = writeln!(s, "Seats:");
    for (code, n) in &r.seats {
        let _ = writeln!(s, "  {code:<10} {n}");
    }
    let _ = writeln!(
        s,
        "Crossover at the marginal token price {cur} {} (subscription pays off above):",
        r.marginal_token_price
    );
    for c in &r.crossover {
        if let (Some(y), Some(m)) = (&c.days_per_year, &c.days_per_month) {
            let _ = writeln!(
                s,
                "  {:<8} {:<8} {y:>8} days/year {m:>7} days/month",
                c.subscription, c.product
            );
        }
    }
    let mut movers: Vec<_> = r
        .users
        .iter()
        .filter(|u| u.subscriptions != u.current_plan)
        .collect();
    movers.sort_by(|a, b| b.saving.cmp(&a.saving).then_with(|| a.user.cmp(&b.user)));
    let _ = writeln!(
        s,
        "Users whose plan changes: {} of {} (full list: --format csv)",
        movers.len(),
        r.users.len()
    );
    for u in movers.iter().take(15) {
        let plan_of = |p: &[String]| {
            if p.is_empty() {
                "tokens".to_string()
            } else {
                p.join("+")
            }
        };
        let _ = writeln!(
            s,
            "  {:<14} {:>12} -> {:<12} saves {cur} {}",
            u.user,
            plan_of(&u.current_plan),
            plan_of(&u.subscriptions),
            u.saving
        );
    }
    s
}
