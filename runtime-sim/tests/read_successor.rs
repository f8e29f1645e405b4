//! A pipelined read never answers with a write its own connection sent after it, even when repair
//! delivers that write to the other replicas first (read repair, "Successors").
//!
//! The race the simulator found (partition seed 135): a coordinator's requests to two replicas are held
//! (a one-way clog), a client pipelines `GET k` then `SET k new` through it, the coordinator runs both
//! on its own datastore, and another node's background repair copies the new state to the two replicas
//! before the held GET reaches them. Here the repair is done by hand, deterministically: the test reads
//! the coordinator's datastore state with the product's `state` script and writes it to the two other
//! datastores with the product's `merge` script (what `repair::key` does), then lifts the clog. The
//! GET's quorum then could only be made of states that already hold the SET: the read must not answer
//! `new` (it answers `old` or fails the quorum). The ReadSeesSuccessor mutant must answer `new`, so
//! this test can fail; the mutant gate's sweeps rarely reach the race, so this is where that mutant is
//! caught.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`:
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir target/sim --test
//! read_successor -- --nocapture`
#![cfg(madsim)]

use std::time::Duration;

use bytes::Bytes;
use dynomite_core::crdt::scripts::{self, ScriptName};
use dynomite_core::crdt::state::KeyState;
use dynomite_core::resp::Frame;
use dynomite_sim::{AntiEntropy, Consistency, RespClient, SimCluster, SimConfig};

const KEY: &str = "successor:k";
/// How long the coordinator's requests are held (simulated): well under the peer heartbeat bound, so
/// no link is declared dead meanwhile.
const HOLD_MS: u64 = 200;

/// Runs the race once; returns the GET's reply.
fn run(seed: u64) -> Frame {
    let config = SimConfig {
        read_consistency: Consistency::DcQuorum,
        write_consistency: Consistency::DcQuorum,
        anti_entropy: Some(AntiEntropy::read_repair_only()),
        ..SimConfig::new(1, 3, 1, seed)
    };
    config.run_story("client", race)
}

fn args(words: &[&str]) -> Vec<Bytes> {
    words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
}

/// One datastore's CRDT state of [`KEY`], read with the product's `state` script.
async fn state(datastore: &mut RespClient) -> KeyState {
    let script = scripts::get(ScriptName::State);
    let mut request = args(&["EVAL"]);
    request.push(Bytes::from_static(script.text.as_bytes()));
    request.extend(args(&["1", KEY, "1000"]));
    let frame = datastore.command(&request).await.expect("state script");
    KeyState::parse(&frame).expect("a CRDT state")
}

async fn race(cluster: SimCluster) -> Frame {
    cluster.wait_until_connected().await.expect("cluster connected");
    let [coordinator, first, second] = [0, 1, 2].map(|rack| cluster.rack_members(0, rack)[0]);
    let mut client = RespClient::connect(cluster.nodes()[coordinator].client).await.expect("connect");
    let set = client.command(&["SET", KEY, "old"]).await.expect("SET old");
    assert_eq!(set, Frame::Simple(Bytes::from_static(b"OK")));
    let mut datastores = Vec::new();
    for index in [coordinator, first, second] {
        datastores.push(RespClient::connect(cluster.datastore_address(index)).await.expect("datastore"));
    }
    for datastore in &mut datastores {
        let value = datastore.command(&["GET", KEY]).await.expect("GET");
        assert_eq!(value, Frame::Bulk(Bytes::from_static(b"old")), "SET old reached every replica");
    }

    // The coordinator's requests to both other replicas are held; GET then SET pipelined through it.
    cluster.clog_one_way(coordinator, first);
    cluster.clog_one_way(coordinator, second);
    let pipelined = tokio::spawn(async move {
        client.pipeline(&[vec!["GET", KEY], vec!["SET", KEY, "new"]]).await.expect("pipelined replies")
    });
    tokio::time::sleep(Duration::from_millis(HOLD_MS / 2)).await;

    // Another node's repair: the coordinator's state (it ran the SET) merged into both held replicas.
    let fresh = state(&mut datastores[0]).await;
    assert_eq!(fresh.value, Some(Bytes::from_static(b"new")), "the coordinator ran the SET: {fresh:?}");
    let merge = scripts::get(ScriptName::Merge);
    for datastore in &mut datastores[1..] {
        let mut request = args(&["EVAL"]);
        request.push(Bytes::from_static(merge.text.as_bytes()));
        request.extend(args(&["1", KEY]));
        request.extend(fresh.merge_args(0));
        let reply = datastore.command(&request).await.expect("merge script");
        assert!(matches!(reply, Frame::Integer(_)), "merge: {reply:?}");
        assert_eq!(
            datastore.command(&["GET", KEY]).await.expect("GET"),
            Frame::Bulk(Bytes::from_static(b"new"))
        );
    }
    tokio::time::sleep(Duration::from_millis(HOLD_MS / 2)).await;
    cluster.heal();
    let replies = pipelined.await.expect("pipeline task");
    assert_eq!(replies[1], Frame::Simple(Bytes::from_static(b"OK")), "the SET succeeds");
    replies[0].clone()
}

/// One test, run in sequence: the mutant switch is process-wide.
#[test]
fn a_pipelined_read_never_answers_with_its_connections_later_write() {
    let new = Frame::Bulk(Bytes::from_static(b"new"));
    for seed in [1, 2, 3] {
        let reply = run(seed);
        println!("seed {seed}: GET answered {reply:?}");
        assert_ne!(reply, new, "seed {seed}: the GET answered with the SET pipelined after it");
    }
    // The mutant (such states answer the read) must show the race, or this test could not fail.
    dynomite_core::mutants::activate(Some(dynomite_core::mutants::Mutant::ReadSeesSuccessor));
    let caught = [1, 2, 3].into_iter().filter(|seed| run(*seed) == new).count();
    dynomite_core::mutants::activate(None);
    assert!(caught > 0, "the read-sees-successor mutant never answered with the later write: not caught");
    println!("read-sees-successor: the GET answered with its successor in {caught} of 3 seeds (caught)");
}
