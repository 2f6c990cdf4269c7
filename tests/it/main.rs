//! Integration tests: one binary, a module per area.

mod cli;
mod fuzz_seeds;
mod gui;
mod ingest;
mod inputs;
mod ledger;
mod lmstat_rlm;
mod meter;
mod monitor;
mod plan;
mod privacy;
mod real_logs;
mod scenario;
mod term;
