//! The contract term: prices, seats and tokens year by year, against
//! renewing as-is (SPEC §8).
//!
//! - [`prices`]: every contract year's prices ([`prices_by_year`] →
//!   [`PricesInYear`]): escalation with its cap, rounding, overrides.
//! - [`seats`]: renewal versus new seats ([`SeatChange`], [`seat_cost`]) and
//!   the seats held before year 1 ([`seats_before`]).
//! - [`demand`]: every year's forecast from the single-year planner's input
//!   ([`TermDemand`]), the one seam with [`crate::plan`].
//! - [`problem`], [`search`] and [`exact`]: the term priced, and the
//!   cheapest seats and holders over it ([`quick_buy`]: a purchase's cost
//!   on the search's hot path).
//! - [`years`]: the answer year by year ([`plan_term`] → [`TermPlan`],
//!   [`renew_as_is`]).
//! - [`ledger`]: the §5 ledger over the term for the chosen purchases.
//! - [`recommend`]: `tokenplan recommend`, the term plan's year 1.
//! - [`report`]: `tokenplan term` (table, CSV, JSON: [`TermReport`]).
//!
//! Data flows as: [`TermDemand::new`] once per history and scenario
//! (prices play no part in it), then [`plan_term`] whenever a price
//! changes; [`analyse_term`] does both and runs the ledgers.

pub mod demand;
pub mod exact;
pub mod ledger;
pub mod prices;
pub mod problem;
pub mod quick_buy;
pub mod recommend;
pub mod report;
pub mod search;
pub mod seat_path;
pub mod seats;
pub mod years;

pub use demand::TermDemand;
pub use prices::{PricesInYear, prices_by_year};
pub use report::{TermAnalysis, TermReport, analyse_demand, analyse_term};
pub use search::{SearchMethod, SearchOptions};
pub use seats::{SeatChange, SeatsBefore, SeatsSource, seat_cost, seats_before};
pub use years::{TermPlan, TermYear, plan_term, plan_term_from, renew_as_is};

/// Why the term could not be planned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermError {
    /// The forecast, prices or constraints are unusable.
    #[error(transparent)]
    Plan(#[from] crate::plan::PlanError),
    /// The ledger over the term could not run.
    #[error("ledger: {0}")]
    Ledger(#[from] crate::ledger::LedgerError),
}
