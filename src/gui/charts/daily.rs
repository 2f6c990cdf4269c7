//! Tokens per day: one point per local charge date.

use egui::Ui;
use egui_plot::{HoverPosition, Line, Plot, PlotPoints};

use crate::gui::fmt;
use crate::gui::model::charges::Charges;

/// Name of the series, shown in the legend (a checkbox) and on hover.
pub const SERIES: &str = "Tokens per day";

/// Draws tokens per day; hovering a point shows its date, tokens, charges
/// and the user-products charged.
pub fn tokens_per_day_ui(ui: &mut Ui, charges: &Charges) {
    let days = &charges.days;
    Plot::new("tokens_per_day")
        .height(280.0)
        .legend(egui_plot::Legend::default())
        .x_axis_formatter(|mark, _range| super::date_label(mark.value))
        .y_axis_label("tokens")
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { index, .. } => days.get(*index).map(|d| {
                format!(
                    "{}\n{} tokens\n{} charges ({} user-products)",
                    d.date,
                    fmt::decimal(d.tokens),
                    fmt::count(d.charges),
                    fmt::count(d.users)
                )
            }),
            HoverPosition::Elsewhere { position } => Some(super::date_label(position.x)),
        })
        .show(ui, |plot_ui| {
            plot_ui.line(Line::new(SERIES, PlotPoints::Borrowed(&charges.day_points)));
        });
}
