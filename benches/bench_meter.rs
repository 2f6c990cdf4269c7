//! Metering benchmark: CalendarDay over ten million synthetic sessions.
//!
//! `cargo run --release --bin bench_meter [SESSIONS]` builds a year of
//! sessions (2,000 users, 40 features over 10 products, New York server),
//! meters it three times and prints the wall and CPU time each metering
//! took (building the sessions is not included).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Instant;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use tokenplan::meter::meter;
use tokenplan::progress::NoProgress;
use tokenplan::scenario::{
    Contract, Forecast, Overdraft, Product, Rate, Rule, Scenario, TokenPrice,
};
use tokenplan::usage::{Session, Usage};

/// The ten products' codes; each is the pattern of four features.
const CODES: [&str; 10] = [
    "ACD", "RVT", "C3D", "INV", "MAYA", "MAX", "NAV", "PLNT", "FDS", "ACDMEP",
];

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let scenario = scenario();
    let usage = sessions(n);

    for round in 0..3 {
        let cpu0 = cpu_secs();
        let t = Instant::now();
        let m = match meter(&usage, &scenario, &NoProgress) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("meter: {e}");
                std::process::exit(1);
            }
        };
        let secs = t.elapsed().as_secs_f64();
        let cpu = cpu_secs() - cpu0;
        let total = m.total();
        println!(
            "round {round}: {n} sessions metered in {secs:.3} s ({cpu:.2} CPU s): \
             {} pairs, {} charges, {} tokens",
            m.pairs.len(),
            total.charges,
            total.tokens
        );
    }
}

/// Ten `CalendarDay` products at 6 tokens, 7 from 2024-07-01.
fn scenario() -> Scenario {
    let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
    let dec = |s: &str| Decimal::from_str(s).unwrap_or_default();
    let products: BTreeMap<String, Product> = CODES
        .iter()
        .map(|c| {
            let p = Product {
                name: c.to_string(),
                rule: Rule::CalendarDay {
                    time_zone: None,
                    grace_minutes: None,
                },
                rates: vec![
                    Rate {
                        from: date("2020-01-01"),
                        tokens: dec("6"),
                    },
                    Rate {
                        from: date("2024-07-01"),
                        tokens: dec("7"),
                    },
                ],
                features: vec![format!("*{c}*")],
            };
            (c.to_string(), p)
        })
        .collect();
    Scenario {
        pools: Default::default(),
        prices: None,
        version: 1,
        name: "bench".into(),
        currency: "USD".into(),
        server_time_zone: "America/New_York".into(),
        products,
        subscriptions: BTreeMap::new(),
        token_price: TokenPrice::Flat(dec("3")),
        contract: Contract {
            start: date("2027-01-01"),
            years: 1,
            overage_price: dec("3.6"),
            overdraft: Overdraft::Unlimited,
            discount_rate: dec("0"),
            pack_size: None,
            seat_changes: Default::default(),
            current_seats: Default::default(),
        },
        forecast: Forecast {
            history_days: 365,
            growth_per_year: dec("0"),
        },
        budgets: BTreeMap::new(),
        constraints: Default::default(),
        sizing: Default::default(),
    }
}

/// `n` sessions over 2024 (2,000 users, 40 features, 500 hosts, up to 4
/// hours each), reproducible.
fn sessions(n: usize) -> Usage {
    let mut usage = Usage::default();
    let users: Vec<u32> = (0..2000)
        .map(|i| usage.users.intern(&format!("user{i}")))
        .collect();
    let features: Vec<u32> = (0..40)
        .map(|i| {
            usage
                .features
                .intern(&format!("{}00{}_F", i, CODES[i % CODES.len()]))
        })
        .collect();
    let hosts: Vec<u32> = (0..500)
        .map(|i| usage.hosts.intern(&format!("ws{i}")))
        .collect();
    // xorshift: reproducible without a dependency.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let base: u32 = 1_704_067_200; // 2024-01-01 00:00 UTC
    let mut seg = Vec::with_capacity(1 << 20);
    for _ in 0..n {
        let r = next();
        seg.push(Session {
            start: base + (r % (365 * 86_400)) as u32,
            dur: ((r >> 32) % (4 * 3600)) as u32,
            user: users[((r >> 40) % 2000) as usize],
            feature: features[((r >> 52) % 40) as usize],
            host: hosts[((r >> 20) % 500) as usize],
            draw: 0,
            flags: 0,
        });
        if seg.len() == 1 << 20 {
            usage
                .sessions
                .push_segment(std::mem::replace(&mut seg, Vec::with_capacity(1 << 20)));
        }
    }
    usage.sessions.push_segment(seg);
    usage
}

/// CPU seconds used by the whole process so far (all threads), from
/// `/proc/self/stat`; 0 where that is not available. The wall time depends
/// on what else the machine runs; the CPU time much less.
fn cpu_secs() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    // Fields after the command name (which is in parentheses): utime is the
    // 12th and stime the 13th, in clock ticks (100 a second on Linux).
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else {
        return 0.0;
    };
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}
