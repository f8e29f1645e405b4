//! `dynomite status` against a running cluster (six real nodes in front of six real redis-servers,
//! one datacenter, three racks of two): the table, `--json`, `--watch` until Ctrl-C, and a killed
//! node showing up as no longer reachable.

mod cluster;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use cluster::{call, deadline_in, poll_until, Cluster, Shape};
use serde_json::Value;

/// Longest a test waits for the node to notice a killed peer (a safety net, not a speed requirement).
const PEER_LOSS_TIMEOUT_MS: u64 = 30_000;

/// Runs `dynomite status` with `args`; its standard output (the command must succeed).
fn status(args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .arg("status")
        .args(args)
        .output()
        .expect("run dynomite status");
    assert!(output.status.success(), "dynomite status {args:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).expect("UTF-8")
}

fn ring_json(admin: &str) -> Value {
    serde_json::from_str(status(&["--admin", admin, "--json"]).trim()).expect("one JSON document")
}

#[test]
fn status_prints_the_ring_as_a_table_and_as_json() {
    let mut cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_quorum");
    let admin = format!("127.0.0.1:{}", cluster.spec(0).stats_port);
    // Quorum writes through node 0 wait for at least one other rack, so node 0 times some peer.
    let mut client = cluster.client(0);
    for index in 0..10 {
        assert_eq!(call(&mut client, &["SET", &format!("status{index}"), "v"]), b"+OK\r\n");
    }

    let ring = ring_json(&admin);
    let nodes = ring["nodes"].as_array().expect("nodes");
    assert_eq!(nodes.len(), cluster.len(), "{ring}");
    for index in 0..cluster.len() {
        let spec = cluster.spec(index);
        let entry = nodes
            .iter()
            .find(|entry| entry["name"] == format!("127.0.0.1:{}", spec.peer_port))
            .unwrap_or_else(|| panic!("node {index} missing: {ring}"));
        assert_eq!(entry["dc"], spec.datacenter.as_str());
        assert_eq!(entry["rack"], spec.rack.as_str());
        assert_eq!(entry["tokens"], serde_json::json!([spec.token]));
        // Two nodes per rack with tokens 0 and 2^31: each owns half of its rack's ring.
        assert_eq!(entry["ring_share"], 0.5, "{ring}");
        let expected_state = if entry["local"] == true { "NORMAL" } else { "UP" };
        assert_eq!(entry["state"], expected_state, "{entry}");
    }
    assert!(
        nodes.iter().any(|entry| entry["local"] == false && entry["latency_us"].is_u64()),
        "some peer has a measured round trip: {ring}"
    );

    let table = status(&["--admin", &admin]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines[0], format!("ring as seen by 127.0.0.1:{}", cluster.spec(0).peer_port), "{table}");
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["DC", "RACK", "NODE", "TOKENS", "SHARE", "STATE", "LATENCY"],
        "{table}"
    );
    assert_eq!(lines.len(), 2 + cluster.len(), "{table}");
    let this_node = lines.iter().find(|line| line.contains("(this node)")).expect("a row for the node");
    assert!(this_node.contains("NORMAL") && this_node.contains("50.0%"), "{table}");
    assert_eq!(lines.iter().filter(|line| line.contains(" UP ")).count(), cluster.len() - 1, "{table}");

    // A killed node stops being UP (auto-ejected: DOWN; or merely not connected: UNREACHABLE).
    cluster.kill(5);
    let killed = format!("127.0.0.1:{}", cluster.spec(5).peer_port);
    let noticed = poll_until(deadline_in(PEER_LOSS_TIMEOUT_MS), || {
        ring_json(&admin)["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|entry| entry["name"] == killed.as_str() && entry["state"] != "UP")
    });
    assert!(noticed, "node 5 still UP: {}", status(&["--admin", &admin]));
    let table = status(&["--admin", &admin]);
    let row = table.lines().find(|line| line.contains(&killed)).expect("the killed node's row");
    assert!(row.contains("DOWN") || row.contains("UNREACHABLE"), "{table}");
}

#[test]
fn status_watch_refreshes_until_interrupted_and_reports_errors() {
    let cluster = Cluster::start(Shape::ONE_RACK, "dc_one");
    let admin = format!("127.0.0.1:{}", cluster.spec(0).stats_port);
    let mut watch = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .args(["status", "--admin", &admin, "--json", "--watch", "--interval", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dynomite status --watch");
    let mut lines = BufReader::new(watch.stdout.take().expect("stdout")).lines();
    for _refresh in 0..2 {
        let line = lines.next().expect("a refresh").expect("read");
        let ring: Value = serde_json::from_str(&line).expect("each refresh is one JSON line");
        assert_eq!(ring["nodes"][0]["state"], "NORMAL", "{line}");
        assert_eq!(ring["nodes"][0]["ring_share"], 1.0, "{line}");
    }
    let interrupted =
        Command::new("kill").args(["-INT", &watch.id().to_string()]).status().expect("kill -INT");
    assert!(interrupted.success());
    assert!(watch.wait().expect("wait").success(), "Ctrl-C ends --watch cleanly");

    // A port where no node listens: a clear error and a failing exit status.
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .args(["status", "--admin", "127.0.0.1:1"])
        .output()
        .expect("run dynomite status");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("cannot reach the admin port 127.0.0.1:1"));
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .args(["status", "--watch", "--interval", "0"])
        .output()
        .expect("run dynomite status");
    assert!(!output.status.success(), "--interval 0 is refused");
}
