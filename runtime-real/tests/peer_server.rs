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
use dynomite::auth::{OsRandom, PeerSecret};
use dynomite::clock::SystemClock;
use dynomite::node::Node;
use dynomite::peer::handshake::{self, HandshakeError};
use dynomite::peer::server::FORWARDS_IN_FLIGHT_MAX;
use dynomite_core::config::{Config, Consistency, Endpoint};
use dynomite_core::peer::{self, FailureKind, NodeIdentity, PeerMessage};
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

/// A peer connection that has been through the handshake.
struct PeerConnection {
    stream: TcpStream,
    input: BytesMut,
}

fn identity() -> NodeIdentity {
    NodeIdentity {
        datacenter: "localdc".to_string(),
        rack: "otherrack".to_string(),
        address: "127.0.0.1:1".to_string(),
        tokens: vec![7],
    }
}

impl PeerConnection {
    /// Opens a link to a node without `peer_secret`.
    async fn open(address: SocketAddr) -> PeerConnection {
        PeerConnection::open_with(address, None).await.expect("handshake")
    }

    /// Opens a link proving `secret` (none: empty proofs).
    async fn open_with(address: SocketAddr, secret: Option<&str>) -> Result<PeerConnection, HandshakeError> {
        let mut stream = TcpStream::connect(address).await.expect("connect to dyn_listen");
        let input =
            handshake::open(&mut stream, &PeerSecret::new(secret), &OsRandom::new(), &identity()).await?;
        Ok(PeerConnection { stream, input })
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

/// The cluster secret of the tests below (16+ bytes).
const SECRET: &str = "peer-secret-0123456789";

/// A node in front of a real redis-server (started here) with `peer_secret`; returns its peer
/// address and the server (kept alive by the caller, and read directly to see what ran).
async fn start_secured_node(redis: &dynomite_testkit::RedisServer) -> SocketAddr {
    let port = redis.port();
    start_node_with(move |config| {
        config.data_store = dynomite_core::config::DataStore::Redis;
        config.server =
            Some(dynomite_core::config::ServerAddress { host: "127.0.0.1".to_string(), port, weight: 1 });
        config.peer_secret = Some(SECRET.to_string());
    })
    .await
}

/// What redis-server itself holds at `key` (RESP bytes of GET).
fn redis_get(redis: &dynomite_testkit::RedisServer, key: &str) -> String {
    let mut connection = dynomite_testkit::RespConn::connect(redis.port()).expect("connect to redis-server");
    String::from_utf8_lossy(&connection.command(&["GET", key]).expect("GET")).into_owned()
}

/// Reads until the server closes the connection (or the bound passes); the frames it sent.
async fn frames_until_closed(stream: &mut TcpStream) -> Vec<PeerMessage> {
    let mut input = BytesMut::new();
    let mut frames = Vec::new();
    loop {
        while let Ok(Some(message)) = peer::decode(&mut input) {
            frames.push(message);
        }
        match tokio::time::timeout(Duration::from_secs(10), stream.read_buf(&mut input)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return frames,
            Ok(Ok(_)) => {}
            Err(_) => panic!("the peer server kept a stranger's connection open: {frames:?}"),
        }
    }
}

#[test]
fn a_strangers_well_formed_request_frame_runs_nothing() {
    let redis = dynomite_testkit::RedisServer::start();
    run(async {
        let address = start_secured_node(&redis).await;
        // No handshake at all: a Request frame straight away, then a forward.
        let mut stream = TcpStream::connect(address).await.unwrap();
        let mut frames = BytesMut::new();
        peer::encode(&request(1, &["SET", "stranger", "ran"]), &mut frames);
        let forward = PeerMessage::ForwardToDatacenter {
            request_id: 2,
            protocol: Protocol::Resp2,
            consistency: Consistency::DcOne,
            args: args(&["FLUSHALL"]),
        };
        peer::encode(&forward, &mut frames);
        stream.write_all(&frames).await.unwrap();
        let answered = frames_until_closed(&mut stream).await;
        assert!(
            answered.iter().all(|frame| matches!(frame, PeerMessage::Challenge { .. })),
            "only the challenge, never an answer: {answered:?}"
        );
    });
    assert_eq!(redis_get(&redis, "stranger"), "$-1\r\n", "the stranger's SET never reached redis-server");
}

#[test]
fn a_hello_with_the_wrong_secret_is_refused_before_any_request_is_read() {
    let redis = dynomite_testkit::RedisServer::start();
    let mut marker = dynomite_testkit::RespConn::connect(redis.port()).unwrap();
    marker.command(&["SET", "kept", "yes"]).unwrap();
    run(async {
        let address = start_secured_node(&redis).await;
        // Wrong secret: the node closes after the Hello; the opening side sees no Welcome.
        let refused = PeerConnection::open_with(address, Some("not-the-cluster-secret")).await;
        assert!(refused.is_err(), "a wrong proof is refused");
        // No secret (empty proof), then requests pipelined right behind the Hello.
        let mut stream = TcpStream::connect(address).await.unwrap();
        let mut input = BytesMut::new();
        let challenge = loop {
            stream.read_buf(&mut input).await.unwrap();
            if let Some(PeerMessage::Challenge { nonce }) = peer::decode(&mut input).unwrap() {
                break nonce;
            }
        };
        let forged_proof =
            PeerSecret::new(Some("guessed-secret-0000")).hello_proof(&challenge, &[9; 32], &identity());
        let mut frames = BytesMut::new();
        let hello = PeerMessage::Hello {
            version: dynomite_core::peer::PEER_PROTOCOL_VERSION,
            node: identity(),
            nonce: Bytes::from_static(&[9; 32]),
            proof: forged_proof,
        };
        peer::encode(&hello, &mut frames);
        peer::encode(&request(1, &["FLUSHALL"]), &mut frames);
        peer::encode(&request(2, &["SET", "stranger", "ran"]), &mut frames);
        stream.write_all(&frames).await.unwrap();
        let answered = frames_until_closed(&mut stream).await;
        assert!(answered.is_empty(), "no Welcome, no answer: {answered:?}");
    });
    assert_eq!(redis_get(&redis, "stranger"), "$-1\r\n", "nothing the stranger sent ran");
    assert_eq!(redis_get(&redis, "kept"), "$3\r\nyes\r\n", "FLUSHALL never ran");
}

#[test]
fn a_member_with_the_secret_is_served() {
    let redis = dynomite_testkit::RedisServer::start();
    run(async {
        let address = start_secured_node(&redis).await;
        let mut member =
            PeerConnection::open_with(address, Some(SECRET)).await.expect("the secret opens the link");
        member.send(&[request(1, &["SET", "member", "ran"])]).await;
        assert!(matches!(member.receive().await, PeerMessage::Response { request_id: 1, .. }));
    });
    assert_eq!(redis_get(&redis, "member"), "$3\r\nran\r\n");
}
