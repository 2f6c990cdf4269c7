//! Integration tests: one binary, a module per area.

mod cli;
mod gui;
mod ingest;
mod ledger;
mod meter;
mod monitor;
mod plan;
mod real_logs;
mod scenario;
mod term;
