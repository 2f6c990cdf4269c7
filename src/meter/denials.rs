//! Logged denials of `Concurrent` products, features mapped to products
//! (SPEC §5): the input of adding denied demand back before a pool is sized
//! ([`crate::ledger::pools`]).
//!
//! Metering only maps: every [`Denial`] of the usage whose feature the
//! catalog resolves to a product with a `Concurrent` rule becomes one
//! [`PoolDenial`]; denials of other products, or of features no product
//! maps, are not demand any pool is sized on and are left out here (the
//! importers have already counted them). The filters of SPEC §5
//! (entitlement records, chained retries, retries that were served) need
//! the pool's checkouts, so they run at sizing.
//!
//! [`Denial`]: crate::usage::Denial

use super::{Catalog, ProductIdx, ProductRule, RuleKind};
use crate::usage::{HostId, Usage, UserId};

/// A logged denial of a `Concurrent` product. Field order is the sort
/// order: by product, user@host, then time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolDenial {
    /// The product the denied feature maps to.
    pub product: ProductIdx,
    /// Who was refused.
    pub user: UserId,
    /// On which workstation.
    pub host: HostId,
    /// When, seconds since the epoch (UTC).
    pub at: i64,
    /// Tokens (licenses) asked for: the log's `(N licenses)`, the RLM
    /// record's count, 1 when the line gives none.
    pub count: u32,
}

/// The denials of `usage` whose feature maps to a `Concurrent` product of
/// `rules` (indexed by product), sorted.
pub(crate) fn pool_denials(
    usage: &Usage,
    catalog: &Catalog,
    rules: &[ProductRule],
) -> Vec<PoolDenial> {
    let mut out: Vec<PoolDenial> = usage
        .denials
        .iter()
        .filter_map(|d| {
            let product = catalog.product_of(d.feature)?;
            let rule = rules.get(usize::from(product))?;
            (rule.kind == RuleKind::Concurrent).then_some(PoolDenial {
                product,
                user: d.user,
                host: d.host,
                at: d.at,
                count: d.count,
            })
        })
        .collect();
    out.sort_unstable();
    out
}
