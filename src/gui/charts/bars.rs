//! Grouped bar charts of cached [`BarItem`]s: one bar per item, series side
//! by side, the item's label on the x axis and its hover text on hover.

use egui::Ui;
use egui_plot::{Bar, BarChart, Legend, Plot};

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
    Plot::new(id)
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
            for (s, (name, items)) in series.iter().enumerate() {
                let offset = (s as f64 - (groups - 1.0) / 2.0) * width;
                let bars = items
                    .iter()
                    .enumerate()
                    .map(|(i, b)| {
                        Bar::new(i as f64 + offset, b.value)
                            .width(width)
                            .name(&b.hover)
                    })
                    .collect();
                plot_ui.bar_chart(
                    BarChart::new(*name, bars)
                        .element_formatter(Box::new(|bar: &Bar, _: &BarChart| bar.name.clone())),
                );
            }
        });
}
