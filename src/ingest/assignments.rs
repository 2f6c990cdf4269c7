//! Current assignments CSV (SPEC §1.4): `user, subscription`, one row per
//! seat, into [`Usage::assignments`].

use std::io::Read;

use super::table::{self, Column};
use super::{Report, SourceKind};
use crate::usage::Usage;

/// Who holds the seat.
pub(crate) const USER: Column = Column {
    name: "user",
    aliases: &["user", "username", "login", "email"],
};
/// The subscription code (a key of the scenario's subscriptions).
pub(crate) const SUBSCRIPTION: Column = Column {
    name: "subscription",
    aliases: &["subscription", "subscriptioncode"],
};

/// Reads current assignments into `usage.assignments`.
pub fn read_assignments<R: Read>(file: &str, src: R, usage: &mut Usage) -> Report {
    let mut seats = 0u64;
    let resolve = |header: &[String]| {
        let n = table::normalised(header);
        let mut missing = Vec::new();
        for c in [&USER, &SUBSCRIPTION] {
            if !c.present(&n) {
                missing.push(c.missing(header));
            }
        }
        match (USER.find(&n), SUBSCRIPTION.find(&n)) {
            (Some(u), Some(s)) => Ok((u, s)),
            _ => Err(missing),
        }
    };
    let mut report = table::read_table(
        file,
        SourceKind::Assignments,
        src,
        resolve,
        |&(u, s), line, rec, report| {
            let (Ok(user), Ok(sub)) = (table::field(rec, Some(u)), table::field(rec, Some(s)))
            else {
                report.skip(line, "not UTF-8", "row is not valid UTF-8; row skipped");
                return false;
            };
            if user.is_empty() {
                report.skip(line, "empty user", "user is empty; row skipped");
                return false;
            }
            if sub.is_empty() {
                report.skip(
                    line,
                    "empty subscription",
                    "subscription is empty; row skipped",
                );
                return false;
            }
            let id = usage.users.intern(user);
            usage.assignments.push((id, sub.to_string()));
            seats += 1;
            true
        },
    );
    report.count("seats", seats);
    report
}
