//! `lmstat -a` snapshot series and RLM report logs (SPEC §1.5): fixtures in
//! the formats' own grammar with sessions and denials worked out by hand.

use tokenplan::ingest::{ImportOptions, Report, SourceKind, detect, import_bytes, lmstat, rlm};
use tokenplan::progress::NoProgress;
use tokenplan::usage::{Usage, flags};

/// (user, feature, host, start as RFC 3339 UTC, duration s, draw, flags).
type Row = (String, String, String, String, u32, u16, u16);

fn import(name: &str, bytes: &[u8], zone: chrono_tz::Tz) -> (Usage, Report) {
    let opts = ImportOptions {
        time_zone: zone,
        ..ImportOptions::default()
    };
    let mut usage = Usage::default();
    let report = import_bytes(name, bytes, &opts, &mut usage, &NoProgress).unwrap();
    (usage, report)
}

fn rows(usage: &Usage) -> Vec<Row> {
    let mut rows: Vec<Row> = usage
        .sessions
        .iter()
        .map(|s| {
            (
                usage.users.name(s.user).to_string(),
                usage.features.name(s.feature).to_string(),
                usage.hosts.name(s.host).to_string(),
                tokenplan::time::utc(s.start_secs()).to_rfc3339(),
                s.dur,
                s.draw,
                s.flags,
            )
        })
        .collect();
    rows.sort();
    rows
}

fn row(u: &str, f: &str, h: &str, start: &str, dur: u32, draw: u16, fl: u16) -> Row {
    (u.into(), f.into(), h.into(), start.into(), dur, draw, fl)
}

const LMSTAT: &[u8] = include_bytes!("../data/lmstat_series.txt");
const RLM_STD: &[u8] = include_bytes!("../data/rlm_report_std.log");
const RLM_SMALL: &[u8] = include_bytes!("../data/rlm_report_small.log");
const RLM_DETAILED: &[u8] = include_bytes!("../data/rlm_report_detailed.log");

#[test]
fn both_kinds_are_detected_from_content() {
    assert_eq!(detect("poll.txt", LMSTAT), Some(SourceKind::Lmstat));
    assert_eq!(detect("x.log", RLM_STD), Some(SourceKind::Rlm));
    assert_eq!(detect("x.log", RLM_SMALL), Some(SourceKind::Rlm));
    // Without the format line: the records tell.
    let body: Vec<&str> = std::str::from_utf8(RLM_STD)
        .unwrap()
        .lines()
        .skip(5)
        .collect();
    assert_eq!(
        detect("x.log", body.join("\n").as_bytes()),
        Some(SourceKind::Rlm)
    );
    assert_eq!("lmstat".parse::<SourceKind>(), Ok(SourceKind::Lmstat));
    assert_eq!("RLM".parse::<SourceKind>(), Ok(SourceKind::Rlm));
    // Neither claims the other's file, nor a CSV.
    assert!(!lmstat::looks_like_lmstat(RLM_STD));
    assert!(!rlm::looks_like_rlm(LMSTAT));
    assert!(!rlm::looks_like_rlm(
        b"user,product,start,end\nOUT,IN,1,2\n"
    ));
}

/// Three snapshots of one server in New York (EST, UTC-5) at 9:00, 10:00
/// and 11:00 on Mon 2026-01-05.
///
/// - ann (ACD, handle 101, start 1/5 8:15) is in snapshots 1 and 2, not 3:
///   08:15 to 11:00 EST = 13:15Z + 2 h 45 min = 9,900 s.
/// - bob (ACD, start Sun 1/4 17:40) is only in snapshot 1: he ends between
///   snapshots, at snapshot 2 (10:00 EST = 15:00Z): from 22:40Z on 1/4,
///   16 h 20 min = 58,800 s.
/// - cy (RVT, `2 licenses`, start Wed 12/31 23:30) is in all three: 12/31
///   in 2026 would be after the snapshot, so it is 2025-12-31 23:30 EST =
///   2026-01-01 04:30Z, closed at the last snapshot (16:00Z) and flagged
///   open: 4 days 11 h 30 min = 387,000 s, draw 2.
/// - dee (ACD, start 1/5 9:30) appears in snapshot 2 and stays: 14:30Z to
///   16:00Z = 5,400 s, flagged open.
/// - eve is queued (not a checkout); a reservation line is not one either.
#[test]
fn lmstat_series_of_three_snapshots() {
    let (usage, report) = import("poll.txt", LMSTAT, chrono_tz::America::New_York);
    assert_eq!(report.kind, Some(SourceKind::Lmstat));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    const ACD: &str = "87545ACD_2026_0F";
    const RVT: &str = "87545RVT_2026_0F";
    const T: u16 = flags::TRUNCATED;
    assert_eq!(
        rows(&usage),
        vec![
            row(
                "ann",
                ACD,
                "WS-ANN",
                "2026-01-05T13:15:00+00:00",
                9_900,
                0,
                0
            ),
            row(
                "bob",
                ACD,
                "WS-BOB",
                "2026-01-04T22:40:00+00:00",
                58_800,
                0,
                0
            ),
            row(
                "cy",
                RVT,
                "WS-CY",
                "2026-01-01T04:30:00+00:00",
                387_000,
                2,
                T
            ),
            row(
                "dee",
                ACD,
                "WS-DEE",
                "2026-01-05T14:30:00+00:00",
                5_400,
                0,
                T
            ),
        ]
    );
    assert_eq!(report.counts["snapshots"], 3);
    assert_eq!(report.counts["sessions"], 4);
    assert_eq!(report.counts["open at the last snapshot"], 2);
    assert_eq!(report.skipped["queued"], 1);
    assert_eq!(report.skipped["reservation"], 1);
    // Every line is accounted for: used or skipped.
    assert_eq!(
        report.lines_read,
        report.lines_used + report.lines_skipped(),
        "{report:?}"
    );
}

#[test]
fn lmstat_bad_lines_failed_polls_and_disorder_are_reported() {
    let text = "\
Flexible License Manager status on Mon 1/5/2026 9:00
Users of F:  (Total of 2 licenses issued;  Total of 1 license in use)
    ann ws1 ws1 (v1.0) (lic/27000 1), start Mon 1/5 8:00
    garbage line, start of nothing
Flexible License Manager status on Mon 1/5/2026 9:30
lmgrd is not running: License server machine is down or not responding. (-96,7:2 \"No such file or directory\")
Flexible License Manager status on Mon 1/5/2026 8:00
Users of F:  (Total of 2 licenses issued;  Total of 0 licenses in use)
Flexible License Manager status on Mon 1/5/2026 10:00
Users of F:  (Total of 2 licenses issued;  Total of 0 licenses in use)
";
    let (usage, report) = import("p.txt", text.as_bytes(), chrono_tz::UTC);
    // The failed poll at 9:30 and the out-of-order 8:00 snapshot close
    // nothing: ann runs 8:00 to 10:00.
    assert_eq!(
        rows(&usage),
        vec![row(
            "ann",
            "F",
            "ws1",
            "2026-01-05T08:00:00+00:00",
            7_200,
            0,
            0
        )]
    );
    let lines: Vec<u64> = report.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![4, 5, 7], "{:?}", report.problems);
    assert!(
        report.problems[0]
            .message
            .contains("cannot read this user line")
    );
    assert!(report.problems[1].message.contains("lists no feature"));
    assert!(report.problems[2].message.contains("time order"));
    assert_eq!(
        report.lines_read,
        report.lines_used + report.lines_skipped()
    );
    // Not lmstat at all: a clear whole-file problem.
    let (_, report) = import_kind("x.txt", b"hello\n", SourceKind::Lmstat);
    assert!(report.fatal);
}

fn import_kind(name: &str, bytes: &[u8], kind: SourceKind) -> (Usage, Report) {
    let opts = ImportOptions {
        time_zone: chrono_tz::UTC,
        kind: Some(kind),
        ..ImportOptions::default()
    };
    let mut usage = Usage::default();
    let report = import_bytes(name, bytes, &opts, &mut usage, &NoProgress).unwrap();
    (usage, report)
}

/// A `std` report log of a server in Chicago (CST, UTC-6 on 2026-03-02;
/// the TIMEZONE line `360 1` agrees with America/Chicago).
///
/// - eve: INUSE from 03/01 22:10 (before the log), IN why 2 at 03/02
///   12:30: 04:10Z to 18:30Z = 14 h 20 min = 51,600 s.
/// - ann: 08:15:30 to 11:45:30 = 12,600 s, from 14:15:30Z.
/// - bob: mesher, 2 licenses, 09:00 to 12:00 = 10,800 s; IN why 4 (server
///   timeout) is an idle reclaim.
/// - dee: OUT 16:20, still open at END 17:00: 2,400 s, truncated (the
///   INUSE line before END repeats it and adds nothing).
/// - cy: DENY last_attempt 0 at 09:05 (newer server: a process id before
///   the date) is retried elsewhere, not a denial; DENY last_attempt 1 at
///   09:06 CST = 15:06Z is one denial.
/// - zed: IN with no OUT: skipped and reported.
#[test]
fn rlm_std_report_log() {
    let (usage, report) = import("cfd.log", RLM_STD, chrono_tz::America::Chicago);
    assert_eq!(report.kind, Some(SourceKind::Rlm));
    assert_eq!(
        rows(&usage),
        vec![
            row(
                "ann",
                "solver",
                "ws-ann",
                "2026-03-02T14:15:30+00:00",
                12_600,
                1,
                0
            ),
            row(
                "bob",
                "mesher",
                "ws-bob",
                "2026-03-02T15:00:00+00:00",
                10_800,
                2,
                flags::INACTIVE
            ),
            row(
                "dee",
                "solver",
                "ws-dee",
                "2026-03-02T22:20:00+00:00",
                2_400,
                1,
                flags::TRUNCATED
            ),
            row(
                "eve",
                "solver",
                "ws-eve",
                "2026-03-02T04:10:00+00:00",
                51_600,
                1,
                0
            ),
        ]
    );
    assert_eq!(usage.denials.len(), 1);
    let d = &usage.denials[0];
    assert_eq!(
        tokenplan::time::utc(d.at).to_rfc3339(),
        "2026-03-02T15:06:00+00:00"
    );
    assert_eq!(
        (
            usage.users.name(d.user),
            usage.features.name(d.feature),
            d.count
        ),
        ("cy", "solver", 1)
    );
    assert_eq!(
        report.counts["refusals retried elsewhere (last_attempt 0)"],
        1
    );
    assert_eq!(report.counts["denials"], 1);
    assert_eq!(report.counts["idle reclaims"], 1);
    assert_eq!(report.counts["truncated sessions"], 1);
    assert_eq!(report.counts["checkouts from before the log"], 1);
    assert_eq!(report.skipped["IN without OUT"], 1);
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].line, 20);
    assert_eq!(
        report.lines_read,
        report.lines_used + report.lines_skipped()
    );
}

/// The same server's log read with the wrong import zone (New York): the
/// TIMEZONE line (UTC-6 with daylight saving) wins, and the problem says
/// that its daylight-saving dates are unknown. ann's 08:15:30 is still
/// 14:15:30Z.
#[test]
fn rlm_timezone_line_gives_the_offset() {
    let (usage, report) = import("cfd.log", RLM_STD, chrono_tz::America::New_York);
    let ann = rows(&usage).into_iter().find(|r| r.0 == "ann").unwrap();
    assert_eq!(ann.3, "2026-03-02T14:15:30+00:00");
    assert!(
        report.problems.iter().any(|p| p.line == 7
            && p.message.contains("UTC-06:00 with daylight saving")
            && p.message.contains("--time-zone")),
        "{:?}",
        report.problems
    );
}

/// A `small` log (hh:mm only on checkouts and checkins) with `TIMEZONE 0 0`
/// (UTC, no daylight saving) read with a New York import zone: the line's
/// offset is used. bob's checkin at 00:20 is 23 h 35 min behind the clock
/// (23:55): the next day. ann 23:10 to 23:55 = 2,700 s; bob 23:50 to 00:20
/// = 1,800 s; the DENY's 01/01 is 2026 (nearest the clock).
#[test]
fn rlm_small_report_log_across_midnight() {
    let (usage, report) = import("small.log", RLM_SMALL, chrono_tz::America::New_York);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        rows(&usage),
        vec![
            row(
                "ann",
                "solver",
                "ws-ann",
                "2025-12-31T23:10:00+00:00",
                2_700,
                1,
                0
            ),
            row(
                "bob",
                "solver",
                "ws-bob",
                "2025-12-31T23:50:00+00:00",
                1_800,
                1,
                0
            ),
        ]
    );
    assert_eq!(
        tokenplan::time::utc(usage.denials[0].at).to_rfc3339(),
        "2026-01-01T00:30:00+00:00"
    );
}

/// A `detailed` log read in UTC: fractions of seconds dropped, fields after
/// the date ignored; fay's token checkout (product `tokens`, requested
/// `postproc`, count 4) is a use of postproc drawing 4; gus is still out at
/// the SHUTDOWN (17:00 to 18:00 = 3,600 s, flagged).
#[test]
fn rlm_detailed_report_log_with_tokens_and_shutdown() {
    let (usage, report) = import("d.log", RLM_DETAILED, chrono_tz::UTC);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(
        rows(&usage),
        vec![
            row(
                "ann",
                "solver",
                "ws-ann",
                "2026-03-02T08:15:30+00:00",
                3_600,
                1,
                0
            ),
            row(
                "fay",
                "postproc",
                "ws-fay",
                "2026-03-02T13:00:00+00:00",
                3_600,
                4,
                0
            ),
            row(
                "gus",
                "solver",
                "ws-gus",
                "2026-03-02T17:00:00+00:00",
                3_600,
                1,
                flags::SHUTDOWN
            ),
        ]
    );
    assert_eq!(report.counts["token checkouts"], 1);
    assert_eq!(report.counts["closed at shutdown"], 1);
}

#[test]
fn rlm_records_before_any_date_and_bad_records() {
    let text = "\
OUT solver 1.0 1 ann ws \"\" 1 1 0 2b 0 1f \"\" \"solver\" \"1.0\" 03/02 08:00:00
START lic 03/02/2026 07:00
OUT solver 1.0 1 bob ws \"\" x 1 0 2c 0 1f \"\" \"solver\" \"1.0\" 03/02 08:00:00
DENY solver 1.0 cy ws \"\" 1 -22 maybe 03/02 08:00
IN 1 solver 1.0
";
    let (usage, report) = import_kind("r.log", text.as_bytes(), SourceKind::Rlm);
    assert!(usage.sessions.is_empty());
    let lines: Vec<u64> = report.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![3, 4, 5, 1], "{:?}", report.problems);
    assert!(
        report.problems[3]
            .message
            .contains("before the log gave its date")
    );
    assert_eq!(
        report.lines_read,
        report.lines_used + report.lines_skipped()
    );
}
