//! What the app draws, one file per view; every function here ends in
//! `_ui`, only reads cached data and emits [`Command`](super::command::Command)s.

pub mod charges;
pub mod compare;
pub mod crossover;
pub mod data;
pub mod fields;
pub mod frame;
pub mod insights;
pub mod mix;
pub mod pool;
pub mod prompt;
pub mod scenario;
pub mod table;

pub use charges::charges_ui;
pub use crossover::crossover_ui;
pub use data::data_ui;
pub use frame::{menu_bar_ui, nav_ui, notifications_ui, status_bar_ui};
pub use insights::insights_ui;
pub use mix::mix_ui;
pub use pool::pool_ui;
pub use scenario::scenario_ui;
