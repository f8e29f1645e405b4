//! CRDT mode and read repair against real redis-server 7 (issue 9): three racks of one node each, every
//! node in front of its own Redis, `crdt_enabled` and `read_repairs_enabled` on, DC_QUORUM.
//!
//! - **The Netflix demonstration**: write `k` through the proxy, make one replica stale by hand (an
//!   older value with an older metadata timestamp written straight into its Redis, or the key and its
//!   metadata deleted there as if the write had never reached it); a DC_QUORUM read through the proxy
//!   returns the newest value, and the stale Redis, read directly, holds it again (read repair wrote the
//!   merge back). A value newer than everyone else's on one replica only (a partial write) spreads to
//!   the other replicas through the same read (late replies are merged and written back too), and the
//!   reading node's clock observed it: a write through that node afterwards wins.
//! - Concurrent writers through different nodes converge: every Redis holds the same value, hash, set
//!   and sorted set afterwards.
//! - Counters: INCR through three nodes at once sums right, on every replica.
//! - `/read_repairs/disable` (C Dynomite's text) stops repairs; `/read_repairs/enable` resumes them.
//! - The reserved `_dyn:` metadata keys are hidden from KEYS, SCAN and RANDOMKEY.
//! - SCRIPT FLUSH on every Redis is survived (NOSCRIPT → EVAL); a pipelined mix of covered writes,
//!   uncovered writes and repairing reads answers like one Redis; two datacenters; without CRDT mode
//!   `/read_repairs/enable` is refused and nothing writes metadata.

mod cluster;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use cluster::{bulk, call, deadline_in, poll_until, show, Cluster, Reply, Shape};

/// How long read repair's write-back and replication get to reach a Redis.
const CONVERGE_TIMEOUT_MS: u64 = 10_000;
/// Increments each of the three counter writers sends.
const INCREMENTS_PER_WRITER: i64 = 200;
/// Writes each concurrent writer sends.
const WRITES_PER_WRITER: usize = 200;
/// How long a disabled read repair gets to (wrongly) repair before the stale value is checked.
const NO_REPAIR_WAIT_MS: u64 = 500;

/// Settings every node of these tests gets: background repair off, so only read repair repairs.
const CRDT_YAML: &str =
    "  crdt_enabled: true\n  read_repairs_enabled: true\n  repair_interval: 0\n  repair_full_interval: 0\n";

fn start() -> Cluster {
    Cluster::start_with(Shape::THREE_RACKS, "dc_quorum", CRDT_YAML)
}

/// An encoded timestamp (24 hex: 12 physical ms, 4 logical, 8 node).
fn timestamp(physical_ms: u64, node: u32) -> String {
    format!("{physical_ms:012x}{:04x}{node:08x}", 0)
}

/// Unix time in ms (test side only).
fn wall_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}

/// The string value of `key` in one Redis, read directly.
fn redis_get(cluster: &Cluster, index: usize, key: &str) -> Vec<u8> {
    call(&mut cluster.redis(index), &["GET", key])
}

/// True once every Redis holds `expected` (raw RESP) for `args`.
fn all_redis_answer(cluster: &Cluster, args: &[&str], expected: &[u8]) -> bool {
    (0..cluster.len()).all(|index| call(&mut cluster.redis(index), args) == expected)
}

/// Waits until every Redis answers `args` with `expected`; panics with what each answered otherwise.
fn assert_converges(cluster: &Cluster, args: &[&str], expected: &[u8]) {
    let converged =
        poll_until(deadline_in(CONVERGE_TIMEOUT_MS), || all_redis_answer(cluster, args, expected));
    let answers: Vec<String> =
        (0..cluster.len()).map(|index| show(&call(&mut cluster.redis(index), args))).collect();
    assert!(converged, "{args:?}: expected {} on every Redis, got {answers:?}", show(expected));
}

/// One admin GET: (status line, body).
fn admin_get(cluster: &Cluster, index: usize, path: &str) -> (String, String) {
    let mut stream =
        TcpStream::connect(("127.0.0.1", cluster.spec(index).stats_port)).expect("connect admin");
    stream.set_read_timeout(Some(Duration::from_secs(5))).expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read answer");
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer.split_once("\r\n\r\n").map_or(String::new(), |(_, body)| body.to_string());
    (status, body)
}

/// A counter of node `index`'s `/info` pool object.
fn info_counter(cluster: &Cluster, index: usize, name: &str) -> u64 {
    let (_, body) = admin_get(cluster, index, "/info");
    let info: serde_json::Value = serde_json::from_str(&body).expect("info is JSON");
    info["dyn_o_mite"][name].as_u64().unwrap_or_else(|| panic!("no {name} in {info}"))
}

/// Replaces `key`'s value and metadata in one Redis by hand: a string register written at `stamp`.
fn plant_string(cluster: &Cluster, index: usize, key: &str, value: &str, stamp: &str) {
    let mut redis = cluster.redis(index);
    let meta = format!("_dyn:m:{key}");
    call(&mut redis, &["DEL", key, &meta]);
    assert_eq!(show(&call(&mut redis, &["SET", key, value])), "+OK\\r\\n");
    call(&mut redis, &["HSET", &meta, "t", "string", "a", stamp]);
}

/// The Netflix demonstration: one stale replica (older value, older timestamp) is outvoted by the merge
/// and repaired; so is one that lost the key and its metadata.
#[test]
fn quorum_read_returns_the_newest_value_and_repairs_the_stale_replica() {
    let cluster = start();
    let mut client = cluster.client(0);
    for (case, key) in ["older-value", "lost-write"].iter().zip(["netflix:a", "netflix:b"]) {
        assert_eq!(show(&call(&mut client, &["SET", key, "newest"])), "+OK\\r\\n", "{case}");
        assert_converges(&cluster, &["GET", key], &bulk("newest"));
        let stale = cluster.owners(key.as_bytes())[2];
        if *case == "older-value" {
            plant_string(&cluster, stale, key, "older", &timestamp(1_000, 7));
            assert_eq!(redis_get(&cluster, stale, key), bulk("older"));
        } else {
            call(&mut cluster.redis(stale), &["DEL", key, &format!("_dyn:m:{key}")]);
            assert_eq!(show(&redis_get(&cluster, stale, key)), "$-1\\r\\n");
        }
        let writes_before = info_counter(&cluster, 0, "read_repair_writes");
        // Any two of the three replicas include a fresh one, so the merge is the newest value.
        assert_eq!(show(&call(&mut client, &["GET", key])), show(&bulk("newest")), "{case}");
        assert_converges(&cluster, &["GET", key], &bulk("newest"));
        let meta = format!("_dyn:m:{key}");
        let fresh = cluster.owners(key.as_bytes())[0];
        let fresh_stamp = call(&mut cluster.redis(fresh), &["HGET", &meta, "a"]);
        assert_converges(&cluster, &["HGET", &meta, "a"], &fresh_stamp);
        assert!(
            info_counter(&cluster, 0, "read_repair_writes") > writes_before,
            "{case}: no write-back counted"
        );
    }
    assert!(info_counter(&cluster, 0, "read_repairs") >= 2);
}

/// A value newer than the others on one replica only (a write that reached one replica): the read's
/// late replies are merged too, so every replica ends with it.
#[test]
fn a_newer_value_on_one_replica_spreads_through_reads() {
    let cluster = start();
    let mut client = cluster.client(0);
    let key = "partial:write";
    assert_eq!(show(&call(&mut client, &["SET", key, "old"])), "+OK\\r\\n");
    assert_converges(&cluster, &["GET", key], &bulk("old"));
    let lucky = cluster.owners(key.as_bytes())[1];
    plant_string(&cluster, lucky, key, "new", &timestamp(wall_ms() + 3_600_000, 9));
    let spread = poll_until(deadline_in(CONVERGE_TIMEOUT_MS), || {
        call(&mut client, &["GET", key]);
        all_redis_answer(&cluster, &["GET", key], &bulk("new"))
    });
    assert!(spread, "the newer value did not reach every replica through quorum reads");
    assert_eq!(show(&call(&mut client, &["GET", key])), show(&bulk("new")));
    // The read made node 0's clock observe the planted timestamp (an hour ahead), so a write through
    // node 0 after it is newer and wins.
    assert_eq!(show(&call(&mut client, &["SET", key, "after-read"])), "+OK\\r\\n");
    assert_eq!(show(&call(&mut client, &["GET", key])), show(&bulk("after-read")));
    assert_converges(&cluster, &["GET", key], &bulk("after-read"));
}

/// Writers on three nodes race on the same keys; afterwards every Redis holds identical data.
#[test]
fn concurrent_writers_through_different_nodes_converge() {
    let cluster = start();
    std::thread::scope(|scope| {
        for writer in 0..3 {
            let cluster = &cluster;
            scope.spawn(move || {
                let mut client = cluster.client_at(writer, "dc_one");
                for round in 0..WRITES_PER_WRITER {
                    let value = format!("w{writer}-{round}");
                    call(&mut client, &["SET", "race:string", &value]);
                    call(&mut client, &["HSET", "race:hash", &format!("f{}", round % 5), &value]);
                    call(&mut client, &["SADD", "race:set", &format!("m{}", round % 7)]);
                    if round % 3 == writer {
                        call(&mut client, &["SREM", "race:set", &format!("m{}", (round + 1) % 7)]);
                    }
                    call(&mut client, &["ZADD", "race:zset", &round.to_string(), &format!("m{}", round % 4)]);
                }
            });
        }
    });
    for args in [
        &["GET", "race:string"][..],
        &["HGETALL", "race:hash"],
        &["SMEMBERS", "race:set"],
        &["ZRANGE", "race:zset", "0", "-1", "WITHSCORES"],
    ] {
        let same = poll_until(deadline_in(CONVERGE_TIMEOUT_MS), || {
            let answers: Vec<Vec<u8>> = (0..cluster.len())
                .map(|index| sorted_reply(&call(&mut cluster.redis(index), args), args[0]))
                .collect();
            answers.windows(2).all(|pair| pair[0] == pair[1])
        });
        let answers: Vec<String> =
            (0..cluster.len()).map(|index| show(&call(&mut cluster.redis(index), args))).collect();
        assert!(same, "{args:?} differs between replicas: {answers:?}");
    }
}

/// Unordered replies (HGETALL pairs, SMEMBERS) in one order, so replicas compare by content.
fn sorted_reply(raw: &[u8], command: &str) -> Vec<u8> {
    let Reply::Array(Some(items)) = Reply::parse(raw) else { return raw.to_vec() };
    let mut parts: Vec<String> = match command {
        "HGETALL" => items.chunks(2).map(|pair| format!("{:?}", pair)).collect(),
        "SMEMBERS" => items.iter().map(|item| format!("{item:?}")).collect(),
        _ => return raw.to_vec(),
    };
    parts.sort();
    parts.join("|").into_bytes()
}

/// INCR through three nodes at once: the counter is the sum on every replica and through the proxy.
#[test]
fn counters_incremented_through_three_nodes_sum_right() {
    let cluster = start();
    std::thread::scope(|scope| {
        for writer in 0..3 {
            let cluster = &cluster;
            scope.spawn(move || {
                let mut client = cluster.client(writer);
                for _ in 0..INCREMENTS_PER_WRITER {
                    let reply = Reply::parse(&call(&mut client, &["INCR", "counter:hits"]));
                    assert!(matches!(reply, Reply::Integer(_)), "INCR answered {reply:?}");
                }
                call(&mut client, &["DECRBY", "counter:hits", "5"]);
            });
        }
    });
    let expected = 3 * (INCREMENTS_PER_WRITER - 5);
    assert_converges(&cluster, &["GET", "counter:hits"], &bulk(&expected.to_string()));
    assert_eq!(
        show(&call(&mut cluster.client(1), &["GET", "counter:hits"])),
        show(&bulk(&expected.to_string()))
    );
}

/// Counters are owned by datastores: a replica that lost every increment (its key and metadata deleted
/// by hand) and then applies a new one keeps its own component beside the others' instead of replacing
/// them, and a quorum read repairs it to the full count. Each Redis names its components by its own
/// `_dyn:id`; every replica ends holding both appliers' components.
#[test]
fn a_replica_that_missed_increments_does_not_hide_them() {
    let cluster = start();
    let mut first = cluster.client(0);
    for _ in 0..10 {
        assert!(matches!(Reply::parse(&call(&mut first, &["INCR", "owned"])), Reply::Integer(_)));
    }
    assert_converges(&cluster, &["GET", "owned"], &bulk("10"));
    // Redis 2 loses the counter, then node 2 (its own Redis applies) increments it.
    call(&mut cluster.redis(2), &["DEL", "owned", "_dyn:m:owned"]);
    let mut third = cluster.client(2);
    let reply = Reply::parse(&call(&mut third, &["INCR", "owned"]));
    assert!(matches!(reply, Reply::Integer(_)), "INCR answered {reply:?}");
    // The other replicas joined Redis 2's new component beside Redis 0's: 11 there at once.
    assert_converges_on(&cluster, &[0, 1], &["GET", "owned"], &bulk("11"));
    // A quorum read through node 2 merges and repairs Redis 2.
    assert_eq!(show(&call(&mut third, &["GET", "owned"])), show(&bulk("11")));
    assert_converges(&cluster, &["GET", "owned"], &bulk("11"));
    let ids: Vec<Vec<u8>> = (0..3).map(|index| redis_get(&cluster, index, "_dyn:id")).collect();
    assert!(ids[0] != ids[2] && !ids[0].is_empty(), "each applier has its own id: {ids:?}");
    for index in 0..3 {
        let fields = call(&mut cluster.redis(index), &["HLEN", "_dyn:m:owned"]);
        // t, plus p, h, s of two components (no negative totals).
        assert_eq!(show(&fields), ":7\\r\\n", "Redis {index} holds both components");
    }
}

/// Waits until the Redis of every node in `indexes` answers `args` with `expected`.
fn assert_converges_on(cluster: &Cluster, indexes: &[usize], args: &[&str], expected: &[u8]) {
    let converged = poll_until(deadline_in(CONVERGE_TIMEOUT_MS), || {
        indexes.iter().all(|&index| call(&mut cluster.redis(index), args) == expected)
    });
    let answers: Vec<String> =
        indexes.iter().map(|&index| show(&call(&mut cluster.redis(index), args))).collect();
    assert!(converged, "{args:?}: expected {} on Redis {indexes:?}, got {answers:?}", show(expected));
}

/// `/read_repairs/disable`: a quorum read still answers, but the stale replica stays stale; enabling it
/// again repairs it on the next read.
#[test]
fn read_repairs_switch_off_and_on() {
    let cluster = start();
    let mut client = cluster.client(0);
    let key = "switch:key";
    assert_eq!(show(&call(&mut client, &["SET", key, "newest"])), "+OK\\r\\n");
    assert_converges(&cluster, &["GET", key], &bulk("newest"));
    let stale = cluster.owners(key.as_bytes())[2];
    for index in 0..cluster.len() {
        let (status, body) = admin_get(&cluster, index, "/read_repairs/disable");
        assert!(status.contains("200"), "{status}");
        assert_eq!(body, "Read Repairs: DISABLED\r\n");
    }
    plant_string(&cluster, stale, key, "older", &timestamp(1_000, 7));
    for _ in 0..5 {
        call(&mut client, &["GET", key]);
    }
    std::thread::sleep(Duration::from_millis(NO_REPAIR_WAIT_MS));
    assert_eq!(redis_get(&cluster, stale, key), bulk("older"), "repaired although read repair is off");
    let (_, body) = admin_get(&cluster, 0, "/read_repairs/enable");
    assert_eq!(body, "Read Repairs: ENABLED\r\n");
    let repaired = poll_until(deadline_in(CONVERGE_TIMEOUT_MS), || {
        call(&mut client, &["GET", key]);
        redis_get(&cluster, stale, key) == bulk("newest")
    });
    assert!(repaired, "read repair did not resume after /read_repairs/enable");
}

/// KEYS and SCAN through the proxy never show the reserved metadata keys.
#[test]
fn metadata_keys_are_hidden() {
    let cluster = start();
    let mut client = cluster.client(0);
    for key in ["visible:1", "visible:2", "visible:3"] {
        call(&mut client, &["SET", key, "v"]);
    }
    call(&mut client, &["HSET", "visible:h", "f", "v"]);
    assert_converges(&cluster, &["EXISTS", "_dyn:m:visible:1"], b":1\r\n");
    let keys = Reply::parse(&call(&mut client, &["KEYS", "*"])).items();
    let mut names: Vec<String> = keys.iter().map(Reply::text).collect();
    names.sort();
    assert_eq!(names, ["visible:1", "visible:2", "visible:3", "visible:h"]);
    let mut cursor = "0".to_string();
    let mut scanned = Vec::new();
    loop {
        let page = Reply::parse(&call(&mut client, &["SCAN", &cursor, "COUNT", "100"])).items();
        cursor = page[0].text();
        scanned.extend(page[1].items().iter().map(Reply::text));
        if cursor == "0" {
            break;
        }
    }
    assert!(scanned.iter().all(|key| !key.starts_with("_dyn:")), "SCAN showed {scanned:?}");
    assert_eq!(scanned.len(), 4, "{scanned:?}");
    for _ in 0..RANDOMKEY_TRIES {
        let key = Reply::parse(&call(&mut client, &["RANDOMKEY"])).text();
        assert!(key.starts_with("visible:"), "RANDOMKEY answered {key}");
    }
    // Deleted keys keep their metadata (tombstones): RANDOMKEY must still say the keyspace is empty.
    call(&mut client, &["DEL", "visible:1", "visible:2", "visible:3", "visible:h"]);
    assert_converges(&cluster, &["EXISTS", "visible:1", "visible:2", "visible:3", "visible:h"], b":0\r\n");
    assert_eq!(show(&call(&mut cluster.redis(0), &["EXISTS", "_dyn:m:visible:1"])), ":1\\r\\n");
    assert_eq!(show(&call(&mut client, &["RANDOMKEY"])), "$-1\\r\\n");
}

/// RANDOMKEY calls in the hidden-keys test (each node holds as many metadata keys as data keys).
const RANDOMKEY_TRIES: usize = 200;

/// Someone ran SCRIPT FLUSH on every Redis: writes (EVALSHA → NOSCRIPT → EVAL on the same connection)
/// and repairing reads keep working, and the data still reaches every replica.
#[test]
fn script_flush_is_survived() {
    let cluster = start();
    let mut client = cluster.client(0);
    assert_eq!(show(&call(&mut client, &["SET", "flush:k", "before"])), "+OK\\r\\n");
    for index in 0..cluster.len() {
        assert_eq!(show(&call(&mut cluster.redis(index), &["SCRIPT", "FLUSH"])), "+OK\\r\\n");
    }
    assert_eq!(show(&call(&mut client, &["SET", "flush:k", "after"])), "+OK\\r\\n");
    assert_eq!(show(&call(&mut client, &["INCRBY", "flush:c", "7"])), ":7\\r\\n");
    assert_eq!(show(&call(&mut client, &["GET", "flush:k"])), show(&bulk("after")));
    assert_converges(&cluster, &["GET", "flush:k"], &bulk("after"));
    assert_converges(&cluster, &["GET", "flush:c"], &bulk("7"));
    assert_converges(&cluster, &["EXISTS", "_dyn:m:flush:c"], b":1\r\n");
}

/// Two datacenters: multi-key writes (rewritten per fragment into one script call) reach every replica
/// of both datacenters, and a DC_EACH_SAFE_QUORUM read repairs a stale replica of the remote datacenter
/// (its entry node repairs its own datacenter).
#[test]
fn two_datacenters_replicate_scripts_and_repair_remotely() {
    let cluster = Cluster::start_with(Shape::TWO_DCS_THREE_RACKS, "dc_quorum", CRDT_YAML);
    let mut client = cluster.client(0);
    let reply = call(&mut client, &["MSET", "dc:a", "1", "dc:b", "2", "dc:c", "3"]);
    assert_eq!(show(&reply), "+OK\\r\\n");
    for (key, value) in [("dc:a", "1"), ("dc:b", "2"), ("dc:c", "3")] {
        assert_converges(&cluster, &["GET", key], &bulk(value));
    }
    assert_eq!(show(&call(&mut client, &["DEL", "dc:a", "dc:b"])), ":2\\r\\n");
    assert_converges(&cluster, &["EXISTS", "dc:a", "dc:b"], b":0\r\n");
    let key = "dc:c";
    let remote_stale = *cluster.owners(key.as_bytes()).last().expect("a remote replica");
    assert_ne!(cluster.spec(remote_stale).datacenter, cluster.spec(0).datacenter);
    plant_string(&cluster, remote_stale, key, "older", &timestamp(1_000, 7));
    let mut each = cluster.client_at(0, "dc_each_safe_quorum");
    assert_eq!(show(&call(&mut each, &["GET", key])), show(&bulk("3")));
    assert_converges(&cluster, &["GET", key], &bulk("3"));
}

/// Requests in the pipelined order case.
const PIPELINE_DEPTH: usize = 300;

/// The order contract holds in CRDT mode: a pipelined mix of covered writes (run as scripts), uncovered
/// ones (APPEND) and repairing reads, sent without waiting through each node at DC_ONE and DC_QUORUM,
/// answers reply for reply what one standalone Redis answers.
#[test]
fn pipelined_mix_answers_like_one_redis() {
    let cluster = start();
    let reference = dynomite_testkit::RedisServer::start();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move |bound: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % bound
    };
    for (node, level) in [(0, "dc_one"), (1, "dc_quorum"), (2, "dc_quorum"), (2, "dc_safe_quorum")] {
        let prefix = format!("mix-{node}-{level}");
        let mut commands: Vec<Vec<String>> = Vec::with_capacity(PIPELINE_DEPTH);
        for _ in 0..PIPELINE_DEPTH {
            let key = format!("{prefix}:k{}", next(3));
            let hash = format!("{prefix}:h{}", next(2));
            let set = format!("{prefix}:s");
            let value = next(100).to_string();
            let words: Vec<String> = match next(12) {
                0 => vec!["SET".into(), key, value],
                1 | 2 => vec!["GET".into(), key],
                3 => vec!["INCR".into(), format!("{prefix}:c")],
                4 => vec!["GET".into(), format!("{prefix}:c")],
                5 => vec!["DEL".into(), key],
                6 => vec!["APPEND".into(), key, value],
                7 => vec!["HSET".into(), hash, format!("f{}", next(3)), value],
                8 => vec!["HGET".into(), hash, format!("f{}", next(3))],
                9 => vec!["SADD".into(), set, value.chars().take(1).collect()],
                10 => vec!["SREM".into(), set, value.chars().take(1).collect()],
                _ => vec!["SCARD".into(), set],
            };
            commands.push(words);
        }
        let run = |connection: &mut dynomite_testkit::RespConn| -> Vec<Vec<u8>> {
            for words in &commands {
                connection.send(words).expect("send");
            }
            (0..commands.len()).map(|_| connection.read_reply().expect("reply")).collect()
        };
        let expected = run(&mut dynomite_testkit::RespConn::connect(reference.port()).expect("reference"));
        let actual = run(&mut cluster.client_at(node, level));
        let wrong: Vec<usize> = (0..expected.len()).filter(|&n| expected[n] != actual[n]).collect();
        assert!(
            wrong.is_empty(),
            "node {node} at {level}: {} of {PIPELINE_DEPTH} replies differ; first #{}: {:?} got {} expected {}",
            wrong.len(),
            wrong[0],
            commands[wrong[0]],
            show(&actual[wrong[0]]),
            show(&expected[wrong[0]])
        );
    }
}

/// Without CRDT mode there is nothing to merge: `/read_repairs/enable` is refused (409) and says why;
/// `/info` shows both switches off.
#[test]
fn read_repairs_need_crdt_mode() {
    let cluster = Cluster::start(Shape::ONE_RACK, "dc_one");
    let (status, body) = admin_get(&cluster, 0, "/read_repairs/enable");
    assert!(status.contains("409"), "{status}");
    assert!(body.contains("crdt_enabled: true"), "{body}");
    let (status, body) = admin_get(&cluster, 0, "/read_repairs/disable");
    assert!(status.contains("200"), "{status}");
    assert_eq!(body, "Read Repairs: DISABLED\r\n");
    let (_, body) = admin_get(&cluster, 0, "/info");
    let info: serde_json::Value = serde_json::from_str(&body).expect("info is JSON");
    assert_eq!(
        (info["crdt_enabled"].as_bool(), info["read_repairs_enabled"].as_bool()),
        (Some(false), Some(false))
    );
    let mut client = cluster.client(0);
    call(&mut client, &["SET", "plain", "v"]);
    assert_eq!(show(&call(&mut cluster.redis(0), &["EXISTS", "_dyn:m:plain"])), ":0\\r\\n");
}
