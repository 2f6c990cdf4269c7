//! Integration tests: real_logs.
