//! One row of the session CSV: the columns cut by a word-at-a-time
//! separator search, the fields checked, the session built; a block parsed
//! into a `Chunk` and merged into the `Usage` in file order.

use super::*;

/// Parses rows into a [`Chunk`].
pub(super) struct RowParser {
    pub(super) cols: Columns,
    pub(super) clock: Clock,
    pub(super) users: Names,
    pub(super) features: Names,
    pub(super) hosts: Names,
    pub(super) guesses: Guesses,
    /// Every byte of the input is ASCII (checked once per block), so no
    /// field needs its own UTF-8 check.
    pub(super) ascii: bool,
    pub(super) out: Chunk,
}

/// What a worker learnt of the file's order, kept from block to block
/// (global ids only; a wrong guess costs a hash lookup, never a wrong id).
#[derive(Default)]
pub(super) struct Guesses {
    /// The last host of each user.
    pub(super) host_of_user: Vec<u32>,
}

/// A field as it appears in messages.
pub(super) fn show(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw.trim_ascii()).into_owned()
}

impl RowParser {
    pub(super) fn new(cols: Columns, tz: Tz, capacity: usize) -> Self {
        RowParser {
            cols,
            clock: Clock::new(tz),
            users: Names::default(),
            features: Names::default(),
            hosts: Names::default(),
            guesses: Guesses::default(),
            ascii: false,
            out: Chunk {
                sessions: Vec::with_capacity(capacity),
                ..Chunk::default()
            },
        }
    }

    pub(super) fn skip(&mut self, line: u64, why: Reason, message: impl FnOnce() -> String) {
        if let Some(n) = self.out.skipped.get_mut(why as usize) {
            *n += 1;
        }
        if matches!(why, Reason::Blank) {
            return;
        }
        if self.out.problems.len() < Report::MAX_PROBLEMS {
            self.out.problems.push((line, message()));
        } else {
            self.out.problems_dropped += 1;
        }
    }

    /// One line of the block reader (`fields` capped at the header width).
    #[inline]
    pub(super) fn line(&mut self, line: u64, fields: &[&[u8]], known: &Known) {
        if let [only] = fields
            && table::is_blank(only)
        {
            self.skip(line, Reason::Blank, String::new);
            return;
        }
        self.row(line, fields, known);
    }

    /// One data row: a session, or a skip with its reason.
    #[inline]
    pub(super) fn row(&mut self, line: u64, f: &[&[u8]], known: &Known) {
        let c = self.cols;
        if f.len() < c.width {
            return self.skip(line, Reason::ShortRow, || {
                format!(
                    "row has {} field{}, the header has {}; row skipped",
                    f.len(),
                    if f.len() == 1 { "" } else { "s" },
                    c.width
                )
            });
        }
        let get = |i: usize| f.get(i).copied().unwrap_or_default();
        let ascii = self.ascii;
        let Some(user) = text(get(c.user), ascii) else {
            return self.skip(line, Reason::NotUtf8, || {
                "user is not valid UTF-8; row skipped".into()
            });
        };
        if user.is_empty() {
            return self.skip(line, Reason::EmptyUser, || {
                "user is empty; row skipped".into()
            });
        }
        let Some(product) = text(get(c.product), ascii) else {
            return self.skip(line, Reason::NotUtf8, || {
                "product is not valid UTF-8; row skipped".into()
            });
        };
        if product.is_empty() {
            return self.skip(line, Reason::EmptyProduct, || {
                "product is empty; row skipped".into()
            });
        }
        let host: &[u8] = match c.host.map(|i| text(get(i), ascii)) {
            None => b"",
            Some(Some(h)) => h,
            Some(None) => {
                return self.skip(line, Reason::NotUtf8, || {
                    "host is not valid UTF-8; row skipped".into()
                });
            }
        };
        let (start_raw, end_raw) = (get(c.start), get(c.end));
        let Some(start) = self.clock.instant(start_raw, Round::Floor) else {
            return self.skip(line, Reason::BadTime, || bad_time("start", start_raw));
        };
        let Some(end) = self.clock.instant(end_raw, Round::Ceil) else {
            return self.skip(line, Reason::BadTime, || bad_time("end", end_raw));
        };
        for (what, t, raw) in [("start", start, start_raw), ("end", end, end_raw)] {
            if !(0..=i64::from(u32::MAX)).contains(&t) {
                return self.skip(line, Reason::OutOfRange, || {
                    format!(
                        "{what} {} is outside the supported range 1970-01-01T00:00:00Z to 2106-02-07T06:28:15Z; row skipped",
                        show(raw)
                    )
                });
            }
        }
        if end < start {
            return self.skip(line, Reason::EndBeforeStart, || {
                format!(
                    "end {} is before start {}; row skipped",
                    show(end_raw),
                    show(start_raw)
                )
            });
        }
        let draw = match c.tokens.map(|i| get(i).trim_ascii()) {
            None | Some([]) => 0,
            Some(raw) => match std::str::from_utf8(raw)
                .ok()
                .and_then(|t| t.parse::<u16>().ok())
            {
                Some(n) => n,
                None => {
                    return self.skip(line, Reason::BadTokens, || {
                        format!(
                            "tokens {} is not a whole number from 0 to 65535; row skipped",
                            show(raw)
                        )
                    });
                }
            },
        };
        let (user, feature, host) = self.ids(user, product, host, known);
        // Both instants are within u32 and end >= start (checked above).
        self.out.sessions.push(Session {
            start: start as u32,
            dur: (end - start) as u32,
            user,
            feature,
            host,
            draw,
            flags: 0,
        });
        self.out.used += 1;
    }

    /// The ids of a row's user, product (feature) and host: known names
    /// through the published tables, others local to this block (see
    /// `Names`); remembers each user's usual host, the likeliest next one.
    #[inline]
    fn ids(&mut self, user: &[u8], product: &[u8], host: &[u8], known: &Known) -> (u32, u32, u32) {
        let user = self.users.id(user, user_key, &known.users, |k, _, prev| {
            known.users_sorted.find(prev, pack_ordered(k)?)
        });
        let feature = self.features.id(
            product,
            |s| Cow::Borrowed(s),
            &known.features,
            |_, p, _| {
                // Few products: a look at each beats hashing.
                let all = known
                    .features
                    .by_id
                    .get(..16)
                    .unwrap_or(&known.features.by_id);
                all.iter().position(|&q| q == p).map(|i| i as u32)
            },
        );
        let global_user = (user & LOCAL == 0).then_some(user);
        let host_of_user = &self.guesses.host_of_user;
        let host = self.hosts.id(
            host,
            |s| Cow::Borrowed(s),
            &known.hosts,
            |k, p, prev| {
                let usual = global_user.and_then(|u| host_of_user.get(u as usize).copied());
                match usual {
                    Some(h) if known.hosts.by_id.get(h as usize) == Some(&p) => Some(h),
                    _ => known.hosts_sorted.find(prev, pack_ordered(k)?),
                }
            },
        );
        if let Some(u) = global_user
            && host & LOCAL == 0
        {
            set(&mut self.guesses.host_of_user, u, host);
        }
        (user, feature, host)
    }

    /// The chunk so far; the parser starts a new one.
    pub(super) fn take(&mut self) -> Chunk {
        let mut out = std::mem::take(&mut self.out);
        out.users = self.users.take();
        out.features = self.features.take();
        out.hosts = self.hosts.take();
        out.ambiguous = std::mem::take(&mut self.clock.ambiguous);
        out.gap = std::mem::take(&mut self.clock.gap);

        out
    }
}

pub(super) fn bad_time(what: &str, raw: &[u8]) -> String {
    if raw.trim_ascii().is_empty() {
        format!("{what} is empty; row skipped")
    } else {
        format!(
            "{what} {} is not a timestamp (expected RFC 3339 such as 2025-02-06T09:00:00Z, or 2025-02-06 09:00:00 in local time); row skipped",
            show(raw)
        )
    }
}

/// Calls `f(pos, is_newline)` for each `delim` and `\n` in `buf`, in order.
///
/// Fields are short (a dozen bytes), so a vector search restarted at each
/// one spends more on starting than on searching. This reads 64 bytes a
/// word at a time into one bit per byte, then visits the set bits: one
/// hard-to-predict branch per separator, not per word.
#[inline]
pub(super) fn separators(buf: &[u8], delim: u8, mut f: impl FnMut(usize, bool)) {
    let d = u64::from_ne_bytes([delim; 8]);
    let nl = u64::from_ne_bytes([b'\n'; 8]);
    let word = |w: &[u8]| {
        let v = u64::from_le_bytes(w.try_into().unwrap_or_default());
        high_bits(zero_bytes(v ^ d) | zero_bytes(v ^ nl))
    };
    let mut blocks = buf.chunks_exact(64);
    let mut base = 0usize;
    for block in &mut blocks {
        let mut hits = 0u64;
        for (j, w) in block.chunks_exact(8).enumerate() {
            hits |= word(w) << (8 * j);
        }
        while hits != 0 {
            let pos = base + hits.trailing_zeros() as usize;
            f(pos, buf.get(pos) == Some(&b'\n'));
            hits &= hits - 1;
        }
        base += 64;
    }
    for (i, &b) in blocks.remainder().iter().enumerate() {
        if b == delim || b == b'\n' {
            f(base + i, b == b'\n');
        }
    }
}

/// The high bit of each byte of `x` that is zero. Exact: the masked add
/// never carries from one byte into the next.
#[inline]
pub(super) fn zero_bytes(x: u64) -> u64 {
    pub(super) const LO: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    pub(super) const HI: u64 = 0x8080_8080_8080_8080;
    !(((x & LO) + LO) | x) & HI
}

/// The high bits of the 8 bytes of `x` (nothing else may be set) as the
/// low 8 bits, byte `i` to bit `i`: the multiply moves each into the top
/// byte without two ever adding up in it.
#[inline]
pub(super) fn high_bits(x: u64) -> u64 {
    ((x >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56
}

/// Parses one block of whole lines (no `"` in it), lines numbered from 1.
pub(super) fn parse_block(
    buf: &[u8],
    cols: Columns,
    delim: u8,
    tz: Tz,
    known: &Known,
    guesses: &mut Guesses,
) -> Chunk {
    if memchr::memchr(b'"', buf).is_some() {
        return Chunk {
            quoted: true,
            ..Chunk::default()
        };
    }
    // One session per line at most: room for exactly that many, so the
    // chunk never grows nor needs shrinking (each is a copy of megabytes).
    let lines = memchr::memchr_iter(b'\n', buf).count() + 1;
    let mut p = RowParser::new(cols, tz, lines);
    p.ascii = buf.is_ascii();
    p.guesses = std::mem::take(guesses);
    let mut fields: Vec<&[u8]> = Vec::with_capacity(cols.width);
    let mut line = 0u64;
    let mut start = 0usize;
    separators(buf, delim, |pos, eol| {
        let field = buf.get(start..pos).unwrap_or_default();
        if fields.len() < cols.width {
            // CRLF: the sequential reader never sees the CR either.
            fields.push(if eol {
                field.strip_suffix(b"\r").unwrap_or(field)
            } else {
                field
            });
        }
        start = pos + 1;
        if eol {
            line += 1;
            p.line(line, &fields, known);
            fields.clear();
        }
    });
    if start < buf.len() {
        if fields.len() < cols.width {
            let field = buf.get(start..).unwrap_or_default();
            fields.push(field.strip_suffix(b"\r").unwrap_or(field));
        }
        line += 1;
        p.line(line, &fields, known);
    } else if !fields.is_empty() {
        // A delimiter was the very last byte: the line ends with an empty field.
        if fields.len() < cols.width {
            fields.push(b"");
        }
        line += 1;
        p.line(line, &fields, known);
    }
    *guesses = std::mem::take(&mut p.guesses);
    let mut out = p.take();
    out.lines = line;
    out
}

/// Adds a chunk to `usage` and `report`: local ids become global ids in
/// the chunk's order, which is file order.
pub(super) fn merge(
    mut chunk: Chunk,
    base: u64,
    usage: &mut Usage,
    sink: &mut Sink<'_>,
    known: &mut Known,
    report: &mut Report,
) {
    pub(super) fn global(
        names: &[Box<str>],
        known: &mut NameMap,
        mut sorted: Option<&mut Sorted>,
        mut intern: impl FnMut(&str) -> u32,
        key: impl Fn(&[u8]) -> Cow<'_, [u8]>,
    ) -> Vec<u32> {
        names
            .iter()
            .map(|n| {
                let g = intern(n);
                let k = key(n.as_bytes());
                if known.insert(&k, g)
                    && let Some(s) = sorted.as_deref_mut()
                {
                    s.add(&k, g);
                }
                g
            })
            .collect()
    }
    let users = global(
        &chunk.users,
        &mut known.users,
        Some(&mut known.users_sorted),
        |n| usage.users.intern(n),
        user_key,
    );
    let features = global(
        &chunk.features,
        &mut known.features,
        None,
        |n| usage.features.intern(n),
        |n| Cow::Borrowed(n),
    );
    let hosts = global(
        &chunk.hosts,
        &mut known.hosts,
        Some(&mut known.hosts_sorted),
        |n| usage.hosts.intern(n),
        |n| Cow::Borrowed(n),
    );
    if !(users.is_empty() && features.is_empty() && hosts.is_empty()) {
        let global_id = |id: u32, map: &[u32]| {
            if id & LOCAL == 0 {
                id
            } else {
                // Local ids were handed out by this chunk's own tables.
                map[(id & !LOCAL) as usize]
            }
        };
        for s in &mut chunk.sessions {
            s.user = global_id(s.user, &users);
            s.feature = global_id(s.feature, &features);
            s.host = global_id(s.host, &hosts);
        }
    }
    sink.put(chunk.sessions, usage);
    report.lines_read += chunk.lines;
    report.lines_used += chunk.used;
    for (reason, &n) in REASONS.iter().zip(&chunk.skipped) {
        if n > 0 {
            *report.skipped.entry((*reason).to_string()).or_default() += n;
        }
    }
    for (line, message) in chunk.problems {
        report.problem(base + line, message);
    }
    report.problems_not_kept += chunk.problems_dropped;
    if chunk.ambiguous > 0 {
        report.count(AMBIGUOUS, chunk.ambiguous);
    }
    if chunk.gap > 0 {
        report.count(GAP, chunk.gap);
    }
}
