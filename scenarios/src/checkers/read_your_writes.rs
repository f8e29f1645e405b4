//! Read-your-acknowledged-write at `DC_SAFE_QUORUM` within one datacenter.
//!
//! The guarantee, precisely. Take a key `k`, and
//! - an *acknowledged safe write* `W`: a write of `k` at `DC_SAFE_QUORUM` or `DC_EACH_SAFE_QUORUM`
//!   whose outcome is `Ok`;
//! - a *safe read* `R`: a read of `k` at `DC_SAFE_QUORUM` or `DC_EACH_SAFE_QUORUM` whose outcome is
//!   `Ok`, invoked strictly after `W` completed (`R.invoked_ms > W.completed_ms`), coordinated by a
//!   node of the same datacenter as `W`'s coordinator (or in any datacenter when `W` was at
//!   `DC_EACH_SAFE_QUORUM`, which is acknowledged by a quorum of every datacenter).
//!
//! Then `R` returns `W`'s value, or the value of another write `W'` of `k` that was invoked no later
//! than `R` completed and was *not acknowledged before `W` was invoked* (not `Ok` with
//! `W'.completed_ms < W.invoked_ms`). So `W'` is concurrent with `W`, later than `W`, or failed or
//! indeterminate (such a write may have reached some replicas at any time). A write of `None` (a
//! delete) writes nil, and a nil read matches it.
//!
//! Caveat: this holds only when no replica that acknowledged `W` lost its data (a monkey-wipe kill);
//! the scenario says so with a flag, and when data may have been lost the checker reports a pass
//! with "not checked". Values are compared, not write ids, so workloads should write unique values.
//!
//! Why it should hold: `W` was stored by a quorum of the datacenter's racks, `R` needs a quorum of
//! identical replies from the same racks, and two quorums share a rack. Known way it can still break
//! in Dynomite (which the checker reports rather than hides): replicas keep the last write to arrive,
//! with no timestamps, so a late copy of an earlier acknowledged write `W0` reaching a rack after `W`
//! can, together with a rack that has not yet received `W`, form a quorum of `W0`'s value.

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_chaos::Shape;
use dynomite_core::config::Consistency;

use crate::checkers::{show, show_value, Verdict, Violations};
use crate::history::{History, OpKind, Operation};

/// The checker's name.
pub const READ_YOUR_ACKNOWLEDGED_WRITES: &str = "read your acknowledged writes (DC_SAFE_QUORUM)";

/// Enforces the guarantee of this module's documentation. `acknowledging_replicas_kept_data` is false
/// when a replica may have lost its data during the run; the guarantee does not apply then and the
/// verdict passes with "not checked".
pub fn read_your_acknowledged_writes(
    history: &History,
    shape: &Shape,
    acknowledging_replicas_kept_data: bool,
) -> Verdict {
    if !acknowledging_replicas_kept_data {
        let detail = "not checked: a replica may have lost its data".to_string();
        return Verdict { name: READ_YOUR_ACKNOWLEDGED_WRITES, passed: true, detail, soft: false };
    }
    let mut by_key: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &history.operations {
        by_key.entry(&operation.key).or_default().push(operation);
    }
    let mut violations = Violations::default();
    let mut reads = 0usize;
    for operations in by_key.values() {
        reads += check_key(operations, shape, &mut violations);
    }
    violations.into_verdict(READ_YOUR_ACKNOWLEDGED_WRITES, format!("{reads} safe reads"))
}

/// Checks every safe read of one key; returns how many there were.
fn check_key(operations: &[&Operation], shape: &Shape, violations: &mut Violations) -> usize {
    let writes: Vec<&Operation> =
        operations.iter().copied().filter(|operation| operation.kind == OpKind::Write).collect();
    let acknowledged: Vec<&Operation> =
        writes.iter().copied().filter(|write| write.is_ok() && is_safe(write.consistency)).collect();
    let mut reads = 0usize;
    for read in operations.iter().copied().filter(|operation| is_safe(operation.consistency)) {
        let Some(value) = read.read_value() else { continue };
        reads += 1;
        let excuse = Excuse::for_read(&writes, value, read.completed_ms);
        let missed = acknowledged
            .iter()
            .copied()
            .filter(|write| write.completed_ms < read.invoked_ms && covers(shape, write, read))
            .filter(|write| !excuse.excuses(write))
            .max_by_key(|write| write.invoked_ms);
        if let Some(write) = missed {
            violations.push(|| stale_read(read, value, write));
        }
    }
    reads
}

/// Which acknowledged writes a read's value is allowed to hide, from the writes of that value.
#[derive(Debug, Clone, Copy)]
enum Excuse {
    /// A failed or indeterminate write of the value exists: it may have landed at any time.
    Any,
    /// Only acknowledged writes of the value exist, the latest completing at this time: a write `W`
    /// invoked no later than that was concurrent with one of them.
    InvokedBy(u64),
    /// Nobody wrote the value before the read completed.
    Nothing,
}

impl Excuse {
    /// The excuse of a read that returned `value` and completed at `read_completed_ms`, from the writes
    /// of that value invoked by then.
    fn for_read(writes: &[&Operation], value: Option<&Bytes>, read_completed_ms: u64) -> Excuse {
        let mut excuse = Excuse::Nothing;
        let same_value = writes.iter().filter(|write| write.value.as_ref() == value);
        for write in same_value.filter(|write| write.invoked_ms <= read_completed_ms) {
            excuse = match (excuse, write.is_ok()) {
                (_, false) | (Excuse::Any, _) => Excuse::Any,
                (Excuse::Nothing, true) => Excuse::InvokedBy(write.completed_ms),
                (Excuse::InvokedBy(latest_ms), true) => Excuse::InvokedBy(latest_ms.max(write.completed_ms)),
            };
        }
        excuse
    }

    /// True when reading the value does not break the guarantee for the acknowledged write `write`.
    fn excuses(self, write: &Operation) -> bool {
        match self {
            Excuse::Any => true,
            Excuse::InvokedBy(latest_ms) => write.invoked_ms <= latest_ms,
            Excuse::Nothing => false,
        }
    }
}

/// True for the safe levels this guarantee is about.
fn is_safe(consistency: Consistency) -> bool {
    matches!(consistency, Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum)
}

/// True when `write` was acknowledged where `read` reads: same datacenter, or every datacenter.
fn covers(shape: &Shape, write: &Operation, read: &Operation) -> bool {
    write.consistency == Consistency::DcEachSafeQuorum
        || shape.datacenter_of(write.node) == shape.datacenter_of(read.node)
}

/// Describes a stale read.
fn stale_read(read: &Operation, value: Option<&Bytes>, write: &Operation) -> String {
    format!(
        "read {} of {} invoked at {} ms returned {} but write {} of {} was acknowledged at {} ms",
        read.id,
        show(&read.key),
        read.invoked_ms,
        show_value(value),
        write.id,
        show_value(write.value.as_ref()),
        write.completed_ms
    )
}
