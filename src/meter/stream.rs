//! Metering while the sessions are read: a session CSV bigger than memory
//! is metered block by block without a session store.
//!
//! A [`StreamMeter`] is the [`SessionSink`] of a streamed import
//! ([`crate::ingest::import_files_into`]): each merged block's sessions are
//! folded at once into the same per-(user, product) day sets the stored
//! pass builds ([`super::calendar_day`]), with the same counts of free sessions
//! and unmapped features, and then dropped. Only what a rule needs in time
//! order is kept: the sessions of `Rolling24h`, `Hourly`, `Concurrent` and
//! `DailyPeak` products (a 24-hour window per user, the union of a user's
//! hours, a pool's timeline), per product in import order as the stored
//! pass keeps them. [`StreamMeter::kept_rules`] names them, so a command
//! can say that those sessions stay in memory.
//!
//! After the last file, [`StreamMeter::metered`] and
//! [`StreamMeter::summary`] finish exactly as [`super::meter`] and
//! [`super::meter_summary`] do from the fold's findings (the same code from
//! there on): the result is equal to metering the stored sessions.
//!
//! Alias tables renumber users after their sessions were read (and count
//! the records they rename): an import with one cannot stream, and the
//! command line reads it stored.

use super::calendar_day::Fold;
use super::{
    Catalog, Detail, MeterError, MeterSummary, Metered, RuleKind, meter_from, product_plans,
    summarise,
};
use crate::ingest::SessionSink;
use crate::progress::Progress;
use crate::scenario::{Scenario, parse_tz};
use crate::usage::{Session, Usage};

/// Meters sessions as an import hands them over (see the module doc).
pub struct StreamMeter {
    /// The scenario the catalog maps features with.
    scenario: Scenario,
    fold: Fold,
    /// Per user id: some session was folded.
    users: Vec<bool>,
}

impl StreamMeter {
    /// A meter for `scenario`, before any session.
    ///
    /// # Errors
    /// As [`super::meter`]: a zone that is not IANA, a pool rate that is
    /// not whole.
    pub fn new(scenario: &Scenario) -> Result<StreamMeter, MeterError> {
        parse_tz(&scenario.server_time_zone).map_err(|message| MeterError::BadZone {
            field: "server_time_zone".into(),
            message,
        })?;
        let plans = product_plans(scenario)?;
        Ok(StreamMeter {
            scenario: scenario.clone(),
            fold: Fold::new(&plans),
            users: Vec::new(),
        })
    }

    /// The products of `scenario` whose sessions a stream keeps (every rule
    /// but `CalendarDay`), with their rules, in code order.
    ///
    /// # Errors
    /// As [`StreamMeter::new`].
    pub fn kept_rules(scenario: &Scenario) -> Result<Vec<(String, RuleKind)>, MeterError> {
        Ok(product_plans(scenario)?
            .iter()
            .filter(|p| p.rule.kind != RuleKind::CalendarDay)
            .map(|p| (p.code.to_string(), p.rule.kind))
            .collect())
    }

    /// The charges of everything folded, equal to [`super::meter`] of the
    /// same usage with its sessions stored. `usage` and `scenario` are the
    /// import's after it ended (pseudonymised or not: ids are what count).
    ///
    /// # Errors
    /// As [`super::meter`].
    pub fn metered(
        self,
        usage: &Usage,
        scenario: &Scenario,
        progress: &dyn Progress,
    ) -> Result<Metered, MeterError> {
        let fold = self.fold;
        meter_from(usage, scenario, progress, |catalog, plans| {
            Ok(fold.conclude(usage, catalog, plans, Detail::Days))
        })
        .map(|(metered, _)| metered)
    }

    /// The charges added up, equal to [`super::meter_summary`] of the same
    /// usage with its sessions stored.
    ///
    /// # Errors
    /// As [`super::meter`].
    pub fn summary(
        self,
        usage: &Usage,
        scenario: &Scenario,
        progress: &dyn Progress,
    ) -> Result<MeterSummary, MeterError> {
        let fold = self.fold;
        let (metered, cal) = meter_from(usage, scenario, progress, |catalog, plans| {
            Ok(fold.conclude(usage, catalog, plans, Detail::Totals))
        })?;
        Ok(summarise(&metered, cal, usage))
    }
}

impl SessionSink for StreamMeter {
    fn take(&mut self, sessions: Vec<Session>, usage: &Usage) {
        if usage.features.len() > self.fold.routed() {
            // New features: the catalog maps each on its own, so the
            // features routed before keep their products.
            self.fold
                .reroute(&Catalog::build(&usage.features, &self.scenario));
        }
        if self.users.len() < usage.users.len() {
            self.users.resize(usage.users.len(), false);
        }
        for s in &sessions {
            if let Some(seen) = self.users.get_mut(s.user as usize) {
                *seen = true;
            }
        }
        self.fold.add(&sessions, usage.users.len());
    }

    fn users_with_sessions(&self) -> &[bool] {
        &self.users
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    /// Feeding the stored sessions of the sample through a stream in
    /// batches gives the stored metering, rows and summary.
    #[test]
    fn batches_fed_by_hand_meter_as_the_stored_sessions() {
        let scenario = crate::sample::scenario().expect("sample scenario");
        let (usage, _) = crate::sample::usage(&scenario);
        let want = super::super::meter(&usage, &scenario, &NoProgress).expect("meter");
        let want_summary =
            super::super::meter_summary(&usage, &scenario, &NoProgress).expect("summary");
        let mut streamed = usage.clone();
        streamed.sessions = crate::usage::Sessions::default();
        let all: Vec<Session> = usage.sessions.iter().copied().collect();
        let mut a = StreamMeter::new(&scenario).expect("meter");
        let mut b = StreamMeter::new(&scenario).expect("meter");
        for batch in all.chunks(97) {
            a.take(batch.to_vec(), &usage);
            b.take(batch.to_vec(), &usage);
        }
        assert!(a.users_with_sessions().iter().any(|&u| u));
        let got = a
            .metered(&streamed, &scenario, &NoProgress)
            .expect("metered");
        assert_eq!(got, want);
        let got = b
            .summary(&streamed, &scenario, &NoProgress)
            .expect("summary");
        assert_eq!(got, want_summary);
    }
}
