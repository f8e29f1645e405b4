//! Number parsing and formatting with Redis's exact rules.
//!
//! - Integers: Redis `string2ll` — optional `-`, no `+`, no leading zeros, no spaces, fits an i64.
//! - Floats: Redis `strtod`-based parsing — no leading space, no trailing garbage, `inf` accepted,
//!   `nan` rejected.
//! - INCRBYFLOAT results: Redis formats a long double with `%.17Lf` and strips trailing zeros. For
//!   operands with at most [`DECIMAL_SCALE_DIGITS`] fractional digits the sum is computed exactly in
//!   decimal, which equals what the long double prints for human-sized numbers; otherwise the f64
//!   result is printed the same way.

/// Fractional digits of the exact decimal path (Redis prints 17).
const DECIMAL_SCALE_DIGITS: u32 = 17;
/// Longest integer text Redis accepts (`-9223372036854775808` is 20 bytes).
const INTEGER_TEXT_MAX_BYTES: usize = 20;

/// Parses like Redis `string2ll`.
pub(crate) fn parse_i64(text: &[u8]) -> Option<i64> {
    if text.is_empty() || text.len() > INTEGER_TEXT_MAX_BYTES {
        return None;
    }
    if text == b"0" {
        return Some(0);
    }
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: i128 = 0;
    for &byte in digits {
        if !byte.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude * 10 + i128::from(byte - b'0');
        if magnitude > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let value = if negative { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

/// Parses like Redis `string2d`/`getDoubleFromObject`: rejects empty text, spaces, garbage and NaN.
pub(crate) fn parse_f64(text: &[u8]) -> Option<f64> {
    let text = std::str::from_utf8(text).ok()?;
    let first = text.bytes().next()?;
    if first.is_ascii_whitespace() {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if unsigned.starts_with("nan") || lower.len() - unsigned.len() > 1 {
        return None;
    }
    let value: f64 = match unsigned {
        "inf" | "infinity" => {
            if lower.starts_with('-') {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            }
        }
        _ if unsigned
            .bytes()
            .all(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b'e' | b'+' | b'-')) =>
        {
            lower.parse().ok()?
        }
        _ => return None,
    };
    (!value.is_nan()).then_some(value)
}

/// A decimal with exactly [`DECIMAL_SCALE_DIGITS`] fractional digits: `units / 10^17`.
fn parse_decimal(text: &[u8]) -> Option<i128> {
    let text = std::str::from_utf8(text).ok()?;
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match body.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, exponent.parse::<i32>().ok()?),
        None => (body, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if !whole.bytes().chain(fraction.bytes()).all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    let shift = i64::from(DECIMAL_SCALE_DIGITS) + i64::from(exponent) - fraction.len() as i64;
    let mut units: i128 = 0;
    for byte in digits.bytes() {
        units = units.checked_mul(10)?.checked_add(i128::from(byte - b'0'))?;
    }
    if shift >= 0 {
        units = units.checked_mul(10i128.checked_pow(u32::try_from(shift).ok()?)?)?;
    } else {
        let divisor = 10i128.checked_pow(u32::try_from(-shift).ok()?)?;
        if units % divisor != 0 {
            return None;
        }
        units /= divisor;
    }
    // Beyond ~1e20 a long double no longer prints exact decimals; leave those to the f64 path.
    if units.unsigned_abs() >= 10u128.pow(DECIMAL_SCALE_DIGITS + 20) {
        return None;
    }
    Some(if negative { -units } else { units })
}

fn format_decimal(units: i128) -> String {
    let scale = 10u128.pow(DECIMAL_SCALE_DIGITS);
    let magnitude = units.unsigned_abs();
    let sign = if units < 0 { "-" } else { "" };
    let text = format!("{sign}{}.{:017}", magnitude / scale, magnitude % scale);
    strip_zeros(&text)
}

fn strip_zeros(text: &str) -> String {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text.to_string()
    }
}

/// Outcome of adding a float increment to a stored number.
pub(crate) enum FloatSum {
    /// The new value in Redis's text form.
    Value(String),
    /// One operand is not a float.
    NotFloat,
    /// The result is NaN or infinite.
    NotFinite,
}

/// `current + increment` as INCRBYFLOAT computes and prints it.
pub(crate) fn add_floats(current: &[u8], increment: &[u8]) -> FloatSum {
    let (Some(left), Some(right)) = (parse_f64(current), parse_f64(increment)) else {
        return FloatSum::NotFloat;
    };
    let sum = left + right;
    if !sum.is_finite() {
        return FloatSum::NotFinite;
    }
    if let (Some(left), Some(right)) = (parse_decimal(current), parse_decimal(increment)) {
        if let Some(total) = left.checked_add(right) {
            return FloatSum::Value(format_decimal(total));
        }
    }
    FloatSum::Value(strip_zeros(&format!("{sum:.17}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_follow_string2ll() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [&b""[..], b"+1", b"01", b"-0", b" 1", b"1 ", b"9223372036854775808", b"1.0", b"-"] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn floats_reject_nan_and_garbage() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+inf"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b"1e3"), Some(1000.0));
        for bad in [&b""[..], b"nan", b" 1", b"1x", b"abc", b"--1"] {
            assert_eq!(parse_f64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn float_sums_print_like_long_double() {
        let sum = |left: &str, right: &str| match add_floats(left.as_bytes(), right.as_bytes()) {
            FloatSum::Value(text) => text,
            FloatSum::NotFloat => "not float".into(),
            FloatSum::NotFinite => "not finite".into(),
        };
        assert_eq!(sum("10.50", "0.1"), "10.6");
        assert_eq!(sum("0", "0.1"), "0.1");
        assert_eq!(sum("5.0e3", "2.0e2"), "5200");
        assert_eq!(sum("3", "-3"), "0");
        assert_eq!(sum("1", "x"), "not float");
        assert_eq!(sum("1", "inf"), "not finite");
    }
}
