//! A restarted peer is usable as soon as it dials in: when a node that was down connects to a node
//! (and proves the cluster secret), that node's links to it stop waiting out their reconnect backoff
//! and connect at once. Without this, a quorum that needs the restarted node fails for up to the
//! backoff cap (250 ms) after it is back; the chaos sweep found it (monkey seed 185: two replicas out
//! at once, one killed just after the other restarted).
//!
//! The PeerHeardIgnored mutant (the wake-up is dropped) must leave some link waiting out its
//! backoff, so this test can fail.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`:
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir target/sim --test
//! peer_heard -- --nocapture`
#![cfg(madsim)]

use std::time::Duration;

use dynomite_sim::{SimCluster, SimConfig};

/// Polling step of the test (simulated time).
const POLL_MS: u64 = 5;
/// Long enough dead for every backoff to reach its cap (50, 100, 200, 250 ms...).
const DEAD_MS: u64 = 2_000;
/// Bound on every link to the restarted node being connected again: its start plus a few round
/// trips, well below the backoff cap.
const BACK_BOUND_MS: u64 = 60;
/// Give up after this long (the mutant takes up to the cap).
const WAIT_MAX_MS: u64 = 1_000;

/// Per seed, ms after the restart until every link to the victim was connected.
fn run(seed: u64) -> u64 {
    let config = SimConfig::new(1, 3, 1, seed);
    config.run_story("observer", story)
}

async fn story(cluster: SimCluster) -> u64 {
    cluster.wait_until_connected().await.expect("cluster connected");
    let victim = 2;
    cluster.kill_node(victim);
    tokio::time::sleep(Duration::from_millis(DEAD_MS)).await;
    cluster.restart_node(victim);
    let mut waited_ms = 0;
    while waited_ms < WAIT_MAX_MS {
        let links: Vec<_> = cluster.link_states().into_iter().filter(|state| state.to == victim).collect();
        if !links.is_empty() && links.iter().all(|state| state.connected) {
            return waited_ms;
        }
        tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        waited_ms += POLL_MS;
    }
    waited_ms
}

/// One test, run in sequence: the mutant switch is process-wide.
#[test]
fn links_to_a_restarted_peer_connect_when_it_dials_in() {
    for seed in [1, 2, 3] {
        let back_ms = run(seed);
        println!(
            "seed {seed}: every link to the restarted node up after {back_ms} ms (bound {BACK_BOUND_MS} ms)"
        );
        assert!(back_ms <= BACK_BOUND_MS, "seed {seed}: {back_ms} ms");
    }
    dynomite_core::mutants::activate(Some(dynomite_core::mutants::Mutant::PeerHeardIgnored));
    let slowest = [1, 2, 3].map(run);
    dynomite_core::mutants::activate(None);
    println!("mutant peer-heard-ignored: {slowest:?} ms");
    assert!(
        slowest.iter().any(|&back_ms| back_ms > BACK_BOUND_MS),
        "the peer-heard-ignored mutant reconnected within the bound: not caught"
    );
}
