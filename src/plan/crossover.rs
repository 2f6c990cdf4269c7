//! Crossover: how many use-days a year make a subscription cheaper than
//! tokens (SPEC §4).

use rust_decimal::Decimal;

use super::input::PlanInput;

/// The crossover of one subscription for one product it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Crossover {
    /// Subscription code.
    pub subscription: String,
    /// Product code.
    pub product: String,
    /// The product's tokens per use-day in force at the contract start.
    pub rate: Decimal,
    /// The token price used.
    pub token_price: Decimal,
    /// Subscription price ÷ (rate × token price), exact; `None` when a day
    /// of use costs nothing (the subscription never pays off).
    pub days_per_year: Option<Decimal>,
    /// `days_per_year` ÷ 12, exact.
    pub days_per_month: Option<Decimal>,
}

/// The crossover table: per subscription (code order) × covered product
/// (code order), the use-days above which the subscription is cheaper than
/// tokens at `token_price`. A collection gets one row per product, as if
/// that product alone were used.
///
/// Which price to pass is the caller's choice: the recommendation report
/// uses the marginal price of a token in the recommended plan (the price of
/// the tier its purchase reaches, [`Purchase::price`](super::Purchase)); a
/// table shown before any optimisation would use the first tier's price.
/// Rates are those in force at the contract start, as the forecast's; pool
/// products (`Concurrent`, `DailyPeak`) have no crossover.
pub fn crossover(input: &PlanInput, token_price: Decimal) -> Vec<Crossover> {
    input
        .cover_rates
        .iter()
        .filter_map(|(si, product, rate)| {
            let sub = input.subscriptions.get(*si)?;
            let day = *rate * token_price;
            let per_year = (!day.is_zero()).then(|| sub.price / day);
            Some(Crossover {
                subscription: sub.code.clone(),
                product: product.clone(),
                rate: *rate,
                token_price,
                days_per_year: per_year,
                days_per_month: (!day.is_zero()).then(|| sub.price / (day * Decimal::from(12))),
            })
        })
        .collect()
}
