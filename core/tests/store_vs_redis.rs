//! Differential tests: the embedded datastore ([`Store`]) against a real redis-server 7.0.15.
//!
//! Every command of a script goes to both; the raw reply bytes must be equal (the engine's frame is
//! encoded with the crate's encoder for the same protocol). Two normalizations, both documented:
//! - replies whose element order Redis leaves to its hash tables (SMEMBERS, SUNION, KEYS, ...) are
//!   compared with their top-level elements sorted;
//! - TTL and PTTL may differ by the few milliseconds between the two executions (tolerance 1 s / 1000 ms).
//!
//! The engine's clock is the real wall clock here (test only), so relative expiries agree.

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use dynomite_core::resp::{encode, Protocol};
use dynomite_core::store::Store;
use dynomite_testkit::{RedisServer, RespConn};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Commands whose reply lists elements in an order Redis does not define.
const UNORDERED: &[&str] =
    &["KEYS", "SMEMBERS", "SUNION", "SINTER", "SDIFF", "SPOP", "SRANDMEMBER", "HRANDFIELD", "SSCAN"];

fn wall_clock_ms() -> u64 {
    let elapsed = SystemTime::now().duration_since(UNIX_EPOCH).expect("clock after 1970");
    u64::try_from(elapsed.as_millis()).expect("ms fit u64")
}

/// A real Redis and an engine fed the same commands.
struct Twin {
    _server: RedisServer,
    connection: RespConn,
    store: Store,
    protocol: Protocol,
    compared: usize,
    mismatches: Vec<String>,
    /// Every command run so far, to show a mismatching key's history.
    history: Vec<Vec<Vec<u8>>>,
}

impl Twin {
    fn start(protocol: Protocol) -> Twin {
        let server = RedisServer::start();
        let mut connection = RespConn::connect(server.port()).expect("connect to redis-server");
        if protocol == Protocol::Resp3 {
            connection.command(&["HELLO", "3"]).expect("HELLO 3");
        }
        Twin {
            _server: server,
            connection,
            store: Store::new(),
            protocol,
            compared: 0,
            mismatches: Vec::new(),
            history: Vec::new(),
        }
    }

    /// Runs one command on both sides; returns (redis, engine) reply bytes.
    fn both(&mut self, args: &[Vec<u8>]) -> (Vec<u8>, Vec<u8>) {
        let redis = self.connection.command(args).expect("redis reply");
        let wire: Vec<Bytes> = args.iter().map(|arg| Bytes::copy_from_slice(arg)).collect();
        let frame = self.store.execute(&wire, wall_clock_ms(), self.protocol);
        let mut engine = BytesMut::new();
        encode(&frame, self.protocol, &mut engine);
        (redis, engine.to_vec())
    }

    /// Runs one command and records a mismatch.
    fn check(&mut self, args: &[Vec<u8>]) {
        let (redis, engine) = self.both(args);
        self.compared += 1;
        let name = String::from_utf8_lossy(&args[0]).to_ascii_uppercase();
        if !equivalent(&name, &redis, &engine) {
            self.mismatches.push(format!(
                "{:?} {}\n    redis:  {}\n    engine: {}\n    earlier commands naming {}:\n{}",
                self.protocol,
                render_args(args),
                redis.escape_ascii(),
                engine.escape_ascii(),
                args.get(1).map(|key| key.escape_ascii().to_string()).unwrap_or_default(),
                self.history_of(args.get(1))
            ));
        }
        self.history.push(args.to_vec());
    }

    /// The last few earlier commands that mention `key`.
    fn history_of(&self, key: Option<&Vec<u8>>) -> String {
        const SHOWN_MAX: usize = 12;
        let Some(key) = key else { return String::new() };
        let mentioning: Vec<String> = self
            .history
            .iter()
            .filter(|command| command[1..].contains(key))
            .map(|command| format!("      {}", render_args(command)))
            .collect();
        mentioning[mentioning.len().saturating_sub(SHOWN_MAX)..].join("\n")
    }

    fn script(&mut self, lines: &str) {
        for line in lines.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')) {
            let args: Vec<Vec<u8>> = line
                .split(' ')
                .map(|word| if word == "\"\"" { Vec::new() } else { word.replace("\\s", " ").into_bytes() })
                .collect();
            self.check(&args);
        }
    }

    fn assert_clean(&self) {
        assert!(self.compared > 0, "nothing compared");
        assert!(
            self.mismatches.is_empty(),
            "{} of {} replies differ:\n{}",
            self.mismatches.len(),
            self.compared,
            self.mismatches.join("\n")
        );
    }
}

fn render_args(args: &[Vec<u8>]) -> String {
    args.iter().map(|arg| arg.escape_ascii().to_string()).collect::<Vec<_>>().join(" ")
}

fn equivalent(name: &str, redis: &[u8], engine: &[u8]) -> bool {
    if redis == engine {
        return true;
    }
    if name == "TTL" || name == "PTTL" {
        let tolerance = if name == "TTL" { 1 } else { 1000 };
        return match (integer_reply(redis), integer_reply(engine)) {
            (Some(left), Some(right)) if left >= 0 && right >= 0 => (left - right).abs() <= tolerance,
            _ => false,
        };
    }
    if UNORDERED.contains(&name) || name.ends_with("SCAN") {
        let (redis, engine) = (sorted_children(redis), sorted_children(engine));
        return redis.is_some() && redis == engine;
    }
    false
}

fn integer_reply(reply: &[u8]) -> Option<i64> {
    std::str::from_utf8(reply.strip_prefix(b":")?.strip_suffix(b"\r\n")?).ok()?.parse().ok()
}

/// The header and the top-level children of an aggregate reply, children sorted (for SCAN replies,
/// the children of the element list).
fn sorted_children(reply: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let (header, mut children) = split_aggregate(reply)?;
    if children.len() == 2 && children[1].first() == Some(&b'*') && children[0].starts_with(b"$") {
        let (_, mut elements) = split_aggregate(&children[1])?;
        elements.sort();
        return Some((header, elements));
    }
    children.sort();
    Some((header, children))
}

fn split_aggregate(reply: &[u8]) -> Option<(Vec<u8>, Vec<Vec<u8>>)> {
    let header_end = reply.windows(2).position(|pair| pair == b"\r\n")? + 2;
    let count: usize = std::str::from_utf8(&reply[1..header_end - 2]).ok()?.parse().ok()?;
    let mut children = Vec::new();
    let mut position = header_end;
    for _ in 0..count {
        let length = element_length(&reply[position..])?;
        children.push(reply[position..position + length].to_vec());
        position += length;
    }
    Some((reply[..header_end].to_vec(), children))
}

fn element_length(reply: &[u8]) -> Option<usize> {
    let header_end = reply.windows(2).position(|pair| pair == b"\r\n")? + 2;
    let number = std::str::from_utf8(&reply[1..header_end - 2]).ok()?.parse::<i64>().ok();
    match reply.first()? {
        b'$' => Some(header_end + usize::try_from(number?).map_or(0, |length| length + 2)),
        b'*' | b'~' => {
            let mut position = header_end;
            for _ in 0..number?.max(0) {
                position += element_length(&reply[position..])?;
            }
            Some(position)
        }
        _ => Some(header_end),
    }
}

fn run_script(script: &str) {
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut twin = Twin::start(protocol);
        twin.script(script);
        twin.assert_clean();
    }
}

#[test]
fn strings_match_redis() {
    run_script(include_str!("store_scripts/strings.txt"));
}

#[test]
fn keys_and_expiry_match_redis() {
    let now_seconds = wall_clock_ms() / 1000;
    let script = include_str!("store_scripts/keys.txt")
        .replace("$FUTURE_S", &(now_seconds + 100_000).to_string())
        .replace("$FUTURE_MS", &((now_seconds + 200_000) * 1000).to_string())
        .replace("$PAST_S", &(now_seconds - 100_000).to_string());
    run_script(&script);
}

#[test]
fn hashes_match_redis() {
    run_script(include_str!("store_scripts/hashes.txt"));
}

#[test]
fn sets_match_redis() {
    run_script(include_str!("store_scripts/sets.txt"));
}

#[test]
fn sorted_sets_match_redis() {
    run_script(include_str!("store_scripts/zsets.txt"));
}

#[test]
fn lists_match_redis() {
    run_script(include_str!("store_scripts/lists.txt"));
}

/// Builds one random command over a small key space of mixed types.
fn random_command(rng: &mut ChaCha8Rng) -> Vec<String> {
    let key = format!("k{}", rng.gen_range(0..6));
    let other = format!("k{}", rng.gen_range(0..6));
    let field = format!("f{}", rng.gen_range(0..5));
    let member = ["a", "b", "c", "1", "2", "10", "-3"][rng.gen_range(0..7)].to_string();
    let number = rng.gen_range(-5i64..6).to_string();
    let score = ["1", "2.5", "-1", "0", "inf", "-inf", "3e2", "0.1"][rng.gen_range(0..8)].to_string();
    // Absolute expiries only: relative ones race between the two clocks (same ms here, not there).
    let future_ms = (wall_clock_ms() / 1000 + 500_000 + rng.gen_range(0..3) * 1000) * 1000 + 250;
    let templates: &[&[&str]] = &[
        // strings
        &["SET", "K", "N"],
        &["GET", "K"],
        &["INCR", "K"],
        &["INCRBY", "K", "N"],
        &["APPEND", "K", "M"],
        &["STRLEN", "K"],
        &["GETRANGE", "K", "N", "N"],
        &["SETRANGE", "K", "2", "M"],
        &["INCRBYFLOAT", "K", "S"],
        &["SET", "K", "M", "NX", "GET"],
        &["SET", "K", "M", "XX", "PXAT", "T"],
        &["SET", "K", "N", "KEEPTTL"],
        &["GETDEL", "K"],
        &["GETEX", "K", "PERSIST"],
        &["SETNX", "K", "M"],
        &["MSET", "K", "N", "O", "M"],
        &["MGET", "K", "O"],
        &["DECRBY", "K", "N"],
        &["GETSET", "K", "M"],
        // keys and expiry
        &["DEL", "K"],
        &["DEL", "K", "O"],
        &["EXISTS", "K", "O"],
        &["TYPE", "K"],
        &["RENAME", "K", "O"],
        &["RENAMENX", "K", "O"],
        &["PEXPIREAT", "K", "T"],
        &["TTL", "K"],
        &["PERSIST", "K"],
        &["EXPIRE", "K", "-1"],
        &["EXPIRE", "K", "100", "GT"],
        &["EXPIRE", "K", "200", "LT"],
        &["EXPIRE", "K", "300", "NX"],
        &["EXPIRE", "K", "50", "XX"],
        &["DBSIZE"],
        &["KEYS", "*"],
        // hashes
        &["HSET", "K", "F", "N"],
        &["HGET", "K", "F"],
        &["HDEL", "K", "F"],
        &["HGETALL", "K"],
        &["HINCRBY", "K", "F", "N"],
        &["HLEN", "K"],
        &["HMGET", "K", "F", "f1"],
        &["HKEYS", "K"],
        &["HVALS", "K"],
        &["HSETNX", "K", "F", "M"],
        &["HSTRLEN", "K", "F"],
        &["HINCRBYFLOAT", "K", "F", "S"],
        &["HEXISTS", "K", "F"],
        // sets
        &["SADD", "K", "M"],
        &["SADD", "K", "M", "N"],
        &["SREM", "K", "M"],
        &["SMEMBERS", "K"],
        &["SCARD", "K"],
        &["SISMEMBER", "K", "M"],
        &["SMISMEMBER", "K", "M", "a"],
        &["SUNION", "K", "O"],
        &["SINTER", "K", "O"],
        &["SINTERSTORE", "K", "O", "K"],
        &["SDIFF", "K", "O"],
        &["SUNIONSTORE", "O", "K", "O"],
        &["SDIFFSTORE", "K", "O", "K"],
        &["SMOVE", "K", "O", "M"],
        &["SINTERCARD", "2", "K", "O"],
        // sorted sets
        &["ZADD", "K", "S", "M"],
        &["ZADD", "K", "GT", "CH", "S", "M"],
        &["ZADD", "K", "LT", "S", "M", "N", "a"],
        &["ZADD", "K", "XX", "INCR", "S", "M"],
        &["ZADD", "K", "NX", "S", "M"],
        &["ZINCRBY", "K", "S", "M"],
        &["ZREM", "K", "M"],
        &["ZRANGE", "K", "0", "-1", "WITHSCORES"],
        &["ZRANGEBYSCORE", "K", "(0", "+inf"],
        &["ZREVRANGEBYSCORE", "K", "S", "-inf", "WITHSCORES", "LIMIT", "0", "2"],
        &["ZSCORE", "K", "M"],
        &["ZMSCORE", "K", "M", "a"],
        &["ZRANK", "K", "M"],
        &["ZREVRANK", "K", "M"],
        &["ZPOPMIN", "K"],
        &["ZPOPMAX", "K", "2"],
        &["ZUNIONSTORE", "K", "2", "K", "O"],
        &["ZCARD", "K"],
        &["ZCOUNT", "K", "S", "+inf"],
        &["ZINTERSTORE", "O", "2", "K", "O", "WEIGHTS", "2", "0.5", "AGGREGATE", "MAX"],
        &["ZREMRANGEBYSCORE", "K", "-inf", "S"],
        &["ZREMRANGEBYRANK", "K", "0", "N"],
        &["ZRANGE", "K", "S", "-inf", "BYSCORE", "REV", "LIMIT", "1", "2", "WITHSCORES"],
        // lists
        &["LPUSH", "K", "M"],
        &["RPUSH", "K", "M", "N"],
        &["LPOP", "K"],
        &["RPOP", "K", "2"],
        &["LRANGE", "K", "0", "-1"],
        &["LINDEX", "K", "N"],
        &["LREM", "K", "N", "M"],
        &["LTRIM", "K", "1", "-1"],
        &["LMOVE", "K", "O", "LEFT", "RIGHT"],
        &["LSET", "K", "N", "M"],
        &["LPOS", "K", "M", "RANK", "-1"],
        &["LINSERT", "K", "BEFORE", "M", "N"],
        &["RPOPLPUSH", "K", "O"],
        &["LPUSHX", "K", "M"],
        &["LLEN", "K"],
    ];
    let template = templates[rng.gen_range(0..templates.len())];
    template
        .iter()
        .map(|word| match *word {
            "K" => key.clone(),
            "O" => other.clone(),
            "F" => field.clone(),
            "M" => member.clone(),
            "N" => number.clone(),
            "S" => score.clone(),
            "T" => future_ms.to_string(),
            literal => literal.to_string(),
        })
        .collect()
}

#[test]
fn seeded_random_operations_match_redis() {
    const DEFAULT_SEED: u64 = 0x00d1_a0de;
    const OPERATIONS: usize = 5000;
    // `STORE_VS_REDIS_SEED=<n>` replays another seed (the seed is printed on failure).
    let seed =
        std::env::var("STORE_VS_REDIS_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or(DEFAULT_SEED);
    for protocol in [Protocol::Resp2, Protocol::Resp3] {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        println!("seed {seed} protocol {protocol:?}");
        let mut twin = Twin::start(protocol);
        for _ in 0..OPERATIONS {
            let command: Vec<Vec<u8>> =
                random_command(&mut rng).into_iter().map(String::into_bytes).collect();
            twin.check(&command);
        }
        twin.assert_clean();
    }
}

/// A random decimal such as `-12.034`, `0.5e3` or `7`.
fn random_decimal(rng: &mut ChaCha8Rng) -> String {
    let sign = if rng.gen_bool(0.3) { "-" } else { "" };
    let whole_digits = rng.gen_range(0..16);
    let whole = rng.gen_range(0..10u64.pow(whole_digits));
    let fraction_digits = rng.gen_range(0..13);
    let fraction = if fraction_digits == 0 {
        String::new()
    } else {
        format!(".{:0width$}", rng.gen_range(0..10u64.pow(fraction_digits)), width = fraction_digits as usize)
    };
    let exponent = if rng.gen_bool(0.15) { format!("e{}", rng.gen_range(-5..6)) } else { String::new() };
    format!("{sign}{whole}{fraction}{exponent}")
}

/// INCRBYFLOAT/HINCRBYFLOAT chains: the engine's long double emulation against the real thing.
#[test]
fn float_increments_match_redis() {
    const STEPS: usize = 1500;
    let mut rng = ChaCha8Rng::seed_from_u64(0xf10a7);
    let mut twin = Twin::start(Protocol::Resp2);
    for step in 0..STEPS {
        let increment = random_decimal(&mut rng).into_bytes();
        let key = format!("f{}", step % 7).into_bytes();
        if step % 3 == 0 {
            twin.check(&[b"HINCRBYFLOAT".to_vec(), b"h".to_vec(), key, increment]);
        } else {
            twin.check(&[b"INCRBYFLOAT".to_vec(), key, increment]);
        }
    }
    twin.assert_clean();
}
