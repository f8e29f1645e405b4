//! What workload clients record: every request from invocation to its outcome, with where it ran.
//!
//! Times are milliseconds of one clock shared by every client (the simulator's true time, never a
//! skewed node clock), so "completed before invoked" compares real time across clients. Each
//! operation is one request on one client connection: the connection's number in the run, the id
//! the node gave it (`CLIENT ID`), the request's 1-based sequence on the connection (counting
//! `DYNO_CONFIG` and `CLIENT ID`, as the node counts), and its pipeline batch and position, so the
//! coordinator's decisions are found by (node, connection id, sequence).

use bytes::Bytes;
use dynomite_core::config::Consistency;
use dynomite_core::crdt::timestamp::Timestamp;
use dynomite_core::resp::Frame;

/// One command the workload sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `GET key`.
    Get(Bytes),
    /// `SET key value`.
    Set(Bytes, Bytes),
    /// `DEL key [key ...]`.
    Del(Vec<Bytes>),
    /// `INCR key`.
    Incr(Bytes),
    /// `APPEND key value`.
    Append(Bytes, Bytes),
    /// `EXPIRE key seconds`.
    Expire(Bytes, u64),
    /// `MGET key [key ...]`.
    Mget(Vec<Bytes>),
    /// `MSET key value [key value ...]`.
    Mset(Vec<(Bytes, Bytes)>),
    /// `HSET key field value`.
    Hset(Bytes, Bytes, Bytes),
    /// `HGET key field`.
    Hget(Bytes, Bytes),
    /// `HGETALL key`.
    Hgetall(Bytes),
    /// `SADD key member`.
    Sadd(Bytes, Bytes),
    /// `SREM key member`.
    Srem(Bytes, Bytes),
    /// `SMEMBERS key`.
    Smembers(Bytes),
    /// `INCRBY key delta` (`DECRBY key -delta` when `delta` is negative).
    Incrby(Bytes, i64),
    /// `HDEL key field`.
    Hdel(Bytes, Bytes),
    /// `HINCRBY key field delta`.
    Hincrby(Bytes, Bytes, i64),
    /// `ZADD key [flags...] score member`.
    Zadd {
        /// The key.
        key: Bytes,
        /// Flags among NX, XX, GT, LT, CH (a valid combination).
        flags: Vec<&'static str>,
        /// The score.
        score: i64,
        /// The member.
        member: Bytes,
    },
    /// `ZREM key member`.
    Zrem(Bytes, Bytes),
    /// `ZRANGE key 0 -1 WITHSCORES`.
    Zrange(Bytes),
    /// `SCAN cursor COUNT count` (one page of a cluster scan).
    Scan {
        /// The cursor sent.
        cursor: Bytes,
        /// The COUNT hint.
        count: u64,
        /// The scan this page belongs to (unique in the run).
        scan: u64,
    },
}

impl Command {
    /// The request's arguments.
    pub fn args(&self) -> Vec<Bytes> {
        let word = Bytes::from_static;
        match self {
            Command::Get(key) => vec![word(b"GET"), key.clone()],
            Command::Set(key, value) => vec![word(b"SET"), key.clone(), value.clone()],
            Command::Del(keys) => std::iter::once(word(b"DEL")).chain(keys.iter().cloned()).collect(),
            Command::Incr(key) => vec![word(b"INCR"), key.clone()],
            Command::Append(key, value) => vec![word(b"APPEND"), key.clone(), value.clone()],
            Command::Expire(key, seconds) => {
                vec![word(b"EXPIRE"), key.clone(), Bytes::from(seconds.to_string())]
            }
            Command::Mget(keys) => std::iter::once(word(b"MGET")).chain(keys.iter().cloned()).collect(),
            Command::Mset(pairs) => std::iter::once(word(b"MSET"))
                .chain(pairs.iter().flat_map(|(key, value)| [key.clone(), value.clone()]))
                .collect(),
            Command::Hset(key, field, value) => {
                vec![word(b"HSET"), key.clone(), field.clone(), value.clone()]
            }
            Command::Hget(key, field) => vec![word(b"HGET"), key.clone(), field.clone()],
            Command::Hgetall(key) => vec![word(b"HGETALL"), key.clone()],
            Command::Sadd(key, member) => vec![word(b"SADD"), key.clone(), member.clone()],
            Command::Srem(key, member) => vec![word(b"SREM"), key.clone(), member.clone()],
            Command::Smembers(key) => vec![word(b"SMEMBERS"), key.clone()],
            Command::Incrby(key, delta) if *delta < 0 => {
                vec![word(b"DECRBY"), key.clone(), Bytes::from(delta.unsigned_abs().to_string())]
            }
            Command::Incrby(key, delta) => vec![word(b"INCRBY"), key.clone(), Bytes::from(delta.to_string())],
            Command::Hdel(key, field) => vec![word(b"HDEL"), key.clone(), field.clone()],
            Command::Hincrby(key, field, delta) => {
                vec![word(b"HINCRBY"), key.clone(), field.clone(), Bytes::from(delta.to_string())]
            }
            Command::Zadd { key, flags, score, member } => std::iter::once(word(b"ZADD"))
                .chain(std::iter::once(key.clone()))
                .chain(flags.iter().map(|flag| Bytes::from_static(flag.as_bytes())))
                .chain([Bytes::from(score.to_string()), member.clone()])
                .collect(),
            Command::Zrem(key, member) => vec![word(b"ZREM"), key.clone(), member.clone()],
            Command::Zrange(key) => {
                vec![word(b"ZRANGE"), key.clone(), word(b"0"), word(b"-1"), word(b"WITHSCORES")]
            }
            Command::Scan { cursor, count, .. } => {
                vec![word(b"SCAN"), cursor.clone(), word(b"COUNT"), Bytes::from(count.to_string())]
            }
        }
    }

    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Get(_) => "GET",
            Command::Set(..) => "SET",
            Command::Del(_) => "DEL",
            Command::Incr(_) => "INCR",
            Command::Append(..) => "APPEND",
            Command::Expire(..) => "EXPIRE",
            Command::Mget(_) => "MGET",
            Command::Mset(_) => "MSET",
            Command::Hset(..) => "HSET",
            Command::Hget(..) => "HGET",
            Command::Hgetall(_) => "HGETALL",
            Command::Sadd(..) => "SADD",
            Command::Srem(..) => "SREM",
            Command::Smembers(_) => "SMEMBERS",
            Command::Incrby(_, delta) if *delta < 0 => "DECRBY",
            Command::Incrby(..) => "INCRBY",
            Command::Hdel(..) => "HDEL",
            Command::Hincrby(..) => "HINCRBY",
            Command::Zadd { .. } => "ZADD",
            Command::Zrem(..) => "ZREM",
            Command::Zrange(_) => "ZRANGE",
            Command::Scan { .. } => "SCAN",
        }
    }

    /// True for commands that change data.
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Command::Set(..)
                | Command::Del(_)
                | Command::Incr(_)
                | Command::Append(..)
                | Command::Expire(..)
                | Command::Mset(_)
                | Command::Hset(..)
                | Command::Sadd(..)
                | Command::Srem(..)
                | Command::Incrby(..)
                | Command::Hdel(..)
                | Command::Hincrby(..)
                | Command::Zadd { .. }
                | Command::Zrem(..)
        )
    }

    /// The counter delta of the command on `key` (INCR, INCRBY, DECRBY), if it is one.
    pub fn counter_delta(&self, key: &Bytes) -> Option<i64> {
        match self {
            Command::Incr(written) if written == key => Some(1),
            Command::Incrby(written, delta) if written == key => Some(*delta),
            _ => None,
        }
    }

    /// The keys the command touches, in argument order.
    pub fn keys(&self) -> Vec<&Bytes> {
        match self {
            Command::Get(key)
            | Command::Set(key, _)
            | Command::Incr(key)
            | Command::Append(key, _)
            | Command::Expire(key, _)
            | Command::Hset(key, ..)
            | Command::Hget(key, _)
            | Command::Hgetall(key)
            | Command::Sadd(key, _)
            | Command::Srem(key, _)
            | Command::Smembers(key)
            | Command::Incrby(key, _)
            | Command::Hdel(key, _)
            | Command::Hincrby(key, ..)
            | Command::Zadd { key, .. }
            | Command::Zrem(key, _)
            | Command::Zrange(key) => vec![key],
            Command::Del(keys) | Command::Mget(keys) => keys.iter().collect(),
            Command::Mset(pairs) => pairs.iter().map(|(key, _)| key).collect(),
            Command::Scan { .. } => Vec::new(),
        }
    }

    /// The string-register effect of the command on `key`, if it has one: `Some(Some(v))` sets `v`,
    /// `Some(None)` deletes (DEL; EXPIRE is not a register write and answers `None`).
    pub fn register_write(&self, key: &Bytes) -> Option<Option<&Bytes>> {
        match self {
            Command::Set(written, value) if written == key => Some(Some(value)),
            Command::Del(keys) if keys.contains(key) => Some(None),
            Command::Mset(pairs) => pairs.iter().find(|(written, _)| written == key).map(|(_, v)| Some(v)),
            _ => None,
        }
    }
}

/// How an operation ended, as the client saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The node answered with a reply that is not an error.
    Ok(Frame),
    /// The node answered with an error.
    Failed(String),
    /// No answer (timeout, connection lost): the operation may or may not have taken effect.
    Indeterminate(String),
}

/// One client request.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation {
    /// Unique id within the history (invocation order).
    pub id: u64,
    /// The client that issued it.
    pub client: usize,
    /// The client connection it was sent on (unique in the run).
    pub connection: u64,
    /// The id the node gave that connection (`CLIENT ID`); 0 when it never answered.
    pub connection_id: u64,
    /// The request's 1-based sequence on the connection (`DYNO_CONFIG` is 1, `CLIENT ID` 2).
    pub sequence: u64,
    /// The connection's pipeline batch it was sent in (0-based).
    pub batch: u64,
    /// Its position in that batch (0-based).
    pub position: usize,
    /// The node the client talked to (the coordinator).
    pub node: usize,
    /// The connection's consistency level.
    pub consistency: Consistency,
    /// What was sent.
    pub command: Command,
    /// When the client sent it (its batch), in ms of the shared clock.
    pub invoked_ms: u64,
    /// When the client got its outcome, in ms of the shared clock.
    pub completed_ms: u64,
    /// How it ended.
    pub outcome: Outcome,
    /// Per fragment (one for single-key commands), the node indexes of the deciding replicas that
    /// acknowledged it, from the coordinator's decisions; empty when the coordinator made none (a
    /// local DC_ONE read, a failed request).
    pub acknowledged_by: Vec<Vec<usize>>,
    /// The HLC timestamps the coordinator gave the request's write fragments (CRDT mode), from its
    /// decisions; empty for reads, without CRDT mode, or when the coordinator made no decision.
    pub timestamps: Vec<Timestamp>,
}

impl Operation {
    /// True when the outcome is `Ok`.
    pub fn is_ok(&self) -> bool {
        matches!(self.outcome, Outcome::Ok(_))
    }

    /// The earliest timestamp of the request's write fragments (the one every fragment's is at least).
    pub fn timestamp_min(&self) -> Option<Timestamp> {
        self.timestamps.iter().min().copied()
    }

    /// The latest timestamp of the request's write fragments.
    pub fn timestamp_max(&self) -> Option<Timestamp> {
        self.timestamps.iter().max().copied()
    }

    /// The reply of an `Ok` operation.
    pub fn reply(&self) -> Option<&Frame> {
        match &self.outcome {
            Outcome::Ok(frame) => Some(frame),
            _ => None,
        }
    }

    /// For an `Ok` read of string `key` (GET, or MGET naming it), the value read (`Some(None)` = nil).
    pub fn read_value(&self, key: &Bytes) -> Option<Option<&Bytes>> {
        let reply = self.reply()?;
        match (&self.command, reply) {
            (Command::Get(read), Frame::Bulk(value)) if read == key => Some(Some(value)),
            (Command::Get(read), Frame::Null) if read == key => Some(None),
            (Command::Mget(keys), Frame::Array(items)) => {
                let position = keys.iter().position(|read| read == key)?;
                match items.get(position)? {
                    Frame::Bulk(value) => Some(Some(value)),
                    Frame::Null => Some(None),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

/// `operations` grouped by the connection that sent them, each group in send order (request sequence).
pub fn by_connection<'a>(
    operations: impl IntoIterator<Item = &'a Operation>,
) -> std::collections::BTreeMap<u64, Vec<&'a Operation>> {
    let mut groups: std::collections::BTreeMap<u64, Vec<&'a Operation>> = std::collections::BTreeMap::new();
    for operation in operations {
        groups.entry(operation.connection).or_default().push(operation);
    }
    for group in groups.values_mut() {
        group.sort_by_key(|operation| operation.sequence);
    }
    groups
}

/// Every operation of one run, sorted by invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The operations.
    pub operations: Vec<Operation>,
}

impl History {
    /// A history of these operations.
    pub fn new(operations: Vec<Operation>) -> History {
        History { operations }
    }
}

/// A key's family, from its prefix: which commands touch it and which checkers judge it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyFamily {
    /// `s<n>`: shared string registers (GET, SET, DEL, MGET, MSET).
    Shared,
    /// `p<client>-<n>`: one client's own string registers.
    Private,
    /// `t<n>`: string registers that also get EXPIRE.
    Expiring,
    /// `l<dc>-<n>`: registers only safe-quorum connections of datacenter `dc` touch (linearizability).
    Linear,
    /// `c<n>`: counters that only grow (INCR, INCRBY with a positive delta); never deleted.
    Counter,
    /// `d<n>`: counters that go both ways (INCRBY, DECRBY); never deleted.
    SignedCounter,
    /// `k<n>`: hashes of counters (HINCRBY with a positive delta, HGET, HGETALL); never deleted.
    CounterHash,
    /// `a<n>`: append logs (APPEND).
    Log,
    /// `h<n>`: hashes.
    Hash,
    /// `z<n>`: sets.
    Set,
    /// `o<n>`: sorted sets (ZADD with flags, ZREM, ZRANGE WITHSCORES).
    SortedSet,
}

impl KeyFamily {
    /// The family of `key`, if it is a workload key.
    pub fn of(key: &[u8]) -> Option<KeyFamily> {
        Some(match key.first()? {
            b's' => KeyFamily::Shared,
            b'p' => KeyFamily::Private,
            b't' => KeyFamily::Expiring,
            b'l' => KeyFamily::Linear,
            b'c' => KeyFamily::Counter,
            b'a' => KeyFamily::Log,
            b'h' => KeyFamily::Hash,
            b'z' => KeyFamily::Set,
            b'd' => KeyFamily::SignedCounter,
            b'k' => KeyFamily::CounterHash,
            b'o' => KeyFamily::SortedSet,
            _ => return None,
        })
    }

    /// True for families whose value is one string written whole (SET/MSET/DEL, EXPIRE).
    pub fn is_register(self) -> bool {
        matches!(self, KeyFamily::Shared | KeyFamily::Private | KeyFamily::Expiring | KeyFamily::Linear)
    }

    /// True for families of plain integer counters (read with GET).
    pub fn is_counter(self) -> bool {
        matches!(self, KeyFamily::Counter | KeyFamily::SignedCounter)
    }

    /// True for families a plain GET reads (registers and counters).
    pub fn is_string(self) -> bool {
        self.is_register() || self.is_counter() || self == KeyFamily::Log
    }
}
