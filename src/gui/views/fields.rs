//! Labelled form fields for the scenario editor: every input has a visible
//! label it is announced by (`labelled_by`), and the validation messages of
//! its field path shown right under it.
//!
//! Decimal and date fields keep the text being typed in egui's temporary
//! memory, so a half-typed `12.` is not lost; the model only changes when the
//! text parses.

use chrono::NaiveDate;
use egui::{Color32, Response, RichText, Ui};
use rust_decimal::Decimal;

use crate::gui::model::scenario_check::ScenarioCheck;

/// Width of value inputs, points.
const INPUT_WIDTH_PT: f32 = 160.0;

/// A form over one scenario: knows its validation messages and whether
/// anything was edited this frame.
pub struct Form<'a> {
    check: &'a ScenarioCheck,
    /// True once any field changed this frame.
    pub changed: bool,
}

impl<'a> Form<'a> {
    /// A form showing the messages of `check`.
    pub fn new(check: &'a ScenarioCheck) -> Self {
        Form {
            check,
            changed: false,
        }
    }

    /// The validation messages of `path`, in red.
    pub fn errors(&self, ui: &mut Ui, path: &str) {
        for message in self.check.at(path) {
            ui.label(RichText::new(message.clone()).color(error_color(ui)));
        }
    }

    fn row(
        &mut self,
        ui: &mut Ui,
        label: &str,
        path: &str,
        add: impl FnOnce(&mut Ui) -> Response,
    ) -> Response {
        let response = ui
            .scope_builder(stable_ids(path), |ui| {
                ui.horizontal(|ui| {
                    let l = ui.label(label);
                    add(ui).labelled_by(l.id)
                })
                .inner
            })
            .inner;
        if response.changed() {
            self.changed = true;
        }
        self.errors(ui, path);
        response
    }

    /// A one-line text.
    pub fn text(&mut self, ui: &mut Ui, label: &str, value: &mut String, path: &str) -> Response {
        self.row(ui, label, path, |ui| {
            ui.add(egui::TextEdit::singleline(value).desired_width(INPUT_WIDTH_PT))
        })
    }

    /// A whole number.
    pub fn number<N: egui::emath::Numeric>(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut N,
        path: &str,
    ) -> Response {
        self.row(ui, label, path, |ui| {
            ui.add(egui::DragValue::new(value).speed(1.0))
        })
    }

    /// An exact decimal, typed as text.
    pub fn decimal(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut Decimal,
        path: &str,
    ) -> Response {
        let mut bad = false;
        let response = self.row(ui, label, path, |ui| {
            let (response, parsed) = parsed_text(ui, path, *value, ToString::to_string, |s| {
                s.trim().parse::<Decimal>().ok()
            });
            match parsed {
                Some(Some(v)) if v != *value => *value = v,
                Some(None) => bad = true,
                _ => {}
            }
            response
        });
        if bad {
            ui.label(
                RichText::new("not a decimal number; the last valid value is used")
                    .color(error_color(ui)),
            );
        }
        response
    }

    /// A date, `YYYY-MM-DD`.
    pub fn date(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut NaiveDate,
        path: &str,
    ) -> Response {
        let mut bad = false;
        let response = self.row(ui, label, path, |ui| {
            let (response, parsed) = parsed_text(ui, path, *value, ToString::to_string, |s| {
                NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
            });
            match parsed {
                Some(Some(v)) if v != *value => *value = v,
                Some(None) => bad = true,
                _ => {}
            }
            response
        });
        if bad {
            ui.label(
                RichText::new("not a date (YYYY-MM-DD); the last valid value is used")
                    .color(error_color(ui)),
            );
        }
        response
    }

    /// A list of codes typed comma separated.
    pub fn list(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut Vec<String>,
        path: &str,
    ) -> Response {
        self.row(ui, label, path, |ui| {
            let (response, parsed) = parsed_text(
                ui,
                path,
                value.clone(),
                |v| v.join(", "),
                |s| {
                    Some(
                        s.split(',')
                            .map(str::trim)
                            .filter(|c| !c.is_empty())
                            .map(str::to_owned)
                            .collect(),
                    )
                },
            );
            if let Some(Some(v)) = parsed
                && v != *value
            {
                *value = v;
            }
            response
        })
    }

    /// An optional whole number: a checkbox says whether it is set.
    pub fn opt_number(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut Option<u32>,
        default_note: &str,
        path: &str,
    ) {
        self.optional(ui, label, value, default_note, path, |ui, v| {
            ui.add(egui::DragValue::new(v).speed(1.0))
        });
    }

    /// An optional text: a checkbox says whether it is set.
    pub fn opt_text(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut Option<String>,
        default_note: &str,
        path: &str,
    ) {
        self.optional(ui, label, value, default_note, path, |ui, v| {
            ui.add(egui::TextEdit::singleline(v).desired_width(INPUT_WIDTH_PT))
        });
    }

    /// An optional value: a checkbox (named `label`) says whether it is set,
    /// `input` edits it when it is (named by the checkbox), `default_note`
    /// says what applies when it is not. Setting it starts from the default
    /// value of `T`.
    fn optional<T: Default>(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut Option<T>,
        default_note: &str,
        path: &str,
        input: impl FnOnce(&mut Ui, &mut T) -> Response,
    ) {
        let response = ui
            .scope_builder(stable_ids(path), |ui| {
                ui.horizontal(|ui| {
                    let mut set = value.is_some();
                    let check = ui.checkbox(&mut set, label);
                    let mut changed = check.changed();
                    if changed {
                        *value = set.then(T::default);
                    }
                    match value {
                        Some(v) => changed |= input(ui, v).labelled_by(check.id).changed(),
                        None => {
                            ui.weak(default_note);
                        }
                    }
                    changed
                })
                .inner
            })
            .inner;
        self.changed |= response;
        self.errors(ui, path);
    }

    /// An optional decimal: a checkbox says whether it is set.
    pub fn opt_decimal(
        &mut self,
        ui: &mut Ui,
        label: &str,
        value: &mut Option<Decimal>,
        default_note: &str,
        path: &str,
    ) {
        let mut set = value.is_some();
        let check = ui.checkbox(&mut set, label);
        if check.changed() {
            *value = set.then_some(Decimal::ZERO);
            self.changed = true;
        }
        match value {
            Some(v) => {
                self.decimal(ui, &format!("{label}:"), v, path);
            }
            None => {
                ui.weak(default_note);
                self.errors(ui, path);
            }
        }
    }
}

/// A text input for a value of type `T` parsed by `parse`: returns the
/// response and, when the text was edited, what it parsed to.
fn parsed_text<T: Clone + PartialEq + Send + Sync + 'static>(
    ui: &mut Ui,
    path: &str,
    value: T,
    show: impl Fn(&T) -> String,
    parse: impl Fn(&str) -> Option<T>,
) -> (Response, Option<Option<T>>) {
    let id = egui::Id::unique(("tokenplan-field", path));
    // The text typed is kept with the value it was typed for: when the value
    // changes elsewhere (a scenario loads), the text starts over from it.
    let mut text = ui
        .data(|d| d.get_temp::<(T, String)>(id))
        .filter(|(v, _)| *v == value)
        .map_or_else(|| show(&value), |(_, t)| t);
    let response = ui.add(egui::TextEdit::singleline(&mut text).desired_width(INPUT_WIDTH_PT));
    let parsed = parse(&text);
    let shown_value = match &parsed {
        Some(v) if response.changed() => v.clone(),
        _ => value,
    };
    let result = response.changed().then(|| parsed.clone());
    // Keep showing bad text until it is fixed.
    let bad_now = parsed.is_none();
    ui.data_mut(|d| d.insert_temp(id, (shown_value, text)));
    let result = match result {
        Some(p) => Some(p),
        None if bad_now => Some(None),
        None => None,
    };
    (response, result)
}

/// A child `Ui` whose widget ids come from the field path, not from the
/// count of widgets drawn before it: a validation message appearing above
/// a field must not take the keyboard focus away from it.
fn stable_ids(path: &str) -> egui::UiBuilder {
    egui::UiBuilder::new().scope_id(egui::Id::unique(("tokenplan-field-ui", path)))
}

/// The colour of validation messages.
pub fn error_color(ui: &Ui) -> Color32 {
    ui.visuals().error_fg_color
}

/// A labelled menu of `code — name` items with `current` shown; picking
/// one writes its code to `picked` (the Crossover view's product, the Mix
/// view's cost curve).
pub fn code_menu_ui(
    ui: &mut Ui,
    label: RichText,
    id: &str,
    current: (&str, &str),
    items: &[(&str, &str)],
    picked: &mut String,
) {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        egui::ComboBox::from_id_salt(id)
            .selected_text(format!("{} — {}", current.0, current.1))
            .show_ui(ui, |ui| {
                for (code, name) in items {
                    if ui
                        .selectable_label(*code == current.0, format!("{code} — {name}"))
                        .clicked()
                    {
                        *picked = (*code).to_owned();
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
}
