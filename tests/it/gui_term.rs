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
