//! A table of text cells drawn from cached rows: the header stays on top
//! while the rows scroll, and only the visible rows are laid out, so a
//! table of thousands of charges costs what fits on the screen.

use egui::{RichText, Ui};

use crate::gui::model::Table;

/// Height of a table's scrolling body, points.
const BODY_HEIGHT_PT: f32 = 260.0;

/// Draws `table` under the id `id`; `empty` is said when it has no rows.
pub fn table_ui(ui: &mut Ui, id: &str, table: &Table, empty: &str) {
    if table.rows.is_empty() {
        ui.weak(empty);
        return;
    }
    let row_height = ui.text_style_height(&egui::TextStyle::Body);
    let n = table.rows.len();
    egui::ScrollArea::both()
        .id_salt(id)
        .max_height(BODY_HEIGHT_PT)
        .auto_shrink([false, true])
        // One row more than the table has: the header takes the place of the
        // first visible row.
        .show_rows(ui, row_height, n + 1, |ui, range| {
            let shown = range.start..range.end.saturating_sub(1).min(n);
            egui::Grid::new(id)
                .striped(true)
                .num_columns(table.header.len())
                .show(ui, |ui| {
                    for h in &table.header {
                        ui.label(RichText::new(*h).strong());
                    }
                    ui.end_row();
                    for row in table.rows.get(shown).unwrap_or_default() {
                        for cell in row {
                            ui.label(cell);
                        }
                        ui.end_row();
                    }
                });
        });
    if n > 1 {
        ui.weak(format!("{} rows", crate::gui::fmt::count(n as u64)));
    }
}
