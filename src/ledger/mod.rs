//! Token ledger and pool sizing (SPEC §5).
//!
//! - [`lots`]: [`Lot`]s of `Annual`, `Contract` or `Pack` tokens, the contract
//!   [`Term`] in contract years, tier pricing ([`tokens_cost`]), discounting
//!   ([`present_value`]) and the [`PurchasePlan`] shape sizing searches.
//! - [`book`]: the exact day-by-day ledger, [`run_ledger`] and
//!   [`run_ledger_priced`] (prices by contract year, `TopUp` packs) →
//!   [`LedgerRun`] (per-day balances for the chart, expiry and top-up
//!   events, per-year summaries).
//! - [`sizing`]: the Monte Carlo that answers "how many tokens, of which
//!   kind": [`size`] → [`SizeReport`] (`tokenplan size --format json`),
//!   from the [`DemandHistory`] that [`token_demand`] derives from metered
//!   charges (rated units per rate table, re-priced at each simulated
//!   date's rates; `DailyPeak` pools by their daily peaks).
//! - [`pools`]: sizing `Concurrent` pools, [`size_pools`] →
//!   [`PoolSizing`] (denials per pool size, the size meeting a target
//!   denial rate, logged denials added back as demand first), the `pools`
//!   of [`SizeReport`].
//! - [`rng`]: the seeded per-trial generator that keeps sizing reproducible.
//! - [`fan`]: the sizing's simulated terms for a person to check:
//!   [`demand_fan`] (P10/P50/P90 demand per contract year) and
//!   [`median_ledger`] (the recommended plan on the median trial).

pub mod book;
pub mod fan;
pub mod lots;
pub mod pools;
pub mod rng;
pub mod sizing;

pub use book::{
    DayRow, ExpiryEvent, LedgerPrices, LedgerRun, LedgerTotals, TopUpEvent, YearSummary,
    run_ledger, run_ledger_priced,
};
pub use fan::{DemandFan, MedianLedgerError, demand_fan, median_ledger};
pub use lots::{
    LedgerError, Lot, LotKind, PurchasePlan, Term, present_value, round_up_tokens, tokens_cost,
};
pub use pools::{DeniedDemand, PoolDay, PoolDenials, PoolSizing, size_pools};
pub use sizing::{
    DemandHistory, Grid, PlanResult, SearchMethod, SearchSummary, SideBySide, SizeReport,
    SizingError, SizingOptions, size, token_demand,
};
