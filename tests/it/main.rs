//! Integration tests: one binary, a module per area.

// In a test a failed unwrap is the test failing, which is what it is for;
// long test functions are scripts of one scenario.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod audit_golden;
mod cli;
mod cli_support;
mod denials;
mod flexlog;
mod fuzz_seeds;
mod gui;
mod gui_first_hour;
mod gui_inputs;
mod gui_negotiate;
mod gui_term;
mod ingest;
mod inputs;
mod ledger;
mod lmstat_rlm;
mod meter;
mod monitor;
mod monitor_reference;
mod optimise;
mod pack;
mod pack_cases;
mod plan;
mod privacy;
mod real_logs;
mod scenario;
mod stream;
mod term;
mod term_fixture;
