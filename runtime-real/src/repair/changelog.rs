//! The change-log sweep: recently written keys compared across their replicas.
//!
//! Every CRDT write script pushes its key to the list `_dyn:log` of the replica it runs on (bounded by
//! `changelog_max`). A sweep pops up to [`BATCH_MAX`] keys at a time, oldest first (`RPOP _dyn:log
//! <count>`), at most [`SWEEP_BATCHES_MAX`] batches, and repairs each distinct key on all its replicas
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
    for _ in 0..SWEEP_BATCHES_MAX {
        let pop = vec![
            Bytes::from_static(b"RPOP"),
            Bytes::from_static(LOG_KEY),
            Bytes::from(BATCH_MAX.to_string()),
        ];
        let popped = match replica::local(node, pop, log_token).await {
            Ok(frame) => popped_keys(frame),
            Err(error) => {
                tracing::debug!(%error, "change-log sweep cannot read the log");
                break;
            }
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
            tracing::debug!(%error, "change-log sweep cannot push keys back");
        }
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

/// The keys of an `RPOP <key> <count>` reply (none for a nil reply or an error).
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
