//! Hinted handoff delivers a write to the replica that was down when it was made, with every other
//! repair path off (`runtime-real/src/peer/link.rs`, "Hinted handoff").
//!
//! Node C is killed (its datastore keeps running with the data), `SET` of a few keys goes through A at
//! DC_QUORUM (A and B acknowledge; C's copy is held as a hint on A's link), C restarts, and within a
//! bound C's datastore must hold every value, in order (the last of two SETs of one key). Read repair,
//! background repair and tombstone GC are off, so only a replayed hint can bring them. The
//! HintsNeverReplayed mutant must leave C without them, so this test can fail. The mutant gate's
//! sweeps catch it only through symptoms other repairs also remove (a safe counter op failing on a
//! replica that missed writes, which settling now fixes), so this is where that mutant is caught.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`:
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir target/sim --test
//! hint_replay -- --nocapture`
#![cfg(madsim)]

use std::time::Duration;

use bytes::Bytes;
use dynomite_core::resp::Frame;
use dynomite_sim::{AntiEntropy, Consistency, RespClient, SimCluster, SimConfig};

/// Keys written while C is down, and their final values.
const WRITES: [(&str, &str); 4] = [("hint:a", "1"), ("hint:b", "2"), ("hint:a", "3"), ("hint:c", "4")];
/// How long C stays down (simulated): long enough for every link to see it gone.
const DEAD_MS: u64 = 2_000;
/// Bound on the hints reaching C's datastore after it restarts (simulated).
const REPLAY_BOUND_MS: u64 = 2_000;
/// Polling step.
const POLL_MS: u64 = 50;

/// The values C's datastore holds for the written keys once every one is there or the bound passed.
fn run(seed: u64) -> Vec<Option<Bytes>> {
    let config = SimConfig {
        read_consistency: Consistency::DcQuorum,
        write_consistency: Consistency::DcQuorum,
        anti_entropy: Some(AntiEntropy {
            read_repairs_enabled: false,
            hints_max: 1000,
            ..AntiEntropy::read_repair_only()
        }),
        ..SimConfig::new(1, 3, 1, seed)
    };
    config.run_story("client", story)
}

fn expected() -> Vec<Option<Bytes>> {
    final_keys().into_iter().map(|(_, value)| Some(Bytes::from_static(value.as_bytes()))).collect()
}

/// Each written key with its last value, in first-write order.
fn final_keys() -> Vec<(&'static str, &'static str)> {
    let mut keys: Vec<(&str, &str)> = Vec::new();
    for (key, value) in WRITES {
        match keys.iter_mut().find(|(known, _)| *known == key) {
            Some(entry) => entry.1 = value,
            None => keys.push((key, value)),
        }
    }
    keys
}

async fn story(cluster: SimCluster) -> Vec<Option<Bytes>> {
    cluster.wait_until_connected().await.expect("cluster connected");
    let [a, c] = [0, 2].map(|rack| cluster.rack_members(0, rack)[0]);
    cluster.kill_node(c);
    tokio::time::sleep(Duration::from_millis(DEAD_MS / 2)).await;
    let mut client = RespClient::connect(cluster.nodes()[a].client).await.expect("connect A");
    for (key, value) in WRITES {
        let reply = client.command(&["SET", key, value]).await.expect("SET reply");
        assert_eq!(reply, Frame::Simple(Bytes::from_static(b"OK")), "SET {key} at DC_QUORUM");
    }
    tokio::time::sleep(Duration::from_millis(DEAD_MS / 2)).await;
    let keys = final_keys();
    let mut held = Vec::new();
    for (key, _) in &keys {
        held.push(cluster.read_replica(c, key.as_bytes()).await);
    }
    assert!(held.iter().all(Option::is_none), "C was down for every SET: {held:?}");
    cluster.restart_node(c);
    let mut waited_ms = 0;
    loop {
        held.clear();
        for (key, _) in &keys {
            held.push(cluster.try_read_replica(c, key.as_bytes()).await.ok().flatten());
        }
        if held == expected() || waited_ms >= REPLAY_BOUND_MS {
            return held;
        }
        tokio::time::sleep(Duration::from_millis(POLL_MS)).await;
        waited_ms += POLL_MS;
    }
}

/// One test, run in sequence: the mutant switch is process-wide.
#[test]
fn a_replica_that_was_down_gets_its_hints_when_it_returns() {
    for seed in [1, 2, 3] {
        let held = run(seed);
        println!("seed {seed}: C holds {held:?}");
        assert_eq!(held, expected(), "seed {seed}: the hints reached C within {REPLAY_BOUND_MS} ms");
    }
    // The mutant (hints kept, never sent) must leave C without the writes, or this test could not fail.
    dynomite_core::mutants::activate(Some(dynomite_core::mutants::Mutant::HintsNeverReplayed));
    let caught = [1, 2, 3].into_iter().filter(|seed| run(*seed) != expected()).count();
    dynomite_core::mutants::activate(None);
    assert!(caught > 0, "the hints-never-replayed mutant delivered the writes: not caught");
    println!("hints-never-replayed: C missed the writes in {caught} of 3 seeds (caught)");
}
