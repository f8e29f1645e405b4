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
//!
//! Hinted handoff (issue 9.9, CRDT mode with `hints_max` > 0, [`PeerLink::start_hinted`]): a write the
//! coordinator marks hintable ([`PeerLink::call_hinted`]) that cannot be sent (peer down, connection not
//! up, queue full) is held as a hint in the link's bounded store ([`super::hints`]) while its caller
//! still gets the failure above; so is an idempotent hintable write (a CRDT write with its timestamp:
//! applying it twice changes nothing) in flight on a connection that breaks before its reply. Hints
//! are held per connection slot. While a slot holds anything, every new request of that slot
//! (hintable or not) queues behind it, so one key's requests keep their dispatch order. When the connection is up and the peer is not down,
//! its task sends what the slot holds, front to back, before the requests queued after it, with at most
//! [`REPLAY_IN_FLIGHT_MAX`] replayed requests awaiting their replies. Whether a request goes to the
//! connection's queue or to the hints is decided under the store's lock, and a connection marks itself
//! up or down under the same lock (moving what it had in flight and queued back to the front of its
//! slot), so no request can overtake an older one of its slot.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::peer::{self, FailureKind, Liveness, LivenessAction, NodeIdentity, PeerMessage};
use futures_util::FutureExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use super::handshake::{self, HandshakeError};
use super::hints::{HintLimits, HintQueues, HintStats};
use super::stream::{Connector, PeerStream};
use super::PeerRequest;
use crate::auth::{PeerSecret, SharedRandom};
use crate::gossip::{GossipInput, GossipPort};
use crate::retry::{fail_requests_until, Backoff};

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
/// Cap of the reconnect delay: a restarted peer is back within a quarter of a second (a quorum that
/// needs it fails until then), at the cost of four connection attempts per second to a dead one.
const RECONNECT_BACKOFF_MAX_MS: u64 = 250;
/// Time allowed for connect plus the TLS and Hello handshake.
const CONNECT_TIMEOUT_MS: u64 = 2_000;
/// Requests sent from a slot's hints whose replies have not arrived (replay pacing per connection).
pub const REPLAY_IN_FLIGHT_MAX: usize = 256;
/// Bytes a held request is charged besides its arguments (request frame, bookkeeping).
const HINT_REQUEST_OVERHEAD_BYTES: usize = 64;
/// Bytes a held request is charged per argument besides the argument itself.
const HINT_ARG_OVERHEAD_BYTES: usize = 16;

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
    /// `peer_secret`: what the handshake proves.
    pub secret: PeerSecret,
    /// Where handshake nonces come from.
    pub random: SharedRandom,
    /// With `enable_gossip`: where the link hands the peer's gossip answers and its reconnects.
    pub gossip: Option<GossipPort>,
}

/// Health of a peer as seen by this node, shared by its connection tasks.
pub struct LinkHealth {
    connected: AtomicUsize,
    /// Connections lost since the link started (the simulator's link sampler compares two readings to
    /// see a loss and reconnect that fell between them).
    connections_lost: AtomicU64,
    consecutive_failures: AtomicU32,
    /// Milliseconds since `epoch` until which the peer is ejected (0 = not ejected).
    ejected_until_ms: AtomicU64,
    /// Set by the admin endpoint (`/peer/down/...`): treat the peer as down until reset.
    forced_down: AtomicBool,
    /// Set by gossip while the peer is marked down (silent for `gossip_down_after`).
    gossip_down: AtomicBool,
    /// Where the peer is reached now: its seed address, or a replacement's that gossip reported.
    address: Mutex<String>,
    /// Notified when the peer connects to this node (it is up, perhaps just restarted): connections
    /// waiting out a reconnect backoff try again at once.
    heard: tokio::sync::Notify,
}

impl LinkHealth {
    fn new(address: &str) -> LinkHealth {
        LinkHealth {
            connected: AtomicUsize::new(0),
            connections_lost: AtomicU64::new(0),
            consecutive_failures: AtomicU32::new(0),
            ejected_until_ms: AtomicU64::new(0),
            forced_down: AtomicBool::new(false),
            gossip_down: AtomicBool::new(false),
            address: Mutex::new(address.to_string()),
            heard: tokio::sync::Notify::new(),
        }
    }

    /// The peer's address now.
    fn address(&self) -> String {
        self.address.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// True while gossip marks the peer down.
    pub fn is_gossip_down(&self) -> bool {
        self.gossip_down.load(Ordering::Relaxed)
    }

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

    /// True while the peer is forced down, marked down by gossip, or ejected at `now_ms` (since the
    /// link's epoch).
    fn is_down_at(&self, now_ms: u64) -> bool {
        self.forced_down.load(Ordering::Relaxed)
            || self.gossip_down.load(Ordering::Relaxed)
            || self.ejected_until_ms.load(Ordering::Relaxed) > now_ms
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
    /// Hinted handoff's store (None: hints off, today's behaviour).
    hinting: Option<Arc<Hinting>>,
    /// Gossip digests for slot 0's connection to send (gossip on only; one waits at most: a newer
    /// digest supersedes an unsent one, and a lost one is repaired by the next round).
    gossip_out: Option<mpsc::Sender<PeerMessage>>,
}

/// Digests waiting for slot 0's connection.
const GOSSIP_OUT_MAX: usize = 1;

struct LinkRequest {
    request: PeerRequest,
    reply: oneshot::Sender<ReplicaResult>,
    /// Whether it may be held (only meaningful while hinting is on).
    hint: Hint,
}

/// Whether a request may be held for the peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    /// Not a hintable write: it fails when it cannot be sent (it may wait behind held requests).
    No,
    /// A write held while it has not been sent; once sent it is not sent again (a write that is not
    /// idempotent, e.g. one CRDT mode does not cover, must not apply twice).
    Unsent,
    /// An idempotent write (a CRDT write with its timestamp): also held again when the connection it
    /// was sent on breaks before its reply.
    Idempotent,
}

impl Hint {
    fn held(self) -> bool {
        self != Hint::No
    }

    fn retained(self) -> bool {
        self == Hint::Idempotent
    }
}

/// Hinted handoff of one link: what its slots hold, and which connections are up.
struct Hinting {
    state: Mutex<HintState>,
    /// Requests held over all slots, mirrored after each change (a connection reads it without the
    /// lock to skip an empty store).
    held: AtomicUsize,
    /// Wakes the connections when the admin lifts a down mark (held requests may go out).
    peer_back: tokio::sync::Notify,
}

struct HintState {
    queues: HintQueues<Held>,
    /// Per slot: its connection is up. Set and cleared by the connection under the lock.
    up: Vec<bool>,
}

/// A request held for the peer.
struct Held {
    request: PeerRequest,
    /// The caller still waiting for the reply; None for a hint whose caller already got its failure.
    reply: Option<oneshot::Sender<ReplicaResult>>,
    /// Whether it stays held when it cannot be sent (a held read only waits for its turn).
    hint: Hint,
}

impl Hinting {
    fn new(slots: usize, limits: HintLimits) -> Hinting {
        let state = HintState { queues: HintQueues::new(slots, limits), up: vec![false; slots] };
        Hinting { state: Mutex::new(state), held: AtomicUsize::new(0), peer_back: tokio::sync::Notify::new() }
    }

    /// Runs `change` under the lock and mirrors the held count.
    fn with<R>(&self, change: impl FnOnce(&mut HintState) -> R) -> R {
        let mut state = self.lock();
        let result = change(&mut state);
        self.held.store(state.queues.len(), Ordering::Relaxed);
        result
    }

    fn lock(&self) -> MutexGuard<'_, HintState> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stats(&self) -> HintStats {
        self.lock().queues.stats()
    }
}

impl HintState {
    /// Holds `held` at the back of `slot`; callers of the requests the bound drops get their failure.
    fn hold(&mut self, slot: usize, held: Held) {
        let bytes = request_bytes(&held.request);
        let dropped = self.queues.push_back(slot, held, bytes);
        fail_dropped(dropped);
    }
}

/// Callers still waiting for dropped held requests learn that the peer is not connected.
fn fail_dropped(dropped: Vec<Held>) {
    if !dropped.is_empty() {
        tracing::debug!(dropped = dropped.len(), "hints over hints_max / hints_bytes_max: oldest dropped");
    }
    for held in dropped {
        if let Some(reply) = held.reply {
            let _ = reply.send(ReplicaResult::Failed(ReplicaFailure::PeerNotConnected));
        }
    }
}

/// The bytes a held request is charged against `hints_bytes_max`.
fn request_bytes(request: &PeerRequest) -> usize {
    HINT_REQUEST_OVERHEAD_BYTES
        + request.args().iter().map(|arg| arg.len() + HINT_ARG_OVERHEAD_BYTES).sum::<usize>()
}

impl PeerLink {
    /// Starts the connection tasks (they connect at once and keep reconnecting), without hints.
    pub fn start(settings: LinkSettings) -> PeerLink {
        PeerLink::start_hinted(settings, HintLimits { count_max: 0, bytes_max: 0 })
    }

    /// Like [`PeerLink::start`], with hinted handoff bounded by `limits` (`hints_max`,
    /// `hints_bytes_max`; the node passes them in CRDT mode only). Limits that are not
    /// [enabled](HintLimits::enabled) mean no hints.
    pub fn start_hinted(settings: LinkSettings, limits: HintLimits) -> PeerLink {
        let settings = Arc::new(settings);
        let health = Arc::new(LinkHealth::new(&settings.address));
        let epoch = tokio::time::Instant::now();
        let slots = settings.connections.max(1);
        let hinting = limits.enabled().then(|| Arc::new(Hinting::new(slots, limits)));
        let (gossip_out, mut gossip_in) = match settings.gossip {
            Some(_) => {
                let (sender, receiver) = mpsc::channel(GOSSIP_OUT_MAX);
                (Some(sender), Some(receiver))
            }
            None => (None, None),
        };
        let connections = (0..slots)
            .map(|slot| {
                let (sender, receiver) = mpsc::channel(LINK_QUEUE_MAX);
                let connection = Connection {
                    settings: settings.clone(),
                    health: health.clone(),
                    epoch,
                    slot,
                    hinting: hinting.clone(),
                };
                tokio::spawn(connection.run(receiver, gossip_in.take()));
                sender
            })
            .collect();
        PeerLink { settings, connections, health, epoch, hinting, gossip_out }
    }

    /// Hinted handoff's counters for `/info` (`hints_queued`, `hints_bytes`, `hints_replayed`,
    /// `hints_dropped`); None when hints are off for this link.
    pub fn hint_stats(&self) -> Option<HintStats> {
        self.hinting.as_ref().map(|hinting| hinting.stats())
    }

    /// The peer's address now (its seed address, or where gossip moved it).
    pub fn address(&self) -> String {
        self.health.address()
    }

    /// The address the link was started with (the peer's `dyn_seeds` entry).
    pub fn seed_address(&self) -> &str {
        &self.settings.address
    }

    /// Marks the peer down (gossip convicted it) or lifts that mark (gossip heard from it again).
    pub fn set_gossip_down(&self, down: bool) {
        self.health.gossip_down.store(down, Ordering::Relaxed);
        if !down {
            self.wake_connections();
        }
    }

    /// The peer proved itself on a connection it opened to this node: it is up. Connections waiting
    /// out a reconnect backoff try at once (a restarted peer is usable as soon as it dials us, instead
    /// of up to the backoff cap later; the simulator found quorums failing for that quarter second,
    /// monkey seed 185).
    pub fn peer_heard(&self) {
        if !dynomite_core::mutant!(PeerHeardIgnored) {
            self.health.heard.notify_waiters();
        }
    }

    /// A node at `address` took over the peer's place (same datacenter, rack and tokens): the next
    /// connections go there.
    pub fn move_to(&self, address: &str) {
        *self.health.address.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = address.to_string();
    }

    /// Queues a gossip digest for the peer on slot 0's connection, regardless of down marks (gossip is
    /// how a peer marked down is heard from again). Dropped when one is already waiting or the link
    /// has no gossip.
    pub fn send_gossip(&self, digest: PeerMessage) {
        if let Some(sender) = &self.gossip_out {
            let _ = sender.try_send(digest);
        }
    }

    /// The peer's health.
    pub fn health(&self) -> &LinkHealth {
        &self.health
    }

    /// Marks the peer down (true) or clears that mark (false), from the admin endpoint.
    pub fn force_down(&self, down: bool) {
        self.health.forced_down.store(down, Ordering::Relaxed);
        if !down {
            self.wake_connections();
        }
    }

    /// Lets the connections send what they hold now that the peer is no longer down.
    fn wake_connections(&self) {
        if let Some(hinting) = &self.hinting {
            hinting.peer_back.notify_waiters();
        }
    }

    /// Clears the admin's down mark and any auto-ejection (admin `/peer/up|reset/...`).
    pub fn reset(&self) {
        self.health.forced_down.store(false, Ordering::Relaxed);
        self.health.ejected_until_ms.store(0, Ordering::Relaxed);
        self.health.consecutive_failures.store(0, Ordering::Relaxed);
        self.wake_connections();
    }

    /// True while the peer is ejected or forced down.
    pub fn is_down(&self) -> bool {
        self.health.is_down_at(self.epoch.elapsed().as_millis() as u64)
    }

    /// Hands one request to the connection chosen by `shard` (the key's order shard or token, see
    /// [`pool_slot`](dynomite_core::request::pool_slot): one key's requests, and the keys of one
    /// multi-key fragment, share one ordered connection) before returning; the returned [`PeerCall`]
    /// yields its result.
    /// Fails at once when the peer cannot serve it (down, not connected, queue full). With hints on,
    /// a request whose slot holds hints waits behind them.
    pub fn call(&self, request: PeerRequest, shard: u32, timeout_ms: u64) -> PeerCall {
        self.dispatch(request, shard, timeout_ms, Hint::No)
    }

    /// Like [`PeerLink::call`] for a write the coordinator marks hintable. With hints on, when it
    /// cannot be sent (peer down, connection not up, queue full) it is held as a hint and replayed when
    /// the peer is back, while the caller still gets the failure at once. An `idempotent` write (a CRDT
    /// write carrying its timestamp: applying it twice changes nothing) is also held again when the
    /// connection breaks after it was sent and before its reply; any other write is sent at most once
    /// by the link. Without hints this is exactly [`PeerLink::call`].
    pub fn call_hinted(
        &self,
        request: PeerRequest,
        shard: u32,
        timeout_ms: u64,
        idempotent: bool,
    ) -> PeerCall {
        let hint = if idempotent { Hint::Idempotent } else { Hint::Unsent };
        self.dispatch(request, shard, timeout_ms, hint)
    }

    fn dispatch(&self, request: PeerRequest, shard: u32, timeout_ms: u64, hint: Hint) -> PeerCall {
        let failed =
            |failure| PeerCall { state: PeerCallState::Done(ReplicaResult::Failed(failure)), timeout_ms };
        let waiting = |receiver| PeerCall { state: PeerCallState::Waiting(receiver), timeout_ms };
        let index = dynomite_core::request::pool_slot(shard, self.connections.len());
        if let Some(hinting) = &self.hinting {
            return hinting.with(|state| {
                let down = self.is_down();
                if down || !state.up[index] {
                    if hint.held() {
                        state.hold(index, Held { request, reply: None, hint });
                    }
                    return failed(if down {
                        ReplicaFailure::PeerDown
                    } else {
                        ReplicaFailure::PeerNotConnected
                    });
                }
                let (reply, receiver) = oneshot::channel();
                if !state.queues.slot_is_empty(index) {
                    state.hold(index, Held { request, reply: Some(reply), hint });
                    return waiting(receiver);
                }
                match self.connections[index].try_send(LinkRequest { request, reply, hint }) {
                    Ok(()) => waiting(receiver),
                    Err(error) => {
                        let request = error.into_inner();
                        if hint.held() {
                            state.hold(index, Held { request: request.request, reply: None, hint });
                        }
                        failed(ReplicaFailure::PeerNotConnected)
                    }
                }
            });
        }
        if self.is_down() {
            return failed(ReplicaFailure::PeerDown);
        }
        if !self.health.is_connected() {
            return failed(ReplicaFailure::PeerNotConnected);
        }
        let (reply, receiver) = oneshot::channel();
        match self.connections[index].try_send(LinkRequest { request, reply, hint }) {
            Ok(()) => waiting(receiver),
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
    /// This connection's index among the link's (its hint slot).
    slot: usize,
    hinting: Option<Arc<Hinting>>,
}

/// A request sent on a connection whose reply has not arrived.
struct Pending {
    /// The caller waiting for the reply (None: a replayed hint nobody waits for).
    reply: Option<oneshot::Sender<ReplicaResult>>,
    /// A hintable write kept, with its bytes, until its reply arrives: held again if the connection
    /// breaks first (hints on only).
    retained: Option<Box<(PeerRequest, usize)>>,
    /// Sent from the slot's hints (counts against [`REPLAY_IN_FLIGHT_MAX`]).
    replay: bool,
}

impl Pending {
    /// True while someone still needs the reply or the request.
    fn is_wanted(&self) -> bool {
        self.retained.is_some() || self.reply.as_ref().is_some_and(|reply| !reply.is_closed())
    }
}

impl Connection {
    async fn run(
        self,
        mut requests: mpsc::Receiver<LinkRequest>,
        mut gossip: Option<mpsc::Receiver<PeerMessage>>,
    ) {
        let mut backoff = Backoff::new(RECONNECT_BACKOFF_MIN_MS, RECONNECT_BACKOFF_MAX_MS);
        loop {
            match self.connect().await {
                Ok((stream, leftover)) => {
                    backoff.reset();
                    self.health.record_connected();
                    let held = self.mark_up();
                    tracing::info!(peer = %self.settings.address, held, "peer link up");
                    if let (Some(port), Some(_)) = (&self.settings.gossip, &gossip) {
                        port.report(GossipInput::LinkUp(port.index));
                    }
                    let mut pending = BTreeMap::new();
                    let keep_running =
                        self.multiplex(stream, leftover, &mut requests, gossip.as_mut(), &mut pending).await;
                    self.health.connected.fetch_sub(1, Ordering::Relaxed);
                    self.mark_down(&mut requests, pending);
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
                if let (Some(hinting), true) = (&self.hinting, request.hint.held()) {
                    let held = Held { request: request.request, reply: None, hint: request.hint };
                    hinting.with(|state| state.hold(self.slot, held));
                }
            };
            let delay = backoff.next_delay();
            if !fail_requests_until(delay, &self.health.heard, &mut requests, not_connected).await {
                return;
            }
        }
    }

    fn record_failure(&self) {
        self.health.record_failure(&self.settings, self.now_ms());
    }

    /// The connection is up: new requests of its slot may be sent (or queue behind its hints). Returns
    /// how many requests the peer's slots hold.
    fn mark_up(&self) -> usize {
        let Some(hinting) = &self.hinting else { return 0 };
        hinting.with(|state| {
            state.up[self.slot] = true;
            state.queues.len()
        })
    }

    /// The connection broke: new requests of its slot fail (hintable writes are held). The hintable
    /// writes it had in flight (in send order) and those still queued for it go back to the front of
    /// its slot, ahead of everything held after them; callers waiting on it learn at once that the
    /// peer is not connected (held writes stay held).
    fn mark_down(&self, requests: &mut mpsc::Receiver<LinkRequest>, pending: BTreeMap<u64, Pending>) {
        let Some(hinting) = &self.hinting else { return };
        let not_connected = |reply: oneshot::Sender<ReplicaResult>| {
            let _ = reply.send(ReplicaResult::Failed(ReplicaFailure::PeerNotConnected));
        };
        hinting.with(|state| {
            state.up[self.slot] = false;
            let mut again: Vec<(Held, usize)> = Vec::new();
            let mut lost: u64 = 0;
            for (_, entry) in pending {
                match (entry.retained, entry.reply) {
                    (Some(retained), reply) => {
                        if let Some(reply) = reply {
                            not_connected(reply);
                        }
                        let (request, bytes) = *retained;
                        again.push((Held { request, reply: None, hint: Hint::Idempotent }, bytes));
                    }
                    (None, Some(reply)) => not_connected(reply),
                    (None, None) => lost += 1, // a replayed hint sent at most once
                }
            }
            while let Ok(request) = requests.try_recv() {
                not_connected(request.reply);
                if request.hint.held() {
                    let bytes = request_bytes(&request.request);
                    again.push((Held { request: request.request, reply: None, hint: request.hint }, bytes));
                }
            }
            state.queues.retain(self.slot, |held| {
                if let Some(reply) = held.reply.take() {
                    not_connected(reply);
                }
                held.hint.held()
            });
            state.queues.note_dropped(lost);
            let requeued = again.len();
            fail_dropped(state.queues.push_front(self.slot, again));
            if requeued > 0 {
                tracing::info!(
                    peer = %self.settings.address,
                    requeued,
                    held = state.queues.len(),
                    "peer link lost with hintable writes unanswered; held as hints"
                );
            }
        });
    }

    /// Milliseconds since the link's epoch (the clock of ejection and liveness).
    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Connects and runs the handshake; returns the stream and any bytes read past the `Welcome`.
    async fn connect(&self) -> std::io::Result<(PeerStream, BytesMut)> {
        let connecting = async {
            let mut stream = self.settings.connector.connect(&self.health.address()).await?;
            let settings = &self.settings;
            let leftover = handshake::open(&mut stream, &settings.secret, &*settings.random, &settings.identity)
                .await
                .map_err(|error| {
                    if matches!(error, HandshakeError::WrongProof) {
                        tracing::warn!(peer = %settings.address, %error, "peer refused: it cannot prove peer_secret");
                    }
                    std::io::Error::new(std::io::ErrorKind::PermissionDenied, error.to_string())
                })?;
            Ok((stream, leftover))
        };
        match tokio::time::timeout(Duration::from_millis(CONNECT_TIMEOUT_MS), connecting).await {
            Ok(result) => result,
            Err(_) => Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "peer connect timed out")),
        }
    }
}

impl Connection {
    /// Runs one connection until it breaks or goes silent (true: reconnect) or the link is dropped
    /// (false). Pending requests of a broken connection fail at once: the caller drops `pending` (or
    /// holds its hintable writes again, [`Connection::mark_down`]), which callers see as `Peer Node is
    /// not connected`.
    async fn multiplex(
        &self,
        mut stream: PeerStream,
        mut read_buffer: BytesMut,
        requests: &mut mpsc::Receiver<LinkRequest>,
        mut gossip: Option<&mut mpsc::Receiver<PeerMessage>>,
        pending: &mut BTreeMap<u64, Pending>,
    ) -> bool {
        let mut next_request_id: u64 = 1;
        let mut replays_in_flight: usize = 0;
        read_buffer.reserve(READ_CHUNK_BYTES);
        let mut write_buffer = BytesMut::with_capacity(16 * 1024);
        let mut liveness = Liveness::new(self.now_ms(), self.settings.heartbeat_timeout_ms);
        let stall_ms = liveness.timeout_ms();
        let check = tokio::time::sleep_until(self.at(liveness.next_check_ms()));
        tokio::pin!(check);
        loop {
            if pending.len() >= IN_FLIGHT_MAX {
                pending.retain(|_, entry| entry.is_wanted()); // callers that timed out
                replays_in_flight = pending.values().filter(|entry| entry.replay).count();
            }
            if self.hinting.is_some()
                && replays_in_flight < REPLAY_IN_FLIGHT_MAX
                && pending.len() < IN_FLIGHT_MAX
            {
                write_buffer.clear();
                let sent = self.send_held(
                    requests,
                    replays_in_flight,
                    &mut next_request_id,
                    pending,
                    &mut write_buffer,
                );
                replays_in_flight += sent;
                if !write_buffer.is_empty() {
                    if write_within(&mut stream, &write_buffer, stall_ms).await.is_err() {
                        return true;
                    }
                    liveness.sent(self.now_ms());
                }
            }
            let can_send = pending.len() < IN_FLIGHT_MAX;
            tokio::select! {
                biased;
                read = stream.read_buf(&mut read_buffer) => {
                    match read {
                        Ok(0) | Err(_) => return true,
                        Ok(_) => liveness.heard(self.now_ms()),
                    }
                    let mut replays = Replays::default();
                    match deliver_replies(&mut read_buffer, pending, &mut replays, self.settings.gossip.as_ref()) {
                        Delivered::Malformed => return true,
                        Delivered::Replies => self.health.record_success(),
                        Delivered::Nothing => {}
                    }
                    replays_in_flight -= replays.answered.min(replays_in_flight);
                    if replays.refused > 0 {
                        if let Some(hinting) = &self.hinting {
                            hinting.with(|state| state.queues.note_dropped(replays.refused as u64));
                        }
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
                _ = self.peer_back(), if self.hinting.is_some() => {} // send what the slot holds
                digest = next_digest(&mut gossip) => {
                    let Some(digest) = digest else { return false };
                    write_buffer.clear();
                    peer::encode(&digest, &mut write_buffer);
                    if write_within(&mut stream, &write_buffer, stall_ms).await.is_err() {
                        return true;
                    }
                    liveness.sent(self.now_ms());
                }
                request = requests.recv(), if can_send => {
                    let Some(request) = request else { return false };
                    write_buffer.clear();
                    self.queue_live(request, &mut next_request_id, pending, &mut write_buffer);
                    while write_buffer.len() < WRITE_BATCH_BYTES_MAX && pending.len() < IN_FLIGHT_MAX {
                        match requests.try_recv() {
                            Ok(request) => self.queue_live(request, &mut next_request_id, pending, &mut write_buffer),
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

    /// Completes when the admin lifts the peer's down mark or ejection ([`PeerLink::force_down`],
    /// [`PeerLink::reset`]) while hints are on (an ejection that expires is noticed at the next
    /// liveness check).
    async fn peer_back(&self) {
        match &self.hinting {
            Some(hinting) => hinting.peer_back.notified().await,
            None => std::future::pending().await,
        }
    }

    /// The instant `ms` milliseconds after the link's epoch.
    fn at(&self, ms: u64) -> tokio::time::Instant {
        self.epoch + Duration::from_millis(ms)
    }

    /// Encodes one request from the connection's queue into `out` (a hintable write is retained
    /// while hints are on).
    fn queue_live(
        &self,
        request: LinkRequest,
        next_request_id: &mut u64,
        pending: &mut BTreeMap<u64, Pending>,
        out: &mut BytesMut,
    ) {
        let retain = request.hint.retained() && self.hinting.is_some();
        queue_request(request.request, Some(request.reply), retain, false, next_request_id, pending, out);
    }

    /// Sends what this slot holds, front to back, into `out`, while the peer is not down: first the
    /// requests queued on the connection before the slot held anything (they are older), then held
    /// ones, up to [`REPLAY_IN_FLIGHT_MAX`] replays in flight, one write batch and
    /// [`IN_FLIGHT_MAX`]. Returns how many held requests were sent.
    fn send_held(
        &self,
        requests: &mut mpsc::Receiver<LinkRequest>,
        replays_in_flight: usize,
        next_request_id: &mut u64,
        pending: &mut BTreeMap<u64, Pending>,
        out: &mut BytesMut,
    ) -> usize {
        let Some(hinting) = &self.hinting else { return 0 };
        if hinting.held.load(Ordering::Relaxed) == 0 || self.health.is_down_at(self.now_ms()) {
            return 0;
        }
        hinting.with(|state| {
            if state.queues.slot_is_empty(self.slot) {
                return 0;
            }
            while pending.len() < IN_FLIGHT_MAX {
                match requests.try_recv() {
                    Ok(request) => self.queue_live(request, next_request_id, pending, out),
                    Err(_) => break,
                }
            }
            let mut sent = 0;
            while replays_in_flight + sent < REPLAY_IN_FLIGHT_MAX
                && out.len() < WRITE_BATCH_BYTES_MAX
                && pending.len() < IN_FLIGHT_MAX
            {
                let Some((held, _)) = state.queues.pop_front(self.slot) else { break };
                state.queues.note_replayed(1);
                if held.reply.is_none() && dynomite_core::mutant!(HintsNeverReplayed) {
                    continue; // deliberately wrong: the hint is counted as replayed but never sent
                }
                if !held.hint.held() && held.reply.as_ref().is_none_or(|reply| reply.is_closed()) {
                    continue; // a held read whose caller gave up
                }
                let retain = held.hint.retained();
                queue_request(held.request, held.reply, retain, true, next_request_id, pending, out);
                sent += 1;
            }
            sent
        })
    }
}

/// The next gossip digest to send (pending forever on a connection that does not carry gossip).
async fn next_digest(gossip: &mut Option<&mut mpsc::Receiver<PeerMessage>>) -> Option<PeerMessage> {
    match gossip {
        Some(receiver) => receiver.recv().await,
        None => std::future::pending().await,
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

/// Encodes `request` into `out` under the next request id and records it in `pending` (with a copy of
/// the request when `retain`, and marked as a replay when `replay`).
fn queue_request(
    request: PeerRequest,
    reply: Option<oneshot::Sender<ReplicaResult>>,
    retain: bool,
    replay: bool,
    next_request_id: &mut u64,
    pending: &mut BTreeMap<u64, Pending>,
    out: &mut BytesMut,
) {
    let request_id = *next_request_id;
    *next_request_id += 1;
    let retained = retain.then(|| {
        let bytes = request_bytes(&request);
        Box::new((request.clone(), bytes))
    });
    let message = request.into_message(request_id);
    if let Err(error) = peer::check_encodable(&message) {
        // Too big for one peer frame: refuse this request instead of breaking the link for all.
        if let Some(reply) = reply {
            let _ = reply.send(ReplicaResult::Failed(ReplicaFailure::Datastore(format!(
                "request cannot be sent to a replica: {error}"
            ))));
        }
        return;
    }
    peer::encode(&message, out);
    pending.insert(request_id, Pending { reply, retained, replay });
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

/// Replies to replayed requests found by [`deliver_replies`].
#[derive(Default)]
struct Replays {
    /// Replayed requests answered (reply or failure).
    answered: usize,
    /// Replayed hints (nobody waiting) the peer answered with a failure: lost, counted as dropped.
    refused: usize,
}

/// Hands every complete reply in `buffer` to its caller.
fn deliver_replies(
    buffer: &mut BytesMut,
    pending: &mut BTreeMap<u64, Pending>,
    replays: &mut Replays,
    gossip: Option<&GossipPort>,
) -> Delivered {
    let mut delivered = Delivered::Nothing;
    loop {
        match peer::decode(buffer) {
            Ok(Some(PeerMessage::Response { request_id, reply })) => {
                delivered = Delivered::Replies;
                if let Some(entry) = pending.remove(&request_id) {
                    replays.answered += usize::from(entry.replay);
                    if let Some(sender) = entry.reply {
                        let _ = sender.send(ReplicaResult::Reply(reply));
                    }
                }
            }
            Ok(Some(PeerMessage::Failure { request_id, kind, message })) => {
                delivered = Delivered::Replies;
                if let Some(entry) = pending.remove(&request_id) {
                    replays.answered += usize::from(entry.replay);
                    match entry.reply {
                        Some(sender) => {
                            let _ = sender.send(ReplicaResult::Failed(failure_from_wire(kind, message)));
                        }
                        None if entry.replay => {
                            tracing::debug!(?kind, %message, "peer refused a replayed hint; dropped");
                            replays.refused += 1;
                        }
                        None => {}
                    }
                }
            }
            Ok(Some(PeerMessage::Gossip { entries, .. })) => {
                // The peer's answer to our digest (push-pull).
                if let Some(port) = gossip {
                    port.report(GossipInput::Digest(entries));
                }
            }
            Ok(Some(_)) => {} // Hello, Pong: nothing to deliver on an outgoing link
            Ok(None) => return delivered,
            Err(error) => {
                tracing::error!(%error, "malformed frame from peer; closing the link");
                return Delivered::Malformed;
            }
        }
    }
}
