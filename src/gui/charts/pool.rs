//! The Pool view's charts: the fan of simulated annual demand, the exact
//! token ledger of the recommended plan, and each `Concurrent` pool's
//! denial curve, drawn from [`PoolData`]'s cached points.

use egui::Ui;
use egui_plot::{
    Bar, BarChart, FilledArea, HLine, HoverPosition, Legend, Line, Plot, PlotPoints, Points, VLine,
};

use crate::gui::fmt;
use crate::gui::model::pool::{LedgerChart, PoolCurve, PoolData};

/// Legend name of the fan's median line.
pub const FAN_P50: &str = "P50 annual demand";
/// Legend name of the fan's band.
pub const FAN_BAND: &str = "P10–P90 annual demand";
/// Legend name of the expiry markers of the ledger chart.
pub const EXPIRIES: &str = "Lot expiries";
/// Legend name of a pool's served daily peak.
pub const SERVED: &str = "Served peak";
/// Legend name of the denied demand added back on top of it.
pub const ADDED_BACK: &str = "Added-back denied demand";
/// Legend name of the ledger's daily demand.
pub const DEMAND: &str = "Daily demand";

/// The fan of simulated demand per contract year: the P10–P90 band, the
/// P50 line and the recommended annual purchase.
pub fn fan_ui(ui: &mut Ui, d: &PoolData) {
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

/// The exact ledger: one balance line per lot, the daily demand and the
/// lots' expiries; hovers give each day's exact figures.
pub fn ledger_ui(ui: &mut Ui, chart: &LedgerChart) {
    let run = &chart.run;
    let lots = &chart.lots;
    let expiries = &chart.expiries;
    Plot::new("token_ledger")
        .height(300.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| super::date_label(mark.value))
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
            HoverPosition::Elsewhere { position } => Some(super::date_label(position.x)),
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

/// One `Concurrent` pool: its summary line and denied checkouts against
/// the pool size, the size meeting the target marked.
pub fn pool_curve_ui(ui: &mut Ui, pool: &PoolCurve) {
    ui.label(format!(
        "{} ({}): peak {} tokens over {} checkouts and {} denied checkouts added back; {} tokens keep denials at or under {} of checkouts.",
        pool.pool,
        pool.products,
        pool.peak,
        fmt::count(pool.checkouts),
        fmt::count(pool.added_back_checkouts),
        pool.size_for_target,
        pool.target
    ));
    ui.weak(&pool.denied_words);
    pool_daily_ui(ui, pool);
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

/// The pool's daily peaks: the served peak in one colour, the denied
/// demand added back stacked on it in another.
fn pool_daily_ui(ui: &mut Ui, pool: &PoolCurve) {
    if pool.daily.is_empty() {
        return;
    }
    let bar = |d: &crate::gui::model::pool::PoolDayBar, value: u32| {
        Bar::new(d.x, f64::from(value)).width(0.8).name(&d.hover)
    };
    let served = BarChart::new(
        SERVED,
        pool.daily.iter().map(|d| bar(d, d.served)).collect(),
    )
    .color(egui::Color32::from_rgb(70, 130, 180))
    .element_formatter(Box::new(bar_hover));
    let added = BarChart::new(
        ADDED_BACK,
        pool.daily.iter().map(|d| bar(d, d.added)).collect(),
    )
    .color(egui::Color32::from_rgb(230, 120, 40))
    .element_formatter(Box::new(bar_hover))
    .stack_on(&[&served]);
    Plot::new(("pool_daily", pool.pool.as_str()))
        .height(200.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| super::date_label(mark.value))
        .y_axis_label("peak tokens")
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(served);
            plot_ui.bar_chart(added);
        });
}

/// A daily bar's hover: the words its model put in its name.
fn bar_hover(b: &Bar, _: &BarChart) -> String {
    b.name.clone()
}
