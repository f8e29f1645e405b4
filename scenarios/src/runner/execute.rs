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
use dynomite_chaos::{Fault, FaultPlan, ServingState};
use dynomite_core::cluster::LocalState;
use dynomite_core::command::Access;
use dynomite_core::config::keys::SERVER_RETRY_TIMEOUT_DEFAULT_MS;
use dynomite_core::config::Consistency;
use dynomite_core::mutants::Mutant;
use dynomite_sim::{AntiEntropy, LatencyClasses, NodeHooks, RespClient, SimCluster, SimConfig};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use tokio::time::Instant;

use super::attribution::{node_index_of, ObservedDecision};
use super::evaluate::{LinkSample, RawRun};
use super::stranger;
use super::{repair_mode, RepairMode, RunOptions};
use crate::checkers::replicas::{read_requests, time_ms};
use crate::checkers::{ReplicaState, ReplicaStates, ReplicaValues};
use crate::history::{History, KeyFamily, Operation};
use crate::placement::Owners;
use crate::scenario::{Scenario, WorkloadSpec, CONVERGENCE_BOUND_MS, SETTLE_MS};
use crate::workload::{
    all_keys, preference_order, run_client, ClientPlan, Connection, NodeChoice, RetryPolicy,
};

/// Decisions recorded with the (true) time they were made and the deciding node.
type DecisionLog = Arc<Mutex<Vec<(Instant, usize, Decision)>>>;
/// Mixed into the seed for the node tuning draws.
const TUNING_SEED_SALT: u64 = 0x706f_6f6c_7369_7a65;
/// Connections per pool or peer link are drawn from `1..=CONNECTIONS_MAX`.
const CONNECTIONS_MAX: usize = 4;
/// How often peer link health is sampled.
pub(super) const LINK_SAMPLE_MS: u64 = 100;
/// Mixed into the seed for the anti-entropy draws (after the pool draws, which keep their values).
const ANTI_ENTROPY_SEED_SALT: u64 = 0x6372_6474_6b6e_6f62;
/// `changelog_max` values drawn (small, so the log overflows and range repair must cover the rest).
const CHANGELOG_MAX_CHOICES: [u32; 3] = [16, 64, 256];
/// `changelog_max` of the seeds without a scheduled full repair (the log alone must cover every write).
const CHANGELOG_MAX_LARGE: u32 = 100_000;
/// `repair_interval` values drawn, in ms.
const REPAIR_INTERVAL_CHOICES_MS: [u64; 2] = [200, 500];
/// `repair_full_interval` is drawn from this range (ms): it fires during the fault phase and again in
/// the repair phase, whose bound is longer than the interval.
const REPAIR_FULL_INTERVAL_MS: std::ops::RangeInclusive<u64> = 4_000..=12_000;
/// Seeds `≡ 3` modulo this collect tombstones after a short age (drawn from [`SHORT_GC_AGE_MS`]).
const SHORT_GC_ONE_IN: u64 = 4;
/// Seeds `≡ 2` modulo this run with [`HINTS_MAX_SMALL`] hints per peer.
const SMALL_HINTS_ONE_IN: u64 = 5;
/// Short `tombstone_gc_age` values, in ms (shorter than the run, so GC runs during it).
const SHORT_GC_AGE_MS: std::ops::RangeInclusive<u64> = 2_000..=8_000;
/// `tombstone_gc_age` of the other seeds: the default, a day (GC never runs in a run).
const LONG_GC_AGE_MS: u64 = 86_400_000;
/// A `hints_max` that overflows during long partitions (background repair covers the rest).
const HINTS_MAX_SMALL: u64 = 16;
/// A `hints_max` no run fills.
const HINTS_MAX_LARGE: u64 = 10_000;
/// `repair_rate` of every node (keys per second; the workload has about a hundred keys).
const REPAIR_RATE: u64 = 1_000;
/// Simulated time the repair phase adds to its bound (the full-repair interval or the change-log
/// sweeps) for the repair's own round trips.
const REPAIR_SLACK_MS: u64 = 3_000;
/// Change-log sweeps the repair phase allows when no full repair is scheduled.
const REPAIR_SWEEPS_MAX: u64 = 20;
/// Bound on the read pass's connection and each of its replies.
const READ_PASS_TIMEOUT_MS: u64 = 6_000;
/// Pause between two convergence polls of the repair phase.
const REPAIR_POLL_MS: u64 = 1_000;

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
    config.anti_entropy = Some(anti_entropy(scenario, seed));
    config
}

/// The anti-entropy knobs of `scenario` at `seed` in its [`RepairMode`]. Every scenario runs in CRDT
/// mode with read repair; `tombstone_gc_age` is short in one seed in [`SHORT_GC_ONE_IN`], and
/// `hints_max` small (it overflows) in one seed in [`SMALL_HINTS_ONE_IN`].
pub(super) fn anti_entropy(scenario: &Scenario, seed: u64) -> AntiEntropy {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ANTI_ENTROPY_SEED_SALT);
    let mode = repair_mode(scenario, seed);
    let repair_full_interval_ms = rng.gen_range(REPAIR_FULL_INTERVAL_MS);
    let changelog_max = CHANGELOG_MAX_CHOICES[rng.gen_range(0..CHANGELOG_MAX_CHOICES.len())];
    let short_gc_age_ms = rng.gen_range(SHORT_GC_AGE_MS);
    let repair_interval_ms = REPAIR_INTERVAL_CHOICES_MS[rng.gen_range(0..REPAIR_INTERVAL_CHOICES_MS.len())];
    let small_hints = seed % SMALL_HINTS_ONE_IN == 2;
    let hints_max = if small_hints { HINTS_MAX_SMALL } else { HINTS_MAX_LARGE };
    let (repair_interval_ms, repair_full_interval_ms, changelog_max, hints_max) = match mode {
        RepairMode::Both => (repair_interval_ms, repair_full_interval_ms, changelog_max, hints_max),
        // Hinted handoff off: a write that misses a replica reaches it through the change log (or
        // read repair, for a key read again at quorum), so a change log that never repairs is caught.
        RepairMode::ChangeLogOnly => (repair_interval_ms, 0, CHANGELOG_MAX_LARGE, 0),
        // Hinted handoff off here too, so read repair's write-backs alone must converge the replicas;
        // except under a quorum-availability floor (monkey's 0.995), which assumes hints.
        RepairMode::ReadRepairOnly if scenario.thresholds.quorum_availability_min > 0.0 => {
            (0, 0, changelog_max, hints_max)
        }
        RepairMode::ReadRepairOnly => (0, 0, changelog_max, 0),
    };
    AntiEntropy {
        read_repairs_enabled: true,
        changelog_max,
        repair_interval_ms,
        repair_full_interval_ms,
        repair_rate: REPAIR_RATE,
        tombstone_gc_age_ms: if seed % SHORT_GC_ONE_IN == 3 { short_gc_age_ms } else { LONG_GC_AGE_MS },
        hints_max,
    }
}

/// How long the repair phase may last after settling: past the next full repair of every node, or
/// [`REPAIR_SWEEPS_MAX`] change-log sweeps when no full repair is scheduled, plus
/// `server_retry_timeout` (a peer ejected just before the heal is not contacted again before it ends,
/// so repairs toward it wait that long) and the repair's own round trips.
pub(super) fn repair_bound_ms(knobs: &AntiEntropy) -> u64 {
    let waited = match knobs.repair_full_interval_ms {
        0 => REPAIR_SWEEPS_MAX * knobs.repair_interval_ms,
        full => full + 2 * knobs.repair_interval_ms,
    };
    waited + SERVER_RETRY_TIMEOUT_DEFAULT_MS + REPAIR_SLACK_MS
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
    // A stranger tries the peer port of one node during the fault phase (issue 10.2).
    let (attempt_ms, target) = stranger::draw(config.seed, cluster.nodes().len());
    let client_address = cluster.nodes()[target].client;
    let target_address = std::net::SocketAddr::new(client_address.ip(), dynomite_sim::model::PEER_PORT);
    let seed = config.seed;
    let intruder = cluster.client_host("stranger", 0).spawn(async move {
        tokio::time::sleep(Duration::from_millis(attempt_ms)).await;
        stranger::intrude(target_address, seed).await;
    });
    let faults_applied = replay(&cluster, &plan, start).await;
    let mut operations = Vec::new();
    for client in clients {
        operations.extend(client.await.expect("a workload client finished"));
    }
    intruder.await.expect("the stranger finished");
    let healed = Instant::now();
    let reconnect = cluster
        .wait_until_connected()
        .await
        .map(|()| healed.elapsed().as_millis() as u64)
        .map_err(|error| format!("not reconnected within {CONVERGENCE_BOUND_MS} ms: {error}"));
    tokio::time::sleep(Duration::from_millis(SETTLE_MS)).await;
    let keys = all_keys(
        scenario.workload.clients_per_datacenter * scenario.shape.datacenters,
        scenario.shape.datacenters,
    );
    let owners = Owners::compute(&config, &keys);
    // Replicas are read from a host of their own: the runner's task has no simulated address.
    let reader = cluster.client_host("replica-reader", 0);
    let bound_ms = config.anti_entropy.as_ref().map_or(0, repair_bound_ms);
    let repair_started = Instant::now();
    if repair_mode(&scenario, config.seed) == RepairMode::ReadRepairOnly {
        let node = cluster.nodes()[0].client;
        reader.spawn(read_pass(node, keys.clone())).await.expect("read pass finished");
    }
    let states = reader
        .spawn(repair_phase(cluster.clone(), owners.clone(), bound_ms))
        .await
        .expect("replica reads finished");
    let repaired = (repair_started.elapsed().as_millis() as u64, bound_ms);
    let canaries = reader.spawn(stranger::canaries(cluster.clone())).await.expect("canary reads finished");
    let replicas_read_ms = start.elapsed().as_millis() as u64;
    sampling.store(false, Ordering::Relaxed);
    let links = sampler.await.expect("link sampler finished");
    let replicas = register_values(&states);
    cluster.shutdown();
    RawRun {
        plan,
        config,
        history: History::new(number(operations)),
        decisions: decisions(&log, start),
        faults_applied,
        reconnect,
        replicas,
        states,
        repaired,
        replicas_read_ms,
        owners,
        links,
        canaries,
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
            timestamp: decision.timestamp,
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
        Fault::SetNodeState { node, state } => cluster.set_local_state(
            node,
            match state {
                ServingState::Normal => LocalState::Normal,
                ServingState::WritesOnly => LocalState::WritesOnly,
            },
        ),
        Fault::Heal => {
            cluster.heal();
            (0..cluster.nodes().len()).for_each(|node| cluster.set_clock_offset(node, 0));
        }
    }
}

/// Reads every key once through the node at `address` at DC_QUORUM (one pipeline), so read repair
/// writes the merge back to every stale replica of its datacenter.
async fn read_pass(address: std::net::SocketAddr, keys: Vec<Bytes>) {
    let Ok(mut connection) = Connection::open(address, Consistency::DcQuorum, READ_PASS_TIMEOUT_MS).await
    else {
        return;
    };
    let requests: Vec<Vec<Bytes>> = keys
        .iter()
        .map(|key| {
            let family = KeyFamily::of(key).expect("workload keys have a family");
            let [data, _, _] = read_requests(family, key);
            data
        })
        .collect();
    let _ = connection.pipeline(&requests).await;
}

/// The repair phase: reads every replica's state of every key; until they converge or `bound_ms` has
/// passed, waits [`REPAIR_POLL_MS`] and reads again. Returns the last states read.
async fn repair_phase(cluster: SimCluster, owners: Owners, bound_ms: u64) -> ReplicaStates {
    let started = Instant::now();
    loop {
        let states = read_states(&cluster, &owners).await;
        let gc_possible = true; // converged modulo GC is enough to stop waiting
        let done = started.elapsed().as_millis() as u64 + REPAIR_POLL_MS > bound_ms;
        if done || crate::checkers::convergence(&states, gc_possible).passed {
            return states;
        }
        tokio::time::sleep(Duration::from_millis(REPAIR_POLL_MS)).await;
    }
}

/// Every workload key's data, metadata and PTTL on its owner in every rack: one pipelined round trip
/// per datastore.
async fn read_states(cluster: &SimCluster, owners: &Owners) -> ReplicaStates {
    let mut per_node: BTreeMap<usize, Vec<Bytes>> = BTreeMap::new();
    for (key, racks) in owners.iter() {
        for node in racks {
            per_node.entry(*node).or_default().push(key.clone());
        }
    }
    let mut states = ReplicaStates::new();
    for (node, keys) in per_node {
        let families: Vec<KeyFamily> =
            keys.iter().map(|key| KeyFamily::of(key).expect("workload keys have a family")).collect();
        let mut requests: Vec<Vec<Bytes>> =
            keys.iter().zip(&families).flat_map(|(key, family)| read_requests(*family, key)).collect();
        requests.push(vec![Bytes::from_static(b"TIME")]);
        let replies = match RespClient::connect(cluster.datastore_address(node)).await {
            Ok(mut client) => client.pipeline(&requests).await.map_err(|error| error.to_string()),
            Err(error) => Err(error.to_string()),
        };
        for (index, (key, family)) in keys.into_iter().zip(families).enumerate() {
            let state = match &replies {
                Ok(replies) => {
                    let [data, meta, pttl] =
                        [&replies[3 * index], &replies[3 * index + 1], &replies[3 * index + 2]];
                    let now_ms = replies.last().and_then(time_ms).unwrap_or(0);
                    ReplicaState { now_ms, ..ReplicaState::from_replies(family, data, meta, pttl) }
                }
                Err(error) => ReplicaState::unreadable(error),
            };
            if std::env::var_os("SIM_DEBUG_KEY").is_some_and(|debug| debug.as_encoded_bytes() == key.as_ref())
            {
                eprintln!("node {node} {key:?}: {state:?}");
            }
            states.entry(key).or_default().insert(node, state);
        }
    }
    states
}

/// The string-valued keys (registers, counters) of `states`, as the register checkers read them.
fn register_values(states: &ReplicaStates) -> ReplicaValues {
    states
        .iter()
        .filter(|(key, _)| KeyFamily::of(key).is_some_and(KeyFamily::is_string))
        .map(|(key, copies)| {
            (key.clone(), copies.iter().map(|(node, state)| (*node, state.register_value())).collect())
        })
        .collect()
}
