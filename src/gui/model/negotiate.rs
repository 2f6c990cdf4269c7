//! The Negotiate view's data, built on the pack job's worker from the
//! engine's [`Pack`] (SPEC §9): the options side by side over the term,
//! the tornado, the break-evens with the walk-away price, each figure with
//! the hover that says what it is made of. Money stays `Decimal` here; the
//! charts convert at their edge.

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::gui::fmt;
use crate::pack::workbook::crossing_note;
use crate::pack::{Crossing, Driver, OptionKind, Pack, PackOption, SensitivityRow, WalkAway};

/// The walk-away price's label (the view writes `label: price`).
pub const WALK_AWAY: &str = "Walk-away token price";

/// The view's words for a break-even the search found nothing for below
/// today's price.
const NONE_DOWN: &str = "none down to 0";

/// One option's bar.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionBar {
    /// The option's name.
    pub name: String,
    /// True for the recommended term plan.
    pub recommended: bool,
    /// Sum of every year's cost.
    pub total: Decimal,
    /// Net present value of the term.
    pub npv: Decimal,
    /// Total − renew as-is's total.
    pub delta_total: Option<Decimal>,
    /// NPV − renew as-is's NPV.
    pub delta_npv: Option<Decimal>,
    /// What the figures are made of.
    pub hover: String,
}

/// One input's bar of the tornado.
#[derive(Clone, Debug, PartialEq)]
pub struct TornadoBar {
    /// The input as an analyst names it.
    pub label: String,
    /// Re-optimised NPV at the low value.
    pub low: Decimal,
    /// Re-optimised NPV at the high value.
    pub high: Decimal,
    /// Today's plan held fixed, NPV at the low value.
    pub held_low: Decimal,
    /// Today's plan held fixed, NPV at the high value.
    pub held_high: Decimal,
    /// |high − low|.
    pub swing: Decimal,
    /// What the bar is made of.
    pub hover: String,
}

/// One line of the break-even table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BreakEvenRow {
    /// Which price moves and what changes.
    pub what: String,
    /// Today's price.
    pub today: String,
    /// The break-even price, or what the search found instead.
    pub price: String,
    /// "approximate", "none up to 10×", … (empty when nothing to say).
    pub note: String,
    /// What the figure means.
    pub hover: String,
}

/// Everything the Negotiate view draws.
#[derive(Clone, Debug)]
pub struct NegotiateData {
    /// The engine's pack (the export writes it).
    pub pack: Arc<Pack>,
    /// The scenario's currency.
    pub currency: String,
    /// X of the tornado.
    pub swing: Decimal,
    /// The options, renew as-is first when known.
    pub options: Vec<OptionBar>,
    /// The tornado, largest swing first.
    pub tornado: Vec<TornadoBar>,
    /// The term plan's NPV today (the tornado's axis).
    pub base_npv: Decimal,
    /// The walk-away price as the view writes it.
    pub walk_away: String,
    /// What the walk-away price means.
    pub walk_away_hover: String,
    /// The break-even table.
    pub break_evens: Vec<BreakEvenRow>,
    /// One sentence of what the pack found.
    pub headline: String,
    /// What the figures rest on that the reader should know.
    pub warnings: Vec<String>,
}

impl NegotiateData {
    /// The view's data of `pack`.
    pub fn build(pack: Pack) -> NegotiateData {
        let currency = pack.currency.clone();
        let options = pack
            .options
            .iter()
            .map(|o| option_bar(o, &currency))
            .collect();
        let tornado = pack
            .sensitivity
            .rows
            .iter()
            .map(|r| tornado_bar(r, pack.sensitivity.base_npv, &currency))
            .collect();
        let b = &pack.break_evens;
        NegotiateData {
            walk_away: walk_away_text(&b.walk_away, &currency),
            walk_away_hover: walk_away_hover(&pack),
            break_evens: break_even_rows(&pack),
            headline: headline(&pack),
            swing: pack.sensitivity.swing,
            base_npv: pack.sensitivity.base_npv,
            warnings: pack.warnings.clone(),
            options,
            tornado,
            currency,
            pack: Arc::new(pack),
        }
    }
}

/// `Walk-away token price: 3.12 USD`, or what the search found instead.
pub fn walk_away_text(w: &WalkAway, currency: &str) -> String {
    let value = match w {
        WalkAway::At(p) => fmt::price(*p, currency),
        WalkAway::NoneUpTo10x => "none up to 10×".to_string(),
        WalkAway::Never => "none: the plan costs more than renewing as-is at any price".to_string(),
        WalkAway::NoRenewal => "unknown: no seats are known before year 1".to_string(),
    };
    format!("{WALK_AWAY}: {value}")
}

fn walk_away_hover(pack: &Pack) -> String {
    let b = &pack.break_evens;
    format!(
        "The highest token price (year 1's first tier, every other token price in proportion) at which today's recommended term plan, held fixed — its seats and token purchases — costs no more over the term (NPV at {} a year) than renewing as-is at that same price. Searched from 0 to {}× today's {} to the cent.",
        fmt::percent(pack.assumptions.scenario.contract.discount_rate),
        crate::pack::breakeven::RANGE,
        fmt::price(b.token_today, &pack.currency)
    )
}

/// The signed difference with its currency: `+1,200.00 USD`.
fn signed_money(d: Decimal, currency: &str) -> String {
    let sign = if d > Decimal::ZERO { "+" } else { "" };
    format!("{sign}{}", fmt::money(d, currency))
}

fn option_bar(o: &PackOption, currency: &str) -> OptionBar {
    let years: Vec<String> = o
        .plan
        .years
        .iter()
        .map(|y| {
            format!(
                "year {}: {} subscriptions + {} tokens ({} tokens) = {}",
                y.year,
                fmt::money(y.subscription_cost, currency),
                fmt::money(y.purchase.cost, currency),
                fmt::tokens(y.purchase.tokens),
                fmt::money(y.total, currency)
            )
        })
        .collect();
    let delta = match (o.delta_total, o.delta_npv) {
        (Some(t), Some(n)) => format!(
            "\nΔ against renew as-is: {} total, {} NPV",
            signed_money(t, currency),
            signed_money(n, currency)
        ),
        _ => String::new(),
    };
    let p90 = o.p90().map_or_else(
        || {
            o.spend_note.as_ref().map_or(String::new(), |n| {
                format!("\nToken spend not simulated: {n}")
            })
        },
        |p| {
            format!(
                "\nP90 of token spend (simulated, present value): {}",
                fmt::money(p, currency)
            )
        },
    );
    OptionBar {
        name: o.name.clone(),
        recommended: o.kind == OptionKind::TermPlan,
        total: o.total,
        npv: o.npv,
        delta_total: o.delta_total,
        delta_npv: o.delta_npv,
        hover: format!(
            "{}\nTerm total {} (NPV {}); year 1 {}, {} seats in year 1\n{}{delta}{p90}",
            o.name,
            fmt::money(o.total, currency),
            fmt::money(o.npv, currency),
            fmt::money(o.year1_cost, currency),
            fmt::count(u64::from(o.seats_year1)),
            years.join("\n"),
        ),
    }
}

/// An input's value as the analyst reads it: prices with the currency,
/// growth, escalation and usage volume as percentages.
fn driver_value(driver: &Driver, value: Decimal, currency: &str) -> String {
    match driver {
        Driver::TokenPrice | Driver::Subscription(_) | Driver::OveragePrice => {
            fmt::price(value.round_dp(4), currency)
        }
        Driver::Growth | Driver::Escalation | Driver::UsageVolume => fmt::percent(value),
    }
}

fn tornado_bar(r: &SensitivityRow, base_npv: Decimal, currency: &str) -> TornadoBar {
    let v = |x| driver_value(&r.driver, x, currency);
    let approx = if r.approximate {
        "\napproximate: a re-optimisation was not proven optimal"
    } else {
        ""
    };
    TornadoBar {
        label: r.label.clone(),
        low: r.low_npv,
        high: r.high_npv,
        held_low: r.held_low_npv,
        held_high: r.held_high_npv,
        swing: r.swing,
        hover: format!(
            "{}: today {}\nat {}: NPV {} re-optimised, {} with today's plan held\nat {}: NPV {} re-optimised, {} with today's plan held\nswing {} (NPV today {}){approx}",
            r.label,
            v(r.base_value),
            v(r.low_value),
            fmt::money(r.low_npv, currency),
            fmt::money(r.held_low_npv, currency),
            v(r.high_value),
            fmt::money(r.high_npv, currency),
            fmt::money(r.held_high_npv, currency),
            fmt::money(r.swing, currency),
            fmt::money(base_npv, currency),
        ),
    }
}

/// A break-even's price cell and note; `below` says which way it was
/// searched.
fn crossing_cells(c: &Crossing, below: bool, currency: &str) -> (String, String) {
    match c {
        Crossing::At { price, .. } => (fmt::price(*price, currency), crossing_note(c, below)),
        Crossing::NoneInRange { approximate } => {
            let none = if below { NONE_DOWN } else { "none up to 10×" };
            let note = if *approximate { "approximate" } else { "" };
            (none.to_string(), note.to_string())
        }
    }
}

/// What a crossing's hover adds: the neighbouring cent with today's answer
/// and the seats on the other side.
fn crossing_hover(c: &Crossing, currency: &str) -> String {
    match c {
        Crossing::At {
            price,
            last_same,
            seats,
            ..
        } => format!(
            "\nAt {} the plan is today's; at {} the seats each year become {}.",
            fmt::price(*last_same, currency),
            fmt::price(*price, currency),
            seats
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Crossing::NoneInRange { .. } => String::new(),
    }
}

fn seats_text(seats: &[u32]) -> String {
    seats
        .iter()
        .map(u32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn break_even_rows(pack: &Pack) -> Vec<BreakEvenRow> {
    let b = &pack.break_evens;
    let cur = pack.currency.as_str();
    let token = |what: &str, c: &Crossing, below: bool, dir: &str| {
        let (price, note) = crossing_cells(c, below, cur);
        BreakEvenRow {
            what: what.to_string(),
            today: fmt::price(b.token_today, cur),
            price,
            note,
            hover: format!(
                "The token price {dir} today's (year 1's first tier, every other token price in proportion) at which the re-optimised term plan's seats change. Seats today, each year: {}.{}",
                seats_text(&b.seats_today),
                crossing_hover(c, cur)
            ),
        }
    };
    let mut rows = vec![
        token(
            "Token price below today's: seats change",
            &b.token_below,
            true,
            "below",
        ),
        token(
            "Token price above today's: seats change",
            &b.token_above,
            false,
            "above",
        ),
    ];
    for s in &b.subscriptions {
        for (c, below, what, change) in [
            (&s.more_seats, true, "one more seat (price below)", "more"),
            (
                &s.fewer_seats,
                false,
                "one fewer seat (price above)",
                "fewer",
            ),
        ] {
            let (price, note) = crossing_cells(c, below, cur);
            rows.push(BreakEvenRow {
                what: format!("{}: {what}", s.name),
                today: fmt::price(s.today, cur),
                price,
                note,
                hover: format!(
                    "The new-seat price of {} ({}; renewal price and overrides in proportion) at which the plan holds {change} of its seats in some year. Its seats today, each year: {}.{}",
                    s.name,
                    s.code,
                    seats_text(&s.seats_today),
                    crossing_hover(c, cur)
                ),
            });
        }
    }
    let (price, note) = match &b.walk_away {
        WalkAway::At(p) => (fmt::price(*p, cur), String::new()),
        WalkAway::NoneUpTo10x => ("none up to 10×".into(), "the plan stays cheaper".into()),
        WalkAway::Never => ("none".into(), "the plan costs more at any price".into()),
        WalkAway::NoRenewal => ("unknown".into(), "no seats before year 1".into()),
    };
    rows.push(BreakEvenRow {
        what: WALK_AWAY.to_string(),
        today: fmt::price(b.token_today, cur),
        price,
        note,
        hover: walk_away_hover(pack),
    });
    rows
}

fn headline(pack: &Pack) -> String {
    let cur = pack.currency.as_str();
    let (Some(plan), Some(renew)) = (
        pack.option(OptionKind::TermPlan),
        pack.option(OptionKind::RenewAsIs),
    ) else {
        return pack.option(OptionKind::TermPlan).map_or_else(String::new, |p| {
            format!(
                "The term plan costs {} over the term (NPV {}); renewing as-is is unknown (no seats before year 1).",
                fmt::money(p.total, cur),
                fmt::money(p.npv, cur)
            )
        });
    };
    let saving = renew.npv - plan.npv;
    format!(
        "The term plan costs {} over the term (NPV {}), {} {} renewing as-is (NPV).",
        fmt::money(plan.total, cur),
        fmt::money(plan.npv, cur),
        fmt::money(saving.abs(), cur),
        if saving >= Decimal::ZERO {
            "less than"
        } else {
            "more than"
        }
    )
}
