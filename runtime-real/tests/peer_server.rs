//! The replica side trusts nothing (issue 7.5): a node's peer listener refuses, with a
//! `Failure { InvalidRequest }` frame, every request a client connection would refuse or only the
//! proxy answers, so a peer cannot desynchronize a datastore connection; it answers pings; and a long
//! pipeline of datacenter forwards on one connection is served under its in-flight bound. A connection
//! that stays silent for `peer_heartbeat_timeout` is closed, and what arrives on it later never runs.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dynomite::clock::SystemClock;
use dynomite::node::Node;
use dynomite::peer::server::FORWARDS_IN_FLIGHT_MAX;
use dynomite_core::config::{Config, Consistency, Endpoint};
use dynomite_core::peer::{self, FailureKind, NodeIdentity, PeerMessage, PEER_PROTOCOL_VERSION};
use dynomite_core::resp::Protocol;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Attempts at binding a node with fresh ports.
const START_ATTEMPTS: usize = 5;
/// Hang guard for one test; a healthy run takes milliseconds.
const TEST_TIMEOUT_SECONDS: u64 = 30;

fn run<T>(future: impl Future<Output = T>) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        tokio::time::timeout(Duration::from_secs(TEST_TIMEOUT_SECONDS), future).await.expect("test finished")
    })
}

/// Starts a single embedded-datastore node and returns its peer address (fresh ports until they bind:
/// a parallel test may take a free port first).
async fn start_node() -> SocketAddr {
    start_node_with(|_| {}).await
}

/// [`start_node`] with `adjust` applied to the node's configuration.
async fn start_node_with(adjust: impl Fn(&mut Config)) -> SocketAddr {
    for _ in 0..START_ATTEMPTS {
        let mut config = Config::embedded_default(dynomite_testkit::free_port());
        config.stats_listen = Endpoint::new("127.0.0.1", dynomite_testkit::free_port());
        adjust(&mut config);
        if let Ok(node) = Node::bind(config, Arc::new(SystemClock)).await {
            let address = node.peer_address().expect("peer address");
            tokio::spawn(node.serve(std::future::pending()));
            return address;
        }
    }
    panic!("no node bound after {START_ATTEMPTS} attempts");
}

/// A peer connection that has said `Hello`.
struct PeerConnection {
    stream: TcpStream,
    input: BytesMut,
}

impl PeerConnection {
    async fn open(address: SocketAddr) -> PeerConnection {
        let stream = TcpStream::connect(address).await.expect("connect to dyn_listen");
        let mut connection = PeerConnection { stream, input: BytesMut::new() };
        let node = NodeIdentity {
            datacenter: "localdc".to_string(),
            rack: "otherrack".to_string(),
            address: "127.0.0.1:1".to_string(),
            tokens: vec![7],
        };
        connection.send(&[PeerMessage::Hello { version: PEER_PROTOCOL_VERSION, node }]).await;
        connection
    }

    async fn send(&mut self, messages: &[PeerMessage]) {
        let mut out = BytesMut::new();
        for message in messages {
            peer::encode(message, &mut out);
        }
        self.stream.write_all(&out).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    async fn receive(&mut self) -> PeerMessage {
        loop {
            if let Some(message) = peer::decode(&mut self.input).expect("well-formed frame") {
                return message;
            }
            assert!(self.stream.read_buf(&mut self.input).await.unwrap() > 0, "peer server closed");
        }
    }
}

fn args(words: &[&str]) -> Vec<Bytes> {
    words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
}

fn request(request_id: u64, words: &[&str]) -> PeerMessage {
    PeerMessage::Request { request_id, protocol: Protocol::Resp2, args: args(words) }
}

/// Requests a client connection refuses or only the proxy answers, with a word of the expected text.
const REFUSED: &[(&[&str], &str)] = &[
    (&[], "empty"),
    (&["NOSUCHCOMMAND", "x"], "unknown command"),
    (&["GET"], "wrong number of arguments"),
    (&["BLPOP", "list", "0"], "blocking"),
    (&["XREAD", "BLOCK", "0", "STREAMS", "stream", "$"], "XREAD"),
    (&["CLIENT", "REPLY", "OFF"], "'client reply' is answered by each node's proxy"),
    (&["SUBSCRIBE", "channel"], "pub/sub"),
    (&["MULTI"], "MULTI"),
    (&["HELLO", "3"], "hello"),
    (&["SELECT", "1"], "select"),
    (&["CLIENT", "ID"], "client id"),
    (&["AUTH", "secret"], "auth"),
    (&["QUIT"], "quit"),
];

#[test]
fn requests_a_client_could_not_send_are_refused_and_the_datastore_stays_in_step() {
    run(async {
        let mut connection = PeerConnection::open(start_node().await).await;
        connection.send(&[request(1, &["SET", "key", "before"])]).await;
        let mut messages = Vec::new();
        for (index, (words, _)) in REFUSED.iter().enumerate() {
            messages.push(request(100 + index as u64, words));
        }
        messages.push(request(2, &["GET", "key"]));
        connection.send(&messages).await;

        let mut answers = std::collections::BTreeMap::new();
        for _ in 0..REFUSED.len() + 2 {
            match connection.receive().await {
                PeerMessage::Response { request_id, reply } => {
                    answers.insert(request_id, Ok(reply));
                }
                PeerMessage::Failure { request_id, kind, message } => {
                    answers.insert(request_id, Err((kind, message)));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(answers[&1], Ok(Bytes::from_static(b"+OK\r\n")));
        for (index, (words, expected)) in REFUSED.iter().enumerate() {
            let Err((kind, message)) = &answers[&(100 + index as u64)] else {
                panic!("{words:?} was executed: {:?}", answers[&(100 + index as u64)]);
            };
            assert_eq!(*kind, FailureKind::InvalidRequest, "{words:?}");
            assert!(
                message.to_ascii_lowercase().contains(&expected.to_ascii_lowercase()),
                "{words:?}: {message}"
            );
        }
        // Nothing refused reached the datastore: the read after them sees the write before them.
        assert_eq!(answers[&2], Ok(Bytes::from_static(b"$6\r\nbefore\r\n")));
    });
}

#[test]
fn forwards_are_refused_like_requests() {
    run(async {
        let mut connection = PeerConnection::open(start_node().await).await;
        let forward = |request_id, words: &[&str]| PeerMessage::ForwardToDatacenter {
            request_id,
            protocol: Protocol::Resp2,
            consistency: Consistency::DcOne,
            args: args(words),
        };
        connection.send(&[forward(1, &["MULTI"]), forward(2, &["CLIENT", "REPLY", "SKIP"])]).await;
        for _ in 0..2 {
            let PeerMessage::Failure { kind, .. } = connection.receive().await else { panic!("not refused") };
            assert_eq!(kind, FailureKind::InvalidRequest);
        }
    });
}

#[test]
fn pings_are_answered() {
    run(async {
        let mut connection = PeerConnection::open(start_node().await).await;
        connection.send(&[PeerMessage::Ping { nonce: 42 }]).await;
        assert_eq!(connection.receive().await, PeerMessage::Pong { nonce: 42 });
    });
}

#[test]
fn a_connection_silent_for_the_heartbeat_timeout_is_closed_and_what_it_sends_later_never_runs() {
    const HEARTBEAT_TIMEOUT_MS: u64 = 300;
    run(async {
        let address = start_node_with(|config| config.peer_heartbeat_timeout_ms = HEARTBEAT_TIMEOUT_MS).await;
        let mut silent = PeerConnection::open(address).await;
        let mut pinging = PeerConnection::open(address).await;
        // The pinging connection writes every third of the timeout, as links do, for three timeouts.
        for nonce in 0..9 {
            tokio::time::sleep(Duration::from_millis(HEARTBEAT_TIMEOUT_MS / 3)).await;
            pinging.send(&[PeerMessage::Ping { nonce }]).await;
            assert_eq!(pinging.receive().await, PeerMessage::Pong { nonce }, "a live connection stays open");
        }
        // The silent one (its sender gave up, or a partition holds its bytes) was closed ...
        let end =
            tokio::time::timeout(Duration::from_secs(1), silent.stream.read_buf(&mut silent.input)).await;
        assert!(matches!(end, Ok(Ok(0) | Err(_))), "silent connection still open: {end:?}");
        // ... so a request of it that arrives late is never executed.
        let mut late = BytesMut::new();
        peer::encode(&request(1, &["SET", "late", "stale"]), &mut late);
        let _ = silent.stream.write_all(&late).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        pinging.send(&[request(2, &["GET", "late"])]).await;
        let PeerMessage::Response { request_id: 2, reply } = pinging.receive().await else {
            panic!("GET not answered")
        };
        assert_eq!(reply, Bytes::from_static(b"$-1\r\n"), "a closed connection's late request ran");
    });
}

#[test]
fn a_long_pipeline_of_forwards_is_served_in_bounded_batches() {
    run(async {
        let mut connection = PeerConnection::open(start_node().await).await;
        let forwards = FORWARDS_IN_FLIGHT_MAX * 20;
        let messages: Vec<PeerMessage> = (0..forwards as u64)
            .map(|request_id| PeerMessage::ForwardToDatacenter {
                request_id,
                protocol: Protocol::Resp2,
                consistency: Consistency::DcOne,
                args: args(&["INCR", "counter"]),
            })
            .collect();
        connection.send(&messages).await;
        let mut seen = vec![false; forwards];
        for _ in 0..forwards {
            match connection.receive().await {
                PeerMessage::Response { request_id, .. } => seen[request_id as usize] = true,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(seen.iter().all(|seen| *seen));
        // Forwards are enqueued in arrival order: the counter counted every one exactly once.
        connection.send(&[request(1, &["GET", "counter"])]).await;
        let expected = format!("${}\r\n{forwards}\r\n", forwards.to_string().len());
        assert_eq!(
            connection.receive().await,
            PeerMessage::Response { request_id: 1, reply: Bytes::from(expected) }
        );
    });
}
