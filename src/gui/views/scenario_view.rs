//! The Scenario editor: every field of [`Scenario`] editable in place, each
//! with its validation messages next to it. An edit emits
//! [`Command::ScenarioEdited`], which re-validates and re-meters in the
//! background.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::NaiveDate;
use egui::{CollapsingHeader, RichText, Ui};
use rust_decimal::Decimal;

use super::fields::{Form, error_color};
use crate::gui::command::{Command, Commands};
use crate::gui::model::scenario_check::ScenarioCheck;
use crate::gui::words;
use crate::scenario::{
    Contract, Overdraft, Prices, Product, RULE_NAMES, Rate, Rule, Scenario, SeatChanges, Sizing,
    Subscription, Tier, TierMode, TokenPrice, YearPrices,
};

/// Shown beside the file name while the scenario has unsaved edits.
pub const MODIFIED: &str = "Modified, not saved";

/// Draws the editor for `scenario`; `path` is its file, if any, and
/// `modified` says it has edits not saved there.
pub fn scenario_ui(
    ui: &mut Ui,
    scenario: &mut Scenario,
    check: &ScenarioCheck,
    path: Option<&Path>,
    modified: bool,
    cmds: &mut Commands,
) {
    ui.heading("Scenario");
    file_line_ui(ui, path, modified, cmds);
    problems_ui(ui, check);
    ui.separator();

    let mut form = Form::new(check);
    egui::ScrollArea::vertical()
        .id_salt("scenario_editor")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            section(ui, "General", |ui| {
                form.text(ui, "Scenario name", &mut scenario.name, "name");
                form.text(ui, "Currency", &mut scenario.currency, "currency");
                form.text(
                    ui,
                    "Server time zone",
                    &mut scenario.server_time_zone,
                    "server_time_zone",
                );
            });
            section(ui, "Products", |ui| {
                products_ui(ui, &mut form, &mut scenario.products)
            });
            let product_codes: Vec<String> = scenario.products.keys().cloned().collect();
            section(ui, "Subscriptions", |ui| {
                subscriptions_ui(ui, &mut form, &mut scenario.subscriptions, &product_codes);
            });
            section(ui, "Token price", |ui| {
                token_price_ui(ui, &mut form, &mut scenario.token_price)
            });
            let subscription_codes: Vec<String> = scenario.subscriptions.keys().cloned().collect();
            section(ui, "Contract", |ui| {
                contract_ui(ui, &mut form, &mut scenario.contract, &subscription_codes);
            });
            section(ui, "Prices by year", |ui| {
                prices_ui(ui, &mut form, scenario, &subscription_codes);
            });
            section(ui, "Forecast", |ui| {
                let f = &mut scenario.forecast;
                form.number(
                    ui,
                    "History days",
                    &mut f.history_days,
                    "forecast.history_days",
                );
                form.decimal(
                    ui,
                    "Growth per year",
                    &mut f.growth_per_year,
                    "forecast.growth_per_year",
                );
            });
            section(ui, "Budgets", |ui| {
                budgets_ui(ui, &mut form, &mut scenario.budgets)
            });
            section(ui, "Constraints", |ui| {
                constraints_ui(ui, &mut form, scenario, &subscription_codes);
            });
            section(ui, "Sizing", |ui| {
                sizing_ui(ui, &mut form, &mut scenario.sizing)
            });
        });
    if form.changed {
        cmds.push(Command::ScenarioEdited);
    }
}

/// The scenario's file, whether it has unsaved edits, and Save.
fn file_line_ui(ui: &mut Ui, path: Option<&Path>, modified: bool, cmds: &mut Commands) {
    ui.horizontal(|ui| {
        ui.label(match path {
            Some(p) => format!("File: {}", p.display()),
            None => "Not saved to a file yet.".to_owned(),
        });
        if modified {
            ui.label(RichText::new(MODIFIED).strong())
                .on_hover_text("Edits (or mapped features) not saved to a file yet");
        }
        if ui.button("Save scenario…").clicked() {
            cmds.push(Command::SaveScenarioAs);
        }
    });
}

/// Whether the scenario is valid, or each of its problems by field.
fn problems_ui(ui: &mut Ui, check: &ScenarioCheck) {
    if check.problems.is_empty() {
        ui.label("The scenario is valid.");
    } else {
        ui.label(
            RichText::new(format!(
                "{} problem(s); charges are not recomputed until they are fixed:",
                check.problems.len()
            ))
            .color(error_color(ui)),
        );
        for p in &check.problems {
            ui.label(
                RichText::new(format!("{}: {}", words::field_path(&p.field), p.message))
                    .color(error_color(ui)),
            );
        }
    }
    if !check.warnings.is_empty() {
        ui.label(
            RichText::new(format!(
                "{} thing(s) to check (they do not stop the figures):",
                check.warnings.len()
            ))
            .color(ui.visuals().warn_fg_color),
        );
        for w in &check.warnings {
            ui.label(
                RichText::new(format!("{}: {}", words::field_path(&w.field), w.message))
                    .color(ui.visuals().warn_fg_color),
            );
        }
    }
}

/// The contract's term, overage and discount, packs, the seat-change rule
/// and the seats held today.
fn contract_ui(ui: &mut Ui, form: &mut Form<'_>, c: &mut Contract, subscriptions: &[String]) {
    form.date(ui, "Start", &mut c.start, "contract.start");
    form.number(ui, "Years", &mut c.years, "contract.years");
    form.decimal(
        ui,
        "Overage price",
        &mut c.overage_price,
        "contract.overage_price",
    );
    overdraft_ui(ui, form, &mut c.overdraft);
    form.decimal(
        ui,
        "Discount rate",
        &mut c.discount_rate,
        "contract.discount_rate",
    );
    form.opt_number(
        ui,
        "Pack size (tokens)",
        &mut c.pack_size,
        "whole tokens",
        "contract.pack_size",
    );
    let before = c.seat_changes;
    let label = ui.label("Seat changes");
    egui::ComboBox::new("contract.seat_changes", "")
        .selected_text(words::seat_changes(c.seat_changes))
        .show_ui(ui, |ui| {
            for rule in [SeatChanges::AnyTime, SeatChanges::AddsAtAnniversary] {
                ui.selectable_value(&mut c.seat_changes, rule, words::seat_changes(rule));
            }
        })
        .response
        .labelled_by(label.id);
    form.changed |= c.seat_changes != before;
    form.errors(ui, "contract.seat_changes");
    ui.label("Seats held today (before year 1; none set: the assignments file's rows):");
    for code in subscriptions {
        let mut value = c.current_seats.get(code).copied();
        let before = value;
        form.opt_number(
            ui,
            &format!("Seats held today {code}"),
            &mut value,
            "none set",
            &format!("contract.current_seats.{code}"),
        );
        if value != before {
            match value {
                Some(v) => c.current_seats.insert(code.clone(), v),
                None => c.current_seats.remove(code),
            };
        }
    }
    // Seats of codes that are no longer subscriptions still show, so they can be fixed.
    for code in c
        .current_seats
        .keys()
        .filter(|k| !subscriptions.contains(k))
    {
        form.errors(ui, &format!("contract.current_seats.{code}"));
    }
}

/// The prices of later contract years (SPEC §8): escalation, its cap and
/// the years whose prices are set. No section at all when nothing is set,
/// so a file without one saves without one.
fn prices_ui(ui: &mut Ui, form: &mut Form<'_>, scenario: &mut Scenario, subscriptions: &[String]) {
    let years = scenario.contract.years;
    let mut p = scenario.prices.clone().unwrap_or_default();
    ui.weak("Year 1 uses the prices above; each later year's are the year before's × (1 + escalation), or the cap when lower.");
    form.text(ui, "Price basis", &mut p.basis, "prices.basis");
    form.decimal(
        ui,
        "Escalation per year",
        &mut p.escalation,
        "prices.escalation",
    );
    form.opt_decimal(
        ui,
        "Escalation cap",
        &mut p.escalation_cap,
        "no cap",
        "prices.escalation_cap",
    );
    ui.label("Years whose prices are set (later years escalate from them):");
    let rows = |i: usize| Some(format!("prices.years[{i}]"));
    list_ui(
        ui,
        form,
        &mut p.years,
        "price year",
        rows,
        |ui, form, i, y| year_prices_ui(ui, form, i, y, subscriptions),
        |list| YearPrices {
            year: list.last().map_or(2, |y| y.year + 1).min(years.max(1)),
            ..YearPrices::default()
        },
    );
    let p = (p != Prices::default()).then_some(p);
    if p != scenario.prices {
        scenario.prices = p;
        form.changed = true;
    }
}

/// One year's set prices: new-seat and renewal prices per subscription,
/// the token price and the overage price, each optional.
fn year_prices_ui(
    ui: &mut Ui,
    form: &mut Form<'_>,
    i: usize,
    y: &mut YearPrices,
    subscriptions: &[String],
) {
    let at = format!("prices.years[{i}]");
    form.number(
        ui,
        &format!("Price year {}", i + 1),
        &mut y.year,
        &format!("{at}.year"),
    );
    for code in subscriptions {
        for (map, field, what) in [
            (&mut y.subscriptions, "subscriptions", "new seat"),
            (
                &mut y.renewal_subscriptions,
                "renewal_subscriptions",
                "renewal",
            ),
        ] {
            let mut value = map.get(code).copied();
            let before = value;
            form.opt_decimal(
                ui,
                &format!("Year {} {code} {what} price", y.year),
                &mut value,
                "escalated",
                &format!("{at}.{field}.{code}"),
            );
            if value != before {
                match value {
                    Some(v) => map.insert(code.clone(), v),
                    None => map.remove(code),
                };
            }
        }
    }
    let mut set = y.token_price.is_some();
    if ui
        .checkbox(&mut set, format!("Year {} token price", y.year))
        .changed()
    {
        y.token_price = set.then_some(TokenPrice::Flat(Decimal::ZERO));
        form.changed = true;
    }
    match &mut y.token_price {
        Some(tp) => token_price_at_ui(
            ui,
            form,
            tp,
            &format!("{at}.token_price"),
            &format!("Year {} ", y.year),
        ),
        None => {
            ui.weak("escalated");
        }
    }
    form.opt_decimal(
        ui,
        &format!("Year {} overage price", y.year),
        &mut y.overage_price,
        "escalated",
        &format!("{at}.overage_price"),
    );
}

/// The Monte Carlo's settings and the burn alert.
fn sizing_ui(ui: &mut Ui, form: &mut Form<'_>, s: &mut Sizing) {
    form.number(ui, "Trials", &mut s.trials, "sizing.trials");
    form.number(ui, "Seed", &mut s.seed, "sizing.seed");
    form.decimal(ui, "Risk limit", &mut s.risk_limit, "sizing.risk_limit");
    form.decimal(
        ui,
        "Target denial rate",
        &mut s.target_denial_rate,
        "sizing.target_denial_rate",
    );
    form.opt_decimal(
        ui,
        "Alert above tokens per day",
        &mut s.alert_tokens_per_day,
        "no alert",
        "sizing.alert_tokens_per_day",
    );
}

fn section(ui: &mut Ui, title: &str, add: impl FnOnce(&mut Ui)) {
    CollapsingHeader::new(RichText::new(title).strong())
        .id_salt(title)
        .default_open(true)
        .show(ui, add);
}

/// A name typed for a new map entry, kept in egui memory under `salt`.
fn new_key_ui(ui: &mut Ui, label: &str, button: &str, salt: &str) -> Option<String> {
    let id = egui::Id::unique(("tokenplan-new-key", salt));
    let mut text: String = ui.data(|d| d.get_temp(id)).unwrap_or_default();
    let mut added = None;
    ui.horizontal(|ui| {
        let l = ui.label(label);
        ui.add(
            egui::TextEdit::singleline(&mut text)
                .id(egui::Id::unique(("tokenplan-new-key-edit", salt)))
                .desired_width(120.0),
        )
        .labelled_by(l.id);
        let key = text.trim().to_owned();
        if ui
            .add_enabled(!key.is_empty(), egui::Button::new(button))
            .clicked()
        {
            added = Some(key);
        }
    });
    if added.is_some() {
        text.clear();
    }
    ui.data_mut(|d| d.insert_temp(id, text));
    added
}

fn products_ui(ui: &mut Ui, form: &mut Form<'_>, products: &mut BTreeMap<String, Product>) {
    let mut remove = None;
    for (code, product) in products.iter_mut() {
        let at = format!("products.{code}");
        CollapsingHeader::new(format!("{code} — {}", product.name))
            .id_salt(&at)
            .default_open(true)
            .show(ui, |ui| {
                form.errors(ui, &at);
                form.text(ui, "Name", &mut product.name, &format!("{at}.name"));
                rule_ui(ui, form, &mut product.rule, &at);
                rates_ui(ui, form, &mut product.rates, &at);
                features_ui(ui, form, &mut product.features, &at);
                if ui.button(format!("Remove product {code}")).clicked() {
                    remove = Some(code.clone());
                }
            });
    }
    if let Some(code) = remove {
        products.remove(&code);
        form.changed = true;
    }
    if let Some(code) = new_key_ui(ui, "New product code", "Add product", "product")
        && !products.contains_key(&code)
    {
        products.insert(
            code.clone(),
            Product {
                name: code,
                rule: Rule::CalendarDay {
                    time_zone: None,
                    grace_minutes: None,
                },
                rates: vec![Rate {
                    from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
                    tokens: Decimal::ONE,
                }],
                features: Vec::new(),
            },
        );
        form.changed = true;
    }
}

fn rule_ui(ui: &mut Ui, form: &mut Form<'_>, rule: &mut Rule, at: &str) {
    let mut name = rule.name();
    egui::ComboBox::new(format!("{at}.rule"), "Charging rule")
        .selected_text(words::rule_kind(name))
        .show_ui(ui, |ui| {
            for r in RULE_NAMES {
                ui.selectable_value(&mut name, r, words::rule_kind(r))
                    .on_hover_text(words::rule_meaning(r));
            }
        })
        .response
        .on_hover_text(words::rule_meaning(name));
    if name != rule.name()
        && let Ok(bare) = Rule::bare(name)
    {
        *rule = bare;
        form.changed = true;
    }
    form.errors(ui, &format!("{at}.rule"));
    let zone_note = "server time zone";
    match rule {
        Rule::CalendarDay {
            time_zone,
            grace_minutes,
        } => {
            form.opt_text(
                ui,
                "Rule time zone",
                time_zone,
                zone_note,
                &format!("{at}.rule.time_zone"),
            );
            form.opt_number(
                ui,
                "Grace minutes",
                grace_minutes,
                "0",
                &format!("{at}.rule.grace_minutes"),
            );
        }
        Rule::Rolling24h { grace_minutes } => {
            form.opt_number(
                ui,
                "Grace minutes",
                grace_minutes,
                "5",
                &format!("{at}.rule.grace_minutes"),
            );
        }
        Rule::Concurrent {
            pool,
            linger_minutes,
        } => {
            form.opt_text(
                ui,
                "Shared pool",
                pool,
                "own pool",
                &format!("{at}.rule.pool"),
            );
            form.opt_number(
                ui,
                "Linger minutes",
                linger_minutes,
                "0",
                &format!("{at}.rule.linger_minutes"),
            );
        }
        Rule::DailyPeak { time_zone, .. } | Rule::Hourly { time_zone } => {
            form.opt_text(
                ui,
                "Rule time zone",
                time_zone,
                zone_note,
                &format!("{at}.rule.time_zone"),
            );
        }
    }
}

fn rates_ui(ui: &mut Ui, form: &mut Form<'_>, rates: &mut Vec<Rate>, at: &str) {
    ui.label("Rates (the one in force on a charge's date applies):");
    form.errors(ui, &format!("{at}.rates"));
    let rows = |i: usize| Some(format!("{at}.rates[{i}]"));
    list_ui(
        ui,
        form,
        rates,
        "rate",
        rows,
        |ui, form, i, rate| {
            form.date(
                ui,
                &format!("Rate {} from", i + 1),
                &mut rate.from,
                &format!("{at}.rates[{i}].from"),
            );
            form.decimal(
                ui,
                &format!("Rate {} tokens", i + 1),
                &mut rate.tokens,
                &format!("{at}.rates[{i}].tokens"),
            );
        },
        |rates| {
            rates.last().cloned().unwrap_or(Rate {
                from: NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default(),
                tokens: Decimal::ONE,
            })
        },
    );
}

fn features_ui(ui: &mut Ui, form: &mut Form<'_>, features: &mut Vec<String>, at: &str) {
    ui.label("Feature patterns (`*` wildcards, case-insensitive):");
    // Each pattern on one line with its Remove button.
    let rows = |_| None;
    list_ui(
        ui,
        form,
        features,
        "pattern",
        rows,
        |ui, form, i, pattern| {
            form.text(
                ui,
                &format!("Pattern {}", i + 1),
                pattern,
                &format!("{at}.features[{i}]"),
            );
        },
        |_| "*".to_owned(),
    );
}

/// A list edited in place: each item drawn by `item`, followed by its
/// "Remove {noun} n" button, then an "Add {noun}" button that appends
/// `new(items)`. `indent(i)` names the indented block of item `i`; `None`
/// puts an item and its button on one line instead.
fn list_ui<T>(
    ui: &mut Ui,
    form: &mut Form<'_>,
    items: &mut Vec<T>,
    noun: &str,
    indent: impl Fn(usize) -> Option<String>,
    mut item: impl FnMut(&mut Ui, &mut Form<'_>, usize, &mut T),
    new: impl FnOnce(&[T]) -> T,
) {
    let mut remove = None;
    for (i, value) in items.iter_mut().enumerate() {
        let row = |ui: &mut Ui| {
            item(ui, form, i, value);
            if ui
                .small_button(format!("Remove {noun} {}", i + 1))
                .clicked()
            {
                remove = Some(i);
            }
        };
        match indent(i) {
            Some(id) => ui.indent(id, row),
            None => ui.horizontal(row),
        };
    }
    if let Some(i) = remove {
        items.remove(i);
        form.changed = true;
    }
    if ui.small_button(format!("Add {noun}")).clicked() {
        let next = new(items);
        items.push(next);
        form.changed = true;
    }
}

fn subscriptions_ui(
    ui: &mut Ui,
    form: &mut Form<'_>,
    subs: &mut BTreeMap<String, Subscription>,
    products: &[String],
) {
    let mut remove = None;
    for (code, sub) in subs.iter_mut() {
        let at = format!("subscriptions.{code}");
        CollapsingHeader::new(format!("{code} — {}", sub.name))
            .id_salt(&at)
            .default_open(true)
            .show(ui, |ui| {
                form.errors(ui, &at);
                form.text(ui, "Name", &mut sub.name, &format!("{at}.name"));
                form.decimal(
                    ui,
                    "Annual price per seat",
                    &mut sub.annual_price,
                    &format!("{at}.annual_price"),
                );
                form.opt_decimal(
                    ui,
                    &format!("Renewal price per seat {code}"),
                    &mut sub.renewal_price,
                    "renews at the annual price",
                    &format!("{at}.renewal_price"),
                );
                ui.horizontal_wrapped(|ui| {
                    ui.label("Covers:");
                    for p in products {
                        let mut on = sub.covers.contains(p);
                        if ui.checkbox(&mut on, p).changed() {
                            if on {
                                sub.covers.push(p.clone());
                                sub.covers.sort();
                            } else {
                                sub.covers.retain(|c| c != p);
                            }
                            form.changed = true;
                        }
                    }
                });
                form.errors(ui, &format!("{at}.covers"));
                for (i, covered) in sub.covers.iter().enumerate() {
                    if !products.contains(covered) {
                        ui.label(
                            RichText::new(format!("Covers unknown product {covered}"))
                                .color(error_color(ui)),
                        );
                    }
                    form.errors(ui, &format!("{at}.covers[{i}]"));
                }
                if ui.button(format!("Remove subscription {code}")).clicked() {
                    remove = Some(code.clone());
                }
            });
    }
    if let Some(code) = remove {
        subs.remove(&code);
        form.changed = true;
    }
    if let Some(code) = new_key_ui(
        ui,
        "New subscription code",
        "Add subscription",
        "subscription",
    ) && !subs.contains_key(&code)
    {
        subs.insert(
            code.clone(),
            Subscription {
                name: code,
                annual_price: Decimal::ZERO,
                renewal_price: None,
                covers: Vec::new(),
            },
        );
        form.changed = true;
    }
}

fn token_price_ui(ui: &mut Ui, form: &mut Form<'_>, price: &mut TokenPrice) {
    token_price_at_ui(ui, form, price, "token_price", "");
}

/// A token price at field path `at`, its inputs' labels starting with
/// `prefix` (a year's override: "Year 3 ").
fn token_price_at_ui(
    ui: &mut Ui,
    form: &mut Form<'_>,
    price: &mut TokenPrice,
    at: &str,
    prefix: &str,
) {
    let tiered = matches!(price, TokenPrice::Tiers { .. });
    ui.horizontal(|ui| {
        if ui.radio(!tiered, format!("{prefix}Flat price")).clicked() && tiered {
            let first = match price {
                TokenPrice::Tiers { tiers, .. } => {
                    tiers.first().map(|t| t.price).unwrap_or_default()
                }
                TokenPrice::Flat(p) => *p,
            };
            *price = TokenPrice::Flat(first);
            form.changed = true;
        }
        if ui.radio(tiered, format!("{prefix}Volume tiers")).clicked() && !tiered {
            let flat = match price {
                TokenPrice::Flat(p) => *p,
                TokenPrice::Tiers { .. } => Decimal::ZERO,
            };
            *price = TokenPrice::Tiers {
                mode: TierMode::AllUnits,
                tiers: vec![Tier {
                    from: 0,
                    price: flat,
                }],
            };
            form.changed = true;
        }
    });
    form.errors(ui, at);
    match price {
        TokenPrice::Flat(p) => {
            form.decimal(ui, &format!("{prefix}Price per token"), p, at);
        }
        TokenPrice::Tiers { mode, tiers } => {
            let before = *mode;
            egui::ComboBox::new(format!("{at}.mode"), format!("{prefix}Tier mode"))
                .selected_text(words::tier_mode(*mode))
                .show_ui(ui, |ui| {
                    for m in [TierMode::AllUnits, TierMode::Incremental] {
                        ui.selectable_value(mode, m, words::tier_mode(m));
                    }
                });
            form.changed |= *mode != before;
            form.errors(ui, &format!("{at}.tiers"));
            let rows = |i: usize| Some(format!("{at}.tier{i}"));
            list_ui(
                ui,
                form,
                tiers,
                "tier",
                rows,
                |ui, form, i, tier| {
                    form.number(
                        ui,
                        &format!("{prefix}Tier {} from tokens", i + 1),
                        &mut tier.from,
                        &format!("{at}.tiers[{i}].from"),
                    );
                    form.decimal(
                        ui,
                        &format!("{prefix}Tier {} price", i + 1),
                        &mut tier.price,
                        &format!("{at}.tiers[{i}].price"),
                    );
                },
                |tiers| {
                    tiers.last().map_or(
                        Tier {
                            from: 0,
                            price: Decimal::ZERO,
                        },
                        |t| Tier {
                            from: t.from.saturating_add(10_000),
                            price: t.price,
                        },
                    )
                },
            );
        }
    }
}

fn overdraft_ui(ui: &mut Ui, form: &mut Form<'_>, overdraft: &mut Overdraft) {
    let kinds = [
        Overdraft::None,
        Overdraft::Unlimited,
        Overdraft::Limit(Decimal::ZERO),
        Overdraft::TopUp,
    ];
    let same_kind =
        |a: &Overdraft, b: &Overdraft| std::mem::discriminant(a) == std::mem::discriminant(b);
    let mut chosen = kinds
        .iter()
        .position(|k| same_kind(k, overdraft))
        .unwrap_or(0);
    egui::ComboBox::new("contract.overdraft", "Overdraft")
        .selected_text(words::overdraft(overdraft))
        .show_ui(ui, |ui| {
            for (i, k) in kinds.iter().enumerate() {
                ui.selectable_value(&mut chosen, i, words::overdraft(k));
            }
        });
    if let Some(k) = kinds.get(chosen)
        && !same_kind(k, overdraft)
    {
        *overdraft = k.clone();
        form.changed = true;
    }
    if let Overdraft::Limit(limit) = overdraft {
        form.decimal(ui, "Overdraft limit (tokens)", limit, "contract.overdraft");
    } else {
        form.errors(ui, "contract.overdraft");
    }
}

fn budgets_ui(ui: &mut Ui, form: &mut Form<'_>, budgets: &mut BTreeMap<String, Decimal>) {
    ui.label("Tokens per year allocated to departments of the user directory:");
    let mut remove = None;
    for (dept, tokens) in budgets.iter_mut() {
        ui.horizontal(|ui| {
            form.decimal(
                ui,
                &format!("Budget {dept}"),
                tokens,
                &format!("budgets.{dept}"),
            );
            if ui.small_button(format!("Remove budget {dept}")).clicked() {
                remove = Some(dept.clone());
            }
        });
    }
    if let Some(dept) = remove {
        budgets.remove(&dept);
        form.changed = true;
    }
    if let Some(dept) = new_key_ui(ui, "New department", "Add budget", "budget") {
        budgets.entry(dept).or_insert(Decimal::ZERO);
        form.changed = true;
    }
}

fn constraints_ui(
    ui: &mut Ui,
    form: &mut Form<'_>,
    scenario: &mut Scenario,
    subscriptions: &[String],
) {
    let c = &mut scenario.constraints;
    for code in subscriptions {
        for (map, what) in [
            (&mut c.min_seats, "min_seats"),
            (&mut c.max_seats, "max_seats"),
        ] {
            let mut value = map.get(code).copied();
            let label = if what == "min_seats" {
                format!("Min seats {code}")
            } else {
                format!("Max seats {code}")
            };
            let before = value;
            form.opt_number(
                ui,
                &label,
                &mut value,
                "no limit",
                &format!("constraints.{what}.{code}"),
            );
            if value != before {
                match value {
                    Some(v) => map.insert(code.clone(), v),
                    None => map.remove(code),
                };
            }
        }
    }
    // Limits on codes that are no longer subscriptions still show, so they can be fixed.
    for (what, map) in [("min_seats", &c.min_seats), ("max_seats", &c.max_seats)] {
        for code in map.keys().filter(|k| !subscriptions.contains(k)) {
            form.errors(ui, &format!("constraints.{what}.{code}"));
        }
    }
    ui.label("Pinned users (subscription codes, comma separated; empty = tokens only):");
    let mut remove = None;
    for (user, codes) in c.pinned.iter_mut() {
        let at = format!("constraints.pinned.{user}");
        ui.horizontal(|ui| {
            form.list(ui, &format!("Pinned {user}"), codes, &at);
            if ui.small_button(format!("Unpin {user}")).clicked() {
                remove = Some(user.clone());
            }
        });
        for i in 0..codes.len() {
            form.errors(ui, &format!("{at}[{i}]"));
        }
    }
    if let Some(user) = remove {
        c.pinned.remove(&user);
        form.changed = true;
    }
    if let Some(user) = new_key_ui(ui, "New pinned user", "Pin user", "pinned") {
        c.pinned.entry(user).or_default();
        form.changed = true;
    }
    form.decimal(
        ui,
        "Switching threshold per year",
        &mut c.switching_threshold,
        "constraints.switching_threshold",
    );
}
