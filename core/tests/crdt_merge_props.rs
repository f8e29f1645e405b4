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

/// A snapshot of one owner's component, from a fixed valid history: totals and `h` only grow within an
/// incarnation (same start), and a newer incarnation starts after the older one's last `h` (its owner
/// restarts it only after a delete pruned it). The scripts only ever write such states.
fn component() -> impl Strategy<Value = Component> {
    let at = |physical: u64, logical: u16| Some(Timestamp::new(physical, logical, 2));
    let history = vec![
        Component { positive: 1, negative: 0, last: at(1, 0), start: at(1, 0) },
        Component { positive: 2, negative: 0, last: at(2, 0), start: at(1, 0) },
        Component { positive: 3, negative: 1, last: at(2, 1), start: at(1, 0) },
        Component { positive: 1, negative: 0, last: at(3, 0), start: at(3, 0) },
        Component { positive: 2, negative: 2, last: at(4, 0), start: at(3, 0) },
        Component { positive: 5, negative: 0, last: at(4, 1), start: at(4, 1) },
    ];
    prop::sample::select(history)
}

/// A few datastore ids, so replicas often hold the same component.
fn component_id() -> impl Strategy<Value = Timestamp> {
    (1u32..4).prop_map(|n| Timestamp::new(0, 0, n))
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
        counters in prop::collection::btree_map(component_id(), component(), 0..3),
        field_counters in prop::collection::btree_map(member(), prop::collection::btree_map(component_id(), component(), 1..3), 0..2),
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

/// A counter state holding the given components.
fn counter_state(components: BTreeMap<Timestamp, Component>) -> KeyState {
    KeyState { crdt_type: Some(CrdtType::Counter), counters: components, ..KeyState::default() }
}

proptest! {
    /// The counter protocol (state.rs, "Counters"): each increment is applied by one owner into its
    /// own component, and the component's snapshots reach the other replicas in any order, any number
    /// of times, or not at all (lost sends, replayed hints, repairs). Every replica counts at most
    /// the increments applied, and the merge of every replica with the owners counts each exactly
    /// once, whatever reached whom.
    #[test]
    fn owned_components_count_each_increment_once(
        ops in prop::collection::vec((0u32..3, 1u64..5), 1..20),
        deliveries in prop::collection::vec((0usize..3, any::<prop::sample::Index>()), 0..40),
    ) {
        let id = |owner: u32| Timestamp::new(0, 0, owner + 1);
        let mut owners: BTreeMap<Timestamp, Component> = BTreeMap::new();
        let mut snapshots: Vec<(Timestamp, Component)> = Vec::new();
        let mut total = 0i128;
        for (step, (owner, delta)) in ops.iter().enumerate() {
            let at = Some(Timestamp::new(10 + step as u64, 0, 9));
            let component = owners.entry(id(*owner)).or_insert(Component { start: at, ..Component::default() });
            component.positive += delta;
            component.last = at;
            total += i128::from(*delta);
            snapshots.push((id(*owner), *component));
        }
        let mut replicas = vec![KeyState::default(); 3];
        for (replica, pick) in &deliveries {
            let (owner, component) = *pick.get(&snapshots);
            let shipped = counter_state(BTreeMap::from([(owner, component)]));
            replicas[*replica] = merge(&[replicas[*replica].clone(), shipped]);
            let counted: i128 = replicas[*replica].counters.values().map(Component::value).sum();
            prop_assert!(counted <= total, "a replica counts {counted} of {total}");
        }
        let mut everything = replicas.clone();
        everything.push(counter_state(owners));
        let merged = merge(&everything);
        prop_assert_eq!(merged.live_string(0), Some(Bytes::from(total.to_string())));
    }
}
