//! The CRDT scripts (`dynomite_core::crdt::scripts`) on the embedded engine against a real
//! redis-server 7.0.15, and the Rust merge against the Lua `merge` script.
//!
//! - `scripts_load_with_their_sha1`: `SCRIPT LOAD` of every script answers its registered SHA-1 on both.
//! - `write_scripts_agree_with_redis` (proptest): a generated sequence of covered client writes, each
//!   rewritten by `crdt::rewrite` with a generated timestamp (out of order, from three nodes; one
//!   write in eight is a retry) and sent as `EVALSHA` to both; every reply must be byte-equal, and
//!   afterwards every key's `state` script reply (metadata, type, data; PTTL within 1 s; set members
//!   compared as sets), the change log, the key list, and the `gc` script's replies and states at a
//!   horizon among the writes' timestamps, and the `read` script's replies. One write in eight is an
//!   uncovered (plain) write, so adoption of unmanaged data runs too. Half of the cases speak RESP3.
//! - `rust_merge_equals_lua_merge` (proptest): two replicas per engine receive different subsets of the
//!   writes; for every key the Rust `merge::merge` of the two parsed states is written to both replicas
//!   with the `merge` script (`KeyState::merge_args`); then both replicas must hold a state `same_as` the
//!   Rust merge, and the two engines must agree on every reply.
//!
//! Deadlines are far in the future (the two engines' clocks differ by milliseconds), so no key expires
//! during a case. The embedded engine's clock is the wall clock here (test only). `CASES` cases per
//! property (48) from a fixed seed; `CRDT_ENGINES_CASES=400` runs more, `CRDT_ENGINES_SEED=<u64>` others.
//!
//! - `equal_timestamps_converge`: replicas holding the same timestamp with different values (ZINCRBY
//!   or ZADD INCR applied on different earlier scores, plain SETs adopted by the same EXPIRE) converge on the larger bytes in one `merge` (reply > 0 on
//!   the stale replica), and a second `merge` answers 0 (the equal-timestamp rule of `crdt::state`).
//!
//! In `rust_merge_equals_lua_merge`, odd seeds also send plain (uncovered) writes, so adopted data and
//! values changed under an unchanged timestamp (APPEND, plain SET over a managed register) are merged.
//! Keys a replica holds unmanaged (no metadata at all) are skipped there: known open difference, the
//! `merge` script adopts such data at timestamp 0 (as every write script does) while the Rust merge
//! counts an unmanaged state as empty (a merge into it converges on the next repair round, with `d` =
//! the zero timestamp when the adopted type lost).

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use dynomite_core::crdt::merge::merge;
use dynomite_core::crdt::rewrite::rewrite;
use dynomite_core::crdt::scripts::{self, ScriptName};
use dynomite_core::crdt::state::KeyState;
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::resp::{encode, parse_frame, Frame, Protocol};
use dynomite_core::store::Store;
use dynomite_testkit::{RedisServer, RespConn};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Keys the generated writes touch.
const KEYS: &[&str] = &["k0", "k1", "k2"];
/// Elements (hash fields, set and zset members).
const MEMBERS: &[&str] = &["a", "b", "c"];
/// Change-log bound passed to the write scripts.
const CHANGELOG_MAX: u32 = 4;
/// `max_elements` of the state script.
const STATE_ELEMENTS_MAX: &str = "1000";
/// Generated cases per property (each runs tens of commands against redis-server); the environment
/// variable `CRDT_ENGINES_CASES` overrides it for longer local runs.
const CASES: u32 = 48;

fn cases() -> u32 {
    std::env::var("CRDT_ENGINES_CASES").ok().and_then(|cases| cases.parse().ok()).unwrap_or(CASES)
}

/// A proptest runner with a fixed seed (so CI runs the same cases every time); the environment
/// variable `CRDT_ENGINES_SEED` (a u64) picks other cases.
fn runner() -> TestRunner {
    let config = Config { cases: cases(), failure_persistence: None, ..Config::default() };
    let seed: u64 = std::env::var("CRDT_ENGINES_SEED").ok().and_then(|seed| seed.parse().ok()).unwrap_or(0);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    TestRunner::new_with_rng(config, rng)
}

fn wall_clock_ms() -> u64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    u64::try_from(elapsed.as_millis()).expect("ms fit u64")
}

fn words(args: &[&str]) -> Vec<Bytes> {
    args.iter().map(|arg| Bytes::copy_from_slice(arg.as_bytes())).collect()
}

fn show(args: &[Bytes]) -> String {
    args.iter().map(|arg| arg.escape_ascii().to_string()).collect::<Vec<_>>().join(" ")
}

/// One replica on each engine: an embedded store and a redis-server database.
struct Replica {
    store: Store,
    connection: RespConn,
    protocol: Protocol,
}

impl Replica {
    fn new(port: u16, db: usize, protocol: Protocol) -> Replica {
        let mut connection = RespConn::connect(port).expect("connect to redis-server");
        if protocol == Protocol::Resp3 {
            connection.command(&["HELLO", "3"]).expect("HELLO 3");
        }
        connection.command(&["SELECT", &db.to_string()]).expect("SELECT");
        connection.command(&["FLUSHDB"]).expect("FLUSHDB");
        let mut replica = Replica { store: Store::new(), connection, protocol };
        for script in scripts::all() {
            let (redis, engine) = replica.both(&[
                Bytes::from_static(b"SCRIPT"),
                Bytes::from_static(b"LOAD"),
                script.text.into(),
            ]);
            assert_eq!(redis, engine, "SCRIPT LOAD {:?}", script.name);
        }
        replica
    }

    /// Runs `args` on both engines: (redis bytes, engine bytes, engine frame).
    fn both_frames(&mut self, args: &[Bytes]) -> (Vec<u8>, Vec<u8>, Frame) {
        let redis = self.connection.command(args).expect("redis reply");
        let frame = self.store.execute(args, wall_clock_ms(), self.protocol);
        let mut engine = BytesMut::new();
        encode(&frame, self.protocol, &mut engine);
        (redis, engine.to_vec(), frame)
    }

    fn both(&mut self, args: &[Bytes]) -> (Vec<u8>, Vec<u8>) {
        let (redis, engine, _) = self.both_frames(args);
        (redis, engine)
    }

    /// The `state` script on both engines, checked equal (PTTL within 1 s); the parsed states.
    fn state(&mut self, key: &str) -> Result<(KeyState, KeyState), TestCaseError> {
        let state = &scripts::get(ScriptName::State).sha1;
        let args = words(&["EVALSHA", state, "1", key, STATE_ELEMENTS_MAX]);
        let (redis, engine, frame) = self.both_frames(&args);
        let fail = |error: String| TestCaseError::fail(error);
        let redis_frame =
            parse_frame(&Bytes::from(redis.clone())).map_err(|error| fail(error.to_string()))?;
        let parsed_redis = KeyState::parse(&redis_frame).map_err(|error| fail(error.to_string()))?;
        let parsed_engine = KeyState::parse(&frame).map_err(|error| fail(error.to_string()))?;
        // Byte-equal, or (set members come back in another order: the engine sorts them, Redis 7.0
        // walks its hash table) the same parsed state and observed type.
        let same = same_state_reply(&redis, &engine)
            || (parsed_redis.same_as(&parsed_engine)
                && parsed_redis.observed.data_type == parsed_engine.observed.data_type
                && (parsed_redis.observed.pttl_ms - parsed_engine.observed.pttl_ms).abs() <= 1000);
        prop_assert!(
            same,
            "state of {key} differs\n  redis:  {}\n  engine: {}",
            redis.escape_ascii(),
            engine.escape_ascii()
        );
        Ok((parsed_redis, parsed_engine))
    }
}

/// `read` replies `[state or nil, reply or nil]`: equal bytes, or the same parsed state (set members
/// in another order) and the same reply.
fn same_read_reply(redis: &[u8], engine: &Frame) -> bool {
    let Ok(redis) = parse_frame(&Bytes::copy_from_slice(redis)) else { return false };
    match (&redis, engine) {
        (Frame::Array(left), Frame::Array(right)) if left.len() == 2 && right.len() == 2 => {
            let state_equal = match (&left[0], &right[0]) {
                (Frame::Array(_), Frame::Array(_)) => {
                    match (KeyState::parse(&left[0]), KeyState::parse(&right[0])) {
                        (Ok(left), Ok(right)) => left.same_as(&right),
                        _ => false,
                    }
                }
                (left, right) => left == right,
            };
            state_equal && left[1] == right[1]
        }
        (left, right) => left == right,
    }
}

/// State replies end with `:<pttl>\r\n`; everything before must be equal, the PTTLs within 1 s.
fn same_state_reply(redis: &[u8], engine: &[u8]) -> bool {
    if redis == engine {
        return true;
    }
    let split = |reply: &[u8]| -> Option<(Vec<u8>, i64)> {
        let body = reply.strip_suffix(b"\r\n")?;
        let colon = body.iter().rposition(|byte| *byte == b':')?;
        let pttl = std::str::from_utf8(&body[colon + 1..]).ok()?.parse().ok()?;
        Some((body[..colon].to_vec(), pttl))
    };
    match (split(redis), split(engine)) {
        (Some((left, left_ttl)), Some((right, right_ttl))) => {
            left == right && left_ttl >= 0 && right_ttl >= 0 && (left_ttl - right_ttl).abs() <= 1000
        }
        _ => false,
    }
}

fn pick(rng: &mut ChaCha8Rng, choices: &[&str]) -> String {
    choices[rng.gen_range(0..choices.len())].to_string()
}

/// A generated client write (covered by `crdt::rewrite`).
fn client_write(rng: &mut ChaCha8Rng) -> Vec<String> {
    let key = pick(rng, KEYS);
    let value = pick(rng, &["v1", "v2", "10", "-3", ""]);
    let (m1, m2) = (pick(rng, MEMBERS), pick(rng, MEMBERS));
    let kind = pick(
        rng,
        &[
            "set", "setex", "setnx", "getset", "del", "mset", "hset", "hsetnx", "hdel", "hincrby", "sadd",
            "srem", "zadd", "zincrby", "zrem", "incrby", "incr", "decr", "expire", "persist",
        ],
    );
    match kind.as_str() {
        "set" => vec!["SET".into(), key, value],
        "setex" => vec!["SET".into(), key, value, "EX".into(), "100000".into()],
        "setnx" => vec!["SETNX".into(), key, value],
        "getset" => vec!["GETSET".into(), key, value],
        "del" => vec!["DEL".into(), key, KEYS[0].into()],
        "mset" => vec!["MSET".into(), key, value, KEYS[1].into(), "m".into()],
        "hset" => vec!["HSET".into(), key, m1, value, m2, "x".into()],
        "hsetnx" => vec!["HSETNX".into(), key, m1, value],
        "hdel" => vec!["HDEL".into(), key, m1],
        "hincrby" => vec!["HINCRBY".into(), key, m1, pick(rng, &["1", "5", "-2"])],
        "sadd" => vec!["SADD".into(), key, m1, m2],
        "srem" => vec!["SREM".into(), key, m1],
        "zadd" => {
            let mut zadd = vec!["ZADD".into(), key];
            let option = pick(rng, &["", "NX", "XX", "GT", "LT", "CH"]);
            if !option.is_empty() {
                zadd.push(option);
            }
            zadd.extend([pick(rng, &["1", "2.5", "-1"]), m1]);
            zadd
        }
        "zincrby" => vec!["ZINCRBY".into(), key, pick(rng, &["1", "0.5"]), m1],
        "zrem" => vec!["ZREM".into(), key, m1],
        "incrby" => vec!["INCRBY".into(), key, pick(rng, &["1", "7", "-4"])],
        "incr" => vec!["INCR".into(), key],
        "decr" => vec!["DECR".into(), key],
        "expire" => vec!["EXPIRE".into(), key, pick(rng, &["100000", "200000"])],
        _ => vec!["PERSIST".into(), key],
    }
}

/// A generated timestamp: a few milliseconds apart from three nodes, so writes arrive out of order;
/// the logical part is the write's sequence number, so distinct writes never share a timestamp (an
/// HLC never gives two writes one timestamp; a retry resends the same write, see [`Writes`]).
fn timestamp(rng: &mut ChaCha8Rng, base_ms: u64, sequence: u16) -> Timestamp {
    Timestamp::new(base_ms + rng.gen_range(0..12), sequence, rng.gen_range(1..4))
}

/// Generated writes as EVALSHA requests; one in eight is a retry of the previous one.
struct Writes {
    rng: ChaCha8Rng,
    base_ms: u64,
    sequence: u16,
    previous: Option<(String, Vec<Bytes>)>,
    /// Also generate plain (uncovered) writes.
    uncovered: bool,
}

/// Writes `rewrite` does not cover, sent as they are (the scripts adopt such data on their next touch).
fn uncovered_write(rng: &mut ChaCha8Rng) -> Vec<String> {
    let key = pick(rng, KEYS);
    match pick(rng, &["append", "plain-set", "plain-sadd", "plain-hset"]).as_str() {
        "append" => vec!["APPEND".into(), key, "+".into()],
        "plain-set" => vec!["SET".into(), key, pick(rng, &["u1", "7"])],
        "plain-sadd" => vec!["SADD".into(), key, pick(rng, MEMBERS)],
        _ => vec!["HSET".into(), key, pick(rng, MEMBERS), "u".into()],
    }
}

impl Writes {
    fn new(seed: u64) -> Writes {
        Writes {
            rng: ChaCha8Rng::seed_from_u64(seed),
            base_ms: wall_clock_ms() - 60_000,
            sequence: 0,
            previous: None,
            uncovered: false,
        }
    }

    /// Like [`Writes::new`], with one write in eight sent without a script (unmanaged data).
    fn with_uncovered(seed: u64) -> Writes {
        Writes { uncovered: true, ..Writes::new(seed) }
    }

    /// The next write (its client form for messages, its EVALSHA), or `None` when `rewrite` does not
    /// cover it.
    fn next(&mut self) -> Option<(String, Vec<Bytes>)> {
        if let Some(previous) = self.previous.clone().filter(|_| self.rng.gen_range(0..8) == 0) {
            return Some((format!("{} (retry)", previous.0), previous.1));
        }
        if self.uncovered && self.rng.gen_range(0..8) == 0 {
            let write = uncovered_write(&mut self.rng);
            let args = write.iter().map(|word| Bytes::from(word.clone())).collect();
            return Some((format!("{} (plain)", write.join(" ")), args));
        }
        let write = client_write(&mut self.rng);
        let args: Vec<Bytes> = write.iter().map(|word| Bytes::from(word.clone())).collect();
        self.sequence += 1;
        let ts = timestamp(&mut self.rng, self.base_ms, self.sequence);
        let evalsha = rewrite(&args, ts, wall_clock_ms(), CHANGELOG_MAX)?;
        self.previous = Some((write.join(" "), evalsha));
        self.previous.clone()
    }
}

#[test]
fn scripts_load_with_their_sha1() {
    let server = RedisServer::start();
    let mut replica = Replica::new(server.port(), 0, Protocol::Resp2);
    for script in scripts::all() {
        let args = [Bytes::from_static(b"SCRIPT"), Bytes::from_static(b"LOAD"), script.text.into()];
        let (redis, engine) = replica.both(&args);
        let expected = format!("${}\r\n{}\r\n", script.sha1.len(), script.sha1).into_bytes();
        assert_eq!(redis, expected, "redis-server's SHA-1 of {:?}", script.name);
        assert_eq!(engine, expected, "embedded SHA-1 of {:?}", script.name);
    }
}

#[test]
fn write_scripts_agree_with_redis() {
    let server = RedisServer::start();
    let mut runner = runner();
    runner
        .run(&(any::<u64>(), 1usize..40), |(seed, count)| {
            let mut writes = Writes::with_uncovered(seed);
            let protocol = if seed % 2 == 0 { Protocol::Resp2 } else { Protocol::Resp3 };
            let mut replica = Replica::new(server.port(), 0, protocol);
            let mut history = Vec::new();
            for _ in 0..count {
                let Some((write, evalsha)) = writes.next() else { continue };
                history.push(write);
                let (redis, engine) = replica.both(&evalsha);
                prop_assert_eq!(
                    redis.escape_ascii().to_string(),
                    engine.escape_ascii().to_string(),
                    "reply to {} differs; writes so far:\n{}",
                    show(&evalsha),
                    history.join("\n")
                );
            }
            let read = &scripts::get(ScriptName::Read).sha1;
            for key in KEYS {
                let (from_redis, from_engine) = replica.state(key)?;
                prop_assert!(from_redis.same_as(&from_engine), "{key}: parsed states differ");
                let (redis, engine, frame) =
                    replica.both_frames(&words(&["EVALSHA", read, "1", key, STATE_ELEMENTS_MAX, "GET", key]));
                prop_assert!(
                    redis == engine || same_read_reply(&redis, &frame),
                    "read of {key} differs\n  redis:  {}\n  engine: {}\nwrites:\n{}",
                    redis.escape_ascii(),
                    engine.escape_ascii(),
                    history.join("\n")
                );
            }
            let (redis, engine) = replica.both(&words(&["LRANGE", "_dyn:log", "0", "-1"]));
            prop_assert_eq!(redis, engine, "change log differs");
            let (redis, engine) = replica.both(&words(&["KEYS", "*"]));
            prop_assert_eq!(sorted_lines(&redis), sorted_lines(&engine), "key lists differ");
            // Tombstone GC at a horizon in the middle of the writes' timestamps.
            let horizon = Timestamp::new(writes.base_ms + 6, 0, 0).to_bytes();
            let gc = &scripts::get(ScriptName::Gc).sha1;
            for key in KEYS {
                let mut args = words(&["EVALSHA", gc, "1", key]);
                args.push(horizon.clone());
                let (redis, engine) = replica.both(&args);
                prop_assert_eq!(redis, engine, "gc reply for {} differs", key);
                let (from_redis, from_engine) = replica.state(key)?;
                prop_assert!(from_redis.same_as(&from_engine), "{key}: parsed states differ after gc");
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}

fn sorted_lines(reply: &[u8]) -> Vec<Vec<u8>> {
    let mut lines: Vec<Vec<u8>> = reply.split(|byte| *byte == b'\n').map(<[u8]>::to_vec).collect();
    lines.sort();
    lines
}

#[test]
fn rust_merge_equals_lua_merge() {
    let server = RedisServer::start();
    let mut runner = runner();
    runner
        .run(&(any::<u64>(), 1usize..40), |(seed, count)| {
            let mut writes = if seed % 2 == 0 { Writes::new(seed) } else { Writes::with_uncovered(seed) };
            let mut targets_rng = ChaCha8Rng::seed_from_u64(seed ^ 0x7a);
            let mut replicas =
                [Replica::new(server.port(), 0, Protocol::Resp2), Replica::new(server.port(), 1, Protocol::Resp2)];
            let mut history = Vec::new();
            for _ in 0..count {
                let Some((write, evalsha)) = writes.next() else { continue };
                let targets: u8 = targets_rng.gen_range(1..4);
                history.push(format!("{targets:02b} {write}"));
                for (index, replica) in replicas.iter_mut().enumerate() {
                    if targets & (1 << index) != 0 {
                        let (redis, engine) = replica.both(&evalsha);
                        prop_assert_eq!(
                            redis.escape_ascii().to_string(),
                            engine.escape_ascii().to_string(),
                            "reply to {} differs; writes so far:\n{}",
                            show(&evalsha),
                            history.join("\n")
                        );
                    }
                }
            }
            let merge_sha = &scripts::get(ScriptName::Merge).sha1;
            for key in KEYS {
                let (first, _) = replicas[0].state(key)?;
                let (second, _) = replicas[1].state(key)?;
                // Unmanaged data (no metadata yet) is a known open difference: the `merge` script adopts
                // it (timestamp 0) as every script does, the Rust merge counts it as nothing.
                if first.is_unmanaged() || second.is_unmanaged() {
                    continue;
                }
                let merged = merge(&[first.clone(), second.clone()]);
                if merged.has_no_metadata() {
                    continue;
                }
                let mut args = words(&["EVALSHA", merge_sha, "1", key]);
                args.extend(merged.merge_args(wall_clock_ms()));
                for replica in replicas.iter_mut() {
                    let (redis, engine) = replica.both(&args);
                    prop_assert_eq!(
                        redis.escape_ascii().to_string(),
                        engine.escape_ascii().to_string(),
                        "merge reply for {} differs; writes:\n{}",
                        key,
                        history.join("\n")
                    );
                }
                for (index, replica) in replicas.iter_mut().enumerate() {
                    let (from_redis, from_engine) = replica.state(key)?;
                    prop_assert!(
                        from_engine.same_as(&merged) && from_redis.same_as(&merged),
                        "replica {index}, key {key}: Lua merge differs from Rust merge\n  inputs: {:?}\n          {:?}\n  rust:   {:?}\n  engine: {:?}\n  redis:  {:?}\nwrites:\n{}",
                        first,
                        second,
                        merged,
                        from_engine,
                        from_redis,
                        history.join("\n")
                    );
                }
            }
            Ok(())
        })
        .unwrap_or_else(|failure| panic!("{failure}"));
}

/// Replicas with the same timestamp and different values converge in one `merge` on each engine.
#[test]
fn equal_timestamps_converge() {
    let server = RedisServer::start();
    let base = wall_clock_ms() - 60_000;
    let ts = |offset: u64, node: u32| Timestamp::new(base + offset, 0, node);
    let script =
        |args: &[&str], at: Timestamp| rewrite(&words(args), at, wall_clock_ms(), CHANGELOG_MAX).unwrap();
    // (key, writes on replica 0 only, writes on replica 1 only, writes on both).
    type Case = (&'static str, Vec<Vec<Bytes>>, Vec<Vec<Bytes>>, Vec<Vec<Bytes>>);
    let cases: Vec<Case> = vec![
        // ZINCRBY on different earlier scores: one timestamp, scores 1.5 and 0.5.
        (
            "k0",
            vec![script(&["ZADD", "k0", "1", "c"], ts(1, 1))],
            vec![],
            vec![script(&["ZINCRBY", "k0", "0.5", "c"], ts(2, 2))],
        ),
        // ZADD INCR on different earlier scores where the numeric and byte orders differ: 10 vs 9.5.
        (
            "k1",
            vec![script(&["ZADD", "k1", "1", "c"], ts(1, 1))],
            vec![script(&["ZADD", "k1", "0.5", "c"], ts(1, 1))],
            vec![script(&["ZADD", "k1", "INCR", "9", "c"], ts(2, 2))],
        ),
        // Data from before CRDT mode, adopted by the same EXPIRE (a = 0) with different values.
        (
            "k2",
            vec![words(&["SET", "k2", "a"])],
            vec![words(&["SET", "k2", "b"])],
            vec![script(&["EXPIRE", "k2", "100000"], ts(3, 3))],
        ),
    ];
    let merge_sha = &scripts::get(ScriptName::Merge).sha1;
    let mut replicas =
        [Replica::new(server.port(), 0, Protocol::Resp2), Replica::new(server.port(), 1, Protocol::Resp3)];
    for (key, first, second, shared) in cases {
        for (replica, own) in replicas.iter_mut().zip([first, second]) {
            for args in own.iter().chain(&shared) {
                let (redis, engine) = replica.both(args);
                assert_eq!(redis, engine, "{key}: reply to {}", show(args));
            }
        }
        let states: Vec<KeyState> =
            replicas.iter_mut().map(|replica| replica.state(key).unwrap().0).collect();
        assert!(!states[0].same_as(&states[1]), "{key}: the replicas differ only in a value: {states:?}");
        let merged = merge(&states);
        for state in &states {
            assert_eq!(state.key_timestamp(), merged.key_timestamp(), "{key}: same timestamps");
        }
        let mut args = words(&["EVALSHA", merge_sha, "1", key]);
        args.extend(merged.merge_args(wall_clock_ms()));
        for (index, replica) in replicas.iter_mut().enumerate() {
            let stale = !states[index].same_as(&merged);
            let (redis, engine) = replica.both(&args);
            assert_eq!(redis, engine, "{key}: merge reply of replica {index}");
            let expected: &[u8] = if stale { b":1\r\n" } else { b":0\r\n" };
            assert_eq!(redis, expected, "{key}: merge reply of replica {index} (stale: {stale})");
            let (from_redis, from_engine) = replica.state(key).unwrap();
            assert!(
                from_redis.same_as(&merged) && from_engine.same_as(&merged),
                "{key}: replica {index}: {from_redis:?} vs {merged:?}"
            );
            let (redis, _) = replica.both(&args);
            assert_eq!(redis, b":0\r\n", "{key}: a second merge changes nothing");
        }
    }
    // The larger bytes won: "1.5", "9.5" (not the numerically larger 10), "b".
    let scores = replicas[0].both(&words(&["ZSCORE", "k0", "c"])).0;
    assert_eq!(scores, b"$3\r\n1.5\r\n");
    assert_eq!(replicas[0].both(&words(&["ZSCORE", "k1", "c"])).0, b"$3\r\n9.5\r\n");
    assert_eq!(replicas[1].both(&words(&["GET", "k2"])).0, b"$1\r\nb\r\n");
}
