//! Hinted handoff (issue 9.9) over real sockets.
//!
//! Link level (a [`PeerLink`] with hints towards an embedded-datastore node): hintable writes that
//! cannot be sent are held and replayed in dispatch order when the peer comes up, requests dispatched
//! meanwhile wait behind them, writes in flight on a connection that breaks are replayed, and the
//! count and byte bounds drop the oldest hints and count them. The order is checked with RPUSH: the
//! replica's list must hold every surviving write exactly once, in dispatch order.
//!
//! Cluster level (one `dynomite` process and one real `redis-server` per node, three racks, DC_ONE,
//! `crdt_enabled: true`, background repair off so only hints can bring data back): a killed node's
//! Redis holds every write it missed once it is restarted; over `hints_max` it holds exactly the newest
//! ones.

mod cluster;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use cluster::{bulk, call, deadline_in, poll_until, show, Cluster, Shape};
use dynomite::auth::{OsRandom, PeerSecret};
use dynomite::clock::SystemClock;
use dynomite::node::Node;
use dynomite::peer::hints::{HintLimits, HintStats};
use dynomite::peer::link::{LinkSettings, PeerLink};
use dynomite::peer::stream::Connector;
use dynomite::peer::PeerRequest;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::config::{Config, Endpoint};
use dynomite_core::peer::{self, NodeIdentity};
use dynomite_core::resp::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Hang guard for one link-level test.
const TEST_TIMEOUT_SECONDS: u64 = 60;
/// Request timeout of link calls (far above anything the tests wait for).
const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Heartbeat bound of the links under test (the in-flight test waits for it to declare a link dead).
const HEARTBEAT_TIMEOUT_MS: u64 = 300;
/// Attempts at binding a node on the chosen ports.
const START_ATTEMPTS: usize = 20;
/// How long a replay may take to land in a cluster node's Redis (peer reconnect backoff is ≤ 250 ms).
const REPLAY_DEADLINE_MS: u64 = 30_000;
/// Bytes one held `RPUSH list <4 digits>` is charged: 64 per request, 16 per argument plus its bytes
/// (the link's accounting, `hints_bytes`).
const RPUSH_HINT_BYTES: usize = 64 + (16 + 5) + (16 + 4) + (16 + 4);

fn run<T>(future: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        tokio::time::timeout(Duration::from_secs(TEST_TIMEOUT_SECONDS), future).await.expect("test finished")
    })
}

fn settings(address: SocketAddr) -> LinkSettings {
    LinkSettings {
        address: address.to_string(),
        connections: 1,
        identity: NodeIdentity {
            datacenter: "localdc".to_string(),
            rack: "rack1".to_string(),
            address: "127.0.0.1:1".to_string(),
            tokens: vec![1],
        },
        connector: Connector::Plain,
        auto_eject: false,
        failure_limit: 3,
        retry_timeout_ms: 60_000,
        heartbeat_timeout_ms: HEARTBEAT_TIMEOUT_MS,
        secret: PeerSecret::new(None),
        random: Arc::new(OsRandom::new()),
        gossip: None,
    }
}

fn limits(count_max: usize, bytes_max: usize) -> HintLimits {
    HintLimits { count_max, bytes_max }
}

fn request(args: &[&str]) -> PeerRequest {
    PeerRequest::Execute {
        protocol: Protocol::Resp2,
        args: args.iter().map(|arg| Bytes::copy_from_slice(arg.as_bytes())).collect(),
    }
}

fn rpush(item: usize) -> PeerRequest {
    request(&["RPUSH", "list", &format!("{item:04}")])
}

/// RESP2 bytes of LRANGE's reply holding `items` in order.
fn list_reply(items: impl Iterator<Item = usize>) -> Vec<u8> {
    let items: Vec<String> = items.map(|item| format!("$4\r\n{item:04}\r\n")).collect();
    format!("*{}\r\n{}", items.len(), items.concat()).into_bytes()
}

/// A loopback address nothing listens on (yet).
fn free_address() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], dynomite_testkit::free_port()))
}

/// Starts an embedded-datastore node whose peer listener is `peer_address` (retrying while the port is
/// still held by a closing socket).
async fn start_node_at(peer_address: SocketAddr) {
    for _ in 0..START_ATTEMPTS {
        let mut config = Config::embedded_default(dynomite_testkit::free_port());
        config.dyn_listen = Endpoint { host: "127.0.0.1".to_string(), port: peer_address.port() };
        config.stats_listen = Endpoint { host: "127.0.0.1".to_string(), port: dynomite_testkit::free_port() };
        if let Ok(node) = Node::bind(config, Arc::new(SystemClock)).await {
            tokio::spawn(node.serve(std::future::pending()));
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no node bound at {peer_address} after {START_ATTEMPTS} attempts");
}

/// Sends every write of `items` with `call_hinted` (idempotent) on slot 0 and returns their results.
async fn write_all(link: &PeerLink, items: impl Iterator<Item = usize>) -> Vec<ReplicaResult> {
    write_all_as(link, items, true).await
}

/// Sends every write of `items` with `call_hinted` on slot 0 and returns their results.
async fn write_all_as(
    link: &PeerLink,
    items: impl Iterator<Item = usize>,
    idempotent: bool,
) -> Vec<ReplicaResult> {
    let calls: Vec<_> =
        items.map(|item| link.call_hinted(rpush(item), 0, REQUEST_TIMEOUT_MS, idempotent)).collect();
    let mut results = Vec::with_capacity(calls.len());
    for call in calls {
        results.push(call.result(link).await);
    }
    results
}

fn stats(link: &PeerLink) -> HintStats {
    link.hint_stats().expect("hints are on")
}

/// Waits until the link holds nothing, then reads the list on slot 0 (behind anything held there).
async fn list_after_replay(link: &PeerLink) -> Vec<u8> {
    loop {
        if stats(link).queued == 0 {
            match link.call(request(&["LRANGE", "list", "0", "-1"]), 0, REQUEST_TIMEOUT_MS).result(link).await
            {
                ReplicaResult::Reply(reply) => return reply.to_vec(),
                ReplicaResult::Failed(_) => {}
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn assert_all_failed_not_connected(results: &[ReplicaResult]) {
    for result in results {
        assert!(
            matches!(result, ReplicaResult::Failed(ReplicaFailure::PeerNotConnected)),
            "a write to an unreachable peer still fails for its caller: {result:?}"
        );
    }
}

#[test]
fn held_writes_replay_in_dispatch_order_before_later_requests() {
    // More than REPLAY_IN_FLIGHT_MAX, so the replay is still running when the link is seen up.
    const HELD: usize = 2_000;
    run(async {
        let address = free_address();
        let link = PeerLink::start_hinted(settings(address), limits(10_000, 16 << 20));
        let results = write_all(&link, 0..HELD).await;
        assert_all_failed_not_connected(&results);
        assert_eq!(
            stats(&link),
            HintStats {
                queued: HELD as u64,
                bytes: (HELD * RPUSH_HINT_BYTES) as u64,
                replayed: 0,
                dropped: 0
            }
        );

        start_node_at(address).await;
        while !link.health().is_connected() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Dispatched right after the link came up, in this order: a read, 100 writes, a read. Each read
        // must see exactly the writes dispatched before it (held ones first), no matter how far the
        // replay got.
        let lrange = || request(&["LRANGE", "list", "0", "-1"]);
        let first_read = link.call(lrange(), 0, REQUEST_TIMEOUT_MS);
        let later: Vec<_> = (HELD..HELD + 100)
            .map(|item| link.call_hinted(rpush(item), 0, REQUEST_TIMEOUT_MS, true))
            .collect();
        let second_read = link.call(lrange(), 0, REQUEST_TIMEOUT_MS);
        let reply = |result: ReplicaResult| match result {
            ReplicaResult::Reply(reply) => show(&reply),
            failed => panic!("a read on an up link failed: {failed:?}"),
        };
        assert_eq!(reply(first_read.result(&link).await), show(&list_reply(0..HELD)));
        for call in later {
            assert!(matches!(call.result(&link).await, ReplicaResult::Reply(_)));
        }
        assert_eq!(reply(second_read.result(&link).await), show(&list_reply(0..HELD + 100)));

        assert_eq!(show(&list_after_replay(&link).await), show(&list_reply(0..HELD + 100)));
        let after = stats(&link);
        assert_eq!((after.queued, after.bytes, after.dropped), (0, 0, 0));
        assert!(after.replayed >= HELD as u64, "{after:?}");
    });
}

#[test]
fn over_hints_max_the_oldest_are_dropped_and_counted() {
    run(async {
        let address = free_address();
        let link = PeerLink::start_hinted(settings(address), limits(50, 16 << 20));
        assert_all_failed_not_connected(&write_all(&link, 0..120).await);
        assert_eq!(
            stats(&link),
            HintStats { queued: 50, bytes: 50 * RPUSH_HINT_BYTES as u64, replayed: 0, dropped: 70 }
        );

        start_node_at(address).await;
        assert_eq!(show(&list_after_replay(&link).await), show(&list_reply(70..120)));
        assert_eq!(stats(&link), HintStats { queued: 0, bytes: 0, replayed: 50, dropped: 70 });
    });
}

#[test]
fn over_hints_bytes_max_the_oldest_are_dropped_and_counted() {
    run(async {
        let address = free_address();
        let bytes_max = 10 * RPUSH_HINT_BYTES + RPUSH_HINT_BYTES / 2;
        let link = PeerLink::start_hinted(settings(address), limits(10_000, bytes_max));
        assert_all_failed_not_connected(&write_all(&link, 0..30).await);
        assert_eq!(
            stats(&link),
            HintStats { queued: 10, bytes: 10 * RPUSH_HINT_BYTES as u64, replayed: 0, dropped: 20 }
        );

        start_node_at(address).await;
        assert_eq!(show(&list_after_replay(&link).await), show(&list_reply(20..30)));
    });
}

/// Relays one whole peer frame from `from` to `to`; false when either side failed first.
async fn relay_one_frame(from: &mut TcpStream, to: &mut TcpStream) -> bool {
    let mut buffer = BytesMut::new();
    loop {
        if let Ok(Some(message)) = peer::decode(&mut buffer) {
            let mut frame = BytesMut::new();
            peer::encode(&message, &mut frame);
            return to.write_all(&frame).await.is_ok();
        }
        if from.read_buf(&mut buffer).await.map_or(true, |read| read == 0) {
            return false;
        }
    }
}

/// A proxy in front of `target`: on its first connection it relays the handshake (Challenge, Hello,
/// Welcome) and then swallows everything (reads, never answers: the link declares it dead after the
/// heartbeat bound with its writes unanswered); it forwards every later connection.
async fn swallow_first_connection_proxy(target: SocketAddr) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut first = true;
        while let Ok((mut inbound, _)) = listener.accept().await {
            if std::mem::take(&mut first) {
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(target).await else { return };
                    let handshake = relay_one_frame(&mut outbound, &mut inbound).await
                        && relay_one_frame(&mut inbound, &mut outbound).await
                        && relay_one_frame(&mut outbound, &mut inbound).await;
                    if !handshake {
                        return;
                    }
                    let mut sink = vec![0u8; 64 * 1024];
                    while matches!(inbound.read(&mut sink).await, Ok(read) if read > 0) {}
                });
                continue;
            }
            tokio::spawn(async move {
                if let Ok(mut outbound) = TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    address
}

#[test]
fn writes_in_flight_on_a_broken_connection_are_replayed() {
    run(async {
        let node_address = free_address();
        start_node_at(node_address).await;
        let proxy = swallow_first_connection_proxy(node_address).await;
        let link = PeerLink::start_hinted(settings(proxy), limits(10_000, 16 << 20));
        while !link.health().is_connected() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        // Sent on the swallowing connection; no reply ever comes, the link dies after the heartbeat.
        let results = write_all(&link, 0..20).await;
        assert_all_failed_not_connected(&results);
        assert_eq!(
            show(&list_after_replay(&link).await),
            show(&list_reply(0..20)),
            "each write exactly once"
        );
        let after = stats(&link);
        assert!(after.replayed >= 20 && after.dropped == 0, "{after:?}");
        assert!(link.health().connections_lost() >= 1);
    });
}

#[test]
fn writes_that_are_not_idempotent_are_sent_at_most_once() {
    run(async {
        let node_address = free_address();
        start_node_at(node_address).await;
        let proxy = swallow_first_connection_proxy(node_address).await;
        let link = PeerLink::start_hinted(settings(proxy), limits(10_000, 16 << 20));
        while !link.health().is_connected() {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        assert_all_failed_not_connected(&write_all_as(&link, 0..20, false).await);
        // Sent once on the swallowing connection: never again.
        assert_eq!(show(&list_after_replay(&link).await), "*0\\r\\n");
        // Unsent ones are held and replayed like any hint.
        link.force_down(true);
        assert!(matches!(
            write_all_as(&link, 20..25, false).await[..],
            [ReplicaResult::Failed(ReplicaFailure::PeerDown), ..]
        ));
        assert_eq!(stats(&link).queued, 5);
        link.force_down(false);
        assert_eq!(show(&list_after_replay(&link).await), show(&list_reply(20..25)));
    });
}

#[test]
fn without_hints_nothing_is_held() {
    run(async {
        let address = free_address();
        let link = PeerLink::start(settings(address));
        assert!(link.hint_stats().is_none());
        assert_all_failed_not_connected(&write_all(&link, 0..5).await);
        start_node_at(address).await;
        let reply = loop {
            match link
                .call(request(&["LRANGE", "list", "0", "-1"]), 0, REQUEST_TIMEOUT_MS)
                .result(&link)
                .await
            {
                ReplicaResult::Reply(reply) => break reply,
                ReplicaResult::Failed(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        };
        assert_eq!(show(&reply), "*0\\r\\n");
    });
}

// ---- cluster level: real redis-server per node ----

/// YAML for CRDT mode with background repair off (only hints can bring a missed write back).
fn crdt_yaml(hints_max: usize) -> String {
    format!(
        "  crdt_enabled: true\n  hints_max: {hints_max}\n  repair_interval: 0\n  repair_full_interval: 0\n"
    )
}

/// Writes `key:{i}` = `value-{i}` through node `coordinator` for every `i` in `items`; each must be OK.
fn write_keys(cluster: &Cluster, coordinator: usize, items: std::ops::Range<usize>) {
    let mut client = cluster.client(coordinator);
    for item in items {
        let (key, value) = (format!("hh:{item}"), format!("value-{item}"));
        let reply = call(&mut client, &["SET", &key, &value]);
        assert_eq!(show(&reply), "+OK\\r\\n", "SET {key} through node {coordinator}");
    }
}

/// True when node `index`'s Redis holds `key:{i}` = `value-{i}` for every `i` in `items`.
fn redis_holds(cluster: &Cluster, index: usize, items: std::ops::Range<usize>) -> bool {
    let mut redis = cluster.redis(index);
    items.into_iter().all(|item| {
        let reply = call(&mut redis, &["GET", &format!("hh:{item}")]);
        reply == bulk(&format!("value-{item}"))
    })
}

/// Items of `items` whose key node `index`'s Redis does not hold.
fn redis_missing(cluster: &Cluster, index: usize, items: std::ops::Range<usize>) -> Vec<usize> {
    let mut redis = cluster.redis(index);
    items.filter(|item| call(&mut redis, &["EXISTS", &format!("hh:{item}")]) != b":1\r\n").collect()
}

/// `missing` for a failure message: how many, and the first few.
fn summary(missing: &[usize]) -> String {
    format!("{} keys, first {:?}", missing.len(), &missing[..missing.len().min(10)])
}

#[test]
fn a_killed_replica_receives_every_write_it_missed_after_restart() {
    const KEYS: usize = 500;
    let mut cluster = Cluster::start_with(Shape::THREE_RACKS, "dc_one", &crdt_yaml(10_000));
    let (coordinator, replica) = (0, 2);
    cluster.kill(replica);
    write_keys(&cluster, coordinator, 0..KEYS);
    assert_eq!(redis_missing(&cluster, replica, 0..KEYS).len(), KEYS, "the killed replica got nothing yet");
    assert!(poll_until(deadline_in(REPLAY_DEADLINE_MS), || redis_holds(&cluster, 1, 0..KEYS)));

    cluster.restart(replica);
    let replayed = poll_until(deadline_in(REPLAY_DEADLINE_MS), || redis_holds(&cluster, replica, 0..KEYS));
    assert!(
        replayed,
        "node {replica}'s Redis still misses {} (coordinator log {})",
        summary(&redis_missing(&cluster, replica, 0..KEYS)),
        cluster.log_path(coordinator).display()
    );
}

#[test]
fn over_hints_max_a_restarted_replica_receives_exactly_the_newest_writes() {
    const KEYS: usize = 250;
    const HINTS_MAX: usize = 100;
    let mut cluster = Cluster::start_with(Shape::THREE_RACKS, "dc_one", &crdt_yaml(HINTS_MAX));
    let (coordinator, replica) = (0, 2);
    cluster.kill(replica);
    write_keys(&cluster, coordinator, 0..KEYS);

    cluster.restart(replica);
    let newest = KEYS - HINTS_MAX..KEYS;
    let replayed =
        poll_until(deadline_in(REPLAY_DEADLINE_MS), || redis_holds(&cluster, replica, newest.clone()));
    assert!(
        replayed,
        "node {replica}'s Redis misses {}",
        summary(&redis_missing(&cluster, replica, newest.clone()))
    );
    // The oldest were dropped (counted in hints_dropped); with background repair off nothing else
    // brings them back.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(redis_missing(&cluster, replica, 0..KEYS), (0..KEYS - HINTS_MAX).collect::<Vec<_>>());
}
