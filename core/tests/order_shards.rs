//! Order shards: which pooled connection a key takes, and how multi-key requests are split so that
//! every fragment's keys travel on one connection of every pool in play.

use bytes::Bytes;
use dynomite_core::cluster::{merge_multi_key, split_multi_key, Fragment};
use dynomite_core::config::keys::CONNECTIONS_MAX;
use dynomite_core::config::HashAlgorithm;
use dynomite_core::request::{order_shard, pool_slot, KeyHasher, OrderSplit, ORDER_SHARD_COUNT};
use dynomite_core::resp::Frame;
use proptest::prelude::*;

const HASHER: KeyHasher = KeyHasher { algorithm: HashAlgorithm::Murmur, tag: None };

fn args(words: &[String]) -> Vec<Bytes> {
    words.iter().map(|word| Bytes::from(word.clone())).collect()
}

/// A made-up replica set per token (three of them), standing in for the ring.
fn replica_set(token: u32) -> u32 {
    token / 7 % 3
}

/// The coordinator's fragment owner: the replica set and the order group.
fn owner(split: OrderSplit) -> impl Fn(&[u8]) -> (u32, u32) {
    move |key: &[u8]| {
        let token = HASHER.token(key);
        (replica_set(token), split.group(token))
    }
}

fn keys(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("key:{n}")).collect()
}

#[test]
fn every_pool_size_uses_all_its_connections() {
    assert_eq!(ORDER_SHARD_COUNT as usize, CONNECTIONS_MAX);
    for size in 1..=CONNECTIONS_MAX {
        let mut used: Vec<usize> = (0..ORDER_SHARD_COUNT).map(|shard| pool_slot(shard, size)).collect();
        used.sort_unstable();
        used.dedup();
        assert_eq!(used, (0..size).collect::<Vec<_>>(), "pool of {size}");
    }
}

#[test]
fn split_moduli() {
    let modulus = |sizes: &[usize]| OrderSplit::for_pools(sizes.iter().copied()).modulus();
    assert_eq!(modulus(&[1, 1, 1]), 1);
    assert!(!OrderSplit::for_pools([1, 1, 1]).is_needed());
    assert_eq!(modulus(&[4, 4, 4]), 4);
    assert_eq!(modulus(&[4, 1, 2]), 4);
    assert_eq!(modulus(&[3, 2, 5]), 30);
    assert_eq!(modulus(&[64, 1, 1]), 64);
    assert_eq!(modulus(&[7, 11, 1]), 64, "a multiple above 64 means every shard on its own");
    assert_eq!(modulus(&[0, 0, 0]), 1, "a size of 0 counts as 1");
}

/// Keys of one group take one connection in every pool the split was made for, for every pair of
/// pool sizes (every token falls in one of the 64 shards).
#[test]
fn equal_groups_share_a_connection_in_every_pool_in_play() {
    for first in 1..=CONNECTIONS_MAX {
        for second in 1..=CONNECTIONS_MAX {
            let split = OrderSplit::for_pools([first, second]);
            let mut slot_of_group = std::collections::BTreeMap::new();
            for shard in 0..ORDER_SHARD_COUNT {
                let slots = (pool_slot(shard, first), pool_slot(shard, second));
                let known = *slot_of_group.entry(split.group(shard)).or_insert(slots);
                assert_eq!(known, slots, "pools {first} and {second}, shard {shard}");
            }
        }
    }
}

proptest! {
    #[test]
    fn a_token_and_its_shard_take_the_same_connection(token in any::<u32>(), size in 1..=CONNECTIONS_MAX) {
        prop_assert_eq!(pool_slot(token, size), pool_slot(order_shard(token), size));
        prop_assert!(order_shard(token) < ORDER_SHARD_COUNT);
    }

    #[test]
    fn fragments_share_replicas_and_connections_and_merge_in_key_order(
        sizes in proptest::collection::vec(1..=CONNECTIONS_MAX, 3),
        picks in proptest::collection::vec(0usize..40, 1..60),
    ) {
        let split = OrderSplit::for_pools(sizes.iter().copied());
        let names = keys(40);
        let chosen: Vec<String> = picks.iter().map(|&n| names[n].clone()).collect();
        let fragments = split_multi_key("MGET", &args(&chosen), owner(split)).expect("valid");
        let mut seen = Vec::new();
        for fragment in &fragments {
            let tokens: Vec<u32> = fragment.args[1..].iter().map(|key| HASHER.token(key)).collect();
            for &size in &sizes {
                let slots: Vec<usize> = tokens.iter().map(|&token| pool_slot(token, size)).collect();
                prop_assert!(slots.iter().all(|&slot| slot == slots[0]), "pool {}: {:?}", size, slots);
            }
            prop_assert!(tokens.iter().all(|&token| replica_set(token) == replica_set(tokens[0])));
            prop_assert!(fragment.key_slots.windows(2).all(|pair| pair[0] < pair[1]), "client order inside");
            seen.extend(fragment.key_slots.iter().copied());
        }
        seen.sort_unstable();
        prop_assert_eq!(seen, (0..chosen.len()).collect::<Vec<_>>());
        // Each fragment answers its keys' names as values; the merge puts them back in the client's order.
        let replies: Vec<(Fragment<(u32, u32)>, Frame)> = fragments
            .into_iter()
            .map(|fragment| {
                let values = fragment.args[1..].iter().cloned().map(Frame::Bulk).collect();
                (fragment, Frame::Array(values))
            })
            .collect();
        let expected = Frame::Array(chosen.iter().map(|key| Frame::Bulk(Bytes::from(key.clone()))).collect());
        prop_assert_eq!(merge_multi_key("MGET", chosen.len(), &replies), expected);
    }
}

#[test]
fn one_connection_per_pool_splits_by_replica_set_only() {
    let names = keys(30);
    let one = split_multi_key("DEL", &args(&names), owner(OrderSplit::for_pools([1, 1, 1]))).expect("valid");
    let mut sets: Vec<u32> = names.iter().map(|key| replica_set(HASHER.token(key.as_bytes()))).collect();
    sets.sort_unstable();
    sets.dedup();
    assert_eq!(one.len(), sets.len(), "no extra fragments with pools of one");
    let four = split_multi_key("DEL", &args(&names), owner(OrderSplit::for_pools([4, 4, 4]))).expect("valid");
    assert!(four.len() > one.len(), "30 keys fall in more than one group of four");
    assert!(four.len() <= sets.len() * 4, "at most one fragment per replica set and group");
}

#[test]
fn mset_is_ok_only_when_every_fragment_is_and_del_sums() {
    let names = keys(12);
    let pairs: Vec<String> = names.iter().flat_map(|key| [key.clone(), "v".to_string()]).collect();
    let split = OrderSplit::for_pools([4, 4, 4]);
    let fragments = split_multi_key("MSET", &args(&pairs), owner(split)).expect("valid");
    assert!(fragments.len() > 1);
    let all_ok: Vec<_> = fragments.iter().map(|fragment| (fragment.clone(), Frame::ok())).collect();
    assert_eq!(merge_multi_key("MSET", names.len(), &all_ok), Frame::ok());
    let mut one_failed = all_ok.clone();
    let last = one_failed.len() - 1;
    one_failed[last].1 = Frame::error("ERR Dynomite: Failed to achieve Quorum");
    assert!(merge_multi_key("MSET", names.len(), &one_failed).is_error());

    let fragments = split_multi_key("DEL", &args(&names), owner(split)).expect("valid");
    let counts: Vec<_> = fragments
        .iter()
        .map(|fragment| (fragment.clone(), Frame::Integer(fragment.key_slots.len() as i64)))
        .collect();
    assert_eq!(merge_multi_key("DEL", names.len(), &counts), Frame::Integer(names.len() as i64));
}
