//! Properties of the cluster module:
//! - a verdict is never a reply unless a quorum of identical replies arrived (safe levels), a quorum
//!   of replies arrived (DC_QUORUM) or any reply arrived (DC_ONE); and when the results allow it, it is;
//! - recording the same results in any order gives the same verdict class, and for the safe levels
//!   the same reply;
//! - MGET/EXISTS/DEL split over random owners and merged equal the answer of one store;
//! - the composite SCAN cursor round-trips, visits every node in order, and decoding never panics.

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_core::cluster::{
    decide_all, merge_multi_key, quorum_size, split_multi_key, ClusterCursor, ReplicaFailure, ReplicaResult,
    Verdict, NODE_CURSOR_MAX, RACK_NODES_MAX_COUNT,
};
use dynomite_core::config::Consistency;
use dynomite_core::resp::Frame;
use proptest::prelude::*;

/// A result: `Some(letter)` a reply among a few values (so that agreement is likely), `None` a failure.
fn result_of(outcome: Option<u8>) -> ReplicaResult {
    match outcome {
        Some(letter) => ReplicaResult::Reply(Bytes::from(vec![b'+', b'A' + letter, b'\r', b'\n'])),
        None => ReplicaResult::Failed(ReplicaFailure::PeerDown),
    }
}

/// A level, the replicas contacted per group, and the results as `(group, outcome)`.
type Scenario = (Consistency, Vec<usize>, Vec<(usize, Option<u8>)>);

/// Up to `contacted` results per group (fewer = the rest timed out), each tagged with its group.
fn scenario() -> impl Strategy<Value = Scenario> {
    let level = prop::sample::select(Consistency::ALL.to_vec());
    let groups = prop::collection::vec(0usize..=5, 1..=3);
    (level, groups).prop_flat_map(|(level, groups)| {
        let per_group: Vec<_> = groups
            .iter()
            .enumerate()
            .map(|(group, &contacted)| {
                let outcome = prop::option::weighted(0.8, 0u8..3);
                prop::collection::vec(outcome.prop_map(move |outcome| (group, outcome)), 0..=contacted)
            })
            .collect();
        let results = per_group.prop_map(|lists| lists.concat()).prop_shuffle();
        (Just(level), Just(groups), results)
    })
}

/// Copies of each distinct reply of one group.
fn reply_counts(results: &[(usize, Option<u8>)], group: usize) -> BTreeMap<u8, usize> {
    let mut counts = BTreeMap::new();
    for (_, letter) in results.iter().filter(|(result_group, _)| *result_group == group) {
        if let Some(letter) = letter {
            *counts.entry(*letter).or_insert(0) += 1;
        }
    }
    counts
}

/// Whether a group's results satisfy the level (the model the collector is checked against).
fn group_satisfied(level: Consistency, contacted: usize, counts: &BTreeMap<u8, usize>) -> bool {
    let replies: usize = counts.values().sum();
    let most_copies = counts.values().copied().max().unwrap_or(0);
    match level {
        Consistency::DcOne => replies > 0,
        Consistency::DcQuorum => replies >= quorum_size(contacted),
        Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum => most_copies >= quorum_size(contacted),
    }
}

fn model_is_reply(level: Consistency, groups: &[usize], results: &[(usize, Option<u8>)]) -> bool {
    let deciding = if level == Consistency::DcEachSafeQuorum { groups.len() } else { 1 };
    (0..deciding).all(|group| group_satisfied(level, groups[group], &reply_counts(results, group)))
}

fn run(level: Consistency, groups: &[usize], results: &[(usize, Option<u8>)]) -> Verdict {
    decide_all(level, groups, results.iter().map(|&(group, outcome)| (group, result_of(outcome))))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn verdict_class_follows_the_level((level, groups, results) in scenario()) {
        let verdict = run(level, &groups, &results);
        prop_assert_eq!(verdict.is_reply(), model_is_reply(level, &groups, &results), "{:?}", verdict);
        if let Verdict::Reply(bytes) = &verdict {
            let letter = bytes[1] - b'A';
            let copies = reply_counts(&results, 0).get(&letter).copied().unwrap_or(0);
            prop_assert!(copies >= 1, "the reply came from the local group");
            if matches!(level, Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum) {
                prop_assert!(copies >= quorum_size(groups[0]), "a safe reply has a quorum of copies");
            }
        }
    }

    #[test]
    fn order_does_not_change_the_class(
        (level, groups, results) in scenario(),
        seed in any::<u64>(),
    ) {
        let mut reordered = results.clone();
        // A deterministic reordering (rotation then reversal) drawn from the seed.
        if !reordered.is_empty() {
            let len = reordered.len();
            reordered.rotate_left((seed as usize) % len);
            if seed & 1 == 1 {
                reordered.reverse();
            }
        }
        let first = run(level, &groups, &results);
        let second = run(level, &groups, &reordered);
        prop_assert_eq!(first.is_reply(), second.is_reply());
        if matches!(level, Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum) {
            prop_assert_eq!(first, second, "a safe quorum names one value whatever the order");
        }
    }

    #[test]
    fn split_and_merge_equal_one_store(
        keys in prop::collection::vec(prop::sample::select(vec!["a", "b", "c", "d", "e", "{t}1", "{t}2"]), 1..12),
        present in prop::collection::btree_set(prop::sample::select(vec!["a", "c", "e", "{t}1"]), 0..4),
        nodes in 1u32..6,
        salt in any::<u32>(),
    ) {
        let store: BTreeMap<&str, Frame> = present.iter().map(|key| (*key, Frame::bulk(format!("v-{key}")))).collect();
        let owner_of = |key: &[u8]| key.iter().fold(salt, |hash, byte| hash.wrapping_mul(31) ^ u32::from(*byte)) % nodes;
        let args: Vec<Bytes> = keys.iter().map(|key| Bytes::from(key.to_string())).collect();
        let lookup = |key: &Bytes| std::str::from_utf8(key).ok().and_then(|key| store.get(key)).cloned();

        let direct_mget = Frame::Array(args.iter().map(|key| lookup(key).unwrap_or(Frame::Null)).collect());
        let direct_exists = Frame::Integer(args.iter().filter(|key| lookup(key).is_some()).count() as i64);
        for (command, direct) in [("MGET", direct_mget), ("exists", direct_exists)] {
            let fragments = split_multi_key(command, &args, owner_of).expect("valid command");
            let mut owners: Vec<u32> = fragments.iter().map(|fragment| fragment.owner).collect();
            owners.dedup();
            prop_assert_eq!(owners.len(), fragments.len(), "one fragment per owner");
            let answered: Vec<_> = fragments
                .into_iter()
                .map(|fragment| {
                    let keys = &fragment.args[1..];
                    let reply = if command == "MGET" {
                        Frame::Array(keys.iter().map(|key| lookup(key).unwrap_or(Frame::Null)).collect())
                    } else {
                        Frame::Integer(keys.iter().filter(|key| lookup(key).is_some()).count() as i64)
                    };
                    (fragment, reply)
                })
                .collect();
            prop_assert_eq!(merge_multi_key(command, args.len(), &answered), direct);
        }
    }

    #[test]
    fn cursor_round_trips(node_count in 1usize..=RACK_NODES_MAX_COUNT, index_seed in any::<usize>(), node_cursor in 0..=NODE_CURSOR_MAX) {
        let cursor = ClusterCursor { node_index: index_seed % node_count, node_cursor };
        let encoded = cursor.encode().expect("fits the layout");
        prop_assert_eq!(ClusterCursor::decode(encoded.to_string().as_bytes(), node_count), Ok(cursor));
    }

    #[test]
    fn cursor_decoding_never_panics(text in prop::collection::vec(any::<u8>(), 0..24), node_count in 0usize..2000) {
        let _ = ClusterCursor::decode(&text, node_count);
    }

    #[test]
    fn merging_never_panics(
        command in prop::sample::select(vec!["MGET", "MSET", "DEL", "UNLINK", "EXISTS", "TOUCH", "GET"]),
        key_count in 0usize..6,
        replies in prop::collection::vec(prop_oneof![
            Just(Frame::ok()), Just(Frame::Null), (-3i64..3).prop_map(Frame::Integer),
            Just(Frame::error("ERR x")), Just(Frame::Array(vec![Frame::Null, Frame::bulk("v")])),
        ], 0..4),
        slots in prop::collection::vec(prop::collection::vec(0usize..8, 0..3), 0..4),
    ) {
        let fragments: Vec<_> = replies
            .into_iter()
            .zip(slots)
            .enumerate()
            .map(|(owner, (reply, key_slots))| (dynomite_core::cluster::Fragment { owner, args: Vec::new(), key_slots }, reply))
            .collect();
        let _ = merge_multi_key(command, key_count, &fragments);
    }
}

#[test]
fn a_scan_visits_every_node_then_ends_at_zero() {
    let node_count = 3;
    // Each node answers two pages: first cursor 7, then 0.
    let mut client_cursor = 0u64;
    let mut visited = Vec::new();
    loop {
        let cursor =
            ClusterCursor::decode(client_cursor.to_string().as_bytes(), node_count).expect("our cursor");
        let returned = if cursor.node_cursor == 0 { 7 } else { 0 };
        visited.push((cursor.node_index, cursor.node_cursor));
        client_cursor = cursor.next_client_cursor(returned, node_count).expect("fits");
        if client_cursor == 0 {
            break;
        }
    }
    assert_eq!(visited, vec![(0, 0), (0, 7), (1, 0), (1, 7), (2, 0), (2, 7)]);
}

#[test]
fn cursor_errors() {
    use dynomite_core::cluster::CursorError;
    assert_eq!(ClusterCursor::decode(b"", 3), Err(CursorError::Invalid));
    assert_eq!(ClusterCursor::decode(b"-1", 3), Err(CursorError::Invalid));
    assert_eq!(ClusterCursor::decode(b"18446744073709551616", 3), Err(CursorError::Invalid));
    let node_three = (3u64 << 54).to_string();
    assert_eq!(
        ClusterCursor::decode(node_three.as_bytes(), 3),
        Err(CursorError::NodeOutOfRange { node_index: 3, node_count: 3 })
    );
    let too_wide = ClusterCursor { node_index: 0, node_cursor: 1 << 54 };
    assert_eq!(too_wide.encode(), Err(CursorError::NodeCursorTooLarge { node_cursor: 1 << 54 }));
    assert_eq!(CursorError::Invalid.to_string(), "ERR invalid cursor");
    assert_eq!(ClusterCursor::decode(b"0", 1), Ok(ClusterCursor::START));
}
