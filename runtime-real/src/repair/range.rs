//! The full range repair (Merkle-style): this node's token ranges, compared bucket by bucket.
//!
//! For every segment of this node's ranges (a part with one replica per rack, see
//! [`super::ranges::segments`]):
//! 1. every replica answers `DYNO_REPAIR DIGEST <start> <end> <BUCKETS>`: [`BUCKETS`] digests, each an
//!    order-independent sum over the bucket's keys of (key, state digest), plus key and tombstone
//!    counts;
//! 2. the buckets whose digests differ between replicas, or which hold tombstones on some replica (to
//!    collect them), are listed in one `DYNO_REPAIR KEYS` per replica that answered: their keys with
//!    each key's state digest;
//! 3. a listed key missing from some listing, with digests that differ, or with a tombstone is
//!    repaired on all the segment's replicas ([`super::key::repair`]), paced by `repair_rate`.
//!
//! Buckets that agree and hold no tombstone ship nothing. A replica that does not answer a digest is
//! left out of the comparison; its keys are repaired when it is back (the next run) and its listed
//! keys meanwhile follow the bounded-age tombstone rule.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use dynomite_core::resp::Frame;
use dynomite_core::ring::NodeId;
use futures_util::future::join_all;

use super::command::{self, BucketDigest, KeyDigest, RepairCommand};
use super::key;
use super::ranges::{owned_ranges, segments, Segment, TokenRange};
use super::status::RunState;
use super::{replica, serve, Repair};
use crate::node::NodeShared;

/// Digest buckets per segment.
pub const BUCKETS: u32 = 256;
/// Time a replica may take to answer one `DYNO_REPAIR` (it reads every key of the segment, paced).
pub const COMMAND_TIMEOUT_MS: u64 = 600_000;
/// Keys repaired concurrently.
const KEYS_IN_FLIGHT_MAX: usize = 32;

/// One range repair of `requested` tokens, or of this node's ranges when None.
pub async fn run(node: &NodeShared, repair: &Repair, requested: Option<TokenRange>) {
    let ranges = requested.map_or_else(|| owned_ranges(&node.topology), |range| vec![range]);
    let pieces: Vec<Segment> = ranges.into_iter().flat_map(|range| segments(&node.topology, range)).collect();
    let started_ms = node.clock.now_ms();
    repair.update(|status| {
        status.requested = false;
        status.range.state = RunState::Running;
        status.range.range = requested;
        status.range.ranges_total = pieces.len() as u64;
        status.range.ranges_done = 0;
        status.range.ranges_failed = 0;
        status.range.buckets_compared = 0;
        status.range.buckets_differing = 0;
        status.range.keys_listed = 0;
        status.range.keys_compared = 0;
        status.range.keys_shipped = 0;
        status.range.last_started_ms = started_ms;
    });
    tracing::info!(segments = pieces.len(), "range repair started");
    for segment in &pieces {
        repair_segment(node, repair, segment).await;
        repair.update(|status| status.range.ranges_done += 1);
    }
    let finished_ms = node.clock.now_ms();
    repair.update(|status| {
        status.range.state = RunState::Idle;
        status.range.runs += 1;
        status.range.last_finished_ms = finished_ms;
    });
    let status = repair.status();
    tracing::info!(
        buckets_differing = status.range.buckets_differing,
        keys_compared = status.range.keys_compared,
        keys_shipped = status.range.keys_shipped,
        "range repair finished"
    );
}

/// Compares one segment on its replicas and repairs the keys that need it.
async fn repair_segment(node: &NodeShared, repair: &Repair, segment: &Segment) {
    let digest = RepairCommand::Digest { range: segment.range, buckets: BUCKETS };
    let answers = join_all(segment.replicas.iter().map(|&id| ask(node, id, &digest))).await;
    let mut reached: Vec<(NodeId, Vec<BucketDigest>)> = Vec::with_capacity(answers.len());
    for (&id, answer) in segment.replicas.iter().zip(answers) {
        match answer.as_ref().and_then(|frame| command::parse_digest_reply(frame, BUCKETS)) {
            Some(buckets) => reached.push((id, buckets)),
            None => tracing::debug!(node = id.0, range = %segment.range, "replica gave no digest"),
        }
    }
    if reached.len() < segment.replicas.len() {
        repair.update(|status| status.range.ranges_failed += 1);
    }
    if reached.is_empty() {
        return;
    }
    let mut selected = Vec::new();
    for bucket in 0..BUCKETS {
        let needed = bucket_needs_keys(&reached, bucket as usize);
        repair.update(|status| {
            status.range.buckets_compared += 1;
            status.range.buckets_differing += u64::from(needed.differs);
        });
        if needed.differs || needed.tombstoned {
            selected.push(bucket);
        }
    }
    if selected.is_empty() {
        return;
    }
    let list = RepairCommand::Keys { range: segment.range, buckets: BUCKETS, selected };
    let listings = join_all(reached.iter().map(|(id, _)| ask(node, *id, &list))).await;
    let listings: Vec<Vec<KeyDigest>> = listings
        .into_iter()
        .map(|listing| listing.and_then(command::parse_keys_reply).unwrap_or_default())
        .collect();
    let listed = listings.iter().map(Vec::len).sum::<usize>() as u64;
    let keys = keys_to_repair(&listings);
    repair.update(|status| status.range.keys_listed += listed);
    for chunk in keys.chunks(KEYS_IN_FLIGHT_MAX) {
        repair.pace_keys(chunk.len() as u32).await;
        let reports = join_all(chunk.iter().map(|key| key::repair(node, key, &segment.replicas))).await;
        repair.update(|status| {
            for report in &reports {
                status.range.keys_compared += 1;
                status.range.keys_shipped += u64::from(report.writes);
                status.tombstone_collections += u64::from(report.collected);
            }
        });
    }
}

/// The listed keys that need a repair: missing from some replica's listing, with digests that differ
/// between replicas, or holding a tombstone somewhere (to collect it). Sorted.
fn keys_to_repair(listings: &[Vec<KeyDigest>]) -> Vec<Bytes> {
    let mut seen: BTreeMap<&Bytes, (usize, BTreeSet<u64>, bool)> = BTreeMap::new();
    for listing in listings {
        for entry in listing {
            let (count, digests, tombstoned) = seen.entry(&entry.key).or_default();
            *count += 1;
            digests.insert(entry.digest);
            *tombstoned |= entry.tombstoned;
        }
    }
    seen.into_iter()
        .filter(|(_, (count, digests, tombstoned))| {
            *count < listings.len() || digests.len() > 1 || *tombstoned
        })
        .map(|(key, _)| key.clone())
        .collect()
}

/// What one bucket needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct BucketNeeds {
    /// The replicas' digests differ: some key differs.
    differs: bool,
    /// Some replica holds a tombstone in it: its keys are visited to collect it.
    tombstoned: bool,
}

/// Compares bucket `bucket` across the replicas that answered.
fn bucket_needs_keys(reached: &[(NodeId, Vec<BucketDigest>)], bucket: usize) -> BucketNeeds {
    let first = reached[0].1[bucket];
    let mut differs = reached.iter().any(|(_, buckets)| buckets[bucket].digest != first.digest);
    if dynomite_core::mutant!(RangeRepairSkipsBuckets) {
        // The deliberate bug: every bucket is taken as equal, nothing differing is shipped.
        differs = false;
    }
    let tombstoned = reached.iter().any(|(_, buckets)| buckets[bucket].tombstoned > 0);
    BucketNeeds { differs, tombstoned }
}

/// Sends a `DYNO_REPAIR` to replica `id` (answered directly when it is this node).
async fn ask(node: &NodeShared, id: NodeId, command: &RepairCommand) -> Option<Frame> {
    let answer = if id == node.topology.local().id {
        serve::execute(node, command.clone()).await.ok()
    } else {
        replica::call(node, id, command.to_args(), 0, COMMAND_TIMEOUT_MS).await.ok()
    };
    answer.filter(|frame| !frame.is_error())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest(value: u64, tombstoned: u64) -> BucketDigest {
        BucketDigest { digest: value, keys: 1, tombstoned }
    }

    fn entry(key: &'static [u8], digest: u64, tombstoned: bool) -> KeyDigest {
        KeyDigest { key: Bytes::from_static(key), digest, tombstoned }
    }

    #[test]
    fn only_missing_differing_or_tombstoned_keys_are_repaired() {
        let listings = vec![
            vec![
                entry(b"same", 1, false),
                entry(b"differs", 2, false),
                entry(b"dead", 3, true),
                entry(b"lost", 4, false),
            ],
            vec![entry(b"same", 1, false), entry(b"differs", 9, false), entry(b"dead", 3, false)],
        ];
        let keys: Vec<&[u8]> = vec![b"dead", b"differs", b"lost"];
        assert_eq!(keys_to_repair(&listings), keys.into_iter().map(Bytes::from_static).collect::<Vec<_>>());
    }

    #[test]
    fn buckets_differ_or_hold_tombstones() {
        let reached = vec![
            (NodeId(0), vec![digest(1, 0), digest(2, 0), digest(3, 1)]),
            (NodeId(1), vec![digest(1, 0), digest(9, 0), digest(3, 0)]),
        ];
        assert_eq!(bucket_needs_keys(&reached, 0), BucketNeeds { differs: false, tombstoned: false });
        assert_eq!(bucket_needs_keys(&reached, 1), BucketNeeds { differs: true, tombstoned: false });
        assert_eq!(bucket_needs_keys(&reached, 2), BucketNeeds { differs: false, tombstoned: true });
    }
}
