//! The grammar of one debug log line: the `H:MM:SS (daemon) message`
//! envelope, the date anchors, and the `OUT:`/`IN:`/`DENIED:` events with
//! their suffixes (FLEXNET_FORMATS.md §1.2–1.4). Pure functions of the text,
//! so that blocks of lines can be read on any thread.

use chrono::NaiveDate;

use crate::usage::flags;

/// At most 80 characters of `s`, for messages.
pub(super) fn preview(s: &str) -> &str {
    match s.char_indices().nth(80) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The line without byte-order mark, line end and trailing blanks.
#[inline]
pub(super) fn clean(s: &str) -> &str {
    trim_end(s.strip_prefix('\u{feff}').unwrap_or(s))
}

/// [`str::trim_start`], with a fast path for the ASCII blanks that are all
/// a log ever has there (the general one decodes every character).
#[inline]
pub(super) fn trim_start(s: &str) -> &str {
    let n = s.bytes().take_while(u8::is_ascii_whitespace).count();
    let rest = s.get(n..).unwrap_or_default();
    match rest.bytes().next() {
        Some(b) if b >= 0x80 => rest.trim_start(),
        _ => rest,
    }
}

/// [`str::trim_end`], with the same fast path as [`trim_start`].
#[inline]
pub(super) fn trim_end(s: &str) -> &str {
    let n = s.bytes().rev().take_while(u8::is_ascii_whitespace).count();
    let rest = s.get(..s.len() - n).unwrap_or_default();
    match rest.bytes().next_back() {
        Some(b) if b >= 0x80 => rest.trim_end(),
        _ => rest,
    }
}

/// The `H:MM:SS (daemon) message` envelope of a line.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Envelope<'a> {
    /// Time of day in seconds.
    pub tod: i64,
    pub daemon: &'a str,
    pub msg: &'a str,
}

#[inline]
pub(super) fn envelope(line: &str) -> Option<Envelope<'_>> {
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
    // Daemon names are short: a byte loop beats a general search here.
    let close = i + 2 + b.get(i + 2..)?.iter().position(|&c| c == b')')?;
    let daemon = line.get(i + 2..close)?;
    if daemon.is_empty() || daemon.bytes().any(|c| c == b' ') {
        return None;
    }
    let msg = line.get(close + 1..)?;
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    Some(Envelope {
        tod: hour * 3600 + minute * 60 + second,
        daemon,
        msg,
    })
}

/// `-----------------------------------------------`: the line that opens
/// lmgrd's "Please Note" header at every server start.
pub(super) fn is_divider(msg: &str) -> bool {
    msg.len() >= 10 && msg.bytes().all(|b| b == b'-')
}

/// The text after `(@daemon-SLOG@) `, for SLOG statistics lines.
pub(super) fn slog_body(msg: &str) -> Option<&str> {
    let rest = msg.strip_prefix("(@")?;
    let end = rest.find("-SLOG@)")?;
    let body = &rest[end + "-SLOG@)".len()..];
    Some(body.strip_prefix(' ').unwrap_or(body))
}

/// The date of a start banner `... started on HOST (...) (M/D/YYYY)`:
/// `None` when the line is not a banner, `Some(None)` when it is one with an
/// unreadable date.
pub(super) fn banner_date(msg: &str) -> Option<Option<NaiveDate>> {
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
pub(super) fn parse_mdy(s: &str) -> Option<NaiveDate> {
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
pub(super) fn parse_long_date(s: &str) -> Option<NaiveDate> {
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
pub(super) struct Event<'a> {
    pub feature: &'a str,
    pub user: &'a str,
    pub host: &'a str,
    /// The checkout data's product: the `[cdstring]` up to its first `#`.
    pub product: Option<&'a str>,
    /// `(N licenses)`.
    pub count: Option<u64>,
    /// `(INACTIVE)` or `(SHUTDOWN)` as [`flags`] bits.
    pub flag: Option<u16>,
    /// The text of the last other parenthesised group: a denial's reason,
    /// or why an `IN:` happened (`UNKNOWN` from Siemens `saltd`, ...).
    pub reason: Option<&'a str>,
}

impl<'a> Event<'a> {
    /// `feature user@host` with nothing after it.
    #[inline]
    fn bare(feature: &'a str, user: &'a str, host: &'a str) -> Event<'a> {
        Event {
            feature,
            user,
            host,
            product: None,
            count: None,
            flag: None,
            reason: None,
        }
    }
}

/// Parses `"FEATURE" user@host  [cdstring] (N licenses) (INACTIVE)`; the
/// feature may be unquoted, the user may hold spaces (split at the last `@`
/// before the suffixes). A quoted version (`"v2023.12"`) before or after
/// `user@host` is passed over, with or without a blank before the
/// parenthesis that follows it.
#[inline]
pub(super) fn parse_event(s: &str) -> Option<Event<'_>> {
    let s = trim_start(s);
    let (feature, rest) = if let Some(q) = s.strip_prefix('"') {
        let end = byte_at(q, b'"')?;
        (&q[..end], &q[end + 1..])
    } else {
        let end = byte_at(s, b' ').unwrap_or(s.len());
        (&s[..end], &s[end..])
    };
    if feature.is_empty() {
        return None;
    }
    let mut rest = trim_start(rest);
    // `"FEATURE" "v2023.12" user@host`: no user name starts with a quote.
    if let Some(q) = rest.strip_prefix('"')
        && let Some(end) = byte_at(q, b'"')
        && q[end + 1..].starts_with(' ')
    {
        rest = trim_start(&q[end + 1..]);
    }
    if let Some((user, host)) = plain_user_host(rest) {
        return Some(Event::bare(feature, user, host));
    }
    // The suffixes start at the first " [", " (" or " \"": user names hold
    // spaces but not brackets or quotes.
    // Usually there is none: one vector search finds that out.
    let b = rest.as_bytes();
    let suffix_at = memchr::memchr3_iter(b'[', b'(', b'"', b)
        .find(|&i| i > 0 && b.get(i - 1) == Some(&b' '))
        .map(|i| i - 1);
    let (who, mut suffixes) = match suffix_at {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let (user, host) = split_user_host(trim_end(who))?;
    let mut ev = Event::bare(feature, user, host);
    loop {
        suffixes = trim_start(suffixes);
        if let Some(r) = suffixes.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            let cd = &r[..end];
            ev.product
                .get_or_insert(cd.split('#').next().unwrap_or("").trim());
            suffixes = r.get(end + 1..).unwrap_or("");
        } else if let Some(q) = suffixes.strip_prefix('"') {
            // A version: `"v2023.12"(License server ...)`.
            let end = q.find('"').unwrap_or(q.len());
            suffixes = q.get(end + 1..).unwrap_or("");
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

/// The usual `user@host` with nothing after it, in one pass: printable
/// ASCII without blanks, quotes, brackets or parentheses, so that the
/// general reading (suffixes, trimming, the last `@`) would find the same.
#[inline]
fn plain_user_host(s: &str) -> Option<(&str, &str)> {
    let mut at = None;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        if c <= b' ' || c >= 0x7f || matches!(c, b'"' | b'(' | b'[') {
            return None;
        }
        if c == b'@' {
            at = Some(i);
        }
    }
    let at = at?;
    let (user, host) = (s.get(..at)?, s.get(at + 1..)?);
    (!user.is_empty() && !host.is_empty()).then_some((user, host))
}

/// `user@host from FEATURE` of a `REMOVING` line (lmremove):
/// (feature, user, host).
pub(super) fn parse_removing(rest: &str) -> Option<(&str, &str, &str)> {
    let (who, feature) = rest.rsplit_once(" from ")?;
    let (user, host) = split_user_host(who.trim())?;
    let feature = feature.trim().trim_matches('"');
    (!feature.is_empty()).then_some((feature, user, host))
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
#[inline]
pub(super) fn split_user_host(who: &str) -> Option<(&str, &str)> {
    let at = who.bytes().rposition(|c| c == b'@')?;
    let user = trim_blanks(who.get(..at)?);
    let host = trim_blanks(who.get(at + 1..)?);
    (!user.is_empty() && !host.is_empty() && !host.bytes().any(|c| c == b' '))
        .then_some((user, host))
}

/// [`str::trim`] with the fast paths of [`trim_start`] and [`trim_end`].
#[inline]
fn trim_blanks(s: &str) -> &str {
    trim_end(trim_start(s))
}

/// The first index of `byte` (ASCII) in `s`.
#[inline]
fn byte_at(s: &str, byte: u8) -> Option<usize> {
    memchr::memchr(byte, s.as_bytes())
}

/// IBM token pool features: `TLSTOK` (RLKS 8.x) and `TLSTOK-token`
/// (Telelogic); their checkout data names the consuming product.
pub(super) fn is_token_pool(feature: &str) -> bool {
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

pub(super) fn decode_windows_1252(raw: &[u8], out: &mut String) {
    out.clear();
    out.extend(raw.iter().map(|&b| match b {
        0x80..=0x9F => CP1252_HIGH[usize::from(b - 0x80)],
        _ => char::from(b),
    }));
}

pub(super) fn decode_windows_1252_or_utf8(raw: &[u8], out: &mut String) {
    match std::str::from_utf8(raw) {
        Ok(s) => {
            out.clear();
            out.push_str(s);
        }
        Err(_) => decode_windows_1252(raw, out),
    }
}
