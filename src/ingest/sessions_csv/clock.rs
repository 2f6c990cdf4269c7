//! Timestamps of the session CSV: RFC 3339 by integer arithmetic, other
//! forms and local times through `Clock` (the file's IANA zone, with
//! repeated and skipped hours counted).

use super::*;

/// How fractional seconds round: a session never shrinks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Round {
    Floor,
    Ceil,
}

/// A timestamp read by [`parse_general`].
pub(super) struct Parsed {
    /// Wall-clock seconds since 1970-01-01 00:00 (as if UTC).
    pub(super) wall: i64,
    /// A non-zero fraction of a second was given.
    pub(super) frac: bool,
    /// UTC offset in seconds, when given.
    pub(super) offset: Option<i64>,
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
/// `days_from_civil`).
pub(super) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

pub(super) fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds of a valid date and time, or `None`.
pub(super) fn civil_secs(y: i64, mo: i64, d: i64, h: i64, mi: i64, s: i64) -> Option<i64> {
    let ok = (1..=12).contains(&mo)
        && d >= 1
        && d <= days_in_month(y, mo)
        && h < 24
        && mi < 60
        && s < 60;
    ok.then(|| days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + s)
}

/// `YYYY-MM-DD` then `T`, `t` or a space, `HH:MM[:SS[.fff]]`, then
/// optionally `Z` or an offset `±HH:MM` / `±HHMM` / `±HH`.
pub(super) fn parse_general(s: &[u8]) -> Option<Parsed> {
    let s = s.trim_ascii();
    let mut i = 0usize;
    let num = |i: &mut usize, n: usize| -> Option<i64> {
        let digits = s.get(*i..*i + n)?;
        let mut v = 0i64;
        for &c in digits {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + i64::from(c - b'0');
        }
        *i += n;
        Some(v)
    };
    let lit = |i: &mut usize, c: &[u8]| -> bool {
        match s.get(*i) {
            Some(b) if c.contains(b) => {
                *i += 1;
                true
            }
            _ => false,
        }
    };
    let y = num(&mut i, 4)?;
    lit(&mut i, b"-").then_some(())?;
    let mo = num(&mut i, 2)?;
    lit(&mut i, b"-").then_some(())?;
    let d = num(&mut i, 2)?;
    lit(&mut i, b"Tt ").then_some(())?;
    let h = num(&mut i, 2)?;
    lit(&mut i, b":").then_some(())?;
    let mi = num(&mut i, 2)?;
    let mut sec = 0;
    let mut frac = false;
    if lit(&mut i, b":") {
        sec = num(&mut i, 2)?;
        if lit(&mut i, b".,") {
            let start = i;
            while let Some(c) = s.get(i).filter(|c| c.is_ascii_digit()) {
                frac |= *c != b'0';
                i += 1;
            }
            if i == start {
                return None;
            }
        }
    }
    let wall = civil_secs(y, mo, d, h, mi, sec)?;
    let rest = s.get(i..)?.trim_ascii_start();
    let offset = match rest {
        [] => None,
        [b'Z' | b'z'] => Some(0),
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let mut j = 0usize;
            let t = tail;
            let two = |j: &mut usize| -> Option<i64> {
                let a = t.get(*j).filter(|c| c.is_ascii_digit())?;
                let b = t.get(*j + 1).filter(|c| c.is_ascii_digit())?;
                *j += 2;
                Some(i64::from(a - b'0') * 10 + i64::from(b - b'0'))
            };
            let oh = two(&mut j)?;
            if t.get(j) == Some(&b':') {
                j += 1;
            }
            let om = if j < t.len() { two(&mut j)? } else { 0 };
            if j != t.len() || oh > 23 || om > 59 {
                return None;
            }
            let o = oh * 3600 + om * 60;
            Some(if *sign == b'-' { -o } else { o })
        }
        _ => return None,
    };
    Some(Parsed { wall, frac, offset })
}

/// Turns timestamps into UTC seconds; wall-clock times without offset are
/// local time of `tz` (cached per local hour when the hour has one offset).
pub(super) struct Clock {
    pub(super) tz: Tz,
    pub(super) hour: i64,
    pub(super) offset: i64,
    pub(super) ambiguous: u64,
    pub(super) gap: u64,
    /// The last two date parts of the fast path (packed) and the first
    /// second of each, latest first.
    pub(super) dates: [Option<(u128, i64)>; 2],
}

impl Clock {
    pub(super) fn new(tz: Tz) -> Self {
        Clock {
            tz,
            hour: i64::MIN,
            offset: 0,
            ambiguous: 0,
            gap: 0,
            dates: [None; 2],
        }
    }

    /// The common form `YYYY-MM-DDTHH:MM:SSZ`, without chrono (and the
    /// date part cached: files come sorted by time more often than not).
    #[inline]
    pub(super) fn fast_utc(&mut self, b: &[u8]) -> Option<i64> {
        let b: &[u8; 20] = b.try_into().ok()?;
        if b[4] != b'-'
            || b[7] != b'-'
            || b[10] != b'T'
            || b[13] != b':'
            || b[16] != b':'
            || b[19] != b'Z'
        {
            return None;
        }
        let d = |i: usize| -> Option<i64> {
            let x = b[i].wrapping_sub(b'0');
            (x < 10).then_some(i64::from(x))
        };
        // The date's 10 bytes as one integer: compared without a call.
        let mut w = [0u8; 16];
        w[..10].copy_from_slice(&b[..10]);
        let date = u128::from_le_bytes(w);
        let day = match self.dates {
            [Some((k, secs)), _] if k == date => secs,
            [first, Some((k, secs))] if k == date => {
                // Start and end dates alternate around midnight: keep both.
                self.dates = [Some((k, secs)), first];
                secs
            }
            [first, _] => {
                let secs = civil_secs(
                    d(0)? * 1000 + d(1)? * 100 + d(2)? * 10 + d(3)?,
                    d(5)? * 10 + d(6)?,
                    d(8)? * 10 + d(9)?,
                    0,
                    0,
                    0,
                )?;
                self.dates = [Some((date, secs)), first];
                secs
            }
        };
        let (h, mi, sec) = (
            d(11)? * 10 + d(12)?,
            d(14)? * 10 + d(15)?,
            d(17)? * 10 + d(18)?,
        );
        (h < 24 && mi < 60 && sec < 60).then_some(day + h * 3600 + mi * 60 + sec)
    }

    /// UTC seconds of `raw`, or `None` when it is not a timestamp.
    #[inline]
    pub(super) fn instant(&mut self, raw: &[u8], round: Round) -> Option<i64> {
        if let Some(t) = self.fast_utc(raw) {
            return Some(t);
        }
        let p = parse_general(raw)?;
        let t = match p.offset {
            Some(o) => p.wall - o,
            None => self.local(p.wall)?,
        };
        Some(if p.frac && round == Round::Ceil {
            t + 1
        } else {
            t
        })
    }

    pub(super) fn local(&mut self, wall: i64) -> Option<i64> {
        let hour = wall.div_euclid(3600);
        if hour == self.hour {
            return Some(wall - self.offset);
        }
        let naive = |w: i64| -> Option<NaiveDateTime> {
            DateTime::from_timestamp(w, 0).map(|d| d.naive_utc())
        };
        let offset_of = |w: i64| match self.tz.from_local_datetime(&naive(w)?) {
            LocalResult::Single(t) => Some(i64::from(t.offset().fix().local_minus_utc())),
            _ => None,
        };
        if let (Some(a), Some(b)) = (offset_of(hour * 3600), offset_of(hour * 3600 + 3599))
            && a == b
        {
            self.hour = hour;
            self.offset = a;
            return Some(wall - a);
        }
        let n = naive(wall)?;
        Some(match self.tz.from_local_datetime(&n) {
            LocalResult::Single(t) => t.timestamp(),
            LocalResult::Ambiguous(a, _) => {
                self.ambiguous += 1;
                a.timestamp()
            }
            LocalResult::None => {
                self.gap += 1;
                crate::time::local_to_utc(self.tz, n)
            }
        })
    }
}
