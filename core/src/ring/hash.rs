//! Key → token: C Dynomite's `murmur` hash (MurmurHash2, 32-bit) and the `hash_tag` rule that picks
//! which bytes of a key are hashed.
//!
//! Both follow C Dynomite exactly, so a key lands on the same node as it would in a C cluster with
//! the same tokens:
//! - `hash_murmur` (`src/hashkit/dyn_murmur.c`) is MurmurHash2 with `m = 0x5bd1e995`, `r = 24` and
//!   the seed `0xdeadbeef * length` (32-bit wrapping), reading 4-byte blocks little-endian (C reads
//!   them as native `unsigned int` on little-endian x86/ARM);
//! - the hash tag (`src/proto/dyn_redis.c`, key parsing) is applied as twemproxy does: find the first
//!   open character; if a close character follows it, hash only the bytes strictly between them,
//!   even when that is nothing (`x{}y` hashes the empty string); otherwise hash the whole key.

use crate::config::{HashAlgorithm, HashTag};

/// MurmurHash2's multiplication constant.
const MURMUR_MULTIPLIER: u32 = 0x5bd1_e995;
/// MurmurHash2's shift.
const MURMUR_SHIFT: u32 = 24;
/// Dynomite's per-length seed factor: the seed is `MURMUR_SEED_FACTOR * length`.
const MURMUR_SEED_FACTOR: u32 = 0xdead_beef;

/// MurmurHash2 32-bit of `key` with C Dynomite's seed `0xdeadbeef * len`: the key's token under
/// `hash: murmur`. The length is truncated to 32 bits like C's `(uint32_t)length`.
pub fn murmur2(key: &[u8]) -> u32 {
    // Truncation is the point: C casts `size_t length` to `uint32_t`.
    let length = key.len() as u32;
    let mut hash = MURMUR_SEED_FACTOR.wrapping_mul(length) ^ length;
    let mut blocks = key.chunks_exact(4);
    for block in &mut blocks {
        let mut word = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        word = word.wrapping_mul(MURMUR_MULTIPLIER);
        word ^= word >> MURMUR_SHIFT;
        word = word.wrapping_mul(MURMUR_MULTIPLIER);
        hash = hash.wrapping_mul(MURMUR_MULTIPLIER) ^ word;
    }
    hash = mix_tail(hash, blocks.remainder());
    hash ^= hash >> 13;
    hash = hash.wrapping_mul(MURMUR_MULTIPLIER);
    hash ^ (hash >> 15)
}

/// Folds the last 0..=3 bytes into `hash` (the fall-through `switch` of the C code).
fn mix_tail(mut hash: u32, tail: &[u8]) -> u32 {
    if let Some(byte) = tail.get(2) {
        hash ^= u32::from(*byte) << 16;
    }
    if let Some(byte) = tail.get(1) {
        hash ^= u32::from(*byte) << 8;
    }
    if let Some(byte) = tail.first() {
        hash ^= u32::from(*byte);
        hash = hash.wrapping_mul(MURMUR_MULTIPLIER);
    }
    hash
}

/// The token of `key`: the hash of its hashed part (see [`hashed_part`]) under `algorithm`.
pub fn key_token(key: &[u8], algorithm: HashAlgorithm, hash_tag: Option<HashTag>) -> u32 {
    let hashed = match hash_tag {
        Some(tag) => hashed_part(key, tag),
        None => key,
    };
    match algorithm {
        HashAlgorithm::Murmur => murmur2(hashed),
    }
}

/// The bytes of `key` that are hashed under `tag`: those strictly between the first `tag.open` and
/// the first `tag.close` after it (possibly none), or the whole key when either is missing.
/// Delimiters that are not ASCII are matched as their UTF-8 byte sequences.
pub fn hashed_part(key: &[u8], tag: HashTag) -> &[u8] {
    let mut open_buffer = [0_u8; 4];
    let mut close_buffer = [0_u8; 4];
    let open = tag.open.encode_utf8(&mut open_buffer).as_bytes();
    let close = tag.close.encode_utf8(&mut close_buffer).as_bytes();
    let Some(open_at) = find(key, open) else {
        return key;
    };
    let inside_start = open_at + open.len();
    let Some(inside) = key.get(inside_start..) else {
        return key;
    };
    match find(inside, close) {
        Some(close_at) => &inside[..close_at],
        None => key,
    }
}

/// Index of the first occurrence of `needle` (1..=4 bytes) in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}
