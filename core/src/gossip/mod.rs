//! Gossip membership and failure detection: the sans-IO state machine a node runs with
//! `enable_gossip: true`.
//!
//! ## What it knows
//! [`Membership`] holds one [`Member`] per node of the ring (this node and its seeds, in the
//! topology's order, so a member's index is its `NodeId`). A member is identified by its place on the
//! ring (datacenter, rack, tokens); its address can change (a replacement node at a new address
//! takes over the place: a new generation with a different, routable address; a node listening on a
//! wildcard address such as `0.0.0.0` does not know its own address, and its entries never move a
//! link). Each member carries a version, `(generation, heartbeat)`: the generation is
//! set by the node when it starts (its clock in ms, larger after every restart), the heartbeat is
//! bumped by the node itself on every gossip round. Only the node itself makes its version grow.
//!
//! ## Merge (a join on versions)
//! An entry replaces what we know when its key `(generation, heartbeat, down)` is larger, where
//! `down` is 1 for a `Down` mark. So the newest version wins, and at the same version a down mark
//! wins over the node's announced state: a conviction spreads to everyone who has not heard from the
//! node since, and the node's next heartbeat clears it everywhere. Taking the maximum is commutative,
//! associative and idempotent, so digests may arrive late, twice, or in any order (`core/tests/
//! gossip_props.rs`). An entry about this node with a version at least ours (a previous life's
//! generation, or a down mark) makes this node jump past it, so it refutes it on the next round.
//!
//! ## Failure detection
//! A member is heard from when its version grows. One not heard from for `gossip_down_after` is
//! marked `Down` ([`GossipEvent::Down`]); it is `Up` again when a newer version arrives
//! ([`GossipEvent::Up`]). [`Membership::poll_timeout`] names the next instant something can change
//! (the next round, or the earliest conviction), so a silent node is marked down `gossip_down_after`
//! after its last heartbeat reached this node, and that heartbeat is at most a few rounds old.
//!
//! ## Call order
//! 1. [`Membership::new`] with the ring's nodes, this node's index and generation, `now`.
//! 2. Whenever `now >= poll_timeout()`: [`Membership::handle_timeout`] with `now` and a random
//!    number from the node's injected source; send its digest to its target ([`Round::send`]) and
//!    apply its events.
//! 3. On a received digest: [`Membership::handle_gossip`]; apply the events; on the accepting side
//!    answer with [`Membership::digest`].
//! 4. When the node's own state changes (admin `/state/...`): [`Membership::set_local_state`].

use crate::peer::{GossipEntry, NodeIdentity, NodeState, PeerMessage, PEER_GOSSIP_ENTRIES_MAX};

/// Timing of gossip, from the config (`gos_interval`, `gossip_down_after`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GossipTiming {
    /// Period of this node's rounds (`gos_interval`).
    pub interval_ms: u64,
    /// Silence after which a member is marked down (`gossip_down_after`, ≥ 2 × `interval_ms`).
    pub down_after_ms: u64,
}

/// One node of the ring as this node sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Its place and current address.
    pub identity: NodeIdentity,
    /// Set by the node at start; larger after each restart.
    pub generation: u64,
    /// Bumped by the node every round within a generation.
    pub heartbeat: u64,
    /// What it announced (its `/state`), or `Down` when convicted.
    pub state: NodeState,
    /// When this node last saw its version grow (this node's monotonic ms).
    last_heard_ms: u64,
}

impl Member {
    /// True while the member is marked down.
    pub fn is_down(&self) -> bool {
        self.state == NodeState::Down
    }

    /// The merge key: newest version first, a down mark wins at equal versions.
    fn key(&self) -> (u64, u64, bool) {
        (self.generation, self.heartbeat, self.is_down())
    }

    /// Milliseconds since its version last grew.
    pub fn silent_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(self.last_heard_ms)
    }

    fn entry(&self) -> GossipEntry {
        GossipEntry {
            datacenter: self.identity.datacenter.clone(),
            rack: self.identity.rack.clone(),
            tokens: self.identity.tokens.clone(),
            address: self.identity.address.clone(),
            generation: self.generation,
            heartbeat: self.heartbeat,
            state: self.state,
        }
    }
}

/// A change the runtime must apply to its peer links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GossipEvent {
    /// Member `index` is marked down: route around it.
    Down {
        /// The member's index (its `NodeId`).
        index: usize,
        /// How long it had been silent (0 when the mark came from another node's digest).
        silent_ms: u64,
    },
    /// Member `index` was heard from again: it serves as before.
    Up {
        /// The member's index.
        index: usize,
    },
    /// Member `index`'s place is now held by a node at `address` (a replacement): move its link.
    Moved {
        /// The member's index.
        index: usize,
        /// The new address.
        address: String,
    },
}

/// What [`Membership::handle_timeout`] asks the runtime to do.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Round {
    /// When a round was due: the member to send to and this node's digest (a
    /// [`PeerMessage::Gossip`]). None between rounds and in a one-node cluster.
    pub send: Option<(usize, PeerMessage)>,
    /// Convictions made at this call.
    pub events: Vec<GossipEvent>,
}

/// The membership view and failure detector of one node. See the module doc for the call order.
#[derive(Debug, Clone)]
pub struct Membership {
    members: Vec<Member>,
    local: usize,
    timing: GossipTiming,
    next_round_ms: u64,
}

impl Membership {
    /// Starts from the ring's `nodes` (seeds and this node, in `NodeId` order), this node being
    /// `local`, in its `generation`. Every other member counts as heard from at `now_ms`; the first
    /// round is due at once.
    pub fn new(
        nodes: Vec<NodeIdentity>,
        local: usize,
        generation: u64,
        now_ms: u64,
        timing: GossipTiming,
    ) -> Membership {
        assert!(local < nodes.len(), "local member {local} of {}", nodes.len());
        assert!(timing.interval_ms > 0, "gossip interval must be positive");
        let members = nodes
            .into_iter()
            .enumerate()
            .map(|(index, identity)| Member {
                identity,
                generation: if index == local { generation } else { 0 },
                heartbeat: 0,
                state: NodeState::Normal,
                last_heard_ms: now_ms,
            })
            .collect();
        Membership { members, local, timing, next_round_ms: now_ms }
    }

    /// Every member, by index.
    pub fn members(&self) -> &[Member] {
        &self.members
    }

    /// This node's index.
    pub fn local(&self) -> usize {
        self.local
    }

    /// The gossip timing.
    pub fn timing(&self) -> GossipTiming {
        self.timing
    }

    /// The next instant at which [`Membership::handle_timeout`] has something to do: the next round,
    /// or an earlier conviction.
    pub fn poll_timeout(&self) -> u64 {
        self.members
            .iter()
            .enumerate()
            .filter(|(index, member)| *index != self.local && !member.is_down())
            .map(|(_, member)| member.last_heard_ms.saturating_add(self.timing.down_after_ms))
            .fold(self.next_round_ms, u64::min)
    }

    /// Announces this node's own state (`/state/...`) from its next digest on.
    pub fn set_local_state(&mut self, state: NodeState) {
        let local = &mut self.members[self.local];
        if local.state != state {
            local.state = state;
            local.heartbeat += 1;
        }
    }

    /// Convicts members silent for `gossip_down_after`; when a round is due, bumps this node's
    /// heartbeat and picks a random other member (`random` from the node's injected source) to send
    /// the digest to.
    pub fn handle_timeout(&mut self, now_ms: u64, random: u64) -> Round {
        let events = self.convict_silent(now_ms);
        if now_ms < self.next_round_ms {
            return Round { send: None, events };
        }
        self.next_round_ms = now_ms.saturating_add(self.timing.interval_ms);
        self.members[self.local].heartbeat += 1;
        let others = self.members.len() - 1;
        if others == 0 {
            return Round { send: None, events };
        }
        let pick = (random % others as u64) as usize;
        let target = if pick >= self.local { pick + 1 } else { pick };
        Round { send: Some((target, self.digest())), events }
    }

    /// Marks down every other member not heard from for `gossip_down_after`.
    fn convict_silent(&mut self, now_ms: u64) -> Vec<GossipEvent> {
        let down_after_ms = self.timing.down_after_ms;
        let local = self.local;
        let mut events = Vec::new();
        for (index, member) in self.members.iter_mut().enumerate() {
            let silent_ms = member.silent_ms(now_ms);
            if index != local && !member.is_down() && silent_ms >= down_after_ms {
                member.state = NodeState::Down;
                events.push(GossipEvent::Down { index, silent_ms });
            }
        }
        events
    }

    /// This node's view of every member, as a [`PeerMessage::Gossip`] (at most
    /// [`PEER_GOSSIP_ENTRIES_MAX`] entries: the ring is never that large).
    pub fn digest(&self) -> PeerMessage {
        let entries = self.members.iter().take(PEER_GOSSIP_ENTRIES_MAX).map(Member::entry).collect();
        PeerMessage::Gossip { sender: self.members[self.local].identity.address.clone(), entries }
    }

    /// Merges a received digest at `now_ms`. Entries for places not on this node's ring are ignored
    /// (the ring is built from the seeds at start). Returns the changes to apply.
    pub fn handle_gossip(&mut self, now_ms: u64, entries: &[GossipEntry]) -> Vec<GossipEvent> {
        let mut events = Vec::new();
        for entry in entries {
            let Some(index) = self.index_of(entry) else { continue };
            if index == self.local {
                self.refute(entry);
            } else {
                self.merge(index, entry, now_ms, &mut events);
            }
        }
        events
    }

    /// The member at the entry's place on the ring.
    fn index_of(&self, entry: &GossipEntry) -> Option<usize> {
        self.place_of(&entry.datacenter, &entry.rack, &entry.tokens)
    }

    /// The member at a place on the ring (datacenter, rack, tokens).
    fn place_of(&self, datacenter: &str, rack: &str, tokens: &[u32]) -> Option<usize> {
        self.members.iter().position(|member| {
            member.identity.datacenter == datacenter
                && member.identity.rack == rack
                && member.identity.tokens == tokens
        })
    }

    /// A seed provider names `address` for a place on the ring (a replacement it knows of before the
    /// node gossips): the member there moves, unless the place is unknown, is this node's own, already
    /// has that address, or the address is not routable. Versions are untouched, so the replacement's
    /// own gossip (a newer generation) still decides its state.
    pub fn relocate(
        &mut self,
        datacenter: &str,
        rack: &str,
        tokens: &[u32],
        address: &str,
    ) -> Option<GossipEvent> {
        let index = self.place_of(datacenter, rack, tokens)?;
        let member = &mut self.members[index];
        if index == self.local || member.identity.address == address || !is_routable(address) {
            return None;
        }
        member.identity.address = address.to_string();
        Some(GossipEvent::Moved { index, address: address.to_string() })
    }

    /// An entry about this node: jump past any version at least ours (a previous life's, or a
    /// down mark of our current one).
    fn refute(&mut self, entry: &GossipEntry) {
        let local = &mut self.members[self.local];
        if entry.generation > local.generation {
            local.generation = entry.generation + 1;
            local.heartbeat = 0;
        } else if entry.generation == local.generation && entry.heartbeat >= local.heartbeat {
            local.heartbeat = entry.heartbeat + 1;
        }
    }

    /// The join of what we know of member `index` and `entry`.
    fn merge(&mut self, index: usize, entry: &GossipEntry, now_ms: u64, events: &mut Vec<GossipEvent>) {
        let member = &mut self.members[index];
        let incoming = (entry.generation, entry.heartbeat, entry.state == NodeState::Down);
        if incoming <= member.key() {
            return;
        }
        let newer_version = (entry.generation, entry.heartbeat) > (member.generation, member.heartbeat);
        let new_life = entry.generation > member.generation;
        let was_down = member.is_down();
        member.generation = entry.generation;
        member.heartbeat = entry.heartbeat;
        member.state = entry.state;
        if was_down && !member.is_down() && crate::mutant!(GossipDownNeverCleared) {
            member.state = NodeState::Down; // deliberately wrong: a down mark is never cleared
        }
        if newer_version {
            member.last_heard_ms = now_ms;
            if new_life && member.identity.address != entry.address && is_routable(&entry.address) {
                member.identity.address = entry.address.clone();
                events.push(GossipEvent::Moved { index, address: entry.address.clone() });
            }
        }
        match (was_down, member.is_down()) {
            (false, true) => events.push(GossipEvent::Down { index, silent_ms: 0 }),
            (true, false) => events.push(GossipEvent::Up { index }),
            _ => {}
        }
    }
}

/// False for an address others cannot reach the node at: a wildcard listener (`0.0.0.0:8101`,
/// `[::]:8101`), which is how a node that listens on every interface knows itself. Such an entry never
/// moves a link; the seeds' address stays.
fn is_routable(address: &str) -> bool {
    let host = address.rsplit_once(':').map_or(address, |(host, _)| host);
    !matches!(host.trim_start_matches('[').trim_end_matches(']'), "0.0.0.0" | "::" | "")
}

/// A node's announced state name (`/ring`, `/cluster_describe`): C Dynomite's names for the node
/// states, `DOWN` for a convicted member.
pub fn state_name(state: NodeState) -> &'static str {
    match state {
        NodeState::Normal => "NORMAL",
        NodeState::Down => "DOWN",
        NodeState::Joining => "JOINING",
        NodeState::Leaving => "LEAVING",
        NodeState::Standby => "STANDBY",
        NodeState::WritesOnly => "WRITES_ONLY",
        NodeState::Resuming => "RESUMING",
    }
}
