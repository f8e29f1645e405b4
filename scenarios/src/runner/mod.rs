//! Runs one seed of one scenario and judges it: the simulation itself (madsim only, in `execute`),
//! then the pure evaluation (in [`evaluate`]) that ties decisions to requests, runs every checker and
//! builds the [`RunReport`]. Also the determinism check, fault-space coverage and shrinking.

pub mod attribution;
pub mod coverage;
pub mod evaluate;
// The simulation needs madsim's hosts, clogs and virtual time: this is the one place the crate
// depends on `--cfg madsim`. Without it every run answers `RunnerError::NotSimulationBuild`.
#[cfg(madsim)]
mod execute;
pub mod shrink;
pub mod stranger;

use dynomite_chaos::FaultPlan;

use crate::report::RunReport;
use crate::scenario::Scenario;

/// Changes to a seed's run that shrinking makes (and a repro line replays): a shorter fault phase,
/// fewer clients, episodes of the plan left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanEdit {
    /// Fault phase length instead of the scenario's (the plan drawn for it is a prefix of the full one).
    pub fault_phase_ms: Option<u64>,
    /// Clients per datacenter instead of the scenario's.
    pub clients_per_datacenter: Option<usize>,
    /// Episodes of the plan to leave out (0-based, see [`FaultPlan::episodes`]).
    pub drop_episodes: Vec<usize>,
}

impl PlanEdit {
    /// True when nothing is changed.
    pub fn is_empty(&self) -> bool {
        *self == PlanEdit::default()
    }

    /// The scenario with this edit's phase length and client count.
    pub fn scenario(&self, scenario: &Scenario) -> Scenario {
        let mut edited = scenario.clone();
        if let Some(phase) = self.fault_phase_ms {
            edited.fault_phase_ms = phase;
        }
        if let Some(clients) = self.clients_per_datacenter {
            edited.workload.clients_per_datacenter = clients;
        }
        edited
    }

    /// The fault plan of `scenario` (already edited by [`PlanEdit::scenario`]) at `seed`, without the
    /// dropped episodes.
    pub fn plan(&self, scenario: &Scenario, seed: u64) -> FaultPlan {
        let plan = dynomite_chaos::plan(scenario.kind, &scenario.shape, seed, scenario.fault_phase_ms);
        if self.drop_episodes.is_empty() {
            plan
        } else {
            plan.without_episodes(&self.drop_episodes)
        }
    }

    /// The command-line flags that replay this edit (empty when nothing is changed).
    pub fn flags(&self) -> String {
        let mut flags = String::new();
        if let Some(phase) = self.fault_phase_ms {
            flags.push_str(&format!(" --fault-phase-ms {phase}"));
        }
        if let Some(clients) = self.clients_per_datacenter {
            flags.push_str(&format!(" --clients {clients}"));
        }
        if !self.drop_episodes.is_empty() {
            let list: Vec<String> = self.drop_episodes.iter().map(usize::to_string).collect();
            flags.push_str(&format!(" --drop-episodes {}", list.join(",")));
        }
        flags
    }
}

/// Which repair paths a seed leaves on, so that each one is shown to converge the replicas on its own
/// (the mutant gate's seeds 1..=6 of every scenario cover every mode). Read repair is on in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairMode {
    /// Change-log sweeps and scheduled full range repairs (a small change log that overflows).
    Both,
    /// Change-log sweeps alone (a log large enough for every write) and hinted handoff off, so that a
    /// write missing a replica is carried there by the change log or by read repair of a later quorum
    /// read: seeds `≡ 0 (mod 6)` of scenarios where no replica loses data.
    ChangeLogOnly,
    /// No background repair and hinted handoff off (kept on under monkey's quorum-availability floor,
    /// which assumes it): after the heal the runner reads every key once at DC_QUORUM through node 0,
    /// and read repair's write-backs must converge the replicas. Seeds `≡ 1 (mod 6)` of
    /// one-datacenter scenarios where no replica loses data.
    ReadRepairOnly,
}

/// Seeds cycle through the repair modes modulo this.
pub const REPAIR_MODE_CYCLE: u64 = 6;

/// The repair mode of `scenario` at `seed`.
pub fn repair_mode(scenario: &Scenario, seed: u64) -> RepairMode {
    let keeps_data = !scenario.data_loss_possible;
    match seed % REPAIR_MODE_CYCLE {
        0 if keeps_data => RepairMode::ChangeLogOnly,
        1 if keeps_data && scenario.shape.datacenters == 1 => RepairMode::ReadRepairOnly,
        _ => RepairMode::Both,
    }
}

impl RepairMode {
    /// The name printed with the knobs.
    pub fn name(self) -> &'static str {
        match self {
            RepairMode::Both => "both",
            RepairMode::ChangeLogOnly => "change-log-only",
            RepairMode::ReadRepairOnly => "read-repair-only",
        }
    }
}

/// How to run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// The mutant to switch on in every node (its kebab-case name), if any; simulation build only.
    pub mutant: Option<String>,
    /// Changes to the seed's run (shrinking).
    pub edit: PlanEdit,
}

/// Why a run produced no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunnerError {
    /// The crate was built without `--cfg madsim`, so it cannot simulate.
    #[error("this build cannot simulate; build it with: {}", crate::report::BUILD_COMMAND)]
    NotSimulationBuild,
    /// No mutant has this name.
    #[error("unknown mutant {0:?} (list them with `dynomite-sim-runner mutants --list`)")]
    UnknownMutant(String),
    /// Two runs of the same seed produced different traces.
    #[error("{scenario} seed {seed} is not deterministic: trace hash {first:016x} then {second:016x}")]
    Nondeterministic {
        /// Scenario name.
        scenario: String,
        /// The seed.
        seed: u64,
        /// First run's trace hash.
        first: u64,
        /// Second run's trace hash.
        second: u64,
    },
}

/// Every mutant the simulation build knows, as `(name, what it breaks)`, in gate order; empty
/// outside the simulation build.
pub fn mutant_catalog() -> Vec<(&'static str, &'static str)> {
    #[cfg(madsim)]
    {
        dynomite_core::mutants::Mutant::ALL.iter().map(|mutant| (mutant.name(), mutant.breaks())).collect()
    }
    #[cfg(not(madsim))]
    {
        Vec::new()
    }
}

/// Simulates `scenario` at `seed` and judges the result.
pub fn run_seed(scenario: &Scenario, seed: u64, options: &RunOptions) -> Result<RunReport, RunnerError> {
    #[cfg(madsim)]
    {
        let mutant = match &options.mutant {
            None => None,
            Some(name) => Some(
                dynomite_core::mutants::Mutant::from_name(name)
                    .ok_or_else(|| RunnerError::UnknownMutant(name.clone()))?,
            ),
        };
        let edited = options.edit.scenario(scenario);
        let raw = execute::simulate(&edited, seed, options, mutant);
        Ok(evaluate::evaluate(&edited, seed, options, raw))
    }
    #[cfg(not(madsim))]
    {
        let _ = (scenario, seed, options);
        Err(RunnerError::NotSimulationBuild)
    }
}

/// Runs the seed twice and requires identical trace hashes; returns the first report.
pub fn check_determinism(
    scenario: &Scenario,
    seed: u64,
    options: &RunOptions,
) -> Result<RunReport, RunnerError> {
    let first = run_seed(scenario, seed, options)?;
    let second = run_seed(scenario, seed, options)?;
    if first.trace_hash != second.trace_hash || first.summary() != second.summary() {
        return Err(RunnerError::Nondeterministic {
            scenario: scenario.name().to_string(),
            seed,
            first: first.trace_hash,
            second: second.trace_hash,
        });
    }
    Ok(first)
}
