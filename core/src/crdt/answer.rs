//! [`answer`]: the reply a client gets for a read after read repair merged the replicas' states.
//!
//! Rather than re-implementing every read command's reply shape, the live data of the merged state is
//! loaded into a scratch embedded [`Store`] (SET / HSET / SADD / ZADD, then PEXPIREAT for a live
//! deadline) and the client's own command runs there. The embedded engine answers byte for byte like
//! Redis 7 in RESP2 and RESP3 (checked by `core/tests/store_vs_redis.rs`), so GET, MGET, HGET, HMGET,
//! HGETALL, HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, ZRANGE (all
//! forms), ZSCORE, ZMSCORE, ZRANK, ZCARD, ZCOUNT, EXISTS, TYPE, TTL/PTTL, STRLEN, GETRANGE ... all answer
//! exactly as a Redis holding the merged data would, errors (WRONGTYPE, syntax) included.
//!
//! The one difference from a replica's own reply: element order where Redis leaves it to its encoding.
//! The scratch store receives hash fields in byte order (a replica holds them in insertion order) and
//! answers set members in its documented order.
//!
//! The state must be managed: an unmanaged key (data without metadata) has no live data here; the
//! `read` script returns the datastore's own reply for those.

use bytes::Bytes;

use super::state::{CrdtType, KeyState};
use crate::resp::{Frame, Protocol};
use crate::store::Store;

/// Arguments per loading command at most (field/value pairs stay together), so one load command stays
/// small even for a large collection.
const LOAD_ARGUMENTS_MAX: usize = 1024;

/// The reply to `read_args` (`read_args[0]` is the command name, `read_args[1]` the key the state
/// belongs to) when the key holds the live part of `state` at `now_ms`, shaped for `protocol`.
pub fn answer(state: &KeyState, read_args: &[Bytes], protocol: Protocol, now_ms: u64) -> Frame {
    let mut store = Store::new();
    if let Some(key) = read_args.get(1) {
        load(&mut store, key, state, now_ms);
    }
    store.execute(read_args, now_ms, protocol)
}

/// Writes the live part of `state` at `now_ms` under `key` into `store`.
pub fn load(store: &mut Store, key: &Bytes, state: &KeyState, now_ms: u64) {
    let Some(crdt_type) = state.crdt_type else { return };
    let (command, items): (&'static [u8], Vec<Bytes>) = match crdt_type {
        CrdtType::String | CrdtType::Counter => match state.live_string(now_ms) {
            Some(value) => (b"SET", vec![value]),
            None => return,
        },
        CrdtType::Hash => (b"HSET", state.live_hash(now_ms).into_iter().flat_map(|(f, v)| [f, v]).collect()),
        CrdtType::Set => (b"SADD", state.live_members(now_ms)),
        CrdtType::Zset => {
            (b"ZADD", state.live_scored(now_ms).into_iter().flat_map(|(m, s)| [s, m]).collect())
        }
    };
    for chunk in items.chunks(LOAD_ARGUMENTS_MAX) {
        let mut args = vec![Bytes::from_static(command), key.clone()];
        args.extend_from_slice(chunk);
        let reply = store.execute(&args, now_ms, Protocol::Resp2);
        // Replica data that the engine refuses (a score that is not a float) cannot be shown; the rest is.
        debug_assert!(!reply.is_error(), "loading merged data failed: {reply:?}");
    }
    if let Some(deadline_ms) = state.live_deadline_ms(now_ms) {
        let args = [Bytes::from_static(b"PEXPIREAT"), key.clone(), Bytes::from(deadline_ms.to_string())];
        store.execute(&args, now_ms, Protocol::Resp2);
    }
}
