//! What the app draws: one `<name>_view` file per view, drawing the data
//! that `gui::model` built for it (the Crossover and Mix views share
//! `model::plan`), plus the widgets views share and the frame around them.
//! Every function here ends in `_ui`, only reads cached data, keeps the
//! user's picks (sort, filters, the scenario being edited) and emits
//! [`Command`](super::command::Command)s for everything else; plots are in
//! `gui::charts`.
//!
//! The views, in the navigation's order:
//! - [`data_view`] (Data): the column-mapping form of each file of no known
//!   kind ([`data_mapping`]), each loaded source with what its import did
//!   and a Remove button, the files read through a remembered mapping,
//!   "Add files…", the features no product maps (each with a product picker
//!   and Map), the features matching several products, and every import
//!   problem in a filterable table.
//! - [`charges_view`] (Charges): what metering found: tokens per day, per
//!   product totals, each pool's peak; Recompute.
//! - [`scenario_view`] (Scenario, Editor tab): every scenario field edited in
//!   place with its validation messages under it, and Save; an edit
//!   re-validates and re-meters in the background.
//! - [`compare_view`] (Scenario, Compare tab, and the tabs themselves): two
//!   scenarios planned over the same usage, each figure as A, B, Δ and Δ%,
//!   then the fields that differ.
//! - [`crossover_view`] (Crossover): per product, users' forecast days of use
//!   against the days above which each covering subscription pays off; the
//!   user table (today's plan against the recommended one) with filters,
//!   sort and the reassignment-list export (names pseudonymised with a key file
//!   typed or chosen with "Key file…", when asked).
//! - [`mix_view`] (Mix): the recommended mix as KPI cards with their change
//!   against the baseline, the users the edits moved, the baselines' annual
//!   cost, one subscription's cost curve, and seats per subscription.
//! - [`term_view`] (Term): the contract term year by year against renewing
//!   today's seats as they are: the NPVs and the saving as KPI cards, a
//!   stacked column per year for each (subscriptions, tokens used, tokens
//!   expired, overage and top-ups), the year and seats-by-subscription
//!   tables, each figure's arithmetic on hover.
//! - [`pool_view`] (Pool): how many tokens to buy: the headline, the plans
//!   compared (table and cost bars), the simulated demand fan, the ledger of
//!   the recommended plan, and each concurrent pool's denial curve.
//! - [`insights_view`] (Insights): the audit over history in seven tabs (burn,
//!   budgets, day-boundary, idle what-if, shadow bill, double-dip, vendor
//!   audit), each opening with the sentence of what it found.
//! - [`negotiate_view`] (Negotiate): the negotiation pack — the options over
//!   the term (total or NPV, Δ against renewing as-is), the tornado with
//!   today's plan held beside it, the break-even prices with the walk-away
//!   token price — the swing X, and Export negotiation pack….
//!
//! Around them: [`frame`] (menu bar, navigation, status bar with each
//! running job's progress and Cancel, notifications), the modal
//! [`question_view`] (before anything is lost) and [`prompt_view`] (a typed
//! path where the system's file dialog cannot run); and the shared widgets
//! [`fields`] (the editor's labelled fields), [`table`] (every table),
//! [`freshness`] (failed / running / stale) and [`banner_ui`].

pub mod charges_view;
pub mod compare_view;
pub mod crossover_view;
pub mod data_mapping;
pub mod data_view;
pub mod fields;
pub mod frame;
pub mod freshness;
pub mod insights_view;
pub mod mix_view;
pub mod negotiate_view;
pub mod pool_view;
pub mod prompt_view;
pub mod question_view;
pub mod scenario_view;
pub mod table;
pub mod term_view;

pub use charges_view::charges_ui;
pub use crossover_view::crossover_ui;
pub use data_view::data_ui;
pub use frame::{menu_bar_ui, nav_ui, notifications_ui, status_bar_ui};
pub use insights_view::insights_ui;
pub use mix_view::mix_ui;
pub use negotiate_view::negotiate_ui;
pub use pool_view::pool_ui;
pub use scenario_view::scenario_ui;
pub use term_view::term_ui;

/// A warning across the top of a view, in the warning colour: something
/// every figure below depends on (the forecast stands on a short history).
pub fn banner_ui(ui: &mut egui::Ui, text: &str) {
    let warn = ui.visuals().warn_fg_color;
    egui::Frame::new()
        .fill(warn.gamma_multiply(0.12))
        .stroke(egui::Stroke::new(1.0, warn))
        .inner_margin(6.0)
        .corner_radius(4.0)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.add(egui::Label::new(egui::RichText::new(text).color(warn).strong()).wrap());
        });
}
