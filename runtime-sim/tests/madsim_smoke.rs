//! The production node under madsim: proves the driver is madsim-swappable today.
//!
//! Built only with `RUSTFLAGS="--cfg madsim"` (see `ci/run`): one simulated host runs the same
//! `dynomite::node::Node` as the binary, on the embedded datastore; a client host talks RESP to it over
//! simulated TCP, including a pipelined batch and a restart of the node host. The same seed must give
//! the same trace (madsim's determinism check).
#![cfg(madsim)]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use dynomite::clock::SystemClock;
use dynomite::node::Node;
use dynomite_core::config::Config;
use madsim::runtime::{Handle, Runtime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const NODE_IP: &str = "10.0.0.1";
const CLIENT_IP: &str = "10.0.0.100";
const CLIENT_PORT: u16 = 8102;

fn node_config() -> Config {
    let mut config = Config::embedded_default(CLIENT_PORT);
    config.listen.host = "0.0.0.0".to_string();
    config
}

async fn run_node() {
    let node = Node::bind(node_config(), Arc::new(SystemClock)).await.expect("bind");
    node.serve(std::future::pending()).await;
}

/// Sends raw bytes and reads until `expected` bytes arrived (or the simulated 5 s run out).
async fn exchange(stream: &mut TcpStream, request: &[u8], expected: &[u8]) -> Vec<u8> {
    stream.write_all(request).await.expect("write");
    stream.flush().await.expect("flush");
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    while received.len() < expected.len() {
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut chunk))
            .await
            .expect("reply within 5 simulated seconds")
            .expect("read");
        assert!(read > 0, "node closed the connection");
        received.extend_from_slice(&chunk[..read]);
    }
    received
}

async fn connect() -> TcpStream {
    let address = SocketAddr::new(NODE_IP.parse::<IpAddr>().unwrap(), CLIENT_PORT);
    for _ in 0..50 {
        if let Ok(stream) = TcpStream::connect(address).await {
            return stream;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("node never accepted a connection");
}

async fn scenario() {
    let handle = Handle::current();
    let node = handle.create_node().name("node-1").ip(NODE_IP.parse().unwrap()).init(run_node).build();
    let client = handle.create_node().name("client").ip(CLIENT_IP.parse().unwrap()).build();
    let node_id = node.id();
    client
        .spawn(async move {
            let mut stream = connect().await;
            let set = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n";
            assert_eq!(exchange(&mut stream, set, b"+OK\r\n").await, b"+OK\r\n");
            let get = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n";
            assert_eq!(exchange(&mut stream, get, b"$1\r\nv\r\n").await, b"$1\r\nv\r\n");
            let mut pipeline = Vec::new();
            let mut expected = Vec::new();
            for i in 0..100 {
                let value = format!("v{i}");
                pipeline.extend_from_slice(
                    format!("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n{value}\r\n", value.len()).as_bytes(),
                );
                pipeline.extend_from_slice(get);
                expected.extend_from_slice(b"+OK\r\n");
                expected.extend_from_slice(format!("${}\r\n{value}\r\n", value.len()).as_bytes());
            }
            assert_eq!(exchange(&mut stream, &pipeline, &expected).await, expected);

            // Chaos Monkey in miniature: the node host dies and comes back with an empty embedded store.
            Handle::current().kill(node_id);
            Handle::current().restart(node_id);
            let mut stream = connect().await;
            assert_eq!(
                exchange(&mut stream, get, b"$-1\r\n").await,
                b"$-1\r\n",
                "a restarted node lost its data"
            );
        })
        .await
        .expect("client task");
}

#[test]
fn node_serves_clients_and_survives_a_restart_in_simulation() {
    let runtime = Runtime::with_seed_and_config(7, madsim::Config::default());
    runtime.block_on(scenario());
}

#[test]
fn same_seed_same_trace() {
    Runtime::check_determinism(11, madsim::Config::default(), || async { scenario().await });
}
