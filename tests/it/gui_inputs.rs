//! The inputs customers actually have, through the desktop app (issue #14):
//! a semicolon CSV with German headers read through the Data view's
//! column-mapping form, the mapping remembered for the next run, and the
//! pseudonyms' key file chosen with "Key file…" for an export that names
//! nobody. Driven through egui_kittest as a person would: widgets found by
//! role and label.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use rust_decimal::Decimal;
use tokenplan::gui::command::{Command, ExportRows};
use tokenplan::gui::prefs::Prefs;
use tokenplan::gui::views::{crossover_view, data_mapping, prompt_view};
use tokenplan::gui::{App, AppOptions};
use tokenplan::ingest::{ColumnMap, ImportOptions, MapTarget, import_path};
use tokenplan::meter::meter;
use tokenplan::progress::NoProgress;
use tokenplan::scenario::Scenario;
use tokenplan::usage::Usage;

fn inputs(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/inputs")
        .join(name)
}

/// The day the tests say it is: the mapping is "chosen on" it.
fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn harness_with(options: AppOptions) -> Harness<'static, App> {
    Harness::builder()
        .with_size(egui::vec2(1280.0, 1000.0))
        .build_eframe(move |cc| App::new(cc, options))
}

/// The app opened on the German usage report under the inputs' scenario,
/// with `prefs` as the preferences of an earlier run (none: a first run).
fn german_report(prefs: Option<Prefs>) -> Harness<'static, App> {
    harness_with(AppOptions {
        files: vec![inputs("nutzung_de.csv")],
        scenario: Some(inputs("scenario.ron")),
        prefs,
        today: Some(today()),
        ..AppOptions::default()
    })
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
    let _ = h.run_ok();
}

/// Picks `column` in the picker labelled `label`, as a person would: open
/// it, click the choice.
fn pick(h: &mut Harness<'_, App>, label: &str, column: &str) {
    h.get_by_role_and_label(Role::ComboBox, label).click();
    h.run();
    h.get_by_role_and_label(Role::Button, column).click();
    h.run();
}

/// The map the form shows the command line for.
fn german_map() -> ColumnMap {
    "user=Benutzer,product=Produkt,date=Nutzungstag"
        .parse()
        .unwrap()
}

/// (product, charges, tokens) per product, as the engine meters the
/// fixture read with `opts`.
fn engine_charges(opts: &ImportOptions) -> (Usage, Vec<(String, u64, Decimal)>) {
    let scenario = Scenario::load(inputs("scenario.ron")).unwrap();
    let mut usage = Usage::default();
    let opts = ImportOptions {
        time_zone: scenario.server_tz().unwrap(),
        ..opts.clone()
    };
    import_path(&inputs("nutzung_de.csv"), &opts, &mut usage, &NoProgress).unwrap();
    let m = meter(&usage, &scenario, &NoProgress).unwrap();
    let mut rows: Vec<(String, u64, Decimal)> = Vec::new();
    for p in &m.pairs {
        let code = m.product_code(p.product).to_string();
        match rows.iter_mut().find(|r| r.0 == code) {
            Some(r) => {
                r.1 += p.charges();
                r.2 += p.tokens();
            }
            None => rows.push((code, p.charges(), p.tokens())),
        }
    }
    rows.sort();
    (usage, rows)
}

/// (product, charges, tokens) per product, as the app's Charges view has
/// them.
fn app_charges(app: &App) -> Vec<(String, u64, Decimal)> {
    let mut rows: Vec<(String, u64, Decimal)> = app
        .charges()
        .unwrap()
        .products
        .iter()
        .filter(|p| p.charges > 0)
        .map(|p| (p.code.clone(), p.charges, p.tokens))
        .collect();
    rows.sort();
    rows
}

/// The figures worked out by hand from tests/data/inputs/nutzung_de.csv
/// under tests/data/inputs/scenario.ron (AutoCAD = ACD at 6 tokens a day,
/// Revit = RVT at 10, both CalendarDay): jdoe used AutoCAD on 06.01.2025
/// and 07.01.2025 → 2 charges × 6 = 12 tokens; mmuster used Revit on
/// 06.01.2025 → 1 × 10 = 10 tokens; "31.02.2025" (line 5) is no date and
/// is skipped. 3 use-days, 2 users, 3 charges, 22 tokens.
fn hand_computed() -> Vec<(String, u64, Decimal)> {
    vec![
        ("ACD".into(), 2, Decimal::from(12)),
        ("RVT".into(), 1, Decimal::from(10)),
    ]
}

/// Waits for the German report's data to be read and metered.
fn wait_metered(h: &mut Harness<'_, App>) {
    step_until(h, "the mapped report metered", |app| {
        !app.is_busy()
            && app.workspace().usage.use_days.len() == 3
            && app
                .charges()
                .is_some_and(|c| c.total_tokens > Decimal::ZERO)
    });
}

/// Checks what the Data view and the Charges view show of the mapped
/// report against the engine and the hand-computed figures.
fn check_mapped_report(h: &mut Harness<'_, App>) {
    let (usage, expected) =
        engine_charges(&MapTarget::DayReport.options(&german_map(), &ImportOptions::default()));
    assert_eq!(expected, hand_computed());
    assert_eq!(app_charges(h.state()), expected);
    let ws = h.state().workspace();
    assert_eq!(ws.usage.use_days.len(), usage.use_days.len());
    assert_eq!(ws.usage.sessions.len(), 0);
    assert_eq!(ws.reports.len(), 1);
    assert_eq!(ws.reports[0].counts.get("use-days"), Some(&3));
    // The one bad row is said, with its file and line.
    assert_eq!(ws.reports[0].problems.len(), 1);
    assert!(
        ws.reports[0].problems[0]
            .to_string()
            .contains("nutzung_de.csv:5: date used \"31.02.2025\" is not a date"),
        "{}",
        ws.reports[0].problems[0]
    );
    h.get_by_role_and_label(Role::Button, "Data").click();
    h.run();
    h.get_by_label_contains("0 sessions, 3 use-days, 2 users");
    h.get_by_label_contains("use-days 3");
    h.get_by_role_and_label(Role::Button, "Charges").click();
    h.run();
    h.get_by_label("Total: 22 tokens");
}

/// Runs the command line; returns (exit code, stdout).
fn cli(args: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tokenplan"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Maps the German report through the form and applies it.
fn map_through_the_form(h: &mut Harness<'_, App>) {
    step_until(h, "the mapping form", |app| {
        !app.is_busy() && !app.mappings().forms.is_empty()
    });
    // The app shows the Data view with the form: the header is of no known
    // kind, so nothing was read.
    h.get_by_label("Which column is which in nutzung_de.csv?");
    assert!(h.state().workspace().reports.is_empty());
    assert!(h.state().workspace().usage.use_days.is_empty());
    // The first rows, as the file has them.
    for cell in ["Benutzer", "Nutzungstag", "06.01.2025", "7,5", "mmuster"] {
        assert!(
            h.query_all_by_label(cell).next().is_some(),
            "{cell} is not shown"
        );
    }
    h.get_by_label("Pick the column of User, Product, Date used.");
    h.check_accessibility();

    pick(h, "User", "Benutzer");
    pick(h, "Product", "Produkt");
    pick(h, "Date used", "Nutzungstag");
    // Tokens are optional and stay unpicked.
    assert!(
        h.query_by_label("Pick the column of User, Product, Date used.")
            .is_none()
    );
    let command_line = "On the command line: --kind usage-report --columns user=Benutzer,product=Produkt,date=Nutzungstag";
    h.get_by_label(command_line);

    // What the form says is what the command line does.
    let (code, out) = cli(&[
        "meter",
        "--scenario",
        inputs("scenario.ron").to_str().unwrap(),
        "--kind",
        "usage-report",
        "--columns",
        "user=Benutzer,product=Produkt,date=Nutzungstag",
        inputs("nutzung_de.csv").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "the bad row is an input error");
    assert_eq!(
        out,
        "user,product,charges,tokens\njdoe,ACD,2,12\nmmuster,RVT,1,10\n"
    );

    h.get_by_role_and_label(Role::Button, data_mapping::APPLY)
        .click();
    h.step();
    wait_metered(h);
    assert!(h.state().mappings().forms.is_empty(), "the form closed");
    assert!(
        !h.state()
            .notifications()
            .iter()
            .any(|n| n.text.contains("its columns are of no known kind")),
        "the note that asked for the columns went with the form"
    );
}

#[test]
fn a_german_usage_report_is_read_through_the_mapping_form() {
    let mut h = german_report(None);
    map_through_the_form(&mut h);
    check_mapped_report(&mut h);

    // The mapping is remembered for the header, dated.
    let signature = "benutzer|produkt|nutzungstag|stunden";
    let remembered = &h.state().prefs().column_maps[signature];
    assert_eq!(remembered.target, MapTarget::DayReport);
    assert_eq!(remembered.columns, german_map());
    assert_eq!(remembered.chosen_on, today());
    h.get_by_role_and_label(Role::Button, "Data").click();
    h.run();
    h.get_by_label(
        "nutzung_de.csv: columns mapped as you chose on 2026-12-01 (Usage report, one row per day used: User = Benutzer, Product = Produkt, Date used = Nutzungstag)",
    );
    h.check_accessibility();
}

#[test]
fn a_remembered_mapping_reads_the_file_at_the_next_run_without_the_form() {
    // The first run chooses the columns; its preferences are stored (as
    // eframe stores them, in RON) and read back by the next run.
    let stored = {
        let mut h = german_report(None);
        map_through_the_form(&mut h);
        ron::ser::to_string(h.state().prefs()).unwrap()
    };
    let prefs: Prefs = ron::from_str(&stored).unwrap();
    let mut h = german_report(Some(prefs));
    wait_metered(&mut h);
    assert!(h.state().mappings().forms.is_empty(), "no form this time");
    assert_eq!(
        h.state()
            .mappings()
            .mapped
            .get(&inputs("nutzung_de.csv"))
            .map(String::as_str),
        Some("benutzer|produkt|nutzungstag|stunden")
    );
    check_mapped_report(&mut h);
    h.get_by_role_and_label(Role::Button, "Data").click();
    h.run();
    let note = "nutzung_de.csv: columns mapped as you chose on 2026-12-01 (Usage report, one row per day used: User = Benutzer, Product = Produkt, Date used = Nutzungstag)";
    h.get_by_label(note);

    // Forgotten: the note goes, the data loaded stays, and the next read
    // of the file asks again.
    h.get_by_role_and_label(Role::Button, "Forget the mapping of nutzung_de.csv")
        .click();
    h.run();
    assert!(h.state().prefs().column_maps.is_empty());
    assert!(h.query_by_label(note).is_none());
    assert_eq!(h.state().workspace().usage.use_days.len(), 3);
    h.state_mut()
        .push_command(Command::ImportFiles(vec![inputs("nutzung_de.csv")]));
    // The command is applied after a frame; the question shows in the next.
    h.step();
    h.run();
    h.get_by_role_and_label(Role::Button, "Replace the data loaded")
        .click();
    h.step();
    step_until(&mut h, "the form again", |app| {
        !app.is_busy() && !app.mappings().forms.is_empty()
    });
    h.get_by_label("Which column is which in nutzung_de.csv?");
    // Nothing new was read, so the data loaded before stays until the
    // file is mapped (it then replaces it).
    assert_eq!(h.state().workspace().usage.use_days.len(), 3);
    assert!(h.state().mappings().forms[0].replace);
}

/// Every user and host name of `usage`, lower-cased.
fn names_of(usage: &Usage) -> Vec<String> {
    let users = (0..usage.users.len() as u32).map(|id| usage.users.key(id).to_lowercase());
    let hosts = usage.hosts.names().map(str::to_lowercase);
    users.chain(hosts).filter(|n| !n.is_empty()).collect()
}

#[test]
fn the_key_file_is_chosen_with_its_button_and_the_export_names_nobody() {
    let dir = std::env::temp_dir().join(format!("tokenplan-gui-keyfile-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("names.key");
    let path = dir.join("reassignment.csv");
    let mut h = harness_with(AppOptions {
        today: Some(today()),
        ..AppOptions::default()
    });
    step_until(&mut h, "the sample's plan", |app| {
        !app.is_busy() && app.plan_is_current()
    });
    // Where no file dialog can run, "Key file…" asks in the path prompt.
    h.state_mut().push_command(Command::SetTypePaths(true));
    h.run();
    h.get_by_role_and_label(Role::Button, "Crossover").click();
    h.run();
    h.get_by_role_and_label(Role::CheckBox, crossover_view::PSEUDONYMISE)
        .click();
    h.run();
    h.get_by_role_and_label(Role::Button, crossover_view::CHOOSE_KEY_FILE)
        .click();
    h.run();
    h.get_by_label("Key file of the pseudonyms");
    let field = h.get_by_label(prompt_view::PATH);
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label(prompt_view::PATH)
        .type_text(&key.display().to_string());
    h.run();
    h.get_by_role_and_label(Role::Button, "Use").click();
    h.run();
    assert!(h.state().path_prompt().is_none());
    // The field shows the key file chosen.
    assert_eq!(
        h.get_by_role_and_label(Role::TextInput, crossover_view::KEY_FILE)
            .value()
            .as_deref(),
        key.to_str()
    );
    assert!(!key.exists(), "the key is made on first use, not before");

    h.state_mut().push_command(Command::ExportReassignment {
        path: Some(path.clone()),
        rows: ExportRows::All,
    });
    h.run();
    let written = std::fs::read_to_string(&path).unwrap();
    // The key was created, private to its owner, and is remembered.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(tokenplan::privacy::Key::load(&key).is_ok());
    assert_eq!(h.state().prefs().key_file.as_deref(), Some(key.as_path()));

    // No user or host name of the input is in the file: no field is one,
    // and no name is inside any text (names made of hex digits alone could
    // be part of a pseudonym by chance, so those are checked as fields).
    let names = names_of(&h.state().workspace().usage);
    assert!(names.len() > 100, "{} names", names.len());
    let lower = written.to_lowercase();
    let mut rows = 0;
    for line in lower.lines().skip(1) {
        // A user's row starts with the user's pseudonym; the totals after
        // them with their label.
        let user = line.split(',').next().unwrap();
        if user.starts_with("u-") {
            assert_eq!(user.len(), 14, "{line}");
            rows += 1;
        }
        for field in line.split(',') {
            assert!(!names.iter().any(|n| n == field), "{field} in {line}");
        }
    }
    assert_eq!(rows, 197);
    let hex = |n: &str| n.chars().all(|c| c.is_ascii_hexdigit() || c == '-');
    for n in names.iter().filter(|n| !hex(n)) {
        assert!(!lower.contains(n.as_str()), "{n} is left in the export");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
