//! The Negotiate view's charts: the options side by side (term total or
//! NPV, and Δ against renewing as-is) and the tornado (each input's low
//! and high NPV re-optimised, today's plan held fixed beside it). Money
//! arrives as `Decimal` and becomes plot `f64` only here.

use egui::Ui;
use egui_plot::{Bar, BarChart, Corner, GridMark, Legend, Plot, VLine};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{bar_at, bar_tooltip, no_bar_label};
use crate::gui::model::negotiate::{OptionBar, TornadoBar};

/// The options chart's series of the figure chosen.
pub const OPTION_VALUE: &str = "Option";
/// The options chart's series of the Δ against renewing as-is.
pub const OPTION_DELTA: &str = "Δ against renew as-is";
/// The tornado's series: the plan re-optimised at the input's low value.
pub const LOW: &str = "Input low, re-optimised";
/// The tornado's series: the plan re-optimised at the input's high value.
pub const HIGH: &str = "Input high, re-optimised";
/// The tornado's series: today's plan held fixed.
pub const HELD: &str = "Today's plan held";

/// An axis mark of money, thousands grouped (`1,250,000`).
fn money_mark(mark: GridMark, _: &std::ops::RangeInclusive<f64>) -> String {
    Decimal::from_f64_retain(mark.value.round())
        .map_or_else(String::new, |d| crate::gui::fmt::decimal(d.round()))
}

/// Money at the plot's edge.
fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// Bars per option: its term total (or NPV when `npv`) and its Δ against
/// renewing as-is side by side; the hover says what each is made of.
pub fn options_ui(ui: &mut Ui, options: &[OptionBar], npv: bool, currency: &str) {
    let labels: Vec<String> = options.iter().map(|o| o.name.clone()).collect();
    let width = 0.38;
    let value: Vec<Bar> = options
        .iter()
        .enumerate()
        .map(|(i, o)| {
            Bar::new(i as f64 - 0.2, f(if npv { o.npv } else { o.total }))
                .width(width)
                .name(&o.hover)
        })
        .collect();
    let delta: Vec<Bar> = options
        .iter()
        .enumerate()
        .filter_map(|(i, o)| {
            let d = if npv { o.delta_npv } else { o.delta_total }?;
            Some(Bar::new(i as f64 + 0.2, f(d)).width(width).name(&o.hover))
        })
        .collect();
    let all: Vec<Bar> = value.iter().chain(&delta).cloned().collect();
    let shown = Plot::new("negotiate_options")
        .height(240.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .include_y(0.0)
        .y_axis_formatter(money_mark)
        .y_axis_label(if npv {
            format!("NPV of the term, {currency}")
        } else {
            format!("term total, {currency}")
        })
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        })
        .label_formatter(|_| None)
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(BarChart::new(OPTION_VALUE, value).element_formatter(no_bar_label()));
            plot_ui.bar_chart(BarChart::new(OPTION_DELTA, delta).element_formatter(no_bar_label()));
            plot_ui.pointer_coordinate()
        });
    let bar = shown.inner.and_then(|p| bar_at(&all, p));
    bar_tooltip(
        &shown.response,
        bar.and_then(|i| all.get(i)).map(|b| b.name.as_str()),
    );
}

/// The tornado: one row per input, largest swing at the top; the bars run
/// from today's NPV to the NPV at the input's low and high values, the
/// thinner ones below them are today's plan held fixed there.
pub fn tornado_ui(ui: &mut Ui, rows: &[TornadoBar], base_npv: Decimal, currency: &str) {
    let n = rows.len();
    let base = f(base_npv);
    // Row i (largest swing first) sits at y = n − 1 − i, so it is on top.
    let y = |i: usize| (n - 1 - i) as f64;
    let labels: Vec<String> = rows.iter().rev().map(|r| r.label.clone()).collect();
    let bar = |at: f64, to: Decimal, w: f64| Bar::new(at, f(to) - base).base_offset(base).width(w);
    let each = |to: fn(&TornadoBar) -> Decimal, dy: f64, w: f64| -> Vec<Bar> {
        rows.iter()
            .enumerate()
            .map(|(i, r)| bar(y(i) + dy, to(r), w))
            .collect()
    };
    let low = each(|r| r.low, 0.12, 0.4);
    let high = each(|r| r.high, 0.12, 0.4);
    let mut held = each(|r| r.held_low, -0.25, 0.18);
    held.extend(each(|r| r.held_high, -0.25, 0.18));
    let height = (70.0 + 32.0 * n as f32).max(160.0);
    // Every bar's ends, with a margin: the plot's own bounds of offset
    // horizontal bars cut the longest.
    let ends = rows
        .iter()
        .flat_map(|r| [r.low, r.high, r.held_low, r.held_high])
        .map(f)
        .chain([base]);
    let (lo, hi) = ends.fold((base, base), |(a, b), x| (a.min(x), b.max(x)));
    let pad = ((hi - lo) * 0.05).max(1.0);
    let (lo, hi) = (lo - pad, hi + pad);
    let shown = Plot::new("negotiate_tornado")
        .height(height)
        // Bottom right: the small swings are there, the long bars on top.
        .legend(Legend::default().position(Corner::RightBottom))
        .allow_scroll(false)
        .y_axis_min_width(180.0)
        .x_axis_label(format!("NPV of the term, {currency}"))
        .x_axis_formatter(money_mark)
        .include_x(lo)
        .include_x(hi)
        .include_y(-0.6)
        .include_y(n as f64 - 0.4)
        .y_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        })
        .label_formatter(|_| None)
        .show(ui, |plot_ui| {
            plot_ui.vline(VLine::new("NPV today", base));
            for (name, bars) in [(LOW, low), (HIGH, high), (HELD, held)] {
                plot_ui.bar_chart(
                    BarChart::new(name, bars)
                        .horizontal()
                        .element_formatter(no_bar_label()),
                );
            }
            plot_ui.pointer_coordinate()
        });
    // The row under the pointer, anywhere across the plot's width.
    let row = shown.inner.and_then(|p| {
        let r = p.y.round();
        ((p.y - r).abs() <= 0.45 && r >= 0.0 && (r as usize) < n).then(|| n - 1 - r as usize)
    });
    bar_tooltip(
        &shown.response,
        row.and_then(|i| rows.get(i)).map(|r| r.hover.as_str()),
    );
}
