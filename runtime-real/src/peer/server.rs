//! The peer listener (`dyn_listen`): executes requests from coordinators on this node's datastore and
//! coordinates inside this datacenter for forwards from remote datacenters.
//!
//! Each connection has a reader that decodes frames and queues reply handles, and a writer that
//! resolves them and sends `Response`/`Failure` frames tagged with the request id. A malformed frame
//! closes only that connection.
//!
//! The replica side trusts nothing (issue 7.5):
//! - every received request is resolved against the command table ([`admit`]) and refused with a
//!   `Failure { InvalidRequest }` frame when a client connection would refuse it (empty, unknown,
//!   wrong arity, unparseable keys, blocking, MULTI, SUBSCRIBE, ...) or when only the proxy answers it
//!   (`CLIENT REPLY`, `HELLO`, `AUTH`, `SELECT`, `QUIT`, ...): a peer cannot desynchronize a datastore
//!   connection;
//! - a frame's buffer grows as its bytes arrive (the decoder never reserves the length a header
//!   claims);
//! - forwards from a remote datacenter are bounded per connection: at most
//!   [`FORWARDS_IN_FLIGHT_MAX`] are coordinated at once, and the reader stops reading the connection
//!   until one finishes (backpressure, no task per forward);
//! - the range repair's internal command `DYNO_REPAIR` (digests and key listings, see
//!   [`crate::repair::command`]) is accepted here only: the command table does not know it, so client
//!   connections refuse it and no coordinator forwards it. It counts against the same bound as
//!   forwards and is answered when ready; without `crdt_enabled` it is refused.
//!
//! Silence: a connection from which nothing (no request, no ping) has arrived for
//! `peer_heartbeat_timeout` while the reader waited is closed, and nothing that arrives on it later is
//! executed. Links write at least every third of that timeout (they ping when they have sent nothing),
//! so only a connection its sender has declared dead, or cannot reach, goes that silent; its bytes
//! still in flight (TCP retransmits them after a partition heals) would otherwise execute long after
//! the sender reported the request failed, undoing newer writes.
//!
//! Order: each request is handed to the datastore (`Request`) or planned and enqueued on the
//! datacenter's replicas (`ForwardToDatacenter`, [`forward`]) synchronously, in arrival order; only the
//! replies are awaited by the writer. Datastore results are written in queue order, forwards as they
//! complete (they wait on other nodes and must not hold back the replies behind them), and `Pong`
//! at once, ahead of replies still being waited for, so that a busy peer still answers heartbeats.
//! A `Gossip` digest (`enable_gossip`) is merged at once and answered, like a ping, with this node's
//! digest ([`crate::gossip`]).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult, STATE_REJECTED_TEXT};
use dynomite_core::peer::{self, FailureKind, PeerMessage};
use dynomite_core::request::{KeyHasher, Kind, Request};
use futures_util::stream::FuturesUnordered;
use futures_util::{FutureExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};

use super::handshake;
use super::stream::{placement_link_is_encrypted, Acceptor, PeerStream, Transport};
use crate::coordinator::{datastore_result, forward, ResultFuture};
use crate::node::NodeShared;
use crate::repair::command::is_repair_command;

/// Replies queued per peer connection before its reader pauses.
const PEER_PIPELINE_DEPTH_MAX: usize = 8192;
/// Remote-datacenter forwards coordinated at once per peer connection; the reader pauses at this many.
pub const FORWARDS_IN_FLIGHT_MAX: usize = 64;
/// Bytes read per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Bytes gathered before a write when several replies are ready.
const WRITE_BATCH_BYTES_MAX: usize = 256 * 1024;
/// Pause after a failed accept.
const ACCEPT_RETRY_DELAY_MS: u64 = 50;

/// One queued answer: its request id and the result on its way.
enum Outgoing {
    /// A local datastore result: resolved in queue order (the datastore answers in order anyway).
    Result(u64, ResultFuture),
    /// A datacenter forward, already enqueued on its replicas: resolved whenever it completes; holds
    /// one of the connection's [`FORWARDS_IN_FLIGHT_MAX`] permits until then.
    Forward(u64, ResultFuture, OwnedSemaphorePermit),
    /// A request refused by [`admit`], with the error text.
    Refused(u64, FailureKind, String),
    /// A heartbeat answer.
    Pong(u64),
    /// This node's gossip digest, answering the peer's (push-pull).
    Gossip(PeerMessage),
}

/// Accepts peer connections until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    acceptor: Acceptor,
    node: Arc<NodeShared>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer_address)) => {
                    let node = node.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match acceptor.accept_with_transport(stream).await {
                            Ok((stream, transport)) => serve_connection(stream, transport, node).await,
                            Err(error) => tracing::warn!(%peer_address, %error, "peer handshake failed"),
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "peer accept failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_DELAY_MS)).await;
                }
            },
        }
    }
}

async fn serve_connection(mut stream: PeerStream, transport: Transport, node: Arc<NodeShared>) {
    // Nothing but the handshake is read before the peer has proven the cluster secret.
    let (identity, mut buffer) = match handshake::accept(&mut stream, &node.peer_secret, &*node.random).await
    {
        Ok(accepted) => accepted,
        Err(error) => {
            node.stats.count_peer_refused();
            tracing::warn!(%error, "peer handshake failed; connection closed before any request was read");
            return;
        }
    };
    let peer_name = format!("{} ({}/{})", identity.address, identity.datacenter, identity.rack);
    if let Some(link) = node.peer_at(&identity.datacenter, &identity.rack, &identity.tokens) {
        link.peer_heard();
    }
    let must_encrypt = placement_link_is_encrypted(
        node.config.secure_server_option,
        &node.config.datacenter,
        &node.config.rack,
        &identity.datacenter,
        &identity.rack,
    );
    if must_encrypt && transport == Transport::Plain {
        tracing::warn!(peer = %peer_name, "plain link where secure_server_option needs TLS; closing");
        return;
    }
    let (mut read_half, write_half) = tokio::io::split(stream);
    let (queue, outgoing) = mpsc::channel(PEER_PIPELINE_DEPTH_MAX);
    let writer = tokio::spawn(write_results(write_half, outgoing));
    let forwards = Arc::new(Semaphore::new(FORWARDS_IN_FLIGHT_MAX));
    buffer.reserve(READ_CHUNK_BYTES);
    // A sender writes at least every third of its heartbeat timeout (requests or pings): a connection
    // silent for the whole timeout has been abandoned or cut off. Closing it discards what its sender
    // wrote before giving up and is still on its way, which must never run late.
    let silence_limit = Duration::from_millis(node.config.peer_heartbeat_timeout_ms.max(1));
    'connection: loop {
        loop {
            let message = match peer::decode(&mut buffer) {
                Ok(Some(message)) => message,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(peer = %peer_name, %error, "malformed frame from peer; closing its connection");
                    break 'connection;
                }
            };
            let item = match message {
                PeerMessage::Hello { .. } | PeerMessage::Challenge { .. } | PeerMessage::Welcome { .. } => {
                    tracing::warn!(peer = %peer_name, "handshake message after the handshake; closing");
                    break 'connection;
                }
                PeerMessage::Request { request_id, protocol, args } if is_repair_command(&args) => {
                    // The range repair's internal command: a digest or key listing of this node's data,
                    // answered when ready (it reads many keys) like a forward, under the same bound.
                    match crate::repair::serve::peer_request(node.clone(), &args, protocol) {
                        Ok(future) => {
                            let Ok(permit) = forwards.clone().acquire_owned().await else {
                                break 'connection;
                            };
                            Outgoing::Forward(request_id, future, permit)
                        }
                        Err(refusal) => Outgoing::Refused(request_id, FailureKind::InvalidRequest, refusal),
                    }
                }
                PeerMessage::Request { request_id, protocol, args } => match admit(&node, args) {
                    Ok(request) => {
                        if let Some(crdt) = &node.crdt {
                            // CRDT mode: this node's next writes get timestamps newer than this one.
                            crdt.observe_request(&request.args, node.clock.now_ms());
                        }
                        let reply = node.datastore.call(&request.args, protocol, request.shard());
                        let future: ResultFuture =
                            Box::pin(datastore_result(reply, protocol, node.timeout_ms()));
                        Outgoing::Result(request_id, future)
                    }
                    Err((kind, refusal)) => Outgoing::Refused(request_id, kind, refusal),
                },
                PeerMessage::ForwardToDatacenter { request_id, protocol, consistency, args } => {
                    match admit(&node, args) {
                        Ok(request) => {
                            // Backpressure: with FORWARDS_IN_FLIGHT_MAX forwards pending, stop reading
                            // this connection until one completes (the semaphore is never closed).
                            let Ok(permit) = forwards.clone().acquire_owned().await else {
                                break 'connection;
                            };
                            let future = forward(&node, request.args, protocol, consistency);
                            Outgoing::Forward(request_id, future, permit)
                        }
                        Err((kind, refusal)) => Outgoing::Refused(request_id, kind, refusal),
                    }
                }
                PeerMessage::Ping { nonce } => Outgoing::Pong(nonce),
                PeerMessage::Response { .. } | PeerMessage::Failure { .. } | PeerMessage::Pong { .. } => {
                    continue
                }
                PeerMessage::Gossip { entries, .. } => match &node.gossip {
                    // Push-pull: merge the peer's view, answer with ours.
                    Some(gossip) => Outgoing::Gossip(gossip.receive(&node, &entries)),
                    None => continue, // enable_gossip is off here: nothing to merge
                },
            };
            if queue.send(item).await.is_err() {
                break 'connection;
            }
        }
        buffer.reserve(READ_CHUNK_BYTES);
        match tokio::time::timeout(silence_limit, read_half.read_buf(&mut buffer)).await {
            Ok(Ok(0) | Err(_)) => break,
            Ok(Ok(_)) => {}
            Err(_) => {
                tracing::warn!(
                    peer = %peer_name,
                    silent_ms = silence_limit.as_millis() as u64,
                    "nothing from peer for peer_heartbeat_timeout; closing its connection"
                );
                break;
            }
        }
    }
    drop(queue);
    let _ = writer.await;
}

/// Resolves a peer's request against the command table, as a client connection's would be. Refused
/// (Redis's error text): what a client connection refuses (empty request, unknown command or
/// subcommand, wrong arity, keys that cannot be parsed, `Routing::Unsupported`: blocking commands,
/// MULTI/EXEC, Pub/Sub, MONITOR, ...) and what only the proxy answers (`Routing::Proxy`: CLIENT,
/// HELLO, AUTH, SELECT, QUIT, RESET, ...), which would change the state of a shared datastore
/// connection.
fn admit(node: &NodeShared, args: Vec<Bytes>) -> Result<Request, (FailureKind, String)> {
    let hasher = KeyHasher { algorithm: node.config.hash, tag: node.config.hash_tag };
    let refused = |text: String| {
        node.stats.count_rejected();
        (FailureKind::InvalidRequest, text)
    };
    let request = Request::resolve(args, &hasher)
        .map_err(|error| refused(String::from_utf8_lossy(&error.message()).into_owned()))?;
    if request.kind == Kind::Proxy {
        return Err(refused(format!(
            "ERR '{}' is answered by each node's proxy and is never sent to a peer",
            request.spec.name.replace('|', " ").to_ascii_lowercase()
        )));
    }
    if !node.local_state().admits(request.access) {
        // C Dynomite refuses peers' requests as it does clients' (STANDBY: all; WRITES_ONLY,
        // RESUMING: reads).
        node.stats.count_rejected();
        return Err((FailureKind::StateRejected, STATE_REJECTED_TEXT.to_string()));
    }
    Ok(request)
}

/// Writes the answers of one connection: datastore results in queue order, forwards as they complete,
/// refusals and pongs at once. Never more than [`PEER_PIPELINE_DEPTH_MAX`] datastore results are held
/// (beyond that the queue fills and the reader pauses).
async fn write_results(mut socket: WriteHalf<PeerStream>, mut outgoing: mpsc::Receiver<Outgoing>) {
    let mut answers = Answers::default();
    let mut out = BytesMut::with_capacity(16 * 1024);
    let mut closed = false;
    loop {
        // Everything that is ready now, without waiting, into one write.
        while out.len() < WRITE_BATCH_BYTES_MAX {
            let mut progressed = answers.take_ready(&mut out);
            while !closed && answers.in_order.len() < PEER_PIPELINE_DEPTH_MAX {
                match outgoing.try_recv() {
                    Ok(item) => {
                        answers.accept(item, &mut out);
                        progressed = true;
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => closed = true,
                }
            }
            if !progressed {
                break;
            }
        }
        if !out.is_empty() {
            if socket.write_all(&out).await.is_err() || socket.flush().await.is_err() {
                return;
            }
            out.clear();
            continue;
        }
        if closed && answers.is_empty() {
            return;
        }
        let room = answers.in_order.len() < PEER_PIPELINE_DEPTH_MAX;
        tokio::select! {
            biased;
            Some((request_id, result)) = answers.forwards.next(), if !answers.forwards.is_empty() => {
                peer::encode(&result_message(request_id, result), &mut out);
            }
            result = head(&mut answers.in_order), if !answers.in_order.is_empty() => {
                if let Some((request_id, _)) = answers.in_order.pop_front() {
                    peer::encode(&result_message(request_id, result), &mut out);
                }
            }
            item = outgoing.recv(), if !closed && room => match item {
                Some(item) => answers.accept(item, &mut out),
                None => closed = true,
            },
        }
    }
}

/// A forward on its way: its request id and result; the permit is released when it completes.
type ForwardFuture = std::pin::Pin<Box<dyn Future<Output = (u64, ReplicaResult)> + Send>>;

/// The answers a connection's writer is waiting for.
#[derive(Default)]
struct Answers {
    /// Datastore results, written in this order.
    in_order: VecDeque<(u64, ResultFuture)>,
    /// Forwards, written as they complete.
    forwards: FuturesUnordered<ForwardFuture>,
}

impl Answers {
    /// Queues `item`, or encodes it into `out` when it needs no waiting.
    fn accept(&mut self, item: Outgoing, out: &mut BytesMut) {
        match item {
            Outgoing::Result(request_id, future) => self.in_order.push_back((request_id, future)),
            Outgoing::Forward(request_id, future, permit) => self.forwards.push(Box::pin(async move {
                let result = future.await;
                drop(permit);
                (request_id, result)
            })),
            Outgoing::Refused(request_id, kind, message) => {
                peer::encode(&PeerMessage::Failure { request_id, kind, message }, out)
            }
            Outgoing::Pong(nonce) => peer::encode(&PeerMessage::Pong { nonce }, out),
            Outgoing::Gossip(digest) => peer::encode(&digest, out),
        }
    }

    /// Encodes every answer that is complete now (datastore results only from the front of the queue).
    /// True when at least one was.
    fn take_ready(&mut self, out: &mut BytesMut) -> bool {
        let mut progressed = false;
        while let Some((request_id, future)) = self.in_order.front_mut() {
            let request_id = *request_id;
            let Some(result) = future.now_or_never() else { break };
            self.in_order.pop_front();
            peer::encode(&result_message(request_id, result), out);
            progressed = true;
        }
        while !self.forwards.is_empty() {
            let Some(Some((request_id, result))) = self.forwards.next().now_or_never() else { break };
            peer::encode(&result_message(request_id, result), out);
            progressed = true;
        }
        progressed
    }

    fn is_empty(&self) -> bool {
        self.in_order.is_empty() && self.forwards.is_empty()
    }
}

/// The result of the oldest queued datastore request (pending forever when there is none; the caller
/// only polls it when there is one).
async fn head(in_order: &mut VecDeque<(u64, ResultFuture)>) -> ReplicaResult {
    match in_order.front_mut() {
        Some((_, future)) => future.await,
        None => std::future::pending().await,
    }
}

fn result_message(request_id: u64, result: ReplicaResult) -> PeerMessage {
    match result {
        ReplicaResult::Reply(reply) => PeerMessage::Response { request_id, reply },
        ReplicaResult::Failed(failure) => {
            let message = match &failure {
                ReplicaFailure::Datastore(text) | ReplicaFailure::Datacenter(text) => text.clone(),
                other => other.error_text(),
            };
            PeerMessage::Failure { request_id, kind: failure_kind(&failure), message }
        }
    }
}

fn failure_kind(failure: &ReplicaFailure) -> FailureKind {
    match failure {
        ReplicaFailure::Datastore(_) => FailureKind::DatastoreUnavailable,
        ReplicaFailure::Timeout => FailureKind::DatastoreTimeout,
        ReplicaFailure::PeerDown => FailureKind::PeerDown,
        ReplicaFailure::PeerNotConnected | ReplicaFailure::PeerRefused => FailureKind::PeerNotConnected,
        ReplicaFailure::Datacenter(_) => FailureKind::QuorumFailed,
    }
}
