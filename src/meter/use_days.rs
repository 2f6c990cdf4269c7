//! Use-days from usage reports (SPEC §1.5), metered beside the sessions.
//!
//! A use-day says a user used a product on a local date, with no times.
//! - `CalendarDay` meters them exactly: a use-day is that date's charge,
//!   and a use-day and a session on the same (user, product, date) are one
//!   charge (the day scan adds use-days to the sessions' day sets, see
//!   [`calendar_day`](super::calendar_day)).
//! - `Rolling24h`: a use-day is one charge on its date unless a charge
//!   already opens that date; approximate, since the 24-hour windows need
//!   times ([`UseDayMeter::approximate`]).
//! - `Concurrent`, `DailyPeak` and `Hourly` need checkout times: their
//!   use-days are not charged, and [`UseDayMeter::warnings`] says so.
//!
//! Day rows go before month rows, so a date that a day row gives is not
//! flagged "dated by month" because a month row's count was also placed on
//! it. [`UseDayMeter::dated_by_month`] lists the charges whose date is only
//! the month's; [`UseDayMeter::window_start`] keeps a forecast window from
//! cutting a month whose count is placed at its start.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::Datelike;

use crate::meter::{DayCharge, PairCharges, ProductIdx, ProductPlan, RuleKind};
use crate::time::{date_of_day, day_of_date};
use crate::usage::{UseDay, UserId};

/// What metering made of the use-days.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UseDayMeter {
    /// Use-days that made a charge of their own.
    pub charged: u64,
    /// Use-days on a (user, product, date) already charged by a session or
    /// another use-day: one charge.
    pub joined: u64,
    /// Charges whose date was placed within its month (a month row's count),
    /// as (user, product, day), sorted.
    pub dated_by_month: Vec<(UserId, ProductIdx, i32)>,
    /// `Rolling24h` products with use-days charged one charge each
    /// (approximate): product code → use-days charged.
    pub approximate: BTreeMap<String, u64>,
    /// Products whose rule needs times: product code → (rule, use-days not
    /// charged).
    pub not_replayable: BTreeMap<String, (RuleKind, u64)>,
    /// Report product names no scenario product matches → use-days not
    /// charged.
    pub unmapped: BTreeMap<String, u64>,
    /// The days the reports cover (whole months for month rows).
    pub cover: Option<(i32, i32)>,
}

impl UseDayMeter {
    /// True when the charge of `user` for `product` on `day` is dated only
    /// by its month.
    pub fn is_dated_by_month(&self, user: UserId, product: ProductIdx, day: i32) -> bool {
        self.dated_by_month
            .binary_search(&(user, product, day))
            .is_ok()
    }

    /// The days holding at least one charge dated only by its month, for
    /// views that show dates.
    pub fn days_dated_by_month(&self) -> BTreeSet<i32> {
        self.dated_by_month.iter().map(|&(_, _, d)| d).collect()
    }

    /// What the use-days could not be metered as, in the analyst's words:
    /// rules that need times, products no scenario product matches, and
    /// the approximate `Rolling24h` charges.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (code, (rule, n)) in &self.not_replayable {
            let how = match rule {
                RuleKind::Hourly => "hours of use",
                RuleKind::DailyPeak => "the hours each token was held",
                _ => "checkout and checkin times",
            };
            out.push(format!(
                "{code}: {n} use-days from usage reports are not charged: its {rule} rule needs {how}, which a usage report does not give (import sessions or a debug log for it)"
            ));
        }
        for (product, n) in &self.unmapped {
            out.push(format!(
                "usage-report product {product}: {n} use-days not charged (map it to a product in the scenario)"
            ));
        }
        for (code, n) in &self.approximate {
            out.push(format!(
                "{code}: {n} use-days from usage reports charged one 24-hour charge each, on their date (approximate: the rule's windows need times)"
            ));
        }
        if !self.dated_by_month.is_empty() {
            out.push(format!(
                "{} charges are dated by month: usage reports gave only days used per month, placed on each month's first working days",
                self.dated_by_month.len()
            ));
        }
        out
    }

    /// `start`, or the first day of its month when that month holds a
    /// charge dated by month: such a month's count sits at its start, so a
    /// window starting mid-month would drop part of an exact count.
    pub fn window_start(&self, start: i32) -> i32 {
        let date = date_of_day(start);
        if date.day() == 1 {
            return start;
        }
        let first = day_of_date(date.with_day(1).unwrap_or(date));
        let cut = self
            .dated_by_month
            .iter()
            .any(|&(_, _, d)| d >= first && d < start);
        if cut { first } else { start }
    }
}

/// Day rows before month rows (see the module doc).
pub(crate) fn in_order(days: &[UseDay]) -> impl Iterator<Item = &UseDay> + '_ {
    let day = days.iter().filter(|d| !d.dated_by_month);
    day.chain(days.iter().filter(|d| d.dated_by_month))
}

/// Meters the use-days of one product that is not `CalendarDay` (whose
/// use-days the day scan took): `Rolling24h` ones join its pairs, already in
/// `pairs`; the other rules' are recorded as not replayable.
pub(crate) fn merge_other(
    pairs: &mut Vec<PairCharges>,
    days: &[UseDay],
    product: ProductIdx,
    plan: &ProductPlan<'_>,
    out: &mut UseDayMeter,
) {
    match plan.rule.kind {
        RuleKind::CalendarDay => {}
        RuleKind::Rolling24h => merge_rolling(pairs, days, product, plan, out),
        RuleKind::Concurrent | RuleKind::DailyPeak | RuleKind::Hourly => {
            not_replayable(days, plan, out);
        }
    }
}

/// Adds the use-days of one `Rolling24h` product to its pairs in `pairs`:
/// one charge on a use-day's date unless a charge opens that date.
fn merge_rolling(
    pairs: &mut Vec<PairCharges>,
    days: &[UseDay],
    product: ProductIdx,
    plan: &ProductPlan<'_>,
    out: &mut UseDayMeter,
) {
    if days.is_empty() {
        return;
    }
    let mut at: HashMap<UserId, usize> = pairs
        .iter()
        .enumerate()
        .filter(|(_, p)| p.product == product)
        .map(|(i, p)| (p.user, i))
        .collect();
    let mut charged = 0u64;
    for d in in_order(days) {
        let i = *at.entry(d.user).or_insert_with(|| {
            pairs.push(PairCharges {
                user: d.user,
                product,
                days: Vec::new(),
            });
            pairs.len() - 1
        });
        let Some(pair) = pairs.get_mut(i) else {
            continue;
        };
        let day = day_of_date(d.date);
        match pair.days.binary_search_by_key(&day, |c| c.day) {
            Ok(_) => out.joined += 1,
            Err(pos) => {
                pair.days.insert(
                    pos,
                    DayCharge {
                        day,
                        charges: 1,
                        tokens: plan.rates.at(day),
                    },
                );
                charged += 1;
                if d.dated_by_month {
                    out.dated_by_month.push((d.user, product, day));
                }
            }
        }
    }
    out.charged += charged;
    if charged > 0 {
        *out.approximate.entry(plan.code.to_string()).or_default() += charged;
    }
}

/// Records the use-days of a product whose rule needs times.
fn not_replayable(days: &[UseDay], plan: &ProductPlan<'_>, out: &mut UseDayMeter) {
    if !days.is_empty() {
        let e = out
            .not_replayable
            .entry(plan.code.to_string())
            .or_insert((plan.rule.kind, 0));
        e.1 += days.len() as u64;
    }
}
