//! [`Timestamp`]: the hybrid-logical-clock timestamp every CRDT write carries, and its 24-hex
//! encoding, the form it takes on the wire and in the datastore's metadata hashes.
//!
//! # Encoding
//! Exactly 24 lowercase hex characters: 12 for `physical_ms` (48 bits, Unix milliseconds, enough until
//! the year 10889), 4 for `logical`, 8 for `node`. Fixed width and big-endian digit order make the byte
//! order of two encodings equal to the order of the `(physical_ms, logical, node)` tuples, so the Lua
//! scripts compare timestamps with `<`/`>` on strings and Rust compares them with [`Ord`]; both agree.
//! A missing timestamp is stored as the empty string, which sorts before every encoding, like `None`
//! before `Some` in Rust.
//!
//! # Node ids
//! `node` is the coordinator's stable 32-bit id, [`node_id`]: FNV-1a 32 of `"<dc>/<rack>/<tokens>"`
//! (tokens as comma-separated decimals). A replacement node that takes over the same tokens keeps the
//! id, so its PN-counter component continues the old one. Two different nodes may collide (2^-32 per
//! pair): then their counter components merge as one (per-component max), which can lose increments;
//! ties between equal `(physical_ms, logical)` of colliding nodes break arbitrarily but identically
//! everywhere.

use std::fmt;

use bytes::Bytes;
use thiserror::Error;

/// Length of an encoded timestamp, in bytes.
pub const ENCODED_LEN: usize = 24;

/// Largest `physical_ms` the 12-hex-digit field can hold (2^48 - 1 ms).
pub const PHYSICAL_MAX_MS: u64 = (1 << 48) - 1;

/// Hex digits of the physical part.
const PHYSICAL_DIGITS: usize = 12;

/// Hex digits of the logical part.
const LOGICAL_DIGITS: usize = 4;

/// Lowercase hex digits, indexed by nibble.
const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// A hybrid logical clock timestamp. Field order is the comparison order: the derived [`Ord`] equals the
/// byte order of [`Timestamp::encode`] (for `physical_ms <= PHYSICAL_MAX_MS`, which [`Timestamp::new`]
/// and [`Timestamp::encode`] assert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Wall-clock part, Unix milliseconds (48 bits used).
    pub physical_ms: u64,
    /// Counter that orders timestamps issued within the same millisecond (or while the wall clock lags).
    pub logical: u16,
    /// Id of the node that issued it ([`node_id`]); breaks ties so no two nodes issue equal timestamps.
    pub node: u32,
}

/// Why bytes are not an encoded [`Timestamp`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TimestampError {
    /// The input is not exactly [`ENCODED_LEN`] bytes long.
    #[error("crdt timestamp must be {ENCODED_LEN} hex characters, got {len} bytes")]
    WrongLength {
        /// Length of the input.
        len: usize,
    },
    /// A byte is not a lowercase hex digit.
    #[error("crdt timestamp has byte 0x{byte:02x} at position {position}, expected a lowercase hex digit")]
    NotLowercaseHex {
        /// Offset of the offending byte.
        position: usize,
        /// The offending byte.
        byte: u8,
    },
}

impl Timestamp {
    /// The timestamp `(physical_ms, logical, node)`. Panics when `physical_ms` exceeds 48 bits (an
    /// invariant: HLCs are fed Unix milliseconds).
    pub fn new(physical_ms: u64, logical: u16, node: u32) -> Timestamp {
        assert!(physical_ms <= PHYSICAL_MAX_MS, "timestamp physical part {physical_ms} exceeds 48 bits");
        Timestamp { physical_ms, logical, node }
    }

    /// The 24 lowercase hex characters.
    pub fn encode(&self) -> [u8; ENCODED_LEN] {
        assert!(
            self.physical_ms <= PHYSICAL_MAX_MS,
            "timestamp physical part {} exceeds 48 bits",
            self.physical_ms
        );
        let mut out = [0u8; ENCODED_LEN];
        write_hex(&mut out[..PHYSICAL_DIGITS], self.physical_ms);
        write_hex(&mut out[PHYSICAL_DIGITS..PHYSICAL_DIGITS + LOGICAL_DIGITS], u64::from(self.logical));
        write_hex(&mut out[PHYSICAL_DIGITS + LOGICAL_DIGITS..], u64::from(self.node));
        out
    }

    /// [`Timestamp::encode`] as `Bytes` (for command arguments).
    pub fn to_bytes(&self) -> Bytes {
        Bytes::copy_from_slice(&self.encode())
    }

    /// Parses exactly 24 lowercase hex characters.
    pub fn parse(bytes: &[u8]) -> Result<Timestamp, TimestampError> {
        if bytes.len() != ENCODED_LEN {
            return Err(TimestampError::WrongLength { len: bytes.len() });
        }
        let physical_ms = read_hex(bytes, 0, PHYSICAL_DIGITS)?;
        let logical = read_hex(bytes, PHYSICAL_DIGITS, LOGICAL_DIGITS)?;
        let node = read_hex(
            bytes,
            PHYSICAL_DIGITS + LOGICAL_DIGITS,
            ENCODED_LEN - PHYSICAL_DIGITS - LOGICAL_DIGITS,
        )?;
        // The digit counts bound the values, so the narrowing conversions cannot fail.
        Ok(Timestamp {
            physical_ms,
            logical: u16::try_from(logical).expect("4 hex digits fit u16"),
            node: u32::try_from(node).expect("8 hex digits fit u32"),
        })
    }

    /// Parses a stored timestamp field where the empty string means "missing" (`None`, older than all).
    pub fn parse_optional(bytes: &[u8]) -> Result<Option<Timestamp>, TimestampError> {
        if bytes.is_empty() {
            Ok(None)
        } else {
            Timestamp::parse(bytes).map(Some)
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let encoded = self.encode();
        f.write_str(std::str::from_utf8(&encoded).expect("hex digits are ASCII"))
    }
}

/// Writes `value` as `out.len()` lowercase hex digits, most significant first.
fn write_hex(out: &mut [u8], mut value: u64) {
    for slot in out.iter_mut().rev() {
        *slot = HEX_DIGITS[(value & 0xf) as usize];
        value >>= 4;
    }
    assert_eq!(value, 0, "value does not fit its hex field");
}

/// Reads `digits` lowercase hex digits of `bytes` starting at `start`.
fn read_hex(bytes: &[u8], start: usize, digits: usize) -> Result<u64, TimestampError> {
    let mut value = 0u64;
    for (position, &byte) in bytes.iter().enumerate().skip(start).take(digits) {
        let nibble = match byte {
            b'0'..=b'9' => byte - b'0',
            b'a'..=b'f' => byte - b'a' + 10,
            _ => return Err(TimestampError::NotLowercaseHex { position, byte }),
        };
        value = (value << 4) | u64::from(nibble);
    }
    Ok(value)
}

/// The stable 32-bit id of the node at `dc`/`rack` owning `tokens`: FNV-1a 32 of
/// `"<dc>/<rack>/<t1>,<t2>,..."` (tokens in the given order, as decimals).
pub fn node_id(dc: &str, rack: &str, tokens: &[u32]) -> u32 {
    let mut text = format!("{dc}/{rack}/");
    for (index, token) in tokens.iter().enumerate() {
        if index > 0 {
            text.push(',');
        }
        text.push_str(&token.to_string());
    }
    fnv1a_32(text.as_bytes())
}

/// FNV-1a, 32 bits.
pub fn fnv1a_32(bytes: &[u8]) -> u32 {
    const OFFSET_BASIS: u32 = 0x811c_9dc5;
    const PRIME: u32 = 0x0100_0193;
    bytes.iter().fold(OFFSET_BASIS, |hash, &byte| (hash ^ u32::from(byte)).wrapping_mul(PRIME))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Golden encodings: (timestamp, encoding, why).
    #[test]
    fn golden_encodings() {
        let cases: &[(Timestamp, &str, &str)] = &[
            (Timestamp::new(0, 0, 0), "000000000000000000000000", "all zero"),
            (
                Timestamp::new(1, 2, 3),
                "000000000001000200000003",
                "each field right-aligned in its own width",
            ),
            (
                Timestamp::new(1_764_607_000_123, 0xffff, 0xdead_beef),
                "019adac5fe3bffffdeadbeef",
                "a 2025 wall clock, maximum logical, lowercase node",
            ),
            (Timestamp::new(PHYSICAL_MAX_MS, 0, u32::MAX), "ffffffffffff0000ffffffff", "largest physical"),
        ];
        for (ts, text, why) in cases {
            assert_eq!(std::str::from_utf8(&ts.encode()).unwrap(), *text, "{why}");
            assert_eq!(Timestamp::parse(text.as_bytes()).unwrap(), *ts, "{why}");
            assert_eq!(ts.to_string(), *text, "{why}");
        }
    }

    #[test]
    fn parse_errors() {
        assert_eq!(Timestamp::parse(b""), Err(TimestampError::WrongLength { len: 0 }));
        assert_eq!(Timestamp::parse(&[b'0'; 25]), Err(TimestampError::WrongLength { len: 25 }));
        assert_eq!(
            Timestamp::parse(b"00000000000A000000000000"),
            Err(TimestampError::NotLowercaseHex { position: 11, byte: b'A' }),
            "uppercase would break the string order the scripts rely on"
        );
        assert_eq!(
            Timestamp::parse(b"0000000000000000000000 0"),
            Err(TimestampError::NotLowercaseHex { position: 22, byte: b' ' })
        );
        assert_eq!(Timestamp::parse_optional(b""), Ok(None));
    }

    /// FNV-1a 32 reference values (from the FNV specification's test vectors) and node ids.
    #[test]
    fn node_ids() {
        assert_eq!(fnv1a_32(b""), 0x811c_9dc5);
        assert_eq!(fnv1a_32(b"a"), 0xe40c_292c);
        assert_eq!(fnv1a_32(b"foobar"), 0xbf9c_f968);
        assert_eq!(node_id("dc1", "r1", &[1, 2]), fnv1a_32(b"dc1/r1/1,2"));
        assert_eq!(node_id("dc1", "r1", &[]), fnv1a_32(b"dc1/r1/"));
        assert_ne!(node_id("dc1", "r1", &[0]), node_id("dc1", "r2", &[0]), "racks differ");
    }
}
