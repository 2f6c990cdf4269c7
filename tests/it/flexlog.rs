//! Integration tests: the FlexNet debug log importer end to end (SPEC
//! §1.2): IBM entitlement records through pool sizing, and the parallel
//! reader against the line-by-line one on generated logs.

use std::str::FromStr;

use proptest::prelude::*;
use rust_decimal::Decimal;
use tokenplan::ingest::flexlog::{
    counts, read_debug_log_in_blocks, read_debug_log_sequential, reasons,
};
use tokenplan::ingest::{ImportOptions, Report, SourceKind, import_path};
use tokenplan::ledger::{PoolDenials, PoolSizing, size_pools};
use tokenplan::meter::meter;
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::usage::Usage;

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// DOORS and ETM draw from one `TLSTOK` pool at rate 1 (each token line
/// carries its own `(N licenses)`); server in New York.
const TLSTOK_SCENARIO: &str = r#"Scenario(
    version: 1,
    name: "IBM token pool",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "DOORS": Product(name: "DOORS", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["DOORS"]),
        "ETM": Product(name: "ETM", rule: Concurrent(pool: "TLSTOK"), rates: [Rate(from: "2020-01-01", tokens: "1")], features: ["ETM"]),
    },
    subscriptions: {},
    token_price: Flat("1"),
    contract: Contract(start: "2026-01-01", years: 1, overage_price: "1", overdraft: Unlimited, discount_rate: "0"),
    forecast: Forecast(history_days: 365, growth_per_year: "0"),
    budgets: {},
)"#;

fn point(p: &PoolSizing, size: u32) -> &PoolDenials {
    p.denials.iter().find(|x| x.size == size).unwrap()
}

/// (denied checkouts, denied token-hours, denied users, denial rate).
fn figures(p: &PoolSizing, size: u32) -> (u64, Decimal, u64, Decimal) {
    let x = point(p, size);
    (
        x.denied_checkouts,
        x.denied_token_hours,
        x.denied_users,
        x.denial_rate,
    )
}

// SPEC §1.2 worked example, "the entitlement log (3 checkouts)":
// tests/data/ibm_entitlements.log, Tue 2025-06-10, New York (EDT, UTC-4).
// Beside each of its three token checkouts the RLKS server logs the
// product's own zero-length OUT/IN pair by the same user@host in the same
// second (before the token line for ann and bob, after it for carl):
//
//   ann  DOORS 5 tokens 09:00-11:00   + DOORS pair at 09:00:00
//   bob  DOORS 5 tokens 10:00-12:00   + DOORS pair at 10:00:00
//   carl ETM   2 tokens 10:30-11:30   + ETM pair at 10:30:00
//
// The pairs are entitlement records, not use: 3 sessions, 3 checkouts (not
// 6). Pool draw: 09:00 5 | 10:00 10 | 10:30 12 <- peak (14:30 UTC) |
// 11:00 7 | 11:30 5 | 12:00 0.
//
// Denials by size (a checkout is refused when held + draw > size):
//   12: none.
//   10, 11: carl at 10:30 (10 + 2 > size): 1 refused, 1 h x 2 = 2
//       token-hours, 1 user, rate 1/3.
//   7..9: bob at 10:00 (5 + 5 > size); carl then fits (5 + 2 <= 7):
//       1 refused, 2 h x 5 = 10 token-hours, rate 1/3.
//   5, 6: bob, and carl (5 + 2 > 6): 2 refused, 10 + 2 = 12 token-hours,
//       2 users, rate 2/3.
//   2..4: ann (5 > 4) and bob; carl fits (2 <= 4): 2 refused, 2 h x 5 x 2
//       = 20 token-hours, rate 2/3.
//   0, 1: all 3 refused: 10 + 10 + 2 = 22 token-hours, rate 1.
// Target 10 %: 12 is the smallest size at or under it.
#[test]
fn spec_worked_example_the_entitlement_log_has_3_checkouts() {
    let scenario = Scenario::from_ron(TLSTOK_SCENARIO).unwrap();
    let mut usage = Usage::default();
    let opts = ImportOptions {
        time_zone: scenario.server_tz().unwrap(),
        ..ImportOptions::default()
    };
    let report = import_path(
        &data("ibm_entitlements.log"),
        &opts,
        &mut usage,
        &NoProgress,
    )
    .unwrap();
    assert_eq!(report.kind, Some(SourceKind::DebugLog));
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.counts.get(counts::ENTITLEMENT_RECORDS), Some(&3));
    assert_eq!(report.counts.get(counts::SESSIONS), Some(&3));
    // Every line used or skipped: 6 pair lines and 6 token lines used, 4
    // anchors used (system date, banner, 2 TIMESTAMPs); the 3 header lines
    // and "Server started on ... for:" are not usage.
    assert_eq!((report.lines_read, report.lines_used), (20, 16));
    assert_eq!(report.skipped.get(reasons::UNKNOWN), Some(&4));

    let metered = meter(&usage, &scenario, &NoProgress).unwrap();
    let sized = size_pools(&metered, d("0.1"), &[]);
    let [p] = &sized[..] else {
        panic!("one pool expected, got {sized:?}")
    };
    assert_eq!(p.pool, "TLSTOK");
    assert_eq!(p.products, vec!["DOORS", "ETM"]);
    assert_eq!(p.checkouts, 3);
    assert_eq!(p.peak, 12);
    assert_eq!(p.peak_at.as_deref(), Some("2025-06-10T14:30:00Z"));
    assert_eq!(figures(p, 12), (0, d("0"), 0, d("0")));
    // Rates are shown to 6 places: 1/3 and 2/3.
    let third = d("0.333333");
    let two_thirds = d("0.666667");
    assert_eq!(figures(p, 11), (1, d("2"), 1, third));
    assert_eq!(figures(p, 10), (1, d("2"), 1, third));
    assert_eq!(figures(p, 9), (1, d("10"), 1, third));
    assert_eq!(figures(p, 7), (1, d("10"), 1, third));
    assert_eq!(figures(p, 6), (2, d("12"), 2, two_thirds));
    assert_eq!(figures(p, 5), (2, d("12"), 2, two_thirds));
    assert_eq!(figures(p, 4), (2, d("20"), 2, two_thirds));
    assert_eq!(figures(p, 2), (2, d("20"), 2, two_thirds));
    assert_eq!(figures(p, 1), (3, d("22"), 3, d("1")));
    assert_eq!(p.size_for_target, 12);
}

// ---------------------------------------------------------------------------
// The parallel reader equals the line-by-line one.

/// A small deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A log of `lines` lines in the real grammar with everything the importer
/// handles: anchors (some late, so the first lines are dated back), midnight
/// rollovers, restarts, counts, products, idle/shutdown/other checkin
/// reasons, IBM token checkouts with entitlement records, denials (with
/// and without a quoted version), removals, UNSUPPORTED probes, SLOG lines,
/// garbage, blank and CRLF lines, Windows-1252 bytes, user names with
/// spaces and several spellings.
fn generated_log(seed: u64, lines: usize) -> Vec<u8> {
    let mut r = Rng(seed | 1);
    let users = ["ann", "Bob", "bob", "carl", "Dörte", "José Núñez", "e@corp"];
    let hosts = ["ws1", "ws2", "lt9"];
    let features = ["\"ACD\"", "\"RVT\"", "\"hfss\"", "\"MSCONE\""];
    let products = ["", " [MSCONE:NASTRAN]", " [MSCONE:ADAMS]", " [APS Base]"];
    let mut out = Vec::new();
    let mut tod: u64 = 8 * 3600 + r.below(3600);
    let mut day = 1;
    for i in 0..lines {
        // Time goes on by 0 to 15 minutes, sometimes past midnight.
        tod += r.below(900);
        if tod >= 86_400 {
            tod -= 86_400;
            day += 1;
        }
        let stamp = format!("{:>2}:{:02}:{:02}", tod / 3600, tod / 60 % 60, tod % 60);
        let user = users[r.below(users.len() as u64) as usize];
        let host = hosts[r.below(hosts.len() as u64) as usize];
        let who = format!("{user}@{host}");
        let feature = features[r.below(features.len() as u64) as usize];
        let product = products[r.below(products.len() as u64) as usize];
        let count = match r.below(4) {
            0 => String::new(),
            n => format!(" ({} licenses)", [1, 13, 60][n as usize - 1]),
        };
        let line = match r.below(40) {
            // No anchor for the first lines: they are dated back.
            _ if i == 30 => format!("{stamp} (lmgrd) TIMESTAMP 3/{day}/2024"),
            0 if i > 30 => format!("{stamp} (lmgrd) TIMESTAMP 3/{day}/2024"),
            1 => format!(
                "{stamp} (vd) DENIED: {feature} {who}  (Licensed number of users already reached. (-4,342))"
            ),
            2 => format!(
                "{stamp} (vd) DENIED: {feature} {who}  \"v2023.12\"(License server system does not support this version of this feature. (-25,334))"
            ),
            3 => format!(
                "{stamp} (ibmratl) OUT: \"TLSTOK\" {who} [DOORS#u#{user}#u#] (3 licenses)\n{stamp} (ibmratl) OUT: \"DOORS\" {who} [#u#{user}#u#]\n{stamp} (ibmratl) IN: \"DOORS\" {who} [#u#{user}#u#]"
            ),
            4 => format!("{stamp} (ibmratl) IN: \"TLSTOK\" {who} [DOORS#u#{user}#u#] (3 licenses)"),
            5 => format!("{stamp} (vd) IN: {feature} {who}{product}{count} (UNKNOWN)"),
            6 => format!("{stamp} (vd) IN: {feature} {who}  (INACTIVE)"),
            7 => format!(
                "{stamp} (vd) REMOVING {who} from {}",
                feature.trim_matches('"')
            ),
            8 => format!(
                "{stamp} (vd) UNSUPPORTED: {feature} (PORT_AT_HOST_PLUS   ) {who}  (No such feature exists. (-5,346))"
            ),
            9 => format!(
                "{stamp} (vd) (@vd-SLOG@) Time: Fri Mar 0{} 2024 09:00:00 EST",
                day.min(9)
            ),
            10 => "garbage without a time".to_string(),
            11 => String::new(),
            12 if i > 100 && r.below(8) == 0 => format!(
                "{stamp} (lmgrd) -----------------------------------------------\n{stamp} (lmgrd) FlexNet Licensing (v11.13.1.2 build 1) started on srv (linux) (3/{day}/2024)"
            ),
            13 => format!("{stamp} (vd) OUT: {feature} {who}{product} (0 licenses)"),
            14 => format!("{stamp} (vd) OUT: \"F\""),
            15..=27 => format!("{stamp} (vd) OUT: {feature} {who}{product}{count}"),
            _ => format!("{stamp} (vd) IN: {feature} {who}{product}{count}"),
        };
        out.extend_from_slice(line.as_bytes());
        match r.below(10) {
            0 => out.extend_from_slice(b"  \r\n"),
            1 => {
                // A Windows-1252 byte in a line of its own.
                out.extend_from_slice(b"\n");
                out.extend_from_slice(format!("{stamp} (vd) OUT: \"ACD\" Jos").as_bytes());
                out.push(0xe9);
                out.extend_from_slice(b"@ws1\n");
            }
            _ => out.push(b'\n'),
        }
    }
    // Sometimes no newline at the end.
    if r.below(2) == 0 {
        out.pop();
    }
    out
}

/// What a reader made of a log, in names.
fn names(u: &Usage) -> Vec<String> {
    let mut v: Vec<String> = (0..u.users.len() as u32)
        .map(|i| format!("user {}", u.users.name(i)))
        .collect();
    v.extend(u.features.names().map(|f| format!("feature {f}")));
    v.extend(u.hosts.names().map(|h| format!("host {h}")));
    v
}

fn read_both(text: &[u8], block: usize) -> ((Usage, Report), (Usage, Report)) {
    let opts = ImportOptions::default();
    let mut seq = Usage::default();
    let r_seq = read_debug_log_sequential("g.log", text, &opts, &mut seq);
    let mut par = Usage::default();
    let r_par = read_debug_log_in_blocks("g.log", text, &opts, &mut par, block);
    ((seq, r_seq), (par, r_par))
}

fn assert_same(text: &[u8], block: usize) {
    let ((seq, r_seq), (par, r_par)) = read_both(text, block);
    assert_eq!(r_par, r_seq, "report, blocks of {block} bytes");
    assert!(
        seq.sessions.iter().eq(par.sessions.iter()),
        "sessions, blocks of {block} bytes"
    );
    assert_eq!(names(&par), names(&seq), "names, blocks of {block} bytes");
    assert_eq!(par.denials, seq.denials, "denials, blocks of {block} bytes");
}

#[test]
fn a_generated_log_reads_the_same_in_blocks_as_line_by_line() {
    let text = generated_log(12, 20_000);
    let ((seq, r), _) = read_both(&text, 1 << 20);
    // The log exercises what it is meant to (so that the comparison below
    // compares something).
    for what in [
        counts::SESSIONS,
        counts::DENIALS,
        counts::ENTITLEMENT_RECORDS,
        counts::IDLE_RECLAIMS,
        counts::REMOVALS,
        counts::SERVER_STARTS,
        counts::TRUNCATED,
        counts::WINDOWS_1252,
    ] {
        assert!(
            r.counts.get(what).copied().unwrap_or(0) > 0,
            "{what}: {r:?}"
        );
    }
    assert!(
        r.counts
            .get(&counts::checkin_reason("UNKNOWN"))
            .is_some_and(|&n| n > 0)
    );
    for why in [
        reasons::BAD_COUNT,
        reasons::BAD_EVENT,
        reasons::IN_WITHOUT_OUT,
        reasons::NO_ENVELOPE,
        reasons::UNSUPPORTED,
    ] {
        assert!(r.skipped.get(why).is_some_and(|&n| n > 0), "{why}: {r:?}");
    }
    assert!(seq.sessions.len() > 3_000, "{}", seq.sessions.len());
    assert!(seq.denials.iter().any(|d| {
        d.reason
            .starts_with("License server system does not support this version")
    }));
    for block in [64, 4096, 100_000, 4 << 20] {
        assert_same(&text, block);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Wherever the blocks are cut, the parallel reader gives what the
    /// line-by-line reader gives.
    #[test]
    fn the_parallel_reader_equals_the_sequential_one(
        seed in 1u64..u64::MAX,
        lines in 0usize..600,
        block in 1usize..5000,
    ) {
        let text = generated_log(seed, lines);
        assert_same(&text, block);
    }
}

// ---------------------------------------------------------------------------
// `--start-date` on the command line.

/// A scenario whose AutoCAD costs 6 tokens a calendar day until 2025-03-01
/// and 7 from then; server in New York.
const ACD_SCENARIO: &str = r#"Scenario(
    version: 1,
    name: "start date",
    currency: "USD",
    server_time_zone: "America/New_York",
    products: {
        "ACD": Product(name: "AutoCAD", rule: CalendarDay, rates: [Rate(from: "2020-01-01", tokens: "6"), Rate(from: "2025-03-01", tokens: "7")], features: ["*ACD_T_F*"]),
    },
    subscriptions: {},
    token_price: Tiers(mode: AllUnits, tiers: [Tier(from: 0, price: "3.00")]),
    contract: Contract(start: "2026-01-01", years: 1, overage_price: "3.60", overdraft: Unlimited, discount_rate: "0.08"),
    forecast: Forecast(history_days: 365, growth_per_year: "0.05"),
)
"#;

fn run_cli(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenplan"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// tests/data/no_date.log has no date anchor: bob uses AutoCAD 9:00-10:00
/// and 23:30-0:30 (0:30 is more than 90 minutes before 23:30: the next
/// day). Without `--start-date` it is one error naming the option and
/// nothing is charged. With `--start-date 2025-02-28`: 2025-02-28 at 6
/// tokens (the first session, and the second's start) and 2025-03-01 at 7
/// (the second's end, after midnight, at the new rate): 2 charges, 13
/// tokens.
#[test]
fn the_command_line_start_date_makes_a_log_without_date_readable() {
    let dir = std::env::temp_dir().join(format!("tokenplan-start-date-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sc = dir.join("s.ron");
    std::fs::write(&sc, ACD_SCENARIO).unwrap();
    let sc = sc.to_str().unwrap();
    let log = data("no_date.log");
    let log = log.to_str().unwrap();

    let (code, out, err) = run_cli(&["meter", "--scenario", sc, log]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("never gives its date"), "{err}");
    assert!(err.contains("--start-date YYYY-MM-DD"), "{err}");
    assert_eq!(out, "user,product,charges,tokens\n");

    let (code, out, err) = run_cli(&["meter", "--scenario", sc, "--start-date", "2025-02-28", log]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "user,product,charges,tokens\nbob,ACD,2,13\n");
    let _ = std::fs::remove_dir_all(&dir);
}
