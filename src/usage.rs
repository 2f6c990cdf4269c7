//! The imported usage model: interned names and compact sessions.
//!
//! [`Usage`] is what every importer adds to and what metering reads. Users,
//! features and hosts are interned to `u32` ids ([`UserTable`], [`Interner`]);
//! a [`Session`] is 24 bytes so that ten million of them fit comfortably in
//! memory. Sessions are stored in segments ([`Sessions`]) so that a large
//! import never reallocates one huge vector.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// Canonical user id (case-insensitive, trimmed identity).
pub type UserId = u32;
/// Interned raw feature or product code, exactly as the source spelled it.
pub type FeatureId = u32;
/// Interned host name.
pub type HostId = u32;

/// Flag bits of [`Session::flags`].
pub mod flags {
    /// Closed by the server's idle reclaim: `IN: ... (INACTIVE)`.
    pub const INACTIVE: u16 = 1;
    /// Closed by a graceful server stop: `IN: ... (SHUTDOWN)`.
    pub const SHUTDOWN: u16 = 2;
    /// Still open at the end of the log or at a server restart; closed at
    /// the last timestamped line before that point.
    pub const TRUNCATED: u16 = 4;
}

/// One license checkout: the half-open interval `[start, start + dur)`.
///
/// Instants are whole seconds since the Unix epoch, UTC, stored as `u32`
/// (1970 to 2106); importers reject instants outside that range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Session {
    /// Checkout instant, seconds since the Unix epoch (UTC).
    pub start: u32,
    /// Duration in seconds (`end - start`).
    pub dur: u32,
    /// Who, canonical id in [`Usage::users`].
    pub user: UserId,
    /// Feature or product code as the source gave it, id in [`Usage::features`].
    pub feature: FeatureId,
    /// Workstation, id in [`Usage::hosts`] (the empty name when unknown).
    pub host: HostId,
    /// Tokens or licenses the checkout holds as its source says; 0 = not
    /// given (the product's rate applies).
    pub draw: u16,
    /// [`flags`] bits.
    pub flags: u16,
}

impl Session {
    /// Checkout instant in seconds since the epoch.
    pub fn start_secs(&self) -> i64 {
        i64::from(self.start)
    }
    /// Checkin instant in seconds since the epoch (exclusive).
    pub fn end_secs(&self) -> i64 {
        i64::from(self.start) + i64::from(self.dur)
    }
}

/// Sessions in segments of bounded size; iteration order is import order.
#[derive(Clone, Debug, Default)]
pub struct Sessions {
    segments: Vec<Vec<Session>>,
    len: usize,
}

impl Sessions {
    /// Largest segment [`Sessions::push`] builds.
    pub const SEGMENT: usize = 1 << 20;

    /// Number of sessions.
    pub fn len(&self) -> usize {
        self.len
    }
    /// True when there is no session.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Appends one session.
    pub fn push(&mut self, s: Session) {
        match self.segments.last_mut() {
            Some(seg) if seg.len() < Self::SEGMENT => seg.push(s),
            _ => {
                let mut seg = Vec::with_capacity(1024);
                seg.push(s);
                self.segments.push(seg);
            }
        }
        self.len += 1;
    }
    /// Appends a whole segment as it is (no copy).
    pub fn push_segment(&mut self, seg: Vec<Session>) {
        if seg.is_empty() {
            return;
        }
        self.len += seg.len();
        self.segments.push(seg);
    }
    /// Keeps the first `len` sessions (all when there are fewer): undoes
    /// appends, segment by segment, without copying what stays.
    pub fn truncate(&mut self, len: usize) {
        while self.len > len {
            let Some(last) = self.segments.last_mut() else {
                break;
            };
            let drop = (self.len - len).min(last.len());
            last.truncate(last.len() - drop);
            self.len -= drop;
            if last.is_empty() {
                self.segments.pop();
            }
        }
    }
    /// Appends every session of `other` after these, its segments moved
    /// as they are (no copy).
    pub fn append(&mut self, mut other: Sessions) {
        for seg in &mut other.segments {
            self.push_segment(std::mem::take(seg));
        }
    }
    /// The segments, for parallel work.
    pub fn segments(&self) -> &[Vec<Session>] {
        &self.segments
    }
    /// The segments, taken out (a streamed import hands them on).
    pub fn into_segments(self) -> Vec<Vec<Session>> {
        self.segments
    }
    /// Mutable segments (importers remap ids in place).
    pub fn segments_mut(&mut self) -> &mut [Vec<Session>] {
        &mut self.segments
    }
    /// All sessions in import order.
    pub fn iter(&self) -> impl Iterator<Item = &Session> + '_ {
        self.segments.iter().flatten()
    }
}

impl FromIterator<Session> for Sessions {
    fn from_iter<I: IntoIterator<Item = Session>>(iter: I) -> Self {
        let mut s = Sessions::default();
        for x in iter {
            s.push(x);
        }
        s
    }
}

/// Exact-string interner: `&str` ↔ dense `u32`.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    map: HashMap<Box<str>, u32>,
    names: Vec<Box<str>>,
}

impl Interner {
    /// The id of `name`, adding it when new.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&id) = self.map.get(name) {
            return id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.into());
        self.map.insert(name.into(), id);
        id
    }
    /// The id of `name` when known.
    pub fn get(&self, name: &str) -> Option<u32> {
        self.map.get(name).copied()
    }
    /// The name of `id`.
    ///
    /// # Panics
    /// When `id` was not handed out by this interner (a programming error).
    pub fn name(&self, id: u32) -> &str {
        &self.names[id as usize]
    }
    /// Number of names.
    pub fn len(&self) -> usize {
        self.names.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
    /// All names in id order.
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.names.iter().map(|b| &**b)
    }
    /// Renames every entry to `f(name)`, ids unchanged (pseudonyms,
    /// `crate::privacy`). Two entries may end with one name; looking that
    /// name up then finds the first.
    pub fn rename(&mut self, mut f: impl FnMut(&str) -> String) {
        self.map.clear();
        for (id, name) in self.names.iter_mut().enumerate() {
            *name = f(name).into();
            self.map.entry(name.clone()).or_insert(id as u32);
        }
    }
}

/// Users, identified case-insensitively after trimming (`UPM` = `upm`);
/// each keeps the first spelling seen for display.
#[derive(Clone, Debug, Default)]
pub struct UserTable {
    by_key: HashMap<Box<str>, UserId>,
    display: Vec<Box<str>>,
    key: Vec<Box<str>>,
}

impl UserTable {
    /// The canonical key of a user name: trimmed and lower-cased.
    pub fn key_of(name: &str) -> std::borrow::Cow<'_, str> {
        let t = name.trim();
        if t.chars().any(char::is_uppercase) {
            std::borrow::Cow::Owned(t.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(t)
        }
    }
    /// The id of user `name`, adding it (with this spelling) when new.
    pub fn intern(&mut self, name: &str) -> UserId {
        let key = Self::key_of(name);
        if let Some(&id) = self.by_key.get(&*key) {
            return id;
        }
        let id = self.display.len() as UserId;
        self.display.push(name.trim().into());
        self.key.push((*key).into());
        self.by_key.insert((*key).into(), id);
        id
    }
    /// The id of user `name` when known.
    pub fn get(&self, name: &str) -> Option<UserId> {
        self.by_key.get(&*Self::key_of(name)).copied()
    }
    /// First spelling seen of `id`.
    pub fn name(&self, id: UserId) -> &str {
        &self.display[id as usize]
    }
    /// Canonical key (lower case) of `id`.
    pub fn key(&self, id: UserId) -> &str {
        &self.key[id as usize]
    }
    /// Renames every user to `f(key)` (given the canonical key), ids
    /// unchanged (pseudonyms, `crate::privacy`). Two users may end with
    /// one name; looking that name up then finds the first.
    pub fn rename(&mut self, mut f: impl FnMut(&str) -> String) {
        self.by_key.clear();
        for id in 0..self.display.len() {
            let new = f(&self.key[id]);
            let key: Box<str> = Self::key_of(&new).into();
            self.by_key.entry(key.clone()).or_insert(id as UserId);
            self.display[id] = new.trim().into();
            self.key[id] = key;
        }
    }
    /// Number of users.
    pub fn len(&self) -> usize {
        self.display.len()
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.display.is_empty()
    }
}

/// A daily charge as a vendor reported it (Token Flex usage export): it
/// bypasses metering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VendorCharge {
    /// Charge date as the vendor reports it.
    pub date: NaiveDate,
    /// Who.
    pub user: UserId,
    /// Product line code as reported (`ACD`), id in [`Usage::features`].
    pub product: FeatureId,
    /// Tokens charged.
    pub tokens: Decimal,
    /// Hours of use when reported.
    pub hours: Option<Decimal>,
    /// Machine when reported (id in [`Usage::hosts`]).
    pub host: Option<HostId>,
}

/// A day one user used one product, known from a usage report without
/// sessions (SPEC §1.5): no times, only the local date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UseDay {
    /// The date used, as the report gives it.
    pub date: NaiveDate,
    /// Who.
    pub user: UserId,
    /// Product as the report names it, id in [`Usage::features`] (the
    /// scenario's catalog maps it like a feature).
    pub product: FeatureId,
    /// True when the report gave only a count of days in a month and this
    /// date is one of the month's first working days it was placed on.
    pub dated_by_month: bool,
}

/// A refused checkout (`DENIED:` in a debug log).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denial {
    /// Seconds since the epoch, UTC.
    pub at: i64,
    /// Feature as written.
    pub feature: FeatureId,
    /// Who.
    pub user: UserId,
    /// Where.
    pub host: HostId,
    /// Licenses asked for (1 when absent).
    pub count: u32,
    /// The server's reason text.
    pub reason: String,
}

/// One row of the user directory.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryEntry {
    /// Department (budgets group by it).
    pub department: String,
    /// Cost center.
    pub cost_center: String,
    /// Office or location.
    pub location: String,
    /// The user's IANA time zone name, when given.
    pub time_zone: String,
}

/// Everything imported: the input of metering and planning.
#[derive(Clone, Debug, Default)]
pub struct Usage {
    /// Users (case-insensitive).
    pub users: UserTable,
    /// Features and product codes, exact spelling.
    pub features: Interner,
    /// Hosts.
    pub hosts: Interner,
    /// Checkouts.
    pub sessions: Sessions,
    /// Vendor-reported daily charges (Token Flex exports).
    pub vendor_charges: Vec<VendorCharge>,
    /// Refused checkouts.
    pub denials: Vec<Denial>,
    /// User directory.
    pub directory: BTreeMap<UserId, DirectoryEntry>,
    /// Current named-user subscriptions: (user, subscription code), one per seat.
    pub assignments: Vec<(UserId, String)>,
    /// Use-days from usage reports, in import order (duplicates kept: they
    /// are one charge, as sessions on one date are).
    pub use_days: Vec<UseDay>,
    /// The dates usage reports cover, first and last: the rows' dates, and
    /// the whole month of a month row (so a forecast's window ends on the
    /// month's last day, not on the last placed date).
    pub use_day_cover: Option<(NaiveDate, NaiveDate)>,
    /// Identities from alias tables (SPEC §1.4): alias key (trimmed, lower
    /// case) → the user it names, with where it was given.
    pub aliases: BTreeMap<String, Alias>,
}

/// One row of an alias table: the user an alias stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Alias {
    /// The user name the alias is replaced by, as the table spells it.
    pub user: String,
    /// The file and line that gave it (`aliases.csv:4`).
    pub source: String,
    /// Input names (spellings of other users) joined through it so far.
    pub names_joined: u64,
    /// Records (sessions, use-days, charges, denials, seats, directory
    /// rows) whose user it changed so far.
    pub records: u64,
}

impl Usage {
    /// A copy of everything but the sessions (none): names, directory,
    /// charges, use-days, seats and aliases. More files imported into it
    /// get the ids they would get in this usage, so that their sessions
    /// can be appended to its own ([`Sessions::append`]) without copying
    /// them.
    pub fn clone_without_sessions(&self) -> Usage {
        // Every field named: a new one must say whether it is copied.
        let Usage {
            users,
            features,
            hosts,
            sessions: _,
            vendor_charges,
            denials,
            directory,
            assignments,
            use_days,
            use_day_cover,
            aliases,
        } = self;
        Usage {
            users: users.clone(),
            features: features.clone(),
            hosts: hosts.clone(),
            sessions: Sessions::default(),
            vendor_charges: vendor_charges.clone(),
            denials: denials.clone(),
            directory: directory.clone(),
            assignments: assignments.clone(),
            use_days: use_days.clone(),
            use_day_cover: *use_day_cover,
            aliases: aliases.clone(),
        }
    }

    /// Widens [`Usage::use_day_cover`] to include `first..=last`.
    pub fn cover_use_days(&mut self, first: NaiveDate, last: NaiveDate) {
        self.use_day_cover = Some(match self.use_day_cover {
            None => (first, last),
            Some((a, b)) => (a.min(first), b.max(last)),
        });
    }
}
