//! The planner's charts: users by forecast use-days with the crossover
//! lines, baseline costs against the recommendation, and one
//! subscription's cost curve. Bars and points come ready from
//! [`PlanData`](crate::gui::model::plan::PlanData); hovers show what a figure is
//! made of.

use std::sync::Arc;

use egui::Ui;
use egui_plot::{
    Bar, BarChart, HoverPosition, Legend, Line, MarkerShape, Plot, PlotPoints, Points, VLine,
};

use crate::gui::model::plan::{CostBars, CurveChart, ProductChart};

/// Legend name of the histogram bars.
pub const USERS_BY_DAYS: &str = "Users by forecast days";
/// Legend name of the subscription part of the cost bars.
pub const SUBSCRIPTIONS: &str = "Subscriptions";
/// Legend name of the token part of the cost bars.
pub const TOKENS: &str = "Tokens";
/// Legend name of a cost curve.
pub const CURVE: &str = "Total annual cost";
/// Legend name of the cheapest point of a cost curve.
pub const OPTIMUM: &str = "Cheapest seat count";

/// How a bar chart formats a bar's hover text.
type BarFormatter = Box<dyn Fn(&Bar, &BarChart) -> String>;

/// A formatter showing the hover text of the bar's index.
fn hover_of(
    hovers: &Arc<Vec<String>>,
    by_argument: impl Fn(f64) -> Option<usize> + 'static,
) -> BarFormatter {
    let hovers = Arc::clone(hovers);
    Box::new(move |bar, _| {
        by_argument(bar.argument)
            .and_then(|i| hovers.get(i))
            .cloned()
            .unwrap_or_default()
    })
}

/// Users by forecast use-days of one product, a vertical line per
/// subscription covering it at its crossover.
pub fn histogram_ui(ui: &mut Ui, chart: &ProductChart, height_pt: f32) {
    // Bars sit at bin centres; the hover of a bar is found by its centre.
    let centres: Vec<f64> = chart.bars.iter().map(|b| b.argument).collect();
    let find = move |x: f64| centres.iter().position(|c| (c - x).abs() < 1e-9);
    let code = chart.code.clone();
    Plot::new(("histogram", &chart.code))
        .height(height_pt)
        .legend(Legend::default())
        .x_axis_label(format!("{} forecast use-days a year", chart.code))
        .y_axis_label("users")
        .include_x(0.0)
        .include_y(0.0)
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint { .. } => None,
            HoverPosition::Elsewhere { position } => {
                Some(format!("{:.1} {code} days a year", position.x))
            }
        })
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(
                BarChart::new(USERS_BY_DAYS, chart.bars.clone())
                    .element_formatter(hover_of(&chart.hovers, find)),
            );
            for (x, label) in &chart.lines {
                plot_ui.vline(VLine::new(label.clone(), *x).width(2.0));
            }
        });
}

/// Stacked annual cost (subscriptions + tokens) of each baseline and the
/// recommendation.
pub fn costs_ui(ui: &mut Ui, costs: &CostBars, currency: &str, height_pt: f32) {
    let labels = costs.labels.clone();
    let by_x = |x: f64| (x >= 0.0).then(|| x.round() as usize);
    let subs = BarChart::new(SUBSCRIPTIONS, costs.subscriptions.clone())
        .element_formatter(hover_of(&costs.hovers, by_x));
    let tokens = BarChart::new(TOKENS, costs.tokens.clone())
        .element_formatter(hover_of(&costs.hovers, by_x))
        .stack_on(&[&subs]);
    Plot::new("baseline_costs")
        .height(height_pt)
        .legend(Legend::default())
        .y_axis_label(format!("{currency} a year"))
        .include_y(0.0)
        .x_axis_formatter(move |mark, _| {
            let x = mark.value;
            if (x - x.round()).abs() > 1e-9 || x < 0.0 {
                return String::new();
            }
            labels
                .get(x.round() as usize)
                .map_or_else(String::new, |l| (*l).to_owned())
        })
        .label_formatter(|_| None)
        .show(ui, |plot_ui| {
            plot_ui.bar_chart(subs);
            plot_ui.bar_chart(tokens);
        });
}

/// Total annual cost against one subscription's seats, the cheapest point
/// marked and the recommended seat count as a vertical line.
pub fn cost_curve_ui(ui: &mut Ui, curve: &CurveChart, height_pt: f32) {
    let hovers = &curve.hovers;
    let optimum_hover = curve
        .optimum
        .first()
        .and_then(|p| {
            curve
                .points
                .iter()
                .position(|q| q.x == p.x)
                .and_then(|i| hovers.get(i))
        })
        .cloned()
        .unwrap_or_default();
    Plot::new(("cost_curve", &curve.code))
        .height(height_pt)
        .legend(Legend::default())
        .x_axis_label(format!("{} seats", curve.code))
        .y_axis_label("total a year")
        .label_formatter(move |pos| match pos {
            HoverPosition::NearDataPoint {
                plot_name, index, ..
            } if *plot_name == CURVE => hovers.get(*index).cloned(),
            HoverPosition::NearDataPoint { plot_name, .. } if *plot_name == OPTIMUM => {
                Some(format!("Cheapest: {optimum_hover}"))
            }
            HoverPosition::NearDataPoint { .. } => None,
            HoverPosition::Elsewhere { position } => {
                Some(format!("{:.0} seats", position.x.max(0.0)))
            }
        })
        .show(ui, |plot_ui| {
            plot_ui.line(Line::new(CURVE, PlotPoints::Borrowed(&curve.points)));
            plot_ui.points(
                Points::new(OPTIMUM, PlotPoints::Borrowed(&curve.optimum))
                    .shape(MarkerShape::Diamond)
                    .radius(6.0),
            );
            plot_ui.vline(VLine::new(
                format!("Recommended: {} seats", curve.recommended_seats),
                curve.recommended_seats,
            ));
        });
}
