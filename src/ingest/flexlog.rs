//! FlexNet debug log importer (SPEC §1.2): `lmgrd.log`, `debug.log`,
//! `<vendor>.log` and the like.
//!
//! [`read_debug_log`] turns the `OUT:`/`IN:` lines of one log into
//! [`Session`]s and its `DENIED:` lines into [`Denial`]s, and accounts for
//! every line in the [`Report`]: used, or skipped under one of the
//! [`reasons`]. [`looks_like_debug_log`] is the content test of kind
//! detection.
//!
//! Event lines carry only a time of day (`H:MM:SS (daemon) message`). The
//! date comes from anchor lines (`TIMESTAMP M/D/YYYY`, the lmgrd start
//! banner, `Server's System Date and Time:`, SLOG `Start-Date:`/`Time:`);
//! between anchors, a clock more than 90 minutes behind the previous line
//! means midnight has passed. Wall-clock times are local times of
//! [`ImportOptions::time_zone`], so daylight-saving changes come from the
//! zone's rules, not from guessing.
//!
//! Lines before the first anchor are kept on a provisional day count and
//! moved onto the calendar when the anchor arrives; a log without any anchor
//! yields nothing and says so.

use std::collections::{HashMap, VecDeque};
use std::io::BufRead;

use chrono::{LocalResult, NaiveDate, NaiveDateTime, TimeZone};
use chrono_tz::Tz;

use super::{ImportOptions, Report, SourceKind};
use crate::time::{day_of_date, local_to_utc};
use crate::usage::{Denial, FeatureId, HostId, Interner, Session, Usage, UserId, flags};

/// The reasons a line is skipped, as they appear in [`Report::skipped`].
pub mod reasons {
    /// An empty line (after trimming).
    pub const BLANK: &str = "blank line";
    /// No `H:MM:SS (daemon)` envelope: garbage or a continuation line.
    pub const NO_ENVELOPE: &str = "no envelope";
    /// SLOG statistics (`(@daemon-SLOG@) ...`, `SLOG: ...`) other than the
    /// date anchors among them.
    pub const STATISTICS: &str = "statistics";
    /// Any other message that is not usage (startup chatter, feature lists,
    /// options, rereads, ...).
    pub const UNKNOWN: &str = "unknown message";
    /// `UNSUPPORTED:` probes for a feature the server does not have.
    pub const UNSUPPORTED: &str = "unsupported";
    /// `QUEUED:` and `DEQUEUED:` lines.
    pub const QUEUED: &str = "queued";
    /// An `IN:` (or `REMOVING`) with no open checkout to close.
    pub const IN_WITHOUT_OUT: &str = "IN without OUT";
    /// An `OUT:`/`IN:`/`DENIED:`/`REMOVING` line whose feature or
    /// `user@host` cannot be read.
    pub const BAD_EVENT: &str = "bad event";
    /// A `(N licenses)` count of 0, or above what a session can hold
    /// (65535) or a denial can hold (u32).
    pub const BAD_COUNT: &str = "bad count";
    /// An anchor line whose date cannot be read.
    pub const BAD_DATE: &str = "bad date";
    /// An event line of a log that has no date anchor at all.
    pub const NO_DATE: &str = "no date";
    /// An instant outside 1970..2106 (sessions store `u32` seconds).
    pub const OUT_OF_RANGE: &str = "time out of range";
}

/// The names of the counts in [`Report::counts`].
pub mod counts {
    /// Sessions added to the usage.
    pub const SESSIONS: &str = "sessions";
    /// Denials added to the usage.
    pub const DENIALS: &str = "denials";
    /// Sessions closed at the end of the log or at a server restart.
    pub const TRUNCATED: &str = "truncated sessions";
    /// Sessions closed by an idle reclaim, `IN: ... (INACTIVE)`.
    pub const IDLE_RECLAIMS: &str = "idle reclaims";
    /// Sessions closed by a graceful stop, `IN: ... (SHUTDOWN)`.
    pub const SHUTDOWN_CHECKINS: &str = "shutdown checkins";
    /// Sessions closed by an administrator, `REMOVING user@host from F`.
    pub const REMOVALS: &str = "removals";
    /// Server start banners (each one closes what is still open).
    pub const SERVER_STARTS: &str = "server starts";
    /// Anchors whose date differs from the date the clock had reached.
    pub const DATE_RESYNCS: &str = "date resyncs";
    /// Lines that were not UTF-8 and were read as Windows-1252.
    pub const WINDOWS_1252: &str = "windows-1252 lines";
}

const DAY: i64 = 86_400;
/// A clock this much behind the previous line means the next day; smaller
/// steps back (a daylight-saving fall-back repeats one hour, two daemons
/// interleave their writes) stay on the same day.
const ROLLOVER_SECS: i64 = 90 * 60;
/// A step back of at least this much into a local time that happens twice
/// is read as the fall-back: such times take their second (later) instant.
const FOLD_MIN_SECS: i64 = 10 * 60;

/// Reads one debug log into `usage`; never fails on content (only the
/// reader's I/O errors are problems too).
///
/// Sessions get the feature as written, or for IBM token pools (`TLSTOK`,
/// `TLSTOK-token`) the product named by the checkout data; `draw` is the
/// `(N licenses)` count (1 for a token pool line without one, 0 = "the
/// product's rate" otherwise). An I/O error stops the reading, is recorded
/// as a problem (fatal when nothing could be read) and closes what is open
/// as at the end of the log.
pub fn read_debug_log<R: BufRead>(
    file: &str,
    mut reader: R,
    opts: &ImportOptions,
    usage: &mut Usage,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(SourceKind::DebugLog);
    let mut st = Importer::new(opts.time_zone);
    let mut raw = Vec::with_capacity(256);
    let mut decoded = String::new();
    loop {
        raw.clear();
        match reader.read_until(b'\n', &mut raw) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                report.fatal = report.lines_read == 0;
                report.problem(
                    report.lines_read + 1,
                    format!("cannot read further: {e}; the log is taken as ending here"),
                );
                break;
            }
        }
        report.lines_read += 1;
        let line_no = report.lines_read;
        let text = match std::str::from_utf8(&raw) {
            Ok(s) => s,
            Err(_) => {
                decode_windows_1252(&raw, &mut decoded);
                report.count(counts::WINDOWS_1252, 1);
                decoded.as_str()
            }
        };
        st.line(line_no, text, usage, &mut report);
    }
    st.finish(usage, &mut report);
    report
}

/// True when `head` (the first few KB of a file) looks like a FlexNet debug
/// log: at least half of its non-blank lines, and at least one, carry the
/// `H:MM:SS (daemon)` envelope.
pub fn looks_like_debug_log(head: &[u8]) -> bool {
    let mut lines = head.split(|&b| b == b'\n').peekable();
    let mut enveloped = 0u32;
    let mut other = 0u32;
    let mut decoded = String::new();
    while let Some(raw) = lines.next() {
        // The last piece may be cut mid-line: judge only complete lines
        // unless it is all there is.
        if lines.peek().is_none() && enveloped + other > 0 {
            break;
        }
        decode_windows_1252_or_utf8(raw, &mut decoded);
        let t = clean(&decoded);
        if t.is_empty() {
            continue;
        }
        if envelope(t).is_some() {
            enveloped += 1;
        } else {
            other += 1;
        }
    }
    enveloped > 0 && enveloped >= other
}

/// A wall-clock time on the log's day count: seconds since 1970-01-01 00:00
/// local (provisional days before the first anchor), and which instant to
/// take when that local time happens twice.
#[derive(Clone, Copy, Debug)]
struct Local {
    secs: i64,
    later: bool,
}

/// Gives each timestamped line its local date-time.
struct Clock {
    tz: Tz,
    /// Day number (days since 1970-01-01) of the current line; provisional
    /// (counted from 0) until `anchored`.
    day: i64,
    prev_tod: Option<i64>,
    anchored: bool,
    /// Inside the second pass of a fall-back hour.
    fold: bool,
}

/// The kinds of date anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AnchorKind {
    /// `TIMESTAMP`, SLOG `Time:`: written while the server runs.
    Running,
    /// `Server's System Date and Time:`, SLOG `Start-Date:`: written at a
    /// start, after a downtime the clock could not count.
    Starting,
    /// The lmgrd start banner: a new server; what is open is closed.
    Banner,
}

/// What an anchor did to the clock.
enum Anchored {
    /// The first anchor: everything provisional moves by this many seconds.
    First(i64),
    /// The date the clock had reached was wrong by this many days.
    Resync,
    Same,
}

impl Clock {
    fn new(tz: Tz) -> Self {
        Clock {
            tz,
            day: 0,
            prev_tod: None,
            anchored: false,
            fold: false,
        }
    }

    /// The local time of a line with time of day `tod` (seconds).
    fn tick(&mut self, tod: i64) -> Local {
        if let Some(prev) = self.prev_tod {
            if tod < prev - ROLLOVER_SECS {
                self.day += 1;
                self.fold = false;
            } else if tod <= prev - FOLD_MIN_SECS && self.anchored && self.is_twice(tod) {
                self.fold = true;
            }
        }
        if self.fold && !self.is_twice(tod) {
            self.fold = false;
        }
        self.prev_tod = Some(tod);
        Local {
            secs: self.day * DAY + tod,
            later: self.fold,
        }
    }

    /// Puts the current line (already ticked) on calendar day `day`.
    fn anchor(&mut self, day: i64) -> Anchored {
        let delta = day - self.day;
        self.day = day;
        if !self.anchored {
            self.anchored = true;
            Anchored::First(delta * DAY)
        } else if delta != 0 {
            self.fold = false;
            Anchored::Resync
        } else {
            Anchored::Same
        }
    }

    /// True when time of day `tod` of the current day happens twice.
    fn is_twice(&self, tod: i64) -> bool {
        let Some(naive) = naive(self.day * DAY + tod) else {
            return false;
        };
        matches!(
            self.tz.from_local_datetime(&naive),
            LocalResult::Ambiguous(..)
        )
    }

    /// The UTC instant of `t`, when chrono can represent it.
    fn utc(&self, t: Local) -> Option<i64> {
        let naive = naive(t.secs)?;
        if t.later
            && let LocalResult::Ambiguous(_, late) = self.tz.from_local_datetime(&naive)
        {
            return Some(late.timestamp());
        }
        Some(local_to_utc(self.tz, naive))
    }
}

fn naive(local_secs: i64) -> Option<NaiveDateTime> {
    chrono::DateTime::from_timestamp(local_secs, 0).map(|t| t.naive_utc())
}

/// One open checkout.
#[derive(Clone, Debug)]
struct Open {
    start: Local,
    out_line: u64,
    /// The cdstring's product part, interned in [`Importer::keys`]; part of
    /// the matching key.
    product: u32,
    feature: FeatureId,
    draw: u16,
}

/// Open checkouts are queued per (daemon, feature as written, user, host);
/// the product of the checkout data completes the key inside the queue.
type Key = (u32, u32, UserId, HostId);

/// A session or denial waiting for its date (before the first anchor).
enum Pending {
    Session(Done),
    Denial(DenialAt),
}

/// A closed checkout, times still local.
struct Done {
    start: Local,
    end: Local,
    out_line: u64,
    in_line: Option<u64>,
    user: UserId,
    host: HostId,
    feature: FeatureId,
    draw: u16,
    flags: u16,
}

impl Done {
    fn new(key: Key, open: Open, end: Local, in_line: Option<u64>, flags: u16) -> Self {
        Done {
            start: open.start,
            end,
            out_line: open.out_line,
            in_line,
            user: key.2,
            host: key.3,
            feature: open.feature,
            draw: open.draw,
            flags,
        }
    }
}

struct DenialAt {
    at: Local,
    line: u64,
    denial: Denial,
}

/// The state of one import.
struct Importer {
    clock: Clock,
    /// Daemons, features as written and cdstring products (matching keys only,
    /// so that they do not show up among the usage's features).
    keys: Interner,
    open: HashMap<Key, VecDeque<Open>>,
    pending: Vec<Pending>,
    /// Local time of the last timestamped line.
    last: Option<Local>,
    /// Set at the first `(lmgrd) -----` line of a run of lmgrd lines: the
    /// last timestamped line before it, i.e. before a new server's header.
    run_mark: Option<Option<Local>>,
    /// Line of the first event kept waiting for a date.
    first_pending_line: Option<u64>,
}

impl Importer {
    fn new(tz: Tz) -> Self {
        Importer {
            clock: Clock::new(tz),
            keys: Interner::default(),
            open: HashMap::new(),
            pending: Vec::new(),
            last: None,
            run_mark: None,
            first_pending_line: None,
        }
    }

    fn line(&mut self, line_no: u64, text: &str, usage: &mut Usage, report: &mut Report) {
        let text = clean(text);
        if text.is_empty() {
            skip_quietly(report, reasons::BLANK);
            return;
        }
        let Some(env) = envelope(text) else {
            report.skip(
                line_no,
                reasons::NO_ENVELOPE,
                format!(
                    "no `H:MM:SS (daemon)` envelope: \"{}\"; line skipped",
                    preview(text)
                ),
            );
            return;
        };
        if env.daemon == "lmgrd" {
            if is_divider(env.msg) && self.run_mark.is_none() {
                self.run_mark = Some(self.last);
            }
        } else {
            self.run_mark = None;
        }
        let before = self.last;
        let now = self.clock.tick(env.tod);
        self.last = Some(now);
        let msg = env.msg;

        if let Some(rest) = msg.strip_prefix("OUT: ") {
            self.checkout(line_no, env.daemon, rest, now, usage, report);
        } else if let Some(rest) = msg.strip_prefix("IN: ") {
            self.checkin(line_no, env.daemon, rest, now, usage, report);
        } else if let Some(rest) = msg.strip_prefix("REMOVING ") {
            self.removing(line_no, env.daemon, rest, now, usage, report);
        } else if let Some(rest) = msg.strip_prefix("DENIED: ") {
            self.denied(line_no, rest, now, usage, report);
        } else if msg.starts_with("UNSUPPORTED: ") {
            skip_quietly(report, reasons::UNSUPPORTED);
        } else if msg.starts_with("QUEUED: ") || msg.starts_with("DEQUEUED: ") {
            skip_quietly(report, reasons::QUEUED);
        } else if let Some(rest) = msg.strip_prefix("TIMESTAMP ") {
            match parse_mdy(rest.trim()) {
                Some(d) => self.anchor(line_no, d, AnchorKind::Running, before, usage, report),
                None => bad_date(report, line_no, msg),
            }
        } else if let Some(rest) = msg.strip_prefix("Server's System Date and Time: ") {
            match parse_long_date(rest) {
                Some(d) => self.anchor(line_no, d, AnchorKind::Starting, before, usage, report),
                None => bad_date(report, line_no, msg),
            }
        } else if let Some(slog) = slog_body(msg) {
            let dated = match slog.strip_prefix("Start-Date: ") {
                Some(rest) => Some((rest, AnchorKind::Starting)),
                None => slog
                    .strip_prefix("Time: ")
                    .map(|rest| (rest, AnchorKind::Running)),
            };
            match dated {
                Some((rest, kind)) => match parse_long_date(rest) {
                    Some(d) => self.anchor(line_no, d, kind, before, usage, report),
                    None => bad_date(report, line_no, msg),
                },
                None => skip_quietly(report, reasons::STATISTICS),
            }
        } else if msg.starts_with("SLOG: ") {
            skip_quietly(report, reasons::STATISTICS);
        } else if let Some(d) = banner_date(msg) {
            match d {
                Some(d) => self.anchor(line_no, d, AnchorKind::Banner, before, usage, report),
                None => bad_date(report, line_no, msg),
            }
        } else {
            skip_quietly(report, reasons::UNKNOWN);
        }
    }

    /// A date anchor on the current line. A server start banner first
    /// closes everything still open, at the last line before the new
    /// server's header (`before` = the last line before this one).
    fn anchor(
        &mut self,
        line_no: u64,
        date: NaiveDate,
        kind: AnchorKind,
        mut before: Option<Local>,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        report.lines_used += 1;
        match self.clock.anchor(i64::from(day_of_date(date))) {
            Anchored::First(shift) => {
                self.settle(shift, usage, report);
                if let Some(b) = before.as_mut() {
                    b.secs += shift;
                }
            }
            // After a restart the date jumps by the downtime: expected.
            Anchored::Resync if kind == AnchorKind::Running => {
                report.count(counts::DATE_RESYNCS, 1);
                report.problem(
                    line_no,
                    format!("the log says {date} here, not the date counted from the lines before; taking {date}"),
                );
            }
            Anchored::Resync | Anchored::Same => {}
        }
        // This line itself is on the anchor's date.
        if let Some(l) = self.last.as_mut() {
            l.secs = self.clock.day * DAY + l.secs.rem_euclid(DAY);
        }
        if kind == AnchorKind::Banner {
            report.count(counts::SERVER_STARTS, 1);
            let close_at = match self.run_mark.take() {
                Some(mark) => mark,
                None => before,
            };
            self.close_all(close_at, usage, report);
        }
    }

    /// The first anchor: moves everything provisional onto the calendar and
    /// emits what was waiting.
    fn settle(&mut self, shift: i64, usage: &mut Usage, report: &mut Report) {
        for q in self.open.values_mut() {
            for o in q.iter_mut() {
                o.start.secs += shift;
            }
        }
        if let Some(l) = self.last.as_mut() {
            l.secs += shift;
        }
        if let Some(Some(l)) = self.run_mark.as_mut() {
            l.secs += shift;
        }
        self.first_pending_line = None;
        for p in std::mem::take(&mut self.pending) {
            match p {
                Pending::Session(mut d) => {
                    d.start.secs += shift;
                    d.end.secs += shift;
                    self.emit_session(d, usage, report);
                }
                Pending::Denial(mut d) => {
                    d.at.secs += shift;
                    self.emit_denial(d, usage, report);
                }
            }
        }
    }

    fn checkout(
        &mut self,
        line_no: u64,
        daemon: &str,
        rest: &str,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let Some(ev) = parse_event(rest) else {
            return bad_event(report, line_no, "OUT", rest);
        };
        let token = is_token_pool(ev.feature) && ev.product.is_some_and(|p| !p.is_empty());
        let draw = match ev.count {
            None => u16::from(token),
            Some(n) => match u16::try_from(n) {
                Ok(n) if n > 0 => n,
                _ => {
                    return report.skip(
                        line_no,
                        reasons::BAD_COUNT,
                        format!("OUT: \"{}\" {}@{}: ({n} licenses) is not a count a session can hold (1 to 65535); line skipped", ev.feature, ev.user, ev.host),
                    );
                }
            },
        };
        let product = ev.product.unwrap_or("");
        let session_feature = if token { product } else { ev.feature };
        let key = (
            self.keys.intern(daemon),
            self.keys.intern(ev.feature),
            usage.users.intern(ev.user),
            usage.hosts.intern(ev.host),
        );
        let open = Open {
            start: now,
            out_line: line_no,
            product: self.keys.intern(product),
            feature: usage.features.intern(session_feature),
            draw,
        };
        if !self.clock.anchored && self.first_pending_line.is_none() {
            self.first_pending_line = Some(line_no);
        }
        self.open.entry(key).or_default().push_back(open);
    }

    fn checkin(
        &mut self,
        line_no: u64,
        daemon: &str,
        rest: &str,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let Some(ev) = parse_event(rest) else {
            return bad_event(report, line_no, "IN", rest);
        };
        let product = ev.product.unwrap_or("");
        let found = self.take_open(daemon, ev.feature, ev.user, ev.host, Some(product), usage);
        let Some((key, open)) = found else {
            let suffix = match ev.flag {
                Some(f) if f == flags::INACTIVE => " (INACTIVE)",
                Some(f) if f == flags::SHUTDOWN => " (SHUTDOWN)",
                _ => "",
            };
            return report.skip(
                line_no,
                reasons::IN_WITHOUT_OUT,
                format!(
                    "IN: \"{}\" {}@{}{suffix} with no open checkout; not counted as a session",
                    ev.feature, ev.user, ev.host
                ),
            );
        };
        let done = Done::new(key, open, now, Some(line_no), ev.flag.unwrap_or(0));
        self.deliver(done, usage, report);
    }

    /// `REMOVING user@host from FEATURE` (lmremove): closes the oldest open
    /// checkout of that feature, whatever its checkout data.
    fn removing(
        &mut self,
        line_no: u64,
        daemon: &str,
        rest: &str,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let parsed = rest.rsplit_once(" from ").and_then(|(who, feature)| {
            let (user, host) = split_user_host(who.trim())?;
            let feature = feature.trim().trim_matches('"');
            (!feature.is_empty()).then_some((feature, user, host))
        });
        let Some((feature, user, host)) = parsed else {
            return bad_event(report, line_no, "REMOVING", rest);
        };
        let Some((key, open)) = self.take_open(daemon, feature, user, host, None, usage) else {
            return report.skip(
                line_no,
                reasons::IN_WITHOUT_OUT,
                format!("REMOVING {user}@{host} from {feature} with no open checkout; not counted as a session"),
            );
        };
        report.count(counts::REMOVALS, 1);
        self.deliver(Done::new(key, open, now, Some(line_no), 0), usage, report);
    }

    /// Removes the oldest open checkout matching the line (any product when
    /// `product` is `None`).
    fn take_open(
        &mut self,
        daemon: &str,
        feature: &str,
        user: &str,
        host: &str,
        product: Option<&str>,
        usage: &Usage,
    ) -> Option<(Key, Open)> {
        let key = (
            self.keys.get(daemon)?,
            self.keys.get(feature)?,
            usage.users.get(user)?,
            usage.hosts.get(host)?,
        );
        let product = match product {
            Some(p) => Some(self.keys.get(p)?),
            None => None,
        };
        let q = self.open.get_mut(&key)?;
        let i = match product {
            Some(p) => q.iter().position(|o| o.product == p)?,
            None => 0,
        };
        let open = q.remove(i)?;
        if q.is_empty() {
            self.open.remove(&key);
        }
        Some((key, open))
    }

    /// Hands a closed checkout on: out now, or when the date is known.
    fn deliver(&mut self, done: Done, usage: &mut Usage, report: &mut Report) {
        if self.clock.anchored {
            self.emit_session(done, usage, report);
        } else {
            self.pending.push(Pending::Session(done));
        }
    }

    /// Closes every open checkout at `at` (flagged truncated), oldest first.
    fn close_all(&mut self, at: Option<Local>, usage: &mut Usage, report: &mut Report) {
        let mut all: Vec<(Key, Open)> = self
            .open
            .drain()
            .flat_map(|(k, q)| q.into_iter().map(move |o| (k, o)))
            .collect();
        all.sort_by_key(|(_, o)| o.out_line);
        for (key, open) in all {
            let end = at.unwrap_or(open.start);
            let done = Done::new(key, open, end, None, flags::TRUNCATED);
            self.deliver(done, usage, report);
        }
    }

    fn denied(
        &mut self,
        line_no: u64,
        rest: &str,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let Some(ev) = parse_event(rest) else {
            return bad_event(report, line_no, "DENIED", rest);
        };
        let count = match ev.count {
            None => 1,
            Some(n) => match u32::try_from(n) {
                Ok(n) if n > 0 => n,
                _ => {
                    return report.skip(
                        line_no,
                        reasons::BAD_COUNT,
                        format!(
                            "DENIED: \"{}\" {}@{}: ({n} licenses) is not a count; line skipped",
                            ev.feature, ev.user, ev.host
                        ),
                    );
                }
            },
        };
        let token = is_token_pool(ev.feature) && ev.product.is_some_and(|p| !p.is_empty());
        let feature = if token {
            ev.product.unwrap_or(ev.feature)
        } else {
            ev.feature
        };
        let denial = DenialAt {
            at: now,
            line: line_no,
            denial: Denial {
                at: 0,
                feature: usage.features.intern(feature),
                user: usage.users.intern(ev.user),
                host: usage.hosts.intern(ev.host),
                count,
                reason: ev.reason.unwrap_or("").to_string(),
            },
        };
        if self.clock.anchored {
            self.emit_denial(denial, usage, report);
        } else {
            if self.first_pending_line.is_none() {
                self.first_pending_line = Some(line_no);
            }
            self.pending.push(Pending::Denial(denial));
        }
    }

    fn emit_session(&mut self, d: Done, usage: &mut Usage, report: &mut Report) {
        let lines = 1 + u64::from(d.in_line.is_some());
        let start = self.clock.utc(d.start).and_then(|s| u32::try_from(s).ok());
        let end = self.clock.utc(d.end).and_then(|s| u32::try_from(s).ok());
        let (Some(start), Some(end)) = (start, end) else {
            *report
                .skipped
                .entry(reasons::OUT_OF_RANGE.to_string())
                .or_default() += lines;
            report.problem(
                d.out_line,
                "checkout outside the years 1970 to 2106 that sessions can hold; skipped with its checkin",
            );
            return;
        };
        let dur = match end.checked_sub(start) {
            Some(dur) => dur,
            None => {
                report.problem(
                    d.in_line.unwrap_or(d.out_line),
                    format!(
                        "checkin is {} s before its checkout (line {}); duration taken as 0",
                        start - end,
                        d.out_line
                    ),
                );
                0
            }
        };
        usage.sessions.push(Session {
            start,
            dur,
            user: d.user,
            feature: d.feature,
            host: d.host,
            draw: d.draw,
            flags: d.flags,
        });
        report.lines_used += lines;
        report.count(counts::SESSIONS, 1);
        if d.flags & flags::TRUNCATED != 0 {
            report.count(counts::TRUNCATED, 1);
        }
        if d.flags & flags::INACTIVE != 0 {
            report.count(counts::IDLE_RECLAIMS, 1);
        }
        if d.flags & flags::SHUTDOWN != 0 {
            report.count(counts::SHUTDOWN_CHECKINS, 1);
        }
    }

    fn emit_denial(&mut self, mut d: DenialAt, usage: &mut Usage, report: &mut Report) {
        let Some(at) = self.clock.utc(d.at) else {
            return report.skip(
                d.line,
                reasons::OUT_OF_RANGE,
                "denial at an instant out of range; skipped",
            );
        };
        d.denial.at = at;
        usage.denials.push(d.denial);
        report.lines_used += 1;
        report.count(counts::DENIALS, 1);
    }

    /// End of the log: close what is open at the last timestamped line, or
    /// give up on everything when no line ever said the date.
    fn finish(&mut self, usage: &mut Usage, report: &mut Report) {
        if self.clock.anchored {
            self.close_all(self.last, usage, report);
            return;
        }
        let mut lines: u64 = self.open.values().map(|q| q.len() as u64).sum();
        for p in &self.pending {
            lines += match p {
                Pending::Session(d) => 1 + u64::from(d.in_line.is_some()),
                Pending::Denial(_) => 1,
            };
        }
        self.open.clear();
        self.pending.clear();
        if lines > 0 {
            *report
                .skipped
                .entry(reasons::NO_DATE.to_string())
                .or_default() += lines;
            report.problem(
                self.first_pending_line.unwrap_or(0),
                format!(
                    "the log never gives its date (no TIMESTAMP, server start banner or \"Server's System Date and Time\" line): {lines} event lines from here on skipped; import a log that includes its start or a TIMESTAMP line"
                ),
            );
        }
    }
}

/// Counts a skipped line that is normal in a debug log (no problem recorded).
fn skip_quietly(report: &mut Report, reason: &str) {
    *report.skipped.entry(reason.to_string()).or_default() += 1;
}

fn bad_event(report: &mut Report, line_no: u64, kind: &str, rest: &str) {
    report.skip(
        line_no,
        reasons::BAD_EVENT,
        format!(
            "{kind}: cannot read the feature and user@host in \"{}\"; line skipped",
            preview(rest)
        ),
    );
}

fn bad_date(report: &mut Report, line_no: u64, msg: &str) {
    report.skip(
        line_no,
        reasons::BAD_DATE,
        format!("cannot read the date in \"{}\"; line skipped", preview(msg)),
    );
}

/// At most 80 characters of `s`, for messages.
fn preview(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The line without byte-order mark, line end and trailing blanks.
fn clean(s: &str) -> &str {
    s.strip_prefix('\u{feff}').unwrap_or(s).trim_end()
}

/// The `H:MM:SS (daemon) message` envelope of a line.
#[derive(Debug, PartialEq, Eq)]
struct Envelope<'a> {
    tod: i64,
    daemon: &'a str,
    msg: &'a str,
}

fn envelope(line: &str) -> Option<Envelope<'_>> {
    let b = line.as_bytes();
    let mut i = 0;
    // Hours are space-padded (" 9:49:41"); allow a stray second blank.
    while i < 2 && b.get(i) == Some(&b' ') {
        i += 1;
    }
    let digit = |j: usize| {
        b.get(j)
            .filter(|c| c.is_ascii_digit())
            .map(|c| i64::from(c - b'0'))
    };
    let mut hour = digit(i)?;
    i += 1;
    if let Some(d) = digit(i) {
        hour = hour * 10 + d;
        i += 1;
    }
    if b.get(i) != Some(&b':') {
        return None;
    }
    let minute = digit(i + 1)? * 10 + digit(i + 2)?;
    if b.get(i + 3) != Some(&b':') {
        return None;
    }
    let second = digit(i + 4)? * 10 + digit(i + 5)?;
    i += 6;
    if hour > 23
        || minute > 59
        || second > 59
        || b.get(i) != Some(&b' ')
        || b.get(i + 1) != Some(&b'(')
    {
        return None;
    }
    let rest = &line[i + 2..];
    let close = rest.find(')')?;
    let daemon = &rest[..close];
    if daemon.is_empty() || daemon.contains(' ') {
        return None;
    }
    let msg = &rest[close + 1..];
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    Some(Envelope {
        tod: hour * 3600 + minute * 60 + second,
        daemon,
        msg,
    })
}

/// `-----------------------------------------------`: the line that opens
/// lmgrd's "Please Note" header at every server start.
fn is_divider(msg: &str) -> bool {
    msg.len() >= 10 && msg.bytes().all(|b| b == b'-')
}

/// The text after `(@daemon-SLOG@) `, for SLOG statistics lines.
fn slog_body(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("(@")?;
    let end = rest.find("-SLOG@)")?;
    let body = &rest[end + "-SLOG@)".len()..];
    Some(body.strip_prefix(' ').unwrap_or(body))
}

/// The date of a start banner `... started on HOST (...) (M/D/YYYY)`:
/// `None` when the line is not a banner, `Some(None)` when it is one with an
/// unreadable date.
fn banner_date(msg: &str) -> Option<Option<NaiveDate>> {
    if !msg.contains(" started on ") || !msg.ends_with(')') {
        return None;
    }
    let open = msg.rfind('(')?;
    let inner = &msg[open + 1..msg.len() - 1];
    // "Server started on HOST for: ..." (vendor daemons, also at every
    // reread) has no date and is no restart.
    if !inner.contains('/') {
        return None;
    }
    Some(parse_mdy(inner))
}

/// `M/D/YYYY` (US order, no padding, whatever the server's locale).
fn parse_mdy(s: &str) -> Option<NaiveDate> {
    let mut it = s.split('/');
    let m = it.next()?.parse().ok()?;
    let d = it.next()?.parse().ok()?;
    let y_str = it.next()?;
    if it.next().is_some() || y_str.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(y_str.parse().ok()?, m, d)
}

/// `Www Mon DD YYYY HH:MM:SS ZONE` (the zone name is free text, often
/// localized, and not used: the import's zone decides).
fn parse_long_date(s: &str) -> Option<NaiveDate> {
    let mut it = s.split_whitespace();
    let _weekday = it.next()?;
    let month = match it.next()?.get(..3)?.to_ascii_lowercase().as_str() {
        "jan" => 1,
        "feb" => 2,
        "mar" => 3,
        "apr" => 4,
        "may" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" => 10,
        "nov" => 11,
        "dec" => 12,
        _ => return None,
    };
    let day = it.next()?.parse().ok()?;
    let year_str = it.next()?;
    if year_str.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(year_str.parse().ok()?, month, day)
}

/// The parts of an `OUT:`/`IN:`/`DENIED:` line after the keyword.
#[derive(Debug, PartialEq, Eq)]
struct Event<'a> {
    feature: &'a str,
    user: &'a str,
    host: &'a str,
    /// The checkout data's product: the `[cdstring]` up to its first `#`.
    product: Option<&'a str>,
    /// `(N licenses)`.
    count: Option<u64>,
    /// `(INACTIVE)` or `(SHUTDOWN)` as [`flags`] bits.
    flag: Option<u16>,
    /// The text of the last other parenthesised group (a denial's reason).
    reason: Option<&'a str>,
}

/// Parses `"FEATURE" user@host  [cdstring] (N licenses) (INACTIVE)`; the
/// feature may be unquoted, the user may hold spaces (split at the last `@`
/// before the suffixes).
fn parse_event(s: &str) -> Option<Event<'_>> {
    let s = s.trim_start();
    let (feature, rest) = if let Some(q) = s.strip_prefix('"') {
        let end = q.find('"')?;
        (&q[..end], &q[end + 1..])
    } else {
        let end = s.find(' ').unwrap_or(s.len());
        (&s[..end], &s[end..])
    };
    if feature.is_empty() {
        return None;
    }
    let rest = rest.trim_start();
    // The suffixes start at the first " [" or " (": user names hold spaces
    // but not brackets.
    let suffix_at = [rest.find(" ["), rest.find(" (")]
        .into_iter()
        .flatten()
        .min();
    let (who, mut suffixes) = match suffix_at {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (user, host) = split_user_host(who.trim_end())?;
    let mut ev = Event {
        feature,
        user,
        host,
        product: None,
        count: None,
        flag: None,
        reason: None,
    };
    loop {
        suffixes = suffixes.trim_start();
        if let Some(r) = suffixes.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            let cd = &r[..end];
            ev.product
                .get_or_insert(cd.split('#').next().unwrap_or("").trim());
            suffixes = r.get(end + 1..).unwrap_or("");
        } else if suffixes.starts_with('(') {
            let end = matching_paren(suffixes);
            let inner = &suffixes[1..end];
            match inner {
                "INACTIVE" => ev.flag = Some(flags::INACTIVE),
                "SHUTDOWN" => ev.flag = Some(flags::SHUTDOWN),
                _ => match license_count(inner) {
                    Some(n) if ev.count.is_none() => ev.count = Some(n),
                    _ => ev.reason = Some(inner.trim()),
                },
            }
            suffixes = suffixes.get(end + 1..).unwrap_or("");
        } else {
            break;
        }
    }
    Some(ev)
}

/// Index of the `)` closing the `(` at the start of `s` (or the end of `s`
/// when it is never closed: servers cut long reasons).
fn matching_paren(s: &str) -> usize {
    let mut depth = 0u32;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// `N licenses` / `N license` → N (saturating: a huge N is still a count,
/// and too large for a session).
fn license_count(inner: &str) -> Option<u64> {
    let (n, word) = inner.split_once(' ')?;
    if word != "licenses" && word != "license"
        || n.is_empty()
        || !n.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some(n.parse().unwrap_or(u64::MAX))
}

/// Splits `user@host` at the last `@` (user names may hold `@`, spaces and
/// any letters; host names hold none of these).
fn split_user_host(who: &str) -> Option<(&str, &str)> {
    let (user, host) = who.rsplit_once('@')?;
    let user = user.trim();
    let host = host.trim();
    (!user.is_empty() && !host.is_empty() && !host.contains(' ')).then_some((user, host))
}

/// IBM token pool features: `TLSTOK` (RLKS 8.x) and `TLSTOK-token`
/// (Telelogic); their checkout data names the consuming product.
fn is_token_pool(feature: &str) -> bool {
    feature.eq_ignore_ascii_case("TLSTOK")
        || feature
            .get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("TLSTOK-"))
}

/// Windows-1252 characters 0x80..=0x9F (the five holes map to themselves,
/// as browsers do); everything else is Latin-1.
const CP1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{008D}', '\u{017D}', '\u{008F}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{009D}', '\u{017E}', '\u{0178}',
];

fn decode_windows_1252(raw: &[u8], out: &mut String) {
    out.clear();
    out.extend(raw.iter().map(|&b| match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }));
}

fn decode_windows_1252_or_utf8(raw: &[u8], out: &mut String) {
    match std::str::from_utf8(raw) {
        Ok(s) => {
            out.clear();
            out.push_str(s);
        }
        Err(_) => decode_windows_1252(raw, out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::SecondsFormat;

    const NY: Tz = chrono_tz::America::New_York;

    fn import_tz(text: &[u8], tz: Tz) -> (Usage, Report) {
        let mut usage = Usage::default();
        let opts = ImportOptions {
            time_zone: tz,
            ..Default::default()
        };
        let report = read_debug_log("t.log", text, &opts, &mut usage);
        assert_eq!(
            report.lines_read,
            report.lines_used + report.lines_skipped(),
            "every line is used or skipped: {report:?}"
        );
        assert!(!report.fatal);
        (usage, report)
    }

    fn import(text: &str) -> (Usage, Report) {
        import_tz(text.as_bytes(), NY)
    }

    fn rfc(secs: i64) -> String {
        crate::time::utc(secs).to_rfc3339_opts(SecondsFormat::Secs, true)
    }

    /// (feature, user, host, start, end, draw, flags) of every session.
    fn sessions(u: &Usage) -> Vec<(String, String, String, String, String, u16, u16)> {
        u.sessions
            .iter()
            .map(|s| {
                (
                    u.features.name(s.feature).to_string(),
                    u.users.name(s.user).to_string(),
                    u.hosts.name(s.host).to_string(),
                    rfc(s.start_secs()),
                    rfc(s.end_secs()),
                    s.draw,
                    s.flags,
                )
            })
            .collect()
    }

    fn skipped(r: &Report) -> Vec<(&str, u64)> {
        r.skipped.iter().map(|(k, v)| (k.as_str(), *v)).collect()
    }

    fn count(r: &Report, what: &str) -> u64 {
        r.counts.get(what).copied().unwrap_or(0)
    }

    #[test]
    fn midnight_rollover_before_the_next_timestamp() {
        let (u, r) = import(concat!(
            "23:50:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            "23:55:00 (vd) OUT: \"F\" alice@pc1  \n",
            " 0:10:00 (vd) IN: \"F\" alice@pc1  \n",
            " 2:00:00 (vd) OUT: \"F\" alice@pc1  \n",
            " 3:00:00 (vd) IN: \"F\" alice@pc1  \n",
        ));
        // EST is UTC-5: 23:55 on 3/1 is 04:55Z on 3/2.
        let s = sessions(&u);
        assert_eq!(s[0].3, "2024-03-02T04:55:00Z");
        assert_eq!(s[0].4, "2024-03-02T05:10:00Z");
        assert_eq!(s[1].3, "2024-03-02T07:00:00Z");
        assert_eq!(s[1].4, "2024-03-02T08:00:00Z");
        assert_eq!(r.lines_used, 5);
        assert_eq!(count(&r, counts::SESSIONS), 2);
    }

    #[test]
    fn more_than_90_minutes_back_is_the_next_day_90_is_not() {
        let (u, _) = import(" 10:00:00 (lmgrd) TIMESTAMP 3/1/2024\n 8:30:00 (vd) OUT: \"F\" a@h\n");
        assert_eq!(sessions(&u)[0].3, "2024-03-01T13:30:00Z");
        let (u, _) = import(" 10:00:00 (lmgrd) TIMESTAMP 3/1/2024\n 8:29:59 (vd) OUT: \"F\" a@h\n");
        assert_eq!(sessions(&u)[0].3, "2024-03-02T13:29:59Z");
    }

    #[test]
    fn dst_fall_back_repeat_is_not_a_new_day_and_maps_to_the_second_instant() {
        // New York 2024-11-03: 01:00-01:59 happens in EDT (UTC-4), then again in EST (UTC-5).
        let (u, r) = import(concat!(
            " 0:30:00 (lmgrd) TIMESTAMP 11/3/2024\n",
            " 1:40:00 (vd) OUT: \"F\" bob@pc  \n",
            " 1:05:00 (vd) IN: \"F\" bob@pc  \n",
            " 1:50:00 (vd) OUT: \"G\" bob@pc  \n",
            " 2:10:00 (vd) IN: \"G\" bob@pc  \n",
        ));
        let s = sessions(&u);
        assert_eq!(
            (s[0].3.as_str(), s[0].4.as_str()),
            ("2024-11-03T05:40:00Z", "2024-11-03T06:05:00Z")
        );
        assert_eq!(
            (s[1].3.as_str(), s[1].4.as_str()),
            ("2024-11-03T06:50:00Z", "2024-11-03T07:10:00Z")
        );
        assert!(r.problems.is_empty(), "{:?}", r.problems);
    }

    #[test]
    fn spring_forward_is_handled_by_the_zone() {
        // New York 2024-03-10: 02:00 EST jumps to 03:00 EDT.
        let (u, _) = import(concat!(
            " 1:30:00 (lmgrd) TIMESTAMP 3/10/2024\n",
            " 1:45:00 (vd) OUT: \"F\" a@h\n",
            " 3:15:00 (vd) IN: \"F\" a@h\n",
        ));
        let s = sessions(&u);
        assert_eq!(
            (s[0].3.as_str(), s[0].4.as_str()),
            ("2024-03-10T06:45:00Z", "2024-03-10T07:15:00Z")
        );
    }

    #[test]
    fn lines_before_the_first_anchor_are_back_filled() {
        let (u, r) = import(concat!(
            "23:40:00 (vd) OUT: \"F\" carol@pc  \n",
            "23:50:00 (vd) DENIED: \"F\" dave@pc  (Licensed number of users already reached. (-4,342))\n",
            " 0:20:00 (vd) IN: \"F\" carol@pc  \n",
            " 4:03:40 (vd) OUT: \"F\" erin@pc  \n",
            " 4:03:36 (lmgrd) TIMESTAMP 3/10/2024\n",
            " 5:00:00 (vd) IN: \"F\" erin@pc  \n",
        ));
        let s = sessions(&u);
        // Carol's checkout is later in the day than the anchor: the day before.
        assert_eq!(s[0].1, "carol");
        assert_eq!(
            (s[0].3.as_str(), s[0].4.as_str()),
            ("2024-03-10T04:40:00Z", "2024-03-10T05:20:00Z")
        );
        // Erin's is 4 s "after" the anchor written by another daemon: same
        // day, which is the spring-forward day (EDT, UTC-4, from 03:00).
        assert_eq!(s[1].1, "erin");
        assert_eq!(
            (s[1].3.as_str(), s[1].4.as_str()),
            ("2024-03-10T08:03:40Z", "2024-03-10T09:00:00Z")
        );
        assert_eq!(u.denials.len(), 1);
        assert_eq!(rfc(u.denials[0].at), "2024-03-10T04:50:00Z");
        assert_eq!(r.lines_used, 6);
        assert!(r.skipped.is_empty());
    }

    #[test]
    fn a_log_without_any_date_yields_nothing_and_says_why() {
        let (u, r) = import(concat!(
            " 9:00:00 (vd) OUT: \"F\" a@h\n",
            " 9:10:00 (vd) IN: \"F\" a@h\n",
            " 9:20:00 (vd) OUT: \"F\" a@h\n",
            " 9:30:00 (vd) IN: \"G\" a@h\n",
        ));
        assert!(u.sessions.is_empty());
        assert_eq!(skipped(&r), vec![("IN without OUT", 1), ("no date", 3)]);
        assert_eq!(r.problems.len(), 2);
        assert_eq!(r.problems[1].line, 1);
        assert!(
            r.problems[1].message.contains("never gives its date"),
            "{}",
            r.problems[1]
        );
    }

    #[test]
    fn duplicate_outs_are_matched_first_in_first_out() {
        let (u, _) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 6/8/2017\n",
            " 9:01:00 (ansyslmd) OUT: \"hfsshpc\" u1@n1  (8 licenses) \n",
            " 9:02:00 (ansyslmd) OUT: \"hfsshpc\" u1@n1  (6 licenses) \n",
            " 9:03:00 (ansyslmd) OUT: \"hfsshpc\" u1@n2  (4 licenses) \n",
            " 9:10:00 (ansyslmd) IN: \"hfsshpc\" u1@n1  (6 licenses) \n",
            " 9:20:00 (ansyslmd) IN: \"hfsshpc\" U1@n1  (8 licenses) \n",
            " 9:30:00 (ansyslmd) IN: \"hfsshpc\" u1@n2  (4 licenses) \n",
        ));
        let s = sessions(&u);
        // EDT: UTC-4. The first IN closes the oldest OUT, whatever its count.
        assert_eq!(
            (s[0].3.as_str(), s[0].4.as_str(), s[0].5),
            ("2017-06-08T13:01:00Z", "2017-06-08T13:10:00Z", 8)
        );
        assert_eq!(
            (s[1].3.as_str(), s[1].4.as_str(), s[1].5),
            ("2017-06-08T13:02:00Z", "2017-06-08T13:20:00Z", 6)
        );
        assert_eq!((s[2].2.as_str(), s[2].5), ("n2", 4));
        assert_eq!(u.users.len(), 1, "user names are case-insensitive");
    }

    #[test]
    fn inactive_and_shutdown_checkins_flag_their_sessions() {
        let (u, r) = import(concat!(
            " 1:00:00 (lmgrd) TIMESTAMP 3/30/2016\n",
            " 6:51:39 (adskflex) OUT: \"64300ACD_F\" U7@C4  \n",
            " 7:51:39 (adskflex) IN: \"64300ACD_F\" U7@C4  (INACTIVE)\n",
            " 8:00:00 (MLM) OUT: \"MATLAB\" u2@c9  \n",
            " 8:14:44 (MLM) IN: \"MATLAB\" u2@c9  (SHUTDOWN)\n",
            " 8:20:00 (MSC) OUT: \"MSCONE\" u3@m1 [MSCONE:ODYSSEE_CAE] (60 licenses)\n",
            " 8:30:00 (MSC) IN: \"MSCONE\" u3@m1 [MSCONE:ODYSSEE_CAE] (60 licenses) (SHUTDOWN)\n",
        ));
        let s = sessions(&u);
        assert_eq!(s[0].6, flags::INACTIVE);
        assert_eq!(s[1].6, flags::SHUTDOWN);
        assert_eq!(
            (s[2].0.as_str(), s[2].5, s[2].6),
            ("MSCONE", 60, flags::SHUTDOWN)
        );
        assert_eq!(count(&r, counts::IDLE_RECLAIMS), 1);
        assert_eq!(count(&r, counts::SHUTDOWN_CHECKINS), 2);
        assert_eq!(count(&r, counts::TRUNCATED), 0);
    }

    #[test]
    fn open_checkouts_are_closed_at_the_last_timestamped_line_of_the_log() {
        let (u, r) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            " 9:10:00 (vd) OUT: \"F\" a@h\n",
            " 9:20:00 (vd) OUT: \"G\" b@h\n",
            " 9:25:00 (vd) IN: \"G\" b@h\n",
            "13:03:36 (lmgrd) TIMESTAMP 3/1/2024\n",
            "13:04:00 (vd) (@vd-SLOG@) === Last 10 Client Requests ===\n",
            "garbage without a time\n",
        ));
        let s = sessions(&u);
        assert_eq!(s[1].0, "F");
        assert_eq!(
            (s[1].3.as_str(), s[1].4.as_str()),
            ("2024-03-01T14:10:00Z", "2024-03-01T18:04:00Z")
        );
        assert_eq!(s[1].6, flags::TRUNCATED);
        assert_eq!(count(&r, counts::TRUNCATED), 1);
        assert_eq!(count(&r, counts::SESSIONS), 2);
    }

    #[test]
    fn a_restart_closes_open_checkouts_at_the_last_line_before_the_new_header() {
        let (u, r) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            " 9:10:00 (vd) OUT: \"F\" a@h\n",
            " 9:30:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            " 8:00:00 (lmgrd) -----------------------------------------------\n",
            " 8:00:00 (lmgrd)   Please Note:\n",
            " 8:00:00 (lmgrd) -----------------------------------------------\n",
            " 8:00:00 (lmgrd) Server's System Date and Time: Mon Mar 04 2024 08:00:00 EST\n",
            " 8:00:01 (lmgrd) FlexNet Licensing (v11.13.1.2 build 1) started on srv (linux) (3/4/2024)\n",
            " 8:05:00 (vd) OUT: \"F\" a@h\n",
            " 8:15:00 (vd) IN: \"F\" a@h\n",
        ));
        let s = sessions(&u);
        assert_eq!(
            (s[0].3.as_str(), s[0].4.as_str(), s[0].6),
            (
                "2024-03-01T14:10:00Z",
                "2024-03-01T14:30:00Z",
                flags::TRUNCATED
            )
        );
        assert_eq!(
            (s[1].3.as_str(), s[1].4.as_str(), s[1].6),
            ("2024-03-04T13:05:00Z", "2024-03-04T13:15:00Z", 0)
        );
        assert_eq!(count(&r, counts::SERVER_STARTS), 1);
        assert_eq!(count(&r, counts::TRUNCATED), 1);
        assert_eq!(count(&r, counts::DATE_RESYNCS), 0);
        assert!(r.problems.is_empty(), "{:?}", r.problems);

        // Without a header, the line just before the banner is the last one.
        let (u, _) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            " 9:10:00 (vd) OUT: \"F\" a@h\n",
            " 9:40:00 (vd) Shutdown requested.\n",
            " 9:50:00 (lmgrd) FLEXlm (v7.0f) started on srv (linux) (3/1/2024)\n",
        ));
        assert_eq!(sessions(&u)[0].4, "2024-03-01T14:40:00Z");
        // A vendor daemon's "Server started on ... for:" (also written at every
        // reread) is no restart.
        let (u, _) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            " 9:10:00 (vd) OUT: \"F\" a@h\n",
            " 9:40:00 (vd) Server started on srv for:\tF\n",
            " 9:50:00 (vd) IN: \"F\" a@h\n",
        ));
        assert_eq!(sessions(&u)[0].6, 0);
    }

    #[test]
    fn a_running_anchor_that_disagrees_resyncs_and_says_so() {
        // Over a day with no line at all: the rule cannot see it, the next
        // TIMESTAMP (or SLOG Time:) puts the clock right.
        let (u, r) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            " 9:10:00 (vd) OUT: \"F\" a@h\n",
            "10:00:00 (vd) (@vd-SLOG@) Time: Sun Mar 03 2024 10:00:00 EST\n",
            "10:05:00 (vd) IN: \"F\" a@h\n",
        ));
        let s = sessions(&u);
        assert_eq!(
            (s[0].3.as_str(), s[0].4.as_str()),
            ("2024-03-01T14:10:00Z", "2024-03-03T15:05:00Z")
        );
        assert_eq!(count(&r, counts::DATE_RESYNCS), 1);
        assert_eq!(r.problems[0].line, 3);
        assert_eq!(r.lines_used, 4);
    }

    #[test]
    fn an_in_without_out_is_reported_not_invented() {
        let (u, r) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            " 9:10:00 (MLM) IN: \"MATLAB\" x@h  (SHUTDOWN)\n",
            " 9:11:00 (vd) REMOVING y@h from F\n",
        ));
        assert!(u.sessions.is_empty());
        assert_eq!(skipped(&r), vec![("IN without OUT", 2)]);
        assert_eq!(
            r.problems[0].to_string(),
            "t.log:2: IN: \"MATLAB\" x@h (SHUTDOWN) with no open checkout; not counted as a session"
        );
        assert_eq!(r.problems[1].line, 3);
    }

    #[test]
    fn removing_closes_the_oldest_checkout() {
        let (u, r) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            "11:30:32 (cdslmd) OUT: \"Virtuoso\" user1@server1.xyz.local [APS Base] (2 licenses)\n",
            "11:30:45 (cdslmd) REMOVING user1@server1.xyz.local from Virtuoso\n",
        ));
        let s = sessions(&u);
        assert_eq!(
            (s[0].0.as_str(), s[0].4.as_str(), s[0].5),
            ("Virtuoso", "2024-03-01T16:30:45Z", 2)
        );
        assert_eq!(count(&r, counts::REMOVALS), 1);
    }

    #[test]
    fn unquoted_features_and_telelogic_token_pool() {
        let (u, r) = import(concat!(
            " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
            "14:46:39 (telelogic) DENIED: DOORS indkach@indkach  [telelogic] (Licensed number of users already reached. (-4,342:10054 ))\n",
            "14:46:39 (telelogic) OUT: TLSTOK-token indkach@indkach  [DOORS] (3 licenses)\n",
            "14:46:39 (telelogic) OUT: DOORS indkach@indkach  [telelogic]\n",
            "14:46:39 (telelogic) IN: DOORS indkach@indkach  [telelogic]\n",
            "15:00:00 (telelogic) IN: TLSTOK-token indkach@indkach  [DOORS] (3 licenses)\n",
        ));
        let s = sessions(&u);
        // The product feature itself: no count, so the product's rate (0).
        assert_eq!(
            (s[0].0.as_str(), s[0].5, s[0].3 == s[0].4),
            ("DOORS", 0, true)
        );
        // The token pool checkout: the product from the brackets, 3 tokens.
        assert_eq!(
            (s[1].0.as_str(), s[1].3.as_str(), s[1].4.as_str(), s[1].5),
            ("DOORS", "2024-03-01T19:46:39Z", "2024-03-01T20:00:00Z", 3)
        );
        assert_eq!(
            u.denials[0].reason,
            "Licensed number of users already reached. (-4,342:10054 )"
        );
        assert_eq!(u.features.len(), 1, "TLSTOK-token is a matching key only");
        assert!(r.problems.is_empty());
    }

    #[test]
    fn rlks_tlstok_takes_the_product_and_draw_from_the_line() {
        let cd = "[ClearQuest#u#mike#u##s#abcgea91nk9#s##h#rock.example.com#h##p#Rational ClearQuest#p#]";
        let text = format!(
            concat!(
                " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
                "17:27:32 (ibmratl) OUT: \"ClearQuest\" mike@rock.example.com [#u#mike#u##s#abc#s##h#rock#h##p#Rational ClearQuest#p#]\n",
                "17:41:48 (ibmratl) OUT: \"TLSTOK\" mike@rock.example.com {cd} (2 licenses)\n",
                "17:41:50 (ibmratl) OUT: \"TLSTOK\" ann@rock.example.com [DOORS#u#ann#u#] (70000 licenses)\n",
                "17:41:55 (ibmratl) OUT: \"TLSTOK\" ann@rock.example.com [DOORS#u#ann#u#]\n",
                "17:42:07 (ibmratl) IN: \"TLSTOK\" mike@rock.example.com {cd} (2 licenses)\n",
                "17:43:00 (ibmratl) IN: \"TLSTOK\" ann@rock.example.com [DOORS#u#ann#u#]\n",
                "17:44:00 (ibmratl) IN: \"ClearQuest\" mike@rock.example.com [#u#mike#u##s#abc#s##h#rock#h##p#Rational ClearQuest#p#]\n",
            ),
            cd = cd
        );
        let (u, r) = import(&text);
        let s = sessions(&u);
        assert_eq!(
            (s[0].0.as_str(), s[0].3.as_str(), s[0].4.as_str(), s[0].5),
            (
                "ClearQuest",
                "2024-03-01T22:41:48Z",
                "2024-03-01T22:42:07Z",
                2
            )
        );
        // No count on a token pool line: one token.
        assert_eq!((s[1].0.as_str(), s[1].5), ("DOORS", 1));
        // The product's own checkout: draw from the product's rate.
        assert_eq!((s[2].0.as_str(), s[2].5), ("ClearQuest", 0));
        assert_eq!(skipped(&r), vec![("bad count", 1)]);
        assert_eq!(r.problems[0].line, 4);
    }

    #[test]
    fn user_names_with_spaces_at_signs_and_accents() {
        let (u, r) = import(concat!(
            "10:00:00 (lmgrd) TIMESTAMP 7/1/2022\n",
            "10:01:00 (maplelmg) OUT: \"Maple\" José Núñez 7@host26  \n",
            "10:02:00 (vd) OUT: \"F\" john@corp@pc9  \n",
            "10:05:00 (maplelmg) IN: \"Maple\" JOSÉ NÚÑEZ 7@host26  \n",
        ));
        let s = sessions(&u);
        assert_eq!(
            (s[0].1.as_str(), s[0].2.as_str(), s[0].4.as_str()),
            ("José Núñez 7", "host26", "2022-07-01T14:05:00Z")
        );
        assert_eq!(
            (s[1].1.as_str(), s[1].2.as_str(), s[1].6),
            ("john@corp", "pc9", flags::TRUNCATED)
        );
        assert!(r.problems.is_empty());
    }

    #[test]
    fn crlf_bom_and_windows_1252() {
        let mut text = b"\xef\xbb\xbf 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\r\n".to_vec();
        text.extend_from_slice(b" 9:10:00 (vd) OUT: \"F\" Jos\xe9 \x80@pc  \r\n");
        text.extend_from_slice(b" 9:20:00 (vd) IN: \"F\" Jos\xe9 \x80@pc  \r\n");
        text.extend_from_slice(b"\r\n");
        let (u, r) = import_tz(&text, NY);
        let s = sessions(&u);
        assert_eq!(
            (s[0].1.as_str(), s[0].2.as_str(), s[0].3.as_str()),
            ("José €", "pc", "2024-03-01T14:10:00Z")
        );
        assert_eq!(count(&r, counts::WINDOWS_1252), 2);
        assert_eq!(skipped(&r), vec![("blank line", 1)]);
        assert_eq!(r.lines_used, 3);
    }

    #[test]
    fn denials_are_kept_with_count_and_reason() {
        let (u, r) = import_tz(
            concat!(
                " 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n",
                "15:28:58 (adskflex) DENIED: \"64300ACD_F\" user014@host014  (Licensed number of users already reached. (-4,342))\n",
                "18:48:22 (ABAQUSLM) DENIED: \"abaqus\" user012@node353.example.org  (25 licenses) (Users are queued for this feature. (-24,332))\n",
            )
            .as_bytes(),
            chrono_tz::UTC,
        );
        let d = &u.denials;
        assert_eq!(d.len(), 2);
        assert_eq!(
            (
                u.features.name(d[0].feature),
                u.users.name(d[0].user),
                u.hosts.name(d[0].host),
                rfc(d[0].at),
                d[0].count
            ),
            (
                "64300ACD_F",
                "user014",
                "host014",
                "2024-03-01T15:28:58Z".to_string(),
                1
            )
        );
        assert_eq!(
            d[0].reason,
            "Licensed number of users already reached. (-4,342)"
        );
        assert_eq!(
            (d[1].count, d[1].reason.as_str()),
            (25, "Users are queued for this feature. (-24,332)")
        );
        assert_eq!(count(&r, counts::DENIALS), 2);
        assert!(u.sessions.is_empty());
    }

    #[test]
    fn garbage_statistics_and_unknown_messages_are_counted_never_fatal() {
        let (u, r) = import(concat!(
            " 9:49:41 (lmgrd) FlexNet Licensing (v11.13.1.2 build 173085 x64_lsb) started on srv (linux) (6/8/2017)\n",
            " 9:49:42 (vd) Serving features for the following vendor names:\n",
            " ansyslmd  ansoftd  \n",
            "\n",
            "Shut down FlexNet MLM license server system on machine flexlm01\n",
            " 9:49:42 (vd) SLOG: Statistics Log Frequency is 240 minute(s).\n",
            " 9:49:42 (vd) (@vd-SLOG@) 00000000 ms at  2:04:26(3/11/2017),#7,(user001,host001,20)\n",
            "10:25:38 (MLM) UNSUPPORTED: \"MATLAB\" (BF04C1B183DD400E147F) user002@host004  (No such feature exists. (-5,346))\n",
            "10:25:39 (vd) QUEUED: \"F\" a@h\n",
            "10:25:40 (vd) OUT: \"F\"\n",
            "10:25:41 (vd) TIMESTAMP 13/45/2017\n",
            "25:00:00 (vd) OUT: \"F\" a@h\n",
        ));
        assert!(u.sessions.is_empty());
        assert_eq!(
            skipped(&r),
            vec![
                ("bad date", 1),
                ("bad event", 1),
                ("blank line", 1),
                ("no envelope", 3),
                ("queued", 1),
                ("statistics", 2),
                ("unknown message", 1),
                ("unsupported", 1),
            ]
        );
        assert_eq!(r.lines_used, 1);
        let lines: Vec<u64> = r.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![3, 5, 10, 11, 12]);
    }

    #[test]
    fn instants_outside_the_session_range_are_skipped() {
        let (u, r) = import(
            " 9:00:00 (lmgrd) TIMESTAMP 1/1/1969\n 9:10:00 (vd) OUT: \"F\" a@h\n 9:20:00 (vd) IN: \"F\" a@h\n",
        );
        assert!(u.sessions.is_empty());
        assert_eq!(skipped(&r), vec![("time out of range", 2)]);
        assert_eq!(r.problems[0].line, 2);
    }

    #[test]
    fn kind_detection() {
        assert!(looks_like_debug_log(b"\xef\xbb\xbf10:25:28 (lmgrd) -----\r\n 9:49:41 (lmgrd) \n ansyslmd  ansoftd\n 9:49:42 (ansyslmd) OUT: \"hfss"));
        assert!(!looks_like_debug_log(
            b"user,product,start,end\nann,ACD,2024-03-01T09:00:00Z,2024-03-01T10:00:00Z\n"
        ));
        assert!(!looks_like_debug_log(b""));
        assert!(!looks_like_debug_log(b"usageDate,userName\n"));
    }

    #[test]
    fn envelope_grammar() {
        let e = envelope("08:42:25 (adskflex_pluggin) INFO: Loading lib").unwrap();
        assert_eq!(
            (e.tod, e.daemon, e.msg),
            (
                8 * 3600 + 42 * 60 + 25,
                "adskflex_pluggin",
                "INFO: Loading lib"
            )
        );
        let e = envelope(" 9:49:41 (lmgrd) ").unwrap();
        assert_eq!((e.tod, e.msg), (9 * 3600 + 49 * 60 + 41, ""));
        assert_eq!(
            envelope("7:47:04 (lmgrd) x").map(|e| e.tod),
            Some(7 * 3600 + 47 * 60 + 4)
        );
        assert!(envelope(" (@MSC-INFO@)    16:12:08 (MSC) C:\\x").is_none());
        assert!(envelope("12:60:00 (lmgrd) x").is_none());
        assert!(envelope("12:00:00 lmgrd x").is_none());
    }
}
