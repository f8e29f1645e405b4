//! Stories of a simulated Dynomite deployment: the production node code on madsim hosts, under node,
//! rack and datacenter failures, partitions and clock skew.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"`. Every test is one seed; time is virtual, so the sleeps
//! below cost nothing and never depend on the machine's speed.
#![cfg(madsim)]

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use dynomite_core::resp::Frame;
use dynomite_sim::{Consistency, NodeAddress, RespClient, SimCluster, SimConfig};
use madsim::runtime::Runtime;

/// Connection attempts before a story gives up on a node.
const CONNECT_ATTEMPTS_MAX: usize = 50;
/// Pause between connection attempts (simulated).
const CONNECT_RETRY_DELAY_MS: u64 = 100;
/// Long enough for asynchronous replication to other racks (simulated).
const REPLICATION_SETTLE_MS: u64 = 200;

/// A workload client talking to one node.
struct Client {
    connection: RespClient,
}

impl Client {
    async fn to(node: &NodeAddress) -> Client {
        for _ in 0..CONNECT_ATTEMPTS_MAX {
            if let Ok(connection) = RespClient::connect(node.client).await {
                return Client { connection };
            }
            tokio::time::sleep(Duration::from_millis(CONNECT_RETRY_DELAY_MS)).await;
        }
        panic!("node {} never accepted a connection", node.index);
    }

    async fn call(&mut self, args: &[&str]) -> Frame {
        self.connection.command(args).await.unwrap_or_else(|error| panic!("{args:?}: {error}"))
    }

    async fn set(&mut self, key: &str, value: &str) -> Frame {
        self.call(&["SET", key, value]).await
    }

    async fn get(&mut self, key: &str) -> Frame {
        self.call(&["GET", key]).await
    }

    /// `DYNO_CONFIG:CONN_CONSISTENCY`: this connection's level from now on.
    async fn use_consistency(&mut self, level: Consistency) {
        assert_eq!(self.call(&["DYNO_CONFIG:CONN_CONSISTENCY", level.config_name()]).await, Frame::ok());
    }
}

fn bulk(value: &str) -> Frame {
    Frame::Bulk(Bytes::copy_from_slice(value.as_bytes()))
}

fn config(datacenters: usize, racks: usize, nodes: usize, level: Consistency, seed: u64) -> SimConfig {
    SimConfig {
        read_consistency: level,
        write_consistency: level,
        ..SimConfig::new(datacenters, racks, nodes, seed)
    }
}

/// Starts the cluster in its own seeded runtime and runs `story` on a client host in datacenter 0.
fn simulate<S, F>(config: SimConfig, story: S)
where
    S: FnOnce(SimCluster) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    config.runtime().block_on(run_story(config, story));
}

async fn run_story<S, F>(config: SimConfig, story: S)
where
    S: FnOnce(SimCluster) -> F + Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let cluster = SimCluster::start(config).await;
    let client = cluster.client_host("client-dc1", 0);
    client.spawn(story(cluster)).await.expect("story panicked");
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(REPLICATION_SETTLE_MS)).await;
}

/// How many datastores among `indices` hold `key`.
async fn replicas_holding(
    cluster: &SimCluster,
    indices: impl IntoIterator<Item = usize>,
    key: &str,
) -> usize {
    let mut holding = 0;
    for index in indices {
        holding += usize::from(cluster.read_replica(index, key.as_bytes()).await.is_some());
    }
    holding
}

#[test]
fn a_write_through_one_node_is_read_through_another_rack() {
    simulate(config(1, 3, 2, Consistency::DcOne, 1), |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        assert_eq!(Client::to(&nodes[0]).await.set("story", "told").await, Frame::ok());
        settle().await;
        assert_eq!(Client::to(&nodes[5]).await.get("story").await, bulk("told"));
        // One copy per rack, on the rack's owner of the key.
        assert_eq!(replicas_holding(&cluster, 0..6, "story").await, 3);
        for rack in 0..3 {
            assert_eq!(replicas_holding(&cluster, cluster.rack_members(0, rack), "story").await, 1);
        }
        let mut keys = Vec::new();
        for index in 0..6 {
            keys.extend(cluster.replica_keys(index).await.expect("datastore reachable"));
        }
        assert_eq!(keys, vec![Bytes::from_static(b"story"); 3], "nothing else was written anywhere");
    });
}

#[test]
fn dc_quorum_survives_chaos_monkey_and_the_node_comes_back_with_its_data() {
    simulate(config(1, 3, 2, Consistency::DcQuorum, 2), |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        let mut client = Client::to(&nodes[0]).await;
        assert_eq!(client.set("before", "kill").await, Frame::ok());
        settle().await;
        cluster.kill_node(2);
        for key in 0..10 {
            let key = format!("key{key}");
            assert_eq!(client.set(&key, "v").await, Frame::ok(), "{key} with one node down");
            assert_eq!(client.get(&key).await, bulk("v"), "{key} with one node down");
        }
        cluster.restart_node(2);
        cluster.wait_until_connected().await.expect("node 2 rejoins");
        // kill_node keeps the datastore: rack 2 still holds exactly one copy of the early key.
        assert_eq!(replicas_holding(&cluster, cluster.rack_members(0, 1), "before").await, 1);
        assert_eq!(Client::to(&nodes[2]).await.get("before").await, bulk("kill"));
    });
}

#[test]
fn quorum_survives_one_lost_rack_but_not_two_while_dc_one_still_reads_the_survivor() {
    simulate(config(1, 3, 2, Consistency::DcQuorum, 3), |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        let mut client = Client::to(&nodes[0]).await;
        assert_eq!(client.set("k", "v1").await, Frame::ok());
        settle().await;

        cluster.kill_rack(0, 1);
        assert_eq!(client.set("k", "v2").await, Frame::ok(), "2 of 3 racks are a quorum");
        assert_eq!(client.get("k").await, bulk("v2"));

        cluster.kill_rack(0, 2);
        assert!(client.set("k", "v3").await.is_error(), "1 of 3 racks is no quorum");
        assert!(client.get("k").await.is_error(), "1 of 3 racks is no quorum");

        client.use_consistency(Consistency::DcOne).await;
        assert_eq!(client.get("k").await, bulk("v3"), "the surviving rack applied the last write");

        cluster.heal();
        cluster.wait_until_connected().await.expect("racks rejoin");
        // The killed racks lost their datastores with them: only rack 1 still has the key.
        assert_eq!(replicas_holding(&cluster, 0..6, "k").await, 1);
    });
}

#[test]
fn an_isolated_datacenter_leaves_the_other_unaffected() {
    simulate(config(2, 3, 1, Consistency::DcQuorum, 4), |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        let remote_client = cluster.client_host("client-dc2", 1);
        cluster.isolate_datacenter(1);

        let mut client = Client::to(&nodes[0]).await;
        for key in 0..5 {
            let key = format!("dc1-key{key}");
            assert_eq!(client.set(&key, "v").await, Frame::ok(), "{key} while dc2 is cut off");
            assert_eq!(client.get(&key).await, bulk("v"));
        }
        // dc2's own client host stays on dc2's side of the partition.
        let dc2_node = nodes[3].clone();
        remote_client
            .spawn(async move {
                let mut client = Client::to(&dc2_node).await;
                assert_eq!(client.set("dc2-key", "local").await, Frame::ok());
                assert_eq!(client.get("dc2-key").await, bulk("local"));
            })
            .await
            .expect("dc2 client");
        assert!(
            RespClient::connect(nodes[3].client).await.is_err(),
            "dc1's client cannot reach dc2 while it is isolated"
        );

        cluster.heal();
        cluster.wait_until_connected().await.expect("datacenters reconnect");
        assert_eq!(client.set("after-heal", "v").await, Frame::ok());
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(Client::to(&nodes[4]).await.get("after-heal").await, bulk("v"), "replicated to dc2");
    });
}

#[test]
fn a_cross_datacenter_write_takes_the_drawn_latency_both_ways() {
    simulate(config(2, 1, 1, Consistency::DcEachSafeQuorum, 5), |cluster| async move {
        let drawn = cluster.latency().one_way("dc1", "rack1", "dc2", "rack1");
        let mut client = Client::to(&cluster.nodes()[0]).await;
        let started = tokio::time::Instant::now();
        assert_eq!(client.set("far", "away").await, Frame::ok());
        let elapsed = started.elapsed();
        assert!(elapsed >= drawn * 2, "round trip {elapsed:?} shorter than twice {drawn:?}");
        assert!(elapsed < drawn * 2 + Duration::from_millis(20), "round trip {elapsed:?} for {drawn:?}");
    });
}

#[test]
fn a_one_way_clog_to_one_rack_does_not_hold_up_a_quorum_of_the_others() {
    simulate(config(1, 3, 1, Consistency::DcQuorum, 8), |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        let mut client = Client::to(&nodes[0]).await;
        cluster.clog_one_way(0, 2);
        let started = tokio::time::Instant::now();
        assert_eq!(client.set("k", "v").await, Frame::ok(), "racks 1 and 2 are a quorum");
        assert!(started.elapsed() < Duration::from_millis(100), "waited {:?} for rack 3", started.elapsed());
        settle().await;
        assert_eq!(cluster.read_replica(2, b"k").await, None, "node 0's write never reached node 2");
        cluster.heal();
        assert_eq!(client.set("k", "w").await, Frame::ok());
        settle().await;
        assert_eq!(cluster.read_replica(2, b"k").await, Some(Bytes::from_static(b"w")), "healed link");
    });
}

#[test]
fn a_write_caught_in_a_partition_never_lands_after_the_heal_over_a_newer_one() {
    simulate(config(2, 1, 1, Consistency::DcOne, 9), |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        let mut client = Client::to(&nodes[0]).await;
        // Answered by dc1's replica; its copy to dc2 is still crossing when dc2 is cut off, so the
        // network holds it (and retransmits it after the heal, as TCP does).
        assert_eq!(client.set("k", "old").await, Frame::ok());
        cluster.isolate_datacenter(1);
        tokio::time::sleep(Duration::from_secs(5)).await;
        cluster.heal();
        cluster.wait_until_connected().await.expect("datacenters reconnect");
        assert_eq!(client.set("k", "new").await, Frame::ok());
        // Long enough for the held copy to be retransmitted; node 1 closed that connection when it had
        // been silent for peer_heartbeat_timeout, so the copy is never executed.
        tokio::time::sleep(Duration::from_secs(15)).await;
        assert_eq!(
            cluster.read_replica(1, b"k").await,
            Some(Bytes::from_static(b"new")),
            "stale write landed"
        );
    });
}

/// Seconds of a `TIME` reply.
fn time_seconds(reply: &Frame) -> i64 {
    let Frame::Array(parts) = reply else { panic!("TIME replied {reply:?}") };
    let Frame::Bulk(seconds) = &parts[0] else { panic!("TIME replied {reply:?}") };
    std::str::from_utf8(seconds).unwrap().parse().unwrap()
}

#[test]
fn clock_skew_and_jumps_are_visible_through_time() {
    simulate(config(1, 1, 2, Consistency::DcOne, 6), |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        let (mut steady, mut skewed) = (Client::to(&nodes[0]).await, Client::to(&nodes[1]).await);
        cluster.set_clock_offset(1, 3_600_000);
        let ahead = time_seconds(&skewed.call(&["TIME"]).await) - time_seconds(&steady.call(&["TIME"]).await);
        assert!((3_599..=3_601).contains(&ahead), "one hour ahead, got {ahead} s");
        cluster.set_clock_offset(1, -60_000);
        let behind =
            time_seconds(&skewed.call(&["TIME"]).await) - time_seconds(&steady.call(&["TIME"]).await);
        assert!((-61..=-59).contains(&behind), "jumped to one minute behind, got {behind} s");
    });
}

/// A rack loss and heal, for the determinism check (a plain `fn`: madsim runs it twice).
async fn rack_loss_and_heal() {
    let config = config(1, 3, 1, Consistency::DcQuorum, 7);
    run_story(config, |cluster| async move {
        let nodes = cluster.nodes().to_vec();
        let mut client = Client::to(&nodes[0]).await;
        for round in 0..5 {
            cluster.kill_rack(0, 1 + round % 2);
            assert_eq!(client.set(&format!("k{round}"), "v").await, Frame::ok());
            cluster.heal();
            cluster.wait_until_connected().await.expect("rack rejoins");
        }
    })
    .await;
}

#[test]
fn same_seed_same_trace_through_kills_and_heals() {
    let seed = config(1, 3, 1, Consistency::DcQuorum, 7);
    Runtime::check_determinism(seed.seed, seed.madsim_config(), rack_loss_and_heal);
}
