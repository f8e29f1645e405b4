//! Gossip in the simulator: a killed node is marked down by gossip on every other node within the
//! bound (`gossip_down_after` after its last heartbeat, plus a few rounds), and the mark is lifted
//! when it restarts, so every link is usable again.
//!
//! The GossipDownNeverCleared mutant (a down mark is never lifted) must leave the restarted node
//! marked down, so this test can fail. The chaos sweeps may catch it too (a restarted node's links
//! stay down after heal); this test catches it deterministically.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`:
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir target/sim --test
//! gossip_down_mark -- --nocapture`
#![cfg(madsim)]

use std::time::Duration;

use dynomite_sim::node_config::{SIM_GOSSIP_DOWN_AFTER_MS, SIM_GOSSIP_INTERVAL_MS};
use dynomite_sim::{SimCluster, SimConfig};

/// Polling step of the test (simulated time).
const POLL_MS: u64 = 50;
/// Bound on detection after the kill: `gossip_down_after` after the last heartbeat heard, which is
/// at most a few rounds old.
const DOWN_BOUND_MS: u64 = SIM_GOSSIP_DOWN_AFTER_MS + 4 * SIM_GOSSIP_INTERVAL_MS;

/// What one run saw.
#[derive(Debug)]
struct Outcome {
    /// Per other node, ms after the kill at which its link to the victim was gossip-down.
    detected_ms: Vec<Option<u64>>,
    /// Whether every link was usable again (connected, not down) after the restart.
    back: bool,
}

fn run(seed: u64) -> Outcome {
    let config = SimConfig::new(1, 3, 1, seed);
    config.run_story("observer", story)
}

async fn story(cluster: SimCluster) -> Outcome {
    cluster.wait_until_connected().await.expect("cluster connected");
    let victim = 2;
    cluster.kill_node(victim);
    let mut detected_ms = vec![None; victim];
    let mut waited_ms = 0;
    while detected_ms.iter().any(Option::is_none) && waited_ms <= 2 * DOWN_BOUND_MS {
        tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        waited_ms += POLL_MS;
        for state in cluster.link_states() {
            if state.to == victim && state.gossip_down && detected_ms[state.from].is_none() {
                detected_ms[state.from] = Some(waited_ms);
            }
        }
    }
    cluster.restart_node(victim);
    let back = cluster.wait_until_connected().await.is_ok();
    Outcome { detected_ms, back }
}

/// One test, run in sequence: the mutant switch is process-wide.
#[test]
fn a_killed_node_is_marked_down_and_cleared_when_it_returns() {
    for seed in [1, 2] {
        let outcome = run(seed);
        println!("seed {seed}: {outcome:?} (bound {DOWN_BOUND_MS} ms)");
        for (observer, detected) in outcome.detected_ms.iter().enumerate() {
            let detected =
                detected.unwrap_or_else(|| panic!("seed {seed}: node {observer} never marked it down"));
            assert!(detected <= DOWN_BOUND_MS, "seed {seed}: node {observer} after {detected} ms");
        }
        assert!(outcome.back, "seed {seed}: links not usable after the restart");
    }
    dynomite_core::mutants::activate(Some(dynomite_core::mutants::Mutant::GossipDownNeverCleared));
    let outcome = run(1);
    dynomite_core::mutants::activate(None);
    println!("mutant gossip-down-never-cleared: {outcome:?}");
    assert!(!outcome.back, "the gossip-down-never-cleared mutant lifted the down mark: not caught");
}
