//! What the Data view draws about the imported sources: every problem of
//! every report, filtered by the user's text, the counts of the usage
//! (sessions, use-days, users, features) and the history's last day.
//! Rebuilt in `logic()` only when the usage revision changes.

use chrono::NaiveDate;

use crate::ingest::Report;
use crate::usage::{Session, Usage};

/// What the Data view shows about the imported sources.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DataSummary {
    /// Every problem of every report, `file:line: message`, in import order.
    pub problems: Vec<String>,
    /// Problems counted but not kept in full, over all reports.
    pub problems_not_kept: u64,
    /// Indices into `problems` that match the filter.
    pub filtered: Vec<usize>,
    /// The filter text (case-insensitive substring).
    pub filter: String,
    /// Sessions, users, features, hosts in the usage.
    pub sessions: u64,
    /// Use-days from usage reports (SPEC §1.5).
    pub use_days: u64,
    /// Users.
    pub users: u64,
    /// Distinct features as spelled in the sources.
    pub features: u64,
    /// The last day (UTC) of the loaded history: the last session's end or
    /// the last use-day reported, when anything is loaded.
    pub history_end: Option<NaiveDate>,
}

impl DataSummary {
    /// Summarises the reports and the usage they built.
    pub fn build(reports: &[Report], usage: &Usage, filter: &str) -> DataSummary {
        let mut s = DataSummary {
            problems: reports
                .iter()
                .flat_map(|r| r.problems.iter().map(ToString::to_string))
                .collect(),
            problems_not_kept: reports.iter().map(|r| r.problems_not_kept).sum(),
            sessions: usage.sessions.len() as u64,
            use_days: usage.use_days.len() as u64,
            users: usage.users.len() as u64,
            features: usage.features.len() as u64,
            history_end: history_end(usage),
            ..DataSummary::default()
        };
        s.set_filter(filter);
        s
    }

    /// Re-filters the problems.
    pub fn set_filter(&mut self, filter: &str) {
        self.filter = filter.to_owned();
        let needle = filter.trim().to_lowercase();
        self.filtered = self
            .problems
            .iter()
            .enumerate()
            .filter(|(_, p)| needle.is_empty() || p.to_lowercase().contains(&needle))
            .map(|(i, _)| i)
            .collect();
    }
}

/// The last day of `usage`'s history (UTC: a warning's precision).
fn history_end(usage: &Usage) -> Option<NaiveDate> {
    let last_session = usage
        .sessions
        .iter()
        .map(Session::end_secs)
        .max()
        .and_then(|secs| chrono::DateTime::from_timestamp(secs.saturating_sub(1).max(0), 0))
        .map(|t| t.date_naive());
    let last_use_day = usage.use_day_cover.map(|(_, last)| last);
    last_session.max(last_use_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problem_filter_is_case_insensitive() {
        let mut r = Report::new("a.csv");
        r.skip(3, "bad", "End before start");
        r.skip(9, "bad", "empty user");
        let mut s = DataSummary::build(&[r], &Usage::default(), "");
        assert_eq!(s.filtered, vec![0, 1]);
        s.set_filter("END");
        assert_eq!(s.filtered, vec![0]);
        assert_eq!(s.problems[0], "a.csv:3: End before start");
    }
}
