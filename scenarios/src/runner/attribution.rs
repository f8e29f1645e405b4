//! Ties the coordinators' decisions (reported by each node's decision observer) to the client requests
//! they answered: a decision names the client connection (`CLIENT ID`) and the request's sequence on
//! it, so a request's decisions are those of its node with its connection id and sequence. Multi-key
//! requests have one decision per fragment. Nothing is attributed by elimination.
//!
//! Acknowledgements arrive as topology ids of the coordinator: id 0 is the coordinator itself and id
//! `k > 0` is the `k`-th entry of its `dyn_seeds`, which the simulator lists in node-index order
//! without the coordinator.

use std::collections::BTreeMap;

use dynomite_core::config::Consistency;
use dynomite_core::crdt::timestamp::Timestamp;

use crate::history::History;

/// One decision as the runner recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedDecision {
    /// When the coordinator decided, in ms since the workload started (true time).
    pub at_ms: u64,
    /// The coordinating node's index.
    pub node: usize,
    /// The client connection's id on that node.
    pub connection_id: u64,
    /// The request's sequence on that connection.
    pub sequence: u64,
    /// The level it decided at.
    pub consistency: Consistency,
    /// True for a write.
    pub write: bool,
    /// Whether the client got a reply.
    pub succeeded: bool,
    /// Acknowledging replicas as node indexes.
    pub acknowledged_by: Vec<usize>,
    /// The HLC timestamp the coordinator gave the write (CRDT mode only).
    pub timestamp: Option<Timestamp>,
}

/// A decision may come this long after its request's client gave up (the client's bound is above
/// the node's `timeout`, but a request queued behind a partition decides late): its timestamp still
/// tells what the write carried.
const LATE_DECISION_MS: u64 = 10_000;

/// The node index behind topology id `id` of the coordinator with node index `coordinator`.
pub fn node_index_of(coordinator: usize, id: u32) -> usize {
    match id as usize {
        0 => coordinator,
        seed if seed - 1 < coordinator => seed - 1,
        seed => seed,
    }
}

/// How attribution went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attribution {
    /// Requests that got at least one decision.
    pub attributed: usize,
    /// Decisions that matched no recorded request (a node made a decision nobody asked for).
    pub orphan_decisions: usize,
}

/// Fills `acknowledged_by` of every request from its decisions made while it was in flight
/// (successful fragments only), and `timestamps` from every decision of it (failed ones too, and
/// ones made up to [`LATE_DECISION_MS`] after the client gave up: such a write may still land).
pub fn attribute(history: &mut History, decisions: &[ObservedDecision]) -> Attribution {
    let mut by_request: BTreeMap<(usize, u64, u64), Vec<&ObservedDecision>> = BTreeMap::new();
    for decision in decisions {
        by_request
            .entry((decision.node, decision.connection_id, decision.sequence))
            .or_default()
            .push(decision);
    }
    let mut attribution = Attribution::default();
    let mut claimed = 0usize;
    for operation in &mut history.operations {
        let key = (operation.node, operation.connection_id, operation.sequence);
        let Some(candidates) = by_request.get(&key) else { continue };
        operation.timestamps = candidates
            .iter()
            .filter(|decision| {
                decision.at_ms >= operation.invoked_ms
                    && decision.at_ms <= operation.completed_ms + LATE_DECISION_MS
            })
            .filter_map(|decision| decision.timestamp)
            .collect();
        // A restarted node numbers its connections from 1 again: the decision must also fall within
        // the request's lifetime.
        let found: Vec<&ObservedDecision> = candidates
            .iter()
            .copied()
            .filter(|decision| {
                decision.at_ms >= operation.invoked_ms && decision.at_ms <= operation.completed_ms
            })
            .collect();
        if found.is_empty() {
            continue;
        }
        attribution.attributed += 1;
        claimed += found.len();
        operation.acknowledged_by = found
            .iter()
            .filter(|decision| decision.succeeded)
            .map(|decision| decision.acknowledged_by.clone())
            .collect();
    }
    attribution.orphan_decisions = decisions.len() - claimed.min(decisions.len());
    attribution
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topology_ids_skip_the_coordinator_in_seed_order() {
        // Coordinator 2 of 6: seeds are nodes 0, 1, 3, 4, 5 (ids 1..=5).
        let mapped: Vec<usize> = (0..6).map(|id| node_index_of(2, id)).collect();
        assert_eq!(mapped, vec![2, 0, 1, 3, 4, 5]);
    }
}
