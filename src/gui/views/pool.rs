//! The Pool view: how many tokens to buy, of which kind — the plan
//! comparison, the simulated demand fan, the exact ledger of the
//! recommended plan with its expiries, and the denial curve of every
//! `Concurrent` pool. Everything is drawn from [`PoolData`], built by the
//! Size job.

use egui::{RichText, Ui};
use egui_plot::{FilledArea, HLine, HoverPosition, Legend, Line, Plot, PlotPoints, Points, VLine};

use crate::gui::charts::bars_ui;
use crate::gui::fmt;
use crate::gui::insights_data::Table;
use crate::gui::pool_data::{LedgerChart, PoolCurve, PoolData};
use crate::gui::views::table::table_ui;
use crate::time::date_of_day;

/// Legend name of the fan's median line.
pub const FAN_P50: &str = "P50 annual demand";
/// Legend name of the fan's band.
pub const FAN_BAND: &str = "P10–P90 annual demand";
/// Legend name of the expiry markers of the ledger chart.
pub const EXPIRIES: &str = "Lot expiries";
/// Legend name of the ledger's daily demand.
pub const DEMAND: &str = "Daily demand";
/// Heading of the plan comparison.
pub const PLANS: &str = "Plan comparison";

/// The date at plot x `x` (day number since 1970-01-01).
fn date_label(x: f64) -> String {
    if !x.is_finite() || x.abs() > f64::from(i32::MAX / 2) {
        return String::new();
    }
    date_of_day(x.round() as i32).to_string()
}

/// Draws the Pool view; `running` says a Size job is under way, `stale`
/// that the inputs changed since `data` was computed.
pub fn pool_ui(
    ui: &mut Ui,
    data: Option<&PoolData>,
    error: Option<&str>,
    running: bool,
    stale: bool,
) {
    ui.heading("Token pool sizing");
    if let Some(e) = error {
        ui.label(RichText::new(format!("Sizing failed: {e}")).color(ui.visuals().error_fg_color));
    }
    if running {
        ui.weak("Simulating the contract term… (progress and Cancel in the status bar)");
    } else if stale && data.is_some() {
        ui.weak("The inputs changed; these figures are from before.");
    }
    let Some(d) = data else {
        if !running && error.is_none() {
            ui.label("Sizing runs once the data is metered under a valid scenario.");
        }
        return;
    };
    ui.label(RichText::new(&d.headline).strong());
    ui.weak(&d.basis);

    ui.add_space(8.0);
    ui.heading(PLANS);
    plans_table_ui(ui, d);
    bars_ui(
        ui,
        "plan_costs",
        &[("Expected cost", &d.cost_bars), ("P90 cost", &d.p90_bars)],
        &format!("present value, {}", d.currency),
    );

    ui.add_space(8.0);
    ui.heading("Simulated demand per contract year");
    ui.weak(format!(
        "{} simulated terms: the band spans the 10th to the 90th percentile of each year's token demand, the line is the median; the dashed line is the recommended annual purchase.",
        fmt::count(u64::from(d.report.trials))
    ));
    fan_ui(ui, d);
    let fan_table = Table {
        header: vec!["Contract year", "P10 tokens", "P50 tokens", "P90 tokens"],
        rows: d.fan.rows.iter().map(|r| r.to_vec()).collect(),
    };
    table_ui(ui, "fan_table", &fan_table, "No simulated years.");

    ui.add_space(8.0);
    ui.heading("Token ledger of the recommended plan");
    ui.weak(&d.ledger_note);
    match &d.ledger {
        Ok(chart) => {
            ledger_ui(ui, chart);
            ui.label(&chart.totals);
            let years = Table {
                header: vec![
                    "Contract year",
                    "Demand",
                    "Consumed",
                    "Expired",
                    "Overage",
                    "Paid",
                ],
                rows: chart.years.iter().map(|r| r.to_vec()).collect(),
            };
            table_ui(ui, "ledger_years", &years, "No contract years.");
        }
        Err(e) => {
            ui.label(format!("The ledger could not run: {e}"));
        }
    }

    ui.add_space(8.0);
    ui.heading("Concurrent pools");
    if d.pools.is_empty() {
        ui.weak("No product of the scenario is charged under Concurrent: no pool to size.");
    }
    for pool in &d.pools {
        pool_curve_ui(ui, pool);
    }
}

fn plans_table_ui(ui: &mut Ui, d: &PoolData) {
    egui::Grid::new("plan_comparison")
        .striped(true)
        .num_columns(8)
        .show(ui, |ui| {
            for h in [
                "Plan",
                "Annual tokens per year",
                "Contract tokens",
                "Expected cost",
                "P10 cost",
                "P90 cost",
                "Expected expired",
                "P(overage)",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for p in &d.plans {
                let label = if p.recommended {
                    RichText::new(format!("{} (recommended)", p.label)).strong()
                } else {
                    RichText::new(&p.label)
                };
                ui.label(label);
                ui.label(&p.annual);
                ui.label(&p.contract);
                ui.label(&p.expected_cost).on_hover_text(format!(
                    "Mean over {} trials of the present value of purchases, overage and refused demand",
                    fmt::count(u64::from(d.report.trials))
                ));
                ui.label(&p.p10_cost);
                ui.label(&p.p90_cost);
                ui.label(&p.expected_expired);
                ui.label(&p.overage_probability);
                ui.end_row();
            }
        });
}

fn fan_ui(ui: &mut Ui, d: &PoolData) {
    let fan = &d.fan;
    let rows = &fan.rows;
    Plot::new("demand_fan")
        .height(240.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_label("contract year")
        .y_axis_label("tokens per year")
        .x_axis_formatter(|mark, _| {
            let y = mark.value.round();
            if (mark.value - y).abs() < 1e-6 && y >= 1.0 {
                format!("Year {y}")
            } else {
                String::new()
            }
        })
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { index, .. } => rows.get(*index).map(|r| {
                format!(
                    "{}\nP10 {} tokens\nP50 {} tokens\nP90 {} tokens",
                    r[0], r[1], r[2], r[3]
                )
            }),
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot_ui| {
            if fan.xs.len() == fan.p10.len() && fan.xs.len() == fan.p90.len() {
                plot_ui.add(FilledArea::new(FAN_BAND, &fan.xs, &fan.p10, &fan.p90));
            }
            plot_ui.line(Line::new(FAN_P50, PlotPoints::Borrowed(&fan.p50)));
            plot_ui.points(Points::new(FAN_P50, PlotPoints::Borrowed(&fan.p50)).radius(3.0));
            if let Some(a) = d.recommended_annual {
                plot_ui.hline(
                    HLine::new("Recommended annual tokens", a)
                        .style(egui_plot::LineStyle::dashed_dense()),
                );
            }
        });
}

fn ledger_ui(ui: &mut Ui, chart: &LedgerChart) {
    let run = &chart.run;
    let lots = &chart.lots;
    let expiries = &chart.expiries;
    Plot::new("token_ledger")
        .height(300.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| date_label(mark.value))
        .y_axis_label("tokens")
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name, index, ..
            } => {
                if *plot_name == EXPIRIES {
                    return expiries.get(*index).map(|e| e.text.clone());
                }
                let day = run.days.get(*index)?;
                if *plot_name == DEMAND {
                    return Some(format!(
                        "{}\ndemand {} tokens\nconsumed {}, overage {}, unserved {}",
                        day.date,
                        fmt::decimal(day.demand),
                        fmt::decimal(day.consumed),
                        fmt::decimal(day.overage),
                        fmt::decimal(day.unserved)
                    ));
                }
                let lot = lots.iter().position(|l| l.name == *plot_name)?;
                Some(format!(
                    "{} on {}\n{} tokens left\nall lots: {} tokens left",
                    plot_name,
                    day.date,
                    fmt::decimal(day.balances.get(lot).copied().unwrap_or_default()),
                    fmt::decimal(day.remaining())
                ))
            }
            HoverPosition::Elsewhere { position } => Some(date_label(position.x)),
        })
        .show(ui, |plot_ui| {
            for lot in lots {
                plot_ui.line(Line::new(
                    lot.name.as_str(),
                    PlotPoints::Borrowed(&lot.points),
                ));
            }
            plot_ui.line(Line::new(DEMAND, PlotPoints::Borrowed(&chart.demand)).width(1.0));
            for e in expiries {
                plot_ui
                    .vline(VLine::new(EXPIRIES, e.x).style(egui_plot::LineStyle::dashed_loose()));
            }
            plot_ui.points(
                Points::new(EXPIRIES, PlotPoints::Borrowed(&chart.expiry_points))
                    .radius(4.0)
                    .shape(egui_plot::MarkerShape::Diamond),
            );
        });
}

fn pool_curve_ui(ui: &mut Ui, pool: &PoolCurve) {
    ui.label(format!(
        "{} ({}): peak {} tokens over {} checkouts; {} tokens keep denials at or under {} of checkouts.",
        pool.pool,
        pool.products,
        pool.peak,
        fmt::count(pool.checkouts),
        pool.size_for_target,
        pool.target
    ));
    let hover = &pool.hover;
    let target_name = format!("Size for the target ({} tokens)", pool.size_for_target);
    Plot::new(("denials", pool.pool.as_str()))
        .height(200.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_label("pool size, tokens")
        .y_axis_label("denied checkouts")
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { index, .. } => hover.get(*index).cloned(),
            HoverPosition::Elsewhere { position } => {
                Some(format!("pool of {:.0} tokens", position.x.max(0.0)))
            }
        })
        .show(ui, |plot_ui| {
            plot_ui.line(Line::new(
                "Denied checkouts",
                PlotPoints::Borrowed(&pool.points),
            ));
            plot_ui.vline(VLine::new(target_name, f64::from(pool.size_for_target)));
        });
}
