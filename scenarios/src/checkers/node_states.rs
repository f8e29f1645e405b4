//! Node states: a node an operator put in `WRITES_ONLY` (the warm-up of a node that came back with an
//! empty datastore, [`dynomite_chaos::ServingState`]) answers no read from its clients while in it.
//!
//! A read sent to such a node after the state was set and answered before it changed (set again, or the
//! node killed) must fail, with C Dynomite's "current state does not allow this request": its data is
//! incomplete, so an answer could be a value the cluster deleted or overwrote long ago. Writes go
//! through (they are how it catches up), and are not judged here.

use dynomite_chaos::{Fault, ServingState};

use crate::checkers::{show_operation, Facts, Verdict, Violations};

/// The checker's name.
pub const NODE_STATES: &str = "node states (no read answered by a WRITES_ONLY node)";

/// Enforces the rule of this module's documentation.
pub fn node_states(facts: &Facts<'_>) -> Verdict {
    let windows = writes_only_windows(facts);
    let mut violations = Violations::default();
    let (mut judged, mut refused) = (0usize, 0usize);
    for operation in &facts.history.operations {
        if operation.command.is_write() {
            continue;
        }
        let inside = windows.iter().any(|&(node, from_ms, to_ms)| {
            operation.node == node && operation.invoked_ms > from_ms && operation.completed_ms < to_ms
        });
        if !inside {
            continue;
        }
        judged += 1;
        if operation.is_ok() {
            violations.push(|| format!("{} was answered by a WRITES_ONLY node", show_operation(operation)));
        } else {
            refused += 1;
        }
    }
    violations.into_verdict(
        NODE_STATES,
        format!("{} WRITES_ONLY windows, {judged} reads sent into them, {refused} refused", windows.len()),
    )
}

/// `(node, from, to)` in ms: node `node` was WRITES_ONLY from `from` until `to` (its next state
/// change or kill; the end of time when neither came).
fn writes_only_windows(facts: &Facts<'_>) -> Vec<(usize, u64, u64)> {
    let shape = facts.shape;
    let events = facts.timeline.events();
    let mut windows = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let Fault::SetNodeState { node, state: ServingState::WritesOnly } = event.fault else { continue };
        let ends = |fault: &Fault| match *fault {
            Fault::SetNodeState { node: other, .. } | Fault::KillNode { node: other, .. } => other == node,
            Fault::KillRack { datacenter, rack } => {
                shape.rack_nodes(datacenter, rack).any(|other| other == node)
            }
            Fault::KillDatacenter { datacenter } => {
                shape.datacenter_nodes(datacenter).any(|other| other == node)
            }
            _ => false,
        };
        let to_ms =
            events[index + 1..].iter().find(|later| ends(&later.fault)).map_or(u64::MAX, |later| later.at_ms);
        windows.push((node, event.at_ms, to_ms));
    }
    windows
}
