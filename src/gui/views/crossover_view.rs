//! The Crossover view: per product, how many days a year users are forecast
//! to use it against the days above which each covering subscription pays
//! off; and the user table (current vs recommended plan) with filters, sort
//! and the reassignment-list export.

use egui::{Align, Layout, Response, RichText, Ui};

use crate::gui::charts;
use crate::gui::command::{Command, Commands};
use crate::gui::model::plan::{PlanData, ProductChart, UserRow};
use crate::gui::model::plan_table::{Column, PlanUi};
use crate::gui::views::fields::code_menu_ui;
use crate::gui::views::freshness::{Freshness, REPLANNING, freshness_ui};

/// Height of a table row, points.
const ROW_HEIGHT_PT: f32 = 20.0;

/// Column widths of the user table, points, in [`Column::ALL`] order.
const WIDTHS_PT: [f32; 8] = [70.0, 100.0, 110.0, 120.0, 230.0, 110.0, 120.0, 100.0];

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
    egui::Grid::new("crossover_table")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            for h in [
                "Subscription",
                "Tokens per day",
                "Pays off above days/yr",
                "Days/month",
            ] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for c in rows {
                ui.label(&c.subscription);
                ui.label(&c.rate);
                ui.label(&c.per_year);
                ui.label(&c.per_month);
                ui.end_row();
            }
        });
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
        filter_ui(
            ui,
            "Department",
            "crossover.department",
            &mut state.filter.department,
            &plan.departments,
        );
        filter_ui(
            ui,
            "Uses product",
            "crossover.uses",
            &mut state.filter.product,
            &plan.product_codes,
        );
        filter_ui(
            ui,
            "Recommended plan",
            "crossover.plan",
            &mut state.filter.plan,
            &plan.plans,
        );
        ui.label(format!(
            "{} of {} users",
            state.visible().len(),
            plan.users.len()
        ));
        if ui
            .add_enabled(!stale, egui::Button::new("Export reassignment list…"))
            .on_hover_text(
                "Current plan, recommended plan, forecast days, costs and saving per user, as CSV.",
            )
            .on_disabled_hover_text("Wait for the plan of the current inputs.")
            .clicked()
        {
            cmds.push(Command::ExportReassignment(None));
        }
    });
}

/// A fixed-width table cell.
fn cell(
    ui: &mut Ui,
    width_pt: f32,
    right: bool,
    add: impl FnOnce(&mut Ui) -> Response,
) -> Response {
    let layout = if right {
        Layout::right_to_left(Align::Center)
    } else {
        Layout::left_to_right(Align::Center)
    };
    ui.allocate_ui_with_layout(egui::vec2(width_pt, ROW_HEIGHT_PT), layout, |ui| {
        ui.set_min_width(width_pt);
        ui.set_max_width(width_pt);
        add(ui)
    })
    .inner
}

fn text_cell(ui: &mut Ui, width_pt: f32, right: bool, text: &str) -> Response {
    cell(ui, width_pt, right, |ui| {
        ui.add(egui::Label::new(text).truncate())
    })
}

fn is_figure(c: Column) -> bool {
    matches!(
        c,
        Column::Days | Column::CurrentCost | Column::RecommendedCost | Column::Saving
    )
}

fn user_table_ui(ui: &mut Ui, plan: &PlanData, state: &mut PlanUi) {
    ui.horizontal(|ui| {
        for (c, w) in Column::ALL.into_iter().zip(WIDTHS_PT) {
            let arrow = match (state.sort == c, state.ascending) {
                (false, _) => "",
                (true, true) => " asc",
                (true, false) => " desc",
            };
            let text = format!("{}{arrow}", c.label());
            let clicked = cell(ui, w, is_figure(c), |ui| {
                ui.add(egui::Button::new(RichText::new(text).strong()).frame(false))
                    .on_hover_text("Sort by this column; click again to reverse")
            })
            .clicked();
            if clicked {
                state.sort_by(c);
            }
        }
    });
    ui.separator();
    let rows = state.visible();
    egui::ScrollArea::vertical()
        .id_salt("crossover_users")
        .auto_shrink([false, false])
        .show_rows(ui, ROW_HEIGHT_PT, rows.len(), |ui, range| {
            for &i in rows.get(range).unwrap_or_default() {
                let Some(row) = plan.users.get(i) else {
                    continue;
                };
                ui.horizontal(|ui| row_ui(ui, row, &plan.currency));
            }
        });
}

fn row_ui(ui: &mut Ui, row: &UserRow, currency: &str) {
    let [w_user, w_dept, w_cur, w_rec, w_days, w_cc, w_rc, w_save] = WIDTHS_PT;
    text_cell(ui, w_user, false, &row.user);
    text_cell(ui, w_dept, false, &row.department);
    text_cell(ui, w_cur, false, &row.current_plan);
    text_cell(ui, w_rec, false, &row.recommended_plan);
    text_cell(ui, w_days, false, &row.days_text).on_hover_ui(|ui| {
        ui.label(&row.days_hover);
    });
    let [cur, rec, save] = &row.cost_texts;
    text_cell(ui, w_cc, true, cur).on_hover_ui(|ui| {
        ui.label(&row.cost_hovers[0]);
    });
    text_cell(ui, w_rc, true, rec).on_hover_ui(|ui| {
        ui.label(&row.cost_hovers[1]);
    });
    text_cell(ui, w_save, true, save).on_hover_ui(|ui| {
        ui.label(format!("{cur} − {rec} = {save} {currency} a year"));
    });
}
