//! Background repair against real Redis: three racks of one `dynomite` process each, every one in front
//! of its own `redis-server`, in CRDT mode. Replicas are diverged by hand (keys and metadata removed
//! from one Redis), then the change-log repair and a requested range repair must bring every Redis
//! back to the same data and metadata, checked on each Redis directly; deleted keys' tombstones are
//! collected once every replica holds them. Every wait is a bounded polling loop.

mod cluster;

use std::io::{Read, Write};
use std::process::Command;

use cluster::{bulk, call, deadline_in, poll_until, show, Cluster, Reply, Shape};
use dynomite_testkit::RespConn;

/// How long a repair gets before a test gives up.
const REPAIR_TIMEOUT_MS: u64 = 30_000;
/// Keys written for the range repair test.
const RANGE_KEYS: usize = 200;
/// Of those, removed from one replica by hand.
const LOST_KEYS: usize = 10;

/// The metadata hash of `key` on one Redis, as sorted field/value pairs.
fn metadata(redis: &mut RespConn, key: &str) -> Vec<(String, String)> {
    let items = Reply::parse(&call(redis, &["HGETALL", &format!("_dyn:m:{key}")])).items();
    let mut pairs: Vec<(String, String)> =
        items.chunks(2).map(|pair| (pair[0].text(), pair[1].text())).collect();
    pairs.sort();
    pairs
}

/// Polls until every Redis of the cluster holds `value` at `key` and the same metadata; panics with
/// what each Redis holds after the timeout.
fn wait_converged(cluster: &Cluster, key: &str, value: &str, what: &str) {
    let converged = poll_until(deadline_in(REPAIR_TIMEOUT_MS), || {
        let first = metadata(&mut cluster.redis(0), key);
        (0..cluster.len()).all(|index| {
            let mut redis = cluster.redis(index);
            call(&mut redis, &["GET", key]) == bulk(value) && metadata(&mut redis, key) == first
        })
    });
    if !converged {
        let state: Vec<String> = (0..cluster.len())
            .map(|index| {
                let mut redis = cluster.redis(index);
                format!(
                    "redis {index}: GET {} meta {:?}",
                    show(&call(&mut redis, &["GET", key])),
                    metadata(&mut redis, key)
                )
            })
            .collect();
        panic!("{what}: {key} never converged to {value}:\n{}", state.join("\n"));
    }
}

/// GET of `path` on an admin port; the body of a 200 answer.
fn admin_get(port: u16, path: &str) -> String {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect to the admin port");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read the answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(head.starts_with("HTTP/1.1 200"), "{path}: {head}\n{body}");
    body.to_string()
}

/// `/repair/status` of node `index`.
fn repair_status(cluster: &Cluster, index: usize) -> serde_json::Value {
    serde_json::from_str(&admin_get(cluster.spec(index).stats_port, "/repair/status")).expect("status JSON")
}

#[test]
fn the_change_log_repairs_a_replica_that_lost_a_write() {
    let cluster = Cluster::start_with(
        Shape::THREE_RACKS,
        "dc_quorum",
        "  crdt_enabled: true\n  repair_interval: 100\n  repair_full_interval: 0\n",
    );
    let mut client = cluster.client(0);
    assert_eq!(show(&call(&mut client, &["SET", "log:string", "v1"])), "+OK\\r\\n");
    assert_eq!(Reply::parse(&call(&mut client, &["HSET", "log:hash", "f1", "a", "f2", "b"])).integer(), 2);
    wait_converged(&cluster, "log:string", "v1", "after the write");

    // Replica 2 lost the string write, replica 1 lost one field of the hash.
    let mut lost = cluster.redis(2);
    assert_eq!(Reply::parse(&call(&mut lost, &["DEL", "log:string", "_dyn:m:log:string"])).integer(), 2);
    let mut partial = cluster.redis(1);
    call(&mut partial, &["HDEL", "log:hash", "f2"]);
    call(&mut partial, &["HDEL", "_dyn:m:log:hash", "e:f2"]);
    // The keys were written recently: they are in the change logs of the replicas that have them.
    call(&mut cluster.redis(0), &["LPUSH", "_dyn:log", "log:string"]);
    call(&mut cluster.redis(0), &["LPUSH", "_dyn:log", "log:hash"]);

    wait_converged(&cluster, "log:string", "v1", "change-log repair");
    let hash_converged = poll_until(deadline_in(REPAIR_TIMEOUT_MS), || {
        (0..cluster.len()).all(|index| {
            let mut redis = cluster.redis(index);
            call(&mut redis, &["HGET", "log:hash", "f2"]) == bulk("b")
                && metadata(&mut redis, "log:hash") == metadata(&mut cluster.redis(0), "log:hash")
        })
    });
    assert!(hash_converged, "the lost hash field never came back on replica 1");
    let status = repair_status(&cluster, 0);
    assert!(status["changelog"]["writes"].as_u64().unwrap() >= 2, "{status}");

    // The repair's peer command is not a client command.
    let refused = show(&call(&mut client, &["DYNO_REPAIR", "DIGEST", "0", "100", "4"]));
    assert!(refused.starts_with('-'), "a client's DYNO_REPAIR must be refused: {refused}");
}

#[test]
fn a_requested_range_repair_ships_the_differing_keys_and_collects_acknowledged_tombstones() {
    // No change-log sweeps: only the range repair may fix anything. Tombstones older than 1 s that
    // every replica holds may be collected.
    let cluster = Cluster::start_with(
        Shape::THREE_RACKS,
        "dc_quorum",
        "  crdt_enabled: true\n  repair_interval: 0\n  repair_full_interval: 0\n  tombstone_gc_age: 1000\n",
    );
    let mut client = cluster.client(0);
    for n in 0..RANGE_KEYS {
        assert_eq!(show(&call(&mut client, &["SET", &format!("range:{n}"), &format!("v{n}")])), "+OK\\r\\n");
    }
    assert_eq!(show(&call(&mut client, &["SET", "range:gone", "x"])), "+OK\\r\\n");
    assert_eq!(Reply::parse(&call(&mut client, &["DEL", "range:gone"])).integer(), 1);
    for index in 0..cluster.len() {
        let exists =
            Reply::parse(&call(&mut cluster.redis(index), &["EXISTS", "_dyn:m:range:gone"])).integer();
        assert_eq!(exists, 1, "the delete's tombstone is on replica {index}");
    }
    let mut lost = cluster.redis(1);
    for n in 0..LOST_KEYS {
        let key = format!("range:{n}");
        call(&mut lost, &["DEL", &key, &format!("_dyn:m:{key}")]);
    }
    std::thread::sleep(std::time::Duration::from_millis(1_200));

    let admin = format!("127.0.0.1:{}", cluster.spec(0).stats_port);
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .args(["repair", "--admin", &admin, "--wait"])
        .output()
        .expect("run dynomite repair");
    assert!(
        output.status.success(),
        "dynomite repair failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    for n in 0..LOST_KEYS {
        wait_converged(&cluster, &format!("range:{n}"), &format!("v{n}"), "range repair");
    }
    for index in 0..cluster.len() {
        let mut redis = cluster.redis(index);
        let exists =
            Reply::parse(&call(&mut redis, &["EXISTS", "range:gone", "_dyn:m:range:gone"])).integer();
        assert_eq!(exists, 0, "range:gone and its tombstone are collected on replica {index}");
    }
    let status = repair_status(&cluster, 0);
    let range = &status["range"];
    assert_eq!(range["runs"].as_u64(), Some(1), "{status}");
    assert!(range["keys_shipped"].as_u64().unwrap() >= LOST_KEYS as u64, "{status}");
    let differing = range["buckets_differing"].as_u64().unwrap();
    assert!(differing >= 1 && differing <= LOST_KEYS as u64, "only buckets of lost keys differ: {status}");
    assert!(
        range["keys_compared"].as_u64().unwrap() < (RANGE_KEYS / 2) as u64,
        "only the keys of differing or tombstoned buckets are compared: {status}"
    );
    assert!(status["tombstone_collections"].as_u64().unwrap() >= 3, "{status}");
    let info: serde_json::Value =
        serde_json::from_str(&admin_get(cluster.spec(0).stats_port, "/info")).expect("info JSON");
    assert_eq!(info["repair"]["range"]["runs"].as_u64(), Some(1), "/info shows the repair: {info}");
}
