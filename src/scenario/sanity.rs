//! Sanity warnings: what a scenario may legally say but is usually a slip
//! (SPEC §10's analyst asks before trusting a figure). They never block
//! metering or planning, unlike [`Scenario::problems`]:
//!
//! - a higher volume tier priced above a lower one;
//! - a collection dearer than the single subscriptions covering the same
//!   products;
//! - a token price above the overage price (overage would be cheaper);
//! - a contract that starts before the history ends (the forecast then
//!   replays days inside the contract).
//!
//! [`Scenario::sanity_warnings`] lists them, each with the field it is
//! about (the validation's field path) and a message in the analyst's
//! words.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::{Overdraft, Scenario, Subscription, TokenPrice};
use crate::plan::fixed2;

/// One sanity warning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SanityWarning {
    /// The field it is about, as validation names fields
    /// (`token_price.tiers[1].price`).
    pub field: String,
    /// What looks wrong and why it matters.
    pub message: String,
}

/// Most products a collection may cover for the cheaper-singles search
/// (2^n subsets are visited).
const MAX_COVERED: usize = 16;

impl Scenario {
    /// Everything that looks like a slip, in field order; `history_end` is
    /// the last date the loaded history covers, when known.
    pub fn sanity_warnings(&self, history_end: Option<NaiveDate>) -> Vec<SanityWarning> {
        let mut out = Vec::new();
        for (code, sub) in &self.subscriptions {
            if let Some(w) = dearer_collection(code, sub, &self.subscriptions, &self.currency) {
                out.push(w);
            }
        }
        out.extend(tier_warnings(&self.token_price, &self.currency));
        if self.contract.overdraft != Overdraft::None {
            out.extend(above_overage(self));
        }
        if let Some(end) = history_end
            && self.contract.start <= end
        {
            out.push(SanityWarning {
                field: "contract.start".into(),
                message: format!(
                    "The contract starts on {}, before the history ends ({end}): the forecast \
                     takes days that fall inside the contract as history.",
                    self.contract.start
                ),
            });
        }
        out
    }
}

/// Money with two places and its currency.
fn money(value: Decimal, currency: &str) -> String {
    format!("{} {currency}", fixed2(value))
}

/// A higher tier priced above the one below it.
fn tier_warnings(price: &TokenPrice, currency: &str) -> Vec<SanityWarning> {
    let TokenPrice::Tiers { tiers, .. } = price else {
        return Vec::new();
    };
    tiers
        .windows(2)
        .enumerate()
        .filter_map(|(i, pair)| {
            let [low, high] = pair else {
                return None;
            };
            (high.price > low.price).then(|| SanityWarning {
                field: format!("token_price.tiers[{}].price", i + 1),
                message: format!(
                    "Tier {} (from {} tokens) costs {} a token, more than tier {} ({}): \
                     buying more would cost more per token.",
                    i + 2,
                    high.from,
                    money(high.price, currency),
                    i + 1,
                    money(low.price, currency)
                ),
            })
        })
        .collect()
}

/// The first token price above the overage price.
fn above_overage(s: &Scenario) -> Option<SanityWarning> {
    let overage = s.contract.overage_price;
    let (field, what, price) = match &s.token_price {
        TokenPrice::Flat(p) => ("token_price".to_owned(), "The token price".to_owned(), *p),
        TokenPrice::Tiers { tiers, .. } => {
            let (i, t) = tiers.iter().enumerate().find(|(_, t)| t.price > overage)?;
            (
                format!("token_price.tiers[{i}].price"),
                format!("Tier {}'s token price", i + 1),
                t.price,
            )
        }
    };
    (price > overage).then(|| SanityWarning {
        field,
        message: format!(
            "{what} ({}) is above the overage price ({}): paying overage would be cheaper \
             than buying tokens.",
            money(price, &s.currency),
            money(overage, &s.currency)
        ),
    })
}

/// `sub` when other subscriptions, each covering only products `sub`
/// covers, together cover all of them for less: the cheapest such set.
fn dearer_collection(
    code: &str,
    sub: &Subscription,
    all: &BTreeMap<String, Subscription>,
    currency: &str,
) -> Option<SanityWarning> {
    let mut covered: Vec<&String> = sub.covers.iter().collect();
    covered.sort();
    covered.dedup();
    if covered.len() < 2 || covered.len() > MAX_COVERED {
        return None;
    }
    let bit = |p: &String| covered.iter().position(|c| *c == p).map(|i| 1u32 << i);
    // The others that cover only products of `sub`, as bit masks.
    let parts: Vec<(&str, u32, Decimal)> = all
        .iter()
        .filter(|(c, s)| c.as_str() != code && !s.covers.is_empty())
        .filter_map(|(c, s)| {
            let mask = s
                .covers
                .iter()
                .try_fold(0u32, |m, p| bit(p).map(|b| m | b))?;
            Some((c.as_str(), mask, s.annual_price))
        })
        .collect();
    let full = (1u32 << covered.len()) - 1;
    // Cheapest cover of every subset of the products, by increasing mask:
    // each set adds one subscription to a cheaper cover of what is left.
    let mut best: Vec<Option<(Decimal, Vec<&str>)>> = vec![None; (full as usize) + 1];
    best[0] = Some((Decimal::ZERO, Vec::new()));
    for mask in 1..=full {
        let mut pick: Option<(Decimal, Vec<&str>)> = None;
        for &(c, m, price) in &parts {
            if m & mask == 0 {
                continue;
            }
            let Some((rest, names)) = best[(mask & !m) as usize].as_ref() else {
                continue;
            };
            let cost = rest + price;
            if pick.as_ref().is_none_or(|(p, _)| cost < *p) {
                let mut names = names.clone();
                names.push(c);
                pick = Some((cost, names));
            }
        }
        best[mask as usize] = pick;
    }
    let (cost, mut names) = best[full as usize].clone()?;
    if cost >= sub.annual_price {
        return None;
    }
    names.sort_unstable();
    Some(SanityWarning {
        field: format!("subscriptions.{code}.annual_price"),
        message: format!(
            "{} costs {} a seat, more than {} bought singly ({}), which cover the same products.",
            sub.name,
            money(sub.annual_price, currency),
            names.join(" + "),
            money(cost, currency)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Tier, TierMode};

    fn sample() -> Scenario {
        crate::sample::scenario().unwrap()
    }

    #[test]
    fn the_sample_looks_sane() {
        let s = sample();
        assert_eq!(s.sanity_warnings(None), Vec::new());
    }

    #[test]
    fn a_dearer_higher_tier_and_a_price_above_overage_are_named() {
        let mut s = sample();
        s.contract.overage_price = Decimal::new(360, 2);
        s.token_price = TokenPrice::Tiers {
            mode: TierMode::AllUnits,
            tiers: vec![
                Tier {
                    from: 0,
                    price: Decimal::new(300, 2),
                },
                Tier {
                    from: 50_000,
                    price: Decimal::new(370, 2),
                },
            ],
        };
        let w = s.sanity_warnings(None);
        assert_eq!(
            w,
            vec![
                SanityWarning {
                    field: "token_price.tiers[1].price".into(),
                    message: "Tier 2 (from 50000 tokens) costs 3.70 USD a token, more than tier 1 (3.00 USD): buying more would cost more per token.".into(),
                },
                SanityWarning {
                    field: "token_price.tiers[1].price".into(),
                    message: "Tier 2's token price (3.70 USD) is above the overage price (3.60 USD): paying overage would be cheaper than buying tokens.".into(),
                },
            ]
        );
        // Refused overage has no price to compare with.
        s.contract.overdraft = Overdraft::None;
        assert_eq!(s.sanity_warnings(None).len(), 1);
    }

    #[test]
    fn a_collection_dearer_than_its_singles_names_the_cheapest_set() {
        let mut s = sample();
        // The sample's AEC (ACD, ACDMEP, C3D, MAX, NAVMAN, RVT) at 3,675.00;
        // singles: ACD (ACD, ACDMEP) 2,030 + C3D 2,825 + ... cost far more.
        // Make C3D, MAX, NAVMAN and RVT nearly free: ACD 2,030 + 4 × 1 =
        // 2,034.00 < 3,675.00.
        for code in ["C3D", "MAX", "NAVMAN", "RVT"] {
            s.subscriptions.get_mut(code).unwrap().annual_price = Decimal::ONE;
        }
        let w = s.sanity_warnings(None);
        let aec: Vec<_> = w
            .iter()
            .filter(|w| w.field == "subscriptions.AEC.annual_price")
            .collect();
        assert_eq!(aec.len(), 1, "{w:?}");
        assert_eq!(
            aec[0].message,
            "AEC Collection costs 3675.00 USD a seat, more than ACD + C3D + MAX + NAVMAN + RVT bought singly (2034.00 USD), which cover the same products."
        );
    }

    #[test]
    fn a_contract_inside_the_history_is_named() {
        let s = sample();
        let start = s.contract.start;
        assert!(s.sanity_warnings(start.pred_opt()).is_empty());
        let w = s.sanity_warnings(Some(start));
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].field, "contract.start");
        assert!(w[0].message.starts_with(&format!(
            "The contract starts on {start}, before the history ends ({start})"
        )));
    }
}
