//! What the Insights view draws, built once per Audit job on its worker
//! (never in a frame): plot points and table rows of every monitoring view
//! of [`AuditReport`] — burn, budgets, day-boundary, idle what-ifs, shadow
//! bill, double-dip and the vendor audit.

use egui_plot::PlotPoint;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::{BarItem, Table};
use crate::gui::fmt;
use crate::monitor::AuditReport;
use crate::time::day_of_date;

fn f(d: Decimal) -> f64 {
    d.to_f64().unwrap_or(0.0)
}

/// The burn chart and its key figures.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BurnData {
    /// Tokens per day.
    pub tokens: Vec<PlotPoint>,
    /// 7-day trailing mean.
    pub avg_7d: Vec<PlotPoint>,
    /// 30-day trailing mean.
    pub avg_30d: Vec<PlotPoint>,
    /// Per day, what it is made of (index-aligned with the points).
    pub hover: Vec<String>,
    /// The alert threshold, tokens per day.
    pub alert: Option<f64>,
    /// Key figures: (label, value).
    pub kpis: Vec<(&'static str, String)>,
}

/// Everything the Insights view shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Insights {
    /// As-of date and token price in words.
    pub basis: String,
    /// Burn.
    pub burn: BurnData,
    /// Budgets: consumed and allocation per department.
    pub budget_bars: Vec<(BarItem, Option<BarItem>)>,
    /// Budgets table.
    pub budgets: Table,
    /// Day-boundary summary line.
    pub boundary_summary: String,
    /// Charges caused only by crossing the boundary.
    pub boundary: Table,
    /// Totals per user.
    pub boundary_users: Table,
    /// Totals per office.
    pub boundary_offices: Table,
    /// Server-zone what-ifs.
    pub boundary_zones: Table,
    /// Tokens saved per idle policy.
    pub idle_bars: Vec<BarItem>,
    /// Idle policies table.
    pub idle: Table,
    /// Per-user savings, one row per (policy, user).
    pub idle_users: Table,
    /// Shadow bill bars (tokens per rule).
    pub shadow_bars: Vec<BarItem>,
    /// Shadow bill table.
    pub shadow: Table,
    /// Double-dip summary line.
    pub dip_summary: String,
    /// Double-dip table.
    pub dips: Table,
    /// Vendor audit summary line (none: no export loaded).
    pub vendor_summary: Option<String>,
    /// Vendor disagreements.
    pub vendor: Table,
}

impl Insights {
    /// Builds the view's data from an audit report.
    pub fn build(r: &AuditReport) -> Insights {
        let s = &r.day_boundary_summary;
        let (vendor_summary, vendor) = vendor(r);
        Insights {
            basis: format!(
                "As of {} (the last charged date); tokens valued at the base price of {} per token.",
                r.today.map_or_else(|| "none".into(), |d| d.to_string()),
                fmt::money(r.token_price, &r.currency)
            ),
            burn: burn_data(r),
            budget_bars: budget_bars(r),
            budgets: budgets_table(r),
            boundary_summary: boundary_summary(r),
            boundary: boundary_table(r),
            boundary_users: group_table(&s.per_user, "User", &r.currency),
            boundary_offices: group_table(&s.per_office, "Office", &r.currency),
            boundary_zones: boundary_zones(r),
            idle_bars: idle_bars(r),
            idle: idle_table(r),
            idle_users: idle_users(r),
            shadow_bars: shadow_bars(r),
            shadow: shadow_table(r),
            dip_summary: dip_summary(r),
            dips: dips_table(r),
            vendor_summary,
            vendor,
        }
    }
}

fn points(
    r: &AuditReport,
    y: impl Fn(&crate::monitor::burn::BurnDay) -> Decimal,
) -> Vec<PlotPoint> {
    r.burn
        .iter()
        .map(|d| PlotPoint::new(f64::from(day_of_date(d.date)), f(y(d))))
        .collect()
}

/// The burn chart's points and hovers and its key figures.
fn burn_data(r: &AuditReport) -> BurnData {
    let b = &r.burn_summary;
    let tok = fmt::decimal;
    BurnData {
        tokens: points(r, |d| d.tokens),
        avg_7d: points(r, |d| d.avg_7d),
        avg_30d: points(r, |d| d.avg_30d),
        hover: r
            .burn
            .iter()
            .map(|d| {
                format!(
                    "{}\n{} tokens{}\n7-day mean {}\n30-day mean {}",
                    d.date,
                    tok(d.tokens),
                    if d.over_alert {
                        " (over the alert)"
                    } else {
                        ""
                    },
                    tok(d.avg_7d),
                    tok(d.avg_30d)
                )
            })
            .collect(),
        alert: b.alert_tokens_per_day.map(f),
        kpis: vec![
            (
                "As of",
                b.today
                    .map_or_else(|| "no charges".into(), |d| d.to_string()),
            ),
            ("Month to date", format!("{} tokens", tok(b.month_to_date))),
            (
                "Daily rate (30-day mean)",
                format!("{} tokens", tok(b.daily_rate.round_dp(2))),
            ),
            (
                "Projected month",
                format!(
                    "{} tokens ({} days left)",
                    tok(b.projected_month),
                    b.days_left_in_month
                ),
            ),
            (
                "Days over the alert",
                match b.alert_tokens_per_day {
                    Some(a) => format!(
                        "{} (alert at {} tokens per day)",
                        b.days_over_alert.len(),
                        tok(a)
                    ),
                    None => "no alert set (sizing.alert_tokens_per_day)".into(),
                },
            ),
            (
                "Run-out of the balance",
                match (b.balance, b.run_out) {
                    (None, _) => "no balance given".into(),
                    (Some(bal), Some(d)) => format!("{d} ({} tokens left)", tok(bal)),
                    (Some(bal), None) => format!("never ({} tokens left)", tok(bal)),
                },
            ),
        ],
    }
}

/// Consumed and allocated tokens per department.
fn budget_bars(r: &AuditReport) -> Vec<(BarItem, Option<BarItem>)> {
    let tok = fmt::decimal;
    r.budgets
        .iter()
        .map(|p| {
            let consumed = BarItem {
                label: p.department.clone(),
                value: f(p.consumed),
                hover: format!(
                    "{}: {} tokens consumed {} to today, {} users",
                    p.department,
                    tok(p.consumed),
                    p.period_start,
                    p.users
                ),
            };
            let alloc = p.allocation.map(|a| BarItem {
                label: p.department.clone(),
                value: f(a),
                hover: format!(
                    "{}: {} tokens allocated for {} to {}",
                    p.department,
                    tok(a),
                    p.period_start,
                    p.period_end
                ),
            });
            (consumed, alloc)
        })
        .collect()
}

/// The budgets table.
fn budgets_table(r: &AuditReport) -> Table {
    let tok = fmt::decimal;
    Table {
        header: vec![
            "Department",
            "Allocation",
            "Consumed",
            "Remaining",
            "Daily rate",
            "Projected year",
            "Run-out",
        ],
        rows: r
            .budgets
            .iter()
            .map(|p| {
                vec![
                    p.department.clone(),
                    p.allocation.map_or_else(|| "none".into(), tok),
                    tok(p.consumed),
                    p.remaining.map_or_else(String::new, tok),
                    tok(p.daily_rate),
                    tok(p.projected_period_total),
                    match p.run_out {
                        Some(d) if p.runs_out_in_period => format!("{d} (this year)"),
                        Some(d) => d.to_string(),
                        None => "never".into(),
                    },
                ]
            })
            .collect(),
    }
}

/// The day-boundary summary line.
fn boundary_summary(r: &AuditReport) -> String {
    let s = &r.day_boundary_summary;
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    format!(
        "{} charges caused only by a session crossing midnight: {} tokens, {}.",
        fmt::count(s.charges),
        tok(s.tokens),
        money(s.cost)
    )
}

/// Charges caused only by crossing the boundary.
fn boundary_table(r: &AuditReport) -> Table {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    Table {
        header: vec!["User", "Office", "Product", "Date", "Tokens", "Cost"],
        rows: r
            .day_boundary
            .iter()
            .map(|c| {
                vec![
                    c.user.clone(),
                    c.office.clone(),
                    c.product.clone(),
                    c.date.to_string(),
                    tok(c.tokens),
                    money(c.cost),
                ]
            })
            .collect(),
    }
}

/// The server-zone what-ifs.
fn boundary_zones(r: &AuditReport) -> Table {
    let s = &r.day_boundary_summary;
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    let mut zone_rows: Vec<Vec<String>> = s
        .server_zones
        .iter()
        .map(|z| {
            vec![
                format!("Server on {}", z.server_time_zone),
                tok(z.tokens),
                fmt::count(z.boundary_charges),
                tok(z.saving_tokens),
                money(z.saving),
            ]
        })
        .collect();
    if let Some(reg) = &s.regional {
        zone_rows.push(vec![
            "One server per region".into(),
            tok(reg.tokens),
            fmt::count(reg.boundary_charges),
            tok(reg.saving_tokens),
            money(reg.saving),
        ]);
    }
    Table {
        header: vec![
            "What if",
            "Tokens",
            "Boundary charges left",
            "Tokens saved",
            "Saving",
        ],
        rows: zone_rows,
    }
}

/// Tokens saved per idle policy.
fn idle_bars(r: &AuditReport) -> Vec<BarItem> {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    r
        .idle
        .iter()
        .map(|w| BarItem {
            label: w.description.clone(),
            value: f(w.tokens_saved),
            hover: format!(
                "{}\n{} tokens saved ({} before, {} after), {}\n{} sessions shortened, {} hours cut",
                w.description,
                tok(w.tokens_saved),
                tok(w.tokens_before),
                tok(w.tokens_after),
                money(w.saving),
                fmt::count(w.sessions_shortened),
                tok(w.hours_cut)
            ),
        })
        .collect()
}

/// The idle policies table.
fn idle_table(r: &AuditReport) -> Table {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    Table {
        header: vec![
            "Policy",
            "Sessions shortened",
            "Hours cut",
            "Tokens before",
            "Tokens after",
            "Tokens saved",
            "Saving",
        ],
        rows: r
            .idle
            .iter()
            .map(|w| {
                vec![
                    w.description.clone(),
                    fmt::count(w.sessions_shortened),
                    tok(w.hours_cut),
                    tok(w.tokens_before),
                    tok(w.tokens_after),
                    tok(w.tokens_saved),
                    money(w.saving),
                ]
            })
            .collect(),
    }
}

/// Per-user savings, one row per (policy, user).
fn idle_users(r: &AuditReport) -> Table {
    let tok = fmt::decimal;
    Table {
        header: vec!["Policy", "User", "Tokens before", "Tokens after", "Saved"],
        rows: r
            .idle
            .iter()
            .flat_map(|w| {
                w.per_user.iter().map(|u| {
                    vec![
                        w.description.clone(),
                        u.user.clone(),
                        tok(u.tokens_before),
                        tok(u.tokens_after),
                        tok(u.tokens_saved),
                    ]
                })
            })
            .collect(),
    }
}

/// Shadow bill bars: tokens per rule.
fn shadow_bars(r: &AuditReport) -> Vec<BarItem> {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    r.shadow_bill
        .iter()
        .map(|row| BarItem {
            label: row.rule.clone(),
            value: f(row.tokens),
            hover: format!(
                "{}{}\n{} tokens, {}\n{} charges ({})",
                row.rule,
                if row.current { " (today's rule)" } else { "" },
                tok(row.tokens),
                money(row.cost),
                fmt::count(row.charges),
                row.basis
            ),
        })
        .collect()
}

/// The shadow bill table.
fn shadow_table(r: &AuditReport) -> Table {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    Table {
        header: vec!["Rule", "Basis", "Charges", "Tokens", "Cost", "Note"],
        rows: r
            .shadow_bill
            .iter()
            .map(|row| {
                vec![
                    row.rule.clone(),
                    row.basis.clone(),
                    fmt::count(row.charges),
                    tok(row.tokens),
                    money(row.cost),
                    match (&row.error, row.current) {
                        (Some(e), _) => e.clone(),
                        (None, true) => "today's rule".into(),
                        (None, false) => String::new(),
                    },
                ]
            })
            .collect(),
    }
}

/// The double-dip summary line.
fn dip_summary(r: &AuditReport) -> String {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    format!(
        "{} token charges on days the user held a covering subscription: {} tokens, {}.{}",
        fmt::count(r.double_dip.len() as u64),
        tok(r.double_dip_summary.tokens),
        money(r.double_dip_summary.cost),
        if r.double_dip_summary.unknown_subscriptions.is_empty() {
            String::new()
        } else {
            format!(
                " Assigned subscriptions the scenario lacks: {}.",
                r.double_dip_summary
                    .unknown_subscriptions
                    .iter()
                    .map(|(c, n)| format!("{c} ({n} seats)"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    )
}

/// The double-dip table.
fn dips_table(r: &AuditReport) -> Table {
    let money = |d: Decimal| fmt::money(d, &r.currency);
    let tok = fmt::decimal;
    Table {
        header: vec![
            "User",
            "Product",
            "Date",
            "Subscription",
            "Tokens",
            "Cost",
            "Source",
        ],
        rows: r
            .double_dip
            .iter()
            .map(|d| {
                vec![
                    d.user.clone(),
                    d.product.clone(),
                    d.date.to_string(),
                    d.subscription.clone(),
                    tok(d.tokens),
                    money(d.cost),
                    format!("{:?}", d.source).to_lowercase(),
                ]
            })
            .collect(),
    }
}

/// The vendor audit's summary line (none: no export loaded) and
/// disagreements.
fn vendor(r: &AuditReport) -> (Option<String>, Table) {
    let tok = fmt::decimal;
    let opt = |d: Option<Decimal>| d.map_or_else(|| "none".into(), tok);
    match &r.vendor_audit {
        None => (None, Table::default()),
        Some(v) => (
            Some(format!(
                "Token Flex export {} to {}: vendor {} tokens, replay {} tokens; {} of {} user-product-dates agree.{}",
                v.first,
                v.last,
                tok(v.vendor_tokens),
                tok(v.replay_tokens),
                fmt::count(v.agreeing),
                fmt::count(v.compared),
                if v.unmatched_codes.is_empty() {
                    String::new()
                } else {
                    format!(
                        " Codes with no product: {}.",
                        v.unmatched_codes
                            .keys()
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            )),
            Table {
                header: vec![
                    "User",
                    "Product",
                    "Date",
                    "Vendor tokens",
                    "Replay tokens",
                    "Difference",
                ],
                rows: v
                    .diffs
                    .iter()
                    .map(|d| {
                        vec![
                            d.user.clone(),
                            d.product.clone(),
                            d.date.to_string(),
                            opt(d.vendor_tokens),
                            opt(d.replay_tokens),
                            tok(d.difference),
                        ]
                    })
                    .collect(),
            },
        ),
    }
}

/// Day-boundary totals per user or office (`what`).
fn group_table(
    g: &[crate::monitor::boundary::GroupTotal],
    what: &'static str,
    currency: &str,
) -> Table {
    Table {
        header: vec![what, "Charges", "Tokens", "Cost"],
        rows: g
            .iter()
            .map(|t| {
                vec![
                    t.name.clone(),
                    fmt::count(t.charges),
                    fmt::decimal(t.tokens),
                    fmt::money(t.cost, currency),
                ]
            })
            .collect(),
    }
}
