//! The Crossover view's user table: which rows show ([`TableFilter`]), in
//! which order ([`Column`]), and what else the user picked in the Crossover
//! and Mix views ([`PlanUi`]). The visible rows are rebuilt in `logic()`
//! when the picks or the plan change, never per frame.

use super::plan::{PlanData, UserRow};

/// A column of the user table.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Column {
    /// Display name.
    User,
    /// Department.
    Department,
    /// Current plan.
    Current,
    /// Recommended plan.
    Recommended,
    /// Forecast days (of the filtered product, or all).
    Days,
    /// Current annual cost.
    CurrentCost,
    /// Recommended annual cost.
    RecommendedCost,
    /// Saving.
    #[default]
    Saving,
}

impl Column {
    /// Every column, in display order.
    pub const ALL: [Column; 8] = [
        Column::User,
        Column::Department,
        Column::Current,
        Column::Recommended,
        Column::Days,
        Column::CurrentCost,
        Column::RecommendedCost,
        Column::Saving,
    ];

    /// The header text.
    pub fn label(self) -> &'static str {
        match self {
            Column::User => "User",
            Column::Department => "Department",
            Column::Current => "Current plan",
            Column::Recommended => "Recommended plan",
            Column::Days => "Forecast days/yr",
            Column::CurrentCost => "Current cost",
            Column::RecommendedCost => "Recommended cost",
            Column::Saving => "Saving",
        }
    }
}

/// Which users the table lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableFilter {
    /// Only this department.
    pub department: Option<String>,
    /// Only users of this product.
    pub product: Option<String>,
    /// Only users recommended this plan.
    pub plan: Option<String>,
    /// Only users holding this plan today.
    pub current: Option<String>,
    /// Only users whose plan changes.
    pub moves_only: bool,
}

/// What the user picked in the Crossover and Mix views.
#[derive(Clone, Debug, Default)]
pub struct PlanUi {
    /// Product of the histogram (empty: the first).
    pub product: String,
    /// Subscription of the cost curve (empty: the first).
    pub subscription: String,
    /// Table filters.
    pub filter: TableFilter,
    /// Sort column.
    pub sort: Column,
    /// Sort ascending (default: descending, largest saving first).
    pub ascending: bool,
    /// Exports replace user and host names by keyed pseudonyms.
    pub pseudonymise: bool,
    /// The key file of the pseudonyms, as typed (created on first use).
    pub key_file: String,
    visible: Vec<usize>,
    built_for: Option<(u64, TableFilter, Column, bool)>,
}

impl PlanUi {
    /// Rows of [`PlanData::users`] to show, filtered and sorted.
    pub fn visible(&self) -> &[usize] {
        &self.visible
    }

    /// Rebuilds the visible rows when the plan (`rev`) or the picks changed.
    pub fn refresh(&mut self, rev: u64, data: &PlanData) {
        let key = (rev, self.filter.clone(), self.sort, self.ascending);
        if self.built_for.as_ref() == Some(&key) {
            return;
        }
        let f = &self.filter;
        let product = f.product.as_deref();
        let days_of = |r: &UserRow| match product {
            Some(p) => r.days.get(p).copied().unwrap_or_default(),
            None => r.days_total,
        };
        let mut rows: Vec<usize> = data
            .users
            .iter()
            .enumerate()
            .filter(|(_, r)| f.department.as_ref().is_none_or(|d| &r.department == d))
            .filter(|(_, r)| product.is_none_or(|p| r.days.contains_key(p)))
            .filter(|(_, r)| f.plan.as_ref().is_none_or(|p| &r.recommended_plan == p))
            .filter(|(_, r)| f.current.as_ref().is_none_or(|p| &r.current_plan == p))
            .filter(|(_, r)| !f.moves_only || r.moves)
            .map(|(i, _)| i)
            .collect();
        let users = &data.users;
        rows.sort_by(|&a, &b| {
            let (Some(x), Some(y)) = (users.get(a), users.get(b)) else {
                return a.cmp(&b);
            };
            let order = match self.sort {
                Column::User => x.user.cmp(&y.user),
                Column::Department => x.department.cmp(&y.department),
                Column::Current => x.current_plan.cmp(&y.current_plan),
                Column::Recommended => x.recommended_plan.cmp(&y.recommended_plan),
                Column::Days => days_of(x).cmp(&days_of(y)),
                Column::CurrentCost => x.current_cost.cmp(&y.current_cost),
                Column::RecommendedCost => x.recommended_cost.cmp(&y.recommended_cost),
                Column::Saving => x.saving.cmp(&y.saving),
            };
            let order = if self.ascending {
                order
            } else {
                order.reverse()
            };
            // Ties keep name order whatever the direction, so the list is stable.
            order.then_with(|| x.user.cmp(&y.user))
        });
        self.visible = rows;
        self.built_for = Some(key);
    }

    /// Sorts by `column`; a second click on the same column flips the order.
    pub fn sort_by(&mut self, column: Column) {
        if self.sort == column {
            self.ascending = !self.ascending;
        } else {
            self.sort = column;
            // Names and plans read best A→Z, figures largest first.
            self.ascending = matches!(
                column,
                Column::User | Column::Department | Column::Current | Column::Recommended
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;

    use super::*;

    fn row(user: &str, dept: &str, plan: &str, saving: i64, days: &[(&str, i64)]) -> UserRow {
        let days: BTreeMap<String, Decimal> = days
            .iter()
            .map(|(p, d)| ((*p).to_owned(), Decimal::from(*d)))
            .collect();
        UserRow {
            user: user.to_owned(),
            department: dept.to_owned(),
            cost_centre: String::new(),
            moves: plan != "tokens",
            current_plan: "tokens".to_owned(),
            recommended_plan: plan.to_owned(),
            days_total: days.values().copied().sum(),
            days,
            days_text: String::new(),
            days_hover: String::new(),
            current_cost: Decimal::ZERO,
            recommended_cost: Decimal::ZERO,
            saving: Decimal::from(saving),
            cost_texts: Default::default(),
            cost_hovers: Default::default(),
        }
    }

    fn data() -> PlanData {
        PlanData {
            users: vec![
                row("ann", "Civil", "C3D", 10, &[("C3D", 200)]),
                row("bob", "MEP", "tokens", 0, &[("ACD", 5), ("RVT", 3)]),
                row("cid", "Civil", "tokens", 0, &[("ACD", 50)]),
                row("dee", "MEP", "AEC", 30, &[("RVT", 150), ("ACD", 90)]),
            ],
            ..PlanData::default()
        }
    }

    fn names(ui: &PlanUi, data: &PlanData) -> Vec<String> {
        ui.visible()
            .iter()
            .map(|&i| data.users[i].user.clone())
            .collect()
    }

    #[test]
    fn rows_sort_by_saving_first_then_by_any_column_with_name_ties() {
        let d = data();
        let mut ui = PlanUi::default();
        ui.refresh(1, &d);
        // Largest saving first; equal savings in name order.
        assert_eq!(names(&ui, &d), ["dee", "ann", "bob", "cid"]);
        ui.sort_by(Column::User);
        ui.refresh(1, &d);
        assert_eq!(names(&ui, &d), ["ann", "bob", "cid", "dee"]);
        ui.sort_by(Column::User);
        ui.refresh(1, &d);
        assert_eq!(names(&ui, &d), ["dee", "cid", "bob", "ann"]);
        ui.sort_by(Column::Days);
        ui.refresh(1, &d);
        assert_eq!(names(&ui, &d), ["dee", "ann", "cid", "bob"]);
    }

    #[test]
    fn filters_combine_and_days_follow_the_filtered_product() {
        let d = data();
        let mut ui = PlanUi::default();
        ui.filter.product = Some("ACD".to_owned());
        ui.sort_by(Column::Days);
        ui.refresh(1, &d);
        // By ACD days: dee 90, cid 50, bob 5; ann uses no ACD.
        assert_eq!(names(&ui, &d), ["dee", "cid", "bob"]);
        ui.filter.department = Some("MEP".to_owned());
        ui.refresh(1, &d);
        assert_eq!(names(&ui, &d), ["dee", "bob"]);
        ui.filter.plan = Some("tokens".to_owned());
        ui.refresh(1, &d);
        assert_eq!(names(&ui, &d), ["bob"]);
        // Today everyone draws tokens; dee and ann move to a subscription.
        ui.filter = TableFilter {
            moves_only: true,
            ..TableFilter::default()
        };
        ui.refresh(1, &d);
        assert_eq!(names(&ui, &d), ["dee", "ann"]);
        ui.filter.current = Some("AEC".to_owned());
        ui.refresh(1, &d);
        assert!(names(&ui, &d).is_empty());
    }
}
