//! Importing several files at once, the way both faces do it: each file in
//! turn into one [`Usage`], one [`Report`] each, files that cannot be read
//! listed rather than stopping the rest, and the users with usage but no
//! row in the user directory named ([`import_files`] → [`Imported`]).

use std::path::{Path, PathBuf};

use super::{
    ImportError, ImportOptions, Report, SessionSink, import_path, import_path_into,
    users_missing_from_directory, users_missing_from_directory_with,
};
use crate::progress::Progress;
use crate::usage::Usage;

/// What to do with a file whose import is fatal part-way (its report says
/// `fatal`): the rows read before the failure may already be in the usage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnFatal {
    /// Keep what was read (the command line: the report says the file is
    /// broken and the run goes on with the rest).
    KeepPartial,
    /// A file whose import is fatal adds nothing: what it appended is
    /// taken back, without copying the sessions loaded before (the GUI,
    /// where the data loaded before must stay as it was).
    Discard,
}

/// One file of an [`import_files`] call.
#[derive(Debug)]
pub struct FileImport {
    /// The file as given.
    pub path: PathBuf,
    /// Its report, or why it could not be read at all.
    pub outcome: Result<Report, ImportError>,
    /// True when its data is in the usage.
    pub kept: bool,
}

/// What [`import_files`] did.
#[derive(Debug, Default)]
pub struct Imported {
    /// One entry per file, in the order given.
    pub files: Vec<FileImport>,
    /// Users with usage but no row in the user directory, sorted (empty
    /// when no directory was loaded): SPEC §1.4 "unknown users are
    /// reported".
    pub missing_from_directory: Vec<String>,
}

impl Imported {
    /// One report per file in the order given; a file that could not be
    /// read at all gets a fatal report saying why.
    pub fn reports(self) -> Vec<Report> {
        self.files
            .into_iter()
            .map(|f| match f.outcome {
                Ok(report) => report,
                Err(e) => {
                    let mut report = Report::new(f.path.display().to_string());
                    report.fatal = true;
                    report.problem(0, e.to_string());
                    report
                }
            })
            .collect()
    }

    /// True when the data of at least one file was kept.
    pub fn any_kept(&self) -> bool {
        self.files.iter().any(|f| f.kept)
    }

    /// The line that names the users missing from the directory (at most
    /// [`MISSING_SHOWN`] of them), `None` when there are none.
    pub fn missing_note(&self) -> Option<String> {
        let missing = &self.missing_from_directory;
        if missing.is_empty() {
            return None;
        }
        let more = missing.len().saturating_sub(MISSING_SHOWN);
        Some(format!(
            "{} users have usage but no row in the user directory (no department, office or zone): {}{}",
            missing.len(),
            missing[..missing.len().min(MISSING_SHOWN)].join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        ))
    }
}

/// Users named by [`Imported::missing_note`] before "and N more".
pub const MISSING_SHOWN: usize = 20;

/// Imports each of `paths` into `usage` in turn, its kind detected from
/// the content (or `options.kind`); a file that cannot be read is listed
/// and the rest go on. `on_fatal` says whether a file that fails part-way
/// leaves what it read.
pub fn import_files(
    usage: &mut Usage,
    paths: &[PathBuf],
    options: &ImportOptions,
    on_fatal: OnFatal,
    progress: &dyn Progress,
) -> Imported {
    let files = paths
        .iter()
        .map(|path| import_one(usage, path, options, on_fatal, progress))
        .collect();
    Imported {
        files,
        missing_from_directory: users_missing_from_directory(usage),
    }
}

/// [`import_files`] keeping partial imports (as the command line does),
/// every session handed to `sink` instead of stored: a session CSV's block
/// by block as it is read, any other file's (a debug log's) right after
/// that file, so the sink sees them in import order and the usage ends
/// with no session.
pub fn import_files_into(
    usage: &mut Usage,
    paths: &[PathBuf],
    options: &ImportOptions,
    progress: &dyn Progress,
    sink: &mut dyn SessionSink,
) -> Imported {
    let files = paths
        .iter()
        .map(|path| {
            let outcome = import_path_into(path, options, usage, progress, Some(&mut *sink));
            let stored = std::mem::take(&mut usage.sessions);
            for segment in stored.into_segments() {
                sink.take(segment, usage);
            }
            FileImport {
                path: path.clone(),
                kept: outcome.is_ok(),
                outcome,
            }
        })
        .collect();
    Imported {
        files,
        missing_from_directory: users_missing_from_directory_with(
            usage,
            sink.users_with_sessions(),
        ),
    }
}

fn import_one(
    usage: &mut Usage,
    path: &Path,
    options: &ImportOptions,
    on_fatal: OnFatal,
    progress: &dyn Progress,
) -> FileImport {
    let (outcome, kept) = match on_fatal {
        OnFatal::KeepPartial => {
            let outcome = import_path(path, options, usage, progress);
            let kept = outcome.is_ok();
            (outcome, kept)
        }
        OnFatal::Discard => {
            let undo = Undo::take(usage);
            let outcome = import_path(path, options, usage, progress);
            let kept = outcome.as_ref().is_ok_and(|r| !r.fatal);
            if !kept {
                undo.restore(usage);
            }
            (outcome, kept)
        }
    };
    FileImport {
        path: path.to_path_buf(),
        outcome,
        kept,
    }
}

/// What one file's import may change, kept to be put back when the
/// import fails ([`OnFatal::Discard`]), without a copy of the sessions: the
/// bulk of a large usage, which an import only appends to.
enum Undo {
    /// Everything but the sessions, and how many sessions there were.
    Appended { rest: Box<Usage>, sessions: usize },
    /// The whole usage: while an alias table is loaded, an import renames
    /// the users of the sessions already there (SPEC §1.4), which no count
    /// can undo.
    Whole(Box<Usage>),
}

impl Undo {
    fn take(usage: &mut Usage) -> Undo {
        if !usage.aliases.is_empty() {
            return Undo::Whole(Box::new(usage.clone()));
        }
        // An alias table read by this import is only kept when the import
        // is not fatal (a fatal table read no row), so with no alias table
        // loaded a failed import has only appended sessions.
        Undo::Appended {
            rest: Box::new(usage.clone_without_sessions()),
            sessions: usage.sessions.len(),
        }
    }

    fn restore(self, usage: &mut Usage) {
        match self {
            Undo::Whole(whole) => *usage = *whole,
            Undo::Appended { rest, sessions } => {
                let mut kept = std::mem::take(&mut usage.sessions);
                kept.truncate(sessions);
                *usage = *rest;
                usage.sessions = kept;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    fn temp(name: &str, text: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tokenplan-files-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn every_file_is_accounted_for_and_missing_users_are_named() {
        let sessions = temp(
            "s.csv",
            "user,feature,start,end\nann,ACD,2025-01-06 09:00,2025-01-06 10:00\nbob,ACD,2025-01-06 09:00,2025-01-06 10:00\n",
        );
        let directory = temp("d.csv", "user,department\nann,Civil\n");
        let missing = std::env::temp_dir().join("tokenplan-no-such-file.csv");
        let mut usage = Usage::default();
        let imported = import_files(
            &mut usage,
            &[sessions.clone(), missing.clone(), directory],
            &ImportOptions::default(),
            OnFatal::Discard,
            &NoProgress,
        );
        let kept: Vec<bool> = imported.files.iter().map(|f| f.kept).collect();
        assert_eq!(kept, [true, false, true]);
        assert!(imported.any_kept());
        assert_eq!(usage.sessions.len(), 2);
        // bob has usage but no directory row; ann has one.
        assert_eq!(imported.missing_from_directory, ["bob"]);
        assert_eq!(
            imported.missing_note().unwrap(),
            "1 users have usage but no row in the user directory (no department, office or zone): bob"
        );
        let reports = imported.reports();
        assert_eq!(reports.len(), 3);
        assert!(reports[1].fatal);
        assert_eq!(reports[1].file, missing.display().to_string());
        std::fs::remove_file(sessions).unwrap();
    }

    /// The names and sessions of `usage`, to compare two states.
    fn state(
        usage: &Usage,
    ) -> (
        Vec<String>,
        Vec<String>,
        Vec<String>,
        Vec<crate::usage::Session>,
    ) {
        (
            (0..usage.users.len() as u32)
                .map(|i| usage.users.name(i).to_string())
                .collect(),
            usage.features.names().map(str::to_string).collect(),
            usage.hosts.names().map(str::to_string).collect(),
            usage.sessions.iter().copied().collect(),
        )
    }

    #[test]
    fn a_file_that_fails_part_way_takes_back_all_it_added() {
        let sessions = temp(
            "undo.csv",
            "user,feature,start,end,host\nann,ACD,2025-01-06 09:00,2025-01-06 10:00,ws1\n",
        );
        // Event lines but no date anchor: the importer names new users,
        // features and hosts before it finds the log fatal at its end.
        let log = temp(
            "undo.log",
            " 9:00:00 (adskflex) OUT: \"87545ACD_2025_0F\" zed@ws9  \n 9:30:00 (adskflex) IN: \"87545ACD_2025_0F\" zed@ws9  \n",
        );
        let mut usage = Usage::default();
        let first = import_files(
            &mut usage,
            std::slice::from_ref(&sessions),
            &ImportOptions::default(),
            OnFatal::Discard,
            &NoProgress,
        );
        assert!(first.any_kept());
        let before = state(&usage);
        assert_eq!(before.3.len(), 1);
        let second = import_files(
            &mut usage,
            std::slice::from_ref(&log),
            &ImportOptions::default(),
            OnFatal::Discard,
            &NoProgress,
        );
        assert!(!second.any_kept());
        let report = second.reports().remove(0);
        assert!(report.fatal, "{report:?}");
        assert_eq!(state(&usage), before);
        // The same file kept part-way (the command line) adds its names.
        let mut partial = Usage::default();
        import_files(
            &mut partial,
            &[sessions.clone(), log.clone()],
            &ImportOptions::default(),
            OnFatal::KeepPartial,
            &NoProgress,
        );
        assert!(partial.users.get("zed").is_some());
        std::fs::remove_file(sessions).unwrap();
        std::fs::remove_file(log).unwrap();
    }

    #[test]
    fn truncate_drops_whole_segments_and_part_of_the_last() {
        let s = |start| crate::usage::Session {
            start,
            dur: 1,
            user: 0,
            feature: 0,
            host: 0,
            draw: 0,
            flags: 0,
        };
        let mut sessions = crate::usage::Sessions::default();
        sessions.push_segment(vec![s(1), s(2), s(3)]);
        sessions.push_segment(vec![s(4), s(5)]);
        sessions.push(s(6));
        // 6 sessions in two segments of 3 (push fills the last one).
        sessions.truncate(2);
        assert_eq!(sessions.len(), 2);
        assert_eq!(sessions.segments().len(), 1);
        let starts: Vec<u32> = sessions.iter().map(|x| x.start).collect();
        assert_eq!(starts, [1, 2]);
        sessions.truncate(5);
        assert_eq!(sessions.len(), 2);
        sessions.truncate(0);
        assert!(sessions.is_empty());
        assert!(sessions.segments().is_empty());
    }
}
