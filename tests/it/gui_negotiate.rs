//! The Negotiate view and File › Export negotiation pack… driven through
//! egui_kittest on the bundled sample, compared with the engine's
//! `pack::build` on the same inputs.

use std::path::Path;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, Xlsx};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use tokenplan::gui::charts::negotiate as charts;
use tokenplan::gui::command::Command;
use tokenplan::gui::model::negotiate::WALK_AWAY;
use tokenplan::gui::views::negotiate_view::{BREAK_EVENS, EXPORT, SWING};
use tokenplan::gui::{App, AppOptions, fmt};
use tokenplan::pack::{self, Pack, PackInputs, PackOptions, WalkAway};
use tokenplan::progress::NoProgress;

fn harness_with(options: AppOptions) -> Harness<'static, App> {
    Harness::builder()
        // Tall enough for the whole view without scrolling.
        .with_size(egui::vec2(1280.0, 2200.0))
        .build_eframe(move |cc| App::new(cc, options))
}

/// Steps frames until `done` holds; the deadline only guards against a
/// hang (a loaded debug build re-plans the pack's many points slowly).
fn step_until(h: &mut Harness<'_, App>, what: &str, done: impl Fn(&App) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        h.step();
        if done(h.state()) {
            break;
        }
        assert!(Instant::now() < deadline, "gave up waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run();
}

/// The sample's scenario renewing two seats more of every subscription
/// than the term plan holds in year 1 (ACD 12, AEC 59, C3D 5, INV 0, MAX 6,
/// NAVMAN 0, PDMC 17, RVT 0): renewing as-is leaves fewer tokens to buy
/// than the plan, so above some token price the plan held fixed costs more
/// than renewing as-is — the sample's own seats give "none up to 10×".
fn spare_seats_scenario() -> tokenplan::scenario::Scenario {
    let mut s = tokenplan::sample::scenario().unwrap();
    for (code, seats) in [
        ("ACD", 14),
        ("AEC", 61),
        ("C3D", 7),
        ("INV", 2),
        ("MAX", 8),
        ("NAVMAN", 2),
        ("PDMC", 19),
        ("RVT", 2),
    ] {
        s.contract.current_seats.insert(code.to_string(), seats);
    }
    s
}

/// The engine's pack of the sample under `scenario`, as `tokenplan pack`
/// builds it with the default swing of ±10%.
fn engine_pack(scenario: &tokenplan::scenario::Scenario) -> Pack {
    let (usage, reports) = tokenplan::sample::usage(scenario);
    let metered = tokenplan::meter::meter(&usage, scenario, &NoProgress).unwrap();
    let inputs = PackInputs {
        usage: &usage,
        metered: &metered,
        reports: &reports,
        scenario_file: None,
        compare: None,
    };
    pack::build(&inputs, scenario, &PackOptions::default(), &NoProgress).unwrap()
}

/// The number in column `col` of the row whose first cell is `label`, on
/// sheet `sheet` of the workbook at `path`.
fn cell_of(path: &Path, sheet: &str, label: &str, col: usize) -> Data {
    let mut book: Xlsx<_> = calamine::open_workbook(path).unwrap();
    let range = book.worksheet_range(sheet).unwrap();
    let row = range
        .rows()
        .find(|r| matches!(r.first(), Some(Data::String(s)) if s == label))
        .unwrap_or_else(|| panic!("{sheet} has no row {label}"));
    row.get(col).cloned().unwrap()
}

#[test]
fn the_negotiate_view_shows_the_engines_walk_away_price_and_exports_it() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-pack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let scenario = spare_seats_scenario();
    let scenario_path = dir.join("spare.ron");
    std::fs::write(&scenario_path, scenario.to_ron().unwrap()).unwrap();
    let mut h = harness_with(AppOptions {
        scenario: Some(scenario_path.clone()),
        ..AppOptions::default()
    });
    // The pack is built once the view is opened.
    h.get_by_role_and_label(Role::Button, "Negotiate").click();
    step_until(&mut h, "the negotiation pack", |app| {
        !app.is_busy() && app.negotiation_is_current()
    });

    let engine = engine_pack(&scenario);
    let currency = &engine.currency;
    // The sample's walk-away price is a price, not "none": the comparison
    // below is of a figure.
    let WalkAway::At(walk) = engine.break_evens.walk_away else {
        panic!(
            "the sample has no walk-away price: {:?}",
            engine.break_evens.walk_away
        );
    };
    h.get_by_label(&format!("{WALK_AWAY}: {}", fmt::price(walk, currency)));
    let shown = h.state().negotiation().unwrap();
    assert_eq!(
        shown.pack.break_evens, engine.break_evens,
        "every break-even as the engine's"
    );
    let order: Vec<&str> = shown.tornado.iter().map(|r| r.label.as_str()).collect();
    let engine_order: Vec<&str> = engine
        .sensitivity
        .rows
        .iter()
        .map(|r| r.label.as_str())
        .collect();
    assert_eq!(order, engine_order, "the tornado in the engine's order");
    let npvs: Vec<Decimal> = shown.options.iter().map(|o| o.npv).collect();
    let engine_npvs: Vec<Decimal> = engine.options.iter().map(|o| o.npv).collect();
    assert_eq!(npvs, engine_npvs);
    // The break-even table's walk-away line says the same price.
    h.get_by_label(BREAK_EVENS);
    assert!(
        h.query_all_by_label(&fmt::price(walk, currency))
            .next()
            .is_some()
    );
    h.get_by_label(SWING);
    h.get_by_role_and_label(Role::Button, EXPORT);
    // The charts' legends name their series.
    for series in [charts::OPTION_VALUE, charts::OPTION_DELTA, charts::HELD] {
        h.get_by_role_and_label(Role::CheckBox, series);
    }
    h.check_accessibility();

    // File › Export negotiation pack…, path given as a test does.
    std::fs::remove_file(&scenario_path).unwrap();
    let path = dir.join("pack.xlsx");
    h.state_mut()
        .push_command(Command::ExportPack(Some(path.clone())));
    step_until(&mut h, "the export", |app| {
        !app.is_busy()
            && app
                .notifications()
                .iter()
                .any(|n| n.text.starts_with("Negotiation pack"))
    });
    let note = &h.state().notifications().last().unwrap().text;
    assert_eq!(
        note,
        &format!("Negotiation pack written to {}", path.display())
    );
    // The walk-away price read back from the Break-even sheet is a number
    // cell equal to the engine's, to the cent.
    let Data::Float(read) = cell_of(&path, "Break-even", "Walk-away token price", 2) else {
        panic!("the walk-away price is not a number cell");
    };
    assert!(
        (read - walk.to_f64().unwrap()).abs() < 1e-9,
        "{read} vs {walk}"
    );
    // Written atomically: nothing but the file is left in the folder.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_swing_rebuilds_the_tornado_at_the_new_share() {
    let mut h = harness_with(AppOptions::default());
    h.get_by_role_and_label(Role::Button, "Negotiate").click();
    step_until(&mut h, "the negotiation pack", |app| {
        !app.is_busy() && app.negotiation_is_current()
    });
    // The sample's own seats: the plan held stays cheaper than renewing
    // as-is up to 10× today's token price.
    h.get_by_label(&format!("{WALK_AWAY}: none up to 10×"));
    assert_eq!(h.state().negotiation().unwrap().swing, Decimal::new(1, 1));
    // 10% → 11%, typed into the swing field.
    h.get_by_label(SWING).click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label(SWING).type_text("11");
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    step_until(&mut h, "the pack at the new swing", |app| {
        !app.is_busy() && app.negotiation_is_current()
    });
    let d = h.state().negotiation().unwrap();
    assert_eq!(d.swing, Decimal::new(11, 2));
    // The token price's low and high values are today's × 0.89 and × 1.11.
    let row = d
        .pack
        .sensitivity
        .rows
        .iter()
        .find(|r| r.driver == tokenplan::pack::Driver::TokenPrice)
        .unwrap();
    assert_eq!(row.low_value, row.base_value * Decimal::new(89, 2));
    assert_eq!(row.high_value, row.base_value * Decimal::new(111, 2));
}
