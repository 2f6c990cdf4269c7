//! Nothing lost (SPEC §10). [`Keep`] is the app's state for it:
//!
//! - the open [`Question`]: unsaved edits before quitting, closing the
//!   window, opening another scenario or loading the sample (Save /
//!   Discard / Cancel); opened data files (add or replace); an earlier
//!   run's edits (restore or discard);
//! - what goes on after a Save chosen in that question, when the scenario
//!   has no file yet and one is asked for;
//! - the recovery file: while the scenario has unsaved edits, a copy is
//!   written (atomically, on a named thread, at most once a second) to
//!   `recovery.ron` in the app's state folder and offered back at the next
//!   start; it goes when the edits are saved or discarded.
//!
//! The file is the scenario's own RON after a comment line naming the
//! scenario's file, so it also opens as a scenario by hand.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::App;
use super::data::{ImportMode, ScenarioSource};
use crate::gui::jobs::JobSlot;
use crate::gui::model::prompt::PathPurpose;
pub(super) use crate::gui::model::question::Recovered;
use crate::gui::model::question::{Answer, Guarded, Question};
use crate::gui::notify::Level;
use crate::gui::workspace::Source;
use crate::scenario::Scenario;

/// The recovery file's name in the state folder.
pub const RECOVERY_FILE: &str = "recovery.ron";

/// The first line of a recovery file, before the scenario's path.
const OF: &str = "// tokenplan recovery of: ";

/// Least time between two writes of the recovery file.
const WRITE_EVERY: Duration = Duration::from_secs(1);

/// What the app keeps so that nothing is lost.
#[derive(Default)]
pub struct Keep {
    /// The question open.
    question: Option<Question>,
    /// What a Save chosen in the unsaved-edits question goes on with, once
    /// the scenario is saved (its file is being asked for).
    after_save: Option<Guarded>,
    /// Quitting was confirmed: the window may close.
    quit_confirmed: bool,
    /// The recovery file.
    recovery: Recovery,
}

/// The recovery file and its writer.
#[derive(Default)]
struct Recovery {
    /// Where it is written (`None`: not kept, e.g. in tests).
    file: Option<PathBuf>,
    /// The scenario revision on disk.
    written_rev: Option<u64>,
    /// When the last write started.
    last_write: Option<Instant>,
    /// The write running, with the revision it writes.
    job: JobSlot<Result<u64, String>>,
    /// A failure was said already (said once, not every second).
    warned: bool,
}

impl Keep {
    /// Keeps the recovery file at `file` (none: no recovery file).
    pub fn new(file: Option<PathBuf>) -> Keep {
        Keep {
            recovery: Recovery {
                file,
                ..Recovery::default()
            },
            ..Keep::default()
        }
    }

    /// The question open.
    pub fn question(&self) -> Option<&Question> {
        self.question.as_ref()
    }

    /// Asks whether `paths` join the data loaded or replace it.
    pub fn ask_add_or_replace(&mut self, paths: Vec<PathBuf>) {
        self.question = Some(Question::AddOrReplace(paths));
    }

    /// Offers an earlier run's edits back.
    pub fn offer_recovery(&mut self, recovered: Recovered) {
        self.question = Some(Question::Recover(Box::new(recovered)));
    }

    /// True when the window may close without asking.
    pub fn may_close(&self) -> bool {
        self.quit_confirmed
    }
}

/// Reads the recovery file at `path`: `None` when there is none.
pub(super) fn read_recovery(path: &Path) -> Option<Result<Recovered, String>> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
        Err(e) => return Some(Err(format!("{}: {e}", path.display()))),
    };
    let of = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix(OF))
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != "(no file)")
        .map(PathBuf::from);
    let written = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map_or_else(
            || "at an unknown time".to_owned(),
            |t| {
                let t: chrono::DateTime<chrono::Utc> = t.into();
                format!("on {} UTC", t.format("%Y-%m-%d at %H:%M"))
            },
        );
    Some(
        Scenario::from_ron(&text)
            .map(|scenario| Recovered {
                scenario,
                path: of,
                written,
            })
            .map_err(|e| format!("{}: {e}", path.display())),
    )
}

/// Writes `scenario` (of file `of`) to the recovery file `path`,
/// atomically.
fn write_recovery(path: &Path, scenario: &Scenario, of: Option<&Path>) -> Result<(), String> {
    let ron = scenario.to_ron().map_err(|e| e.to_string())?;
    let of = of.map_or_else(|| "(no file)".to_owned(), |p| p.display().to_string());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    crate::atomic::write(path, format!("{OF}{of}\n{ron}").as_bytes())
        .map_err(|e| format!("{}: {e}", path.display()))
}

impl App {
    /// Does `action`, first asking Save / Discard / Cancel when the
    /// scenario has unsaved edits it would lose.
    pub(super) fn guard(&mut self, ctx: &egui::Context, action: Guarded) {
        if self.ws.is_modified() {
            let name = self
                .ws
                .scenario
                .as_ref()
                .map_or_else(String::new, |s| s.name.clone());
            self.keep.question = Some(Question::Unsaved {
                action,
                name,
                path: self.ws.scenario_path.clone(),
            });
        } else {
            self.run_guarded(ctx, action);
        }
    }

    /// Does `action` (its unsaved edits saved or given up).
    fn run_guarded(&mut self, ctx: &egui::Context, action: Guarded) {
        match action {
            Guarded::Quit => {
                self.keep.quit_confirmed = true;
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
            Guarded::OpenScenarioDialog => self.choose_paths(ctx, PathPurpose::OpenScenario),
            Guarded::LoadScenario(path) => self.load_scenario(&path),
            Guarded::LoadSample => {
                self.start_load(ctx, vec![Source::Sample], ScenarioSource::Sample, None);
            }
        }
    }

    /// Applies the answer to the question open.
    pub(super) fn answer(&mut self, ctx: &egui::Context, answer: Answer) {
        let Some(question) = self.keep.question.take() else {
            return;
        };
        match (question, answer) {
            (_, Answer::Cancel) => {}
            (Question::Unsaved { action, path, .. }, Answer::Save) => match path {
                Some(path) => {
                    self.save_scenario(&path);
                    if !self.ws.is_modified() {
                        self.run_guarded(ctx, action);
                    }
                }
                None => {
                    self.keep.after_save = Some(action);
                    self.choose_paths(ctx, PathPurpose::SaveScenario);
                }
            },
            (Question::Unsaved { action, .. }, Answer::Discard) => {
                self.drop_recovery();
                self.run_guarded(ctx, action);
            }
            (Question::AddOrReplace(paths), Answer::Add) => {
                self.start_import(ctx, paths, ImportMode::Add);
            }
            (Question::AddOrReplace(paths), Answer::Replace) => {
                self.start_import(ctx, paths, ImportMode::Replace);
            }
            (Question::Recover(r), Answer::Restore) => {
                let Recovered { scenario, path, .. } = *r;
                self.ws.set_unsaved(scenario, path);
                self.forget_auto_baseline();
                self.notes.push(
                    Level::Info,
                    "The unsaved edits of the last session are back; save them to keep them.",
                );
            }
            (Question::Recover(_), Answer::Discard) => self.drop_recovery(),
            // Buttons a question does not have.
            (q, _) => self.keep.question = Some(q),
        }
    }

    /// Goes on with what a Save chosen in the unsaved-edits question was
    /// for, once the scenario is saved; forgets it when the save was given
    /// up (the edits stay).
    pub(super) fn continue_after_save(&mut self, ctx: &egui::Context) {
        let Some(action) = self.keep.after_save.take() else {
            return;
        };
        if !self.ws.is_modified() {
            self.run_guarded(ctx, action);
        } else if self.prompt.is_some() {
            // The path prompt is still asking where to save.
            self.keep.after_save = Some(action);
        }
    }

    /// The window's close button: with unsaved edits, the close is held
    /// and the question asked.
    pub(super) fn handle_close(&mut self, ctx: &egui::Context) {
        if ctx.input(|i| i.viewport().close_requested())
            && !self.keep.may_close()
            && self.ws.is_modified()
        {
            ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
            self.guard(ctx, Guarded::Quit);
        }
    }

    /// Keeps the recovery file in step with the scenario: written while it
    /// has unsaved edits, removed when it has none.
    pub(super) fn keep_recovery(&mut self, ctx: &egui::Context) {
        let rec = &mut self.keep.recovery;
        if let Some(done) = rec.job.take_finished() {
            match done {
                Ok((_, Ok(rev))) => rec.written_rev = Some(rev),
                Ok((_, Err(message))) | Err(message) => {
                    if !std::mem::replace(&mut rec.warned, true) {
                        self.notes.push(
                            Level::Warning,
                            format!("Unsaved edits cannot be kept for the next start: {message}"),
                        );
                    }
                }
            }
        }
        let Some(file) = rec.file.clone() else {
            return;
        };
        if !self.ws.is_modified() {
            if rec.written_rev.take().is_some() {
                // Removing a file that is not there is no failure here.
                let _ = std::fs::remove_file(&file);
            }
            return;
        }
        let rev = self.ws.scenario_rev;
        if rec.written_rev == Some(rev) || rec.job.is_running() {
            return;
        }
        if let Some(last) = rec.last_write
            && last.elapsed() < WRITE_EVERY
        {
            ctx.request_repaint_after(WRITE_EVERY.saturating_sub(last.elapsed()));
            return;
        }
        let (Some(scenario), of) = (self.ws.scenario.clone(), self.ws.scenario_path.clone()) else {
            return;
        };
        rec.last_write = Some(Instant::now());
        let started = rec.job.start(ctx, "Keeping unsaved edits", rev, move |_| {
            write_recovery(&file, &scenario, of.as_deref()).map(|()| rev)
        });
        if let Err(e) = started
            && !std::mem::replace(&mut rec.warned, true)
        {
            self.notes.push(
                Level::Warning,
                format!("Unsaved edits cannot be kept for the next start: {e}"),
            );
        }
    }

    /// Removes the recovery file: its edits were given up.
    fn drop_recovery(&mut self) {
        let rec = &mut self.keep.recovery;
        rec.job.cancel();
        rec.written_rev = None;
        if let Some(file) = &rec.file {
            let _ = std::fs::remove_file(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_file_reads_back_with_its_scenario_file() {
        let dir = std::env::temp_dir().join(format!("tokenplan-recovery-{}", std::process::id()));
        let path = dir.join(RECOVERY_FILE);
        let mut scenario = crate::sample::scenario().unwrap();
        scenario.name = "Edited, not saved".into();
        write_recovery(&path, &scenario, Some(Path::new("/data/fy27.ron"))).unwrap();
        let back = read_recovery(&path).unwrap().unwrap();
        assert_eq!(back.scenario, scenario);
        assert_eq!(back.path, Some(PathBuf::from("/data/fy27.ron")));
        assert!(back.written.ends_with("UTC"), "{}", back.written);
        // No file: nothing to offer. A scenario without a file: no path.
        write_recovery(&path, &scenario, None).unwrap();
        assert_eq!(read_recovery(&path).unwrap().unwrap().path, None);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(read_recovery(&path).is_none());
    }
}
