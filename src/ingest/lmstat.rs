//! `lmutil lmstat -a` snapshots (SPEC §1.5): one status report, or many
//! concatenated as a poller wrote them, become sessions.
//!
//! # Grammar
//! From the FlexNet Publisher *License Administration Guide* (`lmstat`:
//! "`-a` displays all information, which includes the user, user_host,
//! display, version, server_host, port, handle, checkout_time"; `-asec`
//! prints times with seconds) and the real outputs collected in
//! `shared/FLEXNET_FORMATS.md` §3 (lmutil 2005–2026):
//!
//! ```text
//! lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.
//! Flexible License Manager status on Mon 2/10/2025 11:26        <- one per snapshot: the only year
//! License server status: 27004@host.example.com
//! ...server and vendor daemon lines...
//! Users of MATLAB:  (Total of 10000 licenses issued;  Total of 61 licenses in use)
//!   "MATLAB" v52, vendor: MLM, expiry: 30-dec-2025
//!   floating license
//!     user1 host1 display (v50) (host.example.com/27004 401), start Mon 2/10 0:10, PID: 2924522
//!     user2 host2 host2 (v1.0) (srv/27000 46192), start Thu 10/1 11:44, 4 licenses  (linger: 4263164 / 5487240)
//!     user3 host3 disp 2017.06 (v2017.06) (srv/27002 15480) queued for 1 license
//!     1 RESERVATION for HOST HOSTPC11 (srv/27002)
//! ```
//!
//! A user line is read from the right: `, start DAY M/D H:MM[:SS]` then an
//! optional `, N licenses`, linger and PID; to its left `(server/port
//! handle)` and `(vVERSION)`; what remains is `user host display...`, of
//! which the first word is the user and the second the host (lmstat does
//! not quote names, so a user name with a space cannot be told apart).
//! Queued and reservation lines are counted, not used.
//!
//! # Sessions
//! A checkout (feature, user, host, server handle and start as printed) is
//! a session from its `start` to the time of the first snapshot that no
//! longer shows it; one still shown in the last snapshot is closed there and
//! flagged open ([`flags::TRUNCATED`]). `start` carries no year: it is the
//! snapshot's year, or the year before when that would put the start after
//! the snapshot (a checkout from 12/31 seen on 1/2). Times are wall clocks
//! of [`ImportOptions::time_zone`]. A snapshot that lists no feature at
//! all (the server could not be reached) says nothing about who stopped
//! and closes nothing; snapshots must come in time order.

use std::collections::{BTreeMap, HashSet};
use std::io::BufRead;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use super::lines::{self, preview};
use super::{ImportOptions, Report, SourceKind};
use crate::time::local_to_utc;
use crate::usage::{FeatureId, HostId, Session, Usage, UserId, flags};

/// The reasons a line is skipped, as they appear in [`Report::skipped`].
pub mod reasons {
    /// Banners, server and daemon status, feature details, blank lines.
    pub const OTHER: &str = "status line";
    /// `... queued for N licenses`.
    pub const QUEUED: &str = "queued";
    /// `N RESERVATION(s) for ...`.
    pub const RESERVATION: &str = "reservation";
    /// A user line that cannot be read.
    pub const BAD_USER_LINE: &str = "bad user line";
    /// A snapshot header whose date cannot be read, and the lines under it.
    pub const BAD_SNAPSHOT: &str = "bad snapshot";
    /// Lines of a snapshot older than the one before it.
    pub const OUT_OF_ORDER: &str = "snapshot out of order";
    /// User lines before the first snapshot header.
    pub const NO_SNAPSHOT: &str = "before the first snapshot";
    /// A checkout shown again after a snapshot that did not show it.
    pub const REAPPEARED: &str = "checkout shown again";
}

/// The names of the counts in [`Report::counts`].
pub mod counts {
    /// Checkouts at instants outside 1970..2106 (sessions store `u32`
    /// seconds): read, reported, not stored.
    pub const OUT_OF_RANGE: &str = "sessions out of range";
    /// Snapshot headers read.
    pub const SNAPSHOTS: &str = "snapshots";
    /// Snapshots that listed no feature (the server could not be reached).
    pub const EMPTY_SNAPSHOTS: &str = "snapshots without usage";
    /// Sessions added to the usage.
    pub const SESSIONS: &str = "sessions";
    /// Sessions still shown by the last snapshot (closed there, flagged).
    pub const OPEN_AT_END: &str = "open at the last snapshot";
}

/// True when `head` looks like `lmstat` output: some line starts with
/// `Flexible License Manager status on`.
pub fn looks_like_lmstat(head: &[u8]) -> bool {
    head.split(|&b| b == b'\n')
        .take(200)
        .any(|l| trim_ascii(l).starts_with(HEADER.as_bytes()))
}

fn trim_ascii(l: &[u8]) -> &[u8] {
    let start = l
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(l.len());
    l.get(start..).unwrap_or_default()
}

const HEADER: &str = "Flexible License Manager status on ";

/// Reads concatenated `lmstat -a` snapshots into `usage`; never fails on
/// content.
pub fn read_lmstat<R: BufRead>(
    file: &str,
    reader: R,
    opts: &ImportOptions,
    usage: &mut Usage,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::Lmstat);
    let mut st = State::new(opts.time_zone);
    lines::for_each_line(reader, &mut report, |no, text, report| {
        st.line(no, text, usage, report);
    });
    st.finish(usage, &mut report);
    report
}

/// What identifies one checkout across snapshots.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Key {
    feature: FeatureId,
    user: UserId,
    host: HostId,
    handle: String,
    start: NaiveDateTime,
}

/// An open checkout.
#[derive(Clone, Copy, Debug)]
struct Open {
    start: i64,
    line: u64,
    draw: u16,
}

/// The snapshot being read.
struct Snapshot {
    /// Its instant (UTC seconds) and local date-time.
    at: i64,
    local: NaiveDateTime,
    line: u64,
    /// True once a `Users of` header was seen.
    has_usage: bool,
    seen: HashSet<Key>,
}

/// How the lines under the current header are taken.
enum Mode {
    /// Before any header.
    Start,
    /// Inside a readable snapshot.
    Snapshot(Snapshot),
    /// Inside a snapshot that is not used (bad date, out of order).
    Ignored(&'static str),
}

struct State {
    tz: Tz,
    mode: Mode,
    feature: Option<FeatureId>,
    open: BTreeMap<Key, Open>,
    closed: HashSet<Key>,
    /// The last snapshot that listed usage: (instant, line).
    last: Option<(i64, u64)>,
}

impl State {
    fn new(tz: Tz) -> Self {
        State {
            tz,
            mode: Mode::Start,
            feature: None,
            open: BTreeMap::new(),
            closed: HashSet::new(),
            last: None,
        }
    }

    fn line(&mut self, no: u64, text: &str, usage: &mut Usage, report: &mut Report) {
        let t = text.trim();
        if let Some(rest) = t.strip_prefix(HEADER) {
            self.header(no, rest, usage, report);
            return;
        }
        if let Some(rest) = t.strip_prefix("Users of ") {
            self.users_of(no, rest, usage, report);
            return;
        }
        let user_line = t.contains(", start ") || t.contains(" queued for ");
        let reservation = t.contains(" RESERVATION");
        match &mut self.mode {
            Mode::Ignored(reason) => skip_quietly(report, reason),
            _ if reservation && text.starts_with(char::is_whitespace) => {
                skip_quietly(report, reasons::RESERVATION);
            }
            Mode::Start if user_line => report.skip(
                no,
                reasons::NO_SNAPSHOT,
                format!(
                    "user line before any `{}` header: \"{}\"; line skipped",
                    HEADER.trim_end(),
                    preview(t)
                ),
            ),
            Mode::Snapshot(_) if user_line && self.feature.is_some() => {
                self.user(no, t, usage, report);
            }
            _ => skip_quietly(report, reasons::OTHER),
        }
    }

    /// `Flexible License Manager status on Mon 2/10/2025 11:26`: ends the
    /// snapshot before and starts the next.
    fn header(&mut self, no: u64, rest: &str, usage: &mut Usage, report: &mut Report) {
        self.end_snapshot(usage, report);
        self.feature = None;
        let mut words = rest.split_whitespace();
        // The weekday is optional here: only the date and time count.
        let parsed = (|| {
            let mut w = words.next()?;
            if lines::parse_mdy(w).is_none() {
                w = words.next()?;
            }
            let date = lines::parse_mdy(w)?;
            let time = lines::parse_time(words.next()?)?;
            Some(date.and_time(time))
        })();
        let Some(local) = parsed else {
            report.skip(
                no,
                reasons::BAD_SNAPSHOT,
                format!(
                    "snapshot header without a readable date (`{HEADER}DAY M/D/YYYY H:MM`): \"{}\"; its lines are skipped",
                    preview(rest)
                ),
            );
            self.mode = Mode::Ignored(reasons::BAD_SNAPSHOT);
            return;
        };
        let at = local_to_utc(self.tz, local);
        if let Some((prev, prev_line)) = self.last.filter(|&(prev, _)| at < prev) {
            report.skip(
                no,
                reasons::OUT_OF_ORDER,
                format!(
                    "snapshot of {local} is earlier than the one on line {prev_line} (by {} s); snapshots must be in time order: this one is skipped",
                    prev - at
                ),
            );
            self.mode = Mode::Ignored(reasons::OUT_OF_ORDER);
            return;
        }
        report.lines_used += 1;
        report.count(counts::SNAPSHOTS, 1);
        self.mode = Mode::Snapshot(Snapshot {
            at,
            local,
            line: no,
            has_usage: false,
            seen: HashSet::new(),
        });
    }

    /// `Users of FEATURE:  (...)`.
    fn users_of(&mut self, no: u64, rest: &str, usage: &mut Usage, report: &mut Report) {
        let Mode::Snapshot(snap) = &mut self.mode else {
            let reason = match self.mode {
                Mode::Ignored(r) => r,
                _ => reasons::OTHER,
            };
            return skip_quietly(report, reason);
        };
        let name = match rest.find(":  (").or_else(|| rest.rfind(':')) {
            Some(i) => rest.get(..i).unwrap_or(rest),
            None => rest,
        }
        .trim();
        if name.is_empty() {
            self.feature = None;
            return report.skip(
                no,
                reasons::OTHER,
                "`Users of` line without a feature name; its user lines are skipped",
            );
        }
        snap.has_usage = true;
        self.feature = Some(usage.features.intern(name));
        report.lines_used += 1;
    }

    /// One line under `Users of FEATURE`.
    fn user(&mut self, no: u64, t: &str, usage: &mut Usage, report: &mut Report) {
        if t.contains(" queued for ") && !t.contains(", start ") {
            return skip_quietly(report, reasons::QUEUED);
        }
        let (Mode::Snapshot(snap), Some(feature)) = (&mut self.mode, self.feature) else {
            return skip_quietly(report, reasons::OTHER);
        };
        let Some(line) = parse_user_line(t) else {
            return report.skip(
                no,
                reasons::BAD_USER_LINE,
                format!(
                    "cannot read this user line (expected `user host display (vVER) (server/port handle), start DAY M/D H:MM`): \"{}\"; line skipped",
                    preview(t)
                ),
            );
        };
        let Some(start) = start_of(snap.local, line.month, line.day, line.time) else {
            return report.skip(
                no,
                reasons::BAD_USER_LINE,
                format!(
                    "start {}/{} is no date in {} or the year before: \"{}\"; line skipped",
                    line.month,
                    line.day,
                    snap.local.year(),
                    preview(t)
                ),
            );
        };
        let key = Key {
            feature,
            user: usage.users.intern(line.user),
            host: usage.hosts.intern(line.host),
            handle: line.handle.to_string(),
            start,
        };
        if self.closed.contains(&key) {
            return report.skip(
                no,
                reasons::REAPPEARED,
                format!(
                    "{}@{} (handle {}, start {start}) is shown again after a snapshot that did not show it; its session already ended there, so this line is not counted again",
                    line.user, line.host, line.handle
                ),
            );
        }
        report.lines_used += 1;
        if !self.open.contains_key(&key) {
            let open = Open {
                start: local_to_utc(self.tz, start),
                line: no,
                draw: line.licenses,
            };
            self.open.insert(key.clone(), open);
        }
        snap.seen.insert(key);
    }

    /// Closes what the snapshot just read no longer shows.
    fn end_snapshot(&mut self, usage: &mut Usage, report: &mut Report) {
        let Mode::Snapshot(snap) = std::mem::replace(&mut self.mode, Mode::Start) else {
            return;
        };
        if !snap.has_usage {
            report.count(counts::EMPTY_SNAPSHOTS, 1);
            report.problem(
                snap.line,
                format!(
                    "the snapshot of {} lists no feature (was the license server down?); it closes no checkout",
                    snap.local
                ),
            );
            return;
        }
        self.last = Some((snap.at, snap.line));
        let gone: Vec<Key> = self
            .open
            .keys()
            .filter(|k| !snap.seen.contains(*k))
            .cloned()
            .collect();
        for key in gone {
            if let Some(open) = self.open.remove(&key) {
                emit(&key, open, snap.at, 0, usage, report);
                self.closed.insert(key);
            }
        }
    }

    /// End of input: what the last snapshot still showed is closed there,
    /// flagged open.
    fn finish(&mut self, usage: &mut Usage, report: &mut Report) {
        self.end_snapshot(usage, report);
        let Some((at, _)) = self.last else {
            if report.counts.get(counts::SNAPSHOTS).copied().unwrap_or(0) == 0 {
                report.fatal = true;
                report.problem(
                    0,
                    format!("no `{HEADER}DAY M/D/YYYY H:MM` header: not lmstat output, or cut before its first line"),
                );
            }
            return;
        };
        for (key, open) in std::mem::take(&mut self.open) {
            report.count(counts::OPEN_AT_END, 1);
            emit(&key, open, at, flags::TRUNCATED, usage, report);
        }
    }
}

/// One session from `open` to `end`.
fn emit(key: &Key, open: Open, end: i64, flag: u16, usage: &mut Usage, report: &mut Report) {
    let (Ok(start), Ok(end)) = (u32::try_from(open.start), u32::try_from(end)) else {
        // Its lines were read and counted as used: the session is what is
        // dropped, and that is counted and reported.
        report.count(counts::OUT_OF_RANGE, 1);
        report.problem(
            open.line,
            "checkout outside the years 1970 to 2106 that sessions can hold; not counted as a session",
        );
        return;
    };
    let dur = end.checked_sub(start).unwrap_or_else(|| {
        report.problem(
            open.line,
            format!(
                "start {} is {} s after the snapshot that ends it; duration taken as 0",
                key.start,
                start - end
            ),
        );
        0
    });
    usage.sessions.push(Session {
        start,
        dur,
        user: key.user,
        feature: key.feature,
        host: key.host,
        draw: open.draw,
        flags: flag,
    });
    report.count(counts::SESSIONS, 1);
}

fn skip_quietly(report: &mut Report, reason: &str) {
    *report.skipped.entry(reason.to_string()).or_default() += 1;
}

/// The readable parts of a user line.
#[derive(Debug, PartialEq, Eq)]
struct UserLine<'a> {
    user: &'a str,
    host: &'a str,
    handle: &'a str,
    month: u32,
    day: u32,
    time: chrono::NaiveTime,
    /// `, N licenses`; 0 when absent (the product's rate applies).
    licenses: u16,
}

/// Reads a user line from the right (see the module doc).
fn parse_user_line(t: &str) -> Option<UserLine<'_>> {
    let (left, right) = t.rsplit_once(", start ")?;
    // (server/port handle)
    let left = left.trim_end().strip_suffix(')')?;
    let open = left.rfind('(')?;
    let inner = left.get(open + 1..)?;
    let (server, handle) = inner.rsplit_once(' ')?;
    if !server.contains('/') || handle.is_empty() {
        return None;
    }
    // (vVERSION)
    let left = left.get(..open)?.trim_end().strip_suffix(')')?;
    let vopen = left.rfind("(v")?;
    let mut words = left.get(..vopen)?.split_whitespace();
    let user = words.next()?;
    let host = words.next()?;
    // DAY M/D H:MM[:SS][, N licenses][  (linger: a / b)][, PID: n]
    let mut fields = right.split(',');
    let mut when = fields.next()?.split_whitespace();
    let mut md = when.next()?;
    if lines::parse_md(md).is_none() {
        md = when.next()?;
    }
    let (month, day) = lines::parse_md(md)?;
    let time = lines::parse_time(when.next()?)?;
    let mut licenses = 0u16;
    for f in fields {
        let mut w = f.split_whitespace();
        if let (Some(n), Some(unit)) = (w.next(), w.next())
            && unit.starts_with("license")
        {
            licenses = n.parse().ok().filter(|&n| n > 0)?;
        }
    }
    Some(UserLine {
        user,
        host,
        handle,
        month,
        day,
        time,
        licenses,
    })
}

/// The local start of a checkout: `month/day time` in the snapshot's year,
/// or the year before when that is after the snapshot (or no date).
fn start_of(
    snapshot: NaiveDateTime,
    month: u32,
    day: u32,
    time: chrono::NaiveTime,
) -> Option<NaiveDateTime> {
    let year = snapshot.year();
    match NaiveDate::from_ymd_opt(year, month, day).map(|d| d.and_time(time)) {
        Some(s) if s <= snapshot => Some(s),
        _ => NaiveDate::from_ymd_opt(year - 1, month, day).map(|d| d.and_time(time)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveTime;

    #[test]
    fn user_lines_from_the_right() {
        let l = parse_user_line(
            "user1 host-01 host-01:0.0 lc80a28012593569_1 (v2022.09) (SERVER1/27020 24464), start Thu 9/24 22:16, PID: 2593569",
        )
        .unwrap();
        assert_eq!(
            (l.user, l.host, l.handle, l.month, l.day, l.licenses),
            ("user1", "host-01", "24464", 9, 24, 0)
        );
        assert_eq!(l.time, NaiveTime::from_hms_opt(22, 16, 0).unwrap());
        let l = parse_user_line(
            "cmfy212 UFRTR1LT0087375 UFRTR1LT00873750.0 (v1.00) (host3.domain.net/28000 1401), start Wed 5/23 5:59, 16 licenses  (linger: 885098 / 1340160)",
        )
        .unwrap();
        assert_eq!((l.user, l.licenses, l.handle), ("cmfy212", 16, "1401"));
        // Autodesk numeric user, tab indentation already trimmed, seconds (-asec).
        let l = parse_user_line(
            "47011 UII434-NB UII434-NB (v1.0) (iss.example.ru/27000 46192), start Thu 10/15 11:20:07",
        )
        .unwrap();
        assert_eq!(l.time, NaiveTime::from_hms_opt(11, 20, 7).unwrap());
        assert!(parse_user_line("user1 (v1) (srv/1 2), start Mon 2/10 0:10").is_none());
        assert!(parse_user_line("a b c (v1) (srv/1 2), start Mon 2/30x 0:10").is_none());
        assert!(parse_user_line("a b c (v1) (srv/1 2), start Mon 2/3 0:10, 0 licenses").is_none());
    }

    #[test]
    fn start_year_is_the_snapshots_or_the_one_before() {
        let snap = NaiveDate::from_ymd_opt(2026, 1, 2)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        let t = NaiveTime::from_hms_opt(8, 0, 0).unwrap();
        assert_eq!(
            start_of(snap, 1, 2, t).unwrap().date(),
            NaiveDate::from_ymd_opt(2026, 1, 2).unwrap()
        );
        assert_eq!(
            start_of(snap, 12, 31, t).unwrap().date(),
            NaiveDate::from_ymd_opt(2025, 12, 31).unwrap()
        );
        // Later the same day than the snapshot: last year's.
        let late = NaiveTime::from_hms_opt(10, 0, 0).unwrap();
        assert_eq!(start_of(snap, 1, 2, late).unwrap().year(), 2025);
        // 2/29 seen in 2025: 2024's.
        let snap = NaiveDate::from_ymd_opt(2025, 3, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert_eq!(start_of(snap, 2, 29, t).unwrap().year(), 2024);
        let snap = NaiveDate::from_ymd_opt(2026, 3, 1)
            .unwrap()
            .and_hms_opt(9, 0, 0)
            .unwrap();
        assert_eq!(start_of(snap, 2, 29, t), None);
    }
}
