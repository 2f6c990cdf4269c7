//! Integration tests: one binary, a module per area.

mod audit_golden;
mod cli;
mod denials;
mod flexlog;
mod fuzz_seeds;
mod gui;
mod gui_first_hour;
mod ingest;
mod inputs;
mod ledger;
mod lmstat_rlm;
mod meter;
mod monitor;
mod monitor_reference;
mod optimise;
mod plan;
mod privacy;
mod real_logs;
mod scenario;
mod term;
