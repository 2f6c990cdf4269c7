//! Importers: every input file becomes part of a [`Usage`] plus a [`Report`].
//!
//! One file per format; [`detect`] tells the kind from the content. Every
//! importer keeps going past bad lines and accounts for each line it read:
//! used, or skipped with a reason. Nothing is silently dropped.

use std::collections::BTreeMap;
use std::fmt;

use chrono_tz::Tz;

pub mod flexlog;

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
        }
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
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            time_zone: chrono_tz::America::New_York,
            kind: None,
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
