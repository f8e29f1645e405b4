//! Seed providers: a node configured with `dyn_seed_provider: florida_provider` (an HTTP server started
//! by the test) or `dns_provider` (a small UDP DNS server started by the test, answering TXT queries)
//! learns its peer from the provider, not from `dyn_seeds`, and replicates a write to it. Two `dynomite`
//! processes in two racks of one datacenter, each in front of its own real `redis-server`; the peer
//! knows the first node from its static `dyn_seeds`. Bad provider settings stop `-t` with the variable
//! named.

use std::io::{Read, Write};
use std::net::{TcpListener, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use dynomite_testkit::{free_port, RedisServer, RespConn};

mod cluster;
use cluster::{bulk, deadline_in, poll_until};

/// Bound on a node answering and on a write reaching its replica; healthy runs take milliseconds.
const WAIT_MS: u64 = 30_000;
/// The name the DNS test serves.
const DNS_NAME: &str = "_dynomite.seeds.test";

/// Ports of one node.
#[derive(Clone, Copy)]
struct Ports {
    client: u16,
    peer: u16,
    stats: u16,
}

impl Ports {
    fn fresh() -> Ports {
        Ports { client: free_port(), peer: free_port(), stats: free_port() }
    }
}

/// A `dynomite` process; killed on drop.
struct NodeProcess {
    child: Child,
    dir: PathBuf,
}

impl NodeProcess {
    fn start(
        tag: &str,
        ports: Ports,
        rack: &str,
        redis_port: u16,
        extra: &str,
        env: &[(&str, String)],
    ) -> NodeProcess {
        let dir = std::env::temp_dir().join(format!(
            "dynomite-seeds-{}-{tag}-{}",
            std::process::id(),
            ports.client
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let config = format!(
            "dyn_o_mite:\n  listen: 127.0.0.1:{}\n  dyn_listen: 127.0.0.1:{}\n  stats_listen: 127.0.0.1:{}\n  \
             datacenter: dc1\n  rack: {rack}\n  tokens: '0'\n  servers:\n  - 127.0.0.1:{redis_port}:1\n  \
             write_consistency: dc_one\n  read_consistency: dc_one\n{extra}",
            ports.client, ports.peer, ports.stats
        );
        let config_path = dir.join("dynomite.yml");
        std::fs::write(&config_path, config).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_dynomite"))
            .arg("-c")
            .arg(&config_path)
            .arg("-o")
            .arg(dir.join("dynomite.log"))
            .env("RUST_LOG", "info")
            .envs(env.iter().map(|(name, value)| (*name, value.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start dynomite");
        let mut node = NodeProcess { child, dir };
        let ready = poll_until(deadline_in(WAIT_MS), || {
            assert!(matches!(node.child.try_wait(), Ok(None)), "dynomite exited:\n{}", node.log());
            RespConn::connect(ports.client).and_then(|mut connection| connection.command(&["PING"])).is_ok()
        });
        assert!(ready, "dynomite did not answer on {}:\n{}", ports.client, node.log());
        node
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("dynomite.log")).unwrap_or_default()
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The seed list both providers serve: the learning node itself (which it must skip) and its peer.
fn seed_list(learner: Ports, peer: Ports) -> String {
    format!("127.0.0.1:{}:r1:dc1:0|127.0.0.1:{}:r2:dc1:0", learner.peer, peer.peer)
}

/// Starts the peer (rack r2, static seed = the learner), writes through the learner started by
/// `start_learner`, and checks the write reached the peer's Redis: the learner found it only through
/// its provider.
fn learner_replicates_to_peer(
    start_learner: impl FnOnce(Ports, u16) -> NodeProcess,
    learner: Ports,
    peer: Ports,
) {
    let learner_redis = RedisServer::start();
    let peer_redis = RedisServer::start();
    let learner_node = start_learner(learner, learner_redis.port());
    let peer_seed = format!("  dyn_seeds:\n  - 127.0.0.1:{}:r1:dc1:0\n", learner.peer);
    let _peer_node = NodeProcess::start("peer", peer, "r2", peer_redis.port(), &peer_seed, &[]);

    write_until_replicated(&learner_node, learner.client, peer_redis.port(), "learned", "through-provider");
    assert!(learner_node.log().contains("seeds from the seed provider"), "{}", learner_node.log());
}

/// Writes `key` through the node on `client_port` until the Redis on `replica_port` holds `value` (the
/// link to the replica may still be connecting or moving).
fn write_until_replicated(writer: &NodeProcess, client_port: u16, replica_port: u16, key: &str, value: &str) {
    let mut client = RespConn::connect(client_port).unwrap();
    let mut replica = RespConn::connect(replica_port).unwrap();
    let replicated = poll_until(deadline_in(WAIT_MS), || {
        let _ = client.command(&["SET", key, value]);
        replica.command(&["GET", key]).unwrap() == bulk(value)
    });
    assert!(replicated, "{key} never reached the Redis on port {replica_port}:\n{}", writer.log());
}

/// A tiny HTTP server answering every request with `body`; records the first request line.
fn florida_server(body: String) -> (u16, Arc<Mutex<Vec<String>>>) {
    florida_server_of(Arc::new(Mutex::new(body)))
}

/// Like [`florida_server`], answering with what `body` holds at each request.
fn florida_server_of(body: Arc<Mutex<String>>) -> (u16, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
                request.push(byte[0]);
            }
            let text = String::from_utf8_lossy(&request).into_owned();
            seen.lock().unwrap().push(text.lines().next().unwrap_or_default().to_string());
            let body = body.lock().unwrap().clone();
            let _ = write!(stream, "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n{body}");
        }
    });
    (port, requests)
}

#[test]
fn florida_provider_seeds_a_peer_that_gets_the_writes() {
    let (learner, peer) = (Ports::fresh(), Ports::fresh());
    let (florida_port, requests) = florida_server(seed_list(learner, peer));
    learner_replicates_to_peer(
        |ports, redis_port| {
            let env = [
                ("DYNOMITE_FLORIDA_IP", "127.0.0.1".to_string()),
                ("DYNOMITE_FLORIDA_PORT", florida_port.to_string()),
            ];
            NodeProcess::start(
                "florida",
                ports,
                "r1",
                redis_port,
                "  dyn_seed_provider: florida_provider\n",
                &env,
            )
        },
        learner,
        peer,
    );
    // C Dynomite's default request (DYNOMITE_FLORIDA_REQUEST unset).
    assert_eq!(requests.lock().unwrap()[0], "GET /REST/v1/admin/get_seeds HTTP/1.0");
}

/// A replacement node (same rack and token, new ports, an empty Redis) is listed by Florida while the
/// learner runs: at its next check (`DYNOMITE_SEEDS_CHECK_INTERVAL`, here 200 ms) the learner moves its
/// link there and replicates to it, with gossip off (the provider is the only way it can learn).
#[test]
fn florida_provider_moves_the_link_of_a_replaced_peer_while_running() {
    let (learner, old_peer, new_peer) = (Ports::fresh(), Ports::fresh(), Ports::fresh());
    let body = Arc::new(Mutex::new(seed_list(learner, old_peer)));
    let (florida_port, _) = florida_server_of(body.clone());
    let (learner_redis, old_redis, new_redis) =
        (RedisServer::start(), RedisServer::start(), RedisServer::start());
    let env = [
        ("DYNOMITE_FLORIDA_IP", "127.0.0.1".to_string()),
        ("DYNOMITE_FLORIDA_PORT", florida_port.to_string()),
        ("DYNOMITE_SEEDS_CHECK_INTERVAL", "200".to_string()),
    ];
    let provider = "  dyn_seed_provider: florida_provider\n";
    let learner_node = NodeProcess::start("moving", learner, "r1", learner_redis.port(), provider, &env);
    let peer_seed = format!("  dyn_seeds:\n  - 127.0.0.1:{}:r1:dc1:0\n", learner.peer);
    let old_node = NodeProcess::start("old", old_peer, "r2", old_redis.port(), &peer_seed, &[]);
    write_until_replicated(&learner_node, learner.client, old_redis.port(), "before", "old-peer");

    drop(old_node);
    let _new_node = NodeProcess::start("new", new_peer, "r2", new_redis.port(), &peer_seed, &[]);
    *body.lock().unwrap() = seed_list(learner, new_peer);
    write_until_replicated(&learner_node, learner.client, new_redis.port(), "after", "new-peer");
    let log = learner_node.log();
    assert!(log.contains("took over this place on the ring"), "{log}");
    assert!(log.contains(&format!("127.0.0.1:{}", new_peer.peer)), "{log}");
}

/// A DNS server on UDP answering TXT queries for [`DNS_NAME`] with `text` (split into 255-byte
/// strings) and NXDOMAIN for anything else.
fn dns_server(text: String) -> u16 {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut query = [0u8; 512];
        while let Ok((length, from)) = socket.recv_from(&mut query) {
            if let Some(answer) = dns_answer(&query[..length], &text) {
                let _ = socket.send_to(&answer, from);
            }
        }
    });
    port
}

/// The answer to one query (RFC 1035 wire format), or None for a datagram that is not one.
fn dns_answer(query: &[u8], text: &str) -> Option<Vec<u8>> {
    if query.len() < 12 {
        return None;
    }
    // The question: labels up to the root, then type and class.
    let mut position = 12;
    let mut labels = Vec::new();
    loop {
        let length = *query.get(position)? as usize;
        position += 1;
        if length == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(position..position + length)?).to_lowercase());
        position += length;
    }
    let question_end = position + 4;
    let question = query.get(12..question_end)?;
    let query_type = u16::from_be_bytes([question[question.len() - 4], question[question.len() - 3]]);
    let found = labels.join(".") == DNS_NAME && query_type == 16;
    let mut answer = Vec::new();
    answer.extend_from_slice(&query[0..2]); // id
    answer.extend_from_slice(&[0x81, if found { 0x80 } else { 0x83 }]); // response, recursion; NOERROR or NXDOMAIN
    answer.extend_from_slice(&[0, 1, 0, u8::from(found), 0, 0, 0, 0]); // 1 question, 0/1 answer
    answer.extend_from_slice(question);
    if found {
        let mut data = Vec::new();
        for chunk in text.as_bytes().chunks(255) {
            data.push(chunk.len() as u8);
            data.extend_from_slice(chunk);
        }
        answer.extend_from_slice(&[0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 0]); // name pointer, TXT, IN, TTL 0
        answer.extend_from_slice(&(data.len() as u16).to_be_bytes());
        answer.extend_from_slice(&data);
    }
    Some(answer)
}

#[test]
fn dns_provider_seeds_a_peer_that_gets_the_writes() {
    let (learner, peer) = (Ports::fresh(), Ports::fresh());
    // Padding entries that do not parse push the record past one 255-byte string; they are skipped.
    let padding = "not-a-seed|".repeat(30);
    let dns_port = dns_server(format!("{padding}{}", seed_list(learner, peer)));
    learner_replicates_to_peer(
        |ports, redis_port| {
            let env = [
                ("DYNOMITE_DNS_NAME", DNS_NAME.to_string()),
                ("DYNOMITE_DNS_SERVER", format!("127.0.0.1:{dns_port}")),
            ];
            NodeProcess::start("dns", ports, "r1", redis_port, "  dyn_seed_provider: dns_provider\n", &env)
        },
        learner,
        peer,
    );
}

#[test]
fn bad_provider_settings_are_refused_with_the_variable_named() {
    let dir = std::env::temp_dir().join(format!("dynomite-seeds-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        ("dns_provider", "DYNOMITE_DNS_TYPE", "A", "DYNOMITE_DNS_TYPE=\"A\" is not TXT"),
        ("dns_provider", "DYNOMITE_DNS_SERVER", "nameserver", "DYNOMITE_DNS_SERVER=\"nameserver\" is not"),
        (
            "florida_provider",
            "DYNOMITE_FLORIDA_PORT",
            "80a",
            "DYNOMITE_FLORIDA_PORT=\"80a\" is not a TCP port",
        ),
        (
            "florida_provider",
            "DYNOMITE_FLORIDA_IP",
            "florida.local",
            "DYNOMITE_FLORIDA_IP=\"florida.local\" is not",
        ),
        (
            "dns_provider",
            "DYNOMITE_SEEDS_CHECK_INTERVAL",
            "50",
            "DYNOMITE_SEEDS_CHECK_INTERVAL=\"50\" is not a number of milliseconds from 100 to 3600000",
        ),
    ];
    for (provider, variable, value, expected) in cases {
        let path = dir.join(format!("{variable}.yml"));
        let yaml = format!(
            "dyn_o_mite:\n  listen: 127.0.0.1:{}\n  servers:\n  - 127.0.0.1:6379:1\n  tokens: '0'\n  \
             dyn_seed_provider: {provider}\n",
            free_port()
        );
        std::fs::write(&path, yaml).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
            .args(["-t", "-c"])
            .arg(&path)
            .env(variable, value)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{variable}={value} accepted");
        assert!(stderr.contains(&format!("dyn_seed_provider: {expected}")), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
