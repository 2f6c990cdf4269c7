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
    let text = decimal(v);
    // `decimal` drops trailing zeros; money always shows two places.
    let text = match text.split_once('.') {
        Some((i, f)) => format!("{i}.{f:0<2}"),
        None => format!("{text}.00"),
    };
    format!("{text} {currency}")
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
}
