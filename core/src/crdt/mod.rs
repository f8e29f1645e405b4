//! Anti-entropy with CRDTs: hybrid logical clock timestamps, the per-key CRDT state kept beside the data
//! in the datastore (LWW-element-sets, PN-counters), its merge, the Lua scripts that update data and
//! metadata atomically, and the rewrite of client writes into those scripts.
//!
//! The data model (metadata layout, timestamp encoding, merge rules) is documented in [`state`].

pub mod answer;
pub mod digest;
pub mod hlc;
pub mod merge;
pub mod rewrite;
pub mod scripts;
pub mod state;
pub mod timestamp;
