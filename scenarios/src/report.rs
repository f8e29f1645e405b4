//! What one run produced, as people read it: the per-run report, the outcome summary (what insta
//! snapshots pin: counts and verdicts, never raw interleavings), the trace hash that determinism checks
//! compare, and the one-line repro command printed on failure.

use std::fmt::Write as _;

use crate::checkers::Verdict;
use crate::history::{History, Outcome};
use crate::runner::coverage::Coverage;
use crate::runner::PlanEdit;

/// The command that builds the runner (madsim cfg, its own target dir, the optimized sim profile).
pub const BUILD_COMMAND: &str =
    "RUSTFLAGS=\"--cfg madsim\" cargo build -p dynomite-scenarios --profile sim --target-dir target/sim";
/// Where [`BUILD_COMMAND`] puts the runner.
pub const RUNNER_PATH: &str = "target/sim/sim/dynomite-sim-runner";
/// FNV-1a 64 offset basis.
const FNV_OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
/// FNV-1a 64 prime.
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// Operation counts by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutcomeCounts {
    /// Every recorded operation.
    pub total: usize,
    /// Ended `Ok`.
    pub ok: usize,
    /// Ended `Failed`.
    pub failed: usize,
    /// Ended `Indeterminate`.
    pub indeterminate: usize,
}

impl OutcomeCounts {
    /// Counts `history`.
    pub fn of(history: &History) -> OutcomeCounts {
        let mut counts = OutcomeCounts { total: history.operations.len(), ..OutcomeCounts::default() };
        for operation in &history.operations {
            match operation.outcome {
                Outcome::Ok(_) => counts.ok += 1,
                Outcome::Failed(_) => counts.failed += 1,
                Outcome::Indeterminate(_) => counts.indeterminate += 1,
            }
        }
        counts
    }

    /// Percentage of `Ok` operations (0 for none).
    pub fn success_percent(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        self.ok as f64 * 100.0 / self.total as f64
    }
}

/// The result of one seed of one scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    /// Scenario name.
    pub scenario: String,
    /// The seed.
    pub seed: u64,
    /// The fault plan's knobs and the node tuning, one line (printed next to the seed).
    pub knobs: String,
    /// The mutant switched on, if any.
    pub mutant: Option<String>,
    /// Changes made to the seed's run (shrinking).
    pub edit: PlanEdit,
    /// Episodes in the replayed plan.
    pub episodes: usize,
    /// The replayed plan's events, one line each (`at_ms fault`).
    pub plan: Vec<String>,
    /// Faults applied, as `name ×count`, in first-applied order.
    pub faults: Vec<(String, usize)>,
    /// Operation counts.
    pub counts: OutcomeCounts,
    /// Requests that got at least one coordinator decision.
    pub attributed_operations: usize,
    /// Decisions that matched no recorded request.
    pub orphan_decisions: usize,
    /// Every checker's verdict.
    pub verdicts: Vec<Verdict>,
    /// Fault-space coverage of the run.
    pub coverage: Coverage,
    /// Hash of the history (and decisions); equal for equal runs.
    pub trace_hash: u64,
    /// The judged history (acknowledgements attributed), for `--history`.
    pub history: History,
}

impl RunReport {
    /// True when no hard verdict failed.
    pub fn passed(&self) -> bool {
        !self.verdicts.iter().any(Verdict::fails_run)
    }

    /// Faults applied in all.
    pub fn faults_injected(&self) -> usize {
        self.faults.iter().map(|(_, count)| count).sum()
    }

    /// The outcome summary: counts, faults and verdicts (what insta snapshots pin).
    pub fn summary(&self) -> String {
        let mut text = format!(
            "{} seed {}: {}\n",
            self.scenario,
            self.seed,
            if self.passed() { "PASS" } else { "FAIL" }
        );
        let counts = &self.counts;
        let _ = writeln!(
            text,
            "  operations {} ok {} ({:.2}%) failed {} indeterminate {}",
            counts.total,
            counts.ok,
            counts.success_percent(),
            counts.failed,
            counts.indeterminate
        );
        let faults: Vec<String> =
            self.faults.iter().map(|(name, count)| format!("{name} x{count}")).collect();
        let _ = writeln!(text, "  faults injected {}: {}", self.faults_injected(), faults.join(", "));
        for verdict in &self.verdicts {
            let mark = match (verdict.passed, verdict.soft) {
                (true, _) => "pass",
                (false, true) => "soft-fail",
                (false, false) => "FAIL",
            };
            let _ = writeln!(text, "  [{mark}] {}: {}", verdict.name, verdict.detail);
        }
        text
    }

    /// The full per-run report: the summary plus knobs, attribution and trace hash.
    pub fn render(&self) -> String {
        let mut text = self.summary();
        let _ = writeln!(text, "  knobs: {}", self.knobs);
        if let Some(mutant) = &self.mutant {
            let _ = writeln!(text, "  mutant: {mutant}");
        }
        if !self.edit.is_empty() {
            let _ = writeln!(text, "  edited run:{} ({} episodes left)", self.edit.flags(), self.episodes);
        }
        let _ = writeln!(
            text,
            "  requests with coordinator decisions: {} (decisions matching no request: {})",
            self.attributed_operations, self.orphan_decisions
        );
        let _ = writeln!(text, "  trace hash: {:016x}", self.trace_hash);
        text
    }

    /// One copy-pasteable line that rebuilds the runner and replays this seed.
    pub fn repro_command(&self) -> String {
        format!("{BUILD_COMMAND} && {}", self.run_command())
    }

    /// The runner command alone that replays this seed (mutant and edits included).
    pub fn run_command(&self) -> String {
        run_command(&self.scenario, self.seed, self.mutant.as_deref(), &self.edit)
    }

    /// The names of the hard verdicts that failed.
    pub fn failed_checkers(&self) -> Vec<&'static str> {
        self.verdicts.iter().filter(|verdict| verdict.fails_run()).map(|verdict| verdict.name).collect()
    }
}

/// The runner command that replays `scenario` at `seed` with `mutant` and `edit`.
pub fn run_command(scenario: &str, seed: u64, mutant: Option<&str>, edit: &PlanEdit) -> String {
    let mutant = mutant.map(|mutant| format!(" --mutant {mutant}")).unwrap_or_default();
    format!("{RUNNER_PATH} run --scenario {scenario} --seed {seed}{mutant}{}", edit.flags())
}

/// The one-line repro for `scenario` at `seed`: rebuild, then [`run_command`].
pub fn repro_command(scenario: &str, seed: u64, mutant: Option<&str>, edit: &PlanEdit) -> String {
    format!("{BUILD_COMMAND} && {}", run_command(scenario, seed, mutant, edit))
}

/// One line per operation, in invocation order (what `run --history` prints).
pub fn history_lines(history: &History) -> String {
    let mut text = String::new();
    for operation in &history.operations {
        let args: Vec<String> =
            operation.command.args().iter().map(|arg| String::from_utf8_lossy(arg).into_owned()).collect();
        let _ = writeln!(
            text,
            "  op {} client {} node {} conn {} (id {}) seq {} batch {}#{} {} at {} {}..{} ms -> {:?} acks {:?}",
            operation.id,
            operation.client,
            operation.node,
            operation.connection,
            operation.connection_id,
            operation.sequence,
            operation.batch,
            operation.position,
            args.join(" "),
            operation.consistency.wire_name(),
            operation.invoked_ms,
            operation.completed_ms,
            operation.outcome,
            operation.acknowledged_by
        );
    }
    text
}

/// A stable 64-bit hash (FNV-1a) of text fed in order; the same on every platform and run.
#[derive(Debug, Clone, Copy)]
pub struct TraceHasher {
    state: u64,
}

impl Default for TraceHasher {
    fn default() -> TraceHasher {
        TraceHasher { state: FNV_OFFSET_BASIS }
    }
}

impl TraceHasher {
    /// Feeds bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.state ^= u64::from(*byte);
            self.state = self.state.wrapping_mul(FNV_PRIME);
        }
    }

    /// The hash so far.
    pub fn finish(&self) -> u64 {
        self.state
    }
}

/// Hash of every operation of `history` in recorded order (its `Debug` text, which is deterministic).
pub fn history_hash(history: &History) -> u64 {
    let mut hasher = TraceHasher::default();
    for operation in &history.operations {
        hasher.feed(format!("{operation:?}\n").as_bytes());
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repro_command_rebuilds_and_replays_the_seed_with_its_mutant_and_edits() {
        let edit = PlanEdit {
            fault_phase_ms: Some(8000),
            clients_per_datacenter: Some(1),
            drop_episodes: vec![1, 3],
        };
        let line = repro_command("gorilla", 42, Some("quorum-one-short"), &edit);
        assert!(line.starts_with("RUSTFLAGS=\"--cfg madsim\" cargo build -p dynomite-scenarios"));
        assert!(line.ends_with(
            "target/sim/sim/dynomite-sim-runner run --scenario gorilla --seed 42 --mutant quorum-one-short \
             --fault-phase-ms 8000 --clients 1 --drop-episodes 1,3"
        ));
    }

    #[test]
    fn trace_hash_is_fnv1a() {
        let mut hasher = TraceHasher::default();
        hasher.feed(b"a");
        assert_eq!(hasher.finish(), 0xaf63_dc4c_8601_ec8c);
    }
}
