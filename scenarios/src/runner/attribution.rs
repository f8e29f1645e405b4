//! Ties the coordinators' quorum decisions (reported by the node's decision observer) to the client
//! operations they answered, so the quorum-honesty checker sees which replicas acknowledged each one.
//!
//! A decision does not name the client request it answered, so attribution is by elimination: an `Ok`
//! quorum operation gets a decision's acknowledgements only when exactly one successful decision of
//! the same level and access was made within the operation's `[invoked_ms, completed_ms]`, and that
//! decision falls within no other candidate operation. Ambiguous operations stay "not known".
//!
//! Acknowledgements arrive as topology ids of the coordinator: id 0 is the coordinator itself and id
//! `k > 0` is the `k`-th entry of its `dyn_seeds`, which the simulator lists in node-index order
//! without the coordinator.

use dynomite_core::config::Consistency;

use crate::history::{History, OpKind, Operation, Outcome};

/// One decision as the runner recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedDecision {
    /// When the coordinator decided, in ms since the workload started (true time).
    pub at_ms: u64,
    /// The level it decided at.
    pub consistency: Consistency,
    /// Read or write.
    pub kind: OpKind,
    /// Whether the client got a reply.
    pub succeeded: bool,
    /// Acknowledging replicas as the coordinator's topology ids.
    pub acknowledgements: Vec<u32>,
}

/// The node index behind topology id `id` of the coordinator with node index `coordinator`.
pub fn node_index_of(coordinator: usize, id: u32) -> usize {
    match id as usize {
        0 => coordinator,
        seed if seed - 1 < coordinator => seed - 1,
        seed => seed,
    }
}

/// Fills `acknowledged_by` of every unambiguously attributable quorum operation; returns how many.
pub fn attribute(history: &mut History, decisions: &[ObservedDecision]) -> usize {
    let candidates: Vec<Vec<usize>> =
        history.operations.iter().map(|operation| matching_decisions(operation, decisions)).collect();
    let mut claims = vec![0usize; decisions.len()];
    for matches in &candidates {
        for decision in matches {
            claims[*decision] += 1;
        }
    }
    let mut attributed = 0;
    for (operation, matches) in history.operations.iter_mut().zip(&candidates) {
        let [decision] = matches.as_slice() else { continue };
        if claims[*decision] != 1 {
            continue;
        }
        if let Outcome::Ok { acknowledged_by, .. } = &mut operation.outcome {
            let ids = &decisions[*decision].acknowledgements;
            *acknowledged_by = ids.iter().map(|id| node_index_of(operation.node, *id)).collect();
            attributed += 1;
        }
    }
    attributed
}

fn matching_decisions(operation: &Operation, decisions: &[ObservedDecision]) -> Vec<usize> {
    if !operation.is_ok() || operation.consistency == Consistency::DcOne {
        return Vec::new();
    }
    let first = decisions.partition_point(|decision| decision.at_ms < operation.invoked_ms);
    decisions[first..]
        .iter()
        .enumerate()
        .take_while(|(_, decision)| decision.at_ms <= operation.completed_ms)
        .filter(|(_, decision)| {
            decision.succeeded
                && decision.consistency == operation.consistency
                && decision.kind == operation.kind
        })
        .map(|(offset, _)| first + offset)
        .collect()
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn operation(id: u64, node: usize, invoked_ms: u64, completed_ms: u64) -> Operation {
        Operation {
            id,
            client: id as usize,
            kind: OpKind::Write,
            key: Bytes::from_static(b"k"),
            value: Some(Bytes::from(format!("v{id}"))),
            consistency: Consistency::DcQuorum,
            invoked_ms,
            completed_ms,
            node,
            outcome: Outcome::Ok { value: None, acknowledged_by: Vec::new() },
        }
    }

    fn decision(at_ms: u64, acknowledgements: Vec<u32>) -> ObservedDecision {
        ObservedDecision {
            at_ms,
            consistency: Consistency::DcQuorum,
            kind: OpKind::Write,
            succeeded: true,
            acknowledgements,
        }
    }

    #[test]
    fn topology_ids_skip_the_coordinator_in_seed_order() {
        // Coordinator 2 of 6: seeds are nodes 0, 1, 3, 4, 5 (ids 1..=5).
        let mapped: Vec<usize> = (0..6).map(|id| node_index_of(2, id)).collect();
        assert_eq!(mapped, vec![2, 0, 1, 3, 4, 5]);
    }

    #[test]
    fn only_unambiguous_operations_are_attributed() {
        let mut history =
            History::new(vec![operation(1, 0, 10, 12), operation(2, 3, 20, 25), operation(3, 4, 24, 30)]);
        let decisions = vec![decision(11, vec![0, 2]), decision(24, vec![0, 1])];
        assert_eq!(attribute(&mut history, &decisions), 1);
        assert_eq!(history.operations[0].acknowledgements(), Some(&[0, 2][..]));
        assert_eq!(history.operations[1].acknowledgements(), None, "decision at 24 fits two operations");
        assert_eq!(history.operations[2].acknowledgements(), None);
    }
}
