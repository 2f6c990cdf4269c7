//! Unit tests of the debug log importer: every case is read line by line
//! and in blocks (of every size down to a few bytes), and both readers must
//! give the same usage and report.

use chrono::{NaiveDate, SecondsFormat};
use chrono_tz::Tz;

use super::grammar::envelope;
use super::*;
use crate::usage::flags;

const NY: Tz = chrono_tz::America::New_York;

/// What a reader made of a log: sessions, user, feature and host names,
/// denials.
#[derive(Debug, PartialEq)]
struct Snapshot {
    sessions: Vec<crate::usage::Session>,
    users: Vec<String>,
    features: Vec<String>,
    hosts: Vec<String>,
    denials: Vec<crate::usage::Denial>,
}

fn snapshot(u: &Usage) -> Snapshot {
    Snapshot {
        sessions: u.sessions.iter().copied().collect(),
        users: (0..u.users.len() as u32)
            .map(|i| u.users.name(i).to_string())
            .collect(),
        features: u.features.names().map(str::to_string).collect(),
        hosts: u.hosts.names().map(str::to_string).collect(),
        denials: u.denials.clone(),
    }
}

/// Reads `text` with `opts` line by line, then in blocks of several sizes;
/// all must agree. Returns the line-by-line result.
fn import_with(text: &[u8], opts: &ImportOptions) -> (Usage, Report) {
    let mut usage = Usage::default();
    let report = read_debug_log_sequential("t.log", text, opts, &mut usage);
    assert_eq!(
        report.lines_read,
        report.lines_used + report.lines_skipped(),
        "every line is used or skipped: {report:?}"
    );
    let expected = snapshot(&usage);
    for block in [1, 7, 64, 1000, parallel::BLOCK] {
        let mut u = Usage::default();
        let r = read_debug_log_in_blocks("t.log", text, opts, &mut u, block);
        assert_eq!(r, report, "report with blocks of {block} bytes");
        assert_eq!(snapshot(&u), expected, "usage with blocks of {block} bytes");
    }
    (usage, report)
}

fn import_tz(text: &[u8], tz: Tz) -> (Usage, Report) {
    let opts = ImportOptions {
        time_zone: tz,
        ..ImportOptions::default()
    };
    let (u, r) = import_with(text, &opts);
    assert!(!r.fatal);
    (u, r)
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
fn a_log_without_any_date_is_one_error_that_asks_for_the_start_date() {
    let text = concat!(
        " 9:00:00 (vd) OUT: \"F\" a@h\n",
        " 9:05:00 (vd) Server started on srv for:\tF\n",
        " 9:10:00 (vd) IN: \"F\" a@h\n",
        "garbage\n",
        " 9:20:00 (vd) OUT: \"F\" a@h\n",
        " 9:30:00 (vd) IN: \"G\" a@h\n",
        " 9:40:00 (vd) OUT: \"F\"\n",
    );
    let (u, r) = import_with(text.as_bytes(), &ImportOptions::default());
    assert!(u.sessions.is_empty());
    assert!(r.fatal);
    // All five event lines (the IN without OUT and the unreadable OUT
    // included: without a date nothing about them can be used) are "no
    // date"; the other two lines are what they always are.
    assert_eq!(
        skipped(&r),
        vec![("no date", 5), ("no envelope", 1), ("unknown message", 1)]
    );
    // One error for the whole file, first; then the garbage line's own.
    let lines: Vec<u64> = r.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, vec![0, 4]);
    assert_eq!(
        r.problems[0].to_string(),
        "t.log: the log never gives its date (no TIMESTAMP line, server start banner or \"Server's System Date and Time\" line), so none of its 5 event lines can be placed in time and nothing was imported; give the date of its first line (line 1, 9:00:00) with --start-date YYYY-MM-DD"
    );
}

#[test]
fn the_start_date_dates_a_log_without_anchor_from_its_first_line() {
    // The first line is on 2024-03-09; 23:50 -> 0:20 is more than 90
    // minutes back, so the next day (the 90-minute rule); 2024-03-10 is
    // New York's spring-forward day (EDT, UTC-4, from 03:00).
    let text = concat!(
        "22:00:00 (vd) OUT: \"F\" a@h\n",
        "23:50:00 (vd) DENIED: \"F\" b@h  (Licensed number of users already reached. (-4,342))\n",
        " 0:20:00 (vd) IN: \"F\" a@h\n",
        " 3:30:00 (vd) OUT: \"F\" c@h\n",
        " 4:00:00 (vd) IN: \"X\" c@h\n",
    );
    let opts = ImportOptions {
        start_date: NaiveDate::from_ymd_opt(2024, 3, 9),
        ..ImportOptions::default()
    };
    let (u, r) = import_with(text.as_bytes(), &opts);
    assert!(!r.fatal);
    let s = sessions(&u);
    // EST (UTC-5): 22:00 on 3/9 is 03:00Z on 3/10; 0:20 on 3/10 is 05:20Z.
    assert_eq!(
        (s[0].1.as_str(), s[0].3.as_str(), s[0].4.as_str()),
        ("a", "2024-03-10T03:00:00Z", "2024-03-10T05:20:00Z")
    );
    // 3:30 EDT is 07:30Z; never checked in (the IN is of another feature),
    // closed at the last line, 4:00 EDT = 08:00Z.
    assert_eq!(
        (s[1].1.as_str(), s[1].3.as_str(), s[1].4.as_str(), s[1].6),
        (
            "c",
            "2024-03-10T07:30:00Z",
            "2024-03-10T08:00:00Z",
            flags::TRUNCATED
        )
    );
    assert_eq!(rfc(u.denials[0].at), "2024-03-10T04:50:00Z");
    assert_eq!(count(&r, counts::START_DATE), 1);
    // The IN of another feature is reported at its line, as in any log.
    assert_eq!(skipped(&r), vec![("IN without OUT", 1)]);
    assert_eq!(r.problems[0].line, 5);
    // A log that has anchors keeps its own dates: the start date is unused.
    let (u, r) = import_with(
        b" 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n 9:10:00 (vd) OUT: \"F\" a@h\n",
        &opts,
    );
    assert_eq!(sessions(&u)[0].3, "2024-03-01T14:10:00Z");
    assert_eq!(count(&r, counts::START_DATE), 0);
}

#[test]
fn an_in_closes_the_oldest_out_with_its_count_then_the_oldest() {
    let (u, _) = import(concat!(
        " 9:00:00 (lmgrd) TIMESTAMP 6/8/2017\n",
        " 9:01:00 (ansyslmd) OUT: \"hfsshpc\" u1@n1  (8 licenses) \n",
        " 9:02:00 (ansyslmd) OUT: \"hfsshpc\" u1@n1  (6 licenses) \n",
        " 9:03:00 (ansyslmd) OUT: \"hfsshpc\" u1@n2  (4 licenses) \n",
        " 9:04:00 (ansyslmd) OUT: \"hfsshpc\" u1@n1  (6 licenses) \n",
        " 9:10:00 (ansyslmd) IN: \"hfsshpc\" u1@n1  (6 licenses) \n",
        " 9:20:00 (ansyslmd) IN: \"hfsshpc\" U1@n1  (8 licenses) \n",
        " 9:30:00 (ansyslmd) IN: \"hfsshpc\" u1@n2  (4 licenses) \n",
        " 9:40:00 (ansyslmd) IN: \"hfsshpc\" u1@n1  (5 licenses) \n",
    ));
    let s = sessions(&u);
    // EDT: UTC-4. SPEC §1.2: the IN of 6 closes the oldest OUT of 6
    // (9:02), not the oldest OUT (9:01, 8 licenses), which the IN of 8
    // closes at 9:20.
    assert_eq!(
        (s[0].3.as_str(), s[0].4.as_str(), s[0].5),
        ("2017-06-08T13:02:00Z", "2017-06-08T13:10:00Z", 6)
    );
    assert_eq!(
        (s[1].3.as_str(), s[1].4.as_str(), s[1].5),
        ("2017-06-08T13:01:00Z", "2017-06-08T13:20:00Z", 8)
    );
    assert_eq!((s[2].2.as_str(), s[2].5), ("n2", 4));
    // No open OUT of 5: the oldest one left (9:04, 6 licenses).
    assert_eq!(
        (s[3].3.as_str(), s[3].4.as_str(), s[3].5),
        ("2017-06-08T13:04:00Z", "2017-06-08T13:40:00Z", 6)
    );
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
    // The zero-length DOORS pair beside the token checkout of DOORS in the
    // same second is IBM's entitlement record (SPEC §1.2): not a session.
    // The token pool checkout: the product from the brackets, 3 tokens.
    assert_eq!(
        sessions(&u)
            .iter()
            .map(|s| (s.0.as_str(), s.3.as_str(), s.4.as_str(), s.5))
            .collect::<Vec<_>>(),
        vec![("DOORS", "2024-03-01T19:46:39Z", "2024-03-01T20:00:00Z", 3)]
    );
    assert_eq!(count(&r, counts::ENTITLEMENT_RECORDS), 1);
    assert_eq!(r.lines_used, 6);
    assert_eq!(
        u.denials[0].reason,
        "Licensed number of users already reached. (-4,342:10054 )"
    );
    assert_eq!(u.features.len(), 1, "TLSTOK-token is a matching key only");
    assert!(r.problems.is_empty());
}

#[test]
fn rlks_tlstok_takes_the_product_and_draw_from_the_line() {
    let cd =
        "[ClearQuest#u#mike#u##s#abcgea91nk9#s##h#rock.example.com#h##p#Rational ClearQuest#p#]";
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

#[test]
fn entitlement_records_are_dropped_only_beside_a_token_checkout_of_their_product() {
    let (u, r) = import(concat!(
        " 9:00:00 (lmgrd) TIMESTAMP 3/4/2025\n",
        // RLKS order: the pair, then the token checkout of DOORS.
        "10:00:00 (ibmratl) OUT: \"DOORS\" ann@h1 [#u#ann#u#]\n",
        "10:00:00 (ibmratl) IN: \"DOORS\" ann@h1 [#u#ann#u#]\n",
        "10:00:00 (ibmratl) OUT: \"TLSTOK\" ann@h1 [DOORS#u#ann#u#] (4 licenses)\n",
        // No token checkout in that second: use.
        "10:00:00 (ibmratl) OUT: \"DOORS\" bob@h2 [#u#bob#u#]\n",
        "10:00:00 (ibmratl) IN: \"DOORS\" bob@h2 [#u#bob#u#]\n",
        "10:00:01 (ibmratl) OUT: \"TLSTOK\" bob@h2 [DOORS#u#bob#u#] (4 licenses)\n",
        // Telelogic order: the token checkout first. The ETM pair is not
        // of the product the tokens were for: use.
        "10:05:00 (telelogic) OUT: TLSTOK-token carl@h3 [DOORS] (3 licenses)\n",
        "10:05:00 (telelogic) OUT: DOORS carl@h3 [telelogic]\n",
        "10:05:00 (telelogic) IN: DOORS carl@h3 [telelogic]\n",
        "10:05:00 (telelogic) OUT: ETM carl@h3 [telelogic]\n",
        "10:05:00 (telelogic) IN: ETM carl@h3 [telelogic]\n",
        // Another host: use.
        "10:10:00 (ibmratl) OUT: \"TLSTOK\" dave@h4 [DOORS#u#dave#u#] (4 licenses)\n",
        "10:10:00 (ibmratl) OUT: \"DOORS\" dave@h5 [#u#dave#u#]\n",
        "10:10:00 (ibmratl) IN: \"DOORS\" dave@h5 [#u#dave#u#]\n",
        // Not zero-length (10:20:00 to 10:20:05): use.
        "10:20:00 (ibmratl) OUT: \"DOORS\" erin@h6 [#u#erin#u#]\n",
        "10:20:05 (ibmratl) OUT: \"TLSTOK\" erin@h6 [DOORS#u#erin#u#] (4 licenses)\n",
        "10:20:05 (ibmratl) IN: \"DOORS\" erin@h6 [#u#erin#u#]\n",
        "11:00:00 (ibmratl) IN: \"TLSTOK\" ann@h1 [DOORS#u#ann#u#] (4 licenses)\n",
    ));
    // ann's and carl's DOORS pairs are IBM's entitlement records.
    assert_eq!(count(&r, counts::ENTITLEMENT_RECORDS), 2);
    // Use of the products' own features (draw 0: the product's rate),
    // EST (UTC-5).
    let mut own: Vec<(String, String, String, String, String)> = sessions(&u)
        .into_iter()
        .filter(|s| s.5 == 0)
        .map(|s| (s.1, s.2, s.0, s.3, s.4))
        .collect();
    own.sort();
    let row = |u: &str, h: &str, f: &str, a: &str, b: &str| {
        (u.into(), h.into(), f.into(), a.into(), b.into())
    };
    assert_eq!(
        own,
        vec![
            row(
                "bob",
                "h2",
                "DOORS",
                "2025-03-04T15:00:00Z",
                "2025-03-04T15:00:00Z"
            ),
            row(
                "carl",
                "h3",
                "ETM",
                "2025-03-04T15:05:00Z",
                "2025-03-04T15:05:00Z"
            ),
            row(
                "dave",
                "h5",
                "DOORS",
                "2025-03-04T15:10:00Z",
                "2025-03-04T15:10:00Z"
            ),
            row(
                "erin",
                "h6",
                "DOORS",
                "2025-03-04T15:20:00Z",
                "2025-03-04T15:20:05Z"
            ),
        ]
    );
    // Five token checkouts; ann's is the only one checked in.
    let tokens: Vec<(String, u16, u16)> = sessions(&u)
        .into_iter()
        .filter(|s| s.5 > 0)
        .map(|s| (s.1, s.5, s.6))
        .collect();
    assert_eq!(tokens.len(), 5);
    assert!(tokens.contains(&("ann".into(), 4, 0)));
    assert!(tokens.contains(&("carl".into(), 3, flags::TRUNCATED)));
    assert_eq!(count(&r, counts::SESSIONS), 9);
    // The four record lines are used, like every other line here (1 + 3 +
    // 3 + 5 + 3 + 3 + 1 = 19).
    assert_eq!((r.lines_read, r.lines_used), (19, 19));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
}

#[test]
fn an_in_with_any_reason_closes_its_checkout_and_the_reason_is_counted() {
    let (u, r) = import(concat!(
        " 9:00:00 (lmgrd) TIMESTAMP 3/4/2025\n",
        " 9:10:00 (saltd) OUT: \"NX13100N\" ann@pc1  \n",
        " 9:40:00 (saltd) IN: \"NX13100N\" ann@pc1  (UNKNOWN)\n",
        " 9:50:00 (saltd) OUT: \"NX13100N\" ann@pc1  \n",
        "10:00:00 (saltd) IN: \"NX13100N\" ann@pc1  (UNKNOWN)\n",
        "10:10:00 (saltd) OUT: \"NX13100N\" bob@pc2  (2 licenses)\n",
        "10:20:00 (saltd) IN: \"NX13100N\" bob@pc2  (2 licenses) (LOST CONNECTION)\n",
        "10:30:00 (saltd) IN: \"NX13100N\" carl@pc3  (UNKNOWN)\n",
        "10:40:00 (adskflex) OUT: \"ACD\" dan@pc4\n",
        "10:50:00 (adskflex) IN: \"ACD\" dan@pc4  (INACTIVE)\n",
        "11:00:00 (lmgrd) TIMESTAMP 3/4/2025\n",
    ));
    // EST (UTC-5). Every IN closes its checkout at its own time: nothing
    // is left open to the end of the log.
    let all = sessions(&u);
    let got: Vec<(&str, &str, &str, u16, u16)> = all
        .iter()
        .map(|s| (s.1.as_str(), s.3.as_str(), s.4.as_str(), s.5, s.6))
        .map(|(user, a, b, draw, f)| (user, &a[11..16], &b[11..16], draw, f))
        .collect();
    assert_eq!(
        got,
        vec![
            ("ann", "14:10", "14:40", 0, 0),
            ("ann", "14:50", "15:00", 0, 0),
            ("bob", "15:10", "15:20", 2, 0),
            ("dan", "15:40", "15:50", 0, flags::INACTIVE),
        ]
    );
    assert_eq!(count(&r, &counts::checkin_reason("UNKNOWN")), 2);
    assert_eq!(count(&r, &counts::checkin_reason("LOST CONNECTION")), 1);
    assert_eq!(count(&r, counts::IDLE_RECLAIMS), 1);
    assert_eq!(count(&r, counts::TRUNCATED), 0);
    // An IN with a reason and no checkout is reported with its reason.
    assert_eq!(skipped(&r), vec![("IN without OUT", 1)]);
    assert_eq!(
        r.problems[0].to_string(),
        "t.log:8: IN: \"NX13100N\" carl@pc3 (UNKNOWN) with no open checkout; not counted as a session"
    );
}

#[test]
fn an_in_pairs_by_product_and_count_then_product_then_age() {
    let (u, _) = import(concat!(
        "16:00:00 (lmgrd) TIMESTAMP 3/4/2025\n",
        "16:12:16 (MSC) OUT: \"MSCONE\" u1@m1 [MSCONE:ODYSSEE_CAE] (60 licenses)\n",
        "16:20:00 (MSC) OUT: \"MSCONE\" u1@m1 [MSCONE:NASTRAN] (60 licenses)\n",
        "16:25:00 (MSC) OUT: \"MSCONE\" u1@m1 [MSCONE:NASTRAN] (13 licenses)\n",
        "16:30:00 (MSC) IN: \"MSCONE\" u1@m1 [MSCONE:NASTRAN] (13 licenses)\n",
        "16:40:00 (MSC) IN: \"MSCONE\" u1@m1 [MSCONE:NASTRAN] (13 licenses)\n",
        "16:50:00 (MSC) IN: \"MSCONE\" u1@m1 [MSCONE:ADAMS] (2 licenses)\n",
    ));
    // EST (UTC-5). 16:30: the NASTRAN checkout of 13 (16:25), not the
    // oldest (16:12, 60 ODYSSEE) nor NASTRAN's 60 (16:20). 16:40: no
    // NASTRAN checkout of 13 is left, so NASTRAN's 60. 16:50: no ADAMS
    // checkout at all, so the oldest left, ODYSSEE's 60.
    let got: Vec<(String, String, u16)> = sessions(&u)
        .into_iter()
        .map(|s| (s.3[11..16].to_string(), s.4[11..16].to_string(), s.5))
        .collect();
    let row = |a: &str, b: &str, n: u16| (a.to_string(), b.to_string(), n);
    assert_eq!(
        got,
        vec![
            row("21:25", "21:30", 13),
            row("21:20", "21:40", 60),
            row("21:12", "21:50", 60),
        ]
    );
}

#[test]
fn denials_with_a_quoted_version_are_read() {
    let (u, r) = import(concat!(
        " 9:00:00 (lmgrd) TIMESTAMP 3/4/2025\n",
        " 9:30:01 (vd) DENIED: \"F\" b@h  \"v2023.12\"(License server system does not support this version of this feature. (-25,334))\n",
        " 9:30:02 (vd) DENIED: \"F\" \"v2023.12\" c@h  (Licensed number of users already reached. (-4,342))\n",
        " 9:30:03 (vd) DENIED: \"F\" d@h  \"v2023.12\" (25 licenses) (Licensed number of users already reached. (-4,342))\n",
    ));
    assert!(r.problems.is_empty(), "{:?}", r.problems);
    let got: Vec<(&str, &str, u32, &str)> = u
        .denials
        .iter()
        .map(|d| {
            (
                u.users.name(d.user),
                u.hosts.name(d.host),
                d.count,
                d.reason.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "b",
                "h",
                1,
                "License server system does not support this version of this feature. (-25,334)"
            ),
            (
                "c",
                "h",
                1,
                "Licensed number of users already reached. (-4,342)"
            ),
            (
                "d",
                "h",
                25,
                "Licensed number of users already reached. (-4,342)"
            ),
        ]
    );
    assert_eq!(rfc(u.denials[0].at), "2025-03-04T14:30:01Z");
}

/// Two users whose subjects (daemon `vd`, feature `F`, host `h`) have the
/// same hash: found by trying `u0`, `u1`, ... (the hash is fixed, so the
/// pair is too).
fn users_with_one_hash() -> (String, String) {
    let mut seen = std::collections::HashMap::new();
    for i in 0..2_000_000u32 {
        let user = format!("u{i}");
        let h = lines::subject_hash([b"vd", b"F", user.as_bytes(), b"h"]);
        if let Some(first) = seen.insert(h, user.clone()) {
            return (first, user);
        }
    }
    panic!("no two of 2 million users share a hash");
}

#[test]
fn subjects_that_share_a_hash_stay_apart() {
    let (a, b) = users_with_one_hash();
    // Enough lines between the two users' checkouts that, in small blocks,
    // the readers of the later lines already know `a` by its hash and
    // guess it for `b`: the importer must tell them apart by their names.
    let mut log = String::from(" 9:00:00 (lmgrd) TIMESTAMP 3/1/2024\n");
    log += &format!(" 9:01:00 (vd) OUT: \"F\" {a}@h\n");
    for _ in 0..40 {
        log += " 9:01:30 (vd) Some chatter\n";
    }
    log += &format!(" 9:02:00 (vd) OUT: \"F\" {b}@h\n");
    log += &format!(" 9:03:00 (vd) IN: \"F\" {b}@h\n");
    for _ in 0..40 {
        log += " 9:03:30 (vd) Some chatter\n";
    }
    log += &format!(" 9:04:00 (vd) IN: \"F\" {a}@h\n");
    let (u, r) = import(&log);
    // EST, UTC-5: a holds F 9:01-9:04, b 9:02-9:03; each IN closes its
    // own user's checkout.
    let s = sessions(&u);
    assert_eq!(
        s,
        vec![
            (
                "F".to_string(),
                b.clone(),
                "h".to_string(),
                "2024-03-01T14:02:00Z".to_string(),
                "2024-03-01T14:03:00Z".to_string(),
                0,
                0
            ),
            (
                "F".to_string(),
                a.clone(),
                "h".to_string(),
                "2024-03-01T14:01:00Z".to_string(),
                "2024-03-01T14:04:00Z".to_string(),
                0,
                0
            ),
        ]
    );
    assert_eq!(count(&r, counts::SESSIONS), 2);
    assert_eq!(r.lines_used, 5);
}
