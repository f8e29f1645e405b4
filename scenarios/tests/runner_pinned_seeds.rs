//! The runner end to end under madsim: pinned seeds' outcome summaries (counts, faults, verdicts —
//! never raw interleavings) are insta snapshots, so behaviour drift shows up in review; the injected
//! quorum bug is caught with a repro line; a seed replays identically.
//!
//! Run with `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-scenarios --profile sim --target-dir
//! target/sim`.
#![cfg(madsim)]

use dynomite_chaos::PlanKind;
use dynomite_scenarios::checkers::QUORUM_HONESTY;
use dynomite_scenarios::runner::{check_determinism, run_seed, BugSwitch, RunOptions};
use dynomite_scenarios::scenario::scenario;

fn summary(kind: PlanKind, seed: u64) -> String {
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
fn the_injected_quorum_bug_is_caught_by_quorum_honesty_with_a_repro_line() {
    let options = RunOptions { injected_bug: Some(BugSwitch::QuorumOneShort) };
    let report = run_seed(&scenario(PlanKind::Monkey), 5, &options).expect("simulation build");
    assert!(!report.passed(), "{}", report.render());
    let failed: Vec<&str> =
        report.verdicts.iter().filter(|verdict| verdict.fails_run()).map(|verdict| verdict.name).collect();
    assert!(failed.contains(&QUORUM_HONESTY), "{failed:?}");
    assert!(report.repro_command().ends_with("run --scenario monkey --seed 5 --inject-bug quorum-one-short"));
}

#[test]
fn a_seed_replays_identically() {
    let report =
        check_determinism(&scenario(PlanKind::Flap), 6, &RunOptions::default()).expect("deterministic");
    assert!(report.counts.total > 0);
}
