//! Gossip's driver (`enable_gossip: true`): runs core's [`Membership`] on the node's timers and peer
//! links, and applies what it decides to the links.
//!
//! - Every `gos_interval` the node sends its digest to one other node picked with the node's injected
//!   random source (`NodeOptions.random`; seeded in the simulator), over slot 0 of its ordinary,
//!   authenticated peer link ([`PeerLink::send_gossip`]). The receiving peer listener merges it and
//!   answers with its own digest on the same connection (push-pull); the link hands that answer back
//!   here through a bounded channel. A link that (re)connects asks for one exchange at once, so a
//!   restarted node is heard from within a round trip of its link coming up.
//! - A member silent for `gossip_down_after` is marked down on its link
//!   ([`PeerLink::set_gossip_down`]): requests to it then fail fast with `Peer Node is down`, exactly
//!   as for an ejected peer, so quorums route around it. Heard from again, the mark is lifted.
//! - A replacement (same datacenter, rack and tokens, new address) moves the link to the new address
//!   ([`PeerLink::move_to`]).
//! - The node's own state (`/state/...`) travels in its digest; `/ring` and `/cluster_describe` show
//!   every member's gossip state.
//!
//! Time is the tokio clock (simulated in the simulator) relative to the node's start; the generation
//! is the node's clock in ms at start, so it grows across restarts (and core's refutation covers a
//! clock that went back).

use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use dynomite_core::cluster::LocalState;
use dynomite_core::config::Config;
use dynomite_core::gossip::{GossipEvent, GossipTiming, Member, Membership};
use dynomite_core::peer::{GossipEntry, NodeIdentity, NodeState, PeerMessage};
use dynomite_core::ring::{NodeId, Topology};
use tokio::sync::mpsc;

use crate::auth::Random;
use crate::node::NodeShared;

/// Inputs from the peer links queued for the driver; beyond this they are dropped (the next round
/// repairs anything a dropped digest would have told).
const GOSSIP_INPUTS_MAX: usize = 256;

/// What a peer link tells the driver.
#[derive(Debug)]
pub enum GossipInput {
    /// A digest answered by the peer (push-pull).
    Digest(Vec<GossipEntry>),
    /// The link to member `index` has a connection up: exchange digests with it now.
    LinkUp(usize),
}

/// Where a link reports to the driver: its member index and the driver's inbox.
#[derive(Debug, Clone)]
pub struct GossipPort {
    /// The peer's member index (its `NodeId`).
    pub index: usize,
    sink: mpsc::Sender<GossipInput>,
}

impl GossipPort {
    /// Hands `input` to the driver; dropped when its inbox is full.
    pub fn report(&self, input: GossipInput) {
        let _ = self.sink.try_send(input);
    }
}

/// The node's gossip state, shared by the driver task, the peer listener and the admin endpoints.
pub struct Gossip {
    membership: Mutex<Membership>,
    epoch: tokio::time::Instant,
    sink: mpsc::Sender<GossipInput>,
}

/// This node's gossip at a glance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipSummary {
    /// This node's generation (its clock in ms when it started, or past a refuted one).
    pub generation: u64,
    /// This node's heartbeat within its generation.
    pub heartbeat: u64,
    /// Members of the ring, this node included.
    pub members: usize,
    /// Members per state name (`NORMAL`, `DOWN`, `WRITES_ONLY`...), this node included.
    pub states: std::collections::BTreeMap<&'static str, usize>,
    /// `gos_interval`.
    pub interval_ms: u64,
    /// `gossip_down_after`.
    pub down_after_ms: u64,
}

impl GossipSummary {
    /// Members in `state` (a [`dynomite_core::gossip::state_name`]).
    pub fn count(&self, state: &str) -> usize {
        self.states.get(state).copied().unwrap_or(0)
    }
}

/// Built before the links start: the links need a [`GossipPort`], the driver needs the node.
pub struct GossipStart {
    /// The shared state, for `NodeShared`.
    pub gossip: Arc<Gossip>,
    /// The driver's inbox, for [`spawn`].
    pub inbox: mpsc::Receiver<GossipInput>,
}

impl Gossip {
    /// The membership of `topology` for this node, when `enable_gossip` is on.
    pub fn for_config(config: &Config, topology: &Topology, generation: u64) -> Option<GossipStart> {
        if !config.enable_gossip {
            return None;
        }
        let nodes: Vec<NodeIdentity> = topology
            .nodes()
            .iter()
            .map(|node| NodeIdentity {
                datacenter: node.datacenter.clone(),
                rack: node.rack.clone(),
                address: node.address.to_string(),
                tokens: node.tokens.clone(),
            })
            .collect();
        let local = topology.nodes().iter().position(|node| node.is_local)?;
        let timing = GossipTiming {
            interval_ms: config.gossip_interval_ms,
            down_after_ms: config.gossip_down_after_ms,
        };
        let membership = Membership::new(nodes, local, generation, 0, timing);
        let (sink, inbox) = mpsc::channel(GOSSIP_INPUTS_MAX);
        let gossip =
            Arc::new(Gossip { membership: Mutex::new(membership), epoch: tokio::time::Instant::now(), sink });
        Some(GossipStart { gossip, inbox })
    }

    /// The port the link to member `index` reports on.
    pub fn port(&self, index: usize) -> GossipPort {
        GossipPort { index, sink: self.sink.clone() }
    }

    fn lock(&self) -> MutexGuard<'_, Membership> {
        self.membership.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Every member as this node sees it now (for `/ring`, `/cluster_describe`, `/info`).
    pub fn members(&self) -> Vec<Member> {
        self.lock().members().to_vec()
    }

    /// A seed provider names `address` for a place on the ring: moves the member there and its link
    /// ([`Membership::relocate`]); false when nothing moved.
    pub fn relocate(
        &self,
        node: &NodeShared,
        datacenter: &str,
        rack: &str,
        tokens: &[u32],
        address: &str,
    ) -> bool {
        let event = self.lock().relocate(datacenter, rack, tokens, address);
        match event {
            Some(event) => {
                apply(node, &[event]);
                true
            }
            None => false,
        }
    }

    /// This node's gossip at a glance (`INFO`, `/info`, `/metrics`).
    pub fn summary(&self) -> GossipSummary {
        let membership = self.lock();
        let local = &membership.members()[membership.local()];
        let mut states = std::collections::BTreeMap::new();
        for member in membership.members() {
            *states.entry(dynomite_core::gossip::state_name(member.state)).or_insert(0) += 1;
        }
        GossipSummary {
            generation: local.generation,
            heartbeat: local.heartbeat,
            members: membership.members().len(),
            states,
            interval_ms: membership.timing().interval_ms,
            down_after_ms: membership.timing().down_after_ms,
        }
    }

    /// Merges a digest a peer sent to this node's listener and returns this node's answer.
    pub fn receive(&self, node: &NodeShared, entries: &[GossipEntry]) -> PeerMessage {
        let (events, answer) = {
            let mut membership = self.lock();
            let events = membership.handle_gossip(self.now_ms(), entries);
            (events, membership.digest())
        };
        apply(node, &events);
        answer
    }
}

/// Starts the driver task. It stops when the node is gone.
pub fn spawn(node: &Arc<NodeShared>, inbox: mpsc::Receiver<GossipInput>) {
    if node.gossip.is_some() {
        tokio::spawn(drive(Arc::downgrade(node), inbox));
    }
}

/// The driver: rounds and convictions on time, digests from the links as they come.
async fn drive(node: Weak<NodeShared>, mut inbox: mpsc::Receiver<GossipInput>) {
    loop {
        let Some(shared) = node.upgrade() else { return };
        let Some(gossip) = shared.gossip.clone() else { return };
        let due = gossip.epoch + Duration::from_millis(gossip.lock().poll_timeout());
        drop(shared);
        tokio::select! {
            biased;
            input = inbox.recv() => {
                let Some(input) = input else { return };
                let Some(shared) = node.upgrade() else { return };
                match input {
                    GossipInput::Digest(entries) => {
                        let events = gossip.lock().handle_gossip(gossip.now_ms(), &entries);
                        apply(&shared, &events);
                    }
                    GossipInput::LinkUp(index) => {
                        let digest = gossip.lock().digest();
                        if let Some(link) = shared.peer(NodeId(index as u32)) {
                            link.send_gossip(digest);
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(due) => {
                let Some(shared) = node.upgrade() else { return };
                round(&shared, &gossip);
            }
        }
    }
}

/// One timer firing: announce the node's state, convict the silent, gossip if a round is due.
fn round(node: &NodeShared, gossip: &Gossip) {
    let random = random_u64(&*node.random);
    let round = {
        let mut membership = gossip.lock();
        membership.set_local_state(announced_state(node.local_state()));
        membership.handle_timeout(gossip.now_ms(), random)
    };
    apply(node, &round.events);
    if let Some((target, digest)) = round.send {
        if let Some(link) = node.peer(NodeId(target as u32)) {
            link.send_gossip(digest);
        }
    }
}

/// Applies membership changes to the peer links.
fn apply(node: &NodeShared, events: &[GossipEvent]) {
    for event in events {
        match event {
            GossipEvent::Down { index, silent_ms } => {
                if let Some(link) = node.peer(NodeId(*index as u32)) {
                    tracing::warn!(peer = %link.address(), silent_ms, "gossip: peer marked down");
                    link.set_gossip_down(true);
                }
            }
            GossipEvent::Up { index } => {
                if let Some(link) = node.peer(NodeId(*index as u32)) {
                    tracing::info!(peer = %link.address(), "gossip: peer heard from again; marked up");
                    link.set_gossip_down(false);
                }
            }
            GossipEvent::Moved { index, address } => {
                if let Some(link) = node.peer(NodeId(*index as u32)) {
                    tracing::warn!(from = %link.address(), to = %address, "gossip: a node took over this peer's tokens; link moves");
                    link.move_to(address);
                }
            }
        }
    }
}

/// The node state gossip announces for a `/state`.
pub fn announced_state(state: LocalState) -> NodeState {
    match state {
        LocalState::Normal => NodeState::Normal,
        LocalState::Standby => NodeState::Standby,
        LocalState::WritesOnly => NodeState::WritesOnly,
        LocalState::Resuming => NodeState::Resuming,
    }
}

/// Eight bytes from the node's random source (0 if it fails: the round then gossips to the first
/// other member, which is still correct).
fn random_u64(random: &dyn Random) -> u64 {
    let mut bytes = [0u8; 8];
    match random.fill(&mut bytes) {
        Ok(()) => u64::from_be_bytes(bytes),
        Err(_) => 0,
    }
}
