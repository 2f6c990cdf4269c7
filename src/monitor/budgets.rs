//! Budgets: the token pool split into virtual pools per department
//! (SPEC §3 `budgets`, §6), with burn against each allocation and its
//! projected run-out.
//!
//! A user's pool is the department of their directory entry; users without
//! an entry or with an empty department are in the [`UNASSIGNED`] pool,
//! which is always reported when it has consumption. Departments are
//! matched to budget names case-insensitively after trimming (the budget's
//! spelling is shown). A department of the directory without a budget gets
//! a pool without allocation; a budget without any user still shows, at 0.
//!
//! Allocations are tokens per year. The budget year is the year of the
//! contract's anniversaries (`contract.start`'s month and day) that contains
//! today, so a future contract's calendar also frames the history before
//! it. Consumption counts from the budget year's first day to today; the
//! daily rate, projection and run-out follow [`burn`](super::burn)'s methods
//! on the pool's own series.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::monitor::burn::DenseDays;
use crate::monitor::burn::{run_out_date, trailing_mean};
use crate::monitor::{ChargeRow, Rows, plain, round2};
use crate::scenario::Scenario;
use crate::time::date_of_day;
use crate::usage::{Usage, UserId};

/// Name of the pool of users without a department.
pub const UNASSIGNED: &str = "unassigned";

/// One virtual pool.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BudgetPool {
    /// Department (the budget's spelling), or [`UNASSIGNED`].
    pub department: String,
    /// Tokens per year allocated (none: the department has no budget).
    pub allocation: Option<Decimal>,
    /// Users of the pool with at least one charge in the history.
    pub users: u32,
    /// First day of the budget year.
    pub period_start: NaiveDate,
    /// Last day of the budget year.
    pub period_end: NaiveDate,
    /// Tokens drawn from the period's start to today.
    pub consumed: Decimal,
    /// Allocation − consumed.
    pub remaining: Option<Decimal>,
    /// The pool's 30-day trailing mean on today, two decimal places.
    pub daily_rate: Decimal,
    /// Consumed + daily rate × days left in the period, two decimal places.
    pub projected_period_total: Decimal,
    /// When the allocation runs out at the daily rate (none: no allocation,
    /// or it never does).
    pub run_out: Option<NaiveDate>,
    /// True when the run-out date falls inside the budget year.
    pub runs_out_in_period: bool,
}

/// The budget year containing `today`: from the last anniversary of
/// `contract_start` on or before today to the day before the next one.
/// (A 29 February start has its anniversaries on 28 February.)
pub fn budget_period(contract_start: NaiveDate, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let anniversary = |year: i32| {
        NaiveDate::from_ymd_opt(year, contract_start.month(), contract_start.day())
            .or_else(|| NaiveDate::from_ymd_opt(year, contract_start.month(), 28))
    };
    let this_year = anniversary(today.year()).unwrap_or(today);
    let start = if this_year <= today {
        this_year
    } else {
        anniversary(today.year() - 1).unwrap_or(today)
    };
    let end = anniversary(start.year() + 1)
        .and_then(|d| d.pred_opt())
        .unwrap_or(today);
    (start, end)
}

/// The virtual pools of `scenario.budgets` over `rows`, as of `today`,
/// sorted by department with [`UNASSIGNED`] last.
pub fn budgets(
    rows: &[ChargeRow],
    usage: &Usage,
    scenario: &Scenario,
    today: NaiveDate,
) -> Vec<BudgetPool> {
    budgets_of(rows, usage, scenario, today)
}

/// [`budgets`] of any [`Rows`]: one pass, each user's pool looked up once,
/// each pool's dates on a dense window.
pub(crate) fn budgets_of<R: Rows + ?Sized>(
    rows: &R,
    usage: &Usage,
    scenario: &Scenario,
    today: NaiveDate,
) -> Vec<BudgetPool> {
    let (period_start, period_end) = budget_period(scenario.contract.start, today);
    // Pool key: lower-cased trimmed department; value: display name and allocation.
    let mut pools: BTreeMap<String, (String, Option<Decimal>)> = BTreeMap::new();
    for (dept, alloc) in &scenario.budgets {
        pools.insert(key(dept), (dept.trim().to_string(), Some(*alloc)));
    }
    // Per user id: index into `keys` (resolved on the user's first row).
    const UNRESOLVED: u32 = u32::MAX;
    let mut pool_of_user: Vec<u32> = vec![UNRESOLVED; usage.users.len()];
    let mut index_of_key: BTreeMap<String, u32> = BTreeMap::new();
    struct Acc<'u> {
        key: String,
        series: DenseDays<Decimal>,
        users: u32,
        /// The lowest user id with a row and their spelling: a department
        /// without budget is shown as that user's directory spells it.
        first: Option<(UserId, &'u str)>,
    }
    let mut accs: Vec<Acc<'_>> = Vec::new();
    // Ids beyond the table (never produced by the importers) are looked up
    // on every row and counted once through this set.
    let mut seen_beyond: std::collections::BTreeSet<UserId> = Default::default();
    rows.visit(&mut |r| {
        let known = pool_of_user
            .get(r.user as usize)
            .copied()
            .filter(|&i| i != UNRESOLVED);
        let i = match known {
            Some(i) => i as usize,
            None => {
                let dept = usage
                    .directory
                    .get(&r.user)
                    .map(|e| e.department.trim())
                    .filter(|d| !d.is_empty());
                let k = dept.map_or_else(|| UNASSIGNED_KEY.to_string(), key);
                let i = *index_of_key.entry(k.clone()).or_insert_with(|| {
                    accs.push(Acc {
                        key: k,
                        series: DenseDays::default(),
                        users: 0,
                        first: None,
                    });
                    (accs.len() - 1) as u32
                }) as usize;
                let new_user = match pool_of_user.get_mut(r.user as usize) {
                    Some(slot) => {
                        *slot = i as u32;
                        true
                    }
                    None => seen_beyond.insert(r.user),
                };
                if let Some(acc) = accs.get_mut(i) {
                    if new_user {
                        acc.users += 1;
                    }
                    if let Some(d) = dept
                        && acc.first.is_none_or(|(u, _)| r.user < u)
                    {
                        acc.first = Some((r.user, d));
                    }
                }
                i
            }
        };
        if let Some(acc) = accs.get_mut(i) {
            *acc.series.slot(r.day).get_or_insert(Decimal::ZERO) += r.tokens;
        }
    });
    let mut series: BTreeMap<String, BTreeMap<NaiveDate, Decimal>> = BTreeMap::new();
    let mut users: BTreeMap<String, u32> = BTreeMap::new();
    for acc in accs {
        if let Some((_, d)) = acc.first {
            pools
                .entry(acc.key.clone())
                .or_insert_with(|| (d.to_string(), None));
        }
        users.insert(acc.key.clone(), acc.users);
        series.insert(
            acc.key,
            acc.series
                .iter()
                .map(|(day, t)| (date_of_day(day), *t))
                .collect(),
        );
    }
    if series.contains_key(UNASSIGNED_KEY) {
        pools
            .entry(UNASSIGNED_KEY.to_string())
            .or_insert_with(|| (UNASSIGNED.to_string(), None));
    }
    budget_lines(pools, &series, &users, (period_start, period_end), today)
}

/// One line per pool: consumed in the budget period, the trailing 30-day
/// rate, what remains and when it runs out; the unassigned pool last.
fn budget_lines(
    pools: BTreeMap<String, (String, Option<Decimal>)>,
    series: &BTreeMap<String, BTreeMap<NaiveDate, Decimal>>,
    users: &BTreeMap<String, u32>,
    (period_start, period_end): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Vec<BudgetPool> {
    let empty = BTreeMap::new();
    let days_left = Decimal::from((period_end - today).num_days().max(0));
    let mut out: Vec<BudgetPool> = pools
        .into_iter()
        .map(|(k, (department, allocation))| {
            let s = series.get(&k).unwrap_or(&empty);
            let consumed: Decimal = s.range(period_start..=today).map(|(_, t)| *t).sum();
            let rate = trailing_mean(s, today, 30);
            let remaining = allocation.map(|a| a - consumed);
            let run_out = remaining.and_then(|r| run_out_date(r, rate, today));
            BudgetPool {
                department,
                allocation,
                users: users.get(&k).copied().unwrap_or(0),
                period_start,
                period_end,
                consumed: plain(consumed),
                remaining: remaining.map(plain),
                daily_rate: round2(rate),
                projected_period_total: round2(consumed + rate * days_left),
                run_out,
                runs_out_in_period: run_out.is_some_and(|d| d <= period_end),
            }
        })
        .collect();
    // The unassigned pool goes last whatever its name sorts as.
    out.sort_by_key(|p| {
        (
            p.department == UNASSIGNED && p.allocation.is_none(),
            key(&p.department),
        )
    });
    out
}

/// Pool key of the users without department (not a valid trimmed name).
const UNASSIGNED_KEY: &str = "\u{0}unassigned";

fn key(department: &str) -> String {
    department.trim().to_lowercase()
}
