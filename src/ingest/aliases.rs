//! Identities (SPEC §1.4): an `alias, user` table says that one person
//! appears under several names (`CORP\jdoe`, `jdoe`, `john.doe@corp.com`,
//! an Autodesk ID). [`read_aliases`] loads the table into
//! [`Usage::aliases`]; [`apply_aliases`] renames every input's users
//! through it (case-insensitive), whichever order the files came in: the
//! shared import path runs it after each file while a table is loaded, so
//! nothing downstream ever sees an alias. [`identities`] says what was
//! joined and which names look like one person's but are not joined.
//!
//! An alias may name another alias (`jdoe → CORP\jdoe → john.doe@…`): it is
//! followed to the end. A loop is reported and its names are left alone.
//! A joined user is shown as the alias table spells the user.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;

use super::table::{self, Column};
use super::{Report, SourceKind};
use crate::usage::{Alias, DirectoryEntry, Usage, UserId, UserTable};

/// The other name.
pub(crate) const ALIAS: Column = Column {
    name: "alias",
    aliases: &["alias", "aliases", "othername", "alternatename", "synonym"],
};
/// The user it stands for.
pub(crate) const USER: Column = Column {
    name: "user",
    aliases: &["user", "username", "canonicaluser", "person", "email"],
};

/// Reads an alias table into `usage.aliases`. An alias given twice keeps
/// the later row, and that is reported.
pub fn read_aliases<R: Read>(file: &str, src: R, usage: &mut Usage) -> Report {
    let mut rows = 0u64;
    let resolve = |header: &[String]| {
        let n = table::normalised(header);
        match (ALIAS.find(&n), USER.find(&n)) {
            (Some(a), Some(u)) => Ok((a, u)),
            (a, u) => Err([(a, &ALIAS), (u, &USER)]
                .iter()
                .filter(|(found, _)| found.is_none())
                .map(|(_, c)| c.missing(header))
                .collect()),
        }
    };
    let mut report = table::read_table(
        file,
        SourceKind::Aliases,
        src,
        resolve,
        |&(a, u), line, rec, report| {
            let (Ok(alias), Ok(user)) = (table::field(rec, Some(a)), table::field(rec, Some(u)))
            else {
                report.skip(line, "not UTF-8", "row is not valid UTF-8; row skipped");
                return false;
            };
            if alias.is_empty() || user.is_empty() {
                let what = if alias.is_empty() { "alias" } else { "user" };
                report.skip(
                    line,
                    &format!("empty {what}"),
                    format!("{what} is empty; row skipped"),
                );
                return false;
            }
            let key = UserTable::key_of(alias).into_owned();
            let entry = Alias {
                user: user.to_string(),
                source: format!("{file}:{line}"),
                names_joined: 0,
                records: 0,
            };
            if let Some(before) = usage.aliases.insert(key, entry)
                && !before.user.eq_ignore_ascii_case(user)
            {
                report.problem(
                    line,
                    format!(
                        "alias {alias} is given again (before at {}, for {}); this row's user {user} replaces it",
                        before.source, before.user
                    ),
                );
            }
            rows += 1;
            true
        },
    );
    report.count("aliases", rows);
    report
}

/// What one [`apply_aliases`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AliasOutcome {
    /// Input names joined to another user.
    pub names_joined: u64,
    /// Records whose user changed.
    pub records: u64,
    /// Loops in the alias table, as messages.
    pub loops: Vec<String>,
    /// Directory rows of joined names that differ, as messages.
    pub collisions: Vec<String>,
}

/// The user an alias key ends at (its spelling in the table), following
/// aliases of aliases; `Err` with the loop's names when it never ends.
fn resolve(aliases: &BTreeMap<String, Alias>, key: &str) -> Option<Result<String, Vec<String>>> {
    let mut entry = aliases.get(key)?;
    let mut path = vec![key.to_string()];
    loop {
        let next = UserTable::key_of(&entry.user).into_owned();
        if next == *path.last().unwrap_or(&String::new()) {
            return Some(Ok(entry.user.clone()));
        }
        if path.contains(&next) {
            path.push(next);
            return Some(Err(path));
        }
        match aliases.get(&next) {
            Some(e) => {
                path.push(next);
                entry = e;
            }
            None => return Some(Ok(entry.user.clone())),
        }
    }
}

/// The loop at the end of `path` (whose last name repeats an earlier one),
/// from its smallest name, so each loop is reported once.
fn loop_of(path: &[String]) -> Vec<String> {
    let Some(last) = path.last() else {
        return Vec::new();
    };
    let from = path.iter().position(|p| p == last).unwrap_or(0);
    let mut ring: Vec<String> = path.get(from..path.len() - 1).unwrap_or_default().to_vec();
    if let Some(min) = ring
        .iter()
        .enumerate()
        .min_by_key(|(_, n)| n.as_str())
        .map(|(i, _)| i)
    {
        ring.rotate_left(min);
    }
    if let Some(first) = ring.first().cloned() {
        ring.push(first);
    }
    ring
}

/// Renames every user of `usage` through its alias table (see the module
/// doc); nothing to do without a table.
pub fn apply_aliases(usage: &mut Usage) -> AliasOutcome {
    let mut out = AliasOutcome::default();
    if usage.aliases.is_empty() {
        return out;
    }
    // The name each user ends up with, and which alias took it there.
    let mut loops: BTreeSet<Vec<String>> = BTreeSet::new();
    let targets: HashMap<String, String> = usage
        .aliases
        .keys()
        .filter_map(|k| match resolve(&usage.aliases, k)? {
            Ok(user) => Some((UserTable::key_of(&user).into_owned(), user)),
            Err(path) => {
                loops.insert(loop_of(&path));
                None
            }
        })
        .collect();
    let mut table = UserTable::default();
    let mut map: Vec<UserId> = Vec::with_capacity(usage.users.len());
    let mut via: Vec<Option<String>> = Vec::with_capacity(usage.users.len());
    for id in 0..usage.users.len() as UserId {
        let key = usage.users.key(id);
        let (name, alias) = match resolve(&usage.aliases, key) {
            Some(Ok(user)) if UserTable::key_of(&user) != key => (user, Some(key.to_string())),
            _ => match targets.get(key) {
                Some(spelling) => (spelling.clone(), None),
                None => (usage.users.name(id).to_string(), None),
            },
        };
        map.push(table.intern(&name));
        via.push(alias);
    }
    for path in loops {
        out.loops.push(format!(
            "aliases {} name each other in a loop; these names are left as they are",
            path.join(" → ")
        ));
    }
    let moved = |id: UserId| map.get(id as usize).is_some_and(|&m| m != id);
    let renamed = via.iter().any(Option::is_some) || (0..usage.users.len() as UserId).any(moved);
    let mut per_user = vec![0u64; usage.users.len()];
    if renamed {
        remap_records(usage, &map, &mut per_user, &mut out.collisions);
    }
    for (id, alias) in via.iter().enumerate() {
        let Some(key) = alias else { continue };
        // Other users' ids move too (the table is renumbered); only the
        // joined names' records count as renamed.
        let records = per_user.get(id).copied().unwrap_or(0);
        if let Some(a) = usage.aliases.get_mut(key) {
            a.names_joined += 1;
            a.records += records;
        }
        out.names_joined += 1;
        out.records += records;
    }
    usage.users = table;
    out
}

/// Rewrites every record's user through `map`, counting the records of
/// each old user.
fn remap_records(
    usage: &mut Usage,
    map: &[UserId],
    per_user: &mut [u64],
    problems: &mut Vec<String>,
) {
    let mut swap = |u: &mut UserId| {
        if let Some(n) = per_user.get_mut(*u as usize) {
            *n += 1;
        }
        if let Some(&m) = map.get(*u as usize) {
            *u = m;
        }
    };
    for seg in usage.sessions.segments_mut() {
        for s in seg.iter_mut() {
            swap(&mut s.user);
        }
    }
    usage.use_days.iter_mut().for_each(|d| swap(&mut d.user));
    usage
        .vendor_charges
        .iter_mut()
        .for_each(|c| swap(&mut c.user));
    usage.denials.iter_mut().for_each(|d| swap(&mut d.user));
    usage.assignments.iter_mut().for_each(|(u, _)| swap(u));
    let directory = std::mem::take(&mut usage.directory);
    let mut joined: BTreeMap<UserId, (UserId, DirectoryEntry)> = BTreeMap::new();
    for (old, entry) in directory {
        let mut new = old;
        swap(&mut new);
        match joined.get(&new) {
            Some((first, kept)) if *kept != entry => problems.push(format!(
                "the directory rows of {} and {} are one person by the alias table and differ; the row of {} is kept",
                usage.users.name(*first),
                usage.users.name(old),
                usage.users.name(*first)
            )),
            Some(_) => {}
            None => {
                joined.insert(new, (old, entry));
            }
        }
    }
    usage.directory = joined.into_iter().map(|(u, (_, e))| (u, e)).collect();
}

/// The identities of a usage: what the alias table joined, aliases no
/// input used, and names that look like one person's but are not joined.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Identities {
    /// Aliases loaded.
    pub aliases: usize,
    /// Aliases that joined at least one input name: (alias, user, names
    /// joined, records changed), by alias.
    pub applied: Vec<(String, String, u64, u64)>,
    /// Aliases no input name matched, by alias.
    pub unused: Vec<String>,
    /// Groups of user names (two or more, sorted) that share an e-mail
    /// local part or a login after `DOMAIN\`, sorted by their first name.
    pub likely_duplicates: Vec<Vec<String>>,
}

impl Identities {
    /// Input names joined in all.
    pub fn names_joined(&self) -> u64 {
        self.applied.iter().map(|a| a.2).sum()
    }
}

/// The login a user name comes down to: after the last `\` of `DOMAIN\`,
/// before the `@` of an e-mail, lower case.
pub fn person_key(name: &str) -> String {
    let key = UserTable::key_of(name);
    let login = key.rsplit('\\').next().unwrap_or(&key);
    login.split('@').next().unwrap_or(login).to_string()
}

/// What [`Identities`] says of `usage`.
pub fn identities(usage: &Usage) -> Identities {
    let mut applied = Vec::new();
    let mut unused = Vec::new();
    for (key, a) in &usage.aliases {
        if a.names_joined > 0 {
            applied.push((key.clone(), a.user.clone(), a.names_joined, a.records));
        } else if UserTable::key_of(&a.user) != key.as_str() {
            unused.push(key.clone());
        }
    }
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for id in 0..usage.users.len() as UserId {
        let name = usage.users.name(id);
        let key = person_key(name);
        if !key.is_empty() {
            groups.entry(key).or_default().push(name.to_string());
        }
    }
    let mut likely_duplicates: Vec<Vec<String>> = groups
        .into_values()
        .filter(|g| g.len() > 1)
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    likely_duplicates.sort();
    Identities {
        aliases: usage.aliases.len(),
        applied,
        unused,
        likely_duplicates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::Session;

    fn usage_with(names: &[&str]) -> Usage {
        let mut u = Usage::default();
        for (i, n) in names.iter().enumerate() {
            let user = u.users.intern(n);
            u.sessions.push(Session {
                start: 1_700_000_000 + i as u32,
                dur: 60,
                user,
                feature: 0,
                host: 0,
                draw: 0,
                flags: 0,
            });
        }
        u
    }

    fn alias(u: &mut Usage, alias: &str, user: &str) {
        u.aliases.insert(
            UserTable::key_of(alias).into_owned(),
            Alias {
                user: user.into(),
                source: "a.csv:2".into(),
                names_joined: 0,
                records: 0,
            },
        );
    }

    #[test]
    fn chains_are_followed_and_loops_reported() {
        let mut u = usage_with(&["jdoe", "CORP\\JDoe", "x", "y", "John.Doe@corp.com"]);
        alias(&mut u, "jdoe", "corp\\jdoe");
        alias(&mut u, "CORP\\jdoe", "john.doe@corp.com");
        alias(&mut u, "x", "y");
        alias(&mut u, "y", "x");
        let out = apply_aliases(&mut u);
        // jdoe and CORP\JDoe joined john.doe@corp.com (spelled as the table does).
        assert_eq!(out.names_joined, 2);
        assert_eq!(out.records, 2);
        assert_eq!(out.loops.len(), 1, "{:?}", out.loops);
        assert!(out.loops[0].contains("x → y → x"), "{:?}", out.loops);
        let names: Vec<&str> = (0..u.users.len() as u32).map(|i| u.users.name(i)).collect();
        assert_eq!(names, vec!["john.doe@corp.com", "x", "y"]);
        let users: Vec<u32> = u.sessions.iter().map(|s| s.user).collect();
        assert_eq!(users, vec![0, 0, 1, 2, 0]);
        // Applying again changes nothing.
        let again = apply_aliases(&mut u);
        assert_eq!((again.names_joined, again.records), (0, 0));
        let id = identities(&u);
        assert_eq!(id.names_joined(), 2);
        // The loop joined nothing.
        assert_eq!(id.unused, vec!["x", "y"]);
    }

    #[test]
    fn likely_duplicates_share_a_login() {
        let u = usage_with(&[
            "CORP\\jdoe",
            "jdoe",
            "jdoe@corp.com",
            "john.doe@corp.com",
            "ann",
        ]);
        let id = identities(&u);
        assert_eq!(
            id.likely_duplicates,
            vec![vec!["CORP\\jdoe", "jdoe", "jdoe@corp.com"]]
        );
        assert_eq!(person_key("OFFICE\\John.Doe@Corp.com"), "john.doe");
    }
}
