//! The simulated deployment as plain data: its shape, latency classes, seed, and where every node lives.
//!
//! Nothing here needs madsim, so the placement rules (addresses, tokens, names) are unit-tested in the
//! ordinary build and shared by the harness.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use dynomite_core::config::Consistency;

/// Port every node serves clients on (each node has its own simulated IP).
pub const CLIENT_PORT: u16 = 8102;
/// Port every node serves peers on.
pub const PEER_PORT: u16 = 8101;
/// Port of every node's admin HTTP listener.
pub const STATS_PORT: u16 = 22222;
/// Port of every datastore host's embedded Redis-compatible server.
pub const DATASTORE_PORT: u16 = 6379;
/// Most datacenters a simulation may have (one IP octet each).
pub const DATACENTERS_MAX: usize = 200;
/// Most racks per datacenter (one IP octet each; octet 0 is for client hosts).
pub const RACKS_PER_DATACENTER_MAX: usize = 200;
/// Most nodes per rack (node hosts use octets 1..=99, datastore hosts 101..=199).
pub const NODES_PER_RACK_MAX: usize = 99;
/// Datastore host of node `n` in a rack has last octet `DATASTORE_OCTET_OFFSET + n + 1`.
const DATASTORE_OCTET_OFFSET: u8 = 100;

/// How many datacenters, racks and nodes the simulated cluster has: the same type the fault plans are
/// drawn for, so a plan's node numbers are the harness's node indexes.
pub use dynomite_chaos::Shape;

/// Panics with the offending field when the shape is empty or too large for the address plan.
pub fn assert_fits_address_plan(shape: &Shape) {
    assert!((1..=DATACENTERS_MAX).contains(&shape.datacenters), "datacenters {}", shape.datacenters);
    assert!(
        (1..=RACKS_PER_DATACENTER_MAX).contains(&shape.racks_per_datacenter),
        "racks_per_datacenter {}",
        shape.racks_per_datacenter
    );
    assert!(
        (1..=NODES_PER_RACK_MAX).contains(&shape.nodes_per_rack),
        "nodes_per_rack {}",
        shape.nodes_per_rack
    );
}

/// One-way network latency by placement. The harness sets madsim's global latency to `same_rack` and
/// adds the difference to the other classes on each peer request (and its reply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencyClasses {
    /// Between hosts of one rack, and between any client host and a node.
    pub same_rack: Duration,
    /// Between racks of one datacenter.
    pub cross_rack: Duration,
    /// Lower bound of the latency between two datacenters (each pair draws once from the seed).
    pub cross_datacenter_min: Duration,
    /// Upper bound (inclusive) of the latency between two datacenters.
    pub cross_datacenter_max: Duration,
}

impl Default for LatencyClasses {
    /// 0.2 ms in a rack, 1 ms across racks, 40–80 ms across datacenters.
    fn default() -> LatencyClasses {
        LatencyClasses {
            same_rack: Duration::from_micros(200),
            cross_rack: Duration::from_millis(1),
            cross_datacenter_min: Duration::from_millis(40),
            cross_datacenter_max: Duration::from_millis(80),
        }
    }
}

/// Everything that defines one simulation run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// The topology.
    pub shape: Shape,
    /// Latency classes.
    pub latency: LatencyClasses,
    /// `read_consistency` of every node.
    pub read_consistency: Consistency,
    /// `write_consistency` of every node.
    pub write_consistency: Consistency,
    /// The one seed every random choice derives from (madsim's runtime and the harness's draws).
    pub seed: u64,
    /// `datastore_connections` of every node (pool size; > 1 makes pool ordering bugs reachable).
    pub datastore_connections: usize,
    /// `local_peer_connections` of every node.
    pub local_peer_connections: usize,
    /// `remote_peer_connections` of every node.
    pub remote_peer_connections: usize,
    /// The anti-entropy keys of every node (`crdt_enabled: true` and friends); `None` writes none of
    /// them (today's behaviour: no timestamps, no repair).
    pub anti_entropy: Option<AntiEntropy>,
}

/// The anti-entropy configuration every node of a simulation gets (issue "Anti-entropy with CRDTs").
/// Written as the config keys of the same names; `crdt_enabled: true` is implied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AntiEntropy {
    /// `read_repairs_enabled`.
    pub read_repairs_enabled: bool,
    /// `changelog_max`: entries of the datastore change log.
    pub changelog_max: u32,
    /// `repair_interval`: ms between change-log sweeps (0 = off).
    pub repair_interval_ms: u64,
    /// `repair_full_interval`: ms between full range repairs (0 = only on request).
    pub repair_full_interval_ms: u64,
    /// `repair_rate`: keys per second a repair may ship.
    pub repair_rate: u64,
    /// `tombstone_gc_age`: ms after which tombstones are collected by the age rule.
    pub tombstone_gc_age_ms: u64,
    /// `hints_max`: hints kept per peer (0 disables hinted handoff).
    pub hints_max: u64,
}

impl AntiEntropy {
    /// Read repair alone: no background repair, no hinted handoff, tombstones kept a day. What the
    /// deterministic simulation tests use to stage one repair path by hand.
    pub fn read_repair_only() -> AntiEntropy {
        AntiEntropy {
            read_repairs_enabled: true,
            changelog_max: 1000,
            repair_interval_ms: 0,
            repair_full_interval_ms: 0,
            repair_rate: 1000,
            tombstone_gc_age_ms: 86_400_000,
            hints_max: 0,
        }
    }

    /// The YAML lines of these keys (two-space indented, each ending in a newline).
    pub fn yaml(&self) -> String {
        format!(
            "  crdt_enabled: true\n  read_repairs_enabled: {}\n  changelog_max: {}\n  repair_interval: {}\n  \
             repair_full_interval: {}\n  repair_rate: {}\n  tombstone_gc_age: {}\n  hints_max: {}\n",
            self.read_repairs_enabled,
            self.changelog_max,
            self.repair_interval_ms,
            self.repair_full_interval_ms,
            self.repair_rate,
            self.tombstone_gc_age_ms,
            self.hints_max,
        )
    }

    /// One line for reports: `crdt_enabled=true read_repairs_enabled=.. changelog_max=.. ...`.
    pub fn describe(&self) -> String {
        format!(
            "crdt_enabled=true read_repairs_enabled={} changelog_max={} repair_interval={} \
             repair_full_interval={} repair_rate={} tombstone_gc_age={} hints_max={}",
            self.read_repairs_enabled,
            self.changelog_max,
            self.repair_interval_ms,
            self.repair_full_interval_ms,
            self.repair_rate,
            self.tombstone_gc_age_ms,
            self.hints_max,
        )
    }
}

impl SimConfig {
    /// A `datacenters × racks × nodes` cluster with default latencies, DC_ONE everywhere, one
    /// connection per pool and peer link.
    pub fn new(
        datacenters: usize,
        racks_per_datacenter: usize,
        nodes_per_rack: usize,
        seed: u64,
    ) -> SimConfig {
        SimConfig {
            shape: Shape { datacenters, racks_per_datacenter, nodes_per_rack },
            latency: LatencyClasses::default(),
            read_consistency: Consistency::DcOne,
            write_consistency: Consistency::DcOne,
            seed,
            datastore_connections: 1,
            local_peer_connections: 1,
            remote_peer_connections: 1,
            anti_entropy: None,
        }
    }
}

/// Where one node lives and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeAddress {
    /// Its index in [`plan`] order: datacenter-major, then rack, then node.
    pub index: usize,
    /// Datacenter name (`dc1`, `dc2`, ...).
    pub datacenter: String,
    /// Rack name (`rack1`, `rack2`, ...).
    pub rack: String,
    /// Its ring positions within its rack.
    pub tokens: Vec<u32>,
    /// Where clients connect.
    pub client: SocketAddr,
}

/// A node's full placement: what clients see plus the numbers the harness needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// The public part.
    pub address: NodeAddress,
    /// Datacenter number (0-based).
    pub datacenter_index: usize,
    /// Rack number within the datacenter (0-based).
    pub rack_index: usize,
    /// IP of the node host.
    pub node_ip: IpAddr,
    /// IP of its datastore host.
    pub datastore_ip: IpAddr,
}

impl Placement {
    /// The node's peer listener as other nodes dial it.
    pub fn peer_address(&self) -> SocketAddr {
        SocketAddr::new(self.node_ip, PEER_PORT)
    }

    /// The datastore host's server address.
    pub fn datastore_address(&self) -> SocketAddr {
        SocketAddr::new(self.datastore_ip, DATASTORE_PORT)
    }
}

/// Every node of `shape`, datacenter-major. Node `n` of a rack gets token `n * 2^32 / nodes_per_rack`,
/// the node host IP `10.<dc+1>.<rack+1>.<n+1>` and the datastore host IP `10.<dc+1>.<rack+1>.<n+101>`.
pub fn plan(shape: &Shape) -> Vec<Placement> {
    assert_fits_address_plan(shape);
    let spacing = (u32::MAX as u64 + 1) / shape.nodes_per_rack as u64;
    let mut placements = Vec::with_capacity(shape.node_count());
    for datacenter in 0..shape.datacenters {
        for rack in 0..shape.racks_per_datacenter {
            for node in 0..shape.nodes_per_rack {
                let node_ip = host_ip(datacenter, rack + 1, node as u8 + 1);
                placements.push(Placement {
                    address: NodeAddress {
                        index: placements.len(),
                        datacenter: datacenter_name(datacenter),
                        rack: rack_name(rack),
                        tokens: vec![(node as u64 * spacing) as u32],
                        client: SocketAddr::new(node_ip, CLIENT_PORT),
                    },
                    datacenter_index: datacenter,
                    rack_index: rack,
                    node_ip,
                    datastore_ip: host_ip(datacenter, rack + 1, DATASTORE_OCTET_OFFSET + node as u8 + 1),
                });
            }
        }
    }
    placements
}

/// IP of the `number`-th (0-based) client host of `datacenter`: `10.<dc+1>.0.<number+1>`.
pub fn client_ip(datacenter: usize, number: usize) -> IpAddr {
    let octet = u8::try_from(number + 1).expect("at most 255 client hosts per datacenter");
    host_ip(datacenter, 0, octet)
}

/// Name of datacenter `index` (0-based): `dc1`, `dc2`, ...
pub fn datacenter_name(index: usize) -> String {
    format!("dc{}", index + 1)
}

/// Name of rack `index` (0-based): `rack1`, `rack2`, ...
pub fn rack_name(index: usize) -> String {
    format!("rack{}", index + 1)
}

fn host_ip(datacenter: usize, rack_octet: usize, last_octet: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(10, datacenter as u8 + 1, rack_octet as u8, last_octet))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_is_datacenter_major_with_even_tokens_and_distinct_hosts() {
        let placements = plan(&Shape { datacenters: 2, racks_per_datacenter: 3, nodes_per_rack: 2 });
        assert_eq!(placements.len(), 12);
        // Index 7 = dc2 (6 nodes per dc), rack1, second node: token 2^31.
        let seventh = &placements[7];
        assert_eq!((seventh.address.datacenter.as_str(), seventh.address.rack.as_str()), ("dc2", "rack1"));
        assert_eq!(seventh.address.tokens, vec![1 << 31]);
        assert_eq!(seventh.address.client.to_string(), "10.2.1.2:8102");
        assert_eq!(seventh.datastore_address().to_string(), "10.2.1.102:6379");
        let mut ips: Vec<IpAddr> = placements.iter().flat_map(|p| [p.node_ip, p.datastore_ip]).collect();
        ips.sort();
        ips.dedup();
        assert_eq!(ips.len(), 24, "every host has its own IP");
    }
}
