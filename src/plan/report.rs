//! The recommendation as users see it: `recommend --format json` (SPEC §7)
//! and the reassignment list as CSV.
//!
//! [`RecommendReport`] is built from a [`Recommendation`] by
//! [`RecommendReport::new`]; money, days and tokens are serialized as
//! decimal strings with two places ([`Fixed2`]), rounded half away from
//! zero, while every figure is kept exact until then.
//!
//! **The plan's total, line by line.** The total annual cost is the
//! seats, the token purchase and the `Concurrent` pools ([`PoolLine`],
//! priced outside the token tiers). Its lines are: each user (seats +
//! tokens left to tokens × the unit price, the purchase's cost per token
//! bought; a `DailyPeak` product's tokens are the user's share of its
//! pool), each pool, and the tokens bought beyond the forecast — the
//! purchase rounded up to whole tokens or packs, or raised to a tier's
//! floor: its cost is what the purchase costs beyond the users' lines
//! (exactly the total minus every other line). Shown to the cent, the lines
//! add up to the shown total: each line is the rounded running total
//! minus the rounded running total before it (users by name, then pools
//! by name, then the line beyond the forecast), so every shown line is
//! within a cent of its exact cost.
//!
//! The crossover uses the marginal price of a token in the plan: the price
//! of the tier its purchase reaches.

use std::collections::BTreeMap;
use std::io::Write;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

use super::baselines::Baselines;
use super::crossover::crossover;
use super::input::PlanInput;
use super::optimise::{Method, Recommendation};
use super::pools::PoolLine;

/// A decimal shown with exactly two places (`"2030.00"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fixed2(pub Decimal);

impl Serialize for Fixed2 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fixed2(self.0))
    }
}

impl std::fmt::Display for Fixed2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&fixed2(self.0))
    }
}

/// `d` rounded half away from zero to two places, always written with two.
pub fn fixed2(d: Decimal) -> String {
    let mut r = d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    r.rescale(2);
    if r.is_zero() {
        r.set_sign_positive(true);
    }
    r.to_string()
}

/// One user's line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserLine {
    /// Display name.
    pub user: String,
    /// Recommended subscription codes (empty: tokens only).
    pub subscriptions: Vec<String>,
    /// Products left to tokens → forecast use-days a year.
    pub token_products: BTreeMap<String, Fixed2>,
    /// Recommended plan's annual cost (tokens at the unit price), to the
    /// cent so that every line adds up to the total (see the module docs).
    pub annual_cost: Fixed2,
    /// Subscriptions held today (empty: tokens only, or no assignments given).
    pub current_plan: Vec<String>,
    /// Current plan's annual cost at the same unit price.
    pub current_annual_cost: Fixed2,
    /// Current minus recommended annual cost.
    pub saving: Fixed2,
    /// Every product used → forecast use-days a year.
    pub forecast_days: BTreeMap<String, Fixed2>,
    /// Every product used → forecast tokens a year.
    pub forecast_tokens: BTreeMap<String, Fixed2>,
    #[serde(skip)]
    saving_exact: Decimal,
}

/// One crossover row; days are `null` when a use-day costs nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CrossoverLine {
    /// Subscription code.
    pub subscription: String,
    /// Product code.
    pub product: String,
    /// Tokens per use-day at the contract start.
    pub rate: Fixed2,
    /// The token price it is computed at: the plan's marginal price.
    pub token_price: Fixed2,
    /// Use-days a year above which the subscription is cheaper.
    pub days_per_year: Option<Fixed2>,
    /// The same per month (÷ 12).
    pub days_per_month: Option<Fixed2>,
}

/// Annual cost of each baseline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BaselineLines {
    /// Nobody holds a subscription.
    pub all_tokens: Fixed2,
    /// Everyone covered by the cheapest set covering what they used.
    pub all_subscriptions: Fixed2,
    /// The current assignments (only when given).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<Fixed2>,
}

/// A `Concurrent` pool's line: bought as a pool, priced outside the tiers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PoolReportLine {
    /// Pool name.
    pub pool: String,
    /// Its products' codes.
    pub products: Vec<String>,
    /// Highest concurrent draw over the history.
    pub peak: u32,
    /// Smallest size meeting the target denial rate over the history.
    pub size_for_target: u32,
    /// Tokens of pool size to buy: `size_for_target` × (1 + growth), up.
    pub size: u32,
    /// Price per token of pool size a year (`null`: none given).
    pub price: Option<Fixed2>,
    /// `size` × `price`, to the cent so that the lines add up.
    pub cost: Fixed2,
}

/// A `DailyPeak` pool's forecast: its tokens are in the purchase, split
/// among its users' lines.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeakPoolLine {
    /// Pool name.
    pub pool: String,
    /// Its products' codes.
    pub products: Vec<String>,
    /// The pool's forecast daily peaks over the year, at the forecast rate.
    pub forecast_tokens: Fixed2,
}

/// What the purchase buys beyond the forecast: the rounding up to whole
/// tokens or packs, and any raise to a tier's floor.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BeyondLine {
    /// Tokens bought minus tokens needed.
    pub tokens: Fixed2,
    /// Their cost: the total minus every other line, to the cent.
    pub cost: Fixed2,
}

/// The forecast window the demand comes from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WindowLine {
    /// First date of the window.
    pub start: Option<chrono::NaiveDate>,
    /// Last date of the window.
    pub end: Option<chrono::NaiveDate>,
    /// Days in the window.
    pub days: u32,
}

/// `recommend --format json` (SPEC §7).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RecommendReport {
    /// Per user, by display name.
    pub users: Vec<UserLine>,
    /// Subscription code → seats (every subscription, zeros included).
    pub seats: BTreeMap<String, u32>,
    /// Tokens to buy a year: the need rounded up to whole tokens or packs,
    /// raised to a tier floor when cheaper.
    pub annual_tokens: Fixed2,
    /// Forecast tokens the plan leaves to tokens (`DailyPeak` pools
    /// included).
    pub tokens_needed: Fixed2,
    /// Token cost per token bought (the bracket price with all-units tiers,
    /// the average with incremental tiers).
    pub token_price: Fixed2,
    /// Price of the bracket the purchase reaches.
    pub marginal_token_price: Fixed2,
    /// Cost of the token purchase.
    pub token_cost: Fixed2,
    /// Cost of all seats.
    pub subscription_cost: Fixed2,
    /// `Concurrent` pools, one line each, by name.
    pub pools: Vec<PoolReportLine>,
    /// Their cost.
    pub pool_cost: Fixed2,
    /// `DailyPeak` pools' forecasts (their tokens are in the purchase).
    pub daily_peak_pools: Vec<PeakPoolLine>,
    /// The tokens bought beyond the forecast and their cost.
    pub tokens_beyond_forecast: BeyondLine,
    /// Seats + tokens + pools.
    pub total_annual_cost: Fixed2,
    /// Crossover per subscription × covered product (pool products have
    /// none), at `marginal_token_price`.
    pub crossover: Vec<CrossoverLine>,
    /// Baseline totals, each with the same pools.
    pub baselines: BaselineLines,
    /// Where the demand comes from.
    pub forecast_window: WindowLine,
    /// How the plan was found, in plain words (`"per-user exact"`,
    /// `"exact search"`, `"local search"`, ...).
    pub method: Method,
    /// True only when the plan is proven the cheapest that meets every
    /// constraint (see [`Recommendation::proven_optimal`]).
    pub proven_optimal: bool,
    /// Inputs that were ignored.
    pub warnings: Vec<String>,
}

/// The input's warnings, and the users seat limits moved against the
/// switching threshold.
fn warnings(input: &PlanInput, rec: &Recommendation) -> Vec<String> {
    let mut out = input.warnings.clone();
    if rec.forced_moves > 0 {
        out.push(format!(
            "{} users move for less than the switching threshold: the seat limits leave no other way",
            rec.forced_moves
        ));
    }
    out
}

/// The crossover points at the marginal token price, as report lines.
fn crossover_lines(input: &PlanInput, marginal: Decimal) -> Vec<CrossoverLine> {
    crossover(input, marginal)
        .into_iter()
        .map(|c| CrossoverLine {
            subscription: c.subscription,
            product: c.product,
            rate: Fixed2(c.rate),
            token_price: Fixed2(c.token_price),
            days_per_year: c.days_per_year.map(Fixed2),
            days_per_month: c.days_per_month.map(Fixed2),
        })
        .collect()
}

impl RecommendReport {
    /// Builds the report of `rec` with its baselines.
    pub fn new(input: &PlanInput, rec: &Recommendation, base: &Baselines) -> RecommendReport {
        let code = |p: u16| {
            input
                .products
                .get(usize::from(p))
                .cloned()
                .unwrap_or_default()
        };
        let pool_cost = input.pool_cost();
        let total = rec.total_cost + pool_cost;
        // The lines of the total, exact, in the order of the module docs.
        let mut exact: Vec<Decimal> = input
            .users
            .iter()
            .enumerate()
            .map(|(i, _)| rec.user_cost(i))
            .collect();
        exact.extend(input.pools.iter().map(|p| p.cost));
        let beyond = total - exact.iter().copied().sum::<Decimal>();
        exact.push(beyond);
        let shown = add_up_to_cents(&exact);
        let mut users = Vec::with_capacity(input.users.len());
        for (i, u) in input.users.iter().enumerate() {
            let Some(pick) = rec.picks.get(i) else {
                continue;
            };
            let covers = input.plan_covers(pick.mask);
            let annual = pick.cost_at(rec.unit_price);
            let (cs, ct) = input.plan_parts(u, u.current);
            let current = cs + ct * rec.unit_price;
            users.push(UserLine {
                user: u.name.clone(),
                subscriptions: input.plan_codes(pick.mask),
                token_products: u
                    .demand
                    .iter()
                    .filter(|d| covers & (1u128 << d.product) == 0)
                    .map(|d| (code(d.product), Fixed2(d.days)))
                    .collect(),
                annual_cost: Fixed2(shown.get(i).copied().unwrap_or(annual)),
                current_plan: input.plan_codes(u.current),
                current_annual_cost: Fixed2(current),
                saving: Fixed2(current - annual),
                forecast_days: u
                    .demand
                    .iter()
                    .map(|d| (code(d.product), Fixed2(d.days)))
                    .collect(),
                forecast_tokens: u
                    .demand
                    .iter()
                    .map(|d| (code(d.product), Fixed2(d.tokens)))
                    .collect(),
                saving_exact: current - annual,
            });
        }
        let n = input.users.len();
        let pools = input
            .pools
            .iter()
            .enumerate()
            .map(|(k, p)| pool_line(p, shown.get(n + k).copied().unwrap_or(p.cost)))
            .collect();
        let date = |d: Option<i32>| d.map(crate::time::date_of_day);
        let marginal = rec.purchase.price;
        RecommendReport {
            users,
            seats: input
                .subscriptions
                .iter()
                .zip(&rec.seats)
                .map(|(s, &n)| (s.code.clone(), n))
                .collect(),
            annual_tokens: Fixed2(rec.purchase.tokens),
            tokens_needed: Fixed2(rec.tokens_needed),
            token_price: Fixed2(rec.unit_price),
            marginal_token_price: Fixed2(marginal),
            token_cost: Fixed2(rec.purchase.cost),
            subscription_cost: Fixed2(rec.subscription_cost),
            pools,
            pool_cost: Fixed2(pool_cost),
            daily_peak_pools: input
                .forecast
                .peak_pools
                .iter()
                .map(|p| PeakPoolLine {
                    pool: p.pool.clone(),
                    products: p.products.iter().map(|&x| code(x)).collect(),
                    forecast_tokens: Fixed2(p.tokens),
                })
                .collect(),
            tokens_beyond_forecast: BeyondLine {
                tokens: Fixed2(rec.purchase.tokens - rec.tokens_needed),
                cost: Fixed2(shown.last().copied().unwrap_or(beyond)),
            },
            total_annual_cost: Fixed2(total),
            crossover: crossover_lines(input, marginal),
            baselines: BaselineLines {
                all_tokens: Fixed2(base.all_tokens.total_cost + pool_cost),
                all_subscriptions: Fixed2(base.all_subscriptions.total_cost + pool_cost),
                current: base
                    .current
                    .as_ref()
                    .map(|b| Fixed2(b.total_cost + pool_cost)),
            },
            forecast_window: WindowLine {
                start: date(input.forecast.window_start),
                end: date(input.forecast.window_end),
                days: input.forecast.window_days,
            },
            method: rec.method,
            proven_optimal: rec.proven_optimal,
            warnings: warnings(input, rec),
        }
    }

    /// Writes the reassignment list as CSV with the header
    /// `user,current_plan,recommended_plan,forecast_days,current_annual_cost,recommended_annual_cost,saving`,
    /// users sorted by saving (largest first) then user.
    ///
    /// Plans are subscription codes joined with `+`, or `tokens` for none.
    /// Forecast days are one column, `ACD=112.50;RVT=3.10` (products in code
    /// order): a spreadsheet opens it as one text cell whatever the number of
    /// products, and the other columns stay at fixed positions.
    ///
    /// After the users come the lines that complete the plan's total, so
    /// that the `recommended_annual_cost` column adds up to it to the cent:
    /// one per `Concurrent` pool (`pool NAME`, recommended plan `N tokens`,
    /// the same cost current and recommended: the pool is bought either
    /// way, saving 0), then, when the purchase buys more than the forecast
    /// or the cents ask for it, `tokens bought beyond the forecast` with
    /// those tokens as its plan and their cost (current cost and saving
    /// empty).
    ///
    /// # Errors
    /// When writing to `out` fails.
    pub fn write_reassignment_csv<W: Write>(&self, out: W) -> Result<(), csv::Error> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "user",
            "current_plan",
            "recommended_plan",
            "forecast_days",
            "current_annual_cost",
            "recommended_annual_cost",
            "saving",
        ])?;
        let mut rows: Vec<&UserLine> = self.users.iter().collect();
        rows.sort_by(|a, b| {
            b.saving_exact
                .cmp(&a.saving_exact)
                .then(a.user.cmp(&b.user))
        });
        let plan = |codes: &[String]| {
            if codes.is_empty() {
                "tokens".to_string()
            } else {
                codes.join("+")
            }
        };
        for u in rows {
            let days: Vec<String> = u
                .forecast_days
                .iter()
                .map(|(p, d)| format!("{p}={d}"))
                .collect();
            w.write_record([
                u.user.as_str(),
                &plan(&u.current_plan),
                &plan(&u.subscriptions),
                &days.join(";"),
                &u.current_annual_cost.to_string(),
                &u.annual_cost.to_string(),
                &u.saving.to_string(),
            ])?;
        }
        for p in &self.pools {
            let cost = p.cost.to_string();
            w.write_record([
                format!("pool {}", p.pool).as_str(),
                "",
                &format!("{} tokens", p.size),
                "",
                &cost,
                &cost,
                "0.00",
            ])?;
        }
        let beyond = &self.tokens_beyond_forecast;
        if !beyond.tokens.0.is_zero() || !beyond.cost.0.is_zero() {
            w.write_record([
                "tokens bought beyond the forecast",
                "",
                &format!("{} tokens", beyond.tokens),
                "",
                "",
                &beyond.cost.to_string(),
                "",
            ])?;
        }
        w.flush()?;
        Ok(())
    }
}

/// The report line of pool `p`, its cost shown as `cost`.
fn pool_line(p: &PoolLine, cost: Decimal) -> PoolReportLine {
    PoolReportLine {
        pool: p.pool.clone(),
        products: p.products.clone(),
        peak: p.peak,
        size_for_target: p.size_for_target,
        size: p.size,
        price: p.price.map(Fixed2),
        cost: Fixed2(cost),
    }
}

/// `exact` amounts shown to the cent so that they add up to their exact
/// sum rounded to the cent: each is the running total rounded (half away
/// from zero) minus the running total before it rounded. Each shown amount
/// is within a cent of its exact value.
pub fn add_up_to_cents(exact: &[Decimal]) -> Vec<Decimal> {
    let cents = |d: Decimal| d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let mut running = Decimal::ZERO;
    let mut shown_so_far = Decimal::ZERO;
    exact
        .iter()
        .map(|&x| {
            running += x;
            let upto = cents(running);
            let shown = upto - shown_so_far;
            shown_so_far = upto;
            shown
        })
        .collect()
}
