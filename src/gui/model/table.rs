//! Tables as the views show them: [`Table`] is a header (each column with
//! the hover that explains it) and rows of text cells; [`TableSorts`] is
//! the order the user asked each table to be sorted in, rebuilt in
//! `logic()` when the table or the pick changes, never per frame.
//!
//! A column sorts as numbers when its cells read as numbers (`1,690.20
//! USD`, `94.55%`, `2,794.26`), otherwise as text; cells that are not
//! numbers in a numeric column (`never`, `none`) go last.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;

/// A table: header and rows of cells, as shown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub header: Vec<&'static str>,
    /// What each column is, shown when its title is hovered.
    pub hovers: Vec<&'static str>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table of `columns` (title, what it is) and `rows`.
    pub fn new(columns: &[(&'static str, &'static str)], rows: Vec<Vec<String>>) -> Table {
        Table {
            header: columns.iter().map(|(h, _)| *h).collect(),
            hovers: columns.iter().map(|(_, w)| *w).collect(),
            rows,
        }
    }

    /// True when the cells of `column` read as numbers (the first that is
    /// not empty decides).
    pub fn is_figures(&self, column: usize) -> bool {
        self.rows
            .iter()
            .filter_map(|r| r.get(column))
            .find(|c| !c.is_empty())
            .is_some_and(|c| matches!(Key::of(c), Key::Number(_)))
    }

    /// The row indices in the order of `column`, ascending or not; ties
    /// keep the table's own order.
    pub fn order(&self, column: usize, ascending: bool) -> Vec<usize> {
        let keys: Vec<Key<'_>> = self
            .rows
            .iter()
            .map(|r| Key::of(r.get(column).map_or("", String::as_str)))
            .collect();
        let mut order: Vec<usize> = (0..self.rows.len()).collect();
        order.sort_by(|&a, &b| {
            let o = keys[a].cmp(&keys[b]);
            if ascending { o } else { o.reverse() }
        });
        order
    }
}

/// How a cell sorts: numbers by value before anything else, then text.
#[derive(Debug, PartialEq, Eq)]
enum Key<'a> {
    Number(Decimal),
    Text(&'a str),
}

impl Key<'_> {
    fn of(cell: &str) -> Key<'_> {
        // `1,690.20 USD`, `94.55%`, `+13.00`: the number without grouping,
        // unit or sign decoration.
        let number = cell.split(' ').next().unwrap_or("");
        let number = number.trim_end_matches('%').trim_start_matches('+');
        let clean: String = number.chars().filter(|c| *c != ',').collect();
        match clean.parse::<Decimal>() {
            Ok(d) if !clean.is_empty() => Key::Number(d),
            _ => Key::Text(cell),
        }
    }
}

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Key::Number(a), Key::Number(b)) => a.cmp(b),
            (Key::Number(_), Key::Text(_)) => Ordering::Less,
            (Key::Text(_), Key::Number(_)) => Ordering::Greater,
            (Key::Text(a), Key::Text(b)) => a.to_lowercase().cmp(&b.to_lowercase()),
        }
    }
}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// One table's sort: the column picked, its direction, and the order of
/// the rows it gave for the table of serial `built_for`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableSort {
    /// The column sorted by.
    pub column: usize,
    /// Ascending (a second click on the column flips it).
    pub ascending: bool,
    /// Just picked: the first sort is decided by the column (figures
    /// largest first, text A→Z).
    first: bool,
    /// Row indices in that order.
    order: Vec<usize>,
    /// (table serial, column, direction) the order was built for.
    built_for: Option<(u64, usize, bool)>,
}

/// The sort of every table the user sorted, by table id.
#[derive(Clone, Debug, Default)]
pub struct TableSorts {
    sorts: BTreeMap<String, TableSort>,
}

impl TableSorts {
    /// Sorts table `id` by `column`: figures largest first, text A→Z; the
    /// same column again flips the direction.
    pub fn click(&mut self, id: &str, column: usize) {
        match self.sorts.get_mut(id) {
            Some(sort) if sort.column == column => sort.ascending = !sort.ascending,
            Some(sort) => {
                sort.column = column;
                sort.first = true;
            }
            None => {
                self.sorts.insert(
                    id.to_owned(),
                    TableSort {
                        column,
                        first: true,
                        ..TableSort::default()
                    },
                );
            }
        }
    }

    /// The sort of table `id`, when the user picked one.
    pub fn get(&self, id: &str) -> Option<&TableSort> {
        self.sorts.get(id)
    }

    /// The rows of table `id` in the order to show (`None`: the table's
    /// own order).
    pub fn order(&self, id: &str) -> Option<&[usize]> {
        self.sorts
            .get(id)
            .filter(|s| s.built_for.is_some())
            .map(|s| s.order.as_slice())
    }

    /// Rebuilds the order of table `id` when `table` (of serial `serial`)
    /// or the pick changed since it was built.
    pub fn refresh(&mut self, id: &str, serial: u64, table: &Table) {
        let Some(sort) = self.sorts.get_mut(id) else {
            return;
        };
        if std::mem::take(&mut sort.first) {
            sort.ascending = !table.is_figures(sort.column);
        }
        let key = (serial, sort.column, sort.ascending);
        if sort.built_for == Some(key) {
            return;
        }
        sort.order = table.order(sort.column, sort.ascending);
        sort.built_for = Some(key);
    }

    /// The ids of every sorted table.
    pub fn ids(&self) -> Vec<String> {
        self.sorts.keys().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let rows = [
            ["Singapore", "868", "20,447.10 USD", "12.5%"],
            ["Denver", "73", "1,690.20 USD", "none"],
            ["New York", "432", "9,957.60 USD", "3%"],
        ];
        Table::new(
            &[("Office", ""), ("Charges", ""), ("Cost", ""), ("Share", "")],
            rows.iter()
                .map(|r| r.iter().map(|c| (*c).to_owned()).collect())
                .collect(),
        )
    }

    #[test]
    fn columns_sort_as_numbers_or_text() {
        let t = table();
        assert_eq!(t.order(0, true), [1, 2, 0]);
        assert_eq!(t.order(1, false), [0, 2, 1]);
        // 1,690.20 < 9,957.60 < 20,447.10, whatever the text would say.
        assert_eq!(t.order(2, true), [1, 2, 0]);
        // Numbers first, then the words.
        assert_eq!(t.order(3, true), [2, 0, 1]);
    }

    #[test]
    fn a_click_sorts_and_a_second_flips() {
        let t = table();
        let mut s = TableSorts::default();
        assert_eq!(s.order("office"), None);
        // Figures first sort largest first, a second click flips.
        s.click("office", 2);
        s.refresh("office", 1, &t);
        assert_eq!(s.order("office"), Some(&[0, 2, 1][..]));
        s.click("office", 2);
        s.refresh("office", 1, &t);
        assert_eq!(s.order("office"), Some(&[1, 2, 0][..]));
        // Text first sorts A→Z.
        s.click("office", 0);
        s.refresh("office", 1, &t);
        assert_eq!(s.order("office"), Some(&[1, 2, 0][..]));
        s.click("office", 2);
        // A new table (serial 2) is sorted the same way (cost, largest first).
        let mut t2 = t.clone();
        t2.rows.truncate(2);
        s.refresh("office", 2, &t2);
        assert_eq!(s.order("office"), Some(&[0, 1][..]));
    }
}
