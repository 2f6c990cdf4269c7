//! The importer: walks the lines of one log in file order, keeps the clock,
//! pairs every `IN:` with its `OUT:` and hands sessions and denials to the
//! usage.
//!
//! Pairing is first in, first out per (daemon, feature as written, user,
//! host); within that queue an `IN:` takes the oldest checkout with the same
//! product and `(N licenses)`, else the oldest with the same product, else
//! the oldest (SPEC §1.2). Whatever the reason in parentheses, an `IN:`
//! closes its checkout.
//!
//! IBM entitlement records (a zero-length `OUT:`/`IN:` pair of a product's
//! own feature in the same second as a token pool checkout of that product
//! by the same user@host) are held until the second is over, then dropped
//! and counted, or kept as use when no such token checkout came.
//!
//! Before the first date anchor, days are provisional: sessions and denials
//! wait in `pending`, and what the event lines did to the report waits in
//! `held`, until an anchor (or the start date given) puts them on the
//! calendar. A log that never says its date yields one error for the whole
//! file.

use std::collections::{BTreeSet, VecDeque};

use chrono::NaiveDate;

use super::clock::{AnchorKind, Anchored, Clock, DAY, Local};
use super::lines::{FxMap, Kind, NONE, Rec, Table};
use super::subjects::{Ids, Known, Subjects};
use super::{counts, reasons};
use crate::ingest::{ImportOptions, Problem, Report};
use crate::time::{date_of_day, day_of_date};
use crate::usage::{Denial, FeatureId, HostId, Interner, Session, Sessions, Usage, UserId, flags};

/// Open checkouts are queued per (daemon, feature as written, user, host).
type Key = (u32, u32, UserId, HostId);

/// One open checkout (32 bytes: half of a subject's cache line).
#[derive(Clone, Copy, Debug)]
pub(super) struct Open {
    /// Local seconds of [`Local::secs`].
    start: i64,
    out_line: u64,
    /// The cdstring's product part, in [`Importer::keys`].
    product: u32,
    /// `(N licenses)`, 1 when absent: matching only (a checkout holds at
    /// most 65535).
    count: u32,
    feature: FeatureId,
    draw: u16,
    /// [`Local::later`] of the start.
    later: bool,
    /// A token pool checkout (`TLSTOK`).
    token: bool,
}

impl Open {
    fn start(&self) -> Local {
        Local {
            secs: self.start,
            later: self.later,
        }
    }
}

const _: () = assert!(std::mem::size_of::<Open>() == 32);
pub(super) const NO_OPEN: Open = Open {
    start: 0,
    out_line: 0,
    product: 0,
    count: 0,
    feature: 0,
    draw: 0,
    later: false,
    token: false,
};

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
    /// Why the `IN:` came (other than idle or shutdown), in
    /// [`Importer::keys`], or [`NONE`].
    reason: u32,
}

impl Done {
    fn new(user: UserId, host: HostId, open: Open, end: Local, in_line: Option<u64>) -> Self {
        Done {
            start: open.start(),
            end,
            out_line: open.out_line,
            in_line,
            user,
            host,
            feature: open.feature,
            draw: open.draw,
            flags: 0,
            reason: NONE,
        }
    }
}

struct DenialAt {
    at: Local,
    line: u64,
    denial: Denial,
}

/// What a block's texts are among [`Importer::keys`] and the usage's
/// features, filled as they are met.
#[derive(Default)]
struct Cache {
    /// Per text: in [`Importer::keys`].
    text_keys: Vec<u32>,
    /// Per text: in the usage's features.
    text_features: Vec<u32>,
}

impl Cache {
    /// Forgets everything: a new block, with names of its own.
    fn reset(&mut self, t: &Table) {
        self.text_keys.clear();
        self.text_features.clear();
        self.grow(t);
    }

    /// Room for every name of `t` (whose table only grows).
    fn grow(&mut self, t: &Table) {
        let x = t.texts_len();
        if self.text_keys.len() < x {
            self.text_keys.resize(x, NONE);
            self.text_features.resize(x, NONE);
        }
    }
}

/// The token checkouts and zero-length pairs of the current second.
#[derive(Default)]
struct Second {
    at: Option<Local>,
    /// (product, user, host) of each token pool checkout.
    tokens: Vec<(FeatureId, UserId, HostId)>,
    /// Zero-length pairs of a product's own feature: entitlement records
    /// when a token checkout matches them.
    candidates: Vec<Done>,
}

/// Distinct checkin reasons counted by name; the rest are counted together.
const MAX_REASONS: usize = 20;

/// The state of one import.
pub(super) struct Importer {
    clock: Clock,
    start_date: Option<NaiveDate>,
    /// Daemons, features as written, cdstring products and checkin reasons
    /// (matching keys only, so that they do not show up among the usage's
    /// features).
    keys: Interner,
    /// The empty product, in `keys`.
    empty: u32,
    /// The queue of each key: the subject whose record holds it.
    slots: FxMap<Key, u32>,
    /// Open checkouts after the first of a queue, oldest first.
    more: FxMap<u32, VecDeque<Open>>,
    pending: Vec<Pending>,
    /// What event lines before the first anchor did to the report.
    held: Report,
    /// Event lines before the first anchor.
    undated_events: u64,
    /// Number and time of day of the first timed line.
    first_timed: Option<(u64, u32)>,
    /// Local time of the last timestamped line.
    last: Option<Local>,
    /// Set at the first `(lmgrd) -----` line of a run of lmgrd lines: the
    /// last timestamped line before it, i.e. before a new server's header.
    run_mark: Option<Option<Local>>,
    second: Second,
    subjects: Subjects,
    cache: Cache,
    reason_names: BTreeSet<u32>,
    /// Sessions, truncated, idle, shutdown and denials emitted: counted
    /// here (a report count costs a string per call) and reported at the
    /// end.
    tally: [u64; 5],
    /// Sessions emitted, handed to the usage a whole segment at a time (a
    /// segment grown session by session would be copied as it doubles).
    sessions: Vec<Session>,
}

/// The counts kept in [`Importer::tally`], in order.
const TALLIED: [&str; 5] = [
    counts::SESSIONS,
    counts::TRUNCATED,
    counts::IDLE_RECLAIMS,
    counts::SHUTDOWN_CHECKINS,
    counts::DENIALS,
];

impl Importer {
    pub(super) fn new(opts: &ImportOptions) -> Self {
        let mut keys = Interner::default();
        let empty = keys.intern("");
        Importer {
            clock: Clock::new(opts.time_zone),
            start_date: opts.start_date,
            keys,
            empty,
            slots: FxMap::default(),
            more: FxMap::default(),
            pending: Vec::new(),
            held: Report::default(),
            undated_events: 0,
            first_timed: None,
            last: None,
            run_mark: None,
            second: Second::default(),
            subjects: Subjects::default(),
            cache: Cache::default(),
            reason_names: BTreeSet::new(),
            tally: [0; 5],
            sessions: Vec::new(),
        }
    }

    /// The lines that follow come with table `t`.
    pub(super) fn begin_block(&mut self, t: &Table) {
        self.cache.reset(t);
    }

    /// Reads what the subjects of `recs` need before they are used, so
    /// that their cache misses overlap ([`Subjects::touch`]).
    pub(super) fn touch(&self, recs: &[Rec]) {
        self.subjects.touch(recs);
    }

    /// A snapshot of the subjects met, for the readers, when there are new
    /// ones ([`Subjects::snapshot_if_grown`]).
    pub(super) fn known_if_grown(&mut self) -> Option<Known> {
        self.subjects.snapshot_if_grown()
    }

    /// Table `t` of the lines so far may have grown.
    pub(super) fn sync(&mut self, t: &Table) {
        self.cache.grow(t);
    }

    /// Line `line_no`, read as `rec` with names in `t`.
    pub(super) fn line(
        &mut self,
        line_no: u64,
        rec: &Rec,
        t: &Table,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        match rec.kind {
            Kind::Blank => return skip_quietly(report, reasons::BLANK),
            Kind::NoEnvelope => {
                return report.skip(line_no, reasons::NO_ENVELOPE, t.message(rec.a));
            }
            _ => {}
        }
        if rec.lmgrd {
            if rec.divider && self.run_mark.is_none() {
                self.run_mark = Some(self.last);
            }
        } else {
            self.run_mark = None;
        }
        let before = self.last;
        let now = self.clock.tick(i64::from(rec.tod));
        self.last = Some(now);
        if self.first_timed.is_none() {
            self.first_timed = Some((line_no, rec.tod));
        }
        // An anchor ends the second too: it may move the clock's day.
        if self.second.at != Some(now) || matches!(rec.kind, Kind::Anchor(_)) {
            self.end_second(usage, report);
            self.second.at = Some(now);
        }
        if rec.kind.is_event() {
            if self.clock.anchored {
                self.event(line_no, rec, t, now, usage, report);
            } else {
                self.undated_events += 1;
                let mut held = std::mem::take(&mut self.held);
                self.event(line_no, rec, t, now, usage, &mut held);
                self.held = held;
            }
            return;
        }
        match rec.kind {
            Kind::Anchor(kind) => {
                // The day number was stored as its bits.
                let day = i64::from(rec.a as i32);
                self.anchor(line_no, day, kind, before, usage, report);
            }
            Kind::BadDate => report.skip(line_no, reasons::BAD_DATE, t.message(rec.a)),
            Kind::Unsupported => skip_quietly(report, reasons::UNSUPPORTED),
            Kind::Queued => skip_quietly(report, reasons::QUEUED),
            Kind::Statistics => skip_quietly(report, reasons::STATISTICS),
            _ => skip_quietly(report, reasons::UNKNOWN),
        }
    }

    fn event(
        &mut self,
        line_no: u64,
        rec: &Rec,
        t: &Table,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        if rec.kind == Kind::BadEvent {
            return report.skip(line_no, reasons::BAD_EVENT, t.message(rec.a));
        }
        let g = self.subjects.find_or_add(rec, t);
        match rec.kind {
            Kind::Out => self.checkout(line_no, rec, g, t, now, usage, report),
            Kind::In => self.checkin(line_no, rec, g, t, now, usage, report),
            Kind::Removing => self.removing(line_no, g, now, usage, report),
            _ => self.denied(line_no, rec, g, t, now, usage, report),
        }
    }

    /// A date anchor on the current line. A server start banner first
    /// closes everything still open, at the last line before the new
    /// server's header (`before` = the last line before this one).
    fn anchor(
        &mut self,
        line_no: u64,
        day: i64,
        kind: AnchorKind,
        mut before: Option<Local>,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        report.lines_used += 1;
        match self.clock.anchor(day) {
            Anchored::First(shift) => {
                self.settle(shift, usage, report);
                if let Some(b) = before.as_mut() {
                    b.secs += shift;
                }
            }
            // After a restart the date jumps by the downtime: expected.
            Anchored::Resync if kind == AnchorKind::Running => {
                let date = i32::try_from(day).map(date_of_day).unwrap_or_default();
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

    /// The first anchor (or the start date): moves everything provisional
    /// onto the calendar, and adds what was waiting to the report.
    fn settle(&mut self, shift: i64, usage: &mut Usage, report: &mut Report) {
        for r in &mut self.subjects.records {
            if r.open > 0 {
                r.head.start += shift;
            }
        }
        for q in self.more.values_mut() {
            for o in q.iter_mut() {
                o.start += shift;
            }
        }
        for l in [self.last.as_mut(), self.second.at.as_mut()]
            .into_iter()
            .flatten()
        {
            l.secs += shift;
        }
        if let Some(Some(l)) = self.run_mark.as_mut() {
            l.secs += shift;
        }
        let held = std::mem::take(&mut self.held);
        report.lines_used += held.lines_used;
        for (reason, n) in held.skipped {
            *report.skipped.entry(reason).or_default() += n;
        }
        for (what, n) in held.counts {
            report.count(&what, n);
        }
        for p in held.problems {
            report.problem(p.line, p.message);
        }
        report.problems_not_kept += held.problems_not_kept;
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
        // Problems of the lines before the anchor came in two streams.
        report.problems.sort_by_key(|p| p.line);
    }

    #[allow(clippy::too_many_arguments)]
    fn checkout(
        &mut self,
        line_no: u64,
        rec: &Rec,
        g: usize,
        t: &Table,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let token = self.is_token(rec, g, t);
        let draw = match rec.count() {
            None => u16::from(token),
            Some(n) => match u16::try_from(n) {
                Ok(n) if n > 0 => n,
                _ => {
                    let s = &self.subjects.parts[g];
                    return report.skip(
                        line_no,
                        reasons::BAD_COUNT,
                        format!("OUT: \"{}\" {}@{}: ({n} licenses) is not a count a session can hold (1 to 65535); line skipped", s.feature(), s.user(), s.host()),
                    );
                }
            },
        };
        let ids = self.resolve(g, usage);
        let product = self.text_key(rec.product, t);
        let feature = if token {
            self.text_feature(rec.product, t, usage)
        } else {
            self.raw_feature(g, usage)
        };
        if token {
            self.second.tokens.push((feature, ids.user, ids.host));
        }
        let open = Open {
            start: now.secs,
            out_line: line_no,
            product,
            // At most 65535 here (larger counts were refused above).
            count: rec.count().unwrap_or(1) as u32,
            feature,
            draw,
            later: now.later,
            token,
        };
        self.push_open(ids.slot, open);
    }

    #[allow(clippy::too_many_arguments)]
    fn checkin(
        &mut self,
        line_no: u64,
        rec: &Rec,
        g: usize,
        t: &Table,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let found = self.lookup(g, usage).and_then(|ids| {
            let product = self.text_key_get(rec.product, t);
            let open = self.take_open(ids.slot, product, rec.count().unwrap_or(1))?;
            Some((ids, open))
        });
        let Some((ids, open)) = found else {
            let s = &self.subjects.parts[g];
            let suffix = match rec.flag {
                flags::INACTIVE => " (INACTIVE)".to_string(),
                flags::SHUTDOWN => " (SHUTDOWN)".to_string(),
                _ if rec.reason != NONE => format!(" ({})", t.text(rec.reason)),
                _ => String::new(),
            };
            return report.skip(
                line_no,
                reasons::IN_WITHOUT_OUT,
                format!(
                    "IN: \"{}\" {}@{}{suffix} with no open checkout; not counted as a session",
                    s.feature(),
                    s.user(),
                    s.host()
                ),
            );
        };
        let token = open.token;
        let mut done = Done::new(ids.user, ids.host, open, now, Some(line_no));
        done.flags = rec.flag;
        if rec.reason != NONE {
            done.reason = self.text_key(rec.reason, t);
        }
        if !token && done.start == now {
            self.second.candidates.push(done);
        } else {
            self.deliver(done, usage, report);
        }
    }

    /// `REMOVING user@host from FEATURE` (lmremove): closes the oldest open
    /// checkout of that feature, whatever its checkout data.
    fn removing(
        &mut self,
        line_no: u64,
        g: usize,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let found = self.lookup(g, usage).and_then(|ids| {
            let open = self.take_open(ids.slot, None, 0)?;
            Some((ids, open))
        });
        let Some((ids, open)) = found else {
            let s = &self.subjects.parts[g];
            return report.skip(
                line_no,
                reasons::IN_WITHOUT_OUT,
                format!(
                    "REMOVING {}@{} from {} with no open checkout; not counted as a session",
                    s.user(),
                    s.host(),
                    s.feature()
                ),
            );
        };
        report.count(counts::REMOVALS, 1);
        let done = Done::new(ids.user, ids.host, open, now, Some(line_no));
        self.deliver(done, usage, report);
    }

    /// Adds a checkout at the end of queue `slot`.
    fn push_open(&mut self, slot: u32, open: Open) {
        let Some(r) = self.subjects.records.get_mut(slot as usize) else {
            return;
        };
        if r.open == 0 {
            r.head = open;
        } else {
            self.more.entry(slot).or_default().push_back(open);
        }
        r.open += 1;
    }

    /// Removes the oldest open checkout of queue `slot` with the same
    /// product and count, else the same product, else any (any at once when
    /// `product` is `None`: a product no checkout had, or a `REMOVING`).
    fn take_open(&mut self, slot: u32, product: Option<u32>, count: u64) -> Option<Open> {
        let r = self.subjects.records.get_mut(slot as usize)?;
        if r.open == 0 {
            return None;
        }
        r.open -= 1;
        if r.open == 0 {
            return Some(r.head);
        }
        // Several open: the queue is the head, then the others in order.
        let q = self.more.get_mut(&slot)?;
        let fits = |o: &Open, same_count: bool| {
            product.is_some_and(|p| o.product == p && (!same_count || u64::from(o.count) == count))
        };
        let i = [true, false]
            .into_iter()
            .find_map(|same_count| {
                std::iter::once(&r.head)
                    .chain(q.iter())
                    .position(|o| fits(o, same_count))
            })
            .unwrap_or(0);
        let taken = match i.checked_sub(1) {
            None => {
                let next = q.pop_front()?;
                std::mem::replace(&mut r.head, next)
            }
            Some(j) => q.remove(j)?,
        };
        if q.is_empty() {
            self.more.remove(&slot);
        }
        Some(taken)
    }

    /// A token pool checkout: `TLSTOK` with a product in its checkout data.
    fn is_token(&self, rec: &Rec, g: usize, t: &Table) -> bool {
        rec.product != NONE && self.subjects.token_pool[g] && !t.text(rec.product).is_empty()
    }

    /// Hands a closed checkout on: out now, or when the date is known.
    fn deliver(&mut self, done: Done, usage: &mut Usage, report: &mut Report) {
        if self.clock.anchored {
            self.emit_session(done, usage, report);
        } else {
            self.pending.push(Pending::Session(done));
        }
    }

    /// The second is over: its zero-length pairs that a token checkout of
    /// their product by the same user@host matches are entitlement records;
    /// the others are use.
    fn end_second(&mut self, usage: &mut Usage, report: &mut Report) {
        if !self.second.candidates.is_empty() {
            for d in std::mem::take(&mut self.second.candidates) {
                let record = self
                    .second
                    .tokens
                    .iter()
                    .any(|&(f, u, h)| f == d.feature && u == d.user && h == d.host);
                if record {
                    let r = if self.clock.anchored {
                        &mut *report
                    } else {
                        &mut self.held
                    };
                    r.lines_used += 2;
                    r.count(counts::ENTITLEMENT_RECORDS, 1);
                } else {
                    self.deliver(d, usage, report);
                }
            }
        }
        self.second.tokens.clear();
    }

    /// Closes every open checkout at `at` (flagged truncated), oldest first.
    fn close_all(&mut self, at: Option<Local>, usage: &mut Usage, report: &mut Report) {
        let mut all: Vec<(UserId, HostId, Open)> = Vec::new();
        for (slot, r) in self.subjects.records.iter_mut().enumerate() {
            if r.open == 0 {
                continue;
            }
            r.open = 0;
            all.push((r.ids.user, r.ids.host, r.head));
            if let Some(q) = self.more.remove(&(slot as u32)) {
                all.extend(q.into_iter().map(|o| (r.ids.user, r.ids.host, o)));
            }
        }
        all.sort_by_key(|(_, _, o)| o.out_line);
        for (user, host, open) in all {
            let end = at.unwrap_or(open.start());
            let mut done = Done::new(user, host, open, end, None);
            done.flags = flags::TRUNCATED;
            self.deliver(done, usage, report);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn denied(
        &mut self,
        line_no: u64,
        rec: &Rec,
        g: usize,
        t: &Table,
        now: Local,
        usage: &mut Usage,
        report: &mut Report,
    ) {
        let count = match rec.count() {
            None => 1,
            Some(n) => match u32::try_from(n) {
                Ok(n) if n > 0 => n,
                _ => {
                    let s = &self.subjects.parts[g];
                    return report.skip(
                        line_no,
                        reasons::BAD_COUNT,
                        format!(
                            "DENIED: \"{}\" {}@{}: ({n} licenses) is not a count; line skipped",
                            s.feature(),
                            s.user(),
                            s.host()
                        ),
                    );
                }
            },
        };
        let (user, host) = self.resolve_who(g, usage);
        let feature = if self.is_token(rec, g, t) {
            self.text_feature(rec.product, t, usage)
        } else {
            self.raw_feature(g, usage)
        };
        let reason = if rec.reason == NONE {
            String::new()
        } else {
            t.text(rec.reason).to_string()
        };
        let denial = DenialAt {
            at: now,
            line: line_no,
            denial: Denial {
                at: 0,
                feature,
                user,
                host,
                count,
                reason,
            },
        };
        if self.clock.anchored {
            self.emit_denial(denial, usage, report);
        } else {
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
        if self.sessions.len() >= Sessions::SEGMENT {
            usage
                .sessions
                .push_segment(std::mem::take(&mut self.sessions));
        }
        if self.sessions.capacity() == 0 {
            // Pages are only used as sessions fill them.
            self.sessions.reserve_exact(Sessions::SEGMENT);
        }
        self.sessions.push(Session {
            start,
            dur,
            user: d.user,
            feature: d.feature,
            host: d.host,
            draw: d.draw,
            flags: d.flags,
        });
        report.lines_used += lines;
        self.tally[0] += 1;
        for (i, bit) in [flags::TRUNCATED, flags::INACTIVE, flags::SHUTDOWN]
            .into_iter()
            .enumerate()
        {
            self.tally[i + 1] += u64::from(d.flags & bit != 0);
        }
        if d.reason != NONE {
            let known = self.reason_names.contains(&d.reason);
            if known || self.reason_names.len() < MAX_REASONS {
                self.reason_names.insert(d.reason);
                report.count(&counts::checkin_reason(self.keys.name(d.reason)), 1);
            } else {
                report.count(counts::OTHER_CHECKIN_REASONS, 1);
            }
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
        self.tally[4] += 1;
    }

    /// End of the log: close what is open at the last timestamped line; a
    /// log that never said its date is dated from the start date given, or
    /// is one error for the whole file.
    pub(super) fn finish(&mut self, usage: &mut Usage, report: &mut Report) {
        self.close(usage, report);
        let mut last = std::mem::take(&mut self.sessions);
        last.shrink_to_fit();
        usage.sessions.push_segment(last);
        for (what, n) in TALLIED.into_iter().zip(self.tally) {
            if n > 0 {
                report.count(what, n);
            }
        }
    }

    fn close(&mut self, usage: &mut Usage, report: &mut Report) {
        self.end_second(usage, report);
        if !self.clock.anchored
            && self.first_timed.is_some()
            && let Some(date) = self.start_date
        {
            let shift = self.clock.anchor_start(i64::from(day_of_date(date)));
            self.settle(shift, usage, report);
            report.count(counts::START_DATE, 1);
        }
        if self.clock.anchored {
            self.close_all(self.last, usage, report);
            return;
        }
        self.subjects = Subjects::default();
        self.more.clear();
        self.pending.clear();
        self.held = Report::default();
        if self.undated_events == 0 {
            return;
        }
        *report
            .skipped
            .entry(reasons::NO_DATE.to_string())
            .or_default() += self.undated_events;
        report.fatal = true;
        let (line, tod) = self.first_timed.unwrap_or((0, 0));
        let message = format!(
            "the log never gives its date (no TIMESTAMP line, server start banner or \"Server's System Date and Time\" line), so none of its {} event lines can be placed in time and nothing was imported; give the date of its first line (line {line}, {}:{:02}:{:02}) with --start-date YYYY-MM-DD",
            self.undated_events,
            tod / 3600,
            tod / 60 % 60,
            tod % 60
        );
        // The one error for the whole file comes first, and is always kept.
        if report.problems.len() >= Report::MAX_PROBLEMS {
            report.problems.pop();
            report.problems_not_kept += 1;
        }
        report.problems.insert(
            0,
            Problem {
                file: report.file.clone(),
                line: 0,
                message,
            },
        );
    }

    // ------------------------------------------------------------ names

    /// The ids of subject `g`, adding its user, host and queue when new.
    fn resolve(&mut self, g: usize, usage: &mut Usage) -> Ids {
        let c = self.subjects.records[g].ids;
        if c.slot != NONE {
            return c;
        }
        let p = &self.subjects.parts[g];
        let key = (
            self.keys.intern(p.daemon()),
            self.keys.intern(p.feature()),
            usage.users.intern(p.user()),
            usage.hosts.intern(p.host()),
        );
        let slot = *self.slots.entry(key).or_insert(g as u32);
        let ids = Ids {
            user: key.2,
            host: key.3,
            slot,
            raw_feature: c.raw_feature,
        };
        self.subjects.records[g].ids = ids;
        ids
    }

    /// The user and host of subject `g`, added when new (no queue).
    fn resolve_who(&mut self, g: usize, usage: &mut Usage) -> (UserId, HostId) {
        let c = self.subjects.records[g].ids;
        if c.user != NONE {
            return (c.user, c.host);
        }
        let p = &self.subjects.parts[g];
        let user = usage.users.intern(p.user());
        let host = usage.hosts.intern(p.host());
        self.subjects.records[g].ids = Ids { user, host, ..c };
        (user, host)
    }

    /// The ids of subject `g` when it has a queue (else no checkout of it
    /// was ever seen).
    fn lookup(&mut self, g: usize, usage: &Usage) -> Option<Ids> {
        let c = self.subjects.records[g].ids;
        if c.slot != NONE {
            return Some(c);
        }
        let p = &self.subjects.parts[g];
        let key = (
            self.keys.get(p.daemon())?,
            self.keys.get(p.feature())?,
            usage.users.get(p.user())?,
            usage.hosts.get(p.host())?,
        );
        let slot = *self.slots.get(&key)?;
        let ids = Ids {
            user: key.2,
            host: key.3,
            slot,
            raw_feature: c.raw_feature,
        };
        self.subjects.records[g].ids = ids;
        Some(ids)
    }

    /// Subject `g`'s feature as written, among the usage's features.
    fn raw_feature(&mut self, g: usize, usage: &mut Usage) -> FeatureId {
        let f = &mut self.subjects.records[g].ids.raw_feature;
        if *f == NONE {
            *f = usage.features.intern(self.subjects.parts[g].feature());
        }
        *f
    }

    /// Text `x` (not [`NONE`]) among the usage's features.
    fn text_feature(&mut self, x: u32, t: &Table, usage: &mut Usage) -> FeatureId {
        let slot = &mut self.cache.text_features[x as usize];
        if *slot == NONE {
            *slot = usage.features.intern(t.text(x));
        }
        *slot
    }

    /// Text `x` in `keys` ([`NONE`]: the empty text).
    fn text_key(&mut self, x: u32, t: &Table) -> u32 {
        if x == NONE {
            return self.empty;
        }
        let slot = &mut self.cache.text_keys[x as usize];
        if *slot == NONE {
            *slot = self.keys.intern(t.text(x));
        }
        *slot
    }

    /// Text `x` in `keys` when it is there.
    fn text_key_get(&mut self, x: u32, t: &Table) -> Option<u32> {
        if x == NONE {
            return Some(self.empty);
        }
        let slot = &mut self.cache.text_keys[x as usize];
        if *slot == NONE {
            *slot = self.keys.get(t.text(x))?;
        }
        Some(*slot)
    }
}

/// Counts a skipped line that is normal in a debug log (no problem recorded).
fn skip_quietly(report: &mut Report, reason: &str) {
    *report.skipped.entry(reason.to_string()).or_default() += 1;
}
