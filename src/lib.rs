//! tokenplan — plans token-based engineering software licensing.
//!
//! The engine, in the order data flows through it:
//! - [`ingest`] reads what was really used (session CSV, FlexNet debug logs,
//!   Token Flex exports, usage reports, lmstat/RLM, user directory, current
//!   assignments, aliases) into a [`usage::Usage`]: interned names and
//!   compact [`usage::Session`]s, plus a [`ingest::Report`] of every
//!   problem, `file:line: message`. [`ingest::import_files`] is the one
//!   import loop of the CLI and the GUI.
//! - [`scenario`] is what the user assumes: catalog, charging rules and rates,
//!   prices, contract, forecast, as a versioned RON file.
//! - [`meter`] replays sessions under the vendors' charging rules into
//!   [`meter::Metered`] charges per (user, product, local date), and per
//!   pool for the pool rules. Everything below starts from it.
//! - [`plan`] forecasts next year's demand from the metered history and picks
//!   every user's cheapest plan, subscriptions or tokens
//!   ([`plan::recommend`] → [`plan::RecommendReport`]);
//!   [`plan::token_demand`] is the daily demand that mix leaves to tokens.
//! - [`ledger`] books that demand day by day against the token lots bought
//!   and sizes the purchase by Monte Carlo ([`ledger::size`] →
//!   [`ledger::SizeReport`]); `Concurrent` pools are sized by their denials.
//! - [`monitor`] looks back over the metered history: burn, budgets,
//!   day-boundary and double-dip charges, idle what-ifs, the shadow bill, the
//!   vendor audit ([`monitor::audit`] → [`monitor::AuditReport`]).
//! - [`term`] plans the whole contract term year by year on the planner's
//!   input, each year at its own prices, with the [`ledger`] over the term,
//!   against renewing as-is ([`term::analyse_term`]).
//! - [`privacy`] renames users and hosts to keyed pseudonyms for exports
//!   that leave the company, and maps a returned file back.
//!
//! Beside them: [`time`] (local dates from UTC instants in IANA zones),
//! [`atomic`] (files written atomically), [`progress`] (progress and
//! cancellation), [`sample`] (the bundled demo data).
//!
//! The engine never names the GUI toolkit: the GUI and the CLI are two thin
//! faces on it.
//! - [`cli`]: one module per command (`check`, `meter`, `recommend`, `size`,
//!   `term`, `audit`, `reveal`), each importing, metering, calling its engine
//!   step and writing a table, CSV or JSON.
//! - [`gui`]: the desktop app. Each background result is one
//!   [`gui::analysis::Analysis`], computed by a job on a named thread; the
//!   job chain (`gui::app::logic`'s `CHAIN`) says what waits for what:
//!   import → meter (no import running, a valid scenario) → plan, term and
//!   audit (plan starts from the last plan's input, not a new metering, when
//!   only the token price changed) → size (from the plan's mix); compare
//!   plans two scenarios over the same usage once its sides are chosen.
//!   `gui::app::pipeline` holds each job's work as a plain function. Each view draws what `gui::model`
//!   built from its analysis's result.

pub mod atomic;
pub mod cli;
pub mod gui;
pub mod ingest;
pub mod ledger;
pub mod meter;
pub mod monitor;
pub mod pack;
pub mod plan;
pub mod privacy;
pub mod progress;
pub mod sample;
pub mod scenario;
pub mod term;
pub mod time;
pub mod usage;
