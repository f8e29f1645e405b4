//! The cluster as this node sees it: datacenters of racks of nodes, each rack a full copy of the data
//! partitioned by its own [`Ring`].
//!
//! Node ids are indexes into [`Topology::nodes`]. [`Topology::from_config`] puts the local node first
//! (id 0) and the `dyn_seeds` after it in file order, as C Dynomite's peer array does. Datacenters and
//! racks are kept sorted by name, so every query is deterministic whatever order the seeds were
//! listed in.

use std::collections::{BTreeMap, BTreeSet};

use crate::config::keys::TOKENS_MAX;
use crate::config::{Config, Endpoint};

use super::describe::{ClusterDescription, DatacenterDescription, RackDescription, ServerDescription};
use super::error::TopologyError;
use super::token_ring::Ring;
use super::NODES_MAX;

/// A node's id: its index in [`Topology::nodes`].
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

/// One Dynomite node of the cluster (this one or a peer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerNode {
    /// Its index in [`Topology::nodes`].
    pub id: NodeId,
    /// Its peer listener (`dyn_listen` for this node, the seed's `host:port` for the others).
    pub address: Endpoint,
    /// Its datacenter.
    pub datacenter: String,
    /// Its rack within the datacenter.
    pub rack: String,
    /// Its ring positions in its rack, as configured (at least one).
    pub tokens: Vec<u32>,
    /// Whether this is the node running this code.
    pub is_local: bool,
}

/// One rack: a full copy of the data, partitioned among its nodes by `ring`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RackView {
    /// The rack's name.
    pub name: String,
    /// Which node of the rack owns which token.
    pub ring: Ring,
}

/// One datacenter and its racks, sorted by name (the local rack is not moved first here).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatacenterView {
    /// The datacenter's name.
    pub name: String,
    /// Its racks, sorted by name; never empty.
    pub racks: Vec<RackView>,
}

/// The node description [`Topology::from_nodes`] takes: `(dyn_listen address, datacenter, rack,
/// tokens)`.
pub type NodeSpecification = (Endpoint, String, String, Vec<u32>);

/// Every node, grouped into datacenters and racks, with the local node marked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// All nodes, indexed by [`NodeId`].
    nodes: Vec<PeerNode>,
    /// Datacenters sorted by name.
    datacenters: Vec<DatacenterView>,
    /// The node running this code.
    local: NodeId,
    /// Index of the local datacenter in `datacenters`.
    local_datacenter_index: usize,
    /// Index of the local rack in the local datacenter's `racks`.
    local_rack_index: usize,
}

impl Topology {
    /// From the node's own config (`dyn_listen`, `rack`, `datacenter`, `tokens`) plus `dyn_seeds`.
    /// The local node gets id 0, seeds follow in file order.
    ///
    /// Errors: a seed with the local `dyn_listen` address, two nodes with one address, a node
    /// without tokens, two nodes with the same token in one rack.
    pub fn from_config(config: &Config) -> Result<Topology, TopologyError> {
        if let Some(seed) = config.dyn_seeds.iter().find(|seed| seed.endpoint() == config.dyn_listen) {
            return Err(TopologyError::SeedIsLocalNode { seed: seed.to_string() });
        }
        let local = (
            config.dyn_listen.clone(),
            config.datacenter.clone(),
            config.rack.clone(),
            config.tokens.clone(),
        );
        let seeds = config
            .dyn_seeds
            .iter()
            .map(|seed| (seed.endpoint(), seed.datacenter.clone(), seed.rack.clone(), seed.tokens.clone()));
        Topology::from_nodes(std::iter::once(local).chain(seeds).collect(), 0)
    }

    /// From explicit nodes (tests, simulator); `local_index` marks the node running this code.
    /// Same errors as [`Topology::from_config`], plus too many nodes or tokens and a bad index.
    pub fn from_nodes(nodes: Vec<NodeSpecification>, local_index: usize) -> Result<Topology, TopologyError> {
        check_node_list(&nodes, local_index)?;
        let nodes: Vec<PeerNode> = nodes
            .into_iter()
            .enumerate()
            .map(|(index, (address, datacenter, rack, tokens))| PeerNode {
                // `check_node_list` bounds the count by NODES_MAX, far below u32::MAX.
                id: NodeId(index as u32),
                address,
                datacenter,
                rack,
                tokens,
                is_local: index == local_index,
            })
            .collect();
        let datacenters = build_datacenters(&nodes)?;
        let local = &nodes[local_index];
        let local_datacenter_index = datacenters
            .iter()
            .position(|datacenter| datacenter.name == local.datacenter)
            .unwrap_or_else(|| unreachable!("every node's datacenter is in the view"));
        let local_rack_index = datacenters[local_datacenter_index]
            .racks
            .iter()
            .position(|rack| rack.name == local.rack)
            .unwrap_or_else(|| unreachable!("every node's rack is in the view"));
        let local = local.id;
        Ok(Topology { nodes, datacenters, local, local_datacenter_index, local_rack_index })
    }

    /// The node running this code.
    pub fn local(&self) -> &PeerNode {
        self.node(self.local)
    }

    /// The node with id `id`.
    ///
    /// # Panics
    /// When `id` did not come from this topology (an index past [`Topology::nodes`]).
    pub fn node(&self, id: NodeId) -> &PeerNode {
        match self.nodes.get(id.0 as usize) {
            Some(node) => node,
            None => panic!("{id:?} is not a node of this topology ({} nodes)", self.nodes.len()),
        }
    }

    /// Every node, indexed by [`NodeId`].
    pub fn nodes(&self) -> &[PeerNode] {
        &self.nodes
    }

    /// Every datacenter, sorted by name.
    pub fn datacenters(&self) -> &[DatacenterView] {
        &self.datacenters
    }

    /// The datacenter named `name`, if any.
    pub fn datacenter(&self, name: &str) -> Option<&DatacenterView> {
        self.datacenters.iter().find(|datacenter| datacenter.name == name)
    }

    /// The local node's datacenter.
    pub fn local_datacenter(&self) -> &DatacenterView {
        &self.datacenters[self.local_datacenter_index]
    }

    /// The local node's rack.
    pub fn local_rack(&self) -> &RackView {
        &self.local_datacenter().racks[self.local_rack_index]
    }

    /// Owner of `token` in every rack of datacenter `dc`, one node per rack: the local node's rack
    /// first when `dc` is the local datacenter, then the other racks by name. Empty for an unknown
    /// `dc`.
    pub fn replicas_in_datacenter(&self, dc: &str, token: u32) -> Vec<NodeId> {
        let Some(datacenter) = self.datacenter(dc) else {
            return Vec::new();
        };
        if dc != self.local_datacenter().name {
            return datacenter.racks.iter().map(|rack| rack.ring.owner(token)).collect();
        }
        let local_rack = self.local_rack();
        std::iter::once(local_rack)
            .chain(datacenter.racks.iter().filter(|rack| rack.name != local_rack.name))
            .map(|rack| rack.ring.owner(token))
            .collect()
    }

    /// The owner of `token` in the local rack (DC_ONE's only replica).
    pub fn local_rack_owner(&self, token: u32) -> NodeId {
        self.local_rack().ring.owner(token)
    }

    /// Nodes of the local rack in ring order (for cluster-wide SCAN/KEYS/DBSIZE): together they hold
    /// one full copy of the data.
    pub fn local_rack_nodes(&self) -> Vec<NodeId> {
        self.local_rack().ring.nodes()
    }

    /// The node a coordinator forwards a request for `token` to in datacenter `dc` (which then fans
    /// it out to that datacenter's other racks).
    ///
    /// The rack chosen is the one with the local rack's name if `dc` has one. Otherwise it is the
    /// rack at the local rack's position (in the local datacenter, sorted by name) modulo the number
    /// of racks in `dc`: C Dynomite's `preselect_remote_rack_for_replication` intends this, and it
    /// spreads the local racks over the remote ones when rack names differ between datacenters (the
    /// usual case with availability zones). For an unknown `dc` this returns the local rack owner, the
    /// node that would serve the request here.
    pub fn remote_datacenter_entry(&self, dc: &str, token: u32) -> NodeId {
        let Some(datacenter) = self.datacenter(dc) else {
            return self.local_rack_owner(token);
        };
        let local_rack_name = &self.local_rack().name;
        let rack = datacenter
            .racks
            .iter()
            .find(|rack| rack.name == *local_rack_name)
            .or_else(|| datacenter.racks.get(self.local_rack_index % datacenter.racks.len().max(1)));
        match rack {
            Some(rack) => rack.ring.owner(token),
            None => self.local_rack_owner(token),
        }
    }

    /// C Dynomite's `/cluster_describe` as plain data: datacenters and racks by name, servers in
    /// ring order; see [`ClusterDescription`].
    pub fn describe(&self) -> ClusterDescription {
        let dcs = self
            .datacenters
            .iter()
            .map(|datacenter| DatacenterDescription {
                name: datacenter.name.clone(),
                racks: datacenter.racks.iter().map(|rack| self.describe_rack(rack)).collect(),
            })
            .collect();
        ClusterDescription { dcs }
    }

    /// One rack of [`Topology::describe`].
    fn describe_rack(&self, rack: &RackView) -> RackDescription {
        let servers = rack
            .ring
            .nodes()
            .into_iter()
            .map(|id| {
                let node = self.node(id);
                ServerDescription {
                    name: node.address.host.clone(),
                    host: node.address.host.clone(),
                    port: node.address.port,
                    token: node.tokens.first().copied().unwrap_or_default(),
                }
            })
            .collect();
        RackDescription { name: rack.name.clone(), servers }
    }
}

/// Checks the sizes, the local index, every node's tokens and address uniqueness.
fn check_node_list(nodes: &[NodeSpecification], local_index: usize) -> Result<(), TopologyError> {
    if nodes.len() > NODES_MAX {
        return Err(TopologyError::TooManyNodes { count: nodes.len(), limit: NODES_MAX });
    }
    if local_index >= nodes.len() {
        return Err(TopologyError::LocalIndexOutOfRange { index: local_index, count: nodes.len() });
    }
    let mut addresses = BTreeSet::new();
    for (address, datacenter, rack, tokens) in nodes {
        if tokens.is_empty() {
            return Err(TopologyError::NoTokens {
                address: address.clone(),
                rack: rack.clone(),
                datacenter: datacenter.clone(),
            });
        }
        if tokens.len() > TOKENS_MAX {
            let (count, limit) = (tokens.len(), TOKENS_MAX);
            return Err(TopologyError::TooManyTokens { address: address.clone(), count, limit });
        }
        if !addresses.insert(address) {
            return Err(TopologyError::DuplicateAddress { address: address.clone() });
        }
    }
    Ok(())
}

/// One datacenter's racks while grouping: rack name → `(token, node)` pairs.
type RacksByName<'a> = BTreeMap<&'a str, Vec<(u32, NodeId)>>;

/// Groups the nodes by datacenter then rack (both sorted by name) and builds each rack's ring.
fn build_datacenters(nodes: &[PeerNode]) -> Result<Vec<DatacenterView>, TopologyError> {
    let mut grouped: BTreeMap<&str, RacksByName<'_>> = BTreeMap::new();
    for node in nodes {
        let entries = grouped.entry(&node.datacenter).or_default().entry(&node.rack).or_default();
        entries.extend(node.tokens.iter().map(|token| (*token, node.id)));
    }
    grouped
        .into_iter()
        .map(|(datacenter, racks)| {
            let racks = racks
                .into_iter()
                .map(|(rack, entries)| build_rack(nodes, datacenter, rack, entries))
                .collect::<Result<Vec<RackView>, TopologyError>>()?;
            Ok(DatacenterView { name: datacenter.to_string(), racks })
        })
        .collect()
}

/// One rack's ring, with a duplicate token reported by the holders' addresses.
fn build_rack(
    nodes: &[PeerNode],
    datacenter: &str,
    rack: &str,
    entries: Vec<(u32, NodeId)>,
) -> Result<RackView, TopologyError> {
    let qualified = format!("{datacenter}/{rack}");
    let address = |id: NodeId| nodes[id.0 as usize].address.clone();
    match Ring::new(&qualified, entries) {
        Ok(ring) => Ok(RackView { name: rack.to_string(), ring }),
        Err(TopologyError::DuplicateToken { rack, token, first, second }) => {
            Err(TopologyError::DuplicateTokenInRack {
                rack,
                token,
                first_address: address(first),
                second_address: address(second),
            })
        }
        Err(other) => Err(other),
    }
}
