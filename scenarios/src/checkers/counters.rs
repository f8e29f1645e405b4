//! Growing counters (INCR and INCRBY with positive deltas, family `c<n>`): results consistent with
//! the increments.
//!
//! - No double counting: an `Ok` increment's result, and an `Ok` GET's value, never exceed the sum of
//!   the deltas of the key's increments invoked before it completed (whatever their outcome).
//! - Unique results per replica: two `Ok` DC_ONE increments answered by the same replica (the owner in the
//!   coordinator's rack) never return the same number, unless that replica lost its data.
//! - Session order: at DC_ONE, a GET after the connection's own `Ok` INCR that returned `r` (both
//!   answered by the owner in the coordinator's rack) returns at least `r`, unless that replica lost
//!   its data meanwhile.
//! - Safe-quorum monotonicity: an `Ok` INCR or GET at DC_SAFE_QUORUM or DC_EACH_SAFE_QUORUM sent
//!   after an `Ok` increment at those levels that returned `r` was answered, coordinated in the same
//!   datacenter (`r` is that datacenter's count, even at DC_EACH_SAFE_QUORUM), returns at least `r`
//!   (an INCR: at least `r` plus its own delta), unless a replica that acknowledged the increment lost
//!   its data meanwhile. The two quorums share a replica, which counted `r` then; counts only grow, a
//!   safe-quorum increment answers what a quorum of replicas answered identically, and a GET answers
//!   the merge of its quorum's counters (read repair).
//!
//! Results of INCRs answered by different replicas may repeat: replicas that missed increments during
//! a fault stay behind (Dynomite does not reconcile counters), so uniqueness is per replica.

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_core::config::Consistency;
use dynomite_core::resp::Frame;

use crate::checkers::read_your_writes::{is_safe, lost_replica};
use crate::checkers::{show, show_operation, Facts, Verdict, Violations};
use crate::history::{by_connection, Command, KeyFamily, Operation};

/// The checker's name.
pub const COUNTERS: &str = "counters (INCR: no double counting, unique per replica, session order)";

/// Enforces the rules of this module's documentation.
pub fn counters(facts: &Facts<'_>) -> Verdict {
    let mut by_key: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &facts.history.operations {
        if let Command::Incr(key) | Command::Incrby(key, _) | Command::Get(key) = &operation.command {
            if KeyFamily::of(key) == Some(KeyFamily::Counter) {
                by_key.entry(key).or_default().push(operation);
            }
        }
    }
    let mut violations = Violations::default();
    let mut results = 0usize;
    for (key, operations) in &by_key {
        results += bounded_by_invocations(key, operations, &mut violations);
        unique_per_replica(facts, key, operations, &mut violations);
        session(facts, key, operations, &mut violations);
        safe_quorum_monotonic(facts, key, operations, &mut violations);
    }
    violations.into_verdict(COUNTERS, format!("{results} counter results over {} counters", by_key.len()))
}

/// The integer an `Ok` INCR returned or an `Ok` GET read.
fn number(operation: &Operation) -> Option<i64> {
    match operation.reply()? {
        Frame::Integer(value) => Some(*value),
        Frame::Bulk(text) => std::str::from_utf8(text).ok()?.parse().ok(),
        _ => None,
    }
}

fn bounded_by_invocations(key: &Bytes, operations: &[&Operation], violations: &mut Violations) -> usize {
    let incr_invocations: Vec<(u64, i64)> = operations
        .iter()
        .filter_map(|operation| Some((operation.invoked_ms, operation.command.counter_delta(key)?)))
        .collect();
    let mut results = 0;
    for operation in operations {
        let Some(value) = number(operation) else { continue };
        results += 1;
        let invoked: i64 = incr_invocations
            .iter()
            .filter(|(at, _)| *at <= operation.completed_ms)
            .map(|(_, delta)| delta)
            .sum();
        if value > invoked {
            violations.push(|| {
                format!(
                    "{} of {} returned {value} but increments summing to {invoked} had been sent by then (double counting)",
                    show_operation(operation),
                    show(key)
                )
            });
        }
    }
    results
}

fn unique_per_replica(
    facts: &Facts<'_>,
    key: &Bytes,
    operations: &[&Operation],
    violations: &mut Violations,
) {
    let mut seen: BTreeMap<(usize, i64), &Operation> = BTreeMap::new();
    for operation in operations {
        let increment = matches!(operation.command, Command::Incr(_) | Command::Incrby(..));
        if !increment || operation.consistency != Consistency::DcOne {
            continue;
        }
        let (Some(value), Some(replica)) =
            (number(operation), facts.owners.owner_in_rack_of(key, operation.node))
        else {
            continue;
        };
        if facts.timeline.wiped_since(replica, 0) {
            continue;
        }
        if let Some(first) = seen.insert((replica, value), operation) {
            violations.push(|| {
                format!(
                    "{} and {} of {} both got {value} from replica {replica}",
                    show_operation(first),
                    show_operation(operation),
                    show(key)
                )
            });
        }
    }
}

fn safe_quorum_monotonic(
    facts: &Facts<'_>,
    key: &Bytes,
    operations: &[&Operation],
    violations: &mut Violations,
) {
    let increments: Vec<(&Operation, i64)> = operations
        .iter()
        .copied()
        .filter(|operation| is_safe(operation.consistency) && operation.command.counter_delta(key).is_some())
        .filter_map(|operation| Some((operation, number(operation)?)))
        .collect();
    for operation in operations.iter().copied().filter(|operation| is_safe(operation.consistency)) {
        let Some(value) = number(operation) else { continue };
        let own = operation.command.counter_delta(key).unwrap_or(0);
        let floor = increments
            .iter()
            .filter(|(earlier, _)| {
                earlier.completed_ms < operation.invoked_ms
                    && facts.shape.datacenter_of(earlier.node) == facts.shape.datacenter_of(operation.node)
                    && !lost_replica(facts, earlier, key, operation.completed_ms)
            })
            .max_by_key(|(_, result)| *result);
        if let Some((earlier, result)) = floor {
            if value < result + own {
                violations.push(|| {
                    format!(
                        "{} of {} returned {value} but {} had returned {result} before it was sent",
                        show_operation(operation),
                        show(key),
                        show_operation(earlier)
                    )
                });
            }
        }
    }
}

fn session(facts: &Facts<'_>, key: &Bytes, operations: &[&Operation], violations: &mut Violations) {
    for operations in by_connection(operations.iter().copied()).values() {
        let mut last_incr: Option<&Operation> = None;
        for operation in operations.iter().copied() {
            match operation.command {
                Command::Incr(_) | Command::Incrby(..) => {
                    last_incr = Some(operation).filter(|incr| incr.is_ok()).or(last_incr)
                }
                _ => {
                    let (Some(incr), Some(value)) = (last_incr, number(operation)) else { continue };
                    let Some(after) = number(incr) else { continue };
                    let read_replicas = facts.acknowledged(operation, key);
                    let incr_replicas = facts.acknowledged(incr, key);
                    // Only at DC_ONE is the answering replica known (replicas may hold different counts).
                    let covered = operation.consistency == Consistency::DcOne
                        && !read_replicas.is_empty()
                        && read_replicas.iter().all(|node| incr_replicas.contains(node))
                        && !read_replicas
                            .iter()
                            .any(|node| facts.timeline.wiped_since(*node, incr.invoked_ms));
                    if covered && value < after {
                        violations.push(|| {
                            format!(
                                "{} of {} read {value} after the same connection's {} returned {after}",
                                show_operation(operation),
                                show(key),
                                show_operation(incr)
                            )
                        });
                    }
                }
            }
        }
    }
}
