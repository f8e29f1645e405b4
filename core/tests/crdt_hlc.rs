//! Properties of CRDT timestamps and the hybrid logical clock: the 24-hex encoding sorts like the
//! timestamps themselves (the Lua scripts compare encodings as strings) and round-trips.

use dynomite_core::crdt::timestamp::{Timestamp, PHYSICAL_MAX_MS};
use proptest::prelude::*;

fn timestamp() -> impl Strategy<Value = Timestamp> {
    // Mix small ranges (to get ties on the leading fields) with the full ranges.
    let physical = prop_oneof![0u64..4, 0u64..=PHYSICAL_MAX_MS];
    let logical = prop_oneof![0u16..4, any::<u16>()];
    let node = prop_oneof![0u32..4, any::<u32>()];
    (physical, logical, node).prop_map(|(physical, logical, node)| Timestamp::new(physical, logical, node))
}

proptest! {
    #[test]
    fn encoding_order_is_timestamp_order(a in timestamp(), b in timestamp()) {
        prop_assert_eq!(a.encode().cmp(&b.encode()), a.cmp(&b));
    }

    #[test]
    fn encoding_round_trips(a in timestamp()) {
        prop_assert_eq!(Timestamp::parse(&a.encode()), Ok(a));
        prop_assert_eq!(Timestamp::parse(&a.to_bytes()), Ok(a));
    }

    #[test]
    fn missing_sorts_first(a in timestamp()) {
        // The empty string (a missing field) is older than every encoding, like None < Some.
        prop_assert!(b"".as_slice() < a.encode().as_slice());
        prop_assert!(None < Some(a));
    }
}
