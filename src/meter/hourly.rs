//! `Hourly`: `rate` × hours used, pro rata.

use crate::meter::{PairCharges, ProductIdx, ProductPlan};
use crate::usage::Session;

/// Charges of one product's sessions.
pub(crate) fn meter_product(
    _sessions: &[Session],
    _product: ProductIdx,
    _plan: &ProductPlan<'_>,
) -> Vec<PairCharges> {
    Vec::new()
}
