//! Pseudonymised exports (SPEC §1.6): every user and host name becomes a
//! stable pseudonym before anything is computed, so no export can carry an
//! original name; [`reveal`] maps a returned file back.
//!
//! The pieces, in the order an export uses them:
//! - [`Key`]: 32 random bytes in a key file, created on first use (mode
//!   0600), never printed and never written into an export.
//! - [`Pseudonymizer`]: built from a key and the imported [`Usage`] (and
//!   the scenario, whose pinned users are names too). [`Pseudonymizer::apply`]
//!   renames users and hosts in the usage and the scenario in place (ids
//!   unchanged, so every figure is the same), and refuses when two names
//!   would share one pseudonym. [`Pseudonymizer::scrub`] rewrites free text
//!   (import problems that quote a line, warnings);
//!   [`Pseudonymizer::report`] does it to a whole import report.
//!   [`Pseudonymizer::guard`] is the last check on the bytes of an export:
//!   any original name left in them stops the export.
//! - [`reveal`]: replaces the pseudonyms of a returned file (CSV, JSON or
//!   text) by the names the inputs supply.
//!
//! A pseudonym is `u-` (users) or `h-` (hosts) and the first 12 hex digits
//! of HMAC-SHA256(key, lower-cased name). Departments, cost centres,
//! locations, products and codes are kept.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::ingest::Report;
use crate::scenario::Scenario;
use crate::usage::{Usage, UserTable};

/// Hex digits in a pseudonym after its `u-`/`h-` prefix.
pub const DIGITS: usize = 12;

/// What can stop a pseudonymised export or a reveal.
#[derive(Debug, thiserror::Error)]
pub enum PrivacyError {
    /// The key file cannot be read or created.
    #[error("{file}: {message}")]
    Key {
        /// The key file.
        file: String,
        /// What went wrong and what to do.
        message: String,
    },
    /// Two different names hash to one pseudonym.
    #[error(
        "two {kind} names, `{first}` and `{second}`, have the same pseudonym {pseudonym}; nothing was written: create a new key file (a different key gives different pseudonyms)"
    )]
    Collision {
        /// `user` or `host`.
        kind: &'static str,
        /// One name.
        first: String,
        /// The other.
        second: String,
        /// The pseudonym they share.
        pseudonym: String,
    },
    /// An original name is still in the export's bytes.
    #[error(
        "the export still contains the {kind} name `{name}` (at byte {at}); nothing was written"
    )]
    Leak {
        /// `user` or `host`.
        kind: &'static str,
        /// The name found.
        name: String,
        /// Byte offset of the first occurrence.
        at: usize,
    },
}

/// The secret of the pseudonyms: 32 random bytes.
#[derive(Clone)]
pub struct Key([u8; 32]);

impl std::fmt::Debug for Key {
    /// Never shows the bytes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    /// A key from its 32 bytes (tests, the GUI's own storage).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Key(bytes)
    }

    /// Reads the key in `path`, or creates it there with 32 bytes from the
    /// operating system's random source when the file does not exist (mode
    /// 0600 on Unix, written whole before it appears under its name). The
    /// file holds 64 hex digits and a newline.
    ///
    /// # Errors
    /// [`PrivacyError::Key`] when the file cannot be read or created, or
    /// holds something other than a key.
    pub fn load_or_create(path: &Path) -> Result<Key, PrivacyError> {
        match Self::load(path) {
            Err(PrivacyError::Key { .. }) if !path.exists() => Self::create(path),
            other => other,
        }
    }

    /// Reads an existing key file.
    ///
    /// # Errors
    /// [`PrivacyError::Key`] when it cannot be read or is not a key.
    pub fn load(path: &Path) -> Result<Key, PrivacyError> {
        let fail = |message: String| PrivacyError::Key {
            file: path.display().to_string(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| fail(format!("cannot read the key: {e}")))?;
        let text = std::str::from_utf8(&bytes).map(str::trim).unwrap_or("");
        let mut key = [0u8; 32];
        if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
            for (i, k) in key.iter_mut().enumerate() {
                let pair = text.get(2 * i..2 * i + 2).unwrap_or("00");
                *k = u8::from_str_radix(pair, 16).unwrap_or(0);
            }
            return Ok(Key(key));
        }
        if let Ok(raw) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(Key(raw));
        }
        Err(fail(format!(
            "not a tokenplan key (64 hex digits; this file has {} bytes); give a new file name to create a key",
            bytes.len()
        )))
    }

    fn create(path: &Path) -> Result<Key, PrivacyError> {
        let fail = |message: String| PrivacyError::Key {
            file: path.display().to_string(),
            message,
        };
        let mut key = [0u8; 32];
        getrandom::fill(&mut key)
            .map_err(|e| fail(format!("the system's random source failed: {e}")))?;
        let mut text = String::with_capacity(65);
        for b in key {
            text.push_str(&format!("{b:02x}"));
        }
        text.push('\n');
        let temp = path.with_file_name(format!(
            ".{}.{}.key-tmp",
            path.file_name()
                .map_or_else(|| "key".into(), |n| n.to_string_lossy()),
            std::process::id()
        ));
        write_private(&temp, text.as_bytes())
            .map_err(|e| fail(format!("cannot create the key: {e}")))?;
        // A hard link publishes the finished file and fails if another
        // process created the key meanwhile: then that key is the one.
        let linked = std::fs::hard_link(&temp, path);
        let _ = std::fs::remove_file(&temp);
        match linked {
            Ok(()) => Ok(Key(key)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Self::load(path),
            Err(e) => Err(fail(format!("cannot create the key: {e}"))),
        }
    }

    /// The pseudonym of a name: `prefix` and the first [`DIGITS`] hex digits
    /// of HMAC-SHA256(key, lower-cased trimmed name).
    pub fn pseudonym(&self, prefix: &str, name: &str) -> String {
        let lower = UserTable::key_of(name);
        // HMAC takes keys of any length: this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return format!("{prefix}{}", "0".repeat(DIGITS));
        };
        mac.update(lower.as_bytes());
        let digest = mac.finalize().into_bytes();
        let mut out = String::with_capacity(prefix.len() + DIGITS);
        out.push_str(prefix);
        for b in digest.iter().take(DIGITS / 2) {
            out.push_str(&format!("{b:02x}"));
        }
        out
    }
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        opts.mode(0o600);
    }
    let mut file = opts.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Users' pseudonyms start with this.
pub const USER_PREFIX: &str = "u-";
/// Hosts' pseudonyms start with this.
pub const HOST_PREFIX: &str = "h-";

/// The whole preparation of a pseudonymised export in one call (the CLI's
/// `--pseudonymize` and the GUI's export switch): reads or creates the key
/// in `keyfile`, computes the pseudonyms of `usage` and `scenario`, and
/// applies them. Compute the export from the renamed data, then pass its
/// bytes through [`Pseudonymizer::guard`] before writing them.
///
/// # Errors
/// [`PrivacyError::Key`] when the key cannot be read or created;
/// [`PrivacyError::Collision`] when two names share a pseudonym (nothing is
/// renamed then).
pub fn prepare(
    keyfile: &Path,
    usage: &mut Usage,
    scenario: Option<&mut Scenario>,
) -> Result<Pseudonymizer, PrivacyError> {
    let key = Key::load_or_create(keyfile)?;
    let p = Pseudonymizer::new(key, usage, scenario.as_deref())?;
    p.apply(usage, scenario);
    Ok(p)
}

/// Names to pseudonyms for one export (see the module doc).
#[derive(Debug)]
pub struct Pseudonymizer {
    key: Key,
    /// Lower-cased original name → (pseudonym, kind), users and hosts.
    names: HashMap<String, (String, &'static str)>,
    /// Longest original name, in bytes (bounds the text scans).
    longest: usize,
    /// Lower-cased words an export may show whatever the names are
    /// (products, codes, departments...): the guard does not flag them.
    vocabulary: BTreeSet<String>,
}

impl Pseudonymizer {
    /// The pseudonyms of every user and host of `usage` and every pinned
    /// user of `scenario`.
    ///
    /// # Errors
    /// [`PrivacyError::Collision`] when two names share a pseudonym.
    pub fn new(key: Key, usage: &Usage, scenario: Option<&Scenario>) -> Result<Self, PrivacyError> {
        let mut p = Pseudonymizer {
            key,
            names: HashMap::new(),
            longest: 0,
            vocabulary: BTreeSet::new(),
        };
        let mut taken: HashMap<String, String> = HashMap::new();
        let users = (0..usage.users.len() as u32).map(|id| usage.users.key(id).to_string());
        let pinned = scenario
            .into_iter()
            .flat_map(|s| s.constraints.pinned.keys().cloned());
        for name in users.chain(pinned) {
            p.add(&name, "user", &mut taken)?;
        }
        for name in usage.hosts.names() {
            p.add(name, "host", &mut taken)?;
        }
        p.vocabulary = vocabulary(usage, scenario);
        Ok(p)
    }

    fn add(
        &mut self,
        name: &str,
        kind: &'static str,
        taken: &mut HashMap<String, String>,
    ) -> Result<(), PrivacyError> {
        let lower = UserTable::key_of(name).into_owned();
        if lower.is_empty() || self.names.contains_key(&lower) {
            return Ok(());
        }
        let prefix = if kind == "user" {
            USER_PREFIX
        } else {
            HOST_PREFIX
        };
        let pseudonym = self.key.pseudonym(prefix, &lower);
        if let Some(first) = taken.insert(pseudonym.clone(), lower.clone()) {
            return Err(PrivacyError::Collision {
                kind,
                first,
                second: lower,
                pseudonym,
            });
        }
        self.longest = self.longest.max(lower.len());
        self.names.insert(lower, (pseudonym, kind));
        Ok(())
    }

    /// The pseudonym of a user name (whether or not it was seen).
    pub fn user(&self, name: &str) -> String {
        self.key.pseudonym(USER_PREFIX, name)
    }

    /// The pseudonym of a host name.
    pub fn host(&self, name: &str) -> String {
        self.key.pseudonym(HOST_PREFIX, name)
    }

    /// Renames every user and host of `usage`, and the pinned users of
    /// `scenario`, to their pseudonyms. Ids do not change, so metering,
    /// planning and sizing give the same figures; lists sorted by name are
    /// sorted by pseudonym.
    pub fn apply(&self, usage: &mut Usage, scenario: Option<&mut Scenario>) {
        usage.users.rename(|key| self.user(key));
        usage.hosts.rename(|name| {
            if name.is_empty() {
                String::new()
            } else {
                self.host(name)
            }
        });
        if let Some(s) = scenario {
            let pinned = std::mem::take(&mut s.constraints.pinned);
            s.constraints.pinned = pinned
                .into_iter()
                .map(|(user, codes)| (self.user(&user), codes))
                .collect();
        }
    }

    /// Rewrites the problems of an import report (they quote input lines)
    /// and its file name.
    pub fn report(&self, report: &mut Report) {
        report.file = self.scrub(&report.file);
        for p in &mut report.problems {
            p.file = self.scrub(&p.file);
            p.message = self.scrub(&p.message);
        }
    }

    /// `text` with every known user or host name (any case, as a whole
    /// word: not inside a longer word) replaced by its pseudonym.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut done = 0;
        for (start, end, pseudonym) in self.find_names(text, false) {
            out.push_str(text.get(done..start).unwrap_or(""));
            out.push_str(pseudonym);
            done = end;
        }
        out.push_str(text.get(done..).unwrap_or(""));
        out
    }

    /// The last check on an export: `Ok` when none of the original names
    /// (of at least 3 characters with a letter, not one of the products,
    /// codes, features, departments, cost centres or locations the export
    /// may show anyway) is in `bytes` as a whole word.
    ///
    /// # Errors
    /// [`PrivacyError::Leak`] naming the first name found.
    pub fn guard(&self, bytes: &[u8]) -> Result<(), PrivacyError> {
        let text = String::from_utf8_lossy(bytes);
        let Some((at, end, _)) = self.find_names(&text, true).into_iter().next() else {
            return Ok(());
        };
        let found = text.get(at..end).unwrap_or("").to_string();
        let kind = self
            .names
            .get(&UserTable::key_of(&found).into_owned())
            .map_or("user", |(_, k)| *k);
        Err(PrivacyError::Leak {
            kind,
            name: found,
            at,
        })
    }

    /// Whole-word occurrences of known names in `text`: (start, end,
    /// pseudonym), left to right, longest first at each start. With
    /// `guarded`, only the names [`Pseudonymizer::guard`] checks.
    fn find_names<'a>(&'a self, text: &str, guarded: bool) -> Vec<(usize, usize, &'a str)> {
        let mut found = Vec::new();
        if self.names.is_empty() {
            return found;
        }
        let bounds: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain(std::iter::once(text.len()))
            .collect();
        let word = |i: usize| {
            text.get(i..)
                .and_then(|s| s.chars().next())
                .is_some_and(char::is_alphanumeric)
        };
        let word_before = |i: usize| {
            text.get(..i)
                .and_then(|s| s.chars().next_back())
                .is_some_and(char::is_alphanumeric)
        };
        let mut lower = String::new();
        let mut k = 0;
        while k + 1 < bounds.len() {
            let start = bounds[k];
            if word_before(start) {
                k += 1;
                continue;
            }
            let mut best: Option<(usize, usize, &str)> = None;
            for (j, &end) in bounds.iter().enumerate().skip(k + 1) {
                // Lower-casing can change a few letters' lengths: some slack.
                if end - start > self.longest + 8 {
                    break;
                }
                if word(end) {
                    continue;
                }
                let piece = text.get(start..end).unwrap_or("");
                lower.clear();
                lower.extend(piece.chars().flat_map(char::to_lowercase));
                if let Some((pseudonym, _)) = self.names.get(lower.as_str())
                    && (!guarded || self.guarded(&lower))
                {
                    best = Some((j, end, pseudonym));
                }
            }
            match best {
                Some((j, end, pseudonym)) => {
                    found.push((start, end, pseudonym));
                    k = j;
                }
                None => k += 1,
            }
        }
        found
    }

    /// True when the guard checks this (lower-cased) name.
    fn guarded(&self, lower: &str) -> bool {
        lower.chars().count() >= 3
            && lower.chars().any(char::is_alphabetic)
            && !self.vocabulary.contains(lower)
    }
}

/// Words an export shows whatever the names: the scenario's products,
/// subscriptions, pools and their names, the currency, the usage's
/// features, and the directory's departments, cost centres and locations.
fn vocabulary(usage: &Usage, scenario: Option<&Scenario>) -> BTreeSet<String> {
    let mut v: BTreeSet<String> = usage.features.names().map(str::to_lowercase).collect();
    for e in usage.directory.values() {
        for w in [&e.department, &e.cost_center, &e.location, &e.time_zone] {
            v.insert(w.to_lowercase());
        }
    }
    if let Some(s) = scenario {
        v.insert(s.currency.to_lowercase());
        for (code, p) in &s.products {
            v.insert(code.to_lowercase());
            v.insert(p.name.to_lowercase());
            v.extend(p.features.iter().map(|f| f.to_lowercase()));
        }
        for (code, sub) in &s.subscriptions {
            v.insert(code.to_lowercase());
            v.insert(sub.name.to_lowercase());
        }
        v.extend(s.pools.keys().map(|k| k.to_lowercase()));
        v.extend(s.budgets.keys().map(|k| k.to_lowercase()));
    }
    v
}

/// How [`reveal`] reads the file it restores.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated: a name that needs quotes gets them.
    Csv,
    /// JSON: names are escaped as JSON string content.
    Json,
    /// Anything else: names as they are.
    Text,
}

impl Format {
    /// JSON when the content starts with `{` or `[`, CSV when the file
    /// name ends in `.csv`, else text.
    pub fn guess(file_name: &str, content: &str) -> Format {
        let first = content.trim_start().chars().next();
        if matches!(first, Some('{' | '[')) {
            Format::Json
        } else if file_name.to_ascii_lowercase().ends_with(".csv") {
            Format::Csv
        } else {
            Format::Text
        }
    }
}

/// What [`reveal`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Revealed {
    /// The restored file.
    pub text: String,
    /// Pseudonyms replaced.
    pub replaced: u64,
    /// Pseudonyms the inputs did not explain, with how often each occurs.
    pub unknown: BTreeMap<String, u64>,
}

/// The pseudonyms of every user and host of `usage` (and pinned user of
/// `scenario`), mapped to the name to show: a user's first spelling, a
/// host's first spelling.
pub fn names_of(key: &Key, usage: &Usage, scenario: Option<&Scenario>) -> HashMap<String, String> {
    let mut map = HashMap::new();
    for id in 0..usage.users.len() as u32 {
        map.entry(key.pseudonym(USER_PREFIX, usage.users.key(id)))
            .or_insert_with(|| usage.users.name(id).to_string());
    }
    for name in scenario
        .into_iter()
        .flat_map(|s| s.constraints.pinned.keys())
    {
        map.entry(key.pseudonym(USER_PREFIX, name))
            .or_insert_with(|| name.trim().to_string());
    }
    for name in usage.hosts.names().filter(|n| !n.is_empty()) {
        map.entry(key.pseudonym(HOST_PREFIX, name))
            .or_insert_with(|| name.to_string());
    }
    map
}

/// Replaces every pseudonym in `content` that `names` knows by its name,
/// escaped for `format`; pseudonyms it does not know are left and listed.
pub fn reveal(content: &str, format: Format, names: &HashMap<String, String>) -> Revealed {
    let mut out = Revealed::default();
    out.text = match format {
        Format::Csv => match reveal_csv(content, names, &mut out) {
            Some(t) => t,
            None => {
                out = Revealed::default();
                replace_pseudonyms(content, names, &mut out, |n| n.to_string())
            }
        },
        Format::Json => replace_pseudonyms(content, names, &mut out, |n| {
            let quoted = serde_json::to_string(n).unwrap_or_default();
            quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .unwrap_or(&quoted)
                .to_string()
        }),
        Format::Text => replace_pseudonyms(content, names, &mut out, |n| n.to_string()),
    };
    out
}

/// CSV: field by field, written back with quotes where a name needs them;
/// `None` when the content is not CSV the reader accepts.
fn reveal_csv(
    content: &str,
    names: &HashMap<String, String>,
    out: &mut Revealed,
) -> Option<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(content.as_bytes());
    let mut w = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::with_capacity(content.len()));
    for rec in rdr.records() {
        let rec = rec.ok()?;
        let fields: Vec<String> = rec
            .iter()
            .map(|f| replace_pseudonyms(f, names, out, |n| n.to_string()))
            .collect();
        w.write_record(&fields).ok()?;
    }
    String::from_utf8(w.into_inner().ok()?).ok()
}

/// Replaces each `u-`/`h-` pseudonym (as a whole word) that `names` knows.
fn replace_pseudonyms(
    text: &str,
    names: &HashMap<String, String>,
    out: &mut Revealed,
    escape: impl Fn(&str) -> String,
) -> String {
    let bytes = text.as_bytes();
    let len = 2 + DIGITS;
    let mut result = String::with_capacity(text.len());
    let mut done = 0;
    let mut i = 0;
    while i + len <= bytes.len() {
        let prefixed = matches!(bytes.get(i..i + 2), Some(b"u-" | b"h-"));
        let hex = bytes.get(i + 2..i + len).is_some_and(|h| {
            h.iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
        });
        let before_ok = i == 0 || bytes.get(i - 1).is_some_and(|b| !b.is_ascii_alphanumeric());
        let after_ok = bytes
            .get(i + len)
            .is_none_or(|b| !b.is_ascii_alphanumeric());
        if prefixed && hex && before_ok && after_ok {
            let pseudonym = text.get(i..i + len).unwrap_or("");
            match names.get(pseudonym) {
                Some(name) => {
                    result.push_str(text.get(done..i).unwrap_or(""));
                    result.push_str(&escape(name));
                    out.replaced += 1;
                    done = i + len;
                }
                None => *out.unknown.entry(pseudonym.to_string()).or_default() += 1,
            }
            i += len;
        } else {
            i += 1;
        }
    }
    result.push_str(text.get(done..).unwrap_or(""));
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{ImportOptions, import_bytes};
    use crate::progress::NoProgress;

    fn usage(csv: &str) -> Usage {
        let mut u = Usage::default();
        import_bytes(
            "s.csv",
            csv.as_bytes(),
            &ImportOptions::default(),
            &mut u,
            &NoProgress,
        )
        .unwrap();
        u
    }

    #[test]
    fn pseudonyms_are_hmac_of_the_lower_cased_name() {
        let key = Key::from_bytes([7; 32]);
        let a = key.pseudonym(USER_PREFIX, "John.Doe@Corp.com");
        assert_eq!(a, key.pseudonym(USER_PREFIX, " john.doe@corp.com "));
        assert!(a.starts_with("u-") && a.len() == 14, "{a}");
        assert!(
            a[2..]
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        // The first 12 hex digits of HMAC-SHA256(key, "john.doe@corp.com"),
        // computed independently of the function above.
        let mut mac = Hmac::<Sha256>::new_from_slice(&[7; 32]).unwrap();
        mac.update(b"john.doe@corp.com");
        let full: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(a, format!("u-{}", &full[..12]));
        assert_ne!(
            a,
            Key::from_bytes([8; 32]).pseudonym(USER_PREFIX, "john.doe@corp.com")
        );
        assert_eq!(format!("{key:?}"), "Key(..)");
    }

    #[test]
    fn key_file_is_created_once_private_and_read_back() {
        let dir = std::env::temp_dir().join(format!("tokenplan-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("reseller.key");
        let a = Key::load_or_create(&path).unwrap();
        let b = Key::load_or_create(&path).unwrap();
        assert_eq!(a.0, b.0);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.trim().len(), 64);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Only the key file is left behind.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // Not a key: refused, never overwritten.
        std::fs::write(dir.join("notes.txt"), "hello").unwrap();
        let e = Key::load_or_create(&dir.join("notes.txt")).unwrap_err();
        assert!(e.to_string().contains("not a tokenplan key"), "{e}");
        assert_eq!(
            std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
            "hello"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn apply_scrub_and_guard() {
        let mut u = usage(
            "user,product,host,start,end\n\
             Ann.Lee,ACD,WS-Ann,2025-01-06T14:00:00Z,2025-01-06T15:00:00Z\n\
             ann.lee,ACD,ws-ann,2025-01-07T14:00:00Z,2025-01-07T15:00:00Z\n\
             bo,RVT,WS-9,2025-01-06T14:00:00Z,2025-01-06T15:00:00Z\n",
        );
        let key = Key::from_bytes([1; 32]);
        let p = Pseudonymizer::new(key.clone(), &u, None).unwrap();
        let ann = key.pseudonym(USER_PREFIX, "ann.lee");
        let ws = key.pseudonym(HOST_PREFIX, "ws-ann");
        assert_eq!(
            p.scrub("OUT: \"ACD\" Ann.Lee@WS-ANN (3 licenses); annals.lee@x; xann.lee"),
            format!("OUT: \"ACD\" {ann}@{ws} (3 licenses); annals.lee@x; xann.lee")
        );
        assert!(p.guard(b"user,tokens\nu-1,3\n").is_ok());
        let e = p.guard(b"x,ANN.LEE,y").unwrap_err();
        assert!(e.to_string().contains("`ANN.LEE` (at byte 2)"), "{e}");
        // Two characters: not guarded (it would match numbers and codes).
        assert!(p.guard(b"bo").is_ok());
        let mut report = Report::new("ann.lee.csv");
        report.problem(3, "user Ann.Lee on WS-Ann: bad row");
        p.report(&mut report);
        assert_eq!(
            report.problems[0].message,
            format!("user {ann} on {ws}: bad row")
        );
        assert_eq!(report.file, format!("{ann}.csv"));
        p.apply(&mut u, None);
        assert_eq!(u.users.name(0), ann);
        assert_eq!(u.users.get(&ann), Some(0));
        // The two spellings of one host share a pseudonym, ids unchanged.
        assert_eq!(u.hosts.name(0), ws);
        assert_eq!(u.hosts.name(1), ws);
        let names = names_of(
            &key,
            &usage(
                "user,product,host,start,end\nAnn.Lee,ACD,WS-Ann,2025-01-06T14:00:00Z,2025-01-06T15:00:00Z\n",
            ),
            None,
        );
        assert_eq!(names[&ann], "Ann.Lee");
        assert_eq!(names[&ws], "WS-Ann");
    }

    #[test]
    fn reveal_escapes_for_csv_and_json() {
        let key = Key::from_bytes([2; 32]);
        let a = key.pseudonym(USER_PREFIX, "lee, ann");
        let b = key.pseudonym(HOST_PREFIX, "ws\"1");
        let names: HashMap<String, String> = [
            (a.clone(), "Lee, Ann".to_string()),
            (b.clone(), "WS\"1".to_string()),
        ]
        .into();
        let csv = format!("user,host\n{a},{b}\nu-000000000000,x\n");
        let r = reveal(&csv, Format::guess("r.csv", &csv), &names);
        assert_eq!(
            r.text,
            "user,host\n\"Lee, Ann\",\"WS\"\"1\"\nu-000000000000,x\n"
        );
        assert_eq!(r.replaced, 2);
        assert_eq!(r.unknown.get("u-000000000000"), Some(&1));
        let json = format!("{{\"user\": \"{a}\", \"host\": \"{b}\"}}");
        let r = reveal(&json, Format::guess("r", &json), &names);
        assert_eq!(r.text, "{\"user\": \"Lee, Ann\", \"host\": \"WS\\\"1\"}");
        // Not a pseudonym: inside a longer word, or too short.
        let text = format!("x{a} {a}0 u-abc");
        assert_eq!(reveal(&text, Format::Text, &names).text, text);
    }

    #[test]
    fn a_shared_pseudonym_stops_the_export() {
        let key = Key::from_bytes([3; 32]);
        let mut p = Pseudonymizer {
            key,
            names: HashMap::new(),
            longest: 0,
            vocabulary: BTreeSet::new(),
        };
        let mut taken = HashMap::new();
        // Force the clash: the pseudonym of "amy" is already someone else's.
        taken.insert(p.user("amy"), "zed".to_string());
        let e = p.add("Amy", "user", &mut taken).unwrap_err();
        assert!(matches!(e, PrivacyError::Collision { .. }));
        assert!(e.to_string().contains("`zed` and `amy`"), "{e}");
    }
}
