//! Fault operations on a [`SimCluster`]: kills and restarts (Chaos Monkey, Gorilla, Kong), partitions
//! by clogging links, clock skew, and heal.
//!
//! Every change is recorded in [`FaultState`] so `heal` can undo exactly what was done, and so client
//! hosts created during a partition join the side they belong to.
//!
//! Semantics:
//! - `kill_node` kills the node host only; its datastore host keeps the data (a process crash).
//!   `kill_node_and_data`, `kill_rack` and `kill_datacenter` kill node and datastore hosts together
//!   (a machine, zone or region loss): a restarted datastore starts empty.
//! - Killed hosts close their sockets, so peers see a clean EOF at once. To make hosts vanish
//!   silently, isolate them instead.
//! - `isolate_rack` cuts the rack's node and datastore hosts off from every other host, including
//!   every client host. `isolate_datacenter` cuts the datacenter off from every other datacenter;
//!   client hosts of that datacenter stay on its side (a region split: the region's own application
//!   servers still reach it, the rest of the world does not).

use std::collections::BTreeSet;

use dynomite_core::cluster::LocalState;
use madsim::net::NetSim;
use madsim::runtime::Handle;
use madsim::task::NodeId;

use super::{Inner, SimCluster};

/// What the harness has broken and not yet repaired.
#[derive(Default)]
pub(super) struct FaultState {
    /// Hosts killed and not restarted.
    killed: BTreeSet<NodeId>,
    /// One-way links clogged (source, destination).
    clogged: BTreeSet<(NodeId, NodeId)>,
    /// Every client host with its datacenter.
    pub(super) clients: Vec<(NodeId, usize)>,
    /// Partitions in force.
    isolations: Vec<Isolation>,
}

/// One side of a partition: everything inside is cut off from everything outside.
struct Isolation {
    inside: BTreeSet<NodeId>,
    /// Client hosts of this datacenter belong inside (datacenter isolation only).
    clients_datacenter: Option<usize>,
}

impl FaultState {
    /// Registers a client host and applies the partitions in force to it.
    pub(super) fn add_client(&mut self, client: NodeId, datacenter: usize, inner: &Inner) {
        self.clients.push((client, datacenter));
        let everyone = self.all_hosts(inner);
        let mut links = Vec::new();
        for isolation in &mut self.isolations {
            if isolation.clients_datacenter == Some(datacenter) {
                isolation.inside.insert(client);
                links.extend(everyone.difference(&isolation.inside).map(|outside| (client, *outside)));
            } else {
                links.extend(isolation.inside.iter().map(|inside| (client, *inside)));
            }
        }
        for (first, second) in links {
            self.clog_both_ways(first, second);
        }
    }

    fn all_hosts(&self, inner: &Inner) -> BTreeSet<NodeId> {
        let hosts = inner.hosts.iter().flat_map(|hosts| [hosts.node.id(), hosts.datastore.id()]);
        hosts.chain(self.clients.iter().map(|(client, _)| *client)).collect()
    }

    fn isolate(&mut self, isolation: Isolation, inner: &Inner) {
        let everyone = self.all_hosts(inner);
        let outside: Vec<NodeId> = everyone.difference(&isolation.inside).copied().collect();
        for inside in &isolation.inside {
            for other in &outside {
                self.clog_both_ways(*inside, *other);
            }
        }
        self.isolations.push(isolation);
    }

    fn clog_both_ways(&mut self, first: NodeId, second: NodeId) {
        self.clog(first, second);
        self.clog(second, first);
    }

    fn clog(&mut self, from: NodeId, to: NodeId) {
        if self.clogged.insert((from, to)) {
            NetSim::current().clog_link(from, to);
        }
    }

    fn unclog_all(&mut self) {
        let net = NetSim::current();
        for (from, to) in std::mem::take(&mut self.clogged) {
            net.unclog_link(from, to);
        }
        self.isolations.clear();
    }
}

impl SimCluster {
    /// Kills node `index`'s node host; its datastore host keeps running with the data.
    pub fn kill_node(&self, index: usize) {
        self.kill_host(self.node_host_id(index));
        *self.inner.hosts[index].shared.lock().expect("slot lock") = None;
        *self.inner.hosts[index].boot_state.lock().expect("boot state lock") = None;
    }

    /// Kills node `index`'s node host and its datastore host: the data is lost.
    pub fn kill_node_and_data(&self, index: usize) {
        self.kill_node(index);
        self.kill_host(self.datastore_host_id(index));
    }

    /// Restarts whatever of node `index` was killed (datastore host first). No-op for live hosts.
    pub fn restart_node(&self, index: usize) {
        self.restart_host(self.datastore_host_id(index));
        self.restart_host(self.node_host_id(index));
    }

    /// Chaos Gorilla: kills every node and datastore host of a rack (0-based indices).
    pub fn kill_rack(&self, datacenter: usize, rack: usize) {
        self.rack_members(datacenter, rack).into_iter().for_each(|index| self.kill_node_and_data(index));
    }

    /// Restarts what was killed in a rack.
    pub fn restart_rack(&self, datacenter: usize, rack: usize) {
        self.rack_members(datacenter, rack).into_iter().for_each(|index| self.restart_node(index));
    }

    /// Chaos Kong: kills every node and datastore host of a datacenter (0-based).
    pub fn kill_datacenter(&self, datacenter: usize) {
        self.datacenter_members(datacenter).into_iter().for_each(|index| self.kill_node_and_data(index));
    }

    /// Restarts what was killed in a datacenter.
    pub fn restart_datacenter(&self, datacenter: usize) {
        self.datacenter_members(datacenter).into_iter().for_each(|index| self.restart_node(index));
    }

    /// Cuts a rack's node and datastore hosts off from every other host, client hosts included.
    pub fn isolate_rack(&self, datacenter: usize, rack: usize) {
        let inside = self.host_ids(&self.rack_members(datacenter, rack));
        self.with_faults(|faults, inner| {
            faults.isolate(Isolation { inside, clients_datacenter: None }, inner);
        });
    }

    /// Cuts a datacenter off from every other datacenter; its own client hosts stay on its side.
    pub fn isolate_datacenter(&self, datacenter: usize) {
        let mut inside = self.host_ids(&self.datacenter_members(datacenter));
        self.with_faults(|faults, inner| {
            let clients = faults.clients.iter().filter(|(_, home)| *home == datacenter);
            inside.extend(clients.map(|(client, _)| *client));
            faults.isolate(Isolation { inside, clients_datacenter: Some(datacenter) }, inner);
        });
    }

    /// Drops everything node `from`'s host sends to node `to`'s host (the reverse direction still works).
    pub fn clog_one_way(&self, from: usize, to: usize) {
        let (from, to) = (self.node_host_id(from), self.node_host_id(to));
        self.with_faults(|faults, _| faults.clog(from, to));
    }

    /// Unclogs every link the harness clogged and restarts every host it killed.
    pub fn heal(&self) {
        self.with_faults(|faults, _| faults.unclog_all());
        for index in 0..self.inner.hosts.len() {
            self.restart_node(index);
        }
    }

    /// Kills every host of the simulation (nodes, datastores, client hosts), dropping their tasks: call
    /// it when a run is over, so a process that simulates many seeds does not keep each run's
    /// connections and buffers alive (madsim keeps a live host's pending tasks until it is killed).
    pub fn shutdown(&self) {
        let clients: Vec<NodeId> =
            self.with_faults(|faults, _| faults.clients.iter().map(|(id, _)| *id).collect());
        for index in 0..self.inner.hosts.len() {
            self.kill_node_and_data(index);
        }
        for client in clients {
            self.kill_host(client);
        }
    }

    /// Sets node `index`'s clock skew (node and datastore host); a change while running is a jump.
    pub fn set_clock_offset(&self, index: usize, offset_ms: i64) {
        self.inner.hosts[index].clock.set_offset_ms(offset_ms);
    }

    /// Sets node `index`'s serving state (admin `/state/...`): at once when it runs, else when it has
    /// booted (a restart in the same instant). A kill forgets it: a restarted node is `Normal`.
    pub fn set_local_state(&self, index: usize, state: LocalState) {
        let hosts = &self.inner.hosts[index];
        match hosts.shared.lock().expect("slot lock").as_ref() {
            Some(shared) => shared.set_local_state(state),
            None => *hosts.boot_state.lock().expect("boot state lock") = Some(state),
        }
    }

    /// True while node `index`'s node host is killed.
    pub fn is_node_killed(&self, index: usize) -> bool {
        let id = self.node_host_id(index);
        self.with_faults(|faults, _| faults.killed.contains(&id))
    }

    fn kill_host(&self, id: NodeId) {
        if self.with_faults(|faults, _| faults.killed.insert(id)) {
            Handle::current().kill(id);
        }
    }

    fn restart_host(&self, id: NodeId) {
        if self.with_faults(|faults, _| faults.killed.remove(&id)) {
            Handle::current().restart(id);
        }
    }

    fn host_ids(&self, indices: &[usize]) -> BTreeSet<NodeId> {
        indices.iter().flat_map(|index| [self.node_host_id(*index), self.datastore_host_id(*index)]).collect()
    }

    fn with_faults<T>(&self, change: impl FnOnce(&mut FaultState, &Inner) -> T) -> T {
        let mut faults = self.inner.faults.lock().expect("fault state lock");
        change(&mut faults, &self.inner)
    }
}
