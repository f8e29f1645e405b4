//! # dynomite-scenarios
//!
//! Named simulation scenarios run against the production node under madsim, with workload clients,
//! invariant checkers and the seed runner CLI (`dynomite-sim-runner`).
//!
//! - [`scenario`]: the named scenarios (topology, workload, fault plan kind, thresholds).
//! - [`workload`]: Dyno-like pipelining clients that record every request.
//! - [`history`] and [`checkers`]: what clients record and the pure invariant checkers.
//! - [`runner`]: one seed of one scenario → a [`report::RunReport`]; sweeps and determinism checks.
//! - [`placement`]: where each key lives (its owner in every rack), from the ring code.
//! - [`cli`]: the `dynomite-sim-runner` command line (run, sweep, mutants, shrinking).
//! - [`report`]: the human-readable per-run report, the outcome summary and the repro command.
//!
//! Simulation needs `RUSTFLAGS="--cfg madsim"` (build into `target/sim`); without it the crate still
//! builds and the runner answers [`runner::RunnerError::NotSimulationBuild`].

pub mod checkers;
pub mod cli;
pub mod history;
pub mod placement;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod workload;
