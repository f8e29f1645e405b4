//! One rack's token ring: which node owns a token.
//!
//! C Dynomite's `vnode_dispatch` (`src/dyn_vnode.c`) gives a token in the interval `(a, b]` of two
//! consecutive ring tokens to the node holding `b`: the owner is the node with the **smallest token
//! `>=` the hash** (a hash equal to a node's token belongs to that node), and a hash above the largest
//! token wraps to the node with the smallest token. [`Ring::owner`] does the same.

use std::collections::BTreeSet;

use super::error::TopologyError;
use super::NodeId;

/// A rack's ring: `(token, node)` pairs sorted by token, each token once, never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// Sorted by token, no duplicate token, at least one entry (checked by [`Ring::new`]).
    entries: Vec<(u32, NodeId)>,
}

impl Ring {
    /// A ring from `(token, node)` pairs in any order. Errors when it is empty or a token appears
    /// twice (C Dynomite would silently send that token's keys to whichever sorts first).
    pub fn new(rack: &str, mut entries: Vec<(u32, NodeId)>) -> Result<Ring, TopologyError> {
        entries.sort_unstable();
        if entries.is_empty() {
            return Err(TopologyError::EmptyRack { rack: rack.to_string() });
        }
        if let Some(pair) = entries.windows(2).find(|pair| pair[0].0 == pair[1].0) {
            return Err(TopologyError::DuplicateToken {
                rack: rack.to_string(),
                token: pair[0].0,
                first: pair[0].1,
                second: pair[1].1,
            });
        }
        Ok(Ring { entries })
    }

    /// The node owning `token`: the one with the smallest ring token `>= token`, or, when `token` is
    /// above every ring token, the one with the smallest ring token (wrap-around).
    pub fn owner(&self, token: u32) -> NodeId {
        let index = self.entries.partition_point(|(ring_token, _)| *ring_token < token);
        let (_, node) =
            self.entries.get(index).or_else(|| self.entries.first()).copied().unwrap_or_else(|| {
                // `Ring::new` refuses empty rings and `entries` is never changed afterwards.
                unreachable!("a Ring always has at least one token")
            });
        node
    }

    /// The distinct nodes of the ring, in ring order (by their smallest token).
    pub fn nodes(&self) -> Vec<NodeId> {
        let mut seen = BTreeSet::new();
        self.entries.iter().map(|(_, node)| *node).filter(|node| seen.insert(*node)).collect()
    }

    /// The `(token, node)` pairs, sorted by token.
    pub fn entries(&self) -> &[(u32, NodeId)] {
        &self.entries
    }
}
