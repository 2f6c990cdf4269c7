//! The checks of a scenario's values (SPEC §3): the raw file → checked model
//! step, every problem named by its field path, so nothing downstream
//! re-checks these.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::{
    Constraints, Contract, Overdraft, Prices, Product, Rule, Scenario, ScenarioError, Sizing,
    Subscription, TokenPrice, VERSION,
};

pub(super) fn check_version(version: Option<u32>) -> Result<(), ScenarioError> {
    match version {
        None => Err(ScenarioError::invalid(
            "version",
            format!("missing; a scenario file starts with `version: {VERSION}`"),
        )),
        Some(v) if v > VERSION => Err(ScenarioError::invalid(
            "version",
            format!(
                "{v} was written by a newer tokenplan (this one reads version {VERSION}); \
                 update tokenplan to open it"
            ),
        )),
        Some(0) => Err(ScenarioError::invalid(
            "version",
            format!("0 is not a scenario format version (this one is {VERSION})"),
        )),
        Some(_) => Ok(()),
    }
}

impl Scenario {
    /// Checks every value against the rules of SPEC §3 (the raw file →
    /// checked model step: nothing downstream re-checks these).
    ///
    /// # Errors
    /// The first problem found, as [`ScenarioError::Invalid`] naming the
    /// field path, e.g. `products.ACD.rates[0].tokens: must be > 0, got -6`.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        match self.problems().into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(()),
        }
    }

    /// Every problem of the scenario, in file order (empty when valid), so a
    /// user fixing a file by hand sees them all at once.
    pub fn problems(&self) -> Vec<ScenarioError> {
        let mut c = Checker::default();
        if self.version != VERSION
            && let Err(e) = check_version(Some(self.version))
        {
            c.problems.push(e);
        }
        if self.name.trim().is_empty() {
            c.err("name", "must not be empty");
        }
        if !(self.currency.len() == 3 && self.currency.bytes().all(|b| b.is_ascii_uppercase())) {
            c.err(
                "currency",
                format!(
                    "{:?} is not an ISO 4217 code (three capital letters, e.g. USD)",
                    self.currency
                ),
            );
        }
        c.time_zone("server_time_zone", &self.server_time_zone);
        for (code, product) in &self.products {
            c.product(&format!("products.{code}"), code, product);
        }
        for (code, sub) in &self.subscriptions {
            let at = format!("subscriptions.{code}");
            c.key(&at, code);
            c.non_negative(&format!("{at}.annual_price"), sub.annual_price);
            if let Some(renewal) = sub.renewal_price {
                c.non_negative(&format!("{at}.renewal_price"), renewal);
            }
            if sub.covers.is_empty() {
                c.err(format!("{at}.covers"), "must name at least one product");
            }
            for (i, product) in sub.covers.iter().enumerate() {
                if !self.products.contains_key(product) {
                    c.err(
                        format!("{at}.covers[{i}]"),
                        format!(
                            "{product:?} is not a product of this scenario ({})",
                            names(self.products.keys())
                        ),
                    );
                } else if sub.covers[..i].contains(product) {
                    c.err(
                        format!("{at}.covers[{i}]"),
                        format!("{product:?} is listed twice"),
                    );
                }
            }
        }
        c.pools(self);
        c.daily_peak_pools(self);
        c.token_price("token_price", &self.token_price);
        c.contract(&self.contract, &self.subscriptions);
        if let Some(prices) = &self.prices {
            c.prices(prices, &self.contract, &self.subscriptions);
        }
        if self.forecast.history_days < 1 {
            c.err("forecast.history_days", "must be >= 1, got 0");
        }
        if self.forecast.growth_per_year <= -Decimal::ONE {
            c.err(
                "forecast.growth_per_year",
                format!(
                    "must be > -1 (-100 %), got {}",
                    self.forecast.growth_per_year
                ),
            );
        }
        for (dept, tokens) in &self.budgets {
            c.key(&format!("budgets.{dept}"), dept);
            c.non_negative(&format!("budgets.{dept}"), *tokens);
        }
        c.constraints(&self.constraints, &self.subscriptions);
        c.sizing(&self.sizing);
        c.problems
    }
}

/// Collects problems with their field paths.
#[derive(Default)]
struct Checker {
    problems: Vec<ScenarioError>,
}

fn names<'a>(known: impl Iterator<Item = &'a String>) -> String {
    let list: Vec<&str> = known.map(String::as_str).collect();
    if list.is_empty() {
        "there are none".to_owned()
    } else {
        format!("known: {}", list.join(", "))
    }
}

impl Checker {
    fn err(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(ScenarioError::invalid(field, message));
    }

    fn key(&mut self, at: &str, key: &str) {
        if key.trim().is_empty() {
            self.err(at, "the name must not be empty");
        }
    }

    fn time_zone(&mut self, at: &str, zone: &str) {
        if zone.parse::<chrono_tz::Tz>().is_err() {
            self.err(
                at,
                format!("{zone:?} is not an IANA time zone name (e.g. America/New_York, Europe/London, UTC)"),
            );
        }
    }

    fn non_negative(&mut self, at: &str, value: Decimal) {
        if value.is_sign_negative() && !value.is_zero() {
            self.err(at, format!("must not be negative, got {value}"));
        }
    }

    fn positive(&mut self, at: &str, value: Decimal) {
        if value <= Decimal::ZERO {
            self.err(at, format!("must be > 0, got {value}"));
        }
    }

    fn share(&mut self, at: &str, value: Decimal) {
        if value < Decimal::ZERO || value > Decimal::ONE {
            self.err(at, format!("must be between 0 and 1, got {value}"));
        }
    }

    fn product(&mut self, at: &str, code: &str, product: &Product) {
        self.key(at, code);
        match &product.rule {
            Rule::CalendarDay { time_zone, .. }
            | Rule::DailyPeak {
                time_zone,
                pool: None,
            }
            | Rule::Hourly { time_zone } => {
                if let Some(zone) = time_zone {
                    self.time_zone(&format!("{at}.rule.time_zone"), zone);
                }
            }
            Rule::DailyPeak {
                time_zone,
                pool: Some(pool),
            } => {
                if let Some(zone) = time_zone {
                    self.time_zone(&format!("{at}.rule.time_zone"), zone);
                }
                if pool.trim().is_empty() {
                    self.err(
                        format!("{at}.rule.pool"),
                        "must not be empty (leave it out for a pool of its own)",
                    );
                }
            }
            Rule::Concurrent {
                pool: Some(pool), ..
            } if pool.trim().is_empty() => {
                self.err(
                    format!("{at}.rule.pool"),
                    "must not be empty (leave it out for a pool of its own)",
                );
            }
            Rule::Concurrent { .. } | Rule::Rolling24h { .. } => {}
        }
        if product.rates.is_empty() {
            self.err(
                format!("{at}.rates"),
                "must hold at least one rate, e.g. [Rate(from: \"2020-01-01\", tokens: \"6\")]",
            );
        }
        for (i, rate) in product.rates.iter().enumerate() {
            self.positive(&format!("{at}.rates[{i}].tokens"), rate.tokens);
            if let Some(prev) = i.checked_sub(1).and_then(|p| product.rates.get(p))
                && rate.from <= prev.from
            {
                self.err(
                    format!("{at}.rates[{i}].from"),
                    format!(
                        "rates must be in ascending date order: {} is not after {} (rates[{}])",
                        rate.from,
                        prev.from,
                        i - 1
                    ),
                );
            }
        }
        for (i, pattern) in product.features.iter().enumerate() {
            if pattern.trim().is_empty() {
                self.err(
                    format!("{at}.features[{i}]"),
                    "an empty pattern matches nothing",
                );
            }
        }
    }

    fn token_price(&mut self, at: &str, price: &TokenPrice) {
        match price {
            TokenPrice::Flat(p) => self.non_negative(at, *p),
            TokenPrice::Tiers { tiers, .. } => {
                if tiers.is_empty() {
                    self.err(format!("{at}.tiers"), "must hold at least one tier, from 0");
                }
                if let Some(first) = tiers.first()
                    && first.from != 0
                {
                    self.err(
                        format!("{at}.tiers[0].from"),
                        format!("the first tier must start at 0, got {}", first.from),
                    );
                }
                for (i, tier) in tiers.iter().enumerate() {
                    self.non_negative(&format!("{at}.tiers[{i}].price"), tier.price);
                    if let Some(prev) = i.checked_sub(1).and_then(|p| tiers.get(p))
                        && tier.from <= prev.from
                    {
                        self.err(
                            format!("{at}.tiers[{i}].from"),
                            format!(
                                "tiers must ascend by `from`: {} is not above {} (tiers[{}])",
                                tier.from,
                                prev.from,
                                i - 1
                            ),
                        );
                    }
                }
            }
        }
    }

    fn contract(&mut self, contract: &Contract, subs: &BTreeMap<String, Subscription>) {
        if contract.years < 1 {
            self.err("contract.years", "must be >= 1, got 0");
        }
        if contract.pack_size == Some(0) {
            self.err("contract.pack_size", "must be >= 1, got 0");
        }
        for code in contract.current_seats.keys() {
            if !subs.contains_key(code) {
                self.err(
                    format!("contract.current_seats.{code}"),
                    format!(
                        "{code:?} is not a subscription of this scenario ({})",
                        names(subs.keys())
                    ),
                );
            }
        }
        self.non_negative("contract.overage_price", contract.overage_price);
        if let Overdraft::Limit(tokens) = contract.overdraft {
            self.non_negative("contract.overdraft", tokens);
        }
        let rate = contract.discount_rate;
        if rate < Decimal::ZERO || rate >= Decimal::ONE {
            self.err(
                "contract.discount_rate",
                format!("must be at least 0 and below 1 (e.g. 0.08 for 8 %), got {rate}"),
            );
        }
    }

    /// Every priced pool must be a pool some `Concurrent` product draws from.
    fn pools(&mut self, scenario: &Scenario) {
        let drawn: Vec<&str> = scenario
            .products
            .iter()
            .filter_map(|(code, p)| match &p.rule {
                Rule::Concurrent { pool, .. } => Some(pool.as_deref().unwrap_or(code)),
                _ => None,
            })
            .collect();
        for (name, pool) in &scenario.pools {
            let at = format!("pools.{name}");
            self.key(&at, name);
            if !drawn.contains(&name.as_str()) {
                let known = if drawn.is_empty() {
                    "there are none".to_owned()
                } else {
                    format!("known: {}", drawn.join(", "))
                };
                self.err(
                    at.clone(),
                    format!("no Concurrent product draws from a pool named {name:?} ({known})"),
                );
            }
            if let Some(price) = pool.price_per_token_year {
                self.non_negative(&format!("{at}.price_per_token_year"), price);
            }
        }
    }

    /// Products sharing a `DailyPeak` pool share its dates: one zone.
    fn daily_peak_pools(&mut self, scenario: &Scenario) {
        let mut zones: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        for (code, p) in &scenario.products {
            let Rule::DailyPeak { time_zone, pool } = &p.rule else {
                continue;
            };
            let name = pool.as_deref().unwrap_or(code);
            let zone = time_zone.as_deref().unwrap_or(&scenario.server_time_zone);
            match zones.get(name) {
                None => {
                    zones.insert(name, (code, zone));
                }
                Some(&(first, first_zone)) if first_zone != zone => self.err(
                    format!("products.{code}.rule.time_zone"),
                    format!(
                        "{zone:?} differs from {first_zone:?} of {first}, which shares the DailyPeak pool {name:?}; \
                         a pool's days are counted in one zone"
                    ),
                ),
                Some(_) => {}
            }
        }
    }

    fn prices(
        &mut self,
        prices: &Prices,
        contract: &Contract,
        subs: &BTreeMap<String, Subscription>,
    ) {
        if prices.escalation <= -Decimal::ONE {
            self.err(
                "prices.escalation",
                format!("must be > -1 (-100 %), got {}", prices.escalation),
            );
        }
        if let Some(cap) = prices.escalation_cap {
            self.non_negative("prices.escalation_cap", cap);
        }
        for (i, y) in prices.years.iter().enumerate() {
            let at = format!("prices.years[{i}]");
            if y.year < 1 || y.year > contract.years {
                self.err(
                    format!("{at}.year"),
                    format!(
                        "must be a contract year, 1 to {}, got {}",
                        contract.years, y.year
                    ),
                );
            } else if prices.years[..i].iter().any(|p| p.year == y.year) {
                self.err(
                    format!("{at}.year"),
                    format!("year {} is listed twice", y.year),
                );
            }
            for (field, map) in [
                ("subscriptions", &y.subscriptions),
                ("renewal_subscriptions", &y.renewal_subscriptions),
            ] {
                for (code, price) in map {
                    let path = format!("{at}.{field}.{code}");
                    if subs.contains_key(code) {
                        self.non_negative(&path, *price);
                    } else {
                        self.err(
                            path,
                            format!(
                                "{code:?} is not a subscription of this scenario ({})",
                                names(subs.keys())
                            ),
                        );
                    }
                }
            }
            if let Some(tp) = &y.token_price {
                self.token_price(&format!("{at}.token_price"), tp);
            }
            if let Some(overage) = y.overage_price {
                self.non_negative(&format!("{at}.overage_price"), overage);
            }
        }
    }

    fn constraints(&mut self, constraints: &Constraints, subs: &BTreeMap<String, Subscription>) {
        let known = |c: &mut Self, at: String, code: &str| {
            if !subs.contains_key(code) {
                c.err(
                    at,
                    format!(
                        "{code:?} is not a subscription of this scenario ({})",
                        names(subs.keys())
                    ),
                );
            }
        };
        for code in constraints.min_seats.keys() {
            known(self, format!("constraints.min_seats.{code}"), code);
        }
        for (code, max) in &constraints.max_seats {
            known(self, format!("constraints.max_seats.{code}"), code);
            if let Some(min) = constraints.min_seats.get(code)
                && min > max
            {
                self.err(
                    format!("constraints.min_seats.{code}"),
                    format!("minimum {min} is above the maximum {max}"),
                );
            }
        }
        for (user, plan) in &constraints.pinned {
            self.key(&format!("constraints.pinned.{user}"), user);
            for (i, code) in plan.iter().enumerate() {
                known(self, format!("constraints.pinned.{user}[{i}]"), code);
            }
        }
        self.non_negative(
            "constraints.switching_threshold",
            constraints.switching_threshold,
        );
    }

    fn sizing(&mut self, sizing: &Sizing) {
        if sizing.trials < 1 {
            self.err("sizing.trials", "must be >= 1, got 0");
        }
        self.share("sizing.risk_limit", sizing.risk_limit);
        self.share("sizing.target_denial_rate", sizing.target_denial_rate);
        if let Some(alert) = sizing.alert_tokens_per_day {
            self.non_negative("sizing.alert_tokens_per_day", alert);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(check_version(Some(VERSION)).is_ok());
        let newer = check_version(Some(VERSION + 1)).unwrap_err().to_string();
        assert!(newer.contains("written by a newer tokenplan"), "{newer}");
        assert!(check_version(None).is_err());
        assert!(check_version(Some(0)).is_err());
    }
}
