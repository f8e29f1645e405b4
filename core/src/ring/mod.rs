//! Placement: which node holds a key.
//!
//! A key is hashed to a 32-bit token ([`key_token`], C Dynomite's `murmur` with the optional
//! `hash_tag`). The cluster ([`Topology`]) is datacenters of racks of nodes; every rack holds a full
//! copy of the data, partitioned by its own token [`Ring`], where the owner of a token is the node
//! with the smallest token `>=` it, wrapping to the smallest token (C's `vnode_dispatch`). The
//! request planner asks the topology for the local rack's owner (DC_ONE), the owner in every rack of
//! the local datacenter (quorums, replication) and one entry node per remote datacenter.
//!
//! Everything here is pure data and deterministic: datacenters and racks are sorted by name, and no
//! hash map is iterated.

mod describe;
mod error;
mod hash;
mod token_ring;
mod topology;

pub use describe::{ClusterDescription, DatacenterDescription, RackDescription, ServerDescription};
pub use error::TopologyError;
pub use hash::{hashed_part, key_token, murmur2};
pub use token_ring::Ring;
pub use topology::{DatacenterView, NodeId, NodeSpecification, PeerNode, RackView, Topology};

/// Most nodes in one topology: the local node plus [`SEEDS_MAX`](crate::config::keys::SEEDS_MAX)
/// seeds.
pub const NODES_MAX: usize = crate::config::keys::SEEDS_MAX + 1;
