//! Number formatting for the screen: exact decimals with thousands
//! separators, never rounded through `f64`.

use rust_decimal::Decimal;

/// `value` exactly, trailing zeros removed, thousands grouped with `,`:
/// `1234567.50` → `1,234,567.5`.
pub fn decimal(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = match digits.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (digits, None),
    };
    let mut out = String::with_capacity(text.len() + int.len() / 3);
    out.push_str(sign);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(f) = frac {
        out.push('.');
        out.push_str(f);
    }
    out
}

/// A count with thousands grouped: `45036` → `45,036`.
pub fn count(n: u64) -> String {
    decimal(Decimal::from(n))
}

/// Money with two places and its currency: `1234.5`, `USD` → `1,234.50 USD`.
pub fn money(value: Decimal, currency: &str) -> String {
    let mut v = value.round_dp(2);
    v.rescale(2);
    // `decimal` drops trailing zeros; money always shows two places.
    let text = two_places(&decimal(v));
    format!("{text} {currency}")
}

/// Tokens as the screen writes them everywhere: rounded to two places
/// (half away from zero), whole numbers without decimals, fractions with
/// exactly two: `45924.9` → `45,924.90`, `2794.257` → `2,794.26`, `6` → `6`.
pub fn tokens(value: Decimal) -> String {
    let v = value.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero);
    if v.fract().is_zero() {
        return decimal(v.trunc());
    }
    two_places(&decimal(v))
}

/// A unit price with its currency: at least two places, more only when the
/// price has them (`3` → `3.00 USD`, `2.7525` → `2.7525 USD`).
pub fn price(value: Decimal, currency: &str) -> String {
    format!("{} {currency}", two_places(&decimal(value)))
}

/// `text` (a grouped decimal) with at least two places.
fn two_places(text: &str) -> String {
    match text.split_once('.') {
        Some((i, f)) => format!("{i}.{f:0<2}"),
        None => format!("{text}.00"),
    }
}

/// A share as a percentage with up to two places: `0.9455` → `94.55%`.
pub fn percent(share: Decimal) -> String {
    format!("{}%", decimal((share * Decimal::ONE_HUNDRED).round_dp(2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_exact_and_grouped() {
        assert_eq!(decimal(Decimal::new(123_456_750, 2)), "1,234,567.5");
        assert_eq!(decimal(Decimal::new(-1_000, 0)), "-1,000");
        assert_eq!(decimal(Decimal::new(999, 0)), "999");
        assert_eq!(decimal(Decimal::ZERO), "0");
        assert_eq!(decimal(Decimal::new(1, 3)), "0.001");
        assert_eq!(count(45_036), "45,036");
    }

    #[test]
    fn money_has_two_places() {
        assert_eq!(money(Decimal::new(12_345, 1), "USD"), "1,234.50 USD");
        assert_eq!(money(Decimal::new(2030, 0), "EUR"), "2,030.00 EUR");
        assert_eq!(money(Decimal::new(1_005, 3), "USD"), "1.00 USD");
    }

    #[test]
    fn tokens_and_prices_read_the_same_everywhere() {
        assert_eq!(tokens(Decimal::new(459_249, 1)), "45,924.90");
        assert_eq!(tokens(Decimal::new(2_794_257, 3)), "2,794.26");
        assert_eq!(tokens(Decimal::new(2_794_255, 3)), "2,794.26");
        assert_eq!(tokens(Decimal::from(6)), "6");
        assert_eq!(tokens(Decimal::new(60_000, 4)), "6");
        assert_eq!(tokens(Decimal::new(-15, 1)), "-1.50");
        assert_eq!(price(Decimal::from(3), "USD"), "3.00 USD");
        assert_eq!(price(Decimal::new(27_525, 4), "USD"), "2.7525 USD");
        assert_eq!(percent(Decimal::new(9455, 4)), "94.55%");
        assert_eq!(percent(Decimal::ONE), "100%");
    }
}
