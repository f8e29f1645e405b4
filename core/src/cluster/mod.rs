//! Coordinator logic for a cluster: consistency-level reconciliation of replica replies, multi-key
//! commands split by owner and merged back, and cluster-wide SCAN cursors.
//!
//! Everything here is pure and synchronous: the driver sends what the planner chose, then feeds each
//! replica's result in and writes out the verdict.
//!
//! - `outcome`: what replicas give back ([`ReplicaResult`], [`ReplicaFailure`]) and the answer
//!   ([`Verdict`]), with C Dynomite's error texts.
//! - `tally` + `quorum`: [`QuorumCollector`], the per-request decision for DC_ONE, DC_QUORUM,
//!   DC_SAFE_QUORUM and DC_EACH_SAFE_QUORUM; its docs table the rules.
//! - `fragment`: [`split_multi_key`] and [`merge_multi_key`] for MGET, MSET, DEL, UNLINK, EXISTS, TOUCH.
//! - `cursor`: [`ClusterCursor`], the composite SCAN cursor (node index in the top 10 bits).
//! - `canonical`: [`canonical_reply`], one order for replies Redis lists in no defined order (SMEMBERS,
//!   HGETALL, ...), so replicas can be compared at the quorum levels.
mod canonical;
mod cursor;
mod fragment;
mod local_state;
mod outcome;
pub mod plan;
mod quorum;
mod tally;

pub use canonical::{canonical_reply, PAIR_REPLY_COMMANDS};
pub use cursor::{ClusterCursor, CursorError, NODE_CURSOR_BITS, NODE_CURSOR_MAX, RACK_NODES_MAX_COUNT};
pub use fragment::{merge_multi_key, split_multi_key, Fragment, SplitError, MULTI_KEY_KEYS_MAX_COUNT};
pub use local_state::{LocalState, STATE_REJECTED_TEXT};
pub use outcome::{ReplicaFailure, ReplicaResult, Verdict, DATASTORE_REFUSED_TEXT, NO_QUORUM_TEXT};
pub use quorum::{decide_all, QuorumCollector, GROUPS_MAX_COUNT};
pub use tally::{quorum_size, GROUP_REPLICAS_MAX_COUNT};
