//! The coordinator: turns one client request into replica requests and one reply.
//!
//! For a key, the owner in every rack of the local datacenter holds a replica (the topology's ring),
//! and each remote datacenter gets one forward whose receiver coordinates there. Which replicas are
//! asked, and how their answers become the client's reply, follows the consistency level:
//!
//! | access | DC_ONE | DC_QUORUM / DC_SAFE_QUORUM | DC_EACH_SAFE_QUORUM |
//! |---|---|---|---|
//! | read | local rack owner | every local rack, quorum of replies (SAFE: identical) | every rack of every DC, safe quorum in each |
//! | write | every rack + remote DCs; answer after the local rack owner | same targets; answer after a quorum of the local DC | same targets; safe quorum in each DC |
//!
//! Multi-key commands (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH) are split into fragments whose keys share
//! their replicas, each fragment is replicated and quorum-checked like a single-key request, and the
//! fragment replies are merged in key order. KEYS, SCAN and DBSIZE cover every node of the local rack
//! (one full copy of the data); SCRIPT LOAD/FLUSH/EXISTS and FLUSHALL go to every node.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dynomite_core::cluster::{
    merge_multi_key, quorum_size, split_multi_key, ClusterCursor, QuorumCollector, ReplicaFailure,
    ReplicaResult, Verdict,
};
use dynomite_core::command::{Access, CommandSpec, Routing};
use dynomite_core::config::Consistency;
use dynomite_core::resp::{self, Frame, Protocol};
use dynomite_core::ring::NodeId;
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::datastore::{DatastoreError, DatastoreReply};
use crate::node::{Decision, InjectedBug, NodeShared};
use crate::peer::PeerRequest;

/// A remote datacenter's coordinator waits for its own replicas, so its forward gets this many times
/// the local `timeout`.
const REMOTE_DATACENTER_TIMEOUT_FACTOR: u64 = 3;

/// A reply on its way to the client.
pub enum Reply {
    /// A value to encode in the client's protocol.
    Frame(Frame),
    /// Bytes already in the client's protocol (a datastore or replica reply).
    Raw(Bytes),
}

/// A reply computed later.
pub type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// The consistency levels one request runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    /// For reads.
    pub read: Consistency,
    /// For writes.
    pub write: Consistency,
}

/// Either an immediate datastore reply (the single-replica fast path) or a reply computed later.
pub enum Routed {
    /// The local datastore answers and nothing else is involved.
    Local(DatastoreReply),
    /// Replicas or fragments are involved.
    Later(ReplyFuture),
}

/// Routes one request that the proxy does not answer itself.
pub fn route(
    node: &Arc<NodeShared>,
    spec: &'static CommandSpec,
    args: Vec<Bytes>,
    protocol: Protocol,
    levels: Levels,
) -> Routed {
    if node.topology.nodes().len() == 1 {
        return Routed::Local(node.datastore.call(&args, protocol));
    }
    let access = spec.request_access(&args);
    let consistency = if access == Access::Write { levels.write } else { levels.read };
    match spec.request_routing(&args) {
        Routing::SingleKey | Routing::SameNode => {
            route_by_keys(node, spec, args, protocol, access, consistency)
        }
        Routing::MultiKeySplit => {
            Routed::Later(Box::pin(multi_key(node.clone(), spec, args, protocol, access, consistency)))
        }
        Routing::ClusterWide => Routed::Later(Box::pin(cluster_wide(node.clone(), spec, args, protocol))),
        Routing::Broadcast => Routed::Later(Box::pin(broadcast(node.clone(), spec, args, protocol))),
        Routing::LocalDatastore | Routing::Proxy | Routing::Unsupported(_) => {
            Routed::Local(node.datastore.call(&args, protocol))
        }
    }
}

/// Single-key commands and commands whose keys must share one owner (EVAL, RENAME, *STORE, ...).
fn route_by_keys(
    node: &Arc<NodeShared>,
    spec: &'static CommandSpec,
    args: Vec<Bytes>,
    protocol: Protocol,
    access: Access,
    consistency: Consistency,
) -> Routed {
    let key_indexes = match spec.key_indexes(&args) {
        Ok(indexes) => indexes,
        Err(error) => return Routed::Local(DatastoreReply::Ready(error.to_frame())),
    };
    let Some(&first) = key_indexes.first() else {
        // EVAL with numkeys 0 and friends: no key to place; the local datastore runs it.
        return Routed::Local(node.datastore.call(&args, protocol));
    };
    let token = node.token_of(&args[first]);
    let replicas = node.topology.replicas_in_datacenter(&node.topology.local().datacenter, token);
    for &index in &key_indexes[1..] {
        let other = node
            .topology
            .replicas_in_datacenter(&node.topology.local().datacenter, node.token_of(&args[index]));
        if other != replicas {
            let text = if spec.name.starts_with("EVAL") || spec.name.starts_with("FCALL") {
                "ERR Dynomite: Keys in the script cannot span multiple nodes"
            } else {
                "ERR Dynomite: Keys in the command cannot span multiple nodes"
            };
            return Routed::Local(DatastoreReply::Ready(Frame::error(text)));
        }
    }
    let local = node.topology.local().id;
    let single_local_replica = replicas.first() == Some(&local)
        && ((access != Access::Write && consistency == Consistency::DcOne)
            || (replicas.len() == 1 && node.topology.datacenters().len() == 1));
    if single_local_replica {
        return Routed::Local(node.datastore.call(&args, protocol));
    }
    let node = node.clone();
    Routed::Later(Box::pin(async move {
        match replicate(node, token, args, protocol, access, consistency).await {
            Verdict::Reply(bytes) => Reply::Raw(bytes),
            Verdict::Error(text) => Reply::Frame(Frame::Error(text)),
        }
    }))
}

/// Sends one key's request to its replicas and decides the reply at `consistency`.
pub async fn replicate(
    node: Arc<NodeShared>,
    token: u32,
    args: Vec<Bytes>,
    protocol: Protocol,
    access: Access,
    consistency: Consistency,
) -> Verdict {
    let topology = &node.topology;
    let local_dc = topology.local().datacenter.clone();
    let replicas = topology.replicas_in_datacenter(&local_dc, token);
    let remote_dcs: Vec<String> =
        topology.datacenters().iter().map(|dc| dc.name.clone()).filter(|name| *name != local_dc).collect();
    let is_write = access == Access::Write;
    let asks_remote = is_write || consistency == Consistency::DcEachSafeQuorum;
    // Which results decide: DC_ONE → only the local rack owner's; otherwise the local DC; EACH → every DC.
    let local_group_size = if consistency == Consistency::DcOne { 1 } else { replicas.len() };
    let mut groups = vec![local_group_size];
    if consistency == Consistency::DcEachSafeQuorum {
        groups.extend(remote_dcs.iter().map(|_| 1));
    }
    let mut collector = QuorumCollector::new(consistency, &groups);
    let mut calls = FuturesUnordered::new();
    let read_targets = if consistency == Consistency::DcOne && !is_write { 1 } else { replicas.len() };
    for (rack_index, &replica) in replicas.iter().take(read_targets).enumerate() {
        let decides = rack_index < local_group_size;
        let request = PeerRequest::Execute { protocol, args: args.clone() };
        calls.push(tagged(
            decides.then_some(0),
            replica,
            call_node(&node, replica, request, node.timeout_ms()),
        ));
    }
    if asks_remote {
        let remote_consistency = if consistency == Consistency::DcEachSafeQuorum {
            Consistency::DcSafeQuorum
        } else {
            Consistency::DcOne
        };
        for (dc_index, dc) in remote_dcs.iter().enumerate() {
            let entry = topology.remote_datacenter_entry(dc, token);
            let request =
                PeerRequest::Coordinate { protocol, consistency: remote_consistency, args: args.clone() };
            let group = (consistency == Consistency::DcEachSafeQuorum).then_some(dc_index + 1);
            let timeout_ms = node.timeout_ms() * REMOTE_DATACENTER_TIMEOUT_FACTOR;
            calls.push(tagged(group, entry, call_node(&node, entry, request, timeout_ms)));
        }
    }
    let mut acknowledgements: Vec<NodeId> = Vec::new();
    let quorum = quorum_size(local_group_size);
    let mut first_local_reply: Option<Bytes> = None;
    let verdict = loop {
        let Some((group, target, result)) = calls.next().await else { break collector.give_up() };
        let Some(group) = group else { continue };
        if group == 0 {
            if let ReplicaResult::Reply(bytes) = &result {
                acknowledgements.push(target);
                first_local_reply.get_or_insert_with(|| bytes.clone());
            }
        }
        if let Some(verdict) = collector.record(group, result) {
            // Remaining calls are dropped; their requests were already sent (replication continues).
            break verdict;
        }
        if node.injected_bug == Some(InjectedBug::QuorumOneShort)
            && consistency != Consistency::DcOne
            && acknowledgements.len() + 1 >= quorum
        {
            if let Some(reply) = first_local_reply.clone() {
                break Verdict::Reply(reply); // deliberately wrong: one acknowledgement short of quorum
            }
        }
    };
    if let Some(observer) = &node.observer {
        observer(Decision {
            node: node.topology.local().id,
            consistency,
            access,
            replicas: local_group_size,
            acknowledgements,
            succeeded: verdict.is_reply(),
        });
    }
    verdict
}

async fn tagged(
    group: Option<usize>,
    target: NodeId,
    call: impl Future<Output = ReplicaResult>,
) -> (Option<usize>, NodeId, ReplicaResult) {
    (group, target, call.await)
}

/// Runs `request` on node `target`: the local datastore, or a peer over its link, within `timeout_ms`.
pub fn call_node(
    node: &Arc<NodeShared>,
    target: NodeId,
    request: PeerRequest,
    timeout_ms: u64,
) -> Pin<Box<dyn Future<Output = ReplicaResult> + Send>> {
    if target == node.topology.local().id {
        return match request {
            PeerRequest::Execute { protocol, args } => {
                let reply = node.datastore.call(&args, protocol);
                Box::pin(datastore_result(reply, protocol, timeout_ms))
            }
            PeerRequest::Coordinate { protocol, consistency, args } => {
                Box::pin(coordinate_in_local_datacenter(node.clone(), args, protocol, consistency))
            }
        };
    }
    let Some(link) = node.peer(target) else {
        return Box::pin(async { ReplicaResult::Failed(ReplicaFailure::PeerNotConnected) });
    };
    let one_way_delay = node
        .peer_latency
        .as_ref()
        .map(|latency| latency(node.topology.local(), node.topology.node(target)))
        .unwrap_or_default();
    if one_way_delay.is_zero() {
        let receiver = link.call(request);
        return Box::pin(async move { await_peer(receiver, timeout_ms).await });
    }
    // Simulated link latency: the request travels `one_way_delay`, and so does its reply. A task of its
    // own carries it, so the request is still sent when the caller stops waiting (a DC_ONE write answers
    // after the local replica, yet every replica must get the write).
    let node = node.clone();
    let (result_sender, result_receiver) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        tokio::time::sleep(one_way_delay).await;
        let result = match node.peer(target) {
            Some(link) => await_peer(link.call(request), timeout_ms).await,
            None => ReplicaResult::Failed(ReplicaFailure::PeerNotConnected),
        };
        tokio::time::sleep(one_way_delay).await;
        let _ = result_sender.send(result);
    });
    Box::pin(async move {
        result_receiver.await.unwrap_or(ReplicaResult::Failed(ReplicaFailure::PeerNotConnected))
    })
}

async fn await_peer(
    receiver: tokio::sync::oneshot::Receiver<ReplicaResult>,
    timeout_ms: u64,
) -> ReplicaResult {
    match tokio::time::timeout(Duration::from_millis(timeout_ms), receiver).await {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => ReplicaResult::Failed(ReplicaFailure::PeerNotConnected),
        Err(_) => ReplicaResult::Failed(ReplicaFailure::Timeout),
    }
}

/// A local datastore reply as a replica result (bytes in `protocol`).
pub async fn datastore_result(reply: DatastoreReply, protocol: Protocol, timeout_ms: u64) -> ReplicaResult {
    let result = match reply {
        DatastoreReply::Ready(frame) => Ok(frame.to_bytes(protocol)),
        DatastoreReply::Waiting(receiver) => {
            match tokio::time::timeout(Duration::from_millis(timeout_ms), receiver).await {
                Ok(Ok(result)) => result,
                Ok(Err(_)) => Err(DatastoreError::ConnectionLost),
                Err(_) => Err(DatastoreError::Timeout { timeout_ms }),
            }
        }
    };
    match result {
        Ok(bytes) => ReplicaResult::Reply(bytes),
        Err(error) => ReplicaResult::Failed(ReplicaFailure::Datastore(error.to_string())),
    }
}

/// A remote coordinator's request (`ForwardToDatacenter`): write to / read from the racks of this
/// node's datacenter at `consistency`, never forwarding further.
pub async fn coordinate_in_local_datacenter(
    node: Arc<NodeShared>,
    args: Vec<Bytes>,
    protocol: Protocol,
    consistency: Consistency,
) -> ReplicaResult {
    let Ok(spec) = dynomite_core::command::resolve(&args) else {
        let reply = Frame::error("ERR Dynomite: unknown command in a datacenter forward");
        return ReplicaResult::Reply(reply.to_bytes(protocol));
    };
    let key_indexes = spec.key_indexes(&args).unwrap_or_default();
    let Some(&first) = key_indexes.first() else {
        return datastore_result(node.datastore.call(&args, protocol), protocol, node.timeout_ms()).await;
    };
    let token = node.token_of(&args[first]);
    let replicas = node.topology.replicas_in_datacenter(&node.topology.local().datacenter, token);
    let access = spec.request_access(&args);
    let group_size = if consistency == Consistency::DcOne { 1 } else { replicas.len() };
    let targets = if access == Access::Write { replicas.len() } else { group_size };
    let mut collector = QuorumCollector::new(consistency, &[group_size]);
    let mut calls = FuturesUnordered::new();
    for (rack_index, &replica) in replicas.iter().take(targets).enumerate() {
        let request = PeerRequest::Execute { protocol, args: args.clone() };
        calls.push(tagged(
            (rack_index < group_size).then_some(0),
            replica,
            call_node(&node, replica, request, node.timeout_ms()),
        ));
    }
    while let Some((group, _target, result)) = calls.next().await {
        if let Some(group) = group {
            if let Some(verdict) = collector.record(group, result) {
                return verdict_to_result(verdict);
            }
        }
    }
    verdict_to_result(collector.give_up())
}

fn verdict_to_result(verdict: Verdict) -> ReplicaResult {
    match verdict {
        Verdict::Reply(bytes) => ReplicaResult::Reply(bytes),
        // The datacenter did not reach its level: a failure for the coordinator's quorum of datacenters,
        // not a reply that could agree with other replies.
        Verdict::Error(text) => {
            ReplicaResult::Failed(ReplicaFailure::Datacenter(String::from_utf8_lossy(&text).into_owned()))
        }
    }
}

/// MGET/MSET/DEL/UNLINK/EXISTS/TOUCH: fragments by replica set, each replicated, merged in key order.
async fn multi_key(
    node: Arc<NodeShared>,
    spec: &'static CommandSpec,
    args: Vec<Bytes>,
    protocol: Protocol,
    access: Access,
    consistency: Consistency,
) -> Reply {
    let local_dc = node.topology.local().datacenter.clone();
    // Keys share a fragment only when they share the owner in every rack of the local DC.
    let mut replica_sets: Vec<Vec<NodeId>> = Vec::new();
    let owner_of = |key: &[u8]| {
        let replicas = node.topology.replicas_in_datacenter(&local_dc, node.token_of(key));
        match replica_sets.iter().position(|known| *known == replicas) {
            Some(index) => index,
            None => {
                replica_sets.push(replicas);
                replica_sets.len() - 1
            }
        }
    };
    let owner_of = std::cell::RefCell::new(owner_of);
    let fragments = match split_multi_key(spec.name, &args[1..], |key| (owner_of.borrow_mut())(key)) {
        Ok(fragments) => fragments,
        Err(error) => return Reply::Frame(Frame::error(format!("ERR Dynomite: {error}"))),
    };
    let key_count = fragments.iter().map(|fragment| fragment.key_slots.len()).sum();
    let mut calls = FuturesUnordered::new();
    for (index, fragment) in fragments.iter().enumerate() {
        let first_key = fragment.args.get(1).cloned().unwrap_or_default();
        let token = node.token_of(&first_key);
        let call = replicate(node.clone(), token, fragment.args.clone(), protocol, access, consistency);
        calls.push(async move { (index, call.await) });
    }
    let mut replies: Vec<Option<Frame>> = vec![None; fragments.len()];
    while let Some((index, verdict)) = calls.next().await {
        let frame = match verdict {
            Verdict::Reply(bytes) => {
                resp::parse_frame(&bytes).unwrap_or_else(|error| Frame::error(format!("ERR {error}")))
            }
            Verdict::Error(text) => Frame::Error(text),
        };
        replies[index] = Some(frame);
    }
    let merged: Vec<_> = fragments
        .into_iter()
        .zip(replies)
        .map(|(fragment, frame)| (fragment, frame.unwrap_or(Frame::Null)))
        .collect();
    Reply::Frame(merge_multi_key(spec.name, key_count, &merged))
}

/// KEYS, SCAN, DBSIZE, RANDOMKEY over every node of the local rack.
async fn cluster_wide(
    node: Arc<NodeShared>,
    spec: &'static CommandSpec,
    args: Vec<Bytes>,
    protocol: Protocol,
) -> Reply {
    let rack_nodes = node.topology.local_rack_nodes();
    match spec.name {
        "SCAN" => scan(node, rack_nodes, args, protocol).await,
        "DBSIZE" | "KEYS" => {
            let results = ask_all(&node, &rack_nodes, &args, protocol).await;
            let mut total: i64 = 0;
            let mut keys = Vec::new();
            for result in results {
                match result {
                    Frame::Integer(count) => total += count,
                    Frame::Array(items) | Frame::Set(items) => keys.extend(items),
                    error @ (Frame::Error(_) | Frame::BlobError(_)) => return Reply::Frame(error),
                    other => {
                        return Reply::Frame(Frame::error(format!(
                            "ERR Dynomite: unexpected reply {other:?}"
                        )))
                    }
                }
            }
            Reply::Frame(if spec.name == "DBSIZE" { Frame::Integer(total) } else { Frame::Array(keys) })
        }
        "RANDOMKEY" => random_key(node, rack_nodes, args, protocol).await,
        _ => Reply::Raw(datastore_bytes(&node, &args, protocol).await),
    }
}

/// RANDOMKEY over the rack: the nodes are asked in turn, starting at a rotating position, and the first
/// key any of them returns is the answer (nil only when the whole rack is empty).
async fn random_key(
    node: Arc<NodeShared>,
    rack_nodes: Vec<NodeId>,
    args: Vec<Bytes>,
    protocol: Protocol,
) -> Reply {
    let start = node.stats.requests.load(std::sync::atomic::Ordering::Relaxed) as usize;
    let mut last = Frame::Null;
    for offset in 0..rack_nodes.len() {
        let target = rack_nodes[(start + offset) % rack_nodes.len()];
        let request = PeerRequest::Execute { protocol, args: args.clone() };
        match call_node(&node, target, request, node.timeout_ms()).await {
            ReplicaResult::Reply(bytes) => match resp::parse_frame(&bytes) {
                Ok(Frame::Null) => {}
                Ok(_) => return Reply::Raw(bytes),
                Err(error) => last = Frame::error(format!("ERR {error}")),
            },
            ReplicaResult::Failed(failure) => last = Frame::error(failure.error_text()),
        }
    }
    Reply::Frame(last)
}

/// SCAN with a composite cursor: which node of the local rack, and that node's own cursor.
async fn scan(
    node: Arc<NodeShared>,
    rack_nodes: Vec<NodeId>,
    mut args: Vec<Bytes>,
    protocol: Protocol,
) -> Reply {
    let cursor = match ClusterCursor::decode(&args[1], rack_nodes.len()) {
        Ok(cursor) => cursor,
        Err(_) => return Reply::Frame(Frame::error("ERR invalid cursor")),
    };
    args[1] = Bytes::from(cursor.node_cursor.to_string());
    let target = rack_nodes[cursor.node_index];
    let result = call_node(&node, target, PeerRequest::Execute { protocol, args }, node.timeout_ms()).await;
    let frame = match result {
        ReplicaResult::Reply(bytes) => match resp::parse_frame(&bytes) {
            Ok(frame) => frame,
            Err(error) => return Reply::Frame(Frame::error(format!("ERR {error}"))),
        },
        ReplicaResult::Failed(failure) => return Reply::Frame(Frame::error(failure.error_text())),
    };
    let Frame::Array(mut parts) = frame else { return Reply::Frame(frame) };
    if parts.len() != 2 {
        return Reply::Frame(Frame::Array(parts));
    }
    let node_next: u64 = match &parts[0] {
        Frame::Bulk(text) => std::str::from_utf8(text).ok().and_then(|text| text.parse().ok()).unwrap_or(0),
        _ => 0,
    };
    let Ok(next) = cursor.next_client_cursor(node_next, rack_nodes.len()) else {
        return Reply::Frame(Frame::error(
            "ERR Dynomite: a node's SCAN cursor does not fit the cluster cursor",
        ));
    };
    parts[0] = Frame::Bulk(Bytes::from(next.to_string()));
    Reply::Frame(Frame::Array(parts))
}

/// SCRIPT LOAD/FLUSH/EXISTS, FLUSHALL/FLUSHDB, FUNCTION ...: every node of the cluster. The reply is
/// the local node's when every node agrees, else the first disagreeing or failed node's error.
async fn broadcast(
    node: Arc<NodeShared>,
    spec: &'static CommandSpec,
    args: Vec<Bytes>,
    protocol: Protocol,
) -> Reply {
    let all: Vec<NodeId> = node.topology.nodes().iter().map(|peer| peer.id).collect();
    let mut calls = FuturesUnordered::new();
    for &target in &all {
        let request = PeerRequest::Execute { protocol, args: args.clone() };
        calls.push(call_node(&node, target, request, node.timeout_ms()));
    }
    let mut replies = Vec::new();
    while let Some(result) = calls.next().await {
        match result {
            ReplicaResult::Reply(bytes) => replies.push(bytes),
            ReplicaResult::Failed(failure) => {
                return Reply::Frame(Frame::error(format!(
                    "{} (during {} on every node)",
                    failure.error_text(),
                    spec.name.replace('|', " ")
                )))
            }
        }
    }
    let first = replies[0].clone();
    if spec.name == "SCRIPT|EXISTS" {
        return Reply::Frame(script_exists_and(&replies));
    }
    if replies.iter().all(|reply| *reply == first) {
        Reply::Raw(first)
    } else {
        Reply::Frame(Frame::error(
            "ERR Dynomite: nodes answered differently; the command was applied on every reachable node",
        ))
    }
}

/// SCRIPT EXISTS over nodes: a script exists only if it exists everywhere.
fn script_exists_and(replies: &[Bytes]) -> Frame {
    let mut combined: Option<Vec<i64>> = None;
    for reply in replies {
        let Ok(Frame::Array(items)) = resp::parse_frame(reply) else {
            return Frame::error("ERR Dynomite: bad SCRIPT EXISTS reply");
        };
        let flags: Vec<i64> =
            items.iter().map(|item| if let Frame::Integer(value) = item { *value } else { 0 }).collect();
        combined = Some(match combined {
            None => flags,
            Some(previous) => previous.iter().zip(flags).map(|(a, b)| a.min(&b).to_owned()).collect(),
        });
    }
    Frame::Array(combined.unwrap_or_default().into_iter().map(Frame::Integer).collect())
}

/// The same request on each node, replies parsed, in node order.
async fn ask_all(
    node: &Arc<NodeShared>,
    targets: &[NodeId],
    args: &[Bytes],
    protocol: Protocol,
) -> Vec<Frame> {
    let mut results = Vec::with_capacity(targets.len());
    for &target in targets {
        let request = PeerRequest::Execute { protocol, args: args.to_vec() };
        let frame = match call_node(node, target, request, node.timeout_ms()).await {
            ReplicaResult::Reply(bytes) => {
                resp::parse_frame(&bytes).unwrap_or_else(|error| Frame::error(format!("ERR {error}")))
            }
            ReplicaResult::Failed(failure) => Frame::error(failure.error_text()),
        };
        results.push(frame);
    }
    results
}

async fn datastore_bytes(node: &Arc<NodeShared>, args: &[Bytes], protocol: Protocol) -> Bytes {
    match datastore_result(node.datastore.call(args, protocol), protocol, node.timeout_ms()).await {
        ReplicaResult::Reply(bytes) => bytes,
        ReplicaResult::Failed(failure) => Frame::error(failure.error_text()).to_bytes(protocol),
    }
}
