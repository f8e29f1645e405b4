//! The embedded Redis-compatible datastore engine.
//!
//! [`Store`] is an in-memory keyspace that answers commands byte-for-byte like redis-server 7.0.15
//! (in RESP2 and RESP3 shapes) for the commands it supports. It is the datastore behind a dynomite
//! node when no Redis is installed, and the datastore host of the simulator.
//!
//! ## Why it dispatches on command names itself
//! The engine is a separate logical server: it receives the raw wire arguments a Redis would receive,
//! so it parses the command name (any case) and checks arity itself, exactly like Redis does, instead
//! of reusing the proxy's routing table. Each handler lives in the module of its data type.
//!
//! ## Determinism
//! Keys live in a `BTreeMap` and time is injected (`now_ms`, Unix milliseconds). Expiry is lazy on
//! access plus [`Store::expire_some`] for active expiry. Randomness (RANDOMKEY, SPOP, SRANDMEMBER,
//! HRANDFIELD) comes from a SplitMix64 generator seeded by [`Store::with_seed`].
//!
//! ## Deliberate differences from Redis
//! - Unsupported commands reply `-ERR <NAME> is not supported by the embedded datastore`, not
//!   Redis's "unknown command", because Redis does know them.
//! - EVAL/EVALSHA/EVAL_RO/EVALSHA_RO/SCRIPT run Lua 5.1 with Redis's `redis.*` API; the script
//!   cache, instruction count and Lua memory are bounded, and a few libraries are missing (see
//!   [`scripting`] for the list).
//! - Only database 0 exists: `SELECT 0` is OK, any other index is `ERR DB index is out of range`.
//! - SCAN cursors name a remembered position in the sorted key order (see [`keyspace`]); HSCAN, SSCAN
//!   and ZSCAN return the whole collection in one call with cursor 0 (what Redis does for small
//!   collections).
//! - Element order where Redis leaves it to a hash table: set members come back in numeric order
//!   when every member is an integer (what an intset gives) and in byte order otherwise; hash fields
//!   always keep insertion order (what a small listpack hash gives; Redis switches to hash-table
//!   order past 128 fields or 64-byte values); KEYS/SCAN walk keys in byte order.
//! - ZRANGE BYLEX / ZLEXCOUNT / ZREMRANGEBYLEX filter every member; Redis documents their result as
//!   unspecified when members have different scores.
//! - INCRBYFLOAT/HINCRBYFLOAT emulate Redis's x87 long double exactly for operands of up to 38
//!   significant digits and results below 2^128; beyond that they compute in f64 (last digits may
//!   differ, and values past f64's range are refused as infinite).
//! - A negative-count SRANDMEMBER/HRANDFIELD returns at most `RANDOM_REPEATS_MAX` elements.
//!
//! Everything else — reply shapes in RESP2 and RESP3, error texts and the order in which errors are
//! detected — is checked against redis-server 7.0.15 by `core/tests/store_vs_redis.rs` (and for
//! scripts by `core/tests/store_scripting_vs_redis.rs`).

mod args;
mod glob;
mod hashes;
pub mod keyspace;
mod lists;
mod numbers;
mod random;
pub mod scripting;
mod server;
mod sets;
mod sorted_set;
mod strings;
mod table;
mod value;
mod zset_combine;
mod zset_ranges;
mod zsets;

use std::collections::BTreeMap;
use std::ops::Bound;

use bytes::Bytes;

use crate::resp::{Frame, Protocol};

use random::SplitMix64;
use value::Entry;

/// Keys active expiry may examine per key it is allowed to remove (bounds the work of one call).
const EXPIRY_EXAMINED_PER_REMOVAL: usize = 20;

/// Seed of the generator used by [`Store::new`].
const DEFAULT_SEED: u64 = 0x5eed_d1a0_0000_0001;

/// One command as a handler sees it.
pub(crate) struct Call<'a> {
    /// The wire arguments; `args[0]` is the command name.
    pub args: &'a [Bytes],
    /// The injected clock, Unix milliseconds.
    pub now_ms: u64,
    /// The protocol of the connection the reply goes to.
    pub protocol: Protocol,
}

/// Counters shown by INFO.
#[derive(Debug, Default, Clone)]
struct Statistics {
    /// Commands executed (any outcome).
    commands_processed: u64,
    /// Keys removed because their TTL passed.
    expired_keys: u64,
    /// Lookups that found their key.
    keyspace_hits: u64,
    /// Lookups that did not.
    keyspace_misses: u64,
}

/// The in-memory keyspace and its server state. Call [`Store::execute`] for each command in order;
/// call [`Store::expire_some`] now and then to drop expired keys nobody reads.
#[derive(Debug, Clone)]
pub struct Store {
    /// Every key with its value and optional expiry; a BTreeMap for deterministic iteration.
    keys: BTreeMap<Bytes, Entry>,
    /// Source of RANDOMKEY/SPOP/SRANDMEMBER/HRANDFIELD choices.
    random: SplitMix64,
    /// Open SCAN cursors: cursor number → last key returned.
    scan_cursors: BTreeMap<u64, Bytes>,
    /// Next SCAN cursor number to hand out (never 0).
    next_scan_cursor: u64,
    /// Counters for INFO.
    statistics: Statistics,
    /// Where the next active-expiry pass resumes (the last key it examined), so each call does
    /// bounded work and successive calls sweep the whole keyspace.
    expiry_resume_after: Option<Bytes>,
    /// Script cache, rand48 state and Lua state of EVAL/EVALSHA/SCRIPT (see [`scripting`]).
    scripting: scripting::Scripting,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty store with the default random seed.
    pub fn new() -> Store {
        Store::with_seed(DEFAULT_SEED)
    }

    /// An empty store whose random choices derive from `seed`.
    pub fn with_seed(seed: u64) -> Store {
        Store {
            keys: BTreeMap::new(),
            random: SplitMix64::new(seed),
            scan_cursors: BTreeMap::new(),
            next_scan_cursor: 1,
            statistics: Statistics::default(),
            expiry_resume_after: None,
            scripting: scripting::Scripting::default(),
        }
    }

    /// Executes one command; `args[0]` is the name (any case). `now_ms` is the injected clock (Unix
    /// ms). The reply is shaped for `protocol`.
    pub fn execute(&mut self, args: &[Bytes], now_ms: u64, protocol: Protocol) -> Frame {
        self.statistics.commands_processed += 1;
        let Some(name) = args.first() else {
            return Frame::error("ERR empty command");
        };
        let Some(command) = table::lookup(name) else {
            return unsupported(name);
        };
        if !command.arity_accepts(args.len()) {
            return args::wrong_arity(command.name);
        }
        (command.handler)(self, &Call { args, now_ms, protocol })
    }

    /// Active expiry: removes at most `max_keys` keys whose TTL has passed and returns how many.
    /// Each call examines at most `max_keys * EXPIRY_EXAMINED_PER_REMOVAL` keys, resuming where the
    /// previous call stopped and wrapping around, so repeated calls sweep every key.
    pub fn expire_some(&mut self, now_ms: u64, max_keys: usize) -> usize {
        let budget = max_keys.saturating_mul(EXPIRY_EXAMINED_PER_REMOVAL);
        let start = self.expiry_resume_after.take();
        let lowest = Bytes::new();
        // Keys after the resume point, then (wrapping) the keys up to and including it.
        let (after, before) = match &start {
            Some(key) => ((Bound::Excluded(key), Bound::Unbounded), (Bound::Unbounded, Bound::Included(key))),
            None => ((Bound::Unbounded, Bound::Unbounded), (Bound::Unbounded, Bound::Excluded(&lowest))),
        };
        let sweep = self.keys.range::<Bytes, _>(after).chain(self.keys.range::<Bytes, _>(before));
        let mut expired = Vec::new();
        let mut last_examined = None;
        for (key, entry) in sweep.take(budget) {
            last_examined = Some(key);
            if entry.is_expired(now_ms) {
                expired.push(key.clone());
                if expired.len() >= max_keys {
                    break;
                }
            }
        }
        self.expiry_resume_after = last_examined.cloned();
        for key in &expired {
            self.keys.remove(key);
        }
        self.statistics.expired_keys += expired.len() as u64;
        expired.len()
    }

    /// Number of keys, including expired keys not yet removed.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when the store holds no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// An estimate of the bytes the keyspace uses, for INFO.
    pub fn used_memory_bytes(&self) -> usize {
        self.keys.iter().map(|(key, entry)| key.len() + entry.estimated_size_bytes()).sum()
    }
}

/// The reply to a command the engine does not implement.
fn unsupported(name: &[u8]) -> Frame {
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    Frame::error(format!("ERR {name} is not supported by the embedded datastore"))
}

#[cfg(test)]
mod tests;
