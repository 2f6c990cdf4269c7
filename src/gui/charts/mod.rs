//! Charts: each draws cached plot points (`PlotPoints::Borrowed`), with axes
//! and hover labels in the domain's units. Dates are plot x as day numbers
//! since 1970-01-01, written by [`date_label`].

pub mod bars;
pub mod burn;
pub mod daily;
pub mod negotiate;
pub mod plan;
pub mod pool;
pub mod term;

pub use bars::bars_ui;
pub use daily::tokens_per_day_ui;

use egui_plot::{Bar, BarChart, PlotPoint};

use crate::time::{date_of_day, day_of_date};

/// How a bar chart formats a bar's own hover label.
type BarLabel = Box<dyn Fn(&Bar, &BarChart) -> String>;

/// A bar chart's own hover label drawn as nothing: the bar's text is shown
/// by [`bar_tooltip`] instead.
pub(crate) fn no_bar_label() -> BarLabel {
    Box::new(|_, _| String::new())
}

/// The index of the bar of `bars` under `pointer` (x within its width, y
/// between 0 and its top; stacked bars by their own base).
pub(crate) fn bar_at(bars: &[Bar], pointer: PlotPoint) -> Option<usize> {
    bars.iter().position(|b| {
        let (lo, hi) = (
            b.base_offset.unwrap_or(0.0),
            b.base_offset.unwrap_or(0.0) + b.value,
        );
        (pointer.x - b.argument).abs() <= b.bar_width / 2.0
            && pointer.y >= lo.min(hi)
            && pointer.y <= lo.max(hi)
    })
}

/// Shows `text` on `response` as an egui tooltip. A plot's own hover label
/// is painted inside the plot and cut at its edge (the right-most bar's
/// text ran out of the window); a tooltip is kept inside the window.
pub(crate) fn bar_tooltip(response: &egui::Response, text: Option<&str>) {
    if let Some(text) = text.filter(|t| !t.is_empty()) {
        response.clone().on_hover_text(text);
    }
}

/// The date at plot x `x` (a day number since 1970-01-01), empty beyond the
/// calendar (an axis zoomed far out) or when `x` is not a number.
pub fn date_label(x: f64) -> String {
    let (first, last) = (
        day_of_date(chrono::NaiveDate::MIN),
        day_of_date(chrono::NaiveDate::MAX),
    );
    if !x.is_finite() || x < f64::from(first) || x > f64::from(last) {
        return String::new();
    }
    date_of_day(x.round() as i32).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_label_names_the_day_and_nothing_beyond_the_calendar() {
        // Day 20,001 is 2024-10-05; x rounds to the nearest day.
        assert_eq!(date_label(20_001.0), "2024-10-05");
        assert_eq!(date_label(20_000.6), "2024-10-05");
        assert_eq!(date_label(f64::NAN), "");
        assert_eq!(date_label(1e12), "");
        assert_eq!(date_label(-1e12), "");
    }
}
