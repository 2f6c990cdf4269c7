//! The path prompt: a file path typed in the app instead of picked in the
//! system's file dialog, for when no dialog service runs (see
//! [`crate::gui::portal`]) or the user prefers typing.
//!
//! [`PathPrompt`] is the open prompt's state (what it is for, the text,
//! the last validation message); [`validate`] checks a typed path before
//! anything is read or written: a file to open must exist, a file to write
//! must be in an existing folder and not be a folder itself.

use std::path::{Path, PathBuf};

/// What the typed path is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathPurpose {
    /// A usage file to import.
    OpenUsage,
    /// A scenario to load for editing.
    OpenScenario,
    /// Where to save the scenario.
    SaveScenario,
    /// Where to write the reassignment list.
    ExportReassignment,
    /// A scenario to compare as side B.
    OpenCompare,
}

impl PathPurpose {
    /// The prompt's title.
    pub fn title(self) -> &'static str {
        match self {
            PathPurpose::OpenUsage => "Open a usage file",
            PathPurpose::OpenScenario => "Open a scenario",
            PathPurpose::SaveScenario => "Save the scenario",
            PathPurpose::ExportReassignment => "Export the reassignment list",
            PathPurpose::OpenCompare => "Load scenario B for comparison",
        }
    }

    /// The confirming button's text.
    pub fn action(self) -> &'static str {
        match self {
            PathPurpose::OpenUsage | PathPurpose::OpenScenario | PathPurpose::OpenCompare => "Open",
            PathPurpose::SaveScenario => "Save",
            PathPurpose::ExportReassignment => "Export",
        }
    }

    /// True when the path names a file to read (it must exist).
    pub fn reads(self) -> bool {
        matches!(
            self,
            PathPurpose::OpenUsage | PathPurpose::OpenScenario | PathPurpose::OpenCompare
        )
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
        let err = validate(PathPurpose::ExportReassignment, &text(&dir), None).unwrap_err();
        assert!(
            err.ends_with("is a folder: add a file name to the path."),
            "{err}"
        );
        let nowhere = dir.join("no-such-folder").join("r.csv");
        let err = validate(PathPurpose::ExportReassignment, &text(&nowhere), None).unwrap_err();
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
}
