//! [`merge`]: the join of several replicas' [`KeyState`]s, by the rules written in [`super::state`]:
//! per-field maximum of every timestamp, counter components joined by their start then per-field
//! maximum, values following their winning timestamp,
//! `t` from the state with the newest key-level timestamp; equal timestamps with different values: the
//! larger value bytes win (`pick`). The result is normalized like a parsed state, so
//! `merged.same_as(replica)` tells whether a replica is stale.
//!
//! The join is commutative, associative and idempotent (`core/tests/crdt_merge_props.rs`), so the
//! coordinator may merge replies in any order and write the result back any number of times.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::state::{Component, ComponentId, CrdtType, Element, Expiry, KeyState};
use super::timestamp::Timestamp;

/// The merge of `states` (an empty slice gives the empty state). [`KeyState::observed`] of the result is
/// empty: it describes no datastore.
pub fn merge(states: &[KeyState]) -> KeyState {
    let crdt_type = merged_type(states);
    let mut merged = KeyState {
        crdt_type,
        delete: merged_delete(states, crdt_type),
        expiry: merged_expiry(states),
        ..KeyState::default()
    };
    (merged.add, merged.value) = pick(states.iter().map(|state| (state.add, state.value.as_ref())));
    let members: std::collections::BTreeSet<&Bytes> =
        states.iter().flat_map(|state| state.elements.keys()).collect();
    for member in members {
        let elements: Vec<&Element> = states.iter().filter_map(|state| state.elements.get(member)).collect();
        let (add, value) = pick(elements.iter().map(|element| (element.add, element.value.as_ref())));
        let remove = elements.iter().map(|element| element.remove).max().flatten();
        merged.elements.insert(member.clone(), Element { add, remove, value });
    }
    merged.counters = merge_components(states.iter().map(|state| &state.counters));
    let fields: std::collections::BTreeSet<&Bytes> =
        states.iter().flat_map(|state| state.field_counters.keys()).collect();
    for field in fields {
        let components = merge_components(states.iter().filter_map(|state| state.field_counters.get(field)));
        merged.field_counters.insert(field.clone(), components);
    }
    merged.normalize();
    merged
}

/// The merge of `states` as the `merge` script computes it at `now_ms`: each state settled first (a
/// passed expiry becomes the delete at its deadline, [`KeyState::settle`]), then joined. Merging
/// unsettled states would let a newer expiry-register op (a SET that cleared the TTL on the other
/// replicas) hide a replica's passed expiry, while that replica's own `merge` script settles before it
/// joins: the coordinator would answer and write back the value everywhere else and the replica would
/// keep the delete, diverged ("expiry wins", module doc of [`super::state`]). The coordinators of read
/// repair and background repair use this.
pub fn merge_settled(states: &[KeyState], now_ms: u64) -> KeyState {
    let settled: Vec<KeyState> = states.iter().map(|state| state.settle(now_ms)).collect();
    merge(&settled)
}

/// `t` of the state with the greatest (key-level timestamp, type); states without `t` do not vote.
fn merged_type(states: &[KeyState]) -> Option<CrdtType> {
    states
        .iter()
        .filter_map(|state| Some((state.key_timestamp(), state.crdt_type?)))
        .max()
        .map(|(_, crdt_type)| crdt_type)
}

/// `d` = max, raised to the key-level timestamp of every state whose type lost: a type change deletes
/// what the key held before (as Redis's SET replaces a hash), and doing it by `d` keeps merge a join.
fn merged_delete(states: &[KeyState], winner: Option<CrdtType>) -> Option<Timestamp> {
    let deletes = states.iter().map(|state| state.delete);
    let losers = states.iter().filter(|state| state.crdt_type.is_some() && state.crdt_type != winner);
    deletes.chain(losers.map(KeyState::key_timestamp)).max().flatten()
}

/// `xt` = max; `xa` follows it (the larger deadline on equal `xt`).
fn merged_expiry(states: &[KeyState]) -> Expiry {
    let (set, at_ms) =
        states.iter().map(|state| (state.expiry.set, state.expiry.at_ms)).max().unwrap_or_default();
    Expiry { set, at_ms }
}

/// The greatest timestamp and the value that follows it: among the candidates with the greatest
/// timestamp, a present value beats a missing one and larger bytes win (the equal-timestamp rule of
/// [`super::state`], section "Merge": ZINCRBY on different earlier scores, adopted data, uncovered
/// writes leave different values under one timestamp). The maximum of `(timestamp, value)` pairs in
/// their lexicographic order, a total order, so the merge stays a join; the `merge` script uses the
/// same byte order (`bytes_gt`).
fn pick<'a>(
    candidates: impl Iterator<Item = (Option<Timestamp>, Option<&'a Bytes>)>,
) -> (Option<Timestamp>, Option<Bytes>) {
    let candidates: Vec<_> = candidates.collect();
    if crate::mutant!(MergePrefersOlder) {
        // The bug: the value of the oldest write that still has one wins (the timestamp stays the max).
        let newest = candidates.iter().map(|(timestamp, _)| *timestamp).max().flatten();
        let oldest =
            candidates.iter().filter(|(_, value)| value.is_some()).min().and_then(|(_, value)| *value);
        return (newest, oldest.cloned());
    }
    let (timestamp, value) = candidates.into_iter().max().unwrap_or((None, None));
    (timestamp, value.cloned())
}

/// Per component id, the join of [`super::state`]'s "Counters" rule: the totals of the newer start win
/// (its owner started it again after a delete pruned it); equal starts take the maximum of each total
/// (the owner's totals only grow, so the larger one holds every op the smaller one holds); `h` takes
/// the maximum (a newer start is newer than every `h` of the older one, so this changes nothing for
/// states the scripts write, and keeps the join monotone in every timestamp).
fn merge_components<'a>(
    sources: impl Iterator<Item = &'a BTreeMap<ComponentId, Component>>,
) -> BTreeMap<ComponentId, Component> {
    let mut merged: BTreeMap<ComponentId, Component> = BTreeMap::new();
    for components in sources {
        for (id, component) in components {
            let Some(into) = merged.get_mut(id) else {
                merged.insert(*id, *component);
                continue;
            };
            if crate::mutant!(CounterMergeSums) {
                // The bug: replicas' totals are added, so the same increments count once per replica.
                into.positive = into.positive.saturating_add(component.positive);
                into.negative = into.negative.saturating_add(component.negative);
                into.last = into.last.max(component.last);
            } else {
                let last = into.last.max(component.last);
                if component.start > into.start {
                    *into = *component;
                } else if component.start == into.start {
                    into.positive = into.positive.max(component.positive);
                    into.negative = into.negative.max(component.negative);
                }
                into.last = last;
            }
        }
    }
    merged
}
