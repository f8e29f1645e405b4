//! Read-your-acknowledged-write at `DC_SAFE_QUORUM` within one datacenter, across connections and
//! through faults (the linearizability checker covers quiet windows only).
//!
//! The guarantee, precisely. Take a register key `k`, and
//! - an *acknowledged safe write* `W`: a write of `k` (SET, MSET, DEL) at `DC_SAFE_QUORUM` or
//!   `DC_EACH_SAFE_QUORUM` whose outcome is `Ok`;
//! - a *safe read* `R`: a read of `k` (GET, MGET) at one of those levels whose outcome is `Ok`,
//!   sent strictly after `W` was answered, coordinated in the same datacenter as `W` (or anywhere
//!   when `W` was at `DC_EACH_SAFE_QUORUM`).
//!
//! Then `R` returns `W`'s value, or the value of another write `W'` of `k` sent no later than `R`
//! completed and *not acknowledged before `W` was sent* (concurrent with `W`, later, failed or
//! indeterminate: such a write may reach some replicas at any time), or nil when an EXPIRE of `k`
//! was sent by then.
//!
//! **The HLC-LWW rule (CRDT mode).** When `W` carries its coordinator's timestamp `ts(W)` (the
//! earliest of its fragments'), replicas keep the value of the highest timestamp, and a later write
//! may carry a lower one (another coordinator whose clock is behind, which has not observed `W`): real
//! time no longer orders writes, timestamps do. Then `R` must return a value whose timestamp is at least
//! `ts(W)`: the value of a write `W'` of `k` sent no later than `R` completed with
//! `ts(W') >= ts(W)` (the latest of its fragments'), `W` itself included; or nil when a DEL or EXPIRE
//! of `k` with such a timestamp was sent. A `W'` whose timestamp is unknown (no decision was observed:
//! its coordinator died) may have any timestamp and excuses its value. This holds across datacenter
//! splits: writes accepted by the other side during a split carry their own timestamps and win only
//! when later.
//!
//! Writes without a timestamp (CRDT mode off) are judged by the real-time rule above.
//!
//! Tombstone GC by age: a delete `W` is not judged by a read `R` once its tombstone may have been
//! collected by the bounded-age rule while an owner that missed `W` was cut off
//! ([`Facts::tombstone_collected_by_age`]): a repair then spreads that owner's older value again (the
//! documented trade-off of `tombstone_gc_age`; only in seeds with a short age).
//!
//! The same trade-off hides the writes such a delete overwrote: an acknowledged write `W` is not
//! judged once a DEL `D` of `k` that overwrote it (a higher timestamp than `W`'s; sent after `W` was
//! answered when writes carry none) is excused that way, and `R` returned nil or a value written no
//! later than `D` completed (what the owner that missed `D` may still hold; kong seed 287: an MSET
//! and then a DEL acknowledged by datacenter 0 alone during a split, the DEL's tombstone collected
//! by age, and the value of a SET before both came back from datacenter 1).
//!
//! Data loss: `W` is not judged once one of the replicas that acknowledged it (any owner of `k` when
//! unknown) lost its data between `W`'s invocation and `R`'s completion (a wiped replica can then form
//! the read quorum with one that missed `W`).

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_chaos::Shape;
use dynomite_core::config::Consistency;

use crate::checkers::{show, show_operation, show_value, Facts, Verdict, Violations};
use crate::history::{Command, KeyFamily, Operation};

/// The checker's name.
pub const READ_YOUR_ACKNOWLEDGED_WRITES: &str = "read your acknowledged writes (DC_SAFE_QUORUM)";

/// Enforces the guarantee of this module's documentation.
pub fn read_your_acknowledged_writes(facts: &Facts<'_>) -> Verdict {
    let history = facts.history;
    let mut by_key: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &history.operations {
        for key in operation.command.keys() {
            if KeyFamily::of(key).is_some_and(KeyFamily::is_register) {
                by_key.entry(key).or_default().push(operation);
            }
        }
    }
    let mut violations = Violations::default();
    let mut reads = 0usize;
    for (key, operations) in &by_key {
        reads += check_key(facts, key, operations, &mut violations);
    }
    violations.into_verdict(READ_YOUR_ACKNOWLEDGED_WRITES, format!("{reads} safe reads"))
}

fn check_key(
    facts: &Facts<'_>,
    key: &Bytes,
    operations: &[&Operation],
    violations: &mut Violations,
) -> usize {
    let shape = facts.shape;
    let writes: Vec<&Operation> = operations
        .iter()
        .copied()
        .filter(|operation| operation.command.register_write(key).is_some())
        .collect();
    let expires: Vec<u64> = operations
        .iter()
        .filter(|operation| matches!(operation.command, Command::Expire(..)))
        .map(|operation| operation.invoked_ms)
        .collect();
    let acknowledged: Vec<&Operation> =
        writes.iter().copied().filter(|write| write.is_ok() && is_safe(write.consistency)).collect();
    let mut reads = 0usize;
    for read in operations.iter().copied().filter(|operation| is_safe(operation.consistency)) {
        let Some(value) = read.read_value(key) else { continue };
        reads += 1;
        if value.is_none() && expires.iter().any(|at| *at <= read.completed_ms) {
            continue;
        }
        let excuse = Excuse::for_read(key, &writes, value, read.completed_ms);
        let missed = acknowledged
            .iter()
            .copied()
            .filter(|write| write.completed_ms < read.invoked_ms && covers(shape, write, read))
            .filter(|write| !lost_replica(facts, write, key, read.completed_ms))
            .filter(|write| !facts.tombstone_collected_by_age(write, key, read.completed_ms))
            .filter(|write| {
                !restored_by_collected_delete(facts, key, write, &writes, value, read.completed_ms)
            })
            .filter(|write| match write.timestamp_min() {
                Some(ts) => !newer_value_written(key, operations, value, read.completed_ms, ts),
                None => !excuse.excuses(write),
            })
            .max_by_key(|write| write.invoked_ms);
        if let Some(write) = missed {
            violations.push(|| {
                format!(
                    "{} of {} returned {} but {} of {} was acknowledged at {} ms",
                    show_operation(read),
                    show(key),
                    show_value(value),
                    show_operation(write),
                    show_value(write.command.register_write(key).flatten()),
                    write.completed_ms
                )
            });
        }
    }
    reads
}

/// Which acknowledged writes a read's value is allowed to hide, from the writes of that value.
#[derive(Debug, Clone, Copy)]
enum Excuse {
    /// A failed or indeterminate write of the value exists: it may have landed at any time.
    Any,
    /// Only acknowledged writes of the value exist, the latest answered at this time: a write `W`
    /// sent no later than that was concurrent with one of them.
    InvokedBy(u64),
    /// Nobody wrote the value before the read completed.
    Nothing,
}

impl Excuse {
    fn for_read(key: &Bytes, writes: &[&Operation], value: Option<&Bytes>, read_completed_ms: u64) -> Excuse {
        let mut excuse = Excuse::Nothing;
        let same_value = writes.iter().filter(|write| write.command.register_write(key) == Some(value));
        for write in same_value.filter(|write| write.invoked_ms <= read_completed_ms) {
            excuse = match (excuse, write.is_ok()) {
                (_, false) | (Excuse::Any, _) => Excuse::Any,
                (Excuse::Nothing, true) => Excuse::InvokedBy(write.completed_ms),
                (Excuse::InvokedBy(latest_ms), true) => Excuse::InvokedBy(latest_ms.max(write.completed_ms)),
            };
        }
        excuse
    }

    fn excuses(self, write: &Operation) -> bool {
        match self {
            Excuse::Any => true,
            Excuse::InvokedBy(latest_ms) => write.invoked_ms <= latest_ms,
            Excuse::Nothing => false,
        }
    }
}

/// True when the tombstone of a DEL of `key` that is `write` or overwrote it (a higher timestamp than
/// `write`'s; sent after `write` was answered when writes carry none) may have been collected by age
/// by `until_ms` ([`Facts::tombstone_collected_by_age`]), and `value` is nil or was written no later
/// than that DEL completed: the older value an owner that missed the DEL still held came back with a
/// repair (kong seed 287, swarm seed 167).
pub(crate) fn restored_by_collected_delete(
    facts: &Facts<'_>,
    key: &Bytes,
    write: &Operation,
    writes: &[&Operation],
    value: Option<&Bytes>,
    until_ms: u64,
) -> bool {
    writes.iter().any(|delete| {
        if !matches!(&delete.command, Command::Del(keys) if keys.contains(key)) {
            return false;
        }
        let overwrote = delete.id == write.id
            || match (write.timestamp_max(), delete.timestamp_min()) {
                (Some(written), Some(deleted)) => deleted > written,
                (None, None) => delete.invoked_ms > write.completed_ms,
                _ => false,
            };
        let older_value = || {
            value.is_none()
                || writes.iter().any(|other| {
                    other.invoked_ms <= delete.completed_ms
                        && other.command.register_write(key) == Some(value)
                })
        };
        overwrote && older_value() && facts.tombstone_collected_by_age(delete, key, until_ms)
    })
}

/// True when a write of `key` sent by `by_ms` could have left `value` (nil: a DEL or EXPIRE) with a
/// timestamp of at least `ts` (or an unknown one).
fn newer_value_written(
    key: &Bytes,
    operations: &[&Operation],
    value: Option<&Bytes>,
    by_ms: u64,
    ts: dynomite_core::crdt::timestamp::Timestamp,
) -> bool {
    operations.iter().filter(|write| write.invoked_ms <= by_ms && write.command.is_write()).any(|write| {
        let wrote_value = match (&write.command, value) {
            (Command::Expire(..), None) => true,
            (command, value) => command.register_write(key) == Some(value),
        };
        wrote_value && write.timestamp_max().is_none_or(|written| written >= ts)
    })
}

/// True when a replica that may have acknowledged `write` of `key` (any owner when unknown) lost its
/// data between the write's invocation and `until_ms`. For a multi-key write whose fragments cannot
/// be told apart, every fragment that can hold `key` counts ([`Facts::answered_by`]): the replicas
/// common to all of them (what [`Facts::acknowledged`] gives) would leave out the wiped one that
/// really held it (monkey-wipe seed 459: an MSET acknowledged by nodes 4+2 and 4+0 for its fragments,
/// nodes 0 and 2 wiped afterwards, then a DC_SAFE_QUORUM MGET answered nil by those two). At
/// DC_EACH_SAFE_QUORUM the replicas of another datacenter that acknowledged are not recorded (its
/// entry node decided there), so every owner of a datacenter without a recorded acknowledgement counts
/// (swarm seed 434: an MSET through datacenter 1, nodes 1 and 2 of datacenter 0 wiped later, then a
/// DC_EACH_SAFE_QUORUM MGET through datacenter 0 answered nil by those two).
pub(crate) fn lost_replica(facts: &Facts<'_>, write: &Operation, key: &Bytes, until_ms: u64) -> bool {
    let acknowledged = facts.answered_by(write, key);
    let owners = facts.owners.replicas(key).unwrap_or_default();
    let mut holders: Vec<usize> = if acknowledged.is_empty() { owners.to_vec() } else { acknowledged };
    if write.consistency == Consistency::DcEachSafeQuorum {
        // A remote datacenter's entry node decided its quorum there: which of its replicas acknowledged
        // is not recorded, so any owner in a datacenter with no recorded acknowledgement counts.
        let shape = facts.shape;
        let remote: Vec<usize> = owners
            .iter()
            .copied()
            .filter(|owner| {
                !holders.iter().any(|holder| shape.datacenter_of(*holder) == shape.datacenter_of(*owner))
            })
            .collect();
        holders.extend(remote);
    }
    holders.iter().any(|node| facts.timeline.wiped_between(*node, write.invoked_ms, until_ms))
}

pub(crate) fn is_safe(consistency: Consistency) -> bool {
    matches!(consistency, Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum)
}

fn covers(shape: &Shape, write: &Operation, read: &Operation) -> bool {
    write.consistency == Consistency::DcEachSafeQuorum
        || shape.datacenter_of(write.node) == shape.datacenter_of(read.node)
}
