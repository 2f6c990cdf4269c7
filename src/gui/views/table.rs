//! Tables drawn from cached rows, one widget for every table of the app:
//!
//! - sized to their rows: a table of 3 rows is 3 rows high; a long one
//!   shows [`MAX_ROWS`] and says how many more scroll, and only the visible
//!   rows are laid out, so thousands of rows cost what fits on the screen;
//! - columns fill the width they are given (each in proportion to its
//!   content) and can be resized by dragging the line after a title
//!   (double-click it to fit again); the widths a user set are kept in
//!   egui's memory, view state only;
//! - every title has a hover saying what the column is; a sortable table's
//!   titles are buttons that report the click (the caller keeps the order,
//!   see `model::table::TableSorts`), the sorted one marked ▲ or ▼;
//! - a cell can carry its own hover (what a figure is made of) or be a
//!   button (the Mix view's seat rows open their product's crossover).

use std::borrow::Cow;

use egui::{Align, Color32, Id, Layout, Response, RichText, Sense, Ui, vec2};

use crate::gui::fmt;
use crate::gui::model::Table;
use crate::gui::model::table::TableSorts;

/// Rows shown before the table scrolls.
pub const MAX_ROWS: usize = 14;

/// Widest a column grows on its own, points (longer text is cut, whole on
/// hover).
const MAX_NATURAL_PT: f32 = 420.0;

/// Narrowest a column may be dragged, points.
const MIN_COLUMN_PT: f32 = 28.0;

/// Width of the drag handle between two columns, points.
const HANDLE_PT: f32 = 8.0;

/// Rows measured for the natural widths (the first ones shown).
const MEASURED_ROWS: usize = 120;

/// How a table looks and behaves.
pub struct Look<'a> {
    /// Unique id (also the salt of its scroll areas and widths).
    pub id: &'a str,
    /// Column titles.
    pub header: &'a [&'a str],
    /// What each column is, shown on its title (may be shorter).
    pub hovers: &'a [&'a str],
    /// The column sorted by and whether ascending, when sorted.
    pub sort: Option<(usize, bool)>,
    /// Titles are buttons that sort.
    pub sortable: bool,
    /// Rows shown before scrolling.
    pub max_rows: usize,
}

impl<'a> Look<'a> {
    /// A plain table: not sortable, [`MAX_ROWS`] high at most.
    pub fn new(id: &'a str, header: &'a [&'a str], hovers: &'a [&'a str]) -> Look<'a> {
        Look {
            id,
            header,
            hovers,
            sort: None,
            sortable: false,
            max_rows: MAX_ROWS,
        }
    }
}

/// One cell.
pub struct Cell<'a> {
    /// What it shows.
    pub text: Cow<'a, str>,
    /// What it is made of, on hover.
    pub hover: Option<Cow<'a, str>>,
    /// Drawn as a button; its click is reported.
    pub button: bool,
    /// Right-aligned (figures).
    pub right: bool,
}

impl<'a> Cell<'a> {
    /// A text cell; figures (cells that start with a digit or a sign) are
    /// right-aligned.
    pub fn text(text: impl Into<Cow<'a, str>>) -> Cell<'a> {
        let text = text.into();
        let right = is_figure(&text);
        Cell {
            text,
            hover: None,
            button: false,
            right,
        }
    }

    /// The same cell with `hover`.
    pub fn hover(mut self, hover: impl Into<Cow<'a, str>>) -> Cell<'a> {
        self.hover = Some(hover.into());
        self
    }

    /// A button cell.
    pub fn button(text: impl Into<Cow<'a, str>>) -> Cell<'a> {
        Cell {
            text: text.into(),
            hover: None,
            button: true,
            right: false,
        }
    }
}

/// True for a figure: a number, money or a percentage (`1,690.20 USD`,
/// `94.55%`, `+2`), not a date or a name that starts with a digit.
pub fn is_figure(text: &str) -> bool {
    let mut words = text.split(' ');
    let number = words.next().unwrap_or("");
    let unit = words.next();
    let digits = number
        .trim_start_matches(['+', '-', '−'])
        .trim_end_matches('%');
    let numeric = !digits.is_empty()
        && digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == ',' || c == '.');
    // A currency code or `tokens` may follow, nothing else.
    let unit_ok = unit.is_none_or(|u| {
        u == "tokens" || (u.len() <= 4 && u.chars().all(|c| c.is_ascii_uppercase()))
    });
    numeric && unit_ok && words.next().is_none()
}

/// What the user clicked in a table this frame.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clicked {
    /// A sortable title, by column.
    pub header: Option<usize>,
    /// A button cell, by row (as given to the cell function).
    pub button: Option<usize>,
}

/// The widths of one table, in egui's memory.
#[derive(Clone, Debug, Default)]
struct Widths {
    /// Widths of the titles and the cells, points, measured for
    /// `fingerprint`.
    natural: Vec<f32>,
    /// Widths of the cells alone (a title may be cut, a figure not).
    content: Vec<f32>,
    /// Columns whose first cell is a figure (titles aligned right too).
    right: Vec<bool>,
    /// What they were measured for.
    fingerprint: u64,
    /// Widths the user set by dragging.
    user: Option<Vec<f32>>,
}

/// Draws a table of `rows` rows (in the order `row_at` gives: shown row
/// `i` is row `row_at(i)`), each cell from `cell(row, column)`.
pub fn grid_ui<'c>(
    ui: &mut Ui,
    look: &Look<'_>,
    rows: usize,
    row_at: impl Fn(usize) -> usize,
    cell: impl Fn(usize, usize) -> Cell<'c>,
) -> Clicked {
    let mut clicked = Clicked::default();
    let cols = look.header.len();
    if cols == 0 {
        return clicked;
    }
    let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
    let (widths, right) = widths(ui, look, rows, &row_at, &cell);
    let total: f32 = widths.iter().sum::<f32>() + HANDLE_PT * cols as f32;
    egui::ScrollArea::horizontal()
        .id_salt((look.id, "h"))
        .auto_shrink([false, true])
        .show(ui, |ui| {
            ui.set_min_width(total);
            clicked.header = header_ui(ui, look, &widths, &right, row_h);
            let shown = rows.min(look.max_rows.max(1));
            ui.scope(|ui| {
                ui.spacing_mut().item_spacing.y = 0.0;
                egui::ScrollArea::vertical()
                    .id_salt((look.id, "v"))
                    .max_height(shown as f32 * row_h)
                    .auto_shrink([false, true])
                    .show_rows(ui, row_h, rows, |ui, range| {
                        for i in range {
                            let row = row_at(i);
                            if i % 2 == 1 {
                                let rect =
                                    egui::Rect::from_min_size(ui.cursor().min, vec2(total, row_h));
                                ui.painter()
                                    .rect_filled(rect, 0.0, ui.visuals().faint_bg_color);
                            }
                            ui.horizontal(|ui| {
                                ui.spacing_mut().item_spacing.x = 0.0;
                                for (c, w) in widths.iter().enumerate() {
                                    if cell_ui(ui, *w, row_h, cell(row, c)).clicked() {
                                        clicked.button = Some(row);
                                    }
                                    ui.add_space(HANDLE_PT);
                                }
                            });
                        }
                    });
            });
        });
    if rows > look.max_rows {
        ui.weak(format!(
            "Showing {} of {} rows: scroll the table for the rest.",
            look.max_rows,
            fmt::count(rows as u64)
        ));
    }
    clicked
}

/// Draws a model [`Table`] with its header hovers, sortable through
/// `sorts` (its click is returned for the caller to apply), or in its own
/// order; `empty` is said when it has no rows.
pub fn table_ui(
    ui: &mut Ui,
    id: &str,
    table: &Table,
    sorts: Option<&TableSorts>,
    empty: &str,
) -> Option<usize> {
    if table.rows.is_empty() {
        ui.weak(empty);
        return None;
    }
    let order = sorts.and_then(|s| s.order(id));
    let sort = sorts
        .and_then(|s| s.get(id))
        .filter(|_| order.is_some())
        .map(|s| (s.column, s.ascending));
    let look = Look {
        sort,
        sortable: sorts.is_some(),
        ..Look::new(id, &table.header, &table.hovers)
    };
    let at = |i: usize| order.and_then(|o| o.get(i).copied()).unwrap_or(i);
    let clicked = grid_ui(ui, &look, table.rows.len(), at, |r, c| {
        let text = table
            .rows
            .get(r)
            .and_then(|row| row.get(c))
            .map_or("", String::as_str);
        Cell::text(text)
    });
    clicked.header
}

/// The titles; returns the sortable title clicked.
fn header_ui(
    ui: &mut Ui,
    look: &Look<'_>,
    widths: &[f32],
    right: &[bool],
    row_h: f32,
) -> Option<usize> {
    let mut clicked = None;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 0.0;
        for (c, w) in widths.iter().enumerate() {
            let title = look.header.get(c).copied().unwrap_or("");
            let arrow = match look.sort {
                Some((col, true)) if col == c => " ▲",
                Some((col, false)) if col == c => " ▼",
                _ => "",
            };
            let hover = look.hovers.get(c).copied().filter(|h| !h.is_empty());
            let text = RichText::new(format!("{title}{arrow}")).strong();
            let align_right = right.get(c).copied().unwrap_or(false);
            let response = fixed(ui, *w, row_h, align_right, |ui| {
                if look.sortable {
                    ui.add(egui::Button::new(text).frame(false).truncate())
                } else {
                    ui.add(egui::Label::new(text).truncate())
                }
            });
            let response = match (hover, look.sortable) {
                (Some(h), true) => {
                    response.on_hover_text(format!("{h}\nClick to sort by it; again to reverse."))
                }
                (Some(h), false) => response.on_hover_text(h),
                (None, true) => {
                    response.on_hover_text("Click to sort by this column; again to reverse.")
                }
                (None, false) => response,
            };
            if look.sortable && response.clicked() {
                clicked = Some(c);
            }
            handle_ui(ui, look.id, c, title, widths, row_h);
        }
    });
    ui.separator();
    clicked
}

/// The drag handle after column `c`: dragging sets the user's widths,
/// double-clicking fits the columns again.
fn handle_ui(ui: &mut Ui, id: &str, c: usize, title: &str, widths: &[f32], row_h: f32) {
    let (rect, response) = ui.allocate_exact_size(vec2(HANDLE_PT, row_h), Sense::click_and_drag());
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Splitter, true, format!("Resize column {title}"))
    });
    let response = response.on_hover_cursor(egui::CursorIcon::ResizeColumn);
    let stroke = if response.hovered() || response.dragged() {
        ui.visuals().widgets.hovered.fg_stroke
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    ui.painter().vline(rect.center().x, rect.y_range(), stroke);
    let key = Id::unique(("tokenplan-table-widths", id));
    if response.double_clicked() {
        ui.data_mut(|d| d.get_temp_mut_or_default::<Widths>(key).user = None);
    } else if response.dragged() {
        let dx = response.drag_delta().x;
        ui.data_mut(|d| {
            let w = d.get_temp_mut_or_default::<Widths>(key);
            let mut user = w.user.clone().unwrap_or_else(|| widths.to_vec());
            if let Some(x) = user.get_mut(c) {
                *x = (*x + dx).max(MIN_COLUMN_PT);
            }
            w.user = Some(user);
        });
    }
}

/// Draws one cell in a `width` × `height` box.
fn cell_ui(ui: &mut Ui, width: f32, height: f32, cell: Cell<'_>) -> Response {
    let Cell {
        text,
        hover,
        button,
        right,
    } = cell;
    let response = fixed(ui, width, height, right, |ui| {
        if button {
            ui.add(egui::Button::new(text.as_ref()).small())
        } else {
            ui.add(egui::Label::new(text.as_ref()).truncate())
        }
    });
    match hover {
        Some(h) => response.on_hover_text(h.as_ref()),
        None => response,
    }
}

/// `add` in a box of exactly `width` × `height`, left or right aligned.
fn fixed(
    ui: &mut Ui,
    width: f32,
    height: f32,
    right: bool,
    add: impl FnOnce(&mut Ui) -> Response,
) -> Response {
    let layout = if right {
        Layout::right_to_left(Align::Center)
    } else {
        Layout::left_to_right(Align::Center)
    };
    ui.allocate_ui_with_layout(vec2(width, height), layout, |ui| {
        ui.set_min_width(width);
        ui.set_max_width(width);
        ui.add_space(2.0);
        add(ui)
    })
    .inner
}

/// The widths to draw and which columns are figures: the user's widths
/// when set, else the content's, grown in proportion to fill the width
/// available, or shrunk toward the cells' own widths (titles cut, whole on
/// hover) when it is too narrow.
fn widths<'c>(
    ui: &mut Ui,
    look: &Look<'_>,
    rows: usize,
    row_at: &impl Fn(usize) -> usize,
    cell: &impl Fn(usize, usize) -> Cell<'c>,
) -> (Vec<f32>, Vec<bool>) {
    let cols = look.header.len();
    let key = Id::unique(("tokenplan-table-widths", look.id));
    let fingerprint = fingerprint(look, rows, row_at, cell);
    let mut w: Widths = ui.data(|d| d.get_temp(key)).unwrap_or_default();
    if w.fingerprint != fingerprint || w.natural.len() != cols {
        (w.natural, w.content) = natural(ui, look, rows, row_at, cell);
        w.right = (0..cols)
            .map(|c| rows > 0 && cell(row_at(0), c).right)
            .collect();
        w.fingerprint = fingerprint;
        if w.user.as_ref().is_some_and(|u| u.len() != cols) {
            w.user = None;
        }
        ui.data_mut(|d| d.insert_temp(key, w.clone()));
    }
    let right = w.right.clone();
    if let Some(user) = w.user {
        return (user, right);
    }
    let room = ui.available_width() - HANDLE_PT * cols as f32 - 4.0;
    (fit(&w.natural, &w.content, room), right)
}

/// `natural` widths fitted to `room`: grown in proportion when there is
/// more, shrunk toward `content` (never below) when there is less.
fn fit(natural: &[f32], content: &[f32], room: f32) -> Vec<f32> {
    let sum: f32 = natural.iter().sum();
    if sum <= 0.0 {
        return natural.to_vec();
    }
    if sum <= room {
        let grow = room / sum;
        return natural.iter().map(|x| x * grow).collect();
    }
    let floor: f32 = content.iter().sum();
    let slack = sum - floor;
    let k = if slack > 0.0 {
        ((room - floor) / slack).clamp(0.0, 1.0)
    } else {
        0.0
    };
    natural
        .iter()
        .zip(content)
        .map(|(n, c)| c + (n - c) * k)
        .collect()
}

/// What the widths were measured for: the shape of the table and the text
/// of its first and last rows.
fn fingerprint<'c>(
    look: &Look<'_>,
    rows: usize,
    row_at: &impl Fn(usize) -> usize,
    cell: &impl Fn(usize, usize) -> Cell<'c>,
) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (rows, look.header).hash(&mut h);
    for i in [0, rows.saturating_sub(1)] {
        if i < rows {
            for c in 0..look.header.len() {
                cell(row_at(i), c).text.hash(&mut h);
            }
        }
    }
    h.finish()
}

/// The width each column needs: with its title (and room for the sort
/// mark), and for its first rows' cells alone.
fn natural<'c>(
    ui: &Ui,
    look: &Look<'_>,
    rows: usize,
    row_at: &impl Fn(usize) -> usize,
    cell: &impl Fn(usize, usize) -> Cell<'c>,
) -> (Vec<f32>, Vec<f32>) {
    let body = egui::TextStyle::Body.resolve(ui.style());
    let pad = ui.spacing().button_padding.x * 2.0 + 8.0;
    let measure = |text: &str| {
        ui.ctx().fonts_mut(|f| {
            f.layout_no_wrap(text.to_owned(), body.clone(), Color32::WHITE)
                .size()
                .x
        })
    };
    (0..look.header.len())
        .map(|c| {
            let title = look.header.get(c).copied().unwrap_or("");
            let mut content = 0.0f32;
            for i in 0..rows.min(MEASURED_ROWS) {
                let cell = cell(row_at(i), c);
                let extra = if cell.button { pad } else { 0.0 };
                content = content.max(measure(&cell.text) + extra);
            }
            let titled = content.max(measure(&format!("{title} ▼")));
            (
                (titled + pad).clamp(MIN_COLUMN_PT, MAX_NATURAL_PT),
                (content + pad).clamp(MIN_COLUMN_PT, MAX_NATURAL_PT),
            )
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_grow_to_the_room_or_shrink_toward_the_cells() {
        // Room for more: each grows in proportion (100 + 300 = 400 → 800).
        assert_eq!(fit(&[100.0, 300.0], &[50.0, 300.0], 800.0), [200.0, 600.0]);
        // Too narrow: only the title slack (50 of the first) gives way.
        assert_eq!(fit(&[100.0, 300.0], &[50.0, 300.0], 375.0), [75.0, 300.0]);
        // Narrower than the cells: the cells' widths (the table scrolls).
        assert_eq!(fit(&[100.0, 300.0], &[50.0, 300.0], 200.0), [50.0, 300.0]);
    }

    #[test]
    fn figures_are_told_from_words() {
        for figure in ["1,690.20 USD", "94.55%", "-13.00", "+2", "6"] {
            assert!(is_figure(figure), "{figure}");
        }
        for text in [
            "u00018",
            "New York",
            "2026-01-01 to 2026-12-31",
            "2025-10-03",
            "3ds Max",
            "Year 1 (2026)",
            "never",
            "",
        ] {
            assert!(!is_figure(text), "{text}");
        }
    }
}
