//! The log's clock: gives each timed line its local date-time from the
//! anchors and the 90-minute rule, and turns local times into UTC instants
//! in the server's zone.

use chrono::{LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Tz;

use crate::time::local_to_utc;

pub(super) const DAY: i64 = 86_400;
/// A clock this much behind the previous line means the next day; smaller
/// steps back (a daylight-saving fall-back repeats one hour, two daemons
/// interleave their writes) stay on the same day.
const ROLLOVER_SECS: i64 = 90 * 60;
/// A step back of at least this much into a local time that happens twice
/// is read as the fall-back: such times take their second (later) instant.
const FOLD_MIN_SECS: i64 = 10 * 60;

/// A wall-clock time on the log's day count: seconds since 1970-01-01 00:00
/// local (provisional days before the first anchor), and which instant to
/// take when that local time happens twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Local {
    pub secs: i64,
    pub later: bool,
}

/// The kinds of date anchor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum AnchorKind {
    /// `TIMESTAMP`, SLOG `Time:`: written while the server runs.
    Running,
    /// `Server's System Date and Time:`, SLOG `Start-Date:`: written at a
    /// start, after a downtime the clock could not count.
    Starting,
    /// The lmgrd start banner: a new server; what is open is closed.
    Banner,
}

/// What an anchor did to the clock.
pub(super) enum Anchored {
    /// The first anchor: everything provisional moves by this many seconds.
    First(i64),
    /// The date the clock had reached was wrong by this many days.
    Resync,
    Same,
}

/// Gives each timestamped line its local date-time.
pub(super) struct Clock {
    tz: Tz,
    /// Day number (days since 1970-01-01) of the current line; provisional
    /// (counted from 0 at the first timed line) until `anchored`.
    pub day: i64,
    prev_tod: Option<i64>,
    pub anchored: bool,
    /// Inside the second pass of a fall-back hour.
    fold: bool,
    offsets: Offsets,
}

impl Clock {
    pub(super) fn new(tz: Tz) -> Self {
        Clock {
            tz,
            day: 0,
            prev_tod: None,
            anchored: false,
            fold: false,
            offsets: Offsets::new(tz),
        }
    }

    /// The local time of a line with time of day `tod` (seconds).
    pub(super) fn tick(&mut self, tod: i64) -> Local {
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
    pub(super) fn anchor(&mut self, day: i64) -> Anchored {
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

    /// Puts the first timed line on calendar day `day` (a log without any
    /// anchor, dated by the user): the shift of everything provisional.
    pub(super) fn anchor_start(&mut self, day: i64) -> i64 {
        self.anchored = true;
        self.day += day;
        day * DAY
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
    pub(super) fn utc(&mut self, t: Local) -> Option<i64> {
        if let Some(offset) = self.offsets.of_day(t.secs.div_euclid(DAY)) {
            return Some(t.secs - i64::from(offset));
        }
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

/// Local days on which the zone keeps one offset, by day: every local time
/// of such a day happens exactly once, at local time minus the offset. A
/// log holds two lines per checkout, so converting each through the zone's
/// rules would cost more than reading the line.
struct Offsets {
    tz: Tz,
    /// Direct-mapped by day: (day, offset or [`VARIES`]).
    slots: [(i64, i32); 64],
}

/// The offset changes on or near the day: convert through the zone.
const VARIES: i32 = i32::MIN;

impl Offsets {
    fn new(tz: Tz) -> Self {
        Offsets {
            tz,
            slots: [(i64::MIN, VARIES); 64],
        }
    }

    /// The one offset of local day `day`, if it has one.
    #[inline]
    fn of_day(&mut self, day: i64) -> Option<i32> {
        let slot = &mut self.slots[day.rem_euclid(64) as usize];
        if slot.0 != day {
            *slot = (day, constant_offset(self.tz, day).unwrap_or(VARIES));
        }
        (slot.1 != VARIES).then_some(slot.1)
    }
}

/// The zone's offset over every instant that some local time of `day` can
/// be (offsets are within ±14 h), sampled every 4 hours (no zone changes
/// its offset twice within 4 hours), when it is one and the same.
fn constant_offset(tz: Tz, day: i64) -> Option<i32> {
    let first = day.checked_mul(DAY)? - 14 * 3600;
    let mut offset = None;
    for k in 0..=13 {
        let at = chrono::DateTime::from_timestamp(first + k * 4 * 3600, 0)?.naive_utc();
        let o = tz.offset_from_utc_datetime(&at).fix().local_minus_utc();
        match offset {
            None => offset = Some(o),
            Some(prev) if prev != o => return None,
            Some(_) => {}
        }
    }
    offset
}
