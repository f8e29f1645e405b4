//! [`Hlc`]: the hybrid logical clock that stamps every CRDT write at its coordinator.
//!
//! A pure state machine: the caller passes the wall clock (`wall_ms`, Unix milliseconds, from the
//! injected clock) into every call; nothing here reads a clock.
//!
//! # Algorithm
//! The clock keeps the last `(physical_ms, logical)` pair it issued or observed.
//! - [`Hlc::now`]`(wall)`: if `wall > last.physical_ms`, issue `(wall, 0)`; otherwise issue
//!   `(last.physical_ms, last.logical + 1)`. When `logical` would overflow `u16`, issue
//!   `(last.physical_ms + 1, 0)`: the clock borrows one millisecond from the future (it runs ahead of the
//!   wall clock by at most one millisecond per 65,536 timestamps issued within one millisecond).
//! - [`Hlc::observe`]`(ts, wall)`: `last = max(last, (ts.physical_ms, ts.logical))`, ignoring the wall
//!   clock (the next `now` takes it into account). Node ids never enter `last`.
//!
//! # Guarantee
//! Writes are ordered by their timestamps (last-writer-wins on the HLC, [`Timestamp`]'s `Ord`). For
//! one node (one `Hlc`):
//! 1. **Strictly increasing**: every timestamp `now` returns is greater than every timestamp the same
//!    clock returned before (the `(physical_ms, logical)` pair increases; the node id is the same).
//! 2. **Causality through the clock**: a timestamp issued after `observe(t, _)` is greater than `t`
//!    (its `(physical_ms, logical)` pair is greater than `t`'s), whatever `t`'s node.
//! 3. **Close to the wall clock**: `now(wall).physical_ms >= wall`; it exceeds the largest wall clock
//!    reading that reached it (directly or through observed timestamps) only by logical overflows.
//! 4. **Bounded skew**: if, at every real moment, no two nodes' wall clocks differ by more than `S` ms,
//!    wall clocks never step back and run at real-time rate, and no node issues 65,536 timestamps within
//!    one millisecond, then a write issued more than `S` ms (real time) after another node's write gets
//!    a larger timestamp. (The earlier timestamp's physical part is at most the largest wall clock at
//!    its real time, at most `S` above the later node's wall clock then, which has advanced by more
//!    than `S` since.)
//!
//! # Not guaranteed
//! - Writes to the same key less than `S` apart on different nodes, with no timestamp observed in
//!   between, are ordered by their clocks, not by real time: with skew, the later write can lose (it is
//!   discarded as older). This is LWW's documented rule; the order is still the same on every replica.
//! - Causality that does not pass through a clock: a client that reads a value through node A and then
//!   writes through node B gets "B's write is newer" only if B observed A's timestamp or rule 4 applies.
//! - A node whose wall clock jumps far ahead issues timestamps that beat every other write until the
//!   other clocks catch up, and the nodes that observe them carry the jump forward (there is no
//!   maximum-offset rejection). A wall clock that steps back is harmless for rules 1-2 (the clock keeps
//!   counting on its last physical value).
//! - Equality: two different `Hlc`s with the same node id (see [`super::timestamp::node_id`]
//!   collisions) may issue equal timestamps.

use super::timestamp::{Timestamp, PHYSICAL_MAX_MS};

/// A hybrid logical clock for one node. Call [`Hlc::now`] to stamp a write and [`Hlc::observe`] with
/// every timestamp the node learns from elsewhere (replica states, peers); the guarantees are on the
/// module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hlc {
    /// The id stamped into every timestamp this clock issues.
    node: u32,
    /// Physical part of the largest pair issued or observed (Unix ms).
    last_physical_ms: u64,
    /// Logical part of the largest pair issued or observed.
    last_logical: u16,
}

impl Hlc {
    /// A clock for node `node` that has issued and observed nothing.
    pub fn new(node: u32) -> Hlc {
        Hlc { node, last_physical_ms: 0, last_logical: 0 }
    }

    /// The node id this clock stamps.
    pub fn node(&self) -> u32 {
        self.node
    }

    /// The largest `(physical_ms, logical)` issued or observed so far, stamped with this node's id.
    pub fn last(&self) -> Timestamp {
        Timestamp { physical_ms: self.last_physical_ms, logical: self.last_logical, node: self.node }
    }

    /// A new timestamp for a write, given the wall clock `wall_ms` (Unix ms). Panics if `wall_ms`
    /// exceeds 48 bits (not a Unix millisecond clock).
    pub fn now(&mut self, wall_ms: u64) -> Timestamp {
        assert!(wall_ms <= PHYSICAL_MAX_MS, "wall clock {wall_ms} ms exceeds 48 bits");
        if crate::mutant!(HlcWallClockOnly) {
            return Timestamp { physical_ms: wall_ms, logical: 0, node: self.node };
        }
        if wall_ms > self.last_physical_ms {
            self.last_physical_ms = wall_ms;
            self.last_logical = 0;
        } else if let Some(logical) = self.last_logical.checked_add(1) {
            self.last_logical = logical;
        } else {
            // Logical overflow: borrow a millisecond.
            assert!(self.last_physical_ms < PHYSICAL_MAX_MS, "hybrid logical clock exhausted 48 bits");
            self.last_physical_ms += 1;
            self.last_logical = 0;
        }
        self.last()
    }

    /// Takes in a timestamp issued elsewhere, so every later [`Hlc::now`] is greater than it.
    /// `wall_ms` is accepted for symmetry with [`Hlc::now`] and checked; the next `now` applies it.
    pub fn observe(&mut self, ts: Timestamp, wall_ms: u64) {
        assert!(wall_ms <= PHYSICAL_MAX_MS, "wall clock {wall_ms} ms exceeds 48 bits");
        assert!(ts.physical_ms <= PHYSICAL_MAX_MS, "timestamp physical part exceeds 48 bits");
        if (ts.physical_ms, ts.logical) > (self.last_physical_ms, self.last_logical) {
            self.last_physical_ms = ts.physical_ms;
            self.last_logical = ts.logical;
        }
    }
}
