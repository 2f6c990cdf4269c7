//! The desktop app driven as a person would, through egui_kittest: find
//! widgets by role and label, click, type, drop files, and wait for the
//! background jobs with [`step_until`].

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rust_decimal::Decimal;
use tokenplan::gui::charts::plan as plan_charts;
use tokenplan::gui::command::Command;
use tokenplan::gui::{App, AppOptions, fmt};
use tokenplan::progress::NoProgress;

/// A file dropped onto the window.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'_, App>, name: &str) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(data(name))));
}

/// Drops fixture `name` on the window and, asked whether to add it to
/// the data loaded or replace it, adds it.
fn drop_and_add(h: &mut Harness<'_, App>, name: &str) {
    drop_file(h, name);
    // A job of an earlier step may finish meanwhile and ask for frames of
    // its own, so the run need not settle; the question shows either way.
    h.run_ok();
    h.get_by_role_and_label(Role::Button, "Add to the data loaded")
        .click();
    // The import starts: its progress bar keeps the frames coming.
    h.step();
}

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/gui")
        .join(name)
}

/// The usage of fixture `name`, imported as the engine does under
/// `scenario`'s server time zone.
fn import_fixture(name: &str, scenario: &tokenplan::scenario::Scenario) -> tokenplan::usage::Usage {
    let mut usage = tokenplan::usage::Usage::default();
    tokenplan::ingest::import_path(
        &data(name),
        &tokenplan::ingest::ImportOptions {
            time_zone: scenario.server_tz().unwrap(),
            ..Default::default()
        },
        &mut usage,
        &NoProgress,
    )
    .unwrap();
    usage
}

/// The one harness factory: a window-sized app, preferences not read or
/// written (`use_storage: false`), so every run starts the same.
fn harness_with(options: AppOptions) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(move |cc| App::new(cc, options))
}

fn harness() -> Harness<'static, App> {
    harness_with(AppOptions::default())
}

/// Steps frames until `done` holds. `Harness::run` would panic while a
/// progress bar keeps asking for repaints; the deadline only guards against
/// a hang, it measures nothing.
fn step_until(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        h.step();
        if done(h.state()) {
            break;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
    // Let the frame after the result settle (layout passes, no job left).
    h.run();
}

fn wait_idle(h: &mut Harness<'_, App>) {
    step_until(h, "the jobs to finish", |app| {
        !app.is_busy() && app.charges().is_some()
    });
}

fn total_label(total: Decimal) -> String {
    format!("Total: {} tokens", fmt::decimal(total))
}

fn open_view(h: &mut Harness<'_, App>, tab: &str) {
    h.get_by_role_and_label(Role::Button, tab).click();
    h.run();
}

#[test]
fn starts_with_the_sample_metered_and_shows_the_engine_total() {
    let mut h = harness();
    wait_idle(&mut h);

    let scenario = tokenplan::sample::scenario().unwrap();
    let (usage, _) = tokenplan::sample::usage(&scenario);
    let metered = tokenplan::meter::meter(&usage, &scenario, &NoProgress).unwrap();
    let total: Decimal = metered.pairs.iter().map(|p| p.tokens()).sum();
    assert!(total > Decimal::ZERO);

    assert_eq!(h.state().charges().unwrap().total_tokens, total);
    h.get_by_label(&total_label(total));
    // No click was needed: the app opens on the Mix view with the engine's
    // recommendation for the sample.
    let recommended = sample_recommendation(&scenario).total_annual_cost.0;
    h.get_by_label("Annual cost");
    h.get_by_label(&fmt::money(recommended, "USD"));
    open_view(&mut h, "Data");
    h.get_by_label("Loaded sources");
    assert_eq!(
        h.state().workspace().usage.sessions.len(),
        usage.sessions.len()
    );
}

#[test]
fn every_view_opens_with_its_main_content() {
    let mut h = harness();
    wait_idle(&mut h);
    open_view(&mut h, "Charges");
    h.get_by_label("Per product");
    // The chart's legend entry is a checkbox named after the series.
    h.get_by_role_and_label(Role::CheckBox, tokenplan::gui::charts::daily::SERIES);
    open_view(&mut h, "Scenario");
    h.get_by_label("Server time zone");
    open_view(&mut h, "Crossover");
    h.get_by_role_and_label(Role::CheckBox, plan_charts::USERS_BY_DAYS);
    open_view(&mut h, "Mix");
    h.get_by_role_and_label(Role::CheckBox, plan_charts::TOKENS);
    open_view(&mut h, "Term");
    h.get_by_label(tokenplan::gui::views::term_view::HEADING);
    open_view(&mut h, "Pool");
    h.get_by_label("Token pool sizing");
    open_view(&mut h, "Insights");
    h.get_by_role_and_label(Role::Button, "Shadow bill");
    open_negotiate_and_cancel(&mut h, false);
    open_view(&mut h, "Data");
    h.get_by_label("Filter problems");
}

#[test]
fn a_corrupt_file_is_reported_by_file_and_line_and_earlier_data_stays() {
    let mut h = harness_with(AppOptions {
        files: vec![data("good_sessions.csv")],
        scenario: Some(data("scenario.ron")),
        ..AppOptions::default()
    });
    wait_idle(&mut h);
    // alice: ACD on 2025-03-03 and 03-04 (6 each); bob: RVT on 03-03 (10).
    let before = Decimal::from(22);
    assert_eq!(h.state().charges().unwrap().total_tokens, before);
    h.get_by_label(&total_label(before));

    // A file of nothing readable: an error naming it, nothing changes.
    let usage_rev = h.state().workspace().usage_rev;
    drop_and_add(&mut h, "unreadable.bin");
    step_until(&mut h, "the failed import", |app| {
        app.notifications()
            .iter()
            .any(|n| n.text.contains("unreadable.bin"))
    });
    assert_eq!(
        h.state().workspace().usage_rev,
        usage_rev,
        "the usage was kept"
    );
    h.get_by_label(&total_label(before));
    h.get_by_label_contains("unreadable.bin");

    // A file with bad rows: its problems named by file and line, its good
    // row added to what was loaded before.
    drop_and_add(&mut h, "corrupt_sessions.csv");
    step_until(&mut h, "the import with problems", |app| {
        app.workspace().usage_rev > usage_rev
            && !app.is_busy()
            && app.charges().is_some_and(|c| c.total_tokens != before)
    });
    let notes: Vec<&str> = h
        .state()
        .notifications()
        .iter()
        .map(|n| n.text.as_str())
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("corrupt_sessions.csv:3:")),
        "a notification names the file and line: {notes:?}"
    );
    // carol's one good row: ACD on 2025-03-05.
    let after = Decimal::from(28);
    assert_eq!(h.state().charges().unwrap().total_tokens, after);
    h.get_by_label(&total_label(after));
    // The problem table of the Data view lists both bad rows (the first is
    // in the notification too).
    open_view(&mut h, "Data");
    assert!(
        h.query_all_by_label_contains("corrupt_sessions.csv:3:")
            .count()
            >= 2
    );
    assert_eq!(
        h.query_all_by_label_contains("corrupt_sessions.csv:4:")
            .count(),
        1
    );
    assert_eq!(h.state().workspace().usage.sessions.len(), 4);
}

#[test]
fn a_scenario_edit_is_validated_in_place_and_re_metered() {
    let mut h = harness_with(AppOptions {
        files: vec![data("good_sessions.csv")],
        scenario: Some(data("scenario.ron")),
        ..AppOptions::default()
    });
    wait_idle(&mut h);
    open_view(&mut h, "Scenario");

    // A bad zone: the message shows next to the field, charges are kept.
    let zone = h.get_by_label("Server time zone");
    zone.click();
    h.key_press(egui::Key::End);
    zone.type_text("x");
    h.run();
    // In the list of problems and again under the field itself.
    assert!(h.query_all_by_label_contains("America/New_Yorkx").count() >= 2);
    let rev = h.state().workspace().scenario_rev;
    assert!(rev > 1, "the edit bumped the scenario revision");
    assert_eq!(h.state().charges().unwrap().total_tokens, Decimal::from(22));

    // Fix it, then raise ACD's rate from 6 to 7: metering runs again.
    h.key_press(egui::Key::Backspace);
    wait_idle(&mut h);
    let rate = h.get_all_by_label("Rate 1 tokens").next().unwrap();
    rate.click();
    h.key_press(egui::Key::End);
    h.key_press(egui::Key::Backspace);
    rate.type_text("7");
    step_until(&mut h, "metering after the edit", |app| {
        app.charges()
            .is_some_and(|c| c.total_tokens == Decimal::from(24))
            && !app.is_busy()
    });
    h.get_by_label(&total_label(Decimal::from(24)));
}

#[test]
fn every_input_of_every_view_has_a_label() {
    let mut h = harness();
    wait_idle(&mut h);
    for tab in [
        "Data",
        "Charges",
        "Scenario",
        "Crossover",
        "Mix",
        "Term",
        "Pool",
        "Insights",
    ] {
        open_view(&mut h, tab);
        h.check_accessibility();
    }
    open_negotiate_and_cancel(&mut h, true);
}

/// Opens the Negotiate view, which starts building the pack (its own
/// tests wait for it: tests/it/gui_negotiate.rs), checks what it shows
/// while it runs, and cancels it from the status bar.
fn open_negotiate_and_cancel(h: &mut Harness<'_, App>, accessibility: bool) {
    use tokenplan::gui::views::negotiate_view::{EXPORT, SWING};
    h.get_by_role_and_label(Role::Button, "Negotiate").click();
    // The pack's progress bar keeps frames coming: step, don't settle.
    h.run_steps(4);
    h.get_by_label(SWING);
    h.get_by_role_and_label(Role::Button, EXPORT);
    if accessibility {
        h.check_accessibility();
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    while !h.state().is_busy() {
        assert!(Instant::now() < deadline, "gave up waiting for the pack");
        h.step();
    }
    h.step();
    h.get_by_role_and_label(Role::Button, "Cancel the pack")
        .click();
    step_until(h, "the pack to stop", |app| !app.is_busy());
}

#[test]
fn ctrl_s_saves_the_edited_scenario_to_its_file() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scenario.ron");
    std::fs::copy(data("scenario.ron"), &path).unwrap();
    let mut h = harness_with(AppOptions {
        files: vec![data("good_sessions.csv")],
        scenario: Some(path.clone()),
        ..AppOptions::default()
    });
    wait_idle(&mut h);
    open_view(&mut h, "Scenario");
    let name = h.get_by_label("Scenario name");
    name.click();
    h.key_press(egui::Key::End);
    name.type_text(" v2");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    wait_idle(&mut h);

    let saved = tokenplan::scenario::Scenario::load(&path).unwrap();
    assert_eq!(saved.name, "GUI test v2");
    assert_eq!(Some(&saved), h.state().workspace().scenario.as_ref());
    assert!(
        h.state()
            .notifications()
            .iter()
            .any(|n| n.text.contains("Scenario saved to")),
        "the save is confirmed"
    );
    // Written atomically: no temporary file is left beside it.
    let left: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("scenario.ron")]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_engine_never_names_the_gui_toolkit() {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src.clone()];
    let mut offenders = Vec::new();
    let mut checked = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(&src).unwrap().to_path_buf();
            if rel == Path::new("gui") || rel == Path::new("main.rs") || rel == Path::new("cli.rs")
            {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                checked += 1;
                let text = std::fs::read_to_string(&path).unwrap();
                for name in ["egui", "eframe", "rfd::"] {
                    if text.contains(name) {
                        offenders.push(format!("{} names {name}", rel.display()));
                    }
                }
            }
        }
    }
    assert!(checked > 10, "the engine's files were found");
    assert!(offenders.is_empty(), "{offenders:?}");
}

/// Waits until metering, sizing and the audit have all finished.
fn wait_analyses(h: &mut Harness<'_, App>) {
    step_until(h, "sizing and the audit", |app| {
        !app.is_busy() && app.pool_data().is_some() && app.insights().is_some()
    });
}

/// The sample metered as the app does it.
fn sample_metered() -> (
    tokenplan::scenario::Scenario,
    tokenplan::usage::Usage,
    tokenplan::meter::Metered,
) {
    let scenario = tokenplan::sample::scenario().unwrap();
    let (usage, _) = tokenplan::sample::usage(&scenario);
    let metered = tokenplan::meter::meter(&usage, &scenario, &NoProgress).unwrap();
    (scenario, usage, metered)
}

#[test]
fn the_pool_view_shows_the_engines_sizing_of_the_sample() {
    let mut h = harness();
    wait_analyses(&mut h);
    open_view(&mut h, "Pool");

    // The engine on its own, the way `tokenplan size` derives the history:
    // what the recommended mix leaves to tokens, Concurrent pools apart.
    let (scenario, usage, metered) = sample_metered();
    let input = tokenplan::plan::PlanInput::new(&metered, &usage, &scenario).unwrap();
    let rec = tokenplan::plan::optimise_default(&input).unwrap();
    let covered = tokenplan::plan::covered_products(&input, &rec);
    let history = tokenplan::ledger::token_demand(&metered, &scenario, |user, product| {
        let idx = usize::from(product);
        covered.get(&user).is_none_or(|m| m & (1u128 << idx) == 0)
    });
    let options = tokenplan::ledger::SizingOptions::from_scenario(&scenario);
    assert_eq!(
        options.trials, 2000,
        "the app sizes with the sample's own trials"
    );
    let report = tokenplan::ledger::size(&history, &scenario, &options, &NoProgress).unwrap();
    let best = &report.plans[report.recommended];
    let expected = fmt::money(best.expected_cost, "USD");

    let data = h.state().pool_data().unwrap();
    assert_eq!(data.report.plans, report.plans);
    assert_eq!(data.report.recommended, report.recommended);
    let row = data.plans.iter().find(|p| p.recommended).unwrap();
    assert_eq!(row.expected_cost, expected);
    assert_eq!(row.p90_cost, fmt::money(best.p90_cost, "USD"));
    // On screen: the headline and the comparison table carry the figure.
    h.get_by_label(tokenplan::gui::views::pool_view::PLANS);
    h.get_by_label_contains(&format!("expected cost {expected}"));
    assert!(h.query_all_by_label(&expected).count() >= 1);
    // The charts, by their legend entries.
    h.get_by_role_and_label(Role::CheckBox, tokenplan::gui::charts::pool::FAN_P50);
    h.get_by_role_and_label(Role::CheckBox, tokenplan::gui::charts::pool::EXPIRIES);
    h.get_by_role_and_label(Role::CheckBox, "Expected cost");

    // The ledger is the recommended plan's, over the whole 3-year term,
    // and balances to the token.
    let ledger = data.ledger.as_ref().unwrap();
    let run = &ledger.run;
    assert_eq!(run.days.len(), 365 + 365 + 366, "2026 to 2028");
    let bought: Decimal = run.lots.iter().map(|l| l.quantity).sum();
    assert_eq!(
        bought,
        best.annual_tokens_per_year * Decimal::from(3) + best.contract_tokens
    );
    let t = &run.totals;
    assert_eq!(t.bought, t.consumed + t.expired + t.remaining);
    // One expiry marker per lot, each saying what expired.
    assert_eq!(ledger.expiries.len(), run.lots.len());
    if best.annual_tokens_per_year > Decimal::ZERO {
        let first = &run.expiry_events[0];
        assert_eq!(
            ledger.expiries[0].text,
            format!(
                "Annual lot 2026 expires 2026-12-31: {} tokens expired",
                fmt::decimal(first.tokens)
            )
        );
    }
    // The fan spans the three contract years, P10 ≤ P50 ≤ P90.
    assert_eq!(data.fan.rows.len(), 3);
    for ((lo, mid), hi) in data.fan.p10.iter().zip(&data.fan.p50).zip(&data.fan.p90) {
        assert!(lo <= &mid.y && mid.y <= *hi, "{lo} {} {hi}", mid.y);
    }
    // The sample has no Concurrent product.
    assert!(data.pools.is_empty());
    h.get_by_label_contains("no pool to size");
}

#[test]
fn the_insights_view_shows_the_engines_audit_of_the_sample() {
    let mut h = harness();
    wait_analyses(&mut h);
    open_view(&mut h, "Insights");

    let (scenario, usage, metered) = sample_metered();
    let report = tokenplan::monitor::audit(
        &usage,
        &scenario,
        &metered,
        &tokenplan::monitor::AuditOptions::default(),
        &NoProgress,
    )
    .unwrap();
    let tab = |h: &mut Harness<'_, App>, name: &str| {
        h.get_by_role_and_label(Role::Button, name).click();
        h.run();
    };

    // Burn: the chart and the month-to-date figure.
    h.get_by_role_and_label(Role::CheckBox, tokenplan::gui::charts::burn::BURN_SERIES);
    h.get_by_role_and_label(Role::CheckBox, "Alert threshold");
    h.get_by_label(&format!(
        "{} tokens",
        fmt::decimal(report.burn_summary.month_to_date)
    ));

    // Budgets: the table, with Architecture's consumption.
    tab(&mut h, "Budgets");
    h.get_by_label("Run-out");
    let arch = report
        .budgets
        .iter()
        .find(|b| b.department == "Architecture")
        .unwrap();
    assert!(h.query_all_by_label(&fmt::decimal(arch.consumed)).count() >= 1);

    // Day boundary: the count of charges caused only by crossing midnight.
    tab(&mut h, "Day boundary");
    let n = report.day_boundary.len() as u64;
    assert_eq!(n, report.day_boundary_summary.charges);
    h.get_by_label_contains(&format!(
        "{} charges caused only by a session crossing midnight: {} tokens",
        fmt::count(n),
        fmt::decimal(report.day_boundary_summary.tokens)
    ));
    h.get_by_label("Per office");
    h.get_by_label("Server on UTC");

    // Idle what-if: each policy's tokens saved, in its table.
    tab(&mut h, "Idle what-if");
    h.get_by_role_and_label(Role::CheckBox, "Tokens saved");
    for w in &report.idle {
        assert!(h.query_all_by_label(&w.description).count() >= 1);
    }
    let insights = h.state().insights().unwrap();
    for (row, w) in insights.idle.rows.iter().zip(&report.idle) {
        assert_eq!(row[5], fmt::decimal(w.tokens_saved));
    }

    // Shadow bill: CalendarDay's tokens for the whole history.
    tab(&mut h, "Shadow bill");
    let calendar = report
        .shadow_bill
        .iter()
        .find(|r| r.rule == "CalendarDay")
        .unwrap();
    // Every sample product is CalendarDay: the shadow bill of today's rule
    // is the metered total.
    let total: Decimal = metered.pairs.iter().map(|p| p.tokens()).sum();
    assert_eq!(calendar.tokens, total);
    assert!(h.query_all_by_label(&fmt::decimal(calendar.tokens)).count() >= 1);
    h.get_by_label("today's rule");

    // Double dip: the table of charges on top of a subscription.
    tab(&mut h, "Double dip");
    h.get_by_label_contains(&format!(
        "{} token charges on days the user held a covering subscription",
        fmt::count(report.double_dip.len() as u64)
    ));
    if !report.double_dip.is_empty() {
        h.get_by_label("Subscription");
    }

    // Vendor audit: the sample has no Token Flex export.
    tab(&mut h, "Vendor audit");
    assert!(report.vendor_audit.is_none());
    h.get_by_label_contains("No Token Flex export is loaded");

    // Every sub-tab's inputs are named too.
    for name in [
        "Burn",
        "Budgets",
        "Day boundary",
        "Idle what-if",
        "Shadow bill",
        "Double dip",
        "Vendor audit",
    ] {
        tab(&mut h, name);
        h.check_accessibility();
    }
}

/// The engine's recommendation for the sample data under `scenario`.
fn sample_recommendation(
    scenario: &tokenplan::scenario::Scenario,
) -> tokenplan::plan::RecommendReport {
    let (usage, _) = tokenplan::sample::usage(scenario);
    let metered = tokenplan::meter::meter(&usage, scenario, &NoProgress).unwrap();
    tokenplan::plan::recommend(&metered, &usage, scenario).unwrap()
}

#[test]
fn the_mix_shows_the_engines_total_and_follows_the_token_price() {
    let mut h = harness();
    wait_idle(&mut h);
    let mut scenario = tokenplan::sample::scenario().unwrap();
    let before = sample_recommendation(&scenario).total_annual_cost.0;
    assert_eq!(before, Decimal::new(44_723_400, 2));
    assert!(h.state().plan_is_current());
    assert_eq!(h.state().plan().unwrap().data.total, before);
    open_view(&mut h, "Mix");
    h.get_by_label(&fmt::money(before, "USD"));
    h.get_by_label("Annual cost");
    assert_eq!(h.state().plan_inputs_built(), 1);

    // The first tier's price goes from 3.00 to 3.2.
    let tokenplan::scenario::TokenPrice::Tiers { tiers, .. } = &mut scenario.token_price else {
        panic!("the sample prices tokens by tiers");
    };
    tiers[0].price = Decimal::new(32, 1);
    let after = sample_recommendation(&scenario).total_annual_cost.0;
    assert_ne!(after, before);

    open_view(&mut h, "Scenario");
    // The token price is below the fold of the editor: retype scrolls to it.
    retype(&mut h, "Tier 1 price", "3.00", "3.2");
    step_until(&mut h, "the plan at the new price", |app| {
        app.plan_is_current() && app.plan().is_some_and(|p| p.data.total == after) && !app.is_busy()
    });
    // Only the optimisation ran again: the planner's input was reused.
    assert_eq!(h.state().plan_inputs_built(), 1);
    assert!(h.state().plan().unwrap().reused_input);
    open_view(&mut h, "Mix");
    h.get_by_label(&fmt::money(after, "USD"));
    assert!(h.query_by_label(&fmt::money(before, "USD")).is_none());
}

#[test]
fn crossover_and_mix_show_their_charts_and_tables() {
    let mut h = harness();
    wait_idle(&mut h);
    let report = sample_recommendation(&tokenplan::sample::scenario().unwrap());
    let acd = report
        .crossover
        .iter()
        .find(|c| c.subscription == "ACD" && c.product == "ACD")
        .unwrap();
    // 2030.00 / (6 tokens × 3.00) = 112.777…
    assert_eq!(acd.days_per_year.unwrap().to_string(), "112.78");

    open_view(&mut h, "Crossover");
    // The first product (ACD) is shown with a line per covering subscription.
    h.get_by_role_and_label(Role::CheckBox, plan_charts::USERS_BY_DAYS);
    h.get_by_role_and_label(Role::CheckBox, "AutoCAD pays off above 112.78 days/yr");
    h.get_by_role_and_label(
        Role::CheckBox,
        "AEC Collection pays off above 204.17 days/yr",
    );
    for header in [
        "User",
        "Department",
        "Current plan",
        "Recommended plan",
        "Current cost",
    ] {
        h.get_by_role_and_label(Role::Button, header);
    }
    h.get_by_label(&format!(
        "{} of {} users",
        report.users.len(),
        report.users.len()
    ));
    h.get_by_role_and_label(Role::Button, "Export reassignment list…");
    // A forecast cell's hover says what it is made of: window days scaled
    // to a year (a 365-day window) and grown by 5%: 262 × 1.05 = 275.10.
    let plan = &h.state().plan().unwrap().data;
    let row = plan.users.iter().find(|u| u.user == "u00018").unwrap();
    assert!(
        row.days_hover.contains(
            "u00018: RVT 262 days in the window × 365/365 × 1.05 = 275.10 days; 3,026.10 tokens"
        ),
        "{}",
        row.days_hover
    );
    let line = report.users.iter().find(|u| u.user == "u00018").unwrap();
    assert_eq!(line.forecast_days["RVT"].to_string(), "275.10");

    open_view(&mut h, "Mix");
    for series in [
        plan_charts::SUBSCRIPTIONS,
        plan_charts::TOKENS,
        plan_charts::CURVE,
        plan_charts::OPTIMUM,
    ] {
        h.get_by_role_and_label(Role::CheckBox, series);
    }
    h.get_by_label("Seats per subscription");
    h.get_by_label("Seats cost");
    // The seats card sums the engine's seats.
    let seats: u32 = report.seats.values().sum();
    let cards = &h.state().plan().unwrap().data.kpis;
    let card = cards.iter().find(|k| k.title == "Seats to buy").unwrap();
    assert_eq!(card.value, fmt::count(u64::from(seats)));
    h.get_by_label("Seats to buy");
}

/// The header of the reassignment list the app exports.
const REASSIGNMENT_HEADER: &str = "user,department,cost_center,current_plan,recommended_plan,forecast_days,current_annual_cost,recommended_annual_cost,saving";

/// The sample's whole reassignment list, as the engine writes it.
fn sample_list() -> Vec<u8> {
    let scenario = tokenplan::sample::scenario().unwrap();
    let (usage, _) = tokenplan::sample::usage(&scenario);
    let report = sample_recommendation(&scenario);
    let mut expected = Vec::new();
    report
        .write_reassignment_list(&usage, tokenplan::plan::ListRows::All, &mut expected)
        .unwrap();
    expected
}

#[test]
fn the_reassignment_list_is_exported_as_the_engine_writes_it() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("reassignment.csv");
    let mut h = harness();
    wait_idle(&mut h);
    open_view(&mut h, "Crossover");
    h.state_mut().push_command(Command::ExportReassignment {
        path: Some(path.clone()),
        rows: tokenplan::gui::command::ExportRows::All,
    });
    h.run();

    let written = std::fs::read_to_string(&path).unwrap();
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some(REASSIGNMENT_HEADER));
    let report = sample_recommendation(&tokenplan::sample::scenario().unwrap());
    // The users, then the lines that complete the plan's total.
    let mut plain = Vec::new();
    report.write_reassignment_csv(&mut plain).unwrap();
    assert_eq!(
        lines.count(),
        String::from_utf8(plain).unwrap().lines().count() - 1
    );
    assert!(report.users.len() < written.lines().count());
    assert_eq!(written.as_bytes(), sample_list().as_slice());
    assert!(
        h.state()
            .notifications()
            .iter()
            .any(|n| n.text.starts_with(&format!(
                "Reassignment list of all {} users written to",
                report.users.len()
            ))),
        "the export is confirmed"
    );
    // Written atomically: nothing but the file is left in the folder.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_unmapped_feature_is_mapped_from_the_data_view_and_charged() {
    let mut h = harness_with(AppOptions {
        files: vec![data("unmapped_sessions.csv")],
        scenario: Some(data("scenario.ron")),
        ..AppOptions::default()
    });
    wait_idle(&mut h);
    // alice's two ACD days (6 each) and bob's RVT day (10); NAVMAN_2025
    // matches no pattern and is not charged.
    assert_eq!(
        h.state().charges().unwrap().unmapped,
        vec![("NAVMAN_2025".to_owned(), 3)]
    );
    assert_eq!(h.state().charges().unwrap().total_tokens, Decimal::from(22));
    assert!(!h.state().workspace().is_modified());

    open_view(&mut h, "Data");
    h.get_by_label("Map NAVMAN_2025 to").click();
    h.run();
    h.get_by_label("RVT — Revit").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "Map").click();
    step_until(&mut h, "metering after the mapping", |app| {
        !app.is_busy()
            && app.plan_is_current()
            && app.charges().is_some_and(|c| c.unmapped.is_empty())
    });

    // The engine on the scenario with the pattern added, called directly.
    let mut scenario = tokenplan::scenario::Scenario::load(data("scenario.ron")).unwrap();
    scenario
        .products
        .get_mut("RVT")
        .unwrap()
        .features
        .push("NAVMAN_2025".into());
    assert_eq!(h.state().workspace().scenario.as_ref(), Some(&scenario));
    let usage = import_fixture("unmapped_sessions.csv", &scenario);
    let metered = tokenplan::meter::meter(&usage, &scenario, &NoProgress).unwrap();
    assert!(metered.unmapped.is_empty());
    let total: Decimal = metered.pairs.iter().map(|p| p.tokens()).sum();
    // carol on 03-05 and 03-06, dave on 03-06: three Revit days of 10.
    assert_eq!(total, Decimal::from(22 + 30));
    assert_eq!(h.state().charges().unwrap().total_tokens, total);
    h.get_by_label(&total_label(total));
    // Gone from the list; the plan was made again for the new catalog.
    assert!(h.query_by_label("Map NAVMAN_2025 to").is_none());
    h.get_by_label("Every feature maps to a product of the scenario.");
    let planned = tokenplan::plan::recommend(&metered, &usage, &scenario).unwrap();
    assert_eq!(
        h.state().plan().unwrap().data.total,
        planned.total_annual_cost.0
    );
    // The scenario is an unsaved edit now.
    assert!(h.state().workspace().is_modified());
    open_view(&mut h, "Scenario");
    h.get_by_label(tokenplan::gui::views::scenario_view::MODIFIED);
    h.check_accessibility();
}

#[test]
fn a_pinned_baseline_is_compared_with_the_edited_scenario() {
    let mut h = harness();
    wait_idle(&mut h);
    let original = tokenplan::sample::scenario().unwrap();
    let mut edited = original.clone();
    let tokenplan::scenario::TokenPrice::Tiers { tiers, .. } = &mut edited.token_price else {
        panic!("the sample prices tokens by tiers");
    };
    tiers[0].price = Decimal::new(32, 1);
    let ra = sample_recommendation(&original);
    let rb = sample_recommendation(&edited);
    let (a, b) = (ra.total_annual_cost.0, rb.total_annual_cost.0);
    assert_eq!(a, Decimal::new(44_723_400, 2));
    assert_ne!(a, b);

    open_view(&mut h, "Scenario");
    h.get_by_role_and_label(Role::Button, tokenplan::gui::views::compare_view::PIN)
        .click();
    step_until(&mut h, "the comparison of the pinned scenario", |app| {
        !app.is_busy() && app.comparison_is_current()
    });
    // Before any edit, B (the scenario being edited) is A.
    let same = h.state().comparison().unwrap();
    assert!(same.diffs.is_empty());
    assert_eq!(same.rows[0].a, Some(a));
    assert_eq!(same.rows[0].delta, Some(Decimal::ZERO));
    // Raise the first tier's price from 3.00 to 3.2 in the editor: side B.
    retype(&mut h, "Tier 1 price", "3.00", "3.2");
    step_until(&mut h, "the comparison of the edit", |app| {
        !app.is_busy() && app.comparison_is_current()
    });
    let c = h.state().comparison().unwrap().clone();
    assert_eq!(c.a_label, format!("{} (pinned)", original.name));
    let total = &c.rows[0];
    assert_eq!(total.what, "Recommended annual cost");
    assert_eq!(total.a, Some(a));
    assert_eq!(total.b, Some(b));
    assert_eq!(total.delta, Some(b - a));
    // Every figure is the engine's, on both sides.
    let figure = |what: &str| c.rows.iter().find(|r| r.what == what).unwrap();
    assert_eq!(figure("Token cost").a, Some(ra.token_cost.0));
    assert_eq!(figure("Token cost").b, Some(rb.token_cost.0));
    assert_eq!(figure("Subscription cost").b, Some(rb.subscription_cost.0));
    assert_eq!(figure("Tokens a year").b, Some(rb.annual_tokens.0));
    assert_eq!(
        figure("Baseline: all tokens").delta,
        Some(rb.baselines.all_tokens.0 - ra.baselines.all_tokens.0)
    );
    for (code, seats) in &rb.seats {
        let row = figure(&format!("Seats {code}"));
        assert_eq!(row.b, Some(Decimal::from(*seats)));
        assert_eq!(row.a, Some(Decimal::from(ra.seats[code])));
    }
    assert_eq!(
        c.diffs,
        vec!["Token price, tier 1: 3.00 → 3.20 USD".to_owned()]
    );

    // On screen, in the Compare tab.
    h.get_by_role_and_label(Role::Button, "Compare").click();
    h.run();
    let money = |v: Decimal| fmt::money(v, "USD");
    let delta = b - a;
    let delta_text = if delta > Decimal::ZERO {
        format!("+{}", money(delta))
    } else {
        money(delta)
    };
    h.get_by_label("Recommended annual cost");
    assert!(h.query_all_by_label(&money(a)).count() >= 1);
    assert!(h.query_all_by_label(&money(b)).count() >= 1);
    assert!(h.query_all_by_label(&delta_text).count() >= 1);
    h.get_by_label("Token price, tier 1: 3.00 → 3.20 USD");
    // The delta's hover writes the subtraction out.
    assert!(
        total.hover.contains(&format!(
            "Δ = B − A = {} − {} = {}",
            money(b),
            money(a),
            money(delta)
        )),
        "{}",
        total.hover
    );
    h.check_accessibility();

    // An invalid edit: the comparison keeps the figures of the last valid
    // version (whichever keystroke that was) and says so.
    h.get_by_role_and_label(Role::Button, "Editor").click();
    h.run();
    retype(&mut h, "Tier 1 price", "3.2", "-1");
    step_until(&mut h, "the check of the invalid edit", |app| {
        !app.is_busy()
    });
    h.get_by_role_and_label(Role::Button, "Compare").click();
    h.run();
    h.get_by_label(
        "The edited scenario has errors (see the Editor tab): these figures are of its last valid version.",
    );
    // Nothing is being compared meanwhile: the figures shown are kept, and
    // they are not of the current inputs.
    assert!(!h.state().is_busy());
    assert!(!h.state().comparison_is_current());
    assert!(h.state().comparison().is_some());
}

/// Turns on File › "Type paths instead of file dialogs", as a person would.
fn type_paths(h: &mut Harness<'_, App>) {
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run();
    h.get_by_role_and_label(Role::CheckBox, tokenplan::gui::views::frame::TYPE_PATHS)
        .click();
    h.run();
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.state().prefs().type_paths);
}

/// Replaces the prompt's path with `path`.
fn type_path(h: &mut Harness<'_, App>, path: &Path) {
    let field = h.get_by_label(tokenplan::gui::views::prompt_view::PATH);
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label(tokenplan::gui::views::prompt_view::PATH)
        .type_text(&path.display().to_string());
    h.run();
}

#[test]
fn the_reassignment_list_is_exported_through_the_path_prompt() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-prompt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness();
    wait_idle(&mut h);
    type_paths(&mut h);
    open_view(&mut h, "Crossover");
    h.get_by_role_and_label(Role::Button, "Export reassignment list…")
        .click();
    h.run();
    h.get_by_role_and_label(Role::Button, "All 197 rows…")
        .click();
    h.run();
    let prompt = h.state().path_prompt().unwrap();
    assert_eq!(
        prompt.purpose,
        tokenplan::gui::model::prompt::PathPurpose::ExportReassignment(
            tokenplan::gui::command::ExportRows::All
        )
    );
    assert!(prompt.text.ends_with("reassignment.csv"), "{}", prompt.text);
    h.get_by_label("Export the reassignment list");
    h.check_accessibility();

    // A folder that does not exist: refused, said why, nothing written.
    let nowhere = dir.join("missing").join("r.csv");
    type_path(&mut h, &nowhere);
    h.get_by_role_and_label(Role::Button, "Export").click();
    h.run();
    let why = format!(
        "The folder {} does not exist: create it first or choose another.",
        dir.join("missing").display()
    );
    h.get_by_label(&why);
    assert!(!nowhere.exists());

    let path = dir.join("reassignment.csv");
    type_path(&mut h, &path);
    h.get_by_role_and_label(Role::Button, "Export").click();
    h.run();
    assert!(h.state().path_prompt().is_none(), "the prompt closed");
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written.lines().next(), Some(REASSIGNMENT_HEADER));
    assert_eq!(written.as_bytes(), sample_list().as_slice());
    // Atomic: the file alone in the folder, no temporary left.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_is_saved_and_loaded_back_through_the_path_prompt() {
    let dir =
        std::env::temp_dir().join(format!("tokenplan-gui-prompt-save-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut h = harness_with(AppOptions {
        files: vec![data("good_sessions.csv")],
        scenario: Some(data("scenario.ron")),
        ..AppOptions::default()
    });
    wait_idle(&mut h);
    type_paths(&mut h);
    open_view(&mut h, "Scenario");
    let name = h.get_by_label("Scenario name");
    name.click();
    h.key_press(egui::Key::End);
    name.type_text(" v3");
    wait_idle(&mut h);
    assert!(h.state().workspace().is_modified());

    h.get_by_role_and_label(Role::Button, "Save scenario…")
        .click();
    h.run();
    // Pre-filled with the scenario's own file.
    assert_eq!(
        h.state().path_prompt().unwrap().text,
        data("scenario.ron").display().to_string()
    );
    let path = dir.join("saved.ron");
    type_path(&mut h, &path);
    h.get_by_role_and_label(Role::Button, "Save").click();
    wait_idle(&mut h);
    assert!(h.state().path_prompt().is_none());
    let saved = tokenplan::scenario::Scenario::load(&path).unwrap();
    assert_eq!(saved.name, "GUI test v3");
    assert_eq!(Some(&saved), h.state().workspace().scenario.as_ref());
    assert_eq!(
        h.state().workspace().scenario_path.as_deref(),
        Some(path.as_path())
    );
    assert!(!h.state().workspace().is_modified());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "written atomically"
    );

    // Edit again, then open the saved file: the edit is replaced by it.
    let name = h.get_by_label("Scenario name");
    name.click();
    h.key_press(egui::Key::End);
    name.type_text(" draft");
    wait_idle(&mut h);
    assert_eq!(
        h.state().workspace().scenario.as_ref().unwrap().name,
        "GUI test v3 draft"
    );
    h.get_by_role_and_label(Role::Button, "File").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "Open scenario…")
        .click();
    h.run();
    // The edit is not saved: asked first, it is given up.
    h.get_by_label("Save the edited scenario?");
    h.get_by_role_and_label(Role::Button, "Discard the edits")
        .click();
    h.run();
    assert_eq!(
        h.state().path_prompt().unwrap().text,
        path.display().to_string()
    );
    // A file that is not there first: refused with the reason.
    let missing = dir.join("nope.ron");
    type_path(&mut h, &missing);
    h.get_by_role_and_label(Role::Button, "Open").click();
    h.run();
    h.get_by_label(&format!(
        "There is no file {}: check the spelling and the folder.",
        missing.display()
    ));
    type_path(&mut h, &path);
    h.get_by_role_and_label(Role::Button, "Open").click();
    wait_idle(&mut h);
    assert!(h.state().path_prompt().is_none());
    assert_eq!(h.state().workspace().scenario.as_ref(), Some(&saved));
    assert!(!h.state().workspace().is_modified());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_scenario_file_is_compared_as_b_with_the_fields_that_differ() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-compare-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let original = tokenplan::scenario::Scenario::load(data("scenario.ron")).unwrap();
    let mut other = original.clone();
    other.products.get_mut("ACD").unwrap().rates[0].tokens = Decimal::from(7);
    let b_path = dir.join("acd7.ron");
    other.save(&b_path).unwrap();

    let mut h = harness_with(AppOptions {
        files: vec![data("good_sessions.csv")],
        scenario: Some(data("scenario.ron")),
        ..AppOptions::default()
    });
    wait_idle(&mut h);
    type_paths(&mut h);
    open_view(&mut h, "Scenario");
    h.get_by_role_and_label(Role::Button, "Compare").click();
    h.run();
    h.get_by_label_contains("Nothing to compare yet");
    h.get_by_role_and_label(Role::Button, "Load scenario B…")
        .click();
    h.run();
    type_path(&mut h, &b_path);
    h.get_by_role_and_label(Role::Button, "Open").click();
    step_until(&mut h, "the comparison with the file", |app| {
        !app.is_busy() && app.comparison_is_current()
    });

    // The engine on the same usage under each scenario.
    let usage = import_fixture("good_sessions.csv", &original);
    let recommend = |s: &tokenplan::scenario::Scenario| {
        let metered = tokenplan::meter::meter(&usage, s, &NoProgress).unwrap();
        tokenplan::plan::recommend(&metered, &usage, s).unwrap()
    };
    let (ra, rb) = (recommend(&original), recommend(&other));
    let c = h.state().comparison().unwrap().clone();
    assert_eq!(c.a_label, "GUI test (being edited)");
    assert_eq!(c.b_label, "GUI test (acd7.ron)");
    assert_eq!(c.rows[0].a, Some(ra.total_annual_cost.0));
    assert_eq!(c.rows[0].b, Some(rb.total_annual_cost.0));
    assert_eq!(
        c.rows[0].delta,
        Some(rb.total_annual_cost.0 - ra.total_annual_cost.0)
    );
    let tokens = c.rows.iter().find(|r| r.what == "Tokens a year").unwrap();
    assert_eq!(tokens.a, Some(ra.annual_tokens.0));
    assert_eq!(tokens.b, Some(rb.annual_tokens.0));
    // No directory of current assignments: no current baseline on either side.
    let current = c
        .rows
        .iter()
        .find(|r| r.what == "Baseline: current")
        .unwrap();
    assert_eq!((current.a, current.b, current.delta), (None, None, None));
    assert_eq!(
        c.diffs,
        vec!["Product ACD, rate 1, tokens per use: 6 → 7".to_owned()]
    );
    h.get_by_label("Product ACD, rate 1, tokens per use: 6 → 7");
    h.get_by_label("B: GUI test (acd7.ron)");
    h.check_accessibility();

    // Pin the edited scenario as A: the same figures, A now a copy.
    h.get_by_role_and_label(Role::Button, tokenplan::gui::views::compare_view::PIN)
        .click();
    step_until(&mut h, "the comparison with a pinned A", |app| {
        !app.is_busy() && app.comparison_is_current()
    });
    let pinned = h.state().comparison().unwrap().clone();
    assert_eq!(pinned.a_label, "GUI test (pinned)");
    assert_eq!(pinned.rows, c.rows);
    // Back to the edited scenario as B: nothing differs.
    h.get_by_role_and_label(Role::Button, "Use the edited scenario as B")
        .click();
    step_until(&mut h, "the comparison with itself", |app| {
        !app.is_busy() && app.comparison_is_current()
    });
    let same = h.state().comparison().unwrap();
    assert!(same.diffs.is_empty());
    assert!(
        same.rows
            .iter()
            .all(|r| r.delta.is_none_or(|d| d.is_zero()))
    );
    h.get_by_label("The two scenarios are the same.");
    // Clear: nothing to compare any more.
    h.get_by_role_and_label(Role::Button, "Clear comparison")
        .click();
    h.run();
    assert!(h.state().comparison().is_none());
    h.get_by_label_contains("Nothing to compare yet");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Replaces the text `old` of the field labelled `label` by `new`, as a
/// person would: scroll to it, click, End, backspace over it, type.
fn retype(h: &mut Harness<'_, App>, label: &str, old: &str, new: &str) {
    h.get_by_label(label).scroll_to_me();
    h.run();
    let field = h.get_by_label(label);
    field.click();
    h.key_press(egui::Key::End);
    for _ in 0..old.len() {
        h.key_press(egui::Key::Backspace);
    }
    h.get_by_label(label).type_text(new);
}

#[test]
fn an_import_names_the_users_missing_from_the_directory() {
    let mut h = harness_with(AppOptions {
        files: vec![data("good_sessions.csv")],
        scenario: Some(data("scenario.ron")),
        ..AppOptions::default()
    });
    wait_idle(&mut h);
    // The directory lists alice only; bob has RVT usage and no row.
    drop_and_add(&mut h, "directory.csv");
    step_until(&mut h, "the directory import", |app| {
        !app.is_busy()
            && app
                .notifications()
                .iter()
                .any(|n| n.text.contains("no row in the user directory"))
    });
    let expected =
        "1 users have usage but no row in the user directory (no department, office or zone): bob";
    let note = h
        .state()
        .notifications()
        .iter()
        .find(|n| n.text == expected)
        .map(|n| n.level);
    assert_eq!(note, Some(tokenplan::gui::notify::Level::Warning));
    h.get_by_label_contains(expected);
}

#[test]
fn the_pseudonymised_export_names_no_user_of_the_input() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-pseudo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("reassignment.csv");
    let key = dir.join("names.key");
    let mut h = harness();
    wait_idle(&mut h);
    open_view(&mut h, "Crossover");
    h.get_by_role_and_label(
        Role::CheckBox,
        tokenplan::gui::views::crossover_view::PSEUDONYMISE,
    )
    .click();
    h.run();
    let field = h.get_by_role_and_label(
        Role::TextInput,
        tokenplan::gui::views::crossover_view::KEY_FILE,
    );
    field.click();
    h.key_press(egui::Key::End);
    field.type_text(key.to_str().unwrap());
    h.run();
    assert_eq!(
        h.get_by_role_and_label(
            Role::TextInput,
            tokenplan::gui::views::crossover_view::KEY_FILE,
        )
        .value()
        .as_deref(),
        key.to_str()
    );
    h.state_mut().push_command(Command::ExportReassignment {
        path: Some(path.clone()),
        rows: tokenplan::gui::command::ExportRows::All,
    });
    h.run();

    let notes: Vec<String> = h
        .state()
        .notifications()
        .iter()
        .map(|n| n.text.clone())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("names pseudonymised, written to")),
        "{notes:?}"
    );
    let written = std::fs::read_to_string(&path).unwrap();
    // As many lines as the plain list, every user a pseudonym.
    let plain = String::from_utf8(sample_list()).unwrap();
    assert_eq!(written.lines().count(), plain.lines().count());
    assert_eq!(written.lines().next(), Some(REASSIGNMENT_HEADER));
    let lower = written.to_lowercase();
    let usage = &h.state().workspace().usage;
    let names: Vec<String> = (0..usage.users.len() as u32)
        .map(|id| usage.users.key(id).to_lowercase())
        .collect();
    // The names the plain list shows: none of them is left.
    let plain_lower = plain.to_lowercase();
    let listed: Vec<&String> = names
        .iter()
        .filter(|n| plain_lower.contains(n.as_str()))
        .collect();
    assert!(listed.len() > 10, "{} users listed", listed.len());
    for name in &listed {
        assert!(
            !lower.contains(name.as_str()),
            "{name} is left in the export"
        );
    }
    // The same key gives the same pseudonym as the CLI's code.
    let p = tokenplan::privacy::prepare(&key, &mut (**usage).clone(), None).unwrap();
    assert!(written.contains(&p.user(listed[0])));
    std::fs::remove_dir_all(&dir).unwrap();
}
