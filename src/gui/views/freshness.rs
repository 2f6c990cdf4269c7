//! How fresh a view's figures are, said the same way in every view that
//! waits for a background analysis: why the last run failed, that a run
//! for the current inputs is under way, or that the figures shown are of
//! inputs that have changed since.

use egui::{RichText, Ui};

/// The state of a view's analysis (see `gui::analysis::Analysis`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Freshness<'a> {
    /// Why the last run failed, when it did.
    pub error: Option<&'a str>,
    /// A run for the current inputs is under way or about to start.
    pub running: bool,
    /// The figures shown are of older inputs.
    pub stale: bool,
}

/// What one view says in each state.
pub struct Words {
    /// Put before the error: `Sizing failed`.
    pub failed: &'static str,
    /// Said while a run is under way.
    pub running: &'static str,
    /// Said when the figures shown are of older inputs.
    pub stale: &'static str,
}

/// Said by views whose figures stay shown while they are recomputed.
pub const FROM_BEFORE: &str = "The inputs changed; these figures are from before.";

/// The Crossover and Mix views' words: a plan is remade for every change.
pub const REPLANNING: Words = Words {
    failed: "Planning failed",
    running: "The inputs changed; replanning…",
    stale: "The inputs changed; replanning…",
};

/// Draws the error, then either the running or (when there are figures
/// to speak of, `has_data`) the stale line.
pub fn freshness_ui(ui: &mut Ui, f: &Freshness<'_>, has_data: bool, words: &Words) {
    if let Some(e) = f.error {
        ui.label(
            RichText::new(format!("{}: {e}", words.failed)).color(ui.visuals().error_fg_color),
        );
    }
    if f.running {
        ui.weak(words.running);
    } else if f.stale && has_data {
        ui.weak(words.stale);
    }
}
