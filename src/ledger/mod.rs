//! Token ledger and pool sizing (SPEC §5).
