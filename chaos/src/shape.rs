//! The cluster shape a plan is drawn for, and the node numbering every fault uses.

use std::ops::Range;

/// How many datacenters, racks and nodes the cluster has; every datacenter has the same racks.
///
/// Nodes are numbered `((datacenter * racks_per_datacenter) + rack) * nodes_per_rack + node`, so the
/// nodes of one rack, and of one datacenter, are contiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Number of datacenters (at least one).
    pub datacenters: usize,
    /// Racks in each datacenter (at least one).
    pub racks_per_datacenter: usize,
    /// Nodes in each rack (at least one).
    pub nodes_per_rack: usize,
}

impl Shape {
    /// A shape; panics when any count is zero (a plan for an empty cluster is a caller bug).
    pub fn new(datacenters: usize, racks_per_datacenter: usize, nodes_per_rack: usize) -> Shape {
        let shape = Shape { datacenters, racks_per_datacenter, nodes_per_rack };
        shape.assert_valid();
        shape
    }

    /// Panics when any count is zero.
    pub fn assert_valid(&self) {
        assert!(
            self.datacenters > 0 && self.racks_per_datacenter > 0 && self.nodes_per_rack > 0,
            "every count of a cluster shape must be at least one: {self:?}"
        );
    }

    /// Nodes in the whole cluster.
    pub fn node_count(&self) -> usize {
        self.datacenters * self.racks_per_datacenter * self.nodes_per_rack
    }

    /// Racks in the whole cluster.
    pub fn rack_count(&self) -> usize {
        self.datacenters * self.racks_per_datacenter
    }

    /// Nodes in one datacenter.
    pub fn nodes_per_datacenter(&self) -> usize {
        self.racks_per_datacenter * self.nodes_per_rack
    }

    /// The index of `node` in `rack` of `datacenter`.
    pub fn node_index(&self, datacenter: usize, rack: usize, node: usize) -> usize {
        ((datacenter * self.racks_per_datacenter) + rack) * self.nodes_per_rack + node
    }

    /// The node indexes of one rack.
    pub fn rack_nodes(&self, datacenter: usize, rack: usize) -> Range<usize> {
        let first = self.node_index(datacenter, rack, 0);
        first..first + self.nodes_per_rack
    }

    /// The node indexes of one datacenter.
    pub fn datacenter_nodes(&self, datacenter: usize) -> Range<usize> {
        let first = self.node_index(datacenter, 0, 0);
        first..first + self.nodes_per_datacenter()
    }

    /// The datacenter a node belongs to.
    pub fn datacenter_of(&self, node: usize) -> usize {
        node / self.nodes_per_datacenter()
    }

    /// The rack (within its datacenter) a node belongs to.
    pub fn rack_of(&self, node: usize) -> usize {
        (node / self.nodes_per_rack) % self.racks_per_datacenter
    }
}
