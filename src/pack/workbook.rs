//! The negotiation pack as an XLSX workbook (SPEC §9), written with
//! `rust_xlsxwriter`.
//!
//! Sheets: Summary (one printable page: the options and the three
//! break-evens, with the options chart), Options, Term, Sensitivity,
//! Break-even, Reassignment, Crossover, Sizing, Assumptions, Sources.
//! Every figure is a cell of numbers with a number format (money with two
//! places, tokens, percentages, dates as date cells), never text; money
//! converts to `f64` only here, at the edge, as a chart would. Native Excel
//! charts show the options, the term by year and the tornado. Header rows
//! are frozen, column widths fit their contents, and every sheet has a
//! print area.
//!
//! [`to_bytes`] builds the workbook in memory; [`write`] saves it
//! atomically ([`crate::atomic`]).

use std::path::Path;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{
    Chart, ChartAxisLabelPosition, ChartType, Color, ExcelDateTime, Format, FormatAlign,
    FormatBorder, Workbook, Worksheet, XlsxError,
};

use super::Pack;
use super::breakeven::{Crossing, WalkAway};

/// Sheet names, in order.
pub const SHEETS: [&str; 10] = [
    "Summary",
    "Options",
    "Term",
    "Sensitivity",
    "Break-even",
    "Reassignment",
    "Crossover",
    "Sizing",
    "Assumptions",
    "Sources",
];

/// Why the workbook could not be made or saved.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    /// The XLSX writer refused something.
    #[error("workbook: {0}")]
    Xlsx(#[from] XlsxError),
    /// The file could not be written.
    #[error("{path}: cannot write: {source}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// The cell formats used throughout.
struct Formats {
    title: Format,
    header: Format,
    money: Format,
    price: Format,
    tokens: Format,
    count: Format,
    percent: Format,
    factor: Format,
    date: Format,
    bold: Format,
    note: Format,
    /// A note wrapped within the columns it spans.
    note_wrap: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            title: Format::new().set_bold().set_font_size(14),
            header: Format::new()
                .set_bold()
                .set_text_wrap()
                .set_background_color(Color::RGB(0x00DD_E6F0))
                .set_border_bottom(FormatBorder::Thin),
            money: Format::new().set_num_format("#,##0.00"),
            price: Format::new().set_num_format("#,##0.00##"),
            tokens: Format::new().set_num_format("#,##0.##"),
            count: Format::new().set_num_format("#,##0"),
            percent: Format::new().set_num_format("0.0#%"),
            factor: Format::new().set_num_format("0.0000"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
            bold: Format::new().set_bold(),
            note: Format::new().set_italic(),
            note_wrap: Format::new()
                .set_italic()
                .set_text_wrap()
                .set_align(FormatAlign::Top),
        }
    }
}

/// A worksheet being filled, remembering how wide each column must be.
struct Sheet {
    ws: Worksheet,
    widths: Vec<usize>,
    last_row: u32,
    last_col: u16,
    /// Notes wrapped over a span of columns: (row, first and last column,
    /// characters), for their rows' heights.
    wrapped: Vec<(u32, u16, u16, usize)>,
}

type R<T = ()> = Result<T, XlsxError>;

impl Sheet {
    fn new(name: &str) -> R<Sheet> {
        let mut ws = Worksheet::new();
        ws.set_name(name)?;
        Ok(Sheet {
            ws,
            widths: Vec::new(),
            last_row: 0,
            last_col: 0,
            wrapped: Vec::new(),
        })
    }

    fn fit(&mut self, row: u32, col: u16, chars: usize) {
        let c = usize::from(col);
        if self.widths.len() <= c {
            self.widths.resize(c + 1, 0);
        }
        self.widths[c] = self.widths[c].max(chars);
        self.last_row = self.last_row.max(row);
        self.last_col = self.last_col.max(col);
    }

    fn text(&mut self, row: u32, col: u16, s: &str) -> R {
        self.ws.write_string(row, col, s)?;
        self.fit(row, col, s.chars().count());
        Ok(())
    }

    fn text_f(&mut self, row: u32, col: u16, s: &str, f: &Format) -> R {
        self.ws.write_string_with_format(row, col, s, f)?;
        self.fit(row, col, s.chars().count());
        Ok(())
    }

    /// A long line that should not widen its column (titles, notes).
    fn line(&mut self, row: u32, col: u16, s: &str, f: &Format) -> R {
        self.ws.write_string_with_format(row, col, s, f)?;
        self.last_row = self.last_row.max(row);
        Ok(())
    }

    /// A note over columns `first..=last`, wrapped there (its row grows to
    /// show every line): long notes stay inside the printed page.
    fn wrapped(&mut self, row: u32, first: u16, last: u16, s: &str, f: &Format) -> R {
        if last > first {
            self.ws.merge_range(row, first, row, last, s, f)?;
        } else {
            self.ws.write_string_with_format(row, first, s, f)?;
        }
        self.wrapped.push((row, first, last, s.chars().count()));
        self.last_row = self.last_row.max(row);
        self.last_col = self.last_col.max(last);
        Ok(())
    }

    fn num(&mut self, row: u32, col: u16, d: Decimal, f: &Format) -> R {
        let v = d.to_f64().unwrap_or(0.0);
        self.ws.write_number_with_format(row, col, v, f)?;
        // Digits, separators and two places.
        let digits = d.trunc().abs().to_string().len();
        self.fit(row, col, digits + digits / 3 + 4);
        Ok(())
    }

    fn opt(&mut self, row: u32, col: u16, d: Option<Decimal>, f: &Format) -> R {
        match d {
            Some(d) => self.num(row, col, d, f),
            None => Ok(()),
        }
    }

    fn int(&mut self, row: u32, col: u16, n: u64, f: &Format) -> R {
        self.ws.write_number_with_format(row, col, n as f64, f)?;
        self.fit(row, col, n.to_string().len() + 2);
        Ok(())
    }

    fn date(&mut self, row: u32, col: u16, d: NaiveDate, f: &Format) -> R {
        let (Ok(y), Ok(m), Ok(day)) = (
            u16::try_from(d.year()),
            u8::try_from(d.month()),
            u8::try_from(d.day()),
        ) else {
            return self.text(row, col, &d.to_string());
        };
        let dt = ExcelDateTime::from_ymd(y, m, day)?;
        self.ws.write_datetime_with_format(row, col, &dt, f)?;
        self.fit(row, col, 10);
        Ok(())
    }

    fn header(&mut self, row: u32, cols: &[String], f: &Formats) -> R {
        for (c, h) in cols.iter().enumerate() {
            let col = c as u16;
            self.ws.write_string_with_format(row, col, h, &f.header)?;
            // Headers wrap: the longest word decides.
            let word = h.split(' ').map(|w| w.chars().count()).max().unwrap_or(0);
            self.fit(row, col, word.max(h.chars().count().min(14)));
        }
        // Room for a header that wraps once.
        self.ws.set_row_height(row, 30)?;
        Ok(())
    }

    /// Widths, the frozen header and the print area.
    fn finish(mut self, freeze_rows: u32, landscape: bool) -> R<Worksheet> {
        let width =
            |c: usize| (self.widths.get(c).copied().unwrap_or(0) as f64 + 2.0).clamp(6.0, 60.0);
        for c in 0..self.widths.len() {
            self.ws.set_column_width(c as u16, width(c))?;
        }
        for &(row, first, last, chars) in &self.wrapped {
            let room: f64 = (first..=last).map(|c| width(usize::from(c))).sum();
            // A column's width unit holds about 1.3 characters of the
            // notes' italic text (as LibreOffice renders it).
            let lines = (chars as f64 * 0.75 / room).ceil().max(1.0);
            if lines > 1.0 {
                self.ws.set_row_height(row, 15.0 * lines)?;
            }
        }
        if freeze_rows > 0 {
            self.ws.set_freeze_panes(freeze_rows, 0)?;
            self.ws.set_repeat_rows(0, freeze_rows - 1)?;
        }
        self.ws
            .set_print_area(0, 0, self.last_row.max(1), self.last_col.max(1))?;
        self.ws.set_print_fit_to_pages(1, 0);
        if landscape {
            self.ws.set_landscape();
        }
        Ok(self.ws)
    }
}

fn headers(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The workbook of `pack`, as XLSX bytes.
///
/// # Errors
/// [`WorkbookError::Xlsx`] when the writer refuses a value.
pub fn to_bytes(pack: &Pack) -> Result<Vec<u8>, WorkbookError> {
    let f = Formats::new();
    let mut book = Workbook::new();
    book.push_worksheet(summary(pack, &f)?);
    book.push_worksheet(options(pack, &f)?);
    book.push_worksheet(term(pack, &f)?);
    book.push_worksheet(sensitivity(pack, &f)?);
    book.push_worksheet(break_even(pack, &f)?);
    book.push_worksheet(reassignment(pack, &f)?);
    book.push_worksheet(crossover(pack, &f)?);
    book.push_worksheet(sizing(pack, &f)?);
    book.push_worksheet(assumptions(pack, &f)?);
    book.push_worksheet(sources(pack, &f)?);
    Ok(book.save_to_buffer()?)
}

/// Writes the workbook of `pack` to `path` atomically.
///
/// # Errors
/// [`WorkbookError`] when it cannot be made or written.
pub fn write(pack: &Pack, path: &Path) -> Result<(), WorkbookError> {
    let bytes = to_bytes(pack)?;
    crate::atomic::write(path, &bytes).map_err(|source| WorkbookError::Io {
        path: path.display().to_string(),
        source,
    })
}

// ---------------------------------------------------------------------------
// Summary

/// What a break-even says in words when there is no price.
pub fn crossing_note(c: &Crossing, below: bool) -> String {
    let mut s = match c {
        Crossing::At { .. } => String::new(),
        Crossing::NoneInRange { .. } if below => "none down to 0".to_string(),
        Crossing::NoneInRange { .. } => "none up to 10×".to_string(),
    };
    if c.approximate() {
        if !s.is_empty() {
            s.push_str("; ");
        }
        s.push_str("approximate (the optimiser is not proven optimal here)");
    }
    s
}

/// The walk-away price and its note.
pub fn walk_away_cells(w: &WalkAway) -> (Option<Decimal>, &'static str) {
    match w {
        WalkAway::At(p) => (Some(*p), ""),
        WalkAway::NoneUpTo10x => (None, "none up to 10×: the plan stays cheaper"),
        WalkAway::Never => (None, "the plan costs more than renewing as-is at any price"),
        WalkAway::NoRenewal => (None, "renewing as-is unknown (no seats before year 1)"),
    }
}

/// The Summary's last column (the options table's): notes wrap up to it.
const LAST: u16 = 5;

/// The Summary's break-even tables from `row`: the token price's, the
/// walk-away price, each subscription's; the row after them.
fn summary_break_evens(s: &mut Sheet, pack: &Pack, f: &Formats, mut row: u32) -> R<u32> {
    s.header(row, &headers(&["Break-even", "Today", "Price", "Note"]), f)?;
    row += 1;
    let b = &pack.break_evens;
    for (label, c, below) in [
        ("Token price, below today's", &b.token_below, true),
        ("Token price, above today's", &b.token_above, false),
    ] {
        s.text(row, 0, label)?;
        s.num(row, 1, b.token_today, &f.price)?;
        s.opt(row, 2, c.price(), &f.price)?;
        s.wrapped(row, 3, LAST, &crossing_note(c, below), &f.note_wrap)?;
        row += 1;
    }
    let (walk, note) = walk_away_cells(&b.walk_away);
    s.text(row, 0, "Walk-away token price")?;
    s.num(row, 1, b.token_today, &f.price)?;
    s.opt(row, 2, walk, &f.price)?;
    s.wrapped(row, 3, LAST, note, &f.note_wrap)?;
    row += 2;
    s.header(
        row,
        &headers(&[
            "Subscription",
            "Price today",
            "One more seat at",
            "One fewer seat at",
        ]),
        f,
    )?;
    row += 1;
    for sub in &b.subscriptions {
        s.text(row, 0, &sub.name)?;
        s.num(row, 1, sub.today, &f.money)?;
        s.opt(row, 2, sub.more_seats.price(), &f.money)?;
        s.opt(row, 3, sub.fewer_seats.price(), &f.money)?;
        let notes: Vec<String> = [(&sub.more_seats, true), (&sub.fewer_seats, false)]
            .into_iter()
            .filter(|(c, _)| c.price().is_none())
            .map(|(c, below)| crossing_note(c, below))
            .collect();
        if !notes.is_empty() {
            s.wrapped(row, 4, LAST, &notes.join("; "), &f.note_wrap)?;
        }
        row += 1;
    }
    row += 1;
    Ok(row)
}

fn summary(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Summary")?;
    let a = &pack.assumptions;
    let cur = &pack.currency;
    s.line(
        0,
        0,
        &format!("Negotiation pack: {}", a.scenario.name),
        &f.title,
    )?;
    let basis = a
        .scenario
        .prices
        .as_ref()
        .map_or("not stated", |p| p.basis.as_str());
    s.wrapped(
        1,
        0,
        LAST,
        &format!(
            "Made {} by tokenplan {}. Money in {cur}; prices: {basis}. Term of {} years from {}.",
            a.made, a.version, a.scenario.contract.years, a.scenario.contract.start
        ),
        &f.note_wrap,
    )?;
    s.header(
        3,
        &headers(&[
            "Option",
            "Year 1 cost",
            "Term total",
            "NPV",
            "Δ NPV vs renew as-is",
            "P90 token spend",
        ]),
        f,
    )?;
    let mut row = 4;
    for o in &pack.options {
        s.text(row, 0, &o.name)?;
        s.num(row, 1, o.year1_cost, &f.money)?;
        s.num(row, 2, o.total, &f.money)?;
        s.num(row, 3, o.npv, &f.money)?;
        s.opt(row, 4, o.delta_npv, &f.money)?;
        s.opt(row, 5, o.p90(), &f.money)?;
        row += 1;
    }
    let last_option = row - 1;
    row += 1;
    row = summary_break_evens(&mut s, pack, f, row)?;
    let mut chart = Chart::new(ChartType::Column);
    chart
        .add_series()
        .set_name("NPV")
        .set_categories(("Summary", 4, 0, last_option, 0))
        .set_values(("Summary", 4, 3, last_option, 3));
    chart
        .title()
        .set_name(&format!("NPV of each option ({cur})"));
    chart.y_axis().set_num_format("#,##0");
    chart.legend().set_hidden();
    chart.set_width(640).set_height(300);
    s.ws.insert_chart(row, 0, &chart)?;
    // The chart covers about 15 rows.
    row += 16;
    for w in &pack.warnings {
        s.wrapped(row, 0, LAST, &format!("Note: {w}"), &f.note_wrap)?;
        row += 1;
    }
    s.last_row = s.last_row.max(row);
    let mut ws = s.finish(0, false)?;
    ws.set_print_fit_to_pages(1, 1);
    Ok(ws)
}

// ---------------------------------------------------------------------------
// Options

fn options(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Options")?;
    let codes: Vec<String> = pack.subscriptions.iter().map(|(c, _)| c.clone()).collect();
    let mut cols = headers(&[
        "Option",
        "Year 1 cost",
        "Term total",
        "NPV",
        "Δ term total vs renew as-is",
        "Δ NPV vs renew as-is",
        "P10 token spend",
        "P50 token spend",
        "P90 token spend",
        "Seats in year 1",
        "Tokens bought in year 1",
        "Tokens bought over the term",
    ]);
    cols.extend(codes.iter().map(|c| format!("{c} seats in year 1")));
    s.header(0, &cols, f)?;
    let mut row = 1;
    for o in &pack.options {
        s.text(row, 0, &o.name)?;
        s.num(row, 1, o.year1_cost, &f.money)?;
        s.num(row, 2, o.total, &f.money)?;
        s.num(row, 3, o.npv, &f.money)?;
        s.opt(row, 4, o.delta_total, &f.money)?;
        s.opt(row, 5, o.delta_npv, &f.money)?;
        s.opt(row, 6, o.spend.as_ref().map(|x| x.p10), &f.money)?;
        s.opt(row, 7, o.spend.as_ref().map(|x| x.p50), &f.money)?;
        s.opt(row, 8, o.spend.as_ref().map(|x| x.p90), &f.money)?;
        s.int(row, 9, u64::from(o.seats_year1), &f.count)?;
        s.num(row, 10, o.tokens_year1, &f.tokens)?;
        s.num(row, 11, o.tokens_term, &f.tokens)?;
        let seats = o
            .plan
            .years
            .first()
            .map(|y| y.seats.as_slice())
            .unwrap_or(&[]);
        for (k, code) in codes.iter().enumerate() {
            // A compared scenario's subscriptions may differ: by code.
            let n = o
                .codes
                .iter()
                .position(|c| c == code)
                .and_then(|j| seats.get(j))
                .copied();
            if let Some(n) = n {
                s.int(row, 12 + k as u16, u64::from(n), &f.count)?;
            }
        }
        row += 1;
    }
    let last = row - 1;
    let mut chart = Chart::new(ChartType::Column);
    chart
        .add_series()
        .set_name("Term total")
        .set_categories(("Options", 1, 0, last, 0))
        .set_values(("Options", 1, 2, last, 2));
    chart
        .add_series()
        .set_name("NPV")
        .set_categories(("Options", 1, 0, last, 0))
        .set_values(("Options", 1, 3, last, 3));
    chart
        .title()
        .set_name(&format!("Options over the term ({})", pack.currency));
    chart.y_axis().set_num_format("#,##0");
    chart.set_width(720).set_height(320);
    s.ws.insert_chart(row + 1, 0, &chart)?;
    s.last_row = s.last_row.max(row + 17);
    s.finish(1, true)
}

// ---------------------------------------------------------------------------
// Term

fn term(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Term")?;
    let codes = &pack.term.codes;
    let mut cols = headers(&["Plan", "Year", "Starts"]);
    cols.extend(codes.iter().map(|c| format!("{c} seats")));
    cols.extend(headers(&[
        "Seats kept",
        "Seats added",
        "Seats dropped",
        "Subscription cost",
        "Tokens bought",
        "Token cost",
        "Overage tokens",
        "Expired tokens",
        "Total",
        "Discount factor",
        "Present value",
    ]));
    s.header(0, &cols, f)?;
    let mut plans = vec![("Term plan", &pack.term.plan)];
    if let Some(r) = &pack.term.renew_as_is {
        plans.push(("Renew as-is", r));
    }
    let mut row = 1;
    let mut ranges = Vec::new();
    let first_col = 3 + codes.len() as u16;
    for (name, costed) in &plans {
        let start = row;
        for (k, y) in costed.plan.years.iter().enumerate() {
            let ledger = costed.ledger.years.get(k);
            s.text(row, 0, name)?;
            s.int(row, 1, u64::from(y.year), &f.count)?;
            s.date(row, 2, y.start, &f.date)?;
            for (j, n) in y.seats.iter().enumerate() {
                s.int(row, 3 + j as u16, u64::from(*n), &f.count)?;
            }
            let sum = |g: fn(&crate::term::SeatChange) -> u32| -> u64 {
                y.changes.iter().map(|c| u64::from(g(c))).sum()
            };
            let c = first_col;
            s.int(row, c, sum(|x| x.kept), &f.count)?;
            s.int(row, c + 1, sum(|x| x.added), &f.count)?;
            s.int(row, c + 2, sum(|x| x.dropped), &f.count)?;
            s.num(row, c + 3, y.subscription_cost, &f.money)?;
            s.num(row, c + 4, y.purchase.tokens, &f.tokens)?;
            s.num(row, c + 5, y.purchase.cost, &f.money)?;
            s.opt(row, c + 6, ledger.map(|l| l.overage), &f.tokens)?;
            s.opt(row, c + 7, ledger.map(|l| l.expired), &f.tokens)?;
            s.num(row, c + 8, y.total, &f.money)?;
            s.num(row, c + 9, y.discount_factor, &f.factor)?;
            s.num(row, c + 10, y.present_value, &f.money)?;
            row += 1;
        }
        ranges.push((name.to_string(), start, row - 1));
        s.text_f(row, 0, &format!("{name}: term"), &f.bold)?;
        s.num(row, c_total(first_col), costed.plan.total, &f.money)?;
        s.num(row, c_total(first_col) + 2, costed.plan.npv, &f.money)?;
        row += 2;
    }
    let mut chart = Chart::new(ChartType::Column);
    for (name, a, b) in &ranges {
        chart
            .add_series()
            .set_name(name.as_str())
            .set_categories(("Term", *a, 1, *b, 1))
            .set_values(("Term", *a, c_total(first_col), *b, c_total(first_col)));
    }
    chart
        .title()
        .set_name(&format!("Cost by contract year ({})", pack.currency));
    chart.x_axis().set_name("Contract year");
    // From zero: the years' differences are not to be magnified.
    chart.y_axis().set_num_format("#,##0").set_min(0);
    chart.set_width(720).set_height(320);
    s.ws.insert_chart(row, 0, &chart)?;
    s.last_row = s.last_row.max(row + 16);
    s.finish(1, true)
}

/// The Term sheet's "Total" column.
fn c_total(first_col: u16) -> u16 {
    first_col + 8
}

// ---------------------------------------------------------------------------
// Sensitivity

fn sensitivity(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Sensitivity")?;
    let t = &pack.sensitivity;
    s.header(
        0,
        &headers(&[
            "Input",
            "Today",
            "Low value",
            "High value",
            "NPV at low (re-optimised)",
            "NPV at high (re-optimised)",
            "Swing",
            "Δ NPV at low",
            "Δ NPV at high",
            "NPV at low, today's plan held",
            "NPV at high, today's plan held",
            "Approximate",
        ]),
        f,
    )?;
    let mut row = 1;
    for r in &t.rows {
        let value = if r.driver.is_rate() {
            &f.percent
        } else {
            &f.price
        };
        s.text(row, 0, &r.label)?;
        s.num(row, 1, r.base_value, value)?;
        s.num(row, 2, r.low_value, value)?;
        s.num(row, 3, r.high_value, value)?;
        s.num(row, 4, r.low_npv, &f.money)?;
        s.num(row, 5, r.high_npv, &f.money)?;
        s.num(row, 6, r.swing, &f.money)?;
        s.num(row, 7, r.low_npv - t.base_npv, &f.money)?;
        s.num(row, 8, r.high_npv - t.base_npv, &f.money)?;
        s.num(row, 9, r.held_low_npv, &f.money)?;
        s.num(row, 10, r.held_high_npv, &f.money)?;
        s.text(row, 11, if r.approximate { "yes" } else { "no" })?;
        row += 1;
    }
    let last = row - 1;
    row += 1;
    s.text_f(row, 0, "Term plan NPV today", &f.bold)?;
    s.num(row, 4, t.base_npv, &f.money)?;
    s.line(
        row + 1,
        0,
        &format!(
            "Each input's value today × (1 − {0}) and × (1 + {0}); the plan re-optimised at each point, and today's plan held (seats and token purchases fixed) beside it.",
            pct(t.swing)
        ),
        &f.note,
    )?;
    row += 3;
    let mut chart = Chart::new(ChartType::Bar);
    chart
        .add_series()
        .set_name(&format!("Input × (1 − {})", pct(t.swing)))
        .set_categories(("Sensitivity", 1, 0, last, 0))
        .set_values(("Sensitivity", 1, 7, last, 7))
        .set_overlap(100)
        .set_gap(40);
    chart
        .add_series()
        .set_name(&format!("Input × (1 + {})", pct(t.swing)))
        .set_categories(("Sensitivity", 1, 0, last, 0))
        .set_values(("Sensitivity", 1, 8, last, 8));
    chart
        .title()
        .set_name(&format!("Change in the term's NPV ({})", pack.currency));
    // Largest swing on top, the inputs' names clear of the bars.
    chart
        .y_axis()
        .set_reverse()
        .set_label_position(ChartAxisLabelPosition::Low);
    chart.x_axis().set_num_format("#,##0");
    chart.set_width(720).set_height(360);
    s.ws.insert_chart(row, 0, &chart)?;
    s.last_row = s.last_row.max(row + 18);
    s.finish(1, true)
}

fn pct(d: Decimal) -> String {
    format!("{}%", (d * Decimal::ONE_HUNDRED).normalize())
}

// ---------------------------------------------------------------------------
// Break-even

fn break_even(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Break-even")?;
    s.header(
        0,
        &headers(&[
            "Break-even",
            "Today's price",
            "Break-even price",
            "Nearest price with today's answer",
            "Seats each year at the break-even",
            "Note",
        ]),
        f,
    )?;
    let b = &pack.break_evens;
    let mut row = 1;
    let mut put = |s: &mut Sheet, label: &str, today: Decimal, c: &Crossing, below: bool| -> R {
        s.text(row, 0, label)?;
        s.num(row, 1, today, &f.price)?;
        if let Crossing::At {
            price,
            last_same,
            seats,
            ..
        } = c
        {
            s.num(row, 2, *price, &f.price)?;
            s.num(row, 3, *last_same, &f.price)?;
            let seats: Vec<String> = seats.iter().map(u32::to_string).collect();
            s.text(row, 4, &seats.join(", "))?;
        }
        s.text(row, 5, &crossing_note(c, below))?;
        row += 1;
        Ok(())
    };
    put(
        &mut s,
        "Token price below today's: seats change",
        b.token_today,
        &b.token_below,
        true,
    )?;
    put(
        &mut s,
        "Token price above today's: seats change",
        b.token_today,
        &b.token_above,
        false,
    )?;
    for sub in &b.subscriptions {
        put(
            &mut s,
            &format!("{}: one more seat (price below)", sub.name),
            sub.today,
            &sub.more_seats,
            true,
        )?;
        put(
            &mut s,
            &format!("{}: one fewer seat (price above)", sub.name),
            sub.today,
            &sub.fewer_seats,
            false,
        )?;
    }
    let (walk, note) = walk_away_cells(&b.walk_away);
    s.text(row, 0, "Walk-away token price")?;
    s.num(row, 1, b.token_today, &f.price)?;
    s.opt(row, 2, walk, &f.price)?;
    s.text(row, 5, note)?;
    let seats: Vec<String> = b.seats_today.iter().map(u32::to_string).collect();
    s.line(
        row + 2,
        0,
        &format!(
            "Searched from 0 to 10× today's price, to the cent. Seats today, each year: {}. The walk-away price is the highest token price at which today's term plan, held fixed, costs no more than renewing as-is.",
            seats.join(", ")
        ),
        &f.note,
    )?;
    s.finish(1, true)
}

// ---------------------------------------------------------------------------
// Reassignment, Crossover, Sizing

fn reassignment(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Reassignment")?;
    let years = pack.term.plan.plan.years.len();
    let mut cols = headers(&["User", "Holds today"]);
    cols.extend((1..=years).map(|y| format!("Year {y}")));
    cols.extend(headers(&[
        "Forecast tokens, year 1",
        "Left to tokens, year 1",
    ]));
    s.header(0, &cols, f)?;
    let plan = |codes: &[String]| {
        if codes.is_empty() {
            "tokens".to_string()
        } else {
            codes.join(" + ")
        }
    };
    for (i, r) in pack.reassignment.iter().enumerate() {
        let row = i as u32 + 1;
        s.text(row, 0, &r.user)?;
        s.text(row, 1, &plan(&r.current))?;
        for (k, y) in r.years.iter().enumerate() {
            s.text(row, 2 + k as u16, &plan(y))?;
        }
        let c = 2 + years as u16;
        s.num(row, c, r.forecast_tokens, &f.tokens)?;
        s.num(row, c + 1, r.left_to_tokens, &f.tokens)?;
    }
    s.finish(1, true)
}

fn crossover(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Crossover")?;
    s.header(
        0,
        &headers(&[
            "Subscription",
            "Product",
            "Tokens per use-day",
            "Token price",
            "Pays off above, use-days a year",
            "Use-days a month",
        ]),
        f,
    )?;
    for (i, c) in pack.crossover.iter().enumerate() {
        let row = i as u32 + 1;
        s.text(row, 0, &c.subscription)?;
        s.text(row, 1, &c.product)?;
        s.num(row, 2, c.rate, &f.tokens)?;
        s.num(row, 3, c.token_price, &f.price)?;
        s.opt(row, 4, c.days_per_year.map(|d| d.round_dp(1)), &f.tokens)?;
        s.opt(row, 5, c.days_per_month.map(|d| d.round_dp(1)), &f.tokens)?;
    }
    s.finish(1, false)
}

fn sizing(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Sizing")?;
    s.header(
        0,
        &headers(&[
            "Option",
            "Trials",
            "Purchases (present value)",
            "Expected token spend",
            "P10",
            "P50",
            "P90",
            "Expected tokens short",
            "Expected tokens expired",
            "Note",
        ]),
        f,
    )?;
    for (i, o) in pack.options.iter().enumerate() {
        let row = i as u32 + 1;
        s.text(row, 0, &o.name)?;
        if let Some(x) = &o.spend {
            s.int(row, 1, u64::from(x.trials), &f.count)?;
            s.num(row, 2, x.purchases, &f.money)?;
            s.num(row, 3, x.expected, &f.money)?;
            s.num(row, 4, x.p10, &f.money)?;
            s.num(row, 5, x.p50, &f.money)?;
            s.num(row, 6, x.p90, &f.money)?;
            s.num(row, 7, x.expected_shortfall, &f.tokens)?;
            s.num(row, 8, x.expected_expired, &f.tokens)?;
        }
        if let Some(n) = &o.spend_note {
            s.text(row, 9, n)?;
        }
    }
    let row = pack.options.len() as u32 + 2;
    s.line(
        row,
        0,
        "Each option's token purchases (one Annual lot a year) against demand resampled from history in whole weeks and grown; what a lot does not cover is billed at the year's end (SPEC §5).",
        &f.note,
    )?;
    s.finish(1, true)
}

// ---------------------------------------------------------------------------
// Assumptions and Sources

/// A value of the Assumptions sheet.
enum Val {
    Text(String),
    Money(Decimal),
    Price(Decimal),
    Rate(Decimal),
    Count(u64),
    Date(NaiveDate),
}

fn assumption_rows(pack: &Pack) -> Vec<(String, Val)> {
    use Val::{Count, Date, Money, Price, Rate, Text};
    let a = &pack.assumptions;
    let sc = &a.scenario;
    let mut v: Vec<(String, Val)> = vec![
        ("Scenario".into(), Text(sc.name.clone())),
        (
            "Scenario file".into(),
            Text(
                a.file
                    .as_ref()
                    .map_or("(not from a file)".into(), |f| f.name.clone()),
            ),
        ),
        (
            "Scenario file SHA-256".into(),
            Text(a.file.as_ref().map_or(String::new(), |f| f.sha256.clone())),
        ),
    ];
    if let Some((name, file)) = &a.compare {
        v.push(("Compared scenario".into(), Text(name.clone())));
        if let Some(file) = file {
            v.push(("Compared scenario file".into(), Text(file.name.clone())));
            v.push((
                "Compared scenario file SHA-256".into(),
                Text(file.sha256.clone()),
            ));
        }
    }
    v.push(("Currency".into(), Text(sc.currency.clone())));
    v.push(("tokenplan version".into(), Text(a.version.clone())));
    match a.made.parse::<NaiveDate>() {
        Ok(d) => v.push(("Date made".into(), Date(d))),
        Err(_) => v.push(("Date made".into(), Text(a.made.clone()))),
    }
    v.push(("Server time zone".into(), Text(sc.server_time_zone.clone())));
    if let Some((first, last, days)) = a.history {
        v.push(("History window, first day".into(), Date(first)));
        v.push(("History window, last day".into(), Date(last)));
        v.push(("History window, days".into(), Count(u64::from(days))));
    }
    v.push((
        "Forecast history days".into(),
        Count(u64::from(sc.forecast.history_days)),
    ));
    v.push(("Growth per year".into(), Rate(sc.forecast.growth_per_year)));
    contract_rows(sc, &mut v);
    price_rows(sc, &mut v);
    catalog_rows(sc, &mut v);
    let c = &sc.constraints;
    for (code, n) in &c.min_seats {
        v.push((format!("Minimum seats: {code}"), Count(u64::from(*n))));
    }
    for (code, n) in &c.max_seats {
        v.push((format!("Maximum seats: {code}"), Count(u64::from(*n))));
    }
    for (user, codes) in &c.pinned {
        v.push((format!("Pinned: {user}"), Text(codes.join(" + "))));
    }
    v.push(("Switching threshold".into(), Money(c.switching_threshold)));
    for (dept, tokens) in &sc.budgets {
        v.push((format!("Budget: {dept} (tokens a year)"), Money(*tokens)));
    }
    for (name, pool) in &sc.pools {
        match pool.price_per_token_year {
            Some(p) => v.push((format!("Pool {name}: price per token-year"), Price(p))),
            None => v.push((
                format!("Pool {name}: price per token-year"),
                Text("none".into()),
            )),
        }
    }
    v.push(("Sizing: trials".into(), Count(u64::from(sc.sizing.trials))));
    v.push(("Sizing: seed".into(), Count(sc.sizing.seed)));
    v.push(("Sizing: risk limit".into(), Rate(sc.sizing.risk_limit)));
    v.push((
        "Sizing: target denial rate".into(),
        Rate(sc.sizing.target_denial_rate),
    ));
    v.push(("Tornado: each input ±".into(), Rate(a.swing)));
    v.push((
        "Token spend simulation: trials".into(),
        Count(u64::from(a.trials)),
    ));
    v
}

fn contract_rows(sc: &crate::scenario::Scenario, v: &mut Vec<(String, Val)>) {
    use Val::{Count, Date, Price, Rate, Text};
    let k = &sc.contract;
    v.push(("Contract start".into(), Date(k.start)));
    v.push(("Contract years".into(), Count(u64::from(k.years))));
    v.push(("Overage price".into(), Price(k.overage_price)));
    let overdraft = match &k.overdraft {
        crate::scenario::Overdraft::None => "none: demand beyond the balance is refused".into(),
        crate::scenario::Overdraft::Unlimited => "unlimited, billed at the overage price".into(),
        crate::scenario::Overdraft::Limit(n) => format!("up to {n} tokens over the term"),
        crate::scenario::Overdraft::TopUp => "top-up packs at the year's token price".into(),
    };
    v.push(("Overdraft".into(), Text(overdraft)));
    v.push(("Discount rate".into(), Rate(k.discount_rate)));
    if let Some(p) = k.pack_size {
        v.push(("Pack size (tokens)".into(), Count(u64::from(p))));
    }
    let changes = match k.seat_changes {
        crate::scenario::SeatChanges::AnyTime => "any time",
        crate::scenario::SeatChanges::AddsAtAnniversary => "adds only, at each anniversary",
    };
    v.push(("Seat changes".into(), Text(changes.into())));
    for (code, n) in &k.current_seats {
        v.push((format!("Seats held today: {code}"), Count(u64::from(*n))));
    }
}

fn token_price_rows(label: &str, tp: &crate::scenario::TokenPrice, v: &mut Vec<(String, Val)>) {
    match tp {
        crate::scenario::TokenPrice::Flat(p) => v.push((label.to_string(), Val::Price(*p))),
        crate::scenario::TokenPrice::Tiers { mode, tiers } => {
            let how = match mode {
                crate::scenario::TierMode::AllUnits => "all units",
                crate::scenario::TierMode::Incremental => "incremental",
            };
            for t in tiers {
                v.push((
                    format!("{label} from {} tokens ({how})", t.from),
                    Val::Price(t.price),
                ));
            }
        }
    }
}

fn price_rows(sc: &crate::scenario::Scenario, v: &mut Vec<(String, Val)>) {
    use Val::{Money, Price, Rate, Text};
    token_price_rows("Token price", &sc.token_price, v);
    match &sc.prices {
        None => v.push((
            "Prices basis".into(),
            Text("not stated (no prices section)".into()),
        )),
        Some(p) => {
            v.push(("Prices basis".into(), Text(p.basis.clone())));
            v.push(("Escalation".into(), Rate(p.escalation)));
            match p.escalation_cap {
                Some(c) => v.push(("Escalation cap".into(), Rate(c))),
                None => v.push(("Escalation cap".into(), Text("none".into()))),
            }
            for y in &p.years {
                for (code, price) in &y.subscriptions {
                    v.push((
                        format!("Year {}: {code} new-seat price", y.year),
                        Money(*price),
                    ));
                }
                for (code, price) in &y.renewal_subscriptions {
                    v.push((
                        format!("Year {}: {code} renewal price", y.year),
                        Money(*price),
                    ));
                }
                if let Some(tp) = &y.token_price {
                    token_price_rows(&format!("Year {}: token price", y.year), tp, v);
                }
                if let Some(o) = y.overage_price {
                    v.push((format!("Year {}: overage price", y.year), Price(o)));
                }
            }
        }
    }
    v.push((
        "Escalation in force (after cap)".into(),
        Rate(crate::term::prices::escalation(sc)),
    ));
}

fn catalog_rows(sc: &crate::scenario::Scenario, v: &mut Vec<(String, Val)>) {
    use Val::{Money, Text};
    for (code, s) in &sc.subscriptions {
        v.push((
            format!("Subscription {code} ({}): new-seat price", s.name),
            Money(s.annual_price),
        ));
        match s.renewal_price {
            Some(r) => v.push((format!("Subscription {code}: renewal price"), Money(r))),
            None => v.push((
                format!("Subscription {code}: renewal price"),
                Text("as the new-seat price".into()),
            )),
        }
        v.push((
            format!("Subscription {code}: covers"),
            Text(s.covers.join(", ")),
        ));
    }
    for (code, p) in &sc.products {
        v.push((
            format!("Product {code} ({}): charged", p.name),
            Text(rule_words(&p.rule).to_string()),
        ));
        for r in &p.rates {
            v.push((
                format!("Product {code}: tokens per charge from {}", r.from),
                Val::Price(r.tokens),
            ));
        }
        v.push((
            format!("Product {code}: features"),
            Text(p.features.join(", ")),
        ));
    }
}

/// How a rule charges, in words.
fn rule_words(rule: &crate::scenario::Rule) -> &'static str {
    use crate::meter::RuleKind;
    match crate::meter::rates::rule_kind(rule) {
        RuleKind::CalendarDay => "per calendar day of use",
        RuleKind::Rolling24h => "per 24 hours from the first use",
        RuleKind::Concurrent => "as a pool of concurrent tokens",
        RuleKind::DailyPeak => "by the pool's daily peak",
        RuleKind::Hourly => "per hour of use",
    }
}

fn assumptions(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Assumptions")?;
    s.header(0, &headers(&["Input", "Value"]), f)?;
    for (i, (label, value)) in assumption_rows(pack).into_iter().enumerate() {
        let row = i as u32 + 1;
        s.text(row, 0, &label)?;
        match value {
            Val::Text(t) => s.text(row, 1, &t)?,
            Val::Money(d) => s.num(row, 1, d, &f.money)?,
            Val::Price(d) => s.num(row, 1, d, &f.price)?,
            Val::Rate(d) => s.num(row, 1, d, &f.percent)?,
            Val::Count(n) => s.int(row, 1, n, &f.count)?,
            Val::Date(d) => s.date(row, 1, d, &f.date)?,
        }
    }
    s.finish(1, false)
}

fn sources(pack: &Pack, f: &Formats) -> R<Worksheet> {
    let mut s = Sheet::new("Sources")?;
    let mut reasons: Vec<String> = pack
        .sources
        .iter()
        .flat_map(|r| r.skipped.iter().map(|(k, _)| k.clone()))
        .collect();
    reasons.sort();
    reasons.dedup();
    let mut cols = headers(&["File", "Kind", "Lines read", "Lines used", "Lines skipped"]);
    cols.extend(reasons.iter().map(|r| format!("Skipped: {r}")));
    s.header(0, &cols, f)?;
    for (i, r) in pack.sources.iter().enumerate() {
        let row = i as u32 + 1;
        s.text(row, 0, &r.file)?;
        s.text(row, 1, &r.kind)?;
        s.int(row, 2, r.lines_read, &f.count)?;
        s.int(row, 3, r.lines_used, &f.count)?;
        s.int(row, 4, r.skipped.iter().map(|(_, n)| n).sum(), &f.count)?;
        for (k, reason) in reasons.iter().enumerate() {
            let n = r
                .skipped
                .iter()
                .find(|(x, _)| x == reason)
                .map_or(0, |(_, n)| *n);
            s.int(row, 5 + k as u16, n, &f.count)?;
        }
    }
    s.finish(1, true)
}

/// Every text cell of the workbook `bytes`, one per line: what a
/// pseudonymised export is checked against before it is written.
///
/// # Errors
/// A sentence when the bytes are not a readable workbook.
pub fn text_of(bytes: &[u8]) -> Result<String, String> {
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| format!("workbook: {e}"))?;
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| format!("workbook sheet {name}: {e}"))?;
        for cell in range.used_cells() {
            if let Data::String(s) = cell.2 {
                out.push_str(s);
                out.push('\n');
            }
        }
    }
    Ok(out)
}
