//! `Concurrent`: a pool of concurrent tokens.

use rust_decimal::Decimal;

use crate::meter::{PairCharges, PoolUsage, ProductIdx, ProductPlan};
use crate::usage::{HostId, Session, UserId};

/// A checkout as a pool sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PoolSession {
    /// Checkout.
    pub start: i64,
    /// End of holding.
    pub end: i64,
    /// Who.
    pub user: UserId,
    /// Where.
    pub host: HostId,
    /// Product.
    pub product: ProductIdx,
    /// Draw.
    pub draw: u32,
}

/// Result of a replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PoolReplay {
    /// Peak.
    pub peak: u32,
}

/// Sorted events.
pub struct PoolTimeline;

/// Replays.
pub fn replay_pool(_sessions: &[PoolSession], _size: Option<u32>) -> PoolReplay {
    PoolReplay::default()
}

pub(crate) fn whole_draw(d: Decimal) -> Option<u32> {
    if d.fract().is_zero() {
        u32::try_from(d.mantissa() / 10i128.pow(d.scale())).ok()
    } else {
        None
    }
}

/// Meters one pool.
pub(crate) fn meter_pool(
    name: &str,
    _members: &[(ProductIdx, &[Session])],
    _plans: &[ProductPlan<'_>],
) -> (PoolUsage, Vec<PairCharges>) {
    (
        PoolUsage {
            name: name.into(),
            rule: crate::meter::RuleKind::Concurrent,
            products: Vec::new(),
            time_zone: String::new(),
            peak: 0,
            peak_at: None,
            daily_peaks: Vec::new(),
            sessions: Vec::new(),
        },
        Vec::new(),
    )
}
