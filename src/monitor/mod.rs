//! Monitoring over history (SPEC §6).
