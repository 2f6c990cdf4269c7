//! `DailyPeak`: per calendar day, the pool's peak concurrent draw (Siemens
//! Token-Days, SPEC §2).
//!
//! A `DailyPeak` product is its own pool; its sessions hold their draw (the
//! source's count, else the rate on the checkout's date) from checkout to
//! checkin. [`PoolUsage::daily_peaks`](crate::meter::PoolUsage) holds the
//! peak per local date of the rule's zone (default: server zone): what the
//! vendor bills, summed by [`PoolUsage::peak_days_total`](crate::meter::PoolUsage::peak_days_total).
//! Per-user rows are attributed as under `Concurrent`: each user's own peak
//! draw of the product per date.

use crate::meter::concurrent::meter_pool_as;
use crate::meter::{PairCharges, PoolUsage, ProductIdx, ProductPlan, RuleKind};
use crate::usage::Session;

/// Meters one `DailyPeak` pool.
pub(crate) fn meter_pool(
    name: &str,
    members: &[(ProductIdx, &[Session])],
    plans: &[ProductPlan<'_>],
) -> (PoolUsage, Vec<PairCharges>) {
    meter_pool_as(name, members, plans, RuleKind::DailyPeak)
}
