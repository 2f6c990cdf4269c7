//! Background jobs: engine work on a named thread, never on the UI thread.
//!
//! A [`Job`] owns the receiving end of an `mpsc` channel and a shared
//! [`JobProgress`] (atomics: done, total, cancel) that the engine sees as a
//! [`Progress`]. The worker asks for a repaint at most every
//! [`REPAINT_EVERY`] while it reports progress, and once when it finishes.
//! A [`JobSlot`] holds at most one job of a kind: starting a new one cancels
//! the old. Each job remembers the input revision it was started for, so the
//! app can drop a result computed from inputs that have changed since.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::progress::Progress;

/// Least time between two repaints a running job asks for.
pub const REPAINT_EVERY: Duration = Duration::from_millis(50);

/// Progress and cancellation shared by a job's worker and the UI.
pub struct JobProgress {
    done: AtomicU64,
    total: AtomicU64,
    cancel: AtomicBool,
    started: Instant,
    /// Milliseconds since `started` of the last repaint asked for.
    last_repaint_ms: AtomicU64,
    ctx: egui::Context,
}

impl JobProgress {
    fn new(ctx: egui::Context) -> Self {
        JobProgress {
            done: AtomicU64::new(0),
            total: AtomicU64::new(0),
            cancel: AtomicBool::new(false),
            started: Instant::now(),
            last_repaint_ms: AtomicU64::new(0),
            ctx,
        }
    }

    /// Fraction done, `None` while the total is unknown.
    pub fn fraction(&self) -> Option<f32> {
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed);
        (total > 0).then(|| (done.min(total) as f64 / total as f64) as f32)
    }

    /// Asks the worker to stop at its next check.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

impl Progress for JobProgress {
    fn report(&self, done: u64, total: u64) {
        self.done.store(done, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
        let now_ms = self.started.elapsed().as_millis() as u64;
        let last = self.last_repaint_ms.load(Ordering::Relaxed);
        let every_ms = REPAINT_EVERY.as_millis() as u64;
        if now_ms.saturating_sub(last) >= every_ms
            && self
                .last_repaint_ms
                .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            self.ctx.request_repaint_after(REPAINT_EVERY);
        }
    }

    fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }
}

/// What polling a job found.
pub enum Poll<T> {
    /// Still working.
    Running,
    /// Finished with this result.
    Done(T),
    /// The worker ended without a result (it panicked).
    Lost,
}

/// One background computation producing a `T`.
pub struct Job<T> {
    label: String,
    revision: u64,
    progress: Arc<JobProgress>,
    rx: mpsc::Receiver<T>,
}

impl<T: Send + 'static> Job<T> {
    /// Starts `work` on a thread named `tokenplan-<label>`; `revision` is the
    /// input revision the work is computed from.
    ///
    /// # Errors
    /// When the operating system refuses a new thread.
    pub fn spawn(
        ctx: &egui::Context,
        label: &str,
        revision: u64,
        work: impl FnOnce(&JobProgress) -> T + Send + 'static,
    ) -> std::io::Result<Self> {
        let progress = Arc::new(JobProgress::new(ctx.clone()));
        let (tx, rx) = mpsc::channel();
        let worker_progress = Arc::clone(&progress);
        std::thread::Builder::new()
            .name(format!(
                "tokenplan-{}",
                label.to_lowercase().replace(' ', "-")
            ))
            .spawn(move || {
                let result = work(&worker_progress);
                // The receiver is gone when the job was replaced: nothing to do.
                let _ = tx.send(result);
                worker_progress.ctx.request_repaint();
            })?;
        Ok(Job {
            label: label.to_owned(),
            revision,
            progress,
            rx,
        })
    }
}

impl<T> Job<T> {
    /// What the job is doing, for the status bar.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The input revision the job was started for.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Fraction done, `None` while unknown.
    pub fn fraction(&self) -> Option<f32> {
        self.progress.fraction()
    }

    /// Asks the worker to stop.
    pub fn cancel(&self) {
        self.progress.cancel();
    }

    /// True once cancel was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.progress.is_cancelled()
    }

    /// The result when ready.
    pub fn poll(&self) -> Poll<T> {
        match self.rx.try_recv() {
            Ok(result) => Poll::Done(result),
            Err(mpsc::TryRecvError::Empty) => Poll::Running,
            Err(mpsc::TryRecvError::Disconnected) => Poll::Lost,
        }
    }
}

/// At most one job of a kind.
pub struct JobSlot<T> {
    job: Option<Job<T>>,
}

impl<T> Default for JobSlot<T> {
    fn default() -> Self {
        JobSlot { job: None }
    }
}

impl<T: Send + 'static> JobSlot<T> {
    /// Starts a job, cancelling the one running.
    ///
    /// # Errors
    /// When the operating system refuses a new thread (the old job is
    /// cancelled all the same).
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        label: &str,
        revision: u64,
        work: impl FnOnce(&JobProgress) -> T + Send + 'static,
    ) -> std::io::Result<()> {
        self.cancel();
        self.job = Some(Job::spawn(ctx, label, revision, work)?);
        Ok(())
    }
}

impl<T> JobSlot<T> {
    /// The running job.
    pub fn running(&self) -> Option<&Job<T>> {
        self.job.as_ref()
    }

    /// True while a job runs.
    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    /// Cancels and forgets the running job; its result will be dropped.
    pub fn cancel(&mut self) {
        if let Some(job) = self.job.take() {
            job.cancel();
        }
    }

    /// The finished job's result with the revision it was computed for;
    /// `Some(Err(()))` when the worker died without one.
    pub fn take_finished(&mut self) -> Option<Result<(u64, T), String>> {
        let job = self.job.as_ref()?;
        let outcome = match job.poll() {
            Poll::Running => return None,
            Poll::Done(result) => Ok((job.revision, result)),
            Poll::Lost => Err(format!(
                "{} stopped unexpectedly (internal error)",
                job.label
            )),
        };
        self.job = None;
        Some(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T>(slot: &mut JobSlot<T>) -> Result<(u64, T), String> {
        loop {
            if let Some(done) = slot.take_finished() {
                return done;
            }
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_job_returns_its_result_and_revision() {
        let ctx = egui::Context::default();
        let mut slot = JobSlot::default();
        slot.start(&ctx, "Sum", 7, |p| {
            p.report(1, 2);
            (1..=10).sum::<u32>()
        })
        .unwrap();
        assert_eq!(wait(&mut slot), Ok((7, 55)));
        assert!(!slot.is_running());
    }

    #[test]
    fn starting_a_job_cancels_the_one_running() {
        let ctx = egui::Context::default();
        let mut slot = JobSlot::default();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let (seen_tx, seen_rx) = mpsc::channel::<bool>();
        slot.start(&ctx, "Old", 1, move |p| {
            let _ = go_rx.recv();
            let _ = seen_tx.send(p.is_cancelled());
            0
        })
        .unwrap();
        slot.start(&ctx, "New", 2, |_| 2).unwrap();
        go_tx.send(()).unwrap();
        assert!(seen_rx.recv().unwrap(), "the old job saw the cancel");
        assert_eq!(wait(&mut slot), Ok((2, 2)));
    }

    #[test]
    fn fraction_follows_reports() {
        let p = JobProgress::new(egui::Context::default());
        assert_eq!(p.fraction(), None);
        p.report(1, 4);
        assert_eq!(p.fraction(), Some(0.25));
        p.report(9, 4);
        assert_eq!(p.fraction(), Some(1.0));
        assert!(!p.is_cancelled());
        p.cancel();
        assert!(p.is_cancelled());
    }

    #[test]
    fn a_panicking_worker_is_reported_not_hung() {
        let ctx = egui::Context::default();
        let mut slot: JobSlot<u32> = JobSlot::default();
        slot.start(&ctx, "Broken", 1, |_| panic!("boom")).unwrap();
        let err = wait(&mut slot).unwrap_err();
        assert!(err.contains("Broken stopped unexpectedly"), "{err}");
    }
}
