//! The questions the app asks before it loses or replaces something
//! (SPEC §10 "nothing lost"): unsaved edits before quitting, closing,
//! opening another scenario or loading the sample (Save / Discard /
//! Cancel); opened data files (add to what is loaded, or replace it); an
//! earlier run's unsaved edits found in the recovery file (restore or
//! discard). The app keeps the open [`Question`]; the question view draws
//! it; the buttons emit [`Answer`]s.

use std::path::PathBuf;

use crate::scenario::Scenario;

/// What unsaved edits would be lost by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Guarded {
    /// Quitting the app (File › Quit or closing the window).
    Quit,
    /// Opening another scenario with the file dialog or the path prompt.
    OpenScenarioDialog,
    /// Loading this scenario file.
    LoadScenario(PathBuf),
    /// Loading the bundled sample (its scenario and data).
    LoadSample,
}

impl Guarded {
    /// What it does, in words ("quitting").
    fn doing(&self) -> String {
        match self {
            Guarded::Quit => "Quitting".to_owned(),
            Guarded::OpenScenarioDialog => "Opening another scenario".to_owned(),
            Guarded::LoadScenario(p) => format!("Opening {}", p.display()),
            Guarded::LoadSample => "Loading the sample".to_owned(),
        }
    }
}

/// Edits of an earlier run found in the recovery file.
#[derive(Clone, Debug, PartialEq)]
pub struct Recovered {
    /// The scenario as it was when last written.
    pub scenario: Scenario,
    /// The file it was loaded from, when it had one.
    pub path: Option<PathBuf>,
    /// When the recovery file was written, in words.
    pub written: String,
}

/// The question open.
#[derive(Clone, Debug, PartialEq)]
pub enum Question {
    /// The scenario has unsaved edits that `Guarded` would lose.
    Unsaved {
        /// What would lose them.
        action: Guarded,
        /// The scenario's name.
        name: String,
        /// Its file, when it has one.
        path: Option<PathBuf>,
    },
    /// Data files were opened while data is loaded.
    AddOrReplace(Vec<PathBuf>),
    /// An earlier run's unsaved edits.
    Recover(Box<Recovered>),
}

/// A button of a question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Save the scenario, then go on.
    Save,
    /// Go on without saving (or drop the recovered edits).
    Discard,
    /// Keep everything as it is.
    Cancel,
    /// Add the files to what is loaded.
    Add,
    /// Replace what is loaded by the files.
    Replace,
    /// Take the recovered edits back.
    Restore,
}

impl Question {
    /// The question's title.
    pub fn title(&self) -> &'static str {
        match self {
            Question::Unsaved { .. } => "Save the edited scenario?",
            Question::AddOrReplace(_) => "Add these files, or replace the data loaded?",
            Question::Recover(_) => "Unsaved edits from the last session",
        }
    }

    /// What it is about, in sentences.
    pub fn body(&self) -> String {
        match self {
            Question::Unsaved { action, name, path } => format!(
                "{} would lose the edits of “{name}” that are not saved {}.",
                action.doing(),
                path.as_ref().map_or_else(
                    || "to any file".to_owned(),
                    |p| format!("to {}", p.display())
                )
            ),
            Question::AddOrReplace(paths) => {
                let names: Vec<String> = paths
                    .iter()
                    .take(6)
                    .map(|p| p.display().to_string())
                    .collect();
                let more = paths.len().saturating_sub(names.len());
                format!(
                    "{}{}\nAdd them to the data loaded (a log of the same period adds its sessions), or replace the data loaded by them?",
                    names.join("\n"),
                    if more > 0 {
                        format!("\nand {more} more")
                    } else {
                        String::new()
                    }
                )
            }
            Question::Recover(r) => format!(
                "“{}”{} had edits that were not saved when tokenplan last closed (kept {}). Restore them, or discard them?",
                r.scenario.name,
                r.path
                    .as_ref()
                    .map_or_else(String::new, |p| format!(" ({})", p.display())),
                r.written
            ),
        }
    }

    /// The buttons, in order: the answer, its text, what it does.
    pub fn answers(&self) -> Vec<(Answer, &'static str, &'static str)> {
        match self {
            Question::Unsaved { path, .. } => vec![
                (
                    Answer::Save,
                    if path.is_some() { "Save" } else { "Save as…" },
                    "Save the scenario, then go on",
                ),
                (
                    Answer::Discard,
                    "Discard the edits",
                    "Go on; the edits are lost",
                ),
                (Answer::Cancel, "Cancel", "Stay: nothing changes"),
            ],
            Question::AddOrReplace(_) => vec![
                (
                    Answer::Add,
                    "Add to the data loaded",
                    "Keep what is loaded and import these files too",
                ),
                (
                    Answer::Replace,
                    "Replace the data loaded",
                    "Drop what is loaded; these files are all the data",
                ),
                (Answer::Cancel, "Cancel", "Import nothing"),
            ],
            Question::Recover(_) => vec![
                (
                    Answer::Restore,
                    "Restore the edits",
                    "Take the edited scenario back; it stays unsaved until you save it",
                ),
                (Answer::Discard, "Discard them", "Forget the edits for good"),
                (Answer::Cancel, "Not now", "Keep them for the next start"),
            ],
        }
    }
}
