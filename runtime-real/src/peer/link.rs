//! Outgoing links to one peer node: a fixed number of persistent connections, each multiplexing many
//! requests by request id.
//!
//! Each connection is one task that owns its socket and selects (biased) between replies arriving and
//! requests to send. Requests that cannot be served fail at once instead of waiting:
//! - the connection is not up (connect refused, backing off): `Peer: Peer Node is not connected`;
//! - the peer is ejected (`auto_eject_hosts` after `server_failure_limit` consecutive failures, for
//!   `server_retry_timeout`): `Peer: Peer Node is down`;
//! - the link's queue is full: the peer is too slow, treated as not connected.
//!
//! Link health (issue 7.4): each connection runs a [`Liveness`] failure detector. A connection pings
//! its peer after a third of `peer_heartbeat_timeout` in which it heard nothing or sent nothing (the
//! peer server closes connections silent for the timeout); a connection that has heard
//! nothing (no reply, no pong, no byte) for the whole `peer_heartbeat_timeout` is declared dead: its
//! pending requests fail at once with `Peer Node is not connected`, it stops counting as connected (so
//! new requests fail fast instead of each waiting out `timeout`), and it reconnects. A write the peer
//! does not accept for as long counts the same way. Consecutive failures (lost connections, failed
//! connects, and request timeouts reported through [`PeerLink::note_timeout`]) eject the peer after
//! `server_failure_limit` when `auto_eject_hosts` is set; any reply resets the count.
//!
//! A dead or slow peer therefore never blocks requests that do not need it: each peer has its own
//! bounded queue and tasks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::peer::{
    self, FailureKind, Liveness, LivenessAction, NodeIdentity, PeerMessage, PEER_PROTOCOL_VERSION,
};
use futures_util::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::stream::{Connector, PeerStream};
use super::PeerRequest;
use crate::retry::{fail_requests_for, Backoff};

/// Requests queued per connection before callers fail fast.
const LINK_QUEUE_MAX: usize = 4096;
/// Requests sent on one connection whose replies have not arrived.
const IN_FLIGHT_MAX: usize = 8192;
/// Bytes of requests gathered into one write.
const WRITE_BATCH_BYTES_MAX: usize = 256 * 1024;
/// Bytes read per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// First reconnect delay; doubles per failure up to the cap.
const RECONNECT_BACKOFF_MIN_MS: u64 = 50;
/// Cap of the reconnect delay.
const RECONNECT_BACKOFF_MAX_MS: u64 = 2_000;
/// Time allowed for connect plus the TLS and Hello handshake.
const CONNECT_TIMEOUT_MS: u64 = 2_000;

/// Settings of the links to one peer.
#[derive(Clone)]
pub struct LinkSettings {
    /// The peer's `dyn_listen` address.
    pub address: String,
    /// Persistent connections to keep (`local_peer_connections` / `remote_peer_connections`).
    pub connections: usize,
    /// How this node introduces itself.
    pub identity: NodeIdentity,
    /// Plain TCP or TLS towards this peer.
    pub connector: Connector,
    /// Eject the peer after `failure_limit` consecutive failures (`auto_eject_hosts`).
    pub auto_eject: bool,
    /// `server_failure_limit`.
    pub failure_limit: u32,
    /// `server_retry_timeout`: how long an ejected peer stays down.
    pub retry_timeout_ms: u64,
    /// `peer_heartbeat_timeout`: silence after which a connection is dead (pings after a third of it).
    pub heartbeat_timeout_ms: u64,
}

/// Health of a peer as seen by this node, shared by its connection tasks.
#[derive(Default)]
pub struct LinkHealth {
    connected: AtomicUsize,
    /// Connections lost since the link started (the simulator's link sampler compares two readings to
    /// see a loss and reconnect that fell between them).
    connections_lost: AtomicU64,
    consecutive_failures: AtomicU32,
    /// Milliseconds since `epoch` until which the peer is ejected (0 = not ejected).
    ejected_until_ms: AtomicU64,
}

impl LinkHealth {
    /// True when at least one connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed) > 0
    }

    /// How many of the link's connections are up (the simulator's checkers want all of them).
    pub fn connections_up(&self) -> usize {
        self.connected.load(Ordering::Relaxed)
    }

    /// How many connections that were up have been lost since the link started.
    pub fn connections_lost(&self) -> u64 {
        self.connections_lost.load(Ordering::Relaxed)
    }

    /// One more consecutive failure (lost or refused connection, request timeout); ejects the peer for
    /// `server_retry_timeout` once there are `server_failure_limit` of them under `auto_eject_hosts`.
    fn record_failure(&self, settings: &LinkSettings, now_ms: u64) {
        let failures = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if settings.auto_eject && failures >= settings.failure_limit.max(1) {
            let until = if dynomite_core::mutant!(EjectedForever) {
                u64::MAX // deliberately wrong: server_retry_timeout ignored, never readmitted
            } else {
                now_ms + settings.retry_timeout_ms
            };
            if self.ejected_until_ms.swap(until, Ordering::Relaxed) == 0 {
                tracing::warn!(peer = %settings.address, failures, "peer ejected (auto_eject_hosts)");
            }
        }
    }

    /// A reply arrived: the failures are no longer consecutive.
    fn record_success(&self) {
        if self.consecutive_failures.load(Ordering::Relaxed) != 0 {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
    }

    /// A connection is up: the failures end and an ejection is lifted.
    fn record_connected(&self) {
        self.consecutive_failures.store(0, Ordering::Relaxed);
        if !dynomite_core::mutant!(EjectedForever) {
            self.ejected_until_ms.store(0, Ordering::Relaxed);
        }
        self.connected.fetch_add(1, Ordering::Relaxed);
    }
}

/// The links to one peer.
pub struct PeerLink {
    settings: Arc<LinkSettings>,
    connections: Vec<mpsc::Sender<LinkRequest>>,
    health: Arc<LinkHealth>,
    epoch: tokio::time::Instant,
    /// Set by the admin endpoint (`/peer/down/...`): treat the peer as down until reset.
    forced_down: std::sync::atomic::AtomicBool,
}

struct LinkRequest {
    request: PeerRequest,
    reply: oneshot::Sender<ReplicaResult>,
}

impl PeerLink {
    /// Starts the connection tasks (they connect at once and keep reconnecting).
    pub fn start(settings: LinkSettings) -> PeerLink {
        let settings = Arc::new(settings);
        let health = Arc::new(LinkHealth::default());
        let epoch = tokio::time::Instant::now();
        let connections = (0..settings.connections.max(1))
            .map(|_| {
                let (sender, receiver) = mpsc::channel(LINK_QUEUE_MAX);
                let connection = Connection { settings: settings.clone(), health: health.clone(), epoch };
                tokio::spawn(connection.run(receiver));
                sender
            })
            .collect();
        PeerLink { settings, connections, health, epoch, forced_down: Default::default() }
    }

    /// The peer's address.
    pub fn address(&self) -> &str {
        &self.settings.address
    }

    /// The peer's health.
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    /// Marks the peer down (true) or clears that mark (false), from the admin endpoint.
    pub fn force_down(&self, down: bool) {
        self.forced_down.store(down, Ordering::Relaxed);
    }

    /// Clears the admin's down mark and any auto-ejection (admin `/peer/up|reset/...`).
    pub fn reset(&self) {
        self.forced_down.store(false, Ordering::Relaxed);
        self.health.ejected_until_ms.store(0, Ordering::Relaxed);
        self.health.consecutive_failures.store(0, Ordering::Relaxed);
    }

    /// True while the peer is ejected or forced down.
    pub fn is_down(&self) -> bool {
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        self.forced_down.load(Ordering::Relaxed)
            || self.health.ejected_until_ms.load(Ordering::Relaxed) > now_ms
    }

    /// Hands one request to the connection chosen by `shard` (the key's order shard or token, see
    /// [`pool_slot`](dynomite_core::request::pool_slot): one key's requests, and the keys of one
    /// multi-key fragment, share one ordered connection) before returning; the returned [`PeerCall`]
    /// yields its result.
    /// Fails at once when the peer cannot serve it (down, not connected, queue full).
    pub fn call(&self, request: PeerRequest, shard: u32, timeout_ms: u64) -> PeerCall {
        let failed =
            |failure| PeerCall { state: PeerCallState::Done(ReplicaResult::Failed(failure)), timeout_ms };
        if self.is_down() {
            return failed(ReplicaFailure::PeerDown);
        }
        if !self.health.is_connected() {
            return failed(ReplicaFailure::PeerNotConnected);
        }
        let (reply, receiver) = oneshot::channel();
        let index = dynomite_core::request::pool_slot(shard, self.connections.len());
        match self.connections[index].try_send(LinkRequest { request, reply }) {
            Ok(()) => PeerCall { state: PeerCallState::Waiting(receiver), timeout_ms },
            Err(_) => failed(ReplicaFailure::PeerNotConnected),
        }
    }

    /// A request to this peer timed out: one more consecutive failure toward `auto_eject_hosts`.
    pub fn note_timeout(&self) {
        let now_ms = self.epoch.elapsed().as_millis() as u64;
        self.health.record_failure(&self.settings, now_ms);
    }
}

/// A request handed to a peer link by [`PeerLink::call`]: already queued on its connection; only its
/// result is awaited ([`PeerCall::result`]).
pub struct PeerCall {
    state: PeerCallState,
    timeout_ms: u64,
}

enum PeerCallState {
    /// Failed before it was queued.
    Done(ReplicaResult),
    /// Queued; the connection task sends the result.
    Waiting(oneshot::Receiver<ReplicaResult>),
}

impl PeerCall {
    /// The result, waiting at most the call's timeout; a timeout is reported to `link`
    /// ([`PeerLink::note_timeout`]).
    pub async fn result(self, link: &PeerLink) -> ReplicaResult {
        let receiver = match self.state {
            PeerCallState::Done(result) => return result,
            PeerCallState::Waiting(receiver) => receiver,
        };
        match tokio::time::timeout(Duration::from_millis(self.timeout_ms), receiver).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => ReplicaResult::Failed(ReplicaFailure::PeerNotConnected),
            Err(_) => {
                link.note_timeout();
                ReplicaResult::Failed(ReplicaFailure::Timeout)
            }
        }
    }
}

/// One persistent connection to the peer.
struct Connection {
    settings: Arc<LinkSettings>,
    health: Arc<LinkHealth>,
    epoch: tokio::time::Instant,
}

impl Connection {
    async fn run(self, mut requests: mpsc::Receiver<LinkRequest>) {
        let mut backoff = Backoff::new(RECONNECT_BACKOFF_MIN_MS, RECONNECT_BACKOFF_MAX_MS);
        loop {
            match self.connect().await {
                Ok(stream) => {
                    backoff.reset();
                    self.health.record_connected();
                    tracing::info!(peer = %self.settings.address, "peer link up");
                    let keep_running = self.multiplex(stream, &mut requests).await;
                    self.health.connected.fetch_sub(1, Ordering::Relaxed);
                    self.health.connections_lost.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(peer = %self.settings.address, "peer link lost");
                    if !keep_running || dynomite_core::mutant!(LinkNeverReconnects) {
                        return; // the mutant: deliberately wrong, a lost link stays down forever
                    }
                    self.record_failure();
                }
                Err(error) => {
                    tracing::debug!(peer = %self.settings.address, %error, "peer connect failed");
                    self.record_failure();
                }
            }
            let not_connected = |request: LinkRequest| {
                let _ = request.reply.send(ReplicaResult::Failed(ReplicaFailure::PeerNotConnected));
            };
            if !fail_requests_for(backoff.next_delay(), &mut requests, not_connected).await {
                return;
            }
        }
    }

    fn record_failure(&self) {
        self.health.record_failure(&self.settings, self.now_ms());
    }

    /// Milliseconds since the link's epoch (the clock of ejection and liveness).
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    async fn connect(&self) -> std::io::Result<PeerStream> {
        let connecting = async {
            let mut stream = self.settings.connector.connect(&self.settings.address).await?;
            let mut hello = BytesMut::new();
            let message =
                PeerMessage::Hello { version: PEER_PROTOCOL_VERSION, node: self.settings.identity.clone() };
            peer::encode(&message, &mut hello);
            stream.write_all(&hello).await?;
            stream.flush().await?;
            Ok(stream)
        };
        match tokio::time::timeout(Duration::from_millis(CONNECT_TIMEOUT_MS), connecting).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "peer connect timed out")),
        }
    }
}

impl Connection {
    /// Runs one connection until it breaks or goes silent (true: reconnect) or the link is dropped
    /// (false). Pending requests of a broken connection fail at once: their reply senders are dropped
    /// with `pending`, which callers see as `Peer Node is not connected`.
    async fn multiplex(&self, mut stream: PeerStream, requests: &mut mpsc::Receiver<LinkRequest>) -> bool {
        let mut pending: BTreeMap<u64, oneshot::Sender<ReplicaResult>> = BTreeMap::new();
        let mut next_request_id: u64 = 1;
        let mut read_buffer = BytesMut::with_capacity(READ_CHUNK_BYTES);
        let mut write_buffer = BytesMut::with_capacity(16 * 1024);
        let mut liveness = Liveness::new(self.now_ms(), self.settings.heartbeat_timeout_ms);
        let stall_ms = liveness.timeout_ms();
        let check = tokio::time::sleep_until(self.at(liveness.next_check_ms()));
        tokio::pin!(check);
        loop {
            if pending.len() >= IN_FLIGHT_MAX {
                pending.retain(|_, reply| !reply.is_closed()); // callers that timed out
            }
            let can_send = pending.len() < IN_FLIGHT_MAX;
            tokio::select! {
                biased;
                read = stream.read_buf(&mut read_buffer) => {
                    match read {
                        Ok(0) | Err(_) => return true,
                        Ok(_) => liveness.heard(self.now_ms()),
                    }
                    match deliver_replies(&mut read_buffer, &mut pending) {
                        Delivered::Malformed => return true,
                        Delivered::Replies => self.health.record_success(),
                        Delivered::Nothing => {}
                    }
                    read_buffer.reserve(READ_CHUNK_BYTES);
                }
                _ = &mut check => {
                    match liveness.poll(self.now_ms()) {
                        LivenessAction::Dead { silent_ms } => {
                            tracing::warn!(
                                peer = %self.settings.address,
                                silent_ms,
                                pending = pending.len(),
                                "peer link silent for peer_heartbeat_timeout; failing its requests and reconnecting"
                            );
                            return true;
                        }
                        LivenessAction::Ping { nonce } => {
                            write_buffer.clear();
                            peer::encode(&PeerMessage::Ping { nonce }, &mut write_buffer);
                            if write_within(&mut stream, &write_buffer, stall_ms).await.is_err() {
                                return true;
                            }
                        }
                        LivenessAction::Wait => {}
                    }
                    check.as_mut().reset(self.at(liveness.next_check_ms()));
                }
                request = requests.recv(), if can_send => {
                    let Some(request) = request else { return false };
                    write_buffer.clear();
                    queue_request(request, &mut next_request_id, &mut pending, &mut write_buffer);
                    while write_buffer.len() < WRITE_BATCH_BYTES_MAX && pending.len() < IN_FLIGHT_MAX {
                        match requests.try_recv() {
                            Ok(request) => queue_request(request, &mut next_request_id, &mut pending, &mut write_buffer),
                            Err(_) => break,
                        }
                    }
                    if write_within(&mut stream, &write_buffer, stall_ms).await.is_err() {
                        return true;
                    }
                    liveness.sent(self.now_ms());
                }
            }
        }
    }

    /// The instant `ms` milliseconds after the link's epoch.
    fn at(&self, ms: u64) -> tokio::time::Instant {
        self.epoch + Duration::from_millis(ms)
    }
}

/// Writes all of `bytes` and flushes. Fails when the peer accepts nothing for `stall_ms`: a peer that
/// stopped reading is as silent as one that stopped answering. (The common case, a socket with room,
/// completes on the first poll without arming a timer.)
async fn write_within(stream: &mut PeerStream, mut bytes: &[u8], stall_ms: u64) -> std::io::Result<()> {
    let stall = Duration::from_millis(stall_ms);
    let stalled = || {
        std::io::Error::new(std::io::ErrorKind::TimedOut, "peer accepted no bytes for peer_heartbeat_timeout")
    };
    while !bytes.is_empty() {
        let written = match stream.write(bytes).now_or_never() {
            Some(result) => result?,
            None => tokio::time::timeout(stall, stream.write(bytes)).await.map_err(|_| stalled())??,
        };
        if written == 0 {
            return Err(std::io::ErrorKind::WriteZero.into());
        }
        bytes = &bytes[written..];
    }
    match stream.flush().now_or_never() {
        Some(result) => result,
        None => tokio::time::timeout(stall, stream.flush()).await.map_err(|_| stalled())?,
    }
}

fn queue_request(
    request: LinkRequest,
    next_request_id: &mut u64,
    pending: &mut BTreeMap<u64, oneshot::Sender<ReplicaResult>>,
    out: &mut BytesMut,
) {
    let request_id = *next_request_id;
    *next_request_id += 1;
    let message = request.request.into_message(request_id);
    if let Err(error) = peer::check_encodable(&message) {
        // Too big for one peer frame: refuse this request instead of breaking the link for all.
        let _ = request.reply.send(ReplicaResult::Failed(ReplicaFailure::Datastore(format!(
            "request cannot be sent to a replica: {error}"
        ))));
        return;
    }
    peer::encode(&message, out);
    pending.insert(request_id, request.reply);
}

/// A peer's `Failure` frame as the failure it describes.
fn failure_from_wire(kind: FailureKind, message: String) -> ReplicaFailure {
    match kind {
        FailureKind::DatastoreTimeout => ReplicaFailure::Timeout,
        FailureKind::PeerDown => ReplicaFailure::PeerDown,
        FailureKind::PeerNotConnected => ReplicaFailure::PeerNotConnected,
        FailureKind::QuorumFailed => ReplicaFailure::Datacenter(message),
        FailureKind::DatastoreUnavailable
        | FailureKind::StateRejected
        | FailureKind::Overloaded
        | FailureKind::InvalidRequest => ReplicaFailure::Datastore(message),
    }
}

/// What [`deliver_replies`] found.
enum Delivered {
    /// At least one reply or failure frame (the peer answers requests).
    Replies,
    /// Only pongs or partial frames.
    Nothing,
    /// A malformed frame: the connection must close.
    Malformed,
}

/// Hands every complete reply in `buffer` to its caller.
fn deliver_replies(
    buffer: &mut BytesMut,
    pending: &mut BTreeMap<u64, oneshot::Sender<ReplicaResult>>,
) -> Delivered {
    let mut delivered = Delivered::Nothing;
    loop {
        match peer::decode(buffer) {
            Ok(Some(PeerMessage::Response { request_id, reply })) => {
                delivered = Delivered::Replies;
                if let Some(sender) = pending.remove(&request_id) {
                    let _ = sender.send(ReplicaResult::Reply(reply));
                }
            }
            Ok(Some(PeerMessage::Failure { request_id, kind, message })) => {
                delivered = Delivered::Replies;
                if let Some(sender) = pending.remove(&request_id) {
                    let _ = sender.send(ReplicaResult::Failed(failure_from_wire(kind, message)));
                }
            }
            Ok(Some(_)) => {} // Hello, Pong, Gossip: nothing to deliver on an outgoing link
            Ok(None) => return delivered,
            Err(error) => {
                tracing::error!(%error, "malformed frame from peer; closing the link");
                return Delivered::Malformed;
            }
        }
    }
}
