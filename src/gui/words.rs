//! The analyst's language (SPEC §10): what the screen calls the engine's
//! things. No rule variant, method, enum or field path reaches a label,
//! a hover or a diff without passing through here.
//!
//! - [`rule`], [`rule_kind`], [`method`], [`tier_mode`], [`overdraft`],
//!   [`seat_changes`], [`source_kind`]: human names of the engine's enums.
//! - [`field`] names a scenario field from its path (validation's
//!   `products.ACD.rates[0].tokens` or a diff's segments): `Product ACD,
//!   rate 1, tokens per use`; [`is_money_field`] says which fields are
//!   prices, so a diff writes them with two places and the currency.

use crate::ingest::SourceKind;
use crate::plan::Method;
use crate::scenario::{Overdraft, Rule, SeatChanges, TierMode};

/// The banner of a view whose figures stand on a forecast from a short
/// window: `warning` is the engine's (`forecast from 23 days of history,
/// scaled × 15.87`), `history_days` what the scenario asks for.
pub fn short_window_banner(warning: &str, history_days: u32) -> String {
    let mut c = warning.chars();
    let first = c.next().map(|f| f.to_uppercase().collect::<String>());
    format!(
        "{}{} to a year: the scenario asks for {history_days} days of history, so every figure here stands on little data.",
        first.unwrap_or_default(),
        c.as_str()
    )
}

/// A charging rule's name, from its name as a scenario writes it.
pub fn rule_kind(name: &str) -> &'static str {
    match name {
        "CalendarDay" => "Calendar day",
        "Rolling24h" => "Rolling 24 hours",
        "Concurrent" => "Concurrent pool",
        "DailyPeak" => "Daily peak",
        "Hourly" => "Hourly",
        _ => "Other rule",
    }
}

/// What a charging rule charges, for hovers.
pub fn rule_meaning(name: &str) -> &'static str {
    match name {
        "CalendarDay" => "one charge per user, product and calendar day used",
        "Rolling24h" => "one charge covers 24 hours from the first use",
        "Concurrent" => "a pool of concurrent tokens: what is bought is the peak",
        "DailyPeak" => "each day's peak concurrent draw",
        "Hourly" => "the rate times the hours used, pro rata",
        _ => "",
    }
}

/// A charging rule's name.
pub fn rule(rule: &Rule) -> &'static str {
    rule_kind(rule.name())
}

/// How the optimiser found the plan.
pub fn method(method: Method) -> &'static str {
    match method {
        Method::PerUser => "exact: each user's cheapest plan at one token price",
        Method::SeatPrices => {
            "each user's cheapest plan with a price on the limited seats, then fitted to the seat limits"
        }
        Method::PerTier => "the best of the price tiers, each optimised on its own",
        Method::LocalSearch => {
            "the best of the price tiers, improved by moving users one at a time"
        }
        Method::ExactSearch => "exact: every plan of every user searched in full",
        Method::TermPlan => "year 1 of the plan for the whole contract term",
    }
}

/// How volume tiers price tokens.
pub fn tier_mode(mode: TierMode) -> &'static str {
    match mode {
        TierMode::AllUnits => "All tokens at the price of the tier reached",
        TierMode::Incremental => "Each tier prices its own tokens",
    }
}

/// What happens beyond the token balance.
pub fn overdraft(overdraft: &Overdraft) -> &'static str {
    match overdraft {
        Overdraft::None => "Refused (no overage)",
        Overdraft::Unlimited => "Overage billed, no limit",
        Overdraft::Limit(_) => "Overage billed up to a limit",
        Overdraft::TopUp => "Topped up with packs",
    }
}

/// When seats may change during the term.
pub fn seat_changes(changes: SeatChanges) -> &'static str {
    match changes {
        SeatChanges::AnyTime => "Any year",
        SeatChanges::AddsAtAnniversary => "Only added at anniversaries",
    }
}

/// What kind of file an import read.
pub fn source_kind(kind: Option<SourceKind>) -> &'static str {
    match kind {
        Some(SourceKind::Sessions) => "Session list",
        Some(SourceKind::DebugLog) => "FlexNet debug log",
        Some(SourceKind::TokenFlex) => "Token Flex export",
        Some(SourceKind::Directory) => "User directory",
        Some(SourceKind::Assignments) => "Current assignments",
        Some(SourceKind::Lmstat) => "lmstat snapshots",
        Some(SourceKind::Rlm) => "RLM report log",
        Some(SourceKind::UsageReport) => "Usage report (use-days)",
        Some(SourceKind::Aliases) => "User aliases",
        None => "Unknown",
    }
}

/// What a file read holds, in words: its kind, "dated by month" when a
/// usage report had month rows, and the worksheet read of a workbook.
pub fn report_kind(rep: &crate::ingest::Report) -> String {
    let mut words = source_kind(rep.kind).to_owned();
    if rep.counts.get(MONTH_DATED).is_some_and(|&n| n > 0) {
        words.push_str(", dated by month");
    }
    if let Some(sheet) = &rep.sheet {
        words.push_str(&format!(", sheet {sheet}"));
    }
    words
}

/// The usage report's count of use-days placed by month (see
/// `ingest::usage_report`).
const MONTH_DATED: &str = "use-days dated by month";

/// One step of a field path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// A field of a struct (`contract`, `overage_price`).
    Field(String),
    /// A key of a map (a product code, a department).
    Key(String),
    /// A position in a list, from 0.
    Index(usize),
}

/// Map fields: the step after one of them is a key, not a field.
const MAPS: [&str; 10] = [
    "products",
    "subscriptions",
    "pools",
    "budgets",
    "min_seats",
    "max_seats",
    "pinned",
    "current_seats",
    "renewal_subscriptions",
    "subscriptions_by_year",
];

/// True when the step after field `name` is a map key.
pub fn is_map(name: &str) -> bool {
    MAPS.contains(&name)
}

/// The steps of a validation field path (`products.ACD.rates[0].tokens`).
pub fn parse_path(path: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut key_next = false;
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = part.split_once('[').map_or((part, ""), |(n, r)| (n, r));
        if key_next {
            segs.push(Seg::Key(name.to_owned()));
            key_next = false;
        } else {
            key_next = is_map(name);
            segs.push(Seg::Field(name.to_owned()));
        }
        // `[0][1]` after a name: indices.
        while let Some((index, more)) = rest.split_once(']') {
            if let Ok(i) = index.trim_start_matches('[').parse::<usize>() {
                segs.push(Seg::Index(i));
            }
            rest = more.trim_start_matches('[');
        }
    }
    segs
}

/// The words of a field name (`overage_price` → `overage price`).
fn words(name: &str) -> String {
    name.replace('_', " ")
}

/// A scenario field named for the analyst, from a validation path.
pub fn field_path(path: &str) -> String {
    if path.is_empty() {
        return "The scenario".to_owned();
    }
    field(&parse_path(path))
}

/// A scenario field named for the analyst: `Product ACD, rate 1, tokens
/// per use`; `Token price, tier 2`; `Contract overage price`.
pub fn field(segs: &[Seg]) -> String {
    use Seg::{Field as F, Key as K};
    // Enum tags in a serialized path (`Tiers`, `Limit`) say nothing.
    let segs: Vec<&Seg> = segs
        .iter()
        .filter(|s| !matches!(s, F(f) if f.starts_with(|c: char| c.is_ascii_uppercase())))
        .collect();
    let f = |s: &Seg| match s {
        F(x) => x.clone(),
        _ => String::new(),
    };
    match segs.as_slice() {
        [] => "The scenario".to_owned(),
        [F(x)] if x == "name" => "Scenario name".to_owned(),
        [F(x)] if x == "version" => "File format version".to_owned(),
        [F(x)] if x == "server_time_zone" => "Server time zone".to_owned(),
        [F(x), K(code), rest @ ..] if x == "products" => {
            format!("Product {code}{}", product_part(rest))
        }
        [F(x), K(code), rest @ ..] if x == "subscriptions" => {
            let part = match rest.first().map(|s| f(s)).as_deref() {
                None => String::new(),
                Some("annual_price") => ", annual price per seat".to_owned(),
                Some("renewal_price") => ", renewal price per seat".to_owned(),
                Some("covers") => ", products covered".to_owned(),
                Some(other) => format!(", {}", words(other)),
            };
            format!("Subscription {code}{part}")
        }
        [F(x), K(pool), ..] if x == "pools" => format!("Pool {pool}, price per token a year"),
        [F(x), rest @ ..] if x == "token_price" => token_price_part(rest),
        [F(x), F(y), K(code), ..] if x == "contract" && y == "current_seats" => {
            format!("Seats of {code} held today")
        }
        [F(x), F(y), ..] if x == "contract" => match y.as_str() {
            "start" => "Contract start".to_owned(),
            "years" => "Contract years".to_owned(),
            "overage_price" => "Overage price".to_owned(),
            "overdraft" => "Overdraft".to_owned(),
            "discount_rate" => "Discount rate".to_owned(),
            "pack_size" => "Pack size (tokens)".to_owned(),
            "seat_changes" => "Seat changes".to_owned(),
            other => format!("Contract {}", words(other)),
        },
        [F(x), F(y)] if x == "forecast" => match y.as_str() {
            "history_days" => "History days".to_owned(),
            "growth_per_year" => "Growth per year".to_owned(),
            other => format!("Forecast {}", words(other)),
        },
        [F(x), K(dept), ..] if x == "budgets" => format!("Budget of {dept} (tokens a year)"),
        [F(x), F(y), K(code), ..] if x == "constraints" && y == "min_seats" => {
            format!("Minimum seats of {code}")
        }
        [F(x), F(y), K(code), ..] if x == "constraints" && y == "max_seats" => {
            format!("Maximum seats of {code}")
        }
        [F(x), F(y), K(user), ..] if x == "constraints" && y == "pinned" => {
            format!("Plan {user} is pinned to")
        }
        [F(x), F(y)] if x == "constraints" && y == "switching_threshold" => {
            "Switching threshold (saving a year)".to_owned()
        }
        [F(x), F(y)] if x == "sizing" => match y.as_str() {
            "trials" => "Simulated terms (trials)".to_owned(),
            "seed" => "Simulation seed".to_owned(),
            "risk_limit" => "Risk limit".to_owned(),
            "target_denial_rate" => "Target denial rate".to_owned(),
            "alert_tokens_per_day" => "Burn alert (tokens a day)".to_owned(),
            other => format!("Sizing {}", words(other)),
        },
        [F(x), rest @ ..] if x == "prices" => format!("Prices by year{}", generic(rest)),
        all => {
            let text = generic(all);
            let text = text.trim_start_matches(", ");
            let mut c = text.chars();
            c.next().map_or_else(String::new, |first| {
                first.to_uppercase().chain(c).collect::<String>()
            })
        }
    }
}

/// What follows `Product ACD`.
fn product_part(rest: &[&Seg]) -> String {
    use Seg::{Field as F, Index as I};
    match rest {
        [] => String::new(),
        [F(x)] if x == "name" => ", name".to_owned(),
        [F(x)] if x == "rule" => ", charging rule".to_owned(),
        [F(x), F(p), ..] if x == "rule" => format!(", charging rule's {}", words(p)),
        [F(x)] if x == "rates" => ", rates".to_owned(),
        [F(x), I(i)] if x == "rates" => format!(", rate {}", i + 1),
        [F(x), I(i), F(y)] if x == "rates" && y == "from" => {
            format!(", rate {} in force from", i + 1)
        }
        [F(x), I(i), F(y)] if x == "rates" && y == "tokens" => {
            format!(", rate {}, tokens per use", i + 1)
        }
        [F(x), ..] if x == "features" => ", feature patterns".to_owned(),
        other => generic(other),
    }
}

/// `Token price...`.
fn token_price_part(rest: &[&Seg]) -> String {
    use Seg::{Field as F, Index as I};
    match rest {
        [] => "Token price".to_owned(),
        [F(x)] if x == "mode" => "Token price, tier mode".to_owned(),
        [F(x)] if x == "tiers" => "Token price tiers".to_owned(),
        [F(x), I(i), ..] if x == "tiers" => match rest.get(2) {
            Some(F(y)) if y == "from" => format!("Token price, tier {} starts at (tokens)", i + 1),
            _ => format!("Token price, tier {}", i + 1),
        },
        other => format!("Token price{}", generic(other)),
    }
}

/// Any other steps, as words: `, years 3, subscriptions AEC`.
fn generic(rest: &[&Seg]) -> String {
    rest.iter()
        .map(|s| match s {
            Seg::Field(f) => format!(", {}", words(f)),
            Seg::Key(k) => format!(" {k}"),
            Seg::Index(i) => format!(" {}", i + 1),
        })
        .collect()
}

/// True when the field the path ends in is a price (written with two
/// places and the currency).
pub fn is_money_field(segs: &[Seg]) -> bool {
    let in_token_price = segs
        .iter()
        .any(|s| matches!(s, Seg::Field(f) if f == "token_price"));
    match segs.last() {
        Some(Seg::Field(f)) => {
            matches!(
                f.as_str(),
                "annual_price"
                    | "renewal_price"
                    | "overage_price"
                    | "price"
                    | "price_per_token_year"
                    | "switching_threshold"
                    | "Flat"
            ) || (in_token_price && f == "token_price")
        }
        // A year's subscription prices are keyed by code.
        Some(Seg::Key(_)) => segs.iter().any(
            |s| matches!(s, Seg::Field(f) if f == "subscriptions" || f == "renewal_subscriptions"),
        ) && segs
            .iter()
            .any(|s| matches!(s, Seg::Field(f) if f == "prices")),
        _ => false,
    }
}

/// An enum's value as the file writes it, in words (`AllUnits` → `All
/// tokens at the price of the tier reached`); other text unchanged.
pub fn value_word(text: &str) -> String {
    let known = match text {
        "AllUnits" => tier_mode(TierMode::AllUnits),
        "Incremental" => tier_mode(TierMode::Incremental),
        "None" => overdraft(&Overdraft::None),
        "Unlimited" => overdraft(&Overdraft::Unlimited),
        "AnyTime" => seat_changes(SeatChanges::AnyTime),
        "AddsAtAnniversary" => seat_changes(SeatChanges::AddsAtAnniversary),
        "CalendarDay" | "Rolling24h" | "Concurrent" | "DailyPeak" | "Hourly" => rule_kind(text),
        _ => return text.to_owned(),
    };
    known.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_paths_read_as_words() {
        assert_eq!(
            field_path("products.ACD.rates[0].tokens"),
            "Product ACD, rate 1, tokens per use"
        );
        assert_eq!(
            field_path("token_price.tiers[1].price"),
            "Token price, tier 2"
        );
        assert_eq!(
            field_path("token_price.tiers[0].from"),
            "Token price, tier 1 starts at (tokens)"
        );
        assert_eq!(
            field_path("subscriptions.AEC.annual_price"),
            "Subscription AEC, annual price per seat"
        );
        assert_eq!(field_path("contract.overage_price"), "Overage price");
        assert_eq!(
            field_path("constraints.min_seats.ACD"),
            "Minimum seats of ACD"
        );
        assert_eq!(
            field_path("budgets.Civil"),
            "Budget of Civil (tokens a year)"
        );
        assert_eq!(field_path("server_time_zone"), "Server time zone");
        assert_eq!(
            field_path("products.RVT.rule.time_zone"),
            "Product RVT, charging rule's time zone"
        );
        assert_eq!(field_path(""), "The scenario");
        // A field no rule knows still reads as words, without dots or brackets.
        assert_eq!(
            field_path("contract.renewal_window[2]"),
            "Contract renewal window"
        );
        assert_eq!(field_path("some_new_field.part"), "Some new field, part");
    }

    #[test]
    fn enum_tags_of_serialized_paths_are_dropped() {
        let segs = vec![
            Seg::Field("token_price".into()),
            Seg::Field("Tiers".into()),
            Seg::Field("tiers".into()),
            Seg::Index(0),
            Seg::Field("price".into()),
        ];
        assert_eq!(field(&segs), "Token price, tier 1");
        assert!(is_money_field(&segs));
        assert!(!is_money_field(&parse_path("products.ACD.rates[0].tokens")));
        assert_eq!(
            value_word("AllUnits"),
            "All tokens at the price of the tier reached"
        );
        assert_eq!(value_word("ACD"), "ACD");
    }
}
