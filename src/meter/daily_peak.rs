//! `DailyPeak`: per calendar day, the pool's peak concurrent draw.

use crate::meter::{PairCharges, PoolUsage, ProductIdx, ProductPlan};
use crate::usage::Session;

/// Meters one pool.
pub(crate) fn meter_pool(
    name: &str,
    _members: &[(ProductIdx, &[Session])],
    _plans: &[ProductPlan<'_>],
) -> (PoolUsage, Vec<PairCharges>) {
    (
        PoolUsage {
            name: name.into(),
            rule: crate::meter::RuleKind::DailyPeak,
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
