//! Judges one simulated run: attributes acknowledgements, runs every checker with the scenario's
//! thresholds, and builds the [`RunReport`]. Pure: the same raw run always gives the same report.

use std::collections::BTreeSet;

use dynomite_chaos::{Fault, FaultPlan};

use super::attribution::{attribute, ObservedDecision};
use super::RunOptions;
use crate::checkers::{self, ReplicaValues, Verdict};
use crate::history::History;
use crate::report::{history_hash, OutcomeCounts, RunReport, TraceHasher};
use crate::scenario::Scenario;

/// Name of the verdict on reconnection after heal.
pub const RECONNECTED: &str = "reconnected after heal";

/// What the simulation produced, before judging.
#[derive(Debug, Clone)]
pub struct RawRun {
    /// The plan that was replayed.
    pub plan: FaultPlan,
    /// Every client operation (ids unique).
    pub history: History,
    /// Every coordinator decision, in time order.
    pub decisions: Vec<ObservedDecision>,
    /// Faults applied, in order.
    pub faults_applied: Vec<Fault>,
    /// Ms after heal until every peer link was up again, or why it never was.
    pub reconnect: Result<u64, String>,
    /// Each key's value on each replica after heal and settling.
    pub replicas: ReplicaValues,
}

/// The report of `raw`.
pub fn evaluate(scenario: &Scenario, seed: u64, options: &RunOptions, raw: RawRun) -> RunReport {
    let RawRun { plan, mut history, decisions, faults_applied, reconnect, replicas } = raw;
    let attributed_operations = attribute(&mut history, &decisions);
    let verdicts = verdicts(scenario, &plan, &history, &reconnect, &replicas);
    let mut hasher = TraceHasher::default();
    hasher.feed(&history_hash(&history).to_le_bytes());
    hasher.feed(format!("{decisions:?}{faults_applied:?}{reconnect:?}{replicas:?}").as_bytes());
    RunReport {
        scenario: scenario.name().to_string(),
        seed,
        knobs: plan.describe(),
        injected_bug: options.injected_bug.map(|bug| bug.name().to_string()),
        faults: fault_counts(&faults_applied),
        counts: OutcomeCounts::of(&history),
        attributed_operations,
        verdicts,
        trace_hash: hasher.finish(),
        history,
    }
}

fn verdicts(
    scenario: &Scenario,
    plan: &FaultPlan,
    history: &History,
    reconnect: &Result<u64, String>,
    replicas: &ReplicaValues,
) -> Vec<Verdict> {
    let shape = &scenario.shape;
    let unaffected = unaffected_clients_history(scenario, plan, history);
    vec![
        checkers::availability(&unaffected, scenario.thresholds.availability_min),
        checkers::no_phantom_values(history),
        checkers::quorum_honesty(history, shape),
        read_your_writes(scenario, history),
        reconnected(reconnect),
        checkers::convergence(replicas),
    ]
}

fn read_your_writes(scenario: &Scenario, history: &History) -> Verdict {
    let verdict =
        checkers::read_your_acknowledged_writes(history, &scenario.shape, !scenario.data_loss_possible);
    if scenario.read_your_writes_binding || verdict.passed {
        return verdict;
    }
    let detail = format!("{} (soft: datacenter splits let late replication overwrite)", verdict.detail);
    Verdict { soft: true, detail, ..verdict }
}

fn reconnected(reconnect: &Result<u64, String>) -> Verdict {
    let (passed, detail) = match reconnect {
        Ok(after_ms) => (true, format!("every peer link up {after_ms} ms after heal")),
        Err(error) => (false, error.clone()),
    };
    Verdict { name: RECONNECTED, passed, detail, soft: false }
}

/// The operations of clients whose datacenter the plan never kills or isolates (all operations when
/// it touches every datacenter): "with one DC down the other DC is unaffected".
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
    if affected.len() >= scenario.shape.datacenters {
        return history.clone();
    }
    let per_datacenter = scenario.workload.clients_per_datacenter;
    let operations = history
        .operations
        .iter()
        .filter(|operation| !affected.contains(&(operation.client / per_datacenter)))
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
