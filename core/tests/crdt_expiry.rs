//! Expiry in CRDT mode: one rule (`crdt::state`, section "Expiry") on the Lua side and the Rust side.
//!
//! Generated op sequences mix SET (plain, EX, PX, PXAT, KEEPTTL), HSET/HDEL, SADD/SREM, ZADD/ZREM,
//! DEL, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT and PERSIST, with HLC timestamps from three coordinators
//! (all at or before `now`) and deadlines before and after `now` and before and after the op itself.
//! Each op is rewritten by `crdt::rewrite` (relative TTLs from the op's own time) and applied to four
//! replicas at the same `now`:
//! - `full` gets every op in timestamp order, `shuffled` every op in a random order: their data,
//!   metadata and deadlines must be identical (applying an op is a join);
//! - `a` and `b` each get a random part of the ops (every op reaches at least one), each in its own
//!   random order; per key, the Rust `merge` of their parsed states, settled at `now`, is written to both
//!   with the Lua `merge` script: both must then hold a state `same_as` the Rust one and identical data,
//!   metadata and deadlines, equal to `full`'s;
//! - `answer` of the merged state (and of `full`'s own state) must equal the reply of every read (GET,
//!   HGETALL, SMEMBERS, ZRANGE WITHSCORES, TYPE, EXISTS, PEXPIRETIME) on `full`.
//!
//! Not generated: timestamps ahead of `now` (HLC ahead of the datastore's clock) and an expiry op
//! reaching a replica after its deadline while a newer cancelling op reached another replica in time
//! (in real time; here every replica applies at the same `now`): the documented limits of the rule.
//! Conditional ops (NX/XX/GT/LT) and writes of two types to one key are left out: their effect depends
//! on the replica's current data, as in Redis, so no rule makes them order-independent.
//!
//! `expiry_rule_holds_on_the_embedded_engine` runs 400 sequences on embedded stores with a fixed clock;
//! `expiry_rule_holds_on_redis` runs 40 on four databases of a real redis-server 7 (its clock is the
//! wall clock, so deadlines stay 1.5 s or more away from `now`). Replay one seed with
//! `CRDT_EXPIRY_SEED=<n> cargo test -p dynomite-core --test crdt_expiry`.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use dynomite_core::crdt::answer::answer;
use dynomite_core::crdt::merge::merge;
use dynomite_core::crdt::rewrite::rewrite;
use dynomite_core::crdt::scripts::{self, ScriptName};
use dynomite_core::crdt::state::KeyState;
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::resp::{encode, parse_frame, Frame, Protocol};
use dynomite_core::store::Store;
use dynomite_testkit::{RedisServer, RespConn};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The fixed clock of the embedded replicas (Unix ms).
const NOW_MS: u64 = 1_800_000_000_000;
/// Change-log bound passed to the write scripts.
const CHANGELOG_MAX: u32 = 100;
/// `max_elements` of the state script.
const STATE_ELEMENTS_MAX: &str = "10000";
/// Op timestamps lie this far before `now` at most.
const PAST_MS: u64 = 5_000;
/// Deadlines lie this far from `now` at most.
const DEADLINE_SPREAD_MS: u64 = 5_000;
/// Sequences on the embedded engine.
const EMBEDDED_CASES: u64 = 400;
/// Sequences on redis-server.
const REDIS_CASES: u64 = 40;

/// The keys, one per data type (a key written with two types answers WRONGTYPE in an order-dependent
/// way, which no rule can make convergent).
const STRING: &str = "s";
const HASH: &str = "h";
const SET: &str = "t";
const ZSET: &str = "z";
const KEYS: [&str; 4] = [STRING, HASH, SET, ZSET];

fn wall_ms() -> u64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    u64::try_from(elapsed.as_millis()).expect("ms fit u64")
}

fn words(command: &str) -> Vec<Bytes> {
    command.split(' ').map(|word| Bytes::copy_from_slice(word.as_bytes())).collect()
}

/// A replica: the embedded engine at a fixed clock, or one database of a redis-server.
trait Replica {
    fn call(&mut self, args: &[Bytes]) -> Frame;
}

struct Embedded {
    store: Store,
    now_ms: u64,
}

impl Replica for Embedded {
    fn call(&mut self, args: &[Bytes]) -> Frame {
        self.store.execute(args, self.now_ms, Protocol::Resp2)
    }
}

struct Remote {
    connection: RespConn,
}

impl Replica for Remote {
    fn call(&mut self, args: &[Bytes]) -> Frame {
        let reply = self.connection.command(args).expect("redis reply");
        parse_frame(&Bytes::from(reply)).expect("a RESP reply")
    }
}

fn load_scripts(replica: &mut dyn Replica) {
    for script in scripts::all() {
        let reply =
            replica.call(&[Bytes::from_static(b"SCRIPT"), Bytes::from_static(b"LOAD"), script.text.into()]);
        assert_eq!(reply, Frame::Bulk(Bytes::from(script.sha1.to_string())), "SCRIPT LOAD {:?}", script.name);
    }
}

fn state(replica: &mut dyn Replica, key: &str) -> KeyState {
    let sha1 = &scripts::get(ScriptName::State).sha1;
    let frame = replica.call(&words(&format!("EVALSHA {sha1} 1 {key} {STATE_ELEMENTS_MAX}")));
    KeyState::parse(&frame).unwrap_or_else(|error| panic!("state of {key}: {error} ({frame:?})"))
}

fn merge_into(replica: &mut dyn Replica, key: &str, merged: &KeyState, now_ms: u64) {
    let mut args = words(&format!("EVALSHA {} 1 {key}", scripts::get(ScriptName::Merge).sha1));
    args.extend(merged.merge_args(now_ms));
    let reply = replica.call(&args);
    assert!(matches!(reply, Frame::Integer(_)), "merge of {key}: {reply:?}");
}

fn text(frame: &Frame) -> String {
    match frame {
        Frame::Bulk(bytes) | Frame::Simple(bytes) => bytes.escape_ascii().to_string(),
        Frame::Integer(value) => value.to_string(),
        Frame::Null | Frame::NullArray => "(nil)".to_string(),
        other => format!("{other:?}"),
    }
}

/// A reply in a form that ignores the order Redis leaves to its encoding (hash fields, set members),
/// taken from its RESP2 bytes (the embedded engine's frames may be richer, e.g. doubles).
fn canonical(read: &str, frame: &Frame) -> String {
    let mut bytes = BytesMut::new();
    encode(frame, Protocol::Resp2, &mut bytes);
    let frame = parse_frame(&bytes.freeze()).expect("RESP2 reparses");
    flat_canonical(read, &frame)
}

fn flat_canonical(read: &str, frame: &Frame) -> String {
    match frame {
        Frame::Map(entries) => {
            let flat: Vec<Frame> =
                entries.iter().flat_map(|(field, value)| [field.clone(), value.clone()]).collect();
            flat_canonical(read, &Frame::Array(flat))
        }
        Frame::Set(items) => flat_canonical(read, &Frame::Array(items.clone())),
        Frame::Array(items) => {
            let mut items: Vec<String> = if read == "HGETALL" {
                items.chunks(2).map(|pair| format!("{}={}", text(&pair[0]), text(&pair[1]))).collect()
            } else {
                items.iter().map(text).collect()
            };
            if read != "ZRANGE" {
                items.sort();
            }
            format!("[{}]", items.join(" "))
        }
        other => text(other),
    }
}

/// Every key (data and metadata, not the change log): type, content and deadline, in key order.
fn dump(replica: &mut dyn Replica) -> Vec<String> {
    let Frame::Array(names) = replica.call(&words("KEYS *")) else { panic!("KEYS") };
    let mut names: Vec<String> = names.iter().map(text).filter(|name| name != "_dyn:log").collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let kind = text(&replica.call(&words(&format!("TYPE {name}"))));
            let read = match kind.as_str() {
                "string" => "GET",
                "hash" => "HGETALL",
                "set" => "SMEMBERS",
                _ => "ZRANGE",
            };
            let command = if read == "ZRANGE" {
                format!("ZRANGE {name} 0 -1 WITHSCORES")
            } else {
                format!("{read} {name}")
            };
            let content = canonical(read, &replica.call(&words(&command)));
            let deadline = text(&replica.call(&words(&format!("PEXPIRETIME {name}"))));
            format!("{name} {kind} {content} deadline {deadline}")
        })
        .collect()
}

/// The reads compared between `answer` and a replica, per key.
fn reads(key: &str) -> Vec<String> {
    let data = match key {
        STRING => format!("GET {key}"),
        HASH => format!("HGETALL {key}"),
        SET => format!("SMEMBERS {key}"),
        _ => format!("ZRANGE {key} 0 -1 WITHSCORES"),
    };
    vec![data, format!("TYPE {key}"), format!("EXISTS {key}"), format!("PEXPIRETIME {key}")]
}

/// One generated op: its timestamp, the client command and the EVALSHA it is rewritten to.
#[derive(Clone)]
struct Op {
    ts: Timestamp,
    command: String,
    evalsha: Vec<Bytes>,
}

/// Generates ops whose timestamps are at or before `now_ms` and whose deadlines are within
/// [`DEADLINE_SPREAD_MS`] of it but not closer than `gap_ms`.
fn generate(rng: &mut ChaCha8Rng, now_ms: u64, gap_ms: u64) -> Vec<Op> {
    let count = rng.gen_range(1..=28);
    let mut used = BTreeSet::new();
    let mut ops = Vec::new();
    for index in 0..count {
        let ts = loop {
            let ts =
                Timestamp::new(now_ms - rng.gen_range(0..PAST_MS), rng.gen_range(0..2), rng.gen_range(1..4));
            if used.insert(ts) {
                break ts;
            }
        };
        let issued = ts.physical_ms;
        // A deadline before or after now (and before or after the op itself).
        let offset = rng.gen_range(gap_ms..=DEADLINE_SPREAD_MS);
        let target = if rng.gen_bool(0.5) { now_ms + offset } else { now_ms - offset };
        let relative_ms = i64::try_from(target).expect("ms") - i64::try_from(issued).expect("ms");
        let key = KEYS[rng.gen_range(0..KEYS.len())];
        let member = format!("m{}", rng.gen_range(0..3));
        let command = match rng.gen_range(0..12) {
            0 => format!("DEL {key}"),
            1 => format!("PEXPIRE {key} {relative_ms}"),
            2 => format!("PEXPIREAT {key} {target}"),
            3 if target % 1000 == 0 || gap_ms == 0 => {
                // Whole seconds: the deadline is the target rounded down (fine when no gap is kept).
                format!("EXPIREAT {key} {}", target / 1000)
            }
            4 if gap_ms == 0 => format!("EXPIRE {key} {}", relative_ms / 1000),
            5 => format!("PERSIST {key}"),
            _ => match key {
                STRING => match rng.gen_range(0..5) {
                    0 if relative_ms > 0 => format!("SET {key} v{index} PX {relative_ms}"),
                    1 if gap_ms == 0 && relative_ms >= 1000 => {
                        format!("SET {key} v{index} EX {}", relative_ms / 1000)
                    }
                    2 => format!("SET {key} v{index} PXAT {target}"),
                    3 => format!("SET {key} v{index} KEEPTTL"),
                    _ => format!("SET {key} v{index}"),
                },
                HASH if rng.gen_bool(0.25) => format!("HDEL {key} {member}"),
                HASH => format!("HSET {key} {member} v{index}"),
                SET if rng.gen_bool(0.25) => format!("SREM {key} {member}"),
                SET => format!("SADD {key} {member}"),
                _ if rng.gen_bool(0.25) => format!("ZREM {key} {member}"),
                _ => format!("ZADD {key} {} {member}", rng.gen_range(-3..4)),
            },
        };
        let evalsha = rewrite(&words(&command), ts, issued, CHANGELOG_MAX)
            .unwrap_or_else(|| panic!("{command} is not covered by the rewrite"));
        ops.push(Op { ts, command, evalsha });
    }
    ops
}

fn history(ops: &[Op]) -> String {
    ops.iter().map(|op| format!("  {} {}", op.ts, op.command)).collect::<Vec<_>>().join("\n")
}

fn apply(replica: &mut dyn Replica, ops: &[&Op]) {
    for op in ops {
        let reply = replica.call(&op.evalsha);
        assert!(!matches!(reply, Frame::Error(_)), "{} answered {reply:?}", op.command);
    }
}

/// One sequence on four fresh replicas: `full`, `shuffled`, `a`, `b` (module doc).
/// What the sequences exercised, per key at the end: a recorded deadline that has passed, a live TTL.
#[derive(Debug, Default)]
struct Coverage {
    keys: usize,
    passed_deadlines: usize,
    live_ttls: usize,
}

fn check_sequence(
    seed: u64,
    replicas: &mut [Box<dyn Replica>; 4],
    now_ms: impl Fn() -> u64,
    gap_ms: u64,
    coverage: &mut Coverage,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let ops = generate(&mut rng, now_ms(), gap_ms);
    let context = format!(
        "seed {seed}, ops (timestamp order):\n{}",
        history(&{
            let mut sorted = ops.clone();
            sorted.sort_by_key(|op| op.ts);
            sorted
        })
    );
    let mut in_time_order: Vec<&Op> = ops.iter().collect();
    in_time_order.sort_by_key(|op| op.ts);
    let mut shuffled: Vec<&Op> = ops.iter().collect();
    shuffled.shuffle(&mut rng);
    let (mut to_a, mut to_b) = (Vec::new(), Vec::new());
    for op in &ops {
        match rng.gen_range(0..3) {
            0 => to_a.push(op),
            1 => to_b.push(op),
            _ => {
                to_a.push(op);
                to_b.push(op);
            }
        }
    }
    to_a.shuffle(&mut rng);
    to_b.shuffle(&mut rng);
    let [full, other, a, b] = replicas;
    apply(full.as_mut(), &in_time_order);
    apply(other.as_mut(), &shuffled);
    apply(a.as_mut(), &to_a);
    apply(b.as_mut(), &to_b);
    let reference = dump(full.as_mut());
    assert_eq!(reference, dump(other.as_mut()), "every op in timestamp order vs shuffled; {context}");

    let now = now_ms();
    for key in KEYS {
        let (state_a, state_b) = (state(a.as_mut(), key), state(b.as_mut(), key));
        let merged =
            dynomite_core::crdt::merge::merge_settled(&[state_a.clone(), state_b.clone()], now).settle(now);
        if !merged.has_no_metadata() {
            merge_into(a.as_mut(), key, &merged, now);
            merge_into(b.as_mut(), key, &merged, now);
        }
        for (name, replica) in [("a", &mut *a), ("b", &mut *b)] {
            let after = state(replica.as_mut(), key);
            assert!(
                after.same_as(&merged),
                "{key}: Lua merge on {name} differs from the Rust merge\n  a:      {state_a:?}\n  b:      {state_b:?}\n  rust:   {merged:?}\n  lua:    {after:?}\n{context}"
            );
        }
        let own = state(full.as_mut(), key);
        coverage.keys += 1;
        if own.expiry.at_ms != 0 && own.expiry.at_ms <= now {
            coverage.passed_deadlines += 1;
        }
        if own.live_deadline_ms(now).is_some() {
            coverage.live_ttls += 1;
        }
        for read in reads(key) {
            let args = words(&read);
            let expected = canonical(&read[..read.find(' ').unwrap_or(read.len())], &full.call(&args));
            let verb = &read[..read.find(' ').unwrap_or(read.len())];
            let from_merge = canonical(verb, &answer(&merged, &args, Protocol::Resp2, now));
            assert_eq!(
                from_merge, expected,
                "{read}: answer of the merged state vs a replica with every op; merged {merged:?}\n{context}"
            );
            let from_own = canonical(verb, &answer(&own, &args, Protocol::Resp2, now));
            assert_eq!(from_own, expected, "{read}: answer of full's own state {own:?}\n{context}");
        }
    }
    let merged_a = dump(a.as_mut());
    assert_eq!(merged_a, dump(b.as_mut()), "a and b after merging; {context}");
    assert_eq!(merged_a, reference, "a after merging vs every op; {context}");
}

fn seeds(cases: u64) -> Vec<u64> {
    match std::env::var("CRDT_EXPIRY_SEED") {
        Ok(seed) => vec![seed.parse().expect("CRDT_EXPIRY_SEED: a number")],
        Err(_) => (0..cases).collect(),
    }
}

fn embedded() -> Box<dyn Replica> {
    let mut replica = Embedded { store: Store::new(), now_ms: NOW_MS };
    load_scripts(&mut replica);
    Box::new(replica)
}

#[test]
fn expiry_rule_holds_on_the_embedded_engine() {
    let mut coverage = Coverage::default();
    for seed in seeds(EMBEDDED_CASES) {
        let mut replicas = [embedded(), embedded(), embedded(), embedded()];
        check_sequence(seed, &mut replicas, || NOW_MS, 0, &mut coverage);
    }
    eprintln!("embedded engine: {coverage:?}");
    if coverage.keys > 100 {
        assert!(coverage.passed_deadlines * 10 > coverage.keys, "too few passed deadlines: {coverage:?}");
        assert!(coverage.live_ttls * 10 > coverage.keys, "too few live TTLs: {coverage:?}");
    }
}

#[test]
fn expiry_rule_holds_on_redis() {
    let server = RedisServer::start();
    let connect = |db: usize| -> Box<dyn Replica> {
        let mut connection = RespConn::connect(server.port()).expect("connect to redis-server");
        connection.command(&["SELECT", &db.to_string()]).expect("SELECT");
        let mut replica = Remote { connection };
        load_scripts(&mut replica);
        Box::new(replica)
    };
    let mut replicas = [connect(0), connect(1), connect(2), connect(3)];
    let mut coverage = Coverage::default();
    for seed in seeds(REDIS_CASES) {
        for replica in replicas.iter_mut() {
            replica.call(&words("FLUSHDB"));
        }
        check_sequence(seed, &mut replicas, wall_ms, 1_500, &mut coverage);
    }
    eprintln!("redis-server: {coverage:?}");
}

/// A register state: `a`, `d`, expiry (`xt`, `xa`), value `v` (0 = missing timestamp).
fn register(add: u64, delete: u64, expiry: (u64, u64)) -> KeyState {
    let at = |physical: u64| (physical > 0).then(|| Timestamp::new(physical, 0, 1));
    let mut state = KeyState {
        crdt_type: Some(dynomite_core::crdt::state::CrdtType::String),
        add: at(add),
        delete: at(delete),
        value: Some(Bytes::from_static(b"v")),
        ..KeyState::default()
    };
    state.expiry.set = at(expiry.0);
    state.expiry.at_ms = expiry.1;
    merge(&[state])
}

/// The rule as a table: (state, now, live value, TTL deadline, `d` after `settle(now)`, why). Timestamps
/// are `(physical, 0, 1)`; `(100, 0, 0)` is the deadline 100 as a timestamp.
#[test]
fn expiry_rule_golden() {
    type Case = (KeyState, u64, Option<&'static str>, Option<u64>, Option<Timestamp>, &'static str);
    let t = |physical: u64| Some(Timestamp::new(physical, 0, 1));
    let deadline = |ms: u64| Some(Timestamp::new(ms, 0, 0));
    let cases: &[Case] = &[
        (register(10, 0, (20, 100)), 99, Some("v"), Some(100), None, "deadline ahead: TTL, nothing settled"),
        (
            register(10, 0, (20, 100)),
            100,
            None,
            None,
            deadline(100),
            "deadline reached: a delete at (100, 0, 0)",
        ),
        (
            register(10, 0, (130, 100)),
            50,
            None,
            None,
            t(130),
            "op after its own deadline: a delete at the op",
        ),
        (register(120, 0, (130, 100)), 200, None, None, t(130), "data before that op dies with it"),
        (register(140, 0, (130, 100)), 200, Some("v"), None, t(130), "data after that op lives, without TTL"),
        (register(101, 0, (20, 100)), 50, Some("v"), None, deadline(100), "data beyond the deadline: passed"),
        (
            register(10, 30, (20, 100)),
            200,
            None,
            None,
            t(30),
            "DEL after the expiry op: the expiry is not live",
        ),
        (
            register(40, 30, (20, 100)),
            200,
            Some("v"),
            None,
            t(30),
            "not live: new data keeps no old deadline",
        ),
        (register(10, 0, (20, 0)), 1_000, Some("v"), None, None, "PERSIST (xa = 0)"),
    ];
    for (state, now, value, ttl, delete, why) in cases {
        assert_eq!(state.live_string(*now), value.map(|v| Bytes::from(v.to_string())), "{why}");
        assert_eq!(state.live_deadline_ms(*now), *ttl, "{why}");
        let settled = state.settle(*now);
        assert_eq!(settled.delete, *delete, "{why}: d after settle");
        assert_eq!(settled.live_string(*now), state.live_string(*now), "{why}: settle keeps liveness");
        assert_eq!(settled.live_deadline_ms(*now), *ttl, "{why}: settle keeps the TTL");
        assert!(settled.settle(*now).same_as(&settled), "{why}: settle is idempotent");
    }
}

/// "Expiry wins" across replicas (flap seeds 43 and 48 of the simulator): replica `r` held an expiry
/// (op at 20, deadline 100) when the deadline passed; the other replicas got a SET at 50 that cleared
/// the TTL. `r`'s `merge` script settles its own state before it joins, so the coordinator must settle
/// every state before merging too: otherwise it answers the SET's value, writes it back to the others,
/// and `r` keeps the delete at the deadline, diverged for good.
#[test]
fn a_passed_expiry_on_one_replica_wins_over_a_ttl_clearing_set_on_the_others() {
    let expiring = register(10, 0, (20, 100));
    let cleared = register(50, 0, (50, 0));
    let now = 200;
    let merged = dynomite_core::crdt::merge::merge_settled(&[expiring.clone(), cleared.clone()], now);
    assert_eq!(
        merged.delete,
        Some(Timestamp::new(100, 0, 0)),
        "the passed expiry is a delete at its deadline"
    );
    assert_eq!(merged.live_string(now), None, "the key is dead after the merge");
    assert_eq!(
        merge(&[expiring.clone(), cleared.clone()]).live_string(now),
        Some(Bytes::from_static(b"v")),
        "unsettled, the newer expiry op hides the passed deadline (the bug this guards)"
    );

    // The Lua side agrees: `r` (the embedded engine) holds the expiry, sees its deadline pass, and gets
    // the other replicas' state through the `merge` script; the result is the coordinator's merge.
    let mut replica = Embedded { store: Store::new(), now_ms: 50 };
    load_scripts(&mut replica);
    merge_into(&mut replica, STRING, &expiring, 50);
    replica.now_ms = now;
    merge_into(&mut replica, STRING, &cleared, now);
    let after = state(&mut replica, STRING);
    assert!(after.same_as(&merged.settle(now)), "Lua {after:?}\nRust {merged:?}");
    let cleared_replica_after = {
        let mut other = Embedded { store: Store::new(), now_ms: now };
        load_scripts(&mut other);
        merge_into(&mut other, STRING, &cleared, now);
        merge_into(&mut other, STRING, &merged, now);
        state(&mut other, STRING)
    };
    assert!(cleared_replica_after.same_as(&after), "both replicas converge on the delete");
}

/// `has_write_after`: any timestamp of the node beyond the bound, in any field (read repair's
/// "Successors" rule); another node's later timestamps and the node's own earlier ones do not count.
#[test]
fn a_state_holds_a_write_after_a_bound_only_through_that_nodes_later_timestamps() {
    use dynomite_core::crdt::state::{Component, Element};
    let bound = Timestamp::new(100, 5, 7);
    let mut state = register(90, 0, (0, 0));
    assert!(!state.has_write_after(1, bound), "earlier timestamps only");
    state.add = Some(Timestamp::new(100, 5, 7));
    assert!(!state.has_write_after(7, bound), "the bound itself is not after it");
    state.add = Some(Timestamp::new(100, 6, 1));
    assert!(!state.has_write_after(7, bound), "another node's later write");
    assert!(state.has_write_after(1, Timestamp::new(100, 5, 1)), "node 1's later write");
    let later = Some(Timestamp::new(101, 0, 7));
    for (what, mut with) in [
        ("a", KeyState { add: later, ..KeyState::default() }),
        ("d", KeyState { delete: later, ..KeyState::default() }),
        ("an element's remove", KeyState::default()),
        ("a counter component", KeyState::default()),
    ] {
        match what {
            "an element's remove" => {
                with.elements
                    .insert(Bytes::from_static(b"m"), Element { add: None, remove: later, value: None });
            }
            "a counter component" => {
                with.counters.insert(
                    Timestamp::new(0, 0, 7),
                    Component { positive: 1, negative: 0, last: later, start: later },
                );
            }
            _ => {}
        }
        assert!(with.has_write_after(7, bound), "{what}");
    }
}
