//! The Lua scripts that keep a key's data (K) and its CRDT metadata (M = `_dyn:m:` ++ K) in step,
//! atomically, in the datastore: one script per covered write, plus `state`, `read`, `merge` and `gc`.
//!
//! The texts live in `scripts/*.lua`; each is the shared `scripts/prelude.lua` (timestamps, metadata
//! cache, pruning, adoption of unmanaged data, expiry) concatenated at build time with the operation.
//! They use Lua 5.1 and Redis's scripting API only (`redis.call`, `redis.pcall`, `redis.error_reply`,
//! `redis.status_reply`), so Redis 7 and the embedded engine run the same text; the proxy sends them
//! with `EVALSHA <sha1> <numkeys> keys... args...` ([`Script::sha1`] is what `SCRIPT LOAD` answers).
//!
//! # Arguments
//! KEYS holds data keys only (Dynomite routes on them); M is derived inside the script (fine on a
//! standalone Redis). Every write script's ARGV starts with `ts` (the coordinator's 24-hex timestamp)
//! and `changelog_max` (bound of the `_dyn:log` list each applied write LPUSHes K to; `0` = no log):
//!
//! | script | KEYS | ARGV after `ts, changelog_max` | reply |
//! |---|---|---|---|
//! | `set` | K | value, condition (`""`/`NX`/`XX`), keepttl (`0`/`1`), deadline_ms (absolute, `0` = none), reply (`ok`/`get`/`int`) | SET: OK or nil; `get`: old value; `int`: SETNX 1/0 |
//! | `mset` | K1..Kn | v1..vn | OK |
//! | `del` | K1..Kn | — | keys that existed |
//! | `hset` | K | mode (`hset`/`hmset`/`hsetnx`), f1, v1, ... | new fields / OK / 1-0 |
//! | `hdel` | K | f1, ... | fields removed |
//! | `hincrby` | K | field, delta | `[value, id, s, p, n, h]`: the new value and the applier's component of the field (`counter` joins it elsewhere) |
//! | `sadd`, `srem`, `zrem` | K | members... | members added / removed |
//! | `zadd` | K | condition (`""`/`NX`/`XX`), compare (`""`/`GT`/`LT`), ch (`0`/`1`), incr (`0`/`1`), score1, member1, ... | added (+changed with CH); INCR: new score or nil |
//! | `expire` | K | deadline_ms (absolute Unix ms, at least 1; `0` = PERSIST), condition (`""`/`NX`/`XX`/`GT`/`LT`) | 1/0 |
//! | `incrby` | K | delta | `[value, id, s, p, n, h]`: the new value and the applier's component |
//! | `counter` | K | field (`""` for a key), id, s, p, n, h | the value there after joining the component |
//!
//! The other scripts take no timestamp:
//! - `state`: `KEYS=[K], ARGV=[max_elements]` → `[meta_flat, TYPE of K, data, pttl]` (data: string GET,
//!   hash HGETALL, set SMEMBERS, zset ZRANGE 0 -1 WITHSCORES, else `[]`); over `max_elements` (the
//!   larger of M's field count and K's cardinality) the error
//!   `ERR dynomite: crdt state of key holds <n> elements, more than <max>`.
//! - `read`: `KEYS=[K], ARGV=[max_elements, read command args...]` → `[state or nil, reply or nil]`; the
//!   reply (the command run by the script) only for unmanaged keys (K without M) or too large states.
//! - `merge`: `KEYS=[K], ARGV=[type, pair_count, meta field/value pairs..., data...]` (data: string
//!   `[value]`; hash field,value pairs of live fields; zset member,score pairs of live members; set and
//!   counter nothing) → metadata fields changed.
//! - `gc`: `KEYS=[K], ARGV=[horizon ts]` → metadata fields removed: all of M when K is gone and every
//!   timestamp in M is at or before the horizon; else tombstones `r:<m>` at or before it (not for hash
//!   fields with counter components) and `d` at or before it (with an expiry it killed).
//!
//! # How the scripts implement the data model ([`super::state`])
//! - Replies are what Redis answers for the command on this replica's current data (NX/XX, HSETNX,
//!   GT/LT, INCR's new value included); the timestamps decide only the effect. A discarded (older or
//!   duplicate) write answers as if applied: SET `OK`, INCR the current value plus delta.
//! - Every script leaves M in the normalized form (`KeyState::normalize`'s rules, applied by the
//!   prelude's `normalize` or, on the hot paths, by the op itself), so a replica's state can be compared
//!   with a merge (`KeyState::same_as`) and the `merge` script stores exactly `merge::merge`'s result.
//! - Inside a script the kill timestamp is `d`: a passed expiry is written into `d` (the rule of
//!   [`super::state`], section "Expiry", at the datastore's clock `TIME`): on opening the key, after
//!   every write that changed something (its own timestamp counted), and in `merge` after the join;
//!   an expiry op whose own deadline has passed raises `d` to `max((deadline, 0, 0), ts)` even when it
//!   loses the register. Then M is normalized and K rebuilt without TTL, so a key re-created after its
//!   deadline has no TTL, as in Redis. A write that loses a type change raises `d` to its timestamp.
//! - Unmanaged data (K without M: written before CRDT mode or by an uncovered command) is adopted on
//!   the first covered write with the timestamp `000000000000000000000000` (newer than missing, older
//!   than any real write; equal timestamps merge to the byte-wise larger value).
//! - A write of another CRDT type than `t` (SET over a hash, INCR over a register) applies only when
//!   newer than the key-level timestamp and first raises `d` to it; INCR over a live integer register
//!   folds the register's value into its delta (SET k 5; INCR k → 6), HINCRBY likewise for a field.
//! - Ops of no type (DEL, EXPIRE) on a key without metadata record `t` = the covered type K holds; on a
//!   missing key (or one of an uncovered type) they record no `t` (M holds only `d`, `xt`, `xa`).
//! - Counters are exact in Lua numbers up to 2^53 − 1: beyond, INCR-family scripts answer Redis's
//!   overflow (or not-an-integer) error where Redis, with 64-bit integers, would still count.
//! - Counter ops run in two halves ([`super::counter`]): `incrby`/`hincrby` on one replica (the
//!   applier), `counter` joining its component on the others; `_dyn:id` names the applier's components.
//! - Scripts touch only K, M, `_dyn:log` and `_dyn:id`; M is derived from K inside the script, which is right for
//!   a standalone datastore (Dynomite's) but would break Redis Cluster's key-slot checks.
//!
//! # Cost (measured with `ci/bench-crdt-scripts`)
//! Redis compiles a script once, but every run executes its top level, and every `redis.call` costs
//! about what the plain command costs (argument objects, reply converted to Lua and back); Lua garbage
//! (closures, tables, strings) is paid again in GC sweeps. So:
//! - The prelude's top level defines only what the fast paths need; the general path's ~50 helpers
//!   (metadata cache, normalize, rebuild, adopt, expiry settling, type changes) are created by `lib()`
//!   only when a script takes the general path.
//! - Fast paths, each doing exactly what the general path does in its case (M's field order
//!   included; checked when written by a differential fuzz of the old and new scripts on Redis, and by
//!   the `crdt_*` tests against the Rust merge): `set` without condition, GET or KEEPTTL (a TTL
//!   allowed) and `mset` on a register or missing key; `del` of a register its timestamp kills or of
//!   a missing key; `hset` and `sadd` on a hash/set or missing key (fields without HINCRBY
//!   components); all only when no expiry has passed or would
//!   pass by this op (a live one, xa set and xt > d, costs one TIME to check; K created under it gets
//!   PEXPIREAT xa), no type change is involved, and never for unmanaged data (K without M: adopted
//!   first). They read M with one HMGET, use
//!   WRONGTYPE errors of `redis.pcall` instead of TYPE, and skip calls whose effect is known (PERSIST
//!   right after a SET; PERSIST on a key just created). Everything else goes to the general path
//!   unchanged. They rely on M being in normalized form (every script and `merge` leave it so).
//! - The change log is trimmed only when LPUSH answers a length beyond the bound (same list).
//! - `read` of a GET probes K with GET (the type and the data in one call), and `read`/`state` decide
//!   "unmanaged" from HLEN of M (no EXISTS) and skip HGETALL of a missing M.
//! - Remaining cost per write (redis-server 7.0, server CPU): about 6–10 µs for a script against about
//!   1 µs for the plain command; most of it is the 4–5 `redis.call`s (M read, K write, M write, log
//!   push) and Lua GC, which no script text avoids.

use std::sync::OnceLock;

/// Every script the proxy may send, one per covered write plus the repair scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ScriptName {
    /// SET family (SET, GETSET, SETEX, PSETEX, SETNX).
    Set,
    /// MSET.
    Mset,
    /// DEL, UNLINK.
    Del,
    /// HSET, HMSET, HSETNX.
    Hset,
    /// HDEL.
    Hdel,
    /// HINCRBY.
    Hincrby,
    /// SADD.
    Sadd,
    /// SREM.
    Srem,
    /// ZADD, ZINCRBY.
    Zadd,
    /// ZREM.
    Zrem,
    /// EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, PERSIST.
    Expire,
    /// INCR, DECR, INCRBY, DECRBY (first half, on the applier).
    Incrby,
    /// Second half of INCR & co. and HINCRBY: the applier's component joined on the other replicas.
    Counter,
    /// A key's CRDT state (read only).
    State,
    /// A covered read: the state, or the plain reply for unmanaged keys.
    Read,
    /// Merge a replica's state into the key.
    Merge,
    /// Tombstone collection.
    Gc,
}

impl ScriptName {
    /// Every script, in registry order.
    pub const ALL: [ScriptName; 17] = [
        ScriptName::Set,
        ScriptName::Mset,
        ScriptName::Del,
        ScriptName::Hset,
        ScriptName::Hdel,
        ScriptName::Hincrby,
        ScriptName::Sadd,
        ScriptName::Srem,
        ScriptName::Zadd,
        ScriptName::Zrem,
        ScriptName::Expire,
        ScriptName::Incrby,
        ScriptName::Counter,
        ScriptName::State,
        ScriptName::Read,
        ScriptName::Merge,
        ScriptName::Gc,
    ];

    /// The script's file stem (`set` for `scripts/set.lua`).
    pub fn as_str(self) -> &'static str {
        match self {
            ScriptName::Set => "set",
            ScriptName::Mset => "mset",
            ScriptName::Del => "del",
            ScriptName::Hset => "hset",
            ScriptName::Hdel => "hdel",
            ScriptName::Hincrby => "hincrby",
            ScriptName::Sadd => "sadd",
            ScriptName::Srem => "srem",
            ScriptName::Zadd => "zadd",
            ScriptName::Zrem => "zrem",
            ScriptName::Expire => "expire",
            ScriptName::Incrby => "incrby",
            ScriptName::Counter => "counter",
            ScriptName::State => "state",
            ScriptName::Read => "read",
            ScriptName::Merge => "merge",
            ScriptName::Gc => "gc",
        }
    }

    /// The full script text: the prelude followed by the operation.
    fn text(self) -> &'static str {
        macro_rules! script {
            ($file:literal) => {
                concat!(include_str!("scripts/prelude.lua"), include_str!(concat!("scripts/", $file)))
            };
        }
        match self {
            ScriptName::Set => script!("set.lua"),
            ScriptName::Mset => script!("mset.lua"),
            ScriptName::Del => script!("del.lua"),
            ScriptName::Hset => script!("hset.lua"),
            ScriptName::Hdel => script!("hdel.lua"),
            ScriptName::Hincrby => script!("hincrby.lua"),
            ScriptName::Sadd => script!("sadd.lua"),
            ScriptName::Srem => script!("srem.lua"),
            ScriptName::Zadd => script!("zadd.lua"),
            ScriptName::Zrem => script!("zrem.lua"),
            ScriptName::Expire => script!("expire.lua"),
            ScriptName::Incrby => script!("incrby.lua"),
            ScriptName::Counter => script!("counter.lua"),
            ScriptName::State => script!("state.lua"),
            ScriptName::Read => script!("read.lua"),
            ScriptName::Merge => script!("merge.lua"),
            ScriptName::Gc => script!("gc.lua"),
        }
    }
}

/// One registered script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    /// Which script.
    pub name: ScriptName,
    /// The Lua text sent by `SCRIPT LOAD` / `EVAL`.
    pub text: &'static str,
    /// Lowercase hex SHA-1 of `text`: the name `EVALSHA` uses (what Redis's `SCRIPT LOAD` answers).
    pub sha1: String,
}

/// The prelude line whose comparison decides that a write is newer than the stored timestamp.
const LWW_COMPARISON: &str = "return ts > stored -- lww";
/// The prelude line that joins two totals of one counter component.
const COMPONENT_JOIN: &str = "if num(b) > num(a) then return b end return a end -- component join";
/// The prelude line that names the counter components this datastore owns.
const DATASTORE_ID: &str = "return id -- datastore id";

/// [`COMPONENT_JOIN`] broken: the totals are added.
const SUMMED_JOIN: &str = "return int2s(num(a) + num(b)) end -- component join";
/// [`DATASTORE_ID`] broken: the coordinator's node id (from the op's timestamp), padded to an id.
const PER_COORDINATOR_ID: &str = "return '0000000000000000' .. string.sub(TS, 17, 24) -- datastore id";

/// Every script, in [`ScriptName::ALL`] order.
pub fn all() -> &'static [Script] {
    if crate::mutant!(ScriptIgnoresTimestamp) {
        static IGNORES_TIMESTAMP: OnceLock<Vec<Script>> = OnceLock::new();
        // Mutant: every LWW comparison says "newer", so a late, older write overwrites a newer value.
        return IGNORES_TIMESTAMP.get_or_init(|| mutated(LWW_COMPARISON, "return true -- lww"));
    }
    if crate::mutant!(CounterRetryDoubleCounts) {
        static DOUBLE_COUNTS: OnceLock<Vec<Script>> = OnceLock::new();
        // Mutant: a component's totals are added instead of joined, so a replayed or repeated join counts again.
        return DOUBLE_COUNTS.get_or_init(|| mutated(COMPONENT_JOIN, SUMMED_JOIN));
    }
    if crate::mutant!(CounterComponentPerCoordinator) {
        static PER_COORDINATOR: OnceLock<Vec<Script>> = OnceLock::new();
        // Mutant: components are named by the coordinator (as before owned components), not by the datastore.
        return PER_COORDINATOR.get_or_init(|| mutated(DATASTORE_ID, PER_COORDINATOR_ID));
    }
    static SCRIPTS: OnceLock<Vec<Script>> = OnceLock::new();
    SCRIPTS.get_or_init(|| ScriptName::ALL.iter().map(|&name| script(name, name.text())).collect())
}

/// The registered script `name`.
pub fn get(name: ScriptName) -> &'static Script {
    let script = &all()[name as usize];
    assert_eq!(script.name, name, "script registry out of ScriptName::ALL order");
    script
}

/// Lowercase hex SHA-1 of a script text (Redis names scripts by it).
pub fn sha1_hex(text: &str) -> String {
    sha1_smol::Sha1::from(text.as_bytes()).digest().to_string()
}

fn script(name: ScriptName, text: &'static str) -> Script {
    Script { name, text, sha1: sha1_hex(text) }
}

/// The registry with `from` replaced by `to` in every text (a mutant's script set; the texts are
/// leaked once per process, like the static originals).
fn mutated(from: &str, to: &str) -> Vec<Script> {
    assert!(ScriptName::Set.text().contains(from), "mutation point {from:?} missing from the prelude");
    ScriptName::ALL
        .iter()
        .map(|&name| {
            let text: &'static str = Box::leak(name.text().replace(from, to).into_boxed_str());
            script(name, text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_in_name_order_with_distinct_shas() {
        let scripts = all();
        assert_eq!(scripts.len(), ScriptName::ALL.len());
        for (script, name) in scripts.iter().zip(ScriptName::ALL) {
            assert_eq!(script.name, name);
            assert_eq!(script.sha1.len(), 40);
            assert!(script.text.starts_with("-- dynomite-rs CRDT prelude"));
        }
        let mut shas: Vec<&str> = scripts.iter().map(|script| script.sha1.as_str()).collect();
        shas.sort_unstable();
        shas.dedup();
        assert_eq!(shas.len(), scripts.len());
    }

    #[test]
    fn sha1_matches_known_vector() {
        // SHA-1 of "abc" (FIPS 180-1 test vector); Redis's SCRIPT LOAD uses the same digest.
        assert_eq!(sha1_hex("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    /// Runs `args` on the embedded engine.
    fn run(store: &mut crate::store::Store, args: &[&[u8]]) -> crate::resp::Frame {
        let args: Vec<bytes::Bytes> = args.iter().map(|arg| bytes::Bytes::copy_from_slice(arg)).collect();
        store.execute(&args, 1_000, crate::resp::Protocol::Resp2)
    }

    /// The mutated script sets load, and break what their mutant says they break.
    #[test]
    fn mutated_scripts_run_and_misbehave() {
        use crate::resp::Frame;
        let ts = |ms: u64| super::super::timestamp::Timestamp::new(ms, 0, 1).encode();
        let lww = mutated(LWW_COMPARISON, "return true -- lww");
        let summed = mutated(COMPONENT_JOIN, SUMMED_JOIN);
        let per_coordinator = mutated(DATASTORE_ID, PER_COORDINATOR_ID);
        let cases = [
            (all(), false, false, false),
            (&lww[..], true, false, false),
            (&summed[..], false, true, false),
            (&per_coordinator[..], false, false, true),
        ];
        for (scripts, broken_lww, broken_join, broken_id) in cases {
            let mut stores =
                [crate::store::Store::new(), crate::store::Store::new(), crate::store::Store::new()];
            for store in &mut stores {
                for script in scripts {
                    let loaded = run(store, &[b"SCRIPT", b"LOAD", script.text.as_bytes()]);
                    assert_eq!(loaded, Frame::bulk(script.sha1.as_bytes()), "{}", script.name.as_str());
                }
            }
            let [a, b, c] = &mut stores;
            let set = scripts[ScriptName::Set as usize].sha1.as_bytes();
            let incr = scripts[ScriptName::Incrby as usize].sha1.as_bytes();
            let join = scripts[ScriptName::Counter as usize].sha1.as_bytes();
            run(a, &[b"EVALSHA", set, b"1", b"k", &ts(20), b"0", b"new", b"", b"0", b"0", b"ok"]);
            run(a, &[b"EVALSHA", set, b"1", b"k", &ts(10), b"0", b"old", b"", b"0", b"0", b"ok"]);
            let value = run(a, &[b"GET", b"k"]);
            assert_eq!(value, Frame::bulk(if broken_lww { "old" } else { "new" }));
            // Replica a applies an increment and b joins a's component twice (a replayed hint).
            let Frame::Array(reply) = run(a, &[b"EVALSHA", incr, b"1", b"c", &ts(30), b"0", b"1"]) else {
                panic!("incrby answers an array")
            };
            let part = |i: usize| match &reply[i] {
                Frame::Bulk(text) => text.to_vec(),
                other => panic!("component part {i}: {other:?}"),
            };
            for _replay in 0..2 {
                run(
                    b,
                    &[
                        b"EVALSHA",
                        join,
                        b"1",
                        b"c",
                        &ts(30),
                        b"0",
                        b"",
                        &part(1),
                        &part(2),
                        &part(3),
                        &part(4),
                        &part(5),
                    ],
                );
            }
            assert_eq!(run(b, &[b"GET", b"c"]), Frame::bulk(if broken_join { "2" } else { "1" }));
            // c applies a later increment from the same coordinator into its own component first, then
            // joins a's: both count.
            run(c, &[b"EVALSHA", incr, b"1", b"c", &ts(31), b"0", b"1"]);
            run(
                c,
                &[
                    b"EVALSHA",
                    join,
                    b"1",
                    b"c",
                    &ts(30),
                    b"0",
                    b"",
                    &part(1),
                    &part(2),
                    &part(3),
                    &part(4),
                    &part(5),
                ],
            );
            let expected = if broken_id { "1" } else { "2" };
            assert_eq!(run(c, &[b"GET", b"c"]), Frame::bulk(expected), "lww {broken_lww} join {broken_join}");
        }
    }

    #[test]
    fn mutation_points_exist_exactly_once() {
        for point in [LWW_COMPARISON, COMPONENT_JOIN, DATASTORE_ID] {
            assert_eq!(ScriptName::Set.text().matches(point).count(), 1, "{point}");
        }
        let mutated = mutated(LWW_COMPARISON, "return true -- lww");
        assert_ne!(mutated[0].sha1, get(ScriptName::Set).sha1);
    }
}
