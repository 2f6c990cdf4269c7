//! Views whose engine pieces are still being built: each says what it
//! waits for. Their entry points already take the place of the real views.

use egui::Ui;

fn waiting_ui(ui: &mut Ui, title: &str, what: &str, waits_for: &str) {
    ui.heading(title);
    ui.label(what);
    ui.add_space(8.0);
    ui.weak(format!("Waiting for the engine: {waits_for}."));
}

/// Subscription vs tokens: the usage days per year above which a named
/// subscription is cheaper than tokens.
pub fn crossover_ui(ui: &mut Ui) {
    waiting_ui(
        ui,
        "Subscription or tokens",
        "For each subscription and product: the days of use per year and per month above which a named seat costs less than drawing tokens.",
        "the crossover of the planner (crate::plan)",
    );
}

/// The recommended mix of subscriptions and tokens.
pub fn mix_ui(ui: &mut Ui) {
    waiting_ui(
        ui,
        "Recommended mix",
        "Per user, the cheapest set of subscriptions and token products, with seats, annual tokens and the baselines (all tokens, all subscriptions, current).",
        "the best-mix optimiser (crate::plan)",
    );
}
