//! One dynomite node: binds its client listener, owns its datastore, and runs until shutdown.
//!
//! `Node::bind` and `Node::serve` are separate so callers (the CLI, the local cluster, the simulator,
//! tests) can learn the bound address (port 0 picks a free one) before the node starts serving.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};

use dynomite_core::cluster::LocalState;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dynomite_core::config::{Config, Consistency, DataStore};
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::peer::NodeIdentity;
use dynomite_core::ring::{key_token, NodeId, PeerNode, Topology};
use tokio::net::TcpListener;

use crate::client_tls::ClientTlsAcceptor;
use crate::coordinator::Levels;
use crate::crdt::Crdt;
use crate::peer::hints::HintLimits;
use crate::peer::link::{LinkSettings, PeerLink};
use crate::peer::stream::{self, Acceptor};

use crate::auth::{ClientAuth, OsRandom, Password, PeerSecret, SharedRandom};
use crate::clock::SharedClock;
use crate::datastore::{Datastore, EmbeddedStore, RedisPool, RedisTarget};

/// How often the embedded engine's active expiry runs.
const ACTIVE_EXPIRY_INTERVAL_MS: u64 = 100;
/// Keys the embedded engine's active expiry may remove per run (bounds the pause).
const ACTIVE_EXPIRY_KEYS_MAX: usize = 200;
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY_DELAY_MS: u64 = 50;
/// What a client over `client_connections` reads before its connection closes (Redis's text).
pub(crate) const MAX_CLIENTS_REACHED: &[u8] = b"-ERR max number of clients reached\r\n";
/// Time allowed to write that refusal.
const REFUSAL_WRITE_TIMEOUT_MS: u64 = 1_000;

/// Counters shown by `INFO` (and the admin `/info` endpoint).
#[derive(Debug, Default)]
pub struct Stats {
    /// Client connections accepted since start.
    pub connections_total: AtomicU64,
    /// Client connections open now.
    pub connections_current: AtomicU64,
    /// Client connections refused because `client_connections` were already open.
    pub connections_rejected: AtomicU64,
    /// Requests parsed from clients.
    pub requests: AtomicU64,
    /// Requests refused by the proxy (unknown or unsupported command, wrong arity).
    pub requests_rejected: AtomicU64,
    /// Connections closed because of malformed RESP.
    pub protocol_errors: AtomicU64,
    /// Reads answered by merging the replicas' CRDT states (read repair).
    pub read_repair_reads: AtomicU64,
    /// Read-repaired reads that found at least one stale replica.
    pub read_repairs: AtomicU64,
    /// Merges written back to stale replicas by read repair.
    pub read_repair_writes: AtomicU64,
    /// DC_SAFE_QUORUM counter ops whose replicas disagreed and were settled (`crate::counter`).
    pub counter_settles: AtomicU64,
    /// Client `AUTH` (or `HELLO ... AUTH`) attempts with a wrong password.
    pub auth_failures: AtomicU64,
    /// Peer connections closed in the handshake (wrong proof of `peer_secret`, not a peer, too slow).
    pub peer_connections_refused: AtomicU64,
    /// Connections to `client_tls_listen` closed before the TLS handshake completed (plain text,
    /// untrusted or missing client certificate, too slow).
    pub tls_handshake_failures: AtomicU64,
}

impl Stats {
    /// One more request parsed.
    pub fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }
    /// One more request refused.
    pub fn count_rejected(&self) {
        self.requests_rejected.fetch_add(1, Ordering::Relaxed);
    }
    /// One more wrong client password.
    pub fn count_auth_failure(&self) {
        self.auth_failures.fetch_add(1, Ordering::Relaxed);
    }
    /// One more peer connection refused in the handshake.
    pub fn count_peer_refused(&self) {
        self.peer_connections_refused.fetch_add(1, Ordering::Relaxed);
    }
    /// One more client TLS connection refused before its handshake completed.
    pub fn count_tls_handshake_failure(&self) {
        self.tls_handshake_failures.fetch_add(1, Ordering::Relaxed);
    }
    /// One more connection closed on malformed input.
    pub fn count_protocol_error(&self) {
        self.protocol_errors.fetch_add(1, Ordering::Relaxed);
    }
    /// Counts a new client connection unless `limit` (`client_connections`, 0 = none) are open
    /// already; false (and counted as rejected) when it must be refused.
    pub(crate) fn admit_connection(&self, limit: u32) -> bool {
        let admitted = self.connections_current.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |open| {
            (limit == 0 || open < u64::from(limit)).then_some(open + 1)
        });
        match admitted {
            Ok(_) => {
                self.connections_total.fetch_add(1, Ordering::Relaxed);
                true
            }
            Err(_) => {
                self.connections_rejected.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }
    /// A client connection ended.
    pub fn count_disconnect(&self) {
        self.connections_current.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Smallest timeout factor (C Dynomite's `g_timeout_factor` range is 1..=10).
pub const TIMEOUT_FACTOR_MIN: u8 = 1;
/// Largest timeout factor.
pub const TIMEOUT_FACTOR_MAX: u8 = 10;

/// State shared by every task of one node.
pub struct NodeShared {
    /// The validated configuration.
    pub config: Config,
    /// Datacenters, racks, nodes and their tokens (this node and its `dyn_seeds`).
    pub topology: Topology,
    /// Outgoing links to every other node, indexed by `NodeId` (None for this node).
    peers: Vec<Option<PeerLink>>,
    /// The node's read/write consistency, changeable at runtime (admin endpoint).
    consistency: RwLock<Levels>,
    /// Where the data lives.
    pub datastore: Datastore,
    /// The node's clock (skewed per node in the simulator).
    pub clock: SharedClock,
    /// Simulator hook: told how each replicated request was decided.
    pub observer: Option<DecisionObserver>,
    /// Counters for INFO.
    pub stats: Stats,
    /// Background repair's status and requests (`/repair/...`); idle without `crdt_enabled`.
    pub repair: Arc<crate::repair::Repair>,
    /// CRDT mode (`crdt_enabled`): the node's clock and id; None when off.
    pub crdt: Option<Crdt>,
    /// Read repair switch: `read_repairs_enabled`, changed at runtime by `/read_repairs/...`.
    read_repairs: AtomicBool,
    /// `requirepass` and `users`: who clients may `AUTH` as.
    pub client_auth: ClientAuth,
    /// `admin_token`: what the mutating admin endpoints require; None = open.
    pub admin_token: Option<Password>,
    /// `peer_secret`: what peer links prove in the handshake.
    pub peer_secret: PeerSecret,
    /// Random source (handshake nonces).
    pub random: SharedRandom,
    /// [`LocalState`] code: what this node serves (admin `/state/...`); NORMAL at start.
    local_state: AtomicU8,
    started_ms: u64,
    next_client_id: AtomicU64,
    /// Histograms and request counters (`/info`, `/metrics`).
    pub metrics: crate::metrics::Metrics,
    /// C's timeout factor (`/set_timeout_factor/N`, 1..=10): every request timeout is `timeout` × it.
    timeout_factor: AtomicU8,
    /// Gossip membership and failure detection (`enable_gossip`); None when off.
    pub gossip: Option<Arc<crate::gossip::Gossip>>,
}

impl NodeShared {
    /// Seconds since the node started, by its clock.
    pub fn uptime_seconds(&self) -> u64 {
        self.clock.now_ms().saturating_sub(self.started_ms) / 1000
    }
}

impl NodeShared {
    /// A fresh id for a client connection.
    pub fn next_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// The link to peer `id`, None for this node.
    pub fn peer(&self, id: NodeId) -> Option<&PeerLink> {
        self.peers.get(id.0 as usize).and_then(Option::as_ref)
    }

    /// The link to the node at a place on the ring (datacenter, rack, tokens), if it is a peer.
    pub fn peer_at(&self, datacenter: &str, rack: &str, tokens: &[u32]) -> Option<&PeerLink> {
        let index = self.topology.nodes().iter().position(|member| {
            member.datacenter == datacenter && member.rack == rack && member.tokens == tokens
        })?;
        self.peer(NodeId(index as u32))
    }

    /// Every peer link with its node id.
    pub fn peer_links(&self) -> impl Iterator<Item = (NodeId, &PeerLink)> {
        self.peers
            .iter()
            .enumerate()
            .filter_map(|(index, link)| link.as_ref().map(|link| (NodeId(index as u32), link)))
    }

    /// The node's current read and write consistency.
    pub fn consistency(&self) -> Levels {
        *self.consistency.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the node's read consistency (admin `/set_consistency/read/...`).
    pub fn set_read_consistency(&self, level: Consistency) {
        self.consistency.write().unwrap_or_else(|poisoned| poisoned.into_inner()).read = level;
    }

    /// Changes the node's write consistency (admin `/set_consistency/write/...`).
    pub fn set_write_consistency(&self, level: Consistency) {
        self.consistency.write().unwrap_or_else(|poisoned| poisoned.into_inner()).write = level;
    }

    /// What this node serves (`/state/...`).
    pub fn local_state(&self) -> LocalState {
        LocalState::from_code(self.local_state.load(Ordering::Relaxed))
    }

    /// Changes what this node serves (admin `/state/<state>`).
    pub fn set_local_state(&self, state: LocalState) {
        self.local_state.store(state.code(), Ordering::Relaxed);
    }

    /// True when quorum reads repair replicas (read repair switched on, and CRDT mode).
    pub fn read_repairs_enabled(&self) -> bool {
        self.crdt.is_some() && self.read_repairs.load(Ordering::Relaxed)
    }

    /// Switches read repair (admin `/read_repairs/{enable|disable}`). False, and nothing changes, when
    /// asked to enable it without CRDT mode (there is no metadata to merge).
    pub fn set_read_repairs(&self, enabled: bool) -> bool {
        if enabled && self.crdt.is_none() {
            return false;
        }
        self.read_repairs.store(enabled, Ordering::Relaxed);
        true
    }

    /// The key's token on the ring, with the configured hash and hash tag.
    pub fn token_of(&self, key: &[u8]) -> u32 {
        key_token(key, self.config.hash, self.config.hash_tag)
    }

    /// The request timeout: `timeout` × the timeout factor (C's `msg_tmo_insert`).
    pub fn timeout_ms(&self) -> u64 {
        self.config.timeout_ms.saturating_mul(u64::from(self.timeout_factor()))
    }

    /// C's timeout factor, 1..=10 (`/get_timeout_factor`).
    pub fn timeout_factor(&self) -> u8 {
        self.timeout_factor.load(Ordering::Relaxed)
    }

    /// Sets the timeout factor (`/set_timeout_factor/N`); it must be in
    /// [`TIMEOUT_FACTOR_MIN`]..=[`TIMEOUT_FACTOR_MAX`] (the admin route checks).
    pub fn set_timeout_factor(&self, factor: u8) {
        assert!((TIMEOUT_FACTOR_MIN..=TIMEOUT_FACTOR_MAX).contains(&factor), "timeout factor {factor}");
        self.timeout_factor.store(factor, Ordering::Relaxed);
    }

    /// The `# Dynomite` section of `INFO`.
    pub fn info_section(&self) -> String {
        let uptime_seconds = self.clock.now_ms().saturating_sub(self.started_ms) / 1000;
        let stats = &self.stats;
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        format!(
            "# Dynomite\r\nproxy:dynomite-rs\r\nproxy_version:{}\r\nuptime_in_seconds:{}\r\ndatacenter:{}\r\n\
             rack:{}\r\ndatastore:{}\r\nconnected_clients:{}\r\ntotal_connections_received:{}\r\n\
             rejected_connections:{}\r\ntotal_requests:{}\r\nrejected_requests:{}\r\nprotocol_errors:{}\r\n\
             crdt_enabled:{}\r\nread_repairs_enabled:{}\r\nread_repair_reads:{}\r\nread_repairs:{}\r\n\
             read_repair_writes:{}\r\ncounter_settles:{}\r\ntls_handshake_failures:{}\r\n{}",
            env!("CARGO_PKG_VERSION"),
            uptime_seconds,
            self.config.datacenter,
            self.config.rack,
            self.datastore.kind(),
            load(&stats.connections_current),
            load(&stats.connections_total),
            load(&stats.connections_rejected),
            load(&stats.requests),
            load(&stats.requests_rejected),
            load(&stats.protocol_errors),
            u8::from(self.crdt.is_some()),
            u8::from(self.read_repairs_enabled()),
            load(&stats.read_repair_reads),
            load(&stats.read_repairs),
            load(&stats.read_repair_writes),
            load(&stats.counter_settles),
            load(&stats.tls_handshake_failures),
            self.gossip_info(),
        )
    }

    /// The gossip lines of `INFO`: `gossip_enabled`, and with gossip on this node's generation and
    /// heartbeat and the members up and down.
    fn gossip_info(&self) -> String {
        let Some(gossip) = &self.gossip else { return "gossip_enabled:0\r\n".to_string() };
        let summary = gossip.summary();
        format!(
            "gossip_enabled:1\r\ngossip_generation:{}\r\ngossip_heartbeat:{}\r\ngossip_members:{}\r\n\
             gossip_members_down:{}\r\n",
            summary.generation,
            summary.heartbeat,
            summary.members,
            summary.count("DOWN")
        )
    }
}

/// Per outgoing peer link (local node, peer): a wrapper for every stream the link opens, or None.
/// The simulator's hook for per-link latency (a delaying stream around the real one, so the link code
/// is the production code); see [`crate::peer::stream::Connector::Wrapped`].
pub type PeerStreamWrappers =
    Arc<dyn Fn(&PeerNode, &PeerNode) -> Option<stream::StreamWrapper> + Send + Sync>;

/// What a node takes besides its configuration.
pub struct NodeOptions {
    /// Its clock.
    pub clock: SharedClock,
    /// Wraps peer streams per link (simulator only; None in production).
    pub peer_stream_wrapper: Option<PeerStreamWrappers>,
    /// Told about every replicated request's decision (simulator checkers); None in production.
    pub observer: Option<DecisionObserver>,
    /// Its random source: the operating system's in production, a seeded one in the simulator.
    pub random: SharedRandom,
}

impl NodeOptions {
    /// Production options: this clock, the OS random source, no hooks.
    pub fn new(clock: SharedClock) -> NodeOptions {
        NodeOptions { clock, peer_stream_wrapper: None, observer: None, random: Arc::new(OsRandom::new()) }
    }
}

/// How one replicated request was decided, as the coordinator saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// The coordinating node.
    pub node: NodeId,
    /// The level the request ran at.
    pub consistency: Consistency,
    /// Read or write.
    pub access: dynomite_core::command::Access,
    /// Replicas whose answers decide (1 at DC_ONE, else the local datacenter's racks).
    pub replicas: usize,
    /// The deciding replicas that had answered with a reply when the decision was made.
    pub acknowledgements: Vec<NodeId>,
    /// True when the client got the replicas' reply, false for an error.
    pub succeeded: bool,
    /// The client connection the request came on (its `CLIENT ID`).
    pub connection_id: u64,
    /// The request's 1-based position among the requests parsed on that connection (every request
    /// counts, DYNO_CONFIG and proxy-answered ones included). Fragments of one multi-key request
    /// share it.
    pub request_sequence: u64,
    /// CRDT mode: the write's HLC timestamp (one per client write, shared by its fragments); None for
    /// reads, for writes no CRDT script covers, and with CRDT mode off.
    pub timestamp: Option<Timestamp>,
}

/// Receives [`Decision`]s.
pub type DecisionObserver = Arc<dyn Fn(Decision) + Send + Sync>;

/// A node whose listeners are bound but not yet serving.
pub struct Node {
    client_listener: TcpListener,
    peer_listener: TcpListener,
    admin_listener: TcpListener,
    /// Accepts peer links, plain or TLS (`secure_server_option`).
    peer_acceptor: Acceptor,
    /// The client TLS listener and its (reloadable) acceptor, with `client_tls_listen`.
    client_tls: Option<(TcpListener, Arc<ClientTlsAcceptor>)>,
    shared: Arc<NodeShared>,
    /// Gossip driver's inbox, handed to its task by `serve` (gossip on only).
    gossip_inbox: Option<tokio::sync::mpsc::Receiver<crate::gossip::GossipInput>>,
}

impl Node {
    /// Binds the client listener and sets up the datastore (connections open lazily unless
    /// `preconnect` is set). Must run inside a tokio runtime.
    pub async fn bind(config: Config, clock: SharedClock) -> std::io::Result<Node> {
        Node::bind_with(config, NodeOptions::new(clock)).await
    }

    /// [`Node::bind`] with the simulator's hooks.
    pub async fn bind_with(config: Config, options: NodeOptions) -> std::io::Result<Node> {
        let NodeOptions { clock, peer_stream_wrapper, observer, random } = options;
        let topology = Topology::from_config(&config)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error.to_string()))?;
        let client_listener = bind_listener(&config.listen.to_string(), config.backlog).await?;
        let peer_listener = bind_listener(&config.dyn_listen.to_string(), config.backlog).await?;
        let admin_listener = TcpListener::bind(config.stats_listen.to_string()).await?;
        let client_tls = match &config.client_tls {
            Some(settings) => {
                let acceptor = ClientTlsAcceptor::load(settings.clone()).map_err(|error| {
                    std::io::Error::new(std::io::ErrorKind::InvalidInput, error.to_string())
                })?;
                let listener =
                    bind_listener(&settings.listen.to_string(), config.backlog).await.map_err(|error| {
                        std::io::Error::new(
                            error.kind(),
                            format!("client_tls_listen {}: {error}", settings.listen),
                        )
                    })?;
                Some((listener, Arc::new(acceptor)))
            }
            None => None,
        };
        let datastore = match (config.data_store, &config.server) {
            (DataStore::Redis, Some(server)) => Datastore::Redis(RedisPool::start(
                RedisTarget {
                    address: format!("{}:{}", server.host, server.port),
                    password: config.datastore_password.clone(),
                    preconnect: config.preconnect,
                    scripts: crate::crdt::script_set(&config),
                },
                config.datastore_connections,
            )),
            (DataStore::Redis, None) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "data_store redis needs `servers: - host:port:weight`",
                ))
            }
            (DataStore::Embedded, _) => Datastore::Embedded(EmbeddedStore::with_scripts(
                clock.clone(),
                crate::crdt::script_set(&config),
            )),
        };
        let started_ms = clock.now_ms();
        let tls_error = |error: stream::TlsSetupError| {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, error.to_string())
        };
        let peer_acceptor = stream::acceptor(&config).map_err(tls_error)?;
        let peer_secret = PeerSecret::new(config.peer_secret.as_deref());
        let (gossip, gossip_inbox) = match crate::gossip::Gossip::for_config(&config, &topology, started_ms) {
            Some(start) => (Some(start.gossip), Some(start.inbox)),
            None => (None, None),
        };
        let links = LinkAuth { secret: peer_secret.clone(), random: random.clone(), gossip: gossip.clone() };
        let peers =
            start_peer_links(&config, &topology, peer_stream_wrapper.as_ref(), &links).map_err(tls_error)?;
        let consistency =
            RwLock::new(Levels { read: config.read_consistency, write: config.write_consistency });
        let crdt = Crdt::for_config(&config);
        let read_repairs = AtomicBool::new(config.read_repairs_enabled);
        let repair = Arc::new(crate::repair::Repair::new(config.crdt_enabled, config.repair_rate));
        let client_auth = ClientAuth::new(config.client_password.as_deref(), &config.client_users);
        let admin_token = config.admin_token.as_deref().map(Password::new);
        let metrics = crate::metrics::Metrics::new(peers.len());
        let shared = Arc::new(NodeShared {
            config,
            topology,
            peers,
            consistency,
            datastore,
            clock,
            observer,
            stats: Stats::default(),
            repair,
            crdt,
            read_repairs,
            client_auth,
            admin_token,
            peer_secret,
            random,
            local_state: AtomicU8::new(LocalState::Normal.code()),
            started_ms,
            next_client_id: AtomicU64::new(0),
            metrics,
            timeout_factor: AtomicU8::new(TIMEOUT_FACTOR_MIN),
            gossip,
        });
        Ok(Node {
            client_listener,
            peer_listener,
            admin_listener,
            peer_acceptor,
            client_tls,
            shared,
            gossip_inbox,
        })
    }

    /// The address peers connect to.
    pub fn peer_address(&self) -> std::io::Result<SocketAddr> {
        self.peer_listener.local_addr()
    }

    /// The admin HTTP address.
    pub fn admin_address(&self) -> std::io::Result<SocketAddr> {
        self.admin_listener.local_addr()
    }

    /// The address clients connect to.
    pub fn client_address(&self) -> std::io::Result<SocketAddr> {
        self.client_listener.local_addr()
    }

    /// The address TLS clients connect to (`client_tls_listen`), if configured.
    pub fn client_tls_address(&self) -> Option<std::io::Result<SocketAddr>> {
        self.client_tls.as_ref().map(|(listener, _)| listener.local_addr())
    }

    /// The client TLS acceptor, whose `reload` re-reads the certificate files (SIGHUP).
    pub fn client_tls_acceptor(&self) -> Option<Arc<ClientTlsAcceptor>> {
        self.client_tls.as_ref().map(|(_, acceptor)| acceptor.clone())
    }

    /// State shared with the node's tasks (for tests and the admin endpoint).
    pub fn shared(&self) -> Arc<NodeShared> {
        self.shared.clone()
    }

    /// Serves clients until `shutdown` completes.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) {
        let Node {
            client_listener,
            peer_listener,
            admin_listener,
            peer_acceptor,
            client_tls,
            shared,
            gossip_inbox,
        } = self;
        if let Some(inbox) = gossip_inbox {
            crate::gossip::spawn(&shared, inbox);
        }
        if let Datastore::Embedded(_) = shared.datastore {
            tokio::spawn(active_expiry(shared.clone()));
        }
        let (stop_listeners, listeners_stopped) = tokio::sync::watch::channel(false);
        let mut peers_stopped = listeners_stopped.clone();
        let peers_shutdown = async move {
            let _ = peers_stopped.wait_for(|stopped| *stopped).await;
        };
        tokio::spawn(crate::peer::server::serve(
            peer_listener,
            peer_acceptor,
            shared.clone(),
            peers_shutdown,
        ));
        if let Some((listener, acceptor)) = client_tls {
            let mut tls_stopped = listeners_stopped.clone();
            let tls_shutdown = async move {
                let _ = tls_stopped.wait_for(|stopped| *stopped).await;
            };
            tokio::spawn(crate::client_tls::serve(listener, acceptor, shared.clone(), tls_shutdown));
        }
        let mut admin_stopped = listeners_stopped;
        let admin_shutdown = async move {
            let _ = admin_stopped.wait_for(|stopped| *stopped).await;
        };
        tokio::spawn(crate::admin::serve(admin_listener, shared.clone(), admin_shutdown));
        crate::repair::spawn(&shared);
        tracing::info!(
            listen = %shared.config.listen,
            datastore = shared.datastore.kind(),
            dc = %shared.config.datacenter,
            rack = %shared.config.rack,
            "node serving"
        );
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                _ = &mut shutdown => break,
                accepted = client_listener.accept() => match accepted {
                    Ok((stream, _peer)) => {
                        if shared.stats.admit_connection(shared.config.client_connections) {
                            tokio::spawn(crate::client::serve(stream, shared.clone()));
                        } else {
                            tokio::spawn(refuse_client(stream));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_DELAY_MS)).await;
                    }
                },
            }
        }
        let _ = stop_listeners.send(true);
        tracing::info!(listen = %shared.config.listen, "node stopped accepting clients");
    }
}

/// Answers a client over `client_connections` as Redis does, then closes its connection.
async fn refuse_client(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let refusal = async {
        stream.write_all(MAX_CLIENTS_REACHED).await?;
        stream.flush().await
    };
    let _ = tokio::time::timeout(Duration::from_millis(REFUSAL_WRITE_TIMEOUT_MS), refusal).await;
}

/// Binds a listener whose queue of pending connections holds `backlog` (the `backlog` key).
#[cfg(not(madsim))]
async fn bind_listener(address: &str, backlog: u32) -> std::io::Result<TcpListener> {
    let mut last_error = None;
    for address in tokio::net::lookup_host(address).await? {
        let socket = if address.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        // As TcpListener::bind does on Unix: a restarted node can bind while old connections linger.
        #[cfg(unix)]
        socket.set_reuseaddr(true)?;
        match socket.bind(address) {
            Ok(()) => return socket.listen(backlog),
            Err(error) => last_error = Some(error),
        }
    }
    Err(last_error.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{address} resolves to no address"))
    }))
}

/// Binds a listener. The simulator's (madsim's) network has no `TcpSocket` and no listen queue to
/// size, so `backlog` has no simulated counterpart.
#[cfg(madsim)]
async fn bind_listener(address: &str, _backlog: u32) -> std::io::Result<TcpListener> {
    TcpListener::bind(address).await
}

/// One link per other node: local-DC peers get `local_peer_connections`, remote ones
/// `remote_peer_connections`.
fn start_peer_links(
    config: &Config,
    topology: &Topology,
    wrappers: Option<&PeerStreamWrappers>,
    auth: &LinkAuth,
) -> Result<Vec<Option<PeerLink>>, stream::TlsSetupError> {
    let local = topology.local();
    let identity = NodeIdentity {
        datacenter: local.datacenter.clone(),
        rack: local.rack.clone(),
        address: local.address.to_string(),
        tokens: local.tokens.clone(),
    };
    topology
        .nodes()
        .iter()
        .enumerate()
        .map(|(index, peer)| {
            if peer.is_local {
                return Ok(None);
            }
            let mut connector = stream::connector_for(config, local, peer)?;
            if let Some(wrap) = wrappers.and_then(|wrappers| wrappers(local, peer)) {
                connector = connector.wrapped(wrap);
            }
            let connections = if peer.datacenter == local.datacenter {
                config.local_peer_connections
            } else {
                config.remote_peer_connections
            };
            Ok(Some(PeerLink::start_hinted(
                LinkSettings {
                    address: peer.address.to_string(),
                    connections,
                    identity: identity.clone(),
                    connector,
                    auto_eject: config.auto_eject_hosts,
                    failure_limit: config.server_failure_limit,
                    retry_timeout_ms: config.server_retry_timeout_ms,
                    heartbeat_timeout_ms: config.peer_heartbeat_timeout_ms,
                    secret: auth.secret.clone(),
                    random: auth.random.clone(),
                    gossip: auth.gossip.as_ref().map(|gossip| gossip.port(index)),
                },
                hint_limits(config),
            )))
        })
        .collect()
}

/// What every outgoing link proves with, and draws its nonces from.
struct LinkAuth {
    secret: PeerSecret,
    random: SharedRandom,
    /// Gossip's driver, which each link reports to (gossip on only).
    gossip: Option<Arc<crate::gossip::Gossip>>,
}

/// Hinted handoff's bounds per peer: `hints_max` and `hints_bytes_max` in CRDT mode, none otherwise.
fn hint_limits(config: &Config) -> HintLimits {
    match config.crdt_enabled {
        true => HintLimits { count_max: config.hints_max, bytes_max: config.hints_bytes_max },
        false => HintLimits { count_max: 0, bytes_max: 0 },
    }
}

/// Periodically removes expired keys from the embedded engine (lazy expiry handles reads).
async fn active_expiry(shared: Arc<NodeShared>) {
    let mut interval = tokio::time::interval(Duration::from_millis(ACTIVE_EXPIRY_INTERVAL_MS));
    loop {
        interval.tick().await;
        if Arc::strong_count(&shared) == 1 {
            return; // the node is gone
        }
        if let Datastore::Embedded(store) = &shared.datastore {
            store.expire_some(ACTIVE_EXPIRY_KEYS_MAX);
        }
    }
}
