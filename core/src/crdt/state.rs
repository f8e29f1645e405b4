//! [`KeyState`]: the CRDT state of one key as a replica holds it (metadata hash plus data), parsed from
//! the `state` script's reply; and **the written specification of the data model** that the Lua scripts
//! (`scripts/*.lua`), the Rust merge ([`super::merge`]) and the answers ([`super::answer`]) implement.
//!
//! # Keys in the datastore
//! Data stays where Redis users expect it: key `K` holds the plain value, so plain GET/HGETALL/... work.
//! The metadata of `K` is one Redis hash `M = "_dyn:m:" ++ K`; the change log is the list `_dyn:log`.
//! Every key starting with `_dyn:` is reserved. `M` never expires (it is what stops a late, older write
//! from resurrecting deleted data); tombstone GC removes old entries.
//!
//! # Timestamps
//! Every write carries a [`Timestamp`] from its coordinator's HLC ([`super::hlc`]), stored as 24
//! lowercase hex characters whose byte order is the timestamp order. A missing timestamp is the empty
//! string / `None`, older than every timestamp. Comparisons below are on timestamps; "max" of missing
//! values is missing.
//!
//! # Fields of `M`
//! All binary safe; `<m>` is element bytes, `<id>` a counter component id: the datastore id of the
//! replica that owns the component (section "Counters"), a timestamp in its 24-hex form.
//!
//! | field | meaning |
//! |---|---|
//! | `t` | CRDT type: `string`, `hash`, `set`, `zset`, `counter`; missing when M holds only `d`/`xt`/`xa` (DEL or an expiry op on a missing key: such a state takes no part in type decisions) |
//! | `a` | register (string) add timestamp: timestamp of the value now in K |
//! | `d` | key delete timestamp (DEL/UNLINK): everything added at or before it is gone |
//! | `xt`, `xa` | expiry as an LWW register: timestamp of the last expiry-setting op, absolute deadline in Unix ms (`0` = no expiry) |
//! | `e:<m>` | element add timestamp (hash field, set member, zset member) |
//! | `r:<m>` | element remove timestamp (tombstone) |
//! | `p:<id>`, `n:<id>`, `h:<id>`, `s:<id>` | PN-counter component owned by datastore `<id>`: positive total, negative total (decimal), timestamp of the newest op applied into it, timestamp of the op that started it |
//! | `hp:<id>:<f>`, `hn:<id>:<f>`, `hh:<id>:<f>`, `hs:<id>:<f>` | the same, per hash field `<f>` (HINCRBY) |
//!
//! Counter totals are non-negative decimal integers below 2^53 (Lua 5.1 numbers are doubles). No other
//! field exists; [`KeyState::parse`] rejects unknown fields.
//!
//! # Liveness (what the data in K must be)
//! The kill timestamp `kill(now)` (section "Expiry") is `d`, raised by an expiry that has passed.
//! - **Register** (`t = string`): live iff `a > kill`; K is its value.
//! - **Counter** (`t = counter`): component `<id>` live iff `h:<id> > kill`; K is the decimal `Σ (p − n)`
//!   over the live components (absent when none is live).
//! - **Element** `<m>` (`t = hash`, `set`, `zset`): live iff `e:<m> > max(r:<m>, kill)`. A hash field's
//!   value / a zset member's score is the one written with `e:<m>`.
//! - **Hash field counter** (HINCRBY) component `<id>` of field `<f>`: live iff `hh:<id>:<f> > max(e:<f>,
//!   r:<f>, kill)`. A field with a live component is live, its value is `Σ (hp − hn)` over them.
//! - **Type**: `t` decides which data K holds; metadata of another type may remain in M until pruned but
//!   is never data. K of another Redis type than `t` (left by an uncovered write, e.g. HINCRBYFLOAT
//!   over a deleted zset) holds no CRDT data: [`KeyState::parse`] and the `merge` script ignore it.
//! - **TTL**: when the expiry is live and has not passed at `now`, K expires at `xa` (`PEXPIREAT K
//!   xa`); otherwise K has no TTL.
//!
//! # Expiry (one rule for the scripts and the Rust side)
//! Let `at = (xa, 0, 0)`, the deadline as a timestamp (physical part `xa`, logical 0, node 0). The
//! expiry is **live** iff `xa != 0` and `xt > d` (a later delete or type change ends it). A live expiry
//! has **passed at `now`** iff `xa <= now` or `max(xt, key-level timestamp) > at` (the expiry op, or
//! some add or delete of the key, is later than the deadline: Redis deletes a key at once on an
//! EXPIRE with a past deadline, and data written after the deadline belongs to a new key). Then
//! `kill(now) = max(d, at, xt)`, else `kill(now) = d`: a passed expiry is a delete at its deadline, or
//! at the expiry op itself when its deadline was already past.
//!
//! **Materialized, not only evaluated.** The datastore deletes K physically at its deadline and the
//! values (register, hash fields, scores) exist only in K, so a passed expiry cannot stay a mere
//! evaluation: the scripts write it into `d`, at the datastore's clock `now` (`TIME`, the clock K's
//! TTL runs on). [`KeyState::settle`] is the same fold in Rust (`d = kill(now)`, then normalize):
//! - every write script and `merge` first settles the key as found (a passed expiry becomes `d`, M is
//!   normalized, K rebuilt without TTL), and every write that changed something settles again with its
//!   own timestamp counted (so no timestamp beyond a live deadline is ever stored: the invariant that
//!   lets the first check skip the key-level timestamp); `merge` settles the merged state;
//! - an **expiry op** (EXPIRE & co., SET without KEEPTTL) at `ts` with deadline `xa' != 0` that has
//!   passed on its own (`xa' <= now` or `ts > (xa', 0, 0)`) raises `d` to `max((xa', 0, 0), ts)` whether
//!   or not it wins the register, and whatever `d` was (as a write of that op would have been deleted);
//!   a SET's key-level timestamp is then that value too (it decides the type change);
//! - a write that loses a type change (older than the key-level timestamp) still raises `d` to its
//!   key-level timestamp, as [`super::merge`] does with the losing type; the expiry half of a SET/MSET
//!   applies even when its value lost.
//!
//! **Why this rule.** Applying an op is then a join with the op's own state (a passed expiry op carries
//! its delete), so replicas that apply the same ops at the same `now` in any order hold the same state,
//! and `settle(now)` of [`super::merge::merge`] of their states is what the `merge` script stores
//! (`core/tests/crdt_expiry.rs`). Rejected, because not convergent: raising `d` when a write's
//! timestamp is beyond the deadline of the register found (another replica may already hold a newer
//! register that replaced it), raising it to the newest add when K is found gone (a local
//! observation), or letting the deadline alone kill (an EXPIRE with a past deadline would leave data
//! written between the deadline and the EXPIRE visible until a script next touched the key).
//! [`super::merge::merge`] itself stays a pure join (no `now`), so it stays associative;
//! [`KeyState::kill`] evaluates a passed expiry on unsettled states, so answers do not depend on
//! whether a script has settled the key yet. Everything is decided by timestamps and `now`; the
//! scripts read `now` with `TIME`, which on the embedded engine is the injected clock.
//!
//! **Limits (weaker than Redis).** A bounded LWW register cannot tell whether an expiry was cancelled
//! by a newer op the replica has not seen yet: a replica that holds an expiry when its deadline
//! passes (or an expiry op that reaches a replica after its deadline: a hint replayed late, a
//! partition) deletes at the deadline even when a PERSIST, EXPIRE, SET or DEL issued before that
//! deadline superseded it on other replicas but has not reached this one, and a merge spreads that
//! delete ("expiry wins": a SET sent within an earlier EXPIRE's TTL can be lost when some replica
//! misses it until the deadline). A write whose timestamp is beyond a live deadline (HLC ahead of the datastore's clock)
//! settles the key early.
//!
//! # Normalized form (pruning)
//! A field that can never matter again is removed; every rule removes a timestamp at or below another
//! kept one (a threshold that only grows), which is what keeps merge a join:
//! - `a <= d`: `a` (and the value) removed;
//! - `e:<m> <= max(r:<m>, d)`: `e:<m>` (and the value) removed; `r:<m> <= d` or `r:<m> < e:<m>`:
//!   `r:<m>` removed;
//! - `h:<id> <= d`: the component `p:<id>`, `n:<id>`, `h:<id>`, `s:<id>` removed (its owner's next op
//!   starts it again from 0, with a newer start);
//! - `hh:<id>:<f> <= max(e:<f>, r:<f>, d)`: that field component removed; a field with a component left
//!   has its `e:<f>` turned into the tombstone `r:<f> = max(r:<f>, e:<f>)` (the counter masks the HSET
//!   value for good; the timestamp stays as the threshold for older components).
//!
//! [`KeyState::parse`] and [`super::merge::merge`] return normalized states; the `merge` script stores
//! the same form, so [`KeyState::same_as`] can compare a replica's state with a merge.
//!
//! # Writes (one Lua script each, same timestamp `ts` on every replica)
//! - A write first behaves like Redis on the data in K (e.g. WRONGTYPE when K holds another type) and
//!   answers what Redis would answer for the current state; timestamps decide only the effect, so a
//!   discarded (older or duplicate) write answers as if applied (`OK` for SET).
//! - **Type change**: a write whose type differs from `t` applies only when `ts` is newer than the
//!   key-level timestamp; it first raises `d` to the key-level timestamp (the old type's data is deleted,
//!   as SET deletes a hash in Redis), then sets `t`.
//! - **Register** write (SET & co.) applies iff `ts > a` (and `ts > d`): `a = ts`, `K = value`.
//! - **DEL/UNLINK** at `ts`: `d = max(d, ts)`; K is removed; the metadata is pruned.
//! - **Element** add (HSET/SADD/ZADD...) applies iff `ts > max(e:<m>, r:<m>, d)`: `e:<m> = ts`, value
//!   written to K; remove (HDEL/SREM/ZREM) applies iff `ts > max(r:<m>, d)`: `r:<m> = ts`, and when
//!   `ts > e:<m>` the element is removed from K (an older remove stays a pruned no-op).
//! - **Counter** op `(ts, delta)` (INCR/DECR/INCRBY/DECRBY): section "Counters". INCR on a live integer
//!   register is a type change whose op folds the register's value into the delta (`SET k 5; INCR k`
//!   gives 6).
//! - **HINCRBY** is the same per field (`hp:`, `hn:`, `hh:`, `hs:`), applied iff `ts > max(e:<f>,
//!   r:<f>, d)`; on a field holding an HSET value it folds that value in (and the normalization turns
//!   `e:<f>` into a tombstone).
//! - **Expiry** (EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT/PERSIST, and SET without KEEPTTL) at `ts` applies iff
//!   `ts > xt`: `xt = ts`, `xa =` the absolute deadline (the coordinator converts relative TTLs; 0 for
//!   PERSIST or a SET without expiry); then `PEXPIREAT K xa` (or `PERSIST K`). A passed deadline is a
//!   delete (section "Expiry").
//!
//! # Counters (PN-counters owned by datastores)
//! A counter's value is the sum of components, and each component grows on **one** datastore only,
//! its owner, so replicas join components with a maximum and never lose or double-count an increment,
//! whatever reached whom:
//! - A datastore's id is `_dyn:id` in that datastore: the timestamp of the first counter op it applied
//!   (unique, since one op is applied by one datastore). A wiped datastore gets a new one.
//! - **Applying** (`incrby`/`hincrby`, on the one replica the coordinator picks, the *applier*): the op
//!   at `ts` applies iff `ts > d` (for a field: `ts > max(e:<f>, r:<f>, d)`); `delta` is added to the
//!   applier's own component (`p:<id>` or `n:<id>`), `h:<id> = max(h:<id>, ts)`; a component the
//!   applier does not hold (new, or pruned by a delete) starts at 0 with `s:<id> = ts`. The op is sent
//!   to the applier once and never replayed (`crate::crdt::counter`), so no op counts twice.
//! - **Joining** (`counter`, on every other replica, and every merge): per component id, the newer
//!   start wins (a component the owner started again after a delete replaces the old one); equal
//!   starts take the maximum of each total; `h` takes the maximum. A new start is newer than every
//!   `h` of the component it replaces (its owner pruned that one at a delete older than the new op),
//!   so a join is monotone and the max of the owner's growing totals holds every op the smaller holds:
//!   joins may be replayed, reordered or lost (repair brings them) without changing the count.
//!
//! # Merge (`merge::merge`, and the `merge` script)
//! - The **key-level timestamp** of a state is its newest timestamp of any add or delete, `max(a, d,
//!   e:*, r:*, h:*, hh:*)` (not `xt`). `t` is the one of the state with the greatest key-level timestamp
//!   (equal: the greatest type name); every state whose `t` lost contributes its key-level timestamp to
//!   `d` (the type change deletes it, as a write would have).
//! - Every other timestamp field (`a`, `d`, `xt`, `e:*`, `r:*`) takes the maximum; values follow their
//!   winning timestamp (`xa` follows `xt`, the register value follows `a`, an element's value follows
//!   `e:<m>`); on equal timestamps the tie-break below decides.
//! - **Equal timestamps, different values.** A present value beats a missing one, then the **larger
//!   bytes** win (unsigned byte-wise comparison, a prefix is smaller): for the register value, hash
//!   field values and zset scores alike (scores as Redis formats them, so `"9.5"` beats `"10"`); `xa`
//!   on equal `xt`: the larger deadline. One write carries one timestamp to every replica, yet replicas
//!   can store different values under it: ZINCRBY / ZADD INCR add to the score each replica already
//!   holds (different when one missed an earlier write), data adopted from before CRDT mode gets the
//!   zero timestamp whatever each replica held, and an uncovered write (APPEND, a plain SET) changes K
//!   without touching M. Neither value is more right than the other, so the rule only has to be
//!   deterministic and a join: `(timestamp, value)` pairs are compared lexicographically, a total order,
//!   so the merge stays commutative, associative and idempotent. Bytes rather than numbers for scores:
//!   one comparison for every kind of value, the one Lua compares strings with (`bytes_gt`), and no
//!   float parsing that Lua 5.1 and Rust could read differently (`inf` spellings, hex, rounding). The
//!   `merge` script counts a value it takes on an equal timestamp as a change (it rebuilds K and
//!   answers > 0) although M is unchanged, and [`KeyState::same_as`] compares values, so a replica that
//!   holds the other value is stale until merged.
//! - A counter component (`p`, `n`, `h`, `s`, or `hp`, `hn`, `hh`, `hs`): the totals of the newer start
//!   `s` win (the owner started it again after a delete pruned it); equal starts take the maximum of
//!   `p` and of `n`; `h` takes the maximum (section "Counters").
//! - Then the result is normalized, and K is rebuilt from the live part.
//!
//! Merge is commutative, associative and idempotent (`core/tests/crdt_merge_props.rs`).
//!
//! # Not covered, or weaker than Redis
//! - Concurrent writes of different types to one key (impossible in a sequential Redis) resolve by the
//!   key-level-timestamp rule; the losing type's data is deleted.
//! - A DEL of a counter that the applier has not seen yet when it applies a later increment keeps the
//!   applier's pre-DEL total in its component (the component's `h` is then newer than the DEL).
//! - A datastore restored from an older copy with its `_dyn:id` (a snapshot, not a wipe) restarts its
//!   own components below the totals the other replicas hold: its next increments are hidden by the
//!   join until its totals pass them. A wiped datastore gets a new id and loses nothing.
//! - A passed deadline kills data by timestamp: a write whose timestamp's physical part is below a passed
//!   deadline is treated as expired even if it reached the replica after the deadline (HLC skew); an
//!   expiry op that reaches a replica after its deadline deletes even if superseded (section "Expiry").
//! - ZINCRBY / ZADD INCR are LWW writes of the resulting score, not counters: replicas that applied
//!   one on different earlier scores converge on the larger score bytes (section "Merge"), not on the
//!   sum of the increments.
//! - SET KEEPTTL over a key of another type loses the TTL (the type change deletes the expiry with the
//!   data).
//! - Lists, streams, bitmaps/bit ops, APPEND/SETRANGE, INCRBYFLOAT, HINCRBYFLOAT, RENAME and other
//!   uncovered writes leave a key unmanaged (no M): reads of it are answered by the datastore as before.

use std::collections::BTreeMap;

use bytes::Bytes;
use thiserror::Error;

use super::timestamp::{Timestamp, TimestampError};
use crate::resp::Frame;

/// Prefix of every reserved key; the metadata hash of `K` is `METADATA_PREFIX ++ K`.
pub const METADATA_PREFIX: &[u8] = b"_dyn:m:";

/// The CRDT type of a key (field `t`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CrdtType {
    /// A PN-counter string (INCR & co.). Declared first: the order is the byte order of the names,
    /// which breaks key-level timestamp ties in merges.
    Counter,
    /// Hash of LWW fields (and field counters).
    Hash,
    /// LWW-element set.
    Set,
    /// LWW register (SET & co.).
    String,
    /// LWW-element sorted set (score follows the member's add timestamp).
    Zset,
}

impl CrdtType {
    /// The name stored in field `t`.
    pub fn name(self) -> &'static str {
        match self {
            CrdtType::Counter => "counter",
            CrdtType::Hash => "hash",
            CrdtType::Set => "set",
            CrdtType::String => "string",
            CrdtType::Zset => "zset",
        }
    }

    /// The type named `name`, if any.
    pub fn from_name(name: &[u8]) -> Option<CrdtType> {
        [CrdtType::Counter, CrdtType::Hash, CrdtType::Set, CrdtType::String, CrdtType::Zset]
            .into_iter()
            .find(|crdt_type| crdt_type.name().as_bytes() == name)
    }

    /// True for the types whose data is a Redis string (register and counter).
    pub fn is_string(self) -> bool {
        matches!(self, CrdtType::String | CrdtType::Counter)
    }
}

/// The expiry LWW register (fields `xt`, `xa`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Expiry {
    /// `xt`: timestamp of the last expiry-setting op.
    pub set: Option<Timestamp>,
    /// `xa`: absolute deadline in Unix ms, 0 = no expiry.
    pub at_ms: u64,
}

/// One element of a hash, set or sorted set (fields `e:<m>`, `r:<m>`, and its data).
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Element {
    /// `e:<m>`: add timestamp.
    pub add: Option<Timestamp>,
    /// `r:<m>`: remove timestamp (tombstone).
    pub remove: Option<Timestamp>,
    /// The hash field value or zset score (as Redis formats it) written with `add`; `None` for set
    /// members and for elements that are not live (normalized, see the module doc).
    pub value: Option<Bytes>,
}

/// The id of a PN-counter component: the id of the datastore that owns it (`_dyn:id`, the timestamp of
/// the first counter op that datastore applied), 24 hex characters in field names.
pub type ComponentId = Timestamp;

/// One datastore's PN-counter component (fields `p:<id>`, `n:<id>`, `h:<id>`, `s:<id>` or their
/// per-field forms): it only grows on the datastore that owns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Component {
    /// Total of the positive deltas the owner applied.
    pub positive: u64,
    /// Total of the magnitudes of the negative deltas the owner applied.
    pub negative: u64,
    /// Timestamp of the newest op the owner applied into it.
    pub last: Option<Timestamp>,
    /// Timestamp of the op that started it (its first, or the first after a delete pruned it).
    pub start: Option<Timestamp>,
}

impl Component {
    /// `positive − negative`.
    pub fn value(&self) -> i128 {
        i128::from(self.positive) - i128::from(self.negative)
    }
}

/// What the `state` reply said about the data key itself, beside the CRDT state (not compared by
/// [`KeyState::same_as`], not merged).
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct Observed {
    /// `TYPE K` as the datastore answered it (`none` when absent).
    pub data_type: Bytes,
    /// `PTTL K` (-2 absent, -1 no TTL).
    pub pttl_ms: i64,
}

/// The CRDT state of one key on one replica (or a merge of several): the metadata hash plus the data,
/// normalized as the module doc describes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct KeyState {
    /// `t`; `None` when the key has no metadata.
    pub crdt_type: Option<CrdtType>,
    /// `a`: register add timestamp.
    pub add: Option<Timestamp>,
    /// `d`: key delete timestamp.
    pub delete: Option<Timestamp>,
    /// `xt`/`xa`.
    pub expiry: Expiry,
    /// The register value written with `add` (string keys); `None` when absent, dead or masked by a live
    /// counter component.
    pub value: Option<Bytes>,
    /// `e:<m>`/`r:<m>` and element data, by element.
    pub elements: BTreeMap<Bytes, Element>,
    /// `p:<id>`/`n:<id>`/`h:<id>`/`s:<id>`, by component id.
    pub counters: BTreeMap<ComponentId, Component>,
    /// `hp:<id>:<f>`/`hn:<id>:<f>`/`hh:<id>:<f>`/`hs:<id>:<f>`, by field then component id.
    pub field_counters: BTreeMap<Bytes, BTreeMap<ComponentId, Component>>,
    /// What the datastore said about K (type, PTTL); informational.
    pub observed: Observed,
}

/// Why a reply is not a valid `state` script reply.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum StateError {
    /// The datastore answered an error (e.g. the state holds more than `max_elements` elements).
    #[error("datastore answered the crdt state read with an error: {message}")]
    Reply {
        /// The error text.
        message: String,
    },
    /// The reply does not have the documented shape.
    #[error("crdt state reply is malformed: {what}")]
    Shape {
        /// What was expected.
        what: &'static str,
    },
    /// A metadata field name is not one of the documented fields.
    #[error("crdt metadata has an unknown field {field:?}")]
    UnknownField {
        /// The field name (lossy UTF-8).
        field: String,
    },
    /// A timestamp field does not hold a timestamp.
    #[error("crdt metadata field {field:?}: {source}")]
    Timestamp {
        /// The field name (lossy UTF-8).
        field: String,
        /// Why the value is not a timestamp.
        source: TimestampError,
    },
    /// A numeric field (`xa`, totals, PTTL) does not hold a non-negative decimal integer.
    #[error("crdt metadata field {field:?} holds {value:?}, expected a non-negative decimal integer")]
    Number {
        /// The field name (lossy UTF-8).
        field: String,
        /// The value (lossy UTF-8).
        value: String,
    },
    /// Typed metadata fields (`a`, elements, counters) are present but `t` is not (every typed write
    /// sets `t`; the merge relies on it).
    #[error("crdt metadata has typed fields but no \"t\" (type)")]
    MissingType,
    /// `t` names no CRDT type.
    #[error("crdt metadata field \"t\" holds {value:?}, expected string, hash, set, zset or counter")]
    UnknownType {
        /// The value (lossy UTF-8).
        value: String,
    },
}

/// Which total or timestamp of a component a metadata field sets.
#[derive(Debug, Clone, Copy)]
enum ComponentPart {
    Positive,
    Negative,
    Last,
    Start,
}

impl KeyState {
    /// Parses the `state` script reply `[meta_flat, type_of_K, data, pttl]` (see PLAN/`scripts`). Flat
    /// arrays and RESP3 maps/sets/pairs are all accepted for the metadata and the data.
    pub fn parse(frame: &Frame) -> Result<KeyState, StateError> {
        let items = match frame {
            Frame::Array(items) if items.len() == 4 => items,
            Frame::Error(message) | Frame::BlobError(message) => {
                return Err(StateError::Reply { message: lossy(message) })
            }
            _ => return Err(StateError::Shape { what: "an array of 4: metadata, type, data, pttl" }),
        };
        let mut state = KeyState::default();
        for (field, value) in pairs(&items[0], "metadata: field/value pairs")? {
            state.set_field(&field, value)?;
        }
        state.observed.data_type = text(&items[1]).ok_or(StateError::Shape { what: "type: a string" })?;
        state.observed.pttl_ms = match &items[3] {
            Frame::Integer(pttl) => *pttl,
            _ => return Err(StateError::Shape { what: "pttl: an integer" }),
        };
        if state.crdt_type.is_none() && state.has_typed_metadata() {
            return Err(StateError::MissingType);
        }
        state.set_data(&items[2])?;
        state.normalize();
        Ok(state)
    }

    /// Applies one metadata field.
    fn set_field(&mut self, field: &Bytes, value: Bytes) -> Result<(), StateError> {
        let timestamp = |field: &Bytes| {
            Timestamp::parse_optional(&value)
                .map_err(|source| StateError::Timestamp { field: lossy(field), source })
        };
        match field.as_ref() {
            b"t" => {
                let crdt_type = CrdtType::from_name(&value)
                    .ok_or_else(|| StateError::UnknownType { value: lossy(&value) })?;
                self.crdt_type = Some(crdt_type);
            }
            b"a" => self.add = timestamp(field)?,
            b"d" => self.delete = timestamp(field)?,
            b"xt" => self.expiry.set = timestamp(field)?,
            b"xa" => self.expiry.at_ms = number(field, &value)?,
            _ => {
                if let Some(member) = field.strip_prefix(b"e:") {
                    self.element(member).add = timestamp(field)?;
                } else if let Some(member) = field.strip_prefix(b"r:") {
                    self.element(member).remove = timestamp(field)?;
                } else if let Some((part, rest)) = component_field(field, b"") {
                    let id = component_id(field, rest)?;
                    set_component(self.counters.entry(id).or_default(), part, field, &value)?;
                } else if let Some((part, rest)) = component_field(field, b"h") {
                    let (id, hash_field) = split_id_field(field, rest)?;
                    let components = self.field_counters.entry(hash_field).or_default();
                    set_component(components.entry(id).or_default(), part, field, &value)?;
                } else {
                    return Err(StateError::UnknownField { field: lossy(field) });
                }
            }
        }
        Ok(())
    }

    /// The element entry for `member`, created empty when missing.
    fn element(&mut self, member: &[u8]) -> &mut Element {
        self.elements.entry(Bytes::copy_from_slice(member)).or_default()
    }

    /// Reads the data part according to `TYPE K`. Data of another Redis type than `t` says (left by an
    /// uncovered write, e.g. HINCRBYFLOAT on a deleted zset) is not the CRDT's data and is ignored, as
    /// the `merge` script ignores it.
    fn set_data(&mut self, data: &Frame) -> Result<(), StateError> {
        if let Some(crdt_type) = self.crdt_type {
            let redis_type: &[u8] =
                if crdt_type.is_string() { b"string" } else { crdt_type.name().as_bytes() };
            if self.observed.data_type.as_ref() != redis_type {
                return Ok(());
            }
        }
        match self.observed.data_type.as_ref() {
            b"string" => match data {
                Frame::Bulk(value) => self.value = Some(value.clone()),
                Frame::Null | Frame::NullArray => {}
                _ => return Err(StateError::Shape { what: "string data: a bulk string" }),
            },
            b"hash" | b"zset" => {
                for (member, value) in pairs(data, "hash/zset data: pairs")? {
                    self.element(&member).value = Some(value);
                }
            }
            b"set" => {
                let members = match data {
                    Frame::Array(members) | Frame::Set(members) => members,
                    _ => return Err(StateError::Shape { what: "set data: an array of members" }),
                };
                for member in members {
                    let member = text(member).ok_or(StateError::Shape { what: "set member: a string" })?;
                    self.element(&member);
                }
            }
            // `none` and the types CRDT mode does not cover carry no data in the reply.
            _ => {}
        }
        Ok(())
    }

    /// Prunes what the thresholds dominate (module doc, "Normalized form"): the canonical form that
    /// parse and merge leave and the `merge` script stores.
    pub(crate) fn normalize(&mut self) {
        let delete = self.delete;
        if self.add <= delete {
            self.add = None;
        }
        if self.add.is_none() {
            self.value = None;
        }
        self.counters.retain(|_, component| component.last > delete);
        for (field, components) in self.field_counters.iter_mut() {
            let element = self.elements.entry(field.clone()).or_default();
            let mask = element.add.max(element.remove).max(delete);
            components.retain(|_, component| component.last > mask);
            if !components.is_empty() && element.add.is_some() {
                // The counter is newer than the field's HSET value: that value is masked for good;
                // its timestamp stays as a tombstone (the threshold that masks older components).
                element.remove = element.remove.max(element.add);
                element.add = None;
            }
        }
        self.field_counters.retain(|_, components| !components.is_empty());
        for element in self.elements.values_mut() {
            let (add, remove) = (element.add, element.remove);
            if add <= remove.max(delete) {
                element.add = None;
            }
            if remove <= delete || remove < add {
                element.remove = None;
            }
            if element.add.is_none() {
                element.value = None;
            }
        }
        // Entries left empty (data without metadata: a counter-only hash field, an unmanaged member).
        self.elements.retain(|_, element| *element != Element::default());
    }

    /// True when the key has data but no metadata: written before CRDT mode or by an uncovered command.
    pub fn is_unmanaged(&self) -> bool {
        self.has_no_metadata()
            && self.observed.data_type.as_ref() != b"none"
            && !self.observed.data_type.is_empty()
    }

    /// True when some metadata field belongs to a type (`a`, elements, counters): only `d`, `xt` and
    /// `xa` may exist without `t` (ops of no type on a missing key).
    fn has_typed_metadata(&self) -> bool {
        self.add.is_some()
            || self.elements.values().any(|element| element.add.is_some() || element.remove.is_some())
            || !self.counters.is_empty()
            || !self.field_counters.is_empty()
    }

    /// True when no metadata field was present.
    pub fn has_no_metadata(&self) -> bool {
        self.crdt_type.is_none()
            && self.add.is_none()
            && self.delete.is_none()
            && self.expiry == Expiry::default()
            && self.elements.values().all(|element| element.add.is_none() && element.remove.is_none())
            && self.counters.is_empty()
            && self.field_counters.is_empty()
    }

    /// Equal CRDT state (metadata and data), ignoring [`Observed`]: a replica whose state is not
    /// `same_as` the merge is stale. Values count: equal timestamps with different values (module doc,
    /// "Merge") are different states.
    pub fn same_as(&self, other: &KeyState) -> bool {
        let KeyState {
            crdt_type,
            add,
            delete,
            expiry,
            value,
            elements,
            counters,
            field_counters,
            observed: _,
        } = self;
        *crdt_type == other.crdt_type
            && *add == other.add
            && *delete == other.delete
            && *expiry == other.expiry
            && *value == other.value
            && *elements == other.elements
            && *counters == other.counters
            && *field_counters == other.field_counters
    }

    /// The key-level timestamp: the newest add or delete of any kind, `max(a, d, e:*, r:*, h:*, hh:*)`
    /// (not `xt`). The merge takes `t` from the state where it is greatest. Normalization never lowers
    /// it (every pruned timestamp is at most a kept one), which keeps the merge associative.
    pub fn key_timestamp(&self) -> Option<Timestamp> {
        let elements = self.elements.values().map(|element| element.add.max(element.remove));
        let counters = self.counters.values().map(|component| component.last);
        let field_counters =
            self.field_counters.values().flat_map(|components| components.values()).map(|c| c.last);
        elements.chain(counters).chain(field_counters).fold(self.add.max(self.delete), Option::max)
    }

    /// True when some timestamp in this state was issued by node `node` after `bound`: the state
    /// reflects a write that node coordinated after it read `bound` from its clock. Read repair uses it
    /// to tell a replica that already applied a write the reading connection sent *after* the read
    /// (runtime-real's `read_repair`, "Successors").
    pub fn has_write_after(&self, node: u32, bound: Timestamp) -> bool {
        let elements = self.elements.values().flat_map(|element| [element.add, element.remove]);
        let counters = self.counters.values().map(|component| component.last);
        let field_counters =
            self.field_counters.values().flat_map(|components| components.values()).map(|c| c.last);
        [self.add, self.delete, self.expiry.set]
            .into_iter()
            .chain(elements)
            .chain(counters)
            .chain(field_counters)
            .flatten()
            .any(|stamp| {
                stamp.node == node && (stamp.physical_ms, stamp.logical) > (bound.physical_ms, bound.logical)
            })
    }

    /// `kill(now)`: the delete timestamp including a passed expiry (module doc, "Expiry"):
    /// `max(d, (xa, 0, 0), xt)` when the live expiry has passed at `now_ms`, else `d`.
    pub fn kill(&self, now_ms: u64) -> Option<Timestamp> {
        if self.expiry_passed(now_ms) {
            self.delete.max(self.expiry.set).max(Some(deadline_timestamp(self.expiry.at_ms)))
        } else {
            self.delete
        }
    }

    /// True when the expiry register sets a deadline that still applies (`xt > d`, `xa != 0`).
    fn expiry_live(&self) -> bool {
        self.expiry.at_ms != 0 && self.expiry.set > self.delete
    }

    /// True when the live expiry has passed at `now_ms`: `xa <= now`, or the expiry op or some add or
    /// delete of the key is beyond the deadline, `max(xt, key-level) > (xa, 0, 0)` (module doc).
    pub fn expiry_passed(&self, now_ms: u64) -> bool {
        self.expiry_live()
            && (self.expiry.at_ms <= now_ms
                || self.expiry.set.max(self.key_timestamp()) > Some(deadline_timestamp(self.expiry.at_ms)))
    }

    /// The deadline K expires at (Unix ms), when the expiry is live and has not passed at `now_ms`.
    pub fn live_deadline_ms(&self, now_ms: u64) -> Option<u64> {
        (self.expiry_live() && !self.expiry_passed(now_ms)).then_some(self.expiry.at_ms)
    }

    /// This state as a script leaves it at `now_ms` (module doc, "Expiry"): a passed expiry folded into
    /// `d` (`d = kill(now)`, so the expiry is no longer live), then normalized. Liveness is unchanged;
    /// compare a replica with `merge_settled(states, now).settle(now)` when deadlines may have passed.
    pub fn settle(&self, now_ms: u64) -> KeyState {
        let mut settled = self.clone();
        if self.expiry_passed(now_ms) {
            settled.delete = self.kill(now_ms);
            settled.normalize();
        }
        settled
    }

    /// The live string value at `now_ms`: for a `counter` key the decimal Σ of its live components
    /// (none live: absent), for a `string` key the live register value; `None` for other types.
    pub fn live_string(&self, now_ms: u64) -> Option<Bytes> {
        let kill = self.kill(now_ms);
        match self.crdt_type? {
            CrdtType::Counter => live_component(&self.counters, kill)
                .then(|| Bytes::from(sum_live(&self.counters, kill).to_string())),
            CrdtType::String => self.value.clone().filter(|_| self.add > kill),
            _ => None,
        }
    }

    /// The live hash fields at `now_ms`, in field byte order: LWW values and counter sums.
    pub fn live_hash(&self, now_ms: u64) -> Vec<(Bytes, Bytes)> {
        let kill = self.kill(now_ms);
        let mut fields = Vec::new();
        for (field, element) in &self.elements {
            let dead_at = element.remove.max(kill);
            let mask = element.add.max(dead_at);
            if let Some(components) = self.field_counters.get(field).filter(|c| live_component(c, mask)) {
                fields.push((field.clone(), Bytes::from(sum_live(components, mask).to_string())));
            } else if element.add > dead_at {
                if let Some(value) = &element.value {
                    fields.push((field.clone(), value.clone()));
                }
            }
        }
        // Fields that only ever had counter ops have no element entry of their own.
        for (field, components) in &self.field_counters {
            if !self.elements.contains_key(field) && live_component(components, kill) {
                fields.push((field.clone(), Bytes::from(sum_live(components, kill).to_string())));
            }
        }
        fields.sort();
        fields
    }

    /// The live set members at `now_ms`, in byte order.
    pub fn live_members(&self, now_ms: u64) -> Vec<Bytes> {
        let kill = self.kill(now_ms);
        self.elements
            .iter()
            .filter(|(_, element)| element.add > element.remove.max(kill))
            .map(|(member, _)| member.clone())
            .collect()
    }

    /// The live sorted-set members with their scores at `now_ms`, in member byte order.
    pub fn live_scored(&self, now_ms: u64) -> Vec<(Bytes, Bytes)> {
        let kill = self.kill(now_ms);
        self.elements
            .iter()
            .filter(|(_, element)| element.add > element.remove.max(kill))
            .filter_map(|(member, element)| Some((member.clone(), element.value.clone()?)))
            .collect()
    }

    /// True when K holds data at `now_ms` according to `t` and the live part.
    pub fn is_live(&self, now_ms: u64) -> bool {
        match self.crdt_type {
            None => false,
            Some(crdt_type) if crdt_type.is_string() => self.live_string(now_ms).is_some(),
            Some(CrdtType::Hash) => !self.live_hash(now_ms).is_empty(),
            Some(CrdtType::Set) => !self.live_members(now_ms).is_empty(),
            Some(_) => !self.live_scored(now_ms).is_empty(),
        }
    }

    /// The metadata as `(field, value)` pairs, in a fixed order (the `merge` script's meta pairs, the
    /// digest's input). Missing timestamps are left out; `xa` accompanies `xt`.
    pub fn metadata_pairs(&self) -> Vec<(Bytes, Bytes)> {
        let mut pairs = Vec::new();
        let mut push = |field: Vec<u8>, value: Bytes| pairs.push((Bytes::from(field), value));
        if let Some(crdt_type) = self.crdt_type {
            push(b"t".to_vec(), Bytes::from_static(crdt_type.name().as_bytes()));
        }
        for (field, timestamp) in [(&b"a"[..], self.add), (b"d", self.delete), (b"xt", self.expiry.set)] {
            if let Some(timestamp) = timestamp {
                push(field.to_vec(), timestamp.to_bytes());
            }
        }
        if self.expiry.set.is_some() || self.expiry.at_ms != 0 {
            push(b"xa".to_vec(), Bytes::from(self.expiry.at_ms.to_string()));
        }
        for (member, element) in &self.elements {
            for (prefix, timestamp) in [(&b"e:"[..], element.add), (b"r:", element.remove)] {
                if let Some(timestamp) = timestamp {
                    push([prefix, member.as_ref()].concat(), timestamp.to_bytes());
                }
            }
        }
        for (id, component) in &self.counters {
            push_component(&mut push, b"", *id, b"", component);
        }
        for (field, components) in &self.field_counters {
            for (id, component) in components {
                push_component(&mut push, b"h", *id, field, component);
            }
        }
        pairs
    }

    /// ARGV of the `merge` script for this (merged) state at `now_ms`: `[type, pair_count, meta
    /// field/value pairs..., data...]` where data is: string → `[value]` when the register is live and
    /// not masked by a counter; hash → field,value pairs of the live fields holding an LWW value (counter
    /// fields are derived by the script from their components); zset → member,score pairs of the live
    /// members; set and counter → nothing. Liveness is at `now_ms` (a passed deadline kills data).
    pub fn merge_args(&self, now_ms: u64) -> Vec<Bytes> {
        // A passed expiry travels as the delete it is, so the receiving script agrees on the data.
        let settled = self.settle(now_ms);
        settled.settled_merge_args(now_ms)
    }

    /// [`KeyState::merge_args`] of a state already settled at `now_ms`.
    fn settled_merge_args(&self, now_ms: u64) -> Vec<Bytes> {
        let crdt_type = self.crdt_type.map_or("", CrdtType::name);
        let meta = self.metadata_pairs();
        let mut args = vec![Bytes::from_static(crdt_type.as_bytes()), Bytes::from(meta.len().to_string())];
        args.extend(meta.into_iter().flat_map(|(field, value)| [field, value]));
        let kill = self.kill(now_ms);
        match self.crdt_type {
            Some(CrdtType::String) => args.extend(self.live_string(now_ms)),
            Some(CrdtType::Hash) => {
                // Only LWW values: counter fields are derived by the script from their components.
                for (field, element) in &self.elements {
                    if let Some(value) =
                        element.value.as_ref().filter(|_| element.add > element.remove.max(kill))
                    {
                        args.extend([field.clone(), value.clone()]);
                    }
                }
            }
            Some(CrdtType::Zset) => {
                args.extend(self.live_scored(now_ms).into_iter().flat_map(|(member, score)| [member, score]))
            }
            Some(CrdtType::Set | CrdtType::Counter) | None => {}
        }
        args
    }
}

/// `(deadline, 0, 0)`: a deadline in Unix ms as a timestamp (physical part only), as the kill rule
/// compares it with the timestamps of writes.
pub fn deadline_timestamp(deadline_ms: u64) -> Timestamp {
    Timestamp { physical_ms: deadline_ms, logical: 0, node: 0 }
}

/// True when some component's last op is newer than `mask`.
pub(crate) fn live_component(components: &BTreeMap<ComponentId, Component>, mask: Option<Timestamp>) -> bool {
    components.values().any(|component| component.last > mask)
}

/// Σ (p − n) over the components newer than `mask`.
fn sum_live(components: &BTreeMap<ComponentId, Component>, mask: Option<Timestamp>) -> i128 {
    components.values().filter(|component| component.last > mask).map(Component::value).sum()
}

/// Pushes the fields of one component: `<prefix>p:<id>[:<f>]`, `...n:...`, `...h:...`, `...s:...`.
fn push_component(
    push: &mut impl FnMut(Vec<u8>, Bytes),
    prefix: &[u8],
    id: ComponentId,
    field: &[u8],
    component: &Component,
) {
    let id = id.to_bytes();
    let name = |part: &[u8]| {
        let mut name = [prefix, part, b":", id.as_ref()].concat();
        if !field.is_empty() || prefix == b"h" {
            name.push(b':');
            name.extend_from_slice(field);
        }
        name
    };
    push(name(b"p"), Bytes::from(component.positive.to_string()));
    push(name(b"n"), Bytes::from(component.negative.to_string()));
    if let Some(last) = component.last {
        push(name(b"h"), last.to_bytes());
    }
    if let Some(start) = component.start {
        push(name(b"s"), start.to_bytes());
    }
}

/// Recognizes `<prefix>p:`, `<prefix>n:`, `<prefix>h:` and returns the part and the rest.
fn component_field<'a>(field: &'a [u8], prefix: &[u8]) -> Option<(ComponentPart, &'a [u8])> {
    let rest = field.strip_prefix(prefix)?;
    let (part, rest) = match rest {
        [b'p', b':', rest @ ..] => (ComponentPart::Positive, rest),
        [b'n', b':', rest @ ..] => (ComponentPart::Negative, rest),
        [b'h', b':', rest @ ..] => (ComponentPart::Last, rest),
        [b's', b':', rest @ ..] => (ComponentPart::Start, rest),
        _ => return None,
    };
    Some((part, rest))
}

/// Parses an 8-hex node id that must be all of `text`.
fn component_id(field: &[u8], text: &[u8]) -> Result<ComponentId, StateError> {
    Timestamp::parse(text).map_err(|_| StateError::UnknownField { field: lossy(field) })
}

/// Splits `<n>:<f>` (the node id is exactly 8 hex digits; the field may contain `:`).
fn split_id_field(field: &[u8], rest: &[u8]) -> Result<(ComponentId, Bytes), StateError> {
    const ID_LEN: usize = 24;
    if rest.len() <= ID_LEN || rest[ID_LEN] != b':' {
        return Err(StateError::UnknownField { field: lossy(field) });
    }
    Ok((component_id(field, &rest[..ID_LEN])?, Bytes::copy_from_slice(&rest[ID_LEN + 1..])))
}

/// Sets one part of a component from a metadata value.
fn set_component(
    component: &mut Component,
    part: ComponentPart,
    field: &[u8],
    value: &[u8],
) -> Result<(), StateError> {
    match part {
        ComponentPart::Positive => component.positive = number(field, value)?,
        ComponentPart::Negative => component.negative = number(field, value)?,
        ComponentPart::Last | ComponentPart::Start => {
            let timestamp = Timestamp::parse_optional(value)
                .map_err(|source| StateError::Timestamp { field: lossy(field), source })?;
            match part {
                ComponentPart::Last => component.last = timestamp,
                _ => component.start = timestamp,
            }
        }
    }
    Ok(())
}

/// Parses a non-negative decimal integer field.
fn number(field: &[u8], value: &[u8]) -> Result<u64, StateError> {
    let digits = !value.is_empty() && value.iter().all(u8::is_ascii_digit);
    std::str::from_utf8(value)
        .ok()
        .filter(|_| digits)
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| StateError::Number { field: lossy(field), value: lossy(value) })
}

/// The bytes of a string-like frame (bulk, simple, integer, double).
fn text(frame: &Frame) -> Option<Bytes> {
    match frame {
        Frame::Bulk(bytes) | Frame::Simple(bytes) | Frame::Double(bytes) | Frame::BigNumber(bytes) => {
            Some(bytes.clone())
        }
        Frame::Integer(value) => Some(Bytes::from(value.to_string())),
        Frame::Verbatim { text, .. } => Some(text.clone()),
        _ => None,
    }
}

/// Pairs from a flat array, a RESP3 map or an array of 2-element arrays; a null is empty.
fn pairs(frame: &Frame, what: &'static str) -> Result<Vec<(Bytes, Bytes)>, StateError> {
    let shape = || StateError::Shape { what };
    let pair =
        |first: &Frame, second: &Frame| Ok((text(first).ok_or_else(shape)?, text(second).ok_or_else(shape)?));
    match frame {
        Frame::Null | Frame::NullArray => Ok(Vec::new()),
        Frame::Map(entries) => entries.iter().map(|(first, second)| pair(first, second)).collect(),
        Frame::Array(items)
            if items.iter().all(|item| matches!(item, Frame::Array(inner) if inner.len() == 2)) =>
        {
            items
                .iter()
                .map(|item| match item {
                    Frame::Array(inner) => pair(&inner[0], &inner[1]),
                    _ => Err(shape()),
                })
                .collect()
        }
        Frame::Array(items) if items.len().is_multiple_of(2) => {
            items.chunks(2).map(|chunk| pair(&chunk[0], &chunk[1])).collect()
        }
        _ => Err(shape()),
    }
}

/// Lossy UTF-8 for error messages.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
