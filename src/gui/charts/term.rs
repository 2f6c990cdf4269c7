//! The Term view's chart: one stacked column per contract year for the
//! term plan and, beside it in a lighter shade, for renewing as-is —
//! subscriptions, tokens used, tokens expired, overage and top-ups — each
//! part's hover saying what it is made of (a tooltip, kept inside the
//! window).

use egui::Ui;
use egui_plot::{Bar, BarChart, Legend, Plot};

use super::{bar_at, bar_tooltip, no_bar_label};
use crate::gui::model::term::{PART_COLOURS, PARTS, TermChart};

/// Draws `chart`; the y axis is money in `currency`.
pub fn term_chart_ui(ui: &mut Ui, chart: &TermChart, currency: &str) {
    let labels = chart.labels.clone();
    let shown = Plot::new("term_columns")
        .height(260.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .include_y(0.0)
        .include_y(chart.top * 1.35)
        .y_axis_label(format!("cost per year, {currency}"))
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        })
        .show(ui, |plot_ui| {
            for (part, bars) in chart.parts.iter().enumerate() {
                let (Some(name), Some(colour)) = (PARTS.get(part), PART_COLOURS.get(part)) else {
                    continue;
                };
                plot_ui.bar_chart(
                    BarChart::new(*name, bars.clone())
                        .color(*colour)
                        .element_formatter(no_bar_label()),
                );
            }
            plot_ui.pointer_coordinate()
        });
    let hovered: Option<&Bar> = shown.inner.and_then(|p| {
        chart
            .parts
            .iter()
            .find_map(|bars| bar_at(bars, p).and_then(|i| bars.get(i)))
    });
    bar_tooltip(&shown.response, hovered.map(|b| b.name.as_str()));
}
