//! Cluster SCAN: a scan during a quiet window returns each key that existed for the whole scan exactly
//! once.
//!
//! A scan is the pages of one cursor walk on one connection (`SCAN cursor COUNT n` until the cursor
//! is 0), all `Ok`. Every key it returns must be a workload key, and no key may come back twice. When
//! the scan and a key's last creating write lie in one quiet window (no fault active or lifted within
//! the reconnect margin, every link up), the key must be returned if it surely existed for the whole
//! scan: its creating write (SET or MSET for registers, INCR, APPEND, HSET, SADD) ended `Ok` at least
//! [`SETTLED_MS`] before the scan began, and no request that could delete it (DEL, EXPIRE, SREM) was
//! sent before the scan ended without having been answered more than the delivery margin before
//! that write was sent (a delete's copies to other datacenters land up to that much later), and no
//! EXPIRE whose deadline came after that write was sent ("expiry wins" in CRDT mode,
//! [`expiry_may_win`]).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use dynomite_core::resp::Frame;

use crate::checkers::completeness::expiry_may_win;
use crate::checkers::timeline::DELIVERY_MARGIN_MS;
use crate::checkers::{show, show_operation, Facts, Verdict, Violations};
use crate::history::{Command, Operation};

/// The checker's name.
pub const SCAN_EXACTLY_ONCE: &str = "SCAN returns each existing key exactly once (quiet windows)";
/// A write answered this long before a scan has reached every replica of a quiet cluster.
pub const SETTLED_MS: u64 = 500;

/// Enforces the rule of this module's documentation.
pub fn scan_exactly_once(facts: &Facts<'_>) -> Verdict {
    let mut scans: BTreeMap<u64, Vec<&Operation>> = BTreeMap::new();
    let mut writes: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &facts.history.operations {
        if let Command::Scan { scan, .. } = operation.command {
            scans.entry(scan).or_default().push(operation);
        }
        for key in operation.command.keys() {
            if operation.command.is_write() {
                writes.entry(key).or_default().push(operation);
            }
        }
    }
    let known: BTreeSet<&Bytes> = facts.owners.iter().map(|(key, _)| key).collect();
    let mut violations = Violations::default();
    let (mut complete, mut judged) = (0usize, 0usize);
    for pages in scans.values_mut() {
        pages.sort_by_key(|page| page.sequence);
        let (first, last) = (pages[0], pages[pages.len() - 1]);
        let returned = match walk(pages) {
            Walk::Complete(keys) => keys,
            Walk::Failed => continue, // a page failed or was lost: the walk says nothing
            Walk::Malformed => {
                violations.push(|| {
                    format!("scan from {} got a page that is not a SCAN reply", show_operation(first))
                });
                continue;
            }
            Walk::Unfinished => {
                violations.push(|| {
                    format!(
                        "scan from {} never reached cursor 0: {} pages, every one answered",
                        show_operation(first),
                        pages.len()
                    )
                });
                continue;
            }
        };
        complete += 1;
        let mut counts: BTreeMap<&Bytes, usize> = BTreeMap::new();
        for key in &returned {
            *counts.entry(key).or_default() += 1;
        }
        for (key, count) in &counts {
            if !known.contains(key) {
                violations.push(|| {
                    format!("scan from {} returned {} which no client uses", show_operation(first), show(key))
                });
            }
            if *count > 1 {
                violations.push(|| {
                    format!("scan from {} returned {} {count} times", show_operation(first), show(key))
                });
            }
        }
        if !facts.timeline.quiet(first.invoked_ms, last.completed_ms) {
            continue;
        }
        judged += 1;
        for key in &known {
            let key_writes = writes.get(key).map(Vec::as_slice).unwrap_or_default();
            if let Some(creator) = existed_throughout(facts, key, key_writes, first, last) {
                if !counts.contains_key(key) {
                    violations.push(|| {
                        format!(
                            "scan from {} to {} ms missed {} created by {}",
                            show_operation(first),
                            last.completed_ms,
                            show(key),
                            show_operation(creator)
                        )
                    });
                }
            }
        }
    }
    violations
        .into_verdict(SCAN_EXACTLY_ONCE, format!("{complete} complete scans, {judged} in quiet windows"))
}

/// How one cursor walk went.
enum Walk {
    /// Every page answered and the cursor came back to 0: the keys of every page.
    Complete(Vec<Bytes>),
    /// A page failed or was lost (the client stops there): nothing to judge.
    Failed,
    /// A page answered with something that is not `[cursor, [keys...]]`.
    Malformed,
    /// Every page answered, yet the client gave up at its page limit before the cursor came back to 0.
    Unfinished,
}

fn walk(pages: &[&Operation]) -> Walk {
    let mut keys = Vec::new();
    let mut ended = false;
    for page in pages {
        let Some(reply) = page.reply() else { return Walk::Failed };
        let Frame::Array(items) = reply else { return Walk::Malformed };
        let [Frame::Bulk(cursor), Frame::Array(page_keys)] = items.as_slice() else { return Walk::Malformed };
        for key in page_keys {
            let Frame::Bulk(key) = key else { return Walk::Malformed };
            keys.push(key.clone());
        }
        ended = cursor.as_ref() == b"0";
    }
    if ended {
        Walk::Complete(keys)
    } else {
        Walk::Unfinished
    }
}

/// The write that made `key` exist for the whole scan `[first, last]`, if one surely did.
fn existed_throughout<'a>(
    facts: &Facts<'_>,
    key: &Bytes,
    writes: &[&'a Operation],
    first: &Operation,
    last: &Operation,
) -> Option<&'a Operation> {
    let creator = writes
        .iter()
        .copied()
        .filter(|write| write.is_ok() && creates(&write.command, key))
        .filter(|write| write.completed_ms + SETTLED_MS <= first.invoked_ms)
        .max_by_key(|write| write.completed_ms)?;
    if !facts.timeline.quiet(creator.invoked_ms, last.completed_ms) {
        return None;
    }
    let deleted = writes.iter().any(|write| {
        deletes(&write.command)
            && write.invoked_ms <= last.completed_ms
            && (!(write.is_ok() && write.completed_ms + DELIVERY_MARGIN_MS < creator.invoked_ms)
                || expiry_may_win(facts, write, creator))
    });
    (!deleted).then_some(creator)
}

fn creates(command: &Command, key: &Bytes) -> bool {
    match command {
        Command::Set(..) | Command::Mset(_) => command.register_write(key).is_some(),
        Command::Incr(_)
        | Command::Incrby(..)
        | Command::Hincrby(..)
        | Command::Append(..)
        | Command::Hset(..)
        | Command::Sadd(..) => true,
        // NX/XX/GT/LT may leave the key as it was.
        Command::Zadd { flags, .. } => flags.iter().all(|flag| *flag == "CH"),
        _ => false,
    }
}

fn deletes(command: &Command) -> bool {
    matches!(
        command,
        Command::Del(_) | Command::Expire(..) | Command::Srem(..) | Command::Hdel(..) | Command::Zrem(..)
    )
}
