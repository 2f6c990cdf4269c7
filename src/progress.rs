//! Progress and cancellation for long computations.

/// Receives progress from long computations; must be cheap and thread-safe.
pub trait Progress: Sync {
    /// `done` units of `total` are finished.
    fn report(&self, done: u64, total: u64);
    /// True when the caller asked the computation to stop early.
    fn is_cancelled(&self) -> bool {
        false
    }
}

/// A [`Progress`] that ignores reports and is never cancelled.
pub struct NoProgress;

impl Progress for NoProgress {
    fn report(&self, _done: u64, _total: u64) {}
}
