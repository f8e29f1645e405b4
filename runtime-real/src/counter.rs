//! Counter ops in CRDT mode (INCR, DECR, INCRBY, DECRBY, HINCRBY): the two halves of
//! [`dynomite_core::crdt::counter`], executed on a planned request.
//!
//! 1. **The applier.** Among the plan's deciding targets of this datacenter, in plan order (the local
//!    rack's owner first), the first one that can be reached now (this node's datastore, or a peer
//!    whose link is up and not marked down) gets the op's `EVALSHA`: it adds the delta into the
//!    component its datastore owns and answers the value with that component. The op is sent to it
//!    **once**: never hinted, never retried elsewhere (a second applier would count it again). When it
//!    fails or times out the client gets the error (the increment is indeterminate, as any write
//!    without a reply).
//! 2. **The join.** Every other target of the plan (the other racks, the remote datacenters' entries,
//!    deciding or fire-and-forget as planned) gets the `counter` script joining that component; a
//!    join is a maximum, so it is hinted, replayed and repaired freely. Its reply is the counter's
//!    value on that replica.
//!
//! The applier's value counts as its reply in the plan's collector, so the levels keep their meaning:
//! DC_ONE answers after the applier; DC_QUORUM after a quorum of replicas holds the increment;
//! DC_SAFE_QUORUM and DC_EACH_SAFE_QUORUM when a quorum answers the same value.
//!
//! **Order.** The join can only be enqueued once the applier answered, later than the requests the
//! connection sends after the op. The client connection therefore stops dispatching after a counter
//! op whose replies could be overtaken ([`needs_barrier`]) until its reply is written, so the order
//! contract of [`crate::coordinator`] holds for counters too, at the cost of one round trip per such
//! op in a pipeline.

use std::sync::Arc;

use bytes::Bytes;
use dynomite_core::cluster::plan::{Action, Plan};
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult, Verdict};
use dynomite_core::command::CommandSpec;
use dynomite_core::config::Consistency;
use dynomite_core::crdt::counter::{join_args, read_of, value_in, Applied};
use dynomite_core::crdt::merge::merge_settled;
use dynomite_core::resp::{self, Frame, Protocol};
use dynomite_core::ring::NodeId;

use crate::coordinator::{self, Origin, Reply, Routed, Started};
use crate::node::NodeShared;
use crate::peer::PeerRequest;
use crate::read_repair::{self, KeyState};

/// True when a counter op planned so must hold the connection's next requests back until it is
/// answered: its join goes to some replica that a later request of the connection may read first
/// (any plan with more than one target, unless every read is answered by the applier alone, which
/// DC_ONE reads of a key whose applier is this node's own local-rack owner are).
pub fn needs_barrier(node: &NodeShared, plan: &Plan, read_level: Consistency) -> bool {
    if plan.targets.len() <= 1 {
        return false;
    }
    let local_owner_applies = plan.targets.first().is_some_and(|target| usable(node, target.node));
    read_level != Consistency::DcOne || !local_owner_applies
}

/// Routes a counter op (its rewritten `EVALSHA`): the applier now, the joins when it answers.
pub(crate) fn route(
    node: &Arc<NodeShared>,
    plan: Plan,
    origin: Origin,
    args: Vec<Bytes>,
    protocol: Protocol,
    token: u32,
) -> Routed {
    // The first replica of this datacenter's group that can take the op now.
    let applier = plan.targets.iter().position(|target| {
        target.group == Some(0) && matches!(target.action, Action::Execute) && usable(node, target.node)
    });
    let Some(applier) = applier else {
        // No replica of this datacenter can be reached: the plan's own failure, without sending.
        return fail(node, plan, origin, ReplicaResult::Failed(ReplicaFailure::PeerDown));
    };
    let applier_node = plan.targets[applier].node;
    let started = start_applier(node, applier_node, origin.spec, &args, protocol, token);
    let node = node.clone();
    Routed::Later(Box::pin(async move {
        let timeout_ms = node.timeout_ms();
        let result = started.result(&node, protocol, timeout_ms).await;
        let frame = match &result {
            ReplicaResult::Reply(bytes) => resp::parse_frame(bytes).ok(),
            ReplicaResult::Failed(_) => None,
        };
        let Some(applied) = frame.as_ref().and_then(Applied::parse) else {
            // A failure, or the datastore's error reply (WRONGTYPE, overflow): the answer, no join.
            let verdict = match result {
                ReplicaResult::Reply(bytes) => {
                    report(&node, &plan, origin, vec![applier_node], true);
                    Verdict::Reply(bytes)
                }
                failed => return decided(&node, &plan, origin, failed),
            };
            return coordinator::verdict_reply(verdict);
        };
        let value = Frame::Integer(applied.value).to_bytes(protocol);
        let Some(join) = join_args(&args, &applied) else {
            return coordinator::verdict_reply(Verdict::Reply(value));
        };
        let mut deciding: Vec<(usize, NodeId, Started)> = Vec::with_capacity(plan.targets.len());
        deciding.push((
            0,
            applier_node,
            Started::Forward(Box::pin(std::future::ready(ReplicaResult::Reply(value)))),
        ));
        for (index, target) in plan.targets.iter().enumerate() {
            if index == applier {
                continue;
            }
            let started =
                coordinator::start(&node, target.node, target.action, origin.spec, &join, protocol, token);
            match target.group {
                Some(group) => deciding.push((group, target.node, started)),
                None => drop(started),
            }
        }
        let (mut verdict, mut acknowledgements) =
            coordinator::collect_unreported(&node, &plan, origin.spec, None, protocol, deciding).await;
        let quorum = plan.groups.first().map_or(1, |group| group.quorum);
        if !verdict.is_reply()
            && plan.consistency == Consistency::DcSafeQuorum
            && acknowledgements.len() >= quorum
        {
            // Enough replicas answered, with different values: settle them.
            (verdict, acknowledgements) = settle(&node, &plan, origin, &args, protocol, token).await;
        }
        if !verdict.is_reply() && plan.consistency != Consistency::DcOne {
            node.metrics.count_quorum_failure();
        }
        report(&node, &plan, origin, acknowledgements, verdict.is_reply());
        coordinator::verdict_reply(verdict)
    }))
}

/// **Settling** a DC_SAFE_QUORUM counter op whose replicas answered different values (one of them
/// missed another applier's join: a join lost with a dead coordinator, not yet repaired). Without it
/// the op fails although it was applied, and so does every safe op on the counter until repair runs.
///
/// 1. Every replica of this datacenter gets the `read` script for the counter (`GET K` / `HGET K f`)
///    on the connection its join took, so a state read holds the op.
/// 2. The states that came back (at least a quorum, else the op fails) are merged.
/// 3. Each replica whose state lacks part of the merge gets the `merge` script, and is awaited.
/// 4. Once a quorum of replicas holds the merge (read equal to it, or written), the answer is the
///    merge's value: the op is in it, and a later safe op shares a replica with that quorum, so it
///    never answers less. Else `Failed to achieve Quorum`.
///
/// Mutant CounterSettleNoWriteBack: stale replicas are counted as holding the merge without being
/// written (`runtime-sim/tests/counter_settle.rs` catches it).
async fn settle(
    node: &Arc<NodeShared>,
    plan: &Plan,
    origin: Origin,
    op_args: &[Bytes],
    protocol: Protocol,
    token: u32,
) -> (Verdict, Vec<NodeId>) {
    let (Some(read_args), Some(key)) = (read_of(op_args), op_args.get(3)) else {
        return (read_repair::no_quorum(), Vec::new());
    };
    let timeout_ms = node.timeout_ms();
    let script = read_repair::read_script_args(node, key, &read_args);
    let replicas: Vec<NodeId> = plan
        .targets
        .iter()
        .filter(|target| target.group == Some(0) && matches!(target.action, Action::Execute))
        .map(|target| target.node)
        .collect();
    let reads = replicas.iter().map(|&replica| {
        let started =
            coordinator::start(node, replica, Action::Execute, origin.spec, &script, protocol, token);
        async move { (replica, started.result(node, protocol, timeout_ms).await) }
    });
    let mut states: Vec<(NodeId, KeyState)> = Vec::with_capacity(replicas.len());
    for (replica, result) in futures_util::future::join_all(reads).await {
        if let Some(state) = read_repair::state_of(&result, &read_args, protocol, node.clock.now_ms()) {
            states.push((replica, state));
        }
    }
    let quorum = plan.groups.first().map_or(1, |group| group.quorum);
    if states.len() < quorum {
        return (read_repair::no_quorum(), Vec::new());
    }
    let now_ms = node.clock.now_ms();
    let all: Vec<KeyState> = states.iter().map(|(_, state)| state.clone()).collect();
    let merged = merge_settled(&all, now_ms);
    let mut holders: Vec<NodeId> = Vec::with_capacity(states.len());
    let mut writes = Vec::new();
    for (replica, state) in &states {
        if state.same_as(&merged) || dynomite_core::mutant!(CounterSettleNoWriteBack) {
            holders.push(*replica); // Mutant CounterSettleNoWriteBack: stale replicas count as written.
            continue;
        }
        let args = read_repair::merge_script_args(key, &merged, now_ms);
        let started =
            coordinator::start(node, *replica, Action::Execute, origin.spec, &args, Protocol::Resp2, token);
        let replica = *replica;
        writes.push(async move { (replica, started.result(node, Protocol::Resp2, timeout_ms).await) });
    }
    for (replica, result) in futures_util::future::join_all(writes).await {
        let written = match &result {
            ReplicaResult::Reply(bytes) => !matches!(resp::parse_frame(bytes), Ok(Frame::Error(_)) | Err(_)),
            ReplicaResult::Failed(_) => false,
        };
        if written {
            holders.push(replica);
        }
    }
    if holders.len() < quorum {
        return (read_repair::no_quorum(), holders);
    }
    let answer = dynomite_core::crdt::answer::answer(&merged, &read_args, Protocol::Resp2, now_ms);
    match value_in(&answer) {
        Some(value) => {
            // Counted only for ops that ended settled (a quorum holds the merge, the answer is its value).
            node.stats.counter_settles.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            (Verdict::Reply(Frame::Integer(value).to_bytes(protocol)), holders)
        }
        // A later write replaced the counter (SET, DEL): nothing a quorum agrees on as this op's value.
        None => (read_repair::no_quorum(), holders),
    }
}

/// The client's reply for the applier's result on a one-node cluster: the value, or the reply as it is.
pub(crate) fn applier_reply(result: ReplicaResult) -> Reply {
    match result {
        ReplicaResult::Reply(bytes) => {
            match resp::parse_frame(&bytes).ok().as_ref().and_then(Applied::parse) {
                Some(applied) => Reply::Frame(Frame::Integer(applied.value)),
                None => Reply::Raw(bytes),
            }
        }
        failed => {
            let mut collector = dynomite_core::cluster::QuorumCollector::new(Consistency::DcOne, &[1]);
            let verdict = collector.record(0, failed).unwrap_or_else(|| collector.give_up());
            coordinator::verdict_reply(verdict)
        }
    }
}

/// The op on the applier: this node's datastore, or the peer's link without a hint (sent at most once).
fn start_applier(
    node: &Arc<NodeShared>,
    target: NodeId,
    spec: &'static CommandSpec,
    args: &[Bytes],
    protocol: Protocol,
    token: u32,
) -> Started {
    if target == node.topology.local().id {
        let reply = coordinator::start_local(node, spec, args, protocol, token);
        return Started::Datastore(reply, node.clock.now_us());
    }
    match node.peer(target) {
        Some(link) => {
            let request = PeerRequest::Execute { protocol, args: args.to_vec() };
            Started::Peer(target, link.call(request, token, node.timeout_ms()), node.clock.now_us())
        }
        None => Started::Forward(Box::pin(std::future::ready(ReplicaResult::Failed(
            ReplicaFailure::PeerNotConnected,
        )))),
    }
}

/// True when `target` can take the op now: this node, or a peer whose link is up and not marked down
/// (by ejection, the admin or gossip).
fn usable(node: &NodeShared, target: NodeId) -> bool {
    if target == node.topology.local().id {
        return true;
    }
    node.peer(target).is_some_and(|link| {
        let health = link.health();
        health.is_connected() && !health.is_gossip_down() && !link.is_down()
    })
}

/// The client's error for an op whose applier failed, reported as the plan's decision.
fn decided(node: &NodeShared, plan: &Plan, origin: Origin, failed: ReplicaResult) -> Reply {
    let mut collector = plan.collector();
    let verdict = collector.record(0, failed).unwrap_or_else(|| collector.give_up());
    if plan.consistency != Consistency::DcOne {
        node.metrics.count_quorum_failure();
    }
    report(node, plan, origin, Vec::new(), false);
    coordinator::verdict_reply(verdict)
}

/// Reports the op's decision (the replicas that acknowledged it, and whether it succeeded).
fn report(node: &NodeShared, plan: &Plan, origin: Origin, acknowledgements: Vec<NodeId>, ok: bool) {
    coordinator::report_decision(
        node,
        plan,
        origin.access,
        origin.tag,
        origin.timestamp,
        acknowledgements,
        ok,
    );
}

fn fail(node: &Arc<NodeShared>, plan: Plan, origin: Origin, failed: ReplicaResult) -> Routed {
    let reply = decided(node, &plan, origin, failed);
    Routed::Later(Box::pin(std::future::ready(reply)))
}
