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

use rayon::prelude::*;

use crate::meter::{MeterError, Metered, RuleKind, meter, meter_summary};
use crate::monitor::figures::{MAX_PACKED_DRAW, RuleJob, dates_never_go_back, rule_totals};
use crate::monitor::split::{ProductGroups, collect_sessions};
use crate::monitor::{money, plain, with_sessions};
use crate::progress::Progress;
use crate::scenario::{Rule, Scenario, parse_tz};
use crate::usage::{Sessions, Usage};

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
    shadow_bill_with(usage, scenario, None, price, progress)
}

/// [`shadow_bill`] with `baseline`, `meter(usage, scenario)` when the
/// caller has it: the rule every product is under already is read from it,
/// not metered again. `CalendarDay` is metered as totals
/// ([`meter_summary`]); the other rules product group by product group
/// ([`split`](super::split)), so no copy of the whole history is made.
///
/// # Errors
/// As [`shadow_bill`].
pub fn shadow_bill_with(
    usage: &Usage,
    scenario: &Scenario,
    baseline: Option<&Metered>,
    price: Decimal,
    progress: &dyn Progress,
) -> Result<Vec<ShadowRow>, MeterError> {
    let current: Vec<bool> = RULES
        .iter()
        .map(|&kind| {
            !scenario.products.is_empty()
                && scenario
                    .products
                    .values()
                    .all(|p| rule_kind(&p.rule) == kind)
        })
        .collect();
    let mut figures: Vec<Option<Result<Figures, MeterError>>> = vec![None; RULES.len()];
    // The rules metered on no sessions first: their errors (a zone, a
    // fractional pool rate) before any work, and their resolved rules.
    let mut fast: Vec<(usize, Metered)> = Vec::new();
    for (i, &kind) in RULES.iter().enumerate() {
        let slot = &mut figures[i];
        match baseline {
            // `with_rule` leaves a scenario whose products are all under
            // `kind` as it is: its metering is the baseline.
            Some(m) if current[i] => *slot = Some(Ok(Figures::of(m, kind))),
            _ if kind == RuleKind::CalendarDay || !usage.use_days.is_empty() => {}
            _ => {
                let empty = meter(
                    &with_sessions(usage, Sessions::default()),
                    &with_rule(scenario, kind),
                    progress,
                );
                match empty {
                    Ok(m) if fast_applies(usage, scenario, &m, kind) => fast.push((i, m)),
                    Ok(_) => {}
                    Err(e @ MeterError::FractionalPoolRate { .. }) => *slot = Some(Err(e)),
                    Err(e) => return Err(e),
                }
            }
        }
    }
    if !fast.is_empty() {
        let jobs: Vec<RuleJob<'_>> = fast
            .iter()
            .map(|(i, m)| RuleJob {
                kind: RULES[*i],
                rules: &m.rules,
            })
            .collect();
        let totals = rule_totals(usage, scenario, &jobs, progress)?;
        for ((i, m), t) in fast.iter().zip(totals) {
            // The pools of a metering on no sessions hold nothing; added
            // as metering whole would.
            let empty = Figures::of(m, RULES[*i]);
            figures[*i] = Some(Ok(empty.add(Figures {
                charges: t.charges,
                tokens: t.tokens,
                untimed: 0,
            })));
        }
    }
    let mut rows = Vec::with_capacity(RULES.len());
    for (i, &kind) in RULES.iter().enumerate() {
        let mut row = ShadowRow {
            rule: kind.as_str().to_string(),
            basis: basis(kind).to_string(),
            charges: 0,
            tokens: Decimal::ZERO,
            cost: money(Decimal::ZERO),
            current: current[i],
            error: None,
        };
        let f = match figures[i].take() {
            Some(f) => f,
            None => slow_figures(usage, &with_rule(scenario, kind), kind, progress),
        };
        match f {
            Ok(f) => {
                row.charges = f.charges;
                row.tokens = plain(f.tokens);
                row.cost = money(f.tokens * price);
                if f.untimed > 0 {
                    // Not a silent zero: the figure leaves out what the rule can't replay.
                    row.error = Some(format!(
                        "{} use-days from usage reports are left out: this rule needs checkout times",
                        f.untimed
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

/// True when `kind`'s totals can be added up without metering
/// ([`figures`](super::figures)): no use-days, and for a pool rule, no
/// rate beyond [`MAX_PACKED_DRAW`] and no pool zone whose dates go back in
/// time during the history.
fn fast_applies(usage: &Usage, scenario: &Scenario, empty: &Metered, kind: RuleKind) -> bool {
    if !usage.use_days.is_empty() || kind == RuleKind::CalendarDay {
        return false;
    }
    if !matches!(kind, RuleKind::Concurrent | RuleKind::DailyPeak) {
        return true;
    }
    let max_draw = Decimal::from(MAX_PACKED_DRAW);
    if scenario
        .products
        .values()
        .any(|p| p.rates.iter().any(|r| r.tokens > max_draw))
    {
        return false;
    }
    let Some((lo, hi)) = session_span(usage) else {
        return true;
    };
    let linger = empty
        .rules
        .iter()
        .map(|r| i64::from(r.linger_secs))
        .max()
        .unwrap_or(0);
    empty.pools.iter().all(|p| {
        parse_tz(&p.time_zone)
            .is_ok_and(|tz| dates_never_go_back(tz, lo - 86_400, hi + linger + 86_400))
    })
}

/// The first checkout and the last checkin of `usage`.
fn session_span(usage: &Usage) -> Option<(i64, i64)> {
    let (lo, hi) = usage
        .sessions
        .segments()
        .par_iter()
        .map(|seg| {
            seg.iter().fold((i64::MAX, i64::MIN), |(lo, hi), s| {
                (lo.min(s.start_secs()), hi.max(s.end_secs()))
            })
        })
        .reduce(|| (i64::MAX, i64::MIN), |a, b| (a.0.min(b.0), a.1.max(b.1)));
    (lo <= hi).then_some((lo, hi))
}

/// What a shadow row shows of one metering.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Figures {
    charges: u64,
    tokens: Decimal,
    /// Use-days the rule could not replay.
    untimed: u64,
}

impl Figures {
    /// The figures of `m`, a metering with every product under `kind`.
    fn of(m: &Metered, kind: RuleKind) -> Figures {
        let tokens = match kind {
            RuleKind::Concurrent => m.pools.iter().map(|p| Decimal::from(p.peak)).sum(),
            RuleKind::DailyPeak => m
                .pools
                .iter()
                .map(|p| Decimal::from(p.peak_days_total()))
                .sum(),
            _ => m.pairs.iter().map(|p| p.tokens()).sum(),
        };
        Figures {
            charges: m.pairs.iter().map(|p| p.charges()).sum(),
            tokens,
            untimed: m.use_days.not_replayable.values().map(|v| v.1).sum(),
        }
    }

    fn add(self, o: Figures) -> Figures {
        Figures {
            charges: self.charges + o.charges,
            tokens: self.tokens + o.tokens,
            untimed: self.untimed + o.untimed,
        }
    }
}

/// The figures of `usage` metered under `scenario`, every product under
/// `kind`: `CalendarDay` as totals, a usage with use-days whole, the other
/// rules product group by product group.
fn slow_figures(
    usage: &Usage,
    scenario: &Scenario,
    kind: RuleKind,
    progress: &dyn Progress,
) -> Result<Figures, MeterError> {
    if kind == RuleKind::CalendarDay {
        let s = meter_summary(usage, scenario, progress)?;
        return Ok(Figures {
            charges: s.pairs.iter().map(|p| p.total.charges).sum(),
            tokens: s.pairs.iter().map(|p| p.total.tokens).sum(),
            untimed: s.use_days.not_replayable.values().map(|v| v.1).sum(),
        });
    }
    if !usage.use_days.is_empty() {
        return Ok(Figures::of(&meter(usage, scenario, progress)?, kind));
    }
    // The scenario's zones and pool rates checked on no sessions: the
    // errors of metering the whole history, before any work.
    let empty = meter(
        &with_sessions(usage, Sessions::default()),
        scenario,
        progress,
    )?;
    let groups = ProductGroups::new(usage, scenario);
    let parts: Vec<Result<Figures, MeterError>> = (0..groups.len())
        .into_par_iter()
        .map(|g| {
            let sessions = collect_sessions(
                usage,
                || (),
                |_, s| (groups.of_session(s) == Some(g)).then_some(*s),
            );
            if sessions.is_empty() {
                return Ok(Figures::default());
            }
            let m = meter(&with_sessions(usage, sessions), scenario, progress)?;
            Ok(Figures::of(&m, kind))
        })
        .collect();
    let mut total = Figures::of(&empty, kind);
    for p in parts {
        total = total.add(p?);
    }
    Ok(total)
}
