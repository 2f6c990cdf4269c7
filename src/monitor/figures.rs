//! The shadow bill's totals under `Rolling24h`, `Hourly`, `Concurrent` and
//! `DailyPeak` without metering: what [`Metered`](crate::meter::Metered)
//! would add up (charges and tokens per rule, as the shadow bill shows
//! them), computed from one sorted copy of one product group's sessions at
//! a time instead of a [`DayCharge`](crate::meter::DayCharge) row per
//! charge and a [`PoolTimeline`](crate::meter::PoolTimeline) per pair.
//!
//! The sessions of a group (a product alone, or the products sharing a
//! pool) are copied in compact form and sorted by product, user and start;
//! each (product, user) run then gives, in parallel:
//! - `Rolling24h`: the charge openings of the run
//!   ([`charge_openings`]), each at the rate in force on its local date;
//! - `Hourly`: the union of the run's sessions split at local midnights,
//!   each (user, date) at `rate × seconds ÷ 3600` rounded as metering rounds
//!   it ([`tokens_for`]);
//! - the pool rules: the local dates the user held the product (the
//!   per-user rows' charges), and the holders' draws as steps (a holder,
//!   user@host, draws the largest of its open checkouts), whose running
//!   sum over time, sorted once per pool, gives the pool's peak
//!   (`Concurrent`) and its peak per local date (`DailyPeak`).
//!
//! A date a held interval touches follows the rule of
//! [`PoolTimeline::daily_peaks`](crate::meter::PoolTimeline::daily_peaks):
//! from the date of its start to the date of its last second (the next
//! date too when a day is skipped). That equals metering's event-by-event
//! walk when local dates never go back in time; a zone whose clocks fall
//! back across midnight during the history ([`dates_never_go_back`]) is
//! metered the slow way by the caller.

use chrono_tz::Tz;
use rayon::prelude::*;
use rust_decimal::Decimal;

use crate::meter::concurrent::whole_draw;
use crate::meter::hourly::tokens_for;
use crate::meter::rolling24h::charge_openings;
use crate::meter::{Catalog, MeterError, ProductIdx, ProductRule, RateTable, RuleKind};
use crate::monitor::burn::DenseDays;
use crate::progress::Progress;
use crate::scenario::{Scenario, parse_tz};
use crate::time::DayMapper;
use crate::usage::{HostId, Session, Usage, UserId};

/// Charges and tokens of one rule, as the shadow bill shows them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RuleTotals {
    /// Charges of the per-user rows.
    pub(crate) charges: u64,
    /// Tokens billed.
    pub(crate) tokens: Decimal,
}

/// One rule to add up: every product's rule resolved under it
/// ([`Metered::rules`](crate::meter::Metered::rules) of the scenario with
/// every product under `kind`).
pub(crate) struct RuleJob<'a> {
    /// `Rolling24h`, `Hourly`, `Concurrent` or `DailyPeak`.
    pub(crate) kind: RuleKind,
    /// Per product index.
    pub(crate) rules: &'a [ProductRule],
}

/// One session as the figures read it: 20 bytes.
#[derive(Clone, Copy, Debug)]
struct Rec {
    product: ProductIdx,
    user: UserId,
    start: u32,
    dur: u32,
    host: HostId,
    draw: u16,
}

impl Rec {
    fn start(&self) -> i64 {
        i64::from(self.start)
    }
    fn end(&self) -> i64 {
        i64::from(self.start) + i64::from(self.dur)
    }
    fn same_run(&self, o: &Rec) -> bool {
        (self.product, self.user) == (o.product, o.user)
    }
}

/// A pool to replay: its products, zone and lingers, and which bills it
/// serves (a `Concurrent` and a `DailyPeak` pool with the same products,
/// zone and no linger are replayed once for both).
struct PoolJob {
    members: Vec<ProductIdx>,
    zone: usize,
    /// Per product index (zero for non-members).
    linger: Vec<u32>,
    /// Index into the jobs of the `Concurrent` rule, when it is one of its pools.
    peak_for: Option<usize>,
    /// Index into the jobs of the `DailyPeak` rule, when it is one of its pools.
    days_for: Option<usize>,
}

/// What every job reads.
struct Setup<'a> {
    jobs: &'a [RuleJob<'a>],
    zones: Vec<Tz>,
    /// Per job, per product: index into `zones`.
    zone_of: Vec<Vec<usize>>,
    rates: Vec<RateTable>,
    /// Per feature id: its product.
    product_of_feature: Vec<Option<ProductIdx>>,
}

/// The totals of every job of `jobs`, in their order; `scenario` gives
/// the rates (every rule's products keep the scenario's rates).
///
/// The caller has metered `scenario` under each rule on no sessions, so
/// the zones are valid and the pool rates whole; it checks
/// [`dates_never_go_back`] for the pool rules' zones. Use-days are not
/// read (the caller meters a usage with use-days whole).
///
/// # Errors
/// [`MeterError::Cancelled`] when `progress` asks to stop;
/// [`MeterError::BadZone`] for a zone that is not IANA.
pub(crate) fn rule_totals(
    usage: &Usage,
    scenario: &Scenario,
    jobs: &[RuleJob<'_>],
    progress: &dyn Progress,
) -> Result<Vec<RuleTotals>, MeterError> {
    let setup = Setup::new(usage, scenario, jobs)?;
    let nproducts = scenario.products.len();
    let pools = pool_jobs(&setup, nproducts);
    let groups = product_groups(nproducts, &pools);
    let mut out = vec![RuleTotals::default(); jobs.len()];
    for group in groups {
        if progress.is_cancelled() {
            return Err(MeterError::Cancelled);
        }
        let mut in_group = vec![false; nproducts];
        for &p in &group {
            if let Some(slot) = in_group.get_mut(usize::from(p)) {
                *slot = true;
            }
        }
        let recs = collect(usage, &setup, &in_group);
        if recs.is_empty() {
            continue;
        }
        let runs = run_pieces(&recs);
        for (j, job) in jobs.iter().enumerate() {
            let t = match job.kind {
                RuleKind::Rolling24h | RuleKind::Hourly => per_user_totals(&recs, &runs, &setup, j),
                _ => continue,
            };
            if let Some(o) = out.get_mut(j) {
                o.charges += t.charges;
                o.tokens += t.tokens;
            }
        }
        // Every pool's steps, then the sessions go before the steps are
        // sorted: the two are never held at their largest together.
        let steps: Vec<(&PoolJob, PoolSteps)> = pools
            .iter()
            .filter(|p| p.members.iter().any(|m| group.contains(m)))
            .map(|pool| (pool, pool_steps(&recs, &runs, &setup, pool)))
            .collect();
        drop(recs);
        for (pool, steps) in steps {
            let (pair_days, peak, day_peaks) = replay_steps(steps, &setup, pool);
            if let Some(o) = pool.peak_for.and_then(|j| out.get_mut(j)) {
                o.charges += pair_days;
                o.tokens += Decimal::from(peak);
            }
            if let Some(o) = pool.days_for.and_then(|j| out.get_mut(j)) {
                o.charges += pair_days;
                o.tokens += Decimal::from(day_peaks);
            }
        }
    }
    Ok(out)
}

impl<'a> Setup<'a> {
    fn new(
        usage: &Usage,
        scenario: &Scenario,
        jobs: &'a [RuleJob<'a>],
    ) -> Result<Setup<'a>, MeterError> {
        let mut zones: Vec<Tz> = Vec::new();
        let mut zone_of = Vec::with_capacity(jobs.len());
        for job in jobs {
            let mut of = Vec::with_capacity(job.rules.len());
            for (i, rule) in job.rules.iter().enumerate() {
                // A pool's dates are in the zone of its first product.
                let first = match job.kind {
                    RuleKind::Concurrent | RuleKind::DailyPeak => job
                        .rules
                        .iter()
                        .position(|r| r.pool == rule.pool)
                        .unwrap_or(i),
                    _ => i,
                };
                let name = job
                    .rules
                    .get(first)
                    .map_or(&rule.time_zone, |r| &r.time_zone);
                let tz = parse_tz(name).map_err(|message| MeterError::BadZone {
                    field: format!("products.{i}.rule.time_zone"),
                    message,
                })?;
                let z = zones.iter().position(|&t| t == tz).unwrap_or_else(|| {
                    zones.push(tz);
                    zones.len() - 1
                });
                of.push(z);
            }
            zone_of.push(of);
        }
        Ok(Setup {
            jobs,
            zones,
            zone_of,
            rates: scenario.products.values().map(RateTable::new).collect(),
            product_of_feature: Catalog::build(&usage.features, scenario)
                .products()
                .to_vec(),
        })
    }

    fn mappers(&self) -> Vec<DayMapper> {
        self.zones.iter().map(|&z| DayMapper::new(z)).collect()
    }

    fn rate(&self, product: ProductIdx, day: i32) -> Decimal {
        self.rates
            .get(usize::from(product))
            .map_or(Decimal::ZERO, |r| r.at(day))
    }

    fn zone(&self, job: usize, product: ProductIdx) -> usize {
        self.zone_of
            .get(job)
            .and_then(|z| z.get(usize::from(product)))
            .copied()
            .unwrap_or(0)
    }

    fn rule(&self, job: usize, product: ProductIdx) -> Option<&ProductRule> {
        self.jobs.get(job)?.rules.get(usize::from(product))
    }
}

/// The pools of the pool rules' jobs, a `DailyPeak` pool sharing the
/// replay of a `Concurrent` pool with the same products and zone and no
/// linger.
fn pool_jobs(setup: &Setup<'_>, nproducts: usize) -> Vec<PoolJob> {
    let mut pools: Vec<PoolJob> = Vec::new();
    for (j, job) in setup.jobs.iter().enumerate() {
        if !matches!(job.kind, RuleKind::Concurrent | RuleKind::DailyPeak) {
            continue;
        }
        // Pools by name, members in product order (as metering groups them).
        let mut names: Vec<(&str, Vec<ProductIdx>)> = Vec::new();
        for (i, rule) in job.rules.iter().enumerate() {
            let name = rule.pool.as_deref().unwrap_or("");
            match names.iter_mut().find(|(n, _)| *n == name) {
                Some((_, m)) => m.push(i as ProductIdx),
                None => names.push((name, vec![i as ProductIdx])),
            }
        }
        for (_, members) in names {
            let zone = members.first().map_or(0, |&p| setup.zone(j, p));
            let mut linger = vec![0u32; nproducts];
            if job.kind == RuleKind::Concurrent {
                for &p in &members {
                    if let (Some(l), Some(r)) = (linger.get_mut(usize::from(p)), setup.rule(j, p)) {
                        *l = r.linger_secs;
                    }
                }
            }
            let shared = pools
                .iter_mut()
                .find(|p| p.members == members && p.zone == zone && p.linger == linger);
            match (shared, job.kind) {
                (Some(p), RuleKind::DailyPeak) if p.days_for.is_none() => p.days_for = Some(j),
                (Some(p), RuleKind::Concurrent) if p.peak_for.is_none() => p.peak_for = Some(j),
                _ => pools.push(PoolJob {
                    members,
                    zone,
                    linger,
                    peak_for: (job.kind == RuleKind::Concurrent).then_some(j),
                    days_for: (job.kind == RuleKind::DailyPeak).then_some(j),
                }),
            }
        }
    }
    pools
}

/// Products that must be read together: those of one pool, under any job.
fn product_groups(nproducts: usize, pools: &[PoolJob]) -> Vec<Vec<ProductIdx>> {
    let mut group: Vec<usize> = (0..nproducts).collect();
    fn root(group: &mut [usize], mut i: usize) -> usize {
        while let Some(&g) = group.get(i) {
            if g == i {
                break;
            }
            i = g;
        }
        i
    }
    for pool in pools {
        let mut members = pool.members.iter().map(|&p| usize::from(p));
        let Some(first) = members.next() else {
            continue;
        };
        for m in members {
            let (a, b) = (root(&mut group, first), root(&mut group, m));
            if let Some(slot) = group.get_mut(b) {
                *slot = a;
            }
        }
    }
    let mut out: Vec<Vec<ProductIdx>> = Vec::new();
    let mut index_of_root = vec![usize::MAX; nproducts];
    for p in 0..nproducts {
        let r = root(&mut group, p);
        let Some(slot) = index_of_root.get_mut(r) else {
            continue;
        };
        if *slot == usize::MAX {
            *slot = out.len();
            out.push(Vec::new());
        }
        if let Some(g) = out.get_mut(*slot) {
            g.push(p as ProductIdx);
        }
    }
    out
}

/// The sessions of the group's products, compact, sorted by product, user,
/// start and duration.
fn collect(usage: &Usage, setup: &Setup<'_>, in_group: &[bool]) -> Vec<Rec> {
    let pieces: Vec<&[Session]> = usage
        .sessions
        .segments()
        .iter()
        .flat_map(|seg| seg.chunks(1 << 16))
        .collect();
    let parts: Vec<Vec<Rec>> = pieces
        .par_iter()
        .map(|piece| {
            piece
                .iter()
                .filter_map(|s| {
                    let p = setup
                        .product_of_feature
                        .get(s.feature as usize)
                        .copied()
                        .flatten()?;
                    in_group.get(usize::from(p)).copied()?.then_some(Rec {
                        product: p,
                        user: s.user,
                        start: s.start,
                        dur: s.dur,
                        host: s.host,
                        draw: s.draw,
                    })
                })
                .collect()
        })
        .collect();
    let mut recs: Vec<Rec> = Vec::with_capacity(parts.iter().map(Vec::len).sum());
    for p in parts {
        recs.extend(p);
    }
    // Runs need (product, user, start) order only (see `per_user_totals`
    // and `pool_run`): one integer key when the ids fit in it.
    let packed = recs
        .iter()
        .all(|r| r.product < (1 << 8) && r.user < (1 << 24));
    if packed {
        recs.par_sort_unstable_by_key(|r| {
            (u64::from(r.product) << 56) | (u64::from(r.user) << 32) | u64::from(r.start)
        });
    } else {
        recs.par_sort_unstable_by_key(|r| (r.product, r.user, r.start));
    }
    recs
}

/// The records cut into pieces for the threads, never inside a (product,
/// user) run.
fn run_pieces(recs: &[Rec]) -> Vec<(usize, usize)> {
    let n = recs.len();
    let pieces = (rayon::current_num_threads() * 8).max(1);
    let mut cuts = vec![0usize];
    for i in 1..pieces {
        let mut c = (n * i / pieces).max(cuts.last().copied().unwrap_or(0));
        while c > 0
            && c < n
            && recs
                .get(c - 1)
                .zip(recs.get(c))
                .is_some_and(|(a, b)| a.same_run(b))
        {
            c += 1;
        }
        if c < n && cuts.last().is_some_and(|&l| c > l) {
            cuts.push(c);
        }
    }
    cuts.push(n);
    cuts.windows(2)
        .filter_map(|w| Some((*w.first()?, *w.get(1)?)))
        .collect()
}

/// The (product, user) runs of `recs`.
fn runs(recs: &[Rec]) -> impl Iterator<Item = &[Rec]> {
    recs.chunk_by(|a, b| a.same_run(b))
}

/// Tokens counted per distinct rate, multiplied out once at the end (the
/// sum of `rate × n` over dates is exactly `rate × Σ n`).
#[derive(Default)]
struct ByRate(Vec<(Decimal, u64)>);

impl ByRate {
    fn add(&mut self, rate: Decimal, n: u64) {
        match self.0.iter_mut().find(|(r, _)| *r == rate) {
            Some((_, c)) => *c += n,
            None => self.0.push((rate, n)),
        }
    }
    fn merge(mut self, o: ByRate) -> ByRate {
        for (r, n) in o.0 {
            self.add(r, n);
        }
        self
    }
    fn tokens(&self) -> Decimal {
        self.0.iter().map(|(r, n)| *r * Decimal::from(*n)).sum()
    }
}

/// Hourly rows counted per (rate, seconds), priced once each at the end
/// (the rounding of [`tokens_for`] is per row, so equal rows cost the same).
#[derive(Default)]
struct BySeconds {
    rates: Vec<(Decimal, Vec<u64>)>,
    /// Rows longer than a day of 25 hours (never in a real zone): priced each.
    other: Decimal,
}

/// Longest local day counted in [`BySeconds`].
const MAX_DAY_SECS: usize = 25 * 3600;

impl BySeconds {
    fn add(&mut self, rate: Decimal, secs: i64) {
        let Some(i) = usize::try_from(secs).ok().filter(|&s| s <= MAX_DAY_SECS) else {
            self.other += tokens_for(rate, secs);
            return;
        };
        let counts = match self.rates.iter().position(|(r, _)| *r == rate) {
            Some(k) => self.rates.get_mut(k).map(|(_, c)| c),
            None => {
                self.rates.push((rate, vec![0; MAX_DAY_SECS + 1]));
                self.rates.last_mut().map(|(_, c)| c)
            }
        };
        if let Some(n) = counts.and_then(|c| c.get_mut(i)) {
            *n += 1;
        }
    }
    fn merge(mut self, o: BySeconds) -> BySeconds {
        self.other += o.other;
        for (rate, counts) in o.rates {
            match self.rates.iter_mut().find(|(r, _)| *r == rate) {
                Some((_, mine)) => {
                    for (a, b) in mine.iter_mut().zip(counts) {
                        *a += b;
                    }
                }
                None => self.rates.push((rate, counts)),
            }
        }
        self
    }
    fn tokens(&self) -> Decimal {
        let mut t = self.other;
        for (rate, counts) in &self.rates {
            for (secs, &n) in counts.iter().enumerate() {
                if n > 0 {
                    t += tokens_for(*rate, secs as i64) * Decimal::from(n);
                }
            }
        }
        t
    }
}

/// One thread's `Rolling24h` or `Hourly` sums.
#[derive(Default)]
struct UserSums {
    charges: u64,
    openings: ByRate,
    hours: BySeconds,
}

/// `Rolling24h` or `Hourly` (job `j`) over every (product, user) run.
fn per_user_totals(
    recs: &[Rec],
    pieces: &[(usize, usize)],
    setup: &Setup<'_>,
    j: usize,
) -> RuleTotals {
    let Some(job) = setup.jobs.get(j) else {
        return RuleTotals::default();
    };
    let sums = pieces
        .par_iter()
        .fold(
            || (UserSums::default(), setup.mappers(), Scratch::default()),
            |(mut sums, mut mappers, mut scratch), &(a, b)| {
                for run in runs(recs.get(a..b).unwrap_or_default()) {
                    let Some(first) = run.first() else { continue };
                    let Some(mapper) = mappers.get_mut(setup.zone(j, first.product)) else {
                        continue;
                    };
                    if job.kind == RuleKind::Rolling24h {
                        rolling_run(run, setup, j, mapper, &mut sums);
                    } else {
                        let zone = setup.zone(j, first.product);
                        hourly_run(run, setup, (mapper, zone), &mut scratch, &mut sums);
                    }
                }
                (sums, mappers, scratch)
            },
        )
        .map(|(s, _, _)| s)
        .reduce(UserSums::default, |a, b| UserSums {
            charges: a.charges + b.charges,
            openings: a.openings.merge(b.openings),
            hours: a.hours.merge(b.hours),
        });
    RuleTotals {
        charges: sums.charges,
        tokens: sums.openings.tokens() + sums.hours.tokens(),
    }
}

/// A thread's reusable buffers.
#[derive(Default)]
struct Scratch {
    intervals: Vec<(i64, i64)>,
    days: Vec<(i32, i64)>,
    midnights: Vec<DenseDays<i64>>,
    recs: Vec<Rec>,
    cluster: Vec<(i64, i64)>,
    open: Vec<u32>,
    memo: Memo,
}

/// One user's `Rolling24h` charges of one product, as
/// [`rolling24h`](crate::meter::rolling24h) opens them.
fn rolling_run(
    run: &[Rec],
    setup: &Setup<'_>,
    j: usize,
    mapper: &mut DayMapper,
    sums: &mut UserSums,
) {
    let Some(first) = run.first() else { return };
    let grace = setup.rule(j, first.product).map_or(0, |r| r.grace_secs);
    let intervals: Vec<(i64, i64)> = run
        .iter()
        .filter(|r| r.dur >= grace)
        .map(|r| (r.start(), r.end()))
        .collect();
    for at in charge_openings(&intervals) {
        sums.charges += 1;
        sums.openings
            .add(setup.rate(first.product, mapper.day(at)), 1);
    }
}

/// One user's `Hourly` rows of one product, as
/// [`hourly`](crate::meter::hourly) splits and prices them.
fn hourly_run(
    run: &[Rec],
    setup: &Setup<'_>,
    (mapper, zone): (&mut DayMapper, usize),
    scratch: &mut Scratch,
    sums: &mut UserSums,
) {
    let Some(first) = run.first() else { return };
    // The union of the sessions (sorted by start), touching ones merged.
    let merged = &mut scratch.intervals;
    merged.clear();
    for r in run {
        let (s, e) = (r.start(), r.end());
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    if scratch.midnights.len() < setup.zones.len() {
        scratch
            .midnights
            .resize(setup.zones.len(), DenseDays::default());
    }
    let Some(midnights) = scratch.midnights.get_mut(zone) else {
        return;
    };
    let days = &mut scratch.days;
    days.clear();
    for &(mut a, b) in merged.iter() {
        while a < b {
            let d = mapper.day(a);
            let next = *midnights
                .slot(d + 1)
                .get_or_insert_with(|| mapper.midnight(d + 1));
            let cut = if next > a { b.min(next) } else { b };
            match days.last_mut() {
                Some(last) if last.0 == d => last.1 += cut - a,
                _ => days.push((d, cut - a)),
            }
            a = cut;
        }
    }
    // Dates come in order unless a zone's dates go back: sum equal dates.
    days.sort_by_key(|&(d, _)| d);
    let mut i = 0;
    while let Some(&(d, _)) = days.get(i) {
        let mut secs = 0;
        while let Some(&(e, s)) = days.get(i) {
            if e != d {
                break;
            }
            secs += s;
            i += 1;
        }
        if secs > 0 {
            sums.charges += 1;
            sums.hours.add(setup.rate(first.product, d), secs);
        }
    }
}

/// A pool's steps: the days its users held each product (the per-user
/// rows' charges), and each piece's packed [`Steps`].
struct PoolSteps {
    pair_days: u64,
    base: i64,
    parts: Vec<Vec<u64>>,
}

/// The steps of `pool` from the sorted sessions, piece by piece in parallel.
fn pool_steps(
    recs: &[Rec],
    pieces: &[(usize, usize)],
    setup: &Setup<'_>,
    pool: &PoolJob,
) -> PoolSteps {
    let member = |p: ProductIdx| pool.members.contains(&p);
    let base = recs
        .par_iter()
        .filter(|r| member(r.product))
        .map(|r| r.start())
        .min()
        .unwrap_or(0);
    let parts: Vec<(u64, Vec<u64>)> = pieces
        .par_iter()
        .map_init(
            || (setup.mappers(), Scratch::default()),
            |(mappers, scratch), &(a, b)| {
                let mut days = 0u64;
                let mut events = Steps {
                    base,
                    packed: Vec::with_capacity(2 * b.saturating_sub(a)),
                };
                if let Some(mapper) = mappers.get_mut(pool.zone) {
                    for run in runs(recs.get(a..b).unwrap_or_default()) {
                        if run.first().is_some_and(|r| member(r.product)) {
                            days += pool_run(run, setup, pool, mapper, scratch, &mut events);
                        }
                    }
                }
                (days, events.packed)
            },
        )
        .collect();
    PoolSteps {
        pair_days: parts.iter().map(|(d, _)| d).sum(),
        base,
        parts: parts.into_iter().map(|(_, e)| e).collect(),
    }
}

/// A pool replayed from its steps: the days its users held each product,
/// its peak and the sum of its daily peaks.
fn replay_steps(steps: PoolSteps, setup: &Setup<'_>, pool: &PoolJob) -> (u64, u32, u64) {
    // One vector of the pieces' steps, each piece freed once copied.
    let mut events: Vec<u64> = Vec::with_capacity(steps.parts.iter().map(Vec::len).sum());
    for part in steps.parts {
        events.extend_from_slice(&part);
    }
    events.par_sort_unstable();
    let mut mapper = DayMapper::new(
        setup
            .zones
            .get(pool.zone)
            .copied()
            .unwrap_or(chrono_tz::UTC),
    );
    let (peak, day_peaks) = sweep(&events, steps.base, &mut mapper, pool.days_for.is_some());
    (steps.pair_days, peak, day_peaks)
}

/// Bits of a step's change in a packed event.
const DELTA_BITS: u32 = 24;
/// Added to a change to pack it unsigned.
const BIAS: i64 = 1 << (DELTA_BITS - 1);
/// Largest rate a pool's draws are packed with (a change of draw fits
/// [`DELTA_BITS`] bits); a pool rule with a larger rate is metered instead.
pub(crate) const MAX_PACKED_DRAW: i64 = BIAS - 1;

/// Steps of the holders' draws, packed as (instant − `base`) above the
/// change plus [`BIAS`]: sorting the integers sorts by instant (the order
/// of changes at one instant does not matter to [`sweep`], which adds
/// them up before looking). Instants are at most 2³⁴ s after `base`.
struct Steps {
    base: i64,
    packed: Vec<u64>,
}

impl Steps {
    #[inline]
    fn push(&mut self, (t, d): (i64, i64)) {
        debug_assert!(t >= self.base && d.abs() <= MAX_PACKED_DRAW);
        self.packed
            .push((((t - self.base) as u64) << DELTA_BITS) | (d + BIAS) as u64);
    }
}

/// The (instant, change) of a packed step.
#[inline]
fn unpack(k: u64, base: i64) -> (i64, i64) {
    (
        base + (k >> DELTA_BITS) as i64,
        (k & ((1 << DELTA_BITS) - 1)) as i64 - BIAS,
    )
}

/// The draw of `r` in `pool`: the session's own count, else the product's
/// rate on its checkout date, as metering draws it. `memo` keeps the last
/// rate turned into a draw: rates change seldom.
fn draw_of(r: &Rec, setup: &Setup<'_>, mapper: &mut DayMapper, memo: &mut Memo) -> u32 {
    if r.draw != 0 {
        return u32::from(r.draw);
    }
    let rate = setup.rate(r.product, mapper.day(r.start()));
    if memo.0 == Some(rate) {
        return memo.1;
    }
    let draw = whole_draw(rate).unwrap_or(0);
    *memo = (Some(rate), draw);
    draw
}

/// The last rate priced by [`draw_of`] and its draw.
type Memo = (Option<Decimal>, u32);

/// One (product, user) run of a pool: the dates the user held the product
/// (returned) and the steps of each holder's draw (pushed to `events`).
fn pool_run(
    run: &[Rec],
    setup: &Setup<'_>,
    pool: &PoolJob,
    mapper: &mut DayMapper,
    scratch: &mut Scratch,
    events: &mut Steps,
) -> u64 {
    let Some(first) = run.first() else { return 0 };
    let linger = i64::from(
        pool.linger
            .get(usize::from(first.product))
            .copied()
            .unwrap_or(0),
    );
    // Dates held: the union of the holds that draw something.
    let mut days = 0u64;
    let mut last_day = i32::MIN;
    let mut cur: Option<(i64, i64)> = None;
    let mut count = |a: i64, b: i64, mapper: &mut DayMapper| {
        let (lo, hi) = held_days(a, b, mapper);
        let lo = lo.max(last_day.saturating_add(1));
        if hi >= lo {
            days += (hi - lo) as u64 + 1;
            last_day = hi;
        }
    };
    for r in run {
        let (s, e) = (r.start(), r.end() + linger);
        if e <= s || draw_of(r, setup, mapper, &mut scratch.memo) == 0 {
            continue;
        }
        cur = match cur {
            Some((a, b)) if s <= b => Some((a, b.max(e))),
            Some((a, b)) => {
                count(a, b, mapper);
                Some((s, e))
            }
            None => Some((s, e)),
        };
    }
    if let Some((a, b)) = cur {
        count(a, b, mapper);
    }
    // Holders: one per host; the run is sorted by start, so a run of one
    // host is its holder's sessions in order.
    if run.iter().all(|r| r.host == first.host) {
        holder_steps(run, linger, setup, mapper, scratch, events);
    } else {
        let mut by_host = std::mem::take(&mut scratch.recs);
        by_host.clear();
        by_host.extend_from_slice(run);
        by_host.sort_by_key(|r| (r.host, r.start, r.dur, r.draw));
        for holder in by_host.chunk_by(|a, b| a.host == b.host) {
            holder_steps(holder, linger, setup, mapper, scratch, events);
        }
        scratch.recs = by_host;
    }
    days
}

/// The dates a hold over `[a, b)` touches, as
/// [`PoolTimeline::daily_peaks`](crate::meter::PoolTimeline::daily_peaks)
/// fills them: from the date of `a` to the date of `b`, that last one only
/// when `b` is not its midnight.
fn held_days(a: i64, b: i64, mapper: &mut DayMapper) -> (i32, i32) {
    let first = mapper.day(a);
    let end = mapper.day(b);
    let last = if end <= first {
        first
    } else if mapper.day(b - 1) == end {
        end
    } else {
        end - 1
    };
    (first, last)
}

/// The steps of one holder's draw (the largest of its open checkouts) as
/// (instant, change) events; `holder` is sorted by start.
fn holder_steps(
    holder: &[Rec],
    linger: i64,
    setup: &Setup<'_>,
    mapper: &mut DayMapper,
    scratch: &mut Scratch,
    events: &mut Steps,
) {
    let mut i = 0;
    while i < holder.len() {
        // A cluster: checkouts that overlap one another.
        let mut j = i;
        let mut until = i64::MIN;
        while let Some(r) = holder.get(j) {
            let (s, e) = (r.start(), r.end() + linger);
            if j > i && s >= until {
                break;
            }
            if e > s {
                until = until.max(e);
            }
            j += 1;
        }
        let cluster = holder.get(i..j).unwrap_or_default();
        if let [r] = cluster {
            let (s, e) = (r.start(), r.end() + linger);
            if e <= s {
                i = j;
                continue;
            }
            let d = i64::from(draw_of(r, setup, mapper, &mut scratch.memo));
            if d > 0 {
                events.push((s, d));
                events.push((e, -d));
            }
        } else {
            cluster_steps(cluster, linger, setup, mapper, scratch, events);
        }
        i = j;
    }
}

/// [`holder_steps`] of overlapping checkouts: their checkins and checkouts
/// in time order (checkins first at an instant), the holder's draw after
/// each instant compared with before.
fn cluster_steps(
    cluster: &[Rec],
    linger: i64,
    setup: &Setup<'_>,
    mapper: &mut DayMapper,
    scratch: &mut Scratch,
    events: &mut Steps,
) {
    let local = &mut scratch.cluster;
    local.clear();
    for r in cluster {
        let (s, e) = (r.start(), r.end() + linger);
        if e <= s {
            continue;
        }
        let d = i64::from(draw_of(r, setup, mapper, &mut scratch.memo));
        // Checkouts as +draw + 1, checkins as -(draw + 1): checkins sort
        // first at an instant.
        local.push((s, d + 1));
        local.push((e, -(d + 1)));
    }
    local.sort_unstable();
    let open = &mut scratch.open;
    open.clear();
    let mut held = 0i64;
    let mut k = 0;
    while let Some(&(t, _)) = local.get(k) {
        while let Some(&(et, code)) = local.get(k) {
            if et != t {
                break;
            }
            k += 1;
            let d = (code.abs() - 1) as u32;
            if code < 0 {
                if let Ok(pos) = open.binary_search(&d) {
                    open.remove(pos);
                }
            } else {
                let pos = open.partition_point(|&x| x <= d);
                open.insert(pos, d);
            }
        }
        let now = i64::from(open.last().copied().unwrap_or(0));
        if now != held {
            events.push((t, now - held));
            held = now;
        }
    }
}

/// The running draw of `events` (packed [`Steps`], sorted): its peak, and
/// the sum over local dates of each date's peak when `days` is asked for.
fn sweep(events: &[u64], base: i64, mapper: &mut DayMapper, days: bool) -> (u32, u64) {
    let mut peak: i64 = 0;
    let mut cur: i64 = 0;
    let mut day_peak: DenseDays<u32> = DenseDays::default();
    let mut prev: Option<(i64, i64)> = None;
    let mut i = 0;
    while let Some(&k) = events.get(i) {
        let (t, _) = unpack(k, base);
        while let Some(&k) = events.get(i) {
            let (et, d) = unpack(k, base);
            if et != t {
                break;
            }
            cur += d;
            i += 1;
        }
        if days && let Some((pt, pv)) = prev.filter(|&(_, v)| v > 0) {
            let (lo, hi) = held_days(pt, t, mapper);
            let v = u32::try_from(pv).unwrap_or(u32::MAX);
            for d in lo..=hi {
                let slot = day_peak.slot(d).get_or_insert(0);
                *slot = (*slot).max(v);
            }
        }
        peak = peak.max(cur);
        prev = Some((t, cur));
    }
    let total = day_peak.iter().map(|(_, &p)| u64::from(p)).sum();
    (u32::try_from(peak).unwrap_or(u32::MAX), total)
}

/// True when local dates of `tz` never go back in time between `lo` and
/// `hi` (seconds since the epoch): no clock falls back across midnight.
/// The walk of [`sweep`] and [`pool_run`] equals metering's there.
pub(crate) fn dates_never_go_back(tz: Tz, lo: i64, hi: i64) -> bool {
    let mut mapper = DayMapper::new(tz);
    let mut t = lo;
    let mut off = mapper.offset(t);
    while t < hi {
        let next = (t + 3600).min(hi);
        let o = mapper.offset(next);
        if o < off {
            // A fall-back in (t, next]: look at each second.
            let mut prev_day = mapper.day(t);
            for x in t + 1..=next {
                let d = mapper.day(x);
                if d < prev_day {
                    return false;
                }
                prev_day = d;
            }
        }
        off = o;
        t = next;
    }
    true
}
