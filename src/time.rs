//! Local dates from UTC instants in a named IANA zone, fast enough for
//! tens of millions of sessions.
//!
//! Days are `i32` counts since 1970-01-01 ([`date_of_day`], [`day_of_date`]).
//! [`DayMapper`] caches the zone's UTC offset per UTC day, so the hot loop of
//! metering does no time-zone arithmetic except on the few days a
//! daylight-saving change happens.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

const SECS_PER_DAY: i64 = 86_400;
/// Marks a cache slot not yet computed.
const UNKNOWN: i32 = i32::MIN;
/// Marks a UTC day during which the offset changes.
const VARIES: i32 = i32::MIN + 1;
/// UTC days cached: all of the `u32`-seconds range sessions use.
const CACHED_DAYS: usize = (u32::MAX as i64 / SECS_PER_DAY + 2) as usize;

/// The day number (days since 1970-01-01) of `date`.
pub fn day_of_date(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days() as i32
}

/// The date of day number `day` (days since 1970-01-01).
///
/// Checked: a day beyond chrono's calendar (about ±262,000 years; only a
/// plot axis zoomed far out asks for one) is clamped to its first or last
/// date instead of overflowing.
pub fn date_of_day(day: i32) -> NaiveDate {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default();
    epoch
        .checked_add_signed(chrono::Duration::days(i64::from(day)))
        .unwrap_or(if day < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        })
}

/// Seconds since the epoch as a UTC date-time (clamped to chrono's range).
pub fn utc(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// The UTC offset of `tz` at instant `secs`, in seconds.
pub fn offset_at(tz: Tz, secs: i64) -> i32 {
    tz.offset_from_utc_datetime(&utc(secs).naive_utc())
        .fix()
        .local_minus_utc()
}

/// The UTC instant of local wall-clock time `local` in `tz`.
///
/// An ambiguous time (the repeated hour of a fall-back) resolves to the
/// earlier instant; a time inside a spring-forward gap to the instant the
/// gap ends (the first valid time after it).
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> i64 {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp(),
        LocalResult::Ambiguous(a, _) => a.timestamp(),
        LocalResult::None => {
            // Gaps are at most a few hours and end on a whole quarter hour in
            // every real zone: step forward to the first valid wall time.
            let mut probe = local;
            for _ in 0..96 {
                probe += chrono::Duration::minutes(15);
                let minute = chrono::Timelike::minute(&probe);
                let probe_q = probe
                    .date()
                    .and_hms_opt(chrono::Timelike::hour(&probe), minute - minute % 15, 0)
                    .unwrap_or(probe);
                if let Some(t) = tz.from_local_datetime(&probe_q).earliest() {
                    return t.timestamp();
                }
            }
            local.and_utc().timestamp()
        }
    }
}

/// The first UTC instant of local date `day` in `tz`.
pub fn local_midnight(tz: Tz, day: i32) -> i64 {
    local_to_utc(
        tz,
        date_of_day(day).and_hms_opt(0, 0, 0).unwrap_or_default(),
    )
}

/// Maps UTC instants to local day numbers in one zone, with a per-UTC-day
/// cache of the zone's offset.
#[derive(Clone)]
pub struct DayMapper {
    tz: Tz,
    cache: Vec<i32>,
}

impl DayMapper {
    /// A mapper for `tz`.
    pub fn new(tz: Tz) -> Self {
        DayMapper {
            tz,
            cache: Vec::new(),
        }
    }

    /// The zone.
    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The zone's offset at `secs`, in seconds.
    #[inline]
    pub fn offset(&mut self, secs: i64) -> i32 {
        let uday = secs.div_euclid(SECS_PER_DAY);
        if !(0..CACHED_DAYS as i64).contains(&uday) {
            return offset_at(self.tz, secs);
        }
        let i = uday as usize;
        if self.cache.is_empty() {
            self.cache = vec![UNKNOWN; CACHED_DAYS];
        }
        let mut o = self.cache[i];
        if o == UNKNOWN {
            let first = offset_at(self.tz, uday * SECS_PER_DAY);
            let last = offset_at(self.tz, uday * SECS_PER_DAY + SECS_PER_DAY - 1);
            o = if first == last { first } else { VARIES };
            self.cache[i] = o;
        }
        if o == VARIES {
            offset_at(self.tz, secs)
        } else {
            o
        }
    }

    /// The local day number of instant `secs`.
    #[inline]
    pub fn day(&mut self, secs: i64) -> i32 {
        (secs + i64::from(self.offset(secs))).div_euclid(SECS_PER_DAY) as i32
    }

    /// The first UTC instant of local day `day`.
    pub fn midnight(&self, day: i32) -> i64 {
        local_midnight(self.tz, day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_of_day_round_trips_and_clamps_past_the_calendar() {
        // 2024-10-05 is day 20,001 (54 years and 13 leap days after 1970).
        let d = NaiveDate::from_ymd_opt(2024, 10, 5).unwrap();
        assert_eq!(date_of_day(20_001), d);
        assert_eq!(day_of_date(d), 20_001);
        assert_eq!(date_of_day(i32::MAX), NaiveDate::MAX);
        assert_eq!(date_of_day(i32::MIN), NaiveDate::MIN);
    }

    fn secs(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp()
    }

    #[test]
    fn new_york_days_across_both_dst_changes() {
        let mut m = DayMapper::new(chrono_tz::America::New_York);
        // 2024-03-10 06:59:59Z is 01:59:59 EST; 07:00Z is 03:00 EDT.
        assert_eq!(
            date_of_day(m.day(secs("2024-03-10T06:59:59Z"))).to_string(),
            "2024-03-10"
        );
        assert_eq!(m.offset(secs("2024-03-10T06:59:59Z")), -5 * 3600);
        assert_eq!(m.offset(secs("2024-03-10T07:00:00Z")), -4 * 3600);
        // Local midnight before and after fall-back.
        assert_eq!(
            date_of_day(m.day(secs("2024-11-03T03:59:59Z"))).to_string(),
            "2024-11-02"
        );
        assert_eq!(
            date_of_day(m.day(secs("2024-11-03T04:00:00Z"))).to_string(),
            "2024-11-03"
        );
        assert_eq!(
            date_of_day(m.day(secs("2024-11-04T04:59:59Z"))).to_string(),
            "2024-11-03"
        );
        assert_eq!(
            date_of_day(m.day(secs("2024-11-04T05:00:00Z"))).to_string(),
            "2024-11-04"
        );
    }

    #[test]
    fn midnight_and_gap() {
        let tz = chrono_tz::America::New_York;
        let d = day_of_date(NaiveDate::from_ymd_opt(2024, 11, 4).unwrap());
        assert_eq!(local_midnight(tz, d), secs("2024-11-04T05:00:00Z"));
        // 02:30 on 2024-03-10 does not exist in New York: 03:00 EDT.
        let gap = NaiveDate::from_ymd_opt(2024, 3, 10)
            .unwrap()
            .and_hms_opt(2, 30, 0)
            .unwrap();
        assert_eq!(local_to_utc(tz, gap), secs("2024-03-10T07:00:00Z"));
        // 01:30 on 2024-11-03 happens twice: the earlier one (EDT).
        let amb = NaiveDate::from_ymd_opt(2024, 11, 3)
            .unwrap()
            .and_hms_opt(1, 30, 0)
            .unwrap();
        assert_eq!(local_to_utc(tz, amb), secs("2024-11-03T05:30:00Z"));
    }

    #[test]
    fn day_numbers_round_trip() {
        let d = NaiveDate::from_ymd_opt(2027, 1, 1).unwrap();
        assert_eq!(date_of_day(day_of_date(d)), d);
        assert_eq!(day_of_date(NaiveDate::from_ymd_opt(1970, 1, 2).unwrap()), 1);
    }
}
