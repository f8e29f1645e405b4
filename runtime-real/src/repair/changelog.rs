//! The change-log sweep: recently written keys compared across their replicas.
//!
//! Every CRDT write script pushes its key to the list `_dyn:log` of the replica it runs on (bounded by
//! `changelog_max`). A sweep claims up to [`BATCH_MAX`] keys at a time, oldest first, by moving them
//! to the list `_dyn:log:claimed` (`RPOPLPUSH`, one atomic move per key, pipelined), at most
//! [`SWEEP_BATCHES_MAX`] batches, and repairs each distinct key on all its replicas
//! ([`super::key::repair`]), up to [`KEYS_IN_FLIGHT_MAX`] at once (a key that waits out a timeout holds
//! up no other), paced by `repair_rate`. A key whose
//! replicas could not all be reached is pushed back at the end of the sweep (so the next sweep retries
//! it, not this one, and meanwhile the replicas that answered are already merged). A replica that
//! cannot be reached (link down or disconnected, or no answer in time: a partition looks like that) is
//! an outage, not a failure of the key: such a key is retried for [`OUTAGE_RETRY_MS`] after its first
//! failure (a partition or a dead datacenter usually heals sooner, and hints may have overflowed, so
//! nothing else would carry the write there when the range repair is off). Other failures (error or
//! unreadable replies) count, and after [`RETRIES_MAX`] of them the key is dropped. A dropped key is
//! counted (`changelog.dropped`), and the range repair covers it. The log's own bound
//! (`changelog_max`, trimmed by every write), [`RETRY_KEYS_MAX`] and `repair_rate` bound what an
//! outage costs.
//!
//! Claimed keys leave `_dyn:log:claimed` only when the sweep ends (after the ones to retry are back in
//! the log), so a node that stops mid-sweep (killed, restarted) loses none of them: its next sweep
//! repairs what it finds claimed first. (An earlier version popped keys with `RPOP`: a node killed
//! mid-sweep lost them for good; the simulator found it, kong seed 138 with hinted handoff off.)
//!
//! Every replica of a key logs it, so each of them repairs it once; the repair writes only to replicas
//! whose state differs, so the extra comparisons cost reads, not writes.

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;
use dynomite_core::resp::Frame;
use futures_util::stream::{self, StreamExt};

use super::key::{self, KeyReport};
use super::ranges::replicas_of;
use super::{replica, Repair};
use crate::node::NodeShared;

/// The change log's key in the datastore.
pub const LOG_KEY: &[u8] = b"_dyn:log";
/// The keys the current (or an interrupted) sweep took from the log and has not finished.
pub const CLAIMED_KEY: &[u8] = b"_dyn:log:claimed";
/// Keys popped from the log at once.
pub const BATCH_MAX: u32 = 256;
/// Batches per sweep (a sweep handles at most `BATCH_MAX × SWEEP_BATCHES_MAX` log entries).
pub const SWEEP_BATCHES_MAX: u32 = 64;
/// Keys repaired concurrently.
pub const KEYS_IN_FLIGHT_MAX: usize = 32;
/// Times a key is pushed back to the log before it is dropped.
pub const RETRIES_MAX: u32 = 20;
/// Keys whose retries are counted at once; past it, failed keys are dropped at once.
pub const RETRY_KEYS_MAX: usize = 10_000;
/// How long a key some replica of which cannot be reached is retried after its first failure (ms).
pub const OUTAGE_RETRY_MS: u64 = 10 * 60 * 1000;

/// Retry counts (and the first failure's time, ms) of the keys pushed back to the log.
#[derive(Debug, Default)]
pub struct Retries {
    counts: BTreeMap<Bytes, (u32, u64)>,
}

impl Retries {
    /// Records one more failure of `key` at `now_ms`, an outage (a replica unreachable) or not; true
    /// when it should go back to the log.
    fn failed(&mut self, key: &Bytes, outage: bool, now_ms: u64) -> bool {
        if let Some((count, first_ms)) = self.counts.get_mut(key) {
            if !outage {
                *count += 1;
            }
            if *count > RETRIES_MAX || now_ms.saturating_sub(*first_ms) > OUTAGE_RETRY_MS {
                self.counts.remove(key);
                return false;
            }
            return true;
        }
        if self.counts.len() >= RETRY_KEYS_MAX {
            return false;
        }
        self.counts.insert(key.clone(), (u32::from(!outage), now_ms));
        true
    }

    /// `key` was repaired everywhere.
    fn succeeded(&mut self, key: &Bytes) {
        self.counts.remove(key);
    }
}

/// One sweep of the change log.
pub async fn sweep(node: &NodeShared, repair: &Repair, retries: &mut Retries) {
    let log_token = node.token_of(LOG_KEY);
    let mut requeue: Vec<Bytes> = Vec::new();
    // Keys an interrupted sweep had claimed (the node stopped before it finished): repaired first.
    let range = vec![
        Bytes::from_static(b"LRANGE"),
        Bytes::from_static(CLAIMED_KEY),
        Bytes::from_static(b"0"),
        Bytes::from_static(b"-1"),
    ];
    let mut leftovers = match replica::local(node, range, log_token).await {
        Ok(frame) => popped_keys(frame),
        Err(error) => {
            tracing::debug!(%error, "change-log sweep cannot read its claimed keys");
            return;
        }
    };
    for _ in 0..SWEEP_BATCHES_MAX {
        let popped = match std::mem::take(&mut leftovers) {
            leftovers if !leftovers.is_empty() => leftovers,
            _ => match claim(node, log_token).await {
                Ok(keys) => keys,
                Err(error) => {
                    tracing::debug!(%error, "change-log sweep cannot read the log");
                    break;
                }
            },
        };
        let entries = popped.len();
        if dynomite_core::mutant!(ChangeLogRepairSkipped) {
            // The deliberate bug: the keys leave the log and are never compared.
            if entries < BATCH_MAX as usize {
                break;
            }
            continue;
        }
        let mut seen = BTreeSet::new();
        let keys: Vec<Bytes> = popped.into_iter().filter(|key| seen.insert(key.clone())).collect();
        // At most KEYS_IN_FLIGHT_MAX keys at once, each started as soon as one finishes: a key whose
        // replica makes it wait out the timeout holds up no other.
        let mut reports = stream::iter(keys)
            .map(|key: Bytes| async move {
                repair.pace_keys(1).await;
                let replicas = replicas_of(&node.topology, node.token_of(&key));
                let report = key::repair(node, &key, &replicas).await;
                (key, report)
            })
            .buffer_unordered(KEYS_IN_FLIGHT_MAX);
        while let Some((key, report)) = reports.next().await {
            account(repair, retries, &key, report, node.clock.now_ms(), &mut requeue);
        }
        if entries < BATCH_MAX as usize {
            break;
        }
    }
    if !requeue.is_empty() {
        let mut push = vec![Bytes::from_static(b"LPUSH"), Bytes::from_static(LOG_KEY)];
        push.extend(requeue);
        if let Err(error) = replica::local(node, push, log_token).await {
            // The claimed list still holds them: the next sweep repairs them first.
            tracing::debug!(%error, "change-log sweep cannot push keys back");
            return;
        }
    }
    // Only now: a crash before this leaves the claimed keys for the next sweep (some twice, harmless).
    let release = vec![Bytes::from_static(b"DEL"), Bytes::from_static(CLAIMED_KEY)];
    if let Err(error) = replica::local(node, release, log_token).await {
        tracing::debug!(%error, "change-log sweep cannot release its claimed keys");
    }
    repair.update(|status| status.changelog.sweeps += 1);
}

/// Counts one key's repair and decides whether it goes back to the log.
fn account(
    repair: &Repair,
    retries: &mut Retries,
    key: &Bytes,
    report: KeyReport,
    now_ms: u64,
    requeue: &mut Vec<Bytes>,
) {
    let again = if report.complete {
        retries.succeeded(key);
        false
    } else {
        let again = retries.failed(key, report.peer_down, now_ms);
        if again {
            requeue.push(key.clone());
        }
        again
    };
    repair.update(|status| {
        status.changelog.keys_compared += 1;
        status.changelog.writes += u64::from(report.writes);
        status.tombstone_collections += u64::from(report.collected);
        if !report.complete {
            if again {
                status.changelog.requeued += 1;
            } else {
                status.changelog.dropped += 1;
            }
        }
    });
}

/// Moves up to [`BATCH_MAX`] of the oldest logged keys to the claimed list, one atomic
/// `RPOPLPUSH` each (Redis 1.2+; the moves are pipelined on the log's datastore connection), and
/// returns them.
async fn claim(node: &NodeShared, token: u32) -> Result<Vec<Bytes>, replica::ReplicaError> {
    let length =
        replica::local(node, vec![Bytes::from_static(b"LLEN"), Bytes::from_static(LOG_KEY)], token).await?;
    let count = match length {
        Frame::Integer(length) => length.clamp(0, i64::from(BATCH_MAX)) as usize,
        _ => 0,
    };
    let moves = (0..count).map(|_| {
        let args = vec![
            Bytes::from_static(b"RPOPLPUSH"),
            Bytes::from_static(LOG_KEY),
            Bytes::from_static(CLAIMED_KEY),
        ];
        replica::local(node, args, token)
    });
    let mut keys = Vec::with_capacity(count);
    for moved in futures_util::future::join_all(moves).await {
        if let Frame::Bulk(key) = moved? {
            keys.push(key);
        }
    }
    Ok(keys)
}

/// The keys of an `LRANGE` reply (none for a nil reply or an error).
fn popped_keys(frame: Frame) -> Vec<Bytes> {
    match frame {
        Frame::Array(items) => items
            .into_iter()
            .filter_map(|item| if let Frame::Bulk(key) = item { Some(key) } else { None })
            .collect(),
        Frame::Bulk(key) => vec![key],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_are_bounded() {
        let mut retries = Retries::default();
        let key = Bytes::from_static(b"k");
        for _ in 0..RETRIES_MAX {
            assert!(retries.failed(&key, false, 0));
        }
        assert!(!retries.failed(&key, false, 0), "dropped after RETRIES_MAX pushes back");
        assert!(retries.failed(&key, false, 0), "a new failure starts a new count");
        retries.succeeded(&key);
        assert!(retries.counts.is_empty());
        // An outage does not count, but it is retried only for OUTAGE_RETRY_MS.
        for attempt in 0..(RETRIES_MAX as u64 * 2) {
            assert!(retries.failed(&key, true, attempt * 1_000));
        }
        assert!(retries.failed(&key, true, OUTAGE_RETRY_MS));
        assert!(!retries.failed(&key, true, OUTAGE_RETRY_MS + 1), "dropped after the outage window");
    }
}
