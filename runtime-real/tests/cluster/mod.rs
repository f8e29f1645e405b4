//! Starts a real cluster for integration tests: one `dynomite` process and one `redis-server` per
//! node, every port a free loopback port, every node's YAML listing all the others as `dyn_seeds`.
//!
//! [`Cluster::start`] returns only when every node answers PING and every peer link a write needs
//! is up (proved by probe writes that reach every replica's Redis), with every Redis flushed again,
//! so a test starts from an empty, fully connected cluster. A node's process can be killed and
//! restarted on the same ports while its Redis keeps running. Dropping the cluster kills everything.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use dynomite_core::ring::{murmur2, NodeId, Ring};
use dynomite_testkit::{free_port, RedisServer, RespConn};

/// How long a started node gets to answer PING.
const NODE_STARTUP_TIMEOUT_MS: u64 = 15_000;
/// How long the probe writes get to reach every replica (peer links reconnect with backoff ≤ 250 ms).
const LINKS_UP_TIMEOUT_MS: u64 = 30_000;
/// How long a probe that reached a quorum gets to reach the remaining replicas before it is rewritten.
const REPLICATION_GRACE_MS: u64 = 500;
/// Pause between two attempts of a bounded polling loop.
const POLL_INTERVAL_MS: u64 = 25;
/// Candidate keys tried when looking for a key with a given owner.
const KEY_SEARCH_ATTEMPTS_MAX: usize = 100_000;
/// Times the cluster is started on fresh ports when a node cannot start.
const STARTUP_ATTEMPTS_MAX: usize = 3;
/// The request `timeout` written into every node's YAML.
const REQUEST_TIMEOUT_MS: u64 = 5_000;

/// The shape of a cluster: datacenters × racks × nodes per rack, names `dc1..`, `rack1..`.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Datacenters.
    pub datacenters: usize,
    /// Racks per datacenter (each holds a full copy of the data).
    pub racks: usize,
    /// Nodes per rack (tokens evenly spaced from 0).
    pub nodes_per_rack: usize,
}

impl Shape {
    /// One datacenter, three racks of two nodes (tokens 0 and 2147483648).
    pub const ONE_DC_THREE_RACKS_TWO_NODES: Shape = Shape { datacenters: 1, racks: 3, nodes_per_rack: 2 };
    /// Two datacenters of three racks of one node.
    pub const TWO_DCS_THREE_RACKS: Shape = Shape { datacenters: 2, racks: 3, nodes_per_rack: 1 };
    /// One node: one datacenter, one rack.
    pub const ONE_RACK: Shape = Shape { datacenters: 1, racks: 1, nodes_per_rack: 1 };
    /// One datacenter, three racks of one node.
    pub const THREE_RACKS: Shape = Shape { datacenters: 1, racks: 3, nodes_per_rack: 1 };
}

/// Where one node lives and listens.
#[derive(Debug, Clone)]
pub struct NodeSpec {
    /// `datacenter`.
    pub datacenter: String,
    /// `rack`.
    pub rack: String,
    /// The node's single token.
    pub token: u32,
    /// `listen` port (clients).
    pub client_port: u16,
    /// `dyn_listen` port (peers).
    pub peer_port: u16,
    /// `stats_listen` port (admin).
    pub stats_port: u16,
}

/// One node: its spec and its `dynomite` process (None while killed).
struct ClusterNode {
    spec: NodeSpec,
    process: Option<Child>,
    config_path: PathBuf,
    log_path: PathBuf,
}

/// A running cluster; every process is killed on drop.
pub struct Cluster {
    nodes: Vec<ClusterNode>,
    /// Node `i`'s redis-server is `redis[i]`; they outlive restarts of the node processes.
    redis: Vec<RedisServer>,
}

impl Cluster {
    /// Starts `shape` with `consistency` as every node's read and write consistency, and waits until
    /// it is fully connected and empty. A node that exits during startup (another process took one
    /// of its free ports meanwhile) makes the whole cluster start again on fresh ports.
    pub fn start(shape: Shape, consistency: &str) -> Cluster {
        Cluster::start_with(shape, consistency, "")
    }

    /// Like [`Cluster::start`], with `extra_yaml` (lines of `  key: value`, each ending in a newline)
    /// appended to every node's YAML, e.g. `  datastore_connections: 4\n`.
    pub fn start_with(shape: Shape, consistency: &str, extra_yaml: &str) -> Cluster {
        let node_count = shape.datacenters * shape.racks * shape.nodes_per_rack;
        let redis = (0..node_count).map(|_| RedisServer::start()).collect();
        let mut cluster = Cluster { nodes: Vec::new(), redis };
        let mut failures = Vec::new();
        for _attempt in 0..STARTUP_ATTEMPTS_MAX {
            cluster.configure(shape, consistency, extra_yaml);
            match cluster.spawn_all() {
                Ok(()) => {
                    cluster.wait_links_up();
                    cluster.flush_all_redis();
                    return cluster;
                }
                Err(failure) => {
                    failures.push(failure);
                    cluster.remove_nodes();
                }
            }
        }
        panic!("the cluster did not start in {STARTUP_ATTEMPTS_MAX} attempts:\n{}", failures.join("\n"));
    }

    /// Plans fresh ports (none of them a Redis port) and writes every node's YAML.
    fn configure(&mut self, shape: Shape, consistency: &str, extra_yaml: &str) {
        let taken: BTreeSet<u16> = self.redis.iter().map(RedisServer::port).collect();
        let specs = plan(shape, taken);
        for (index, spec) in specs.iter().enumerate() {
            let name = format!("dynomite-cluster-{}-{}", std::process::id(), spec.client_port);
            let config_path = std::env::temp_dir().join(format!("{name}.yml"));
            let log_path = std::env::temp_dir().join(format!("{name}.log"));
            let yaml = node_yaml(&specs, index, self.redis[index].port(), consistency) + extra_yaml;
            std::fs::write(&config_path, yaml).expect("write node config");
            self.nodes.push(ClusterNode { spec: spec.clone(), process: None, config_path, log_path });
        }
    }

    fn spawn_all(&mut self) -> Result<(), String> {
        for index in 0..self.nodes.len() {
            self.spawn(index);
        }
        (0..self.nodes.len()).try_for_each(|index| self.wait_answers_ping(index))
    }

    /// Kills every node process and removes its files.
    fn remove_nodes(&mut self) {
        for index in 0..self.nodes.len() {
            self.kill(index);
            let _ = std::fs::remove_file(&self.nodes[index].config_path);
            let _ = std::fs::remove_file(&self.nodes[index].log_path);
        }
        self.nodes.clear();
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Node `index`'s placement and ports.
    pub fn spec(&self, index: usize) -> &NodeSpec {
        &self.nodes[index].spec
    }

    /// A client connection to node `index` at the node's configured consistency.
    pub fn client(&self, index: usize) -> RespConn {
        RespConn::connect(self.nodes[index].spec.client_port).expect("connect to dynomite")
    }

    /// A client connection to node `index` switched to `level` with `DYNO_CONFIG:CONN_CONSISTENCY`.
    pub fn client_at(&self, index: usize, level: &str) -> RespConn {
        let mut connection = self.client(index);
        let reply = connection.command(&["DYNO_CONFIG:CONN_CONSISTENCY", level]).expect("set consistency");
        assert_eq!(show(&reply), "+OK\\r\\n", "DYNO_CONFIG:CONN_CONSISTENCY {level} on node {index}");
        connection
    }

    /// A direct connection to node `index`'s redis-server (bypassing dynomite).
    pub fn redis(&self, index: usize) -> RespConn {
        RespConn::connect(self.redis[index].port()).expect("connect to redis-server")
    }

    /// Indexes of the nodes of `rack` in `datacenter`, in token order.
    pub fn rack_nodes(&self, datacenter: &str, rack: &str) -> Vec<usize> {
        (0..self.nodes.len())
            .filter(|&index| self.spec(index).datacenter == datacenter && self.spec(index).rack == rack)
            .collect()
    }

    /// Every `(datacenter, rack)` pair, in plan order.
    pub fn racks(&self) -> Vec<(String, String)> {
        let mut racks: Vec<(String, String)> = Vec::new();
        for node in &self.nodes {
            let pair = (node.spec.datacenter.clone(), node.spec.rack.clone());
            if !racks.contains(&pair) {
                racks.push(pair);
            }
        }
        racks
    }

    /// The node of `datacenter`/`rack` that owns `key` (smallest token ≥ murmur hash, wrapping).
    pub fn owner(&self, datacenter: &str, rack: &str, key: &[u8]) -> usize {
        let entries = self
            .rack_nodes(datacenter, rack)
            .into_iter()
            .map(|index| (self.spec(index).token, NodeId(index as u32)));
        let ring = Ring::new(rack, entries.collect()).expect("rack ring");
        ring.owner(murmur2(key)).0 as usize
    }

    /// The owner of `key` in every rack of every datacenter (one index per rack, plan order).
    pub fn owners(&self, key: &[u8]) -> Vec<usize> {
        self.racks().iter().map(|(dc, rack)| self.owner(dc, rack, key)).collect()
    }

    /// The first key `{prefix}:{n}` that node `index` owns in its rack.
    pub fn key_owned_by(&self, index: usize, prefix: &str) -> String {
        let spec = self.spec(index);
        (0..KEY_SEARCH_ATTEMPTS_MAX)
            .map(|n| format!("{prefix}:{n}"))
            .find(|key| self.owner(&spec.datacenter, &spec.rack, key.as_bytes()) == index)
            .unwrap_or_else(|| panic!("no key with prefix {prefix} is owned by node {index}"))
    }

    /// Kills node `index`'s dynomite process (SIGKILL); its Redis keeps running.
    pub fn kill(&mut self, index: usize) {
        if let Some(mut child) = self.nodes[index].process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts node `index` again on the same ports and waits until it answers PING.
    pub fn restart(&mut self, index: usize) {
        self.kill(index);
        self.spawn(index);
        if let Err(failure) = self.wait_answers_ping(index) {
            panic!("restart: {failure}");
        }
    }

    /// Replaces node `index` the way an operator replaces a dead machine: kills its process, then
    /// starts a new node at the same place (datacenter, rack, token) on new ports, in front of a new,
    /// empty redis-server, with every other node as its seeds. The other nodes' YAML still names the
    /// old address: they learn the new one from gossip (or a seed provider). Waits until it answers
    /// PING.
    pub fn replace(&mut self, index: usize, consistency: &str, extra_yaml: &str) {
        self.kill(index);
        self.redis[index] = RedisServer::start();
        let mut taken: BTreeSet<u16> = self.redis.iter().map(RedisServer::port).collect();
        for node in &self.nodes {
            taken.extend([node.spec.client_port, node.spec.peer_port, node.spec.stats_port]);
        }
        let mut port = || loop {
            let candidate = free_port();
            if taken.insert(candidate) {
                return candidate;
            }
        };
        let spec = &mut self.nodes[index].spec;
        (spec.client_port, spec.peer_port, spec.stats_port) = (port(), port(), port());
        let specs: Vec<NodeSpec> = self.nodes.iter().map(|node| node.spec.clone()).collect();
        let yaml = node_yaml(&specs, index, self.redis[index].port(), consistency) + extra_yaml;
        std::fs::write(&self.nodes[index].config_path, yaml).expect("write node config");
        self.spawn(index);
        if let Err(failure) = self.wait_answers_ping(index) {
            panic!("replace: {failure}");
        }
    }

    /// Kills node `index`'s redis-server (SIGKILL); its dynomite process keeps running.
    pub fn kill_redis(&mut self, index: usize) {
        self.redis[index].kill();
    }

    /// Starts node `index`'s redis-server again on the same port (empty: no persistence).
    pub fn restart_redis(&mut self, index: usize) {
        self.redis[index].restart();
    }

    /// Where node `index` writes its log (shown in failure messages).
    pub fn log_path(&self, index: usize) -> &PathBuf {
        &self.nodes[index].log_path
    }

    fn spawn(&mut self, index: usize) {
        let node = &mut self.nodes[index];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log_path)
            .expect("open node log");
        let child = Command::new(env!("CARGO_BIN_EXE_dynomite"))
            .arg("-c")
            .arg(&node.config_path)
            .args(["-v", "5"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start dynomite");
        node.process = Some(child);
    }

    /// Waits until node `index` answers PING; Err (with its log) when it exits or never answers.
    fn wait_answers_ping(&mut self, index: usize) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_millis(NODE_STARTUP_TIMEOUT_MS);
        while Instant::now() < deadline {
            let node = &mut self.nodes[index];
            if let Some(child) = node.process.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    let log = std::fs::read_to_string(&node.log_path).unwrap_or_default();
                    return Err(format!("node {index} exited during startup: {status}; its log:\n{log}"));
                }
            }
            if let Ok(mut connection) = RespConn::connect(node.spec.client_port) {
                if connection.command(&["PING"]).map(|reply| reply == b"+PONG\r\n").unwrap_or(false) {
                    return Ok(());
                }
            }
            pause();
        }
        Err(format!("node {index} did not answer PING within {NODE_STARTUP_TIMEOUT_MS} ms"))
    }

    /// Through every node, one probe write per token range of its rack at DC_SAFE_QUORUM, repeated
    /// until the probe is in the Redis of every replica (all racks, all datacenters): a replica whose
    /// link was not up yet misses a write for good (no hinted handoff), so the write is retried.
    /// Together the probes use every link a write from any node needs.
    fn wait_links_up(&self) {
        let deadline = Instant::now() + Duration::from_millis(LINKS_UP_TIMEOUT_MS);
        for coordinator in 0..self.nodes.len() {
            let spec = self.spec(coordinator);
            for owner in self.rack_nodes(&spec.datacenter, &spec.rack) {
                let key = self.key_owned_by(owner, &format!("probe-{coordinator}"));
                let value = format!("probe-value-{coordinator}-{owner}");
                let everywhere = poll_until(deadline, || {
                    self.write_until_ok(coordinator, &key, &value, deadline);
                    self.held_by_every_replica(&key, &value)
                });
                assert!(everywhere, "probe {key} through node {coordinator} never reached every replica");
            }
        }
    }

    /// True when the Redis of every replica of `key` holds `value`, polled briefly (replication
    /// to the other racks continues after the quorum answered).
    fn held_by_every_replica(&self, key: &str, value: &str) -> bool {
        let expected = bulk(value);
        let deadline = Instant::now() + Duration::from_millis(REPLICATION_GRACE_MS);
        poll_until(deadline, || {
            self.owners(key.as_bytes()).into_iter().all(|replica| {
                self.redis(replica).command(&["GET", key]).map(|reply| reply == expected).unwrap_or(false)
            })
        })
    }

    fn write_until_ok(&self, coordinator: usize, key: &str, value: &str, deadline: Instant) {
        let mut last = String::from("no attempt");
        let written = poll_until(deadline, || {
            let Ok(mut connection) = RespConn::connect(self.spec(coordinator).client_port) else {
                return false;
            };
            let attempt = connection
                .command(&["DYNO_CONFIG:CONN_CONSISTENCY", "dc_safe_quorum"])
                .and_then(|_| connection.command(&["SET", key, value]));
            match attempt {
                Ok(reply) if reply == b"+OK\r\n" => true,
                Ok(reply) => {
                    last = show(&reply);
                    false
                }
                Err(error) => {
                    last = error.to_string();
                    false
                }
            }
        });
        assert!(written, "probe SET through node {coordinator} never succeeded; last reply {last}");
    }

    /// FLUSHALL on every Redis directly.
    pub fn flush_all_redis(&self) {
        for index in 0..self.nodes.len() {
            let reply = self.redis(index).command(&["FLUSHALL"]).expect("FLUSHALL");
            assert_eq!(reply, b"+OK\r\n");
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.remove_nodes();
    }
}

/// Specs in plan order (datacenter, then rack, then token), each with three free ports distinct from
/// each other and from `taken`.
fn plan(shape: Shape, taken: BTreeSet<u16>) -> Vec<NodeSpec> {
    let mut used = taken;
    let mut port = || loop {
        let candidate = free_port();
        if used.insert(candidate) {
            return candidate;
        }
    };
    let spacing = (u64::from(u32::MAX) + 1) / shape.nodes_per_rack as u64;
    let mut specs = Vec::new();
    for dc in 1..=shape.datacenters {
        for rack in 1..=shape.racks {
            for node in 0..shape.nodes_per_rack {
                specs.push(NodeSpec {
                    datacenter: format!("dc{dc}"),
                    rack: format!("rack{rack}"),
                    token: (node as u64 * spacing) as u32,
                    client_port: port(),
                    peer_port: port(),
                    stats_port: port(),
                });
            }
        }
    }
    specs
}

/// Node `index`'s Dynomite YAML: its own listeners and Redis, every other node as a seed.
fn node_yaml(specs: &[NodeSpec], index: usize, redis_port: u16, consistency: &str) -> String {
    let me = &specs[index];
    let seeds: String = specs
        .iter()
        .enumerate()
        .filter(|(other, _)| *other != index)
        .map(|(_, peer)| {
            format!("\n  - 127.0.0.1:{}:{}:{}:{}", peer.peer_port, peer.rack, peer.datacenter, peer.token)
        })
        .collect();
    // A one-node cluster has no seeds; an empty `dyn_seeds:` key is refused, so it is left out.
    let seeds = if seeds.is_empty() { String::new() } else { format!("\n  dyn_seeds:{seeds}") };
    format!(
        "dyn_o_mite:\n  listen: 127.0.0.1:{}\n  dyn_listen: 127.0.0.1:{}\n  stats_listen: 127.0.0.1:{}\n  \
         datacenter: {}\n  rack: {}\n  tokens: '{}'\n  servers:\n  - 127.0.0.1:{redis_port}:1\n  \
         data_store: 0\n  timeout: {REQUEST_TIMEOUT_MS}{seeds}\n  read_consistency: {consistency}\n  \
         write_consistency: {consistency}\n",
        me.client_port, me.peer_port, me.stats_port, me.datacenter, me.rack, me.token
    )
}

/// Calls `attempt` until it returns true or `deadline` passes; true when it succeeded.
pub fn poll_until(deadline: Instant, mut attempt: impl FnMut() -> bool) -> bool {
    loop {
        if attempt() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        pause();
    }
}

/// A deadline `milliseconds` from now (for [`poll_until`]).
pub fn deadline_in(milliseconds: u64) -> Instant {
    Instant::now() + Duration::from_millis(milliseconds)
}

fn pause() {
    std::thread::sleep(Duration::from_millis(POLL_INTERVAL_MS));
}

/// Sends one command and returns its raw reply, panicking on I/O errors.
pub fn call<A: AsRef<[u8]>>(connection: &mut RespConn, args: &[A]) -> Vec<u8> {
    connection.command(args).unwrap_or_else(|error| {
        let words: Vec<String> =
            args.iter().map(|arg| String::from_utf8_lossy(arg.as_ref()).into_owned()).collect();
        panic!("{} failed: {error}", words.join(" "))
    })
}

/// RESP2 bulk string bytes of `value`.
pub fn bulk(value: &str) -> Vec<u8> {
    format!("${}\r\n{value}\r\n", value.len()).into_bytes()
}

/// Shows raw RESP bytes readably in assertion messages.
pub fn show(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace("\r\n", "\\r\\n")
}

/// A parsed RESP2 reply (enough for SCAN, KEYS and integer replies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// `+text`.
    Simple(String),
    /// `-text`.
    Error(String),
    /// `:n`.
    Integer(i64),
    /// `$n` (None for `$-1`).
    Bulk(Option<Vec<u8>>),
    /// `*n` (None for `*-1`).
    Array(Option<Vec<Reply>>),
}

impl Reply {
    /// Parses one complete RESP2 reply; panics on anything else (the tests' input is trusted).
    pub fn parse(bytes: &[u8]) -> Reply {
        let (reply, used) = parse_at(bytes, 0);
        assert_eq!(used, bytes.len(), "trailing bytes after reply {}", show(bytes));
        reply
    }

    /// The integer of an `Integer` reply.
    pub fn integer(&self) -> i64 {
        match self {
            Reply::Integer(value) => *value,
            other => panic!("expected an integer reply, got {other:?}"),
        }
    }

    /// The items of an `Array` reply.
    pub fn items(&self) -> Vec<Reply> {
        match self {
            Reply::Array(Some(items)) => items.clone(),
            other => panic!("expected an array reply, got {other:?}"),
        }
    }

    /// The text of a non-null `Bulk` reply.
    pub fn text(&self) -> String {
        match self {
            Reply::Bulk(Some(bytes)) => String::from_utf8_lossy(bytes).into_owned(),
            other => panic!("expected a bulk reply, got {other:?}"),
        }
    }
}

fn parse_at(bytes: &[u8], start: usize) -> (Reply, usize) {
    let line_end =
        start + bytes[start..].windows(2).position(|pair| pair == b"\r\n").expect("complete line in reply");
    let header = String::from_utf8_lossy(&bytes[start + 1..line_end]).into_owned();
    let next = line_end + 2;
    let number = || header.parse::<i64>().expect("number in reply header");
    match bytes[start] {
        b'+' => (Reply::Simple(header), next),
        b'-' => (Reply::Error(header), next),
        b':' => (Reply::Integer(number()), next),
        b'$' if number() < 0 => (Reply::Bulk(None), next),
        b'$' => {
            let end = next + number() as usize;
            (Reply::Bulk(Some(bytes[next..end].to_vec())), end + 2)
        }
        b'*' if number() < 0 => (Reply::Array(None), next),
        b'*' => {
            let mut position = next;
            let mut items = Vec::new();
            for _ in 0..number() {
                let (item, after) = parse_at(bytes, position);
                items.push(item);
                position = after;
            }
            (Reply::Array(Some(items)), position)
        }
        other => panic!("unexpected RESP2 type byte {:?} in {}", other as char, show(bytes)),
    }
}
