//! The reassignment list an ITAM manager acts on: the users of a
//! [`RecommendReport`] with their department and cost centre from the user
//! directory, as CSV — all of them, or the ones a filtered table shows, in
//! its order.
//!
//! The columns are `user,department,cost_center,current_plan,
//! recommended_plan,forecast_days,current_annual_cost,
//! recommended_annual_cost,saving`, written as
//! [`RecommendReport::write_reassignment_csv`] writes the shared ones.

use std::collections::HashMap;
use std::io::Write;

use super::report::RecommendReport;
use crate::usage::Usage;

/// Which users the list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListRows<'a> {
    /// Every user, largest saving first (then by name), then the lines
    /// that complete the plan's total, as the plain list has them.
    All,
    /// These users, in this order (names the report does not know are
    /// skipped).
    Only(&'a [String]),
}

impl RecommendReport {
    /// Writes the reassignment list of `rows` with each user's department
    /// and cost centre from `usage`'s directory (empty when the user has no
    /// row there).
    ///
    /// # Errors
    /// When writing to `out` fails.
    pub fn write_reassignment_list<W: Write>(
        &self,
        usage: &Usage,
        rows: ListRows<'_>,
        out: W,
    ) -> Result<(), csv::Error> {
        // The plain list is the one source of the rows, their order and
        // figures; this adds the two directory columns after the name.
        let mut plain = Vec::new();
        self.write_reassignment_csv(&mut plain)?;
        let mut records: Vec<csv::StringRecord> = csv::Reader::from_reader(plain.as_slice())
            .records()
            .collect::<Result<_, _>>()?;
        if let ListRows::Only(names) = rows {
            // Only the users asked for, in their order; the lines after the
            // users (pools, tokens beyond the forecast) are no table's rows.
            let mut by_name: HashMap<String, csv::StringRecord> = records
                .into_iter()
                .filter_map(|r| Some((r.get(0)?.to_owned(), r.clone())))
                .collect();
            records = names.iter().filter_map(|n| by_name.remove(n)).collect();
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record([
            "user",
            "department",
            "cost_center",
            "current_plan",
            "recommended_plan",
            "forecast_days",
            "current_annual_cost",
            "recommended_annual_cost",
            "saving",
        ])?;
        for r in &records {
            let name = r.get(0).unwrap_or_default();
            // Pool and purchase lines are no user: their directory columns
            // stay empty.
            let entry = usage
                .users
                .get(name)
                .filter(|_| self.users.iter().any(|u| u.user == name))
                .and_then(|id| usage.directory.get(&id));
            let mut out_row: Vec<&str> = Vec::with_capacity(r.len() + 2);
            out_row.push(name);
            out_row.push(entry.map_or("", |e| e.department.as_str()));
            out_row.push(entry.map_or("", |e| e.cost_center.as_str()));
            out_row.extend(r.iter().skip(1));
            w.write_record(&out_row)?;
        }
        w.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn the_list_carries_the_directory_and_keeps_the_rows_asked_for() {
        let scenario = crate::sample::scenario().unwrap();
        let (usage, _) = crate::sample::usage(&scenario);
        let metered = crate::meter::meter(&usage, &scenario, &NoProgress).unwrap();
        let report = crate::plan::recommend(&metered, &usage, &scenario).unwrap();

        let mut all = Vec::new();
        report
            .write_reassignment_list(&usage, ListRows::All, &mut all)
            .unwrap();
        let all = String::from_utf8(all).unwrap();
        let mut plain = Vec::new();
        report.write_reassignment_csv(&mut plain).unwrap();
        let plain = String::from_utf8(plain).unwrap();
        // Every user, in the same order as the plain list, with the two
        // directory columns after the name (the sample's directory has
        // departments and no cost centres).
        assert_eq!(all.lines().count(), plain.lines().count());
        for (with, without) in all.lines().zip(plain.lines()).skip(1) {
            let (user, rest) = with.split_once(',').unwrap();
            let (dept, rest) = rest.split_once(',').unwrap();
            let (centre, rest) = rest.split_once(',').unwrap();
            assert_eq!(format!("{user},{rest}"), without);
            let is_user = report.users.iter().any(|u| u.user == user);
            assert_eq!(!dept.is_empty(), is_user, "{with}");
            assert_eq!(centre, "");
        }

        let names = vec![
            "u00104".to_owned(),
            "nobody".to_owned(),
            "u00018".to_owned(),
        ];
        let mut some = Vec::new();
        report
            .write_reassignment_list(&usage, ListRows::Only(&names), &mut some)
            .unwrap();
        let some = String::from_utf8(some).unwrap();
        let users: Vec<&str> = some
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        assert_eq!(users, ["u00104", "u00018"]);
        assert!(some.starts_with("user,department,cost_center,current_plan,"));
    }
}
