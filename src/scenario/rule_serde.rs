//! The charging rule's syntax: hand-written serde impls for [`Rule`].
//!
//! A derived `Deserialize` reads `CalendarDay` (no parentheses) as a unit
//! variant and rejects it for a variant with fields. So the rule goes through
//! serde's buffered content, which ron hands over as the bare name (a string)
//! or as a one-entry map, name → parameters; each rule's parameters are then
//! read by a derived struct that refuses parameters the rule does not take.

use serde::{Deserialize, Serialize};

use super::Rule;

/// The rule names, in declaration order (the serde variant indices).
pub const RULE_NAMES: [&str; 5] = [
    "CalendarDay",
    "Rolling24h",
    "Concurrent",
    "DailyPeak",
    "Hourly",
];

impl Rule {
    /// The rule's name as written in a scenario file.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::CalendarDay { .. } => "CalendarDay",
            Rule::Rolling24h { .. } => "Rolling24h",
            Rule::Concurrent { .. } => "Concurrent",
            Rule::DailyPeak { .. } => "DailyPeak",
            Rule::Hourly { .. } => "Hourly",
        }
    }

    /// The rule `name` with every parameter at its default.
    ///
    /// # Errors
    /// A message naming the unknown rule and listing the valid ones.
    pub fn bare(name: &str) -> Result<Rule, String> {
        Ok(match name {
            "CalendarDay" => Rule::CalendarDay {
                time_zone: None,
                grace_minutes: None,
            },
            "Rolling24h" => Rule::Rolling24h {
                grace_minutes: None,
            },
            "Concurrent" => Rule::Concurrent {
                pool: None,
                linger_minutes: None,
            },
            "DailyPeak" => Rule::DailyPeak {
                time_zone: None,
                pool: None,
            },
            "Hourly" => Rule::Hourly { time_zone: None },
            _ => return Err(unknown_rule(name)),
        })
    }
}

fn unknown_rule(name: &str) -> String {
    format!(
        "unknown rule `{name}`; the rules are {}",
        RULE_NAMES.join(", ")
    )
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStructVariant as _;
        // (key, text parameter, number parameter): only the set ones are
        // written, and none at all gives the bare name.
        let params: [(&'static str, Option<&str>, Option<u32>); 2] = match self {
            Rule::CalendarDay {
                time_zone,
                grace_minutes,
            } => [
                ("time_zone", time_zone.as_deref(), None),
                ("grace_minutes", None, *grace_minutes),
            ],
            Rule::Rolling24h { grace_minutes } => {
                [("grace_minutes", None, *grace_minutes), ("", None, None)]
            }
            Rule::Concurrent {
                pool,
                linger_minutes,
            } => [
                ("pool", pool.as_deref(), None),
                ("linger_minutes", None, *linger_minutes),
            ],
            Rule::DailyPeak { time_zone, pool } => [
                ("time_zone", time_zone.as_deref(), None),
                ("pool", pool.as_deref(), None),
            ],
            Rule::Hourly { time_zone } => {
                [("time_zone", time_zone.as_deref(), None), ("", None, None)]
            }
        };
        let name = self.name();
        let index = RULE_NAMES
            .iter()
            .position(|n| *n == name)
            .unwrap_or_default() as u32;
        let set = params
            .iter()
            .filter(|(_, t, n)| t.is_some() || n.is_some())
            .count();
        if set == 0 {
            return serializer.serialize_unit_variant("Rule", index, name);
        }
        let mut variant = serializer.serialize_struct_variant("Rule", index, name, set)?;
        for (key, text, number) in params {
            if let Some(text) = text {
                variant.serialize_field(key, &Some(text))?;
            } else if let Some(number) = number {
                variant.serialize_field(key, &Some(number))?;
            }
        }
        variant.end()
    }
}

impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // `untagged` is what makes serde buffer the value as content.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Buffered {
            Rule(RuleSyntax),
        }
        let Buffered::Rule(RuleSyntax(parsed)) = Buffered::deserialize(deserializer)?;
        parsed.map_err(serde::de::Error::custom)
    }
}

/// A rule as read, or why not. The error is carried as a value because an
/// error inside an untagged enum would be replaced by serde's generic
/// "data did not match any variant".
struct RuleSyntax(Result<Rule, String>);

impl<'de> Deserialize<'de> for RuleSyntax {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RuleVisitor).map(RuleSyntax)
    }
}

struct RuleVisitor;

impl RuleVisitor {
    fn expected(found: &str) -> Result<Rule, String> {
        Err(format!(
            "expected a charging rule ({}, optionally with parameters in parentheses), found {found}",
            RULE_NAMES.join(", ")
        ))
    }
}

impl<'de> serde::de::Visitor<'de> for RuleVisitor {
    type Value = Result<Rule, String>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "a charging rule ({})", RULE_NAMES.join(", "))
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(Rule::bare(name))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let Some(name) = map.next_key::<String>()? else {
            return Ok(Self::expected("an empty map"));
        };
        let params = match name.as_str() {
            "CalendarDay" => {
                map.next_value()
                    .map(|Params::<CalendarDayParams>(p)| Rule::CalendarDay {
                        time_zone: p.time_zone,
                        grace_minutes: p.grace_minutes,
                    })
            }
            "Rolling24h" => {
                map.next_value()
                    .map(|Params::<Rolling24hParams>(p)| Rule::Rolling24h {
                        grace_minutes: p.grace_minutes,
                    })
            }
            "Concurrent" => {
                map.next_value()
                    .map(|Params::<ConcurrentParams>(p)| Rule::Concurrent {
                        pool: p.pool,
                        linger_minutes: p.linger_minutes,
                    })
            }
            "DailyPeak" => map
                .next_value()
                .map(|Params::<DailyPeakParams>(p)| Rule::DailyPeak {
                    time_zone: p.time_zone,
                    pool: p.pool,
                }),
            "Hourly" => map
                .next_value()
                .map(|Params::<ZoneParams>(p)| Rule::Hourly {
                    time_zone: p.time_zone,
                }),
            _ => return Ok(Err(unknown_rule(&name))),
        };
        Ok(params.map_err(|e| format!("rule {name}: {e}")))
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Self::expected(&v.to_string()))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::expected("()"))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Self::expected("None"))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, _seq: A) -> Result<Self::Value, A::Error> {
        Ok(Self::expected("a list or unnamed tuple"))
    }
}

/// A rule's parameters: `(name: value, ...)`, or `()` for all defaults.
struct Params<T>(T);

impl<'de, T: Deserialize<'de> + Default> Deserialize<'de> for Params<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ParamsVisitor(std::marker::PhantomData))
    }
}

struct ParamsVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Deserialize<'de> + Default> serde::de::Visitor<'de> for ParamsVisitor<T> {
    type Value = Params<T>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("parameters in parentheses, e.g. CalendarDay(time_zone: \"UTC\")")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Params(T::default()))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Params)
    }
}

#[derive(Default, Deserialize)]
#[serde(rename = "CalendarDay", deny_unknown_fields)]
struct CalendarDayParams {
    time_zone: Option<String>,
    grace_minutes: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(rename = "Rolling24h", deny_unknown_fields)]
struct Rolling24hParams {
    grace_minutes: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(rename = "Concurrent", deny_unknown_fields)]
struct ConcurrentParams {
    pool: Option<String>,
    linger_minutes: Option<u32>,
}

#[derive(Default, Deserialize)]
#[serde(rename = "DailyPeak", deny_unknown_fields)]
struct DailyPeakParams {
    time_zone: Option<String>,
    pool: Option<String>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ZoneParams {
    time_zone: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_names_round_trip() {
        for name in RULE_NAMES {
            assert_eq!(Rule::bare(name).unwrap().name(), name);
        }
        assert_eq!(
            Rule::bare("Daily").unwrap_err(),
            "unknown rule `Daily`; the rules are CalendarDay, Rolling24h, Concurrent, DailyPeak, Hourly"
        );
    }
}
