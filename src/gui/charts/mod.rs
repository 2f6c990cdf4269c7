//! Charts: each draws cached plot points (`PlotPoints::Borrowed`), with axes
//! and hover labels in the domain's units.

pub mod daily;
pub mod plan;

pub use daily::tokens_per_day_ui;
