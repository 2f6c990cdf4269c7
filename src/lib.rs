//! tokenplan — plans token-based engineering software licensing.
//!
//! The engine, in the order data flows through it:
//! - [`ingest`] reads what was really used (session CSV, FlexNet debug logs,
//!   Token Flex exports, user directory, current assignments) into a
//!   [`usage::Usage`]: interned names and compact [`usage::Session`]s, plus a
//!   [`ingest::Report`] of every problem, `file:line: message`.
//! - [`scenario`] is what the user assumes: catalog, charging rules and rates,
//!   prices, contract, forecast, as a versioned RON file.
//! - [`meter`] replays sessions under the vendors' charging rules into
//!   [`meter::Metered`] charges per (user, product, local date).
//! - [`privacy`] renames users and hosts to keyed pseudonyms for exports
//!   that leave the company, and maps a returned file back.
//!
//! The engine never names the GUI toolkit: the GUI ([`gui`]) and the CLI
//! are two thin faces on it.

pub mod atomic;
pub mod cli;
pub mod gui;
pub mod ingest;
pub mod ledger;
pub mod meter;
pub mod monitor;
pub mod plan;
pub mod privacy;
pub mod progress;
pub mod sample;
pub mod scenario;
pub mod term;
pub mod time;
pub mod usage;
