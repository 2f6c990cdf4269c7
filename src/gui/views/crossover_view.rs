//! The Crossover view: per product, how many days a year users are forecast
//! to use it against the days above which each covering subscription pays
//! off; and the user table (current vs recommended plan) with filters
//! (department, product, today's plan, recommended plan, moves only), sort
//! and the reassignment-list export of the rows shown or of all rows.

use egui::{RichText, Ui};

use crate::gui::charts;
use crate::gui::command::{Command, Commands, ExportRows};
use crate::gui::fmt;
use crate::gui::model::plan::{PlanData, ProductChart};
use crate::gui::model::plan_table::{Column, PlanUi};
use crate::gui::views::banner_ui;
use crate::gui::views::fields::code_menu_ui;
use crate::gui::views::freshness::{Freshness, REPLANNING, freshness_ui};
use crate::gui::views::table::{Cell, Look, grid_ui};

/// The switch that pseudonymises exports.
pub const PSEUDONYMISE: &str = "Pseudonymise names";
/// The label of the key file's path.
pub const KEY_FILE: &str = "Key file";
/// The button that chooses the key file in a file dialog.
pub const CHOOSE_KEY_FILE: &str = "Key file…";
/// The export menu of the user table.
pub const EXPORT: &str = "Export reassignment list";

/// The filter that keeps only the users whose plan changes.
pub const MOVES_ONLY: &str = "Moves only";

/// What each column of the user table is, in [`Column::ALL`] order.
const HOVERS: [&str; 8] = [
    "The user, as the usage names them",
    "The user's department, from the user directory",
    "The subscriptions the user holds today (tokens: none), from the current assignments",
    "The subscriptions the recommendation gives the user (tokens: none)",
    "Forecast use-days a year per product: the history window's days scaled to a year and grown",
    "What the user's current plan costs a year: its subscriptions plus the tokens for what they leave uncovered",
    "What the recommended plan costs a year, the same way",
    "Current cost − recommended cost: what the move saves a year",
];

/// Draws the Crossover view of `plan`; `fresh` says whether the inputs
/// changed since it was made.
pub fn crossover_ui(
    ui: &mut Ui,
    plan: Option<&PlanData>,
    fresh: &Freshness<'_>,
    state: &mut PlanUi,
    cmds: &mut Commands,
) {
    ui.heading("Subscription or tokens");
    let Some(plan) = plan else {
        ui.label("No plan yet: it is made as soon as the charges are metered.");
        return;
    };
    freshness_ui(ui, fresh, true, &REPLANNING);
    if let Some(w) = &plan.short_window {
        banner_ui(ui, w);
    }
    ui.label(&plan.window);

    let Some(chart) = pick_product(ui, plan, state) else {
        ui.label("No forecast use to show.");
        return;
    };
    ui.label(format!(
        "{} users are forecast to use {} ({}); bars of {} days.",
        chart.users, chart.code, chart.name, chart.bin_days
    ));
    charts::plan::histogram_ui(ui, chart, 220.0);
    crossover_table_ui(ui, plan, &chart.code);

    ui.add_space(6.0);
    ui.heading("Users");
    filters_ui(ui, plan, state, fresh.stale, cmds);
    user_table_ui(ui, plan, state);
}

/// The product selector; the chart of the product picked.
fn pick_product<'a>(
    ui: &mut Ui,
    plan: &'a PlanData,
    state: &mut PlanUi,
) -> Option<&'a ProductChart> {
    let chart = plan
        .products
        .iter()
        .find(|p| p.code == state.product)
        .or_else(|| plan.products.first())?;
    let items: Vec<(&str, &str)> = plan
        .products
        .iter()
        .map(|p| (p.code.as_str(), p.name.as_str()))
        .collect();
    code_menu_ui(
        ui,
        "Product".into(),
        "crossover.product",
        (&chart.code, &chart.name),
        &items,
        &mut state.product,
    );
    Some(chart)
}

fn crossover_table_ui(ui: &mut Ui, plan: &PlanData, product: &str) {
    let rows: Vec<_> = plan
        .crossover
        .iter()
        .filter(|c| c.product == product)
        .collect();
    if rows.is_empty() {
        ui.label(format!(
            "No subscription covers {product}: it is always tokens."
        ));
        return;
    }
    let look = Look::new(
        "crossover_table",
        &[
            "Subscription",
            "Tokens per day",
            "Pays off above days a year",
            "Days a month",
        ],
        &[
            "A subscription covering the product",
            "Tokens one use-day of the product costs (its rate on the contract's start)",
            "Subscription price ÷ (tokens per day × the token price of the recommended plan): above this many use-days a year the seat is cheaper",
            "The same, per month",
        ],
    );
    grid_ui(
        ui,
        &look,
        rows.len(),
        |i| i,
        |r, c| {
            let Some(row) = rows.get(r) else {
                return Cell::text("");
            };
            Cell::text(match c {
                0 => row.subscription.as_str(),
                1 => row.rate.as_str(),
                2 => row.per_year.as_str(),
                _ => row.per_month.as_str(),
            })
        },
    );
}

/// One labelled filter menu: `All` or one of `options`.
fn filter_ui(ui: &mut Ui, label: &str, id: &str, value: &mut Option<String>, options: &[String]) {
    let l = ui.label(label);
    egui::ComboBox::from_id_salt(id)
        .selected_text(value.as_deref().unwrap_or("All"))
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, "All");
            for o in options {
                ui.selectable_value(value, Some(o.clone()), o);
            }
        })
        .response
        .labelled_by(l.id);
}

fn filters_ui(ui: &mut Ui, plan: &PlanData, state: &mut PlanUi, stale: bool, cmds: &mut Commands) {
    ui.horizontal_wrapped(|ui| {
        let f = &mut state.filter;
        filter_ui(
            ui,
            "Department",
            "crossover.department",
            &mut f.department,
            &plan.departments,
        );
        filter_ui(
            ui,
            "Uses product",
            "crossover.uses",
            &mut f.product,
            &plan.product_codes,
        );
        filter_ui(
            ui,
            "Current plan",
            "crossover.current",
            &mut f.current,
            &plan.current_plans,
        );
        filter_ui(
            ui,
            "Recommended plan",
            "crossover.plan",
            &mut f.plan,
            &plan.plans,
        );
        ui.checkbox(&mut f.moves_only, MOVES_ONLY)
            .on_hover_text("Only the users whose recommended plan differs from today's");
    });
    ui.horizontal(|ui| {
        let shown = state.visible().len();
        let all = plan.users.len();
        ui.label(format!("{} of {} users", fmt::count(shown as u64), fmt::count(all as u64)));
        ui.add_enabled_ui(!stale, |ui| {
            ui.menu_button(format!("{EXPORT}…"), |ui| {
                let shown_label = format!("The {} rows shown…", fmt::count(shown as u64));
                if ui
                    .button(shown_label)
                    .on_hover_text("The users the table lists, in its order")
                    .clicked()
                {
                    cmds.push(Command::ExportReassignment {
                        path: None,
                        rows: ExportRows::Shown,
                    });
                }
                if ui
                    .button(format!("All {} rows…", fmt::count(all as u64)))
                    .on_hover_text("Every user, largest saving first, whatever the filters")
                    .clicked()
                {
                    cmds.push(Command::ExportReassignment {
                        path: None,
                        rows: ExportRows::All,
                    });
                }
            })
            .response
            .on_hover_text(
                "Current plan, recommended plan, department, cost centre, forecast days, costs and saving per user, as CSV",
            )
            .on_disabled_hover_text("Wait for the plan of the current inputs.");
        });
        pseudonymise_ui(ui, state, cmds);
    });
}

fn user_table_ui(ui: &mut Ui, plan: &PlanData, state: &mut PlanUi) {
    let header = Column::ALL.map(Column::label);
    let look = Look {
        sort: Column::ALL
            .iter()
            .position(|c| *c == state.sort)
            .map(|i| (i, state.ascending)),
        sortable: true,
        max_rows: 18,
        ..Look::new("crossover_users", &header, &HOVERS)
    };
    let rows = state.visible();
    let currency = &plan.currency;
    let clicked = grid_ui(
        ui,
        &look,
        rows.len(),
        |i| rows.get(i).copied().unwrap_or(usize::MAX),
        |r, c| {
            let Some(row) = plan.users.get(r) else {
                return Cell::text("");
            };
            let [cur, rec, save] = &row.cost_texts;
            match Column::ALL.get(c) {
                Some(Column::User) => Cell::text(row.user.as_str()),
                Some(Column::Department) => Cell::text(row.department.as_str()),
                Some(Column::Current) => Cell::text(row.current_plan.as_str()),
                Some(Column::Recommended) => Cell::text(row.recommended_plan.as_str()),
                Some(Column::Days) => {
                    let mut cell =
                        Cell::text(row.days_text.as_str()).hover(row.days_hover.as_str());
                    cell.right = false;
                    cell
                }
                Some(Column::CurrentCost) => {
                    Cell::text(cur.as_str()).hover(row.cost_hovers[0].as_str())
                }
                Some(Column::RecommendedCost) => {
                    Cell::text(rec.as_str()).hover(row.cost_hovers[1].as_str())
                }
                Some(Column::Saving) | None => Cell::text(save.as_str())
                    .hover(format!("{cur} − {rec} = {save} {currency} a year")),
            }
        },
    );
    let empty = rows.is_empty();
    if let Some(c) = clicked.header.and_then(|i| Column::ALL.get(i)) {
        state.sort_by(*c);
    }
    if empty {
        ui.weak(RichText::new("No user matches the filters."));
    }
}

/// The exports' privacy switch (the reassignment list and the negotiation
/// pack): names replaced by keyed pseudonyms, and the key file they are
/// made with (typed, or chosen with "Key file…").
pub fn pseudonymise_ui(ui: &mut Ui, state: &mut PlanUi, cmds: &mut Commands) {
    ui.checkbox(&mut state.pseudonymise, PSEUDONYMISE)
        .on_hover_text(
            "Every user and host name in the exported file becomes a pseudonym made with your key file; `tokenplan reveal` puts the names back",
        );
    if state.pseudonymise {
        let label = ui.label(KEY_FILE);
        ui.add(
            egui::TextEdit::singleline(&mut state.key_file)
                .hint_text("path of the key file")
                .desired_width(220.0),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "The same key gives the same pseudonyms every time; a new key is created at this path if there is none",
        );
        if ui
            .button(CHOOSE_KEY_FILE)
            .on_hover_text("Choose the key file, or name a new one, in a file dialog")
            .clicked()
        {
            cmds.push(Command::ChooseKeyFile);
        }
    }
}
