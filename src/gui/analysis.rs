//! One background result of the app: an [`Analysis`] holds the job that
//! computes it (one at a time), the input revision the last job was asked
//! for, the result shown with the revision it was computed for, and why the
//! last run failed. Metering, planning, sizing, the audit and the
//! comparison are each one `Analysis`; the app polls, lists, cancels and
//! asks "is anything running" through the [`Background`] and [`Refresh`]
//! traits, in loops rather than one copy per analysis.
//!
//! An analysis is *due* when no job was asked for the current revision;
//! when it can start (what it waits for) is the app's dependency list.

use super::command::JobKind;
use super::jobs::{JobProgress, JobSlot};
use super::notify::{Level, Notifications};
use super::views::frame::JobStatus;
use super::views::freshness::Freshness;

/// One background result: job slot, requested revision, shown result,
/// error.
pub struct Analysis<T> {
    kind: JobKind,
    slot: JobSlot<Result<T, String>>,
    /// The input revision the last job was started for.
    requested: Option<u64>,
    /// The result shown, with the input revision it was computed for.
    shown: Option<(u64, T)>,
    /// Why the last job failed (kinds whose failures the view shows).
    error: Option<String>,
    /// Goes up with every result shown, so what is built from it (the
    /// visible rows of a table) knows to rebuild.
    serial: u64,
}

impl<T> Analysis<T> {
    /// An analysis of `kind` with nothing asked for yet.
    pub fn new(kind: JobKind) -> Self {
        Analysis {
            kind,
            slot: JobSlot::default(),
            requested: None,
            shown: None,
            error: None,
            serial: 0,
        }
    }

    /// True when no job was asked for revision `rev`.
    pub fn is_due(&self, rev: u64) -> bool {
        self.requested != Some(rev)
    }

    /// Forgets which revision was asked for, so the analysis is due again
    /// on the same inputs (Recompute).
    pub fn forget_request(&mut self) {
        self.requested = None;
    }

    /// The result shown, of whatever revision.
    pub fn shown(&self) -> Option<&T> {
        self.shown.as_ref().map(|(_, v)| v)
    }

    /// True when the result shown was computed for revision `rev`.
    pub fn is_of(&self, rev: u64) -> bool {
        self.shown.as_ref().map(|(r, _)| *r) == Some(rev)
    }

    /// The result shown when it was computed for revision `rev`.
    pub fn current(&self, rev: u64) -> Option<&T> {
        self.shown
            .as_ref()
            .filter(|(r, _)| *r == rev)
            .map(|(_, v)| v)
    }

    /// Why the last job failed.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// How many results were shown so far.
    pub fn serial(&self) -> u64 {
        self.serial
    }

    /// Forgets why the last job failed.
    pub fn clear_error(&mut self) {
        self.error = None;
    }

    /// Cancels the running job and forgets the result and error shown.
    pub fn clear(&mut self) {
        self.slot.cancel();
        self.shown = None;
        self.error = None;
    }

    /// What the view says about its figures at revision `rev`; `pending`
    /// says a job for it runs or is about to start.
    pub fn freshness(&self, rev: u64, pending: bool) -> Freshness<'_> {
        Freshness {
            error: self.error(),
            running: pending,
            stale: !self.is_of(rev),
        }
    }
}

impl<T: Send + 'static> Analysis<T> {
    /// Starts `work` for revision `rev`, cancelling the job running; when
    /// no thread can be started, says so in `notes`.
    pub fn start(
        &mut self,
        ctx: &egui::Context,
        rev: u64,
        notes: &mut Notifications,
        work: impl FnOnce(&JobProgress) -> Result<T, String> + Send + 'static,
    ) {
        self.requested = Some(rev);
        let (label, cannot) = (self.kind.label(), self.kind.cannot_start());
        start_or_say(&mut self.slot, label, cannot, ctx, rev, notes, work);
    }
}

/// Starts `work` in `slot` under `label`; when no thread can be started,
/// says so in `notes` after `cannot` ("Cannot start metering").
pub fn start_or_say<T: Send + 'static>(
    slot: &mut JobSlot<T>,
    label: &str,
    cannot: &str,
    ctx: &egui::Context,
    rev: u64,
    notes: &mut Notifications,
    work: impl FnOnce(&JobProgress) -> T + Send + 'static,
) {
    if let Err(e) = slot.start(ctx, label, rev, work) {
        notes.push(
            Level::Error,
            format!("{cannot}: {}", super::engine::error_chain(&e)),
        );
    }
}

/// What every background job offers the status bar, Cancel and "busy".
pub trait Background {
    /// Which kind it is.
    fn kind(&self) -> JobKind;
    /// The running job as the status bar shows it.
    fn status(&self) -> Option<JobStatus>;
    /// True while a job runs.
    fn is_running(&self) -> bool;
    /// Cancels the running job; its result will be dropped.
    fn cancel(&mut self);
}

/// What the app does with every analysis each frame.
pub trait Refresh: Background {
    /// Takes a finished job's result: shown when it is of revision `rev`
    /// (a newer job follows otherwise), its failure kept for the view or
    /// said in `notes` as the kind wants.
    fn poll(&mut self, rev: u64, notes: &mut Notifications);
    /// True when no job was asked for revision `rev`.
    fn due(&self, rev: u64) -> bool;
    /// Makes the analysis due again on the same inputs.
    fn recompute(&mut self);
}

/// The status of `slot`'s running job.
pub fn slot_status<T>(slot: &JobSlot<T>, kind: JobKind) -> Option<JobStatus> {
    slot.running().map(|j| JobStatus {
        kind,
        label: j.label().to_owned(),
        fraction: j.fraction(),
    })
}

impl<T> Background for Analysis<T> {
    fn kind(&self) -> JobKind {
        self.kind
    }

    fn status(&self) -> Option<JobStatus> {
        slot_status(&self.slot, self.kind)
    }

    fn is_running(&self) -> bool {
        self.slot.is_running()
    }

    fn cancel(&mut self) {
        self.slot.cancel();
    }
}

impl<T> Refresh for Analysis<T> {
    fn poll(&mut self, rev: u64, notes: &mut Notifications) {
        let Some(done) = self.slot.take_finished() else {
            return;
        };
        match done {
            // The inputs changed while it ran: a newer job follows.
            Ok((r, _)) if r != rev => {}
            Ok((r, Ok(value))) => {
                self.shown = Some((r, value));
                self.error = None;
                self.serial += 1;
            }
            Ok((_, Err(message))) => match self.kind.failure_notice() {
                Some(what) => notes.push(Level::Error, format!("{what}: {message}")),
                None => self.error = Some(message),
            },
            Err(message) => notes.push(Level::Error, message),
        }
    }

    fn due(&self, rev: u64) -> bool {
        self.is_due(rev)
    }

    fn recompute(&mut self) {
        self.forget_request();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait<T>(a: &mut Analysis<T>, rev: u64, notes: &mut Notifications) {
        while a.is_running() {
            a.poll(rev, notes);
            std::thread::yield_now();
        }
    }

    #[test]
    fn a_result_is_shown_for_its_revision_and_a_stale_one_dropped() {
        let ctx = egui::Context::default();
        let mut notes = Notifications::default();
        let mut a: Analysis<u32> = Analysis::new(JobKind::Size);
        assert!(a.is_due(1));
        a.start(&ctx, 1, &mut notes, |_| Ok(7));
        assert!(!a.is_due(1));
        wait(&mut a, 1, &mut notes);
        assert_eq!(a.current(1), Some(&7));
        assert_eq!(a.serial(), 1);
        // Asked for revision 2, but the inputs moved on to 3 meanwhile.
        a.start(&ctx, 2, &mut notes, |_| Ok(8));
        wait(&mut a, 3, &mut notes);
        assert_eq!(a.shown(), Some(&7));
        assert!(a.current(3).is_none());
        assert!(a.is_due(3));
        assert!(a.freshness(3, false).stale);
    }

    #[test]
    fn failures_go_to_the_view_or_the_notifications_by_kind() {
        let ctx = egui::Context::default();
        let mut notes = Notifications::default();
        let mut size: Analysis<u32> = Analysis::new(JobKind::Size);
        size.start(&ctx, 1, &mut notes, |_| Err("no demand".into()));
        wait(&mut size, 1, &mut notes);
        assert_eq!(size.error(), Some("no demand"));
        assert!(notes.items().is_empty());

        let mut meter: Analysis<u32> = Analysis::new(JobKind::Meter);
        meter.start(&ctx, 1, &mut notes, |_| Err("bad zone".into()));
        wait(&mut meter, 1, &mut notes);
        assert_eq!(meter.error(), None);
        assert_eq!(notes.items()[0].text, "Metering failed: bad zone");
    }
}
