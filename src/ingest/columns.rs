//! Column mapping (SPEC §1.5): a table whose header names no known kind's
//! columns is read when the user says which column is which —
//! `--columns user=Email,product=Product,date="Day used"` on the command
//! line, a [`ColumnMap`] in the engine (the GUI's mapping form fills one and
//! remembers it per [`header_signature`]).
//!
//! A map applies to a table whose header has every column it names; other
//! tables are read as they are. It works on the header line only: each
//! mapped column is renamed to its [`Role`]'s own name (`Benutzer` →
//! `user`), and any other column that an importer would take for a mapped
//! role is renamed out of the way (`(not used) Email`), so the map decides.
//! The kind is then told from the renamed header as usual. Rows, line
//! numbers and every importer stay as they are.
//!
//! [`preview_path`] and [`preview_bytes`] give a form what it shows: the
//! sheets of a workbook, the header, the first rows, the kind detected (or
//! why none), whether a map can make it readable and the header's
//! signature. [`MapTarget`] says what a form asks for: the kind the table
//! is read as (`--kind`) and the roles that kind needs.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use super::table::{self, Column};
use super::{
    ImportError, ImportOptions, SourceKind, aliases, assignments, detect, directory, sessions_csv,
    tokenflex, usage_report, xlsx,
};

/// What a column means, whatever its name.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum Role {
    /// Who.
    User,
    /// Which product (or feature).
    Product,
    /// Checkout instant (sessions).
    Start,
    /// Checkin instant (sessions).
    End,
    /// Workstation.
    Host,
    /// Tokens or licenses.
    Tokens,
    /// The date used (usage reports, Token Flex exports).
    Date,
    /// Days used in a month (month-level usage reports).
    DaysUsed,
    /// The month of a days-used count.
    Month,
    /// Department (directory).
    Department,
    /// Cost center (directory).
    CostCenter,
    /// Office or location (directory).
    Location,
    /// IANA time zone (directory).
    TimeZone,
    /// Subscription code (assignments).
    Subscription,
    /// Another name of a user (alias tables).
    Alias,
}

impl Role {
    /// Every role, in the order a form lists them.
    pub const ALL: [Role; 15] = [
        Role::User,
        Role::Product,
        Role::Start,
        Role::End,
        Role::Date,
        Role::DaysUsed,
        Role::Month,
        Role::Tokens,
        Role::Host,
        Role::Department,
        Role::CostCenter,
        Role::Location,
        Role::TimeZone,
        Role::Subscription,
        Role::Alias,
    ];

    /// The name on the command line and the column's name after mapping.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Product => "product",
            Role::Start => "start",
            Role::End => "end",
            Role::Host => "host",
            Role::Tokens => "tokens",
            Role::Date => "date",
            Role::DaysUsed => "days_used",
            Role::Month => "month",
            Role::Department => "department",
            Role::CostCenter => "cost_center",
            Role::Location => "location",
            Role::TimeZone => "time_zone",
            Role::Subscription => "subscription",
            Role::Alias => "alias",
        }
    }

    /// What a form shows beside the column picker.
    pub fn label(self) -> &'static str {
        match self {
            Role::User => "User",
            Role::Product => "Product",
            Role::Start => "Checkout time",
            Role::End => "Checkin time",
            Role::Host => "Workstation",
            Role::Tokens => "Tokens",
            Role::Date => "Date used",
            Role::DaysUsed => "Days used in the month",
            Role::Month => "Month",
            Role::Department => "Department",
            Role::CostCenter => "Cost center",
            Role::Location => "Office",
            Role::TimeZone => "Time zone",
            Role::Subscription => "Subscription",
            Role::Alias => "Other name (alias)",
        }
    }

    /// Every column an importer takes for this role, so that an unmapped
    /// one can be moved out of the way.
    fn columns(self) -> &'static [&'static Column] {
        match self {
            Role::User => &[
                &sessions_csv::USER,
                &tokenflex::USER,
                &directory::USER,
                &assignments::USER,
                &usage_report::USER,
                &aliases::USER,
            ],
            Role::Product => &[
                &sessions_csv::PRODUCT,
                &tokenflex::PRODUCT_CODE,
                &tokenflex::PRODUCT_NAME,
                &usage_report::PRODUCT,
            ],
            Role::Start => &[&sessions_csv::START],
            Role::End => &[&sessions_csv::END],
            Role::Host => &[&sessions_csv::HOST, &tokenflex::MACHINE],
            Role::Tokens => &[
                &sessions_csv::TOKENS,
                &tokenflex::TOKENS,
                &usage_report::TOKENS,
            ],
            Role::Date => &[&tokenflex::DATE, &usage_report::DATE],
            Role::DaysUsed => &[&usage_report::DAYS],
            Role::Month => &[&usage_report::MONTH],
            Role::Department => &[&directory::DEPARTMENT],
            Role::CostCenter => &[&directory::COST_CENTER],
            Role::Location => &[&directory::LOCATION],
            Role::TimeZone => &[&directory::TIME_ZONE],
            Role::Subscription => &[&assignments::SUBSCRIPTION],
            Role::Alias => &[&aliases::ALIAS],
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ColumnMapError;

    /// [`Role::as_str`] names, any case, `-` or space for `_`; `days` for
    /// `days_used`, `tz` for `time_zone`, `cost_centre` too.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let k = table::norm(s);
        let found = Role::ALL
            .into_iter()
            .find(|r| table::norm(r.as_str()) == k)
            .or(match k.as_str() {
                "days" => Some(Role::DaysUsed),
                "tz" => Some(Role::TimeZone),
                "costcentre" => Some(Role::CostCenter),
                "feature" => Some(Role::Product),
                _ => None,
            });
        found.ok_or_else(|| ColumnMapError::UnknownRole(s.trim().to_string()))
    }
}

/// What a mapped table holds: the kind it is read as (`--kind`) and the
/// roles that kind needs. A usage report is two targets, by its rows' shape.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum MapTarget {
    /// A usage report, one row per user, product and date used.
    DayReport,
    /// A usage report, one row per user, product and month with a count of
    /// days used.
    MonthReport,
    /// Sessions: checkout and checkin times.
    Sessions,
    /// A Token Flex export: tokens charged per user, product and date.
    TokenFlex,
    /// A user directory.
    Directory,
    /// Who holds which subscription today.
    Assignments,
    /// Other names of users.
    Aliases,
}

impl MapTarget {
    /// Every target, in the order a form lists them (the most common
    /// unknown table, a vendor's usage report, first).
    pub const ALL: [MapTarget; 7] = [
        MapTarget::DayReport,
        MapTarget::MonthReport,
        MapTarget::Sessions,
        MapTarget::TokenFlex,
        MapTarget::Directory,
        MapTarget::Assignments,
        MapTarget::Aliases,
    ];

    /// The kind the table is read as.
    pub fn kind(self) -> SourceKind {
        match self {
            MapTarget::DayReport | MapTarget::MonthReport => SourceKind::UsageReport,
            MapTarget::Sessions => SourceKind::Sessions,
            MapTarget::TokenFlex => SourceKind::TokenFlex,
            MapTarget::Directory => SourceKind::Directory,
            MapTarget::Assignments => SourceKind::Assignments,
            MapTarget::Aliases => SourceKind::Aliases,
        }
    }

    /// What a form calls it.
    pub fn label(self) -> &'static str {
        match self {
            MapTarget::DayReport => "Usage report, one row per day used",
            MapTarget::MonthReport => "Usage report, days used per month",
            MapTarget::Sessions => "Sessions (checkout and checkin times)",
            MapTarget::TokenFlex => "Token Flex export (tokens charged)",
            MapTarget::Directory => "User directory",
            MapTarget::Assignments => "Current assignments",
            MapTarget::Aliases => "Alias table (other names of users)",
        }
    }

    /// The roles the kind cannot be read without.
    pub fn required(self) -> &'static [Role] {
        match self {
            MapTarget::DayReport => &[Role::User, Role::Product, Role::Date],
            MapTarget::MonthReport => &[Role::User, Role::Product, Role::DaysUsed, Role::Month],
            MapTarget::Sessions => &[Role::User, Role::Product, Role::Start, Role::End],
            MapTarget::TokenFlex => &[Role::Date, Role::User, Role::Product, Role::Tokens],
            MapTarget::Directory => &[Role::User],
            MapTarget::Assignments => &[Role::User, Role::Subscription],
            MapTarget::Aliases => &[Role::Alias, Role::User],
        }
    }

    /// The roles the kind reads when they are there.
    pub fn optional(self) -> &'static [Role] {
        match self {
            MapTarget::DayReport | MapTarget::MonthReport => &[Role::Tokens],
            MapTarget::Sessions => &[Role::Host, Role::Tokens],
            MapTarget::TokenFlex => &[Role::Host],
            MapTarget::Directory => &[
                Role::Department,
                Role::CostCenter,
                Role::Location,
                Role::TimeZone,
            ],
            MapTarget::Assignments | MapTarget::Aliases => &[],
        }
    }

    /// The required roles, then the optional ones.
    pub fn roles(self) -> impl Iterator<Item = Role> {
        self.required().iter().chain(self.optional()).copied()
    }

    /// `map` with only this target's roles (picks made for another target
    /// are left out).
    pub fn keep_own(self, map: &ColumnMap) -> ColumnMap {
        let mut own = ColumnMap::new();
        for role in self.roles() {
            if let Some(column) = map.get(role) {
                own.set(role, column);
            }
        }
        own
    }

    /// What `map` lacks for this target, in words (`None`: it can be
    /// applied): the required roles without a column, a directory without
    /// any of its columns, one column given for two roles.
    pub fn lacks(self, map: &ColumnMap) -> Option<String> {
        let missing: Vec<&str> = self
            .required()
            .iter()
            .filter(|r| map.get(**r).is_none())
            .map(|r| r.label())
            .collect();
        if !missing.is_empty() {
            return Some(format!("Pick the column of {}.", missing.join(", ")));
        }
        if self == MapTarget::Directory && self.optional().iter().all(|r| map.get(*r).is_none()) {
            return Some(
                "Pick the column of at least one of Department, Cost center, Office, Time zone."
                    .into(),
            );
        }
        let own: Vec<(Role, &str)> = self
            .roles()
            .filter_map(|r| map.get(r).map(|c| (r, c)))
            .collect();
        for (i, (first, column)) in own.iter().enumerate() {
            if let Some((second, _)) = own.get(i + 1..).and_then(|rest| {
                rest.iter()
                    .find(|(_, c)| table::norm(c) == table::norm(column))
            }) {
                return Some(format!(
                    "The column {column} is picked for both {} and {}.",
                    first.label(),
                    second.label()
                ));
            }
        }
        None
    }

    /// The options that read a table as this target with `map`: the map
    /// (its own roles) and the kind forced, as `--kind` and `--columns`
    /// on the command line.
    pub fn options(self, map: &ColumnMap, base: &ImportOptions) -> ImportOptions {
        ImportOptions {
            kind: Some(self.kind()),
            columns: Some(self.keep_own(map)),
            ..base.clone()
        }
    }
}

/// A bad `--columns` value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ColumnMapError {
    /// A role that is none of [`Role::ALL`].
    #[error(
        "unknown column role `{0}`; roles: user, product, start, end, host, tokens, date, days_used, month, department, cost_center, location, time_zone, subscription, alias"
    )]
    UnknownRole(String),
    /// An item without `=`.
    #[error("`{0}` is not ROLE=COLUMN (e.g. user=Email)")]
    NotAPair(String),
    /// A role given twice.
    #[error("role `{0}` is given twice")]
    Twice(Role),
    /// One column for two roles.
    #[error("column `{column}` is given for both {first} and {second}")]
    SameColumn {
        /// The column.
        column: String,
        /// The first role.
        first: Role,
        /// The second role.
        second: Role,
    },
    /// Nothing mapped.
    #[error(
        "no column is mapped; expected ROLE=COLUMN,... (e.g. user=Email,product=Product,date=\"Day used\")"
    )]
    Empty,
}

/// Which column is which: role → the header's name for it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ColumnMap {
    columns: BTreeMap<Role, String>,
}

impl ColumnMap {
    /// An empty map.
    pub fn new() -> Self {
        ColumnMap::default()
    }

    /// Says that column `column` (as the header names it) is `role`.
    pub fn set(&mut self, role: Role, column: impl Into<String>) {
        self.columns.insert(role, column.into());
    }

    /// Forgets `role`'s column.
    pub fn clear(&mut self, role: Role) {
        self.columns.remove(&role);
    }

    /// The column given for `role`.
    pub fn get(&self, role: Role) -> Option<&str> {
        self.columns.get(&role).map(String::as_str)
    }

    /// The (role, column) pairs, in role order.
    pub fn iter(&self) -> impl Iterator<Item = (Role, &str)> + '_ {
        self.columns.iter().map(|(r, c)| (*r, c.as_str()))
    }

    /// True when nothing is mapped.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// Parses `user=Email,product=Product,date="Day used"`: items split at
    /// commas outside double quotes, a column name optionally quoted.
    ///
    /// # Errors
    /// An unknown role, an item without `=`, a role given twice, one column
    /// for two roles, or nothing at all.
    pub fn parse(s: &str) -> Result<ColumnMap, ColumnMapError> {
        let mut items = Vec::new();
        let mut cur = String::new();
        let mut quoted = false;
        for ch in s.chars() {
            match ch {
                '"' => {
                    quoted = !quoted;
                    cur.push(ch);
                }
                ',' if !quoted => items.push(std::mem::take(&mut cur)),
                _ => cur.push(ch),
            }
        }
        items.push(cur);
        let mut map = ColumnMap::new();
        for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
            let Some((role, column)) = item.split_once('=') else {
                return Err(ColumnMapError::NotAPair(item.to_string()));
            };
            let role: Role = role.parse()?;
            let column = column.trim();
            let column = column
                .strip_prefix('"')
                .and_then(|c| c.strip_suffix('"'))
                .unwrap_or(column)
                .replace("\"\"", "\"");
            if map.get(role).is_some() {
                return Err(ColumnMapError::Twice(role));
            }
            if let Some((first, _)) = map
                .iter()
                .find(|(_, c)| table::norm(c) == table::norm(&column))
            {
                return Err(ColumnMapError::SameColumn {
                    column,
                    first,
                    second: role,
                });
            }
            map.set(role, column);
        }
        if map.is_empty() {
            return Err(ColumnMapError::Empty);
        }
        Ok(map)
    }

    /// The position in `header` of each mapped role's column: exact
    /// (trimmed, any case) first, else by normalised name.
    ///
    /// # Errors
    /// The mapped columns `header` lacks.
    pub fn positions(&self, header: &[String]) -> Result<BTreeMap<Role, usize>, Vec<String>> {
        let normal = table::normalised(header);
        let mut found = BTreeMap::new();
        let mut missing = Vec::new();
        for (role, column) in self.iter() {
            let exact = header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(column.trim()));
            let loose = || normal.iter().position(|h| *h == table::norm(column));
            match exact.or_else(loose) {
                Some(i) => {
                    found.insert(role, i);
                }
                None => missing.push(format!("{role}={column}")),
            }
        }
        if missing.is_empty() {
            Ok(found)
        } else {
            Err(missing)
        }
    }

    /// `header` renamed by the map (see the module doc), or the mapped
    /// columns it lacks.
    ///
    /// # Errors
    /// The `role=column` items whose column `header` lacks.
    pub fn rename(&self, header: &[String]) -> Result<Vec<String>, Vec<String>> {
        let at = self.positions(header)?;
        let mut out: Vec<String> = header.to_vec();
        let normal = table::normalised(header);
        for (i, name) in out.iter_mut().enumerate() {
            if let Some((role, _)) = at.iter().find(|&(_, &p)| p == i) {
                *name = role.as_str().to_string();
            } else if at.keys().any(|r| {
                r.columns().iter().any(|c| {
                    normal
                        .get(i)
                        .is_some_and(|n| c.aliases.contains(&n.as_str()))
                })
            }) {
                *name = format!("(not used) {name}");
            }
        }
        Ok(out)
    }

    /// The map as `--columns` takes it.
    pub fn to_arg(&self) -> String {
        self.iter()
            .map(|(r, c)| {
                if c.contains([',', '"', ' ']) {
                    format!("{r}=\"{}\"", c.replace('"', "\"\""))
                } else {
                    format!("{r}={c}")
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl FromStr for ColumnMap {
    type Err = ColumnMapError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ColumnMap::parse(s)
    }
}

/// A header's signature, for remembering a mapping: its names normalised
/// and joined with `|` (`email|product|dayused`), so a new export with the
/// same columns finds the same mapping whatever its case or spacing.
pub fn header_signature(header: &[String]) -> String {
    table::normalised(header).join("|")
}

/// `head` with its header line renamed by `map`, when its header has every
/// column `map` names.
///
/// # Errors
/// Why `map` does not fit: the mapped columns the header lacks (the table
/// is then read as it is, and this is said when it is of no known kind).
pub(crate) fn apply_to_head(map: &ColumnMap, head: &[u8]) -> Result<Vec<u8>, String> {
    let body = table::strip_bom(head);
    let bom = head.len() - body.len();
    let Some(line) = table::first_line(body) else {
        return Err("the file has no header line".into());
    };
    // Where the header line sits in `head`.
    let start = bom + (line.as_ptr() as usize - body.as_ptr() as usize);
    let end = start + line.len();
    let delim = table::sniff_delimiter(line);
    let header = table::header_names(line, delim);
    let renamed = map.rename(&header).map_err(|missing| {
        format!(
            "--columns does not fit this header, which lacks {}",
            missing.join(", ")
        )
    })?;
    let mut out = Vec::with_capacity(head.len() + 64);
    out.extend_from_slice(head.get(..start).unwrap_or_default());
    for (i, name) in renamed.iter().enumerate() {
        if i > 0 {
            out.push(delim);
        }
        if name.bytes().any(|b| b == delim || b == b'"') {
            out.push(b'"');
            out.extend_from_slice(name.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend_from_slice(name.as_bytes());
        }
    }
    out.extend_from_slice(head.get(end..).unwrap_or_default());
    Ok(out)
}

/// What a mapping form shows of a table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TablePreview {
    /// The file name as given (with `:Sheet` for a workbook).
    pub file: String,
    /// The worksheets of a workbook (empty for a text file).
    pub sheets: Vec<String>,
    /// The sheet shown, for a workbook.
    pub sheet: Option<String>,
    /// The header's names, as in the file.
    pub header: Vec<String>,
    /// [`header_signature`] of the header.
    pub signature: String,
    /// The first data rows, as text (short rows are not padded).
    pub rows: Vec<Vec<String>>,
    /// The kind the header reads as (after `opts.columns`, when it fits),
    /// or why it is none.
    pub kind: Result<SourceKind, String>,
    /// True when the table's header is of no known kind and a
    /// [`ColumnMap`] can make it readable (text with a header of at least
    /// two columns; not an empty, binary or UTF-16 file, nor a log).
    pub mappable: bool,
}

/// Bytes of a text file a preview reads: plenty for its header and first
/// rows, and a large file is not read whole.
const PREVIEW_BYTES: u64 = 256 * 1024;

/// The first `rows` data rows of the table at `path` (the sheet of
/// `opts.sheet` for a workbook) with its header and detected kind.
///
/// # Errors
/// The file can't be read, or the workbook or sheet can't.
pub fn preview_path(
    path: &Path,
    opts: &ImportOptions,
    rows: usize,
) -> Result<TablePreview, ImportError> {
    use std::io::Read as _;
    let name = path.display().to_string();
    let io = |source| ImportError::Io {
        file: name.clone(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    (&mut file)
        .take(PREVIEW_BYTES)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if xlsx::is_workbook(&name, &bytes) {
        // A workbook is a zip archive: it is read whole.
        file.read_to_end(&mut bytes).map_err(io)?;
    } else if bytes.len() as u64 == PREVIEW_BYTES
        && let Some(end) = bytes.iter().rposition(|&b| b == b'\n')
    {
        // The file goes on: the last line read may be cut short.
        bytes.truncate(end + 1);
    }
    preview_bytes(&name, &bytes, opts, rows)
}

/// [`preview_path`] on bytes in memory.
///
/// # Errors
/// The workbook or sheet can't be read.
pub fn preview_bytes(
    name: &str,
    bytes: &[u8],
    opts: &ImportOptions,
    rows: usize,
) -> Result<TablePreview, ImportError> {
    let unreadable = |reason: String| ImportError::Unrecognised {
        file: name.to_string(),
        reason,
    };
    let (file, sheets, sheet, text) = if xlsx::is_workbook(name, bytes) {
        let sheets = xlsx::sheet_names(std::io::Cursor::new(bytes)).map_err(unreadable)?;
        let s = xlsx::read_sheet(std::io::Cursor::new(bytes), opts.sheet.as_deref())
            .map_err(unreadable)?;
        (format!("{name}:{}", s.sheet), sheets, Some(s.sheet), s.text)
    } else {
        (name.to_string(), Vec::new(), None, bytes.to_vec())
    };
    let body = table::strip_bom(&text);
    let delim = table::first_line(body).map_or(b',', table::sniff_delimiter);
    let mut header: Vec<String> = Vec::new();
    let mut shown: Vec<Vec<String>> = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(delim)
        .has_headers(false)
        .flexible(true)
        .from_reader(body);
    for rec in rdr.byte_records() {
        let Ok(rec) = rec else { break };
        let fields: Vec<String> = rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).trim().to_string())
            .collect();
        if fields.iter().all(String::is_empty) {
            continue;
        }
        if header.is_empty() {
            header = fields;
        } else if shown.len() < rows {
            shown.push(fields);
        } else {
            break;
        }
    }
    let head = text.get(..text.len().min(64 * 1024)).unwrap_or(&text);
    let mappable = detect::is_unknown_table(head);
    let kind = match opts.columns.as_ref().map(|m| apply_to_head(m, head)) {
        Some(Ok(renamed)) => detect::classify(&file, &renamed),
        Some(Err(why)) => detect::classify(&file, head).map_err(|e| format!("{e} ({why})")),
        None => detect::classify(&file, head),
    };
    Ok(TablePreview {
        file,
        sheets,
        sheet,
        signature: header_signature(&header),
        header,
        rows: shown,
        kind: opts.kind.map_or(kind, Ok),
        mappable,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(h: &[&str]) -> Vec<String> {
        h.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parse_and_print() {
        let m = ColumnMap::parse(r#"user=Email, product=Product,date="Day used",tz=Zone"#).unwrap();
        assert_eq!(m.get(Role::User), Some("Email"));
        assert_eq!(m.get(Role::Date), Some("Day used"));
        assert_eq!(m.get(Role::TimeZone), Some("Zone"));
        assert_eq!(
            m.to_arg(),
            r#"user=Email,product=Product,date="Day used",time_zone=Zone"#
        );
        assert_eq!(ColumnMap::parse(&m.to_arg()).unwrap(), m);
        assert_eq!(
            ColumnMap::parse(r#"date="Tag, genutzt""#)
                .unwrap()
                .get(Role::Date),
            Some("Tag, genutzt")
        );
        assert_eq!(
            ColumnMap::parse("colour=Red"),
            Err(ColumnMapError::UnknownRole("colour".into()))
        );
        assert_eq!(
            ColumnMap::parse("user"),
            Err(ColumnMapError::NotAPair("user".into()))
        );
        assert_eq!(
            ColumnMap::parse("user=A,user=B"),
            Err(ColumnMapError::Twice(Role::User))
        );
        assert!(matches!(
            ColumnMap::parse("user=A,product=a"),
            Err(ColumnMapError::SameColumn { .. })
        ));
        assert_eq!(ColumnMap::parse(" , "), Err(ColumnMapError::Empty));
    }

    #[test]
    fn mapped_columns_win_over_look_alikes() {
        let m = ColumnMap::parse("user=Benutzer,product=Produkt,date=Tag").unwrap();
        let h = names(&["Email", "Benutzer", "Produkt", "Tag", "Kommentar"]);
        assert_eq!(
            m.rename(&h).unwrap(),
            names(&["(not used) Email", "user", "product", "date", "Kommentar"])
        );
        assert_eq!(
            m.rename(&names(&["Benutzer", "Produkt"])),
            Err(vec!["date=Tag".to_string()])
        );
        assert_eq!(header_signature(&h), "email|benutzer|produkt|tag|kommentar");
    }

    #[test]
    fn a_target_says_what_it_still_lacks() {
        let mut m = ColumnMap::new();
        m.set(Role::User, "Benutzer");
        assert_eq!(
            MapTarget::DayReport.lacks(&m).as_deref(),
            Some("Pick the column of Product, Date used.")
        );
        m.set(Role::Product, "Produkt");
        m.set(Role::Date, "Tag");
        // A pick made for another target does not count, nor stay.
        m.set(Role::Start, "Tag");
        assert_eq!(MapTarget::DayReport.lacks(&m), None);
        let own = MapTarget::DayReport.keep_own(&m);
        assert_eq!(own.to_arg(), "user=Benutzer,product=Produkt,date=Tag");
        let opts = MapTarget::DayReport.options(&m, &ImportOptions::default());
        assert_eq!(opts.kind, Some(SourceKind::UsageReport));
        assert_eq!(opts.columns, Some(own));
        // One column for two of the target's roles.
        m.set(Role::Tokens, "tag");
        assert_eq!(
            MapTarget::DayReport.lacks(&m).as_deref(),
            Some("The column Tag is picked for both Date used and Tokens.")
        );
        let mut d = ColumnMap::new();
        d.set(Role::User, "Name");
        assert!(
            MapTarget::Directory
                .lacks(&d)
                .is_some_and(|w| w.starts_with("Pick the column of at least one of"))
        );
        d.set(Role::Location, "Standort");
        assert_eq!(MapTarget::Directory.lacks(&d), None);
        // Every target's roles are told apart by the importer it forces.
        for t in MapTarget::ALL {
            assert!(!t.required().is_empty(), "{t:?}");
            assert!(t.roles().all(|r| !r.columns().is_empty()), "{t:?}");
        }
    }

    #[test]
    fn every_target_reads_a_table_of_its_roles_under_other_names() {
        use crate::progress::NoProgress;
        use crate::usage::Usage;
        let value = |r: Role| match r {
            Role::User => "jdoe",
            Role::Product => "ACD",
            Role::Start => "2025-01-06 09:00",
            Role::End => "2025-01-06 10:00",
            Role::Host => "ws1",
            Role::Tokens => "6",
            Role::Date => "2025-01-06",
            Role::DaysUsed => "3",
            Role::Month => "2025-01",
            Role::Department => "Civil",
            Role::CostCenter => "C1",
            Role::Location => "Berlin",
            Role::TimeZone => "Europe/Berlin",
            Role::Subscription => "ACD",
            Role::Alias => "CORP\\jdoe",
        };
        for t in MapTarget::ALL {
            let roles: Vec<Role> = t.roles().collect();
            let mut map = ColumnMap::new();
            let mut header = Vec::new();
            let mut row = Vec::new();
            for (i, r) in roles.iter().enumerate() {
                let name = format!("Spalte {i}");
                map.set(*r, name.clone());
                header.push(name);
                row.push(value(*r));
            }
            let text = format!("{}\n{}\n", header.join(";"), row.join(";"));
            let opts = t.options(&map, &ImportOptions::default());
            let mut usage = Usage::default();
            let report = super::super::import_bytes(
                "t.csv",
                text.as_bytes(),
                &opts,
                &mut usage,
                &NoProgress,
            )
            .unwrap();
            assert_eq!(report.kind, Some(t.kind()), "{t:?}");
            assert!(!report.has_errors(), "{t:?}: {:?}", report.problems);
            assert_eq!(report.lines_used, 2, "{t:?}: header and row used");
            // A mapped workstation is read as one.
            let hosts: Vec<&str> = usage.hosts.names().collect();
            let want: &[&str] = if roles.contains(&Role::Host) {
                &["ws1"]
            } else {
                &[]
            };
            assert_eq!(hosts, want, "{t:?}");
        }
    }

    #[test]
    fn a_preview_says_whether_a_map_can_help() {
        let opts = ImportOptions::default();
        let p = |text: &str| preview_bytes("t.csv", text.as_bytes(), &opts, 1).unwrap();
        assert!(p("Benutzer;Produkt;Tag\njdoe;AutoCAD;06.01.2025\n").mappable);
        assert!(!p("user,product,start,end\n").mappable, "a known kind");
        assert!(!p("just one column\nx\n").mappable, "one column");
        assert!(!p("").mappable);
        assert!(!p("a,\u{0}b,c\n").mappable, "binary");
    }

    #[test]
    fn the_header_line_is_rewritten_in_place() {
        let m = ColumnMap::parse("user=Benutzer,product=Produkt,date=Nutzungstag").unwrap();
        let head = "\u{feff}\r\nBenutzer;Produkt;Nutzungstag\r\njdoe;AutoCAD;15.01.2025\r\n";
        let out = apply_to_head(&m, head.as_bytes()).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\u{feff}\r\nuser;product;date\r\njdoe;AutoCAD;15.01.2025\r\n"
        );
        // A table without all the mapped names is not renamed; why is said.
        let e = apply_to_head(&m, b"Benutzer,Produkt\n").unwrap_err();
        assert_eq!(
            e,
            "--columns does not fit this header, which lacks date=Nutzungstag"
        );
    }
}
