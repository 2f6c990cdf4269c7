//! The fields two scenarios differ in, in the analyst's words (SPEC §10):
//! `Token price, tier 1: 3.00 → 2.70 USD`, never a field path.
//!
//! [`scenario_diff`] walks both scenarios as serialized (so a field added
//! to the scenario later is compared too), names each changed field with
//! [`words::field`] and writes its values as the screen does: prices with
//! two places and the currency, enum values in words, lists whole. A
//! charging rule or a token price that changed kind is one line in words;
//! a product, subscription or pool on one side only is `added` or
//! `removed`.

use std::collections::BTreeSet;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::gui::fmt;
use crate::gui::words::{self, Seg};
use crate::scenario::{Rule, Scenario, TokenPrice};

/// The fields of `a` and `b` that differ, one line each,
/// `what: a → b`, in field order.
pub fn scenario_diff(a: &Scenario, b: &Scenario) -> Vec<String> {
    let (Ok(va), Ok(vb)) = (serde_json::to_value(a), serde_json::to_value(b)) else {
        return vec!["The scenarios cannot be compared field by field.".to_owned()];
    };
    let mut d = Diff {
        a_cur: &a.currency,
        b_cur: &b.currency,
        out: Vec::new(),
    };
    // Lines in words for what changed kind; their fields are then skipped.
    let price_kind_changed =
        std::mem::discriminant(&a.token_price) != std::mem::discriminant(&b.token_price);
    let mut skip: Vec<Vec<Seg>> = Vec::new();
    if price_kind_changed {
        d.out.push(format!(
            "Token price: {} → {}",
            price_words(&a.token_price, &a.currency),
            price_words(&b.token_price, &b.currency)
        ));
        skip.push(vec![Seg::Field("token_price".into())]);
    }
    for (code, pa) in &a.products {
        let Some(pb) = b.products.get(code) else {
            continue;
        };
        let rule_path = vec![
            Seg::Field("products".into()),
            Seg::Key(code.clone()),
            Seg::Field("rule".into()),
        ];
        if pa.rule != pb.rule {
            d.out.push(format!(
                "{}: {} → {}",
                words::field(&rule_path),
                rule_words(&pa.rule),
                rule_words(&pb.rule)
            ));
        }
        skip.push(rule_path);
    }
    let mut fields = Vec::new();
    d.value(&mut fields, &va, &vb, &skip);
    d.out
}

/// The walk's currencies and output.
struct Diff<'a> {
    a_cur: &'a str,
    b_cur: &'a str,
    out: Vec<String>,
}

impl Diff<'_> {
    fn value(&mut self, path: &mut Vec<Seg>, a: &Value, b: &Value, skip: &[Vec<Seg>]) {
        if a == b || same_number(a, b) || skip.iter().any(|s| s == path) {
            return;
        }
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                let keyed = matches!(path.last(), Some(Seg::Field(f)) if words::is_map(f))
                    // A year's prices map subscription codes too.
                    && !(path.len() == 1 && matches!(path.first(), Some(Seg::Field(f)) if f == "prices"));
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                for k in keys {
                    path.push(if keyed {
                        Seg::Key(k.clone())
                    } else {
                        Seg::Field(k.clone())
                    });
                    match (x.get(k), y.get(k)) {
                        (Some(va), Some(vb)) => self.value(path, va, vb, skip),
                        (va, vb) if keyed && is_object(va.or(vb)) => {
                            let what = words::field(path);
                            self.out.push(format!(
                                "{what}: {}",
                                if va.is_none() { "added" } else { "removed" }
                            ));
                        }
                        (va, vb) => self.leaf(path, va, vb),
                    }
                    path.pop();
                }
            }
            (Value::Array(x), Value::Array(y)) if x.iter().chain(y).all(is_scalar) => {
                // A list of names (patterns, covered products) reads whole.
                self.leaf(path, Some(a), Some(b));
            }
            (Value::Array(x), Value::Array(y)) => {
                for i in 0..x.len().max(y.len()) {
                    path.push(Seg::Index(i));
                    match (x.get(i), y.get(i)) {
                        (Some(va), Some(vb)) => self.value(path, va, vb, skip),
                        (va, vb) if is_object(va.or(vb)) => {
                            let what = words::field(path);
                            self.out.push(format!(
                                "{what}: {}",
                                if va.is_none() { "added" } else { "removed" }
                            ));
                        }
                        (va, vb) => self.leaf(path, va, vb),
                    }
                    path.pop();
                }
            }
            _ => self.leaf(path, Some(a), Some(b)),
        }
    }

    /// One changed field: `what: a → b`, a price's currency once at the end
    /// when both sides price in the same one.
    fn leaf(&mut self, path: &[Seg], a: Option<&Value>, b: Option<&Value>) {
        let what = words::field(path);
        if words::is_money_field(path) {
            let (ma, mb) = (money_of(a), money_of(b));
            let line = if self.a_cur == self.b_cur {
                format!("{what}: {} → {} {}", ma, mb, self.b_cur)
            } else {
                format!("{what}: {} {} → {} {}", ma, self.a_cur, mb, self.b_cur)
            };
            self.out.push(line);
        } else {
            self.out
                .push(format!("{what}: {} → {}", text_of(a), text_of(b)));
        }
    }
}

/// True for two decimals written differently (`3` and `3.00`).
fn same_number(a: &Value, b: &Value) -> bool {
    let (Value::String(x), Value::String(y)) = (a, b) else {
        return false;
    };
    matches!((x.parse::<Decimal>(), y.parse::<Decimal>()), (Ok(p), Ok(q)) if p == q)
}

fn is_object(v: Option<&Value>) -> bool {
    matches!(v, Some(Value::Object(_)))
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// A price as written: two places at least (`(none)` when absent).
fn money_of(v: Option<&Value>) -> String {
    let text = match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return "(none)".to_owned(),
    };
    match text.parse::<Decimal>() {
        Ok(d) => fmt::price(d, "").trim_end().to_owned(),
        Err(_) => text,
    }
}

/// Any other value in words: enum values named, lists joined.
fn text_of(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "(none)".to_owned(),
        Some(Value::String(s)) => words::value_word(s),
        Some(Value::Bool(true)) => "yes".to_owned(),
        Some(Value::Bool(false)) => "no".to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Array(items)) if items.is_empty() => "(none)".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| text_of(Some(i)))
            .collect::<Vec<_>>()
            .join(", "),
        // An enum with a value (`Limit(5000)`): its name in words, then the value.
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| format!("{} {}", words::value_word(k), text_of(Some(v))))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A token price in words: `3.00 USD flat`, or its tiers.
fn price_words(price: &TokenPrice, currency: &str) -> String {
    match price {
        TokenPrice::Flat(p) => format!("{} flat", fmt::price(*p, currency)),
        TokenPrice::Tiers { mode, tiers } => {
            let list: Vec<String> = tiers
                .iter()
                .map(|t| {
                    format!(
                        "{} from {} tokens",
                        fmt::price(t.price, currency),
                        fmt::count(t.from)
                    )
                })
                .collect();
            format!(
                "tiers ({}): {}",
                words::tier_mode(*mode).to_lowercase(),
                list.join(", ")
            )
        }
    }
}

/// A charging rule in words with the parameters that are set.
fn rule_words(rule: &Rule) -> String {
    let mut params = Vec::new();
    match rule {
        Rule::CalendarDay {
            time_zone,
            grace_minutes,
        } => {
            params.extend(time_zone.as_ref().map(|z| format!("in {z}")));
            params.extend(grace_minutes.map(|m| format!("{m} min grace")));
        }
        Rule::Rolling24h { grace_minutes } => {
            params.extend(grace_minutes.map(|m| format!("{m} min grace")));
        }
        Rule::Concurrent {
            pool,
            linger_minutes,
        } => {
            params.extend(pool.as_ref().map(|p| format!("pool {p}")));
            params.extend(linger_minutes.map(|m| format!("{m} min linger")));
        }
        Rule::DailyPeak { time_zone, pool } => {
            params.extend(time_zone.as_ref().map(|z| format!("in {z}")));
            params.extend(pool.as_ref().map(|p| format!("pool {p}")));
        }
        Rule::Hourly { time_zone } => {
            params.extend(time_zone.as_ref().map(|z| format!("in {z}")));
        }
    }
    let name = words::rule(rule);
    if params.is_empty() {
        name.to_owned()
    } else {
        format!("{name} ({})", params.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Tier, TierMode};

    fn sample() -> Scenario {
        crate::sample::scenario().unwrap()
    }

    #[test]
    fn each_changed_field_is_named_in_words_with_its_unit() {
        let a = sample();
        let mut b = a.clone();
        assert!(scenario_diff(&a, &b).is_empty());
        let acd = b.products.get_mut("ACD").unwrap();
        acd.rates[0].tokens = Decimal::from(7);
        acd.features.push("NAVMAN".into());
        b.name = "B".into();
        b.budgets.insert("Zeta".into(), Decimal::from(5));
        if let TokenPrice::Tiers { tiers, .. } = &mut b.token_price {
            tiers[0].price = Decimal::new(270, 2);
        }
        b.contract.overage_price = Decimal::from(4);
        b.subscriptions.remove("MAX");
        assert_eq!(
            scenario_diff(&a, &b),
            vec![
                "Budget of Zeta (tokens a year): (none) → 5".to_owned(),
                "Overage price: 3.60 → 4.00 USD".to_owned(),
                format!("Scenario name: {} → B", a.name),
                "Product ACD, feature patterns: ACD, *ACD_T_F, *ACD_F, *ACD_20*_0F → ACD, *ACD_T_F, *ACD_F, *ACD_20*_0F, NAVMAN".to_owned(),
                "Product ACD, rate 1, tokens per use: 6 → 7".to_owned(),
                "Subscription MAX: removed".to_owned(),
                "Token price, tier 1: 3.00 → 2.70 USD".to_owned(),
            ]
        );
    }

    #[test]
    fn a_rule_or_price_of_another_kind_is_one_line_in_words() {
        let a = sample();
        let mut b = a.clone();
        b.products.get_mut("RVT").unwrap().rule = Rule::Rolling24h {
            grace_minutes: Some(5),
        };
        b.token_price = TokenPrice::Flat(Decimal::from(3));
        assert_eq!(
            scenario_diff(&a, &b),
            vec![
                "Token price: tiers (all tokens at the price of the tier reached): 3.00 USD from 0 tokens, 2.75 USD from 100,000 tokens → 3.00 USD flat".to_owned(),
                "Product RVT, charging rule: Calendar day → Rolling 24 hours (5 min grace)".to_owned(),
            ]
        );
        let mut c = a.clone();
        c.token_price = TokenPrice::Tiers {
            mode: TierMode::Incremental,
            tiers: vec![Tier {
                from: 0,
                price: Decimal::from(3),
            }],
        };
        assert_eq!(
            scenario_diff(&a, &c),
            vec![
                "Token price, tier mode: All tokens at the price of the tier reached → Each tier prices its own tokens".to_owned(),
                "Token price, tier 2: removed".to_owned(),
            ]
        );
    }
}
