//! The Term view driven as a person would (egui_kittest): its NPV for the
//! term plan and for renewing as-is is the engine's (`tokenplan term`), and
//! an edit of the escalation in the Scenario editor re-plans the term to
//! the engine's figure for the edited scenario.

use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rust_decimal::Decimal;
use tokenplan::gui::{App, AppOptions, fmt};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::term::{SearchOptions, TermAnalysis, analyse_term};

fn harness() -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(|cc| App::new(cc, AppOptions::default()))
}

/// Steps frames until `done` holds (the deadline only guards a hang).
fn step_until(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        h.step();
        if done(h.state()) {
            break;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
    h.run();
}

fn open_view(h: &mut Harness<'_, App>, tab: &str) {
    h.get_by_role_and_label(Role::Button, tab).click();
    h.run();
}

/// `tokenplan term` of the bundled sample under `scenario`.
fn engine_term(scenario: &Scenario) -> TermAnalysis {
    let (usage, _) = tokenplan::sample::usage(scenario);
    let metered = tokenplan::meter::meter(&usage, scenario, &NoProgress).unwrap();
    analyse_term(&metered, &usage, scenario, SearchOptions::default()).unwrap()
}

fn wait_term(h: &mut Harness<'_, App>) {
    step_until(h, "the term plan", |app| {
        app.term_is_current() && !app.is_busy()
    });
}

#[test]
fn the_term_views_npv_is_the_engines_for_the_plan_and_renewing_as_is() {
    let mut h = harness();
    wait_term(&mut h);
    let scenario = tokenplan::sample::scenario().unwrap();
    let engine = engine_term(&scenario);
    let renew = engine
        .renew_as_is
        .as_ref()
        .expect("the sample's assignments give the seats held today");
    let shown = h.state().term().unwrap();
    assert_eq!(shown.analysis, engine);
    assert_eq!(shown.data.npv, engine.plan.plan.npv);
    assert_eq!(shown.data.renew.map(|r| r.1), Some(renew.plan.npv));
    assert!(engine.plan.plan.npv <= renew.plan.npv);

    open_view(&mut h, "Term");
    h.get_by_label("NPV of the term plan");
    h.get_by_label("NPV of renewing as-is");
    // Each NPV shows on its card and as the table's present-value total.
    for npv in [engine.plan.plan.npv, renew.plan.npv] {
        let text = fmt::money(npv, "USD");
        assert!(
            h.query_all_by_label(&text).count() >= 2,
            "{text} on its card and in the table"
        );
    }
    // The legend names the parts of each column.
    for part in tokenplan::gui::model::term::PARTS {
        h.get_by_role_and_label(Role::CheckBox, part);
    }
    assert!(engine.plan.plan.npv > Decimal::ZERO);
}

/// A few frames: enough for a layout to settle, while a job may run (its
/// progress bar keeps asking for frames, so `Harness::run` would not end).
fn frames(h: &mut Harness<'_, App>) {
    for _ in 0..8 {
        h.step();
    }
}

/// Replaces the text `old` of the field labelled `label` by `new`, as a
/// person would: scroll to it, click, End, backspace over it, type.
fn retype(h: &mut Harness<'_, App>, label: &str, old: &str, new: &str) {
    h.get_by_label(label).scroll_to_me();
    frames(h);
    let field = h.get_by_label(label);
    field.click();
    h.key_press(egui::Key::End);
    for _ in 0..old.len() {
        h.key_press(egui::Key::Backspace);
    }
    h.get_by_label(label).type_text(new);
    frames(h);
}

/// Ticks the checkbox `label` (scrolled to first).
fn tick(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_role_and_label(Role::CheckBox, label)
        .scroll_to_me();
    frames(h);
    h.get_by_role_and_label(Role::CheckBox, label).click();
    frames(h);
}

#[test]
fn an_escalation_typed_in_the_editor_replans_the_term_to_the_engines_npv() {
    let mut h = harness();
    wait_term(&mut h);
    let before = h.state().term().unwrap().data.npv;
    assert_eq!(h.state().term().unwrap().demands_built, 1);

    let mut edited = tokenplan::sample::scenario().unwrap();
    assert!(edited.prices.is_none(), "the sample sets no price changes");
    edited.prices = Some(tokenplan::scenario::Prices {
        escalation: Decimal::new(7, 2),
        ..Default::default()
    });
    let engine = engine_term(&edited);
    assert_ne!(engine.plan.plan.npv, before);

    open_view(&mut h, "Scenario");
    retype(&mut h, "Escalation per year", "0", "0.07");
    assert_eq!(h.state().workspace().scenario.as_ref(), Some(&edited));
    wait_term(&mut h);
    let shown = h.state().term().unwrap();
    assert_eq!(shown.data.npv, engine.plan.plan.npv);
    assert_eq!(
        shown.data.renew.map(|r| r.1),
        engine.renew_as_is.as_ref().map(|r| r.plan.npv)
    );
    // A price edit re-plans from the forecast already made.
    assert!(shown.reused_demand);
    assert_eq!(shown.demands_built, 1);
    open_view(&mut h, "Term");
    h.get_by_label_contains("From year 2 prices rise 7% a year");
    assert!(
        h.query_all_by_label(&fmt::money(engine.plan.plan.npv, "USD"))
            .count()
            >= 2
    );
    assert!(
        h.query_by_label(&fmt::money(before, "USD")).is_none(),
        "the NPV from before the edit is gone"
    );
}

#[test]
fn the_term_fields_are_edited_in_place_and_saved_back_identical() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-term-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("scenario.ron");
    let fixtures = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/gui");
    std::fs::copy(fixtures.join("scenario.ron"), &path).unwrap();
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe({
            let options = AppOptions {
                files: vec![fixtures.join("good_sessions.csv")],
                scenario: Some(path.clone()),
                ..AppOptions::default()
            };
            move |cc| App::new(cc, options)
        });
    wait_term(&mut h);
    open_view(&mut h, "Scenario");

    // A pack of 0 tokens is refused next to the field; unticked, it goes.
    tick(&mut h, "Pack size (tokens)");
    assert!(
        h.query_all_by_label_contains("must be >= 1, got 0").count() >= 2,
        "in the list of problems and under the field"
    );
    tick(&mut h, "Pack size (tokens)");
    assert!(h.query_by_label_contains("must be >= 1").is_none());

    tick(&mut h, "Renewal price per seat ACD");
    retype(&mut h, "Renewal price per seat ACD:", "0", "1900");
    tick(&mut h, "Seats held today ACD");
    retype(&mut h, "Price basis", "", "List prices of 2026-10");
    retype(&mut h, "Escalation per year", "0", "0.07");
    tick(&mut h, "Escalation cap");
    retype(&mut h, "Escalation cap:", "0", "0.05");
    // A year's own price: year 2 is the default next year.
    h.get_by_role_and_label(Role::Button, "Add price year")
        .scroll_to_me();
    frames(&mut h);
    h.get_by_role_and_label(Role::Button, "Add price year")
        .click();
    frames(&mut h);
    tick(&mut h, "Year 2 ACD new seat price");
    retype(&mut h, "Year 2 ACD new seat price:", "0", "2100");
    // A negative overage price that year is refused in place.
    tick(&mut h, "Year 2 overage price");
    retype(&mut h, "Year 2 overage price:", "0", "-1");
    let year = &h.state().workspace().scenario.as_ref().unwrap().prices;
    assert_eq!(
        year.as_ref().map(|p| p.years[0].overage_price),
        Some(Some(Decimal::from(-1))),
        "{year:?}"
    );
    assert!(
        h.query_all_by_label_contains("must not be negative, got -1")
            .count()
            >= 2,
        "in the list of problems and under the field"
    );
    retype(&mut h, "Year 2 overage price:", "-1", "4");

    let edited = h.state().workspace().scenario.clone().unwrap();
    assert_eq!(
        edited.subscriptions["ACD"].renewal_price,
        Some(Decimal::from(1900))
    );
    assert_eq!(edited.contract.current_seats.get("ACD"), Some(&0));
    assert_eq!(edited.contract.pack_size, None);
    let prices = edited.prices.clone().unwrap();
    assert_eq!(prices.basis, "List prices of 2026-10");
    assert_eq!(prices.escalation, Decimal::new(7, 2));
    assert_eq!(prices.escalation_cap, Some(Decimal::new(5, 2)));
    assert_eq!(prices.years.len(), 1);
    assert_eq!(prices.years[0].year, 2);
    assert_eq!(
        prices.years[0].subscriptions.get("ACD"),
        Some(&Decimal::from(2100))
    );
    assert_eq!(prices.years[0].overage_price, Some(Decimal::from(4)));

    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    wait_term(&mut h);
    let saved = Scenario::load(&path).unwrap();
    assert_eq!(saved, edited, "save → load is identical");
    std::fs::remove_dir_all(&dir).unwrap();
}
