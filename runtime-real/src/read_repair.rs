//! Read repair (`read_repairs_enabled`, switched at runtime by `/read_repairs/{enable|disable}`; needs
//! CRDT mode): a quorum read of one key asks the replicas for their CRDT state instead of the value,
//! answers with the merge, and writes the merge back to the replicas that lacked part of it.
//!
//! # When
//! A read of one key ([`Kind::SingleKey`]) at DC_QUORUM, DC_SAFE_QUORUM or DC_EACH_SAFE_QUORUM whose
//! command reads a type the CRDT scripts cover (strings, hashes, sets, sorted sets, counters: GET,
//! HGETALL, SMEMBERS, ZRANGE, ... see [`REPAIRED_READS`]), on the client role or on a remote
//! datacenter's entry node. Random reads (SRANDMEMBER, TTL, ...) are planned at DC_ONE and never
//! repaired. Everything else keeps the plain path of [`crate::coordinator`].
//!
//! # How
//! 1. At dispatch (order contract: enqueued before the connection's next request) every deciding
//!    target of the local datacenter (group 0) gets the `read` script instead of the read:
//!    `EVALSHA <read> 1 K <crdt_state_elements_max> <the read's arguments...>`, in the client's
//!    protocol, so it travels on the connections the client's earlier writes took (order contract; the
//!    state parses from either protocol). A DC_EACH_SAFE_QUORUM read's forwards to
//!    remote datacenters carry the plain read; their entry node repairs its own datacenter the same way.
//! 2. Each replica answers `[state, nil]` or, for a key it holds without metadata (written before CRDT
//!    mode or by an uncovered command) or whose state is over the bound, `[nil, reply]`.
//! 3. **Answer.** Once the level's quorum `q` of group 0 answered (DC_QUORUM and DC_SAFE_QUORUM alike:
//!    the merge replaces "q identical replies"), the answer is
//!    [`answer`](dynomite_core::crdt::answer::answer) of the merge of the states received, in the
//!    client's protocol. Fewer than `q` answers possible: `Failed to achieve Quorum`, as today. At
//!    DC_EACH_SAFE_QUORUM every remote datacenter must also answer (with its own repaired reply).
//! 4. **Fallback.** If any replica answered `[nil, reply]`, or shipped a state whose data its metadata
//!    does not describe (an uncovered command such as APPEND or LPUSH re-created K after a covered
//!    delete, or gave it another type; that replica's reply is then computed from the data it shipped),
//!    the read is decided as today: every
//!    replica's reply (the script's `reply`, or the answer computed from its own state) goes through
//!    the [`QuorumCollector`](dynomite_core::cluster::QuorumCollector) of the plan, compared in
//!    canonical order for unordered replies. The script's `reply` went through Lua, which turns maps and
//!    sets into arrays, so a RESP3 client reading an unmanaged hash, set or sorted set this way gets
//!    arrays where Redis would answer maps/sets (RESP2 clients see no difference).
//! 5. **Write-back.** Every replica that answered a state which is not [`same_as`] the merge of all
//!    states received so far gets `EVALSHA <merge> 1 K <merge_args>`: at the answer, and again for
//!    every state that arrives later (late replies are merged in; a replica written once is known to
//!    hold that merge). The merge script is idempotent and commutative with every write script, so
//!    write-backs need no order (they go on RESP2 connections). Fire-and-forget: what they miss,
//!    background repair finds. Replicas that answered `[nil, reply]` are not written.
//!
//! # Successors
//! A replica executes one coordinator's requests for a key in the order they were sent (one connection
//! per key shard), so a read pipelined before a write on the same client connection never sees that
//! write there. A merge written by another node (background repair, another read's write-back) is not
//! ordered with them: it can hand a replica the write before the read gets there (the simulator found
//! it: partition seed 135, a pipelined DC_QUORUM GET answered with the MSET its connection sent five
//! requests later). So at dispatch the read notes this node's clock (`Crdt::last`); every write this
//! node dispatches afterwards, on any connection, carries a later timestamp of this node. A state
//! holding such a timestamp ([`KeyState::has_write_after`]) is merged and written back like any other
//! but does not answer the read: it counts as a replica that did not answer in time (if too few remain,
//! `Failed to achieve Quorum`, never a value from the connection's future). Remote datacenters repair
//! with their entry node's clock, so a remote forward is not covered. Mutant ReadSeesSuccessor.
//!
//! The node's HLC observes the newest timestamps of every state it receives, so a write the client
//! sends through this node after the read gets a newer timestamp than the value it read.
//!
//! Counters (INFO, `/info`): `read_repair_reads` (reads answered by a merge), `read_repairs` (of these,
//! reads that found a stale replica), `read_repair_writes` (merges written back).
//!
//! Mutants: NoReadRepairWriteBack (nothing is written back), ReadRepairAnswersFirst (the answer is the
//! first replica's state, not the merge).
//!
//! [`same_as`]: dynomite_core::crdt::state::KeyState::same_as

use std::sync::atomic::Ordering;
use std::sync::Arc;

use bytes::Bytes;
use dynomite_core::cluster::plan::{Action, Plan};
use dynomite_core::cluster::{canonical_reply, ReplicaFailure, ReplicaResult, Verdict, NO_QUORUM_TEXT};
use dynomite_core::command::ReplyOrder;
use dynomite_core::config::Consistency;
use dynomite_core::request::{Kind, Request};
use dynomite_core::resp::{self, Frame, Protocol};
use dynomite_core::ring::NodeId;
use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::oneshot;

use crate::coordinator::{self, Origin, Reply, ReplyFuture, Started};
use crate::node::NodeShared;

pub(crate) use contract::KeyState;
use dynomite_core::crdt::state::CrdtType;
use dynomite_core::store::Store;

/// Single-key reads of covered types that read repair handles (command names as Redis spells them).
pub const REPAIRED_READS: &[&str] = &[
    "GET",
    "STRLEN",
    "GETRANGE",
    "SUBSTR",
    "TYPE",
    "HGET",
    "HMGET",
    "HGETALL",
    "HKEYS",
    "HVALS",
    "HLEN",
    "HEXISTS",
    "HSTRLEN",
    "SMEMBERS",
    "SISMEMBER",
    "SMISMEMBER",
    "SCARD",
    "ZRANGE",
    "ZREVRANGE",
    "ZRANGEBYSCORE",
    "ZREVRANGEBYSCORE",
    "ZRANGEBYLEX",
    "ZREVRANGEBYLEX",
    "ZSCORE",
    "ZMSCORE",
    "ZCARD",
    "ZCOUNT",
    "ZLEXCOUNT",
    "ZRANK",
    "ZREVRANK",
];

/// True when this read goes through read repair on this node (see the module docs).
pub fn applies(node: &NodeShared, plan: &Plan, request: &Request) -> bool {
    node.read_repairs_enabled()
        && request.kind == Kind::SingleKey
        && request.access == dynomite_core::command::Access::Read
        && matches!(
            plan.consistency,
            Consistency::DcQuorum | Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum
        )
        && request.key_indexes.len() == 1
        && REPAIRED_READS.iter().any(|name| request.spec.name.eq_ignore_ascii_case(name))
}

/// Starts a repairing read: enqueues the `read` script on group 0's targets (and the plain read on
/// remote forwards) now, and returns the answer's future. Late replies and write-backs are handled by a
/// task that outlives the answer.
pub(crate) fn route(
    node: &Arc<NodeShared>,
    plan: Plan,
    request: Request,
    protocol: Protocol,
    origin: Origin,
    token: u32,
) -> ReplyFuture {
    let key = request.args[request.key_indexes[0]].clone();
    let script = read_script_args(node, &key, &request.args);
    let mut started = Vec::with_capacity(plan.targets.len());
    for target in &plan.targets {
        let Some(group) = target.group else { continue };
        let call = if group == 0 && target.action == Action::Execute {
            coordinator::start(node, target.node, target.action, origin.spec, &script, protocol, token)
        } else {
            coordinator::start(node, target.node, target.action, origin.spec, &request.args, protocol, token)
        };
        started.push((group, target.node, call));
    }
    let (answer_sender, answer) = oneshot::channel();
    let repair = Repair {
        node: node.clone(),
        plan,
        origin,
        args: request.args,
        key,
        protocol,
        token,
        answer: Some(answer_sender),
        // Read now, before the connection's next request is stamped (the session dispatches in order).
        successor_bound: node.crdt.as_ref().map(|crdt| (crdt.node_id(), crdt.last())),
    };
    tokio::spawn(repair.run(started));
    Box::pin(async move {
        answer
            .await
            .unwrap_or_else(|_| Reply::Frame(Frame::error("ERR Dynomite: read repair was interrupted")))
    })
}

/// The `read` script's `EVALSHA` for the read `read_args` of `key`: `EVALSHA <read> 1 K
/// <crdt_state_elements_max> <the read's arguments...>`.
pub(crate) fn read_script_args(node: &NodeShared, key: &Bytes, read_args: &[Bytes]) -> Vec<Bytes> {
    let elements_max = node.crdt.as_ref().map_or(0, |crdt| crdt.state_elements_max());
    let mut script = Vec::with_capacity(read_args.len() + 5);
    script.push(Bytes::from_static(b"EVALSHA"));
    script.push(contract::read_script_sha());
    script.push(Bytes::from_static(b"1"));
    script.push(key.clone());
    script.push(Bytes::from(elements_max.to_string()));
    script.extend(read_args.iter().cloned());
    script
}

/// The `merge` script's `EVALSHA` writing `merged` into `key` on a replica.
pub(crate) fn merge_script_args(key: &Bytes, merged: &KeyState, now_ms: u64) -> Vec<Bytes> {
    let mut args = vec![
        Bytes::from_static(b"EVALSHA"),
        contract::merge_script_sha(),
        Bytes::from_static(b"1"),
        key.clone(),
    ];
    args.extend(merged.merge_args(now_ms));
    args
}

/// A replica's CRDT state from its reply to [`read_script_args`]; `None` when it failed or has no state
/// the merge can use (unmanaged key, state over the bound, data its metadata does not describe).
pub(crate) fn state_of(
    result: &ReplicaResult,
    read_args: &[Bytes],
    protocol: Protocol,
    now_ms: u64,
) -> Option<KeyState> {
    match parse_read_reply(result, read_args, protocol, now_ms)? {
        Answered::State(state) => Some(state),
        Answered::Plain(_) => None,
    }
}

/// What one group-0 replica told us.
enum Answered {
    /// Its CRDT state.
    State(KeyState),
    /// Its reply to the read: the key is unmanaged there, or its state is too large.
    Plain(Frame),
}

/// One repairing read, after its requests were enqueued.
struct Repair {
    node: Arc<NodeShared>,
    plan: Plan,
    origin: Origin,
    args: Vec<Bytes>,
    key: Bytes,
    protocol: Protocol,
    token: u32,
    answer: Option<oneshot::Sender<Reply>>,
    /// This node's id and its clock's last timestamp when the read was dispatched: a state holding a
    /// later timestamp of this node reflects a write dispatched after the read (module docs,
    /// "Successors").
    successor_bound: Option<(u32, dynomite_core::crdt::timestamp::Timestamp)>,
}

/// One group-0 replica's state as far as the repair knows it.
struct Replica {
    node: NodeId,
    /// The state it reported, or the merge last written back to it.
    known: KeyState,
}

impl Repair {
    async fn run(mut self, started: Vec<(usize, NodeId, Started)>) {
        let timeout_ms = self.node.timeout_ms();
        let node = self.node.clone();
        let protocol = self.protocol;
        let mut pending: FuturesUnordered<_> = started
            .into_iter()
            .map(|(group, target, call)| {
                let node = &node;
                async move { (group, target, call.result(node, protocol, timeout_ms).await) }
            })
            .collect();
        let quorum = self.plan.groups.first().map_or(1, |group| group.quorum);
        let contacted = self.plan.groups.first().map_or(0, |group| group.contacted);
        let remote_groups = self.plan.groups.len().saturating_sub(1);
        let mut replicas: Vec<Replica> = Vec::new();
        // Every result in arrival order, for the fallback's collector.
        let mut results: Vec<(usize, NodeId, Result<Answered, ReplicaResult>)> = Vec::new();
        let mut group0_answered = 0_usize;
        let mut group0_failed = 0_usize;
        let mut remote_ok = 0_usize;
        let mut remote_failed = 0_usize;
        let mut fallback = false;
        // The merge of every state (written back) and of the states that may answer this read.
        let mut merged: Option<KeyState> = None;
        let mut answer_merged: Option<KeyState> = None;
        let mut first_state: Option<KeyState> = None;
        let mut acknowledgements: Vec<NodeId> = Vec::new();
        while let Some((group, target, result)) = pending.next().await {
            if group == 0 {
                match parse_read_reply(&result, &self.args, protocol, self.node.clock.now_ms()) {
                    Some(Answered::State(state)) => {
                        self.observe(&state);
                        // Settled as the replicas' merge scripts settle (a passed expiry is a delete).
                        let now_ms = self.node.clock.now_ms();
                        let join = |merged: &mut Option<KeyState>| {
                            *merged = Some(match merged.take() {
                                Some(previous) => contract::merge_settled(&[previous, state.clone()], now_ms),
                                None => state.settle(now_ms),
                            });
                        };
                        join(&mut merged);
                        replicas.push(Replica { node: target, known: state.clone() });
                        if self.is_successor(&state) {
                            // It cannot vouch for this read: as if it had not answered in time.
                            tracing::debug!(
                                node = target.0,
                                "read repair: a replica already holds a later write"
                            );
                            group0_failed += 1;
                            results.push((
                                group,
                                target,
                                Err(ReplicaResult::Failed(ReplicaFailure::Timeout)),
                            ));
                        } else {
                            group0_answered += 1;
                            acknowledgements.push(target);
                            first_state.get_or_insert_with(|| state.clone());
                            join(&mut answer_merged);
                            results.push((group, target, Ok(Answered::State(state))));
                        }
                    }
                    Some(Answered::Plain(frame)) => {
                        group0_answered += 1;
                        acknowledgements.push(target);
                        fallback = true;
                        results.push((group, target, Ok(Answered::Plain(frame))));
                    }
                    None => {
                        group0_failed += 1;
                        results.push((group, target, Err(result)));
                    }
                }
            } else {
                match &result {
                    ReplicaResult::Reply(_) => remote_ok += 1,
                    ReplicaResult::Failed(_) => remote_failed += 1,
                }
                results.push((group, target, Err(result)));
            }
            if self.answer.is_some() {
                if fallback {
                    if let Some(verdict) = self.fallback_verdict(&results, pending.is_empty()) {
                        self.send_answer(coordinator::verdict_reply(verdict.clone()));
                        self.report(acknowledgements.clone(), verdict.is_reply());
                    }
                } else if group0_answered + (contacted - group0_answered - group0_failed) < quorum
                    || remote_failed > 0
                {
                    self.send_answer(coordinator::verdict_reply(no_quorum()));
                    self.report(acknowledgements.clone(), false);
                } else if group0_answered >= quorum && remote_ok == remote_groups {
                    let answering = if dynomite_core::mutant!(ReadRepairAnswersFirst) {
                        first_state.as_ref() // Mutant ReadRepairAnswersFirst: the first state, not the merge.
                    } else {
                        answer_merged.as_ref()
                    };
                    if let Some(state) = answering {
                        let frame =
                            contract::answer(state, &self.args, self.protocol, self.node.clock.now_ms());
                        self.node.stats.read_repair_reads.fetch_add(1, Ordering::Relaxed);
                        self.send_answer(Reply::Frame(frame));
                        self.report(acknowledgements.clone(), true);
                    }
                }
            }
            if self.answer.is_none() {
                // The managed replicas get the merge whatever decided the answer (merges commute).
                if let Some(merged) = &merged {
                    self.write_back(merged, &mut replicas);
                }
            }
        }
        if self.answer.is_some() {
            // Every result is in and nothing decided (e.g. fallback without quorum): no quorum.
            self.send_answer(coordinator::verdict_reply(no_quorum()));
            self.report(acknowledgements, false);
        }
    }

    /// True when `state` holds a write this node dispatched after the read (module docs, "Successors").
    fn is_successor(&self, state: &KeyState) -> bool {
        if dynomite_core::mutant!(ReadSeesSuccessor) {
            return false; // Mutant ReadSeesSuccessor: such a state answers the read.
        }
        self.successor_bound.is_some_and(|(node, bound)| state.has_write_after(node, bound))
    }

    /// The node's clock takes note of the newest timestamps the replica's state holds, so a write this
    /// node coordinates after the read is newer than what the read saw (HLC causality through reads).
    fn observe(&self, state: &KeyState) {
        if let Some(crdt) = &self.node.crdt {
            let now_ms = self.node.clock.now_ms();
            let removes = state.elements.values().map(|element| element.remove);
            let newest =
                [state.key_timestamp(), state.delete, state.expiry.set].into_iter().chain(removes).max();
            if let Some(stamp) = newest.flatten() {
                crdt.observe(stamp, now_ms);
            }
        }
    }

    fn send_answer(&mut self, reply: Reply) {
        if let Some(sender) = self.answer.take() {
            let _ = sender.send(reply);
        }
    }

    fn report(&self, acknowledgements: Vec<NodeId>, succeeded: bool) {
        let Origin { access, tag, .. } = self.origin;
        coordinator::report_decision(&self.node, &self.plan, access, tag, None, acknowledgements, succeeded);
    }

    /// Today's decision over every replica's reply (see "Fallback" in the module docs); None while
    /// undecided.
    fn fallback_verdict(
        &self,
        results: &[(usize, NodeId, Result<Answered, ReplicaResult>)],
        all_in: bool,
    ) -> Option<Verdict> {
        let mut collector = self.plan.collector();
        let now_ms = self.node.clock.now_ms();
        let unordered = self.origin.spec.reply_order() == ReplyOrder::Unordered;
        for (group, _, result) in results {
            let result = match result {
                Ok(Answered::State(state)) => {
                    let frame = contract::answer(state, &self.args, self.protocol, now_ms);
                    ReplicaResult::Reply(frame.to_bytes(self.protocol))
                }
                Ok(Answered::Plain(frame)) => ReplicaResult::Reply(frame.to_bytes(self.protocol)),
                Err(result) => result.clone(),
            };
            let result = match result {
                ReplicaResult::Reply(raw) if unordered => {
                    ReplicaResult::Reply(canonical_reply(self.origin.spec, &self.args, self.protocol, &raw))
                }
                other => other,
            };
            if let Some(verdict) = collector.record(*group, result) {
                return Some(verdict);
            }
        }
        all_in.then(|| collector.give_up())
    }

    /// Sends the merge to every replica whose known state lacks part of it.
    fn write_back(&self, merged: &KeyState, replicas: &mut [Replica]) {
        let mut stale = false;
        for replica in replicas.iter_mut() {
            if replica.known.same_as(merged) {
                continue;
            }
            stale = true;
            replica.known = merged.clone();
            if dynomite_core::mutant!(NoReadRepairWriteBack) {
                continue; // Mutant NoReadRepairWriteBack: stale replicas stay stale.
            }
            let args = merge_script_args(&self.key, merged, self.node.clock.now_ms());
            let call = coordinator::start(
                &self.node,
                replica.node,
                Action::Execute,
                self.origin.spec,
                &args,
                Protocol::Resp2,
                self.token,
            );
            drop(call); // enqueued; the result is not awaited
            self.node.stats.read_repair_writes.fetch_add(1, Ordering::Relaxed);
        }
        if stale {
            self.node.stats.read_repairs.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// `Failed to achieve Quorum`, as the collector answers it.
pub(crate) fn no_quorum() -> Verdict {
    Verdict::Error(Bytes::from_static(NO_QUORUM_TEXT.as_bytes()))
}

/// A group-0 replica's reply to the `read` script; None when it failed or answered something else
/// (an error reply counts as a failure here: it carries no state). A state whose data the metadata
/// does not describe ([`data_disagrees`]) counts as a plain reply, computed from the data it shipped.
fn parse_read_reply(
    result: &ReplicaResult,
    args: &[Bytes],
    protocol: Protocol,
    now_ms: u64,
) -> Option<Answered> {
    let ReplicaResult::Reply(raw) = result else { return None };
    let frame = resp::parse_frame(raw).ok()?;
    let Frame::Array(mut parts) = frame else { return None };
    if parts.len() != 2 {
        return None;
    }
    let reply = parts.pop()?;
    let state_frame = parts.pop()?;
    if state_frame == Frame::Null {
        return Some(Answered::Plain(reply));
    }
    let state = KeyState::parse(&state_frame).ok()?;
    if data_disagrees(&state, now_ms) {
        return Some(Answered::Plain(raw_reply(&state_frame, args, protocol, now_ms)));
    }
    Some(Answered::State(state))
}

/// True when the replica's K holds data its metadata does not describe: an uncovered command (APPEND,
/// LPUSH, ...) re-created K after the metadata's delete, or gave K another Redis type than `t`. The
/// read is then decided as for an unmanaged key (module docs, "Fallback").
fn data_disagrees(state: &KeyState, now_ms: u64) -> bool {
    let observed = state.observed.data_type.as_ref();
    if observed.is_empty() || observed == b"none" {
        return false;
    }
    let same_type = match state.crdt_type {
        Some(CrdtType::Counter) => observed == b"string",
        Some(crdt_type) => observed == crdt_type.name().as_bytes(),
        None => false,
    };
    !same_type || !state.is_live(now_ms)
}

/// Arguments loaded into a scratch store per command (bounds one command's size).
const RAW_LOAD_ARGUMENTS_MAX: usize = 1024;

/// The reply to the read on the data a `state` reply shipped (`[meta, type, data, pttl]`), as Redis
/// would give it for that replica's K: the data is loaded into a scratch embedded store. Types the
/// state does not ship (list, stream, ...) get a placeholder of that type, so reads of a covered type
/// answer WRONGTYPE and TYPE answers the type, as on the replica.
fn raw_reply(state_frame: &Frame, args: &[Bytes], protocol: Protocol, now_ms: u64) -> Frame {
    let mut store = Store::new();
    let (Frame::Array(items), Some(key)) = (state_frame, args.get(1)) else {
        return Frame::error("ERR Dynomite: malformed crdt state");
    };
    let text = |frame: Option<&Frame>| match frame {
        Some(Frame::Bulk(text) | Frame::Simple(text)) => text.clone(),
        _ => Bytes::new(),
    };
    let rtype = text(items.get(1));
    let mut data = Vec::new();
    flatten(items.get(2), &mut data);
    let (command, values): (&[u8], Vec<Bytes>) = match rtype.as_ref() {
        b"string" => (b"SET", data.into_iter().take(1).collect()),
        b"hash" => (b"HSET", data),
        b"set" => (b"SADD", data),
        b"zset" => (b"ZADD", data.chunks(2).flat_map(|pair| pair.iter().rev().cloned()).collect()),
        b"list" => (b"RPUSH", vec![Bytes::new()]),
        b"stream" => {
            (b"XADD", [&b"*"[..], b"f", b"v"].iter().map(|word| Bytes::copy_from_slice(word)).collect())
        }
        _ => (b"", Vec::new()),
    };
    if !command.is_empty() {
        let step = if command == b"SET" { 1 } else { RAW_LOAD_ARGUMENTS_MAX };
        for chunk in values.chunks(step) {
            let mut load = vec![Bytes::copy_from_slice(command), key.clone()];
            load.extend_from_slice(chunk);
            store.execute(&load, now_ms, Protocol::Resp2);
        }
    }
    if let Some(Frame::Integer(pttl)) = items.get(3) {
        if *pttl > 0 {
            let deadline = now_ms.saturating_add(*pttl as u64).to_string();
            store.execute(
                &[Bytes::from_static(b"PEXPIREAT"), key.clone(), Bytes::from(deadline)],
                now_ms,
                Protocol::Resp2,
            );
        }
    }
    store.execute(args, now_ms, protocol)
}

/// The bulk strings of a data frame (flat arrays, RESP3 maps, sets and nested pairs), in order.
fn flatten(frame: Option<&Frame>, out: &mut Vec<Bytes>) {
    match frame {
        Some(Frame::Bulk(bytes) | Frame::Simple(bytes) | Frame::Double(bytes)) => out.push(bytes.clone()),
        Some(Frame::Integer(number)) => out.push(Bytes::from(number.to_string())),
        Some(Frame::Array(items) | Frame::Set(items)) => {
            items.iter().for_each(|item| flatten(Some(item), out))
        }
        Some(Frame::Map(pairs)) => pairs.iter().for_each(|(field, value)| {
            flatten(Some(field), out);
            flatten(Some(value), out);
        }),
        _ => {}
    }
}

/// The calls into `dynomite_core::crdt` (state, merge, answer, scripts) this module depends on.
mod contract {
    use bytes::Bytes;
    use dynomite_core::crdt::scripts::{self, ScriptName};

    pub use dynomite_core::crdt::answer::answer;
    pub use dynomite_core::crdt::merge::merge_settled;
    pub use dynomite_core::crdt::state::KeyState;

    /// The `read` script's SHA1.
    pub fn read_script_sha() -> Bytes {
        Bytes::from(scripts::get(ScriptName::Read).sha1.clone())
    }

    /// The `merge` script's SHA1.
    pub fn merge_script_sha() -> Bytes {
        Bytes::from(scripts::get(ScriptName::Merge).sha1.clone())
    }
}
