//! The CRDT Lua scripts (`core/src/crdt/scripts`) against a real redis-server 7:
//! - every covered write, rewritten into its script, answers byte for byte what plain Redis answers for
//!   the same command sequence on a fresh server (a counter op's reply being its applier's value, as the
//!   coordinator answers it), and leaves the same data;
//! - a counter op (INCR & co., HINCRBY) runs in two halves (`dynomite_core::crdt::counter`): its script
//!   on one replica, the applier, which adds the delta into the component its datastore owns, then the
//!   join of that component (`counter` script) on every other replica; the tests run them so;
//! - a write older than the stored timestamp is discarded; replaying an op is idempotent (a counter op's
//!   first half is sent once, never replayed; replaying its join changes nothing, so counters never
//!   double-count);
//! - concurrent writers' ops applied in different orders on two servers (counter ops as the joins of
//!   one applier's components) end in identical data and metadata; `merge` of one server's state into
//!   another converges; replicas that each saw part of the writes (counters included) merge into what a
//!   replica that saw every write holds;
//! - `read` answers the original reply for unmanaged keys;
//! - metadata bytes per key (printed: `cargo test -p dynomite-core --test crdt_scripts_redis -- --nocapture`).

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use dynomite_core::crdt::counter::{join_args, Applied, CounterOp};
use dynomite_core::crdt::merge::merge;
use dynomite_core::crdt::rewrite::rewrite;
use dynomite_core::crdt::scripts::{self, ScriptName};
use dynomite_core::crdt::state::KeyState;
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::resp::{parse_frame, Frame};
use dynomite_testkit::{RedisServer, RespConn};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const CHANGELOG_MAX: u32 = 1000;
const STATE_ELEMENTS_MAX: u32 = 10_000;

fn wall_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970").as_millis() as u64
}

fn words(command: &str) -> Vec<Bytes> {
    command.split(' ').map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
}

/// `command` as a coordinator sends it: rewritten into its script (plain when it is not covered) once,
/// with one wall clock reading (absolute deadlines), for every replica.
fn rewritten(command: &str, ts: Timestamp) -> Vec<Bytes> {
    let args = words(command);
    rewrite(&args, ts, wall_ms(), CHANGELOG_MAX).unwrap_or(args)
}

/// One redis-server with every script loaded.
struct Node {
    conn: RespConn,
    _server: RedisServer,
}

impl Node {
    fn start() -> Node {
        let server = RedisServer::start();
        let mut conn = RespConn::connect(server.port()).expect("connect");
        for script in scripts::all() {
            let reply = conn.command(&["SCRIPT", "LOAD", script.text]).expect("script load");
            let expected = format!("${}\r\n{}\r\n", script.sha1.len(), script.sha1);
            assert_eq!(String::from_utf8_lossy(&reply), expected, "SCRIPT LOAD of {}", script.name.as_str());
        }
        Node { conn, _server: server }
    }

    fn raw<A: AsRef<[u8]>>(&mut self, args: &[A]) -> Vec<u8> {
        self.conn.command(args).expect("redis reply")
    }

    fn plain(&mut self, command: &str) -> Vec<u8> {
        self.raw(&words(command))
    }

    /// The command through the CRDT rewrite (plain when it is not covered), as the client sees it: a
    /// counter op runs its first half here (this replica is its applier) and answers the applier's
    /// value as an integer, as the coordinator does.
    fn crdt(&mut self, command: &str, ts: Timestamp) -> Vec<u8> {
        self.crdt_counter_aware(command, ts).0
    }

    /// [`Node::crdt`], also returning, for a counter op that this replica applied (a reply
    /// `[value, id, s, p, n, h]`, not an error), the `counter` `EVALSHA` the other replicas run to join
    /// this replica's component ([`join_args`]).
    fn crdt_counter_aware(&mut self, command: &str, ts: Timestamp) -> (Vec<u8>, Option<Vec<Bytes>>) {
        self.apply(&rewritten(command, ts))
    }

    /// [`Node::crdt_counter_aware`] for a command already [`rewritten`].
    fn apply(&mut self, args: &[Bytes]) -> (Vec<u8>, Option<Vec<Bytes>>) {
        let reply = self.raw(args);
        if CounterOp::of(args).is_none() {
            return (reply, None);
        }
        let frame = parse_frame(&Bytes::from(reply.clone())).expect("a RESP reply");
        match Applied::parse(&frame) {
            Some(applied) => {
                let join = join_args(args, &applied).expect("a counter op has a join");
                (format!(":{}\r\n", applied.value).into_bytes(), Some(join))
            }
            // An error: the client's reply as it is, nothing to join.
            None => (reply, None),
        }
    }

    /// Runs a counter op's second half (`args` from [`Node::crdt_counter_aware`] on its applier):
    /// joins the applier's component; answers the counter's value here.
    fn join(&mut self, args: &[Bytes]) -> Vec<u8> {
        self.raw(args)
    }

    /// Runs here what a coordinator sends this replica for an op ([`rewritten`] into `args`) that
    /// another replica applied: the op itself, or for a counter op the join of the applier's component
    /// (`join`; none when the applier answered an error, which the coordinator passes to the client,
    /// joining nothing).
    fn replicate(&mut self, args: &[Bytes], join: Option<&[Bytes]>) {
        if CounterOp::of(args).is_none() {
            self.raw(args);
        } else if let Some(join) = join {
            self.join(join);
        }
    }

    fn frame(&mut self, args: &[Bytes]) -> Frame {
        let reply = self.raw(args);
        parse_frame(&Bytes::from(reply)).expect("a RESP reply")
    }

    fn state(&mut self, key: &str) -> KeyState {
        let args =
            words(&format!("EVALSHA {} 1 {key} {STATE_ELEMENTS_MAX}", scripts::get(ScriptName::State).sha1));
        let frame = self.frame(&args);
        KeyState::parse(&frame).unwrap_or_else(|error| panic!("state of {key}: {error} ({frame:?})"))
    }

    /// Merges `state` into `key`; returns the number of metadata fields changed.
    fn merge(&mut self, key: &str, state: &KeyState) -> i64 {
        let mut args = words(&format!("EVALSHA {} 1 {key}", scripts::get(ScriptName::Merge).sha1));
        args.extend(state.merge_args(wall_ms()));
        match self.frame(&args) {
            Frame::Integer(changed) => changed,
            other => panic!("merge of {key}: {other:?}"),
        }
    }

    /// Every key (data and metadata, not the change log) with its type and canonical content.
    /// `_dyn:id` (the id of the counter components this datastore owns: the timestamp of the first
    /// counter op it applied) is left out like the change log: it is this datastore's own, different on
    /// every replica by design, and what it names (the components in `_dyn:m:<key>`) is compared.
    fn dump(&mut self, with_metadata: bool) -> BTreeMap<String, String> {
        let keys = match self.frame(&words("KEYS *")) {
            Frame::Array(keys) => keys,
            other => panic!("KEYS: {other:?}"),
        };
        let mut out = BTreeMap::new();
        for key in keys {
            let Frame::Bulk(key) = key else { panic!("key {key:?}") };
            let name = String::from_utf8_lossy(&key).into_owned();
            if name == "_dyn:log" || name == "_dyn:id" || (!with_metadata && name.starts_with("_dyn:")) {
                continue;
            }
            out.insert(name.clone(), self.content(&name));
        }
        out
    }

    fn content(&mut self, key: &str) -> String {
        let kind = self.frame(&[Bytes::from_static(b"TYPE"), Bytes::copy_from_slice(key.as_bytes())]);
        let kind = match kind {
            Frame::Simple(kind) => String::from_utf8_lossy(&kind).into_owned(),
            other => panic!("TYPE {key}: {other:?}"),
        };
        let key_bytes = Bytes::copy_from_slice(key.as_bytes());
        let read = |name: &'static str| vec![Bytes::from_static(name.as_bytes()), key_bytes.clone()];
        let mut items = match kind.as_str() {
            "string" => vec![show(&self.frame(&read("GET")))],
            "hash" => pairs(&self.frame(&read("HGETALL"))),
            "set" => list(&self.frame(&read("SMEMBERS"))),
            "zset" => {
                let mut args = read("ZRANGE");
                args.extend(words("0 -1 WITHSCORES"));
                pairs(&self.frame(&args))
            }
            other => vec![other.to_string()],
        };
        items.sort();
        let ttl = match self.frame(&read("PTTL")) {
            Frame::Integer(ttl) if ttl >= 0 => "ttl",
            _ => "persistent",
        };
        format!("{kind} {ttl} {}", items.join(" "))
    }
}

/// Applies `command` at `ts` to `replicas` as a coordinator does: a counter op runs its first half on
/// `replicas[0]` (the applier) and the join of the applier's component on every other replica; any other
/// op runs on every replica. Returns the client's reply (the first replica's).
fn coordinate(replicas: &mut [&mut Node], command: &str, ts: Timestamp) -> Vec<u8> {
    let args = rewritten(command, ts);
    let (applier, others) = replicas.split_first_mut().expect("a replica");
    let (reply, join) = applier.apply(&args);
    for other in others {
        other.replicate(&args, join.as_deref());
    }
    reply
}

fn show(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(bytes) | Frame::Simple(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => format!("{other:?}"),
    }
}

fn list(frame: &Frame) -> Vec<String> {
    match frame {
        Frame::Array(items) => items.iter().map(show).collect(),
        other => panic!("not an array: {other:?}"),
    }
}

fn pairs(frame: &Frame) -> Vec<String> {
    let items = list(frame);
    items.chunks(2).map(|pair| format!("{}={}", pair[0], pair[1])).collect()
}

/// Timestamps for one test: strictly increasing, from a base near the wall clock.
struct Clock {
    next_ms: u64,
}

impl Clock {
    fn new() -> Clock {
        Clock { next_ms: wall_ms() }
    }

    fn tick(&mut self, node: u32) -> Timestamp {
        self.next_ms += 1;
        Timestamp::new(self.next_ms, 0, node)
    }
}

/// Command sequences whose replies (and final data) must equal plain Redis's.
const SEQUENCES: &[&[&str]] = &[
    &[
        "SET k v",
        "SET k w NX",
        "SET k x XX",
        "SET k y GET",
        "SET n v XX",
        "SET n v NX GET",
        "GET k",
        "GETSET k z",
        "GETSET none v",
        "SETNX k a",
        "SETNX fresh a",
        "SETEX e 100 v",
        "PSETEX p 100000 v",
        "SET t v EX 100",
        "SET t w KEEPTTL",
        "SET u v PX 100000",
        "SET u w",
        "SET x v EXAT 4000000000",
        "SET y v PXAT 4000000000000 GET",
        "GET fresh",
    ],
    &[
        "MSET a 1 b 2 c 3",
        "MGET a b c",
        "DEL a b x",
        "UNLINK c",
        "EXISTS a b c",
        "MSET a 5",
        "GET a",
        "MSET d 1 e 2 d 3",
        "MGET d e",
    ],
    &[
        "HSET h f 1 g 2",
        "HSET h f 3 x 4 f 5",
        "HMSET h y 5",
        "HSETNX h f 9",
        "HSETNX h z 9",
        "HDEL h f nope",
        "HINCRBY h g 5",
        "HINCRBY h new -3",
        "HINCRBY h y 1",
        "HSET h s abc",
        "HINCRBY h s 1",
        "HGET h g",
        "HDEL h g x y z new",
        "HLEN h",
        "HDEL h s",
        "EXISTS h",
    ],
    &["SADD s a b c", "SADD s a d a", "SREM s a x", "SREM s b c d", "EXISTS s", "SADD s q", "SCARD s"],
    &[
        "ZADD z 1 a 2 b",
        "ZADD z NX 5 a 3 c",
        "ZADD z XX CH 7 a 9 d",
        "ZADD z GT CH 1 a 8 b",
        "ZADD z LT 0 a",
        "ZADD z LT CH 10 a 1 e",
        "ZADD z INCR 2.5 c",
        "ZADD z NX INCR 1 c",
        "ZADD z XX INCR 1 nope",
        "ZINCRBY z 0.1 b",
        "ZADD z abc a",
        "ZADD z 1 a 2",
        "ZREM z a x",
        "ZSCORE z b",
        "ZADD z inf f -inf g",
        "ZREM z b c d e f g",
        "EXISTS z",
    ],
    &[
        "SET k v",
        "EXPIRE k 100",
        "EXPIRE k 50 GT",
        "EXPIRE k 200 GT",
        "EXPIRE k 10 NX",
        "EXPIRE k 300 XX",
        "EXPIRE k 400 LT",
        "PERSIST k",
        "PERSIST k",
        "EXPIRE nope 10",
        "PERSIST nope",
        "PEXPIRE k 100000",
        "EXPIREAT k 4000000000",
        "PEXPIREAT k 4000000000000",
        "EXPIRE k -1",
        "EXISTS k",
        "SET k again",
        "PEXPIREAT k 1",
        "GET k",
    ],
    &[
        "INCR c",
        "INCRBY c 10",
        "DECR c",
        "DECRBY c 4",
        "GET c",
        "SET s abc",
        "INCR s",
        "SET i 41",
        "INCR i",
        "INCRBY c -100",
        "SET c 7",
        "INCR c",
        "DEL c",
        "INCR c",
        "SET z 007",
        "INCR z",
        "INCRBY c 9007199254740000",
    ],
    &[
        "HSET h f 1",
        "INCR h",
        "SADD h x",
        "ZADD h 1 x",
        "HSET k f 1",
        "SET s v",
        "HSET s f 1",
        "HDEL s f",
        "SREM s m",
        "ZREM s m",
        "HINCRBY s f 1",
        "GETSET h v",
        "SET h v GET",
        "SET h v",
        "GET h",
        "SADD st m",
        "SET st x NX",
        "SETNX st y",
        "DEL h st s k",
        "LPUSH l a",
        "SET l v",
        "GET l",
        "LPUSH m a",
        "DEL m",
        "EXISTS m",
        "LPUSH n a",
        "EXPIRE n 100",
        "HSET n f v",
        "INCR n",
        "SETNX n v",
        "LLEN n",
    ],
];

#[test]
fn replies_and_data_match_plain_redis() {
    let mut plain = Node::start();
    let mut crdt = Node::start();
    let mut clock = Clock::new();
    for sequence in SEQUENCES {
        plain.plain("FLUSHALL");
        crdt.plain("FLUSHALL");
        for command in sequence.iter() {
            let expected = plain.plain(command);
            let got = crdt.crdt(command, clock.tick(1));
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "reply to {command:?} in {sequence:?}"
            );
        }
        assert_eq!(crdt.dump(false), plain.dump(false), "data after {sequence:?}");
    }
}

#[test]
fn expired_keys_come_back_as_new_keys_like_in_redis() {
    let mut plain = Node::start();
    let mut crdt = Node::start();
    let mut clock = Clock::new();
    let sequences: &[(&[&str], &[&str])] = &[
        // (writes, then after every deadline passed: writes and reads)
        (&["SET k v PX 30"], &["EXISTS k", "SADD k m", "SMEMBERS k", "PTTL k"]),
        (&["HSET h f 1 g 2", "PEXPIRE h 30"], &["HSET h g 3", "HGETALL h", "PTTL h"]),
        (&["INCR c", "PEXPIRE c 30"], &["INCR c", "GET c", "PTTL c"]),
        (&["SADD s a", "PEXPIRE s 30", "SADD s b"], &["SADD s c", "SMEMBERS s", "PTTL s"]),
        (&["ZADD z 1 a", "PEXPIRE z 30"], &["ZADD z 2 b", "ZRANGE z 0 -1", "DEL z", "EXISTS z"]),
    ];
    for (before, after) in sequences {
        plain.plain("FLUSHALL");
        crdt.plain("FLUSHALL");
        for command in before.iter() {
            assert_eq!(crdt.crdt(command, clock.tick(1)), plain.plain(command), "{command:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(80));
        clock.next_ms = clock.next_ms.max(wall_ms());
        for command in after.iter() {
            let (got, expected) = (crdt.crdt(command, clock.tick(1)), plain.plain(command));
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected),
                "{command:?} after {before:?}"
            );
        }
        assert_eq!(crdt.dump(false), plain.dump(false), "after {before:?} {after:?}");
    }
}

#[test]
fn older_writes_are_discarded() {
    let mut node = Node::start();
    let mut clock = Clock::new();
    let old = clock.tick(1);
    let new = clock.tick(2);
    let cases: &[(&str, &str, &str)] = &[
        // (newer write, older write arriving later, read that shows the newer one won)
        ("SET k new", "SET k old", "GET k"),
        ("HSET h f new", "HSET h f old", "HGET h f"),
        ("SREM s m", "SADD s m", "SISMEMBER s m"),
        ("ZADD z 2 m", "ZADD z 1 m", "ZSCORE z m"),
        ("DEL d", "SET d old", "EXISTS d"),
        ("PERSIST k", "EXPIRE k 100", "PTTL k"),
        ("HDEL h g", "HSET h g old", "HEXISTS h g"),
        ("ZREM z m", "ZADD z 5 m", "ZSCORE z m"),
        ("DEL c", "INCR c", "EXISTS c"),
    ];
    for (newer, older, read) in cases {
        node.plain("FLUSHALL");
        node.crdt(newer, new);
        let before = node.plain(read);
        let dump = node.dump(false);
        node.crdt(older, old);
        assert_eq!(node.plain(read), before, "{older:?} after {newer:?}");
        // The data is unchanged; the metadata may record the older op's (dominated) timestamp.
        assert_eq!(node.dump(false), dump, "{older:?} after {newer:?} changed the data");
    }
}

#[test]
fn replaying_an_op_is_idempotent() {
    // `node` applies every op (the applier of counter ops); `other` is a replica receiving the same ops
    // (counter ops as the joins of `node`'s components).
    let mut node = Node::start();
    let mut other = Node::start();
    let mut clock = Clock::new();
    let ops = [
        "SET k v",
        "MSET a 1 b 2",
        "HSET h f 1 g 2",
        "HDEL h g",
        "HINCRBY h c 5",
        "SADD s a b",
        "SREM s a",
        "ZADD z 1 a 2 b",
        "ZINCRBY z 3 a",
        "ZREM z b",
        "INCR c",
        "INCRBY c 10",
        "DECR c",
        "EXPIRE k 100",
        "PERSIST k",
        "DEL a",
    ];
    for op in ops {
        // A replay is the same message again: the op rewritten once.
        let args = rewritten(op, clock.tick(7));
        if CounterOp::of(&args).is_some() {
            // A counter op's first half is sent once, to its applier, and never replayed (it is not
            // hinted); what a replica may receive again is the join, the applier's included.
            let (reply, join) = node.apply(&args);
            let join =
                join.unwrap_or_else(|| panic!("{op:?} answered {:?}", String::from_utf8_lossy(&reply)));
            let applied = node.dump(true);
            for time in ["once", "twice"] {
                assert_eq!(node.join(&join), reply, "join of {op:?} ({time}) on its applier: its value");
                assert_eq!(node.dump(true), applied, "join of {op:?} ({time}) on its applier");
            }
            assert_eq!(other.join(&join), reply, "join of {op:?}: the same value on a replica");
            let once = other.dump(true);
            other.join(&join);
            assert_eq!(other.dump(true), once, "replayed join of {op:?}");
        } else {
            for replica in [&mut node, &mut other] {
                replica.raw(&args);
                let once = replica.dump(true);
                replica.raw(&args);
                assert_eq!(replica.dump(true), once, "replay of {op:?}");
            }
        }
        assert_eq!(
            other.dump(true),
            node.dump(true),
            "after {op:?}: the replica holds what the applier holds"
        );
    }
    for replica in [&mut node, &mut other] {
        assert_eq!(replica.plain("GET c"), b"$2\r\n10\r\n", "INCR, INCRBY 10, DECR each counted once");
        assert_eq!(replica.plain("HGET h c"), b"$1\r\n5\r\n");
    }
}

/// Ops from three coordinators on keys of every covered type (no DEL/SET of counters: a delete
/// concurrent with increments converges only by merge, documented in state.rs).
fn concurrent_ops(rng: &mut ChaCha8Rng) -> Vec<Vec<String>> {
    (0..3)
        .map(|node| {
            (0..25)
                .map(|i| {
                    let element = rng.gen_range(0..4);
                    match rng.gen_range(0..14) {
                        0 => format!("SET s v{node}-{i}"),
                        1 => "DEL s".to_string(),
                        2 => format!("HSET h f{element} v{node}-{i}"),
                        3 => format!("HDEL h f{element}"),
                        4 => format!("SADD set m{element}"),
                        5 => format!("SREM set m{element}"),
                        6 => format!("ZADD z {} m{element}", rng.gen_range(-5..5)),
                        7 => format!("ZREM z m{element}"),
                        8 => format!("INCRBY c {}", rng.gen_range(-3..10)),
                        9 => format!("HINCRBY hc f{} {}", element % 2, rng.gen_range(-3..10)),
                        10 => "EXPIREAT s 4000000000".to_string(),
                        11 => "PERSIST s".to_string(),
                        12 => format!("DEL {}", ["h", "set", "z"][element % 3]),
                        _ => format!("MSET s m{node}-{i} s2 x{i}"),
                    }
                })
                .collect()
        })
        .collect()
}

#[test]
fn concurrent_writers_converge_whatever_the_order() {
    // Counter ops are applied once, by `applier` (a third replica, seeing every op as issued: in
    // timestamp order); `first` and `second` receive their joins, other ops themselves.
    let mut applier = Node::start();
    let mut first = Node::start();
    let mut second = Node::start();
    for seed in 0..40u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let per_node = concurrent_ops(&mut rng);
        // Timestamps: each coordinator's ops increase; coordinators interleave.
        let base = wall_ms();
        let stamped: Vec<Vec<(Timestamp, String)>> = per_node
            .iter()
            .enumerate()
            .map(|(node, ops)| {
                let mut at = base;
                ops.iter()
                    .map(|op| {
                        at += rng.gen_range(1..4);
                        (Timestamp::new(at, 0, node as u32 + 1), op.clone())
                    })
                    .collect()
            })
            .collect();
        // First server: timestamp order. Second: a random interleaving that keeps each coordinator's
        // order (Dynomite keeps per-connection order).
        let mut by_time: Vec<(Timestamp, String)> = stamped.iter().flatten().cloned().collect();
        by_time.sort();
        let mut queues: Vec<std::collections::VecDeque<(Timestamp, String)>> =
            stamped.iter().map(|ops| ops.iter().cloned().collect()).collect();
        let mut shuffled = Vec::new();
        while queues.iter().any(|queue| !queue.is_empty()) {
            let mut live: Vec<usize> = (0..queues.len()).filter(|&i| !queues[i].is_empty()).collect();
            live.shuffle(&mut rng);
            shuffled.push(queues[live[0]].pop_front().expect("non-empty"));
        }
        for node in [&mut applier, &mut first, &mut second] {
            node.plain("FLUSHALL");
        }
        // What the coordinators send the two replicas for each op, by its (unique) timestamp: the op
        // rewritten once, and for a counter op the join of the applier's component.
        let mut sent: BTreeMap<Timestamp, (Vec<Bytes>, Option<Vec<Bytes>>)> = BTreeMap::new();
        for (ts, op) in &by_time {
            let args = rewritten(op, *ts);
            let (reply, join) = applier.apply(&args);
            if CounterOp::of(&args).is_some() && join.is_none() {
                panic!("seed {seed}: {op:?} answered {:?}", String::from_utf8_lossy(&reply));
            }
            sent.insert(*ts, (args, join));
        }
        for (ts, _) in &by_time {
            let (args, join) = &sent[ts];
            first.replicate(args, join.as_deref());
        }
        for (ts, _) in &shuffled {
            let (args, join) = &sent[ts];
            second.replicate(args, join.as_deref());
        }
        assert_eq!(first.dump(true), second.dump(true), "seed {seed}: orders {by_time:?} vs {shuffled:?}");
        // The joining replicas hold what the applier holds (its components, their data).
        assert_eq!(first.dump(true), applier.dump(true), "seed {seed}: replicas vs applier, {by_time:?}");
        for key in ["s", "s2", "h", "set", "z", "c", "hc"] {
            // Every state the scripts leave parses, and is already normalized (a merge with itself is a no-op).
            let state = first.state(key);
            assert!(
                merge(std::slice::from_ref(&state)).same_as(&state),
                "seed {seed}: {key} not normalized: {state:?}"
            );
            assert_eq!(second.merge(key, &state), 0, "seed {seed}: {key}");
        }
    }
}

#[test]
fn merging_partial_replicas_equals_applying_every_write() {
    let mut full = Node::start();
    let mut first = Node::start();
    let mut second = Node::start();
    for seed in 100..130u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut ops: Vec<(Timestamp, String)> = Vec::new();
        let base = wall_ms();
        for (node, node_ops) in concurrent_ops(&mut rng).into_iter().enumerate() {
            for (i, op) in node_ops.into_iter().enumerate() {
                ops.push((Timestamp::new(base + 3 * i as u64 + node as u64, 0, node as u32 + 1), op));
            }
        }
        ops.sort();
        for node in [&mut full, &mut first, &mut second] {
            node.plain("FLUSHALL");
        }
        // Each write reaches the first replica, the second, or both (a partial quorum write). `full` sees
        // every write and is the applier of counter ops: the others receive their joins.
        for (ts, op) in &ops {
            let args = rewritten(op, *ts);
            let (_, join) = full.apply(&args);
            let join = join.as_deref();
            match rng.gen_range(0..3) {
                0 => first.replicate(&args, join),
                1 => second.replicate(&args, join),
                _ => {
                    first.replicate(&args, join);
                    second.replicate(&args, join);
                }
            }
        }
        // Counters included: a join carries the applier's whole component (its totals so far), so a
        // replica that missed some joins of a component catches up with any later one, or by merge.
        for key in ["s", "s2", "h", "set", "z", "c", "hc"] {
            let (from_first, from_second) = (first.state(key), second.state(key));
            first.merge(key, &from_second);
            second.merge(key, &from_first);
            let expected = full.content(key);
            assert_eq!(first.content(key), expected, "seed {seed}: {key} on the first replica");
            assert_eq!(second.content(key), expected, "seed {seed}: {key} on the second replica");
            assert!(first.state(key).same_as(&full.state(key)), "seed {seed}: {key} metadata");
        }
    }
}

#[test]
fn merge_converges_replicas_that_saw_different_writes() {
    let mut first = Node::start();
    let mut second = Node::start();
    let mut clock = Clock::new();
    let keys = ["s", "h", "set", "z", "c", "hc", "gone"];
    // Both saw these.
    for op in [
        "SET s base",
        "HSET h a 1 b 2",
        "SADD set x y",
        "ZADD z 1 x",
        "INCR c",
        "HINCRBY hc f 2",
        "SET gone v",
    ] {
        // The first replica is the applier of the counter ops (INCR c, HINCRBY hc), the second joins.
        coordinate(&mut [&mut first, &mut second], op, clock.tick(1));
    }
    // Each saw only some (the counter ops among them applied there, their joins lost).
    for op in
        ["SET s first", "HDEL h a", "SREM set x", "ZADD z 5 y", "INCRBY c 10", "DEL gone", "HINCRBY hc f 1"]
    {
        first.crdt(op, clock.tick(2));
    }
    for op in
        ["HSET h a 9 c 3", "SADD set x z", "ZREM z x", "INCRBY c 100", "SET c 1", "INCR c", "HINCRBY hc g 4"]
    {
        second.crdt(op, clock.tick(3));
    }
    for key in keys {
        let from_first = first.state(key);
        let from_second = second.state(key);
        let rust = merge(&[from_first.clone(), from_second.clone()]);
        first.merge(key, &from_second);
        second.merge(key, &from_first);
        assert!(first.state(key).same_as(&second.state(key)), "{key}: states differ after merge");
        assert!(
            first.state(key).same_as(&rust),
            "{key}: the merge script stored {:?}, merge::merge gives {rust:?}",
            first.state(key)
        );
        assert_eq!(first.content(key), second.content(key), "{key}: data differs after merge");
        // Idempotent: merging again changes nothing.
        let again = second.state(key);
        assert_eq!(first.merge(key, &again), 0, "{key}: second merge changed fields");
    }
    assert_eq!(first.plain("GET s"), b"$5\r\nfirst\r\n");
    assert_eq!(first.plain("EXISTS gone"), b":0\r\n");
    // counter: SET c 1 (newest register) then INCR on the second server; first's INCRBY 10 is older.
    assert_eq!(first.plain("GET c"), b"$1\r\n2\r\n");
    assert_eq!(first.content("h"), "hash persistent a=9 b=2 c=3");
    assert_eq!(first.content("set"), "set persistent x y z");
    // hc: the shared HINCRBY hc f 2 counted once (applied by the first, joined by the second), then each
    // replica's own op.
    assert_eq!(first.content("hc"), "hash persistent f=3 g=4");
}

#[test]
fn read_returns_the_plain_reply_for_unmanaged_keys() {
    let mut node = Node::start();
    let read = scripts::get(ScriptName::Read).sha1.clone();
    node.plain("SET plain v");
    node.plain("HSET plainhash f 1");
    assert_eq!(
        node.plain(&format!("EVALSHA {read} 1 plain 100 GET plain")),
        b"*2\r\n$-1\r\n$1\r\nv\r\n".to_vec()
    );
    assert_eq!(
        node.plain(&format!("EVALSHA {read} 1 plainhash 100 HGETALL plainhash")),
        b"*2\r\n$-1\r\n*2\r\n$1\r\nf\r\n$1\r\n1\r\n".to_vec()
    );
    // Errors of the original command come back inside the reply.
    let wrong = node.plain(&format!("EVALSHA {read} 1 plainhash 100 GET plainhash"));
    assert!(String::from_utf8_lossy(&wrong).contains("-WRONGTYPE"), "{}", String::from_utf8_lossy(&wrong));
    // A managed key: the state, no reply.
    node.crdt("SET managed v", Clock::new().tick(1));
    let reply = node.frame(&words(&format!("EVALSHA {read} 1 managed 100 GET managed")));
    let Frame::Array(items) = reply else { panic!("read reply {reply:?}") };
    assert!(matches!(items[1], Frame::Null), "{items:?}");
    let state = KeyState::parse(&items[0]).expect("state");
    assert_eq!(state.live_string(wall_ms()), Some(Bytes::from_static(b"v")));
    // Too large: the plain reply instead of the state; the state script answers an error.
    node.crdt("SADD big a b c d", Clock::new().tick(1));
    assert_eq!(node.plain(&format!("EVALSHA {read} 1 big 2 SCARD big")), b"*2\r\n$-1\r\n:4\r\n".to_vec());
    let state = node.plain(&format!("EVALSHA {} 1 big 2", scripts::get(ScriptName::State).sha1));
    assert!(String::from_utf8_lossy(&state)
        .starts_with("-ERR dynomite: crdt state of key holds 5 elements, more than 2"));
}

#[test]
fn gc_removes_old_tombstones_only() {
    let mut node = Node::start();
    let mut clock = Clock::new();
    node.crdt("SADD s a b", clock.tick(1));
    node.crdt("SREM s a", clock.tick(1));
    let horizon = clock.tick(1);
    node.crdt("SREM s b", clock.tick(1));
    node.crdt("SET gone v", clock.tick(1));
    node.crdt("DEL gone", clock.tick(1));
    let gc = scripts::get(ScriptName::Gc).sha1.clone();
    // s: r:a is at or before the horizon (SREM already pruned e:a); r:b is newer.
    assert_eq!(node.plain(&format!("EVALSHA {gc} 1 s {horizon}")), b":1\r\n");
    assert_eq!(node.plain("HEXISTS _dyn:m:s r:b"), b":1\r\n");
    assert_eq!(node.plain("HEXISTS _dyn:m:s r:a"), b":0\r\n");
    // gone (t, d, xt, xa): its delete is newer than the horizon, then older than a later one.
    assert_eq!(node.plain(&format!("EVALSHA {gc} 1 gone {horizon}")), b":0\r\n");
    let later = clock.tick(1);
    assert_eq!(node.plain(&format!("EVALSHA {gc} 1 gone {later}")), b":4\r\n");
    assert_eq!(node.plain("EXISTS _dyn:m:gone"), b":0\r\n");
}

#[test]
fn metadata_bytes_per_key() {
    let mut node = Node::start();
    let mut clock = Clock::new();
    let memory =
        |node: &mut Node, key: &str| match node.frame(&words(&format!("MEMORY USAGE {key} SAMPLES 0"))) {
            Frame::Integer(bytes) => bytes,
            other => panic!("MEMORY USAGE {key}: {other:?}"),
        };
    node.crdt("SET string-key value-of-16-byte", clock.tick(1));
    let fields: Vec<String> = (0..10).map(|i| format!("field{i} value{i}")).collect();
    node.crdt(&format!("HSET hash-key {}", fields.join(" ")), clock.tick(1));
    node.crdt("INCRBY counter-key 5", clock.tick(1));
    for key in ["string-key", "hash-key", "counter-key"] {
        let data = memory(&mut node, key);
        let meta = memory(&mut node, &format!("_dyn:m:{key}"));
        println!("metadata bytes: {key}: data {data} B, metadata {meta} B (MEMORY USAGE, redis 7)");
        assert!(meta > 0 && meta < 2048, "{key}: {meta}");
    }
}
