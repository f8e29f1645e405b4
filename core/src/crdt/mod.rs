//! Anti-entropy with CRDTs: hybrid logical clock timestamps, the per-key CRDT state kept beside the data
//! in the datastore (LWW-element-sets, PN-counters), its merge, the Lua scripts that update data and
//! metadata atomically, and the rewrite of client writes into those scripts.
//!
//! The data model (metadata layout, timestamp encoding, liveness, normalization and merge rules) is
//! written down once, in [`state`]; everything else implements it:
//! - [`timestamp`]: the 24-hex [`timestamp::Timestamp`] and stable node ids;
//! - [`hlc`]: the pure hybrid logical clock that stamps writes at the coordinator (its guarantee);
//! - [`state`]: [`state::KeyState`], parsed from the `state` script's reply, with the live data at a
//!   given time and the `merge` script's arguments;
//! - [`merge`]: the join of replicas' states (commutative, associative, idempotent);
//! - [`answer`]: the client's reply for a merged state (its read run on a scratch embedded store);
//! - [`digest`]: per-key and per-bucket digests for range repair;
//! - [`scripts`] and [`rewrite`]: the Lua scripts and the turning of client writes into them;
//! - [`counter`]: the two halves of a counter op (the applier's increment, the other replicas' join).
//!
//! Everything here is pure: time arrives as `now_ms`/`wall_ms`, nothing does IO.

pub mod answer;
pub mod counter;
pub mod digest;
pub mod hlc;
pub mod merge;
pub mod rewrite;
pub mod scripts;
pub mod state;
pub mod timestamp;
