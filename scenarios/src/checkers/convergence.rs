//! Convergence after heal: every replica of a key holds the same value.

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::checkers::{show, show_value, Verdict, Violations};

/// The checker's name.
pub const CONVERGENCE: &str = "convergence after heal";

/// What each replica holds, read directly from the datastores after the heal: key → (node index →
/// value, `None` when the replica has no such key).
pub type ReplicaValues = BTreeMap<Bytes, BTreeMap<usize, Option<Bytes>>>;

/// Passes when, for every key, all its replicas hold the same value (or all lack it). Reported as a
/// soft verdict: Dynomite has no anti-entropy beyond optional read repair, so divergence after heal is
/// expected today and does not fail the run.
pub fn convergence(replicas: &ReplicaValues) -> Verdict {
    let mut violations = Violations::default();
    for (key, values) in replicas {
        let mut distinct = values.values();
        let Some(first) = distinct.next() else { continue };
        if distinct.any(|value| value != first) {
            violations.push(|| describe_disagreement(key, values));
        }
    }
    let verdict = violations.into_verdict(CONVERGENCE, format!("{} keys", replicas.len()));
    Verdict { soft: true, ..verdict }
}

/// `"key": node 0 = "a", node 3 = nil`.
fn describe_disagreement(key: &Bytes, values: &BTreeMap<usize, Option<Bytes>>) -> String {
    let replicas: Vec<String> =
        values.iter().map(|(node, value)| format!("node {node} = {}", show_value(value.as_ref()))).collect();
    format!("{}: {}", show(key), replicas.join(", "))
}
