//! What-ifs re-metered part by part: a what-if that changes sessions or
//! rules only needs the products (or the (user, product) pairs) it changes
//! metered again, and products are metered independently of one another,
//! except the products that share a pool. So a what-if collects the
//! sessions of one group of products at a time ([`ProductGroups`]: a
//! product alone, or all products of one pool) and meters them under the
//! whole scenario, never copying the whole history at once.
//!
//! Use-days join their pairs inside metering; a usage with use-days is
//! re-metered whole by the callers instead.

use rayon::prelude::*;

use crate::meter::{Catalog, ProductIdx};
use crate::scenario::{Rule, Scenario};
use crate::usage::{Session, Sessions, Usage, UserId};

/// Products grouped as metering couples them.
pub(crate) struct ProductGroups {
    /// Group of each product (scenario code order).
    pub(crate) of_product: Vec<usize>,
    /// True for a group of pool products (`Concurrent`, `DailyPeak`).
    pub(crate) pooled: Vec<bool>,
    /// Group of each feature id, `None` when no product matches it.
    pub(crate) of_feature: Vec<Option<usize>>,
    /// Product of each feature id, as metering maps it.
    pub(crate) product_of_feature: Vec<Option<ProductIdx>>,
}

impl ProductGroups {
    /// The groups of `scenario`'s products, and the features of `usage`
    /// mapped as metering maps them.
    pub(crate) fn new(usage: &Usage, scenario: &Scenario) -> ProductGroups {
        let mut of_product = Vec::with_capacity(scenario.products.len());
        let mut pooled = Vec::new();
        let mut pools: Vec<(u8, String, usize)> = Vec::new();
        for (code, product) in &scenario.products {
            let pool = match &product.rule {
                Rule::Concurrent { pool, .. } => Some((0u8, pool.clone())),
                Rule::DailyPeak { pool, .. } => Some((1u8, pool.clone())),
                _ => None,
            };
            let group = match pool {
                Some((kind, name)) => {
                    let name = name.unwrap_or_else(|| code.clone());
                    match pools.iter().find(|(k, n, _)| *k == kind && *n == name) {
                        Some(&(_, _, g)) => g,
                        None => {
                            pooled.push(true);
                            pools.push((kind, name, pooled.len() - 1));
                            pooled.len() - 1
                        }
                    }
                }
                None => {
                    pooled.push(false);
                    pooled.len() - 1
                }
            };
            of_product.push(group);
        }
        let catalog = Catalog::build(&usage.features, scenario);
        let product_of_feature = catalog.products().to_vec();
        let of_feature = product_of_feature
            .iter()
            .map(|p| p.and_then(|p| of_product.get(usize::from(p)).copied()))
            .collect();
        ProductGroups {
            of_product,
            pooled,
            of_feature,
            product_of_feature,
        }
    }

    /// Number of groups.
    pub(crate) fn len(&self) -> usize {
        self.pooled.len()
    }

    /// The group of `s`'s product.
    #[inline]
    pub(crate) fn of_session(&self, s: &Session) -> Option<usize> {
        self.of_feature.get(s.feature as usize).copied().flatten()
    }

    /// The product of `s`.
    #[inline]
    pub(crate) fn product(&self, s: &Session) -> Option<ProductIdx> {
        self.product_of_feature
            .get(s.feature as usize)
            .copied()
            .flatten()
    }
}

/// The sessions `keep` maps to a session, in import order, in parallel;
/// `init` makes each thread's scratch state for `keep`.
pub(crate) fn collect_sessions<T>(
    usage: &Usage,
    init: impl Fn() -> T + Sync + Send,
    keep: impl Fn(&mut T, &Session) -> Option<Session> + Sync + Send,
) -> Sessions {
    let pieces: Vec<&[Session]> = usage
        .sessions
        .segments()
        .iter()
        .flat_map(|seg| seg.chunks(1 << 16))
        .collect();
    let parts: Vec<Vec<Session>> = pieces
        .par_iter()
        .map_init(init, |state, piece| {
            piece.iter().filter_map(|s| keep(state, s)).collect()
        })
        .collect();
    let mut out = Sessions::default();
    for p in parts {
        if !p.is_empty() {
            out.push_segment(p);
        }
    }
    out
}

/// A set of (user, product) pairs: bits of a users × products table when
/// that is small, sorted keys otherwise.
#[derive(Clone, Debug)]
pub(crate) enum PairSet {
    Dense { products: usize, bits: Vec<u64> },
    Sparse(Vec<u64>),
}

/// Largest users × products kept as bits (16 MiB).
const DENSE_BITS: usize = 1 << 27;

impl PairSet {
    /// An empty set for `users` × `products`.
    pub(crate) fn new(users: usize, products: usize) -> PairSet {
        let cells = users.saturating_mul(products);
        if cells <= DENSE_BITS {
            PairSet::Dense {
                products,
                bits: vec![0; cells.div_ceil(64)],
            }
        } else {
            PairSet::Sparse(Vec::new())
        }
    }

    fn key(user: UserId, product: ProductIdx) -> u64 {
        (u64::from(user) << 16) | u64::from(product)
    }

    /// Adds (user, product).
    #[inline]
    pub(crate) fn insert(&mut self, user: UserId, product: ProductIdx) {
        match self {
            PairSet::Dense { products, bits } => {
                let cell = user as usize * *products + usize::from(product);
                if usize::from(product) < *products
                    && let Some(w) = bits.get_mut(cell / 64)
                {
                    *w |= 1 << (cell % 64);
                    return;
                }
                // Out of the table (never produced): kept nowhere would
                // lose it, so the caller's dense set is replaced.
                let mut keys = self.keys();
                keys.push(Self::key(user, product));
                *self = PairSet::Sparse(keys);
            }
            PairSet::Sparse(keys) => keys.push(Self::key(user, product)),
        }
    }

    /// Every key, ascending and without repeats.
    fn keys(&self) -> Vec<u64> {
        match self {
            PairSet::Dense { products, bits } => {
                let mut out = Vec::new();
                for (i, &w) in bits.iter().enumerate() {
                    let mut w = w;
                    while w != 0 {
                        let cell = i * 64 + w.trailing_zeros() as usize;
                        w &= w - 1;
                        if let Some(user) = cell.checked_div(*products) {
                            out.push(Self::key(user as UserId, (cell % *products) as ProductIdx));
                        }
                    }
                }
                out
            }
            PairSet::Sparse(keys) => {
                let mut k = keys.clone();
                k.sort_unstable();
                k.dedup();
                k
            }
        }
    }

    /// Sorts a sparse set for [`PairSet::contains`].
    pub(crate) fn seal(&mut self) {
        if let PairSet::Sparse(keys) = self {
            keys.sort_unstable();
            keys.dedup();
        }
    }

    /// Both sets (`self` is sealed again by the caller).
    pub(crate) fn union(self, other: PairSet) -> PairSet {
        match (self, other) {
            (
                PairSet::Dense { products, mut bits },
                PairSet::Dense {
                    products: p2,
                    bits: b2,
                },
            ) if products == p2 && bits.len() == b2.len() => {
                for (a, b) in bits.iter_mut().zip(&b2) {
                    *a |= *b;
                }
                PairSet::Dense { products, bits }
            }
            (a, b) => {
                let mut keys = a.keys();
                keys.extend(b.keys());
                keys.sort_unstable();
                keys.dedup();
                PairSet::Sparse(keys)
            }
        }
    }

    /// True when (user, product) is in the set (a sparse set sealed).
    #[inline]
    pub(crate) fn contains(&self, user: UserId, product: ProductIdx) -> bool {
        match self {
            PairSet::Dense { products, bits } => {
                let cell = user as usize * *products + usize::from(product);
                usize::from(product) < *products
                    && bits
                        .get(cell / 64)
                        .is_some_and(|w| (w >> (cell % 64)) & 1 == 1)
            }
            PairSet::Sparse(keys) => keys.binary_search(&Self::key(user, product)).is_ok(),
        }
    }
}
