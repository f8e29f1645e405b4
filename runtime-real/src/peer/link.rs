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
//! A dead or slow peer therefore never blocks requests that do not need it: each peer has its own
//! bounded queue and tasks.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::peer::{self, FailureKind, NodeIdentity, PeerMessage, PEER_PROTOCOL_VERSION};
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
}

/// Health of a peer as seen by this node, shared by its connection tasks.
#[derive(Default)]
pub struct LinkHealth {
    connected: AtomicUsize,
    consecutive_failures: AtomicU32,
    /// Milliseconds since `epoch` until which the peer is ejected (0 = not ejected).
    ejected_until_ms: AtomicU64,
}

impl LinkHealth {
    /// True when at least one connection is up.
    pub fn is_connected(&self) -> bool {
        self.connected.load(Ordering::Relaxed) > 0
    }
}

/// The links to one peer.
pub struct PeerLink {
    settings: Arc<LinkSettings>,
    connections: Vec<mpsc::Sender<LinkRequest>>,
    next: AtomicUsize,
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
        PeerLink {
            settings,
            connections,
            next: AtomicUsize::new(0),
            health,
            epoch,
            forced_down: Default::default(),
        }
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

    /// Sends one request; the receiver yields its result. Fails at once when the peer cannot serve it.
    pub fn call(&self, request: PeerRequest) -> oneshot::Receiver<ReplicaResult> {
        let (reply, receiver) = oneshot::channel();
        if self.is_down() {
            let _ = reply.send(ReplicaResult::Failed(ReplicaFailure::PeerDown));
            return receiver;
        }
        if !self.health.is_connected() {
            let _ = reply.send(ReplicaResult::Failed(ReplicaFailure::PeerNotConnected));
            return receiver;
        }
        let index = self.next.fetch_add(1, Ordering::Relaxed) % self.connections.len();
        if let Err(error) = self.connections[index].try_send(LinkRequest { request, reply }) {
            let request = match error {
                mpsc::error::TrySendError::Full(request) | mpsc::error::TrySendError::Closed(request) => {
                    request
                }
            };
            let _ = request.reply.send(ReplicaResult::Failed(ReplicaFailure::PeerNotConnected));
        }
        receiver
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
                    self.health.consecutive_failures.store(0, Ordering::Relaxed);
                    self.health.ejected_until_ms.store(0, Ordering::Relaxed);
                    self.health.connected.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(peer = %self.settings.address, "peer link up");
                    let keep_running = multiplex(stream, &mut requests).await;
                    self.health.connected.fetch_sub(1, Ordering::Relaxed);
                    tracing::warn!(peer = %self.settings.address, "peer link lost");
                    if !keep_running {
                        return;
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
        let failures = self.health.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
        if self.settings.auto_eject && failures >= self.settings.failure_limit.max(1) {
            let until = self.epoch.elapsed().as_millis() as u64 + self.settings.retry_timeout_ms;
            if self.health.ejected_until_ms.swap(until, Ordering::Relaxed) == 0 {
                tracing::warn!(peer = %self.settings.address, failures, "peer ejected (auto_eject_hosts)");
            }
        }
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

/// Runs one connection until it breaks (true: reconnect) or the link is dropped (false). Pending
/// requests of a broken connection learn it when their reply senders are dropped.
async fn multiplex(mut stream: PeerStream, requests: &mut mpsc::Receiver<LinkRequest>) -> bool {
    let mut pending: BTreeMap<u64, oneshot::Sender<ReplicaResult>> = BTreeMap::new();
    let mut next_request_id: u64 = 1;
    let mut read_buffer = BytesMut::with_capacity(READ_CHUNK_BYTES);
    let mut write_buffer = BytesMut::with_capacity(16 * 1024);
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
                    Ok(_) => {}
                }
                if !deliver_replies(&mut read_buffer, &mut pending) {
                    return true;
                }
                read_buffer.reserve(READ_CHUNK_BYTES);
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
                if stream.write_all(&write_buffer).await.is_err() || stream.flush().await.is_err() {
                    return true;
                }
            }
        }
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

/// Hands every complete reply in `buffer` to its caller. False on a malformed stream.
fn deliver_replies(
    buffer: &mut BytesMut,
    pending: &mut BTreeMap<u64, oneshot::Sender<ReplicaResult>>,
) -> bool {
    loop {
        match peer::decode(buffer) {
            Ok(Some(PeerMessage::Response { request_id, reply })) => {
                if let Some(sender) = pending.remove(&request_id) {
                    let _ = sender.send(ReplicaResult::Reply(reply));
                }
            }
            Ok(Some(PeerMessage::Failure { request_id, kind, message })) => {
                if let Some(sender) = pending.remove(&request_id) {
                    let _ = sender.send(ReplicaResult::Failed(failure_from_wire(kind, message)));
                }
            }
            Ok(Some(_)) => {} // Hello, Pong, Gossip: nothing to deliver on an outgoing link
            Ok(None) => return true,
            Err(error) => {
                tracing::error!(%error, "malformed frame from peer; closing the link");
                return false;
            }
        }
    }
}
