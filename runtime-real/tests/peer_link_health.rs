//! Peer link health over real sockets (issue 7.4): a peer that accepts and then says nothing holds a
//! request only until `peer_heartbeat_timeout`, not for the request's `timeout`; an idle link to a
//! live node stays up because pings are answered; request timeouts count toward `auto_eject_hosts`.
//!
//! Bounds here are generous multiples of the settings (the machine may be busy); the exact behaviour
//! is pinned in simulated time by `runtime-sim/tests/clogged_rack.rs`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use dynomite::auth::{OsRandom, PeerSecret};
use dynomite::clock::SystemClock;
use dynomite::node::Node;
use dynomite::peer::handshake;
use dynomite::peer::link::{LinkSettings, PeerLink};
use dynomite::peer::stream::Connector;
use dynomite::peer::PeerRequest;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::config::{Config, Endpoint};
use dynomite_core::peer::NodeIdentity;
use dynomite_core::resp::Protocol;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;
use tokio::time::Instant;

/// The heartbeat bound the links under test use.
const HEARTBEAT_TIMEOUT_MS: u64 = 300;
/// A request timeout far above the heartbeat bound, so that which one acted is plain.
const REQUEST_TIMEOUT_MS: u64 = 10_000;
/// Attempts at binding a node with fresh ports.
const START_ATTEMPTS: usize = 5;
/// Hang guard for one test.
const TEST_TIMEOUT_SECONDS: u64 = 60;

fn run<T>(future: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        tokio::time::timeout(Duration::from_secs(TEST_TIMEOUT_SECONDS), future).await.expect("test finished")
    })
}

fn settings(address: SocketAddr, heartbeat_timeout_ms: u64) -> LinkSettings {
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
        auto_eject: true,
        failure_limit: 3,
        retry_timeout_ms: 60_000,
        heartbeat_timeout_ms,
        secret: PeerSecret::new(None),
        random: Arc::new(OsRandom::new()),
        gossip: None,
    }
}

/// A peer that accepts every connection, completes the handshake, then reads whatever arrives and
/// never writes another byte.
async fn silent_peer() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                if handshake::accept(&mut stream, &PeerSecret::new(None), &OsRandom::new()).await.is_err() {
                    return;
                }
                let mut sink = vec![0u8; 64 * 1024];
                while matches!(stream.read(&mut sink).await, Ok(read) if read > 0) {}
            });
        }
    });
    address
}

/// Starts a single embedded-datastore node and returns its peer address (fresh ports until they bind:
/// a parallel test may take a free port first).
async fn start_node() -> SocketAddr {
    for _ in 0..START_ATTEMPTS {
        let mut config = Config::embedded_default(dynomite_testkit::free_port());
        config.stats_listen = Endpoint::new("127.0.0.1", dynomite_testkit::free_port());
        if let Ok(node) = Node::bind(config, Arc::new(SystemClock)).await {
            let address = node.peer_address().expect("peer address");
            tokio::spawn(node.serve(std::future::pending()));
            return address;
        }
    }
    panic!("no node bound after {START_ATTEMPTS} attempts");
}

async fn wait_connected(link: &PeerLink) {
    while !link.health().is_connected() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn get(key: &str) -> PeerRequest {
    PeerRequest::Execute {
        protocol: Protocol::Resp2,
        args: vec![Bytes::from_static(b"GET"), Bytes::copy_from_slice(key.as_bytes())],
    }
}

#[test]
fn a_silent_peer_holds_a_request_only_until_the_heartbeat_bound() {
    run(async {
        let link = PeerLink::start(settings(silent_peer().await, HEARTBEAT_TIMEOUT_MS));
        wait_connected(&link).await;
        let started = Instant::now();
        let result = link.call(get("k"), 0, REQUEST_TIMEOUT_MS).result(&link).await;
        let waited = started.elapsed();
        assert_eq!(result, ReplicaResult::Failed(ReplicaFailure::PeerNotConnected));
        assert!(
            waited < Duration::from_millis(HEARTBEAT_TIMEOUT_MS * 4),
            "held {waited:?}; the bound is {HEARTBEAT_TIMEOUT_MS} ms, the request timeout {REQUEST_TIMEOUT_MS} ms"
        );
    });
}

#[test]
fn an_idle_link_to_a_live_node_stays_up() {
    run(async {
        let address = start_node().await;
        let link = PeerLink::start(settings(address, HEARTBEAT_TIMEOUT_MS));
        wait_connected(&link).await;
        // Idle for several bounds: pings keep it alive, so it never drops (sampled every 10 ms).
        let idle_until = Instant::now() + Duration::from_millis(HEARTBEAT_TIMEOUT_MS * 5);
        while Instant::now() < idle_until {
            assert!(link.health().is_connected(), "an idle link to a live node was dropped");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let result = link.call(get("k"), 0, REQUEST_TIMEOUT_MS).result(&link).await;
        assert_eq!(result, ReplicaResult::Reply(Bytes::from_static(b"$-1\r\n")));
    });
}

#[test]
fn request_timeouts_count_toward_auto_eject() {
    run(async {
        // A heartbeat bound longer than the test: only request timeouts can eject the peer.
        let link = PeerLink::start(settings(silent_peer().await, 60_000));
        wait_connected(&link).await;
        for attempt in 1..=3 {
            assert!(!link.is_down(), "ejected after {} timeouts", attempt - 1);
            let result = link.call(get("k"), 0, 50).result(&link).await;
            assert_eq!(result, ReplicaResult::Failed(ReplicaFailure::Timeout));
        }
        assert!(link.is_down(), "server_failure_limit (3) consecutive timeouts eject the peer");
        let result = link.call(get("k"), 0, REQUEST_TIMEOUT_MS).result(&link).await;
        assert_eq!(result, ReplicaResult::Failed(ReplicaFailure::PeerDown), "an ejected peer fails fast");
    });
}
