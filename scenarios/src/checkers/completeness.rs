//! Replication completeness, binding: an acknowledged write reaches every replica, in every
//! datacenter, that stayed connected to its coordinator (or, in another datacenter, to the entry node
//! the coordinator forwards to, and the entry node to it) for the write's lifetime; after heal and
//! settle each such replica reflects it or a later write. Checked by reading each key on its owner in
//! every rack directly from the datastores.
//!
//! A write *reached* replica `X` when `X` did not lose its data since the write was sent and the path
//! from the coordinator to `X` stayed up (sampled connected, no fault touching either end) from the
//! write's invocation until [`DELIVERY_MARGIN_MS`] after its answer. Then, per key family:
//! - registers: of the `Ok` writes (SET, MSET, DEL, and EXPIRE once its TTL has surely elapsed) that
//!   reached `X`, take the one answered last, `W`. `X` holds `W`'s effect, or the value of a write
//!   not acknowledged [`DELIVERY_MARGIN_MS`] before `W` was sent (concurrent, later, failed or
//!   indeterminate, or still travelling to another datacenter), or of one that did not reach `X`
//!   intact (a copy on a connection that broke may land late), or (CRDT mode) of one whose HLC
//!   timestamp is at least `W`'s (last-writer-wins by timestamp, not by real time), or nil after an
//!   EXPIRE whose deadline `W` was sent before ("expiry wins", [`expiry_may_win`]), or a value written
//!   before a DEL (`W` or one that overwrote it) whose tombstone the bounded-age rule may have
//!   collected while an owner that missed it was cut off (the documented trade-off of
//!   `tombstone_gc_age`, [`Facts::tombstone_collected_by_age`]; swarm seed 167: datacenter 0 down
//!   through a DEL and past its age, the other datacenter collected the tombstone, and after the
//!   restart a repair spread datacenter 0's older value everywhere);
//! - growing counters: `X`'s count is at least the sum of the `Ok` increments that reached it, and at
//!   most the sum of the increments sent;
//! - append logs: `X`'s log holds the token of every `Ok` APPEND that reached it.
//!
//! Convergence (every replica of a key equal, data and metadata) is the binding checker of
//! [`crate::checkers::replicas`].
//! "An OK MSET leaves every key at its value unless a later write changed it" is this rule and the
//! session-order rule restricted to MSET writes ([`mset_effects`]).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::checkers::timeline::DELIVERY_MARGIN_MS;
use crate::checkers::{
    read_your_writes, session_order, show, show_operation, show_value, Facts, Verdict, Violations,
};
use crate::history::{Command, KeyFamily, Operation};

/// The checker's name.
pub const REPLICATION_COMPLETENESS: &str = "replication completeness (replicas read after heal)";
/// The MSET verdict's name.
pub const MSET_EFFECTS: &str = "MSET effects (session order and replicas)";
/// Slack added to an EXPIRE's TTL before its key must be gone.
const EXPIRY_SLACK_MS: u64 = 1_000;

/// Enforces the rule of this module's documentation.
pub fn replication_completeness(facts: &Facts<'_>) -> Verdict {
    let mut violations = Violations::default();
    let judged = check(facts, false, |_| true, &mut violations);
    violations.into_verdict(REPLICATION_COMPLETENESS, format!("{judged} replica values judged"))
}

/// The MSET rule: session order and completeness for reads and replicas whose deciding write is an MSET.
pub fn mset_effects(facts: &Facts<'_>) -> Verdict {
    let is_mset = |operation: &Operation| matches!(operation.command, Command::Mset(_));
    let mut violations = Violations::default();
    let counts = session_order::check(facts, is_mset, &mut violations);
    let judged = check(facts, true, is_mset, &mut violations);
    violations.into_verdict(
        MSET_EFFECTS,
        format!(
            "{} reads after an own MSET, {judged} replica values whose last write is an MSET",
            counts.judged
        ),
    )
}

/// Every write-like request per key (register writes, EXPIRE, INCR, APPEND).
fn writes_by_key<'a>(facts: &Facts<'a>) -> BTreeMap<&'a Bytes, Vec<&'a Operation>> {
    let mut writes: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &facts.history.operations {
        if !operation.command.is_write() {
            continue;
        }
        for key in operation.command.keys() {
            writes.entry(key).or_default().push(operation);
        }
    }
    writes
}

/// The effect of a register write on `key`: `Some(value)` (nil = `None`); `None` when it has none
/// that can be judged (an EXPIRE whose TTL may not have elapsed by `read_ms`).
fn register_effect(facts: &Facts<'_>, write: &Operation, key: &Bytes, read_ms: u64) -> Option<Option<Bytes>> {
    if let Command::Expire(_, seconds) = write.command {
        let due = write.completed_ms + seconds * 1000 + facts.timeline.skew_max_ms() + EXPIRY_SLACK_MS;
        return (due <= read_ms).then_some(None);
    }
    write.command.register_write(key).map(|value| value.cloned())
}

/// True when `expire` (an EXPIRE) may delete the effect of `write` under the documented "expiry wins"
/// limit of CRDT mode (`core/src/crdt/state.rs`, section "Expiry"): a replica that holds the expiry
/// but not yet a write that superseded it (a SET without KEEPTTL) deletes the key at the deadline, and
/// the merge spreads that delete, so any write sent before the deadline (bounded by the EXPIRE's answer
/// plus its TTL, the clock skew and [`EXPIRY_SLACK_MS`]) may be lost to it.
pub(crate) fn expiry_may_win(facts: &Facts<'_>, expire: &Operation, write: &Operation) -> bool {
    let Command::Expire(_, seconds) = expire.command else { return false };
    let deadline_max = expire.completed_ms + seconds * 1000 + facts.timeline.skew_max_ms() + EXPIRY_SLACK_MS;
    expire.invoked_ms <= write.completed_ms && write.invoked_ms <= deadline_max
}

/// Judges every readable replica value; returns how many were judged.
fn check(
    facts: &Facts<'_>,
    registers_only: bool,
    judged_write: impl Fn(&Operation) -> bool,
    violations: &mut Violations,
) -> usize {
    let writes = writes_by_key(facts);
    let mut judged = 0;
    for (key, values) in facts.replicas {
        let Some(family) = KeyFamily::of(key).filter(|family| family.is_register() || !registers_only) else {
            continue;
        };
        let key_writes = writes.get(key).map(Vec::as_slice).unwrap_or_default();
        for (node, value) in values {
            if value.as_ref().is_some_and(|value| value.starts_with(b"<unreadable")) {
                continue;
            }
            let arrived: Vec<&Operation> = key_writes
                .iter()
                .copied()
                .filter(|write| write.is_ok() && facts.reached(write, key, *node))
                .collect();
            let context = Replica { facts, key, node: *node, value: value.as_ref() };
            judged += match family {
                _ if family.is_register() => {
                    context.register(key_writes, &arrived, &judged_write, violations)
                }
                KeyFamily::Counter => context.counter(key_writes, &arrived, violations),
                KeyFamily::Log => context.log(&arrived, violations),
                _ => 0,
            };
        }
    }
    judged
}

/// One replica's value of one key.
struct Replica<'a, 'f> {
    facts: &'a Facts<'f>,
    key: &'a Bytes,
    node: usize,
    value: Option<&'a Bytes>,
}

impl Replica<'_, '_> {
    fn register(
        &self,
        writes: &[&Operation],
        arrived: &[&Operation],
        judged_write: &impl Fn(&Operation) -> bool,
        violations: &mut Violations,
    ) -> usize {
        let read_ms = self.facts.replicas_read_ms;
        let last = arrived
            .iter()
            .copied()
            .filter(|write| register_effect(self.facts, write, self.key, read_ms).is_some())
            .max_by_key(|write| (write.completed_ms, write.invoked_ms, write.id));
        let Some(last) = last.filter(|last| judged_write(last)) else { return 0 };
        // An EXPIRE sent since whose TTL may not have elapsed (one that extends an earlier one) leaves
        // the value undecided.
        let pending_expiry = writes.iter().any(|other| {
            matches!(other.command, Command::Expire(..))
                && other.invoked_ms + DELIVERY_MARGIN_MS >= last.invoked_ms
                && register_effect(self.facts, other, self.key, read_ms).is_none()
        });
        if pending_expiry {
            return 0;
        }
        let expected = register_effect(self.facts, last, self.key, read_ms).flatten();
        if self.value == expected.as_ref() {
            return 1;
        }
        // A write not acknowledged before `last` was sent, or one whose copy to this replica was in
        // flight during a fault (a request on a connection that broke may still arrive late), can
        // explain the value.
        // With HLC timestamps (CRDT mode) a write with a later timestamp wins whenever it was sent.
        let later_timestamp = |other: &Operation| matches!((other.timestamp_max(), last.timestamp_min()), (Some(other), Some(last)) if other >= last);
        // Tombstone GC's age rule: a DEL that is `last` or overwrote it may have been collected while an
        // owner that missed it was cut off, and a repair spread that owner's older value again.
        let restored = read_your_writes::restored_by_collected_delete(
            self.facts, self.key, last, writes, self.value, read_ms,
        );
        let explained = restored
            || writes.iter().any(|other| {
                (later_timestamp(other)
                    || expiry_may_win(self.facts, other, last)
                    || !(other.is_ok()
                        && other.completed_ms + DELIVERY_MARGIN_MS < last.invoked_ms
                        && self.facts.reached(other, self.key, self.node)))
                    && match &other.command {
                        Command::Expire(..) => self.value.is_none(),
                        command => {
                            command.register_write(self.key).is_some_and(|written| written == self.value)
                        }
                    }
            });
        if !explained {
            violations.push(|| {
                format!(
                    "replica {} of {} holds {} but {} ({}) reached it and nothing later explains that",
                    self.node,
                    show(self.key),
                    show_value(self.value),
                    show_operation(last),
                    show_value(expected.as_ref())
                )
            });
        }
        1
    }

    fn counter(&self, writes: &[&Operation], arrived: &[&Operation], violations: &mut Violations) -> usize {
        let count: i64 = match self.value {
            None => 0,
            Some(text) => match std::str::from_utf8(text).ok().and_then(|text| text.parse().ok()) {
                Some(count) => count,
                None => {
                    violations.push(|| {
                        format!(
                            "replica {} of {} holds {} (not a count)",
                            self.node,
                            show(self.key),
                            show(text)
                        )
                    });
                    return 1;
                }
            },
        };
        let reached: i64 = arrived.iter().filter_map(|write| write.command.counter_delta(self.key)).sum();
        let sent: i64 = writes.iter().filter_map(|write| write.command.counter_delta(self.key)).sum();
        if count < reached || count > sent {
            violations.push(|| {
                format!(
                    "replica {} of {} counts {count}: acknowledged increments of {reached} reached it, {sent} were sent",
                    self.node,
                    show(self.key)
                )
            });
        }
        1
    }

    fn log(&self, arrived: &[&Operation], violations: &mut Violations) -> usize {
        let log = self.value.cloned().unwrap_or_default();
        for append in arrived {
            let Command::Append(_, token) = &append.command else { continue };
            let bare = token.strip_suffix(b";").unwrap_or(token);
            let present = log.split(|byte| *byte == b';').any(|entry| entry == bare);
            if !present {
                violations.push(|| {
                    format!(
                        "replica {} of {} misses {} that reached it",
                        self.node,
                        show(self.key),
                        show_operation(append)
                    )
                });
            }
        }
        1
    }
}
