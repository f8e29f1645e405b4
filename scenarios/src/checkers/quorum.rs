//! Quorum honesty: a success at a quorum level really had a quorum of replicas behind it, for every
//! request (and every fragment of a multi-key request), as the coordinator's decisions report.

use std::collections::BTreeSet;

use dynomite_chaos::Shape;
use dynomite_core::config::Consistency;

use crate::checkers::{show_operation, Verdict, Violations};
use crate::history::History;

/// The checker's name.
pub const QUORUM_HONESTY: &str = "quorum honesty";

/// Passes when every `Ok` request at a quorum level carries, in each of its decisions, a quorum of
/// acknowledging replicas: `racks_per_datacenter / 2 + 1` distinct racks of the coordinator's
/// datacenter (each rack holds one replica of a key, so racks, not nodes, are counted). For
/// `DC_EACH_SAFE_QUORUM` a remote datacenter answers through its entry node as one result, so only
/// the coordinator's own datacenter is counted. An acknowledgement naming
/// a node outside `shape` is a violation. Requests the coordinator answered without a replicated
/// decision (proxy-answered, scans) have none and are counted apart.
pub fn quorum_honesty(history: &History, shape: &Shape) -> Verdict {
    let quorum = shape.racks_per_datacenter / 2 + 1;
    let mut violations = Violations::default();
    let mut checked = 0usize;
    let mut without_decision = 0usize;
    for operation in &history.operations {
        let datacenters: Vec<usize> = match operation.consistency {
            Consistency::DcOne => continue,
            // Decisions name the coordinator's own datacenter's replicas; a remote datacenter's quorum
            // (DC_EACH_SAFE_QUORUM) is decided by its entry node, which answers for it as one.
            _ => vec![shape.datacenter_of(operation.node)],
        };
        if !operation.is_ok() {
            continue;
        }
        if operation.acknowledged_by.is_empty() {
            without_decision += 1;
            continue;
        }
        checked += 1;
        for (fragment, acknowledged_by) in operation.acknowledged_by.iter().enumerate() {
            if let Some(node) = acknowledged_by.iter().find(|node| **node >= shape.node_count()) {
                violations.push(|| {
                    format!("{} names unknown node {node} as acknowledging", show_operation(operation))
                });
                continue;
            }
            for datacenter in &datacenters {
                let racks: BTreeSet<usize> = acknowledged_by
                    .iter()
                    .filter(|node| shape.datacenter_of(**node) == *datacenter)
                    .map(|node| shape.rack_of(*node))
                    .collect();
                if racks.len() < quorum {
                    violations.push(|| {
                        format!(
                            "{} at {} fragment {fragment} succeeded with {} racks of datacenter {datacenter} acknowledging, quorum {quorum}",
                            show_operation(operation),
                            operation.consistency.wire_name(),
                            racks.len()
                        )
                    });
                }
            }
        }
    }
    violations.into_verdict(
        QUORUM_HONESTY,
        format!("{checked} Ok quorum requests with decisions ({without_decision} without one)"),
    )
}
