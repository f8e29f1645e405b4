//! A DC_SAFE_QUORUM counter op whose replicas answer different values is settled: the coordinator
//! merges the replicas' states, writes the merge to the stale ones and answers once a quorum holds
//! it (`runtime-real/src/counter.rs`, "Settling"). The chaos sweep found the need (monkey seed 417: an
//! INCR applied on one replica and joined to another that had missed a third datastore's increment
//! failed at DC_SAFE_QUORUM, as did every safe op on that counter until repair ran).
//!
//! Staged by hand, deterministically, with repair and hints off: datastore C applies `INCRBY c 5`
//! with the product's `incrby` script and its state is merged into A's datastore with the product's
//! `merge` script (what a join or repair does), never into B's. Node C is killed. `INCR c` through A
//! (applier A, join to B) then gets 6 from A and 1 from B. The op must answer 6 and leave B's
//! datastore holding 6. The CounterSettleNoWriteBack mutant answers without writing B, so B's
//! datastore still holds 1 and this test can fail; the mutant gate's sweeps rarely stage it (the
//! seed-417 interleaving), so this is where that mutant is caught.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`:
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-sim --profile sim --target-dir target/sim --test
//! counter_settle -- --nocapture`
#![cfg(madsim)]

use bytes::Bytes;
use dynomite_core::crdt::rewrite::rewrite;
use dynomite_core::crdt::scripts::{self, ScriptName};
use dynomite_core::crdt::state::KeyState;
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::resp::Frame;
use dynomite_sim::{AntiEntropy, Consistency, RespClient, SimCluster, SimConfig};

const KEY: &str = "settle:c";

/// What the story saw: the INCR's reply and the counter in A's and B's datastores afterwards.
#[derive(Debug, PartialEq)]
struct Seen {
    reply: Frame,
    a: Frame,
    b: Frame,
}

fn run(seed: u64) -> Seen {
    let config = SimConfig {
        read_consistency: Consistency::DcSafeQuorum,
        write_consistency: Consistency::DcSafeQuorum,
        anti_entropy: Some(AntiEntropy { read_repairs_enabled: false, ..AntiEntropy::read_repair_only() }),
        ..SimConfig::new(1, 3, 1, seed)
    };
    config.run_story("client", story)
}

fn args(words: &[&str]) -> Vec<Bytes> {
    words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
}

/// `EVALSHA <sha1> ...` as `EVAL <text> ...`: the datastores are driven directly, without SCRIPT LOAD.
fn as_eval(mut evalsha: Vec<Bytes>, name: ScriptName) -> Vec<Bytes> {
    evalsha[0] = Bytes::from_static(b"EVAL");
    evalsha[1] = Bytes::from_static(scripts::get(name).text.as_bytes());
    evalsha
}

async fn story(cluster: SimCluster) -> Seen {
    cluster.wait_until_connected().await.expect("cluster connected");
    let [a, b, c] = [0, 1, 2].map(|rack| cluster.rack_members(0, rack)[0]);
    let mut datastore_a = RespClient::connect(cluster.datastore_address(a)).await.expect("datastore A");
    let mut datastore_b = RespClient::connect(cluster.datastore_address(b)).await.expect("datastore B");
    let mut datastore_c = RespClient::connect(cluster.datastore_address(c)).await.expect("datastore C");

    // Datastore C applies INCRBY 5 into its own component; A gets it by a merge, B never does.
    let incrby = rewrite(&args(&["INCRBY", KEY, "5"]), Timestamp::new(1, 0, 99), 0, 1000).expect("covered");
    let applied = datastore_c.command(&as_eval(incrby, ScriptName::Incrby)).await.expect("incrby script");
    assert!(
        matches!(&applied, Frame::Array(items) if items.first() == Some(&Frame::Integer(5))),
        "{applied:?}"
    );
    let mut state = args(&["EVAL"]);
    state.push(Bytes::from_static(scripts::get(ScriptName::State).text.as_bytes()));
    state.extend(args(&["1", KEY, "1000"]));
    let frame = datastore_c.command(&state).await.expect("state script");
    let c_state = KeyState::parse(&frame).expect("a CRDT state");
    let mut merge = args(&["EVAL"]);
    merge.push(Bytes::from_static(scripts::get(ScriptName::Merge).text.as_bytes()));
    merge.extend(args(&["1", KEY]));
    merge.extend(c_state.merge_args(0));
    let merged = datastore_a.command(&merge).await.expect("merge script");
    assert!(matches!(merged, Frame::Integer(_)), "merge: {merged:?}");
    assert_eq!(datastore_a.command(&["GET", KEY]).await.expect("GET"), Frame::Bulk(Bytes::from_static(b"5")));
    assert_eq!(datastore_b.command(&["GET", KEY]).await.expect("GET"), Frame::Null);

    // C goes down; INCR through A: applier A answers 6, B's join answers 1.
    cluster.kill_node(c);
    let mut client = RespClient::connect(cluster.nodes()[a].client).await.expect("connect A");
    let reply = client.command(&["INCR", KEY]).await.expect("INCR reply");
    let a_value = datastore_a.command(&["GET", KEY]).await.expect("GET A");
    let b_value = datastore_b.command(&["GET", KEY]).await.expect("GET B");
    Seen { reply, a: a_value, b: b_value }
}

/// One test, run in sequence: the mutant switch is process-wide.
#[test]
fn a_safe_counter_op_whose_replicas_disagree_settles_them() {
    let six = Frame::Bulk(Bytes::from_static(b"6"));
    for seed in [1, 2, 3] {
        let seen = run(seed);
        println!("seed {seed}: {seen:?}");
        assert_eq!(seen.reply, Frame::Integer(6), "seed {seed}: the INCR answers the merged value");
        assert_eq!(seen.a, six, "seed {seed}: A holds the merge");
        assert_eq!(seen.b, six, "seed {seed}: B, stale, was written the merge");
    }
    // The mutant (no write-back) must leave B stale, or this test could not fail.
    dynomite_core::mutants::activate(Some(dynomite_core::mutants::Mutant::CounterSettleNoWriteBack));
    let caught = [1, 2, 3].into_iter().filter(|seed| run(*seed).b != six).count();
    dynomite_core::mutants::activate(None);
    assert!(caught > 0, "the counter-settle-no-write-back mutant left no replica stale: not caught");
    println!("counter-settle-no-write-back: B left stale in {caught} of 3 seeds (caught)");
}
