//! Views whose engine pieces are still being built: each says what it
//! waits for. Their entry points already take the place of the real views.

use egui::Ui;

fn waiting_ui(ui: &mut Ui, title: &str, what: &str, waits_for: &str) {
    ui.heading(title);
    ui.label(what);
    ui.add_space(8.0);
    ui.weak(format!("Waiting for the engine: {waits_for}."));
}

/// Token pool sizing and its risk.
pub fn pool_ui(ui: &mut Ui) {
    waiting_ui(
        ui,
        "Token pool sizing",
        "Plans of annual and contract tokens with their expected, P10, P50 and P90 cost, expired tokens and overage probability; peaks and denials of concurrent pools.",
        "the token ledger and Monte Carlo sizing (crate::ledger)",
    );
}
