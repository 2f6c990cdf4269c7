//! Tests of the session CSV readers: both readers give the same usage and
//! report, the word-at-a-time search, the clock.

use super::*;
use crate::progress::NoProgress;
use proptest::prelude::*;

fn secs(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

#[test]
fn high_bits_gathers_every_pattern() {
    for pattern in 0u64..256 {
        let spread = (0..8)
            .filter(|i| pattern & (1 << i) != 0)
            .fold(0u64, |acc, i| acc | (0x80 << (8 * i)));
        assert_eq!(high_bits(spread), pattern, "{pattern:08b}");
    }
}

proptest! {
    /// The word-at-a-time search finds exactly the separators a plain
    /// scan finds.
    #[test]
    fn separators_match_a_plain_scan(
        buf in proptest::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b';'), any::<u8>()], 0..300),
        delim in prop_oneof![Just(b','), Just(b';'), Just(b'\t')],
    ) {
        let mut got = Vec::new();
        separators(&buf, delim, |pos, eol| got.push((pos, eol)));
        let want: Vec<(usize, bool)> = buf
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == delim || b == b'\n')
            .map(|(i, &b)| (i, b == b'\n'))
            .collect();
        prop_assert_eq!(got, want);
    }
}

proptest! {
    /// The word-read packing equals the byte-by-byte definition, and
    /// the ordered packing sorts as the names do.
    #[test]
    fn packing_matches_its_definition(
        a in proptest::collection::vec(1u8..=255, 0..=17),
        b in proptest::collection::vec(1u8..=255, 0..=17),
    ) {
        let slow_load = |x: &[u8]| x.iter().rev().fold(0u64, |acc, &v| (acc << 8) | u64::from(v));
        let slow_pack = |x: &[u8]| {
            (x.len() <= 15).then(|| {
                let (lo, hi) = x.split_at(x.len().min(8));
                u128::from(slow_load(lo)) | (u128::from(slow_load(hi)) << 64) | ((x.len() as u128 + 1) << 120)
            })
        };
        prop_assert_eq!(pack(&a), slow_pack(&a));
        prop_assert_eq!(pack(&b), slow_pack(&b));
        if let (Some(x), Some(y)) = (pack_ordered(&a), pack_ordered(&b)) {
            prop_assert_eq!(x.cmp(&y), a.cmp(&b));
        }
    }
}

#[test]
fn fast_and_general_parsers_agree_with_chrono() {
    let mut clock = Clock::new(chrono_tz::UTC);
    let mut fast_utc = |b: &[u8]| clock.fast_utc(b);
    for s in [
        "1970-01-01T00:00:00Z",
        "2024-02-29T23:59:59Z",
        "2000-03-01T12:34:56Z",
        "2106-02-07T06:28:15Z",
        "1999-12-31T00:00:01Z",
    ] {
        assert_eq!(fast_utc(s.as_bytes()), Some(secs(s)), "{s}");
        let p = parse_general(s.as_bytes()).unwrap();
        assert_eq!(p.wall - p.offset.unwrap(), secs(s), "{s}");
    }
    assert_eq!(fast_utc(b"2023-02-29T00:00:00Z"), None);
    assert_eq!(fast_utc(b"2023-13-01T00:00:00Z"), None);
    assert_eq!(fast_utc(b"2023-01-01T24:00:00Z"), None);
    assert_eq!(fast_utc(b"2023-01-01T00:60:00Z"), None);
    assert_eq!(fast_utc(b"2023-01-01T00:00:00+"), None);
    // The cached date part is not reused for a different date.
    assert_eq!(
        fast_utc(b"2023-01-01T00:00:00Z"),
        Some(secs("2023-01-01T00:00:00Z"))
    );
    assert_eq!(
        fast_utc(b"2023-01-02T00:00:00Z"),
        Some(secs("2023-01-02T00:00:00Z"))
    );
    assert_eq!(fast_utc(b"2023-01-0xT00:00:00Z"), None);
    assert!(parse_general(b"2023-02-29T00:00:00Z").is_none());
    let p = parse_general(b"2025-02-06T09:00:00.250+05:30").unwrap();
    assert_eq!(p.wall - p.offset.unwrap(), secs("2025-02-06T03:30:00Z"));
    assert!(p.frac);
    let p = parse_general(b"2025-02-06 09:00").unwrap();
    assert_eq!(p.offset, None);
    assert_eq!(p.wall, secs("2025-02-06T09:00:00Z"));
    let p = parse_general(b"2025-02-06t09:00:00.000-0800").unwrap();
    assert!(!p.frac);
    assert_eq!(p.offset, Some(-8 * 3600));
    for bad in [
        &b"2025-02-06"[..],
        b"2025-02-06T09:00:00+25:00",
        b"2025-02-06T09:00:00.Z",
        b"2025-02-06T09:00:00 EST",
        b"06/02/2025 09:00",
        b"",
    ] {
        assert!(
            parse_general(bad).is_none(),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn local_hour_cache_matches_chrono_around_dst() {
    let tz = chrono_tz::America::New_York;
    let mut clock = Clock::new(tz);
    // Walk every 7 minutes across both 2024 changes.
    let (mut ambiguous, mut gap) = (0, 0);
    let mut t = secs("2024-03-09T00:00:00Z");
    while t < secs("2024-11-04T00:00:00Z") {
        let n = DateTime::from_timestamp(t, 0).unwrap().naive_utc();
        assert_eq!(
            clock.local(t),
            Some(crate::time::local_to_utc(tz, n)),
            "{n}"
        );
        match tz.from_local_datetime(&n) {
            LocalResult::Ambiguous(..) => ambiguous += 1,
            LocalResult::None => gap += 1,
            LocalResult::Single(_) => {}
        }
        t += if t > secs("2024-03-12T00:00:00Z") && t < secs("2024-11-01T00:00:00Z") {
            86_400 - 7
        } else {
            7 * 60
        };
    }
    // One wall time every 7 minutes over each one-hour change.
    assert!((8..=9).contains(&ambiguous) && (8..=9).contains(&gap));
    assert_eq!((clock.ambiguous, clock.gap), (ambiguous, gap));
}

/// Usage and report as plain values, for comparing two imports.
type Snapshot = (
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<String>,
    Vec<Session>,
);

fn snapshot(u: &Usage) -> Snapshot {
    let users = (0..u.users.len() as u32)
        .map(|i| u.users.name(i).to_string())
        .collect();
    let keys = (0..u.users.len() as u32)
        .map(|i| u.users.key(i).to_string())
        .collect();
    let features = u.features.names().map(str::to_string).collect();
    let hosts = u.hosts.names().map(str::to_string).collect();
    (
        users,
        keys,
        features,
        hosts,
        u.sessions.iter().copied().collect(),
    )
}

fn by_blocks(bytes: &[u8], block: usize) -> (Usage, Report) {
    let mut u = Usage::default();
    let r = read_sessions_with(
        "t.csv",
        bytes,
        bytes.len() as u64,
        chrono_tz::America::New_York,
        &mut u,
        &NoProgress,
        block,
        &mut Sink::store(),
    );
    (u, r)
}

/// Collects what a streamed import hands over.
#[derive(Default)]
struct Collect(Vec<Session>);

impl SessionSink for Collect {
    fn take(&mut self, sessions: Vec<Session>, usage: &Usage) {
        // Every id handed over is already in the usage's tables.
        for s in &sessions {
            assert!((s.user as usize) < usage.users.len());
            assert!((s.feature as usize) < usage.features.len());
            assert!((s.host as usize) < usage.hosts.len());
        }
        self.0.extend(sessions);
    }
    fn users_with_sessions(&self) -> &[bool] {
        &[]
    }
}

/// The streamed import, its sessions stored afterwards for comparing.
fn by_sink(bytes: &[u8], block: usize) -> (Usage, Report) {
    let mut u = Usage::default();
    let mut c = Collect::default();
    let r = read_sessions_with(
        "t.csv",
        bytes,
        bytes.len() as u64,
        chrono_tz::America::New_York,
        &mut u,
        &NoProgress,
        block,
        &mut Sink::to(&mut c),
    );
    assert!(u.sessions.is_empty());
    u.sessions.push_segment(c.0);
    (u, r)
}

fn by_csv(bytes: &[u8]) -> (Usage, Report) {
    let mut u = Usage::default();
    let r = read_sessions_sequential("t.csv", bytes, chrono_tz::America::New_York, &mut u);
    (u, r)
}

/// Cancels after `n` progress reports.
struct CancelAfter(std::sync::atomic::AtomicU64, u64);

impl Progress for CancelAfter {
    fn report(&self, _done: u64, _total: u64) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    fn is_cancelled(&self) -> bool {
        self.0.load(std::sync::atomic::Ordering::Relaxed) >= self.1
    }
}

#[test]
fn cancelling_stops_between_batches_and_says_so() {
    let mut text = String::from("user,product,start,end\n");
    for i in 0..200 {
        text.push_str(&format!(
            "u{i},ACD,2024-01-01T00:00:00Z,2024-01-01T01:00:00Z\n"
        ));
    }
    let progress = CancelAfter(0.into(), 3);
    let mut u = Usage::default();
    let r = read_sessions_with(
        "c.csv",
        text.as_bytes(),
        text.len() as u64,
        chrono_tz::UTC,
        &mut u,
        &progress,
        64,
        &mut Sink::store(),
    );
    assert_eq!(r.counts.get("cancelled"), Some(&1));
    let n = u.sessions.len();
    assert!(n > 0 && n < 200, "{n}");
    assert_eq!(r.counts.get("sessions"), Some(&(n as u64)));
    let done = r.problems[0].message.clone();
    assert!(done.starts_with("import cancelled after "), "{done}");
    assert!(
        done.ends_with(&format!(
            " of {} bytes; only the sessions before that point were imported",
            text.len()
        )),
        "{done}"
    );
    // Not cancelled when everything was read anyway.
    let mut u = Usage::default();
    let r = read_sessions_with(
        "c.csv",
        text.as_bytes(),
        text.len() as u64,
        chrono_tz::UTC,
        &mut u,
        &progress,
        BLOCK,
        &mut Sink::store(),
    );
    assert_eq!((r.counts.get("cancelled"), u.sessions.len()), (None, 200));
}

#[test]
fn quote_late_in_file_hands_over_to_the_csv_reader() {
    let mut text = String::from("user,product,start,end\n");
    for i in 0..50 {
        text.push_str(&format!(
            "u{i},ACD,2024-01-01T00:00:{:02}Z,2024-01-01T01:00:00Z\n",
            i % 60
        ));
    }
    text.push_str("\"late, user\",\"R\nVT\",2024-01-02T00:00:00Z,2024-01-02T01:00:00Z\n");
    text.push_str("x,ACD,2024-01-03T00:00:00Z,2024-01-02T00:00:00Z\n");
    let (u1, r1) = by_blocks(text.as_bytes(), 64);
    let (u2, r2) = by_csv(text.as_bytes());
    assert_eq!(snapshot(&u1), snapshot(&u2));
    assert_eq!(r1, r2);
    let (u3, r3) = by_sink(text.as_bytes(), 64);
    assert_eq!(snapshot(&u1), snapshot(&u3));
    assert_eq!(r1, r3);
    assert_eq!(u1.sessions.len(), 51);
    assert_eq!(u1.users.name(50), "late, user");
    assert_eq!(u1.features.name(1), "R\nVT");
    assert_eq!(r1.problems[0].line, 54);
    assert_eq!(r1.lines_read, 54);
}

fn row_strategy() -> impl Strategy<Value = String> {
    let user = prop::sample::select(vec![
        "u1",
        "U1",
        " u1",
        "alice",
        "Ünïcode",
        "",
        "bob ",
        "Firstname.Lastname@example.com",
        "firstname.lastname@EXAMPLE.com",
    ]);
    let product = prop::sample::select(vec!["ACD", "acd", "RVT", "", "C3D"]);
    let host = prop::sample::select(vec![
        "ws1",
        "",
        "WS1",
        "lt 2",
        "workstation-0042.corp.example.com",
    ]);
    let instant = prop::sample::select(vec![
        "2024-11-03T05:30:00Z",
        "2024-11-03 01:30:00",
        "2024-03-10 02:30:00",
        "2024-11-03T01:30:00.5-04:00",
        "2024-11-03T06:00:00Z",
        "1969-12-31T23:59:59Z",
        "nonsense",
        "",
    ]);
    let tokens = prop::sample::select(vec!["", "1", "6", "65536", "1.5"]);
    let shape = 0..6u8;
    (user, product, host, instant.clone(), instant, tokens, shape).prop_map(
        |(u, p, h, s, e, t, shape)| match shape {
            0 => String::new(),
            1 => format!("{u},{p}"),
            _ => format!("{u},{p},{h},{s},{e},{t}"),
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn blocks_in_parallel_equal_the_sequential_reader(
        rows in prop::collection::vec(row_strategy(), 0..40),
        crlf in any::<bool>(),
        final_newline in any::<bool>(),
        block in 1usize..200,
    ) {
        let eol = if crlf { "\r\n" } else { "\n" };
        let mut text = format!("user,product,host,start,end,tokens{eol}");
        text.push_str(&rows.join(eol));
        if final_newline {
            text.push_str(eol);
        }
        let (u1, r1) = by_blocks(text.as_bytes(), block);
        let (u2, r2) = by_csv(text.as_bytes());
        prop_assert_eq!(snapshot(&u1), snapshot(&u2));
        prop_assert_eq!(&r1, &r2);
        // Streamed: the same sessions handed over, the same report.
        let (u3, r3) = by_sink(text.as_bytes(), block);
        prop_assert_eq!(snapshot(&u1), snapshot(&u3));
        prop_assert_eq!(r1, r3);
    }
}
