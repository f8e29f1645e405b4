//! What the background repair has done, for `/info`, `/repair/status` and the `dynomite repair` CLI.

use serde_json::{json, Value};

/// The change-log sweep's counters (since the node started).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChangeLogProgress {
    /// Sweeps run.
    pub sweeps: u64,
    /// Keys popped from `_dyn:log` and compared across their replicas.
    pub keys_compared: u64,
    /// Merges written to stale replicas.
    pub writes: u64,
    /// Keys pushed back to the log because a replica could not be reached.
    pub requeued: u64,
    /// Keys given up after [`super::changelog::RETRIES_MAX`] tries (the range repair covers them).
    pub dropped: u64,
}

/// Whether a range repair runs now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RunState {
    /// Waiting for its schedule or a request.
    #[default]
    Idle,
    /// Running.
    Running,
}

impl RunState {
    fn name(self) -> &'static str {
        match self {
            RunState::Idle => "idle",
            RunState::Running => "running",
        }
    }
}

/// The range repair's progress: the current (or last) run, and totals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RangeProgress {
    /// Running or idle.
    pub state: RunState,
    /// The token range of the current or last run; None: this node's own ranges.
    pub range: Option<super::ranges::TokenRange>,
    /// Range repairs completed since the node started.
    pub runs: u64,
    /// Segments (parts of this node's ranges with one replica per rack) in the current or last run.
    pub ranges_total: u64,
    /// Of those, compared so far.
    pub ranges_done: u64,
    /// Digest buckets compared in the current or last run.
    pub buckets_compared: u64,
    /// Buckets that differed between replicas (their keys were listed and merged).
    pub buckets_differing: u64,
    /// Keys the replicas listed for the differing or tombstoned buckets (each replica's listing counts).
    pub keys_listed: u64,
    /// Keys compared one by one: listed keys missing on a replica, with differing digests, or holding
    /// a tombstone.
    pub keys_compared: u64,
    /// Merges written to stale replicas ("shipped").
    pub keys_shipped: u64,
    /// Segments that could not be compared because a replica did not answer.
    pub ranges_failed: u64,
    /// Node clock (Unix ms) when the current or last run started; 0 = never.
    pub last_started_ms: u64,
    /// Node clock (Unix ms) when the last run finished; 0 = never.
    pub last_finished_ms: u64,
}

/// Everything the repair reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepairStatus {
    /// Whether repair runs at all (`crdt_enabled`).
    pub enabled: bool,
    /// The change-log sweep.
    pub changelog: ChangeLogProgress,
    /// The range repair.
    pub range: RangeProgress,
    /// Replicas whose tombstones were collected (`gc` runs that succeeded), both repairs.
    pub tombstone_collections: u64,
    /// A range repair was requested and has not started yet.
    pub requested: bool,
    /// The token range of that request (None: this node's ranges).
    pub requested_range: Option<super::ranges::TokenRange>,
}

impl RepairStatus {
    /// The status as JSON (`/repair/status`, the `repair` object of `/info`).
    pub fn to_json(&self) -> Value {
        let changelog = &self.changelog;
        let range = &self.range;
        json!({
            "enabled": self.enabled,
            "repair_state": range.state.name(),
            "requested": self.requested,
            "changelog": {
                "sweeps": changelog.sweeps,
                "keys_compared": changelog.keys_compared,
                "writes": changelog.writes,
                "requeued": changelog.requeued,
                "dropped": changelog.dropped,
            },
            "range": {
                "runs": range.runs,
                "range": range.range.map(|tokens| json!([tokens.start, tokens.end])),
                "ranges_total": range.ranges_total,
                "ranges_done": range.ranges_done,
                "ranges_failed": range.ranges_failed,
                "buckets_compared": range.buckets_compared,
                "buckets_differing": range.buckets_differing,
                "keys_listed": range.keys_listed,
                "keys_compared": range.keys_compared,
                "keys_shipped": range.keys_shipped,
                "last_started_ms": range.last_started_ms,
                "last_finished_ms": range.last_finished_ms,
            },
            "tombstone_collections": self.tombstone_collections,
        })
    }
}
