//! Gossip on a real six-node cluster (one datacenter, three racks of two, a real redis-server per
//! node, `enable_gossip: true`, `gos_interval: 200`, `gossip_down_after: 1000`): kill a node
//! process, every other node marks it down through gossip within the configured bound (the measured
//! time is printed), `/cluster_describe`, `/ring` and `dynomite status --json` show it, writes route
//! around it; restart it and it is back to normal everywhere. A replacement node (same place on the
//! ring, new address, empty Redis) takes over through gossip alone.

mod cluster;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::{Duration, Instant};

use cluster::{call, deadline_in, poll_until, Cluster, Shape};
use serde_json::Value;

const GOSSIP_INTERVAL_MS: u64 = 200;
const GOSSIP_DOWN_AFTER_MS: u64 = 1_000;
/// The bound the test holds gossip to: `gossip_down_after` after the dead node's last heartbeat
/// reached a node, that heartbeat a few rounds old at most; plus generous slack for a loaded CI
/// machine (six nodes and six redis-servers on two cores). Not a speed requirement.
const DOWN_BOUND_MS: u64 = GOSSIP_DOWN_AFTER_MS + 10 * GOSSIP_INTERVAL_MS + 5_000;
/// How long the test waits for a restarted node to be normal everywhere (safety net).
const BACK_TIMEOUT_MS: u64 = 30_000;

/// `GET path` on an admin port; the body.
fn admin_get(port: u16, path: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect admin port");
    stream.set_read_timeout(Some(Duration::from_secs(10))).expect("read timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("send request");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    answer.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default()
}

fn json(port: u16, path: &str) -> Value {
    serde_json::from_str(admin_get(port, path).trim()).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// Node `observer`'s `/ring` entry for the node whose peer port is `peer_port`.
fn ring_entry(cluster: &Cluster, observer: usize, peer_port: u16) -> Value {
    let ring = json(cluster.spec(observer).stats_port, "/ring");
    let name = format!("127.0.0.1:{peer_port}");
    ring["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|entry| entry["name"] == name.as_str()).cloned())
        .unwrap_or_else(|| panic!("{name} not in node {observer}'s ring: {ring}"))
}

fn gossip_state(cluster: &Cluster, observer: usize, subject: usize) -> String {
    let entry = ring_entry(cluster, observer, cluster.spec(subject).peer_port);
    entry["gossip"]["state"].as_str().unwrap_or("none").to_string()
}

/// The `/cluster_describe` server entry of node `subject`, as node `observer` describes it.
fn described_state(cluster: &Cluster, observer: usize, subject: usize) -> String {
    let document = json(cluster.spec(observer).stats_port, "/cluster_describe");
    let spec = cluster.spec(subject);
    let servers = document["dcs"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|dc| dc["racks"].as_array().into_iter().flatten())
        .flat_map(|rack| rack["servers"].as_array().into_iter().flatten());
    let server = servers
        .into_iter()
        .find(|server| server["port"] == spec.peer_port)
        .unwrap_or_else(|| panic!("node {subject} not described: {document}"));
    server["state"].as_str().unwrap_or("none").to_string()
}

fn status_json(cluster: &Cluster, observer: usize) -> Value {
    let admin = format!("127.0.0.1:{}", cluster.spec(observer).stats_port);
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .args(["status", "--admin", &admin, "--json"])
        .output()
        .expect("run dynomite status");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).expect("status --json is one JSON document")
}

#[test]
fn a_killed_node_is_marked_down_by_gossip_within_the_bound_and_returns_when_restarted() {
    let extra = format!(
        "  enable_gossip: true\n  gos_interval: {GOSSIP_INTERVAL_MS}\n  gossip_down_after: {GOSSIP_DOWN_AFTER_MS}\n"
    );
    let mut cluster = Cluster::start_with(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_quorum", &extra);
    let everyone: Vec<usize> = (0..cluster.len()).collect();
    let all_normal = |cluster: &Cluster, observers: &[usize]| {
        observers.iter().all(|&observer| {
            everyone.iter().filter(|&&subject| subject != observer).all(|&subject| {
                gossip_state(cluster, observer, subject) == "NORMAL"
                    && ring_entry(cluster, observer, cluster.spec(subject).peer_port)["state"] == "UP"
            })
        })
    };
    assert!(
        poll_until(deadline_in(BACK_TIMEOUT_MS), || all_normal(&cluster, &everyone)),
        "gossip never settled"
    );

    let victim = 5;
    let observers: Vec<usize> = (0..victim).collect();
    cluster.kill(victim);
    let killed_at = Instant::now();
    let mut detected_ms = vec![None; observers.len()];
    while detected_ms.iter().any(Option::is_none)
        && killed_at.elapsed() < Duration::from_millis(2 * DOWN_BOUND_MS)
    {
        for &observer in &observers {
            if detected_ms[observer].is_none() && gossip_state(&cluster, observer, victim) == "DOWN" {
                detected_ms[observer] = Some(killed_at.elapsed().as_millis() as u64);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "gossip_down_after {GOSSIP_DOWN_AFTER_MS} ms, gos_interval {GOSSIP_INTERVAL_MS} ms: node {victim} marked \
         down by nodes {observers:?} after {detected_ms:?} ms (bound {DOWN_BOUND_MS} ms)"
    );
    for (observer, detected) in detected_ms.iter().enumerate() {
        let detected = detected.unwrap_or_else(|| panic!("node {observer} never marked node {victim} down"));
        assert!(detected <= DOWN_BOUND_MS, "node {observer}: {detected} ms > {DOWN_BOUND_MS} ms");
    }

    // Every view shows it: /cluster_describe, /ring, dynomite status --json.
    for &observer in &observers {
        assert_eq!(
            described_state(&cluster, observer, victim),
            "DOWN",
            "node {observer}'s /cluster_describe"
        );
        assert_eq!(described_state(&cluster, observer, 0), "NORMAL");
    }
    let status = status_json(&cluster, 0);
    let name = format!("127.0.0.1:{}", cluster.spec(victim).peer_port);
    let entry = status["nodes"]
        .as_array()
        .and_then(|nodes| nodes.iter().find(|entry| entry["name"] == name.as_str()));
    let entry = entry.unwrap_or_else(|| panic!("{name} missing: {status}"));
    assert_eq!(
        (entry["state"].as_str(), entry["gossip"]["state"].as_str()),
        (Some("DOWN"), Some("DOWN")),
        "{entry}"
    );

    // Counted in node 0's INFO, /info and /metrics.
    assert_eq!(gossip_figures(&cluster, 0), (1, 1, 1), "INFO, /info, /metrics DOWN members");

    // Traffic routes around it: a DC_QUORUM write of a key it owns in its rack succeeds on the other
    // two racks, at once.
    let key = cluster.key_owned_by(victim, "gossip-routes-around");
    let mut client = cluster.client(0);
    let started = Instant::now();
    assert_eq!(call(&mut client, &["SET", key.as_str(), "v"]), b"+OK\r\n");
    println!("DC_QUORUM SET of a key the down node owns: {} ms", started.elapsed().as_millis());

    // Restarted, it is heard from again and normal everywhere.
    cluster.restart(victim);
    let restarted_at = Instant::now();
    assert!(
        poll_until(deadline_in(BACK_TIMEOUT_MS), || all_normal(&cluster, &everyone)),
        "node {victim} not back to normal everywhere"
    );
    println!(
        "node {victim} NORMAL and UP everywhere {} ms after its restart answered PING",
        restarted_at.elapsed().as_millis()
    );
    for &observer in &observers {
        assert_eq!(described_state(&cluster, observer, victim), "NORMAL");
    }
    assert_eq!(gossip_figures(&cluster, 0), (0, 0, 0), "INFO, /info, /metrics DOWN members");
}

/// Members marked down as node `observer` counts them in `INFO` (`gossip_members_down`), `/info`
/// (`gossip.states.DOWN`) and `/metrics` (`dynomite_gossip_members{state="DOWN"}`).
fn gossip_figures(cluster: &Cluster, observer: usize) -> (u64, u64, u64) {
    let info = cluster::Reply::parse(&call(&mut cluster.client(observer), &["INFO"])).text();
    let field = |name: &str| -> u64 {
        let line = info
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("INFO lacks {name}"));
        line.trim().parse().expect("a number")
    };
    assert_eq!(field("gossip_enabled:"), 1);
    assert_eq!(field("gossip_members:"), cluster.len() as u64);
    let document = json(cluster.spec(observer).stats_port, "/info");
    assert_eq!(document["gossip"]["enabled"], true);
    let info_json = document["gossip"]["states"]["DOWN"].as_u64().unwrap_or(0);
    let metrics = admin_get(cluster.spec(observer).stats_port, "/metrics");
    let metric = metrics
        .lines()
        .find_map(|line| line.strip_prefix("dynomite_gossip_members{state=\"DOWN\"} "))
        .unwrap_or_else(|| panic!("/metrics lacks the DOWN members: {metrics}"));
    (field("gossip_members_down:"), info_json, metric.trim().parse().expect("a number"))
}

#[test]
fn a_node_state_travels_in_gossip() {
    let extra = format!(
        "  enable_gossip: true\n  gos_interval: {GOSSIP_INTERVAL_MS}\n  gossip_down_after: {GOSSIP_DOWN_AFTER_MS}\n"
    );
    let cluster = Cluster::start_with(Shape::THREE_RACKS, "dc_quorum", &extra);
    assert_eq!(admin_get(cluster.spec(2).stats_port, "/state/writes_only").trim(), "OK");
    let seen = poll_until(deadline_in(BACK_TIMEOUT_MS), || {
        (0..2).all(|observer| gossip_state(&cluster, observer, 2) == "WRITES_ONLY")
    });
    assert!(seen, "WRITES_ONLY did not reach the other nodes");
    assert_eq!(described_state(&cluster, 0, 2), "WRITES_ONLY");
}

/// A dead node replaced by a new one at the same place (datacenter, rack, token) on new ports and an
/// empty Redis: the others learn its address from its gossip alone (their YAML still names the old
/// one), move their links, and route to it: a write through another node of its rack reaches the new
/// Redis, and cross-rack replication does too.
#[test]
fn a_replacement_at_the_same_place_takes_over_through_gossip() {
    let extra = format!(
        "  enable_gossip: true\n  gos_interval: {GOSSIP_INTERVAL_MS}\n  gossip_down_after: {GOSSIP_DOWN_AFTER_MS}\n"
    );
    let shape = Shape { datacenters: 1, racks: 2, nodes_per_rack: 2 };
    let mut cluster = Cluster::start_with(shape, "dc_one", &extra);
    let victim = 1;
    let old_name = format!("127.0.0.1:{}", cluster.spec(victim).peer_port);
    cluster.replace(victim, "dc_one", &extra);
    let new_name = format!("127.0.0.1:{}", cluster.spec(victim).peer_port);
    let observers: Vec<usize> = (0..cluster.len()).filter(|&index| index != victim).collect();
    let moved = poll_until(deadline_in(BACK_TIMEOUT_MS), || {
        observers.iter().all(|&observer| {
            let ring = json(cluster.spec(observer).stats_port, "/ring");
            let names: Vec<&str> = ring["nodes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|node| node["name"].as_str())
                .collect();
            names.contains(&new_name.as_str()) && !names.contains(&old_name.as_str())
        })
    });
    assert!(moved, "the others still name {old_name}, not {new_name}");
    assert!(
        poll_until(deadline_in(BACK_TIMEOUT_MS), || observers
            .iter()
            .all(|&observer| gossip_state(&cluster, observer, victim) == "NORMAL")),
        "the replacement is not NORMAL everywhere"
    );

    // A key it owns in its rack, written through the other node of its rack (forwarded to it) and
    // through a node of the other rack (replicated to it): both reach the replacement's Redis.
    let same_rack = cluster.rack_nodes(&cluster.spec(victim).datacenter, &cluster.spec(victim).rack);
    let neighbour = *same_rack.iter().find(|&&index| index != victim).expect("two nodes per rack");
    let other_rack = *observers.iter().find(|&&index| !same_rack.contains(&index)).expect("another rack");
    for (writer, prefix) in [(neighbour, "forwarded"), (other_rack, "replicated")] {
        let key = cluster.key_owned_by(victim, prefix);
        let mut client = cluster.client(writer);
        let reached = poll_until(deadline_in(BACK_TIMEOUT_MS), || {
            let _ = call(&mut client, &["SET", key.as_str(), prefix]);
            cluster.redis(victim).command(&["GET", key.as_str()]).ok() == Some(cluster::bulk(prefix))
        });
        assert!(reached, "{prefix} write through node {writer} never reached the replacement's Redis");
    }
    let log = std::fs::read_to_string(cluster.log_path(0)).unwrap_or_default();
    assert!(log.contains("took over this peer's tokens"), "node 0 logged no move");
}
