//! Digests for range repair: [`key_digest`] summarizes one key's full CRDT state, [`BucketDigests`]
//! summarizes a token range split in equal buckets, and [`differing`] names the buckets two replicas
//! disagree on, so a full repair ships only the keys of those buckets (Merkle-style, one level).
//!
//! Everything is deterministic and platform independent: FNV-1a 64 over a canonical, length-prefixed
//! serialization (no random-state hashers), so every replica computes the same numbers for the same
//! state.
//!
//! # Canonical serialization of a state
//! Each part is written as its length (u64, little endian) followed by its bytes:
//! 1. every `(field, value)` of [`KeyState::metadata_pairs`] (fixed order; includes `t`, `d`, `xt`/`xa`,
//!    tombstones `r:*` and counter components), field then value;
//! 2. the register value: `"+"` then the value, or `"-"` when absent;
//! 3. for every element in byte order: the element, then `"+"` and its value or `"-"`.
//!
//! [`KeyState::observed`] (the type and TTL Redis reported) is left out: states that are
//! [`KeyState::same_as`] each other have equal digests.
//!
//! # Buckets
//! The range `[start, end]` (inclusive) is split in `count` equal slices; token `t` falls in bucket
//! `(t − start) · count / (end − start + 1)`. A bucket's digest is the wrapping sum over its keys of
//! `mix(fnv1a_64(key) ^ key_digest.rotate_left(17))` (splitmix64's finalizer as `mix`): independent of
//! the order keys are visited in, and a key can be removed again by subtraction.

use super::state::KeyState;

/// Most buckets one [`BucketDigests`] may have (bounds the memory of a digest request).
pub const BUCKETS_MAX: usize = 65_536;

/// FNV-1a 64 offset basis.
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a 64 prime.
const FNV_PRIME: u64 = 0x0100_0000_01b3;

/// The digest of a key's full CRDT state (metadata incl. tombstones, and live data), by the canonical
/// serialization of the module doc.
pub fn key_digest(state: &KeyState) -> u64 {
    let mut digest = Fnv64(FNV_OFFSET_BASIS);
    for (field, value) in state.metadata_pairs() {
        digest.write_part(&field);
        digest.write_part(&value);
    }
    digest.write_value(state.value.as_deref());
    for (member, element) in &state.elements {
        digest.write_part(member);
        digest.write_value(element.value.as_deref());
    }
    digest.0
}

/// FNV-1a, 64 bits, of `bytes`.
pub fn fnv1a_64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(FNV_OFFSET_BASIS, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(FNV_PRIME))
}

/// splitmix64's finalizer: spreads the bits so that sums of mixed values do not cancel by accident.
pub fn mix(mut value: u64) -> u64 {
    value = (value ^ (value >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    value = (value ^ (value >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    value ^ (value >> 31)
}

/// One key's contribution to its bucket.
pub fn key_entry(key: &[u8], key_digest: u64) -> u64 {
    mix(fnv1a_64(key) ^ key_digest.rotate_left(17))
}

/// FNV-1a 64 over length-prefixed parts.
struct Fnv64(u64);

impl Fnv64 {
    /// A value or its absence (two different inputs).
    fn write_value(&mut self, value: Option<&[u8]>) {
        match value {
            Some(value) => {
                self.write_part(b"+");
                self.write_part(value);
            }
            None => self.write_part(b"-"),
        }
    }

    /// The part's length (u64 LE), then its bytes.
    fn write_part(&mut self, part: &[u8]) {
        let length = (part.len() as u64).to_le_bytes();
        for byte in length.iter().chain(part) {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(FNV_PRIME);
        }
    }
}

/// Per-bucket digests of the keys of one token range (module doc, "Buckets"). Build one per replica
/// with [`BucketDigests::add`] for every key in the range, then compare with [`differing`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BucketDigests {
    /// First token of the range.
    start: u32,
    /// Last token of the range (inclusive).
    end: u32,
    /// Wrapping sum of the key entries, per bucket.
    digests: Vec<u64>,
    /// Keys added minus keys removed, per bucket.
    keys: Vec<u64>,
}

impl BucketDigests {
    /// Empty digests for `[start, end]` split in `count` buckets. Panics unless `start <= end` and
    /// `1 <= count <= BUCKETS_MAX` (callers validate what they receive).
    pub fn new(start: u32, end: u32, count: usize) -> BucketDigests {
        assert!(start <= end, "token range [{start}, {end}] is empty");
        assert!((1..=BUCKETS_MAX).contains(&count), "bucket count {count} outside 1..={BUCKETS_MAX}");
        BucketDigests { start, end, digests: vec![0; count], keys: vec![0; count] }
    }

    /// The range's first and last token.
    pub fn range(&self) -> (u32, u32) {
        (self.start, self.end)
    }

    /// The bucket `token` falls in, or `None` outside the range.
    pub fn bucket_of(&self, token: u32) -> Option<usize> {
        if token < self.start || token > self.end {
            return None;
        }
        let span = u64::from(self.end - self.start) + 1;
        let offset = u64::from(token - self.start);
        let bucket = offset * self.digests.len() as u64 / span;
        Some(usize::try_from(bucket).expect("bucket index below the bucket count"))
    }

    /// Adds the key `key` with token `token` and state digest `key_digest`; returns its bucket, or
    /// `None` (and changes nothing) when the token lies outside the range.
    pub fn add(&mut self, token: u32, key: &[u8], key_digest: u64) -> Option<usize> {
        let bucket = self.bucket_of(token)?;
        self.digests[bucket] = self.digests[bucket].wrapping_add(key_entry(key, key_digest));
        self.keys[bucket] += 1;
        Some(bucket)
    }

    /// Removes a key added before with the same arguments.
    pub fn remove(&mut self, token: u32, key: &[u8], key_digest: u64) -> Option<usize> {
        let bucket = self.bucket_of(token)?;
        assert!(self.keys[bucket] > 0, "removing a key from empty bucket {bucket}");
        self.digests[bucket] = self.digests[bucket].wrapping_sub(key_entry(key, key_digest));
        self.keys[bucket] -= 1;
        Some(bucket)
    }

    /// The digest of every bucket.
    pub fn digests(&self) -> &[u64] {
        &self.digests
    }

    /// The number of keys in every bucket.
    pub fn keys(&self) -> &[u64] {
        &self.keys
    }
}

/// The buckets whose digests or key counts differ. Panics when `a` and `b` do not describe the same
/// range and bucket count (comparing them would be meaningless).
pub fn differing(a: &BucketDigests, b: &BucketDigests) -> Vec<usize> {
    assert_eq!(a.range(), b.range(), "bucket digests of different ranges");
    assert_eq!(a.digests.len(), b.digests.len(), "bucket digests with different bucket counts");
    (0..a.digests.len()).filter(|&i| a.digests[i] != b.digests[i] || a.keys[i] != b.keys[i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crdt::state::{CrdtType, Element};
    use crate::crdt::timestamp::Timestamp;
    use bytes::Bytes;

    fn state(add: u64, value: &str) -> KeyState {
        KeyState {
            crdt_type: Some(CrdtType::String),
            add: Some(Timestamp::new(add, 0, 1)),
            value: Some(Bytes::copy_from_slice(value.as_bytes())),
            ..KeyState::default()
        }
    }

    #[test]
    fn fnv_reference_values() {
        // From the FNV specification's test vectors.
        assert_eq!(fnv1a_64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a_64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a_64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn key_digest_sees_every_part() {
        let base = state(5, "v");
        let mut observed = base.clone();
        observed.observed.pttl_ms = 99;
        assert_eq!(key_digest(&base), key_digest(&observed), "observed TYPE/PTTL do not count");
        assert_ne!(key_digest(&base), key_digest(&state(6, "v")), "timestamp");
        assert_ne!(key_digest(&base), key_digest(&state(5, "w")), "value");
        let mut tombstone = base.clone();
        tombstone.elements.insert(
            Bytes::from_static(b"m"),
            Element { remove: Some(Timestamp::new(1, 0, 1)), ..Element::default() },
        );
        assert_ne!(key_digest(&base), key_digest(&tombstone), "tombstones count");
        let mut no_value = base.clone();
        no_value.value = None;
        assert_ne!(key_digest(&base), key_digest(&no_value), "a missing value differs from any value");
        // Length prefixes: moving bytes between parts changes the digest.
        let mut split = KeyState::default();
        split.elements.insert(
            Bytes::from_static(b"ab"),
            Element { value: Some(Bytes::from_static(b"c")), ..Element::default() },
        );
        let mut moved = KeyState::default();
        moved.elements.insert(
            Bytes::from_static(b"a"),
            Element { value: Some(Bytes::from_static(b"bc")), ..Element::default() },
        );
        assert_ne!(key_digest(&split), key_digest(&moved));
    }

    /// One golden case: (range, bucket count, token, expected bucket, why).
    type BucketCase = ((u32, u32), usize, u32, Option<usize>, &'static str);

    /// Bucket boundaries.
    #[test]
    fn bucket_of_golden() {
        let cases: &[BucketCase] = &[
            ((0, 99), 4, 0, Some(0), "first token"),
            ((0, 99), 4, 24, Some(0), "last token of the first quarter"),
            ((0, 99), 4, 25, Some(1), "first token of the second quarter"),
            ((0, 99), 4, 99, Some(3), "last token"),
            ((0, 99), 4, 100, None, "past the range"),
            ((10, 10), 3, 10, Some(0), "one-token range"),
            ((0, u32::MAX), 2, u32::MAX / 2 + 1, Some(1), "whole ring: halves split at 2^31"),
            ((0, u32::MAX), 2, u32::MAX / 2, Some(0), "whole ring: last token of the first half"),
        ];
        for ((start, end), count, token, bucket, why) in cases {
            assert_eq!(BucketDigests::new(*start, *end, *count).bucket_of(*token), *bucket, "{why}");
        }
    }

    #[test]
    fn differing_buckets() {
        let keys: Vec<(u32, Vec<u8>, u64)> = (0..50u32)
            .map(|i| (i * 2, format!("k{i}").into_bytes(), key_digest(&state(u64::from(i) + 1, "v"))))
            .collect();
        let mut a = BucketDigests::new(0, 99, 10);
        let mut b = BucketDigests::new(0, 99, 10);
        for (token, key, digest) in &keys {
            a.add(*token, key, *digest);
        }
        for (token, key, digest) in keys.iter().rev() {
            b.add(*token, key, *digest);
        }
        assert_eq!(a, b, "order of visits does not matter");
        assert!(differing(&a, &b).is_empty());
        // A stale key in bucket 3 (tokens 30..39) and a missing key in bucket 7.
        b.remove(34, b"k17", keys[17].2);
        b.add(34, b"k17", key_digest(&state(1, "stale")));
        b.remove(70, b"k35", keys[35].2);
        assert_eq!(differing(&a, &b), vec![3, 7]);
        // Swapped states between two keys of one bucket are noticed.
        let mut c = BucketDigests::new(0, 99, 10);
        let mut d = BucketDigests::new(0, 99, 10);
        c.add(1, b"x", 1);
        c.add(2, b"y", 2);
        d.add(1, b"x", 2);
        d.add(2, b"y", 1);
        assert_eq!(differing(&c, &d), vec![0]);
        assert_eq!(a.add(100, b"out", 1), None, "out of range: ignored");
    }
}
