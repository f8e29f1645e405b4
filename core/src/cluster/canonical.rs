//! One canonical order for replies whose order Redis leaves open, so replicas can be compared.
//!
//! Commands whose Redis 7 tips say `nondeterministic_output_order` ([`ReplyOrder::Unordered`]:
//! SMEMBERS, SINTER, SUNION, SDIFF, HGETALL, HKEYS, HVALS, KEYS, ...) list the same elements on every
//! replica that holds the same data, but each Redis lists them in its own hash-table order. Two replicas
//! with equal sets send different bytes, and a byte-for-byte quorum (DC_SAFE_QUORUM) would fail.
//! [`canonical_reply`] sorts such a reply's top-level elements, so equal multisets give equal bytes and
//! different multisets stay different:
//!
//! - arrays (`*`) and RESP3 sets (`~`): the elements are sorted;
//! - RESP3 maps (`%`), and in RESP2 the flat field/value arrays of [`PAIR_REPLY_COMMANDS`] (HGETALL):
//!   the field/value pairs are sorted, each field staying with its value.
//!
//! The order: by payload for bulk strings (so members come back in byte order, as a client sorting
//! them would expect), then by the element's full encoding, which makes it total. Elements keep their
//! exact bytes (nothing is re-encoded), so the reply stays in the protocol it arrived in. Only the top
//! level is sorted: no Unordered command nests unordered aggregates that replicas fill differently.
//!
//! Everything else is returned unchanged (a cheap `Bytes` clone): commands with a defined order or a
//! random reply, errors, nulls, scalars, and anything that does not parse as one complete frame.

use bytes::{BufMut, Bytes, BytesMut};

use crate::command::{CommandSpec, ReplyOrder};
use crate::resp::{check_frame, Limits, Protocol, PARSE_MAX_DEPTH_LEVELS};

/// Unordered commands whose RESP2 reply is a flat array of field, value, field, value ... (a map in
/// RESP3). The pairs are sorted as units.
pub const PAIR_REPLY_COMMANDS: &[&str] = &["HGETALL", "COMMAND|DOCS"];

/// Limits for walking a reply that arrived whole: sizes are bounded by the buffer itself.
const WALK_LIMITS: Limits = Limits {
    max_bulk_len: usize::MAX,
    max_array_len: usize::MAX,
    max_inline_len: usize::MAX,
    max_depth: PARSE_MAX_DEPTH_LEVELS,
};

/// The smallest encoded element (`_\r\n`): bounds the capacity taken from a header's count.
const ELEMENT_MIN_BYTES: usize = 3;

/// `raw`, the complete reply of `spec` in `protocol`, in canonical order when `spec`'s reply order is
/// [`ReplyOrder::Unordered`]; otherwise (and for errors, nulls, scalars or malformed bytes) `raw`
/// itself. `args` is the request (name first); today no Unordered command's reply shape depends on it.
pub fn canonical_reply(spec: &CommandSpec, _args: &[Bytes], protocol: Protocol, raw: &Bytes) -> Bytes {
    if spec.reply_order() != ReplyOrder::Unordered {
        return raw.clone();
    }
    let flat_pairs = protocol == Protocol::Resp2 && PAIR_REPLY_COMMANDS.contains(&spec.name);
    sorted(raw, flat_pairs).unwrap_or_else(|| raw.clone())
}

/// The top-level aggregate of `raw` sorted, or None when it is not one (or is already sorted).
fn sorted(raw: &Bytes, flat_pairs: bool) -> Option<Bytes> {
    let (kind, count, header_end) = aggregate_header(raw)?;
    let children = if kind == b'%' { count.checked_mul(2)? } else { count };
    let mut elements: Vec<&[u8]> = Vec::with_capacity(children.min(raw.len() / ELEMENT_MIN_BYTES));
    let mut position = header_end;
    for _ in 0..children {
        let length = check_frame(raw.get(position..)?, &WALK_LIMITS).ok()?;
        elements.push(&raw[position..position + length]);
        position += length;
    }
    if position != raw.len() {
        return None;
    }
    let mut out = BytesMut::with_capacity(raw.len());
    out.put_slice(&raw[..header_end]);
    if kind == b'%' || (flat_pairs && kind == b'*') {
        let chunks = elements.chunks_exact(2);
        if !chunks.remainder().is_empty() {
            return None;
        }
        let mut pairs: Vec<(&[u8], &[u8])> = chunks.map(|pair| (pair[0], pair[1])).collect();
        let order = |a: &(&[u8], &[u8]), b: &(&[u8], &[u8])| {
            element_order(a.0, b.0).then_with(|| element_order(a.1, b.1))
        };
        if pairs.windows(2).all(|two| order(&two[0], &two[1]).is_le()) {
            return None;
        }
        pairs.sort_unstable_by(order);
        for (field, value) in pairs {
            out.put_slice(field);
            out.put_slice(value);
        }
    } else {
        if elements.windows(2).all(|two| element_order(two[0], two[1]).is_le()) {
            return None;
        }
        elements.sort_unstable_by(|a, b| element_order(a, b));
        for element in elements {
            out.put_slice(element);
        }
    }
    Some(out.freeze())
}

/// `*n`, `~n` or `%n` at the start of `raw`: the type byte, `n` and where the header ends. Null
/// aggregates (`*-1`) and other types are None.
fn aggregate_header(raw: &[u8]) -> Option<(u8, usize, usize)> {
    let kind = *raw.first().filter(|kind| matches!(kind, b'*' | b'~' | b'%'))?;
    let line_end = raw.windows(2).position(|pair| pair == b"\r\n")?;
    let digits = raw.get(1..line_end)?;
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let count = std::str::from_utf8(digits).ok()?.parse::<usize>().ok()?;
    if count > raw.len() / ELEMENT_MIN_BYTES {
        return None;
    }
    Some((kind, count, line_end + 2))
}

/// The canonical order of two encoded elements: bulk strings by payload first, then by the full
/// encoding (a total order: equal only when the bytes are equal).
fn element_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    sort_key(a).cmp(sort_key(b)).then_with(|| a.cmp(b))
}

/// A bulk string's payload (`$3\r\nabc\r\n` → `abc`); any other element's whole encoding.
fn sort_key(element: &[u8]) -> &[u8] {
    if element.first() != Some(&b'$') {
        return element;
    }
    let Some(line_end) = element.windows(2).position(|pair| pair == b"\r\n") else {
        return element;
    };
    element.get(line_end + 2..element.len().saturating_sub(2)).unwrap_or(element)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::lookup_full_name;
    use crate::resp::{encode, Frame};
    use proptest::prelude::*;

    fn spec(name: &str) -> &'static CommandSpec {
        lookup_full_name(name.as_bytes()).expect("in the table")
    }

    fn bytes(frame: &Frame, protocol: Protocol) -> Bytes {
        let mut out = BytesMut::new();
        encode(frame, protocol, &mut out);
        out.freeze()
    }

    fn bulks(items: &[&str]) -> Vec<Frame> {
        items.iter().map(|item| Frame::bulk(*item)).collect()
    }

    fn canonical(name: &str, protocol: Protocol, frame: &Frame) -> Bytes {
        canonical_reply(spec(name), &[], protocol, &bytes(frame, protocol))
    }

    #[test]
    fn reply_orders_come_from_the_tips() {
        for name in ["SMEMBERS", "SINTER", "SUNION", "SDIFF", "HGETALL", "HKEYS", "HVALS", "KEYS"] {
            assert_eq!(spec(name).reply_order(), ReplyOrder::Unordered, "{name}");
        }
        for name in ["SRANDMEMBER", "HRANDFIELD", "ZRANDMEMBER", "RANDOMKEY", "SPOP", "SCAN", "TIME"] {
            assert_eq!(spec(name).reply_order(), ReplyOrder::Random, "{name}");
        }
        for name in ["GET", "MGET", "LRANGE", "ZRANGE", "HGET", "SISMEMBER", "SET", "SINTERCARD"] {
            assert_eq!(spec(name).reply_order(), ReplyOrder::Defined, "{name}");
        }
    }

    #[test]
    fn set_members_are_sorted_in_both_protocols() {
        let members = Frame::Array(bulks(&["c", "a", "bb", "b"]));
        let expected = bytes(&Frame::Array(bulks(&["a", "b", "bb", "c"])), Protocol::Resp2);
        assert_eq!(canonical("SMEMBERS", Protocol::Resp2, &members), expected);
        let set = Frame::Set(bulks(&["c", "a", "bb", "b"]));
        let expected = bytes(&Frame::Set(bulks(&["a", "b", "bb", "c"])), Protocol::Resp3);
        assert_eq!(canonical("SMEMBERS", Protocol::Resp3, &set), expected);
    }

    #[test]
    fn hgetall_pairs_stay_together() {
        let flat = Frame::Array(bulks(&["f2", "v1", "f1", "v2", "f3", "v0"]));
        let expected = bytes(&Frame::Array(bulks(&["f1", "v2", "f2", "v1", "f3", "v0"])), Protocol::Resp2);
        assert_eq!(canonical("HGETALL", Protocol::Resp2, &flat), expected);
        let pairs = |list: &[(&str, &str)]| {
            Frame::Map(list.iter().map(|(field, value)| (Frame::bulk(*field), Frame::bulk(*value))).collect())
        };
        let map = pairs(&[("f2", "v1"), ("f1", "v2"), ("f3", "v0")]);
        let expected = bytes(&pairs(&[("f1", "v2"), ("f2", "v1"), ("f3", "v0")]), Protocol::Resp3);
        assert_eq!(canonical("HGETALL", Protocol::Resp3, &map), expected);
        // HVALS and HKEYS are plain arrays: the values are sorted on their own.
        let values = Frame::Array(bulks(&["v1", "v2", "v0"]));
        assert_eq!(
            canonical("HVALS", Protocol::Resp2, &values),
            bytes(&Frame::Array(bulks(&["v0", "v1", "v2"])), Protocol::Resp2)
        );
    }

    #[test]
    fn other_replies_are_returned_as_they_are() {
        let unsorted = Frame::Array(bulks(&["b", "a"]));
        for name in ["LRANGE", "SRANDMEMBER", "MGET", "ZRANGE"] {
            let raw = bytes(&unsorted, Protocol::Resp2);
            assert_eq!(canonical_reply(spec(name), &[], Protocol::Resp2, &raw), raw, "{name}");
        }
        let smembers = spec("SMEMBERS");
        for raw in [
            &b"-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"[..],
            b"*-1\r\n",
            b"*0\r\n",
            b"_\r\n",
            b":3\r\n",
            b"$1\r\na\r\n",
            b"*2\r\n$1\r\nb\r\n",            // truncated
            b"*1\r\n$1\r\nb\r\n$1\r\na\r\n", // trailing bytes
            b"*x\r\n",
        ] {
            let raw = Bytes::copy_from_slice(raw);
            assert_eq!(canonical_reply(smembers, &[], Protocol::Resp2, &raw), raw);
        }
        let odd = bytes(&Frame::Array(bulks(&["f", "v", "g"])), Protocol::Resp2);
        assert_eq!(canonical_reply(spec("HGETALL"), &[], Protocol::Resp2, &odd), odd);
    }

    #[test]
    fn nested_elements_are_sorted_as_units() {
        let function_list = Frame::Array(vec![
            Frame::Array(bulks(&["library_name", "zlib"])),
            Frame::Array(bulks(&["library_name", "alib"])),
        ]);
        let expected = bytes(
            &Frame::Array(vec![
                Frame::Array(bulks(&["library_name", "alib"])),
                Frame::Array(bulks(&["library_name", "zlib"])),
            ]),
            Protocol::Resp2,
        );
        assert_eq!(canonical("FUNCTION|LIST", Protocol::Resp2, &function_list), expected);
    }

    /// Shuffles `items` with the permutation encoded by `seed` (Fisher-Yates from a small LCG).
    fn permuted<T: Clone>(items: &[T], seed: u64) -> Vec<T> {
        let mut items = items.to_vec();
        let mut state = seed | 1;
        for index in (1..items.len()).rev() {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            items.swap(index, (state >> 33) as usize % (index + 1));
        }
        items
    }

    fn member() -> impl Strategy<Value = Vec<u8>> {
        prop::collection::vec(
            prop_oneof![Just(b'a'), Just(b'b'), Just(b'\r'), Just(b'\n'), any::<u8>()],
            0..4,
        )
    }

    fn protocol() -> impl Strategy<Value = Protocol> {
        prop_oneof![Just(Protocol::Resp2), Just(Protocol::Resp3)]
    }

    fn members_frame(members: &[Vec<u8>], protocol: Protocol) -> Frame {
        let items = members.iter().map(|member| Frame::Bulk(Bytes::from(member.clone()))).collect();
        match protocol {
            Protocol::Resp2 => Frame::Array(items),
            Protocol::Resp3 => Frame::Set(items),
        }
    }

    fn hash_frame(pairs: &[(Vec<u8>, Vec<u8>)], protocol: Protocol) -> Frame {
        let bulk = |data: &Vec<u8>| Frame::Bulk(Bytes::from(data.clone()));
        match protocol {
            Protocol::Resp2 => Frame::Array(pairs.iter().flat_map(|(f, v)| [bulk(f), bulk(v)]).collect()),
            Protocol::Resp3 => Frame::Map(pairs.iter().map(|(f, v)| (bulk(f), bulk(v))).collect()),
        }
    }

    fn multiset<T: Ord + Clone>(items: &[T]) -> Vec<T> {
        let mut items = items.to_vec();
        items.sort();
        items
    }

    proptest! {
        #[test]
        fn permutations_of_one_multiset_canonicalize_alike(
            members in prop::collection::vec(member(), 0..40),
            pairs in prop::collection::vec((member(), member()), 0..30),
            seeds in (any::<u64>(), any::<u64>()),
            protocol in protocol(),
        ) {
            for name in ["SMEMBERS", "SUNION", "KEYS", "HKEYS"] {
                let first = canonical(name, protocol, &members_frame(&permuted(&members, seeds.0), protocol));
                let second = canonical(name, protocol, &members_frame(&permuted(&members, seeds.1), protocol));
                prop_assert_eq!(&first, &second);
                let sorted = canonical(name, protocol, &members_frame(&multiset(&members), protocol));
                prop_assert_eq!(sorted.len(), first.len());
            }
            let first = canonical("HGETALL", protocol, &hash_frame(&permuted(&pairs, seeds.0), protocol));
            let second = canonical("HGETALL", protocol, &hash_frame(&permuted(&pairs, seeds.1), protocol));
            prop_assert_eq!(first, second);
        }

        #[test]
        fn different_multisets_stay_different(
            left in prop::collection::vec(member(), 0..20),
            right in prop::collection::vec(member(), 0..20),
            left_pairs in prop::collection::vec((member(), member()), 0..12),
            right_pairs in prop::collection::vec((member(), member()), 0..12),
            protocol in protocol(),
        ) {
            let same = multiset(&left) == multiset(&right);
            let a = canonical("SMEMBERS", protocol, &members_frame(&left, protocol));
            let b = canonical("SMEMBERS", protocol, &members_frame(&right, protocol));
            prop_assert_eq!(a == b, same);
            let same = multiset(&left_pairs) == multiset(&right_pairs);
            let a = canonical("HGETALL", protocol, &hash_frame(&left_pairs, protocol));
            let b = canonical("HGETALL", protocol, &hash_frame(&right_pairs, protocol));
            prop_assert_eq!(a == b, same);
        }

        #[test]
        fn the_canonical_reply_is_one_valid_frame_of_the_same_elements(
            members in prop::collection::vec(member(), 0..40),
            protocol in protocol(),
        ) {
            let raw = bytes(&members_frame(&members, protocol), protocol);
            let canonical = canonical_reply(spec("SMEMBERS"), &[], protocol, &raw);
            let Ok(Frame::Array(items) | Frame::Set(items)) = crate::resp::parse_frame(&canonical) else {
                panic!("an aggregate");
            };
            prop_assert_eq!(check_frame(&canonical, &WALK_LIMITS).ok(), Some(canonical.len()));
            let mut got: Vec<Vec<u8>> = items
                .into_iter()
                .map(|item| match item { Frame::Bulk(data) => data.to_vec(), other => panic!("{other:?}") })
                .collect();
            got.sort();
            prop_assert_eq!(got, multiset(&members));
            // Idempotent.
            prop_assert_eq!(canonical_reply(spec("SMEMBERS"), &[], protocol, &canonical), canonical.clone());
        }
    }
}
