//! Quorum honesty: a success at a quorum level really had a quorum of replicas behind it.

use std::collections::BTreeSet;

use dynomite_chaos::Shape;
use dynomite_core::config::Consistency;

use crate::checkers::{Verdict, Violations};
use crate::history::{History, Operation};

/// The checker's name.
pub const QUORUM_HONESTY: &str = "quorum honesty";

/// Passes when every `Ok` operation at a quorum level whose acknowledging replicas are known carries
/// a quorum of them: `racks_per_datacenter / 2 + 1` distinct racks of the coordinator's datacenter
/// for `DC_QUORUM` and `DC_SAFE_QUORUM`, and of every datacenter for `DC_EACH_SAFE_QUORUM` (each rack
/// holds one replica of a key, so racks, not nodes, are counted). An acknowledgement naming a node
/// outside `shape` is a violation. `DC_ONE` and operations without known acknowledgements are skipped.
pub fn quorum_honesty(history: &History, shape: &Shape) -> Verdict {
    let quorum = shape.racks_per_datacenter / 2 + 1;
    let mut violations = Violations::default();
    let mut checked = 0usize;
    for operation in &history.operations {
        let Some(acknowledged_by) = operation.acknowledgements() else { continue };
        let datacenters: Vec<usize> = match operation.consistency {
            Consistency::DcOne => continue,
            Consistency::DcQuorum | Consistency::DcSafeQuorum => vec![shape.datacenter_of(operation.node)],
            Consistency::DcEachSafeQuorum => (0..shape.datacenters).collect(),
        };
        checked += 1;
        if let Some(node) = acknowledged_by.iter().find(|node| **node >= shape.node_count()) {
            violations
                .push(|| format!("operation {} names unknown node {node} as acknowledging", operation.id));
            continue;
        }
        for datacenter in datacenters {
            let racks = racks_acknowledging(shape, acknowledged_by, datacenter);
            if racks < quorum {
                violations.push(|| short_of_quorum(operation, datacenter, racks, quorum));
            }
        }
    }
    violations
        .into_verdict(QUORUM_HONESTY, format!("{checked} quorum operations with known acknowledgements"))
}

/// Distinct racks of `datacenter` among the acknowledging nodes.
fn racks_acknowledging(shape: &Shape, acknowledged_by: &[usize], datacenter: usize) -> usize {
    let racks: BTreeSet<usize> = acknowledged_by
        .iter()
        .filter(|node| shape.datacenter_of(**node) == datacenter)
        .map(|node| shape.rack_of(*node))
        .collect();
    racks.len()
}

/// Describes an operation that succeeded with too few acknowledgements.
fn short_of_quorum(operation: &Operation, datacenter: usize, racks: usize, quorum: usize) -> String {
    format!(
        "operation {} at {} succeeded with {racks} racks of datacenter {datacenter} acknowledging, quorum {quorum}",
        operation.id,
        operation.consistency.wire_name()
    )
}
