//! What each request of a client is: a seeded mix of every command the workload covers over small
//! key families (so clients collide on keys), unique values that name their key and writer, and reads
//! that often follow the connection's own recent writes (so a read overtaking a write shows).
//!
//! Families (see [`KeyFamily`]), one keyspace per type, shared by every client so writers through
//! different nodes collide: shared registers `s<n>`, a client's own registers `p<client>-<n>`,
//! expiring registers `t<n>` (SET, GET, EXPIRE), per-datacenter registers `l<dc>-<n>` that only
//! safe-quorum connections touch, growing counters `c<n>` (INCR, INCRBY), signed counters `d<n>`
//! (INCRBY, DECRBY), hashes `h<n>` (HSET, HDEL, HGET, HGETALL, DEL), counter hashes `k<n>` (HINCRBY,
//! HGET, HGETALL), sets `z<n>` (SADD, SREM, SMEMBERS, DEL) and sorted sets `o<n>` (ZADD with flags,
//! ZREM, ZRANGE WITHSCORES, DEL). Counter keys are never deleted.
//!
//! APPEND is not in the mix: it is not a CRDT operation (replicas apply appends in arrival order), so
//! its keys could not converge, and every scenario runs in CRDT mode. The append-log checker stays
//! for hand-built histories.

use bytes::Bytes;
use dynomite_core::config::Consistency;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::history::{Command, KeyFamily};

/// Shared registers.
pub const SHARED_KEYS: usize = 8;
/// Registers of each client.
pub const PRIVATE_KEYS: usize = 3;
/// Expiring registers.
pub const EXPIRING_KEYS: usize = 4;
/// Linearizable registers per datacenter.
pub const LINEAR_KEYS: usize = 3;
/// Growing counters.
pub const COUNTER_KEYS: usize = 3;
/// Signed counters.
pub const SIGNED_COUNTER_KEYS: usize = 2;
/// Counter hashes.
pub const COUNTER_HASH_KEYS: usize = 2;
/// Hashes.
pub const HASH_KEYS: usize = 2;
/// Sets.
pub const SET_KEYS: usize = 2;
/// Sorted sets.
pub const SORTED_SET_KEYS: usize = 2;
/// Largest INCRBY/DECRBY/HINCRBY delta.
const DELTA_MAX: i64 = 9;
/// ZADD scores are drawn from `0..=SCORE_MAX`.
const SCORE_MAX: i64 = 99;
/// The ZADD flag combinations drawn (each valid for Redis).
const ZADD_FLAGS: [&[&str]; 10] = [
    &[],
    &["NX"],
    &["XX"],
    &["GT"],
    &["LT"],
    &["XX", "GT"],
    &["XX", "LT"],
    &["CH"],
    &["XX", "CH"],
    &["GT", "CH"],
];
/// Fields per hash and members per set.
const MEMBERS: usize = 4;
/// Most keys of one MGET, MSET or multi-key DEL.
const MULTI_KEYS_MAX: usize = 4;
/// EXPIRE seconds range: short, so TTLs elapse during the run.
const EXPIRE_SECONDS: std::ops::RangeInclusive<u64> = 1..=3;
/// Keys a connection remembers as recently written (reads prefer them).
const RECENT_KEYS: usize = 4;

/// Every workload key a run can touch with `clients` clients in `datacenters` datacenters.
pub fn all_keys(clients: usize, datacenters: usize) -> Vec<Bytes> {
    let mut keys = Vec::new();
    let mut family = |prefix: &str, count: usize| {
        keys.extend((0..count).map(|n| Bytes::from(format!("{prefix}{n}"))));
    };
    family("s", SHARED_KEYS);
    family("t", EXPIRING_KEYS);
    family("c", COUNTER_KEYS);
    family("d", SIGNED_COUNTER_KEYS);
    family("k", COUNTER_HASH_KEYS);
    family("h", HASH_KEYS);
    family("z", SET_KEYS);
    family("o", SORTED_SET_KEYS);
    for client in 0..clients {
        family(&format!("p{client}-"), PRIVATE_KEYS);
    }
    for datacenter in 0..datacenters {
        family(&format!("l{datacenter}-"), LINEAR_KEYS);
    }
    keys.sort();
    keys
}

/// Draws one client's requests from its own generator.
pub struct OperationChooser {
    rng: ChaCha8Rng,
    client: usize,
    sequence: u64,
    /// Keys recently written, per connection.
    recent: Vec<Vec<Bytes>>,
}

impl OperationChooser {
    /// A chooser for `client` with `connections` connections, drawing from `rng`.
    pub fn new(rng: ChaCha8Rng, client: usize, connections: usize) -> OperationChooser {
        OperationChooser { rng, client, sequence: 0, recent: vec![Vec::new(); connections] }
    }

    /// The generator (the client draws its pacing from it too).
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.rng
    }

    /// The next request for connection `connection` at `consistency`, whose node is in datacenter
    /// `datacenter`.
    pub fn next(&mut self, connection: usize, consistency: Consistency, datacenter: usize) -> Command {
        self.sequence += 1;
        let safe = matches!(consistency, Consistency::DcSafeQuorum | Consistency::DcEachSafeQuorum);
        let roll = self.rng.gen_range(0..100u32);
        let command = match roll {
            0..=17 => Command::Get(self.read_key(connection, safe, datacenter)),
            18..=30 => {
                let key = self.register_key(safe, datacenter);
                Command::Set(key.clone(), self.value(&key))
            }
            31..=32 => Command::Del(vec![self.register_key(safe, datacenter)]),
            33..=34 => Command::Del(self.shared_keys()),
            35..=39 => Command::Mget(self.multi_keys()),
            40..=44 => {
                let pairs =
                    self.multi_keys().into_iter().map(|key| (key.clone(), self.value(&key))).collect();
                Command::Mset(pairs)
            }
            45..=49 => Command::Incr(self.numbered("c", COUNTER_KEYS)),
            50..=51 => Command::Incrby(self.numbered("c", COUNTER_KEYS), self.rng.gen_range(1..=DELTA_MAX)),
            52..=53 => Command::Get(self.numbered("c", COUNTER_KEYS)),
            54..=56 => {
                let delta = self.rng.gen_range(1..=DELTA_MAX);
                let delta = if self.rng.gen_bool(0.5) { delta } else { -delta };
                Command::Incrby(self.numbered("d", SIGNED_COUNTER_KEYS), delta)
            }
            57 => Command::Get(self.numbered("d", SIGNED_COUNTER_KEYS)),
            58..=60 => Command::Hincrby(
                self.numbered("k", COUNTER_HASH_KEYS),
                self.member("f"),
                self.rng.gen_range(1..=DELTA_MAX),
            ),
            61 => match self.rng.gen_bool(0.5) {
                true => Command::Hget(self.numbered("k", COUNTER_HASH_KEYS), self.member("f")),
                false => Command::Hgetall(self.numbered("k", COUNTER_HASH_KEYS)),
            },
            62..=64 => Command::Expire(self.numbered("t", EXPIRING_KEYS), self.rng.gen_range(EXPIRE_SECONDS)),
            65..=68 => {
                let key = self.numbered("h", HASH_KEYS);
                let field = self.member("f");
                Command::Hset(key.clone(), field, self.value(&key))
            }
            69..=70 => Command::Hdel(self.numbered("h", HASH_KEYS), self.member("f")),
            71..=72 => Command::Hget(self.numbered("h", HASH_KEYS), self.member("f")),
            73..=74 => Command::Hgetall(self.numbered("h", HASH_KEYS)),
            75..=78 => Command::Sadd(self.numbered("z", SET_KEYS), self.member("m")),
            79..=80 => Command::Srem(self.numbered("z", SET_KEYS), self.member("m")),
            81..=82 => Command::Smembers(self.numbered("z", SET_KEYS)),
            83..=88 => Command::Zadd {
                key: self.numbered("o", SORTED_SET_KEYS),
                flags: ZADD_FLAGS[self.rng.gen_range(0..ZADD_FLAGS.len())].to_vec(),
                score: self.rng.gen_range(0..=SCORE_MAX),
                member: self.member("m"),
            },
            89..=90 => Command::Zrem(self.numbered("o", SORTED_SET_KEYS), self.member("m")),
            91..=92 => Command::Zrange(self.numbered("o", SORTED_SET_KEYS)),
            93..=94 => {
                let key = match self.rng.gen_range(0..3) {
                    0 => self.numbered("h", HASH_KEYS),
                    1 => self.numbered("z", SET_KEYS),
                    _ => self.numbered("o", SORTED_SET_KEYS),
                };
                Command::Del(vec![key])
            }
            _ => Command::Get(self.register_key(safe, datacenter)),
        };
        if command.is_write() {
            let recent = &mut self.recent[connection];
            for key in command.keys() {
                recent.retain(|known| known != key);
                recent.push(key.clone());
            }
            let excess = recent.len().saturating_sub(RECENT_KEYS);
            recent.drain(..excess);
        }
        command
    }

    /// A key to read: half the time one this connection wrote recently (a register or counter), else
    /// a register.
    fn read_key(&mut self, connection: usize, safe: bool, datacenter: usize) -> Bytes {
        let recent = &self.recent[connection];
        if !recent.is_empty() && self.rng.gen_bool(0.5) {
            let key = recent[self.rng.gen_range(0..recent.len())].clone();
            let readable = KeyFamily::of(&key).is_some_and(KeyFamily::is_string);
            let allowed = KeyFamily::of(&key) != Some(KeyFamily::Linear) || safe;
            if readable && allowed {
                return key;
            }
        }
        self.register_key(safe, datacenter)
    }

    /// A register: shared, own, expiring, or (on safe connections) this datacenter's linearizable one.
    fn register_key(&mut self, safe: bool, datacenter: usize) -> Bytes {
        match self.rng.gen_range(0..100u32) {
            0..=39 => self.numbered("s", SHARED_KEYS),
            40..=69 => {
                let n = self.rng.gen_range(0..PRIVATE_KEYS);
                Bytes::from(format!("p{}-{n}", self.client))
            }
            70..=84 => self.numbered("t", EXPIRING_KEYS),
            _ if safe => {
                let n = self.rng.gen_range(0..LINEAR_KEYS);
                Bytes::from(format!("l{datacenter}-{n}"))
            }
            _ => self.numbered("s", SHARED_KEYS),
        }
    }

    /// Distinct keys for MGET and MSET: shared registers and this client's own.
    fn multi_keys(&mut self) -> Vec<Bytes> {
        let count = self.rng.gen_range(2..=MULTI_KEYS_MAX);
        let mut keys: Vec<Bytes> = Vec::with_capacity(count);
        while keys.len() < count {
            let key = if self.rng.gen_bool(0.5) {
                self.numbered("s", SHARED_KEYS)
            } else {
                Bytes::from(format!("p{}-{}", self.client, self.rng.gen_range(0..PRIVATE_KEYS)))
            };
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    /// Distinct shared registers for a multi-key DEL.
    fn shared_keys(&mut self) -> Vec<Bytes> {
        let count = self.rng.gen_range(2..=MULTI_KEYS_MAX);
        let mut keys: Vec<Bytes> = Vec::with_capacity(count);
        while keys.len() < count {
            let key = self.numbered("s", SHARED_KEYS);
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        keys
    }

    fn numbered(&mut self, prefix: &str, count: usize) -> Bytes {
        Bytes::from(format!("{prefix}{}", self.rng.gen_range(0..count)))
    }

    fn member(&mut self, prefix: &str) -> Bytes {
        Bytes::from(format!("{prefix}{}", self.rng.gen_range(0..MEMBERS)))
    }

    /// A value no other write uses, naming its key and writer: `<key>=<client>.<sequence>`.
    fn value(&self, key: &Bytes) -> Bytes {
        Bytes::from(format!("{}={}.{}", String::from_utf8_lossy(key), self.client, self.sequence))
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;

    use super::*;

    #[test]
    fn same_seed_same_requests_every_command_and_unique_values() {
        let draw = |seed| {
            let mut chooser = OperationChooser::new(ChaCha8Rng::seed_from_u64(seed), 3, 2);
            (0..2000).map(|n| chooser.next(n % 2, Consistency::DcSafeQuorum, 0)).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let commands = draw(7);
        let mut names: Vec<&str> = commands.iter().map(Command::name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), 20, "every command but SCAN and APPEND (the client runs scans): {names:?}");
        let mut values: Vec<Bytes> = commands
            .iter()
            .flat_map(|command| match command {
                Command::Set(_, value) => vec![value.clone()],
                Command::Mset(pairs) => pairs.iter().map(|(_, value)| value.clone()).collect(),
                _ => Vec::new(),
            })
            .collect();
        let written = values.len();
        values.sort();
        values.dedup();
        assert_eq!(values.len(), written);
        let keys = all_keys(4, 1);
        for command in &commands {
            for key in command.keys() {
                assert!(keys.contains(key), "{key:?} not in all_keys");
            }
        }
    }
}
