//! The CRDT outcome checkers, judged on every replica read after heal and repair (binding in every
//! scenario; they judge nothing in a run without CRDT metadata or timestamps, and say so).
//!
//! **Counter sums.** For every counter (`c<n>`, `d<n>`: INCR, INCRBY, DECRBY) and every field of a
//! counter hash (`k<n>`: HINCRBY), every replica's value `v` satisfies `lo <= v <= hi`, where
//! - a *definite* increment is an `Ok` one not lost with wipes (some replica that acknowledged it kept
//!   its data since it was sent); every other increment sent (failed, indeterminate, or `Ok` but held
//!   only by replicas wiped since) is *indeterminate*: it may or may not count;
//! - `lo` = Σ definite deltas + Σ negative indeterminate deltas, `hi` = Σ definite deltas + Σ positive
//!   indeterminate deltas.
//!
//! A duplicate or retried increment counted twice, or a merge that adds components, exceeds `hi`; a
//! lost acknowledged increment falls below `lo`.
//!
//! **No acknowledged DC_SAFE_QUORUM write is lost.** For every `Ok` write at DC_SAFE_QUORUM or
//! DC_EACH_SAFE_QUORUM with a known timestamp `ts` (the earliest of its fragments), not lost with wipes,
//! every replica's metadata of each key it wrote records `ts` or a later timestamp for what it wrote:
//! - SET/MSET: `max(a, d) >= ts`, and when `a == ts` the data is the write's value (or the key expired);
//! - DEL: nothing added at or before `ts` is live (the value's `a`, each live element's `e:<m>` is
//!   later); HDEL/SREM/ZREM of `m`: `m` is not live with `e:m <= ts` (judged on the data, so a
//!   collected tombstone does not matter);
//! - HSET/SADD/ZADD (without NX/XX/GT/LT, which may leave a member as it was) of `m`:
//!   `max(e:m, r:m, d) >= ts`, and when `e:m == ts` and the element is live, its value is the write's;
//! - EXPIRE: `max(xt, d) >= ts`; INCR/INCRBY/DECRBY: some component's `h:<id> >= ts`; HINCRBY of `f`:
//!   some `hh:<id>:<f> >= ts` (`<id>`: the datastore that applied it, unknown to the checker).
//!
//! Metadata is judged settled at the replica's datastore clock (`normal_meta`: a passed expiry is the
//! delete at its deadline, as every script and merge settles it), so a write superseded by an expiry
//! that passed after it is not lost: that is the documented "expiry wins" rule (`crdt::state`), which
//! the repair coordinators apply too. EXPIRE: a later delete (`d >= ts`) also supersedes it.
//!
//! That is: the converged state reflects the write unless a later-timestamped write superseded it.
//! When tombstone GC may have run (always in CRDT mode: a tombstone is collected once every replica
//! acknowledged it), an add's record that is missing altogether (collected with a later delete's
//! tombstone) is excused: only a record holding an older timestamp fails then. Counter records are
//! never collected. A delete (DEL, HDEL, SREM, ZREM) whose tombstone the bounded-age rule may have
//! collected while an owner that missed it was cut off ([`Facts::tombstone_collected_by_age`]) is not
//! judged: a repair may have spread the older data again (the documented `tombstone_gc_age` trade-off).
//! Nor, on a replica that holds nil or a value written before such a DEL completed, is a SET or MSET
//! that the DEL overwrote (a higher timestamp; kong seed 487: the older value of a datacenter that
//! missed a write and a DEL came back once the DEL's tombstone was collected).

use bytes::Bytes;
use dynomite_core::config::Consistency;
use dynomite_core::crdt::timestamp::Timestamp;

use crate::checkers::replicas::{normal_meta, KeyData, ReplicaState};
use crate::checkers::{read_your_writes, show, show_operation, Facts, Verdict, Violations};
use crate::history::{Command, KeyFamily, Operation};

/// The counter verdict's name.
pub const COUNTER_SUMS: &str = "counter sums (every replica within the acknowledged increments' bounds)";
/// The lost-write verdict's name.
pub const NO_LOST_SAFE_WRITES: &str = "no acknowledged DC_SAFE_QUORUM write lost (HLC timestamps)";

/// One counter: a key, or a field of a counter hash.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct CounterId {
    key: Bytes,
    field: Option<Bytes>,
}

/// Sums of one counter's increments.
#[derive(Debug, Clone, Copy, Default)]
struct Bounds {
    definite: i64,
    negative: i64,
    positive: i64,
    increments: usize,
}

/// Enforces the counter rule of this module's documentation.
pub fn counter_sums(facts: &Facts<'_>) -> Verdict {
    let mut bounds: std::collections::BTreeMap<CounterId, Bounds> = std::collections::BTreeMap::new();
    for operation in &facts.history.operations {
        let (id, delta) = match &operation.command {
            Command::Incr(key) => (CounterId { key: key.clone(), field: None }, 1),
            Command::Incrby(key, delta) => (CounterId { key: key.clone(), field: None }, *delta),
            Command::Hincrby(key, field, delta) => {
                (CounterId { key: key.clone(), field: Some(field.clone()) }, *delta)
            }
            _ => continue,
        };
        let entry = bounds.entry(id.clone()).or_default();
        entry.increments += 1;
        if operation.is_ok() && !facts.lost_with_wipes(operation, &id.key) {
            entry.definite += delta;
        } else if delta < 0 {
            entry.negative += delta;
        } else {
            entry.positive += delta;
        }
    }
    let mut violations = Violations::default();
    let mut judged = 0usize;
    for (key, copies) in facts.states {
        let Some(family) = KeyFamily::of(key) else { continue };
        if !family.is_counter() && family != KeyFamily::CounterHash {
            continue;
        }
        for (node, state) in copies {
            for (id, value) in counter_values(key, family, state) {
                let Some(value) = value else {
                    violations.push(|| format!("replica {node} of {}: not a count", show_counter(&id)));
                    continue;
                };
                judged += 1;
                let sums = bounds.get(&id).copied().unwrap_or_default();
                let (lo, hi) = (sums.definite + sums.negative, sums.definite + sums.positive);
                if value < lo || value > hi {
                    violations.push(|| {
                        format!(
                            "replica {node} of {} counts {value}, outside [{lo}, {hi}] ({} increments: {} definite)",
                            show_counter(&id),
                            sums.increments,
                            sums.definite
                        )
                    });
                }
            }
        }
        // A counter (or hash field) whose lower bound is positive must exist on every replica.
        for (id, sums) in
            bounds.iter().filter(|(id, sums)| id.key == *key && sums.definite + sums.negative > 0)
        {
            for (node, state) in copies {
                if !counter_values(key, family, state).iter().any(|(present, _)| present == id) {
                    violations.push(|| {
                        format!(
                            "replica {node} lacks {} (at least {} acknowledged)",
                            show_counter(id),
                            sums.definite
                        )
                    });
                }
            }
        }
    }
    violations.into_verdict(COUNTER_SUMS, format!("{judged} replica counts over {} counters", bounds.len()))
}

/// The counters `state` holds for `key`: the string for a plain counter, each field for a counter hash
/// (`None` value: not an integer).
fn counter_values(key: &Bytes, family: KeyFamily, state: &ReplicaState) -> Vec<(CounterId, Option<i64>)> {
    let parse = |text: &Bytes| std::str::from_utf8(text).ok().and_then(|text| text.parse::<i64>().ok());
    match (&state.data, family) {
        (KeyData::Absent, _) => Vec::new(),
        (KeyData::String(text), KeyFamily::Counter | KeyFamily::SignedCounter) => {
            vec![(CounterId { key: key.clone(), field: None }, parse(text))]
        }
        (KeyData::Hash(fields), KeyFamily::CounterHash) => fields
            .iter()
            .map(|(field, text)| (CounterId { key: key.clone(), field: Some(field.clone()) }, parse(text)))
            .collect(),
        _ => vec![(CounterId { key: key.clone(), field: None }, None)],
    }
}

fn show_counter(id: &CounterId) -> String {
    match &id.field {
        None => show(&id.key),
        Some(field) => format!("{} field {}", show(&id.key), show(field)),
    }
}

/// What one write recorded for one key, to be found in a replica's metadata.
enum Expect<'a> {
    /// A register value (SET, MSET): `max(a, d) >= ts`, the value when `a == ts`.
    Register(&'a Bytes),
    /// A delete of the key: `d >= ts`.
    Delete,
    /// An element added with an optional value (hash field value, sorted-set score).
    Element(&'a Bytes, Option<Bytes>),
    /// An element removed.
    ElementRemoved(&'a Bytes),
    /// An expiry: `xt >= ts`.
    Expiry,
    /// A counter increment: `h:<node>` (or `hh:<node>:<field>`) `>= ts`.
    Counter(Option<&'a Bytes>),
}

fn expectation<'a>(command: &'a Command, key: &Bytes) -> Option<Expect<'a>> {
    Some(match command {
        Command::Set(..) | Command::Mset(_) => Expect::Register(command.register_write(key)??),
        Command::Del(_) => Expect::Delete,
        Command::Hset(_, field, value) => Expect::Element(field, Some(value.clone())),
        Command::Sadd(_, member) => Expect::Element(member, None),
        Command::Zadd { flags, score, member, .. } if flags.iter().all(|flag| *flag == "CH") => {
            Expect::Element(member, Some(Bytes::from(score.to_string())))
        }
        Command::Hdel(_, member) | Command::Srem(_, member) | Command::Zrem(_, member) => {
            Expect::ElementRemoved(member)
        }
        Command::Expire(..) => Expect::Expiry,
        Command::Incr(_) | Command::Incrby(..) => Expect::Counter(None),
        Command::Hincrby(_, field, _) => Expect::Counter(Some(field)),
        _ => return None,
    })
}

/// A metadata timestamp field of `state` (absent or unparsable: older than every timestamp).
fn stamp(state: &ReplicaState, field: &[u8]) -> Option<Timestamp> {
    state.meta_field(field).and_then(|text| Timestamp::parse(text).ok())
}

fn element_field(prefix: &str, member: &[u8]) -> Vec<u8> {
    let mut field = prefix.as_bytes().to_vec();
    field.extend_from_slice(member);
    field
}

/// Enforces the lost-write rule of this module's documentation.
pub fn no_lost_safe_writes(facts: &Facts<'_>) -> Verdict {
    let mut violations = Violations::default();
    let (mut judged, mut without_timestamp) = (0usize, 0usize);
    for write in &facts.history.operations {
        let safe = matches!(write.consistency, Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum);
        if !safe || !write.is_ok() || !write.command.is_write() {
            continue;
        }
        let Some(ts) = write.timestamp_min() else {
            without_timestamp += 1;
            continue;
        };
        for key in write.command.keys() {
            let Some(expect) = expectation(&write.command, key) else { continue };
            if facts.lost_with_wipes(write, key) {
                continue;
            }
            // A delete whose tombstone the age rule may have collected while an owner that missed it
            // was cut off: a repair may have spread the older data again (the documented trade-off).
            if matches!(expect, Expect::Delete | Expect::ElementRemoved(_))
                && facts.tombstone_collected_by_age(write, key, facts.replicas_read_ms)
            {
                continue;
            }
            let Some(copies) = facts.states.get(key) else { continue };
            for (node, state) in copies {
                if facts.gc_possible && state.meta.is_empty() {
                    continue;
                }
                judged += 1;
                let settled = settled(state);
                let Some(problem) = judge(&expect, ts, &settled, facts.gc_possible) else { continue };
                // A register write overwritten by a DEL whose tombstone the age rule may have collected,
                // and a replica holding a value from before that DEL: the older value came back with
                // it (kong seed 487), the same trade-off. Looked up only for a record that would fail.
                let restored = matches!(expect, Expect::Register(_))
                    && read_your_writes::restored_by_collected_delete(
                        facts,
                        key,
                        write,
                        &register_writes_of(facts, key),
                        settled.data.string(),
                        facts.replicas_read_ms,
                    );
                if !restored {
                    violations.push(|| {
                        format!(
                            "replica {node} of {}: {} at {ts}: {problem}",
                            show(key),
                            show_operation(write)
                        )
                    });
                }
            }
        }
    }
    let checked = format!(
        "{judged} replica records of acknowledged safe writes ({without_timestamp} without a timestamp)"
    );
    violations.into_verdict(NO_LOST_SAFE_WRITES, checked)
}

/// Every request that writes register `key` (SET, MSET, DEL), in history order.
fn register_writes_of<'a>(facts: &Facts<'a>, key: &Bytes) -> Vec<&'a Operation> {
    facts
        .history
        .operations
        .iter()
        .filter(|operation| operation.command.register_write(key).is_some())
        .collect()
}

/// `state` with its metadata settled at its own clock ([`normal_meta`]); as read when the product's
/// parser rejects it (the convergence checker reports that).
fn settled(state: &ReplicaState) -> ReplicaState {
    let meta = normal_meta(state, state.now_ms).unwrap_or_else(|_| state.meta.clone());
    ReplicaState { meta, ..state.clone() }
}

/// The first live element of `elements` whose add timestamp is at or before `ts` (or unknown).
fn older_element<'a>(
    state: &ReplicaState,
    mut elements: impl Iterator<Item = &'a Bytes>,
    ts: Timestamp,
) -> Option<String> {
    elements
        .find(|member| stamp(state, &element_field("e:", member)).is_none_or(|added| added <= ts))
        .map(|member| format!("element {}", show(member)))
}

/// Why `state` does not reflect `write` of `key` at `ts`, if it does not.
fn judge(expect: &Expect<'_>, ts: Timestamp, state: &ReplicaState, gc_possible: bool) -> Option<String> {
    let latest = |fields: &[Vec<u8>]| fields.iter().filter_map(|field| stamp(state, field)).max();
    // With GC, a record may be gone entirely (a later delete's tombstone collected with it).
    let older = |found: Option<Timestamp>| match found {
        None => !gc_possible,
        Some(found) => found < ts,
    };
    let show_ts = |found: Option<Timestamp>| found.map_or("none".to_string(), |found| found.to_string());
    match expect {
        Expect::Register(value) => {
            let found = latest(&[b"a".to_vec(), b"d".to_vec()]);
            if older(found) {
                return Some(format!("register timestamps are {} (lost)", show_ts(found)));
            }
            let added = stamp(state, b"a");
            let expired = state.data == KeyData::Absent;
            if added == Some(ts) && !expired && state.data.string() != Some(value) {
                return Some(format!("a = {ts} but the value is {:?}", state.data));
            }
            None
        }
        Expect::Delete => {
            // Everything added at or before the delete is gone (whether or not its tombstone is).
            let survivor = match &state.data {
                KeyData::String(_) => {
                    stamp(state, b"a").is_none_or(|added| added <= ts).then(|| "the value".to_string())
                }
                KeyData::Hash(fields) => older_element(state, fields.keys(), ts),
                KeyData::Set(members) => older_element(state, members.iter(), ts),
                KeyData::SortedSet(members) => older_element(state, members.keys(), ts),
                KeyData::Absent | KeyData::Unreadable(_) => None,
            };
            survivor.map(|survivor| format!("{survivor} added before the delete is live (delete lost)"))
        }
        Expect::ElementRemoved(member) => {
            let live = state.data.has_element(member);
            let added = stamp(state, &element_field("e:", member));
            (live && added.is_none_or(|added| added <= ts)).then(|| {
                format!("element {} added at {} is live (remove lost)", show(member), show_ts(added))
            })
        }
        Expect::Element(member, _) => {
            let (added, removed) = (element_field("e:", member), element_field("r:", member));
            let found = latest(&[added.clone(), removed, b"d".to_vec()]);
            if older(found) {
                return Some(format!("element {} timestamps are {} (lost)", show(member), show_ts(found)));
            }
            if let (Expect::Element(_, Some(value)), true) = (expect, stamp(state, &added) == Some(ts)) {
                let member: &[u8] = member;
                let live = match &state.data {
                    KeyData::Hash(fields) => fields.get(member),
                    KeyData::SortedSet(members) => members.get(member),
                    _ => None,
                };
                if let Some(live) = live.filter(|live| *live != value) {
                    return Some(format!("e:<m> = {ts} but the element holds {}", show(live)));
                }
            }
            None
        }
        Expect::Expiry => {
            let found = latest(&[b"xt".to_vec(), b"d".to_vec()]);
            older(found).then(|| format!("expiry and delete timestamps are {} (lost)", show_ts(found)))
        }
        Expect::Counter(field) => {
            // The increment was applied into some datastore's component: one of the key's (field's)
            // components has a newest op at or after it.
            let is_last = |name: &[u8]| match field {
                None => name.len() == 2 + 24 && name.starts_with(b"h:"),
                Some(field) => {
                    name.len() == 3 + 24 + 1 + field.len()
                        && name.starts_with(b"hh:")
                        && name[3 + 24] == b':'
                        && name.ends_with(field)
                }
            };
            let found = state
                .meta
                .iter()
                .filter(|(name, _)| is_last(name))
                .filter_map(|(_, value)| Timestamp::parse(value).ok())
                .max();
            let what = match field {
                None => "newest h:<id>".to_string(),
                Some(field) => format!("newest hh:<id>:{}", String::from_utf8_lossy(field)),
            };
            found
                .is_none_or(|found| found < ts)
                .then(|| format!("{what} is {} (increment lost)", show_ts(found)))
        }
    }
}
