//! Invariant checkers: pure functions of a run's [`Facts`] (the history with decisions attached, the
//! cluster shape, where keys live, the fault timeline, the replicas read after heal) that return a
//! [`Verdict`]. Each one can fail: `scenarios/tests/checkers_*.rs` and the unit tests build histories
//! that break each rule, and the mutant gate shows each catching a real product bug.

mod availability;
mod completeness;
mod counters;
mod latency;
pub mod linearizability;
mod logs;
mod node_states;
mod phantom;
mod quorum;
mod read_your_writes;
pub mod replicas;
mod scan;
mod session_order;
mod sums;
pub mod timeline;

pub use availability::{availability, quorum_availability, AVAILABILITY, QUORUM_AVAILABILITY};
pub use completeness::{mset_effects, replication_completeness, MSET_EFFECTS, REPLICATION_COMPLETENESS};
pub use counters::{counters, COUNTERS};
pub use latency::{request_latency_bound, REQUEST_LATENCY_BOUND};
pub use linearizability::{linearizable_registers, LINEARIZABILITY};
pub use logs::{append_logs, APPEND_LOGS};
pub use node_states::{node_states, NODE_STATES};
pub use phantom::{no_phantom_values, NO_PHANTOM_VALUES};
pub use quorum::{quorum_honesty, QUORUM_HONESTY};
pub use read_your_writes::{read_your_acknowledged_writes, READ_YOUR_ACKNOWLEDGED_WRITES};
pub use replicas::{convergence, KeyData, ReplicaState, ReplicaStates, CONVERGENCE};
pub use scan::{scan_exactly_once, SCAN_EXACTLY_ONCE};
pub use session_order::{session_order, SESSION_ORDER};
pub use sums::{counter_sums, no_lost_safe_writes, COUNTER_SUMS, NO_LOST_SAFE_WRITES};
pub use timeline::{LinkReading, LinkSample, Timeline};

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_chaos::Shape;
use dynomite_core::config::Consistency;

use crate::history::{Command, History, Operation};
use crate::placement::Owners;

/// Most violations spelled out in a verdict's detail; the rest are only counted.
pub const VIOLATIONS_SHOWN_MAX: usize = 5;
/// Most bytes of a key or value shown in a detail.
const SHOWN_BYTES_MAX: usize = 40;

/// What each replica holds, read directly from the datastores after the heal: key → (node index →
/// value, `None` when the replica has no such key).
pub type ReplicaValues = BTreeMap<Bytes, BTreeMap<usize, Option<Bytes>>>;

/// Everything the checkers judge.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// Every request, sorted by invocation, decisions attached.
    pub history: &'a History,
    /// The cluster shape.
    pub shape: &'a Shape,
    /// Where each key lives.
    pub owners: &'a Owners,
    /// The faults and link health over time.
    pub timeline: &'a Timeline,
    /// Each string key on its owner in every rack, read after heal and repair.
    pub replicas: &'a ReplicaValues,
    /// Each key's data and CRDT metadata on its owner in every rack, read after heal and repair.
    pub states: &'a ReplicaStates,
    /// True when tombstone GC may have collected deletes during the run (`tombstone_gc_age` shorter
    /// than the run): checks that need a delete's tombstone skip it then.
    pub gc_possible: bool,
    /// `tombstone_gc_age` when anti-entropy runs (None: CRDT mode off): tombstones older than this are
    /// collected by the bounded-age rule even while a replica that lacks them is unreachable.
    pub tombstone_gc_age_ms: Option<u64>,
    /// When the replicas were read (ms since the workload started).
    pub replicas_read_ms: u64,
    /// Clients per datacenter (client `c` lives in datacenter `c / clients_per_datacenter`).
    pub clients_per_datacenter: usize,
}

impl Facts<'_> {
    /// True when every replica that acknowledged `operation` for `key` (or, when none is known, every
    /// owner of `key`) lost its data at or after the operation was sent: the write may be gone.
    pub fn lost_with_wipes(&self, operation: &Operation, key: &Bytes) -> bool {
        let acknowledged = self.acknowledged(operation, key);
        let owners = self.owners.replicas(key).unwrap_or_default();
        let holders: &[usize] = if acknowledged.is_empty() { owners } else { &acknowledged };
        !holders.is_empty()
            && holders.iter().all(|node| self.timeline.wiped_since(*node, operation.invoked_ms))
    }

    /// True when `write` of `key` reached `replica`: the replica kept its data since the write was
    /// sent, and the path from the coordinator (in another datacenter: to the entry node the
    /// coordinator forwards to, and from it) stayed up from the write's invocation until
    /// [`timeline::DELIVERY_MARGIN_MS`] after its answer.
    pub fn reached(&self, write: &Operation, key: &Bytes, replica: usize) -> bool {
        let facts = self;
        let timeline = facts.timeline;
        if timeline.wiped_since(replica, write.invoked_ms) {
            return false;
        }
        let (from_ms, to_ms) = (write.invoked_ms, write.completed_ms + timeline::DELIVERY_MARGIN_MS);
        let shape = facts.shape;
        let coordinator = write.node;
        if shape.datacenter_of(coordinator) == shape.datacenter_of(replica) {
            return timeline.link_up(coordinator, replica, from_ms, to_ms);
        }
        // Another datacenter: the coordinator forwards to the owner in the rack of its own rack's number.
        let datacenter = shape.datacenter_of(replica);
        let rack = datacenter * shape.racks_per_datacenter + shape.rack_of(coordinator);
        let Some(entry) = facts.owners.replicas(key).map(|racks| racks[rack]) else { return false };
        timeline.link_up(coordinator, entry, from_ms, to_ms)
            && timeline.link_up(entry, replica, from_ms, to_ms)
    }

    /// The replicas known to have acknowledged `operation` for `key`: at DC_ONE the owner in the
    /// coordinator's rack (the one replica that answers); otherwise from the coordinator's decisions
    /// (the fragment's, or, for a multi-key request whose fragments cannot be told apart, the
    /// replicas common to all of them). Empty when unknown or not `Ok`.
    pub fn acknowledged(&self, operation: &Operation, key: &Bytes) -> Vec<usize> {
        if !operation.is_ok() {
            return Vec::new();
        }
        if operation.consistency == Consistency::DcOne {
            return self.owners.owner_in_rack_of(key, operation.node).into_iter().collect();
        }
        let mut fragments = operation.acknowledged_by.iter();
        let Some(first) = fragments.next() else { return Vec::new() };
        let mut common = first.clone();
        for fragment in fragments {
            common.retain(|node| fragment.contains(node));
        }
        let owners = self.owners.replicas(key).unwrap_or_default();
        common.retain(|node| owners.contains(node));
        common.sort_unstable();
        common.dedup();
        common
    }

    /// True when tombstone GC's bounded-age rule may have collected `delete`'s tombstone of `key` by
    /// `until_ms` while an owner that missed the delete was unreachable, so that a later repair spread
    /// the deleted value again: the documented trade-off of `runtime-real/src/repair/key.rs` ("a replica
    /// cut off for longer than `tombstone_gc_age` still holds values deleted before it was cut off, and
    /// the next repair spreads them again"; partition seed 67: node 2 isolated 13569-17071 ms missed
    /// a DEL at 14026 ms, the age rule collected its tombstone on the other five replicas at 17454 ms
    /// while node 2's links were still reconnecting, and a repair at 17646 ms copied node 2's older
    /// value back to all of them).
    ///
    /// Precisely: `delete` leaves a tombstone in `key` (DEL of it, HDEL, SREM, ZREM); the tombstone
    /// became collectable by age at `collectable` = its invocation + `tombstone_gc_age` − 2 × the
    /// largest clock offset (the tombstone carries its coordinator's clock, the repairing node compares
    /// with its own), no later than `until_ms`; and
    /// some owner of `key`, in any rack of any datacenter (a repair compares them all), missed the
    /// delete (not [`Facts::reached`]) and was cut off from another owner at some time in
    /// `[collectable, until_ms]` ([`Timeline::link_up`], which also counts links still reconnecting
    /// after a fault lifted). With the default age (a day) this never holds within a run.
    pub fn tombstone_collected_by_age(&self, delete: &Operation, key: &Bytes, until_ms: u64) -> bool {
        let Some(age_ms) = self.tombstone_gc_age_ms else { return false };
        let tombstones = match &delete.command {
            Command::Del(keys) => keys.contains(key),
            Command::Hdel(deleted, _) | Command::Srem(deleted, _) | Command::Zrem(deleted, _) => {
                deleted == key
            }
            _ => false,
        };
        if !tombstones {
            return false;
        }
        let skew_ms = self.timeline.skew_max_ms().saturating_mul(2);
        let collectable_ms = delete.invoked_ms.saturating_add(age_ms).saturating_sub(skew_ms);
        if collectable_ms > until_ms {
            return false;
        }
        let owners = self.owners.replicas(key).unwrap_or_default();
        owners.iter().any(|&missed| {
            !self.reached(delete, key, missed)
                && owners.iter().any(|&other| {
                    other != missed && !self.timeline.link_up(other, missed, collectable_ms, until_ms)
                })
        })
    }

    /// The replicas whose answers may have decided `operation`'s reply for `key` (a read's side of a
    /// rule that needs every answering replica, where [`Facts::acknowledged`] gives the replicas
    /// surely involved): at DC_ONE the owner in the coordinator's rack; otherwise the union of the
    /// decisions of every fragment that can hold `key` (all its acknowledging replicas own `key`), so
    /// that for a multi-key read whose fragments cannot be told apart no replica that answered for
    /// `key` is left out (two wiped replicas outvoting a third at DC_QUORUM, say). Empty when unknown
    /// or not `Ok`.
    pub fn answered_by(&self, operation: &Operation, key: &Bytes) -> Vec<usize> {
        if !operation.is_ok() || operation.consistency == Consistency::DcOne {
            return self.acknowledged(operation, key);
        }
        let owners = self.owners.replicas(key).unwrap_or_default();
        let mut answered: Vec<usize> = operation
            .acknowledged_by
            .iter()
            .filter(|fragment| !fragment.is_empty() && fragment.iter().all(|node| owners.contains(node)))
            .flatten()
            .copied()
            .collect();
        answered.sort_unstable();
        answered.dedup();
        answered
    }
}

/// The result of one checker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The checker's name (one of the `*` name constants of this module).
    pub name: &'static str,
    /// True when the invariant held.
    pub passed: bool,
    /// What was checked and, on failure, the first violations.
    pub detail: String,
    /// True for a verdict that is reported but does not fail the run.
    pub soft: bool,
}

impl Verdict {
    /// True when this verdict makes the run fail.
    pub fn fails_run(&self) -> bool {
        !self.passed && !self.soft
    }
}

/// Violations found by one checker: all counted, the first few described.
#[derive(Debug, Default)]
pub(crate) struct Violations {
    /// How many were found.
    count: usize,
    /// The first [`VIOLATIONS_SHOWN_MAX`] descriptions.
    shown: Vec<String>,
}

impl Violations {
    /// Records one violation; `describe` runs only for the first few.
    pub(crate) fn push(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.shown.len() < VIOLATIONS_SHOWN_MAX {
            self.shown.push(describe());
        }
    }

    /// A hard verdict: passed when nothing was found; `checked` says what was examined.
    pub(crate) fn into_verdict(self, name: &'static str, checked: String) -> Verdict {
        let passed = self.count == 0;
        let detail = if passed {
            format!("{checked}; no violation")
        } else {
            format!("{checked}; {} violations: {}", self.count, self.shown.join("; "))
        };
        Verdict { name, passed, detail, soft: false }
    }
}

/// A key or value as text for a detail: lossy UTF-8, cut to [`SHOWN_BYTES_MAX`] bytes.
pub(crate) fn show(bytes: &Bytes) -> String {
    let cut = &bytes[..bytes.len().min(SHOWN_BYTES_MAX)];
    let text = String::from_utf8_lossy(cut);
    if bytes.len() > SHOWN_BYTES_MAX {
        format!("{text:?}...")
    } else {
        format!("{text:?}")
    }
}

/// An optional value as text (`nil` for `None`).
pub(crate) fn show_value(value: Option<&Bytes>) -> String {
    value.map_or_else(|| "nil".to_string(), show)
}

/// One request as text for a detail.
pub(crate) fn show_operation(operation: &Operation) -> String {
    format!(
        "op {} ({} via node {} conn {} seq {} at {} ms..{} ms)",
        operation.id,
        operation.command.name(),
        operation.node,
        operation.connection_id,
        operation.sequence,
        operation.invoked_ms,
        operation.completed_ms
    )
}
