//! Shadow bill (SPEC §6): the same history under every charging rule, side
//! by side, at the scenario's rates and base token price.
//!
//! For each rule, every product's rule is replaced by it ([`with_rule`]):
//! a product already under that rule keeps its parameters, the others take
//! the rule's defaults. What a rule bills differs, and each row says which
//! ([`ShadowRow::basis`]):
//! - `CalendarDay`, `Rolling24h`, `Hourly`: the sum of the charges' tokens.
//! - `Concurrent`: the pool size to buy, the peak draw of each pool over the
//!   whole history, summed over pools.
//! - `DailyPeak`: the sum over dates of each pool's peak draw that date.

use rust_decimal::Decimal;
use serde::Serialize;

use crate::meter::{MeterError, RuleKind, meter};
use crate::monitor::{money, plain};
use crate::progress::Progress;
use crate::scenario::{Rule, Scenario};
use crate::usage::Usage;

/// Every rule, in the order of the shadow bill.
pub const RULES: [RuleKind; 5] = [
    RuleKind::CalendarDay,
    RuleKind::Rolling24h,
    RuleKind::Concurrent,
    RuleKind::DailyPeak,
    RuleKind::Hourly,
];

/// The history under one rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ShadowRow {
    /// Rule name.
    pub rule: String,
    /// What `tokens` counts (see the module docs).
    pub basis: String,
    /// Charges (user-product-dates or 24-hour windows) of the per-user rows.
    pub charges: u64,
    /// Tokens billed under the rule.
    pub tokens: Decimal,
    /// Their cost at the base token price, two decimal places.
    pub cost: Decimal,
    /// True when every product of the scenario is under this rule today.
    pub current: bool,
    /// Why this rule could not be applied (e.g. a fractional rate for a
    /// pool rule; the figures are 0 then), or what its figures leave out
    /// (use-days, which a rule that needs times can't replay).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `scenario` with every product under `kind`: a product already under it
/// keeps its parameters, the others get the defaults.
pub fn with_rule(scenario: &Scenario, kind: RuleKind) -> Scenario {
    let mut s = scenario.clone();
    for product in s.products.values_mut() {
        if rule_kind(&product.rule) != kind {
            product.rule = bare(kind);
        }
    }
    s
}

/// The kind of a scenario rule.
pub fn rule_kind(rule: &Rule) -> RuleKind {
    match rule {
        Rule::CalendarDay { .. } => RuleKind::CalendarDay,
        Rule::Rolling24h { .. } => RuleKind::Rolling24h,
        Rule::Concurrent { .. } => RuleKind::Concurrent,
        Rule::DailyPeak { .. } => RuleKind::DailyPeak,
        Rule::Hourly { .. } => RuleKind::Hourly,
    }
}

fn bare(kind: RuleKind) -> Rule {
    match kind {
        RuleKind::CalendarDay => Rule::CalendarDay {
            time_zone: None,
            grace_minutes: None,
        },
        RuleKind::Rolling24h => Rule::Rolling24h {
            grace_minutes: None,
        },
        RuleKind::Concurrent => Rule::Concurrent {
            pool: None,
            linger_minutes: None,
        },
        RuleKind::DailyPeak => Rule::DailyPeak {
            time_zone: None,
            pool: None,
        },
        RuleKind::Hourly => Rule::Hourly { time_zone: None },
    }
}

fn basis(kind: RuleKind) -> &'static str {
    match kind {
        RuleKind::CalendarDay => "rate per user, product and date used",
        RuleKind::Rolling24h => "rate per 24-hour window opened",
        RuleKind::Concurrent => "pool size: peak tokens held at once, summed over pools",
        RuleKind::DailyPeak => "peak tokens held at once per date, summed over dates and pools",
        RuleKind::Hourly => "rate per hour used, pro rata",
    }
}

/// The shadow bill of `usage` under `scenario`'s rates, one row per rule in
/// [`RULES`] order, priced at `price` per token.
///
/// # Errors
/// [`MeterError::BadZone`] and [`MeterError::Cancelled`] from [`meter`];
/// a rule that cannot apply to this scenario (a fractional pool rate) is
/// reported in its row instead.
pub fn shadow_bill(
    usage: &Usage,
    scenario: &Scenario,
    price: Decimal,
    progress: &dyn Progress,
) -> Result<Vec<ShadowRow>, MeterError> {
    let mut rows = Vec::with_capacity(RULES.len());
    for kind in RULES {
        let current = !scenario.products.is_empty()
            && scenario
                .products
                .values()
                .all(|p| rule_kind(&p.rule) == kind);
        let mut row = ShadowRow {
            rule: kind.as_str().to_string(),
            basis: basis(kind).to_string(),
            charges: 0,
            tokens: Decimal::ZERO,
            cost: money(Decimal::ZERO),
            current,
            error: None,
        };
        match meter(usage, &with_rule(scenario, kind), progress) {
            Ok(m) => {
                let tokens = match kind {
                    RuleKind::Concurrent => m.pools.iter().map(|p| Decimal::from(p.peak)).sum(),
                    RuleKind::DailyPeak => m
                        .pools
                        .iter()
                        .map(|p| Decimal::from(p.peak_days_total()))
                        .sum(),
                    _ => m.pairs.iter().map(|p| p.tokens()).sum(),
                };
                row.charges = m.pairs.iter().map(|p| p.charges()).sum();
                row.tokens = plain(tokens);
                row.cost = money(tokens * price);
                let untimed: u64 = m.use_days.not_replayable.values().map(|v| v.1).sum();
                if untimed > 0 {
                    // Not a silent zero: the figure leaves out what the rule can't replay.
                    row.error = Some(format!(
                        "{untimed} use-days from usage reports are left out: this rule needs checkout times"
                    ));
                }
            }
            Err(e @ MeterError::FractionalPoolRate { .. }) => row.error = Some(e.to_string()),
            Err(e) => return Err(e),
        }
        rows.push(row);
    }
    Ok(rows)
}
