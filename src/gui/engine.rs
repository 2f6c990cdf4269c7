//! The GUI's only door to the engine: every engine call the app makes goes
//! through a function here, and each runs inside a background job.
//!
//! Errors come back as text with their whole cause chain, ready to be shown
//! once in the notification area.
//!
//! Some engine pieces land on `main` while this module is written; until
//! then the functions marked "stand-in" do a small, honest subset of the
//! job (the session CSV format, the `CalendarDay` rule) and say so.

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::Path;

use chrono::{DateTime, NaiveDate};
use rust_decimal::Decimal;

use crate::ingest::{ImportOptions, Report};
use crate::meter::{DayCharge, Metered, PairCharges, ProductIdx};
use crate::progress::Progress;
use crate::scenario::{
    Contract, Forecast, Overdraft, Product, Rate, Rule, Scenario, Subscription, Tier, TierMode,
    TokenPrice,
};
use crate::time::DayMapper;
use crate::usage::{Session, Usage};

/// A validation problem of one scenario field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// Path of the field, e.g. `products.ACD.rates[0].tokens` (empty when
    /// the problem is about the whole scenario).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

/// `error` and each of its causes, joined by `: `.
pub fn error_chain(error: &dyn Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        let more = c.to_string();
        // Many errors already print their cause; don't say it twice.
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        cause = c.source();
    }
    text
}

/// The bundled sample scenario (stand-in for `crate::sample::scenario`).
///
/// # Errors
/// Never for the stand-in; the engine's version reports a broken bundle.
pub fn sample_scenario() -> Result<Scenario, String> {
    let from = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    let product = |name: &str, tokens: i64, pattern: &str| Product {
        name: name.to_owned(),
        rule: Rule::CalendarDay {
            time_zone: None,
            grace_minutes: None,
        },
        rates: vec![Rate {
            from,
            tokens: Decimal::from(tokens),
        }],
        features: vec![pattern.to_owned()],
    };
    let products = BTreeMap::from([
        ("ACD".to_owned(), product("AutoCAD", 6, "*ACD*")),
        ("C3D".to_owned(), product("Civil 3D", 10, "*C3D*")),
        ("INV".to_owned(), product("Inventor", 10, "*INV*")),
        ("MAX".to_owned(), product("3ds Max", 7, "*MAX*")),
        (
            "NAVMAN".to_owned(),
            product("Navisworks Manage", 9, "*NAVMAN*"),
        ),
        ("RVT".to_owned(), product("Revit", 10, "*RVT*")),
    ]);
    let subscriptions = BTreeMap::from([
        (
            "ACD".to_owned(),
            Subscription {
                name: "AutoCAD".to_owned(),
                annual_price: Decimal::new(203_000, 2),
                covers: vec!["ACD".to_owned()],
            },
        ),
        (
            "AEC".to_owned(),
            Subscription {
                name: "AEC Collection".to_owned(),
                annual_price: Decimal::new(367_500, 2),
                covers: vec!["ACD".to_owned(), "C3D".to_owned(), "RVT".to_owned()],
            },
        ),
    ]);
    Ok(Scenario {
        version: crate::scenario::VERSION,
        name: "Sample: FY27 EBA renewal".to_owned(),
        currency: "USD".to_owned(),
        server_time_zone: "America/New_York".to_owned(),
        products,
        subscriptions,
        token_price: TokenPrice::Tiers {
            mode: TierMode::AllUnits,
            tiers: vec![
                Tier {
                    from: 0,
                    price: Decimal::new(300, 2),
                },
                Tier {
                    from: 50_000,
                    price: Decimal::new(275, 2),
                },
            ],
        },
        contract: Contract {
            start: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default(),
            years: 3,
            overage_price: Decimal::new(360, 2),
            overdraft: Overdraft::Unlimited,
            discount_rate: Decimal::new(8, 2),
        },
        forecast: Forecast {
            history_days: 365,
            growth_per_year: Decimal::new(5, 2),
        },
        budgets: BTreeMap::from([
            ("Architecture".to_owned(), Decimal::from(45_000)),
            ("Civil".to_owned(), Decimal::from(20_000)),
        ]),
        constraints: Default::default(),
        sizing: Default::default(),
    })
}

/// The bundled sample usage (stand-in for `crate::sample::usage`): the
/// sample session CSV.
pub fn sample_usage(scenario: &Scenario) -> (Usage, Vec<Report>) {
    let mut usage = Usage::default();
    let options = ImportOptions {
        time_zone: scenario.server_tz().unwrap_or(chrono_tz::America::New_York),
        kind: None,
    };
    let report = import_session_csv(
        "sample-data/sessions.csv",
        include_str!("../../sample-data/sessions.csv"),
        &mut usage,
        &options,
    );
    (usage, vec![report])
}

/// Imports one file into `usage` (stand-in for `crate::ingest::import_path`:
/// session CSV only).
///
/// # Errors
/// When the file cannot be read or is no known kind; `usage` is then
/// unchanged.
pub fn import_file(
    path: &Path,
    usage: &mut Usage,
    options: &ImportOptions,
) -> Result<Report, String> {
    let name = path.display().to_string();
    let bytes =
        std::fs::read(path).map_err(|e| format!("{name}: cannot read: {}", error_chain(&e)))?;
    let text = String::from_utf8_lossy(&bytes);
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let header = text.lines().next().unwrap_or_default().to_ascii_lowercase();
    let has = |c: &str| header.split([',', ';', '\t']).any(|h| h.trim() == c);
    if !(has("user") && has("product") && has("start") && has("end")) {
        return Err(format!(
            "{name}: not a file this build can read (expected a session CSV with columns user, product, start, end)"
        ));
    }
    Ok(import_session_csv(&name, text, usage, options))
}

fn import_session_csv(
    file: &str,
    text: &str,
    usage: &mut Usage,
    options: &ImportOptions,
) -> Report {
    let mut report = Report::new(file);
    report.kind = Some(crate::ingest::SourceKind::Sessions);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let columns: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.trim().to_ascii_lowercase()).collect(),
        Err(e) => {
            report.fatal = true;
            report.problem(1, format!("cannot read the header: {e}"));
            return report;
        }
    };
    report.lines_read = 1;
    report.lines_used = 1;
    let col = |name: &str| columns.iter().position(|c| c == name);
    let (Some(cu), Some(cp), Some(cs), Some(ce)) =
        (col("user"), col("product"), col("start"), col("end"))
    else {
        report.fatal = true;
        report.problem(1, "the header lacks one of user, product, start, end");
        return report;
    };
    let ch = col("host");
    let mut sessions = 0;
    for record in reader.records() {
        report.lines_read += 1;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(report.lines_read, |p| p.line());
                report.skip(
                    line,
                    "unreadable row",
                    format!("unreadable row: {e}; row skipped"),
                );
                continue;
            }
        };
        let line = record.position().map_or(report.lines_read, |p| p.line());
        let field = |i: usize| record.get(i).unwrap_or_default().trim();
        let (user, product) = (field(cu), field(cp));
        if user.is_empty() || product.is_empty() {
            report.skip(
                line,
                "empty user or product",
                "empty user or product; row skipped",
            );
            continue;
        }
        let instant = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.timestamp())
                .or_else(|_| {
                    chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S")
                        .map(|t| crate::time::local_to_utc(options.time_zone, t))
                })
        };
        let (start, end) = match (instant(field(cs)), instant(field(ce))) {
            (Ok(s), Ok(e)) => (s, e),
            _ => {
                report.skip(
                    line,
                    "unparsable instant",
                    format!(
                        "start `{}` or end `{}` is not a date-time; row skipped",
                        field(cs),
                        field(ce)
                    ),
                );
                continue;
            }
        };
        if end < start {
            report.skip(
                line,
                "end before start",
                format!(
                    "end {} is before start {}; row skipped",
                    field(ce),
                    field(cs)
                ),
            );
            continue;
        }
        let (Ok(start_u32), Ok(dur)) = (u32::try_from(start), u32::try_from(end - start)) else {
            report.skip(
                line,
                "instant out of range",
                "instant outside 1970..2106; row skipped",
            );
            continue;
        };
        let host = ch.map(field).unwrap_or_default();
        let session = Session {
            start: start_u32,
            dur,
            user: usage.users.intern(user),
            feature: usage.features.intern(product),
            host: usage.hosts.intern(host),
            draw: 0,
            flags: 0,
        };
        usage.sessions.push(session);
        report.lines_used += 1;
        sessions += 1;
    }
    report.count("sessions", sessions);
    report
}

/// Meters `usage` under `scenario` (stand-in for `crate::meter::meter`:
/// every product is charged as `CalendarDay` in the server's zone).
///
/// # Errors
/// When the scenario's zone is not an IANA zone, or when cancelled.
pub fn meter(
    usage: &Usage,
    scenario: &Scenario,
    progress: &dyn Progress,
) -> Result<Metered, String> {
    let tz = scenario.server_tz()?;
    let codes: Vec<String> = scenario.products.keys().cloned().collect();
    let patterns: Vec<Vec<String>> = scenario
        .products
        .values()
        .map(|p| p.features.iter().map(|f| f.to_ascii_lowercase()).collect())
        .collect();
    let product_of: Vec<Option<ProductIdx>> = usage
        .features
        .names()
        .map(|name| {
            let name = name.to_ascii_lowercase();
            patterns
                .iter()
                .position(|ps| ps.iter().any(|p| glob(p, &name)))
                .and_then(|i| ProductIdx::try_from(i).ok())
        })
        .collect();
    let mut days: BTreeMap<(u32, ProductIdx), BTreeSet<i32>> = BTreeMap::new();
    let mut unmapped: BTreeMap<String, u64> = BTreeMap::new();
    let mut mapper = DayMapper::new(tz);
    let total = usage.sessions.len() as u64;
    for (i, s) in usage.sessions.iter().enumerate() {
        if i % 65_536 == 0 {
            if progress.is_cancelled() {
                return Err("metering cancelled".to_owned());
            }
            progress.report(i as u64, total);
        }
        let Some(Some(p)) = product_of.get(s.feature as usize).copied() else {
            *unmapped
                .entry(usage.features.name(s.feature).to_owned())
                .or_default() += 1;
            continue;
        };
        let first = mapper.day(s.start_secs());
        let last = if s.dur == 0 {
            first
        } else {
            mapper.day(s.end_secs() - 1)
        };
        days.entry((s.user, p)).or_default().extend(first..=last);
    }
    let mut pairs: Vec<PairCharges> = days
        .into_iter()
        .map(|((user, product), ds)| {
            let rate_product = codes
                .get(usize::from(product))
                .and_then(|c| scenario.products.get(c));
            PairCharges {
                user,
                product,
                days: ds
                    .into_iter()
                    .map(|day| DayCharge {
                        day,
                        charges: 1,
                        tokens: rate_product
                            .map(|p| p.rate_on(crate::time::date_of_day(day)))
                            .unwrap_or_default(),
                    })
                    .collect(),
            }
        })
        .collect();
    pairs.sort_by(|a, b| {
        usage
            .users
            .name(a.user)
            .cmp(usage.users.name(b.user))
            .then(a.product.cmp(&b.product))
    });
    progress.report(total, total);
    Ok(Metered {
        products: codes,
        pairs,
        unmapped,
        free_sessions: 0,
    })
}

/// `*`-wildcard match; both sides already lower case.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == name;
    }
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// Reads a scenario file.
///
/// # Errors
/// The file cannot be read, or is not a valid scenario (with line and
/// column, or the field).
pub fn load_scenario(path: &Path) -> Result<Scenario, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {}", path.display(), error_chain(&e)))?;
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    options.from_str::<Scenario>(&text).map_err(|e| {
        format!(
            "{}:{}:{}: {}",
            path.display(),
            e.span.start.line,
            e.span.start.col,
            e.code
        )
    })
}

/// Writes a scenario file atomically (temporary file, then rename).
///
/// # Errors
/// When the file cannot be written.
pub fn save_scenario(scenario: &Scenario, path: &Path) -> Result<(), String> {
    let config = ron::ser::PrettyConfig::default();
    let text = ron::ser::to_string_pretty(scenario, config)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = std::path::PathBuf::from(tmp);
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("{}: cannot write: {}", path.display(), error_chain(&e)))
}

/// Every validation problem of `scenario`, by field path.
pub fn scenario_problems(scenario: &Scenario) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    let mut err = |field: String, message: String| problems.push(FieldProblem { field, message });
    if scenario.name.trim().is_empty() {
        err("name".into(), "must not be empty".into());
    }
    if !(scenario.currency.len() == 3 && scenario.currency.bytes().all(|b| b.is_ascii_uppercase()))
    {
        err(
            "currency".into(),
            format!(
                "must be a 3-letter ISO code such as USD, got `{}`",
                scenario.currency
            ),
        );
    }
    if let Err(message) = scenario.server_tz() {
        err("server_time_zone".into(), message);
    }
    for (code, product) in &scenario.products {
        if product.rates.is_empty() {
            err(
                format!("products.{code}.rates"),
                "needs at least one rate".into(),
            );
        }
        for (i, rate) in product.rates.iter().enumerate() {
            if rate.tokens < Decimal::ZERO {
                err(
                    format!("products.{code}.rates[{i}].tokens"),
                    format!("must be >= 0, got {}", rate.tokens),
                );
            }
        }
    }
    for (code, sub) in &scenario.subscriptions {
        for covered in &sub.covers {
            if !scenario.products.contains_key(covered) {
                err(
                    format!("subscriptions.{code}.covers"),
                    format!("`{covered}` is not a product code"),
                );
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glob_matches_like_the_catalog() {
        assert!(glob("*acd*", "87545acd_t_f"));
        assert!(glob("acd", "acd"));
        assert!(!glob("acd", "acdmep"));
        assert!(glob("*acd*", "acdmep"));
        assert!(glob("a*c*d", "abcxd"));
        assert!(!glob("a*c*d", "abxd"));
    }

    #[test]
    fn error_chain_names_every_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        assert_eq!(error_chain(&io), "no such file");
    }
}
