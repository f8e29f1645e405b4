//! The named scenarios: each is a topology, a workload, a fault plan kind and the thresholds its
//! checkers enforce. Two phases, like TigerBeetle's VOPR: a fault phase while the workload runs, then
//! heal and require the cluster to reconnect within a bound before replicas are compared.

use std::fmt;
use std::str::FromStr;

use dynomite_chaos::{PlanKind, Shape};
use dynomite_core::config::Consistency;

/// Simulated length of the fault phase (the workload runs during it).
pub const FAULT_PHASE_MS: u64 = 30_000;
/// Simulated time the cluster has after heal to have every peer link up again.
pub const CONVERGENCE_BOUND_MS: u64 = 30_000;
/// Simulated time after reconnection before replicas are first read (lets in-flight replication land,
/// and the longest EXPIRE the workload sends, 3 s, elapse). The repair phase follows: replicas are
/// read again every second until they converge or its bound (from the seed's repair intervals) ends.
pub const SETTLE_MS: u64 = 4_500;
/// Name that selects every scenario on the command line.
pub const ALL_NAME: &str = "all";

/// What the workload clients do (each client draws its own connections, levels and depth from the
/// seed within these bounds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadSpec {
    /// Client hosts per datacenter (one client each).
    pub clients_per_datacenter: usize,
    /// Most pipeline batches (or scans) one client runs.
    pub batches_per_client_max: usize,
    /// Each client's deepest pipeline is drawn from `1..=depth_max`.
    pub depth_max: usize,
    /// Each client holds `1..=connections_max` connections.
    pub connections_max: usize,
    /// Chance in percent that a client's turn is a cluster SCAN.
    pub scan_percent: u32,
    /// Simulated pause between two batches of one client.
    pub think_time_ms: u64,
}

impl WorkloadSpec {
    /// The levels connections draw from: every level the shape supports (DC_EACH_SAFE_QUORUM with two
    /// or more datacenters).
    pub fn levels(shape: &Shape) -> Vec<Consistency> {
        let mut levels = vec![Consistency::DcOne, Consistency::DcQuorum, Consistency::DcSafeQuorum];
        if shape.datacenters > 1 {
            levels.push(Consistency::DcEachSafeQuorum);
        }
        levels
    }
}

/// Pass marks of a scenario's checkers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Lowest fraction (0..=1) of Ok operations among the clients of datacenters the plan never takes
    /// down or isolates (all clients when it touches none).
    pub availability_min: f64,
    /// Lowest Ok fraction of the same clients' DC_QUORUM and DC_SAFE_QUORUM requests (read repair
    /// answers those with the merge of the replicas that replied).
    pub quorum_availability_min: f64,
}

/// One named scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The fault plan kind, which is also the scenario's name.
    pub kind: PlanKind,
    /// The topology.
    pub shape: Shape,
    /// The workload.
    pub workload: WorkloadSpec,
    /// Pass marks.
    pub thresholds: Thresholds,
    /// Length of the fault phase in simulated ms.
    pub fault_phase_ms: u64,
    /// Whether a replica may lose acknowledged data (datastore wiped): only range repair can restore it,
    /// so such scenarios always schedule a full repair.
    pub data_loss_possible: bool,
    /// Whether read-your-acknowledged-writes fails the run. True in every scenario: every node runs in
    /// CRDT mode, so replicas keep the write with the highest HLC timestamp and the checker judges by
    /// timestamps (late cross-datacenter replication no longer overwrites newer values). Kept as a
    /// switch for experiments with CRDT mode off.
    pub read_your_writes_binding: bool,
}

impl Scenario {
    /// The scenario's name (the plan kind's name).
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }
}

/// Three racks of two nodes in one datacenter: the standard Dynomite deployment.
fn one_datacenter() -> Shape {
    Shape::new(1, 3, 2)
}

/// Two datacenters of three racks with one node each (kong and partition need two regions).
fn two_datacenters() -> Shape {
    Shape::new(2, 3, 1)
}

fn workload() -> WorkloadSpec {
    WorkloadSpec {
        clients_per_datacenter: 3,
        batches_per_client_max: 300,
        depth_max: 16,
        connections_max: 3,
        scan_percent: 3,
        think_time_ms: 250,
    }
}

/// The scenario of a plan kind, with its topology and thresholds.
pub fn scenario(kind: PlanKind) -> Scenario {
    // Thresholds sit below the worst of a 250-seed sweep (seeds 1..=250) with margin. Requests are not
    // retried (each is judged where it ran), so every failure counts: most are DC_SAFE_QUORUM reads
    // ("Failed to achieve Quorum") while a node or rack is down or a restarted replica still holds
    // older values (no read repair), and DC_ONE requests whose replica is auto-ejected ("Peer Node is
    // down") for `server_retry_timeout` after it comes back.
    let (shape, availability_min, quorum_availability_min) = match kind {
        PlanKind::Skew => (one_datacenter(), 0.99, 0.0),
        // Quorum availability (requests whose coordinator stayed up, DC_QUORUM and DC_SAFE_QUORUM,
        // read repair on): issue 9's floor. What still fails is a quorum with two replicas out at once
        // (one killed just after another restarted, before links reconnect).
        PlanKind::Monkey => (one_datacenter(), 0.74, 0.995),
        PlanKind::Kong => (two_datacenters(), 0.80, 0.0),
        // Flap kills one node up to 40 times, so a DC_ONE request whose owner it is fails while it is
        // down and until links and gossip see it back. With gossip on, seed 97 scored 0.832: the node
        // was dead for 63% of the fault phase; 238 of its 289 failures hit it while dead, the other 51
        // within 235 ms of a restart.
        PlanKind::Flap => (one_datacenter(), 0.80, 0.0),
        PlanKind::Gorilla => (one_datacenter(), 0.70, 0.0),
        PlanKind::MonkeyWipe => (one_datacenter(), 0.72, 0.0),
        PlanKind::Partition => (two_datacenters(), 0.80, 0.0),
        // Swarm mixes everything at drawn intensities: a loose floor; the safety checkers matter most.
        PlanKind::Swarm => (two_datacenters(), 0.75, 0.0),
    };
    Scenario {
        kind,
        shape,
        workload: workload(),
        thresholds: Thresholds { availability_min, quorum_availability_min },
        fault_phase_ms: FAULT_PHASE_MS,
        data_loss_possible: matches!(kind, PlanKind::MonkeyWipe | PlanKind::Swarm),
        read_your_writes_binding: true,
    }
}

/// Which scenarios a command line selects: one, or all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    /// Every scenario, in [`PlanKind::ALL`] order.
    All,
    /// One scenario.
    One(PlanKind),
}

impl Selection {
    /// The selected scenarios.
    pub fn scenarios(self) -> Vec<Scenario> {
        match self {
            Selection::All => PlanKind::ALL.into_iter().map(scenario).collect(),
            Selection::One(kind) => vec![scenario(kind)],
        }
    }
}

impl FromStr for Selection {
    type Err = dynomite_chaos::ParsePlanKindError;

    fn from_str(text: &str) -> Result<Selection, Self::Err> {
        if text.eq_ignore_ascii_case(ALL_NAME) {
            return Ok(Selection::All);
        }
        text.parse().map(Selection::One)
    }
}

impl fmt::Display for Selection {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selection::All => formatter.write_str(ALL_NAME),
            Selection::One(kind) => write!(formatter, "{kind}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_scenario_and_all_selects_them_in_order() {
        let names: Vec<&str> = Selection::All.scenarios().iter().map(Scenario::name).collect();
        assert_eq!(names, ["monkey", "monkey-wipe", "gorilla", "kong", "partition", "skew", "flap", "swarm"]);
        assert_eq!("gorilla".parse::<Selection>().unwrap(), Selection::One(PlanKind::Gorilla));
        assert!("godzilla".parse::<Selection>().is_err());
    }

    #[test]
    fn kong_and_partition_span_two_datacenters() {
        assert_eq!(scenario(PlanKind::Kong).shape.datacenters, 2);
        assert_eq!(scenario(PlanKind::Partition).shape.datacenters, 2);
        assert_eq!(scenario(PlanKind::Monkey).shape.rack_count(), 3);
    }
}
