//! Repairing one key across its replicas, and collecting its tombstones.
//!
//! 1. Ask every replica for the key's state (`state` script), all at once.
//! 2. Merge the states that came back (the CRDT merge: commutative, associative, idempotent).
//! 3. Write the merge (`merge` script) to every replica whose state differs from it.
//! 4. Tombstones:
//!    - every replica answered and now holds the merge: the delete is acknowledged everywhere, so
//!      the tombstones older than [`TOMBSTONE_ACK_GRACE_MS`] (or `tombstone_gc_age` when that is
//!      shorter) are collected on every replica (`gc`);
//!    - some replica could not be reached: only tombstones older than `tombstone_gc_age` are
//!      collected, on the replicas that answered (the bounded-age rule). A replica cut off for longer
//!      than that age still holds values deleted before it was cut off, and the next repair spreads
//!      them again: the price of metadata that does not grow forever.
//!
//! The grace of the acknowledged rule covers writes still in flight when the repair looked (a
//! delete's older write arriving late at one replica would otherwise outlive its collected tombstone);
//! for the same reason the acknowledged rule waits while this node still holds hinted writes for one of
//! the key's replicas. Hints held by *other* nodes for longer than the grace are not seen: such a hint,
//! older than a delete and replayed after its tombstone was collected, brings the value back (the
//! trade-off of collecting tombstones at all, as with the age rule).

use bytes::Bytes;
use dynomite_core::crdt::timestamp::{Timestamp, PHYSICAL_MAX_MS};
use dynomite_core::ring::NodeId;
use futures_util::future::join_all;

use super::crdt::{self, ReplicaState};
use super::replica;
use crate::node::NodeShared;

/// How long an acknowledged tombstone is kept before it is collected (ms): far longer than a write
/// takes from its coordinator to a replica, and than hints usually wait for a restarted replica (see
/// the module docs). With the default `tombstone_gc_age` (a day) a tombstone therefore lives at least
/// a minute; a shorter `tombstone_gc_age` shortens this grace too.
pub const TOMBSTONE_ACK_GRACE_MS: u64 = 60_000;

/// What the repair of one key did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyReport {
    /// Every replica answered (false: the key should be tried again later).
    pub complete: bool,
    /// Merges written to stale replicas.
    pub writes: u32,
    /// Replicas whose tombstones were collected (`gc` run).
    pub collected: u32,
    /// The key could not be compared (a state too large or malformed).
    pub skipped: bool,
    /// Some replica could not be reached (link down or not connected, no answer in time): an outage,
    /// as opposed to a failure of this key (an error or unreadable reply).
    pub peer_down: bool,
}

/// Repairs `key` on `replicas` (this node may be one of them).
pub async fn repair(node: &NodeShared, key: &Bytes, replicas: &[NodeId]) -> KeyReport {
    let token = node.token_of(key);
    let timeout_ms = node.timeout_ms();
    let args = crdt::state_args(key, node.config.crdt_state_elements_max);
    let now_ms = node.clock.now_ms();
    let replies =
        join_all(replicas.iter().map(|&id| replica::call(node, id, args.clone(), token, timeout_ms))).await;
    let mut report = KeyReport::default();
    let mut reached: Vec<(NodeId, ReplicaState)> = Vec::with_capacity(replicas.len());
    let mut unreachable = 0usize;
    for (&id, reply) in replicas.iter().zip(replies) {
        match reply.map(|frame| crdt::parse_state(&frame, now_ms)) {
            Ok(Ok(state)) => reached.push((id, state)),
            Ok(Err(error)) => {
                tracing::debug!(node = id.0, %error, "repair skips a key whose state is unusable");
                report.skipped = true;
                report.complete = true;
                return report;
            }
            Err(error) => {
                tracing::debug!(%error, "repair cannot reach a replica");
                unreachable += 1;
                report.peer_down |= matches!(error, replica::ReplicaError::Unreachable { .. });
            }
        }
    }
    if reached.is_empty() {
        return report;
    }
    let states: Vec<ReplicaState> = reached.iter().map(|(_, state)| state.clone()).collect();
    let merged = crdt::merge_all(&states, now_ms);
    if merged.has_no_metadata() {
        // Absent everywhere, or data no CRDT write manages: nothing to merge.
        report.complete = unreachable == 0;
        return report;
    }
    let stale: Vec<NodeId> = reached
        .iter()
        .filter(|(_, state)| !crdt::is_current(&state.state, &merged))
        .map(|(id, _)| *id)
        .collect();
    let merge_args = crdt::merge_args(key, &merged, now_ms);
    let writes =
        join_all(stale.iter().map(|&id| replica::call(node, id, merge_args.clone(), token, timeout_ms)))
            .await;
    for write in writes {
        match write {
            Ok(frame) if !frame.is_error() => report.writes += 1,
            Ok(_) | Err(_) => unreachable += 1,
        }
    }
    report.complete = unreachable == 0;
    let tombstoned = states.iter().any(|state| state.tombstoned);
    let cutoff = if dynomite_core::mutant!(TombstoneCollectedEarly) {
        // The deliberate bug: collected at once, whether or not every replica saw the delete.
        Some(latest(now_ms))
    } else if !tombstoned {
        None
    } else if report.complete && !hints_pending(node, replicas) {
        let grace_ms = TOMBSTONE_ACK_GRACE_MS.min(node.config.tombstone_gc_age_ms);
        Some(latest(now_ms.saturating_sub(grace_ms)))
    } else {
        Some(latest(now_ms.saturating_sub(node.config.tombstone_gc_age_ms)))
    };
    if let Some(cutoff) = cutoff {
        let gc_args = crdt::gc_args(key, cutoff);
        let targets: Vec<NodeId> = reached.iter().map(|(id, _)| *id).collect();
        let collected =
            join_all(targets.iter().map(|&id| replica::call(node, id, gc_args.clone(), token, timeout_ms)))
                .await;
        report.collected =
            collected.iter().filter(|reply| matches!(reply, Ok(frame) if !frame.is_error())).count() as u32;
    }
    report
}

/// Whether this node holds hinted writes for one of `replicas`: an older write replayed after its
/// tombstone was collected would come back, so until they are delivered only the age rule applies.
fn hints_pending(node: &NodeShared, replicas: &[NodeId]) -> bool {
    replicas
        .iter()
        .filter_map(|&id| node.peer(id))
        .any(|link| link.hint_stats().is_some_and(|stats| stats.queued > 0))
}

/// The latest timestamp of millisecond `physical_ms`: a cutoff that includes every write of that
/// millisecond and before.
fn latest(physical_ms: u64) -> Timestamp {
    Timestamp::new(physical_ms.min(PHYSICAL_MAX_MS), u16::MAX, u32::MAX)
}
