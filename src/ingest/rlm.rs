//! RLM (Reprise License Manager) report logs (SPEC §1.5), in the `std`,
//! `detailed` and `small` formats: checkouts become sessions, denials
//! become [`Denial`]s.
//!
//! # Grammar
//! From the *RLM License Administration Manual*, "Reportlog File Format"
//! (Reprise Software; the same chapter is reproduced in vendors' manuals),
//! with the process-id field that newer servers add before the date of a
//! `DENY` as real logs show it (the open-source RepriseReportLogAnalyzer
//! reads it there too). Fields are separated by spaces; quoted fields
//! (`"isv_def"`, `"project"`, ...) may hold spaces; an empty user or host is
//! written `""`; `server_handle`, `share_handle` and `process_id` are hex.
//!
//! ```text
//! RLM Report Log Format d, version x.y, authenticated      d: 0 std, 1 small, 2 detailed
//! ISV: isvname, RLM version a.b BLc
//! START hostname mm/dd/yyyy hh:mm                          server start: the year
//! TIMEZONE minutes-west-of-UTC daylight rules # readable  (RLM v12.3+)
//! PRODUCT name version pool# count ...                    one per license pool
//! INUSE product version pool# user host "isv_def" count server_handle share_handle process_id mm/dd hh:mm:ss
//! OUT product version pool# user host "isv_def" count cur_use cur_resuse server_handle share_handle process_id "project" "requested product" "requested version" mm/dd hh:mm:ss
//! OUT ... same ... mm/dd hh:mm:ss.tenths_of_msec "client_machine_os_info" "application argv0" roam_days roam_handle client-ip-address   (detailed)
//! OUT product version user host "isv_def" count server_handle share_handle hh:mm                                                    (small)
//! IN why product version user host "isv_def" count cur_use cur_resuse server_handle mm/dd hh:mm:ss                                (std, detailed)
//! IN why count server_handle hh:mm                                                                                                (small)
//! DENY product version user host "isv_def" count why last_attempt [process_id] mm/dd hh:mm[:ss.tenths]
//! SHUTDOWN user host mm/dd hh:mm:ss
//! mm/dd/yyyy hh:mm                                         periodic timestamp
//! END mm/dd/yyyy hh:mm                                     log file end
//! ```
//! Also written, counted and not used: `REPROCESSED`, `LICENSE FILE`,
//! `SWITCH`, `AUTH`, `QUE`, `DEQUE`, `ROAM_EXTEND`, `METER`, `TIMEJUMP`,
//! `REREAD`, `DYNRES`, `TEMP` and the header's free text.
//!
//! Fields are read by position from the left and the date and time from
//! the right (the rightmost `mm/dd hh:mm[:ss]` pair; in `small` records the
//! final `hh:mm`), so extra fields a newer server inserts before the date,
//! or appends after it in `detailed` checkouts, do not shift anything.
//!
//! # Sessions and denials
//! An `OUT` opens a checkout under its `server_handle`; the `IN` with that
//! handle closes it (`why` 4, "removed by the server after timeout", is an
//! idle reclaim: [`flags::INACTIVE`]). `INUSE` records at a log's start
//! open checkouts made before it. A `SHUTDOWN` closes what is open
//! ([`flags::SHUTDOWN`]); `END`, a new `START` and the end of the file close
//! it at the last time seen, flagged [`flags::TRUNCATED`]. A checkout whose
//! requested product differs from the product (a token-based license) is a
//! use of the requested product drawing `count` of the token product.
//!
//! A `DENY` with `last_attempt` 0 is a refusal at this server that the
//! client retries elsewhere, not a denial of the user (the manual: "a
//! report writer should only report application license denials when
//! last_attempt is set to a non-zero value"): counted apart, never a
//! [`Denial`].
//!
//! # Dates and zone
//! Records carry `mm/dd` without a year: the year is the one that puts the
//! date nearest the last date the log gave (`START`, periodic timestamps,
//! earlier records), so a log runs across New Year. `small` checkouts carry
//! only `hh:mm`: the date is the last one seen, the next day when the clock
//! steps back more than 90 minutes. Times are the server's wall clock in
//! [`ImportOptions::time_zone`]; when a `TIMEZONE` line says otherwise
//! (another offset from UTC, or daylight saving where the zone has none, or
//! the reverse) its offset is used instead, and a problem says that the
//! daylight-saving hour is not known when the line announces one.

use std::collections::HashMap;
use std::io::BufRead;

use chrono::{Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::{OffsetComponents, Tz};

use super::lines::{self, preview};
use super::{ImportOptions, Report, SourceKind};
use crate::time::local_to_utc;
use crate::usage::{Denial, FeatureId, HostId, Session, Usage, UserId, flags};

/// The reasons a line is skipped, as they appear in [`Report::skipped`].
pub mod reasons {
    /// Header text, blank lines and records that are not usage (`PRODUCT`,
    /// `AUTH`, `QUE`, ...).
    pub const OTHER: &str = "not usage";
    /// A record that is not one of the report log's.
    pub const UNKNOWN: &str = "unknown record";
    /// An `OUT`/`IN`/`DENY`/`INUSE`/`SHUTDOWN` record whose fields cannot be read.
    pub const BAD_RECORD: &str = "bad record";
    /// An `IN` whose handle has no open checkout.
    pub const IN_WITHOUT_OUT: &str = "IN without OUT";
    /// A record before the log gave any date (`START`, a timestamp).
    pub const NO_DATE: &str = "no date";
}

/// The names of the counts in [`Report::counts`].
pub mod counts {
    /// Checkouts at instants outside 1970..2106 (sessions store `u32`
    /// seconds): read, reported, not stored.
    pub const OUT_OF_RANGE: &str = "sessions out of range";
    /// Sessions added to the usage.
    pub const SESSIONS: &str = "sessions";
    /// Denials added to the usage (`last_attempt` non-zero).
    pub const DENIALS: &str = "denials";
    /// `DENY` records with `last_attempt` 0: the client tries another server.
    pub const RETRIED_ELSEWHERE: &str = "refusals retried elsewhere (last_attempt 0)";
    /// Sessions closed at a `SHUTDOWN`.
    pub const SHUTDOWN: &str = "closed at shutdown";
    /// Sessions still open at `END`, a new `START` or the end of the file.
    pub const TRUNCATED: &str = "truncated sessions";
    /// Checkins with `why` 4, removed by the server after a timeout.
    pub const IDLE_RECLAIMS: &str = "idle reclaims";
    /// Checkins with `why` 3, removed by `rlmremove`.
    pub const REMOVALS: &str = "removals";
    /// Checkouts of a token-based license (requested product ≠ product).
    pub const TOKEN_CHECKOUTS: &str = "token checkouts";
    /// Checkouts opened by an `INUSE` record (made before the log began).
    pub const IN_USE_AT_START: &str = "checkouts from before the log";
    /// Records whose times were read at the `TIMEZONE` line's offset.
    pub const FIXED_OFFSET: &str = "records read at the TIMEZONE offset";
}

/// Record keywords of the report log (first word of a line).
const KEYWORDS: &[&str] = &[
    "OUT",
    "IN",
    "DENY",
    "INUSE",
    "START",
    "END",
    "SHUTDOWN",
    "TIMEZONE",
    "PRODUCT",
    "AUTH",
    "QUE",
    "DEQUE",
    "SWITCH",
    "REPROCESSED",
    "ISV:",
    "LICENSE",
    "ROAM_EXTEND",
    "METER",
    "TIMEJUMP",
    "REREAD",
    "DYNRES",
    "TEMP",
];

/// The report log's first line.
const FORMAT_LINE: &str = "RLM Report Log Format";

/// True when `head` looks like an RLM report log: it has the `RLM Report
/// Log Format` line, or most of its lines are report-log records and some
/// are checkouts, checkins or denials.
pub fn looks_like_rlm(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.lines().peekable();
    let (mut records, mut usage, mut other) = (0u32, 0u32, 0u32);
    while let Some(l) = lines.next() {
        // The last piece may be cut mid-line.
        if lines.peek().is_none() && records + other > 0 {
            break;
        }
        let t = l.trim();
        if t.starts_with(FORMAT_LINE) {
            return true;
        }
        if t.is_empty() {
            continue;
        }
        let first = t.split_whitespace().next().unwrap_or("");
        if KEYWORDS.contains(&first) || is_timestamp_line(t) {
            records += 1;
            usage += u32::from(matches!(first, "OUT" | "IN" | "DENY" | "INUSE"));
        } else {
            other += 1;
        }
    }
    usage > 0 && records >= 2 * other
}

fn is_timestamp_line(t: &str) -> bool {
    let mut w = t.split_whitespace();
    matches!((w.next(), w.next(), w.next()), (Some(d), Some(tm), None)
        if lines::parse_mdy(d).is_some() && lines::parse_time(tm).is_some())
}

/// Reads one RLM report log into `usage`; never fails on content.
pub fn read_rlm<R: BufRead>(
    file: &str,
    reader: R,
    opts: &ImportOptions,
    usage: &mut Usage,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::Rlm);
    let mut st = State::new(opts.time_zone);
    lines::for_each_line(reader, &mut report, |no, text, report| {
        st.line(no, text, usage, report);
    });
    st.close_all(flags::TRUNCATED, usage, &mut report);
    if st.no_date_lines > 0 {
        report.problem(
            st.first_no_date_line,
            format!(
                "{} records came before the log gave its date (a START line or a `mm/dd/yyyy hh:mm` timestamp) and were skipped; import the log from its beginning",
                st.no_date_lines
            ),
        );
    }
    report
}

/// How local wall-clock times become instants.
#[derive(Clone, Copy, Debug)]
enum Zone {
    /// The import's IANA zone.
    Named(Tz),
    /// The offset a `TIMEZONE` line gave (seconds east of UTC).
    Fixed(i32),
}

impl Zone {
    fn utc(self, local: NaiveDateTime) -> i64 {
        match self {
            Zone::Named(tz) => local_to_utc(tz, local),
            Zone::Fixed(east) => local.and_utc().timestamp() - i64::from(east),
        }
    }
}

/// An open checkout.
#[derive(Clone, Debug)]
struct Open {
    start: i64,
    line: u64,
    user: UserId,
    host: HostId,
    feature: FeatureId,
    draw: u16,
}

struct State {
    tz: Tz,
    zone: Zone,
    /// The last local date-time the log gave; `None` before any date.
    clock: Option<NaiveDateTime>,
    /// Open checkouts by server handle (lower case).
    open: HashMap<String, Open>,
    /// The instant of the last record with a time.
    last: Option<i64>,
    no_date_lines: u64,
    first_no_date_line: u64,
}

impl State {
    fn new(tz: Tz) -> Self {
        State {
            tz,
            zone: Zone::Named(tz),
            clock: None,
            open: HashMap::new(),
            last: None,
            no_date_lines: 0,
            first_no_date_line: 0,
        }
    }

    fn line(&mut self, no: u64, text: &str, usage: &mut Usage, report: &mut Report) {
        let t = text.trim();
        if t.is_empty() {
            return skip_quietly(report, reasons::OTHER);
        }
        let tokens = tokenize(t);
        let Some(&first) = tokens.first() else {
            return skip_quietly(report, reasons::OTHER);
        };
        let result = match first {
            "OUT" => self.checkout(no, &tokens, false, usage, report),
            "INUSE" => self.checkout(no, &tokens, true, usage, report),
            "IN" => self.checkin(no, &tokens, usage, report),
            "DENY" => self.deny(no, &tokens, usage, report),
            "SHUTDOWN" => self.shutdown(&tokens, usage, report),
            "START" => self.start(&tokens, usage, report),
            "END" => self.end(&tokens, usage, report),
            "TIMEZONE" => self.timezone(no, &tokens, report),
            _ if is_timestamp_line(t) => self.timestamp(&tokens, report),
            _ if KEYWORDS.contains(&first) || t.starts_with(FORMAT_LINE) => {
                skip_quietly(report, reasons::OTHER);
                Ok(())
            }
            _ => {
                skip_quietly(report, reasons::UNKNOWN);
                Ok(())
            }
        };
        match result {
            Ok(()) => {}
            Err(Fault::NoDate) => {
                skip_quietly(report, reasons::NO_DATE);
                if self.no_date_lines == 0 {
                    self.first_no_date_line = no;
                }
                self.no_date_lines += 1;
            }
            Err(Fault::Bad(why)) => report.skip(
                no,
                reasons::BAD_RECORD,
                format!("{why}: \"{}\"; line skipped", preview(t)),
            ),
        }
    }

    /// Moves the clock to `local` (never backwards: `INUSE` records and
    /// out-of-order lines do not rewind it).
    fn tick(&mut self, local: NaiveDateTime) {
        if self.clock.is_none_or(|c| local > c) {
            self.clock = Some(local);
        }
    }

    /// The instant of a record's local time, and the clock moved there.
    fn instant(&mut self, local: NaiveDateTime, report: &mut Report) -> i64 {
        self.tick(local);
        if matches!(self.zone, Zone::Fixed(_)) {
            report.count(counts::FIXED_OFFSET, 1);
        }
        let at = self.zone.utc(local);
        self.last = Some(self.last.map_or(at, |l| l.max(at)));
        at
    }

    /// `OUT` (std, detailed or small) and `INUSE`.
    fn checkout(
        &mut self,
        no: u64,
        tok: &[&str],
        in_use: bool,
        usage: &mut Usage,
        report: &mut Report,
    ) -> Result<(), Fault> {
        let kind = if in_use { "INUSE" } else { "OUT" };
        let when = self.when(tok, !in_use)?;
        // Positions differ between the formats: small has no pool and no
        // use counts; INUSE has no use counts.
        let (user, host, count, handle, requested) = match (&when, in_use) {
            (When::Time(_), _) => (3, 4, 6, 7, None),
            (When::DateTime(_, at), true) if *at > 10 => (4, 5, 7, 8, None),
            (When::DateTime(_, at), false) if *at > 12 => (4, 5, 7, 10, (*at > 15).then_some(14)),
            _ => return Err(Fault::Bad(format!("{kind} record with too few fields"))),
        };
        let field = |i: usize| tok.get(i).map(|s| unquote(s));
        let (Some(product), Some(user), Some(host), Some(count), Some(handle)) = (
            field(1),
            field(user),
            field(host),
            field(count),
            field(handle),
        ) else {
            return Err(Fault::Bad(format!("{kind} record with too few fields")));
        };
        if product.is_empty() || user.is_empty() || handle.is_empty() {
            return Err(Fault::Bad(format!(
                "{kind} record with an empty product, user or handle"
            )));
        }
        let Some(draw) = count.parse::<u16>().ok().filter(|&n| n > 0) else {
            return Err(Fault::Bad(format!(
                "{kind} count `{count}` is not a count a session can hold (1 to 65535)"
            )));
        };
        let requested = requested.and_then(field).filter(|r| !r.is_empty());
        let feature = match requested {
            Some(r) if r != product => {
                report.count(counts::TOKEN_CHECKOUTS, 1);
                r
            }
            _ => product,
        };
        let local = self.local(&when)?;
        let key = handle.to_ascii_lowercase();
        if in_use {
            // Listed again at the end of a log, or known from an OUT.
            report.lines_used += 1;
            if self.open.contains_key(&key) {
                return Ok(());
            }
            report.count(counts::IN_USE_AT_START, 1);
        } else {
            report.lines_used += 1;
        }
        let start = if in_use {
            // A checkout time from before the log: not the log's clock.
            self.zone.utc(local)
        } else {
            self.instant(local, report)
        };
        let open = Open {
            start,
            line: no,
            user: usage.users.intern(user),
            host: usage.hosts.intern(host),
            feature: usage.features.intern(feature),
            draw,
        };
        if let Some(prev) = self.open.insert(key, open) {
            report.problem(
                no,
                format!(
                    "handle {handle} is checked out again while the checkout of line {} is open; that one is closed here, flagged truncated",
                    prev.line
                ),
            );
            emit(prev, start, flags::TRUNCATED, usage, report);
        }
        Ok(())
    }

    /// `IN` (std, detailed or small).
    fn checkin(
        &mut self,
        no: u64,
        tok: &[&str],
        usage: &mut Usage,
        report: &mut Report,
    ) -> Result<(), Fault> {
        let when = self.when(tok, true)?;
        let handle_at = match when {
            When::Time(_) => 3,
            When::DateTime(_, at) if at > 10 => 10,
            _ => return Err(Fault::Bad("IN record with too few fields".into())),
        };
        let (Some(why), Some(handle)) = (tok.get(1), tok.get(handle_at).map(|s| unquote(s))) else {
            return Err(Fault::Bad("IN record with too few fields".into()));
        };
        let local = self.local(&when)?;
        let end = self.instant(local, report);
        let Some(open) = self.open.remove(&handle.to_ascii_lowercase()) else {
            report.skip(
                no,
                reasons::IN_WITHOUT_OUT,
                format!("IN of handle {handle} with no open checkout; not counted as a session"),
            );
            return Ok(());
        };
        let flag = match *why {
            "4" => {
                report.count(counts::IDLE_RECLAIMS, 1);
                flags::INACTIVE
            }
            "3" => {
                report.count(counts::REMOVALS, 1);
                0
            }
            _ => 0,
        };
        report.lines_used += 1;
        emit(open, end, flag, usage, report);
        Ok(())
    }

    /// `DENY product version user host "isv_def" count why last_attempt [pid] mm/dd hh:mm`.
    fn deny(
        &mut self,
        _no: u64,
        tok: &[&str],
        usage: &mut Usage,
        report: &mut Report,
    ) -> Result<(), Fault> {
        let when = self.when(tok, false)?;
        let When::DateTime(_, at) = when else {
            return Err(Fault::Bad("DENY record without `mm/dd hh:mm`".into()));
        };
        if at < 9 {
            return Err(Fault::Bad("DENY record with too few fields".into()));
        }
        let field = |i: usize| tok.get(i).map(|s| unquote(s)).unwrap_or("");
        let (product, user, host, count, why, last) =
            (field(1), field(3), field(4), field(6), field(7), field(8));
        if product.is_empty() || user.is_empty() {
            return Err(Fault::Bad(
                "DENY record with an empty product or user".into(),
            ));
        }
        let Some(count) = count.parse::<u32>().ok().filter(|&n| n > 0) else {
            return Err(Fault::Bad(format!("DENY count `{count}` is not a count")));
        };
        let Ok(last) = last.parse::<i64>() else {
            return Err(Fault::Bad(format!(
                "DENY last_attempt `{last}` is not a number"
            )));
        };
        let local = self.local(&when)?;
        let at = self.instant(local, report);
        report.lines_used += 1;
        if last == 0 {
            report.count(counts::RETRIED_ELSEWHERE, 1);
            return Ok(());
        }
        usage.denials.push(Denial {
            at,
            feature: usage.features.intern(product),
            user: usage.users.intern(user),
            host: usage.hosts.intern(host),
            count,
            reason: format!("RLM status {why}"),
        });
        report.count(counts::DENIALS, 1);
        Ok(())
    }

    /// `SHUTDOWN user host mm/dd hh:mm:ss`: what is open ends here.
    fn shutdown(
        &mut self,
        tok: &[&str],
        usage: &mut Usage,
        report: &mut Report,
    ) -> Result<(), Fault> {
        let when = self.when(tok, false)?;
        let local = self.local(&when)?;
        self.instant(local, report);
        report.lines_used += 1;
        self.close_all(flags::SHUTDOWN, usage, report);
        Ok(())
    }

    /// `START hostname mm/dd/yyyy hh:mm`: a server start; what an earlier
    /// run left open ends at the last time seen.
    fn start(&mut self, tok: &[&str], usage: &mut Usage, report: &mut Report) -> Result<(), Fault> {
        let local = full_date(tok, 2)?;
        self.close_all(flags::TRUNCATED, usage, report);
        self.tick(local);
        report.lines_used += 1;
        Ok(())
    }

    /// `END mm/dd/yyyy hh:mm`: the log ends (or switches files).
    fn end(&mut self, tok: &[&str], usage: &mut Usage, report: &mut Report) -> Result<(), Fault> {
        let local = full_date(tok, 1)?;
        self.instant(local, report);
        report.lines_used += 1;
        self.close_all(flags::TRUNCATED, usage, report);
        Ok(())
    }

    /// A periodic `mm/dd/yyyy hh:mm` timestamp.
    fn timestamp(&mut self, tok: &[&str], report: &mut Report) -> Result<(), Fault> {
        let local = full_date(tok, 0)?;
        self.instant(local, report);
        report.lines_used += 1;
        Ok(())
    }

    /// `TIMEZONE minutes-west-of-UTC daylight rules # readable`.
    fn timezone(&mut self, no: u64, tok: &[&str], report: &mut Report) -> Result<(), Fault> {
        let (Some(west), Some(daylight)) = (
            tok.get(1).and_then(|s| s.parse::<i32>().ok()),
            tok.get(2).and_then(|s| s.parse::<i32>().ok()),
        ) else {
            return Err(Fault::Bad(
                "TIMEZONE without minutes west of UTC and a daylight flag".into(),
            ));
        };
        if !(-18 * 60..=18 * 60).contains(&west) {
            return Err(Fault::Bad(format!(
                "TIMEZONE offset {west} minutes is not an offset from UTC"
            )));
        }
        report.lines_used += 1;
        let east = -west * 60;
        let daylight = daylight != 0;
        let year = self.clock.map_or(2000, |c| c.year());
        let (base, observes_dst) = zone_facts(self.tz, year);
        if base == east && observes_dst == daylight {
            self.zone = Zone::Named(self.tz);
            return Ok(());
        }
        self.zone = Zone::Fixed(east);
        if daylight {
            report.problem(
                no,
                format!(
                    "the log's TIMEZONE is UTC{} with daylight saving, not the import's zone {}; times are read at UTC{}, an hour off while daylight saving is in force (the line does not say when): import with --time-zone set to the server's zone to read them exactly",
                    fmt_offset(east),
                    self.tz.name(),
                    fmt_offset(east)
                ),
            );
        }
        Ok(())
    }

    /// Closes every open checkout at the last time seen.
    fn close_all(&mut self, flag: u16, usage: &mut Usage, report: &mut Report) {
        let mut all: Vec<Open> = self.open.drain().map(|(_, o)| o).collect();
        all.sort_by_key(|o| o.line);
        for open in all {
            let end = self.last.unwrap_or(open.start).max(open.start);
            report.count(
                if flag == flags::SHUTDOWN {
                    counts::SHUTDOWN
                } else {
                    counts::TRUNCATED
                },
                1,
            );
            emit(open, end, flag, usage, report);
        }
    }

    /// Where a record's date and time are: the rightmost `mm/dd hh:mm[:ss]`
    /// pair, or (when `small_ok`) a final `hh:mm`.
    fn when(&self, tok: &[&str], small_ok: bool) -> Result<When, Fault> {
        for i in (1..tok.len().saturating_sub(1)).rev() {
            let (Some(d), Some(t)) = (tok.get(i), tok.get(i + 1)) else {
                continue;
            };
            if let (Some(md), Some(time)) = (lines::parse_md(d), lines::parse_time(t)) {
                return Ok(When::DateTime((md, time), i));
            }
        }
        if small_ok && let Some(time) = tok.last().and_then(|t| lines::parse_time(t)) {
            return Ok(When::Time(time));
        }
        Err(Fault::Bad("no `mm/dd hh:mm` date and time".into()))
    }

    /// The local date-time of a record, its year (or for `small` records its
    /// date) taken from the clock.
    fn local(&self, when: &When) -> Result<NaiveDateTime, Fault> {
        let clock = self.clock.ok_or(Fault::NoDate)?;
        match *when {
            When::DateTime(((m, d), time), _) => nearest_year(clock, m, d, time)
                .ok_or_else(|| Fault::Bad(format!("{m}/{d} is no date near {}", clock.date()))),
            When::Time(time) => {
                let same = clock.date().and_time(time);
                // Small records: a clock more than 90 minutes behind means
                // the next day; smaller steps back (a daylight-saving
                // fall-back) stay on the same day.
                if (clock - same).num_minutes() > 90 {
                    Ok(same + chrono::Duration::days(1))
                } else {
                    Ok(same)
                }
            }
        }
    }
}

/// Where a record's time is.
enum When {
    /// `mm/dd hh:mm[:ss]` at this token index.
    DateTime(((u32, u32), NaiveTime), usize),
    /// A `small` record's final `hh:mm`.
    Time(NaiveTime),
}

/// Why a record was not used.
enum Fault {
    /// No date was given yet.
    NoDate,
    /// The record cannot be read; the message says why.
    Bad(String),
}

/// `mm/dd/yyyy hh:mm` at token `i`.
fn full_date(tok: &[&str], i: usize) -> Result<NaiveDateTime, Fault> {
    let date = tok.get(i).and_then(|d| lines::parse_mdy(d));
    let time = tok.get(i + 1).and_then(|t| lines::parse_time(t));
    match (date, time) {
        (Some(d), Some(t)) => Ok(d.and_time(t)),
        _ => Err(Fault::Bad("no `mm/dd/yyyy hh:mm` date".into())),
    }
}

/// `month/day time` in the year (of the clock's, the one before or after)
/// that puts it nearest the clock.
fn nearest_year(clock: NaiveDateTime, m: u32, d: u32, time: NaiveTime) -> Option<NaiveDateTime> {
    [clock.year(), clock.year() - 1, clock.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d).map(|date| date.and_time(time)))
        .min_by_key(|t| (*t - clock).num_seconds().abs())
}

/// The zone's standard offset (seconds east) in `year`, and whether it
/// observes daylight saving then.
fn zone_facts(tz: Tz, year: i32) -> (i32, bool) {
    let at = |month| {
        NaiveDate::from_ymd_opt(year, month, 15)
            .and_then(|d| d.and_hms_opt(12, 0, 0))
            .map(|t| tz.offset_from_utc_datetime(&t))
    };
    match (at(1), at(7)) {
        (Some(jan), Some(jul)) => {
            let base = jan.base_utc_offset().num_seconds() as i32;
            let dst = !jan.dst_offset().is_zero() || !jul.dst_offset().is_zero();
            (base, dst)
        }
        _ => (0, false),
    }
}

/// `+05:30`, `-05:00`.
fn fmt_offset(east: i32) -> String {
    FixedOffset::east_opt(east).map_or_else(|| format!("{east}s"), |o| o.to_string())
}

/// One session from `open` to `end`.
fn emit(open: Open, end: i64, flag: u16, usage: &mut Usage, report: &mut Report) {
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
                "the checkin is {} s before this checkout; duration taken as 0",
                start - end
            ),
        );
        0
    });
    usage.sessions.push(Session {
        start,
        dur,
        user: open.user,
        feature: open.feature,
        host: open.host,
        draw: open.draw,
        flags: flag,
    });
    report.count(counts::SESSIONS, 1);
}

fn skip_quietly(report: &mut Report, reason: &str) {
    *report.skipped.entry(reason.to_string()).or_default() += 1;
}

/// Splits a record at spaces; a field that starts with `"` runs to the
/// next `"` and keeps its quotes (so `""` is an empty field, not a gap).
fn tokenize(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let end = if let Some(after) = rest.strip_prefix('"') {
            after.find('"').map_or(rest.len(), |i| i + 2)
        } else {
            rest.find(char::is_whitespace).unwrap_or(rest.len())
        };
        let (tok, tail) = rest.split_at(end.min(rest.len()));
        out.push(tok);
        rest = tail.trim_start();
    }
    out
}

/// A field without its surrounding quotes.
fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_quoted_fields_whole() {
        assert_eq!(
            tokenize(r#"OUT a 1.0 u h "my def" 1 "" x"#),
            vec!["OUT", "a", "1.0", "u", "h", "\"my def\"", "1", "\"\"", "x"]
        );
        // An unterminated quote runs to the end of the line.
        assert_eq!(tokenize(r#"A "b c"#), vec!["A", "\"b c"]);
        assert_eq!(unquote("\"\""), "");
        assert_eq!(unquote("\"x"), "\"x");
    }

    #[test]
    fn year_nearest_the_clock() {
        let clock = NaiveDate::from_ymd_opt(2025, 12, 31)
            .unwrap()
            .and_hms_opt(23, 0, 0)
            .unwrap();
        let t = NaiveTime::from_hms_opt(0, 5, 0).unwrap();
        assert_eq!(nearest_year(clock, 1, 1, t).unwrap().year(), 2026);
        assert_eq!(nearest_year(clock, 12, 30, t).unwrap().year(), 2025);
        // 2/29 near 2025: 2024's.
        assert_eq!(nearest_year(clock, 2, 29, t).unwrap().year(), 2024);
    }

    #[test]
    fn zone_facts_of_named_zones() {
        assert_eq!(
            zone_facts(chrono_tz::America::New_York, 2025),
            (-5 * 3600, true)
        );
        assert_eq!(zone_facts(chrono_tz::Asia::Kolkata, 2025), (19_800, false));
        assert_eq!(fmt_offset(-5 * 3600), "-05:00");
    }
}
