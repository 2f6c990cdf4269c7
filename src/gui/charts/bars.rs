//! Grouped bar charts of cached [`BarItem`]s: one bar per item, series side
//! by side, the item's label on the x axis and its hover text on hover (a
//! tooltip, kept inside the window).

use egui::Ui;
use egui_plot::{Bar, BarChart, Legend, Plot};

use super::{bar_at, bar_tooltip, no_bar_label};
use crate::gui::model::BarItem;

/// Draws `series` (name, bars) as grouped bars under the id `id`; the x
/// axis shows the labels of the first series, the y axis says `y_unit`.
pub fn bars_ui(ui: &mut Ui, id: &str, series: &[(&str, &[BarItem])], y_unit: &str) {
    let groups = series.len().max(1) as f64;
    let width = 0.8 / groups;
    let labels: Vec<String> = series
        .first()
        .map(|(_, items)| items.iter().map(|b| b.label.clone()).collect())
        .unwrap_or_default();
    let all: Vec<Bar> = series
        .iter()
        .enumerate()
        .flat_map(|(s, (_, items))| {
            let offset = (s as f64 - (groups - 1.0) / 2.0) * width;
            items.iter().enumerate().map(move |(i, b)| {
                Bar::new(i as f64 + offset, b.value)
                    .width(width)
                    .name(&b.hover)
            })
        })
        .collect();
    let shown = Plot::new(id)
        .height(220.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .y_axis_label(y_unit.to_owned())
        .x_axis_formatter(move |mark, _| {
            let i = mark.value.round();
            if (mark.value - i).abs() > 1e-6 || i < 0.0 {
                return String::new();
            }
            labels.get(i as usize).cloned().unwrap_or_default()
        })
        .show(ui, |plot_ui| {
            let mut rest = all.as_slice();
            for (name, items) in series {
                let (bars, after) = rest.split_at(items.len().min(rest.len()));
                rest = after;
                plot_ui.bar_chart(
                    BarChart::new(*name, bars.to_vec()).element_formatter(no_bar_label()),
                );
            }
            plot_ui.pointer_coordinate()
        });
    let bar = shown.inner.and_then(|p| bar_at(&all, p));
    bar_tooltip(
        &shown.response,
        bar.and_then(|i| all.get(i)).map(|b| b.name.as_str()),
    );
}
