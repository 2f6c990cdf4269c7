//! The Charges view: what metering found — tokens per day and per-product
//! totals, each figure with what it is made of on hover.

use egui::{RichText, Ui};

use crate::gui::charts;
use crate::gui::command::{Command, Commands};
use crate::gui::fmt;
use crate::gui::model::charges::Charges;

/// Draws the Charges view; `stale` says the inputs changed since.
pub fn charges_ui(
    ui: &mut Ui,
    charges: Option<&Charges>,
    stale: bool,
    scenario_ok: bool,
    cmds: &mut Commands,
) {
    ui.horizontal(|ui| {
        ui.heading("Metered charges");
        if ui.button("Recompute").clicked() {
            cmds.push(Command::Remeter);
        }
    });
    if !scenario_ok {
        ui.label(
            RichText::new("The scenario has problems (see the Scenario view); these charges are from its last valid state.")
                .color(ui.visuals().warn_fg_color),
        );
    } else if stale {
        ui.weak("The inputs changed; recomputing…");
    }
    let Some(c) = charges else {
        ui.label("No charges yet: metering runs as soon as data and a valid scenario are loaded.");
        return;
    };
    ui.label(format!(
        "{} tokens from {} charges of {} users{}.",
        fmt::decimal(c.total_tokens),
        fmt::count(c.total_charges),
        fmt::count(c.users),
        if c.free_sessions > 0 {
            format!(
                "; {} sessions under their grace period were free",
                fmt::count(c.free_sessions)
            )
        } else {
            String::new()
        }
    ));
    charts::tokens_per_day_ui(ui, c);

    ui.add_space(8.0);
    ui.heading("Per product");
    egui::Grid::new("per_product")
        .striped(true)
        .num_columns(6)
        .show(ui, |ui| {
            for h in ["Product", "Name", "Rule", "Users", "Charges", "Tokens"] {
                ui.label(RichText::new(h).strong());
            }
            ui.end_row();
            for p in &c.products {
                ui.label(&p.code);
                ui.label(&p.name);
                ui.label(&p.rule);
                ui.label(fmt::count(p.users));
                ui.label(fmt::count(p.charges));
                ui.label(fmt::decimal(p.tokens)).on_hover_text(format!(
                    "{}: {} charges of {} users under {}",
                    p.code,
                    fmt::count(p.charges),
                    fmt::count(p.users),
                    p.rule
                ));
                ui.end_row();
            }
            ui.label(RichText::new("Total").strong());
            ui.label("");
            ui.label("");
            ui.label(fmt::count(c.users));
            ui.label(fmt::count(c.total_charges));
            ui.label(RichText::new(fmt::decimal(c.total_tokens)).strong());
            ui.end_row();
        });

    if !c.pools.is_empty() {
        ui.add_space(8.0);
        ui.heading("Pools");
        ui.label("For pool rules what is bought is the peak draw; the per-user tokens above attribute use.");
        egui::Grid::new("pools")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                for h in [
                    "Pool",
                    "Rule",
                    "Products",
                    "Peak",
                    "First at peak",
                    "Sum of daily peaks",
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for p in &c.pools {
                    ui.label(&p.name);
                    ui.label(&p.rule);
                    ui.label(&p.products);
                    ui.label(fmt::count(u64::from(p.peak)));
                    ui.label(&p.peak_at);
                    ui.label(fmt::count(p.peak_days_total));
                    ui.end_row();
                }
            });
    }
}
