//! XLSX workbooks as tables (SPEC §1.5): one worksheet, the first or the
//! one named with `--sheet`, becomes the same tab-separated text a CSV
//! export would give, so every table importer (sessions, directory,
//! assignments, aliases, Token Flex exports, usage reports) reads it
//! unchanged.
//!
//! The sheet is read cell by cell with calamine's streaming reader, never
//! as a whole grid, so a sheet that declares a million empty rows costs
//! only the rows it really holds. Row `r` of the sheet (1-based, as Excel
//! shows it) is line `r` of the text, so a problem's line is the sheet's
//! row; the importers name the file `book.xlsx:Sheet1`, which makes every
//! message `book.xlsx:Sheet1:12: ...`. Rows without a value are blank lines
//! (the importers count them); empty rows after the last value are not
//! written.
//!
//! Cells become text as a CSV export would write them: dates and times as
//! `2025-01-15 08:30:00` (local wall clock, rounded to the second; Excel
//! stores no zone), numbers in full without exponent, booleans as
//! `TRUE`/`FALSE`, errors as Excel shows them (`#N/A`). A line break inside a
//! cell becomes a space, so one row stays one line.

use std::io::{Read, Seek};

use calamine::{DataRef, Reader, SheetType, Xlsx};

/// Excel's last row (1-based): a row beyond it means a damaged file.
const MAX_ROWS: u32 = 1 << 20;
/// Excel's last column (1-based).
const MAX_COLS: u32 = 1 << 14;
/// The field separator of the text: tab, which cells rarely hold.
const TAB: u8 = b'\t';

/// One worksheet as tab-separated text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SheetText {
    /// The sheet's name.
    pub sheet: String,
    /// Tab-separated text, one line per sheet row up to the last with a value.
    pub text: Vec<u8>,
    /// Cells with a value.
    pub cells: u64,
}

/// True when `head` (the first bytes of file `name`) is an XLSX workbook or
/// means to be one: a zip archive, or a name ending in `.xlsx`/`.xlsm`.
pub(crate) fn is_workbook(name: &str, head: &[u8]) -> bool {
    let lower = name.to_ascii_lowercase();
    head.starts_with(b"PK\x03\x04") || lower.ends_with(".xlsx") || lower.ends_with(".xlsm")
}

/// The names of the worksheets of a workbook, in workbook order.
///
/// # Errors
/// Why the workbook cannot be read (a message for the user).
pub fn sheet_names<RS: Read + Seek>(src: RS) -> Result<Vec<String>, String> {
    let book = open(src)?;
    Ok(worksheets(&book))
}

fn open<RS: Read + Seek>(src: RS) -> Result<Xlsx<RS>, String> {
    // A damaged archive must be an error, never a crash: calamine is not
    // trusted to turn every malformed part into an error value.
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Xlsx::new(src)));
    match opened {
        Ok(Ok(book)) => Ok(book),
        Ok(Err(e)) => Err(format!(
            "not a readable XLSX workbook ({e}); if the file was cut short, copy or download it again, or save it from Excel as .xlsx or CSV UTF-8"
        )),
        Err(_) => Err(
            "not a readable XLSX workbook (its content is damaged); save it again from Excel as .xlsx or CSV UTF-8"
                .into(),
        ),
    }
}

fn worksheets<RS: Read + Seek>(book: &Xlsx<RS>) -> Vec<String> {
    book.sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect()
}

/// Reads worksheet `sheet` (the first worksheet when `None`) of the XLSX
/// workbook in `src` as tab-separated text.
///
/// # Errors
/// A message for the user when the workbook can't be read, has no such
/// sheet, or the sheet holds no value at all (with the reason when its cells
/// are formulas whose results were never saved).
pub(crate) fn read_sheet<RS: Read + Seek>(
    src: RS,
    sheet: Option<&str>,
) -> Result<SheetText, String> {
    let mut book = open(src)?;
    let names = worksheets(&book);
    let name = match sheet {
        Some(want) => names
            .iter()
            .find(|n| n.as_str() == want)
            .or_else(|| names.iter().find(|n| n.eq_ignore_ascii_case(want)))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "the workbook has no sheet named `{want}`; its sheets: {}",
                    names.join(", ")
                )
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| "the workbook has no worksheet".to_string())?,
    };
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        sheet_text(&mut book, &name)
    }));
    let text = match read {
        Ok(Ok(t)) => t,
        Ok(Err(e)) => return Err(format!("sheet `{name}`: {e}")),
        Err(_) => {
            return Err(format!(
                "sheet `{name}` is damaged and cannot be read; save the workbook again from Excel"
            ));
        }
    };
    if text.cells == 0 {
        let formulas = formula_cells(&mut book, &name);
        return Err(if formulas > 0 {
            format!(
                "sheet `{name}` has no values: its {formulas} formula cells have no saved results; open the workbook in Excel and save it (or paste the values), then import it again"
            )
        } else {
            format!("sheet `{name}` is empty: no cell holds a value")
        });
    }
    Ok(text)
}

/// The sheet's cells as text (see the module doc).
fn sheet_text<RS: Read + Seek>(book: &mut Xlsx<RS>, name: &str) -> Result<SheetText, String> {
    let mut cells = book
        .worksheet_cells_reader(name)
        .map_err(|e| format!("cannot be read ({e})"))?;
    let mut out = SheetText {
        sheet: name.to_string(),
        text: Vec::new(),
        cells: 0,
    };
    // The row whose line is open, the lines ended so far (rows before
    // `ended` are done) and the column of the next field.
    let mut open: Option<u32> = None;
    let mut ended: u32 = 0;
    let mut col: u32 = 0;
    let mut field = String::new();
    while let Some(cell) = cells
        .next_cell()
        .map_err(|e| format!("cannot be read ({e})"))?
    {
        let (r, c) = cell.get_position();
        if r >= MAX_ROWS || c >= MAX_COLS {
            return Err(format!(
                "a cell at row {} column {} lies beyond Excel's {MAX_ROWS} rows and {MAX_COLS} columns: the file is damaged",
                u64::from(r) + 1,
                u64::from(c) + 1
            ));
        }
        field.clear();
        cell_text(cell.get_value(), &mut field);
        if field.is_empty() {
            continue;
        }
        out.cells += 1;
        // Cells come in row order; a cell of an earlier row than the open
        // one (a damaged sheet) joins the open row rather than being lost.
        if open.is_none_or(|o| r > o) {
            if let Some(o) = open {
                out.text.push(b'\n');
                ended = o + 1;
            }
            let blank = r.saturating_sub(ended) as usize;
            out.text.extend(std::iter::repeat_n(b'\n', blank));
            ended = ended.max(r);
            open = Some(r);
            col = 0;
        }
        // `col` fields are on the line: empty ones up to column `c`, each
        // after a tab, then this one. Two values for one column (a damaged
        // sheet) are both kept, side by side.
        let at = c.max(col);
        for k in col..at {
            if k > 0 {
                out.text.push(TAB);
            }
        }
        if at > 0 {
            out.text.push(TAB);
        }
        push_field(&mut out.text, &field);
        col = at + 1;
    }
    if open.is_some() {
        out.text.push(b'\n');
    }
    Ok(out)
}

/// Cells holding a formula, for the message about a sheet without values.
fn formula_cells<RS: Read + Seek>(book: &mut Xlsx<RS>, name: &str) -> u64 {
    let counted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let Ok(mut cells) = book.worksheet_cells_reader(name) else {
            return 0;
        };
        let mut n = 0u64;
        while let Ok(Some(c)) = cells.next_cell_with_formula_metadata() {
            n += u64::from(c.formula.is_some());
        }
        n
    }));
    counted.unwrap_or(0)
}

/// Appends `field`, quoted (CSV style) when it holds a separator or a quote.
fn push_field(out: &mut Vec<u8>, field: &str) {
    if field.contains(['\t', '"', ',', ';']) {
        out.push(b'"');
        for b in field.bytes() {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(field.as_bytes());
    }
}

/// A cell's value as the text a CSV export would hold (empty: no value).
pub(crate) fn cell_text(value: &DataRef<'_>, out: &mut String) {
    use std::fmt::Write as _;
    match value {
        DataRef::Empty => {}
        DataRef::String(s) | DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => one_line(s, out),
        DataRef::SharedString(s) => one_line(s, out),
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(f) => float_text(*f, out),
        DataRef::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::Error(e) => {
            let _ = write!(out, "{e}");
        }
        DataRef::DateTime(dt) => {
            if dt.is_datetime() {
                date_time_text(dt, out);
            } else {
                float_text(dt.as_f64(), out);
            }
        }
    }
}

/// A number in full, without exponent (`12`, `2.5`); not-a-number as Excel
/// would show an error.
fn float_text(f: f64, out: &mut String) {
    use std::fmt::Write as _;
    if f.is_finite() {
        let _ = write!(out, "{f}");
    } else {
        out.push_str("#NUM!");
    }
}

/// An Excel date-time as `YYYY-MM-DD HH:MM:SS`, rounded to the second;
/// Excel's phantom 1900-02-29 stays its serial number (no such date).
fn date_time_text(dt: &calamine::ExcelDateTime, out: &mut String) {
    use std::fmt::Write as _;
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    let at = chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(mo), u32::from(d))
        .and_then(|date| {
            date.and_hms_milli_opt(u32::from(h), u32::from(mi), u32::from(s), u32::from(ms))
        })
        .map(|t| t + chrono::Duration::milliseconds(500));
    match at {
        Some(t) => {
            let _ = write!(out, "{}", t.format("%Y-%m-%d %H:%M:%S"));
        }
        None => float_text(dt.as_f64(), out),
    }
}

/// `s` with line breaks as spaces, so a cell stays on its row's line.
fn one_line(s: &str, out: &mut String) {
    if s.contains(['\n', '\r']) {
        out.extend(
            s.chars()
                .map(|c| if c == '\n' || c == '\r' { ' ' } else { c }),
        );
    } else {
        out.push_str(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        let mut v = Vec::new();
        push_field(&mut v, "plain");
        v.push(TAB);
        push_field(&mut v, "Doe, John");
        v.push(TAB);
        push_field(&mut v, "say \"hi\"");
        assert_eq!(v, b"plain\t\"Doe, John\"\t\"say \"\"hi\"\"\"");
        let mut s = String::new();
        one_line("a\r\nb", &mut s);
        assert_eq!(s, "a  b");
        s.clear();
        float_text(12.0, &mut s);
        s.push(' ');
        float_text(2.5, &mut s);
        s.push(' ');
        float_text(1e21, &mut s);
        assert_eq!(s, "12 2.5 1000000000000000000000");
    }

    #[test]
    fn excel_serial_dates_round_to_the_second() {
        use calamine::{ExcelDateTime, ExcelDateTimeType};
        let text = |v: f64| {
            let mut s = String::new();
            date_time_text(
                &ExcelDateTime::new(v, ExcelDateTimeType::DateTime, false),
                &mut s,
            );
            s
        };
        // 45672 = 2025-01-15 (serial days from 1899-12-30).
        assert_eq!(text(45672.0), "2025-01-15 00:00:00");
        // 08:30 is 0.354166…; a float a hair short still gives 08:30:00.
        assert_eq!(text(45672.0 + 8.5 / 24.0 - 1e-9), "2025-01-15 08:30:00");
        // 60 is Excel's 1900-02-29, which never existed: kept as a number.
        assert_eq!(text(60.0), "60");
    }
}
