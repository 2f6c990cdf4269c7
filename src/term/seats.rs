//! Seats year to year: renewal versus new seats, and the seats held before
//! the term (SPEC §8).
//!
//! Seats are counted per subscription, whoever holds them. In year y,
//! kept = min(seats held in y − 1, seats held in y) cost the renewal
//! price, the rest are added at the new-seat price ([`SeatChange`],
//! [`seat_cost`]). The seats held before year 1 ([`SeatsBefore`]) are
//! `contract.current_seats` when given, else the rows of the assignments
//! file; with neither they are unknown, year 1's seats are all new and
//! renewing as-is cannot be costed.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::Serialize;

use crate::plan::PlanInput;
use crate::plan::input::bits;
use crate::scenario::Scenario;

/// How a subscription's seat count changed from one year to the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SeatChange {
    /// Seats held both years: renewed.
    pub kept: u32,
    /// Seats held this year and not the year before: bought new.
    pub added: u32,
    /// Seats held the year before and not this year.
    pub dropped: u32,
}

impl SeatChange {
    /// The change from `before` seats to `now` seats.
    pub fn between(before: u32, now: u32) -> SeatChange {
        let kept = before.min(now);
        SeatChange {
            kept,
            added: now - kept,
            dropped: before - kept,
        }
    }
}

/// What a year's seats of one subscription cost: kept seats at `renewal`,
/// added seats at `new_seat`.
pub fn seat_cost(change: SeatChange, new_seat: Decimal, renewal: Decimal) -> Decimal {
    renewal * Decimal::from(change.kept) + new_seat * Decimal::from(change.added)
}

/// Where the seats held before year 1 come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum SeatsSource {
    /// The scenario's `contract.current_seats`.
    CurrentSeats,
    /// The assignments file: one seat per (user, subscription) row.
    Assignments,
    /// Neither was given.
    Unknown,
}

/// The seats held before year 1.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeatsBefore {
    /// Where they come from.
    pub source: SeatsSource,
    /// Per subscription index of [`PlanInput::subscriptions`] (all 0 when
    /// unknown).
    pub seats: Vec<u32>,
}

impl SeatsBefore {
    /// True when the seats held before year 1 are known.
    pub fn known(&self) -> bool {
        self.source != SeatsSource::Unknown
    }
}

/// The seats held before year 1 (see the module doc): `current_seats`
/// (subscriptions it leaves out hold none), else the current assignments
/// as [`PlanInput`] read them (one seat per user and subscription), else
/// unknown.
pub fn seats_before(scenario: &Scenario, input: &PlanInput) -> SeatsBefore {
    let n = input.subscriptions.len();
    if !scenario.contract.current_seats.is_empty() {
        let by_code: &BTreeMap<String, u32> = &scenario.contract.current_seats;
        return SeatsBefore {
            source: SeatsSource::CurrentSeats,
            seats: input
                .subscriptions
                .iter()
                .map(|s| by_code.get(&s.code).copied().unwrap_or(0))
                .collect(),
        };
    }
    if input.has_assignments {
        let mut seats = vec![0u32; n];
        for u in &input.users {
            for i in bits(u.current) {
                seats[i] += 1;
            }
        }
        return SeatsBefore {
            source: SeatsSource::Assignments,
            seats,
        };
    }
    SeatsBefore {
        source: SeatsSource::Unknown,
        seats: vec![0; n],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SPEC §8: 10 AEC seats held today, 12 wanted in year 1 → 10 × 3300
    /// + 2 × 3675 = 33,000 + 7,350 = 40,350.00.
    #[test]
    fn spec_renewal_example() {
        let change = SeatChange::between(10, 12);
        assert_eq!(
            change,
            SeatChange {
                kept: 10,
                added: 2,
                dropped: 0
            }
        );
        let cost = seat_cost(
            change,
            "3675.00".parse().unwrap(),
            "3300.00".parse().unwrap(),
        );
        assert_eq!(cost, "40350.00".parse::<Decimal>().unwrap());
    }

    #[test]
    fn dropping_seats_renews_the_rest() {
        assert_eq!(
            SeatChange::between(12, 5),
            SeatChange {
                kept: 5,
                added: 0,
                dropped: 7
            }
        );
        // 5 × 3300
        assert_eq!(
            seat_cost(
                SeatChange::between(12, 5),
                Decimal::from(3675),
                Decimal::from(3300)
            ),
            Decimal::from(16_500)
        );
        assert_eq!(SeatChange::between(0, 0), SeatChange::default());
    }
}
