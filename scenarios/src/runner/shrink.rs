//! Shrinking a failing seed: shorten the fault phase, remove clients, then leave out episodes of the
//! fault plan one by one, keeping each change while one of the originally failing checkers still
//! fails. The result is the smallest run found and a command that replays it.

use super::{run_seed, PlanEdit, RunOptions};
use crate::report::RunReport;
use crate::scenario::Scenario;

/// Fault phases tried, as fractions (numerator, denominator) of the scenario's.
const PHASE_FRACTIONS: [(u64, u64); 4] = [(1, 8), (1, 4), (1, 2), (3, 4)];
/// Shortest fault phase tried, in ms.
const PHASE_MS_MIN: u64 = 2_000;

/// A shrunk failure.
#[derive(Debug, Clone)]
pub struct Shrunk {
    /// The smallest failing run found.
    pub report: RunReport,
    /// Runs spent shrinking.
    pub runs: usize,
}

/// Shrinks the failure `failing` of `scenario` at `seed` (run with `mutant`), keeping a change while
/// one of the `wanted` checkers still fails.
pub fn shrink(
    scenario: &Scenario,
    seed: u64,
    mutant: Option<String>,
    failing: &RunReport,
    wanted: &[&'static str],
) -> Shrunk {
    let mut runs = 0usize;
    let mut best = failing.clone();
    let mut edit = PlanEdit::default();
    let still_fails = |edit: &PlanEdit, runs: &mut usize| -> Option<RunReport> {
        *runs += 1;
        let options = RunOptions { mutant: mutant.clone(), edit: edit.clone() };
        let report = run_seed(scenario, seed, &options).ok()?;
        let failed = report.failed_checkers();
        wanted.iter().any(|name| failed.contains(name)).then_some(report)
    };
    for (numerator, denominator) in PHASE_FRACTIONS {
        let phase = (scenario.fault_phase_ms * numerator / denominator).max(PHASE_MS_MIN) / 1000 * 1000;
        if phase >= scenario.fault_phase_ms {
            continue;
        }
        let candidate = PlanEdit { fault_phase_ms: Some(phase), ..edit.clone() };
        if let Some(report) = still_fails(&candidate, &mut runs) {
            edit = candidate;
            best = report;
            break;
        }
    }
    for clients in 1..scenario.workload.clients_per_datacenter {
        let candidate = PlanEdit { clients_per_datacenter: Some(clients), ..edit.clone() };
        if let Some(report) = still_fails(&candidate, &mut runs) {
            edit = candidate;
            best = report;
            break;
        }
    }
    let episodes = best.episodes; // numbered in the plan before any is dropped
    for episode in (0..episodes).rev() {
        let mut candidate = edit.clone();
        candidate.drop_episodes.push(episode);
        candidate.drop_episodes.sort_unstable();
        if let Some(report) = still_fails(&candidate, &mut runs) {
            edit = candidate;
            best = report;
        }
    }
    Shrunk { report: best, runs }
}
