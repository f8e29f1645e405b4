//! Linearizability of single-key registers where Dynomite promises it: within one datacenter at
//! `DC_SAFE_QUORUM` (and `DC_EACH_SAFE_QUORUM`), with no fault in the window.
//!
//! Scope, precisely. The keys `l<dc>-<n>` are touched only by connections at `DC_SAFE_QUORUM` or
//! `DC_EACH_SAFE_QUORUM` whose node is in datacenter `dc` (SET, GET, DEL). For each key and each
//! quiet window (no fault active, none lifted within the reconnect margin before, every peer link
//! sampled up: [`crate::checkers::Timeline::quiet_windows`]) the history restricted to the window
//! must be linearizable as a register whose value at the window's start is unknown:
//! - `Ok` reads sent and answered inside the window must be explained;
//! - `Ok` writes answered inside the window took effect between their invocation and their answer;
//! - writes that failed, were lost, or were answered after the window may or may not have taken
//!   effect, at any time after they were sent (also those sent up to 10 s before the window).
//!
//! Outside these windows (during faults, after a datacenter split, at DC_ONE or DC_QUORUM) Dynomite
//! does not promise linearizability. In CRDT mode replicas keep the write with the highest HLC
//! timestamp: a key-window history in which a write carries a lower timestamp than a write answered
//! before it was sent (coordinators with skewed clocks that never observed each other) is not judged,
//! and counted.
//!
//! The checker is Wing & Gong's search with Lowe's memoization (as in Porcupine/Knossos): depth-first
//! over which pending operation takes effect next, remembering (set of operations done, register
//! value) pairs already explored, bounded in steps (a search that hits the bound is inconclusive and
//! reported, not failed).

use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

use crate::checkers::{show, Facts, Verdict, Violations};
use crate::history::{KeyFamily, Operation};

/// The checker's name.
pub const LINEARIZABILITY: &str = "linearizability (DC_SAFE_QUORUM registers, quiet windows)";
/// Explored states before a search gives up as inconclusive.
pub const SEARCH_STEPS_MAX: usize = 200_000;
/// Failed writes sent this long before a window may still land in it.
const STRAGGLER_MS: u64 = 10_000;

/// What one operation does to the register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterOp {
    /// Read this value (`None` = nil).
    Read(Option<Bytes>),
    /// Write this value (`None` = delete).
    Write(Option<Bytes>),
}

/// One operation of a register history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOp {
    /// When it was sent.
    pub call_ms: u64,
    /// When it was answered; `None` for a write that may or may not take effect (never for reads).
    pub return_ms: Option<u64>,
    /// What it does.
    pub op: RegisterOp,
}

/// The result of one search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Linearizable {
    /// An order exists.
    Yes,
    /// No order exists.
    No,
    /// The search hit [`SEARCH_STEPS_MAX`].
    Unknown,
}

/// The register's value during the search: unknown until read or written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum State {
    Unknown,
    Known(Option<Bytes>),
}

/// Whether `ops` is linearizable as one register whose initial value is unknown.
pub fn check_register(ops: &[TimedOp]) -> Linearizable {
    let words = ops.len().div_ceil(64).max(1);
    let mut search = Search { ops, visited: BTreeSet::new(), steps: 0, words };
    let done = vec![0u64; words];
    match search.explore(done, State::Unknown) {
        Some(true) => Linearizable::Yes,
        Some(false) => Linearizable::No,
        None => Linearizable::Unknown,
    }
}

struct Search<'a> {
    ops: &'a [TimedOp],
    visited: BTreeSet<(Vec<u64>, State)>,
    steps: usize,
    words: usize,
}

impl Search<'_> {
    /// True when the remaining operations can be ordered; None when out of steps.
    fn explore(&mut self, done: Vec<u64>, state: State) -> Option<bool> {
        let is_done = |done: &[u64], index: usize| done[index / 64] & (1 << (index % 64)) != 0;
        // The earliest answer among definite operations not done yet: whatever comes next was sent
        // no later than that.
        let mut deadline = u64::MAX;
        let mut remaining = false;
        for (index, op) in self.ops.iter().enumerate() {
            if let (false, Some(returned)) = (is_done(&done, index), op.return_ms) {
                deadline = deadline.min(returned);
                remaining = true;
            }
        }
        if !remaining {
            return Some(true);
        }
        if !self.visited.insert((done.clone(), state.clone())) {
            return Some(false);
        }
        self.steps += 1;
        if self.steps > SEARCH_STEPS_MAX {
            return None;
        }
        for (index, op) in self.ops.iter().enumerate() {
            if is_done(&done, index) || op.call_ms > deadline {
                continue;
            }
            let next = match (&op.op, &state) {
                (RegisterOp::Read(value), State::Known(current)) if value != current => continue,
                (RegisterOp::Read(value), _) => State::Known(value.clone()),
                (RegisterOp::Write(value), _) => State::Known(value.clone()),
            };
            let mut after = done.clone();
            debug_assert_eq!(after.len(), self.words);
            after[index / 64] |= 1 << (index % 64);
            match self.explore(after, next) {
                Some(false) => {}
                other => return other,
            }
        }
        Some(false)
    }
}

/// Runs [`check_register`] on every linearizable key's history in every quiet window.
pub fn linearizable_registers(facts: &Facts<'_>) -> Verdict {
    let mut by_key: BTreeMap<&Bytes, Vec<&Operation>> = BTreeMap::new();
    for operation in &facts.history.operations {
        for key in operation.command.keys() {
            if KeyFamily::of(key) == Some(KeyFamily::Linear) {
                by_key.entry(key).or_default().push(operation);
            }
        }
    }
    let end_ms = facts.history.operations.iter().map(|operation| operation.completed_ms).max().unwrap_or(0);
    let windows = facts.timeline.quiet_windows(end_ms);
    let mut violations = Violations::default();
    let (mut histories, mut operations, mut inconclusive) = (0usize, 0usize, 0usize);
    let mut skewed = 0usize;
    for (key, key_operations) in &by_key {
        for (from_ms, to_ms) in &windows {
            let ops = window_history(key, key_operations, *from_ms, *to_ms);
            if !ops.iter().any(|op| matches!(op.op, RegisterOp::Read(_))) {
                continue;
            }
            if timestamps_disagree(key, key_operations, *from_ms, *to_ms) {
                skewed += 1;
                continue;
            }
            histories += 1;
            operations += ops.len();
            match check_register(&ops) {
                Linearizable::Yes => {}
                Linearizable::Unknown => inconclusive += 1,
                Linearizable::No => violations.push(|| {
                    format!(
                        "{} in quiet window {from_ms}..{to_ms} ms: {} operations have no linearization: {}",
                        show(key),
                        ops.len(),
                        describe(&ops)
                    )
                }),
            }
        }
    }
    violations.into_verdict(
        LINEARIZABILITY,
        format!(
            "{histories} key-window histories, {operations} operations, {inconclusive} inconclusive, \
             {skewed} not judged (HLC timestamps out of real-time order)"
        ),
    )
}

/// True when, in CRDT mode, a write of `key` that the window can see carries a lower HLC timestamp than
/// a write answered before it was sent: replicas keep the higher timestamp (last writer wins by
/// timestamp), so a register that is linearizable in real time is not promised then (clock skew
/// between coordinators that never observed each other's timestamps).
fn timestamps_disagree(key: &Bytes, operations: &[&Operation], from_ms: u64, to_ms: u64) -> bool {
    let writes: Vec<&Operation> = operations
        .iter()
        .copied()
        .filter(|operation| operation.command.register_write(key).is_some() && operation.invoked_ms <= to_ms)
        .collect();
    writes.iter().filter(|later| later.invoked_ms + STRAGGLER_MS >= from_ms).any(|later| {
        writes.iter().any(|earlier| {
            earlier.completed_ms < later.invoked_ms
                && matches!(
                    (earlier.timestamp_max(), later.timestamp_min()),
                    (Some(earlier), Some(later)) if earlier > later
                )
        })
    })
}

/// The register history of `key` in the window `[from_ms, to_ms]` (see the module documentation).
fn window_history(key: &Bytes, operations: &[&Operation], from_ms: u64, to_ms: u64) -> Vec<TimedOp> {
    let mut ops = Vec::new();
    for operation in operations {
        if let Some(value) = operation.read_value(key) {
            if operation.invoked_ms >= from_ms && operation.completed_ms <= to_ms {
                ops.push(TimedOp {
                    call_ms: operation.invoked_ms,
                    return_ms: Some(operation.completed_ms),
                    op: RegisterOp::Read(value.cloned()),
                });
            }
            continue;
        }
        let Some(written) = operation.command.register_write(key) else { continue };
        if operation.invoked_ms > to_ms || operation.invoked_ms + STRAGGLER_MS < from_ms {
            continue;
        }
        let definite = operation.is_ok() && operation.completed_ms <= to_ms;
        if definite && operation.completed_ms < from_ms {
            continue; // answered before the window: part of the unknown initial value
        }
        ops.push(TimedOp {
            call_ms: operation.invoked_ms,
            return_ms: definite.then_some(operation.completed_ms),
            op: RegisterOp::Write(written.cloned()),
        });
    }
    ops
}

fn describe(ops: &[TimedOp]) -> String {
    let shown: Vec<String> = ops
        .iter()
        .take(12)
        .map(|op| {
            let text = |value: &Option<Bytes>| value.as_ref().map_or("nil".to_string(), show);
            let what = match &op.op {
                RegisterOp::Read(value) => format!("read {}", text(value)),
                RegisterOp::Write(value) => format!("write {}", text(value)),
            };
            match op.return_ms {
                Some(returned) => format!("{what} [{}..{returned}]", op.call_ms),
                None => format!("{what} [{}..?]", op.call_ms),
            }
        })
        .collect();
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Option<Bytes> {
        Some(Bytes::copy_from_slice(text.as_bytes()))
    }

    fn write(text: &str, call_ms: u64, return_ms: u64) -> TimedOp {
        TimedOp { call_ms, return_ms: Some(return_ms), op: RegisterOp::Write(value(text)) }
    }

    fn read(text: Option<&str>, call_ms: u64, return_ms: u64) -> TimedOp {
        TimedOp { call_ms, return_ms: Some(return_ms), op: RegisterOp::Read(text.and_then(value)) }
    }

    fn maybe_write(text: &str, call_ms: u64) -> TimedOp {
        TimedOp { call_ms, return_ms: None, op: RegisterOp::Write(value(text)) }
    }

    #[test]
    fn sequential_reads_of_the_last_write_are_linearizable() {
        let history =
            [write("a", 0, 10), read(Some("a"), 20, 30), write("b", 40, 50), read(Some("b"), 60, 70)];
        assert_eq!(check_register(&history), Linearizable::Yes);
    }

    #[test]
    fn a_stale_read_after_a_completed_write_is_not() {
        let history = [write("a", 0, 10), write("b", 20, 30), read(Some("a"), 40, 50)];
        assert_eq!(check_register(&history), Linearizable::No);
    }

    #[test]
    fn concurrent_write_may_be_seen_or_not_but_not_flip_back() {
        // b overlaps both reads: first read sees b, the second must not see a again.
        let ok = [write("a", 0, 10), write("b", 20, 100), read(Some("a"), 30, 40), read(Some("b"), 50, 60)];
        assert_eq!(check_register(&ok), Linearizable::Yes);
        let flip = [write("a", 0, 10), write("b", 20, 100), read(Some("b"), 30, 40), read(Some("a"), 50, 60)];
        assert_eq!(check_register(&flip), Linearizable::No);
    }

    #[test]
    fn unknown_initial_value_matches_the_first_read_only() {
        assert_eq!(check_register(&[read(Some("x"), 0, 5), read(Some("x"), 10, 15)]), Linearizable::Yes);
        assert_eq!(check_register(&[read(Some("x"), 0, 5), read(Some("y"), 10, 15)]), Linearizable::No);
        assert_eq!(check_register(&[read(None, 0, 5), read(None, 10, 15)]), Linearizable::Yes);
    }

    #[test]
    fn an_indeterminate_write_may_take_effect_late_or_never() {
        let late = [write("a", 0, 10), maybe_write("b", 5), read(Some("a"), 20, 30), read(Some("b"), 40, 50)];
        assert_eq!(check_register(&late), Linearizable::Yes);
        let never =
            [write("a", 0, 10), maybe_write("b", 5), read(Some("a"), 20, 30), read(Some("a"), 40, 50)];
        assert_eq!(check_register(&never), Linearizable::Yes);
        // But once seen, it cannot be unseen without another write.
        let unseen =
            [write("a", 0, 10), maybe_write("b", 5), read(Some("b"), 20, 30), read(Some("a"), 40, 50)];
        assert_eq!(check_register(&unseen), Linearizable::No);
        // And it cannot take effect before it was sent.
        let early = [write("a", 0, 10), read(Some("b"), 20, 30), maybe_write("b", 35)];
        assert_eq!(check_register(&early), Linearizable::No);
    }

    #[test]
    fn a_large_history_finishes_quickly() {
        let mut history = Vec::new();
        for round in 0..60u64 {
            let name = format!("v{round}");
            history.push(write(&name, round * 10, round * 10 + 15));
            history.push(read(Some(&name), round * 10 + 16, round * 10 + 19));
        }
        assert_eq!(check_register(&history), Linearizable::Yes);
    }
}
