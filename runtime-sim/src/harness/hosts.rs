//! The simulated hosts behind one node: the node host (the production `Node`) and its datastore host
//! (the embedded engine served over simulated TCP).
//!
//! Each host's init closure is what madsim re-runs on restart, so it binds, publishes its state and
//! serves from scratch: a restarted datastore host starts empty, a restarted node host reconnects.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use dynomite::clock::SharedClock;
use dynomite::datastore::EmbeddedStore;
use dynomite::node::{Decision, Node, NodeOptions, NodeShared, PeerStreamWrappers};
use dynomite_core::cluster::LocalState;
use dynomite_core::config::Config;
use madsim::runtime::{Handle, NodeHandle};
use tokio::net::TcpListener;

use crate::model::{Placement, DATASTORE_PORT};
use crate::skew_clock::SkewClock;

/// The running node's shared state, published by the node host once bound and cleared by the harness
/// when it kills the host (a dead node's link counters would otherwise look alive).
pub type SharedSlot = Arc<Mutex<Option<Arc<NodeShared>>>>;

/// What a host's init closure returns (boxed: the two hosts run different futures).
type HostFuture = Pin<Box<dyn Future<Output = ()>>>;

/// Told about every coordinator decision, with the index of the node that made it.
pub type ClusterDecisionObserver = Arc<dyn Fn(usize, Decision) + Send + Sync>;

/// Extra hooks every node gets: the checkers' decision observer (none by default, as in production).
/// Deliberate bugs are mutants, switched on process-wide with `dynomite_core::mutants::activate`.
#[derive(Clone, Default)]
pub struct NodeHooks {
    /// Told about every replicated request's decision, by every node.
    pub observer: Option<ClusterDecisionObserver>,
}

/// The two hosts of one node and what outlives their restarts.
pub struct NodeHosts {
    /// Runs `dynomite::node::Node`.
    pub node: NodeHandle,
    /// Runs the embedded datastore server on port 6379.
    pub datastore: NodeHandle,
    /// Shared by both hosts; keeps its skew across restarts.
    pub clock: Arc<SkewClock>,
    /// The node's state while it runs.
    pub shared: SharedSlot,
    /// A serving state set while the node was not running (restarted in the same instant): applied
    /// when it has booted, before it serves.
    pub boot_state: BootState,
}

/// See [`NodeHosts::boot_state`].
pub type BootState = Arc<Mutex<Option<LocalState>>>;

/// Creates both hosts of `placement`; they start at once.
pub fn create(
    handle: &Handle,
    placement: &Placement,
    config: Config,
    latency: PeerStreamWrappers,
    hooks: NodeHooks,
) -> NodeHosts {
    let clock = Arc::new(SkewClock::new());
    let shared: SharedSlot = Arc::new(Mutex::new(None));
    let boot_state: BootState = Arc::new(Mutex::new(None));
    let index = placement.address.index;
    let datastore = handle
        .create_node()
        .name(format!("datastore-{index}"))
        .ip(placement.datastore_ip)
        .init(datastore_init(clock.clone()))
        .build();
    let node = handle
        .create_node()
        .name(format!("node-{index}"))
        .ip(placement.node_ip)
        .init(node_init(index, config, clock.clone(), latency, hooks, (shared.clone(), boot_state.clone())))
        .build();
    NodeHosts { node, datastore, clock, shared, boot_state }
}

fn datastore_init(clock: Arc<SkewClock>) -> impl Fn() -> HostFuture + Send + Sync + 'static {
    move || {
        let clock: SharedClock = clock.clone();
        Box::pin(async move {
            let listener =
                TcpListener::bind(("0.0.0.0", DATASTORE_PORT)).await.expect("datastore host binds 6379");
            let store = Arc::new(EmbeddedStore::new(clock));
            dynomite::embedded_server::serve(listener, store, std::future::pending()).await;
        })
    }
}

/// Handshake nonces from madsim's seeded generator, so a seed replays exactly (the OS generator of
/// production would not).
struct SimRandom;

impl dynomite::auth::Random for SimRandom {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), dynomite::auth::RandomUnavailable> {
        use madsim::rand::RngCore;
        // tidy: allow os-random because madsim's generator is the simulation's seeded one, not the OS's
        madsim::rand::thread_rng().fill_bytes(bytes);
        Ok(())
    }
}

fn node_init(
    index: usize,
    config: Config,
    clock: Arc<SkewClock>,
    latency: PeerStreamWrappers,
    hooks: NodeHooks,
    (shared, boot_state): (SharedSlot, BootState),
) -> impl Fn() -> HostFuture + Send + Sync + 'static {
    move || {
        let mut options = NodeOptions::new(clock.clone());
        options.random = Arc::new(SimRandom);
        options.peer_stream_wrapper = Some(latency.clone());
        options.observer = hooks.observer.clone().map(|observer| -> dynomite::node::DecisionObserver {
            Arc::new(move |decision: Decision| observer(index, decision))
        });
        let config = config.clone();
        let shared = shared.clone();
        let boot_state = boot_state.clone();
        Box::pin(async move {
            let node = Node::bind_with(config, options).await.expect("simulated node binds its listeners");
            if let Some(state) = boot_state.lock().expect("boot state lock").take() {
                node.shared().set_local_state(state);
            }
            *shared.lock().expect("slot lock") = Some(node.shared());
            node.serve(std::future::pending()).await;
        })
    }
}
