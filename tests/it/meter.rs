//! Integration tests: meter.
