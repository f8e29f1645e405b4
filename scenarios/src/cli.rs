//! The runner's command line: `run` one seed (optionally twice, to check determinism, or shrunk),
//! `sweep` a seed range over one or all scenarios (in parallel with `--jobs`, output in seed order,
//! fault-space coverage at the end), and `mutants`, the gate that requires every mutant to be caught.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::report::RunReport;
use crate::runner::coverage::Coverage;
use crate::runner::shrink::shrink;
use crate::runner::{check_determinism, mutant_catalog, run_seed, PlanEdit, RunOptions, RunnerError};
use crate::scenario::{Scenario, Selection};

/// Runs between two progress lines of a sweep.
const PROGRESS_EVERY_RUNS: u64 = 200;
/// Failures whose full report a sweep prints (later ones print only their repro line).
const FAILURE_REPORTS_MAX: usize = 5;
/// Default runs per mutant in the gate.
pub const MUTANT_BUDGET_DEFAULT: u64 = 48;

/// Seeded chaos scenarios against the production dynomite node, under madsim.
#[derive(Debug, clap::Parser)]
#[command(name = "dynomite-sim-runner", version)]
pub enum Command {
    /// Run one seed of one scenario (or `all`) and print its report.
    Run {
        /// Scenario name (monkey, monkey-wipe, gorilla, kong, partition, skew, flap, swarm) or `all`.
        #[arg(long)]
        scenario: Selection,
        /// The seed.
        #[arg(long)]
        seed: u64,
        /// Run twice and require identical trace hashes.
        #[arg(long)]
        check_determinism: bool,
        /// Switch on a mutant (a deliberate product bug; `mutants --list` names them).
        #[arg(long)]
        mutant: Option<String>,
        /// Also print every request of the history.
        #[arg(long)]
        history: bool,
        /// Fault phase length in ms instead of the scenario's (a prefix of its plan).
        #[arg(long)]
        fault_phase_ms: Option<u64>,
        /// Clients per datacenter instead of the scenario's.
        #[arg(long)]
        clients: Option<usize>,
        /// Episodes of the plan to leave out (comma-separated, 0-based).
        #[arg(long, value_delimiter = ',')]
        drop_episodes: Vec<usize>,
        /// When the run fails, shrink it and print the minimal run's command.
        #[arg(long)]
        shrink: bool,
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
        /// Switch on a mutant.
        #[arg(long)]
        mutant: Option<String>,
        /// Print one line per run (scenario, seed, verdict, success %).
        #[arg(long)]
        each: bool,
        /// Runs in parallel (threads); output stays in seed order.
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Shrink the first failure and print its minimal run.
        #[arg(long)]
        shrink: bool,
    },
    /// The mutant gate: for each mutant, sweep seeds over every scenario until a checker fails.
    Mutants {
        /// Runs per mutant before it counts as surviving.
        #[arg(long, default_value_t = MUTANT_BUDGET_DEFAULT)]
        budget: u64,
        /// Only this mutant.
        #[arg(long)]
        only: Option<String>,
        /// Only print the mutant names, one per line.
        #[arg(long)]
        list: bool,
        /// First seed of each mutant's sweep.
        #[arg(long, default_value_t = 1)]
        first_seed: u64,
        /// Runs in parallel (threads).
        #[arg(long, default_value_t = 1)]
        jobs: usize,
        /// Shrink each mutant's first failure.
        #[arg(long)]
        shrink: bool,
        /// A mutant the checkers are known not to catch yet (repeatable): it still runs and is reported
        /// as a known survivor, but does not fail the gate. Every name must be in the catalog, and a
        /// known survivor that gets caught fails the gate (the allowance is stale).
        #[arg(long = "known-survivor")]
        known_survivors: Vec<String>,
    },
}

/// Runs `command`; success only when every run passed (for `mutants`: every mutant was caught).
pub fn execute(command: Command) -> ExitCode {
    match command {
        Command::Run {
            scenario,
            seed,
            check_determinism,
            mutant,
            history,
            fault_phase_ms,
            clients,
            drop_episodes,
            shrink,
        } => {
            let edit = PlanEdit { fault_phase_ms, clients_per_datacenter: clients, drop_episodes };
            let options = RunOptions { mutant, edit };
            let runs: Vec<bool> = scenario
                .scenarios()
                .iter()
                .map(|scenario| run_one(scenario, seed, &options, check_determinism, history, shrink))
                .collect();
            exit_code(runs.iter().all(|passed| *passed))
        }
        Command::Sweep { scenario, seeds, first_seed, check_determinism, mutant, each, jobs, shrink } => {
            let first_seed = first_seed.unwrap_or_else(fresh_seed);
            let options = SweepOptions {
                run: RunOptions { mutant, edit: PlanEdit::default() },
                determinism: check_determinism,
                each,
                jobs,
                shrink,
            };
            exit_code(sweep(scenario, first_seed, seeds, &options))
        }
        Command::Mutants { budget, only, list, first_seed, jobs, shrink, known_survivors } => {
            exit_code(mutants(budget, only.as_deref(), list, first_seed, jobs, shrink, &known_survivors))
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

/// Runs one seed and prints its report (with every request when `history`), shrinking a failure
/// when asked.
fn run_one(
    scenario: &Scenario,
    seed: u64,
    options: &RunOptions,
    determinism: bool,
    history: bool,
    shrink_failure: bool,
) -> bool {
    let result = if determinism {
        check_determinism(scenario, seed, options)
    } else {
        run_seed(scenario, seed, options)
    };
    match result {
        Ok(report) => {
            if history {
                print!("{}", crate::report::history_lines(&report.history));
                report.plan.iter().for_each(|line| println!("  plan {line}"));
            }
            if determinism {
                println!("determinism: two runs, identical trace hash");
            }
            if report.passed() {
                print!("{}", report.render());
            } else {
                print_failure(&report);
                if shrink_failure {
                    print_shrunk(scenario, seed, options, &report, &report.failed_checkers());
                }
            }
            report.passed()
        }
        Err(error) => {
            println!("{error}");
            if !matches!(error, RunnerError::NotSimulationBuild | RunnerError::UnknownMutant(_)) {
                let repro = crate::report::repro_command(
                    scenario.name(),
                    seed,
                    options.mutant.as_deref(),
                    &options.edit,
                );
                println!("  repro: {repro} --check-determinism");
            }
            false
        }
    }
}

fn print_failure(report: &RunReport) {
    print!("{}", report.render());
    println!("  repro: {}", report.repro_command());
}

fn print_shrunk(
    scenario: &Scenario,
    seed: u64,
    options: &RunOptions,
    report: &RunReport,
    wanted: &[&'static str],
) {
    let shrunk = shrink(scenario, seed, options.mutant.clone(), report, wanted);
    println!("shrunk in {} runs to:", shrunk.runs);
    print!("{}", shrunk.report.summary());
    println!("  knobs: {}", shrunk.report.knobs);
    println!("  minimal plan ({} events):", shrunk.report.plan.len());
    shrunk.report.plan.iter().for_each(|line| println!("    {line}"));
    println!("  replay: {}", shrunk.report.run_command());
}

/// How a sweep runs each seed.
struct SweepOptions {
    run: RunOptions,
    determinism: bool,
    each: bool,
    jobs: usize,
    shrink: bool,
}

/// Runs `tasks` on `jobs` threads and hands each result to `sink` in task order; `sink` returns
/// false to stop (tasks not yet started are skipped). Returns how many results were handed over.
fn run_in_order(
    tasks: &[(Scenario, u64)],
    options: &RunOptions,
    determinism: bool,
    jobs: usize,
    mut sink: impl FnMut(usize, &Scenario, u64, Result<RunReport, RunnerError>) -> bool,
) -> usize {
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (sender, receiver) = mpsc::channel();
    let mut handed = 0usize;
    std::thread::scope(|scope| {
        for _ in 0..jobs.max(1) {
            let sender = sender.clone();
            let (next, stop) = (&next, &stop);
            scope.spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some((scenario, seed)) = tasks.get(index) else { return };
                let result = if determinism {
                    check_determinism(scenario, *seed, options)
                } else {
                    run_seed(scenario, *seed, options)
                };
                if sender.send((index, result)).is_err() {
                    return;
                }
            });
        }
        drop(sender);
        let mut pending = std::collections::BTreeMap::new();
        for (index, result) in receiver {
            pending.insert(index, result);
            while let Some(result) = pending.remove(&handed) {
                let (scenario, seed) = &tasks[handed];
                handed += 1;
                if !stop.load(Ordering::Relaxed) && !sink(handed - 1, scenario, *seed, result) {
                    stop.store(true, Ordering::Relaxed);
                }
            }
        }
    });
    handed
}

fn sweep(selection: Selection, first_seed: u64, seeds: u64, options: &SweepOptions) -> bool {
    let scenarios = selection.scenarios();
    let tasks: Vec<(Scenario, u64)> = (0..seeds)
        .map(|offset| first_seed.wrapping_add(offset))
        .flat_map(|seed| scenarios.iter().map(move |scenario| (scenario.clone(), seed)))
        .collect();
    let total = tasks.len() as u64;
    let mutant = options.run.mutant.as_deref().map(|name| format!(", mutant {name}")).unwrap_or_default();
    println!(
        "sweep: scenario {selection}, seeds {first_seed}..{}, {total} runs, {} jobs{mutant}",
        first_seed.saturating_add(seeds),
        options.jobs
    );
    let started = Instant::now();
    let mut failures = 0usize;
    let mut done = 0u64;
    let mut coverage = Coverage::default();
    let mut first_failure: Option<(Scenario, u64, RunReport)> = None;
    run_in_order(&tasks, &options.run, options.determinism, options.jobs, |_, scenario, seed, result| {
        if let Ok(report) = &result {
            coverage.merge(&report.coverage);
            if options.each {
                let verdict = if report.passed() { "pass" } else { "FAIL" };
                let success = report.counts.success_percent();
                println!(
                    "{} seed {seed}: {verdict} ok {success:.2}% faults {}",
                    report.scenario,
                    report.faults_injected()
                );
            }
        }
        match result {
            Ok(report) if report.passed() => {}
            Ok(report) => {
                if failures < FAILURE_REPORTS_MAX {
                    print_failure(&report);
                } else {
                    println!("FAIL {} seed {}: repro: {}", report.scenario, seed, report.repro_command());
                }
                failures += 1;
                if first_failure.is_none() {
                    first_failure = Some((scenario.clone(), seed, report));
                }
            }
            Err(error) => {
                println!("FAIL {} seed {seed}: {error}", scenario.name());
                failures += 1;
            }
        }
        done += 1;
        if done.is_multiple_of(PROGRESS_EVERY_RUNS) || done == total {
            progress(done, total, failures, started);
        }
        true
    });
    println!("sweep: {done} runs, {failures} failed, {:.0} runs/min", rate(done, started));
    println!("fault-space coverage ({done} runs):");
    print!("{}", coverage.render());
    if let (true, Some((scenario, seed, report))) = (options.shrink, first_failure) {
        print_shrunk(&scenario, seed, &options.run, &report, &report.failed_checkers());
    }
    failures == 0
}

fn rate(done: u64, started: Instant) -> f64 {
    let minutes = started.elapsed().as_secs_f64() / 60.0;
    if minutes > 0.0 {
        done as f64 / minutes
    } else {
        0.0
    }
}

fn progress(done: u64, total: u64, failures: usize, started: Instant) {
    println!("progress: {done}/{total} runs, {failures} failed, {:.0} runs/min", rate(done, started));
}

/// One mutant's gate result.
struct Caught {
    runs: u64,
    report: Option<RunReport>,
    /// The checkers that failed with the mutant and passed without it.
    checkers: Vec<&'static str>,
}

fn mutants(
    budget: u64,
    only: Option<&str>,
    list: bool,
    first_seed: u64,
    jobs: usize,
    shrink_failures: bool,
    known_survivors: &[String],
) -> bool {
    let catalog = mutant_catalog();
    if let Some(unknown) = known_survivors.iter().find(|known| !catalog.iter().any(|(name, _)| name == known))
    {
        eprintln!("{}", RunnerError::UnknownMutant(unknown.clone()));
        return false;
    }
    if catalog.is_empty() {
        eprintln!("{}", RunnerError::NotSimulationBuild);
        return false;
    }
    if list {
        for (name, _) in &catalog {
            println!("{name}");
        }
        return true;
    }
    let selected: Vec<(&str, &str)> =
        catalog.iter().copied().filter(|(name, _)| only.is_none_or(|only| only == *name)).collect();
    if selected.is_empty() {
        eprintln!("{}", RunnerError::UnknownMutant(only.unwrap_or_default().to_string()));
        return false;
    }
    let scenarios = Selection::All.scenarios();
    let seeds = budget.div_ceil(scenarios.len() as u64);
    let tasks: Vec<(Scenario, u64)> = (0..seeds)
        .map(|offset| first_seed + offset)
        .flat_map(|seed| scenarios.iter().map(move |scenario| (scenario.clone(), seed)))
        .take(budget as usize)
        .collect();
    println!(
        "mutant gate: {} mutants, budget {budget} runs each (seeds from {first_seed}, every scenario), {jobs} jobs",
        selected.len()
    );
    let started = Instant::now();
    // The same runs without a mutant: a mutant is caught by a checker that fails with it and passed
    // without it on the same seed (so a product bug the baseline already shows does not count).
    let mut baseline: Vec<Vec<&'static str>> = Vec::with_capacity(tasks.len());
    run_in_order(&tasks, &RunOptions::default(), false, jobs, |_, _, _, result| {
        baseline.push(result.map(|report| report.failed_checkers()).unwrap_or_default());
        true
    });
    let baseline_failures = baseline.iter().filter(|failed| !failed.is_empty()).count();
    let mut baseline_checkers: Vec<&str> = baseline.iter().flatten().copied().collect();
    baseline_checkers.sort_unstable();
    baseline_checkers.dedup();
    println!(
        "baseline (no mutant): {baseline_failures} of {} runs fail{}",
        baseline.len(),
        if baseline_checkers.is_empty() {
            String::new()
        } else {
            format!(" ({})", baseline_checkers.join("; "))
        }
    );
    let mut rows = Vec::new();
    for (name, breaks) in &selected {
        let options = RunOptions { mutant: Some(name.to_string()), edit: PlanEdit::default() };
        let mut caught = Caught { runs: 0, report: None, checkers: Vec::new() };
        run_in_order(&tasks, &options, false, jobs, |index, _, _, result| {
            caught.runs = index as u64 + 1;
            let Ok(report) = result else { return true };
            let new: Vec<&'static str> = report
                .failed_checkers()
                .into_iter()
                .filter(|checker| !baseline[index].contains(checker))
                .collect();
            if new.is_empty() {
                return true;
            }
            caught.checkers = new;
            caught.report = Some(report);
            false
        });
        match &caught.report {
            Some(report) => println!(
                "  {name}: caught after {} runs by {} ({})",
                caught.runs,
                caught.checkers.join(", "),
                report.run_command()
            ),
            None if known_survivors.iter().any(|known| known == name) => {
                println!(
                    "  {name}: SURVIVED {} runs (known survivor: no checker catches it yet)",
                    caught.runs
                )
            }
            None => println!("  {name}: SURVIVED {} runs", caught.runs),
        }
        if let (true, Some(report)) = (shrink_failures, &caught.report) {
            let scenario = crate::scenario::scenario(report_kind(report));
            print_shrunk(&scenario, report.seed, &options, report, &caught.checkers);
        }
        rows.push((*name, *breaks, caught));
    }
    print_table(&rows);
    let is_known = |name: &str| known_survivors.iter().any(|known| known == name);
    let survivors = rows.iter().filter(|(_, _, caught)| caught.report.is_none()).count();
    let known = rows.iter().filter(|(name, _, caught)| caught.report.is_none() && is_known(name)).count();
    let stale: Vec<&str> = rows
        .iter()
        .filter(|(name, _, caught)| caught.report.is_some() && is_known(name))
        .map(|row| row.0)
        .collect();
    println!(
        "mutant gate: {} of {} caught, {survivors} survived ({known} of them known survivors), {:.0} s",
        rows.len() - survivors,
        rows.len(),
        started.elapsed().as_secs_f64()
    );
    if !stale.is_empty() {
        println!("mutant gate: known survivors now caught (drop the allowance): {}", stale.join(", "));
    }
    survivors == known && stale.is_empty()
}

fn report_kind(report: &RunReport) -> dynomite_chaos::PlanKind {
    report.scenario.parse().expect("a report names a known scenario")
}

fn print_table(rows: &[(&str, &str, Caught)]) {
    println!();
    println!("| mutant | what it breaks | runs needed | failing checker | repro |");
    println!("|---|---|---|---|---|");
    for (name, breaks, caught) in rows {
        match &caught.report {
            Some(report) => println!(
                "| {name} | {breaks} | {} | {} | `{}` |",
                caught.runs,
                caught.checkers.join("; "),
                report.run_command()
            ),
            None => println!("| {name} | {breaks} | SURVIVED ({} runs) | - | - |", caught.runs),
        }
    }
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
    fn run_sweep_and_mutants_parse_as_documented() {
        let run = Command::try_parse_from([
            "dynomite-sim-runner",
            "run",
            "--scenario",
            "gorilla",
            "--seed",
            "42",
            "--mutant",
            "quorum-one-short",
            "--drop-episodes",
            "1,3",
            "--clients",
            "2",
            "--fault-phase-ms",
            "8000",
        ])
        .unwrap();
        let Command::Run { scenario, seed, mutant, drop_episodes, clients, fault_phase_ms, .. } = run else {
            panic!("parsed {run:?}")
        };
        assert_eq!(scenario, Selection::One(PlanKind::Gorilla));
        assert_eq!((seed, mutant.as_deref()), (42, Some("quorum-one-short")));
        assert_eq!((drop_episodes, clients, fault_phase_ms), (vec![1, 3], Some(2), Some(8000)));
        let sweep = Command::try_parse_from([
            "x",
            "sweep",
            "--scenario",
            "all",
            "--seeds",
            "500",
            "--first-seed",
            "7",
            "--jobs",
            "2",
        ])
        .unwrap();
        let Command::Sweep { scenario, seeds, first_seed, jobs, .. } = sweep else {
            panic!("parsed {sweep:?}")
        };
        assert_eq!((scenario, seeds, first_seed, jobs), (Selection::All, 500, Some(7), 2));
        let gate =
            Command::try_parse_from(["x", "mutants", "--budget", "300", "--only", "skip-last-rack"]).unwrap();
        let Command::Mutants { budget, only, .. } = gate else { panic!("parsed {gate:?}") };
        assert_eq!((budget, only.as_deref()), (300, Some("skip-last-rack")));
        assert!(Command::try_parse_from(["x", "run", "--scenario", "godzilla", "--seed", "1"]).is_err());
    }

    #[cfg(not(madsim))]
    #[test]
    fn without_the_madsim_cfg_a_run_says_how_to_build() {
        let scenario = crate::scenario::scenario(PlanKind::Monkey);
        assert_eq!(run_seed(&scenario, 1, &RunOptions::default()), Err(RunnerError::NotSimulationBuild));
    }
}
