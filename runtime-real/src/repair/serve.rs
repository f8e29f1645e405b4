//! The replica side of the range repair: answers `DYNO_REPAIR DIGEST` and `DYNO_REPAIR KEYS` from this
//! node's datastore (for a peer through [`crate::peer::server`], for this node directly).
//!
//! The CRDT-managed keys are found by their metadata: `SCAN` of the local datastore for
//! `_dyn:m:*` ([`SCAN_COUNT`] per call), each mapped back to its data key, whose token (the node's
//! hash and hash tag) decides whether it lies in the range and in which bucket. For `DIGEST` each such
//! key's state is read (`state` script, [`STATE_READS_IN_FLIGHT_MAX`] at once, paced at
//! `repair_rate × DIGEST_READS_PER_KEY`) and folded into its bucket's digest.

use std::sync::Arc;

use bytes::Bytes;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::resp::{Frame, Protocol};
use futures_util::future::join_all;

use super::command::{self, BucketDigest, RepairCommand, KEYS_PER_BUCKET_MAX};
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
    match command {
        RepairCommand::Digest { range, buckets } => digests(node, &node.repair, range, buckets).await,
        RepairCommand::Keys { range, buckets, bucket } => {
            let mut keys = Vec::new();
            let mut walk = MetaWalk::new();
            while let Some(page) = walk.next_page(node).await? {
                for key in page {
                    let token = node.token_of(&key);
                    if range.contains(token)
                        && range.bucket_of(token, buckets) == bucket
                        && keys.len() < KEYS_PER_BUCKET_MAX
                    {
                        keys.push(key);
                    }
                }
            }
            Ok(command::keys_reply(keys))
        }
    }
}

/// Per-bucket digests of the keys of `range`.
async fn digests(
    node: &NodeShared,
    repair: &Repair,
    range: TokenRange,
    buckets: u32,
) -> Result<Frame, ServeError> {
    let mut summary = vec![BucketDigest::default(); buckets as usize];
    let mut walk = MetaWalk::new();
    let mut pending: Vec<(Bytes, u32)> = Vec::with_capacity(STATE_READS_IN_FLIGHT_MAX);
    while let Some(page) = walk.next_page(node).await? {
        for key in page {
            let token = node.token_of(&key);
            if !range.contains(token) {
                continue;
            }
            pending.push((key, token));
            if pending.len() == STATE_READS_IN_FLIGHT_MAX {
                fold_states(node, repair, range, &mut pending, &mut summary).await?;
            }
        }
    }
    fold_states(node, repair, range, &mut pending, &mut summary).await?;
    Ok(command::digest_reply(&summary))
}

/// Reads the states of `pending` and adds them to their buckets.
async fn fold_states(
    node: &NodeShared,
    repair: &Repair,
    range: TokenRange,
    pending: &mut Vec<(Bytes, u32)>,
    summary: &mut [BucketDigest],
) -> Result<(), ServeError> {
    if pending.is_empty() {
        return Ok(());
    }
    repair.pace_digest_reads(pending.len() as u32).await;
    let max_elements = node.config.crdt_state_elements_max;
    let now_ms = node.clock.now_ms();
    let reads = join_all(
        pending.iter().map(|(key, token)| replica::local(node, crdt::state_args(key, max_elements), *token)),
    )
    .await;
    for ((key, token), read) in pending.drain(..).zip(reads) {
        let frame = read.map_err(|error| ServeError::Datastore(error.to_string()))?;
        let (digest, tombstoned) = match crdt::parse_state(&frame, now_ms) {
            Ok(state) => (crdt::state_digest(&state.state), state.tombstoned),
            Err(_) => (UNREADABLE_STATE_DIGEST, false),
        };
        let bucket = range.bucket_of(token, summary.len() as u32) as usize;
        summary[bucket].add(&key, digest, tombstoned);
    }
    Ok(())
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
