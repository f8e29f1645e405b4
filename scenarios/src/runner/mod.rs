//! Runs one seed of one scenario and judges it: the simulation itself (madsim only, in `execute`),
//! then the pure evaluation (in [`evaluate`]) that attributes acknowledgements, runs every checker and
//! builds the [`RunReport`]. Also sweeps and the determinism check.

pub mod attribution;
pub mod evaluate;
// The simulation needs madsim's hosts, clogs and virtual time: this is the one place the crate
// depends on `--cfg madsim`. Without it every run answers `RunnerError::NotSimulationBuild`.
#[cfg(madsim)]
mod execute;

use dynomite::node::InjectedBug;

use crate::report::RunReport;
use crate::scenario::Scenario;

/// A deliberate node bug the runner can switch on, to prove a checker catches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BugSwitch {
    /// Quorum levels answer one acknowledgement short of a quorum (caught by quorum honesty).
    QuorumOneShort,
}

impl BugSwitch {
    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            BugSwitch::QuorumOneShort => "quorum-one-short",
        }
    }

    /// The node's switch.
    pub fn node_bug(self) -> InjectedBug {
        match self {
            BugSwitch::QuorumOneShort => InjectedBug::QuorumOneShort,
        }
    }
}

/// How to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RunOptions {
    /// The bug to switch on in every node, if any.
    pub injected_bug: Option<BugSwitch>,
}

/// Why a run produced no report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunnerError {
    /// The crate was built without `--cfg madsim`, so it cannot simulate.
    #[error("this build cannot simulate; build it with: {}", crate::report::BUILD_COMMAND)]
    NotSimulationBuild,
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

/// Simulates `scenario` at `seed` and judges the result.
pub fn run_seed(scenario: &Scenario, seed: u64, options: &RunOptions) -> Result<RunReport, RunnerError> {
    #[cfg(madsim)]
    {
        let raw = execute::simulate(scenario, seed, options);
        Ok(evaluate::evaluate(scenario, seed, options, raw))
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
