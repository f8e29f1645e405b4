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

/// The metadata hash of `key` on one Redis, as sorted field/value pairs. A counter total of 0 is
/// the same as an absent one (the data model's normal form; a merge writes it, an INCR may not).
fn metadata(redis: &mut RespConn, key: &str) -> Vec<(String, String)> {
    let items = Reply::parse(&call(redis, &["HGETALL", &format!("_dyn:m:{key}")])).items();
    let zero_total = |field: &str, value: &str| {
        value == "0" && ["p:", "n:", "hp:", "hn:"].iter().any(|prefix| field.starts_with(prefix))
    };
    let mut pairs: Vec<(String, String)> = items
        .chunks(2)
        .map(|pair| (pair[0].text(), pair[1].text()))
        .filter(|(field, value)| !zero_total(field, value))
        .collect();
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
    // Whichever replicas' sweeps found the keys first wrote the two merges (counted once their sweep
    // step is done, a moment after the merges landed).
    let mut writes = 0;
    let counted = poll_until(deadline_in(REPAIR_TIMEOUT_MS), || {
        writes = (0..cluster.len())
            .map(|index| repair_status(&cluster, index)["changelog"]["writes"].as_u64().unwrap())
            .sum::<u64>();
        writes >= 2
    });
    assert!(counted, "change-log merges written: {writes}");

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
    // DC_QUORUM answers after two of three replicas; the third applies the delete a moment later.
    for index in 0..cluster.len() {
        let tombstoned = poll_until(deadline_in(REPAIR_TIMEOUT_MS), || {
            Reply::parse(&call(&mut cluster.redis(index), &["EXISTS", "_dyn:m:range:gone"])).integer() == 1
        });
        assert!(tombstoned, "the delete's tombstone is on replica {index}");
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
    assert_eq!(
        range["keys_compared"].as_u64(),
        Some(LOST_KEYS as u64 + 1),
        "only the lost keys and the tombstoned one are compared one by one: {status}"
    );
    assert!(status["tombstone_collections"].as_u64().unwrap() >= 3, "{status}");
    let info: serde_json::Value =
        serde_json::from_str(&admin_get(cluster.spec(0).stats_port, "/info")).expect("info JSON");
    assert_eq!(info["repair"]["range"]["runs"].as_u64(), Some(1), "/info shows the repair: {info}");
}

#[test]
fn keys_written_while_a_replica_is_down_wait_in_the_change_log_until_it_is_back() {
    // No hints and no range repair: only the change log can bring the writes to the replica.
    let mut cluster = Cluster::start_with(
        Shape::THREE_RACKS,
        "dc_quorum",
        "  crdt_enabled: true\n  repair_interval: 100\n  repair_full_interval: 0\n  hints_max: 0\n",
    );
    cluster.kill(2);
    let mut client = cluster.client(0);
    for n in 0..20 {
        assert_eq!(show(&call(&mut client, &["SET", &format!("down:{n}"), "v"])), "+OK\\r\\n");
    }
    // Far longer than RETRIES_MAX sweeps: failures while the link is down do not count.
    std::thread::sleep(std::time::Duration::from_millis(4_000));
    let mut replica = cluster.redis(2);
    assert_eq!(
        Reply::parse(&call(&mut replica, &["EXISTS", "down:0"])).integer(),
        0,
        "replica 2 missed the writes"
    );
    cluster.restart(2);
    for n in 0..20 {
        wait_converged(&cluster, &format!("down:{n}"), "v", "change log after the replica's return");
    }
    let dropped: u64 =
        (0..2).map(|index| repair_status(&cluster, index)["changelog"]["dropped"].as_u64().unwrap()).sum();
    assert_eq!(dropped, 0, "nothing given up while the replica was down");
}

#[test]
fn counters_repaired_after_an_outage_count_every_increment_once() {
    let mut cluster = Cluster::start_with(
        Shape::THREE_RACKS,
        "dc_quorum",
        "  crdt_enabled: true\n  repair_interval: 100\n  repair_full_interval: 0\n  hints_max: 0\n",
    );
    let mut client = cluster.client(0);
    assert_eq!(show(&call(&mut client, &["INCRBY", "count:c", "5"])), ":5\\r\\n");
    assert_eq!(show(&call(&mut client, &["SET", "count:r", "5"])), "+OK\\r\\n");
    wait_converged(&cluster, "count:c", "5", "before the outage");
    wait_converged(&cluster, "count:r", "5", "before the outage");
    cluster.kill(2);
    for _ in 0..3 {
        call(&mut client, &["INCR", "count:c"]);
    }
    assert_eq!(show(&call(&mut client, &["INCR", "count:r"])), ":6\\r\\n", "SET 5 then INCR");
    cluster.restart(2);
    wait_converged(&cluster, "count:c", "8", "counter after the outage");
    wait_converged(&cluster, "count:r", "6", "SET then INCR after the outage");
    let mut through_returned = cluster.client(2);
    assert_eq!(show(&call(&mut through_returned, &["INCR", "count:c"])), ":9\\r\\n");
    assert_eq!(show(&call(&mut through_returned, &["INCR", "count:r"])), ":7\\r\\n");
    wait_converged(&cluster, "count:c", "9", "counter through the returned node");
    wait_converged(&cluster, "count:r", "7", "register counter through the returned node");
}

/// Starts a range repair on node `index` with the CLI and waits until it has finished.
fn range_repair(cluster: &Cluster, index: usize) {
    let admin = format!("127.0.0.1:{}", cluster.spec(index).stats_port);
    let output = Command::new(env!("CARGO_BIN_EXE_dynomite"))
        .args(["repair", "--admin", &admin, "--wait"])
        .output()
        .expect("run dynomite repair");
    assert!(output.status.success(), "dynomite repair failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// Whether `_dyn:m:<key>` exists on node `index`'s Redis.
fn has_metadata(cluster: &Cluster, index: usize, key: &str) -> bool {
    Reply::parse(&call(&mut cluster.redis(index), &["EXISTS", &format!("_dyn:m:{key}")])).integer() == 1
}

#[test]
fn with_a_replica_unreachable_tombstones_wait_for_tombstone_gc_age() {
    let cluster = Cluster::start_with(
        Shape::THREE_RACKS,
        "dc_quorum",
        "  crdt_enabled: true\n  repair_interval: 0\n  repair_full_interval: 0\n  tombstone_gc_age: 3000\n",
    );
    let mut client = cluster.client(0);
    assert_eq!(show(&call(&mut client, &["SET", "age:gone", "x"])), "+OK\\r\\n");
    assert_eq!(Reply::parse(&call(&mut client, &["DEL", "age:gone"])).integer(), 1);
    let mut cluster = cluster;
    cluster.kill_redis(2);

    // Younger than tombstone_gc_age and not acknowledged by replica 2: kept.
    range_repair(&cluster, 0);
    for index in 0..2 {
        assert!(has_metadata(&cluster, index, "age:gone"), "tombstone kept on replica {index}");
    }
    // Older than tombstone_gc_age: collected on the replicas that answer, replica 2 still down.
    std::thread::sleep(std::time::Duration::from_millis(3_200));
    range_repair(&cluster, 0);
    for index in 0..2 {
        assert!(!has_metadata(&cluster, index, "age:gone"), "tombstone collected by age on replica {index}");
    }
    let status = repair_status(&cluster, 0);
    assert!(status["range"]["ranges_failed"].as_u64().unwrap() >= 1, "{status}");
}

/// The same repairs on the embedded datastore (the simulator's), nodes in this process: the scripts run
/// on the embedded Lua engine, `RPOP` with a count and `SCAN MATCH` on the embedded engine.
mod embedded {
    use std::sync::Arc;
    use std::time::Duration;

    use bytes::Bytes;
    use dynomite::clock::SystemClock;
    use dynomite::datastore::Datastore;
    use dynomite::node::{Node, NodeShared};
    use dynomite::repair::ranges::TokenRange;
    use dynomite_core::config::parse_config;
    use dynomite_core::resp::{Frame, Protocol};
    use dynomite_testkit::{free_port, RespConn};

    /// Polls of a condition before giving up (every 50 ms: 30 s).
    const POLLS_MAX: usize = 600;

    /// `dyn_o_mite` YAML of node `index` of a one-datacenter, three-rack cluster (one node per rack).
    fn yaml(ports: &[(u16, u16, u16)], index: usize) -> String {
        let seeds: String = (0..ports.len())
            .filter(|other| *other != index)
            .map(|other| format!("\n  - 127.0.0.1:{}:rack{other}:dc1:1", ports[other].1))
            .collect();
        let (client, peer, stats) = ports[index];
        format!(
            "dyn_o_mite:\n  listen: 127.0.0.1:{client}\n  dyn_listen: 127.0.0.1:{peer}\n  stats_listen: 127.0.0.1:{stats}\n  \
             datacenter: dc1\n  rack: rack{index}\n  tokens: '1'\n  data_store: embedded\n  dyn_seeds:{seeds}\n  \
             read_consistency: dc_quorum\n  write_consistency: dc_quorum\n  crdt_enabled: true\n  \
             repair_interval: 100\n  repair_full_interval: 0\n  tombstone_gc_age: 1000\n"
        )
    }

    /// Runs `args` on node `node`'s embedded datastore directly.
    fn exec(node: &NodeShared, args: &[&str]) -> Frame {
        let args: Vec<Bytes> = args.iter().map(|arg| Bytes::copy_from_slice(arg.as_bytes())).collect();
        match &node.datastore {
            Datastore::Embedded(store) => store.execute(&args, Protocol::Resp2),
            Datastore::Redis(_) => panic!("an embedded node"),
        }
    }

    /// Polls `condition` every 50 ms; false after [`POLLS_MAX`] polls.
    async fn eventually(mut condition: impl FnMut() -> bool) -> bool {
        for _ in 0..POLLS_MAX {
            if condition() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        false
    }

    /// Sends one command through node `port`'s client listener (a blocking client off the runtime).
    async fn client(port: u16, args: &[&str]) -> String {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let mut connection = RespConn::connect(port).expect("connect to the node");
            String::from_utf8_lossy(&connection.command(&args).expect("reply")).into_owned()
        })
        .await
        .expect("client task")
    }

    #[test]
    fn on_the_embedded_datastore_both_repairs_converge_replicas_and_collect_tombstones() {
        let runtime =
            tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async {
            let ports: Vec<(u16, u16, u16)> =
                (0..3).map(|_| (free_port(), free_port(), free_port())).collect();
            let mut nodes: Vec<Arc<NodeShared>> = Vec::new();
            for index in 0..3 {
                let config = parse_config(&yaml(&ports, index)).expect("valid YAML");
                let node = Node::bind(config, Arc::new(SystemClock)).await.expect("bind");
                nodes.push(node.shared());
                tokio::spawn(node.serve(std::future::pending()));
            }
            let linked = eventually(|| {
                nodes.iter().all(|node| node.peer_links().all(|(_, link)| link.health().is_connected()))
            })
            .await;
            assert!(linked, "peer links up");

            // Change log: replica 2 loses a write that replica 0 logged.
            assert_eq!(client(ports[0].0, &["SET", "e:k", "v"]).await, "+OK\r\n");
            assert!(
                eventually(|| nodes.iter().all(|node| exec(node, &["GET", "e:k"]) == Frame::bulk("v"))).await
            );
            exec(&nodes[2], &["DEL", "e:k", "_dyn:m:e:k"]);
            exec(&nodes[0], &["LPUSH", "_dyn:log", "e:k"]);
            assert!(
                eventually(|| exec(&nodes[2], &["GET", "e:k"]) == Frame::bulk("v")).await,
                "the change-log repair restores the lost write on the embedded engine"
            );

            // Range repair: replica 1 loses keys nobody logs any more; a deleted key leaves tombstones.
            for n in 0..5 {
                assert_eq!(client(ports[0].0, &["SET", &format!("e:r{n}"), "x"]).await, "+OK\r\n");
            }
            assert_eq!(client(ports[0].0, &["SET", "e:gone", "x"]).await, "+OK\r\n");
            assert_eq!(client(ports[0].0, &["DEL", "e:gone"]).await, ":1\r\n");
            assert!(
                // Drained and no sweep holding claimed keys: no change-log merge can land later.
                eventually(|| nodes.iter().all(|node| {
                    exec(node, &["LLEN", "_dyn:log"]) == Frame::Integer(0)
                        && exec(node, &["LLEN", "_dyn:log:claimed"]) == Frame::Integer(0)
                }))
                .await
            );
            for n in 0..5 {
                exec(&nodes[1], &["DEL", &format!("e:r{n}"), &format!("_dyn:m:e:r{n}")]);
            }
            tokio::time::sleep(Duration::from_millis(1_200)).await;
            nodes[0].repair.request_range_repair(Some(TokenRange::ALL)).expect("CRDT mode");
            assert!(
                eventually(|| nodes[0].repair.status().range.runs == 1).await,
                "the range repair finishes"
            );
            for n in 0..5 {
                assert_eq!(exec(&nodes[1], &["GET", &format!("e:r{n}")]), Frame::bulk("x"), "e:r{n} shipped");
            }
            for node in &nodes {
                assert_eq!(
                    exec(node, &["EXISTS", "_dyn:m:e:gone"]),
                    Frame::Integer(0),
                    "tombstone collected"
                );
            }
            let status = nodes[0].repair.status();
            assert!(status.range.keys_shipped >= 5, "{status:?}");
        });
    }
}

/// Figures for the README (ignored: run with `cargo test -p dynomite --release --test background_repair
/// -- --ignored --nocapture`): a range repair of `BENCH_KEYS` keys of which `BENCH_LOST` were removed
/// from one replica, at `repair_rate: 100000`.
#[test]
#[ignore]
fn range_repair_figures() {
    const BENCH_KEYS: usize = 20_000;
    const BENCH_LOST: usize = 1_000;
    let cluster = Cluster::start_with(
        Shape::THREE_RACKS,
        "dc_quorum",
        "  crdt_enabled: true\n  repair_interval: 0\n  repair_full_interval: 0\n  repair_rate: 100000\n",
    );
    let mut client = cluster.client(0);
    for chunk in (0..BENCH_KEYS).collect::<Vec<_>>().chunks(500) {
        for n in chunk {
            client.send(&["SET", &format!("bench:{n}"), "value"]).unwrap();
        }
        for _ in chunk {
            client.read_reply().unwrap();
        }
    }
    let mut lost = cluster.redis(1);
    for n in 0..BENCH_LOST {
        let key = format!("bench:{}", n * (BENCH_KEYS / BENCH_LOST));
        call(&mut lost, &["DEL", &key, &format!("_dyn:m:{key}")]);
    }
    let started = std::time::Instant::now();
    range_repair(&cluster, 0);
    let elapsed = started.elapsed();
    let status = repair_status(&cluster, 0);
    println!(
        "range repair of {BENCH_KEYS} keys, {BENCH_LOST} lost on one replica: {:.2} s; {}",
        elapsed.as_secs_f64(),
        status["range"]
    );
    let started = std::time::Instant::now();
    range_repair(&cluster, 0);
    println!(
        "again, nothing differing: {:.2} s; {}",
        started.elapsed().as_secs_f64(),
        repair_status(&cluster, 0)["range"]
    );
}

/// Figures for the README (ignored, like [`range_repair_figures`]): `BENCH_WRITES` keys written while
/// one replica's node is down (no hints, no range repair), then the time the change log takes to bring
/// them all to that replica after its restart, at `repair_rate: 100000`.
#[test]
#[ignore]
fn change_log_repair_figures() {
    const BENCH_WRITES: usize = 5_000;
    let mut cluster = Cluster::start_with(
        Shape::THREE_RACKS,
        "dc_quorum",
        "  crdt_enabled: true\n  repair_interval: 100\n  repair_full_interval: 0\n  repair_rate: 100000\n  \
         hints_max: 0\n",
    );
    cluster.kill(2);
    let mut client = cluster.client(0);
    for chunk in (0..BENCH_WRITES).collect::<Vec<_>>().chunks(500) {
        for n in chunk {
            client.send(&["SET", &format!("log-bench:{n}"), "value"]).unwrap();
        }
        for _ in chunk {
            client.read_reply().unwrap();
        }
    }
    let started = std::time::Instant::now();
    cluster.restart(2);
    let mut replica = cluster.redis(2);
    let caught_up = poll_until(deadline_in(120_000), || {
        Reply::parse(&call(&mut replica, &["DBSIZE"])).integer() >= 2 * BENCH_WRITES as i64
    });
    assert!(caught_up, "the replica never caught up");
    let status: Vec<serde_json::Value> =
        (0..2).map(|index| repair_status(&cluster, index)["changelog"].clone()).collect();
    println!(
        "change log: {BENCH_WRITES} keys written while a replica was down reached it {:.2} s after its restart; {status:?}",
        started.elapsed().as_secs_f64()
    );
}
