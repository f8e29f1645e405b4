//! Background repair (anti-entropy) and tombstone GC, active only with `crdt_enabled`.
//!
//! Replicas drift when a write reaches only some of them (a partial quorum write, a dead coordinator,
//! a partition, hints dropped over their bound). Read repair fixes the keys that are read; this module
//! fixes the rest, in two ways, both paced by `repair_rate` (keys per second, shared):
//!
//! - [`changelog`]: every `repair_interval`, the keys most recently written on this node (the bounded
//!   change log `_dyn:log` that every CRDT write script pushes to) are popped, oldest first, in bounded
//!   batches, and each is compared across all its replicas (every rack of every datacenter) and merged
//!   ([`key`]). A key one of whose replicas cannot be reached goes back to the log, a bounded number of
//!   times.
//! - [`range`]: every `repair_full_interval` and on request (admin `/repair/start`, `dynomite repair`),
//!   this node's token ranges are compared Merkle-style: every replica summarizes each range as
//!   per-bucket digests (the internal peer command `DYNO_REPAIR`, [`command`], served by [`serve`]);
//!   only the keys of buckets that differ (or hold tombstones) are listed and merged key by key.
//!
//! Both collect tombstones ([`key`] explains the rule: acknowledged by every replica, or older than
//! `tombstone_gc_age`). Progress is in [`status`], shown by `/info` (object `repair`) and
//! `/repair/status`; `dynomite repair --admin HOST:PORT [--range FIRST:LAST] [--wait | --status]`
//! ([`cli`]) drives it from the command line.
//!
//! Schedule: the first sweep runs `repair_interval` after the node starts, then one every
//! `repair_interval` after the previous one ended; the first range repair runs `repair_full_interval`
//! after the start, then `repair_full_interval` after the previous run ended. A request
//! (`/repair/start[/<first>/<last>]`) starts one at once, or right after the running one.
//!
//! Everything runs in the simulator too: time is `tokio::time` and the node's clock, batches and
//! queues are bounded, nothing iterates a hashed collection.

pub mod changelog;
pub mod cli;
pub mod command;
pub mod crdt;
pub mod key;
pub mod pace;
pub mod range;
pub mod ranges;
pub mod replica;
pub mod serve;
pub mod status;

use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::node::NodeShared;
use pace::Pace;
use ranges::TokenRange;
use status::RepairStatus;

/// How many digest-side state reads one repaired key is worth: the replicas' digest scans read every
/// key of a range, so they run this many times faster than `repair_rate`.
pub const DIGEST_READS_PER_KEY: u32 = 10;

/// How often an idle range-repair task checks that its node still exists.
const NODE_CHECK_INTERVAL_MS: u64 = 1_000;

/// Why a repair request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RepairRequestError {
    /// The node runs without CRDT metadata, so there is nothing to compare.
    #[error("background repair needs crdt_enabled: true in the node's configuration")]
    Disabled,
}

/// The node's repair: its status and the request flag; held by `NodeShared`.
pub struct Repair {
    /// Counters and run state.
    status: Mutex<RepairStatus>,
    /// Wakes the range repair for an admin request.
    requested: Notify,
    /// `repair_rate` for the keys the repairs compare (shared by both).
    key_pace: tokio::sync::Mutex<Pace>,
    /// `repair_rate × DIGEST_READS_PER_KEY` for the states this node reads to answer digests.
    digest_pace: tokio::sync::Mutex<Pace>,
}

impl Repair {
    /// A repair for a node with `crdt_enabled` = `enabled` and `repair_rate` = `rate`.
    pub fn new(enabled: bool, rate: u32) -> Repair {
        Repair {
            status: Mutex::new(RepairStatus { enabled, ..RepairStatus::default() }),
            requested: Notify::new(),
            key_pace: tokio::sync::Mutex::new(Pace::new(rate)),
            digest_pace: tokio::sync::Mutex::new(Pace::new(rate.saturating_mul(DIGEST_READS_PER_KEY))),
        }
    }

    /// A copy of the current status.
    pub fn status(&self) -> RepairStatus {
        self.status.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Asks for a range repair now (one more run if one is running) of `range`, or of this node's
    /// ranges when None. The latest request wins when several wait.
    pub fn request_range_repair(&self, range: Option<TokenRange>) -> Result<(), RepairRequestError> {
        let mut status = self.status.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        if !status.enabled {
            return Err(RepairRequestError::Disabled);
        }
        status.requested = true;
        status.requested_range = range;
        drop(status);
        self.requested.notify_one();
        Ok(())
    }

    /// Changes the status.
    pub fn update(&self, change: impl FnOnce(&mut RepairStatus)) {
        change(&mut self.status.lock().unwrap_or_else(|poisoned| poisoned.into_inner()));
    }

    /// Waits until `keys` more keys fit in `repair_rate`.
    pub async fn pace_keys(&self, keys: u32) {
        self.key_pace.lock().await.take(keys).await;
    }

    /// Waits until `reads` more digest reads fit in their rate.
    pub async fn pace_digest_reads(&self, reads: u32) {
        self.digest_pace.lock().await.take(reads).await;
    }
}

/// Starts the node's repair tasks (nothing without `crdt_enabled`). The tasks hold the node weakly
/// and end when it is gone.
pub fn spawn(node: &Arc<NodeShared>) {
    if !node.config.crdt_enabled {
        return;
    }
    if node.config.repair_interval_ms > 0 {
        tokio::spawn(changelog_task(
            Arc::downgrade(node),
            node.repair.clone(),
            node.config.repair_interval_ms,
        ));
    }
    tokio::spawn(range_task(Arc::downgrade(node), node.repair.clone(), node.config.repair_full_interval_ms));
}

/// Sweeps the change log every `interval_ms`.
async fn changelog_task(node: Weak<NodeShared>, repair: Arc<Repair>, interval_ms: u64) {
    let mut retries = changelog::Retries::default();
    loop {
        tokio::time::sleep(Duration::from_millis(interval_ms)).await;
        let Some(node) = node.upgrade() else { return };
        changelog::sweep(&node, &repair, &mut retries).await;
    }
}

/// Runs a range repair every `interval_ms` (never on schedule when 0) and whenever one is requested.
async fn range_task(node: Weak<NodeShared>, repair: Arc<Repair>, interval_ms: u64) {
    let schedule = |from: Instant| (interval_ms > 0).then(|| from + Duration::from_millis(interval_ms));
    let mut next_run = schedule(Instant::now());
    loop {
        let scheduled = async {
            match next_run {
                Some(deadline) => tokio::time::sleep_until(deadline).await,
                None => std::future::pending().await,
            }
        };
        let requested = tokio::select! {
            biased;
            _ = repair.requested.notified() => true,
            _ = scheduled => false,
            _ = tokio::time::sleep(Duration::from_millis(NODE_CHECK_INTERVAL_MS)) => {
                if node.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        let Some(node) = node.upgrade() else { return };
        let mut range = None;
        if requested {
            repair.update(|status| range = status.requested_range.take());
        }
        range::run(&node, &repair, range).await;
        next_run = schedule(Instant::now());
    }
}
