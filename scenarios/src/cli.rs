//! The runner's command line: `run` one seed (optionally twice, to check determinism) and `sweep` a
//! seed range over one or all scenarios, printing a progress line, and for every failure its report,
//! the seed's knobs and one copy-pasteable repro line.

use std::process::ExitCode;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::report::RunReport;
use crate::runner::{check_determinism, run_seed, BugSwitch, RunOptions, RunnerError};
use crate::scenario::{Scenario, Selection};

/// Runs between two progress lines of a sweep.
const PROGRESS_EVERY_RUNS: u64 = 25;
/// Failures whose full report a sweep prints (later ones print only their repro line).
const FAILURE_REPORTS_MAX: usize = 5;

/// Seeded chaos scenarios against the production dynomite node, under madsim.
#[derive(Debug, clap::Parser)]
#[command(name = "dynomite-sim-runner", version)]
pub enum Command {
    /// Run one seed of one scenario and print its report.
    Run {
        /// Scenario name (monkey, monkey-wipe, gorilla, kong, partition, skew, flap, swarm).
        #[arg(long)]
        scenario: Selection,
        /// The seed.
        #[arg(long)]
        seed: u64,
        /// Run twice and require identical trace hashes.
        #[arg(long)]
        check_determinism: bool,
        /// Switch on a deliberate node bug (to see a checker catch it).
        #[arg(long, value_enum)]
        inject_bug: Option<BugSwitch>,
        /// Also print every operation of the history.
        #[arg(long)]
        history: bool,
    },
    /// Run a range of seeds over one scenario or `all`.
    Sweep {
        /// Scenario name or `all`.
        #[arg(long, default_value = "all")]
        scenario: Selection,
        /// How many seeds.
        #[arg(long)]
        seeds: u64,
        /// First seed of the range (default: drawn from the wall clock and printed).
        #[arg(long)]
        first_seed: Option<u64>,
        /// Run every seed twice and require identical trace hashes.
        #[arg(long)]
        check_determinism: bool,
        /// Switch on a deliberate node bug.
        #[arg(long, value_enum)]
        inject_bug: Option<BugSwitch>,
        /// Print one line per run (scenario, seed, verdict, success %).
        #[arg(long)]
        each: bool,
    },
}

/// Runs `command`; success only when every run passed.
pub fn execute(command: Command) -> ExitCode {
    match command {
        Command::Run { scenario, seed, check_determinism, inject_bug, history } => {
            let options = RunOptions { injected_bug: inject_bug };
            let runs: Vec<bool> = scenario
                .scenarios()
                .iter()
                .map(|scenario| run_one(scenario, seed, &options, check_determinism, history))
                .collect();
            exit_code(runs.iter().all(|passed| *passed))
        }
        Command::Sweep { scenario, seeds, first_seed, check_determinism, inject_bug, each } => {
            let first_seed = first_seed.unwrap_or_else(fresh_seed);
            let options = SweepOptions {
                run: RunOptions { injected_bug: inject_bug },
                determinism: check_determinism,
                each,
            };
            exit_code(sweep(scenario, first_seed, seeds, &options))
        }
    }
}

fn exit_code(passed: bool) -> ExitCode {
    if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs one seed and prints its report (with every operation when `history`).
fn run_one(scenario: &Scenario, seed: u64, options: &RunOptions, determinism: bool, history: bool) -> bool {
    let result = if determinism {
        check_determinism(scenario, seed, options)
    } else {
        run_seed(scenario, seed, options)
    };
    match result {
        Ok(report) => {
            if history {
                print!("{}", crate::report::history_lines(&report.history));
            }
            if determinism {
                println!("determinism: two runs, identical trace hash");
            }
            if report.passed() {
                print!("{}", report.render());
            } else {
                print_failure(&report);
            }
            report.passed()
        }
        Err(RunnerError::NotSimulationBuild) => {
            eprintln!("{}", RunnerError::NotSimulationBuild);
            false
        }
        Err(error) => {
            println!("{error}");
            println!(
                "  repro: {} --check-determinism",
                crate::report::repro_command(
                    scenario.name(),
                    seed,
                    options.injected_bug.map(BugSwitch::name)
                )
            );
            false
        }
    }
}

fn print_failure(report: &RunReport) {
    print!("{}", report.render());
    println!("  repro: {}", report.repro_command());
}

/// How a sweep runs each seed.
struct SweepOptions {
    run: RunOptions,
    determinism: bool,
    each: bool,
}

fn sweep(selection: Selection, first_seed: u64, seeds: u64, options: &SweepOptions) -> bool {
    let scenarios = selection.scenarios();
    let total = seeds * scenarios.len() as u64;
    println!(
        "sweep: scenario {selection}, seeds {first_seed}..{}, {total} runs",
        first_seed.saturating_add(seeds)
    );
    let started = Instant::now();
    let mut failures = 0usize;
    let mut done = 0u64;
    let mut next_progress = PROGRESS_EVERY_RUNS;
    for seed in (0..seeds).map(|offset| first_seed.wrapping_add(offset)) {
        for scenario in &scenarios {
            if !sweep_one(scenario, seed, options, failures) {
                failures += 1;
            }
            done += 1;
            if done >= next_progress || done == total {
                next_progress += PROGRESS_EVERY_RUNS;
                progress(done, total, failures, started);
            }
        }
    }
    println!("sweep: {done} runs, {failures} failed");
    failures == 0
}

fn sweep_one(scenario: &Scenario, seed: u64, options: &SweepOptions, failures: usize) -> bool {
    let verbose_failure = failures < FAILURE_REPORTS_MAX;
    let result = if options.determinism {
        check_determinism(scenario, seed, &options.run)
    } else {
        run_seed(scenario, seed, &options.run)
    };
    if let (true, Ok(report)) = (options.each, &result) {
        let verdict = if report.passed() { "pass" } else { "FAIL" };
        let success = report.counts.success_percent();
        println!(
            "{} seed {seed}: {verdict} ok {success:.2}% faults {}",
            report.scenario,
            report.faults_injected()
        );
    }
    match result {
        Ok(report) if report.passed() => true,
        Ok(report) => {
            if verbose_failure {
                print_failure(&report);
            } else {
                println!("FAIL {} seed {}: repro: {}", report.scenario, seed, report.repro_command());
            }
            false
        }
        Err(error) => {
            println!("FAIL {} seed {seed}: {error}", scenario.name());
            false
        }
    }
}

fn progress(done: u64, total: u64, failures: usize, started: Instant) {
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    let rate = if minutes > 0.0 { done as f64 / minutes } else { 0.0 };
    println!("progress: {done}/{total} runs, {failures} failed, {rate:.0} runs/min");
}

/// A seed for a fresh local sweep: from the wall clock (printed, so the sweep can be repeated).
fn fresh_seed() -> u64 {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|since| since.as_nanos()).unwrap_or(0);
    let seed = (nanos as u64) % 1_000_000_000;
    println!("sweep: fresh first seed {seed} (repeat with --first-seed {seed})");
    seed
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use dynomite_chaos::PlanKind;

    use super::*;

    #[test]
    fn run_and_sweep_parse_as_documented() {
        let run = Command::try_parse_from([
            "dynomite-sim-runner",
            "run",
            "--scenario",
            "gorilla",
            "--seed",
            "42",
            "--inject-bug",
            "quorum-one-short",
        ])
        .unwrap();
        let Command::Run { scenario, seed, inject_bug, check_determinism, history } = run else {
            panic!("parsed {run:?}")
        };
        assert_eq!(scenario, Selection::One(PlanKind::Gorilla));
        assert_eq!(
            (seed, inject_bug, check_determinism, history),
            (42, Some(BugSwitch::QuorumOneShort), false, false)
        );
        let sweep = Command::try_parse_from([
            "x",
            "sweep",
            "--scenario",
            "all",
            "--seeds",
            "500",
            "--first-seed",
            "7",
        ])
        .unwrap();
        let Command::Sweep { scenario, seeds, first_seed, .. } = sweep else { panic!("parsed {sweep:?}") };
        assert_eq!((scenario, seeds, first_seed), (Selection::All, 500, Some(7)));
        assert!(Command::try_parse_from(["x", "run", "--scenario", "godzilla", "--seed", "1"]).is_err());
    }

    #[cfg(not(madsim))]
    #[test]
    fn without_the_madsim_cfg_a_run_says_how_to_build() {
        let scenario = crate::scenario::scenario(PlanKind::Monkey);
        assert_eq!(run_seed(&scenario, 1, &RunOptions::default()), Err(RunnerError::NotSimulationBuild));
    }
}
