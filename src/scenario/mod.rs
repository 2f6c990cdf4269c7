//! The scenario: everything a user assumes (catalog, charging rules and
//! rates, prices, contract, forecast), saved and loaded as versioned RON.
//!
//! [`Scenario`] is the file's model. [`Scenario::from_ron`] (and
//! [`Scenario::load`] for a file) parses it with RON's `implicit_some`
//! extension and validates it, so every later stage can trust the values;
//! [`Scenario::to_ron`] writes it back so that a saved file loads identical,
//! and [`Scenario::save`] writes it atomically. [`ScenarioError`] says where
//! each problem is: file, line and column for syntax, a field path such as
//! `products.ACD.rates[0].tokens` for values.
//!
//! [`Rule`] has hand-written serde impls: a bare `CalendarDay` means every
//! parameter at its default, which a derived impl refuses.
//!
//! [`sanity`] lists what is legal but usually a slip (a dearer higher tier,
//! a collection dearer than its singles...): warnings that never block.
//!
//! Its parts, each re-exported here: `model` (the types), `error`
//! ([`ScenarioError`]), `file` (reading and writing RON), `check` (every
//! value against SPEC §3) and `rule_serde` (the rule's syntax).

mod check;
mod error;
mod file;
mod model;
mod rule_serde;
pub mod sanity;

pub use error::ScenarioError;
pub use model::{
    Constraints, Contract, Forecast, Overdraft, Pool, Prices, Product, Rate, Rule, Scenario,
    SeatChanges, Sizing, Subscription, Tier, TierMode, TokenPrice, VERSION, YearPrices, parse_tz,
};
pub use rule_serde::RULE_NAMES;
pub use sanity::SanityWarning;
