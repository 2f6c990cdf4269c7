//! Charts: each draws cached plot points (`PlotPoints::Borrowed`), with axes
//! and hover labels in the domain's units.

pub mod bars;
pub mod daily;
pub mod plan;

pub use bars::bars_ui;
pub use daily::tokens_per_day_ui;
