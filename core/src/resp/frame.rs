//! The RESP value model shared by RESP2 and RESP3.
//!
//! One `Frame` type serves both protocol versions: RESP3-only variants (maps, sets, doubles, booleans,
//! big numbers, verbatim strings, attributes, pushes) are *downgraded* when encoded for a RESP2 peer,
//! the same way Redis 7 does it, so the embedded engine and the proxy produce one value and the
//! encoder decides the bytes for the connection's negotiated protocol.

use bytes::Bytes;

/// Protocol version negotiated on one connection (`HELLO 2|3`). RESP2 is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Protocol {
    /// RESP2: the protocol every client speaks before `HELLO 3`.
    #[default]
    Resp2,
    /// RESP3: typed replies (maps, sets, doubles, ...), negotiated with `HELLO 3`.
    Resp3,
}

impl Protocol {
    /// The number a client passes to `HELLO` and `INFO` shows (`2` or `3`).
    pub fn version(self) -> i64 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

/// One RESP value. Byte payloads are `Bytes` slices of the input buffer (zero-copy on decode).
#[derive(Clone, Debug, PartialEq)]
pub enum Frame {
    /// `+text` simple string (no CR/LF inside).
    Simple(Bytes),
    /// `-text` simple error; the payload excludes the `-` and CRLF, e.g. `ERR unknown command`.
    Error(Bytes),
    /// `:n` integer.
    Integer(i64),
    /// `$n` bulk string.
    Bulk(Bytes),
    /// The null that stands for a missing string: RESP2 `$-1`, RESP3 `_`.
    Null,
    /// The null that stands for a missing aggregate: RESP2 `*-1`, RESP3 `_`.
    NullArray,
    /// `*n` array.
    Array(Vec<Frame>),
    /// RESP3 `%n` map; RESP2 sees a flat array of key, value, key, value ...
    Map(Vec<(Frame, Frame)>),
    /// RESP3 `~n` set; RESP2 sees an array.
    Set(Vec<Frame>),
    /// RESP3 `,` double, kept in its textual form (`1.5`, `inf`, `-inf`, `nan`) so proxying is exact;
    /// RESP2 sees a bulk string with the same text.
    Double(Bytes),
    /// RESP3 `#t`/`#f`; RESP2 sees `:1`/`:0`.
    Boolean(bool),
    /// RESP3 `(` big number (decimal digits with optional sign); RESP2 sees a bulk string.
    BigNumber(Bytes),
    /// RESP3 `=` verbatim string with a three-byte format (`txt`, `mkd`); RESP2 sees a bulk string of
    /// the text alone.
    Verbatim {
        /// The three-byte format tag, e.g. `txt`.
        format: [u8; 3],
        /// The text after `fmt:`.
        text: Bytes,
    },
    /// RESP3 `!n` blob error; RESP2 sees a simple error (CR/LF replaced by spaces).
    BlobError(Bytes),
    /// RESP3 `|n` attribute map attached to the frame that follows it; RESP2 drops the attributes.
    Attribute {
        /// The attribute key/value pairs.
        attributes: Vec<(Frame, Frame)>,
        /// The reply the attributes describe.
        frame: Box<Frame>,
    },
    /// RESP3 `>n` push (out-of-band data such as pub/sub messages); RESP2 sees an array.
    Push(Vec<Frame>),
}

impl Frame {
    /// `+OK`.
    pub fn ok() -> Frame {
        Frame::Simple(Bytes::from_static(b"OK"))
    }

    /// A simple string from static text.
    pub fn simple(text: &'static str) -> Frame {
        Frame::Simple(Bytes::from_static(text.as_bytes()))
    }

    /// A simple error; `text` is the whole message including its code, e.g. `ERR syntax error`.
    pub fn error(text: impl Into<String>) -> Frame {
        Frame::Error(Bytes::from(text.into()))
    }

    /// A bulk string copied from `data`.
    pub fn bulk(data: impl AsRef<[u8]>) -> Frame {
        Frame::Bulk(Bytes::copy_from_slice(data.as_ref()))
    }

    /// A double formatted the way Redis 7 formats a reply double.
    pub fn double(value: f64) -> Frame {
        Frame::Double(Bytes::from(format_double(value)))
    }

    /// True for `Error` and `BlobError`.
    pub fn is_error(&self) -> bool {
        matches!(self, Frame::Error(_) | Frame::BlobError(_))
    }
}

/// Formats a double as Redis 7.0 formats a reply double (C `%.17g`): `inf`, `-inf`, `nan`, otherwise
/// 17 significant digits with trailing zeros removed, in exponent form (`1e+20`) when the decimal
/// exponent is below -4 or at least 17.
pub fn format_double(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_string();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_string();
    }
    if value == 0.0 {
        return if value.is_sign_negative() { "-0" } else { "0" }.to_string();
    }
    const PRECISION: i32 = 17;
    // `{:.16e}` yields exactly 17 significant digits, correctly rounded, e.g. `1.1000000000000001e0`.
    let scientific = format!("{:.*e}", (PRECISION - 1) as usize, value);
    let (mantissa, exponent) = scientific.split_once('e').expect("`e` formatting has an exponent");
    let exponent: i32 = exponent.parse().expect("exponent is an integer");
    if !(-4..PRECISION).contains(&exponent) {
        let mantissa = strip_fraction_zeros(mantissa);
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    } else {
        let decimals = (PRECISION - 1 - exponent).max(0) as usize;
        strip_fraction_zeros(&format!("{value:.decimals$}")).to_string()
    }
}

fn strip_fraction_zeros(text: &str) -> &str {
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::format_double;

    /// Expected texts were read from redis-server 7.0.15 (`ZADD z <v> m`, `ZSCORE z m`).
    #[test]
    fn doubles_format_like_redis_7_0() {
        let cases = [
            (1.1, "1.1000000000000001"),
            (1e20, "1e+20"),
            (0.1, "0.10000000000000001"),
            (3.0, "3"),
            (1e-7, "9.9999999999999995e-08"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (0.30000000000000004, "0.30000000000000004"),
            (-2.5, "-2.5"),
            (1e16, "10000000000000000"),
            (0.0001, "0.0001"),
        ];
        for (value, expected) in cases {
            assert_eq!(format_double(value), expected, "formatting {value}");
        }
    }
}
