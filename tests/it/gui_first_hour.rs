//! An analyst's first hour (issue #12), driven through egui_kittest as a
//! person would: nothing lost on quit, data added or replaced as chosen,
//! a short history said on every forecasting view and in the JSON, the
//! rows shown exported as shown, and no internal name on any screen.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT as _, Queryable as _};
use rust_decimal::Decimal;
use tokenplan::gui::model::question::{Guarded, Question};
use tokenplan::gui::prefs::{InsightsTab, ScenarioTab, View};
use tokenplan::gui::workspace::Source;
use tokenplan::gui::{App, AppOptions};
use tokenplan::progress::NoProgress;
use tokenplan::scenario::{Scenario, TokenPrice};

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

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/data/gui").join(name)
}

fn harness_with(options: AppOptions) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(move |cc| App::new(cc, options))
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
    settle(h);
}

fn wait_idle(h: &mut Harness<'_, App>) {
    step_until(h, "the jobs to finish", |app| {
        !app.is_busy() && app.charges().is_some()
    });
}

/// Every analysis of the current inputs done: plan, sizing, insights.
fn wait_all(h: &mut Harness<'_, App>) {
    step_until(h, "every analysis", |app| {
        !app.is_busy()
            && app.plan_is_current()
            && app.pool_data().is_some()
            && app.insights().is_some()
    });
}

/// Lets the frames after an action run: a job it started keeps frames
/// coming (its progress bar), which `Harness::run` takes for a hang.
fn settle(h: &mut Harness<'_, App>) {
    let _ = h.run_ok();
}

fn open_view(h: &mut Harness<'_, App>, tab: &str) {
    h.get_by_role_and_label(Role::Button, tab).click();
    settle(h);
}

fn click(h: &mut Harness<'_, App>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).click();
    settle(h);
}

/// Types `new` over `old` in the field labelled `label`.
fn retype(h: &mut Harness<'_, App>, label: &str, old: &str, new: &str) {
    h.get_by_label(label).scroll_to_me();
    settle(h);
    h.get_by_label(label).click();
    h.key_press(egui::Key::End);
    for _ in 0..old.len() {
        h.key_press(egui::Key::Backspace);
    }
    h.get_by_label(label).type_text(new);
    settle(h);
}

fn first_tier_price(s: &Scenario) -> Decimal {
    match &s.token_price {
        TokenPrice::Tiers { tiers, .. } => tiers[0].price,
        other => panic!("the sample prices tokens by tiers, not {other:?}"),
    }
}

/// True when the last frame asked the window to close.
fn asked_to_close(h: &Harness<'_, App>) -> bool {
    h.output()
        .viewport_output
        .values()
        .any(|v| v.commands.contains(&egui::ViewportCommand::Close))
}

fn asked_to_cancel_close(h: &Harness<'_, App>) -> bool {
    h.output()
        .viewport_output
        .values()
        .any(|v| v.commands.contains(&egui::ViewportCommand::CancelClose))
}

#[test]
fn quitting_with_unsaved_edits_asks_and_cancel_keeps_the_app_and_the_edit() {
    let mut h = harness_with(AppOptions::default());
    wait_idle(&mut h);
    open_view(&mut h, "Scenario");
    retype(&mut h, "Tier 1 price", "3.00", "2.7");
    assert!(h.state().workspace().is_modified());
    let edited = Decimal::new(27, 1);
    let price =
        |h: &Harness<'_, App>| first_tier_price(h.state().workspace().scenario.as_ref().unwrap());
    assert_eq!(price(&h), edited);

    // File › Quit: the question, not the end.
    click(&mut h, "File");
    h.get_by_role_and_label(Role::Button, "Quit").click();
    h.step();
    assert!(!asked_to_close(&h), "quit without asking");
    settle(&mut h);
    assert!(matches!(
        h.state().question(),
        Some(Question::Unsaved {
            action: Guarded::Quit,
            ..
        })
    ));
    // The sample has no file yet: Save asks where.
    h.get_by_role_and_label(Role::Button, "Save as…");
    h.get_by_role_and_label(Role::Button, "Discard the edits");
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    h.step();
    assert!(!asked_to_close(&h), "Cancel closed the window");
    settle(&mut h);
    assert!(h.state().question().is_none());
    assert!(h.state().workspace().is_modified());
    assert_eq!(price(&h), edited);

    // The window's close button: held, and the same question.
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
    assert!(asked_to_cancel_close(&h), "the close was not held");
    assert!(!asked_to_close(&h));
    settle(&mut h);
    assert!(matches!(
        h.state().question(),
        Some(Question::Unsaved {
            action: Guarded::Quit,
            ..
        })
    ));
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    settle(&mut h);
    assert!(h.state().question().is_none());
    assert_eq!(price(&h), edited);

    // Loading the sample would lose the edit too: asked, cancelled, kept.
    click(&mut h, "File");
    h.get_by_role_and_label(Role::Button, tokenplan::gui::views::frame::LOAD_SAMPLE)
        .click();
    settle(&mut h);
    assert!(matches!(
        h.state().question(),
        Some(Question::Unsaved {
            action: Guarded::LoadSample,
            ..
        })
    ));
    h.get_by_role_and_label(Role::Button, "Cancel").click();
    settle(&mut h);
    assert_eq!(price(&h), edited);

    // Discard is the way out: only then is the window closed.
    click(&mut h, "File");
    h.get_by_role_and_label(Role::Button, "Quit").click();
    settle(&mut h);
    h.get_by_role_and_label(Role::Button, "Discard the edits")
        .click();
    h.step();
    assert!(asked_to_close(&h), "Discard did not quit");
}

/// Sessions in `path` as the engine imports them under the sample's zone.
fn sessions_in(path: &Path) -> usize {
    let scenario = tokenplan::sample::scenario().unwrap();
    let mut usage = tokenplan::usage::Usage::default();
    tokenplan::ingest::import_path(
        path,
        &tokenplan::ingest::ImportOptions {
            time_zone: scenario.server_tz().unwrap(),
            ..Default::default()
        },
        &mut usage,
        &NoProgress,
    )
    .unwrap();
    usage.sessions.len()
}

fn drop_file(h: &mut Harness<'_, App>, path: PathBuf) {
    h.input_mut().dropped_files.push(Arc::new(Dropped(path)));
    settle(h);
}

#[test]
fn opened_files_are_added_to_what_is_loaded_or_replace_it_as_chosen() {
    let mut h = harness_with(AppOptions::default());
    wait_idle(&mut h);
    let sample = h.state().workspace().usage.sessions.len();
    assert_eq!(h.state().workspace().sources, [Source::Sample]);
    let good = fixture("good_sessions.csv");
    let unmapped = fixture("unmapped_sessions.csv");
    let (n_good, n_unmapped) = (sessions_in(&good), sessions_in(&unmapped));
    assert!(n_good > 0 && n_unmapped > 0);

    // Added: the sample stays, the file joins it.
    drop_file(&mut h, good.clone());
    assert_eq!(
        h.state().question(),
        Some(&Question::AddOrReplace(vec![good.clone()]))
    );
    click(&mut h, "Add to the data loaded");
    step_until(&mut h, "the added file", |app| {
        !app.is_busy() && app.workspace().sources.len() == 2
    });
    let ws = h.state().workspace();
    assert_eq!(ws.sources, [Source::Sample, Source::File(good.clone())]);
    assert_eq!(ws.usage.sessions.len(), sample + n_good);
    // The Data view lists both, each with its Remove.
    open_view(&mut h, "Data");
    h.get_by_role_and_label(Role::Button, "Remove the sample");
    h.get_by_role_and_label(Role::Button, "Remove");
    h.get_by_role_and_label(Role::Button, tokenplan::gui::views::data_view::ADD_FILES);

    // Replaced: what was loaded goes, the file is all the data.
    drop_file(&mut h, unmapped.clone());
    click(&mut h, "Replace the data loaded");
    step_until(&mut h, "the replacing file", |app| {
        !app.is_busy() && app.workspace().sources == [Source::File(unmapped.clone())]
    });
    assert_eq!(h.state().workspace().usage.sessions.len(), n_unmapped);

    // Cancel imports nothing.
    drop_file(&mut h, good.clone());
    click(&mut h, "Cancel");
    wait_idle(&mut h);
    assert_eq!(
        h.state().workspace().sources,
        [Source::File(unmapped.clone())]
    );
    assert_eq!(h.state().workspace().usage.sessions.len(), n_unmapped);

    // Remove: the one source left goes, and nothing is loaded.
    open_view(&mut h, "Data");
    click(&mut h, "Remove");
    step_until(&mut h, "the removal", |app| {
        !app.is_busy() && app.workspace().sources.is_empty()
    });
    assert_eq!(h.state().workspace().usage.sessions.len(), 0);
}

/// The engine's short-window warning of the sample's 23-day debug log:
/// 4 to 26 January 2026 is 23 days; 365 / 23 = 15.869… → 15.87.
const SHORT: &str = "forecast from 23 days of history, scaled × 15.87";

#[test]
fn a_23_day_log_shows_the_banner_on_every_forecast_and_the_json_warning() {
    let log = root().join("sample-data/adskflex.log");
    let scenario = root().join("sample-data/scenario.ron");
    let mut h = harness_with(AppOptions {
        files: vec![log.clone()],
        scenario: Some(scenario.clone()),
        ..AppOptions::default()
    });
    wait_all(&mut h);
    let banner = format!("F{} to a year", &SHORT[1..]);
    for view in ["Mix", "Crossover"] {
        open_view(&mut h, view);
        h.get_by_label_contains(&format!(
            "{banner}: the scenario asks for 365 days of history"
        ));
    }
    // The pool is sized from the days of token demand the recommended
    // subscriptions leave (fewer: some days have none), said the same way.
    open_view(&mut h, "Pool");
    h.get_by_label_contains("days of history, scaled ×");
    // The card that cannot be computed stays and says why.
    open_view(&mut h, "Mix");
    h.get_by_label("Saving vs current");
    h.get_by_label_contains("no assignments loaded");

    // The term plan forecasts from the same window: the same warning.
    for command in ["recommend", "size", "term"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenplan"))
            .args([command, "--format", "json", "--scenario"])
            .arg(&scenario)
            .arg(&log)
            .output()
            .unwrap();
        assert!(out.status.success(), "{command}: {out:?}");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let warnings: Vec<&str> = json["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(serde_json::Value::as_str)
            .collect();
        let short: Vec<&&str> = warnings
            .iter()
            .filter(|w| w.starts_with("forecast from "))
            .collect();
        assert_eq!(short.len(), 1, "{command}: {warnings:?}");
        if command != "size" {
            assert_eq!(*short[0], SHORT, "{command}");
        }
    }
}

#[test]
fn the_rows_shown_export_has_exactly_the_filtered_rows() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-shown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("moves.csv");
    let mut h = harness_with(AppOptions::default());
    wait_idle(&mut h);
    step_until(&mut h, "the plan", App::plan_is_current);

    // File › Type paths, so the export asks in the window.
    click(&mut h, "File");
    h.get_by_role_and_label(Role::CheckBox, tokenplan::gui::views::frame::TYPE_PATHS)
        .click();
    settle(&mut h);
    h.key_press(egui::Key::Escape);
    settle(&mut h);

    open_view(&mut h, "Crossover");
    h.get_by_role_and_label(
        Role::CheckBox,
        tokenplan::gui::views::crossover_view::MOVES_ONLY,
    )
    .click();
    settle(&mut h);
    // The engine's movers: a recommended plan other than today's.
    let report = &h.state().plan().unwrap().planned.report;
    let movers: Vec<String> = report
        .users
        .iter()
        .filter(|u| u.current_plan != u.subscriptions)
        .map(|u| u.user.clone())
        .collect();
    let all = report.users.len();
    assert!(
        !movers.is_empty() && movers.len() < all,
        "{} of {all}",
        movers.len()
    );
    h.get_by_label(&format!("{} of {all} users", movers.len()));

    click(&mut h, "Export reassignment list…");
    click(&mut h, &format!("The {} rows shown…", movers.len()));
    let field = h.get_by_label(tokenplan::gui::views::prompt_view::PATH);
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label(tokenplan::gui::views::prompt_view::PATH)
        .type_text(&path.display().to_string());
    settle(&mut h);
    click(&mut h, "Export");
    let written = std::fs::read_to_string(&path).unwrap();
    let mut lines = written.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("user,department,cost_center,")
    );
    let mut users: Vec<String> = lines
        .map(|l| l.split(',').next().unwrap().to_owned())
        .collect();
    assert_eq!(users.len(), movers.len());
    users.sort();
    let mut expected = movers.clone();
    expected.sort();
    assert_eq!(users, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// What no analyst should read: the names the code, the scenario file or
/// a debug print use. Returns the offending word of `text`, if any.
fn internal_name(text: &str, allowed: &[String]) -> Option<String> {
    for fixed in ["Tiers.", "PerTier", "WholeVolume", "Some(", "{ "] {
        if text.contains(fixed) {
            return Some(fixed.to_owned());
        }
    }
    if text.to_lowercase().contains("bracket") {
        return Some("bracket".to_owned());
    }
    for raw in text.split(|c: char| c.is_whitespace() || ",;:()\"'«»“”".contains(c)) {
        let word = raw.trim_end_matches(['.', '…', '?', '!']);
        if word.is_empty() || allowed.iter().any(|a| a == word) {
            continue;
        }
        // A field path: `token_price.tiers[0].price`, `contract.start`.
        let parts: Vec<&str> = word.split('.').collect();
        let ident = |p: &str| {
            let p = p.split('[').next().unwrap_or(p);
            p.len() > 1 && p.chars().all(|c| c.is_ascii_lowercase() || c == '_')
        };
        let file = ["csv", "log", "ron", "xlsx", "json", "txt", "png"];
        if parts.len() > 1
            && parts.iter().all(|p| ident(p))
            && !file.contains(parts.last().unwrap_or(&""))
        {
            return Some(word.to_owned());
        }
        // A snake_case identifier: `history_days`, `overage_price`.
        if word.contains('_')
            && word.starts_with(|c: char| c.is_ascii_lowercase())
            && word
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !word.ends_with('_')
        {
            return Some(word.to_owned());
        }
        // A type or variant name: `CalendarDay`, `Rolling24h`, `DailyPeak`.
        let inner_capital = word.chars().skip(1).any(|c| c.is_ascii_uppercase())
            || word
                .as_bytes()
                .windows(2)
                .any(|w| w[0].is_ascii_digit() && w[1].is_ascii_lowercase());
        if word.starts_with(|c: char| c.is_ascii_uppercase())
            && inner_capital
            && word.chars().all(|c| c.is_ascii_alphanumeric())
            && word.chars().any(|c| c.is_ascii_lowercase())
        {
            return Some(word.to_owned());
        }
    }
    None
}

/// Every text of the accessibility tree: labels, values and descriptions
/// (a hover text is its widget's description).
fn texts(h: &Harness<'_, App>) -> Vec<String> {
    let mut out = Vec::new();
    for node in h.root().children_recursive() {
        let n = node.accesskit_node();
        out.extend(n.label());
        out.extend(n.value());
        out.extend(n.description());
    }
    out
}

#[test]
fn the_internal_name_check_catches_what_it_is_for() {
    let allowed = vec!["AutoCAD".to_owned()];
    for bad in [
        "token_price.Tiers.tiers[0].price: 3.00 → 2.7",
        "Charged PerTier",
        "bracket 3",
        "contract.overage_price is set",
        "history_days",
        "Rule: CalendarDay",
        "Rolling24h",
        "Some(3)",
    ] {
        assert!(internal_name(bad, &allowed).is_some(), "{bad}");
    }
    for good in [
        "Token price, tier 1: 3.00 → 2.70 USD",
        "Calendar day (in America/New_York)",
        "AutoCAD seats",
        "sessions.csv",
        "e.g. 2.70",
        "Saving vs current: 1,234.50 USD",
    ] {
        assert_eq!(internal_name(good, &allowed), None, "{good}");
    }
}

#[test]
fn no_view_shows_an_internal_name() {
    let mut h = harness_with(AppOptions::default());
    wait_all(&mut h);
    // An edit first, so Compare lists a difference and Mix its changes.
    open_view(&mut h, "Scenario");
    retype(&mut h, "Tier 1 price", "3.00", "2.7");
    wait_all(&mut h);
    step_until(&mut h, "the comparison", |app| {
        !app.is_busy() && app.comparison_is_current()
    });
    // Names the user gave: products, subscriptions, departments, zones.
    let scenario = h.state().workspace().scenario.clone().unwrap();
    // Product and vendor names are names, not code.
    let mut allowed: Vec<String> = ["FlexNet", "AutoCAD"].map(str::to_owned).to_vec();
    let mut add = |s: &str| {
        allowed.extend(
            s.split(|c: char| c.is_whitespace() || ",;:()".contains(c))
                .map(str::to_owned),
        );
    };
    add(&scenario.name);
    add(&scenario.server_time_zone);
    for (code, p) in &scenario.products {
        add(code);
        add(&p.name);
        p.features.iter().for_each(|f| add(f));
    }
    for (code, s) in &scenario.subscriptions {
        add(code);
        add(&s.name);
    }
    let usage = h.state().workspace().usage.clone();
    for e in usage.directory.values() {
        add(&e.department);
        add(&e.cost_center);
    }
    for table in [&usage.features, &usage.hosts] {
        for id in 0..table.len() {
            add(table.name(u32::try_from(id).unwrap()));
        }
    }
    // Zones are IANA names (`America/New_York`) wherever they appear.
    let zone =
        |w: &str| w.contains('/') && w.chars().next().is_some_and(|c| c.is_ascii_uppercase());

    let mut seen = 0usize;
    let mut found = Vec::new();
    let mut check = |h: &Harness<'_, App>, place: &str| {
        for t in texts(h) {
            seen += 1;
            if let Some(w) = internal_name(&t, &allowed).filter(|w| !zone(w)) {
                found.push(format!("{place}: {w:?} in {t:?}"));
            }
        }
    };
    for view in View::ALL {
        open_view(&mut h, view.label());
        match view {
            View::Scenario => {
                for tab in ScenarioTab::ALL {
                    click(&mut h, tab.label());
                    check(&h, &format!("Scenario › {}", tab.label()));
                }
            }
            View::Insights => {
                for tab in InsightsTab::ALL {
                    click(&mut h, tab.label());
                    check(&h, &format!("Insights › {}", tab.label()));
                }
            }
            _ => check(&h, view.label()),
        }
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    // The walk read the screens (not an empty tree).
    assert!(seen > 500, "{seen} texts");
}

#[test]
fn unsaved_edits_are_offered_back_at_the_next_start() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-recovery-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let options = AppOptions {
        state_dir: Some(dir.clone()),
        ..AppOptions::default()
    };
    let recovery = dir.join("recovery.ron");
    {
        let mut h = harness_with(options.clone());
        wait_idle(&mut h);
        assert!(!recovery.exists(), "nothing to recover before an edit");
        open_view(&mut h, "Scenario");
        retype(&mut h, "Tier 1 price", "3.00", "2.7");
        // Written in the background, at most once a second: wait for the
        // copy of the last keystroke (the first may hold "3.0").
        let deadline = Instant::now() + Duration::from_secs(120);
        let has_edit = || {
            std::fs::read_to_string(&recovery)
                .ok()
                .and_then(|t| Scenario::from_ron(&t).ok())
                .is_some_and(|s| first_tier_price(&s) == Decimal::new(27, 1))
        };
        while !has_edit() {
            assert!(Instant::now() < deadline, "no recovery file written");
            h.step();
            std::thread::sleep(Duration::from_millis(20));
        }
        // The app ends here without saving (a crash, a power cut).
    }
    let mut h = harness_with(options);
    wait_idle(&mut h);
    assert!(matches!(h.state().question(), Some(Question::Recover(_))));
    // The sample as shipped until the edits are taken back.
    assert_eq!(
        first_tier_price(h.state().workspace().scenario.as_ref().unwrap()),
        Decimal::new(300, 2)
    );
    click(&mut h, "Restore the edits");
    let ws = h.state().workspace();
    assert!(ws.is_modified());
    assert_eq!(
        first_tier_price(ws.scenario.as_ref().unwrap()),
        Decimal::new(27, 1)
    );
    // The restored edits are copied to the recovery file in the background;
    // a copy landing while the folder is removed must not fail the test.
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `csv`'s rows as the worksheet `sheet` of a new workbook `path`.
fn csv_as_workbook(csv: &Path, path: &Path, sheet: &str) {
    let text = std::fs::read_to_string(csv).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    ws.set_name(sheet).unwrap();
    for (r, line) in text.lines().enumerate() {
        for (c, cell) in line.split(',').enumerate() {
            ws.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    book.save(path).unwrap();
}

#[test]
fn the_data_view_names_every_input_kind_loaded() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-kinds-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let workbook = dir.join("days.xlsx");
    csv_as_workbook(
        &root().join("tests/data/inputs/usage_days.csv"),
        &workbook,
        "Days",
    );
    let data = root().join("tests/data");
    let files = vec![
        fixture("good_sessions.csv"),
        fixture("directory.csv"),
        data.join("ibm_tlstok.log"),
        data.join("golden/tokenflex_sample.csv"),
        data.join("inputs/usage_months.csv"),
        data.join("inputs/aliases.csv"),
        data.join("lmstat_series.txt"),
        data.join("rlm_report_std.log"),
        workbook,
    ];
    let n = files.len();
    let mut h = harness_with(AppOptions {
        files,
        ..AppOptions::default()
    });
    step_until(&mut h, "the import", |app| {
        !app.is_busy() && app.workspace().reports.len() >= n
    });
    open_view(&mut h, "Data");
    for kind in [
        "Session list",
        "User directory",
        "FlexNet debug log",
        "Token Flex export",
        "Usage report (use-days), dated by month",
        "User aliases",
        "lmstat snapshots",
        "RLM report log",
        "Usage report (use-days), sheet Days",
    ] {
        h.get_by_label(kind);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
