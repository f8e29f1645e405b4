//! What every replica holds after heal and repair, read directly from its datastore: each workload key's
//! data (read the way its family is read: GET, HGETALL, SMEMBERS, ZRANGE WITHSCORES), its CRDT
//! metadata hash (`HGETALL _dyn:m:<key>`) and its PTTL; and the binding convergence checker.
//!
//! **Convergence, binding in every scenario.** After heal and the repair phase, for every workload key,
//! every replica (its owner in every rack of every datacenter) holds
//! - identical data (the same string, the same hash fields and values, the same set members, the same
//!   sorted-set members and scores, or no key at all), except for a key whose TTL runs out within
//!   [`EXPIRY_RACE_MS`] of the read on some replica (replicas are read one after another);
//! - identical metadata modulo GC and normal form. Each replica's hash is put in the data model's
//!   normal form settled at the datastore clock (`KeyState::parse`, then `settle`: a passed expiry
//!   folded into `d`, fields that can never matter again pruned), so a replica a script has not
//!   touched since compares equal to one it has. Tombstone GC removes `d`, `r:<m>` and whole hashes of
//!   deleted keys on each replica at its own time (once every replica acknowledged the delete, or by
//!   age), so when GC may have run only the metadata of live data is compared: `t`, the PN-counter
//!   fields, `a`/`xt`/`xa` of a present key and `e:<m>` of a live element. Otherwise the normal forms
//!   must be equal field by field. A hash the product's parser rejects fails the check.
//!   A PN-counter total of 0 (`p:`, `n:`, `hp:`, `hn:` fields) equals no field (the merge takes the
//!   maximum), so it is left out either way.
//!
//! A replica that cannot be read (no reply, an error reply to the family's read) fails the check.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use dynomite_core::resp::Frame;

use dynomite_core::crdt::state::KeyState;

use crate::checkers::{show, Verdict, Violations};
use crate::history::KeyFamily;

/// The convergence verdict's name.
pub const CONVERGENCE: &str = "convergence after heal and repair (data and metadata, every replica)";
/// Prefix of a key's CRDT metadata hash in the datastore.
pub const META_PREFIX: &[u8] = b"_dyn:m:";
/// A key whose TTL ends this close to the read may differ between replicas read a moment apart.
pub const EXPIRY_RACE_MS: i64 = 1_000;

/// A key's data on one replica.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyData {
    /// No such key.
    Absent,
    /// A string (registers, counters).
    String(Bytes),
    /// A hash: field → value.
    Hash(BTreeMap<Bytes, Bytes>),
    /// A set.
    Set(BTreeSet<Bytes>),
    /// A sorted set: member → score (as Redis prints it).
    SortedSet(BTreeMap<Bytes, Bytes>),
    /// The family's read failed (error reply, wrong type, unreachable datastore).
    Unreadable(String),
}

impl KeyData {
    /// True when the key exists.
    pub fn is_present(&self) -> bool {
        !matches!(self, KeyData::Absent | KeyData::Unreadable(_))
    }

    /// The string value (`None` when absent or not a string).
    pub fn string(&self) -> Option<&Bytes> {
        match self {
            KeyData::String(value) => Some(value),
            _ => None,
        }
    }

    /// True when element `member` (hash field, set member, sorted-set member) is present.
    pub fn has_element(&self, member: &[u8]) -> bool {
        match self {
            KeyData::Hash(fields) => fields.contains_key(member),
            KeyData::Set(members) => members.contains(member),
            KeyData::SortedSet(members) => members.contains_key(member),
            _ => false,
        }
    }
}

/// One replica's copy of one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaState {
    /// The data.
    pub data: KeyData,
    /// The metadata hash `_dyn:m:<key>` (empty when absent: no CRDT mode, or collected).
    pub meta: BTreeMap<Bytes, Bytes>,
    /// `PTTL key` at the read (-2 absent, -1 no expiry).
    pub pttl_ms: i64,
    /// The datastore's clock (`TIME`, Unix ms) when it was read; 0 when unknown.
    pub now_ms: u64,
}

impl ReplicaState {
    /// A replica that could not be read at all.
    pub fn unreadable(reason: &str) -> ReplicaState {
        ReplicaState {
            data: KeyData::Unreadable(reason.to_string()),
            meta: BTreeMap::new(),
            pttl_ms: -2,
            now_ms: 0,
        }
    }

    /// The metadata field `field` as text, if present.
    pub fn meta_field(&self, field: &[u8]) -> Option<&Bytes> {
        self.meta.get(field)
    }

    /// The string value as [`crate::checkers::ReplicaValues`] holds it: `None` when absent, the value
    /// for a string, a `<unreadable: ...>` marker otherwise.
    pub fn register_value(&self) -> Option<Bytes> {
        match &self.data {
            KeyData::Absent => None,
            KeyData::String(value) => Some(value.clone()),
            KeyData::Unreadable(reason) => Some(Bytes::from(format!("<unreadable: {reason}>"))),
            other => Some(Bytes::from(format!("<unreadable: not a string: {other:?}>"))),
        }
    }

    /// The state from the replies to the requests of [`read_requests`] for a key of `family`.
    pub fn from_replies(family: KeyFamily, data: &Frame, meta: &Frame, pttl: &Frame) -> ReplicaState {
        ReplicaState {
            now_ms: 0,
            data: parse_data(family, data),
            meta: pairs(meta).unwrap_or_default(),
            pttl_ms: match pttl {
                Frame::Integer(ms) => *ms,
                _ => -2,
            },
        }
    }
}

/// Every replica's state of every workload key: key → (node index → state).
pub type ReplicaStates = BTreeMap<Bytes, BTreeMap<usize, ReplicaState>>;

/// The requests that read `key` of `family` on a datastore: its data, its metadata hash, its PTTL
/// (in that order; [`ReplicaState::from_replies`] parses the replies).
pub fn read_requests(family: KeyFamily, key: &Bytes) -> [Vec<Bytes>; 3] {
    let word = Bytes::from_static;
    let data = match family {
        KeyFamily::Hash | KeyFamily::CounterHash => vec![word(b"HGETALL"), key.clone()],
        KeyFamily::Set => vec![word(b"SMEMBERS"), key.clone()],
        KeyFamily::SortedSet => {
            vec![word(b"ZRANGE"), key.clone(), word(b"0"), word(b"-1"), word(b"WITHSCORES")]
        }
        _ => vec![word(b"GET"), key.clone()],
    };
    let mut meta_key = META_PREFIX.to_vec();
    meta_key.extend_from_slice(key);
    [data, vec![word(b"HGETALL"), Bytes::from(meta_key)], vec![word(b"PTTL"), key.clone()]]
}

fn parse_data(family: KeyFamily, reply: &Frame) -> KeyData {
    match (family, reply) {
        (_, Frame::Error(error)) => KeyData::Unreadable(String::from_utf8_lossy(error).into_owned()),
        (KeyFamily::Hash | KeyFamily::CounterHash, _) => match pairs(reply) {
            Some(fields) if fields.is_empty() => KeyData::Absent,
            Some(fields) => KeyData::Hash(fields),
            None => KeyData::Unreadable(format!("HGETALL replied {reply:?}")),
        },
        (KeyFamily::SortedSet, _) => match pairs(reply) {
            Some(members) if members.is_empty() => KeyData::Absent,
            Some(members) => KeyData::SortedSet(members),
            None => KeyData::Unreadable(format!("ZRANGE replied {reply:?}")),
        },
        (KeyFamily::Set, Frame::Array(items) | Frame::Set(items)) => {
            let members: Option<BTreeSet<Bytes>> = items.iter().map(bulk).collect();
            match members {
                Some(members) if members.is_empty() => KeyData::Absent,
                Some(members) => KeyData::Set(members),
                None => KeyData::Unreadable(format!("SMEMBERS replied {reply:?}")),
            }
        }
        (_, Frame::Null) => KeyData::Absent,
        (_, Frame::Bulk(value)) => KeyData::String(value.clone()),
        (_, other) => KeyData::Unreadable(format!("replied {other:?}")),
    }
}

fn bulk(frame: &Frame) -> Option<Bytes> {
    match frame {
        Frame::Bulk(bytes) => Some(bytes.clone()),
        Frame::Simple(text) => Some(text.clone()),
        _ => None,
    }
}

/// A flat `[k1, v1, k2, v2, ...]` array or a RESP3 map as a sorted map.
fn pairs(frame: &Frame) -> Option<BTreeMap<Bytes, Bytes>> {
    match frame {
        Frame::Array(items) if items.len() % 2 == 0 => {
            items.chunks(2).map(|pair| Some((bulk(&pair[0])?, bulk(&pair[1])?))).collect()
        }
        Frame::Map(entries) => entries.iter().map(|(key, value)| Some((bulk(key)?, bulk(value)?))).collect(),
        Frame::Null => Some(BTreeMap::new()),
        _ => None,
    }
}

/// The Unix ms of a `TIME` reply (`[seconds, microseconds]`), if it is one.
pub fn time_ms(reply: &Frame) -> Option<u64> {
    let Frame::Array(items) = reply else { return None };
    let number = |frame: &Frame| match frame {
        Frame::Bulk(text) => std::str::from_utf8(text).ok()?.parse::<u64>().ok(),
        Frame::Integer(value) => u64::try_from(*value).ok(),
        _ => None,
    };
    match items.as_slice() {
        [seconds, micros] => Some(number(seconds)? * 1_000 + number(micros)? / 1_000),
        _ => None,
    }
}

/// The metadata of `state` in the data model's normal form, settled at `now_ms` (a passed expiry folded
/// into `d`, fields that can never matter again pruned: `KeyState::parse` then `settle`), as field/value
/// pairs. Replicas that hold the same CRDT state hold the same pairs, whether or not a script has
/// pruned or settled their hash yet. `Err` when the product's own parser rejects the replica's state.
pub fn normal_meta(state: &ReplicaState, now_ms: u64) -> Result<BTreeMap<Bytes, Bytes>, String> {
    if state.meta.is_empty() {
        return Ok(BTreeMap::new());
    }
    let flat = |pairs: &mut dyn Iterator<Item = (&Bytes, &Bytes)>| {
        Frame::Array(pairs.flat_map(|(k, v)| [Frame::Bulk(k.clone()), Frame::Bulk(v.clone())]).collect())
    };
    let (data_type, data) = match &state.data {
        KeyData::String(value) => ("string", Frame::Bulk(value.clone())),
        KeyData::Hash(fields) => ("hash", flat(&mut fields.iter())),
        KeyData::Set(members) => ("set", Frame::Array(members.iter().cloned().map(Frame::Bulk).collect())),
        KeyData::SortedSet(members) => ("zset", flat(&mut members.iter())),
        KeyData::Absent | KeyData::Unreadable(_) => ("none", Frame::Array(Vec::new())),
    };
    let reply = Frame::Array(vec![
        flat(&mut state.meta.iter()),
        Frame::Bulk(Bytes::from_static(data_type.as_bytes())),
        data,
        Frame::Integer(state.pttl_ms),
    ]);
    let parsed = KeyState::parse(&reply).map_err(|error| error.to_string())?;
    Ok(parsed.settle(now_ms).metadata_pairs().into_iter().collect())
}

/// True for a PN-counter total field (`p:`, `n:`, `hp:`, `hn:`) holding 0: the same as no field
/// (merge takes the maximum), so replicas may differ in whether they wrote it.
fn zero_counter_total(field: &[u8], value: &[u8]) -> bool {
    value == b"0" && [&b"p:"[..], b"n:", b"hp:", b"hn:"].iter().any(|prefix| field.starts_with(prefix))
}

/// The metadata of `state` compared across replicas: all of it, or when GC may have run only the
/// part that describes live data (see the module documentation); zero counter totals left out.
pub fn comparable_meta(
    state: &ReplicaState,
    now_ms: u64,
    gc_possible: bool,
) -> Result<BTreeMap<Bytes, Bytes>, String> {
    let present = state.data.is_present();
    let normal = normal_meta(state, now_ms)?;
    Ok(normal
        .iter()
        .filter(|(field, value)| !zero_counter_total(field, value))
        .filter(|(field, _)| {
            if !gc_possible {
                return true;
            }
            let field = field.as_ref();
            let counter = [&b"p:"[..], b"n:", b"h:", b"hp:", b"hn:", b"hh:"]
                .iter()
                .any(|prefix| field.starts_with(prefix));
            match field {
                b"t" | b"a" | b"xt" | b"xa" => present,
                _ if counter => true,
                _ => field.strip_prefix(b"e:").is_some_and(|member| state.data.has_element(member)),
            }
        })
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect())
}

/// Enforces the rule of this module's documentation over `states`; `gc_possible` says whether tombstone
/// GC may have run in this seed.
pub fn convergence(states: &ReplicaStates, gc_possible: bool) -> Verdict {
    let mut violations = Violations::default();
    let mut replicas = 0usize;
    let mut racing = 0usize;
    for (key, copies) in states {
        replicas += copies.len();
        for (node, state) in copies {
            if let KeyData::Unreadable(reason) = &state.data {
                violations.push(|| format!("replica {node} of {}: unreadable ({reason})", show(key)));
            }
        }
        let expiring = copies.values().any(|state| (1..=EXPIRY_RACE_MS).contains(&state.pttl_ms));
        racing += usize::from(expiring);
        if !expiring && !all_equal(copies.values().map(|state| &state.data)) {
            violations.push(|| {
                let shown: Vec<String> = copies
                    .iter()
                    .map(|(node, state)| format!("node {node} = {}", show_data(&state.data)))
                    .collect();
                format!("{}: data differs: {}", show(key), shown.join(", "))
            });
            continue;
        }
        // One clock for every replica of the key: the latest datastore clock read.
        let now_ms = copies.values().map(|state| state.now_ms).max().unwrap_or(0);
        let mut metas: Vec<(usize, BTreeMap<Bytes, Bytes>)> = Vec::with_capacity(copies.len());
        for (node, state) in copies {
            match comparable_meta(state, now_ms, gc_possible) {
                Ok(meta) => metas.push((*node, meta)),
                Err(error) => {
                    violations.push(|| format!("replica {node} of {}: metadata rejected: {error}", show(key)))
                }
            }
        }
        if !all_equal(metas.iter().map(|(_, meta)| meta)) {
            violations
                .push(|| format!("{}: metadata differs: {}", show(key), describe_meta_difference(&metas)));
        }
    }
    let gc = if gc_possible { "modulo GC" } else { "exactly" };
    violations.into_verdict(
        CONVERGENCE,
        format!(
            "{} keys on {replicas} replicas, data and metadata ({gc}); {racing} keys with a TTL ending at the read",
            states.len()
        ),
    )
}

fn all_equal<T: PartialEq>(mut items: impl Iterator<Item = T>) -> bool {
    let Some(first) = items.next() else { return true };
    items.all(|item| item == first)
}

/// Short text of a key's data for a detail.
pub fn show_data(data: &KeyData) -> String {
    let text = match data {
        KeyData::Absent => "nil".to_string(),
        KeyData::String(value) => show(value),
        KeyData::Hash(fields) => format!(
            "{{{}}}",
            fields.iter().map(|(f, v)| format!("{}: {}", show(f), show(v))).collect::<Vec<_>>().join(", ")
        ),
        KeyData::Set(members) => format!("{{{}}}", members.iter().map(show).collect::<Vec<_>>().join(", ")),
        KeyData::SortedSet(members) => format!(
            "[{}]",
            members.iter().map(|(m, s)| format!("{} {}", show(m), show(s))).collect::<Vec<_>>().join(", ")
        ),
        KeyData::Unreadable(reason) => format!("<unreadable: {reason}>"),
    };
    const SHOWN_MAX: usize = 160;
    if text.len() > SHOWN_MAX {
        let cut = (0..=SHOWN_MAX).rev().find(|at| text.is_char_boundary(*at)).unwrap_or(0);
        format!("{}...", &text[..cut])
    } else {
        text
    }
}

/// The fields whose values differ between the replicas' metadata, with each replica's value.
fn describe_meta_difference(metas: &[(usize, BTreeMap<Bytes, Bytes>)]) -> String {
    let fields: BTreeSet<&Bytes> = metas.iter().flat_map(|(_, meta)| meta.keys()).collect();
    let differing: Vec<String> = fields
        .into_iter()
        .filter(|field| !all_equal(metas.iter().map(|(_, meta)| meta.get(*field))))
        .take(3)
        .map(|field| {
            let values: Vec<String> = metas
                .iter()
                .map(|(node, meta)| {
                    format!("node {node} = {}", meta.get(field).map_or("-".to_string(), show))
                })
                .collect();
            format!("{} ({})", show(field), values.join(", "))
        })
        .collect();
    differing.join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(text: &str) -> Bytes {
        Bytes::copy_from_slice(text.as_bytes())
    }

    fn flat(items: &[&str]) -> Frame {
        Frame::Array(items.iter().map(|item| Frame::Bulk(b(item))).collect())
    }

    #[test]
    fn replies_parse_by_family() {
        let state = ReplicaState::from_replies(
            KeyFamily::Hash,
            &flat(&["f1", "v"]),
            &flat(&["t", "hash"]),
            &Frame::Integer(-1),
        );
        assert_eq!(state.data, KeyData::Hash([(b("f1"), b("v"))].into_iter().collect()));
        assert_eq!(state.meta_field(b"t"), Some(&b("hash")));
        let absent = ReplicaState::from_replies(KeyFamily::Set, &flat(&[]), &flat(&[]), &Frame::Integer(-2));
        assert_eq!(absent.data, KeyData::Absent);
        let wrong = ReplicaState::from_replies(
            KeyFamily::Shared,
            &Frame::Error(b("WRONGTYPE")),
            &flat(&[]),
            &Frame::Integer(-1),
        );
        assert!(matches!(wrong.data, KeyData::Unreadable(_)));
        let [data, meta, _] = read_requests(KeyFamily::SortedSet, &b("o1"));
        assert_eq!(data[0], b("ZRANGE"));
        assert_eq!(meta[1], b("_dyn:m:o1"));
    }

    fn states(copies: Vec<ReplicaState>) -> ReplicaStates {
        [(b("h0"), copies.into_iter().enumerate().collect())].into_iter().collect()
    }

    fn ts(ms: u64) -> String {
        dynomite_core::crdt::timestamp::Timestamp::new(ms, 0, 7).to_string()
    }

    fn hash(fields: &[(&str, &str)], meta: &[(&str, String)]) -> ReplicaState {
        ReplicaState {
            data: KeyData::Hash(fields.iter().map(|(f, v)| (b(f), b(v))).collect()),
            meta: meta.iter().map(|(f, v)| (b(f), b(v))).collect(),
            pttl_ms: -1,
            now_ms: 1_000_000,
        }
    }

    #[test]
    fn differing_data_or_metadata_fails_and_gc_excuses_only_tombstones() {
        let same = hash(&[("f", "1")], &[("t", "hash".into()), ("e:f", ts(10))]);
        assert!(convergence(&states(vec![same.clone(), same.clone()]), false).passed);
        let other_value = hash(&[("f", "2")], &[("t", "hash".into()), ("e:f", ts(10))]);
        assert!(!convergence(&states(vec![same.clone(), other_value]), false).passed);
        let tombstone = hash(&[("f", "1")], &[("t", "hash".into()), ("e:f", ts(10)), ("r:g", ts(20))]);
        let verdict = convergence(&states(vec![same.clone(), tombstone.clone()]), false);
        assert!(!verdict.passed && verdict.detail.contains("metadata differs"), "{}", verdict.detail);
        assert!(convergence(&states(vec![same.clone(), tombstone]), true).passed, "a collected tombstone");
        let older_element = hash(&[("f", "1")], &[("t", "hash".into()), ("e:f", ts(9))]);
        assert!(!convergence(&states(vec![same.clone(), older_element]), true).passed, "live metadata");
        // A tombstone the normal form prunes (older than the element) compares equal to none.
        let pruned = hash(&[("f", "1")], &[("t", "hash".into()), ("e:f", ts(10)), ("r:f", ts(5))]);
        assert!(convergence(&states(vec![same.clone(), pruned]), false).passed, "normal form");
        let bogus = hash(&[("f", "1")], &[("t", "hash".into()), ("e:f", "x".into())]);
        let verdict = convergence(&states(vec![same.clone(), bogus]), true);
        assert!(!verdict.passed && verdict.detail.contains("rejected"), "{}", verdict.detail);
        assert!(!convergence(&states(vec![same, ReplicaState::unreadable("down")]), true).passed);
    }

    #[test]
    fn a_ttl_ending_at_the_read_excuses_data_only() {
        let mut expiring =
            ReplicaState { data: KeyData::String(b("v")), meta: BTreeMap::new(), pttl_ms: 300, now_ms: 0 };
        let gone = ReplicaState { data: KeyData::Absent, meta: BTreeMap::new(), pttl_ms: -2, now_ms: 0 };
        assert!(convergence(&states(vec![expiring.clone(), gone.clone()]), false).passed);
        expiring.pttl_ms = 5_000;
        assert!(!convergence(&states(vec![expiring, gone]), false).passed);
    }
}
