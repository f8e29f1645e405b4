//! Golden tables for key hashing: C Dynomite's `murmur` (MurmurHash2 32-bit, seed `0xdeadbeef * len`)
//! and the `hash_tag` rule.
//!
//! Every expected token was computed by an independent C implementation written from the algorithm's
//! definition (4-byte little-endian blocks, fall-through tail, final `h ^= h >> 13; h *= m;
//! h ^= h >> 15`), the same program that cross-checked 60,000 random keys (random bytes, lengths
//! 0..300, and tag-heavy keys over `{}ab`) against this crate while it was written.

use dynomite_core::config::{HashAlgorithm, HashTag};
use dynomite_core::ring::{hashed_part, key_token, murmur2};
use proptest::prelude::*;

const BRACES: HashTag = HashTag { open: '{', close: '}' };

#[test]
fn murmur2_golden() {
    let long_pattern = "0123456789abcdef".repeat(16);
    let thousand_x = "x".repeat(1000);
    let cases: [(&[u8], u32); 14] = [
        // Length 0: seed 0, h = 0 ^ 0, and the final mix keeps 0 at 0.
        (b"", 0),
        // Length 1: only the 1-byte tail case runs (`h ^= data[0]; h *= m`).
        (b"a", 1_262_581_116),
        // Length 2: tail cases 2 and 1.
        (b"ab", 3_820_310_011),
        // Length 3: tail cases 3, 2 and 1.
        (b"abc", 2_064_434_216),
        // Length 4: one full block, no tail.
        (b"abcd", 4_016_735_919),
        // Length 5: one block and a 1-byte tail.
        (b"abcde", 2_586_197_722),
        // Length 11: two blocks and a 3-byte tail.
        (b"hello world", 1_578_702_139),
        // Typical application key, 23 bytes: five blocks and a 3-byte tail.
        (b"user:1234567890:profile", 3_206_681_217),
        // The bytes of "42": the hashed part of the tagged keys below.
        (b"42", 3_950_576_936),
        // A single NUL byte is not the empty key: the length enters the seed.
        (&[0x00], 2_758_644_358),
        // High bytes read unsigned and little-endian (0x8000feff as the block, 0x7f as the tail).
        (&[0xff, 0xfe, 0x00, 0x80, 0x7f], 1_257_738_151),
        // 256 bytes: 64 blocks, seed 0xdeadbeef * 256 wraps in 32 bits.
        (long_pattern.as_bytes(), 2_754_157_268),
        // 1000 bytes: 250 blocks of the same word, no tail.
        (thousand_x.as_bytes(), 1_185_167_751),
        // Three bytes, so "foo" differs from any one- or two-byte key above.
        (b"foo", 3_303_027_599),
    ];
    for (key, expected) in cases {
        assert_eq!(murmur2(key), expected, "key {:?}", String::from_utf8_lossy(key));
        assert_eq!(key_token(key, HashAlgorithm::Murmur, None), expected, "without a tag, the whole key");
    }
}

#[test]
fn hash_tag_golden() {
    let cases: [(&[u8], &[u8], u32); 8] = [
        // Only "42" is hashed: same token as the plain key "42".
        (b"user:{42}:name", b"42", 3_950_576_936),
        // An empty tag hashes the empty string (token 0), as in C Dynomite's key parser.
        (b"{}abc", b"", 0),
        (b"x{}", b"", 0),
        // No close after the open: the whole key is hashed.
        (b"abc{def", b"abc{def", 2_595_349_612),
        // A close before the first open is ignored; the first "{" pairs with the next "}": "c".
        (b"a}b{c}", b"c", 651_168_840),
        // Only the first tag counts: "a".
        (b"{a}{b}", b"a", 1_262_581_116),
        // A close without an open: the whole key.
        (b"abc}", b"abc}", 3_296_765_407),
        // A lone open: the whole key.
        (b"{", b"{", 2_829_462_847),
    ];
    for (key, part, expected) in cases {
        let shown = String::from_utf8_lossy(key);
        assert_eq!(hashed_part(key, BRACES), part, "hashed part of {shown:?}");
        assert_eq!(key_token(key, HashAlgorithm::Murmur, Some(BRACES)), expected, "token of {shown:?}");
    }
}

#[test]
fn hash_tag_with_other_and_multibyte_delimiters() {
    // Same open and close character: the close is searched after the open.
    let bars = HashTag { open: '|', close: '|' };
    assert_eq!(hashed_part(b"a|bc|d", bars), b"bc");
    // Non-ASCII delimiters match as their UTF-8 bytes.
    let guillemets = HashTag { open: '«', close: '»' };
    assert_eq!(hashed_part("k«tag»v".as_bytes(), guillemets), b"tag");
    assert_eq!(hashed_part("k«tag".as_bytes(), guillemets), "k«tag".as_bytes());
}

proptest! {
    #[test]
    fn keys_sharing_a_tag_share_a_token(
        tag in "[a-z0-9]{0,12}",
        prefix in "[a-z:]{0,8}",
        suffix in "[a-z{}:]{0,8}",
    ) {
        let key = format!("{prefix}{{{tag}}}{suffix}");
        let token = key_token(key.as_bytes(), HashAlgorithm::Murmur, Some(BRACES));
        prop_assert_eq!(token, murmur2(tag.as_bytes()));
    }

    #[test]
    fn keys_without_the_open_character_hash_whole(key in proptest::collection::vec(any::<u8>(), 0..64)) {
        prop_assume!(!key.contains(&b'{'));
        prop_assert_eq!(key_token(&key, HashAlgorithm::Murmur, Some(BRACES)), murmur2(&key));
    }

    #[test]
    fn hashed_part_is_a_slice_of_the_key(key in proptest::collection::vec(any::<u8>(), 0..64)) {
        let part = hashed_part(&key, BRACES);
        prop_assert!(part.len() <= key.len());
        prop_assert!(key.windows(part.len().max(1)).any(|window| window.starts_with(part)) || part.is_empty());
    }
}
