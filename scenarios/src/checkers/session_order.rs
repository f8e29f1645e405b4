//! Session order, binding at every level and in every scenario: a read on a connection reflects that
//! connection's own earlier writes of the key (acknowledged, or still pending in the pipeline when the
//! read was sent, and acknowledged later), unless another writer touched the key in between.
//!
//! The rule, for a register key `k` (families `s`, `p`, `t`, `l`). Take an `Ok` read `R` of `k` (GET,
//! or MGET naming `k`) on connection `C`, and the last write `W` of `k` sent on `C` before `R` (SET,
//! MSET naming `k`, DEL naming `k`). When `W` ended `Ok`, every replica that answered `R` also
//! acknowledged `W` (at DC_ONE both are the owner in the coordinator's rack; at quorum levels the
//! coordinator's decisions say which replicas acknowledged; for a multi-key read, every fragment that
//! can hold `k` counts, [`Facts::answered_by`]), and none of them lost its data since
//! `W` was sent, then `R` returns `W`'s value — unless another writer touched `k` in between: a write
//! `W0` of the returned value on another connection, invoked before `R` completed, that was not
//! already acknowledged by those same replicas before `W` was sent; a write of that value whose copy
//! to one of those replicas was in flight during a fault (a request on a peer connection that broke
//! may still arrive late, as with real TCP); in CRDT mode, a write of that value on another connection
//! whose HLC timestamp is at least `W`'s (replicas keep the highest timestamp, and another
//! coordinator's clock may be ahead); or, for a nil read, an EXPIRE of `k` (its TTL may
//! elapse at any time). Requests on one connection take effect on every replica in
//! the order they were sent (the ordering contract), so nothing else can put an older value back.
//!
//! Reads whose replicas cannot be known (no decision) or are not covered by `W`'s acknowledgements
//! are not judged and are counted as such. The old DC_ONE bug (a pipelined GET overtaking the SET
//! before it) fails this check.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::checkers::{show, show_operation, show_value, Facts, Verdict, Violations};
use crate::history::{by_connection, Command, KeyFamily, Operation};

/// The checker's name.
pub const SESSION_ORDER: &str = "session order (per connection, every level)";
/// An EXPIRE sent this long before a read may still explain a nil.
const EXPIRE_REACH_MS: u64 = 10_000;

/// Counts of one session-order pass.
#[derive(Debug, Default)]
pub(crate) struct SessionCounts {
    /// Reads judged (own earlier acknowledged write, replicas covered).
    pub judged: usize,
    /// Reads after an own acknowledged write that could not be judged (replicas unknown or not covered).
    pub unjudged: usize,
}

/// Enforces the rule of this module's documentation.
pub fn session_order(facts: &Facts<'_>) -> Verdict {
    let mut violations = Violations::default();
    let counts = check(facts, |_| true, &mut violations);
    violations.into_verdict(
        SESSION_ORDER,
        format!(
            "{} reads judged against their connection's own writes ({} not judgeable)",
            counts.judged, counts.unjudged
        ),
    )
}

/// Runs the rule for reads whose last own write satisfies `judged_write`.
pub(crate) fn check(
    facts: &Facts<'_>,
    judged_write: impl Fn(&Operation) -> bool,
    violations: &mut Violations,
) -> SessionCounts {
    let mut writes: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    let mut expires: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &facts.history.operations {
        for key in operation.command.keys() {
            if operation.command.register_write(key).is_some() {
                writes.entry(key).or_default().push(operation);
            }
            if matches!(operation.command, Command::Expire(..)) {
                expires.entry(key).or_default().push(operation);
            }
        }
    }
    let mut counts = SessionCounts::default();
    for operations in by_connection(&facts.history.operations).values() {
        let mut last_write: BTreeMap<&Bytes, &Operation> = BTreeMap::new();
        for operation in operations.iter().copied() {
            for key in operation.command.keys() {
                if !KeyFamily::of(key).is_some_and(KeyFamily::is_register) {
                    continue;
                }
                if let (Some(value), Some(write)) = (operation.read_value(key), last_write.get(key)) {
                    if write.is_ok() && judged_write(write) {
                        let context = Context { facts, writes: &writes, expires: &expires };
                        context.judge(operation, key, value, write, violations, &mut counts);
                    }
                }
                if operation.command.register_write(key).is_some() {
                    last_write.insert(key, operation);
                } else if matches!(operation.command, Command::Expire(..)) {
                    last_write.remove(key);
                }
            }
        }
    }
    counts
}

struct Context<'a, 'f> {
    facts: &'a Facts<'f>,
    writes: &'a BTreeMap<&'a Bytes, Vec<&'a Operation>>,
    expires: &'a BTreeMap<&'a Bytes, Vec<&'a Operation>>,
}

impl Context<'_, '_> {
    fn judge(
        &self,
        read: &Operation,
        key: &Bytes,
        value: Option<&Bytes>,
        write: &Operation,
        violations: &mut Violations,
        counts: &mut SessionCounts,
    ) {
        let written = write.command.register_write(key).flatten();
        // Every replica that may have answered the read for `key`: all must have acknowledged `W`.
        let read_replicas = self.facts.answered_by(read, key);
        let write_replicas = self.facts.acknowledged(write, key);
        let covered =
            !read_replicas.is_empty() && read_replicas.iter().all(|node| write_replicas.contains(node));
        let lost = read_replicas.iter().any(|node| self.facts.timeline.wiped_since(*node, write.invoked_ms));
        if !covered || lost {
            counts.unjudged += 1;
            return;
        }
        counts.judged += 1;
        // The same trade-off as in read-your-writes: the own DEL's tombstone collected by age while an
        // owner that missed it was cut off lets a repair bring the older value back.
        if value == written
            || self.other_writer(read, key, value, write, &read_replicas)
            || self.facts.tombstone_collected_by_age(write, key, read.completed_ms)
        {
            return;
        }
        violations.push(|| {
            format!(
                "{} of {} returned {} but the same connection's earlier {} wrote {} (replicas {:?} acknowledged both)",
                show_operation(read),
                show(key),
                show_value(value),
                show_operation(write),
                show_value(written),
                read_replicas
            )
        });
    }

    /// True when another connection's write (or an EXPIRE, for nil) may have put `value` there after
    /// `write` reached the read's replicas.
    fn other_writer(
        &self,
        read: &Operation,
        key: &Bytes,
        value: Option<&Bytes>,
        write: &Operation,
        read_replicas: &[usize],
    ) -> bool {
        let by_other = self.writes.get(key).into_iter().flatten().any(|other| {
            if other.id == write.id
                || other.invoked_ms > read.completed_ms
                || other.command.register_write(key).flatten() != value
            {
                return false;
            }
            // A copy in flight on a connection that broke may land late (a stale request).
            let late = read_replicas.iter().any(|node| !self.facts.reached(other, key, *node));
            if other.connection == read.connection {
                // Earlier on this connection: the ordering contract puts it before `write`.
                return other.sequence < write.sequence && late;
            }
            // CRDT mode: replicas keep the highest timestamp, whenever it was sent.
            let later_timestamp = matches!(
                (other.timestamp_max(), write.timestamp_min()),
                (Some(other), Some(own)) if other >= own
            );
            later_timestamp
                || late
                || !(other.is_ok()
                    && other.completed_ms < write.invoked_ms
                    && read_replicas.iter().all(|node| self.facts.acknowledged(other, key).contains(node)))
        });
        let by_expiry = value.is_none()
            && self.expires.get(key).into_iter().flatten().any(|expire| {
                expire.invoked_ms <= read.completed_ms
                    && expire.invoked_ms + EXPIRE_REACH_MS >= write.invoked_ms
            });
        by_other || by_expiry
    }
}
