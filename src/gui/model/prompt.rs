//! The path prompt: a file path typed in the app instead of picked in the
//! system's file dialog, for when no dialog service runs (see
//! [`crate::gui::portal`]) or the user prefers typing.
//!
//! [`PathPrompt`] is the open prompt's state (what it is for, the text,
//! the last validation message); [`validate`] checks a typed path before
//! anything is read or written: a file to open must exist, a file to write
//! must be in an existing folder and not be a folder itself.
//! [`validate_data`] checks the paths of data files: one per line, a
//! folder standing for every file in it (their kinds are detected when
//! they are read).

use std::path::{Path, PathBuf};

use crate::gui::command::ExportRows;

/// What the typed path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    /// Data files to open (added to the data loaded or replacing it, as
    /// the user then says).
    OpenUsage,
    /// Data files to add to the data loaded.
    AddUsage,
    /// A scenario to load for editing.
    OpenScenario,
    /// Where to save the scenario.
    SaveScenario,
    /// Where to write the reassignment list, and which of its rows.
    ExportReassignment(ExportRows),
    /// A scenario to compare as side B.
    OpenCompare,
    /// Where to write the negotiation pack's workbook.
    ExportPack,
    /// The key file of the pseudonyms (created there on first use).
    KeyFile,
}

impl PathPurpose {
    /// The prompt's title.
    pub fn title(self) -> &'static str {
        match self {
            PathPurpose::OpenUsage => "Open data files",
            PathPurpose::AddUsage => "Add data files",
            PathPurpose::OpenScenario => "Open a scenario",
            PathPurpose::SaveScenario => "Save the scenario",
            PathPurpose::ExportReassignment(_) => "Export the reassignment list",
            PathPurpose::OpenCompare => "Load scenario B for comparison",
            PathPurpose::ExportPack => "Export the negotiation pack",
            PathPurpose::KeyFile => "Key file of the pseudonyms",
        }
    }

    /// The confirming button's text.
    pub fn action(self) -> &'static str {
        match self {
            PathPurpose::OpenUsage | PathPurpose::OpenScenario | PathPurpose::OpenCompare => "Open",
            PathPurpose::AddUsage => "Add",
            PathPurpose::SaveScenario => "Save",
            PathPurpose::ExportReassignment(_) | PathPurpose::ExportPack => "Export",
            PathPurpose::KeyFile => "Use",
        }
    }

    /// True when the path names a file to read (it must exist).
    pub fn reads(self) -> bool {
        matches!(
            self,
            PathPurpose::OpenUsage
                | PathPurpose::AddUsage
                | PathPurpose::OpenScenario
                | PathPurpose::OpenCompare
        )
    }

    /// True when it asks for data files: several, one per line, or a
    /// folder.
    pub fn is_data(self) -> bool {
        matches!(self, PathPurpose::OpenUsage | PathPurpose::AddUsage)
    }
}

/// An open path prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathPrompt {
    /// What the path is for.
    pub purpose: PathPurpose,
    /// The path as typed (pre-filled with a sensible one).
    pub text: String,
    /// Why the last submitted path was refused.
    pub error: Option<String>,
    /// True when it opened because no file dialog service was found (the
    /// prompt says so).
    pub no_dialogs: bool,
    /// True until the path field has taken the keyboard focus once.
    pub focus_pending: bool,
}

impl PathPrompt {
    /// A prompt for `purpose` starting at `path`.
    pub fn new(purpose: PathPurpose, path: &Path, no_dialogs: bool) -> PathPrompt {
        PathPrompt {
            purpose,
            text: path.display().to_string(),
            error: None,
            no_dialogs,
            focus_pending: true,
        }
    }
}

/// The path `text` names, `~/` expanded to `home` when given.
fn expand(text: &str, home: Option<&Path>) -> PathBuf {
    match (text.strip_prefix("~/"), home) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(text),
    }
}

/// Checks a typed path for `purpose`.
///
/// # Errors
/// A message saying what is wrong and what to do: nothing typed, no such
/// file (to read), a folder where a file is wanted, or a folder that does
/// not exist (to write).
pub fn validate(purpose: PathPurpose, text: &str, home: Option<&Path>) -> Result<PathBuf, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Type the path of a file.".into());
    }
    let path = expand(text, home);
    if path.is_dir() {
        return Err(format!(
            "{} is a folder: add a file name to the path.",
            path.display()
        ));
    }
    if purpose.reads() {
        if !path.is_file() {
            return Err(format!(
                "There is no file {}: check the spelling and the folder.",
                path.display()
            ));
        }
    } else {
        if path.file_name().is_none() {
            return Err("The path ends without a file name.".into());
        }
        // A bare file name goes to the working folder, which exists.
        let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(folder) = folder
            && !folder.is_dir()
        {
            return Err(format!(
                "The folder {} does not exist: create it first or choose another.",
                folder.display()
            ));
        }
    }
    Ok(path)
}

/// Checks the data paths typed for `purpose`, one per line: each must be a
/// file or a folder (which stands for every file in it, hidden ones left
/// out, in name order).
///
/// # Errors
/// A message naming the first line that is wrong, or saying nothing was
/// typed or a folder holds no file.
pub fn validate_data(text: &str, home: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let mut paths = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let path = expand(line, home);
        if path.is_dir() {
            let files = folder_files(&path)?;
            if files.is_empty() {
                return Err(format!("The folder {} holds no file.", path.display()));
            }
            paths.extend(files);
        } else if path.is_file() {
            paths.push(path);
        } else {
            return Err(format!(
                "There is no file or folder {}: check the spelling and the folder.",
                path.display()
            ));
        }
    }
    if paths.is_empty() {
        return Err("Type the path of a file or a folder, one per line.".into());
    }
    Ok(paths)
}

/// The files of folder `dir` (not its subfolders, not hidden files), by
/// name.
fn folder_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
        })
        .collect();
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_for_their_purpose() {
        let dir = std::env::temp_dir().join(format!("tokenplan-prompt-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("s.ron");
        std::fs::write(&file, "x").unwrap();
        let text = |p: &Path| p.display().to_string();

        assert_eq!(
            validate(PathPurpose::OpenScenario, &text(&file), None),
            Ok(file.clone())
        );
        let missing = dir.join("nope.ron");
        let err = validate(PathPurpose::OpenScenario, &text(&missing), None).unwrap_err();
        assert_eq!(
            err,
            format!(
                "There is no file {}: check the spelling and the folder.",
                missing.display()
            )
        );
        // Writing a new file in an existing folder is fine, over a folder not.
        assert_eq!(
            validate(PathPurpose::SaveScenario, &text(&missing), None),
            Ok(missing.clone())
        );
        let err = validate(
            PathPurpose::ExportReassignment(ExportRows::All),
            &text(&dir),
            None,
        )
        .unwrap_err();
        assert!(
            err.ends_with("is a folder: add a file name to the path."),
            "{err}"
        );
        let nowhere = dir.join("no-such-folder").join("r.csv");
        let err = validate(
            PathPurpose::ExportReassignment(ExportRows::All),
            &text(&nowhere),
            None,
        )
        .unwrap_err();
        assert_eq!(
            err,
            format!(
                "The folder {} does not exist: create it first or choose another.",
                dir.join("no-such-folder").display()
            )
        );
        assert_eq!(
            validate(PathPurpose::SaveScenario, "  ", None),
            Err("Type the path of a file.".into())
        );
        // A bare name is written to the working folder; `~/` is the home.
        assert_eq!(
            validate(PathPurpose::SaveScenario, "new.ron", None),
            Ok(PathBuf::from("new.ron"))
        );
        assert_eq!(
            validate(PathPurpose::OpenScenario, "~/s.ron", Some(&dir)),
            Ok(file.clone())
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn data_paths_take_several_lines_and_folders() {
        let dir =
            std::env::temp_dir().join(format!("tokenplan-prompt-data-{}", std::process::id()));
        let logs = dir.join("logs");
        std::fs::create_dir_all(&logs).unwrap();
        for name in ["b.log", "a.log", ".hidden"] {
            std::fs::write(logs.join(name), "x").unwrap();
        }
        let csv = dir.join("sessions.csv");
        std::fs::write(&csv, "x").unwrap();
        let text = format!("{}\n\n  {}  \n", csv.display(), logs.display());
        assert_eq!(
            validate_data(&text, None),
            Ok(vec![csv.clone(), logs.join("a.log"), logs.join("b.log")])
        );
        let missing = dir.join("nope.csv");
        assert_eq!(
            validate_data(&format!("{}\n{}", csv.display(), missing.display()), None),
            Err(format!(
                "There is no file or folder {}: check the spelling and the folder.",
                missing.display()
            ))
        );
        let empty = dir.join("empty");
        std::fs::create_dir_all(&empty).unwrap();
        assert_eq!(
            validate_data(&empty.display().to_string(), None),
            Err(format!("The folder {} holds no file.", empty.display()))
        );
        assert!(validate_data(" \n ", None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
