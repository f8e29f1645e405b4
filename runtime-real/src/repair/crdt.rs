//! The repair's view of the CRDT layer of `dynomite_core::crdt`: the script calls it sends (`state`,
//! `merge`, `gc`) and what it needs from a key's state (merge, staleness, digest, tombstones). Kept in
//! one place so the rest of the repair reads as the algorithm.

use bytes::Bytes;
use dynomite_core::crdt::scripts::{self, ScriptName};
use dynomite_core::crdt::state::KeyState;
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::crdt::{digest, merge};
use dynomite_core::resp::Frame;

/// A key's state as one replica reported it.
#[derive(Debug, Clone)]
pub struct ReplicaState {
    /// The parsed state.
    pub state: KeyState,
    /// Whether the metadata holds a tombstone: a key delete (`d`), an element remove (`r:<m>`), or
    /// metadata of a key that is no longer live (deleted or expired).
    pub tombstoned: bool,
}

/// Why a replica's state cannot take part in a repair.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// The replica answered with an error (e.g. more elements than `crdt_state_elements_max`).
    #[error("replica answered: {0}")]
    Refused(String),
    /// The reply is not a state.
    #[error("not a CRDT state: {0}")]
    Malformed(String),
}

/// `EVALSHA <state> 1 <key> <max_elements>`.
pub fn state_args(key: &Bytes, max_elements: u32) -> Vec<Bytes> {
    evalsha(ScriptName::State, key, vec![Bytes::from(max_elements.to_string())])
}

/// `EVALSHA <merge> 1 <key> <merged state's arguments at now_ms>`.
pub fn merge_args(key: &Bytes, merged: &KeyState, now_ms: u64) -> Vec<Bytes> {
    evalsha(ScriptName::Merge, key, merged.merge_args(now_ms))
}

/// `EVALSHA <gc> 1 <key> <cutoff>`: removes the key's tombstones (and dead metadata) whose timestamp is
/// at or before `cutoff`.
pub fn gc_args(key: &Bytes, cutoff: Timestamp) -> Vec<Bytes> {
    evalsha(ScriptName::Gc, key, vec![cutoff.to_bytes()])
}

fn evalsha(name: ScriptName, key: &Bytes, mut arguments: Vec<Bytes>) -> Vec<Bytes> {
    let mut args = Vec::with_capacity(arguments.len() + 4);
    args.push(Bytes::from_static(b"EVALSHA"));
    args.push(Bytes::from(scripts::get(name).sha1.clone()));
    args.push(Bytes::from_static(b"1"));
    args.push(key.clone());
    args.append(&mut arguments);
    args
}

/// Reads a `state` script reply; `now_ms` decides whether the key is dead (deleted or expired).
pub fn parse_state(frame: &Frame, now_ms: u64) -> Result<ReplicaState, StateError> {
    if let Frame::Error(text) = frame {
        return Err(StateError::Refused(String::from_utf8_lossy(text).into_owned()));
    }
    let state = KeyState::parse(frame).map_err(|error| StateError::Malformed(error.to_string()))?;
    let tombstoned = state.delete.is_some()
        || state.elements.values().any(|element| element.remove.is_some())
        || (!state.has_no_metadata() && !state.is_live(now_ms));
    Ok(ReplicaState { state, tombstoned })
}

/// The merge of every replica's state at `now_ms` (each settled first, as the `merge` script does).
pub fn merge_all(states: &[ReplicaState], now_ms: u64) -> KeyState {
    let states: Vec<KeyState> = states.iter().map(|replica| replica.state.clone()).collect();
    merge::merge_settled(&states, now_ms)
}

/// Whether `replica` already holds everything `merged` holds (no write needed).
pub fn is_current(replica: &KeyState, merged: &KeyState) -> bool {
    replica.same_as(merged)
}

/// The digest of a key's state (`dynomite_core::crdt::digest::key_digest`): equal states
/// ([`KeyState::same_as`]) digest equally on every replica; what a replica merely observed (type in
/// Redis, TTL left) is left out.
pub fn state_digest(state: &KeyState) -> u64 {
    digest::key_digest(state)
}
