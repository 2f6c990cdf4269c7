//! User directory CSV (SPEC §1.4): `user, department, cost_center,
//! location, time_zone` (any subset beyond `user`; other columns ignored)
//! into [`Usage::directory`].
//!
//! A time zone must be an IANA name (`Europe/London`); anything else is
//! reported and left empty. A user listed twice keeps the later row, and
//! that is reported.

use std::collections::HashMap;
use std::io::Read;

use chrono_tz::Tz;

use super::table::{self, Column};
use super::{Report, SourceKind};
use crate::usage::{DirectoryEntry, Usage, UserId};

/// Who.
pub(crate) const USER: Column = Column {
    name: "user",
    aliases: &["user", "username", "login", "email"],
};
/// Department.
pub(crate) const DEPARTMENT: Column = Column {
    name: "department",
    aliases: &["department", "dept"],
};
/// Cost center.
pub(crate) const COST_CENTER: Column = Column {
    name: "cost_center",
    aliases: &["costcenter", "costcentre"],
};
/// Office or location.
pub(crate) const LOCATION: Column = Column {
    name: "location",
    aliases: &["location", "office", "site"],
};
/// IANA time zone.
pub(crate) const TIME_ZONE: Column = Column {
    name: "time_zone",
    aliases: &["timezone", "tz"],
};

struct Cols {
    user: usize,
    department: Option<usize>,
    cost_center: Option<usize>,
    location: Option<usize>,
    time_zone: Option<usize>,
}

fn resolve(header: &[String]) -> Result<Cols, Vec<String>> {
    let n = table::normalised(header);
    let user = USER.find(&n).ok_or_else(|| vec![USER.missing(header)])?;
    Ok(Cols {
        user,
        department: DEPARTMENT.find(&n),
        cost_center: COST_CENTER.find(&n),
        location: LOCATION.find(&n),
        time_zone: TIME_ZONE.find(&n),
    })
}

/// Reads a user directory into `usage.directory`.
pub fn read_directory<R: Read>(file: &str, src: R, usage: &mut Usage) -> Report {
    let mut first_line: HashMap<UserId, u64> = HashMap::new();
    let mut entries = 0u64;
    let mut report = table::read_table(
        file,
        SourceKind::Directory,
        src,
        resolve,
        |c, line, rec, report| {
            let user = match table::field(rec, Some(c.user)) {
                Ok("") => {
                    report.skip(line, "empty user", "user is empty; row skipped");
                    return false;
                }
                Ok(u) => u,
                Err(()) => {
                    report.skip(line, "not UTF-8", "user is not valid UTF-8; row skipped");
                    return false;
                }
            };
            let text = |col: Option<usize>, what: &str, report: &mut Report| match table::field(
                rec, col,
            ) {
                Ok(t) => t.to_string(),
                Err(()) => {
                    report.problem(line, format!("{what} is not valid UTF-8; left empty"));
                    String::new()
                }
            };
            let department = text(c.department, "department", report);
            let cost_center = text(c.cost_center, "cost_center", report);
            let location = text(c.location, "location", report);
            let mut time_zone = text(c.time_zone, "time_zone", report);
            if !time_zone.is_empty() && time_zone.parse::<Tz>().is_err() {
                report.problem(
                line,
                format!("time_zone {time_zone:?} is not an IANA time zone name (such as Europe/London); left empty"),
            );
                time_zone.clear();
            }
            let id = usage.users.intern(user);
            if let Some(first) = first_line.insert(id, line) {
                report.problem(
                    line,
                    format!(
                        "user {user} is listed again (before on line {first}); this row replaces it"
                    ),
                );
            } else {
                entries += 1;
            }
            usage.directory.insert(
                id,
                DirectoryEntry {
                    department,
                    cost_center,
                    location,
                    time_zone,
                },
            );
            true
        },
    );
    report.count("directory entries", entries);
    report
}
