//! Number parsing and formatting with Redis's exact rules.
//!
//! - Integers: Redis `string2ll` — optional `-`, no `+`, no leading zeros, no spaces, fits an i64.
//! - Floats: Redis `strtod`-based parsing — no leading space, no trailing garbage, `inf` accepted,
//!   `nan` rejected.
//! - INCRBYFLOAT results: Redis parses with `strtold`, adds in x87 long double (64-bit mantissa) and
//!   prints `%.17Lf` with trailing zeros removed. This module emulates that exactly with u128
//!   arithmetic for operands of at most 18 fractional digits and magnitude below 2^127 (every
//!   human-sized number); beyond that it falls back to f64, which may differ in the last digits.

/// Fractional digits Redis prints for INCRBYFLOAT (`%.17Lf`).
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
        _ if unsigned.starts_with("0x") => {
            let magnitude = parse_hex_float(&unsigned[2..])?;
            if lower.starts_with('-') {
                -magnitude
            } else {
                magnitude
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
    // strtod's ERANGE: overflow to infinity or underflow to zero is an error for Redis.
    let overflowed = value.is_infinite() && !unsigned.starts_with("inf");
    let underflowed = value == 0.0
        && unsigned.bytes().take_while(|byte| *byte != b'e').any(|byte| matches!(byte, b'1'..=b'9'));
    (!value.is_nan() && !overflowed && !underflowed).then_some(value)
}

/// Most hex digits kept exactly; later ones only scale the value (f64 keeps 53 bits anyway).
const HEX_DIGITS_MAX: usize = 24;

/// The C99 hex float body after `0x` (`1f`, `1.8p3`, `.8p-1`), as `strtod` reads it.
fn parse_hex_float(body: &str) -> Option<f64> {
    let (digits, exponent) = match body.split_once('p') {
        Some((digits, exponent)) => (digits, exponent.parse::<i32>().ok()?),
        None => (body, 0),
    };
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    let mut mantissa: u128 = 0;
    let mut scale: i64 = i64::from(exponent);
    for (position, character) in whole.chars().enumerate() {
        let digit = character.to_digit(16)?;
        if position < HEX_DIGITS_MAX {
            mantissa = mantissa * 16 + u128::from(digit);
        } else {
            scale += 4;
        }
    }
    for character in fraction.chars() {
        let digit = character.to_digit(16)?;
        if (128 - mantissa.leading_zeros()) < 100 {
            mantissa = mantissa * 16 + u128::from(digit);
            scale -= 4;
        }
    }
    let scale = i32::try_from(scale.clamp(-4000, 4000)).ok()?;
    Some(mantissa as f64 * 2f64.powi(scale))
}

/// Parses a score-range bound like Redis's `zslParseRange` (plain `strtod`): leading whitespace is
/// skipped, empty text is 0, overflow gives an infinity; only trailing garbage and NaN are errors.
pub(crate) fn parse_range_f64(text: &[u8]) -> Option<f64> {
    let start = text.iter().position(|byte| !matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c));
    let Some(start) = start else { return Some(0.0) };
    let text = std::str::from_utf8(&text[start..]).ok()?;
    let lower = text.to_ascii_lowercase();
    let unsigned = lower.trim_start_matches(['+', '-']);
    if lower.len() - unsigned.len() > 1 || unsigned.starts_with("nan") {
        return None;
    }
    let negative = lower.starts_with('-');
    let value: f64 = match unsigned {
        "inf" | "infinity" => f64::INFINITY,
        _ if unsigned.starts_with("0x") => parse_hex_float(&unsigned[2..])?,
        _ if unsigned
            .bytes()
            .all(|byte| byte.is_ascii_digit() || matches!(byte, b'.' | b'e' | b'+' | b'-')) =>
        {
            unsigned.parse().ok()?
        }
        _ => return None,
    };
    Some(if negative { -value } else { value })
}

/// An x87 80-bit long double value as `(-1)^negative * mantissa * 2^exponent` with a 64-bit
/// mantissa: the type Redis's `strtold`/`%.17Lf` INCRBYFLOAT arithmetic uses on x86-64.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Extended {
    /// The sign.
    negative: bool,
    /// The 64-bit significand (top bit set unless zero).
    mantissa: u64,
    /// The power of two the significand is scaled by.
    exponent: i32,
}

/// Bits of the long double mantissa.
const MANTISSA_BITS: u32 = 64;

/// Rounds `value * 2^exponent` to a normalized 64-bit mantissa (round half to even); `sticky` says
/// whether nonzero bits below `value` were already dropped. `None` when the rounding is unknowable.
fn round_to_extended(negative: bool, value: u128, exponent: i32, sticky: bool) -> Option<Extended> {
    if value == 0 {
        return (!sticky).then_some(Extended { negative: false, mantissa: 0, exponent: 0 });
    }
    let length = 128 - value.leading_zeros();
    if length <= MANTISSA_BITS {
        if sticky {
            return None;
        }
        let shift = MANTISSA_BITS - length;
        let mantissa = u64::try_from(value << shift).ok()?;
        return Some(Extended {
            negative,
            mantissa,
            exponent: exponent.checked_sub(i32::try_from(shift).ok()?)?,
        });
    }
    let shift = length - MANTISSA_BITS;
    let kept = value >> shift;
    let dropped = value & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let round_up = dropped > half || (dropped == half && (sticky || kept & 1 == 1));
    let mut mantissa = kept + u128::from(round_up);
    let mut exponent = exponent.checked_add(i32::try_from(shift).ok()?)?;
    if mantissa >> MANTISSA_BITS != 0 {
        mantissa >>= 1;
        exponent = exponent.checked_add(1)?;
    }
    Some(Extended { negative, mantissa: u64::try_from(mantissa).ok()?, exponent })
}

/// Bits of quotient produced before rounding (64 kept, guard bits beyond).
const QUOTIENT_BITS: u32 = 66;

/// Parses a decimal like `strtold` into the nearest long double, when u128 arithmetic can hold the
/// digits (at most 38 significant digits, |decimal exponent| at most 38).
fn parse_extended(text: &[u8]) -> Option<Extended> {
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
    if (whole.is_empty() && fraction.is_empty())
        || !whole.bytes().chain(fraction.bytes()).all(|byte| byte.is_ascii_digit())
    {
        return None;
    }
    let mut digits: u128 = 0;
    for byte in whole.bytes().chain(fraction.bytes()) {
        digits = digits.checked_mul(10)?.checked_add(u128::from(byte - b'0'))?;
    }
    let decimal_exponent = i64::from(exponent) - fraction.len() as i64;
    if digits == 0 {
        return Some(Extended { negative, mantissa: 0, exponent: 0 });
    }
    if decimal_exponent >= 0 {
        let scaled = digits.checked_mul(10u128.checked_pow(u32::try_from(decimal_exponent).ok()?)?)?;
        return round_to_extended(negative, scaled, 0, false);
    }
    let divisor = 10u128.checked_pow(u32::try_from(-decimal_exponent).ok()?)?;
    divide_to_extended(negative, digits, divisor)
}

/// The long double nearest `numerator / divisor`, by binary long division.
fn divide_to_extended(negative: bool, numerator: u128, divisor: u128) -> Option<Extended> {
    let mut quotient = numerator / divisor;
    let mut remainder = numerator % divisor;
    let mut exponent: i32 = 0;
    while 128 - quotient.leading_zeros() < QUOTIENT_BITS {
        // remainder < divisor <= 10^38 < 2^127, so doubling cannot overflow.
        remainder <<= 1;
        quotient <<= 1;
        if remainder >= divisor {
            remainder -= divisor;
            quotient |= 1;
        }
        exponent = exponent.checked_sub(1)?;
    }
    round_to_extended(negative, quotient, exponent, remainder != 0)
}

/// Guard bits kept when aligning the smaller operand of an addition.
const ALIGN_BITS: u32 = 62;

/// `left + right` rounded to a long double (exact alignment with guard bits and a sticky bit).
fn add_extended(left: Extended, right: Extended) -> Option<Extended> {
    let (big, small) = if (left.exponent, left.mantissa) >= (right.exponent, right.mantissa) {
        (left, right)
    } else {
        (right, left)
    };
    if small.mantissa == 0 {
        return Some(big);
    }
    if big.mantissa == 0 {
        return Some(small);
    }
    let difference = u32::try_from(i64::from(big.exponent) - i64::from(small.exponent)).ok()?;
    let big_value = u128::from(big.mantissa) << ALIGN_BITS;
    let (small_value, sticky) = if difference <= ALIGN_BITS {
        (u128::from(small.mantissa) << (ALIGN_BITS - difference), false)
    } else {
        let shift = difference - ALIGN_BITS;
        let shifted = u128::from(small.mantissa).checked_shr(shift).unwrap_or(0);
        (shifted, shifted.checked_shl(shift).is_none_or(|back| back != u128::from(small.mantissa)))
    };
    let (negative, sum) = if big.negative == small.negative {
        (big.negative, big_value + small_value)
    } else if big_value > small_value {
        // With a sticky bit the true small value is slightly larger: borrow one unit.
        (big.negative, big_value - small_value - u128::from(sticky))
    } else {
        (small.negative, small_value - big_value)
    };
    let exponent = big.exponent.checked_sub(i32::try_from(ALIGN_BITS).ok()?)?;
    round_to_extended(negative && sum != 0, sum, exponent, sticky)
}

/// Prints like C `printf("%.17Lf")` followed by Redis's trailing-zero removal.
fn format_extended(value: Extended) -> Option<String> {
    let scale = 10u128.pow(DECIMAL_SCALE_DIGITS);
    let sign = if value.negative && value.mantissa != 0 { "-" } else { "" };
    if value.exponent >= 0 {
        let shift = u32::try_from(value.exponent).ok()?;
        let integer = u128::from(value.mantissa).checked_shl(shift)?;
        return (integer >> shift == u128::from(value.mantissa)).then(|| format!("{sign}{integer}"));
    }
    let shift = value.exponent.unsigned_abs();
    let scaled = u128::from(value.mantissa) * scale;
    let units = if shift >= 128 {
        0
    } else {
        let kept = scaled >> shift;
        let dropped = scaled & ((1u128 << shift) - 1);
        let half = 1u128 << (shift - 1);
        kept + u128::from(dropped > half || (dropped == half && kept & 1 == 1))
    };
    Some(strip_zeros(&format!("{sign}{}.{:017}", units / scale, units % scale)))
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

/// `current + increment` as INCRBYFLOAT computes and prints it: in emulated long double when the
/// operands allow exact u128 arithmetic, else in f64 printed the same way.
pub(crate) fn add_floats(current: &[u8], increment: &[u8]) -> FloatSum {
    let (Some(left), Some(right)) = (parse_f64(current), parse_f64(increment)) else {
        return FloatSum::NotFloat;
    };
    let sum = left + right;
    if !sum.is_finite() {
        return FloatSum::NotFinite;
    }
    let extended = parse_extended(current)
        .zip(parse_extended(increment))
        .and_then(|(left, right)| add_extended(left, right))
        .and_then(format_extended);
    FloatSum::Value(extended.unwrap_or_else(|| strip_zeros(&format!("{sum:.17}"))))
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
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"-0x1.8p1"), Some(-3.0));
        assert_eq!(parse_f64(b"0x"), None);
        for bad in [&b""[..], b"nan", b" 1", b"1x", b"abc", b"--1", b"1e400", b"-1e400", b"1e-400"] {
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
        assert_eq!(sum("5.6", "5.0e3"), "5005.60000000000000009");
        assert_eq!(sum("5005.60000000000000009", "2.0e2"), "5205.60000000000000009");
        assert_eq!(sum("0.1", "0.2"), "0.3");
        assert_eq!(sum("-1.5", "1"), "-0.5");
        assert_eq!(sum("3", "-3"), "0");
        assert_eq!(sum("1", "x"), "not float");
        assert_eq!(sum("1", "inf"), "not finite");
    }
}
