//! The runner end to end under madsim: pinned seeds' outcome summaries (counts, faults, verdicts —
//! never raw interleavings) are insta snapshots, so behaviour drift shows up in review; a mutant is
//! caught with a repro line; a seed replays identically.
//!
//! Run with `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-scenarios --profile sim --target-dir
//! target/sim`.
#![cfg(madsim)]

use std::sync::{Mutex, MutexGuard};

use dynomite_chaos::PlanKind;
use dynomite_scenarios::checkers::QUORUM_HONESTY;
use dynomite_scenarios::runner::{check_determinism, run_seed, RunOptions};
use dynomite_scenarios::scenario::scenario;

/// Runs one at a time: a mutant is switched on for the whole process (each run sets its own).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn summary(kind: PlanKind, seed: u64) -> String {
    let _serial = serial();
    run_seed(&scenario(kind), seed, &RunOptions::default()).expect("simulation build").summary()
}

#[test]
fn monkey_seed_1_outcome() {
    insta::assert_snapshot!(summary(PlanKind::Monkey, 1));
}

#[test]
fn gorilla_seed_2_outcome() {
    insta::assert_snapshot!(summary(PlanKind::Gorilla, 2));
}

#[test]
fn kong_seed_3_outcome() {
    insta::assert_snapshot!(summary(PlanKind::Kong, 3));
}

#[test]
fn swarm_seed_4_outcome() {
    insta::assert_snapshot!(summary(PlanKind::Swarm, 4));
}

#[test]
fn the_quorum_one_short_mutant_is_caught_by_quorum_honesty_with_a_repro_line() {
    let _serial = serial();
    let options = RunOptions { mutant: Some("quorum-one-short".to_string()), ..RunOptions::default() };
    let report = run_seed(&scenario(PlanKind::Monkey), 5, &options).expect("simulation build");
    assert!(report.failed_checkers().contains(&QUORUM_HONESTY), "{}", report.render());
    assert!(report.repro_command().ends_with("run --scenario monkey --seed 5 --mutant quorum-one-short"));
}

#[test]
fn a_seed_replays_identically() {
    let _serial = serial();
    let report =
        check_determinism(&scenario(PlanKind::Flap), 6, &RunOptions::default()).expect("deterministic");
    assert!(report.counts.total > 0);
}
