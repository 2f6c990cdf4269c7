//! Pool-sizing benchmark: `cargo run --release --bin bench_size`.
//!
//! Sizes a 3-year contract from two years of synthetic daily demand (weekday
//! rhythm, holidays, noise) with the default 30-plan grid, at 500, 1,000,
//! 2,000 and 4,000 trials, in parallel and serially, and prints the best of
//! five runs of each; then the same with the default second pass that
//! refines the grid around the winners. The target: 2,000 trials × 30 plans
//! under one second.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, Weekday};
use rust_decimal::Decimal;
use tokenplan::ledger::rng::TrialRng;
use tokenplan::ledger::{Grid, SizeReport, SizingOptions, size};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::{
    Contract, Forecast, Overdraft, Scenario, Sizing, Tier, TierMode, TokenPrice,
};

fn main() {
    let history = history();
    let scenario = scenario();
    println!(
        "history: {} days, {} tokens; term: {} years from {}",
        history.len(),
        history.iter().map(|(_, t)| *t).sum::<Decimal>(),
        scenario.contract.years,
        scenario.contract.start
    );
    println!("threads: {}", rayon::current_num_threads());
    for refine in [0, 6] {
        let grid = Grid::Auto {
            annual_levels: 6,
            contract_levels: 5,
            max_fraction: Decimal::new(15, 1),
            refine,
        };
        println!("\ngrid 6 x 5, refine {refine}");
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
        }
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn best_of(
    runs: usize,
    history: &[(NaiveDate, Decimal)],
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
