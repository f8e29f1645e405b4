//! The simulation of one seed (madsim only): switch the mutant on (or off) for the process, start the
//! cluster with pools drawn from the seed and the decision observer, run the workload clients on
//! client hosts while replaying the fault plan and sampling every peer link's health, heal, wait
//! (bounded) for every peer link, let replication settle, then read every key on its owner in every
//! rack directly from the datastores.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use dynomite::node::Decision;
use dynomite_chaos::{Fault, FaultPlan};
use dynomite_core::command::Access;
use dynomite_core::mutants::Mutant;
use dynomite_core::resp::Frame;
use dynomite_sim::{LatencyClasses, NodeHooks, RespClient, SimCluster, SimConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

use super::attribution::{node_index_of, ObservedDecision};
use super::evaluate::{LinkSample, RawRun};
use super::RunOptions;
use crate::checkers::ReplicaValues;
use crate::history::{History, Operation};
use crate::placement::Owners;
use crate::scenario::{Scenario, WorkloadSpec, CONVERGENCE_BOUND_MS, SETTLE_MS};
use crate::workload::{all_keys, preference_order, run_client, ClientPlan, NodeChoice, RetryPolicy};

/// Decisions recorded with the (true) time they were made and the deciding node.
type DecisionLog = Arc<Mutex<Vec<(Instant, usize, Decision)>>>;
/// Mixed into the seed for the node tuning draws.
const TUNING_SEED_SALT: u64 = 0x706f_6f6c_7369_7a65;
/// Connections per pool or peer link are drawn from `1..=CONNECTIONS_MAX`.
const CONNECTIONS_MAX: usize = 4;
/// How often peer link health is sampled.
pub(super) const LINK_SAMPLE_MS: u64 = 100;

/// Simulates `scenario` at `seed` with `mutant` switched on in a fresh madsim runtime seeded with `seed`.
pub(super) fn simulate(
    scenario: &Scenario,
    seed: u64,
    options: &RunOptions,
    mutant: Option<Mutant>,
) -> RawRun {
    // Process-wide: every concurrent run of a sweep uses the same mutant, so this is never undone here.
    dynomite_core::mutants::activate(mutant);
    let plan = options.edit.plan(scenario, seed);
    let config = sim_config(scenario, seed);
    let runtime = config.runtime();
    runtime.block_on(drive(scenario.clone(), plan, config))
}

/// The cluster of `scenario` with pool and peer-link sizes drawn from the seed.
pub(super) fn sim_config(scenario: &Scenario, seed: u64) -> SimConfig {
    let shape = &scenario.shape;
    let mut config =
        SimConfig::new(shape.datacenters, shape.racks_per_datacenter, shape.nodes_per_rack, seed);
    config.latency = LatencyClasses::default();
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ TUNING_SEED_SALT);
    config.datastore_connections = rng.gen_range(1..=CONNECTIONS_MAX);
    config.local_peer_connections = rng.gen_range(1..=CONNECTIONS_MAX);
    config.remote_peer_connections = rng.gen_range(1..=CONNECTIONS_MAX);
    config
}

async fn drive(scenario: Scenario, plan: FaultPlan, config: SimConfig) -> RawRun {
    let log: DecisionLog = Arc::default();
    let observer_log = log.clone();
    let hooks = NodeHooks {
        observer: Some(Arc::new(move |node: usize, decision: Decision| {
            observer_log.lock().expect("decision log lock").push((Instant::now(), node, decision))
        })),
    };
    let cluster = SimCluster::start_with(config.clone(), hooks).await;
    let start = Instant::now();
    let sampling = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn(sample_links(cluster.clone(), start, sampling.clone()));
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
    sampling.store(false, Ordering::Relaxed);
    let links = sampler.await.expect("link sampler finished");
    let keys = all_keys(
        scenario.workload.clients_per_datacenter * scenario.shape.datacenters,
        scenario.shape.datacenters,
    );
    let owners = Owners::compute(&config, &keys);
    let replicas_read_ms = start.elapsed().as_millis() as u64;
    // Replicas are read from a host of their own: the runner's task has no simulated address.
    let reader = cluster.client_host("replica-reader", 0);
    let replicas =
        reader.spawn(read_replicas(cluster.clone(), owners.clone())).await.expect("replica reads finished");
    cluster.shutdown();
    RawRun {
        plan,
        config,
        history: History::new(number(operations)),
        decisions: decisions(&log, start),
        faults_applied,
        reconnect,
        replicas,
        replicas_read_ms,
        owners,
        links,
    }
}

/// Samples every peer link's health every [`LINK_SAMPLE_MS`] until `running` goes false. A link counts
/// as connected in a sample only when all its connections are up and none was lost since the previous
/// sample ([`LinkSample::from_readings`]).
async fn sample_links(cluster: SimCluster, start: Instant, running: Arc<AtomicBool>) -> Vec<LinkSample> {
    let mut samples = Vec::new();
    let mut lost_before: BTreeMap<(usize, usize), u64> = BTreeMap::new();
    while running.load(Ordering::Relaxed) {
        let at_ms = start.elapsed().as_millis() as u64;
        let readings = cluster
            .link_states()
            .into_iter()
            .map(|state| (state.from, state.to, state.connected, state.ejected, state.connections_lost));
        let sample = LinkSample::from_readings(at_ms, readings, &mut lost_before);
        if std::env::var_os("SIM_DEBUG_LINKS").is_some() {
            let down: Vec<String> = sample
                .states
                .iter()
                .filter(|(_, _, connected, ejected)| !connected || *ejected)
                .map(|(from, to, connected, _)| format!("{from}->{to}{}", if *connected { "E" } else { "" }))
                .collect();
            eprintln!("{at_ms} links down: {}", down.join(" "));
        }
        samples.push(sample);
        tokio::time::sleep(Duration::from_millis(LINK_SAMPLE_MS)).await;
    }
    samples
}

fn decisions(log: &DecisionLog, start: Instant) -> Vec<ObservedDecision> {
    let log = log.lock().expect("decision log lock");
    if std::env::var_os("SIM_DEBUG_DECISIONS").is_some() {
        for (at, node, decision) in log.iter() {
            eprintln!("{} node {node} {decision:?}", at.saturating_duration_since(start).as_millis());
        }
    }
    log.iter()
        .filter(|(_, _, decision)| decision.access != Access::Admin)
        .map(|(at, node, decision)| ObservedDecision {
            at_ms: at.saturating_duration_since(start).as_millis() as u64,
            node: *node,
            connection_id: decision.connection_id,
            sequence: decision.request_sequence,
            consistency: decision.consistency,
            write: decision.access == Access::Write,
            succeeded: decision.succeeded,
            acknowledged_by: decision.acknowledgements.iter().map(|id| node_index_of(*node, id.0)).collect(),
        })
        .collect()
}

/// Sorts operations by invocation (then connection and sequence) and numbers them from 0.
fn number(mut operations: Vec<Operation>) -> Vec<Operation> {
    operations.sort_by_key(|operation| (operation.invoked_ms, operation.connection, operation.sequence));
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
) -> Vec<madsim::task::JoinHandle<Vec<Operation>>> {
    let workload = &scenario.workload;
    let shape = &scenario.shape;
    let levels = WorkloadSpec::levels(shape);
    let mut handles = Vec::new();
    for datacenter in 0..shape.datacenters {
        for number in 0..workload.clients_per_datacenter {
            let client = datacenter * workload.clients_per_datacenter + number;
            let nodes = preference_order(shape, datacenter, client)
                .into_iter()
                .map(|index| NodeChoice {
                    index,
                    address: cluster.nodes()[index].client,
                    datacenter: shape.datacenter_of(index),
                })
                .collect();
            let mut rng = ChaCha8Rng::seed_from_u64(client_seed(plan.seed, client));
            let connections = rng.gen_range(1..=workload.connections_max);
            // The first connection of a client cycles through the levels, so each runs somewhere.
            let client_levels = (0..connections)
                .map(|slot| {
                    if slot == 0 {
                        levels[client % levels.len()]
                    } else {
                        levels[rng.gen_range(0..levels.len())]
                    }
                })
                .collect();
            let client_plan = ClientPlan {
                client,
                levels: client_levels,
                nodes,
                seed: rng.gen(),
                depth_max: rng.gen_range(1..=workload.depth_max),
                batches_max: workload.batches_per_client_max,
                scan_percent: workload.scan_percent,
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
    let mut parent = ChaCha8Rng::seed_from_u64(seed);
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

/// Every string-valued key (registers, counters, logs) on its owner in every rack: one connection per
/// datastore, one GET per key it owns.
async fn read_replicas(cluster: SimCluster, owners: Owners) -> ReplicaValues {
    let mut per_node: BTreeMap<usize, Vec<Bytes>> = BTreeMap::new();
    for (key, racks) in owners.iter() {
        if matches!(key.first(), Some(b'h' | b'z')) {
            continue;
        }
        for node in racks {
            per_node.entry(*node).or_default().push(key.clone());
        }
    }
    let mut replicas = ReplicaValues::new();
    for (node, keys) in per_node {
        let address = cluster.datastore_address(node);
        let mut client = RespClient::connect(address).await.ok();
        for key in keys {
            let value = match client.as_mut() {
                None => Err("datastore unreachable".to_string()),
                Some(client) => match client.command(&[&b"GET"[..], &key]).await {
                    Ok(Frame::Bulk(value)) => Ok(Some(value)),
                    Ok(Frame::Null) => Ok(None),
                    Ok(other) => Err(format!("unexpected reply {other:?}")),
                    Err(error) => Err(error.to_string()),
                },
            };
            let value = value.unwrap_or_else(|error| Some(Bytes::from(format!("<unreadable: {error}>"))));
            replicas.entry(key).or_default().insert(node, value);
        }
    }
    replicas
}
