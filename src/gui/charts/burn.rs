//! The burn chart of the Insights view, drawn from [`BurnData`]'s cached
//! points.

use egui::Ui;
use egui_plot::{HLine, HoverPosition, Legend, Line, Plot, PlotPoints};

use crate::gui::model::insights::BurnData;

/// Legend name of the burn chart's daily tokens.
pub const BURN_SERIES: &str = "Tokens per day";

/// Tokens per day with the 7- and 30-day trailing means and the alert
/// threshold; hovering a day shows what it is made of.
pub fn burn_chart_ui(ui: &mut Ui, b: &BurnData) {
    let hover = &b.hover;
    Plot::new("burn_chart")
        .height(300.0)
        .legend(Legend::default())
        .allow_scroll(false)
        .x_axis_formatter(|mark, _| super::date_label(mark.value))
        .y_axis_label("tokens per day")
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { index, .. } => hover.get(*index).cloned(),
            HoverPosition::Elsewhere { position } => Some(super::date_label(position.x)),
        })
        .show(ui, |plot_ui| {
            plot_ui.line(Line::new(BURN_SERIES, PlotPoints::Borrowed(&b.tokens)));
            plot_ui.line(Line::new("7-day mean", PlotPoints::Borrowed(&b.avg_7d)));
            plot_ui.line(Line::new("30-day mean", PlotPoints::Borrowed(&b.avg_30d)));
            if let Some(a) = b.alert {
                plot_ui.hline(HLine::new("Alert threshold", a));
            }
        });
}
