//! `tokenplan meter`: replay usage under the scenario's charging rules and
//! print the charges, grouped `--by` user, product, pair or day, as CSV or
//! JSON.

use rust_decimal::Decimal;

use crate::meter::{self, MeterSummary, Total};
use crate::progress::NoProgress;
use crate::usage::Usage;

use super::common::{emit, load, print_mapping, print_use_days, to_json};
use super::streamed::{Streaming, load_streamed};
use super::{By, DataFormat, ExportArgs, Fail, InputArgs};

/// Runs `tokenplan meter`; returns the exit code.
pub(super) fn run(
    input: &InputArgs,
    export: &ExportArgs,
    by: By,
    format: DataFormat,
    stream: Streaming,
) -> Result<u8, Fail> {
    let (p, summary) = match load_streamed(input, export, "meter", stream)? {
        Some((p, streamed)) => {
            let summary = streamed
                .summary(&p.usage, &p.scenario, &NoProgress)
                .map_err(Fail::input)?;
            (p, summary)
        }
        None => {
            let p = load(input, export, "meter")?;
            let summary =
                meter::meter_summary(&p.usage, &p.scenario, &NoProgress).map_err(Fail::input)?;
            (p, summary)
        }
    };
    print_mapping(&summary.unmapped, &summary.ambiguities);
    print_use_days(&summary.use_days);
    let text = meter_output(&summary, &p.usage, by, format)?;
    emit(&text, None, p.privacy.as_ref())?;
    Ok(p.exit)
}

/// One output row of `meter`.
#[derive(serde::Serialize)]
struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    product: Option<&'a str>,
    /// A shared `DailyPeak` pool's subtotal row (`--by product`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pool: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    date: Option<String>,
    charges: u64,
    #[serde(serialize_with = "plain_decimal")]
    tokens: Decimal,
    /// Some charges' dates are only their month's (usage reports' month rows).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    dated_by_month: bool,
}

fn plain_decimal<S: serde::Serializer>(d: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.normalize().to_string())
}

/// The rows of `meter` in output order. `--by product` ends with one
/// subtotal row per `DailyPeak` pool that several products share: its
/// products' rows added up, the tokens being the pool's daily peaks (each
/// product's row holds its share, SPEC §4), so the subtotal is not to be
/// added to them again. CSV writes its product column as `pool:NAME`, JSON
/// a `pool` field instead of `product`.
fn meter_rows<'a>(metered: &'a MeterSummary, usage: &'a Usage, by: By) -> Vec<Row<'a>> {
    let row = |user, product, date, t: Total| Row {
        user,
        product,
        pool: None,
        date,
        charges: t.charges,
        tokens: t.tokens,
        dated_by_month: false,
    };
    let flagged = &metered.use_days.dated_by_month;
    let pair_flagged: std::collections::BTreeSet<(u32, meter::ProductIdx)> =
        flagged.iter().map(|&(u, p, _)| (u, p)).collect();
    let day_flagged = metered.use_days.days_dated_by_month();
    match by {
        By::UserProduct => metered
            .pairs
            .iter()
            .map(|p| Row {
                dated_by_month: pair_flagged.contains(&(p.user, p.product)),
                ..row(
                    Some(usage.users.name(p.user)),
                    Some(metered.product_code(p.product)),
                    None,
                    p.total,
                )
            })
            .collect(),
        By::User => metered
            .by_user()
            .into_iter()
            .map(|(u, t)| row(Some(usage.users.name(u)), None, None, t))
            .collect(),
        By::Product => {
            let mut rows: Vec<Row<'a>> = metered
                .by_product()
                .into_iter()
                .map(|(p, t)| row(None, Some(metered.product_code(p)), None, t))
                .collect();
            for (pool, t) in metered.shared_pools() {
                rows.push(Row {
                    pool: Some(pool),
                    ..row(None, None, None, t)
                });
            }
            rows
        }
        By::Day => metered
            .by_day
            .iter()
            .map(|(&d, &t)| Row {
                dated_by_month: day_flagged.contains(&d),
                ..row(None, None, Some(crate::time::date_of_day(d).to_string()), t)
            })
            .collect(),
    }
}

fn meter_output(
    metered: &MeterSummary,
    usage: &Usage,
    by: By,
    format: DataFormat,
) -> Result<String, Fail> {
    let rows = meter_rows(metered, usage, by);
    match format {
        DataFormat::Csv => {
            let header: &[&str] = match by {
                By::UserProduct => &["user", "product", "charges", "tokens"],
                By::User => &["user", "charges", "tokens"],
                By::Product => &["product", "charges", "tokens"],
                By::Day => &["date", "charges", "tokens"],
            };
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::with_capacity(rows.len() * 32));
            let csv_fail = |e: csv::Error| Fail::input(format!("cannot write CSV: {e}"));
            w.write_record(header).map_err(csv_fail)?;
            for r in &rows {
                let charges = r.charges.to_string();
                let tokens = r.tokens.normalize().to_string();
                let pool = r.pool.map(|p| format!("pool:{p}"));
                let mut rec: Vec<&str> = Vec::with_capacity(4);
                rec.extend(r.user);
                rec.extend(r.product);
                rec.extend(pool.as_deref());
                rec.extend(r.date.as_deref());
                rec.push(&charges);
                rec.push(&tokens);
                w.write_record(&rec).map_err(csv_fail)?;
            }
            let bytes = w
                .into_inner()
                .map_err(|e| Fail::input(format!("cannot write CSV: {e}")))?;
            String::from_utf8(bytes).map_err(Fail::input)
        }
        DataFormat::Json => {
            let by = match by {
                By::UserProduct => "user-product",
                By::User => "user",
                By::Product => "product",
                By::Day => "day",
            };
            let doc = serde_json::json!({
                "by": by,
                "rows": rows,
                "unmapped": metered.unmapped,
                "free_sessions": metered.free_sessions,
                "use_days": {
                    "charged": metered.use_days.charged,
                    "joined": metered.use_days.joined,
                    "dated_by_month": metered.use_days.dated_by_month.len(),
                    "unmapped": metered.use_days.unmapped,
                },
                "warnings": metered.use_days.warnings(),
            });
            to_json(&doc)
        }
    }
}
