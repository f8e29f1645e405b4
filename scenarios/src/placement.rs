//! Where each workload key lives: its owner in every rack of every datacenter, computed from the same
//! ring code and node configurations the simulated nodes use (not from the planner, so a planner
//! mutant that sends a key to the wrong node shows up as a replica without the write).

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_chaos::Shape;
use dynomite_core::ring::{key_token, Topology};
use dynomite_sim::model::plan;
use dynomite_sim::node_config::node_config;
use dynomite_sim::SimConfig;

use crate::runner::attribution::node_index_of;

/// Each key's owner per rack, racks numbered `datacenter * racks_per_datacenter + rack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owners {
    shape: Shape,
    owners: BTreeMap<Bytes, Vec<usize>>,
}

impl Owners {
    /// The owners of `keys` in the cluster `config` describes.
    pub fn compute(config: &SimConfig, keys: &[Bytes]) -> Owners {
        let shape = config.shape;
        let placements = plan(&shape);
        let node_zero = node_config(config, &placements, 0).expect("the simulator's node config is valid");
        let topology = Topology::from_config(&node_zero).expect("the simulator's topology is valid");
        let mut owners = BTreeMap::new();
        for key in keys {
            let token = key_token(key, node_zero.hash, node_zero.hash_tag);
            let mut racks = vec![usize::MAX; shape.rack_count()];
            for datacenter in topology.datacenters() {
                for id in topology.replicas_in_datacenter(&datacenter.name, token) {
                    let node = node_index_of(0, id.0);
                    let rack = shape.datacenter_of(node) * shape.racks_per_datacenter + shape.rack_of(node);
                    racks[rack] = node;
                }
            }
            owners.insert(key.clone(), racks);
        }
        Owners { shape, owners }
    }

    /// The cluster shape.
    pub fn shape(&self) -> &Shape {
        &self.shape
    }

    /// Every key with its owners, one per rack of the cluster.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, &[usize])> {
        self.owners.iter().map(|(key, racks)| (key, racks.as_slice()))
    }

    /// The owners of `key` (one per rack, every datacenter), if it is a known key.
    pub fn replicas(&self, key: &[u8]) -> Option<&[usize]> {
        self.owners.get(key).map(Vec::as_slice)
    }

    /// The owner of `key` in the rack of node `node` (DC_ONE's replica when `node` coordinates).
    pub fn owner_in_rack_of(&self, key: &[u8], node: usize) -> Option<usize> {
        let rack =
            self.shape.datacenter_of(node) * self.shape.racks_per_datacenter + self.shape.rack_of(node);
        self.replicas(key).map(|racks| racks[rack])
    }
}
