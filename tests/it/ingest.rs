//! Integration tests: ingest.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokenplan::ingest::{
    ImportError, ImportOptions, Report, SourceKind, detect, import_bytes, import_path,
};
use tokenplan::progress::NoProgress;
use tokenplan::usage::Usage;

fn secs(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

fn import(name: &str, text: &str) -> (Usage, Report) {
    let mut u = Usage::default();
    let r = import_bytes(
        name,
        text.as_bytes(),
        &ImportOptions::default(),
        &mut u,
        &NoProgress,
    )
    .unwrap();
    (u, r)
}

/// (user, feature, host, start, end, draw) of every session, in order.
fn rows(u: &Usage) -> Vec<(String, String, String, i64, i64, u16)> {
    u.sessions
        .iter()
        .map(|s| {
            (
                u.users.name(s.user).to_string(),
                u.features.name(s.feature).to_string(),
                u.hosts.name(s.host).to_string(),
                s.start_secs(),
                s.end_secs(),
                s.draw,
            )
        })
        .collect()
}

fn messages(r: &Report) -> Vec<String> {
    r.problems.iter().map(ToString::to_string).collect()
}

#[test]
fn every_session_column_alias_is_accepted() {
    let users = [
        "user",
        "username",
        "user_name",
        "login",
        "USER",
        "User Name",
    ];
    let products = ["product", "feature", "product_code", "Product"];
    let starts = ["start", "start_time", "checkout", "out", "Start Time"];
    let ends = ["end", "end_time", "checkin", "in", "END"];
    let hosts = ["host", "hostname", "machine", "computer"];
    let tokens = ["tokens", "licenses", "count", "draw"];
    for i in 0..6 {
        let header = format!(
            "{},{},{},{},{},{}",
            users[i % users.len()],
            products[i % products.len()],
            hosts[i % hosts.len()],
            starts[i % starts.len()],
            ends[i % ends.len()],
            tokens[i % tokens.len()]
        );
        let text = format!("{header}\nbob,ACD,ws1,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z,3\n");
        let (u, r) = import("aliases.csv", &text);
        assert_eq!(r.kind, Some(SourceKind::Sessions), "{header}");
        assert!(!r.has_errors(), "{header}: {:?}", r.problems);
        assert_eq!(
            rows(&u),
            vec![(
                "bob".into(),
                "ACD".into(),
                "ws1".into(),
                secs("2025-02-06T09:00:00Z"),
                secs("2025-02-06T10:00:00Z"),
                3
            )],
            "{header}"
        );
    }
}

#[test]
fn semicolon_tab_bom_and_crlf() {
    let expected = vec![(
        "Ann".to_string(),
        "RVT".to_string(),
        String::new(),
        secs("2025-01-02T08:00:00Z"),
        secs("2025-01-02T12:30:00Z"),
        0,
    )];
    for text in [
        "user;product;start;end\nAnn;RVT;2025-01-02T08:00:00Z;2025-01-02T12:30:00Z\n",
        "user\tproduct\tstart\tend\nAnn\tRVT\t2025-01-02T08:00:00Z\t2025-01-02T12:30:00Z\n",
        "\u{feff}user,product,start,end\r\nAnn,RVT,2025-01-02T08:00:00Z,2025-01-02T12:30:00Z\r\n",
        "\u{feff}\"user\",\"product\",\"start\",\"end\"\n\"Ann\",\"RVT\",2025-01-02T08:00:00Z,2025-01-02T12:30:00Z",
    ] {
        let (u, r) = import("d.csv", text);
        assert!(!r.has_errors(), "{text:?}: {:?}", r.problems);
        assert_eq!(rows(&u), expected, "{text:?}");
        assert_eq!((r.lines_read, r.lines_used), (2, 2), "{text:?}");
    }
}

#[test]
fn offsets_fractions_and_local_time_in_new_york() {
    let text = "user,product,start,end\n\
        a,ACD,2025-02-06T09:00:00+05:30,2025-02-06T10:00:00-08:00\n\
        a,ACD,2025-02-06T09:00:00.900Z,2025-02-06T09:00:01.100Z\n\
        a,ACD,2025-02-06T09:00:00.000Z,2025-02-06T09:30:00.000Z\n\
        a,ACD,2024-07-01 09:00:00,2024-07-01T17:00:00\n\
        a,ACD,2024-11-03 01:30:00,2024-11-03 03:00\n\
        a,ACD,2024-03-10 02:30:00,2024-03-10 04:00:00\n";
    let (u, r) = import("tz.csv", text);
    assert!(!r.has_errors(), "{:?}", r.problems);
    let got: Vec<(i64, i64)> = rows(&u).iter().map(|r| (r.3, r.4)).collect();
    assert_eq!(
        got,
        vec![
            (secs("2025-02-06T03:30:00Z"), secs("2025-02-06T18:00:00Z")),
            // Start floored, end ceiled: the session never shrinks.
            (secs("2025-02-06T09:00:00Z"), secs("2025-02-06T09:00:02Z")),
            (secs("2025-02-06T09:00:00Z"), secs("2025-02-06T09:30:00Z")),
            // EDT, UTC-4.
            (secs("2024-07-01T13:00:00Z"), secs("2024-07-01T21:00:00Z")),
            // 01:30 happens twice on 2024-11-03: the earlier (EDT) instant; 03:00 is EST.
            (secs("2024-11-03T05:30:00Z"), secs("2024-11-03T08:00:00Z")),
            // 02:30 on 2024-03-10 does not exist: the end of the gap, 03:00 EDT.
            (secs("2024-03-10T07:00:00Z"), secs("2024-03-10T08:00:00Z")),
        ]
    );
    assert_eq!(
        r.counts
            .get("local times in a repeated hour (earlier instant taken)"),
        Some(&1)
    );
    assert_eq!(
        r.counts
            .get("local times in a skipped hour (moved to the end of the gap)"),
        Some(&1)
    );
    // The same wall clock in another zone.
    let mut u = Usage::default();
    let opts = ImportOptions {
        time_zone: chrono_tz::Asia::Singapore,
        ..Default::default()
    };
    import_bytes(
        "sg.csv",
        b"user,product,start,end\na,ACD,2024-07-01 09:00:00,2024-07-01 18:00:00\n",
        &opts,
        &mut u,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(
        (rows(&u)[0].3, rows(&u)[0].4),
        (secs("2024-07-01T01:00:00Z"), secs("2024-07-01T10:00:00Z"))
    );
}

#[test]
fn bad_rows_are_skipped_with_their_line_and_reason() {
    let text = "user,product,host,start,end,tokens\n\
        ok,ACD,h,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z,\n\
        x,ACD,h,2025-02-06T10:00:00Z,2025-02-06T09:00:00Z,\n\
        ,ACD,h,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z,\n\
        x, ,h,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z,\n\
        x,ACD,h,yesterday,2025-02-06T10:00:00Z,\n\
        x,ACD,h,2025-02-06T09:00:00Z,,\n\
        x,ACD,h,1969-12-31T23:59:59Z,2025-02-06T10:00:00Z,\n\
        x,ACD,h,2025-02-06T09:00:00Z,2200-01-01T00:00:00Z,\n\
        x,ACD,h,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z,65536\n\
        x,ACD,h,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z,1.5\n\
        x,ACD,h,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z,-1\n\
        x,ACD\n\
        \n\
        ok,ACD,h,2025-02-06T09:00:00Z,2025-02-06T09:00:00Z,65535\n";
    let (u, r) = import("usage.csv", text);
    assert_eq!(
        messages(&r),
        vec![
            "usage.csv:3: end 2025-02-06T09:00:00Z is before start 2025-02-06T10:00:00Z; row skipped",
            "usage.csv:4: user is empty; row skipped",
            "usage.csv:5: product is empty; row skipped",
            "usage.csv:6: start yesterday is not a timestamp (expected RFC 3339 such as 2025-02-06T09:00:00Z, or 2025-02-06 09:00:00 in local time); row skipped",
            "usage.csv:7: end is empty; row skipped",
            "usage.csv:8: start 1969-12-31T23:59:59Z is outside the supported range 1970-01-01T00:00:00Z to 2106-02-07T06:28:15Z; row skipped",
            "usage.csv:9: end 2200-01-01T00:00:00Z is outside the supported range 1970-01-01T00:00:00Z to 2106-02-07T06:28:15Z; row skipped",
            "usage.csv:10: tokens 65536 is not a whole number from 0 to 65535; row skipped",
            "usage.csv:11: tokens 1.5 is not a whole number from 0 to 65535; row skipped",
            "usage.csv:12: tokens -1 is not a whole number from 0 to 65535; row skipped",
            "usage.csv:13: row has 2 fields, the header has 6; row skipped",
        ]
    );
    let skipped: Vec<(&str, u64)> = r.skipped.iter().map(|(k, &v)| (k.as_str(), v)).collect();
    assert_eq!(
        skipped,
        vec![
            ("bad tokens", 3),
            ("blank line", 1),
            ("empty product", 1),
            ("empty user", 1),
            ("end before start", 1),
            ("timestamp out of range", 2),
            ("too few fields", 1),
            ("unparsable timestamp", 2),
        ]
    );
    assert_eq!((r.lines_read, r.lines_used, r.lines_skipped()), (15, 3, 12));
    assert_eq!(r.counts.get("sessions"), Some(&2));
    assert!(!r.fatal);
    let got = rows(&u);
    assert_eq!(got.len(), 2);
    // Zero-length session kept; 65535 is the largest draw.
    assert_eq!(got[1].3, got[1].4);
    assert_eq!(got[1].5, 65535);
}

#[test]
fn user_identity_is_case_insensitive_and_keeps_the_first_spelling() {
    let text = "user,product,start,end\n\
        UPM,ACD,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z\n\
        upm ,acd,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z\n\
        Upm,ACD,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z\n";
    let (u, _) = import("ids.csv", text);
    assert_eq!(u.users.len(), 1);
    assert_eq!(u.users.name(0), "UPM");
    assert_eq!(u.users.key(0), "upm");
    // Products keep their exact spelling.
    assert_eq!(u.features.names().collect::<Vec<_>>(), vec!["ACD", "acd"]);
    assert_eq!(u.hosts.names().collect::<Vec<_>>(), vec![""]);
}

#[test]
fn quoted_fields_with_delimiters_and_newlines() {
    let text = "user,product,start,end\n\
        \"Doe, Jane\",\"ACD\",2025-02-06T09:00:00Z,2025-02-06T10:00:00Z\n\
        \"multi\nline\",RVT,2025-02-06T09:00:00Z,2025-02-06T10:00:00Z\n\
        bad,RVT,2025-02-06T11:00:00Z,2025-02-06T10:00:00Z\n";
    let (u, r) = import("q.csv", text);
    assert_eq!(u.users.name(0), "Doe, Jane");
    assert_eq!(u.users.name(1), "multi\nline");
    // The quoted newline makes the bad row line 5.
    assert_eq!(
        messages(&r),
        vec!["q.csv:5: end 2025-02-06T10:00:00Z is before start 2025-02-06T11:00:00Z; row skipped"]
    );
    assert_eq!(r.lines_read, 5);
}

#[test]
fn missing_column_names_the_column_and_its_aliases() {
    let mut u = Usage::default();
    let opts = ImportOptions {
        kind: Some(SourceKind::Sessions),
        ..ImportOptions::default()
    };
    let r = import_bytes(
        "nostart.csv",
        b"user,product,end\nbob,ACD,2025-02-06T10:00:00Z\n",
        &opts,
        &mut u,
        &NoProgress,
    )
    .unwrap();
    assert!(r.fatal);
    assert_eq!(
        messages(&r),
        vec![
            "nostart.csv:1: missing column `start` (accepted names, any case: start, starttime, checkout, out); the header has: user, product, end; file not imported"
        ]
    );
    assert!(u.sessions.is_empty());
    // Detected automatically, the same file is refused with a hint.
    let err = import_bytes(
        "nostart.csv",
        b"user,product,end\nbob,ACD,2025-02-06T10:00:00Z\n",
        &ImportOptions::default(),
        &mut u,
        &NoProgress,
    )
    .unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with("nostart.csv: the first line `user,product,end`"),
        "{msg}"
    );
    assert!(msg.contains("session CSV without `start`"), "{msg}");
}

#[test]
fn empty_and_random_files_are_clear_errors() {
    let mut u = Usage::default();
    let err = import_bytes(
        "empty.csv",
        b"",
        &ImportOptions::default(),
        &mut u,
        &NoProgress,
    )
    .unwrap_err();
    assert!(matches!(err, ImportError::Unrecognised { .. }));
    assert!(
        err.to_string().starts_with("empty.csv: the file is empty;"),
        "{err}"
    );
    // A fixed pseudo-random buffer (xorshift).
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let noise: Vec<u8> = (0..100_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let err = import_bytes(
        "noise.bin",
        &noise,
        &ImportOptions::default(),
        &mut u,
        &NoProgress,
    )
    .unwrap_err();
    assert!(err.to_string().contains("binary"), "{err}");
    assert_eq!(detect("noise.bin", &noise), None);
    // Forced to every kind, the same bytes give a report, never a panic.
    for kind in [
        SourceKind::Sessions,
        SourceKind::TokenFlex,
        SourceKind::Directory,
        SourceKind::Assignments,
    ] {
        let opts = ImportOptions {
            kind: Some(kind),
            ..ImportOptions::default()
        };
        let r = import_bytes("noise.bin", &noise, &opts, &mut u, &NoProgress).unwrap();
        assert!(r.has_errors(), "{kind}");
        let r = import_bytes("empty.csv", b"", &opts, &mut u, &NoProgress).unwrap();
        assert!(r.fatal, "{kind}");
    }
    assert!(u.sessions.is_empty());
}

#[test]
fn import_path_reads_a_file_and_reports_missing_ones() {
    let dir = std::env::temp_dir().join(format!("tokenplan-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sessions.csv");
    let mut text = String::from("user,product,host,start,end\n");
    for i in 0..1000 {
        text.push_str(&format!(
            "u{:03},ACD,ws{},2024-01-01T00:00:00Z,2024-01-01T01:00:00Z\n",
            i % 7,
            i % 3
        ));
    }
    std::fs::write(&path, &text).unwrap();
    let mut u = Usage::default();
    let r = import_path(&path, &ImportOptions::default(), &mut u, &NoProgress).unwrap();
    assert_eq!(r.kind, Some(SourceKind::Sessions));
    assert_eq!(r.counts.get("sessions"), Some(&1000));
    assert_eq!(u.users.len(), 7);
    assert_eq!(u.hosts.len(), 3);
    let missing = dir.join("nope.csv");
    let err = import_path(&missing, &ImportOptions::default(), &mut u, &NoProgress).unwrap_err();
    assert!(matches!(err, ImportError::Io { .. }));
    assert!(err.to_string().contains("nope.csv: cannot read:"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn token_flex_export_becomes_vendor_charges() {
    let text = "usageDate,userName,productLineCode,productName,tokensConsumed,usageHours,usageCategory,contractYear,tokenPool,machineName\n\
        2025-01-15,Jane.Doe@example.com,ACD,AutoCAD,6,7.5,Desktop,1,Pool A,WS01\n\
        2025-01-15T00:00:00Z,jane.doe@example.com,RVT,Revit,10.25,,Desktop,1,Pool A,\n\
        1/16/2025,bob,,Civil 3D,3,abc,,,,\n\
        2025-13-01,bob,ACD,AutoCAD,6,,,,,\n\
        2025-01-17,bob,ACD,AutoCAD,lots,,,,,\n\
        2025-01-17,,ACD,AutoCAD,6,,,,,\n";
    let (u, r) = import("tf.csv", text);
    assert_eq!(r.kind, Some(SourceKind::TokenFlex));
    assert_eq!(
        messages(&r),
        vec![
            "tf.csv:4: usageHours \"abc\" is not a number of hours; hours left out, row kept",
            "tf.csv:5: usageDate \"2025-13-01\" is not a date (expected 2025-01-15 or 1/15/2025); row skipped",
            "tf.csv:6: tokensConsumed \"lots\" is not a number; row skipped",
            "tf.csv:7: userName is empty; row skipped",
        ]
    );
    assert_eq!(r.counts.get("vendor charges"), Some(&3));
    let c = &u.vendor_charges;
    assert_eq!(c.len(), 3);
    assert_eq!(c[0].date, NaiveDate::from_ymd_opt(2025, 1, 15).unwrap());
    assert_eq!(u.users.name(c[0].user), "Jane.Doe@example.com");
    assert_eq!(c[1].user, c[0].user);
    assert_eq!(u.features.name(c[0].product), "ACD");
    assert_eq!(c[0].tokens, Decimal::from(6));
    assert_eq!(c[0].hours, Some(Decimal::from_str("7.5").unwrap()));
    assert_eq!(c[0].host.map(|h| u.hosts.name(h)), Some("WS01"));
    assert_eq!(c[1].tokens, Decimal::from_str("10.25").unwrap());
    assert_eq!((c[1].hours, c[1].host), (None, None));
    // No product line code: the product name stands in.
    assert_eq!(c[2].date, NaiveDate::from_ymd_opt(2025, 1, 16).unwrap());
    assert_eq!(u.features.name(c[2].product), "Civil 3D");
    assert!(u.sessions.is_empty());
}

#[test]
fn token_flex_title_case_and_snake_case_headers() {
    // `Email,Product,Day used,Tokens used` is Autodesk's usage report, read
    // as use-days (tests/it/inputs.rs); a Token Flex export has its own names.
    for header in [
        "UserName,ProductName,UsageDate,TokensConsumed",
        "user_name,product_name,usage_date,tokens_consumed",
    ] {
        let text = format!("{header}\nann@x.com,AutoCAD,2025-03-01,6\n");
        let (u, r) = import("flex.csv", &text);
        assert_eq!(r.kind, Some(SourceKind::TokenFlex), "{header}");
        assert!(!r.has_errors(), "{header}: {:?}", r.problems);
        assert_eq!(u.vendor_charges.len(), 1);
        assert_eq!(u.features.name(u.vendor_charges[0].product), "AutoCAD");
    }
}

#[test]
fn directory_rows_join_the_user_table() {
    let text = "user,department,location,time_zone,persona\n\
        u00000,MEP,New York,America/New_York,regular\n\
        U00001,Civil,Singapore,Asia/Singapore,daily\n\
        u00002,Civil,Mars,Mars/Olympus,rare\n\
        u00000,Architecture,London,Europe/London,daily\n\
        ,Civil,x,UTC,daily\n";
    let (u, r) = import("dir.csv", text);
    assert_eq!(r.kind, Some(SourceKind::Directory));
    assert_eq!(
        messages(&r),
        vec![
            "dir.csv:4: time_zone \"Mars/Olympus\" is not an IANA time zone name (such as Europe/London); left empty",
            "dir.csv:5: user u00000 is listed again (before on line 2); this row replaces it",
            "dir.csv:6: user is empty; row skipped",
        ]
    );
    assert_eq!(u.directory.len(), 3);
    let e0 = &u.directory[&u.users.get("u00000").unwrap()];
    assert_eq!(
        (
            e0.department.as_str(),
            e0.location.as_str(),
            e0.time_zone.as_str()
        ),
        ("Architecture", "London", "Europe/London")
    );
    assert_eq!(e0.cost_center, "");
    let e1 = &u.directory[&u.users.get("u00001").unwrap()];
    assert_eq!(e1.time_zone, "Asia/Singapore");
    let e2 = &u.directory[&u.users.get("u00002").unwrap()];
    assert_eq!(
        (e2.department.as_str(), e2.time_zone.as_str()),
        ("Civil", "")
    );
    assert_eq!(r.counts.get("directory entries"), Some(&3));
}

#[test]
fn assignments_one_row_per_seat() {
    let text = "user;subscription\nann;AEC\nAnn;ACD\nbob;AEC\n;AEC\ncarl;\n";
    let (u, r) = import("seats.csv", text);
    assert_eq!(r.kind, Some(SourceKind::Assignments));
    let seats: Vec<(&str, &str)> = u
        .assignments
        .iter()
        .map(|(id, s)| (u.users.name(*id), s.as_str()))
        .collect();
    assert_eq!(seats, vec![("ann", "AEC"), ("ann", "ACD"), ("bob", "AEC")]);
    assert_eq!(
        messages(&r),
        vec![
            "seats.csv:5: user is empty; row skipped",
            "seats.csv:6: subscription is empty; row skipped",
        ]
    );
    assert_eq!((r.lines_read, r.lines_used), (6, 4));
}

#[test]
fn detection_of_each_kind() {
    let log = b" 9:49:41 (lmgrd) FlexNet Licensing (v11.13.1.2 build 173085 x64_lsb) started on host (linux) (6/8/2017)\n 9:49:42 (adskflex) OUT: \"64300ACD_F\" user@host  \n";
    assert_eq!(detect("x.log", log), Some(SourceKind::DebugLog));
    assert_eq!(
        detect("s.csv", b"login,feature,hostname,checkout,checkin\n"),
        Some(SourceKind::Sessions)
    );
    assert_eq!(
        detect(
            "t.csv",
            b"usageDate,userName,productLineCode,productName,tokensConsumed\n"
        ),
        Some(SourceKind::TokenFlex)
    );
    assert_eq!(
        detect("d.csv", b"\xEF\xBB\xBFuser,department,cost_center\n"),
        Some(SourceKind::Directory)
    );
    assert_eq!(
        detect("a.csv", b"user\tsubscription\n"),
        Some(SourceKind::Assignments)
    );
    assert_eq!(detect("n.csv", b"name,colour\nx,y\n"), None);
    assert_eq!(detect("u16.csv", b"\xFF\xFEu\0s\0"), None);
}

#[test]
fn kind_names_parse() {
    for k in [
        SourceKind::Sessions,
        SourceKind::DebugLog,
        SourceKind::TokenFlex,
        SourceKind::Directory,
        SourceKind::Assignments,
        SourceKind::UsageReport,
        SourceKind::Aliases,
        SourceKind::Lmstat,
        SourceKind::Rlm,
    ] {
        assert_eq!(SourceKind::from_str(k.as_str()), Ok(k));
    }
    assert_eq!(
        "Token_Flex".parse::<SourceKind>(),
        Ok(SourceKind::TokenFlex)
    );
    let err = "excel".parse::<SourceKind>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown file kind `excel`; expected one of: sessions, debug-log, token-flex, directory, assignments, usage-report, aliases, lmstat, rlm"
    );
}
