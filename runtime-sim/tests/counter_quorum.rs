//! A counter write at DC_SAFE_QUORUM whose replicas disagree on the total still succeeds, with the
//! merged total.
//!
//! The chaos sweep found it (monkey seeds 277 and 337, read repair only): after a replica missed
//! increments (it was down, no hints), an INCR at DC_SAFE_QUORUM applied by it and one up-to-date
//! replica got two different totals, and the byte-for-byte quorum failed, although the increment was
//! applied by a quorum. Now the coordinator answers with a repairing read of the counter: the states
//! are merged (per-component maximum), written back, and the merged total is the answer.
//!
//! Staged deterministically on one datacenter of three racks: INCRBY 5 everywhere; node 2 killed;
//! INCRBY 7 (nodes 0 and 1 apply it); node 2 restarted (its datastore kept 5); node 1 killed; INCR
//! through node 2. Nodes 0 and 2 apply it and answer 13 and 6: the answer must be 13, and node 2's
//! datastore must hold 13 afterwards. The CounterQuorumAnswersLocal mutant answers node 2's own 6, so
//! this test can fail.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`:
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir target/sim --test
//! counter_quorum -- --nocapture`
#![cfg(madsim)]

use bytes::Bytes;
use dynomite_core::resp::Frame;
use dynomite_sim::{AntiEntropy, Consistency, RespClient, SimCluster, SimConfig};

const KEY: &str = "counter:c";

/// What one run saw: the INCR's reply and node 2's datastore value after it.
fn run(seed: u64) -> (Frame, Frame) {
    let config = SimConfig {
        read_consistency: Consistency::DcSafeQuorum,
        write_consistency: Consistency::DcSafeQuorum,
        anti_entropy: Some(AntiEntropy::read_repair_only()),
        ..SimConfig::new(1, 3, 1, seed)
    };
    config.runtime().block_on(async move {
        let cluster = SimCluster::start(config).await;
        let host = cluster.client_host("client", 0);
        let seen = host.spawn(story(cluster.clone())).await.expect("story finished");
        cluster.shutdown();
        seen
    })
}

async fn command(cluster: &SimCluster, node: usize, words: &[&str]) -> Frame {
    let mut client = RespClient::connect(cluster.nodes()[node].client).await.expect("connect");
    client.command(words).await.expect("reply")
}

async fn story(cluster: SimCluster) -> (Frame, Frame) {
    cluster.wait_until_connected().await.expect("cluster connected");
    let [zero, one, two] = [0, 1, 2].map(|rack| cluster.rack_members(0, rack)[0]);
    assert_eq!(command(&cluster, zero, &["INCRBY", KEY, "5"]).await, Frame::Integer(5));
    cluster.kill_node(two);
    assert_eq!(command(&cluster, zero, &["INCRBY", KEY, "7"]).await, Frame::Integer(12));
    cluster.restart_node(two);
    cluster.wait_until_connected().await.expect("node 2 back");
    cluster.kill_node(one);
    let reply = command(&cluster, two, &["INCR", KEY]).await;
    let mut datastore = RespClient::connect(cluster.datastore_address(two)).await.expect("datastore");
    let stored = datastore.command(&["GET", KEY]).await.expect("GET");
    (reply, stored)
}

/// One test, run in sequence: the mutant switch is process-wide.
#[test]
fn a_counter_write_whose_replicas_disagree_answers_the_merged_total() {
    for seed in [1, 2] {
        let (reply, stored) = run(seed);
        println!("seed {seed}: INCR answered {reply:?}; node 2's datastore holds {stored:?}");
        assert_eq!(reply, Frame::Integer(13), "seed {seed}");
        assert_eq!(stored, Frame::Bulk(Bytes::from_static(b"13")), "seed {seed}: repaired");
    }
    dynomite_core::mutants::activate(Some(dynomite_core::mutants::Mutant::CounterQuorumAnswersLocal));
    let (reply, _) = run(1);
    dynomite_core::mutants::activate(None);
    println!("mutant counter-quorum-answers-local: INCR answered {reply:?}");
    assert_ne!(
        reply,
        Frame::Integer(13),
        "the counter-quorum-answers-local mutant answered the merge: not caught"
    );
}
