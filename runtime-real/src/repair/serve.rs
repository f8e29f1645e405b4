//! The replica side of the range repair: answers `DYNO_REPAIR DIGEST` and `DYNO_REPAIR KEYS` from this
//! node's datastore (for a peer through [`crate::peer::server`], for this node directly).
//!
//! The CRDT-managed keys are found by their metadata: `SCAN` of the local datastore for
//! `_dyn:m:*` ([`SCAN_COUNT`] per call), each mapped back to its data key, whose token (the node's
//! hash and hash tag) decides whether it lies in the range and in which bucket. Each such key's state
//! is read (`state` script, [`STATE_READS_IN_FLIGHT_MAX`] at once, paced at
//! `repair_rate × DIGEST_READS_PER_KEY`) and digested: `DIGEST` folds the digests into their buckets,
//! `KEYS` lists them for the buckets asked for.

use std::sync::Arc;

use bytes::Bytes;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::resp::{Frame, Protocol};
use futures_util::future::join_all;

use super::command::{self, BucketDigest, KeyDigest, RepairCommand, KEYS_PER_ANSWER_MAX};
use super::ranges::TokenRange;
use super::{crdt, replica, Repair};
use crate::coordinator::ResultFuture;
use crate::node::NodeShared;

/// Prefix of the metadata hash of a data key.
pub const META_PREFIX: &[u8] = b"_dyn:m:";
/// `COUNT` of each `SCAN` call.
pub const SCAN_COUNT: u32 = 1_000;
/// `SCAN` calls one answer may take (bounds a walk that never returns to cursor 0).
pub const SCAN_CALLS_MAX: u64 = 10_000_000;
/// States read at once while computing digests.
pub const STATE_READS_IN_FLIGHT_MAX: usize = 64;
/// The digest standing for a state that could not be read (too large, malformed): differs from every
/// readable state's with overwhelming probability, so its bucket is compared key by key.
const UNREADABLE_STATE_DIGEST: u64 = u64::MAX;

/// Why a `DYNO_REPAIR` could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServeError {
    /// The local datastore failed.
    #[error("ERR DYNO_REPAIR: {0}")]
    Datastore(String),
}

/// The future that answers a peer's `DYNO_REPAIR` (`args` with the name at index 0), or the refusal
/// text for a malformed one.
pub fn peer_request(
    node: Arc<NodeShared>,
    args: &[Bytes],
    protocol: Protocol,
) -> Result<ResultFuture, String> {
    if !node.config.crdt_enabled {
        return Err("ERR DYNO_REPAIR: this node runs without crdt_enabled".to_string());
    }
    let command = RepairCommand::parse(args).map_err(|error| error.to_string())?;
    Ok(Box::pin(async move {
        match execute(&node, command).await {
            Ok(frame) => ReplicaResult::Reply(frame.to_bytes(protocol)),
            Err(error) => ReplicaResult::Failed(ReplicaFailure::Datastore(error.to_string())),
        }
    }))
}

/// Answers `command` from the local datastore.
pub async fn execute(node: &NodeShared, command: RepairCommand) -> Result<Frame, ServeError> {
    let repair = &node.repair;
    match command {
        RepairCommand::Digest { range, buckets } => {
            let mut summary = vec![BucketDigest::default(); buckets as usize];
            visit_states(
                node,
                repair,
                range,
                buckets,
                |_| true,
                |bucket, key| {
                    summary[bucket as usize].add(&key.key, key.digest, key.tombstoned);
                    true
                },
            )
            .await?;
            Ok(command::digest_reply(&summary))
        }
        RepairCommand::Keys { range, buckets, selected } => {
            let mut keys = Vec::new();
            let wanted = |bucket: u32| selected.binary_search(&bucket).is_ok();
            visit_states(node, repair, range, buckets, wanted, |_, key| {
                keys.push(key);
                keys.len() < KEYS_PER_ANSWER_MAX
            })
            .await?;
            Ok(command::keys_reply(&keys))
        }
    }
}

/// Reads the state of every local key of `range` whose bucket is `wanted` and hands it to `visit`
/// (which answers false to stop the walk).
async fn visit_states(
    node: &NodeShared,
    repair: &Repair,
    range: TokenRange,
    buckets: u32,
    wanted: impl Fn(u32) -> bool,
    mut visit: impl FnMut(u32, KeyDigest) -> bool,
) -> Result<(), ServeError> {
    let mut walk = MetaWalk::new();
    let mut pending: Vec<(Bytes, u32)> = Vec::with_capacity(STATE_READS_IN_FLIGHT_MAX);
    let mut going = true;
    while going {
        let Some(page) = walk.next_page(node).await? else { break };
        for key in page {
            let token = node.token_of(&key);
            if range.contains(token) && wanted(range.bucket_of(token, buckets)) {
                pending.push((key, token));
            }
        }
        while going && pending.len() >= STATE_READS_IN_FLIGHT_MAX {
            let batch: Vec<(Bytes, u32)> = pending.drain(..STATE_READS_IN_FLIGHT_MAX).collect();
            going = read_batch(node, repair, range, buckets, batch, &mut visit).await?;
        }
    }
    if going && !pending.is_empty() {
        read_batch(node, repair, range, buckets, pending, &mut visit).await?;
    }
    Ok(())
}

/// Reads the states of `batch` (at once, paced) and visits them; false when `visit` asked to stop.
async fn read_batch(
    node: &NodeShared,
    repair: &Repair,
    range: TokenRange,
    buckets: u32,
    batch: Vec<(Bytes, u32)>,
    visit: &mut impl FnMut(u32, KeyDigest) -> bool,
) -> Result<bool, ServeError> {
    repair.pace_digest_reads(batch.len() as u32).await;
    let max_elements = node.config.crdt_state_elements_max;
    let now_ms = node.clock.now_ms();
    let reads = join_all(
        batch.iter().map(|(key, token)| replica::local(node, crdt::state_args(key, max_elements), *token)),
    )
    .await;
    for ((key, token), read) in batch.into_iter().zip(reads) {
        let frame = read.map_err(|error| ServeError::Datastore(error.to_string()))?;
        let (digest, tombstoned) = match crdt::parse_state(&frame, now_ms) {
            Ok(state) => (crdt::state_digest(&state.state), state.tombstoned),
            Err(_) => (UNREADABLE_STATE_DIGEST, false),
        };
        if !visit(range.bucket_of(token, buckets), KeyDigest { key, digest, tombstoned }) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A walk over the local datastore's metadata keys, yielding their data keys page by page.
struct MetaWalk {
    cursor: Bytes,
    calls: u64,
    done: bool,
}

impl MetaWalk {
    fn new() -> MetaWalk {
        MetaWalk { cursor: Bytes::from_static(b"0"), calls: 0, done: false }
    }

    /// The data keys of the next `SCAN` page; None when the walk is over.
    async fn next_page(&mut self, node: &NodeShared) -> Result<Option<Vec<Bytes>>, ServeError> {
        if self.done || self.calls >= SCAN_CALLS_MAX {
            return Ok(None);
        }
        self.calls += 1;
        let mut pattern = META_PREFIX.to_vec();
        pattern.push(b'*');
        let args = vec![
            Bytes::from_static(b"SCAN"),
            self.cursor.clone(),
            Bytes::from_static(b"MATCH"),
            Bytes::from(pattern),
            Bytes::from_static(b"COUNT"),
            Bytes::from(SCAN_COUNT.to_string()),
        ];
        let reply =
            replica::local(node, args, 0).await.map_err(|error| ServeError::Datastore(error.to_string()))?;
        let Frame::Array(mut parts) = reply else {
            return Err(ServeError::Datastore(format!("SCAN answered {reply:?}")));
        };
        let (Some(Frame::Array(keys)), Some(Frame::Bulk(cursor))) = (parts.pop(), parts.pop()) else {
            return Err(ServeError::Datastore("SCAN answered no [cursor, keys]".to_string()));
        };
        self.done = cursor.as_ref() == b"0";
        self.cursor = cursor;
        let data_keys = keys
            .into_iter()
            .filter_map(|key| match key {
                Frame::Bulk(meta) if meta.starts_with(META_PREFIX) => Some(meta.slice(META_PREFIX.len()..)),
                _ => None,
            })
            .collect();
        Ok(Some(data_keys))
    }
}
