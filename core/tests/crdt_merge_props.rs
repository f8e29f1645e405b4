//! The CRDT merge is a join: commutative, associative and idempotent on generated states, and it only
//! moves every timestamp and total up (a merge never forgets a newer write). `siblings` generates two
//! states with the same metadata and different values under the same timestamps (ZINCRBY on different
//! earlier scores, adopted data): the larger value bytes win, and the join laws still hold.

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_core::crdt::digest::key_digest;
use dynomite_core::crdt::merge::merge;
use dynomite_core::crdt::state::{Component, CrdtType, Element, Expiry, KeyState};
use dynomite_core::crdt::timestamp::Timestamp;
use proptest::prelude::*;

/// Few distinct timestamps, so equal timestamps (ties) are common.
fn timestamp() -> impl Strategy<Value = Option<Timestamp>> {
    prop_oneof![1 => Just(None), 4 => (1u64..5, 0u16..2, 1u32..3).prop_map(|(p, l, n)| Some(Timestamp::new(p, l, n)))]
}

fn value() -> impl Strategy<Value = Option<Bytes>> {
    prop_oneof![1 => Just(None), 3 => prop::sample::select(vec!["x", "y", "1.5", "7", "10", "9.5", ""]).prop_map(|v| Some(Bytes::from(v)))]
}

fn member() -> impl Strategy<Value = Bytes> {
    prop::sample::select(vec!["a", "b", "c:d", ""]).prop_map(Bytes::from)
}

fn component() -> impl Strategy<Value = Component> {
    (0u64..6, 0u64..6, timestamp()).prop_map(|(positive, negative, last)| Component {
        positive,
        negative,
        last,
    })
}

fn crdt_type() -> impl Strategy<Value = Option<CrdtType>> {
    prop::option::of(prop::sample::select(vec![
        CrdtType::String,
        CrdtType::Hash,
        CrdtType::Set,
        CrdtType::Zset,
        CrdtType::Counter,
    ]))
}

prop_compose! {
    fn key_state()(
        crdt_type in crdt_type(),
        add in timestamp(),
        delete in timestamp(),
        expiry_set in timestamp(),
        expiry_at in prop_oneof![Just(0u64), 1u64..5],
        value in value(),
        elements in prop::collection::btree_map(member(), (timestamp(), timestamp(), value()), 0..4),
        counters in prop::collection::btree_map(1u32..4, component(), 0..3),
        field_counters in prop::collection::btree_map(member(), prop::collection::btree_map(1u32..4, component(), 1..3), 0..2),
    ) -> KeyState {
        let elements = elements
            .into_iter()
            .map(|(member, (add, remove, value))| (member, Element { add, remove, value }))
            .collect::<BTreeMap<_, _>>();
        let state = KeyState {
            crdt_type,
            add,
            delete,
            expiry: Expiry { set: expiry_set, at_ms: expiry_at },
            value,
            elements,
            counters,
            field_counters,
            ..KeyState::default()
        };
        // Every applied write sets `t`, so a state without `t` has no metadata (parse rejects others).
        let state = if state.crdt_type.is_none() { KeyState { value: state.value, ..KeyState::default() } } else { state };
        // A replica's state is normalized (as parse leaves it); merging one state normalizes it.
        merge(&[state])
    }
}

/// A state and a sibling: the same metadata (every timestamp equal), the register value and element
/// values redrawn (present or missing), as two replicas that applied the same writes on different data.
fn siblings() -> impl Strategy<Value = (KeyState, KeyState)> {
    key_state()
        .prop_flat_map(|state| {
            let count = state.elements.len();
            (Just(state), value(), prop::collection::vec(value(), count))
        })
        .prop_map(|(state, value, values)| {
            let mut sibling = state.clone();
            sibling.value = value;
            for (element, value) in sibling.elements.values_mut().zip(values) {
                element.value = value;
            }
            let sibling = merge(&[sibling]);
            (state, sibling)
        })
}

proptest! {
    /// Equal timestamps with different values: the join laws hold, the larger bytes (present beats
    /// missing) win, and `same_as` (and the digest) tell the two apart.
    #[test]
    fn equal_timestamps_different_values((a, b) in siblings(), c in key_state()) {
        prop_assert_eq!(merge(&[b.clone(), b.clone()]), b.clone());
        let ab = merge(&[a.clone(), b.clone()]);
        prop_assert_eq!(&ab, &merge(&[b.clone(), a.clone()]));
        let flat = merge(&[a.clone(), b.clone(), c.clone()]);
        prop_assert_eq!(merge(&[ab.clone(), c.clone()]), flat.clone());
        prop_assert_eq!(merge(&[a.clone(), merge(&[b.clone(), c.clone()])]), flat.clone());
        prop_assert_eq!(merge(&[merge(&[c.clone(), a.clone()]), b.clone()]), flat);
        // Same metadata, so the merge keeps it; each value is the larger of the two.
        prop_assert_eq!(ab.metadata_pairs(), a.metadata_pairs());
        prop_assert_eq!(&ab.value, &a.value.clone().max(b.value.clone()));
        for (member, element) in &ab.elements {
            let value = |state: &KeyState| state.elements.get(member).and_then(|element| element.value.clone());
            prop_assert_eq!(&element.value, &value(&a).max(value(&b)));
        }
        prop_assert_eq!(a.same_as(&b), a == b);
        prop_assert_eq!(ab.same_as(&a), ab == a);
        if !a.same_as(&ab) {
            prop_assert_ne!(key_digest(&a), key_digest(&ab));
        }
    }

    #[test]
    fn idempotent(a in key_state()) {
        prop_assert_eq!(merge(&[a.clone(), a.clone()]), a.clone());
        prop_assert_eq!(merge(std::slice::from_ref(&a)), a);
    }

    #[test]
    fn commutative(a in key_state(), b in key_state()) {
        prop_assert_eq!(merge(&[a.clone(), b.clone()]), merge(&[b, a]));
    }

    #[test]
    fn associative(a in key_state(), b in key_state(), c in key_state()) {
        let flat = merge(&[a.clone(), b.clone(), c.clone()]);
        prop_assert_eq!(merge(&[merge(&[a.clone(), b.clone()]), c.clone()]), flat.clone());
        prop_assert_eq!(merge(&[a, merge(&[b, c])]), flat);
    }

    /// Nothing newer is forgotten: every timestamp of an input is kept in the merge or dominated there
    /// (pruned below a kept threshold).
    #[test]
    fn monotone(a in key_state(), b in key_state()) {
        let merged = merge(&[a.clone(), b.clone()]);
        for input in [&a, &b] {
            prop_assert!(input.delete <= merged.delete);
            prop_assert!(input.expiry.set <= merged.expiry.set);
            prop_assert!(input.key_timestamp() <= merged.key_timestamp());
            prop_assert!(input.add <= merged.add.max(merged.delete));
            for (member, element) in &input.elements {
                let joined = merged.elements.get(member).cloned().unwrap_or_default();
                let kept = joined.add.max(joined.remove).max(merged.delete);
                prop_assert!(element.add <= kept && element.remove <= kept);
            }
            for (node, component) in &input.counters {
                let joined = merged.counters.get(node).and_then(|component| component.last);
                prop_assert!(component.last <= joined.max(merged.delete));
            }
        }
        // The merge of two replicas equals neither unless one already contained the other.
        prop_assert!(merged.same_as(&merge(&[merged.clone(), a])));
    }

    /// Replicas that converged to the same state digest equally, whatever order they merged in; a
    /// replica that is not `same_as` the merge (almost always) digests differently.
    #[test]
    fn digests_follow_state(a in key_state(), b in key_state()) {
        let ab = merge(&[a.clone(), b.clone()]);
        prop_assert_eq!(key_digest(&ab), key_digest(&merge(&[b.clone(), a.clone()])));
        if !a.same_as(&ab) {
            prop_assert_ne!(key_digest(&a), key_digest(&ab));
        }
    }
}
