//! Clusters of real `dynomite` processes, each in front of its own `redis-server`: placement by token,
//! replication to every rack and datacenter, consistency levels, a killed node, diverged replicas,
//! multi-key commands, cluster-wide SCAN/KEYS/DBSIZE and scripts. Every wait is a bounded polling
//! loop; nothing depends on how fast the machine is.

mod cluster;

use std::collections::BTreeSet;

use cluster::{bulk, call, deadline_in, poll_until, show, Cluster, Reply, Shape};
use dynomite_testkit::{RedisServer, RespConn};

/// How long replication gets to settle before a test gives up.
const SETTLE_TIMEOUT_MS: u64 = 20_000;
/// Keys written per batch in the replication tests.
const KEYS_PER_BATCH: usize = 24;
/// Keys written for the cluster-wide SCAN test.
const SCAN_KEYS: usize = 500;
/// SCAN calls allowed before the cursor must have returned to 0.
const SCAN_CALLS_MAX: usize = 1_000;
/// Size of the value that must cross peer links intact.
const LARGE_VALUE_BYTES: usize = 4 * 1024 * 1024;
/// Requests pipelined on one client connection before reading replies.
const PIPELINE_DEPTH: usize = 2_000;
/// What a request for a dead peer's key gets at DC_ONE (no timeout: the link knows the peer is gone).
const PEER_ERRORS: [&str; 2] =
    ["-ERR Peer: Peer Node is not connected\\r\\n", "-ERR Peer: Peer Node is down\\r\\n"];
/// What a request gets when the Redis it needs is down.
const STORAGE_REFUSED: &str = "-ERR Storage: Datastore refused connection\\r\\n";
/// The quorum error text.
const NO_QUORUM: &str = "-ERR Dynomite: Failed to achieve Quorum\\r\\n";

/// Writes `key value` pairs through `node`, expecting +OK for each.
fn set_all(connection: &mut RespConn, pairs: &[(String, String)]) {
    for (key, value) in pairs {
        assert_eq!(show(&call(connection, &["SET", key, value])), "+OK\\r\\n", "SET {key}");
    }
}

/// `{prefix}:{n}` → `{prefix}-value-{n}` for `n` in `0..count`.
fn pairs(prefix: &str, count: usize) -> Vec<(String, String)> {
    (0..count).map(|n| (format!("{prefix}:{n}"), format!("{prefix}-value-{n}"))).collect()
}

/// Polls `GET key` on `connection` until it returns `value`; panics after the settle timeout.
fn wait_value(connection: &mut RespConn, key: &str, value: &str, what: &str) {
    let expected = bulk(value);
    let mut last = Vec::new();
    let reached = poll_until(deadline_in(SETTLE_TIMEOUT_MS), || {
        last = call(connection, &["GET", key]);
        last == expected
    });
    assert!(reached, "{what}: GET {key} never returned {value}; last reply {}", show(&last));
}

/// Sum of DBSIZE over the Redis servers of `nodes`.
fn redis_dbsize(cluster: &Cluster, nodes: &[usize]) -> i64 {
    nodes.iter().map(|&node| Reply::parse(&call(&mut cluster.redis(node), &["DBSIZE"])).integer()).sum()
}

#[test]
fn a_key_written_through_any_node_is_readable_through_every_node_and_stored_once_per_rack() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let one = pairs("one", KEYS_PER_BATCH);
    for (n, pair) in one.iter().enumerate() {
        set_all(&mut cluster.client(n % cluster.len()), std::slice::from_ref(pair));
    }
    for reader in 0..cluster.len() {
        let mut connection = cluster.client(reader);
        for (key, value) in &one {
            wait_value(&mut connection, key, value, &format!("DC_ONE read through node {reader}"));
        }
    }

    let safe = pairs("safe", KEYS_PER_BATCH);
    for (n, pair) in safe.iter().enumerate() {
        set_all(&mut cluster.client_at(n % cluster.len(), "dc_safe_quorum"), std::slice::from_ref(pair));
    }
    for reader in 0..cluster.len() {
        let mut connection = cluster.client_at(reader, "dc_safe_quorum");
        for (key, value) in &safe {
            let reply = call(&mut connection, &["GET", key]);
            assert_eq!(show(&reply), show(&bulk(value)), "DC_SAFE_QUORUM GET {key} through node {reader}");
        }
    }

    let written: Vec<_> = one.iter().chain(&safe).cloned().collect();
    for (datacenter, rack) in cluster.racks() {
        let nodes = cluster.rack_nodes(&datacenter, &rack);
        let full = poll_until(deadline_in(SETTLE_TIMEOUT_MS), || {
            redis_dbsize(&cluster, &nodes) == written.len() as i64
        });
        assert!(full, "{rack}'s Redis servers never held exactly {} keys", written.len());
        for (key, value) in &written {
            let owner = cluster.owner(&datacenter, &rack, key.as_bytes());
            for &node in &nodes {
                let mut redis = cluster.redis(node);
                let exists = Reply::parse(&call(&mut redis, &["EXISTS", key])).integer();
                assert_eq!(exists, i64::from(node == owner), "EXISTS {key} on node {node} (owner {owner})");
                if node == owner {
                    assert_eq!(show(&call(&mut redis, &["GET", key])), show(&bulk(value)));
                }
            }
        }
    }
}

#[test]
fn writes_through_one_datacenter_reach_every_redis_of_the_other() {
    let cluster = Cluster::start(Shape::TWO_DCS_THREE_RACKS, "dc_one");
    let first = cluster.racks().iter().filter(|(dc, _)| dc == "dc1").count();
    let written = pairs("across", KEYS_PER_BATCH);
    for (n, pair) in written.iter().enumerate() {
        set_all(&mut cluster.client(n % first), std::slice::from_ref(pair));
    }
    for remote in first..cluster.len() {
        assert_eq!(cluster.spec(remote).datacenter, "dc2");
        let mut redis = cluster.redis(remote);
        let mut through_node = cluster.client(remote);
        for (key, value) in &written {
            wait_value(&mut redis, key, value, &format!("dc2 Redis of node {remote}"));
            wait_value(&mut through_node, key, value, &format!("DC_ONE read through dc2 node {remote}"));
        }
    }
}

#[test]
fn each_safe_quorum_writes_are_immediately_readable_from_the_other_datacenter() {
    let cluster = Cluster::start(Shape::TWO_DCS_THREE_RACKS, "dc_one");
    let written = pairs("each", KEYS_PER_BATCH);
    let last = cluster.len() - 1;
    let mut writer = cluster.client_at(last, "dc_each_safe_quorum");
    set_all(&mut writer, &written);
    let mut reader = cluster.client_at(0, "dc_each_safe_quorum");
    for (key, value) in &written {
        assert_eq!(show(&call(&mut reader, &["GET", key])), show(&bulk(value)), "GET {key} through dc1");
    }
}

#[test]
fn a_killed_node_fails_fast_at_dc_one_is_outvoted_at_dc_quorum_and_serves_after_restart() {
    let mut cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let (dead, survivor) = (0, 1);
    assert_eq!(cluster.spec(dead).rack, cluster.spec(survivor).rack);
    let dead_key = cluster.key_owned_by(dead, "dead");
    let live_key = cluster.key_owned_by(survivor, "live");
    let mut writer = cluster.client_at(survivor, "dc_safe_quorum");
    set_all(&mut writer, &[(dead_key.clone(), "before".into()), (live_key.clone(), "alive".into())]);

    cluster.kill(dead);
    let mut one = cluster.client_at(survivor, "dc_one");
    for command in [vec!["GET", dead_key.as_str()], vec!["SET", dead_key.as_str(), "lost"]] {
        let reply = show(&call(&mut one, &command));
        assert!(
            PEER_ERRORS.contains(&reply.as_str()),
            "{command:?} owned by the dead node at DC_ONE: {reply}"
        );
    }
    // The failed DC_ONE SET still went to the other racks (no rollback); let it land before another
    // node writes the key, so the two writes cannot cross.
    for (datacenter, rack) in cluster.racks().into_iter().skip(1) {
        let owner = cluster.owner(&datacenter, &rack, dead_key.as_bytes());
        wait_value(&mut cluster.redis(owner), &dead_key, "lost", &format!("{rack}'s copy"));
    }
    let mut other_rack = cluster.client_at(cluster.len() - 1, "dc_one");
    assert_eq!(show(&call(&mut other_rack, &["SET", &dead_key, "other-rack"])), "+OK\\r\\n");
    assert_eq!(show(&call(&mut other_rack, &["GET", &dead_key])), show(&bulk("other-rack")));
    // Its copy for rack2 travels on another node's link: wait for it so the quorum below is decided.
    let rack2_owner = cluster.owner("dc1", "rack2", dead_key.as_bytes());
    wait_value(&mut cluster.redis(rack2_owner), &dead_key, "other-rack", "rack2's copy");
    assert_eq!(show(&call(&mut one, &["GET", &live_key])), show(&bulk("alive")));
    assert_eq!(show(&call(&mut one, &["SET", &live_key, "still"])), "+OK\\r\\n");
    assert_eq!(show(&call(&mut one, &["GET", &live_key])), show(&bulk("still")));

    let mut quorum = cluster.client_at(survivor, "dc_quorum");
    assert_eq!(show(&call(&mut quorum, &["SET", &dead_key, "outvoted"])), "+OK\\r\\n");
    assert_eq!(show(&call(&mut quorum, &["GET", &dead_key])), show(&bulk("outvoted")));
    let mut safe = cluster.client_at(survivor, "dc_safe_quorum");
    assert_eq!(show(&call(&mut safe, &["SET", &dead_key, "safe"])), "+OK\\r\\n");
    assert_eq!(show(&call(&mut safe, &["GET", &dead_key])), show(&bulk("safe")));

    cluster.restart(dead);
    let mut last = Vec::new();
    let serves = poll_until(deadline_in(SETTLE_TIMEOUT_MS), || {
        last = call(&mut one, &["SET", &dead_key, "again"]);
        last == b"+OK\r\n"
    });
    assert!(serves, "SET of the restarted node's key at DC_ONE never succeeded: {}", show(&last));
    assert_eq!(show(&call(&mut one, &["GET", &dead_key])), show(&bulk("again")));
    let mut restarted = cluster.client(dead);
    wait_value(&mut restarted, &live_key, "still", "DC_ONE read through the restarted node");
}

#[test]
fn dc_safe_quorum_reads_need_two_identical_replicas() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let coordinator = 0;
    let key = cluster.key_owned_by(coordinator, "diverge");
    let owners = cluster.owners(key.as_bytes());
    assert_eq!(owners.len(), 3, "one owner per rack");
    set_all(&mut cluster.client_at(coordinator, "dc_safe_quorum"), &[(key.clone(), "agreed".into())]);
    for &owner in &owners {
        wait_value(&mut cluster.redis(owner), &key, "agreed", &format!("Redis of rack owner {owner}"));
    }

    set_all(&mut cluster.redis(owners[1]), &[(key.clone(), "second".into())]);
    set_all(&mut cluster.redis(owners[2]), &[(key.clone(), "third".into())]);
    let mut safe = cluster.client_at(coordinator, "dc_safe_quorum");
    assert_eq!(show(&call(&mut safe, &["GET", &key])), NO_QUORUM, "three racks, three values");

    set_all(&mut cluster.redis(owners[2]), &[(key.clone(), "second".into())]);
    for reader in 0..cluster.len() {
        let mut connection = cluster.client_at(reader, "dc_safe_quorum");
        let reply = call(&mut connection, &["GET", &key]);
        assert_eq!(show(&reply), show(&bulk("second")), "majority value through node {reader}");
    }
}

/// Multi-key commands whose keys (`{prefix}:0..12`) span both nodes of every rack.
fn multi_key_script(prefix: &str) -> Vec<Vec<String>> {
    let lines = [
        "MSET {p}:0 a0 {p}:1 a1 {p}:2 a2 {p}:3 a3 {p}:4 a4 {p}:5 a5 {p}:6 a6 {p}:7 a7 {p}:8 a8 {p}:9 a9",
        "MGET {p}:0 {p}:1 {p}:2 {p}:3 {p}:4 {p}:5 {p}:6 {p}:7 {p}:8 {p}:9 {p}:99 {p}:3",
        "EXISTS {p}:0 {p}:1 {p}:99 {p}:0",
        "DEL {p}:0 {p}:99 {p}:0 {p}:5",
        "MGET {p}:0 {p}:5 {p}:6",
        "UNLINK {p}:6 {p}:7 {p}:98 {p}:7",
        "EXISTS {p}:6 {p}:7 {p}:8",
        "TOUCH {p}:8 {p}:9 {p}:97",
        "MSET {p}:1 b1 {p}:1 c1 {p}:11 b11",
        "MGET {p}:1 {p}:11",
        "SET {p}:12 not-a-list",
        "MGET {p}:12 {p}:1",
        "MSET {p}:1",
        "DEL {p}:1 {p}:2 {p}:3 {p}:4 {p}:8 {p}:9 {p}:11 {p}:12",
        "MGET {p}:1 {p}:2",
        "EXISTS {p}:1",
    ];
    lines.iter().map(|line| line.replace("{p}", prefix).split(' ').map(str::to_string).collect()).collect()
}

/// Runs the multi-key script through `connection` and on `reference`, comparing every reply.
fn compare_multi_key(connection: &mut RespConn, reference: &mut RespConn, prefix: &str, what: &str) {
    for command in multi_key_script(prefix) {
        let through_cluster = call(connection, &command);
        let direct = call(reference, &command);
        assert_eq!(show(&through_cluster), show(&direct), "{what}: {}", command.join(" "));
    }
}

#[test]
fn multi_key_commands_across_shards_answer_like_one_redis() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let reference_server = RedisServer::start();
    let mut reference = RespConn::connect(reference_server.port()).expect("connect to reference Redis");
    let spec = cluster.spec(2);
    let owners: BTreeSet<usize> =
        (0..10).map(|n| cluster.owner(&spec.datacenter, &spec.rack, format!("dc1:{n}").as_bytes())).collect();
    assert_eq!(owners.len(), 2, "the script's keys must span both nodes of a rack");
    compare_multi_key(&mut cluster.client(2), &mut reference, "dc1", "DC_ONE through node 2");
    let mut safe = cluster.client_at(5, "dc_safe_quorum");
    compare_multi_key(&mut safe, &mut reference, "sq", "DC_SAFE_QUORUM through node 5");

    let mut resp3 = cluster.client_at(3, "dc_quorum");
    call(&mut resp3, &["HELLO", "3"]);
    call(&mut reference, &["HELLO", "3"]);
    compare_multi_key(&mut resp3, &mut reference, "r3", "RESP3 at DC_QUORUM through node 3");
}

#[test]
fn cluster_scan_keys_and_dbsize_cover_the_rack_exactly_once() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let written = pairs("scan", SCAN_KEYS);
    let mut connection = cluster.client(0);
    for chunk in written.chunks(50) {
        let mut command = vec!["MSET".to_string()];
        command.extend(chunk.iter().flat_map(|(key, value)| [key.clone(), value.clone()]));
        assert_eq!(show(&call(&mut connection, &command)), "+OK\\r\\n");
    }
    let expected: BTreeSet<String> = written.iter().map(|(key, _)| key.clone()).collect();

    let mut seen = Vec::new();
    let mut cursor = "0".to_string();
    for calls in 0.. {
        assert!(calls < SCAN_CALLS_MAX, "SCAN did not return cursor 0 within {SCAN_CALLS_MAX} calls");
        let reply = Reply::parse(&call(&mut connection, &["SCAN", &cursor, "COUNT", "50"]));
        let parts = reply.items();
        cursor = parts[0].text();
        seen.extend(parts[1].items().iter().map(Reply::text));
        if cursor == "0" {
            break;
        }
    }
    let unique: BTreeSet<String> = seen.iter().cloned().collect();
    assert_eq!(seen.len(), unique.len(), "SCAN returned a key twice");
    assert_eq!(unique, expected, "SCAN must return every key");

    let keys = Reply::parse(&call(&mut connection, &["KEYS", "*"])).items();
    let keys: Vec<String> = keys.iter().map(Reply::text).collect();
    assert_eq!(keys.len(), SCAN_KEYS, "KEYS * returned a key twice or missed one");
    assert_eq!(keys.into_iter().collect::<BTreeSet<_>>(), expected);
    assert_eq!(Reply::parse(&call(&mut connection, &["DBSIZE"])).integer(), SCAN_KEYS as i64);

    let matching: Vec<String> =
        (0..SCAN_KEYS).map(|n| format!("scan:{n}")).filter(|key| key.starts_with("scan:1")).collect();
    let mut matched = BTreeSet::new();
    let mut cursor = "0".to_string();
    for calls in 0.. {
        assert!(calls < SCAN_CALLS_MAX, "SCAN MATCH did not return cursor 0 within {SCAN_CALLS_MAX} calls");
        let reply =
            Reply::parse(&call(&mut connection, &["SCAN", &cursor, "MATCH", "scan:1*", "COUNT", "50"]));
        let parts = reply.items();
        cursor = parts[0].text();
        for key in parts[1].items().iter().map(Reply::text) {
            assert!(matched.insert(key.clone()), "SCAN MATCH returned {key} twice");
        }
        if cursor == "0" {
            break;
        }
    }
    assert_eq!(matched, matching.into_iter().collect::<BTreeSet<_>>(), "SCAN MATCH scan:1*");

    let mut other_rack = cluster.client(cluster.len() - 1);
    let settled = poll_until(deadline_in(SETTLE_TIMEOUT_MS), || {
        Reply::parse(&call(&mut other_rack, &["DBSIZE"])) == Reply::Integer(SCAN_KEYS as i64)
    });
    assert!(settled, "DBSIZE through another rack never reached {SCAN_KEYS}");
}

#[test]
fn scripts_stay_on_one_node_and_script_load_reaches_every_node() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let first = cluster.key_owned_by(0, "script");
    let second = cluster.key_owned_by(1, "script");
    let mut connection = cluster.client(0);
    let spanning = call(&mut connection, &["EVAL", "return 1", "2", &first, &second]);
    assert_eq!(show(&spanning), "-ERR Dynomite: Keys in the script cannot span multiple nodes\\r\\n");
    let same_node = call(&mut connection, &["EVAL", "return #KEYS", "2", &first, &first]);
    assert_eq!(show(&same_node), ":2\\r\\n");
    set_all(&mut cluster.client_at(1, "dc_safe_quorum"), &[(second.clone(), "owned-by-1".into())]);
    for &owner in &cluster.owners(second.as_bytes()) {
        wait_value(&mut cluster.redis(owner), &second, "owned-by-1", &format!("Redis of rack owner {owner}"));
    }
    let forwarded = call(&mut connection, &["EVAL", "return redis.call('GET', KEYS[1])", "1", &second]);
    assert_eq!(show(&forwarded), show(&bulk("owned-by-1")), "EVAL forwarded to the key's owner");

    let script = "redis.call('SET', KEYS[1], ARGV[1]) return redis.call('GET', KEYS[1])";
    let sha = Reply::parse(&call(&mut connection, &["SCRIPT", "LOAD", script])).text();
    assert_eq!(sha.len(), 40, "SCRIPT LOAD returns a SHA1");
    for node in 0..cluster.len() {
        let exists = call(&mut cluster.redis(node), &["SCRIPT", "EXISTS", &sha]);
        assert_eq!(show(&exists), "*1\\r\\n:1\\r\\n", "script on node {node}'s Redis");
    }
    let exists = call(&mut cluster.client(cluster.len() - 1), &["SCRIPT", "EXISTS", &sha, &"0".repeat(40)]);
    assert_eq!(show(&exists), "*2\\r\\n:1\\r\\n:0\\r\\n", "SCRIPT EXISTS through another node");
    let other = cluster.len() - 1;
    assert_ne!(cluster.spec(other).rack, cluster.spec(0).rack);
    let mut elsewhere = cluster.client_at(other, "dc_safe_quorum");
    for key in [&first, &second] {
        let reply = call(&mut elsewhere, &["EVALSHA", &sha, "1", key, "from-script"]);
        assert_eq!(show(&reply), show(&bulk("from-script")), "EVALSHA {key} through node {other}");
        let read = call(&mut cluster.client_at(0, "dc_safe_quorum"), &["GET", key]);
        assert_eq!(show(&read), show(&bulk("from-script")), "GET {key} after EVALSHA");
    }
    assert_eq!(show(&call(&mut connection, &["SCRIPT", "FLUSH"])), "+OK\\r\\n");
    for node in 0..cluster.len() {
        let exists = call(&mut cluster.redis(node), &["SCRIPT", "EXISTS", &sha]);
        assert_eq!(show(&exists), "*1\\r\\n:0\\r\\n", "SCRIPT FLUSH reached node {node}'s Redis");
    }
}

#[test]
fn large_values_and_deep_pipelines_cross_peer_links_intact() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_safe_quorum");
    let key = cluster.key_owned_by(1, "large");
    let value: String = (0..LARGE_VALUE_BYTES).map(|n| char::from(b'a' + (n % 26) as u8)).collect();
    let mut through_other = cluster.client(0);
    set_all(&mut through_other, &[(key.clone(), value.clone())]);
    let reply = call(&mut cluster.client(3), &["GET", &key]);
    assert!(reply == bulk(&value), "GET of a {LARGE_VALUE_BYTES}-byte value: {} bytes back", reply.len());

    let mut pipelined = cluster.client(4);
    for n in 0..PIPELINE_DEPTH {
        pipelined.send(&["SET", &format!("pipe:{n}"), &format!("v{n}")]).expect("send");
    }
    for n in 0..PIPELINE_DEPTH {
        assert_eq!(show(&pipelined.read_reply().expect("reply")), "+OK\\r\\n", "pipelined SET {n}");
    }
    for n in 0..PIPELINE_DEPTH {
        pipelined.send(&["GET", &format!("pipe:{n}")]).expect("send");
    }
    for n in 0..PIPELINE_DEPTH {
        let reply = pipelined.read_reply().expect("reply");
        assert_eq!(show(&reply), show(&bulk(&format!("v{n}"))), "pipelined GET {n} in order");
    }
    // Every write below goes through this node, so its own rack has it before the next request
    // (one FIFO link per peer): KEYS of the rack is deterministic.
    let mixed: [(&[&str], String); 7] = [
        (&["SET", "mix:a", "1"], "+OK\\r\\n".into()),
        (&["KEYS", "mix:*"], "*1\\r\\n$5\\r\\nmix:a\\r\\n".into()),
        (&["MGET", "mix:a", "pipe:7", "mix:none"], "*3\\r\\n$1\\r\\n1\\r\\n$2\\r\\nv7\\r\\n$-1\\r\\n".into()),
        (&["SCRIPT", "EXISTS", "0000000000000000000000000000000000000000"], "*1\\r\\n:0\\r\\n".into()),
        (&["INCR", "mix:a"], ":2\\r\\n".into()),
        (&["EXISTS", "mix:a", "pipe:1", "mix:none"], ":2\\r\\n".into()),
        (&["GET", "mix:a"], show(&bulk("2"))),
    ];
    for (command, _) in &mixed {
        pipelined.send(command).expect("send");
    }
    for (command, expected) in &mixed {
        let reply = pipelined.read_reply().expect("reply");
        assert_eq!(&show(&reply), expected, "mixed pipeline: {command:?}");
    }
}

#[test]
fn randomkey_finds_a_key_held_by_another_node_of_the_rack() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let key = cluster.key_owned_by(0, "random");
    set_all(&mut cluster.client_at(0, "dc_safe_quorum"), &[(key.clone(), "only".into())]);
    for &owner in &cluster.owners(key.as_bytes()) {
        wait_value(&mut cluster.redis(owner), &key, "only", &format!("Redis of rack owner {owner}"));
    }
    for node in 0..cluster.len() {
        let reply = call(&mut cluster.client(node), &["RANDOMKEY"]);
        assert_eq!(show(&reply), show(&bulk(&key)), "RANDOMKEY through node {node}: the rack's only key");
    }
}

#[test]
fn a_dead_datastore_fails_dc_one_is_outvoted_at_quorum_and_serves_when_back() {
    let mut cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "dc_one");
    let (broken, neighbour) = (0, 1);
    let key = cluster.key_owned_by(broken, "storage");
    set_all(&mut cluster.client_at(neighbour, "dc_safe_quorum"), &[(key.clone(), "kept".into())]);

    cluster.kill_redis(broken);
    let reply = show(&call(&mut cluster.client_at(broken, "dc_one"), &["GET", &key]));
    assert_eq!(reply, STORAGE_REFUSED, "GET through the node itself at DC_ONE");
    // Writes go through the neighbour only: its links are FIFO, so later reads see them in order.
    let mut one = cluster.client_at(neighbour, "dc_one");
    for command in [vec!["GET", key.as_str()], vec!["SET", key.as_str(), "lost"]] {
        let reply = show(&call(&mut one, &command));
        assert_eq!(reply, STORAGE_REFUSED, "{command:?} through node {neighbour} at DC_ONE");
    }
    // The DC_ONE SET failed on its deciding replica, yet it was replicated to the other racks as
    // every write is (Dynomite has no rollback): the quorum levels read "lost" first.
    let mut previous = "lost";
    for level in ["dc_quorum", "dc_safe_quorum"] {
        let mut connection = cluster.client_at(neighbour, level);
        assert_eq!(show(&call(&mut connection, &["GET", &key])), show(&bulk(previous)), "GET at {level}");
        assert_eq!(show(&call(&mut connection, &["SET", &key, level])), "+OK\\r\\n", "SET at {level}");
        assert_eq!(show(&call(&mut connection, &["GET", &key])), show(&bulk(level)), "GET at {level}");
        previous = level;
    }

    cluster.restart_redis(broken);
    let mut one = cluster.client_at(neighbour, "dc_one");
    let mut last = Vec::new();
    let serves = poll_until(deadline_in(SETTLE_TIMEOUT_MS), || {
        last = call(&mut one, &["SET", &key, "back"]);
        last == b"+OK\r\n"
    });
    assert!(serves, "SET at DC_ONE never succeeded after Redis came back: {}", show(&last));
    assert_eq!(show(&call(&mut one, &["GET", &key])), show(&bulk("back")));
}

#[test]
fn dc_each_safe_quorum_reads_fail_when_the_remote_datacenter_disagrees() {
    let cluster = Cluster::start(Shape::TWO_DCS_THREE_RACKS, "dc_one");
    let key = "each:diverge";
    set_all(&mut cluster.client_at(0, "dc_each_safe_quorum"), &[(key.to_string(), "agreed".into())]);
    let remote: Vec<usize> =
        (0..cluster.len()).filter(|&node| cluster.spec(node).datacenter == "dc2").collect();
    for &node in &remote {
        wait_value(&mut cluster.redis(node), key, "agreed", &format!("dc2 Redis of node {node}"));
    }
    let mut each = cluster.client_at(0, "dc_each_safe_quorum");
    assert_eq!(show(&call(&mut each, &["GET", key])), show(&bulk("agreed")));

    for (n, &node) in remote.iter().enumerate() {
        set_all(&mut cluster.redis(node), &[(key.to_string(), format!("remote-{n}"))]);
    }
    assert_eq!(show(&call(&mut each, &["GET", key])), NO_QUORUM, "dc2's three racks all differ");
    let mut local_only = cluster.client_at(0, "dc_safe_quorum");
    assert_eq!(show(&call(&mut local_only, &["GET", key])), show(&bulk("agreed")), "dc1 alone agrees");

    set_all(&mut cluster.redis(remote[0]), &[(key.to_string(), "remote-1".into())]);
    assert_eq!(
        show(&call(&mut each, &["GET", key])),
        show(&bulk("agreed")),
        "each DC reaches its own safe quorum; the local datacenter's value is the reply"
    );
}

#[test]
fn yaml_consistency_applies_until_a_connection_overrides_it() {
    let cluster = Cluster::start(Shape::ONE_DC_THREE_RACKS_TWO_NODES, "DC_SAFE_QUORUM");
    let coordinator = 2;
    let key = cluster.key_owned_by(coordinator, "yaml");
    set_all(&mut cluster.client(coordinator), &[(key.clone(), "agreed".into())]);
    let owners = cluster.owners(key.as_bytes());
    for &owner in &owners {
        wait_value(&mut cluster.redis(owner), &key, "agreed", &format!("Redis of rack owner {owner}"));
    }
    for (n, &owner) in owners.iter().enumerate() {
        set_all(&mut cluster.redis(owner), &[(key.clone(), format!("rack-{n}"))]);
    }
    let local = owners.iter().position(|&owner| cluster.spec(owner).rack == cluster.spec(coordinator).rack);
    let local_value = format!("rack-{}", local.expect("the coordinator's rack has an owner"));
    let mut connection = cluster.client(coordinator);
    assert_eq!(show(&call(&mut connection, &["GET", &key])), NO_QUORUM, "YAML level is DC_SAFE_QUORUM");
    let reply = call(&mut connection, &["DYNO_CONFIG:CONN_CONSISTENCY", "dc_one"]);
    assert_eq!(show(&reply), "+OK\\r\\n");
    assert_eq!(
        show(&call(&mut connection, &["GET", &key])),
        show(&bulk(&local_value)),
        "DC_ONE: the local rack"
    );
    let refused = show(&call(&mut connection, &["DYNO_CONFIG:CONN_CONSISTENCY", "dc_most"]));
    assert!(refused.starts_with("-ERR "), "an unknown level is refused: {refused}");
    assert_eq!(show(&call(&mut connection, &["GET", &key])), show(&bulk(&local_value)), "level unchanged");
    assert_eq!(show(&call(&mut cluster.client(coordinator), &["GET", &key])), NO_QUORUM, "per connection");
}

#[test]
fn a_dead_remote_node_leaves_local_levels_unaffected() {
    let mut cluster = Cluster::start(Shape::TWO_DCS_THREE_RACKS, "dc_one");
    let dead = cluster.len() / 2;
    assert_eq!((cluster.spec(dead).datacenter.as_str(), cluster.spec(dead).rack.as_str()), ("dc2", "rack1"));
    cluster.kill(dead);
    for level in ["dc_one", "dc_quorum", "dc_safe_quorum"] {
        let mut connection = cluster.client_at(0, level);
        assert_eq!(
            show(&call(&mut connection, &["SET", "remote-dead", level])),
            "+OK\\r\\n",
            "SET at {level}"
        );
        assert_eq!(
            show(&call(&mut connection, &["GET", "remote-dead"])),
            show(&bulk(level)),
            "GET at {level}"
        );
    }
    // dc1/rack2 enters dc2 through dc2/rack2, which is alive: every DC reaches its safe quorum.
    let mut each = cluster.client_at(1, "dc_each_safe_quorum");
    assert_eq!(show(&call(&mut each, &["SET", "remote-each", "v"])), "+OK\\r\\n");
    assert_eq!(show(&call(&mut each, &["GET", "remote-each"])), show(&bulk("v")));
    for node in (dead + 1)..cluster.len() {
        wait_value(&mut cluster.redis(node), "remote-each", "v", &format!("dc2 Redis of node {node}"));
    }
}
