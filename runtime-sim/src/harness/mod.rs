//! The simulated deployment: [`SimCluster`] builds every host from a [`SimConfig`] inside a madsim
//! runtime and offers the fault operations (in `faults`) and direct replica reads (in `replica`).
//!
//! Compiled only with `--cfg madsim` (this whole module is the one place the crate depends on madsim),
//! because its hosts, kills and clogs exist only in the simulator.

mod faults;
mod hosts;
mod replica;
mod resp_client;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use madsim::net::NetSim;
use madsim::runtime::{Handle, NodeHandle, Runtime};
use madsim::task::NodeId;

pub use hosts::{ClusterDecisionObserver, NodeHooks};
pub use resp_client::{command_once, RespClient, REQUEST_TIMEOUT_MS};

use crate::error::ReadyError;
use crate::latency::LatencyTable;
use crate::model::{client_ip, plan, NodeAddress, Placement, SimConfig};
use crate::node_config::node_config;
use hosts::NodeHosts;

/// Time [`SimCluster::start`] and [`SimCluster::wait_until_connected`] allow (simulated).
pub const READY_TIMEOUT_MS: u64 = 30_000;
/// Pause between two readiness checks (simulated).
const READY_POLL_INTERVAL_MS: u64 = 50;
/// madsim draws each packet's latency from `[same_rack, same_rack + same_rack / JITTER_DIVISOR)`.
const JITTER_DIVISOR: u32 = 10;

/// One node's outgoing link to another, as [`SimCluster::link_states`] saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkState {
    /// The node the link belongs to.
    pub from: usize,
    /// The node it leads to.
    pub to: usize,
    /// Every one of the link's connections is up (and heard from within the heartbeat bound).
    pub connected: bool,
    /// The peer is down for this node: auto-ejected, forced down, or marked down by gossip.
    pub ejected: bool,
    /// The peer is marked down by gossip (silent for `gossip_down_after`).
    pub gossip_down: bool,
    /// Connections of the link lost since the node started: a sampler that sees it change between two
    /// readings knows the link went down (and maybe up again) in between.
    pub connections_lost: u64,
}

/// A running simulated cluster. Cheap to clone; every clone controls the same hosts.
#[derive(Clone)]
pub struct SimCluster {
    inner: Arc<Inner>,
}

struct Inner {
    config: SimConfig,
    placements: Vec<Placement>,
    addresses: Vec<NodeAddress>,
    hosts: Vec<NodeHosts>,
    latency: Arc<LatencyTable>,
    faults: Mutex<faults::FaultState>,
}

impl SimConfig {
    /// madsim's configuration for this simulation: the global packet latency is the same-rack class.
    pub fn madsim_config(&self) -> madsim::Config {
        let mut config = madsim::Config::default();
        config.net.send_latency = same_rack_range(&self.latency);
        config
    }

    /// A madsim runtime seeded with [`SimConfig::seed`], so one seed drives madsim and the harness.
    pub fn runtime(&self) -> Runtime {
        Runtime::with_seed_and_config(self.seed, self.madsim_config())
    }

    /// Runs one story: in a fresh [`SimConfig::runtime`], starts the cluster, runs `story` on a client
    /// host named `host` in datacenter 0, shuts the cluster down and returns what the story returned.
    /// Panics if the story panicked (a failed assertion inside it fails the test).
    pub fn run_story<T, Story, Fut>(self, host: &str, story: Story) -> T
    where
        Story: FnOnce(SimCluster) -> Fut,
        Fut: std::future::Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let host = host.to_string();
        self.runtime().block_on(async move {
            let cluster = SimCluster::start(self).await;
            let client = cluster.client_host(&host, 0);
            let result = client.spawn(story(cluster.clone())).await.expect("story finished");
            cluster.shutdown();
            result
        })
    }
}

fn same_rack_range(latency: &crate::model::LatencyClasses) -> std::ops::Range<Duration> {
    let jitter = (latency.same_rack / JITTER_DIVISOR).max(Duration::from_nanos(1));
    latency.same_rack..latency.same_rack + jitter
}

impl SimCluster {
    /// Builds every node and datastore host and waits (bounded) until each node serves and has a
    /// connection up to every peer. Must run inside a madsim runtime. Panics if the cluster does not
    /// come up: a harness that cannot start is a broken test, not a result.
    pub async fn start(config: SimConfig) -> SimCluster {
        SimCluster::start_with(config, NodeHooks::default()).await
    }

    /// [`SimCluster::start`] with hooks installed in every node (checkers' observer, injected bug).
    pub async fn start_with(config: SimConfig, hooks: NodeHooks) -> SimCluster {
        let handle = Handle::current();
        let latency_classes = config.latency;
        NetSim::current().update_config(|net| net.send_latency = same_rack_range(&latency_classes));
        let placements = plan(&config.shape);
        let latency = Arc::new(LatencyTable::draw(config.latency, config.shape.datacenters, config.seed));
        tracing::info!(seed = config.seed, cross_datacenter = ?latency.cross_datacenter(), "simulated cluster");
        let hosts = placements
            .iter()
            .map(|placement| {
                let index = placement.address.index;
                let node_config = node_config(&config, &placements, index)
                    .unwrap_or_else(|error| panic!("node {index}: generated config invalid: {error}"));
                hosts::create(&handle, placement, node_config, latency.stream_wrappers(), hooks.clone())
            })
            .collect();
        let addresses = placements.iter().map(|placement| placement.address.clone()).collect();
        let inner = Inner { config, placements, addresses, hosts, latency, faults: Mutex::default() };
        let cluster = SimCluster { inner: Arc::new(inner) };
        if let Err(error) = cluster.wait_until_connected().await {
            panic!("simulated cluster did not come up: {error}");
        }
        cluster
    }

    /// Every node, in index order (datacenter-major, then rack, then node).
    pub fn nodes(&self) -> &[NodeAddress] {
        &self.inner.addresses
    }

    /// The configuration the cluster was built from.
    pub fn config(&self) -> &SimConfig {
        &self.inner.config
    }

    /// The latencies drawn for this seed (print them next to the seed).
    pub fn latency(&self) -> &LatencyTable {
        &self.inner.latency
    }

    /// Indices of the nodes of rack `rack` (0-based) in datacenter `datacenter` (0-based).
    pub fn rack_members(&self, datacenter: usize, rack: usize) -> Vec<usize> {
        self.members(|placement| placement.datacenter_index == datacenter && placement.rack_index == rack)
    }

    /// Indices of the nodes of datacenter `datacenter` (0-based).
    pub fn datacenter_members(&self, datacenter: usize) -> Vec<usize> {
        self.members(|placement| placement.datacenter_index == datacenter)
    }

    fn members(&self, keep: impl Fn(&Placement) -> bool) -> Vec<usize> {
        self.inner.placements.iter().filter(|placement| keep(placement)).map(|p| p.address.index).collect()
    }

    /// A new host in `datacenter` (0-based) to run workload clients on, at `10.<dc+1>.0.<n>`. It takes
    /// part in partitions already in force (see [`SimCluster::isolate_datacenter`]).
    pub fn client_host(&self, name: &str, datacenter: usize) -> NodeHandle {
        let mut faults = self.inner.faults.lock().expect("fault state lock");
        let number = faults.clients.len();
        let host = Handle::current().create_node().name(name).ip(client_ip(datacenter, number)).build();
        faults.add_client(host.id(), datacenter, &self.inner);
        host
    }

    /// Waits (bounded by [`READY_TIMEOUT_MS`]) until every live node serves and has a connection up to
    /// every live peer, none of them ejected. Use it after [`SimCluster::heal`] or a restart; during a partition it fails.
    pub async fn wait_until_connected(&self) -> Result<(), ReadyError> {
        let polls = READY_TIMEOUT_MS / READY_POLL_INTERVAL_MS;
        let mut last_error = None;
        for _ in 0..polls {
            match self.check_connected(READY_TIMEOUT_MS) {
                Ok(()) => return Ok(()),
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(READY_POLL_INTERVAL_MS)).await;
        }
        Err(last_error.expect("at least one readiness check ran"))
    }

    /// Where node `index`'s datastore host serves (for direct replica reads).
    pub fn datastore_address(&self, index: usize) -> std::net::SocketAddr {
        self.inner.placements[index].datastore_address()
    }

    /// Every outgoing peer link of every serving node, as its health is now (for checkers that need to
    /// know which links stayed up, and for fault-space coverage). Killed nodes have none.
    pub fn link_states(&self) -> Vec<LinkState> {
        let mut states = Vec::new();
        for (from, hosts) in self.inner.hosts.iter().enumerate() {
            let slot = hosts.shared.lock().expect("slot lock");
            let Some(shared) = slot.as_ref() else { continue };
            for (_, link) in shared.peer_links() {
                let Some(to) = self.node_of_peer_address(&link.address()) else { continue };
                let config = &self.inner.config;
                let same_datacenter = self.inner.placements[from].datacenter_index
                    == self.inner.placements[to].datacenter_index;
                let connections = if same_datacenter {
                    config.local_peer_connections
                } else {
                    config.remote_peer_connections
                };
                states.push(LinkState {
                    from,
                    to,
                    connected: link.health().connections_up() >= connections,
                    ejected: link.is_down(),
                    gossip_down: link.health().is_gossip_down(),
                    connections_lost: link.health().connections_lost(),
                });
            }
        }
        states
    }

    fn node_of_peer_address(&self, address: &str) -> Option<usize> {
        self.inner.placements.iter().position(|placement| placement.peer_address().to_string() == address)
    }

    fn check_connected(&self, waited_ms: u64) -> Result<(), ReadyError> {
        let killed_peers = self.killed_peer_addresses();
        for (index, hosts) in self.inner.hosts.iter().enumerate() {
            if self.is_node_killed(index) {
                continue;
            }
            let slot = hosts.shared.lock().expect("slot lock");
            let Some(shared) = slot.as_ref() else {
                return Err(ReadyError::NodeNotServing { index, waited_ms });
            };
            for (_, link) in shared.peer_links() {
                let usable = link.health().is_connected() && !link.is_down();
                if !killed_peers.contains(&link.address()) && !usable {
                    return Err(ReadyError::PeerNotConnected { index, peer: link.address(), waited_ms });
                }
            }
        }
        Ok(())
    }

    fn killed_peer_addresses(&self) -> BTreeSet<String> {
        let placements = &self.inner.placements;
        (0..placements.len())
            .filter(|index| self.is_node_killed(*index))
            .map(|index| placements[index].peer_address().to_string())
            .collect()
    }

    fn node_host_id(&self, index: usize) -> NodeId {
        self.inner.hosts[index].node.id()
    }

    fn datastore_host_id(&self, index: usize) -> NodeId {
        self.inner.hosts[index].datastore.id()
    }
}
