//! Why a topology cannot be built. Every variant names the offending node, seed or token so the
//! operator can fix the configuration.

use crate::config::Endpoint;

use super::NodeId;

/// A topology that cannot serve requests as described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    /// A node has no token, so it would own nothing (C Dynomite requires `tokens`).
    #[error("node {address} (rack '{rack}', datacenter '{datacenter}') has no token")]
    NoTokens {
        /// The node's `dyn_listen` address.
        address: Endpoint,
        /// The node's rack.
        rack: String,
        /// The node's datacenter.
        datacenter: String,
    },
    /// A node lists more tokens than [`TOKENS_MAX`](crate::config::keys::TOKENS_MAX).
    #[error("node {address} has {count} tokens; at most {limit} are allowed")]
    TooManyTokens {
        /// The node's `dyn_listen` address.
        address: Endpoint,
        /// How many tokens it has.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// More nodes than [`NODES_MAX`](super::NODES_MAX).
    #[error("{count} nodes; at most {limit} are allowed")]
    TooManyNodes {
        /// How many nodes were given.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Two nodes of one rack hold the same token: each token has exactly one owner per rack.
    #[error(
        "token {token} is held twice in rack '{rack}' (by {first_address} and {second_address}); \
         tokens must be unique within a rack"
    )]
    DuplicateTokenInRack {
        /// `datacenter/rack` name.
        rack: String,
        /// The token held twice.
        token: u32,
        /// Address of the first holder.
        first_address: Endpoint,
        /// Address of the second holder (may equal the first when one node lists a token twice).
        second_address: Endpoint,
    },
    /// The same token twice in one ring (raw [`Ring::new`](super::Ring::new) check).
    #[error("token {token} is held twice in rack '{rack}' (nodes {} and {})", first.0, second.0)]
    DuplicateToken {
        /// Rack name given to [`Ring::new`](super::Ring::new).
        rack: String,
        /// The token held twice.
        token: u32,
        /// First holder.
        first: NodeId,
        /// Second holder.
        second: NodeId,
    },
    /// A ring without any token.
    #[error("rack '{rack}' has no token")]
    EmptyRack {
        /// Rack name given to [`Ring::new`](super::Ring::new).
        rack: String,
    },
    /// A `dyn_seeds` entry has the local node's own `dyn_listen` address.
    #[error("seed {seed} is this node's own dyn_listen address; list only other nodes in dyn_seeds")]
    SeedIsLocalNode {
        /// The seed as written (`host:port:rack:datacenter:tokens`).
        seed: String,
    },
    /// Two nodes share one `dyn_listen` address.
    #[error("two nodes have the address {address}; each node needs its own dyn_listen host:port")]
    DuplicateAddress {
        /// The address given twice.
        address: Endpoint,
    },
    /// `local_index` does not name one of the nodes.
    #[error("local node index {index} is out of range for {count} nodes")]
    LocalIndexOutOfRange {
        /// The index given.
        index: usize,
        /// How many nodes there are.
        count: usize,
    },
}
