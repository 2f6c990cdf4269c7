//! `Rolling24h`: a charge covers 24 h from the first use (Autodesk Flex).

use crate::meter::{PairCharges, ProductIdx, ProductPlan};
use crate::usage::Session;

/// Charges of one product's sessions, and the number of free sessions.
pub(crate) fn meter_product(
    _sessions: &[Session],
    _product: ProductIdx,
    _plan: &ProductPlan<'_>,
) -> (Vec<PairCharges>, u64) {
    (Vec::new(), 0)
}
