//! What the views ask for: [`Command`]s collected during a frame and applied
//! by the app after it, so that file dialogs, file I/O and job starts never
//! run inside drawing code.

use std::path::PathBuf;

use super::model::prompt::PathPurpose;
use super::model::question::Answer;
use super::prefs::{InsightsTab, ScenarioTab, Theme, View};

/// One request from the UI, applied after the frame.
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Ask for data files with a dialog, then ask whether they join the
    /// data loaded or replace it.
    OpenFilesDialog,
    /// Ask for data files with a dialog and add them to the data loaded.
    AddFilesDialog,
    /// Open these data files (dropped, recent): when data is loaded, ask
    /// whether they join it or replace it.
    ImportFiles(Vec<PathBuf>),
    /// Drop the data source of this index (the others are read again).
    RemoveSource(usize),
    /// Load the bundled sample (its data and scenario), asking first when
    /// the scenario has unsaved edits.
    LoadSample,
    /// Quit, asking first when the scenario has unsaved edits.
    Quit,
    /// The answer to the question open.
    Answer(Answer),
    /// Ask for a scenario file with a dialog, then load it.
    OpenScenarioDialog,
    /// Load this scenario file.
    LoadScenario(PathBuf),
    /// Save the scenario to its file (asks for one when it has none).
    SaveScenario,
    /// Ask for a file name, then save the scenario there.
    SaveScenarioAs,
    /// The scenario was edited in place: validate and re-meter.
    ScenarioEdited,
    /// Run metering again on the same inputs.
    Remeter,
    /// Cancel the running job of this kind.
    CancelJob(JobKind),
    /// Show this view.
    ShowView(View),
    /// Filter the problem table by this text.
    FilterProblems(String),
    /// Forget one notification.
    Dismiss(u64),
    /// Use this colour theme.
    SetTheme(Theme),
    /// Forget the recent-files lists.
    ClearRecent,
    /// Show this sub-tab of the Insights view.
    ShowInsights(InsightsTab),
    /// Write the reassignment list of the plan shown as CSV: `rows` of it,
    /// to `path`, or to a file asked for with a dialog when `None`.
    ExportReassignment {
        /// Where to write it (`None`: ask).
        path: Option<PathBuf>,
        /// The rows the table shows, or all.
        rows: ExportRows,
    },
    /// Show the Crossover view of this product.
    ShowCrossover(String),
    /// Map an unmapped feature to a product of the scenario: its exact name
    /// becomes one more of the product's feature patterns.
    MapFeature {
        /// The feature as the sources spell it.
        feature: String,
        /// The product code it is mapped to.
        product: String,
    },
    /// Show this sub-tab of the Scenario view.
    ShowScenarioTab(ScenarioTab),
    /// Keep a copy of the scenario as it is now as side A of the comparison.
    PinBaseline,
    /// Ask for a scenario file with a dialog, then compare it as side B.
    OpenCompareDialog,
    /// Compare this scenario file as side B.
    LoadCompareScenario(PathBuf),
    /// Compare the scenario being edited as side B again (forget the file).
    UseEditedAsB,
    /// Forget both sides of the comparison.
    ClearComparison,
    /// Type paths in the app's prompt instead of using file dialogs.
    SetTypePaths(bool),
    /// Ask for a path for this purpose in the app's prompt.
    AskPath(PathPurpose),
    /// Check the path typed in the prompt and, when valid, use it.
    SubmitPath,
    /// Close the path prompt without using it.
    CancelPath,
    /// The Negotiate view's swing changed: build the pack again.
    SwingChanged,
    /// Write the negotiation pack as a workbook to `path`, or to a file
    /// asked for with a dialog when `None` (a background job).
    ExportPack(Option<PathBuf>),
    /// Read the file of this mapping form with the columns picked, and
    /// remember them for its header.
    ApplyColumns(PathBuf),
    /// Close the mapping form of this file without reading it.
    SkipMapping(PathBuf),
    /// Forget the column mapping remembered for this header signature.
    ForgetColumns(String),
    /// Ask for the key file of the pseudonyms with a dialog.
    ChooseKeyFile,
    /// Sort the table of this id by this column (again: the other way).
    SortTable {
        /// The table's id.
        table: String,
        /// The column, from 0.
        column: usize,
    },
}

/// Which rows of a table an export writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportRows {
    /// The rows the table shows, filtered and sorted as shown.
    Shown,
    /// Every row.
    All,
}

/// The kinds of background job; one of each runs at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    /// Reading input files.
    Import,
    /// Replaying sessions under the charging rules.
    Meter,
    /// Sizing the token pool (Monte Carlo) and the exact ledger.
    Size,
    /// The monitoring views and what-ifs.
    Audit,
    /// Forecasting and optimising the mix of subscriptions and tokens.
    Plan,
    /// Planning two scenarios side by side.
    Compare,
    /// The negotiation pack: options, tornado, break-evens.
    Negotiate,
    /// Writing the negotiation pack's workbook.
    ExportPack,
    /// Planning the contract term year by year.
    Term,
}

impl JobKind {
    /// Every kind, in the order the status bar lists running jobs.
    pub const ALL: [JobKind; 9] = [
        JobKind::Import,
        JobKind::Meter,
        JobKind::Plan,
        JobKind::Term,
        JobKind::Compare,
        JobKind::Size,
        JobKind::Audit,
        JobKind::Negotiate,
        JobKind::ExportPack,
    ];

    /// What a job of this kind is doing, for the status bar (an import
    /// says which of its two jobs it is).
    pub fn label(self) -> &'static str {
        match self {
            JobKind::Import => "Importing files",
            JobKind::Meter => "Metering",
            JobKind::Size => "Sizing",
            JobKind::Audit => "Auditing",
            JobKind::Plan => "Planning",
            JobKind::Compare => "Comparing",
            JobKind::Negotiate => "Building the negotiation pack",
            JobKind::ExportPack => "Writing the negotiation pack",
            JobKind::Term => "Planning the term",
        }
    }

    /// The status bar's Cancel button.
    pub fn cancel_button(self) -> &'static str {
        match self {
            JobKind::Import => "Cancel import",
            JobKind::Meter => "Cancel metering",
            JobKind::Size => "Cancel sizing",
            JobKind::Audit => "Cancel audit",
            JobKind::Plan => "Cancel planning",
            JobKind::Compare => "Cancel comparison",
            JobKind::Negotiate => "Cancel the pack",
            JobKind::ExportPack => "Cancel the export",
            JobKind::Term => "Cancel term planning",
        }
    }

    /// The note after a Cancel: what is shown instead, how to run it again.
    pub fn cancelled(self) -> &'static str {
        match self {
            JobKind::Import => "Import cancelled; the data loaded before is kept.",
            JobKind::Meter => {
                "Metering cancelled; the charges shown are from before. Edit the scenario or use Recompute to run it again."
            }
            JobKind::Size => {
                "Sizing cancelled; the Pool view shows the last finished sizing. Use Recompute to run it again."
            }
            JobKind::Audit => {
                "Audit cancelled; the Insights view shows the last finished audit. Use Recompute to run it again."
            }
            JobKind::Plan => {
                "Planning cancelled; the plan shown is from before. Edit the scenario to plan again."
            }
            JobKind::Compare => "Comparison cancelled; pin or load a side again to compare.",
            JobKind::Negotiate => {
                "Negotiation pack cancelled; the Negotiate view shows the last finished pack. Change the swing or the inputs to build it again."
            }
            JobKind::ExportPack => "Export cancelled; no workbook was written.",
            JobKind::Term => {
                "Term planning cancelled; the Term view shows the last finished plan. Use Recompute to run it again."
            }
        }
    }

    /// The notification when no thread could be started for the job.
    pub fn cannot_start(self) -> &'static str {
        match self {
            JobKind::Import => "Cannot start the import",
            JobKind::Meter => "Cannot start metering",
            JobKind::Size => "Cannot start sizing",
            JobKind::Audit => "Cannot start the audit",
            JobKind::Plan => "Cannot start planning",
            JobKind::Compare => "Cannot start the comparison",
            JobKind::Negotiate => "Cannot start the negotiation pack",
            JobKind::ExportPack => "Cannot start the export",
            JobKind::Term => "Cannot start term planning",
        }
    }

    /// How a failure is said: in a notification after this prefix, or
    /// (`None`) in the view the analysis feeds.
    pub fn failure_notice(self) -> Option<&'static str> {
        match self {
            JobKind::Meter => Some("Metering failed"),
            JobKind::Plan => Some("Planning failed"),
            JobKind::ExportPack => Some("Negotiation pack not written"),
            JobKind::Import
            | JobKind::Size
            | JobKind::Audit
            | JobKind::Compare
            | JobKind::Term
            | JobKind::Negotiate => None,
        }
    }
}

/// The commands of one frame.
#[derive(Default)]
pub struct Commands(Vec<Command>);

impl Commands {
    /// Queues `command`.
    pub fn push(&mut self, command: Command) {
        self.0.push(command);
    }

    /// Takes every queued command, in the order queued.
    pub fn take(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.0)
    }
}
