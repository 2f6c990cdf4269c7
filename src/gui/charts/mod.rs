//! Charts: each draws cached plot points (`PlotPoints::Borrowed`), with axes
//! and hover labels in the domain's units. Dates are plot x as day numbers
//! since 1970-01-01, written by [`date_label`].

pub mod bars;
pub mod burn;
pub mod daily;
pub mod plan;
pub mod pool;

pub use bars::bars_ui;
pub use daily::tokens_per_day_ui;

use crate::time::{date_of_day, day_of_date};

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
