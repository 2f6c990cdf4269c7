//! The recommendation as users see it: `recommend --format json` (SPEC §7)
//! and the reassignment list as CSV.
//!
//! [`RecommendReport`] is built from a [`Recommendation`] by
//! [`RecommendReport::new`]; money, days and tokens are serialized as
//! decimal strings with two places ([`Fixed2`]), rounded half away from
//! zero, while every figure is kept exact until then.

use std::collections::BTreeMap;
use std::io::Write;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};

use super::baselines::Baselines;
use super::crossover::crossover;
use super::input::PlanInput;
use super::optimise::{Method, Recommendation};

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
    /// Recommended plan's annual cost (tokens at the unit price).
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
    /// Tokens to buy a year (the need, raised to a tier floor when cheaper).
    pub annual_tokens: Fixed2,
    /// Forecast tokens the plan leaves to tokens.
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
    /// Seats + tokens.
    pub total_annual_cost: Fixed2,
    /// Crossover per subscription × covered product, at `token_price`.
    pub crossover: Vec<CrossoverLine>,
    /// Baseline totals.
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
                annual_cost: Fixed2(annual),
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
        let date = |d: Option<i32>| d.and_then(super::dip::date_of_day);
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
            marginal_token_price: Fixed2(rec.purchase.price),
            token_cost: Fixed2(rec.purchase.cost),
            subscription_cost: Fixed2(rec.subscription_cost),
            total_annual_cost: Fixed2(rec.total_cost),
            crossover: crossover(input, rec.unit_price)
                .into_iter()
                .map(|c| CrossoverLine {
                    subscription: c.subscription,
                    product: c.product,
                    rate: Fixed2(c.rate),
                    days_per_year: c.days_per_year.map(Fixed2),
                    days_per_month: c.days_per_month.map(Fixed2),
                })
                .collect(),
            baselines: BaselineLines {
                all_tokens: Fixed2(base.all_tokens.total_cost),
                all_subscriptions: Fixed2(base.all_subscriptions.total_cost),
                current: base.current.as_ref().map(|b| Fixed2(b.total_cost)),
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
    /// sorted by saving (largest first) then user.
    ///
    /// Plans are subscription codes joined with `+`, or `tokens` for none.
    /// Forecast days are one column, `ACD=112.50;RVT=3.10` (products in code
    /// order): a spreadsheet opens it as one text cell whatever the number of
    /// products, and the other columns stay at fixed positions.
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
        w.flush()?;
        Ok(())
    }
}
