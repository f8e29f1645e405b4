//! The simulation of one seed (madsim only): start the cluster with the decision observer (and the
//! injected bug, if any), run the workload clients on client hosts while replaying the fault plan,
//! heal, wait (bounded) for every peer link, let replication settle, then read every replica.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use dynomite::node::{Decision, DecisionObserver};
use dynomite_chaos::{Fault, FaultPlan};
use dynomite_core::command::Access;
use dynomite_sim::{LatencyClasses, NodeHooks, SimCluster, SimConfig};
use tokio::time::Instant;

use super::attribution::ObservedDecision;
use super::evaluate::RawRun;
use super::RunOptions;
use crate::checkers::ReplicaValues;
use crate::history::History;
use crate::scenario::{Scenario, CONVERGENCE_BOUND_MS, SETTLE_MS};
use crate::workload::{preference_order, run_client, ClientPlan, RetryPolicy};

/// Decisions recorded with the (true) time they were made.
type DecisionLog = Arc<Mutex<Vec<(Instant, Decision)>>>;

/// Simulates `scenario` at `seed` in a fresh madsim runtime seeded with `seed`.
pub(super) fn simulate(scenario: &Scenario, seed: u64, options: &RunOptions) -> RawRun {
    let plan = dynomite_chaos::plan(scenario.kind, &scenario.shape, seed, scenario.fault_phase_ms);
    let config = sim_config(scenario, seed);
    let runtime = config.runtime();
    runtime.block_on(drive(scenario.clone(), plan, config, *options))
}

fn sim_config(scenario: &Scenario, seed: u64) -> SimConfig {
    let shape = &scenario.shape;
    let mut config =
        SimConfig::new(shape.datacenters, shape.racks_per_datacenter, shape.nodes_per_rack, seed);
    config.latency = LatencyClasses::default();
    config
}

async fn drive(scenario: Scenario, plan: FaultPlan, config: SimConfig, options: RunOptions) -> RawRun {
    let log: DecisionLog = Arc::default();
    let hooks = NodeHooks {
        observer: Some(observer(log.clone())),
        injected_bug: options.injected_bug.map(|bug| bug.node_bug()),
    };
    let cluster = SimCluster::start_with(config, hooks).await;
    let start = Instant::now();
    let clients = spawn_clients(&cluster, &scenario, &plan, start);
    let faults_applied = replay(&cluster, &plan, start).await;
    let mut operations = Vec::new();
    for client in clients {
        operations.extend(client.await.expect("a workload client finished"));
    }
    let healed = Instant::now();
    let reconnect = cluster
        .wait_until_connected()
        .await
        .map(|()| healed.elapsed().as_millis() as u64)
        .map_err(|error| format!("not reconnected within {CONVERGENCE_BOUND_MS} ms: {error}"));
    tokio::time::sleep(Duration::from_millis(SETTLE_MS)).await;
    // Replicas are read from a host of their own: the runner's task has no simulated address.
    let reader = cluster.client_host("replica-reader", 0);
    let replicas =
        reader.spawn(read_replicas(cluster.clone(), scenario.clone())).await.expect("replica reads finished");
    RawRun {
        plan,
        history: History::new(number(operations)),
        decisions: decisions(&log, start),
        faults_applied,
        reconnect,
        replicas,
    }
}

fn observer(log: DecisionLog) -> DecisionObserver {
    Arc::new(move |decision: Decision| {
        log.lock().expect("decision log lock").push((Instant::now(), decision))
    })
}

fn decisions(log: &DecisionLog, start: Instant) -> Vec<ObservedDecision> {
    let log = log.lock().expect("decision log lock");
    let mut decisions: Vec<ObservedDecision> = log
        .iter()
        .filter(|(_, decision)| decision.access != Access::Admin)
        .map(|(at, decision)| ObservedDecision {
            at_ms: at.saturating_duration_since(start).as_millis() as u64,
            consistency: decision.consistency,
            kind: if decision.access == Access::Write {
                crate::history::OpKind::Write
            } else {
                crate::history::OpKind::Read
            },
            succeeded: decision.succeeded,
            acknowledgements: decision.acknowledgements.iter().map(|id| id.0).collect(),
        })
        .collect();
    decisions.sort_by_key(|decision| decision.at_ms);
    decisions
}

/// Sorts operations by invocation (then client) and numbers them from 0.
fn number(mut operations: Vec<crate::history::Operation>) -> Vec<crate::history::Operation> {
    operations.sort_by_key(|operation| (operation.invoked_ms, operation.client, operation.id));
    for (id, operation) in operations.iter_mut().enumerate() {
        operation.id = id as u64;
    }
    operations
}

fn spawn_clients(
    cluster: &SimCluster,
    scenario: &Scenario,
    plan: &FaultPlan,
    start: Instant,
) -> Vec<madsim::task::JoinHandle<Vec<crate::history::Operation>>> {
    let workload = &scenario.workload;
    let shape = &scenario.shape;
    let mut handles = Vec::new();
    for datacenter in 0..shape.datacenters {
        for number in 0..workload.clients_per_datacenter {
            let client = datacenter * workload.clients_per_datacenter + number;
            let nodes = preference_order(shape, datacenter, client)
                .into_iter()
                .map(|index| (index, cluster.nodes()[index].client))
                .collect();
            let client_plan = ClientPlan {
                client,
                consistency: workload.levels[client % workload.levels.len()],
                nodes,
                seed: client_seed(plan.seed, client),
                read_percent: workload.read_percent,
                hot_keys: workload.hot_keys,
                operations_max: workload.operations_per_client_max,
                think_time_ms: workload.think_time_ms,
                deadline_ms: plan.heal_at_ms,
                retry: RetryPolicy::default(),
            };
            let host = cluster.client_host(&format!("client-{client}"), datacenter);
            handles.push(host.spawn(run_client(client_plan, start)));
        }
    }
    handles
}

/// Client `client`'s seed, derived from the run's seed (one seed, derived downward).
fn client_seed(seed: u64, client: usize) -> u64 {
    use rand::{Rng, SeedableRng};
    let mut parent = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    parent.set_stream(client as u64 + 1);
    parent.gen()
}

/// Applies every event at its time; returns the faults applied.
async fn replay(cluster: &SimCluster, plan: &FaultPlan, start: Instant) -> Vec<Fault> {
    let mut applied = Vec::with_capacity(plan.events.len());
    for event in &plan.events {
        tokio::time::sleep_until(start + Duration::from_millis(event.at_ms)).await;
        apply(cluster, &event.fault);
        applied.push(event.fault.clone());
    }
    applied
}

fn apply(cluster: &SimCluster, fault: &Fault) {
    match *fault {
        Fault::KillNode { node, wipe_data: false } => cluster.kill_node(node),
        Fault::KillNode { node, wipe_data: true } => cluster.kill_node_and_data(node),
        Fault::RestartNode { node } => cluster.restart_node(node),
        // The plan's rack and datacenter kills keep data: kill the node hosts, not the datastores.
        Fault::KillRack { datacenter, rack } => {
            cluster.rack_members(datacenter, rack).into_iter().for_each(|node| cluster.kill_node(node))
        }
        Fault::RestartRack { datacenter, rack } => {
            cluster.rack_members(datacenter, rack).into_iter().for_each(|node| cluster.restart_node(node))
        }
        Fault::KillDatacenter { datacenter } => {
            cluster.datacenter_members(datacenter).into_iter().for_each(|node| cluster.kill_node(node))
        }
        Fault::RestartDatacenter { datacenter } => {
            cluster.datacenter_members(datacenter).into_iter().for_each(|node| cluster.restart_node(node))
        }
        Fault::IsolateRack { datacenter, rack } => cluster.isolate_rack(datacenter, rack),
        Fault::IsolateDatacenter { datacenter } => cluster.isolate_datacenter(datacenter),
        Fault::ClogOneWay { from, to } => cluster.clog_one_way(from, to),
        Fault::SetClockOffset { node, offset_ms } => cluster.set_clock_offset(node, offset_ms),
        Fault::Heal => {
            cluster.heal();
            (0..cluster.nodes().len()).for_each(|node| cluster.set_clock_offset(node, 0));
        }
    }
}

/// Every hot key's value on its replica in each rack (the rack node holding it, else the rack's first
/// node with nil).
async fn read_replicas(cluster: SimCluster, scenario: Scenario) -> ReplicaValues {
    let shape = &scenario.shape;
    let mut replicas = ReplicaValues::new();
    for key_number in 0..scenario.workload.hot_keys {
        let key = Bytes::from(format!("key-{key_number}"));
        let mut values = BTreeMap::new();
        for datacenter in 0..shape.datacenters {
            for rack in 0..shape.racks_per_datacenter {
                let (node, value) = rack_value(&cluster, cluster.rack_members(datacenter, rack), &key).await;
                values.insert(node, value);
            }
        }
        replicas.insert(key, values);
    }
    replicas
}

async fn rack_value(cluster: &SimCluster, members: Vec<usize>, key: &Bytes) -> (usize, Option<Bytes>) {
    for node in &members {
        match cluster.try_read_replica(*node, key).await {
            Ok(Some(value)) => return (*node, Some(value)),
            Ok(None) => {}
            Err(error) => return (*node, Some(Bytes::from(format!("<unreadable: {error}>")))),
        }
    }
    (members[0], None)
}
