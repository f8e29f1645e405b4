//! Judges one simulated run: ties decisions to requests, runs every checker with the scenario's
//! thresholds, counts coverage and builds the [`RunReport`]. Pure: the same raw run always gives the
//! same report.

use std::collections::BTreeSet;

use dynomite_chaos::{Fault, FaultPlan};
use dynomite_core::config::Consistency;
use dynomite_sim::SimConfig;

use super::attribution::{attribute, ObservedDecision};
use super::coverage::Coverage;
use super::stranger;
use super::{repair_mode, RunOptions};
pub use crate::checkers::LinkSample;
use crate::checkers::{self, Facts, ReplicaStates, ReplicaValues, Timeline, Verdict};
use crate::history::{Command, History};
use crate::placement::Owners;
use crate::report::{history_hash, OutcomeCounts, RunReport, TraceHasher};
use crate::scenario::Scenario;

/// Name of the verdict on reconnection after heal.
pub const RECONNECTED: &str = "reconnected after heal";

/// What the simulation produced, before judging.
#[derive(Debug, Clone)]
pub struct RawRun {
    /// The plan that was replayed.
    pub plan: FaultPlan,
    /// The simulated cluster's configuration (pool sizes drawn from the seed).
    pub config: SimConfig,
    /// Every client request (ids unique).
    pub history: History,
    /// Every coordinator decision.
    pub decisions: Vec<ObservedDecision>,
    /// Faults applied, in order.
    pub faults_applied: Vec<Fault>,
    /// Ms after heal until every peer link was up again, or why it never was.
    pub reconnect: Result<u64, String>,
    /// Each string key's value on its owner in every rack after heal and repair.
    pub replicas: ReplicaValues,
    /// Each key's data and CRDT metadata on its owner in every rack after heal and repair.
    pub states: ReplicaStates,
    /// `(ms the repair phase took, its bound)`: it ends when the replicas converge or at the bound.
    pub repaired: (u64, u64),
    /// When the replicas were read (ms since the workload started).
    pub replicas_read_ms: u64,
    /// Where each key lives.
    pub owners: Owners,
    /// Peer link health, sampled.
    pub links: Vec<LinkSample>,
    /// Nodes whose datastore holds the stranger's canary after the run (each should hold none).
    pub canaries: Vec<String>,
}

/// The report of `raw`.
pub fn evaluate(scenario: &Scenario, seed: u64, options: &RunOptions, raw: RawRun) -> RunReport {
    let RawRun {
        plan,
        config,
        mut history,
        decisions,
        faults_applied,
        reconnect,
        replicas,
        states,
        repaired,
        replicas_read_ms,
        owners,
        links,
        canaries,
    } = raw;
    // Tombstone GC collects a delete once every replica acknowledged it (and by age): in CRDT mode a
    // tombstone may be gone at any time after the delete reached every replica.
    let gc_possible = config.anti_entropy.is_some();
    let attribution = attribute(&mut history, &decisions);
    let coverage = Coverage::of_run(&faults_applied, &history, &links);
    let timeline = Timeline::new(scenario.shape, plan.events.clone(), links);
    let facts = Facts {
        history: &history,
        shape: &scenario.shape,
        owners: &owners,
        timeline: &timeline,
        replicas: &replicas,
        states: &states,
        gc_possible,
        tombstone_gc_age_ms: config.anti_entropy.as_ref().map(|knobs| knobs.tombstone_gc_age_ms),
        replicas_read_ms,
        clients_per_datacenter: scenario.workload.clients_per_datacenter,
    };
    let mut verdicts = verdicts(scenario, &plan, &facts, &reconnect, repaired);
    verdicts.push(stranger::verdict(&canaries, true));
    let mut hasher = TraceHasher::default();
    hasher.feed(&history_hash(&history).to_le_bytes());
    hasher.feed(
        format!("{decisions:?}{faults_applied:?}{reconnect:?}{states:?}{repaired:?}{canaries:?}").as_bytes(),
    );
    let episodes = plan.episodes().len();
    RunReport {
        scenario: scenario.name().to_string(),
        seed,
        knobs: format!(
            "{} datastore_connections={} local_peer_connections={} remote_peer_connections={}{}",
            plan.describe(),
            config.datastore_connections,
            config.local_peer_connections,
            config.remote_peer_connections,
            config
                .anti_entropy
                .map(|knobs| format!(
                    " {} repair_mode={}",
                    knobs.describe(),
                    repair_mode(scenario, seed).name()
                ))
                .unwrap_or_default(),
        ),
        mutant: options.mutant.clone(),
        edit: options.edit.clone(),
        episodes,
        plan: plan.events.iter().map(|event| format!("{:>6} ms {:?}", event.at_ms, event.fault)).collect(),
        faults: fault_counts(&faults_applied),
        counts: OutcomeCounts::of(&history),
        attributed_operations: attribution.attributed,
        orphan_decisions: attribution.orphan_decisions,
        verdicts,
        coverage,
        trace_hash: hasher.finish(),
        history,
    }
}

fn verdicts(
    scenario: &Scenario,
    plan: &FaultPlan,
    facts: &Facts<'_>,
    reconnect: &Result<u64, String>,
    repaired: (u64, u64),
) -> Vec<Verdict> {
    let unaffected = unaffected_clients_history(scenario, plan, facts.history);
    vec![
        checkers::availability(&unaffected, scenario.thresholds.availability_min),
        checkers::quorum_availability(
            &coordinator_survived(&unaffected, facts),
            scenario.thresholds.quorum_availability_min,
        ),
        checkers::no_phantom_values(facts.history),
        checkers::quorum_honesty(facts.history, facts.shape),
        checkers::session_order(facts),
        checkers::mset_effects(facts),
        checkers::counters(facts),
        checkers::append_logs(facts),
        checkers::node_states(facts),
        checkers::scan_exactly_once(facts),
        checkers::linearizable_registers(facts),
        read_your_writes(scenario, facts),
        checkers::replication_completeness(facts),
        checkers::request_latency_bound(facts),
        reconnected(reconnect),
        convergence(facts, repaired),
        checkers::counter_sums(facts),
        checkers::no_lost_safe_writes(facts),
    ]
}

fn read_your_writes(scenario: &Scenario, facts: &Facts<'_>) -> Verdict {
    let verdict = checkers::read_your_acknowledged_writes(facts);
    if scenario.read_your_writes_binding || verdict.passed {
        return verdict;
    }
    let detail = format!("{} (soft: datacenter splits let late replication overwrite)", verdict.detail);
    Verdict { soft: true, detail, ..verdict }
}

fn convergence(facts: &Facts<'_>, (took_ms, bound_ms): (u64, u64)) -> Verdict {
    let verdict = checkers::convergence(facts.states, facts.gc_possible);
    let detail = format!("{}; repair phase {took_ms} ms of at most {bound_ms} ms", verdict.detail);
    Verdict { detail, ..verdict }
}

fn reconnected(reconnect: &Result<u64, String>) -> Verdict {
    let (passed, detail) = match reconnect {
        Ok(after_ms) => (true, format!("every peer link up (none ejected) {after_ms} ms after heal")),
        Err(error) => (false, error.clone()),
    };
    Verdict { name: RECONNECTED, passed, detail, soft: false }
}

/// The requests of clients whose datacenter the plan never kills or isolates (all requests when it
/// touches every datacenter), without DC_EACH_SAFE_QUORUM ones when a datacenter is down: "with one
/// DC down the other DC is unaffected".
fn unaffected_clients_history(scenario: &Scenario, plan: &FaultPlan, history: &History) -> History {
    let affected: BTreeSet<usize> = plan
        .events
        .iter()
        .filter_map(|event| match event.fault {
            Fault::KillDatacenter { datacenter } | Fault::IsolateDatacenter { datacenter } => {
                Some(datacenter)
            }
            _ => None,
        })
        .collect();
    // DC_EACH_SAFE_QUORUM needs every datacenter: with one down, its failures are the promise.
    let every_datacenter = affected.len() >= scenario.shape.datacenters;
    let per_datacenter = scenario.workload.clients_per_datacenter;
    let operations = history
        .operations
        .iter()
        .filter(|operation| every_datacenter || !affected.contains(&(operation.client / per_datacenter)))
        .filter(|operation| affected.is_empty() || operation.consistency != Consistency::DcEachSafeQuorum)
        .cloned()
        .collect();
    History::new(operations)
}

/// The requests whose coordinator was up (not killed, by a node, rack or datacenter kill) for their
/// whole lifetime and their connection's (from its first request), without cluster SCAN pages: a request whose coordinator is down is lost with it
/// whatever the replicas do (a Dyno client retries it elsewhere), and a cluster SCAN must visit every
/// node of the rack. Quorum availability judges the others.
fn coordinator_survived(history: &History, facts: &Facts<'_>) -> History {
    let shape = facts.shape;
    // Per node, the intervals it was down: (killed at, restarted at).
    let mut down: Vec<Vec<(u64, u64)>> = vec![Vec::new(); shape.node_count()];
    let mut killed_at: Vec<Option<u64>> = vec![None; shape.node_count()];
    for event in facts.timeline.events() {
        let (nodes, kill): (Vec<usize>, bool) = match event.fault {
            Fault::KillNode { node, .. } => (vec![node], true),
            Fault::RestartNode { node } => (vec![node], false),
            Fault::KillRack { datacenter, rack } => (shape.rack_nodes(datacenter, rack).collect(), true),
            Fault::RestartRack { datacenter, rack } => (shape.rack_nodes(datacenter, rack).collect(), false),
            Fault::KillDatacenter { datacenter } => (shape.datacenter_nodes(datacenter).collect(), true),
            Fault::RestartDatacenter { datacenter } => (shape.datacenter_nodes(datacenter).collect(), false),
            _ => continue,
        };
        for node in nodes {
            match (kill, killed_at[node]) {
                (true, None) => killed_at[node] = Some(event.at_ms),
                (false, Some(at_ms)) => {
                    down[node].push((at_ms, event.at_ms));
                    killed_at[node] = None;
                }
                _ => {}
            }
        }
    }
    for (node, at_ms) in killed_at.iter().enumerate() {
        if let Some(at_ms) = at_ms {
            down[node].push((*at_ms, u64::MAX));
        }
    }
    let was_down = |node: usize, from_ms: u64, to_ms: u64| {
        down.get(node).is_some_and(|intervals| {
            intervals.iter().any(|(killed, restarted)| *killed <= to_ms && *restarted >= from_ms)
        })
    };
    // A connection opened before its coordinator was killed dies with it, even when the request was
    // sent after the restart (on the old connection): judged from the connection's first request.
    let mut opened_ms: std::collections::BTreeMap<u64, u64> = std::collections::BTreeMap::new();
    for operation in &history.operations {
        let first = opened_ms.entry(operation.connection).or_insert(operation.invoked_ms);
        *first = (*first).min(operation.invoked_ms);
    }
    let operations = history
        .operations
        .iter()
        .filter(|operation| !matches!(operation.command, Command::Scan { .. }))
        .filter(|operation| {
            let opened = opened_ms.get(&operation.connection).copied().unwrap_or(operation.invoked_ms);
            !was_down(operation.node, opened, operation.completed_ms)
        })
        .cloned()
        .collect();
    History::new(operations)
}

/// The short name of a fault, for reports.
pub fn fault_name(fault: &Fault) -> &'static str {
    match fault {
        Fault::KillNode { wipe_data: false, .. } => "kill-node",
        Fault::KillNode { wipe_data: true, .. } => "kill-node-wipe",
        Fault::RestartNode { .. } => "restart-node",
        Fault::SetNodeState { .. } => "set-node-state",
        Fault::KillRack { .. } => "kill-rack",
        Fault::RestartRack { .. } => "restart-rack",
        Fault::KillDatacenter { .. } => "kill-datacenter",
        Fault::RestartDatacenter { .. } => "restart-datacenter",
        Fault::IsolateRack { .. } => "isolate-rack",
        Fault::IsolateDatacenter { .. } => "isolate-datacenter",
        Fault::ClogOneWay { .. } => "clog-one-way",
        Fault::Heal => "heal",
        Fault::SetClockOffset { .. } => "clock-offset",
    }
}

fn fault_counts(faults: &[Fault]) -> Vec<(String, usize)> {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for fault in faults {
        let name = fault_name(fault);
        match counts.iter_mut().find(|(known, _)| known == name) {
            Some((_, count)) => *count += 1,
            None => counts.push((name.to_string(), 1)),
        }
    }
    counts
}
