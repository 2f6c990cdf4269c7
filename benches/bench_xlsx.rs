//! XLSX import benchmark: a workbook of a million rows read by the shared
//! import path, as `tokenplan` reads it.
//!
//! `cargo run --release --bin bench_xlsx [ROWS]` writes (with rust_xlsxwriter,
//! not timed) three workbooks under `target/bench-out/`: a session sheet
//! (user, product, host, start and end as date-time cells), a day-level
//! usage report (Email, Product, Day used as date cells, Tokens used) and
//! a sheet of two data rows followed by a million formatted empty rows;
//! then imports each and prints the wall time of the import alone. The
//! files are generated data: never commit them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};
use tokenplan::ingest::{ImportOptions, import_path};
use tokenplan::progress::NoProgress;
use tokenplan::usage::Usage;

/// Writes a workbook of so many rows at a path.
type Build = fn(u32, &Path) -> Result<(), XlsxError>;

const PRODUCTS: [&str; 10] = [
    "ACD", "RVT", "C3D", "INV", "MAYA", "MAX", "NAV", "PLNT", "FDS", "ACDMEP",
];

fn main() {
    let rows: u32 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-out");
    if let Err(e) = std::fs::create_dir_all(&out) {
        eprintln!("{}: {e}", out.display());
        return;
    }
    let cases: [(&str, Build); 3] = [
        ("sessions", sessions),
        ("usage-report", usage_report),
        ("empty-rows", empty_rows),
    ];
    for (name, build) in cases {
        let path: PathBuf = out.join(format!("bench_{name}_{rows}.xlsx"));
        let t = Instant::now();
        if let Err(e) = build(rows, &path) {
            eprintln!("{}: cannot write: {e}", path.display());
            return;
        }
        let size = std::fs::metadata(&path).map_or(0, |m| m.len());
        eprintln!(
            "{name}: wrote {} ({:.1} MB) in {:.1} s",
            path.display(),
            size as f64 / 1e6,
            t.elapsed().as_secs_f64()
        );
        for round in 0..2 {
            let mut usage = Usage::default();
            let t = Instant::now();
            let report = import_path(&path, &ImportOptions::default(), &mut usage, &NoProgress);
            let secs = t.elapsed().as_secs_f64();
            match report {
                Ok(r) => println!(
                    "{name} round {round}: {} lines read, {} used, {} skipped, {} sessions, {} use-days in {secs:.2} s",
                    r.lines_read,
                    r.lines_used,
                    r.lines_skipped(),
                    usage.sessions.len(),
                    usage.use_days.len()
                ),
                Err(e) => println!("{name} round {round}: {e} ({secs:.2} s)"),
            }
        }
    }
}

/// A day of 2025 for row `i`.
fn day(i: u32) -> Result<ExcelDateTime, XlsxError> {
    let ordinal = 1 + (i / 2_000) % 365;
    let (mut m, mut d) = (1u8, ordinal as u16);
    for len in [31u16, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] {
        if d <= len {
            break;
        }
        d -= len;
        m += 1;
    }
    ExcelDateTime::from_ymd(2025, m, d as u8)
}

fn sessions(rows: u32, path: &Path) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    book.set_zip_compression_level(1);
    let sheet = book.add_worksheet();
    let when = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    for (c, h) in ["user", "product", "host", "start", "end"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows {
        let r = i + 1;
        let start_min = 8 * 60 + (i * 7) % 480;
        let (h, m) = ((start_min / 60) as u16, (start_min % 60) as u8);
        let d = day(i)?;
        sheet.write_string(r, 0, format!("u{:05}", i % 2_000))?;
        sheet.write_string(r, 1, PRODUCTS[(i % 10) as usize])?;
        sheet.write_string(r, 2, format!("ws{:04}", i % 1_500))?;
        sheet.write_datetime_with_format(r, 3, d.clone().and_hms(h, m, 0)?, &when)?;
        sheet.write_datetime_with_format(r, 4, d.and_hms(h + 1, m, 0)?, &when)?;
    }
    book.save(path)
}

fn usage_report(rows: u32, path: &Path) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    book.set_zip_compression_level(1);
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (c, h) in ["Email", "Product", "Day used", "Tokens used"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h)?;
    }
    for i in 0..rows {
        let r = i + 1;
        sheet.write_string(r, 0, format!("user{:05}@corp.com", i % 2_000))?;
        sheet.write_string(r, 1, PRODUCTS[(i % 10) as usize])?;
        sheet.write_datetime_with_format(r, 2, day(i)?, &date)?;
        sheet.write_number(r, 3, 6)?;
    }
    book.save(path)
}

fn empty_rows(rows: u32, path: &Path) -> Result<(), XlsxError> {
    let mut book = Workbook::new();
    book.set_zip_compression_level(1);
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    sheet.write_string(0, 0, "user")?;
    sheet.write_string(0, 1, "subscription")?;
    sheet.write_string(1, 0, "amy")?;
    sheet.write_string(1, 1, "ACD")?;
    for r in 2..rows.min(1_048_574) + 2 {
        sheet.write_blank(r, 0, &bold)?;
    }
    book.save(path)
}
