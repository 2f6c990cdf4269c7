//! Pool-sizing benchmark: `cargo run --release --bin bench_size`.
//!
//! Sizes a 3-year contract from two years of synthetic daily demand (weekday
//! rhythm, holidays, noise) with the default 30-plan grid, at 500, 1,000,
//! 2,000 and 4,000 trials, in parallel and serially, and prints the best of
//! five runs of each; then the same with the default search, which refines
//! the grid around every recommendation down to its unit. The target: 2,000
//! trials × 30 plans under one second.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;
use tokenplan::ledger::rng::TrialRng;
use tokenplan::ledger::{DemandHistory, Grid, SizeReport, SizingOptions, size};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::{
    Contract, Forecast, Overdraft, Scenario, Sizing, Tier, TierMode, TokenPrice,
};

fn main() {
    let daily = history();
    let history = DemandHistory::from_tokens(&daily);
    let scenario = scenario();
    println!(
        "history: {} days, {} tokens; term: {} years from {}",
        history.days(),
        history.tokens(),
        scenario.contract.years,
        scenario.contract.start
    );
    println!("threads: {}", rayon::current_num_threads());
    let coarse = Grid::Auto {
        annual_levels: 6,
        contract_levels: 5,
        max_fraction: Decimal::new(15, 1),
        refine: 0,
        enumerate_up_to: 0,
    };
    for (label, grid) in [
        ("grid 6 x 5 alone", coarse),
        ("default search", Grid::default()),
    ] {
        println!("\n{label}");
        println!(
            "{:>7} {:>6} {:>12} {:>12}",
            "trials", "plans", "parallel", "serial"
        );
        let mut last = None;
        for trials in [500, 1000, 2000, 4000] {
            let (par, report) = best_of(5, &history, &scenario, &grid, trials, true);
            let (ser, _) = best_of(5, &history, &scenario, &grid, trials, false);
            println!(
                "{trials:>7} {:>6} {:>9.1} ms {:>9.1} ms",
                report.plans.len(),
                ms(par),
                ms(ser)
            );
            last = Some(report);
        }
        if let Some(r) = last {
            let p = &r.plans[r.recommended];
            println!(
                "recommended: {} annual/year + {} contract, expected {} (P10 {}, P90 {}), \
                 overage probability {}",
                p.annual_tokens_per_year,
                p.contract_tokens,
                p.expected_cost,
                p.p10_cost,
                p.p90_cost,
                p.overage_probability
            );
            if let Some(w) = r.recommended_within_risk.and_then(|i| r.plans.get(i)) {
                println!(
                    "within risk: {} annual/year + {} contract, expected {}, \
                     overage probability {}",
                    w.annual_tokens_per_year,
                    w.contract_tokens,
                    w.expected_cost,
                    w.overage_probability
                );
            }
            println!(
                "search: {:?}, unit {} tokens",
                r.search.method, r.search.unit
            );
        }
    }
    repriced(&daily, &scenario);
}

/// The same history as two rated streams (70% and 30% of each day's
/// tokens) whose rates change on every contract anniversary and mid-year:
/// what re-pricing at the simulated date's rates costs.
fn repriced(daily: &[(NaiveDate, Decimal)], scenario: &Scenario) {
    use tokenplan::ledger::sizing::{DemandStream, RateSteps};
    use tokenplan::scenario::{Product, Rate, Rule};
    let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
    let table = |rates: &[(&str, &str)]| {
        RateSteps::of_product(&Product {
            name: "bench".into(),
            rule: Rule::CalendarDay {
                time_zone: None,
                grace_minutes: None,
            },
            rates: rates
                .iter()
                .map(|(from, tokens)| Rate {
                    from: from.parse().unwrap_or_default(),
                    tokens: d(tokens),
                })
                .collect(),
            features: Vec::new(),
        })
    };
    let split = |share: &str| daily.iter().map(|(_, t)| *t * d(share)).collect();
    let first = daily.first().map(|(day, _)| *day).unwrap_or_default();
    let history = DemandHistory::from_streams(
        first,
        vec![
            DemandStream {
                rates: table(&[
                    ("2020-01-01", "1"),
                    ("2027-07-01", "1.1"),
                    ("2028-01-01", "1.2"),
                ]),
                units: split("0.7"),
            },
            DemandStream {
                rates: table(&[
                    ("2020-01-01", "1"),
                    ("2028-07-01", "0.9"),
                    ("2029-01-01", "1.3"),
                ]),
                units: split("0.3"),
            },
        ],
    );
    println!(
        "
re-priced demand (2 rate tables, 4 rate changes in the term), default search"
    );
    println!("{:>7} {:>6} {:>12}", "trials", "plans", "parallel");
    for trials in [2000, 4000] {
        let (par, report) = best_of(5, &history, scenario, &Grid::default(), trials, true);
        println!("{trials:>7} {:>6} {:>9.1} ms", report.plans.len(), ms(par));
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn best_of(
    runs: usize,
    history: &DemandHistory,
    scenario: &Scenario,
    grid: &Grid,
    trials: u32,
    parallel: bool,
) -> (Duration, SizeReport) {
    let options = SizingOptions {
        trials,
        parallel,
        grid: grid.clone(),
        ..SizingOptions::from_scenario(scenario)
    };
    let mut best = Duration::MAX;
    let mut report = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = size(history, scenario, &options, &NoProgress);
        best = best.min(t.elapsed());
        report = Some(r);
    }
    match report {
        Some(Ok(r)) => (best, r),
        Some(Err(e)) => {
            eprintln!("sizing failed: {e}");
            std::process::exit(1)
        }
        None => std::process::exit(1),
    }
}

/// Two years of daily tokens: about 1,200 on weekdays, 60 at weekends, a
/// quiet last week of December, ±25% noise.
fn history() -> Vec<(NaiveDate, Decimal)> {
    let mut rng = TrialRng::for_trial(2024, 0);
    let first = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    first
        .iter_days()
        .take(731)
        .map(|day| {
            let base: u64 = match day.weekday() {
                Weekday::Sat | Weekday::Sun => 60,
                _ if day.month() == 12 && day.day() > 23 => 200,
                _ => 1200,
            };
            let tokens = base * 3 / 4 + rng.below(base / 2 + 1);
            (day, Decimal::from(tokens))
        })
        .collect()
}

fn scenario() -> Scenario {
    let d = |s: &str| s.parse::<Decimal>().unwrap_or_default();
    Scenario {
        pools: Default::default(),
        prices: None,
        version: 1,
        name: "bench".into(),
        currency: "USD".into(),
        server_time_zone: "America/New_York".into(),
        products: BTreeMap::new(),
        subscriptions: BTreeMap::new(),
        token_price: TokenPrice::Tiers {
            mode: TierMode::AllUnits,
            tiers: vec![
                Tier {
                    from: 0,
                    price: d("3.00"),
                },
                Tier {
                    from: 50_000,
                    price: d("2.75"),
                },
            ],
        },
        contract: Contract {
            start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default(),
            years: 3,
            overage_price: d("3.60"),
            overdraft: Overdraft::Unlimited,
            discount_rate: d("0.08"),
            pack_size: None,
            seat_changes: Default::default(),
            current_seats: Default::default(),
        },
        forecast: Forecast {
            history_days: 365,
            growth_per_year: d("0.05"),
        },
        budgets: BTreeMap::new(),
        constraints: Default::default(),
        sizing: Sizing::default(),
    }
}
