//! The data each view draws, one module per view (the view itself is
//! `views::<name>_view`), built where it is cheap to build: on a job's
//! worker ([`charges`], [`plan`], [`pool`], [`term`], [`insights`], [`compare`]) or
//! in `logic()` when its input revision changes ([`data`],
//! [`scenario_check`], [`plan_table`]) — never per frame. Each builder is
//! made of small sections, one per table or chart.
//!
//! - [`charges`]: the Charges view and the status bar's total.
//! - [`data`]: the Data view's problem list and counts; [`mapping`] its
//!   column-mapping forms for tables of no known kind.
//! - [`scenario_check`]: the Scenario editor's validation messages.
//! - [`plan`]: the plan job and what the Crossover and Mix views draw;
//!   [`plan_table`] the user table's filters and sort.
//! - [`pool`]: the Pool view (sizing, fan, ledger, pools).
//! - [`term`]: the Term view (the contract term against renewing as-is).
//! - [`insights`]: the Insights view (every monitoring view of the audit);
//!   [`findings`] the sentence each of its tabs opens with.
//! - [`compare`]: the Compare tab (two scenarios side by side); [`diff`]
//!   the fields they differ in, in words.
//! - [`negotiate`]: the Negotiate view (the negotiation pack's options,
//!   tornado and break-evens), built on the pack job's worker.
//! - [`prompt`]: the path prompt's state and the check of typed paths.
//! - [`question`]: the questions asked before anything is lost.
//!
//! [`Table`] (with [`table::TableSorts`]) and [`BarItem`] are the shapes
//! several views share.

pub mod charges;
pub mod compare;
pub mod data;
pub mod diff;
pub mod findings;
pub mod insights;
pub mod mapping;
pub mod negotiate;
pub mod plan;
pub mod plan_table;
pub mod pool;
pub mod prompt;
pub mod question;
pub mod scenario_check;
pub mod table;
pub mod term;

pub use table::Table;

/// One bar: its value and what it is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct BarItem {
    /// Label under the bar (and in the hover).
    pub label: String,
    /// Height.
    pub value: f64,
    /// Hover text.
    pub hover: String,
}
