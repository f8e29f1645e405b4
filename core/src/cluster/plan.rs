//! The request planner: which nodes one key's request goes to, what each of them is asked, and whose
//! answers decide. A pure function ([`plan`]) of the topology, the key's token, the request's access
//! class and reply order, the consistency level and the planner's role; the driver only executes the
//! plan (enqueue every target at once, in plan order) and feeds the results of the deciding targets
//! into a [`QuorumCollector`] built by [`Plan::collector`].
//!
//! # Rules (client role: the node a client talks to)
//! The local datacenter holds one replica per rack (the rack's owner of the token); each remote
//! datacenter gets at most one forward ([`Action::Coordinate`]) to its entry node
//! ([`Topology::remote_datacenter_entry`]), which plans again with [`Role::DatacenterEntry`].
//!
//! | access | level | targets (in order) | deciding (group 0 = local DC, i = i-th remote DC) |
//! |---|---|---|---|
//! | read | DC_ONE | the local rack's owner | it (group 0, 1 replica) |
//! | read | DC_QUORUM, DC_SAFE_QUORUM | every local rack's owner, local rack first | all of them (group 0) |
//! | read | DC_EACH_SAFE_QUORUM | local racks, then one `Coordinate{DC_SAFE_QUORUM}` per remote DC | local racks (group 0), each forward (its own group of 1) |
//! | write | DC_ONE | local racks, then `Coordinate{DC_ONE}` per remote DC | only the local rack's owner (group 0, 1 replica); the rest is fire-and-forget |
//! | write | DC_QUORUM, DC_SAFE_QUORUM | local racks, then `Coordinate{DC_ONE}` per remote DC | local racks (group 0); forwards are fire-and-forget |
//! | write | DC_EACH_SAFE_QUORUM | local racks, then `Coordinate{DC_SAFE_QUORUM}` per remote DC | local racks (group 0), each forward (its own group) |
//!
//! Admin-class requests that reach the planner are planned as reads.
//!
//! **Random replies.** A read whose reply is random by definition (Redis 7 tip
//! `nondeterministic_output`: SRANDMEMBER, HRANDFIELD, ZRANDMEMBER, RANDOMKEY, TTL, ...) is planned as
//! at DC_ONE whatever the level: the local rack's owner answers. Replicas would not agree even on
//! identical data, so a quorum of them could only fail. Writes with random output (SPOP) keep their
//! level: every rack must apply them, and a quorum level reports when the racks chose differently.
//!
//! # Datacenter-entry role (a remote datacenter's forward)
//! The entry node never forwards further. It plans like the client role restricted to its own
//! datacenter, at the level the forward carries (DC_EACH_SAFE_QUORUM counts as DC_SAFE_QUORUM there):
//! writes go to every rack of its datacenter, reads to the racks the level needs.
//!
//! # Quorum sizes
//! A group of `n` contacted replicas needs `n / 2 + 1` of them ([`quorum_size`]); DC_ONE's group is
//! the single local owner (quorum 1).

use crate::command::{Access, ReplyOrder};
use crate::config::Consistency;
use crate::ring::{NodeId, RackView, Topology};

use super::quorum::QuorumCollector;
use super::tally::quorum_size;

/// Who is planning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The node a client sent the request to: fans out to its datacenter and forwards to the others.
    Client,
    /// The entry node of a datacenter that received a forward: fans out inside its datacenter only.
    DatacenterEntry,
}

/// What one target is asked to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run the request on the target's own datastore (it holds a replica).
    Execute,
    /// Coordinate the request in the target's datacenter at `consistency` (a remote-DC entry).
    Coordinate {
        /// The level to reach there.
        consistency: Consistency,
    },
}

/// One node the request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The node.
    pub node: NodeId,
    /// What it is asked.
    pub action: Action,
    /// The deciding group its result counts in; `None` = fire-and-forget (the request must reach the
    /// node, but its answer is not waited for).
    pub group: Option<usize>,
}

/// One deciding group: how many targets count in it and how many of them make a quorum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    /// Targets whose result counts in this group.
    pub contacted: usize,
    /// Results needed for a quorum: `contacted / 2 + 1` (1 for DC_ONE's single replica).
    pub quorum: usize,
}

/// What the planner is told about one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanRequest {
    /// The key's token (first key).
    pub token: u32,
    /// Read, write or admin (admin is planned as a read).
    pub access: Access,
    /// The level the request runs at.
    pub consistency: Consistency,
    /// Whether replicas agree byte for byte ([`ReplyOrder::Random`] reads are planned as DC_ONE).
    pub reply_order: ReplyOrder,
    /// Client coordinator or datacenter entry.
    pub role: Role,
}

/// The planner's answer for one key's request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The level the replies are collected at (DC_ONE for random reads, DC_SAFE_QUORUM for an entry
    /// asked DC_EACH_SAFE_QUORUM, else the request's).
    pub consistency: Consistency,
    /// Every node to send to, in the order to enqueue them: the local rack's owner first.
    pub targets: Vec<Target>,
    /// The deciding groups, indexed by [`Target::group`]; group 0 is the planner's own datacenter.
    pub groups: Vec<Group>,
}

impl Plan {
    /// The collector for this plan's deciding groups.
    pub fn collector(&self) -> QuorumCollector {
        let contacted: Vec<usize> = self
            .groups
            .iter()
            .map(|group| {
                // The collector derives its quorum from the contacted count (`contacted / 2 + 1`). A
                // plan whose quorum is smaller (only the QuorumHalf mutant makes one) is told the
                // smallest count with that quorum.
                if group.quorum < quorum_size(group.contacted) {
                    (group.quorum.max(1) - 1) * 2
                } else {
                    group.contacted
                }
                .max(1)
            })
            .collect();
        QuorumCollector::new(self.consistency, &contacted)
    }

    /// The targets whose results decide, with their group.
    pub fn deciding(&self) -> impl Iterator<Item = (&Target, usize)> {
        self.targets.iter().filter_map(|target| target.group.map(|group| (target, group)))
    }

    /// The only target when the plan has exactly one and it decides alone (DC_ONE reads, random reads).
    pub fn single_target(&self) -> Option<&Target> {
        match self.targets.as_slice() {
            [only] if only.group == Some(0) => Some(only),
            _ => None,
        }
    }
}

/// Plans one key's request; see the module docs for the rules.
pub fn plan(topology: &Topology, request: &PlanRequest) -> Plan {
    let is_write = request.access == Access::Write;
    let random_read = !is_write && request.reply_order == ReplyOrder::Random;
    let consistency = match (request.role, request.consistency) {
        _ if random_read => Consistency::DcOne,
        (Role::DatacenterEntry, Consistency::DcEachSafeQuorum) => Consistency::DcSafeQuorum,
        (_, level) => level,
    };
    let rack_total = topology.local_datacenter().racks.len();
    let mut targets = Vec::with_capacity(rack_total + topology.datacenters().len() - 1);
    let local_only = request.role == Role::DatacenterEntry && crate::mutant!(EntryAppliesLocallyOnly);
    let rack_count = if local_only {
        1
    } else if is_write {
        // Mutant SkipLastRack: writes never reach the last rack of the datacenter.
        if crate::mutant!(SkipLastRack) && rack_total > 1 {
            rack_total - 1
        } else {
            rack_total
        }
    } else if consistency == Consistency::DcOne {
        1
    } else {
        rack_total
    };
    let deciding_racks = if consistency == Consistency::DcOne { 1 } else { rack_count };
    for (index, rack) in local_racks_in_order(topology).take(rack_count).enumerate() {
        let last_rack = index + 1 == rack_total && index > 0;
        let node = if last_rack && crate::mutant!(WrongRackOwner) {
            ring_predecessor(rack, request.token)
        } else {
            rack.ring.owner(request.token)
        };
        let group = (index < deciding_racks).then_some(0);
        targets.push(Target { node, action: Action::Execute, group });
    }
    let mut groups = vec![local_group(deciding_racks, consistency)];
    let forwards = request.role == Role::Client
        && (is_write || consistency == Consistency::DcEachSafeQuorum)
        && !(is_write && crate::mutant!(NoRemoteForward));
    if forwards {
        let each = consistency == Consistency::DcEachSafeQuorum;
        let remote_consistency = if each { Consistency::DcSafeQuorum } else { Consistency::DcOne };
        let local_name = &topology.local_datacenter().name;
        for datacenter in topology.datacenters().iter().filter(|dc| dc.name != *local_name) {
            let node = topology.remote_datacenter_entry(&datacenter.name, request.token);
            let group = each.then(|| {
                groups.push(Group { contacted: 1, quorum: 1 });
                groups.len() - 1
            });
            let action = Action::Coordinate { consistency: remote_consistency };
            targets.push(Target { node, action, group });
        }
    }
    Plan { consistency, targets, groups }
}

/// Group 0: `deciding` replicas of the planner's datacenter and their quorum.
fn local_group(deciding: usize, consistency: Consistency) -> Group {
    let quorum = if consistency == Consistency::DcOne {
        1
    } else if crate::mutant!(QuorumHalf) {
        // Mutant QuorumHalf: the quorum of n replicas taken as n / 2.
        (deciding / 2).max(1)
    } else {
        quorum_size(deciding)
    };
    Group { contacted: deciding, quorum }
}

/// The racks of the local datacenter: the local rack first, then the others by name.
fn local_racks_in_order(topology: &Topology) -> impl Iterator<Item = &RackView> {
    let local_rack = topology.local_rack();
    let others =
        topology.local_datacenter().racks.iter().filter(move |rack| !std::ptr::eq(*rack, local_rack));
    std::iter::once(local_rack).chain(others)
}

/// The node holding the ring position just before `token`'s owner (the WrongRackOwner mutant).
fn ring_predecessor(rack: &RackView, token: u32) -> NodeId {
    let entries = rack.ring.entries();
    let owner_index = entries.partition_point(|(position, _)| *position < token) % entries.len().max(1);
    let index = (owner_index + entries.len() - 1) % entries.len().max(1);
    entries.get(index).map_or_else(|| rack.ring.owner(token), |(_, node)| *node)
}
