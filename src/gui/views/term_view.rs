//! The Term view (SPEC §8): the contract term year by year against
//! renewing today's seats as they are — the answer in a sentence, the
//! warnings it rests on, KPI cards (NPV of each, the saving), a stacked
//! column per year for each plan, the year-by-year table with totals and
//! the seats of every subscription. Every figure's hover says what it is
//! made of. Everything is drawn from [`TermData`], built by the Term job.

use egui::{RichText, Ui};

use crate::gui::charts;
use crate::gui::model::term::{TermData, TermTable};
use crate::gui::views::banner_ui;
use crate::gui::views::freshness::{FROM_BEFORE, Freshness, Words, freshness_ui};
use crate::gui::views::table::{Cell, Look, grid_ui};

/// The view's heading.
pub const HEADING: &str = "The contract term";

const WORDS: Words = Words {
    failed: "The term could not be planned",
    running: "Planning the term year by year… (progress and Cancel in the status bar)",
    stale: FROM_BEFORE,
};

/// Draws the Term view; `fresh` says whether a Term job failed, runs, or
/// the inputs changed since `data` was computed.
pub fn term_ui(ui: &mut Ui, data: Option<&TermData>, fresh: &Freshness<'_>) {
    ui.heading(HEADING);
    freshness_ui(ui, fresh, data.is_some(), &WORDS);
    let Some(d) = data else {
        if !fresh.running && fresh.error.is_none() {
            ui.label("The term is planned once the data is metered under a valid scenario.");
        }
        return;
    };
    for w in &d.warnings {
        banner_ui(ui, w);
    }
    ui.add(egui::Label::new(RichText::new(&d.headline).strong().size(15.0)).wrap());
    ui.weak(&d.basis);
    ui.weak(&d.method);
    ui.horizontal_wrapped(|ui| {
        for (title, value, hover) in &d.kpis {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.vertical(|ui| {
                    ui.weak(*title);
                    ui.label(RichText::new(value).size(20.0).strong())
                        .on_hover_text(hover);
                });
            });
        }
    });

    ui.add_space(8.0);
    ui.heading("Cost per year");
    ui.weak(
        "Each year's column for the term plan, and beside it in a lighter shade for renewing as-is. \
         Hover a part to see what it is made of.",
    );
    charts::term::term_chart_ui(ui, &d.chart, &d.currency);

    ui.add_space(8.0);
    ui.heading("Year by year");
    cells_ui(ui, "term_years", &d.years, "No contract years.");

    ui.add_space(8.0);
    ui.heading("Seats by subscription");
    cells_ui(ui, "term_seats", &d.seats, "No seats in any year.");
}

/// A table whose every cell may carry its own hover.
fn cells_ui(ui: &mut Ui, id: &str, table: &TermTable, empty: &str) {
    if table.rows.is_empty() {
        ui.weak(empty);
        return;
    }
    let look = Look {
        max_rows: 30,
        ..Look::new(id, &table.header, &table.hovers)
    };
    let _ = grid_ui(
        ui,
        &look,
        table.rows.len(),
        |i| i,
        |r, c| {
            let Some(cell) = table.rows.get(r).and_then(|row| row.get(c)) else {
                return Cell::text("");
            };
            let text = Cell::text(cell.text.as_str());
            if cell.hover.is_empty() {
                text
            } else {
                text.hover(cell.hover.as_str())
            }
        },
    );
}
