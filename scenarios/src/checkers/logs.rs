//! Append logs (APPEND, families `a<n>`): each APPEND adds a unique token `<client>.<sequence>;`, so a
//! log read shows which appends a replica applied, and in which order.
//!
//! - No phantom or doubled tokens: every token read was appended to that key by a request sent before
//!   the read completed, and appears once.
//! - Order: one connection's appends take effect in the order sent, so of two tokens from the same
//!   connection where the earlier append ended `Ok` and reached the replica read (its path stayed up:
//!   [`Facts::reached`]), the earlier never appears after the later (the datastore pool and the peer
//!   links keep one key's requests on one ordered connection).
//! - Session order: a read after the connection's own `Ok` APPEND, answered by replicas that
//!   acknowledged it (none lost its data since), contains its token.
//!
//! The same rules apply to the replicas' logs read after heal.

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_core::resp::Frame;

use crate::checkers::{show, show_operation, Facts, Verdict, Violations};
use crate::history::{by_connection, Command, KeyFamily, Operation};

/// The checker's name.
pub const APPEND_LOGS: &str =
    "append logs (no phantom or doubled appends, per-connection order, session order)";

/// Enforces the rules of this module's documentation.
pub fn append_logs(facts: &Facts<'_>) -> Verdict {
    let mut appends: BTreeMap<(&Bytes, &Bytes), &Operation> = BTreeMap::new();
    let mut by_key: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &facts.history.operations {
        match &operation.command {
            Command::Append(key, token) => {
                appends.insert((key, token), operation);
                by_key.entry(key).or_default().push(operation);
            }
            Command::Get(key) if KeyFamily::of(key) == Some(KeyFamily::Log) => {
                by_key.entry(key).or_default().push(operation);
            }
            _ => {}
        }
    }
    let mut violations = Violations::default();
    let mut reads = 0usize;
    for operation in &facts.history.operations {
        let (Command::Get(key), Some(Frame::Bulk(log))) = (&operation.command, operation.reply()) else {
            continue;
        };
        if KeyFamily::of(key) != Some(KeyFamily::Log) {
            continue;
        }
        reads += 1;
        let read_at = format!("{} of {}", show_operation(operation), show(key));
        let replicas = facts.acknowledged(operation, key);
        let reached = |append: &Operation| {
            !replicas.is_empty() && replicas.iter().all(|node| facts.reached(append, key, *node))
        };
        judge_log(&appends, key, log, operation.completed_ms, &read_at, &reached, &mut violations);
    }
    for (key, values) in facts.replicas {
        if KeyFamily::of(key) != Some(KeyFamily::Log) {
            continue;
        }
        for (node, value) in values {
            let Some(log) = value else { continue };
            if log.starts_with(b"<unreadable") {
                continue;
            }
            let read_at = format!("replica {node} of {} after heal", show(key));
            let reached = |append: &Operation| facts.reached(append, key, *node);
            judge_log(&appends, key, log, u64::MAX, &read_at, &reached, &mut violations);
        }
    }
    for (key, operations) in &by_key {
        session(facts, key, operations, &mut violations);
    }
    violations.into_verdict(APPEND_LOGS, format!("{reads} log reads and the replicas' logs"))
}

/// The tokens of a log, in order.
fn tokens(log: &Bytes) -> Vec<Bytes> {
    let mut tokens = Vec::new();
    let mut start = 0;
    for (index, byte) in log.iter().enumerate() {
        if *byte == b';' {
            tokens.push(log.slice(start..=index));
            start = index + 1;
        }
    }
    if start < log.len() {
        tokens.push(log.slice(start..));
    }
    tokens
}

fn judge_log(
    appends: &BTreeMap<(&Bytes, &Bytes), &Operation>,
    key: &Bytes,
    log: &Bytes,
    read_completed_ms: u64,
    read_at: &str,
    reached: &dyn Fn(&Operation) -> bool,
    violations: &mut Violations,
) {
    let mut seen: BTreeMap<Bytes, usize> = BTreeMap::new();
    // Per connection: the highest sequence of an Ok append seen so far in the log.
    let mut latest: BTreeMap<u64, &Operation> = BTreeMap::new();
    for token in tokens(log) {
        let Some(append) =
            appends.get(&(key, &token)).filter(|append| append.invoked_ms <= read_completed_ms)
        else {
            violations.push(|| format!("{read_at}: token {} was never appended to it by then", show(&token)));
            continue;
        };
        let count = seen.entry(token.clone()).or_default();
        *count += 1;
        if *count == 2 {
            violations.push(|| format!("{read_at}: {} applied twice", show_operation(append)));
        }
        if let Some(later) = latest.get(&append.connection) {
            // Only an append whose copy reached the replica intact is ordered: one on a connection
            // that broke may still arrive late.
            if later.sequence > append.sequence && append.is_ok() && reached(append) {
                violations.push(|| {
                    format!(
                        "{read_at}: {} took effect before {} sent earlier on its connection",
                        show_operation(later),
                        show_operation(append)
                    )
                });
            }
        }
        let entry = latest.entry(append.connection).or_insert(append);
        if append.sequence > entry.sequence {
            *entry = append;
        }
    }
}

fn session(facts: &Facts<'_>, key: &Bytes, operations: &[&Operation], violations: &mut Violations) {
    for operations in by_connection(operations.iter().copied()).values() {
        let mut acknowledged: Vec<&Operation> = Vec::new();
        for operation in operations.iter().copied() {
            match (&operation.command, operation.reply()) {
                (Command::Append(..), Some(_)) => acknowledged.push(operation),
                (Command::Get(_), Some(reply)) => {
                    let log = match reply {
                        Frame::Bulk(log) => log.clone(),
                        _ => Bytes::new(),
                    };
                    let read_replicas = facts.acknowledged(operation, key);
                    for append in &acknowledged {
                        let Command::Append(_, token) = &append.command else { continue };
                        let append_replicas = facts.acknowledged(append, key);
                        let covered = !read_replicas.is_empty()
                            && read_replicas.iter().all(|node| append_replicas.contains(node))
                            && !read_replicas
                                .iter()
                                .any(|node| facts.timeline.wiped_since(*node, append.invoked_ms));
                        if covered && !tokens(&log).contains(token) {
                            violations.push(|| {
                                format!(
                                    "{} of {} misses {} of the same connection (replicas {read_replicas:?})",
                                    show_operation(operation),
                                    show(key),
                                    show_operation(append)
                                )
                            });
                        }
                    }
                }
                _ => {}
            }
        }
    }
}
