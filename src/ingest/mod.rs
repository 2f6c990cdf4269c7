//! Importers: every input file becomes part of a [`Usage`] plus a [`Report`].
//!
//! One file per format; [`detect`] tells the kind from the content. Every
//! importer keeps going past bad lines and accounts for each line it read:
//! used, or skipped with a reason. Nothing is silently dropped.
//! [`import_files`] imports several files the way the command line and the
//! GUI both do.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufReader, Read};
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::progress::Progress;
use crate::usage::Usage;

pub mod aliases;
pub mod assignments;
pub(crate) mod blocks;
pub mod columns;
pub mod detect;
pub mod directory;
pub mod files;
pub mod flexlog;
mod lines;
pub mod lmstat;
pub mod rlm;
pub mod sessions_csv;
mod table;
pub mod tokenflex;
pub mod usage_report;
pub mod xlsx;

pub use aliases::{Identities, apply_aliases, identities};
pub use columns::{
    ColumnMap, ColumnMapError, MapTarget, Role, TablePreview, header_signature, preview_bytes,
    preview_path,
};
pub use detect::detect;
pub use files::{FileImport, Imported, OnFatal, import_files, import_files_into};
pub use sessions_csv::SessionSink;

/// The kinds of input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceKind {
    /// Generic session CSV (SPEC §1.1).
    Sessions,
    /// FlexNet debug log (SPEC §1.2).
    DebugLog,
    /// Autodesk Token Flex usage export (SPEC §1.3).
    TokenFlex,
    /// User directory CSV (SPEC §1.4).
    Directory,
    /// Current assignments CSV (SPEC §1.4).
    Assignments,
    /// `lmutil lmstat -a` snapshots (SPEC §1.5).
    Lmstat,
    /// RLM report log (SPEC §1.5).
    Rlm,
    /// Usage report: use-days per user and product, by day or by month
    /// (SPEC §1.5).
    UsageReport,
    /// Alias table: `alias, user` identities (SPEC §1.4).
    Aliases,
}

impl SourceKind {
    /// The name used on the command line (`--kind`) and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Sessions => "sessions",
            SourceKind::DebugLog => "debug-log",
            SourceKind::TokenFlex => "token-flex",
            SourceKind::Directory => "directory",
            SourceKind::Assignments => "assignments",
            SourceKind::Lmstat => "lmstat",
            SourceKind::Rlm => "rlm",
            SourceKind::UsageReport => "usage-report",
            SourceKind::Aliases => "aliases",
        }
    }
}

/// A `--kind` name that is none of the [`SourceKind`]s.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown file kind `{0}`; expected one of: sessions, debug-log, token-flex, directory, assignments, usage-report, aliases, lmstat, rlm"
)]
pub struct UnknownKind(pub String);

impl FromStr for SourceKind {
    type Err = UnknownKind;

    /// The names of [`SourceKind::as_str`], any case, `_` for `-` allowed.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match k.as_str() {
            "sessions" => SourceKind::Sessions,
            "debug-log" => SourceKind::DebugLog,
            "token-flex" => SourceKind::TokenFlex,
            "directory" => SourceKind::Directory,
            "assignments" => SourceKind::Assignments,
            "lmstat" => SourceKind::Lmstat,
            "rlm" => SourceKind::Rlm,
            "usage-report" => SourceKind::UsageReport,
            "aliases" => SourceKind::Aliases,
            _ => return Err(UnknownKind(s.to_string())),
        })
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Options of one import.
#[derive(Clone, Debug)]
pub struct ImportOptions {
    /// Zone of timestamps without offset and of debug-log wall clocks.
    pub time_zone: Tz,
    /// Forces the file kind instead of detecting it.
    pub kind: Option<SourceKind>,
    /// The date of the first line of a debug log that never says its date
    /// (no anchor line at all); unused for any other log or file.
    pub start_date: Option<NaiveDate>,
    /// The worksheet of an XLSX workbook to read (default: the first).
    pub sheet: Option<String>,
    /// Which column is which, for tables whose header has every column it
    /// names ([`columns`]).
    pub columns: Option<ColumnMap>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            time_zone: chrono_tz::America::New_York,
            kind: None,
            start_date: None,
            sheet: None,
            columns: None,
        }
    }
}

/// One problem found in an input, `file:line: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// File name as given.
    pub file: String,
    /// 1-based line number (0 when the problem is about the whole file).
    pub line: u64,
    /// What happened and what was done about it.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file, self.message)
        } else {
            write!(f, "{}:{}: {}", self.file, self.line, self.message)
        }
    }
}

/// What one import did: counts of lines read, used and skipped by reason,
/// and the problems (the first [`Report::MAX_PROBLEMS`] kept in full; the
/// counts always cover all of them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// File name as given.
    pub file: String,
    /// Kind detected or forced.
    pub kind: Option<SourceKind>,
    /// Lines read (header included).
    pub lines_read: u64,
    /// Lines that produced data (or state, such as a date anchor).
    pub lines_used: u64,
    /// Lines skipped, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Other counts worth showing (sessions made, open at end, denials...).
    pub counts: BTreeMap<String, u64>,
    /// Problems, in file order.
    pub problems: Vec<Problem>,
    /// Problems not kept in `problems` because there were too many.
    pub problems_not_kept: u64,
    /// True when the file could not be read at all.
    pub fatal: bool,
    /// The worksheet read, when the file is an XLSX workbook.
    pub sheet: Option<String>,
}

impl Report {
    /// Problems kept in full per file.
    pub const MAX_PROBLEMS: usize = 1000;

    /// A report for `file`.
    pub fn new(file: impl Into<String>) -> Self {
        Report {
            file: file.into(),
            ..Report::default()
        }
    }

    /// Counts one skipped line under `reason` and records `message` as a problem.
    pub fn skip(&mut self, line: u64, reason: &str, message: impl Into<String>) {
        *self.skipped.entry(reason.to_string()).or_default() += 1;
        self.problem(line, message);
    }

    /// Records a problem that did not skip a line.
    pub fn problem(&mut self, line: u64, message: impl Into<String>) {
        if self.problems.len() < Self::MAX_PROBLEMS {
            self.problems.push(Problem {
                file: self.file.clone(),
                line,
                message: message.into(),
            });
        } else {
            self.problems_not_kept += 1;
        }
    }

    /// Adds `n` to the count named `what`.
    pub fn count(&mut self, what: &str, n: u64) {
        *self.counts.entry(what.to_string()).or_default() += n;
    }

    /// Lines skipped in all.
    pub fn lines_skipped(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// True when anything was wrong with the input.
    pub fn has_errors(&self) -> bool {
        self.fatal || !self.problems.is_empty() || self.problems_not_kept > 0
    }
}

/// A file that could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// Reading failed.
    #[error("{file}: cannot read: {source}")]
    Io {
        /// File name.
        file: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The content is none of the known kinds.
    #[error("{file}: {reason}")]
    Unrecognised {
        /// File name.
        file: String,
        /// Why, and what to do.
        reason: String,
    },
}

/// Bytes looked at to tell a file's kind.
const HEAD: u64 = 64 * 1024;

/// Detects the kind of the file at `path` (or takes `opts.kind`) and reads
/// it into `usage`. An XLSX workbook is read from its first worksheet (or
/// `opts.sheet`), its problems named `file:sheet:row`; `opts.columns`
/// renames a fitting header first. While an alias table is loaded, every
/// user name is then renamed through it ([`aliases`]). Problems in the
/// content are in the [`Report`]; `progress` sees bytes read and can cancel
/// a long session import (the report then says so).
///
/// # Errors
/// [`ImportError::Io`] when the file cannot be opened or read at all;
/// [`ImportError::Unrecognised`] when its content is of no known kind (the
/// message says which kinds are accepted), or a workbook or its sheet can't
/// be read.
pub fn import_path(
    path: &Path,
    opts: &ImportOptions,
    usage: &mut Usage,
    progress: &dyn Progress,
) -> Result<Report, ImportError> {
    import_path_into(path, opts, usage, progress, None)
}

/// [`import_path`] that hands a session CSV's sessions to `sink` block by
/// block instead of storing them ([`sessions_csv::read_sessions_into`]);
/// every other kind of file, and a workbook, is read as
/// [`import_path`] reads it (its sessions, if any, stored).
///
/// # Errors
/// As [`import_path`].
pub fn import_path_into(
    path: &Path,
    opts: &ImportOptions,
    usage: &mut Usage,
    progress: &dyn Progress,
    sink: Option<&mut dyn SessionSink>,
) -> Result<Report, ImportError> {
    let name = path.display().to_string();
    let io = |source| ImportError::Io {
        file: name.clone(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let total = file.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(HEAD as usize);
    (&mut file).take(HEAD).read_to_end(&mut head).map_err(io)?;
    if xlsx::is_workbook(&name, &head) {
        file.read_to_end(&mut head).map_err(io)?;
        return import_workbook(&name, &head, opts, usage, progress);
    }
    let before = head.len() as u64;
    let (head, kind) = prepare(&name, head, opts)?;
    let total = (total + head.len() as u64).saturating_sub(before);
    let src = std::io::Cursor::new(head).chain(file);
    let report = import_reader(&name, kind, src, total, opts, usage, progress, sink);
    Ok(with_identities(report, usage))
}

/// The kind [`import_path`] would read the file at `path` as (forced by
/// `opts.kind`, or detected from its head; a workbook from its sheet).
///
/// # Errors
/// As [`import_path`], for a file it could not read or recognise.
pub fn kind_of_path(path: &Path, opts: &ImportOptions) -> Result<SourceKind, ImportError> {
    let name = path.display().to_string();
    let io = |source| ImportError::Io {
        file: name.clone(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut head = Vec::with_capacity(HEAD as usize);
    (&mut file).take(HEAD).read_to_end(&mut head).map_err(io)?;
    if xlsx::is_workbook(&name, &head) {
        if let Some(k) = opts.kind {
            return Ok(k);
        }
        file.read_to_end(&mut head).map_err(io)?;
        let sheet = xlsx::read_sheet(std::io::Cursor::new(&head), opts.sheet.as_deref()).map_err(
            |reason| ImportError::Unrecognised {
                file: name.clone(),
                reason,
            },
        )?;
        let cut = sheet.text.len().min(HEAD as usize);
        let text = sheet.text.get(..cut).unwrap_or_default().to_vec();
        return prepare(&name, text, opts).map(|(_, kind)| kind);
    }
    prepare(&name, head, opts).map(|(_, kind)| kind)
}

/// [`import_path`] on bytes already in memory (tests, drag and drop);
/// `name` is the file name used in messages.
///
/// # Errors
/// [`ImportError::Unrecognised`] when the content is of no known kind, or a
/// workbook or its sheet can't be read.
pub fn import_bytes(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    usage: &mut Usage,
    progress: &dyn Progress,
) -> Result<Report, ImportError> {
    if xlsx::is_workbook(name, bytes) {
        return import_workbook(name, bytes, opts, usage, progress);
    }
    import_text(name, bytes, opts, usage, progress)
}

/// A workbook's sheet, as a text table named `file:sheet`.
fn import_workbook(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    usage: &mut Usage,
    progress: &dyn Progress,
) -> Result<Report, ImportError> {
    let sheet =
        xlsx::read_sheet(std::io::Cursor::new(bytes), opts.sheet.as_deref()).map_err(|reason| {
            ImportError::Unrecognised {
                file: name.to_string(),
                reason,
            }
        })?;
    let name = format!("{name}:{}", sheet.sheet);
    let mut report = import_text(&name, &sheet.text, opts, usage, progress)?;
    report.sheet = Some(sheet.sheet);
    Ok(report)
}

fn import_text(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    usage: &mut Usage,
    progress: &dyn Progress,
) -> Result<Report, ImportError> {
    let cut = bytes.len().min(HEAD as usize);
    let (head, rest) = bytes.split_at(cut);
    let (head, kind) = prepare(name, head.to_vec(), opts)?;
    let total = (head.len() + rest.len()) as u64;
    let src = std::io::Cursor::new(head).chain(rest);
    let report = import_reader(name, kind, src, total, opts, usage, progress, None);
    Ok(with_identities(report, usage))
}

/// The head with its header renamed by `opts.columns` (when it fits), and
/// the kind: forced, or detected from that head.
fn prepare(
    name: &str,
    head: Vec<u8>,
    opts: &ImportOptions,
) -> Result<(Vec<u8>, SourceKind), ImportError> {
    let (head, unfit) = match opts
        .columns
        .as_ref()
        .map(|m| columns::apply_to_head(m, &head))
    {
        Some(Ok(renamed)) => (renamed, None),
        Some(Err(why)) => (head, Some(why)),
        None => (head, None),
    };
    let kind = match opts.kind {
        Some(k) => k,
        None => detect::classify(name, &head).map_err(|reason| ImportError::Unrecognised {
            file: name.to_string(),
            reason: match &unfit {
                Some(why) => format!("{reason} ({why})"),
                None => reason,
            },
        })?,
    };
    Ok((head, kind))
}

/// Renames users through the alias table (when one is loaded) and says so
/// in `report`.
fn with_identities(mut report: Report, usage: &mut Usage) -> Report {
    let out = aliases::apply_aliases(usage);
    if out.names_joined > 0 {
        report.count("names joined by aliases", out.names_joined);
        report.count("records renamed by aliases", out.records);
    }
    if report.kind == Some(SourceKind::Aliases) {
        for l in out.loops {
            report.problem(0, l);
        }
    }
    for c in out.collisions {
        report.problem(0, c);
    }
    report
}

#[allow(clippy::too_many_arguments)]
fn import_reader<R: Read + Send>(
    name: &str,
    kind: SourceKind,
    src: R,
    total: u64,
    opts: &ImportOptions,
    usage: &mut Usage,
    progress: &dyn Progress,
    sink: Option<&mut dyn SessionSink>,
) -> Report {
    let mut report = match kind {
        SourceKind::Sessions => match sink {
            Some(sink) => sessions_csv::read_sessions_into(
                name,
                src,
                total,
                opts.time_zone,
                usage,
                progress,
                sink,
            ),
            None => sessions_csv::read_sessions(name, src, total, opts.time_zone, usage, progress),
        },
        SourceKind::DebugLog => flexlog::read_debug_log(name, src, opts, usage),
        SourceKind::TokenFlex => tokenflex::read_token_flex(name, src, usage),
        SourceKind::Directory => directory::read_directory(name, src, usage),
        SourceKind::Assignments => assignments::read_assignments(name, src, usage),
        SourceKind::Lmstat => {
            lmstat::read_lmstat(name, BufReader::with_capacity(1 << 16, src), opts, usage)
        }
        SourceKind::Rlm => rlm::read_rlm(name, BufReader::with_capacity(1 << 16, src), opts, usage),
        SourceKind::UsageReport => usage_report::read_usage_report(name, src, usage),
        SourceKind::Aliases => aliases::read_aliases(name, src, usage),
    };
    report.kind = Some(kind);
    progress.report(total, total);
    report
}

/// Users with usage (sessions or vendor charges) but no row in the user
/// directory, by first spelling; empty when no directory was loaded. Such
/// users have no department (budgets put them in an unassigned pool) and
/// no office or zone (the time-zone what-ifs use the server's).
///
/// This is a check across files, so it runs after every import.
pub fn users_missing_from_directory(usage: &Usage) -> Vec<String> {
    users_missing_from_directory_with(usage, &[])
}

/// [`users_missing_from_directory`] for a usage whose sessions were
/// streamed rather than stored: `streamed[user]` is true for a user who
/// had some.
pub fn users_missing_from_directory_with(usage: &Usage, streamed: &[bool]) -> Vec<String> {
    if usage.directory.is_empty() {
        return Vec::new();
    }
    let mut seen = vec![false; usage.users.len()];
    for (flag, &had) in seen.iter_mut().zip(streamed) {
        *flag |= had;
    }
    let users = usage
        .sessions
        .iter()
        .map(|s| s.user)
        .chain(usage.vendor_charges.iter().map(|c| c.user))
        .chain(usage.use_days.iter().map(|d| d.user));
    for user in users {
        if let Some(flag) = seen.get_mut(user as usize) {
            *flag = true;
        }
    }
    let mut missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|&(id, &used)| used && !usage.directory.contains_key(&(id as u32)))
        .map(|(id, _)| usage.users.name(id as u32).to_string())
        .collect();
    missing.sort();
    missing
}

#[cfg(test)]
mod directory_tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn users_with_usage_but_no_directory_row_are_listed() {
        let opts = ImportOptions::default();
        let mut usage = Usage::default();
        let sessions = "user,product,start,end\n\
            Ann,ACD,2025-01-06T14:00:00Z,2025-01-06T15:00:00Z\n\
            bob,ACD,2025-01-06T14:00:00Z,2025-01-06T15:00:00Z\n\
            Cy,ACD,2025-01-06T14:00:00Z,2025-01-06T15:00:00Z\n";
        import_bytes("s.csv", sessions.as_bytes(), &opts, &mut usage, &NoProgress).unwrap();
        // No directory loaded: nothing to say.
        assert!(users_missing_from_directory(&usage).is_empty());
        let directory = "user,department\nann,Civil\ndee,Civil\n";
        import_bytes(
            "d.csv",
            directory.as_bytes(),
            &opts,
            &mut usage,
            &NoProgress,
        )
        .unwrap();
        // `ann` matches `Ann` (case-insensitive); `dee` has no usage.
        assert_eq!(users_missing_from_directory(&usage), vec!["Cy", "bob"]);
    }
}
