//! Integration tests: the FlexNet debug log importer on real server logs.
//!
//! The logs live outside the project (`TOKENPLAN_REAL_LOGS`, default
//! `<manifest>/../shared/real-logs`); nothing of them is copied here. Every
//! pinned figure was checked by reading the log: the comments give the line
//! numbers. Session counts and skip counts were also recomputed with an
//! independent script (FIFO per daemon, feature, user, host, product).
//!
//! Server zones, from each file's own evidence:
//! - `flexlm_reporter/ansys.*`: `Server's System Date and Time: ... EST/EDT`
//!   and SLOG `Time: ... EST`→`EDT` on 2017-03-12 (US rules); the hosts are
//!   the University of Michigan's ARC-TS clusters (flux, nyx, armis, moab):
//!   `America/Detroit`.
//! - `flexlm-license-elk/adskflex_sample.log`: `Romance Daylight Time`
//!   (Windows "Romance Standard Time": Brussels, Copenhagen, Madrid, Paris,
//!   one EU rule set); the repository is Spanish: `Europe/Madrid`.
//! - `Stats_Logs_FlexLM/*`: `Hora de verano romance` (Spanish Windows,
//!   Romance zone) and `SHUTDOWN request from upm` (Universidad Politécnica
//!   de Madrid): `Europe/Madrid`.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use chrono::SecondsFormat;
use chrono_tz::Tz;
use tokenplan::ingest::flexlog::{self, counts, reasons};
use tokenplan::ingest::{ImportOptions, Report};
use tokenplan::usage::{Session, Usage, flags};

const DETROIT: Tz = chrono_tz::America::Detroit;
const MADRID: Tz = chrono_tz::Europe::Madrid;

/// The real-logs folder, or `None` (after saying so) when it is absent and
/// not asked for.
fn logs_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("TOKENPLAN_REAL_LOGS") {
        let p = PathBuf::from(p);
        assert!(
            p.is_dir(),
            "TOKENPLAN_REAL_LOGS={} is not a folder",
            p.display()
        );
        return Some(p);
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/real-logs");
    if p.is_dir() {
        Some(p)
    } else {
        println!("skipped: real logs not found at {}", p.display());
        None
    }
}

struct Imported {
    usage: Usage,
    report: Report,
}

fn import(dir: &Path, file: &str, tz: Tz) -> Imported {
    let f = std::fs::File::open(dir.join(file)).unwrap();
    let mut usage = Usage::default();
    let opts = ImportOptions {
        time_zone: tz,
        ..Default::default()
    };
    let report = flexlog::read_debug_log(file, BufReader::new(f), &opts, &mut usage);
    assert!(!report.fatal, "{file} is fatal");
    assert_eq!(
        report.lines_read,
        report.lines_used + report.lines_skipped(),
        "{file}: every line is used or skipped"
    );
    assert_eq!(
        report.counts.get(counts::SESSIONS).copied().unwrap_or(0),
        usage.sessions.len() as u64
    );
    Imported { usage, report }
}

fn rfc(secs: i64) -> String {
    tokenplan::time::utc(secs).to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn skips(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

fn count(r: &Report, what: &str) -> u64 {
    r.counts.get(what).copied().unwrap_or(0)
}

impl Imported {
    /// The session of `feature`, `user` (any case) and `host` starting at
    /// `start` (RFC 3339, UTC); exactly one must exist.
    fn session(&self, feature: &str, user: &str, host: &str, start: &str) -> Session {
        let u = &self.usage;
        let found: Vec<Session> = u
            .sessions
            .iter()
            .filter(|s| {
                u.features.name(s.feature) == feature
                    && u.users.get(user) == Some(s.user)
                    && u.hosts.name(s.host) == host
                    && rfc(s.start_secs()) == start
            })
            .copied()
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{feature} {user}@{host} at {start}: {found:?}"
        );
        found[0]
    }

    /// Asserts the end, draw and flags of that session.
    fn check(&self, feature: &str, user_host: &str, start: &str, end: &str, draw: u16, flags: u16) {
        let (user, host) = user_host.rsplit_once('@').unwrap();
        let s = self.session(feature, user, host, start);
        assert_eq!(
            (rfc(s.end_secs()).as_str(), s.draw, s.flags),
            (end, draw, flags),
            "{feature} {user_host} at {start}"
        );
    }

    fn flagged(&self, bit: u16) -> usize {
        self.usage
            .sessions
            .iter()
            .filter(|s| s.flags & bit != 0)
            .count()
    }
}

#[test]
fn ansys_2017_01_08() {
    let Some(dir) = logs_dir() else { return };
    let r = import(
        &dir,
        "flexlm_reporter/ansys.2017-01-08_17-17-45.log",
        DETROIT,
    );
    assert_eq!((r.report.lines_read, r.report.lines_used), (10_909, 2_254));
    assert_eq!(r.usage.sessions.len(), 598);
    assert_eq!(
        r.report.skipped,
        skips(&[
            (reasons::NO_ENVELOPE, 1),
            (reasons::STATISTICS, 8_584),
            (reasons::UNKNOWN, 70)
        ])
    );
    // Every OUT has its IN: nothing left open when the log ends.
    assert_eq!(count(&r.report, counts::TRUNCATED), 0);
    assert_eq!(r.report.problems.len(), 1);
    assert_eq!(
        r.report.problems[0].line, 91,
        "the vendor-name continuation line"
    );
    // Lines 120/122: banner date 1/8/2017 (line 27), 21:06:15-21:06:52 EST.
    r.check(
        "hfsshpc",
        "user001@host001",
        "2017-01-09T02:06:15Z",
        "2017-01-09T02:06:52Z",
        20,
        0,
    );
    // Lines 10829/10830: 1:46:20-2:04:23, before `TIMESTAMP 2/18/2017` at
    // 5:17:45 (line 10832) with no midnight in between.
    r.check(
        "aa_r_hpc",
        "user003@host008",
        "2017-02-18T06:46:20Z",
        "2017-02-18T07:04:23Z",
        32,
        0,
    );
}

#[test]
fn ansys_dst_excerpt_crosses_the_2017_03_12_change() {
    let Some(dir) = logs_dir() else { return };
    let r = import(
        &dir,
        "flexlm_reporter/ansys.2017-02-18_EXCERPT_lines5250-5900_DST.log",
        DETROIT,
    );
    assert_eq!((r.report.lines_read, r.report.lines_used), (651, 138));
    assert_eq!(r.usage.sessions.len(), 37);
    // Lines 137/138: INs of checkouts made before the excerpt starts.
    assert_eq!(
        r.report.skipped,
        skips(&[(reasons::IN_WITHOUT_OUT, 2), (reasons::STATISTICS, 511)])
    );
    let lines: Vec<u64> = r.report.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![137, 138]);
    assert_eq!(count(&r.report, counts::TRUNCATED), 0);
    assert_eq!(count(&r.report, counts::DATE_RESYNCS), 0);
    // Before the change (EST, UTC-5), lines 140/182, 3/11 11:45:43-17:05:06.
    r.check(
        "hfsshpc",
        "user002@host001",
        "2017-03-11T16:45:43Z",
        "2017-03-11T22:05:06Z",
        10,
        0,
    );
    // Two identical OUTs (lines 285/287, 3/11 22:39:16) closed first in,
    // first out after midnight, before any TIMESTAMP of 3/12 (lines 290 at
    // 0:09:29 and 292 at 0:10:45), still EST.
    let twins: Vec<(String, u16)> = r
        .usage
        .sessions
        .iter()
        .filter(|s| {
            rfc(s.start_secs()) == "2017-03-12T03:39:16Z"
                && r.usage.features.name(s.feature) == "hfsshpc"
        })
        .map(|s| (rfc(s.end_secs()), s.draw))
        .collect();
    assert_eq!(
        twins,
        vec![
            ("2017-03-12T05:09:29Z".to_string(), 4),
            ("2017-03-12T05:10:45Z".to_string(), 4)
        ]
    );
    // After the change (EDT, UTC-4), lines 372/421, 3/12 8:41:33-12:03:39.
    r.check(
        "hfsshpc",
        "user001@host001",
        "2017-03-12T12:41:33Z",
        "2017-03-12T16:03:39Z",
        16,
        0,
    );
    // No checkout is open across 2:00 on 3/12 in this excerpt; this one spans
    // the next midnight, in EDT: lines 484/644, 3/12 18:54:38-3/13 8:53:13.
    r.check(
        "hfsshpc",
        "user003@host001",
        "2017-03-12T22:54:38Z",
        "2017-03-13T12:53:13Z",
        6,
        0,
    );
}

#[test]
fn ansys_2017_06_08_closes_what_the_killed_server_left_open() {
    let Some(dir) = logs_dir() else { return };
    let r = import(
        &dir,
        "flexlm_reporter/ansys.2017-06-08_09-49-41.log",
        DETROIT,
    );
    assert_eq!((r.report.lines_read, r.report.lines_used), (8_991, 5_341));
    assert_eq!(r.usage.sessions.len(), 2_455);
    assert_eq!(
        r.report.skipped,
        skips(&[
            (reasons::NO_ENVELOPE, 1),
            (reasons::STATISTICS, 3_579),
            (reasons::UNKNOWN, 70)
        ])
    );
    // 2455 OUT, 2445 IN: ten checkouts open when the log stops.
    assert_eq!(count(&r.report, counts::TRUNCATED), 10);
    assert_eq!(r.flagged(flags::TRUNCATED), 10);
    // Line 8748: OUT 21:59:59 after `TIMESTAMP 6/24/2017` (line 8709), never
    // checked in; closed at the last timestamped line, 8991, `9:25:01
    // (ansyslmd) TIMESTAMP 6/25/2017`, EDT.
    r.check(
        "hfsshpc",
        "user009@host001",
        "2017-06-25T01:59:59Z",
        "2017-06-25T13:25:01Z",
        2,
        flags::TRUNCATED,
    );
    let ends: Vec<String> = r
        .usage
        .sessions
        .iter()
        .filter(|s| s.flags & flags::TRUNCATED != 0)
        .map(|s| rfc(s.end_secs()))
        .collect();
    assert!(ends.iter().all(|e| e == "2017-06-25T13:25:01Z"), "{ends:?}");
    // Lines 122/1721: 6/8 9:50:14 to 6/11 23:25:11 (after `TIMESTAMP
    // 6/11/2017`, line 1720), three days of 30 licenses.
    r.check(
        "hfsshpc",
        "user002@host002",
        "2017-06-08T13:50:14Z",
        "2017-06-12T03:25:11Z",
        30,
        0,
    );
}

#[test]
fn adskflex_elk_sample_keeps_idle_reclaims() {
    let Some(dir) = logs_dir() else { return };
    let r = import(&dir, "flexlm-license-elk/adskflex_sample.log", MADRID);
    // 11799 newlines plus a last line without one.
    assert_eq!((r.report.lines_read, r.report.lines_used), (11_800, 4_665));
    assert_eq!(r.usage.sessions.len(), 1_918);
    assert_eq!(
        r.report.skipped,
        skips(&[(reasons::STATISTICS, 7_081), (reasons::UNKNOWN, 54)])
    );
    assert!(r.report.problems.is_empty());
    assert_eq!(count(&r.report, counts::TRUNCATED), 0);
    // 248 `IN: ... (INACTIVE)` lines, each closing an open checkout.
    assert_eq!(count(&r.report, counts::IDLE_RECLAIMS), 248);
    assert_eq!(r.flagged(flags::INACTIVE), 248);
    // Lines 2075/2123: 4/4/2016 (TIMESTAMPs at lines 2042 and 2125),
    // 17:51:40 to the idle reclaim at 19:53:11, CEST (UTC+2).
    r.check(
        "64300ACD_F",
        "USER033@host033",
        "2016-04-04T15:51:40Z",
        "2016-04-04T17:53:11Z",
        0,
        flags::INACTIVE,
    );
    r.check(
        "85730ACD_2012_0F",
        "USER033@host033",
        "2016-04-04T15:51:40Z",
        "2016-04-04T17:53:11Z",
        0,
        flags::INACTIVE,
    );
    // Lines 2055/2062: the same user's previous launch, checked in normally.
    r.check(
        "64300ACD_F",
        "USER033@host033",
        "2016-04-04T14:36:07Z",
        "2016-04-04T14:41:18Z",
        0,
        0,
    );
}

#[test]
fn stats_autodesk_excerpt() {
    let Some(dir) = logs_dir() else { return };
    let r = import(
        &dir,
        "Stats_Logs_FlexLM/autodesk_EXCERPT_lines1-700.log",
        MADRID,
    );
    assert_eq!((r.report.lines_read, r.report.lines_used), (700, 270));
    assert_eq!(r.usage.sessions.len(), 122);
    assert_eq!(
        r.report.skipped,
        skips(&[
            (reasons::STATISTICS, 270),
            (reasons::UNKNOWN, 158),
            (reasons::UNSUPPORTED, 2)
        ])
    );
    // Lines 232/235, banner 5/5/2022 (line 27): 8:44:36-8:44:48 CEST.
    r.check(
        "64300ACD_F",
        "USER001@host003",
        "2022-05-05T06:44:36Z",
        "2022-05-05T06:44:48Z",
        0,
        0,
    );
    // Lines 227/314: USER001 checks in 64801INVPROSA_F at 12:58:55.
    r.check(
        "64801INVPROSA_F",
        "USER001@host001",
        "2022-05-05T06:42:45Z",
        "2022-05-05T10:58:55Z",
        0,
        0,
    );
    // Lines 236/238 (two OUTs) and 258/340 (two INs): first in, first out.
    r.check(
        "64801INVPROSA_F",
        "user001@host004",
        "2022-05-05T08:01:09Z",
        "2022-05-05T10:05:19Z",
        0,
        0,
    );
    r.check(
        "64801INVPROSA_F",
        "user001@host004",
        "2022-05-05T08:04:12Z",
        "2022-05-05T13:33:30Z",
        0,
        0,
    );
    // USER001 and user001 are one user.
    assert_eq!(r.usage.users.get("USER001"), r.usage.users.get("user001"));
}

#[test]
fn stats_maple_with_byte_order_mark_and_accented_user() {
    let Some(dir) = logs_dir() else { return };
    let r = import(&dir, "Stats_Logs_FlexLM/maple_full_BOM.log", MADRID);
    assert_eq!((r.report.lines_read, r.report.lines_used), (6_514, 1_248));
    assert_eq!(r.usage.sessions.len(), 262);
    // Line 1 starts with the BOM and still has its envelope (no
    // "no envelope" below).
    assert_eq!(
        r.report.skipped,
        skips(&[
            (reasons::BLANK, 1),
            (reasons::STATISTICS, 5_218),
            (reasons::UNKNOWN, 47)
        ])
    );
    assert!(r.report.problems.is_empty());
    // Lines 4935-4954, 7/1/2022 (TIMESTAMP line 4894), CEST: four OUTs
    // (7:59:57, 8:00:01, 8:00:15, 8:02:56) and a fifth at 8:04:37 closed in
    // order by the INs at 8:04:10, 10:00:07, 10:00:11, 10:00:24, 10:04:47.
    let user = "Usuário Núm 007@host026";
    r.check(
        "Maple",
        user,
        "2022-07-01T05:59:57Z",
        "2022-07-01T06:04:10Z",
        0,
        0,
    );
    r.check(
        "Maple",
        user,
        "2022-07-01T06:00:01Z",
        "2022-07-01T08:00:07Z",
        0,
        0,
    );
    r.check(
        "Maple",
        user,
        "2022-07-01T06:02:56Z",
        "2022-07-01T08:00:24Z",
        0,
        0,
    );
    r.check(
        "Maple2020",
        user,
        "2022-07-01T06:04:37Z",
        "2022-07-01T08:04:47Z",
        0,
        0,
    );
    let id = r.usage.users.get("Usuário Núm 007").unwrap();
    assert_eq!(r.usage.users.name(id), "Usuário Núm 007");
}

#[test]
fn stats_matlab_excerpt_with_unsupported_probes() {
    let Some(dir) = logs_dir() else { return };
    let r = import(
        &dir,
        "Stats_Logs_FlexLM/matlab_EXCERPT_lines1-600.log",
        MADRID,
    );
    assert_eq!((r.report.lines_read, r.report.lines_used), (600, 466));
    assert_eq!(r.usage.sessions.len(), 419);
    assert_eq!(
        r.report.skipped,
        skips(&[
            (reasons::STATISTICS, 50),
            (reasons::UNKNOWN, 76),
            (reasons::UNSUPPORTED, 8)
        ])
    );
    // The excerpt stops mid-day: 419 OUTs, 43 INs.
    assert_eq!(count(&r.report, counts::TRUNCATED), 376);
    // Lines 141/561, banner 6/9/2022 (line 26): 10:25:43-13:24:32 CEST.
    r.check(
        "MATLAB",
        "Usuário Núm 005@host008",
        "2022-06-09T08:25:43Z",
        "2022-06-09T11:24:32Z",
        0,
        0,
    );
    // Line 131: never checked in; closed at the last line, 600 (13:31:13).
    r.check(
        "MATLAB",
        "user001@host001",
        "2022-06-09T08:25:38Z",
        "2022-06-09T11:31:13Z",
        0,
        flags::TRUNCATED,
    );
}

#[test]
fn stats_matlab_shutdown_excerpt() {
    let Some(dir) = logs_dir() else { return };
    let r = import(
        &dir,
        "Stats_Logs_FlexLM/matlab_EXCERPT_lines26900-27048_shutdown.log",
        MADRID,
    );
    assert_eq!((r.report.lines_read, r.report.lines_used), (149, 8));
    // The excerpt holds no OUT line at all: each of its 59 INs (19 of them
    // `(SHUTDOWN)`, lines 130-149 but 133) closes a checkout made before it
    // starts. They are reported, not invented, so no session (and none
    // SHUTDOWN-flagged) comes out of it.
    assert!(r.usage.sessions.is_empty());
    assert_eq!(r.flagged(flags::SHUTDOWN), 0);
    assert_eq!(
        r.report.skipped,
        skips(&[
            (reasons::BLANK, 1),
            (reasons::IN_WITHOUT_OUT, 59),
            (reasons::NO_ENVELOPE, 1),
            (reasons::STATISTICS, 74),
            (reasons::UNKNOWN, 6),
        ])
    );
    let shutdown_lines: Vec<u64> = r
        .report
        .problems
        .iter()
        .filter(|p| p.message.contains("(SHUTDOWN) with no open checkout"))
        .map(|p| p.line)
        .collect();
    let expected: Vec<u64> = (130..=149).filter(|&l| l != 133).collect();
    assert_eq!(shutdown_lines, expected);
    // Line 129, "Shut down FlexNet MLM license server system ...", has no time.
    assert!(
        r.report
            .problems
            .iter()
            .any(|p| p.line == 129 && p.message.contains("no `H:MM:SS (daemon)` envelope"))
    );
}

#[test]
fn every_real_log_is_recognised_and_none_is_fatal() {
    let Some(dir) = logs_dir() else { return };
    let mut seen = 0;
    for folder in std::fs::read_dir(&dir).unwrap() {
        let folder = folder.unwrap().path();
        if !folder.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&folder).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_none_or(|e| e != "log") {
                continue;
            }
            let bytes = std::fs::read(&f).unwrap();
            let head = &bytes[..bytes.len().min(4096)];
            assert!(flexlog::looks_like_debug_log(head), "{}", f.display());
            let mut usage = Usage::default();
            let r =
                flexlog::read_debug_log("x.log", &bytes[..], &ImportOptions::default(), &mut usage);
            assert!(!r.fatal);
            assert_eq!(r.lines_read, r.lines_used + r.lines_skipped());
            seen += 1;
        }
        // The licence files next to the logs are not debug logs.
        let licence = folder.join("LICENSE");
        if let Ok(bytes) = std::fs::read(&licence) {
            assert!(
                !flexlog::looks_like_debug_log(&bytes[..bytes.len().min(4096)]),
                "{}",
                licence.display()
            );
        }
    }
    assert_eq!(seen, 8);
}
