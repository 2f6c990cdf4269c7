//! The catalog: which product each raw feature name is charged as (SPEC §3).
//!
//! [`Catalog::build`] resolves every interned feature of a
//! [`Usage`](crate::usage::Usage) once, so metering looks a session's product
//! up in a `Vec` by [`FeatureId`]. A feature equal to a product code
//! (case-insensitive) is that product, then one equal to a product's name
//! (`AutoCAD`, as usage reports write it); otherwise the products' `features`
//! patterns (`*` wildcards, case-insensitive) are tried and the most specific
//! matching pattern wins (most literal characters; ties go to the first code
//! in order). Features matched by several products are listed as
//! [`Ambiguity`]s so the user can check the choice.

use crate::meter::ProductIdx;
use crate::scenario::Scenario;
use crate::usage::{FeatureId, Interner};

/// A feature that several products' patterns match.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ambiguity {
    /// The feature as the source spelled it.
    pub feature: String,
    /// The product it is charged as.
    pub chosen: String,
    /// Every product whose patterns match it, in code order (includes `chosen`).
    pub candidates: Vec<String>,
    /// True when the winner was decided by code order alone (equally specific patterns).
    pub tied: bool,
}

/// Feature → product resolution for one usage and one scenario.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Catalog {
    /// Product per feature id (`None`: unmapped).
    map: Vec<Option<ProductIdx>>,
    /// Features matched by several products, sorted by feature name.
    pub ambiguities: Vec<Ambiguity>,
}

impl Catalog {
    /// Resolves every feature of `features` against the products of
    /// `scenario` (product indices follow the scenario's code order).
    pub fn build(features: &Interner, scenario: &Scenario) -> Catalog {
        let products: Vec<(String, Vec<Vec<char>>)> = scenario
            .products
            .iter()
            .map(|(code, p)| {
                let pats = p.features.iter().map(|f| lower_chars(f)).collect();
                (code.to_lowercase(), pats)
            })
            .collect();
        let codes: Vec<&String> = scenario.products.keys().collect();
        // A usage report names products as people do (`AutoCAD`): a feature
        // equal to a product's name is that product too.
        let names: Vec<String> = scenario
            .products
            .values()
            .map(|p| p.name.trim().to_lowercase())
            .collect();
        let mut map = Vec::with_capacity(features.len());
        let mut ambiguities = Vec::new();
        for name in features.names() {
            let lower = name.to_lowercase();
            if let Some(i) = products.iter().position(|(code, _)| *code == lower) {
                map.push(Some(i as ProductIdx));
                continue;
            }
            if let Some(i) = names
                .iter()
                .position(|n| !n.is_empty() && *n == lower.trim())
            {
                map.push(Some(i as ProductIdx));
                continue;
            }
            let text = lower_chars(name);
            // (product, specificity of its best matching pattern)
            let matches: Vec<(usize, usize)> = products
                .iter()
                .enumerate()
                .filter_map(|(i, (_, pats))| {
                    pats.iter()
                        .filter(|p| glob_match(p, &text))
                        .map(|p| specificity(p))
                        .max()
                        .map(|s| (i, s))
                })
                .collect();
            // max_by_key keeps the last maximum: iterate in reverse so the
            // first code wins ties.
            let best = matches.iter().rev().max_by_key(|&&(_, s)| s).copied();
            if let Some((i, s)) = best {
                if matches.len() > 1 {
                    ambiguities.push(Ambiguity {
                        feature: name.to_string(),
                        chosen: codes.get(i).map(|c| c.to_string()).unwrap_or_default(),
                        candidates: matches
                            .iter()
                            .filter_map(|&(j, _)| codes.get(j).map(|c| c.to_string()))
                            .collect(),
                        tied: matches.iter().filter(|&&(_, t)| t == s).count() > 1,
                    });
                }
                map.push(Some(i as ProductIdx));
            } else {
                map.push(None);
            }
        }
        ambiguities.sort_by(|a, b| a.feature.cmp(&b.feature));
        Catalog { map, ambiguities }
    }

    /// The product feature `id` is charged as (`None`: unmapped or unknown id).
    #[inline]
    pub fn product_of(&self, id: FeatureId) -> Option<ProductIdx> {
        self.map.get(id as usize).copied().flatten()
    }

    /// Product per feature id, indexable by [`FeatureId`].
    pub fn products(&self) -> &[Option<ProductIdx>] {
        &self.map
    }
}

fn lower_chars(s: &str) -> Vec<char> {
    s.to_lowercase().chars().collect()
}

/// Literal (non-`*`) characters of a pattern: more is more specific.
fn specificity(pattern: &[char]) -> usize {
    pattern.iter().filter(|&&c| c != '*').count()
}

/// True when `text` matches `pattern`, where `*` matches any run of
/// characters (both already lower-cased).
fn glob_match(pattern: &[char], text: &[char]) -> bool {
    // Greedy with backtracking to the last star: linear in practice.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p.min(pattern.len())..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(p: &str, t: &str) -> bool {
        glob_match(&lower_chars(p), &lower_chars(t))
    }

    #[test]
    fn glob_matches_stars_anywhere() {
        assert!(g("*ACD*", "64300acd_f"));
        assert!(g("*acd*", "ACD"));
        assert!(g("ACD*", "ACD_2012_0F"));
        assert!(!g("ACD*", "64300ACD_F"));
        assert!(g("*_F", "64300ACD_F"));
        assert!(!g("*_F", "64300ACD_T"));
        assert!(g("a*b*c", "axxbyyc"));
        assert!(!g("a*b*c", "axxbyyd"));
        assert!(g("*", ""));
        assert!(!g("abc", "ab"));
        assert!(g("**x", "x"));
    }

    #[test]
    fn specificity_counts_literals() {
        assert_eq!(specificity(&lower_chars("*ACD*")), 3);
        assert_eq!(specificity(&lower_chars("*ACDMEP*")), 6);
    }
}
