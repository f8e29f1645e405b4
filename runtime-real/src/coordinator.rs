//! The coordinator: executes the plan of one client request and collects its replies into one reply.
//!
//! **Order is the contract.** Everything a request does to replicas is *enqueued* synchronously while
//! [`route`] runs, before the connection's next request is looked at: the local datastore request goes
//! on the pooled connection of its key's token, every peer request on the link connection of that
//! token, every remote-datacenter forward on the entry's link. Only waiting for the replies is
//! asynchronous (the returned [`ReplyFuture`], resolved by the client's writer in request order). So a
//! connection's requests take effect on every replica in the order they were sent, at every level and
//! pipeline depth; the peer server and the remote-datacenter receiver ([`forward`]) keep arrival order
//! the same way.
//!
//! Which nodes a key's request goes to, and whose answers decide, is the pure planner's answer
//! ([`dynomite_core::cluster::plan`], whose docs table the rules per access class and level); this
//! module only executes plans:
//! - single-key and same-node requests (EVAL, RENAME, *STORE): one plan;
//! - multi-key requests (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH): split into fragments whose keys share
//!   their replicas, one plan per fragment (every fragment enqueued at dispatch), merged in key order;
//! - KEYS, SCAN, DBSIZE, RANDOMKEY over the nodes of the local rack (one full copy of the data);
//! - SCRIPT LOAD/FLUSH/EXISTS, FLUSHALL, FUNCTION ...: every node.
//!
//! At the quorum levels, replies of commands whose output order is not defined (SMEMBERS, HGETALL, ...)
//! are put in one canonical order before they are compared ([`canonical_reply`]).
//!
//! **CRDT mode** (`crdt_enabled`, [`crate::crdt`]). A client write takes one HLC timestamp at dispatch
//! and each of its fragments is rewritten into its CRDT script's `EVALSHA` right before it is planned
//! and enqueued, so the rewritten request follows exactly the path (and order) the write would have
//! taken. A remote datacenter's entry node ([`forward`]) never rewrites: it relays the coordinator's
//! `EVALSHA` and observes its timestamp. A multi-key write's fragment becomes one script call that a
//! remote entry executes whole, so with several datacenters its keys must share their owners in every
//! datacenter, not only in the coordinator's (the split groups them so). Quorum reads of one key go through read repair
//! ([`crate::read_repair`]) when it is switched on. KEYS, SCAN and RANDOMKEY hide the reserved `_dyn:`
//! metadata keys (RANDOMKEY asks a node again when it picks one, then walks that node with SCAN; DBSIZE
//! counts them).
//!
//! **Pools above one connection** (`datastore_connections`, `local_peer_connections`,
//! `remote_peer_connections` > 1). Every pool picks a request's connection by its first key's *order
//! shard* (token modulo 64, then modulo the pool size: [`dynomite_core::request::pool_slot`]), here, on
//! the peer links and on the replica that executes it. A multi-key request is therefore split further:
//! a fragment's keys share their replica set *and* their order group ([`OrderSplit`], the shard modulo
//! the least common multiple of this node's three pool sizes), so each fragment travels on one pooled
//! connection at every hop and a later `GET b` cannot overtake `MSET a 1 b 2`. Merging stays in key
//! order (MSET answers OK only when every fragment did, DEL sums). With every pool at one connection
//! (the default) fragments are split by replica set only, as before.
//!
//! What the nodes must share: the split is chosen by the coordinating node (and a remote datacenter's
//! entry) from its *own* pool sizes, while each replica picks its datastore connection from its own
//! `datastore_connections`. Order holds when every pool size in the cluster divides the coordinating
//! node's least common multiple (or that multiple reaches 64) — in particular when all nodes share
//! their pool sizes (homogeneous configs keep order). A node with every pool at one connection does
//! not split, so it must not coordinate for replicas whose `datastore_connections` is above one.
//!
//! Limits left with pools above one connection: key-less requests (SCAN, KEYS, DBSIZE, INFO,
//! FLUSHALL, ...) take shard 0, and same-node multi-key commands (EVAL, RENAME, SMOVE, *STORE, ...)
//! travel whole on their *first* key's shard; their other keys may take another connection than
//! earlier single-key requests of the same client connection, which they may then overtake (or be
//! overtaken by). Hash tags (`hash_tag`) put such keys on one token, hence one shard and one
//! connection. With one connection per pool every request of a client connection stays in order.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dynomite_core::cluster::plan::{self, Action, Plan, PlanRequest, Role};
use dynomite_core::cluster::{
    canonical_reply, merge_multi_key, split_multi_key, ClusterCursor, ReplicaFailure, ReplicaResult, Verdict,
};
use dynomite_core::command::{Access, CommandSpec, ReplyOrder};
use dynomite_core::config::Consistency;
use dynomite_core::request::{BroadcastKind, ClusterWideKind, KeyHasher, Kind, OrderSplit, Request};
use dynomite_core::resp::{self, Frame, Protocol};
use dynomite_core::ring::NodeId;
use futures_util::stream::{FuturesUnordered, StreamExt};

use crate::crdt::Stamp;
use crate::datastore::{DatastoreError, DatastoreReply};
use crate::metrics::CallPlace;
use crate::node::{Decision, NodeShared};
use crate::peer::link::PeerCall;
use crate::peer::PeerRequest;

/// A remote datacenter's coordinator waits for its own replicas, so its forward gets this many times
/// the local `timeout`.
const REMOTE_DATACENTER_TIMEOUT_FACTOR: u64 = 3;
/// CRDT mode: how many times one node is asked RANDOMKEY again when it answers a reserved `_dyn:` key.
const RANDOMKEY_RESERVED_RETRIES_MAX: usize = 8;
/// CRDT mode: SCAN pages (of up to 1000 keys) RANDOMKEY walks on a node whose random picks were all
/// reserved keys, looking for a visible one.
const RANDOMKEY_SCAN_PAGES_MAX: usize = 64;

/// A reply on its way to the client.
pub enum Reply {
    /// A value to encode in the client's protocol.
    Frame(Frame),
    /// Bytes already in the client's protocol (a datastore or replica reply).
    Raw(Bytes),
}

/// A reply computed later.
pub type ReplyFuture = Pin<Box<dyn Future<Output = Reply> + Send>>;

/// A replica-side result computed later (a datacenter forward).
pub type ResultFuture = Pin<Box<dyn Future<Output = ReplicaResult> + Send>>;

/// The consistency levels one request runs at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Levels {
    /// For reads.
    pub read: Consistency,
    /// For writes.
    pub write: Consistency,
}

/// Which client request this is: reported with every decision, so the simulator attributes decisions
/// to operations by tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RequestTag {
    /// The client connection's id (`CLIENT ID`).
    pub connection_id: u64,
    /// 1-based count of the requests parsed on that connection, this one included.
    pub request_sequence: u64,
}

/// Either an immediate datastore reply (nothing but a datastore reply to wait for) or a reply
/// computed later.
pub enum Routed {
    /// The local datastore's reply is the answer.
    Local(DatastoreReply),
    /// Replicas or fragments are involved.
    Later(ReplyFuture),
    /// Like `Later`, and the connection dispatches nothing more until this reply is written: a counter
    /// op whose join is sent only once its applier answered ([`crate::counter`]).
    Barrier(ReplyFuture),
}

/// Routes one request the proxy does not answer itself. Everything is enqueued before this returns.
pub fn route(
    node: &Arc<NodeShared>,
    request: Request,
    protocol: Protocol,
    levels: Levels,
    tag: RequestTag,
) -> Routed {
    let consistency = if request.access == Access::Write { levels.write } else { levels.read };
    // CRDT mode: one timestamp per client write, shared by its fragments.
    let stamp = match (&node.crdt, request.access) {
        (Some(crdt), Access::Write) => Some(Stamp::new(crdt, node.clock.now_ms())),
        _ => None,
    };
    if node.topology.nodes().len() == 1 {
        if request.kind == Kind::MultiKey && order_split(node).is_needed() {
            // One node, but a datastore pool: the keys may need different pooled connections.
            return multi_key(node, request, protocol, consistency, Role::Client, tag, stamp);
        }
        if let (Kind::ClusterWide(kind), Some(_)) = (request.kind, &node.crdt) {
            return cluster_wide(node, kind, request, protocol); // hides the reserved keys
        }
        let shard = request.shard();
        let args = match stamp {
            Some(mut stamp) => stamp.rewrite(request.args),
            None => request.args,
        };
        let reply = node.datastore.call(&args, protocol, shard);
        if dynomite_core::crdt::counter::CounterOp::of(&args).is_some() {
            // One node: it is the only replica, so the applier; its answer carries the component.
            let timeout_ms = node.timeout_ms();
            return Routed::Later(Box::pin(async move {
                crate::counter::applier_reply(datastore_result(reply, protocol, timeout_ms).await)
            }));
        }
        return Routed::Local(reply);
    }
    match request.kind {
        Kind::SingleKey | Kind::SameNode(_) => {
            route_by_keys(node, request, protocol, levels, consistency, tag, stamp)
        }
        Kind::MultiKey => multi_key(node, request, protocol, consistency, Role::Client, tag, stamp),
        Kind::ClusterWide(kind) => cluster_wide(node, kind, request, protocol),
        Kind::Broadcast(kind) => broadcast(node, kind, request, protocol),
        Kind::LocalDatastore | Kind::Proxy => {
            Routed::Local(node.datastore.call(&request.args, protocol, request.shard()))
        }
    }
}

/// A remote datacenter's forward (`ForwardToDatacenter`), received by this node as the datacenter's
/// entry: planned with [`Role::DatacenterEntry`] (every rack of this datacenter for writes, the racks
/// the level needs for reads, never forwarded further) and enqueued before this returns, so forwards
/// keep their arrival order. Forwarded decisions are not reported to the observer.
pub fn forward(
    node: &Arc<NodeShared>,
    args: Vec<Bytes>,
    protocol: Protocol,
    consistency: Consistency,
) -> ResultFuture {
    match Request::resolve(args, &key_hasher(node)) {
        Ok(request) => forward_request(node, request, protocol, consistency),
        Err(error) => Box::pin(std::future::ready(ReplicaResult::Reply(error.to_frame().to_bytes(protocol)))),
    }
}

/// [`forward`] for a request the receiver has resolved already.
pub fn forward_request(
    node: &Arc<NodeShared>,
    request: Request,
    protocol: Protocol,
    consistency: Consistency,
) -> ResultFuture {
    let tag = RequestTag::default();
    if let Some(crdt) = &node.crdt {
        // The coordinator stamped the write; this entry relays it as it is and only observes its time.
        crdt.observe_request(&request.args, node.clock.now_ms());
    }
    let routed = match (request.kind, request.token) {
        (Kind::SingleKey | Kind::SameNode(_), Some(token)) => {
            let plan = plan_for(node, &request, token, consistency, Role::DatacenterEntry);
            let origin = Origin::of(&request, tag);
            if crate::read_repair::applies(node, &plan, &request) {
                let repairing = crate::read_repair::route(node, plan, request, protocol, origin, token);
                return Box::pin(async move {
                    match repairing.await {
                        Reply::Raw(bytes) => ReplicaResult::Reply(bytes),
                        Reply::Frame(Frame::Error(text)) => verdict_to_result(Verdict::Error(text)),
                        Reply::Frame(frame) => ReplicaResult::Reply(frame.to_bytes(protocol)),
                    }
                });
            }
            let collecting = execute(node, plan, origin, request.args, protocol, token);
            return Box::pin(async move { verdict_to_result(collecting.await) });
        }
        (Kind::MultiKey, _) => {
            multi_key(node, request, protocol, consistency, Role::DatacenterEntry, tag, None)
        }
        _ => Routed::Local(node.datastore.call(&request.args, protocol, request.shard())),
    };
    let timeout_ms = node.timeout_ms();
    Box::pin(async move {
        match routed {
            Routed::Local(reply) => datastore_result(reply, protocol, timeout_ms).await,
            Routed::Later(future) | Routed::Barrier(future) => match future.await {
                Reply::Raw(bytes) => ReplicaResult::Reply(bytes),
                Reply::Frame(Frame::Error(text)) => verdict_to_result(Verdict::Error(text)),
                Reply::Frame(frame) => ReplicaResult::Reply(frame.to_bytes(protocol)),
            },
        }
    })
}

/// How this node hashes keys to tokens (`hash`, `hash_tag`), for [`Request::resolve`].
pub fn key_hasher(node: &NodeShared) -> KeyHasher {
    KeyHasher { algorithm: node.config.hash, tag: node.config.hash_tag }
}

fn plan_for(node: &NodeShared, request: &Request, token: u32, consistency: Consistency, role: Role) -> Plan {
    let access = request.access;
    let reply_order = request.reply_order;
    plan::plan(&node.topology, &PlanRequest { token, access, consistency, reply_order, role })
}

/// Single-key commands and commands whose keys must share one owner (EVAL, RENAME, *STORE, ...).
fn route_by_keys(
    node: &Arc<NodeShared>,
    mut request: Request,
    protocol: Protocol,
    levels: Levels,
    consistency: Consistency,
    tag: RequestTag,
    stamp: Option<Stamp<'_>>,
) -> Routed {
    let Some(token) = request.token else {
        // EVAL with numkeys 0 and friends: no key to place; the local datastore runs it.
        return Routed::Local(node.datastore.call(&request.args, protocol, 0));
    };
    if let Kind::SameNode(kind) = request.kind {
        if request.key_indexes.len() > 1 && !keys_share_replicas(node, &request) {
            return Routed::Local(DatastoreReply::Ready(Frame::error(kind.spanning_error())));
        }
    }
    let plan = plan_for(node, &request, token, consistency, Role::Client);
    let mut origin = Origin::of(&request, tag);
    if crate::read_repair::applies(node, &plan, &request) {
        return Routed::Later(crate::read_repair::route(node, plan, request, protocol, origin, token));
    }
    if let Some(mut stamp) = stamp {
        request.args = stamp.rewrite(request.args);
        origin.timestamp = stamp.timestamp();
        if dynomite_core::crdt::counter::CounterOp::of(&request.args).is_some() {
            let barrier = crate::counter::needs_barrier(node, &plan, levels.read);
            let routed = crate::counter::route(node, plan, origin, request.args, protocol, token);
            return match routed {
                Routed::Later(future) if barrier => Routed::Barrier(future),
                routed => routed,
            };
        }
    }
    let spec = request.spec;
    if dynomite_core::mutant!(LazyReplicatedSend) && plan.targets.len() > 1 {
        // Mutant LazyReplicatedSend: the replicas get the request only when the reply writer reaches it,
        // so a later local read on this connection overtakes it.
        let node = node.clone();
        return Routed::Later(Box::pin(async move {
            verdict_reply(execute(&node, plan, origin, request.args, protocol, token).await)
        }));
    }
    if local_only_decider(node, &plan) {
        // The fast path: the local datastore's reply is the answer (DC_ONE reads of a local key;
        // DC_ONE writes, whose other racks and datacenters are enqueued right after, fire-and-forget).
        let started_us = node.clock.now_us();
        let local = start_local(node, spec, &request.args, protocol, token);
        start_fire_and_forget(node, &plan, spec, &request.args, protocol, token);
        if node.observer.is_none() {
            return Routed::Local(local);
        }
        // An observer (the simulator's checkers) is told the decision. The requests are the ones
        // enqueued just above, as in production; only waiting for the one deciding reply reports it.
        let deciding = vec![(0, node.topology.local().id, Started::Datastore(local, started_us))];
        let collecting = collect(node.clone(), plan, origin, None, protocol, deciding);
        return Routed::Later(Box::pin(async move { verdict_reply(collecting.await) }));
    }
    let collecting = execute(node, plan, origin, request.args, protocol, token);
    Routed::Later(Box::pin(async move { verdict_reply(collecting.await) }))
}

/// True when every key of a same-node request has the first key's replicas in the local datacenter.
fn keys_share_replicas(node: &NodeShared, request: &Request) -> bool {
    let topology = &node.topology;
    let local_dc = &topology.local().datacenter;
    let replicas_of =
        |index: usize| topology.replicas_in_datacenter(local_dc, node.token_of(&request.args[index]));
    let first = replicas_of(request.key_indexes[0]);
    request.key_indexes[1..].iter().all(|&index| replicas_of(index) == first)
}

/// True when the plan's only deciding target is this node executing on its datastore and one reply
/// decides: then the datastore reply is the client's answer as it is.
fn local_only_decider(node: &NodeShared, plan: &Plan) -> bool {
    let [group] = plan.groups.as_slice() else { return false };
    if group.contacted != 1 || group.quorum != 1 {
        return false;
    }
    let Some(target) = plan.targets.iter().find(|target| target.group.is_some()) else { return false };
    target.node == node.topology.local().id && target.action == Action::Execute
}

/// Enqueues the plan's fire-and-forget targets (their results are not waited for).
fn start_fire_and_forget(
    node: &Arc<NodeShared>,
    plan: &Plan,
    spec: &'static CommandSpec,
    args: &[Bytes],
    protocol: Protocol,
    token: u32,
) {
    for target in plan.targets.iter().filter(|target| target.group.is_none()) {
        drop(start(node, target.node, target.action, spec, args, protocol, token));
    }
}

/// Enqueues an Execute on the local datastore, on the pooled connection of `token`.
pub(crate) fn start_local(
    node: &NodeShared,
    spec: &'static CommandSpec,
    args: &[Bytes],
    protocol: Protocol,
    token: u32,
) -> DatastoreReply {
    let reply = node.datastore.call(args, protocol, token);
    counter_applied_twice(node, spec, args, protocol, token);
    reply
}

/// Mutant CounterAppliedTwice: INCR/INCRBY/DECR/DECRBY also run a second time on this node's replica.
/// In CRDT mode the second run carries a newer timestamp (a retry stamped anew, which the scripts
/// cannot tell from another increment); a second run with the same timestamp would be absorbed.
fn counter_applied_twice(
    node: &NodeShared,
    spec: &'static CommandSpec,
    args: &[Bytes],
    protocol: Protocol,
    token: u32,
) {
    if dynomite_core::mutant!(CounterAppliedTwice)
        && matches!(spec.name, "INCR" | "INCRBY" | "DECR" | "DECRBY")
    {
        let mut again = args.to_vec();
        if let Some(stamp) = crate::crdt::timestamp_of(args) {
            let newer = dynomite_core::crdt::timestamp::Timestamp::new(
                stamp.physical_ms,
                stamp.logical.saturating_add(1),
                stamp.node,
            );
            if let Some(at) = again.iter().position(|arg| *arg == stamp.to_bytes()) {
                again[at] = newer.to_bytes();
            }
        }
        drop(node.datastore.call(&again, protocol, token));
    }
}

/// One target's request, already enqueued; only its result is awaited.
pub(crate) enum Started {
    /// On the local datastore, started at this time (µs, node clock).
    Datastore(DatastoreReply, u64),
    /// On a peer link, started at this time (µs, node clock).
    Peer(NodeId, PeerCall, u64),
    /// Coordinated here (a forward whose entry is this node).
    Forward(ResultFuture),
}

impl Started {
    /// The result, within `timeout_ms` (peer calls carry their own timeout). Answered calls go into
    /// the node's latency histograms (datastore, cross-rack, cross-datacenter).
    pub(crate) async fn result(
        self,
        node: &NodeShared,
        protocol: Protocol,
        timeout_ms: u64,
    ) -> ReplicaResult {
        match self {
            Started::Datastore(reply, started_us) => {
                let result = datastore_result(reply, protocol, timeout_ms).await;
                let latency_us = node.clock.now_us().saturating_sub(started_us);
                node.metrics.record_call(CallPlace::Datastore, None, latency_us);
                result
            }
            Started::Peer(target, call, started_us) => match node.peer(target) {
                Some(link) => {
                    let result = call.result(link).await;
                    if matches!(result, ReplicaResult::Reply(_)) {
                        let latency_us = node.clock.now_us().saturating_sub(started_us);
                        let place =
                            if node.topology.node(target).datacenter == node.topology.local().datacenter {
                                CallPlace::CrossRack
                            } else {
                                CallPlace::CrossDatacenter
                            };
                        node.metrics.record_call(place, Some(target.0 as usize), latency_us);
                    }
                    result
                }
                None => ReplicaResult::Failed(ReplicaFailure::PeerNotConnected),
            },
            Started::Forward(future) => future.await,
        }
    }
}

/// Enqueues one target's request: the local datastore, a peer link (the connection of `token`), or a
/// forward coordinated here.
pub(crate) fn start(
    node: &Arc<NodeShared>,
    target: NodeId,
    action: Action,
    spec: &'static CommandSpec,
    args: &[Bytes],
    protocol: Protocol,
    token: u32,
) -> Started {
    let local = target == node.topology.local().id;
    match action {
        Action::Execute if local => {
            Started::Datastore(start_local(node, spec, args, protocol, token), node.clock.now_us())
        }
        Action::Coordinate { consistency } if local => {
            Started::Forward(forward(node, args.to_vec(), protocol, consistency))
        }
        Action::Execute => {
            let request = PeerRequest::Execute { protocol, args: args.to_vec() };
            start_peer(node, target, request, spec, token, node.timeout_ms())
        }
        Action::Coordinate { consistency } => {
            let request = PeerRequest::Coordinate { protocol, consistency, args: args.to_vec() };
            start_peer(
                node,
                target,
                request,
                spec,
                token,
                node.timeout_ms() * REMOTE_DATACENTER_TIMEOUT_FACTOR,
            )
        }
    }
}

/// Hands a request to a peer link; writes are hintable (hinted handoff, CRDT mode only: a write the
/// peer cannot take now is held and replayed later; a CRDT script call may be held again after a send).
fn start_peer(
    node: &NodeShared,
    target: NodeId,
    request: PeerRequest,
    spec: &'static CommandSpec,
    token: u32,
    timeout_ms: u64,
) -> Started {
    match node.peer(target) {
        Some(link) if spec.access == Access::Write => {
            let idempotent = crate::peer::hints::is_idempotent_write(request.args());
            Started::Peer(
                target,
                link.call_hinted(request, token, timeout_ms, idempotent),
                node.clock.now_us(),
            )
        }
        Some(link) => Started::Peer(target, link.call(request, token, timeout_ms), node.clock.now_us()),
        None => Started::Forward(Box::pin(std::future::ready(ReplicaResult::Failed(
            ReplicaFailure::PeerNotConnected,
        )))),
    }
}

/// Executes one plan: enqueues every target now (in plan order), and returns the future that collects
/// the deciding targets' results into the verdict and reports the decision (client role).
fn execute(
    node: &Arc<NodeShared>,
    plan: Plan,
    origin: Origin,
    args: Vec<Bytes>,
    protocol: Protocol,
    token: u32,
) -> impl Future<Output = Verdict> + Send + 'static {
    let spec = origin.spec;
    let mut deciding = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let started = start(node, target.node, target.action, spec, &args, protocol, token);
        if let Some(group) = target.group {
            deciding.push((group, target.node, started));
        }
    }
    // Unordered replies (SMEMBERS, HGETALL, ...) are compared in one canonical order at quorum levels.
    let canonical_args = (plan.consistency != Consistency::DcOne
        && spec.reply_order() == ReplyOrder::Unordered)
        .then_some(args);
    collect(node.clone(), plan, origin, canonical_args, protocol, deciding)
}

/// What the collection needs to know about the request besides its plan.
#[derive(Clone, Copy)]
pub(crate) struct Origin {
    pub(crate) spec: &'static CommandSpec,
    pub(crate) access: Access,
    pub(crate) tag: RequestTag,
    /// CRDT mode: the write's timestamp (reported in the decision).
    pub(crate) timestamp: Option<dynomite_core::crdt::timestamp::Timestamp>,
}

impl Origin {
    fn of(request: &Request, tag: RequestTag) -> Origin {
        Origin { spec: request.spec, access: request.access, tag, timestamp: None }
    }
}

/// Waits for the deciding results and decides at the plan's level.
pub(crate) async fn collect(
    node: Arc<NodeShared>,
    plan: Plan,
    origin: Origin,
    canonical_args: Option<Vec<Bytes>>,
    protocol: Protocol,
    deciding: Vec<(usize, NodeId, Started)>,
) -> Verdict {
    let Origin { spec, access, tag, timestamp } = origin;
    let (verdict, acknowledgements) =
        collect_unreported(&node, &plan, spec, canonical_args, protocol, deciding).await;
    if !verdict.is_reply() && plan.consistency != Consistency::DcOne {
        node.metrics.count_quorum_failure();
    }
    report_decision(&node, &plan, access, tag, timestamp, acknowledgements, verdict.is_reply());
    verdict
}

/// [`collect`] without counting or reporting the decision: the verdict and the local datacenter's
/// replicas that replied (the caller may still change the outcome, as counter settling does).
pub(crate) async fn collect_unreported(
    node: &Arc<NodeShared>,
    plan: &Plan,
    spec: &'static CommandSpec,
    canonical_args: Option<Vec<Bytes>>,
    protocol: Protocol,
    deciding: Vec<(usize, NodeId, Started)>,
) -> (Verdict, Vec<NodeId>) {
    let timeout_ms = node.timeout_ms();
    let mut collector = plan.collector();
    let mut results: FuturesUnordered<_> = deciding
        .into_iter()
        .map(|(group, target, started)| async move {
            (group, target, started.result(node, protocol, timeout_ms).await)
        })
        .collect();
    let local_quorum = plan.groups.first().map_or(1, |group| group.quorum);
    let mut acknowledgements: Vec<NodeId> = Vec::new();
    let mut first_local_reply: Option<Bytes> = None;
    let verdict = loop {
        let Some((group, target, mut result)) = results.next().await else { break collector.give_up() };
        if let (Some(args), ReplicaResult::Reply(raw)) = (&canonical_args, &result) {
            result = ReplicaResult::Reply(canonical_reply(spec, args, protocol, raw));
        }
        if group == 0 {
            if let ReplicaResult::Reply(bytes) = &result {
                acknowledgements.push(target);
                first_local_reply.get_or_insert_with(|| bytes.clone());
            }
        }
        if let Some(verdict) = collector.record(group, result) {
            // Results still pending are dropped; their requests were sent (replication continues).
            break verdict;
        }
        if dynomite_core::mutant!(QuorumOneShort)
            && plan.consistency != Consistency::DcOne
            && acknowledgements.len() + 1 >= local_quorum
        {
            if let Some(reply) = first_local_reply.clone() {
                break Verdict::Reply(reply); // Mutant QuorumOneShort: one acknowledgement short of quorum.
            }
        }
    };
    drop(results);
    (verdict, acknowledgements)
}

/// Tells the observer (simulator) how a client request was decided; forwarded requests (default tag)
/// are not reported.
pub(crate) fn report_decision(
    node: &NodeShared,
    plan: &Plan,
    access: Access,
    tag: RequestTag,
    timestamp: Option<dynomite_core::crdt::timestamp::Timestamp>,
    acknowledgements: Vec<NodeId>,
    succeeded: bool,
) {
    if tag == RequestTag::default() {
        return;
    }
    if let Some(observer) = &node.observer {
        observer(Decision {
            node: node.topology.local().id,
            consistency: plan.consistency,
            access,
            replicas: plan.groups.first().map_or(0, |group| group.contacted),
            acknowledgements,
            succeeded,
            connection_id: tag.connection_id,
            request_sequence: tag.request_sequence,
            timestamp,
        });
    }
}

pub(crate) fn verdict_reply(verdict: Verdict) -> Reply {
    match verdict {
        Verdict::Reply(bytes) => Reply::Raw(bytes),
        Verdict::Error(text) => Reply::Frame(Frame::Error(text)),
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

/// How finely multi-key requests are split for order on this node: by the pools in play here
/// (`datastore_connections`, `local_peer_connections`, `remote_peer_connections`); see the module docs.
fn order_split(node: &NodeShared) -> OrderSplit {
    let config = &node.config;
    OrderSplit::for_pools([
        config.datastore_connections,
        config.local_peer_connections,
        config.remote_peer_connections,
    ])
}

/// MGET/MSET/DEL/UNLINK/EXISTS/TOUCH: fragments whose keys share their replica set (in the planner's
/// datacenter) and, with pools above one connection, their order group (so each fragment travels on
/// one pooled connection everywhere), each planned and enqueued now, merged in key order later.
fn multi_key(
    node: &Arc<NodeShared>,
    request: Request,
    protocol: Protocol,
    consistency: Consistency,
    role: Role,
    tag: RequestTag,
    mut stamp: Option<Stamp<'_>>,
) -> Routed {
    let spec = request.spec;
    let local_dc = &node.topology.local().datacenter;
    let split = order_split(node);
    // Keys share a fragment only when they share the owner in every rack of the planner's DC and their
    // order group (always equal with every pool at one connection). A CRDT write's fragment becomes one
    // script call that remote datacenters' entry nodes execute whole on its first key's replicas, so
    // there the keys must share their owners in every datacenter.
    let every_datacenter = stamp.is_some() && node.topology.datacenters().len() > 1;
    let replica_sets = std::cell::RefCell::new(Vec::<(Vec<NodeId>, u32)>::new());
    let owner_of = |key: &[u8]| {
        let token = node.token_of(key);
        let owners = if every_datacenter {
            let datacenters = node.topology.datacenters().iter();
            datacenters.flat_map(|dc| node.topology.replicas_in_datacenter(&dc.name, token)).collect()
        } else {
            node.topology.replicas_in_datacenter(local_dc, token)
        };
        let replicas = (owners, split.group(token));
        let mut known = replica_sets.borrow_mut();
        match known.iter().position(|set| *set == replicas) {
            Some(index) => index,
            None => {
                known.push(replicas);
                known.len() - 1
            }
        }
    };
    let fragments = match split_multi_key(spec.name, &request.args[1..], owner_of) {
        Ok(fragments) => fragments,
        Err(error) => {
            return Routed::Local(DatastoreReply::Ready(Frame::error(format!("ERR Dynomite: {error}"))))
        }
    };
    let key_count = fragments.iter().map(|fragment| fragment.key_slots.len()).sum();
    let mut collecting = Vec::with_capacity(fragments.len());
    for fragment in &fragments {
        let token = node.token_of(fragment.args.get(1).map_or(&b""[..], |key| &key[..]));
        let plan = plan_for(node, &request, token, consistency, role);
        let mut origin = Origin::of(&request, tag);
        let args = match &mut stamp {
            Some(stamp) => {
                let args = stamp.rewrite(fragment.args.clone());
                origin.timestamp = stamp.timestamp();
                args
            }
            None => fragment.args.clone(),
        };
        collecting.push(execute(node, plan, origin, args, protocol, token));
    }
    Routed::Later(Box::pin(async move {
        let mut merged = Vec::with_capacity(fragments.len());
        // Every fragment was enqueued above; awaiting them one by one only orders the collection.
        for (fragment, verdict) in fragments.into_iter().zip(collecting) {
            let frame = match verdict.await {
                Verdict::Reply(bytes) => {
                    resp::parse_frame(&bytes).unwrap_or_else(|error| Frame::error(format!("ERR {error}")))
                }
                Verdict::Error(text) => Frame::Error(text),
            };
            merged.push((fragment, frame));
        }
        Reply::Frame(merge_multi_key(spec.name, key_count, &merged))
    }))
}

/// KEYS, SCAN, DBSIZE, RANDOMKEY over every node of the local rack, enqueued now.
fn cluster_wide(
    node: &Arc<NodeShared>,
    kind: ClusterWideKind,
    request: Request,
    protocol: Protocol,
) -> Routed {
    let rack_nodes = node.topology.local_rack_nodes();
    let spec = request.spec;
    let mut args = request.args;
    let start_on =
        |target: NodeId, args: &[Bytes]| start(node, target, Action::Execute, spec, args, protocol, 0);
    let timeout_ms = node.timeout_ms();
    let shared = node.clone();
    match kind {
        ClusterWideKind::Scan => {
            let cursor = match ClusterCursor::decode(&args[1], rack_nodes.len()) {
                Ok(cursor) => cursor,
                Err(_) => return Routed::Local(DatastoreReply::Ready(Frame::error("ERR invalid cursor"))),
            };
            args[1] = Bytes::from(cursor.node_cursor.to_string());
            let started = start_on(rack_nodes[cursor.node_index], &args);
            let node_count = rack_nodes.len();
            let hide_reserved = node.crdt.is_some();
            Routed::Later(Box::pin(async move {
                let result = started.result(&shared, protocol, timeout_ms).await;
                scan_reply(result, cursor, node_count, hide_reserved)
            }))
        }
        ClusterWideKind::Keys | ClusterWideKind::DbSize => {
            let started: Vec<Started> = rack_nodes.iter().map(|&target| start_on(target, &args)).collect();
            Routed::Later(Box::pin(async move {
                let mut total: i64 = 0;
                let mut keys = Vec::new();
                for call in started {
                    match result_frame(call.result(&shared, protocol, timeout_ms).await) {
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
                if shared.crdt.is_some() {
                    keys.retain(|key| !is_reserved_key(key));
                }
                Reply::Frame(if kind == ClusterWideKind::DbSize {
                    Frame::Integer(total)
                } else {
                    Frame::Array(keys)
                })
            }))
        }
        ClusterWideKind::RandomKey => {
            // Every node of the rack is asked at once; the answer is the first key in rotation order
            // (starting at a rotating position), nil only when the whole rack is empty.
            let start_index = node.stats.requests.load(std::sync::atomic::Ordering::Relaxed) as usize;
            let count = rack_nodes.len();
            let order: Vec<NodeId> =
                (0..count).map(|offset| rack_nodes[(start_index + offset) % count]).collect();
            let mut started: Vec<(NodeId, Started)> =
                order.iter().map(|&target| (target, start_on(target, &args))).collect();
            started.reverse();
            Routed::Later(Box::pin(async move {
                let mut last = Frame::Null;
                while let Some((target, mut call)) = started.pop() {
                    let mut retries = 0;
                    loop {
                        match call.result(&shared, protocol, timeout_ms).await {
                            ReplicaResult::Reply(bytes) => match resp::parse_frame(&bytes) {
                                Ok(Frame::Null) => {}
                                // CRDT mode: a reserved key is not an answer; ask that node again.
                                Ok(Frame::Bulk(key))
                                    if shared.crdt.is_some() && is_reserved_key_bytes(&key) =>
                                {
                                    if retries < RANDOMKEY_RESERVED_RETRIES_MAX {
                                        retries += 1;
                                        call =
                                            start(&shared, target, Action::Execute, spec, &args, protocol, 0);
                                        continue;
                                    }
                                    // Mostly metadata there (deleted keys keep theirs until GC): walk it.
                                    match visible_key_by_scan(&shared, target, protocol, timeout_ms).await {
                                        Ok(Some(key)) => return Reply::Frame(Frame::Bulk(key)),
                                        Ok(None) => {}
                                        Err(error) => last = error,
                                    }
                                }
                                Ok(_) => return Reply::Raw(bytes),
                                Err(error) => last = Frame::error(format!("ERR {error}")),
                            },
                            ReplicaResult::Failed(failure) => last = Frame::error(failure.error_text()),
                        }
                        break;
                    }
                }
                Reply::Frame(last)
            }))
        }
        ClusterWideKind::Other => Routed::Local(node.datastore.call(&args, protocol, 0)),
    }
}

/// CRDT mode, RANDOMKEY on a node whose random picks keep landing on metadata: the first key of
/// `target` that is not reserved, by a SCAN walk of at most [`RANDOMKEY_SCAN_PAGES_MAX`] pages (None
/// when none is found: the node holds only metadata, as after deletes, or more than the walk covers).
async fn visible_key_by_scan(
    node: &Arc<NodeShared>,
    target: NodeId,
    protocol: Protocol,
    timeout_ms: u64,
) -> Result<Option<Bytes>, Frame> {
    let Some(spec) = dynomite_core::command::lookup(b"SCAN") else { return Ok(None) };
    let mut cursor = Bytes::from_static(b"0");
    for _ in 0..RANDOMKEY_SCAN_PAGES_MAX {
        let args =
            [Bytes::from_static(b"SCAN"), cursor, Bytes::from_static(b"COUNT"), Bytes::from_static(b"1000")];
        let call = start(node, target, Action::Execute, spec, &args, protocol, 0);
        let page = match result_frame(call.result(node, protocol, timeout_ms).await) {
            Frame::Array(page) => page,
            error @ (Frame::Error(_) | Frame::BlobError(_)) => return Err(error),
            _ => return Ok(None),
        };
        let [Frame::Bulk(next), Frame::Array(keys) | Frame::Set(keys)] = page.as_slice() else {
            return Ok(None);
        };
        let visible = keys.iter().find_map(|key| match key {
            Frame::Bulk(key) if !is_reserved_key_bytes(key) => Some(key.clone()),
            _ => None,
        });
        if visible.is_some() || next.as_ref() == b"0" {
            return Ok(visible);
        }
        cursor = next.clone();
    }
    Ok(None)
}

/// True for a KEYS/SCAN reply element that is a reserved CRDT metadata key (`_dyn:...`).
fn is_reserved_key(key: &Frame) -> bool {
    matches!(key, Frame::Bulk(key) if is_reserved_key_bytes(key))
}

fn is_reserved_key_bytes(key: &[u8]) -> bool {
    crate::crdt::is_reserved(key)
}

/// A node's SCAN reply with its cursor replaced by the composite cluster cursor (and, in CRDT mode,
/// the reserved keys removed from the page).
fn scan_reply(result: ReplicaResult, cursor: ClusterCursor, node_count: usize, hide_reserved: bool) -> Reply {
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
    let Ok(next) = cursor.next_client_cursor(node_next, node_count) else {
        return Reply::Frame(Frame::error(
            "ERR Dynomite: a node's SCAN cursor does not fit the cluster cursor",
        ));
    };
    parts[0] = Frame::Bulk(Bytes::from(next.to_string()));
    if hide_reserved {
        if let Frame::Array(keys) | Frame::Set(keys) = &mut parts[1] {
            keys.retain(|key| !is_reserved_key(key));
        }
    }
    Reply::Frame(Frame::Array(parts))
}

/// A replica result parsed into a frame (failures as error frames).
fn result_frame(result: ReplicaResult) -> Frame {
    match result {
        ReplicaResult::Reply(bytes) => {
            resp::parse_frame(&bytes).unwrap_or_else(|error| Frame::error(format!("ERR {error}")))
        }
        ReplicaResult::Failed(failure) => Frame::error(failure.error_text()),
    }
}

/// SCRIPT LOAD/FLUSH/EXISTS, FLUSHALL/FLUSHDB, FUNCTION ...: every node of the cluster, enqueued now.
/// The reply is the local node's when every node agrees, else the first disagreeing or failed node's
/// error.
fn broadcast(node: &Arc<NodeShared>, kind: BroadcastKind, request: Request, protocol: Protocol) -> Routed {
    let spec = request.spec;
    let started: Vec<Started> = node
        .topology
        .nodes()
        .iter()
        .map(|peer| start(node, peer.id, Action::Execute, spec, &request.args, protocol, 0))
        .collect();
    let shared = node.clone();
    let timeout_ms = node.timeout_ms();
    Routed::Later(Box::pin(async move {
        let mut results: FuturesUnordered<_> =
            started.into_iter().map(|call| call.result(&shared, protocol, timeout_ms)).collect();
        let mut replies = Vec::new();
        while let Some(result) = results.next().await {
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
        if kind == BroadcastKind::ScriptExists {
            return Reply::Frame(script_exists_and(&replies));
        }
        if replies.iter().all(|reply| *reply == first) {
            Reply::Raw(first)
        } else {
            Reply::Frame(Frame::error(
                "ERR Dynomite: nodes answered differently; the command was applied on every reachable node",
            ))
        }
    }))
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
